//! Module tests: pack coverage, plan goldens, rendering, loading errors, output.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::*;
use actline_audio::{g711, wav};

/// The packs in the source tree, the ones built into the binary.
fn packs_root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../samples/voices"))
}

fn source(root: &Path) -> VoiceSource {
    VoiceSource::Dir(root.to_path_buf())
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

fn unit(id: &str) -> Step {
    Step::Unit(id.parse().unwrap())
}

// ---------------------------------------------------------------- vocabulary

#[test]
fn prompt_list_matches_enum_and_ids_round_trip() {
    assert_eq!(PROMPTS.len(), Prompt::ALL.len());
    for (p, id) in Prompt::ALL.iter().zip(PROMPTS) {
        assert_eq!(p.id(), *id);
        assert_eq!(id.parse::<Prompt>().unwrap(), *p);
    }
    let unique: HashSet<_> = PROMPTS.iter().collect();
    assert_eq!(unique.len(), PROMPTS.len());
    let all: Vec<UnitId> = UnitId::all().collect();
    assert_eq!(all.len(), 10 + MAX_GROUPS + PROMPTS.len());
    for id in &all {
        assert_eq!(id.to_string().parse::<UnitId>().unwrap(), *id);
    }
    assert_eq!(UnitId::digit(7).unwrap().to_string(), "digit_7");
    assert_eq!(UnitId::group(20).unwrap().to_string(), "group_20");
    assert_eq!(UnitId::group(3).unwrap().kind(), UnitKind::Group(3));
    assert!(
        UnitId::group(0).is_none() && UnitId::group(21).is_none() && UnitId::digit(10).is_none()
    );
    for bad in [
        "digit_10", "digit_01", "digit_", "digit_-1", "group_0", "group_21", "group_+1",
        "group_05", "Welcome", "",
    ] {
        assert!(bad.parse::<UnitId>().is_err(), "{bad} should be rejected");
    }
}

#[test]
fn every_pack_covers_every_prompt_digit_and_ordinal() {
    let root = packs_root();
    let mut english_digits = Vec::new();
    for lang in ["en", "de", "fr"] {
        let dir = root.join(lang);
        let manifest = Manifest::read(&dir).unwrap_or_else(|e| panic!("{lang}: {e}"));
        let ids: HashSet<UnitId> = manifest
            .units
            .iter()
            .map(|u| u.id.parse().unwrap())
            .collect();
        for id in UnitId::all() {
            assert!(ids.contains(&id), "pack {lang} lacks {id}");
        }
        for p in PROMPTS {
            assert!(
                manifest
                    .units
                    .iter()
                    .any(|u| u.id == *p && !u.text.trim().is_empty()),
                "{lang}: {p}"
            );
        }
        // Loads strictly: every file present, mono 16-bit at the manifest rate, audible.
        let voice = Voice::load(&dir).unwrap_or_else(|e| panic!("{lang}: {e}"));
        assert_eq!(voice.language(), lang);
        assert_eq!(voice.rate(), 16_000);
        assert!(voice.borrowed().is_empty());
        // Own digit words, own ordinals.
        let digits: Vec<String> = (0..10)
            .map(|d| voice.text(UnitId::digit(d).unwrap()).to_string())
            .collect();
        let unique: HashSet<_> = digits.iter().collect();
        assert_eq!(unique.len(), 10, "{lang}: digit words must differ");
        if lang == "en" {
            english_digits = digits;
        } else {
            assert_ne!(
                digits, english_digits,
                "{lang} must have its own digit words"
            );
        }
        // Ordinals never spell a digit or a letter-number ("group 1", "A").
        for n in 1..=MAX_GROUPS {
            let text = voice.text(UnitId::group(n).unwrap());
            assert!(
                !text.chars().any(|c| c.is_ascii_digit()),
                "{lang} group_{n}: {text}"
            );
        }
        for id in UnitId::all() {
            assert!(
                voice.unit_samples(id, OutputRate::Hz8000).len() > 800,
                "{lang} {id} too short"
            );
        }
    }
    let infos = list_voices(&source(&root)).unwrap();
    let langs: Vec<&str> = infos.iter().map(|i| i.language.as_str()).collect();
    assert!(
        ["de", "en", "fr"].iter().all(|l| langs.contains(l)),
        "{langs:?}"
    );
    for i in &infos {
        assert_eq!(i.problem, None, "{}", i.language);
        assert_eq!(i.prompts_covered, PROMPTS.len());
        assert!(i.missing_prompts.is_empty() && i.missing_required.is_empty());
    }
}

#[test]
fn packs_stay_small() {
    let mut total = 0u64;
    for lang in ["en", "de", "fr"] {
        for e in std::fs::read_dir(packs_root().join(lang)).unwrap() {
            total += e.unwrap().metadata().unwrap().len();
        }
    }
    // 6.6 MB until the readout's controls and the read-back check added
    // their prompts (about 0.6 MB a language, most of it the key hint).
    assert!(total < 9_500_000, "voice packs take {total} bytes");
}

// ---------------------------------------------------------------- plans

#[test]
fn golden_plan_short_cid() {
    let plan = Plan::confirmation_id(&s(&["123", "45"]), &PlanOptions::default()).unwrap();
    let expected = vec![
        unit("group_1"),
        Step::Pause(300),
        unit("digit_1"),
        Step::Pause(250),
        unit("digit_2"),
        Step::Pause(250),
        unit("digit_3"),
        Step::Pause(700),
        unit("group_2"),
        Step::Pause(300),
        unit("digit_4"),
        Step::Pause(250),
        unit("digit_5"),
    ];
    assert_eq!(plan.steps(), expected.as_slice());
    assert_eq!(
        plan.to_string(),
        "group_1 300ms digit_1 250ms digit_2 250ms digit_3 700ms group_2 300ms digit_4 250ms digit_5"
    );
    assert_eq!(plan.total_pause_ms(), 300 + 250 + 250 + 700 + 300 + 250);
}

#[test]
fn golden_plan_variants() {
    let intro = PlanOptions {
        intro: true,
        ..PlanOptions::default()
    };
    assert_eq!(
        Plan::confirmation_id(&["07"], &intro).unwrap().to_string(),
        "your_cid_is 700ms group_1 300ms digit_0 250ms digit_7"
    );
    let bare = PlanOptions {
        announce_groups: false,
        digit_pause_ms: 200,
        group_pause_ms: 600,
        ..PlanOptions::default()
    };
    assert_eq!(
        Plan::confirmation_id(&["12", "3"], &bare)
            .unwrap()
            .to_string(),
        "digit_1 200ms digit_2 600ms digit_3"
    );
    assert_eq!(
        Plan::digits("909", &PlanOptions::default())
            .unwrap()
            .to_string(),
        "digit_9 250ms digit_0 250ms digit_9"
    );
    assert_eq!(
        Plan::enter_group(1).unwrap().to_string(),
        "enter_first_group"
    );
    assert_eq!(
        Plan::enter_group(2).unwrap().to_string(),
        "enter_group 120ms group_2 120ms enter_group_end"
    );
    assert_eq!(
        Plan::enter_group(20).unwrap().to_string(),
        "enter_group 120ms group_20 120ms enter_group_end"
    );
    assert!(matches!(
        Plan::enter_group(0),
        Err(VoiceError::InvalidGroup { number: 0 })
    ));
    assert!(matches!(
        Plan::enter_group(21),
        Err(VoiceError::InvalidGroup { number: 21 })
    ));
    assert_eq!(Plan::prompt(Prompt::Goodbye).to_string(), "goodbye");
    let chained = Plan::prompt(Prompt::GroupInvalid)
        .pause(400)
        .then(Plan::prompt(Prompt::EnterGroupAgain));
    assert_eq!(chained.to_string(), "group_invalid 400ms enter_group_again");
    // A full signed ID: 20 groups of 7 digits.
    let groups: Vec<String> = (0..20)
        .map(|g| format!("{:07}", g * 1234567 % 9999999))
        .collect();
    let plan = Plan::confirmation_id(&groups, &PlanOptions::default()).unwrap();
    assert_eq!(
        plan.steps()
            .iter()
            .filter(|s| matches!(s, Step::Unit(_)))
            .count(),
        20 * 8
    );
    assert_eq!(plan.steps().len(), 20 * 8 + 20 * 7 + 19);
}

#[test]
fn id_parsing_rules() {
    assert_eq!(
        parse_groups("123456-789012").unwrap(),
        s(&["123456", "789012"])
    );
    assert_eq!(
        parse_groups("  123 456\t789 ").unwrap(),
        s(&["123", "456", "789"])
    );
    assert_eq!(parse_groups("123 - 456").unwrap(), s(&["123", "456"]));
    assert_eq!(parse_groups("-123-456-").unwrap(), s(&["123", "456"]));
    assert_eq!(parse_groups("123.456").unwrap(), s(&["123", "456"]));
    assert_eq!(parse_groups("１２３ 456").unwrap(), s(&["123", "456"]));
    let cases: &[(&str, &str)] = &[
        ("12a4-5678", "group 1: 'a' at column 3 is not a digit"),
        ("1234-56H8", "group 2: 'H' at column 8 is not a digit"),
        ("", "no digit groups"),
        (" - ", "no digit groups"),
        ("١٢٣", "is not a digit"),
        ("12\u{7}3", "'\\u{7}' at column 3"),
    ];
    for (input, want) in cases {
        let e = parse_groups(input).unwrap_err();
        let msg = e.to_string();
        assert!(matches!(e, VoiceError::InvalidId { .. }), "{input}: {msg}");
        assert!(msg.contains(want), "{input:?}: '{msg}' lacks '{want}'");
        assert!(!msg.contains('\n'));
    }
    let many = vec!["1"; 21].join("-");
    assert!(parse_groups(&many)
        .unwrap_err()
        .to_string()
        .contains("21 groups"));
    assert!(parse_groups(&"9".repeat(33))
        .unwrap_err()
        .to_string()
        .contains("33 digits"));
    assert!(Plan::digits(&"1".repeat(65), &PlanOptions::default()).is_err());
    assert!(Plan::digits("", &PlanOptions::default()).is_err());
    assert!(Plan::confirmation_id::<&str>(&[], &PlanOptions::default()).is_err());
}

// ---------------------------------------------------------------- synthetic packs

const RATE: u32 = 16_000;
const FRAME: usize = 160; // 10 ms at 16 kHz

/// Length of the synthetic recording of unit number `i` (whole 10 ms frames).
fn synth_len(i: usize) -> usize {
    (20 + i) * FRAME
}

/// A steady tone, so trimming keeps it whole; amplitude varies per unit so
/// loudness normalisation has work to do.
fn synth_unit(i: usize, rate: u32) -> Vec<i16> {
    let n = synth_len(i) * rate as usize / RATE as usize;
    let amp = [0.05, 0.2, 0.8][i % 3] * 32767.0;
    let f = 300.0 + 20.0 * i as f64;
    (0..n)
        .map(|k| (amp * (2.0 * std::f64::consts::PI * f * k as f64 / f64::from(rate)).sin()) as i16)
        .collect()
}

/// Writes `samples` in `spec`, every channel a copy of the one signal.
fn write_wav_spec(path: &Path, spec: wav::Spec, samples: &[i16]) {
    let frames: Vec<i16> = samples
        .iter()
        .flat_map(|&x| std::iter::repeat_n(x, usize::from(spec.channels)))
        .collect();
    wav::write(path, &spec, &frames).unwrap();
}

fn mono16(rate: u32) -> wav::Spec {
    wav::Spec::mono16(rate)
}

/// Writes a synthetic pack `root/<lang>` covering every unit except `skip`.
fn synth_pack(root: &Path, lang: &str, rate: u32, skip: &[&str]) -> PathBuf {
    let dir = root.join(lang);
    std::fs::create_dir_all(&dir).unwrap();
    let mut units = Vec::new();
    for (i, id) in UnitId::all().enumerate() {
        let name = id.to_string();
        if skip.contains(&name.as_str()) {
            continue;
        }
        let file = format!("{name}.wav");
        write_wav_spec(&dir.join(&file), mono16(rate), &synth_unit(i, rate));
        units.push(ManifestUnit {
            id: name.clone(),
            text: format!("{lang} {name}"),
            file,
        });
    }
    let m = Manifest {
        language: lang.into(),
        name: format!("test {lang}"),
        rate,
        generator: None,
        units,
    };
    std::fs::write(
        dir.join("manifest.json"),
        serde_json::to_string_pretty(&m).unwrap(),
    )
    .unwrap();
    dir
}

fn edit_manifest(dir: &Path, f: impl FnOnce(&mut Manifest)) {
    let path = dir.join("manifest.json");
    let mut m: Manifest = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    f(&mut m);
    std::fs::write(path, serde_json::to_string(&m).unwrap()).unwrap();
}

fn rms_db(x: &[i16]) -> f64 {
    let s: f64 = x.iter().map(|&v| f64::from(v) * f64::from(v)).sum();
    20.0 * ((s / x.len() as f64).sqrt() / 32768.0).log10()
}

#[test]
fn golden_render_of_a_short_cid() {
    let tmp = tempfile::tempdir().unwrap();
    let voice = Voice::load(synth_pack(tmp.path(), "en", RATE, &[])).unwrap();
    let plan = Plan::confirmation_id(&s(&["12", "3"]), &PlanOptions::default()).unwrap();
    let idx = |id: &str| id.parse::<UnitId>().unwrap().index();
    let len = |id: &str| synth_len(idx(id));
    let ms = |m: usize| m * 16;

    let native = RenderOptions {
        rate: OutputRate::Native,
        pace: 1.0,
    };
    let out = voice.render(&plan, &native);
    // Exact layout: unit, pause, unit... with pause lengths at 16 kHz.
    let layout: Vec<(Option<&str>, usize)> = vec![
        (Some("group_1"), len("group_1")),
        (None, ms(300)),
        (Some("digit_1"), len("digit_1")),
        (None, ms(250)),
        (Some("digit_2"), len("digit_2")),
        (None, ms(700)),
        (Some("group_2"), len("group_2")),
        (None, ms(300)),
        (Some("digit_3"), len("digit_3")),
    ];
    assert_eq!(out.len(), layout.iter().map(|(_, n)| n).sum::<usize>());
    assert_eq!(out.len(), voice.rendered_len(&plan, &native));
    let mut at = 0;
    for (id, n) in layout {
        let chunk = &out[at..at + n];
        match id {
            Some(id) => {
                let expect = voice.unit_samples(id.parse().unwrap(), OutputRate::Native);
                assert_eq!(chunk, expect, "{id} at {at}");
                // Faded edges, audible middle.
                assert!(
                    chunk[0].abs() < 50 && chunk[n - 1].abs() < 50,
                    "{id} not faded"
                );
            }
            None => assert!(chunk.iter().all(|&x| x == 0), "pause at {at}"),
        }
        at += n;
    }

    // 8 kHz: every unit halves exactly; pace 0.5 doubles the pauses.
    let slow = RenderOptions {
        rate: OutputRate::Hz8000,
        pace: 0.5,
    };
    let out8 = voice.render(&plan, &slow);
    let units8: usize = ["group_1", "digit_1", "digit_2", "group_2", "digit_3"]
        .iter()
        .map(|u| len(u) / 2)
        .sum();
    let pauses8 = (300 + 250 + 700 + 300) * 2 * 8;
    assert_eq!(out8.len(), units8 + pauses8);
    assert_eq!(voice.output_hz(OutputRate::Hz8000), 8000);

    // Out-of-range paces are clamped or ignored, never a panic.
    for pace in [0.0, -1.0, f32::NAN, f32::INFINITY, 100.0] {
        let o = RenderOptions {
            rate: OutputRate::Hz8000,
            pace,
        };
        assert_eq!(voice.render(&plan, &o).len(), voice.rendered_len(&plan, &o));
    }
    assert!(RenderOptions::new(OutputRate::Hz8000, 0.1).is_err());
    assert!(RenderOptions::new(OutputRate::Hz8000, f32::NAN).is_err());
    assert!(RenderOptions::new(OutputRate::Hz8000, 0.7).is_ok());
    // Huge pauses are capped.
    let p = Plan::new().pause(u32::MAX);
    assert_eq!(voice.render(&p, &RenderOptions::default()).len(), 80_000);
    assert!(voice
        .render(&Plan::new(), &RenderOptions::default())
        .is_empty());
    assert_eq!(
        voice.transcript(&plan),
        "en group_1 en digit_1 en digit_2, en group_2 en digit_3"
    );
}

#[test]
fn loudness_is_normalized_across_units() {
    let tmp = tempfile::tempdir().unwrap();
    let voice = Voice::load(synth_pack(tmp.path(), "en", RATE, &[])).unwrap();
    // digit_0/1/2 were recorded at 0.05, 0.2 and 0.8 of full scale.
    for rate in [OutputRate::Native, OutputRate::Hz8000, OutputRate::Hz16000] {
        let levels: Vec<f64> = (0..3)
            .map(|d| {
                let x = voice.unit_samples(UnitId::digit(d).unwrap(), rate);
                rms_db(&x[x.len() / 4..x.len() * 3 / 4])
            })
            .collect();
        for l in &levels {
            assert!((l - -20.0).abs() < 0.3, "{rate}: {levels:?}");
        }
        for id in UnitId::all() {
            let peak = voice
                .unit_samples(id, rate)
                .iter()
                .map(|x| i32::from(*x).abs())
                .max()
                .unwrap();
            assert!(peak < 32767, "{id} clips");
        }
    }
}

#[test]
fn real_voice_reads_a_full_signed_id() {
    let voice = Voice::load(packs_root().join("en")).unwrap();
    let groups: Vec<String> = (0..20)
        .map(|g| format!("{:07}", (g * 7_654_321 + 1_234_567) % 10_000_000))
        .collect();
    let plan = Plan::confirmation_id(&groups, &PlanOptions::default()).unwrap();
    let out = voice.render(&plan, &RenderOptions::default());
    let secs = out.len() as f64 / 8000.0;
    assert!((40.0..200.0).contains(&secs), "{secs} s");
    let peak = out.iter().map(|x| i32::from(*x).abs()).max().unwrap();
    assert!(peak > 8000 && peak < 32767, "peak {peak}");
    assert!(voice.transcript(&plan).starts_with("first group "));
    let slow = voice.render(
        &plan,
        &RenderOptions {
            rate: OutputRate::Hz8000,
            pace: 0.7,
        },
    );
    assert!(slow.len() > out.len());
    let wide = voice.render(
        &plan,
        &RenderOptions {
            rate: OutputRate::Hz16000,
            pace: 1.0,
        },
    );
    assert!((wide.len() as i64 - 2 * out.len() as i64).abs() < 200);
}

// ---------------------------------------------------------------- loading

/// Breaks a fresh synthetic pack with `f` and returns the load error message.
fn broken(f: impl FnOnce(&Path)) -> (VoiceError, String) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = synth_pack(tmp.path(), "en", RATE, &[]);
    f(&dir);
    let e = Voice::load(&dir).expect_err("load should fail");
    let msg = e.to_string();
    assert!(!msg.contains('\n'), "multi-line: {msg}");
    (e, msg)
}

