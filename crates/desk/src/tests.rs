//! Tests of the desk: the update logic without a terminal, key maps through
//! tui-realm's event routing, and the rendered text of every screen through
//! tui-realm's test terminal adapter. Each test gets its own demo home.

use super::activation::components::{ActivationData, IidInput};
use super::activation::Phase;
use super::app::Model;
use super::bind::{payload, DATA};
use super::desk::{Conn, Desk, WAITING};
use super::global::{Global, GlobalData};
use super::lookup::Mode;
use super::msg::{Action, DeskEvent, Intent, Msg, ReadBack, Reply, Screen, Ui};
use super::session::{Domain, Engine, Session};
use actline_engine::client::{Client, Trust};
use actline_engine::entitlement::rules::Role;
use actline_engine::fingerprint::Components;
use actline_engine::home::{os_user, Home};
use actline_engine::ledger::Ledger;
use actline_engine::service::Local;
use std::sync::mpsc;
use std::time::Duration;
use tuirealm::component::{AppComponent, Component};
use tuirealm::event::{Event, Key, KeyEvent, KeyModifiers};
use tuirealm::listener::EventListenerCfg;
use tuirealm::ratatui::layout::Size;
use tuirealm::terminal::{TerminalAdapter, TestEventListener, TestTerminalAdapter};
use tuirealm::testing::buffer_to_string;

const MACHINE_A: &str = include_str!("../../../samples/fingerprint-a.json");
const MACHINE_B: &str = include_str!("../../../samples/fingerprint-b.json");

/// A demo home in a temp dir.
struct Demo {
    dir: tempfile::TempDir,
    home: Home,
}

impl Demo {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::at(dir.path().join("vendor"));
        super::demo::create(&home).unwrap();
        Self { dir, home }
    }

    /// The demo key for `product` under `agreement`.
    fn key(&self, product: &str, agreement: &str) -> String {
        let text = std::fs::read_to_string(self.home.dir().join(super::demo::KEYS_FILE)).unwrap();
        text.lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .find(|f| f.len() == 3 && f[0] == product && f[1] == agreement)
            .map(|f| f[2].to_string())
            .expect("demo key")
    }

    /// A client of `product` with the product's exported trust file, as a
    /// customer has it.
    fn client(&self, name: &str, product: &str) -> Client {
        let trust = Trust::load(&super::demo::trust_file(&self.home, product)).unwrap();
        Client::new(self.dir.path().join(name), trust)
    }

    /// An installation ID for `product` with `key` on `machine`.
    fn iid(&self, key: &str, product: &str, machine: &str) -> String {
        self.iid_on(key, product, machine, actline_engine::days::today())
    }

    /// The same, made on `day`.
    fn iid_on(&self, key: &str, product: &str, machine: &str, day: u16) -> String {
        let m: Components = serde_json::from_str(machine).unwrap();
        // A state of its own per day: a machine activated once refuses to
        // make another ID while its activation holds.
        let state = format!("{}-{day}", machine_name(machine));
        self.client(&state, product)
            .make_iid(key, product, &m, day)
            .unwrap()
            .unwrap()
            .to_string()
    }

    /// A session as the OS user who made the demo (its supervisor).
    fn session(&self) -> Session {
        self.session_as(&os_user())
    }

    /// A session as staff member `user`.
    fn session_as(&self, user: &str) -> Session {
        Session::new(
            engine(&self.home, user),
            self.home.ledger_path().display().to_string(),
        )
    }

    fn desk(&self) -> Desk {
        desk_with(self.session())
    }
}

/// The engine in this process on `home`, with `user` as the caller: what
/// the binary gives the desk for a home its user owns. The home is opened
/// at the first request, and again after a failure.
fn engine(home: &Home, user: &str) -> Engine {
    let local = Local::new(home.clone(), user);
    Box::new(move |request| local.call(&request, None))
}

fn machine_name(json: &str) -> &'static str {
    if json == MACHINE_A {
        "client-a"
    } else {
        "client-b"
    }
}

fn desk_with(session: Session) -> Desk {
    let mut d = Desk::new(Box::new(session));
    d.dispatch(Msg::Intent(Intent::Connect));
    d
}

fn ui(d: &mut Desk, u: Ui) {
    d.dispatch(Msg::Ui(u));
}

fn type_text(d: &mut Desk, text: &str) {
    for c in text.chars() {
        if let Some(n) = c.to_digit(10) {
            ui(d, Ui::Digit(n as u8));
        }
    }
}

/// Renders the desk at `w` × `h` and returns the screen's text.
fn render(desk: Desk, w: u16, h: u16) -> (Model<TestTerminalAdapter>, String) {
    let mut m = Model::new(
        desk,
        TestTerminalAdapter::new(Size::new(w, h)).unwrap(),
        EventListenerCfg::default(),
    )
    .unwrap();
    m.view().unwrap();
    let text = buffer_to_string(m.terminal.raw().backend().buffer());
    (m, text)
}

fn screen(m: &mut Model<TestTerminalAdapter>) -> String {
    m.view().unwrap();
    buffer_to_string(m.terminal.raw().backend().buffer())
}

fn key(code: Key) -> Event<DeskEvent> {
    Event::Keyboard(KeyEvent::new(code, KeyModifiers::NONE))
}

// ---------------------------------------------------------------- update logic

