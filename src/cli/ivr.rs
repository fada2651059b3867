//! `actline ivr` (a whole call from audio or a key timeline) and
//! `actline dtmf` (decode and encode tones).

use super::bad;
use super::stdio;
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
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct IvrArgs {
    #[command(subcommand)]
    cmd: Option<IvrCmd>,
    /// The caller's recorded audio (WAV, 16-bit mono; any rate; `-` for standard input).
    #[arg(long, conflicts_with = "dtmf", required_unless_present = "dtmf")]
    audio: Option<PathBuf>,
    /// A scripted key timeline instead of audio, e.g. "2s 1234567 500ms 2345678 ... 60s".
    #[arg(long)]
    dtmf: Option<String>,
    /// Write the IVR's side of the call here (8 kHz WAV, time-aligned with the caller's; `-` for standard output).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Write the transcript (JSON) here (`-` or none: standard output).
    #[arg(long)]
    transcript: Option<PathBuf>,
    /// The call's identifier (in the transcript, the ledger and hand-overs).
    #[arg(long, default_value = "call-1")]
    call: String,
    #[command(flatten)]
    flow: FlowArgs,
}

#[derive(Subcommand, Debug)]
pub enum IvrCmd {
    /// Answer real calls over SIP (UDP) and RTP, with the same call flow,
    /// voice and ledger as `ivr --audio`; runs until SIGTERM or SIGINT.
    Serve(ServeArgs),
}

/// What the IVR says and listens for, whether on a recording or a line.
#[derive(Args, Debug)]
pub struct FlowArgs {
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
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Where to listen for SIP (UDP), e.g. 127.0.0.1:5080 (port 0: any; the
    /// first log line says which).
    #[arg(long, value_name = "ADDR")]
    sip: std::net::SocketAddr,
    #[command(flatten)]
    line: LineArgs,
}

/// How the telephone line answers (`ivr serve`, `serve --sip`).
#[derive(Args, Debug)]
pub struct LineArgs {
    /// Write each call's transcript (JSON) into this directory.
    #[arg(long, value_name = "DIR")]
    transcripts: Option<PathBuf>,
    /// Also write what the line sent on each call, DIR/<call>.wav (8 kHz).
    #[arg(long, requires = "transcripts")]
    record: bool,
    /// Transfer callers who ask for an agent here with SIP REFER; without it
    /// (or when the REFER fails) they hear that an agent will call back.
    #[arg(long, value_name = "URI")]
    agent_uri: Option<String>,
    /// Calls at once; more are answered 486 Busy Here.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    max_calls: u32,
    /// Addresses calls may come from (repeatable, e.g. 10.0.0.0/8); default: loopback only.
    #[arg(long, value_name = "CIDR")]
    allow: Vec<String>,
    /// Ring this long before answering (milliseconds, 0 to 60000).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=60_000))]
    answer_after: u64,
    /// End a call when no RTP came for this many seconds (1 to 3600).
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3_600))]
    rtp_timeout: u64,
    #[command(flatten)]
    flow: FlowArgs,
}

impl LineArgs {
    /// The line's configuration on `sip`, and its IVR.
    pub fn line(
        &self,
        sip: std::net::SocketAddr,
    ) -> Result<(actline_sip::line::LineConfig, Engine)> {
        let allow = self
            .allow
            .iter()
            .map(|c| actline_sip::ua::Cidr::parse(c).map_err(bad))
            .collect::<Result<Vec<_>>>()?;
        if let Some(uri) = &self.agent_uri {
            if !uri.starts_with("sip:") && !uri.starts_with("sips:") {
                return Err(bad(format!(
                    "--agent-uri {uri:?}: a SIP URI starts with sip:"
                )));
            }
        }
        let config = actline_sip::line::LineConfig {
            ua: actline_sip::ua::UaConfig {
                local: sip,
                max_calls: self.max_calls as usize,
                allow,
                agent_uri: self.agent_uri.clone(),
                answer_after_ms: self.answer_after,
            },
            media: actline_sip::media::MediaConfig {
                rtp_timeout_ms: self.rtp_timeout * 1000,
                ..Default::default()
            },
            transcripts: self.transcripts.clone(),
            record: self.record,
        };
        Ok((config, engine(&self.flow)?))
    }
}

