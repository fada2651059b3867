//! The ledger: keys, activations and the audit trail.
//!
//! - One store interface, [`db::Db`], two backends: an SQLite file
//!   ([`sqlite`], the embedded default) and a PostgreSQL database ([`pg`]).
//!   Everything here (the role check, the facts a decision counts, the
//!   audit chain, every query) is written once against it.
//! - Every change runs in one write transaction ([`db::Begin::Write`]):
//!   writers are serialized whatever process or machine they run in, so a
//!   key with N activations grants exactly N machines, whatever the race.
//! - The audit trail is append-only (triggers refuse updates and deletes) and
//!   tamper-evident: each entry stores a hash over the previous entry's hash
//!   and its own fields, keyed with a secret of the home since schema
//!   version 5 (see [`AuditKey`] for what that guarantees);
//!   [`Ledger::verify_audit`] recomputes the chain. A ledger appends and
//!   verifies only once it has the key ([`Ledger::with_audit_key`], which
//!   `Home::open_ledger` calls); before that both are
//!   [`LedgerError::NoAuditKey`].

mod audit;
pub(crate) mod db;
pub mod pg;
mod service;
mod sqlite;
pub mod wait;

pub use audit::{Anchor, AuditEntry, AuditKey};
pub use sqlite::SCHEMA_VERSION;

use crate::entitlement::rules::{
    decide, Channel, Decision, Grant, KeyRecord, PriorActivation, Request, Role,
};
use crate::entitlement::{Agreements, Catalog, Product};
use crate::fingerprint::HardwareHash;
use crate::ids::InstallationId;
use crate::keys::{KeyKind, ProductKey};
use db::{run, vals, Begin, Db, Row};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Ledger errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LedgerError {
    /// No ledger at the path.
    #[error("{0}: no ledger here (run `actline init` first)")]
    Missing(PathBuf),
    /// The file (or database) is not a ledger or is damaged.
    #[error("{path}: not a usable ledger ({reason})")]
    Corrupt {
        /// The file, or the database URL without its password.
        path: PathBuf,
        /// What the database said.
        reason: String,
    },
    /// Made by a newer actline.
    #[error("{path}: ledger schema version {found} is newer than this actline understands ({known}); upgrade actline")]
    TooNew {
        /// The file, or the database URL without its password.
        path: PathBuf,
        /// Version in the file.
        found: i64,
        /// Newest known.
        known: i64,
    },
    /// A refused change, with the reason.
    #[error("{0}")]
    Refused(String),
    /// The caller lacks the role.
    #[error("{0}")]
    Forbidden(String),
    /// Something was not found.
    #[error("{0}")]
    NotFound(String),
    /// A stored row holds a value this build cannot read: the ledger was
    /// damaged or edited outside actline. Never read as a default.
    #[error("ledger: {table} row {row}, column {column}: {reason} (the row is corrupt; restore the ledger from a backup)")]
    CorruptRow {
        /// The table.
        table: &'static str,
        /// The row's identifier (id, serial or name).
        row: String,
        /// The column.
        column: &'static str,
        /// What is wrong with the value.
        reason: String,
    },
    /// A stored value of a type the ledger never writes there (a number
    /// where text belongs, a NULL in a required column): the database was
    /// edited outside actline.
    #[error("ledger: a stored value is not what actline wrote ({0}); the ledger was edited outside actline")]
    BadValue(String),
    /// The disk (or the file system holding the ledger) is full. The
    /// database rolled the change back: nothing was half-written.
    #[error("the disk holding the ledger is full: the change was rolled back and nothing was written; free some space and try again")]
    DiskFull,
    /// The ledger or its directory could not be reached (permissions, a
    /// missing mount).
    #[error("{path}: cannot use the ledger: {reason}")]
    Inaccessible {
        /// The file.
        path: PathBuf,
        /// What the operating system or SQLite said.
        reason: String,
    },
    /// The ledger's database server could not be reached or refused us:
    /// not running, wrong address, wrong credentials, TLS refused, or the
    /// connection was lost (a request in flight when it was is rolled back
    /// by the server; the next one connects again).
    #[error("{place}: cannot reach the ledger's database: {reason}")]
    Unreachable {
        /// The database URL, without its password.
        place: String,
        /// What the driver or the server said.
        reason: String,
    },
    /// [`Ledger::verify_audit`] found the tables, the trail or the file
    /// itself not as the trail explains them.
    #[error("{0}")]
    Unverified(String),
    /// The ledger was asked to append to its audit trail or to verify it
    /// before it was given the home's audit key
    /// ([`Ledger::with_audit_key`]): a bug in the caller. Nothing was
    /// written.
    #[error("ledger: the audit trail's key was not given (open the ledger through its home)")]
    NoAuditKey,
    /// Any other SQLite failure.
    #[error("ledger: {0}")]
    Sql(#[source] rusqlite::Error),
    /// Any other PostgreSQL failure.
    #[error("ledger: {0}")]
    Postgres(#[source] postgres::Error),
}

/// SQLite's word for a full disk: `SQLITE_FULL` when a write finds no
/// space, `SQLITE_IOERR_SHMSIZE` when the WAL index (`-shm`) cannot grow,
/// which is what opening a ledger on a disk with no space left gives.
fn is_disk_full(e: &rusqlite::Error) -> bool {
    match e {
        rusqlite::Error::SqliteFailure(f, _) => {
            f.code == rusqlite::ErrorCode::DiskFull
                || f.extended_code == rusqlite::ffi::SQLITE_IOERR_SHMSIZE
        }
        _ => false,
    }
}

impl LedgerError {
    /// Whether the ledger is damaged or was edited outside actline: a
    /// corrupt file or row, a stored value of the wrong type, a damaged
    /// page.
    pub fn is_corrupt(&self) -> bool {
        match self {
            LedgerError::Corrupt { .. }
            | LedgerError::CorruptRow { .. }
            | LedgerError::BadValue(_) => true,
            LedgerError::Sql(
                rusqlite::Error::FromSqlConversionFailure(..)
                | rusqlite::Error::InvalidColumnType(..)
                | rusqlite::Error::IntegralValueOutOfRange(..),
            ) => true,
            LedgerError::Sql(rusqlite::Error::SqliteFailure(f, _)) => matches!(
                f.code,
                rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase
            ),
            _ => false,
        }
    }

    /// True when another process holds the ledger (SQLite busy or locked):
    /// worth trying again in a moment.
    pub fn is_busy(&self) -> bool {
        match self {
            LedgerError::Sql(rusqlite::Error::SqliteFailure(f, _)) => matches!(
                f.code,
                rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
            ),
            LedgerError::Postgres(e) => {
                e.code() == Some(&postgres::error::SqlState::LOCK_NOT_AVAILABLE)
            }
            _ => false,
        }
    }
}

impl From<rusqlite::Error> for LedgerError {
    /// A full disk becomes [`LedgerError::DiskFull`]; everything else is
    /// [`LedgerError::Sql`].
    fn from(e: rusqlite::Error) -> Self {
        if is_disk_full(&e) {
            LedgerError::DiskFull
        } else {
            LedgerError::Sql(e)
        }
    }
}

/// A value serialised for storage; a failure is an error, never `""`.
fn to_json<T: Serialize + ?Sized>(what: &str, value: &T) -> Result<String, LedgerError> {
    serde_json::to_string(value)
        .map_err(|e| LedgerError::Refused(format!("cannot record {what}: {e}")))
}

/// A stored JSON array of strings; anything else is a corrupt row.
fn strings_column(
    table: &'static str,
    row: i64,
    column: &'static str,
    json: &str,
) -> Result<Vec<String>, LedgerError> {
    serde_json::from_str(json).map_err(|e| LedgerError::CorruptRow {
        table,
        row: row.to_string(),
        column,
        reason: format!("not a JSON list of strings ({e})"),
    })
}

/// A stored role name; anything else is a corrupt row.
fn role_column(name: &str, role: &str) -> Result<Role, LedgerError> {
    match role {
        "supervisor" => Ok(Role::Supervisor),
        "agent" => Ok(Role::Agent),
        other => Err(LedgerError::CorruptRow {
            table: "staff",
            row: name.to_string(),
            column: "role",
            reason: format!("unknown role {other:?}"),
        }),
    }
}

/// The result of an activation request.
#[derive(Clone, Debug)]
pub struct Activation {
    /// Ledger row.
    pub id: i64,
    /// The decision and its trace.
    pub decision: Decision,
    /// On a grant, the confirmation ID.
    pub confirmation_id: Option<String>,
    /// The product the installation ID names, when known.
    pub product: Option<Product>,
}

/// One stored activation record, for lookups.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ActivationRow {
    /// Ledger ID.
    pub id: i64,
    /// Key serial, when the ID named a known key.
    pub key_serial: Option<u64>,
    /// Product code.
    pub product: u16,
    /// The installation ID.
    pub installation_id: String,
    /// The fingerprint digests.
    pub hardware: String,
    /// "granted" or "denied".
    pub decision: String,
    /// A seat was taken.
    pub new_seat: bool,
    /// Reactivation of this activation.
    pub reactivation_of: Option<i64>,
    /// The seat was released by a supervisor.
    pub released: bool,
    /// The confirmation ID, on grants.
    pub confirmation_id: Option<String>,
    /// The decision trace.
    pub reasons: Vec<String>,
    /// Machine label from a batch file.
    pub label: Option<String>,
    /// Who asked.
    pub actor: String,
    /// When.
    pub created_at: String,
}

/// One item of a batch.
#[derive(Clone, Debug)]
pub struct BatchItem {
    /// The installation ID.
    pub iid: InstallationId,
    /// A machine label.
    pub label: Option<String>,
}

/// One day's activations of one product under one agreement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DayCount {
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
    /// The key's agreement; `None` for direct keys and unknown keys.
    pub agreement: Option<String>,
    /// Product code.
    pub product: u16,
    /// Grants.
    pub granted: u64,
    /// Grants that took a new seat.
    pub new_seats: u64,
    /// Denials.
    pub denied: u64,
}

