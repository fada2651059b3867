//! `actline activate`: decide one installation ID.

pub use super::args::ActivateArgs;
use super::backend::{expect_reply, Backend};
use super::{bad, denied};
use actline::display::visible;
use actline::ids::InstallationId;
use actline::service::{ActivationView, Request};
use anyhow::Result;

/// Prints a decision for people; text from outside (customer names and
/// labels in the trace) is shown through [`visible`].
pub fn print_activation(a: &ActivationView) -> std::io::Result<()> {
    outln!("decision: {} (activation #{})", a.decision, a.activation)?;
    for r in &a.reasons {
        outln!("  - {}", visible(r))?;
    }
    if let Some(cid) = &a.confirmation_id {
        outln!("confirmation ID:")?;
        for (i, g) in cid.split('-').enumerate() {
            out!(
                "{}{:>2}: {g}",
                if i % 5 == 0 { "\n  " } else { "   " },
                i + 1
            )?;
        }
        outln!("\n\n  {cid}")?;
    }
    Ok(())
}

pub fn run(backend: &Backend, a: ActivateArgs) -> Result<()> {
    // Checked here too, so a typo is reported before any connection.
    let iid = InstallationId::parse(&a.iid).map_err(|e| bad(format!("installation ID: {e}")))?;
    let act = expect_reply!(
        backend.call_keyed(
            Request::Activate {
                installation_id: iid.to_string(),
                agreement: a.agreement,
                label: None,
                self_service: false,
            },
            a.idempotency_key.as_deref()
        )?,
        Activation
    );
    if a.json {
        outln!("{}", serde_json::to_string_pretty(&act)?)?;
    } else {
        print_activation(&act)?;
    }
    match &act.remedy {
        None if act.granted() => Ok(()),
        remedy => Err(denied(format!(
            "denied — {}",
            remedy.as_deref().unwrap_or("no reason given")
        ))),
    }
}
