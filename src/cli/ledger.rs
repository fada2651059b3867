//! `actline ledger backup / restore / copy`: where the home is, as its owner
//! (the service's user), since they copy the whole ledger.

pub use super::args::LedgerCmd;
use super::bad;
use actline::entitlement::rules::Role;
use actline::home::{os_user, Copied, Home};
use anyhow::Result;

pub fn run(home: &Home, server: Option<&str>, cmd: LedgerCmd) -> Result<()> {
    if let Some(url) = server {
        return Err(bad(format!(
            "`actline ledger` copies the ledger file, so it runs where the home is, as its owner, not through {url}: run `actline --home HOME ledger …` on the service's machine"
        )));
    }
    if let LedgerCmd::Backup { file } | LedgerCmd::Restore { file } = &cmd {
        if super::stdio::is_stdio(file) {
            return Err(bad(
                "a ledger backup is a file of its own: name one (`-` is not offered here)",
            ));
        }
    }
    let secrets = home.secrets()?;
    let me = os_user();
    // Staff back up; only supervisors restore, since a restore takes back
    // keys, limits and revocations. Both are in the audit trail.
    let role = home.open_ledger(&secrets)?.role(&me)?;
    let supervisors_only = match cmd {
        LedgerCmd::Backup { .. } => None,
        LedgerCmd::Restore { .. } => Some("restore"),
        LedgerCmd::Copy { .. } => Some("copy"),
    };
    match (role, supervisors_only) {
        (None, _) => return Err(bad(format!("{me} is not staff of this home"))),
        (Some(r), Some(what)) if r != Role::Supervisor => {
            return Err(bad(format!(
                "only supervisors {what} the ledger, and {me} is not one"
            )))
        }
        _ => {}
    }
    match cmd {
        LedgerCmd::Copy { to } => {
            if !actline::ledger::Ledger::is_url(&to) {
                return Err(bad(format!(
                    "--to takes a PostgreSQL URL (postgres://user@host/db), not {to:?}"
                )));
            }
            let from = home.ledger_place();
            let place = actline::ledger::pg::redacted(&to);
            // Recorded first, so the copy carries the entry too.
            home.open_ledger(&secrets)?.audit(
                &me,
                "ledger.copy",
                &place,
                &format!("copied from {from}; the home uses the copy from now on"),
            )?;
            let c = home.copy_ledger(&secrets, &to)?;
            outln!("copied {from} to {place}")?;
            summary(&c)?;
            outln!("  the home uses {place} from now on; {from} is left as it was")?;
            Ok(())
        }
        LedgerCmd::Backup { file } => {
            let c = home.backup_ledger(&secrets, &file)?;
            home.open_ledger(&secrets)?.audit(
                &me,
                "ledger.backup",
                &file.display().to_string(),
                &format!("{} entries, head {}", c.entries, c.head),
            )?;
            outln!("backed up {} to {}", home.ledger_place(), file.display())?;
            summary(&c)
        }
        LedgerCmd::Restore { file } => {
            let r = home.restore_ledger(&secrets, &file)?;
            let t = &r.taken_back;
            let taken = format!(
                "{} activations, {} keys issued and {} keys' limits or revocations",
                t.activations.len(),
                t.keys.len(),
                t.changed_keys.len()
            );
            home.open_ledger(&secrets)?.audit(
                &me,
                "ledger.restore",
                &file.display().to_string(),
                &format!(
                    "took back {taken}; the replaced ledger is {}",
                    r.kept_in.display()
                ),
            )?;
            outln!("restored {} from {}", home.ledger_place(), file.display())?;
            summary(&r.restored)?;
            outln!("  the ledger as it was is in {}:", r.kept_in.display())?;
            summary(&r.replaced)?;
            if !t.is_empty() {
                eprintln!("actline: this restore takes back {taken}:");
                if !t.activations.is_empty() {
                    let ids: Vec<String> = t.activations.iter().map(|a| format!("#{a}")).collect();
                    eprintln!(
                        "  activations {} (their machines still verify; their seats are free again)",
                        few(&ids)
                    );
                }
                if !t.keys.is_empty() {
                    let s: Vec<String> = t.keys.iter().map(u64::to_string).collect();
                    eprintln!(
                        "  keys issued after the backup, serials {} (they no longer activate)",
                        few(&s)
                    );
                }
                if !t.changed_keys.is_empty() {
                    let s: Vec<String> = t.changed_keys.iter().map(u64::to_string).collect();
                    eprintln!(
                        "  keys whose limit or revocation is the backup's again, serials {}",
                        few(&s)
                    );
                }
            }
            Ok(())
        }
    }
}

/// The first ten of `v`, and an ellipsis when there are more.
fn few(v: &[String]) -> String {
    let shown: Vec<&str> = v.iter().take(10).map(String::as_str).collect();
    format!(
        "{}{}",
        shown.join(", "),
        if v.len() > 10 { ", …" } else { "" }
    )
}

fn summary(c: &Copied) -> Result<()> {
    outln!(
        "  {} keys, {} activations; audit trail of {} entries verified, head {}",
        c.keys,
        c.activations,
        c.entries,
        c.head
    )?;
    Ok(())
}
