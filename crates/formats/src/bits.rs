//! Bit packing for ID payloads, and the exact conversion between a packed
//! payload and the decimal digits people type.
//!
//! A payload is a sequence of fixed-width fields written most significant
//! first. Read as one unsigned number it has at most `nbits` bits; that number
//! written in decimal, left-padded with zeros, is what goes into the groups.

/// Writes fixed-width fields, most significant bit first.
#[derive(Debug, Default, Clone)]
pub struct BitWriter {
    bits: Vec<bool>,
}

impl BitWriter {
    /// An empty writer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends the low `width` bits of `value`; a `width` over 64 writes
    /// leading zeros first (zero padding of any length is `push(0, n)`).
    pub fn push(&mut self, value: u64, width: u32) -> &mut Self {
        for i in (0..width).rev() {
            self.bits.push(value.checked_shr(i).unwrap_or(0) & 1 == 1);
        }
        self
    }

    /// Appends the first `nbits` bits of `bytes` (most significant bit of
    /// `bytes[0]` first).
    pub fn push_bytes(&mut self, bytes: &[u8], nbits: usize) -> &mut Self {
        for i in 0..nbits {
            let byte = bytes.get(i / 8).copied().unwrap_or(0);
            self.bits.push(byte >> (7 - i % 8) & 1 == 1);
        }
        self
    }

    /// The number of bits written so far.
    pub fn len(&self) -> usize {
        self.bits.len()
    }

    /// True when nothing was written.
    pub fn is_empty(&self) -> bool {
        self.bits.is_empty()
    }

    /// The bits written, as a bit string.
    pub fn finish(self) -> Vec<bool> {
        self.bits
    }
}

/// Reads fixed-width fields from a bit string, most significant bit first.
#[derive(Debug, Clone)]
pub struct BitReader<'a> {
    bits: &'a [bool],
    pos: usize,
}

impl<'a> BitReader<'a> {
    /// A reader at the start of `bits`.
    pub fn new(bits: &'a [bool]) -> Self {
        Self { bits, pos: 0 }
    }

    /// Reads `width` bits (at most 64) as an unsigned number. Reading past
    /// the end yields zero bits.
    pub fn read(&mut self, width: u32) -> u64 {
        let mut v = 0u64;
        for _ in 0..width {
            let b = self.bits.get(self.pos).copied().unwrap_or(false);
            v = v << 1 | b as u64;
            self.pos += 1;
        }
        v
    }

    /// Reads `nbits` bits into bytes, most significant bit first, the last
    /// byte padded with zero bits.
    pub fn read_bytes(&mut self, nbits: usize) -> Vec<u8> {
        let mut out = vec![0u8; nbits.div_ceil(8)];
        for i in 0..nbits {
            if self.read(1) == 1 {
                out[i / 8] |= 1 << (7 - i % 8);
            }
        }
        out
    }
}

/// Packs a bit string into bytes, most significant bit of the first byte
/// first, the last byte padded with zero bits.
pub fn to_bytes(bits: &[bool]) -> Vec<u8> {
    BitReader::new(bits).read_bytes(bits.len())
}

/// Little-endian base-2^32 limbs of the number a bit string denotes.
fn to_limbs(bits: &[bool]) -> Vec<u32> {
    let mut limbs = vec![0u32; bits.len().div_ceil(32).max(1)];
    for (i, &b) in bits.iter().rev().enumerate() {
        if b {
            limbs[i / 32] |= 1 << (i % 32);
        }
    }
    limbs
}

/// Writes the number denoted by `bits` as exactly `ndigits` decimal digits
/// (each 0..=9), most significant first. Returns `None` when the number needs
/// more digits than that.
pub fn to_decimal(bits: &[bool], ndigits: usize) -> Option<Vec<u8>> {
    let mut limbs = to_limbs(bits);
    let mut out = vec![0u8; ndigits];
    for slot in out.iter_mut().rev() {
        let mut rem = 0u64;
        for limb in limbs.iter_mut().rev() {
            let cur = (rem << 32) | *limb as u64;
            *limb = (cur / 10) as u32;
            rem = cur % 10;
        }
        *slot = rem as u8;
    }
    limbs.iter().all(|&l| l == 0).then_some(out)
}

/// Reads decimal `digits` (each 0..=9) as a number and returns it as a bit
/// string of exactly `nbits` bits. Returns `None` when the number does not fit
/// in `nbits` bits.
pub fn from_decimal(digits: &[u8], nbits: usize) -> Option<Vec<bool>> {
    let mut limbs = vec![0u32; nbits.div_ceil(32) + 1];
    for &d in digits {
        let mut carry = d as u64;
        for limb in limbs.iter_mut() {
            let cur = *limb as u64 * 10 + carry;
            *limb = cur as u32;
            carry = cur >> 32;
        }
        if carry != 0 {
            return None;
        }
    }
    let total = limbs.len() * 32;
    let mut bits = Vec::with_capacity(nbits);
    for i in (0..total).rev() {
        let b = limbs[i / 32] >> (i % 32) & 1 == 1;
        if i >= nbits {
            if b {
                return None;
            }
        } else {
            bits.push(b);
        }
    }
    Some(bits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A fingerprint with no identity component pads all 71 digest bits at
    /// once; the shift past bit 63 panicked in debug builds.
    #[test]
    fn zero_padding_wider_than_64_bits_panicked_in_debug_builds() {
        let mut w = BitWriter::new();
        w.push(1, 1).push(0, 71).push(u64::MAX, 66);
        let bits = w.finish();
        assert_eq!(bits.len(), 138);
        assert!(bits[0] && !bits[1..74].iter().any(|b| *b));
        assert_eq!(bits[72..74], [false, false]);
        assert!(bits[74..].iter().all(|b| *b));
    }

    #[test]
    fn small_numbers_convert_exactly() {
        let mut w = BitWriter::new();
        w.push(1234, 16);
        let bits = w.finish();
        assert_eq!(to_decimal(&bits, 6).unwrap(), vec![0, 0, 1, 2, 3, 4]);
        assert_eq!(from_decimal(&[0, 0, 1, 2, 3, 4], 16).unwrap(), bits);
        assert_eq!(to_decimal(&bits, 3), None, "1234 does not fit in 3 digits");
        assert_eq!(
            from_decimal(&[6, 5, 5, 3, 6], 16),
            None,
            "65536 needs 17 bits"
        );
    }

    proptest! {
        #[test]
        fn every_payload_round_trips_through_decimal(bytes in proptest::collection::vec(any::<u8>(), 1..50)) {
            let nbits = bytes.len() * 8;
            let mut w = BitWriter::new();
            w.push_bytes(&bytes, nbits);
            let bits = w.finish();
            let ndigits = (nbits as f64 * std::f64::consts::LOG10_2).ceil() as usize;
            let digits = to_decimal(&bits, ndigits).unwrap();
            prop_assert_eq!(from_decimal(&digits, nbits).unwrap(), bits.clone());
            prop_assert_eq!(to_bytes(&bits), bytes);
        }

        #[test]
        fn fields_read_back_as_written(a in 0u64..(1 << 14), b in any::<u64>(), c in 0u64..8) {
            let mut w = BitWriter::new();
            w.push(a, 14).push(b, 64).push(c, 3);
            let bits = w.finish();
            let mut r = BitReader::new(&bits);
            prop_assert_eq!((r.read(14), r.read(64), r.read(3)), (a, b, c));
        }
    }
}
