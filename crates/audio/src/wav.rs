//! WAV files: one reader and one writer for every part of actline.
//!
//! # Reading
//!
//! [`read`] (a file) and [`parse`] (bytes in memory) walk the RIFF chunks of a
//! `RIFF`/`WAVE` file up to its `data` chunk and return a [`Wav`]: the
//! [`Spec`] from the `fmt ` chunk and the data chunk's bytes, which
//! [`Wav::to_i16`] and [`Wav::to_f32`] convert in one pass over the slice.
//!
//! * **Encodings**: integer PCM of 8 (unsigned), 16, 24 and 32 bits, 32-bit
//!   IEEE float, G.711 A-law and µ-law; any number of channels (interleaved).
//!   `WAVE_FORMAT_EXTENSIBLE` is read through its subformat. Anything else
//!   (ADPCM, MP3 in WAV, 12-bit or 64-bit samples) is
//!   [`WavErrorKind::Unsupported`]. Which of these a caller takes is the
//!   caller's decision: the DTMF detector and the voice packs take mono 16-bit
//!   PCM only and refuse the rest naming the [`Spec`].
//! * **Chunks**: the first `fmt ` chunk counts; `fact`, `LIST`, `cue ` and any
//!   other chunk before the data are skipped, whatever their size. A chunk of
//!   odd size is followed by a pad byte that its size does not count (the RIFF
//!   rule); some writers leave the pad byte out. After an odd-sized chunk the
//!   reader takes the pad byte when a zero byte is followed by a chunk ID, and
//!   no pad byte when a chunk ID starts right away.
//! * **The data chunk**: a length of `0xFFFF_FFFF` (left by writers that
//!   stream and never come back to fill it in) means "to the end of the file";
//!   any other length past the end of the file is
//!   [`WavErrorKind::Truncated`]. A trailing partial frame is dropped. Chunks
//!   after the data are not read.
//! * The RIFF size and the byte rate are redundant and not checked; the block
//!   align must match the channels and sample size.
//!
//! # Writing
//!
//! [`encode`] (to memory) and [`write`] (to a file, encoded in memory first
//! so a failure never leaves half a file) take 16-bit samples and store them in
//! any [`Spec`] the reader reads: plain `WAVE_FORMAT_PCM` with a 44-byte header
//! for mono and stereo up to 16 bits, `WAVE_FORMAT_EXTENSIBLE` for more
//! channels or wider samples (as Microsoft's rules ask), a `fact` chunk for
//! float and G.711, and a pad byte after an odd-sized data chunk.
//!
//! # Errors
//!
//! In-memory functions return a [`WavErrorKind`] (what was wrong); file
//! functions return a [`WavError`], which adds the file's path. Nothing here
//! panics on any input.

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::g711;

/// How a file's samples are coded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Encoding {
    /// Integer PCM: 8-bit unsigned, or 16, 24 or 32-bit signed, little-endian.
    Int,
    /// IEEE 754 32-bit float, full scale ±1.0.
    Float,
    /// ITU-T G.711 A-law, one byte per sample.
    ALaw,
    /// ITU-T G.711 µ-law, one byte per sample.
    MuLaw,
}

impl Encoding {
    /// The format tag of a plain `WAVEFORMATEX` (and of the subformat GUID).
    fn tag(self) -> u16 {
        match self {
            Encoding::Int => TAG_PCM,
            Encoding::Float => TAG_FLOAT,
            Encoding::ALaw => TAG_ALAW,
            Encoding::MuLaw => TAG_MULAW,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Encoding::Int => "PCM",
            Encoding::Float => "float",
            Encoding::ALaw => "A-law",
            Encoding::MuLaw => "µ-law",
        }
    }
}

/// What a WAV file holds: channels, rate, sample size and coding.
///
/// Its `Display` reads like "mono 16-bit PCM at 8000 Hz" or "stereo 32-bit
/// float at 44100 Hz".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Spec {
    /// Channels, interleaved in the data (1 mono, 2 stereo, ...).
    pub channels: u16,
    /// Frames per second, Hz.
    pub rate: u32,
    /// Bits per sample as stored (8, 16, 24 or 32).
    pub bits: u16,
    /// How the samples are coded.
    pub encoding: Encoding,
}

