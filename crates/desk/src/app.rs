//! The tui-realm application around the desk: mounts the components, passes
//! them the desk's state, gives focus to the one the desk names, draws, and
//! runs the event loop. Generic over the terminal adapter, so tests draw into
//! tui-realm's `TestTerminalAdapter`.

use super::activation::components::{ActivationData, DecisionPanel, IidInput};
use super::activation::view::entry_height;
use super::bind::{payload, DATA};
use super::calls::components::{Calls, CallsData};
use super::desk::{Conn, Desk};
use super::global::{Global, GlobalData};
use super::help::components::{Help, HelpData};
use super::lookup::components::{Lookup, LookupData};
use super::msg::{DeskEvent, Id, Msg, Screen};
use super::supervisor::components::DialogBox;
use super::widgets::{self, MIN_HEIGHT, MIN_WIDTH};
use anyhow::{anyhow, Result};
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::Duration;
use tuirealm::application::{Application, PollStrategy};
use tuirealm::event::Event;
use tuirealm::listener::{EventListenerCfg, Poll, PortError, PortResult};
use tuirealm::ratatui::layout::{Constraint, Layout, Rect};
use tuirealm::ratatui::Frame;
use tuirealm::terminal::TerminalAdapter;

/// The port through which the domain worker's replies (and the IVR's
/// handovers) enter the application.
pub struct ReplyPort(pub Receiver<DeskEvent>);

impl Poll<DeskEvent> for ReplyPort {
    fn poll(&mut self) -> PortResult<Option<Event<DeskEvent>>> {
        match self.0.try_recv() {
            Ok(ev) => Ok(Some(Event::User(ev))),
            Err(TryRecvError::Empty) => Ok(None),
            Err(TryRecvError::Disconnected) => Err(PortError::PermanentError(
                "the desk's domain thread stopped".into(),
            )),
        }
    }
}

/// The desk in a terminal.
pub struct Model<T: TerminalAdapter> {
    /// The tui-realm application: components, focus, event routing.
    pub app: Application<Id, Msg, DeskEvent>,
    /// The desk's state.
    pub desk: Desk,
    /// Where it draws.
    pub terminal: T,
    synced: Option<u64>,
    drawn: Option<u64>,
}

impl<T: TerminalAdapter> Model<T> {
    /// Mounts the components on a new application listening as `listener` says.
    pub fn new(desk: Desk, terminal: T, listener: EventListenerCfg<DeskEvent>) -> Result<Self> {
        let mut app = Application::init(listener);
        app.mount(
            Id::Global,
            Box::new(Global::default()),
            Global::subscriptions(),
        )?;
        app.mount(Id::IidInput, Box::new(IidInput::default()), Vec::new())?;
        app.mount(Id::Decision, Box::new(DecisionPanel::default()), Vec::new())?;
        app.mount(Id::Lookup, Box::new(Lookup::default()), Vec::new())?;
        app.mount(Id::Calls, Box::new(Calls::default()), Vec::new())?;
        app.mount(Id::Dialog, Box::new(DialogBox::default()), Vec::new())?;
        app.mount(Id::Help, Box::new(Help::default()), Vec::new())?;
        let mut m = Self {
            app,
            desk,
            terminal,
            synced: None,
            drawn: None,
        };
        m.sync()?;
        Ok(m)
    }

    /// Applies messages (each until nothing more follows).
    pub fn process(&mut self, msgs: Vec<Msg>) {
        for m in msgs {
            self.desk.dispatch(m);
        }
    }

