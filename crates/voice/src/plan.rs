//! Utterance plans: what to say, as a pure sequence of units and pauses.

use std::fmt;

use crate::{Prompt, UnitId, VoiceError, MAX_GROUPS};

/// Longest group [`Plan::confirmation_id`] accepts, in digits.
pub const MAX_GROUP_DIGITS: usize = 32;
/// Longest digit string [`Plan::digits`] accepts.
pub const MAX_PLAIN_DIGITS: usize = 64;
/// Longest single pause a render produces, in ms at pace 1.0; longer
/// [`Step::Pause`]s are capped.
pub const MAX_PAUSE_MS: u32 = 10_000;

/// Pause between the pieces of a composite prompt ("Please enter the" |
/// "second group" | "of your installation ID, then wait.").
const JOIN_PAUSE_MS: u32 = 120;

/// One step of a [`Plan`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    /// Play a recorded unit of the voice pack.
    Unit(UnitId),
    /// Silence of this many milliseconds at pace 1.0 (the render divides it by the
    /// pace, so pace 0.5 doubles it).
    Pause(u32),
}

/// Timing and wording choices for readouts. `Default` is the telephone house style.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanOptions {
    /// Pause between two digits of a group (ms). Default 250.
    pub digit_pause_ms: u32,
    /// Pause between the last digit of a group and the next group's label (ms).
    /// Default 700.
    pub group_pause_ms: u32,
    /// Pause after a group's ordinal label, before its first digit (ms). Default 300.
    pub label_pause_ms: u32,
    /// Announce each group by ordinal ("first group"). Default true.
    pub announce_groups: bool,
    /// Start with the prompt "Your confirmation ID is". Default false.
    pub intro: bool,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            digit_pause_ms: 250,
            group_pause_ms: 700,
            label_pause_ms: 300,
            announce_groups: true,
            intro: false,
        }
    }
}

/// What to say: a sequence of [`Step`]s. Building a plan is pure (no audio, no
/// I/O), so plans can be golden-tested and built before a voice is loaded.
///
/// `Display` gives a compact form, e.g. `group_1 300ms digit_1 250ms digit_2`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    steps: Vec<Step>,
}

impl Plan {
    /// An empty plan (renders to no samples).
    pub fn new() -> Plan {
        Plan::default()
    }

    /// The steps, in order.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// True when the plan has no steps.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// Appends a step.
    pub fn push(&mut self, step: Step) {
        self.steps.push(step);
    }

    /// This plan followed by a unit.
    #[must_use]
    pub fn unit(mut self, id: UnitId) -> Plan {
        self.steps.push(Step::Unit(id));
        self
    }

    /// This plan followed by a pause of `ms` milliseconds.
    #[must_use]
    pub fn pause(mut self, ms: u32) -> Plan {
        self.steps.push(Step::Pause(ms));
        self
    }

    /// This plan followed by another.
    #[must_use]
    pub fn then(mut self, other: Plan) -> Plan {
        self.steps.extend(other.steps);
        self
    }

    /// Sum of all pauses in ms at pace 1.0 (each capped at [`MAX_PAUSE_MS`]).
    pub fn total_pause_ms(&self) -> u64 {
        self.steps
            .iter()
            .map(|s| match s {
                Step::Pause(ms) => u64::from((*ms).min(MAX_PAUSE_MS)),
                Step::Unit(_) => 0,
            })
            .sum()
    }

    /// One prompt.
    pub fn prompt(prompt: Prompt) -> Plan {
        Plan::new().unit(UnitId::prompt(prompt))
    }

    /// Asks for group `n` (1-based): `enter_first_group` for the first, else
    /// `enter_group` + ordinal + `enter_group_end` ("Please enter the | second
    /// group | of your installation ID, then wait.").
    ///
    /// Errors with [`VoiceError::InvalidGroup`] unless `1 <= n <= MAX_GROUPS`.
    pub fn enter_group(n: usize) -> Result<Plan, VoiceError> {
        let label = UnitId::group(n).ok_or(VoiceError::InvalidGroup { number: n })?;
        if n == 1 {
            return Ok(Plan::prompt(Prompt::EnterFirstGroup));
        }
        Ok(Plan::prompt(Prompt::EnterGroup)
            .pause(JOIN_PAUSE_MS)
            .unit(label)
            .pause(JOIN_PAUSE_MS)
            .unit(UnitId::prompt(Prompt::EnterGroupEnd)))
    }

    /// A plain digit string read digit by digit with `opts.digit_pause_ms` between
    /// digits (no group labels). Errors with [`VoiceError::InvalidId`] on an empty
    /// string, a non-digit, or more than [`MAX_PLAIN_DIGITS`] digits.
    pub fn digits(digits: &str, opts: &PlanOptions) -> Result<Plan, VoiceError> {
        let count = digits.chars().count();
        if count > MAX_PLAIN_DIGITS {
            return Err(VoiceError::InvalidId {
                reason: format!("{count} digits is more than {MAX_PLAIN_DIGITS}"),
            });
        }
        let mut plan = Plan::new();
        push_digits(&mut plan, digits, opts, None)?;
        Ok(plan)
    }

