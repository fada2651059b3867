//! The PostgreSQL backend: the ledger in a database the vendor already
//! runs, shared by every service instance that names it.
//!
//! - The URL is libpq's (`postgres://user[:password]@host[:port]/dbname`,
//!   `?host=/run/postgresql` for a Unix socket). `sslmode=disable` (or no
//!   `sslmode`) talks plain; `prefer` uses TLS when the server offers it;
//!   `require`, `verify-ca` and `verify-full` insist on it. TLS always
//!   verifies the server's certificate and name (rustls), against
//!   `sslrootcert=FILE` when given and the system's roots otherwise.
//!   `connect_timeout` (seconds) defaults to 10. The password is never
//!   printed: messages name the ledger by [`Db::place`], the URL without it.
//! - Migrations (`sql/pg/v*.sql`) are applied in one transaction, under the
//!   writers' lock; a schema newer than this build knows, or a database that
//!   holds tables of something else, is refused and left as it was.
//! - Writers are serialized by one transaction-scoped advisory lock
//!   (`pg_advisory_xact_lock`), taken first thing in every write
//!   transaction, then READ COMMITTED: every statement after the lock sees
//!   every change committed before it. That is the same discipline as
//!   SQLite's `BEGIN IMMEDIATE`, across processes and machines, and it is
//!   what makes the seat count exact. Serializable transactions with retry
//!   were the other choice; since every change appends to the one audit
//!   hash chain, any two concurrent writers conflict, so they would abort
//!   and redo nearly every concurrent write (and sign its confirmation ID
//!   again) instead of waiting in line. The lock waits at most
//!   [`super::wait::LOCK_PATIENCE`] (`lock_timeout`): first
//!   [`super::wait::NOTICE_AFTER`], then, with the notice given, the rest.
//! - Reads that must be consistent across statements (`audit verify`, a
//!   preview) run in a REPEATABLE READ, READ ONLY transaction.
//! - A lost connection (the server restarted) fails the request in flight
//!   with [`LedgerError::Unreachable`]: the server rolls its transaction
//!   back, so nothing is half-written. The next request connects again.

use super::db::{Begin, Db, Row, Value};
use super::{wait, LedgerError};
use postgres::error::SqlState;
use postgres::types::{private::BytesMut, IsNull, ToSql, Type};
use postgres::{Client, Config, Statement};
use std::cell::RefCell;
use std::collections::HashMap;
use std::time::Duration;

/// Migrations, in order; index + 1 is the schema version they produce.
const MIGRATIONS: &[&str] = &[include_str!("sql/pg/v1.sql")];
/// The PostgreSQL schema version this build writes.
pub const PG_SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// The advisory lock every writer takes ("actline" in ASCII).
const WRITER_LOCK: i64 = 0x0061_6374_6c69_6e65;

/// Whether `s` names a PostgreSQL database (`postgres://` or
/// `postgresql://`) rather than a file.
pub fn is_url(s: &str) -> bool {
    s.starts_with("postgres://") || s.starts_with("postgresql://")
}

/// `url` as messages may show it: without its password (or, when it does
/// not parse, without anything after the scheme).
pub fn redacted(url: &str) -> String {
    match Target::parse(url) {
        Ok(t) => t.place,
        Err(_) => "postgres://…".to_string(),
    }
}

/// What [`super::Ledger::connect`] makes of `url` before it connects: the
/// ledger's place as messages name it (no password), or the URL's one-line
/// fault (which never holds the URL either).
pub fn check_url(url: &str) -> Result<String, LedgerError> {
    Target::parse(url).map(|t| t.place)
}

/// How to reach the server, from the URL.
struct Target {
    config: Config,
    tls: Option<rustls::ClientConfig>,
    /// The URL without its password.
    place: String,
}

/// The URL's TLS options (`sslmode`, `sslrootcert`), which the driver
/// does not take as we mean them, taken out of `url`.
fn split_tls(url: &str) -> (String, Option<String>, Option<String>) {
    let Some((base, query)) = url.split_once('?') else {
        return (url.to_string(), None, None);
    };
    let (mut mode, mut root, mut rest) = (None, None, Vec::new());
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("sslmode", v)) => mode = Some(v.to_string()),
            Some(("sslrootcert", v)) => root = Some(v.to_string()),
            _ => rest.push(pair),
        }
    }
    let url = if rest.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", rest.join("&"))
    };
    (url, mode, root)
}

