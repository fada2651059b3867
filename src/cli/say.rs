//! `actline say` (read a confirmation ID or an IVR prompt to an audio file) and
//! `actline voices` (list the installed voice packs).
//!
//! Every failure is a [`VoiceError`] (wrapped in `anyhow`) with a one-line message;
//! the caller maps it to exit code 2.

pub use super::args::{SayArgs, VoicesArgs};
use actline::display::visible;
use std::io::Write;

use actline::voice::{
    encode, list_voices, load_language, parse_groups, OutputFormat, OutputRate, Plan, PlanOptions,
    Prompt, RenderOptions, VoiceError, VoiceSource,
};

/// What `say` is asked to speak, checked before any audio is loaded.
enum Utterance {
    Id(Vec<String>),
    Prompt(Prompt),
}

/// A confirmation ID typed without separators, split into its profile's
/// groups when its length is one profile's (140 digits signed, 48 compact);
/// anything else as typed.
fn grouped(typed: &str) -> String {
    use actline::confirm::{COMPACT_LAYOUT, SIGNED_LAYOUT};
    let digits = typed.trim();
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return typed.to_string();
    }
    [SIGNED_LAYOUT, COMPACT_LAYOUT]
        .into_iter()
        .find(|l| digits.len() == l.groups * l.group_len)
        .map(|l| {
            digits
                .as_bytes()
                .chunks(l.group_len)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect::<Vec<_>>()
                .join("-")
        })
        .unwrap_or_else(|| typed.to_string())
}

/// Runs `actline say`: checks the input, loads the voice, renders, and writes
/// the file. Warnings (prompts borrowed from English) and a summary go to stderr.
pub fn run(args: &SayArgs) -> anyhow::Result<()> {
    let rate: OutputRate = args.rate.parse()?;
    let format: OutputFormat = args.format.parse()?;
    let opts = RenderOptions::new(rate, args.pace)?;
    let utterance = match &args.prompt {
        Some(name) => Utterance::Prompt(name.parse()?),
        None => Utterance::Id(parse_groups(&grouped(&args.id.join("-")))?),
    };
    // Reject G.711 at 16 kHz before loading any audio ("native" is checked by
    // `encode` once the pack's rate is known).
    if format != OutputFormat::Wav && rate == OutputRate::Hz16000 {
        return Err(VoiceError::G711Rate {
            format: format.to_string(),
            rate: 16000,
        }
        .into());
    }

    let source = VoiceSource::from_dir(args.voices.clone());
    let (voice, warnings) = load_language(&source, &args.voice)?;
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    let plan = match &utterance {
        Utterance::Prompt(p) => Plan::prompt(*p),
        Utterance::Id(groups) => {
            let plan_opts = PlanOptions {
                intro: args.intro,
                ..PlanOptions::default()
            };
            Plan::confirmation_id(groups, &plan_opts)?
        }
    };
    let samples = voice.render(&plan, &opts);
    let hz = voice.output_hz(rate);
    let bytes = encode(format, &samples, hz)?;
    super::stdio::write(&args.out, &bytes)?;
    eprintln!(
        "{}: {} {} Hz, {:.1} s, voice {}: {}",
        super::stdio::name(&args.out, "stdout").display(),
        match format {
            OutputFormat::Wav => "16-bit PCM WAV",
            OutputFormat::Ulaw => "raw G.711 mu-law",
            OutputFormat::Alaw => "raw G.711 A-law",
        },
        hz,
        samples.len() as f64 / f64::from(hz.max(1)),
        voice.language(),
        voice.transcript(&plan),
    );
    Ok(())
}