impl Spec {
    /// Mono 16-bit integer PCM at `rate` Hz: what actline writes and reads.
    pub fn mono16(rate: u32) -> Spec {
        Spec {
            channels: 1,
            rate,
            bits: 16,
            encoding: Encoding::Int,
        }
    }

    /// Whether this is mono 16-bit integer PCM (at any rate).
    pub fn is_mono16(&self) -> bool {
        self.channels == 1 && self.bits == 16 && self.encoding == Encoding::Int
    }

    /// Bytes per sample of one channel.
    fn sample_bytes(&self) -> usize {
        usize::from(self.bits / 8)
    }

    /// Bytes per frame (one sample of every channel).
    pub fn frame_bytes(&self) -> usize {
        usize::from(self.channels) * self.sample_bytes()
    }

    /// Checks that the reader and writer know this combination.
    fn check(&self) -> Result<(), WavErrorKind> {
        let known = match self.encoding {
            Encoding::Int => matches!(self.bits, 8 | 16 | 24 | 32),
            Encoding::Float => self.bits == 32,
            Encoding::ALaw | Encoding::MuLaw => self.bits == 8,
        };
        if !known {
            return Err(WavErrorKind::Unsupported {
                encoding: format!("{}-bit {}", self.bits, self.encoding.name()),
            });
        }
        if self.channels == 0 {
            return Err(WavErrorKind::BadFormat {
                reason: "0 channels".into(),
            });
        }
        if self.rate == 0 {
            return Err(WavErrorKind::BadFormat {
                reason: "a sample rate of 0 Hz".into(),
            });
        }
        Ok(())
    }
}

impl fmt::Display for Spec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.channels {
            1 => f.write_str("mono")?,
            2 => f.write_str("stereo")?,
            n => write!(f, "{n}-channel")?,
        }
        write!(
            f,
            " {}-bit {} at {} Hz",
            self.bits,
            self.encoding.name(),
            self.rate
        )
    }
}

/// What was wrong with WAV data (without the file's name; see [`WavError`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WavErrorKind {
    /// The file could not be read or written.
    #[error("{0}")]
    Io(std::io::Error),
    /// The bytes do not start with a `RIFF`/`WAVE` header (an empty file, a
    /// text file, another audio format).
    #[error("not a usable WAV file (no RIFF/WAVE header)")]
    NotWave,
    /// A `data` chunk came before any `fmt ` chunk.
    #[error("not a usable WAV file (no fmt chunk before the data)")]
    NoFormat,
    /// The chunks ended (or ran past the end of the file) without a `data` chunk.
    #[error("not a usable WAV file (no data chunk)")]
    NoData,
    /// The `fmt ` chunk is too short or contradicts itself.
    #[error("not a usable WAV file (fmt chunk: {reason})")]
    BadFormat {
        /// What is wrong with it.
        reason: String,
    },
    /// A coding the reader does not know (ADPCM, 12-bit PCM, 64-bit float...).
    #[error(
        "unsupported WAV encoding ({encoding}; known: 8/16/24/32-bit PCM, 32-bit float, A-law, µ-law)"
    )]
    Unsupported {
        /// The coding, as the file names it.
        encoding: String,
    },
    /// The data chunk says it is longer than the rest of the file.
    #[error("corrupt or truncated audio data (the data chunk promises {promised} bytes, the file holds {present})")]
    Truncated {
        /// Bytes the data chunk's header promises.
        promised: u64,
        /// Bytes left in the file after that header.
        present: u64,
    },
    /// More audio than a WAV file can hold (its sizes are 32-bit).
    #[error("{bytes} bytes of audio do not fit in a WAV file (at most 4 GiB)")]
    TooLarge {
        /// The size of the data asked for.
        bytes: u64,
    },
    /// Samples to write that do not fill whole frames.
    #[error("{samples} samples are not a whole number of {channels}-channel frames")]
    PartialFrame {
        /// Number of samples given.
        samples: usize,
        /// Channels of the spec.
        channels: u16,
    },
}