#[test]
fn a_site_hosts_id_takes_14_groups_in_two_rows_once_its_first_group_starts_with_9() {
    use actline_engine::fingerprint::HardwareHash;
    use actline_engine::ids::InstallationId;
    use actline_engine::keys::{KeyKind, ProductKey};
    let host = InstallationId::new_host(
        301,
        &ProductKey::issue(b"k", KeyKind::SiteHost, 6),
        HardwareHash::numbered(3),
        2500,
        b"host key",
    );
    let demo = Demo::new();
    let mut d = demo.desk();
    let digits: String = host
        .to_string()
        .chars()
        .filter(|c| c.is_ascii_digit())
        .collect();
    type_text(&mut d, &digits[..7]);
    assert_eq!(d.activation.groups().len(), 14);
    type_text(&mut d, &digits[7..70]);
    assert_eq!(d.activation.iid, None, "70 digits are not yet a host's ID");
    type_text(&mut d, &digits[70..]);
    assert_eq!(d.activation.iid.as_deref(), Some(host.to_string().as_str()));
    type_text(&mut d, "1");
    assert!(d
        .activation
        .hint
        .as_deref()
        .unwrap_or("")
        .contains("all 14 groups are in"));
    // Drawn in two rows on an 80-column desk.
    let (mut m, _) = render(d, 80, 24);
    let shown = screen(&mut m);
    let text = host.to_string();
    let g14 = text.split('-').nth(13).unwrap();
    assert!(shown.contains(g14), "{shown}");
    assert!(shown.contains(" 14"), "{shown}");
    // A pasted host ID replaces what was there, whole.
    let mut d = demo.desk();
    ui(&mut d, Ui::Paste(host.to_string()));
    assert_eq!(d.activation.iid.as_deref(), Some(host.to_string().as_str()));
}

#[test]
fn typing_fills_the_groups_and_each_group_checks_when_complete() {
    let demo = Demo::new();
    let iid = demo.iid(&demo.key("studio", "4711"), "studio", MACHINE_A);
    let mut d = demo.desk();
    let digits: String = iid.chars().filter(|c| c.is_ascii_digit()).collect();
    // The first group with its check digit wrong.
    let mut wrong = digits[..7].to_string();
    let last = wrong.pop().unwrap().to_digit(10).unwrap();
    wrong.push(char::from(b'0' + ((last + 1) % 10) as u8));
    type_text(&mut d, &wrong);
    assert_eq!(d.activation.groups()[0].valid, Some(false));
    assert_eq!(d.activation.groups()[1].valid, None);
    ui(&mut d, Ui::Backspace);
    type_text(&mut d, &digits[6..7]);
    assert_eq!(d.activation.groups()[0].valid, Some(true));
    type_text(&mut d, &digits[7..60]);
    assert!(
        d.activation.preview.is_none(),
        "nothing to name before 70 digits"
    );
    type_text(&mut d, &digits[60..]);
    let p = d
        .activation
        .preview
        .as_ref()
        .expect("the ID names its product once complete");
    assert_eq!(p.product, "studio 7");
    assert!(p.key.contains("agreement 4711"), "{}", p.key);
    type_text(&mut d, "5");
    assert!(d
        .activation
        .hint
        .as_deref()
        .unwrap()
        .contains("all 10 groups are in"));
}

#[test]
fn letters_are_refused_with_a_hint_and_separators_are_ignored() {
    let mut input = IidInput::default();
    let m = input.on(&key(Key::Char('x')));
    assert_eq!(m, Some(Msg::Ui(Ui::Refused('x'))));
    assert_eq!(input.on(&key(Key::Char('-'))), None);
    assert_eq!(input.on(&key(Key::Char(' '))), None);
    assert_eq!(input.on(&key(Key::Char('7'))), Some(Msg::Ui(Ui::Digit(7))));
    let demo = Demo::new();
    let mut d = demo.desk();
    d.dispatch(m.unwrap());
    let hint = d.activation.hint.clone().unwrap();
    assert!(
        hint.contains("'x' refused") && hint.contains("digits only"),
        "{hint}"
    );
    assert!(d.activation.digits.is_empty());
}

#[test]
fn one_wrong_digit_shows_the_likely_correction_and_tab_takes_it() {
    let demo = Demo::new();
    let iid = demo.iid(&demo.key("studio", "4711"), "studio", MACHINE_A);
    let mut digits: Vec<u8> = iid
        .chars()
        .filter_map(|c| c.to_digit(10).map(|d| d as u8))
        .collect();
    digits[23] = (digits[23] + 3) % 10; // group 4, digit 3
    let mut d = demo.desk();
    for x in &digits {
        ui(&mut d, Ui::Digit(*x));
    }
    let c = d
        .activation
        .correction
        .clone()
        .expect("a single wrong digit is corrected");
    assert_eq!((c.group, c.position), (4, 3));
    assert_eq!(c.iid, iid);
    // The field's Tab takes the correction.
    let mut input = IidInput::default();
    input.attr(
        DATA,
        payload(ActivationData {
            state: d.activation.clone(),
            supervisor: false,
            focus: true,
        }),
    );
    let tab = input.on(&key(Key::Tab)).unwrap();
    d.dispatch(tab);
    assert_eq!(d.activation.iid.as_deref(), Some(iid.as_str()));
    assert!(d.activation.correction.is_none());
}

