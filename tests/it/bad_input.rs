//! Garbage in: a clear one-line error, exit 2 or 4, no panic, nothing stored changes.

use crate::support::*;
use std::process::Output;

fn refused(o: &Output, code: i32, needle: &str) {
    let e = err(o);
    assert_eq!(o.status.code(), Some(code), "stderr: {e}");
    assert!(!e.contains("panicked"), "{e}");
    assert_eq!(e.lines().count(), 1, "one line: {e}");
    assert!(e.contains(needle), "expected {needle:?} in: {e}");
}

#[test]
fn installation_ids_with_typing_errors_name_the_group() {
    let env = Env::demo();
    let key = env.issue(&["--product", "studio", "--activations", "2"]);
    let iid = env.iid("c", &sample("fingerprint-a.json"), &key, "studio");
    // One wrong digit in group 4: caught, named, and corrected.
    let mut chars: Vec<char> = iid.chars().collect();
    let pos = 3 * 8 + 2;
    chars[pos] = if chars[pos] == '9' {
        '0'
    } else {
        (chars[pos] as u8 + 1) as char
    };
    let typo: String = chars.into_iter().collect();
    let o = env.vendor(&["activate", &typo]);
    refused(
        &o,
        2,
        "group 4: check digit does not match — re-read group 4",
    );
    assert!(
        err(&o).contains(&format!("did you mean {iid}")),
        "{}",
        err(&o)
    );

    refused(
        &env.vendor(&["activate", "12345"]),
        2,
        "found 5 digits, expected 70",
    );
    refused(&env.vendor(&["activate", "1234567-12x4567"]), 2, "group 2");
    refused(&env.vendor(&["activate", ""]), 2, "nothing was entered");
}

#[test]
fn unknown_products_keys_and_agreements_are_named() {
    let env = Env::demo();
    refused(
        &env.vendor(&["key", "issue", "--product", "nope", "--activations", "1"]),
        2,
        "\"nope\" is not in the catalog",
    );
    refused(
        &env.vendor(&["key", "issue", "--product", "studio", "--agreement", "0000"]),
        2,
        "agreement 0000",
    );
    refused(
        &env.vendor(&["key", "show", "BCDFG-HJKMP-QRTVW-XY234-67890"]),
        2,
        "'0'",
    );
    let fp = sample("fingerprint-a.json");
    refused(
        &env.client(
            "c",
            &fp,
            &[
                "iid",
                "--key",
                "BCDFG-HJKMP-QRTVW-XY234-6789B",
                "--product",
                "studio",
            ],
        ),
        2,
        "checksum",
    );
    refused(
        &env.client("c", &fp, &["iid", "--key", "BCDFG", "--product", "nope"]),
        2,
        "not in the trust file",
    );
    refused(
        &env.client("c", &fp, &["confirm", "123"]),
        2,
        "no installation ID yet",
    );
}

#[test]
fn a_bad_fingerprint_file_names_line_and_column() {
    let env = Env::demo();
    let key = env.issue(&["--product", "studio", "--activations", "2"]);
    let bad = env.dir.path().join("fp.json");
    std::fs::write(&bad, "{\n  \"machine_id\": \"x\",\n  \"board\": 7\n}").unwrap();
    refused(
        &env.client("c", &bad, &["iid", "--key", &key, "--product", "studio"]),
        2,
        "line 3",
    );
}

