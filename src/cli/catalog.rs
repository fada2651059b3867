//! `actline catalog` and `actline agreement`: load or show the rules' data.

pub use super::args::{AgreementCmd, CatalogCmd};
use super::backend::{expect_reply, Backend};
use actline::display::visible;
use actline::service::Request;
use anyhow::Result;
use std::path::Path;

/// The file's name (as messages and the audit trail show it) and text.
fn read(file: &Path) -> Result<(String, String)> {
    let (name, text) = super::stdio::read_text(file)?;
    Ok((name.display().to_string(), text))
}

pub fn catalog(backend: &Backend, cmd: CatalogCmd) -> Result<()> {
    match cmd {
        CatalogCmd::Load { file } => {
            let (source, text) = read(&file)?;
            let n = expect_reply!(
                backend.call(Request::CatalogLoad {
                    source: source.clone(),
                    text
                })?,
                Loaded
            );
            outln!(
                "loaded {} products from {source}; trust file updated",
                n.count
            )?;
        }
        CatalogCmd::Show { json } => {
            let c = expect_reply!(backend.call(Request::CatalogShow)?, Catalog);
            if json {
                outln!("{}", serde_json::to_string_pretty(&c)?)?;
                return Ok(());
            }
            for (family, versions) in c.families() {
                outln!("{}", visible(family))?;
                for p in versions {
                    outln!(
                        "  {:<12} code {:<5} version {:<3} {:<11} {:<7} site threshold {}{}",
                        visible(&p.name),
                        p.code,
                        p.version,
                        p.class.name(),
                        p.profile.name(),
                        c.threshold(p),
                        if p.own_key { ", needs its own key" } else { "" }
                    )?;
                }
            }
            for h in &c.hosts {
                outln!(
                    "host {} activates {}",
                    visible(&h.host),
                    visible(&h.activates.join(", "))
                )?;
            }
        }
    }
    Ok(())
}

pub fn agreement(backend: &Backend, cmd: AgreementCmd) -> Result<()> {
    match cmd {
        AgreementCmd::Load { file } => {
            let (source, text) = read(&file)?;
            let n = expect_reply!(
                backend.call(Request::AgreementsLoad {
                    source: source.clone(),
                    text
                })?,
                Loaded
            );
            outln!("loaded {} agreements from {source}", n.count)?;
        }
        AgreementCmd::List { json } => {
            let list = expect_reply!(backend.call(Request::AgreementList)?, Agreements).agreements;
            if json {
                outln!("{}", serde_json::to_string_pretty(&list)?)?;
                return Ok(());
            }
            for a in &list {
                outln!(
                    "{:<8} {:<14} {}",
                    visible(&a.id),
                    a.program.label(),
                    visible(&a.customer)
                )?;
            }
        }
        AgreementCmd::Show { id, json } => {
            let d = expect_reply!(backend.call(Request::AgreementShow { id })?, Agreement);
            if json {
                let names = super::json::Names::of(backend)?;
                let keys: Vec<_> = d.keys.iter().map(|u| names.usage(u)).collect();
                return super::json::print(&serde_json::json!({
                    "agreement": d.agreement, "allowance": d.allowance, "affiliates": d.affiliates,
                    "keys": keys, "activations": names.activations(&d.activations)
                }));
            }
            let a = &d.agreement;
            outln!(
                "{} — {}",
                visible(&a.label()),
                a.level
                    .map(|l| format!("level {l:?}"))
                    .or(a.licences.map(|n| format!("{n} licences")))
                    .unwrap_or_default()
            )?;
            if let Some(p) = &a.parent {
                outln!("affiliate of {}: may use its keys", visible(p))?;
            }
            if !d.affiliates.is_empty() {
                outln!("affiliates: {}", visible(&d.affiliates.join(", ")))?;
            }
            for k in &d.keys {
                outln!(
                    "  {} {:<9} {} used, {} left{}",
                    k.key.key,
                    k.key.kind.name(),
                    k.used,
                    k.left,
                    if k.key.revoked { " (revoked)" } else { "" }
                )?;
            }
            outln!("{} activations recorded", d.activations.len())?;
        }
    }
    Ok(())
}
