//! Drawing shared by the screens: the tab bar, the status bar, the notice
//! line, the too-small message, popups and large digits.

use super::desk::{Conn, Desk};
use super::msg::Screen;
use tuirealm::ratatui::layout::Rect;
use tuirealm::ratatui::style::{Color, Modifier, Style};
use tuirealm::ratatui::text::{Line, Span};
use tuirealm::ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use tuirealm::ratatui::Frame;

/// The smallest terminal the desk draws in.
pub const MIN_WIDTH: u16 = 80;
/// The smallest terminal the desk draws in.
pub const MIN_HEIGHT: u16 = 24;

/// Bold.
pub fn bold() -> Style {
    Style::default().add_modifier(Modifier::BOLD)
}

/// Dimmed.
pub fn dim() -> Style {
    Style::default().fg(Color::DarkGray)
}

/// Good news.
pub fn good() -> Style {
    Style::default()
        .fg(Color::Green)
        .add_modifier(Modifier::BOLD)
}

/// Bad news.
pub fn bad() -> Style {
    Style::default().fg(Color::Red).add_modifier(Modifier::BOLD)
}

/// A key name in help lines.
pub fn key(k: &str) -> Span<'static> {
    Span::styled(
        k.to_string(),
        Style::default()
            .fg(Color::Cyan)
            .add_modifier(Modifier::BOLD),
    )
}

/// A bordered block with a title.
pub fn block(title: &str, focused: bool) -> Block<'static> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(if focused {
            Style::default().fg(Color::Cyan)
        } else {
            dim()
        })
        .title(Span::styled(format!(" {title} "), bold()))
}

/// The terminal is too small: say how large it must be.
pub fn too_small(f: &mut Frame, area: Rect) {
    let text = vec![
        Line::styled("The agent desk needs a larger terminal.", bold()),
        Line::raw(format!(
            "It needs at least {MIN_WIDTH} columns × {MIN_HEIGHT} rows; this one is {} × {}.",
            area.width, area.height
        )),
        Line::raw("Enlarge the window (or reduce the font size). F10 quits."),
    ];
    f.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
}

/// The tab bar.
pub fn header(desk: &Desk, f: &mut Frame, area: Rect) {
    let tab = |k: &str, name: String, screen: Screen| {
        let style = if desk.screen == screen {
            Style::default()
                .fg(Color::Black)
                .bg(Color::Cyan)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::default()
        };
        vec![
            key(k),
            Span::styled(format!(" {name} "), style),
            Span::raw(" "),
        ]
    };
    let waiting = desk.calls.list.len();
    let mut spans = vec![Span::styled(" actline desk ", bold())];
    spans.extend(tab("F2", "Activation".into(), Screen::Activation));
    spans.extend(tab("F3", "Lookup".into(), Screen::Lookup));
    spans.extend(tab(
        "F4",
        if waiting > 0 {
            format!("Calls ({waiting} waiting)")
        } else {
            "Calls".into()
        },
        Screen::Calls,
    ));
    spans.push(key("F1"));
    spans.push(Span::raw(" Help  "));
    spans.push(key("F10"));
    spans.push(Span::raw(" Quit"));
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The notice line: the latest notice, or what the focused field expects.
pub fn notice(desk: &Desk, f: &mut Frame, area: Rect) {
    let line = match &desk.notice {
        Some(n) => Line::styled(format!(" {}", n.text), if n.error { bad() } else { good() }),
        None if desk.pending > 0 => Line::styled(" working…", dim()),
        None => Line::raw(""),
    };
    f.render_widget(Paragraph::new(line), area);
}

/// The status bar: who, which role, which ledger.
pub fn status(desk: &Desk, f: &mut Frame, area: Rect) {
    let style = Style::default().fg(Color::Black).bg(Color::Gray);
    let text = match &desk.conn {
        Conn::Connecting => " opening the ledger…".to_string(),
        Conn::Ready(i) => format!(" {} · {} · ledger {}", i.user, i.role, i.ledger),
        Conn::Unavailable(_) => " not connected to the ledger — F5 tries again".to_string(),
    };
    f.render_widget(Paragraph::new(Line::styled(text, style)).style(style), area);
}

/// The ledger could not be opened: the message, in the body.
pub fn unavailable(message: &str, f: &mut Frame, area: Rect) {
    let text = vec![
        Line::styled("The ledger is not available.", bad()),
        Line::raw(""),
        Line::raw(message.to_string()),
        Line::raw(""),
        Line::from(vec![
            key("F5"),
            Span::raw(" tries again   "),
            key("F10"),
            Span::raw(" quits"),
        ]),
    ];
    f.render_widget(
        Paragraph::new(text)
            .wrap(Wrap { trim: false })
            .block(block("Ledger", false)),
        area,
    );
}

/// A centred popup of at most `w` × `h`, cleared.
pub fn popup(f: &mut Frame, area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    let r = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    f.render_widget(Clear, r);
    r
}

/// Three-row digits, four columns each.
pub fn big_digits(digits: &str) -> [String; 3] {
    const GLYPHS: [[&str; 3]; 10] = [
        [" _ ", "| |", "|_|"],
        ["   ", "  |", "  |"],
        [" _ ", " _|", "|_ "],
        [" _ ", " _|", " _|"],
        ["   ", "|_|", "  |"],
        [" _ ", "|_ ", " _|"],
        [" _ ", "|_ ", "|_|"],
        [" _ ", "  |", "  |"],
        [" _ ", "|_|", "|_|"],
        [" _ ", "|_|", " _|"],
    ];
    let mut rows = [String::new(), String::new(), String::new()];
    for c in digits.chars() {
        let g = c
            .to_digit(10)
            .map(|d| GLYPHS[d as usize])
            .unwrap_or(["   "; 3]);
        for (row, glyph) in rows.iter_mut().zip(g) {
            row.push_str(glyph);
            row.push(' ');
        }
    }
    rows
}
