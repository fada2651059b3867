//! Regressions of the ledger and the vendor commands (issue 9, "One seat per
//! machine, really"), each named after the bug it pins.
//!
//! The identity is the operating-system user (`actline::home::os_user()`),
//! with no override. To act as someone else's agent, or as nobody on the
//! staff list, a test makes the home through the library with another first
//! supervisor ("boss"), who then adds (or does not add) the OS user.

use crate::support::*;
use actline::entitlement::rules::Role;
use actline::home::{os_user, Home};
use actline::ledger::Ledger;
use std::path::Path;

fn json(o: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or(serde_json::Value::Null)
}

/// A demo home whose first supervisor is "boss"; the OS user is `me`
/// (`None`: not on the staff list).
fn staffed_home(me: Option<Role>) -> Env {
    assert_ne!(os_user(), "boss");
    let env = Env {
        dir: tempfile::tempdir().unwrap(),
    };
    let (_, mut ledger, _) = Home::at(env.home()).init("boss", true).unwrap();
    if let Some(role) = me {
        ledger.add_staff("boss", &os_user(), role).unwrap();
    }
    env
}

/// A key issued by boss through the library.
fn boss_key(env: &Env, limit: u32) -> String {
    let home = Home::at(env.home());
    let secrets = home.secrets().unwrap();
    let mut ledger = home.open_ledger(&secrets).unwrap();
    let studio = ledger.catalog().unwrap().by_name("studio").unwrap().clone();
    ledger
        .issue_key(
            "boss",
            &studio,
            actline::keys::KeyKind::Mak,
            Some("4711"),
            limit,
            &|k, c| secrets.key_secret(k, c),
        )
        .unwrap()
        .key
}

fn db(env: &Env) -> rusqlite::Connection {
    rusqlite::Connection::open(env.home().join("ledger.db")).unwrap()
}

fn refused(o: &std::process::Output, what: &str) {
    assert_eq!(o.status.code(), Some(2), "{what}: {}", err(o));
    assert!(err(o).contains("only"), "{what}: {}", err(o));
}

#[test]
fn an_agent_issued_a_key_for_a_million_activations() {
    let env = staffed_home(Some(Role::Agent));
    let key = boss_key(&env, 3);
    let o = env.vendor(&[
        "key",
        "issue",
        "--product",
        "studio",
        "--activations",
        "1000000",
    ]);
    refused(&o, "key issue");
    assert!(err(&o).contains("supervisors"), "{}", err(&o));
    let catalog = sample("catalog.toml");
    let agreements = sample("agreements.toml");
    for args in [
        vec!["catalog", "load", catalog.to_str().unwrap()],
        vec!["agreement", "load", agreements.to_str().unwrap()],
        vec!["key", "limit", &key, "1000000", "--reason", "r"],
        vec!["key", "revoke", &key, "--reason", "r"],
        vec!["staff", "add", "mallory", "--role", "supervisor"],
        vec!["staff", "add", &os_user(), "--role", "supervisor"],
    ] {
        refused(&env.vendor(&args), &args.join(" "));
    }
    // What agents do still works: activate, look up, release is refused.
    let iid = env.iid("m", &sample("fingerprint-a.json"), &key, "studio");
    let o = env.vendor(&["activate", &iid, "--json"]);
    assert!(o.status.success(), "{}", err(&o));
    let id = json(&o)["activation"].as_i64().unwrap().to_string();
    assert!(env.vendor(&["activation", "show", &id]).status.success());
    assert!(env.vendor(&["key", "show", &key]).status.success());
    assert!(env.vendor(&["audit", "show"]).status.success());
    refused(
        &env.vendor(&["activation", "release", &id, "--reason", "r"]),
        "release",
    );
    let o = env.vendor(&["audit", "verify"]);
    assert!(o.status.success(), "{}", err(&o));
}