#[test]
fn a_corrupt_or_newer_ledger_is_refused_and_left_untouched() {
    let env = Env::demo();
    if env.sqlite_only("a SQLite file's version and pages") {
        return;
    }
    let db = env.home().join("ledger.db");
    // Newer schema.
    let c = rusqlite::Connection::open(&db).unwrap();
    c.execute_batch("PRAGMA user_version = 99").unwrap();
    drop(c);
    refused(
        &env.vendor(&["catalog", "show"]),
        2,
        "newer than this actline understands",
    );
    // Garbage file.
    let _ = std::fs::remove_file(env.home().join("ledger.db-wal"));
    let _ = std::fs::remove_file(env.home().join("ledger.db-shm"));
    std::fs::write(&db, b"this is not a database, just some bytes to look at").unwrap();
    let before = std::fs::read(&db).unwrap();
    refused(
        &env.vendor(&["activate", "0000000-0000000"]),
        2,
        "installation ID",
    );
    refused(&env.vendor(&["catalog", "show"]), 2, "not a usable ledger");
    assert_eq!(std::fs::read(&db).unwrap(), before);
}

#[test]
fn truncated_client_state_is_reported_and_kept() {
    let env = Env::demo();
    let key = env.issue(&["--product", "studio", "--activations", "2"]);
    let fp = sample("fingerprint-a.json");
    env.iid("c", &fp, &key, "studio");
    let state = env.dir.path().join("c/state.json");
    let full = std::fs::read(&state).unwrap();
    std::fs::write(&state, &full[..full.len() / 2]).unwrap();
    let before = std::fs::read(&state).unwrap();
    refused(&env.client("c", &fp, &["status"]), 2, "corrupt state file");
    refused(
        &env.client("c", &fp, &["confirm", "1234567"]),
        2,
        "corrupt state file",
    );
    assert_eq!(std::fs::read(&state).unwrap(), before);
}

#[test]
fn secrets_readable_by_others_are_refused() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::demo();
    let key = env.home().join("secrets/signing.key");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    refused(
        &env.vendor(&["key", "issue", "--product", "studio", "--activations", "1"]),
        2,
        "readable by others",
    );
}

#[test]
fn a_catalog_with_an_error_is_refused_whole() {
    let env = Env::demo();
    let before = text(&env.vendor(&["catalog", "show", "--json"]));
    let f = env.dir.path().join("bad.toml");
    std::fs::write(&f, "[[product]]\nname = \"x\"\ncode = 5\nfamily = \"x\"\nversion = 1\nclass = \"desktop\"\n[[product]]\nname = \"y\"\ncode = 99999\nfamily = \"y\"\nversion = 1\nclass = \"desktop\"\n").unwrap();
    refused(
        &env.vendor(&["catalog", "load", f.to_str().unwrap()]),
        2,
        "bad.toml:9:8: product code 99999 is out of range",
    );
    assert_eq!(text(&env.vendor(&["catalog", "show", "--json"])), before);
}

#[test]
fn a_catalog_reload_never_drops_products_in_use() {
    let env = Env::demo();
    env.issue(&["--product", "notes", "--activations", "1"]);
    let f = env.dir.path().join("small.toml");
    std::fs::write(&f, "[[product]]\nname = \"studio\"\ncode = 101\nfamily = \"studio\"\nversion = 7\nclass = \"application\"\n").unwrap();
    refused(
        &env.vendor(&["catalog", "load", f.to_str().unwrap()]),
        2,
        "product notes (code 201) is used by keys",
    );
}

#[test]
fn garbage_on_every_command_never_panics() {
    let env = Env::demo();
    let garbage = [
        "",
        "\u{7}",
        "-",
        "9999999999999999999999999999999999999999999999999999999999999999999999",
        "ＡＢＣ",
        "1234567-1234567-1234567-1234567-1234567-1234567-1234567-1234567-1234567",
    ];
    for g in garbage {
        for args in [
            vec!["activate", g],
            vec!["key", "show", g],
            vec!["activation", "show", g],
            vec!["agreement", "show", g],
            vec!["advise", "--product", g, "--machines", "3"],
        ] {
            let o = env.vendor(&args);
            assert!(!err(&o).contains("panicked"), "{args:?}: {}", err(&o));
            assert!(
                matches!(o.status.code(), Some(2) | Some(3) | Some(4)),
                "{args:?}: {:?} {}",
                o.status.code(),
                err(&o)
            );
        }
    }
}
