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
//! Rates whose reduced ratio needs more than [`MAX_PHASES`] phases are refused
//! at [`Quality::SPEECH`]; [`Quality::DETECTOR`] serves them by rounding each
//! output's position down to a multiple of 1/[`MAX_PHASES`] of an input sample
//! (a timing error of at most 31 ns for an input near 8 kHz, which leaves the
//! error more than 60 dB below a 3.4 kHz tone).
//!
//! # Qualities
//!
//! * [`Quality::SPEECH`], the default: [`ZERO_CROSSINGS`] (32) zero crossings,
//!   exact phases. The voice renders its packs with it.
//! * [`Quality::DETECTOR`]: 12 zero crossings (54 taps at 16 kHz → 8 kHz,
//!   160 at 48 kHz → 8 kHz), a wider transition band that leaves the DTMF
//!   tones (697–1633 Hz) untouched, at well under half the cost; any rate
//!   ratio. The DTMF detector resamples its input to 8 kHz with it.
//!
//! # Streaming
//!
//! [`Resampler::stream`] gives a [`Stream`] that takes input in chunks of any
//! size and writes each output as soon as its window is complete; its outputs
//! are exactly those of [`Resampler::process`] on the whole signal, however the
//! input is cut.

use std::sync::Arc;

/// Cutoff as a fraction of the lower of the two rates (0.45 = 90 % of its Nyquist).
pub const CUTOFF_RATIO: f64 = 0.45;
/// Zero crossings of the windowed sinc on each side of the centre, at
/// [`Quality::SPEECH`].
pub const ZERO_CROSSINGS: usize = 32;
/// Kaiser window shape parameter.
pub const KAISER_BETA: f64 = 8.0;
/// Most polyphase branches a resampler tabulates.
pub const MAX_PHASES: usize = 4096;
/// Highest rate either side may have, Hz.
pub const MAX_RATE: u32 = 384_000;

/// A conversion the resampler refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResampleError {
    /// A rate is 0 or above [`MAX_RATE`].
    #[error("cannot resample {from} Hz to {to} Hz: rates must be between 1 and 384000 Hz")]
    RateOutOfRange {
        /// Input rate, Hz.
        from: u32,
        /// Output rate, Hz.
        to: u32,
    },
    /// At [`Quality::SPEECH`], a ratio whose reduced form needs more than
    /// [`MAX_PHASES`] phases.
    #[error("cannot resample {from} Hz to {to} Hz: the rate ratio is too irregular")]
    IrregularRatio {
        /// Input rate, Hz.
        from: u32,
        /// Output rate, Hz.
        to: u32,
    },
}

/// How long the filter is and which ratios it takes (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quality {
    zero_crossings: usize,
    round_phases: bool,
}

impl Quality {
    /// 32 zero crossings, exact phases: the voice's quality, and the default.
    pub const SPEECH: Quality = Quality {
        zero_crossings: ZERO_CROSSINGS,
        round_phases: false,
    };
    /// 12 zero crossings, any ratio: the DTMF detector's quality.
    pub const DETECTOR: Quality = Quality {
        zero_crossings: 12,
        round_phases: true,
    };

    /// Zero crossings of the sinc on each side.
    pub fn zero_crossings(&self) -> usize {
        self.zero_crossings
    }
}

impl Default for Quality {
    fn default() -> Self {
        Quality::SPEECH
    }
}

/// A resampler between two fixed rates; build once, use for many signals
/// ([`Resampler::process`]) or streams ([`Resampler::stream`]). Cheap to
/// clone (the filter table is shared).
#[derive(Debug, Clone)]
pub struct Resampler {
    from: u32,
    to: u32,
    up: u64,
    down: u64,
    half: usize,
    /// Taps per phase, padded to a multiple of 8 with zeros.
    stride: usize,
    /// Tabulated phases: `up`, or [`MAX_PHASES`] when rounding.
    phases: u64,
    cutoff_hz: f64,
    /// `phases` rows of `stride` coefficients each.
    table: Arc<[f32]>,
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
    /// Builds a resampler from `from` Hz to `to` Hz at [`Quality::SPEECH`].
    ///
    /// Errors if a rate is zero or above [`MAX_RATE`], or the ratio needs
    /// more than [`MAX_PHASES`] phases.
    pub fn new(from: u32, to: u32) -> Result<Resampler, ResampleError> {
        Resampler::with_quality(from, to, Quality::SPEECH)
    }

