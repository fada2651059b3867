//! The host's durable store: its [`Book`] as a journal of entries, one JSON
//! line per machine update, written and flushed to disk (`fsync`) before
//! the host answers. So every lease the host answered is on disk, through a
//! crash or `kill -9`, and a host that restarts keeps its count, unlike the
//! classic design.
//!
//! Opening replays the journal, then compacts it: a new file with one line
//! per entry, flushed, renamed over the old one. A last line cut short by a
//! crash was never answered (its flush had not returned) and is dropped;
//! damage anywhere else refuses to open and changes nothing.

use super::book::{Book, Seen};
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// One journal line.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    product: u16,
    seen: Seen,
}

/// Why the store cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Reading or writing failed (a full disk, permissions).
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// Another host already serves from this state.
    #[error("{path}: another `site serve` already uses this host state (its journal is locked); stop it first")]
    Locked {
        /// The journal.
        path: PathBuf,
    },
    /// A line before the last is not a journal entry.
    #[error("{path}:{line}: the host's journal is damaged ({why}); nothing was changed")]
    Damaged {
        /// The file.
        path: PathBuf,
        /// The 1-based line.
        line: usize,
        /// What is wrong.
        why: String,
    },
}

/// The book and its journal.
pub struct Store {
    path: PathBuf,
    file: File,
    /// The journal's length after the last whole line.
    len: u64,
    /// Held while the store lives: one host per state.
    _lock: File,
    /// A failed write could not be undone: nothing more is recorded.
    broken: bool,
    /// Lines appended since the store was opened.
    written: Arc<AtomicU64>,
    /// What the journal holds.
    pub book: Book,
}

impl Store {
    /// Reads the journal at `path` without changing it (none yet is an
    /// empty book): what `site status` shows while the host runs.
    pub fn read(path: &Path) -> Result<Book, StoreError> {
        let mut book = Book::default();
        match std::fs::read(path) {
            Ok(bytes) => {
                let text = String::from_utf8_lossy(&bytes);
                for (i, raw) in text.split_inclusive('\n').enumerate() {
                    if !raw.ends_with('\n') {
                        // The last line, cut short before its flush
                        // returned: never answered.
                        break;
                    }
                    if raw.trim().is_empty() {
                        continue;
                    }
                    match serde_json::from_str::<Line>(raw.trim_end()) {
                        Ok(l) => book.upsert(l.product, l.seen),
                        Err(e) => {
                            return Err(StoreError::Damaged {
                                path: path.to_path_buf(),
                                line: i + 1,
                                why: e.to_string(),
                            })
                        }
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(StoreError::Io {
                    path: path.to_path_buf(),
                    source,
                })
            }
        }
        Ok(book)
    }

    /// Opens (or creates) the journal at `path`, replays and compacts it.
    /// Only the host that serves opens it: a lock (`STATE/site-book.lock`,
    /// held while the store lives, released by the kernel even on `kill -9`)
    /// refuses a second host on the same state before anything is read or
    /// written.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let io = |source| StoreError::Io {
            path: path.to_path_buf(),
            source,
        };
        let lock_path = path.with_extension("lock");
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|source| StoreError::Io {
                path: lock_path.clone(),
                source,
            })?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(StoreError::Locked {
                    path: path.to_path_buf(),
                })
            }
            Err(std::fs::TryLockError::Error(source)) => {
                return Err(StoreError::Io {
                    path: lock_path,
                    source,
                })
            }
        }
        let book = Self::read(path)?;
        // Compact: the entries as they stand, written beside, flushed and
        // renamed over (write_private).
        let mut out = String::new();
        for (product, seen) in book.entries() {
            out.push_str(&line(product, seen));
        }
        crate::files::write_private(path, out.as_bytes()).map_err(io)?;
        if let Some(dir) = path.parent() {
            // The rename itself, flushed (directories open read-only on Unix).
            if let Ok(d) = File::open(if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            }) {
                let _ = d.sync_all();
            }
        }
        let file = OpenOptions::new().append(true).open(path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        Ok(Store {
            path: path.to_path_buf(),
            file,
            len,
            _lock: lock,
            broken: false,
            written: Arc::new(AtomicU64::new(0)),
            book,
        })
    }

    /// Appends `seen` (of `product`) and flushes it to disk. On an error
    /// (a full disk) nothing may be answered from it.
    pub fn record(&mut self, product: u16, seen: &Seen) -> Result<(), StoreError> {
        self.append(product, seen)?;
        self.file.sync_data().map_err(|source| StoreError::Io {
            path: self.path.clone(),
            source,
        })
    }

    /// Appends `seen` (of `product`) without flushing it, and returns the
    /// line's number: [`Flusher::flush_to`] that number before answering
    /// from it. On an error (a full disk) nothing may be answered from it,
    /// and the part of the line that was written is cut off again, so the
    /// lines after it, once there is room, are not taken for damage.
    pub fn append(&mut self, product: u16, seen: &Seen) -> Result<u64, StoreError> {
        let err = |source| StoreError::Io {
            path: self.path.clone(),
            source,
        };
        if self.broken {
            return Err(err(std::io::Error::other(
                "an earlier failed write could not be undone; restart the host",
            )));
        }
        let l = line(product, seen);
        match self.file.write_all(l.as_bytes()) {
            Ok(()) => {
                self.len += l.len() as u64;
                Ok(self.written.fetch_add(1, Ordering::SeqCst) + 1)
            }
            Err(e) => {
                if self
                    .file
                    .set_len(self.len)
                    .and_then(|_| self.file.sync_data())
                    .is_err()
                {
                    self.broken = true;
                }
                Err(err(e))
            }
        }
    }

    /// What flushes this journal for the answers waiting on it.
    pub fn flusher(&self) -> Result<Flusher, StoreError> {
        Ok(Flusher {
            file: self.file.try_clone().map_err(|source| StoreError::Io {
                path: self.path.clone(),
                source,
            })?,
            flushed: Mutex::new(0),
            written: self.written.clone(),
        })
    }
}

