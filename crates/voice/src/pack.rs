//! Voice packs: manifest, all-or-nothing loading, English fallback, rendering.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use actline_audio::resample::{to_i16, Resampler};
use actline_audio::wav;
use serde::{Deserialize, Serialize};

use crate::dsp;
use crate::plan::MAX_PAUSE_MS;
use crate::units::UNIT_COUNT;
use crate::{OutputRate, Plan, RenderOptions, Step, UnitId, UnitKind, VoiceError, PROMPTS};

/// Sample rates a pack's WAV files may have (all units of a pack share one rate).
pub const PACK_RATES: &[u32] = &[8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000];
/// Longest recording a unit may be, in seconds.
pub const MAX_UNIT_SECONDS: u32 = 30;
/// The language whose prompts other packs borrow when they lack one. Its pack
/// must be complete.
pub const FALLBACK_LANGUAGE: &str = "en";

const MANIFEST_FILE: &str = "manifest.json";
const MAX_MANIFEST_BYTES: u64 = 1 << 20;
/// The name built-in packs go by in messages and [`Voice::dir`]: `<built-in>/en`.
pub const BUILT_IN_ROOT: &str = "<built-in>";

/// A built-in pack's files: (file name, contents), sorted by name.
type BuiltInFiles = &'static [(&'static str, &'static [u8])];

/// The table `build.rs` writes.
mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin_voices.rs"));
}

/// Where voice packs come from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum VoiceSource {
    /// The packs compiled into actline from `samples/voices/` at build time
    /// (English, German, French): an installed binary needs no files. The
    /// default.
    #[default]
    BuiltIn,
    /// The packs under a directory, `DIR/<language>/manifest.json` and its
    /// WAV files (`--voices DIR`, `ACTLINE_VOICES`).
    Dir(PathBuf),
}

impl VoiceSource {
    /// [`VoiceSource::Dir`] when a directory is given, else the built-in packs.
    pub fn from_dir(dir: Option<PathBuf>) -> VoiceSource {
        dir.map_or(VoiceSource::BuiltIn, VoiceSource::Dir)
    }
}

impl fmt::Display for VoiceSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VoiceSource::BuiltIn => f.write_str("the built-in voice packs"),
            VoiceSource::Dir(d) => write!(f, "{}", d.display()),
        }
    }
}

/// One pack's files: a directory, or a built-in table.
#[derive(Debug, Clone)]
enum PackDir {
    Fs(PathBuf),
    BuiltIn(&'static str, BuiltInFiles),
}

impl PackDir {
    /// The directory, or `<built-in>/LANG`: what messages name.
    fn path(&self) -> PathBuf {
        match self {
            PackDir::Fs(d) => d.clone(),
            PackDir::BuiltIn(lang, _) => Path::new(BUILT_IN_ROOT).join(lang),
        }
    }

    fn built_in(&self, name: &str) -> std::io::Result<&'static [u8]> {
        match self {
            PackDir::BuiltIn(_, files) => files
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, b)| *b)
                .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound)),
            PackDir::Fs(_) => Err(std::io::Error::from(std::io::ErrorKind::NotFound)),
        }
    }

    fn size(&self, name: &str) -> std::io::Result<u64> {
        match self {
            PackDir::Fs(d) => std::fs::metadata(d.join(name)).map(|m| m.len()),
            PackDir::BuiltIn(..) => self.built_in(name).map(|b| b.len() as u64),
        }
    }

    fn read(&self, name: &str) -> std::io::Result<Cow<'static, [u8]>> {
        match self {
            PackDir::Fs(d) => std::fs::read(d.join(name)).map(Cow::Owned),
            PackDir::BuiltIn(..) => self.built_in(name).map(Cow::Borrowed),
        }
    }

    fn has_manifest(&self) -> bool {
        match self {
            PackDir::Fs(d) => d.join(MANIFEST_FILE).is_file(),
            PackDir::BuiltIn(..) => self.built_in(MANIFEST_FILE).is_ok(),
        }
    }
}

