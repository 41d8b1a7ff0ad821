//! The compose pane and its send preview.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph};

use crate::mail::display::fit;
use crate::sanitize;
use crate::ui::app::App;
use crate::ui::draw::{pane_style, st};
use crate::ui::layout;
use crate::ui::screen::compose::model::{Compose, Field, Preview};
use crate::ui::widget;
use crate::ui::wrap::wrap;

/// The locked text under the body: signature, quote and disclaimer, in the order the
/// signature policy assembles them (so the pane shows what is sent).
pub fn locked_lines(c: &Compose) -> Vec<String> {
    if c.signature().is_none() && c.quoted().is_none() {
        return Vec::new();
    }
    let text = crate::policy::signature::assemble("", c.signature(), c.quoted());
    sanitize::multi_line(text.trim_start_matches('\n').trim_end_matches('\n'))
        .lines()
        .map(str::to_string)
        .collect()
}

pub(crate) fn draw_compose(app: &App, c: &Compose, frame: &mut Frame, area: Rect) {
    if area.width < 10 || area.height < 8 {
        return;
    }
    let title = format!(" {} · {} ", c.kind.label(), c.account);
    let bottom = if c.sending {
        " sending… ".to_string()
    } else {
        format!(" {} ", app.keymap.hint(crate::ui::keys::Context::Compose))
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Thick)
        .border_style(st(app, "border_focused"))
        .title(Line::from(title))
        .title_bottom(Line::from(bottom));
    let base = pane_style(app);
    let inner = widget::popup(frame, area, block, base);
    let width = usize::from(inner.width);
    let label_w = 9;
    let value_w = width.saturating_sub(label_w);
    let label = |text: &str, active: bool| {
        let style = if active {
            st(app, "reader_header").add_modifier(Modifier::BOLD | Modifier::REVERSED)
        } else {
            st(app, "reader_header")
        };
        Span::styled(
            format!("{:<w$}", format!("{text}:"), w = label_w - 1),
            style,
        )
    };
    let mut lines: Vec<Line> = Vec::new();
    let from = match (c.refused(), c.identity()) {
        (Some(why), _) => Line::from(vec![
            label("From", false),
            Span::raw(" "),
            Span::styled(
                fit(&format!("sending refused: {why}"), value_w),
                st(app, "status_error"),
            ),
        ]),
        (None, Some(id)) => {
            let n = c.identities().len();
            let cycle = if n > 1 {
                format!("  [{}/{n}]", c.from_idx() + 1)
            } else {
                String::new()
            };
            let text = format!("{} <{}> — {}{cycle}", id.from_name, id.from, c.mode_line());
            Line::from(vec![
                label("From", false),
                Span::raw(" "),
                Span::styled(fit(&sanitize::single_line(&text), value_w), base),
            ])
        }
        (None, None) => Line::from(label("From", false)),
    };
    lines.push(from);
    if let Some(r) = c.reason() {
        lines.push(Line::from(vec![
            Span::raw(" ".repeat(label_w)),
            Span::styled(fit(&format!("why: {r}"), value_w), st(app, "row_age")),
        ]));
    }
    if let Some(p) = c.policy_line() {
        lines.push(Line::from(vec![
            Span::raw(" ".repeat(label_w)),
            Span::styled(fit(&format!("policy: {p}"), value_w), st(app, "row_age")),
        ]));
    }
    let mut cursor = None;
    let mut completing_at = None;
    for f in [Field::To, Field::Cc, Field::Bcc, Field::Subject] {
        let l = match f {
            Field::To => &c.to,
            Field::Cc => &c.cc,
            Field::Bcc => &c.bcc,
            _ => &c.subject,
        };
        let active = c.field == f && c.preview.is_none() && c.attach_line.is_none();
        // Long lines scroll so the cursor stays visible, two cells kept from it on.
        let line = widget::edit_line(&l.text, l.cursor, value_w, 2);
        if active {
            cursor = Some((
                inner.x + u16::try_from(label_w + line.cursor_x).unwrap_or(0),
                inner.y + u16::try_from(lines.len()).unwrap_or(0),
            ));
            if c.completing.as_ref().is_some_and(|o| o.field == f) {
                completing_at = Some(lines.len());
            }
        }
        lines.push(Line::from(vec![
            label(f.label(), active),
            Span::raw(" "),
            Span::styled(fit(&line.text(), value_w), base),
        ]));
    }
    if !c.attachments.is_empty() || !c.forwarded.is_empty() {
        let mut names: Vec<String> = c
            .attachments
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let name = p.file_name().map_or_else(
                    || p.display().to_string(),
                    |n| n.to_string_lossy().into_owned(),
                );
                format!("{} {}", i + 1, sanitize::single_line(&name))
            })
            .collect();
        let n = names.len();
        names.extend(c.forwarded.iter().enumerate().map(|(i, a)| {
            format!(
                "{} {} (forwarded)",
                n + i + 1,
                sanitize::single_line(&a.file_name)
            )
        }));
        lines.push(Line::from(vec![
            label("Attach", false),
            Span::raw(" "),
            Span::styled(fit(&names.join(", "), value_w), base),
        ]));
    }
    if let Some(l) = &c.attach_line {
        // Scrolls like the fields above: a long path keeps its end and the cursor in view.
        let line = widget::edit_line(&l.text, l.cursor, value_w, 2);
        cursor = Some((
            inner.x + u16::try_from(label_w + line.cursor_x).unwrap_or(0),
            inner.y + u16::try_from(lines.len()).unwrap_or(0),
        ));
        lines.push(Line::from(vec![
            label("Path", true),
            Span::raw(" "),
            Span::styled(fit(&line.text(), value_w), base),
        ]));
    }
    lines.push(Line::styled("─".repeat(width), st(app, "border")));
    let head = lines.len();
    debug_assert_eq!(head, c.head_lines());
    let body_h = usize::from(inner.height).saturating_sub(head);
    let show_cursor = c.field == Field::Body && c.preview.is_none() && c.attach_line.is_none();
    let (mut body, at) = widget::text_area(&c.body, width, body_h, base, show_cursor);
    if let Some((x, y)) = at {
        cursor = Some((
            inner.x + u16::try_from(x).unwrap_or(0),
            inner.y + u16::try_from(head + y).unwrap_or(0),
        ));
    }
    let locked = locked_lines(c);
    if !locked.is_empty() && body.len() < body_h {
        body.push(Line::styled(
            fit(
                "╌╌ locked: added when sending (signature, quote, disclaimer) ╌╌",
                width,
            ),
            st(app, "row_age"),
        ));
    }
    for l in locked {
        if body.len() >= body_h {
            break;
        }
        let style = if l.trim_start().starts_with('>') {
            st(app, "reader_quote")
        } else {
            st(app, "row_age")
        };
        body.push(Line::styled(fit(&l, width), style));
    }
    lines.extend(body);
    frame.render_widget(Paragraph::new(lines).style(base), inner);
    if let (Some(row), Some(open)) = (completing_at, &c.completing) {
        draw_completion(app, open, frame, inner, label_w, row);
    }
    if let Some(p) = &c.preview {
        draw_preview(app, p, frame, area);
    } else if let Some(pos) = cursor
        && app.help.is_none()
        && app.prompt.is_none()
    {
        frame.set_cursor_position(pos);
    }
}

