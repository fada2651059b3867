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
    /// Only the host that serves opens it.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let io = |source| StoreError::Io {
            path: path.to_path_buf(),
            source,
        };
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
        Ok(Store {
            path: path.to_path_buf(),
            file,
            book,
        })
    }

    /// Appends `seen` (of `product`) and flushes it to disk. On an error
    /// (a full disk) nothing may be answered from it.
    pub fn record(&mut self, product: u16, seen: &Seen) -> Result<(), StoreError> {
        let l = line(product, seen);
        self.file
            .write_all(l.as_bytes())
            .and_then(|_| self.file.sync_data())
            .map_err(|source| StoreError::Io {
                path: self.path.clone(),
                source,
            })
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
