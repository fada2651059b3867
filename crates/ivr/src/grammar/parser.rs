//! nom 8 parser for the SRGS 1.0 ABNF form, restricted to what a DTMF grammar
//! can use.
//!
//! Conventions:
//! * one nom function per grammar rule; the ABNF of the rule (in the
//!   notation of RFC 5234) is written in the comment above each function;
//! * every token parser consumes the whitespace and comments that follow it
//!   (`ws`), so a failure always points at the first significant character
//!   that could not be parsed;
//! * once a construct is recognised (its first token was read), errors are
//!   `nom::Err::Failure` carrying a message, so they are reported at the point
//!   of failure instead of being backtracked into a vaguer message.
//!
//! The entry point is [`parse_document`], which returns the byte offset and a
//! message on failure; `super` turns that into line and column.

use std::borrow::Cow;

use nom::branch::alt;
use nom::bytes::complete::{tag, take_while, take_while1};
use nom::character::complete::char;
use nom::combinator::{map, opt};
use nom::error::{ErrorKind, ParseError};
use nom::{IResult, Parser};

use super::ast::{key_index, Decl, Document, Expr, KeyIndex, RuleDef, Scope};

/// Parse error carrying the remaining input (hence the position) and, for
/// committed failures, a human-readable message.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PErr<'a> {
    pub input: &'a str,
    pub msg: Option<Cow<'static, str>>,
}

impl<'a> ParseError<&'a str> for PErr<'a> {
    fn from_error_kind(input: &'a str, _kind: ErrorKind) -> Self {
        PErr { input, msg: None }
    }
    fn append(_input: &'a str, _kind: ErrorKind, other: Self) -> Self {
        other
    }
    fn or(self, other: Self) -> Self {
        // Prefer an error with a message; otherwise the one that got furthest.
        match (&self.msg, &other.msg) {
            (Some(_), None) => self,
            (None, Some(_)) => other,
            _ if self.input.len() < other.input.len() => self,
            _ => other,
        }
    }
}

type Res<'a, T> = IResult<&'a str, T, PErr<'a>>;

/// Deepest nesting of `( )` and `[ ]` accepted.
pub(crate) const MAX_NESTING: usize = 100;

/// A committed failure at `input` with `msg`.
fn fail<'a, T>(input: &'a str, msg: impl Into<Cow<'static, str>>) -> Res<'a, T> {
    Err(nom::Err::Failure(PErr {
        input,
        msg: Some(msg.into()),
    }))
}

/// Runs `p`; a recoverable error becomes a committed failure with `msg`,
/// positioned where `p` started.
fn expect<'a, O, P>(mut p: P, msg: &'static str) -> impl FnMut(&'a str) -> Res<'a, O>
where
    P: Parser<&'a str, Output = O, Error = PErr<'a>>,
{
    move |i: &'a str| match p.parse(i) {
        Err(nom::Err::Error(_)) => fail(i, msg),
        other => other,
    }
}

/// `p` followed by optional whitespace/comments.
fn lex<'a, O, P>(mut p: P) -> impl FnMut(&'a str) -> Res<'a, O>
where
    P: Parser<&'a str, Output = O, Error = PErr<'a>>,
{
    move |i: &'a str| {
        let (i, o) = p.parse(i)?;
        let (i, _) = ws(i)?;
        Ok((i, o))
    }
}

// ws          = *( WSP / CR / LF / line-comment / block-comment )
// line-comment  = "//" *(any char but LF)
// block-comment = "/*" *(any char) "*/"
fn ws(mut i: &str) -> Res<'_, ()> {
    loop {
        let trimmed = i.trim_start();
        if let Some(rest) = trimmed.strip_prefix("//") {
            i = match rest.find('\n') {
                Some(n) => &rest[n + 1..],
                None => "",
            };
        } else if let Some(rest) = trimmed.strip_prefix("/*") {
            match rest.find("*/") {
                Some(n) => i = &rest[n + 2..],
                None => return fail(trimmed, "unterminated /* comment"),
            }
        } else {
            return Ok((trimmed, ()));
        }
    }
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn is_word_char(c: char) -> bool {
    !(c.is_whitespace() || "|()[]<>;{}\"$/=!".contains(c))
}

