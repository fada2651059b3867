//! Regressions from issue 9 about what actline writes: files, trust exports,
//! standard output and terminal text. Each test is named after the bug it pins.

use crate::support::*;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

/// Text that clears the screen and starts a fake trace line.
const EVIL: &str = "Evil\x1b[2J\r\n  - granted";

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or(serde_json::Value::Null)
}

/// Nothing in either stream that drives a terminal.
fn assert_inert(what: &str, o: &Output) {
    for (name, bytes) in [("stdout", &o.stdout), ("stderr", &o.stderr)] {
        assert!(
            !bytes.iter().any(|&b| b == 0x1b || b == b'\r'),
            "{what}: raw ESC or CR on {name}: {:?}",
            String::from_utf8_lossy(bytes)
        );
    }
}

fn export(env: &Env, product: &str) -> PathBuf {
    let out = env.dir.path().join(format!("{product}-trust.json"));
    let o = env.vendor(&[
        "trust",
        "export",
        "--product",
        product,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "trust export: {}", err(&o));
    out
}

/// The client binary with a given trust file.
fn client_with(env: &Env, trust: &Path, state: &str, fp: &Path, args: &[&str]) -> Output {
    bin()
        .arg("client")
        .arg("--state")
        .arg(env.dir.path().join(state))
        .arg("--trust")
        .arg(trust)
        .arg("--fingerprint")
        .arg(fp)
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn trust_json_gave_a_studio_customer_the_secrets_of_every_product() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::demo();
    let path = export(&env, "studio");
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let bytes = std::fs::read_to_string(&path).unwrap();
    let exported: serde_json::Value = serde_json::from_str(&bytes).unwrap();
    let all: serde_json::Value =
        serde_json::from_slice(&std::fs::read(env.home().join("trust.json")).unwrap()).unwrap();
    let products = exported["products"].as_object().unwrap();
    assert_eq!(products.keys().collect::<Vec<_>>(), ["studio"]);
    assert_eq!(exported["products"]["studio"], all["products"]["studio"]);
    assert_eq!(exported["fingerprint_salt"], all["fingerprint_salt"]);
    assert_eq!(exported["format"], all["format"]);
    // No secret of any other product, anywhere in the file.
    for (name, entry) in all["products"].as_object().unwrap() {
        if name == "studio" {
            continue;
        }
        for field in ["secret", "setup_secret"] {
            if let Some(s) = entry[field].as_str() {
                assert!(
                    !bytes.contains(s),
                    "{name}'s {field} is in the studio export"
                );
            }
        }
    }
    assert!(
        all["products"]["notes"]["secret"].is_string(),
        "notes is compact"
    );

    // A client with the export activates studio...
    let fp = sample("fingerprint-a.json");
    let key = env.issue(&["--product", "studio", "--activations", "2"]);
    let iid = text(&client_with(
        &env,
        &path,
        "c",
        &fp,
        &["iid", "--key", &key, "--product", "studio"],
    ));
    let cid = json(&env.vendor(&["activate", &iid, "--json"]))["confirmation_id"]
        .as_str()
        .unwrap()
        .to_string();
    let o = client_with(&env, &path, "c", &fp, &["confirm", &cid]);
    assert!(o.status.success(), "{}", err(&o));
    assert!(text(&client_with(&env, &path, "c", &fp, &["status"])).contains("activated since"));

    // ...and refuses notes, naming what it knows.
    let nkey = env.issue(&["--product", "notes", "--agreement", "5001"]);
    let o = client_with(
        &env,
        &path,
        "n",
        &fp,
        &["iid", "--key", &nkey, "--product", "notes"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(
        err(&o).contains("\"notes\" is not in the trust file (known: studio)"),
        "{}",
        err(&o)
    );

    // The compact product's export holds its own secret, and only its own.
    let notes = std::fs::read_to_string(export(&env, "notes")).unwrap();
    assert!(notes.contains(all["products"]["notes"]["secret"].as_str().unwrap()));
    assert!(!notes.contains(all["products"]["studio"]["setup_secret"].as_str().unwrap()));

    // The vendor's own file is not an export target, and unknown products are refused.
    let own = env.home().join("trust.json");
    let o = env.vendor(&[
        "trust",
        "export",
        "--product",
        "studio",
        "--out",
        own.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&std::fs::read(&own).unwrap()).unwrap(),
        all
    );
    let o = env.vendor(&["trust", "export", "--product", "nope", "--out", "x.json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("not in the catalog"), "{}", err(&o));
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

#[test]
fn customer_text_reached_the_terminal_raw() {
    let env = Env::demo();
    let evil = |s: &str| {
        s.replace('\x1b', "\\u001b")
            .replace('\r', "\\r")
            .replace('\n', "\\n")
    };
    let catalog = env.dir.path().join("catalog.toml");
    std::fs::write(
        &catalog,
        actline::home::DEMO_CATALOG.replace(
            "family = \"studio\"",
            &format!("family = \"{}\"", evil(EVIL)),
        ),
    )
    .unwrap();
    let o = env.vendor(&["catalog", "load", catalog.to_str().unwrap()]);
    assert!(o.status.success(), "{}", err(&o));
    let agreements = env.dir.path().join("agreements.toml");
    std::fs::write(
        &agreements,
        actline::home::DEMO_AGREEMENTS
            .replace("\"Northwind Labs\"", &format!("\"{}\"", evil(EVIL))),
    )
    .unwrap();
    let o = env.vendor(&["agreement", "load", agreements.to_str().unwrap()]);
    assert!(o.status.success(), "{}", err(&o));

    let key = env.issue(&[
        "--product",
        "studio",
        "--agreement",
        "4711",
        "--activations",
        "5",
    ]);
    let iid = env.iid("c", &sample("fingerprint-a.json"), &key, "studio");
    let o = env.vendor(&["activate", &iid]);
    assert!(o.status.success(), "{}", err(&o));
    assert!(
        text(&o).contains(r"Evil\u{1b}[2J\r\n  - granted"),
        "{}",
        text(&o)
    );
    assert_inert("activate", &o);
    // A batch label (a line holds no line feed, but a bare CR).
    let iid2 = env.iid("c2", &sample("fingerprint-b.json"), &key, "studio");
    let input = env.dir.path().join("in.csv");
    let output = env.dir.path().join("out.csv");
    std::fs::write(&input, format!("\"Lab\x1b[2J\r  - granted\",{iid2}\n")).unwrap();
    let o = env.vendor(&["batch", input.to_str().unwrap(), output.to_str().unwrap()]);
    assert!(o.status.success(), "{}", err(&o));

    for (what, args) in [
        ("key show", vec!["key", "show", key.as_str()]),
        ("activation show", vec!["activation", "show", "1"]),
        ("agreement show", vec!["agreement", "show", "4711"]),
        ("catalog show", vec!["catalog", "show"]),
    ] {
        let o = env.vendor(&args);
        assert!(o.status.success(), "{what}: {}", err(&o));
        assert_inert(what, &o);
        assert!(
            text(&o).contains(r"\u{1b}[2J"),
            "{what} shows the text, escaped: {}",
            text(&o)
        );
    }
    // JSON stays JSON, with the text intact.
    let o = env.vendor(&["agreement", "show", "4711", "--json"]);
    assert_inert("agreement show --json", &o);
    assert_eq!(json(&o)["agreement"]["customer"], EVIL);

    // A voice pack's name.
    let voices = env.dir.path().join("voices");
    let en = voices.join("en");
    std::fs::create_dir_all(&en).unwrap();
    for f in std::fs::read_dir(sample("voices/en")).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, en.join(f.file_name().unwrap())).unwrap();
    }
    let manifest = std::fs::read_to_string(en.join("manifest.json")).unwrap();
    let manifest = manifest.replacen("English (flite rms)", &evil(EVIL), 1);
    std::fs::write(en.join("manifest.json"), manifest).unwrap();
    let o = bin()
        .args(["voices", "--voices"])
        .arg(&voices)
        .output()
        .unwrap();
    assert!(o.status.success(), "voices: {}", err(&o));
    assert_inert("voices", &o);
    assert!(text(&o).contains(r"Evil\u{1b}[2J"), "{}", text(&o));

    // A call's name.
    let o = env.vendor(&["ivr", "--dtmf", "2s 30s", "--call", EVIL]);
    assert_inert("ivr", &o);
    assert!(err(&o).contains(r"Evil\u{1b}[2J"), "{}", err(&o));
}

#[test]
fn a_batch_label_starting_with_tab_equals_ran_as_a_formula() {
    let env = Env::demo();
    let key = env.issue(&["--product", "studio", "--activations", "5"]);
    let a = env.iid("a", &sample("fingerprint-a.json"), &key, "studio");
    let b = env.iid("b", &sample("fingerprint-b.json"), &key, "studio");
    let input = env.dir.path().join("in.csv");
    let output = env.dir.path().join("out.csv");
    std::fs::write(
        &input,
        format!("\"\t=HYPERLINK(\"\"x\"\")\",{a}\n\"one\rtwo\",{b}\n"),
    )
    .unwrap();
    let o = env.vendor(&["batch", input.to_str().unwrap(), output.to_str().unwrap()]);
    assert!(o.status.success(), "{}", err(&o));
    let csv = std::fs::read_to_string(&output).unwrap();
    let rows: Vec<&str> = csv.split('\n').collect();
    assert!(rows[1].starts_with("\"'\t=HYPERLINK"), "{csv:?}");
    assert!(
        rows[2].starts_with("\"one\rtwo\","),
        "a bare CR is quoted: {csv:?}"
    );
}

#[test]
fn advise_recommended_a_site_host_key_that_key_issue_refuses() {
    let env = Env::demo();
    let o = env.vendor(&["advise", "--product", "studio", "--machines", "500"]);
    assert!(o.status.success(), "{}", err(&o));
    assert!(
        text(&o).contains("a site-host key for vault, which activates studio"),
        "{}",
        text(&o)
    );
    let refused = env.vendor(&["key", "issue", "--product", "studio", "--kind", "site-host"]);
    assert_eq!(refused.status.code(), Some(2), "{}", err(&refused));
    env.issue(&["--product", "vault", "--kind", "site-host"]);
}

/// `file` with a 3-byte `LIST` chunk before its data chunk, with or without
/// the pad byte RIFF puts after an odd-sized chunk.
fn with_odd_chunk(file: &Path, padded: bool) -> PathBuf {
    let plain = std::fs::read(file).unwrap();
    let data = plain.windows(4).position(|w| w == b"data").unwrap();
    let mut out = plain[..data].to_vec();
    out.extend_from_slice(b"LIST\x03\0\0\0abc");
    if padded {
        out.push(0);
    }
    out.extend_from_slice(&plain[data..]);
    let riff = (out.len() - 8) as u32;
    out[4..8].copy_from_slice(&riff.to_le_bytes());
    let path = file.with_extension(if padded { "padded.wav" } else { "unpadded.wav" });
    std::fs::write(&path, out).unwrap();
    path
}

#[test]
fn a_padded_odd_sized_riff_chunk_was_refused_while_the_unpadded_one_was_read() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("tones.wav");
    let o = bin()
        .args(["dtmf", "encode", "123#", "--out"])
        .arg(&wav)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", err(&o));
    for padded in [true, false] {
        let f = with_odd_chunk(&wav, padded);
        let o = bin().args(["dtmf", "decode"]).arg(&f).output().unwrap();
        assert!(o.status.success(), "padded {padded}: {}", err(&o));
        assert_eq!(text(&o), "123#", "padded {padded}");
    }
}

#[test]
fn dtmf_encode_tone_ms_0_wrote_a_toneless_file() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("t.wav");
    for (opt, value) in [("--tone-ms", "0"), ("--tone-ms", "5000"), ("--gap-ms", "0")] {
        let o = bin()
            .args(["dtmf", "encode", "123", "--out"])
            .arg(&wav)
            .args([opt, value])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{opt} {value}");
        assert!(err(&o).contains(opt), "{}", err(&o));
        assert_eq!(err(&o).lines().count(), 1, "{}", err(&o));
        assert!(!wav.exists(), "{opt} {value}: nothing written");
    }
    let o = bin()
        .args([
            "dtmf",
            "encode",
            "123",
            "--tone-ms",
            "40",
            "--gap-ms",
            "40",
            "--out",
        ])
        .arg(&wav)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", err(&o));
}

#[test]
fn trust_export_wrote_over_the_ledger() {
    let env = Env::demo();
    if env.sqlite_only("the SQLite file inside the home") {
        return;
    }
    let db = env.home().join("ledger.db");
    let before = std::fs::read(&db).unwrap();
    let o = env.vendor(&[
        "trust",
        "export",
        "--product",
        "studio",
        "--out",
        db.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(err(&o).contains("inside the vendor home"), "{}", err(&o));
    assert_eq!(std::fs::read(&db).unwrap(), before);
    assert!(env.vendor(&["catalog", "show"]).status.success());
}
