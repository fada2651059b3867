//! Whole calls: from caller audio through the real binary for every
//! outcome, and many calls at once on one engine.

use crate::support::*;
use actline::confirm::{self, Terms};
use actline::ids::InstallationId;
use actline::ivr::call::{Caller, Desk, Engine};
use actline::ivr::dtmf::{self, GenOptions};
use actline::ivr::flow::{CallDecision, FlowConfig, GrammarFile, Grammars};
use actline::keys::KeyKind;
use actline::voice::{self, VoiceSource};
use std::path::PathBuf;
use std::sync::Arc;

/// Caller audio: each (time in ms, keys) run typed at 100 ms tone + 100 ms gap.
fn caller_audio(runs: &[(u64, &str)], total_ms: u64) -> Vec<i16> {
    let mut buf = vec![0i16; (total_ms * 8) as usize];
    let opts = GenOptions::default();
    for (at, keys) in runs {
        for (i, k) in keys.chars().enumerate() {
            let start = ((at + i as u64 * 200) * 8) as usize;
            dtmf::add_key(&mut buf, start, 800, k, &opts).unwrap();
        }
    }
    buf
}

/// Typing the groups one after another, a second apart, from 1 s.
fn typing(groups: &[&str]) -> Vec<(u64, String)> {
    let mut t = 1000;
    groups
        .iter()
        .map(|g| {
            let run = (t, g.to_string());
            t += g.len() as u64 * 200 + 1000;
            run
        })
        .collect()
}

fn call(
    env: &Env,
    name: &str,
    runs: &[(u64, String)],
    total_ms: u64,
) -> (std::process::Output, serde_json::Value, PathBuf) {
    let runs: Vec<(u64, &str)> = runs.iter().map(|(t, k)| (*t, k.as_str())).collect();
    let wav = env.dir.path().join(format!("{name}-caller.wav"));
    dtmf::write_wav(&wav, &caller_audio(&runs, total_ms), 8000).unwrap();
    let out = env.dir.path().join(format!("{name}-ivr.wav"));
    let tr = env.dir.path().join(format!("{name}.json"));
    let o = env.vendor(&[
        "ivr",
        "--audio",
        wav.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--transcript",
        tr.to_str().unwrap(),
        "--call",
        name,
    ]);
    let v = std::fs::read(&tr)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(serde_json::Value::Null);
    (o, v, out)
}

fn notes_iid(env: &Env, activations: &str) -> String {
    let key = env.issue(&["--product", "notes", "--activations", activations]);
    env.iid("c", &sample("fingerprint-a.json"), &key, "notes")
}

fn events(v: &serde_json::Value, kind: &str) -> usize {
    v["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event"] == kind)
        .count()
}

#[test]
fn a_call_from_audio_activates_and_the_confirmation_id_verifies() {
    let env = Env::demo();
    let iid = notes_iid(&env, "5");
    let groups: Vec<&str> = iid.split('-').collect();
    let (o, v, out) = call(&env, "ok", &typing(&groups), 150_000);
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(v["outcome"], "activated", "{v:#}");
    assert_eq!(v["installation_id"], iid.as_str());
    assert_eq!(events(&v, "group_accepted"), 10);
    let cid = v["confirmation_id"].as_str().unwrap();
    assert!(env
        .client("c", &sample("fingerprint-a.json"), &["confirm", cid])
        .status
        .success());
    // The IVR's side is real audio, as long as the caller's.
    let r = actline::audio::wav::read(&out).unwrap();
    assert_eq!(r.spec(), actline::audio::wav::Spec::mono16(8000));
    assert!(r.frames() >= 150 * 8000 - 8000);
}

#[test]
fn a_call_with_no_seats_left_is_denied_and_transferred() {
    let env = Env::demo();
    let iid = notes_iid(&env, "0");
    let groups: Vec<&str> = iid.split('-').collect();
    let (o, v, _) = call(&env, "denied", &typing(&groups), 60_000);
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(v["outcome"], "denied", "{v:#}");
    assert_eq!(events(&v, "transfer"), 1);
    let h = env.vendor(&["activation", "show", "1", "--json"]);
    assert!(text(&h).contains("denied"), "{}", text(&h));
}

