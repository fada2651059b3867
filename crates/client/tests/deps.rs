//! What the client library may not bring into a vendor's product: the
//! vendor's database, terminal UI, command line or audio crates, and
//! anything unix-only outside a `cfg(unix)` module.

use std::path::Path;
use std::process::Command;

#[test]
fn the_client_depends_on_no_database_ui_cli_or_audio_crate() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let o = Command::new(env!("CARGO"))
        .current_dir(dir)
        .args([
            "tree",
            "-p",
            "actline-client",
            "-e",
            "normal",
            "--prefix",
            "none",
            "--offline",
        ])
        .output()
        .expect("cargo tree runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let tree = String::from_utf8_lossy(&o.stdout);
    let names: Vec<&str> = tree
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(names.contains(&"actline-formats"), "{tree}");
    for banned in [
        "rusqlite",
        "tuirealm",
        "crossterm",
        "clap",
        "actline-audio",
        "toml",
        "actline",
    ] {
        assert!(
            !names.contains(&banned),
            "{banned} in the client's tree:\n{tree}"
        );
    }
}

#[test]
fn nothing_unix_only_outside_a_cfg_unix_module() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for krate in ["client", "formats"] {
        let src = root.join(krate).join("src");
        let mut stack = vec![src];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                    continue;
                }
                let text = std::fs::read_to_string(&p).unwrap();
                // Everything after `#[cfg(unix)]` + `mod unix` is the unix module.
                let open = text.split("#[cfg(unix)]\nmod unix").next().unwrap_or("");
                for needle in ["std::os::unix", "libc::"] {
                    assert!(
                        !open.contains(needle),
                        "{}: {needle} outside cfg(unix)",
                        p.display()
                    );
                }
            }
        }
    }
}