#[test]
fn loading_is_all_or_nothing_with_clear_errors() {
    let (e, m) = broken(|d| std::fs::remove_file(d.join("digit_3.wav")).unwrap());
    assert!(
        matches!(e, VoiceError::UnitFile { .. }) && m.contains("digit_3.wav"),
        "{m}"
    );

    let (e, m) = broken(|d| std::fs::write(d.join("welcome.wav"), "not audio").unwrap());
    assert!(
        matches!(e, VoiceError::UnitFile { .. })
            && m.contains("welcome.wav")
            && m.contains("not a usable WAV"),
        "{m}"
    );

    let (_, m) = broken(|d| std::fs::write(d.join("welcome.wav"), [0u8; 0]).unwrap());
    assert!(m.contains("welcome.wav"), "{m}");

    let (e, m) = broken(|d| {
        let spec = wav::Spec {
            channels: 2,
            ..mono16(RATE)
        };
        write_wav_spec(&d.join("goodbye.wav"), spec, &synth_unit(1, RATE));
    });
    assert!(matches!(e, VoiceError::UnitFormat { .. }), "{m}");
    assert!(
        m.contains("goodbye.wav")
            && m.contains("stereo 16-bit PCM at 16000 Hz")
            && m.contains("expected mono 16-bit PCM at 16000 Hz"),
        "{m}"
    );

    let (_, m) = broken(|d| {
        let spec = wav::Spec {
            bits: 8,
            ..mono16(RATE)
        };
        write_wav_spec(&d.join("digit_0.wav"), spec, &synth_unit(1, RATE));
    });
    assert!(
        m.contains("digit_0.wav") && m.contains("mono 8-bit PCM"),
        "{m}"
    );

    let (_, m) = broken(|d| {
        let spec = wav::Spec {
            bits: 32,
            encoding: wav::Encoding::Float,
            ..mono16(RATE)
        };
        write_wav_spec(&d.join("digit_0.wav"), spec, &synth_unit(1, RATE));
    });
    assert!(m.contains("mono 32-bit float"), "{m}");

    let (_, m) = broken(|d| {
        write_wav_spec(
            &d.join("group_4.wav"),
            mono16(22_050),
            &synth_unit(1, 22_050),
        )
    });
    assert!(m.contains("group_4.wav") && m.contains("22050 Hz"), "{m}");

    let (e, m) = broken(|d| write_wav_spec(&d.join("digit_9.wav"), mono16(RATE), &[0i16; 4000]));
    assert!(
        matches!(e, VoiceError::SilentUnit { .. }) && m.contains("digit_9.wav"),
        "{m}"
    );

    let (_, m) = broken(|d| {
        write_wav_spec(
            &d.join("digit_9.wav"),
            mono16(RATE),
            &vec![100i16; 31 * 16_000],
        )
    });
    assert!(m.contains("31.0 s long"), "{m}");

    let (e, m) = broken(|d| std::fs::write(d.join("manifest.json"), "{\"language\": ").unwrap());
    assert!(
        matches!(e, VoiceError::Manifest { .. }) && m.contains("manifest.json"),
        "{m}"
    );

    let (_, m) = broken(|d| edit_manifest(d, |m| m.units[0].id = "digit_x".into()));
    assert!(m.contains("unknown unit id 'digit_x'"), "{m}");

    let (_, m) = broken(|d| {
        edit_manifest(d, |m| {
            let u = m.units[5].clone();
            m.units.push(u);
        })
    });
    assert!(m.contains("listed twice"), "{m}");

    for evil in ["../en/digit_1.wav", "/etc/passwd", "", "./x/../../y.wav"] {
        let (_, m) = broken(|d| edit_manifest(d, |m| m.units[1].file = evil.into()));
        assert!(m.contains("relative path inside the pack"), "{evil}: {m}");
    }

    let (_, m) = broken(|d| edit_manifest(d, |m| m.language = "de".into()));
    assert!(m.contains("does not match the pack directory 'en'"), "{m}");

    let (_, m) = broken(|d| edit_manifest(d, |m| m.rate = 12_345));
    assert!(m.contains("rate 12345"), "{m}");

    let (e, m) = broken(|d| {
        edit_manifest(d, |m| {
            m.units.retain(|u| u.id != "goodbye" && u.id != "digit_4")
        })
    });
    assert!(matches!(e, VoiceError::MissingUnits { .. }), "{m}");
    assert_eq!(m, "voice 'en' lacks required units: digit_4, goodbye");
}

