//! What the benchmarks share.

use actline::fingerprint::HardwareHash;

/// A machine per number, its component digests spread like real ones.
pub fn hw(n: u64) -> HardwareHash {
    let mut z = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    let n = z ^ (z >> 31);
    let mut parts = [0u8; 8];
    for (i, p) in parts.iter_mut().enumerate() {
        *p = ((n >> (i * 6)) & 63) as u8;
    }
    HardwareHash {
        parts,
        virtual_machine: false,
    }
}