// number = 1*DIGIT ["." *DIGIT] / "." 1*DIGIT
fn number(i: &str) -> Res<'_, f64> {
    let (rest, text) = take_while1(|c: char| c.is_ascii_digit() || c == '.')(i)?;
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok((rest, v)),
        _ => fail(i, format!("'{text}' is not a number")),
    }
}

// count = 1*DIGIT
fn count(i: &str) -> Res<'_, u32> {
    let (rest, text) = take_while1(|c: char| c.is_ascii_digit())(i)?;
    match text.parse::<u32>() {
        Ok(v) => Ok((rest, v)),
        Err(_) => fail(i, format!("repeat count '{text}' is too large")),
    }
}

// weight = "/" ws number ws "/" ws
fn weight(i: &str) -> Res<'_, f64> {
    let (i, _) = lex(char('/')).parse(i)?;
    let (i, w) = lex(expect(number, "expected a number in weight '/n/'")).parse(i)?;
    let (i, _) = lex(expect(char('/'), "expected '/' to close the weight")).parse(i)?;
    if w < 0.0 {
        return fail(i, "weights must not be negative");
    }
    Ok((i, w))
}

// raw-tag = "{!{" *(any char) "}!}" ws / "{" *(any char but "}") "}" ws
//         ; a header tag: its content is a script for the whole grammar,
//         ; accepted and ignored
fn raw_tag(i: &str) -> Res<'_, ()> {
    let (open, close) = tag_delimiters(i)?;
    match i[open..].find(close) {
        Some(n) => Ok((ws(&i[open + n + close.len()..])?.0, ())),
        None => fail(i, unterminated_tag(close)),
    }
}

/// The opening and closing delimiters of the tag that starts `i`: `{!{` and
/// `}!}`, or `{` and `}`. A recoverable error when `i` does not start a tag.
fn tag_delimiters(i: &str) -> Result<(usize, &'static str), nom::Err<PErr<'_>>> {
    if i.starts_with("{!{") {
        Ok((3, "}!}"))
    } else if i.starts_with('{') {
        Ok((1, "}"))
    } else {
        Err(nom::Err::Error(PErr {
            input: i,
            msg: None,
        }))
    }
}

fn unterminated_tag(close: &str) -> &'static str {
    if close == "}" {
        "unterminated tag '{ ... }'"
    } else {
        "unterminated tag '{!{ ... }!}'"
    }
}

// spaces = *( WSP / CR / LF )          ; inside a tag: no comments
fn spaces(i: &str) -> Res<'_, ()> {
    Ok((i.trim_start(), ()))
}

// string = DQUOTE *( any char but DQUOTE or "\" ) DQUOTE
//        / "'" *( any char but "'" or "\" ) "'"
fn string_literal(i: &str) -> Res<'_, &str> {
    let Some(quote) = i.chars().next().filter(|c| *c == '"' || *c == '\'') else {
        return Err(nom::Err::Error(PErr {
            input: i,
            msg: None,
        }));
    };
    let body = &i[1..];
    for (n, c) in body.char_indices() {
        if c == quote {
            return Ok((&body[n + 1..], &body[..n]));
        }
        if c == '\\' {
            return fail(&body[n..], "escapes are not supported in tag strings");
        }
    }
    fail(i, "unterminated string in tag")
}

