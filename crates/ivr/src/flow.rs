//! The call flow: a closed set of states, each owning its data; events in,
//! actions out, no I/O.
//!
//! A [`Flow`] is one call. Feed it [`Event`]s (the call started, a key was
//! heard, a prompt finished playing, the timer fired, the decision came
//! back, the caller hung up) and it answers with [`Action`]s (play this,
//! stop playing, start the timer, ask for a decision, transfer, hang up,
//! note this in the transcript). The runner ([`super::call`]) owns the clock,
//! the audio and the desk; the flow owns only the dialogue, so every
//! transition is testable and one engine can run any number of calls.
//!
//! The dialogue: welcome; collect each group of the installation ID, checking
//! its check digit as soon as it is complete; the whole ID is checked once
//! complete; the entitlement decision; on a grant the confirmation ID is read
//! group by group, each group its own prompt, so that the caller can repeat
//! a group, go back one, pause and go on, or start again without losing the
//! place; then a menu to hear it again, finish, check what they wrote (the
//! read-back check: the caller keys each group back, and each is confirmed or
//! read again, with the result in the transcript) or reach an agent. On a
//! denial a short reason and a transfer to an agent. VoiceXML-like input handling: separate first-digit
//! and inter-digit timeouts, no-input and no-match counters with escalating
//! reprompts, barge-in (a key stops the prompt and counts), type-ahead (keys
//! pressed while the IVR is busy are kept).
//!
//! What a key means comes from the grammars' tags, never from the key
//! itself ([`Grammars`]): `iid_group.gram` says which keys make a group
//! (`group`), restart it (`restart`) or ask for an agent (`agent`; the
//! shipped grammar uses `*` and `#`, since `0` is a digit there);
//! `cid_menu.gram` says which key repeats the confirmation ID (`repeat`),
//! finishes (`finish`), starts the read-back check (`check`) or asks for an
//! agent (`agent`); `cid_readout.gram` the keys during the readout
//! (`repeat_group`, `back`, `pause`, `start_over`, `menu`); `cid_check.gram`
//! a group keyed back (`group`, `restart`, `stop`); `agent.gram` (any key
//! sequence tagged `agent`) is listened to during the readout and at the menu
//! as well. A grammar is
//! checked against these tags when it is loaded, so a match always means
//! something here.
//!
//! # States
//!
//! | state | owns | left on |
//! |---|---|---|
//! | `Idle` | nothing | the start of the call |
//! | `Welcome` | nothing | its end (group 1 is asked for), or a key (barge-in: the key starts group 1) |
//! | `Collecting` | the group's number and keys, the groups so far, its no-input and no-match counts, the whole-ID failures | a group tagged `group` that checks (the next group, or the whole ID), `agent`, too many failures |
//! | `Deciding` | the groups, the installation ID, keys typed ahead | the decision |
//! | `Reading` | the grant (confirmation ID and its groups, decision, repeats, menu counts), keys typed ahead, the group it is at, whether paused, the readout's and the agent grammar's keys | the last group's end or `menu`: the menu; `agent`; other controls stay |
//! | `Menu` | the grant, keys typed ahead, the menu's and the agent grammar's keys | `repeat` (reading again), `finish`, `check`, `agent`, too many failures |
//! | `Checking` | the grant, keys typed ahead, the group being keyed back, its keys and wrong tries, no-input and no-match counts | the last group checked, `stop`, too many failures: the menu |
//! | `Closing` | the call's record, what to do after the last words | their end: hang up or transfer |
//! | `Done` | the record and the outcome | nothing |
//!
//! A confirmation ID is read only from `Reading`, which is built only from a
//! decision that grants and carries one.
//!
//! # Unexpected events
//!
//! Every (state, event) pair is decided explicitly. Keys and hang-ups are
//! expected in every state of a live call (a key during the closing words is
//! noted and otherwise ignored). The other events follow from the flow's own
//! actions, and one that does not ([`Event::Start`] on a call already
//! started, [`Event::Timeout`] in a state that starts no timer,
//! [`Event::Decision`] nobody asked for, [`Event::PromptEnded`] with nothing playing, a key
//! before the start, anything after the end) is a mistake of the runner:
//! [`Flow::handle`] returns an [`Unexpected`] error naming the event, the
//! state and what the state expects, takes no action and leaves the state
//! as it was.

use super::grammar::{Grammar, GrammarError, MatchState, Matcher};
use actline_formats::ids::groups::digits_of;
use actline_formats::ids::install::{layout_for, LAYOUT};
use actline_formats::ids::{InstallationId, Layout};
use actline_voice::{Plan, PlanOptions, Prompt};
use serde::Serialize;
use std::collections::VecDeque;
use std::marker::PhantomData;
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
    /// How long a readout the caller paused waits before it goes on (ms).
    pub pause_timeout_ms: u64,
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
            pause_timeout_ms: 120_000,
        }
    }
}

// ------------------------------------------------------------------ grammars

/// The grammar files the flow listens with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GrammarFile {
    /// `iid_group.gram`: one group of the installation ID; tags `group`,
    /// `restart`, `agent`.
    IidGroup,
    /// `cid_menu.gram`: the menu after the confirmation ID; tags `repeat`,
    /// `finish`, `check`, `agent`.
    CidMenu,
    /// `agent.gram`: asking for an agent during the readout and at the
    /// menu; tag `agent`.
    Agent,
    /// `cid_readout.gram`: keys during the readout; tags `repeat_group`,
    /// `back`, `pause`, `start_over`, `menu`.
    CidReadout,
    /// `cid_check.gram`: a group keyed back in the read-back check; tags
    /// `group`, `restart`, `stop`.
    CidCheck,
}

impl GrammarFile {
    /// Every file, in load order.
    pub const ALL: [GrammarFile; 5] = [
        GrammarFile::IidGroup,
        GrammarFile::CidMenu,
        GrammarFile::Agent,
        GrammarFile::CidReadout,
        GrammarFile::CidCheck,
    ];

    /// The file's name, as in `grammars/` and in an override directory.
    pub fn file_name(self) -> &'static str {
        match self {
            GrammarFile::IidGroup => "iid_group.gram",
            GrammarFile::CidMenu => "cid_menu.gram",
            GrammarFile::Agent => "agent.gram",
            GrammarFile::CidReadout => "cid_readout.gram",
            GrammarFile::CidCheck => "cid_check.gram",
        }
    }

    /// The tags the flow acts on: a grammar for this file must give each of
    /// them and nothing else.
    pub fn tags(self) -> Vec<&'static str> {
        match self {
            GrammarFile::IidGroup => GroupInput::names(),
            GrammarFile::CidMenu => MenuChoice::names(),
            GrammarFile::Agent => AgentRequest::names(),
            GrammarFile::CidReadout => ReadoutControl::names(),
            GrammarFile::CidCheck => CheckInput::names(),
        }
    }

    /// The shipped grammar, compiled into the binary from `grammars/`.
    pub fn builtin(self) -> &'static str {
        match self {
            GrammarFile::IidGroup => include_str!("../../../grammars/iid_group.gram"),
            GrammarFile::CidMenu => include_str!("../../../grammars/cid_menu.gram"),
            GrammarFile::Agent => include_str!("../../../grammars/agent.gram"),
            GrammarFile::CidReadout => include_str!("../../../grammars/cid_readout.gram"),
            GrammarFile::CidCheck => include_str!("../../../grammars/cid_check.gram"),
        }
    }
}

/// A meaning the flow gives to a grammar's tag.
trait Choice: Copy + std::fmt::Debug + 'static {
    /// Every tag the grammar must give, with its meaning.
    const TAGS: &'static [(&'static str, Self)];

    fn names() -> Vec<&'static str> {
        Self::TAGS.iter().map(|(t, _)| *t).collect()
    }

    fn from_tag(tag: &str) -> Option<Self> {
        Self::TAGS.iter().find(|(t, _)| *t == tag).map(|(_, c)| *c)
    }

    /// The grammar's tag for this meaning, as the transcript says it.
    fn tag(self) -> &'static str
    where
        Self: PartialEq,
    {
        Self::TAGS
            .iter()
            .find(|(_, c)| *c == self)
            .map_or("?", |(t, _)| *t)
    }
}

/// What the keys typed at a group prompt mean (`iid_group.gram`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum GroupInput {
    /// `group`: the digits of one group.
    Group,
    /// `restart`: start this group again.
    Restart,
    /// `agent`: transfer to an agent.
    Agent,
}

impl Choice for GroupInput {
    const TAGS: &'static [(&'static str, Self)] = &[
        ("group", GroupInput::Group),
        ("restart", GroupInput::Restart),
        ("agent", GroupInput::Agent),
    ];
}

/// What the keys typed at the menu mean (`cid_menu.gram`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum MenuChoice {
    /// `repeat`: read the confirmation ID again.
    Repeat,
    /// `finish`: the caller has it.
    Finish,
    /// `check`: the caller keys back what they wrote.
    Check,
    /// `agent`: transfer to an agent.
    Agent,
}

impl Choice for MenuChoice {
    const TAGS: &'static [(&'static str, Self)] = &[
        ("repeat", MenuChoice::Repeat),
        ("finish", MenuChoice::Finish),
        ("check", MenuChoice::Check),
        ("agent", MenuChoice::Agent),
    ];
}

/// What a key pressed during the readout means (`cid_readout.gram`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ReadoutControl {
    /// `repeat_group`: read the current group again.
    RepeatGroup,
    /// `back`: go back one group.
    Back,
    /// `pause`: stop until the same key again; while paused, go on.
    Pause,
    /// `start_over`: from the first group.
    StartOver,
    /// `menu`: stop reading; the menu.
    Menu,
}

impl Choice for ReadoutControl {
    const TAGS: &'static [(&'static str, Self)] = &[
        ("repeat_group", ReadoutControl::RepeatGroup),
        ("back", ReadoutControl::Back),
        ("pause", ReadoutControl::Pause),
        ("start_over", ReadoutControl::StartOver),
        ("menu", ReadoutControl::Menu),
    ];
}

/// What the keys of the read-back check mean (`cid_check.gram`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CheckInput {
    /// `group`: the digits of one group as the caller wrote it.
    Group,
    /// `restart`: start this group again.
    Restart,
    /// `stop`: end the check.
    Stop,
}

impl Choice for CheckInput {
    const TAGS: &'static [(&'static str, Self)] = &[
        ("group", CheckInput::Group),
        ("restart", CheckInput::Restart),
        ("stop", CheckInput::Stop),
    ];
}

