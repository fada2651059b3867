//! The desk's model: the state of every screen and the `update` that turns a
//! message into a new state and, maybe, the next message. No terminal here,
//! so the whole behaviour is testable with plain values; domain intents go to
//! a [`Domain`] (inline in tests, a worker thread at the desk).

use super::activation::{ActivationState, Phase};
use super::calls::CallsState;
use super::lookup::LookupState;
use super::msg::{Action, Id, Intent, Msg, Reply, Screen, Ui};
use super::session::Domain;
use super::supervisor::Dialog;
use super::view_model::SessionInfo;

/// The ledger connection as the desk sees it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Conn {
    /// Opening the ledger.
    #[default]
    Connecting,
    /// Open.
    Ready(SessionInfo),
    /// Missing, locked, damaged, or the secrets are unreadable: the message.
    Unavailable(String),
}

/// A one-line message under the screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The text.
    pub text: String,
    /// An error (red) rather than information.
    pub error: bool,
}

/// Seconds a request may take before the desk says it is waiting.
const PATIENCE_TICKS: u32 = 2;

/// Ticks (seconds) between renewals of a taken call's hold: well inside
/// the ledger's `CALL_HOLD_SECS`.
const HOLD_EVERY_TICKS: u32 = 10;

/// The desk's state.
pub struct Desk {
    /// The screen shown.
    pub screen: Screen,
    /// The help overlay is open.
    pub help: bool,
    /// How far the help is scrolled.
    pub help_scroll: u16,
    /// Terminal size.
    pub size: (u16, u16),
    /// The ledger connection.
    pub conn: Conn,
    /// The notice line.
    pub notice: Option<Notice>,
    /// Text to put on the terminal's clipboard at the next frame (OSC 52).
    pub clipboard: Option<String>,
    /// Messages to handle after the current chain (a call to give back).
    queued: Vec<Msg>,
    /// Ticks since the open call's hold was renewed.
    held_ticks: u32,
    /// Requests sent and not yet answered.
    pub pending: u32,
    /// Ticks the oldest request has waited.
    pub waited: u32,
    /// The activation screen.
    pub activation: ActivationState,
    /// The lookup screen.
    pub lookup: LookupState,
    /// The calls screen.
    pub calls: CallsState,
    /// The supervisor dialog, when open.
    pub dialog: Option<Dialog>,
    /// Leave the desk.
    pub quit: bool,
    /// Bumped on every change, so the terminal knows what to redraw.
    pub rev: u64,
    domain: Box<dyn Domain>,
}

impl Desk {
    /// A desk whose intents go to `domain`.
    pub fn new(domain: Box<dyn Domain>) -> Self {
        Self {
            screen: Screen::Activation,
            help: false,
            help_scroll: 0,
            size: (0, 0),
            conn: Conn::Connecting,
            notice: None,
            clipboard: None,
            queued: Vec::new(),
            held_ticks: 0,
            pending: 0,
            waited: 0,
            activation: ActivationState::default(),
            lookup: LookupState::default(),
            calls: CallsState::default(),
            dialog: None,
            quit: false,
            rev: 0,
            domain,
        }
    }

    /// The session, when open.
    pub fn info(&self) -> Option<&SessionInfo> {
        match &self.conn {
            Conn::Ready(i) => Some(i),
            _ => None,
        }
    }

    /// Supervisor actions are offered.
    pub fn supervisor(&self) -> bool {
        self.info().is_some_and(|i| i.supervisor)
    }

    /// The component that gets the keys.
    pub fn focus(&self) -> Id {
        if self.help {
            Id::Help
        } else if self.dialog.is_some() {
            Id::Dialog
        } else {
            match self.screen {
                Screen::Activation if self.activation.focus_decision => Id::Decision,
                Screen::Activation => Id::IidInput,
                Screen::Lookup => Id::Lookup,
                Screen::Calls => Id::Calls,
            }
        }
    }

    /// Sets the notice line.
    pub fn notify(&mut self, text: impl Into<String>, error: bool) {
        self.notice = Some(Notice {
            text: text.into(),
            error,
        });
    }

    /// Applies `msg` to the state and returns the message that follows, if
    /// any. Call it again with that message until it returns `None`
    /// ([`Desk::dispatch`] does).
    pub fn update(&mut self, msg: Msg) -> Option<Msg> {
        self.rev += 1;
        match msg {
            Msg::Quit => {
                self.quit = true;
                // A call taken and not finished goes back to the queue.
                self.open_call()
                    .map(|id| Msg::Intent(Intent::ReleaseCall { id }))
            }
            Msg::Ui(ui) => self.ui(ui),
            Msg::Intent(intent) => {
                // Background requests show no "working…".
                if !matches!(intent, Intent::Handovers | Intent::KeepCall { .. }) {
                    self.pending += 1;
                }
                self.domain.request(intent).map(Msg::Reply)
            }
            Msg::Reply(reply) => {
                if !matches!(reply, Reply::Handovers(_) | Reply::CallHeld(_)) {
                    self.pending = self.pending.saturating_sub(1);
                    self.waited = 0;
                    if self
                        .notice
                        .as_ref()
                        .is_some_and(|n| n.text.starts_with(WAITING))
                    {
                        self.notice = None;
                    }
                }
                self.reply(reply)
            }
        }
    }