// out-assign = "out" spaces "=" spaces string spaces [ ";" spaces ]
//            ; semantics/1.0: the rule's result is the string
fn out_assign(i: &str) -> Res<'_, &str> {
    let (rest, _) = tag("out")(i)?;
    let (rest, _) = spaces(rest)?;
    // Without "=" this is not an assignment (it may be the literal "out").
    let (rest, _) = char('=')(rest)?;
    let (rest, _) = spaces(rest)?;
    let (rest, value) = expect(
        string_literal,
        "expected a quoted string after 'out =' (only string values are supported)",
    )(rest)?;
    let (rest, _) = spaces(rest)?;
    let (rest, _) = opt(char(';')).parse(rest)?;
    let (rest, _) = spaces(rest)?;
    Ok((rest, value))
}

// literal = 1*( ALPHA / DIGIT / "_" / "-" / "." )
//         ; semantics/1.0-literals: the tag's content is the result
fn literal(i: &str) -> Res<'_, &str> {
    take_while1(|c: char| c.is_alphanumeric() || "_-.".contains(c))(i)
}

// tag-content = spaces [ out-assign / literal spaces ]
fn tag_content(i: &str) -> Res<'_, Option<&str>> {
    let (i, _) = spaces(i)?;
    let (i, value) = opt(alt((out_assign, lex_spaces(literal)))).parse(i)?;
    Ok((i, value))
}

/// `p` followed by [`spaces`].
fn lex_spaces<'a, O, P>(mut p: P) -> impl FnMut(&'a str) -> Res<'a, O>
where
    P: Parser<&'a str, Output = O, Error = PErr<'a>>,
{
    move |i: &'a str| {
        let (i, o) = p.parse(i)?;
        let (i, _) = spaces(i)?;
        Ok((i, o))
    }
}

// tag = "{!{" tag-content "}!}" ws / "{" tag-content "}" ws
//     ; SRGS 1.0 section 2.6; a "{ }" tag ends at its first "}"
//     ; an empty tag matches the empty input and sets nothing
fn tag_item(i: &str) -> Res<'_, Expr> {
    let (open, close) = tag_delimiters(i)?;
    let body = &i[open..];
    let Some(end) = body.find(close) else {
        return fail(i, unterminated_tag(close));
    };
    let (rest, value) = tag_content(body)?;
    let used = body.len() - rest.len();
    if used > end {
        return fail(
            &body[end..],
            "a '{ }' tag ends at its first '}' (write '{!{ ... }!}' for content with '}')",
        );
    }
    if used < end {
        return fail(
            rest,
            "unsupported tag content: write {out=\"word\"} or {word}",
        );
    }
    let expr = match value {
        Some(v) => Expr::Tag(v.to_string()),
        None => Expr::Null,
    };
    Ok((ws(&body[end + close.len()..])?.0, expr))
}

// rule-name = 1*( ALPHA / DIGIT / "_" )   ; Unicode letters and digits allowed
fn rule_name(i: &str) -> Res<'_, &str> {
    take_while1(is_name_char)(i)
}

// rule-ref = "$" ( rule-name / "<" uri ">" ) ws
//          ; $NULL, $VOID and $GARBAGE are the special rules
fn rule_ref(i: &str) -> Res<'_, Expr> {
    let start = i;
    let (i, _) = char('$')(i)?;
    if i.starts_with('<') {
        return fail(start, "external rule references ($<uri>) are not supported");
    }
    let (i, name) = expect(rule_name, "expected a rule name after '$'")(i)?;
    let (i, _) = ws(i)?;
    let expr = match name {
        "NULL" => Expr::Null,
        "VOID" => Expr::Void,
        "GARBAGE" => Expr::Garbage,
        _ => Expr::Ref {
            name: name.to_string(),
            at: 0,
        },
    };
    Ok((i, expr))
}

/// Converts a run of DTMF characters to keys; fails at the first character
/// that is not a DTMF key.
fn keys_of(word: &str) -> Result<Vec<KeyIndex>, (usize, String)> {
    let mut keys = Vec::with_capacity(word.len());
    for (pos, c) in word.char_indices() {
        match key_index(c) {
            Some(k) if !c.is_ascii_lowercase() => keys.push(k),
            _ => {
                return Err((
                    pos,
                    format!("'{c}' is not a DTMF token (expected 0-9, *, #, A-D)"),
                ))
            }
        }
    }
    Ok(keys)
}

