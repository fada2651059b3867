//! Drawing the help overlay.

use super::components::HelpData;
use crate::widgets::{block, bold, key, popup};
use tuirealm::ratatui::layout::Rect;
use tuirealm::ratatui::text::{Line, Span};
use tuirealm::ratatui::widgets::{Paragraph, Wrap};
use tuirealm::ratatui::Frame;

/// Every key, as (key, what it does) under section titles.
pub fn sections(supervisor: bool) -> Vec<(&'static str, Vec<(&'static str, &'static str)>)> {
    let mut s = vec![
        (
            "Anywhere",
            vec![
                ("F1", "show or hide this help"),
                ("F2", "activation screen"),
                ("F3", "lookup: agreements, customers, keys, audit trail"),
                ("F4", "calls handed over by the IVR"),
                ("F5", "refresh (or reconnect to the ledger)"),
                ("F10 / Ctrl-Q / Ctrl-C", "quit"),
            ],
        ),
        (
            "Installation ID field",
            vec![
                ("0-9", "type digits; groups fill and check as they complete"),
                ("space - .", "separators, optional"),
                ("paste", "a whole ID at once"),
                ("Backspace", "delete the last digit"),
                ("Ctrl-U / Del / Esc", "clear the ID"),
                ("Ctrl-Z", "bring back the digits a clear wiped"),
                (
                    "Tab",
                    "take the likely correction (after the caller confirms)",
                ),
                ("Enter", "decide"),
            ],
        ),
        (
            "Decision panel",
            vec![
                ("r", "read-back mode on or off"),
                ("Space / → / Enter", "next group in read-back"),
                ("←", "previous group"),
                (
                    "0-9 in read-back",
                    "the digits the caller reads back: checked, ✓ or ✗",
                ),
                ("p", "play the confirmation ID aloud (or write a WAV)"),
                ("↑ ↓ PgUp PgDn", "scroll the trace"),
                ("n / Esc", "new installation ID"),
                ("c", "copy the confirmation ID to the clipboard (OSC 52)"),
                ("[ ]", "scroll the plain ID when it is wider than the panel"),
                ("Tab", "back to the ID field"),
            ],
        ),
        (
            "Lookup",
            vec![
                ("type", "find by any part of a name or number"),
                ("Tab", "switch between find and the audit trail (filter)"),
                ("↑ ↓ PgUp PgDn", "select"),
                ("Enter", "open an agreement or key"),
                ("Esc / Backspace", "back"),
            ],
        ),
        (
            "Calls",
            vec![
                ("↑ ↓", "select"),
                ("Enter", "take the call and continue it"),
                ("x", "dismiss a call (the caller hung up)"),
            ],
        ),
    ];
    if supervisor {
        s.push((
            "Supervisors (each asks for a reason and a confirmation)",
            vec![
                ("F6", "raise the limit of the key on screen"),
                ("F7", "move a seat to a replacement machine"),
                ("F8", "issue a partner key"),
                ("Tab / Shift-Tab", "next / previous field"),
                ("y / Enter, n / Esc", "confirm, go back"),
            ],
        ));
    }
    s
}

/// Draws the help overlay.
pub fn draw(d: &HelpData, f: &mut Frame, area: Rect) {
    let r = popup(f, area, 84, area.height);
    let b = block("Help — every key (↑↓ scroll, Esc closes)", true);
    let inner = b.inner(r);
    f.render_widget(b, r);
    let mut lines = Vec::new();
    for (title, keys) in sections(d.supervisor) {
        lines.push(Line::styled(title, bold()));
        for (k, what) in keys {
            lines.push(Line::from(vec![
                Span::raw("  "),
                key(&format!("{k:<22}")),
                Span::raw(what),
            ]));
        }
    }
    lines.push(Line::raw("Nothing needs a mouse."));
    let max = (lines.len() as u16).saturating_sub(inner.height);
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((d.scroll.min(max), 0)),
        inner,
    );
}
