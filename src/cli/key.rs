//! `actline key`: issue and look up product keys, change limits, revoke.

pub use super::args::KeyCmd;
use super::backend::{expect_reply, Backend};
use super::json::{print, Names};
use actline::display::visible;
use actline::keys::KeyKind;
use actline::service::Request;
use anyhow::Result;

pub fn run(backend: &Backend, cmd: KeyCmd) -> Result<()> {
    match cmd {
        KeyCmd::Issue {
            product,
            kind,
            activations,
            agreement,
            reason,
            idempotency_key,
            json,
        } => {
            let rec = expect_reply!(
                backend.call_keyed(
                    Request::KeyIssue {
                        product,
                        kind: kind.parse::<KeyKind>().map_err(super::bad)?,
                        activations,
                        agreement,
                        reason,
                    },
                    idempotency_key.as_deref()
                )?,
                Key
            );
            if json {
                return print(&Names::of(backend)?.key(&rec, Some((0, rec.limit))));
            }
            outln!("{}", rec.key)?;
        }
        KeyCmd::List {
            query,
            product,
            limit,
            json,
        } => {
            let keys = expect_reply!(
                backend.call(Request::KeySearch {
                    query: query.unwrap_or_default(),
                    product,
                    limit: Some(limit as usize),
                })?,
                Keys
            )
            .keys;
            if json {
                let names = Names::of(backend)?;
                return print(&keys.iter().map(|u| names.usage(u)).collect::<Vec<_>>());
            }
            for u in &keys {
                outln!(
                    "{} {:>12} {:<9} {:>5} used {:>5} left  {}{}",
                    u.key.key,
                    u.key.serial,
                    u.key.kind.name(),
                    u.used,
                    u.left,
                    visible(u.key.agreement.as_deref().unwrap_or("(direct)")),
                    if u.key.revoked { " (revoked)" } else { "" }
                )?;
            }
        }
        KeyCmd::Show { key, json } => {
            let d = expect_reply!(backend.call(Request::KeyShow { key })?, KeyDetail);
            if json {
                let names = Names::of(backend)?;
                let mut v = names.key(&d.key, Some((d.used, d.left)));
                v["activations"] = names.activations(&d.activations);
                return print(&v);
            }
            let rec = &d.key;
            outln!("key        {}", rec.key)?;
            outln!("kind       {}", rec.kind)?;
            outln!("product    {}", visible(&d.product))?;
            outln!(
                "agreement  {}",
                visible(rec.agreement.as_deref().unwrap_or("(direct)"))
            )?;
            if rec.revoked {
                outln!(
                    "seats      revoked: {} used, 0 left (the limit was {})",
                    d.used,
                    rec.limit
                )?;
            } else {
                outln!(
                    "seats      {} used, {} left of {}",
                    d.used,
                    d.left,
                    rec.limit
                )?;
            }
            for a in &d.activations {
                outln!(
                    "  #{:<5} {} {:<8} {}{}",
                    a.id,
                    a.created_at,
                    a.decision,
                    visible(a.label.as_deref().unwrap_or_default()),
                    if a.released { " (seat released)" } else { "" }
                )?;
            }
        }
        KeyCmd::Limit { key, limit, reason } => {
            let rec = expect_reply!(backend.call(Request::KeyLimit { key, limit, reason })?, Key);
            outln!("limit of {} is now {}", rec.key, rec.limit)?;
        }
        KeyCmd::Revoke { key, reason } => {
            let rec = expect_reply!(backend.call(Request::KeyRevoke { key, reason })?, Key);
            outln!("{} is revoked: it activates nothing more", rec.key)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_kinds_the_command_line_offers_are_every_key_kind() {
        let cmd = crate::cli::args::Cli::command();
        let issue = cmd
            .find_subcommand("key")
            .and_then(|k| k.find_subcommand("issue"))
            .unwrap();
        let kind = issue
            .get_arguments()
            .find(|a| a.get_id() == "kind")
            .unwrap();
        let offered: Vec<String> = kind
            .get_possible_values()
            .iter()
            .map(|v| v.get_name().to_string())
            .collect();
        let all: Vec<String> = KeyKind::ALL.iter().map(|k| k.name().to_string()).collect();
        assert_eq!(offered, all);
    }
}
