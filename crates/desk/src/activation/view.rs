//! Drawing the activation screen: the installation ID field and the decision
//! panel with the confirmation ID.

use super::components::ActivationData;
use super::Phase;
use crate::widgets::{bad, big_digits, block, bold, dim, good, key};
use actline_engine::ids::install::LAYOUT;
use tuirealm::ratatui::layout::{Position, Rect};
use tuirealm::ratatui::style::{Color, Modifier, Style};
use tuirealm::ratatui::text::{Line, Span};
use tuirealm::ratatui::widgets::{Paragraph, Wrap};
use tuirealm::ratatui::Frame;

/// Rows the installation ID field takes.
pub const ENTRY_HEIGHT: u16 = 7;

/// The entry panel's height for what is being typed: a site host's 14
/// groups take a second row of three lines.
pub fn entry_height(s: &super::ActivationState) -> u16 {
    if s.layout().groups > LAYOUT.groups {
        ENTRY_HEIGHT + 3
    } else {
        ENTRY_HEIGHT
    }
}

/// Draws the installation ID field.
pub fn draw_entry(d: &ActivationData, f: &mut Frame, area: Rect) {
    let s = &d.state;
    let focused = d.focus && !s.focus_decision;
    let title = match &s.call {
        Some(c) => format!(
            "Installation ID · continuing call {} ({})",
            c.call, c.reason
        ),
        None => "Installation ID".to_string(),
    };
    let b = block(&title, focused);
    let inner = b.inner(area);
    f.render_widget(b, area);
    let groups = s.groups();
    let layout = s.layout();
    // A site host's 14 groups take two rows of 7; 10 groups one row.
    let per_row = if groups.len() > LAYOUT.groups {
        7
    } else {
        groups.len().max(1)
    };
    // Groups are spaced apart when the panel is wide enough; on a narrow
    // terminal (80 columns) they sit side by side, told apart by the marks.
    let cell = (inner.width / per_row as u16).clamp(layout.group_len as u16, 12) as usize;
    let lead = usize::from(cell > layout.group_len);
    let typing = s.digits.len() / layout.group_len;
    let whole = s.iid_digits();

    let mut rows: Vec<Line> = Vec::new();
    for (r, chunk) in groups.chunks(per_row).enumerate() {
        let mut labels = Vec::new();
        let mut digits = Vec::new();
        let mut marks = Vec::new();
        for (j, g) in chunk.iter().enumerate() {
            let i = r * per_row + j;
            labels.push(Span::styled(
                format!("{:<cell$}", format!("{}{}", " ".repeat(lead), i + 1)),
                dim(),
            ));
            let mut text: String = g.digits.clone();
            while text.chars().count() < layout.group_len {
                text.push('·');
            }
            let style = match g.valid {
                Some(true) => good(),
                Some(false) => bad(),
                None if i == typing && s.digits.len() < whole => {
                    bold().add_modifier(Modifier::UNDERLINED)
                }
                None => bold(),
            };
            digits.push(Span::styled(format!("{}{text}", " ".repeat(lead)), style));
            digits.push(Span::raw(
                " ".repeat(cell.saturating_sub(layout.group_len + lead)),
            ));
            marks.push(match g.valid {
                Some(true) => Span::styled(format!("{:<cell$}", "   ✓"), good()),
                Some(false) => Span::styled(format!("{:<cell$}", "   ✗"), bad()),
                None => Span::raw(" ".repeat(cell)),
            });
        }
        rows.push(Line::from(labels));
        rows.push(Line::from(digits));
        rows.push(Line::from(marks));
    }

    let message = if let Some(h) = &s.hint {
        Line::styled(h.clone(), Style::default().fg(Color::Yellow))
    } else if s.phase == Phase::Deciding {
        Line::styled("deciding…", dim())
    } else if let (Phase::Decided, Some(dec)) = (s.phase, &s.decision) {
        Line::from(vec![
            Span::styled(
                format!(
                    "{} as activation #{} — ",
                    if dec.granted { "granted" } else { "denied" },
                    dec.activation
                ),
                if dec.granted { good() } else { bad() },
            ),
            key("n"),
            Span::raw(" or a digit starts the next installation ID"),
        ])
    } else if let Some(c) = &s.correction {
        Line::from(vec![
            Span::styled(
                format!(
                    "group {} does not check; likely {} (digit {}: {} → {}) — ",
                    c.group, c.corrected, c.position, c.typed, c.likely
                ),
                Style::default().fg(Color::Yellow),
            ),
            key("Tab"),
            Span::raw(" takes it after the caller confirms"),
        ])
    } else if let Some(e) = &s.error {
        Line::styled(e.clone(), bad())
    } else if let Some(g) = s.bad_groups().first() {
        Line::styled(
            format!("group {g} does not check — ask the caller to read it again"),
            bad(),
        )
    } else if s.iid.is_some() {
        Line::from(vec![
            Span::styled("valid installation ID — ", good()),
            key("Enter"),
            Span::raw(" decides"),
        ])
    } else {
        Line::styled(
            format!(
                "{} of {whole} digits · spaces and dashes optional · paste works",
                s.digits.len()
            ),
            dim(),
        )
    };

    let names = match (&s.preview, &s.iid) {
        (Some(p), _) => Line::from(vec![
            Span::styled(p.product.clone(), bold()),
            Span::raw(format!(" · {} · made {}", p.key, p.made)),
        ]),
        (None, Some(_)) => Line::styled("reading the product and key…", dim()),
        (None, None) if s.digits.len() == whole => Line::styled(
            "the product, version and key appear once every group checks",
            dim(),
        ),
        (None, None) => Line::styled(
            format!("the product, version and key appear when all {whole} digits are in"),
            dim(),
        ),
    };

    let mut lines = rows;
    lines.push(message);
    lines.push(names);
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);

    if focused && s.phase == Phase::Entry && s.digits.len() < whole {
        let g = s.digits.len() / layout.group_len;
        let p = s.digits.len() % layout.group_len;
        let x = inner.x + ((g % per_row) * cell + lead + p) as u16;
        let y = inner.y + 1 + 3 * (g / per_row) as u16;
        if x < inner.right() && y < inner.bottom() {
            f.set_cursor_position(Position::new(x, y));
        }
    }
}

