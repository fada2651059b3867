//! `actline audit`: verify or show the audit trail; `actline advise`.

use super::backend::{expect_reply, Backend};
use super::{bad, failed};
use actline::display::visible;

pub use super::args::{AdviseArgs, AuditCmd};
use actline::service::{ErrorKind, Request};
use anyhow::Result;

/// A ledger too damaged to open fails verification too (exit 4).
pub fn audit(backend: &Backend, cmd: AuditCmd) -> Result<()> {
    match cmd {
        AuditCmd::Verify => match backend.call(Request::AuditVerify) {
            Ok(reply) => {
                let v = expect_reply!(reply, AuditIntact);
                outln!(
                    "audit trail intact: {} entries chain; newest entry's hash {}",
                    v.entries,
                    v.head
                )?
            }
            Err(e) if matches!(e.kind, ErrorKind::Corrupt | ErrorKind::Unverified) => {
                return Err(failed(e.message))
            }
            Err(e) => return Err(e.into()),
        },
        AuditCmd::Show {
            filter,
            since,
            limit,
            json,
        } => {
            let reply = match backend.call(Request::AuditShow {
                filter,
                since,
                limit,
            }) {
                Err(e) if e.kind == ErrorKind::Corrupt => return Err(failed(e.message)),
                other => other?,
            };
            let entries = expect_reply!(reply, Audit).entries;
            if json {
                outln!("{}", serde_json::to_string_pretty(&entries)?)?;
                return Ok(());
            }
            for e in entries {
                // Reasons are free text: never let them drive the terminal.
                outln!(
                    "{:>5} {} {:<12} {:<16} {} {}",
                    e.id,
                    e.at,
                    visible(&e.actor),
                    visible(&e.action),
                    visible(&e.subject),
                    visible(&e.detail)
                )?;
            }
        }
    }
    Ok(())
}

pub fn advise(backend: &Backend, a: &AdviseArgs) -> Result<()> {
    if a.machines == 0 {
        return Err(bad("--machines must be at least 1"));
    }
    let adv = expect_reply!(
        backend.call(Request::Advise {
            product: a.product.clone(),
            machines: a.machines
        })?,
        Advice
    );
    outln!("{}: {}", adv.kind, visible(&adv.reason))?;
    Ok(())
}