#[test]
fn enter_grants_and_the_confirmation_id_reads_back_and_verifies_on_the_client() {
    let demo = Demo::new();
    let key = demo.key("studio", "4711");
    let iid = demo.iid(&key, "studio", MACHINE_A);
    let mut d = demo.desk();
    ui(&mut d, Ui::Submit);
    assert!(d.activation.hint.as_deref().unwrap().contains("0 of 70"));
    ui(&mut d, Ui::Paste(format!("Installation ID: {iid}\n")));
    assert_eq!(d.activation.iid.as_deref(), Some(iid.as_str()));
    assert!(d
        .activation
        .hint
        .as_deref()
        .unwrap_or("")
        .contains("ignored in the paste"));
    ui(&mut d, Ui::Submit);
    assert_eq!(d.activation.phase, Phase::Decided);
    let dec = d.activation.decision.clone().unwrap();
    assert!(dec.granted, "{:?}", dec.trace);
    let a = dec.agreement.as_ref().unwrap();
    assert_eq!(
        (a.id.as_str(), a.customer.as_str(), a.program.as_str()),
        ("4711", "Northwind Labs", "Enterprise")
    );
    let k = dec.key.as_ref().unwrap();
    assert_eq!((k.kind.as_str(), k.used, k.left), ("mak", 1, 9));
    assert!(dec.trace.len() >= 5);
    assert_eq!(dec.cid_groups().len(), 20);
    assert!(d.activation.focus_decision);

    ui(&mut d, Ui::ReadBack(ReadBack::Toggle));
    assert_eq!(d.activation.readback, Some(0));
    ui(&mut d, Ui::ReadBack(ReadBack::Next));
    ui(&mut d, Ui::ReadBack(ReadBack::Next));
    ui(&mut d, Ui::ReadBack(ReadBack::Prev));
    assert_eq!(d.activation.readback, Some(1));
    // The read-back check: the agent types what the caller reads back.
    let groups: Vec<String> = dec.cid_groups().iter().map(|g| g.to_string()).collect();
    let mut wrong = groups[1].clone().into_bytes();
    wrong[0] = if wrong[0] == b'9' { b'8' } else { b'9' };
    for c in wrong {
        ui(&mut d, Ui::CheckDigit(c - b'0'));
    }
    assert_eq!(d.activation.readback, Some(1), "a wrong group stays");
    assert_eq!(d.activation.checked[1], Some(false));
    let hint = d.activation.hint.clone().unwrap_or_default();
    assert!(hint.contains("group 2: the caller read back"), "{hint}");
    for c in groups[1].bytes() {
        ui(&mut d, Ui::CheckDigit(c - b'0'));
    }
    assert_eq!(d.activation.readback, Some(2), "a right group moves on");
    assert_eq!(d.activation.checked[1], Some(true));
    assert!(d.activation.check_typed.is_empty());
    // A digit typed by mistake is taken back with Backspace.
    ui(&mut d, Ui::CheckDigit(1));
    ui(&mut d, Ui::Backspace);
    assert!(d.activation.check_typed.is_empty());
    assert_eq!(d.activation.phase, super::activation::Phase::Decided);

    let m: Components = serde_json::from_str(MACHINE_A).unwrap();
    let terms = demo
        .client(
            &format!("client-a-{}", actline_engine::days::today()),
            "studio",
        )
        .confirm(
            dec.cid.as_deref().unwrap(),
            &m,
            actline_engine::days::today(),
        )
        .expect("the desk's confirmation ID verifies on the machine");
    assert!(!terms.reactivation);

    // The same installation ID again (a caller who lost the answer): the
    // same activation and confirmation ID, nothing new recorded.
    ui(&mut d, Ui::NewEntry);
    ui(&mut d, Ui::Paste(iid.clone()));
    ui(&mut d, Ui::Submit);
    let again = d.activation.decision.clone().unwrap();
    assert!(again.granted);
    assert_eq!(
        (again.activation, &again.cid),
        (dec.activation, &dec.cid),
        "the first grant again"
    );
    assert!(again.seat.contains("granted before"), "{}", again.seat);
    assert_eq!(again.key.as_ref().unwrap().used, 1);

    // The same machine with a new installation ID (made a day later): a
    // reactivation, and the earlier activation shows.
    ui(&mut d, Ui::NewEntry);
    let later = demo.iid_on(&key, "studio", MACHINE_A, actline_engine::days::today() + 1);
    ui(&mut d, Ui::Paste(later));
    ui(&mut d, Ui::Submit);
    let again = d.activation.decision.clone().unwrap();
    assert!(again.granted);
    assert_eq!(again.machine_history.len(), 1);
    assert!(again.seat.contains("reactivation"), "{}", again.seat);
    assert_eq!(again.key.as_ref().unwrap().used, 1, "no new seat");
}

#[test]
fn a_denial_says_why_and_what_would_make_it_succeed() {
    let demo = Demo::new();
    let key = demo.key("studio", "5002"); // one activation
    let mut d = demo.desk();
    ui(&mut d, Ui::Paste(demo.iid(&key, "studio", MACHINE_A)));
    ui(&mut d, Ui::Submit);
    assert!(d.activation.decision.as_ref().unwrap().granted);
    ui(&mut d, Ui::Paste(demo.iid(&key, "studio", MACHINE_B)));
    assert_eq!(
        d.activation.phase,
        Phase::Entry,
        "a paste after a decision starts anew"
    );
    ui(&mut d, Ui::Submit);
    let dec = d.activation.decision.clone().unwrap();
    assert!(!dec.granted);
    assert!(dec.cid.is_none());
    assert!(
        dec.remedy.as_deref().unwrap_or("").len() > 5,
        "{:?}",
        dec.remedy
    );
    assert!(dec.trace.last().unwrap().contains("denied"));
}

#[test]
fn agents_are_not_offered_supervisor_actions() {
    let demo = Demo::new();
    demo.home
        .open_ledger(&demo.home.secrets().unwrap())
        .unwrap()
        .add_staff(&os_user(), "agent7", Role::Agent)
        .unwrap();
    let mut d = desk_with(demo.session_as("agent7"));
    assert!(!d.supervisor());
    assert_eq!(d.info().unwrap().role, "agent");
    // The key is not mapped...
    let mut g = Global::default();
    g.attr(DATA, payload(GlobalData { supervisor: false }));
    assert_eq!(g.on(&key(Key::Function(6))), None);
    // ...the desk refuses the message...
    ui(&mut d, Ui::OpenDialog(Action::RaiseLimit));
    assert!(d.dialog.is_none());
    // ...and the session refuses the intent.
    d.dispatch(Msg::Intent(Intent::ReleaseSeat {
        activation: 1,
        reason: "x".into(),
    }));
    assert!(d.notice.as_ref().unwrap().text.contains("only supervisors"));
    // A supervisor's F6 opens the dialog.
    g.attr(DATA, payload(GlobalData { supervisor: true }));
    assert_eq!(
        g.on(&key(Key::Function(6))),
        Some(Msg::Ui(Ui::OpenDialog(Action::RaiseLimit)))
    );
}