#[test]
fn garbage_groups_are_refused_and_the_caller_transferred_with_what_they_entered() {
    let env = Env::demo();
    let iid = notes_iid(&env, "5");
    let first = iid.split('-').next().unwrap();
    let runs = typing(&[first, "1111111", "2222222", "3333333"]);
    let (o, v, _) = call(&env, "garbage", &runs, 60_000);
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(v["outcome"], "transferred", "{v:#}");
    assert_eq!(events(&v, "group_refused"), 3);
    let t = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["event"] == "transfer")
        .unwrap();
    assert_eq!(t["groups"][0], first);
    // The desk sees the hand-over.
    let ledger = env.ledger();
    assert_eq!(
        ledger.handovers(true).unwrap()[0].groups,
        vec![first.to_string()]
    );
}

#[test]
fn a_caller_who_hangs_up_mid_group_abandons() {
    let env = Env::demo();
    let iid = notes_iid(&env, "5");
    let first = iid.split('-').next().unwrap();
    let (o, v, _) = call(&env, "hangup", &typing(&[first, "123"]), 4_500);
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(v["outcome"], "abandoned", "{v:#}");
}

#[test]
fn a_silent_caller_is_reprompted_then_transferred() {
    let env = Env::demo();
    let (o, v, _) = call(&env, "silent", &[], 90_000);
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(v["outcome"], "transferred", "{v:#}");
    assert_eq!(events(&v, "no_input"), 3);
}

