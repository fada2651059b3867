//! The call flow: one state per step, events in, actions out, no I/O.
//!
//! A [`Flow`] is one call. Feed it [`Event`]s (the call started, a key was
//! heard, a prompt finished playing, the timer fired, the decision came
//! back, the caller hung up) and it answers with [`Action`]s (play this,
//! stop playing, start the timer, ask for a decision, transfer, hang up,
//! note this in the transcript). The runner ([`super::call`]) owns the clock,
//! the audio and the ledger; the flow owns only the dialogue, so every
//! transition is testable and one engine can run any number of calls.
//!
//! The dialogue: welcome; collect each group of the installation ID, checking
//! its check digit as soon as it is complete; `*` restarts the current group;
//! the whole ID is checked once complete; the entitlement decision; on a grant
//! the confirmation ID is read group by group with a menu to repeat it; on a
//! denial a short reason and a transfer to an agent. An agent is reachable at
//! any time: `#` while digits are being entered (where `0` is a digit), and
//! the agent grammar (`0`, `*0`) at the menus. VoiceXML-like input handling:
//! separate first-digit and inter-digit timeouts, no-input and no-match
//! counters with escalating reprompts, barge-in (a key stops the prompt and
//! counts), type-ahead (keys pressed while the IVR is busy are kept).

use super::grammar::{Grammar, GrammarError, MatchState, Matcher};
use actline_formats::ids::groups::digits_of;
use actline_formats::ids::install::LAYOUT;
use actline_formats::ids::{InstallationId, Layout};
use actline_voice::{Plan, Prompt};
use serde::Serialize;
use std::collections::VecDeque;
use std::path::Path;

/// Timeouts and limits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowConfig {
    /// Wait for the first key of an input after the prompt ends (ms).
    pub first_digit_timeout_ms: u64,
    /// Wait between keys of an input (ms).
    pub inter_digit_timeout_ms: u64,
    /// No-input events before the caller is transferred.
    pub max_no_input: u32,
    /// Invalid groups or keys before the caller is transferred.
    pub max_no_match: u32,
    /// Whole-ID failures (every group checks but the ID does not) before transfer.
    pub max_id_failures: u32,
    /// Times the confirmation ID may be repeated.
    pub max_repeats: u32,
}

impl Default for FlowConfig {
    fn default() -> Self {
        Self {
            first_digit_timeout_ms: 10_000,
            inter_digit_timeout_ms: 5_000,
            max_no_input: 3,
            max_no_match: 3,
            max_id_failures: 2,
            max_repeats: 5,
        }
    }
}

/// The grammars the flow listens with, loaded from `grammars/`.
#[derive(Clone, Debug)]
pub struct Grammars {
    /// One installation ID group (`iid_group.gram`).
    pub group: Grammar,
    /// The menu after the confirmation ID (`cid_menu.gram`).
    pub menu: Grammar,
    /// Asking for an agent at a menu (`agent.gram`).
    pub agent: Grammar,
}

/// The grammars shipped in the repository.
pub const DEFAULT_GRAMMARS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../grammars");

impl Grammars {
    /// Loads `iid_group.gram`, `cid_menu.gram` and `agent.gram` from `dir`;
    /// a malformed grammar is refused here, before any call.
    pub fn load(dir: &Path) -> Result<Self, GrammarError> {
        Ok(Self {
            group: Grammar::load(dir.join("iid_group.gram"))?,
            menu: Grammar::load(dir.join("cid_menu.gram"))?,
            agent: Grammar::load(dir.join("agent.gram"))?,
        })
    }
}

/// What happens to a call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The call is answered.
    Start,
    /// A DTMF key was heard.
    Key(char),
    /// The prompt being played finished (not sent after a stop).
    PromptEnded,
    /// The timer started by [`Action::StartTimer`] expired.
    Timeout,
    /// The answer to [`Action::Decide`].
    Decision(CallDecision),
    /// The caller hung up.
    HangUp,
}

