//! Unit conditioning at load: DC removal, silence trimming, loudness
//! normalisation and edge fades. Samples are f32 in -1.0..=1.0.

/// Analysis frame for trimming and loudness: 10 ms.
const FRAME_MS: u32 = 10;
/// A frame is speech when its RMS is within this many dB of the loudest frame...
const TRIM_RELATIVE_DB: f32 = 40.0;
/// ...and above this absolute floor (dBFS).
const TRIM_FLOOR_DBFS: f32 = -55.0;
/// Frames of margin kept before the first and after the last speech frame.
const TRIM_MARGIN_FRAMES: usize = 1;
/// Target RMS of the speech frames (dBFS): a common level for every unit and pack.
pub(crate) const TARGET_RMS_DBFS: f32 = -20.0;
/// No unit peak exceeds this (dBFS), so resampling overshoot cannot clip.
pub(crate) const PEAK_CEILING_DBFS: f32 = -1.0;
/// Raised-cosine fade at both ends, so trimmed units start and stop without clicks.
const FADE_MS: u32 = 5;

fn db_to_lin(db: f32) -> f32 {
    10f32.powf(db / 20.0)
}

fn frame_len(rate: u32) -> usize {
    ((rate * FRAME_MS / 1000) as usize).max(1)
}

fn rms(x: &[f32]) -> f32 {
    if x.is_empty() {
        return 0.0;
    }
    let s: f64 = x.iter().map(|&v| f64::from(v) * f64::from(v)).sum();
    (s / x.len() as f64).sqrt() as f32
}

/// Subtracts the mean.
pub(crate) fn remove_dc(x: &mut [f32]) {
    if x.is_empty() {
        return;
    }
    let mean = (x.iter().map(|&v| f64::from(v)).sum::<f64>() / x.len() as f64) as f32;
    for v in x.iter_mut() {
        *v -= mean;
    }
}

/// RMS of each frame (the last frame may be short).
fn frame_rms(x: &[f32], rate: u32) -> Vec<f32> {
    x.chunks(frame_len(rate)).map(rms).collect()
}

fn speech_threshold(frames: &[f32]) -> f32 {
    let loudest = frames.iter().copied().fold(0.0f32, f32::max);
    (loudest * db_to_lin(-TRIM_RELATIVE_DB)).max(db_to_lin(TRIM_FLOOR_DBFS))
}

/// The part of `x` from one frame before the first speech frame to one frame after
/// the last. Empty when no frame is speech (silence or near-silence).
pub(crate) fn trim_silence(x: &[f32], rate: u32) -> &[f32] {
    let frames = frame_rms(x, rate);
    let threshold = speech_threshold(&frames);
    let first = frames.iter().position(|&r| r >= threshold);
    let last = frames.iter().rposition(|&r| r >= threshold);
    match (first, last) {
        (Some(a), Some(b)) => {
            let fl = frame_len(rate);
            let start = a.saturating_sub(TRIM_MARGIN_FRAMES) * fl;
            let end = ((b + 1 + TRIM_MARGIN_FRAMES) * fl).min(x.len());
            x.get(start..end).unwrap_or(&[])
        }
        _ => &[],
    }
}

/// Scales `x` so its speech frames have RMS [`TARGET_RMS_DBFS`], unless that would
/// push the peak above [`PEAK_CEILING_DBFS`], in which case the peak sets the gain.
/// Returns the gain applied.
pub(crate) fn normalize(x: &mut [f32], rate: u32) -> f32 {
    let frames = frame_rms(x, rate);
    let threshold = speech_threshold(&frames);
    let fl = frame_len(rate);
    let mut sum = 0f64;
    let mut count = 0usize;
    for (chunk, &r) in x.chunks(fl).zip(&frames) {
        if r >= threshold {
            sum += chunk
                .iter()
                .map(|&v| f64::from(v) * f64::from(v))
                .sum::<f64>();
            count += chunk.len();
        }
    }
    let peak = x.iter().fold(0f32, |m, &v| m.max(v.abs()));
    if count == 0 || peak <= 0.0 {
        return 1.0;
    }
    let speech_rms = (sum / count as f64).sqrt() as f32;
    let gain = (db_to_lin(TARGET_RMS_DBFS) / speech_rms).min(db_to_lin(PEAK_CEILING_DBFS) / peak);
    for v in x.iter_mut() {
        *v *= gain;
    }
    gain
}

/// Raised-cosine fade-in and fade-out of [`FADE_MS`] (shorter for very short units).
pub(crate) fn fade_edges(x: &mut [f32], rate: u32) {
    let n = ((rate * FADE_MS / 1000) as usize).min(x.len() / 2);
    for i in 0..n {
        let g = 0.5 - 0.5 * (std::f32::consts::PI * i as f32 / n as f32).cos();
        x[i] *= g;
        let j = x.len() - 1 - i;
        x[j] *= g;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(n: usize, amp: f32) -> Vec<f32> {
        (0..n).map(|i| amp * (i as f32 * 0.3).sin()).collect()
    }

    #[test]
    fn trims_leading_and_trailing_silence() {
        let mut x = vec![0.0; 1600];
        x.extend(tone(3200, 0.5));
        x.extend(vec![0.0005; 2400]); // -66 dBFS hiss
        let t = trim_silence(&x, 16_000);
        // One 160-sample frame of margin each side.
        assert_eq!(t.len(), 3200 + 2 * 160);
        assert!(trim_silence(&[0.0; 500], 16_000).is_empty());
        assert!(trim_silence(&[], 16_000).is_empty());
    }

    #[test]
    fn normalizes_to_a_common_level_without_clipping() {
        for amp in [0.01, 0.1, 0.9] {
            let mut x = tone(8000, amp);
            normalize(&mut x, 16_000);
            let level = 20.0 * rms(&x).log10();
            assert!((level - TARGET_RMS_DBFS).abs() < 0.1, "{amp}: {level}");
        }
        // A very peaky unit is limited by its peak, not its RMS.
        let mut x = vec![0.001; 8000];
        x[4000] = 0.5;
        normalize(&mut x, 16_000);
        let peak = x.iter().fold(0f32, |m, &v| m.max(v.abs()));
        assert!(peak <= db_to_lin(PEAK_CEILING_DBFS) + 1e-6);
    }

    #[test]
    fn fades_start_and_end_at_zero() {
        let mut x = vec![1.0; 1000];
        fade_edges(&mut x, 16_000);
        assert_eq!(x[0], 0.0);
        assert!(x[999] < 0.01);
        assert_eq!(x[500], 1.0);
        let mut tiny = vec![1.0; 3];
        fade_edges(&mut tiny, 16_000);
        let mut empty: Vec<f32> = vec![];
        fade_edges(&mut empty, 16_000);
    }
}