// dtmf-word = 1*dtmf-key ws        ; "123" is the sequence 1 2 3
// dtmf-key  = DIGIT / "*" / "#" / "A" / "B" / "C" / "D"
fn dtmf_word(i: &str) -> Res<'_, Expr> {
    let (rest, word) = take_while1(is_word_char)(i)?;
    if word == "public" || word == "private" {
        // Most likely a missing ';' before the next rule definition.
        return Err(nom::Err::Error(PErr {
            input: i,
            msg: None,
        }));
    }
    match keys_of(word) {
        Ok(keys) => Ok((ws(rest)?.0, Expr::Keys(keys))),
        Err((at, msg)) => fail(&i[at..], msg),
    }
}

// quoted = DQUOTE ws 1*( dtmf-word ) DQUOTE ws   ; "*", "#", "1 2"
fn quoted(i: &str) -> Res<'_, Expr> {
    let (body, _) = char('"')(i)?;
    let Some(end) = body.find('"') else {
        return fail(i, "unterminated quoted token");
    };
    let mut keys = Vec::new();
    let inner = &body[..end];
    let mut offset = 0;
    for piece in inner.split_whitespace() {
        let pos = inner[offset..].find(piece).map_or(offset, |p| p + offset);
        offset = pos + piece.len();
        match keys_of(piece) {
            Ok(k) => keys.extend(k),
            Err((at, msg)) => return fail(&body[pos + at..], msg),
        }
    }
    if keys.is_empty() {
        return fail(i, "empty quoted token");
    }
    Ok((ws(&body[end + 1..])?.0, Expr::Keys(keys)))
}

// group = "(" ws alternatives ")" ws
fn group(i: &str) -> Res<'_, Expr> {
    let (i, _) = lex(char('(')).parse(i)?;
    let (i, e) = alternatives(i)?;
    let (i, _) = lex(expect(char(')'), "expected ')' to close the group")).parse(i)?;
    Ok((i, e))
}

// optional = "[" ws alternatives "]" ws      ; same as ( ... )<0-1>
fn optional(i: &str) -> Res<'_, Expr> {
    let at = i;
    let (i, _) = lex(char('[')).parse(i)?;
    let (i, e) = alternatives(i)?;
    let (i, _) = lex(expect(
        char(']'),
        "expected ']' to close the optional group",
    ))
    .parse(i)?;
    Ok((
        i,
        Expr::Repeat {
            inner: Box::new(e),
            min: 0,
            max: Some(1),
            at: at.len(),
        },
    ))
}

// repeat = "<" ws count ws [ "-" ws [ count ws ] ] [ weight ] ">" ws
fn repeat(i: &str) -> Res<'_, (u32, Option<u32>)> {
    let start = i;
    let (i, _) = lex(char('<')).parse(i)?;
    let (i, min) = lex(expect(count, "expected a repeat count after '<'")).parse(i)?;
    let (i, dash) = opt(lex(char('-'))).parse(i)?;
    let (i, max) = match dash {
        None => (i, Some(min)),
        Some(_) => lex(opt(count)).parse(i)?,
    };
    let (i, _) = opt(weight).parse(i)?;
    let (i, _) = lex(expect(char('>'), "expected '>' to close the repeat")).parse(i)?;
    if let Some(max) = max {
        if min > max {
            return fail(
                start,
                format!("repeat <{min}-{max}>: minimum exceeds maximum"),
            );
        }
    }
    Ok((i, (min, max)))
}

// item = dtmf-word / quoted / rule-ref / group / optional / tag
fn item(i: &str) -> Res<'_, Expr> {
    let at = i.len();
    alt((
        tag_item,
        quoted,
        map(rule_ref_not_definition, move |e| match e {
            Expr::Ref { name, .. } => Expr::Ref { name, at },
            other => other,
        }),
        group,
        optional,
        dtmf_word,
    ))
    .parse(i)
}

