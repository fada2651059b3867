//! The activation screen: the caller reads the installation ID, the agent
//! types it, the groups check as they complete, Enter decides, and on a grant
//! the confirmation ID is read back group by group.
//!
//! [`ActivationState`] is the screen's state (pure data, no terminal);
//! `update.rs` changes it, `view.rs` draws it, `components/` maps keys to
//! messages.

pub mod components;
pub mod update;
pub mod view;

use super::view_model::{CallView, DecisionView, PreviewView};
use actline_engine::ids::install::{HOST_LAYOUT, HOST_MARK, LAYOUT};
use actline_engine::ids::Layout;
use actline_engine::ids::{GroupErrorKind, IidError, InstallationId};

/// Digits in an installation ID (a site host's has [`HOST_IID_DIGITS`]).
pub const IID_DIGITS: usize = LAYOUT.groups * LAYOUT.group_len;
/// Digits in a site host's installation ID.
pub const HOST_IID_DIGITS: usize = HOST_LAYOUT.groups * HOST_LAYOUT.group_len;

/// Where the screen is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Phase {
    /// Typing the installation ID.
    #[default]
    Entry,
    /// Waiting for the decision.
    Deciding,
    /// The decision is shown.
    Decided,
}

/// One group of the installation ID as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupView {
    /// The digits typed so far (0 to 7).
    pub digits: String,
    /// `Some(true)` when complete and its check digit matches, `Some(false)`
    /// when complete and it does not, `None` while incomplete.
    pub valid: Option<bool>,
}

/// The likely correction of a single wrong digit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Correction {
    /// 1-based group.
    pub group: usize,
    /// 1-based digit within the group.
    pub position: usize,
    /// What was typed there.
    pub typed: u8,
    /// What it likely is.
    pub likely: u8,
    /// The corrected group.
    pub corrected: String,
    /// The whole corrected ID.
    pub iid: String,
}

/// The activation screen's state.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ActivationState {
    /// The digits typed, at most [`ActivationState::iid_digits`].
    pub digits: Vec<u8>,
    /// A hint after refused input.
    pub hint: Option<String>,
    /// The ID, when all its digits are in and it parses.
    pub iid: Option<String>,
    /// Why the typed digits are not an ID.
    pub error: Option<String>,
    /// The likely correction when exactly one digit is wrong.
    pub correction: Option<Correction>,
    /// What the ID names (product, version, key), once read.
    pub preview: Option<PreviewView>,
    /// Where the screen is.
    pub phase: Phase,
    /// The decision.
    pub decision: Option<DecisionView>,
    /// Read-back: the group being read (0-based).
    pub readback: Option<usize>,
    /// The read-back check: the digits the caller read back of the group
    /// being read, as the agent types them.
    pub check_typed: String,
    /// The read-back check: per group, whether the caller read it back
    /// right (`None`: not checked).
    pub checked: Vec<Option<bool>>,
    /// Trace scroll offset.
    pub scroll: u16,
    /// The handed-over call being continued.
    pub call: Option<CallView>,
    /// What playing the confirmation ID did.
    pub played: Option<String>,
    /// The decision panel has focus (read-back keys, play, supervisor keys).
    pub focus_decision: bool,
    /// The continued call was decided (and so finished).
    pub call_ended: bool,
    /// The digits the last clear wiped, for Ctrl-Z.
    pub undo: Option<Vec<u8>>,
    /// How far the one-line plain confirmation ID is scrolled (characters).
    pub plain_scroll: u16,
}

impl ActivationState {
    /// The groups as typed.
    pub fn groups(&self) -> Vec<GroupView> {
        let layout = self.layout();
        (0..layout.groups)
            .map(|g| {
                let start = g * layout.group_len;
                let end = (start + layout.group_len).min(self.digits.len());
                let slice = if start < self.digits.len() {
                    &self.digits[start..end]
                } else {
                    &[][..]
                };
                GroupView {
                    digits: slice.iter().map(|d| char::from(b'0' + d)).collect(),
                    valid: (slice.len() == layout.group_len)
                        .then(|| InstallationId::check_group(slice).is_ok()),
                }
            })
            .collect()
    }

