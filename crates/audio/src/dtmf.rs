//! DTMF (touch-tone) detection and generation, to ITU-T Q.24 receiver limits.
//!
//! # Detection
//!
//! [`Detector`] takes 16-bit mono audio in chunks of any size and reports each
//! key press as a [`DtmfEvent`] once the tone has ended. Audio at rates other
//! than 8 kHz is resampled internally to 8 kHz by the crate's one resampler
//! ([`crate::resample`] at [`Quality::DETECTOR`]: windowed-sinc low-pass,
//! cut-off 0.45 × the lower rate, 3.6 kHz from 8 kHz up). [`decode_all`] runs a
//! whole buffer through a fresh detector.
//!
//! The analysis is Goertzel-style: single-bin DFTs at the eight DTMF
//! frequencies over 102-sample (12.75 ms) windows advanced by 51 samples. Each
//! 51-sample sub-block is correlated once with precomputed cosine/sine tables
//! (the numbers the Goertzel recursion produces, computed as dot products
//! that vectorise), and two consecutive sub-blocks form a window. In a window
//! the strongest row and column bins are taken as the candidate key, and the
//! window is a *hit* for it when all of these hold:
//!
//! * each tone's frequency, measured from the phase advance of its bin from
//!   the previous window, is within ±3.5 % of nominal;
//! * the two tones' complex amplitudes, solved from the two bins with a model
//!   of the window (which undoes the loss of an off-nominal tone and the
//!   leakage of each tone into the other's bin), are both at least
//!   [`DetectorOptions::min_level_dbm0`], and their twist is within the
//!   limits below plus 3 dB;
//! * energy ratio: the two tones carry at least
//!   [`DetectorOptions::min_energy_ratio`] (80 %) of the window's energy
//!   (as spandsp's "fraction of total energy" test). This rejects speech and
//!   music, whose energy is spread over many harmonics, and, because silence
//!   in the window dilutes it, needs the window mostly filled by the tone;
//! * relative peak: every other DTMF bin, once the modelled leakage of the two
//!   tones is removed, is at least 8 dB below the tone of its group;
//! * harmonics: when the two frequencies are nearly in a small-integer ratio
//!   n/m (as the m-th and n-th harmonics of a voice can be), the other
//!   harmonics of the implied fundamental hold less than −10 dB of the tones'
//!   power.
//!
//! Consecutive hits for the same key form a run; up to three missed windows
//! (an interruption of about 10 ms) are bridged, a longer break or another key
//! ends the run. A run becomes a key press if it has at least 4 hits (tones of
//! 40 ms are always detected, tones of 24 ms or less never), and, over the
//! whole run:
//!
//! * the mean frequency of each tone is within
//!   [`DetectorOptions::max_freq_deviation`] (±2.5 %: Q.24 asks that ±1.5 %
//!   be accepted and ±3.5 % rejected);
//! * twist, from the mean amplitudes: the low-group tone at most
//!   [`DetectorOptions::max_normal_twist_db`] (9 dB) stronger than the
//!   high-group tone and at most [`DetectorOptions::max_reverse_twist_db`]
//!   (5 dB) weaker. This is spandsp's convention, "normal" twist meaning the
//!   low group stronger, as after a long line; 8 dB normal and 4 dB reverse
//!   twist are accepted, 10 dB and 6 dB rejected;
//! * the tones are steady: the fitted slope of each tone's frequency is below
//!   [`DetectorOptions::max_freq_slope`] (a speech glide is not a key).
//!
//! Start times are accurate to about ±4 ms and durations to about ±6 ms. An
//! event is reported about 25 ms after its tone stops; [`Detector::current_key`]
//! tells earlier that a key is being held.
//!
//! # Generation
//!
//! [`generate`] renders a key string with [`GenOptions`] (tone and gap length,
//! level, twist, frequency offsets); [`add_key`] mixes a single tone into a
//! buffer and [`add_noise`] adds white Gaussian noise, for tests and for
//! scripted caller audio (see `crate::timeline`).
//!
//! # Levels
//!
//! Levels are in dBm0 with a full-scale 16-bit sine at +3.14 dBm0 (the A-law
//! convention spandsp uses): a 0 dBm0 sine has a peak of 22,812.
//!
//! # Files
//!
//! [`read_wav`] reads 16-bit integer PCM mono WAV files at any rate through
//! [`crate::wav`] (the data chunk converted in one pass); stereo and other
//! sample formats are refused with a one-line error naming the file and what
//! it holds (downmix or convert first, e.g. `sox in.wav -c 1 -b 16 out.wav`).
//! [`decode_file`] reads and decodes a file in one go, feeding the data chunk
//! to the detector a block at a time (what `actline dtmf decode` and
//! `actline ivr --audio` do). [`write_wav`] writes 16-bit mono PCM.

// The DSP loops index several parallel arrays by frequency or lane; index
// loops read better there than zipped iterators.
#![allow(clippy::needless_range_loop)]

use std::f64::consts::PI;
use std::path::{Path, PathBuf};

use crate::resample::{self, Quality, Resampler};
use crate::wav::{self, Spec, WavError};

/// The sixteen keys by (row, column): rows 697/770/852/941 Hz, columns
/// 1209/1336/1477/1633 Hz.
const KEYPAD: [[char; 4]; 4] = [
    ['1', '2', '3', 'A'],
    ['4', '5', '6', 'B'],
    ['7', '8', '9', 'C'],
    ['*', '0', '#', 'D'],
];
/// Low-group (row) frequencies, Hz.
pub const ROW_FREQS: [f64; 4] = [697.0, 770.0, 852.0, 941.0];
/// High-group (column) frequencies, Hz.
pub const COL_FREQS: [f64; 4] = [1209.0, 1336.0, 1477.0, 1633.0];

/// Internal analysis rate.
const FS: f64 = 8000.0;
/// Sub-block length (samples at 8 kHz); a window is two sub-blocks.
const SUB: usize = 51;
/// Sub-block length padded to a multiple of 8 for the vectorised dot products.
const SUB_PAD: usize = 56;
/// Window length.
const WIN: usize = 2 * SUB;
/// Relative-peak requirement (power ratio, 8 dB).
const RELATIVE_PEAK: f32 = 6.309_573;
/// Minimum hits for a run to count as a key press.
const MIN_HITS: u32 = 4;
/// Missed windows bridged inside a run.
const MAX_BRIDGE: u32 = 3;
/// Per-window twist slack (amplitude ratio, 3 dB) on top of the run limits.
const TWIST_SLACK: f32 = 1.412_537_5;
/// Phase products kept per run for the drift check (about 400 ms).
const MAX_PAIR_LOG: usize = 64;
/// Per-window frequency tolerance (fraction of nominal), loose pre-filter.
const WINDOW_FREQ_DEV: f64 = 0.035;
/// Peak amplitude of a 0 dBm0 sine in 16-bit linear PCM (+3.14 dBm0 = full scale).
pub const DBM0_PEAK: f64 = 22_812.0;

/// Lowest and highest accepted input sample rates.
pub const MIN_RATE: u32 = 4_000;
/// See [`MIN_RATE`].
pub const MAX_RATE: u32 = 384_000;

/// Errors from DTMF detection, generation and WAV I/O.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DtmfError {
    /// The sample rate is outside [`MIN_RATE`]..=[`MAX_RATE`].
    #[error("unsupported sample rate {0} Hz (supported: 4000 to 384000 Hz)")]
    UnsupportedRate(u32),
    /// A character that is not a DTMF key was asked for.
    #[error("'{key}' at position {index} is not a DTMF key (expected 0-9, *, #, A-D)")]
    InvalidKey {
        /// The offending character.
        key: char,
        /// Its index (in characters) in the input string.
        index: usize,
    },
    /// Generator options out of range (message says which).
    #[error("invalid tone options: {0}")]
    InvalidOptions(String),
    /// A WAV file that cannot be read or written (missing, not a WAV file,
    /// truncated, an encoding the reader does not know); names the file.
    #[error(transparent)]
    Wav(#[from] WavError),
    /// A WAV file holding audio the detector does not take: not mono, not
    /// 16-bit integer PCM, or at a rate outside [`MIN_RATE`]..=[`MAX_RATE`].
    #[error("{}: {}", path.display(), refusal(spec))]
    WavFormat {
        /// The file.
        path: PathBuf,
        /// What it holds.
        spec: Spec,
    },
}

/// Why a WAV file of `spec` is refused.
fn refusal(spec: &Spec) -> String {
    if spec.is_mono16() {
        format!(
            "a sample rate of {} Hz; supported: {MIN_RATE} to {MAX_RATE} Hz",
            spec.rate
        )
    } else if spec.channels != 1 {
        format!(
            "{} channels; only mono is supported (downmix first, e.g. `sox in.wav -c 1 out.wav`)",
            spec.channels
        )
    } else {
        let kind = match spec.encoding {
            wav::Encoding::Int => "integer",
            wav::Encoding::Float => "float",
            wav::Encoding::ALaw => "A-law",
            wav::Encoding::MuLaw => "µ-law",
        };
        format!(
            "{}-bit {kind} samples; only 16-bit integer PCM is supported (convert first, e.g. `sox in.wav -b 16 -e signed-integer out.wav`)",
            spec.bits
        )
    }
}

