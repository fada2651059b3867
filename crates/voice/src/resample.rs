//! Sample-rate conversion with an anti-aliasing windowed-sinc low-pass.
//!
//! # The filter
//!
//! A rational polyphase resampler: for rates `from` and `to` with `g = gcd`, the
//! signal is (conceptually) upsampled by `L = to/g`, low-pass filtered and
//! downsampled by `M = from/g`; only the needed outputs are computed, each as a
//! dot product of the input with one of `L` precomputed filter phases.
//!
//! * **Kernel**: ideal low-pass `h(t) = 2·fc/from · sinc(2·fc/from · t)` (t in input
//!   samples) times a Kaiser window with β = [`KAISER_BETA`] (8.0, about 80 dB
//!   stop-band attenuation).
//! * **Cutoff** `fc` = [`CUTOFF_RATIO`] × min(from, to) = 0.45 × the lower rate, i.e.
//!   90 % of the lower Nyquist frequency: 3.6 kHz for 8 kHz output, 7.2 kHz for
//!   16 kHz. It sits below the new Nyquist, so content that would alias (e.g. a
//!   5 kHz tone when going 16 k → 8 k) is removed, while the telephone band
//!   (300-3400 Hz) passes.
//! * **Length**: [`ZERO_CROSSINGS`] (32) zero crossings of the sinc on each side:
//!   `2·ceil(32·from/(2·fc))` taps per phase (144 taps for 16 k → 8 k), giving a
//!   transition band of roughly ±280 Hz around the cutoff at 16 k → 8 k.
//! * Each phase is normalised to unity DC gain. Samples outside the input are zero;
//!   the output has `ceil(len · to / from)` samples and no added delay (the filter
//!   is centred, zero-phase).
//!
//! Rates whose reduced ratio needs more than [`MAX_PHASES`] phases are refused.

use crate::VoiceError;

/// Cutoff as a fraction of the lower of the two rates (0.45 = 90 % of its Nyquist).
pub const CUTOFF_RATIO: f64 = 0.45;
/// Zero crossings of the windowed sinc on each side of the centre.
pub const ZERO_CROSSINGS: usize = 32;
/// Kaiser window shape parameter.
pub const KAISER_BETA: f64 = 8.0;
/// Most polyphase branches (`to / gcd(from, to)`) a resampler may need.
pub const MAX_PHASES: usize = 4096;

/// A resampler between two fixed rates; build once, use for many signals.
#[derive(Debug, Clone)]
pub struct Resampler {
    from: u32,
    to: u32,
    up: usize,
    down: usize,
    half: usize,
    /// Taps per phase, padded to a multiple of 8 with zeros.
    stride: usize,
    cutoff_hz: f64,
    /// `up` phases of `stride` coefficients each.
    table: Vec<f32>,
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        let t = a % b;
        a = b;
        b = t;
    }
    a
}

/// Zeroth-order modified Bessel function of the first kind (series expansion).
fn bessel_i0(x: f64) -> f64 {
    let mut sum = 1.0;
    let mut term = 1.0;
    let half = x / 2.0;
    for k in 1..200 {
        let f = half / k as f64;
        term *= f * f;
        sum += term;
        if term < sum * 1e-16 {
            break;
        }
    }
    sum
}

fn sinc(x: f64) -> f64 {
    if x.abs() < 1e-12 {
        1.0
    } else {
        let px = std::f64::consts::PI * x;
        px.sin() / px
    }
}

impl Resampler {
    /// Builds a resampler from `from` Hz to `to` Hz.
    ///
    /// Errors with [`VoiceError::UnsupportedRate`] if a rate is zero or above
    /// 384 kHz, or the ratio needs more than [`MAX_PHASES`] phases.
    pub fn new(from: u32, to: u32) -> Result<Resampler, VoiceError> {
        let bad = |reason: &str| VoiceError::UnsupportedRate {
            from,
            to,
            reason: reason.into(),
        };
        if from == 0 || to == 0 || from > 384_000 || to > 384_000 {
            return Err(bad("rates must be between 1 and 384000 Hz"));
        }
        let g = gcd(u64::from(from), u64::from(to));
        let up = (u64::from(to) / g) as usize;
        let down = (u64::from(from) / g) as usize;
        if up > MAX_PHASES {
            return Err(bad("the rate ratio is too irregular"));
        }
        let cutoff_hz = CUTOFF_RATIO * f64::from(from.min(to));
        // Cutoff in cycles per input sample, and its sinc argument scale.
        let wc2 = 2.0 * cutoff_hz / f64::from(from);
        let half = (ZERO_CROSSINGS as f64 / wc2).ceil() as usize;
        let taps = 2 * half;
        let stride = taps.div_ceil(8) * 8;
        let i0_beta = bessel_i0(KAISER_BETA);
        let mut table = vec![0f32; up * stride];
        for (p, row) in table.chunks_exact_mut(stride).enumerate() {
            let frac = p as f64 / up as f64;
            let mut sum = 0.0f64;
            let mut coefs = vec![0f64; taps];
            for (j, c) in coefs.iter_mut().enumerate() {
                // Input sample i + m with m = j - (half - 1); distance t = frac - m.
                let m = j as f64 - (half as f64 - 1.0);
                let t = frac - m;
                let r = t / half as f64;
                let w = if r.abs() >= 1.0 {
                    0.0
                } else {
                    bessel_i0(KAISER_BETA * (1.0 - r * r).sqrt()) / i0_beta
                };
                *c = wc2 * sinc(wc2 * t) * w;
                sum += *c;
            }
            let norm = if sum.abs() > 1e-12 { 1.0 / sum } else { 1.0 };
            for (dst, c) in row.iter_mut().zip(&coefs) {
                *dst = (c * norm) as f32;
            }
        }
        Ok(Resampler {
            from,
            to,
            up,
            down,
            half,
            stride,
            cutoff_hz,
            table,
        })
    }

