//! The supervisor dialog's component.

use super::super::bind::{bound_component, keys};
use super::super::msg::{DeskEvent, Msg, Ui};
use super::{view, Dialog};
use tuirealm::component::AppComponent;
use tuirealm::event::{Event, Key};
use tuirealm::props::Props;

/// The open dialog (or none).
#[derive(Default)]
pub struct DialogBox {
    props: Props,
    data: Option<Dialog>,
}

bound_component!(DialogBox, Option<Dialog>, view::draw);

impl AppComponent<Msg, DeskEvent> for DialogBox {
    fn on(&mut self, ev: &Event<DeskEvent>) -> Option<Msg> {
        let d = self.data.as_ref()?;
        if let Event::Paste(text) = ev {
            return Some(Msg::Ui(Ui::DialogPaste(text.clone())));
        }
        let k = ev.as_keyboard()?;
        Some(Msg::Ui(match keys::plain(k)? {
            Key::Char('y') if d.confirming => Ui::DialogConfirm,
            Key::Char('n') if d.confirming => Ui::DialogCancel,
            Key::Char(c) => Ui::DialogChar(c),
            Key::Backspace => Ui::DialogBackspace,
            Key::Tab | Key::Down => Ui::DialogNext,
            Key::BackTab | Key::Up => Ui::DialogPrev,
            Key::Enter if d.confirming => Ui::DialogConfirm,
            Key::Enter => Ui::DialogNext,
            Key::Esc => Ui::DialogCancel,
            _ => return None,
        }))
    }
}
