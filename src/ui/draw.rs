//! Renders an `App` into a ratatui frame. Reads state only; every string that came from a
//! message or a server is sanitized here (rows) or was sanitized when it entered the state.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph};
use unicode_width::UnicodeWidthStr;

use super::app::{App, Body, Column, Help, Link, LoadState, Reader, SearchState, help_lines};
use super::compose::{self, Compose, Field, Preview};
use super::layout;
use super::notes::{self, Leave, NoteEditor};
use super::prompt::Prompt;
use super::stats::StatsScreen;
use super::wrap::{self, wrap};
use crate::config::View;
use crate::mail::date;
use crate::mail::display::{fit, sender_label};
use crate::message::Summary;
use crate::sanitize;

/// Cells for the age field ("45s", "12m", "3h", "5d", "7w", or a year).
const AGE_WIDTH: usize = 4;
/// Cells for the marks field: N unread, F flagged, A answered, @ attachment.
const MARKS_WIDTH: usize = 4;
/// Thread levels indented, at most; deeper replies line up with the deepest indented level.
const MAX_INDENT_LEVELS: usize = 6;

pub fn draw(app: &App, frame: &mut Frame) {
    let area = frame.area();
    frame.render_widget(Block::default().style(st(app, "base")), area);
    let plan = layout::plan_with(
        area,
        app.columns.len(),
        app.focus,
        app.reader.as_ref().map(|_| app.reader_mode),
    );
    if let Some(tabs) = plan.tabs {
        draw_tabs(app, frame, tabs);
    }
    for (i, rect) in &plan.columns {
        if let Some(c) = app.columns.get(*i) {
            draw_column(app, c, *i == app.focus, frame, *rect);
        }
    }
    if let (Some(r), Some(rect)) = (&app.reader, plan.reader) {
        draw_reader(app, r, frame, rect);
    }
    if let Some(c) = &app.compose {
        draw_compose(app, c, frame, layout::compose_area(area));
    }
    if let Some(n) = &app.note {
        draw_note_editor(app, n, frame, area);
    }
    if let Some(s) = &app.stats {
        let screen = Rect {
            height: area.height.saturating_sub(1),
            ..area
        };
        draw_stats(app, s, frame, screen);
    }
    match &app.prompt {
        Some(p) => draw_prompt(app, p, frame, plan.status),
        None => draw_status(app, frame, plan.status),
    }
    if let Some(h) = &app.help {
        draw_help(app, h, frame, area);
    }
}

fn st(app: &App, element: &str) -> Style {
    app.theme.style(element, app.no_color)
}

/// The selection must stay visible without colour, where the theme keeps modifiers only.
fn selected_style(app: &App) -> Style {
    let s = st(app, "row_selected");
    if app.no_color {
        s.add_modifier(Modifier::REVERSED)
    } else {
        s
    }
}

fn draw_tabs(app: &App, frame: &mut Frame, area: Rect) {
    let tabs: Vec<String> = app
        .columns
        .iter()
        .map(|c| match c.unread {
            0 => format!(" {} ", c.name),
            n => format!(" {} ({n}) ", c.name),
        })
        .collect();
    if tabs.is_empty() {
        return;
    }
    // Drop tabs from the left until the active one fits.
    let width = usize::from(area.width);
    let mut start = 0;
    while start < app.focus
        && tabs[start..=app.focus.min(tabs.len() - 1)]
            .iter()
            .map(|t| t.width() + 1)
            .sum::<usize>()
            + 1
            > width
    {
        start += 1;
    }
    let mut spans = Vec::new();
    if start > 0 {
        spans.push(Span::styled("‹", st(app, "tab_inactive")));
    }
    for (i, t) in tabs.iter().enumerate().skip(start) {
        let style = if i == app.focus {
            st(app, "tab_active")
        } else {
            st(app, "tab_inactive")
        };
        spans.push(Span::styled(t.as_str(), style));
        spans.push(Span::raw(" "));
    }
    frame.render_widget(
        Paragraph::new(Line::from(spans)).style(st(app, "tab_inactive")),
        area,
    );
}

/// "retrying in 8s", counted down by the clock.
fn retry_text(retry_at: i64, now: i64) -> String {
    match retry_at.saturating_sub(now) {
        left if left > 0 => format!("retrying in {left}s"),
        _ => "retrying now".to_string(),
    }
}

