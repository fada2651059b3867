//! The audit trail: append-only, hash-chained, keyed, and replayable.
//!
//! Every entry written since schema version 3 carries `data`: a JSON object
//! with what the change did (a key's serial, kind and limit; an
//! activation's key and whether it took a seat; a staff member's role; a
//! digest of the loaded catalog). [`verify`] replays those entries and
//! compares the result with the tables, so a row changed, added or deleted
//! outside actline shows. A ledger upgraded from an older schema gets one
//! `ledger.upgrade` entry holding the state it had then; replay starts there.
//!
//! # The keyed chain (schema version 5)
//!
//! Each entry's hash covers the previous entry's hash and all its own
//! fields. Since schema version 5 it is HMAC-SHA-256 under the home's
//! [`AuditKey`] (derived from the master secret in `HOME/secrets/`). The
//! first keyed entry is the *anchor*, an `audit.keyed` entry: on a new
//! ledger it is entry 1; on an upgraded one it follows the old entries, and
//! since it chains the old head's hash, the old SHA-256 entries are pinned
//! by a keyed hash too. They keep verifying as they were written. The home
//! records the anchor (`HOME/secrets/audit.anchor`, see
//! `Home::open_ledger`), so a ledger whose keyed part was cut off, to pass
//! for one from before the upgrade, is refused rather than anchored again.
//!
//! What that guarantees, and what not, is on [`AuditKey`].

use super::db::{vals, Db, Row};
use super::LedgerError;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// One audit entry.
#[derive(Clone, Debug, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct AuditEntry {
    /// Sequence number.
    pub id: i64,
    /// UTC time.
    pub at: String,
    /// Who (operating-system user, or "self-service").
    pub actor: String,
    /// What (for example `key.limit`).
    pub action: String,
    /// On what.
    pub subject: String,
    /// Details and reason.
    pub detail: String,
    /// Hash of this entry (chains the previous one).
    pub hash: String,
}

/// The secret the audit chain is keyed with (HMAC-SHA-256), derived from
/// the home's master secret (`Secrets::audit_key`). A ledger appends and
/// verifies only once it has one ([`super::Ledger::with_audit_key`]).
///
/// What keying guarantees against someone who can write the ledger file
/// but can neither read the home's secrets nor change its secrets
/// directory (where the anchor is recorded):
///
/// - they cannot change, insert, reorder or remove an entry that has a
///   later entry, nor append one, without [`super::Ledger::verify_audit`]
///   failing: a keyed hash cannot be made without the key, and the old
///   SHA-256 entries of an upgraded ledger are pinned by the keyed anchor,
///   so recomputing them the old way breaks the anchor;
/// - they cannot change what replay compares with the tables (keys,
///   limits, revocations, staff and roles; each activation's key,
///   decision, seat and release; the catalog; the agreements) without it
///   failing, since they cannot write an entry that explains the change;
/// - they cannot cut off the keyed part to pass the ledger off as one from
///   before the upgrade and have it anchored again: the home refuses a
///   trail without the anchor it recorded;
/// - they *can* cut the newest entries from the end, with the changes
///   those entries explain (put back an older copy of the file): what is
///   left is a shorter ledger that verifies. The defence is the newest
///   entry's hash that verification prints: record it elsewhere and
///   compare;
/// - they *can* change what replay does not compare: an activation's
///   installation ID, hardware digest, confirmation ID, trace, label,
///   actor and time; handovers; tokens; stored replies; and they can
///   damage the file so that nothing verifies.
///
/// Someone who can also delete `HOME/secrets/audit.anchor` can cut the
/// whole keyed part and rewrite the rest, which the next open anchors
/// again; the newest hash recorded elsewhere still shows it.
#[derive(Clone)]
pub struct AuditKey([u8; 32]);

impl AuditKey {
    /// The key from its 32 bytes.
    pub fn new(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }
}

impl std::fmt::Debug for AuditKey {
    /// Never prints the key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditKey(..)")
    }
}

/// Where a trail's keyed chain begins: the `audit.keyed` entry's id and
/// hash. The home keeps it beside its secrets, so that a ledger stripped
/// of its keyed part is not anchored a second time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Anchor {
    /// The anchor entry's id: entries before it are SHA-256, it and those
    /// after it are keyed.
    pub id: i64,
    /// The anchor entry's (keyed) hash.
    pub hash: String,
}

/// What appends and verification need: the key and the anchor, once
/// [`super::Ledger::with_audit_key`] has checked or written the anchor.
#[derive(Debug, Default)]
pub(super) struct Trail(Option<Box<(AuditKey, Anchor)>>);

