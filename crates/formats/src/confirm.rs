//! Confirmation IDs: the vendor's answer to an installation ID, typed into the
//! machine and verified there, offline. This module reads, verifies and
//! writes them; making one needs the vendor's private key or a product
//! secret, and the engine makes them only from a granted decision.
//!
//! Two profiles, chosen per product in the catalog:
//!
//! - **signed** (default): a BLS12-381 signature in the minimal-signature-size
//!   variant (signature in G1, public key in G2), standard ciphersuite
//!   `BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_`, over the installation ID's
//!   25-byte canonical form and the granted terms. The 48-byte compressed
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

/// What was granted, carried inside the confirmation ID (16 bits: 3 for the
/// key kind, 1 for reactivation, 4 reserved and zero, 8 for the signing key).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Terms {
    /// The kind of key the activation is under.
    pub kind: KeyKind,
    /// The grant reused an earlier activation of this machine.
    pub reactivation: bool,
    /// Which of the vendor's signing keys signed it (signed profile; 0 for
    /// the first key and for every compact ID). Confirmation IDs made before
    /// keys could be rotated carry 0.
    #[serde(default)]
    pub key: u8,
}

impl Terms {
    fn to_u16(self) -> u16 {
        (self.kind.code() as u16) << 13 | (self.reactivation as u16) << 12 | self.key as u16
    }

    fn from_u16(v: u16) -> Option<Self> {
        if v & 0x0F00 != 0 {
            return None;
        }
        Some(Self {
            kind: KeyKind::from_code((v >> 13) as u8)?,
            reactivation: v >> 12 & 1 == 1,
            key: (v & 0xFF) as u8,
        })
    }
}

/// What a client needs to verify one product's confirmation IDs.
#[derive(Clone, Debug)]
pub enum Verifier {
    /// The vendor's BLS public keys (96 bytes compressed each), by key
    /// number: every key that ever signed, retired ones included.
    Signed(std::collections::BTreeMap<u8, blst::min_sig::PublicKey>),
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
    /// Signed with a vendor key the trust file does not have (a key made
    /// after the trust file was exported).
    #[error("the confirmation ID is signed with the vendor's key {0}, which this trust file does not have: install the product's current trust file (`actline trust export`)")]
    UnknownKey(u8),
}

impl Verifier {
    /// A signed-profile verifier with one compressed public key, number 0.
    pub fn signed(public_key: &[u8]) -> Result<Self, ConfirmError> {
        Self::signed_keys([(0, public_key)])
    }

    /// A signed-profile verifier with the vendor's public keys by number.
    pub fn signed_keys<'a>(
        keys: impl IntoIterator<Item = (u8, &'a [u8])>,
    ) -> Result<Self, ConfirmError> {
        let keys = keys
            .into_iter()
            .map(|(n, k)| {
                blst::min_sig::PublicKey::key_validate(k)
                    .map(|pk| (n, pk))
                    .map_err(|_| ConfirmError::BadTrust)
            })
            .collect::<Result<std::collections::BTreeMap<_, _>, _>>()?;
        if keys.is_empty() {
            return Err(ConfirmError::BadTrust);
        }
        Ok(Verifier::Signed(keys))
    }
}

/// The bytes a signed confirmation ID signs: the installation ID's canonical
/// form and the terms.
pub fn message(iid: &InstallationId, terms: Terms) -> Vec<u8> {
    message_bits(iid, terms.to_u16())
}

fn message_bits(iid: &InstallationId, terms: u16) -> Vec<u8> {
    let mut m = b"actline-cid-v1".to_vec();
    m.extend(iid.to_bytes());
    m.extend(terms.to_be_bytes());
    m
}

fn compact_mac(secret: &[u8], iid: &InstallationId, terms: u16) -> Vec<bool> {
    let digest = crate::mac::hmac(
        secret,
        &[b"actline-cid-compact-v1", &message_bits(iid, terms)],
    );
    let mut w = BitWriter::new();
    w.push_bytes(&digest, COMPACT_MAC_BITS);
    w.finish()
}

fn write_id(layout: Layout, bits: &[bool]) -> String {
    // Both layouts hold their payload: 2^398 < 10^120 and 2^132 < 10^40.
    let digits = to_decimal(bits, layout.payload_digits()).unwrap_or_default();
    join_groups(&layout.encode(&digits), "-")
}

/// Writes a signed confirmation ID from the vendor's signature over
/// [`message`] (48 bytes, compressed G1) and the terms it covers. Only the
/// holder of the private key can make a signature that [`verify`] accepts.
pub fn encode_signed(signature: &[u8; 48], terms: Terms) -> String {
    // Drop the compression and infinity flags (always 1 and 0).
    let mut rest = BitWriter::new();
    rest.push_bytes(signature, 384);
    let mut w = BitWriter::new();
    w.push_bytes(&to_bytes(&rest.finish()[2..]), SIG_BITS);
    w.push(terms.to_u16() as u64, 16);
    write_id(SIGNED_LAYOUT, &w.finish())
}

/// Writes a compact confirmation ID: the MAC of [`message`] under the
/// product's verification secret, and the terms. Only a holder of that
/// secret can make one.
pub fn encode_compact(secret: &[u8], iid: &InstallationId, terms: Terms) -> String {
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
        Verifier::Signed(keys) => {
            let pk = keys
                .get(&terms.key)
                .ok_or(ConfirmError::UnknownKey(terms.key))?;
            let mut w = BitWriter::new();
            w.push(0b10, 2);
            w.push_bytes(&r.read_bytes(SIG_BITS), SIG_BITS);
            let sig = blst::min_sig::Signature::uncompress(&to_bytes(&w.finish()))
                .map_err(|_| ConfirmError::Invalid)?;
            let ok = sig.verify(true, &message_bits(iid, t), DST, &[], pk, true);
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