#[test]
fn missing_prompts_fall_back_to_english_and_say_so() {
    let tmp = tempfile::tempdir().unwrap();
    let en = Voice::load(synth_pack(tmp.path(), "en", RATE, &[])).unwrap();
    // An 8 kHz German pack without two prompts.
    let de_dir = synth_pack(tmp.path(), "de", 8000, &["goodbye", "reason_seats"]);
    assert!(matches!(
        Voice::load(&de_dir),
        Err(VoiceError::MissingUnits { .. })
    ));
    let (de, warnings) = Voice::load_with_fallback(&de_dir, &en).unwrap();
    let w: Vec<String> = warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        w,
        vec![
            "voice 'de' has no recording of prompt 'reason_seats'; using the 'en' one",
            "voice 'de' has no recording of prompt 'goodbye'; using the 'en' one",
        ]
    );
    let goodbye = UnitId::prompt(Prompt::Goodbye);
    assert_eq!(de.borrowed().len(), 2);
    assert_eq!(de.text(goodbye), "en goodbye");
    assert_eq!(
        de.unit_samples(goodbye, OutputRate::Hz8000),
        en.unit_samples(goodbye, OutputRate::Hz8000)
    );
    assert_eq!(
        de.unit_samples(goodbye, OutputRate::Native),
        en.unit_samples(goodbye, OutputRate::Hz8000)
    );
    let out = de.render(
        &Plan::prompt(Prompt::Goodbye),
        &RenderOptions {
            rate: OutputRate::Hz16000,
            pace: 1.0,
        },
    );
    assert_eq!(out, en.unit_samples(goodbye, OutputRate::Hz16000));

    // Digits and ordinals are never borrowed.
    let fr_dir = synth_pack(tmp.path(), "fr", RATE, &["digit_7", "group_20"]);
    let m = Voice::load_with_fallback(&fr_dir, &en)
        .unwrap_err()
        .to_string();
    assert_eq!(m, "voice 'fr' lacks required units: digit_7, group_20");

    // The set loads English first, then the rest; one broken pack fails the set.
    std::fs::remove_dir_all(&fr_dir).unwrap();
    let set = VoiceSet::load(&source(tmp.path())).unwrap();
    assert_eq!(set.languages().collect::<Vec<_>>(), vec!["de", "en"]);
    assert_eq!(set.warnings().len(), 2);
    assert_eq!(set.get("de").unwrap().rate(), 8000);
    assert!(matches!(
        set.get("xx"),
        Err(VoiceError::UnknownVoice { .. })
    ));
    let (de2, w2) = load_language(&source(tmp.path()), "de").unwrap();
    assert_eq!((de2.language(), w2.len()), ("de", 2));

    // list_voices reports coverage and problems without failing.
    let bad = synth_pack(tmp.path(), "it", RATE, &["digit_2"]);
    std::fs::write(bad.join("welcome.wav"), "junk").unwrap();
    let infos = list_voices(&source(tmp.path())).unwrap();
    let by = |l: &str| infos.iter().find(|i| i.language == l).unwrap().clone();
    assert_eq!(by("de").missing_prompts, s(&["reason_seats", "goodbye"]));
    assert_eq!(by("de").prompts_covered, PROMPTS.len() - 2);
    assert_eq!(by("de").problem, None);
    assert_eq!(by("it").missing_required, s(&["digit_2"]));
    assert!(by("it").problem.unwrap().contains("welcome.wav"));
    assert!(VoiceSet::load(&source(tmp.path()))
        .unwrap_err()
        .to_string()
        .contains("welcome.wav"));
}

