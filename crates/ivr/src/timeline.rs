//! Scripted caller key timelines, for simulated calls and tests.
//!
//! A timeline is a whitespace-separated list of tokens read left to right
//! with a cursor starting at 0 ms:
//!
//! * a duration (`2s`, `500ms`, `1.5s`, `0.25s`) is silence: the cursor
//!   advances by it;
//! * a key run (`1234567`, `#`, `*0`, `A`; keys `0-9 * # A-D`) presses each
//!   key in turn: a tone of the current tone length at the cursor, then the
//!   cursor advances by tone + gap;
//! * `tone=60ms` / `gap=40ms` change the tone and gap length for the keys
//!   that follow.
//!
//! `2s 1234567 500ms 2345678 1.5s # 60s` therefore waits 2 s, keys seven
//! digits (80 ms tone + 80 ms gap each by default), waits 0.5 s, keys seven
//! more, waits 1.5 s, presses `#`, then stays silent for a minute. The total
//! duration is where the cursor ends. Durations are rounded to whole
//! milliseconds; a timeline may last at most one hour.
//!
//! [`Timeline::render`] turns a timeline into caller audio with
//! [`crate::dtmf::add_key`].

use crate::dtmf::{self, DtmfError, GenOptions};

/// Longest timeline accepted, ms.
pub const MAX_TOTAL_MS: u64 = 3_600_000;

/// Errors from parsing a timeline.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TimelineError {
    /// A token is neither a duration, a key run nor a setting.
    #[error("token {index} ('{token}', column {column}): {message}")]
    BadToken {
        /// 1-based index of the token.
        index: usize,
        /// 1-based column (in characters) where the token starts.
        column: usize,
        /// The token text.
        token: String,
        /// What is wrong with it.
        message: String,
    },
    /// The timeline would last longer than [`MAX_TOTAL_MS`].
    #[error("token {index} (column {column}): the timeline would last more than one hour")]
    TooLong {
        /// 1-based index of the token that went past the limit.
        index: usize,
        /// 1-based column of that token.
        column: usize,
    },
}

/// Default tone and gap lengths for key runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimelineOptions {
    /// Tone length per key, ms. Default 80.
    pub tone_ms: u32,
    /// Silence after each key, ms. Default 80.
    pub gap_ms: u32,
}

impl Default for TimelineOptions {
    fn default() -> Self {
        TimelineOptions {
            tone_ms: 80,
            gap_ms: 80,
        }
    }
}

/// One key press in a timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KeyPress {
    /// Start of the tone, ms from the start of the timeline.
    pub at_ms: u64,
    /// The key.
    pub key: char,
    /// Tone length, ms.
    pub tone_ms: u32,
}

/// A parsed timeline: key presses in time order and the total duration.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Timeline {
    /// The key presses, in time order.
    pub events: Vec<KeyPress>,
    /// Where the cursor ended, ms.
    pub total_ms: u64,
}

fn is_key(c: char) -> bool {
    matches!(c, '0'..='9' | '*' | '#' | 'A'..='D')
}

/// Parses a duration token (`2s`, `500ms`, `1.5s`) into milliseconds.
/// `Err` carries a message.
fn parse_duration(tok: &str) -> Result<u64, String> {
    let (num, scale) = if let Some(n) = tok.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = tok.strip_suffix('s') {
        (n, 1000.0)
    } else {
        return Err("expected a duration ending in 's' or 'ms'".into());
    };
    let valid = !num.is_empty()
        && num.chars().all(|c| c.is_ascii_digit() || c == '.')
        && num.matches('.').count() <= 1
        && num != ".";
    if !valid {
        return Err(format!("'{num}' is not a number"));
    }
    let v: f64 = num
        .parse()
        .map_err(|_| format!("'{num}' is not a number"))?;
    let ms = (v * scale).round();
    if !ms.is_finite() || ms > MAX_TOTAL_MS as f64 {
        return Err("duration longer than one hour".into());
    }
    Ok(ms as u64)
}

impl Timeline {
    /// Parses a timeline with the default 80 ms tone + 80 ms gap per key.
    pub fn parse(src: &str) -> Result<Timeline, TimelineError> {
        Timeline::parse_with(src, &TimelineOptions::default())
    }

