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
use actline_voice::{OutputRate, Plan, RenderOptions, Voice};
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

impl Playing {
    fn end_ms(&self) -> u64 {
        self.start_ms + samples_to_ms(self.samples.len())
    }
}

fn ms_to_samples(ms: u64) -> usize {
    (ms * RATE as u64 / 1000) as usize
}

fn samples_to_ms(n: usize) -> u64 {
    n as u64 * 1000 / RATE as u64
}

/// What the driver of a [`Call`] must do for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outward {
    /// Decide this installation ID and answer with [`Call::decided`]; the
    /// call holds every other input until then.
    Decide(InstallationId),
    /// Hand the caller to an agent (and store the hand-over for the desk).
    Transfer {
        /// Why.
        reason: String,
        /// Groups accepted so far.
        groups: Vec<String>,
        /// The whole ID, when complete.
        installation_id: Option<String>,
        /// The decision trace, when there was a decision.
        reasons: Vec<String>,
    },
    /// End the call (the IVR hangs up).
    HangUp,
}

/// An input held while a decision is awaited.
enum Held {
    Key(char),
    HangUp,
}

/// One call in progress: its flow, the prompt playing and those queued,
/// the one timer, the transcript so far, and the IVR's audio not yet taken.
///
/// It has no clock and does no I/O: every input carries the time (in
/// milliseconds from the answer), and what the call needs done comes out as
/// [`Outward`]s. The same call runs on a virtual clock ([`Engine::run`],
/// recorded calls) and on the wall clock (the SIP line, which takes its
/// audio 20 ms at a time with [`Call::take_audio`]). Inputs must come in
/// time order; an earlier time counts as the latest one seen.
pub struct Call {
    id: String,
    voice: Arc<Voice>,
    opts: RenderOptions,
    flow: Flow,
    now: u64,
    playing: Option<Playing>,
    queue: VecDeque<(String, Vec<i16>)>,
    timer: Option<u64>,
    events: Vec<Entry>,
    outward: Vec<Outward>,
    deciding: bool,
    held: VecDeque<(u64, Held)>,
    hung_up_by: Option<&'static str>,
    /// The IVR's audio from sample `base` on.
    audio: Vec<i16>,
    base: usize,
}

impl Call {
    fn new(engine: &Engine, id: &str) -> Self {
        let mut call = Call {
            id: id.to_string(),
            voice: engine.voice.clone(),
            opts: RenderOptions::new(OutputRate::Hz8000, 1.0).unwrap_or_default(),
            flow: Flow::new(engine.config.clone(), &engine.grammars),
            now: 0,
            playing: None,
            queue: VecDeque::new(),
            timer: None,
            events: vec![Entry {
                t_ms: 0,
                what: What::Call(CallEvent::Answered),
            }],
            outward: Vec::new(),
            deciding: false,
            held: VecDeque::new(),
            hung_up_by: None,
            audio: Vec::new(),
            base: 0,
        };
        call.send(Event::Start);
        call
    }

    /// The call's identifier.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The flow has ended (the IVR or the caller hung up).
    pub fn is_done(&self) -> bool {
        self.flow.is_done()
    }

    /// When the next prompt end or timeout falls due, if any (none while a
    /// decision is awaited).
    pub fn next_due(&self) -> Option<u64> {
        if self.deciding {
            return None;
        }
        [self.playing.as_ref().map(Playing::end_ms), self.timer]
            .into_iter()
            .flatten()
            .min()
    }

    /// Whether a prompt is playing.
    pub fn is_playing(&self) -> bool {
        self.playing.is_some()
    }

    /// What the driver must do, oldest first.
    pub fn take_outward(&mut self) -> Vec<Outward> {
        std::mem::take(&mut self.outward)
    }

    /// Brings the call to `now`: every prompt end and timeout due by then,
    /// in time order (a prompt end before a timeout at the same moment).
    pub fn at(&mut self, now: u64) {
        self.run_due(now, true);
    }

    /// A key heard at `now` (what falls due at the same moment comes after
    /// it). Held while a decision is awaited.
    pub fn key(&mut self, now: u64, key: char) {
        if self.deciding {
            self.held.push_back((now, Held::Key(key)));
            return;
        }
        self.run_due(now, false);
        if self.deciding {
            self.held.push_back((now, Held::Key(key)));
            return;
        }
        self.send(Event::Key(key));
    }