#[test]
fn voice_lookup() {
    let root = packs_root();
    let (v, w) = load_language(&source(&root), "fr").unwrap();
    assert_eq!(v.language(), "fr");
    assert!(w.is_empty());
    for bad in ["xx", "../en", "en/", ""] {
        let e = load_language(&source(&root), bad).unwrap_err();
        assert!(matches!(e, VoiceError::UnknownVoice { .. }), "{bad}: {e}");
        assert!(e.to_string().contains("de, en, fr"));
    }
    let e = load_language(&source(Path::new("/nonexistent/voices")), "en").unwrap_err();
    assert!(
        matches!(e, VoiceError::VoicesDir { .. }) && e.to_string().contains("/nonexistent/voices")
    );
    let set = VoiceSet::load(&source(&root)).unwrap();
    assert!(set.warnings().is_empty());
    assert_eq!(set.english().language(), "en");
}

#[test]
fn the_built_in_packs_are_the_source_trees_packs() {
    let built_in = VoiceSource::BuiltIn;
    assert_eq!(VoiceSource::from_dir(None), built_in);
    assert_eq!(built_in.to_string(), "the built-in voice packs");
    let infos = list_voices(&built_in).unwrap();
    let langs: Vec<&str> = infos.iter().map(|i| i.language.as_str()).collect();
    assert_eq!(langs, ["de", "en", "fr"]);
    for i in &infos {
        assert_eq!(i.problem, None, "{}", i.language);
        assert_eq!(i.dir, Path::new("<built-in>").join(&i.language));
    }
    for lang in ["en", "de", "fr"] {
        let (mine, w) = load_language(&built_in, lang).unwrap();
        assert!(w.is_empty(), "{lang}: {w:?}");
        let (theirs, _) = load_language(&source(&packs_root()), lang).unwrap();
        assert_eq!(mine.dir(), Path::new("<built-in>").join(lang));
        assert_eq!(mine.name(), theirs.name());
        for id in UnitId::all() {
            assert_eq!(mine.text(id), theirs.text(id), "{lang} {id}");
            for rate in [OutputRate::Hz8000, OutputRate::Hz16000, OutputRate::Native] {
                assert_eq!(
                    mine.unit_samples(id, rate),
                    theirs.unit_samples(id, rate),
                    "{lang} {id} {rate}"
                );
            }
        }
    }
    let e = load_language(&built_in, "xx").unwrap_err().to_string();
    assert_eq!(e, "unknown voice 'xx' (installed: de, en, fr)");
    let set = VoiceSet::load(&built_in).unwrap();
    assert_eq!(set.languages().collect::<Vec<_>>(), ["de", "en", "fr"]);
}

