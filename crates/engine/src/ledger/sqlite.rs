//! The embedded backend: the ledger in one SQLite file.
//!
//! - Opening reads `PRAGMA user_version` and applies each missing migration
//!   (`sql/v*.sql`) in one immediate transaction; a schema newer than this
//!   build knows, or a file that is not a ledger, is refused without being
//!   touched.
//! - WAL journaling and a generous busy wait ([`super::wait`], which can
//!   say that it waits); every change runs in an `IMMEDIATE` transaction,
//!   so concurrent processes are serialized.
//! - Commits that record grants are made with `synchronous = FULL`.

use super::db::{Begin, Db, Row, Value};
use super::{audit, corrupt, wait, LedgerError};
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};

/// Migrations, in order; index + 1 is the schema version they produce.
pub(super) const MIGRATIONS: &[&str] = &[
    include_str!("sql/v1.sql"),
    include_str!("sql/v2.sql"),
    include_str!("sql/v3.sql"),
    include_str!("sql/v4.sql"),
    include_str!("sql/v5.sql"),
    include_str!("sql/v6.sql"),
];
/// The SQLite schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// A ledger file.
pub(crate) struct Sqlite {
    pub(super) conn: Connection,
    path: PathBuf,
}

/// An error while opening `path`: a full disk, an unreachable file, a
/// locked ledger (kept as [`LedgerError::Sql`]) or a file that is not a
/// usable ledger.
pub(super) fn open_err(path: &Path, e: rusqlite::Error) -> LedgerError {
    use rusqlite::ErrorCode as C;
    if super::is_disk_full(&e) {
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

impl Sqlite {
    /// Creates a new ledger file (refuses to overwrite one).
    pub(crate) fn create(path: &Path) -> Result<Self, LedgerError> {
        if path.exists() {
            return Err(LedgerError::Refused(format!(
                "{}: a ledger already exists",
                path.display()
            )));
        }
        Self::open_inner(path, true)
    }

    /// Opens an existing ledger file, upgrading its schema when it is
    /// older. See `Ledger::open`.
    pub(crate) fn open(path: &Path) -> Result<Self, LedgerError> {
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
        let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        if create {
            flags |= OpenFlags::SQLITE_OPEN_CREATE;
        }
        let conn = Connection::open_with_flags(path, flags).map_err(|e| open_err(path, e))?;
        conn.busy_handler(Some(wait::busy))
            .map_err(|e| open_err(path, e))?;
        conn.set_prepared_statement_cache_capacity(64);
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
        // to FULL (see `Db::durable`).
        conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;")
            .map_err(|e| open_err(path, e))?;
        let db = Self {
            conn,
            path: path.to_path_buf(),
        };
        db.migrate()?;
        Ok(db)
    }

    fn migrate(&self) -> Result<(), LedgerError> {
        let path = &self.path;
        let version: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| open_err(path, e))?;
        check_version(&self.conn, path, version)?;
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            super::db::run(self, Begin::Write, || {
                // Re-check under the lock: another process may have migrated.
                let now: i64 = self
                    .conn
                    .query_row("PRAGMA user_version", [], |r| r.get(0))?;
                if now > i as i64 {
                    return Ok(());
                }
                self.conn.execute_batch(sql)?;
                // Version 3 starts replay data; an existing ledger's state so
                // far becomes the baseline replay starts from.
                if i + 1 == 3 && version > 0 {
                    audit::baseline(self)?;
                }
                self.conn
                    .execute_batch(&format!("PRAGMA user_version = {}", i + 1))?;
                Ok(())
            })?;
        }
        Ok(())
    }

    /// A connection opened by hand, for tests that write old schemas.
    #[cfg(test)]
    pub(super) fn raw(conn: Connection) -> Self {
        Self {
            conn,
            path: PathBuf::new(),
        }
    }

    /// The file.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Copies the whole ledger, as it stands at one moment, into the empty
    /// file `dest` with SQLite's online backup: one step under one read
    /// transaction, so other processes go on reading and writing and the
    /// copy is consistent.
    pub(crate) fn backup_to(&self, dest: &Path) -> Result<(), LedgerError> {
        let mut to = Connection::open(dest).map_err(|e| open_err(dest, e))?;
        copy_pages(&self.conn, &mut to)
    }

    /// Replaces this ledger's whole contents with `from`'s (SQLite's backup
    /// in reverse, under an exclusive lock, so other processes see either
    /// the old ledger or the new one).
    pub(crate) fn restore_from(&mut self, from: &Sqlite) -> Result<(), LedgerError> {
        copy_pages(&from.conn, &mut self.conn)
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

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Int(v) => ValueRef::Integer(*v),
            Value::Text(t) => ValueRef::Text(t.as_bytes()),
        }))
    }
}

impl Db for Sqlite {
    fn exec(&self, sql: &str, params: &[Value]) -> Result<u64, LedgerError> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        Ok(stmt.execute(rusqlite::params_from_iter(params))? as u64)
    }

    fn rows(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, LedgerError> {
        use rusqlite::types::ValueRef;
        let mut stmt = self.conn.prepare_cached(sql)?;
        let n = stmt.column_count();
        let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let mut values = Vec::with_capacity(n);
            for i in 0..n {
                values.push(match r.get_ref(i)? {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(v) => Value::Int(v),
                    ValueRef::Text(t) => Value::Text(
                        std::str::from_utf8(t)
                            .map_err(|_| {
                                LedgerError::BadValue(format!(
                                    "column {i} holds text that is not UTF-8"
                                ))
                            })?
                            .to_string(),
                    ),
                    ValueRef::Real(v) => {
                        return Err(LedgerError::BadValue(format!(
                            "column {i} holds the real number {v}"
                        )))
                    }
                    ValueRef::Blob(_) => {
                        return Err(LedgerError::BadValue(format!("column {i} holds a blob")))
                    }
                });
            }
            out.push(Row(values));
        }
        Ok(out)
    }

    fn begin(&self, how: Begin) -> Result<(), LedgerError> {
        if !self.conn.is_autocommit() {
            // A transaction left open (a bug, or a panic that was caught).
            self.rollback();
        }
        self.conn.execute_batch(match how {
            Begin::Read => "BEGIN DEFERRED",
            Begin::Write => "BEGIN IMMEDIATE",
        })?;
        Ok(())
    }

    fn commit(&self) -> Result<(), LedgerError> {
        self.conn.execute_batch("COMMIT")?;
        Ok(())
    }

    fn rollback(&self) {
        if !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }

    fn durable(&self, on: bool) -> Result<(), LedgerError> {
        self.conn.execute_batch(if on {
            "PRAGMA synchronous = FULL"
        } else {
            "PRAGMA synchronous = NORMAL"
        })?;
        Ok(())
    }

    fn integrity(&self) -> Result<(), String> {
        let found: Vec<String> = self
            .conn
            .prepare("PRAGMA integrity_check")
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
            .map_err(|e| format!("the ledger file is damaged: {e}"))?;
        if found != ["ok"] {
            return Err(format!(
                "the ledger file is damaged (SQLite integrity check: {})",
                found.into_iter().take(3).collect::<Vec<_>>().join("; ")
            ));
        }
        Ok(())
    }

    fn place(&self) -> String {
        self.path.display().to_string()
    }

    fn sqlite(&self) -> Option<&Sqlite> {
        Some(self)
    }

    fn sqlite_mut(&mut self) -> Option<&mut Sqlite> {
        Some(self)
    }
}
