//! Issue 16, the command line as its users expect it: options after the
//! subcommand, listings, `--json` a JSON parser reads.

use crate::support::*;

fn json(o: &std::process::Output) -> serde_json::Value {
    assert!(o.status.success(), "{}", err(o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(o)))
}

#[test]
fn client_options_come_before_or_after_the_subcommand() {
    let env = Env::demo();
    let key = env.issue(&["--product", "studio", "--activations", "2"]);
    let state = env.dir.path().join("c");
    let trust = env.home().join("trust.json");
    let fp = sample("fingerprint-a.json");
    let after = bin()
        .args([
            "client",
            "iid",
            "--key",
            &key,
            "--product",
            "studio",
            "--state",
        ])
        .arg(&state)
        .arg("--trust")
        .arg(&trust)
        .arg("--fingerprint")
        .arg(&fp)
        .output()
        .unwrap();
    assert!(after.status.success(), "{}", err(&after));
    let o = bin()
        .args(["client", "status", "--state"])
        .arg(&state)
        .arg("--trust")
        .arg(&trust)
        .arg("--fingerprint")
        .arg(&fp)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "`client status --state C` works: {}",
        err(&o)
    );
}

#[test]
fn key_list_finds_all_one_products_or_a_customers_keys_and_says_it_in_json() {
    let env = Env::demo();
    let studio = env.issue(&["--product", "studio", "--agreement", "4711"]);
    let vault = env.issue(&["--product", "vault", "--activations", "2"]);
    let keys = |args: &[&str]| -> Vec<String> {
        let mut a = vec!["key", "list", "--json"];
        a.extend_from_slice(args);
        json(&env.vendor(&a))
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["key"].as_str().unwrap().to_string())
            .collect()
    };
    let mut every = keys(&[]);
    every.sort();
    let mut both = [studio.clone(), vault.clone()];
    both.sort();
    assert_eq!(every, both);
    assert_eq!(keys(&["--product", "vault"]), std::slice::from_ref(&vault));
    assert_eq!(
        keys(&["northwind"]),
        std::slice::from_ref(&studio),
        "by customer, any case"
    );
    assert_eq!(
        keys(&[&vault[6..11]]),
        std::slice::from_ref(&vault),
        "by part of the key"
    );
    assert_eq!(keys(&["--limit", "1"]).len(), 1);
    // The plain listing has one line per key, with its serial.
    let o = env.vendor(&["key", "list"]);
    assert_eq!(text(&o).lines().count(), 2, "{}", text(&o));
    let o = env.vendor(&["key", "list", "--product", "nothing"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("not in the catalog"), "{}", err(&o));
}

