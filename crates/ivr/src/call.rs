//! The call runner: plays one [`Flow`] against a caller's keys on a virtual
//! clock, renders the IVR's side of the call as audio, asks the [`Desk`] for
//! decisions and hand-overs, and writes the transcript.
//!
//! An [`Engine`] holds what calls share (the voice, the grammars, the
//! configuration) and is `Sync`: any number of calls run on one engine at
//! once, each with its own flow, and a call's transcript does not depend on
//! what other calls do (beyond what the desk answers).

use super::flow::{Action, CallDecision, Event, Flow, FlowConfig, Grammars, Note, Outcome};
use actline_formats::ids::InstallationId;
use actline_voice::{OutputRate, RenderOptions, Voice};
use serde::Serialize;
use std::collections::VecDeque;
use std::sync::Arc;

/// Sample rate of the IVR's audio (telephony).
pub const RATE: u32 = 8_000;

/// Where decisions come from and transfers go to.
pub trait Desk: Sync {
    /// Decides an installation ID for a self-service caller.
    fn decide(&self, call: &str, iid: &InstallationId) -> CallDecision;
    /// Records a call handed over to the agents.
    fn hand_over(
        &self,
        call: &str,
        reason: &str,
        groups: &[String],
        installation_id: Option<&str>,
        reasons: &[String],
    );
}

/// The caller's side: keys with their times, and when they hang up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    /// (milliseconds from the start of the call, key), in time order.
    pub keys: Vec<(u64, char)>,
    /// When the caller hangs up (the end of their audio or timeline).
    pub hangup_ms: u64,
}

impl Caller {
    /// A caller from keys detected in their recording of `duration_ms`: each
    /// key counts when its tone ends, as a detector reports it.
    pub fn from_dtmf(events: &[super::dtmf::DtmfEvent], duration_ms: u64) -> Self {
        Self {
            keys: events
                .iter()
                .map(|e| (e.start_ms + e.duration_ms as u64, e.key))
                .collect(),
            hangup_ms: duration_ms,
        }
    }

    /// A caller from a scripted key timeline; they hang up where it ends.
    pub fn from_timeline(t: &super::timeline::Timeline) -> Self {
        Self {
            keys: t
                .events
                .iter()
                .map(|e| (e.at_ms + e.tone_ms as u64, e.key))
                .collect(),
            hangup_ms: t.total_ms,
        }
    }
}

/// One timed transcript entry.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Entry {
    /// Milliseconds from the start of the call.
    pub t_ms: u64,
    /// What happened.
    #[serde(flatten)]
    pub what: What,
}

/// Transcript events.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum What {
    /// A note from the flow.
    Note(Note),
    /// The runner's own events.
    Call(CallEvent),
}

/// Events the runner records.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum CallEvent {
    /// The call was answered.
    Answered,
    /// A prompt started playing.
    PromptPlayed {
        /// Its name.
        prompt: String,
        /// Its length at full play.
        duration_ms: u64,
    },
    /// A prompt was cut short.
    PromptStopped {
        /// Its name.
        prompt: String,
    },
    /// The caller was handed to an agent.
    Transfer {
        /// Why.
        reason: String,
        /// Groups entered so far.
        groups: Vec<String>,
    },
    /// The flow refused an event the runner sent (see
    /// [`super::flow::Unexpected`]); never seen unless the runner is wrong.
    Unexpected {
        /// The flow's error.
        detail: String,
    },
    /// The call ended.
    HangUp {
        /// "caller" or "ivr".
        by: String,
    },
}

/// A finished call.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Transcript {
    /// The call's identifier.
    pub call: String,
    /// How it ended.
    pub outcome: Outcome,
    /// The installation ID, when the caller completed a valid one.
    pub installation_id: Option<String>,
    /// The confirmation ID, when one was granted.
    pub confirmation_id: Option<String>,
    /// Length of the call.
    pub duration_ms: u64,
    /// Everything that happened, in time order.
    pub events: Vec<Entry>,
}

/// What calls share.
pub struct Engine {
    voice: Arc<Voice>,
    grammars: Grammars,
    config: FlowConfig,
}

struct Playing {
    name: String,
    start_ms: u64,
    samples: Vec<i16>,
}

/// Starts playing a prompt at `now`, noting it in the transcript.
fn start(events: &mut Vec<Entry>, now: u64, name: String, samples: Vec<i16>) -> Playing {
    events.push(Entry {
        t_ms: now,
        what: What::Call(CallEvent::PromptPlayed {
            prompt: name.clone(),
            duration_ms: samples_to_ms(samples.len()),
        }),
    });
    Playing {
        name,
        start_ms: now,
        samples,
    }
}

/// Writes what was played of a prompt, up to `until_ms`, into the call audio.
fn flush(p: Playing, until_ms: u64, audio: &mut Vec<i16>) {
    let start = ms_to_samples(p.start_ms);
    let n = ms_to_samples(until_ms.saturating_sub(p.start_ms)).min(p.samples.len());
    if audio.len() < start + n {
        audio.resize(start + n, 0);
    }
    audio[start..start + n].copy_from_slice(&p.samples[..n]);
}

/// Cuts a prompt short at `now`, noting it in the transcript.
fn stop(p: Playing, now: u64, events: &mut Vec<Entry>, audio: &mut Vec<i16>) {
    events.push(Entry {
        t_ms: now,
        what: What::Call(CallEvent::PromptStopped {
            prompt: p.name.clone(),
        }),
    });
    flush(p, now, audio);
}

