//! The UI's state and its one transition function, `update`: no I/O, no clock, no terminal,
//! so every behaviour can be driven by synthetic events in tests.

use crossterm::event::{KeyEvent, KeyEventKind};
use ratatui::layout::Rect;

use super::event::{Command, Event};
use super::keys::{self, Action};
use super::layout;
use super::theme::Theme;
use super::wrap::wrap;
use crate::backend::{Address, Summary};
use crate::mail::{date, sanitize};

/// Bodies longer than this are cut before display: a reader is no place for a 50 MB log.
pub const MAX_BODY_BYTES: usize = 1 << 20;
/// Address lists in the reader show this many addresses, then a count.
const MAX_SHOWN_ADDRESSES: usize = 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadState {
    Loading,
    Ready,
    /// Sanitized reason.
    Failed(String),
}

impl LoadState {
    pub fn label(&self) -> &'static str {
        match self {
            LoadState::Loading => "loading",
            LoadState::Ready => "ready",
            LoadState::Failed(_) => "error",
        }
    }
}

/// One account's message list.
#[derive(Debug, Clone)]
pub struct Column {
    /// Index into `config.accounts`: how workers and events name the account.
    pub account_idx: usize,
    /// Sanitized account name.
    pub name: String,
    pub state: LoadState,
    /// Message count reported when the mailbox was opened.
    pub exists: Option<u32>,
    /// Newest first (arrival time, then UID). Raw: sanitized when drawn.
    pub rows: Vec<Summary>,
    pub unread: usize,
    pub selected: usize,
    /// First row on screen; kept here so scrolling is stable rather than recomputed per frame.
    pub offset: usize,
}

impl Column {
    pub fn new(account_idx: usize, name: &str) -> Column {
        Column {
            account_idx,
            name: sanitize::single_line(name),
            state: LoadState::Loading,
            exists: None,
            rows: Vec::new(),
            unread: 0,
            selected: 0,
            offset: 0,
        }
    }

    pub fn selected_row(&self) -> Option<&Summary> {
        self.rows.get(self.selected)
    }

    fn add_rows(&mut self, rows: Vec<Summary>, height: usize) {
        // At the top, stay at the top (new mail, and the initial load, which arrives oldest
        // first); elsewhere, stay on the same message.
        let keep = (self.selected > 0)
            .then(|| self.selected_row().map(|s| s.uid))
            .flatten();
        self.unread += rows.iter().filter(|s| !s.flags.seen).count();
        self.rows.extend(rows);
        // Stable sort finds the existing sorted run and the new batch: close to linear.
        self.rows.sort_by(|a, b| {
            b.internal_date
                .cmp(&a.internal_date)
                .then(b.uid.cmp(&a.uid))
        });
        if let Some(uid) = keep
            && let Some(i) = self.rows.iter().position(|s| s.uid == uid)
        {
            self.selected = i;
        }
        self.clamp_view(height);
    }

    fn select(&mut self, index: usize, height: usize) {
        self.selected = index;
        self.clamp_view(height);
    }