    /// A confirmation-ID readout. For each group: its ordinal label (unless
    /// `announce_groups` is off), `label_pause_ms`, then its digits separated by
    /// `digit_pause_ms`; groups are separated by `group_pause_ms`. With `intro`,
    /// the prompt `your_cid_is` and `group_pause_ms` come first. No leading or
    /// trailing pause.
    ///
    /// Errors with [`VoiceError::InvalidId`] unless there are 1..=[`MAX_GROUPS`]
    /// groups, each of 1..=[`MAX_GROUP_DIGITS`] ASCII digits.
    pub fn confirmation_id<S: AsRef<str>>(
        groups: &[S],
        opts: &PlanOptions,
    ) -> Result<Plan, VoiceError> {
        if groups.is_empty() {
            return Err(VoiceError::InvalidId {
                reason: "no digit groups".into(),
            });
        }
        if groups.len() > MAX_GROUPS {
            return Err(VoiceError::InvalidId {
                reason: format!("{} groups is more than {MAX_GROUPS}", groups.len()),
            });
        }
        let mut plan = Plan::new();
        if opts.intro {
            plan = plan
                .unit(UnitId::prompt(Prompt::YourCidIs))
                .pause(opts.group_pause_ms);
        }
        for (i, group) in groups.iter().enumerate() {
            let group = group.as_ref();
            let n = i + 1;
            let len = group.chars().count();
            if len > MAX_GROUP_DIGITS {
                return Err(VoiceError::InvalidId {
                    reason: format!("group {n} has {len} digits, more than {MAX_GROUP_DIGITS}"),
                });
            }
            if i > 0 {
                plan.push(Step::Pause(opts.group_pause_ms));
            }
            if opts.announce_groups {
                let label = UnitId::group(n).ok_or(VoiceError::InvalidGroup { number: n })?;
                plan = plan.unit(label).pause(opts.label_pause_ms);
            }
            push_digits(&mut plan, group, opts, Some(n))?;
        }
        Ok(plan)
    }
}

fn push_digits(
    plan: &mut Plan,
    digits: &str,
    opts: &PlanOptions,
    group: Option<usize>,
) -> Result<(), VoiceError> {
    let whose = || match group {
        Some(n) => format!("group {n} '{}'", printable(digits)),
        None => format!("'{}'", printable(digits)),
    };
    if digits.is_empty() {
        return Err(VoiceError::InvalidId {
            reason: format!("{} is empty", whose()),
        });
    }
    for (k, c) in digits.chars().enumerate() {
        let unit = UnitId::digit_char(c).ok_or_else(|| VoiceError::InvalidId {
            reason: format!(
                "{} contains {}; use only digits 0-9, groups separated by '-'",
                whose(),
                describe_char(c)
            ),
        })?;
        if k > 0 {
            plan.push(Step::Pause(opts.digit_pause_ms));
        }
        plan.push(Step::Unit(unit));
    }
    Ok(())
}

/// Shows user input safely on one line (control characters escaped, long input cut).
fn printable(s: &str) -> String {
    let mut out: String = s.chars().take(40).flat_map(char::escape_default).collect();
    if s.chars().count() > 40 {
        out.push_str("...");
    }
    out
}

fn describe_char(c: char) -> String {
    if c.is_ascii_graphic() {
        format!("'{c}'")
    } else {
        format!("'{}' (U+{:04X})", c.escape_default(), c as u32)
    }
}

/// How a confirmation ID is read to a caller, by the IVR and by the agent
/// desk alike: "Your confirmation ID is", then each group announced by
/// ordinal and read digit by digit. `cid` is typed digit groups.
pub fn readout(cid: &str) -> Result<Plan, VoiceError> {
    let groups = parse_groups(cid)?;
    Plan::confirmation_id(
        &groups,
        &PlanOptions {
            intro: true,
            ..PlanOptions::default()
        },
    )
}

/// Group `n` (1-based) of a confirmation ID as the IVR reads it one group at
/// a time, so the caller can repeat it, go back or pause: its ordinal label,
/// its digits, then the pause that separates it from the next group (a key
/// in that pause is still about this group), with [`readout`]'s pauses.
pub fn readout_group(n: usize, digits: &str) -> Result<Plan, VoiceError> {
    let opts = PlanOptions::default();
    let label = UnitId::group(n).ok_or(VoiceError::InvalidGroup { number: n })?;
    let mut plan = Plan::new().unit(label).pause(opts.label_pause_ms);
    push_digits(&mut plan, digits, &opts, Some(n))?;
    Ok(plan.pause(opts.group_pause_ms))
}

/// Splits a confirmation ID as typed or printed ("123456-789012 345678") into its
/// digit groups. Groups are separated by `-` and/or whitespace; leading and
/// trailing separators are ignored, but two dashes in a row (an empty group) are
/// an error. Checks the same rules as [`Plan::confirmation_id`] and errors with
/// [`VoiceError::InvalidId`] naming the group and the offending character (e.g.
/// letters mixed with digits).
pub fn parse_groups(text: &str) -> Result<Vec<String>, VoiceError> {
    // The same reading of typed groups as installation IDs get: spaces,
    // dashes or dots, full-width digits.
    let groups: Vec<String> = actline_formats::ids::groups::read_groups(text)
        .map_err(|e| VoiceError::InvalidId {
            reason: e.to_string(),
        })?
        .iter()
        .map(|g| g.iter().map(|d| char::from(b'0' + d)).collect())
        .collect();
    // Validate counts and lengths with the plan builder's rules.
    Plan::confirmation_id(&groups, &PlanOptions::default())?;
    Ok(groups)
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.steps.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            match step {
                Step::Unit(id) => write!(f, "{id}")?,
                Step::Pause(ms) => write!(f, "{ms}ms")?,
            }
        }
        Ok(())
    }
}

impl FromIterator<Step> for Plan {
    fn from_iter<I: IntoIterator<Item = Step>>(iter: I) -> Self {
        Plan {
            steps: iter.into_iter().collect(),
        }
    }
}

impl Extend<Step> for Plan {
    fn extend<I: IntoIterator<Item = Step>>(&mut self, iter: I) {
        self.steps.extend(iter);
    }
}
