//! Regressions from issue 9 about what actline writes: files, trust exports,
//! standard output and terminal text. Each test is named after the bug it pins.

use crate::support::*;
use std::process::{Output, Stdio};

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or(serde_json::Value::Null)
}

#[test]
fn activate_into_a_closed_pipe_panicked_after_recording_the_grant() {
    let env = Env::demo();
    let key = env.issue(&["--product", "studio", "--activations", "2"]);
    let iid = env.iid("c", &sample("fingerprint-a.json"), &key, "studio");
    // `actline activate IID | head -1` with head gone before the first write.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let o = bin()
        .arg("--home")
        .arg(env.home())
        .args(["activate", &iid])
        .stdout(Stdio::from(writer))
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(!err(&o).contains("panicked"), "{}", err(&o));
    assert_eq!(
        o.status.code(),
        Some(0),
        "a broken pipe exits 0: {}",
        err(&o)
    );
    assert_eq!(err(&o), "", "quietly");
    // The grant is on record, with its confirmation ID.
    let shown = env.vendor(&["activation", "show", "1", "--json"]);
    assert!(shown.status.success(), "{}", err(&shown));
    assert_eq!(json(&shown)["decision"], "granted", "{}", text(&shown));
    assert!(json(&shown)["confirmation_id"].is_string());
}
