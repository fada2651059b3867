//! An installed binary works from any directory: copied out of the build
//! tree and run elsewhere with a clean environment, `actline ivr` still has
//! its grammars, because they are compiled in (`--grammars` or
//! `ACTLINE_GRAMMARS` only override them).

use crate::support::machine;
use std::path::Path;
use std::process::{Command, Output};

fn ok(o: Output, what: &str) -> String {
    assert!(
        o.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

#[test]
fn an_installed_binary_runs_a_whole_call_from_another_directory() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    // "cargo install": the binary alone, away from the build tree.
    let exe = root.join("bin/actline");
    std::fs::create_dir_all(exe.parent().unwrap()).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_actline"), &exe).unwrap();
    // The working directory has a grammars/ of its own, all of them broken:
    // a binary that looked for grammars relative to where it runs would
    // refuse them and the call.
    let cwd = root.join("elsewhere");
    std::fs::create_dir_all(cwd.join("grammars")).unwrap();
    for f in ["iid_group.gram", "cid_menu.gram", "agent.gram"] {
        std::fs::write(cwd.join("grammars").join(f), "not a grammar").unwrap();
    }
    let fp = root.join("machine.json");
    std::fs::write(&fp, serde_json::to_string(&machine(7)).unwrap()).unwrap();
    let home = root.join("home");
    let state = root.join("client");
    let run = |args: &[&str]| -> Output {
        Command::new(&exe)
            .current_dir(&cwd)
            .env_clear()
            .env("HOME", root)
            .args(args)
            .output()
            .unwrap()
    };
    let h = home.to_str().unwrap();
    ok(run(&["--home", h, "init", "--demo"]), "init");
    let key = ok(
        run(&[
            "--home",
            h,
            "key",
            "issue",
            "--product",
            "notes",
            "--activations",
            "5",
        ]),
        "key issue",
    );
    let trust = home.join("trust.json");
    let iid = ok(
        run(&[
            "client",
            "--state",
            state.to_str().unwrap(),
            "--trust",
            trust.to_str().unwrap(),
            "--fingerprint",
            fp.to_str().unwrap(),
            "iid",
            "--key",
            &key,
            "--product",
            "notes",
        ]),
        "client iid",
    );
    let mut script = String::from("1s");
    for g in iid.split('-') {
        script.push_str(&format!(" {g} 1s"));
    }
    script.push_str(" 3s 2 60s");
    let transcript = root.join("call.json");
    ok(
        run(&[
            "--home",
            h,
            "ivr",
            "--dtmf",
            &script,
            "--transcript",
            transcript.to_str().unwrap(),
        ]),
        "ivr",
    );
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&transcript).unwrap()).unwrap();
    assert_eq!(v["outcome"], "activated", "{v:#}");
    assert_eq!(v["installation_id"], iid.as_str());
    assert!(v["confirmation_id"].is_string(), "{v:#}");

    // And the binary holds no path to the checkout's grammars, so moving
    // the checkout away cannot break it.
    let bytes = std::fs::read(&exe).unwrap();
    let checkout = Path::new(env!("CARGO_MANIFEST_DIR"));
    for needle in [
        checkout.join("grammars"),
        checkout.join("crates/ivr/../../grammars"),
    ] {
        let needle = needle.to_str().unwrap().as_bytes();
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle),
            "the binary names {}",
            String::from_utf8_lossy(needle)
        );
    }
}