/// A pack's `manifest.json`.
///
/// ```json
/// {"language": "en", "name": "English (flite rms)", "rate": 16000,
///  "units": [{"id": "digit_0", "text": "zero", "file": "digit_0.wav"}, ...]}
/// ```
///
/// `language` must equal the pack's directory name; `rate` must be one of
/// [`PACK_RATES`] and every file must be mono 16-bit PCM WAV at that rate; ids are
/// [`UnitId`]s (each at most once); files are relative paths inside the pack.
/// Unknown fields (such as `generator`) are kept for people and ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Language code, e.g. `en`; the pack's directory name and `--voice` value.
    pub language: String,
    /// Human-readable name, e.g. "English (flite rms)".
    pub name: String,
    /// Sample rate of every unit file, in Hz.
    pub rate: u32,
    /// How the recordings were made (informational).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generator: Option<String>,
    /// The recorded units.
    pub units: Vec<ManifestUnit>,
}

/// One recorded unit in a [`Manifest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestUnit {
    /// Unit id, e.g. `digit_7`, `group_3`, `welcome`.
    pub id: String,
    /// What the recording says.
    pub text: String,
    /// The WAV file, relative to the pack directory.
    pub file: String,
}

impl Manifest {
    /// Reads and checks `dir/manifest.json` (not the audio files). Errors with
    /// [`VoiceError::Manifest`] naming the file.
    pub fn read(dir: &Path) -> Result<Manifest, VoiceError> {
        Manifest::read_pack(&PackDir::Fs(dir.to_path_buf()))
    }

    fn read_pack(pack: &PackDir) -> Result<Manifest, VoiceError> {
        let path = pack.path().join(MANIFEST_FILE);
        let bad = |reason: String| VoiceError::Manifest {
            path: path.clone(),
            reason,
        };
        let len = pack.size(MANIFEST_FILE).map_err(|e| bad(e.to_string()))?;
        if len > MAX_MANIFEST_BYTES {
            return Err(bad(format!("larger than {MAX_MANIFEST_BYTES} bytes")));
        }
        let bytes = pack.read(MANIFEST_FILE).map_err(|e| bad(e.to_string()))?;
        let text = std::str::from_utf8(&bytes).map_err(|e| bad(e.to_string()))?;
        let manifest: Manifest = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
        manifest.check(&path)?;
        Ok(manifest)
    }

    /// Checks the manifest's own rules (see the type docs), returning each unit's
    /// parsed id.
    fn check(&self, path: &Path) -> Result<Vec<UnitId>, VoiceError> {
        let bad = |reason: String| VoiceError::Manifest {
            path: path.to_path_buf(),
            reason,
        };
        let lang_ok = !self.language.is_empty()
            && self.language.len() <= 32
            && self
                .language
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !lang_ok {
            return Err(bad(format!(
                "language '{}' must be a short code like 'en' or 'pt-BR'",
                self.language.escape_default()
            )));
        }
        let dir_name = path
            .parent()
            .and_then(Path::file_name)
            .and_then(|n| n.to_str());
        if let Some(dir_name) = dir_name {
            if dir_name != self.language {
                return Err(bad(format!(
                    "language '{}' does not match the pack directory '{dir_name}'",
                    self.language
                )));
            }
        }
        if !PACK_RATES.contains(&self.rate) {
            return Err(bad(format!(
                "rate {} is not one of {PACK_RATES:?}",
                self.rate
            )));
        }
        let mut seen = [false; UNIT_COUNT];
        let mut ids = Vec::with_capacity(self.units.len());
        for unit in &self.units {
            let id: UnitId = unit
                .id
                .parse()
                .map_err(|_| bad(format!("unknown unit id '{}'", unit.id.escape_default())))?;
            if std::mem::replace(&mut seen[id.index()], true) {
                return Err(bad(format!("unit id '{id}' is listed twice")));
            }
            let rel = Path::new(&unit.file);
            let safe = !unit.file.is_empty()
                && rel.components().all(|c| matches!(c, Component::Normal(_)));
            if !safe {
                return Err(bad(format!(
                    "unit '{id}' file '{}' must be a relative path inside the pack",
                    unit.file.escape_default()
                )));
            }
            ids.push(id);
        }
        Ok(ids)
    }
}

/// A decoded, validated pack before conditioning.
struct RawPack {
    dir: PathBuf,
    manifest: Manifest,
    /// (id, text, file path, samples) in manifest order.
    units: Vec<(UnitId, String, PathBuf, Vec<i16>)>,
}