/// The entitlement decision, as the IVR needs it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CallDecision {
    /// Granted?
    pub granted: bool,
    /// The confirmation ID, on a grant.
    pub confirmation_id: Option<String>,
    /// The decision trace.
    pub reasons: Vec<String>,
    /// What to tell the caller on a denial.
    #[serde(skip)]
    pub short_reason: Option<Prompt>,
}

/// What the runner must do.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Start playing (after anything already queued).
    Play {
        /// A name for the transcript.
        name: String,
        /// What to say.
        plan: Plan,
    },
    /// Stop whatever is playing and drop what is queued (barge-in).
    StopPlayback,
    /// (Re)start the one timer; a new one replaces the old.
    StartTimer(u64),
    /// Stop the timer.
    CancelTimer,
    /// Ask for the entitlement decision; answer with [`Event::Decision`].
    Decide(InstallationId),
    /// Hand the caller to an agent, with what they entered so far.
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
    /// End the call.
    HangUp,
    /// Record in the transcript.
    Note(Note),
}

/// Transcript notes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Note {
    /// A key was heard.
    Digit {
        /// The key.
        key: char,
    },
    /// A key stopped a prompt.
    BargeIn,
    /// A group was accepted.
    GroupAccepted {
        /// 1-based group number.
        group: usize,
        /// Its digits.
        digits: String,
    },
    /// A group was refused.
    GroupRefused {
        /// 1-based group number.
        group: usize,
        /// Its digits.
        digits: String,
        /// Why.
        reason: String,
    },
    /// The caller restarted a group with `*`.
    GroupRestarted {
        /// 1-based group number.
        group: usize,
    },
    /// No key came in time.
    NoInput {
        /// How many so far.
        count: u32,
    },
    /// A key that the current input does not accept.
    NoMatch {
        /// What was typed.
        keys: String,
        /// How many so far.
        count: u32,
    },
    /// The whole installation ID was complete.
    InstallationId {
        /// Valid?
        valid: bool,
        /// The digits or the error.
        detail: String,
    },
    /// The entitlement decision.
    Decision(CallDecision),
    /// The confirmation ID was read out (again).
    ConfirmationIdRead {
        /// The ID.
        confirmation_id: String,
    },
}

/// How a call ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The confirmation ID was read out.
    Activated,
    /// The decision was a denial.
    Denied,
    /// Handed to an agent without a decision.
    Transferred,
    /// The caller hung up first.
    Abandoned,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Idle,
    /// Playing the welcome.
    Welcome,
    /// Collecting group `n` (0-based).
    Collect(usize),
    /// Waiting for the decision.
    Checking,
    /// Reading the confirmation ID.
    Reading,
    /// The repeat menu.
    Menu,
    /// Playing the last words; hang up or transfer when they end.
    Closing,
    /// Over.
    Done,
}

#[derive(Clone, Debug, PartialEq)]
enum After {
    HangUp,
    Transfer(String),
}

/// One call's dialogue state.
#[derive(Clone, Debug)]
pub struct Flow {
    config: FlowConfig,
    layout: Layout,
    state: State,
    playing: bool,
    /// Prompts started and not yet ended (they queue behind each other).
    queued: u32,
    matcher: Matcher,
    menu: Matcher,
    agent: Matcher,
    groups: Vec<String>,
    typeahead: VecDeque<char>,
    no_input: u32,
    no_match: u32,
    id_failures: u32,
    repeats: u32,
    iid: Option<InstallationId>,
    decision: Option<CallDecision>,
    cid_read: bool,
    outcome: Option<Outcome>,
    after: Option<After>,
}