/// The connection in a few words, for a column header.
pub fn link_short(link: &Link, now: i64) -> String {
    match link {
        Link::Connecting => "connecting".to_string(),
        Link::Online { idle: true } => "idle".to_string(),
        Link::Online { idle: false } => "polling".to_string(),
        Link::Offline { retry_at, .. } => match retry_at.saturating_sub(now) {
            left if left > 0 => format!("offline, retry {left}s"),
            _ => "offline, retrying".to_string(),
        },
    }
}

/// The connection with its error, for the status line.
pub fn link_long(c: &Column, now: i64) -> Option<String> {
    let link = c.link.as_ref()?;
    Some(match (link, &c.link_error) {
        (Link::Connecting, Some(e)) => format!("connecting (last error: {e})"),
        (Link::Connecting, None) => "connecting".to_string(),
        (Link::Online { idle: true }, _) => "online (idle)".to_string(),
        (Link::Online { idle: false }, _) => "online (polling)".to_string(),
        (Link::Offline { error, retry_at }, _) => {
            format!("offline: {error}, {}", retry_text(*retry_at, now))
        }
    })
}

/// What narrows the column: "/invoice: 2 of 340", "search \"late\" searching…".
pub fn narrowing_text(c: &Column) -> Option<String> {
    let filter = c
        .filter
        .as_deref()
        .map(|f| format!("/{}", sanitize::single_line(f)));
    let search = c
        .search
        .as_ref()
        .map(|s| format!("search \"{}\"", sanitize::single_line(&s.query)));
    let label = [filter, search]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    if label.is_empty() {
        return None;
    }
    Some(match c.search.as_ref().map(|s| &s.state) {
        Some(SearchState::Pending) => format!("{label} searching…"),
        Some(SearchState::Failed(_)) => format!("{label} failed"),
        _ => format!("{label}: {} of {}", c.shown_len(), c.rows.len()),
    })
}

/// The second header line: a read-only warning first (it explains why keys are refused),
/// then the column's team view with its count, then how many rows the other views hold,
/// most useful first, so a narrow column cuts the least useful. "mine" is left out when the
/// agent is unknown.
pub fn team_counts(c: &Column, with_mine: bool) -> String {
    let n = &c.counts;
    let mut parts = Vec::new();
    if c.rights.is_some_and(|r| !r.has('s') && !r.has('w')) {
        parts.push("read-only".to_string());
    }
    if c.team_folders {
        // The mailbox holds the open, unassigned mail; the rest is in the team folders.
        parts.push(format!(
            "{} open · team state in folders: Assigned/<agent>, Pending, Done",
            n.all
        ));
        return parts.join(" · ");
    }
    let mut head = format!("[{} {}]", c.team_view.name(), n.get(c.team_view));
    let others = [
        View::Unassigned,
        View::Mine,
        View::Open,
        View::Pending,
        View::Done,
    ]
    .into_iter()
    .filter(|v| *v != c.team_view && (with_mine || *v != View::Mine))
    .map(|v| format!("{} {}", n.get(v), v.name()))
    .chain((n.asleep > 0).then(|| format!("{} snoozed", n.asleep)));
    for (i, o) in others.enumerate() {
        head.push_str(if i == 0 { " " } else { " · " });
        head.push_str(&o);
    }
    parts.push(head);
    parts.join(" · ")
}

fn header_text(c: &Column, now: i64) -> String {
    let total = c.rows.len();
    let counts = match (&c.state, c.exists) {
        (LoadState::Loading, Some(n)) => format!("{total}/{n}"),
        _ => total.to_string(),
    };
    let state = match &c.link {
        None => c.state.label().to_string(),
        Some(l) => format!("{} · {}", c.state.label(), link_short(l, now)),
    };
    format!(" {}  {state}  {counts} · {} unread", c.name, c.unread)
}

