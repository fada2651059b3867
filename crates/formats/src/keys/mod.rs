//! Product keys: 25 characters in 5 groups from the 24-letter alphabet
//! `BCDFGHJKMPQRTVWXY2346789` (no vowels, so no words; no 0/O, 1/I/L, 5/S).
//!
//! The first 24 characters are a base-24 number holding 110 bits:
//!
//! | bits | field |
//! |-----:|-------|
//! | 3  | key kind |
//! | 36 | serial number: random, unique in the ledger, so it says nothing about how many keys exist |
//! | 59 | authenticator: HMAC-SHA-256 under a vendor secret over kind and serial, truncated |
//! | 12 | CRC-12 (UMTS) over the above |
//!
//! The 25th character is a Luhn mod-24 check character over the first 24.
//! Any single wrong character fails the Luhn check; other typos fail it or the
//! CRC (one in 98,304 slips through both). All of that is checked offline, on
//! the customer's machine, before anything is sent. Only the vendor, holding
//! the secret, can tell a real key from a forged one with valid checksums:
//! guessing a 59-bit authenticator is hopeless.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The characters product keys are written in.
pub const ALPHABET: &[u8; 24] = b"BCDFGHJKMPQRTVWXY2346789";
const CRC12: crc::Crc<u16> = crc::Crc::<u16>::new(&crc::CRC_12_UMTS);
const SERIAL_BITS: u32 = 36;
const MAC_BITS: u32 = 59;

/// What a key is for. See the entitlement rules for what each allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum KeyKind {
    /// A number of activations; each distinct machine uses one.
    Mak,
    /// Activates at most 6 site activation hosts.
    SiteHost,
    /// Unlocks a product version without activation.
    Setup,
    /// One machine; staff may move it to a replacement.
    Retail,
}

impl KeyKind {
    /// All kinds, in code order.
    pub const ALL: [KeyKind; 4] = [
        KeyKind::Mak,
        KeyKind::SiteHost,
        KeyKind::Setup,
        KeyKind::Retail,
    ];

    /// The 3-bit code carried in the key.
    pub fn code(self) -> u8 {
        match self {
            KeyKind::Mak => 0,
            KeyKind::SiteHost => 1,
            KeyKind::Setup => 2,
            KeyKind::Retail => 3,
        }
    }

    /// The kind with a 3-bit code.
    pub fn from_code(code: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The name used in files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            KeyKind::Mak => "mak",
            KeyKind::SiteHost => "site-host",
            KeyKind::Setup => "setup",
            KeyKind::Retail => "retail",
        }
    }
}

impl fmt::Display for KeyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for KeyKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| {
                format!("unknown key kind {s:?} (expected mak, site-host, setup or retail)")
            })
    }
}

/// A product key whose checksums are correct. Whether it is authentic is a
/// separate question ([`ProductKey::is_authentic`]) only the vendor can answer.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ProductKey {
    chars: [u8; 25],
    kind: KeyKind,
    serial: u64,
    mac: u64,
}

/// Why a string is not a product key.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// Wrong number of key characters.
    #[error("a product key has 25 characters, found {0}")]
    Length(usize),
    /// A character outside the key alphabet, at a 1-based position among the key's characters.
    #[error("character {position} {ch:?} is not used in product keys (they use BCDFGHJKMPQRTVWXY2346789)")]
    Character {
        /// The character.
        ch: char,
        /// Its 1-based position, separators not counted.
        position: usize,
    },
    /// The checksums do not match: a typo.
    #[error("the key's checksum does not match — check each character")]
    Checksum,
}

fn mac(secret: &[u8], kind: KeyKind, serial: u64) -> u64 {
    let out = crate::mac::hmac(
        secret,
        &[b"actline-key-v1", &[kind.code()], &serial.to_be_bytes()],
    );
    u64::from_be_bytes([
        out[0], out[1], out[2], out[3], out[4], out[5], out[6], out[7],
    ]) >> (64 - MAC_BITS)
}

fn crc_of(kind: KeyKind, serial: u64, mac: u64) -> u16 {
    // 98 bits, left-aligned in 13 bytes.
    let v: u128 = ((kind.code() as u128) << 95 | (serial as u128) << 59 | mac as u128) << 6;
    CRC12.checksum(&v.to_be_bytes()[3..])
}

/// Luhn mod 24 check character value for `codes` (values 0..24).
fn luhn_check(codes: &[u8]) -> u8 {
    let n = 24u32;
    let mut factor = 2;
    let mut sum = 0u32;
    for &c in codes.iter().rev() {
        let addend = factor * c as u32;
        factor = if factor == 2 { 1 } else { 2 };
        sum += addend / n + addend % n;
    }
    ((n - sum % n) % n) as u8
}

impl ProductKey {
    /// Makes the key with this kind and serial (36 bits), authenticated with
    /// `secret`.
    pub fn issue(secret: &[u8], kind: KeyKind, serial: u64) -> Self {
        let serial = serial & ((1 << SERIAL_BITS) - 1);
        let mac = mac(secret, kind, serial);
        let crc = crc_of(kind, serial, mac);
        let mut v: u128 = (kind.code() as u128) << 107
            | (serial as u128) << 71
            | (mac as u128) << 12
            | crc as u128;
        let mut codes = [0u8; 25];
        for c in codes[..24].iter_mut().rev() {
            *c = (v % 24) as u8;
            v /= 24;
        }
        codes[24] = luhn_check(&codes[..24]);
        let chars = codes.map(|c| ALPHABET[c as usize]);
        Self {
            chars,
            kind,
            serial,
            mac,
        }
    }