fn ms_to_samples(ms: u64) -> usize {
    (ms * RATE as u64 / 1000) as usize
}

fn samples_to_ms(n: usize) -> u64 {
    n as u64 * 1000 / RATE as u64
}

impl Engine {
    /// An engine with a loaded voice and grammars.
    pub fn new(voice: Arc<Voice>, grammars: Grammars, config: FlowConfig) -> Self {
        Self {
            voice,
            grammars,
            config,
        }
    }

    /// Runs one call to its end. Returns the transcript and the IVR's side of
    /// the call as 8 kHz audio, time-aligned with the caller's.
    pub fn run(&self, call: &str, caller: &Caller, desk: &dyn Desk) -> (Transcript, Vec<i16>) {
        let opts = RenderOptions::new(OutputRate::Hz8000, 1.0).unwrap_or_default();
        let mut flow = Flow::new(self.config.clone(), &self.grammars);
        let mut audio: Vec<i16> = Vec::new();
        let mut events: Vec<Entry> = Vec::new();
        let mut now = 0u64;
        let mut playing: Option<Playing> = None;
        let mut queue: VecDeque<(String, Vec<i16>)> = VecDeque::new();
        let mut timer: Option<u64> = None;
        let mut pending: VecDeque<Event> = VecDeque::from([Event::Start]);
        let mut next_key = 0usize;
        let mut hung_up_by: Option<&str> = None;
        events.push(Entry {
            t_ms: 0,
            what: What::Call(CallEvent::Answered),
        });

        let mut guard = 0u32;
        while !flow.is_done() && guard < 100_000 {
            guard += 1;
            if let Some(ev) = pending.pop_front() {
                let actions = match flow.handle(ev) {
                    Ok(actions) => actions,
                    Err(e) => {
                        // The runner sent an event the flow did not expect
                        // (a bug here): the flow is unchanged; say so.
                        events.push(Entry {
                            t_ms: now,
                            what: What::Call(CallEvent::Unexpected {
                                detail: e.to_string(),
                            }),
                        });
                        continue;
                    }
                };
                for action in actions {
                    match action {
                        Action::Play { name, plan } => {
                            let samples = self.voice.render(&plan, &opts);
                            if playing.is_none() {
                                playing = Some(start(&mut events, now, name, samples));
                            } else {
                                queue.push_back((name, samples));
                            }
                        }
                        Action::StopPlayback => {
                            if let Some(p) = playing.take() {
                                stop(p, now, &mut events, &mut audio);
                            }
                            queue.clear();
                        }
                        Action::StartTimer(ms) => timer = Some(now.saturating_add(ms)),
                        Action::CancelTimer => timer = None,
                        Action::Decide(iid) => {
                            pending.push_back(Event::Decision(desk.decide(call, &iid)))
                        }
                        Action::Transfer {
                            reason,
                            groups,
                            installation_id,
                            reasons,
                        } => {
                            desk.hand_over(
                                call,
                                &reason,
                                &groups,
                                installation_id.as_deref(),
                                &reasons,
                            );
                            events.push(Entry {
                                t_ms: now,
                                what: What::Call(CallEvent::Transfer { reason, groups }),
                            });
                        }
                        Action::HangUp => hung_up_by = Some("ivr"),
                        Action::Note(n) => events.push(Entry {
                            t_ms: now,
                            what: What::Note(n),
                        }),
                    }
                }
                continue;
            }
            // Nothing pending: advance the clock to the next thing that happens.
            let prompt_end = playing
                .as_ref()
                .map(|p| p.start_ms + samples_to_ms(p.samples.len()));
            let key_at = caller.keys.get(next_key).map(|k| k.0.max(now));
            let candidates = [key_at, prompt_end, timer, Some(caller.hangup_ms.max(now))];
            let Some(t) = candidates.iter().flatten().copied().min() else {
                break;
            };
            now = t;
            if key_at == Some(t) {
                pending.push_back(Event::Key(caller.keys[next_key].1));
                next_key += 1;
            } else if prompt_end == Some(t) {
                if let Some(p) = playing.take() {
                    flush(p, now, &mut audio);
                }
                if let Some((name, samples)) = queue.pop_front() {
                    playing = Some(start(&mut events, now, name, samples));
                }
                pending.push_back(Event::PromptEnded);
            } else if timer == Some(t) {
                timer = None;
                pending.push_back(Event::Timeout);
            } else {
                if let Some(p) = playing.take() {
                    stop(p, now, &mut events, &mut audio);
                }
                hung_up_by = Some("caller");
                pending.push_back(Event::HangUp);
            }
        }
        if let Some(p) = playing.take() {
            flush(p, now, &mut audio);
        }
        events.push(Entry {
            t_ms: now,
            what: What::Call(CallEvent::HangUp {
                by: hung_up_by.unwrap_or("ivr").to_string(),
            }),
        });
        let total = ms_to_samples(caller.hangup_ms.max(now));
        if audio.len() < total {
            audio.resize(total, 0);
        }
        let transcript = Transcript {
            call: call.to_string(),
            outcome: flow.outcome().unwrap_or(Outcome::Abandoned),
            installation_id: flow.installation_id().map(|i| i.to_string()),
            confirmation_id: flow.confirmation_id().map(str::to_string),
            duration_ms: now,
            events,
        };
        (transcript, audio)
    }
}
