//! The installation ID: what the customer's machine shows and the caller reads
//! out. 10 groups of 7 digits (70 digits, 60 of payload).
//!
//! Payload, 199 bits (all that 60 digits hold), most significant first:
//!
//! | bits | field |
//! |-----:|-------|
//! | 3  | format version (2) |
//! | 14 | product code from the catalog |
//! | 36 | product key serial number |
//! | 29 | proof of knowing the whole key: HMAC-SHA-256(key, product, hardware, day), truncated |
//! | 77 | hardware: virtual-machine flag, 5 presence bits, 71 digest bits ([`crate::fingerprint`]) |
//! | 16 | day of creation, counted from 2020-01-01 |
//! | 24 | CRC-24 (OpenPGP) of all the above |
//!
//! The payload is read as one number and written as 60 decimal digits. Any
//! single wrong digit fails its group's check digit; anything else fails the
//! CRC (one in sixteen million slips through, and then the key proof at the
//! vendor, one in half a billion) or leaves the 199-bit range.
//!
//! Format 1 (9 groups, 6-bit digests of eight components) carried too few
//! hardware bits to keep one seat per machine on large keys; this build
//! reads only formats 2 and 3.
//!
//! **Format 3, the host layout** ([`HOST_LAYOUT`], 14 groups of 7 digits, 84
//! of payload), is what a site activation host shows: the same fields, then
//! [`HOST_KEY_BITS`] (76) bits of the SHA-256 digest of the host's own public
//! key, so the vendor's confirmation ID, which signs the whole ID, vouches
//! for that key. Its payload is the digit 9 followed by 83 digits holding
//! the 275 bits (251 of fields, the CRC-24); a format 2 payload never starts
//! with 9 (2^199 < 9·10^59), so the first group typed tells the two apart
//! ([`layout_for`]); typed whole, 98 digits are a host ID.

use super::bits::{from_decimal, to_bytes, to_decimal, BitReader, BitWriter};
use super::groups::{join_groups, GroupError, GroupErrorKind, Layout};
use crate::fingerprint::{HardwareHash, HARDWARE_BITS};
use crate::keys::ProductKey;
use std::fmt;

/// The installation ID's grouping: 10 groups of 7 digits.
pub const LAYOUT: Layout = Layout {
    groups: 10,
    group_len: 7,
};
/// The host layout's grouping: 14 groups of 7 digits.
pub const HOST_LAYOUT: Layout = Layout {
    groups: 14,
    group_len: 7,
};
/// The format version this build writes and reads.
pub const FORMAT_VERSION: u8 = 2;
/// The format version of host installation IDs.
pub const HOST_FORMAT_VERSION: u8 = 3;
/// Bits of the host key's digest a host installation ID carries.
pub const HOST_KEY_BITS: u32 = 76;
/// The first payload digit of every host installation ID (and of none other).
pub const HOST_MARK: u8 = 9;
const BODY_BITS: usize = 3 + 14 + 36 + 29 + HARDWARE_BITS as usize + 16;
const HOST_BODY_BITS: usize = BODY_BITS + HOST_KEY_BITS as usize;
const CRC_BITS: u32 = 24;

/// The layout of an installation ID whose first group, already checked, starts
/// with `first`: the host layout for [`HOST_MARK`], the normal one
/// otherwise (what the IVR uses to know how many groups to ask for).
pub fn layout_for(first: u8) -> Layout {
    if first == HOST_MARK {
        HOST_LAYOUT
    } else {
        LAYOUT
    }
}

/// The 76-bit digest of a site host's public key, as a host installation ID
/// carries it: the first [`HOST_KEY_BITS`] bits of SHA-256 over a domain
/// tag and the key's bytes.
pub fn host_key_digest(public_key: &[u8]) -> u128 {
    use sha2::Digest;
    let d = sha2::Sha256::new()
        .chain_update(b"actline-site-host-key-v1")
        .chain_update(public_key)
        .finalize();
    let mut top = [0u8; 16];
    top.copy_from_slice(&d[..16]);
    u128::from_be_bytes(top) >> (128 - HOST_KEY_BITS)
}
const CRC: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_24_OPENPGP);