// ---------------------------------------------------------------- output

#[test]
fn wav_output_reads_back() {
    // (SoX reads it too: soxi_reads_a_rendered_wav.)
    let samples: Vec<i16> = (0..8000)
        .map(|i| ((i as f64 * 0.1).sin() * 10_000.0) as i16)
        .collect();
    let bytes = encode_wav(&samples, 8000).unwrap();
    let r = wav::parse(&bytes).unwrap();
    assert_eq!(r.spec(), mono16(8000));
    assert_eq!(r.to_i16(), samples);

    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("x.wav");
    write_wav(&path, &samples, 16_000).unwrap();
    assert_eq!(wav::read(&path).unwrap().spec().rate, 16_000);
    assert_eq!(
        encode(OutputFormat::Ulaw, &samples, 8000).unwrap(),
        g711::encode_ulaw(&samples)
    );
    assert_eq!(
        encode(OutputFormat::Alaw, &samples, 8000).unwrap(),
        g711::encode_alaw(&samples)
    );
    let e = encode(OutputFormat::Alaw, &samples, 16_000).unwrap_err();
    assert_eq!(
        e.to_string(),
        "alaw output is 8000 Hz only (asked for 16000 Hz); use --rate 8000 or --format wav"
    );
    let e = write_wav(&tmp.path().join("no/such/dir.wav"), &samples, 8000).unwrap_err();
    assert!(matches!(e, VoiceError::Output { .. }));
    assert_eq!("ULAW".parse::<OutputFormat>().unwrap(), OutputFormat::Ulaw);
    assert_eq!("native".parse::<OutputRate>().unwrap(), OutputRate::Native);
    assert_eq!("16k".parse::<OutputRate>().unwrap(), OutputRate::Hz16000);
    assert!("mp3".parse::<OutputFormat>().is_err() && "44100".parse::<OutputRate>().is_err());
}