#[test]
fn a_supervisor_raises_a_limit_with_a_reason_after_confirming() {
    let demo = Demo::new();
    let key = demo.key("studio", "5002");
    let mut d = demo.desk();
    ui(&mut d, Ui::Paste(demo.iid(&key, "studio", MACHINE_A)));
    ui(&mut d, Ui::Submit);
    ui(&mut d, Ui::OpenDialog(Action::RaiseLimit));
    let dlg = d.dialog.clone().expect("supervisors get the dialog");
    assert_eq!(dlg.fields[0].value, key, "prefilled with the key on screen");
    assert_eq!(dlg.fields[1].value, "2", "prefilled with one more");
    assert_eq!(dlg.at, 2, "the reason is asked for");
    ui(&mut d, Ui::DialogNext);
    assert!(d
        .dialog
        .as_ref()
        .unwrap()
        .error
        .as_deref()
        .unwrap()
        .contains("Reason is needed"));
    ui(&mut d, Ui::DialogPaste("customer bought 1 more".into()));
    ui(&mut d, Ui::DialogNext);
    assert!(d.dialog.as_ref().unwrap().confirming);
    assert!(d.dialog.as_ref().unwrap().summary().contains("to 2?"));
    ui(&mut d, Ui::DialogConfirm);
    assert!(d.dialog.is_none());
    assert!(d.notice.as_ref().unwrap().text.contains("is now 2"));
    let ledger = Ledger::open(&demo.home.ledger_path()).unwrap();
    let serial = actline_engine::keys::ProductKey::parse(&key)
        .unwrap()
        .serial();
    assert_eq!(ledger.key(serial).unwrap().unwrap().limit, 2);
    let audit = ledger.audit_entries().unwrap();
    let last = audit.last().unwrap();
    assert_eq!(last.action, "key.limit");
    assert!(last.detail.contains("customer bought 1 more"));
}

#[test]
fn a_supervisor_moves_a_seat_and_issues_a_partner_key() {
    let demo = Demo::new();
    let key = demo.key("studio", "5002");
    let mut d = demo.desk();
    ui(&mut d, Ui::Paste(demo.iid(&key, "studio", MACHINE_A)));
    ui(&mut d, Ui::Submit);
    let first = d.activation.decision.as_ref().unwrap().activation;
    ui(&mut d, Ui::OpenDialog(Action::MoveSeat));
    ui(&mut d, Ui::DialogChar('x'));
    assert!(d
        .dialog
        .as_ref()
        .unwrap()
        .error
        .as_deref()
        .unwrap()
        .contains("refused"));
    ui(&mut d, Ui::DialogPaste(first.to_string()));
    ui(&mut d, Ui::DialogNext);
    ui(&mut d, Ui::DialogPaste("motherboard replaced".into()));
    ui(&mut d, Ui::DialogNext);
    ui(&mut d, Ui::DialogConfirm);
    assert!(
        d.notice.as_ref().unwrap().text.contains("released"),
        "{:?}",
        d.notice
    );
    ui(&mut d, Ui::Paste(demo.iid(&key, "studio", MACHINE_B)));
    ui(&mut d, Ui::Submit);
    assert!(
        d.activation.decision.as_ref().unwrap().granted,
        "the replacement takes the seat"
    );

    ui(&mut d, Ui::OpenDialog(Action::IssuePartnerKey));
    let dlg = d.dialog.clone().unwrap();
    assert_eq!(dlg.fields[1].value, "9001");
    ui(&mut d, Ui::DialogPaste("partner demo".into()));
    ui(&mut d, Ui::DialogConfirm);
    ui(&mut d, Ui::DialogConfirm);
    let text = d.notice.as_ref().unwrap().text.clone();
    assert!(text.starts_with("issued partner key"), "{text}");
}

#[test]
fn taking_a_handed_over_call_fills_the_groups_the_caller_entered() {
    let demo = Demo::new();
    let mut d = demo.desk();
    ui(&mut d, Ui::Show(Screen::Calls));
    assert_eq!(d.calls.list.len(), 2);
    let partial = d
        .calls
        .list
        .iter()
        .position(|c| c.installation_id.is_none())
        .unwrap();
    ui(&mut d, Ui::CallsMove(partial as i32));
    ui(&mut d, Ui::CallsTake);
    assert_eq!(d.screen, Screen::Activation);
    assert_eq!(d.activation.digits.len(), 21);
    assert_eq!(d.activation.call.as_ref().unwrap().call, "demo-call-1");
    assert_eq!(d.calls.list.len(), 1);
    // The complete one can be decided at once.
    ui(&mut d, Ui::Show(Screen::Calls));
    ui(&mut d, Ui::CallsTake);
    assert!(d.activation.iid.is_some());
    ui(&mut d, Ui::Submit);
    assert!(d.activation.decision.as_ref().unwrap().granted);
    // The decided call is finished; the first, left undecided for the
    // second, went back to the queue.
    ui(&mut d, Ui::Show(Screen::Calls));
    let waiting: Vec<&str> = d.calls.list.iter().map(|c| c.call.as_str()).collect();
    assert_eq!(waiting, ["demo-call-1"]);
}

#[test]
fn lookup_finds_by_any_part_and_the_audit_trail_filters() {
    let demo = Demo::new();
    let key = demo.key("notes", "5001");
    let mut d = demo.desk();
    ui(&mut d, Ui::Show(Screen::Lookup));
    for c in "bakery".chars() {
        ui(&mut d, Ui::LookupChar(c));
    }
    assert_eq!(d.lookup.hits[0].title, "5001 Contoso Bakery");
    assert!(
        d.lookup.hits.iter().any(|h| h.title == key),
        "the customer's keys too"
    );
    ui(&mut d, Ui::LookupOpen);
    assert!(matches!(
        d.lookup.detail,
        Some(super::lookup::Detail::Agreement(_))
    ));
    ui(&mut d, Ui::LookupOpen);
    assert!(matches!(
        d.lookup.detail,
        Some(super::lookup::Detail::Key(_))
    ));
    ui(&mut d, Ui::LookupBack);
    assert!(
        matches!(d.lookup.detail, Some(super::lookup::Detail::Agreement(_))),
        "back to the agreement"
    );
    // A part of a key.
    ui(&mut d, Ui::LookupBack);
    for _ in 0..6 {
        ui(&mut d, Ui::LookupBackspace);
    }
    ui(&mut d, Ui::LookupPaste(key[6..17].to_string()));
    assert_eq!(d.lookup.hits.len(), 1);
    assert_eq!(d.lookup.hits[0].title, key);
    ui(&mut d, Ui::LookupMode);
    assert_eq!(d.lookup.mode, Mode::Audit);
    assert!(d.lookup.audit.len() >= 6);
    for c in "handover".chars() {
        ui(&mut d, Ui::LookupChar(c));
    }
    assert_eq!(d.lookup.audit.len(), 2);
    assert!(d.lookup.audit.iter().all(|e| e.action == "call.handover"));
}