impl Flow {
    /// A new call, not yet started.
    pub fn new(config: FlowConfig, grammars: &Grammars) -> Self {
        Self {
            matcher: grammars.group.matcher(),
            menu: grammars.menu.matcher(),
            agent: grammars.agent.matcher(),
            config,
            layout: LAYOUT,
            state: State::Idle,
            playing: false,
            queued: 0,
            groups: Vec::new(),
            typeahead: VecDeque::new(),
            no_input: 0,
            no_match: 0,
            id_failures: 0,
            repeats: 0,
            iid: None,
            decision: None,
            cid_read: false,
            outcome: None,
            after: None,
        }
    }

    /// How the call ended, once it has.
    pub fn outcome(&self) -> Option<Outcome> {
        self.outcome
    }

    /// True once the call is over.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// The installation ID, once complete and valid.
    pub fn installation_id(&self) -> Option<&InstallationId> {
        self.iid.as_ref()
    }

    /// The confirmation ID, once granted.
    pub fn confirmation_id(&self) -> Option<&str> {
        self.decision
            .as_ref()
            .and_then(|d| d.confirmation_id.as_deref())
    }

    /// The groups accepted so far.
    pub fn groups(&self) -> &[String] {
        &self.groups
    }

    /// Handles one event and returns what to do, in order.
    pub fn handle(&mut self, event: Event) -> Vec<Action> {
        let mut out = Vec::new();
        if self.state == State::Done {
            return out;
        }
        match event {
            Event::Start => self.start(&mut out),
            Event::HangUp => {
                out.push(Action::CancelTimer);
                // Hung up before the transfer happened: nobody was handed over.
                if matches!(self.after, Some(After::Transfer(_)))
                    && self.outcome == Some(Outcome::Transferred)
                {
                    self.outcome = None;
                }
                self.finish(if self.cid_read {
                    Outcome::Activated
                } else {
                    Outcome::Abandoned
                });
            }
            Event::Key(k) => {
                out.push(Action::Note(Note::Digit { key: k }));
                self.key(k, &mut out);
            }
            Event::PromptEnded => {
                self.queued = self.queued.saturating_sub(1);
                if self.queued == 0 {
                    self.playing = false;
                    self.prompt_ended(&mut out);
                }
            }
            Event::Timeout => self.timeout(&mut out),
            Event::Decision(d) => self.decided(d, &mut out),
        }
        out
    }

    fn play(&mut self, out: &mut Vec<Action>, name: &str, plan: Plan) {
        self.playing = true;
        self.queued += 1;
        out.push(Action::CancelTimer);
        out.push(Action::Play {
            name: name.to_string(),
            plan,
        });
    }

    /// Barge-in: stop the prompt and whatever is queued behind it.
    fn stop(&mut self, out: &mut Vec<Action>) {
        out.push(Action::StopPlayback);
        out.push(Action::Note(Note::BargeIn));
        self.playing = false;
        self.queued = 0;
    }

    fn finish(&mut self, outcome: Outcome) {
        self.outcome.get_or_insert(outcome);
        self.state = State::Done;
    }

    fn start(&mut self, out: &mut Vec<Action>) {
        self.state = State::Welcome;
        self.play(out, "welcome", Plan::prompt(Prompt::Welcome));
    }

    fn ask_group(&mut self, out: &mut Vec<Action>, lead: Option<Plan>) {
        let State::Collect(n) = self.state else {
            return;
        };
        let ask =
            Plan::enter_group(n + 1).unwrap_or_else(|_| Plan::prompt(Prompt::EnterGroupAgain));
        let plan = match lead {
            Some(l) => l.then(ask),
            None => ask,
        };
        self.play(out, &format!("enter_group {}", n + 1), plan);
    }

    fn collect(&mut self, n: usize, out: &mut Vec<Action>, lead: Option<Plan>) {
        self.state = State::Collect(n);
        self.matcher.reset();
        self.ask_group(out, lead);
    }

