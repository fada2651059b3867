//! The play key: the confirmation ID read aloud by the voice module. The
//! voice pack is loaded once, on the first play; the readout is rendered in
//! memory and written as a WAV file, which a player command plays where the
//! machine has audio (`--player`, `ACTLINE_PLAYER`, e.g. `aplay -q {}`; or
//! the first of pw-play, paplay, aplay, play found when a sound device
//! exists). Otherwise the desk shows the WAV's path.
//!
//! The WAV files go into a private directory made on the first play: a
//! fresh random name under the temporary directory, mode 0700, created
//! exclusively (an existing path, symlink or not, is never reused). Each file
//! in it is created exclusively with mode 0600, so a file or symlink another
//! local user planted is never followed or overwritten.

use actline_voice::{
    encode_wav, load_language, readout, OutputRate, RenderOptions, Voice, VoiceSource,
};
use std::fs::{DirBuilder, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Reads confirmation IDs aloud.
pub struct Speaker {
    voices: VoiceSource,
    player: Option<String>,
    /// The pack's language.
    language: String,
    voice: Option<Voice>,
    played: u32,
    /// The private directory for the WAV files, made on the first play.
    scratch: Option<PathBuf>,
}

impl Speaker {
    /// A speaker using the packs under `voices` (default: the packs built
    /// into actline) and `player` (default: detected).
    pub fn new(player: Option<String>, voices: Option<PathBuf>) -> Self {
        Self {
            voices: VoiceSource::from_dir(voices),
            player: player.filter(|p| !p.trim().is_empty()),
            language: "en".into(),
            voice: None,
            played: 0,
            scratch: None,
        }
    }

    /// Reads with the pack of `language` (English by default).
    pub fn speaking(mut self, language: &str) -> Self {
        self.language = language.to_string();
        self.voice = None;
        self
    }

    /// Says `cid`; returns what happened, in words for the screen.
    pub fn play(&mut self, cid: &str) -> Result<String, String> {
        if self.voice.is_none() {
            let (voice, _warnings) =
                load_language(&self.voices, &self.language).map_err(|e| e.to_string())?;
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
        let wav = encode_wav(&samples, hz).map_err(|e| e.to_string())?;
        let dir = match &self.scratch {
            Some(d) => d.clone(),
            None => {
                let d = private_dir(&std::env::temp_dir())?;
                self.scratch = Some(d.clone());
                d
            }
        };
        self.played += 1;
        let path = dir.join(format!("cid-{}.wav", self.played));
        write_new_private(&path, &wav)?;
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

/// Makes a new directory under `parent` with a random name, mode 0700,
/// and returns its path. `mkdir` fails on any existing path, a symlink
/// included, so the directory is always one this process just made; its
/// mode is checked anyway.
pub fn private_dir(parent: &Path) -> Result<PathBuf, String> {
    for _ in 0..16 {
        let mut rnd = [0u8; 12];
        getrandom::fill(&mut rnd)
            .map_err(|e| format!("no randomness for a temporary name: {e}"))?;
        let dir = parent.join(format!("actline-play-{}", actline_engine::home::hex(&rnd)));
        match DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => {
                let meta = std::fs::symlink_metadata(&dir)
                    .map_err(|e| format!("{}: {e}", dir.display()))?;
                if !meta.is_dir() || meta.permissions().mode() & 0o777 != 0o700 {
                    return Err(format!("{}: not a private directory", dir.display()));
                }
                return Ok(dir);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(format!("{}: {e}", dir.display())),
        }
    }
    Err(format!(
        "{}: could not make a private directory",
        parent.display()
    ))
}

/// Writes `bytes` to a file that must not exist yet (`O_CREAT | O_EXCL`,
/// which never follows a symlink), mode 0600.
pub fn write_new_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let fail = |e: std::io::Error| format!("{}: {e}", path.display());
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(fail)?;
    f.write_all(bytes).map_err(fail)
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
