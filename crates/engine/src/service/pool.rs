//! The service's ledgers, lent to requests one at a time each.
//!
//! A SQLite ledger has one writer whatever we do, so the pool holds one
//! ledger and requests queue for it. A ledger on a database server gets up
//! to [`SERVER_POOL`] connections, opened as requests need them, so lookups
//! run side by side and only writers queue (on the server's lock, which
//! every service instance on that database shares). A request that finds
//! every ledger lent out waits up to [`LEND_PATIENCE`], then fails as busy.

use super::{ApiError, ErrorKind};
use crate::ledger::{Ledger, LedgerError};
use std::ops::{Deref, DerefMut};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// Connections one service instance keeps to a database server at most.
pub const SERVER_POOL: usize = 8;

/// How long a request waits for a ledger when every one is lent out.
pub const LEND_PATIENCE: Duration = crate::ledger::wait::LOCK_PATIENCE;

/// Opens one more ledger like the first.
type Opener = Box<dyn Fn() -> Result<Ledger, LedgerError> + Send + Sync>;

/// Ledgers waiting to be lent, and how many exist.
struct Idle {
    ledgers: Vec<Ledger>,
    open: usize,
}

pub(super) struct Pool {
    idle: Mutex<Idle>,
    returned: Condvar,
    max: usize,
    open_another: Opener,
}

/// A ledger lent to one request; back in the pool when dropped.
pub(super) struct Lent<'a> {
    pool: &'a Pool,
    ledger: Option<Ledger>,
}

impl Pool {
    /// A pool holding `first`, growing to `max` ledgers with `open_another`.
    pub(super) fn new(
        first: Ledger,
        max: usize,
        open_another: impl Fn() -> Result<Ledger, LedgerError> + Send + Sync + 'static,
    ) -> Self {
        Self {
            idle: Mutex::new(Idle {
                ledgers: vec![first],
                open: 1,
            }),
            returned: Condvar::new(),
            max: max.max(1),
            open_another: Box::new(open_another),
        }
    }

    /// An idle ledger, a new one while there are fewer than the maximum,
    /// or the first one returned within [`LEND_PATIENCE`].
    pub(super) fn lend(&self) -> Result<Lent<'_>, ApiError> {
        let unavailable = || ApiError::new(ErrorKind::Internal, "the ledger is unavailable");
        let deadline = Instant::now() + LEND_PATIENCE;
        let mut idle = self.idle.lock().map_err(|_| unavailable())?;
        loop {
            if let Some(ledger) = idle.ledgers.pop() {
                return Ok(self.lent(ledger));
            }
            if idle.open < self.max {
                idle.open += 1;
                drop(idle);
                return match (self.open_another)() {
                    Ok(ledger) => Ok(self.lent(ledger)),
                    Err(e) => {
                        if let Ok(mut idle) = self.idle.lock() {
                            idle.open -= 1;
                        }
                        self.returned.notify_one();
                        Err(e.into())
                    }
                };
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(ApiError::new(
                    ErrorKind::Busy,
                    format!(
                        "every ledger connection stayed in use for {} s; try again",
                        LEND_PATIENCE.as_secs()
                    ),
                ));
            }
            idle = self
                .returned
                .wait_timeout(idle, deadline - now)
                .map_err(|_| unavailable())?
                .0;
        }
    }

    fn lent(&self, ledger: Ledger) -> Lent<'_> {
        Lent {
            pool: self,
            ledger: Some(ledger),
        }
    }
}

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        if let (Some(ledger), Ok(mut idle)) = (self.ledger.take(), self.pool.idle.lock()) {
            idle.ledgers.push(ledger);
        }
        self.pool.returned.notify_one();
    }
}

impl Deref for Lent<'_> {
    type Target = Ledger;
    fn deref(&self) -> &Ledger {
        self.ledger.as_ref().expect("lent until dropped")
    }
}

impl DerefMut for Lent<'_> {
    fn deref_mut(&mut self) -> &mut Ledger {
        self.ledger.as_mut().expect("lent until dropped")
    }
}
