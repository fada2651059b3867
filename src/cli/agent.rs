//! `actline agent`: the agent desk (the `actline-desk` crate).

use anyhow::Result;
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug, Clone, Default)]
pub struct AgentArgs {
    /// Use the demo desk ($XDG_DATA_HOME/actline/demo-desk), created on first
    /// use with the demo catalog, agreements, keys (listed in its
    /// demo-keys.txt) and two handed-over calls.
    #[arg(long)]
    demo: bool,
    /// Command that plays a WAV file, `{}` standing for the file (e.g.
    /// `aplay -q {}`); by default a player is looked for when the machine
    /// has a sound device, else the readout is saved and its path shown.
    #[arg(long, env = "ACTLINE_PLAYER", value_name = "CMD")]
    player: Option<String>,
    /// Directory of voice packs for the play key.
    #[arg(long, env = "ACTLINE_VOICES", value_name = "DIR")]
    voices: Option<PathBuf>,
}

pub fn run(home: Option<PathBuf>, args: AgentArgs) -> Result<()> {
    actline_desk::run(
        home,
        &actline_desk::Options {
            demo: args.demo,
            player: args.player,
            voices: args.voices,
        },
    )
}
