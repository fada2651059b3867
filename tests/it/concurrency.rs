//! Many processes racing for the last seats never over-grant; a batch killed
//! mid-way leaves a consistent ledger.

use crate::support::*;
use actline::client::Trust;
use actline::ids::InstallationId;
use actline::keys::ProductKey;
use std::process::Stdio;

#[test]
fn forty_processes_racing_for_a_10_seat_key_get_exactly_10_grants() {
    let env = Env::demo();
    let key = env.issue(&["--product", "studio", "--activations", "10"]);
    let machines = distinct_machines(40);
    let iids: Vec<String> = machines
        .iter()
        .enumerate()
        .map(|(n, m)| {
            env.iid(
                &format!("s{n}"),
                &env.machine(&format!("m{n}"), m),
                &key,
                "studio",
            )
        })
        .collect();
    let home = env.home();
    let children: Vec<_> = iids
        .iter()
        .map(|iid| spawn_activate(&["--home".as_ref(), home.as_os_str()], iid))
        .collect();
    let (granted, denied) = tally(children, by_exit);
    assert_eq!((granted, denied), (10, 30));
    let shown = text(&env.vendor(&["key", "show", &key]));
    assert!(shown.contains("10 used, 0 left of 10"), "{shown}");
}

#[test]
fn a_batch_killed_mid_way_leaves_seats_equal_to_grants_and_every_printed_id_recorded() {
    let env = Env::demo();
    let key = env.issue(&["--product", "notes", "--activations", "100000"]);
    let trust = Trust::load(&env.home().join("trust.json")).unwrap();
    let salt = trust.salt();
    let k = ProductKey::parse(&key).unwrap();
    let lines: Vec<String> = (0..20_000)
        .map(|n| {
            format!(
                "pc-{n},{}",
                InstallationId::new(
                    201,
                    &k,
                    machine(n).hash(&salt, k.serial()),
                    actline::days::today()
                )
            )
        })
        .collect();
    let input = env.dir.path().join("in.csv");
    let output = env.dir.path().join("out.csv");
    std::fs::write(&input, lines.join("\n")).unwrap();
    let mut child = bin()
        .arg("--home")
        .arg(env.home())
        .args([
            "batch",
            input.to_str().unwrap(),
            output.to_str().unwrap(),
            "--chunk",
            "25",
        ])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once some results are out, mid-run.
    let start = std::time::Instant::now();
    loop {
        let n = std::fs::read_to_string(&output)
            .map(|s| s.lines().count())
            .unwrap_or(0);
        if n > 200 || start.elapsed().as_secs() > 60 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let (grants, printed) = batch_left_consistent(&env, &key, &output);
    assert!(
        grants < 20_000,
        "the batch was killed before the end ({grants} grants)"
    );
    assert!(printed > 0);
}

/// `key issue` run while another connection holds the ledger's write lock
/// for `hold_ms`; its output. On SQLite the holder is a connection in
/// `BEGIN IMMEDIATE`, as a long batch or `sqlite3` holds it; on PostgreSQL a
/// psql session holding the writers' advisory lock.
fn issue_while_locked(env: &Env, hold_ms: u64) -> std::process::Output {
    let issue = || {
        bin()
            .arg("--home")
            .arg(env.home())
            .args(["key", "issue", "--product", "studio", "--activations", "3"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let o = match env.ledger_url() {
        None => {
            let holder = rusqlite::Connection::open(env.home().join("ledger.db")).unwrap();
            holder.execute_batch("BEGIN IMMEDIATE").unwrap();
            let issue = issue();
            std::thread::sleep(std::time::Duration::from_millis(hold_ms));
            holder.execute_batch("ROLLBACK").unwrap();
            issue.wait_with_output().unwrap()
        }
        Some(url) => {
            // The lock actline's writers take ("actline" in ASCII).
            let sql = format!(
                "BEGIN; SELECT pg_advisory_xact_lock(27412424427138661); SELECT pg_sleep({}); COMMIT;",
                hold_ms as f64 / 1000.0
            );
            let mut holder = std::process::Command::new("psql")
                .args([&url, "-qXtA", "-c", &sql])
                .stdout(Stdio::null())
                .spawn()
                .unwrap();
            let held = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted";
            let start = std::time::Instant::now();
            while psql(&url, held) == "0" && start.elapsed().as_secs() < 10 {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            let issue = issue();
            let o = issue.wait_with_output().unwrap();
            holder.wait().unwrap();
            o
        }
    };
    assert!(o.status.success(), "{}", err(&o));
    o
}

#[test]
fn a_command_waiting_over_a_second_for_a_locked_ledger_says_so_then_goes_on() {
    let env = Env::demo();
    let o = issue_while_locked(&env, 2_500);
    let said = err(&o);
    assert!(said.contains("waiting for the ledger"), "{said}");
    assert!(said.contains("another process is writing to it"), "{said}");
    assert_eq!(said.lines().count(), 1, "said once: {said}");
    assert!(ProductKey::parse(text(&o).trim()).is_ok(), "{}", text(&o));
}

#[test]
fn a_short_lock_passes_without_a_word() {
    let env = Env::demo();
    let o = issue_while_locked(&env, 200);
    assert_eq!(err(&o), "", "no notice for a short wait");
}