fn draw_column(app: &App, c: &Column, focused: bool, frame: &mut Frame, area: Rect) {
    let (border, border_type, header_style) = if focused {
        (
            st(app, "border_focused"),
            // Thick lines mark focus even without colour.
            BorderType::Thick,
            st(app, "column_header_focused"),
        )
    } else {
        (
            st(app, "border"),
            BorderType::Plain,
            st(app, "column_header"),
        )
    };
    frame.render_widget(
        Block::default()
            .borders(Borders::ALL)
            .border_type(border_type)
            .border_style(border),
        area,
    );
    let (header, body) = layout::column_parts(area);
    let mut second = Vec::new();
    if c.threaded() {
        second.push((" threads ·".to_string(), header_style));
    }
    if let Some(n) = narrowing_text(c) {
        second.push((format!(" {n}"), header_style.patch(st(app, "command_line"))));
        second.push((" ·".to_string(), header_style));
    }
    second.push((
        format!(" {}", team_counts(c, app.agent_id.is_some())),
        header_style,
    ));
    let lines = vec![
        Line::from(header_text(c, app.now)),
        Line::from(fit_spans(second, usize::from(header.width), header_style)),
    ];
    frame.render_widget(Paragraph::new(lines).style(header_style), header);
    if c.shown_len() == 0 && !c.rows.is_empty() {
        let text = if c.narrowed() {
            " no message matches (Esc clears)".to_string()
        } else {
            format!(" nothing {} here (V: next view)", c.team_view.name())
        };
        frame.render_widget(Paragraph::new(text).style(st(app, "row_age")), body);
        return;
    }
    if c.rows.is_empty() {
        let (text, style) = match (&c.state, &c.link) {
            (LoadState::Loading, Some(Link::Offline { error, retry_at })) => (
                format!("offline: {error}, {}", retry_text(*retry_at, app.now)),
                st(app, "status_error"),
            ),
            (LoadState::Loading, _) => ("loading…".to_string(), st(app, "row_age")),
            (LoadState::Cached | LoadState::Ready, _) => {
                ("no messages".to_string(), st(app, "row_age"))
            }
            (LoadState::Failed(e), _) => (e.clone(), st(app, "status_error")),
        };
        let lines: Vec<Line> = wrap(&text, usize::from(body.width).saturating_sub(2))
            .into_iter()
            .map(|l| Line::from(format!(" {l}")))
            .collect();
        frame.render_widget(Paragraph::new(lines).style(style), body);
        return;
    }
    let w = usize::from(body.width);
    let end = c
        .offset
        .saturating_add(usize::from(body.height))
        .min(c.shown_len());
    let lines: Vec<Line> = (c.offset..end)
        .filter_map(|i| c.shown(i).map(|s| (i, s)))
        .map(|(i, s)| row_line(app, c, (i, s), w, i == c.selected, focused))
        .collect();
    frame.render_widget(Paragraph::new(lines), body);
}

/// Compact age: the year stands in for dates too long for the field.
fn short_age(now: i64, then: i64) -> String {
    let a = date::age(now, then);
    if a.len() > AGE_WIDTH {
        a.chars().take(AGE_WIDTH).collect()
    } else {
        a
    }
}

fn marks(s: &Summary) -> String {
    [
        (!s.flags.seen, 'N'),
        (s.flags.flagged, 'F'),
        (s.flags.answered, 'A'),
        (s.has_attachment, '@'),
    ]
    .iter()
    .map(|&(on, m)| if on { m } else { ' ' })
    .collect()
}

/// Whether `s` is an agent id as PROTOCOL.md defines it (`[a-z0-9._-]+`), short enough to show.
/// Longest agent id a row shows: an id longer than this is no teammate's (a row has no room
/// for it, and a hostile keyword must not fill it).
const MAX_SHOWN_AGENT: usize = 32;

fn shown_agent(a: &str) -> bool {
    a.len() <= MAX_SHOWN_AGENT && crate::config::is_valid_agent_id(a)
}

/// Team state from the keywords, in a few cells: "✎ bob" while bob is replying, "@carol"
/// when assigned to carol, then "pending" or "done". Keywords are case-insensitive; anything
/// that is not an agent id as the protocol defines it is left out, so nothing the server sends
/// reaches the screen unchecked. Other keywords are not shown.
pub fn team_marks(keywords: &[String]) -> String {
    team_marks_with(keywords, |_| false)
}

