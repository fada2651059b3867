//! Confirmation IDs: the vendor's answer to an installation ID, typed into the
//! machine and verified there, offline.
//!
//! Two profiles, chosen per product in the catalog:
//!
//! - **signed** (default): a BLS12-381 signature in the minimal-signature-size
//!   variant (signature in G1, public key in G2), standard ciphersuite
//!   `BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_`, over the installation ID's
//!   22-byte canonical form and the granted terms. The 48-byte compressed
//!   signature loses its two constant flag bits (382 bits left), gains 16 bits
//!   of terms and is written as 20 groups of 7 digits (120 payload digits).
//!   The client holds only the public key: without the vendor's private key
//!   nobody can make a confirmation ID, even with all of the client's code.
//! - **compact**: 8 groups of 6 digits (40 payload digits, 132 bits): 16 bits of
//!   terms and a 116-bit HMAC-SHA-256 under a per-product verification secret.
//!   Shorter to read out, but the client must hold the secret, and whoever
//!   extracts it from a client can mint confirmation IDs for that product.
//!
//! Either way the ID covers the whole installation ID (product, key proof,
//! hardware, day), so a confirmation ID made for one machine or key fails on
//! every other.

use crate::ids::bits::{from_decimal, to_bytes, to_decimal, BitReader, BitWriter};
use crate::ids::groups::{join_groups, GroupError};
use crate::ids::{InstallationId, Layout};
use crate::keys::KeyKind;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Grouping of signed confirmation IDs.
pub const SIGNED_LAYOUT: Layout = Layout {
    groups: 20,
    group_len: 7,
};
/// Grouping of compact confirmation IDs.
pub const COMPACT_LAYOUT: Layout = Layout {
    groups: 8,
    group_len: 6,
};
/// The BLS ciphersuite (minimal-signature-size, basic scheme).
pub const DST: &[u8] = b"BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_";
const SIG_BITS: usize = 382;
const COMPACT_MAC_BITS: usize = 116;

/// Which confirmation ID profile a product uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// BLS12-381 signature, about 20 groups.
    #[default]
    Signed,
    /// Keyed MAC, 8 groups of 6 digits.
    Compact,
}

impl Profile {
    /// The grouping of this profile's IDs.
    pub fn layout(self) -> Layout {
        match self {
            Profile::Signed => SIGNED_LAYOUT,
            Profile::Compact => COMPACT_LAYOUT,
        }
    }

    /// The profile's name in files.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Signed => "signed",
            Profile::Compact => "compact",
        }
    }
}

/// What was granted, carried inside the confirmation ID (16 bits).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Terms {
    /// The kind of key the activation is under.
    pub kind: KeyKind,
    /// The grant reused an earlier activation of this machine.
    pub reactivation: bool,
}

impl Terms {
    fn to_u16(self) -> u16 {
        (self.kind.code() as u16) << 13 | (self.reactivation as u16) << 12
    }

    fn from_u16(v: u16) -> Option<Self> {
        if v & 0x0FFF != 0 {
            return None;
        }
        Some(Self {
            kind: KeyKind::from_code((v >> 13) as u8)?,
            reactivation: v >> 12 & 1 == 1,
        })
    }
}

/// The vendor's BLS signing key.
pub struct SigningKey(blst::min_sig::SecretKey);

/// What a client needs to verify one product's confirmation IDs.
#[derive(Clone, Debug)]
pub enum Verifier {
    /// The vendor's BLS public key (96 bytes compressed).
    Signed(blst::min_sig::PublicKey),
    /// The product's verification secret.
    Compact(Vec<u8>),
}

/// Why a confirmation ID was not accepted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfirmError {
    /// The digits as typed are wrong: a group's check digit, length or count.
    #[error("confirmation ID: {0}")]
    Typed(GroupError),
    /// Well-formed but not made by the vendor for this installation ID.
    #[error("the confirmation ID does not belong to this installation ID (wrong machine, key or product, or not issued by the vendor)")]
    Invalid,
    /// The public key or secret in the trust file is unusable.
    #[error("the trust file's key for this product is unusable")]
    BadTrust,
}

