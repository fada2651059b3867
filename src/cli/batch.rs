//! `actline batch`: proxy activation, many installation IDs from a file.
//! Each chunk is one request (one transaction); its results reach the
//! output file before the next chunk is sent, so a confirmation ID in the
//! file is always one the ledger has.

pub use super::args::BatchArgs;
use super::backend::{expect_reply, Backend};
use super::bad;
use super::stdio;
use actline::ids::InstallationId;
use actline::service::{BatchLine, Request};
use anyhow::Result;
use std::io::{IsTerminal, Write};

pub fn run(backend: &Backend, a: &BatchArgs) -> Result<()> {
    let to_stdout = stdio::is_stdio(&a.output);
    if !to_stdout {
        backend.refuse_output(&a.output)?;
    }
    let lines = read_batch(&a.input)?;
    let sink: Box<dyn Write> = if to_stdout {
        Box::new(std::io::stdout().lock())
    } else {
        Box::new(
            std::fs::File::create(&a.output)
                .map_err(|e| bad(format!("{}: {e}", a.output.display())))?,
        )
    };
    let mut out = std::io::BufWriter::new(sink);
    writeln!(out, "label,installation_id,decision,confirmation_id,reason")?;
    // Results are written in input order: an unreadable line's row goes out
    // just before the next decided line after it.
    let mut items = Vec::new();
    let mut item_lines = Vec::new();
    let mut rejected = std::collections::VecDeque::new();
    for (line, label, text) in &lines {
        match InstallationId::parse(text) {
            Ok(iid) => {
                items.push(BatchLine {
                    installation_id: iid.to_string(),
                    label: label.clone(),
                });
                item_lines.push(*line);
            }
            Err(e) => rejected.push_back((
                *line,
                format!(
                    "{},{},invalid,,{}",
                    csv(label.as_deref().unwrap_or("")),
                    csv(text),
                    csv(&format!(
                        "{}: line {line}: {e}",
                        stdio::name(&a.input, "standard input").display()
                    ))
                ),
            )),
        }
    }
    let invalid = rejected.len();
    let total = items.len();
    let tty = std::io::stderr().is_terminal();
    let (mut done, mut granted) = (0usize, 0usize);
    let mut write_err: Option<std::io::Error> = None;
    let mut result = Ok(());
    for part in items.chunks(a.chunk as usize) {
        let reply = match backend.call(Request::Batch {
            items: part.to_vec(),
        }) {
            Ok(r) => r,
            Err(e) => {
                result = Err(e);
                break;
            }
        };
        let acts = expect_reply!(reply, Batch).activations;
        for act in &acts {
            let item = &items[done];
            while rejected
                .front()
                .is_some_and(|(line, _)| *line < item_lines[done])
            {
                if let Some((_, row)) = rejected.pop_front() {
                    if let Err(e) = writeln!(out, "{row}") {
                        write_err.get_or_insert(e);
                    }
                }
            }
            done += 1;
            granted += act.granted() as usize;
            let reason = act.reasons.last().cloned().unwrap_or_default();
            let r = writeln!(
                out,
                "{},{},{},{},{}",
                csv(item.label.as_deref().unwrap_or("")),
                item.installation_id,
                act.decision,
                act.confirmation_id.as_deref().unwrap_or(""),
                csv(&reason)
            );
            if let Err(e) = r {
                write_err.get_or_insert(e);
            }
        }
        // A committed chunk's results reach the disk before the next chunk.
        if let Err(e) = out.flush() {
            write_err.get_or_insert(e);
        }
        if tty {
            let width = 30;
            let filled = (done * width).checked_div(total).unwrap_or(width);
            eprint!(
                "\r[{}{}] {done}/{total}",
                "#".repeat(filled),
                " ".repeat(width - filled)
            );
        }
    }
    for (_, row) in rejected {
        writeln!(out, "{row}")?;
    }
    out.flush()?;
    if tty {
        eprintln!();
    }
    result?;
    if let Some(e) = write_err {
        return Err(bad(format!(
            "{}: {e}",
            stdio::name(&a.output, "standard output").display()
        )));
    }
    eprintln!(
        "{total} decided: {granted} granted, {} denied; {invalid} invalid lines; results in {}",
        total - granted,
        stdio::name(&a.output, "standard output").display()
    );
    Ok(())
}

/// Reads batch input: `IID` or `label,IID` a line; blank lines and lines
/// starting with `#` are skipped; a header line `label,...` is skipped.
///
/// `-` is standard input. Fields are separated by commas, or by semicolons
/// when the first line with data has a semicolon and no comma (what
/// spreadsheets write where the comma is the decimal mark). Only the first
/// two fields are read, so a batch's own output file is an input too.
fn read_batch(path: &std::path::Path) -> Result<Vec<(usize, Option<String>, String)>> {
    let (_, text) = stdio::read_text(path)?;
    // Spreadsheets write a byte-order mark first.
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let delimiter = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .filter(|l| l.contains(';') && !l.contains(','))
        .map_or(',', |_| ';');
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty()
            || line.starts_with('#')
            || line
                .to_ascii_lowercase()
                .starts_with(&format!("label{delimiter}"))
        {
            continue;
        }
        let (label, iid) = split_label(line, delimiter);
        out.push((i + 1, label, iid));
    }
    Ok(out)
}

/// Splits a batch line into an optional CSV label (quoted with `"` and `""`
/// when it holds the delimiter) and the installation ID (the second field;
/// any after it are ignored).
fn split_label(line: &str, delimiter: char) -> (Option<String>, String) {
    let field = |s: &str| {
        s.split(delimiter)
            .next()
            .unwrap_or("")
            .trim()
            .trim_matches('"')
            .to_string()
    };
    if let Some(rest) = line.strip_prefix('"') {
        let mut label = String::new();
        let mut chars = rest.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c == '"' {
                if chars.peek().map(|p| p.1) == Some('"') {
                    chars.next();
                    label.push('"');
                    continue;
                }
                let after = rest[i + 1..].trim_start();
                let iid = after.strip_prefix(delimiter).unwrap_or(after);
                return (Some(label), field(iid));
            }
            label.push(c);
        }
    }
    match line.split_once(delimiter) {
        Some((l, r)) => (Some(l.trim().to_string()), field(r)),
        None => (None, line.to_string()),
    }
}

/// A CSV field. A field a spreadsheet would run as a formula is prefixed
/// with `'`: one starting with `=`, `+`, `-` or `@`, or with a tab or a
/// carriage return (spreadsheets skip those and run what follows, so
/// `"\t=cmd"` is a formula too). A field holding a comma, a quote, a line
/// feed or a bare carriage return is quoted, so every record stays one row.
pub(super) fn csv(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