/// Says what a line's run did.
pub fn report(summary: &actline_sip::line::Summary) {
    eprintln!(
        "the line took {} calls{}{}",
        summary.calls,
        if summary.outcomes.is_empty() {
            ""
        } else {
            ": "
        },
        summary
            .outcomes
            .iter()
            .map(|(k, v)| format!("{v} {k}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
}

#[derive(Subcommand, Debug)]
pub enum DtmfCmd {
    /// Print the keys heard in a recording, on one line.
    Decode {
        /// WAV file (16-bit mono, any rate; `-` for standard input).
        file: PathBuf,
    },
    /// Write tones to a WAV file: keys (0-9 * # A-D) or a whole key timeline
    /// ("2s 1234567 1s 2345678 ... 60s"), for caller audio to feed `actline ivr --audio`.
    Encode {
        /// The keys, or a timeline of keys and pauses.
        keys: String,
        /// Output WAV (8 kHz, 16-bit mono; `-` for standard output).
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

/// The IVR engine (voice, grammars, timeouts) of `flow`.
fn engine(flow: &FlowArgs) -> Result<Engine> {
    let grammars = match &flow.grammars {
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
    let voice = load_voice(&VoiceSource::from_dir(flow.voices.clone()), &flow.voice)?;
    let config = FlowConfig {
        first_digit_timeout_ms: flow.first_digit_timeout,
        inter_digit_timeout_ms: flow.inter_digit_timeout,
        ..FlowConfig::default()
    };
    Ok(Engine::new(Arc::new(voice), grammars, config))
}

pub fn ivr(backend: super::backend::Backend, a: &IvrArgs) -> Result<()> {
    if let Some(IvrCmd::Serve(s)) = &a.cmd {
        return serve(backend, s);
    }
    if a.out.as_deref().is_some_and(stdio::is_stdio)
        && a.transcript.as_deref().is_none_or(stdio::is_stdio)
    {
        return Err(bad(
            "--out - and the transcript cannot both go to standard output: give --transcript FILE",
        ));
    }
    let caller = match (&a.audio, &a.dtmf) {
        (Some(path), _) => {
            let (name, bytes) = stdio::read(path)?;
            let heard = dtmf::decode_bytes(&name, bytes).map_err(|e| bad(e.to_string()))?;
            Caller::from_dtmf(&heard.events, heard.duration_ms())
        }
        (None, Some(script)) => {
            let t = Timeline::parse(script).map_err(|e| bad(format!("--dtmf: {e}")))?;
            Caller::from_timeline(&t)
        }
        (None, None) => return Err(bad("give --audio FILE or --dtmf TIMELINE")),
    };
    let engine = engine(&a.flow)?;
    // The engine is reachable (the home opens, the service answers) before
    // the call starts, not at its first decision.
    backend.call(actline::service::Request::Health)?;
    let desk = EngineDesk::new(|r: &actline::service::Request| backend.call(r.clone()));
    let (transcript, audio) = engine.run(&a.call, &caller, &desk);
    if let Some(out) = &a.out {
        let wav = voice::encode_wav(&audio, RATE).map_err(|e| bad(e.to_string()))?;
        stdio::write(out, &wav)?;
    }
    let json = serde_json::to_string_pretty(&transcript)?;
    match &a.transcript {
        Some(p) => stdio::write(p, (json + "\n").as_bytes())?,
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

/// `actline ivr serve`: the line, until SIGTERM or SIGINT.
fn serve(backend: super::backend::Backend, a: &ServeArgs) -> Result<()> {
    let (config, engine) = a.line.line(a.sip)?;
    backend.call(actline::service::Request::Health)?;
    let backend = Arc::new(backend);
    let desk = EngineDesk::new(move |r: &actline::service::Request| backend.call(r.clone()));
    let summary = actline_sip::line::serve(config, Arc::new(engine), Arc::new(desk))
        .map_err(|e| bad(e.to_string()))?;
    report(&summary);
    Ok(())
}

pub fn dtmf(cmd: DtmfCmd) -> Result<()> {
    match cmd {
        DtmfCmd::Decode { file } => {
            let (name, bytes) = stdio::read(&file)?;
            let heard = dtmf::decode_bytes(&name, bytes).map_err(|e| bad(e.to_string()))?;
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
            let wav =
                actline::audio::wav::encode(&actline::audio::wav::Spec::mono16(8_000), &samples)
                    .map_err(|e| bad(format!("{}: {e}", out.display())))?;
            stdio::write(&out, &wav)?;
        }
    }
    Ok(())
}
