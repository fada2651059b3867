//! `actline agent`: the agent desk (the `actline-desk` crate).

pub use super::args::AgentArgs;
use super::backend::Backend;
use anyhow::Result;

/// Runs the desk on `backend`'s engine, or on the demo desk's home.
pub fn run(backend: Result<Backend>, args: AgentArgs) -> Result<()> {
    let backend = if args.reset {
        let home = actline_desk::demo::reset()?;
        eprintln!(
            "actline: the demo desk in {} is back in its first state",
            home.dir().display()
        );
        Backend::local(&home)?
    } else if args.demo {
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
            voice: args.voice,
        },
    )
}
