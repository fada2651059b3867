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
    let url = env.ledger_url();
    std::fs::remove_dir_all(env.home().join("secrets")).unwrap();
    let o = match &url {
        Some(url) => env.vendor(&["--ledger", url, "init", "--demo"]),
        None => env.vendor(&["init", "--demo"]),
    };
    assert_eq!(o.status.code(), Some(2));
    assert!(!env.home().join("secrets").exists(), "nothing written");
}

#[test]
fn an_empty_ledger_file_became_a_new_ledger() {
    let env = Env::demo();
    if env.sqlite_only("an emptied SQLite file") {
        return;
    }
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
    env.sql(
        true,
        "DELETE FROM audit WHERE id = (SELECT max(id) FROM audit)",
    );
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

// ---------------------------------------------------------------- issue 9

fn vm(n: u32) -> actline::fingerprint::Components {
    actline::fingerprint::Components {
        machine_id: format!("{n:032x}"),
        nic: format!("52:54:00:00:00:{n:02x}"),
        cpu: "Intel Xeon Processor (Cascadelake)".into(),
        memory: "8GiB".into(),
        volume: "/dev/vda1".into(),
        virtual_machine: true,
        ..Default::default()
    }
}

fn physical(tag: &str) -> actline::fingerprint::Components {
    actline::fingerprint::Components {
        machine_id: format!("{tag}-machine-id"),
        board: format!("{tag}-board-serial"),
        cpu: "Intel(R) Core(TM) i7-12700 CPU".into(),
        memory: "32GiB".into(),
        disk: format!("{tag}-disk"),
        nic: format!("{tag}-nic"),
        gpu: "0x8086:0x4680".into(),
        volume: format!("{tag}-volume"),
        virtual_machine: false,
    }
}

fn cid_of(o: &std::process::Output) -> Option<String> {
    json(o)["confirmation_id"].as_str().map(str::to_string)
}

#[test]
fn vms_of_one_flavour_shared_one_retail_seat() {
    let env = Env::demo();
    let key = env.issue(&["--product", "studio", "--kind", "retail"]);
    let first = env.machine("vm1", &vm(1));
    let iid = env.iid("vm1", &first, &key, "studio");
    let o = env.vendor(&["activate", &iid, "--json"]);
    assert!(o.status.success(), "{}", err(&o));
    for n in 2..6 {
        let other = env.machine(&format!("vm{n}"), &vm(n));
        let iid = env.iid(&format!("vm{n}"), &other, &key, "studio");
        let o = env.vendor(&["activate", &iid, "--json"]);
        assert_eq!(o.status.code(), Some(3), "VM {n}: {}", text(&o));
    }
}

#[test]
fn a_state_directory_copied_to_another_vm_stayed_activated() {
    let env = Env::demo();
    let key = env.issue(&["--product", "studio", "--activations", "5"]);
    let first = env.machine("vm1", &vm(1));
    let iid = env.iid("c", &first, &key, "studio");
    let cid = cid_of(&env.vendor(&["activate", &iid, "--json"])).unwrap();
    assert!(env.client("c", &first, &["confirm", &cid]).status.success());
    let second = env.machine("vm2", &vm(2));
    let o = env.client("c", &second, &["status"]);
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
}

/// Every blend of two machines' identity components (each taken from A or
/// from B) is either refused, or granted as a seat of its own, or granted as
/// A's reactivation and then refused by B's client: never a second machine
/// on A's seat.
#[test]
fn a_blended_fingerprint_was_granted_as_a_and_accepted_on_b() {
    let env = Env::demo();
    let key = env.issue(&["--product", "studio", "--kind", "retail"]);
    let (a, b) = (physical("a"), physical("b"));
    let fa = env.machine("a", &a);
    let fb = env.machine("b", &b);
    let iid = env.iid("a", &fa, &key, "studio");
    assert!(env.vendor(&["activate", &iid]).status.success());
    for mask in 0u32..32 {
        let pick = |i: u32, x: &str, y: &str| {
            if mask >> i & 1 == 1 {
                y.to_string()
            } else {
                x.to_string()
            }
        };
        let blend = actline::fingerprint::Components {
            machine_id: pick(0, &a.machine_id, &b.machine_id),
            board: pick(1, &a.board, &b.board),
            disk: pick(2, &a.disk, &b.disk),
            nic: pick(3, &a.nic, &b.nic),
            volume: pick(4, &a.volume, &b.volume),
            ..a.clone()
        };
        let f = env.machine(&format!("blend{mask}"), &blend);
        let state = format!("blend{mask}");
        let iid = env.iid(&state, &f, &key, "studio");
        let Some(cid) = cid_of(&env.vendor(&["activate", &iid, "--json"])) else {
            continue;
        };
        // Granted on a retail key whose seat A holds: it is A's reactivation,
        // so B's own client must refuse it.
        let o = env.client(&state, &fb, &["confirm", &cid]);
        assert!(
            !o.status.success(),
            "blend {mask:05b} granted and accepted on B"
        );
    }
}

#[test]
fn a_batch_of_50_distinct_machines_on_a_40_seat_key_granted_41() {
    let env = Env::demo();
    let key = env.issue(&["--product", "notes", "--activations", "40"]);
    let salt = actline::client::Trust::load(&env.home().join("trust.json"))
        .unwrap()
        .salt();
    let k = actline::keys::ProductKey::parse(&key).unwrap();
    let lines: Vec<String> = distinct_machines(50)
        .iter()
        .map(|m| {
            actline::ids::InstallationId::new(
                201,
                &k,
                m.hash(&salt, k.serial()),
                actline::days::today(),
            )
            .to_string()
        })
        .collect();
    let input = env.dir.path().join("in.txt");
    let output = env.dir.path().join("out.csv");
    std::fs::write(&input, lines.join("\n")).unwrap();
    let o = env.vendor(&["batch", input.to_str().unwrap(), output.to_str().unwrap()]);
    assert!(o.status.success(), "{}", err(&o));
    let out = std::fs::read_to_string(&output).unwrap();
    assert_eq!(out.matches(",granted,").count(), 40, "{out}");
}

#[test]
fn a_downgrade_on_the_same_machine_took_a_second_seat() {
    let env = Env::demo();
    let key = env.issue(&["--product", "studio", "--activations", "1"]);
    let fp = sample("fingerprint-a.json");
    let iid = env.iid("c", &fp, &key, "studio");
    assert!(env.vendor(&["activate", &iid]).status.success());
    let iid6 = env.iid("c", &fp, &key, "studio-6");
    let o = env.vendor(&["activate", &iid6, "--json"]);
    assert!(o.status.success(), "{}", text(&o));
    let last = json(&o)["reasons"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert!(
        last.as_str()
            .unwrap()
            .contains("reactivation, no seat used"),
        "{last}"
    );
    let cid = cid_of(&o).unwrap();
    let o = env.client("c", &fp, &["confirm", &cid, "--product", "studio-6"]);
    assert!(o.status.success(), "{}", err(&o));
}

fn client_on(
    env: &Env,
    day: &str,
    state: &str,
    fp: &std::path::Path,
    args: &[&str],
) -> std::process::Output {
    bin()
        .env("ACTLINE_TODAY", day)
        .arg("client")
        .arg("--state")
        .arg(env.dir.path().join(state))
        .arg("--trust")
        .arg(env.home().join("trust.json"))
        .arg("--fingerprint")
        .arg(fp)
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn client_iid_reset_the_grace_period() {
    let env = Env::demo();
    let key = env.issue(&["--product", "studio", "--activations", "5"]);
    let notes = env.issue(&["--product", "notes", "--activations", "5"]);
    let fp = sample("fingerprint-a.json");
    let iid = |day: &str, key: &str, product: &str| {
        let o = client_on(
            &env,
            day,
            "c",
            &fp,
            &["iid", "--key", key, "--product", product],
        );
        assert!(o.status.success(), "{}", err(&o));
    };
    let status = |day: &str| {
        text(&client_on(
            &env,
            day,
            "c",
            &fp,
            &["status", "--product", "studio"],
        ))
    };
    iid("2026-01-01", &key, "studio");
    assert!(status("2026-01-11").contains("20 days left"));
    assert!(status("2026-02-15").contains("notification mode"));
    // Asking again, or for another product, gives no fresh 30 days.
    iid("2026-02-15", &key, "studio");
    assert!(
        status("2026-02-15").contains("notification mode"),
        "{}",
        status("2026-02-15")
    );
    iid("2026-02-15", &notes, "notes");
    assert!(status("2026-02-15").contains("notification mode"));

    // A tampered state ends the grace period instead of restarting it.
    let env2 = Env::demo();
    let key2 = env2.issue(&["--product", "studio", "--activations", "5"]);
    let run = |day: &str, args: &[&str]| client_on(&env2, day, "c", &fp, args);
    assert!(run(
        "2026-01-01",
        &["iid", "--key", &key2, "--product", "studio"]
    )
    .status
    .success());
    let path = env2.dir.path().join("c/state.json");
    let edited = std::fs::read_to_string(&path)
        .unwrap()
        .replace("\"installed_day\": 2192", "\"installed_day\": 2200");
    std::fs::write(&path, edited).unwrap();
    assert!(text(&run("2026-01-02", &["status"])).contains("modified"));
    assert!(run(
        "2026-01-02",
        &["iid", "--key", &key2, "--product", "studio"]
    )
    .status
    .success());
    assert!(
        text(&run("2026-01-02", &["status"])).contains("notification mode"),
        "{}",
        text(&run("2026-01-02", &["status"]))
    );
}

#[test]
fn iid_for_another_product_threw_the_studio_activation_away() {
    let env = Env::demo();
    let (_, fp) = activated(&env, "c");
    let notes = env.issue(&["--product", "notes", "--activations", "5"]);
    env.iid("c", &fp, &notes, "notes");
    let o = env.client("c", &fp, &["status", "--product", "studio"]);
    assert!(text(&o).contains("activated since"), "{}", text(&o));
    let o = env.client("c", &fp, &["status"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("--product"), "{}", err(&o));
}

#[test]
fn a_damaged_hardware_column_read_as_a_new_machine() {
    let env = Env::demo();
    let key = env.issue(&["--product", "studio", "--kind", "retail"]);
    let iid = env.iid("a", &sample("fingerprint-a.json"), &key, "studio");
    assert!(env.vendor(&["activate", &iid]).status.success());
    env.sql(false, "UPDATE activations SET hardware = 'zz'");
    let other = env.iid("b", &sample("fingerprint-b.json"), &key, "studio");
    let o = env.vendor(&["activate", &other]);
    assert!(!o.status.success());
    assert!(err(&o).contains("not a fingerprint"), "{}", err(&o));
}

#[test]
fn naming_an_agreement_for_a_key_under_none_was_granted_silently() {
    let env = Env::demo();
    let key = env.issue(&["--product", "studio", "--activations", "5"]);
    let iid = env.iid("a", &sample("fingerprint-a.json"), &key, "studio");
    let o = env.vendor(&["activate", &iid, "--agreement", "5001"]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(text(&o).contains("under no agreement"), "{}", text(&o));
}
