//! SRGS 1.0 DTMF grammars in ABNF form: parsing, validation and incremental
//! matching of caller key presses.
//!
//! A grammar file looks like this (see `grammars/` and the W3C SRGS 1.0
//! specification, section 4):
//!
//! ```text
//! #ABNF 1.0 UTF-8;
//! mode dtmf;
//! root $pin;
//! $digit = 0|1|2|3|4|5|6|7|8|9;
//! public $pin = $digit<4-6> ["#"];
//! ```
//!
//! Supported: the `#ABNF 1.0 [encoding];` header; `mode dtmf;` (required:
//! voice grammars are refused); `root $r;` (required); other declarations
//! (`language`, `tag-format`, `base`, `lexicon`, `meta`, `http-equiv`, header
//! tags) are accepted and ignored; `public`/`private` rule definitions;
//! alternatives `|` with optional weights `/n/` (ignored); sequences; repeats
//! `<n>`, `<m-n>`, `<m->` (optionally with a repeat probability `/p/`,
//! ignored); optional `[ ]`; groups `( )`; DTMF tokens `0`-`9`, `*`, `#`,
//! `A`-`D`, bare or quoted (`"*"`, `"1 2"`), where an unquoted run such as
//! `123` is the token sequence `1 2 3`; local rule references `$name`; the
//! special rules `$NULL` (matches nothing, i.e. the empty input), `$VOID`
//! (never matches) and `$GARBAGE` (in DTMF mode: any sequence of keys,
//! including none); `//` and `/* */` comments; tags (below).
//!
//! Tags (SRGS 1.0 section 2.6): `{...}` or `{!{...}!}` anywhere an item may
//! stand; they match the empty input. Their content is read in a small
//! subset of the W3C tag formats, whatever `tag-format` says:
//! `out="word"` or `out='word'` (with an optional `;`), as in
//! `semantics/1.0`, or a bare `word` (letters, digits, `_`, `-`, `.`), as in
//! `semantics/1.0-literals`; an empty tag sets nothing. Any other script
//! (`out.x = 1`, `out = rules.digit`) is refused at the tag. The result of a
//! match is the last tag on its path, across rule references (as if every
//! rule ended with `out = rules.latest()`); [`Matcher::tag`] reports it and
//! [`Grammar::tags`] lists every result the grammar can give. A grammar in
//! which the same keys match with two different results is refused. Header
//! tags (`{...};` among the declarations) are accepted and ignored.
//!
//! Not supported (refused with an error): external rule references
//! `$<uri>`, language attachments `!lang`, left recursion, recursion other than
//! right (tail) recursion, unbounded repeats of expansions that can match the
//! empty input, grammars whose automaton would exceed 20,000 states, more
//! than 100 distinct tag values, and tagged grammars too complex to check for
//! keys with two results (determinizing them would take more than 20,000
//! sets of states, as `$GARBAGE 1 $d<16> {a}` would).
//!
//! Every error names the grammar, line and column, e.g.
//! `grammars/menu.gram:3:14: expected ';' after rule $menu`.

mod ast;
mod matcher;
mod parser;

use std::path::Path;
use std::sync::Arc;

/// Result of matching the keys seen so far against a grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchState {
    /// No input starting with these keys can match; further keys cannot help.
    NoMatch,
    /// The keys are a proper prefix of some match; more keys are needed.
    Partial,
    /// The keys match, and some longer input matches too (e.g. 4 digits of a
    /// 4-6 digit PIN): a caller-side timeout or terminator decides.
    MatchCanContinue,
    /// The keys match and no extension can match: the input is complete.
    Complete,
}

impl MatchState {
    /// `true` for [`MatchState::MatchCanContinue`] and [`MatchState::Complete`].
    pub fn is_match(self) -> bool {
        matches!(self, MatchState::MatchCanContinue | MatchState::Complete)
    }

    /// `true` unless [`MatchState::NoMatch`].
    pub fn is_viable(self) -> bool {
        self != MatchState::NoMatch
    }
}