fn load_raw(pack: &PackDir) -> Result<RawPack, VoiceError> {
    let manifest = Manifest::read_pack(pack)?;
    let dir = pack.path();
    let ids = manifest.check(&dir.join(MANIFEST_FILE))?;
    let mut units = Vec::with_capacity(ids.len());
    for (id, unit) in ids.into_iter().zip(&manifest.units) {
        let samples = read_unit_wav(pack, &unit.file, manifest.rate)?;
        units.push((id, unit.text.clone(), dir.join(&unit.file), samples));
    }
    Ok(RawPack {
        dir,
        manifest,
        units,
    })
}

/// Reads a unit file, insisting on mono 16-bit integer PCM at `rate`.
fn read_unit_wav(pack: &PackDir, file: &str, rate: u32) -> Result<Vec<i16>, VoiceError> {
    let path = pack.path().join(file);
    let unreadable = |reason: String| VoiceError::UnitFile {
        path: path.clone(),
        reason,
    };
    // Refuse absurd files before reading them (no unit is near this size).
    let max_bytes = 1024 + 2 * u64::from(MAX_UNIT_SECONDS) * u64::from(rate) * 8;
    let len = pack.size(file).map_err(|e| unreadable(e.to_string()))?;
    if len > max_bytes {
        return Err(VoiceError::UnitFormat {
            path,
            found: format!("a {len}-byte file"),
            expected: format!("a mono 16-bit recording of at most {MAX_UNIT_SECONDS} s"),
        });
    }
    let bytes = pack.read(file).map_err(|e| unreadable(e.to_string()))?;
    let audio = wav::parse(&bytes).map_err(|e| unreadable(e.to_string()))?;
    let spec = audio.spec();
    if !spec.is_mono16() || spec.rate != rate {
        return Err(VoiceError::UnitFormat {
            path,
            found: spec.to_string(),
            expected: format!("mono 16-bit PCM at {rate} Hz"),
        });
    }
    let frames = audio.frames();
    if frames as u64 > u64::from(MAX_UNIT_SECONDS) * u64::from(rate) {
        return Err(VoiceError::UnitFormat {
            path,
            found: format!("{:.1} s long", frames as f64 / f64::from(rate)),
            expected: format!("at most {MAX_UNIT_SECONDS} s"),
        });
    }
    Ok(audio.to_i16())
}

/// Trims, normalises and fades every unit of a raw pack (native rate, f32).
fn condition(raw: &RawPack) -> Result<Vec<(UnitId, Vec<f32>)>, VoiceError> {
    let rate = raw.manifest.rate;
    raw.units
        .iter()
        .map(|(id, _, path, samples)| {
            let mut x: Vec<f32> = samples.iter().map(|&s| f32::from(s) / 32768.0).collect();
            dsp::remove_dc(&mut x);
            let mut y = dsp::trim_silence(&x, rate).to_vec();
            if y.is_empty() {
                return Err(VoiceError::SilentUnit { path: path.clone() });
            }
            dsp::normalize(&mut y, rate);
            dsp::fade_edges(&mut y, rate);
            Ok((*id, y))
        })
        .collect()
}

/// Units at one rate, indexed by [`UnitId`] index (empty where absent).
type Table = Arc<Vec<Vec<i16>>>;

/// A prompt a pack lacks and borrowed from the fallback language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadWarning {
    /// The pack that lacks the prompt.
    pub language: String,
    /// The missing unit.
    pub unit: UnitId,
    /// Whose recording is used instead.
    pub fallback_language: String,
}

impl fmt::Display for LoadWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "voice '{}' has no recording of prompt '{}'; using the '{}' one",
            self.language, self.unit, self.fallback_language
        )
    }
}

/// A loaded voice pack, ready to render any [`Plan`] at 8 kHz, 16 kHz or its own
/// rate. Cheap to clone (audio is shared); `Send + Sync`, so an IVR loads each
/// voice once and renders from many calls.
///
/// A `Voice` covers every [`UnitId`] (digits, ordinals, all [`PROMPTS`]), so
/// rendering cannot fail.
#[derive(Debug, Clone)]
pub struct Voice {
    language: String,
    name: String,
    rate: u32,
    dir: PathBuf,
    texts: Arc<Vec<String>>,
    borrowed: Vec<UnitId>,
    native: Table,
    hz8000: Table,
    hz16000: Table,
}