/// A rule reference that is not the start of the next rule definition
/// (`$b =`), so that a missing `;` is reported where it belongs.
fn rule_ref_not_definition(i: &str) -> Res<'_, Expr> {
    let (rest, e) = rule_ref(i)?;
    if rest.starts_with('=') {
        return Err(nom::Err::Error(PErr {
            input: i,
            msg: None,
        }));
    }
    Ok((rest, e))
}

// element = item [ repeat ]       ; a tag is an item: `1 {out="x"}` is a sequence
fn element(i: &str) -> Res<'_, Expr> {
    let (i, e) = item(i)?;
    let rep_at = i.len();
    let (i, rep) = opt(repeat).parse(i)?;
    let e = match rep {
        None => e,
        Some((min, max)) => Expr::Repeat {
            inner: Box::new(e),
            min,
            max,
            at: rep_at,
        },
    };
    Ok((i, e))
}

// sequence = 1*element
fn sequence(i: &str) -> Res<'_, Expr> {
    let (mut i, first) = expect(element, "expected a DTMF token, rule reference, '(' or '['")(i)?;
    let mut items = vec![first];
    loop {
        match element(i) {
            Ok((rest, e)) => {
                items.push(e);
                i = rest;
            }
            Err(nom::Err::Error(_)) => break,
            Err(e) => return Err(e),
        }
    }
    let e = if items.len() == 1 {
        items.pop().unwrap_or(Expr::Null)
    } else {
        Expr::Seq(items)
    };
    Ok((i, e))
}

// alternatives = [weight] sequence *( "|" ws [weight] sequence )
fn alternatives(i: &str) -> Res<'_, Expr> {
    let (i, _) = opt(weight).parse(i)?;
    let (mut i, first) = sequence(i)?;
    let mut alts = vec![first];
    while let Ok((rest, _)) = lex(char::<&str, PErr>('|')).parse(i) {
        let (rest, _) = opt(weight).parse(rest)?;
        let (rest, e) = sequence(rest)?;
        alts.push(e);
        i = rest;
    }
    let e = if alts.len() == 1 {
        alts.pop().unwrap_or(Expr::Null)
    } else {
        Expr::Alt(alts)
    };
    Ok((i, e))
}

// rule-def = [ ("public" / "private") 1*WSP ] "$" rule-name ws "=" ws alternatives ";" ws
fn rule_def(i: &str) -> Res<'_, RuleDef> {
    let (i, scope) = opt(lex(alt((
        map(tag("public"), |_| Scope::Public),
        map(tag("private"), |_| Scope::Private),
    ))))
    .parse(i)?;
    let at_str = i;
    let (i, _) = if scope.is_some() {
        expect(char('$'), "expected '$rule' after the scope")(i)?
    } else {
        char('$')(i)?
    };
    let (i, name) = lex(expect(rule_name, "expected a rule name after '$'")).parse(i)?;
    if matches!(name, "NULL" | "VOID" | "GARBAGE") {
        return fail(at_str, format!("cannot define the special rule ${name}"));
    }
    let (i, _) = lex(expect(char('='), "expected '=' after the rule name")).parse(i)?;
    let (i, body) = alternatives(i)?;
    let (i, _) = match lex(char::<&str, PErr>(';')).parse(i) {
        Ok(r) => r,
        Err(_) => return fail(i, format!("expected ';' after rule ${name}")),
    };
    let rule = RuleDef {
        name: name.to_string(),
        scope: scope.unwrap_or(Scope::Private),
        body,
        at: 0, // filled in by the caller, which knows the source length
    };
    Ok((i, rule))
}