    fn prompt_ended(&mut self, out: &mut Vec<Action>) {
        match self.state {
            State::Welcome => self.collect(0, out, None),
            State::Collect(_) => {
                // Keys typed during the prompt are handled now.
                self.drain_typeahead(out);
                if !self.playing && self.state_is_collecting() {
                    let ms = if self.matcher.keys().is_empty() {
                        self.config.first_digit_timeout_ms
                    } else {
                        self.config.inter_digit_timeout_ms
                    };
                    out.push(Action::StartTimer(ms));
                }
            }
            State::Reading => {
                self.state = State::Menu;
                self.menu.reset();
                self.agent.reset();
                self.play(out, "repeat_menu", Plan::prompt(Prompt::RepeatMenu));
            }
            State::Menu => {
                self.drain_typeahead(out);
                if !self.playing && self.state == State::Menu {
                    out.push(Action::StartTimer(self.config.first_digit_timeout_ms));
                }
            }
            State::Closing => match self.after.take() {
                Some(After::Transfer(reason)) => self.transfer(reason, out),
                _ => {
                    out.push(Action::HangUp);
                    self.finish(if self.cid_read {
                        Outcome::Activated
                    } else {
                        Outcome::Abandoned
                    });
                }
            },
            State::Checking | State::Idle | State::Done => {}
        }
    }

    fn state_is_collecting(&self) -> bool {
        matches!(self.state, State::Collect(_))
    }

    fn drain_typeahead(&mut self, out: &mut Vec<Action>) {
        while let Some(k) = self.typeahead.pop_front() {
            self.key(k, out);
            if self.playing || !matches!(self.state, State::Collect(_) | State::Menu) {
                break;
            }
        }
    }

    fn key(&mut self, k: char, out: &mut Vec<Action>) {
        match self.state {
            State::Welcome => {
                // Barge-in: the caller knows what to do; the key starts group 1.
                self.stop(out);
                self.state = State::Collect(0);
                self.matcher.reset();
                self.collect_key(0, k, out);
            }
            State::Collect(n) => {
                if self.playing {
                    self.stop(out);
                }
                self.collect_key(n, k, out);
            }
            State::Reading | State::Menu => {
                if self.playing {
                    self.stop(out);
                }
                self.state = State::Menu;
                self.menu_key(k, out);
            }
            // Type-ahead: kept for the next input.
            State::Checking => self.typeahead.push_back(k),
            State::Closing | State::Idle | State::Done => {}
        }
    }

    fn collect_key(&mut self, n: usize, k: char, out: &mut Vec<Action>) {
        match k {
            '#' => {
                return self.closing(
                    out,
                    Plan::prompt(Prompt::Transfer),
                    After::Transfer("the caller asked for an agent".into()),
                )
            }
            '*' => {
                self.matcher.reset();
                out.push(Action::Note(Note::GroupRestarted { group: n + 1 }));
                return self.ask_group(out, None);
            }
            _ => {}
        }
        let state = self.matcher.push(k);
        match state {
            MatchState::Partial | MatchState::MatchCanContinue => {
                out.push(Action::StartTimer(self.config.inter_digit_timeout_ms));
            }
            MatchState::Complete => {
                let digits = self.matcher.keys().to_string();
                self.group_complete(n, digits, out);
            }
            MatchState::NoMatch => {
                let keys = self.matcher.keys().to_string();
                self.refuse_group(n, keys, "not a digit".into(), out);
            }
        }
    }

    fn group_complete(&mut self, n: usize, digits: String, out: &mut Vec<Action>) {
        out.push(Action::CancelTimer);
        let check = digits_of(&digits).map(|d| self.layout.check_group(&d));
        match check {
            Some(Ok(())) => {
                out.push(Action::Note(Note::GroupAccepted {
                    group: n + 1,
                    digits: digits.clone(),
                }));
                self.groups.push(digits);
                self.no_match = 0;
                self.no_input = 0;
                if self.groups.len() < self.layout.groups {
                    self.state = State::Collect(n + 1);
                    self.matcher.reset();
                    // With keys already typed ahead, go straight on.
                    self.ask_group(out, None);
                } else {
                    self.whole_id(out);
                }
            }
            _ => self.refuse_group(n, digits, "check digit does not match".into(), out),
        }
    }