#[test]
fn a_user_not_on_the_staff_list_turned_the_partner_agreement_into_an_enterprise_one() {
    let env = staffed_home(None);
    let changed = env.dir.path().join("a.toml");
    std::fs::write(
        &changed,
        actline::home::DEMO_AGREEMENTS.replace(
            "program = \"partner\"",
            "program = \"enterprise\"\nlevel = \"D\"",
        ),
    )
    .unwrap();
    let o = env.vendor(&["agreement", "load", changed.to_str().unwrap()]);
    refused(&o, "agreement load");
    assert!(err(&o).contains("not on the staff list"), "{}", err(&o));
    // Not staff: not even a lookup (the engine service's rule).
    refused(
        &env.vendor(&["agreement", "show", "9001"]),
        "agreement show",
    );
    let ledger = Ledger::open(&Home::at(env.home()).ledger_path()).unwrap();
    assert_eq!(
        ledger.agreements().unwrap().get("9001").unwrap().program,
        actline::entitlement::Program::Partner
    );
    drop(ledger);
    let key = boss_key(&env, 2);
    for args in [
        vec!["key", "issue", "--product", "studio", "--activations", "5"],
        vec!["key", "limit", &key, "9", "--reason", "r"],
        vec!["key", "revoke", &key, "--reason", "r"],
        vec!["staff", "add", &os_user(), "--role", "supervisor"],
    ] {
        refused(&env.vendor(&args), &args.join(" "));
    }
    let home = Home::at(env.home());
    let mut ledger = home.open_ledger(&home.secrets().unwrap()).unwrap();
    assert!(
        ledger.take_handover(1, &os_user()).is_err(),
        "only staff take calls"
    );
    assert!(
        ledger
            .audit(&os_user(), "key.limit", "1", "forged")
            .is_err(),
        "replayed actions cannot be written by hand"
    );
}

fn verify(env: &Env) -> std::process::Output {
    env.vendor(&["audit", "verify"])
}

fn assert_unverified(o: &std::process::Output, what: &str) {
    assert_eq!(o.status.code(), Some(4), "{what}: {} {}", text(o), err(o));
    assert!(!text(o).contains("intact"), "{what}: {}", text(o));
}

/// A demo home with a granted activation and an agent, verified intact.
fn busy_demo() -> (Env, String) {
    let env = Env::demo();
    let key = env.issue(&[
        "--product",
        "studio",
        "--activations",
        "5",
        "--agreement",
        "4711",
    ]);
    let iid = env.iid("m", &sample("fingerprint-a.json"), &key, "studio");
    assert!(env.vendor(&["activate", &iid]).status.success());
    assert!(env
        .vendor(&["staff", "add", "bob", "--role", "agent"])
        .status
        .success());
    let o = verify(&env);
    assert!(o.status.success(), "{}", err(&o));
    (env, key)
}

#[test]
fn audit_verify_said_intact_after_activations_were_deleted() {
    let (env, _) = busy_demo();
    env.sql(false, "DELETE FROM activations");
    let o = verify(&env);
    assert_unverified(&o, "deleted activations");
    assert!(err(&o).contains("activation #1"), "{}", err(&o));
}

#[test]
fn audit_verify_said_intact_after_a_limit_was_changed_in_the_database() {
    let (env, _) = busy_demo();
    env.sql(false, "UPDATE keys SET activation_limit = 999");
    let o = verify(&env);
    assert_unverified(&o, "limit 999");
    assert!(err(&o).contains("limit 999"), "{}", err(&o));
}

#[test]
fn audit_verify_said_intact_after_a_staff_role_was_changed_in_the_database() {
    let (env, _) = busy_demo();
    env.sql(false, "UPDATE staff SET role = 'supervisor'");
    let o = verify(&env);
    assert_unverified(&o, "bob promoted");
    assert!(err(&o).contains("bob"), "{}", err(&o));
}

#[test]
fn audit_verify_said_intact_after_a_revocation_or_a_release_was_undone() {
    let (env, key) = busy_demo();
    assert!(env
        .vendor(&["key", "revoke", &key, "--reason", "leaked"])
        .status
        .success());
    assert!(env
        .vendor(&["activation", "release", "1", "--reason", "new board"])
        .status
        .success());
    assert!(verify(&env).status.success());
    env.sql(false, "UPDATE keys SET revoked = 0");
    assert_unverified(&verify(&env), "revocation undone");
    env.sql(false, "UPDATE keys SET revoked = 1");
    env.sql(false, "UPDATE activations SET released = 0");
    assert_unverified(&verify(&env), "release undone");
}

