//! The desk's messages: what components say ([`Msg`]), split into pure UI
//! changes ([`Ui`]), domain intents ([`Intent`]) and the domain's answers
//! ([`Reply`]); the component ids; and the events that enter through ports.
//!
//! Every type here is plain data (`Clone + Eq`), so replies can travel from
//! the worker thread through a tui-realm port as user events.

use super::view_model::{
    AgreementDetailView, AuditRow, CallView, DecisionView, Hit, KeyDetailView, PreviewView,
    SessionInfo,
};

/// Component ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Id {
    /// Listens for the global keys (F-keys, quit) and for port events.
    Global,
    /// The installation ID field.
    IidInput,
    /// The decision panel (confirmation ID, read-back, trace).
    Decision,
    /// The lookup screen.
    Lookup,
    /// The handed-over calls.
    Calls,
    /// The supervisor dialog.
    Dialog,
    /// The help overlay.
    Help,
}

/// The screens, in tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Screen {
    /// Installation ID in, decision and confirmation ID out (the default).
    #[default]
    Activation,
    /// Agreements, keys, customers, the audit trail.
    Lookup,
    /// Calls handed over by the IVR.
    Calls,
}

/// Events from outside the keyboard, entering through ports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeskEvent {
    /// The domain worker answered (or the IVR handed calls over).
    Reply(Reply),
}

/// A message: what a component or a port asks the desk to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Msg {
    /// A change of what is shown; no domain call.
    Ui(Ui),
    /// A request to the domain (the library): the ledger, the voice.
    Intent(Intent),
    /// The domain's answer to an intent.
    Reply(Reply),
    /// Leave the desk.
    Quit,
}

/// Supervisor actions (each goes through a dialog with a reason).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Raise (or lower) a key's activation limit.
    RaiseLimit,
    /// Release an activation's seat so a replacement machine can take it.
    MoveSeat,
    /// Issue a key under a partner-program agreement.
    IssuePartnerKey,
    /// Dismiss a waiting call with a reason (a caller who hung up): agents too.
    DismissCall,
}

impl Action {
    /// Whether only supervisors may open it.
    pub fn supervisors_only(self) -> bool {
        !matches!(self, Action::DismissCall)
    }
}

/// Read-back movement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadBack {
    /// Start at the first group (or stop when already reading back).
    Toggle,
    /// The next group.
    Next,
    /// The previous group.
    Prev,
}

/// Pure UI changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ui {
    /// Switch screens.
    Show(Screen),
    /// Show or hide the help overlay.
    ToggleHelp,
    /// Scroll the help overlay.
    HelpScroll(i16),
    /// The terminal was resized.
    Resize(u16, u16),
    /// A second passed (used to notice a ledger that stays locked).
    Tick,
    /// Reconnect, or read the screen's data again (F5).
    Refresh,

    /// A digit typed into the installation ID.
    Digit(u8),
    /// A character that is not a digit or a separator was typed.
    Refused(char),
    /// Delete the last digit.
    Backspace,
    /// Clear the installation ID and the decision (Ctrl-Z brings the digits back).
    ClearIid,
    /// Bring back the digits the last clear wiped.
    Undo,
    /// Ask for the decision (Enter).
    Submit,
    /// Text pasted into the installation ID field.
    Paste(String),
    /// Leave the decision panel for a new installation ID.
    NewEntry,
    /// Read-back of the confirmation ID.
    ReadBack(ReadBack),
    /// A digit the caller read back, typed by the agent during the read-back:
    /// the group is checked against the one read once it is complete.
    CheckDigit(u8),
    /// Scroll the decision trace.
    ScrollTrace(i16),
    /// Scroll the one-line plain confirmation ID sideways.
    ScrollPlain(i16),
    /// Put this text on the clipboard (through the terminal: OSC 52).
    Copy(String),
    /// Put the installation ID field back in focus (from the decision panel).
    FocusEntry,
    /// Move focus to the decision panel.
    FocusDecision,

    /// A character typed into the lookup query.
    LookupChar(char),
    /// Text pasted into the lookup query.
    LookupPaste(String),
    /// Delete the last query character.
    LookupBackspace,
    /// Switch between finding and the audit trail.
    LookupMode,
    /// Move the selection.
    LookupMove(i32),
    /// Open the selected hit.
    LookupOpen,
    /// Back from a detail to the list.
    LookupBack,

    /// Move the call selection.
    CallsMove(i32),
    /// Take the selected call.
    CallsTake,

    /// Open a supervisor dialog (ignored for agents).
    OpenDialog(Action),
    /// A character typed into the dialog's field.
    DialogChar(char),
    /// Text pasted into the dialog's field.
    DialogPaste(String),
    /// Delete the last character of the dialog's field.
    DialogBackspace,
    /// Next field (or the confirmation step after the last).
    DialogNext,
    /// Previous field.
    DialogPrev,
    /// Confirm the action.
    DialogConfirm,
    /// Cancel the dialog.
    DialogCancel,
}