    /// Hands the components the desk's state and focuses the right one.
    pub fn sync(&mut self) -> Result<()> {
        if self.synced == Some(self.desk.rev) {
            return Ok(());
        }
        let d = &self.desk;
        let supervisor = d.supervisor();
        let focus = !d.help && d.dialog.is_none();
        self.app
            .attr(&Id::Global, DATA, payload(GlobalData { supervisor }))?;
        match d.screen {
            Screen::Activation => {
                let data = ActivationData {
                    state: d.activation.clone(),
                    supervisor,
                    focus,
                };
                self.app.attr(&Id::IidInput, DATA, payload(data.clone()))?;
                self.app.attr(&Id::Decision, DATA, payload(data))?;
            }
            Screen::Lookup => {
                let data = LookupData {
                    state: d.lookup.clone(),
                    supervisor,
                    focus,
                };
                self.app.attr(&Id::Lookup, DATA, payload(data))?;
            }
            Screen::Calls => {
                let data = CallsData {
                    state: d.calls.clone(),
                    focus,
                };
                self.app.attr(&Id::Calls, DATA, payload(data))?;
            }
        }
        self.app
            .attr(&Id::Dialog, DATA, payload(d.dialog.clone()))?;
        self.app.attr(
            &Id::Help,
            DATA,
            payload(HelpData {
                supervisor,
                scroll: d.help_scroll,
            }),
        )?;
        let id = d.focus();
        if self.app.focus() != Some(&id) {
            self.app.active(&id)?;
        }
        self.synced = Some(self.desk.rev);
        Ok(())
    }

    /// Draws the desk when it changed since the last frame.
    pub fn view(&mut self) -> Result<()> {
        if self.drawn == Some(self.desk.rev) {
            return Ok(());
        }
        self.sync()?;
        let (desk, app) = (&self.desk, &mut self.app);
        self.terminal
            .draw(|f| draw(desk, app, f))
            .map_err(|e| anyhow!("cannot draw: {e}"))?;
        self.drawn = Some(self.desk.rev);
        Ok(())
    }

    /// Handles events until the desk quits.
    pub fn run(&mut self) -> Result<()> {
        self.view()?;
        while !self.desk.quit {
            match self
                .app
                .tick(PollStrategy::UpTo(64, Duration::from_millis(500)))
            {
                Ok(msgs) => self.process(msgs),
                Err(e) => self.desk.notify(format!("input: {e}"), true),
            }
            if let Some(text) = self.desk.clipboard.take() {
                copy_to_clipboard(&text);
            }
            self.view()?;
        }
        Ok(())
    }
}

/// Draws one frame.
pub fn draw(desk: &Desk, app: &mut Application<Id, Msg, DeskEvent>, f: &mut Frame) {
    let area = f.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        widgets::too_small(f, area);
        return;
    }
    let [header, body, notice, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    widgets::header(desk, f, header);
    let unavailable = match &desk.conn {
        Conn::Unavailable(e) => Some(e.as_str()),
        _ => None,
    };
    match (desk.screen, unavailable) {
        (Screen::Activation, _) => {
            let height = entry_height(&desk.activation).min(body.height);
            let entry = Rect { height, ..body };
            let rest = Rect {
                y: body.y + height,
                height: body.height - height,
                ..body
            };
            app.view(&Id::IidInput, f, entry);
            match unavailable {
                Some(e) => widgets::unavailable(e, f, rest),
                None => app.view(&Id::Decision, f, rest),
            }
        }
        (_, Some(e)) => widgets::unavailable(e, f, body),
        (Screen::Lookup, None) => app.view(&Id::Lookup, f, body),
        (Screen::Calls, None) => app.view(&Id::Calls, f, body),
    }
    widgets::notice(desk, f, notice);
    widgets::status(desk, f, status);
    if desk.dialog.is_some() {
        app.view(&Id::Dialog, f, body);
    }
    if desk.help {
        app.view(&Id::Help, f, body);
    }
}

/// Asks the terminal to put `text` on the system clipboard (OSC 52, which
/// xterm, kitty, iTerm2, Windows Terminal and tmux with `set-clipboard`
/// understand; others ignore it).
fn copy_to_clipboard(text: &str) {
    use std::io::Write as _;
    let mut out = std::io::stdout();
    let _ = write!(out, "\x1b]52;c;{}\x07", base64(text.as_bytes()));
    let _ = out.flush();
}

/// Standard base64 with padding (RFC 4648 §4).
pub fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().fold(0u32, |n, b| n << 8 | u32::from(*b)) << (8 * (3 - chunk.len()));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ABC[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_is_rfc_4648() {
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(super::base64(plain.as_bytes()), coded);
        }
    }
}
