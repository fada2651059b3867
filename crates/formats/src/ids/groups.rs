//! Group layouts: how a payload of decimal digits is cut into groups, each
//! ending in a Damm check digit, and how typed input is read back.
//!
//! Typed input is read the way people type: groups separated by spaces,
//! dashes or dots (or nothing at all), blanks around the whole, ASCII or
//! full-width digits. When the input has separators, each separated run is
//! one group; without separators the digits are cut into groups by length.

use super::damm;
use nom::branch::alt;
use nom::character::complete::satisfy;
use nom::combinator::{map, opt};
use nom::multi::{many0, many1};
use nom::sequence::preceded;
use nom::{IResult, Parser};
use std::fmt;

/// How an ID is grouped: `groups` groups of `group_len` digits, the last digit
/// of each group being the check digit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Number of groups.
    pub groups: usize,
    /// Digits per group, check digit included.
    pub group_len: usize,
}

/// What is wrong with typed input, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupError {
    /// The 1-based group the error is in, when it is in one group.
    pub group: Option<usize>,
    /// What is wrong.
    pub kind: GroupErrorKind,
}

/// The kinds of error typed input can have.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum GroupErrorKind {
    /// Nothing but blanks was typed.
    Empty,
    /// A character that is neither a digit nor a separator, at a 1-based
    /// character column of the input.
    NotADigit {
        /// The character.
        ch: char,
        /// Its 1-based column.
        column: usize,
    },
    /// A separated group has the wrong number of digits.
    GroupLength {
        /// Digits found.
        found: usize,
        /// Digits expected.
        expected: usize,
    },
    /// The wrong number of separated groups.
    GroupCount {
        /// Groups found.
        found: usize,
        /// Groups expected.
        expected: usize,
    },
    /// Without separators, the wrong number of digits.
    DigitCount {
        /// Digits found.
        found: usize,
        /// Digits expected.
        expected: usize,
    },
    /// The group's check digit does not match its other digits.
    CheckDigit,
}

impl fmt::Display for GroupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(g) = self.group {
            write!(f, "group {g}: ")?;
        }
        match &self.kind {
            GroupErrorKind::Empty => write!(f, "nothing was entered"),
            GroupErrorKind::NotADigit { ch, column } => {
                write!(f, "{ch:?} at column {column} is not a digit")
            }
            GroupErrorKind::GroupLength { found, expected } => {
                write!(f, "has {found} digits, expected {expected}")
            }
            GroupErrorKind::GroupCount { found, expected } => {
                write!(f, "found {found} groups, expected {expected}")
            }
            GroupErrorKind::DigitCount { found, expected } => {
                write!(f, "found {found} digits, expected {expected}")
            }
            GroupErrorKind::CheckDigit => match self.group {
                Some(g) => write!(f, "check digit does not match — re-read group {g}"),
                None => write!(f, "check digit does not match"),
            },
        }
    }
}

impl std::error::Error for GroupError {}

/// A run of digits as typed, with the 1-based column of its first character.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Run {
    digits: Vec<u8>,
}

// digit = %x30-39 / %xFF10-FF19        ; ASCII or full-width
fn digit(input: &str) -> IResult<&str, u8> {
    map(
        satisfy(|c| c.is_ascii_digit() || ('\u{FF10}'..='\u{FF19}').contains(&c)),
        |c| match c {
            '0'..='9' => c as u8 - b'0',
            _ => (c as u32 - 0xFF10) as u8,
        },
    )
    .parse(input)
}

// blank = SP / HTAB / CR / LF / %xA0 / %x3000   ; pasted line ends, ideographic space
fn blank(input: &str) -> IResult<&str, char> {
    satisfy(|c| matches!(c, ' ' | '\t' | '\r' | '\n' | '\u{3000}' | '\u{A0}')).parse(input)
}

// separator = 1*(blank / "-" / "." / full-width and Unicode dashes and dots)
fn separator(input: &str) -> IResult<&str, ()> {
    map(
        many1(alt((
            blank,
            satisfy(|c| {
                matches!(
                    c,
                    '-' | '.' | '\u{FF0D}' | '\u{FF0E}' | '\u{2010}'..='\u{2015}' | '\u{2212}'
                )
            }),
        ))),
        |_| (),
    )
    .parse(input)
}

// run = 1*digit
fn run(input: &str) -> IResult<&str, Run> {
    map(many1(digit), |digits| Run { digits }).parse(input)
}