/// One detected key press.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DtmfEvent {
    /// The key: `0`-`9`, `*`, `#`, `A`-`D`.
    pub key: char,
    /// Estimated tone start, milliseconds from the start of the stream.
    pub start_ms: u64,
    /// Estimated tone duration, milliseconds.
    pub duration_ms: u32,
    /// Measured level of the low-group tone, dBm0.
    pub low_dbm0: f32,
    /// Measured level of the high-group tone, dBm0.
    pub high_dbm0: f32,
    /// Measured relative frequency error of the low-group tone (0.01 = +1 %).
    pub low_freq_error: f32,
    /// Measured relative frequency error of the high-group tone.
    pub high_freq_error: f32,
}

/// The keys of `events`, in order, as a string.
pub fn keys_of(events: &[DtmfEvent]) -> String {
    events.iter().map(|e| e.key).collect()
}

/// Detection thresholds. The defaults meet ITU-T Q.24 as exchanges apply it;
/// see the module documentation.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct DetectorOptions {
    /// Minimum level of each tone, dBm0. Default −42 dBm0.
    pub min_level_dbm0: f32,
    /// Maximum amount by which the low-group tone may exceed the high-group
    /// tone ("normal" twist), dB. Default 9 dB: 8 dB is accepted, 10 dB
    /// rejected.
    pub max_normal_twist_db: f32,
    /// Maximum amount by which the high-group tone may exceed the low-group
    /// tone ("reverse" twist), dB. Default 5 dB: 4 dB accepted, 6 dB rejected.
    pub max_reverse_twist_db: f32,
    /// Maximum relative frequency error of each tone, averaged over the
    /// key press. Default 0.025 (±1.5 % accepted, ±3.5 % rejected).
    pub max_freq_deviation: f32,
    /// Minimum fraction of a window's energy the two tones must carry.
    /// Default 0.8 (−1 dB).
    pub min_energy_ratio: f32,
    /// Maximum rate of change of either tone's frequency over a key press,
    /// as a fraction of nominal per second. Default 0.8 (e.g. 560 Hz/s at
    /// 697 Hz): a key's tones are steady, speech intonation glides faster.
    pub max_freq_slope: f32,
}

impl Default for DetectorOptions {
    fn default() -> Self {
        DetectorOptions {
            min_level_dbm0: -42.0,
            max_normal_twist_db: 9.0,
            max_reverse_twist_db: 5.0,
            max_freq_deviation: 0.025,
            min_energy_ratio: 0.8,
            max_freq_slope: 0.8,
        }
    }
}

// ---------------------------------------------------------------- complex

#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct C32 {
    re: f32,
    im: f32,
}

impl C32 {
    fn mul(self, o: C32) -> C32 {
        C32 {
            re: self.re * o.re - self.im * o.im,
            im: self.re * o.im + self.im * o.re,
        }
    }
    fn conj(self) -> C32 {
        C32 {
            re: self.re,
            im: -self.im,
        }
    }
    fn add(self, o: C32) -> C32 {
        C32 {
            re: self.re + o.re,
            im: self.im + o.im,
        }
    }
    fn sub(self, o: C32) -> C32 {
        C32 {
            re: self.re - o.re,
            im: self.im - o.im,
        }
    }
    fn div(self, o: C32) -> C32 {
        let d = o.norm2();
        let n = self.mul(o.conj());
        C32 {
            re: n.re / d,
            im: n.im / d,
        }
    }
    fn norm2(self) -> f32 {
        self.re * self.re + self.im * self.im
    }
    /// Argument in (−π, π]; polynomial atan2, error below 1e-5 rad
    /// (0.003 Hz in a frequency estimate).
    fn arg(self) -> f32 {
        fast_atan2(self.im, self.re)
    }
}

/// atan2 via a minimax polynomial for atan on [0, 1] (max error ~1e-5 rad).
fn fast_atan2(y: f32, x: f32) -> f32 {
    let (ax, ay) = (x.abs(), y.abs());
    let (num, den) = if ay > ax { (ax, ay) } else { (ay, ax) };
    if den == 0.0 || den.is_nan() || num.is_nan() {
        return if y.is_nan() || x.is_nan() {
            0.0
        } else {
            y.atan2(x)
        };
    }
    let t = num / den;
    let t2 = t * t;
    let mut r = t
        * (0.999_866
            + t2 * (-0.330_299_5 + t2 * (0.180_141 + t2 * (-0.085_133 + t2 * 0.020_835_1))));
    if ay > ax {
        r = std::f32::consts::FRAC_PI_2 - r;
    }
    if x < 0.0 {
        r = std::f32::consts::PI - r;
    }
    if y < 0.0 {
        -r
    } else {
        r
    }
}

// ---------------------------------------------------------------- analysis core

/// Four `f32` lanes; arrays of these map onto SSE registers.
type V4 = [f32; 4];

/// Correlation tables, sample-major so that one sample updates all sixteen
/// accumulators at once (this vectorises far better than one dot product per
/// frequency): lane `2f` of `coef[n]` is cos(ω_f n), lane `2f+1` is
/// −sin(ω_f n); frequencies 0..4 are the rows, 4..8 the columns.
struct Tables {
    coef: [[V4; 4]; SUB],
    /// [`dft_of_tone`] sampled every [`TONE_DFT_STEP`] Hz over ±[`TONE_DFT_SPAN`] Hz.
    tone_dft: Vec<C32>,
    /// e^{−jω_f·51}: moves a sub-block's phase reference back by one sub-block.
    rot: [C32; 8],
}

fn freq(f: usize) -> f64 {
    if f < 4 {
        ROW_FREQS[f]
    } else {
        COL_FREQS[f - 4]
    }
}

impl Tables {
    /// The tables, computed once per process.
    fn get() -> &'static Tables {
        static TABLES: std::sync::OnceLock<Tables> = std::sync::OnceLock::new();
        TABLES.get_or_init(Tables::new)
    }

    fn new() -> Tables {
        let mut coef = [[[0f32; 4]; 4]; SUB];
        let mut rot = [C32::default(); 8];
        for f in 0..8 {
            let w = 2.0 * PI * freq(f) / FS;
            for (n, c) in coef.iter_mut().enumerate() {
                c[f / 2][(2 * f) % 4] = (w * n as f64).cos() as f32;
                c[f / 2][(2 * f + 1) % 4] = -(w * n as f64).sin() as f32;
            }
            let a = -w * SUB as f64;
            rot[f] = C32 {
                re: a.cos() as f32,
                im: a.sin() as f32,
            };
        }
        let n = (2.0 * TONE_DFT_SPAN / TONE_DFT_STEP) as usize + 2;
        let tone_dft = (0..n)
            .map(|i| dft_of_tone(i as f64 * TONE_DFT_STEP - TONE_DFT_SPAN))
            .collect();
        Tables {
            coef,
            rot,
            tone_dft,
        }
    }
}

#[inline(always)]
fn mac(acc: &mut V4, x: f32, c: &V4) {
    for i in 0..4 {
        acc[i] += x * c[i];
    }
}

/// DFT bins and energy of one sub-block.
#[derive(Debug, Clone, Copy, Default)]
struct SubBlock {
    bins: [C32; 8],
    energy: f32,
}

#[inline(never)]
fn analyze(t: &Tables, x: &[f32; SUB_PAD]) -> SubBlock {
    // Two interleaved accumulator sets (even/odd samples) halve the length of
    // the dependency chains.
    let mut a = [[0f32; 4]; 4];
    let mut b = [[0f32; 4]; 4];
    let mut n = 0;
    while n + 1 < SUB {
        let (x0, x1) = (x[n], x[n + 1]);
        for v in 0..4 {
            mac(&mut a[v], x0, &t.coef[n][v]);
            mac(&mut b[v], x1, &t.coef[n + 1][v]);
        }
        n += 2;
    }
    for v in 0..4 {
        mac(&mut a[v], x[SUB - 1], &t.coef[SUB - 1][v]);
    }
    let mut e = [0f32; 8];
    for xc in x.chunks_exact(8) {
        for l in 0..8 {
            e[l] += xc[l] * xc[l];
        }
    }
    let mut bins = [C32::default(); 8];
    for f in 0..8 {
        let (v, l) = (f / 2, (2 * f) % 4);
        bins[f] = C32 {
            re: a[v][l] + b[v][l],
            im: a[v][l + 1] + b[v][l + 1],
        };
    }
    SubBlock {
        bins,
        energy: ((e[0] + e[4]) + (e[1] + e[5])) + ((e[2] + e[6]) + (e[3] + e[7])),
    }
}

/// Range and resolution of the tabulated [`dft_of_tone`].
const TONE_DFT_SPAN: f64 = 1100.0;
const TONE_DFT_STEP: f64 = 0.5;

impl Tables {
    /// [`dft_of_tone`] by linear interpolation in the table.
    fn tone_dft(&self, delta: f64) -> C32 {
        let x =
            ((delta + TONE_DFT_SPAN) / TONE_DFT_STEP).clamp(0.0, (self.tone_dft.len() - 2) as f64);
        let i = x as usize;
        let t = (x - i as f64) as f32;
        let (a, b) = (self.tone_dft[i], self.tone_dft[i + 1]);
        C32 {
            re: a.re + (b.re - a.re) * t,
            im: a.im + (b.im - a.im) * t,
        }
    }
}

