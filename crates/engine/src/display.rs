//! Text from outside (batch labels, customer names, catalog families, voice
//! pack names, call names, reasons) made safe to print on a terminal.
//!
//! Such text may hold escape sequences that clear the screen or move the
//! cursor, or a `\r\n` that starts a line which looks like one of ours (a fake
//! `  - granted` trace line). [`visible`] is the one function every
//! human-readable output passes such text through. JSON output does not need
//! it: serde escapes control characters there.

use std::borrow::Cow;

/// Whether `c` can change what a terminal shows beyond printing a glyph:
/// C0 and C1 control characters and DEL (`char::is_control`), and the
/// Unicode bidirectional embeddings, overrides and isolates, which reorder
/// the text around them.
fn hidden(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `s` with every control character shown as a Rust-style escape: `\r`,
/// `\n`, `\t`, and `\u{1b}` for the others (ESC, DEL, C1 controls, bidi
/// overrides). A backslash is left as it is, so the result is for people,
/// not for parsing back. Text with nothing to escape is returned borrowed.
///
/// ```
/// use actline_engine::display::visible;
/// assert_eq!(visible("Northwind Labs"), "Northwind Labs");
/// assert_eq!(visible("a\x1b[2J\r\n  - granted"), r"a\u{1b}[2J\r\n  - granted");
/// ```
pub fn visible(s: &str) -> Cow<'_, str> {
    if !s.chars().any(hidden) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\r' => out.push_str(r"\r"),
            '\n' => out.push_str(r"\n"),
            '\t' => out.push_str(r"\t"),
            c if hidden(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::visible;
    use std::borrow::Cow;

    #[test]
    fn plain_text_is_borrowed_and_unchanged() {
        assert!(matches!(
            visible("Contoso, Ltd. — Zürich"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn every_control_character_is_escaped() {
        let all: String = (0u32..0x100)
            .chain(0x2000..0x2100)
            .filter_map(char::from_u32)
            .collect();
        let shown = visible(&all);
        assert!(!shown.chars().any(|c| c.is_control()), "{shown:?}");
        assert!(
            shown.contains(r"\u{1b}") && shown.contains(r"\u{7f}") && shown.contains(r"\u{9b}")
        );
        assert!(shown.contains(r"\u{202e}") && shown.contains(r"\u{2066}"));
    }
}