#[test]
fn a_missing_ledger_is_a_message_on_screen_and_f5_tries_again() {
    let dir = tempfile::tempdir().unwrap();
    let home = Home::at(dir.path().join("nothing"));
    let place = home.ledger_path().display().to_string();
    let mut d = Desk::new(Box::new(Session::new(
        engine(&home, &os_user()),
        place.clone(),
    )));
    d.dispatch(Msg::Intent(Intent::Connect));
    let Conn::Unavailable(e) = &d.conn else {
        panic!("{:?}", d.conn)
    };
    assert!(e.contains("not an actline home"), "{e}");
    // Typing still works: the group checks need no ledger.
    type_text(&mut d, "1234567");
    assert_eq!(d.activation.digits.len(), 7);
    let (_, text) = render(d, 100, 30);
    assert!(text.contains("The ledger is not available."), "{text}");
    assert!(text.contains("F5 tries again"));
    // Once the ledger exists, F5 connects.
    super::demo::create(&home).unwrap();
    let mut d = Desk::new(Box::new(Session::new(engine(&home, &os_user()), place)));
    d.dispatch(Msg::Intent(Intent::Connect));
    assert!(matches!(d.conn, Conn::Ready(_)));
}

/// A domain that never answers, like a ledger held locked by another process.
struct Stuck;

impl Domain for Stuck {
    fn request(&mut self, _: Intent) -> Option<Reply> {
        None
    }
}

#[test]
fn a_locked_ledger_gives_a_message_while_typing_goes_on() {
    let mut d = Desk::new(Box::new(Stuck));
    d.dispatch(Msg::Intent(Intent::Connect));
    ui(&mut d, Ui::Tick);
    assert!(d.notice.is_none());
    ui(&mut d, Ui::Tick);
    assert!(d.notice.as_ref().unwrap().text.starts_with(WAITING));
    type_text(&mut d, "12");
    assert_eq!(d.activation.digits, vec![1, 2]);
    // A decision that does not come back keeps the ID on screen.
    d.activation.phase = Phase::Deciding;
    type_text(&mut d, "3");
    assert_eq!(d.activation.digits, vec![1, 2]);
    assert!(d
        .activation
        .hint
        .as_deref()
        .unwrap()
        .starts_with("deciding"));
    // The answer clears the notice.
    d.dispatch(Msg::Reply(Reply::Unavailable("locked".into())));
    assert!(d.notice.is_none());
}

// ------------------------------------------------------------ tui-realm routing

#[test]
fn keys_reach_the_focused_component_and_f_keys_the_global_listener() {
    let demo = Demo::new();
    let (tx, rx) = mpsc::channel();
    let listener = EventListenerCfg::default().add_port(
        Box::new(TestEventListener::new(rx)),
        Duration::from_millis(1),
        1,
    );
    let mut m = Model::new(
        demo.desk(),
        TestTerminalAdapter::new(Size::new(100, 30)).unwrap(),
        listener,
    )
    .unwrap();
    let press = |m: &mut Model<TestTerminalAdapter>, ev: Event<DeskEvent>| {
        tx.send(ev).unwrap();
        let msgs = m
            .app
            .tick(tuirealm::application::PollStrategy::Once(
                Duration::from_secs(5),
            ))
            .unwrap();
        m.process(msgs);
        m.sync().unwrap();
    };
    press(&mut m, key(Key::Char('4')));
    press(&mut m, key(Key::Char('a')));
    assert_eq!(m.desk.activation.digits, vec![4]);
    assert!(m.desk.activation.hint.is_some());
    press(&mut m, key(Key::Function(3)));
    assert_eq!(m.desk.screen, Screen::Lookup);
    press(&mut m, key(Key::Char('4')));
    assert_eq!(
        m.desk.lookup.query, "4",
        "digits go to the lookup query now"
    );
    press(&mut m, key(Key::Function(1)));
    assert!(m.desk.help);
    press(&mut m, key(Key::Esc));
    assert!(!m.desk.help);
    press(
        &mut m,
        Event::Keyboard(KeyEvent::new(Key::Char('q'), KeyModifiers::CONTROL)),
    );
    assert!(m.desk.quit);
}

// ------------------------------------------------------------------- snapshots

#[test]
fn snapshot_activation_while_typing() {
    let demo = Demo::new();
    let mut d = demo.desk();
    type_text(&mut d, "0030111 71558");
    ui(&mut d, Ui::Refused('o'));
    let (_, text) = render(d, 100, 30);
    assert!(
        text.contains(
            " actline desk F2 Activation  F3 Lookup  F4 Calls (2 waiting)  F1 Help  F10 Quit"
        ),
        "{text}"
    );
    assert!(text.contains("│ 0030111  71558··  ·······"), "{text}");
    assert!(
        text.contains("'o' refused: an installation ID is digits only"),
        "{text}"
    );
    assert!(text.contains("the product, version and key appear when all 70 digits are in"));
    assert!(
        text.contains(&format!(" {} · supervisor · ledger ", os_user())),
        "{text}"
    );
}

