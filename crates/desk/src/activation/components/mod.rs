//! The activation screen's components: the installation ID field and the
//! decision panel. They draw what the desk gave them and map keys to
//! messages; they change no state themselves.

use super::super::bind::{bound_component, keys};
use super::super::msg::{DeskEvent, Intent, Msg, ReadBack, Ui};
use super::{view, ActivationState};
use tuirealm::component::AppComponent;
use tuirealm::event::{Event, Key};
use tuirealm::props::Props;

/// What both components draw.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ActivationData {
    /// The screen's state.
    pub state: ActivationState,
    /// Offer supervisor keys.
    pub supervisor: bool,
    /// The screen has the keyboard (no dialog or help on top).
    pub focus: bool,
}

/// The installation ID field.
#[derive(Default)]
pub struct IidInput {
    props: Props,
    data: ActivationData,
}

bound_component!(IidInput, ActivationData, view::draw_entry);

impl AppComponent<Msg, DeskEvent> for IidInput {
    fn on(&mut self, ev: &Event<DeskEvent>) -> Option<Msg> {
        let s = &self.data.state;
        let k = match ev {
            Event::Paste(text) => return Some(Msg::Ui(Ui::Paste(text.clone()))),
            Event::Keyboard(k) => k,
            _ => return None,
        };
        if let Some(c) = keys::ctrl(k) {
            return match c {
                'u' => Some(Msg::Ui(Ui::ClearIid)),
                'z' => Some(Msg::Ui(Ui::Undo)),
                _ => None,
            };
        }
        Some(Msg::Ui(match keys::plain(k)? {
            Key::Char(c) if c.is_ascii_digit() => Ui::Digit(c as u8 - b'0'),
            Key::Char(' ' | '-' | '.' | '/') => return None,
            Key::Char(c) => Ui::Refused(c),
            Key::Backspace => Ui::Backspace,
            Key::Delete | Key::Esc => Ui::ClearIid,
            Key::Enter => Ui::Submit,
            Key::Tab => match (&s.correction, &s.decision) {
                (Some(c), _) => Ui::Paste(c.iid.clone()),
                (None, Some(_)) => Ui::FocusDecision,
                _ => return None,
            },
            Key::Down | Key::PageDown if s.decision.is_some() => Ui::FocusDecision,
            _ => return None,
        }))
    }
}

/// The decision panel: verdict, facts, confirmation ID, trace.
#[derive(Default)]
pub struct DecisionPanel {
    props: Props,
    data: ActivationData,
}

bound_component!(DecisionPanel, ActivationData, view::draw_decision);

impl AppComponent<Msg, DeskEvent> for DecisionPanel {
    fn on(&mut self, ev: &Event<DeskEvent>) -> Option<Msg> {
        let s = &self.data.state;
        let k = match ev {
            Event::Paste(text) => return Some(Msg::Ui(Ui::Paste(text.clone()))),
            Event::Keyboard(k) => k,
            _ => return None,
        };
        match keys::ctrl(k) {
            Some('u') => return Some(Msg::Ui(Ui::ClearIid)),
            Some('z') => return Some(Msg::Ui(Ui::Undo)),
            _ => {}
        }
        let cid = s.decision.as_ref().and_then(|d| d.cid.clone());
        // During the read-back, digits are what the caller reads back.
        let checking = s.readback.is_some_and(|g| g < s.cid_groups());
        Some(Msg::Ui(match keys::plain(k)? {
            Key::Char(c) if c.is_ascii_digit() && checking => Ui::CheckDigit(c as u8 - b'0'),
            Key::Char(c) if c.is_ascii_digit() => Ui::Digit(c as u8 - b'0'),
            Key::Char('r') if cid.is_some() => Ui::ReadBack(ReadBack::Toggle),
            Key::Char(' ') | Key::Right | Key::Enter if cid.is_some() => {
                Ui::ReadBack(ReadBack::Next)
            }
            Key::Left if cid.is_some() => Ui::ReadBack(ReadBack::Prev),
            Key::Char('p') => return cid.map(|cid| Msg::Intent(Intent::Play { cid })),
            Key::Char('c') => return cid.map(|cid| Msg::Ui(Ui::Copy(cid))),
            Key::Char('[') if cid.is_some() => Ui::ScrollPlain(-20),
            Key::Char(']') if cid.is_some() => Ui::ScrollPlain(20),
            Key::Char('n') | Key::Esc => Ui::NewEntry,
            Key::Backspace => Ui::Backspace,
            Key::Tab | Key::BackTab => Ui::FocusEntry,
            Key::Down => Ui::ScrollTrace(1),
            Key::Up => Ui::ScrollTrace(-1),
            Key::PageDown => Ui::ScrollTrace(8),
            Key::PageUp => Ui::ScrollTrace(-8),
            Key::Home => Ui::ScrollTrace(-10_000),
            _ => return None,
        }))
    }
}
