//! `actline key`: issue and look up product keys, change limits, revoke.

use super::backend::{expect_reply, Backend};
use super::json::{print, Names};
use actline::display::visible;
use actline::keys::KeyKind;
use actline::service::Request;
use anyhow::Result;
use clap::Subcommand;

#[derive(Subcommand, Debug)]
pub enum KeyCmd {
    /// Issue a product key; prints it.
    Issue {
        /// Product name from the catalog.
        #[arg(long)]
        product: String,
        /// mak, site-host, setup or retail.
        #[arg(long, default_value = "mak")]
        kind: KeyKind,
        /// Activations allowed (default: the agreement's allowance; 6 hosts for site-host; 1 for retail).
        #[arg(long)]
        activations: Option<u32>,
        /// Agreement (licensing ID) the key belongs to.
        #[arg(long)]
        agreement: Option<String>,
        /// Why it is issued (recorded in the audit trail next to the issue).
        #[arg(long)]
        reason: Option<String>,
        /// A retry with the same key returns the first key issued instead of a second one.
        #[arg(long, value_name = "KEY")]
        idempotency_key: Option<String>,
        /// JSON output: the key as `key show --json` gives it.
        #[arg(long)]
        json: bool,
    },
    /// List keys: all, one product's, or those a search finds (a whole key
    /// or serial, three or more characters of one, part of an agreement's
    /// number or customer's name).
    List {
        /// What to search for (nothing: every key).
        query: Option<String>,
        /// Only this product's keys.
        #[arg(long)]
        product: Option<String>,
        /// At most this many (1 to 500).
        #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u64).range(1..=500))]
        limit: u64,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Show a key: kind, product, agreement, seats used and left, activations.
    Show {
        /// The product key, or its serial as the audit trail prints it.
        key: String,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Change a key's activation limit (supervisors; audited).
    Limit {
        /// The product key, or its serial.
        key: String,
        /// The new limit.
        limit: u32,
        /// Why (recorded in the audit trail).
        #[arg(long)]
        reason: String,
    },
    /// Revoke a key (a leaked key, a refund): it activates nothing more; existing activations stay (supervisors; audited).
    Revoke {
        /// The product key, or its serial.
        key: String,
        /// Why (recorded in the audit trail).
        #[arg(long)]
        reason: String,
    },
}

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
                        kind,
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
