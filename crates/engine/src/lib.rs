//! actline's vendor engine: everything that decides and records, with no
//! command line, terminal UI, audio or network.
//!
//! - [`entitlement`]: the rules (pure): agreements, the catalog, decisions
//!   with traces a person can read;
//! - [`confirm`]: issuing confirmation IDs, only from a granted decision;
//! - [`home`]: the vendor home and its secrets;
//! - [`ledger`]: keys, activations and the tamper-evident audit trail;
//! - [`display`]: outside text made safe to print.
//!
//! Modules depend on each other in one direction: `entitlement` on the
//! formats; `confirm` on `entitlement`; `home` on `confirm`; `ledger` on
//! `home` (for the key secrets it stores).
#![deny(missing_docs)]

pub use actline_client as client;
use actline_formats::mac;
pub use actline_formats::{days, fingerprint, ids, keys};

pub mod confirm;
pub mod display;
pub mod entitlement;
pub mod home;
pub mod ledger;
pub mod service;