/// A WAV file that could not be read or written: the file and what was wrong.
/// Displays as one line, `PATH: what was wrong`.
#[derive(Debug, thiserror::Error)]
#[error("{}: {kind}", path.display())]
pub struct WavError {
    path: PathBuf,
    kind: WavErrorKind,
}

impl WavError {
    /// An error about the file (or in-memory data named) `path`.
    pub fn new(path: impl Into<PathBuf>, kind: WavErrorKind) -> WavError {
        WavError {
            path: path.into(),
            kind,
        }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What was wrong.
    pub fn kind(&self) -> &WavErrorKind {
        &self.kind
    }
}

const TAG_PCM: u16 = 0x0001;
const TAG_FLOAT: u16 = 0x0003;
const TAG_ALAW: u16 = 0x0006;
const TAG_MULAW: u16 = 0x0007;
const TAG_EXTENSIBLE: u16 = 0xFFFE;
/// The last 14 bytes of every `KSDATAFORMAT_SUBTYPE_*` GUID that carries a
/// plain format tag in its first two bytes (`xxxx0000-0000-0010-8000-00aa00389b71`).
const GUID_SUFFIX: [u8; 14] = [
    0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71,
];

/// A parsed WAV file: its [`Spec`] and its data chunk.
#[derive(Debug, Clone)]
pub struct Wav<'a> {
    spec: Spec,
    bytes: Cow<'a, [u8]>,
    data: Range<usize>,
}

/// Reads and parses a WAV file (the whole file is read at once). Errors
/// name the file.
pub fn read(path: impl AsRef<Path>) -> Result<Wav<'static>, WavError> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| WavError::new(path, WavErrorKind::Io(e)))?;
    from_bytes(path, bytes)
}

/// Parses a WAV file already read into memory (from standard input, say);
/// errors name it `name`.
pub fn from_bytes(name: &Path, bytes: Vec<u8>) -> Result<Wav<'static>, WavError> {
    let (spec, data) = locate(&bytes).map_err(|kind| WavError::new(name, kind))?;
    Ok(Wav {
        spec,
        bytes: Cow::Owned(bytes),
        data,
    })
}

/// Parses WAV bytes held in memory (borrowed, not copied).
pub fn parse(bytes: &[u8]) -> Result<Wav<'_>, WavErrorKind> {
    let (spec, data) = locate(bytes)?;
    Ok(Wav {
        spec,
        bytes: Cow::Borrowed(bytes),
        data,
    })
}

impl Wav<'_> {
    /// What the file holds.
    pub fn spec(&self) -> Spec {
        self.spec
    }

    /// The data chunk's whole frames, as stored (little-endian, interleaved).
    pub fn data(&self) -> &[u8] {
        self.bytes.get(self.data.clone()).unwrap_or(&[])
    }

    /// Number of frames (samples per channel).
    pub fn frames(&self) -> usize {
        self.data().len() / self.spec.frame_bytes().max(1)
    }

    /// Every sample (channels interleaved) as 16-bit: exact for 16-bit PCM;
    /// 8-bit PCM is scaled up, 24 and 32-bit PCM keep their top 16 bits,
    /// float is scaled by 32768, rounded and saturated (NaN gives 0), G.711
    /// is expanded by its tables.
    pub fn to_i16(&self) -> Vec<i16> {
        let mut out = Vec::new();
        extend_i16(self.spec, self.data(), &mut out);
        out
    }

    /// The samples as [`Wav::to_i16`] gives them, `frames` frames at a time
    /// into one reused buffer: a long file is converted without a second
    /// copy of all its samples.
    pub fn i16_blocks(&self, frames: usize) -> I16Blocks<'_> {
        I16Blocks {
            spec: self.spec,
            rest: self.data(),
            block_bytes: frames.max(1) * self.spec.frame_bytes(),
            buf: Vec::new(),
        }
    }

    /// Every sample (channels interleaved) as a float with full scale ±1.0
    /// (integer PCM divided by 2^(bits−1); float as stored).
    pub fn to_f32(&self) -> Vec<f32> {
        let d = self.data();
        match (self.spec.encoding, self.spec.bits) {
            (Encoding::Int, 8) => d.iter().map(|&b| (f32::from(b) - 128.0) / 128.0).collect(),
            (Encoding::Int, 16) => d
                .chunks_exact(2)
                .map(|b| f32::from(i16::from_le_bytes([b[0], b[1]])) / 32_768.0)
                .collect(),
            (Encoding::Int, 24) => d
                .chunks_exact(3)
                .map(|b| (i32::from_le_bytes([0, b[0], b[1], b[2]]) >> 8) as f32 / 8_388_608.0)
                .collect(),
            (Encoding::Int, _) => d
                .chunks_exact(4)
                .map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f32 / 2_147_483_648.0)
                .collect(),
            (Encoding::Float, _) => d
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
            (Encoding::ALaw | Encoding::MuLaw, _) => self
                .to_i16()
                .into_iter()
                .map(|s| f32::from(s) / 32_768.0)
                .collect(),
        }
    }
}