// typed-id = [separator] [run *(separator run)] [separator]
fn typed_id(input: &str) -> IResult<&str, Vec<Run>> {
    let (input, _) = opt(separator).parse(input)?;
    let (input, first) = opt(run).parse(input)?;
    let Some(first) = first else {
        return Ok((input, Vec::new()));
    };
    let (input, mut rest) = many0(preceded(separator, run)).parse(input)?;
    let (input, _) = opt(separator).parse(input)?;
    rest.insert(0, first);
    Ok((input, rest))
}

/// Reads typed input into runs of digits; any character that is not a digit,
/// blank or separator is an error naming its column and group.
fn tokenize(input: &str) -> Result<Vec<Run>, GroupError> {
    match typed_id(input) {
        Ok(("", runs)) => Ok(runs),
        Ok((rest, runs)) => {
            let consumed = &input[..input.len() - rest.len()];
            let column = consumed.chars().count() + 1;
            let ch = rest.chars().next().unwrap_or('?');
            // The bad character sits in the group after the last complete run,
            // unless it touches the previous run directly.
            let touching = consumed
                .chars()
                .last()
                .is_some_and(|c| digit(&c.to_string()).is_ok());
            let group = if touching { runs.len() } else { runs.len() + 1 };
            Err(GroupError {
                group: Some(group.max(1)),
                kind: GroupErrorKind::NotADigit { ch, column },
            })
        }
        // typed_id only fails on inputs its `many0`s reject, which cannot happen.
        Err(_) => Err(GroupError {
            group: None,
            kind: GroupErrorKind::Empty,
        }),
    }
}

/// Reads typed digit groups as they were typed, whatever their number and
/// lengths (for readouts of any ID): each separated run is one group.
pub fn read_groups(input: &str) -> Result<Vec<Vec<u8>>, GroupError> {
    Ok(tokenize(input)?.into_iter().map(|r| r.digits).collect())
}

impl Layout {
    /// Digits of payload carried by the groups (check digits excluded).
    pub const fn payload_digits(&self) -> usize {
        self.groups * (self.group_len - 1)
    }

    /// Cuts `payload` (exactly [`payload_digits`](Self::payload_digits)
    /// digits, each 0..=9) into groups and appends each group's check digit.
    pub fn encode(&self, payload: &[u8]) -> Vec<Vec<u8>> {
        payload
            .chunks(self.group_len - 1)
            .map(|chunk| {
                let mut g = chunk.to_vec();
                g.push(damm::check_digit(chunk));
                g
            })
            .collect()
    }

    /// The display form: groups of digits joined by dashes.
    pub fn format(&self, payload: &[u8]) -> String {
        join_groups(&self.encode(payload), "-")
    }

    /// Reads typed input into groups of digits, checking the grouping but not
    /// the check digits.
    pub fn split(&self, input: &str) -> Result<Vec<Vec<u8>>, GroupError> {
        let runs = tokenize(input)?;
        let total = self.groups * self.group_len;
        match runs.len() {
            0 => Err(GroupError {
                group: None,
                kind: GroupErrorKind::Empty,
            }),
            1 => {
                let digits = &runs[0].digits;
                if digits.len() == self.group_len && self.groups > 1 {
                    return Err(GroupError {
                        group: None,
                        kind: GroupErrorKind::GroupCount {
                            found: 1,
                            expected: self.groups,
                        },
                    });
                }
                if digits.len() != total {
                    return Err(GroupError {
                        group: None,
                        kind: GroupErrorKind::DigitCount {
                            found: digits.len(),
                            expected: total,
                        },
                    });
                }
                Ok(digits.chunks(self.group_len).map(<[u8]>::to_vec).collect())
            }
            n => {
                if let Some((i, r)) = runs
                    .iter()
                    .enumerate()
                    .find(|(_, r)| r.digits.len() != self.group_len)
                {
                    // Digits typed without separators between some groups
                    // (e.g. "1234567 12345671234567") are still accepted when
                    // every run is a whole number of groups.
                    let whole = runs.iter().all(|r| r.digits.len() % self.group_len == 0);
                    let count: usize = runs.iter().map(|r| r.digits.len()).sum();
                    if whole && count == total {
                        return Ok(runs
                            .iter()
                            .flat_map(|r| r.digits.chunks(self.group_len).map(<[u8]>::to_vec))
                            .collect());
                    }
                    return Err(GroupError {
                        group: Some(i + 1),
                        kind: GroupErrorKind::GroupLength {
                            found: r.digits.len(),
                            expected: self.group_len,
                        },
                    });
                }
                if n != self.groups {
                    return Err(GroupError {
                        group: None,
                        kind: GroupErrorKind::GroupCount {
                            found: n,
                            expected: self.groups,
                        },
                    });
                }
                Ok(runs.into_iter().map(|r| r.digits).collect())
            }
        }
    }