impl Trail {
    /// A trail keyed with `key` from `anchor` on.
    pub(super) fn keyed(key: AuditKey, anchor: Anchor) -> Self {
        Self(Some(Box::new((key, anchor))))
    }

    /// The key and anchor, or [`LedgerError::NoAuditKey`].
    fn get(&self) -> Result<(&AuditKey, &Anchor), LedgerError> {
        self.0
            .as_deref()
            .map(|(k, a)| (k, a))
            .ok_or(LedgerError::NoAuditKey)
    }

    /// The anchor, once keyed.
    pub(super) fn anchor(&self) -> Option<&Anchor> {
        self.0.as_deref().map(|(_, a)| a)
    }
}

/// Actions whose entries [`verify`] replays (or, for the anchor, checks);
/// [`super::Ledger::audit`] refuses to write them by hand.
pub(super) const REPLAYED: &[&str] = &[
    "activate",
    "key.issue",
    "key.limit",
    "key.revoke",
    "seat.release",
    "staff.add",
    "staff.remove",
    "catalog.load",
    "agreements.load",
    "ledger.upgrade",
    ANCHOR,
];

/// The action of the anchor entry, where the keyed chain begins.
const ANCHOR: &str = "audit.keyed";

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Lower-case hex SHA-256 of `s`.
pub(super) fn digest(s: &str) -> String {
    hex(&Sha256::digest(s.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// How an entry's hash is made: plain SHA-256 (entries before the anchor,
/// and the `ledger.upgrade` baseline an upgrade writes before the key is
/// known), or HMAC-SHA-256 under the audit key (the anchor and after).
#[derive(Clone, Copy)]
enum Seal<'a> {
    Sha256,
    Keyed(&'a AuditKey),
}

/// The entry hash over its fields, each preceded by its length. Entries
/// from before schema version 3 have no `data` and hash as they always
/// did.
#[allow(clippy::too_many_arguments)]
fn hash(
    seal: Seal<'_>,
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
    let mut parts = vec![prev, &id, at, actor, action, subject, detail];
    parts.extend(data);
    let mut framed = Vec::new();
    for part in parts {
        framed.extend_from_slice(&(part.len() as u64).to_be_bytes());
        framed.extend_from_slice(part.as_bytes());
    }
    match seal {
        Seal::Sha256 => hex(&Sha256::digest(&framed)),
        Seal::Keyed(k) => hex(&crate::mac::hmac(&k.0, &[&framed])),
    }
}

/// Appends an entry inside the caller's transaction, keyed; `data` is what
/// replay needs (see the module doc). [`LedgerError::NoAuditKey`] (nothing
/// written) on a ledger opened without the key.
pub(super) fn append(
    db: &dyn Db,
    trail: &Trail,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &str,
    data: &Value,
) -> Result<(), LedgerError> {
    let (key, _) = trail.get()?;
    sealed(db, Seal::Keyed(key), actor, action, subject, detail, data).map(|_| ())
}

/// Appends an entry with `seal`; its id and hash.
fn sealed(
    db: &dyn Db,
    seal: Seal<'_>,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &str,
    data: &Value,
) -> Result<(i64, String), LedgerError> {
    let (id, prev) = match db.one("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1", &[])? {
        Some(r) => (r.int(0)? + 1, r.text(1)?),
        None => (1, GENESIS.to_string()),
    };
    let at = crate::days::now_rfc3339();
    let data = data.to_string();
    let h = hash(
        seal,
        &prev,
        id,
        &at,
        actor,
        action,
        subject,
        detail,
        Some(&data),
    );
    db.exec(
        "INSERT INTO audit(id, at, actor, action, subject, detail, prev, hash, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        vals![id, at, actor, action, subject, detail, prev, &h, data],
    )?;
    Ok((id, h))
}

/// An entry as stored, for checking its hash.
pub(super) struct Stored {
    pub(super) id: i64,
    pub(super) at: String,
    pub(super) actor: String,
    pub(super) action: String,
    pub(super) subject: String,
    pub(super) detail: String,
    pub(super) prev: String,
    pub(super) hash: String,
    pub(super) data: Option<String>,
}

pub(super) const STORED: &str =
    "SELECT id, at, actor, action, subject, detail, prev, hash, data FROM audit";

/// An entry as [`STORED`] reads it.
pub(super) fn stored(r: &Row) -> Result<Stored, LedgerError> {
    Ok(Stored {
        id: r.int(0)?,
        at: r.text(1)?,
        actor: r.text(2)?,
        action: r.text(3)?,
        subject: r.text(4)?,
        detail: r.text(5)?,
        prev: r.text(6)?,
        hash: r.text(7)?,
        data: r.opt_text(8)?,
    })
}

impl Stored {
    /// Its hash recomputed with `seal`, from the stored `prev`.
    fn rehash(&self, seal: Seal<'_>) -> String {
        hash(
            seal,
            &self.prev,
            self.id,
            &self.at,
            &self.actor,
            &self.action,
            &self.subject,
            &self.detail,
            self.data.as_deref(),
        )
    }
}

/// The message for a trail whose keyed part is not what the home recorded.
fn unanchored(known: &Anchor, what: &str) -> LedgerError {
    LedgerError::Unverified(format!(
        "the audit trail is keyed from entry {} on (the home recorded it), but {what}: the ledger was rewritten outside actline, or is a copy from before its trail was keyed",
        known.id
    ))
}

/// The trail's anchor, checked: with `known` (what the home recorded) the
/// entry at its id must be that anchor; without, the first `audit.keyed`
/// entry, if any. Either way its keyed hash must be right. `None` when the
/// trail has no anchor and the home knows of none; a trail missing the
/// anchor the home recorded is [`LedgerError::Unverified`].
pub(super) fn find_anchor(
    db: &dyn Db,
    key: &AuditKey,
    known: Option<&Anchor>,
) -> Result<Option<Anchor>, LedgerError> {
    let found = match known {
        Some(k) => db.one(&format!("{STORED} WHERE id = ?1"), vals![k.id])?,
        None => db.one(
            &format!("{STORED} WHERE action = ?1 ORDER BY id LIMIT 1"),
            vals![ANCHOR],
        )?,
    };
    let e = match (found, known) {
        (Some(r), _) => stored(&r)?,
        (None, None) => return Ok(None),
        (None, Some(k)) => return Err(unanchored(k, &format!("it has no entry {}", k.id))),
    };
    if let Some(k) = known {
        if e.action != ANCHOR || e.hash != k.hash {
            return Err(unanchored(
                k,
                &format!("entry {} is not the anchor it recorded", k.id),
            ));
        }
    }
    if e.rehash(Seal::Keyed(key)) != e.hash {
        return Err(LedgerError::Unverified(format!(
            "audit entry {} ({ANCHOR}, where the keyed chain begins) was not written with this home's audit key",
            e.id
        )));
    }
    Ok(Some(Anchor {
        id: e.id,
        hash: e.hash,
    }))
}

/// Appends the anchor, inside the caller's write transaction: keyed,
/// chaining the head of the entries before it (none on a new ledger).
pub(super) fn write_anchor(db: &dyn Db, key: &AuditKey) -> Result<Anchor, LedgerError> {
    let count = db.int("SELECT count(*) FROM audit", &[])?;
    let head = match db.one("SELECT hash FROM audit ORDER BY id DESC LIMIT 1", &[])? {
        Some(r) => r.text(0)?,
        None => GENESIS.to_string(),
    };
    let (id, hash) = sealed(
        db,
        Seal::Keyed(key),
        "actline",
        ANCHOR,
        &format!("schema version {}", super::SCHEMA_VERSION),
        &format!("the trail is keyed with a secret of the home from this entry on; it chains the {count} entries before it"),
        &json!({"entries": count, "head": head}),
    )?;
    Ok(Anchor { id, hash })
}

/// All entries, oldest first.
pub(super) fn entries(db: &dyn Db) -> Result<Vec<AuditEntry>, LedgerError> {
    db.rows(
        "SELECT id, at, actor, action, subject, detail, hash FROM audit ORDER BY id",
        &[],
    )?
    .iter()
    .map(|r| {
        Ok(AuditEntry {
            id: r.int(0)?,
            at: r.text(1)?,
            actor: r.text(2)?,
            action: r.text(3)?,
            subject: r.text(4)?,
            detail: r.text(5)?,
            hash: r.text(6)?,
        })
    })
    .collect()
}

/// A key as replay sees it: kind, product, agreement, limit, revoked.
type KeyState = (String, i64, Option<String>, i64, bool);

/// An activation as replay sees it: key, granted, new seat, released.
type ActState = (Option<i64>, bool, bool, bool);

/// What the tables should hold.
#[derive(Default, Serialize, serde::Deserialize, PartialEq, Debug)]
struct State {
    keys: BTreeMap<i64, KeyState>,
    staff: BTreeMap<String, String>,
    /// Activations recorded since the baseline.
    activations: BTreeMap<i64, ActState>,
    /// Activations up to this id predate the trail's data: only their count
    /// and the seats they hold are known.
    base_max_id: i64,
    base_count: i64,
    /// Seats per key held by activations up to `base_max_id`.
    base_seats: BTreeMap<i64, i64>,
    catalog: Option<String>,
    agreements: Option<String>,
}

/// The state of the tables now.
fn tables(db: &dyn Db, base_max_id: i64) -> Result<State, LedgerError> {
    let mut s = State {
        base_max_id,
        ..State::default()
    };
    for r in db.rows(
        "SELECT serial, kind, product, agreement, activation_limit, revoked FROM keys",
        &[],
    )? {
        s.keys.insert(
            r.int(0)?,
            (r.text(1)?, r.int(2)?, r.opt_text(3)?, r.int(4)?, r.flag(5)?),
        );
    }
    for r in db.rows("SELECT name, role FROM staff", &[])? {
        s.staff.insert(r.text(0)?, r.text(1)?);
    }
    for r in db.rows(
        "SELECT id, key_serial, CASE WHEN decision = 'granted' THEN 1 ELSE 0 END, new_seat, released FROM activations",
        &[],
    )? {
        let id = r.int(0)?;
        let a: ActState = (r.opt_int(1)?, r.flag(2)?, r.flag(3)?, r.flag(4)?);
        if id <= base_max_id {
            s.base_count += 1;
            if let (Some(k), true, true, false) = a {
                *s.base_seats.entry(k).or_default() += 1;
            }
        } else {
            s.activations.insert(id, a);
        }
    }
    s.catalog = super::meta(db, "catalog")?.map(|v| digest(&v));
    s.agreements = super::meta(db, "agreements")?.map(|v| digest(&v));
    Ok(s)
}

/// The `ledger.upgrade` entry's data: the state as it was when the trail
/// started carrying data. Written by the upgrade to schema version 3,
/// before the ledger has its key, so hashed with plain SHA-256 like every
/// entry before the anchor.
pub(super) fn baseline(db: &dyn Db) -> Result<(), LedgerError> {
    let max_id = db.int("SELECT coalesce(max(id), 0) FROM activations", &[])?;
    let s = tables(db, max_id)?;
    let data = serde_json::to_value(&s)
        .map_err(|e| LedgerError::Refused(format!("cannot record the upgrade baseline: {e}")))?;
    sealed(
        db,
        Seal::Sha256,
        "actline",
        "ledger.upgrade",
        &format!("schema version {}", super::SCHEMA_VERSION),
        "the state of keys, staff, seats, catalog and agreements when the trail began to carry replay data",
        &data,
    )
    .map(|_| ())
}
fn bad(id: i64, what: &str) -> LedgerError {
    LedgerError::Unverified(format!(
        "audit entry {id} ({what}) carries unreadable replay data"
    ))
}

/// Applies one entry to the replayed state.
fn apply(s: &mut State, id: i64, action: &str, d: &Value) -> Result<(), LedgerError> {
    let int = |k: &str| {
        d.get(k)
            .and_then(Value::as_i64)
            .ok_or_else(|| bad(id, action))
    };
    let text = |k: &str| {
        d.get(k)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| bad(id, action))
    };
    let flag = |k: &str| {
        d.get(k)
            .and_then(Value::as_bool)
            .ok_or_else(|| bad(id, action))
    };
    match action {
        "ledger.upgrade" => {
            *s = serde_json::from_value(d.clone()).map_err(|_| bad(id, action))?;
        }
        "key.issue" => {
            let agreement = d
                .get("agreement")
                .and_then(Value::as_str)
                .map(str::to_string);
            s.keys.insert(
                int("serial")?,
                (
                    text("kind")?,
                    int("product")?,
                    agreement,
                    int("limit")?,
                    false,
                ),
            );
        }
        "key.limit" | "key.revoke" => {
            let serial = int("serial")?;
            let k = s.keys.get_mut(&serial).ok_or_else(|| {
                LedgerError::Unverified(format!(
                    "audit entry {id} ({action}) names key serial {serial}, which no entry issued"
                ))
            })?;
            if action == "key.limit" {
                k.3 = int("limit")?;
            } else {
                k.4 = true;
            }
        }
        "staff.add" => {
            s.staff.insert(text("name")?, text("role")?);
        }
        "staff.remove" => {
            s.staff.remove(&text("name")?);
        }
        "activate" => {
            let key = d.get("key").and_then(Value::as_i64);
            let granted = text("decision")? == "granted";
            s.activations
                .insert(int("id")?, (key, granted, flag("new_seat")?, false));
        }
        "seat.release" => {
            let a = int("activation")?;
            if a <= s.base_max_id {
                let key = int("key")?;
                *s.base_seats.entry(key).or_default() -= 1;
            } else {
                let act = s.activations.get_mut(&a).ok_or_else(|| {
                    LedgerError::Unverified(format!(
                        "audit entry {id} releases activation #{a}, which no entry records"
                    ))
                })?;
                act.3 = true;
            }
        }
        "catalog.load" => s.catalog = Some(text("sha256")?),
        "agreements.load" => s.agreements = Some(text("sha256")?),
        _ => {}
    }
    Ok(())
}

/// The first difference between what the trail explains and the tables.
fn compare(want: &State, have: &State) -> Option<String> {
    for (serial, k) in &have.keys {
        match want.keys.get(serial) {
            None => return Some(format!("key serial {serial} is in the keys table but no audit entry issued it")),
            Some(w) if w != k => {
                return Some(format!(
                    "key serial {serial} differs from the trail: the table says limit {}{}, the trail limit {}{}",
                    k.3,
                    if k.4 { ", revoked" } else { "" },
                    w.3,
                    if w.4 { ", revoked" } else { "" },
                ))
            }
            _ => {}
        }
    }
    if let Some(serial) = want.keys.keys().find(|s| !have.keys.contains_key(s)) {
        return Some(format!(
            "key serial {serial} was issued (audited) but is gone from the keys table"
        ));
    }
    for (name, role) in &have.staff {
        match want.staff.get(name) {
            None => {
                return Some(format!(
                    "staff member {name} is in the staff table but no audit entry added them"
                ))
            }
            Some(w) if w != role => {
                return Some(format!(
                    "staff member {name} is {role} in the staff table but {w} by the trail"
                ))
            }
            _ => {}
        }
    }
    if let Some(name) = want.staff.keys().find(|n| !have.staff.contains_key(*n)) {
        return Some(format!(
            "staff member {name} was added (audited) but is gone from the staff table"
        ));
    }
    for (id, a) in &have.activations {
        match want.activations.get(id) {
            None => return Some(format!("activation #{id} has no audit entry: entries were removed from the trail, or the row was added outside actline")),
            Some(w) if w != a => return Some(format!("activation #{id} differs from its audit entry (key, decision, seat or release)")),
            _ => {}
        }
    }
    if let Some(id) = want
        .activations
        .keys()
        .find(|i| !have.activations.contains_key(i))
    {
        return Some(format!(
            "activation #{id} is in the audit trail but gone from the activations table"
        ));
    }
    if want.base_count != have.base_count {
        return Some(format!(
            "{} activations up to #{} were on record when the trail began to carry data; {} are now",
            want.base_count, want.base_max_id, have.base_count
        ));
    }
    let seats = |m: &BTreeMap<i64, i64>| -> BTreeMap<i64, i64> {
        m.iter()
            .filter(|(_, n)| **n != 0)
            .map(|(k, n)| (*k, *n))
            .collect()
    };
    if seats(&want.base_seats) != seats(&have.base_seats) {
        return Some(format!(
            "seats held by activations up to #{} differ from the trail",
            want.base_max_id
        ));
    }
    if want.catalog != have.catalog {
        return Some("the stored catalog is not the one the trail says was loaded".into());
    }
    if want.agreements != have.agreements {
        return Some("the stored agreements are not the ones the trail says were loaded".into());
    }
    None
}

/// Checks the storage (`Db::integrity`), recomputes the chain (plain
/// SHA-256 before the anchor, keyed from it on), replays the entries' data
/// and compares the result with the keys, staff, activations (seats,
/// releases), catalog and agreements. Returns the number of entries and
/// the newest hash, or the first problem found as
/// [`LedgerError::Unverified`]; [`LedgerError::NoAuditKey`] on a ledger
/// opened without the key. Runs inside the caller's transaction, so the
/// trail and the tables are read as of one moment.
pub(super) fn verify(db: &dyn Db, trail: &Trail) -> Result<(usize, String), LedgerError> {
    let (key, anchor) = trail.get()?;
    db.integrity().map_err(LedgerError::Unverified)?;
    let mut prev = GENESIS.to_string();
    let mut expect_id = 1;
    let mut n = 0;
    let mut state = State::default();
    // Entries before the baseline (or on a ledger that never had one) that
    // carry no data: replay cannot use them, and after the start none may
    // lack it.
    let mut undata: Option<i64> = None;
    for r in db.rows(&format!("{STORED} ORDER BY id"), &[])? {
        let e = stored(&r)?;
        let id = e.id;
        if id != expect_id {
            return Err(LedgerError::Unverified(format!(
                "audit entry {expect_id} is missing (next is {id})"
            )));
        }
        if e.prev != prev {
            return Err(LedgerError::Unverified(format!(
                "audit entry {id} does not chain: the trail was altered at or before entry {id}"
            )));
        }
        if id < anchor.id {
            if e.rehash(Seal::Sha256) != e.hash {
                return Err(LedgerError::Unverified(format!(
                    "audit entry {id} does not chain: the trail was altered at or before entry {id}"
                )));
            }
        } else {
            if id == anchor.id && (e.action != ANCHOR || e.hash != anchor.hash) {
                return Err(unanchored(
                    anchor,
                    &format!("entry {id} is not the anchor the home recorded"),
                ));
            }
            if e.rehash(Seal::Keyed(key)) != e.hash {
                return Err(LedgerError::Unverified(format!(
                    "audit entry {id} does not chain: its keyed hash is wrong, so it was written or changed without the home's audit key (the trail was altered at or before entry {id})"
                )));
            }
        }
        match e.data {
            None => {
                undata.get_or_insert(id);
            }
            Some(d) => {
                let d: Value = serde_json::from_str(&d).map_err(|_| bad(id, &e.action))?;
                if e.action == "ledger.upgrade" {
                    undata = None;
                } else if let Some(u) = undata {
                    return Err(LedgerError::Unverified(format!(
                        "audit entry {u} carries no replay data, yet no upgrade baseline follows it"
                    )));
                }
                apply(&mut state, id, &e.action, &d)?;
            }
        }
        prev = e.hash;
        expect_id += 1;
        n += 1;
    }
    if expect_id <= anchor.id {
        return Err(unanchored(
            anchor,
            &format!("the trail ends at entry {}", expect_id - 1),
        ));
    }
    if let Some(u) = undata {
        return Err(LedgerError::Unverified(format!(
            "audit entry {u} and those after it carry no replay data, and no upgrade baseline follows them"
        )));
    }
    let have = tables(db, state.base_max_id)?;
    if let Some(problem) = compare(&state, &have) {
        return Err(LedgerError::Unverified(format!(
            "the ledger does not match its audit trail: {problem}"
        )));
    }
    Ok((n, prev))
}

/// The replay data of an activation entry.
pub(super) fn activation_data(id: i64, key: Option<u64>, decision: &str, new_seat: bool) -> Value {
    json!({"id": id, "key": key, "decision": decision, "new_seat": new_seat})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entitlement::rules::{Channel, Role};
    use crate::home::{Home, Secrets};
    use crate::ledger::sqlite::MIGRATIONS;
    use crate::ledger::Ledger;
    use rusqlite::Connection;

    #[test]
    fn old_entries_hash_as_older_actline_wrote_them() {
        // Computed apart from this code (Python's hashlib and hmac) over the
        // framing older actline used: each field's length as 8 big-endian
        // bytes, then the field.
        let h = |seal| {
            hash(
                seal,
                GENESIS,
                1,
                "2026-01-01T00:00:00Z",
                "sue",
                "staff.add",
                "sue",
                "supervisor",
                Some(r#"{"name":"sue","role":"supervisor"}"#),
            )
        };
        assert_eq!(
            h(Seal::Sha256),
            "a3c4a731a5a5bf60a9834f1a3945cd1aea4cae05f6b30edaf4fec481a9b74858"
        );
        assert_eq!(
            h(Seal::Keyed(&AuditKey::new([7; 32]))),
            "d5782deb9ea334258039bb183b6264c31aa6a677ec680b331883f64607fa77ec"
        );
        assert_eq!(format!("{:?}", AuditKey::new([7; 32])), "AuditKey(..)");
    }

    /// What someone who can write the file but has no key does after an
    /// edit: recompute entries `from..=to` (to the end with `None`) with
    /// plain SHA-256, each chaining the one before.
    fn rechain_without_key(db: &dyn Db, from: i64, to: Option<i64>) {
        db.exec("DROP TRIGGER IF EXISTS audit_no_update", &[])
            .unwrap();
        let mut prev: String = db
            .one("SELECT hash FROM audit WHERE id = ?1", vals![from - 1])
            .unwrap()
            .map(|r| r.text(0).unwrap())
            .unwrap_or_else(|| GENESIS.to_string());
        let rows: Vec<Stored> = db
            .rows(
                &format!("{STORED} WHERE id >= ?1 AND id <= ?2 ORDER BY id"),
                vals![from, to.unwrap_or(i64::MAX)],
            )
            .unwrap()
            .iter()
            .map(|r| stored(r).unwrap())
            .collect();
        for e in rows {
            let e = Stored { prev, ..e };
            let h = e.rehash(Seal::Sha256);
            db.exec(
                "UPDATE audit SET prev = ?1, hash = ?2 WHERE id = ?3",
                vals![&e.prev, &h, e.id],
            )
            .unwrap();
            prev = h;
        }
    }

    /// A demo home with supervisor sue, a studio key and one grant; the
    /// activation's id.
    fn granted() -> (tempfile::TempDir, Home, Secrets, Ledger, i64) {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::at(dir.path().join("h"));
        let (secrets, mut l, catalog) = home.init("sue", true).unwrap();
        let studio = catalog.by_name("studio").unwrap().clone();
        let key = l
            .issue_key(
                "sue",
                &studio,
                crate::keys::KeyKind::Mak,
                None,
                5,
                &|k, c| secrets.key_secret(k, c),
            )
            .unwrap();
        let k = crate::keys::ProductKey::parse(&key.key).unwrap();
        let hw = crate::fingerprint::HardwareHash::numbered(1);
        let iid = crate::ids::InstallationId::new(key.product, &k, hw, 2500);
        let a = l
            .activate(&iid, &Channel::SelfService, None, None, 2500, &|g, p, i| {
                secrets.confirmation_id(g, p, i)
            })
            .unwrap();
        assert!(a.decision.outcome.is_ok());
        (dir, home, secrets, l, a.id)
    }

    fn unverified(l: &Ledger) -> String {
        match l.verify_audit() {
            Err(LedgerError::Unverified(m)) => m,
            other => panic!("expected a failed verification, got {other:?}"),
        }
    }

    #[test]
    fn a_grant_turned_into_a_denial_and_rechained_without_the_key_failed_verification() {
        let (_d, _home, _s, l, id) = granted();
        let entry: i64 = l
            .conn()
            .query_row(
                "SELECT id FROM audit WHERE action = 'activate' AND subject = ?1",
                [format!("activation #{id}")],
                |r| r.get(0),
            )
            .unwrap();
        // The seat freed, the entry made to explain it, the chain redone.
        l.conn()
            .execute_batch(&format!(
                "UPDATE activations SET decision = 'denied', new_seat = 0, confirmation_id = NULL WHERE id = {id};
                 DROP TRIGGER audit_no_update;
                 UPDATE audit SET detail = 'denied', data = replace(replace(data, '\"granted\"', '\"denied\"'), '\"new_seat\":true', '\"new_seat\":false') WHERE id = {entry};"
            ))
            .unwrap();
        rechain_without_key(&*l.db, entry, None);
        let m = unverified(&l);
        assert!(
            m.contains(&format!("audit entry {entry} does not chain")),
            "{m}"
        );
        assert!(m.contains("without the home's audit key"), "{m}");
        // Rechaining everything, the anchor included, fails at the anchor.
        rechain_without_key(&*l.db, 1, None);
        let m = unverified(&l);
        assert!(
            m.contains("entry 1 is not the anchor the home recorded"),
            "{m}"
        );
    }

    #[test]
    fn a_ledger_opened_without_its_key_appended_and_verified_nothing() {
        let (_d, home, _s, l, _) = granted();
        let before = l.audit_entries().unwrap().len();
        drop(l);
        let mut l = Ledger::open(&home.ledger_path()).unwrap();
        assert!(matches!(
            l.add_staff("sue", "bob", Role::Agent),
            Err(LedgerError::NoAuditKey)
        ));
        assert!(matches!(
            l.hand_over("c", "pressed 0", &[], None, &[]),
            Err(LedgerError::NoAuditKey)
        ));
        assert!(matches!(l.verify_audit(), Err(LedgerError::NoAuditKey)));
        assert_eq!(l.role("bob").unwrap(), None, "rolled back");
        assert!(l.handovers(false).unwrap().is_empty(), "rolled back");
        assert_eq!(l.audit_entries().unwrap().len(), before);
        // Reads need no key.
        assert_eq!(l.role("sue").unwrap(), Some(Role::Supervisor));
    }

    /// A schema version 4 ledger written the old way: a supervisor and a key,
    /// each with its SHA-256 entry.
    fn version_4(path: &std::path::Path) -> Vec<String> {
        let c = Connection::open(path).unwrap();
        for sql in &MIGRATIONS[..4] {
            c.execute_batch(sql).unwrap();
        }
        c.execute_batch(
            "PRAGMA user_version = 4;
             INSERT INTO products(code, name) VALUES (101, 'studio');
             INSERT INTO staff(name, role, added_at) VALUES ('sue', 'supervisor', 'then');
             INSERT INTO keys(serial, key, kind, product, activation_limit, created_at, created_by) VALUES (7, 'K', 'mak', 101, 3, 'then', 'sue');",
        )
        .unwrap();
        let c = crate::ledger::sqlite::Sqlite::raw(c);
        let a = sealed(
            &c,
            Seal::Sha256,
            "sue",
            "staff.add",
            "sue",
            "supervisor",
            &json!({"name": "sue", "role": "supervisor"}),
        )
        .unwrap();
        let b = sealed(
            &c,
            Seal::Sha256,
            "sue",
            "key.issue",
            "K",
            "mak",
            &json!({"serial": 7, "kind": "mak", "product": 101, "agreement": null, "limit": 3}),
        )
        .unwrap();
        vec![a.1, b.1]
    }

    #[test]
    fn a_version_4_ledger_kept_its_entries_and_got_one_keyed_anchor() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        let old = version_4(&path);
        let key = AuditKey::new([9; 32]);
        let l = Ledger::open(&path)
            .unwrap()
            .with_audit_key(key.clone(), None)
            .unwrap();
        let anchor = l.audit_anchor().unwrap().clone();
        assert_eq!(anchor.id, 3, "after the two old entries");
        let entries = l.audit_entries().unwrap();
        let hashes: Vec<&str> = entries.iter().map(|e| e.hash.as_str()).collect();
        assert_eq!(
            hashes[..2],
            [old[0].as_str(), old[1].as_str()],
            "old entries untouched"
        );
        assert_eq!(entries[2].action, "audit.keyed");
        let data: String = l
            .conn()
            .query_row("SELECT data FROM audit WHERE id = 3", [], |r| r.get(0))
            .unwrap();
        assert!(
            data.contains(&old[1]),
            "the anchor names the old head: {data}"
        );
        assert_eq!(l.verify_audit().unwrap(), (3, anchor.hash.clone()));
        // Opened again, with or without the home's record: the same anchor.
        drop(l);
        for known in [None, Some(&anchor)] {
            let l = Ledger::open(&path)
                .unwrap()
                .with_audit_key(key.clone(), known)
                .unwrap();
            assert_eq!(l.audit_anchor(), Some(&anchor));
            assert_eq!(l.audit_entries().unwrap().len(), 3);
        }
        let mut l = Ledger::open(&path)
            .unwrap()
            .with_audit_key(key.clone(), Some(&anchor))
            .unwrap();
        l.set_limit("sue", 7, 4, "more").unwrap();
        l.verify_audit().unwrap();
        // The old part rewritten and rechained the old way: the anchor no
        // longer chains.
        l.conn()
            .execute_batch(
                "UPDATE keys SET activation_limit = 40;
                 DROP TRIGGER audit_no_update;
                 UPDATE audit SET data = replace(data, '\"limit\":3', '\"limit\":40') WHERE id = 2;",
            )
            .unwrap();
        rechain_without_key(&*l.db, 1, Some(2));
        let m = unverified(&l);
        assert!(m.contains("audit entry 3 does not chain"), "{m}");
    }

    #[test]
    fn a_trail_cut_to_look_older_was_refused_not_anchored_again() {
        let (_d, home, secrets, l, _) = granted();
        let anchor = l.audit_anchor().unwrap().clone();
        assert_eq!(anchor.id, 1, "a new ledger is keyed from its first entry");
        // Another key's ledger: its anchor does not check.
        drop(l);
        let e = Ledger::open(&home.ledger_path())
            .unwrap()
            .with_audit_key(AuditKey::new([1; 32]), None)
            .err()
            .unwrap();
        assert!(
            e.to_string()
                .contains("not written with this home's audit key"),
            "{e}"
        );
        // Every keyed entry gone and the schema set back: a ledger that
        // seems never to have been keyed.
        let c = Connection::open(home.ledger_path()).unwrap();
        c.execute_batch(
            "DROP TRIGGER audit_no_delete; DELETE FROM audit;
             ALTER TABLE handovers DROP COLUMN held_until;
             ALTER TABLE handovers DROP COLUMN ended_at;
             ALTER TABLE handovers DROP COLUMN ended;
             PRAGMA user_version = 4;",
        )
        .unwrap();
        drop(c);
        let e = home.open_ledger(&secrets).err().unwrap();
        assert!(matches!(e, LedgerError::Unverified(_)), "{e:?}");
        assert!(
            e.to_string()
                .contains("keyed from entry 1 on (the home recorded it)"),
            "{e}"
        );
        let l = Ledger::open(&home.ledger_path()).unwrap();
        assert!(l.audit_entries().unwrap().is_empty(), "no anchor written");
    }
}
