//! `actline ledger backup / restore`: where the home is, as its owner (the
//! service's user), since they copy the whole file.

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
    let file = match &cmd {
        LedgerCmd::Backup { file } | LedgerCmd::Restore { file } => file.clone(),
    };
    if super::stdio::is_stdio(&file) {
        return Err(bad(
            "a ledger backup is a file of its own: name one (`-` is not offered here)",
        ));
    }
    let secrets = home.secrets()?;
    let me = os_user();
    // Staff back up; only supervisors restore, since a restore takes back
    // keys, limits and revocations. Both are in the audit trail.
    let role = home.open_ledger(&secrets)?.role(&me)?;
    let restoring = matches!(cmd, LedgerCmd::Restore { .. });
    match role {
        None => return Err(bad(format!("{me} is not staff of this home"))),
        Some(r) if restoring && r != Role::Supervisor => {
            return Err(bad(format!(
                "only supervisors restore the ledger, and {me} is not one"
            )))
        }
        Some(_) => {}
    }
    match cmd {
        LedgerCmd::Backup { file } => {
            let c = home.backup_ledger(&secrets, &file)?;
            home.open_ledger(&secrets)?.audit(
                &me,
                "ledger.backup",
                &file.display().to_string(),
                &format!("{} entries, head {}", c.entries, c.head),
            )?;
            outln!(
                "backed up {} to {}",
                home.ledger_path().display(),
                file.display()
            )?;
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
            outln!(
                "restored {} from {}",
                home.ledger_path().display(),
                file.display()
            )?;
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