/// `team_marks`, with the "replying" marks `stale` says are stale (seen by this client for
/// more than 30 minutes) shown apart as "✎? dave": "✎ bob ✎? dave @carol".
pub fn team_marks_with(keywords: &[String], stale: impl Fn(&str) -> bool) -> String {
    let t = crate::triage::state::state(keywords);
    // Valid ids only, each once, in keyword order.
    let unique = |agents: Vec<&String>| {
        let mut out: Vec<String> = Vec::new();
        for a in agents {
            if shown_agent(a) && !out.contains(a) {
                out.push(a.clone());
            }
        }
        out
    };
    let replying = unique(t.replying.iter().collect());
    let assigned = unique(t.assigned.iter().chain(&t.also_assigned).collect());
    let (pending, done, snoozed) = (t.pending, t.done, t.snoozed_until);
    let mut parts = Vec::new();
    let (old, fresh): (Vec<String>, Vec<String>) = replying.into_iter().partition(|a| stale(a));
    if !fresh.is_empty() {
        parts.push(format!("✎ {}", fresh.join(",")));
    }
    if !old.is_empty() {
        parts.push(format!("✎? {}", old.join(",")));
    }
    parts.extend(assigned.iter().map(|a| format!("@{a}")));
    if done {
        parts.push("done".to_string());
    } else if pending {
        parts.push("pending".to_string());
    }
    if snoozed.is_some() {
        // Rows are narrow; the time is in the reader and the status line after `z`.
        parts.push("zz".to_string());
    }
    parts.join(" ")
}

/// The subject's indentation for a reply `depth` levels down its thread: two cells a level, an
/// arrow before the subject; bounded, so a deep thread never pushes the subject off the row.
pub fn thread_indent(depth: u8, subject_width: usize) -> String {
    if depth == 0 {
        return String::new();
    }
    let levels = usize::from(depth).min(MAX_INDENT_LEVELS);
    let spaces = (2 * (levels - 1)).min(subject_width / 3);
    format!("{}↳ ", " ".repeat(spaces))
}

/// The `i`th shown row of column `c`, `s` (the column gives its thread depth and the age of
/// its "replying" marks).
fn row_line<'a>(
    app: &App,
    c: &Column,
    (i, s): (usize, &Summary),
    width: usize,
    selected: bool,
    focused: bool,
) -> Line<'a> {
    let depth = c.depth(i);
    let mut base = st(app, "row");
    if s.flags.flagged {
        base = base.patch(st(app, "row_flagged"));
    }
    if !s.flags.seen {
        base = base.patch(st(app, "row_unread"));
    }
    let highlight = selected && focused;
    let sel = selected_style(app);
    // The selected row is one style end to end: fewer attribute changes on the wire for
    // every `j` over a slow SSH link (each field colour would cost an escape sequence).
    let part = |style: Style| {
        if highlight {
            base.patch(sel)
        } else {
            base.patch(style)
        }
    };
    // gutter, age, sender, subject, team marks, flag marks, with one space between fields.
    let sender_w = (width / 4).clamp(6, 24);
    let fixed = 1 + AGE_WIDTH + 1 + sender_w + 1 + 1 + MARKS_WIDTH;
    let team = team_marks_with(&s.keywords, |a| c.replying_stale(s.uid, a));
    // Team marks take what they need, up to a quarter of the row; the subject yields.
    let team_w = if team.is_empty() {
        0
    } else {
        team.width().min((width / 4).max(6))
    };
    let subject_w = width.saturating_sub(fixed + team_w + usize::from(team_w > 0));
    let gutter = if selected { ">" } else { " " };
    let age = format!("{:>AGE_WIDTH$} ", short_age(app.now, s.internal_date));
    let sender = fit(&sanitize::single_line(&sender_label(s)), sender_w);
    let subject = fit(
        &(thread_indent(depth, subject_w) + &sanitize::single_line(&s.subject)),
        subject_w,
    );
    let mut spans = vec![
        Span::styled(gutter, part(Style::default())),
        Span::styled(age, part(st(app, "row_age"))),
        Span::styled(sender, part(st(app, "row_sender"))),
        Span::styled(" ", part(Style::default())),
        Span::styled(subject, part(Style::default())),
        Span::styled(" ", part(Style::default())),
    ];
    if team_w > 0 {
        spans.push(Span::styled(fit(&team, team_w), part(st(app, "row_marks"))));
        spans.push(Span::styled(" ", part(Style::default())));
    }
    spans.push(Span::styled(marks(s), part(st(app, "row_marks"))));
    Line::from(spans)
}

