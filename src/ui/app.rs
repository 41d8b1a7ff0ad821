//! The UI's state and its one transition function, `update`: no I/O, no clock, no terminal,
//! so every behaviour can be driven by synthetic events in tests.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use crossterm::event::{KeyEvent, KeyEventKind};
use ratatui::layout::Rect;

use super::event::{Command, Event};
use super::keys::{self, Action};
use super::layout;
use super::theme::Theme;
use super::wrap::wrap;
use crate::backend::{Address, Summary};
use crate::imap::sync::FlagUpdate;
use crate::imap::worker::ConnState;
use crate::mail::{date, sanitize};

/// Bodies longer than this are cut before display: a reader is no place for a 50 MB log.
pub const MAX_BODY_BYTES: usize = 1 << 20;
/// Address lists in the reader show this many addresses, then a count.
const MAX_SHOWN_ADDRESSES: usize = 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadState {
    Loading,
    /// Showing the local header cache; the server has not confirmed it yet.
    Cached,
    /// In sync with the mailbox (as of the last sync).
    Ready,
    /// Sanitized reason.
    Failed(String),
}

impl LoadState {
    pub fn label(&self) -> &'static str {
        match self {
            LoadState::Loading => "loading",
            LoadState::Cached => "cached",
            LoadState::Ready => "ready",
            LoadState::Failed(_) => "error",
        }
    }
}

/// The connection of a networked (IMAP) account, as the user should see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    Connecting,
    /// Connected; `idle`: changes are pushed (IDLE), otherwise the mailbox is polled.
    Online {
        idle: bool,
    },
    /// Down. `error` is sanitized; the next attempt is due at `retry_at` (Unix seconds).
    Offline {
        error: String,
        retry_at: i64,
    },
}

impl Link {
    fn from_state(state: ConnState, at: i64) -> Link {
        match state {
            ConnState::Connecting => Link::Connecting,
            ConnState::Online { idle } => Link::Online { idle },
            ConnState::Offline { error, retry_in } => Link::Offline {
                error: sanitize::single_line(error.trim()),
                retry_at: at.saturating_add(ceil_secs(retry_in)),
            },
        }
    }
}

/// Whole seconds, rounded up, so "retrying in 1s" is never shown as 0s while it is not due.
fn ceil_secs(d: Duration) -> i64 {
    let s = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    i64::try_from(s).unwrap_or(i64::MAX)
}