impl Voice {
    /// Loads a complete pack from `dir` (a directory holding `manifest.json`).
    ///
    /// All-or-nothing: every unit file is read, checked (mono 16-bit PCM at the
    /// manifest rate, not silent) and conditioned now. Errors name the file; a pack
    /// lacking any unit fails with [`VoiceError::MissingUnits`].
    pub fn load(dir: impl AsRef<Path>) -> Result<Voice, VoiceError> {
        Voice::load_pack(&PackDir::Fs(dir.as_ref().to_path_buf()))
    }

    fn load_pack(pack: &PackDir) -> Result<Voice, VoiceError> {
        Voice::build(load_raw(pack)?, None).map(|(v, _)| v)
    }

    /// Loads a pack that may lack prompts, borrowing each missing prompt from
    /// `fallback` (normally the English voice) and returning one [`LoadWarning`]
    /// per borrowed prompt. Digits and group ordinals cannot be borrowed: a pack
    /// lacking one fails with [`VoiceError::MissingUnits`].
    pub fn load_with_fallback(
        dir: impl AsRef<Path>,
        fallback: &Voice,
    ) -> Result<(Voice, Vec<LoadWarning>), VoiceError> {
        Voice::load_pack_with_fallback(&PackDir::Fs(dir.as_ref().to_path_buf()), fallback)
    }

    fn load_pack_with_fallback(
        pack: &PackDir,
        fallback: &Voice,
    ) -> Result<(Voice, Vec<LoadWarning>), VoiceError> {
        Voice::build(load_raw(pack)?, Some(fallback))
    }

    fn build(
        raw: RawPack,
        fallback: Option<&Voice>,
    ) -> Result<(Voice, Vec<LoadWarning>), VoiceError> {
        let language = raw.manifest.language.clone();
        let rate = raw.manifest.rate;
        let mut present = [false; UNIT_COUNT];
        for (id, ..) in &raw.units {
            present[id.index()] = true;
        }
        let missing: Vec<UnitId> = UnitId::all().filter(|id| !present[id.index()]).collect();
        let fatal: Vec<String> = missing
            .iter()
            .filter(|id| id.is_required() || fallback.is_none())
            .map(ToString::to_string)
            .collect();
        if !fatal.is_empty() {
            return Err(VoiceError::MissingUnits {
                language,
                units: fatal.join(", "),
            });
        }

        let conditioned = condition(&raw)?;
        let mut texts = vec![String::new(); UNIT_COUNT];
        for (id, text, ..) in &raw.units {
            texts[id.index()] = text.clone();
        }
        let resample_all = |to: u32| -> Result<Vec<Vec<i16>>, VoiceError> {
            let r = Resampler::new(rate, to)?;
            let mut table = vec![Vec::new(); UNIT_COUNT];
            for (id, x) in &conditioned {
                table[id.index()] = to_i16(&r.process(x));
            }
            Ok(table)
        };
        let native: Table = Arc::new(resample_all(rate)?);
        let hz8000: Table = if rate == 8000 {
            native.clone()
        } else {
            Arc::new(resample_all(8000)?)
        };
        let hz16000: Table = if rate == 16000 {
            native.clone()
        } else {
            Arc::new(resample_all(16000)?)
        };

        let mut voice = Voice {
            language: language.clone(),
            name: raw.manifest.name.clone(),
            rate,
            dir: raw.dir.clone(),
            texts: Arc::new(texts),
            borrowed: Vec::new(),
            native,
            hz8000,
            hz16000,
        };
        let mut warnings = Vec::new();
        if let Some(fb) = fallback {
            if !missing.is_empty() {
                let mut native = (*voice.native).clone();
                let mut t8 = (*voice.hz8000).clone();
                let mut t16 = (*voice.hz16000).clone();
                let mut texts = (*voice.texts).clone();
                for &id in &missing {
                    let i = id.index();
                    native[i] = fb.unit_at_hz(id, rate)?;
                    t8[i] = fb.unit_samples(id, OutputRate::Hz8000).to_vec();
                    t16[i] = fb.unit_samples(id, OutputRate::Hz16000).to_vec();
                    texts[i] = fb.text(id).to_string();
                    warnings.push(LoadWarning {
                        language: language.clone(),
                        unit: id,
                        fallback_language: fb.language.clone(),
                    });
                }
                voice.hz8000 = if rate == 8000 {
                    Arc::new(native.clone())
                } else {
                    Arc::new(t8)
                };
                voice.hz16000 = if rate == 16000 {
                    Arc::new(native.clone())
                } else {
                    Arc::new(t16)
                };
                voice.native = Arc::new(native);
                voice.texts = Arc::new(texts);
                voice.borrowed = missing;
            }
        }
        Ok((voice, warnings))
    }

