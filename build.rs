//! Writes actline's man pages at build time, from `src/cli/args.rs`: the
//! same clap definition the binary parses with, so a page cannot drift from
//! `--help`. One page per command (`actline.1`, `actline-key.1`,
//! `actline-key-issue.1`, …) into `OUT_DIR/man/`, and `OUT_DIR/man_pages.rs`
//! listing them for `actline man` to carry.

#[allow(dead_code)]
#[path = "src/cli/args.rs"]
mod args;

use std::path::{Path, PathBuf};

fn main() -> std::io::Result<()> {
    println!("cargo:rerun-if-changed=src/cli/args.rs");
    println!("cargo:rerun-if-changed=build.rs");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let dir = out.join("man");
    std::fs::create_dir_all(&dir)?;
    let mut names = Vec::new();
    write_pages(&args::command(), "actline", &dir, &mut names)?;
    let mut index = String::from(
        "/// Every man page, by name (`actline-key-issue`), as written at build time.\n\
         pub const PAGES: &[(&str, &str)] = &[\n",
    );
    for name in &names {
        index.push_str(&format!(
            "    ({name:?}, include_str!(concat!(env!(\"OUT_DIR\"), \"/man/{name}.1\"))),\n"
        ));
    }
    index.push_str("];\n");
    std::fs::write(out.join("man_pages.rs"), index)
}

/// Writes `cmd`'s page as `name.1`, then its subcommands' as `name-sub.1`.
fn write_pages(
    cmd: &clap::Command,
    name: &str,
    dir: &Path,
    names: &mut Vec<String>,
) -> std::io::Result<()> {
    // clap names are `&'static str` without its `string` feature; a build
    // script may leak them.
    let static_name: &'static str = Box::leak(name.to_string().into_boxed_str());
    // Every page carries the version, and lists only pages that exist
    // (no `help` subcommand page).
    let page = cmd
        .clone()
        .name(static_name)
        .display_name(static_name)
        .version(env!("CARGO_PKG_VERSION"))
        .disable_help_subcommand(true);
    let mut text = Vec::new();
    clap_mangen::Man::new(page).render(&mut text)?;
    std::fs::write(dir.join(format!("{name}.1")), text)?;
    names.push(name.to_string());
    for sub in cmd.get_subcommands() {
        write_pages(sub, &format!("{name}-{}", sub.get_name()), dir, names)?;
    }
    Ok(())
}
