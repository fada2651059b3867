//! ITU-T G.711 companding: 16-bit linear PCM to and from 8-bit mu-law and A-law.
//!
//! Follows the ITU-T G.711 reference implementation (ITU-T G.191 Software Tool
//! Library, `g711.c`): the encoders take 16-bit samples, drop to 14 bits (mu-law)
//! or 13 bits (A-law) using the one's complement of negative values, so the
//! quantiser is symmetric about -1/2; the decoders return the segment mid-points
//! scaled back to 16 bits. mu-law bytes are transmitted inverted (0xFF is +0,
//! 0x7F is -0); A-law bytes have their even bits inverted (XOR 0x55).
//!
//! Raw G.711 has no header: a file of these bytes is read at 8000 Hz.

/// Encodes one 16-bit linear sample as a G.711 mu-law byte.
pub fn linear_to_ulaw(sample: i16) -> u8 {
    let x = i32::from(sample);
    // 14-bit magnitude plus the mu-law bias of 33 (132 at 16-bit scale).
    let mut absno = if x < 0 {
        ((!x) >> 2) + 33
    } else {
        (x >> 2) + 33
    };
    if absno > 0x1FFF {
        absno = 0x1FFF;
    }
    let mut i = absno >> 6;
    let mut segno: i32 = 1;
    while i != 0 {
        segno += 1;
        i >>= 1;
    }
    let high = 0x8 - segno;
    let low = 0xF - ((absno >> segno) & 0xF);
    let mut out = (high << 4) | low;
    if x >= 0 {
        out |= 0x80;
    }
    (out & 0xFF) as u8
}

/// Decodes a G.711 mu-law byte to a 16-bit linear sample (range -32124..=32124).
pub fn ulaw_to_linear(code: u8) -> i16 {
    let negative = code < 0x80;
    let m = !code;
    let exponent = i32::from((m >> 4) & 0x7);
    let mantissa = i32::from(m & 0xF);
    let step = 4 << (exponent + 1);
    let magnitude = (0x80 << exponent) + step * mantissa + step / 2 - 4 * 33;
    // |magnitude| <= 32124, so the conversion cannot fail.
    let v = if negative { -magnitude } else { magnitude };
    v as i16
}

/// Encodes one 16-bit linear sample as a G.711 A-law byte.
pub fn linear_to_alaw(sample: i16) -> u8 {
    let x = i32::from(sample);
    // 12-bit magnitude (13-bit signed), one's complement for negative values.
    let mut ix = if x < 0 { (!x) >> 4 } else { x >> 4 };
    if ix > 15 {
        let mut iexp = 1;
        while ix > 16 + 15 {
            ix >>= 1;
            iexp += 1;
        }
        ix -= 16;
        ix += iexp << 4;
    }
    if x >= 0 {
        ix |= 0x80;
    }
    ((ix ^ 0x55) & 0xFF) as u8
}

/// Decodes a G.711 A-law byte to a 16-bit linear sample (range -32256..=32256).
pub fn alaw_to_linear(code: u8) -> i16 {
    let ix = i32::from(code ^ 0x55);
    let iexp = (ix & 0x7F) >> 4;
    let mut mant = ix & 0x0F;
    if iexp > 0 {
        mant += 16;
    }
    mant = (mant << 4) + 0x8;
    if iexp > 1 {
        mant <<= iexp - 1;
    }
    let v = if code > 127 { mant } else { -mant };
    v as i16
}

/// Encodes samples as mu-law bytes, one byte per sample.
pub fn encode_ulaw(samples: &[i16]) -> Vec<u8> {
    samples.iter().map(|&s| linear_to_ulaw(s)).collect()
}

/// Encodes samples as A-law bytes, one byte per sample.
pub fn encode_alaw(samples: &[i16]) -> Vec<u8> {
    samples.iter().map(|&s| linear_to_alaw(s)).collect()
}

/// Decodes mu-law bytes to samples.
pub fn decode_ulaw(bytes: &[u8]) -> Vec<i16> {
    bytes.iter().map(|&b| ulaw_to_linear(b)).collect()
}