    /// The pack's language code (its directory name), e.g. `de`.
    pub fn language(&self) -> &str {
        &self.language
    }

    /// The pack's human-readable name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The pack's own sample rate in Hz.
    pub fn rate(&self) -> u32 {
        self.rate
    }

    /// The directory the pack was loaded from (`<built-in>/LANG` for a
    /// built-in pack).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// What a unit says (from the manifest; the fallback's text if borrowed).
    pub fn text(&self, id: UnitId) -> &str {
        self.texts.get(id.index()).map_or("", String::as_str)
    }

    /// Prompts borrowed from the fallback language at load.
    pub fn borrowed(&self) -> &[UnitId] {
        &self.borrowed
    }

    /// The conditioned samples of one unit at a rate.
    pub fn unit_samples(&self, id: UnitId, rate: OutputRate) -> &[i16] {
        self.table(rate)
            .get(id.index())
            .map_or(&[][..], Vec::as_slice)
    }

    /// A unit at an arbitrary rate (resampled from the native recording if needed).
    fn unit_at_hz(&self, id: UnitId, hz: u32) -> Result<Vec<i16>, VoiceError> {
        if hz == self.rate {
            return Ok(self.unit_samples(id, OutputRate::Native).to_vec());
        }
        if hz == 8000 {
            return Ok(self.unit_samples(id, OutputRate::Hz8000).to_vec());
        }
        if hz == 16000 {
            return Ok(self.unit_samples(id, OutputRate::Hz16000).to_vec());
        }
        Ok(actline_audio::resample::resample_i16(
            self.unit_samples(id, OutputRate::Native),
            self.rate,
            hz,
        )?)
    }

    fn table(&self, rate: OutputRate) -> &Table {
        match rate {
            OutputRate::Hz8000 => &self.hz8000,
            OutputRate::Hz16000 => &self.hz16000,
            OutputRate::Native => &self.native,
        }
    }

    /// The sample rate in Hz that [`Voice::render`] produces for `rate`.
    pub fn output_hz(&self, rate: OutputRate) -> u32 {
        rate.hz(self.rate)
    }

    /// Renders a plan to mono 16-bit samples at `opts.rate` (see
    /// [`Voice::output_hz`]): each unit's conditioned recording in turn, and for
    /// each [`Step::Pause`] `ms / pace` milliseconds of silence (ms capped at
    /// [`MAX_PAUSE_MS`], pace as in [`RenderOptions::effective_pace`]). Never fails.
    pub fn render(&self, plan: &Plan, opts: &RenderOptions) -> Vec<i16> {
        let mut out = Vec::with_capacity(self.rendered_len(plan, opts));
        self.render_into(plan, opts, &mut out);
        out
    }

    /// Like [`Voice::render`], appending to `out` (reuse a buffer across calls).
    pub fn render_into(&self, plan: &Plan, opts: &RenderOptions, out: &mut Vec<i16>) {
        let hz = self.output_hz(opts.rate);
        let pace = opts.effective_pace();
        let table = self.table(opts.rate);
        for step in plan.steps() {
            match *step {
                Step::Unit(id) => {
                    if let Some(samples) = table.get(id.index()) {
                        out.extend_from_slice(samples);
                    }
                }
                Step::Pause(ms) => out.resize(out.len() + pause_samples(ms, pace, hz), 0),
            }
        }
    }

    /// Number of samples [`Voice::render`] produces for this plan.
    pub fn rendered_len(&self, plan: &Plan, opts: &RenderOptions) -> usize {
        let hz = self.output_hz(opts.rate);
        let pace = opts.effective_pace();
        let table = self.table(opts.rate);
        plan.steps()
            .iter()
            .map(|step| match *step {
                Step::Unit(id) => table.get(id.index()).map_or(0, Vec::len),
                Step::Pause(ms) => pause_samples(ms, pace, hz),
            })
            .sum()
    }