    /// The layout being typed: a site host's 14 groups once the first
    /// group checks and starts with 9, else the usual 10.
    pub fn layout(&self) -> Layout {
        if self.is_host_id() {
            HOST_LAYOUT
        } else {
            LAYOUT
        }
    }

    /// Digits in the ID being typed.
    pub fn iid_digits(&self) -> usize {
        let l = self.layout();
        l.groups * l.group_len
    }

    /// Whether the first group, complete and checking, marks a site host's
    /// installation ID (14 groups).
    pub fn is_host_id(&self) -> bool {
        self.digits.len() >= LAYOUT.group_len
            && self.digits[0] == HOST_MARK
            && InstallationId::check_group(&self.digits[..LAYOUT.group_len]).is_ok()
    }

    /// Groups complete and valid, complete and invalid.
    pub fn bad_groups(&self) -> Vec<usize> {
        self.groups()
            .iter()
            .enumerate()
            .filter(|(_, g)| g.valid == Some(false))
            .map(|(i, _)| i + 1)
            .collect()
    }

    /// Re-reads the typed digits: when all are in, parses them; returns
    /// the ID when it parses (the desk then asks what it names).
    pub fn reparse(&mut self) -> Option<String> {
        self.iid = None;
        self.error = None;
        self.correction = None;
        if self.digits.len() < self.iid_digits() {
            self.preview = None;
            return None;
        }
        let text: String = self.digits.iter().map(|d| char::from(b'0' + d)).collect();
        match InstallationId::parse(&text) {
            Ok(id) => {
                let s = id.to_string();
                if self.preview.as_ref().is_some_and(|p| p.iid != s) {
                    self.preview = None;
                }
                self.iid = Some(s.clone());
                Some(s)
            }
            Err(IidError::Group { error, suggestion }) => {
                self.preview = None;
                self.error = Some(match error.kind {
                    GroupErrorKind::CheckDigit => {
                        let bad = self.bad_groups();
                        if bad.len() == 1 {
                            format!(
                                "group {} does not check — ask the caller to read it again",
                                bad[0]
                            )
                        } else {
                            format!(
                                "groups {} do not check — ask the caller to read them again",
                                bad.iter()
                                    .map(|g| g.to_string())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )
                        }
                    }
                    _ => error.to_string(),
                });
                self.correction = suggestion.and_then(|s| self.correction_from(&s));
                None
            }
            Err(e) => {
                self.preview = None;
                self.error = Some(e.to_string());
                None
            }
        }
    }

    fn correction_from(&self, suggestion: &str) -> Option<Correction> {
        let fixed: Vec<u8> = suggestion
            .chars()
            .filter_map(|c| c.to_digit(10).map(|d| d as u8))
            .collect();
        if fixed.len() != self.iid_digits() {
            return None;
        }
        let pos = (0..fixed.len()).find(|&i| fixed[i] != self.digits[i])?;
        let g = pos / LAYOUT.group_len;
        let start = g * LAYOUT.group_len;
        Some(Correction {
            group: g + 1,
            position: pos - start + 1,
            typed: self.digits[pos],
            likely: fixed[pos],
            corrected: fixed[start..start + LAYOUT.group_len]
                .iter()
                .map(|d| char::from(b'0' + d))
                .collect(),
            iid: suggestion.to_string(),
        })
    }

    /// The confirmation ID's group count, when there is one.
    pub fn cid_groups(&self) -> usize {
        self.decision
            .as_ref()
            .map(|d| d.cid_groups().len())
            .unwrap_or(0)
    }

    /// Forgets the ID, the decision and the continued call: the agent
    /// moves on to the next caller.
    pub fn next_caller(&mut self) {
        *self = Self::default();
    }

    /// Forgets the ID and the decision (keeps a continued call).
    pub fn clear(&mut self) {
        let call = self.call.take();
        *self = Self {
            call,
            ..Self::default()
        };
    }
}
