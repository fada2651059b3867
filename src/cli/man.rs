//! `actline man`: the man pages `build.rs` wrote from the clap definition.

use super::bad;
use anyhow::Result;
use std::path::Path;

include!(concat!(env!("OUT_DIR"), "/man_pages.rs"));

/// Prints the page of `command` (`[]`: actline's own), or with `out` writes
/// every page into that directory.
pub fn run(command: &[String], out: Option<&Path>) -> Result<()> {
    if let Some(dir) = out {
        if super::stdio::is_stdio(dir) || dir.is_file() {
            return Err(bad(format!(
                "--out {}: the pages go into a directory; name one",
                dir.display()
            )));
        }
        std::fs::create_dir_all(dir).map_err(|e| bad(format!("{}: {e}", dir.display())))?;
        for (name, page) in PAGES {
            super::stdio::write(&dir.join(format!("{name}.1")), page.as_bytes())?;
        }
        outln!("wrote {} man pages into {}", PAGES.len(), dir.display())?;
        return Ok(());
    }
    let name = std::iter::once("actline")
        .chain(command.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join("-");
    let page = PAGES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, p)| *p)
        .ok_or_else(|| {
            bad(format!(
                "no man page for `{}` (`actline --help` lists the commands)",
                name.replace('-', " ")
            ))
        })?;
    out!("{page}")?;
    Ok(())
}