    fn refuse_group(&mut self, n: usize, digits: String, reason: String, out: &mut Vec<Action>) {
        self.no_match += 1;
        out.push(Action::Note(Note::GroupRefused {
            group: n + 1,
            digits,
            reason,
        }));
        self.matcher.reset();
        if self.no_match >= self.config.max_no_match {
            return self.closing(
                out,
                Plan::prompt(Prompt::TooManyErrors).then(Plan::prompt(Prompt::Transfer)),
                After::Transfer(format!(
                    "group {} was refused {} times",
                    n + 1,
                    self.no_match
                )),
            );
        }
        self.ask_group(out, Some(Plan::prompt(Prompt::GroupInvalid)));
    }

    fn whole_id(&mut self, out: &mut Vec<Action>) {
        let text = self.groups.join("-");
        match InstallationId::parse(&text) {
            Ok(iid) => {
                out.push(Action::Note(Note::InstallationId {
                    valid: true,
                    detail: iid.to_string(),
                }));
                self.iid = Some(iid);
                self.state = State::Checking;
                self.play(out, "checking", Plan::prompt(Prompt::Checking));
                out.push(Action::Decide(iid));
            }
            Err(e) => {
                self.id_failures += 1;
                out.push(Action::Note(Note::InstallationId {
                    valid: false,
                    detail: e.to_string(),
                }));
                if self.id_failures >= self.config.max_id_failures {
                    return self.closing(
                        out,
                        Plan::prompt(Prompt::IdInvalid).then(Plan::prompt(Prompt::Transfer)),
                        After::Transfer("the installation ID did not check as a whole".into()),
                    );
                }
                self.groups.clear();
                self.collect(0, out, Some(Plan::prompt(Prompt::IdInvalid)));
            }
        }
    }

    fn decided(&mut self, d: CallDecision, out: &mut Vec<Action>) {
        if self.state != State::Checking {
            return;
        }
        out.push(Action::Note(Note::Decision(d.clone())));
        let granted = d.granted && d.confirmation_id.is_some();
        let reason = d.short_reason.unwrap_or(Prompt::ReasonOther);
        self.decision = Some(d);
        if granted {
            self.read_cid(out);
        } else {
            self.outcome = Some(Outcome::Denied);
            self.closing(
                out,
                Plan::prompt(Prompt::Denied)
                    .then(Plan::prompt(reason))
                    .then(Plan::prompt(Prompt::Transfer)),
                After::Transfer("the activation was denied".into()),
            );
        }
    }

    fn read_cid(&mut self, out: &mut Vec<Action>) {
        let Some(cid) = self.confirmation_id().map(str::to_string) else {
            return;
        };
        let plan =
            actline_voice::readout(&cid).unwrap_or_else(|_| Plan::prompt(Prompt::ReasonOther));
        self.state = State::Reading;
        self.cid_read = true;
        out.push(Action::Note(Note::ConfirmationIdRead {
            confirmation_id: cid,
        }));
        self.play(out, "confirmation_id", plan);
    }

