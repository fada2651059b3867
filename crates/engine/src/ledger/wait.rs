//! Waiting for a ledger that another process has locked, and saying so.
//!
//! SQLite calls [`busy`] while another connection holds the lock this one
//! needs. It waits up to [`LOCK_PATIENCE`] in short sleeps, then gives up
//! (the operation fails as busy). Once a wait has lasted [`NOTICE_AFTER`],
//! the notice set with [`on_long_wait`] is given, once per wait, so a
//! person at a terminal knows why nothing happens.

use std::cell::Cell;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How long one operation waits for a locked ledger before it fails as busy.
pub const LOCK_PATIENCE: Duration = Duration::from_secs(120);

/// How long a wait lasts before the notice is given.
pub const NOTICE_AFTER: Duration = Duration::from_secs(1);

type Notice = Box<dyn Fn(Duration) + Send + Sync>;

static NOTICE: OnceLock<Notice> = OnceLock::new();

thread_local! {
    /// When this thread's current wait began, and whether it was announced.
    static WAIT: Cell<Option<(Instant, bool)>> = const { Cell::new(None) };
}

/// Sets what to do when a wait for the ledger has lasted [`NOTICE_AFTER`]
/// (for the process; a second call is ignored). It gets the time waited so
/// far, on the waiting thread.
pub fn on_long_wait(notice: impl Fn(Duration) + Send + Sync + 'static) {
    let _ = NOTICE.set(Box::new(notice));
}

/// SQLite's busy handler: `count` is how often it was called for this lock
/// before. True to try again, false to give up.
pub(super) fn busy(count: i32) -> bool {
    let now = Instant::now();
    let (since, told) = match WAIT.get() {
        Some(w) if count > 0 => w,
        _ => (now, false),
    };
    let waited = now - since;
    if waited >= LOCK_PATIENCE {
        WAIT.set(None);
        return false;
    }
    let tell = !told && waited >= NOTICE_AFTER;
    if tell {
        if let Some(notice) = NOTICE.get() {
            notice(waited);
        }
    }
    WAIT.set(Some((since, told || tell)));
    // Short at first (most locks are a commit of a few milliseconds), then
    // 20 ms, so a wait ends soon after the lock is released.
    std::thread::sleep(Duration::from_millis(match count {
        0..=4 => 1,
        5..=19 => 5,
        _ => 20,
    }));
    true
}

/// Gives the notice for a wait that has lasted `waited` (a backend that
/// waits on its server, not in [`busy`], says so itself).
pub(super) fn announce(waited: Duration) {
    if let Some(notice) = NOTICE.get() {
        notice(waited);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wait_gives_up_after_the_patience_and_starts_again_at_count_zero() {
        assert!(busy(0));
        // Pretend the wait began long ago.
        WAIT.set(Some((Instant::now() - LOCK_PATIENCE, true)));
        assert!(!busy(7), "gives up");
        assert!(busy(0), "a new lock is a new wait");
    }
}