/// Draws the decision panel.
pub fn draw_decision(d: &ActivationData, f: &mut Frame, area: Rect) {
    let s = &d.state;
    let focused = d.focus && s.focus_decision;
    let b = block("Decision", focused);
    let inner = b.inner(area);
    f.render_widget(b, area);
    let mut lines: Vec<Line<'static>> = Vec::new();

    let Some(dec) = &s.decision else {
        if s.phase == Phase::Deciding {
            lines.push(Line::styled("Deciding…", dim()));
        } else {
            lines.push(Line::raw(
                "Type the installation ID the caller reads out; each group is checked as it completes.",
            ));
            lines.push(Line::from(vec![
                key("Enter"),
                Span::raw(" decides · "),
                key("Backspace"),
                Span::raw(" corrects · "),
                key("Ctrl-U"),
                Span::raw(" clears · "),
                key("F1"),
                Span::raw(" lists every key"),
            ]));
        }
        if let Some(c) = &s.call {
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                format!("Call {} handed over by the IVR at {}", c.call, c.at),
                bold(),
            ));
            lines.push(Line::raw(format!("Why: {}", c.reason)));
            lines.push(Line::raw(if c.groups.is_empty() {
                "The caller entered no groups.".to_string()
            } else {
                format!(
                    "The caller entered {} group{}: {}",
                    c.groups.len(),
                    if c.groups.len() == 1 { "" } else { "s" },
                    c.groups.join(" ")
                )
            }));
            for t in &c.trace {
                lines.push(Line::styled(format!("  IVR: {t}"), dim()));
            }
        }
        f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
        return;
    };

    // The verdict.
    lines.push(if dec.granted {
        Line::from(vec![
            Span::styled(
                " GRANTED ",
                Style::default()
                    .fg(Color::Black)
                    .bg(Color::Green)
                    .add_modifier(Modifier::BOLD),
            ),
            Span::raw(format!(
                "  activation #{} · {} · {}",
                dec.activation, dec.product, dec.seat
            )),
        ])
    } else {
        Line::from(vec![
            Span::styled(
                " DENIED ",
                Style::default()
                    .fg(Color::White)
                    .bg(Color::Red)
                    .add_modifier(Modifier::BOLD),
            ),
            Span::raw(format!(
                "  activation #{} · {} · {}",
                dec.activation,
                dec.product,
                dec.reason.clone().unwrap_or_default()
            )),
        ])
    });

    // The facts.
    let mut facts: Vec<Line<'static>> = Vec::new();
    facts.push(Line::from(vec![
        Span::styled("Customer  ", dim()),
        Span::raw(match &dec.agreement {
            Some(a) => format!(
                "{} · agreement {} · {}{}",
                a.customer,
                a.id,
                a.program,
                if a.note.is_empty() {
                    String::new()
                } else {
                    format!(" · {}", a.note)
                }
            ),
            None if dec.key.is_some() => "a direct key (no agreement)".to_string(),
            None => "unknown: the key is not on record".to_string(),
        }),
    ]));
    facts.push(Line::from(vec![
        Span::styled("Key       ", dim()),
        Span::raw(match &dec.key {
            Some(k) => format!(
                "{} {} · {} · seats {} used, {} left of {}{}",
                k.kind,
                k.key,
                k.product,
                k.used,
                k.left,
                k.limit,
                if k.revoked { " · REVOKED" } else { "" }
            ),
            None => "not on record".to_string(),
        }),
    ]));
    facts.push(Line::from(vec![
        Span::styled("Machine   ", dim()),
        Span::raw(if dec.machine_history.is_empty() {
            "no earlier activations of this machine under this key".to_string()
        } else {
            format!(
                "earlier: {}",
                dec.machine_history
                    .iter()
                    .map(|a| format!(
                        "#{} {} {} ({})",
                        a.id,
                        a.decision,
                        &a.at[..a.at.len().min(10)],
                        a.note
                    ))
                    .collect::<Vec<_>>()
                    .join(" · ")
            )
        }),
    ]));

    // A short panel (a small terminal) puts the confirmation ID first and,
    // while reading back, shows the large group instead of the grid.
    let short = inner.height < 20;
    let mut answer: Vec<Line<'static>> = Vec::new();
    if dec.granted {
        let lines = &mut answer;
        let groups = dec.cid_groups();
        let n = groups.len();
        if !short {
            lines.push(Line::raw(""));
        }
        let mut head = vec![Span::styled(
            format!("Confirmation ID · {n} groups   "),
            bold(),
        )];
        if focused {
            head.extend([
                key("r"),
                Span::raw(" read back · "),
                key("Space"),
                Span::raw(" next · "),
                key("←"),
                Span::raw(" back · "),
                key("p"),
                Span::raw(" play"),
            ]);
        }
        lines.push(Line::from(head));
        if let Some(g) = s.readback {
            if g < n {
                lines.push(Line::styled(
                    format!("Read group {} of {n} to the caller:", g + 1),
                    Style::default()
                        .fg(Color::Yellow)
                        .add_modifier(Modifier::BOLD),
                ));
                for row in big_digits(groups[g]) {
                    lines.push(Line::styled(format!("   {row}"), bold()));
                }
                // The check: what the caller reads back, typed by the agent.
                let typed = &s.check_typed;
                let blanks = groups[g].len().saturating_sub(typed.len());
                lines.push(Line::from(vec![
                    Span::styled("Caller reads back: ", dim()),
                    Span::styled(format!("{typed}{}", "_".repeat(blanks)), bold()),
                    Span::styled(" (type the digits to check them)", dim()),
                ]));
            } else {
                let right = s.checked.iter().filter(|c| **c == Some(true)).count();
                let wrong = s.checked.iter().filter(|c| **c == Some(false)).count();
                let text = if right + wrong == 0 {
                    format!("All {n} groups read back. Ask the caller to type them and confirm.")
                } else {
                    format!(
                        "All {n} groups read back: the caller read {right} back right{}.",
                        if wrong > 0 {
                            format!(", {wrong} after a wrong try")
                        } else {
                            String::new()
                        }
                    )
                };
                lines.push(Line::styled(text, good()));
            }
        }
        let per_row = if n % 5 == 0 { 5 } else { 4 };
        // Rows of groups get air between them when the panel is tall.
        let airy = inner.height >= 34;
        let grid = !(short && s.readback.is_some_and(|g| g < n));
        for (r, chunk) in groups.chunks(per_row).enumerate().filter(|_| grid) {
            if airy && r > 0 {
                lines.push(Line::raw(""));
            }
            let mut spans = Vec::new();
            for (c, g) in chunk.iter().enumerate() {
                let i = r * per_row + c;
                let style = match s.readback {
                    Some(cur) if cur == i => Style::default()
                        .fg(Color::Black)
                        .bg(Color::Yellow)
                        .add_modifier(Modifier::BOLD),
                    Some(cur) if i < cur => Style::default().fg(Color::Green),
                    _ => bold(),
                };
                // ✓ read back right, ✗ read back wrong (and not yet right).
                let mark = match s.checked.get(i).copied().flatten() {
                    Some(true) => Span::styled("✓", good()),
                    Some(false) => Span::styled("✗", Style::default().fg(Color::Red)),
                    None => Span::raw(" "),
                };
                spans.push(Span::styled(format!("{:>3} ", i + 1), dim()));
                spans.push(Span::styled(format!(" {g} "), style));
                spans.push(mark);
                spans.push(Span::raw(" "));
            }
            lines.push(Line::from(spans));
        }
        let mut head = vec![Span::styled("Plain, for copying: ", dim())];
        if focused {
            head.extend([key("c"), Span::raw(" copies it to the clipboard")]);
        }
        let (plain, scrolled) = plain_line(&groups.join("-"), inner.width, s.plain_scroll);
        if scrolled && focused {
            head.extend([Span::raw(" · "), key("[ ]"), Span::raw(" scroll it")]);
        }
        lines.push(Line::from(head));
        lines.push(Line::styled(plain, bold()));
        if let Some(p) = &s.played {
            lines.push(Line::styled(p.clone(), dim()));
        }
    } else {
        answer.push(Line::from(vec![
            Span::styled("To succeed: ", bold()),
            Span::raw(dec.remedy.clone().unwrap_or_default()),
        ]));
    }
    if short {
        lines.extend(answer);
        lines.push(Line::raw(""));
        lines.extend(facts);
    } else {
        lines.extend(facts);
        if !dec.granted {
            lines.push(Line::raw(""));
        }
        lines.extend(answer);
    }

    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "Why (every rule consulted, in order):",
        bold(),
    ));
    for (i, t) in dec.trace.iter().enumerate() {
        lines.push(Line::raw(format!("{:>2}. {t}", i + 1)));
    }
    if focused {
        let mut help = vec![
            key("n"),
            Span::raw(" new ID · "),
            key("PgDn"),
            Span::raw(" scroll"),
        ];
        if d.supervisor {
            help.extend([
                Span::raw(" · "),
                key("F6"),
                Span::raw(" raise limit · "),
                key("F7"),
                Span::raw(" move seat"),
            ]);
        }
        lines.push(Line::from(help));
    }
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((s.scroll, 0)),
        inner,
    );
}

/// The plain confirmation ID on one line, never wrapped (a terminal copy
/// of a wrapped line picks up the break): the whole of it when it fits in
/// `width`, else a window from `scroll` with `‹` / `›` where it goes on.
/// Whether it had to be cut.
pub fn plain_line(plain: &str, width: u16, scroll: u16) -> (String, bool) {
    let width = usize::from(width);
    let chars: Vec<char> = plain.chars().collect();
    if chars.len() <= width {
        return (plain.to_string(), false);
    }
    let room = width.saturating_sub(2).max(1);
    let start = usize::from(scroll).min(chars.len().saturating_sub(room));
    let end = (start + room).min(chars.len());
    let mut shown = String::from(if start > 0 { "‹" } else { " " });
    shown.extend(&chars[start..end]);
    if end < chars.len() {
        shown.push('›');
    }
    (shown, true)
}
