//! The play key: the confirmation ID read aloud by the voice module. The
//! voice pack is loaded once, on the first play; the readout is rendered in
//! memory and written as a WAV file, which a player command plays where the
//! machine has audio (`--player`, `ACTLINE_PLAYER`, e.g. `aplay -q {}`; or
//! the first of pw-play, paplay, aplay, play found when a sound device
//! exists). Otherwise the desk shows the WAV's path.

use actline::voice::{
    load_language, readout, write_wav, OutputRate, RenderOptions, Voice, DEFAULT_VOICES_DIR,
};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Reads confirmation IDs aloud.
pub struct Speaker {
    voices: PathBuf,
    player: Option<String>,
    voice: Option<Voice>,
    played: u32,
}

impl Speaker {
    /// A speaker using the packs under `voices` (default: the packs shipped
    /// with actline) and `player` (default: detected).
    pub fn new(player: Option<String>, voices: Option<PathBuf>) -> Self {
        Self {
            voices: voices.unwrap_or_else(|| PathBuf::from(DEFAULT_VOICES_DIR)),
            player: player.filter(|p| !p.trim().is_empty()),
            voice: None,
            played: 0,
        }
    }

    /// Says `cid`; returns what happened, in words for the screen.
    pub fn play(&mut self, cid: &str) -> Result<String, String> {
        if self.voice.is_none() {
            let (voice, _warnings) =
                load_language(&self.voices, "en").map_err(|e| e.to_string())?;
            self.voice = Some(voice);
        }
        let voice = self.voice.as_ref().expect("loaded above");
        let plan = readout(cid).map_err(|e| e.to_string())?;
        let opts = RenderOptions {
            rate: OutputRate::Hz16000,
            ..RenderOptions::default()
        };
        let samples = voice.render(&plan, &opts);
        let hz = voice.output_hz(opts.rate);
        self.played += 1;
        let path = std::env::temp_dir().join(format!(
            "actline-cid-{}-{}.wav",
            std::process::id(),
            self.played
        ));
        write_wav(&path, &samples, hz).map_err(|e| e.to_string())?;
        let seconds = samples.len() as f64 / f64::from(hz.max(1));
        match self.player.clone().or_else(detect_player) {
            Some(cmd) => {
                spawn(&cmd, &path)?;
                Ok(format!(
                    "playing the confirmation ID ({seconds:.0} s) through `{cmd}`; also saved as {}",
                    path.display()
                ))
            }
            None => Ok(format!(
                "no audio here: the readout ({seconds:.0} s) is saved as {}",
                path.display()
            )),
        }
    }
}

/// A player for this machine, when it has a sound device.
fn detect_player() -> Option<String> {
    if !Path::new("/dev/snd").exists() && std::env::var_os("PULSE_SERVER").is_none() {
        return None;
    }
    let path = std::env::var_os("PATH")?;
    ["pw-play {}", "paplay {}", "aplay -q {}", "play -q {}"]
        .into_iter()
        .find(|cmd| {
            let exe = cmd.split(' ').next().unwrap_or_default();
            std::env::split_paths(&path).any(|d| d.join(exe).is_file())
        })
        .map(str::to_string)
}

/// Runs `cmd` with `{}` replaced by the file (or the file appended), in the
/// background, silent, reaped by a thread.
fn spawn(cmd: &str, file: &Path) -> Result<(), String> {
    let quoted = format!("'{}'", file.display().to_string().replace('\'', r"'\''"));
    let line = if cmd.contains("{}") {
        cmd.replace("{}", &quoted)
    } else {
        format!("{cmd} {quoted}")
    };
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(&line)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run the player `{cmd}`: {e}"))?;
    std::thread::spawn(move || {
        let _ = child.wait();
    });
    Ok(())
}