    /// The caller hung up at `now`.
    pub fn hang_up(&mut self, now: u64) {
        if self.deciding {
            self.held.push_back((now, Held::HangUp));
            return;
        }
        self.run_due(now, true);
        if self.deciding {
            self.held.push_back((now, Held::HangUp));
            return;
        }
        if self.flow.is_done() {
            return;
        }
        if let Some(p) = self.playing.take() {
            self.stop(p);
        }
        self.hung_up_by = Some("caller");
        self.send(Event::HangUp);
    }

    /// Plays `plan` at `now`, after whatever is playing: the line's own
    /// words, once the flow is over (that an agent will call back when a
    /// transfer could not be made). [`Call::is_playing`] says when it ended.
    pub fn announce(&mut self, now: u64, name: &str, plan: &Plan) {
        self.run_due(now, true);
        let samples = self.voice.render(plan, &self.opts);
        if self.playing.is_none() {
            self.start(name.to_string(), samples);
        } else {
            self.queue.push_back((name.to_string(), samples));
        }
    }

    /// The answer to [`Outward::Decide`], at `now`; then the inputs held
    /// meanwhile, in order.
    pub fn decided(&mut self, now: u64, decision: CallDecision) {
        if !self.deciding {
            return;
        }
        self.deciding = false;
        self.advance(now);
        self.send(Event::Decision(decision));
        while !self.deciding {
            let Some((t, input)) = self.held.pop_front() else {
                break;
            };
            match input {
                Held::Key(k) => self.key(t, k),
                Held::HangUp => self.hang_up(t),
            }
        }
    }

    fn advance(&mut self, now: u64) {
        self.now = self.now.max(now);
    }

    /// Runs what falls due before `now` (`inclusive`: at `now` too).
    fn run_due(&mut self, now: u64, inclusive: bool) {
        let mut guard = 0u32;
        while !self.deciding && guard < 10_000 {
            guard += 1;
            let Some(t) = self.next_due() else { break };
            if t > now || (!inclusive && t == now) {
                break;
            }
            self.advance(t);
            let prompt_end = self.playing.as_ref().map(Playing::end_ms);
            let done = self.flow.is_done();
            if prompt_end == Some(t) {
                if let Some(p) = self.playing.take() {
                    self.flush(&p, t);
                }
                if let Some((name, samples)) = self.queue.pop_front() {
                    self.start(name, samples);
                }
                // Once the flow is over, only the line's own words play on.
                if !done {
                    self.send(Event::PromptEnded);
                }
            } else {
                self.timer = None;
                if !done {
                    self.send(Event::Timeout);
                }
            }
        }
        self.advance(now);
    }

    /// Hands `event` to the flow and carries out its actions at `self.now`.
    fn send(&mut self, event: Event) {
        let actions = match self.flow.handle(event) {
            Ok(actions) => actions,
            Err(e) => {
                // An event the flow did not expect (a bug in the driver): the
                // flow is unchanged; say so.
                self.note(What::Call(CallEvent::Unexpected {
                    detail: e.to_string(),
                }));
                return;
            }
        };
        for action in actions {
            match action {
                Action::Play { name, plan } => {
                    let samples = self.voice.render(&plan, &self.opts);
                    if self.playing.is_none() {
                        self.start(name, samples);
                    } else {
                        self.queue.push_back((name, samples));
                    }
                }
                Action::StopPlayback => {
                    if let Some(p) = self.playing.take() {
                        self.stop(p);
                    }
                    self.queue.clear();
                }
                Action::StartTimer(ms) => self.timer = Some(self.now.saturating_add(ms)),
                Action::CancelTimer => self.timer = None,
                Action::Decide(iid) => {
                    self.deciding = true;
                    self.outward.push(Outward::Decide(iid));
                }
                Action::Transfer {
                    reason,
                    groups,
                    installation_id,
                    reasons,
                } => {
                    self.note(What::Call(CallEvent::Transfer {
                        reason: reason.clone(),
                        groups: groups.clone(),
                    }));
                    self.outward.push(Outward::Transfer {
                        reason,
                        groups,
                        installation_id,
                        reasons,
                    });
                }
                Action::HangUp => {
                    self.hung_up_by = Some("ivr");
                    self.outward.push(Outward::HangUp);
                }
                Action::Note(n) => self.note(What::Note(n)),
            }
        }
    }

    fn note(&mut self, what: What) {
        self.events.push(Entry {
            t_ms: self.now,
            what,
        });
    }

    /// Starts playing a prompt now, noting it in the transcript.
    fn start(&mut self, name: String, samples: Vec<i16>) {
        self.note(What::Call(CallEvent::PromptPlayed {
            prompt: name.clone(),
            duration_ms: samples_to_ms(samples.len()),
        }));
        self.playing = Some(Playing {
            name,
            start_ms: self.now,
            samples,
        });
    }