/// Power of another harmonic, relative to the mean power of the two tones,
/// above which a window is taken for a voice or an instrument (−10 dB; a key
/// measures below −15 dB here even at 15 dB SNR, voices −6 dB and above).
const HARMONIC_REJECT: f32 = 0.1;

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// If `lo` and `hi` are the m-th and n-th harmonics of one fundamental
/// (coprime m < n <= 9, ratio within 0.5 %), that fundamental.
fn common_fundamental(lo: f64, hi: f64) -> Option<f64> {
    let ratio = hi / lo;
    for m in 1..=8u32 {
        let n = (ratio * m as f64).round() as u32;
        if n <= m || n > 9 || (ratio / (n as f64 / m as f64) - 1.0).abs() >= 0.005 {
            continue;
        }
        if gcd(m as u64, n as u64) == 1 {
            return Some((lo / m as f64 + hi / n as f64) / 2.0);
        }
    }
    None
}

/// DFT of `x` at `f` Hz (phasor recurrence, no per-sample trigonometry;
/// four interleaved phasors keep the dependency chains short).
fn dft_at(x: &[f32], f: f64) -> C32 {
    let (sin, cos) = (-2.0 * PI * f / FS).sin_cos();
    let step = C32 {
        re: cos as f32,
        im: sin as f32,
    };
    let step2 = step.mul(step);
    let step4 = step2.mul(step2);
    let one = C32 { re: 1.0, im: 0.0 };
    let mut ph = [one, step, step2, step2.mul(step)];
    let mut acc = [C32::default(); 4];
    let mut chunks = x.chunks_exact(4);
    for c in &mut chunks {
        for i in 0..4 {
            acc[i].re += c[i] * ph[i].re;
            acc[i].im += c[i] * ph[i].im;
            ph[i] = ph[i].mul(step4);
        }
    }
    for (i, &v) in chunks.remainder().iter().enumerate() {
        acc[i].re += v * ph[i].re;
        acc[i].im += v * ph[i].im;
    }
    acc[0].add(acc[1]).add(acc[2].add(acc[3]))
}

/// Window DFT of a unit complex exponential offset by `delta` Hz from the
/// bin: Σ_{n<WIN} e^{j2π·delta·n/FS} (equal to WIN at 0 Hz).
fn dft_of_tone(delta: f64) -> C32 {
    let x = PI * delta / FS;
    let mag = if x.abs() < 1e-9 {
        WIN as f64
    } else {
        (WIN as f64 * x).sin() / x.sin()
    };
    let ph = x * (WIN as f64 - 1.0);
    C32 {
        re: (mag * ph.cos()) as f32,
        im: (mag * ph.sin()) as f32,
    }
}

/// An ongoing candidate key press.
#[derive(Debug, Clone)]
struct Run {
    key: (usize, usize),
    first_window: u64,
    last_hit: u64,
    hits: u32,
    misses: u32,
    /// Number of phase products accumulated (pairs of consecutive hits).
    pairs: u32,
    /// Σ phase-advance products for the row and column tone.
    phase: [C32; 2],
    /// Σ peak amplitudes of the row and column tone.
    amp: [f64; 2],
}

/// The 8 kHz detector without resampling.
struct Core {
    opts: DetectorOptions,
    tables: &'static Tables,
    min_amp: f32,
    normal_twist: f32,
    reverse_twist: f32,
    /// Samples waiting to complete a sub-block.
    pending: [f32; SUB_PAD],
    pending_len: usize,
    /// Index of the next sub-block.
    sub_index: u64,
    prev_sub: Option<SubBlock>,
    /// Samples of the previous and current sub-block (the current window).
    samples: [f32; 2 * SUB],
    /// Previous window's bins (phase referenced to its start).
    prev_win: Option<[C32; 8]>,
    run: Option<Run>,
    /// Phase products of the current run, in order (the first
    /// [`MAX_PAIR_LOG`]), for the frequency-drift check.
    pair_log: Vec<[f32; 2]>,
    events: Vec<DtmfEvent>,
}

/// A hit: key plus per-tone phase products and amplitudes.
struct Hit {
    key: (usize, usize),
    phase: [C32; 2],
    /// Arguments of `phase` (radians per hop).
    phase_arg: [f32; 2],
    amp: [f64; 2],
}

impl Core {
    fn new(opts: DetectorOptions) -> Core {
        let min_amp = (DBM0_PEAK * 10f64.powf(opts.min_level_dbm0 as f64 / 20.0)) as f32;
        Core {
            normal_twist: 10f32.powf(opts.max_normal_twist_db / 20.0),
            reverse_twist: 10f32.powf(opts.max_reverse_twist_db / 20.0),
            min_amp,
            opts,
            tables: Tables::get(),
            pending: [0.0; SUB_PAD],
            pending_len: 0,
            sub_index: 0,
            prev_sub: None,
            samples: [0.0; 2 * SUB],
            prev_win: None,
            run: None,
            pair_log: Vec::with_capacity(MAX_PAIR_LOG),
            events: Vec::new(),
        }
    }

    fn push_i16(&mut self, mut samples: &[i16]) {
        if self.pending_len > 0 {
            let take = (SUB - self.pending_len).min(samples.len());
            for (d, &s) in self.pending[self.pending_len..]
                .iter_mut()
                .zip(&samples[..take])
            {
                *d = s as f32;
            }
            self.pending_len += take;
            samples = &samples[take..];
            if self.pending_len < SUB {
                return;
            }
            let block = self.pending;
            self.sub_block(&block);
            self.pending_len = 0;
        }
        let mut block = [0f32; SUB_PAD];
        let mut chunks = samples.chunks_exact(SUB);
        for c in &mut chunks {
            for (d, &s) in block.iter_mut().zip(c) {
                *d = s as f32;
            }
            self.sub_block(&block);
        }
        let rest = chunks.remainder();
        for (d, &s) in self.pending.iter_mut().zip(rest) {
            *d = s as f32;
        }
        self.pending_len = rest.len();
    }

    fn push_f32(&mut self, samples: &[f32]) {
        for &s in samples {
            self.pending[self.pending_len] = s;
            self.pending_len += 1;
            if self.pending_len == SUB {
                let block = self.pending;
                self.sub_block(&block);
                self.pending_len = 0;
            }
        }
    }

    /// Processes one complete sub-block (entries past [`SUB`] must be zero).
    fn sub_block(&mut self, block: &[f32; SUB_PAD]) {
        let cur = analyze(self.tables, block);
        let index = self.sub_index;
        self.sub_index += 1;
        let Some(prev) = self.prev_sub.replace(cur) else {
            return;
        };
        // Window = (prev, cur); its index is that of its first sub-block.
        let window = index - 1;
        let mut win = [C32::default(); 8];
        for f in 0..8 {
            win[f] = prev.bins[f].add(cur.bins[f].mul(self.tables.rot[f]));
        }
        let energy = prev.energy + cur.energy;
        let prev_win = self.prev_win.replace(win);
        self.samples.copy_within(SUB.., 0);
        self.samples[SUB..].copy_from_slice(&block[..SUB]);
        // Once a key press is established, the checks that only guard
        // against a different signal (leakage residual, harmonics) are not
        // repeated for every further window of the same key.
        let established = self
            .run
            .as_ref()
            .filter(|r| r.hits >= MIN_HITS && r.misses == 0)
            .map(|r| r.key);
        let hit = prev_win.and_then(|pw| self.classify(&win, &pw, energy, established));
        self.track(window, hit);
    }