fn draw_reader(app: &App, r: &Reader, frame: &mut Frame, area: Rect) {
    let (headers, sep, body) = layout::reader_parts(area, r.header_lines());
    let attachments = r.attachment_lines();
    let attach_label = if attachments.is_empty() { "" } else { "Attach" };
    let label_w = r
        .headers
        .iter()
        .map(|(l, _)| l.len())
        .chain([attach_label.len()])
        .max()
        .unwrap_or(0)
        + 2;
    let label = |text: &str| {
        let text = if text.is_empty() {
            String::new()
        } else {
            format!("{text}:")
        };
        Span::styled(format!("{text:<label_w$}"), st(app, "reader_header"))
    };
    let mut lines: Vec<Line> = r
        .headers
        .iter()
        .map(|(l, value)| {
            Line::from(vec![
                label(l),
                Span::styled(value.as_str(), st(app, "reader_body")),
            ])
        })
        .collect();
    let value_w = usize::from(headers.width).saturating_sub(label_w);
    lines.extend(attachments.iter().enumerate().map(|(i, a)| {
        Line::from(vec![
            label(if i == 0 { attach_label } else { "" }),
            Span::styled(fit(a, value_w), st(app, "reader_body")),
        ])
    }));
    frame.render_widget(Paragraph::new(lines), headers);
    frame.render_widget(
        Paragraph::new("─".repeat(usize::from(sep.width))).style(st(app, "border")),
        sep,
    );
    let lines: Vec<Line> = match &r.body {
        Body::Loading => vec![Line::styled("loading…", st(app, "row_age"))],
        Body::Failed(e) => wrap(e, usize::from(body.width))
            .into_iter()
            .map(|l| Line::styled(l, st(app, "status_error")))
            .collect(),
        Body::Text(_) => r
            .lines
            .iter()
            .enumerate()
            .skip(r.scroll)
            .take(usize::from(body.height))
            .map(|(i, l)| {
                let style = if i >= r.notes_from {
                    // Internal notes: their own style; the rule lines bold, so they stand
                    // out without colour too.
                    let s = st(app, "reader_note");
                    if l.starts_with(notes::RULE) {
                        s.add_modifier(Modifier::BOLD)
                    } else {
                        s
                    }
                } else if l.trim_start().starts_with('>') {
                    st(app, "reader_quote")
                } else {
                    st(app, "reader_body")
                };
                Line::styled(l.as_str(), style)
            })
            .collect(),
    };
    frame.render_widget(Paragraph::new(lines), body);
}

/// Pieces of one line, cut with an ellipsis where the width ends and padded to fill it.
fn fit_spans(parts: Vec<(String, Style)>, width: usize, pad: Style) -> Vec<Span<'static>> {
    let mut out = Vec::new();
    let mut left = width;
    for (text, style) in parts {
        if left == 0 {
            break;
        }
        let w = text.width();
        if w <= left {
            left -= w;
            out.push(Span::styled(text, style));
        } else {
            out.push(Span::styled(fit(&text, left), style));
            left = 0;
        }
    }
    if left > 0 {
        out.push(Span::styled(" ".repeat(left), pad));
    }
    out
}