    /// Cuts a prompt short now (barge-in, hang-up), noting it.
    fn stop(&mut self, p: Playing) {
        self.note(What::Call(CallEvent::PromptStopped {
            prompt: p.name.clone(),
        }));
        self.flush(&p, self.now);
    }

    /// Writes what is played of `p` up to `until_ms` into the call's audio
    /// (what was taken already is not written again).
    fn flush(&mut self, p: &Playing, until_ms: u64) {
        let start = ms_to_samples(p.start_ms);
        let n = ms_to_samples(until_ms.saturating_sub(p.start_ms)).min(p.samples.len());
        let (from, to) = (start.max(self.base), start + n);
        if from >= to {
            return;
        }
        if self.audio.len() < to - self.base {
            self.audio.resize(to - self.base, 0);
        }
        self.audio[from - self.base..to - self.base].copy_from_slice(&p.samples[from - start..n]);
    }

    /// The IVR's audio from where the last take ended up to `until_ms`
    /// (silence where nothing played), for a driver that sends it as it
    /// goes; the call keeps none of it.
    pub fn take_audio(&mut self, until_ms: u64) -> Vec<i16> {
        if let Some(p) = self.playing.take() {
            self.flush(&p, until_ms);
            self.playing = Some(p);
        }
        let end = ms_to_samples(until_ms);
        if end <= self.base {
            return Vec::new();
        }
        self.audio.resize(end - self.base, 0);
        self.base = end;
        std::mem::take(&mut self.audio)
    }

    /// Ends the call at `end_ms` (at least the last input's time): the
    /// transcript, and the IVR's audio not taken, up to the end.
    pub fn finish(mut self, end_ms: u64) -> (Transcript, Vec<i16>) {
        if let Some(p) = self.playing.take() {
            let now = self.now;
            self.flush(&p, now);
        }
        self.note(What::Call(CallEvent::HangUp {
            by: self.hung_up_by.unwrap_or("ivr").to_string(),
        }));
        let total = ms_to_samples(end_ms.max(self.now));
        if self.audio.len() + self.base < total {
            self.audio.resize(total - self.base, 0);
        }
        let transcript = Transcript {
            call: self.id.clone(),
            outcome: self.flow.outcome().unwrap_or(Outcome::Abandoned),
            installation_id: self.flow.installation_id().map(|i| i.to_string()),
            confirmation_id: self.flow.confirmation_id().map(str::to_string),
            duration_ms: self.now,
            events: self.events,
        };
        (transcript, self.audio)
    }
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

    /// Answers a call: its flow starts at time 0.
    pub fn answer(&self, call: &str) -> Call {
        Call::new(self, call)
    }

    /// Runs one call to its end on a virtual clock. Returns the transcript
    /// and the IVR's side of the call as 8 kHz audio, time-aligned with the
    /// caller's.
    pub fn run(&self, call: &str, caller: &Caller, desk: &dyn Desk) -> (Transcript, Vec<i16>) {
        let mut c = self.answer(call);
        let mut next_key = 0usize;
        let mut hung_up = false;
        let mut guard = 0u32;
        loop {
            guard += 1;
            for out in c.take_outward() {
                match out {
                    Outward::Decide(iid) => {
                        let d = desk.decide(call, &iid);
                        let now = c.now;
                        c.decided(now, d);
                    }
                    Outward::Transfer {
                        reason,
                        groups,
                        installation_id,
                        reasons,
                    } => {
                        desk.hand_over(call, &reason, &groups, installation_id.as_deref(), &reasons)
                    }
                    Outward::HangUp => {}
                }
            }
            if c.is_done() || hung_up || guard > 100_000 {
                break;
            }
            // The next thing that happens: a key, a prompt end or timeout,
            // the caller's hang-up, in that order at the same moment.
            let key_at = caller.keys.get(next_key).map(|k| k.0.max(c.now));
            let due = c.next_due();
            let hangup = caller.hangup_ms.max(c.now);
            match (key_at, due) {
                (Some(k), d) if k <= hangup && d.is_none_or(|d| k <= d) => {
                    c.key(k, caller.keys[next_key].1);
                    next_key += 1;
                }
                (_, Some(d)) if d <= hangup => c.at(d),
                _ => {
                    c.hang_up(hangup);
                    hung_up = true;
                }
            }
        }
        let end = caller.hangup_ms;
        c.finish(end)
    }
}
