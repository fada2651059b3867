//! actline: an offline telephone activation engine for a software vendor's
//! own products.
//!
//! A customer's machine makes an [installation ID](ids::InstallationId) from
//! its [hardware fingerprint](fingerprint) and its [product key](keys); the
//! caller reads it to an IVR or an agent; the [entitlement rules](entitlement)
//! decide; on a grant the engine makes a [confirmation ID](confirm) that the
//! machine verifies offline ([client]). The [ledger] records keys,
//! activations and an audit trail; the [vendor home](home) holds the secrets.
//!
//! The formats ([`ids`], [`keys`], [`fingerprint`], [`days`], the reading
//! and verifying side of [`confirm`]) live in the `actline-formats` crate,
//! and the customer's side ([`client`]) in `actline-client`, the library a
//! vendor embeds in its product; both are re-exported here.
//!
//! This library never imports the command line or the terminal UI.
#![deny(missing_docs)]

pub use actline_client as client;
pub use actline_engine::{confirm, display, entitlement, home, ledger, service};
pub use actline_formats::{days, fingerprint, hex, ids, keys};

pub use actline_audio as audio;
pub use actline_ivr as ivr;
pub use actline_sip as sip;
pub use actline_voice as voice;

pub mod fuzzing;
pub mod line;