// mode-decl = "mode" 1*WSP ( "dtmf" / "voice" ) ws ";" ws
fn mode_decl(i: &str) -> Res<'_, Decl> {
    let (i, _) = lex(tag("mode")).parse(i)?;
    let at = i;
    let (i, word) = lex(take_while(is_name_char)).parse(i)?;
    let dtmf = match word {
        "dtmf" => true,
        "voice" => false,
        _ => return fail(at, "expected 'dtmf' or 'voice' after 'mode'"),
    };
    let (i, _) = lex(expect(char(';'), "expected ';' after the mode declaration")).parse(i)?;
    Ok((i, Decl::Mode { dtmf, at: at.len() }))
}

// root-decl = "root" 1*WSP "$" rule-name ws ";" ws
fn root_decl(i: &str) -> Res<'_, Decl> {
    let (i, _) = lex(tag("root")).parse(i)?;
    let at = i;
    let (i, _) = expect(char('$'), "expected '$rule' after 'root'")(i)?;
    let (i, name) = lex(expect(rule_name, "expected a rule name after '$'")).parse(i)?;
    let (i, _) = lex(expect(char(';'), "expected ';' after the root declaration")).parse(i)?;
    Ok((
        i,
        Decl::Root {
            name: name.to_string(),
            at: at.len(),
        },
    ))
}

// other-decl = ( "language" / "tag-format" / "base" / "lexicon" / "meta" / "http-equiv" )
//              1*( quoted-string / any char but ";" ) ";" ws
fn other_decl(i: &str) -> Res<'_, Decl> {
    let (mut rest, _) = lex(alt((
        tag("language"),
        tag("tag-format"),
        tag("base"),
        tag("lexicon"),
        tag("meta"),
        tag("http-equiv"),
    )))
    .parse(i)?;
    loop {
        match rest.chars().next() {
            None => return fail(rest, "expected ';' after the declaration"),
            Some(';') => return Ok((ws(&rest[1..])?.0, Decl::Ignored)),
            Some('"') => match rest[1..].find('"') {
                Some(n) => rest = &rest[n + 2..],
                None => return fail(rest, "unterminated quoted string"),
            },
            Some(c) => rest = &rest[c.len_utf8()..],
        }
    }
}

// header-tag = raw-tag ";" ws
fn header_tag(i: &str) -> Res<'_, Decl> {
    let (i, _) = raw_tag(i)?;
    let (i, _) = lex(expect(char(';'), "expected ';' after the header tag")).parse(i)?;
    Ok((i, Decl::Ignored))
}

// declaration = mode-decl / root-decl / other-decl / header-tag
fn declaration(i: &str) -> Res<'_, Decl> {
    alt((mode_decl, root_decl, other_decl, header_tag)).parse(i)
}

// header = "#ABNF" 1*WSP "1.0" [ 1*WSP encoding ] ws ";" ws
fn header(i: &str) -> Res<'_, ()> {
    let (i, _) = expect(tag("#ABNF"), "expected the '#ABNF 1.0;' header")(i)?;
    let (i, _) = take_while1(|c: char| c == ' ' || c == '\t')(i)
        .or_else(|_: nom::Err<PErr>| fail(i, "expected ' 1.0' after '#ABNF'"))?;
    let at = i;
    let (i, version) = take_while1(|c: char| c.is_ascii_digit() || c == '.')(i)
        .or_else(|_: nom::Err<PErr>| fail(i, "expected the version '1.0'"))?;
    if version != "1.0" {
        return fail(
            at,
            format!("unsupported ABNF version '{version}' (expected 1.0)"),
        );
    }
    let (i, _) = take_while(|c: char| c == ' ' || c == '\t')(i)?;
    let (i, _encoding) = opt(take_while1(|c: char| !c.is_whitespace() && c != ';')).parse(i)?;
    let (i, _) = ws(i)?;
    let (i, _) = lex(expect(char(';'), "expected ';' after the header")).parse(i)?;
    Ok((i, ()))
}