/// Runs a command if the tool is installed; `None` (with a message) otherwise.
fn tool(cmd: &str, args: &[&str]) -> Option<std::process::Output> {
    match std::process::Command::new(cmd).args(args).output() {
        Ok(o) => Some(o),
        Err(e) => {
            eprintln!("skipping: {cmd} not available ({e}); apt-get install sox to run this check");
            None
        }
    }
}

#[test]
fn soxi_reads_a_rendered_wav() {
    let tmp = tempfile::tempdir().unwrap();
    let voice = Voice::load(packs_root().join("en")).unwrap();
    let plan = Plan::confirmation_id(&s(&["123456", "789012"]), &PlanOptions::default()).unwrap();
    let samples = voice.render(&plan, &RenderOptions::default());
    let path = tmp.path().join("cid.wav");
    write_wav(&path, &samples, 8000).unwrap();
    let Some(out) = tool("soxi", &[path.to_str().unwrap()]) else {
        return;
    };
    assert!(
        out.status.success(),
        "soxi failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Channels       : 1"), "{text}");
    assert!(text.contains("Sample Rate    : 8000"), "{text}");
    assert!(text.contains("Precision      : 16-bit"), "{text}");
    assert!(text.contains("16-bit Signed Integer PCM"), "{text}");
    assert!(
        text.contains(&format!("= {} samples", samples.len())),
        "{text}"
    );
}

