//! actline's formats: everything the vendor's engine and the customer's
//! machine must agree on, with no I/O, no database and no user interface.
//!
//! - [`ids`]: digit groups and check digits, the installation ID;
//! - [`keys`]: product keys;
//! - [`fingerprint`]: hardware digests and the one rule that says whether two
//!   fingerprints are the same machine;
//! - [`confirm`]: confirmation IDs (reading, verifying, writing);
//! - [`bits`], [`days`], [`hex`], [`mac`]: the small pieces they share.
//!
//! Modules depend on each other in one direction only: `bits`, `mac`, `hex`
//! and `days` on nothing; `keys` on `mac`; `fingerprint` on `bits` and
//! `mac`; `ids` on those; `confirm` on `ids`.
//!
//! Both `actline` (the vendor's engine) and `actline-client` (the library a
//! vendor embeds in its product) build on this crate.
#![deny(missing_docs)]

pub mod bits;
pub mod confirm;
pub mod days;
pub mod fingerprint;
pub mod hex;
pub mod ids;
pub mod keys;
pub mod mac;