/// What kind of semantic problem a grammar has (see [`GrammarError::Invalid`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum InvalidKind {
    /// A `$name` reference (or the root) names a rule that is not defined.
    UndefinedRule,
    /// The `root` declaration is missing.
    MissingRoot,
    /// A rule, `mode` or `root` is declared twice.
    Duplicate,
    /// A rule can reach itself without consuming a key.
    LeftRecursion,
    /// Recursion that is not right (tail) recursion.
    Recursion,
    /// An unbounded repeat of an expansion that can match the empty input.
    InfiniteLoop,
    /// A feature outside DTMF-mode ABNF (voice mode, missing `mode dtmf;`).
    Unsupported,
    /// The compiled automaton would be too large.
    TooLarge,
    /// The same keys match with two different tags.
    AmbiguousTags,
}

/// One result a grammar's matches can carry (see [`Grammar::tags`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchTag {
    /// The tag's value; `None` for matches that pass no tag.
    pub tag: Option<String>,
    /// The shortest keys that match with this result (empty: no keys).
    pub keys: String,
}

/// Errors from loading, parsing or validating a grammar.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GrammarError {
    /// The grammar file could not be read (or is not UTF-8).
    #[error("{file}: {source}")]
    Io {
        /// Path of the file.
        file: String,
        /// Underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The text is not valid SRGS ABNF.
    #[error("{file}:{line}:{column}: {message}")]
    Syntax {
        /// Grammar name (usually its path).
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column, in characters.
        column: usize,
        /// What was expected or found.
        message: String,
    },
    /// The grammar parses but is not usable (undefined rule, recursion, ...).
    #[error("{file}:{line}:{column}: {message}")]
    Invalid {
        /// Grammar name (usually its path).
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column, in characters.
        column: usize,
        /// Category of the problem.
        kind: InvalidKind,
        /// Description.
        message: String,
    },
    /// The grammar is valid but lacks a tag its user requires (see
    /// [`Grammar::require_tags`]).
    #[error("{file}: no match carries the tag {tag:?} (the grammar must give each of {wanted})")]
    MissingTag {
        /// Grammar name (usually its path).
        file: String,
        /// The missing tag.
        tag: String,
        /// Every required tag, for the message.
        wanted: String,
    },
    /// The grammar gives a result its user does not know (see
    /// [`Grammar::require_tags`]): a tag outside the required set, or a
    /// match with no tag at all.
    #[error("{file}: keys {keys} match with {found}, which is not one of {wanted}")]
    UnknownTag {
        /// Grammar name (usually its path).
        file: String,
        /// The shortest keys giving it (`(none)`: the empty input).
        keys: String,
        /// The tag, quoted, or "no tag".
        found: String,
        /// Every required tag, for the message.
        wanted: String,
    },
}

impl GrammarError {
    /// `(line, column)` of the problem, when it has one.
    pub fn position(&self) -> Option<(usize, usize)> {
        match self {
            GrammarError::Syntax { line, column, .. }
            | GrammarError::Invalid { line, column, .. } => Some((*line, *column)),
            GrammarError::Io { .. }
            | GrammarError::MissingTag { .. }
            | GrammarError::UnknownTag { .. } => None,
        }
    }
}

