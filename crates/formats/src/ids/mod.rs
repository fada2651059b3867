//! Identifiers that people read aloud and type: digit groups with check digits.
//!
//! Every ID the engine shows (installation IDs, confirmation IDs) is a big
//! number written in decimal and cut into groups. The last digit of every
//! group is a [Damm](damm) check digit over the group, so a single wrong digit
//! or two swapped neighbours is caught the moment a group is complete, and the
//! caller is told which group to re-read. Payload-level integrity (a CRC, or a
//! signature) catches what slips past the group checks.
//!
//! - [`damm`]: the check digit.
//! - [`bits`]: bit packing and the conversion between bytes and decimal digits.
//! - [`groups`]: group layouts, formatting, and the nom parser for typed input.
//! - [`install`]: the installation ID layout.

pub use crate::bits;
pub mod damm;
pub mod groups;
pub mod install;

pub use groups::{GroupError, GroupErrorKind, Layout};
pub use install::{IidError, InstallationId};