#[test]
fn snapshot_grant_with_labelled_groups_plain_line_and_read_back() {
    let demo = Demo::new();
    let iid = demo.iid(&demo.key("studio", "4711"), "studio", MACHINE_A);
    let mut d = demo.desk();
    ui(&mut d, Ui::Paste(iid.clone()));
    ui(&mut d, Ui::Submit);
    let cid = d.activation.decision.as_ref().unwrap().cid.clone().unwrap();
    let groups: Vec<&str> = cid.split('-').collect();
    ui(&mut d, Ui::ReadBack(ReadBack::Toggle));
    ui(&mut d, Ui::ReadBack(ReadBack::Next));
    let (_, text) = render(d, 180, 50);
    for g in iid.split('-') {
        assert!(text.contains(&format!(" {g} ")), "{g} in {text}");
    }
    assert!(
        text.contains("GRANTED   activation #1 · studio 7 · a new seat"),
        "{text}"
    );
    assert!(text.contains("Customer  Northwind Labs · agreement 4711 · Enterprise · level B"));
    assert!(text.contains("seats 1 used, 9 left of 10"));
    assert!(text.contains("Machine   no earlier activations of this machine"));
    assert!(
        text.contains(&format!("  1  {}     2  {} ", groups[0], groups[1])),
        "{text}"
    );
    assert!(text.contains(&format!(" 20  {} ", groups[19])));
    assert!(
        text.contains(&format!("│{cid}")),
        "the plain line fits on one line at 180 columns"
    );
    assert!(text.contains("Read group 2 of 20 to the caller:"));
    let big = super::widgets::big_digits(groups[1]);
    assert!(text.contains(big[1].trim_end()), "{text}");
    assert!(text.contains("Why (every rule consulted, in order):"));
    assert!(text.contains(" 1. "));
}

#[test]
fn snapshot_denial_shows_remedy() {
    let demo = Demo::new();
    let key = demo.key("studio", "5002");
    let mut d = demo.desk();
    ui(&mut d, Ui::Paste(demo.iid(&key, "studio", MACHINE_A)));
    ui(&mut d, Ui::Submit);
    ui(&mut d, Ui::Paste(demo.iid(&key, "studio", MACHINE_B)));
    ui(&mut d, Ui::Submit);
    let remedy = d
        .activation
        .decision
        .as_ref()
        .unwrap()
        .remedy
        .clone()
        .unwrap();
    let (_, text) = render(d, 120, 40);
    assert!(text.contains("DENIED   activation #2"), "{text}");
    assert!(text.contains(&format!("To succeed: {remedy}")), "{text}");
    assert!(text.contains("Customer  Fabrikam Shipping · agreement 5002"));
    assert!(!text.contains("Confirmation ID"));
}

#[test]
fn snapshot_lookup_calls_dialog_help_and_too_small() {
    let demo = Demo::new();
    let mut d = demo.desk();
    ui(&mut d, Ui::Show(Screen::Lookup));
    for c in "north".chars() {
        ui(&mut d, Ui::LookupChar(c));
    }
    let (mut m, text) = render(d, 100, 30);
    assert!(text.contains("Find: north"), "{text}");
    assert!(text.contains("agreement  4711 Northwind Labs"), "{text}");
    assert!(text.contains("agreement  4712 Northwind Marine            Select affiliate of 4711"));

    m.desk.dispatch(Msg::Ui(Ui::Show(Screen::Calls)));
    let text = screen(&mut m);
    assert!(text.contains("Calls handed over by the IVR"), "{text}");
    assert!(
        text.contains("demo-call-1    3/10 groups  the caller asked for an agent after group 3"),
        "{text}"
    );
    assert!(text.contains("What the caller entered:"));

    m.desk
        .dispatch(Msg::Ui(Ui::OpenDialog(Action::IssuePartnerKey)));
    let text = screen(&mut m);
    assert!(text.contains("Issue a partner key"), "{text}");
    assert!(text.contains("Agreement: 9001"), "{text}");
    assert!(text.contains("Esc cancel"));
    m.desk.dispatch(Msg::Ui(Ui::DialogCancel));

    m.desk.dispatch(Msg::Ui(Ui::ToggleHelp));
    let text = screen(&mut m);
    assert!(text.contains("Help — every key"), "{text}");
    assert!(text.contains("F1                    show or hide this help"));
    m.desk.dispatch(Msg::Ui(Ui::HelpScroll(100)));
    let text = screen(&mut m);
    assert!(
        text.contains("F8                    issue a partner key"),
        "{text}"
    );
    assert!(text.contains("Nothing needs a mouse."));

    let (_, text) = render(demo.desk(), 60, 20);
    assert!(
        text.contains("needs at least 80 columns × 24 rows; this one is 60 × 20"),
        "{text}"
    );
}

#[test]
fn snapshot_help_for_agents_lists_no_supervisor_keys() {
    let demo = Demo::new();
    demo.home
        .open_ledger(&demo.home.secrets().unwrap())
        .unwrap()
        .add_staff(&os_user(), "agent7", Role::Agent)
        .unwrap();
    let mut d = desk_with(demo.session_as("agent7"));
    ui(&mut d, Ui::ToggleHelp);
    ui(&mut d, Ui::HelpScroll(100));
    let (_, text) = render(d, 100, 30);
    assert!(text.contains("Nothing needs a mouse."), "{text}");
    assert!(!text.contains("F6"), "{text}");
    assert!(text.contains(" agent7 · agent · ledger "));
}

#[test]
fn the_play_key_says_the_confirmation_id_or_saves_it() {
    let demo = Demo::new();
    let iid = demo.iid(&demo.key("notes", "5001"), "notes", MACHINE_A);
    let mut d = desk_with(
        demo.session()
            .with_audio(Some("true {}".into()), None, "en"),
    );
    ui(&mut d, Ui::Paste(iid));
    ui(&mut d, Ui::Submit);
    let cid = d.activation.decision.as_ref().unwrap().cid.clone().unwrap();
    assert_eq!(cid.split('-').count(), 8, "notes uses compact IDs");
    d.dispatch(Msg::Intent(Intent::Play { cid }));
    let played = d.activation.played.clone().expect("the play key answers");
    assert!(played.contains("through `true {}`"), "{played}");
    let wav = played.rsplit("saved as ").next().unwrap();
    let bytes = std::fs::read(wav).unwrap();
    assert_eq!(&bytes[..4], b"RIFF");
    assert!(bytes.len() > 16_000, "seconds of speech");
    remove_play_dir(std::path::Path::new(wav));
}

