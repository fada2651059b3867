//! `actline agent`: the agent desk (the `actline-desk` crate).

use super::backend::Backend;
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

/// Runs the desk on `backend`'s engine, or on the demo desk's home.
pub fn run(backend: Result<Backend>, args: AgentArgs) -> Result<()> {
    let backend = if args.demo {
        Backend::local(&actline_desk::demo::ensure()?)?
    } else {
        backend?
    };
    let place = backend.place();
    actline_desk::run(
        Box::new(move |request| backend.call(request)),
        place,
        &actline_desk::Options {
            player: args.player,
            voices: args.voices,
        },
    )
}
