//! Drawing a supervisor dialog.

use super::Dialog;
use crate::widgets::{bad, block, bold, dim, key, popup};
use tuirealm::ratatui::layout::{Position, Rect};
use tuirealm::ratatui::style::{Color, Modifier, Style};
use tuirealm::ratatui::text::{Line, Span};
use tuirealm::ratatui::widgets::{Paragraph, Wrap};
use tuirealm::ratatui::Frame;

/// Draws the dialog (nothing when none is open) centred in `area`.
pub fn draw(d: &Option<Dialog>, f: &mut Frame, area: Rect) {
    let Some(d) = d else { return };
    let r = popup(f, area, 76, 8 + 2 * d.fields.len() as u16);
    let b = block(d.title(), true).border_style(Style::default().fg(Color::Yellow));
    let inner = b.inner(r);
    f.render_widget(b, r);
    let mut lines = Vec::new();
    let mut cursor = None;
    for (i, field) in d.fields.iter().enumerate() {
        let active = i == d.at && !d.confirming;
        let label = format!("{:>12}: ", field.label);
        if active {
            cursor = Some((
                label.chars().count() + field.value.chars().count(),
                lines.len(),
            ));
        }
        lines.push(Line::from(vec![
            Span::styled(label, if active { bold() } else { dim() }),
            Span::styled(
                field.value.clone(),
                if active {
                    Style::default().add_modifier(Modifier::UNDERLINED | Modifier::BOLD)
                } else {
                    Style::default()
                },
            ),
        ]));
        lines.push(Line::styled(format!("{:>14}{}", "", field.help), dim()));
    }
    lines.push(Line::raw(""));
    if let Some(e) = &d.error {
        lines.push(Line::styled(e.clone(), bad()));
    }
    if let Some(done) = &d.result {
        lines.push(Line::styled(
            done.clone(),
            Style::default()
                .fg(Color::Green)
                .add_modifier(Modifier::BOLD),
        ));
        lines.push(Line::from(vec![
            key("Enter"),
            Span::raw("/"),
            key("Esc"),
            Span::raw(" close (write the key down first)"),
        ]));
    } else if d.busy {
        lines.push(Line::styled("working…", dim()));
    } else if d.confirming {
        lines.push(Line::styled(
            d.summary(),
            Style::default()
                .fg(Color::Yellow)
                .add_modifier(Modifier::BOLD),
        ));
        lines.push(Line::from(vec![
            key("y"),
            Span::raw("/"),
            key("Enter"),
            Span::raw(" do it · "),
            key("n"),
            Span::raw("/"),
            key("Esc"),
            Span::raw(" go back"),
        ]));
    } else {
        lines.push(Line::from(vec![
            key("Tab"),
            Span::raw("/"),
            key("Enter"),
            Span::raw(" next field · "),
            key("Shift-Tab"),
            Span::raw(" previous · "),
            key("Esc"),
            Span::raw(" cancel"),
        ]));
    }
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
    if let Some((x, y)) = cursor {
        let x = inner.x + x as u16;
        if x < inner.right() {
            f.set_cursor_position(Position::new(x, inner.y + y as u16));
        }
    }
}