#[test]
fn the_play_key_reads_in_the_pack_the_desk_was_given() {
    let demo = Demo::new();
    let iid = demo.iid(&demo.key("notes", "5001"), "notes", MACHINE_A);
    let length = |language: &str| {
        let mut d = desk_with(
            demo.session()
                .with_audio(Some("true {}".into()), None, language),
        );
        ui(&mut d, Ui::Paste(iid.clone()));
        ui(&mut d, Ui::Submit);
        let cid = d.activation.decision.as_ref().unwrap().cid.clone().unwrap();
        d.dispatch(Msg::Intent(Intent::Play { cid }));
        let played = d.activation.played.clone().expect("the play key answers");
        let wav = played.rsplit("saved as ").next().unwrap().to_string();
        let n = std::fs::read(&wav).unwrap().len();
        remove_play_dir(std::path::Path::new(&wav));
        n
    };
    assert_ne!(
        length("de"),
        length("en"),
        "German is not the English readout"
    );
    let mut d = desk_with(
        demo.session()
            .with_audio(Some("true {}".into()), None, "xx"),
    );
    d.dispatch(Msg::Intent(Intent::Play {
        cid: "123456-123456".into(),
    }));
    let n = d.notice.clone().expect("a notice").text;
    assert!(n.contains("xx"), "{n}");
}

#[test]
fn the_play_key_followed_a_symlink_planted_at_its_predictable_path() {
    use std::os::unix::fs::PermissionsExt;
    let demo = Demo::new();
    // Another local user plants symlinks where the desk used to write,
    // pointing at a file the agent can write.
    let victim = demo.dir.path().join("victim");
    std::fs::write(&victim, b"precious").unwrap();
    let planted: Vec<_> = (1..=3)
        .map(|n| {
            let p =
                std::env::temp_dir().join(format!("actline-cid-{}-{n}.wav", std::process::id()));
            let _ = std::fs::remove_file(&p);
            std::os::unix::fs::symlink(&victim, &p).unwrap();
            p
        })
        .collect();
    let iid = demo.iid(&demo.key("notes", "5001"), "notes", MACHINE_A);
    let mut d = desk_with(
        demo.session()
            .with_audio(Some("true {}".into()), None, "en"),
    );
    ui(&mut d, Ui::Paste(iid));
    ui(&mut d, Ui::Submit);
    let cid = d.activation.decision.as_ref().unwrap().cid.clone().unwrap();
    d.dispatch(Msg::Intent(Intent::Play { cid }));
    let played = d.activation.played.clone().expect("the play key answers");
    let wav = std::path::PathBuf::from(played.rsplit("saved as ").next().unwrap());
    for p in &planted {
        assert!(std::fs::symlink_metadata(p).unwrap().is_symlink());
        let _ = std::fs::remove_file(p);
    }
    assert_eq!(std::fs::read(&victim).unwrap(), b"precious", "not followed");
    assert!(!planted.contains(&wav), "{}", wav.display());
    let file = std::fs::symlink_metadata(&wav).unwrap();
    assert!(file.is_file());
    assert_eq!(file.permissions().mode() & 0o777, 0o600);
    let dir = wav.parent().unwrap();
    let dmeta = std::fs::symlink_metadata(dir).unwrap();
    assert!(dmeta.is_dir());
    assert_eq!(dmeta.permissions().mode() & 0o777, 0o700);
    assert_eq!(&std::fs::read(&wav).unwrap()[..4], b"RIFF");
    remove_play_dir(&wav);
}

/// Removes the play key's private directory holding `wav`, and nothing else.
fn remove_play_dir(wav: &std::path::Path) {
    let dir = wav.parent().unwrap();
    let name = dir.file_name().unwrap().to_string_lossy();
    assert!(name.starts_with("actline-play-"), "{}", dir.display());
    std::fs::remove_dir_all(dir).unwrap();
}

// ------------------------------------------------ issue 16: what a shift finds

/// The desk's screen at 120 × 40 after `d`.
fn shown(d: Desk) -> (Desk, String) {
    let (m, t) = render(d, 120, 40);
    (m.desk, t)
}

#[test]
fn every_panel_shows_the_current_state_only() {
    let demo = Demo::new();
    let iid = demo.iid(&demo.key("studio", "4711"), "studio", MACHINE_A);
    let mut digits: Vec<u8> = iid
        .chars()
        .filter_map(|c| c.to_digit(10).map(|d| d as u8))
        .collect();
    digits[9] = (digits[9] + 3) % 10; // group 2
    let mut d = demo.desk();
    for x in &digits {
        ui(&mut d, Ui::Digit(*x));
    }
    // Enter on a wrong ID keeps the correction on screen, with its Tab.
    ui(&mut d, Ui::Submit);
    let (mut d, t) = shown(d);
    assert!(
        t.contains("group 2 does not check; likely") && t.contains("Tab takes it"),
        "{t}"
    );
    // Tab takes it: no line about group 2 is left.
    let c = d.activation.correction.clone().unwrap();
    ui(&mut d, Ui::Paste(c.iid));
    let (mut d, t) = shown(d);
    assert!(!t.contains("does not check"), "{t}");
    assert!(t.contains("valid installation ID"), "{t}");
    assert!(t.contains("0 used, 10 left"), "{t}");
    // The decision: the ID panel says what happened and the seats after it.
    ui(&mut d, Ui::Submit);
    let (mut d, t) = shown(d);
    assert!(t.contains("granted as activation #1"), "{t}");
    assert!(!t.contains("Enter decides"), "{t}");
    assert!(t.contains("1 used, 9 left"), "{t}");
    // All digits in, two groups wrong: no promise about "when all are in".
    ui(&mut d, Ui::NewEntry);
    let mut two_wrong = digits.clone();
    two_wrong[30] = (two_wrong[30] + 1) % 10;
    for x in &two_wrong {
        ui(&mut d, Ui::Digit(*x));
    }
    let (_, t) = shown(d);
    assert!(t.contains("appear once every group checks"), "{t}");
    assert!(!t.contains("appear when all 70 digits are in"), "{t}");
}