/// `agent.gram`'s one meaning.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AgentRequest {
    /// `agent`: transfer to an agent.
    Agent,
}

impl Choice for AgentRequest {
    const TAGS: &'static [(&'static str, Self)] = &[("agent", AgentRequest::Agent)];
}

/// A grammar whose tags were checked against `T`'s.
#[derive(Clone, Debug)]
struct Listen<T> {
    grammar: Grammar,
    meaning: PhantomData<fn() -> T>,
}

impl<T: Choice> Listen<T> {
    fn new(grammar: Grammar) -> Result<Self, GrammarError> {
        grammar.require_tags(&T::names())?;
        Ok(Self {
            grammar,
            meaning: PhantomData,
        })
    }

    fn input(&self) -> Input<T> {
        Input {
            matcher: self.grammar.matcher(),
            meaning: PhantomData,
        }
    }
}

/// What an input has heard so far, in the flow's terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Heard<T> {
    /// No match, and more keys cannot make one.
    NoMatch,
    /// Not a match yet.
    Partial,
    /// A match meaning `choice`; `complete` when no longer input can match.
    Match { choice: T, complete: bool },
}

/// One input in progress: a matcher over a [`Listen`]'s grammar.
#[derive(Clone, Debug)]
struct Input<T> {
    matcher: Matcher,
    meaning: PhantomData<fn() -> T>,
}

impl<T: Choice> Input<T> {
    fn push(&mut self, key: char) -> Heard<T> {
        self.matcher.push(key);
        self.heard()
    }

    fn heard(&self) -> Heard<T> {
        match self.matcher.state() {
            MatchState::NoMatch => Heard::NoMatch,
            MatchState::Partial => Heard::Partial,
            state @ (MatchState::MatchCanContinue | MatchState::Complete) => {
                // `Listen::new` checked that every match carries one of T's
                // tags; a match without one cannot happen, and would count
                // as keys that do not match.
                match self.matcher.tag().and_then(T::from_tag) {
                    Some(choice) => Heard::Match {
                        choice,
                        complete: state == MatchState::Complete,
                    },
                    None => Heard::NoMatch,
                }
            }
        }
    }

    fn keys(&self) -> &str {
        self.matcher.keys()
    }

    fn reset(&mut self) {
        self.matcher.reset();
    }
}

/// The grammars the flow listens with, each checked for the tags the flow
/// acts on ([`GrammarFile::tags`]). Cheap to clone.
#[derive(Clone, Debug)]
pub struct Grammars {
    group: Listen<GroupInput>,
    menu: Listen<MenuChoice>,
    agent: Listen<AgentRequest>,
    readout: Listen<ReadoutControl>,
    check: Listen<CheckInput>,
}

impl Grammars {
    /// The shipped grammars, compiled into the binary: nothing is read from
    /// disk, so an installed binary needs no checkout.
    pub fn builtin() -> Result<Self, GrammarError> {
        let parse = |f: GrammarFile| Grammar::parse(f.builtin(), &builtin_name(f));
        Ok(Self {
            group: Listen::new(parse(GrammarFile::IidGroup)?)?,
            menu: Listen::new(parse(GrammarFile::CidMenu)?)?,
            agent: Listen::new(parse(GrammarFile::Agent)?)?,
            readout: Listen::new(parse(GrammarFile::CidReadout)?)?,
            check: Listen::new(parse(GrammarFile::CidCheck)?)?,
        })
    }

    /// The grammars in the override directory `dir`; a file missing there
    /// is taken from the built-in set, and the second value says so, one
    /// sentence per file. A directory that cannot be read, or a grammar that
    /// is malformed or lacks a tag, is refused here, before any call.
    pub fn load(dir: &Path) -> Result<(Self, Vec<String>), GrammarError> {
        let io = |source| GrammarError::Io {
            file: dir.display().to_string(),
            source,
        };
        if !std::fs::metadata(dir).map_err(io)?.is_dir() {
            return Err(io(std::io::Error::other("not a directory")));
        }
        let mut grammars = Self::builtin()?;
        let mut notes = Vec::new();
        for f in GrammarFile::ALL {
            let path = dir.join(f.file_name());
            match std::fs::read_to_string(&path) {
                Ok(src) => grammars.replace(f, &src, &path.display().to_string())?,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => notes.push(format!(
                    "{}: no {}, using the built-in one",
                    dir.display(),
                    f.file_name()
                )),
                Err(source) => {
                    return Err(GrammarError::Io {
                        file: path.display().to_string(),
                        source,
                    })
                }
            }
        }
        Ok((grammars, notes))
    }

    /// Replaces one grammar with the text `src`; `name` names it in errors.
    /// The new grammar must parse and give exactly the file's tags
    /// ([`GrammarFile::tags`]); otherwise nothing changes.
    pub fn replace(
        &mut self,
        file: GrammarFile,
        src: &str,
        name: &str,
    ) -> Result<(), GrammarError> {
        let g = Grammar::parse(src, name)?;
        match file {
            GrammarFile::IidGroup => self.group = Listen::new(g)?,
            GrammarFile::CidMenu => self.menu = Listen::new(g)?,
            GrammarFile::Agent => self.agent = Listen::new(g)?,
            GrammarFile::CidReadout => self.readout = Listen::new(g)?,
            GrammarFile::CidCheck => self.check = Listen::new(g)?,
        }
        Ok(())
    }

    /// One of the grammars.
    pub fn grammar(&self, file: GrammarFile) -> &Grammar {
        match file {
            GrammarFile::IidGroup => &self.group.grammar,
            GrammarFile::CidMenu => &self.menu.grammar,
            GrammarFile::Agent => &self.agent.grammar,
            GrammarFile::CidReadout => &self.readout.grammar,
            GrammarFile::CidCheck => &self.check.grammar,
        }
    }
}

/// How error messages name a built-in grammar: its path in the source tree.
fn builtin_name(f: GrammarFile) -> String {
    format!("grammars/{} (built in)", f.file_name())
}

// ------------------------------------------------------------ events, actions

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

impl Event {
    fn describe(&self) -> &'static str {
        match self {
            Event::Start => "start of the call",
            Event::Key(_) => "key",
            Event::PromptEnded => "end of a prompt",
            Event::Timeout => "timeout",
            Event::Decision(_) => "decision",
            Event::HangUp => "hang-up",
        }
    }
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
    /// The caller restarted a group (`restart` in `iid_group.gram`).
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
    /// A key during the readout did what `cid_readout.gram` says.
    ReadoutControl {
        /// The tag: `repeat_group`, `back`, `pause`, `resume`,
        /// `start_over` or `menu`.
        control: &'static str,
        /// The group read next (1-based).
        group: usize,
    },
    /// A group of the confirmation ID keyed back in the read-back check.
    ReadBack {
        /// 1-based group number.
        group: usize,
        /// What the caller keyed.
        typed: String,
        /// Whether it is the group that was read.
        right: bool,
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

/// An event the current state does not expect (see the module
/// documentation): the flow took no action and its state is unchanged.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unexpected {event} {state}{detail}; expected {expected}")]
pub struct Unexpected {
    /// What came (`"timeout"`, `"decision"`, ...).
    pub event: &'static str,
    /// Where the call was (`"while reading the confirmation ID"`, ...).
    pub state: &'static str,
    /// What the state expects.
    pub expected: &'static str,
    /// More about why (`", with nothing playing"`), or empty.
    pub detail: &'static str,
}

// -------------------------------------------------------------------- states

/// The dialogue's states; each owns what it needs and nothing more.
#[derive(Clone, Debug)]
enum State {
    /// Not answered yet.
    Idle,
    /// Playing the welcome.
    Welcome,
    /// Collecting one group of the installation ID.
    Collecting(Collecting),
    /// The whole ID is in and valid; waiting for the decision.
    Deciding(Deciding),
    /// Reading the confirmation ID out.
    Reading(Reading),
    /// The menu after the readout.
    Menu(Menu),
    /// The caller keys back what they wrote, group by group.
    Checking(Checking),
    /// Playing the last words; then hanging up or transferring.
    Closing(Closing),
    /// Over.
    Done(Done),
}

impl State {
    /// (where the call is, what it expects), for [`Unexpected`].
    fn describe(&self) -> (&'static str, &'static str) {
        const LIVE: &str = "a key, the end of a prompt or a hang-up";
        const INPUT: &str = "a key, the end of a prompt, a timeout or a hang-up";
        match self {
            State::Idle => (
                "before the call is answered",
                "the start of the call or a hang-up",
            ),
            State::Welcome => ("during the welcome", LIVE),
            State::Collecting(_) => ("while a group is being entered", INPUT),
            State::Deciding(_) => (
                "while waiting for the decision",
                "the decision, a key, the end of a prompt or a hang-up",
            ),
            State::Reading(_) => ("while reading the confirmation ID", INPUT),
            State::Menu(_) => ("at the menu", INPUT),
            State::Checking(_) => ("while the caller keys back the confirmation ID", INPUT),
            State::Closing(_) => ("while closing the call", LIVE),
            State::Done(_) => ("after the call ended", "nothing"),
        }
    }
}

/// No-input and no-match counts of one input.
#[derive(Clone, Copy, Debug, Default)]
struct Retries {
    no_input: u32,
    no_match: u32,
}

#[derive(Clone, Debug)]
struct Collecting {
    /// 0-based group number.
    index: usize,
    /// The groups accepted before this one.
    groups: Vec<String>,
    /// This group's keys so far.
    input: Input<GroupInput>,
    /// This group's failures (a group accepted starts the next one afresh).
    retries: Retries,
    /// Whole IDs that failed (every group checked, the ID did not).
    id_failures: u32,
}

impl Collecting {
    fn record(self) -> Record {
        Record {
            groups: self.groups,
            ..Record::default()
        }
    }
}

#[derive(Clone, Debug)]
struct Deciding {
    groups: Vec<String>,
    iid: InstallationId,
    /// Keys typed while waiting, for the menu.
    typeahead: VecDeque<char>,
}

/// A decision that grants, with its confirmation ID: only this can be read
/// out.
#[derive(Clone, Debug)]
struct Granted {
    groups: Vec<String>,
    iid: InstallationId,
    decision: CallDecision,
    confirmation_id: String,
    /// Its digit groups, read one by one.
    cid_groups: Vec<String>,
    /// Times the caller asked to hear it again.
    repeats: u32,
    /// The menu's failures, kept across readouts.
    retries: Retries,
}

impl Granted {
    fn record(self) -> Record {
        Record {
            groups: self.groups,
            iid: Some(self.iid),
            decision: Some(self.decision),
            standing: Standing::Activated,
        }
    }
}

#[derive(Clone, Debug)]
struct Reading {
    granted: Granted,
    typeahead: VecDeque<char>,
    /// The group being read, or read next (0-based).
    group: usize,
    /// False while the intro plays: the first group has not begun.
    started: bool,
    /// Paused by the caller: nothing is read until `pause` again, another
    /// control, or [`FlowConfig::pause_timeout_ms`].
    paused: bool,
    control: Input<ReadoutControl>,
    agent: Input<AgentRequest>,
}

#[derive(Clone, Debug)]
struct Checking {
    granted: Granted,
    typeahead: VecDeque<char>,
    /// The group being keyed back (0-based).
    index: usize,
    input: Input<CheckInput>,
    /// Wrong tries of this group.
    wrong: u32,
    retries: Retries,
}

#[derive(Clone, Debug)]
struct Menu {
    granted: Granted,
    typeahead: VecDeque<char>,
    choice: Input<MenuChoice>,
    agent: Input<AgentRequest>,
}

#[derive(Clone, Debug)]
struct Closing {
    record: Record,
    then: Then,
}

/// What follows the closing words.
#[derive(Clone, Debug, PartialEq)]
enum Then {
    HangUp,
    /// Transfer, with the reason for the agent.
    Transfer(String),
}

#[derive(Clone, Debug)]
struct Done {
    record: Record,
    outcome: Outcome,
}

/// What a call leaves behind once the dialogue is over.
#[derive(Clone, Debug, Default)]
struct Record {
    groups: Vec<String>,
    iid: Option<InstallationId>,
    decision: Option<CallDecision>,
    standing: Standing,
}

/// What the call has achieved, which decides its outcome however it ends.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Standing {
    #[default]
    Nothing,
    Denied,
    /// The confirmation ID was read out.
    Activated,
}

