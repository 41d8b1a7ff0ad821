//! The column view's panes: tabs, column headers and rows.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{BorderType, Paragraph};
use unicode_width::UnicodeWidthStr;

use crate::config::View;
use crate::mail::date;
use crate::mail::display::{fit, sender_label};
use crate::mail::sort::Sort;
use crate::message::Summary;
use crate::policy::team::sla::{self, State};
use crate::sanitize;
use crate::ui::app::App;
use crate::ui::draw::{fit_spans, st};
use crate::ui::layout;
use crate::ui::screen::columns::{Column, Link, LoadState, SearchState};
use crate::ui::widget;
use crate::ui::wrap::wrap;

/// Cells for the age field ("45s", "12m", "3h", "5d", "7w", or a year).
const AGE_WIDTH: usize = 4;
/// Cells for the marks field: N unread, F flagged, A answered, @ attachment.
const MARKS_WIDTH: usize = 4;
/// Cells for the SLA field of a column with a first-response target ("45m left", "3h over").
const SLA_WIDTH: usize = 8;
/// Thread levels indented, at most; deeper replies line up with the deepest indented level.
const MAX_INDENT_LEVELS: usize = 6;

pub(crate) fn draw_tabs(app: &App, frame: &mut Frame, area: Rect) {
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

/// What narrows the column: "/invoice: 2 of 58 in this view", "search from:acme searching…"
/// (the query as typed, its own quotes included).
/// The second number is how many rows the team view holds (what the filter and the search
/// narrow), not the mailbox.
pub fn narrowing_text(c: &Column) -> Option<String> {
    let filter = c
        .filter
        .as_deref()
        .map(|f| format!("/{}", sanitize::single_line(f)));
    let search = c
        .search
        .as_ref()
        .map(|s| format!("search {}", sanitize::single_line(&s.query)));
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
        _ => format!("{label}: {} of {} in this view", c.shown_len(), view_len(c)),
    })
}

/// How many rows the column's team view holds, before the filter and the search.
pub fn view_len(c: &Column) -> usize {
    let n = &c.counts;
    match c.team_view {
        View::Open => n.open,
        View::Mine => n.mine,
        View::Unassigned => n.unassigned,
        View::Pending => n.pending,
        View::Done => n.done,
        View::All => c.rows.len(),
        View::Due => c.shown_len(),
    }
}

/// How many rows the column's team view holds as the header says it: the kept count, or for
/// `due` (which moves with the clock, so is not kept) the rows shown.
fn view_count(c: &Column) -> usize {
    match c.team_view {
        View::Due => c.shown_len(),
        v => c.counts.get(v),
    }
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
    let mut head = format!("[{} {}]", c.team_view.name(), view_count(c));
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
    let (label, counts) = match (super::progress::header_parts(c), &c.state, c.exists) {
        (Some(syncing), _, _) => syncing,
        (None, LoadState::Loading, Some(n)) => (c.state.label(), format!("{total}/{n}")),
        (None, _, _) => (c.state.label(), total.to_string()),
    };
    let state = match &c.link {
        None => label.to_string(),
        Some(l) => format!("{label} · {}", link_short(l, now)),
    };
    let marked = match c.marked.len() {
        0 => String::new(),
        n => format!(" · {n} marked"),
    };
    format!(
        " {}  {state}  {counts} · {} unread{marked}",
        c.name, c.unread
    )
}

