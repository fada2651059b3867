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
    let exe = compile(&env, "activate");

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

/// Compiles the C sample `samples/c/NAME.c` against the static library.
fn compile(env: &Env, name: &str) -> PathBuf {
    let lib = static_lib();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let exe = env.dir.path().join(name);
    let o = Command::new("cc")
        .args(["-Wall", "-Werror", "-o"])
        .arg(&exe)
        .arg(root.join(format!("samples/c/{name}.c")))
        .arg("-I")
        .arg(root.join("crates/client/include"))
        .arg(&lib)
        .args(["-lpthread", "-ldl", "-lm"])
        .output()
        .expect("a C compiler (cc) is installed");
    assert!(o.status.success(), "cc: {}", err(&o));
    exe
}

#[test]
fn the_c_site_sample_is_counted_then_leased_by_a_site_host_and_finds_its_lease_not_due() {
    // The vendor home and the host (vault, activated by phone with a
    // site-host key), as the site tests set them up; the host serves on a
    // port of the OS's choosing.
    let site = crate::site::Site::new();
    let host = site.serve("H", &site.host_fp(), None).unwrap();
    let env = &site.env;
    let exe = compile(env, "site");
    let dir = env.dir.path();
    let studio_trust = site.trust("studio");
    let addr = host.addr.clone();
    let key = site.keys["studio"].clone();
    let c_state = dir.join("c-state");
    let c_fp = env.machine("c-machine", &machine(100));
    let run = |args: &[&Path]| {
        let mut c = Command::new(&exe);
        c.env_remove("ACTLINE_TODAY");
        for a in args {
            c.arg(a);
        }
        c.output().unwrap()
    };
    let p = |s: &str| PathBuf::from(s);
    let activate = |key: &str| {
        run(&[
            &p("activate"),
            &c_state,
            &studio_trust,
            &p("studio"),
            &p(&addr),
            &p(key),
            &c_fp,
        ])
    };

    // Alone, the C client is counted: 1 of studio's threshold of 5, and
    // ACTLINE_NOT_YET (3) with the outcome.
    let o = activate(&key);
    assert_eq!(o.status.code(), Some(3), "{}\n{}", text(&o), err(&o));
    let v: serde_json::Value = serde_json::from_str(&text(&o)).unwrap();
    assert_eq!(v["outcome"], "counting", "{v}");
    assert_eq!(
        (v["count"].as_u64(), v["threshold"].as_u64()),
        (Some(1), Some(5)),
        "{v}"
    );
    assert!(err(&o).contains("1 of 5"), "{}", err(&o));

    // Four machines through the CLI; the fifth machine counted gets a lease.
    for n in 1..=4u32 {
        let o = site.activate(&addr, "studio", n, None);
        let want = if n < 4 { 3 } else { 0 };
        assert_eq!(
            o.status.code(),
            Some(want),
            "machine {n}: {}\n{}",
            text(&o),
            err(&o)
        );
    }

    // The C client again, with the key it stored: leased.
    let o = activate("-");
    assert!(o.status.success(), "{}\n{}", text(&o), err(&o));
    let v: serde_json::Value = serde_json::from_str(&text(&o)).unwrap();
    assert_eq!(v["outcome"], "leased", "{v}");
    assert_eq!(
        (v["count"].as_u64(), v["threshold"].as_u64()),
        (Some(5), Some(5)),
        "{v}"
    );
    assert_eq!(v["renewed"], false, "{v}");

    // A lease just taken is not due: the library asks no one.
    let o = run(&[&p("renew"), &c_state, &studio_trust, &p("studio"), &c_fp]);
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(text(&o), "not due");

    // The Rust CLI reads the same lease.
    let o = site.client("c-state", &c_fp, "studio", None, &["site", "status"]);
    assert!(o.status.success(), "{}", err(&o));
    assert!(text(&o).contains("lease until"), "{}", text(&o));

    // No host at the address: ACTLINE_INTERNAL (1), as the CLI's exit 1.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string();
    let o = run(&[
        &p("activate"),
        &dir.join("unreached"),
        &studio_trust,
        &p("studio"),
        &p(&closed),
        &p(&key),
        &c_fp,
    ]);
    assert_eq!(o.status.code(), Some(1), "{}\n{}", text(&o), err(&o));
    assert!(err(&o).contains("cannot connect"), "{}", err(&o));
}