/// The open `:` or `/` line in place of the status line, with the terminal's cursor in it.
/// A line wider than the screen scrolls so the cursor stays visible.
fn draw_prompt(app: &App, p: &Prompt, frame: &mut Frame, area: Rect) {
    let style = st(app, "command_line");
    let width = usize::from(area.width);
    if width == 0 || area.height == 0 {
        return;
    }
    // The text is clean (the line editor admits no controls); sanitizing again costs nothing
    // and keeps this function safe on its own.
    let (before, after) = p.text.split_at_checked(p.cursor).unwrap_or((&p.text, ""));
    let (before, after) = (sanitize::single_line(before), sanitize::single_line(after));
    let prefix = p.kind.prefix().to_string();
    // Drop characters from the left until the cursor fits, one cell kept for it.
    let mut shown_before: &str = &before;
    while prefix.width() + shown_before.width() + 1 > width && !shown_before.is_empty() {
        let cut = shown_before
            .chars()
            .next()
            .map_or(shown_before.len(), char::len_utf8);
        shown_before = &shown_before[cut..];
    }
    let cursor_x = prefix.width() + shown_before.width();
    let mut parts = vec![
        (prefix, style),
        (shown_before.to_string(), style),
        (after.clone(), style),
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

/// The help overlay: every key of the context, from the live keymap, then the commands.
fn draw_help(app: &App, help: &Help, frame: &mut Frame, area: Rect) {
    let rect = layout::help_area(area);
    if rect.width < 4 || rect.height < 3 {
        return;
    }
    let lines = help_lines(&app.keymap, help.context);
    let inner_h = usize::from(rect.height - 2);
    let more = lines.len() > help.scroll + inner_h;
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Thick)
        .border_style(st(app, "border_focused"))
        .title(Line::from(" help · ? q Esc close "))
        .title_bottom(Line::from(if more {
            " j/k Space scroll · more below "
        } else {
            " j/k scroll "
        }));
    let base = st(app, "reader_body").patch(st(app, "base"));
    frame.render_widget(Clear, rect);
    frame.render_widget(block.style(base), rect);
    let inner = Rect {
        x: rect.x + 1,
        y: rect.y + 1,
        width: rect.width - 2,
        height: rect.height - 2,
    };
    let key_w = lines
        .iter()
        .map(|(k, _)| k.width())
        .max()
        .unwrap_or(0)
        .min(usize::from(inner.width) / 3)
        .max(1);
    let width = usize::from(inner.width);
    let shown: Vec<Line> = lines
        .iter()
        .skip(help.scroll)
        .take(inner_h)
        .map(|(keys, desc)| {
            if keys.is_empty() {
                return Line::styled(
                    format!(" {desc}"),
                    st(app, "reader_header").add_modifier(Modifier::BOLD),
                );
            }
            let parts = vec![
                (format!("  {}", fit(keys, key_w)), st(app, "reader_header")),
                ("  ".to_string(), base),
                (desc.clone(), base),
            ];
            Line::from(fit_spans(parts, width, base))
        })
        .collect();
    frame.render_widget(Paragraph::new(shown).style(base), inner);
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

fn draw_status(app: &App, frame: &mut Frame, area: Rect) {
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

/// The locked text under the body: signature, quote and disclaimer, in the order the
/// signature policy assembles them (so the pane shows what is sent).
pub fn locked_lines(c: &Compose) -> Vec<String> {
    if c.signature.is_none() && c.quoted.is_none() {
        return Vec::new();
    }
    let text = crate::policy::signature::assemble("", c.signature.as_ref(), c.quoted.as_deref());
    sanitize::multi_line(text.trim_start_matches('\n').trim_end_matches('\n'))
        .lines()
        .map(str::to_string)
        .collect()
}

fn draw_compose(app: &App, c: &Compose, frame: &mut Frame, area: Rect) {
    if area.width < 10 || area.height < 8 {
        return;
    }
    let title = format!(" {} · {} ", c.kind.label(), c.account);
    let bottom = if c.sending {
        " sending… ".to_string()
    } else {
        format!(" {} ", app.keymap.hint(super::keys::Context::Compose))
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Thick)
        .border_style(st(app, "border_focused"))
        .title(Line::from(title))
        .title_bottom(Line::from(bottom));
    let inner = draw_pane(app, frame, area, block);
    let base = pane_style(app);
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
    let from = match (&c.refused, c.identity()) {
        (Some(why), _) => Line::from(vec![
            label("From", false),
            Span::raw(" "),
            Span::styled(
                fit(&format!("sending refused: {why}"), value_w),
                st(app, "status_error"),
            ),
        ]),
        (None, Some(id)) => {
            let n = c.identities.len();
            let cycle = if n > 1 {
                format!("  [{}/{n}]", c.from_idx + 1)
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
    if let Some(r) = &c.reason {
        lines.push(Line::from(vec![
            Span::raw(" ".repeat(label_w)),
            Span::styled(fit(&format!("why: {r}"), value_w), st(app, "row_age")),
        ]));
    }
    let mut cursor = None;
    for f in [Field::To, Field::Cc, Field::Bcc, Field::Subject] {
        let l = match f {
            Field::To => &c.to,
            Field::Cc => &c.cc,
            Field::Bcc => &c.bcc,
            _ => &c.subject,
        };
        let active = c.field == f && c.preview.is_none() && c.attach_line.is_none();
        let text = sanitize::single_line(&l.text);
        // Long lines scroll so the cursor stays visible.
        let before = l.text[..l.cursor].width();
        let skip = before.saturating_sub(value_w.saturating_sub(2));
        let shown: String = {
            let mut w = 0;
            text.chars()
                .skip_while(|ch| {
                    let cw = unicode_width::UnicodeWidthChar::width(*ch).unwrap_or(0);
                    w += cw;
                    w <= skip
                })
                .collect()
        };
        if active {
            cursor = Some((
                inner.x + u16::try_from(label_w + before - skip).unwrap_or(0),
                inner.y + u16::try_from(lines.len()).unwrap_or(0),
            ));
        }
        lines.push(Line::from(vec![
            label(f.label(), active),
            Span::raw(" "),
            Span::styled(fit(&shown, value_w), base),
        ]));
    }
    if !c.attachments.is_empty() {
        let names: Vec<String> = c
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
        lines.push(Line::from(vec![
            label("Attach", false),
            Span::raw(" "),
            Span::styled(fit(&names.join(", "), value_w), base),
        ]));
    }
    if let Some(l) = &c.attach_line {
        let text = sanitize::single_line(&l.text);
        cursor = Some((
            inner.x + u16::try_from(label_w + l.text[..l.cursor].width()).unwrap_or(0),
            inner.y + u16::try_from(lines.len()).unwrap_or(0),
        ));
        lines.push(Line::from(vec![
            label("Path", true),
            Span::raw(" "),
            Span::styled(fit(&text, value_w), base),
        ]));
    }
    lines.push(Line::styled("─".repeat(width), st(app, "border")));
    let head = lines.len();
    debug_assert_eq!(head, c.head_lines());
    let body_h = usize::from(inner.height).saturating_sub(head);
    let show_cursor = c.field == Field::Body && c.preview.is_none() && c.attach_line.is_none();
    let (mut body, at) = body_rows(&c.body, width, body_h, base, show_cursor);
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
    if let Some(p) = &c.preview {
        draw_preview(app, p, frame, area);
    } else if let Some(pos) = cursor
        && app.help.is_none()
        && app.prompt.is_none()
    {
        frame.set_cursor_position(pos);
    }
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
        .title_bottom(Line::from(
            " envelope, then exactly the bytes transmitted · j/k scroll ",
        ));
    let base = st(app, "reader_body").patch(st(app, "base"));
    frame.render_widget(Clear, rect);
    frame.render_widget(block.style(base), rect);
    let inner = Rect {
        x: rect.x + 1,
        y: rect.y + 1,
        width: rect.width - 2,
        height: rect.height - 2,
    };
    let width = usize::from(inner.width);
    let lines: Vec<Line> = p
        .lines
        .iter()
        .skip(p.scroll)
        .take(usize::from(inner.height))
        .map(|l| {
            let style = if l.starts_with("MAIL FROM:") || l.starts_with("RCPT TO:") {
                st(app, "reader_header")
            } else {
                base
            };
            Line::styled(fit(l, width), style)
        })
        .collect();
    frame.render_widget(Paragraph::new(lines).style(base), inner);
}

/// The note pane: the lower part of the screen (at least 8 lines), over the columns and the
/// reader, titled so nobody takes it for a reply.
fn draw_note_editor(app: &App, n: &NoteEditor, frame: &mut Frame, area: Rect) {
    let Some(rect) = layout::note_area(area) else {
        return;
    };
    let (add, editor, close) = super::app::note_keys(&app.keymap);
    let bottom = match (n.saving, n.ask) {
        (Some(_), _) => " adding the note… ".to_string(),
        (None, Some(_)) => " discard this note? y discards · any other key goes back ".to_string(),
        (None, None) => format!(" {add} add · {editor} $EDITOR · {close} close "),
    };
    let note_style = st(app, "reader_note");
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Double)
        .border_style(st(app, "border_focused").patch(note_style))
        .title(Line::styled(
            format!(" {} ", n.title()),
            note_style.add_modifier(Modifier::BOLD),
        ))
        .title_bottom(Line::from(bottom));
    let inner = draw_pane(app, frame, rect, block);
    let base = pane_style(app);
    let width = usize::from(inner.width);
    let body_h = usize::from(inner.height);
    let show_cursor = n.saving.is_none() && n.ask.is_none();
    let (mut lines, at) = body_rows(&n.body, width, body_h, base, show_cursor);
    let cursor = at.map(|(x, y)| {
        (
            inner.x + u16::try_from(x).unwrap_or(0),
            inner.y + u16::try_from(y).unwrap_or(0),
        )
    });
    if n.ask == Some(Leave::Quit) && lines.len() < body_h {
        lines.push(Line::styled(
            fit("(y quits mailroom and discards the note)", width),
            st(app, "status_error"),
        ));
    }
    frame.render_widget(Paragraph::new(lines).style(base), inner);
    if let Some(pos) = cursor
        && app.help.is_none()
        && app.prompt.is_none()
    {
        frame.set_cursor_position(pos);
    }
}

/// The editor's text soft-wrapped into at most `height` rows of `width` cells, from the
/// first row that keeps the cursor's row on screen (`Body::view_top`); with `cursor`, also
/// where the cursor is in them (cell column, row). Only the lines shown are wrapped.
fn body_rows(
    b: &compose::Body,
    width: usize,
    height: usize,
    style: Style,
    cursor: bool,
) -> (Vec<Line<'static>>, Option<(usize, usize)>) {
    let mut out = Vec::new();
    let mut at = None;
    if height == 0 || width == 0 {
        return (out, at);
    }
    let (top, mut first) = b.view_top(width, height);
    let (cursor_row, cursor_x) = b.cursor_cell(width);
    for (i, line) in b.lines.iter().enumerate().skip(top) {
        let starts = b.rows(i, width);
        for (r, &start) in starts.iter().enumerate().skip(first) {
            if out.len() >= height {
                return (out, at);
            }
            if cursor && i == b.row && r == cursor_row {
                at = Some((cursor_x.min(width - 1), out.len()));
            }
            let end = starts.get(r + 1).copied().unwrap_or(line.len());
            let row = line.get(start..end).unwrap_or("");
            let shown = wrap::trim_overflow(row, width).replace('\t', "    ");
            out.push(Line::styled(fit(&shown, width), style));
        }
        first = 0;
    }
    (out, at)
}

/// A pane over what is below it (compose, note): cleared, framed by `block` on the reader's
/// colours; the area inside the frame.
fn draw_pane(app: &App, frame: &mut Frame, area: Rect, block: Block) -> Rect {
    frame.render_widget(Clear, area);
    frame.render_widget(block.style(pane_style(app)), area);
    Rect {
        x: area.x + 1,
        y: area.y + 1,
        width: area.width.saturating_sub(2),
        height: area.height.saturating_sub(2),
    }
}

fn pane_style(app: &App) -> Style {
    st(app, "reader_body").patch(st(app, "base"))
}

/// The stats screen over the columns: text lines from `ui::stats`, bars in `chart_bar`.
fn draw_stats(app: &App, s: &StatsScreen, frame: &mut Frame, area: Rect) {
    use super::stats::Kind;
    frame.render_widget(Clear, area);
    let width = usize::from(area.width);
    let all = super::stats::lines(s, width);
    let height = usize::from(area.height);
    // The title stays; the rest scrolls.
    let scroll = s.scroll.min(super::stats::max_scroll(all.len(), height));
    let base = st(app, "base");
    let bar_style = st(app, "chart_bar");
    let mut lines: Vec<Line> = Vec::with_capacity(height);
    for (i, l) in all.iter().enumerate() {
        if i > 0 && i <= scroll {
            continue;
        }
        if lines.len() >= height.saturating_sub(1) {
            break;
        }
        let text = fit(&l.text, width);
        lines.push(match l.kind {
            Kind::Title => Line::styled(text, st(app, "column_header_focused")),
            Kind::Heading => Line::styled(text, st(app, "reader_header")),
            Kind::Warning => Line::styled(text, st(app, "status_error")),
            Kind::Text => Line::styled(text, base),
            Kind::Bar { start, len } => {
                let head: String = text.chars().take(start).collect();
                let bar: String = text.chars().skip(start).take(len).collect();
                let tail: String = text.chars().skip(start + len).collect();
                Line::from(vec![
                    Span::styled(head, base),
                    Span::styled(bar, bar_style),
                    Span::styled(tail, st(app, "row_age")),
                ])
            }
        });
    }
    let hint = " Tab/h/l mailbox · w window · r recompute · j/k scroll · q/Esc/S close";
    while lines.len() < height.saturating_sub(1) {
        lines.push(Line::from(""));
    }
    lines.push(Line::styled(fit(hint, width), st(app, "row_age")));
    frame.render_widget(Paragraph::new(lines).style(base), area);
}