impl Standing {
    /// The outcome when the call ends without a transfer.
    fn ended(self) -> Outcome {
        match self {
            Standing::Nothing => Outcome::Abandoned,
            Standing::Denied => Outcome::Denied,
            Standing::Activated => Outcome::Activated,
        }
    }

    /// The outcome when the caller is handed to an agent.
    fn transferred(self) -> Outcome {
        match self {
            Standing::Nothing => Outcome::Transferred,
            Standing::Denied => Outcome::Denied,
            Standing::Activated => Outcome::Activated,
        }
    }
}

// ---------------------------------------------------------------------- flow

/// One call's dialogue.
#[derive(Clone, Debug)]
pub struct Flow {
    config: FlowConfig,
    grammars: Grammars,
    layout: Layout,
    /// Prompts started and not yet ended (they queue behind each other);
    /// 0 while the line is silent. This is the line's state, not the
    /// dialogue's: every state plays and is barged in on the same way.
    queued: u32,
    state: State,
}

impl Flow {
    /// A new call, not yet started.
    pub fn new(config: FlowConfig, grammars: &Grammars) -> Self {
        Self {
            config,
            grammars: grammars.clone(),
            layout: LAYOUT,
            queued: 0,
            state: State::Idle,
        }
    }

    /// How the call ended, once it has.
    pub fn outcome(&self) -> Option<Outcome> {
        match &self.state {
            State::Done(d) => Some(d.outcome),
            State::Idle
            | State::Welcome
            | State::Collecting(_)
            | State::Deciding(_)
            | State::Reading(_)
            | State::Menu(_)
            | State::Checking(_)
            | State::Closing(_) => None,
        }
    }

    /// True once the call is over.
    pub fn is_done(&self) -> bool {
        matches!(self.state, State::Done(_))
    }

    /// The installation ID, once complete and valid.
    pub fn installation_id(&self) -> Option<&InstallationId> {
        match &self.state {
            State::Idle | State::Welcome | State::Collecting(_) => None,
            State::Deciding(d) => Some(&d.iid),
            State::Reading(r) => Some(&r.granted.iid),
            State::Menu(m) => Some(&m.granted.iid),
            State::Checking(c) => Some(&c.granted.iid),
            State::Closing(Closing { record, .. }) | State::Done(Done { record, .. }) => {
                record.iid.as_ref()
            }
        }
    }

    /// The confirmation ID, once granted.
    pub fn confirmation_id(&self) -> Option<&str> {
        match &self.state {
            State::Idle | State::Welcome | State::Collecting(_) | State::Deciding(_) => None,
            State::Reading(r) => Some(&r.granted.confirmation_id),
            State::Menu(m) => Some(&m.granted.confirmation_id),
            State::Checking(c) => Some(&c.granted.confirmation_id),
            State::Closing(Closing { record, .. }) | State::Done(Done { record, .. }) => record
                .decision
                .as_ref()
                .and_then(|d| d.confirmation_id.as_deref()),
        }
    }

    /// The groups accepted so far.
    pub fn groups(&self) -> &[String] {
        match &self.state {
            State::Idle | State::Welcome => &[],
            State::Collecting(c) => &c.groups,
            State::Deciding(d) => &d.groups,
            State::Reading(r) => &r.granted.groups,
            State::Menu(m) => &m.granted.groups,
            State::Checking(c) => &c.granted.groups,
            State::Closing(Closing { record, .. }) | State::Done(Done { record, .. }) => {
                &record.groups
            }
        }
    }

    /// Handles one event and returns what to do, in order. An event the
    /// current state does not expect is refused with [`Unexpected`]: no
    /// action, and the state stays as it was (see the module documentation).
    pub fn handle(&mut self, event: Event) -> Result<Vec<Action>, Unexpected> {
        if event == Event::PromptEnded && self.queued == 0 {
            let (state, expected) = self.state.describe();
            return Err(Unexpected {
                event: event.describe(),
                state,
                expected,
                detail: ", with nothing playing",
            });
        }
        let state = std::mem::replace(&mut self.state, State::Idle);
        let mut out = Vec::new();
        match self.step(state, event, &mut out) {
            Ok(next) => {
                self.state = next;
                Ok(out)
            }
            Err(refused) => {
                let (state, e) = *refused;
                self.state = state;
                Err(e)
            }
        }
    }

    /// The transition table: every (state, event) pair, explicitly.
    fn step(
        &mut self,
        state: State,
        event: Event,
        out: &mut Vec<Action>,
    ) -> Result<State, Refused> {
        use Event as E;
        use State as S;
        Ok(match (state, event) {
            // Not answered yet.
            (S::Idle, E::Start) => {
                self.play(out, "welcome", Plan::prompt(Prompt::Welcome));
                S::Welcome
            }
            (S::Idle, E::HangUp) => self.hang_up(Record::default(), out),
            (s @ S::Idle, e @ (E::Key(_) | E::PromptEnded | E::Timeout | E::Decision(_))) => {
                return Err(unexpected(s, &e))
            }

            // The welcome.
            (S::Welcome, E::Key(k)) => {
                out.push(Action::Note(Note::Digit { key: k }));
                // Barge-in: the caller knows what to do; the key starts group 1.
                self.stop(out);
                let c = self.first_group(0);
                self.collect_key(c, k, out)
            }
            (S::Welcome, E::PromptEnded) => match self.silent() {
                true => {
                    let c = self.first_group(0);
                    self.ask_group(c, None, out)
                }
                false => S::Welcome,
            },
            (S::Welcome, E::HangUp) => self.hang_up(Record::default(), out),
            (s @ S::Welcome, e @ (E::Start | E::Timeout | E::Decision(_))) => {
                return Err(unexpected(s, &e))
            }

            // A group of the installation ID.
            (S::Collecting(c), E::Key(k)) => {
                out.push(Action::Note(Note::Digit { key: k }));
                if self.playing() {
                    self.stop(out);
                }
                self.collect_key(c, k, out)
            }
            (S::Collecting(c), E::PromptEnded) => {
                if self.silent() {
                    out.push(Action::StartTimer(if c.input.keys().is_empty() {
                        self.config.first_digit_timeout_ms
                    } else {
                        self.config.inter_digit_timeout_ms
                    }));
                }
                S::Collecting(c)
            }
            (S::Collecting(c), E::Timeout) => self.collect_timeout(c, out),
            (S::Collecting(c), E::HangUp) => self.hang_up(c.record(), out),
            (s @ S::Collecting(_), e @ (E::Start | E::Decision(_))) => {
                return Err(unexpected(s, &e))
            }

            // Waiting for the decision.
            (S::Deciding(mut d), E::Key(k)) => {
                out.push(Action::Note(Note::Digit { key: k }));
                // Type-ahead: kept for the menu.
                d.typeahead.push_back(k);
                S::Deciding(d)
            }
            (S::Deciding(d), E::PromptEnded) => {
                // "Checking" ended; the decision is still to come.
                self.silent();
                S::Deciding(d)
            }
            (S::Deciding(d), E::Decision(decision)) => self.decided(d, decision, out),
            (S::Deciding(d), E::HangUp) => self.hang_up(
                Record {
                    groups: d.groups,
                    iid: Some(d.iid),
                    ..Record::default()
                },
                out,
            ),
            (s @ S::Deciding(_), e @ (E::Start | E::Timeout)) => return Err(unexpected(s, &e)),

            // Reading the confirmation ID.
            (S::Reading(r), E::Key(k)) => {
                out.push(Action::Note(Note::Digit { key: k }));
                if self.playing() {
                    self.stop(out);
                }
                self.readout_key(r, k, out)
            }
            (S::Reading(r), E::PromptEnded) => match self.silent() {
                true => self.read_on(r, out),
                false => S::Reading(r),
            },
            (S::Reading(mut r), E::Timeout) => {
                // The pause ran out, or keys that began a longer choice
                // (`*` of `*0`) came to nothing: go on where it stopped.
                r.control.reset();
                r.agent.reset();
                if r.paused {
                    r.paused = false;
                    out.push(Action::Note(Note::ReadoutControl {
                        control: "resume",
                        group: r.group + 1,
                    }));
                }
                self.resume(r, out)
            }
            (S::Reading(r), E::HangUp) => self.hang_up(r.granted.record(), out),
            (s @ S::Reading(_), e @ (E::Start | E::Decision(_))) => return Err(unexpected(s, &e)),

            // The read-back check.
            (S::Checking(c), E::Key(k)) => {
                out.push(Action::Note(Note::Digit { key: k }));
                if self.playing() {
                    self.stop(out);
                }
                self.check_key(c, k, out)
            }
            (S::Checking(c), E::PromptEnded) => {
                if self.silent() {
                    out.push(Action::StartTimer(if c.input.keys().is_empty() {
                        self.config.first_digit_timeout_ms
                    } else {
                        self.config.inter_digit_timeout_ms
                    }));
                }
                S::Checking(c)
            }
            (S::Checking(c), E::Timeout) => self.check_timeout(c, out),
            (S::Checking(c), E::HangUp) => self.hang_up(c.granted.record(), out),
            (s @ S::Checking(_), e @ (E::Start | E::Decision(_))) => return Err(unexpected(s, &e)),

            // The menu after the readout.
            (S::Menu(m), E::Key(k)) => {
                out.push(Action::Note(Note::Digit { key: k }));
                if self.playing() {
                    self.stop(out);
                }
                self.menu_key(m, k, out)
            }
            (S::Menu(m), E::PromptEnded) => match self.silent() {
                true => self.menu_listen(m, out),
                false => S::Menu(m),
            },
            (S::Menu(m), E::Timeout) => self.menu_timeout(m, out),
            (S::Menu(m), E::HangUp) => self.hang_up(m.granted.record(), out),
            (s @ S::Menu(_), e @ (E::Start | E::Decision(_))) => return Err(unexpected(s, &e)),

            // The last words.
            (S::Closing(c), E::Key(k)) => {
                // Noted, and otherwise too late to count.
                out.push(Action::Note(Note::Digit { key: k }));
                S::Closing(c)
            }
            (S::Closing(c), E::PromptEnded) => match self.silent() {
                true => self.closed(c, out),
                false => S::Closing(c),
            },
            (S::Closing(c), E::HangUp) => self.hang_up(c.record, out),
            (s @ S::Closing(_), e @ (E::Start | E::Timeout | E::Decision(_))) => {
                return Err(unexpected(s, &e))
            }

            // Over: nothing more can happen.
            (
                s @ S::Done(_),
                e @ (E::Start
                | E::Key(_)
                | E::PromptEnded
                | E::Timeout
                | E::Decision(_)
                | E::HangUp),
            ) => return Err(unexpected(s, &e)),
        })
    }