/// Blocks of 16-bit samples from a [`Wav`] (see [`Wav::i16_blocks`]).
#[derive(Debug)]
pub struct I16Blocks<'w> {
    spec: Spec,
    rest: &'w [u8],
    block_bytes: usize,
    buf: Vec<i16>,
}

impl I16Blocks<'_> {
    /// The next block of whole frames (channels interleaved), or `None` at
    /// the end.
    pub fn next_block(&mut self) -> Option<&[i16]> {
        if self.rest.is_empty() {
            return None;
        }
        let (block, rest) = self.rest.split_at(self.block_bytes.min(self.rest.len()));
        self.rest = rest;
        self.buf.clear();
        extend_i16(self.spec, block, &mut self.buf);
        Some(&self.buf)
    }
}

/// Appends the samples of `data` (whole frames of `spec`) as 16-bit.
fn extend_i16(spec: Spec, d: &[u8], out: &mut Vec<i16>) {
    match (spec.encoding, spec.bits) {
        (Encoding::Int, 16) => {
            out.extend(d.chunks_exact(2).map(|b| i16::from_le_bytes([b[0], b[1]])))
        }
        (Encoding::Int, 8) => out.extend(d.iter().map(|&b| (i16::from(b) - 128) << 8)),
        (Encoding::Int, 24) => {
            out.extend(d.chunks_exact(3).map(|b| i16::from_le_bytes([b[1], b[2]])))
        }
        (Encoding::Int, _) => {
            out.extend(d.chunks_exact(4).map(|b| i16::from_le_bytes([b[2], b[3]])))
        }
        (Encoding::Float, _) => out.extend(
            d.chunks_exact(4)
                .map(|b| float_to_i16(f32::from_le_bytes([b[0], b[1], b[2], b[3]]))),
        ),
        (Encoding::ALaw, _) => out.extend(d.iter().map(|&b| g711::alaw_to_linear(b))),
        (Encoding::MuLaw, _) => out.extend(d.iter().map(|&b| g711::ulaw_to_linear(b))),
    }
}

fn float_to_i16(x: f32) -> i16 {
    let s = (x * 32_768.0).round();
    if s.is_nan() {
        0
    } else {
        s.clamp(-32_768.0, 32_767.0) as i16
    }
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    match b.get(at..at + 2) {
        Some(&[x, y]) => u16::from_le_bytes([x, y]),
        _ => 0,
    }
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    match b.get(at..at + 4) {
        Some(&[w, x, y, z]) => u32::from_le_bytes([w, x, y, z]),
        _ => 0,
    }
}

/// A plausible chunk ID: four printable ASCII characters.
fn is_chunk_id(b: Option<&[u8]>) -> bool {
    b.is_some_and(|b| b.len() == 4 && b.iter().all(|c| (0x20..=0x7e).contains(c)))
}

