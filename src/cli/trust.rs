//! `actline trust export`: the trust file a product's clients need, and
//! nothing of any other product.

pub use super::args::TrustCmd;
use super::backend::{expect_reply, Backend};
use super::bad;
use actline::client::files::write_private;
use actline::service::Request;
use anyhow::Result;

pub fn run(backend: &Backend, cmd: TrustCmd) -> Result<()> {
    match cmd {
        TrustCmd::Export { product, out } => {
            let t = expect_reply!(backend.call(Request::TrustExport { product })?, Trust);
            let json = serde_json::to_string_pretty(&t.trust)?;
            if super::stdio::is_stdio(&out) {
                // The file on standard output, the words on standard error.
                return super::stdio::write(&out, format!("{json}\n").as_bytes());
            }
            backend.refuse_output(&out)?;
            write_private(&out, json.as_bytes())
                .map_err(|e| bad(format!("{}: {e}", out.display())))?;
            let what = if t.compact {
                "its verification secret"
            } else {
                "the vendor's public key"
            };
            outln!(
                "wrote {}: trust for {} only ({what}, its setup secret, the fingerprint salt); give it to {}'s clients",
                out.display(),
                actline::display::visible(&t.product),
                actline::display::visible(&t.product),
            )?;
        }
    }
    Ok(())
}
