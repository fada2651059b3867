//! The one error a request can end in: a kind (what the caller should do
//! about it; the HTTP status and the command's exit code come from it) and
//! a one-line message.

use crate::home::HomeError;
use crate::ledger::LedgerError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// What went wrong, as a category the caller can act on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorKind {
    /// The request was malformed or refused as input: fix it and retry.
    BadInput,
    /// Who the caller is could not be established (no or a revoked token).
    Unauthenticated,
    /// The caller's role does not allow it.
    Forbidden,
    /// Nothing by that name or number.
    NotFound,
    /// An idempotency key reused for a different request.
    Conflict,
    /// A check failed: the audit trail, a corrupt ledger.
    Unverified,
    /// A stored row is unreadable (the ledger was damaged or edited).
    Corrupt,
    /// The ledger stayed locked too long: retry.
    Busy,
    /// A fault on the engine's side (a bug, a full disk).
    Internal,
}

/// A request's failure.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    /// The category.
    pub kind: ErrorKind,
    /// One line, for people.
    pub message: String,
}

impl ApiError {
    /// An error of `kind`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// Bad input.
    pub fn bad(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::BadInput, message)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ApiError {}

impl From<LedgerError> for ApiError {
    fn from(e: LedgerError) -> Self {
        let kind = match &e {
            _ if e.is_busy() => ErrorKind::Busy,
            _ if e.is_corrupt() => ErrorKind::Corrupt,
            LedgerError::Unreachable { .. } => ErrorKind::Busy,
            LedgerError::Sql(_) | LedgerError::Postgres(_) | LedgerError::DiskFull => {
                ErrorKind::Internal
            }
            LedgerError::NoAuditKey => ErrorKind::Internal,
            LedgerError::Unverified(_) => ErrorKind::Unverified,
            LedgerError::Forbidden(_) => ErrorKind::Forbidden,
            LedgerError::NotFound(_) => ErrorKind::NotFound,
            _ => ErrorKind::BadInput,
        };
        Self::new(kind, e.to_string())
    }
}

impl From<HomeError> for ApiError {
    fn from(e: HomeError) -> Self {
        match e {
            HomeError::Ledger(l) => l.into(),
            other => Self::bad(other.to_string()),
        }
    }
}
