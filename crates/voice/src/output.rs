//! Output rates, formats and encoders: 16-bit PCM WAV (`actline_audio::wav`), raw G.711.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use actline_audio::{g711, wav};

use crate::VoiceError;

/// Slowest pace [`RenderOptions`] accepts (pauses 4× as long).
pub const MIN_PACE: f32 = 0.25;
/// Fastest pace [`RenderOptions`] accepts (pauses a quarter as long).
pub const MAX_PACE: f32 = 4.0;

/// The sample rate to render at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum OutputRate {
    /// 8000 Hz: narrowband telephony (G.711). The default.
    #[default]
    Hz8000,
    /// 16000 Hz: wideband telephony (G.722 systems, softphones).
    Hz16000,
    /// The voice pack's own rate, without resampling.
    Native,
}

impl OutputRate {
    /// The rate in Hz, given the pack's native rate.
    pub fn hz(self, native: u32) -> u32 {
        match self {
            OutputRate::Hz8000 => 8000,
            OutputRate::Hz16000 => 16000,
            OutputRate::Native => native,
        }
    }
}

impl FromStr for OutputRate {
    type Err = VoiceError;

    /// Accepts `8000`/`8k`, `16000`/`16k` and `native` (case-insensitive).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "8000" | "8k" | "8khz" => Ok(OutputRate::Hz8000),
            "16000" | "16k" | "16khz" => Ok(OutputRate::Hz16000),
            "native" => Ok(OutputRate::Native),
            _ => Err(VoiceError::InvalidRate {
                value: s.to_string(),
            }),
        }
    }
}

impl fmt::Display for OutputRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OutputRate::Hz8000 => "8000",
            OutputRate::Hz16000 => "16000",
            OutputRate::Native => "native",
        })
    }
}

/// The file format to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum OutputFormat {
    /// RIFF WAVE, 16-bit signed PCM, mono. The default.
    #[default]
    Wav,
    /// Raw G.711 mu-law bytes, 8000 Hz, no header (North America, Japan).
    Ulaw,
    /// Raw G.711 A-law bytes, 8000 Hz, no header (Europe and most others).
    Alaw,
}

impl OutputFormat {
    /// The usual file extension (`wav`, `ulaw`, `alaw`).
    pub fn extension(self) -> &'static str {
        match self {
            OutputFormat::Wav => "wav",
            OutputFormat::Ulaw => "ulaw",
            OutputFormat::Alaw => "alaw",
        }
    }
}

impl FromStr for OutputFormat {
    type Err = VoiceError;

    /// Accepts `wav`, `ulaw` (`mulaw`, `u-law`, `pcmu`) and `alaw` (`a-law`, `pcma`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "wav" => Ok(OutputFormat::Wav),
            "ulaw" | "mulaw" | "u-law" | "mu-law" | "pcmu" => Ok(OutputFormat::Ulaw),
            "alaw" | "a-law" | "pcma" => Ok(OutputFormat::Alaw),
            _ => Err(VoiceError::UnknownFormat {
                value: s.to_string(),
            }),
        }
    }
}

impl fmt::Display for OutputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.extension())
    }
}

/// How to render a plan.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RenderOptions {
    /// Output sample rate.
    pub rate: OutputRate,
    /// Speaking pace: every pause is divided by it (1.0 normal, 0.7 slower with
    /// longer pauses, 1.3 brisker). [`crate::Voice::render`] treats values
    /// that are not finite and positive as 1.0 and clamps the rest to
    /// [`MIN_PACE`]..=[`MAX_PACE`]; [`RenderOptions::new`] rejects them instead.
    pub pace: f32,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            rate: OutputRate::Hz8000,
            pace: 1.0,
        }
    }
}

impl RenderOptions {
    /// Validated options; errors with [`VoiceError::InvalidPace`] unless
    /// `MIN_PACE <= pace <= MAX_PACE`.
    pub fn new(rate: OutputRate, pace: f32) -> Result<RenderOptions, VoiceError> {
        if !(MIN_PACE..=MAX_PACE).contains(&pace) {
            return Err(VoiceError::InvalidPace { value: pace });
        }
        Ok(RenderOptions { rate, pace })
    }

    /// The pace actually used by a render (see [`RenderOptions::pace`]).
    pub fn effective_pace(&self) -> f32 {
        if self.pace.is_finite() && self.pace > 0.0 {
            self.pace.clamp(MIN_PACE, MAX_PACE)
        } else {
            1.0
        }
    }
}

/// Encodes mono samples as a 16-bit PCM WAV file in memory.
pub fn encode_wav(samples: &[i16], rate: u32) -> Result<Vec<u8>, VoiceError> {
    wav::encode(&wav::Spec::mono16(rate), samples).map_err(|e| VoiceError::Wav {
        reason: e.to_string(),
    })
}

/// Encodes samples at `rate` Hz in `format`. G.711 formats require 8000 Hz
/// ([`VoiceError::G711Rate`] otherwise), since a raw G.711 file carries no rate.
pub fn encode(format: OutputFormat, samples: &[i16], rate: u32) -> Result<Vec<u8>, VoiceError> {
    match format {
        OutputFormat::Wav => encode_wav(samples, rate),
        OutputFormat::Ulaw | OutputFormat::Alaw if rate != 8000 => Err(VoiceError::G711Rate {
            format: format.to_string(),
            rate,
        }),
        OutputFormat::Ulaw => Ok(g711::encode_ulaw(samples)),
        OutputFormat::Alaw => Ok(g711::encode_alaw(samples)),
    }
}

/// Writes a 16-bit PCM WAV file.
pub fn write_wav(path: &Path, samples: &[i16], rate: u32) -> Result<(), VoiceError> {
    write_output(path, OutputFormat::Wav, samples, rate)
}

/// Encodes (see [`encode`]) and writes a file. The whole file is encoded in memory
/// first, so an encoding error never leaves a partial file.
pub fn write_output(
    path: &Path,
    format: OutputFormat,
    samples: &[i16],
    rate: u32,
) -> Result<(), VoiceError> {
    let bytes = encode(format, samples, rate)?;
    std::fs::write(path, bytes).map_err(|error| VoiceError::Output {
        path: path.to_path_buf(),
        error,
    })
}