pub(crate) fn draw_column(app: &App, c: &Column, focused: bool, frame: &mut Frame, area: Rect) {
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
    // As a `Block` with all borders draws it, without its pass over every cell inside.
    widget::border(border_type, border, area, frame.buffer_mut());
    let (header, body) = layout::column_parts(area);
    let mut second = Vec::new();
    if c.threaded() {
        second.push((" threads ·".to_string(), header_style));
    } else if c.sort() != Sort::Date {
        second.push((format!(" by {} ·", c.sort().name()), header_style));
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
    // As `Paragraph::new(lines).style(header_style)` draws them.
    widget::paint(header_style, header, frame.buffer_mut());
    widget::lines(&lines, header, frame.buffer_mut());
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
    let styles = RowStyles::of(app);
    let lines: Vec<Line> = (c.offset..end)
        .filter_map(|i| c.shown(i).map(|s| (i, s)))
        .map(|(i, s)| {
            let line = row_line(app.now, &styles, c, (i, s), w, i == c.selected, focused);
            crate::ui::notify::draw::mark_row(app, c.account_idx, s.uid, line)
        })
        .collect();
    // As `Paragraph::new(lines)` draws them, in a fraction of its time (every frame draws
    // every visible row of every column).
    widget::lines(&lines, body, frame.buffer_mut());
}

/// An account in the `focus` layout while another has the width: its name, state, counts
/// and how long its newest and oldest shown mail has waited, one fact a line.
pub(crate) fn draw_strip(app: &App, c: &Column, frame: &mut Frame, area: Rect) {
    let style = st(app, "column_header");
    widget::border(
        BorderType::Plain,
        st(app, "border"),
        area,
        frame.buffer_mut(),
    );
    let inner = layout::inside_border(area);
    widget::paint(style, inner, frame.buffer_mut());
    let mut lines = vec![
        format!(" {}", c.name),
        match &c.link {
            None => format!(" {}", c.state.label()),
            Some(l) => format!(" {} · {}", c.state.label(), link_short(l, app.now)),
        },
        format!(" {} unread", c.unread),
    ];
    if c.team_folders {
        lines.push(format!(" {} open", c.counts.all));
    } else {
        lines.push(format!(" [{} {}]", c.team_view.name(), view_count(c)));
        if app.agent_id.is_some() && c.team_view != View::Mine {
            lines.push(format!(" {} mine", c.counts.mine));
        }
        if c.team_view != View::Unassigned {
            lines.push(format!(" {} unassigned", c.counts.unassigned));
        }
    }
    if let Some(n) = narrowing_text(c) {
        lines.push(format!(" {n}"));
    }
    if let Some((newest, oldest)) = c.waiting_span() {
        lines.push(format!(" newest {}", date::age(app.now, newest)));
        lines.push(format!(" oldest {}", date::age(app.now, oldest)));
    }
    let width = usize::from(inner.width);
    let lines: Vec<Line> = lines
        .into_iter()
        .map(|l| Line::from(fit(&l, width)))
        .collect();
    widget::lines(&lines, inner, frame.buffer_mut());
}

/// Longest account name the unified list's tag shows.
const MAX_TAG: usize = 12;

/// The `unified` layout: one bordered list of every account's rows, sorted together, each
/// row tagged with its account; the header sums the accounts and gives each one's view count.
pub(crate) fn draw_unified(app: &App, frame: &mut Frame, area: Rect) {
    let header_style = st(app, "column_header_focused");
    widget::border(
        BorderType::Thick,
        st(app, "border_focused"),
        area,
        frame.buffer_mut(),
    );
    let (header, body) = layout::column_parts(area);
    let sort = super::unified::unified_sort(&app.columns);
    let unread: usize = app.columns.iter().map(|c| c.unread).sum();
    let first = format!(
        " all mailboxes  {} shown · {unread} unread",
        super::unified::total(app)
    );
    let mut second = Vec::new();
    if sort != Sort::Date {
        second.push((format!(" by {} ·", sort.name()), header_style));
    }
    for (i, c) in app.columns.iter().enumerate() {
        let sep = if i == 0 { " " } else { " · " };
        let mut part = format!("{sep}{} [{} {}]", c.name, c.team_view.name(), c.shown_len());
        if let Some(n) = narrowing_text(c) {
            part.push_str(&format!(" {n}"));
        }
        second.push((part, header_style));
    }
    let lines = vec![
        Line::from(first),
        Line::from(fit_spans(second, usize::from(header.width), header_style)),
    ];
    widget::paint(header_style, header, frame.buffer_mut());
    widget::lines(&lines, header, frame.buffer_mut());
    let rows = super::unified::page(app, usize::from(body.height));
    if rows.is_empty() {
        let text = if app.columns.iter().any(|c| !c.rows.is_empty()) {
            " nothing in these views here (V: next view)"
        } else {
            " no messages"
        };
        frame.render_widget(Paragraph::new(text).style(st(app, "row_age")), body);
        return;
    }
    let tag_w = app
        .columns
        .iter()
        .map(|c| c.name.width())
        .max()
        .unwrap_or(0)
        .min(MAX_TAG);
    let w = usize::from(body.width);
    let styles = RowStyles::of(app);
    let lines: Vec<Line> = rows
        .into_iter()
        .filter_map(|(ci, i)| {
            let c = app.columns.get(ci)?;
            let s = c.shown(i)?;
            let selected = ci == app.focus && i == c.selected;
            let mut line = row_line(
                app.now,
                &styles,
                c,
                (i, s),
                w.saturating_sub(tag_w + 1),
                selected,
                true,
            );
            let style = if selected {
                styles.row.patch(styles.selected)
            } else {
                styles.row.patch(styles.age)
            };
            // After the selection gutter: the account, padded to the longest name.
            let name = fit(&c.name, tag_w);
            let tag = format!("{name}{} ", " ".repeat(tag_w.saturating_sub(name.width())));
            line.spans.insert(1, Span::styled(tag, style));
            Some(line)
        })
        .collect();
    widget::lines(&lines, body, frame.buffer_mut());
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
pub fn team_marks<K: AsRef<str>>(keywords: &[K]) -> String {
    team_marks_with(keywords, |_| false)
}

/// `team_marks`, with the "replying" marks `stale` says are stale (seen by this client for
/// more than 30 minutes) shown apart as "✎? dave": "✎ bob ✎? dave @carol".
pub fn team_marks_with<K: AsRef<str>>(keywords: &[K], stale: impl Fn(&str) -> bool) -> String {
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
    let (pending, done, snoozed) = (t.pending, t.done, t.snoozed);
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
    if snoozed {
        // The wake time, when known, follows in the agent's zone (see `row_line`).
        parts.push("zz".to_string());
    }
    parts.join(" ")
}

/// A snoozed row's wake time, short, in the agent's zone: `Fri 14:00` within the coming
/// week, else `12-24 09:00`.
pub fn wake_label(wake: i64, now: i64, zone: &jiff::tz::TimeZone) -> String {
    const WEEK: i64 = 6 * 24 * 3600;
    let Ok(ts) = jiff::Timestamp::from_second(wake) else {
        return String::new();
    };
    let format = if (0..WEEK).contains(&(wake - now)) {
        "%a %H:%M"
    } else {
        "%m-%d %H:%M"
    };
    ts.to_zoned(zone.clone()).strftime(format).to_string()
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

/// The theme's styles of a row's parts, looked up once a frame (not per field of every row).
struct RowStyles {
    row: Style,
    flagged: Style,
    unread: Style,
    age: Style,
    sender: Style,
    marks: Style,
    selected: Style,
    /// By SLA state: ok, due soon, overdue (and breached), met.
    sla: [Style; 4],
    /// The agent's zone (`agent.timezone`): a snoozed row's wake time is shown in it.
    zone: jiff::tz::TimeZone,
}

impl RowStyles {
    fn of(app: &App) -> RowStyles {
        RowStyles {
            row: st(app, "row"),
            flagged: st(app, "row_flagged"),
            unread: st(app, "row_unread"),
            age: st(app, "row_age"),
            sender: st(app, "row_sender"),
            marks: st(app, "row_marks"),
            selected: selected_style(app),
            sla: [
                st(app, "sla_ok"),
                st(app, "sla_due_soon"),
                st(app, "sla_overdue"),
                st(app, "sla_met"),
            ],
            zone: crate::triage::when::config_zone(app.config.as_deref()),
        }
    }

    fn sla(&self, state: State) -> Style {
        match state {
            State::None | State::Ok => self.sla[0],
            State::DueSoon => self.sla[1],
            State::Overdue | State::Breached => self.sla[2],
            State::Met => self.sla[3],
        }
    }
}

/// The `i`th shown row of column `c`, `s` (the column gives its thread depth and the age of
/// its "replying" marks), its age counted at `now`.
fn row_line<'a>(
    now: i64,
    styles: &RowStyles,
    c: &Column,
    (i, s): (usize, &Summary),
    width: usize,
    selected: bool,
    focused: bool,
) -> Line<'a> {
    let depth = c.depth(i);
    let mut base = styles.row;
    if s.flags.flagged {
        base = base.patch(styles.flagged);
    }
    if !s.flags.seen {
        base = base.patch(styles.unread);
    }
    let highlight = selected && focused;
    let sel = styles.selected;
    // The selected row is one style end to end: fewer attribute changes on the wire for
    // every `j` over a slow SSH link (each field colour would cost an escape sequence).
    let part = |style: Style| {
        if highlight {
            base.patch(sel)
        } else {
            base.patch(style)
        }
    };
    // gutter, age, sender, subject, team marks, SLA (with a target), flag marks, with one
    // space between fields.
    let sender_w = (width / 4).clamp(6, 24);
    let sla_w = if c.sla.is_some() { SLA_WIDTH + 1 } else { 0 };
    let fixed = 1 + AGE_WIDTH + 1 + sender_w + 1 + 1 + MARKS_WIDTH + sla_w;
    let mut team = team_marks_with(&s.keywords, |a| c.replying_stale(s.uid, a));
    if team.ends_with("zz")
        && let Some(wake) = crate::triage::view::team_state(s, &c.wake_times).snoozed_until
    {
        team.push(' ');
        team.push_str(&wake_label(wake, now, &styles.zone));
    }
    // Team marks take what they need, up to a quarter of the row; the subject yields.
    let team_w = if team.is_empty() {
        0
    } else {
        team.width().min((width / 4).max(6))
    };
    let subject_w = width.saturating_sub(fixed + team_w + usize::from(team_w > 0));
    let gutter = if selected {
        ">"
    } else if c.marked.contains(&s.uid) {
        "*"
    } else {
        " "
    };
    let age = format!("{:>AGE_WIDTH$} ", short_age(now, s.internal_date));
    let sender = fit(&sanitize::single_line_cow(&sender_label(s)), sender_w);
    let subject = fit(
        &(thread_indent(depth, subject_w) + &c.fold_label(i) + &sanitize::single_line(s.subject())),
        subject_w,
    );
    // Room for every field at once: no regrowth per row.
    let mut spans = Vec::with_capacity(11);
    spans.extend([
        Span::styled(gutter, part(Style::default())),
        Span::styled(age, part(styles.age)),
        Span::styled(sender, part(styles.sender)),
        Span::styled(" ", part(Style::default())),
        Span::styled(subject, part(Style::default())),
        Span::styled(" ", part(Style::default())),
    ]);
    if team_w > 0 {
        spans.push(Span::styled(fit(&team, team_w), part(styles.marks)));
        spans.push(Span::styled(" ", part(Style::default())));
    }
    if sla_w > 0 {
        let status = sla::row_status(c.sla.as_ref(), s, now);
        spans.push(Span::styled(
            format!("{:>SLA_WIDTH$}", status.short()),
            part(styles.sla(status.state)),
        ));
        spans.push(Span::styled(" ", part(Style::default())));
    }
    spans.push(Span::styled(marks(s), part(styles.marks)));
    Line::from(spans)
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