    /// Applies the per-window checks; `None` if the window is not a hit.
    fn classify(
        &self,
        win: &[C32; 8],
        prev: &[C32; 8],
        energy: f32,
        established: Option<(usize, usize)>,
    ) -> Option<Hit> {
        // Two tones at the minimum level already carry WIN·min_amp² of energy.
        if energy < WIN as f32 * self.min_amp * self.min_amp {
            return None;
        }
        let mut p = [0f32; 8];
        for f in 0..8 {
            p[f] = win[f].norm2();
        }
        // Quick level and energy-ratio tests on the raw bins, before any
        // trigonometry (the amplitude corrections below stay well under 2x,
        // i.e. 4x in power, for tones that can pass).
        let max_r = p[0].max(p[1]).max(p[2].max(p[3]));
        let max_c = p[4].max(p[5]).max(p[6].max(p[7]));
        let half = WIN as f32 / 2.0;
        let min_p = (self.min_amp * half * 0.5) * (self.min_amp * half * 0.5);
        if max_r < min_p
            || max_c < min_p
            || (max_r + max_c) * 4.0 < self.opts.min_energy_ratio * energy * half
        {
            return None;
        }
        let r = (0..4).find(|&f| p[f] == max_r).unwrap_or(0);
        let c = (4..8).find(|&f| p[f] == max_c).unwrap_or(4);
        // Frequency offsets from the phase advance over one hop.
        let mut phase = [C32::default(); 2];
        let mut phase_arg = [0f32; 2];
        let mut tone_freq = [0f64; 2];
        for (i, &f) in [r, c].iter().enumerate() {
            let prod = win[f].mul(prev[f].conj()).mul(self.tables.rot[f]);
            phase_arg[i] = prod.arg();
            let df = phase_arg[i] as f64 * FS / (2.0 * PI * SUB as f64);
            if df.abs() > WINDOW_FREQ_DEV * freq(f) {
                return None;
            }
            phase[i] = prod;
            tone_freq[i] = freq(f) + df;
        }
        // Model the window as two tones at the measured frequencies: solve
        // for their complex amplitudes from the two bins (this undoes both the
        // window loss of an off-nominal tone and the leakage of each tone into
        // the other's bin), then require every other bin to hold little but
        // the predicted leakage.
        let w = |ti: usize, bin: usize| self.tables.tone_dft(tone_freq[ti] - freq(bin));
        let (a11, a12, a21, a22) = (w(0, r), w(1, r), w(0, c), w(1, c));
        let det = a11.mul(a22).sub(a12.mul(a21));
        if det.norm2() < 1.0 {
            return None;
        }
        let amp_r = win[r].mul(a22).sub(win[c].mul(a12)).div(det);
        let amp_c = win[c].mul(a11).sub(win[r].mul(a21)).div(det);
        // Peak amplitudes (a tone A·cos has complex amplitude A/2).
        let (ar, ac) = (2.0 * amp_r.norm2().sqrt(), 2.0 * amp_c.norm2().sqrt());
        if ar < self.min_amp || ac < self.min_amp {
            return None;
        }
        // Loose twist pre-filter; the run decides with averaged amplitudes.
        if ar > ac * self.normal_twist * TWIST_SLACK || ac > ar * self.reverse_twist * TWIST_SLACK {
            return None;
        }
        // Fraction of the window's energy in the two tones (a tone of
        // amplitude A has energy WIN·A²/2 over the window).
        let tone_energy = (ar * ar + ac * ac) * half;
        if tone_energy < self.opts.min_energy_ratio * energy {
            return None;
        }
        let hit = Hit {
            key: (r, c - 4),
            phase,
            phase_arg,
            amp: [ar as f64, ac as f64],
        };
        if established == Some(hit.key) {
            return Some(hit);
        }
        for g in 0..8 {
            if g == r || g == c {
                continue;
            }
            let predicted = amp_r.mul(w(0, g)).add(amp_c.mul(w(1, g)));
            let residual = win[g].sub(predicted).norm2();
            let peak = if g < 4 { p[r] } else { p[c] };
            if residual * RELATIVE_PEAK > peak {
                return None;
            }
        }
        // Talk-off: two harmonics of one voice (e.g. the 3rd and 4th of a
        // 306 Hz fundamental, near 919 and 1226 Hz) can pass every test
        // above. When the two frequencies are in a small-integer ratio n/m,
        // look at the other harmonics of the implied fundamental: a voice or
        // an instrument has energy there, a key's two oscillators do not.
        if let Some(f0) = common_fundamental(tone_freq[0], tone_freq[1]) {
            // Mean power of the two tones in this window's bins.
            let reference = (ar * ar + ac * ac) * half * half / 8.0;
            let mut k = 1;
            while k as f64 * f0 < 3600.0 && k <= 12 {
                let f = k as f64 * f0;
                if (f - tone_freq[0]).abs() > 0.5 * f0 && (f - tone_freq[1]).abs() > 0.5 * f0 {
                    let predicted = amp_r
                        .mul(self.tables.tone_dft(tone_freq[0] - f))
                        .add(amp_c.mul(self.tables.tone_dft(tone_freq[1] - f)));
                    let e = dft_at(&self.samples, f).sub(predicted).norm2();
                    if e > HARMONIC_REJECT * reference {
                        return None;
                    }
                }
                k += 1;
            }
        }
        Some(hit)
    }

    fn track(&mut self, window: u64, hit: Option<Hit>) {
        match (self.run.as_mut(), hit) {
            (Some(run), Some(h)) if run.key == h.key => {
                if run.misses == 0 && run.last_hit + 1 == window {
                    run.phase[0] = run.phase[0].add(h.phase[0]);
                    run.phase[1] = run.phase[1].add(h.phase[1]);
                    run.pairs += 1;
                    if self.pair_log.len() < MAX_PAIR_LOG {
                        self.pair_log.push(h.phase_arg);
                    }
                }
                run.amp[0] += h.amp[0];
                run.amp[1] += h.amp[1];
                run.hits += 1;
                run.misses = 0;
                run.last_hit = window;
            }
            (_, Some(h)) => {
                self.end_run();
                self.pair_log.clear();
                self.run = Some(Run {
                    key: h.key,
                    first_window: window,
                    last_hit: window,
                    hits: 1,
                    misses: 0,
                    pairs: 0,
                    phase: [C32::default(); 2],
                    amp: h.amp,
                });
            }
            (Some(run), None) => {
                run.misses += 1;
                if run.misses > MAX_BRIDGE {
                    self.end_run();
                }
            }
            (None, None) => {}
        }
    }

    /// Relative frequency errors and mean corrected amplitudes of a run's
    /// two tones.
    fn run_measure(&self, run: &Run) -> ([f64; 2], [f64; 2]) {
        let mut err = [0f64; 2];
        let mut amp = [0f64; 2];
        for i in 0..2 {
            let f0 = if i == 0 {
                ROW_FREQS[run.key.0]
            } else {
                COL_FREQS[run.key.1]
            };
            let df = run.phase[i].arg() as f64 * FS / (2.0 * PI * SUB as f64);
            err[i] = df / f0;
            amp[i] = run.amp[i] / run.hits.max(1) as f64;
        }
        (err, amp)
    }

    /// Least-squares slope of each tone's per-hop frequency estimate over the
    /// run, relative to nominal, per second.
    fn run_slopes(&self, run: &Run) -> [f64; 2] {
        let n = self.pair_log.len();
        let mut out = [0f64; 2];
        if n < 2 {
            return out;
        }
        let mean_k = (n as f64 - 1.0) / 2.0;
        let sxx: f64 = (0..n).map(|k| (k as f64 - mean_k).powi(2)).sum();
        for i in 0..2 {
            let f0 = if i == 0 {
                ROW_FREQS[run.key.0]
            } else {
                COL_FREQS[run.key.1]
            };
            let mean: f64 = self.pair_log.iter().map(|p| p[i] as f64).sum::<f64>() / n as f64;
            let sxy: f64 = self
                .pair_log
                .iter()
                .enumerate()
                .map(|(k, p)| (k as f64 - mean_k) * (p[i] as f64 - mean))
                .sum();
            // radians per hop per hop -> Hz per second, relative to f0
            let hz_per_hop = sxy / sxx * FS / (2.0 * PI * SUB as f64);
            out[i] = hz_per_hop * (FS / SUB as f64) / f0;
        }
        out
    }

    fn run_is_valid(&self, run: &Run) -> bool {
        if run.hits < MIN_HITS || run.pairs < MIN_HITS - 2 {
            return false;
        }
        // Twist from the amplitudes averaged over the run: per-window values
        // wobble by up to ±2 dB with the other tone's leakage, the average
        // does not.
        let (err, amp) = self.run_measure(run);
        let (ar, ac) = (amp[0] as f32, amp[1] as f32);
        if ar > ac * self.normal_twist || ac > ar * self.reverse_twist {
            return false;
        }
        let dev = self.opts.max_freq_deviation as f64;
        if err[0].abs() > dev || err[1].abs() > dev {
            return false;
        }
        // A glide (speech intonation, a slide in music) can average out to a
        // DTMF frequency; a key's tones do not drift. Fit a line to the
        // per-hop frequency estimates and bound its slope.
        let slope = self.run_slopes(run);
        let max = self.opts.max_freq_slope as f64;
        if slope[0].abs() > max || slope[1].abs() > max {
            return false;
        }
        true
    }

    fn end_run(&mut self) {
        let Some(run) = self.run.take() else { return };
        if !self.run_is_valid(&run) {
            return;
        }
        let (err, amp) = self.run_measure(&run);
        let start = (run.first_window * SUB as u64).saturating_sub(5);
        let end = run.last_hit * SUB as u64 + WIN as u64 + 5;
        let level = |a: f64| (20.0 * (a / DBM0_PEAK).log10()) as f32;
        self.events.push(DtmfEvent {
            key: KEYPAD[run.key.0][run.key.1],
            start_ms: start / 8,
            duration_ms: ((end - start) / 8) as u32,
            low_dbm0: level(amp[0]),
            high_dbm0: level(amp[1]),
            low_freq_error: err[0] as f32,
            high_freq_error: err[1] as f32,
        });
    }

    fn current_key(&self) -> Option<char> {
        let run = self.run.as_ref()?;
        (run.misses == 0 && self.run_is_valid(run)).then(|| KEYPAD[run.key.0][run.key.1])
    }

    fn finish(&mut self) {
        if self.pending_len > 0 {
            let mut block = [0f32; SUB_PAD];
            block[..self.pending_len].copy_from_slice(&self.pending[..self.pending_len]);
            self.sub_block(&block);
        }
        self.end_run();
    }
}