/// The URL as messages show it: user, hosts, ports and database; never the
/// password.
fn redact(config: &Config) -> String {
    use postgres::config::Host;
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .map(|h| match h {
            Host::Tcp(name) => name.clone(),
            Host::Unix(path) => path.display().to_string(),
        })
        .collect();
    let ports: Vec<String> = config.get_ports().iter().map(u16::to_string).collect();
    format!(
        "postgres://{}{}{}{}/{}",
        config
            .get_user()
            .map(|u| format!("{u}@"))
            .unwrap_or_default(),
        hosts.join(","),
        if ports.is_empty() { "" } else { ":" },
        ports.join(","),
        config.get_dbname().unwrap_or("")
    )
}

/// A URL's one-line fault, without the URL itself (it may hold a password).
fn bad_url(reason: impl std::fmt::Display) -> LedgerError {
    LedgerError::Refused(format!("the ledger's database URL is not usable: {reason}"))
}

impl Target {
    fn parse(url: &str) -> Result<Self, LedgerError> {
        let (rest, mode, root) = split_tls(url);
        let mut config: Config = rest.parse().map_err(bad_url)?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        config.application_name("actline");
        let tls = match mode.as_deref() {
            None | Some("disable") => {
                config.ssl_mode(postgres::config::SslMode::Disable);
                None
            }
            Some(m @ ("prefer" | "require" | "verify-ca" | "verify-full")) => {
                config.ssl_mode(if m == "prefer" {
                    postgres::config::SslMode::Prefer
                } else {
                    postgres::config::SslMode::Require
                });
                Some(tls_config(root.as_deref())?)
            }
            Some(other) => {
                return Err(bad_url(format!(
                    "sslmode={other} (use disable, prefer, require, verify-ca or verify-full)"
                )))
            }
        };
        let place = redact(&config);
        Ok(Self { config, tls, place })
    }

    fn connect(&self) -> Result<Client, LedgerError> {
        let client = match &self.tls {
            None => self.config.connect(postgres::NoTls),
            Some(tls) => self
                .config
                .connect(tokio_postgres_rustls::MakeRustlsConnect::new(tls.clone())),
        };
        let mut client = client.map_err(|e| self.error(e))?;
        client
            .batch_execute(&format!(
                "SET lock_timeout = '{}s'; SET idle_in_transaction_session_timeout = '600s'",
                wait::LOCK_PATIENCE.as_secs()
            ))
            .map_err(|e| self.error(e))?;
        Ok(client)
    }

    /// A driver error as the ledger says it.
    fn error(&self, e: postgres::Error) -> LedgerError {
        let unreachable = |reason: String| LedgerError::Unreachable {
            place: self.place.clone(),
            reason,
        };
        if let Some(db) = e.as_db_error() {
            let code = db.code();
            if *code == SqlState::DISK_FULL {
                return LedgerError::DiskFull;
            }
            if *code == SqlState::INVALID_PASSWORD
                || *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION
                || *code == SqlState::INVALID_CATALOG_NAME
                || *code == SqlState::ADMIN_SHUTDOWN
                || *code == SqlState::CRASH_SHUTDOWN
                || *code == SqlState::CANNOT_CONNECT_NOW
                || *code == SqlState::TOO_MANY_CONNECTIONS
            {
                return unreachable(db.message().to_string());
            }
            return LedgerError::Postgres(e);
        }
        if e.is_closed() || e.code().is_none() {
            // No answer from a server: connecting failed, or the
            // connection was lost.
            let mut reason = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                reason = format!("{reason}: {s}");
                source = s.source();
            }
            return unreachable(reason);
        }
        LedgerError::Postgres(e)
    }
}

/// rustls with the roots in `root` (PEM) or the system's.
fn tls_config(root: Option<&str>) -> Result<rustls::ClientConfig, LedgerError> {
    let mut roots = rustls::RootCertStore::empty();
    match root {
        Some(path) => {
            let pem =
                std::fs::read(path).map_err(|e| bad_url(format!("sslrootcert {path}: {e}")))?;
            let mut any = false;
            for cert in rustls_pemfile_certs(&pem) {
                roots
                    .add(cert)
                    .map_err(|e| bad_url(format!("sslrootcert {path}: {e}")))?;
                any = true;
            }
            if !any {
                return Err(bad_url(format!("sslrootcert {path}: no certificate in it")));
            }
        }
        None => {
            for cert in rustls_native_certs::load_native_certs().certs {
                let _ = roots.add(cert);
            }
        }
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(bad_url)?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// The certificates in a PEM file.
fn rustls_pemfile_certs(pem: &[u8]) -> Vec<rustls::pki_types::CertificateDer<'static>> {
    use rustls::pki_types::pem::PemObject;
    rustls::pki_types::CertificateDer::pem_slice_iter(pem)
        .filter_map(Result::ok)
        .collect()
}

/// `?N` placeholders as PostgreSQL's `$N` (outside quoted literals).
fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quoted = false;
    for c in sql.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                out.push(c)
            }
            '?' if !quoted => out.push('$'),
            _ => out.push(c),
        }
    }
    out
}