impl SigningKey {
    /// A new random key.
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut ikm = [0u8; 32];
        getrandom::fill(&mut ikm)?;
        Ok(Self(
            blst::min_sig::SecretKey::key_gen(&ikm, &[])
                .expect("32 bytes of key material is enough"),
        ))
    }

    /// The key from its 32-byte serialization.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        blst::min_sig::SecretKey::from_bytes(bytes).ok().map(Self)
    }

    /// The 32-byte serialization (secret!).
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The matching public key, compressed (96 bytes).
    pub fn public_key(&self) -> Vec<u8> {
        self.0.sk_to_pk().compress().to_vec()
    }
}

impl Verifier {
    /// A signed-profile verifier from a compressed public key.
    pub fn signed(public_key: &[u8]) -> Result<Self, ConfirmError> {
        let pk = blst::min_sig::PublicKey::key_validate(public_key)
            .map_err(|_| ConfirmError::BadTrust)?;
        Ok(Verifier::Signed(pk))
    }
}

fn message(iid: &InstallationId, terms: u16) -> Vec<u8> {
    let mut m = b"actline-cid-v1".to_vec();
    m.extend(iid.to_bytes());
    m.extend(terms.to_be_bytes());
    m
}

fn compact_mac(secret: &[u8], iid: &InstallationId, terms: u16) -> Vec<bool> {
    let digest = crate::mac::hmac(secret, &[b"actline-cid-compact-v1", &message(iid, terms)]);
    let mut w = BitWriter::new();
    w.push_bytes(&digest, COMPACT_MAC_BITS);
    w.finish()
}

fn write_id(layout: Layout, bits: &[bool]) -> String {
    // Both layouts hold their payload: 2^398 < 10^120 and 2^132 < 10^40.
    let digits = to_decimal(bits, layout.payload_digits()).unwrap_or_default();
    join_groups(&layout.encode(&digits), "-")
}

/// Makes a signed confirmation ID.
pub fn issue_signed(key: &SigningKey, iid: &InstallationId, terms: Terms) -> String {
    let t = terms.to_u16();
    let sig = key.0.sign(&message(iid, t), DST, &[]).compress();
    // Drop the compression and infinity flags (always 1 and 0).
    let mut rest = BitWriter::new();
    rest.push_bytes(&sig, 384);
    let mut w = BitWriter::new();
    w.push_bytes(&to_bytes(&rest.finish()[2..]), SIG_BITS);
    w.push(t as u64, 16);
    write_id(SIGNED_LAYOUT, &w.finish())
}

/// Makes a compact confirmation ID under a product's verification secret.
pub fn issue_compact(secret: &[u8], iid: &InstallationId, terms: Terms) -> String {
    let t = terms.to_u16();
    let mut w = BitWriter::new();
    let mac = compact_mac(secret, iid, t);
    w.push_bytes(&to_bytes(&mac), COMPACT_MAC_BITS);
    w.push(t as u64, 16);
    write_id(COMPACT_LAYOUT, &w.finish())
}