    // ------------------------------------------------------------ the line

    fn playing(&self) -> bool {
        self.queued > 0
    }

    /// A prompt ended (the caller checked one was playing): true when the
    /// line is now silent, false when another prompt follows.
    fn silent(&mut self) -> bool {
        self.queued = self.queued.saturating_sub(1);
        self.queued == 0
    }

    fn play(&mut self, out: &mut Vec<Action>, name: &str, plan: Plan) {
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
        self.queued = 0;
    }

    fn hang_up(&mut self, record: Record, out: &mut Vec<Action>) -> State {
        out.push(Action::CancelTimer);
        let outcome = record.standing.ended();
        State::Done(Done { record, outcome })
    }

    fn closing(&mut self, record: Record, plan: Plan, then: Then, out: &mut Vec<Action>) -> State {
        self.play(out, "closing", plan);
        State::Closing(Closing { record, then })
    }

    /// The closing words ended: hang up or transfer.
    fn closed(&mut self, c: Closing, out: &mut Vec<Action>) -> State {
        let Closing { record, then } = c;
        let outcome = match then {
            Then::HangUp => {
                out.push(Action::HangUp);
                record.standing.ended()
            }
            Then::Transfer(reason) => {
                out.push(Action::Transfer {
                    reason,
                    groups: record.groups.clone(),
                    installation_id: record.iid.map(|i| i.to_string()),
                    reasons: record
                        .decision
                        .as_ref()
                        .map(|d| d.reasons.clone())
                        .unwrap_or_default(),
                });
                record.standing.transferred()
            }
        };
        State::Done(Done { record, outcome })
    }

    // ----------------------------------------------------------- the groups

    /// Group 1, with nothing entered yet.
    fn first_group(&self, id_failures: u32) -> Collecting {
        Collecting {
            index: 0,
            groups: Vec::new(),
            input: self.grammars.group.input(),
            retries: Retries::default(),
            id_failures,
        }
    }

    fn ask_group(&mut self, c: Collecting, lead: Option<Plan>, out: &mut Vec<Action>) -> State {
        let n = c.index + 1;
        let ask = Plan::enter_group(n).unwrap_or_else(|_| Plan::prompt(Prompt::EnterGroupAgain));
        let plan = match lead {
            Some(l) => l.then(ask),
            None => ask,
        };
        self.play(out, &format!("enter_group {n}"), plan);
        State::Collecting(c)
    }

    fn collect_key(&mut self, mut c: Collecting, k: char, out: &mut Vec<Action>) -> State {
        match c.input.push(k) {
            Heard::Partial
            | Heard::Match {
                complete: false, ..
            } => {
                // A match that can continue waits for more keys or the
                // inter-digit timeout.
                out.push(Action::StartTimer(self.config.inter_digit_timeout_ms));
                State::Collecting(c)
            }
            Heard::Match {
                choice,
                complete: true,
            } => self.group_choice(c, choice, out),
            Heard::NoMatch => {
                let keys = c.input.keys().to_string();
                self.refuse_group(c, keys, "not a digit".into(), out)
            }
        }
    }

    /// What a match at a group prompt means.
    fn group_choice(
        &mut self,
        mut c: Collecting,
        choice: GroupInput,
        out: &mut Vec<Action>,
    ) -> State {
        match choice {
            GroupInput::Group => self.group_complete(c, out),
            GroupInput::Restart => {
                c.input.reset();
                out.push(Action::Note(Note::GroupRestarted { group: c.index + 1 }));
                self.ask_group(c, None, out)
            }
            GroupInput::Agent => self.closing(
                c.record(),
                Plan::prompt(Prompt::Transfer),
                Then::Transfer("the caller asked for an agent".into()),
                out,
            ),
        }
    }

    fn collect_timeout(&mut self, mut c: Collecting, out: &mut Vec<Action>) -> State {
        match c.input.heard() {
            // The caller stopped typing on a match: that is their input.
            Heard::Match { choice, .. } => self.group_choice(c, choice, out),
            Heard::Partial | Heard::NoMatch if c.input.keys().is_empty() => {
                c.retries.no_input += 1;
                let count = c.retries.no_input;
                out.push(Action::Note(Note::NoInput { count }));
                if count >= self.config.max_no_input {
                    return self.closing(
                        c.record(),
                        Plan::prompt(Prompt::TooManyErrors).then(Plan::prompt(Prompt::Transfer)),
                        Then::Transfer("no input".into()),
                        out,
                    );
                }
                // Escalate: the second reprompt adds how to restart a group.
                let mut lead = Plan::prompt(Prompt::NoInput);
                if count >= 2 {
                    lead = lead.then(Plan::prompt(Prompt::RestartHint));
                }
                self.ask_group(c, Some(lead), out)
            }
            Heard::Partial | Heard::NoMatch => {
                let keys = c.input.keys().to_string();
                self.refuse_group(
                    c,
                    keys,
                    "incomplete group: the caller stopped typing".into(),
                    out,
                )
            }
        }
    }

    fn group_complete(&mut self, mut c: Collecting, out: &mut Vec<Action>) -> State {
        out.push(Action::CancelTimer);
        // The group's digits; a grammar may let other keys end a group.
        let digits: String = c
            .input
            .keys()
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        match digits_of(&digits).map(|d| self.layout.check_group(&d)) {
            Some(Ok(())) => {
                out.push(Action::Note(Note::GroupAccepted {
                    group: c.index + 1,
                    digits: digits.clone(),
                }));
                c.groups.push(digits);
                // A site host's ID is 14 groups; its first group says so.
                let first = c.groups[0].bytes().next().map_or(0, |b| b - b'0');
                if c.groups.len() < layout_for(first).groups {
                    let next = Collecting {
                        index: c.index + 1,
                        groups: c.groups,
                        input: self.grammars.group.input(),
                        retries: Retries::default(),
                        id_failures: c.id_failures,
                    };
                    // With keys already typed, the next one barges in.
                    self.ask_group(next, None, out)
                } else {
                    self.whole_id(c.groups, c.id_failures, out)
                }
            }
            _ => self.refuse_group(c, digits, "check digit does not match".into(), out),
        }
    }

    fn refuse_group(
        &mut self,
        mut c: Collecting,
        digits: String,
        reason: String,
        out: &mut Vec<Action>,
    ) -> State {
        c.retries.no_match += 1;
        out.push(Action::Note(Note::GroupRefused {
            group: c.index + 1,
            digits,
            reason,
        }));
        c.input.reset();
        if c.retries.no_match >= self.config.max_no_match {
            let reason = format!(
                "group {} was refused {} times",
                c.index + 1,
                c.retries.no_match
            );
            return self.closing(
                c.record(),
                Plan::prompt(Prompt::TooManyErrors).then(Plan::prompt(Prompt::Transfer)),
                Then::Transfer(reason),
                out,
            );
        }
        self.ask_group(c, Some(Plan::prompt(Prompt::GroupInvalid)), out)
    }

    fn whole_id(&mut self, groups: Vec<String>, id_failures: u32, out: &mut Vec<Action>) -> State {
        match InstallationId::parse(&groups.join("-")) {
            Ok(iid) => {
                out.push(Action::Note(Note::InstallationId {
                    valid: true,
                    detail: iid.to_string(),
                }));
                self.play(out, "checking", Plan::prompt(Prompt::Checking));
                out.push(Action::Decide(iid));
                State::Deciding(Deciding {
                    groups,
                    iid,
                    typeahead: VecDeque::new(),
                })
            }
            Err(e) => {
                let id_failures = id_failures + 1;
                out.push(Action::Note(Note::InstallationId {
                    valid: false,
                    detail: e.to_string(),
                }));
                if id_failures >= self.config.max_id_failures {
                    return self.closing(
                        Record {
                            groups,
                            ..Record::default()
                        },
                        Plan::prompt(Prompt::IdInvalid).then(Plan::prompt(Prompt::Transfer)),
                        Then::Transfer("the installation ID did not check as a whole".into()),
                        out,
                    );
                }
                let c = self.first_group(id_failures);
                self.ask_group(c, Some(Plan::prompt(Prompt::IdInvalid)), out)
            }
        }
    }

    // ----------------------------------------------- the decision and after