impl ToSql for Value {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(v) => match *ty {
                Type::INT2 => i16::try_from(*v)?.to_sql(ty, out),
                Type::INT4 => i32::try_from(*v)?.to_sql(ty, out),
                Type::INT8 => v.to_sql(ty, out),
                Type::BOOL => (*v != 0).to_sql(ty, out),
                Type::TEXT | Type::VARCHAR => v.to_string().to_sql(ty, out),
                _ => Err(format!("a number bound to a {ty} parameter").into()),
            },
            Value::Text(t) => t.as_str().to_sql(ty, out),
        }
    }

    fn accepts(ty: &Type) -> bool {
        matches!(
            *ty,
            Type::INT2 | Type::INT4 | Type::INT8 | Type::BOOL | Type::TEXT | Type::VARCHAR
        )
    }

    postgres::types::to_sql_checked!();
}

/// One column of a row as a [`Value`].
fn value(row: &postgres::Row, i: usize) -> Result<Value, LedgerError> {
    let ty = row.columns()[i].type_().clone();
    let bad = |e: postgres::Error| LedgerError::BadValue(format!("column {i}: {e}"));
    Ok(match ty {
        Type::INT2 => row
            .try_get::<_, Option<i16>>(i)
            .map_err(bad)?
            .map_or(Value::Null, |v| Value::Int(v.into())),
        Type::INT4 => row
            .try_get::<_, Option<i32>>(i)
            .map_err(bad)?
            .map_or(Value::Null, |v| Value::Int(v.into())),
        Type::INT8 => row
            .try_get::<_, Option<i64>>(i)
            .map_err(bad)?
            .map_or(Value::Null, Value::Int),
        Type::BOOL => row
            .try_get::<_, Option<bool>>(i)
            .map_err(bad)?
            .map_or(Value::Null, |v| Value::Int(v.into())),
        Type::TEXT | Type::VARCHAR | Type::NAME | Type::BPCHAR => row
            .try_get::<_, Option<String>>(i)
            .map_err(bad)?
            .map_or(Value::Null, Value::Text),
        other => {
            return Err(LedgerError::BadValue(format!(
                "column {i} is of type {other}, which the ledger never stores"
            )))
        }
    })
}

/// A live connection and the statements prepared on it.
struct Conn {
    client: Client,
    statements: HashMap<String, Statement>,
}

/// A ledger in a PostgreSQL database.
pub(crate) struct Pg {
    target: Target,
    /// `None` after the connection was lost; the next transaction or
    /// statement outside one connects again.
    conn: RefCell<Option<Conn>>,
    /// Inside a transaction: a lost connection then fails the rest of it.
    in_tx: std::cell::Cell<bool>,
}

impl Pg {
    /// Connects and migrates. With `create`, the database must hold no
    /// ledger yet; without, it must hold one.
    pub(crate) fn connect(url: &str, create: bool) -> Result<Self, LedgerError> {
        let target = Target::parse(url)?;
        let client = target.connect()?;
        let pg = Self {
            target,
            conn: RefCell::new(Some(Conn {
                client,
                statements: HashMap::new(),
            })),
            in_tx: std::cell::Cell::new(false),
        };
        pg.migrate(create)?;
        Ok(pg)
    }

