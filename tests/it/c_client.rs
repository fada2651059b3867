//! The C example (`samples/c/activate.c`) compiled with the system's C
//! compiler, linked against the client library, and run through the whole
//! loop with the vendor CLI: installation ID, activation, confirmation ID,
//! status.

use crate::support::*;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The static library. `cargo test` builds only the Rust forms of a
/// library, so the test builds it, in a target directory of its own: the
/// test build's feature set differs from a plain build's, and two copies of
/// one crate side by side would confuse the doctests that run afterwards.
fn static_lib() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let target = root.join("target").join("c-abi");
    let o = Command::new(env!("CARGO"))
        .current_dir(root)
        .env("CARGO_TARGET_DIR", &target)
        .args([
            "build",
            "--quiet",
            "--locked",
            "-p",
            "actline-client",
            "--lib",
        ])
        .output()
        .expect("cargo runs");
    assert!(o.status.success(), "{}", err(&o));
    target.join("debug").join("libactline_client.a")
}

#[test]
fn the_c_example_makes_an_installation_id_verifies_the_confirmation_id_and_reads_the_status() {
    let env = Env::demo();
    let lib = static_lib();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let exe = env.dir.path().join("activate");
    let o = Command::new("cc")
        .arg("-Wall")
        .arg("-Werror")
        .arg("-o")
        .arg(&exe)
        .arg(root.join("samples/c/activate.c"))
        .arg("-I")
        .arg(root.join("crates/client/include"))
        .arg(&lib)
        .args(["-lpthread", "-ldl", "-lm"])
        .output()
        .expect("a C compiler (cc) is installed");
    assert!(o.status.success(), "cc: {}", err(&o));

    let key = env.issue(&["--product", "studio", "--activations", "3"]);
    let trust = env.home().join("trust.json");
    let state = env.dir.path().join("c-state");
    let fp = sample("fingerprint-a.json");
    let run = |args: &[&Path]| {
        let mut c = Command::new(&exe);
        c.env_remove("ACTLINE_TODAY");
        for a in args {
            c.arg(a);
        }
        c.output().unwrap()
    };
    let p = |s: &str| PathBuf::from(s);

    let o = run(&[&p("iid"), &state, &trust, &p("studio"), &p(&key), &fp]);
    assert!(o.status.success(), "{}", err(&o));
    let iid = text(&o);
    assert_eq!(iid.split('-').count(), 10, "{iid}");

    let o = run(&[&p("status"), &state, &trust, &p("studio"), &fp]);
    assert!(
        text(&o).starts_with("state 2, 30 days left"),
        "{}",
        text(&o)
    );

    let v: serde_json::Value =
        serde_json::from_slice(&env.vendor(&["activate", &iid, "--json"]).stdout).unwrap();
    let cid = v["confirmation_id"].as_str().unwrap();

    // A wrong confirmation ID is refused with the verification code (4).
    let other = env.issue(&["--product", "studio", "--activations", "3"]);
    let other_iid = env.iid("x", &sample("fingerprint-b.json"), &other, "studio");
    let v2: serde_json::Value =
        serde_json::from_slice(&env.vendor(&["activate", &other_iid, "--json"]).stdout).unwrap();
    let o = run(&[
        &p("confirm"),
        &state,
        &trust,
        &p("studio"),
        &p(v2["confirmation_id"].as_str().unwrap()),
        &fp,
    ]);
    assert_eq!(o.status.code(), Some(4), "{}", err(&o));
    assert!(err(&o).contains("does not belong"), "{}", err(&o));

    let o = run(&[&p("confirm"), &state, &trust, &p("studio"), &p(cid), &fp]);
    assert!(o.status.success(), "{}", err(&o));
    let o = run(&[&p("status"), &state, &trust, &p("studio"), &fp]);
    assert!(o.status.success(), "{}", err(&o));
    assert!(text(&o).starts_with("state 0"), "{}", text(&o));
    assert!(text(&o).contains("activated since"), "{}", text(&o));

    // The Rust CLI reads the same state: one library behind both.
    let o = env.client_at(&state, &fp, &["status"]);
    assert!(text(&o).contains("activated since"), "{}", text(&o));
}
