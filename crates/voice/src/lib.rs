//! The voice: spoken confirmation IDs and IVR prompts, shaped for the telephone.
//!
//! Callers hear their confirmation ID read down the phone line by the IVR, and an
//! agent can play the same readout to a caller. This module turns an utterance
//! into 16-bit audio that survives telephone bandwidth:
//!
//! 1. **Voice packs** ([`Voice`]) come from a [`VoiceSource`]: the packs built
//!    into the binary (from `samples/voices/` at build time, so an installed
//!    `actline` needs no files), or a directory `<root>/<language>/` holding a
//!    `manifest.json` ([`Manifest`]) listing recorded units (digits `digit_0`..
//!    `digit_9`, ordinal group labels `group_1`..`group_20`, and every IVR prompt in
//!    [`PROMPTS`]) and their mono 16-bit PCM WAV files. Loading is all-or-nothing:
//!    every problem (missing file, non-WAV, wrong sample format, missing unit) is
//!    reported at load, naming the file, never in the middle of a call. A pack that
//!    lacks a prompt can borrow the English recording ([`Voice::load_with_fallback`],
//!    [`VoiceSet`]) and says so with a [`LoadWarning`].
//! 2. **Plans** ([`Plan`]) say *what* to speak: a pure sequence of
//!    [`Step::Unit`] and [`Step::Pause`], built by [`Plan::confirmation_id`],
//!    [`Plan::digits`], [`Plan::prompt`], [`Plan::enter_group`]. Groups are announced
//!    by ordinal ("first group", "erste Gruppe", "premier groupe"), never by letter
//!    or number, so the label cannot be mistaken for a digit the caller must type.
//! 3. **Rendering** ([`Voice::render`]) turns a plan into samples in memory: units
//!    are trimmed of silence, DC-free, loudness-normalised to a common speech level
//!    (peak-limited, no clipping) and faded at load; pauses are scaled by the pace.
//!    Output rates are 8 kHz (telephone, default), 16 kHz (wideband) or the pack's
//!    own, produced by the documented windowed-sinc resampler of `actline-audio`
//!    ([`actline_audio::resample`] at its speech quality).
//! 4. **Encoding** ([`encode`], [`encode_wav`], [`write_output`]): 16-bit PCM WAV
//!    ([`actline_audio::wav`], which also reads the units), or raw G.711 mu-law /
//!    A-law ([`actline_audio::g711`]) as telephony servers store prompts.
//!
//! The module depends only on `actline-audio`, `actline-formats`, `serde`,
//! `serde_json` and `thiserror`; it never panics on user input (IDs, manifests,
//! audio files).

use std::path::PathBuf;

use actline_audio::resample::ResampleError;

mod dsp;
mod output;
mod pack;
mod plan;
mod units;

#[cfg(test)]
mod tests;

pub use output::{
    encode, encode_wav, write_output, write_wav, OutputFormat, OutputRate, RenderOptions, MAX_PACE,
    MIN_PACE,
};
pub use pack::{
    list_voices, load_language, LoadWarning, Manifest, ManifestUnit, Voice, VoiceInfo, VoiceSet,
    VoiceSource, BUILT_IN_ROOT, FALLBACK_LANGUAGE, MAX_UNIT_SECONDS, PACK_RATES,
};
pub use plan::{
    parse_groups, readout, readout_group, Plan, PlanOptions, Step, MAX_GROUP_DIGITS, MAX_PAUSE_MS,
    MAX_PLAIN_DIGITS,
};
pub use units::{Prompt, UnitId, UnitKind, MAX_GROUPS, PROMPTS};