    fn migrate(&self, create: bool) -> Result<(), LedgerError> {
        let place = self.target.place.clone();
        super::db::run(self, Begin::Write, || {
            let has_schema = (self as &dyn Db)
                .one("SELECT to_regclass('actline_schema') IS NOT NULL", &[])?
                .map(|r| r.flag(0))
                .transpose()?
                .unwrap_or(false);
            let version = if has_schema {
                (self as &dyn Db).int("SELECT max(version) FROM actline_schema", &[])?
            } else {
                let tables = (self as &dyn Db).int(
                    "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()",
                    &[],
                )?;
                if tables > 0 {
                    return Err(super::corrupt(
                        &place,
                        "the database holds tables, but not an actline ledger",
                    ));
                }
                0
            };
            if version > PG_SCHEMA_VERSION {
                return Err(LedgerError::TooNew {
                    path: place.clone().into(),
                    found: version,
                    known: PG_SCHEMA_VERSION,
                });
            }
            // An empty ledger (an `init` that stopped before its first
            // entry) may be made again; one with entries never.
            if create
                && version > 0
                && (self as &dyn Db).int("SELECT count(*) FROM audit", &[])? > 0
            {
                return Err(LedgerError::Refused(format!(
                    "{place}: a ledger already exists in this database"
                )));
            }
            if !create && version == 0 {
                return Err(LedgerError::Refused(format!(
                    "{place}: no ledger in this database (run `actline init --ledger URL` first)"
                )));
            }
            for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
                self.batch(sql)?;
                (self as &dyn Db).exec(
                    "INSERT INTO actline_schema(version, applied_at) VALUES (?1, ?2)",
                    super::db::vals![i as i64 + 1, crate::days::now_rfc3339()],
                )?;
            }
            Ok(())
        })
    }

    /// Runs `f` on the connection, connecting first when there is none
    /// and no transaction is open. A lost connection is forgotten, so the
    /// next call connects again.
    ///
    /// Outside a transaction nothing has been done yet when a connection
    /// turns out dead (the server restarted while we were idle), so the
    /// call is tried once more on a new connection.
    fn with<T>(
        &self,
        f: impl Fn(&mut Conn) -> Result<T, postgres::Error>,
    ) -> Result<T, LedgerError> {
        let tries = if self.in_tx.get() { 1 } else { 2 };
        let mut last = None;
        for _ in 0..tries {
            match self.once(&f) {
                Err(e @ LedgerError::Unreachable { .. }) => last = Some(e),
                other => return other,
            }
        }
        Err(last.expect("tried at least once"))
    }

    /// One try of [`Pg::with`].
    fn once<T>(
        &self,
        f: &impl Fn(&mut Conn) -> Result<T, postgres::Error>,
    ) -> Result<T, LedgerError> {
        let mut slot = self.conn.borrow_mut();
        if slot.as_ref().is_some_and(|c| c.client.is_closed()) {
            *slot = None;
        }
        if slot.is_none() {
            if self.in_tx.get() {
                return Err(LedgerError::Unreachable {
                    place: self.target.place.clone(),
                    reason: "the connection was lost during the change; the server rolled it back, and nothing of it was written".into(),
                });
            }
            *slot = Some(Conn {
                client: self.target.connect()?,
                statements: HashMap::new(),
            });
        }
        let conn = slot.as_mut().expect("connected above");
        match f(conn) {
            Ok(v) => Ok(v),
            Err(e) => {
                let closed = e.is_closed() || conn.client.is_closed();
                let e = self.target.error(e);
                // A server that is shutting down or lost us: this
                // connection is done with.
                if closed || matches!(e, LedgerError::Unreachable { .. }) {
                    *slot = None;
                }
                Err(e)
            }
        }
    }

    /// Runs a script of statements (a migration).
    fn batch(&self, sql: &str) -> Result<(), LedgerError> {
        self.with(|c| c.client.batch_execute(sql))
    }

    /// The prepared statement for `sql`.
    fn prepared(c: &mut Conn, sql: &str) -> Result<Statement, postgres::Error> {
        if let Some(s) = c.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = c.client.prepare(&numbered(sql))?;
        c.statements.insert(sql.to_string(), s.clone());
        Ok(s)
    }
}

impl Drop for Pg {
    /// The driver's client says goodbye to the server on a runtime of its
    /// own, which cannot start on a thread already driving one (the
    /// service's, when it stops and drops its ledgers): so the goodbye is
    /// said on a thread of its own.
    fn drop(&mut self) {
        if let Some(conn) = self.conn.get_mut().take() {
            let _ = std::thread::spawn(move || drop(conn)).join();
        }
    }
}

/// Parameters as the driver takes them.
fn params(values: &[Value]) -> Vec<&(dyn ToSql + Sync)> {
    values.iter().map(|v| v as &(dyn ToSql + Sync)).collect()
}

impl Db for Pg {
    fn exec(&self, sql: &str, values: &[Value]) -> Result<u64, LedgerError> {
        self.with(|c| {
            let s = Self::prepared(c, sql)?;
            c.client.execute(&s, &params(values))
        })
    }

