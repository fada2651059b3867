//! The global listener: never focused, it hears the F-keys, quit keys,
//! resizes, ticks and the domain's replies through subscriptions.

use super::bind::{bound_component, keys};
use super::msg::{Action, DeskEvent, Id, Msg, Reply, Screen, Ui};
use tuirealm::component::AppComponent;
use tuirealm::event::{Event, Key, KeyEvent, KeyModifiers};
use tuirealm::props::Props;
use tuirealm::subscription::{EventClause, Sub, SubClause};

/// What the global listener needs to know.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GlobalData {
    /// Map the supervisor keys.
    pub supervisor: bool,
}

/// Never focused: it hears the global keys, resizes, ticks and the domain's
/// replies through subscriptions.
#[derive(Default)]
pub struct Global {
    props: Props,
    data: GlobalData,
}

fn nothing(_: &GlobalData, _: &mut tuirealm::ratatui::Frame, _: tuirealm::ratatui::layout::Rect) {}

bound_component!(Global, GlobalData, nothing);

impl Global {
    /// The subscriptions that bring it its events.
    pub fn subscriptions() -> Vec<Sub<Id, DeskEvent>> {
        let mut keys: Vec<KeyEvent> = [1, 2, 3, 4, 5, 6, 7, 8, 10]
            .into_iter()
            .map(|n| KeyEvent::new(Key::Function(n), KeyModifiers::NONE))
            .collect();
        keys.push(KeyEvent::new(Key::Char('c'), KeyModifiers::CONTROL));
        keys.push(KeyEvent::new(Key::Char('q'), KeyModifiers::CONTROL));
        let mut subs: Vec<_> = keys
            .into_iter()
            .map(|k| Sub::new(EventClause::Keyboard(k), SubClause::Always))
            .collect();
        subs.push(Sub::new(EventClause::WindowResize, SubClause::Always));
        subs.push(Sub::new(EventClause::Tick, SubClause::Always));
        subs.push(Sub::new(
            EventClause::Discriminant(DeskEvent::Reply(Reply::Done(String::new()))),
            SubClause::Always,
        ));
        subs
    }
}

impl AppComponent<Msg, DeskEvent> for Global {
    fn on(&mut self, ev: &Event<DeskEvent>) -> Option<Msg> {
        let k = match ev {
            Event::WindowResize(w, h) => return Some(Msg::Ui(Ui::Resize(*w, *h))),
            Event::Tick => return Some(Msg::Ui(Ui::Tick)),
            Event::User(DeskEvent::Reply(r)) => return Some(Msg::Reply(r.clone())),
            Event::Keyboard(k) => k,
            _ => return None,
        };
        if matches!(keys::ctrl(k), Some('c' | 'q')) {
            return Some(Msg::Quit);
        }
        let sup = |a| self.data.supervisor.then_some(Msg::Ui(Ui::OpenDialog(a)));
        match k.code {
            Key::Function(1) => Some(Msg::Ui(Ui::ToggleHelp)),
            Key::Function(2) => Some(Msg::Ui(Ui::Show(Screen::Activation))),
            Key::Function(3) => Some(Msg::Ui(Ui::Show(Screen::Lookup))),
            Key::Function(4) => Some(Msg::Ui(Ui::Show(Screen::Calls))),
            Key::Function(5) => Some(Msg::Ui(Ui::Refresh)),
            Key::Function(6) => sup(Action::RaiseLimit),
            Key::Function(7) => sup(Action::MoveSeat),
            Key::Function(8) => sup(Action::IssuePartnerKey),
            Key::Function(10) => Some(Msg::Quit),
            _ => None,
        }
    }
}