// ---------------------------------------------------------------- public detector

/// Streaming DTMF detector. Feed audio with [`Detector::push`] in chunks of
/// any size; the same audio gives the same events whatever the chunking.
/// Call [`Detector::finish`] at the end of the stream to flush the last key.
pub struct Detector {
    core: Core,
    /// To 8 kHz at [`Quality::DETECTOR`], for other input rates.
    resampler: Option<resample::Stream>,
    scratch: Vec<f32>,
    rate: u32,
}

impl std::fmt::Debug for Detector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Detector")
            .field("rate", &self.rate)
            .field("opts", &self.core.opts)
            .finish()
    }
}

impl Detector {
    /// A detector for mono audio at `sample_rate` Hz with default thresholds.
    /// Rates other than 8000 are resampled to 8 kHz internally.
    pub fn new(sample_rate: u32) -> Result<Detector, DtmfError> {
        Detector::with_options(sample_rate, DetectorOptions::default())
    }

    /// Like [`Detector::new`] with explicit thresholds.
    pub fn with_options(sample_rate: u32, opts: DetectorOptions) -> Result<Detector, DtmfError> {
        if !(MIN_RATE..=MAX_RATE).contains(&sample_rate) {
            return Err(DtmfError::UnsupportedRate(sample_rate));
        }
        let resampler = if sample_rate == 8000 {
            None
        } else {
            let r = Resampler::with_quality(sample_rate, 8000, Quality::DETECTOR)
                .map_err(|_| DtmfError::UnsupportedRate(sample_rate))?;
            Some(r.stream())
        };
        Ok(Detector {
            core: Core::new(opts),
            resampler,
            scratch: Vec::new(),
            rate: sample_rate,
        })
    }

    /// Input sample rate.
    pub fn sample_rate(&self) -> u32 {
        self.rate
    }

    /// Feeds audio; returns the key presses that ended within it (an event is
    /// reported about 25 ms after its tone stops).
    pub fn push(&mut self, samples: &[i16]) -> Vec<DtmfEvent> {
        match &mut self.resampler {
            None => self.core.push_i16(samples),
            Some(r) => {
                self.scratch.clear();
                r.push_i16(samples, &mut self.scratch);
                self.core.push_f32(&self.scratch);
            }
        }
        std::mem::take(&mut self.core.events)
    }

    /// The key being held right now, once it has lasted long enough to count
    /// (about 33 ms): lets a prompt be interrupted before the key is released.
    pub fn current_key(&self) -> Option<char> {
        self.core.current_key()
    }

    /// Ends the stream: processes buffered audio and reports a key still in
    /// progress. The detector then starts over at time zero.
    pub fn finish(&mut self) -> Vec<DtmfEvent> {
        if let Some(r) = &mut self.resampler {
            self.scratch.clear();
            r.flush(&mut self.scratch);
            self.core.push_f32(&self.scratch);
        }
        self.core.finish();
        let events = std::mem::take(&mut self.core.events);
        let opts = self.core.opts.clone();
        self.core = Core::new(opts);
        events
    }
}

/// Detects all key presses in a complete recording.
pub fn decode_all(samples: &[i16], sample_rate: u32) -> Result<Vec<DtmfEvent>, DtmfError> {
    let mut d = Detector::new(sample_rate)?;
    let mut events = d.push(samples);
    events.extend(d.finish());
    Ok(events)
}

// ---------------------------------------------------------------- generation

/// Options for [`generate`] and [`add_key`].
#[derive(Debug, Clone, PartialEq)]
pub struct GenOptions {
    /// Output sample rate, Hz. Default 8000.
    pub sample_rate: u32,
    /// Tone duration per key, ms. Default 80.
    pub tone_ms: u32,
    /// Silence after each tone, ms. Default 80.
    pub gap_ms: u32,
    /// Silence before the first tone, ms. Default 0.
    pub lead_ms: u32,
    /// Level of the low-group tone, dBm0. Default −7.
    pub level_dbm0: f32,
    /// High-group level minus low-group level, dB. Positive: high group
    /// stronger ("reverse" twist in spandsp's terms); negative: low group
    /// stronger ("normal" twist). Default 0.
    pub twist_db: f32,
    /// Relative frequency error of the low-group tone (0.015 = +1.5 %).
    pub row_offset: f32,
    /// Relative frequency error of the high-group tone.
    pub col_offset: f32,
}

impl Default for GenOptions {
    fn default() -> Self {
        GenOptions {
            sample_rate: 8000,
            tone_ms: 80,
            gap_ms: 80,
            lead_ms: 0,
            level_dbm0: -7.0,
            twist_db: 0.0,
            row_offset: 0.0,
            col_offset: 0.0,
        }
    }
}

impl GenOptions {
    fn check(&self) -> Result<(), DtmfError> {
        let bad = |m: &str| Err(DtmfError::InvalidOptions(m.to_string()));
        if !(MIN_RATE..=MAX_RATE).contains(&self.sample_rate) {
            return Err(DtmfError::UnsupportedRate(self.sample_rate));
        }
        if self.tone_ms > 600_000 || self.gap_ms > 600_000 || self.lead_ms > 600_000 {
            return bad("durations must be at most 600000 ms");
        }
        if !self.level_dbm0.is_finite() || self.level_dbm0 > 10.0 {
            return bad("level_dbm0 must be finite and at most +10 dBm0");
        }
        if !self.twist_db.is_finite() || self.twist_db.abs() > 60.0 {
            return bad("twist_db must be within ±60 dB");
        }
        if !(self.row_offset.abs() <= 0.5 && self.col_offset.abs() <= 0.5) {
            return bad("frequency offsets must be within ±0.5");
        }
        Ok(())
    }
}

fn key_position(key: char) -> Option<(usize, usize)> {
    let key = key.to_ascii_uppercase();
    (0..16)
        .map(|i| (i / 4, i % 4))
        .find(|&(r, c)| KEYPAD[r][c] == key)
}

fn ms_to_samples(ms: u32, rate: u32) -> usize {
    (ms as u64 * rate as u64 / 1000) as usize
}

/// Mixes the tone pair of `key` into `buf[at..at + len]` (clipped to the
/// buffer; samples saturate at full scale). `opts.tone_ms`, `gap_ms` and
/// `lead_ms` are not used.
pub fn add_key(
    buf: &mut [i16],
    at: usize,
    len: usize,
    key: char,
    opts: &GenOptions,
) -> Result<(), DtmfError> {
    opts.check()?;
    let (r, c) = key_position(key).ok_or(DtmfError::InvalidKey { key, index: 0 })?;
    let rate = opts.sample_rate as f64;
    let fr = ROW_FREQS[r] * (1.0 + opts.row_offset as f64);
    let fc = COL_FREQS[c] * (1.0 + opts.col_offset as f64);
    let ar = DBM0_PEAK * 10f64.powf(opts.level_dbm0 as f64 / 20.0);
    let ac = ar * 10f64.powf(opts.twist_db as f64 / 20.0);
    let (wr, wc) = (2.0 * PI * fr / rate, 2.0 * PI * fc / rate);
    let end = at.saturating_add(len).min(buf.len());
    for (n, s) in buf.iter_mut().enumerate().take(end).skip(at) {
        let t = (n - at) as f64;
        let v = ar * (wr * t).sin() + ac * (wc * t).sin() + *s as f64;
        *s = v.round().clamp(-32768.0, 32767.0) as i16;
    }
    Ok(())
}

/// Renders `keys` as DTMF: `lead_ms` of silence, then for each key a tone of
/// `tone_ms` followed by `gap_ms` of silence. ASCII whitespace in `keys` is
/// skipped; any other non-key character is an error.
pub fn generate(keys: &str, opts: &GenOptions) -> Result<Vec<i16>, DtmfError> {
    opts.check()?;
    let mut list = Vec::new();
    for (index, key) in keys.chars().enumerate() {
        if key.is_ascii_whitespace() {
            continue;
        }
        if key_position(key).is_none() {
            return Err(DtmfError::InvalidKey { key, index });
        }
        list.push(key);
    }
    if list.len() > 100_000 {
        return Err(DtmfError::InvalidOptions("at most 100000 keys".into()));
    }
    let rate = opts.sample_rate;
    let tone = ms_to_samples(opts.tone_ms, rate);
    let gap = ms_to_samples(opts.gap_ms, rate);
    let lead = ms_to_samples(opts.lead_ms, rate);
    let total = lead.saturating_add(list.len().saturating_mul(tone + gap));
    if total > 3600 * rate as usize {
        return Err(DtmfError::InvalidOptions(
            "generated audio would exceed one hour".into(),
        ));
    }
    let mut out = vec![0i16; total];
    for (i, &k) in list.iter().enumerate() {
        add_key(&mut out, lead + i * (tone + gap), tone, k, opts)?;
    }
    Ok(out)
}

/// Deterministic white Gaussian noise at `level_dbm0` (RMS power), seeded.
pub fn noise(len: usize, level_dbm0: f32, seed: u64) -> Vec<i16> {
    let mut v = vec![0i16; len];
    add_noise(&mut v, level_dbm0, seed);
    v
}

