//! Builds the table of the voice packs compiled into actline: every pack
//! directory under `samples/voices/` (one holding a `manifest.json`) and every
//! file in it, each embedded with `include_bytes!`. The table is made here,
//! not written by hand or committed, so a new language or re-recorded units
//! (`scripts/make-voices.sh`) reach the binary with no other change; cargo
//! reruns this when anything under `samples/voices/` changes.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let root = manifest_dir.join("../../samples/voices");
    println!("cargo:rerun-if-changed={}", root.display());
    let root = root
        .canonicalize()
        .unwrap_or_else(|e| panic!("the voice packs {}: {e}", root.display()));
    let mut code = String::from(
        "/// The built-in voice packs: (language, files), sorted.\n\
         pub(crate) static PACKS: &[(&str, super::BuiltInFiles)] = &[\n",
    );
    for (language, dir) in entries(&root, true) {
        if !dir.join("manifest.json").is_file() {
            continue;
        }
        writeln!(code, "    ({language:?}, &[").unwrap();
        for (name, file) in entries(&dir, false) {
            let path = file
                .to_str()
                .unwrap_or_else(|| panic!("{}: not UTF-8", file.display()));
            writeln!(code, "        ({name:?}, include_bytes!({path:?})),").unwrap();
        }
        code.push_str("    ]),\n");
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo"));
    std::fs::write(out.join("builtin_voices.rs"), code).expect("write the voice table");
}

/// The visible directories (`dirs`) or regular files of `dir`, by name.
fn entries(dir: &Path, dirs: bool) -> Vec<(String, PathBuf)> {
    let list = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut out: Vec<(String, PathBuf)> = list
        .map(|e| {
            e.unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                .path()
        })
        .filter(|p| if dirs { p.is_dir() } else { p.is_file() })
        .filter_map(|p| {
            let name = p.file_name()?.to_str()?.to_string();
            (!name.starts_with('.')).then_some((name, p))
        })
        .collect();
    out.sort();
    out
}
