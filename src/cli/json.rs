//! What `--json` prints: one vocabulary for every command.
//!
//! - `product` is always the product's catalog name, and `product_code` its
//!   number where a record carries one (an activation, a key).
//! - A key is one flat object: `key` (the key itself), `serial`, `kind`,
//!   `product`, `product_code`, `agreement`, `limit`, `revoked`, and where
//!   the seats are known, `used` and `left`.
//! - An activation is `id`, `key_serial`, `product`, `product_code`,
//!   `installation_id`, `decision`, …, as the ledger records it.
//!   (`activate --json` names its number `activation`, as the seat-release
//!   reply does.)

use super::backend::{expect_reply, Backend};
use actline::entitlement::{Catalog, KeyRecord};
use actline::ledger::{ActivationRow, KeyUsage};
use actline::service::Request;
use anyhow::Result;
use serde_json::{json, Value};

/// Product names by code, from the engine's catalog.
pub struct Names(Catalog);

impl Names {
    /// The catalog, asked of the engine once.
    pub fn of(backend: &Backend) -> Result<Self> {
        Ok(Self(expect_reply!(
            backend.call(Request::CatalogShow)?,
            Catalog
        )))
    }

    /// The name of the product with `code`; `null` for a code the catalog
    /// no longer has.
    fn name(&self, code: u16) -> Value {
        self.0
            .by_code(code)
            .map_or(Value::Null, |p| Value::from(p.name.clone()))
    }

    /// A key, with its seats when they are known.
    pub fn key(&self, k: &KeyRecord, seats: Option<(u32, u32)>) -> Value {
        let mut v = json!({
            "key": k.key,
            "serial": k.serial,
            "kind": k.kind.name(),
            "product": self.name(k.product),
            "product_code": k.product,
            "agreement": k.agreement,
            "limit": k.limit,
            "revoked": k.revoked,
        });
        if let Some((used, left)) = seats {
            v["used"] = used.into();
            v["left"] = left.into();
        }
        v
    }

    /// A key and its seats.
    pub fn usage(&self, u: &KeyUsage) -> Value {
        self.key(&u.key, Some((u.used, u.left)))
    }

    /// An activation as recorded.
    pub fn activation(&self, a: &ActivationRow) -> Value {
        let mut v = serde_json::to_value(a).unwrap_or(Value::Null);
        v["product"] = self.name(a.product);
        v["product_code"] = a.product.into();
        v
    }

    /// Activations as recorded.
    pub fn activations(&self, rows: &[ActivationRow]) -> Value {
        rows.iter().map(|a| self.activation(a)).collect()
    }
}

/// Prints `v` as pretty JSON on standard output.
pub fn print(v: &impl serde::Serialize) -> Result<()> {
    outln!("{}", serde_json::to_string_pretty(v)?)?;
    Ok(())
}