/// Requests to the domain: thin calls into the library, carried out by the
/// [`Session`](super::session::Session).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intent {
    /// Open the ledger and the secrets.
    Connect,
    /// Read the product and key an installation ID names.
    Preview {
        /// The installation ID, grouped.
        iid: String,
    },
    /// Decide an installation ID (and record it).
    Decide {
        /// The installation ID, grouped.
        iid: String,
    },
    /// Say a confirmation ID aloud (or write it to a WAV file).
    Play {
        /// The confirmation ID, grouped.
        cid: String,
    },
    /// Find agreements, customers and keys.
    Search {
        /// Any part of a name or number.
        query: String,
    },
    /// The audit trail, filtered.
    Audit {
        /// Any part of an entry; empty for all.
        filter: String,
    },
    /// A key with its activations.
    KeyDetail {
        /// Its serial.
        serial: u64,
    },
    /// An agreement with its keys.
    AgreementDetail {
        /// Its licensing ID.
        id: String,
    },
    /// Read the waiting calls again.
    Handovers,
    /// Take a handed-over call.
    TakeCall {
        /// The handover.
        id: i64,
    },
    /// Hold the taken call longer (sent every few seconds while it is open).
    KeepCall {
        /// The handover.
        id: i64,
    },
    /// Give the taken call back to the queue, unfinished.
    ReleaseCall {
        /// The handover.
        id: i64,
    },
    /// End a call: decided, or dismissed with a reason.
    EndCall {
        /// The handover.
        id: i64,
        /// Why it is dismissed; none when it was decided.
        dismissed: Option<String>,
    },
    /// Change a key's activation limit (supervisors).
    RaiseLimit {
        /// The key, as typed: a product key or a serial.
        key: String,
        /// The new limit.
        limit: u32,
        /// Why.
        reason: String,
    },
    /// Release an activation's seat (supervisors).
    ReleaseSeat {
        /// The activation.
        activation: i64,
        /// Why.
        reason: String,
    },
    /// Issue a partner-program key (supervisors).
    IssuePartnerKey {
        /// Product name.
        product: String,
        /// Partner agreement.
        agreement: String,
        /// Activations.
        limit: u32,
        /// Why.
        reason: String,
    },
}

/// The domain's answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// The session is open.
    Connected(SessionInfo),
    /// The ledger or secrets could not be opened: shown on screen; the desk
    /// retries on F5.
    Unavailable(String),
    /// A request failed; the message says why.
    Failed {
        /// What was being done.
        what: String,
        /// Why it failed.
        error: String,
    },
    /// What an installation ID names.
    Preview(PreviewView),
    /// A decision.
    Decided(Box<DecisionView>),
    /// The confirmation ID was played or written.
    Played(String),
    /// Search hits.
    Found(Vec<Hit>),
    /// Audit rows, newest first.
    Audit(Vec<AuditRow>),
    /// A key's detail.
    Key(Box<KeyDetailView>),
    /// An agreement's detail.
    Agreement(Box<AgreementDetailView>),
    /// The waiting calls (sent whenever they change).
    Handovers(Vec<CallView>),
    /// A call was taken.
    CallTaken(CallView),
    /// The taken call is held longer.
    CallHeld(i64),
    /// A supervisor action was done.
    Done(String),
}