/// The candidates of an open address completion, in a small popup under its field (`row`
/// of `inner`), the one in the field highlighted; a last line while the address book is
/// still asked.
fn draw_completion(
    app: &App,
    open: &crate::ui::screen::compose::complete::Completing,
    frame: &mut Frame,
    inner: Rect,
    left: usize,
    row: usize,
) {
    let base = pane_style(app);
    let mut items: Vec<(String, ratatui::style::Style)> = open
        .candidates
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let style = if Some(i) == open.index {
                base.add_modifier(Modifier::REVERSED)
            } else {
                base
            };
            (sanitize::single_line(s), style)
        })
        .collect();
    if open.asking.is_some() {
        items.push(("asking the address book…".to_string(), st(app, "row_age")));
    }
    let room_w = usize::from(inner.width).saturating_sub(left);
    let room_h = usize::from(inner.height).saturating_sub(row + 1);
    if items.is_empty() || room_w < 12 || room_h < 3 {
        return;
    }
    let widest = items
        .iter()
        .map(|(s, _)| unicode_width::UnicodeWidthStr::width(s.as_str()))
        .max()
        .unwrap_or(0);
    let w = (widest + 2).max(24).min(room_w);
    let h = (items.len() + 2).min(room_h);
    let rect = Rect {
        x: inner.x + u16::try_from(left).unwrap_or(0),
        y: inner.y + u16::try_from(row + 1).unwrap_or(0),
        width: u16::try_from(w).unwrap_or(0),
        height: u16::try_from(h).unwrap_or(0),
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(st(app, "border_focused"))
        .title_bottom(Line::from(" Tab · Enter · Esc "));
    let area = widget::popup(frame, rect, block, base);
    let width = usize::from(area.width);
    let lines: Vec<Line> = items
        .iter()
        .take(usize::from(area.height))
        .map(|(s, style)| Line::styled(fit(s, width), *style))
        .collect();
    frame.render_widget(Paragraph::new(lines).style(base), area);
}

fn draw_preview(app: &App, p: &Preview, frame: &mut Frame, area: Rect) {
    let rect = layout::help_area(area);
    if rect.width < 4 || rect.height < 3 {
        return;
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Thick)
        .border_style(st(app, "border_focused"))
        .title(Line::from(" send this message? y send · n back "))
        .title_bottom(Line::from(if p.exact {
            " envelope, then exactly the bytes transmitted · b text · j/k scroll "
        } else {
            " envelope, then the message as it will read · b exact bytes · j/k scroll "
        }));
    let base = pane_style(app);
    let inner = widget::popup(frame, rect, block, base);
    let width = usize::from(inner.width);
    // Long lines wrap (the decoded text has no soft breaks left), never cut.
    let lines: Vec<Line> = p
        .shown()
        .iter()
        .flat_map(|l| {
            let style = if l.starts_with("MAIL FROM:") || l.starts_with("RCPT TO:") {
                st(app, "reader_header")
            } else {
                base
            };
            wrap(l, width).into_iter().map(move |w| (w, style))
        })
        .skip(p.scroll)
        .take(usize::from(inner.height))
        .map(|(l, style)| Line::styled(fit(&l, width), style))
        .collect();
    frame.render_widget(Paragraph::new(lines).style(base), inner);
}
