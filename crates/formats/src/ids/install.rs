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
//! reads only format 2.

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
/// The format version this build writes and reads.
pub const FORMAT_VERSION: u8 = 2;
const BODY_BITS: usize = 3 + 14 + 36 + 29 + HARDWARE_BITS as usize + 16;
const CRC_BITS: u32 = 24;
const PAYLOAD_BITS: usize = BODY_BITS + CRC_BITS as usize;
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
        let mut id = Self {
            product: product & 0x3FFF,
            key_serial: key.serial(),
            key_proof: 0,
            hardware,
            day,
        };
        id.key_proof = key.proof(&id.proof_context());
        id
    }

    /// The bytes a key proof is computed over: everything but the proof.
    pub fn proof_context(&self) -> Vec<u8> {
        let mut w = BitWriter::new();
        w.push(self.product as u64, 14).push(self.key_serial, 36);
        self.hardware.write_bits(&mut w);
        w.push(self.day as u64, 16);
        to_bytes(&w.finish())
    }

    /// True when `key` is the key this ID was made with.
    pub fn proves(&self, key: &ProductKey) -> bool {
        key.serial() == self.key_serial && key.proof(&self.proof_context()) == self.key_proof
    }

    fn body_bits(&self) -> Vec<bool> {
        let mut w = BitWriter::new();
        w.push(FORMAT_VERSION as u64, 3)
            .push(self.product as u64, 14)
            .push(self.key_serial, 36)
            .push(self.key_proof as u64 & 0x1FFF_FFFF, 29);
        self.hardware.write_bits(&mut w);
        w.push(self.day as u64, 16);
        w.finish()
    }

    /// The canonical binary form (25 bytes): what confirmation IDs sign.
    pub fn to_bytes(&self) -> Vec<u8> {
        to_bytes(&self.payload_bits())
    }

    fn payload_bits(&self) -> Vec<bool> {
        let body = self.body_bits();
        let crc = CRC.checksum(&to_bytes(&body));
        let mut w = BitWriter::new();
        w.push_bytes(&to_bytes(&body), BODY_BITS)
            .push(crc as u64, CRC_BITS);
        w.finish()
    }

    /// The 60 payload digits.
    pub fn payload_digits(&self) -> Vec<u8> {
        // 2^199 < 10^60, so this always fits.
        to_decimal(&self.payload_bits(), LAYOUT.payload_digits()).unwrap_or_default()
    }

    /// The ID as its 10 groups of 7 digits.
    pub fn groups(&self) -> Vec<Vec<u8>> {
        LAYOUT.encode(&self.payload_digits())
    }

    /// Decodes the 60 payload digits (check digits already removed).
    pub fn from_payload_digits(digits: &[u8]) -> Result<Self, IidError> {
        let bits = from_decimal(digits, PAYLOAD_BITS).ok_or(IidError::Integrity)?;
        let (body, crc) = bits.split_at(BODY_BITS);
        if CRC.checksum(&to_bytes(body)) as u64 != BitReader::new(crc).read(CRC_BITS) {
            return Err(IidError::Integrity);
        }
        let mut r = BitReader::new(body);
        let version = r.read(3) as u8;
        if version != FORMAT_VERSION {
            return Err(IidError::Version(version));
        }
        let product = r.read(14) as u16;
        let key_serial = r.read(36);
        let key_proof = r.read(29) as u32;
        let hardware = HardwareHash::read_bits(&mut r).ok_or(IidError::Integrity)?;
        let day = r.read(16) as u16;
        Ok(Self {
            product,
            key_serial,
            key_proof,
            hardware,
            day,
        })
    }

    /// Reads an installation ID as typed. When exactly one group fails its
    /// check digit and exactly one single-digit correction of that group gives
    /// a valid ID, the error carries that correction.
    pub fn parse(input: &str) -> Result<Self, IidError> {
        let groups = LAYOUT.split(input).map_err(|error| IidError::Group {
            error,
            suggestion: None,
        })?;
        match LAYOUT.verify(&groups) {
            Ok(payload) => Self::from_payload_digits(&payload),
            Err(error) => {
                let suggestion = Self::correct_one_digit(&groups).map(|id| id.to_string());
                Err(IidError::Group { error, suggestion })
            }
        }
    }

    /// The unique valid ID one digit away from `groups`, if there is one.
    fn correct_one_digit(groups: &[Vec<u8>]) -> Option<Self> {
        let bad = LAYOUT.bad_groups(groups);
        let [g] = bad.as_slice() else { return None };
        let mut found = None;
        for pos in 0..LAYOUT.group_len {
            for d in 0..10u8 {
                let mut fixed = groups.to_vec();
                if fixed[g - 1][pos] == d {
                    continue;
                }
                fixed[g - 1][pos] = d;
                if let Ok(id) = LAYOUT
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
        }
    }

    proptest! {
        #[test]
        fn every_id_round_trips(serial in 0u64..(1 << 36), parts in proptest::array::uniform5(any::<u64>()), present in 0u8..32, day in any::<u16>(), product in 0u16..(1 << 14), proof in 0u32..(1 << 29), vm in any::<bool>()) {
            let id = InstallationId { product, key_serial: serial, key_proof: proof, hardware: hw(parts, present, vm), day };
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