    /// The 1-based numbers of the groups whose check digit does not match.
    pub fn bad_groups(&self, groups: &[Vec<u8>]) -> Vec<usize> {
        groups
            .iter()
            .enumerate()
            .filter(|(_, g)| !damm::is_valid(g))
            .map(|(i, _)| i + 1)
            .collect()
    }

    /// Checks every group's check digit and returns the payload digits; the
    /// error names the first group that does not match.
    pub fn verify(&self, groups: &[Vec<u8>]) -> Result<Vec<u8>, GroupError> {
        if let Some(&g) = self.bad_groups(groups).first() {
            return Err(GroupError {
                group: Some(g),
                kind: GroupErrorKind::CheckDigit,
            });
        }
        Ok(groups
            .iter()
            .flat_map(|g| g[..g.len() - 1].iter().copied())
            .collect())
    }

    /// Reads typed input and returns the payload digits: [`split`](Self::split)
    /// then [`verify`](Self::verify).
    pub fn parse(&self, input: &str) -> Result<Vec<u8>, GroupError> {
        self.verify(&self.split(input)?)
    }

    /// Checks one complete group as it is typed (for the IVR and the console):
    /// the right length and a matching check digit.
    pub fn check_group(&self, group: &[u8]) -> Result<(), GroupErrorKind> {
        if group.len() != self.group_len {
            return Err(GroupErrorKind::GroupLength {
                found: group.len(),
                expected: self.group_len,
            });
        }
        if !damm::is_valid(group) {
            return Err(GroupErrorKind::CheckDigit);
        }
        Ok(())
    }
}

/// Joins groups of digits with `sep`.
pub fn join_groups(groups: &[Vec<u8>], sep: &str) -> String {
    groups
        .iter()
        .map(|g| g.iter().map(|d| char::from(b'0' + d)).collect::<String>())
        .collect::<Vec<_>>()
        .join(sep)
}

/// Reads a string of ASCII digits into digit values; `None` if any character
/// is not an ASCII digit.
pub fn digits_of(s: &str) -> Option<Vec<u8>> {
    s.chars().map(|c| c.to_digit(10).map(|d| d as u8)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const L: Layout = Layout {
        groups: 3,
        group_len: 4,
    };

    fn payload() -> Vec<u8> {
        vec![1, 2, 3, 4, 5, 6, 7, 8, 9]
    }

    #[test]
    fn people_type_groups_in_many_ways_and_all_are_read() {
        let shown = L.format(&payload());
        let plain: String = shown.chars().filter(|c| c.is_ascii_digit()).collect();
        let spaced = shown.replace('-', " ");
        let dotted = shown.replace('-', ".");
        let wide: String = shown
            .chars()
            .map(|c| {
                if c.is_ascii_digit() {
                    char::from_u32(c as u32 - 0x30 + 0xFF10).unwrap()
                } else {
                    c
                }
            })
            .collect();
        for typed in [
            shown.clone(),
            plain,
            spaced,
            dotted,
            wide,
            format!("  {shown} \t"),
            shown.replace('-', " - "),
        ] {
            assert_eq!(L.parse(&typed), Ok(payload()), "input {typed:?}");
        }
    }

    #[test]
    fn a_wrong_check_digit_names_its_group() {
        let mut groups = L.encode(&payload());
        groups[1][0] = (groups[1][0] + 1) % 10;
        let err = L.parse(&join_groups(&groups, "-")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "group 2: check digit does not match — re-read group 2"
        );
    }

    #[test]
    fn letters_are_refused_with_their_group_and_column() {
        let err = L.parse("1234-12A4-1234").unwrap_err();
        assert_eq!(err.group, Some(2));
        assert_eq!(err.kind, GroupErrorKind::NotADigit { ch: 'A', column: 8 });
    }

    #[test]
    fn wrong_lengths_and_counts_are_named() {
        assert_eq!(
            L.split("1234-123-1234").unwrap_err().to_string(),
            "group 2: has 3 digits, expected 4"
        );
        assert_eq!(
            L.split("1234-1234").unwrap_err().to_string(),
            "found 2 groups, expected 3"
        );
        assert_eq!(
            L.split("12345678901").unwrap_err().to_string(),
            "found 11 digits, expected 12"
        );
        assert_eq!(L.split("   ").unwrap_err().kind, GroupErrorKind::Empty);
    }
}
