//! The activation loop through the real binary, as README shows it.

use crate::support::*;

fn json(o: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(o)))
}

#[test]
fn a_key_an_installation_id_a_confirmation_id_and_an_activated_machine() {
    let env = Env::demo();
    let key = env.issue(&["--product", "studio", "--activations", "10"]);
    assert_eq!(key.len(), 29);
    let fp = sample("fingerprint-a.json");
    let iid = env.iid("c", &fp, &key, "studio");
    assert_eq!(iid.split('-').count(), 10);

    let o = env.vendor(&["activate", &iid, "--json"]);
    assert!(o.status.success(), "{}", err(&o));
    let v = json(&o);
    assert_eq!(v["decision"], "granted");
    assert!(v["reasons"].as_array().unwrap().len() >= 5);
    let cid = v["confirmation_id"].as_str().unwrap().to_string();
    assert_eq!(cid.split('-').count(), 20, "signed profile: 20 groups");

    let o = env.client("c", &fp, &["confirm", &cid]);
    assert!(o.status.success(), "{}", err(&o));
    let o = env.client("c", &fp, &["status"]);
    assert!(o.status.success());
    assert!(text(&o).contains("activated since"), "{}", text(&o));
}

#[test]
fn compact_products_get_8_groups_of_6_digits() {
    let env = Env::demo();
    let key = env.issue(&["--product", "notes", "--activations", "3"]);
    let fp = sample("fingerprint-b.json");
    let iid = env.iid("n", &fp, &key, "notes");
    let v = json(&env.vendor(&["activate", &iid, "--json"]));
    let cid = v["confirmation_id"].as_str().unwrap();
    assert!(
        cid.split('-').all(|g| g.len() == 6) && cid.split('-').count() == 8,
        "{cid}"
    );
    assert!(env.client("n", &fp, &["confirm", cid]).status.success());
}

#[test]
fn a_confirmation_id_for_one_machine_fails_on_another() {
    let env = Env::demo();
    let key = env.issue(&["--product", "studio", "--activations", "10"]);
    let a = sample("fingerprint-a.json");
    let b = sample("fingerprint-b.json");
    let iid_a = env.iid("a", &a, &key, "studio");
    env.iid("b", &b, &key, "studio");
    let cid_a = json(&env.vendor(&["activate", &iid_a, "--json"]))["confirmation_id"]
        .as_str()
        .unwrap()
        .to_string();
    let o = env.client("b", &b, &["confirm", &cid_a]);
    assert_eq!(o.status.code(), Some(4), "{}", err(&o));
    assert!(err(&o).contains("does not belong"), "{}", err(&o));
}