/// Seats of a key.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct KeyUsage {
    /// The key.
    pub key: KeyRecord,
    /// Seats in use.
    pub used: u32,
    /// Seats left: 0 for a revoked key, whatever its limit.
    pub left: u32,
}

/// A call the IVR handed over to the agent desk, with what the caller had
/// already entered.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Handover {
    /// Ledger ID.
    pub id: i64,
    /// When it was handed over.
    pub at: String,
    /// The call's identifier.
    pub call: String,
    /// Why the IVR transferred the caller.
    pub reason: String,
    /// Groups of the installation ID the caller entered and the IVR accepted.
    pub groups: Vec<String>,
    /// The whole installation ID, when the caller completed it.
    pub installation_id: Option<String>,
    /// The decision trace, when the IVR asked for one.
    pub trace: Vec<String>,
    /// The agent who holds the call (none once their hold ran out).
    pub taken_by: Option<String>,
    /// How it ended: `decided`, or `dismissed: REASON`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended: Option<String>,
}

/// How long a desk holds a call it took without renewing it.
pub const CALL_HOLD_SECS: u32 = 30;

/// An open ledger, on either backend.
pub struct Ledger {
    db: Box<dyn Db>,
    /// The catalog and agreements as last read, with their revision: a
    /// decision re-reads them only when another process loaded new ones.
    rules: Option<Rules>,
    /// The audit key and anchor, once given.
    trail: audit::Trail,
}

struct Rules {
    revision: String,
    catalog: Arc<Catalog>,
    agreements: Arc<Agreements>,
}

/// The value stored under `k` in `meta`.
fn meta(db: &dyn Db, k: &str) -> Result<Option<String>, LedgerError> {
    db.one("SELECT v FROM meta WHERE k = ?1", vals![k])?
        .map(|r| r.text(0))
        .transpose()
}

/// The revision of the loaded catalog and agreements ("catalog/agreements").
fn revision(db: &dyn Db) -> Result<String, LedgerError> {
    Ok(format!(
        "{}/{}",
        meta(db, "catalog_rev")?.unwrap_or_else(|| "0".into()),
        meta(db, "agreements_rev")?.unwrap_or_else(|| "0".into())
    ))
}

fn read_catalog(db: &dyn Db) -> Result<Catalog, LedgerError> {
    match meta(db, "catalog")? {
        None => Ok(Catalog::default()),
        Some(json) => Catalog::from_json(&json)
            .map_err(|e| corrupt(db.place(), format!("stored catalog: {e}"))),
    }
}

fn read_agreements(db: &dyn Db) -> Result<Agreements, LedgerError> {
    match meta(db, "agreements")? {
        None => Ok(Agreements::default()),
        Some(json) => serde_json::from_str(&json)
            .map_err(|e| corrupt(db.place(), format!("stored agreements: {e}"))),
    }
}

/// The catalog and agreements current in `db`'s transaction, from `cache`
/// when their revision has not moved.
fn current_rules(
    db: &dyn Db,
    cache: &mut Option<Rules>,
) -> Result<(Arc<Catalog>, Arc<Agreements>), LedgerError> {
    let rev = revision(db)?;
    if let Some(r) = cache.as_ref().filter(|r| r.revision == rev) {
        return Ok((r.catalog.clone(), r.agreements.clone()));
    }
    let r = Rules {
        revision: rev,
        catalog: Arc::new(read_catalog(db)?),
        agreements: Arc::new(read_agreements(db)?),
    };
    let out = (r.catalog.clone(), r.agreements.clone());
    *cache = Some(r);
    Ok(out)
}

/// A ledger at `place` (a file, or a database URL without its password)
/// that is not usable, and why.
fn corrupt(place: impl Into<PathBuf>, e: impl ToString) -> LedgerError {
    LedgerError::Corrupt {
        path: place.into(),
        reason: e.to_string(),
    }
}

/// Bumps a revision counter kept in `meta` (text, as every meta value).
const BUMP: &str = "INSERT INTO meta(k, v) VALUES (?1, '1') ON CONFLICT(k) DO UPDATE SET v = CAST(CAST(meta.v AS INTEGER) + 1 AS TEXT)";
/// Sets a value in `meta`.
const SET_META: &str =
    "INSERT INTO meta(k, v) VALUES (?1, ?2) ON CONFLICT(k) DO UPDATE SET v = excluded.v";

impl Ledger {
    fn on(db: Box<dyn Db>) -> Self {
        Self {
            db,
            rules: None,
            trail: audit::Trail::default(),
        }
    }

    /// Creates a new ledger file (refuses to overwrite one).
    pub fn create(path: &Path) -> Result<Self, LedgerError> {
        Ok(Self::on(Box::new(sqlite::Sqlite::create(path)?)))
    }

    /// Opens an existing ledger file, upgrading its schema when it is older.
    ///
    /// A file that is not a ledger, or a ledger from a newer actline, is
    /// refused before anything is written: its bytes stay as they were and
    /// no `-wal`/`-shm` file is left beside it. A path that cannot be
    /// reached (permissions) is [`LedgerError::Inaccessible`], not
    /// [`LedgerError::Missing`].
    pub fn open(path: &Path) -> Result<Self, LedgerError> {
        Ok(Self::on(Box::new(sqlite::Sqlite::open(path)?)))
    }

    /// Connects to a PostgreSQL ledger (`postgres://…`, see [`pg`]),
    /// applying its missing migrations. With `create`, the database must
    /// hold no ledger yet (nor anything else); without, it must hold one.
    pub fn connect(url: &str, create: bool) -> Result<Self, LedgerError> {
        Ok(Self::on(Box::new(pg::Pg::connect(url, create)?)))
    }

    /// Whether `s` names a database server rather than a file.
    pub fn is_url(s: &str) -> bool {
        pg::is_url(s)
    }