    /// Builds a resampler at the given quality.
    pub fn with_quality(from: u32, to: u32, quality: Quality) -> Result<Resampler, ResampleError> {
        if from == 0 || to == 0 || from > MAX_RATE || to > MAX_RATE {
            return Err(ResampleError::RateOutOfRange { from, to });
        }
        let g = gcd(u64::from(from), u64::from(to));
        let up = u64::from(to) / g;
        let down = u64::from(from) / g;
        let phases = if up <= MAX_PHASES as u64 {
            up
        } else if quality.round_phases {
            MAX_PHASES as u64
        } else {
            return Err(ResampleError::IrregularRatio { from, to });
        };
        let cutoff_hz = CUTOFF_RATIO * f64::from(from.min(to));
        // Cutoff in cycles per input sample, and its sinc argument scale.
        let wc2 = 2.0 * cutoff_hz / f64::from(from);
        let half = (quality.zero_crossings as f64 / wc2).ceil() as usize;
        let taps = 2 * half;
        let stride = taps.div_ceil(8) * 8;
        let i0_beta = bessel_i0(KAISER_BETA);
        let mut table = vec![0f32; phases as usize * stride];
        let mut coefs = vec![0f64; taps];
        for (p, row) in table.chunks_exact_mut(stride).enumerate() {
            let frac = p as f64 / phases as f64;
            let mut sum = 0.0f64;
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
            phases,
            cutoff_hz,
            table: table.into(),
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
        if self.from == self.to {
            return input_len;
        }
        ((input_len as u128 * self.up as u128).div_ceil(self.down as u128)) as usize
    }

    /// Resamples a whole signal (any scale; speech here is in -1.0..=1.0).
    pub fn process(&self, input: &[f32]) -> Vec<f32> {
        if self.from == self.to {
            return input.to_vec();
        }
        let mut out = Vec::with_capacity(self.output_len(input.len()));
        let mut s = self.stream();
        s.push(input, &mut out);
        s.flush(&mut out);
        out
    }

    /// A stream through this resampler, starting at time zero.
    pub fn stream(&self) -> Stream {
        Stream {
            r: self.clone(),
            buf: vec![0.0; self.half],
            start: 0,
            received: 0,
            centre: 0,
            frac: 0,
        }
    }
}

/// Streaming state of a [`Resampler`]: feed input in chunks with
/// [`Stream::push`], end with [`Stream::flush`]. Samples before the start
/// and after the end are taken as zero; output `n` is at input position
/// `n · from / to`, with no added delay.
#[derive(Debug, Clone)]
pub struct Stream {
    r: Resampler,
    /// Input, zero-padded by `half` samples in front: `buf[0]` is padded
    /// index `start` (padded index `k` is input sample `k - half`).
    buf: Vec<f32>,
    start: u64,
    /// Input samples received.
    received: u64,
    /// The next output's position: input sample `centre` plus `frac / up`.
    centre: u64,
    frac: u64,
}

impl Stream {
    /// Appends input and writes every output that is now complete to `out`.
    pub fn push(&mut self, input: &[f32], out: &mut Vec<f32>) {
        if self.r.from == self.r.to {
            out.extend_from_slice(input);
            return;
        }
        self.buf.extend_from_slice(input);
        self.received += input.len() as u64;
        self.drain(out, None);
    }

    /// [`Stream::push`] for 16-bit samples (outputs stay at 16-bit scale).
    pub fn push_i16(&mut self, input: &[i16], out: &mut Vec<f32>) {
        if self.r.from == self.r.to {
            out.extend(input.iter().map(|&s| f32::from(s)));
            return;
        }
        self.buf.extend(input.iter().map(|&s| f32::from(s)));
        self.received += input.len() as u64;
        self.drain(out, None);
    }

    /// Ends the stream: writes the outputs up to the end of the input (the
    /// total is then [`Resampler::output_len`] of all input) and starts over
    /// at time zero.
    pub fn flush(&mut self, out: &mut Vec<f32>) {
        if self.r.from != self.r.to {
            let total = self.r.output_len(self.received as usize) as u64;
            self.buf
                .extend(std::iter::repeat_n(0.0, self.r.half + self.r.stride));
            self.drain(out, Some(total));
        }
        *self = self.r.stream();
    }

    /// Computes outputs while their windows are in the buffer (and, when
    /// flushing, until `total` outputs have been written in all).
    fn drain(&mut self, out: &mut Vec<f32>, total: Option<u64>) {
        let r = &self.r;
        let (step, step_frac) = (r.down / r.up, r.down % r.up);
        let mut written = self.written();
        loop {
            if total.is_some_and(|t| written >= t) {
                break;
            }
            // Window x[centre - (half-1) ..= centre + half] starts at padded
            // index centre + 1.
            let Some(from) = (self.centre + 1).checked_sub(self.start) else {
                break;
            };
            let from = from as usize;
            let (Some(x), Some(h)) = (self.buf.get(from..from + r.stride), self.row(self.frac))
            else {
                break;
            };
            out.push(dot(x, h));
            written += 1;
            self.centre += step;
            self.frac += step_frac;
            if self.frac >= r.up {
                self.frac -= r.up;
                self.centre += 1;
            }
        }
        // Drop input no future output needs (in large steps: it is a copy).
        let used = (self.centre + 1).saturating_sub(self.start) as usize;
        if used >= 8192 {
            let used = used.min(self.buf.len());
            self.buf.drain(..used);
            self.start += used as u64;
        }
    }

    /// Outputs written so far: the index of the output at (centre, frac).
    fn written(&self) -> u64 {
        // position n·down = centre·up + frac, so n = (centre·up + frac) / down.
        ((self.centre as u128 * self.r.up as u128 + self.frac as u128) / self.r.down as u128) as u64
    }