/// Decodes A-law bytes to samples.
pub fn decode_alaw(bytes: &[u8]) -> Vec<i16> {
    bytes.iter().map(|&b| alaw_to_linear(b)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::g711_tables::{ALAW_DECODE, ULAW_DECODE};

    #[test]
    fn ulaw_decode_matches_full_table() {
        for b in 0..=255u8 {
            assert_eq!(
                ulaw_to_linear(b),
                ULAW_DECODE[b as usize],
                "mu-law byte {b:#04x}"
            );
        }
        assert_eq!(ulaw_to_linear(0x00), -32124);
        assert_eq!(ulaw_to_linear(0x80), 32124);
        assert_eq!(ulaw_to_linear(0xFF), 0);
        assert_eq!(ulaw_to_linear(0x7F), 0);
    }

    #[test]
    fn alaw_decode_matches_full_table() {
        for b in 0..=255u8 {
            assert_eq!(
                alaw_to_linear(b),
                ALAW_DECODE[b as usize],
                "A-law byte {b:#04x}"
            );
        }
        assert_eq!(alaw_to_linear(0xD5), 8);
        assert_eq!(alaw_to_linear(0x55), -8);
        assert_eq!(alaw_to_linear(0xAA), 32256);
        assert_eq!(alaw_to_linear(0x2A), -32256);
    }

    #[test]
    fn code_round_trips() {
        for b in 0..=255u8 {
            // A-law has no negative zero: every byte survives decode/encode.
            assert_eq!(linear_to_alaw(alaw_to_linear(b)), b, "A-law {b:#04x}");
            // mu-law -0 (0x7F) and +0 (0xFF) both decode to 0, which encodes as +0.
            let expect = if b == 0x7F { 0xFF } else { b };
            assert_eq!(linear_to_ulaw(ulaw_to_linear(b)), expect, "mu-law {b:#04x}");
        }
    }

    #[test]
    fn every_sample_quantises_to_its_segment() {
        // Encoding picks the interval holding the sample: the decoded value is within
        // half a quantisation step (plus the end-of-range clip), and encoding is
        // monotonic in the sample.
        let mut last_u = None;
        let mut last_a = None;
        for x in i16::MIN..=i16::MAX {
            let (u, a) = (linear_to_ulaw(x), linear_to_alaw(x));
            let (du, da) = (i32::from(ulaw_to_linear(u)), i32::from(alaw_to_linear(a)));
            let xi = i32::from(x);
            // Largest half-steps: mu-law 512 (top segment, step 1024), A-law 512.
            let clip_u = xi.clamp(-32124 - 512, 32124 + 512);
            assert!((du - clip_u).abs() <= 512, "mu-law {x} -> {u:#04x} -> {du}");
            assert!((da - xi).abs() <= 512 + 1, "A-law {x} -> {a:#04x} -> {da}");
            // Order: decoded value never decreases as the input increases.
            if let (Some(pu), Some(pa)) = (last_u, last_a) {
                assert!(du >= pu && da >= pa, "non-monotonic at {x}");
            }
            last_u = Some(du);
            last_a = Some(da);
        }
        // Small values: error within the finest step.
        for x in -64i16..64 {
            let du = i32::from(ulaw_to_linear(linear_to_ulaw(x)));
            assert!((du - i32::from(x)).abs() <= 4, "mu-law small {x} -> {du}");
            let da = i32::from(alaw_to_linear(linear_to_alaw(x)));
            assert!((da - i32::from(x)).abs() <= 8, "A-law small {x} -> {da}");
        }
    }

    #[test]
    fn linear_round_trip_is_idempotent() {
        for x in i16::MIN..=i16::MAX {
            let u = ulaw_to_linear(linear_to_ulaw(x));
            assert_eq!(ulaw_to_linear(linear_to_ulaw(u)), u);
            let a = alaw_to_linear(linear_to_alaw(x));
            assert_eq!(alaw_to_linear(linear_to_alaw(a)), a);
        }
    }

    #[test]
    fn slices() {
        let s = [0i16, 1000, -1000, 32767, -32768];
        assert_eq!(decode_ulaw(&encode_ulaw(&s)).len(), s.len());
        assert_eq!(decode_alaw(&encode_alaw(&s)).len(), s.len());
        assert_eq!(encode_ulaw(&[0]), vec![0xFF]);
        assert_eq!(encode_alaw(&[0]), vec![0xD5]);
    }
}