    /// Runs `update` until nothing more follows.
    pub fn dispatch(&mut self, msg: Msg) {
        let mut next = Some(msg);
        loop {
            while let Some(m) = next {
                next = self.update(m);
            }
            match self.queued.pop() {
                Some(m) => next = Some(m),
                None => break,
            }
        }
    }

    /// The taken call the activation screen continues, while it is open.
    fn open_call(&self) -> Option<i64> {
        let a = &self.activation;
        a.call.as_ref().filter(|_| !a.call_ended).map(|c| c.id)
    }

    fn ui(&mut self, ui: Ui) -> Option<Msg> {
        match ui {
            Ui::Show(screen) => {
                if self.dialog.is_some() {
                    return None;
                }
                self.help = false;
                self.screen = screen;
                match screen {
                    Screen::Calls if self.info().is_some() => Some(Msg::Intent(Intent::Handovers)),
                    Screen::Lookup => self.lookup.refresh(),
                    _ => None,
                }
            }
            Ui::ToggleHelp => {
                self.help = !self.help;
                self.help_scroll = 0;
                None
            }
            Ui::HelpScroll(d) => {
                self.help_scroll = (self.help_scroll as i32 + d as i32).clamp(0, 200) as u16;
                None
            }
            Ui::Resize(w, h) => {
                self.size = (w, h);
                None
            }
            Ui::Tick => {
                if let Some(id) = self.open_call() {
                    self.held_ticks += 1;
                    if self.held_ticks >= HOLD_EVERY_TICKS {
                        self.held_ticks = 0;
                        self.queued.push(Msg::Intent(Intent::KeepCall { id }));
                    }
                }
                if self.pending > 0 {
                    self.waited += 1;
                    if self.waited >= PATIENCE_TICKS && self.notice.is_none() {
                        self.notify(
                            format!("{WAITING} (locked by another process?) — the answer will show here"),
                            true,
                        );
                    }
                } else {
                    self.waited = 0;
                    self.rev -= 1; // a quiet tick changes nothing on screen
                }
                None
            }
            Ui::Refresh => {
                if !matches!(self.conn, Conn::Ready(_)) {
                    self.conn = Conn::Connecting;
                    return Some(Msg::Intent(Intent::Connect));
                }
                match self.screen {
                    Screen::Calls => Some(Msg::Intent(Intent::Handovers)),
                    Screen::Lookup => self.lookup.refresh(),
                    Screen::Activation => None,
                }
            }
            Ui::OpenDialog(action) => {
                if action.supervisors_only() && !self.supervisor() {
                    self.notify("supervisor actions are for supervisors", true);
                    return None;
                }
                let info = self.info().cloned().unwrap_or_default();
                self.help = false;
                self.dialog = Some(Dialog::open(action, &info, self.context()));
                None
            }
            Ui::DialogChar(_)
            | Ui::DialogPaste(_)
            | Ui::DialogBackspace
            | Ui::DialogNext
            | Ui::DialogPrev
            | Ui::DialogConfirm
            | Ui::DialogCancel => {
                let dialog = self.dialog.as_mut()?;
                match dialog.update(ui) {
                    super::supervisor::Outcome::Stay => None,
                    super::supervisor::Outcome::Close => {
                        self.dialog = None;
                        None
                    }
                    super::supervisor::Outcome::Do(intent) => Some(Msg::Intent(intent)),
                }
            }
            Ui::LookupChar(_)
            | Ui::LookupPaste(_)
            | Ui::LookupBackspace
            | Ui::LookupMode
            | Ui::LookupMove(_)
            | Ui::LookupOpen
            | Ui::LookupBack => self.lookup.update(ui),
            Ui::CallsMove(_) | Ui::CallsTake => self.calls.update(ui),
            Ui::Copy(text) => {
                self.notify(
                    "the confirmation ID is on the clipboard (if the terminal lets programs set it: OSC 52)",
                    false,
                );
                self.clipboard = Some(text);
                None
            }
            other => {
                if matches!(other, Ui::ClearIid | Ui::NewEntry) {
                    self.notice = None;
                }
                let open = self.open_call();
                let follow = super::activation::update::update(&mut self.activation, other);
                // Moving on from a call without deciding gives it back.
                if let Some(id) =
                    open.filter(|id| self.activation.call.as_ref().map(|c| c.id) != Some(*id))
                {
                    self.queued.push(Msg::Intent(Intent::ReleaseCall { id }));
                }
                if matches!(follow, Some(Msg::Intent(Intent::Decide { .. }))) {
                    self.notice = None;
                }
                follow
            }
        }
    }