    /// The filter phase for a position `frac / up` past an input sample.
    fn row(&self, frac: u64) -> Option<&[f32]> {
        let r = &self.r;
        let p = if r.phases == r.up {
            frac
        } else {
            frac * r.phases / r.up
        } as usize;
        r.table.get(p * r.stride..(p + 1) * r.stride)
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

/// Resamples 16-bit samples from `from` Hz to `to` Hz at [`Quality::SPEECH`]
/// (rounded, saturated).
pub fn resample_i16(input: &[i16], from: u32, to: u32) -> Result<Vec<i16>, ResampleError> {
    if from == to {
        return Ok(input.to_vec());
    }
    let r = Resampler::new(from, to)?;
    let x: Vec<f32> = input.iter().map(|&s| f32::from(s) / 32768.0).collect();
    Ok(to_i16(&r.process(&x)))
}

/// Converts -1.0..=1.0 floats to 16-bit, rounding and saturating (NaN gives 0).
pub fn to_i16(x: &[f32]) -> Vec<i16> {
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

    #[test]
    fn a_stream_gives_the_same_output_however_the_input_is_cut() {
        for (from, to, q) in [
            (16_000, 8_000, Quality::SPEECH),
            (44_100, 16_000, Quality::SPEECH),
            (11_025, 16_000, Quality::SPEECH),
            (48_000, 8_000, Quality::DETECTOR),
            (7_999, 8_000, Quality::DETECTOR),
            (4_000, 8_000, Quality::DETECTOR),
        ] {
            let r = Resampler::with_quality(from, to, q).unwrap();
            let x = tone(1_000.0, from, 0.3, 0.5);
            let whole = r.process(&x);
            assert_eq!(whole.len(), r.output_len(x.len()));
            let mut s = r.stream();
            for cuts in [vec![1usize], vec![7, 100, 3], vec![4096, 1], vec![x.len()]] {
                let mut out = Vec::new();
                let mut rest = &x[..];
                for &c in cuts.iter().cycle() {
                    if rest.is_empty() {
                        break;
                    }
                    let (a, b) = rest.split_at(c.min(rest.len()));
                    s.push(a, &mut out);
                    rest = b;
                }
                s.flush(&mut out);
                assert_eq!(out, whole, "{from}->{to} cut {cuts:?}");
            }
            let i: Vec<i16> = (0..999).map(|k| (k * 37 % 2000 - 1000) as i16).collect();
            let f: Vec<f32> = i.iter().map(|&v| f32::from(v)).collect();
            let mut a = Vec::new();
            s.push_i16(&i, &mut a);
            s.flush(&mut a);
            assert_eq!(a, r.process(&f));
        }
    }

    #[test]
    fn the_detector_quality_is_shorter_and_takes_any_ratio() {
        let r = Resampler::with_quality(48_000, 8_000, Quality::DETECTOR).unwrap();
        assert_eq!(r.taps(), 160);
        assert_eq!(
            Resampler::with_quality(16_000, 8_000, Quality::DETECTOR)
                .unwrap()
                .taps(),
            54
        );
        assert_eq!(Quality::default(), Quality::SPEECH);
        assert_eq!(Quality::DETECTOR.zero_crossings(), 12);
        // (From 4 kHz the cutoff is 1.8 kHz, and 1633 Hz lies in the transition band.)
        for from in [7_999, 44_099, 384_000] {
            let r = Resampler::with_quality(from, 8_000, Quality::DETECTOR).unwrap();
            for f in [697.0, 1_633.0] {
                let x = tone(f, from, 0.5, 0.5);
                let y = r.process(&x);
                assert_eq!(y.len(), r.output_len(x.len()));
                let gain = db(mid_rms(&y) / mid_rms(&x));
                assert!(
                    gain.abs() < 0.05,
                    "{from} Hz input, {f} Hz: gain {gain:.3} dB"
                );
                let reference = tone(f, 8_000, 0.5, 0.5);
                let (a, b) = (y.len() / 4, y.len() * 3 / 4);
                let err: Vec<f32> = y[a..b]
                    .iter()
                    .zip(&reference[a..b])
                    .map(|(p, q)| p - q)
                    .collect();
                let snr = db(mid_rms(&reference) / mid_rms(&err));
                assert!(
                    snr > 50.0,
                    "{from} Hz input, {f} Hz: error only {snr:.1} dB down"
                );
            }
        }
        assert_eq!(
            Resampler::new(44_099, 8_000).unwrap_err().to_string(),
            "cannot resample 44099 Hz to 8000 Hz: the rate ratio is too irregular"
        );
        assert_eq!(
            Resampler::with_quality(8_000, 400_000, Quality::DETECTOR).unwrap_err(),
            ResampleError::RateOutOfRange {
                from: 8_000,
                to: 400_000
            }
        );
        // The same rate both ways passes the signal through untouched.
        let r = Resampler::with_quality(8_000, 8_000, Quality::DETECTOR).unwrap();
        let mut s = r.stream();
        let mut out = Vec::new();
        s.push_i16(&[1, 2, 3], &mut out);
        s.flush(&mut out);
        assert_eq!(out, vec![1.0, 2.0, 3.0]);
    }
}
