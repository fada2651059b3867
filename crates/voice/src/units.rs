//! Unit ids: the fixed vocabulary every voice pack records.

use std::fmt;
use std::str::FromStr;

use crate::VoiceError;

/// Most groups an ID may have; packs record an ordinal label for each
/// (`group_1`.. `group_20`).
pub const MAX_GROUPS: usize = 20;

macro_rules! prompts {
    ($($variant:ident => $id:literal: $doc:literal,)*) => {
        /// An IVR prompt every voice pack records. Its id (see [`Prompt::id`]) is the
        /// unit id in `manifest.json` and the `--prompt` name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Prompt {
            $(#[doc = $doc] $variant,)*
        }

        /// Every prompt id the IVR call flow uses, in [`Prompt::ALL`] order. Every
        /// pack must cover each one (or borrow it from English, with a warning).
        pub const PROMPTS: &[&str] = &[$($id),*];

        impl Prompt {
            /// All prompts, in [`PROMPTS`] order.
            pub const ALL: &'static [Prompt] = &[$(Prompt::$variant),*];

            /// The prompt's id, e.g. `"your_cid_is"`.
            pub const fn id(self) -> &'static str {
                match self { $(Prompt::$variant => $id,)* }
            }
        }
    };
}

prompts! {
    Welcome => "welcome": "\"Welcome to product activation.\"",
    EnterFirstGroup => "enter_first_group": "\"Please enter the first group of your installation ID, then wait.\"",
    EnterGroup => "enter_group": "\"Please enter the\" — said before a group ordinal, see [`crate::Plan::enter_group`].",
    EnterGroupEnd => "enter_group_end": "\"of your installation ID, then wait.\" — said after the ordinal.",
    GroupInvalid => "group_invalid": "\"That group was not valid.\"",
    EnterGroupAgain => "enter_group_again": "\"Please enter that group again.\"",
    RestartHint => "restart_hint": "\"Press star to start a group again.\"",
    IdInvalid => "id_invalid": "\"The installation ID is not valid.\"",
    Checking => "checking": "\"One moment while I check your installation ID.\"",
    YourCidIs => "your_cid_is": "\"Your confirmation ID is\"",
    RepeatMenu => "repeat_menu": "\"To hear it again, press 1. To finish, press 2. To check what you wrote, press 3. For an agent, press 0.\"",
    Activated => "activated": "\"Your product is activated. Thank you.\"",
    Denied => "denied": "\"I cannot activate this product.\"",
    ReasonSeats => "reason_seats": "\"This key has no activations left.\"",
    ReasonKey => "reason_key": "\"This product key was not recognised.\"",
    ReasonProduct => "reason_product": "\"This key does not cover this product.\"",
    ReasonOther => "reason_other": "\"This key needs an agent's help.\"",
    Transfer => "transfer": "\"Transferring you to an agent. Please hold.\"",
    NoInput => "no_input": "\"Sorry, I did not hear anything.\"",
    NoMatch => "no_match": "\"Sorry, I did not understand.\"",
    TooManyErrors => "too_many_errors": "\"Let me transfer you to an agent.\"",
    Goodbye => "goodbye": "\"Goodbye.\"",
    AgentCallback => "agent_callback": "\"No agent can take your call right now. An agent will call you back. Goodbye.\" — the line, when a transfer cannot be made.",
    ReadoutHint => "readout_hint": "\"While I read, press 1 to repeat a group, 4 to go back one group, 2 to pause, 7 to start again, or hash for the menu.\" — before the confirmation ID.",
    Paused => "paused": "\"Paused. Press 2 to go on.\"",
    CheckGroupEnd => "check_group_end": "\"of your confirmation ID, as you wrote it.\" — after `enter_group` and an ordinal, in the read-back check.",
    CheckRight => "check_right": "\"Right.\" — a group keyed back as it was read.",
    CheckWrong => "check_wrong": "\"That is not what I read. It is\" — before the group's digits, in the read-back check.",
    CheckDone => "check_done": "\"That was the last group.\"",
}

impl fmt::Display for Prompt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for Prompt {
    type Err = VoiceError;

    /// Parses a prompt id (exact, as listed in [`PROMPTS`]).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Prompt::ALL
            .iter()
            .copied()
            .find(|p| p.id() == s)
            .ok_or_else(|| VoiceError::UnknownPrompt {
                name: s.to_string(),
            })
    }
}

const GROUP_BASE: usize = 10;
const PROMPT_BASE: usize = GROUP_BASE + MAX_GROUPS;