/// A decoded installation ID.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct InstallationId {
    /// Catalog code of the product being activated (14 bits).
    pub product: u16,
    /// Serial number of the product key (36 bits).
    pub key_serial: u64,
    /// Proof that the machine knows the whole key (29 bits).
    pub key_proof: u32,
    /// The machine's hardware fingerprint.
    pub hardware: HardwareHash,
    /// Day the ID was made, counted from 2020-01-01.
    pub day: u16,
    /// For a site host (format 3): the digest of its public key
    /// ([`host_key_digest`]), 76 bits.
    pub host_key: Option<u128>,
}

/// Why typed input is not an installation ID.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IidError {
    /// A grouping or check-digit error; `suggestion` is the corrected ID
    /// when exactly one digit was wrong and only one correction fits.
    #[error("{error}{}", suggestion.as_ref().map(|s| format!(" (did you mean {s}?)")).unwrap_or_default())]
    Group {
        /// What is wrong, and in which group.
        error: GroupError,
        /// The likely correct ID.
        suggestion: Option<String>,
    },
    /// Every group checks but the whole does not: more than one digit is wrong.
    #[error(
        "every group checks but the ID as a whole does not — re-read the whole installation ID"
    )]
    Integrity,
    /// A format version this build does not know.
    #[error("installation ID format version {0} is not supported by this version of actline")]
    Version(u8),
}

impl InstallationId {
    /// Makes the ID for `key` on `hardware` for `product`, on `day`.
    pub fn new(product: u16, key: &ProductKey, hardware: HardwareHash, day: u16) -> Self {
        Self::made(product, key, hardware, day, None)
    }

    /// Makes a site host's ID (format 3), which also carries the digest of
    /// the host's public key; the key proof covers that digest too.
    pub fn new_host(
        product: u16,
        key: &ProductKey,
        hardware: HardwareHash,
        day: u16,
        public_key: &[u8],
    ) -> Self {
        Self::made(
            product,
            key,
            hardware,
            day,
            Some(host_key_digest(public_key)),
        )
    }

    fn made(
        product: u16,
        key: &ProductKey,
        hardware: HardwareHash,
        day: u16,
        host_key: Option<u128>,
    ) -> Self {
        let mut id = Self {
            product: product & 0x3FFF,
            key_serial: key.serial(),
            key_proof: 0,
            hardware,
            day,
            host_key,
        };
        id.key_proof = key.proof(&id.proof_context());
        id
    }

    /// The layout this ID is written in.
    pub fn layout(&self) -> Layout {
        if self.host_key.is_some() {
            HOST_LAYOUT
        } else {
            LAYOUT
        }
    }

    /// The bytes a key proof is computed over: everything but the proof.
    pub fn proof_context(&self) -> Vec<u8> {
        let mut w = BitWriter::new();
        w.push(self.product as u64, 14).push(self.key_serial, 36);
        self.hardware.write_bits(&mut w);
        w.push(self.day as u64, 16);
        if let Some(k) = self.host_key {
            push_host_key(&mut w, k);
        }
        to_bytes(&w.finish())
    }

    /// True when `key` is the key this ID was made with.
    pub fn proves(&self, key: &ProductKey) -> bool {
        key.serial() == self.key_serial && key.proof(&self.proof_context()) == self.key_proof
    }

    fn body_bits(&self) -> Vec<bool> {
        let version = if self.host_key.is_some() {
            HOST_FORMAT_VERSION
        } else {
            FORMAT_VERSION
        };
        let mut w = BitWriter::new();
        w.push(version as u64, 3)
            .push(self.product as u64, 14)
            .push(self.key_serial, 36)
            .push(self.key_proof as u64 & 0x1FFF_FFFF, 29);
        self.hardware.write_bits(&mut w);
        w.push(self.day as u64, 16);
        if let Some(k) = self.host_key {
            push_host_key(&mut w, k);
        }
        w.finish()
    }

