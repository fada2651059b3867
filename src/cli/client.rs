//! `actline client`: the customer's machine.

pub use super::args::{ClientArgs, ClientCmd};
use super::{bad, failed};
use actline::client::{Client, Trust};
use actline::fingerprint::Components;
use anyhow::Result;
use std::path::PathBuf;

/// The machine to act as: a posed fingerprint file or this machine.
pub fn machine(file: &Option<PathBuf>) -> Result<Components> {
    match file {
        Some(f) => actline::client::read_fingerprint(f).map_err(|e| bad(e.to_string())),
        None => Ok(actline::client::collect()),
    }
}

pub fn run(a: ClientArgs) -> Result<()> {
    let dir = a.state.clone().unwrap_or_else(Client::default_dir);
    if let ClientCmd::Fingerprint = a.command {
        outln!(
            "{}",
            serde_json::to_string_pretty(&machine(&a.fingerprint)?)?
        )?;
        return Ok(());
    }
    let trust_path = a.trust.clone().unwrap_or_else(|| dir.join("trust.json"));
    let trust = Trust::load(&trust_path)?;
    let client = Client::new(dir, trust);
    let m = machine(&a.fingerprint)?;
    let today = actline::days::today();
    match a.command {
        ClientCmd::Iid { key, product } => match client.make_iid(&key, &product, &m, today)? {
            Some(iid) => outln!("{iid}")?,
            None => outln!("{product}: unlocked by a setup key — no activation needed")?,
        },
        ClientCmd::Confirm { cid, product } => {
            let terms = client.with_product(product).confirm(&cid, &m, today)?;
            outln!(
                "activated ({} key{})",
                terms.kind,
                if terms.reactivation {
                    ", reactivation"
                } else {
                    ""
                }
            )?;
        }
        ClientCmd::Status { json, product } => {
            let s = client.with_product(product).status(&m, today)?;
            if json {
                outln!("{}", serde_json::to_string_pretty(&s)?)?;
            } else {
                for line in s.describe().lines() {
                    outln!("{}", actline::display::visible(line))?;
                }
            }
            if let Some(reason) = s.ended() {
                return Err(failed(format!("activation ended: {reason}")));
            }
        }
        ClientCmd::Fingerprint => unreachable!("handled above"),
    }
    Ok(())
}
