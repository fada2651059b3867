//! `actline activation`: look up activations, release seats.

pub use super::args::ActivationCmd;
use super::backend::{expect_reply, Backend};
use actline::display::visible;
use actline::service::Request;
use anyhow::Result;

pub fn run(backend: &Backend, cmd: ActivationCmd) -> Result<()> {
    match cmd {
        ActivationCmd::Show { id, json } => {
            let a = expect_reply!(backend.call(Request::ActivationShow { id })?, ActivationRow);
            if json {
                return super::json::print(&super::json::Names::of(backend)?.activation(&a));
            }
            outln!(
                "activation #{} — {} by {} at {}",
                a.id,
                a.decision,
                visible(&a.actor),
                a.created_at
            )?;
            outln!("installation ID  {}", a.installation_id)?;
            if a.released {
                outln!("seat             released (the machine was replaced; the key's next new machine takes the seat)")?;
            }
            if let Some(c) = &a.confirmation_id {
                outln!("confirmation ID  {c}")?;
            }
            for r in &a.reasons {
                outln!("  - {}", visible(r))?;
            }
        }
        ActivationCmd::Release { id, reason } => {
            expect_reply!(
                backend.call(Request::ActivationRelease { id, reason })?,
                Released
            );
            outln!("seat of activation #{id} released")?;
        }
    }
    Ok(())
}
