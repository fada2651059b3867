//! The agent desk's speed, in process: a keypress through `update` to a
//! drawn frame (target well under 16 ms), a read-back step on a granted
//! decision, and start-up (open the ledger, mount, first frame; target under
//! 200 ms). Frames are drawn into tui-realm's test terminal, so this measures
//! the desk's own work, not the terminal's. `tests/console_e2e.sh` measures
//! the same through a real pseudo-terminal.

use actline::home::Home;
use actline::ids::InstallationId;
use actline::keys::ProductKey;
use actline_desk as console;
use console::app::Model;
use console::desk::Desk;
use console::msg::{Intent, Msg, ReadBack, Ui};
use console::session::Session;
use criterion::{criterion_group, criterion_main, Criterion};
use tuirealm::listener::EventListenerCfg;
use tuirealm::ratatui::layout::Size;
use tuirealm::terminal::TestTerminalAdapter;

fn demo() -> (tempfile::TempDir, Home, String) {
    let dir = tempfile::tempdir().unwrap();
    let home = Home::at(dir.path().join("vendor"));
    console::demo::create(&home).unwrap();
    let text = std::fs::read_to_string(home.dir().join(console::demo::KEYS_FILE)).unwrap();
    let key = text
        .lines()
        .find(|l| l.starts_with("studio 4711 "))
        .and_then(|l| l.split_whitespace().nth(2))
        .unwrap();
    let key = ProductKey::parse(key).unwrap();
    let hw = actline::fingerprint::HardwareHash::numbered(1);
    let iid = InstallationId::new(101, &key, hw, actline::days::today()).to_string();
    (dir, home, iid)
}

fn model(home: &Home) -> Model<TestTerminalAdapter> {
    let local = actline::service::Local::new(home.clone(), actline::home::os_user());
    let engine = Box::new(move |r| local.call(&r, None));
    let place = home.ledger_path().display().to_string();
    let mut desk = Desk::new(Box::new(Session::new(engine, place)));
    desk.dispatch(Msg::Intent(Intent::Connect));
    let mut m = Model::new(
        desk,
        TestTerminalAdapter::new(Size::new(120, 40)).unwrap(),
        EventListenerCfg::default(),
    )
    .unwrap();
    m.view().unwrap();
    m
}

fn bench(c: &mut Criterion) {
    let (_dir, home, iid) = demo();
    let digits: Vec<u8> = iid
        .chars()
        .filter_map(|c| c.to_digit(10).map(|d| d as u8))
        .collect();

    let mut m = model(&home);
    let mut i = 0usize;
    c.bench_function("keypress to frame (digit, 120x40)", |b| {
        b.iter(|| {
            if i == digits.len() {
                m.desk.dispatch(Msg::Ui(Ui::ClearIid));
                i = 0;
            }
            m.desk.dispatch(Msg::Ui(Ui::Digit(digits[i])));
            i += 1;
            m.view().unwrap();
        })
    });

    let mut m = model(&home);
    m.desk.dispatch(Msg::Ui(Ui::Paste(iid.clone())));
    m.desk.dispatch(Msg::Ui(Ui::Submit));
    m.desk.dispatch(Msg::Ui(Ui::ReadBack(ReadBack::Toggle)));
    let mut forward = true;
    c.bench_function("read-back step to frame (granted, 120x40)", |b| {
        b.iter(|| {
            let step = if forward {
                ReadBack::Next
            } else {
                ReadBack::Prev
            };
            forward = !forward;
            m.desk.dispatch(Msg::Ui(Ui::ReadBack(step)));
            m.view().unwrap();
        })
    });

    c.bench_function("start-up: open the ledger, mount, first frame", |b| {
        b.iter(|| model(&home))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
