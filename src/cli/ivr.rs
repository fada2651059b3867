//! `actline ivr` (a whole call from audio or a key timeline) and
//! `actline dtmf` (decode and encode tones).

pub use super::args::{DtmfCmd, FlowArgs, IvrArgs, IvrCmd, LineArgs, LineServeArgs};
use super::bad;
use super::stdio;
use actline::ivr::call::{Caller, Engine, RATE};
use actline::ivr::dtmf::{self, GenOptions};
use actline::ivr::flow::{FlowConfig, Grammars};
use actline::ivr::timeline::{Timeline, TimelineOptions};
use actline::line::EngineDesk;
use actline::voice::{self, Voice, VoiceSource};
use anyhow::Result;
use std::sync::Arc;

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
    // Neither file may land in the vendor home (the ledger, a secret).
    for path in [&a.out, &a.transcript].into_iter().flatten() {
        if !stdio::is_stdio(path) {
            backend.refuse_output(path)?;
        }
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
fn serve(backend: super::backend::Backend, a: &LineServeArgs) -> Result<()> {
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
            // A timeline of pauses only is a silent caller; nothing at all is a mistake.
            if keys.trim().is_empty() {
                return Err(bad(
                    "nothing to encode: give keys (0-9 * # A-D) or a timeline of keys and pauses",
                ));
            }
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
