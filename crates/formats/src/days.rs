//! Calendar days as the IDs count them: days since 2020-01-01 (UTC).
//!
//! `ACTLINE_TODAY=YYYY-MM-DD` overrides the clock, for tests and simulations
//! of grace periods; nothing else reads the wall clock.

use std::time::{SystemTime, UNIX_EPOCH};

/// Days from 1970-01-01 to 2020-01-01.
const EPOCH_2020: i64 = 18_262;

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + (m <= 2) as i64, m, d)
}

/// Parses `YYYY-MM-DD` into days since 2020-01-01.
pub fn parse(s: &str) -> Option<u16> {
    let mut it = s.trim().splitn(3, '-');
    let y: i64 = it.next()?.parse().ok()?;
    let m: u32 = it.next()?.parse().ok()?;
    let d: u32 = it.next()?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let days = days_from_civil(y, m, d) - EPOCH_2020;
    (civil_from_days(days + EPOCH_2020) == (y, m, d)).then_some(())?;
    u16::try_from(days).ok()
}

/// Formats days since 2020-01-01 as `YYYY-MM-DD`.
pub fn format(day: u16) -> String {
    let (y, m, d) = civil_from_days(day as i64 + EPOCH_2020);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Today, in days since 2020-01-01 (or `ACTLINE_TODAY`, for tests and
/// simulations).
pub fn today() -> u16 {
    if let Some(d) = std::env::var("ACTLINE_TODAY").ok().and_then(|s| parse(&s)) {
        return d;
    }
    clock_today()
}

/// Today by the system clock, in days since 2020-01-01, ignoring
/// `ACTLINE_TODAY` (what the embedded client library uses: a product must
/// not let an environment variable move its grace period).
pub fn clock_today() -> u16 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    u16::try_from(secs as i64 / 86_400 - EPOCH_2020).unwrap_or(u16::MAX)
}

/// Now, as seconds since 1970 (for audit timestamps).
pub fn now_rfc3339() -> String {
    rfc3339_in(0)
}

/// The time `delta` seconds from now (before now when negative), UTC, as
/// [`now_rfc3339`] writes it: such strings compare as the times do.
pub fn rfc3339_in(delta: i64) -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0) as i64
        + delta;
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        assert_eq!(parse("2020-01-01"), Some(0));
        assert_eq!(
            parse("2026-11-28").map(format).as_deref(),
            Some("2026-11-28")
        );
        assert_eq!(parse("2021-02-30"), None);
        assert_eq!(parse("garbage"), None);
    }
}
