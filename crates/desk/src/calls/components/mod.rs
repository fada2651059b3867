//! The calls screen's component: the list of waiting calls.

use super::super::bind::{bound_component, keys};
use super::super::msg::{DeskEvent, Msg, Ui};
use super::{view, CallsState};
use tuirealm::component::AppComponent;
use tuirealm::event::{Event, Key};
use tuirealm::props::Props;

/// What the calls component draws.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CallsData {
    /// The screen's state.
    pub state: CallsState,
    /// The screen has the keyboard.
    pub focus: bool,
}

/// The waiting calls.
#[derive(Default)]
pub struct Calls {
    props: Props,
    data: CallsData,
}

bound_component!(Calls, CallsData, view::draw);

impl AppComponent<Msg, DeskEvent> for Calls {
    fn on(&mut self, ev: &Event<DeskEvent>) -> Option<Msg> {
        let k = ev.as_keyboard()?;
        Some(Msg::Ui(match keys::plain(k)? {
            Key::Up | Key::Char('k') => Ui::CallsMove(-1),
            Key::Down | Key::Char('j') => Ui::CallsMove(1),
            Key::Enter => Ui::CallsTake,
            Key::Char('x') if !self.data.state.list.is_empty() => {
                Ui::OpenDialog(crate::msg::Action::DismissCall)
            }
            _ => return None,
        }))
    }
}