/// Runs `actline voices`: one line per installed pack (language, name, rate,
/// units, prompts covered, status), or JSON with `--json`.
pub fn run_voices(args: &VoicesArgs) -> anyhow::Result<()> {
    let source = VoiceSource::from_dir(args.voices.clone());
    let infos = list_voices(&source)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&infos)?)?;
        return Ok(());
    }
    if infos.is_empty() {
        writeln!(out, "no voice packs in {}", visible(&source.to_string()))?;
        return Ok(());
    }
    let total = actline::voice::PROMPTS.len();
    writeln!(
        out,
        "{:<6} {:<28} {:>6} {:>5} {:>7}  STATUS",
        "LANG", "NAME", "RATE", "UNITS", "PROMPTS"
    )?;
    for i in &infos {
        let status = match (&i.problem, i.missing_prompts.is_empty()) {
            (Some(p), _) => format!("BROKEN: {p}"),
            (None, true) => "ok".to_string(),
            (None, false) => format!("ok; from English: {}", i.missing_prompts.join(", ")),
        };
        // Pack names and problems come from files anyone can edit.
        let status = visible(&status);
        writeln!(
            out,
            "{:<6} {:<28} {:>6} {:>5} {:>7}  {status}",
            visible(&i.language),
            visible(&i.name),
            i.rate,
            i.units,
            format!("{}/{total}", i.prompts_covered),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use actline::audio::wav;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(subcommand)]
        cmd: Cmd,
    }

    #[derive(clap::Subcommand)]
    enum Cmd {
        Say(SayArgs),
        Voices(VoicesArgs),
    }

    fn say(args: &[&str]) -> anyhow::Result<()> {
        let mut argv = vec!["actline", "say"];
        argv.extend_from_slice(args);
        match Cli::try_parse_from(argv)?.cmd {
            Cmd::Say(a) => run(&a),
            Cmd::Voices(_) => unreachable!(),
        }
    }

    fn voice_error(r: anyhow::Result<()>) -> String {
        let e = r.expect_err("should fail");
        assert!(
            e.downcast_ref::<VoiceError>().is_some(),
            "not a VoiceError: {e:#}"
        );
        let msg = format!("{e:#}");
        assert!(!msg.contains('\n'), "multi-line: {msg}");
        msg
    }

    #[test]
    fn an_id_typed_without_separators_is_split_by_its_profile() {
        let signed = "1234567".repeat(20);
        assert_eq!(grouped(&signed), ["1234567"; 20].join("-"));
        let compact = "123456".repeat(8);
        assert_eq!(grouped(&compact), ["123456"; 8].join("-"));
        // Other lengths and grouped IDs stay as typed.
        assert_eq!(grouped("12345"), "12345");
        assert_eq!(grouped("123-456"), "123-456");
    }

    #[test]
    fn writes_wav_ulaw_alaw_and_prompts() {
        let dir = tempfile::tempdir().unwrap();
        let p = |n: &str| dir.path().join(n).to_str().unwrap().to_string();
        say(&["123-45", "--out", &p("a.wav")]).unwrap();
        let r = wav::read(p("a.wav")).unwrap();
        assert_eq!(r.spec(), wav::Spec::mono16(8000));
        assert!(r.frames() > 8000);

        say(&[
            "123",
            "45",
            "--voice",
            "de",
            "--rate",
            "16000",
            "--out",
            &p("b.wav"),
        ])
        .unwrap();
        assert_eq!(wav::read(p("b.wav")).unwrap().spec().rate, 16000);

        say(&["123-45", "--format", "ulaw", "--out", &p("c.ulaw")]).unwrap();
        say(&[
            "123-45",
            "--format",
            "alaw",
            "--pace",
            "0.7",
            "--out",
            &p("c.alaw"),
        ])
        .unwrap();
        let u = std::fs::metadata(p("c.ulaw")).unwrap().len();
        let a = std::fs::metadata(p("c.alaw")).unwrap().len();
        assert!(a > u, "slower pace must be longer ({a} vs {u})");
        // One byte per sample: same length as the 8 kHz WAV's data.
        assert_eq!(u, wav::read(p("a.wav")).unwrap().frames() as u64);

        say(&[
            "--prompt",
            "welcome",
            "--voice",
            "fr",
            "--rate",
            "native",
            "--out",
            &p("w.wav"),
        ])
        .unwrap();
        assert_eq!(wav::read(p("w.wav")).unwrap().spec().rate, 16000);
    }

    #[test]
    fn bad_input_is_one_clear_line() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("x.wav");
        let out = out.to_str().unwrap();
        let m = voice_error(say(&["12A4-5678", "--out", out]));
        assert!(m.contains("'A'") && m.contains("group 1"), "{m}");
        let m = voice_error(say(&["1234", "--voice", "xx", "--out", out]));
        assert!(
            m.contains("unknown voice 'xx'") && m.contains("de, en, fr"),
            "{m}"
        );
        let m = voice_error(say(&["--prompt", "hello", "--out", out]));
        assert!(m.contains("unknown prompt 'hello'"), "{m}");
        let m = voice_error(say(&["1234", "--format", "mp3", "--out", out]));
        assert!(m.contains("unknown format 'mp3'"), "{m}");
        let m = voice_error(say(&["1234", "--rate", "44100", "--out", out]));
        assert!(m.contains("unsupported rate"), "{m}");
        let m = voice_error(say(&["1234", "--pace", "9", "--out", out]));
        assert!(m.contains("pace"), "{m}");
        let m = voice_error(say(&[
            "1234", "--format", "ulaw", "--rate", "16000", "--out", out,
        ]));
        assert!(m.contains("8000 Hz only"), "{m}");
        let m = voice_error(say(&[
            "1234",
            "--voices",
            "/nonexistent/voices",
            "--out",
            out,
        ]));
        assert!(m.contains("/nonexistent/voices"), "{m}");
        let m = format!(
            "{:#}",
            say(&["1234", "--out", "/nonexistent/dir/x.wav"]).unwrap_err()
        );
        assert!(m.contains("cannot write /nonexistent/dir/x.wav"), "{m}");
        assert!(!std::path::Path::new(out).exists(), "no file on error");
        // Neither an ID nor a prompt, or both: clap's usage error.
        assert!(say(&["--out", out]).is_err());
        assert!(say(&["1234", "--prompt", "welcome", "--out", out]).is_err());
    }

    #[test]
    fn voices_lists_packs() {
        let args = VoicesArgs {
            voices: None,
            json: false,
        };
        run_voices(&args).unwrap();
        run_voices(&VoicesArgs { json: true, ..args }).unwrap();
        let e = run_voices(&VoicesArgs {
            voices: Some("/nonexistent".into()),
            json: false,
        })
        .unwrap_err();
        assert!(e.downcast_ref::<VoiceError>().is_some());
    }
}
