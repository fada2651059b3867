//! `actline signing-key`: rotating the key that signs confirmation IDs.
//! Where the home is, as its owner (it writes the secrets), for staff who
//! are supervisors; every change is in the audit trail.

pub use super::args::SigningKeyCmd;
use super::bad;
use actline::entitlement::rules::Role;
use actline::home::{os_user, Home};
use anyhow::Result;

pub fn run(home: &Home, server: Option<&str>, cmd: SigningKeyCmd) -> Result<()> {
    if let Some(url) = server {
        return Err(bad(format!(
            "`actline signing-key` writes the home's secrets, so it runs where the home is, as its owner, not through {url}"
        )));
    }
    let secrets = home.secrets()?;
    let mut ledger = home.open_ledger(&secrets)?;
    let me = os_user();
    if let SigningKeyCmd::List = cmd {
        let record = home.signing_keys()?;
        for (n, e) in &record.keys {
            let state = match (&e.retired, *n == record.current) {
                (Some(when), _) => format!("retired {when}"),
                (None, true) => "signs".into(),
                (None, false) => "ready (not in use)".into(),
            };
            outln!(
                "{n:>3}  {state:<30} made {:<20}  public {}…",
                e.made.as_deref().unwrap_or("at init"),
                &e.public[..16.min(e.public.len())]
            )?;
        }
        return Ok(());
    }
    if ledger.role(&me)? != Some(Role::Supervisor) {
        return Err(bad(format!(
            "only supervisors rotate signing keys, and {me} is not one"
        )));
    }
    let (action, number, said) = match cmd {
        SigningKeyCmd::List => unreachable!("answered above"),
        SigningKeyCmd::New => {
            let n = home.new_signing_key()?;
            (
                "signing.new",
                n,
                format!("made signing key {n}; it signs nothing yet: export the trust files for clients (actline trust export), then `actline signing-key use {n}`"),
            )
        }
        SigningKeyCmd::Use { number } => {
            home.use_signing_key(number)?;
            (
                "signing.use",
                number,
                format!("new confirmation IDs are signed with key {number} (restart `actline serve` if it runs)"),
            )
        }
        SigningKeyCmd::Retire { number } => {
            home.retire_signing_key(number)?;
            (
                "signing.retire",
                number,
                format!("signing key {number} is retired: its private half is destroyed, and what it signed still verifies"),
            )
        }
    };
    let record = home.signing_keys()?;
    let public = record
        .keys
        .get(&number)
        .map(|e| e.public.clone())
        .unwrap_or_default();
    ledger.audit(
        &me,
        action,
        &format!("signing key {number}"),
        &format!("public key {public}"),
    )?;
    // The vendor's own trust file lists every key.
    home.write_trust(&home.secrets()?, &ledger.catalog()?)?;
    outln!("{said}")?;
    Ok(())
}