/// Verifies a typed confirmation ID against the installation ID it answers and
/// returns the granted terms.
pub fn verify(
    typed: &str,
    iid: &InstallationId,
    verifier: &Verifier,
) -> Result<Terms, ConfirmError> {
    let layout = match verifier {
        Verifier::Signed(_) => SIGNED_LAYOUT,
        Verifier::Compact(_) => COMPACT_LAYOUT,
    };
    let digits = layout.parse(typed).map_err(ConfirmError::Typed)?;
    let nbits = match verifier {
        Verifier::Signed(_) => 16 + SIG_BITS,
        Verifier::Compact(_) => 16 + COMPACT_MAC_BITS,
    };
    let bits = from_decimal(&digits, nbits).ok_or(ConfirmError::Invalid)?;
    // The signature or MAC comes first, the 16 bits of terms last.
    let body_bits = nbits - 16;
    let mut r = BitReader::new(&bits[body_bits..]);
    let t = r.read(16) as u16;
    let terms = Terms::from_u16(t).ok_or(ConfirmError::Invalid)?;
    let mut r = BitReader::new(&bits[..body_bits]);
    match verifier {
        Verifier::Signed(pk) => {
            let mut w = BitWriter::new();
            w.push(0b10, 2);
            w.push_bytes(&r.read_bytes(SIG_BITS), SIG_BITS);
            let sig = blst::min_sig::Signature::uncompress(&to_bytes(&w.finish()))
                .map_err(|_| ConfirmError::Invalid)?;
            let ok = sig.verify(true, &message(iid, t), DST, &[], pk, true);
            if ok != blst::BLST_ERROR::BLST_SUCCESS {
                return Err(ConfirmError::Invalid);
            }
        }
        Verifier::Compact(secret) => {
            let got: Vec<bool> = bits[..body_bits].to_vec();
            let want = compact_mac(secret, iid, t);
            // Compare without an early exit.
            if got
                .iter()
                .zip(&want)
                .fold(0u8, |acc, (a, b)| acc | (a ^ b) as u8)
                != 0
                || got.len() != want.len()
            {
                return Err(ConfirmError::Invalid);
            }
        }
    }
    Ok(terms)
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fingerprint::HardwareHash;

    fn iid(serial: u64, machine: u64) -> InstallationId {
        InstallationId {
            product: 7,
            key_serial: serial,
            key_proof: 99,
            hardware: HardwareHash::numbered(machine),
            day: 2500,
        }
    }

    const TERMS: Terms = Terms {
        kind: KeyKind::Mak,
        reactivation: false,
    };

    #[test]
    fn a_signed_id_is_20_groups_and_verifies_only_for_its_installation() {
        let sk = SigningKey::generate().unwrap();
        let v = Verifier::signed(&sk.public_key()).unwrap();
        let id = iid(1, 1);
        let cid = issue_signed(&sk, &id, TERMS);
        assert_eq!(cid.split('-').count(), 20);
        assert_eq!(verify(&cid, &id, &v), Ok(TERMS));
        assert_eq!(
            verify(&cid, &iid(2, 1), &v),
            Err(ConfirmError::Invalid),
            "other key"
        );
        assert_eq!(
            verify(&cid, &iid(1, 2), &v),
            Err(ConfirmError::Invalid),
            "other machine"
        );
        let other = Verifier::signed(&SigningKey::generate().unwrap().public_key()).unwrap();
        assert_eq!(
            verify(&cid, &id, &other),
            Err(ConfirmError::Invalid),
            "other vendor"
        );
    }

    #[test]
    fn a_compact_id_is_8_groups_of_6_and_verifies_only_for_its_installation() {
        let id = iid(5, 3);
        let cid = issue_compact(b"product secret", &id, TERMS);
        assert_eq!(cid.len(), 8 * 6 + 7);
        let v = Verifier::Compact(b"product secret".to_vec());
        assert_eq!(verify(&cid, &id, &v), Ok(TERMS));
        assert_eq!(verify(&cid, &iid(5, 4), &v), Err(ConfirmError::Invalid));
        assert_eq!(
            verify(&cid, &id, &Verifier::Compact(b"other".to_vec())),
            Err(ConfirmError::Invalid)
        );
    }

    #[test]
    fn a_typo_in_a_confirmation_id_names_the_group() {
        let id = iid(5, 3);
        let cid = issue_compact(b"k", &id, TERMS);
        let mut chars: Vec<char> = cid.chars().collect();
        chars[8] = if chars[8] == '0' { '1' } else { '0' };
        let typed: String = chars.into_iter().collect();
        let err = verify(&typed, &id, &Verifier::Compact(b"k".to_vec())).unwrap_err();
        assert!(err.to_string().contains("group 2"), "{err}");
    }

    #[test]
    fn a_consistent_edit_of_a_signed_id_is_refused() {
        let sk = SigningKey::generate().unwrap();
        let v = Verifier::signed(&sk.public_key()).unwrap();
        let id = iid(1, 1);
        let cid = issue_signed(&sk, &id, TERMS);
        let mut payload = SIGNED_LAYOUT.parse(&cid).unwrap();
        payload[50] = (payload[50] + 1) % 10;
        assert_eq!(
            verify(&SIGNED_LAYOUT.format(&payload), &id, &v),
            Err(ConfirmError::Invalid)
        );
    }
}
