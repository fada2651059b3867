//! `actline trust export`: the trust file a product's clients need, and
//! nothing of any other product.

use super::bad;
use actline::confirm::Profile;
use actline::home::Home;
use anyhow::Result;
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Subcommand, Debug)]
pub enum TrustCmd {
    /// Write the trust file for clients of one product: the fingerprint salt
    /// and that product's public key (signed) or verification secret
    /// (compact) and setup secret. HOME/trust.json holds every product's
    /// secrets and is for the vendor only.
    Export {
        /// Product name from the catalog.
        #[arg(long)]
        product: String,
        /// The file to write (owner-only).
        #[arg(long)]
        out: PathBuf,
    },
}

pub fn run(home: &Home, cmd: TrustCmd) -> Result<()> {
    match cmd {
        TrustCmd::Export { product, out } => {
            let ledger = super::backend::open_ledger(home)?;
            let catalog = ledger.catalog()?;
            let p = actline::service::product_named(&catalog, &product)?;
            home.refuse_output(&out).map_err(|e| bad(e.to_string()))?;
            let secrets = home.secrets()?;
            home.export_trust(&secrets, p, &out)
                .map_err(|e| bad(e.to_string()))?;
            let what = match p.profile {
                Profile::Signed => "the vendor's public key",
                Profile::Compact => "its verification secret",
            };
            outln!(
                "wrote {}: trust for {} only ({what}, its setup secret, the fingerprint salt); give it to {}'s clients",
                out.display(),
                actline::display::visible(&p.name),
                actline::display::visible(&p.name),
            )?;
        }
    }
    Ok(())
}