/// The spec and the byte range of the data chunk's whole frames.
fn locate(bytes: &[u8]) -> Result<(Spec, Range<usize>), WavErrorKind> {
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Err(WavErrorKind::NotWave);
    }
    let mut pos = 12usize;
    let mut spec: Option<Spec> = None;
    loop {
        let Some(header) = bytes.get(pos..pos + 8) else {
            return Err(WavErrorKind::NoData);
        };
        let id = &header[0..4];
        let len = u32_at(header, 4);
        let body = pos + 8;
        let present = bytes.len() - body;
        if id == b"data" {
            let spec = spec.ok_or(WavErrorKind::NoFormat)?;
            let len = match usize::try_from(len) {
                Ok(n) if n <= present => n,
                _ if len == u32::MAX => present,
                _ => {
                    return Err(WavErrorKind::Truncated {
                        promised: u64::from(len),
                        present: present as u64,
                    })
                }
            };
            let whole = len - len % spec.frame_bytes().max(1);
            return Ok((spec, body..body + whole));
        }
        let len = usize::try_from(len).map_err(|_| WavErrorKind::NoData)?;
        let Some(end) = body.checked_add(len).filter(|&e| e <= bytes.len()) else {
            // A chunk running past the end of the file before any data.
            return Err(if id == b"fmt " {
                WavErrorKind::BadFormat {
                    reason: format!("{len} bytes long, past the end of the file"),
                }
            } else {
                WavErrorKind::NoData
            });
        };
        if id == b"fmt " && spec.is_none() {
            spec = Some(parse_fmt(&bytes[body..end])?);
        }
        pos = if len % 2 == 1 {
            let padded = bytes.get(end) == Some(&0) && is_chunk_id(bytes.get(end + 1..end + 5));
            if !padded && is_chunk_id(bytes.get(end..end + 4)) {
                end
            } else {
                end + 1
            }
        } else {
            end
        };
    }
}

/// The spec in a `fmt ` chunk's body (`WAVEFORMAT`, `WAVEFORMATEX` or
/// `WAVEFORMATEXTENSIBLE`).
fn parse_fmt(fmt: &[u8]) -> Result<Spec, WavErrorKind> {
    let bad = |reason: String| WavErrorKind::BadFormat { reason };
    if fmt.len() < 16 {
        return Err(bad(format!(
            "{} bytes long; at least 16 expected",
            fmt.len()
        )));
    }
    let mut tag = u16_at(fmt, 0);
    let channels = u16_at(fmt, 2);
    let rate = u32_at(fmt, 4);
    let block_align = u16_at(fmt, 12);
    let bits = u16_at(fmt, 14);
    if tag == TAG_EXTENSIBLE {
        if fmt.len() < 40 {
            return Err(bad(format!(
                "WAVE_FORMAT_EXTENSIBLE in {} bytes; 40 expected",
                fmt.len()
            )));
        }
        let valid_bits = u16_at(fmt, 18);
        if valid_bits > bits {
            return Err(bad(format!(
                "{valid_bits} valid bits in a {bits}-bit sample"
            )));
        }
        if fmt[26..40] != GUID_SUFFIX {
            return Err(WavErrorKind::Unsupported {
                encoding: "WAVE_FORMAT_EXTENSIBLE with an unknown subformat".into(),
            });
        }
        tag = u16_at(fmt, 24);
    }
    let encoding = match tag {
        TAG_PCM => Encoding::Int,
        TAG_FLOAT => Encoding::Float,
        TAG_ALAW => Encoding::ALaw,
        TAG_MULAW => Encoding::MuLaw,
        0x0002 => {
            return Err(WavErrorKind::Unsupported {
                encoding: "ADPCM".into(),
            })
        }
        0x0011 => {
            return Err(WavErrorKind::Unsupported {
                encoding: "IMA ADPCM".into(),
            })
        }
        0x0055 => {
            return Err(WavErrorKind::Unsupported {
                encoding: "MP3".into(),
            })
        }
        t => {
            return Err(WavErrorKind::Unsupported {
                encoding: format!("format tag {t:#06x}"),
            })
        }
    };
    let spec = Spec {
        channels,
        rate,
        bits,
        encoding,
    };
    spec.check()?;
    if usize::from(block_align) != spec.frame_bytes() {
        return Err(bad(format!(
            "block align {block_align} does not match {channels} channel(s) of {bits} bits"
        )));
    }
    Ok(spec)
}