    /// The canonical binary form (25 bytes; 35 for a host): what
    /// confirmation IDs sign.
    pub fn to_bytes(&self) -> Vec<u8> {
        to_bytes(&self.payload_bits())
    }

    fn payload_bits(&self) -> Vec<bool> {
        let body = self.body_bits();
        let crc = CRC.checksum(&to_bytes(&body));
        let mut w = BitWriter::new();
        w.push_bytes(&to_bytes(&body), body.len())
            .push(crc as u64, CRC_BITS);
        w.finish()
    }

    /// The payload digits: 60, or 84 for a host.
    pub fn payload_digits(&self) -> Vec<u8> {
        if self.host_key.is_none() {
            // 2^199 < 10^60, so this always fits.
            return to_decimal(&self.payload_bits(), LAYOUT.payload_digits()).unwrap_or_default();
        }
        // 2^275 < 10^83: the mark, then 83 digits.
        let mut d = vec![HOST_MARK];
        d.extend(
            to_decimal(&self.payload_bits(), HOST_LAYOUT.payload_digits() - 1).unwrap_or_default(),
        );
        d
    }

    /// The ID as its groups of 7 digits (10, or 14 for a host).
    pub fn groups(&self) -> Vec<Vec<u8>> {
        self.layout().encode(&self.payload_digits())
    }

    /// Decodes the payload digits (check digits already removed): 60, or 84
    /// starting with [`HOST_MARK`] for a host.
    pub fn from_payload_digits(digits: &[u8]) -> Result<Self, IidError> {
        let host = digits.len() == HOST_LAYOUT.payload_digits() && digits[0] == HOST_MARK;
        let (number, body_bits, version) = if host {
            (&digits[1..], HOST_BODY_BITS, HOST_FORMAT_VERSION)
        } else if digits.len() == LAYOUT.payload_digits() {
            (digits, BODY_BITS, FORMAT_VERSION)
        } else {
            return Err(IidError::Integrity);
        };
        let bits =
            from_decimal(number, body_bits + CRC_BITS as usize).ok_or(IidError::Integrity)?;
        let (body, crc) = bits.split_at(body_bits);
        if CRC.checksum(&to_bytes(body)) as u64 != BitReader::new(crc).read(CRC_BITS) {
            return Err(IidError::Integrity);
        }
        let mut r = BitReader::new(body);
        let mut id = Self::read_fields(&mut r, version)?;
        if host {
            let hi = r.read(HOST_KEY_BITS - 64) as u128;
            let lo = r.read(64) as u128;
            id.host_key = Some(hi << 64 | lo);
        }
        Ok(id)
    }

    /// Reads the fields both formats share, after checking the version.
    fn read_fields(r: &mut BitReader, want: u8) -> Result<Self, IidError> {
        let version = r.read(3) as u8;
        if version != want {
            return Err(IidError::Version(version));
        }
        let product = r.read(14) as u16;
        let key_serial = r.read(36);
        let key_proof = r.read(29) as u32;
        let hardware = HardwareHash::read_bits(r).ok_or(IidError::Integrity)?;
        let day = r.read(16) as u16;
        Ok(Self {
            product,
            key_serial,
            key_proof,
            hardware,
            day,
            host_key: None,
        })
    }