#[test]
fn audit_verify_passed_corrupted_ledgers_that_integrity_check_calls_malformed() {
    let (env, _) = busy_demo();
    if env.sqlite_only("SQLite pages") {
        return;
    }
    let db_path = env.home().join("ledger.db");
    let good = std::fs::read(&db_path).unwrap();
    assert!(!env.home().join("ledger.db-wal").exists());
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let (mut malformed, mut caught) = (0, 0);
    for _ in 0..60 {
        let mut bad = good.clone();
        // Past the 100-byte header: damage inside pages.
        for _ in 0..8 {
            let at = 100 + (next() as usize) % (bad.len() - 100);
            bad[at] = next() as u8;
        }
        std::fs::write(&db_path, &bad).unwrap();
        let says_malformed = rusqlite::Connection::open_with_flags(
            &db_path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .and_then(|c| c.query_row("PRAGMA integrity_check", [], |r| r.get::<_, String>(0)))
        .map(|s| s != "ok")
        .unwrap_or(true);
        for f in ["ledger.db-wal", "ledger.db-shm"] {
            let _ = std::fs::remove_file(env.home().join(f));
        }
        std::fs::write(&db_path, &bad).unwrap();
        let o = verify(&env);
        if says_malformed {
            malformed += 1;
            assert!(
                !o.status.success(),
                "a malformed ledger verified: {}",
                text(&o)
            );
            assert!(!text(&o).contains("intact"), "{}", text(&o));
            caught += (o.status.code() == Some(4)) as usize;
        }
        for f in ["ledger.db-wal", "ledger.db-shm"] {
            let _ = std::fs::remove_file(env.home().join(f));
        }
    }
    assert!(malformed > 10, "only {malformed} of 60 were malformed");
    assert_eq!(
        caught, malformed,
        "every malformed ledger fails with exit 4"
    );
}

#[test]
fn batch_into_the_ledger_truncated_it() {
    let env = Env::demo();
    if env.sqlite_only("the SQLite file inside the home") {
        return;
    }
    let key = env.issue(&["--product", "studio", "--activations", "5"]);
    let iid = env.iid("m", &sample("fingerprint-a.json"), &key, "studio");
    let input = env.dir.path().join("in.txt");
    std::fs::write(&input, format!("{iid}\n")).unwrap();
    let ledger = env.home().join("ledger.db");
    let before = std::fs::read(&ledger).unwrap();
    let link = env.dir.path().join("looks-harmless.csv");
    std::os::unix::fs::symlink(&ledger, &link).unwrap();
    let hard = env.dir.path().join("hard.csv");
    std::fs::hard_link(env.home().join("trust.json"), &hard).unwrap();
    let dotted = env.home().join("secrets/../ledger.db");
    for out in [
        ledger.clone(),
        env.home().join("trust.json"),
        env.home().join("secrets/master.key"),
        env.home().join("new-results.csv"),
        dotted,
        link,
        hard,
    ] {
        let o = env.vendor(&["batch", input.to_str().unwrap(), out.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{}: {}", out.display(), err(&o));
        assert!(err(&o).contains("inside the vendor home"), "{}", err(&o));
    }
    assert!(!env.home().join("new-results.csv").exists());
    assert_eq!(
        std::fs::read(&ledger).unwrap(),
        before,
        "the ledger is untouched"
    );
    assert!(verify(&env).status.success());
    let out = env.dir.path().join("out.csv");
    let o = env.vendor(&["batch", input.to_str().unwrap(), out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", err(&o));
}

/// Runs `catalog show` against the file at HOME/ledger.db and checks it
/// was refused with its bytes unchanged and nothing beside it.
fn refused_untouched(env: &Env, what: &str, needle: &str) {
    let path = env.home().join("ledger.db");
    let before = std::fs::read(&path).unwrap();
    let o = env.vendor(&["catalog", "show"]);
    assert_eq!(o.status.code(), Some(2), "{what}: {}", err(&o));
    assert!(err(&o).contains(needle), "{what}: {}", err(&o));
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "{what}: bytes changed"
    );
    for f in ["ledger.db-wal", "ledger.db-shm", "ledger.db-journal"] {
        assert!(!env.home().join(f).exists(), "{what}: {f} left behind");
    }
}

fn replace_ledger(env: &Env, make: impl FnOnce(&Path)) {
    for f in ["ledger.db", "ledger.db-wal", "ledger.db-shm"] {
        let _ = std::fs::remove_file(env.home().join(f));
    }
    make(&env.home().join("ledger.db"));
}

#[test]
fn a_foreign_or_newer_ledger_was_switched_to_wal_before_being_refused() {
    let env = Env::demo();
    if env.sqlite_only("SQLite's journal modes and versions") {
        return;
    }
    replace_ledger(&env, |p| {
        let c = rusqlite::Connection::open(p).unwrap();
        c.execute_batch("CREATE TABLE notes(t TEXT); INSERT INTO notes VALUES ('mine');")
            .unwrap();
    });
    refused_untouched(&env, "a foreign database", "not an actline ledger");

    replace_ledger(&env, |p| {
        let c = rusqlite::Connection::open(p).unwrap();
        c.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0))
            .unwrap();
        c.execute_batch("CREATE TABLE notes(t TEXT); INSERT INTO notes VALUES ('mine');")
            .unwrap();
    });
    refused_untouched(&env, "a foreign WAL database", "not an actline ledger");

    let env = Env::demo();
    {
        let c = db(&env);
        c.query_row("PRAGMA journal_mode = DELETE", [], |r| {
            r.get::<_, String>(0)
        })
        .unwrap();
        c.execute_batch("PRAGMA user_version = 99").unwrap();
    }
    refused_untouched(&env, "a newer ledger", "newer than this actline");

    let env = Env::demo();
    {
        let c = db(&env);
        c.execute_batch("PRAGMA user_version = 99").unwrap();
    }
    refused_untouched(
        &env,
        "a newer ledger in WAL mode",
        "newer than this actline",
    );
}

#[test]
fn a_corrupt_row_was_read_as_a_permissive_default() {
    let env = Env::demo();
    let key = env.issue(&["--product", "studio", "--activations", "5"]);
    let iid = env.iid("m", &sample("fingerprint-a.json"), &key, "studio");
    assert!(env.vendor(&["activate", &iid]).status.success());
    env.sql(false, "UPDATE keys SET kind = 'gold'");
    let serial = env.sql(false, "SELECT serial FROM keys");
    let o = env.vendor(&["key", "show", &key]);
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(
        err(&o).contains(&format!("keys row {serial}, column kind")),
        "{}",
        err(&o)
    );
    let o = env.vendor(&["activate", &iid]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "no decision on a corrupt key: {}",
        err(&o)
    );
    env.sql(false, "UPDATE activations SET trace = 'not json'");
    let o = env.vendor(&["activation", "show", "1"]);
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(
        err(&o).contains("activations row 1, column trace"),
        "{}",
        err(&o)
    );
}

#[test]
fn a_revoked_key_showed_seats_left_and_took_a_new_limit() {
    let env = Env::demo();
    let key = env.issue(&[
        "--product",
        "studio",
        "--activations",
        "5",
        "--agreement",
        "4711",
    ]);
    let o = env.vendor(&["key", "revoke", &key, "--reason", "leaked"]);
    assert!(o.status.success(), "{}", err(&o));
    let o = env.vendor(&["key", "show", &key]);
    assert!(text(&o).contains("revoked: 0 used, 0 left"), "{}", text(&o));
    assert_eq!(
        json(&env.vendor(&["key", "show", &key, "--json"]))["left"],
        0
    );
    let o = env.vendor(&["agreement", "show", "4711"]);
    let line = text(&o)
        .lines()
        .find(|l| l.contains(&key))
        .unwrap_or_default()
        .to_string();
    assert!(line.contains("0 left (revoked)"), "{}", text(&o));
    let o = env.vendor(&["key", "limit", &key, "50", "--reason", "more"]);
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(err(&o).contains("revoked"), "{}", err(&o));
    let o = env.vendor(&["key", "revoke", &key, "--reason", "again"]);
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(err(&o).contains("already revoked"), "{}", err(&o));
    assert!(
        err(&o).contains(&format!("by {} (leaked)", os_user())),
        "{}",
        err(&o)
    );
    assert!(!err(&o).contains("no unrevoked key"), "{}", err(&o));
}

#[test]
fn activation_show_did_not_say_released() {
    let env = Env::demo();
    let key = env.issue(&["--product", "studio", "--activations", "5"]);
    let iid = env.iid("m", &sample("fingerprint-a.json"), &key, "studio");
    assert!(env.vendor(&["activate", &iid]).status.success());
    assert!(!text(&env.vendor(&["activation", "show", "1"])).contains("released"));
    assert!(env
        .vendor(&["activation", "release", "1", "--reason", "new board"])
        .status
        .success());
    let o = env.vendor(&["activation", "show", "1"]);
    assert!(
        text(&o).contains("seat             released"),
        "{}",
        text(&o)
    );
}

#[test]
fn a_world_writable_home_or_secrets_directory_was_accepted() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::demo();
    let chmod =
        |p: &Path, m: u32| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
    let home = env.home();
    let secrets = home.join("secrets");
    for (dir, mode) in [
        (&home, 0o777),
        (&home, 0o720),
        (&secrets, 0o755),
        (&secrets, 0o770),
    ] {
        chmod(dir, mode);
        for args in [
            &["catalog", "show"][..],
            &["key", "issue", "--product", "studio", "--activations", "1"],
        ] {
            let o = env.vendor(args);
            assert_eq!(o.status.code(), Some(2), "{mode:o}: {}", err(&o));
            assert!(
                err(&o).contains(&format!("chmod 700 {}", dir.display())),
                "{mode:o}: {}",
                err(&o)
            );
        }
        chmod(dir, 0o700);
    }
    assert!(env.vendor(&["catalog", "show"]).status.success());
}

#[test]
fn a_permission_error_on_the_home_said_no_ledger_here() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::demo();
    let root = std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"));
    let o = if root {
        // Root reads everything: run as nobody instead (the home is 0700 and
        // owned by root).
        if std::process::Command::new("setpriv")
            .arg("--version")
            .output()
            .is_err()
        {
            eprintln!("skipped: root without setpriv");
            return;
        }
        std::process::Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(env!("CARGO_BIN_EXE_actline"))
            .arg("--home")
            .arg(env.home())
            .args(["catalog", "show"])
            .env_remove("ACTLINE_HOME")
            .output()
            .unwrap()
    } else {
        std::fs::set_permissions(env.home(), std::fs::Permissions::from_mode(0o000)).unwrap();
        let o = env.vendor(&["catalog", "show"]);
        std::fs::set_permissions(env.home(), std::fs::Permissions::from_mode(0o700)).unwrap();
        o
    };
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(!err(&o).contains("no ledger here"), "{}", err(&o));
    assert!(err(&o).contains("ermission denied"), "{}", err(&o));
    assert!(
        err(&o).contains(&env.home().display().to_string()),
        "{}",
        err(&o)
    );
}