    /// Reads a key as typed: any case, with or without dashes or spaces.
    /// Checks the characters and both checksums, not authenticity.
    pub fn parse(input: &str) -> Result<Self, KeyError> {
        let mut codes = Vec::with_capacity(25);
        for ch in input
            .chars()
            .filter(|c| !matches!(c, '-' | ' ' | '\t' | '.'))
        {
            let up = ch.to_ascii_uppercase();
            match ALPHABET.iter().position(|&a| a as char == up) {
                Some(i) => codes.push(i as u8),
                None => {
                    return Err(KeyError::Character {
                        ch,
                        position: codes.len() + 1,
                    })
                }
            }
        }
        if codes.len() != 25 {
            return Err(KeyError::Length(codes.len()));
        }
        if luhn_check(&codes[..24]) != codes[24] {
            return Err(KeyError::Checksum);
        }
        let v = codes[..24]
            .iter()
            .fold(0u128, |acc, &c| acc * 24 + c as u128);
        if v >> 110 != 0 {
            return Err(KeyError::Checksum);
        }
        let kind = KeyKind::from_code((v >> 107) as u8).ok_or(KeyError::Checksum)?;
        let serial = (v >> 71) as u64 & ((1 << SERIAL_BITS) - 1);
        let mac = (v >> 12) as u64 & ((1 << MAC_BITS) - 1);
        if crc_of(kind, serial, mac) != (v & 0xFFF) as u16 {
            return Err(KeyError::Checksum);
        }
        let mut chars = [0u8; 25];
        for (c, code) in chars.iter_mut().zip(&codes) {
            *c = ALPHABET[*code as usize];
        }
        Ok(Self {
            chars,
            kind,
            serial,
            mac,
        })
    }

    /// The serial number.
    pub fn serial(&self) -> u64 {
        self.serial
    }

    /// The key kind.
    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    /// True when the authenticator was made with `secret`. Constant-time.
    pub fn is_authentic(&self, secret: &[u8]) -> bool {
        let expected = mac(secret, self.kind, self.serial);
        (expected ^ self.mac) == 0
    }

    /// A 29-bit proof of knowing the whole key, bound to `context`: what an
    /// installation ID carries instead of the key.
    pub fn proof(&self, context: &[u8]) -> u32 {
        let out = crate::mac::hmac(&self.chars, &[b"actline-iid-proof-v1", context]);
        u32::from_be_bytes([out[0], out[1], out[2], out[3]]) >> 3
    }

    /// A short form for traces and logs: the last group, which is enough for a
    /// person to tell keys apart without exposing the key.
    pub fn short(&self) -> String {
        format!(
            "…{}",
            std::str::from_utf8(&self.chars[20..]).unwrap_or_default()
        )
    }
}

impl fmt::Display for ProductKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, chunk) in self.chars.chunks(5).enumerate() {
            if i > 0 {
                f.write_str("-")?;
            }
            f.write_str(std::str::from_utf8(chunk).map_err(|_| fmt::Error)?)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SECRET: &[u8] = b"vendor secret for tests";

    #[test]
    fn a_key_is_25_characters_in_5_groups_of_the_alphabet() {
        let k = ProductKey::issue(SECRET, KeyKind::Mak, 0x123456789);
        let s = k.to_string();
        assert_eq!(s.len(), 29);
        assert!(s
            .split('-')
            .all(|g| g.len() == 5 && g.bytes().all(|b| ALPHABET.contains(&b))));
    }

    proptest! {
        #[test]
        fn every_key_round_trips(serial in 0u64..(1 << 36), kind in 0u8..4) {
            let kind = KeyKind::from_code(kind).unwrap();
            let k = ProductKey::issue(SECRET, kind, serial);
            let back = ProductKey::parse(&k.to_string().to_lowercase()).unwrap();
            prop_assert_eq!(back.serial(), serial);
            prop_assert_eq!(back.kind(), kind);
            prop_assert!(back.is_authentic(SECRET));
            prop_assert!(!back.is_authentic(b"another vendor"));
        }

        #[test]
        fn every_single_character_typo_is_caught_offline(serial in 0u64..(1 << 36), pos in 0usize..25, delta in 1usize..24) {
            let k = ProductKey::issue(SECRET, KeyKind::Mak, serial);
            let mut chars: Vec<u8> = k.to_string().bytes().filter(|b| *b != b'-').collect();
            let i = ALPHABET.iter().position(|&a| a == chars[pos]).unwrap();
            chars[pos] = ALPHABET[(i + delta) % 24];
            prop_assert_eq!(ProductKey::parse(std::str::from_utf8(&chars).unwrap()), Err(KeyError::Checksum));
        }
    }

    #[test]
    fn bad_characters_are_named() {
        let err = ProductKey::parse("BCDFG-BCDFA-BCDFG-BCDFG-BCDFG").unwrap_err();
        assert_eq!(
            err,
            KeyError::Character {
                ch: 'A',
                position: 10
            }
        );
        assert_eq!(ProductKey::parse("BCDFG").unwrap_err(), KeyError::Length(5));
    }

    #[test]
    fn the_proof_depends_on_the_whole_key_and_the_context() {
        let a = ProductKey::issue(SECRET, KeyKind::Mak, 42);
        let b = ProductKey::issue(b"other", KeyKind::Mak, 42);
        assert_eq!(a.serial(), b.serial());
        assert_ne!(a.proof(b"ctx"), b.proof(b"ctx"));
        assert_ne!(a.proof(b"ctx"), a.proof(b"ctx2"));
    }
}