#[test]
fn n_after_a_continued_call_leaves_the_call_behind() {
    let demo = Demo::new();
    let mut d = demo.desk();
    ui(&mut d, Ui::Show(Screen::Calls));
    let complete = d
        .calls
        .list
        .iter()
        .position(|c| c.installation_id.is_some())
        .unwrap();
    ui(&mut d, Ui::CallsMove(complete as i32));
    ui(&mut d, Ui::CallsTake);
    let (mut d, t) = shown(d);
    assert!(t.contains("continuing call"), "{t}");
    ui(&mut d, Ui::Submit);
    ui(&mut d, Ui::NewEntry);
    let (_, t) = shown(d);
    assert!(!t.contains("continuing call"), "{t}");
}

#[test]
fn esc_wipes_the_id_and_ctrl_z_brings_it_back() {
    let demo = Demo::new();
    let iid = demo.iid(&demo.key("studio", "4711"), "studio", MACHINE_A);
    let mut d = demo.desk();
    ui(&mut d, Ui::Paste(iid.clone()));
    let mut input = IidInput::default();
    let esc = input.on(&key(Key::Esc)).unwrap();
    d.dispatch(esc);
    assert!(d.activation.digits.is_empty());
    assert!(d
        .activation
        .hint
        .as_deref()
        .unwrap()
        .contains("Ctrl-Z brings them back"));
    let z = input
        .on(&Event::Keyboard(KeyEvent::new(
            Key::Char('z'),
            KeyModifiers::CONTROL,
        )))
        .unwrap();
    d.dispatch(z);
    assert_eq!(d.activation.iid.as_deref(), Some(iid.as_str()));
    ui(&mut d, Ui::Undo);
    assert!(d
        .activation
        .hint
        .as_deref()
        .unwrap()
        .contains("nothing to bring back"));
}

#[test]
fn the_plain_confirmation_id_is_one_line_and_c_copies_it() {
    let demo = Demo::new();
    let iid = demo.iid(&demo.key("studio", "4711"), "studio", MACHINE_A);
    let mut d = demo.desk();
    ui(&mut d, Ui::Paste(iid));
    ui(&mut d, Ui::Submit);
    let cid = d.activation.decision.as_ref().unwrap().cid.clone().unwrap();
    // 159 characters in a 100-column panel: one line, cut and marked.
    let (m, t) = render(d, 100, 40);
    let plain: Vec<&str> = t.lines().filter(|l| l.contains(&cid[..23])).collect();
    assert_eq!(plain.len(), 1, "{t}");
    assert!(plain[0].contains('›'), "{t}");
    assert!(t.contains("scroll it"), "{t}");
    let mut d = m.desk;
    ui(&mut d, Ui::ScrollPlain(200));
    let (m, t) = render(d, 100, 40);
    assert!(
        t.contains(&cid[cid.len() - 30..]),
        "the end, scrolled to: {t}"
    );
    // Wide enough, it is the whole ID, as the caller types it.
    let (m, t) = render(m.desk, 200, 50);
    assert!(t.contains(&cid), "{t}");
    let mut d = m.desk;
    ui(&mut d, Ui::Copy(cid.clone()));
    assert_eq!(d.clipboard.as_deref(), Some(cid.as_str()));
}

#[test]
fn a_partner_key_stays_on_screen_until_the_dialog_is_closed() {
    let demo = Demo::new();
    let mut d = demo.desk();
    ui(&mut d, Ui::OpenDialog(Action::IssuePartnerKey));
    ui(&mut d, Ui::DialogPaste("partner demo".into()));
    ui(&mut d, Ui::DialogConfirm);
    ui(&mut d, Ui::DialogConfirm);
    let shown_key = d
        .dialog
        .as_ref()
        .and_then(|x| x.result.clone())
        .expect("kept in the dialog");
    assert!(shown_key.starts_with("issued partner key"), "{shown_key}");
    // Other messages come and go; the key stays.
    d.notify("something else", false);
    let (mut d, t) = shown(d);
    assert!(t.contains(&shown_key[..30]), "{t}");
    ui(&mut d, Ui::DialogCancel);
    assert!(d.dialog.is_none());
}

#[test]
fn a_call_left_undecided_goes_back_to_the_queue_and_x_dismisses_one() {
    let demo = Demo::new();
    let mut d = demo.desk();
    ui(&mut d, Ui::Show(Screen::Calls));
    assert_eq!(d.calls.list.len(), 2);
    ui(&mut d, Ui::CallsTake);
    assert_eq!(d.calls.list.len(), 1);
    // Quitting gives it back.
    d.dispatch(Msg::Quit);
    let mut d = demo.desk();
    ui(&mut d, Ui::Show(Screen::Calls));
    assert_eq!(d.calls.list.len(), 2, "back in the queue");
    // An agent dismisses a caller who hung up, with a reason.
    let mut agent = desk_with(demo.session_as(&os_user()));
    ui(&mut agent, Ui::Show(Screen::Calls));
    ui(&mut agent, Ui::OpenDialog(Action::DismissCall));
    ui(&mut agent, Ui::DialogPaste("the caller hung up".into()));
    ui(&mut agent, Ui::DialogNext);
    ui(&mut agent, Ui::DialogConfirm);
    assert!(agent.dialog.is_none(), "{:?}", agent.dialog);
    assert_eq!(agent.calls.list.len(), 1, "dismissed for good");
}
