//! The ledger: keys, activations and the audit trail, in SQLite.
//!
//! - Opening reads `PRAGMA user_version` and applies each missing migration
//!   in one immediate transaction; a schema newer than this build knows, or a
//!   file that is not a ledger, is refused without being touched.
//! - WAL journaling and a generous busy wait ([`wait`], which can say that
//!   it waits); every change runs in an
//!   `IMMEDIATE` transaction, so concurrent processes are serialized and a
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
mod service;
pub mod wait;

pub use audit::{Anchor, AuditEntry, AuditKey};

use crate::entitlement::rules::{
    decide, Channel, Decision, Grant, KeyRecord, PriorActivation, Request, Role,
};
use crate::entitlement::{Agreements, Catalog, Product};
use crate::fingerprint::HardwareHash;
use crate::ids::InstallationId;
use crate::keys::{KeyKind, ProductKey};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Migrations, in order; index + 1 is the schema version they produce.
const MIGRATIONS: &[&str] = &[
    include_str!("sql/v1.sql"),
    include_str!("sql/v2.sql"),
    include_str!("sql/v3.sql"),
    include_str!("sql/v4.sql"),
    include_str!("sql/v5.sql"),
    include_str!("sql/v6.sql"),
];
/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Ledger errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LedgerError {
    /// No ledger at the path.
    #[error("{0}: no ledger here (run `actline init` first)")]
    Missing(PathBuf),
    /// The file is not an SQLite database or is damaged.
    #[error("{path}: not a usable ledger ({reason})")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What SQLite said.
        reason: String,
    },
    /// Made by a newer actline.
    #[error("{path}: ledger schema version {found} is newer than this actline understands ({known}); upgrade actline")]
    TooNew {
        /// The file.
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
    /// The disk (or the file system holding the ledger) is full. SQLite
    /// rolled the change back: nothing was half-written.
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
    /// Whether the file is damaged or was edited outside actline: a
    /// corrupt file or row, a stored value SQLite cannot hand back as its
    /// type, a damaged page.
    pub fn is_corrupt(&self) -> bool {
        match self {
            LedgerError::Corrupt { .. } | LedgerError::CorruptRow { .. } => true,
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
        matches!(
            self,
            LedgerError::Sql(rusqlite::Error::SqliteFailure(f, _))
                if matches!(f.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
        )
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

/// An error while opening `path`: a full disk, an unreachable file, a
/// locked ledger (kept as [`LedgerError::Sql`]) or a file that is not a
/// usable ledger.
fn open_err(path: &Path, e: rusqlite::Error) -> LedgerError {
    use rusqlite::ErrorCode as C;
    if is_disk_full(&e) {
        return LedgerError::DiskFull;
    }
    match e.sqlite_error_code() {
        Some(C::DatabaseBusy | C::DatabaseLocked) => LedgerError::Sql(e),
        Some(C::CannotOpen | C::PermissionDenied | C::ReadOnly) => LedgerError::Inaccessible {
            path: path.to_path_buf(),
            reason: e.to_string(),
        },
        _ => corrupt(path, e),
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

/// SQLite's clock, as the handover columns write time.
const NOW: &str = "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')";

/// An open ledger.
pub struct Ledger {
    conn: Connection,
    path: PathBuf,
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

/// The revision of the loaded catalog and agreements ("catalog/agreements").
fn revision(conn: &Connection) -> Result<String, LedgerError> {
    Ok(conn.query_row(
        "SELECT coalesce((SELECT v FROM meta WHERE k = 'catalog_rev'), '0') || '/' || coalesce((SELECT v FROM meta WHERE k = 'agreements_rev'), '0')",
        [],
        |r| r.get(0),
    )?)
}

fn read_catalog(conn: &Connection, path: &Path) -> Result<Catalog, LedgerError> {
    let json: Option<String> = conn
        .query_row("SELECT v FROM meta WHERE k = 'catalog'", [], |r| r.get(0))
        .optional()?;
    match json {
        None => Ok(Catalog::default()),
        Some(json) => {
            Catalog::from_json(&json).map_err(|e| corrupt(path, format!("stored catalog: {e}")))
        }
    }
}

fn read_agreements(conn: &Connection, path: &Path) -> Result<Agreements, LedgerError> {
    let json: Option<String> = conn
        .query_row("SELECT v FROM meta WHERE k = 'agreements'", [], |r| {
            r.get(0)
        })
        .optional()?;
    match json {
        None => Ok(Agreements::default()),
        Some(json) => serde_json::from_str(&json)
            .map_err(|e| corrupt(path, format!("stored agreements: {e}"))),
    }
}

/// The catalog and agreements current in `conn`'s transaction, from `cache`
/// when their revision has not moved.
fn current_rules(
    conn: &Connection,
    path: &Path,
    cache: &mut Option<Rules>,
) -> Result<(Arc<Catalog>, Arc<Agreements>), LedgerError> {
    let rev = revision(conn)?;
    if let Some(r) = cache.as_ref().filter(|r| r.revision == rev) {
        return Ok((r.catalog.clone(), r.agreements.clone()));
    }
    let r = Rules {
        revision: rev,
        catalog: Arc::new(read_catalog(conn, path)?),
        agreements: Arc::new(read_agreements(conn, path)?),
    };
    let out = (r.catalog.clone(), r.agreements.clone());
    *cache = Some(r);
    Ok(out)
}

fn corrupt(path: &Path, e: impl ToString) -> LedgerError {
    LedgerError::Corrupt {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

/// Refuses a schema newer than this build, or an SQLite database with
/// tables but no ledger schema version. Reads only.
fn check_version(conn: &Connection, path: &Path, version: i64) -> Result<(), LedgerError> {
    if version > SCHEMA_VERSION {
        return Err(LedgerError::TooNew {
            path: path.to_path_buf(),
            found: version,
            known: SCHEMA_VERSION,
        });
    }
    if version == 0 {
        let tables: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
            .map_err(|e| open_err(path, e))?;
        if tables > 0 {
            return Err(corrupt(
                path,
                "an SQLite database, but not an actline ledger",
            ));
        }
    }
    Ok(())
}

/// Checks the file's 100-byte SQLite header before SQLite opens it: not
/// SQLite, a newer schema version (offset 60) or a foreign schema (version
/// 0 with a schema cookie, offset 40) is refused without SQLite touching
/// the file (it would otherwise make `-wal`/`-shm` files for a WAL-mode
/// database just to read it). A ledger whose newest commits still sit in
/// its WAL may have an older header; [`check_version`] then reads the truth.
fn precheck(path: &Path) -> Result<(), LedgerError> {
    use std::io::Read;
    let mut header = Vec::with_capacity(100);
    std::fs::File::open(path)
        .and_then(|f| f.take(100).read_to_end(&mut header))
        .map_err(|e| LedgerError::Inaccessible {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
    if header.is_empty() {
        return Err(corrupt(path, "the file is empty"));
    }
    if header.len() < 100 || !header.starts_with(b"SQLite format 3\0") {
        return Err(corrupt(path, "not an SQLite database"));
    }
    let word = |at: usize| {
        u32::from_be_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]])
    };
    let version = i64::from(word(60) as i32);
    if version > SCHEMA_VERSION {
        return Err(LedgerError::TooNew {
            path: path.to_path_buf(),
            found: version,
            known: SCHEMA_VERSION,
        });
    }
    if version == 0 && word(40) != 0 {
        return Err(corrupt(
            path,
            "an SQLite database, but not an actline ledger",
        ));
    }
    Ok(())
}

impl Ledger {
    /// Creates a new ledger file (refuses to overwrite one).
    pub fn create(path: &Path) -> Result<Self, LedgerError> {
        if path.exists() {
            return Err(LedgerError::Refused(format!(
                "{}: a ledger already exists",
                path.display()
            )));
        }
        Self::open_inner(path, true)
    }

    /// Opens an existing ledger, upgrading its schema when it is older.
    ///
    /// A file that is not a ledger, or a ledger from a newer actline, is
    /// refused before anything is written: its bytes stay as they were and
    /// no `-wal`/`-shm` file is left beside it. A path that cannot be
    /// reached (permissions) is [`LedgerError::Inaccessible`], not
    /// [`LedgerError::Missing`].
    pub fn open(path: &Path) -> Result<Self, LedgerError> {
        match std::fs::metadata(path) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(LedgerError::Missing(path.to_path_buf()))
            }
            Err(e) => {
                return Err(LedgerError::Inaccessible {
                    path: path.to_path_buf(),
                    reason: e.to_string(),
                })
            }
        }
        precheck(path)?;
        Self::open_inner(path, false)
    }

    fn open_inner(path: &Path, create: bool) -> Result<Self, LedgerError> {
        use rusqlite::OpenFlags;
        let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        if create {
            flags |= OpenFlags::SQLITE_OPEN_CREATE;
        }
        let conn = Connection::open_with_flags(path, flags).map_err(|e| open_err(path, e))?;
        conn.busy_handler(Some(wait::busy))
            .map_err(|e| open_err(path, e))?;
        // Read-only checks before the first write (the WAL switch): a file
        // refused here is left exactly as it was.
        if !create {
            let version: i64 = conn
                .query_row("PRAGMA user_version", [], |r| r.get(0))
                .map_err(|e| open_err(path, e))?;
            check_version(&conn, path, version)?;
        }
        // Pragmas outside migrations.
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(|e| open_err(path, e))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(corrupt(
                path,
                format!("cannot use WAL journaling (got {mode})"),
            ));
        }
        // NORMAL between grants; every commit that records a grant switches
        // to FULL (see `Ledger::durably`).
        conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;")
            .map_err(|e| open_err(path, e))?;
        let mut ledger = Self {
            conn,
            path: path.to_path_buf(),
            rules: None,
            trail: audit::Trail::default(),
        };
        ledger.migrate()?;
        Ok(ledger)
    }

    /// Runs `f` with `synchronous = FULL`, so the commits it makes survive a
    /// power cut (WAL with NORMAL may lose the newest commits, and with
    /// them confirmation IDs already read to callers). The setting cannot
    /// change inside a transaction, so it wraps the whole call.
    fn durably<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, LedgerError>,
    ) -> Result<T, LedgerError> {
        self.conn.execute_batch("PRAGMA synchronous = FULL")?;
        let out = f(self);
        let back = self.conn.execute_batch("PRAGMA synchronous = NORMAL");
        let out = out?;
        back?;
        Ok(out)
    }

    fn migrate(&mut self) -> Result<(), LedgerError> {
        let path = self.path.clone();
        let version: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| open_err(&path, e))?;
        check_version(&self.conn, &path, version)?;
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            // Re-check under the lock: another process may have migrated.
            let now: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            if now > i as i64 {
                continue;
            }
            tx.execute_batch(sql)?;
            // Version 3 starts replay data; an existing ledger's state so far
            // becomes the baseline replay starts from.
            if i + 1 == 3 && version > 0 {
                audit::baseline(&tx)?;
            }
            tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1))?;
            tx.commit()?;
        }
        Ok(())
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
        let anchor = match audit::find_anchor(&self.conn, &key, known)? {
            Some(a) => a,
            // Durable: the home records the anchor next, and must never
            // record one a power cut then took from the ledger.
            None => self.durably(|l| {
                let tx = l
                    .conn
                    .transaction_with_behavior(TransactionBehavior::Immediate)?;
                // Re-read under the lock: another process may have anchored.
                let a = match audit::find_anchor(&tx, &key, known)? {
                    Some(a) => a,
                    None => audit::write_anchor(&tx, &key)?,
                };
                tx.commit()?;
                Ok(a)
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

    /// The file this ledger lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The loaded catalog (empty before any is loaded).
    pub fn catalog(&self) -> Result<Catalog, LedgerError> {
        read_catalog(&self.conn, &self.path)
    }

    /// The loaded agreements.
    pub fn agreements(&self) -> Result<Agreements, LedgerError> {
        read_agreements(&self.conn, &self.path)
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
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        require_supervisor(&tx, actor, "load the catalog", None)?;
        let mut stmt = tx.prepare("SELECT DISTINCT code, name FROM products WHERE code IN (SELECT product FROM keys UNION SELECT product FROM activations)")?;
        let used: Vec<(u16, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        drop(stmt);
        let old = read_catalog(&tx, &self.path)?;
        for (code, name) in used {
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
        tx.execute("DELETE FROM products WHERE code NOT IN (SELECT product FROM keys UNION SELECT product FROM activations)", [])?;
        for p in &catalog.products {
            tx.execute("INSERT INTO products(code, name) VALUES (?1, ?2) ON CONFLICT(code) DO UPDATE SET name = excluded.name", params![p.code, p.name])?;
        }
        let json =
            serde_json::to_string(catalog).map_err(|e| LedgerError::Refused(e.to_string()))?;
        tx.execute("INSERT INTO meta(k, v) VALUES ('catalog', ?1) ON CONFLICT(k) DO UPDATE SET v = excluded.v", [&json])?;
        tx.execute("INSERT INTO meta(k, v) VALUES ('catalog_rev', '1') ON CONFLICT(k) DO UPDATE SET v = CAST(v AS INTEGER) + 1", [])?;
        audit::append(
            &tx,
            &self.trail,
            actor,
            "catalog.load",
            source,
            &format!("{} products", catalog.products.len()),
            &serde_json::json!({"sha256": audit::digest(&json)}),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Replaces the agreements. Supervisors only; audited. Refused when keys
    /// refer to an agreement the new set lacks.
    pub fn set_agreements(
        &mut self,
        agreements: &Agreements,
        actor: &str,
        source: &str,
    ) -> Result<(), LedgerError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        require_supervisor(&tx, actor, "load agreements", None)?;
        let mut stmt =
            tx.prepare("SELECT DISTINCT agreement FROM keys WHERE agreement IS NOT NULL")?;
        let used: Vec<String> = stmt
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        drop(stmt);
        if let Some(missing) = used.iter().find(|a| agreements.get(a).is_none()) {
            return Err(LedgerError::Refused(format!(
                "{source}: agreement {missing} has keys and cannot be dropped"
            )));
        }
        let json =
            serde_json::to_string(agreements).map_err(|e| LedgerError::Refused(e.to_string()))?;
        tx.execute("INSERT INTO meta(k, v) VALUES ('agreements', ?1) ON CONFLICT(k) DO UPDATE SET v = excluded.v", [&json])?;
        tx.execute("INSERT INTO meta(k, v) VALUES ('agreements_rev', '1') ON CONFLICT(k) DO UPDATE SET v = CAST(v AS INTEGER) + 1", [])?;
        audit::append(
            &tx,
            &self.trail,
            actor,
            "agreements.load",
            source,
            &format!("{} agreements", agreements.0.len()),
            &serde_json::json!({"sha256": audit::digest(&json)}),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Adds or changes a staff member. The first one, on a ledger that never
    /// had staff, may be added by anyone (that is `init`), and only as
    /// themselves and a supervisor; afterwards only supervisors.
    pub fn add_staff(&mut self, actor: &str, name: &str, role: Role) -> Result<(), LedgerError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let bootstrap: bool = tx.query_row(
            "SELECT NOT EXISTS (SELECT 1 FROM staff) AND NOT EXISTS (SELECT 1 FROM audit WHERE action = 'staff.add')",
            [],
            |r| r.get(0),
        )?;
        if !(bootstrap && actor == name && role == Role::Supervisor) {
            require_supervisor(&tx, actor, "change staff", None)?;
        }
        if name.trim().is_empty() || name.chars().any(char::is_control) {
            return Err(LedgerError::Refused(format!("{name:?} is not a user name")));
        }
        let supervisors: i64 = tx.query_row(
            "SELECT count(*) FROM staff WHERE role = 'supervisor' AND name != ?1",
            [name],
            |r| r.get(0),
        )?;
        if role != Role::Supervisor
            && staff_role(&tx, name)? == Some(Role::Supervisor)
            && supervisors == 0
        {
            return Err(LedgerError::Refused(format!(
                "{name} is the last supervisor; add another supervisor first"
            )));
        }
        tx.execute(
            "INSERT INTO staff(name, role, added_at) VALUES (?1, ?2, ?3) ON CONFLICT(name) DO UPDATE SET role = excluded.role",
            params![name, role.name(), crate::days::now_rfc3339()],
        )?;
        audit::append(
            &tx,
            &self.trail,
            actor,
            "staff.add",
            name,
            role.name(),
            &serde_json::json!({"name": name, "role": role.name()}),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Removes `name` from the staff, and their token with them
    /// (supervisors; audited). The last supervisor cannot be removed.
    pub fn remove_staff(&mut self, actor: &str, name: &str) -> Result<(), LedgerError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        require_supervisor(&tx, actor, "change staff", None)?;
        let Some(role) = staff_role(&tx, name)? else {
            return Err(LedgerError::NotFound(format!(
                "{name} is not on the staff list"
            )));
        };
        let supervisors: i64 = tx.query_row(
            "SELECT count(*) FROM staff WHERE role = 'supervisor' AND name != ?1",
            [name],
            |r| r.get(0),
        )?;
        if role == Role::Supervisor && supervisors == 0 {
            return Err(LedgerError::Refused(format!(
                "{name} is the last supervisor; add another supervisor first"
            )));
        }
        // The token first: it references the staff row.
        tx.execute("DELETE FROM tokens WHERE name = ?1", [name])?;
        tx.execute("DELETE FROM staff WHERE name = ?1", [name])?;
        audit::append(
            &tx,
            &self.trail,
            actor,
            "staff.remove",
            name,
            role.name(),
            &serde_json::json!({"name": name}),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The role of a staff member, if they are one.
    pub fn role(&self, name: &str) -> Result<Option<Role>, LedgerError> {
        staff_role(&self.conn, name)
    }

    /// All staff.
    pub fn staff(&self) -> Result<Vec<(String, Role)>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare("SELECT name, role FROM staff ORDER BY name")?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(n, r)| {
                let role = role_column(&n, &r)?;
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
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        require_supervisor(&tx, actor, "issue keys", None)?;
        if let Some(id) = agreement {
            read_agreements(&tx, &self.path)?
                .get(id)
                .ok_or_else(|| LedgerError::NotFound(format!("agreement {id} is not on file")))?;
        }
        loop {
            let mut b = [0u8; 8];
            getrandom::fill(&mut b)
                .map_err(|e| LedgerError::Refused(format!("no randomness: {e}")))?;
            let serial = u64::from_be_bytes(b) & ((1 << 36) - 1);
            let key = ProductKey::issue(&secret(kind, product.code), kind, serial);
            let inserted = tx.execute(
                "INSERT OR IGNORE INTO keys(serial, key, kind, product, agreement, activation_limit, created_at, created_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![serial as i64, key.to_string(), kind.name(), product.code, agreement, limit, crate::days::now_rfc3339(), actor],
            )?;
            if inserted == 1 {
                audit::append(
                    &tx,
                    &self.trail,
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
                tx.commit()?;
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
    }

    /// The key with this serial.
    pub fn key(&self, serial: u64) -> Result<Option<KeyRecord>, LedgerError> {
        key_by_serial(&self.conn, serial)
    }

    /// A key with its seats used and left.
    pub fn key_usage(&self, serial: u64) -> Result<Option<KeyUsage>, LedgerError> {
        let Some(key) = self.key(serial)? else {
            return Ok(None);
        };
        let used = seats_in_use(&self.conn, serial)?;
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
        let mut stmt = self.conn.prepare(
            "SELECT serial FROM keys WHERE replace(key, '-', '') LIKE ?1 ESCAPE '\\' OR CAST(serial AS TEXT) LIKE ?1 ESCAPE '\\' ORDER BY created_at, serial LIMIT ?2",
        )?;
        let serials: Vec<i64> = stmt
            .query_map(params![pattern, limit as i64], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        serials
            .into_iter()
            .filter_map(|s| self.key_usage(s as u64).transpose())
            .collect()
    }

    /// Keys, oldest first (those issued in the same second by serial), of
    /// one product (by code) or of all, at most `limit`.
    pub fn list_keys(
        &self,
        product: Option<u16>,
        limit: usize,
    ) -> Result<Vec<KeyUsage>, LedgerError> {
        let mut stmt = self.conn.prepare(
            "SELECT serial FROM keys WHERE ?1 IS NULL OR product = ?1 ORDER BY created_at, serial LIMIT ?2",
        )?;
        let serials: Vec<i64> = stmt
            .query_map(params![product.map(i64::from), limit as i64], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        serials
            .into_iter()
            .filter_map(|s| self.key_usage(s as u64).transpose())
            .collect()
    }

    /// Keys of an agreement.
    pub fn keys_of(&self, agreement: &str) -> Result<Vec<KeyUsage>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare("SELECT serial FROM keys WHERE agreement = ?1 ORDER BY created_at")?;
        let serials: Vec<i64> = stmt
            .query_map([agreement], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        serials
            .into_iter()
            .filter_map(|s| self.key_usage(s as u64).transpose())
            .collect()
    }

    /// Decides one activation and records it, in one immediate transaction.
    /// On a grant `sign` makes the confirmation ID, which is stored before the
    /// transaction commits: every confirmation ID ever shown is in the ledger.
    /// The commit is durable (`synchronous = FULL`): once this returns, a
    /// power cut does not lose the grant.
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
            let tx = l
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            let (catalog, agreements) = current_rules(&tx, &l.path, &mut l.rules)?;
            let a = activate_in(
                &tx,
                &catalog,
                &agreements,
                iid,
                channel,
                caller_agreement,
                label,
                today,
                sign,
                &mut SeatCache::default(),
                &l.trail,
            )?;
            tx.commit()?;
            Ok(a)
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
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Deferred)?;
        let (catalog, agreements) = current_rules(&tx, &self.path, &mut self.rules)?;
        let (decision, _) = decide_in(
            &tx,
            &catalog,
            &agreements,
            iid,
            channel,
            caller_agreement,
            today,
            &mut SeatCache::default(),
        )?;
        tx.finish()?;
        Ok(decision)
    }

    /// Decides many activations, one transaction per `chunk` items; `progress`
    /// is told after each chunk commits, durably (`synchronous = FULL`).
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
        for part in items.chunks(chunk.max(1)) {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            let (catalog, agreements) = current_rules(&tx, &self.path, &mut self.rules)?;
            let mut done = Vec::with_capacity(part.len());
            let mut seats = SeatCache::default();
            for item in part {
                done.push(activate_in(
                    &tx,
                    &catalog,
                    &agreements,
                    &item.iid,
                    channel,
                    None,
                    item.label.as_deref(),
                    today,
                    sign,
                    &mut seats,
                    &self.trail,
                )?);
            }
            tx.commit()?;
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
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        require_supervisor(&tx, actor, "change a key's activation limit", Some(reason))?;
        let key = key_by_serial(&tx, serial)?
            .ok_or_else(|| LedgerError::NotFound(format!("no key with serial {serial}")))?;
        if key.revoked {
            return Err(LedgerError::Refused(format!(
                "key {} is revoked: {}; a revoked key activates nothing, whatever its limit",
                key.key,
                revocation(&tx, serial)?
            )));
        }
        let used = seats_in_use(&tx, serial)?;
        check_limit(key.kind, limit)?;
        if limit < used {
            return Err(LedgerError::Refused(format!(
                "{used} seats are in use; the limit cannot go below that"
            )));
        }
        tx.execute(
            "UPDATE keys SET activation_limit = ?1 WHERE serial = ?2",
            params![limit, serial as i64],
        )?;
        audit::append(
            &tx,
            &self.trail,
            actor,
            "key.limit",
            &serial.to_string(),
            &format!("{} -> {limit}: {reason}", key.limit),
            &serde_json::json!({"serial": serial, "limit": limit}),
        )?;
        tx.commit()?;
        Ok(KeyRecord { limit, ..key })
    }

    /// Revokes a key: it activates nothing more (the rules deny it);
    /// activations made before stay valid. Supervisors only; audited.
    pub fn revoke_key(
        &mut self,
        actor: &str,
        serial: u64,
        reason: &str,
    ) -> Result<(), LedgerError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        require_supervisor(&tx, actor, "revoke keys", Some(reason))?;
        let n = tx.execute(
            "UPDATE keys SET revoked = 1 WHERE serial = ?1 AND revoked = 0",
            [serial as i64],
        )?;
        if n == 0 {
            let key = key_by_serial(&tx, serial)?
                .ok_or_else(|| LedgerError::NotFound(format!("no key with serial {serial}")))?;
            return Err(LedgerError::Refused(format!(
                "key {} is already revoked: {}",
                key.key,
                revocation(&tx, serial)?
            )));
        }
        audit::append(
            &tx,
            &self.trail,
            actor,
            "key.revoke",
            &serial.to_string(),
            reason,
            &serde_json::json!({"serial": serial}),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Releases the seat an activation holds (its machine was replaced), so
    /// the key's next new machine can take it. Supervisors only; audited.
    pub fn release_seat(
        &mut self,
        actor: &str,
        activation: i64,
        reason: &str,
    ) -> Result<(), LedgerError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        require_supervisor(&tx, actor, "move a seat", Some(reason))?;
        let n = tx.execute("UPDATE activations SET released = 1 WHERE id = ?1 AND decision = 'granted' AND new_seat = 1 AND released = 0", [activation])?;
        let key: Option<i64> = tx
            .query_row(
                "SELECT key_serial FROM activations WHERE id = ?1",
                [activation],
                |r| r.get(0),
            )
            .optional()?
            .flatten();
        if n == 0 {
            let exists: bool = tx.query_row(
                "SELECT count(*) > 0 FROM activations WHERE id = ?1",
                [activation],
                |r| r.get(0),
            )?;
            return Err(LedgerError::NotFound(if exists {
                format!("activation #{activation} holds no seat (denied, a reactivation, or already released)")
            } else {
                format!("there is no activation #{activation}")
            }));
        }
        audit::append(
            &tx,
            &self.trail,
            actor,
            "seat.release",
            &format!("activation #{activation}"),
            reason,
            &serde_json::json!({"activation": activation, "key": key}),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// One activation record.
    pub fn activation(&self, id: i64) -> Result<Option<ActivationRow>, LedgerError> {
        self.conn
            .query_row(&format!("{ROW_SELECT} WHERE id = ?1"), [id], row)
            .optional()?
            .map(finish_row)
            .transpose()
    }

    /// Activation records of a key, oldest first.
    pub fn activations_of(&self, serial: u64) -> Result<Vec<ActivationRow>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare(&format!("{ROW_SELECT} WHERE key_serial = ?1 ORDER BY id"))?;
        let rows = stmt
            .query_map([serial as i64], row)?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter().map(finish_row).collect()
    }

    /// Counts of granted seat-taking activations and of all grants (for
    /// consistency checks).
    pub fn counts(&self) -> Result<(i64, i64), LedgerError> {
        Ok(self.conn.query_row(
            "SELECT coalesce(sum(decision = 'granted' AND new_seat = 1), 0), coalesce(sum(decision = 'granted'), 0) FROM activations",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?)
    }

    /// The audit trail, oldest first.
    pub fn audit_entries(&self) -> Result<Vec<AuditEntry>, LedgerError> {
        audit::entries(&self.conn)
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
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        require_role(
            &tx,
            actor,
            Role::Agent,
            "add notes to the audit trail",
            None,
        )?;
        audit::append(
            &tx,
            &self.trail,
            actor,
            action,
            subject,
            detail,
            &serde_json::json!({}),
        )?;
        tx.commit()?;
        Ok(())
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
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO handovers(at, call, reason, groups, installation_id, trace) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                crate::days::now_rfc3339(),
                call,
                reason,
                to_json("the groups entered", groups)?,
                installation_id,
                to_json("the decision trace", trace)?
            ],
        )?;
        let id = tx.last_insert_rowid();
        audit::append(
            &tx,
            &self.trail,
            "ivr",
            "call.handover",
            &format!("handover #{id}"),
            &format!("call {call}: {reason}"),
            &serde_json::json!({}),
        )?;
        tx.commit()?;
        Ok(id)
    }

    /// Handed-over calls, newest first; with `waiting_only`, those no agent
    /// has taken yet.
    pub fn handovers(&self, waiting_only: bool) -> Result<Vec<Handover>, LedgerError> {
        // A hold that ran out is no hold: the call waits again.
        let sql = format!(
            "SELECT id, at, call, reason, groups, installation_id, trace,
                    CASE WHEN held_until IS NOT NULL AND held_until < {NOW} THEN NULL ELSE taken_by END AS holder,
                    ended
             FROM handovers {} ORDER BY id DESC",
            if waiting_only { "WHERE ended_at IS NULL AND holder IS NULL" } else { "" }
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    Handover {
                        id: r.get(0)?,
                        at: r.get(1)?,
                        call: r.get(2)?,
                        reason: r.get(3)?,
                        groups: Vec::new(),
                        installation_id: r.get(5)?,
                        trace: Vec::new(),
                        taken_by: r.get(7)?,
                        ended: r.get(8)?,
                    },
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(6)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(h, groups, trace)| {
                Ok(Handover {
                    groups: strings_column("handovers", h.id, "groups", &groups)?,
                    trace: strings_column("handovers", h.id, "trace", &trace)?,
                    ..h
                })
            })
            .collect()
    }

    /// An agent (or supervisor) takes a handed-over call; refused when
    /// someone already has, or when `agent` is not staff.
    pub fn take_handover(&mut self, id: i64, agent: &str) -> Result<(), LedgerError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        require_role(&tx, agent, Role::Agent, "take calls", None)?;
        let n = tx.execute(
            &format!(
                "UPDATE handovers SET taken_by = ?1, taken_at = ?2,
                        held_until = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '+{CALL_HOLD_SECS} seconds')
                 WHERE id = ?3 AND ended_at IS NULL
                   AND (taken_by IS NULL OR (held_until IS NOT NULL AND held_until < {NOW}))"
            ),
            params![agent, crate::days::now_rfc3339(), id],
        )?;
        if n == 0 {
            return Err(LedgerError::Refused(format!(
                "handover #{id} does not exist, was already taken, or has ended"
            )));
        }
        audit::append(
            &tx,
            &self.trail,
            agent,
            "call.take",
            &format!("handover #{id}"),
            "",
            &serde_json::json!({}),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The taker of call `id` holds it [`CALL_HOLD_SECS`] longer; refused
    /// when the call is not theirs (any more) or has ended.
    pub fn keep_handover(&mut self, id: i64, agent: &str) -> Result<(), LedgerError> {
        let n = self.conn.execute(
            &format!(
                "UPDATE handovers SET held_until = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '+{CALL_HOLD_SECS} seconds')
                 WHERE id = ?1 AND taken_by = ?2 AND ended_at IS NULL
                   AND (held_until IS NULL OR held_until >= {NOW})"
            ),
            params![id, agent],
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
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let n = tx.execute(
            "UPDATE handovers SET taken_by = NULL, taken_at = NULL, held_until = NULL
             WHERE id = ?1 AND taken_by = ?2 AND ended_at IS NULL",
            params![id, agent],
        )?;
        if n == 0 {
            return Err(LedgerError::Refused(format!(
                "call #{id} is not yours to give back, or has ended"
            )));
        }
        audit::append(
            &tx,
            &self.trail,
            agent,
            "call.release",
            &format!("handover #{id}"),
            "back to the queue",
            &serde_json::json!({}),
        )?;
        tx.commit()?;
        Ok(())
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
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        require_role(&tx, agent, Role::Agent, "end calls", None)?;
        let how = match dismissed {
            Some(reason) if reason.trim().is_empty() => {
                return Err(LedgerError::Refused(
                    "a dismissed call needs a reason".into(),
                ))
            }
            Some(reason) => format!("dismissed: {}", reason.trim()),
            None => "decided".to_string(),
        };
        let n = tx.execute(
            &format!(
                "UPDATE handovers SET ended_at = {NOW}, ended = ?1
                 WHERE id = ?2 AND ended_at IS NULL
                   AND (taken_by = ?3 OR taken_by IS NULL OR (held_until IS NOT NULL AND held_until < {NOW}))"
            ),
            params![how, id, agent],
        )?;
        if n == 0 {
            return Err(LedgerError::Refused(format!(
                "call #{id} does not exist, has ended, or another agent holds it"
            )));
        }
        audit::append(
            &tx,
            &self.trail,
            agent,
            "call.end",
            &format!("handover #{id}"),
            &how,
            &serde_json::json!({}),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Checks the file with SQLite's `integrity_check`, recomputes the audit
    /// chain, replays the entries and compares keys, limits, revocations,
    /// staff roles, activations and seats, catalog and agreements with the
    /// tables. Returns the number of entries and the newest entry's hash
    /// (record it elsewhere to detect entries cut from the end later), or
    /// the first problem found as [`LedgerError::Unverified`].
    pub fn verify_audit(&self) -> Result<(usize, String), LedgerError> {
        audit::verify(&self.conn, &self.trail)
    }

    /// Copies the whole ledger, as it stands at one moment, into the empty
    /// file `dest` with SQLite's online backup: one step under one read
    /// transaction, so other processes go on reading and writing and the
    /// copy is consistent.
    pub fn backup_to(&self, dest: &Path) -> Result<(), LedgerError> {
        let mut to = Connection::open(dest).map_err(|e| open_err(dest, e))?;
        copy_pages(&self.conn, &mut to)
    }

    /// Replaces this ledger's whole contents with `from`'s (SQLite's backup
    /// in reverse, under an exclusive lock, so other processes see either
    /// the old ledger or the new one). `self` is not to be used afterwards:
    /// open the ledger again.
    pub fn restore_from(&mut self, from: &Ledger) -> Result<(), LedgerError> {
        copy_pages(&from.conn, &mut self.conn)
    }

    /// Activations per day, agreement and product code, between two days
    /// (`YYYY-MM-DD`, both included, either open), by day, agreement
    /// (direct keys first) and product.
    pub fn daily_counts(
        &self,
        since: Option<&str>,
        until: Option<&str>,
    ) -> Result<Vec<DayCount>, LedgerError> {
        let mut stmt = self.conn.prepare(
            "SELECT substr(a.created_at, 1, 10) AS day, k.agreement, a.product,
                    sum(a.decision = 'granted'), sum(a.decision = 'granted' AND a.new_seat = 1),
                    sum(a.decision = 'denied')
             FROM activations a LEFT JOIN keys k ON k.serial = a.key_serial
             WHERE (?1 IS NULL OR day >= ?1) AND (?2 IS NULL OR day <= ?2)
             GROUP BY day, k.agreement, a.product
             ORDER BY day, k.agreement IS NOT NULL, k.agreement, a.product",
        )?;
        let rows = stmt.query_map(params![since, until], |r| {
            Ok(DayCount {
                day: r.get(0)?,
                agreement: r.get(1)?,
                product: r.get::<_, i64>(2)? as u16,
                granted: r.get::<_, i64>(3)? as u64,
                new_seats: r.get::<_, i64>(4)? as u64,
                denied: r.get::<_, i64>(5)? as u64,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every activation's number and time: what tells two ledgers' histories
    /// apart.
    pub fn activation_stamps(&self) -> Result<Vec<(i64, String)>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, created_at FROM activations ORDER BY id")?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// How many keys and activations the ledger holds.
    pub fn sizes(&self) -> Result<(u64, u64), LedgerError> {
        Ok(self.conn.query_row(
            "SELECT (SELECT count(*) FROM keys), (SELECT count(*) FROM activations)",
            [],
            |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64)),
        )?)
    }
}

/// Every page of `from` into `to`, in one backup step.
fn copy_pages(from: &Connection, to: &mut Connection) -> Result<(), LedgerError> {
    use rusqlite::backup::{Backup, StepResult};
    let backup = Backup::new(from, to)?;
    // The busy handler of the connections waits for locks; a step that
    // still finds one busy is tried again, within the same patience.
    let started = std::time::Instant::now();
    loop {
        match backup.step(-1)? {
            StepResult::Done => return Ok(()),
            StepResult::More => {}
            _ if started.elapsed() < wait::LOCK_PATIENCE => {
                std::thread::sleep(std::time::Duration::from_millis(20))
            }
            _ => {
                return Err(LedgerError::Sql(rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
                    Some("the ledger stayed locked during the backup".into()),
                )))
            }
        }
    }
}

const ROW_SELECT: &str = "SELECT id, key_serial, product, iid, hardware, decision, new_seat, reactivation_of, released, confirmation_id, trace, label, actor, created_at FROM activations";

/// An activation row as stored, its trace still JSON: [`finish_row`]
/// decodes it, refusing a corrupt one.
fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(ActivationRow, String)> {
    let trace: String = r.get(10)?;
    let row = ActivationRow {
        id: r.get(0)?,
        key_serial: r.get::<_, Option<i64>>(1)?.map(|s| s as u64),
        product: r.get(2)?,
        installation_id: r.get(3)?,
        hardware: r.get(4)?,
        decision: r.get(5)?,
        new_seat: r.get(6)?,
        reactivation_of: r.get(7)?,
        released: r.get(8)?,
        confirmation_id: r.get(9)?,
        reasons: Vec::new(),
        label: r.get(11)?,
        actor: r.get(12)?,
        created_at: r.get(13)?,
    };
    Ok((row, trace))
}

fn finish_row((row, trace): (ActivationRow, String)) -> Result<ActivationRow, LedgerError> {
    Ok(ActivationRow {
        reasons: strings_column("activations", row.id, "trace", &trace)?,
        ..row
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

fn staff_role(conn: &Connection, name: &str) -> Result<Option<Role>, LedgerError> {
    let role: Option<String> = conn
        .query_row("SELECT role FROM staff WHERE name = ?1", [name], |r| {
            r.get(0)
        })
        .optional()?;
    role.map(|r| role_column(name, &r)).transpose()
}

/// The one role check of the ledger, made inside the caller's
/// transaction. Every change to keys, limits, seats, the catalog, the
/// agreements and staff needs a supervisor ([`require_supervisor`]); taking
/// an IVR call needs staff ([`Role::Agent`] or above). Someone who is not on
/// the staff list changes nothing (activations they ask for are decided as
/// self-service by the rules). `reason`, when the action records one, must
/// not be blank.
fn require_role(
    conn: &Connection,
    actor: &str,
    need: Role,
    what: &str,
    reason: Option<&str>,
) -> Result<(), LedgerError> {
    let rank = |r: Role| match r {
        Role::Agent => 1,
        Role::Supervisor => 2,
    };
    match staff_role(conn, actor)? {
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
    conn: &Connection,
    actor: &str,
    what: &str,
    reason: Option<&str>,
) -> Result<(), LedgerError> {
    require_role(conn, actor, Role::Supervisor, what, reason)
}

fn key_by_serial(conn: &Connection, serial: u64) -> Result<Option<KeyRecord>, LedgerError> {
    let raw = conn
        .query_row(
            "SELECT serial, key, kind, product, agreement, activation_limit, revoked FROM keys WHERE serial = ?1",
            [serial as i64],
            |r| {
                Ok((
                    KeyRecord {
                        serial: r.get::<_, i64>(0)? as u64,
                        key: r.get(1)?,
                        kind: KeyKind::Mak,
                        product: r.get(3)?,
                        agreement: r.get(4)?,
                        limit: r.get(5)?,
                        revoked: r.get(6)?,
                    },
                    r.get::<_, String>(2)?,
                ))
            },
        )
        .optional()?;
    raw.map(|(rec, kind)| {
        let kind = kind.parse().map_err(|e: String| LedgerError::CorruptRow {
            table: "keys",
            row: serial.to_string(),
            column: "kind",
            reason: e,
        })?;
        Ok(KeyRecord { kind, ..rec })
    })
    .transpose()
}

/// When and by whom a key was revoked, from the audit trail.
fn revocation(conn: &Connection, serial: u64) -> Result<String, LedgerError> {
    let entry: Option<(String, String, String)> = conn
        .query_row(
            "SELECT at, actor, detail FROM audit WHERE action = 'key.revoke' AND subject = ?1 ORDER BY id DESC LIMIT 1",
            [serial.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    Ok(match entry {
        Some((at, actor, reason)) => format!("revoked at {at} by {actor} ({reason})"),
        None => "no audit entry says when or by whom (run `actline audit verify`)".into(),
    })
}

/// Seats a key has in use: its seat-holding activations not released.
fn seats_in_use(conn: &Connection, serial: u64) -> Result<u32, LedgerError> {
    Ok(conn.query_row(
        "SELECT count(*) FROM activations WHERE key_serial = ?1 AND decision = 'granted' AND new_seat = 1 AND released = 0",
        [serial as i64],
        |r| r.get(0),
    )?)
}

/// The seat-holding activations of a key, with their reactivation counts.
fn prior(conn: &Connection, serial: u64) -> Result<Vec<PriorActivation>, LedgerError> {
    let mut stmt = conn.prepare_cached(
        "SELECT a.id, a.hardware, a.product, a.released,
                (SELECT count(*) FROM activations r WHERE r.reactivation_of = a.id AND r.decision = 'granted')
         FROM activations a WHERE a.key_serial = ?1 AND a.decision = 'granted' AND a.new_seat = 1 ORDER BY a.id",
    )?;
    let rows = stmt.query_map([serial as i64], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, hw, product, released, reactivations) = row?;
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
            product,
            released,
            reactivations,
        });
    }
    Ok(out)
}

/// Gathers the facts for `iid` (its key, the key's seats) and decides.
#[allow(clippy::too_many_arguments)]
fn decide_in(
    conn: &Connection,
    catalog: &Catalog,
    agreements: &Agreements,
    iid: &InstallationId,
    channel: &Channel,
    caller_agreement: Option<&str>,
    today: u16,
    seats: &mut SeatCache,
) -> Result<(Decision, Option<KeyRecord>), LedgerError> {
    let key = key_by_serial(conn, iid.key_serial)?;
    let empty = Vec::new();
    let prior = match &key {
        Some(k) => seats.of(conn, k.serial)?,
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
/// Valid only inside the transaction it was filled in (nothing else can
/// write the ledger meanwhile).
#[derive(Default)]
struct SeatCache(std::collections::HashMap<u64, Vec<PriorActivation>>);

impl SeatCache {
    fn of(&mut self, conn: &Connection, serial: u64) -> Result<&Vec<PriorActivation>, LedgerError> {
        Ok(match self.0.entry(serial) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => e.insert(prior(conn, serial)?),
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
    tx: &Connection,
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
        tx,
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
    tx.prepare_cached(
        "INSERT INTO activations(key_serial, product, iid, hardware, decision, new_seat, reactivation_of, confirmation_id, trace, label, actor, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?
    .execute(params![
        key.as_ref().map(|k| k.serial as i64),
        iid.product,
        iid.to_string(),
        iid.hardware.to_hex(),
        decision.word(),
        new_seat,
        reactivation_of,
        cid,
        trace,
        label,
        actor,
        crate::days::now_rfc3339(),
    ])?;
    let id = tx.last_insert_rowid();
    if let (Ok(grant), Some(k)) = (&decision.outcome, &key) {
        seats.granted(k.serial, grant, id, iid);
    }
    #[cfg(test)]
    tests::GRANT_SYNC.with(|c| {
        c.set(
            tx.query_row("PRAGMA synchronous", [], |r| r.get(0))
                .unwrap_or(-1),
        )
    });
    audit::append(
        tx,
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
mod tests {
    use super::*;

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
        l.conn
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
            .conn
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
            .conn
            .query_row("PRAGMA page_count", [], |r| r.get(0))
            .unwrap();
        l.conn
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
            open_err(
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
        l.conn
            .execute("UPDATE handovers SET groups = '{' WHERE id = ?1", [id])
            .unwrap();
        let e = l.handovers(false).unwrap_err();
        assert!(
            e.to_string()
                .contains(&format!("handovers row {id}, column groups")),
            "{e}"
        );
        // The CHECK constraint keeps SQL honest; a damaged file does not.
        l.conn
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
            c.execute_batch(MIGRATIONS[0]).unwrap();
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
            .conn
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
        l.conn
            .execute("UPDATE keys SET activation_limit = 999", [])
            .unwrap();
        assert!(matches!(l.verify_audit(), Err(LedgerError::Unverified(_))));
    }
}
