//! `actline ivr` (a whole call from audio or a key timeline) and
//! `actline dtmf` (decode and encode tones).

use super::bad;
use actline::ivr::call::{Caller, Engine, RATE};
use actline::ivr::dtmf::{self, GenOptions};
use actline::ivr::flow::{FlowConfig, Grammars};
use actline::ivr::timeline::{Timeline, TimelineOptions};
use actline::line::EngineDesk;
use actline::voice::{self, Voice, VoiceSource};
use anyhow::Result;
use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Args, Debug)]
pub struct IvrArgs {
    /// The caller's recorded audio (WAV, 16-bit mono; any rate).
    #[arg(long, conflicts_with = "dtmf", required_unless_present = "dtmf")]
    audio: Option<PathBuf>,
    /// A scripted key timeline instead of audio, e.g. "2s 1234567 500ms 2345678 ... 60s".
    #[arg(long)]
    dtmf: Option<String>,
    /// Write the IVR's side of the call here (8 kHz WAV, time-aligned with the caller's).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Write the transcript (JSON) here; default: standard output.
    #[arg(long)]
    transcript: Option<PathBuf>,
    /// Voice pack language.
    #[arg(long, default_value = "en")]
    voice: String,
    /// Voice packs directory instead of the built-in packs.
    #[arg(long, env = "ACTLINE_VOICES")]
    voices: Option<PathBuf>,
    /// A directory of the vendor's own grammars (iid_group.gram, cid_menu.gram,
    /// agent.gram); a file missing there, or no directory, uses the grammars
    /// built into actline.
    #[arg(long, env = "ACTLINE_GRAMMARS")]
    grammars: Option<PathBuf>,
    /// First-digit timeout in milliseconds (100 to 600000).
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(100..=600_000))]
    first_digit_timeout: u64,
    /// Inter-digit timeout in milliseconds (100 to 600000).
    #[arg(long, default_value_t = 5_000, value_parser = clap::value_parser!(u64).range(100..=600_000))]
    inter_digit_timeout: u64,
    /// The call's identifier (in the transcript, the ledger and hand-overs).
    #[arg(long, default_value = "call-1")]
    call: String,
}

#[derive(Subcommand, Debug)]
pub enum DtmfCmd {
    /// Print the keys heard in a recording, on one line.
    Decode {
        /// WAV file (16-bit mono, any rate).
        file: PathBuf,
    },
    /// Write tones to a WAV file: keys (0-9 * # A-D) or a whole key timeline
    /// ("2s 1234567 1s 2345678 ... 60s"), for caller audio to feed `actline ivr --audio`.
    Encode {
        /// The keys, or a timeline of keys and pauses.
        keys: String,
        /// Output WAV (8 kHz, 16-bit mono).
        #[arg(long)]
        out: PathBuf,
        /// Tone length in milliseconds (20 to 1000; the detector needs 40).
        #[arg(long, default_value_t = 80, value_parser = clap::value_parser!(u32).range(20..=1000))]
        tone_ms: u32,
        /// Gap after each tone in milliseconds (20 to 1000).
        #[arg(long, default_value_t = 80, value_parser = clap::value_parser!(u32).range(20..=1000))]
        gap_ms: u32,
    },
}

/// Loads the voice for a language, borrowing missing prompts from English
/// (and saying so).
pub fn load_voice(source: &VoiceSource, language: &str) -> Result<Voice> {
    let (v, warnings) = voice::load_language(source, language).map_err(|e| bad(e.to_string()))?;
    for w in warnings {
        eprintln!("actline: {w}");
    }
    Ok(v)
}

pub fn ivr(backend: &super::backend::Backend, a: &IvrArgs) -> Result<()> {
    let caller = match (&a.audio, &a.dtmf) {
        (Some(path), _) => {
            let heard = dtmf::decode_file(path).map_err(|e| bad(e.to_string()))?;
            Caller::from_dtmf(&heard.events, heard.duration_ms())
        }
        (None, Some(script)) => {
            let t = Timeline::parse(script).map_err(|e| bad(format!("--dtmf: {e}")))?;
            Caller::from_timeline(&t)
        }
        (None, None) => return Err(bad("give --audio FILE or --dtmf TIMELINE")),
    };
    let grammars = match &a.grammars {
        Some(dir) => {
            let (grammars, notes) = Grammars::load(dir).map_err(|e| bad(e.to_string()))?;
            for n in notes {
                eprintln!("actline: {n}");
            }
            grammars
        }
        // The built-in grammars are tested; failing here is a bug (exit 1).
        None => Grammars::builtin()?,
    };
    let voice = load_voice(&VoiceSource::from_dir(a.voices.clone()), &a.voice)?;
    // The engine is reachable (the home opens, the service answers) before
    // the call starts, not at its first decision.
    backend.call(actline::service::Request::Health)?;
    let desk = EngineDesk::new(|r: &actline::service::Request| backend.call(r.clone()));
    let config = FlowConfig {
        first_digit_timeout_ms: a.first_digit_timeout,
        inter_digit_timeout_ms: a.inter_digit_timeout,
        ..FlowConfig::default()
    };
    let engine = Engine::new(Arc::new(voice), grammars, config);
    let (transcript, audio) = engine.run(&a.call, &caller, &desk);
    if let Some(out) = &a.out {
        voice::write_wav(out, &audio, RATE).map_err(|e| bad(e.to_string()))?;
    }
    let json = serde_json::to_string_pretty(&transcript)?;
    match &a.transcript {
        Some(p) => {
            std::fs::write(p, json + "\n").map_err(|e| bad(format!("{}: {e}", p.display())))?
        }
        None => outln!("{json}")?,
    }
    eprintln!(
        "{}: {:?} after {:.1} s{}{}",
        actline::display::visible(&transcript.call),
        transcript.outcome,
        transcript.duration_ms as f64 / 1000.0,
        transcript
            .installation_id
            .as_ref()
            .map(|i| format!("; installation ID {i}"))
            .unwrap_or_default(),
        transcript
            .confirmation_id
            .as_ref()
            .map(|c| format!("; confirmation ID {c}"))
            .unwrap_or_default()
    );
    Ok(())
}

pub fn dtmf(cmd: DtmfCmd) -> Result<()> {
    match cmd {
        DtmfCmd::Decode { file } => {
            let heard = dtmf::decode_file(&file).map_err(|e| bad(e.to_string()))?;
            outln!("{}", dtmf::keys_of(&heard.events))?;
        }
        DtmfCmd::Encode {
            keys,
            out,
            tone_ms,
            gap_ms,
        } => {
            let timeline = Timeline::parse_with(&keys, &TimelineOptions { tone_ms, gap_ms })
                .map_err(|e| bad(e.to_string()))?;
            let samples = timeline
                .render(&GenOptions::default())
                .map_err(|e| bad(e.to_string()))?;
            dtmf::write_wav(&out, &samples, 8_000).map_err(|e| bad(e.to_string()))?;
        }
    }
    Ok(())
}