/// Everything that can go wrong in the voice module. Every message is a single
/// line that names the offending file, value or unit.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VoiceError {
    /// The voices root directory could not be listed.
    #[error("cannot read voices directory {}: {error}", path.display())]
    VoicesDir {
        /// The directory.
        path: PathBuf,
        /// The underlying I/O error.
        error: std::io::Error,
    },
    /// No pack for the requested language is installed under the voices root.
    #[error("unknown voice '{language}' (installed: {available})")]
    UnknownVoice {
        /// The language asked for.
        language: String,
        /// Comma-separated languages that are installed, or "none".
        available: String,
    },
    /// `manifest.json` is missing, unreadable, not valid JSON, or violates the
    /// pack rules (unknown or duplicate unit id, unsafe file path, bad rate...).
    #[error("invalid voice manifest {}: {reason}", path.display())]
    Manifest {
        /// The manifest file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A unit file named by a manifest is missing, unreadable or not a WAV file.
    #[error("cannot read voice unit {}: {reason}", path.display())]
    UnitFile {
        /// The unit's audio file.
        path: PathBuf,
        /// Why it could not be read.
        reason: String,
    },
    /// A unit file is a WAV file but not mono 16-bit integer PCM at the
    /// manifest's rate, or is longer than [`MAX_UNIT_SECONDS`].
    #[error("voice unit {} is {found}; expected {expected}", path.display())]
    UnitFormat {
        /// The unit's audio file.
        path: PathBuf,
        /// What the file holds.
        found: String,
        /// What a pack requires.
        expected: String,
    },
    /// A unit file holds no audible sound (nothing left after silence trimming).
    #[error("voice unit {} contains no audible sound", path.display())]
    SilentUnit {
        /// The unit's audio file.
        path: PathBuf,
    },
    /// A pack lacks units that cannot be borrowed from another language (digits,
    /// group ordinals) or, when loaded without fallback, prompts.
    #[error("voice '{language}' lacks required units: {units}")]
    MissingUnits {
        /// The pack's language.
        language: String,
        /// Comma-separated unit ids.
        units: String,
    },
    /// A unit id string is not one of the ids a pack may define.
    #[error("unknown voice unit '{id}' (expected digit_0..digit_9, group_1..group_{max}, or a prompt id)", max = MAX_GROUPS)]
    UnknownUnit {
        /// The id given.
        id: String,
    },
    /// A prompt name is not one of [`PROMPTS`].
    #[error("unknown prompt '{name}' (known: {known})", known = PROMPTS.join(", "))]
    UnknownPrompt {
        /// The name given.
        name: String,
    },
    /// A confirmation ID or digit string is malformed (letters mixed in, empty
    /// or overlong group, too many groups).
    #[error("invalid confirmation ID: {reason}")]
    InvalidId {
        /// What is wrong, naming the group and character.
        reason: String,
    },
    /// A group number outside `1..=MAX_GROUPS` was asked for.
    #[error("group number {number} is out of range 1-{max}", max = MAX_GROUPS)]
    InvalidGroup {
        /// The number given.
        number: usize,
    },
    /// An output rate other than 8000, 16000 or native was asked for.
    #[error("unsupported rate '{value}' (use 8000, 16000 or native)")]
    InvalidRate {
        /// The value given.
        value: String,
    },
    /// The resampler cannot convert between these two rates.
    #[error(transparent)]
    UnsupportedRate(#[from] ResampleError),
    /// A pace outside [`MIN_PACE`]..=[`MAX_PACE`] (or not a number) was asked for.
    #[error("pace {value} is out of range {MIN_PACE}-{MAX_PACE} (1.0 is normal, 0.7 slower)")]
    InvalidPace {
        /// The value given.
        value: f32,
    },
    /// An output format other than wav, ulaw or alaw was asked for.
    #[error("unknown format '{value}' (use wav, ulaw or alaw)")]
    UnknownFormat {
        /// The value given.
        value: String,
    },
    /// Raw G.711 output was asked for at a rate other than 8000 Hz; a headerless
    /// G.711 file is always read as 8 kHz.
    #[error(
        "{format} output is 8000 Hz only (asked for {rate} Hz); use --rate 8000 or --format wav"
    )]
    G711Rate {
        /// "ulaw" or "alaw".
        format: String,
        /// The rate asked for.
        rate: u32,
    },
    /// Encoding WAV data failed.
    #[error("cannot encode WAV: {reason}")]
    Wav {
        /// The encoder's message.
        reason: String,
    },
    /// Writing an output file failed.
    #[error("cannot write {}: {error}", path.display())]
    Output {
        /// The output file.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        error: std::io::Error,
    },
}