    /// Parses a timeline with the given default tone and gap lengths.
    /// Never panics; errors name the token's index and column.
    pub fn parse_with(src: &str, opts: &TimelineOptions) -> Result<Timeline, TimelineError> {
        let mut tone = opts.tone_ms as u64;
        let mut gap = opts.gap_ms as u64;
        let mut cursor = 0u64;
        let mut events = Vec::new();
        let mut index = 0;
        let mut chars = src.char_indices().peekable();
        let mut column = 0usize; // characters consumed so far
        while let Some(&(start, c)) = chars.peek() {
            if c.is_whitespace() {
                chars.next();
                column += 1;
                continue;
            }
            // One token: up to the next whitespace.
            let tok_col = column + 1;
            let mut end = start;
            while let Some(&(i, ch)) = chars.peek() {
                if ch.is_whitespace() {
                    break;
                }
                end = i + ch.len_utf8();
                chars.next();
                column += 1;
            }
            let tok = &src[start..end];
            index += 1;
            let bad = |message: String| TimelineError::BadToken {
                index,
                column: tok_col,
                token: tok.to_string(),
                message,
            };
            let too_long = TimelineError::TooLong {
                index,
                column: tok_col,
            };
            if let Some((name, value)) = tok.split_once('=') {
                let ms =
                    parse_duration(value).map_err(|m| bad(format!("bad {name} length: {m}")))?;
                match name {
                    "tone" if ms > 0 => tone = ms,
                    "tone" => return Err(bad("tone length must be positive".into())),
                    "gap" => gap = ms,
                    _ => {
                        return Err(bad(format!(
                            "unknown setting '{name}' (expected tone= or gap=)"
                        )))
                    }
                }
            } else if tok
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_digit() || c == '.')
                && tok.ends_with('s')
            {
                let ms = parse_duration(tok).map_err(bad)?;
                cursor = cursor
                    .checked_add(ms)
                    .filter(|&t| t <= MAX_TOTAL_MS)
                    .ok_or(too_long)?;
            } else if tok.chars().all(is_key) {
                for key in tok.chars() {
                    events.push(KeyPress {
                        at_ms: cursor,
                        key,
                        tone_ms: tone as u32,
                    });
                    cursor = cursor
                        .checked_add(tone + gap)
                        .filter(|&t| t <= MAX_TOTAL_MS)
                        .ok_or(TimelineError::TooLong {
                            index,
                            column: tok_col,
                        })?;
                }
            } else {
                let (pos, c) = tok
                    .chars()
                    .enumerate()
                    .find(|&(_, c)| !is_key(c))
                    .unwrap_or((0, ' '));
                let hint = if c.is_ascii_lowercase() && ('a'..='d').contains(&c) {
                    " (keys A-D are upper case)"
                } else {
                    ""
                };
                return Err(bad(format!(
                    "'{c}' at column {} is not a key (0-9 * # A-D){hint}, and the token is not a \
                     duration like 2s or 500ms",
                    tok_col + pos
                )));
            }
        }
        Ok(Timeline {
            events,
            total_ms: cursor,
        })
    }

    /// The keys pressed, in order.
    pub fn keys(&self) -> String {
        self.events.iter().map(|e| e.key).collect()
    }

    /// Renders the timeline as caller audio: `total_ms` of silence with each
    /// key's tone mixed in at its time. `opts.sample_rate`, level, twist and
    /// frequency offsets apply; its tone/gap/lead lengths are ignored (the
    /// timeline has its own).
    pub fn render(&self, opts: &GenOptions) -> Result<Vec<i16>, DtmfError> {
        let rate = opts.sample_rate as u64;
        if !(dtmf::MIN_RATE as u64..=dtmf::MAX_RATE as u64).contains(&rate) {
            return Err(DtmfError::UnsupportedRate(opts.sample_rate));
        }
        let len = (self.total_ms.min(MAX_TOTAL_MS) * rate / 1000) as usize;
        let mut out = vec![0i16; len];
        for e in &self.events {
            let at = (e.at_ms * rate / 1000) as usize;
            let n = (e.tone_ms as u64 * rate / 1000) as usize;
            dtmf::add_key(&mut out, at, n, e.key, opts)?;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys_at(t: &Timeline) -> Vec<(u64, char)> {
        t.events.iter().map(|e| (e.at_ms, e.key)).collect()
    }

    #[test]
    fn example_from_the_issue() {
        let t = Timeline::parse("2s 1234567 500ms 2345678 1.5s # 60s").unwrap();
        assert_eq!(t.keys(), "12345672345678#");
        let ev = keys_at(&t);
        assert_eq!(ev[0], (2000, '1'));
        assert_eq!(ev[6], (2000 + 6 * 160, '7'));
        // after the first run: 2000 + 7*160 = 3120, +500 ms
        assert_eq!(ev[7], (3620, '2'));
        let after_second = 3620 + 7 * 160;
        assert_eq!(ev[14], (after_second + 1500, '#'));
        assert_eq!(t.total_ms, after_second + 1500 + 160 + 60_000);
        assert!(t.events.iter().all(|e| e.tone_ms == 80));
    }

    #[test]
    fn durations_and_settings() {
        let t = Timeline::parse("0.25s 1 tone=40ms gap=0.1s 2 10ms 3 .5s").unwrap();
        assert_eq!(keys_at(&t), vec![(250, '1'), (410, '2'), (560, '3')]);
        assert_eq!(t.events[1].tone_ms, 40);
        assert_eq!(t.total_ms, 560 + 140 + 500);
        let custom = Timeline::parse_with(
            "12",
            &TimelineOptions {
                tone_ms: 100,
                gap_ms: 50,
            },
        )
        .unwrap();
        assert_eq!(keys_at(&custom), vec![(0, '1'), (150, '2')]);
        assert_eq!(custom.total_ms, 300);
        assert_eq!(
            Timeline::parse("").unwrap(),
            Timeline {
                events: vec![],
                total_ms: 0
            }
        );
        assert_eq!(Timeline::parse("  \n 1s\t").unwrap().total_ms, 1000);
        assert_eq!(Timeline::parse("*#ABCD0").unwrap().keys(), "*#ABCD0");
    }

    #[test]
    fn errors_name_token_and_column() {
        let cases: &[(&str, usize, usize, &str)] = &[
            ("2s 12x4 1s", 2, 4, "'x' at column 6 is not a key"),
            ("1s 2q", 2, 4, "'q' at column 5"),
            ("abc", 1, 1, "keys A-D are upper case"),
            ("1.2.3s", 1, 1, "not a number"),
            ("5m", 1, 1, "'m' at column 2 is not a key"),
            ("1 2 tone=0ms", 3, 5, "tone length must be positive"),
            ("pause=1s", 1, 1, "unknown setting 'pause'"),
            ("tone=fast", 1, 1, "bad tone length"),
            ("1 \u{e9}", 2, 3, "is not a key"),
            ("4000s", 1, 1, "longer than one hour"),
        ];
        for (src, index, column, msg) in cases {
            match Timeline::parse(src) {
                Err(TimelineError::BadToken {
                    index: i,
                    column: c,
                    ref message,
                    ..
                }) => {
                    assert_eq!((i, c), (*index, *column), "{src}");
                    assert!(message.contains(msg), "{src}: {message}");
                }
                other => panic!("{src}: {other:?}"),
            }
        }
        let e = Timeline::parse("1s 12x").unwrap_err();
        assert_eq!(
            e.to_string(),
            "token 2 ('12x', column 4): 'x' at column 6 is not a key (0-9 * # A-D), and the token \
             is not a duration like 2s or 500ms"
        );
        assert!(matches!(
            Timeline::parse("3000s 700s"),
            Err(TimelineError::TooLong {
                index: 2,
                column: 7
            })
        ));
    }

    #[test]
    fn render_decodes_back() {
        let t = Timeline::parse("300ms 1234567 250ms 0*# 200ms").unwrap();
        let audio = t.render(&GenOptions::default()).unwrap();
        assert_eq!(audio.len() as u64, t.total_ms * 8);
        let events = dtmf::decode_all(&audio, 8000).unwrap();
        assert_eq!(dtmf::keys_of(&events), t.keys());
        for (e, k) in events.iter().zip(&t.events) {
            assert!(e.start_ms.abs_diff(k.at_ms) <= 6, "{e:?} vs {k:?}");
            assert!(e.duration_ms.abs_diff(k.tone_ms) <= 8, "{e:?} vs {k:?}");
        }
        let wide = t
            .render(&GenOptions {
                sample_rate: 16000,
                ..GenOptions::default()
            })
            .unwrap();
        assert_eq!(
            dtmf::keys_of(&dtmf::decode_all(&wide, 16000).unwrap()),
            t.keys()
        );
        assert!(t
            .render(&GenOptions {
                sample_rate: 100,
                ..GenOptions::default()
            })
            .is_err());
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]
            #[test]
            fn never_panics(src in "[0-9a-z*#.=ABCDs \t]{0,40}") {
                let _ = Timeline::parse(&src);
            }

            #[test]
            fn keys_and_total(parts in proptest::collection::vec((0u32..3000, "[0-9*#A-D]{1,5}"), 0..6)) {
                let src: String = parts.iter().map(|(ms, k)| format!("{ms}ms {k} ")).collect();
                let t = Timeline::parse(&src).unwrap();
                let keys: String = parts.iter().map(|(_, k)| k.as_str()).collect();
                prop_assert_eq!(t.keys(), keys.clone());
                let total: u64 = parts.iter().map(|(ms, _)| *ms as u64).sum::<u64>() + 160 * keys.len() as u64;
                prop_assert_eq!(t.total_ms, total);
                prop_assert!(t.events.windows(2).all(|w| w[0].at_ms + 160 <= w[1].at_ms));
            }
        }
    }
}