#[test]
fn agreement_list_and_audit_show_speak_json_and_audit_show_takes_since_and_limit() {
    let env = Env::demo();
    let list = json(&env.vendor(&["agreement", "list", "--json"]));
    assert!(list.as_array().unwrap().iter().any(|a| a["id"] == "4711"));
    assert!(text(&env.vendor(&["agreement", "list"])).contains("Northwind Labs"));
    env.issue(&[
        "--product",
        "studio",
        "--activations",
        "2",
        "--reason",
        "order 77",
    ]);
    let all = json(&env.vendor(&["audit", "show", "--json"]));
    let n = all.as_array().unwrap().len();
    assert!(n >= 3);
    let two = json(&env.vendor(&["audit", "show", "--json", "--limit", "2"]));
    assert_eq!(two.as_array().unwrap().len(), 2);
    assert_eq!(two[1]["detail"], "order 77", "the newest last: {two}");
    let today = actline::days::format(actline::days::today());
    let since = json(&env.vendor(&["audit", "show", "--json", "--since", &today]));
    assert_eq!(since.as_array().unwrap().len(), n, "everything was today");
    let o = env.vendor(&["audit", "show", "--since", "12/01/2026"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("YYYY-MM-DD"), "{}", err(&o));
}

#[test]
fn staff_remove_takes_a_member_and_their_token_off_and_keeps_the_last_supervisor() {
    let env = Env::demo();
    assert!(env
        .vendor(&["staff", "add", "ann", "--role", "agent"])
        .status
        .success());
    assert!(env.vendor(&["staff", "token", "ann"]).status.success());
    let o = env.vendor(&["staff", "remove", "ann"]);
    assert!(o.status.success(), "{}", err(&o));
    let staff = json(&env.vendor(&["staff", "list", "--json"]));
    assert!(
        staff.as_array().unwrap().iter().all(|m| m["name"] != "ann"),
        "{staff}"
    );
    let tokens = env.sql(false, "SELECT count(*) FROM tokens WHERE name = 'ann'");
    assert_eq!(tokens, "0", "the token went with her");
    // The trail explains the removal: verify replays it.
    assert!(env.vendor(&["audit", "verify"]).status.success());
    let o = env.vendor(&["staff", "remove", "ann"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("not on the staff list"), "{}", err(&o));
    let me = actline::home::os_user();
    let o = env.vendor(&["staff", "remove", &me]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("last supervisor"), "{}", err(&o));
}

#[test]
fn batch_reads_standard_input_semicolons_and_its_own_output_and_writes_standard_output() {
    use std::io::Write;
    let env = Env::demo();
    let key = env.issue(&["--product", "studio", "--activations", "5"]);
    let ids: Vec<String> = (0..2)
        .map(|n| {
            let fp = env.machine(&format!("m{n}"), &machine(n));
            env.iid(&format!("c{n}"), &fp, &key, "studio")
        })
        .collect();
    let run = |input: &str| {
        let mut child = bin()
            .arg("--home")
            .arg(env.home())
            .args(["batch", "-", "-"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        let o = child.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", err(&o));
        assert!(
            err(&o).contains("results in standard output"),
            "{}",
            err(&o)
        );
        text(&o)
    };
    // Semicolon-separated, from standard input, to standard output.
    let out = run(&format!("lab 1;{}\nlab 2;{}\n", ids[0], ids[1]));
    let rows: Vec<&str> = out.lines().collect();
    assert_eq!(
        rows[0],
        "label,installation_id,decision,confirmation_id,reason"
    );
    assert!(
        rows[1].starts_with("lab 1,") && rows[1].contains(",granted,"),
        "{out}"
    );
    assert!(
        rows[2].starts_with("lab 2,") && rows[2].contains(",granted,"),
        "{out}"
    );
    // Its own output as input: the same IDs again, the same answers.
    let again = run(&out);
    let cid = |s: &str, n: usize| {
        s.lines()
            .nth(n)
            .unwrap()
            .split(',')
            .nth(3)
            .unwrap()
            .to_string()
    };
    assert_eq!(cid(&again, 1), cid(&out, 1));
    assert_eq!(cid(&again, 2), cid(&out, 2));
}

#[test]
fn completions_are_generated_for_each_shell() {
    for (shell, mark) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef actline"),
        ("fish", "complete -c actline"),
    ] {
        let o = bin().args(["completions", shell]).output().unwrap();
        assert!(o.status.success(), "{shell}: {}", err(&o));
        let script = String::from_utf8_lossy(&o.stdout);
        assert!(
            script.contains(mark),
            "{shell}: {}",
            &script[..script.len().min(200)]
        );
        assert!(
            script.contains("activate") && script.contains("batch"),
            "{shell}"
        );
    }
    let o = bin().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn demo_say_and_dtmf_do_not_offer_home_and_refuse_it_on_the_command_line() {
    for cmd in [
        &["demo"][..],
        &["say"],
        &["dtmf", "decode"],
        &["client", "iid"],
    ] {
        let help = bin().args(cmd).arg("--help").output().unwrap();
        assert!(help.status.success());
        for flag in ["--home", "--server", "--token-file", "--ca"] {
            assert!(!text(&help).contains(flag), "{cmd:?} offers {flag}");
        }
    }
    // Commands that open the home still offer it.
    assert!(text(&bin().args(["key", "list", "--help"]).output().unwrap()).contains("--home"));
    for args in [
        &["--home", "/tmp/h", "dtmf", "encode", "1", "--out", "-"][..],
        &["dtmf", "encode", "1", "--out", "-", "--home", "/tmp/h"],
    ] {
        let o = bin().args(args).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(err(&o).contains("--home has no use there"), "{}", err(&o));
    }
    // ACTLINE_HOME in the environment is not typed, and not an error.
    let o = bin()
        .env("ACTLINE_HOME", "/tmp/h")
        .args(["dtmf", "encode", "1", "--out", "-"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", err(&o));
}

/// Runs the binary with `input` on standard input.
fn piped(args: &[&str], input: &[u8]) -> std::process::Output {
    use std::io::Write as _;
    let mut child = bin()
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // A command that refuses at once may not read it: a closed pipe is fine.
    let _ = child.stdin.take().unwrap().write_all(input);
    child.wait_with_output().unwrap()
}

#[test]
fn a_dash_is_standard_input_or_output_for_audio_transcripts_and_catalogs() {
    let tones = bin()
        .args(["dtmf", "encode", "2580#", "--out", "-"])
        .output()
        .unwrap();
    assert!(tones.status.success(), "{}", err(&tones));
    assert!(tones.stdout.starts_with(b"RIFF"));
    let heard = piped(&["dtmf", "decode", "-"], &tones.stdout);
    assert_eq!(text(&heard), "2580#");
    // A whole IVR call from audio on standard input, its audio to standard output.
    let env = Env::demo();
    let dir = env.dir.path();
    let transcript = dir.join("t.json");
    let call = piped(
        &[
            "--home",
            env.home().to_str().unwrap(),
            "ivr",
            "--audio",
            "-",
            "--out",
            "-",
            "--transcript",
            transcript.to_str().unwrap(),
        ],
        &tones.stdout,
    );
    assert!(call.status.success(), "{}", err(&call));
    assert!(call.stdout.starts_with(b"RIFF"));
    let t: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&transcript).unwrap()).unwrap();
    assert!(t["outcome"].is_string(), "{t}");
    // Both to standard output would mix them: refused.
    let both = piped(
        &[
            "--home",
            env.home().to_str().unwrap(),
            "ivr",
            "--audio",
            "-",
            "--out",
            "-",
        ],
        &tones.stdout,
    );
    assert_eq!(both.status.code(), Some(2));
    assert!(err(&both).contains("--transcript FILE"), "{}", err(&both));
    // A trust file to standard output, the same as to a file.
    let file = env.dir.path().join("t-studio.json");
    assert!(env
        .vendor(&[
            "trust",
            "export",
            "--product",
            "studio",
            "--out",
            file.to_str().unwrap()
        ])
        .status
        .success());
    let o = env.vendor(&["trust", "export", "--product", "studio", "--out", "-"]);
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(
        text(&o).trim(),
        std::fs::read_to_string(&file).unwrap().trim()
    );
    // The catalog from standard input.
    let catalog = std::fs::read(sample("catalog.toml")).unwrap();
    let loaded = piped(
        &[
            "--home",
            env.home().to_str().unwrap(),
            "catalog",
            "load",
            "-",
        ],
        &catalog,
    );
    assert!(loaded.status.success(), "{}", err(&loaded));
}

#[test]
fn a_backup_verifies_restores_what_it_held_and_keeps_the_replaced_ledger() {
    let env = Env::demo();
    let key = env.issue(&["--product", "studio", "--activations", "3"]);
    let a = env.iid("a", &sample("fingerprint-a.json"), &key, "studio");
    let granted = env.vendor(&["activate", &a, "--json"]);
    let cid = json(&granted)["confirmation_id"]
        .as_str()
        .unwrap()
        .to_string();
    let backup = env.dir.path().join("ledger-backup.db");
    let b = env.vendor(&["ledger", "backup", backup.to_str().unwrap()]);
    if env.ledger_url().is_some() {
        // The server's own tools back it up; actline says which.
        assert_eq!(b.status.code(), Some(2), "{}", err(&b));
        assert!(err(&b).contains("use pg_dump"), "{}", err(&b));
        assert!(!backup.exists());
        return;
    }
    assert!(b.status.success(), "{}", err(&b));
    assert!(
        text(&b).contains("1 keys, 1 activations; audit trail of"),
        "{}",
        text(&b)
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&backup).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "owner-only");
    let audit = text(&env.vendor(&["audit", "show", "--filter", "ledger.backup"]));
    assert!(audit.contains("ledger.backup"), "{audit}");
    // Never over an existing file, never inside the home.
    let again = env.vendor(&["ledger", "backup", backup.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(2), "{}", err(&again));
    assert!(err(&again).contains("exists already"));
    let inside = env.home().join("copy.db");
    let o = env.vendor(&["ledger", "backup", inside.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!inside.exists());
    // More happens, then the backup is restored: the ledger holds what it did.
    env.issue(&["--product", "vault", "--activations", "2"]);
    let r = env.vendor(&["ledger", "restore", backup.to_str().unwrap()]);
    assert!(r.status.success(), "{}", err(&r));
    let keys = json(&env.vendor(&["key", "list", "--json"]));
    assert_eq!(keys.as_array().unwrap().len(), 1, "{keys}");
    assert!(env.vendor(&["audit", "verify"]).status.success());
    let shown = json(&env.vendor(&["key", "show", &key, "--json"]));
    assert_eq!(shown["activations"][0]["confirmation_id"], cid.as_str());
    // The ledger it replaced is kept, whole.
    let kept = std::fs::read_dir(env.home())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().contains("ledger.before-restore-"))
        .expect("the replaced ledger is kept");
    assert!(
        text(&r).contains(&kept.display().to_string()),
        "{}",
        text(&r)
    );
    assert!(text(&r).contains("2 keys, 1 activations"), "{}", text(&r));
    // It says what it takes back, and the trail records it.
    assert!(
        err(&r).contains("keys issued after the backup, serials"),
        "{}",
        err(&r)
    );
    let audit = text(&env.vendor(&["audit", "show", "--filter", "ledger."]));
    assert!(audit.contains("ledger.restore"), "{audit}");
    // A second restore in the same second keeps a second copy.
    let again = env.vendor(&["ledger", "restore", backup.to_str().unwrap()]);
    assert!(again.status.success(), "{}", err(&again));
    // `-` is not a backup file.
    let o = env.vendor(&["ledger", "backup", "-"]);
    assert_eq!(o.status.code(), Some(2));
    // A backup of another home does not verify here, and changes nothing.
    let other = Env::demo();
    let theirs = other.dir.path().join("theirs.db");
    assert!(other
        .vendor(&["ledger", "backup", theirs.to_str().unwrap()])
        .status
        .success());
    let o = env.vendor(&["ledger", "restore", theirs.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(4), "another home's backup restored");
    assert!(
        err(&o).contains("not a backup of this home's ledger"),
        "{}",
        err(&o)
    );
    assert!(err(&o).contains("theirs.db"), "{}", err(&o));
    assert_eq!(
        json(&env.vendor(&["key", "list", "--json"]))
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Not a ledger at all.
    let junk = env.dir.path().join("junk.db");
    std::fs::write(&junk, b"not a database").unwrap();
    let o = env.vendor(&["ledger", "restore", junk.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(err(&o).contains("junk.db"), "{}", err(&o));
    // A backup damaged inside (its pages overwritten) is named and refused.
    let damaged = env.dir.path().join("damaged.db");
    let mut bytes = std::fs::read(&backup).unwrap();
    for b in bytes.iter_mut().skip(4096).take(16_384) {
        *b = 0xA5;
    }
    std::fs::write(&damaged, bytes).unwrap();
    let o = env.vendor(&["ledger", "restore", damaged.to_str().unwrap()]);
    assert!(
        matches!(o.status.code(), Some(2 | 4)),
        "{:?} {}",
        o.status,
        err(&o)
    );
    assert!(err(&o).contains("damaged.db"), "{}", err(&o));
    let o = env.vendor(&["ledger", "restore", "/nonexistent/b.db"]);
    assert!(err(&o).contains("no such backup file"), "{}", err(&o));
    assert!(env.vendor(&["audit", "verify"]).status.success());
}

#[test]
fn json_has_one_vocabulary_product_is_the_name_and_a_key_is_one_flat_object() {
    let env = Env::demo();
    let issued = json(&env.vendor(&[
        "key",
        "issue",
        "--product",
        "studio",
        "--activations",
        "3",
        "--agreement",
        "4711",
        "--json",
    ]));
    let key = issued["key"].as_str().unwrap().to_string();
    assert_eq!(issued["product"], "studio");
    assert!(issued["product_code"].is_u64(), "{issued}");
    assert_eq!(
        (issued["used"].as_u64(), issued["left"].as_u64()),
        (Some(0), Some(3))
    );
    let iid = env.iid("a", &sample("fingerprint-a.json"), &key, "studio");
    let granted = json(&env.vendor(&["activate", &iid, "--json"]));
    let id = granted["activation"].as_i64().unwrap().to_string();
    let shown = json(&env.vendor(&["activation", "show", &id, "--json"]));
    let key_shown = json(&env.vendor(&["key", "show", &key, "--json"]));
    let listed = json(&env.vendor(&["key", "list", &key, "--json"]));
    let agreement = json(&env.vendor(&["agreement", "show", "4711", "--json"]));
    // `product` is the name in every one of them, `product_code` the number.
    for (what, v) in [
        ("activate", &granted),
        ("activation show", &shown),
        ("key show", &key_shown),
        ("key show's activation", &key_shown["activations"][0]),
        ("key list", &listed[0]),
        ("agreement show's key", &agreement["keys"][0]),
        ("agreement show's activation", &agreement["activations"][0]),
    ] {
        assert_eq!(v["product"], "studio", "{what}: {v}");
        if what != "activate" {
            assert_eq!(v["product_code"], issued["product_code"], "{what}: {v}");
        }
    }
    // A key is the same flat object from issue, show, list and agreement show.
    let fields = |v: &serde_json::Value| {
        ["key", "serial", "kind", "agreement", "limit", "revoked"]
            .map(|f| v[f].clone())
            .to_vec()
    };
    for v in [&key_shown, &listed[0], &agreement["keys"][0]] {
        assert_eq!(fields(v), fields(&issued), "{v}");
        assert_eq!((v["used"].as_u64(), v["left"].as_u64()), (Some(1), Some(2)));
    }
    assert_eq!(shown["confirmation_id"], granted["confirmation_id"]);
    assert_eq!(key_shown["activations"][0]["id"], shown["id"]);
}

#[test]
fn the_report_counts_activations_per_day_agreement_and_product_as_csv() {
    let env = Env::demo();
    let north = env.issue(&[
        "--product",
        "studio",
        "--agreement",
        "4711",
        "--activations",
        "1",
    ]);
    let direct = env.issue(&["--product", "vault", "--activations", "5"]);
    for (n, key, product) in [
        (1, &north, "studio"),
        (2, &north, "studio"),
        (3, &direct, "vault"),
    ] {
        let fp = env.machine(&format!("m{n}"), &machine(n));
        let iid = env.iid(&format!("s{n}"), &fp, key, product);
        // The second studio machine finds the one seat taken: a denial.
        let _ = env.vendor(&["activate", &iid]);
    }
    let o = env.vendor(&["report"]);
    assert!(o.status.success(), "{}", err(&o));
    let csv = text(&o);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "day,agreement,customer,product,product_code,granted,new_seats,denied"
    );
    let day = &actline::days::now_rfc3339()[..10];
    let vault = lines.iter().find(|l| l.contains(",vault,")).unwrap();
    let studio = lines.iter().find(|l| l.contains(",studio,")).unwrap();
    assert!(
        vault.starts_with(&format!("{day},,,vault,")),
        "direct key: {vault}"
    );
    assert!(vault.ends_with(",1,1,0"), "{vault}");
    assert!(
        studio.starts_with(&format!("{day},4711,Northwind Labs,studio,")),
        "{studio}"
    );
    assert!(
        studio.ends_with(",1,1,1"),
        "one grant, one denial: {studio}"
    );
    assert_eq!(lines.len(), 3, "{csv}");
    // Bounded by days: nothing before today's activations in a window that ended yesterday.
    let o = env.vendor(&["report", "--until", "2026-01-01"]);
    assert_eq!(text(&o).lines().count(), 1, "header only");
    for bad in [
        &["--since", "2026-02-30x"][..],
        &["--since", "2026-02-30"],
        &["--until", "2025-02-29"],
        &["--since", "0000-01-01"],
        &["--since", "2026-12-03", "--until", "2026-12-01"],
    ] {
        let mut args = vec!["report"];
        args.extend_from_slice(bad);
        let o = env.vendor(&args);
        assert_eq!(o.status.code(), Some(2), "{bad:?}");
        assert!(
            err(&o).contains("--since") || err(&o).contains("--until"),
            "{}",
            err(&o)
        );
    }
    assert!(
        env.vendor(&["report", "--since", "2024-02-29"])
            .status
            .success(),
        "a leap day"
    );
    // To a file, never into the home.
    let out = env.home().join("r.csv");
    let o = env.vendor(&["report", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn long_listings_are_paged_on_a_terminal_and_never_into_a_pipe() {
    if !have_tmux() {
        return;
    }
    let env = Env::demo();
    for _ in 0..3 {
        env.issue(&["--product", "studio", "--activations", "2"]);
    }
    let done = env.dir.path().join("done");
    let t = Tmux::start(&format!(
        "env -u ACTLINE_HOME ACTLINE_PAGER='sed s/^/paged:/' {} --home {} key list; echo exit=$? > {}; sleep 30",
        env!("CARGO_BIN_EXE_actline"),
        env.home().display(),
        done.display()
    ))
    .expect("tmux starts");
    let screen = t.wait_for("paged:");
    assert_eq!(screen.matches("paged:").count(), 3, "{screen}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while !done.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(std::fs::read_to_string(&done).unwrap().trim(), "exit=0");
    // Into a pipe, nothing is paged.
    let o = bin()
        .env("ACTLINE_PAGER", "sed s/^/paged:/")
        .arg("--home")
        .arg(env.home())
        .args(["key", "list"])
        .output()
        .unwrap();
    assert_eq!(text(&o).lines().count(), 3);
    assert!(!text(&o).contains("paged:"));
    // A reader who quits the pager early ends the command quietly.
    let quit = Tmux::start(&format!(
        "env -u ACTLINE_HOME ACTLINE_PAGER='head -c1 >/dev/null' {} --home {} audit show; echo exit=$?; sleep 30",
        env!("CARGO_BIN_EXE_actline"),
        env.home().display(),
    ))
    .expect("tmux starts");
    quit.wait_for("exit=0");
}

#[test]
fn man_pages_are_written_at_build_time_for_every_command() {
    let o = bin().arg("man").output().unwrap();
    assert!(o.status.success(), "{}", err(&o));
    assert!(text(&o).contains(".TH actline 1"), "{}", text(&o));
    let issue = text(&bin().args(["man", "key", "issue"]).output().unwrap());
    assert!(issue.contains(".TH actline-key-issue 1"), "{issue}");
    assert!(issue.contains("idempotency"), "{issue}");
    let dir = tempfile::tempdir().unwrap();
    let o = bin()
        .args(["man", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", err(&o));
    // A page for every command --help names, and for their subcommands.
    for page in [
        "actline",
        "actline-ledger-backup",
        "actline-report",
        "actline-audit-show",
        "actline-client-iid",
    ] {
        let p = dir.path().join(format!("{page}.1"));
        assert!(p.exists(), "{page}.1 missing");
    }
    let o = bin().args(["man", "nope"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("no man page for `actline nope`"),
        "{}",
        err(&o)
    );
}

#[test]
fn a_rotated_signing_key_still_verifies_its_old_confirmation_ids_once_retired() {
    let env = Env::demo();
    let key = env.issue(&["--product", "studio", "--activations", "5"]);
    let old_trust = env.dir.path().join("studio-old.json");
    let o = env.vendor(&[
        "trust",
        "export",
        "--product",
        "studio",
        "--out",
        old_trust.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", err(&o));
    let cid_of = |iid: &str| -> String {
        json(&env.vendor(&["activate", iid, "--json"]))["confirmation_id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (fa, fb) = (sample("fingerprint-a.json"), sample("fingerprint-b.json"));
    let a = env.iid("a", &fa, &key, "studio");
    let by_key_0 = cid_of(&a);
    // Rotate: a new key, clients' trust files, then sign with it, then retire the old one.
    let new = env.vendor(&["signing-key", "new"]);
    assert!(text(&new).contains("made signing key 1"), "{}", text(&new));
    assert!(env.vendor(&["signing-key", "use", "1"]).status.success());
    let refused = env.vendor(&["signing-key", "retire", "1"]);
    assert_eq!(
        refused.status.code(),
        Some(2),
        "the key in use is not retired"
    );
    assert!(env.vendor(&["signing-key", "retire", "0"]).status.success());
    assert!(
        !env.home().join("secrets/signing.key").exists(),
        "the private half is gone"
    );
    let list = text(&env.vendor(&["signing-key", "list"]));
    assert!(list.contains("retired") && list.contains("signs"), "{list}");
    let new_trust = env.dir.path().join("studio-new.json");
    assert!(env
        .vendor(&[
            "trust",
            "export",
            "--product",
            "studio",
            "--out",
            new_trust.to_str().unwrap()
        ])
        .status
        .success());
    let b = env.iid("b", &fb, &key, "studio");
    let by_key_1 = cid_of(&b);
    let confirm = |state: &str, fp: &std::path::Path, trust: &std::path::Path, cid: &str| {
        bin()
            .args(["client", "confirm", cid, "--state"])
            .arg(env.dir.path().join(state))
            .arg("--trust")
            .arg(trust)
            .arg("--fingerprint")
            .arg(fp)
            .output()
            .unwrap()
    };
    // Key 0's confirmation ID verifies with the new trust file, key 0 retired.
    let o = confirm("a", &fa, &new_trust, &by_key_0);
    assert!(o.status.success(), "{}", err(&o));
    // A trust file from before key 1 says what it lacks; the new one verifies.
    let o = confirm("b", &fb, &old_trust, &by_key_1);
    assert_eq!(o.status.code(), Some(4), "{}", err(&o));
    assert!(err(&o).contains("vendor's key 1"), "{}", err(&o));
    let o = confirm("b", &fb, &new_trust, &by_key_1);
    assert!(o.status.success(), "{}", err(&o));
    // Every change is audited, and the trail still verifies.
    let audit = text(&env.vendor(&["audit", "show", "--filter", "signing."]));
    for action in ["signing.new", "signing.use", "signing.retire"] {
        assert!(audit.contains(action), "{audit}");
    }
    assert!(env.vendor(&["audit", "verify"]).status.success());
}

#[test]
fn the_demo_desk_lives_apart_from_the_vendor_home_and_resets_to_its_first_state() {
    let data = tempfile::tempdir().unwrap();
    let agent = |args: &[&str]| {
        bin()
            .env("XDG_DATA_HOME", data.path())
            .arg("agent")
            .args(args)
            .output()
            .unwrap()
    };
    // Without a terminal the desk does not start, but the demo is made first.
    let o = agent(&["--demo"]);
    assert_ne!(o.status.code(), Some(0));
    let demo = data.path().join("actline-demo-desk");
    assert!(demo.join("demo-keys.txt").exists(), "{}", err(&o));
    assert!(
        !data.path().join("actline").exists(),
        "nothing in the vendor home"
    );
    let keys = |home: &std::path::Path| {
        let o = bin()
            .arg("--home")
            .arg(home)
            .args(["key", "list", "--json"])
            .output()
            .unwrap();
        json(&o).as_array().unwrap().len()
    };
    let first = keys(&demo);
    let o = bin()
        .arg("--home")
        .arg(&demo)
        .args(["key", "issue", "--product", "studio", "--activations", "1"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(keys(&demo), first + 1);
    let _ = agent(&["--demo", "--reset"]);
    assert_eq!(keys(&demo), first, "back to its first state");
    // --reset only with --demo; and never on a directory that is not a demo desk.
    assert_eq!(agent(&["--reset"]).status.code(), Some(2));
    std::fs::remove_file(demo.join("demo-keys.txt")).unwrap();
    let o = agent(&["--demo", "--reset"]);
    assert!(err(&o).contains("not a demo desk"), "{}", err(&o));
    assert!(demo.join("ledger.db").exists(), "not deleted");
}

#[test]
fn at_the_desk_in_a_terminal_the_fixes_hold_step_by_step() {
    if !have_tmux() {
        return;
    }
    let data = tempfile::tempdir().unwrap();
    let exe = env!("CARGO_BIN_EXE_actline");
    let demo = data.path().join("actline-demo-desk");
    // Make the demo first (no terminal needed for that), then an ID for it.
    let _ = bin()
        .env("XDG_DATA_HOME", data.path())
        .args(["agent", "--demo"])
        .output();
    let keys = std::fs::read_to_string(demo.join("demo-keys.txt")).unwrap();
    let key = keys
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|f| f.len() == 3 && f[0] == "studio" && f[1] == "4711")
        .map(|f| f[2].to_string())
        .unwrap();
    let o = bin()
        .args([
            "client",
            "iid",
            "--key",
            &key,
            "--product",
            "studio",
            "--state",
        ])
        .arg(data.path().join("client"))
        .arg("--trust")
        .arg(demo.join("trust-studio.json"))
        .arg("--fingerprint")
        .arg(sample("fingerprint-a.json"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", err(&o));
    let iid = text(&o).trim().to_string();
    let t = Tmux::start(&format!(
        "env XDG_DATA_HOME={} {exe} agent --demo; echo DESK-EXIT=$?; sleep 60",
        data.path().display()
    ))
    .expect("tmux starts");
    // OSC 52 from the desk lands in tmux's buffer.
    let _ = std::process::Command::new("tmux")
        .args(["-L", t.name(), "set", "-g", "set-clipboard", "on"])
        .status();
    t.wait_for("F4 Calls (2 waiting)");
    // Esc wipes the ID; Ctrl-Z brings it back.
    t.keys(true, &iid);
    t.wait_for("valid installation ID");
    t.keys(false, "Escape");
    t.wait_for("Ctrl-Z brings them back");
    t.keys(false, "C-z");
    t.wait_for("valid installation ID");
    // The decision: the ID panel says so, with the seats after it.
    t.keys(false, "Enter");
    let s = t.wait_for("granted as activation #");
    assert!(!s.contains("Enter decides"), "{s}");
    t.wait_for("1 used, 9 left");
    // The plain ID is on one line, and c copies it.
    let cid = s
        .lines()
        .skip_while(|l| !l.contains("Plain, for copying"))
        .nth(1)
        .map(|l| {
            l.trim_matches(|c: char| c == '│' || c.is_whitespace())
                .to_string()
        })
        .unwrap();
    assert_eq!(
        cid.split('-').count(),
        20,
        "one line holds all 20 groups: {s}"
    );
    t.keys(true, "c");
    t.wait_for("on the clipboard");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let copied = loop {
        let b = std::process::Command::new("tmux")
            .args(["-L", t.name(), "show-buffer"])
            .output()
            .unwrap();
        let b = String::from_utf8_lossy(&b.stdout).to_string();
        if b.contains('-') || std::time::Instant::now() > deadline {
            break b;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert_eq!(copied.trim(), cid, "OSC 52 copied the confirmation ID");
    // One digit wrong: Enter keeps the correction on screen, Tab takes it and
    // nothing about the wrong group is left.
    t.keys(true, "n");
    t.wait_for("0 of 70 digits");
    let mut wrong: Vec<char> = iid.chars().collect();
    let at = wrong.iter().position(|c| c.is_ascii_digit()).unwrap() + 9; // group 2
    wrong[at] = if wrong[at] == '5' { '6' } else { '5' };
    t.keys(true, &wrong.iter().collect::<String>());
    t.wait_for("Tab takes it");
    t.keys(false, "Enter");
    t.wait_for("Tab takes it");
    t.keys(false, "Tab");
    let s = t.wait_for("valid installation ID");
    assert!(!s.contains("does not check"), "{s}");
    t.keys(false, "C-u");
    // A partner key stays in its dialog until it is closed.
    t.keys(false, "F8");
    t.wait_for("Issue a partner key");
    t.keys(true, "partner demo");
    t.keys(false, "Enter");
    t.wait_for("do it");
    t.keys(false, "Enter");
    let s = t.wait_for("close (write the key down first)");
    assert!(s.contains("issued partner key"), "{s}");
    t.keys(true, "7");
    let s = t.wait_for("close (write the key down first)");
    assert!(s.contains("issued partner key"), "still there: {s}");
    t.keys(false, "Escape");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while t.screen().contains("write the key down") && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(!t.screen().contains("write the key down"), "closed");
    // A caller who hung up is dismissed from the queue with a reason.
    t.keys(false, "F4");
    t.wait_for("dismiss (the caller hung up)");
    t.keys(true, "x");
    t.wait_for("Dismiss a call");
    t.keys(true, "the caller hung up");
    t.keys(false, "Enter");
    t.wait_for("do it");
    t.keys(false, "Enter");
    t.wait_for("dismissed: the caller hung up");
    t.wait_for("F4 Calls (1 waiting)");
    // A call taken and left when the desk quits goes back to the queue.
    t.keys(false, "F4");
    t.wait_for("Calls handed over by the IVR");
    t.keys(false, "Enter");
    t.wait_for("continuing call");
    t.keys(false, "F10");
    t.wait_for("DESK-EXIT=0");
    let o = bin()
        .arg("--home")
        .arg(&demo)
        .args(["audit", "show", "--filter", "call.release"])
        .output()
        .unwrap();
    assert!(text(&o).contains("call.release"), "{}", text(&o));
}

#[test]
fn an_id_twice_in_one_batch_is_decided_once_and_both_lines_get_that_answer() {
    let env = Env::demo();
    let key = env.issue(&["--product", "studio", "--activations", "3"]);
    let iid = env.iid("a", &sample("fingerprint-a.json"), &key, "studio");
    let input = format!("first,{iid}\nsecond,{iid}\n");
    let o = piped(
        &["--home", env.home().to_str().unwrap(), "batch", "-", "-"],
        input.as_bytes(),
    );
    assert!(o.status.success(), "{}", err(&o));
    let rows: Vec<Vec<String>> = text(&o)
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    assert_eq!(rows.len(), 2, "{}", text(&o));
    assert_eq!(rows[0][2], "granted");
    assert_eq!(rows[0][3], rows[1][3], "one confirmation ID for both lines");
    let shown = json(&env.vendor(&["key", "show", &key, "--json"]));
    assert_eq!(shown["activations"].as_array().unwrap().len(), 1, "{shown}");
    assert_eq!(shown["used"], 1);
}

#[test]
fn dtmf_encode_of_nothing_and_a_batch_chunk_of_0_are_bad_usage() {
    let o = bin()
        .args(["dtmf", "encode", "", "--out", "-"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty(), "no empty WAV");
    assert!(err(&o).contains("nothing to encode"), "{}", err(&o));
    let silent = bin()
        .args(["dtmf", "encode", "2s", "--out", "-"])
        .output()
        .unwrap();
    assert!(silent.status.success(), "a silent caller is a timeline too");
    let env = Env::demo();
    let o = env.vendor(&["batch", "--chunk", "0", "-", "-"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("--chunk"), "{}", err(&o));
}
