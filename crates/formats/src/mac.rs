//! HMAC-SHA-256: the one keyed hash behind key authenticators, key proofs,
//! fingerprint digests, compact confirmation IDs, derived secrets and the
//! client's seal.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// HMAC-SHA-256 of the concatenation of `parts` under `key`.
pub fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut m = <Hmac<Sha256>>::new_from_slice(key).expect("HMAC takes any key length");
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().into()
}