// grammar = [BOM] ws header *( declaration / rule-def ) EOF
fn document(src: &str) -> Res<'_, Document> {
    let i = src.strip_prefix('\u{feff}').unwrap_or(src);
    let (i, _) = ws(i)?;
    let (mut i, _) = header(i)?;
    let mut doc = Document {
        decls: Vec::new(),
        rules: Vec::new(),
    };
    while !i.is_empty() {
        match declaration(i) {
            Ok((rest, d)) => {
                doc.decls.push(d);
                i = rest;
                continue;
            }
            Err(nom::Err::Error(_)) => {}
            Err(e) => return Err(e),
        }
        let at = src.len() - i.len();
        match rule_def(i) {
            Ok((rest, mut r)) => {
                r.at = at + i[..].find('$').unwrap_or(0);
                doc.rules.push(r);
                i = rest;
            }
            Err(nom::Err::Error(_)) => {
                return fail(
                    i,
                    "expected a declaration or a rule definition ($name = ...;)",
                )
            }
            Err(e) => return Err(e),
        }
    }
    Ok((i, doc))
}

/// Parses a whole grammar. On failure returns the byte offset of the problem
/// and a message.
pub(crate) fn parse_document(src: &str) -> Result<Document, (usize, String)> {
    // The parser is recursive descent: bound the nesting before parsing so
    // that no input can exhaust the stack.
    let mut depth = 0usize;
    for (i, c) in src.char_indices() {
        match c {
            '(' | '[' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err((i, format!("groups nested more than {MAX_NESTING} deep")));
                }
            }
            ')' | ']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    match document(src) {
        Ok((_, mut doc)) => {
            // Offsets inside expressions were recorded as "remaining length";
            // convert them to byte offsets from the start.
            for r in &mut doc.rules {
                fix_offsets(&mut r.body, src.len());
            }
            for d in &mut doc.decls {
                match d {
                    Decl::Mode { at, .. } | Decl::Root { at, .. } => *at = src.len() - *at,
                    Decl::Ignored => {}
                }
            }
            Ok(doc)
        }
        Err(nom::Err::Error(e)) | Err(nom::Err::Failure(e)) => {
            let offset = src.len() - e.input.len();
            let msg = e
                .msg
                .map(Cow::into_owned)
                .unwrap_or_else(|| "syntax error".to_string());
            Err((offset, msg))
        }
        Err(nom::Err::Incomplete(_)) => Err((src.len(), "unexpected end of input".to_string())),
    }
}

fn fix_offsets(e: &mut Expr, len: usize) {
    match e {
        Expr::Ref { at, .. } => *at = len.saturating_sub(*at),
        Expr::Repeat { inner, at, .. } => {
            *at = len.saturating_sub(*at);
            fix_offsets(inner, len);
        }
        Expr::Seq(v) | Expr::Alt(v) => v.iter_mut().for_each(|x| fix_offsets(x, len)),
        Expr::Keys(_) | Expr::Null | Expr::Tag(_) | Expr::Void | Expr::Garbage => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(s: &str) -> Expr {
        Expr::Keys(s.chars().filter_map(key_index).collect())
    }

    #[test]
    fn words_and_quotes() {
        assert_eq!(dtmf_word("12*# |").unwrap().1, keys("12*#"));
        assert_eq!(quoted("\"*\" x").unwrap().1, keys("*"));
        assert_eq!(quoted("\"1 2 #\"").unwrap().1, keys("12#"));
        assert!(matches!(dtmf_word("12x"), Err(nom::Err::Failure(_))));
    }

    #[test]
    fn repeats() {
        assert_eq!(repeat("<4>").unwrap().1, (4, Some(4)));
        assert_eq!(repeat("< 4 - 6 >").unwrap().1, (4, Some(6)));
        assert_eq!(repeat("<1->").unwrap().1, (1, None));
        assert_eq!(repeat("<0-1 /0.5/>").unwrap().1, (0, Some(1)));
        assert!(repeat("<6-4>").is_err());
        assert!(repeat("<99999999999>").is_err());
    }

    #[test]
    fn comments_are_whitespace() {
        assert_eq!(ws("  // x\n /* y */ z").unwrap().0, "z");
        assert!(ws("/* open").is_err());
    }
}