/// 1-based line and column (in characters) of byte `offset` in `src`.
fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(src.len());
    while !src.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &src[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// A validated, compiled DTMF grammar. Cheap to clone (the automaton is
/// shared) and `Send + Sync`.
#[derive(Debug, Clone)]
pub struct Grammar {
    name: String,
    root: String,
    auto: Arc<matcher::Automaton>,
}

impl Grammar {
    /// Parses, validates and compiles the grammar text `src`. `name` is used in
    /// error messages (normally the file path).
    ///
    /// Never panics; every problem is reported as a [`GrammarError`] with the
    /// line and column where it was found.
    pub fn parse(src: &str, name: &str) -> Result<Grammar, GrammarError> {
        let doc = parser::parse_document(src).map_err(|(offset, message)| {
            let (line, column) = line_col(src, offset);
            GrammarError::Syntax {
                file: name.to_string(),
                line,
                column,
                message,
            }
        })?;
        let (root, auto) = matcher::compile(&doc).map_err(|(offset, kind, message)| {
            let (line, column) = line_col(src, offset);
            GrammarError::Invalid {
                file: name.to_string(),
                line,
                column,
                kind,
                message,
            }
        })?;
        Ok(Grammar {
            name: name.to_string(),
            root,
            auto: Arc::new(auto),
        })
    }

    /// Reads and parses a grammar file; errors name the path.
    pub fn load(path: impl AsRef<Path>) -> Result<Grammar, GrammarError> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let src = std::fs::read_to_string(path).map_err(|source| GrammarError::Io {
            file: name.clone(),
            source,
        })?;
        Grammar::parse(&src, &name)
    }

    /// The name given to [`Grammar::parse`] (or the path given to [`Grammar::load`]).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Name of the root rule, without `$`.
    pub fn root(&self) -> &str {
        &self.root
    }

    /// Every result the grammar's matches can carry, each with the shortest
    /// keys that give it, sorted by tag (`None`, "no tag", first). Empty for
    /// a grammar that matches nothing.
    pub fn tags(&self) -> &[MatchTag] {
        self.auto.outcomes()
    }

    /// Checks that the grammar's matches carry exactly the tags in
    /// `wanted`: each of them on some match, and nothing else (no other tag
    /// and no untagged match). A program that acts on the tags calls this
    /// once at load, so that at run time every match means something to it.
    pub fn require_tags(&self, wanted: &[&str]) -> Result<(), GrammarError> {
        let list = wanted
            .iter()
            .map(|t| format!("{t:?}"))
            .collect::<Vec<_>>()
            .join(", ");
        for t in self.tags() {
            if !t.tag.as_deref().is_some_and(|v| wanted.contains(&v)) {
                return Err(GrammarError::UnknownTag {
                    file: self.name.clone(),
                    keys: if t.keys.is_empty() {
                        "(none)".to_string()
                    } else {
                        t.keys.clone()
                    },
                    found: t
                        .tag
                        .as_ref()
                        .map_or_else(|| "no tag".to_string(), |v| format!("the tag {v:?}")),
                    wanted: list,
                });
            }
        }
        for w in wanted {
            if !self.tags().iter().any(|t| t.tag.as_deref() == Some(*w)) {
                return Err(GrammarError::MissingTag {
                    file: self.name.clone(),
                    tag: w.to_string(),
                    wanted: list,
                });
            }
        }
        Ok(())
    }

    /// A fresh incremental matcher positioned before the first key.
    pub fn matcher(&self) -> Matcher {
        Matcher {
            run: matcher::Run::new(self.auto.clone()),
            keys: String::new(),
        }
    }

    /// Matches a whole key string. Every character is one key; a character
    /// that is not a DTMF key (`0-9*#A-D`, `a-d` accepted) gives
    /// [`MatchState::NoMatch`]. The empty string gives the state before any
    /// key.
    pub fn matches(&self, keys: &str) -> MatchState {
        let mut m = self.matcher();
        for k in keys.chars() {
            if m.push(k) == MatchState::NoMatch {
                return MatchState::NoMatch;
            }
        }
        m.state()
    }
}

/// Incremental matcher: feed keys one at a time as the caller presses them.
///
/// Contract: after `push`, [`Matcher::state`] equals
/// `grammar.matches(all keys pushed since the last reset)`. Once `NoMatch`
/// is reached it stays `NoMatch` until [`Matcher::reset`].
#[derive(Debug, Clone)]
pub struct Matcher {
    run: matcher::Run,
    keys: String,
}

impl Matcher {
    /// Adds one key and returns the new state. Characters that are not DTMF
    /// keys give [`MatchState::NoMatch`].
    pub fn push(&mut self, key: char) -> MatchState {
        self.keys.push(key.to_ascii_uppercase());
        self.run.push(key)
    }

    /// Forgets all keys pushed so far.
    pub fn reset(&mut self) {
        self.keys.clear();
        self.run.reset();
    }

    /// State after the keys pushed so far.
    pub fn state(&self) -> MatchState {
        self.run.state()
    }

    /// The result of the keys pushed so far: the value of the last tag on
    /// the matched path (see the module documentation). `None` when they do
    /// not match (yet), or match without passing a tag.
    pub fn tag(&self) -> Option<&str> {
        self.run.tag()
    }

    /// The keys pushed since the last reset (upper-cased).
    pub fn keys(&self) -> &str {
        &self.keys
    }

    /// The keys that would keep the input viable from here (empty once
    /// `NoMatch` or `Complete`), in the order `0-9 * # A-D`.
    pub fn expected(&self) -> Vec<char> {
        self.run.expected()
    }
}

#[cfg(test)]
mod tests;