/// One account's message list.
#[derive(Debug, Clone)]
pub struct Column {
    /// Index into `config.accounts`: how workers and events name the account.
    pub account_idx: usize,
    /// Sanitized account name.
    pub name: String,
    pub state: LoadState,
    /// The connection, for networked accounts; `None` for local ones (Maildir).
    pub link: Option<Link>,
    /// The last connection error (sanitized), kept while reconnecting; cleared once online.
    pub link_error: Option<String>,
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
            link: None,
            link_error: None,
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
        // A row that is already shown is replaced, never doubled.
        let incoming: HashSet<u32> = rows.iter().map(|s| s.uid).collect();
        if self.rows.iter().any(|s| incoming.contains(&s.uid)) {
            self.rows.retain(|s| !incoming.contains(&s.uid));
        }
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
        self.recount();
        self.clamp_view(height);
    }

    /// Updates flags and keywords in place; the order (by date) and so the selection stay.
    /// False when none of the UIDs is shown.
    fn apply_flags(&mut self, updates: Vec<FlagUpdate>) -> bool {
        let by_uid: HashMap<u32, FlagUpdate> = updates.into_iter().map(|u| (u.uid, u)).collect();
        let mut changed = false;
        for row in &mut self.rows {
            if let Some(u) = by_uid.get(&row.uid) {
                row.flags = u.flags;
                row.keywords.clone_from(&u.keywords);
                if u.modseq.is_some() {
                    row.modseq = u.modseq;
                }
                changed = true;
            }
        }
        if changed {
            self.recount();
        }
        changed
    }

    /// Removes rows. A removed selection moves to the next (older) row, or to the new last
    /// row; a selection elsewhere stays on its message. False when none of the UIDs is shown.
    fn remove(&mut self, uids: &[u32], height: usize) -> bool {
        let gone: HashSet<u32> = uids.iter().copied().collect();
        let (mut before_selected, mut before_offset) = (0, 0);
        for (i, s) in self.rows.iter().enumerate() {
            if gone.contains(&s.uid) {
                before_selected += usize::from(i < self.selected);
                before_offset += usize::from(i < self.offset);
            }
        }
        let len = self.rows.len();
        self.rows.retain(|s| !gone.contains(&s.uid));
        if self.rows.len() == len {
            return false;
        }
        self.selected -= before_selected;
        self.offset -= before_offset;
        self.recount();
        self.clamp_view(height);
        true
    }

    /// Forgets every row: what was shown is no longer valid.
    fn clear(&mut self) {
        self.rows.clear();
        self.unread = 0;
        self.selected = 0;
        self.offset = 0;
        self.exists = None;
        self.state = LoadState::Loading;
    }

    fn recount(&mut self) {
        self.unread = self.rows.iter().filter(|s| !s.flags.seen).count();
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
    /// The last warning (a discarded cache, a reset mailbox), sanitized, for the status line.
    pub notice: Option<String>,
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
            notice: None,
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

    /// A warning about an account, prefixed with its name.
    fn set_notice(&mut self, account_idx: usize, message: &str) {
        let name = self
            .columns
            .iter()
            .find(|c| c.account_idx == account_idx)
            .map_or("", |c| c.name.as_str());
        let message = sanitize::single_line(message.trim());
        self.notice = Some(if name.is_empty() {
            message
        } else {
            format!("{name}: {message}")
        });
    }

    /// Whether the screen shows a countdown, so the clock should tick every second.
    pub fn needs_clock(&self) -> bool {
        self.columns
            .iter()
            .any(|c| matches!(c.link, Some(Link::Offline { retry_at, .. }) if retry_at > self.now))
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
        Event::Cached { account_idx, rows } => {
            let h = app.list_height();
            if let Some(c) = app.column_mut(account_idx) {
                c.add_rows(rows, h);
                if c.state == LoadState::Loading {
                    c.state = LoadState::Cached;
                }
                app.dirty = true;
            }
        }
        Event::Synced {
            account_idx,
            exists,
        } => {
            if let Some(c) = app.column_mut(account_idx) {
                c.state = LoadState::Ready;
                c.exists = Some(exists);
                app.dirty = true;
            }
        }
        Event::Flags {
            account_idx,
            updates,
        } => {
            if let Some(c) = app.column_mut(account_idx)
                && c.apply_flags(updates)
            {
                app.dirty = true;
            }
        }
        Event::Vanished { account_idx, uids } => {
            let h = app.list_height();
            if let Some(c) = app.column_mut(account_idx)
                && c.remove(&uids, h)
            {
                app.dirty = true;
                if let Some(r) = &app.reader
                    && r.account_idx == account_idx
                    && uids.contains(&r.uid)
                {
                    app.set_notice(account_idx, "the open message was removed from the mailbox");
                }
            }
        }
        Event::Reset {
            account_idx,
            reason,
        } => {
            if let Some(c) = app.column_mut(account_idx) {
                c.clear();
                app.set_notice(account_idx, &reason);
                // Its UID may now name another message: a body still on the way would lie.
                if app
                    .reader
                    .as_ref()
                    .is_some_and(|r| r.account_idx == account_idx)
                {
                    app.reader = None;
                }
                app.dirty = true;
            }
        }
        Event::Warning {
            account_idx,
            message,
        } => {
            app.set_notice(account_idx, &message);
            app.dirty = true;
        }
        Event::Link {
            account_idx,
            state,
            at,
        } => {
            app.now = app.now.max(at);
            if let Some(c) = app.column_mut(account_idx) {
                let link = Link::from_state(state, at);
                match &link {
                    Link::Online { .. } => c.link_error = None,
                    Link::Offline { error, .. } => c.link_error = Some(error.clone()),
                    Link::Connecting => {}
                }
                c.link = Some(link);
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
        Action::Close => {
            app.error = None;
            app.notice = None;
        }
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
