//! `actline ledger backup / restore`: where the home is, as its owner (the
//! service's user), since they copy the whole file.

pub use super::args::LedgerCmd;
use super::bad;
use actline::home::{Copied, Home};
use anyhow::Result;

pub fn run(home: &Home, server: Option<&str>, cmd: LedgerCmd) -> Result<()> {
    if let Some(url) = server {
        return Err(bad(format!(
            "`actline ledger` copies the ledger file, so it runs where the home is, as its owner, not through {url}: run `actline --home HOME ledger …` on the service's machine"
        )));
    }
    let secrets = home.secrets()?;
    match cmd {
        LedgerCmd::Backup { file } => {
            let c = home.backup_ledger(&secrets, &file)?;
            outln!(
                "backed up {} to {}",
                home.ledger_path().display(),
                file.display()
            )?;
            summary(&c)
        }
        LedgerCmd::Restore { file } => {
            let r = home.restore_ledger(&secrets, &file)?;
            outln!(
                "restored {} from {}",
                home.ledger_path().display(),
                file.display()
            )?;
            summary(&r.restored)?;
            outln!("  the ledger as it was is in {}:", r.kept_in.display())?;
            summary(&r.replaced)?;
            if r.replaced.activations > r.restored.activations {
                eprintln!(
                    "actline: {} activations recorded after the backup are not in the restored ledger; their machines still verify, and their seats count again only if recorded again",
                    r.replaced.activations - r.restored.activations
                );
            }
            Ok(())
        }
    }
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