    fn menu_key(&mut self, k: char, out: &mut Vec<Action>) {
        let agent = self.agent.push(k);
        if agent == MatchState::Complete {
            return self.closing(
                out,
                Plan::prompt(Prompt::Transfer),
                After::Transfer("the caller asked for an agent after the readout".into()),
            );
        }
        match self.menu.push(k) {
            MatchState::Complete | MatchState::MatchCanContinue => {
                let choice = self.menu.keys().to_string();
                self.menu.reset();
                self.agent.reset();
                match choice.as_str() {
                    "1" if self.repeats < self.config.max_repeats => {
                        self.repeats += 1;
                        self.read_cid(out);
                    }
                    "0" => self.closing(
                        out,
                        Plan::prompt(Prompt::Transfer),
                        After::Transfer("the caller asked for an agent after the readout".into()),
                    ),
                    _ => self.closing(
                        out,
                        Plan::prompt(Prompt::Activated).then(Plan::prompt(Prompt::Goodbye)),
                        After::HangUp,
                    ),
                }
            }
            MatchState::Partial => out.push(Action::StartTimer(self.config.inter_digit_timeout_ms)),
            MatchState::NoMatch => {
                if agent == MatchState::Partial {
                    // `*` may start `*0`.
                    self.menu.reset();
                    out.push(Action::StartTimer(self.config.inter_digit_timeout_ms));
                    return;
                }
                let keys = self.menu.keys().to_string();
                self.menu.reset();
                self.agent.reset();
                self.no_match += 1;
                out.push(Action::Note(Note::NoMatch {
                    keys,
                    count: self.no_match,
                }));
                if self.no_match >= self.config.max_no_match {
                    return self.closing(out, Plan::prompt(Prompt::Goodbye), After::HangUp);
                }
                self.play(
                    out,
                    "repeat_menu",
                    Plan::prompt(Prompt::NoMatch).then(Plan::prompt(Prompt::RepeatMenu)),
                );
            }
        }
    }

    fn timeout(&mut self, out: &mut Vec<Action>) {
        match self.state {
            State::Collect(n) => {
                if self.matcher.keys().is_empty() {
                    self.no_input += 1;
                    out.push(Action::Note(Note::NoInput {
                        count: self.no_input,
                    }));
                    if self.no_input >= self.config.max_no_input {
                        return self.closing(
                            out,
                            Plan::prompt(Prompt::TooManyErrors)
                                .then(Plan::prompt(Prompt::Transfer)),
                            After::Transfer("no input".into()),
                        );
                    }
                    // Escalate: the second reprompt adds how to restart a group.
                    let mut lead = Plan::prompt(Prompt::NoInput);
                    if self.no_input >= 2 {
                        lead = lead.then(Plan::prompt(Prompt::RestartHint));
                    }
                    self.ask_group(out, Some(lead));
                } else {
                    let keys = self.matcher.keys().to_string();
                    self.refuse_group(
                        n,
                        keys,
                        "incomplete group: the caller stopped typing".into(),
                        out,
                    );
                }
            }
            State::Menu => {
                self.menu.reset();
                self.agent.reset();
                self.no_input += 1;
                out.push(Action::Note(Note::NoInput {
                    count: self.no_input,
                }));
                if self.no_input >= self.config.max_no_input {
                    return self.closing(out, Plan::prompt(Prompt::Goodbye), After::HangUp);
                }
                self.play(
                    out,
                    "repeat_menu",
                    Plan::prompt(Prompt::NoInput).then(Plan::prompt(Prompt::RepeatMenu)),
                );
            }
            _ => {}
        }
    }

    fn closing(&mut self, out: &mut Vec<Action>, plan: Plan, after: After) {
        if let After::Transfer(_) = after {
            if self.outcome.is_none() && !self.cid_read {
                self.outcome = Some(Outcome::Transferred);
            }
        }
        self.state = State::Closing;
        self.after = Some(after);
        self.play(out, "closing", plan);
    }