#[test]
fn sox_agrees_with_our_g711() {
    // Every 16-bit value, encoded by us, decoded by SoX: must equal our decoder.
    let tmp = tempfile::tempdir().unwrap();
    let all: Vec<i16> = (i16::MIN..=i16::MAX).collect();
    for (kind, bytes, decode) in [
        (
            "ul",
            g711::encode_ulaw(&all),
            g711::ulaw_to_linear as fn(u8) -> i16,
        ),
        (
            "al",
            g711::encode_alaw(&all),
            g711::alaw_to_linear as fn(u8) -> i16,
        ),
    ] {
        let input = tmp.path().join(format!("x.{kind}"));
        let output = tmp.path().join(format!("x.{kind}.s16"));
        std::fs::write(&input, &bytes).unwrap();
        let args = [
            "-t",
            kind,
            "-r",
            "8000",
            "-c",
            "1",
            input.to_str().unwrap(),
            "-t",
            "s16",
            "-L",
            output.to_str().unwrap(),
        ];
        let Some(out) = tool("sox", &args) else {
            return;
        };
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let raw = std::fs::read(&output).unwrap();
        let sox: Vec<i16> = raw
            .chunks_exact(2)
            .map(|c| i16::from_le_bytes([c[0], c[1]]))
            .collect();
        let ours: Vec<i16> = bytes.iter().map(|&b| decode(b)).collect();
        assert_eq!(sox, ours, "{kind}");
    }
}

#[test]
fn voices_are_shareable_across_call_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Voice>();
    assert_send_sync::<VoiceSet>();
    assert_send_sync::<Plan>();
    assert_send_sync::<VoiceError>();
}