    /// Runs `f` so that the commits it makes survive a power cut before
    /// they return (SQLite: `synchronous = FULL`; WAL with NORMAL may lose
    /// the newest commits, and with them confirmation IDs already read to
    /// callers). The setting cannot change inside a transaction, so it
    /// wraps the whole call.
    fn durably<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, LedgerError>,
    ) -> Result<T, LedgerError> {
        self.db.durable(true)?;
        let out = f(self);
        let back = self.db.durable(false);
        let out = out?;
        back?;
        Ok(out)
    }

    /// Runs `f` in one write transaction, with the trail to append to.
    fn write<T>(
        &mut self,
        f: impl FnOnce(&dyn Db, &audit::Trail) -> Result<T, LedgerError>,
    ) -> Result<T, LedgerError> {
        let (db, trail) = (&*self.db, &self.trail);
        run(db, Begin::Write, || f(db, trail))
    }

    /// Gives the ledger the home's audit key, which every append and
    /// [`Ledger::verify_audit`] need ([`LedgerError::NoAuditKey`] before).
    ///
    /// `known` is the anchor the home recorded (where the trail's keyed
    /// chain begins), or `None` when the home has recorded none. With it,
    /// the trail must still hold that anchor; without it, the trail's
    /// anchor is found, or written when there is none (a new ledger, or
    /// the first keyed open after the upgrade to schema version 5: the
    /// anchor chains the old entries' head, so they stay as they were
    /// and are pinned by a keyed hash). The anchor's keyed hash is
    /// checked either way; a trail without the anchor the home recorded,
    /// or with an anchor not made with this key, is
    /// [`LedgerError::Unverified`] and nothing is written. See
    /// [`AuditKey`] for what keying guarantees.
    pub fn with_audit_key(
        mut self,
        key: AuditKey,
        known: Option<&Anchor>,
    ) -> Result<Self, LedgerError> {
        let anchor = match audit::find_anchor(&*self.db, &key, known)? {
            Some(a) => a,
            // Durable: the home records the anchor next, and must never
            // record one a power cut then took from the ledger.
            None => self.durably(|l| {
                l.write(|db, _| {
                    // Re-read under the lock: another process may have anchored.
                    match audit::find_anchor(db, &key, known)? {
                        Some(a) => Ok(a),
                        None => audit::write_anchor(db, &key),
                    }
                })
            })?,
        };
        self.trail = audit::Trail::keyed(key, anchor);
        Ok(self)
    }

    /// Where the audit trail's keyed chain begins, once the ledger has its
    /// key ([`Ledger::with_audit_key`]).
    pub fn audit_anchor(&self) -> Option<&Anchor> {
        self.trail.anchor()
    }

    /// The file this ledger lives in; `None` for a database server.
    pub fn path(&self) -> Option<&Path> {
        self.db.sqlite().map(sqlite::Sqlite::path)
    }

    /// Where the ledger is, for messages: its file, or its database URL
    /// without the password.
    pub fn place(&self) -> String {
        self.db.place()
    }

    /// The loaded catalog (empty before any is loaded).
    pub fn catalog(&self) -> Result<Catalog, LedgerError> {
        read_catalog(&*self.db)
    }

    /// The loaded agreements.
    pub fn agreements(&self) -> Result<Agreements, LedgerError> {
        read_agreements(&*self.db)
    }

    /// Replaces the catalog. Supervisors only; audited. Refused, with
    /// nothing changed, when a product that keys or activations refer to
    /// would disappear or change its code.
    pub fn set_catalog(
        &mut self,
        catalog: &Catalog,
        actor: &str,
        source: &str,
    ) -> Result<(), LedgerError> {
        self.write(|db, trail| {
            require_supervisor(db, actor, "load the catalog", None)?;
            let used = db.rows("SELECT DISTINCT code, name FROM products WHERE code IN (SELECT product FROM keys UNION SELECT product FROM activations) ORDER BY code", &[])?;
            let old = read_catalog(db)?;
            for r in used {
                let (code, name): (u16, String) = (r.num(0)?, r.text(1)?);
                if let (Some(was), Some(now)) = (old.by_code(code), catalog.by_code(code)) {
                    if was.profile != now.profile {
                        return Err(LedgerError::Refused(format!(
                            "{source}: product {name} is used by keys or activations; changing its confirmation profile from {} to {} would invalidate every activation",
                            was.profile.name(),
                            now.profile.name()
                        )));
                    }
                }
                match catalog.by_code(code) {
                    None => return Err(LedgerError::Refused(format!("{source}: product {name} (code {code}) is used by keys or activations and cannot be dropped"))),
                    Some(p) if p.name != name => {
                        return Err(LedgerError::Refused(format!("{source}: code {code} is {name} in the ledger but {} in the file; codes cannot be reassigned", p.name)))
                    }
                    _ => {}
                }
            }
            db.exec("DELETE FROM products WHERE code NOT IN (SELECT product FROM keys UNION SELECT product FROM activations)", &[])?;
            for p in &catalog.products {
                db.exec("INSERT INTO products(code, name) VALUES (?1, ?2) ON CONFLICT(code) DO UPDATE SET name = excluded.name", vals![p.code, &p.name])?;
            }
            let json = serde_json::to_string(catalog)
                .map_err(|e| LedgerError::Refused(e.to_string()))?;
            db.exec(SET_META, vals!["catalog", &json])?;
            db.exec(BUMP, vals!["catalog_rev"])?;
            audit::append(
                db,
                trail,
                actor,
                "catalog.load",
                source,
                &format!("{} products", catalog.products.len()),
                &serde_json::json!({"sha256": audit::digest(&json)}),
            )
        })
    }

    /// Replaces the agreements. Supervisors only; audited. Refused when keys
    /// refer to an agreement the new set lacks.
    pub fn set_agreements(
        &mut self,
        agreements: &Agreements,
        actor: &str,
        source: &str,
    ) -> Result<(), LedgerError> {
        self.write(|db, trail| {
            require_supervisor(db, actor, "load agreements", None)?;
            let used = db.rows(
                "SELECT DISTINCT agreement FROM keys WHERE agreement IS NOT NULL ORDER BY agreement",
                &[],
            )?;
            for r in used {
                let missing = r.text(0)?;
                if agreements.get(&missing).is_none() {
                    return Err(LedgerError::Refused(format!(
                        "{source}: agreement {missing} has keys and cannot be dropped"
                    )));
                }
            }
            let json = serde_json::to_string(agreements)
                .map_err(|e| LedgerError::Refused(e.to_string()))?;
            db.exec(SET_META, vals!["agreements", &json])?;
            db.exec(BUMP, vals!["agreements_rev"])?;
            audit::append(
                db,
                trail,
                actor,
                "agreements.load",
                source,
                &format!("{} agreements", agreements.0.len()),
                &serde_json::json!({"sha256": audit::digest(&json)}),
            )
        })
    }

    /// Adds or changes a staff member. The first one, on a ledger that never
    /// had staff, may be added by anyone (that is `init`), and only as
    /// themselves and a supervisor; afterwards only supervisors.
    pub fn add_staff(&mut self, actor: &str, name: &str, role: Role) -> Result<(), LedgerError> {
        self.write(|db, trail| {
            let bootstrap = db.int(
                "SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM staff) AND NOT EXISTS (SELECT 1 FROM audit WHERE action = 'staff.add') THEN 1 ELSE 0 END",
                &[],
            )? == 1;
            if !(bootstrap && actor == name && role == Role::Supervisor) {
                require_supervisor(db, actor, "change staff", None)?;
            }
            if name.trim().is_empty() || name.chars().any(char::is_control) {
                return Err(LedgerError::Refused(format!("{name:?} is not a user name")));
            }
            if role != Role::Supervisor
                && staff_role(db, name)? == Some(Role::Supervisor)
                && other_supervisors(db, name)? == 0
            {
                return Err(LedgerError::Refused(format!(
                    "{name} is the last supervisor; add another supervisor first"
                )));
            }
            db.exec(
                "INSERT INTO staff(name, role, added_at) VALUES (?1, ?2, ?3) ON CONFLICT(name) DO UPDATE SET role = excluded.role",
                vals![name, role.name(), crate::days::now_rfc3339()],
            )?;
            audit::append(
                db,
                trail,
                actor,
                "staff.add",
                name,
                role.name(),
                &serde_json::json!({"name": name, "role": role.name()}),
            )
        })
    }

    /// Removes `name` from the staff, and their token with them
    /// (supervisors; audited). The last supervisor cannot be removed.
    pub fn remove_staff(&mut self, actor: &str, name: &str) -> Result<(), LedgerError> {
        self.write(|db, trail| {
            require_supervisor(db, actor, "change staff", None)?;
            let Some(role) = staff_role(db, name)? else {
                return Err(LedgerError::NotFound(format!(
                    "{name} is not on the staff list"
                )));
            };
            if role == Role::Supervisor && other_supervisors(db, name)? == 0 {
                return Err(LedgerError::Refused(format!(
                    "{name} is the last supervisor; add another supervisor first"
                )));
            }
            // The token first: it references the staff row.
            db.exec("DELETE FROM tokens WHERE name = ?1", vals![name])?;
            db.exec("DELETE FROM staff WHERE name = ?1", vals![name])?;
            audit::append(
                db,
                trail,
                actor,
                "staff.remove",
                name,
                role.name(),
                &serde_json::json!({"name": name}),
            )
        })
    }

    /// The role of a staff member, if they are one.
    pub fn role(&self, name: &str) -> Result<Option<Role>, LedgerError> {
        staff_role(&*self.db, name)
    }

    /// All staff.
    pub fn staff(&self) -> Result<Vec<(String, Role)>, LedgerError> {
        self.db
            .rows("SELECT name, role FROM staff ORDER BY name", &[])?
            .into_iter()
            .map(|r| {
                let n = r.text(0)?;
                let role = role_column(&n, &r.text(1)?)?;
                Ok((n, role))
            })
            .collect()
    }

    /// The channel a user acts through: staff with their role, or
    /// self-service for anyone else.
    pub fn channel_for(&self, user: &str) -> Result<Channel, LedgerError> {
        Ok(match self.role(user)? {
            Some(role) => Channel::Staff {
                name: user.to_string(),
                role,
            },
            None => Channel::SelfService,
        })
    }

    /// Issues a key. Supervisors only (so partner-program keys too);
    /// audited. `secret` gives the authenticator secret for a kind and
    /// product. The serial is random and unique.
    pub fn issue_key(
        &mut self,
        actor: &str,
        product: &Product,
        kind: KeyKind,
        agreement: Option<&str>,
        limit: u32,
        secret: &dyn Fn(KeyKind, u16) -> Vec<u8>,
    ) -> Result<KeyRecord, LedgerError> {
        check_limit(kind, limit)?;
        if kind == KeyKind::SiteHost && self.catalog()?.hosted_by(&product.name).is_empty() {
            return Err(LedgerError::Refused(format!(
                "{} cannot be a site activation host (it is not a host in the catalog's host table), so a site-host key for it would never activate",
                product.name
            )));
        }
        self.write(|db, trail| {
            require_supervisor(db, actor, "issue keys", None)?;
            if let Some(id) = agreement {
                read_agreements(db)?
                    .get(id)
                    .ok_or_else(|| LedgerError::NotFound(format!("agreement {id} is not on file")))?;
            }
            loop {
                let mut b = [0u8; 8];
                getrandom::fill(&mut b)
                    .map_err(|e| LedgerError::Refused(format!("no randomness: {e}")))?;
                let serial = u64::from_be_bytes(b) & ((1 << 36) - 1);
                let key = ProductKey::issue(&secret(kind, product.code), kind, serial);
                let inserted = db.exec(
                    "INSERT INTO keys(serial, key, kind, product, agreement, activation_limit, created_at, created_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO NOTHING",
                    vals![serial, key.to_string(), kind.name(), product.code, agreement, limit, crate::days::now_rfc3339(), actor],
                )?;
                if inserted == 1 {
                    audit::append(
                        db,
                        trail,
                        actor,
                        "key.issue",
                        &key.short(),
                        &format!(
                            "{kind} for {} ({} activations){}",
                            product.name,
                            limit,
                            agreement
                                .map(|a| format!(", agreement {a}"))
                                .unwrap_or_default()
                        ),
                        &serde_json::json!({
                            "serial": serial, "kind": kind.name(), "product": product.code,
                            "agreement": agreement, "limit": limit,
                        }),
                    )?;
                    return Ok(KeyRecord {
                        serial,
                        key: key.to_string(),
                        kind,
                        product: product.code,
                        agreement: agreement.map(str::to_string),
                        limit,
                        revoked: false,
                    });
                }
            }
        })
    }

    /// The key with this serial.
    pub fn key(&self, serial: u64) -> Result<Option<KeyRecord>, LedgerError> {
        key_by_serial(&*self.db, serial)
    }

    /// A key with its seats used and left.
    pub fn key_usage(&self, serial: u64) -> Result<Option<KeyUsage>, LedgerError> {
        let Some(key) = self.key(serial)? else {
            return Ok(None);
        };
        let used = seats_in_use(&*self.db, serial)?;
        let limit = if key.kind == KeyKind::Retail {
            1
        } else {
            key.limit
        };
        Ok(Some(KeyUsage {
            left: if key.revoked {
                0
            } else {
                limit.saturating_sub(used)
            },
            used,
            key,
        }))
    }

    /// The keys with these serials, with their seats.
    fn usages(&self, serials: Vec<Row>) -> Result<Vec<KeyUsage>, LedgerError> {
        let mut out = Vec::with_capacity(serials.len());
        for r in serials {
            if let Some(k) = self.key_usage(r.num(0)?)? {
                out.push(k);
            }
        }
        Ok(out)
    }

    /// Keys whose characters (dashes ignored, any case) or serial number
    /// contain `fragment`, oldest first, at most `limit`.
    pub fn find_keys(&self, fragment: &str, limit: usize) -> Result<Vec<KeyUsage>, LedgerError> {
        let needle: String = fragment
            .chars()
            .filter(|c| *c != '-' && !c.is_whitespace())
            .collect::<String>()
            .to_uppercase();
        if needle.is_empty() {
            return Ok(Vec::new());
        }
        let pattern = format!(
            "%{}%",
            needle
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        let serials = self.db.rows(
            "SELECT serial FROM keys WHERE replace(key, '-', '') LIKE ?1 ESCAPE '\\' OR CAST(serial AS TEXT) LIKE ?1 ESCAPE '\\' ORDER BY created_at, serial LIMIT ?2",
            vals![pattern, limit],
        )?;
        self.usages(serials)
    }

    /// Keys, oldest first (those issued in the same second by serial), of
    /// one product (by code) or of all, at most `limit`.
    pub fn list_keys(
        &self,
        product: Option<u16>,
        limit: usize,
    ) -> Result<Vec<KeyUsage>, LedgerError> {
        let serials = match product {
            Some(p) => self.db.rows(
                "SELECT serial FROM keys WHERE product = ?1 ORDER BY created_at, serial LIMIT ?2",
                vals![p, limit],
            )?,
            None => self.db.rows(
                "SELECT serial FROM keys ORDER BY created_at, serial LIMIT ?1",
                vals![limit],
            )?,
        };
        self.usages(serials)
    }

    /// Keys of an agreement.
    pub fn keys_of(&self, agreement: &str) -> Result<Vec<KeyUsage>, LedgerError> {
        let serials = self.db.rows(
            "SELECT serial FROM keys WHERE agreement = ?1 ORDER BY created_at, serial",
            vals![agreement],
        )?;
        self.usages(serials)
    }

    /// Decides one activation and records it, in one write transaction.
    /// On a grant `sign` makes the confirmation ID, which is stored before the
    /// transaction commits: every confirmation ID ever shown is in the ledger.
    /// The commit is durable: once this returns, a power cut does not lose
    /// the grant.
    pub fn activate(
        &mut self,
        iid: &InstallationId,
        channel: &Channel,
        caller_agreement: Option<&str>,
        label: Option<&str>,
        today: u16,
        sign: &dyn Fn(&Grant, &Product, &InstallationId) -> String,
    ) -> Result<Activation, LedgerError> {
        self.durably(|l| {
            let (db, rules, trail) = (&*l.db, &mut l.rules, &l.trail);
            run(db, Begin::Write, || {
                let (catalog, agreements) = current_rules(db, rules)?;
                activate_in(
                    db,
                    &catalog,
                    &agreements,
                    iid,
                    channel,
                    caller_agreement,
                    label,
                    today,
                    sign,
                    &mut SeatCache::default(),
                    trail,
                )
            })
        })
    }

    /// What the rules would decide for `iid` now, without recording anything
    /// (the desk shows it while the agent is still talking to the caller).
    pub fn preview(
        &mut self,
        iid: &InstallationId,
        channel: &Channel,
        caller_agreement: Option<&str>,
        today: u16,
    ) -> Result<Decision, LedgerError> {
        let (db, rules) = (&*self.db, &mut self.rules);
        run(db, Begin::Read, || {
            let (catalog, agreements) = current_rules(db, rules)?;
            let (decision, _) = decide_in(
                db,
                &catalog,
                &agreements,
                iid,
                channel,
                caller_agreement,
                today,
                &mut SeatCache::default(),
            )?;
            Ok(decision)
        })
    }

    /// Decides many activations, one transaction per `chunk` items; `progress`
    /// is told after each chunk commits, durably.
    #[allow(clippy::too_many_arguments)]
    pub fn activate_batch(
        &mut self,
        items: &[BatchItem],
        chunk: usize,
        channel: &Channel,
        today: u16,
        sign: &dyn Fn(&Grant, &Product, &InstallationId) -> String,
        progress: &mut dyn FnMut(&[Activation]),
    ) -> Result<Vec<Activation>, LedgerError> {
        self.durably(|l| l.activate_chunks(items, chunk, channel, today, sign, progress))
    }

    fn activate_chunks(
        &mut self,
        items: &[BatchItem],
        chunk: usize,
        channel: &Channel,
        today: u16,
        sign: &dyn Fn(&Grant, &Product, &InstallationId) -> String,
        progress: &mut dyn FnMut(&[Activation]),
    ) -> Result<Vec<Activation>, LedgerError> {
        let mut out = Vec::with_capacity(items.len());
        let (db, rules, trail) = (&*self.db, &mut self.rules, &self.trail);
        for part in items.chunks(chunk.max(1)) {
            let done = run(db, Begin::Write, || {
                let (catalog, agreements) = current_rules(db, rules)?;
                let mut done = Vec::with_capacity(part.len());
                let mut seats = SeatCache::default();
                for item in part {
                    done.push(activate_in(
                        db,
                        &catalog,
                        &agreements,
                        &item.iid,
                        channel,
                        None,
                        item.label.as_deref(),
                        today,
                        sign,
                        &mut seats,
                        trail,
                    )?);
                }
                Ok(done)
            })?;
            progress(&done);
            out.extend(done);
        }
        Ok(out)
    }

    /// Raises (or lowers, not below the seats in use) a key's activation
    /// limit. Supervisors only; audited with the reason.
    pub fn set_limit(
        &mut self,
        actor: &str,
        serial: u64,
        limit: u32,
        reason: &str,
    ) -> Result<KeyRecord, LedgerError> {
        self.write(|db, trail| {
            require_supervisor(db, actor, "change a key's activation limit", Some(reason))?;
            let key = key_by_serial(db, serial)?
                .ok_or_else(|| LedgerError::NotFound(format!("no key with serial {serial}")))?;
            if key.revoked {
                return Err(LedgerError::Refused(format!(
                    "key {} is revoked: {}; a revoked key activates nothing, whatever its limit",
                    key.key,
                    revocation(db, serial)?
                )));
            }
            let used = seats_in_use(db, serial)?;
            check_limit(key.kind, limit)?;
            if limit < used {
                return Err(LedgerError::Refused(format!(
                    "{used} seats are in use; the limit cannot go below that"
                )));
            }
            db.exec(
                "UPDATE keys SET activation_limit = ?1 WHERE serial = ?2",
                vals![limit, serial],
            )?;
            audit::append(
                db,
                trail,
                actor,
                "key.limit",
                &serial.to_string(),
                &format!("{} -> {limit}: {reason}", key.limit),
                &serde_json::json!({"serial": serial, "limit": limit}),
            )?;
            Ok(KeyRecord { limit, ..key })
        })
    }

    /// Revokes a key: it activates nothing more (the rules deny it);
    /// activations made before stay valid. Supervisors only; audited.
    pub fn revoke_key(
        &mut self,
        actor: &str,
        serial: u64,
        reason: &str,
    ) -> Result<(), LedgerError> {
        self.write(|db, trail| {
            require_supervisor(db, actor, "revoke keys", Some(reason))?;
            let n = db.exec(
                "UPDATE keys SET revoked = 1 WHERE serial = ?1 AND revoked = 0",
                vals![serial],
            )?;
            if n == 0 {
                let key = key_by_serial(db, serial)?
                    .ok_or_else(|| LedgerError::NotFound(format!("no key with serial {serial}")))?;
                return Err(LedgerError::Refused(format!(
                    "key {} is already revoked: {}",
                    key.key,
                    revocation(db, serial)?
                )));
            }
            audit::append(
                db,
                trail,
                actor,
                "key.revoke",
                &serial.to_string(),
                reason,
                &serde_json::json!({"serial": serial}),
            )
        })
    }

    /// Releases the seat an activation holds (its machine was replaced), so
    /// the key's next new machine can take it. Supervisors only; audited.
    pub fn release_seat(
        &mut self,
        actor: &str,
        activation: i64,
        reason: &str,
    ) -> Result<(), LedgerError> {
        self.write(|db, trail| {
            require_supervisor(db, actor, "move a seat", Some(reason))?;
            let n = db.exec("UPDATE activations SET released = 1 WHERE id = ?1 AND decision = 'granted' AND new_seat = 1 AND released = 0", vals![activation])?;
            let found = db.one(
                "SELECT key_serial FROM activations WHERE id = ?1",
                vals![activation],
            )?;
            if n == 0 {
                return Err(LedgerError::NotFound(if found.is_some() {
                    format!("activation #{activation} holds no seat (denied, a reactivation, or already released)")
                } else {
                    format!("there is no activation #{activation}")
                }));
            }
            let key = found.map(|r| r.opt_int(0)).transpose()?.flatten();
            audit::append(
                db,
                trail,
                actor,
                "seat.release",
                &format!("activation #{activation}"),
                reason,
                &serde_json::json!({"activation": activation, "key": key}),
            )
        })
    }

    /// One activation record.
    pub fn activation(&self, id: i64) -> Result<Option<ActivationRow>, LedgerError> {
        self.db
            .one(&format!("{ROW_SELECT} WHERE id = ?1"), vals![id])?
            .map(|r| activation_row(&r))
            .transpose()
    }

    /// Activation records of a key, oldest first.
    pub fn activations_of(&self, serial: u64) -> Result<Vec<ActivationRow>, LedgerError> {
        self.db
            .rows(
                &format!("{ROW_SELECT} WHERE key_serial = ?1 ORDER BY id"),
                vals![serial],
            )?
            .iter()
            .map(activation_row)
            .collect()
    }

    /// Counts of granted seat-taking activations and of all grants (for
    /// consistency checks).
    pub fn counts(&self) -> Result<(i64, i64), LedgerError> {
        let r = self.db.one(
            "SELECT coalesce(sum(CASE WHEN decision = 'granted' AND new_seat = 1 THEN 1 ELSE 0 END), 0), coalesce(sum(CASE WHEN decision = 'granted' THEN 1 ELSE 0 END), 0) FROM activations",
            &[],
        )?;
        let r = r.ok_or_else(|| LedgerError::BadValue("no counts".into()))?;
        Ok((r.int(0)?, r.int(1)?))
    }

    /// The audit trail, oldest first.
    pub fn audit_entries(&self) -> Result<Vec<AuditEntry>, LedgerError> {
        audit::entries(&*self.db)
    }

    /// Appends a note to the audit trail in its own transaction (staff only;
    /// the actions replayed by [`Ledger::verify_audit`] are refused: only
    /// the change they record writes them).
    pub fn audit(
        &mut self,
        actor: &str,
        action: &str,
        subject: &str,
        detail: &str,
    ) -> Result<(), LedgerError> {
        if audit::REPLAYED.contains(&action) {
            return Err(LedgerError::Refused(format!(
                "{action} entries are written by the change they record, not by hand"
            )));
        }
        self.write(|db, trail| {
            require_role(db, actor, Role::Agent, "add notes to the audit trail", None)?;
            audit::append(
                db,
                trail,
                actor,
                action,
                subject,
                detail,
                &serde_json::json!({}),
            )
        })
    }

    /// Records a call handed over by the IVR.
    pub fn hand_over(
        &mut self,
        call: &str,
        reason: &str,
        groups: &[String],
        installation_id: Option<&str>,
        trace: &[String],
    ) -> Result<i64, LedgerError> {
        self.write(|db, trail| {
            let id = db.int(
                "INSERT INTO handovers(at, call, reason, groups, installation_id, trace) VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
                vals![
                    crate::days::now_rfc3339(),
                    call,
                    reason,
                    to_json("the groups entered", groups)?,
                    installation_id,
                    to_json("the decision trace", trace)?
                ],
            )?;
            audit::append(
                db,
                trail,
                "ivr",
                "call.handover",
                &format!("handover #{id}"),
                &format!("call {call}: {reason}"),
                &serde_json::json!({}),
            )?;
            Ok(id)
        })
    }

    /// Handed-over calls, newest first; with `waiting_only`, those no agent
    /// has taken yet.
    pub fn handovers(&self, waiting_only: bool) -> Result<Vec<Handover>, LedgerError> {
        // A hold that ran out is no hold: the call waits again. Times are
        // RFC 3339 text in UTC, which compares as the times do.
        let rows = self.db.rows(
            "SELECT id, at, call, reason, groups, installation_id, trace,
                    CASE WHEN held_until IS NOT NULL AND held_until < ?1 THEN NULL ELSE taken_by END,
                    ended
             FROM handovers
             WHERE ?2 = 0 OR (ended_at IS NULL AND (taken_by IS NULL OR (held_until IS NOT NULL AND held_until < ?1)))
             ORDER BY id DESC",
            vals![crate::days::now_rfc3339(), waiting_only],
        )?;
        rows.iter()
            .map(|r| {
                let id = r.int(0)?;
                Ok(Handover {
                    id,
                    at: r.text(1)?,
                    call: r.text(2)?,
                    reason: r.text(3)?,
                    groups: strings_column("handovers", id, "groups", &r.text(4)?)?,
                    installation_id: r.opt_text(5)?,
                    trace: strings_column("handovers", id, "trace", &r.text(6)?)?,
                    taken_by: r.opt_text(7)?,
                    ended: r.opt_text(8)?,
                })
            })
            .collect()
    }

    /// An agent (or supervisor) takes a handed-over call; refused when
    /// someone already has, or when `agent` is not staff.
    pub fn take_handover(&mut self, id: i64, agent: &str) -> Result<(), LedgerError> {
        self.write(|db, trail| {
            require_role(db, agent, Role::Agent, "take calls", None)?;
            let now = crate::days::now_rfc3339();
            let n = db.exec(
                "UPDATE handovers SET taken_by = ?1, taken_at = ?2, held_until = ?3
                 WHERE id = ?4 AND ended_at IS NULL
                   AND (taken_by IS NULL OR (held_until IS NOT NULL AND held_until < ?2))",
                vals![
                    agent,
                    &now,
                    crate::days::rfc3339_in(CALL_HOLD_SECS.into()),
                    id
                ],
            )?;
            if n == 0 {
                return Err(LedgerError::Refused(format!(
                    "handover #{id} does not exist, was already taken, or has ended"
                )));
            }
            audit::append(
                db,
                trail,
                agent,
                "call.take",
                &format!("handover #{id}"),
                "",
                &serde_json::json!({}),
            )
        })
    }

    /// The taker of call `id` holds it [`CALL_HOLD_SECS`] longer; refused
    /// when the call is not theirs (any more) or has ended.
    pub fn keep_handover(&mut self, id: i64, agent: &str) -> Result<(), LedgerError> {
        let n = self.db.exec(
            "UPDATE handovers SET held_until = ?1
             WHERE id = ?2 AND taken_by = ?3 AND ended_at IS NULL
               AND (held_until IS NULL OR held_until >= ?4)",
            vals![
                crate::days::rfc3339_in(CALL_HOLD_SECS.into()),
                id,
                agent,
                crate::days::now_rfc3339()
            ],
        )?;
        if n == 0 {
            return Err(LedgerError::Refused(format!(
                "call #{id} is no longer yours: it ended, or went back to the queue when its hold ran out"
            )));
        }
        Ok(())
    }

    /// The taker gives call `id` back to the queue, unfinished (the desk
    /// quits, or the agent moves on without deciding).
    pub fn release_handover(&mut self, id: i64, agent: &str) -> Result<(), LedgerError> {
        self.write(|db, trail| {
            let n = db.exec(
                "UPDATE handovers SET taken_by = NULL, taken_at = NULL, held_until = NULL
                 WHERE id = ?1 AND taken_by = ?2 AND ended_at IS NULL",
                vals![id, agent],
            )?;
            if n == 0 {
                return Err(LedgerError::Refused(format!(
                    "call #{id} is not yours to give back, or has ended"
                )));
            }
            audit::append(
                db,
                trail,
                agent,
                "call.release",
                &format!("handover #{id}"),
                "back to the queue",
                &serde_json::json!({}),
            )
        })
    }

    /// Ends call `id`: decided by its taker (`dismissed` none), or
    /// dismissed with a reason by any agent (a caller who hung up) while no
    /// one else holds it. An ended call is off the queue for good.
    pub fn end_handover(
        &mut self,
        id: i64,
        agent: &str,
        dismissed: Option<&str>,
    ) -> Result<(), LedgerError> {
        self.write(|db, trail| {
            require_role(db, agent, Role::Agent, "end calls", None)?;
            let how = match dismissed {
                Some(reason) if reason.trim().is_empty() => {
                    return Err(LedgerError::Refused(
                        "a dismissed call needs a reason".into(),
                    ))
                }
                Some(reason) => format!("dismissed: {}", reason.trim()),
                None => "decided".to_string(),
            };
            let n = db.exec(
                "UPDATE handovers SET ended_at = ?1, ended = ?2
                 WHERE id = ?3 AND ended_at IS NULL
                   AND (taken_by = ?4 OR taken_by IS NULL OR (held_until IS NOT NULL AND held_until < ?1))",
                vals![crate::days::now_rfc3339(), &how, id, agent],
            )?;
            if n == 0 {
                return Err(LedgerError::Refused(format!(
                    "call #{id} does not exist, has ended, or another agent holds it"
                )));
            }
            audit::append(
                db,
                trail,
                agent,
                "call.end",
                &format!("handover #{id}"),
                &how,
                &serde_json::json!({}),
            )
        })
    }

    /// Checks the storage itself (SQLite's `integrity_check`), recomputes
    /// the audit chain, replays the entries and compares keys, limits,
    /// revocations, staff roles, activations and seats, catalog and
    /// agreements with the tables. Returns the number of entries and the
    /// newest entry's hash (record it elsewhere to detect entries cut from
    /// the end later), or the first problem found as
    /// [`LedgerError::Unverified`].
    pub fn verify_audit(&self) -> Result<(usize, String), LedgerError> {
        let db = &*self.db;
        run(db, Begin::Read, || audit::verify(db, &self.trail))
    }

    /// The SQLite file behind this ledger, or why there is none.
    fn file(&self, what: &str) -> Result<&sqlite::Sqlite, LedgerError> {
        self.db.sqlite().ok_or_else(|| {
            LedgerError::Refused(format!(
                "{what} works on SQLite ledgers; {} is a PostgreSQL database (use pg_dump and pg_restore, or `actline ledger copy`)",
                self.db.place()
            ))
        })
    }

    /// Copies the whole ledger, as it stands at one moment, into the empty
    /// file `dest` with SQLite's online backup: one step under one read
    /// transaction, so other processes go on reading and writing and the
    /// copy is consistent. SQLite ledgers only.
    pub fn backup_to(&self, dest: &Path) -> Result<(), LedgerError> {
        self.file("ledger backup")?.backup_to(dest)
    }

    /// Replaces this ledger's whole contents with `from`'s (SQLite's backup
    /// in reverse, under an exclusive lock, so other processes see either
    /// the old ledger or the new one). `self` is not to be used afterwards:
    /// open the ledger again. SQLite ledgers only.
    pub fn restore_from(&mut self, from: &Ledger) -> Result<(), LedgerError> {
        let from = from.file("ledger restore")?;
        self.file("ledger restore")?;
        self.db
            .sqlite_mut()
            .expect("checked above")
            .restore_from(from)
    }

    /// Activations per day, agreement and product code, between two days
    /// (`YYYY-MM-DD`, both included, either open), by day, agreement
    /// (direct keys first) and product.
    pub fn daily_counts(
        &self,
        since: Option<&str>,
        until: Option<&str>,
    ) -> Result<Vec<DayCount>, LedgerError> {
        let rows = self.db.rows(
            "SELECT substr(a.created_at, 1, 10), k.agreement, a.product,
                    sum(CASE WHEN a.decision = 'granted' THEN 1 ELSE 0 END),
                    sum(CASE WHEN a.decision = 'granted' AND a.new_seat = 1 THEN 1 ELSE 0 END),
                    sum(CASE WHEN a.decision = 'denied' THEN 1 ELSE 0 END)
             FROM activations a LEFT JOIN keys k ON k.serial = a.key_serial
             WHERE substr(a.created_at, 1, 10) >= ?1 AND substr(a.created_at, 1, 10) <= ?2
             GROUP BY substr(a.created_at, 1, 10), k.agreement, a.product
             ORDER BY substr(a.created_at, 1, 10), CASE WHEN k.agreement IS NULL THEN 0 ELSE 1 END, k.agreement, a.product",
            vals![since.unwrap_or(""), until.unwrap_or("9999-99-99")],
        )?;
        rows.iter()
            .map(|r| {
                Ok(DayCount {
                    day: r.text(0)?,
                    agreement: r.opt_text(1)?,
                    product: r.num(2)?,
                    granted: r.num(3)?,
                    new_seats: r.num(4)?,
                    denied: r.num(5)?,
                })
            })
            .collect()
    }

    /// Every activation's number and time: what tells two ledgers' histories
    /// apart.
    pub fn activation_stamps(&self) -> Result<Vec<(i64, String)>, LedgerError> {
        self.db
            .rows("SELECT id, created_at FROM activations ORDER BY id", &[])?
            .iter()
            .map(|r| Ok((r.int(0)?, r.text(1)?)))
            .collect()
    }

    /// How many keys and activations the ledger holds.
    pub fn sizes(&self) -> Result<(u64, u64), LedgerError> {
        Ok((
            self.db.int("SELECT count(*) FROM keys", &[])? as u64,
            self.db.int("SELECT count(*) FROM activations", &[])? as u64,
        ))
    }
}