#[test]
fn reactivating_the_same_machine_uses_no_seat() {
    let env = Env::demo();
    let key = env.issue(&["--product", "studio", "--activations", "1"]);
    let iid1 = env.iid("a", &sample("fingerprint-a.json"), &key, "studio");
    assert_eq!(
        json(&env.vendor(&["activate", &iid1, "--json"]))["decision"],
        "granted"
    );
    // Two parts changed and the machine was reimaged (new state, new day).
    let iid2 = env.iid("a2", &sample("fingerprint-a-new-disk.json"), &key, "studio");
    let v = json(&env.vendor(&["activate", &iid2, "--json"]));
    assert_eq!(v["decision"], "granted");
    assert!(v["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r.as_str().unwrap().contains("reactivation, no seat used")));
    // A different machine finds the single seat taken.
    let iid3 = env.iid("b", &sample("fingerprint-b.json"), &key, "studio");
    let o = env.vendor(&["activate", &iid3, "--json"]);
    assert_eq!(o.status.code(), Some(3));
    let v = json(&o);
    assert_eq!(v["decision"], "denied");
    assert!(v["reasons"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .as_str()
        .unwrap()
        .contains("1 of 1 seats used: denied — a supervisor can raise the limit"));
}

#[test]
fn copied_state_drifted_hardware_and_edited_files_end_the_activation() {
    let env = Env::demo();
    let key = env.issue(&["--product", "studio", "--activations", "5"]);
    let a = sample("fingerprint-a.json");
    let iid = env.iid("a", &a, &key, "studio");
    let cid = json(&env.vendor(&["activate", &iid, "--json"]))["confirmation_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(env.client("a", &a, &["confirm", &cid]).status.success());

    // Copied to another machine.
    let o = env.client("a", &sample("fingerprint-b.json"), &["status"]);
    assert_eq!(o.status.code(), Some(4));
    assert!(err(&o).contains("beyond tolerance"), "{}", err(&o));

    // Edited state file.
    let state = env.dir.path().join("a/state.json");
    let s = std::fs::read_to_string(&state).unwrap();
    std::fs::write(
        &state,
        s.replace("\"installed_day\": ", "\"installed_day\": 1"),
    )
    .unwrap();
    let o = env.client("a", &a, &["status"]);
    assert_eq!(o.status.code(), Some(4));
    assert!(err(&o).contains("modified"), "{}", err(&o));
}

#[test]
fn an_unactivated_install_has_30_days_of_grace_then_notification_mode() {
    let env = Env::demo();
    let key = env.issue(&["--product", "studio", "--activations", "5"]);
    let a = sample("fingerprint-a.json");
    let mut c = bin();
    let state = env.dir.path().join("g");
    let trust = env.home().join("trust.json");
    let run = |c: &mut std::process::Command, day: &str, args: &[&str]| {
        c.env("ACTLINE_TODAY", day)
            .arg("client")
            .arg("--state")
            .arg(&state)
            .arg("--trust")
            .arg(&trust)
            .arg("--fingerprint")
            .arg(&a)
            .args(args)
            .output()
            .unwrap()
    };
    assert!(run(
        &mut c,
        "2026-01-01",
        &["iid", "--key", &key, "--product", "studio"]
    )
    .status
    .success());
    let o = run(&mut bin(), "2026-01-11", &["status"]);
    assert!(text(&o).contains("20 days left"), "{}", text(&o));
    let o = run(&mut bin(), "2026-02-15", &["status"]);
    assert!(text(&o).contains("notification mode"), "{}", text(&o));
}

#[test]
fn batch_activation_writes_a_result_per_line() {
    let env = Env::demo();
    let key = env.issue(&["--product", "studio", "--activations", "3"]);
    let mut lines = vec!["label,installation_id".to_string()];
    for (n, m) in distinct_machines(5).iter().enumerate() {
        let fp = env.machine(&format!("m{n}"), m);
        lines.push(format!(
            "pc-{n},{}",
            env.iid(&format!("s{n}"), &fp, &key, "studio")
        ));
    }
    lines.push("broken,1234-5678".into());
    let input = env.dir.path().join("in.csv");
    let output = env.dir.path().join("out.csv");
    std::fs::write(&input, lines.join("\n")).unwrap();
    let o = env.vendor(&[
        "batch",
        input.to_str().unwrap(),
        output.to_str().unwrap(),
        "--chunk",
        "2",
    ]);
    assert!(o.status.success(), "{}", err(&o));
    let out = std::fs::read_to_string(&output).unwrap();
    assert_eq!(out.lines().filter(|l| l.contains(",granted,")).count(), 3);
    assert_eq!(out.lines().filter(|l| l.contains(",denied,")).count(), 2);
    assert!(
        out.lines()
            .any(|l| l.starts_with("broken,") && l.contains("invalid") && l.contains("line 7")),
        "{out}"
    );
}

#[test]
fn the_audit_trail_verifies_and_detects_tampering() {
    let env = Env::demo();
    env.issue(&["--product", "studio", "--activations", "3"]);
    let o = env.vendor(&["audit", "verify"]);
    assert!(o.status.success(), "{}", err(&o));
    // Tamper with an entry behind the triggers' back.
    env.sql(true, "UPDATE audit SET detail = 'forged' WHERE id = 2");
    let o = env.vendor(&["audit", "verify"]);
    assert_eq!(o.status.code(), Some(4));
    assert!(err(&o).contains("entry 2"), "{}", err(&o));
}

#[test]
fn the_demo_runs_end_to_end() {
    let o = bin().arg("demo").output().unwrap();
    assert!(o.status.success(), "{}", err(&o));
    let t = text(&o);
    assert!(
        t.contains("reactivation, no seat used") && t.contains("audit trail intact"),
        "{t}"
    );
}