    fn decided(&mut self, d: Deciding, decision: CallDecision, out: &mut Vec<Action>) -> State {
        out.push(Action::Note(Note::Decision(decision.clone())));
        match decision
            .confirmation_id
            .clone()
            .filter(|_| decision.granted)
        {
            Some(confirmation_id) => {
                let cid_groups = actline_voice::parse_groups(&confirmation_id).unwrap_or_default();
                self.read(
                    Granted {
                        groups: d.groups,
                        iid: d.iid,
                        decision,
                        confirmation_id,
                        cid_groups,
                        repeats: 0,
                        retries: Retries::default(),
                    },
                    d.typeahead,
                    true,
                    out,
                )
            }
            None => {
                let reason = decision.short_reason.unwrap_or(Prompt::ReasonOther);
                let record = Record {
                    groups: d.groups,
                    iid: Some(d.iid),
                    decision: Some(decision),
                    standing: Standing::Denied,
                };
                self.closing(
                    record,
                    Plan::prompt(Prompt::Denied)
                        .then(Plan::prompt(reason))
                        .then(Plan::prompt(Prompt::Transfer)),
                    Then::Transfer("the activation was denied".into()),
                    out,
                )
            }
        }
    }

    /// Reads the confirmation ID from its first group, after the keys the
    /// caller may press (`hint`, the first time) and "Your confirmation ID
    /// is". Each group is its own prompt, so a key stops the readout at a
    /// group and the readout goes on from there.
    fn read(
        &mut self,
        granted: Granted,
        typeahead: VecDeque<char>,
        hint: bool,
        out: &mut Vec<Action>,
    ) -> State {
        out.push(Action::Note(Note::ConfirmationIdRead {
            confirmation_id: granted.confirmation_id.clone(),
        }));
        let mut intro = Plan::new();
        if hint {
            intro = intro
                .unit(actline_voice::UnitId::prompt(Prompt::ReadoutHint))
                .pause(PlanOptions::default().group_pause_ms);
        }
        intro = intro
            .unit(actline_voice::UnitId::prompt(Prompt::YourCidIs))
            .pause(PlanOptions::default().label_pause_ms);
        let r = Reading {
            granted,
            typeahead,
            group: 0,
            started: false,
            paused: false,
            control: self.grammars.readout.input(),
            agent: self.grammars.agent.input(),
        };
        self.play(out, "confirmation_id", intro);
        State::Reading(r)
    }

    /// Plays the group the readout is at; past the last one, the menu.
    fn read_group(&mut self, r: Reading, out: &mut Vec<Action>) -> State {
        let n = r.group + 1;
        let plan = match r.granted.cid_groups.get(r.group) {
            Some(digits) => actline_voice::readout_group(n, digits)
                .unwrap_or_else(|_| Plan::prompt(Prompt::ReasonOther)),
            None => return self.menu_again(r.granted, r.typeahead, out),
        };
        self.play(out, &format!("cid_group_{n}"), plan);
        State::Reading(r)
    }

    /// A prompt of the readout ended and the line is silent: the next
    /// group, the menu after the last, or (paused) the wait for the caller.
    fn read_on(&mut self, mut r: Reading, out: &mut Vec<Action>) -> State {
        if r.paused {
            out.push(Action::StartTimer(self.config.pause_timeout_ms));
            return State::Reading(r);
        }
        if !r.control.keys().is_empty() || !r.agent.keys().is_empty() {
            // Keys that may begin a longer choice: wait for the rest.
            out.push(Action::StartTimer(self.config.inter_digit_timeout_ms));
            return State::Reading(r);
        }
        // The intro ended (the first group is next) or a group did.
        if r.started {
            r.group += 1;
        }
        self.resume(r, out)
    }

    fn menu_again(
        &mut self,
        granted: Granted,
        typeahead: VecDeque<char>,
        out: &mut Vec<Action>,
    ) -> State {
        let m = self.menu(granted, typeahead);
        self.play(out, "repeat_menu", Plan::prompt(Prompt::RepeatMenu));
        State::Menu(m)
    }

    /// A key during the readout (playback already stopped).
    fn readout_key(&mut self, mut r: Reading, k: char, out: &mut Vec<Action>) -> State {
        if let Heard::Match {
            choice: AgentRequest::Agent,
            complete: true,
        } = r.agent.push(k)
        {
            return self.closing(
                r.granted.record(),
                Plan::prompt(Prompt::Transfer),
                Then::Transfer("the caller asked for an agent during the readout".into()),
                out,
            );
        }
        let agent_partial = r.agent.heard() == Heard::Partial;
        let choice = match r.control.push(k) {
            Heard::Match { choice, .. } => choice,
            Heard::Partial => {
                out.push(Action::StartTimer(self.config.inter_digit_timeout_ms));
                return State::Reading(r);
            }
            Heard::NoMatch if agent_partial => {
                r.control.reset();
                out.push(Action::StartTimer(self.config.inter_digit_timeout_ms));
                return State::Reading(r);
            }
            Heard::NoMatch => {
                // A key that means nothing here: read on from where it stopped.
                r.control.reset();
                r.agent.reset();
                return self.resume(r, out);
            }
        };
        r.control.reset();
        r.agent.reset();
        let was_paused = std::mem::replace(&mut r.paused, false);
        let control = match choice {
            ReadoutControl::Pause if was_paused => "resume",
            c => c.tag(),
        };
        match choice {
            // Any control ends a pause; `pause` itself only ends it.
            ReadoutControl::Pause => r.paused = !was_paused,
            ReadoutControl::RepeatGroup | ReadoutControl::Menu => {}
            ReadoutControl::Back => r.group = r.group.saturating_sub(1),
            ReadoutControl::StartOver => r.group = 0,
        }
        out.push(Action::Note(Note::ReadoutControl {
            control,
            group: r.group + 1,
        }));
        match choice {
            ReadoutControl::Menu => self.menu_again(r.granted, r.typeahead, out),
            ReadoutControl::Pause if r.paused => {
                self.play(out, "paused", Plan::prompt(Prompt::Paused));
                State::Reading(r)
            }
            _ => self.resume(r, out),
        }
    }

    /// Reads on from the group the readout is at.
    fn resume(&mut self, mut r: Reading, out: &mut Vec<Action>) -> State {
        r.started = true;
        self.read_group(r, out)
    }

    fn menu(&self, granted: Granted, typeahead: VecDeque<char>) -> Menu {
        Menu {
            granted,
            typeahead,
            choice: self.grammars.menu.input(),
            agent: self.grammars.agent.input(),
        }
    }

    /// The menu prompt ended: keys typed ahead answer it first, then the
    /// caller has the timeout to answer.
    fn menu_listen(&mut self, mut m: Menu, out: &mut Vec<Action>) -> State {
        while !self.playing() {
            let Some(k) = m.typeahead.pop_front() else {
                break;
            };
            match self.menu_key(m, k, out) {
                State::Menu(next) => m = next,
                other => return other,
            }
        }
        if !self.playing() {
            let typing = !m.choice.keys().is_empty() || !m.agent.keys().is_empty();
            out.push(Action::StartTimer(if typing {
                self.config.inter_digit_timeout_ms
            } else {
                self.config.first_digit_timeout_ms
            }));
        }
        State::Menu(m)
    }

    fn menu_key(&mut self, mut m: Menu, k: char, out: &mut Vec<Action>) -> State {
        let agent = m.agent.push(k);
        if let Heard::Match {
            choice: AgentRequest::Agent,
            complete: true,
        } = agent
        {
            return self.closing(
                m.granted.record(),
                Plan::prompt(Prompt::Transfer),
                Then::Transfer("the caller asked for an agent after the readout".into()),
                out,
            );
        }
        match m.choice.push(k) {
            Heard::Match { choice, .. } => {
                m.choice.reset();
                m.agent.reset();
                match choice {
                    MenuChoice::Repeat if m.granted.repeats < self.config.max_repeats => {
                        m.granted.repeats += 1;
                        self.read(m.granted, m.typeahead, false, out)
                    }
                    MenuChoice::Check if !m.granted.cid_groups.is_empty() => {
                        let c = Checking {
                            granted: m.granted,
                            typeahead: m.typeahead,
                            index: 0,
                            input: self.grammars.check.input(),
                            wrong: 0,
                            retries: Retries::default(),
                        };
                        self.ask_check(c, Plan::new(), out)
                    }
                    MenuChoice::Check => self.menu_again(m.granted, m.typeahead, out),
                    MenuChoice::Repeat | MenuChoice::Finish => self.closing(
                        m.granted.record(),
                        Plan::prompt(Prompt::Activated).then(Plan::prompt(Prompt::Goodbye)),
                        Then::HangUp,
                        out,
                    ),
                    MenuChoice::Agent => self.closing(
                        m.granted.record(),
                        Plan::prompt(Prompt::Transfer),
                        Then::Transfer("the caller asked for an agent after the readout".into()),
                        out,
                    ),
                }
            }
            Heard::Partial => {
                out.push(Action::StartTimer(self.config.inter_digit_timeout_ms));
                State::Menu(m)
            }
            Heard::NoMatch if agent == Heard::Partial => {
                // The key may start the agent grammar (`*` of `*0`).
                m.choice.reset();
                out.push(Action::StartTimer(self.config.inter_digit_timeout_ms));
                State::Menu(m)
            }
            Heard::NoMatch => {
                let keys = m.choice.keys().to_string();
                m.choice.reset();
                m.agent.reset();
                m.granted.retries.no_match += 1;
                let count = m.granted.retries.no_match;
                out.push(Action::Note(Note::NoMatch { keys, count }));
                if count >= self.config.max_no_match {
                    return self.closing(
                        m.granted.record(),
                        Plan::prompt(Prompt::Goodbye),
                        Then::HangUp,
                        out,
                    );
                }
                self.play(
                    out,
                    "repeat_menu",
                    Plan::prompt(Prompt::NoMatch).then(Plan::prompt(Prompt::RepeatMenu)),
                );
                State::Menu(m)
            }
        }
    }

    /// Asks for the group the check is at, after `lead` (what was said
    /// of the group before): "Please enter the | third group | of your
    /// confirmation ID, as you wrote it."
    fn ask_check(&mut self, mut c: Checking, lead: Plan, out: &mut Vec<Action>) -> State {
        c.input.reset();
        let n = c.index + 1;
        let mut plan = lead;
        if let Some(label) = actline_voice::UnitId::group(n) {
            plan = plan
                .unit(actline_voice::UnitId::prompt(Prompt::EnterGroup))
                .unit(label)
                .unit(actline_voice::UnitId::prompt(Prompt::CheckGroupEnd));
        }
        self.play(out, &format!("check_group_{n}"), plan);
        State::Checking(c)
    }