/// Every table a ledger holds, with its columns, in an order that keeps
/// references pointing backwards (a key's product before the key, an
/// activation's origin before it): what [`Ledger::copy_into`] moves.
const TABLES: &[(&str, &str, &str)] = &[
    ("meta", "k, v", "k"),
    ("products", "code, name", "code"),
    ("keys", "serial, key, kind, product, agreement, activation_limit, revoked, created_at, created_by", "serial"),
    ("staff", "name, role, added_at", "name"),
    ("tokens", "name, hash, issued_at, issued_by", "name"),
    ("activations", "id, key_serial, product, iid, hardware, decision, new_seat, reactivation_of, released, confirmation_id, trace, label, actor, created_at", "id"),
    ("audit", "id, at, actor, action, subject, detail, prev, hash, data", "id"),
    ("handovers", "id, at, call, reason, groups, installation_id, trace, taken_by, taken_at, held_until, ended_at, ended", "id"),
    ("idempotency", "caller, key, request, reply, at", "caller, key"),
];

impl Ledger {
    /// Copies every row of this ledger, as of one moment, into `dest`,
    /// which must be empty (a new ledger on either backend), in one write
    /// transaction there: `dest` ends up with all of it or none. The rows
    /// keep their numbers and the audit trail its hashes, so `dest`
    /// verifies with the same key and anchor; the caller checks that
    /// ([`Ledger::verify_audit`] on both, compared). Returns the rows copied.
    pub fn copy_into(&self, dest: &mut Ledger) -> Result<u64, LedgerError> {
        let src = &*self.db;
        let to = &*dest.db;
        run(src, Begin::Read, || {
            run(to, Begin::Write, || {
                for (table, _, _) in TABLES {
                    let n = to.int(&format!("SELECT count(*) FROM {table}"), &[])?;
                    if n > 0 {
                        return Err(LedgerError::Refused(format!(
                            "{}: the ledger there is not empty ({table} holds {n} rows); a copy goes only into a new, empty ledger",
                            to.place()
                        )));
                    }
                }
                let mut copied = 0;
                for (table, columns, order) in TABLES {
                    let width = columns.split(',').count();
                    let insert = format!(
                        "INSERT INTO {table}({columns}) VALUES ({})",
                        (1..=width)
                            .map(|i| format!("?{i}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                    for row in src.rows(
                        &format!("SELECT {columns} FROM {table} ORDER BY {order}"),
                        &[],
                    )? {
                        to.exec(&insert, &row.0)?;
                        copied += 1;
                    }
                }
                to.numbered_rows_follow()?;
                Ok(copied)
            })
        })
    }
}

const ROW_SELECT: &str = "SELECT id, key_serial, product, iid, hardware, decision, new_seat, reactivation_of, released, confirmation_id, trace, label, actor, created_at FROM activations";

/// An activation row as [`ROW_SELECT`] reads it; a corrupt trace is an
/// error.
fn activation_row(r: &Row) -> Result<ActivationRow, LedgerError> {
    let id = r.int(0)?;
    Ok(ActivationRow {
        id,
        key_serial: r.opt_int(1)?.map(|s| s as u64),
        product: r.num(2)?,
        installation_id: r.text(3)?,
        hardware: r.text(4)?,
        decision: r.text(5)?,
        new_seat: r.flag(6)?,
        reactivation_of: r.opt_int(7)?,
        released: r.flag(8)?,
        confirmation_id: r.opt_text(9)?,
        reasons: strings_column("activations", id, "trace", &r.text(10)?)?,
        label: r.opt_text(11)?,
        actor: r.text(12)?,
        created_at: r.text(13)?,
    })
}

/// The limits each key kind allows: retail and setup keys are for one
/// machine; site-host keys activate at most six hosts.
fn check_limit(kind: KeyKind, limit: u32) -> Result<(), LedgerError> {
    use crate::entitlement::rules::SITE_HOSTS_MAX;
    match kind {
        KeyKind::Retail | KeyKind::Setup if limit != 1 => Err(LedgerError::Refused(format!(
            "{kind} keys are for one machine; the limit must be 1, not {limit}"
        ))),
        KeyKind::SiteHost if limit > SITE_HOSTS_MAX => Err(LedgerError::Refused(format!(
            "site-host keys activate at most {SITE_HOSTS_MAX} hosts, not {limit}"
        ))),
        _ => Ok(()),
    }
}

fn staff_role(db: &dyn Db, name: &str) -> Result<Option<Role>, LedgerError> {
    db.one("SELECT role FROM staff WHERE name = ?1", vals![name])?
        .map(|r| role_column(name, &r.text(0)?))
        .transpose()
}

/// How many supervisors there are besides `name`.
fn other_supervisors(db: &dyn Db, name: &str) -> Result<i64, LedgerError> {
    db.int(
        "SELECT count(*) FROM staff WHERE role = 'supervisor' AND name <> ?1",
        vals![name],
    )
}

/// The one role check of the ledger, made inside the caller's
/// transaction. Every change to keys, limits, seats, the catalog, the
/// agreements and staff needs a supervisor ([`require_supervisor`]); taking
/// an IVR call needs staff ([`Role::Agent`] or above). Someone who is not on
/// the staff list changes nothing (activations they ask for are decided as
/// self-service by the rules). `reason`, when the action records one, must
/// not be blank.
fn require_role(
    db: &dyn Db,
    actor: &str,
    need: Role,
    what: &str,
    reason: Option<&str>,
) -> Result<(), LedgerError> {
    let rank = |r: Role| match r {
        Role::Agent => 1,
        Role::Supervisor => 2,
    };
    match staff_role(db, actor)? {
        Some(have) if rank(have) >= rank(need) => {}
        Some(have) => {
            return Err(LedgerError::Forbidden(format!(
                "only supervisors {what}, and {actor} is {} {}",
                if have == Role::Agent { "an" } else { "a" },
                have.name()
            )))
        }
        None => {
            return Err(LedgerError::Forbidden(format!(
                "only {} {what}, and {actor} is not on the staff list",
                if need == Role::Supervisor {
                    "supervisors"
                } else {
                    "staff"
                }
            )))
        }
    }
    if reason.is_some_and(|r| r.trim().is_empty()) {
        return Err(LedgerError::Refused("a reason is required".into()));
    }
    Ok(())
}

/// A supervisor action: see [`require_role`].
fn require_supervisor(
    db: &dyn Db,
    actor: &str,
    what: &str,
    reason: Option<&str>,
) -> Result<(), LedgerError> {
    require_role(db, actor, Role::Supervisor, what, reason)
}

fn key_by_serial(db: &dyn Db, serial: u64) -> Result<Option<KeyRecord>, LedgerError> {
    let Some(r) = db.one(
        "SELECT serial, key, kind, product, agreement, activation_limit, revoked FROM keys WHERE serial = ?1",
        vals![serial],
    )?
    else {
        return Ok(None);
    };
    let kind = r
        .text(2)?
        .parse()
        .map_err(|e: String| LedgerError::CorruptRow {
            table: "keys",
            row: serial.to_string(),
            column: "kind",
            reason: e,
        })?;
    Ok(Some(KeyRecord {
        serial: r.int(0)? as u64,
        key: r.text(1)?,
        kind,
        product: r.num(3)?,
        agreement: r.opt_text(4)?,
        limit: r.num(5)?,
        revoked: r.flag(6)?,
    }))
}

/// When and by whom a key was revoked, from the audit trail.
fn revocation(db: &dyn Db, serial: u64) -> Result<String, LedgerError> {
    let entry = db.one(
        "SELECT at, actor, detail FROM audit WHERE action = 'key.revoke' AND subject = ?1 ORDER BY id DESC LIMIT 1",
        vals![serial.to_string()],
    )?;
    Ok(match entry {
        Some(r) => format!(
            "revoked at {} by {} ({})",
            r.text(0)?,
            r.text(1)?,
            r.text(2)?
        ),
        None => "no audit entry says when or by whom (run `actline audit verify`)".into(),
    })
}

/// Seats a key has in use: its seat-holding activations not released.
fn seats_in_use(db: &dyn Db, serial: u64) -> Result<u32, LedgerError> {
    let n = db.int(
        "SELECT count(*) FROM activations WHERE key_serial = ?1 AND decision = 'granted' AND new_seat = 1 AND released = 0",
        vals![serial],
    )?;
    u32::try_from(n).map_err(|_| LedgerError::BadValue(format!("{n} seats in use")))
}

/// The seat-holding activations of a key, with their reactivation counts.
fn prior(db: &dyn Db, serial: u64) -> Result<Vec<PriorActivation>, LedgerError> {
    let rows = db.rows(
        "SELECT a.id, a.hardware, a.product, a.released,
                (SELECT count(*) FROM activations r WHERE r.reactivation_of = a.id AND r.decision = 'granted')
         FROM activations a WHERE a.key_serial = ?1 AND a.decision = 'granted' AND a.new_seat = 1 ORDER BY a.id",
        vals![serial],
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let id = r.int(0)?;
        let hw = r.text(1)?;
        // A damaged fingerprint must not read as a new machine (a free seat).
        let hardware = HardwareHash::from_hex(&hw).ok_or_else(|| LedgerError::CorruptRow {
            table: "activations",
            row: id.to_string(),
            column: "hardware",
            reason: format!("{hw:?} is not a fingerprint"),
        })?;
        out.push(PriorActivation {
            id,
            hardware,
            product: r.num(2)?,
            released: r.flag(3)?,
            reactivations: r.num(4)?,
        });
    }
    Ok(out)
}

/// Gathers the facts for `iid` (its key, the key's seats) and decides.
#[allow(clippy::too_many_arguments)]
fn decide_in(
    db: &dyn Db,
    catalog: &Catalog,
    agreements: &Agreements,
    iid: &InstallationId,
    channel: &Channel,
    caller_agreement: Option<&str>,
    today: u16,
    seats: &mut SeatCache,
) -> Result<(Decision, Option<KeyRecord>), LedgerError> {
    let key = key_by_serial(db, iid.key_serial)?;
    let empty = Vec::new();
    let prior = match &key {
        Some(k) => seats.of(db, k.serial)?,
        None => &empty,
    };
    let req = Request {
        catalog,
        agreements,
        iid,
        key: key.as_ref(),
        prior,
        channel,
        caller_agreement,
        today,
    };
    Ok((decide(&req), key))
}

/// The seat-holding activations of the keys one transaction has looked at,
/// read once and kept current as the transaction records grants, so a batch
/// chunk on one large key reads that key's seats once, not once per ID.
/// Valid only inside the write transaction it was filled in (nothing else
/// can write the ledger meanwhile).
#[derive(Default)]
struct SeatCache(std::collections::HashMap<u64, Vec<PriorActivation>>);

impl SeatCache {
    fn of(&mut self, db: &dyn Db, serial: u64) -> Result<&Vec<PriorActivation>, LedgerError> {
        Ok(match self.0.entry(serial) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => e.insert(prior(db, serial)?),
        })
    }

    /// Records what a grant changed: a new seat, or one more reactivation.
    fn granted(&mut self, serial: u64, grant: &Grant, id: i64, iid: &InstallationId) {
        let Some(seats) = self.0.get_mut(&serial) else {
            return;
        };
        if let Some(of) = grant.reactivation_of {
            if let Some(p) = seats.iter_mut().find(|p| p.id == of) {
                p.reactivations += 1;
            }
        } else if grant.new_seat {
            seats.push(PriorActivation {
                id,
                hardware: iid.hardware,
                product: iid.product,
                released: false,
                reactivations: 0,
            });
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn activate_in(
    db: &dyn Db,
    catalog: &Catalog,
    agreements: &Agreements,
    iid: &InstallationId,
    channel: &Channel,
    caller_agreement: Option<&str>,
    label: Option<&str>,
    today: u16,
    sign: &dyn Fn(&Grant, &Product, &InstallationId) -> String,
    seats: &mut SeatCache,
    trail: &audit::Trail,
) -> Result<Activation, LedgerError> {
    let (decision, key) = decide_in(
        db,
        catalog,
        agreements,
        iid,
        channel,
        caller_agreement,
        today,
        seats,
    )?;
    let product = catalog.by_code(iid.product).cloned();
    let cid = match (&decision.outcome, &product) {
        (Ok(grant), Some(p)) => Some(sign(grant, p, iid)),
        _ => None,
    };
    let (new_seat, reactivation_of) = match &decision.outcome {
        Ok(g) => (g.new_seat, g.reactivation_of),
        Err(_) => (false, None),
    };
    let actor = match channel {
        Channel::SelfService => "self-service".to_string(),
        Channel::Staff { name, .. } => name.clone(),
    };
    let trace = to_json("the decision trace", &decision.trace)?;
    let id = db.int(
        "INSERT INTO activations(key_serial, product, iid, hardware, decision, new_seat, reactivation_of, confirmation_id, trace, label, actor, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) RETURNING id",
        vals![
            key.as_ref().map(|k| k.serial),
            iid.product,
            iid.to_string(),
            iid.hardware.to_hex(),
            decision.word(),
            new_seat,
            reactivation_of,
            cid.clone(),
            trace,
            label,
            &actor,
            crate::days::now_rfc3339(),
        ],
    )?;
    if let (Ok(grant), Some(k)) = (&decision.outcome, &key) {
        seats.granted(k.serial, grant, id, iid);
    }
    #[cfg(test)]
    tests::GRANT_SYNC.with(|c| c.set(db.int("PRAGMA synchronous", &[]).unwrap_or(-1)));
    audit::append(
        db,
        trail,
        &actor,
        "activate",
        &format!("activation #{id}"),
        decision.word(),
        &audit::activation_data(
            id,
            key.as_ref().map(|k| k.serial),
            decision.word(),
            new_seat,
        ),
    )?;
    Ok(Activation {
        id,
        decision,
        confirmation_id: cid,
        product,
    })
}

#[cfg(test)]
impl Ledger {
    /// The SQLite connection, for tests that damage the file on purpose.
    fn conn(&self) -> &rusqlite::Connection {
        &self.db.sqlite().expect("an SQLite ledger").conn
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::Connection;

    #[test]
    fn the_desk_recognised_a_locked_ledger_by_its_message() {
        let busy = |code| {
            LedgerError::Sql(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(code),
                Some("some other words".into()),
            ))
        };
        assert!(busy(rusqlite::ffi::SQLITE_BUSY).is_busy());
        assert!(busy(rusqlite::ffi::SQLITE_LOCKED).is_busy());
        assert!(!busy(rusqlite::ffi::SQLITE_CORRUPT).is_busy());
        assert!(!LedgerError::Refused("database is locked".into()).is_busy());
    }

    thread_local! {
        /// `PRAGMA synchronous` as the last activation saw it in its
        /// transaction (2 is FULL).
        pub(super) static GRANT_SYNC: std::cell::Cell<i64> = const { std::cell::Cell::new(-1) };
    }

    /// A fresh demo ledger with a supervisor "sue" and a studio key.
    fn demo() -> (tempfile::TempDir, Ledger, crate::home::Secrets, KeyRecord) {
        let dir = tempfile::tempdir().unwrap();
        let home = crate::home::Home::at(dir.path().join("h"));
        let (secrets, mut l, catalog) = home.init("sue", true).unwrap();
        let studio = catalog.by_name("studio").unwrap().clone();
        let key = l
            .issue_key("sue", &studio, KeyKind::Mak, None, 100, &|k, c| {
                secrets.key_secret(k, c)
            })
            .unwrap();
        (dir, l, secrets, key)
    }

    #[test]
    fn a_taken_call_not_finished_goes_back_to_the_queue_and_an_ended_one_never() {
        let (_d, mut l, _s, _k) = demo();
        l.add_staff("sue", "ann", Role::Agent).unwrap();
        l.add_staff("sue", "bob", Role::Agent).unwrap();
        let call =
            |l: &mut Ledger, name: &str| l.hand_over(name, "caller asked", &[], None, &[]).unwrap();
        let waiting =
            |l: &Ledger| -> Vec<i64> { l.handovers(true).unwrap().iter().map(|h| h.id).collect() };
        let (one, two) = (call(&mut l, "c1"), call(&mut l, "c2"));
        l.take_handover(one, "ann").unwrap();
        assert_eq!(waiting(&l), [two], "held by ann");
        assert!(l.take_handover(one, "bob").is_err(), "one taker at a time");
        l.keep_handover(one, "ann").unwrap();
        assert!(
            l.keep_handover(one, "bob").is_err(),
            "only the taker renews"
        );
        // Ann's desk crashed: her hold runs out, and the call waits again.
        l.conn()
            .execute(
                "UPDATE handovers SET held_until = '2000-01-01T00:00:00Z' WHERE id = ?1",
                [one],
            )
            .unwrap();
        assert_eq!(waiting(&l), [two, one]);
        assert!(
            l.keep_handover(one, "ann").is_err(),
            "a hold that ran out is gone"
        );
        l.take_handover(one, "bob").unwrap();
        // Bob gives it back; Ann takes it and decides it: it has ended.
        assert!(l.release_handover(one, "ann").is_err(), "not hers");
        l.release_handover(one, "bob").unwrap();
        l.take_handover(one, "ann").unwrap();
        l.end_handover(one, "ann", None).unwrap();
        assert!(l.take_handover(one, "bob").is_err(), "ended");
        assert_eq!(waiting(&l), [two]);
        // A caller who hung up: dismissed with a reason, by any agent.
        assert!(
            l.end_handover(two, "bob", Some("  ")).is_err(),
            "a reason is needed"
        );
        l.end_handover(two, "bob", Some("the caller hung up"))
            .unwrap();
        assert!(waiting(&l).is_empty());
        let all = l.handovers(false).unwrap();
        let ended: Vec<_> = all.iter().map(|h| h.ended.clone().unwrap()).collect();
        assert_eq!(ended, ["dismissed: the caller hung up", "decided"]);
        let actions: Vec<String> = l
            .audit_entries()
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .filter(|a| a.starts_with("call."))
            .collect();
        assert!(
            actions.contains(&"call.release".into()) && actions.contains(&"call.end".into()),
            "{actions:?}"
        );
        l.verify_audit().unwrap();
    }

    fn iid_for(key: &KeyRecord, n: u8) -> InstallationId {
        let k = ProductKey::parse(&key.key).unwrap();
        let hw = HardwareHash::numbered(n as u64);
        InstallationId::new(key.product, &k, hw, 2500)
    }

    #[test]
    fn grants_were_committed_with_synchronous_normal() {
        let (_d, mut l, secrets, key) = demo();
        let staff = Channel::Staff {
            name: "sue".into(),
            role: Role::Supervisor,
        };
        let sign = |g: &Grant, p: &Product, i: &InstallationId| secrets.confirmation_id(g, p, i);
        GRANT_SYNC.with(|c| c.set(-1));
        let a = l
            .activate(&iid_for(&key, 1), &staff, None, None, 2500, &sign)
            .unwrap();
        assert!(a.decision.outcome.is_ok());
        assert_eq!(
            GRANT_SYNC.with(|c| c.get()),
            2,
            "FULL while the grant commits"
        );
        GRANT_SYNC.with(|c| c.set(-1));
        let items = [BatchItem {
            iid: iid_for(&key, 2),
            label: None,
        }];
        l.activate_batch(&items, 10, &staff, 2500, &sign, &mut |_| {})
            .unwrap();
        assert_eq!(GRANT_SYNC.with(|c| c.get()), 2, "FULL in a batch too");
        let after: i64 = l
            .conn()
            .query_row("PRAGMA synchronous", [], |r| r.get(0))
            .unwrap();
        assert_eq!(after, 1, "NORMAL again for everything else");
    }

    #[test]
    fn a_full_disk_was_reported_as_not_a_usable_ledger() {
        let (_d, mut l, secrets, key) = demo();
        let staff = Channel::Staff {
            name: "sue".into(),
            role: Role::Supervisor,
        };
        let sign = |g: &Grant, p: &Product, i: &InstallationId| secrets.confirmation_id(g, p, i);
        // A real SQLITE_FULL: the database may not grow by another page.
        let pages: i64 = l
            .conn()
            .query_row("PRAGMA page_count", [], |r| r.get(0))
            .unwrap();
        l.conn()
            .query_row(&format!("PRAGMA max_page_count = {pages}"), [], |r| {
                r.get::<_, i64>(0)
            })
            .unwrap();
        let before = l.counts().unwrap();
        let items: Vec<BatchItem> = (0..200)
            .map(|n| BatchItem {
                iid: iid_for(&key, n),
                label: Some("x".repeat(400)),
            })
            .collect();
        let e = l
            .activate_batch(&items, 200, &staff, 2500, &sign, &mut |_| {})
            .unwrap_err();
        assert!(matches!(e, LedgerError::DiskFull), "{e:?}");
        assert!(
            e.to_string().contains("disk holding the ledger is full"),
            "{e}"
        );
        assert_eq!(l.counts().unwrap(), before, "nothing half-written");
        l.verify_audit().unwrap();
        assert!(matches!(
            sqlite::open_err(
                Path::new("x"),
                rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL),
                    None
                )
            ),
            LedgerError::DiskFull
        ));
    }

    #[test]
    fn corrupt_hand_over_json_was_read_as_empty() {
        let (_d, mut l, _, _) = demo();
        let id = l
            .hand_over("c", "pressed 0", &["1234567".into()], None, &[])
            .unwrap();
        l.conn()
            .execute("UPDATE handovers SET groups = '{' WHERE id = ?1", [id])
            .unwrap();
        let e = l.handovers(false).unwrap_err();
        assert!(
            e.to_string()
                .contains(&format!("handovers row {id}, column groups")),
            "{e}"
        );
        // The CHECK constraint keeps SQL honest; a damaged file does not.
        l.conn()
            .execute_batch("PRAGMA ignore_check_constraints = ON; UPDATE staff SET role = 'owner'")
            .unwrap();
        let e = l.staff().unwrap_err();
        assert!(e.to_string().contains("staff row sue, column role"), "{e}");
        assert!(l.role("sue").is_err(), "an unknown role is not an agent");
    }

    #[test]
    fn a_version_1_ledger_upgrades_and_keeps_its_data() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        {
            let c = Connection::open(&path).unwrap();
            c.execute_batch(sqlite::MIGRATIONS[0]).unwrap();
            c.execute_batch("PRAGMA user_version = 1").unwrap();
            c.execute(
                "INSERT INTO products(code, name) VALUES (101, 'studio')",
                [],
            )
            .unwrap();
            c.execute(
                "INSERT INTO keys(serial, key, kind, product, activation_limit, created_at, created_by) VALUES (7, 'K', 'mak', 101, 3, 'now', 'me')",
                [],
            )
            .unwrap();
        }
        let mut l = Ledger::open(&path)
            .unwrap()
            .with_audit_key(AuditKey::new([7; 32]), None)
            .unwrap();
        let v: i64 = l
            .conn()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, SCHEMA_VERSION);
        assert_eq!(
            l.key(7).unwrap().unwrap().limit,
            3,
            "the key survived the upgrade"
        );
        let id = l
            .hand_over("call-1", "caller pressed 0", &["1234567".into()], None, &[])
            .unwrap();
        assert_eq!(
            l.handovers(true).unwrap()[0].groups,
            vec!["1234567".to_string()]
        );
        l.add_staff("alice", "alice", Role::Supervisor).unwrap();
        l.add_staff("alice", "bob", Role::Agent).unwrap();
        l.take_handover(id, "alice").unwrap();
        assert!(l.take_handover(id, "bob").is_err(), "a call is taken once");
        assert!(l.handovers(true).unwrap().is_empty());
        // The upgrade's baseline explains the key made before the trail
        // carried replay data; what came after replays on top of it.
        l.verify_audit().unwrap();
        l.set_limit("alice", 7, 5, "more machines").unwrap();
        l.verify_audit().unwrap();
        l.conn()
            .execute("UPDATE keys SET activation_limit = 999", [])
            .unwrap();
        assert!(matches!(l.verify_audit(), Err(LedgerError::Unverified(_))));
    }
}