#[test]
fn audio_that_is_not_usable_is_refused_with_the_file_name() {
    let env = Env::demo();
    let junk = env.dir.path().join("junk.wav");
    std::fs::write(&junk, b"RIFF....not really").unwrap();
    let o = env.vendor(&["ivr", "--audio", junk.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("junk.wav"), "{}", err(&o));
    let stereo = env.dir.path().join("stereo.wav");
    let spec = actline::audio::wav::Spec {
        channels: 2,
        ..actline::audio::wav::Spec::mono16(8000)
    };
    actline::audio::wav::write(&stereo, &spec, &[0; 1600]).unwrap();
    let o = env.vendor(&["ivr", "--audio", stereo.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("channels"), "{}", err(&o));
}

/// Grants everything with a compact confirmation ID: deterministic, no ledger.
struct FakeDesk;

impl Desk for FakeDesk {
    fn decide(&self, _call: &str, iid: &InstallationId) -> CallDecision {
        let cid = confirm::encode_compact(
            b"fake",
            iid,
            Terms {
                kind: KeyKind::Mak,
                reactivation: false,
                key: 0,
            },
        );
        CallDecision {
            granted: true,
            confirmation_id: Some(cid),
            reasons: vec!["granted by the fake desk".into()],
            short_reason: None,
        }
    }
    fn hand_over(&self, _: &str, _: &str, _: &[String], _: Option<&str>, _: &[String]) {}
}

#[test]
fn a_hundred_calls_at_once_on_one_engine_give_the_same_transcripts_as_alone() {
    let (voice, _) = voice::load_language(&VoiceSource::BuiltIn, "en").unwrap();
    let engine = Engine::new(
        Arc::new(voice),
        Grammars::builtin().unwrap(),
        FlowConfig::default(),
    );
    let callers: Vec<Caller> = (0..100u64)
        .map(|n| {
            let key = actline::keys::ProductKey::issue(b"k", KeyKind::Mak, n);
            let iid = InstallationId::new(
                201,
                &key,
                actline::fingerprint::HardwareHash::default(),
                2500,
            );
            let text: String = iid.to_string().replace('-', "");
            // Vary the calls: some hang up early, some type a wrong digit.
            let cut = if n % 7 == 0 { 20 } else { text.len() };
            let mut keys: Vec<(u64, char)> = text
                .chars()
                .take(cut)
                .enumerate()
                .map(|(i, c)| (1000 + i as u64 * 300 + n, c))
                .collect();
            if n % 5 == 0 {
                keys[3].1 = if keys[3].1 == '9' {
                    '0'
                } else {
                    (keys[3].1 as u8 + 1) as char
                };
            }
            // Those who stop typing hang up soon after.
            let hangup_ms = if cut < text.len() {
                1000 + cut as u64 * 300 + 500
            } else {
                120_000 + n * 10
            };
            Caller { keys, hangup_ms }
        })
        .collect();
    let alone: Vec<String> = callers
        .iter()
        .enumerate()
        .map(|(i, c)| {
            serde_json::to_string(&engine.run(&format!("call-{i}"), c, &FakeDesk).0).unwrap()
        })
        .collect();
    let together: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = callers
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let e = &engine;
                s.spawn(move || {
                    serde_json::to_string(&e.run(&format!("call-{i}"), c, &FakeDesk).0).unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(alone, together);
    // The runner never sends the flow an event it does not expect.
    assert!(alone.iter().all(|t| !t.contains("\"unexpected\"")));
    assert!(alone
        .iter()
        .any(|t| t.contains("\"outcome\":\"activated\"")));
    assert!(alone
        .iter()
        .any(|t| t.contains("\"outcome\":\"abandoned\"")));
}

/// A scripted caller: the groups a second apart from 1 s, then `after`.
fn timeline(iid: &str, after: &str) -> String {
    let mut t = String::from("1s");
    for g in iid.split('-') {
        t.push_str(&format!(" {g} 1s"));
    }
    format!("{t} {after}")
}

/// A call from a key timeline through the real binary, with `extra` arguments.
fn dtmf_call(
    env: &Env,
    name: &str,
    script: &str,
    extra: &[&str],
) -> (std::process::Output, serde_json::Value) {
    let tr = env.dir.path().join(format!("{name}.json"));
    let mut args = vec![
        "ivr",
        "--dtmf",
        script,
        "--transcript",
        tr.to_str().unwrap(),
        "--call",
        name,
    ];
    args.extend_from_slice(extra);
    let o = env.vendor(&args);
    let v = std::fs::read(&tr)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(serde_json::Value::Null);
    (o, v)
}

#[test]
fn a_vendor_who_swaps_menu_keys_in_the_grammar_gets_the_swapped_menu() {
    let env = Env::demo();
    let iid = notes_iid(&env, "5");
    // "#" during the readout goes to the menu, and "2" answers it.
    let script = timeline(&iid, "3s # 2 90s");

    // Shipped grammar: 2 finishes; the IVR says goodbye and hangs up.
    let (o, v) = dtmf_call(&env, "shipped", &script, &[]);
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(v["outcome"], "activated", "{v:#}");
    assert_eq!(events(&v, "confirmation_id_read"), 1);
    let last = v["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["by"], "ivr", "{v:#}");

    // The vendor's grammar: 2 repeats (and 1 finishes). No code changed.
    let dir = env.dir.path().join("vendor-grammars");
    std::fs::create_dir(&dir).unwrap();
    let swapped = GrammarFile::CidMenu
        .builtin()
        .replace(r#"1 {out="repeat"}"#, r#"2 {out="repeat"}"#)
        .replace(r#"2 {out="finish"}"#, r#"1 {out="finish"}"#);
    std::fs::write(dir.join("cid_menu.gram"), swapped).unwrap();
    let (o, v) = dtmf_call(
        &env,
        "swapped",
        &script,
        &["--grammars", dir.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(v["outcome"], "activated", "{v:#}");
    assert_eq!(events(&v, "confirmation_id_read"), 2, "{v:#}");
    // The files it does not have come from the built-in set, and it says so.
    assert!(
        err(&o).contains("no agent.gram, using the built-in one"),
        "{}",
        err(&o)
    );
}

#[test]
fn a_grammar_lacking_a_required_tag_is_refused_before_the_call() {
    let env = Env::demo();
    let dir = env.dir.path().join("g");
    std::fs::create_dir(&dir).unwrap();
    let menu = dir.join("cid_menu.gram");
    std::fs::write(
        &menu,
        "#ABNF 1.0;\nmode dtmf;\nroot $m;\npublic $m = 1 {out=\"repeat\"} | 2 {out=\"finish\"} | 3 {out=\"check\"};\n",
    )
    .unwrap();
    let o = bin()
        .env("ACTLINE_GRAMMARS", &dir)
        .arg("--home")
        .arg(env.home())
        .args(["ivr", "--dtmf", "2s 30s"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    let e = err(&o);
    assert_eq!(e.lines().count(), 1, "{e}");
    assert!(
        e.contains(&menu.display().to_string()) && e.contains("the tag \"agent\""),
        "{e}"
    );
}

#[test]
fn talk_off_no_digits_from_any_voice_pack_speech() {
    for lang in ["en", "de", "fr"] {
        let (v, _) = voice::load_language(&VoiceSource::BuiltIn, lang).unwrap();
        let mut plan = voice::Plan::new();
        for p in voice::Prompt::ALL {
            plan = plan.then(voice::Plan::prompt(*p)).pause(300);
        }
        let cid: Vec<String> = (0..20)
            .map(|g| format!("{:07}", g * 1_234_567 % 10_000_000))
            .collect();
        plan =
            plan.then(voice::Plan::confirmation_id(&cid, &voice::PlanOptions::default()).unwrap());
        let speech = v.render(&plan, &voice::RenderOptions::default());
        let heard = dtmf::decode_all(&speech, 8000).unwrap();
        assert!(
            heard.is_empty(),
            "{lang}: digits heard in speech: {}",
            dtmf::keys_of(&heard)
        );
    }
}

#[test]
fn clipped_caller_audio_still_gives_every_digit() {
    // +6 dBm0 per tone: thousands of samples hit full scale.
    let o = GenOptions {
        level_dbm0: 6.0,
        tone_ms: 100,
        gap_ms: 100,
        ..GenOptions::default()
    };
    let audio = dtmf::generate("0123456789*#", &o).unwrap();
    assert!(
        audio
            .iter()
            .filter(|s| **s == i16::MAX || **s == i16::MIN)
            .count()
            > 1000
    );
    assert_eq!(
        dtmf::keys_of(&dtmf::decode_all(&audio, 8000).unwrap()),
        "0123456789*#"
    );
}

#[test]
fn a_call_taken_twenty_milliseconds_at_a_time_sounds_and_reads_as_the_same_call_run_at_once() {
    use actline::ivr::call::Outward;
    let (voice, _) = voice::load_language(&VoiceSource::BuiltIn, "en").unwrap();
    let engine = Engine::new(
        Arc::new(voice),
        Grammars::builtin().unwrap(),
        FlowConfig::default(),
    );
    let key = actline::keys::ProductKey::issue(b"k", KeyKind::Mak, 7);
    let iid = InstallationId::new(
        201,
        &key,
        actline::fingerprint::HardwareHash::default(),
        2500,
    );
    // Keys on 20 ms boundaries (the live driver's tick), one typed during a
    // prompt (barge-in), the caller hanging up at 100 s.
    let keys: Vec<(u64, char)> = iid
        .to_string()
        .replace('-', "")
        .chars()
        .enumerate()
        .map(|(i, c)| (1_000 + i as u64 * 280, c))
        .collect();
    let caller = Caller {
        keys: keys.clone(),
        hangup_ms: 100_000,
    };
    let (at_once, audio_at_once) = engine.run("c", &caller, &FakeDesk);

    let mut call = engine.answer("c");
    let mut audio = Vec::new();
    let mut next = 0;
    let mut t = 0u64;
    while t < caller.hangup_ms && !call.is_done() {
        t += 20;
        while next < keys.len() && keys[next].0 <= t {
            call.key(keys[next].0, keys[next].1);
            next += 1;
        }
        call.at(t);
        for out in call.take_outward() {
            if let Outward::Decide(iid) = out {
                call.decided(t, FakeDesk.decide("c", &iid));
            }
        }
        audio.extend(call.take_audio(t));
    }
    if !call.is_done() {
        call.hang_up(caller.hangup_ms);
    }
    let (live, rest) = call.finish(caller.hangup_ms);
    audio.extend(rest);
    assert_eq!(live.outcome, at_once.outcome);
    assert_eq!(live.confirmation_id, at_once.confirmation_id);
    assert!(live.confirmation_id.is_some());
    let n = audio_at_once.len().min(audio.len());
    assert!(n > 8_000 * 30, "{n} samples");
    assert_eq!(
        audio[..n],
        audio_at_once[..n],
        "the same samples at the same times"
    );
}

/// Where `prompt` began and how long it played, from a transcript.
fn played(v: &serde_json::Value, prompt: &str) -> (u64, u64) {
    let e = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["event"] == "prompt_played" && e["prompt"] == prompt)
        .unwrap_or_else(|| panic!("no {prompt} in {v:#}"));
    (
        e["t_ms"].as_u64().unwrap(),
        e["duration_ms"].as_u64().unwrap(),
    )
}

#[test]
fn a_call_from_audio_uses_every_readout_control_and_the_read_back_check() {
    let env = Env::demo();
    let iid = notes_iid(&env, "5");
    let groups: Vec<&str> = iid.split('-').collect();
    let typed = typing(&groups);
    // A first call to learn when the readout starts and how long its first
    // group is; the same installation ID again gets the same confirmation ID.
    let (o, first, _) = call(&env, "first", &typed, 120_000);
    assert!(o.status.success(), "{}", err(&o));
    let cid = first["confirmation_id"].as_str().unwrap().to_string();
    let (start, intro) = played(&first, "confirmation_id");
    let (_, group_1) = played(&first, "cid_group_1");

    // The second call: every control during the readout, then the check.
    let mut runs = typed.clone();
    let mut at = start + 1000; // in the intro: repeat (reads group 1)
    assert!(intro > 1500);
    runs.push((at, "1".into()));
    at += 100 + group_1 + 1000; // in group 2: back to group 1
    runs.push((at, "4".into()));
    at += 1000; // pause, and 3 s later go on
    runs.push((at, "2".into()));
    at += 3000;
    runs.push((at, "2".into()));
    at += 1000; // start over, then the menu
    runs.push((at, "7".into()));
    at += 1000;
    runs.push((at, "#".into()));
    at += 1000; // the check: every group, the second wrong once
    runs.push((at, "3".into()));
    let cid_groups: Vec<&str> = cid.split('-').collect();
    let mut wrong = cid_groups[1].to_string();
    wrong.replace_range(0..1, if wrong.starts_with('9') { "8" } else { "9" });
    let mut keyed: Vec<String> = vec![cid_groups[0].into(), wrong.clone()];
    keyed.extend(cid_groups[1..].iter().map(|g| g.to_string()));
    for g in &keyed {
        at += 1500;
        runs.push((at, g.clone()));
        at += g.len() as u64 * 200;
    }
    at += 1500; // finish
    runs.push((at, "2".into()));
    let (o, v, _) = call(&env, "controls", &runs, at + 15_000);
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(v["outcome"], "activated", "{v:#}");
    assert_eq!(v["confirmation_id"], cid.as_str());
    let evs = v["events"].as_array().unwrap();
    let controls: Vec<(String, u64)> = evs
        .iter()
        .filter(|e| e["event"] == "readout_control")
        .map(|e| {
            (
                e["control"].as_str().unwrap().to_string(),
                e["group"].as_u64().unwrap(),
            )
        })
        .collect();
    let want: Vec<(String, u64)> = [
        ("repeat_group", 1),
        ("back", 1),
        ("pause", 1),
        ("resume", 1),
        ("start_over", 1),
        ("menu", 1),
    ]
    .iter()
    .map(|(c, g)| (c.to_string(), *g))
    .collect();
    assert_eq!(controls, want, "{v:#}");
    let checks: Vec<(u64, String, bool)> = evs
        .iter()
        .filter(|e| e["event"] == "read_back")
        .map(|e| {
            (
                e["group"].as_u64().unwrap(),
                e["typed"].as_str().unwrap().to_string(),
                e["right"].as_bool().unwrap(),
            )
        })
        .collect();
    let mut expected = vec![(1, cid_groups[0].to_string(), true), (2, wrong, false)];
    expected.extend(
        cid_groups[1..]
            .iter()
            .enumerate()
            .map(|(i, g)| (i as u64 + 2, g.to_string(), true)),
    );
    assert_eq!(checks, expected, "{v:#}");
    assert_eq!(
        v["events"].as_array().unwrap().last().unwrap()["by"],
        "ivr",
        "{v:#}"
    );
}