    /// The words a plan says, for showing beside the audio (agent console, logs):
    /// unit texts joined by spaces, with a comma at pauses of 500 ms or more.
    pub fn transcript(&self, plan: &Plan) -> String {
        let mut words: Vec<String> = Vec::new();
        for step in plan.steps() {
            match *step {
                Step::Unit(id) => words.push(self.text(id).trim().to_string()),
                Step::Pause(ms) if ms >= 500 => {
                    if let Some(last) = words.last_mut() {
                        if !last.ends_with([',', '.', '?', '!']) {
                            last.push(',');
                        }
                    }
                }
                Step::Pause(_) => {}
            }
        }
        words.join(" ")
    }
}

fn pause_samples(ms: u32, pace: f32, hz: u32) -> usize {
    let ms = f64::from(ms.min(MAX_PAUSE_MS)) / f64::from(pace);
    (ms * f64::from(hz) / 1000.0).round() as usize
}

/// The packs of a source (language, pack), sorted; hidden directories and
/// directories without `manifest.json` are skipped.
fn packs(source: &VoiceSource) -> Result<Vec<(String, PackDir)>, VoiceError> {
    let root = match source {
        VoiceSource::BuiltIn => {
            return Ok(builtin::PACKS
                .iter()
                .map(|(lang, files)| (lang.to_string(), PackDir::BuiltIn(lang, files)))
                .collect())
        }
        VoiceSource::Dir(root) => root,
    };
    let entries = std::fs::read_dir(root).map_err(|error| VoiceError::VoicesDir {
        path: root.to_path_buf(),
        error,
    })?;
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|error| VoiceError::VoicesDir {
            path: root.to_path_buf(),
            error,
        })?;
        let Some(name) = entry.file_name().to_str().map(str::to_string) else {
            continue;
        };
        let pack = PackDir::Fs(entry.path());
        if name.starts_with('.') || !pack.has_manifest() {
            continue;
        }
        out.push((name, pack));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

fn unknown_voice(language: &str, packs: &[(String, PackDir)]) -> VoiceError {
    let available = if packs.is_empty() {
        "none".to_string()
    } else {
        packs
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    VoiceError::UnknownVoice {
        language: language.escape_default().to_string(),
        available,
    }
}

/// Loads one language for `actline say`: the English pack (complete,
/// strict) and, for another language, that pack with English fallback for
/// missing prompts. Errors with [`VoiceError::UnknownVoice`] when the source
/// has no pack for `language`.
pub fn load_language(
    source: &VoiceSource,
    language: &str,
) -> Result<(Voice, Vec<LoadWarning>), VoiceError> {
    let packs = packs(source)?;
    let find = |lang: &str| packs.iter().find(|(n, _)| n == lang).map(|(_, p)| p);
    let pack = find(language).ok_or_else(|| unknown_voice(language, &packs))?;
    if language == FALLBACK_LANGUAGE {
        return Voice::load_pack(pack).map(|v| (v, Vec::new()));
    }
    match find(FALLBACK_LANGUAGE) {
        Some(en) => {
            let english = Voice::load_pack(en)?;
            Voice::load_pack_with_fallback(pack, &english)
        }
        None => Voice::load_pack(pack).map(|v| (v, Vec::new())),
    }
}

/// Every pack of a source, loaded once: English first (strict, it is the
/// fallback), then every other pack with English fallback. All-or-nothing: one
/// broken pack fails the whole set, naming its file.
#[derive(Debug, Clone)]
pub struct VoiceSet {
    english: Voice,
    others: BTreeMap<String, Voice>,
    warnings: Vec<LoadWarning>,
}

impl VoiceSet {
    /// Loads every pack of `source`. Errors if a directory cannot be read,
    /// holds no English pack ([`VoiceError::UnknownVoice`]), or any pack fails
    /// to load.
    pub fn load(source: &VoiceSource) -> Result<VoiceSet, VoiceError> {
        let packs = packs(source)?;
        let en = packs
            .iter()
            .find(|(n, _)| n == FALLBACK_LANGUAGE)
            .map(|(_, p)| p)
            .ok_or_else(|| unknown_voice(FALLBACK_LANGUAGE, &packs))?;
        let english = Voice::load_pack(en)?;
        let mut others = BTreeMap::new();
        let mut warnings = Vec::new();
        for (name, pack) in packs.iter().filter(|(n, _)| n != FALLBACK_LANGUAGE) {
            let (voice, w) = Voice::load_pack_with_fallback(pack, &english)?;
            warnings.extend(w);
            others.insert(name.clone(), voice);
        }
        Ok(VoiceSet {
            english,
            others,
            warnings,
        })
    }

    /// The voice for a language, or [`VoiceError::UnknownVoice`].
    pub fn get(&self, language: &str) -> Result<&Voice, VoiceError> {
        if language == FALLBACK_LANGUAGE {
            return Ok(&self.english);
        }
        self.others
            .get(language)
            .ok_or_else(|| VoiceError::UnknownVoice {
                language: language.escape_default().to_string(),
                available: self.languages().collect::<Vec<_>>().join(", "),
            })
    }

    /// The English (fallback) voice.
    pub fn english(&self) -> &Voice {
        &self.english
    }

    /// Installed languages, sorted.
    pub fn languages(&self) -> impl Iterator<Item = &str> {
        let mut all: Vec<&str> = std::iter::once(self.english.language())
            .chain(self.others.keys().map(String::as_str))
            .collect();
        all.sort_unstable();
        all.into_iter()
    }

    /// Prompts that packs borrowed from English.
    pub fn warnings(&self) -> &[LoadWarning] {
        &self.warnings
    }
}

/// What `actline voices` shows about one installed pack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VoiceInfo {
    /// Language code (the pack directory's name).
    pub language: String,
    /// The pack directory (`<built-in>/LANG` for a built-in pack).
    pub dir: PathBuf,
    /// Human-readable name ("" if the manifest is unreadable).
    pub name: String,
    /// Native sample rate in Hz (0 if the manifest is unreadable).
    pub rate: u32,
    /// Number of units in the manifest.
    pub units: usize,
    /// How many of [`PROMPTS`] the pack records itself.
    pub prompts_covered: usize,
    /// Prompt ids the pack lacks (borrowed from English when loaded).
    pub missing_prompts: Vec<String>,
    /// Digit or ordinal ids the pack lacks (it cannot be used until recorded).
    pub missing_required: Vec<String>,
    /// Why the pack cannot be loaded, if it cannot (one line).
    pub problem: Option<String>,
}

