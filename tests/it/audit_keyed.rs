//! The keyed audit trail (issue 11, "The engine as a service"): someone who
//! can write the ledger file but not read the home's secrets edits a row,
//! makes the trail explain the edit and recomputes the chain the way actline
//! hashed it before schema version 5 (plain SHA-256). `audit verify` must
//! fail, naming the entry. A schema version 4 ledger made by the last
//! actline before the key (`tests/fixtures/ledger-v4.sql`) still verifies
//! after the upgrade, and its old part is pinned by the keyed anchor.

use crate::support::*;
use actline::entitlement::rules::Role;
use actline::home::{os_user, Home};
use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};

/// An entry's hash as actline wrote every entry before schema version 5:
/// SHA-256 over the previous hash and the fields, each preceded by its
/// length as 8 big-endian bytes.
#[allow(clippy::too_many_arguments)]
fn old_hash(
    prev: &str,
    id: i64,
    at: &str,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &str,
    data: Option<&str>,
) -> String {
    let id = id.to_string();
    let mut h = Sha256::new();
    let mut parts = vec![prev, &id, at, actor, action, subject, detail];
    parts.extend(data);
    for p in parts {
        h.update((p.len() as u64).to_be_bytes());
        h.update(p.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

type Row = (
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
);

fn rows(db: &Connection, from: i64, to: i64) -> Vec<Row> {
    db.prepare("SELECT id, at, actor, action, subject, detail, prev, hash, data FROM audit WHERE id BETWEEN ?1 AND ?2 ORDER BY id")
        .unwrap()
        .query_map([from, to], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
                r.get(8)?,
            ))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn head_before(db: &Connection, id: i64) -> String {
    db.query_row("SELECT hash FROM audit WHERE id = ?1", [id - 1], |r| {
        r.get(0)
    })
    .optional()
    .unwrap()
    .unwrap_or_else(|| "0".repeat(64))
}

/// Recomputes entries `from..=to` the old way, each chaining the one before.
fn rechain_old_way(db: &Connection, from: i64, to: i64) {
    db.execute_batch("DROP TRIGGER IF EXISTS audit_no_update")
        .unwrap();
    let mut prev = head_before(db, from);
    for (id, at, actor, action, subject, detail, _, _, data) in rows(db, from, to) {
        let h = old_hash(
            &prev,
            id,
            &at,
            &actor,
            &action,
            &subject,
            &detail,
            data.as_deref(),
        );
        db.execute(
            "UPDATE audit SET prev = ?1, hash = ?2 WHERE id = ?3",
            params![prev, h, id],
        )
        .unwrap();
        prev = h;
    }
}

/// Entries `from..=to` chain the old way (what `audit verify` checked
/// before schema version 5).
fn chains_old_way(db: &Connection, from: i64, to: i64) -> bool {
    let mut prev = head_before(db, from);
    for (id, at, actor, action, subject, detail, p, h, data) in rows(db, from, to) {
        if p != prev
            || old_hash(
                &p,
                id,
                &at,
                &actor,
                &action,
                &subject,
                &detail,
                data.as_deref(),
            ) != h
        {
            return false;
        }
        prev = h;
    }
    true
}

fn last_entry(db: &Connection) -> i64 {
    db.query_row("SELECT max(id) FROM audit", [], |r| r.get(0))
        .unwrap()
}

fn failed_naming(o: &std::process::Output, what: &str) {
    assert_eq!(o.status.code(), Some(4), "{}", err(o));
    assert!(err(o).contains(what), "wanted {what:?}: {}", err(o));
}

#[test]
fn a_grant_edited_into_a_denial_and_rechained_the_old_way_passed_audit_verify() {
    let env = Env::demo();
    if env.sqlite_only("the hashing of SQLite ledgers before schema version 5") {
        return;
    }
    let key = env.issue(&["--product", "studio", "--activations", "1"]);
    let iid = env.iid("m", &sample("fingerprint-a.json"), &key, "studio");
    let o = env.vendor(&["activate", &iid]);
    assert!(o.status.success(), "{}", err(&o));
    let o = env.vendor(&["audit", "verify"]);
    assert!(o.status.success(), "{}", err(&o));
    // The seat taken back: the grant becomes a denial, its entry is made to
    // say so, and the chain is recomputed from there on.
    let db = Connection::open(env.home().join("ledger.db")).unwrap();
    let entry: i64 = db
        .query_row("SELECT id FROM audit WHERE action = 'activate'", [], |r| {
            r.get(0)
        })
        .unwrap();
    db.execute_batch(&format!(
        "UPDATE activations SET decision = 'denied', new_seat = 0, confirmation_id = NULL;
         DROP TRIGGER audit_no_update;
         UPDATE audit SET detail = 'denied', data = replace(replace(data, '\"granted\"', '\"denied\"'), '\"new_seat\":true', '\"new_seat\":false') WHERE id = {entry};"
    ))
    .unwrap();
    let end = last_entry(&db);
    rechain_old_way(&db, entry, end);
    assert!(chains_old_way(&db, entry, end), "a competent forgery");
    failed_naming(
        &env.vendor(&["audit", "verify"]),
        &format!("audit entry {entry} does not chain"),
    );
    // Recomputing the whole trail, its first (keyed) entry included.
    rechain_old_way(&db, 1, end);
    assert!(chains_old_way(&db, 1, end));
    failed_naming(
        &env.vendor(&["audit", "verify"]),
        "entry 1 is not the anchor",
    );
}

#[test]
fn a_trail_cut_to_pass_for_one_from_before_the_key_was_anchored_again() {
    let env = Env::demo();
    if env.sqlite_only("SQLite's schema versions before the keyed trail") {
        return;
    }
    let db = Connection::open(env.home().join("ledger.db")).unwrap();
    // Set back to version 4: the trail, and the columns versions 5 and 6 added.
    db.execute_batch(
        "DROP TRIGGER audit_no_delete; DELETE FROM audit;
         ALTER TABLE handovers DROP COLUMN held_until;
         ALTER TABLE handovers DROP COLUMN ended_at;
         ALTER TABLE handovers DROP COLUMN ended;
         PRAGMA user_version = 4;",
    )
    .unwrap();
    drop(db);
    for args in [vec!["audit", "verify"], vec!["staff", "list"]] {
        failed_naming(&env.vendor(&args), "keyed from entry 1 on");
    }
    let db = Connection::open(env.home().join("ledger.db")).unwrap();
    let n: i64 = db
        .query_row("SELECT count(*) FROM audit", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 0, "no second anchor");
}

#[test]
fn a_version_4_ledger_lost_its_old_entries_or_their_protection_in_the_upgrade() {
    let dir = tempfile::tempdir().unwrap();
    let env = Env { dir };
    let home = Home::at(env.home());
    let secrets = home.create().unwrap();
    let db = Connection::open(home.ledger_path()).unwrap();
    db.execute_batch(include_str!("../fixtures/ledger-v4.sql"))
        .unwrap();
    let old: Vec<String> = rows(&db, 1, i64::MAX).into_iter().map(|r| r.7).collect();
    assert_eq!(old.len(), 9);
    assert!(chains_old_way(&db, 1, 9));
    drop(db);
    // The upgrade is the first open with the home's key, as in every command.
    let mut ledger = home.open_ledger(&secrets).unwrap();
    let anchor = ledger.audit_anchor().unwrap().clone();
    assert_eq!(anchor.id, 10, "one keyed entry after the nine old ones");
    if os_user() != "root" {
        // The fixture's supervisor is root; `audit verify` wants staff.
        ledger
            .add_staff("root", &os_user(), Role::Supervisor)
            .unwrap();
    }
    drop(ledger);
    let o = env.vendor(&["audit", "verify"]);
    assert!(o.status.success(), "{}", err(&o));
    let db = Connection::open(home.ledger_path()).unwrap();
    let now = rows(&db, 1, i64::MAX);
    assert_eq!(
        now.iter().take(9).map(|r| r.7.clone()).collect::<Vec<_>>(),
        old,
        "old entries untouched"
    );
    assert_eq!(now[9].3, "audit.keyed");
    assert_eq!(now[9].6, old[8], "the anchor chains the old head");
    assert!(
        text(&o).contains(&format!("{} entries chain", now.len())),
        "{}",
        text(&o)
    );
    let v: i64 = db
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        v,
        actline::ledger::SCHEMA_VERSION,
        "upgraded to this build's schema"
    );
    // Work goes on on top, keyed.
    let o = env.vendor(&["staff", "add", "carol", "--role", "agent"]);
    assert!(o.status.success(), "{}", err(&o));
    let o = env.vendor(&["audit", "verify"]);
    assert!(o.status.success(), "{}", err(&o));
    // The old part rewritten the old way (the limit raised to 30, not 3):
    // it chains as before, but the anchor no longer does.
    db.execute_batch(
        "UPDATE keys SET activation_limit = 30;
         DROP TRIGGER audit_no_update;
         UPDATE audit SET detail = replace(detail, '-> 3', '-> 30'), data = replace(data, '\"limit\":3', '\"limit\":30') WHERE id = 7;",
    )
    .unwrap();
    rechain_old_way(&db, 7, 9);
    assert!(chains_old_way(&db, 1, 9));
    failed_naming(
        &env.vendor(&["audit", "verify"]),
        "audit entry 10 does not chain",
    );
}