    /// Reads an installation ID as typed. When exactly one group fails its
    /// check digit and exactly one single-digit correction of that group gives
    /// a valid ID, the error carries that correction.
    pub fn parse(input: &str) -> Result<Self, IidError> {
        // 98 digits are a host ID; anything else is read (and its errors
        // told) as a normal one.
        let digits =
            super::groups::read_groups(input).map_or(0, |g| g.iter().map(Vec::len).sum::<usize>());
        let layout = if digits == HOST_LAYOUT.groups * HOST_LAYOUT.group_len {
            HOST_LAYOUT
        } else {
            LAYOUT
        };
        let groups = layout.split(input).map_err(|error| IidError::Group {
            error,
            suggestion: None,
        })?;
        match layout.verify(&groups) {
            Ok(payload) => Self::from_payload_digits(&payload),
            Err(error) => {
                let suggestion = Self::correct_one_digit(layout, &groups).map(|id| id.to_string());
                Err(IidError::Group { error, suggestion })
            }
        }
    }

    /// The unique valid ID one digit away from `groups`, if there is one.
    fn correct_one_digit(layout: Layout, groups: &[Vec<u8>]) -> Option<Self> {
        let bad = layout.bad_groups(groups);
        let [g] = bad.as_slice() else { return None };
        let mut found = None;
        for pos in 0..layout.group_len {
            for d in 0..10u8 {
                let mut fixed = groups.to_vec();
                if fixed[g - 1][pos] == d {
                    continue;
                }
                fixed[g - 1][pos] = d;
                if let Ok(id) = layout
                    .verify(&fixed)
                    .map_err(|_| ())
                    .and_then(|p| Self::from_payload_digits(&p).map_err(|_| ()))
                {
                    if found.replace(id).is_some() {
                        return None;
                    }
                }
            }
        }
        found
    }

    /// Checks one group as typed, for live feedback (IVR, console).
    pub fn check_group(group: &[u8]) -> Result<(), GroupErrorKind> {
        LAYOUT.check_group(group)
    }
}

fn push_host_key(w: &mut BitWriter, k: u128) {
    w.push((k >> 64) as u64, HOST_KEY_BITS - 64)
        .push(k as u64, 64);
}

