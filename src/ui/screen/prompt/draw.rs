//! The bottom line: the open `:` or `/` prompt, or else the status line (an open question,
//! an error or notice, the outbox, the connections, the counts, the key hint).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

use crate::sanitize;
use crate::ui::app::App;
use crate::ui::draw::{fit_spans, st};
use crate::ui::screen::columns::draw::link_long;
use crate::ui::screen::columns::{Link, LoadState};
use crate::ui::screen::prompt::line::Prompt;
use crate::ui::widget;

/// The open `:` or `/` line in place of the status line, with the terminal's cursor in it.
/// A line wider than the screen scrolls so the cursor stays visible.
pub(crate) fn draw_prompt(app: &App, p: &Prompt, frame: &mut Frame, area: Rect) {
    let style = st(app, "command_line");
    let width = usize::from(area.width);
    if width == 0 || area.height == 0 {
        return;
    }
    // The text is clean (the line editor admits no controls); the editor line sanitizes it
    // again, which costs nothing and keeps this function safe on its own.
    let prefix = p.kind.prefix().to_string();
    // One cell kept for the cursor.
    let line = widget::edit_line(&p.text, p.cursor, width.saturating_sub(prefix.width()), 1);
    let cursor_x = prefix.width() + line.cursor_x;
    let mut parts = vec![
        (prefix, style),
        (line.before.into_owned(), style),
        (line.after.into_owned(), style),
    ];
    if let Some(h) = &p.hint {
        parts.push(("   ".to_string(), style));
        parts.push((sanitize::single_line(h), style.patch(st(app, "row_age"))));
    }
    let spans = fit_spans(parts, width, style);
    frame.render_widget(Paragraph::new(Line::from(spans)).style(style), area);
    if let Ok(x) = u16::try_from(cursor_x)
        && x < area.width
    {
        frame.set_cursor_position((area.x + x, area.y));
    }
}

/// The outbox in the status line, when it holds anything: " outbox: 1 queued, 2 deferred —
/// deferred: 421 try later", and whether it needs attention (something failed or erred).
pub fn outbox_text(app: &App) -> Option<(String, bool)> {
    let o = &app.outbox;
    if o.total() == 0 {
        return None;
    }
    let counts: Vec<String> = [
        (o.queued, "queued"),
        (o.deferred, "deferred"),
        (o.failed, "failed"),
        (o.uncertain, "uncertain"),
        (o.damaged, "damaged"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect();
    let mut s = format!(" outbox: {}", counts.join(", "));
    if o.elsewhere {
        s.push_str(" (sent by another mailroom window)");
    }
    if let Some(e) = &o.last_error {
        s.push_str(&format!(" — {e}"));
    }
    let bad = o.failed + o.uncertain + o.damaged > 0 || o.last_error.is_some();
    Some((s, bad))
}

pub(crate) fn draw_status(app: &App, frame: &mut Frame, area: Rect) {
    let width = usize::from(area.width);
    let hint = app.keymap.hint(app.context());
    let normal = st(app, "status_line");
    let sep = || (" │".to_string(), normal);
    let mut parts: Vec<(String, Style)> = Vec::new();
    // An open question comes first: the next key answers it. Then what went wrong: it
    // matters most and the rest may be cut.
    if let Some(q) = &app.confirm {
        parts.push((
            format!(" {}", q.question),
            normal.add_modifier(Modifier::BOLD | Modifier::REVERSED),
        ));
    } else if let Some(e) = &app.error {
        parts.push((format!(" {e}"), st(app, "status_error")));
    } else if let Some(n) = &app.notice {
        parts.push((format!(" {n}"), normal.add_modifier(Modifier::BOLD)));
    }
    let outbox = outbox_text(app).map(|(text, bad)| {
        let style = if bad { st(app, "status_error") } else { normal };
        (text, style)
    });
    if let Some(r) = &app.reader {
        if parts.is_empty() {
            let (_, h) = app.reader_body_size();
            let last = (r.scroll + h).min(r.lines.len());
            parts.push((
                format!(
                    " lines {}-{last} of {}",
                    (r.scroll + 1).min(last),
                    r.lines.len()
                ),
                normal,
            ));
        }
        if let Some(o) = outbox {
            parts.push(sep());
            parts.push(o);
        }
    } else {
        // Unsent mail matters more than connection details: it comes first.
        if let Some(o) = outbox {
            if !parts.is_empty() {
                parts.push(sep());
            }
            parts.push(o);
        }
        for c in &app.columns {
            let Some(text) = link_long(c, app.now) else {
                continue;
            };
            if !parts.is_empty() {
                parts.push(sep());
            }
            let style = if matches!(c.link, Some(Link::Offline { .. })) {
                st(app, "status_error")
            } else {
                normal
            };
            parts.push((format!(" {}: {text}", c.name), style));
        }
        let total: usize = app.columns.iter().map(|c| c.rows.len()).sum();
        let unread: usize = app.columns.iter().map(|c| c.unread).sum();
        let loading = app
            .columns
            .iter()
            .filter(|c| c.state == LoadState::Loading)
            .count();
        let mut s = format!(" {total} messages · {unread} unread");
        if loading > 0 {
            s.push_str(&format!(" · loading {loading}"));
        }
        if !parts.is_empty() {
            parts.push(sep());
        }
        parts.push((s, normal));
    }
    // The hint yields to the message when space is short: an error (or a saved file's path)
    // matters more than a reminder of keys.
    let hint_w = hint.width() + 1;
    let message_w = if app.confirm.is_some() || app.error.is_some() || app.notice.is_some() {
        parts.first().map_or(0, |(t, _)| t.width())
    } else {
        0
    };
    let spans = if width >= hint_w + 20 && message_w + hint_w <= width {
        let mut spans = fit_spans(parts, width - hint_w, normal);
        spans.push(Span::styled(format!("{hint} "), normal));
        spans
    } else {
        fit_spans(parts, width, normal)
    };
    frame.render_widget(Paragraph::new(Line::from(spans)).style(normal), area);
}
