//! Long listings on a terminal go through a pager, as git's do.
//!
//! [`start`] is called for the commands that list or show things; when
//! standard output is a terminal it starts `ACTLINE_PAGER`, else `PAGER`,
//! else `less` (with `LESS=FRX` unless `LESS` is set: quit when it fits
//! on one screen, keep colours, leave the text on screen). Everything
//! [`outln!`] and [`out!`] print then goes to it. An empty pager or `cat`
//! means none; a pager that cannot be started means none.

use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;

static PAGER: Mutex<Option<Child>> = Mutex::new(None);

/// Starts the pager when standard output is a terminal.
pub fn start() {
    use std::io::IsTerminal as _;
    if !std::io::stdout().is_terminal() {
        return;
    }
    let pager = std::env::var("ACTLINE_PAGER")
        .or_else(|_| std::env::var("PAGER"))
        .unwrap_or_else(|_| "less".into());
    if pager.trim().is_empty() || pager.trim() == "cat" {
        return;
    }
    let mut cmd = Command::new("sh");
    cmd.args(["-c", &pager]).stdin(Stdio::piped());
    if std::env::var_os("LESS").is_none() {
        cmd.env("LESS", "FRX");
    }
    if let Ok(child) = cmd.spawn() {
        *PAGER.lock().unwrap_or_else(|e| e.into_inner()) = Some(child);
    }
}

/// Writes to the pager when there is one, else to standard output.
pub fn write_fmt(args: std::fmt::Arguments<'_>) -> std::io::Result<()> {
    let mut pager = PAGER.lock().unwrap_or_else(|e| e.into_inner());
    match pager.as_mut().and_then(|c| c.stdin.as_mut()) {
        Some(stdin) => stdin.write_fmt(args),
        None => std::io::stdout().lock().write_fmt(args),
    }
}

/// Writes bytes to the pager when there is one, else to standard output.
pub fn write_all(bytes: &[u8]) -> std::io::Result<()> {
    let mut pager = PAGER.lock().unwrap_or_else(|e| e.into_inner());
    match pager.as_mut().and_then(|c| c.stdin.as_mut()) {
        Some(stdin) => stdin.write_all(bytes),
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(bytes)?;
            out.flush()
        }
    }
}

/// Flushes what was written; with a pager, ends its input and waits for
/// the reader to quit it.
pub fn finish() -> std::io::Result<()> {
    let child = PAGER.lock().unwrap_or_else(|e| e.into_inner()).take();
    match child {
        Some(mut c) => {
            drop(c.stdin.take());
            c.wait().map(|_| ())
        }
        None => std::io::stdout().flush(),
    }
}