    fn rows(&self, sql: &str, values: &[Value]) -> Result<Vec<Row>, LedgerError> {
        let rows = self.with(|c| {
            let s = Self::prepared(c, sql)?;
            c.client.query(&s, &params(values))
        })?;
        rows.iter()
            .map(|r| {
                Ok(Row((0..r.len())
                    .map(|i| value(r, i))
                    .collect::<Result<_, _>>()?))
            })
            .collect()
    }

    fn begin(&self, how: Begin) -> Result<(), LedgerError> {
        // A transaction left open (a bug, or a panic that was caught).
        self.rollback();
        let write = |patience: Duration| {
            format!(
                "BEGIN ISOLATION LEVEL READ COMMITTED; SET LOCAL lock_timeout = '{}ms'; \
                 SELECT pg_advisory_xact_lock({WRITER_LOCK})",
                patience.as_millis()
            )
        };
        let sql = match how {
            Begin::Read => "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY".to_string(),
            // A writer first waits in line for the notice's second...
            Begin::Write => write(wait::NOTICE_AFTER),
        };
        // Nothing is done yet: a connection found dead here is replaced
        // (see `with`) and the transaction begun on the new one.
        match self.with(|c| c.client.batch_execute(&sql)) {
            Err(LedgerError::Postgres(e))
                if how == Begin::Write && e.code() == Some(&SqlState::LOCK_NOT_AVAILABLE) =>
            {
                // ...then says why nothing happens, and waits the rest of
                // its patience (back in line: the lock queue is fair).
                self.rollback();
                wait::announce(wait::NOTICE_AFTER);
                let rest = wait::LOCK_PATIENCE.saturating_sub(wait::NOTICE_AFTER);
                self.with(|c| c.client.batch_execute(&write(rest)))?;
            }
            other => other?,
        }
        self.in_tx.set(true);
        Ok(())
    }

    fn commit(&self) -> Result<(), LedgerError> {
        let done = self.with(|c| c.client.batch_execute("COMMIT"));
        self.in_tx.set(false);
        done
    }

    fn rollback(&self) {
        self.in_tx.set(false);
        if let Some(c) = self.conn.borrow_mut().as_mut() {
            if !c.client.is_closed() {
                let _ = c.client.batch_execute("ROLLBACK");
            }
        }
    }

    fn durable(&self, _on: bool) -> Result<(), LedgerError> {
        // Every commit waits for the server's WAL flush
        // (`synchronous_commit`, on by default).
        Ok(())
    }

    fn integrity(&self) -> Result<(), String> {
        // The server checks its own pages (data checksums, where the
        // cluster has them); what the ledger can check is the chain.
        Ok(())
    }

    fn place(&self) -> String {
        self.target.place.clone()
    }

    fn numbered_rows_follow(&self) -> Result<(), LedgerError> {
        for table in ["activations", "handovers"] {
            (self as &dyn Db).one(
                &format!("SELECT setval(pg_get_serial_sequence('{table}', 'id'), coalesce(max(id), 0) + 1, false) FROM {table}"),
                &[],
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_outside_literals() {
        assert_eq!(
            numbered("SELECT ?1, '?2' FROM t WHERE a = ?2 ESCAPE '\\'"),
            "SELECT $1, '?2' FROM t WHERE a = $2 ESCAPE '\\'"
        );
    }

    #[test]
    fn the_password_is_never_in_the_place() {
        let t =
            Target::parse("postgres://ann:s3cret@db.example:5433/ledger?sslmode=disable").unwrap();
        assert_eq!(t.place, "postgres://ann@db.example:5433/ledger");
        let Err(e) = Target::parse("postgres://ann:s3cret@db/ledger?sslmode=sometimes") else {
            panic!("sslmode=sometimes was taken");
        };
        assert!(!e.to_string().contains("s3cret"), "{e}");
        assert!(e.to_string().contains("sslmode=sometimes"), "{e}");
    }

    #[test]
    fn tls_options_are_taken_out_of_the_url() {
        let (url, mode, root) =
            split_tls("postgres://a@h/d?sslmode=verify-full&connect_timeout=3&sslrootcert=/x.pem");
        assert_eq!(url, "postgres://a@h/d?connect_timeout=3");
        assert_eq!(mode.as_deref(), Some("verify-full"));
        assert_eq!(root.as_deref(), Some("/x.pem"));
    }
}
