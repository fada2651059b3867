//! The lookup screen's component: a query line with a list under it.

use super::super::bind::{bound_component, keys};
use super::super::msg::{DeskEvent, Msg, Ui};
use super::{view, LookupState};
use tuirealm::component::AppComponent;
use tuirealm::event::{Event, Key};
use tuirealm::props::Props;

/// What the lookup component draws.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LookupData {
    /// The screen's state.
    pub state: LookupState,
    /// Offer supervisor keys.
    pub supervisor: bool,
    /// The screen has the keyboard.
    pub focus: bool,
}

/// Query, list, detail.
#[derive(Default)]
pub struct Lookup {
    props: Props,
    data: LookupData,
}

bound_component!(Lookup, LookupData, view::draw);

impl AppComponent<Msg, DeskEvent> for Lookup {
    fn on(&mut self, ev: &Event<DeskEvent>) -> Option<Msg> {
        let k = match ev {
            Event::Paste(text) => return Some(Msg::Ui(Ui::LookupPaste(text.clone()))),
            Event::Keyboard(k) => k,
            _ => return None,
        };
        Some(Msg::Ui(match keys::plain(k)? {
            Key::Char(c) => Ui::LookupChar(c),
            Key::Backspace => Ui::LookupBackspace,
            Key::Tab | Key::BackTab => Ui::LookupMode,
            Key::Up => Ui::LookupMove(-1),
            Key::Down => Ui::LookupMove(1),
            Key::PageUp => Ui::LookupMove(-10),
            Key::PageDown => Ui::LookupMove(10),
            Key::Enter => Ui::LookupOpen,
            Key::Esc => Ui::LookupBack,
            _ => return None,
        }))
    }
}