    fn transfer(&mut self, reason: String, out: &mut Vec<Action>) {
        out.push(Action::Transfer {
            reason,
            groups: self.groups.clone(),
            installation_id: self.iid.map(|i| i.to_string()),
            reasons: self
                .decision
                .as_ref()
                .map(|d| d.reasons.clone())
                .unwrap_or_default(),
        });
        self.finish(if self.cid_read {
            Outcome::Activated
        } else {
            Outcome::Transferred
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actline_formats::fingerprint::HardwareHash;
    use actline_formats::keys::{KeyKind, ProductKey};

    fn flow() -> Flow {
        Flow::new(
            FlowConfig::default(),
            &Grammars::load(Path::new(DEFAULT_GRAMMARS_DIR)).unwrap(),
        )
    }

    fn iid() -> InstallationId {
        InstallationId::new(
            101,
            &ProductKey::issue(b"k", KeyKind::Mak, 5),
            HardwareHash::default(),
            2500,
        )
    }

    fn groups() -> Vec<String> {
        iid().to_string().split('-').map(str::to_string).collect()
    }

    fn names(actions: &[Action]) -> Vec<String> {
        actions
            .iter()
            .map(|a| match a {
                Action::Play { name, .. } => format!("play {name}"),
                Action::StopPlayback => "stop".into(),
                Action::StartTimer(ms) => format!("timer {ms}"),
                Action::CancelTimer => "cancel".into(),
                Action::Decide(_) => "decide".into(),
                Action::Transfer { reason, .. } => format!("transfer: {reason}"),
                Action::HangUp => "hangup".into(),
                Action::Note(n) => format!(
                    "note {}",
                    serde_json::to_value(n).unwrap()["event"].as_str().unwrap()
                ),
            })
            .collect()
    }

    fn keys(f: &mut Flow, s: &str) -> Vec<Action> {
        s.chars().flat_map(|c| f.handle(Event::Key(c))).collect()
    }

    /// Plays the welcome to its end; the flow is then collecting group 1.
    fn answered() -> Flow {
        let mut f = flow();
        assert_eq!(names(&f.handle(Event::Start)), ["cancel", "play welcome"]);
        assert_eq!(
            names(&f.handle(Event::PromptEnded)),
            ["cancel", "play enter_group 1"]
        );
        assert_eq!(
            names(&f.handle(Event::PromptEnded)),
            ["timer 10000"],
            "first-digit timeout after the prompt"
        );
        f
    }

    #[test]
    fn a_valid_group_is_accepted_and_the_next_one_asked_for() {
        let mut f = answered();
        let a = keys(&mut f, &groups()[0]);
        let n = names(&a);
        assert!(n.contains(&"note group_accepted".to_string()), "{n:?}");
        assert_eq!(n.last().unwrap(), "play enter_group 2");
        assert!(
            n.iter().filter(|x| *x == "timer 5000").count() == 6,
            "inter-digit timer after each digit but the last: {n:?}"
        );
    }

    #[test]
    fn a_wrong_check_digit_is_refused_as_soon_as_the_group_is_complete() {
        let mut f = answered();
        let mut g = groups()[0].clone().into_bytes();
        g[6] = if g[6] == b'9' { b'0' } else { g[6] + 1 };
        let n = names(&keys(&mut f, std::str::from_utf8(&g).unwrap()));
        assert!(n.contains(&"note group_refused".to_string()));
        assert_eq!(
            n.last().unwrap(),
            "play enter_group 1",
            "asked again for the same group"
        );
        assert!(f.groups().is_empty());
    }

    #[test]
    fn star_restarts_the_current_group() {
        let mut f = answered();
        keys(&mut f, "123");
        let n = names(&keys(&mut f, "*"));
        assert!(n.contains(&"note group_restarted".to_string()));
        let n = names(&keys(&mut f, &groups()[0]));
        assert!(n.contains(&"note group_accepted".to_string()), "{n:?}");
    }

    #[test]
    fn barge_in_stops_the_prompt_and_the_key_counts() {
        let mut f = flow();
        f.handle(Event::Start);
        let n = names(&f.handle(Event::Key(groups()[0].chars().next().unwrap())));
        assert_eq!(&n[..3], ["note digit", "stop", "note barge_in"]);
        let rest: String = groups()[0].chars().skip(1).collect();
        assert!(names(&keys(&mut f, &rest)).contains(&"note group_accepted".to_string()));
    }

    #[test]
    fn a_complete_id_asks_for_a_decision_and_a_grant_reads_the_confirmation_id() {
        let mut f = answered();
        let all: String = groups().concat();
        let n = names(&keys(&mut f, &all));
        assert!(
            n.ends_with(&[
                "note installation_id".into(),
                "cancel".into(),
                "play checking".into(),
                "decide".into()
            ]),
            "{n:?}"
        );
        // Keys typed while the IVR checks are kept (type-ahead).
        assert!(f.handle(Event::Key('2')).len() == 1);
        let d = CallDecision {
            granted: true,
            confirmation_id: Some("123456-123456".into()),
            reasons: vec!["ok".into()],
            short_reason: None,
        };
        let n = names(&f.handle(Event::Decision(d)));
        assert_eq!(
            n,
            [
                "note decision",
                "note confirmation_id_read",
                "cancel",
                "play confirmation_id"
            ]
        );
        f.handle(Event::PromptEnded); // checking ended (ignored while reading)
        let n = names(&f.handle(Event::PromptEnded));
        assert_eq!(n, ["cancel", "play repeat_menu"]);
        // The type-ahead '2' answers the menu: finish.
        let n = names(&f.handle(Event::PromptEnded));
        assert_eq!(n, ["cancel", "play closing"]);
        assert_eq!(names(&f.handle(Event::PromptEnded)), ["hangup"]);
        assert_eq!(f.outcome(), Some(Outcome::Activated));
    }

    #[test]
    fn a_denial_says_a_short_reason_and_transfers() {
        let mut f = answered();
        keys(&mut f, &groups().concat());
        let d = CallDecision {
            granted: false,
            confirmation_id: None,
            reasons: vec!["no".into()],
            short_reason: Some(Prompt::ReasonSeats),
        };
        assert_eq!(
            names(&f.handle(Event::Decision(d))),
            ["note decision", "cancel", "play closing"]
        );
        assert!(
            f.handle(Event::PromptEnded).is_empty(),
            "\"checking\" ends; the reason is still playing"
        );
        let n = names(&f.handle(Event::PromptEnded));
        assert_eq!(n, ["transfer: the activation was denied"]);
        assert_eq!(f.outcome(), Some(Outcome::Denied));
    }

    #[test]
    fn hash_reaches_an_agent_during_entry_with_the_groups_so_far() {
        let mut f = answered();
        keys(&mut f, &groups()[0]);
        keys(&mut f, "#");
        let a = f.handle(Event::PromptEnded);
        match &a[..] {
            [Action::Transfer { groups: g, .. }] => assert_eq!(g, &groups()[..1]),
            other => panic!("{:?}", names(other)),
        }
        assert_eq!(f.outcome(), Some(Outcome::Transferred));
    }

    #[test]
    fn no_input_reprompts_escalate_then_transfer() {
        let mut f = answered();
        assert_eq!(
            names(&f.handle(Event::Timeout)),
            ["note no_input", "cancel", "play enter_group 1"]
        );
        f.handle(Event::PromptEnded);
        f.handle(Event::Timeout);
        f.handle(Event::PromptEnded);
        let n = names(&f.handle(Event::Timeout));
        assert_eq!(n, ["note no_input", "cancel", "play closing"]);
        assert_eq!(names(&f.handle(Event::PromptEnded)), ["transfer: no input"]);
    }

    #[test]
    fn an_incomplete_group_times_out_as_a_no_match() {
        let mut f = answered();
        keys(&mut f, "12");
        let n = names(&f.handle(Event::Timeout));
        assert!(n.contains(&"note group_refused".to_string()), "{n:?}");
    }

    #[test]
    fn hanging_up_mid_group_abandons_the_call() {
        let mut f = answered();
        keys(&mut f, "123");
        f.handle(Event::HangUp);
        assert!(f.is_done());
        assert_eq!(f.outcome(), Some(Outcome::Abandoned));
    }
}
