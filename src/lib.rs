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
//! This library never imports the command line or the terminal UI.
#![deny(missing_docs)]

pub mod client;
pub mod confirm;
pub mod days;
pub mod display;
pub mod entitlement;
pub mod fingerprint;
pub mod fuzzing;
pub mod home;
pub mod ids;
pub mod ivr;
pub mod keys;
pub mod ledger;
mod mac;
pub mod voice;
