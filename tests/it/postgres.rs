//! The ledger on a real PostgreSQL server: the throwaway cluster
//! `scripts/with-postgres.sh` starts (its URL in `ACTLINE_TEST_PG`), one new
//! database per test.

use crate::support::*;
use std::process::{Command, Stdio};

/// The cluster's URL; these tests need one.
fn cluster() -> String {
    std::env::var("ACTLINE_TEST_PG").expect(
        "the PostgreSQL tests need a server: run them as `scripts/with-postgres.sh cargo test --release`",
    )
}

/// A new, empty database named `name`; its URL.
fn database(name: &str) -> String {
    let url = cluster();
    let o = Command::new("psql")
        .args([
            url.as_str(),
            "-qX",
            "-c",
            &format!("DROP DATABASE IF EXISTS t_{name}"),
            "-c",
            &format!("CREATE DATABASE t_{name}"),
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "psql: {}", err(&o));
    format!("{}/t_{name}", url.rsplit_once('/').unwrap().0)
}

/// A fresh home whose ledger is in database `name`.
fn demo_on(name: &str) -> Env {
    let e = Env {
        dir: tempfile::tempdir().unwrap(),
    };
    let o = e.vendor(&["--ledger", &database(name), "init", "--demo"]);
    assert!(o.status.success(), "init: {}", err(&o));
    e
}

#[test]
fn forty_processes_racing_on_a_postgres_ledger_for_a_10_seat_key_get_exactly_10_grants() {
    let env = demo_on("race");
    assert!(
        !env.home().join("ledger.db").exists(),
        "no SQLite file beside a server ledger"
    );
    let key = env.issue(&["--product", "studio", "--activations", "10"]);
    let iids: Vec<String> = distinct_machines(40)
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
    let children: Vec<_> = iids
        .iter()
        .map(|iid| {
            bin()
                .arg("--home")
                .arg(env.home())
                .args(["activate", iid, "--json"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let (mut granted, mut denied) = (0, 0);
    for c in children {
        let o = c.wait_with_output().unwrap();
        match o.status.code() {
            Some(0) => granted += 1,
            Some(3) => denied += 1,
            other => panic!("unexpected exit {other:?}: {}", err(&o)),
        }
    }
    assert_eq!((granted, denied), (10, 30));
    let shown = text(&env.vendor(&["key", "show", &key]));
    assert!(shown.contains("10 used, 0 left of 10"), "{shown}");
    let v = env.vendor(&["audit", "verify"]);
    assert!(v.status.success(), "{}", err(&v));
    assert!(text(&v).contains("audit trail intact"), "{}", text(&v));
}

#[test]
fn ledger_copy_moves_a_sqlite_ledger_to_postgres_with_its_chain_and_refuses_a_second_time() {
    let env = Env::demo();
    let key = env.issue(&["--product", "studio", "--activations", "5"]);
    let iid = env.iid("s", &sample("fingerprint-a.json"), &key, "studio");
    assert!(env.vendor(&["activate", &iid]).status.success());
    let before = text(&env.vendor(&["audit", "verify"]));
    let url = database("copied");
    let o = env.vendor(&["ledger", "copy", "--to", &url]);
    assert!(o.status.success(), "copy: {}", err(&o));
    assert!(text(&o).contains("uses postgres://"), "{}", text(&o));
    // The home now uses the copy: same seats, a chain one entry longer
    // (the copy's own audit entry), verified there.
    let shown = text(&env.vendor(&["key", "show", &key]));
    assert!(shown.contains("1 used, 4 left of 5"), "{shown}");
    let after = env.vendor(&["audit", "verify"]);
    assert!(after.status.success(), "{}", err(&after));
    assert_ne!(text(&after), before);
    // The same installation ID again gets the same grant, from the copy.
    let again = env.vendor(&["activate", &iid, "--json"]);
    assert!(again.status.success(), "{}", err(&again));
    assert!(
        text(&again).contains("\"activation\": 1"),
        "{}",
        text(&again)
    );
    // A ledger with anything in it is never copied into.
    let other = Env::demo();
    let o = other.vendor(&["ledger", "copy", "--to", &url]);
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(err(&o).contains("already exists"), "{}", err(&o));
}

#[test]
fn an_unreachable_wrong_or_foreign_database_gets_one_line_and_never_shows_the_password() {
    let env = Env {
        dir: tempfile::tempdir().unwrap(),
    };
    // Nothing listens on port 1.
    let o = env.vendor(&[
        "--ledger",
        "postgres://actline:hunter2@127.0.0.1:1/x?connect_timeout=2",
        "init",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    let e = err(&o);
    assert!(e.contains("cannot reach the ledger's database"), "{e}");
    assert!(!e.contains("hunter2"), "{e}");
    assert_eq!(e.lines().count(), 1, "{e}");
    assert!(!env.home().join("secrets").exists(), "no half-made home");
    // A database that holds something else.
    let url = database("foreign");
    let made = Command::new("psql")
        .args([url.as_str(), "-qXc", "CREATE TABLE invoices (id int)"])
        .output()
        .unwrap();
    assert!(made.status.success());
    let o = env.vendor(&["--ledger", &url, "init"]);
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(err(&o).contains("not an actline ledger"), "{}", err(&o));
    // A database with no ledger, named for a command that needs one.
    let empty = database("empty");
    let demo = Env::demo();
    let o = demo.vendor(&["--ledger", &empty, "key", "list"]);
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(
        err(&o).contains("no ledger in this database"),
        "{}",
        err(&o)
    );
}