    /// Input rate in Hz.
    pub fn from_rate(&self) -> u32 {
        self.from
    }

    /// Output rate in Hz.
    pub fn to_rate(&self) -> u32 {
        self.to
    }

    /// The low-pass cutoff in Hz.
    pub fn cutoff_hz(&self) -> f64 {
        self.cutoff_hz
    }

    /// Filter taps per output sample.
    pub fn taps(&self) -> usize {
        2 * self.half
    }

    /// Output length for `input_len` input samples: `ceil(input_len · to / from)`.
    pub fn output_len(&self, input_len: usize) -> usize {
        ((input_len as u128 * self.up as u128).div_ceil(self.down as u128)) as usize
    }

    /// Resamples a signal (any scale; speech here is in -1.0..=1.0).
    pub fn process(&self, input: &[f32]) -> Vec<f32> {
        if self.from == self.to {
            return input.to_vec();
        }
        let n_out = self.output_len(input.len());
        // Zero-pad so every output's window is a plain slice.
        let mut padded = vec![0f32; input.len() + 2 * self.half + self.stride];
        padded[self.half..self.half + input.len()].copy_from_slice(input);
        let mut out = Vec::with_capacity(n_out);
        for n in 0..n_out {
            let pos = n as u128 * self.down as u128;
            let i = (pos / self.up as u128) as usize;
            let p = (pos % self.up as u128) as usize;
            // Window x[i - (half-1) ..= i + half] starts at padded[i + 1].
            let (Some(x), Some(h)) = (
                padded.get(i + 1..i + 1 + self.stride),
                self.table.get(p * self.stride..(p + 1) * self.stride),
            ) else {
                out.push(0.0);
                continue;
            };
            out.push(dot(x, h));
        }
        out
    }
}

/// Dot product with eight independent accumulators so it vectorises (and stays
/// tolerable in unoptimised builds).
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let ca = a.chunks_exact(8);
    let cb = b.chunks_exact(8);
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        let (x, y): (&[f32; 8], &[f32; 8]) = match (x.try_into(), y.try_into()) {
            (Ok(x), Ok(y)) => (x, y),
            _ => continue,
        };
        acc[0] += x[0] * y[0];
        acc[1] += x[1] * y[1];
        acc[2] += x[2] * y[2];
        acc[3] += x[3] * y[3];
        acc[4] += x[4] * y[4];
        acc[5] += x[5] * y[5];
        acc[6] += x[6] * y[6];
        acc[7] += x[7] * y[7];
    }
    let mut s = (acc[0] + acc[4]) + (acc[1] + acc[5]) + (acc[2] + acc[6]) + (acc[3] + acc[7]);
    for (x, y) in ra.iter().zip(rb) {
        s += x * y;
    }
    s
}

/// Resamples 16-bit samples from `from` Hz to `to` Hz (rounded, saturated).
pub fn resample_i16(input: &[i16], from: u32, to: u32) -> Result<Vec<i16>, VoiceError> {
    if from == to {
        return Ok(input.to_vec());
    }
    let r = Resampler::new(from, to)?;
    let x: Vec<f32> = input.iter().map(|&s| f32::from(s) / 32768.0).collect();
    Ok(to_i16(&r.process(&x)))
}

