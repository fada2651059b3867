//! The store trait: what the ledger needs of a database, and nothing more.
//!
//! The ledger's logic (the role check, the decision's facts, the audit
//! chain, every query) is written once, against [`Db`]; SQLite
//! ([`super::sqlite`]) and PostgreSQL ([`super::pg`]) each implement it.
//! The SQL the ledger sends is the subset both speak: `?N` placeholders
//! (PostgreSQL's backend renumbers them `$N`), `ON CONFLICT`, `RETURNING`,
//! `CAST(… AS TEXT)`, integers for flags, text for times (RFC 3339, UTC,
//! made by the engine's clock, so that both compare them the same way).
//!
//! A transaction is [`run`]: begun for writing ([`Begin::Write`]) it holds
//! the one writer's lock until it commits, so every change, and every
//! decision with the seats it counts, sees the ledger as the last writer
//! left it; any error rolls it back.

use super::LedgerError;

/// A value bound to a statement or read from a row.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value {
    /// SQL `NULL`.
    Null,
    /// A 64-bit integer (flags are 0 or 1).
    Int(i64),
    /// Text.
    Text(String),
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}
impl From<u64> for Value {
    /// Serials are below 2^36; a larger value would be a bug, stored as is.
    fn from(v: u64) -> Self {
        Value::Int(v as i64)
    }
}
impl From<u32> for Value {
    fn from(v: u32) -> Self {
        Value::Int(v.into())
    }
}
impl From<u16> for Value {
    fn from(v: u16) -> Self {
        Value::Int(v.into())
    }
}
impl From<usize> for Value {
    fn from(v: usize) -> Self {
        Value::Int(v as i64)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Int(v.into())
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_string())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}
impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(v.clone())
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// Parameters for a statement: `vals![a, b]` is `&[Value::from(a), …]`.
macro_rules! vals {
    ($($v:expr),* $(,)?) => { &[$($crate::ledger::db::Value::from($v)),*][..] };
}
pub(crate) use vals;

/// One row read, its values in the order of the `SELECT`.
#[derive(Debug)]
pub(crate) struct Row(pub(crate) Vec<Value>);

impl Row {
    fn at(&self, i: usize) -> Result<&Value, LedgerError> {
        self.0
            .get(i)
            .ok_or_else(|| LedgerError::BadValue(format!("no column {i}")))
    }

    /// Column `i` as an integer, `NULL` as `None`.
    pub(crate) fn opt_int(&self, i: usize) -> Result<Option<i64>, LedgerError> {
        match self.at(i)? {
            Value::Null => Ok(None),
            Value::Int(v) => Ok(Some(*v)),
            Value::Text(t) => Err(LedgerError::BadValue(format!(
                "column {i} holds text {t:?} where a number belongs"
            ))),
        }
    }

    /// Column `i` as an integer; `NULL` is an error.
    pub(crate) fn int(&self, i: usize) -> Result<i64, LedgerError> {
        self.opt_int(i)?
            .ok_or_else(|| LedgerError::BadValue(format!("column {i} is NULL")))
    }

    /// Column `i` as a number of type `T`, refused when out of its range.
    pub(crate) fn num<T: TryFrom<i64>>(&self, i: usize) -> Result<T, LedgerError> {
        let v = self.int(i)?;
        T::try_from(v)
            .map_err(|_| LedgerError::BadValue(format!("column {i}: {v} is out of range")))
    }

    /// Column `i` as a flag (0 is false).
    pub(crate) fn flag(&self, i: usize) -> Result<bool, LedgerError> {
        Ok(self.int(i)? != 0)
    }

    /// Column `i` as text, `NULL` as `None`.
    pub(crate) fn opt_text(&self, i: usize) -> Result<Option<String>, LedgerError> {
        match self.at(i)? {
            Value::Null => Ok(None),
            Value::Text(t) => Ok(Some(t.clone())),
            Value::Int(v) => Err(LedgerError::BadValue(format!(
                "column {i} holds the number {v} where text belongs"
            ))),
        }
    }

    /// Column `i` as text; `NULL` is an error.
    pub(crate) fn text(&self, i: usize) -> Result<String, LedgerError> {
        self.opt_text(i)?
            .ok_or_else(|| LedgerError::BadValue(format!("column {i} is NULL")))
    }
}

/// How a transaction begins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Begin {
    /// Reads only, from one consistent view where the backend gives one.
    Read,
    /// Takes the one writer's lock first (SQLite `BEGIN IMMEDIATE`; on
    /// PostgreSQL an advisory lock every writer takes): writers run one after
    /// another, whichever process or machine they run in.
    Write,
}

/// A database the ledger lives in. Statements use `?N` placeholders.
///
/// Methods take `&self`: a backend that needs mutable access to its
/// connection keeps it in a cell. A backend is used by one thread at a time.
pub(crate) trait Db: Send {
    /// Runs a statement; returns the rows it changed.
    fn exec(&self, sql: &str, params: &[Value]) -> Result<u64, LedgerError>;
    /// Runs a query; returns every row.
    fn rows(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, LedgerError>;
    /// Begins a transaction.
    fn begin(&self, how: Begin) -> Result<(), LedgerError>;
    /// Commits the transaction begun.
    fn commit(&self) -> Result<(), LedgerError>;
    /// Rolls back the transaction begun, if any; never fails (a connection
    /// that is gone has nothing to roll back).
    fn rollback(&self);
    /// Whether commits from now on must survive a power cut before they
    /// return (they are grants: confirmation IDs a caller may already
    /// have heard). Outside transactions only.
    fn durable(&self, on: bool) -> Result<(), LedgerError>;
    /// Checks the storage itself for damage (SQLite's `integrity_check`);
    /// `Err` names what is damaged.
    fn integrity(&self) -> Result<(), String>;
    /// Where the ledger is, for messages: a file, or a database URL without
    /// its password.
    fn place(&self) -> String;
    /// After rows were inserted with their numbers given (a copy), makes
    /// the next numbers the database hands out follow the highest ones
    /// (PostgreSQL's identity sequences; SQLite needs nothing).
    fn numbered_rows_follow(&self) -> Result<(), LedgerError> {
        Ok(())
    }
    /// The SQLite file behind this backend, for what only a file can do
    /// (page-by-page backup and restore).
    fn sqlite(&self) -> Option<&super::sqlite::Sqlite> {
        None
    }
    /// The same, to write.
    fn sqlite_mut(&mut self) -> Option<&mut super::sqlite::Sqlite> {
        None
    }
}

impl dyn Db + '_ {
    /// The one row a query returns, or `None`.
    pub(crate) fn one(&self, sql: &str, params: &[Value]) -> Result<Option<Row>, LedgerError> {
        Ok(self.rows(sql, params)?.into_iter().next())
    }

    /// The first column of the one row a query must return, as an integer.
    pub(crate) fn int(&self, sql: &str, params: &[Value]) -> Result<i64, LedgerError> {
        self.one(sql, params)?
            .ok_or_else(|| LedgerError::BadValue(format!("no row from {sql:?}")))?
            .int(0)
    }
}

/// Runs `f` in one transaction begun as `how`: committed when `f` returns
/// `Ok`, rolled back otherwise.
pub(crate) fn run<T>(
    db: &dyn Db,
    how: Begin,
    f: impl FnOnce() -> Result<T, LedgerError>,
) -> Result<T, LedgerError> {
    db.begin(how)?;
    match f() {
        Ok(v) => {
            if let Err(e) = db.commit() {
                db.rollback();
                return Err(e);
            }
            Ok(v)
        }
        Err(e) => {
            db.rollback();
            Err(e)
        }
    }
}