    /// A key of the read-back check (playback already stopped).
    fn check_key(&mut self, mut c: Checking, k: char, out: &mut Vec<Action>) -> State {
        let expected = c.granted.cid_groups[c.index].len();
        match c.input.push(k) {
            Heard::Match {
                choice: CheckInput::Group,
                ..
            } if c.input.keys().len() >= expected => {
                let typed = c.input.keys().to_string();
                self.checked(c, typed, out)
            }
            Heard::Match {
                choice: CheckInput::Group,
                ..
            }
            | Heard::Partial => {
                out.push(Action::StartTimer(self.config.inter_digit_timeout_ms));
                State::Checking(c)
            }
            Heard::Match {
                choice: CheckInput::Restart,
                ..
            } => {
                out.push(Action::Note(Note::GroupRestarted { group: c.index + 1 }));
                self.ask_check(c, Plan::new(), out)
            }
            Heard::Match {
                choice: CheckInput::Stop,
                ..
            } => self.menu_again(c.granted, c.typeahead, out),
            Heard::NoMatch => {
                let keys = c.input.keys().to_string();
                c.retries.no_match += 1;
                let count = c.retries.no_match;
                out.push(Action::Note(Note::NoMatch { keys, count }));
                if count >= self.config.max_no_match {
                    return self.menu_again(c.granted, c.typeahead, out);
                }
                self.ask_check(c, Plan::prompt(Prompt::NoMatch), out)
            }
        }
    }

    /// The caller keyed `typed` for the group the check is at: right, the
    /// next group (or the menu after the last); wrong, the group is read
    /// again and asked for again, up to [`FlowConfig::max_no_match`] times.
    fn checked(&mut self, mut c: Checking, typed: String, out: &mut Vec<Action>) -> State {
        let n = c.index + 1;
        let digits = c.granted.cid_groups[c.index].clone();
        let right = typed == digits;
        out.push(Action::Note(Note::ReadBack {
            group: n,
            typed,
            right,
        }));
        let next = if right {
            Plan::prompt(Prompt::CheckRight)
        } else {
            c.wrong += 1;
            let group = actline_voice::readout_group(n, &digits)
                .unwrap_or_else(|_| Plan::prompt(Prompt::ReasonOther));
            let said = Plan::prompt(Prompt::CheckWrong).then(group);
            if c.wrong < self.config.max_no_match {
                return self.ask_check(c, said, out);
            }
            said
        };
        c.index += 1;
        c.wrong = 0;
        if c.index >= c.granted.cid_groups.len() {
            let m = self.menu(c.granted, c.typeahead);
            self.play(
                out,
                "check_done",
                next.then(Plan::prompt(Prompt::CheckDone))
                    .then(Plan::prompt(Prompt::RepeatMenu)),
            );
            return State::Menu(m);
        }
        self.ask_check(c, next, out)
    }

    /// No key, or the rest of a group, came in time.
    fn check_timeout(&mut self, mut c: Checking, out: &mut Vec<Action>) -> State {
        if !c.input.keys().is_empty() {
            // Fewer digits than the group has: compared as keyed.
            let typed = c.input.keys().to_string();
            return self.checked(c, typed, out);
        }
        c.retries.no_input += 1;
        let count = c.retries.no_input;
        out.push(Action::Note(Note::NoInput { count }));
        if count >= self.config.max_no_input {
            return self.menu_again(c.granted, c.typeahead, out);
        }
        self.ask_check(c, Plan::prompt(Prompt::NoInput), out)
    }

    fn menu_timeout(&mut self, mut m: Menu, out: &mut Vec<Action>) -> State {
        m.choice.reset();
        m.agent.reset();
        m.granted.retries.no_input += 1;
        let count = m.granted.retries.no_input;
        out.push(Action::Note(Note::NoInput { count }));
        if count >= self.config.max_no_input {
            return self.closing(
                m.granted.record(),
                Plan::prompt(Prompt::Goodbye),
                Then::HangUp,
                out,
            );
        }
        self.play(
            out,
            "repeat_menu",
            Plan::prompt(Prompt::NoInput).then(Plan::prompt(Prompt::RepeatMenu)),
        );
        State::Menu(m)
    }
}

/// A refused event: the state, given back unchanged, and the error. Boxed,
/// as refusals are rare and states are large.
type Refused = Box<(State, Unexpected)>;

