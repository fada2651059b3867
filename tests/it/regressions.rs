//! Regressions from the black-box review, each named after the bug it pins.

use crate::support::*;

fn json(o: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or(serde_json::Value::Null)
}

fn activated(env: &Env, state: &str) -> (String, std::path::PathBuf) {
    let key = env.issue(&["--product", "studio", "--activations", "5"]);
    let fp = sample("fingerprint-a.json");
    let iid = env.iid(state, &fp, &key, "studio");
    let cid = json(&env.vendor(&["activate", &iid, "--json"]))["confirmation_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(env.client(state, &fp, &["confirm", &cid]).status.success());
    (key, fp)
}

#[test]
fn iid_on_an_activated_machine_threw_the_activation_away() {
    let env = Env::demo();
    let (key, fp) = activated(&env, "c");
    let o = env.client("c", &fp, &["iid", "--key", &key, "--product", "studio"]);
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(err(&o).contains("already activated"), "{}", err(&o));
    assert!(text(&env.client("c", &fp, &["status"])).contains("activated since"));
}

#[test]
fn init_over_an_existing_ledger_wrote_new_secrets() {
    let env = Env::demo();
    std::fs::remove_dir_all(env.home().join("secrets")).unwrap();
    let o = env.vendor(&["init", "--demo"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!env.home().join("secrets").exists(), "nothing written");
}

#[test]
fn an_empty_ledger_file_became_a_new_ledger() {
    let env = Env::demo();
    let db = env.home().join("ledger.db");
    for f in ["ledger.db-wal", "ledger.db-shm"] {
        let _ = std::fs::remove_file(env.home().join(f));
    }
    std::fs::write(&db, b"").unwrap();
    let o = env.vendor(&["catalog", "show"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("empty"), "{}", err(&o));
    assert_eq!(std::fs::metadata(&db).unwrap().len(), 0);
}

#[test]
fn a_catalog_reload_changed_the_profile_of_a_product_in_use() {
    let env = Env::demo();
    env.issue(&["--product", "studio", "--activations", "1"]);
    let f = env.dir.path().join("c.toml");
    let text =
        actline::home::DEMO_CATALOG.replacen("profile = \"signed\"", "profile = \"compact\"", 1);
    std::fs::write(&f, text).unwrap();
    let o = env.vendor(&["catalog", "load", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("confirmation profile"), "{}", err(&o));
}

#[test]
fn the_last_supervisor_could_demote_themselves() {
    let env = Env::demo();
    let me = actline::home::os_user();
    let o = env.vendor(&["staff", "add", &me, "--role", "agent"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("last supervisor"), "{}", err(&o));
    assert_eq!(
        env.vendor(&["staff", "add", "", "--role", "agent"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn a_huge_ivr_timeout_panicked() {
    let env = Env::demo();
    let o = env.vendor(&[
        "ivr",
        "--dtmf",
        "2s 1 2s",
        "--inter-digit-timeout",
        "18446744073709551615",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!err(&o).contains("panicked"));
}

#[test]
fn a_clock_set_forward_at_install_gave_endless_grace() {
    let env = Env::demo();
    let key = env.issue(&["--product", "studio", "--activations", "1"]);
    let fp = sample("fingerprint-a.json");
    let state = env.dir.path().join("f");
    let trust = env.home().join("trust.json");
    let run = |day: Option<&str>, args: &[&str]| {
        let mut c = bin();
        if let Some(d) = day {
            c.env("ACTLINE_TODAY", d);
        }
        c.arg("client")
            .arg("--state")
            .arg(&state)
            .arg("--trust")
            .arg(&trust)
            .arg("--fingerprint")
            .arg(&fp)
            .args(args)
            .output()
            .unwrap()
    };
    assert!(run(
        Some("2199-01-01"),
        &["iid", "--key", &key, "--product", "studio"]
    )
    .status
    .success());
    let o = run(None, &["status"]);
    assert_eq!(o.status.code(), Some(4));
    assert!(text(&o).contains("notification mode"), "{}", text(&o));
    assert_eq!(
        run(Some("2026-02-30"), &["status"]).status.code(),
        Some(2),
        "an impossible ACTLINE_TODAY is refused"
    );
}

#[test]
fn batch_files_with_a_bom_or_quoted_labels_were_misread() {
    let env = Env::demo();
    let key = env.issue(&["--product", "studio", "--activations", "3"]);
    let iid = env.iid("b", &sample("fingerprint-a.json"), &key, "studio");
    let input = env.dir.path().join("in.csv");
    let output = env.dir.path().join("out.csv");
    std::fs::write(
        &input,
        format!("\u{feff}\"Smith, John\",{iid}\r\nbroken,123\r\nagain,{iid}\r\n"),
    )
    .unwrap();
    let o = env.vendor(&["batch", input.to_str().unwrap(), output.to_str().unwrap()]);
    assert!(o.status.success(), "{}", err(&o));
    let out = std::fs::read_to_string(&output).unwrap();
    assert!(out.contains("\"Smith, John\","), "{out}");
    assert!(out.contains(",granted,"), "{out}");
    let labels: Vec<&str> = out
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(
        labels,
        ["\"Smith", "broken", "again"],
        "results in input order: {out}"
    );
}

#[test]
fn cutting_the_newest_audit_entry_went_unnoticed() {
    let env = Env::demo();
    activated(&env, "a");
    let db = rusqlite::Connection::open(env.home().join("ledger.db")).unwrap();
    db.execute_batch(
        "DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE id = (SELECT max(id) FROM audit);",
    )
    .unwrap();
    drop(db);
    let o = env.vendor(&["audit", "verify"]);
    assert_eq!(o.status.code(), Some(4), "{}", err(&o));
    assert!(err(&o).contains("no audit entry"), "{}", err(&o));
}

#[test]
fn an_id_pasted_with_its_line_end_was_refused() {
    let env = Env::demo();
    let key = env.issue(&["--product", "studio", "--activations", "1"]);
    let iid = env.iid("n", &sample("fingerprint-a.json"), &key, "studio");
    let o = env.vendor(&["activate", &format!("{iid}\r\n")]);
    assert!(o.status.success(), "{}", err(&o));
}

#[test]
fn batch_labels_could_inject_spreadsheet_formulas() {
    let env = Env::demo();
    let key = env.issue(&["--product", "studio", "--activations", "1"]);
    let iid = env.iid("f", &sample("fingerprint-a.json"), &key, "studio");
    let input = env.dir.path().join("in.csv");
    let output = env.dir.path().join("out.csv");
    std::fs::write(&input, format!("=HYPERLINK(1),{iid}\n")).unwrap();
    assert!(env
        .vendor(&["batch", input.to_str().unwrap(), output.to_str().unwrap()])
        .status
        .success());
    let out = std::fs::read_to_string(&output).unwrap();
    assert!(
        out.lines().nth(1).unwrap().starts_with("'=HYPERLINK(1),"),
        "{out}"
    );
}
