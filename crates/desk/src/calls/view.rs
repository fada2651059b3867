//! Drawing the calls screen.

use super::components::CallsData;
use crate::widgets::{block, bold, dim, key};
use actline_engine::ids::install::LAYOUT;
use tuirealm::ratatui::layout::Rect;
use tuirealm::ratatui::style::{Color, Modifier, Style};
use tuirealm::ratatui::text::{Line, Span};
use tuirealm::ratatui::widgets::{Paragraph, Wrap};
use tuirealm::ratatui::Frame;

/// Draws the calls screen.
pub fn draw(d: &CallsData, f: &mut Frame, area: Rect) {
    let s = &d.state;
    let b = block("Calls handed over by the IVR", d.focus);
    let inner = b.inner(area);
    f.render_widget(b, area);
    let mut lines = vec![Line::from(vec![
        key("↑↓"),
        Span::raw(" select · "),
        key("Enter"),
        Span::raw(" take the call and continue it on the activation screen · "),
        key("x"),
        Span::raw(" dismiss (the caller hung up) · "),
        key("F5"),
        Span::raw(" refresh"),
    ])];
    lines.push(Line::raw(""));
    if s.list.is_empty() {
        lines.push(Line::styled("No calls are waiting.", dim()));
        f.render_widget(Paragraph::new(lines), inner);
        return;
    }
    let list_height = (inner.height as usize / 2).max(3);
    let start = s.selected.saturating_sub(list_height.saturating_sub(1));
    for (i, c) in s.list.iter().enumerate().skip(start).take(list_height) {
        let head = format!(
            "#{:<4} {}  {:<14} {}/{} groups  ",
            c.id,
            c.at.get(11..16).unwrap_or(&c.at),
            c.call,
            c.groups.len(),
            LAYOUT.groups,
        );
        let room = (inner.width as usize).saturating_sub(head.chars().count());
        let text = format!("{head}{}", c.reason.chars().take(room).collect::<String>());
        lines.push(if i == s.selected {
            Line::styled(
                text,
                Style::default()
                    .fg(Color::Black)
                    .bg(Color::Cyan)
                    .add_modifier(Modifier::BOLD),
            )
        } else {
            Line::raw(text)
        });
    }
    if let Some(c) = s.list.get(s.selected) {
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            format!("Call {} — why it was transferred:", c.call),
            bold(),
        ));
        lines.push(Line::raw(format!("  {}", c.reason)));
        lines.push(Line::styled("What the caller entered:", bold()));
        lines.push(Line::raw(if c.groups.is_empty() {
            "  nothing yet".to_string()
        } else {
            format!("  {}", c.groups.join(" "))
        }));
        if !c.trace.is_empty() {
            lines.push(Line::styled("The IVR's decision:", bold()));
            for t in &c.trace {
                lines.push(Line::raw(format!("  {t}")));
            }
        }
    }
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}
