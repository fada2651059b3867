//! What the benchmarks share.

use actline::fingerprint::HardwareHash;

/// A machine per number, its component digests spread like real ones.
pub fn hw(n: u64) -> HardwareHash {
    HardwareHash::numbered(n)
}
