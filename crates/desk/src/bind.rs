//! How screen state reaches the components: the desk's state is passed as a
//! typed payload (`PropPayload::Any`) on one custom attribute, and each
//! component draws what it was last given. [`bound_component!`] writes the
//! `Component` half; each app component writes its own key map (`on`).

use std::any::Any;
use tuirealm::props::{AttrValue, Attribute, PropBound, PropPayload};

/// The attribute that carries a component's data.
pub const DATA: Attribute = Attribute::Custom("desk-data");

/// Wraps data for [`DATA`].
pub fn payload<T: PropBound>(data: T) -> AttrValue {
    AttrValue::Payload(PropPayload::Any(data.to_any_prop()))
}

/// Unwraps data set on [`DATA`].
pub fn take<T: 'static>(value: AttrValue) -> Option<T> {
    match value {
        AttrValue::Payload(PropPayload::Any(b)) => {
            let b: Box<dyn Any> = b;
            b.downcast::<T>().ok().map(|b| *b)
        }
        _ => None,
    }
}

/// Implements `tuirealm::component::Component` for `$name { props: Props,
/// data: $data }`, drawing with `$draw(&data, frame, area)`.
macro_rules! bound_component {
    ($name:ident, $data:ty, $draw:expr) => {
        impl tuirealm::component::Component for $name {
            fn view(
                &mut self,
                frame: &mut tuirealm::ratatui::Frame,
                area: tuirealm::ratatui::layout::Rect,
            ) {
                ($draw)(&self.data, frame, area)
            }
            fn query<'a>(
                &'a self,
                attr: tuirealm::props::Attribute,
            ) -> Option<tuirealm::props::QueryResult<'a>> {
                self.props.get_for_query(attr)
            }
            fn attr(
                &mut self,
                attr: tuirealm::props::Attribute,
                value: tuirealm::props::AttrValue,
            ) {
                if attr == $crate::bind::DATA {
                    if let Some(d) = $crate::bind::take::<$data>(value) {
                        self.data = d;
                    }
                } else {
                    self.props.set(attr, value);
                }
            }
            fn state(&self) -> tuirealm::state::State {
                tuirealm::state::State::None
            }
            fn perform(&mut self, _cmd: tuirealm::command::Cmd) -> tuirealm::command::CmdResult {
                tuirealm::command::CmdResult::NoChange
            }
        }
    };
}

pub(crate) use bound_component;

/// Shorthands for matching keys.
pub mod keys {
    use tuirealm::event::{Key, KeyEvent, KeyModifiers};

    /// The key without modifiers (Shift allowed for characters).
    pub fn plain(k: &KeyEvent) -> Option<Key> {
        let m = k.modifiers;
        (m == KeyModifiers::NONE
            || (m == KeyModifiers::SHIFT && matches!(k.code, Key::Char(_) | Key::BackTab)))
        .then_some(k.code)
    }

    /// Ctrl + a letter.
    pub fn ctrl(k: &KeyEvent) -> Option<char> {
        match k.code {
            Key::Char(c) if k.modifiers.contains(KeyModifiers::CONTROL) => {
                Some(c.to_ascii_lowercase())
            }
            _ => None,
        }
    }
}