#[test]
fn a_full_disk_was_reported_as_not_a_usable_ledger() {
    // Needs root (mount); the unit test of the same name in crates/engine/src/ledger
    // covers the mapping with a real SQLITE_FULL everywhere else.
    let env = Env {
        dir: tempfile::tempdir().unwrap(),
    };
    let mnt = env.dir.path().to_path_buf();
    let Some(_guard) = Tmpfs::mount(&mnt, "4m") else {
        eprintln!("skipped: cannot mount a tmpfs here (not root?)");
        return;
    };
    let o = env.vendor(&["init", "--demo"]);
    assert!(o.status.success(), "{}", err(&o));
    let key = env.issue(&["--product", "studio", "--activations", "5"]);
    let iid = env.iid("m", &sample("fingerprint-a.json"), &key, "studio");
    let filler = mnt.join("filler");
    // No space at all (the WAL index cannot be made), then a little (the
    // WAL cannot take the commit).
    for spare_kib in [0, 40] {
        fill_up(&filler, spare_kib);
        let o = env.vendor(&["activate", &iid]);
        assert_eq!(o.status.code(), Some(1), "{spare_kib} KiB: {}", err(&o));
        assert!(
            err(&o).contains("disk holding the ledger is full"),
            "{}",
            err(&o)
        );
        assert!(!err(&o).contains("not a usable ledger"), "{}", err(&o));
        std::fs::remove_file(&filler).unwrap();
    }
    let o = verify(&env);
    assert!(o.status.success(), "nothing half-written: {}", err(&o));
    assert!(text(&env.vendor(&["key", "show", &key])).contains("0 used"));
}