/// Group commit: one flush to disk covers every line written before it, so
/// answers that wait on the disk together pay for one flush, not one each.
pub struct Flusher {
    file: File,
    /// The last line number known to be on disk.
    flushed: Mutex<u64>,
    /// The last line number written (shared with the store).
    written: Arc<AtomicU64>,
}

impl Flusher {
    /// Returns once line `line` (from [`Store::append`]) is on disk.
    pub fn flush_to(&self, line: u64) -> std::io::Result<()> {
        let mut flushed = self.flushed.lock().unwrap_or_else(|p| p.into_inner());
        if *flushed >= line {
            return Ok(());
        }
        // Every line numbered up to here was written before this flush.
        let upto = self.written.load(Ordering::SeqCst);
        self.file.sync_data()?;
        *flushed = upto;
        Ok(())
    }
}

fn line(product: u16, seen: &Seen) -> String {
    let mut l = serde_json::to_string(&Line {
        product,
        seen: seen.clone(),
    })
    .unwrap_or_default();
    l.push('\n');
    l
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::site::book::{Hosted, Request};
    use actline_formats::fingerprint::HardwareHash;

    const T0: i64 = 1_800_000_000;
    const RULES: [Hosted; 1] = [Hosted {
        product: 9,
        threshold: 2,
    }];

    fn ask(store: &mut Store, n: u64) {
        let req = Request {
            product: 9,
            machine: HardwareHash::numbered(n),
            client_time: T0,
        };
        let (_, seen) = store.book.decide(&req, &RULES, T0).unwrap();
        store.record(9, &seen).unwrap();
    }

    #[test]
    fn what_was_recorded_is_there_after_a_reopen_and_the_journal_is_compacted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        let mut s = Store::open(&path).unwrap();
        for n in [1, 2, 1, 2, 3] {
            ask(&mut s, n);
        }
        let book = s.book.clone();
        drop(s);
        assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 5);
        let s = Store::open(&path).unwrap();
        assert_eq!(s.book, book);
        assert_eq!(s.book.count(9, T0), 3);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap().lines().count(),
            3,
            "one line per machine"
        );
    }

    #[test]
    fn a_last_line_cut_short_by_a_crash_is_dropped_and_damage_elsewhere_refuses() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        let mut s = Store::open(&path).unwrap();
        ask(&mut s, 1);
        ask(&mut s, 2);
        drop(s);
        let whole = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, format!("{whole}{{\"product\":9,\"se")).unwrap();
        assert_eq!(Store::read(&path).unwrap().count(9, T0), 2);
        std::fs::write(&path, format!("{{\"product\":9,\"se\n{whole}")).unwrap();
        let e = Store::open(&path).err().unwrap().to_string();
        assert!(e.contains(":1: the host's journal is damaged"), "{e}");
        assert!(
            std::fs::read_to_string(&path)
                .unwrap()
                .starts_with("{\"product\":9,\"se\n"),
            "left as it was"
        );
    }
}