/// Adds deterministic white Gaussian noise at `level_dbm0` to `buf`,
/// saturating at full scale.
pub fn add_noise(buf: &mut [i16], level_dbm0: f32, seed: u64) {
    let rms = DBM0_PEAK / 2f64.sqrt() * 10f64.powf(level_dbm0 as f64 / 20.0);
    let mut state = seed ^ 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        // splitmix64
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        ((z >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    for s in buf.iter_mut() {
        let (u1, u2) = (next(), next());
        let g = (-2.0 * u1.ln()).sqrt() * (2.0 * PI * u2).cos();
        *s = (*s as f64 + g * rms).round().clamp(-32768.0, 32767.0) as i16;
    }
}

// ---------------------------------------------------------------- WAV files

/// Reads a 16-bit integer PCM mono WAV file at a rate the detector takes
/// ([`MIN_RATE`]..=[`MAX_RATE`]); returns the samples and the sample rate.
/// Anything else (not RIFF/WAVE, stereo, 8/24/32-bit, float, G.711,
/// truncated data) is refused with a one-line error naming the file.
/// Odd-sized chunks before the data are read with or without their pad byte
/// (see [`crate::wav`]).
pub fn read_wav(path: impl AsRef<Path>) -> Result<(Vec<i16>, u32), DtmfError> {
    let path = path.as_ref();
    let file = check_wav(path, wav::read(path)?)?;
    Ok((file.to_i16(), file.spec().rate))
}

/// `file` if the detector takes it (16-bit mono at a rate it knows).
fn check_wav(path: &Path, file: wav::Wav<'static>) -> Result<wav::Wav<'static>, DtmfError> {
    let spec = file.spec();
    if !spec.is_mono16() || !(MIN_RATE..=MAX_RATE).contains(&spec.rate) {
        return Err(DtmfError::WavFormat {
            path: path.to_path_buf(),
            spec,
        });
    }
    Ok(file)
}

/// The key presses in a WAV file, and how long it lasts.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// The key presses, in order.
    pub events: Vec<DtmfEvent>,
    /// Samples in the file.
    pub frames: u64,
    /// The file's sample rate, Hz.
    pub rate: u32,
}

impl Decoded {
    /// The file's length in milliseconds (rounded down).
    pub fn duration_ms(&self) -> u64 {
        self.frames * 1000 / u64::from(self.rate.max(1))
    }
}

/// Reads a WAV file as [`read_wav`] does and detects its key presses. The
/// data chunk goes into the detector a block at a time, converted on the
/// way, so a long recording is never held twice; the events equal
/// [`decode_all`] on [`read_wav`]'s samples.
pub fn decode_file(path: impl AsRef<Path>) -> Result<Decoded, DtmfError> {
    let path = path.as_ref();
    decode_wav(path, wav::read(path)?)
}

/// [`decode_file`] for a WAV file already read into memory; errors name it `name`.
pub fn decode_bytes(name: &Path, bytes: Vec<u8>) -> Result<Decoded, DtmfError> {
    decode_wav(name, wav::from_bytes(name, bytes)?)
}

fn decode_wav(name: &Path, file: wav::Wav<'static>) -> Result<Decoded, DtmfError> {
    let file = check_wav(name, file)?;
    let rate = file.spec().rate;
    let mut detector = Detector::new(rate)?;
    let mut events = Vec::new();
    let mut blocks = file.i16_blocks(1 << 14);
    while let Some(block) = blocks.next_block() {
        events.extend(detector.push(block));
    }
    events.extend(detector.finish());
    Ok(Decoded {
        events,
        frames: file.frames() as u64,
        rate,
    })
}

/// Writes 16-bit mono PCM (see [`crate::wav::write`]).
pub fn write_wav(
    path: impl AsRef<Path>,
    samples: &[i16],
    sample_rate: u32,
) -> Result<(), DtmfError> {
    Ok(wav::write(path, &Spec::mono16(sample_rate), samples)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: &str = "123A456B789C*0#D";

    /// All 16 keys with `opts`, after `lead` samples of silence, optionally
    /// with white noise at `noise_dbm0`; returns the decoded keys.
    fn run(opts: &GenOptions, lead: usize, noise_dbm0: Option<f32>, seed: u64) -> String {
        let mut s = vec![0i16; lead];
        s.extend(generate(ALL, opts).unwrap());
        s.extend(std::iter::repeat_n(0, 800));
        if let Some(n) = noise_dbm0 {
            add_noise(&mut s, n, seed);
        }
        keys_of(&decode_all(&s, opts.sample_rate).unwrap())
    }

    /// Total power of the two tones of `opts`, dBm0.
    fn signal_dbm0(opts: &GenOptions) -> f32 {
        let lo = 10f32.powf(opts.level_dbm0 / 10.0);
        let hi = 10f32.powf((opts.level_dbm0 + opts.twist_db) / 10.0);
        10.0 * (lo + hi).log10()
    }

    struct Case {
        name: &'static str,
        opts: GenOptions,
        snr_db: Option<f32>,
        detect: bool,
    }

    fn q24_cases() -> Vec<Case> {
        let d = GenOptions::default();
        let mut v = Vec::new();
        let mut add = |name, opts: GenOptions, snr_db, detect| {
            v.push(Case {
                name,
                opts,
                snr_db,
                detect,
            })
        };
        add("nominal -7 dBm0, 80/80 ms", d.clone(), None, true);
        for (name, row, col, detect) in [
            ("both tones +1.5%", 0.015, 0.015, true),
            ("both tones -1.5%", -0.015, -0.015, true),
            ("low +1.5%, high -1.5%", 0.015, -0.015, true),
            ("low -1.5%, high +1.5%", -0.015, 0.015, true),
            ("both tones +3.5%", 0.035, 0.035, false),
            ("both tones -3.5%", -0.035, -0.035, false),
            ("low tone +3.5%", 0.035, 0.0, false),
            ("low tone -3.5%", -0.035, 0.0, false),
            ("high tone +3.5%", 0.0, 0.035, false),
            ("high tone -3.5%", 0.0, -0.035, false),
        ] {
            add(
                name,
                GenOptions {
                    row_offset: row,
                    col_offset: col,
                    ..d.clone()
                },
                None,
                detect,
            );
        }
        add(
            "normal twist 8 dB (low stronger)",
            GenOptions {
                twist_db: -8.0,
                ..d.clone()
            },
            None,
            true,
        );
        add(
            "normal twist 10 dB",
            GenOptions {
                twist_db: -10.0,
                ..d.clone()
            },
            None,
            false,
        );
        add(
            "reverse twist 4 dB (high stronger)",
            GenOptions {
                twist_db: 4.0,
                ..d.clone()
            },
            None,
            true,
        );
        add(
            "reverse twist 6 dB",
            GenOptions {
                twist_db: 6.0,
                ..d.clone()
            },
            None,
            false,
        );
        add(
            "40 ms tones, 40 ms pauses",
            GenOptions {
                tone_ms: 40,
                gap_ms: 40,
                ..d.clone()
            },
            None,
            true,
        );
        add(
            "20 ms tones",
            GenOptions {
                tone_ms: 20,
                gap_ms: 60,
                ..d.clone()
            },
            None,
            false,
        );
        add("15 dB SNR white noise", d.clone(), Some(15.0), true);
        add(
            "15 dB SNR, 40 ms tones",
            GenOptions {
                tone_ms: 40,
                gap_ms: 40,
                ..d.clone()
            },
            Some(15.0),
            true,
        );
        add(
            "attenuated 26 dB (-33 dBm0)",
            GenOptions {
                level_dbm0: -33.0,
                ..d.clone()
            },
            None,
            true,
        );
        add(
            "hot: 0 dBm0 per tone",
            GenOptions {
                level_dbm0: 0.0,
                ..d.clone()
            },
            None,
            true,
        );
        add(
            "-55 dBm0 per tone",
            GenOptions {
                level_dbm0: -55.0,
                ..d.clone()
            },
            None,
            false,
        );
        v
    }

    /// The ITU-T Q.24 table: every case over all 16 keys, at several
    /// alignments of the tones against the analysis blocks (and, for noisy
    /// cases, several noise seeds).
    #[test]
    fn q24_table() {
        let mut failures = Vec::new();
        for case in q24_cases() {
            for (i, lead) in [0usize, 17, 29, 44].into_iter().enumerate() {
                let noise = case.snr_db.map(|snr| signal_dbm0(&case.opts) - snr);
                let got = run(&case.opts, lead, noise, i as u64 + 1);
                let want = if case.detect { ALL } else { "" };
                if got != want {
                    failures.push(format!(
                        "{} (lead {lead}): got {got:?}, want {want:?}",
                        case.name
                    ));
                }
            }
        }
        assert!(
            failures.is_empty(),
            "Q.24 failures:\n{}",
            failures.join("\n")
        );
    }

    #[test]
    fn duration_boundaries_at_every_alignment() {
        for lead in (0..51).step_by(3) {
            let long = GenOptions {
                tone_ms: 40,
                gap_ms: 40,
                ..GenOptions::default()
            };
            assert_eq!(run(&long, lead, None, 0), ALL, "40 ms, lead {lead}");
            let short = GenOptions {
                tone_ms: 20,
                gap_ms: 40,
                ..GenOptions::default()
            };
            assert_eq!(run(&short, lead, None, 0), "", "20 ms, lead {lead}");
        }
    }

    #[test]
    fn interruptions_and_pauses() {
        let d = GenOptions::default();
        let mut s = vec![0i16; 8000];
        // 60 ms, a 10 ms break, 60 ms: one key press.
        add_key(&mut s, 800, 480, '5', &d).unwrap();
        add_key(&mut s, 800 + 480 + 80, 480, '5', &d).unwrap();
        // 60 ms, a 40 ms pause, 60 ms: two key presses.
        add_key(&mut s, 4000, 480, '7', &d).unwrap();
        add_key(&mut s, 4000 + 480 + 320, 480, '7', &d).unwrap();
        assert_eq!(keys_of(&decode_all(&s, 8000).unwrap()), "577");
    }

    #[test]
    fn timing_and_levels_are_reported() {
        let opts = GenOptions {
            tone_ms: 100,
            gap_ms: 150,
            lead_ms: 250,
            level_dbm0: -20.0,
            twist_db: -3.0,
            ..GenOptions::default()
        };
        let audio = generate("19#", &opts).unwrap();
        let ev = decode_all(&audio, 8000).unwrap();
        assert_eq!(keys_of(&ev), "19#");
        for (i, e) in ev.iter().enumerate() {
            let start = 250 + 250 * i as u64;
            assert!(e.start_ms.abs_diff(start) <= 5, "{e:?}");
            assert!(e.duration_ms.abs_diff(100) <= 8, "{e:?}");
            assert!((e.low_dbm0 + 20.0).abs() < 0.5, "{e:?}");
            assert!((e.high_dbm0 + 23.0).abs() < 0.5, "{e:?}");
            assert!(
                e.low_freq_error.abs() < 0.003 && e.high_freq_error.abs() < 0.003,
                "{e:?}"
            );
        }
        let json = serde_json::to_string(&ev[0]).unwrap();
        assert_eq!(serde_json::from_str::<DtmfEvent>(&json).unwrap(), ev[0]);
    }

    #[test]
    fn current_key_while_held() {
        let mut d = Detector::new(8000).unwrap();
        let tone = generate(
            "8",
            &GenOptions {
                tone_ms: 300,
                gap_ms: 0,
                ..GenOptions::default()
            },
        )
        .unwrap();
        assert!(d.push(&tone[..200]).is_empty());
        assert_eq!(d.current_key(), None);
        assert!(
            d.push(&tone[200..]).is_empty(),
            "reported only once released"
        );
        assert_eq!(d.current_key(), Some('8'));
        let ev = d.push(&[0i16; 800]);
        assert_eq!(keys_of(&ev), "8");
        assert_eq!(d.current_key(), None);
        assert!(d.finish().is_empty());
    }

    #[test]
    fn other_sample_rates() {
        for rate in [4000u32, 11025, 16000, 22050, 44100, 48000, 96000] {
            let opts = GenOptions {
                sample_rate: rate,
                ..GenOptions::default()
            };
            assert_eq!(run(&opts, 0, None, 0), ALL, "{rate} Hz");
            let ev = decode_all(
                &generate(
                    "5",
                    &GenOptions {
                        lead_ms: 100,
                        ..opts.clone()
                    },
                )
                .unwrap(),
                rate,
            )
            .unwrap();
            assert!(ev[0].start_ms.abs_diff(100) <= 5, "{rate} Hz: {:?}", ev[0]);
        }
        assert!(matches!(
            Detector::new(3999),
            Err(DtmfError::UnsupportedRate(3999))
        ));
        assert!(matches!(
            decode_all(&[], 500_000),
            Err(DtmfError::UnsupportedRate(_))
        ));
        assert!(decode_all(&[], 8000).unwrap().is_empty());
    }

    // ------------------------------------------------------------ talk-off

    fn sine_sum(len: usize, parts: &[(f64, f64)]) -> Vec<i16> {
        (0..len)
            .map(|n| {
                let t = n as f64 / 8000.0;
                let v: f64 = parts
                    .iter()
                    .map(|&(f, a)| a * (2.0 * PI * f * t).sin())
                    .sum();
                v.clamp(-32768.0, 32767.0) as i16
            })
            .collect()
    }

    fn amp(dbm0: f64) -> f64 {
        DBM0_PEAK * 10f64.powf(dbm0 / 20.0)
    }

    #[test]
    fn talk_off_synthetic_signals() {
        let mut cases: Vec<(&str, Vec<i16>)> = Vec::new();
        // Pure chords with a note more than 3.5 % from any DTMF frequency.
        for (a, b) in [
            (740.0, 1396.9),
            (622.3, 1108.7),
            (659.3, 1568.0),
            (987.8, 1760.0),
            (659.3, 1174.7),
        ] {
            cases.push((
                "pure chord",
                sine_sum(8000, &[(a, amp(-10.0)), (b, amp(-10.0))]),
            ));
        }
        // Harmonic-rich tones (1/k harmonics) whose harmonics fall on DTMF
        // pairs: 174.25 Hz has its 4th at 697 and 7th at 1219.75 Hz.
        for f0 in [174.25, 232.33, 241.8, 134.4, 306.5, 116.2] {
            let parts: Vec<(f64, f64)> = (1..=12)
                .filter(|k| *k as f64 * f0 < 3800.0)
                .map(|k| (k as f64 * f0, amp(-8.0) / k as f64))
                .collect();
            cases.push(("harmonic tone", sine_sum(8000, &parts)));
        }
        // A voice-like signal: 3rd and 4th harmonics of 306.5 Hz (919.5 and
        // 1226 Hz, near '*') dominate, the fundamental is 5 dB down.
        cases.push((
            "formant-like voice",
            sine_sum(
                8000,
                &[
                    (306.5, amp(-14.0)),
                    (613.0, amp(-22.0)),
                    (919.5, amp(-9.0)),
                    (1226.0, amp(-9.0)),
                    (1532.5, amp(-24.0)),
                ],
            ),
        ));
        // Three tones: two rows and a column; two columns and a row.
        cases.push((
            "two rows + column",
            sine_sum(
                8000,
                &[
                    (697.0, amp(-10.0)),
                    (770.0, amp(-10.0)),
                    (1209.0, amp(-10.0)),
                ],
            ),
        ));
        cases.push((
            "row + two columns",
            sine_sum(
                8000,
                &[
                    (852.0, amp(-10.0)),
                    (1336.0, amp(-10.0)),
                    (1477.0, amp(-10.0)),
                ],
            ),
        ));
        // Single tones.
        cases.push(("single row tone", sine_sum(8000, &[(770.0, amp(-5.0))])));
        cases.push(("single column tone", sine_sum(8000, &[(1477.0, amp(-5.0))])));
        // Dual glides sweeping through both groups at speech-like rates.
        let glide: Vec<i16> = {
            let (mut p1, mut p2) = (0.0f64, 0.0f64);
            (0..40_000)
                .map(|n| {
                    let u = (n as f64 / 4000.0) % 2.0;
                    let tri = if u < 1.0 { u } else { 2.0 - u };
                    p1 += 2.0 * PI * (600.0 + 400.0 * tri) / 8000.0;
                    p2 += 2.0 * PI * (1100.0 + 650.0 * tri) / 8000.0;
                    (amp(-10.0) * (p1.sin() + p2.sin())) as i16
                })
                .collect()
        };
        cases.push(("dual glides", glide));
        // Noise.
        cases.push(("white noise -10 dBm0", noise(40_000, -10.0, 3)));
        let mut clipped = noise(8000, 10.0, 4);
        clipped.extend(sine_sum(8000, &[(1000.0, 40_000.0)]));
        cases.push(("clipped noise and square-ish wave", clipped));
        for (name, signal) in cases {
            let ev = decode_all(&signal, 8000).unwrap();
            assert!(ev.is_empty(), "{name}: {ev:?}");
        }
    }

    /// A random two-voice melody of harmonic, decaying notes (30 s).
    #[test]
    fn talk_off_melody() {
        let mut out = vec![0f64; 30 * 8000];
        let mut state = 2024u64;
        let mut rnd = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        for voice in 0..2 {
            let mut t = 0usize;
            while t < out.len() {
                let len = (8000.0 * (0.1 + 0.3 * rnd())) as usize;
                let f = 220.0
                    * 2f64.powf((rnd() * 36.0).floor() / 12.0)
                    * if voice == 1 { 2.0 } else { 1.0 };
                for i in 0..len.min(out.len() - t) {
                    for h in 1..=5 {
                        if h as f64 * f < 3800.0 {
                            let env = (-4.0 * i as f64 / 8000.0).exp();
                            out[t + i] += amp(-14.0) * env / h as f64
                                * (2.0 * PI * h as f64 * f * i as f64 / 8000.0).sin();
                        }
                    }
                }
                t += len;
            }
        }
        let pcm: Vec<i16> = out
            .iter()
            .map(|v| v.clamp(-32768.0, 32767.0) as i16)
            .collect();
        let ev = decode_all(&pcm, 8000).unwrap();
        assert!(ev.is_empty(), "{ev:?}");
    }

    // ------------------------------------------------------------ streaming

    mod props {
        use super::*;
        use proptest::prelude::*;

        fn chunked(samples: &[i16], rate: u32, cuts: &[usize]) -> Vec<DtmfEvent> {
            let mut d = Detector::new(rate).unwrap();
            let mut events = Vec::new();
            let mut pos = 0;
            let mut i = 0;
            while pos < samples.len() {
                let n = cuts[i % cuts.len()].min(samples.len() - pos);
                events.extend(d.push(&samples[pos..pos + n]));
                pos += n;
                i += 1;
            }
            events.extend(d.finish());
            events
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(40))]

            /// Any chunking gives exactly the events of `decode_all`.
            #[test]
            fn chunking_invariance(
                keys in "[0-9*#A-D]{1,6}",
                cuts in proptest::collection::vec(1usize..700, 1..8),
                rate in proptest::sample::select(vec![8000u32, 16000, 44100]),
                seed in 0u64..1000,
            ) {
                let opts = GenOptions { sample_rate: rate, tone_ms: 60, gap_ms: 50, lead_ms: (seed % 37) as u32, ..GenOptions::default() };
                let mut s = generate(&keys, &opts).unwrap();
                add_noise(&mut s, -30.0, seed);
                let whole = decode_all(&s, rate).unwrap();
                prop_assert_eq!(keys_of(&whole), keys);
                prop_assert_eq!(chunked(&s, rate, &cuts), whole);
            }

            /// Arbitrary audio never panics, in any chunking.
            #[test]
            fn arbitrary_audio_never_panics(
                samples in proptest::collection::vec(any::<i16>(), 0..3000),
                cuts in proptest::collection::vec(1usize..300, 1..4),
                rate in proptest::sample::select(vec![4000u32, 8000, 11025, 384000]),
            ) {
                let _ = chunked(&samples, rate, &cuts);
            }
        }
    }

    // ------------------------------------------------------------ generator and files

    #[test]
    fn fast_atan2_is_accurate() {
        let mut worst = 0f32;
        for i in 0..=3600 {
            let a = (i as f32 / 10.0 - 180.0).to_radians();
            for r in [1e-3f32, 1.0, 1e6] {
                let (y, x) = (r * a.sin(), r * a.cos());
                let mut d = (fast_atan2(y, x) - y.atan2(x)).abs();
                if d > PI as f32 {
                    d = 2.0 * PI as f32 - d;
                }
                worst = worst.max(d);
            }
        }
        assert!(worst < 2e-5, "{worst}");
        assert_eq!(fast_atan2(0.0, 0.0), 0.0);
        assert_eq!(fast_atan2(f32::NAN, 1.0), 0.0);
    }

    #[test]
    fn generator_contract() {
        let opts = GenOptions {
            tone_ms: 50,
            gap_ms: 25,
            lead_ms: 10,
            ..GenOptions::default()
        };
        let s = generate("1 2\t3", &opts).unwrap();
        assert_eq!(s.len(), 80 + 3 * (400 + 200));
        assert!(s[..80].iter().all(|&v| v == 0));
        assert!(s[80..480].iter().any(|&v| v != 0));
        assert!(s[480..680].iter().all(|&v| v == 0));
        assert!(matches!(
            generate("12x", &opts),
            Err(DtmfError::InvalidKey { key: 'x', index: 2 })
        ));
        assert!(matches!(
            generate(
                "1",
                &GenOptions {
                    sample_rate: 10,
                    ..opts.clone()
                }
            ),
            Err(DtmfError::UnsupportedRate(10))
        ));
        assert!(matches!(
            generate(
                "1",
                &GenOptions {
                    level_dbm0: f32::NAN,
                    ..opts.clone()
                }
            ),
            Err(DtmfError::InvalidOptions(_))
        ));
        assert!(matches!(
            generate(
                "1",
                &GenOptions {
                    row_offset: 2.0,
                    ..opts.clone()
                }
            ),
            Err(DtmfError::InvalidOptions(_))
        ));
        // Hot levels clip instead of wrapping.
        let hot = generate(
            "5",
            &GenOptions {
                level_dbm0: 10.0,
                ..GenOptions::default()
            },
        )
        .unwrap();
        assert!(hot.contains(&i16::MAX));
        // Noise has the asked-for power.
        let n = noise(80_000, -20.0, 1);
        let p = n.iter().map(|&v| (v as f64).powi(2)).sum::<f64>() / n.len() as f64;
        let dbm0 = 10.0 * (p / (DBM0_PEAK * DBM0_PEAK / 2.0)).log10();
        assert!((dbm0 + 20.0).abs() < 0.2, "{dbm0}");
        assert_eq!(noise(10, -20.0, 1), noise(10, -20.0, 1));
    }

    fn temp_path(name: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!("actline-dtmf-{}-{name}", std::process::id()))
    }

    fn write_raw_wav(path: &Path, channels: u16, bits: u16, format: u16, data: &[u8]) {
        let mut v = Vec::new();
        let rate = 8000u32;
        let align = channels * bits / 8;
        v.extend(b"RIFF");
        v.extend(&(36 + data.len() as u32).to_le_bytes());
        v.extend(b"WAVEfmt ");
        v.extend(&16u32.to_le_bytes());
        v.extend(&format.to_le_bytes());
        v.extend(&channels.to_le_bytes());
        v.extend(&rate.to_le_bytes());
        v.extend(&(rate * align as u32).to_le_bytes());
        v.extend(&align.to_le_bytes());
        v.extend(&bits.to_le_bytes());
        v.extend(b"data");
        v.extend(&(data.len() as u32).to_le_bytes());
        v.extend(data);
        std::fs::write(path, v).unwrap();
    }

    #[test]
    fn wav_files() {
        let ok = temp_path("ok.wav");
        let audio = generate("42#", &GenOptions::default()).unwrap();
        write_wav(&ok, &audio, 8000).unwrap();
        let (back, rate) = read_wav(&ok).unwrap();
        assert_eq!((back.as_slice(), rate), (audio.as_slice(), 8000));
        assert_eq!(keys_of(&decode_all(&back, rate).unwrap()), "42#");

        let check = |name: &str, make: &dyn Fn(&Path), want: &str| {
            let p = temp_path(name);
            make(&p);
            let e = read_wav(&p).unwrap_err().to_string();
            assert!(e.starts_with(&p.display().to_string()), "{e}");
            assert!(e.contains(want), "{name}: {e}");
            assert!(!e.contains('\n'), "{e}");
            let _ = std::fs::remove_file(&p);
        };
        check(
            "text.wav",
            &|p| std::fs::write(p, "hello, not audio").unwrap(),
            "not a usable WAV file",
        );
        check(
            "empty.wav",
            &|p| std::fs::write(p, "").unwrap(),
            "not a usable WAV file",
        );
        check(
            "stereo.wav",
            &|p| write_raw_wav(p, 2, 16, 1, &[0; 16]),
            "2 channels; only mono",
        );
        check(
            "8bit.wav",
            &|p| write_raw_wav(p, 1, 8, 1, &[128; 16]),
            "8-bit integer samples",
        );
        check(
            "float.wav",
            &|p| write_raw_wav(p, 1, 32, 3, &[0; 16]),
            "32-bit float samples",
        );
        check(
            "alaw.wav",
            &|p| write_raw_wav(p, 1, 8, 6, &[0; 16]),
            "only 16-bit integer PCM",
        );
        check(
            "truncated.wav",
            &|p| {
                write_raw_wav(p, 1, 16, 1, &[0; 100]);
                let bytes = std::fs::read(p).unwrap();
                std::fs::write(p, &bytes[..bytes.len() - 51]).unwrap();
            },
            "",
        );
        check(
            "1000hz.wav",
            &|p| {
                write_wav(p, &[0; 100], 1000).unwrap();
            },
            "a sample rate of 1000 Hz; supported: 4000 to 384000 Hz",
        );
        let d = decode_file(&ok).unwrap();
        assert_eq!(d.events, decode_all(&audio, 8000).unwrap());
        assert_eq!((d.frames, d.rate), (audio.len() as u64, 8000));
        assert_eq!(d.duration_ms(), audio.len() as u64 / 8);
        let long = temp_path("long.wav");
        let mut tones = generate(
            "0123456789*#ABCD",
            &GenOptions {
                sample_rate: 16_000,
                ..GenOptions::default()
            },
        )
        .unwrap();
        tones = tones.repeat(20);
        write_wav(&long, &tones, 16_000).unwrap();
        let d = decode_file(&long).unwrap();
        assert_eq!(keys_of(&d.events), "0123456789*#ABCD".repeat(20));
        assert_eq!(d.events, decode_all(&tones, 16_000).unwrap());
        let _ = std::fs::remove_file(&long);
        let e = decode_file("/nonexistent/dir/x.wav")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("/nonexistent/dir/x.wav: "), "{e}");
        let missing = read_wav("/nonexistent/dir/x.wav").unwrap_err().to_string();
        assert!(missing.starts_with("/nonexistent/dir/x.wav: "), "{missing}");
        let _ = std::fs::remove_file(&ok);
        assert!(write_wav("/nonexistent/dir/y.wav", &[], 8000).is_err());
    }
}