    /// Keeps the selection within the rows and on screen, without blank space at the bottom.
    fn clamp_view(&mut self, height: usize) {
        let len = self.rows.len();
        self.selected = self.selected.min(len.saturating_sub(1));
        self.offset = self.offset.min(len.saturating_sub(height));
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if height > 0 && self.selected >= self.offset + height {
            self.offset = self.selected + 1 - height;
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    Loading,
    /// Sanitized text.
    Text(String),
    /// Sanitized reason.
    Failed(String),
}

/// The open message.
#[derive(Debug, Clone)]
pub struct Reader {
    pub account_idx: usize,
    pub uid: u32,
    /// (label, sanitized value), in display order.
    pub headers: Vec<(&'static str, String)>,
    pub body: Body,
    /// The body wrapped to `wrap_width`.
    pub lines: Vec<String>,
    pub wrap_width: usize,
    pub scroll: usize,
}

impl Reader {
    fn new(account_idx: usize, s: &Summary) -> Reader {
        let mut headers = vec![("From", addresses(&s.from))];
        if let (Some(sender), Some(from)) = (s.sender.first(), s.from.first())
            && !sender.email.eq_ignore_ascii_case(&from.email)
        {
            let v = format!(
                "{} (on behalf of {})",
                sanitize::single_line(&sender.display()),
                sanitize::single_line(&from.email)
            );
            headers.push(("Sender", v));
        }
        headers.push(("To", addresses(&s.to)));
        if !s.cc.is_empty() {
            headers.push(("Cc", addresses(&s.cc)));
        }
        let sent = s.date.unwrap_or(s.internal_date);
        let mut when = format!("{} UTC", date::short_utc(sent));
        if (sent - s.internal_date).abs() >= 60 {
            when.push_str(&format!(
                " (received {} UTC)",
                date::short_utc(s.internal_date)
            ));
        }
        headers.push(("Date", when));
        headers.push(("Subject", sanitize::single_line(&s.subject)));
        Reader {
            account_idx,
            uid: s.uid,
            headers,
            body: Body::Loading,
            lines: Vec::new(),
            wrap_width: 0,
            scroll: 0,
        }
    }

    fn rewrap(&mut self, width: usize) {
        self.wrap_width = width;
        self.lines = match &self.body {
            Body::Text(t) => wrap(t, width),
            Body::Loading | Body::Failed(_) => Vec::new(),
        };
    }

    fn scroll_to(&mut self, line: usize, height: usize) {
        self.scroll = line.min(self.lines.len().saturating_sub(height));
    }
}

/// Sanitized "a, b, c and 12 more".
fn addresses(list: &[Address]) -> String {
    let shown: Vec<String> = list
        .iter()
        .take(MAX_SHOWN_ADDRESSES)
        .map(|a| sanitize::single_line(&a.display()))
        .collect();
    let mut s = shown.join(", ");
    if list.len() > MAX_SHOWN_ADDRESSES {
        s.push_str(&format!(" and {} more", list.len() - MAX_SHOWN_ADDRESSES));
    }
    s
}

/// Cuts `s` to at most `max` bytes on a char boundary.
fn truncate(mut s: String, max: usize) -> (String, bool) {
    if s.len() <= max {
        return (s, false);
    }
    let mut cut = max;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    s.truncate(cut);
    (s, true)
}

/// Everything on screen, and nothing else.
#[derive(Debug, Clone)]
pub struct App {
    pub columns: Vec<Column>,
    pub focus: usize,
    pub reader: Option<Reader>,
    /// The last error, sanitized, for the status line.
    pub error: Option<String>,
    pub theme: Theme,
    pub no_color: bool,
    /// Terminal size in cells (width, height).
    pub size: (u16, u16),
    /// Unix seconds, for row ages; set by `Event::Tick`.
    pub now: i64,
    /// Set when the screen needs redrawing; the run loop clears it after drawing.
    pub dirty: bool,
}

impl App {
    /// `columns`: (account index, account name), left to right.
    pub fn new(columns: &[(usize, String)], theme: Theme, no_color: bool) -> App {
        App {
            columns: columns
                .iter()
                .map(|(i, name)| Column::new(*i, name))
                .collect(),
            focus: 0,
            reader: None,
            error: None,
            theme,
            no_color,
            size: (80, 24),
            now: 0,
            dirty: true,
        }
    }

    fn area(&self) -> Rect {
        Rect::new(0, 0, self.size.0, self.size.1)
    }

    /// Message rows visible in a column at the current size.
    pub fn list_height(&self) -> usize {
        let plan = layout::plan(self.area(), self.columns.len(), self.focus, false);
        plan.columns
            .first()
            .map_or(0, |(_, r)| usize::from(layout::column_parts(*r).1.height))
    }

    /// The reader body's (width, height) at the current size.
    pub fn reader_body_size(&self) -> (usize, usize) {
        let plan = layout::plan(self.area(), self.columns.len(), self.focus, true);
        let n = self.reader.as_ref().map_or(0, |r| r.headers.len());
        plan.reader.map_or((0, 0), |a| {
            let (_, _, body) = layout::reader_parts(a, n);
            (usize::from(body.width), usize::from(body.height))
        })
    }

    fn column_mut(&mut self, account_idx: usize) -> Option<&mut Column> {
        self.columns
            .iter_mut()
            .find(|c| c.account_idx == account_idx)
    }

    fn set_error(&mut self, message: String) {
        self.error = Some(message);
    }

    /// Re-fits scroll positions and wrapping after a resize.
    fn fit_views(&mut self) {
        let h = self.list_height();
        for c in &mut self.columns {
            c.clamp_view(h);
        }
        let (w, h) = self.reader_body_size();
        if let Some(r) = &mut self.reader {
            if r.wrap_width != w {
                r.rewrap(w);
            }
            let scroll = r.scroll;
            r.scroll_to(scroll, h);
        }
    }
}

/// Applies one event; returns what must be done outside.
pub fn update(app: &mut App, event: Event) -> Vec<Command> {
    match event {
        Event::Key(k) => return on_key(app, &k),
        // Nothing takes text input yet; with bracketed paste, a paste is one inert event
        // instead of a burst of keystrokes that would each run a command.
        Event::Paste(_) => {}
        // The run loop ends on this before it gets here; quitting is all that is left.
        Event::InputFailed(_) => return vec![Command::Quit],
        Event::Resize(w, h) => {
            app.size = (w, h);
            app.fit_views();
            app.dirty = true;
        }
        Event::Tick(now) => {
            app.now = now;
            app.dirty = true;
        }
        Event::Status {
            account_idx,
            exists,
        } => {
            if let Some(c) = app.column_mut(account_idx) {
                c.exists = Some(exists);
                app.dirty = true;
            }
        }
        Event::Rows { account_idx, rows } => {
            let h = app.list_height();
            if let Some(c) = app.column_mut(account_idx) {
                c.add_rows(rows, h);
                app.dirty = true;
            }
        }
        Event::Loaded { account_idx } => {
            if let Some(c) = app.column_mut(account_idx)
                && c.state == LoadState::Loading
            {
                c.state = LoadState::Ready;
                app.dirty = true;
            }
        }
        Event::Error {
            account_idx,
            message,
        } => {
            let message = sanitize::single_line(message.trim());
            if let Some(c) = account_idx.and_then(|i| app.column_mut(i)) {
                c.state = LoadState::Failed(message.clone());
            }
            app.set_error(message);
            app.dirty = true;
        }
        Event::Body {
            account_idx,
            uid,
            body,
        } => {
            let (w, _) = app.reader_body_size();
            // A body for a message that is no longer open is stale: drop it.
            if let Some(r) = &mut app.reader
                && r.account_idx == account_idx
                && r.uid == uid
            {
                r.body = match body {
                    Ok(text) => {
                        let (text, cut) = truncate(text, MAX_BODY_BYTES);
                        let mut text = sanitize::multi_line(&text);
                        if cut {
                            text.push_str("\n[… cut: the message is longer than 1 MiB]");
                        }
                        Body::Text(text)
                    }
                    Err(e) => Body::Failed(sanitize::single_line(e.trim())),
                };
                r.rewrap(w);
                r.scroll = 0;
                app.dirty = true;
            }
        }
    }
    Vec::new()
}

fn on_key(app: &mut App, k: &KeyEvent) -> Vec<Command> {
    if k.kind == KeyEventKind::Release {
        return Vec::new();
    }
    let table = if app.reader.is_some() {
        keys::READER
    } else {
        keys::LIST
    };
    let Some(action) = keys::lookup(table, k) else {
        return Vec::new();
    };
    app.dirty = true;
    if action == Action::ForceQuit {
        return vec![Command::Quit];
    }
    if app.reader.is_some() {
        reader_action(app, action);
        return Vec::new();
    }
    list_action(app, action)
}

fn reader_action(app: &mut App, action: Action) {
    let (_, h) = app.reader_body_size();
    let Some(r) = &mut app.reader else { return };
    let page = h.max(1);
    let s = r.scroll;
    match action {
        Action::Down => r.scroll_to(s + 1, h),
        Action::Up => r.scroll_to(s.saturating_sub(1), h),
        Action::PageDown => r.scroll_to(s + page, h),
        Action::PageUp => r.scroll_to(s.saturating_sub(page), h),
        Action::HalfPageDown => r.scroll_to(s + page.div_ceil(2), h),
        Action::HalfPageUp => r.scroll_to(s.saturating_sub(page.div_ceil(2)), h),
        Action::Top => r.scroll_to(0, h),
        Action::Bottom => r.scroll_to(usize::MAX, h),
        Action::Quit | Action::Close => app.reader = None,
        _ => {}
    }
}

fn list_action(app: &mut App, action: Action) -> Vec<Command> {
    let n = app.columns.len();
    let h = app.list_height();
    match action {
        Action::Quit => return vec![Command::Quit],
        Action::Close => app.error = None,
        Action::ColumnLeft => app.focus = app.focus.saturating_sub(1),
        Action::ColumnRight => app.focus = (app.focus + 1).min(n.saturating_sub(1)),
        Action::NextColumn if n > 0 => app.focus = (app.focus + 1) % n,
        Action::PrevColumn if n > 0 => app.focus = (app.focus + n - 1) % n,
        _ => {}
    }
    let Some(c) = app.columns.get_mut(app.focus) else {
        return Vec::new();
    };
    let sel = c.selected;
    let half = h.div_ceil(2).max(1);
    match action {
        Action::Down => c.select(sel + 1, h),
        Action::Up => c.select(sel.saturating_sub(1), h),
        Action::Top => c.select(0, h),
        Action::Bottom => c.select(usize::MAX, h),
        Action::HalfPageDown => c.select(sel + half, h),
        Action::HalfPageUp => c.select(sel.saturating_sub(half), h),
        Action::PageDown => c.select(sel + h.max(1), h),
        Action::PageUp => c.select(sel.saturating_sub(h.max(1)), h),
        Action::Open => {
            if let Some(s) = c.selected_row() {
                let account_idx = c.account_idx;
                let uid = s.uid;
                app.reader = Some(Reader::new(account_idx, s));
                let (w, _) = app.reader_body_size();
                if let Some(r) = &mut app.reader {
                    r.rewrap(w);
                }
                return vec![Command::Open { account_idx, uid }];
            }
        }
        _ => {}
    }
    Vec::new()
}