/// Encodes 16-bit samples (channels interleaved) as a WAV file in `spec`
/// (see the module documentation for the layout and the conversions, the
/// inverse of [`Wav::to_i16`]: 8-bit keeps the top 8 bits, 24 and 32-bit
/// PCM and float are exact).
pub fn encode(spec: &Spec, samples: &[i16]) -> Result<Vec<u8>, WavErrorKind> {
    spec.check()?;
    if !samples.len().is_multiple_of(usize::from(spec.channels)) {
        return Err(WavErrorKind::PartialFrame {
            samples: samples.len(),
            channels: spec.channels,
        });
    }
    let data_len = samples.len() as u64 * spec.sample_bytes() as u64;
    let extensible = spec.encoding == Encoding::Int && (spec.channels > 2 || spec.bits > 16);
    let fact = spec.encoding != Encoding::Int;
    let fmt_len: u32 = if extensible {
        40
    } else if fact {
        18
    } else {
        16
    };
    let header = 12 + 8 + u64::from(fmt_len) + if fact { 12 } else { 0 } + 8;
    let total = header + data_len + data_len % 2;
    let riff_len =
        u32::try_from(total - 8).map_err(|_| WavErrorKind::TooLarge { bytes: data_len })?;
    let frames = samples.len() / usize::from(spec.channels);
    let mut out = Vec::with_capacity(total as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&riff_len.to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&fmt_len.to_le_bytes());
    out.extend_from_slice(
        &if extensible {
            TAG_EXTENSIBLE
        } else {
            spec.encoding.tag()
        }
        .to_le_bytes(),
    );
    out.extend_from_slice(&spec.channels.to_le_bytes());
    out.extend_from_slice(&spec.rate.to_le_bytes());
    let block_align = spec.frame_bytes() as u32;
    out.extend_from_slice(&spec.rate.wrapping_mul(block_align).to_le_bytes());
    out.extend_from_slice(&(block_align as u16).to_le_bytes());
    out.extend_from_slice(&spec.bits.to_le_bytes());
    if extensible {
        out.extend_from_slice(&22u16.to_le_bytes());
        out.extend_from_slice(&spec.bits.to_le_bytes());
        let mask: u32 = match spec.channels {
            1 => 0x4,
            2 => 0x3,
            _ => 0,
        };
        out.extend_from_slice(&mask.to_le_bytes());
        out.extend_from_slice(&spec.encoding.tag().to_le_bytes());
        out.extend_from_slice(&GUID_SUFFIX);
    } else if fact {
        out.extend_from_slice(&0u16.to_le_bytes());
    }
    if fact {
        out.extend_from_slice(b"fact");
        out.extend_from_slice(&4u32.to_le_bytes());
        out.extend_from_slice(&u32::try_from(frames).unwrap_or(u32::MAX).to_le_bytes());
    }
    out.extend_from_slice(b"data");
    out.extend_from_slice(&(data_len as u32).to_le_bytes());
    match (spec.encoding, spec.bits) {
        (Encoding::Int, 16) => {
            for s in samples {
                out.extend_from_slice(&s.to_le_bytes());
            }
        }
        (Encoding::Int, 8) => out.extend(samples.iter().map(|&s| ((s >> 8) + 128) as u8)),
        (Encoding::Int, 24) => {
            for s in samples {
                out.push(0);
                out.extend_from_slice(&s.to_le_bytes());
            }
        }
        (Encoding::Int, _) => {
            for s in samples {
                out.extend_from_slice(&(i32::from(*s) << 16).to_le_bytes());
            }
        }
        (Encoding::Float, _) => {
            for s in samples {
                out.extend_from_slice(&(f32::from(*s) / 32_768.0).to_le_bytes());
            }
        }
        (Encoding::ALaw, _) => out.extend(samples.iter().map(|&s| g711::linear_to_alaw(s))),
        (Encoding::MuLaw, _) => out.extend(samples.iter().map(|&s| g711::linear_to_ulaw(s))),
    }
    if data_len % 2 == 1 {
        out.push(0);
    }
    Ok(out)
}

/// Encodes (see [`encode`]) and writes a WAV file. The file is encoded in
/// memory first, so an encoding error never leaves a partial file.
pub fn write(path: impl AsRef<Path>, spec: &Spec, samples: &[i16]) -> Result<(), WavError> {
    let path = path.as_ref();
    let bytes = encode(spec, samples).map_err(|kind| WavError::new(path, kind))?;
    std::fs::write(path, bytes).map_err(|e| WavError::new(path, WavErrorKind::Io(e)))
}

#[cfg(test)]
mod tests;
