//! Supervisor actions — raise a key's limit, move a seat to a replacement
//! machine, issue a partner key — each in a dialog that asks for a reason and
//! then for confirmation. Agents never see them: the keys are not mapped, the
//! desk refuses the message, and the ledger checks the role again.

pub mod components;
pub mod update;
pub mod view;

use super::msg::Action;
use super::view_model::SessionInfo;

/// What the dialog is about, from the screen it was opened on.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Context {
    /// The key on screen.
    pub key: Option<String>,
    /// Its current limit.
    pub limit: Option<u32>,
    /// The selected seat-holding activation.
    pub activation: Option<i64>,
    /// The selected call (Calls screen).
    pub call: Option<i64>,
}

/// One field of a dialog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// Its label.
    pub label: &'static str,
    /// What was typed.
    pub value: String,
    /// Only digits are accepted.
    pub digits: bool,
    /// A line of help under it.
    pub help: String,
}

impl Field {
    fn new(
        label: &'static str,
        value: impl Into<String>,
        digits: bool,
        help: impl Into<String>,
    ) -> Self {
        Self {
            label,
            value: value.into(),
            digits,
            help: help.into(),
        }
    }
}

/// An open dialog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dialog {
    /// The action.
    pub action: Action,
    /// Its fields; the last is always the reason.
    pub fields: Vec<Field>,
    /// The field being edited.
    pub at: usize,
    /// Showing the summary, waiting for y / Enter.
    pub confirming: bool,
    /// Sent; waiting for the ledger.
    pub busy: bool,
    /// What went wrong (bad field, or the ledger refused).
    pub error: Option<String>,
    /// What was done, kept on screen until the agent closes the dialog (a
    /// partner key to read out or copy).
    pub result: Option<String>,
}

/// What the desk does after the dialog handled a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Keep the dialog open.
    Stay,
    /// Close it.
    Close,
    /// Carry out the action.
    Do(super::msg::Intent),
}

impl Dialog {
    /// Opens the dialog for `action`, prefilled from the context.
    pub fn open(action: Action, info: &SessionInfo, c: Context) -> Self {
        let reason = Field::new(
            "Reason",
            "",
            false,
            "recorded in the audit trail with your name",
        );
        let fields = match action {
            Action::RaiseLimit => vec![
                Field::new(
                    "Key",
                    c.key.unwrap_or_default(),
                    false,
                    "the product key, or its serial",
                ),
                Field::new(
                    "New limit",
                    c.limit.map(|l| (l + 1).to_string()).unwrap_or_default(),
                    true,
                    match c.limit {
                        Some(l) => format!("activations allowed; now {l}"),
                        None => "activations allowed".to_string(),
                    },
                ),
                reason,
            ],
            Action::MoveSeat => vec![
                Field::new(
                    "Activation",
                    c.activation.map(|a| a.to_string()).unwrap_or_default(),
                    true,
                    "the old machine's activation (F3 Lookup lists a key's)",
                ),
                reason,
            ],
            Action::IssuePartnerKey => vec![
                Field::new(
                    "Product",
                    info.products.first().cloned().unwrap_or_default(),
                    false,
                    format!("one of: {}", info.products.join(", ")),
                ),
                Field::new(
                    "Agreement",
                    info.partner_agreements.first().cloned().unwrap_or_default(),
                    false,
                    if info.partner_agreements.is_empty() {
                        "no partner agreement is on file".to_string()
                    } else {
                        format!("partner agreements: {}", info.partner_agreements.join(", "))
                    },
                ),
                Field::new(
                    "Activations",
                    "10",
                    true,
                    "how many machines the key activates",
                ),
                reason,
            ],
            Action::DismissCall => vec![
                Field::new(
                    "Call",
                    c.call.map(|a| a.to_string()).unwrap_or_default(),
                    true,
                    "the handover's number (F4 Calls lists them)",
                ),
                Field::new(
                    "Reason",
                    "",
                    false,
                    "why it leaves the queue (the caller hung up…); audited with your name",
                ),
            ],
        };
        Self {
            action,
            at: fields.iter().position(|f| f.value.is_empty()).unwrap_or(0),
            fields,
            confirming: false,
            busy: false,
            error: None,
            result: None,
        }
    }

    /// The dialog's title.
    pub fn title(&self) -> &'static str {
        match self.action {
            Action::RaiseLimit => "Raise a key's limit",
            Action::MoveSeat => "Move a seat to a replacement machine",
            Action::IssuePartnerKey => "Issue a partner key",
            Action::DismissCall => "Dismiss a call",
        }
    }

    /// The question asked before doing it.
    pub fn summary(&self) -> String {
        let v = |i: usize| self.fields[i].value.trim().to_string();
        let reason = self
            .fields
            .last()
            .map(|f| f.value.trim())
            .unwrap_or_default();
        match self.action {
            Action::RaiseLimit => format!(
                "Set the activation limit of key {} to {}? Reason: {reason}",
                v(0),
                v(1)
            ),
            Action::MoveSeat => format!(
                "Release the seat of activation #{} so the replacement machine can take it? Reason: {reason}",
                v(0)
            ),
            Action::IssuePartnerKey => format!(
                "Issue a partner key for {} under agreement {} with {} activations? Reason: {reason}",
                v(0),
                v(1),
                v(2)
            ),
            Action::DismissCall => format!(
                "Take call #{} off the queue for good? Reason: {reason}",
                v(0)
            ),
        }
    }
}