/// `e` came in state `s`, which does not expect it: `s` goes back unchanged.
fn unexpected(s: State, e: &Event) -> Refused {
    let (state, expected) = s.describe();
    Box::new((
        s,
        Unexpected {
            event: e.describe(),
            state,
            expected,
            detail: "",
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actline_formats::fingerprint::HardwareHash;
    use actline_formats::keys::{KeyKind, ProductKey};

    fn flow() -> Flow {
        with(Grammars::builtin().unwrap())
    }

    fn with(grammars: Grammars) -> Flow {
        Flow::new(FlowConfig::default(), &grammars)
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
        s.chars()
            .flat_map(|c| f.handle(Event::Key(c)).unwrap())
            .collect()
    }

    /// Plays the welcome to its end; the flow is then collecting group 1.
    fn answered() -> Flow {
        answer(flow())
    }

    fn answer(mut f: Flow) -> Flow {
        assert_eq!(
            names(&f.handle(Event::Start).unwrap()),
            ["cancel", "play welcome"]
        );
        assert_eq!(
            names(&f.handle(Event::PromptEnded).unwrap()),
            ["cancel", "play enter_group 1"]
        );
        assert_eq!(
            names(&f.handle(Event::PromptEnded).unwrap()),
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
        f.handle(Event::Start).unwrap();
        let n = names(
            &f.handle(Event::Key(groups()[0].chars().next().unwrap()))
                .unwrap(),
        );
        assert_eq!(&n[..3], ["note digit", "stop", "note barge_in"]);
        let rest: String = groups()[0].chars().skip(1).collect();
        assert!(names(&keys(&mut f, &rest)).contains(&"note group_accepted".to_string()));
    }

    #[test]
    fn a_site_hosts_id_starting_with_9_is_asked_for_in_14_groups() {
        let host = InstallationId::new_host(
            301,
            &ProductKey::issue(b"k", KeyKind::SiteHost, 6),
            HardwareHash::numbered(3),
            2500,
            b"the host's public key",
        );
        let groups: Vec<String> = host.to_string().split('-').map(str::to_string).collect();
        assert_eq!(groups.len(), 14);
        let mut f = answered();
        let n = names(&keys(&mut f, &groups[..10].concat()));
        assert_eq!(n.last().unwrap(), "play enter_group 11", "{n:?}");
        let n = names(&keys(&mut f, &groups[10..].concat()));
        assert!(
            n.ends_with(&["play checking".into(), "decide".into()]),
            "{n:?}"
        );
        match f.state {
            State::Deciding(ref d) => assert_eq!(d.iid, host),
            _ => panic!("deciding"),
        }
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
        assert!(f.handle(Event::Key('2')).unwrap().len() == 1);
        let d = CallDecision {
            granted: true,
            confirmation_id: Some("123456-123456".into()),
            reasons: vec!["ok".into()],
            short_reason: None,
        };
        let n = names(&f.handle(Event::Decision(d)).unwrap());
        assert_eq!(
            n,
            [
                "note decision",
                "note confirmation_id_read",
                "cancel",
                "play confirmation_id"
            ]
        );
        f.handle(Event::PromptEnded).unwrap(); // checking ended (ignored while reading)
                                               // The hint and "Your confirmation ID is" ended; then each group is a
                                               // prompt of its own, and the menu follows the last.
        let n = names(&f.handle(Event::PromptEnded).unwrap());
        assert_eq!(n, ["cancel", "play cid_group_1"]);
        let n = names(&f.handle(Event::PromptEnded).unwrap());
        assert_eq!(n, ["cancel", "play cid_group_2"]);
        let n = names(&f.handle(Event::PromptEnded).unwrap());
        assert_eq!(n, ["cancel", "play repeat_menu"]);
        // The type-ahead '2' answers the menu: finish.
        let n = names(&f.handle(Event::PromptEnded).unwrap());
        assert_eq!(n, ["cancel", "play closing"]);
        assert_eq!(names(&f.handle(Event::PromptEnded).unwrap()), ["hangup"]);
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
            names(&f.handle(Event::Decision(d)).unwrap()),
            ["note decision", "cancel", "play closing"]
        );
        assert!(
            f.handle(Event::PromptEnded).unwrap().is_empty(),
            "\"checking\" ends; the reason is still playing"
        );
        let n = names(&f.handle(Event::PromptEnded).unwrap());
        assert_eq!(n, ["transfer: the activation was denied"]);
        assert_eq!(f.outcome(), Some(Outcome::Denied));
    }

    #[test]
    fn hash_reaches_an_agent_during_entry_with_the_groups_so_far() {
        let mut f = answered();
        keys(&mut f, &groups()[0]);
        keys(&mut f, "#");
        let a = f.handle(Event::PromptEnded).unwrap();
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
            names(&f.handle(Event::Timeout).unwrap()),
            ["note no_input", "cancel", "play enter_group 1"]
        );
        f.handle(Event::PromptEnded).unwrap();
        f.handle(Event::Timeout).unwrap();
        f.handle(Event::PromptEnded).unwrap();
        let n = names(&f.handle(Event::Timeout).unwrap());
        assert_eq!(n, ["note no_input", "cancel", "play closing"]);
        assert_eq!(
            names(&f.handle(Event::PromptEnded).unwrap()),
            ["transfer: no input"]
        );
    }

    #[test]
    fn an_incomplete_group_times_out_as_a_no_match() {
        let mut f = answered();
        keys(&mut f, "12");
        let n = names(&f.handle(Event::Timeout).unwrap());
        assert!(n.contains(&"note group_refused".to_string()), "{n:?}");
    }

    #[test]
    fn hanging_up_mid_group_abandons_the_call() {
        let mut f = answered();
        keys(&mut f, "123");
        f.handle(Event::HangUp).unwrap();
        assert!(f.is_done());
        assert_eq!(f.outcome(), Some(Outcome::Abandoned));
    }

    fn grant() -> CallDecision {
        CallDecision {
            granted: true,
            confirmation_id: Some("123456-123456".into()),
            reasons: vec!["ok".into()],
            short_reason: None,
        }
    }

    /// Through the readout to the menu, whose prompt is playing.
    fn at_menu(f: Flow) -> Flow {
        let mut f = answer(f);
        keys(&mut f, &groups().concat());
        f.handle(Event::Decision(grant())).unwrap();
        f.handle(Event::PromptEnded).unwrap(); // "checking"
        f.handle(Event::PromptEnded).unwrap(); // the readout's intro
        f.handle(Event::PromptEnded).unwrap(); // group 1
        let n = names(&f.handle(Event::PromptEnded).unwrap()); // group 2
        assert_eq!(n, ["cancel", "play repeat_menu"]);
        f
    }

    fn builtin_with(file: GrammarFile, src: &str) -> Grammars {
        let mut g = Grammars::builtin().unwrap();
        g.replace(file, src, "vendor.gram").unwrap();
        g
    }

    #[test]
    fn the_menu_acts_on_the_tags_so_swapped_keys_swap_the_menu() {
        let shipped = GrammarFile::CidMenu.builtin();
        let swapped = shipped
            .replace(r#"1 {out="repeat"}"#, r#"2 {out="repeat"}"#)
            .replace(r#"2 {out="finish"}"#, r#"1 {out="finish"}"#);
        assert_ne!(swapped, shipped);
        let read_again = |a: &[Action]| names(a).contains(&"note confirmation_id_read".to_string());

        // Shipped: 1 repeats, 2 finishes.
        assert!(read_again(&keys(&mut at_menu(flow()), "1")));
        assert!(!read_again(&keys(&mut at_menu(flow()), "2")));

        // Swapped: 2 repeats, 1 finishes.
        let g = builtin_with(GrammarFile::CidMenu, &swapped);
        assert!(read_again(&keys(&mut at_menu(with(g.clone())), "2")));
        let mut f = at_menu(with(g));
        let a = keys(&mut f, "1");
        assert!(!read_again(&a), "{:?}", names(&a));
        assert_eq!(names(&a).last().unwrap(), "play closing");
        assert_eq!(names(&f.handle(Event::PromptEnded).unwrap()), ["hangup"]);
        assert_eq!(f.outcome(), Some(Outcome::Activated));
    }

    #[test]
    fn group_keys_come_from_the_tags_too() {
        // A vendor swaps restart and agent: "#" restarts, "*" asks for an agent.
        let remapped = GrammarFile::IidGroup
            .builtin()
            .replace(r#""*" {out="restart"}"#, "@RESTART@")
            .replace(r##""#" {out="agent"}"##, r#""*" {out="agent"}"#)
            .replace("@RESTART@", r##""#" {out="restart"}"##);
        let mut f = answer(with(builtin_with(GrammarFile::IidGroup, &remapped)));
        let n = names(&keys(&mut f, "123#"));
        assert!(n.contains(&"note group_restarted".to_string()), "{n:?}");
        assert!(names(&keys(&mut f, &groups()[0])).contains(&"note group_accepted".to_string()));
        let n = names(&keys(&mut f, "*"));
        assert_eq!(n.last().unwrap(), "play closing");
        assert_eq!(
            names(&f.handle(Event::PromptEnded).unwrap()),
            ["transfer: the caller asked for an agent"]
        );
    }

    #[test]
    fn a_grammar_lacking_a_tag_is_refused_at_load_naming_file_and_tag() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cid_menu.gram");
        std::fs::write(
            &path,
            "#ABNF 1.0;\nmode dtmf;\nroot $m;\npublic $m = 1 {out=\"repeat\"} | 2 {out=\"finish\"} | 3 {out=\"check\"};\n",
        )
        .unwrap();
        let e = Grammars::load(dir.path()).unwrap_err().to_string();
        assert_eq!(
            e,
            format!(
                "{}: no match carries the tag \"agent\" \
                 (the grammar must give each of \"repeat\", \"finish\", \"check\", \"agent\")",
                path.display()
            )
        );
        // A key without a tag, or a tag the flow does not know, is refused too.
        std::fs::write(
            &path,
            "#ABNF 1.0;\nmode dtmf;\nroot $m;\n\
             public $m = 1 {repeat} | 2 {finish} | 3 {check} | 0 {agent} | 9 {help} ;\n",
        )
        .unwrap();
        let e = Grammars::load(dir.path()).unwrap_err().to_string();
        assert!(e.contains("keys 9 match with the tag \"help\""), "{e}");
        std::fs::write(
            &path,
            "#ABNF 1.0;\nmode dtmf;\nroot $m;\npublic $m = 1 {repeat} | 2 {finish} | 3 {check} | 0;\n",
        )
        .unwrap();
        let e = Grammars::load(dir.path()).unwrap_err().to_string();
        assert!(e.contains("keys 0 match with no tag"), "{e}");
    }

    #[test]
    fn an_override_directory_borrows_missing_files_from_the_built_in_set() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("agent.gram"), GrammarFile::Agent.builtin()).unwrap();
        let (g, notes) = Grammars::load(dir.path()).unwrap();
        assert_eq!(notes.len(), 4, "{notes:?}");
        assert!(notes[0].ends_with("no iid_group.gram, using the built-in one"));
        assert!(g
            .grammar(GrammarFile::Agent)
            .name()
            .starts_with(&*dir.path().to_string_lossy()));
        assert!(g
            .grammar(GrammarFile::CidMenu)
            .name()
            .contains("(built in)"));
        let missing = dir.path().join("nope");
        let e = Grammars::load(&missing).unwrap_err().to_string();
        assert!(e.starts_with(&missing.display().to_string()), "{e}");
        for f in GrammarFile::ALL {
            assert_eq!(
                Grammars::builtin().unwrap().grammar(f).tags().len(),
                f.tags().len()
            );
        }
    }

    #[test]
    fn unexpected_events_are_refused_naming_what_was_expected_and_change_nothing() {
        let mut f = flow();
        let e = f.handle(Event::Key('1')).unwrap_err();
        assert_eq!(
            e.to_string(),
            "unexpected key before the call is answered; \
             expected the start of the call or a hang-up"
        );
        f.handle(Event::Start).unwrap();
        let e = f.handle(Event::Start).unwrap_err();
        assert_eq!(
            e.to_string(),
            "unexpected start of the call during the welcome; \
             expected a key, the end of a prompt or a hang-up"
        );
        assert_eq!(f.handle(Event::Timeout).unwrap_err().event, "timeout");
        assert_eq!(
            f.handle(Event::Decision(grant())).unwrap_err().event,
            "decision"
        );
        // Nothing changed: the welcome ends as usual.
        assert_eq!(
            names(&f.handle(Event::PromptEnded).unwrap()),
            ["cancel", "play enter_group 1"]
        );
        assert_eq!(
            names(&f.handle(Event::PromptEnded).unwrap()),
            ["timer 10000"]
        );
        let e = f.handle(Event::PromptEnded).unwrap_err();
        assert_eq!(
            e.to_string(),
            "unexpected end of a prompt while a group is being entered, with nothing playing; \
             expected a key, the end of a prompt, a timeout or a hang-up"
        );
        assert!(f.handle(Event::Decision(grant())).is_err());
        assert!(names(&keys(&mut f, &groups()[0])).contains(&"note group_accepted".to_string()));
        f.handle(Event::HangUp).unwrap();
        assert_eq!(f.outcome(), Some(Outcome::Abandoned));
        for ev in [Event::Start, Event::Key('1'), Event::Timeout, Event::HangUp] {
            let e = f.handle(ev).unwrap_err();
            assert_eq!(e.state, "after the call ended");
            assert_eq!(e.expected, "nothing");
        }
        assert_eq!(f.outcome(), Some(Outcome::Abandoned));
    }

    /// One flow in each state, with what each of the six events gives there
    /// ('o' handled, 'e' refused as unexpected), in the order Start, Key,
    /// PromptEnded, Timeout, Decision, HangUp.
    fn every_state() -> Vec<(&'static str, Flow, &'static str)> {
        let idle = flow();
        let mut welcome = flow();
        welcome.handle(Event::Start).unwrap();
        let collecting = answered();
        let mut deciding = answered();
        keys(&mut deciding, &groups().concat());
        let mut reading = deciding.clone();
        reading.handle(Event::Decision(grant())).unwrap();
        let menu = at_menu(flow());
        let mut closing = menu.clone();
        keys(&mut closing, "2");
        let mut done = closing.clone();
        done.handle(Event::PromptEnded).unwrap();
        let mut checking = menu.clone();
        keys(&mut checking, "3");
        vec![
            ("idle", idle, "oeeeeo"),
            ("welcome", welcome, "eooeeo"),
            // The group prompt has ended: nothing is playing.
            ("collecting", collecting, "eoeoeo"),
            ("deciding", deciding, "eooeoo"),
            ("reading", reading, "eoooeo"),
            ("menu", menu, "eoooeo"),
            ("checking", checking, "eoooeo"),
            ("closing", closing, "eooeeo"),
            ("done", done, "eeeeee"),
        ]
    }

    #[test]
    fn every_event_in_every_state_is_handled_or_refused_as_the_table_says() {
        for (name, f, table) in every_state() {
            let events = [
                Event::Start,
                Event::Key('5'),
                Event::PromptEnded,
                Event::Timeout,
                Event::Decision(grant()),
                Event::HangUp,
            ];
            for (ev, want) in events.into_iter().zip(table.chars()) {
                let mut g = f.clone();
                let before = format!("{:?}", g.state);
                let label = format!("{name} + {ev:?}");
                match g.handle(ev) {
                    Ok(_) => assert_eq!(want, 'o', "{label} was handled"),
                    Err(e) => {
                        assert_eq!(want, 'e', "{label}: {e}");
                        assert_eq!(
                            format!("{:?}", g.state),
                            before,
                            "{label} changed the state"
                        );
                    }
                }
            }
        }
    }

    /// The transcript notes among `actions`, as JSON.
    fn notes_of(actions: &[Action]) -> Vec<serde_json::Value> {
        actions
            .iter()
            .filter_map(|a| match a {
                Action::Note(n) => Some(serde_json::to_value(n).unwrap()),
                _ => None,
            })
            .collect()
    }

    /// A flow reading a three-group confirmation ID, at group `at` (1-based).
    fn reading_three_groups(at: usize) -> Flow {
        let mut f = answered();
        keys(&mut f, &groups().concat());
        let mut d = grant();
        d.confirmation_id = Some("111111-222222-333333".into());
        f.handle(Event::Decision(d)).unwrap();
        f.handle(Event::PromptEnded).unwrap(); // "checking"
        for n in 1..=at {
            let played = names(&f.handle(Event::PromptEnded).unwrap());
            assert_eq!(
                played,
                ["cancel".to_string(), format!("play cid_group_{n}")]
            );
        }
        f
    }

    /// What a key during the readout does: (actions' names, the control noted).
    fn control(f: &mut Flow, key: char) -> (Vec<String>, serde_json::Value) {
        let actions = f.handle(Event::Key(key)).unwrap();
        let noted = notes_of(&actions)
            .into_iter()
            .find(|n| n["event"] == "readout_control")
            .unwrap_or_default();
        (names(&actions), noted)
    }

    #[test]
    fn during_the_readout_1_repeats_the_group_4_goes_back_and_7_starts_over() {
        let mut f = reading_three_groups(2);
        let (n, c) = control(&mut f, '1');
        assert_eq!(
            n,
            [
                "note digit",
                "stop",
                "note barge_in",
                "note readout_control",
                "cancel",
                "play cid_group_2"
            ]
        );
        assert_eq!(
            (c["control"].as_str(), c["group"].as_u64()),
            (Some("repeat_group"), Some(2))
        );
        let (n, c) = control(&mut f, '4');
        assert_eq!(n.last().unwrap(), "play cid_group_1");
        assert_eq!(
            (c["control"].as_str(), c["group"].as_u64()),
            (Some("back"), Some(1))
        );
        // Back from the first group stays at the first.
        let (n, _) = control(&mut f, '4');
        assert_eq!(n.last().unwrap(), "play cid_group_1");
        // The place is kept: the readout goes on from there.
        assert_eq!(
            names(&f.handle(Event::PromptEnded).unwrap()),
            ["cancel", "play cid_group_2"]
        );
        assert_eq!(
            names(&f.handle(Event::PromptEnded).unwrap()),
            ["cancel", "play cid_group_3"]
        );
        let (n, c) = control(&mut f, '7');
        assert_eq!(n.last().unwrap(), "play cid_group_1");
        assert_eq!(c["control"], "start_over");
        for g in 2..=3 {
            assert_eq!(
                names(&f.handle(Event::PromptEnded).unwrap())
                    .last()
                    .unwrap(),
                &format!("play cid_group_{g}")
            );
        }
        assert_eq!(
            names(&f.handle(Event::PromptEnded).unwrap()),
            ["cancel", "play repeat_menu"]
        );
    }

    #[test]
    fn during_the_readout_2_pauses_until_2_again_or_the_pause_timeout() {
        let mut f = reading_three_groups(2);
        let (n, c) = control(&mut f, '2');
        assert_eq!(n.last().unwrap(), "play paused");
        assert_eq!(c["control"], "pause");
        // "Paused. Press 2 to go on." ends: the pause waits, two minutes.
        assert_eq!(
            names(&f.handle(Event::PromptEnded).unwrap()),
            ["timer 120000"]
        );
        let (n, c) = control(&mut f, '2');
        assert_eq!(
            n.last().unwrap(),
            "play cid_group_2",
            "the group it stopped at"
        );
        assert_eq!(
            (c["control"].as_str(), c["group"].as_u64()),
            (Some("resume"), Some(2))
        );
        // Paused again, and nobody presses anything: it goes on by itself.
        control(&mut f, '2');
        f.handle(Event::PromptEnded).unwrap();
        let actions = f.handle(Event::Timeout).unwrap();
        assert_eq!(names(&actions).last().unwrap(), "play cid_group_2");
        assert_eq!(notes_of(&actions)[0]["control"], "resume");
        // Another control while paused ends the pause and does its own thing.
        control(&mut f, '2');
        let (n, c) = control(&mut f, '4');
        assert_eq!(n.last().unwrap(), "play cid_group_1");
        assert_eq!(c["control"], "back");
    }

    #[test]
    fn during_the_readout_hash_goes_to_the_menu_0_to_an_agent_and_other_keys_read_on() {
        let mut f = reading_three_groups(1);
        let (n, _) = control(&mut f, '9');
        assert_eq!(
            n.last().unwrap(),
            "play cid_group_1",
            "a key that means nothing: read on"
        );
        let (n, c) = control(&mut f, '#');
        assert_eq!(n.last().unwrap(), "play repeat_menu");
        assert_eq!(c["control"], "menu");
        let mut f = reading_three_groups(3);
        let n = names(&f.handle(Event::Key('0')).unwrap());
        assert_eq!(n.last().unwrap(), "play closing");
        let n = names(&f.handle(Event::PromptEnded).unwrap());
        assert_eq!(
            n,
            ["transfer: the caller asked for an agent during the readout"]
        );
        assert_eq!(f.outcome(), Some(Outcome::Activated));
    }

    #[test]
    fn the_read_back_check_confirms_a_right_group_and_reads_a_wrong_one_again() {
        let mut f = at_menu(flow()); // "123456-123456"
        assert_eq!(
            names(&f.handle(Event::PromptEnded).unwrap()),
            ["timer 10000"]
        );
        let n = names(&f.handle(Event::Key('3')).unwrap());
        assert_eq!(n, ["note digit", "cancel", "play check_group_1"]);
        assert_eq!(
            names(&f.handle(Event::PromptEnded).unwrap()),
            ["timer 10000"]
        );
        // Right: "Right." and the next group is asked for.
        let actions = keys(&mut f, "123456");
        let back: Vec<_> = notes_of(&actions)
            .into_iter()
            .filter(|n| n["event"] == "read_back")
            .collect();
        assert_eq!(back.len(), 1);
        assert_eq!(
            (
                back[0]["group"].as_u64(),
                back[0]["typed"].as_str(),
                back[0]["right"].as_bool()
            ),
            (Some(1), Some("123456"), Some(true))
        );
        assert_eq!(names(&actions).last().unwrap(), "play check_group_2");
        f.handle(Event::PromptEnded).unwrap();
        // Wrong: the group is read again and asked for again.
        let actions = keys(&mut f, "123465");
        let back = notes_of(&actions)
            .into_iter()
            .find(|n| n["event"] == "read_back")
            .unwrap();
        assert_eq!(
            (back["group"].as_u64(), back["right"].as_bool()),
            (Some(2), Some(false))
        );
        let Some(Action::Play { name, plan }) = actions.last() else {
            panic!("{actions:?}")
        };
        assert_eq!(name, "check_group_2");
        let said = plan.to_string();
        assert!(said.starts_with("check_wrong group_2"), "{said}");
        assert!(said.contains("digit_6"), "{said}");
        f.handle(Event::PromptEnded).unwrap();
        // Right the second time: the last group, then the menu again.
        let actions = keys(&mut f, "123456");
        assert_eq!(names(&actions).last().unwrap(), "play check_done");
        f.handle(Event::PromptEnded).unwrap();
        keys(&mut f, "2");
        f.handle(Event::PromptEnded).unwrap();
        assert_eq!(f.outcome(), Some(Outcome::Activated));
    }

    #[test]
    fn the_read_back_check_stops_on_hash_and_gives_up_a_group_after_three_wrong_tries() {
        let mut f = at_menu(flow());
        keys(&mut f, "3");
        f.handle(Event::PromptEnded).unwrap();
        let n = names(&keys(&mut f, "12#"));
        assert_eq!(n.last().unwrap(), "play repeat_menu");
        keys(&mut f, "3");
        for _ in 0..2 {
            f.handle(Event::PromptEnded).unwrap();
            assert_eq!(
                names(&keys(&mut f, "999999")).last().unwrap(),
                "play check_group_1"
            );
        }
        f.handle(Event::PromptEnded).unwrap();
        // The third wrong try: read once more, and on to the next group.
        let actions = keys(&mut f, "999999");
        let Some(Action::Play { name, plan }) = actions.last() else {
            panic!()
        };
        assert_eq!(name, "check_group_2");
        assert!(
            plan.to_string().starts_with("check_wrong group_1"),
            "{plan}"
        );
        // Fewer digits than the group, then silence: compared as keyed.
        f.handle(Event::PromptEnded).unwrap();
        keys(&mut f, "12345");
        let actions = f.handle(Event::Timeout).unwrap();
        let back = notes_of(&actions)
            .into_iter()
            .find(|n| n["event"] == "read_back")
            .unwrap();
        assert_eq!(
            (back["typed"].as_str(), back["right"].as_bool()),
            (Some("12345"), Some(false))
        );
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        #[derive(Clone, Debug)]
        enum Op {
            Event(Event),
            /// Type the next group of a valid ID.
            NextGroup,
        }

        fn op() -> impl Strategy<Value = Op> {
            let deny = CallDecision {
                granted: false,
                confirmation_id: None,
                reasons: vec!["no".into()],
                short_reason: Some(Prompt::ReasonSeats),
            };
            prop_oneof![
                1 => Just(Op::Event(Event::Start)),
                6 => proptest::sample::select("0123456789*#".chars().collect::<Vec<_>>())
                    .prop_map(|k| Op::Event(Event::Key(k))),
                4 => Just(Op::Event(Event::PromptEnded)),
                2 => Just(Op::Event(Event::Timeout)),
                1 => Just(Op::Event(Event::Decision(grant()))),
                1 => Just(Op::Event(Event::Decision(deny))),
                1 => Just(Op::Event(Event::HangUp)),
                4 => Just(Op::NextGroup),
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(200))]

            /// Whatever a runner sends: no panic; a refused event changes
            /// nothing; an outcome exactly when done; after the end every
            /// event is refused.
            #[test]
            fn any_event_sequence_keeps_the_flow_consistent(
                ops in proptest::collection::vec(op(), 0..250)
            ) {
                let mut f = flow();
                let all = groups();
                for op in ops {
                    let events = match op {
                        Op::Event(e) => vec![e],
                        Op::NextGroup => all
                            .get(f.groups().len())
                            .map(|g| g.chars().map(Event::Key).collect())
                            .unwrap_or_default(),
                    };
                    for e in events {
                        let was_done = f.is_done();
                        let before = format!("{:?}", f.state);
                        match f.handle(e) {
                            Ok(_) => prop_assert!(!was_done),
                            Err(_) => prop_assert_eq!(format!("{:?}", f.state), before),
                        }
                        prop_assert_eq!(f.outcome().is_some(), f.is_done());
                        prop_assert!(f.groups().len() <= all.len());
                    }
                }
            }
        }
    }
}