impl fmt::Display for InstallationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&join_groups(&self.groups(), "-"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn hw(parts: [u64; 5], present: u8, vm: bool) -> HardwareHash {
        let mut full = [None; 5];
        for (i, d) in full.iter_mut().enumerate() {
            if present >> i & 1 == 1 {
                *d = Some(parts[i].wrapping_mul(0x9E37_79B9_7F4A_7C15));
            }
        }
        HardwareHash::new(full, vm)
    }

    fn sample(serial: u64, parts: [u64; 5], day: u16) -> InstallationId {
        InstallationId {
            product: 101,
            key_serial: serial,
            key_proof: 0xABCDEF,
            hardware: hw(parts, 0b11111, false),
            day,
            host_key: None,
        }
    }

    proptest! {
        #[test]
        fn every_id_round_trips(serial in 0u64..(1 << 36), parts in proptest::array::uniform5(any::<u64>()), present in 0u8..32, day in any::<u16>(), product in 0u16..(1 << 14), proof in 0u32..(1 << 29), vm in any::<bool>()) {
            let id = InstallationId { product, key_serial: serial, key_proof: proof, hardware: hw(parts, present, vm), day, host_key: None };
            let text = id.to_string();
            prop_assert_eq!(text.len(), 70 + 9);
            prop_assert_eq!(InstallationId::parse(&text), Ok(id));
        }

        #[test]
        fn every_single_substitution_is_caught_and_corrected(serial in 0u64..(1 << 36), day in any::<u16>(), pos in 0usize..70, delta in 1u8..10) {
            let id = sample(serial, [1, 2, 3, 4, 5], day);
            let mut digits: Vec<u8> = id.groups().concat();
            digits[pos] = (digits[pos] + delta) % 10;
            let typed: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
            match InstallationId::parse(&typed) {
                Err(IidError::Group { error, suggestion }) => {
                    prop_assert_eq!(error.group, Some(pos / 7 + 1));
                    prop_assert_eq!(error.kind, GroupErrorKind::CheckDigit);
                    prop_assert_eq!(suggestion, Some(id.to_string()));
                }
                other => prop_assert!(false, "not caught: {:?}", other),
            }
        }

        #[test]
        fn every_adjacent_transposition_is_caught(serial in 0u64..(1 << 36), day in any::<u16>(), pos in 0usize..69) {
            let id = sample(serial, [9, 8, 7, 6, 5], day);
            let mut digits: Vec<u8> = id.groups().concat();
            prop_assume!(digits[pos] != digits[pos + 1]);
            digits.swap(pos, pos + 1);
            let typed: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
            prop_assert!(InstallationId::parse(&typed).is_err());
        }
    }

    proptest! {
        #[test]
        fn every_host_id_round_trips_in_14_groups_starting_with_9(serial in 0u64..(1 << 36), parts in proptest::array::uniform5(any::<u64>()), day in any::<u16>(), product in 0u16..(1 << 14), proof in 0u32..(1 << 29), key in any::<u128>()) {
            let id = InstallationId { product, key_serial: serial, key_proof: proof, hardware: hw(parts, 0b11111, false), day, host_key: Some(key >> (128 - HOST_KEY_BITS)) };
            let text = id.to_string();
            prop_assert_eq!(text.len(), 98 + 13);
            prop_assert!(text.starts_with('9'));
            prop_assert_eq!(InstallationId::parse(&text), Ok(id));
        }

        #[test]
        fn no_normal_id_starts_with_the_host_mark(serial in 0u64..(1 << 36), parts in proptest::array::uniform5(any::<u64>()), day in any::<u16>(), product in 0u16..(1 << 14), proof in 0u32..(1 << 29)) {
            let id = InstallationId { product, key_serial: serial, key_proof: proof, hardware: hw(parts, 0b11111, true), day, host_key: None };
            prop_assert!(id.payload_digits()[0] < HOST_MARK);
        }

        #[test]
        fn every_single_substitution_in_a_host_id_is_caught(serial in 0u64..(1 << 36), pos in 1usize..98, delta in 1u8..10) {
            let mut id = sample(serial, [4, 5, 6, 7, 8], 2500);
            id.host_key = Some(host_key_digest(b"some host"));
            let mut digits: Vec<u8> = id.groups().concat();
            digits[pos] = (digits[pos] + delta) % 10;
            let typed: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
            match InstallationId::parse(&typed) {
                Err(IidError::Group { error, suggestion }) => {
                    prop_assert_eq!(error.group, Some(pos / 7 + 1));
                    prop_assert_eq!(suggestion, Some(id.to_string()));
                }
                other => prop_assert!(false, "not caught: {:?}", other),
            }
        }
    }

    #[test]
    fn the_key_proof_of_a_host_id_covers_its_host_key() {
        let key = ProductKey::issue(&[7; 32], crate::keys::KeyKind::SiteHost, 42);
        let id = InstallationId::new_host(
            301,
            &key,
            hw([1; 5], 0b11111, false),
            2400,
            b"host public key",
        );
        assert!(id.proves(&key));
        let mut other = id;
        other.host_key = Some(host_key_digest(b"another key"));
        assert!(
            !other.proves(&key),
            "a changed host key fails the key proof"
        );
    }

    #[test]
    fn two_wrong_digits_in_different_groups_fail_without_a_guess() {
        let id = sample(12345, [1; 5], 2000);
        let mut g = id.groups();
        g[0][0] = (g[0][0] + 1) % 10;
        g[5][3] = (g[5][3] + 1) % 10;
        match InstallationId::parse(&join_groups(&g, " ")) {
            Err(IidError::Group {
                error,
                suggestion: None,
            }) => assert_eq!(error.group, Some(1)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_consistent_forgery_of_groups_fails_the_crc() {
        // Change a payload digit and recompute that group's check digit: every
        // group checks, the CRC does not.
        let id = sample(777, [3; 5], 2100);
        let mut payload = id.payload_digits();
        payload[20] = (payload[20] + 1) % 10;
        let typed = LAYOUT.format(&payload);
        assert_eq!(InstallationId::parse(&typed), Err(IidError::Integrity));
    }
}
