//! `actline init`: create a vendor home (always in this process: it makes
//! the secrets).

pub use super::args::InitArgs;
use actline::home::{os_user, Home};
use anyhow::Result;

pub fn run(home: &Home, a: &InitArgs) -> Result<()> {
    let me = os_user();
    let (_, _, catalog) = home.init(&me, a.demo)?;
    let trust = home.trust_path();
    outln!("initialised {}", home.dir().display())?;
    outln!("  ledger   {}", home.ledger_place())?;
    outln!(
        "  secrets  {} (owner-only)",
        home.dir().join("secrets").display()
    )?;
    outln!(
        "  trust    {} (every product's secrets: vendor-only; give clients `actline trust export --product P --out FILE`)",
        trust.display()
    )?;
    outln!("  staff    {me} (supervisor)")?;
    if a.demo {
        outln!(
            "  catalog  {} products, agreements loaded",
            catalog.products.len()
        )?;
    }
    Ok(())
}