/// Converts -1.0..=1.0 floats to 16-bit, rounding and saturating.
pub(crate) fn to_i16(x: &[f32]) -> Vec<i16> {
    x.iter()
        .map(|&v| {
            let s = (v * 32768.0).round();
            if s.is_nan() {
                0
            } else {
                s.clamp(-32768.0, 32767.0) as i16
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(freq: f64, rate: u32, secs: f64, amp: f64) -> Vec<f32> {
        let n = (f64::from(rate) * secs) as usize;
        (0..n)
            .map(|i| {
                (amp * (2.0 * std::f64::consts::PI * freq * i as f64 / f64::from(rate)).sin())
                    as f32
            })
            .collect()
    }

    /// RMS of the middle of a signal (edges excluded: the filter's ramp-in).
    fn mid_rms(x: &[f32]) -> f64 {
        let a = x.len() / 4;
        let b = x.len() * 3 / 4;
        let s: f64 = x[a..b].iter().map(|&v| f64::from(v) * f64::from(v)).sum();
        (s / (b - a) as f64).sqrt()
    }

    fn db(ratio: f64) -> f64 {
        20.0 * ratio.log10()
    }

    #[test]
    fn downsampling_removes_content_above_new_nyquist() {
        let r = Resampler::new(16_000, 8_000).unwrap();
        assert!(r.cutoff_hz() < 4000.0);
        for f in [4_400.0, 5_000.0, 6_000.0, 7_900.0] {
            let x = tone(f, 16_000, 1.0, 0.5);
            let y = r.process(&x);
            let att = db(mid_rms(&y) / mid_rms(&x));
            assert!(att < -40.0, "{f} Hz only attenuated {att:.1} dB");
            if f == 5_000.0 {
                assert!(att < -70.0, "5 kHz attenuated {att:.1} dB");
            }
        }
    }

    #[test]
    fn downsampling_passes_the_telephone_band() {
        let r = Resampler::new(16_000, 8_000).unwrap();
        for (f, tol) in [
            (300.0, 0.05),
            (1_000.0, 0.05),
            (2_000.0, 0.05),
            (3_000.0, 0.1),
        ] {
            let x = tone(f, 16_000, 1.0, 0.5);
            let y = r.process(&x);
            let gain = db(mid_rms(&y) / mid_rms(&x));
            assert!(gain.abs() < tol, "{f} Hz gain {gain:.3} dB");
        }
        // 3.4 kHz (top of the telephone band) is inside the transition but audible.
        let x = tone(3_400.0, 16_000, 1.0, 0.5);
        let gain = db(mid_rms(&r.process(&x)) / mid_rms(&x));
        assert!(gain > -6.0, "3.4 kHz gain {gain:.2} dB");
    }

    #[test]
    fn upsampling_passes_tone_and_suppresses_images() {
        let r = Resampler::new(8_000, 16_000).unwrap();
        let x = tone(1_000.0, 8_000, 1.0, 0.5);
        let y = r.process(&x);
        assert_eq!(y.len(), 2 * x.len());
        assert!(db(mid_rms(&y) / mid_rms(&x)).abs() < 0.05);
        // The output must be the same 1 kHz tone: compare with a synthesised one.
        let reference = tone(1_000.0, 16_000, 1.0, 0.5);
        let a = y.len() / 4;
        let b = y.len() * 3 / 4;
        let err: Vec<f32> = y[a..b]
            .iter()
            .zip(&reference[a..b])
            .map(|(p, q)| p - q)
            .collect();
        let snr = db(mid_rms(&reference) / mid_rms(&err));
        assert!(snr > 60.0, "image/error only {snr:.1} dB below the tone");
    }

    #[test]
    fn other_ratios_and_lengths() {
        for (from, to) in [
            (22_050, 8_000),
            (44_100, 16_000),
            (48_000, 8_000),
            (11_025, 16_000),
            (16_000, 16_000),
        ] {
            let r = Resampler::new(from, to).unwrap();
            let x = tone(1_000.0, from, 0.5, 0.5);
            let y = r.process(&x);
            assert_eq!(y.len(), r.output_len(x.len()));
            assert_eq!(y.len(), (x.len() * to as usize).div_ceil(from as usize));
            let gain = db(mid_rms(&y) / mid_rms(&x));
            assert!(gain.abs() < 0.1, "{from}->{to}: 1 kHz gain {gain:.3} dB");
        }
        assert!(Resampler::new(0, 8000).is_err());
        assert!(Resampler::new(44_099, 8_000).is_err());
        assert!(Resampler::new(8_000, 44_099).is_err());
        assert!(Resampler::new(16_000, 8_000)
            .unwrap()
            .process(&[])
            .is_empty());
        assert_eq!(Resampler::new(16_000, 8_000).unwrap().taps(), 144);
    }

    #[test]
    fn i16_helper_saturates() {
        let y = resample_i16(&[i16::MAX; 64], 16_000, 8_000).unwrap();
        assert_eq!(y.len(), 32);
        assert_eq!(
            to_i16(&[2.0, -2.0, f32::NAN, 0.5]),
            vec![32767, -32768, 0, 16384]
        );
    }
}
