//! Drawing the lookup screen.

use super::components::LookupData;
use super::{Detail, Mode};
use crate::view_model::ActivationLine;
use crate::widgets::{block, bold, dim, key};
use tuirealm::ratatui::layout::{Position, Rect};
use tuirealm::ratatui::style::{Color, Modifier, Style};
use tuirealm::ratatui::text::{Line, Span};
use tuirealm::ratatui::widgets::Paragraph;
use tuirealm::ratatui::Frame;

fn selected_style() -> Style {
    Style::default()
        .fg(Color::Black)
        .bg(Color::Cyan)
        .add_modifier(Modifier::BOLD)
}

/// Lines `rows` with `sel` highlighted, scrolled so it is visible in `height`.
fn window(rows: Vec<Line<'static>>, sel: Option<usize>, height: usize) -> Vec<Line<'static>> {
    let start = match sel {
        Some(s) if height > 0 && s >= height => s + 1 - height,
        _ => 0,
    };
    rows.into_iter()
        .enumerate()
        .skip(start)
        .take(height)
        .map(|(i, l)| {
            if Some(i) == sel {
                l.style(selected_style())
            } else {
                l
            }
        })
        .collect()
}

fn activation_row(a: &ActivationLine) -> Line<'static> {
    Line::raw(format!(
        "#{:<5} {:<20} {:<8} {:<28} machine {} · {}",
        a.id,
        a.at,
        a.decision,
        a.note.chars().take(28).collect::<String>(),
        a.machine,
        a.actor
    ))
}

/// Draws the lookup screen.
pub fn draw(d: &LookupData, f: &mut Frame, area: Rect) {
    let s = &d.state;
    let b = block("Lookup", d.focus);
    let inner = b.inner(area);
    f.render_widget(b, area);
    if inner.height < 4 {
        return;
    }
    let tab = |name: &str, on: bool| {
        Span::styled(
            format!(" {name} "),
            if on { selected_style() } else { dim() },
        )
    };
    let head = vec![
        tab("Find", s.mode == Mode::Find),
        Span::raw(" "),
        tab("Audit trail", s.mode == Mode::Audit),
        Span::raw("   "),
        key("Tab"),
        Span::raw(" switches · "),
        key("↑↓"),
        Span::raw(" select · "),
        key("Enter"),
        Span::raw(" open · "),
        key("Esc"),
        Span::raw(" back"),
    ];
    let (label, text) = match s.mode {
        Mode::Find => ("Find: ", s.query.as_str()),
        Mode::Audit => ("Filter: ", s.filter.as_str()),
    };
    let query = Line::from(vec![
        Span::styled(label, bold()),
        Span::raw(text.to_string()),
    ]);
    let hint = match s.mode {
        Mode::Find => "any part of an agreement number, customer name, product key or serial",
        Mode::Audit => "any part of an entry: actor, action, subject, detail, date",
    };
    let mut hint = vec![Span::styled(hint, dim())];
    if d.supervisor && matches!(s.detail, Some(Detail::Key(_))) {
        hint.extend([
            Span::raw(" · "),
            key("F6"),
            Span::raw(" raise limit · "),
            key("F7"),
            Span::raw(" move the selected seat"),
        ]);
    }
    let top = vec![Line::from(head), query, Line::from(hint)];
    f.render_widget(Paragraph::new(top), Rect { height: 3, ..inner });
    if d.focus && s.detail.is_none() {
        let x = inner.x + (label.len() + text.chars().count()) as u16;
        if x < inner.right() {
            f.set_cursor_position(Position::new(x, inner.y + 1));
        }
    }
    let body = Rect {
        y: inner.y + 4,
        height: inner.height.saturating_sub(4),
        ..inner
    };
    let h = body.height as usize;

    let lines = match (&s.detail, s.mode) {
        (Some(Detail::Key(k)), _) => {
            let mut lines = vec![
                Line::from(vec![
                    Span::styled(format!("{} key ", k.key.kind), bold()),
                    Span::styled(k.key.key.clone(), bold()),
                    Span::raw(format!(" · serial {}", k.key.serial)),
                ]),
                Line::raw(format!(
                    "{} · seats {} used, {} left of {}{}",
                    k.key.product,
                    k.key.used,
                    k.key.left,
                    k.key.limit,
                    if k.key.revoked { " · REVOKED" } else { "" }
                )),
                Line::raw(match &k.agreement {
                    Some(a) => format!(
                        "agreement {} · {} · {} {}",
                        a.id, a.customer, a.program, a.note
                    ),
                    None => "a direct key (no agreement)".into(),
                }),
                Line::styled(
                    format!("Activations ({}), oldest first:", k.activations.len()),
                    bold(),
                ),
            ];
            let rows: Vec<Line> = k.activations.iter().map(activation_row).collect();
            if rows.is_empty() {
                lines.push(Line::styled("none yet", dim()));
            }
            lines.extend(window(rows, Some(s.detail_selected), h.saturating_sub(4)));
            lines
        }
        (Some(Detail::Agreement(a)), _) => {
            let mut lines = vec![
                Line::styled(
                    format!("agreement {} · {}", a.agreement.id, a.agreement.customer),
                    bold(),
                ),
                Line::raw(format!("{} {}", a.agreement.program, a.agreement.note)),
                Line::raw(if a.affiliates.is_empty() {
                    "no affiliates".to_string()
                } else {
                    format!(
                        "affiliates that may use its keys: {}",
                        a.affiliates.join(", ")
                    )
                }),
                Line::styled(
                    format!("Keys ({}) — Enter opens one:", a.keys.len()),
                    bold(),
                ),
            ];
            let rows: Vec<Line> = a
                .keys
                .iter()
                .map(|k| {
                    Line::raw(format!(
                        "{} {:<9} {} · {} used, {} left of {}",
                        k.key, k.kind, k.product, k.used, k.left, k.limit
                    ))
                })
                .collect();
            if rows.is_empty() {
                lines.push(Line::styled("no keys yet", dim()));
            }
            lines.extend(window(rows, Some(s.detail_selected), h.saturating_sub(4)));
            lines
        }
        (None, Mode::Find) => {
            if s.query.trim().is_empty() {
                vec![Line::styled("Type to search.", dim())]
            } else if s.hits.is_empty() {
                vec![Line::styled(
                    format!("Nothing matches {:?}.", s.query),
                    dim(),
                )]
            } else {
                let rows = s
                    .hits
                    .iter()
                    .map(|hit| {
                        Line::raw(format!("{:<10} {:<32} {}", hit.kind, hit.title, hit.detail))
                    })
                    .collect();
                window(rows, Some(s.selected), h)
            }
        }
        (None, Mode::Audit) => {
            if s.audit.is_empty() {
                vec![Line::styled("No audit entries match.", dim())]
            } else {
                let rows = s
                    .audit
                    .iter()
                    .map(|e| {
                        Line::raw(format!(
                            "{:>5} {} {:<10} {:<16} {} {}",
                            e.id, e.at, e.actor, e.action, e.subject, e.detail
                        ))
                    })
                    .collect();
                window(rows, Some(s.selected), h)
            }
        }
    };
    f.render_widget(Paragraph::new(lines), body);
}
