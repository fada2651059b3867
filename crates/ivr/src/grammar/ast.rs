//! Abstract syntax of an SRGS 1.0 ABNF grammar in DTMF mode.
//!
//! The parser ([`super::parser`]) produces these types; validation and
//! compilation ([`super::matcher`]) consume them. Byte offsets into the source
//! are kept wherever a later stage may need to report a position.

/// One DTMF key as an index into [`KEYS`] (0..16).
pub(crate) type KeyIndex = u8;

/// The sixteen DTMF keys, in the order used for key bit-sets.
pub(crate) const KEYS: [char; 16] = [
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#', 'A', 'B', 'C', 'D',
];

/// Index of a DTMF key character, or `None` if `c` is not one of the sixteen
/// keys. Lower-case `a`..`d` are accepted as `A`..`D` (keypads have no case).
pub(crate) fn key_index(c: char) -> Option<KeyIndex> {
    let c = c.to_ascii_uppercase();
    KEYS.iter().position(|&k| k == c).map(|i| i as KeyIndex)
}

/// A rule expansion (the right-hand side of `$name = ...;`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    /// A run of DTMF tokens matched in order (`1`, `"*"`, `123`, `"1 2 3"`).
    Keys(Vec<KeyIndex>),
    /// A reference to a local rule, `$name`; `at` is the byte offset of `$`.
    Ref { name: String, at: usize },
    /// `$NULL`, or an expansion that matches the empty input (`<0>`, `{}`).
    Null,
    /// A semantic tag with a value (`{out="repeat"}`, `{repeat}`): matches
    /// the empty input and makes `value` the result of any match whose path
    /// passes through it (the last tag on the path wins).
    Tag(String),
    /// `$VOID`: can never be matched.
    Void,
    /// `$GARBAGE`: in DTMF mode, any (possibly empty) sequence of keys.
    Garbage,
    /// Items matched one after the other.
    Seq(Vec<Expr>),
    /// Alternatives; weights are parsed and ignored.
    Alt(Vec<Expr>),
    /// `item<min-max>`; `max == None` is unbounded (`<m->`). `at` is the byte
    /// offset of the `<` (or `[`), for error reports.
    Repeat {
        inner: Box<Expr>,
        min: u32,
        max: Option<u32>,
        at: usize,
    },
}

/// Rule scope; parsed for completeness (a single-file grammar can reference
/// private rules freely, so scope has no effect on matching).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    Public,
    Private,
}

/// `[public|private] $name = expansion ;`
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RuleDef {
    pub name: String,
    #[allow(dead_code)]
    pub scope: Scope,
    pub body: Expr,
    /// Byte offset of the `$` of the rule name.
    pub at: usize,
}

/// Header declarations that matter for DTMF matching.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Decl {
    /// `mode dtmf;` / `mode voice;` (`at` = offset of the mode word).
    Mode { dtmf: bool, at: usize },
    /// `root $name;` (`at` = offset of the `$`).
    Root { name: String, at: usize },
    /// Any other declaration (`language`, `tag-format`, `base`, `lexicon`,
    /// `meta`, `http-equiv`, header tags): accepted and ignored.
    Ignored,
}

/// A whole grammar file.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Document {
    pub decls: Vec<Decl>,
    pub rules: Vec<RuleDef>,
}