/// Describes every pack of `source` (sorted by language), checking each fully
/// (manifest, every audio file, coverage) without failing on a broken pack: its
/// problem is reported in [`VoiceInfo::problem`]. Errors only if a directory
/// cannot be read.
pub fn list_voices(source: &VoiceSource) -> Result<Vec<VoiceInfo>, VoiceError> {
    let packs = packs(source)?;
    Ok(packs
        .into_iter()
        .map(|(name, pack)| inspect(name, &pack))
        .collect())
}

fn inspect(language: String, pack: &PackDir) -> VoiceInfo {
    let mut info = VoiceInfo {
        language,
        dir: pack.path(),
        name: String::new(),
        rate: 0,
        units: 0,
        prompts_covered: 0,
        missing_prompts: Vec::new(),
        missing_required: Vec::new(),
        problem: None,
    };
    let manifest = match Manifest::read_pack(pack) {
        Ok(m) => m,
        Err(e) => {
            info.problem = Some(e.to_string());
            return info;
        }
    };
    info.name = manifest.name.clone();
    info.rate = manifest.rate;
    info.units = manifest.units.len();
    let present: Vec<UnitId> = manifest
        .units
        .iter()
        .filter_map(|u| u.id.parse().ok())
        .collect();
    for id in UnitId::all().filter(|id| !present.contains(id)) {
        match id.kind() {
            UnitKind::Prompt(_) => info.missing_prompts.push(id.to_string()),
            _ => info.missing_required.push(id.to_string()),
        }
    }
    info.prompts_covered = PROMPTS.len() - info.missing_prompts.len();
    let checked = load_raw(pack).and_then(|raw| condition(&raw).map(|_| ()));
    info.problem = match checked {
        Err(e) => Some(e.to_string()),
        Ok(()) if !info.missing_required.is_empty() => Some(
            VoiceError::MissingUnits {
                language: info.language.clone(),
                units: info.missing_required.join(", "),
            }
            .to_string(),
        ),
        Ok(()) if info.language == FALLBACK_LANGUAGE && !info.missing_prompts.is_empty() => {
            Some(format!(
                "the fallback voice '{FALLBACK_LANGUAGE}' must record every prompt; missing: {}",
                info.missing_prompts.join(", ")
            ))
        }
        Ok(()) => None,
    };
    info
}
