//! `-` for standard input or output, wherever a command reads or writes a file.

use super::bad;
use anyhow::Result;
use std::io::Read as _;
use std::path::{Path, PathBuf};

/// Whether `path` is `-`.
pub fn is_stdio(path: &Path) -> bool {
    path == Path::new("-")
}

/// The name messages give `path`: `-` is `stdio` ("standard input" or "standard output").
pub fn name(path: &Path, stdio: &str) -> PathBuf {
    if is_stdio(path) {
        PathBuf::from(stdio)
    } else {
        path.to_path_buf()
    }
}

/// The whole of a file, or of standard input for `-`; the name for messages
/// with it. A read error is bad input naming the file.
pub fn read(path: &Path) -> Result<(PathBuf, Vec<u8>)> {
    let name = name(path, "standard input");
    let mut bytes = Vec::new();
    let read = if is_stdio(path) {
        std::io::stdin().lock().read_to_end(&mut bytes).map(|_| ())
    } else {
        std::fs::read(path).map(|b| bytes = b)
    };
    read.map_err(|e| bad(format!("{}: {e}", name.display())))?;
    Ok((name, bytes))
}

/// [`read`], as UTF-8 text.
pub fn read_text(path: &Path) -> Result<(PathBuf, String)> {
    let (name, bytes) = read(path)?;
    let text = String::from_utf8(bytes)
        .map_err(|e| bad(format!("{}: not UTF-8 text ({e})", name.display())))?;
    Ok((name, text))
}

/// Writes `bytes` to a file, or to standard output for `-`. A file is
/// written whole or the error says why (bad input naming the file); a
/// closed standard output is the caller's ordinary broken pipe.
pub fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    if is_stdio(path) {
        Ok(super::pager::write_all(bytes)?)
    } else {
        std::fs::write(path, bytes)
            .map_err(|e| bad(format!("cannot write {}: {e}", path.display())))
    }
}