/// Number of distinct unit ids: 10 digits, [`MAX_GROUPS`] ordinals, every prompt.
pub(crate) const UNIT_COUNT: usize = PROMPT_BASE + PROMPTS.len();

/// One recorded unit of a voice pack: a digit, a group ordinal or a prompt.
///
/// Always valid by construction (digits 0-9, groups 1..=[`MAX_GROUPS`]), so a
/// [`crate::Voice`] that loaded can render every `UnitId`. The text form
/// (`Display`/`FromStr`) is the manifest id: `digit_7`, `group_12`, `welcome`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UnitId(u8);

/// What a [`UnitId`] stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnitKind {
    /// A spoken digit 0-9.
    Digit(u8),
    /// The ordinal label of group 1..=[`MAX_GROUPS`] ("first group").
    Group(usize),
    /// An IVR prompt.
    Prompt(Prompt),
}

impl UnitId {
    /// The unit for digit `d` (0-9), or `None`.
    pub const fn digit(d: u8) -> Option<UnitId> {
        if d < 10 {
            Some(UnitId(d))
        } else {
            None
        }
    }

    /// The unit for an ASCII digit character, or `None`.
    pub const fn digit_char(c: char) -> Option<UnitId> {
        if c.is_ascii_digit() {
            UnitId::digit(c as u8 - b'0')
        } else {
            None
        }
    }

    /// The ordinal label of group `n` (1-based, up to [`MAX_GROUPS`]), or `None`.
    pub const fn group(n: usize) -> Option<UnitId> {
        if n >= 1 && n <= MAX_GROUPS {
            Some(UnitId((GROUP_BASE + n - 1) as u8))
        } else {
            None
        }
    }

    /// The unit of a prompt.
    pub const fn prompt(p: Prompt) -> UnitId {
        UnitId((PROMPT_BASE + p as usize) as u8)
    }

    /// What the unit stands for.
    pub fn kind(self) -> UnitKind {
        let i = self.0 as usize;
        if i < GROUP_BASE {
            UnitKind::Digit(self.0)
        } else if i < PROMPT_BASE {
            UnitKind::Group(i - GROUP_BASE + 1)
        } else {
            match Prompt::ALL.get(i - PROMPT_BASE) {
                Some(p) => UnitKind::Prompt(*p),
                // Unreachable by construction; map to a harmless value.
                None => UnitKind::Digit(0),
            }
        }
    }

    /// True for units every pack must record itself (digits and ordinals): a
    /// readout must be in one language. Prompts may be borrowed from English.
    pub fn is_required(self) -> bool {
        !matches!(self.kind(), UnitKind::Prompt(_))
    }

    /// Every unit id: digits, then group ordinals, then prompts.
    pub fn all() -> impl Iterator<Item = UnitId> {
        (0..UNIT_COUNT).map(|i| UnitId(i as u8))
    }

    /// Dense index in `0..UNIT_COUNT`.
    pub(crate) fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for UnitId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind() {
            UnitKind::Digit(d) => write!(f, "digit_{d}"),
            UnitKind::Group(n) => write!(f, "group_{n}"),
            UnitKind::Prompt(p) => f.write_str(p.id()),
        }
    }
}

impl fmt::Debug for UnitId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for UnitId {
    type Err = VoiceError;

    /// Parses a manifest id: `digit_0`..`digit_9`, `group_1`..`group_20`, or a prompt id.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let unknown = || VoiceError::UnknownUnit { id: s.to_string() };
        let number = |rest: &str| -> Option<usize> {
            // Canonical decimal only: no sign, no leading zero.
            if rest.is_empty()
                || rest.len() > 2
                || !rest.bytes().all(|b| b.is_ascii_digit())
                || (rest.len() > 1 && rest.starts_with('0'))
            {
                return None;
            }
            rest.parse::<usize>().ok()
        };
        // Prompt ids come first: some start with "group_" (group_invalid).
        if let Ok(p) = s.parse::<Prompt>() {
            return Ok(UnitId::prompt(p));
        }
        if let Some(rest) = s.strip_prefix("digit_") {
            let n = number(rest).ok_or_else(unknown)?;
            return u8::try_from(n)
                .ok()
                .and_then(UnitId::digit)
                .ok_or_else(unknown);
        }
        if let Some(rest) = s.strip_prefix("group_") {
            return number(rest).and_then(UnitId::group).ok_or_else(unknown);
        }
        Err(unknown())
    }
}
