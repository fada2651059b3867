//! The help overlay's component.

use super::super::bind::{bound_component, keys};
use super::super::msg::{DeskEvent, Msg, Ui};
use super::view;
use tuirealm::component::AppComponent;
use tuirealm::event::{Event, Key};
use tuirealm::props::Props;

/// What the help overlay draws.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HelpData {
    /// List the supervisor keys.
    pub supervisor: bool,
    /// Lines scrolled.
    pub scroll: u16,
}

/// The help overlay.
#[derive(Default)]
pub struct Help {
    props: Props,
    data: HelpData,
}

bound_component!(Help, HelpData, view::draw);

impl AppComponent<Msg, DeskEvent> for Help {
    fn on(&mut self, ev: &Event<DeskEvent>) -> Option<Msg> {
        match keys::plain(ev.as_keyboard()?)? {
            Key::Esc | Key::Enter | Key::Char('q') => Some(Msg::Ui(Ui::ToggleHelp)),
            Key::Down => Some(Msg::Ui(Ui::HelpScroll(1))),
            Key::Up => Some(Msg::Ui(Ui::HelpScroll(-1))),
            Key::PageDown | Key::Char(' ') => Some(Msg::Ui(Ui::HelpScroll(10))),
            Key::PageUp => Some(Msg::Ui(Ui::HelpScroll(-10))),
            Key::Home => Some(Msg::Ui(Ui::HelpScroll(-200))),
            _ => None,
        }
    }
}