    /// What a supervisor dialog is about: the key on screen, the selected
    /// activation.
    fn context(&self) -> super::supervisor::Context {
        let mut c = super::supervisor::Context::default();
        match self.screen {
            Screen::Activation => {
                if let Some(k) = self
                    .activation
                    .decision
                    .as_ref()
                    .and_then(|d| d.key.as_ref())
                {
                    c.key = Some(k.key.clone());
                    c.limit = Some(k.limit);
                }
                if let Some(d) = &self.activation.decision {
                    c.activation = d
                        .machine_history
                        .iter()
                        .find(|a| a.holds_seat)
                        .map(|a| a.id);
                }
            }
            Screen::Lookup => {
                if let Some(super::lookup::Detail::Key(k)) = &self.lookup.detail {
                    c.key = Some(k.key.key.clone());
                    c.limit = Some(k.key.limit);
                    c.activation = k
                        .activations
                        .get(self.lookup.detail_selected)
                        .filter(|a| a.holds_seat)
                        .map(|a| a.id);
                }
            }
            Screen::Calls => {
                c.call = self.calls.list.get(self.calls.selected).map(|h| h.id);
            }
        }
        c
    }

    fn reply(&mut self, reply: Reply) -> Option<Msg> {
        match reply {
            Reply::Connected(info) => {
                self.conn = Conn::Ready(info);
                if self.notice.as_ref().is_some_and(|n| n.error) {
                    self.notice = None;
                }
                // The tab bar counts the waiting calls from the start.
                Some(Msg::Intent(Intent::Handovers))
            }
            Reply::Unavailable(e) => {
                self.conn = Conn::Unavailable(e);
                super::activation::update::failed(&mut self.activation);
                None
            }
            Reply::Failed { what, error } => {
                if let Some(d) = self.dialog.as_mut().filter(|d| d.busy) {
                    d.busy = false;
                    d.confirming = false;
                    d.error = Some(error);
                } else {
                    super::activation::update::failed(&mut self.activation);
                    self.notify(format!("{what}: {error}"), true);
                }
                None
            }
            Reply::Done(text) => {
                match self.dialog.as_mut() {
                    // A new key stays on screen until it is dismissed.
                    Some(d) if d.action == Action::IssuePartnerKey => {
                        d.busy = false;
                        d.result = Some(text.clone());
                    }
                    _ => self.dialog = None,
                }
                self.notify(text, false);
                // Show the change where the agent is looking.
                match (&self.screen, &self.lookup.detail) {
                    (Screen::Lookup, Some(super::lookup::Detail::Key(k))) => {
                        Some(Msg::Intent(Intent::KeyDetail {
                            serial: k.key.serial,
                        }))
                    }
                    (Screen::Lookup, _) => self.lookup.refresh(),
                    (Screen::Calls, _) => Some(Msg::Intent(Intent::Handovers)),
                    _ => None,
                }
            }
            Reply::Decided(_) => {
                let open = self.open_call();
                let follow = super::activation::update::reply(&mut self.activation, reply);
                // A decision finishes the call it continued.
                if let (Some(id), Phase::Decided) = (open, self.activation.phase) {
                    self.activation.call_ended = true;
                    self.queued.push(Msg::Intent(Intent::EndCall {
                        id,
                        dismissed: None,
                    }));
                }
                follow
            }
            Reply::CallHeld(_) => {
                self.rev -= 1; // nothing on screen changes
                None
            }
            Reply::Preview(_) | Reply::Played(_) => {
                super::activation::update::reply(&mut self.activation, reply)
            }
            Reply::Found(_) | Reply::Audit(_) | Reply::Key(_) | Reply::Agreement(_) => {
                self.lookup.reply(reply);
                None
            }
            Reply::Handovers(calls) => {
                self.calls.set(calls);
                None
            }
            Reply::CallTaken(call) => {
                self.screen = Screen::Activation;
                self.notify(
                    format!(
                        "you took call {} — continue where the caller left off",
                        call.call
                    ),
                    false,
                );
                let open = self.open_call();
                let follow = super::activation::update::continue_call(&mut self.activation, call);
                if let Some(id) = open.filter(|id| self.open_call() != Some(*id)) {
                    self.queued.push(Msg::Intent(Intent::ReleaseCall { id }));
                }
                // The list no longer shows the call.
                let id = self.activation.call.as_ref().map(|c| c.id);
                self.calls.list.retain(|c| Some(c.id) != id);
                self.calls.clamp();
                follow
            }
        }
    }
}

/// How the waiting notice starts.
pub const WAITING: &str = "waiting for the ledger";
