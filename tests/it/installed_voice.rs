//! An installed binary speaks from any directory: the voice packs are built
//! into it (issue 10). The binary is copied out of the build tree and run
//! from an empty directory with a clean environment (no `ACTLINE_VOICES`).
//! Where the system lets a test make a private mount namespace (`unshare
//! -rm`), the checkout is also hidden behind an empty tmpfs, as if it had
//! been moved away; elsewhere the binary is at least checked not to name the
//! checkout's voice directory.

use crate::support::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The checkout the binary was built from.
const CHECKOUT: &str = env!("CARGO_MANIFEST_DIR");

struct Installed {
    dir: tempfile::TempDir,
    bin: PathBuf,
    /// Whether each run hides the checkout (see the module docs).
    hide_checkout: bool,
}

impl Installed {
    fn new() -> Installed {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin/actline");
        std::fs::create_dir_all(bin.parent().unwrap()).unwrap();
        std::fs::copy(env!("CARGO_BIN_EXE_actline"), &bin).unwrap();
        std::fs::create_dir_all(dir.path().join("elsewhere")).unwrap();
        std::fs::create_dir_all(dir.path().join("home")).unwrap();
        let hide_checkout = !dir.path().starts_with(CHECKOUT) && can_hide_checkout();
        if !hide_checkout {
            eprintln!("note: no private mount namespace here; the checkout stays visible");
        }
        Installed {
            dir,
            bin,
            hide_checkout,
        }
    }

    fn cwd(&self) -> PathBuf {
        self.dir.path().join("elsewhere")
    }

    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut c = if self.hide_checkout {
            let mut c = Command::new("unshare");
            c.args([
                "-rm",
                "sh",
                "-c",
                r#"mount -t tmpfs none "$0" && exec "$@""#,
                CHECKOUT,
            ])
            .arg(&self.bin);
            c
        } else {
            Command::new(&self.bin)
        };
        c.args(args)
            .current_dir(self.cwd())
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", self.dir.path().join("home"))
            .envs(env.iter().copied())
            .output()
            .unwrap()
    }
}

/// Whether `unshare -rm` can hide the checkout (user namespaces allowed).
fn can_hide_checkout() -> bool {
    let script = r#"mount -t tmpfs none "$0" && test ! -e "$0/Cargo.toml""#;
    Command::new("unshare")
        .args(["-rm", "sh", "-c", script, CHECKOUT])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn an_installed_binary_finds_its_voice_packs_from_any_directory() {
    let inst = Installed::new();

    let o = inst.run(&["say", "123456-789012", "--out", "cid.wav"], &[]);
    assert!(o.status.success(), "say: {}", err(&o));
    let wav = actline::audio::wav::read(inst.cwd().join("cid.wav")).unwrap();
    assert_eq!(wav.spec(), actline::audio::wav::Spec::mono16(8000));
    let samples = wav.to_i16();
    assert!(samples.len() > 3 * 8000, "{} samples", samples.len());
    let peak = samples.iter().map(|s| s.unsigned_abs()).max().unwrap_or(0);
    assert!(peak > 3000, "speech, not silence (peak {peak})");

    let o = inst.run(
        &[
            "say", "--prompt", "welcome", "--voice", "fr", "--out", "fr.wav",
        ],
        &[],
    );
    assert!(o.status.success(), "say --voice fr: {}", err(&o));

    let o = inst.run(&["voices"], &[]);
    assert!(o.status.success(), "voices: {}", err(&o));
    let listing = text(&o);
    for lang in ["de", "en", "fr"] {
        let line = listing
            .lines()
            .find(|l| l.split_whitespace().next() == Some(lang))
            .unwrap_or_else(|| panic!("no {lang} in:\n{listing}"));
        assert!(line.trim_end().ends_with("ok"), "{line}");
    }
    let o = inst.run(&["voices", "--json"], &[]);
    let infos: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(infos[1]["dir"], "<built-in>/en", "{infos:#}");

    // The override is still read.
    let o = inst.run(&["voices"], &[("ACTLINE_VOICES", "/nonexistent/voices")]);
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(err(&o).contains("/nonexistent/voices"), "{}", err(&o));
}

#[test]
fn the_binary_does_not_name_the_checkouts_voice_directory() {
    // What a lookup relative to the source tree (the old default,
    // `CARGO_MANIFEST_DIR/../../samples/voices`) leaves in the binary.
    let binary = std::fs::read(env!("CARGO_BIN_EXE_actline")).unwrap();
    for path in [
        format!("{CHECKOUT}/samples/voices"),
        format!("{CHECKOUT}/crates/voice/../../samples/voices"),
        Path::new(CHECKOUT)
            .join("samples/voices")
            .canonicalize()
            .unwrap()
            .display()
            .to_string(),
    ] {
        assert!(
            !binary.windows(path.len()).any(|w| w == path.as_bytes()),
            "the binary names {path}"
        );
    }
}
