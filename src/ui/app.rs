//! The UI's state and its one transition function, `update`: no I/O, no clock, no terminal,
//! so every behaviour can be driven by synthetic events in tests.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::layout::Rect;

use super::compose::{self, Compose, Field, Kind, Line, Preview};
use super::event::{Command, Event};
use super::keys::{Action, Context, Keymap};
use super::layout;
pub use super::layout::ReaderMode;
use super::notes::{self, Leave, NoteEditor, PendingNote, ReaderNotes};
use super::prompt::{self, Cmd, History, Prompt, PromptKind, Sources};
use super::stats::{State as StatsState, StatsScreen, Window as StatsWindow};
use super::theme::{BUILTIN, Theme};
use super::wrap::wrap;
use crate::backend::FlagChange;
use crate::config::Config;
use crate::config::View;
use crate::engine::event::{Opened, OutboxStatus, RawMessage};
use crate::engine::pipeline::Outcome;
use crate::engine::worker::ConnState;
use crate::imap::sync::FlagUpdate;
use crate::mail::attachments::AttachmentInfo;
use crate::mail::display::attachment_label;
use crate::mail::reply;
use crate::mail::{date, mdn, thread};
use crate::message::{Address, Flags, Summary};
use crate::policy::identity;
use crate::policy::rights::Rights;
use crate::sanitize;
use crate::store::drafts;
use crate::triage::act::{ActError, Applied};
use crate::triage::folders::TeamStateAt;
use crate::triage::state::Action as TriageAction;
use crate::triage::view::{Counts, RowState, describe};

/// Bodies longer than this are cut before display: a reader is no place for a 50 MB log.
pub const MAX_BODY_BYTES: usize = 1 << 20;
/// Address lists in the reader show this many addresses, then a count.
const MAX_SHOWN_ADDRESSES: usize = 20;
/// Attachment lines under the reader's headers, at most; a longer list is given in full at the
/// end of the message.
pub const MAX_LISTED_ATTACHMENTS: usize = 5;

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

/// A server-side (or, for local folders, row) search of one column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search {
    /// As typed (trimmed); sanitized when drawn.
    pub query: String,
    /// Matches the answer to its request; a newer search makes an older answer stale.
    pub id: u64,
    pub state: SearchState,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchState {
    /// Asked; the server has not answered.
    Pending,
    /// The matching UIDs.
    Done(HashSet<u32>),
    /// Sanitized reason; every row stays shown.
    Failed(String),
}

/// A filter needle, lower-cased once; ASCII needles compare without allocating (the filter
/// runs over every cached row on each key press).
struct Needle {
    lower: String,
    ascii: bool,
}

impl Needle {
    fn new(text: &str) -> Needle {
        Needle {
            lower: text.to_lowercase(),
            ascii: text.is_ascii(),
        }
    }

    fn found_in(&self, hay: &str) -> bool {
        if self.lower.is_empty() {
            return true;
        }
        if self.ascii {
            let n = self.lower.as_bytes();
            hay.as_bytes()
                .windows(n.len())
                .any(|w| w.eq_ignore_ascii_case(n))
        } else {
            hay.to_lowercase().contains(&self.lower)
        }
    }

    /// From, subject and To: what an agent remembers of a message.
    fn matches(&self, s: &Summary) -> bool {
        let addr = |a: &Address| {
            self.found_in(&a.email) || a.name.as_deref().is_some_and(|n| self.found_in(n))
        };
        self.found_in(&s.subject) || s.from.iter().any(addr) || s.to.iter().any(addr)
    }
}

/// Whether `s` matches the filter text `text` (case-insensitive, in from, subject and to).
pub fn row_matches(s: &Summary, text: &str) -> bool {
    Needle::new(text).matches(s)
}

const REPLYING: &str = crate::triage::state::REPLYING;
/// A "replying" mark this client has seen for longer than this is shown as stale and no
/// longer asks before a reply (keywords carry no time: the age is from when it was first seen).
pub const REPLYING_STALE_SECS: i64 = 30 * 60;

/// The agent of a `$replying.<agent>` keyword (as written; not validated).
fn replying_agent(keyword: &str) -> Option<&str> {
    crate::triage::state::suffix(keyword, REPLYING)
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
    /// Which rows the column shows by team state (`V` cycles).
    pub team_view: View,
    /// Team state lives in folders here (a server without permanent keywords, or
    /// `team_state = "folders"`): claimed, pending and done messages leave the mailbox.
    pub team_folders: bool,
    /// How many rows each view shows, and when the next snooze ends.
    pub counts: Counts,
    /// The clock the views were computed with (snoozes hide rows until their time).
    now: i64,
    /// Whether the account is on an IMAP server, so `:search` asks the server; a local folder
    /// is searched in its rows.
    pub imap: bool,
    /// The agent's rights here, once known; actions they do not allow are refused up front.
    pub rights: Option<Rights>,
    /// The `/` filter, as typed; `None` when off.
    pub filter: Option<String>,
    pub search: Option<Search>,
    /// Position of the selection among the shown rows (all rows, or the filtered view).
    pub selected: usize,
    /// First shown row on screen; kept here so scrolling is stable rather than recomputed.
    pub offset: usize,
    /// The agent at the keyboard (lower-cased), when known: whose rows are "mine".
    agent: Option<String>,
    /// While threads are on: every row as (index into `rows`, depth), threads newest first.
    /// Computed when threads are turned on and when rows come or go, never per frame.
    threads: Option<Vec<(usize, u8)>>,
    /// The shown rows as (index into `rows`, depth) while a filter or search is on (in thread
    /// order when threads are on). `None` shows every row (of `threads`, else of `rows`)
    /// without the cost of an index per row.
    view: Option<Vec<(usize, u8)>>,
    /// When this client first saw each `$replying.<agent>` mark, by UID: (agent, lower-cased;
    /// Unix seconds). IMAP keywords carry no time, so a mark's age is how long this client has
    /// seen it; updated only for rows that come or change, never per frame.
    replying_seen: HashMap<u32, Vec<(String, i64)>>,
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
            // Every row until the configuration names a view (`with_config`).
            team_view: View::All,
            team_folders: false,
            counts: Counts::default(),
            now: 0,
            imap: false,
            rights: None,
            filter: None,
            search: None,
            selected: 0,
            offset: 0,
            agent: None,
            threads: None,
            view: None,
            replying_seen: HashMap::new(),
        }
    }

    /// The shown order, when it is not simply `rows`.
    fn order(&self) -> Option<&[(usize, u8)]> {
        self.view.as_deref().or(self.threads.as_deref())
    }

    /// How many rows are shown (all, or those passing the filter and search).
    pub fn shown_len(&self) -> usize {
        self.order().map_or(self.rows.len(), <[_]>::len)
    }

    /// The `i`th shown row.
    pub fn shown(&self, i: usize) -> Option<&Summary> {
        match self.order() {
            None => self.rows.get(i),
            Some(o) => o.get(i).and_then(|&(r, _)| self.rows.get(r)),
        }
    }

    /// The thread depth of the `i`th shown row (0 when threads are off), at most
    /// `mail::thread::MAX_DEPTH`.
    pub fn depth(&self, i: usize) -> u8 {
        self.order().and_then(|o| o.get(i)).map_or(0, |&(_, d)| d)
    }

    /// Whether rows are grouped by thread.
    pub fn threaded(&self) -> bool {
        self.threads.is_some()
    }

    pub fn selected_row(&self) -> Option<&Summary> {
        self.shown(self.selected)
    }

    /// Whether a filter or a search narrows the rows.
    pub fn narrowed(&self) -> bool {
        self.filter.is_some() || self.search.is_some()
    }

    fn position_of(&self, uid: u32) -> Option<usize> {
        match self.order() {
            None => self.rows.iter().position(|s| s.uid == uid),
            Some(o) => o
                .iter()
                .position(|&(r, _)| self.rows.get(r).is_some_and(|s| s.uid == uid)),
        }
    }

    /// Recomputes the thread order after rows came or went (when threads are on).
    fn rethread(&mut self) {
        if self.threads.is_some() {
            self.threads = Some(thread::display_order(&self.rows));
        }
    }

    /// Turns threads on or off; the selected message stays selected.
    fn set_threaded(&mut self, on: bool, height: usize) {
        if on == self.threaded() {
            return;
        }
        let keep = self.selected_row().map(|s| s.uid);
        self.threads = on.then(|| thread::display_order(&self.rows));
        self.rebuild_view();
        self.selected = keep.and_then(|uid| self.position_of(uid)).unwrap_or(0);
        self.clamp_view(height);
    }

    /// Recomputes the shown rows after rows, the filter or the search changed.
    fn rebuild_view(&mut self) {
        let needle = self.filter.as_deref().map(Needle::new);
        let found = match &self.search {
            Some(Search {
                state: SearchState::Done(uids),
                ..
            }) => Some(uids),
            _ => None,
        };
        let team_view = self.team_view;
        if needle.is_none() && found.is_none() && team_view == View::All {
            self.view = None;
            return;
        }
        let (me, now) = (self.agent(), self.now);
        let passes = |s: &Summary| {
            found.is_none_or(|f| f.contains(&s.uid))
                && needle.as_ref().is_none_or(|n| n.matches(s))
                && (team_view == View::All || RowState::of(s, me, now).shown_in(team_view))
        };
        self.view = Some(match &self.threads {
            Some(t) => t
                .iter()
                .copied()
                .filter(|&(r, _)| self.rows.get(r).is_some_and(passes))
                .collect(),
            None => self
                .rows
                .iter()
                .enumerate()
                .filter(|(_, s)| passes(s))
                .map(|(i, _)| (i, 0))
                .collect(),
        });
    }

    /// Applies a changed filter or search: the selected message stays selected while it is
    /// still shown; otherwise the selection goes to the top.
    fn refilter(&mut self, height: usize) {
        let keep = self.selected_row().map(|s| s.uid);
        self.rebuild_view();
        self.selected = keep.and_then(|uid| self.position_of(uid)).unwrap_or(0);
        if self.selected == 0 {
            self.offset = 0;
        }
        self.clamp_view(height);
    }

    fn add_rows(&mut self, mut rows: Vec<Summary>, height: usize) {
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
        if incoming.len() < rows.len() {
            // Batches merged by the run loop may carry a UID twice: the later copy wins.
            let mut seen = HashSet::with_capacity(incoming.len());
            rows.reverse();
            rows.retain(|s| seen.insert(s.uid));
        }
        for s in &rows {
            self.note_replying(s.uid, &s.keywords);
        }
        self.rows.extend(rows);
        // Stable sort finds the existing sorted run and the new batch: close to linear.
        self.rows.sort_by(|a, b| {
            b.internal_date
                .cmp(&a.internal_date)
                .then(b.uid.cmp(&a.uid))
        });
        self.rethread();
        self.rebuild_view();
        if let Some(uid) = keep
            && let Some(i) = self.position_of(uid)
        {
            self.selected = i;
        }
        self.recount();
        self.clamp_view(height);
    }

    /// Updates flags and keywords in place; the order (by date) and so the selection stay.
    /// False when none of the UIDs is shown.
    fn apply_flags(&mut self, updates: Vec<FlagUpdate>, height: usize) -> bool {
        let by_uid: HashMap<u32, FlagUpdate> = updates.into_iter().map(|u| (u.uid, u)).collect();
        let mut changed = false;
        let mut touched = Vec::new();
        for row in &mut self.rows {
            if let Some(u) = by_uid.get(&row.uid) {
                row.flags = u.flags;
                row.keywords.clone_from(&u.keywords);
                if u.modseq.is_some() {
                    row.modseq = u.modseq;
                }
                changed = true;
                touched.push(row.uid);
            }
        }
        for uid in touched {
            if let Some(u) = by_uid.get(&uid) {
                self.note_replying(uid, &u.keywords);
            }
        }
        if changed {
            self.recount();
            // A changed state may move rows in or out of the view: keep the selection on its
            // message while it is shown.
            if self.team_view != View::All {
                let keep = self.selected_row().map(|s| s.uid);
                let before = self.selected;
                // Where the selection goes when its row leaves the view: the next row below
                // it that stays (looked for among the next rows shown before the change).
                let below: HashSet<u32> = (before..self.shown_len().min(before + 1000))
                    .filter_map(|i| self.shown(i).map(|s| s.uid))
                    .collect();
                self.rebuild_view();
                if let Some(i) = keep.and_then(|uid| self.position_of(uid)) {
                    self.selected = i;
                } else if let Some(i) = (0..self.shown_len())
                    .find(|&i| self.shown(i).is_some_and(|s| below.contains(&s.uid)))
                {
                    // The order is kept, so the first of them shown is the nearest below.
                    self.selected = i;
                }
                // Rows that left above the selection pull the page up with it, so the
                // selected row stays where it was on screen.
                self.offset = self
                    .offset
                    .saturating_sub(before.saturating_sub(self.selected));
                self.clamp_view(height);
            }
        }
        changed
    }

    /// Removes rows. A removed selection moves to the next (older) shown row, or to the new
    /// last row; a selection elsewhere stays on its message. False when none of the UIDs is
    /// shown.
    fn remove(&mut self, uids: &[u32], height: usize) -> bool {
        let gone: HashSet<u32> = uids.iter().copied().collect();
        let (mut before_selected, mut before_offset) = (0, 0);
        for i in 0..self.shown_len() {
            if self.shown(i).is_some_and(|s| gone.contains(&s.uid)) {
                before_selected += usize::from(i < self.selected);
                before_offset += usize::from(i < self.offset);
            }
        }
        let keep = self
            .selected_row()
            .map(|s| s.uid)
            .filter(|uid| !gone.contains(uid));
        let len = self.rows.len();
        self.rows.retain(|s| !gone.contains(&s.uid));
        if self.rows.len() == len {
            return false;
        }
        self.replying_seen.retain(|uid, _| !gone.contains(uid));
        self.rethread();
        self.rebuild_view();
        self.selected -= before_selected;
        self.offset -= before_offset;
        // Threads may regroup when a message goes (its replies move up a level): follow the
        // selected message rather than its old position.
        if self.threaded()
            && let Some(i) = keep.and_then(|uid| self.position_of(uid))
        {
            self.selected = i;
        }
        self.recount();
        self.clamp_view(height);
        true
    }

    /// Forgets every row: what was shown is no longer valid, and so are search results
    /// (their UIDs may name other messages now). The filter is text and stays.
    fn clear(&mut self) {
        self.rows.clear();
        self.replying_seen.clear();
        self.unread = 0;
        self.counts = Counts::default();
        self.view = None;
        self.selected = 0;
        self.offset = 0;
        self.exists = None;
        self.search = None;
        self.rethread();
        self.rebuild_view();
        self.state = LoadState::Loading;
    }

    fn recount(&mut self) {
        self.unread = self.rows.iter().filter(|s| !s.flags.seen).count();
        self.counts = Counts::of(&self.rows, self.agent(), self.now);
    }

    /// Open rows without any `$assigned.*` keyword.
    pub fn unassigned(&self) -> usize {
        self.counts.unassigned
    }

    /// Open rows assigned to the agent at the keyboard.
    pub fn mine(&self) -> usize {
        self.counts.mine
    }

    /// The agent at the keyboard, when known.
    fn agent(&self) -> Option<&str> {
        self.agent.as_deref()
    }

    /// Records the `$replying.*` marks of a row that came or changed: a new mark is dated now,
    /// a known one keeps its date, a mark that is gone is forgotten.
    fn note_replying(&mut self, uid: u32, keywords: &[String]) {
        if !keywords.iter().any(|k| replying_agent(k).is_some()) {
            self.replying_seen.remove(&uid);
            return;
        }
        let old = self.replying_seen.remove(&uid).unwrap_or_default();
        let mut marks: Vec<(String, i64)> = Vec::new();
        for agent in keywords.iter().filter_map(|k| replying_agent(k)) {
            let agent = agent.to_ascii_lowercase();
            if marks.iter().any(|(a, _)| *a == agent) {
                continue;
            }
            let seen = old
                .iter()
                .find(|(a, _)| *a == agent)
                .map_or(self.now, |(_, t)| *t);
            marks.push((agent, seen));
        }
        self.replying_seen.insert(uid, marks);
    }

    /// Whether `agent`'s "replying" mark on `uid` is stale: this client has seen it for more
    /// than `REPLYING_STALE_SECS` (a mark left by a crash or a forgotten pane).
    pub fn replying_stale(&self, uid: u32, agent: &str) -> bool {
        self.replying_seen.get(&uid).is_some_and(|marks| {
            marks.iter().any(|(a, seen)| {
                a.eq_ignore_ascii_case(agent) && self.now - seen > REPLYING_STALE_SECS
            })
        })
    }

    /// Shows another team view; the selected message stays selected while it is shown.
    pub fn set_team_view(&mut self, view: View, height: usize) {
        self.team_view = view;
        self.refilter(height);
    }

    /// Moves the column's clock; when a snooze has ended, its row comes back into view.
    fn set_now(&mut self, now: i64, height: usize) {
        let woke = self.counts.next_wake.is_some_and(|w| w <= now);
        if self.now == 0 && now > 0 {
            // Marks seen before the clock was known are dated from its first tick.
            for marks in self.replying_seen.values_mut() {
                for (_, seen) in marks.iter_mut().filter(|(_, t)| *t == 0) {
                    *seen = now;
                }
            }
        }
        self.now = now;
        if woke {
            self.recount();
            self.refilter(height);
        }
    }

    fn select(&mut self, index: usize, height: usize) {
        self.selected = index;
        self.clamp_view(height);
    }

    /// Keeps the selection within the shown rows and on screen, without blank space at the
    /// bottom.
    fn clamp_view(&mut self, height: usize) {
        let len = self.shown_len();
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
    /// The attachments, numbered from 1 as `:save` takes them. Raw: sanitized when shown.
    pub attachments: Vec<AttachmentInfo>,
    /// The raw message, kept while it is open so its attachments can be saved; `None` while
    /// loading, or when the message is too large to keep.
    pub raw: Option<RawMessage>,
    /// The body wrapped to `wrap_width` (with the full attachment list at its end when it is
    /// too long for the header area), then the message's internal notes.
    pub lines: Vec<String>,
    pub wrap_width: usize,
    pub scroll: usize,
    /// The message's Message-ID, when a note can be linked to it.
    pub message_id: Option<String>,
    /// The internal notes on the message, shown after it.
    pub notes: ReaderNotes,
    /// Where the notes start in `lines` (drawn in the `reader_note` style from there on).
    pub notes_from: usize,
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
        headers.push(("Team", describe(&crate::triage::state::state(&s.keywords))));
        let message_id = s
            .message_id
            .clone()
            .filter(|id| crate::mail::note::is_linkable_id(id));
        Reader {
            account_idx,
            uid: s.uid,
            headers,
            body: Body::Loading,
            attachments: Vec::new(),
            raw: None,
            lines: Vec::new(),
            wrap_width: 0,
            scroll: 0,
            notes: if message_id.is_some() {
                ReaderNotes::Loading
            } else {
                ReaderNotes::None
            },
            message_id,
            notes_from: 0,
        }
    }

    /// The command that reads the open message's notes, when it can have any.
    fn notes_command(&self) -> Option<Command> {
        self.message_id.clone().map(|message_id| Command::Notes {
            account_idx: self.account_idx,
            uid: self.uid,
            message_id,
        })
    }

    fn rewrap(&mut self, width: usize) {
        self.wrap_width = width;
        self.lines = match &self.body {
            Body::Text(t) => wrap(t, width),
            Body::Loading | Body::Failed(_) => Vec::new(),
        };
        if self.attachments.len() > MAX_LISTED_ATTACHMENTS {
            self.lines.push(String::new());
            self.lines
                .push(format!("── {} attachments ──", self.attachments.len()));
            for a in &self.attachments {
                self.lines.extend(wrap(&attachment_label(a), width));
            }
        }
        self.notes_from = self.lines.len();
        if matches!(self.body, Body::Text(_)) {
            self.lines
                .extend(notes::lines(&self.notes, self.message_id.as_deref(), width));
        }
    }

    /// The attachment lines under the headers: each attachment, or, for a long list, the
    /// first ones and where the rest are.
    pub fn attachment_lines(&self) -> Vec<String> {
        let n = self.attachments.len();
        if n <= MAX_LISTED_ATTACHMENTS {
            return self.attachments.iter().map(attachment_label).collect();
        }
        let shown = MAX_LISTED_ATTACHMENTS - 1;
        let mut lines: Vec<String> = self
            .attachments
            .iter()
            .take(shown)
            .map(attachment_label)
            .collect();
        lines.push(format!(
            "… and {} more, listed at the end of the message",
            n - shown
        ));
        lines
    }

    /// Lines above the body's separator: headers and attachments.
    pub fn header_lines(&self) -> usize {
        self.headers.len() + self.attachments.len().min(MAX_LISTED_ATTACHMENTS)
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

/// The help overlay: the keys of the context it was opened from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Help {
    pub context: Context,
    pub scroll: usize,
}

/// A yes/no question in the status line: `y` does what it asks, any other key cancels
/// (Ctrl-c still quits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirm {
    /// Sanitized, ending in "(y/n)".
    pub question: String,
    /// What the status line says when the answer is no.
    pub declined: String,
    pub then: Confirmed,
}

/// What a `Confirm` does on `y`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirmed {
    /// Open the compose pane of `kind` for message `uid` of `account_idx`.
    Compose {
        kind: Kind,
        account_idx: usize,
        uid: u32,
    },
}

/// A flag change sent and not yet answered, so a refusal can undo what the row shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PendingStore {
    account_idx: usize,
    uid: u32,
    flag: FlagKind,
    /// The value shown before the optimistic change.
    before: bool,
}

/// The flags keys toggle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FlagKind {
    Seen,
    Flagged,
}

impl FlagKind {
    fn name(self) -> &'static str {
        match self {
            FlagKind::Seen => "\\Seen",
            FlagKind::Flagged => "\\Flagged",
        }
    }

    /// The ACL right a change needs (RFC 4314): `s` keeps \Seen, `w` writes other flags.
    fn right(self) -> char {
        match self {
            FlagKind::Seen => 's',
            FlagKind::Flagged => 'w',
        }
    }

    fn get(self, f: &Flags) -> bool {
        match self {
            FlagKind::Seen => f.seen,
            FlagKind::Flagged => f.flagged,
        }
    }

    fn set(self, f: &mut Flags, on: bool) {
        match self {
            FlagKind::Seen => f.seen = on,
            FlagKind::Flagged => f.flagged = on,
        }
    }

    fn only(self) -> Flags {
        let mut f = Flags::default();
        self.set(&mut f, true);
        f
    }
}

/// Where `:save` puts attachments when no folder is given, and what `~` means in a folder
/// typed after it. Read from the environment once, at start (so `update` stays pure).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SaveDirs {
    /// `$XDG_DOWNLOAD_DIR` (the user's Downloads folder), when there is one.
    pub download: Option<PathBuf>,
    pub home: Option<PathBuf>,
}

impl SaveDirs {
    /// The user's folders, as `directories` finds them.
    pub fn from_env() -> SaveDirs {
        let user = directories::UserDirs::new();
        SaveDirs {
            download: user
                .as_ref()
                .and_then(|u| u.download_dir().map(Path::to_path_buf)),
            home: user.as_ref().map(|u| u.home_dir().to_path_buf()),
        }
    }

    /// The default folder: Downloads, else the home folder.
    pub fn default_dir(&self) -> Option<&Path> {
        self.download.as_deref().or(self.home.as_deref())
    }

    /// A folder as typed: `~` and `~/…` are the home folder; anything else as it is.
    pub fn resolve(&self, typed: &str) -> Result<PathBuf, String> {
        let home = || {
            self.home
                .clone()
                .ok_or_else(|| "no home folder is known for ~".to_string())
        };
        if typed == "~" {
            return home();
        }
        if let Some(rest) = typed.strip_prefix("~/") {
            return Ok(home()?.join(rest));
        }
        Ok(PathBuf::from(typed))
    }
}

/// Everything on screen, and nothing else.
#[derive(Debug, Clone)]
pub struct App {
    pub columns: Vec<Column>,
    pub focus: usize,
    pub reader: Option<Reader>,
    /// Where the reader goes; kept for the session.
    pub reader_mode: ReaderMode,
    /// The last error, sanitized, for the status line.
    pub error: Option<String>,
    /// The last warning or note (a discarded cache, a reset mailbox, a reserved key),
    /// sanitized, for the status line.
    pub notice: Option<String>,
    pub theme: Theme,
    pub no_color: bool,
    /// The live key bindings (defaults plus `[keys]`).
    pub keymap: Keymap,
    /// The agent at the keyboard, for the "mine" count.
    pub agent_id: Option<String>,
    pub help: Option<Help>,
    /// The stats screen (`S`), over the columns.
    pub stats: Option<StatsScreen>,
    /// The open `:` or `/` line.
    pub prompt: Option<Prompt>,
    pub command_history: History,
    pub filter_history: History,
    /// Terminal size in cells (width, height).
    pub size: (u16, u16),
    /// Unix seconds, for row ages; set by `Event::Tick`.
    pub now: i64,
    /// Set when the screen needs redrawing; the run loop clears it after drawing.
    pub dirty: bool,
    /// Whether the columns group rows by thread (`t`, `:threads`).
    pub threaded: bool,
    /// The outbox as last reported by its thread.
    pub outbox: OutboxStatus,
    /// Where attachments are saved.
    pub save_dirs: SaveDirs,
    /// The configuration, for the compose pane's policy (identities, signatures).
    pub config: Option<std::sync::Arc<Config>>,
    /// The open compose pane (over the columns and the reader).
    pub compose: Option<Compose>,
    /// Saved drafts, newest first (restored at start, kept up to date while composing).
    pub drafts: Vec<drafts::Draft>,
    /// The open yes/no question, which takes the next key.
    pub confirm: Option<Confirm>,
    /// The message (account, UID) this client marked `$replying.<agent>` for the open compose
    /// pane; cleared when the pane is sent or closed.
    pub replying_mark: Option<(usize, u32)>,
    /// Names the next store or search, so answers can be matched to requests.
    next_id: u64,
    pending_stores: HashMap<u64, PendingStore>,
    /// Triage actions sent to workers, by id: (account, UID, what was asked).
    pending_triage: HashMap<u64, (usize, u32, TriageAction)>,
    /// The open internal note pane (`n`).
    pub note: Option<NoteEditor>,
    /// Notes sent to workers, by id, so a failed one can be given back.
    pending_notes: HashMap<u64, PendingNote>,
    /// Ended snoozes being cleared, by store id, so each is asked for once.
    waking: HashMap<u64, (usize, u32, Vec<String>)>,
    /// Ended snoozes the server refused to clear: not asked again this session.
    wake_refused: HashSet<(usize, u32)>,
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
            reader_mode: ReaderMode::default(),
            error: None,
            notice: None,
            theme,
            no_color,
            keymap: Keymap::default(),
            agent_id: None,
            help: None,
            stats: None,
            prompt: None,
            command_history: History::default(),
            filter_history: History::default(),
            size: (80, 24),
            now: 0,
            dirty: true,
            threaded: false,
            outbox: OutboxStatus::default(),
            save_dirs: SaveDirs::default(),
            config: None,
            compose: None,
            drafts: Vec::new(),
            confirm: None,
            replying_mark: None,
            next_id: 1,
            pending_stores: HashMap::new(),
            pending_triage: HashMap::new(),
            note: None,
            pending_notes: HashMap::new(),
            waking: HashMap::new(),
            wake_refused: HashSet::new(),
        }
    }

    /// Uses `keymap` instead of the default bindings.
    pub fn with_keymap(mut self, keymap: Keymap) -> App {
        self.keymap = keymap;
        self
    }

    /// Saves attachments into `dirs`'s folders.
    pub fn with_save_dirs(mut self, dirs: SaveDirs) -> App {
        self.save_dirs = dirs;
        self
    }

    /// Uses `config` for composing (identities, signatures).
    pub fn with_config(mut self, config: std::sync::Arc<Config>) -> App {
        // Validation has checked the name; an unknown one keeps the default.
        let view = View::parse(&config.ui.view).unwrap_or_default();
        let h = self.list_height();
        for c in &mut self.columns {
            c.set_team_view(view, h);
        }
        self.config = Some(config);
        self
    }

    /// The drafts found at start (newest first); the status line says how many.
    pub fn with_drafts(mut self, list: Vec<drafts::Draft>, damaged: usize) -> App {
        let n = list.len();
        self.drafts = list;
        let mut note = match n {
            0 => String::new(),
            1 => "1 draft restored (:drafts lists it, :drafts 1 reopens it)".to_string(),
            n => format!("{n} drafts restored (:drafts lists them, :drafts N reopens one)"),
        };
        if damaged > 0 {
            if !note.is_empty() {
                note.push_str("; ");
            }
            note.push_str(&format!("{damaged} damaged draft file(s) skipped"));
        }
        if !note.is_empty() {
            self.notice = Some(note);
        }
        self
    }

    /// Counts messages assigned to `agent_id` as "mine".
    pub fn with_agent(mut self, agent_id: &str) -> App {
        let agent = agent_id.to_ascii_lowercase();
        for c in &mut self.columns {
            c.agent = Some(agent.clone());
            c.recount();
        }
        self.agent_id = Some(agent_id.to_string());
        self
    }

    fn area(&self) -> Rect {
        Rect::new(0, 0, self.size.0, self.size.1)
    }

    fn reader_view(&self) -> Option<ReaderMode> {
        self.reader.as_ref().map(|_| self.reader_mode)
    }

    /// Message rows visible in a column at the current size (and reader placement).
    pub fn list_height(&self) -> usize {
        let plan = layout::plan_with(
            self.area(),
            self.columns.len(),
            self.focus,
            self.reader_view(),
        );
        plan.columns
            .first()
            .map_or(0, |(_, r)| usize::from(layout::column_parts(*r).1.height))
    }

    /// The reader body's (width, height) at the current size.
    pub fn reader_body_size(&self) -> (usize, usize) {
        let plan = layout::plan_with(
            self.area(),
            self.columns.len(),
            self.focus,
            Some(self.reader_mode),
        );
        let n = self.reader.as_ref().map_or(0, Reader::header_lines);
        plan.reader.map_or((0, 0), |a| {
            let (_, _, body) = layout::reader_parts(a, n);
            (usize::from(body.width), usize::from(body.height))
        })
    }

    /// The compose body's (width, height) at the current size: what the pane shows under its
    /// header lines.
    pub fn compose_body_size(&self) -> (usize, usize) {
        let inner = layout::inside_border(layout::compose_area(self.area()));
        let head = self.compose.as_ref().map_or(0, Compose::head_lines);
        (
            usize::from(inner.width),
            usize::from(inner.height).saturating_sub(head),
        )
    }

    /// The note pane's text area (width, height) at the current size.
    pub fn note_body_size(&self) -> (usize, usize) {
        layout::note_area(self.area()).map_or((0, 0), |a| {
            let inner = layout::inside_border(a);
            (usize::from(inner.width), usize::from(inner.height))
        })
    }

    /// Scrolls the compose and note editors so their cursor rows stay on screen (after an
    /// edit, a move or a resize, which rewraps).
    fn fit_editors(&mut self) {
        let (w, h) = self.compose_body_size();
        if let Some(c) = &mut self.compose {
            c.body.fit(w, h);
        }
        let (w, h) = self.note_body_size();
        if let Some(n) = &mut self.note {
            n.body.fit(w, h);
        }
    }

    /// Lines of the help overlay's body at the current size.
    pub fn help_height(&self) -> usize {
        usize::from(layout::help_area(self.area()).height.saturating_sub(2))
    }

    /// Where keys go now (below any help overlay or open line).
    pub fn context(&self) -> Context {
        // The note pane edits text as the compose pane does, with its keys.
        if self.compose.is_some() || self.note.is_some() {
            Context::Compose
        } else if self.reader.is_some() {
            Context::Reader
        } else {
            Context::List
        }
    }

    fn column_mut(&mut self, account_idx: usize) -> Option<&mut Column> {
        self.columns
            .iter_mut()
            .find(|c| c.account_idx == account_idx)
    }

    fn column_name(&self, account_idx: usize) -> &str {
        self.columns
            .iter()
            .find(|c| c.account_idx == account_idx)
            .map_or("", |c| c.name.as_str())
    }

    fn set_error(&mut self, message: String) {
        self.error = Some(message);
    }

    /// A warning about an account, prefixed with its name.
    fn set_notice(&mut self, account_idx: usize, message: &str) {
        let name = self.column_name(account_idx);
        let message = sanitize::single_line(message.trim());
        self.notice = Some(if name.is_empty() {
            message
        } else {
            format!("{name}: {message}")
        });
    }

    /// A note for the status line that replaces an older error: it answers the last key.
    fn say(&mut self, message: impl Into<String>) {
        self.error = None;
        self.notice = Some(message.into());
    }

    fn fail(&mut self, message: impl Into<String>) {
        self.notice = None;
        self.error = Some(message.into());
    }

    /// Whether the screen shows a countdown, so the clock should tick every second.
    pub fn needs_clock(&self) -> bool {
        // While composing, the clock drives the draft's autosave.
        self.compose.is_some()
            || self.columns.iter().any(|c| {
                matches!(c.link, Some(Link::Offline { retry_at, .. }) if retry_at > self.now)
                    // A snooze ending within the minute wakes on time, not up to a tick late.
                    || c.counts.next_wake.is_some_and(|w| w <= self.now + 60)
            })
    }

    /// Re-fits scroll positions and wrapping after a resize or a layout change.
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
        let page = self.help_height();
        if let Some(help) = &mut self.help {
            let max = help_lines_len(&self.keymap, help.context).saturating_sub(page);
            help.scroll = help.scroll.min(max);
        }
    }

    fn take_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }
}

/// How many lines the help overlay of `ctx` has (see `help_lines`).
fn help_lines_len(keymap: &Keymap, ctx: Context) -> usize {
    help_lines(keymap, ctx).len()
}

/// The help overlay's lines: (keys, description); a line with empty keys is a heading.
pub fn help_lines(keymap: &Keymap, ctx: Context) -> Vec<(String, String)> {
    let mut lines = vec![(String::new(), format!("keys: {}", ctx.name()))];
    lines.extend(
        keymap
            .help(ctx)
            .into_iter()
            .map(|(keys, desc, _)| (keys, desc.to_string())),
    );
    if ctx == Context::Compose {
        // The editor's own keys, fixed (not in the keymap).
        lines.push((String::new(), String::new()));
        lines.push((
            String::new(),
            "the body (lines wrap at the pane's width)".to_string(),
        ));
        for (keys, desc) in [
            (
                "Up, Down",
                "previous, next screen row (of a wrapped line too)",
            ),
            ("Left, Right", "previous, next character"),
            (
                "Home, End",
                "start, end of the whole line (not the screen row)",
            ),
            ("Enter", "new line (the only line breaks sent)"),
        ] {
            lines.push((keys.to_string(), desc.to_string()));
        }
    }
    if matches!(ctx, Context::List | Context::Reader) {
        lines.push((String::new(), String::new()));
        lines.push((String::new(), "commands (after :)".to_string()));
        lines.extend(
            prompt::COMMANDS
                .iter()
                .map(|c| (c.usage.to_string(), c.desc.to_string())),
        );
        lines.push((String::new(), String::new()));
        lines.push((String::new(), "keys: command line (: and /)".to_string()));
        lines.extend(
            keymap
                .help(Context::Command)
                .into_iter()
                .map(|(keys, desc, _)| (keys, desc.to_string())),
        );
    }
    lines
}

/// The names `:theme` completes to and accepts.
fn builtin_themes() -> Vec<String> {
    BUILTIN.iter().map(|(n, _)| (*n).to_string()).collect()
}

/// Applies one event; returns what must be done outside.
pub fn update(app: &mut App, event: Event) -> Vec<Command> {
    let commands = apply(app, event);
    if app.compose.is_some() || app.note.is_some() {
        app.fit_editors();
    }
    commands
}

fn apply(app: &mut App, event: Event) -> Vec<Command> {
    match event {
        Event::Key(k) => return on_key(app, &k),
        // With bracketed paste, a paste is one inert event instead of a burst of keystrokes
        // that would each run a command; only an open line takes it, as text.
        Event::Paste(text) => {
            if app.help.is_none() && app.prompt.is_none() && app.compose.is_some() {
                compose_paste(app, &text);
            } else if app.help.is_none()
                && app.prompt.is_none()
                && let Some(n) = &mut app.note
            {
                if n.saving.is_none() && n.ask.is_none() {
                    n.body.insert(&text);
                }
                app.dirty = true;
            } else if let Some(p) = &mut app.prompt {
                p.insert(&text);
                if p.kind == PromptKind::Filter {
                    live_filter(app);
                }
                app.dirty = true;
            }
        }
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
            let mut commands = wake_snoozes(app, now);
            commands.extend(autosave(app, false));
            return commands;
        }
        Event::TriageDone {
            account_idx,
            id,
            uid,
            result,
        } => triage_done(app, account_idx, id, uid, result),
        Event::NoteAdded {
            account_idx,
            id,
            uid,
            result,
        } => return note_added(app, account_idx, id, uid, result),
        Event::Notes {
            account_idx,
            message_id,
            notes,
        } => notes_arrived(app, account_idx, &message_id, notes),
        Event::SendDone { draft_id, result } => return send_done(app, &draft_id, result),
        Event::Stats { id, result } => {
            if let Some(s) = app.stats.as_mut().filter(|s| s.id == id) {
                s.state = match result {
                    Ok(report) => StatsState::Ready(report),
                    Err(e) => StatsState::Failed(sanitize::single_line(e.trim())),
                };
                app.dirty = true;
            }
        }
        Event::Edited(result) => {
            app.dirty = true;
            match result {
                Ok(text) => {
                    if let Some(c) = &mut app.compose {
                        c.body.set_text(text.trim_end_matches('\n'));
                        c.field = Field::Body;
                        c.unsaved = true;
                        app.say("body reloaded from the editor");
                    } else if let Some(n) = &mut app.note {
                        n.body.set_text(text.trim_end_matches('\n'));
                        app.say("note reloaded from the editor");
                    }
                }
                Err(e) => app.fail(format!("editor: {}", sanitize::single_line(e.trim()))),
            }
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
                refresh_reader_team(app, account_idx);
                app.dirty = true;
                return wake_if_overdue(app, account_idx);
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
                return wake_if_overdue(app, account_idx);
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
            let h = app.list_height();
            if let Some(c) = app.column_mut(account_idx)
                && c.apply_flags(updates, h)
            {
                refresh_reader_team(app, account_idx);
                app.dirty = true;
                return wake_if_overdue(app, account_idx);
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
            // Every UID of the account may now name another message: a reply being written
            // must not mark one \Answered, nor clear a "replying" mark on it, when it is sent.
            if let Some(c) = app
                .compose
                .as_mut()
                .filter(|c| c.account_idx == account_idx)
            {
                c.reply_uid = None;
            }
            if app.replying_mark.is_some_and(|(a, _)| a == account_idx) {
                app.replying_mark = None;
            }
            app.wake_refused.retain(|(a, _)| *a != account_idx);
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
                    app.fit_views();
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
            if let Some(c) = &mut app.compose
                && c.account_idx == account_idx
                && c.awaiting == Some(uid)
            {
                c.awaiting = None;
                match &body {
                    Ok(o) => {
                        let (text, _) = truncate(o.text.clone(), MAX_BODY_BYTES);
                        set_quote(c, &sanitize::multi_line(&text));
                    }
                    Err(e) => {
                        let e = sanitize::single_line(e.trim());
                        app.fail(format!("the original could not be read for the quote: {e}"));
                    }
                }
                app.dirty = true;
            }
            let (w, _) = app.reader_body_size();
            // A body for a message that is no longer open is stale: drop it.
            if let Some(r) = &mut app.reader
                && r.account_idx == account_idx
                && r.uid == uid
            {
                r.body = match body {
                    Ok(Opened {
                        text,
                        attachments,
                        raw,
                    }) => {
                        let (text, cut) = truncate(text, MAX_BODY_BYTES);
                        let mut text = sanitize::multi_line(&text);
                        if cut {
                            text.push_str("\n[… cut: the message is longer than 1 MiB]");
                        }
                        r.attachments = attachments;
                        // A read receipt request is only noted: mailroom never sends MDNs.
                        if raw.as_ref().is_some_and(|m| mdn::asks_for_receipt(&m.0))
                            && !r.headers.iter().any(|(l, _)| *l == mdn::RECEIPT_LABEL)
                        {
                            r.headers
                                .push((mdn::RECEIPT_LABEL, mdn::RECEIPT_NOTE.to_string()));
                        }
                        r.raw = raw;
                        Body::Text(text)
                    }
                    Err(e) => Body::Failed(sanitize::single_line(e.trim())),
                };

                r.rewrap(w);
                r.scroll = 0;
                app.dirty = true;
            }
        }
        Event::Access {
            account_idx,
            rights,
            team_state,
        } => {
            let folders = team_state == TeamStateAt::Folders;
            if let Some(c) = app.column_mut(account_idx)
                && (c.team_folders != folders || c.rights != Some(rights))
            {
                c.team_folders = folders;
                c.rights = Some(rights);
                app.dirty = true;
            }
        }
        Event::StoreDone {
            account_idx,
            id,
            uid,
            result,
        } => return store_done(app, account_idx, id, uid, result),
        Event::Saved { results } => saved(app, &results),
        Event::Outbox(mut status) => {
            status.last_error = status.last_error.map(|e| sanitize::single_line(e.trim()));
            if status.delivered > 0 && app.error.is_none() {
                app.notice = Some(match status.delivered {
                    1 => "outbox: 1 message delivered".to_string(),
                    n => format!("outbox: {n} messages delivered"),
                });
                app.dirty = true;
            }
            if app.outbox != status {
                app.outbox = status;
                app.dirty = true;
            }
        }
        Event::SearchDone {
            account_idx,
            id,
            result,
        } => {
            let h = app.list_height();
            let Some(c) = app.column_mut(account_idx) else {
                return Vec::new();
            };
            // An answer to an older or cleared search is stale.
            let Some(search) = c.search.as_mut().filter(|s| s.id == id) else {
                return Vec::new();
            };
            let failed = match result {
                Ok(uids) => {
                    search.state = SearchState::Done(uids.into_iter().collect());
                    None
                }
                Err(e) => {
                    let e = sanitize::single_line(e.trim());
                    search.state = SearchState::Failed(e.clone());
                    Some(format!("{}: search failed: {e}", c.name))
                }
            };
            c.refilter(h);
            if let Some(message) = failed {
                app.fail(message);
            }
            app.dirty = true;
        }
    }
    Vec::new()
}

/// The answer to a flag change: a refusal undoes the optimistic row (unless a newer change
/// of the same flag is on its way) and says why; IMAP then syncs, so the row shows the truth.
fn store_done(
    app: &mut App,
    account_idx: usize,
    id: u64,
    uid: u32,
    result: Result<(), String>,
) -> Vec<Command> {
    let pending = app.pending_stores.remove(&id);
    let woken = app.waking.remove(&id);
    let Err(e) = result else {
        return Vec::new();
    };
    // A refused wake: the row shows the snooze again (it is still on the server), and it
    // is not asked again this session.
    if let Some((a, u, keywords)) = woken {
        app.wake_refused.insert((a, u));
        if let Some(c) = app.column_mut(a) {
            if let Some(row) = c.rows.iter_mut().find(|s| s.uid == u) {
                for k in keywords {
                    if !row.keywords.contains(&k) {
                        row.keywords.push(k);
                    }
                }
            }
            c.recount();
        }
    }
    app.dirty = true;
    let what = pending.map_or("the change", |p| p.flag.name());
    let message = format!(
        "{}: {what} not changed on UID {uid}: {}",
        app.column_name(account_idx),
        sanitize::single_line(e.trim())
    );
    app.fail(message);
    if let Some(p) = pending
        && !app
            .pending_stores
            .values()
            .any(|q| q.account_idx == p.account_idx && q.uid == p.uid && q.flag == p.flag)
        && let Some(c) = app.column_mut(account_idx)
    {
        if let Some(row) = c.rows.iter_mut().find(|s| s.uid == uid) {
            p.flag.set(&mut row.flags, p.before);
        }
        c.recount();
    }
    match app.columns.iter().find(|c| c.account_idx == account_idx) {
        Some(c) if c.imap => vec![Command::Refresh { account_idx }],
        _ => Vec::new(),
    }
}

/// Keys that work in the help overlay whatever the configuration says, so it can always be
/// read and closed.
fn help_fallback() -> &'static Keymap {
    static DEFAULTS: OnceLock<Keymap> = OnceLock::new();
    DEFAULTS.get_or_init(Keymap::default)
}

fn on_key(app: &mut App, k: &KeyEvent) -> Vec<Command> {
    if k.kind == KeyEventKind::Release {
        return Vec::new();
    }
    if app.confirm.is_some() {
        return confirm_key(app, k);
    }
    if app.help.is_some() {
        return help_key(app, k);
    }
    if app.stats.is_some() {
        return stats_key(app, k);
    }
    if app.prompt.is_some() {
        return prompt_key(app, k);
    }
    if app.compose.is_some() {
        return compose_key(app, k);
    }
    if app.note.is_some() {
        return note_key(app, k);
    }
    let ctx = app.context();
    let Some(action) = app.keymap.lookup(ctx, k) else {
        return Vec::new();
    };
    app.dirty = true;
    if let Some(message) = action.reserved() {
        app.say(message);
        return Vec::new();
    }
    match action {
        Action::ForceQuit => vec![Command::Quit],
        Action::Help => {
            app.help = Some(Help {
                context: ctx,
                scroll: 0,
            });
            Vec::new()
        }
        Action::CommandLine => {
            app.prompt = Some(Prompt::new(PromptKind::Command, ""));
            Vec::new()
        }
        Action::ReaderLayout => {
            set_reader_mode(app, None);
            Vec::new()
        }
        Action::ToggleRead => toggle(app, FlagKind::Seen),
        Action::ToggleFlag => toggle(app, FlagKind::Flagged),
        Action::Threads => {
            set_threads(app, None);
            Vec::new()
        }
        Action::Save => {
            save_prompt(app);
            Vec::new()
        }
        Action::Compose => open_compose(app, Kind::New),
        Action::Reply => open_compose(app, Kind::Reply),
        Action::ReplyAll => open_compose(app, Kind::ReplyAll),
        Action::Forward => open_compose(app, Kind::Forward),
        Action::Claim => triage(app, TriageAction::Claim),
        Action::Pending => triage(app, TriageAction::Pending),
        Action::Done => triage(app, TriageAction::Done),
        Action::Reopen => triage(app, TriageAction::Reopen),
        Action::Assign => {
            triage_prompt(app, "assign ", "AGENT  (Tab completes from the team)");
            Vec::new()
        }
        Action::Snooze => {
            triage_prompt(
                app,
                "snooze ",
                "WHEN  30m | 4h | 2d | tomorrow | mon | 2026-12-01 09:00 (UTC)",
            );
            Vec::new()
        }
        Action::NextView => {
            set_view(app, None);
            Vec::new()
        }
        Action::Stats => open_stats(app, StatsWindow::default()),
        Action::Note => {
            open_note(app);
            Vec::new()
        }
        _ if ctx == Context::Reader => {
            reader_action(app, action);
            Vec::new()
        }
        _ => list_action(app, action),
    }
}

fn help_key(app: &mut App, k: &KeyEvent) -> Vec<Command> {
    let Some(help) = &app.help else {
        return Vec::new();
    };
    let ctx = help.context;
    let action = app
        .keymap
        .lookup(ctx, k)
        .filter(|a| {
            matches!(
                a,
                Action::Down
                    | Action::Up
                    | Action::PageDown
                    | Action::PageUp
                    | Action::HalfPageDown
                    | Action::HalfPageUp
                    | Action::Top
                    | Action::Bottom
                    | Action::Help
                    | Action::Quit
                    | Action::Close
                    | Action::Clear
                    | Action::ForceQuit
            )
        })
        // The reader's defaults scroll and close (?, q, Esc) whatever is bound.
        .or_else(|| help_fallback().lookup(Context::Reader, k));
    let Some(action) = action else {
        return Vec::new();
    };
    if action == Action::ForceQuit {
        return quit(app);
    }
    let page = app.help_height().max(1);
    let max = help_lines_len(&app.keymap, ctx).saturating_sub(page);
    let Some(help) = &mut app.help else {
        return Vec::new();
    };
    let s = help.scroll;
    help.scroll = match action {
        Action::Help | Action::Quit | Action::Close | Action::Clear => {
            app.help = None;
            app.dirty = true;
            return Vec::new();
        }
        Action::Down => s + 1,
        Action::Up => s.saturating_sub(1),
        Action::PageDown => s + page,
        Action::PageUp => s.saturating_sub(page),
        Action::HalfPageDown => s + page.div_ceil(2),
        Action::HalfPageUp => s.saturating_sub(page.div_ceil(2)),
        Action::Top => 0,
        Action::Bottom => max,
        _ => return Vec::new(),
    }
    .min(max);
    app.dirty = true;
    Vec::new()
}

/// What completion offers: the columns' accounts and the built-in themes.
fn sources(app: &App) -> Sources {
    Sources {
        accounts: app.columns.iter().map(|c| c.name.clone()).collect(),
        themes: builtin_themes(),
        attachments: app.reader.as_ref().map_or(0, |r| r.attachments.len()),
        agents: known_agents(app),
    }
}

fn prompt_key(app: &mut App, k: &KeyEvent) -> Vec<Command> {
    let action = app.keymap.lookup(Context::Command, k);
    let Some(mut p) = app.prompt.take() else {
        return Vec::new();
    };
    let history = match p.kind {
        PromptKind::Command => &app.command_history,
        PromptKind::Filter => &app.filter_history,
    };
    let text_before = p.text.clone();
    match action {
        Some(Action::ForceQuit) => return vec![Command::Quit],
        Some(Action::Execute) => {
            app.dirty = true;
            return finish_prompt(app, p);
        }
        Some(Action::Cancel) => {
            app.dirty = true;
            cancel_prompt(app, p);
            return Vec::new();
        }
        Some(Action::Complete) if p.kind == PromptKind::Command => {
            p.complete(&sources(app), false);
        }
        Some(Action::CompletePrev) if p.kind == PromptKind::Command => {
            p.complete(&sources(app), true);
        }
        Some(Action::HistoryPrev) => p.history_prev(history),
        Some(Action::HistoryNext) => p.history_next(history),
        Some(Action::CursorLeft) => p.left(),
        Some(Action::CursorRight) => p.right(),
        Some(Action::LineStart) => p.home(),
        Some(Action::LineEnd) => p.end(),
        Some(Action::DeleteBack) => p.delete_back(),
        Some(Action::DeleteForward) => p.delete_forward(),
        Some(Action::DeleteWord) => p.delete_word(),
        Some(Action::DeleteToStart) => p.delete_to_start(),
        Some(_) => {}
        None => {
            // Typed text: a character without Ctrl or Alt (Shift makes capitals). Alt-x is
            // what a slow link makes of Esc then x: dropped rather than typed.
            let plain = (k.modifiers - KeyModifiers::SHIFT).is_empty();
            match k.code {
                KeyCode::Char(c) if plain => p.insert(c.encode_utf8(&mut [0; 4])),
                _ => {
                    app.prompt = Some(p);
                    return Vec::new();
                }
            }
        }
    }
    let changed = p.text != text_before;
    let kind = p.kind;
    app.prompt = Some(p);
    if changed && kind == PromptKind::Filter {
        live_filter(app);
    }
    app.dirty = true;
    Vec::new()
}

/// The `/` line's text is the focused column's filter, as it is typed.
fn live_filter(app: &mut App) {
    let text = app
        .prompt
        .as_ref()
        .filter(|p| p.kind == PromptKind::Filter)
        .map(|p| p.text.clone());
    if let Some(text) = text {
        set_filter(app, &text);
    }
}

fn set_filter(app: &mut App, text: &str) {
    let h = app.list_height();
    if let Some(c) = app.columns.get_mut(app.focus) {
        c.filter = (!text.trim().is_empty()).then(|| text.to_string());
        c.refilter(h);
    }
}

/// Enter: runs the command, or keeps the filter.
fn finish_prompt(app: &mut App, p: Prompt) -> Vec<Command> {
    match p.kind {
        PromptKind::Command => {
            app.command_history.push(&p.text);
            run_command(app, &p.text)
        }
        PromptKind::Filter => {
            app.filter_history.push(&p.text);
            Vec::new()
        }
    }
}

/// Esc: closes the line. What was typed stays as the newest history entry, so a lone Esc
/// (or one that a slow link split from an arrow key) never loses it; Up brings it back. In the
/// filter line, Esc also clears the filter.
fn cancel_prompt(app: &mut App, p: Prompt) {
    // A line a key opened with a command in it (`A`: `assign `) and left as it was holds
    // nothing typed: nothing to keep.
    if p.kind == PromptKind::Command && p.untouched() && !p.text.is_empty() {
        return;
    }
    match p.kind {
        PromptKind::Command => app.command_history.push(&p.text),
        PromptKind::Filter => {
            app.filter_history.push(&p.text);
            set_filter(app, "");
        }
    }
    if !p.text.trim().is_empty() {
        app.say(format!(
            "{}{} kept in the history: {} then Up brings it back",
            p.kind.prefix(),
            p.text.trim(),
            p.kind.prefix()
        ));
    }
}

fn run_command(app: &mut App, line: &str) -> Vec<Command> {
    let cmd = match prompt::parse(line) {
        Ok(Some(cmd)) => cmd,
        Ok(None) => return Vec::new(),
        Err(message) => {
            app.fail(message);
            return Vec::new();
        }
    };
    let find = |app: &App, name: &str| {
        app.columns.iter().position(|c| c.name == name).or_else(|| {
            app.columns
                .iter()
                .position(|c| c.name.eq_ignore_ascii_case(name))
        })
    };
    let no_account = |name: &str| {
        format!(
            "no column {:?} (Tab completes account names)",
            sanitize::single_line(name)
        )
    };
    match cmd {
        Cmd::Quit => return vec![Command::Quit],
        Cmd::Search(query) => return search(app, &query),
        Cmd::Filter(text) => set_filter(app, &text),
        Cmd::NoFilter => {
            clear_narrowing(app);
        }
        Cmd::Refresh(None) => {
            app.say("refreshing every account");
            return app
                .columns
                .iter()
                .map(|c| Command::Refresh {
                    account_idx: c.account_idx,
                })
                .collect();
        }
        Cmd::Refresh(Some(name)) => match find(app, &name) {
            Some(i) => {
                let c = &app.columns[i];
                let command = Command::Refresh {
                    account_idx: c.account_idx,
                };
                let message = format!("refreshing {}", c.name);
                app.say(message);
                return vec![command];
            }
            None => app.fail(no_account(&name)),
        },
        Cmd::Focus(name) => match find(app, &name) {
            Some(i) => {
                app.focus = i;
                app.fit_views();
            }
            None => app.fail(no_account(&name)),
        },
        Cmd::Reader(mode) => set_reader_mode(app, mode),
        Cmd::Threads(on) => set_threads(app, on),
        Cmd::Save { which, dir } => return save(app, which, dir.as_deref()),
        Cmd::Theme(name) => match BUILTIN.iter().find(|(n, _)| *n == name) {
            Some((n, text)) => match Theme::parse(text, n) {
                Ok(theme) => {
                    app.theme = theme;
                    app.say(format!("theme {n} for this session (ui.theme keeps one)"));
                }
                Err(e) => app.fail(sanitize::single_line(&e.to_string())),
            },
            None => app.fail(format!(
                "no built-in theme {:?} (built-in: {}; a theme file is set with ui.theme)",
                sanitize::single_line(&name),
                builtin_themes().join(", ")
            )),
        },
        Cmd::Drafts(None) => list_drafts(app),
        Cmd::Drafts(Some(n)) => return reopen_draft(app, n),
        Cmd::Claim => return triage(app, TriageAction::Claim),
        Cmd::Assign(agent) => {
            let agent = agent.trim().to_ascii_lowercase();
            if !crate::config::is_valid_agent_id(&agent) {
                app.fail(format!(
                    "{:?} is not an agent id (a-z, 0-9, '.', '_', '-')",
                    sanitize::single_line(&agent)
                ));
                return Vec::new();
            }
            return triage(app, TriageAction::Assign(agent));
        }
        Cmd::Unassign => return triage(app, TriageAction::Unassign),
        Cmd::Pending => return triage(app, TriageAction::Pending),
        Cmd::Done => return triage(app, TriageAction::Done),
        Cmd::Reopen => return triage(app, TriageAction::Reopen),
        Cmd::Snooze(when) => match crate::triage::when::parse(&when, app.now) {
            Some(until) => return triage(app, TriageAction::Snooze(until)),
            None => app.fail(format!(
                "snooze: {:?} is not a time to come (30m, 4h, 2d, tomorrow, mon, YYYY-MM-DD [HH:MM], UTC)",
                sanitize::single_line(when.trim())
            )),
        },
        Cmd::View(view) => set_view(app, view),
        Cmd::Help => {
            app.help = Some(Help {
                context: app.context(),
                scroll: 0,
            });
        }
    }
    Vec::new()
}

/// Which attachments `:save` saves.
fn save(app: &mut App, which: Option<usize>, dir: Option<&str>) -> Vec<Command> {
    let Some(r) = &app.reader else {
        app.fail("open a message to save its attachments");
        return Vec::new();
    };
    let n = r.attachments.len();
    let problem = match (&r.body, &r.raw) {
        (Body::Loading, _) => Some("the message is still loading".to_string()),
        (Body::Failed(_), _) => Some("the message could not be read".to_string()),
        _ if n == 0 => Some("this message has no attachments".to_string()),
        (_, None) => Some(format!(
            "the message is larger than {} MiB: save its attachments from `mailroom show ACCOUNT UID --raw`",
            crate::engine::event::MAX_RAW_BYTES >> 20
        )),
        _ => match which {
            Some(k) if k == 0 || k > n => Some(format!(
                "no attachment {k}: this message has {}",
                if n == 1 {
                    "one, number 1".to_string()
                } else {
                    format!("{n}, numbered 1 to {n}")
                }
            )),
            _ => None,
        },
    };
    if let Some(message) = problem {
        app.fail(message);
        return Vec::new();
    }
    let dir = match dir {
        Some(d) => app.save_dirs.resolve(d),
        None => app
            .save_dirs
            .default_dir()
            .map(Path::to_path_buf)
            .ok_or_else(|| {
                "no Downloads or home folder is known: give one, as in :save all DIR".to_string()
            }),
    };
    let dir = match dir {
        Ok(d) => d,
        Err(e) => {
            app.fail(e);
            return Vec::new();
        }
    };
    let Some(raw) = app.reader.as_ref().and_then(|r| r.raw.clone()) else {
        return Vec::new();
    };
    let indices: Vec<usize> = match which {
        Some(k) => vec![k - 1],
        None => (0..n).collect(),
    };
    app.say(format!(
        "saving {} to {}…",
        match indices.len() {
            1 => "the attachment".to_string(),
            k => format!("{k} attachments"),
        },
        sanitize::single_line(&dir.display().to_string())
    ));
    vec![Command::Save { raw, indices, dir }]
}

/// The answer to `:save`: the paths written (sanitized), or why not.
fn saved(app: &mut App, results: &[(usize, Result<PathBuf, String>)]) {
    app.dirty = true;
    let shown = |p: &Path| sanitize::single_line(&p.display().to_string());
    let ok: Vec<&PathBuf> = results
        .iter()
        .filter_map(|(_, r)| r.as_ref().ok())
        .collect();
    let failed: Vec<(usize, &String)> = results
        .iter()
        .filter_map(|(i, r)| r.as_ref().err().map(|e| (*i, e)))
        .collect();
    let paths = match ok.as_slice() {
        [] => String::new(),
        [one] => shown(one),
        many => {
            // Saved side by side: the folder once, then the names.
            let dir = many[0].parent().map(shown).unwrap_or_default();
            let names: Vec<String> = many
                .iter()
                .map(|p| {
                    p.file_name()
                        .map(|n| sanitize::single_line(&n.to_string_lossy()))
                        .unwrap_or_default()
                })
                .collect();
            format!("{dir}/: {}", names.join(", "))
        }
    };
    match failed.first() {
        None if ok.is_empty() => app.say("nothing saved"),
        None => app.say(match ok.len() {
            1 => format!("saved {paths}"),
            n => format!("saved {n} attachments in {paths}"),
        }),
        Some((i, e)) => {
            let why = format!(
                "attachment {} not saved: {}",
                i.saturating_add(1),
                sanitize::single_line(e.trim())
            );
            app.fail(if ok.is_empty() {
                why
            } else {
                format!("{why} (saved {} of {}: {paths})", ok.len(), results.len())
            });
        }
    }
}

/// Groups rows by thread in every column, or back to the flat list (`None`: the other one).
fn set_threads(app: &mut App, on: Option<bool>) {
    let on = on.unwrap_or(!app.threaded);
    let h = app.list_height();
    app.threaded = on;
    for c in &mut app.columns {
        c.set_threaded(on, h);
    }
    app.say(if on {
        "threads: grouped by conversation, newest thread first"
    } else {
        "threads: off, newest message first"
    });
}

/// `:search`: the server searches an IMAP account; a local folder is searched in its rows
/// (the same fields as the filter). An empty query clears the search.
fn search(app: &mut App, query: &str) -> Vec<Command> {
    let h = app.list_height();
    let query = query.trim();
    let id = app.take_id();
    let Some(c) = app.columns.get_mut(app.focus) else {
        return Vec::new();
    };
    if query.is_empty() {
        c.search = None;
        c.refilter(h);
        return Vec::new();
    }
    if c.imap {
        // Checked here too, so a bad query is refused at once, not after a round trip.
        if let Err(e) = crate::engine::worker::search_criteria(query) {
            app.fail(format!("search: {e}"));
            return Vec::new();
        }
        c.search = Some(Search {
            query: query.to_string(),
            id,
            state: SearchState::Pending,
        });
        c.refilter(h);
        return vec![Command::Search {
            account_idx: c.account_idx,
            id,
            query: query.to_string(),
        }];
    }
    let needle = Needle::new(query);
    let found = c
        .rows
        .iter()
        .filter(|s| needle.matches(s))
        .map(|s| s.uid)
        .collect();
    c.search = Some(Search {
        query: query.to_string(),
        id,
        state: SearchState::Done(found),
    });
    c.refilter(h);
    Vec::new()
}

/// Clears the focused column's filter and search; false when neither was on.
fn clear_narrowing(app: &mut App) -> bool {
    let h = app.list_height();
    let Some(c) = app.columns.get_mut(app.focus) else {
        return false;
    };
    if !c.narrowed() {
        return false;
    }
    c.filter = None;
    c.search = None;
    c.refilter(h);
    true
}

/// Switches the reader between full screen and split (`None`: the other one).
fn set_reader_mode(app: &mut App, mode: Option<ReaderMode>) {
    app.reader_mode = mode.unwrap_or(match app.reader_mode {
        ReaderMode::Full => ReaderMode::Split,
        ReaderMode::Split => ReaderMode::Full,
    });
    app.fit_views();
    app.say(match app.reader_mode {
        ReaderMode::Full => "reader: full screen",
        ReaderMode::Split => "reader: below the columns",
    });
}

/// Space / `!`: flips `\Seen` or `\Flagged` of the open message, else the selected one. The
/// row changes at once; the worker stores it and the sync that follows confirms or corrects
/// it. Refused up front when the account's rights do not allow it.
fn toggle(app: &mut App, kind: FlagKind) -> Vec<Command> {
    let in_reader = app.reader.is_some();
    let target = match &app.reader {
        Some(r) => Some((r.account_idx, r.uid)),
        None => app
            .columns
            .get(app.focus)
            .and_then(|c| c.selected_row().map(|s| (c.account_idx, s.uid))),
    };
    let Some((account_idx, uid)) = target else {
        app.say("no message selected");
        return Vec::new();
    };
    let Some(c) = app.column_mut(account_idx) else {
        return Vec::new();
    };
    if let Some(rights) = c.rights
        && !rights.has(kind.right())
    {
        let shown = rights.to_string();
        let message = format!(
            "{}: you may not change {} here (your rights: {}; it needs {:?})",
            c.name,
            kind.name(),
            if shown.is_empty() { "none" } else { &shown },
            kind.right()
        );
        app.fail(message);
        return Vec::new();
    }
    let Some(row) = c.rows.iter_mut().find(|s| s.uid == uid) else {
        app.fail("the message is no longer in the list");
        return Vec::new();
    };
    let before = kind.get(&row.flags);
    kind.set(&mut row.flags, !before);
    c.recount();
    let change = if before {
        FlagChange {
            remove_flags: kind.only(),
            ..FlagChange::default()
        }
    } else {
        FlagChange {
            add_flags: kind.only(),
            ..FlagChange::default()
        }
    };
    if in_reader {
        // The reader shows no marks: say what happened.
        app.say(match (kind, before) {
            (FlagKind::Seen, false) => "marked read",
            (FlagKind::Seen, true) => "marked unread",
            (FlagKind::Flagged, false) => "flagged",
            (FlagKind::Flagged, true) => "flag removed",
        });
    }
    let id = app.take_id();
    app.pending_stores.insert(
        id,
        PendingStore {
            account_idx,
            uid,
            flag: kind,
            before,
        },
    );
    vec![Command::Store {
        account_idx,
        id,
        uid,
        change,
    }]
}

/// `s` in the reader: the `:save ` line, with what it takes and where it saves by default.
fn save_prompt(app: &mut App) {
    let n = app.reader.as_ref().map_or(0, |r| r.attachments.len());
    let loading = app.reader.as_ref().is_some_and(|r| r.body == Body::Loading);
    if n == 0 {
        app.say(if loading {
            "the message is still loading"
        } else {
            "this message has no attachments"
        });
        return;
    }
    let mut p = Prompt::new(PromptKind::Command, "save ");
    let which = if n == 1 {
        "1|all".to_string()
    } else {
        format!("1-{n}|all")
    };
    p.hint = Some(match app.save_dirs.default_dir() {
        Some(d) => format!(
            "[{which}] [DIR]   default: all, into {}",
            sanitize::single_line(&d.display().to_string())
        ),
        None => format!("[{which}] DIR"),
    });
    app.prompt = Some(p);
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
        Action::Quit | Action::Close => {
            app.reader = None;
            app.fit_views();
        }
        _ => {}
    }
}

fn list_action(app: &mut App, action: Action) -> Vec<Command> {
    let n = app.columns.len();
    let h = app.list_height();
    match action {
        Action::Quit => return vec![Command::Quit],
        Action::Clear => {
            if !clear_narrowing(app) {
                app.error = None;
                app.notice = None;
            }
            return Vec::new();
        }
        Action::Filter => {
            let text = app
                .columns
                .get(app.focus)
                .and_then(|c| c.filter.clone())
                .unwrap_or_default();
            app.prompt = Some(Prompt::new(PromptKind::Filter, &text));
            return Vec::new();
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
                let reader = Reader::new(account_idx, s);
                let notes = reader.notes_command();
                app.reader = Some(reader);
                app.fit_views();
                return std::iter::once(Command::Open { account_idx, uid })
                    .chain(notes)
                    .collect();
            }
        }
        _ => {}
    }
    Vec::new()
}

// ---- The compose pane -------------------------------------------------------------------

/// Seconds between autosaves of a changed draft.
pub const AUTOSAVE_SECS: i64 = 5;

/// The message a reply or forward answers: the open one, else the selected row.
fn original(app: &App) -> Option<(usize, Summary, Option<String>)> {
    if let Some(r) = &app.reader {
        let row = app
            .columns
            .iter()
            .find(|c| c.account_idx == r.account_idx)
            .and_then(|c| c.rows.iter().find(|s| s.uid == r.uid))
            .cloned()?;
        let text = match &r.body {
            Body::Text(t) => Some(t.clone()),
            _ => None,
        };
        return Some((r.account_idx, row, text));
    }
    let c = app.columns.get(app.focus)?;
    c.selected_row().map(|s| (c.account_idx, s.clone(), None))
}

/// Header text from a message being answered: no control characters (a hostile subject must
/// not break the line or be refused as typed input).
fn header_text(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).collect()
}

fn set_quote(c: &mut Compose, text: &str) {
    if let Some(o) = &c.original {
        c.quoted = Some(match c.kind {
            Kind::Forward => reply::forward_quote(o, text),
            _ => reply::quote(o, text),
        });
    }
}

/// A compose pane for account `account_idx` with its identities, signature and refusal.
fn new_compose(app: &mut App, config: &Config, account_idx: usize, kind: Kind) -> Option<Compose> {
    let Some(account) = config.accounts.get(account_idx) else {
        app.fail("this column has no account to send from");
        return None;
    };
    let nanos =
        u128::try_from(app.now.max(0)).unwrap_or(0) * 1_000_000_000 + u128::from(app.take_id());
    let mut c = Compose::new(
        account_idx,
        &account.name,
        kind,
        drafts::Drafts::new_id(&account.name, nanos),
    );
    c.agent = config.agent.id.clone();
    match identity::offered(account, &config.agent) {
        Ok(v) => c.identities = v,
        Err(why) => c.refused = Some(sanitize::single_line(&why.to_string())),
    }
    match reply::signature_of(config, account) {
        Ok(s) => c.signature = s,
        Err(e) => c.refused = Some(sanitize::single_line(&e.to_string())),
    }
    Some(c)
}

/// `c`, `r`, `R`, `f`: opens the compose pane (replies and forwards for the open message, else
/// the selected row). A reply or forward to a message a teammate is replying to (a "replying"
/// mark that is not stale) asks first.
fn open_compose(app: &mut App, kind: Kind) -> Vec<Command> {
    let Some(config) = app.config.clone() else {
        app.fail("composing needs the configuration (run mailroom with a config file)");
        return Vec::new();
    };
    let found = original(app);
    if kind != Kind::New
        && let Some((account_idx, o, _)) = &found
        && let Some(question) = replying_question(app, *account_idx, o, kind)
    {
        app.confirm = Some(Confirm {
            question,
            declined: format!("not opened: the {} was cancelled", kind.label()),
            then: Confirmed::Compose {
                kind,
                account_idx: *account_idx,
                uid: o.uid,
            },
        });
        app.dirty = true;
        return Vec::new();
    }
    start_compose(app, &config, kind, found)
}

/// The question before answering `o` while teammates are replying to it (fresh marks only),
/// or `None` when nobody else is.
fn replying_question(app: &App, account_idx: usize, o: &Summary, kind: Kind) -> Option<String> {
    const NAMED: usize = 3;
    let c = app.columns.iter().find(|c| c.account_idx == account_idx)?;
    let me = app.agent_id.as_deref();
    let mut others: Vec<String> = Vec::new();
    for agent in o.keywords.iter().filter_map(|k| replying_agent(k)) {
        let agent = agent.to_ascii_lowercase();
        if me.is_some_and(|me| me.eq_ignore_ascii_case(&agent))
            || !crate::config::is_valid_agent_id(&agent)
            || others.contains(&agent)
            || c.replying_stale(o.uid, &agent)
        {
            continue;
        }
        others.push(agent);
    }
    let who = match others.as_slice() {
        [] => return None,
        [one] => format!("{one} is"),
        many if many.len() <= NAMED => format!("{} are", many.join(", ")),
        many => format!(
            "{} and {} more are",
            many[..NAMED].join(", "),
            many.len() - NAMED
        ),
    };
    let verb = match kind {
        Kind::Forward => "forward",
        Kind::ReplyAll => "reply to all",
        Kind::Reply | Kind::New => "reply",
    };
    Some(sanitize::single_line(&format!(
        "{who} replying to this message — {verb} anyway? (y/n)"
    )))
}

/// The message `uid` of `account_idx` as a reply answers it, with its text when it is open.
fn original_of(
    app: &App,
    account_idx: usize,
    uid: u32,
) -> Option<(usize, Summary, Option<String>)> {
    let row = app
        .columns
        .iter()
        .find(|c| c.account_idx == account_idx)?
        .rows
        .iter()
        .find(|s| s.uid == uid)?
        .clone();
    let text = app
        .reader
        .as_ref()
        .filter(|r| r.account_idx == account_idx && r.uid == uid)
        .and_then(|r| match &r.body {
            Body::Text(t) => Some(t.clone()),
            _ => None,
        });
    Some((account_idx, row, text))
}

/// Keys while a yes/no question is open: `y` does what it asks, Ctrl-c quits, any other key
/// cancels.
fn confirm_key(app: &mut App, k: &KeyEvent) -> Vec<Command> {
    let Some(q) = app.confirm.take() else {
        return Vec::new();
    };
    app.dirty = true;
    let ctrl_c = k.code == KeyCode::Char('c') && k.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl_c || app.keymap.lookup(app.context(), k) == Some(Action::ForceQuit) {
        return quit(app);
    }
    let plain = (k.modifiers - KeyModifiers::SHIFT).is_empty();
    if !(plain && matches!(k.code, KeyCode::Char('y' | 'Y'))) {
        app.say(q.declined);
        return Vec::new();
    }
    match q.then {
        Confirmed::Compose {
            kind,
            account_idx,
            uid,
        } => {
            let Some(config) = app.config.clone() else {
                return Vec::new();
            };
            match original_of(app, account_idx, uid) {
                Some(found) => start_compose(app, &config, kind, Some(found)),
                None => {
                    app.fail("the message is no longer in the list");
                    Vec::new()
                }
            }
        }
    }
}

/// Ctrl-c: quits. An open draft is saved and its "replying" mark cleared first: the run loop
/// carries out the commands before `Quit`, and quitting gives the account's worker a short
/// grace to store the change (best effort: a dead server does not hold quitting).
fn quit(app: &mut App) -> Vec<Command> {
    let mut commands = autosave(app, true);
    commands.extend(clear_replying(app));
    commands.push(Command::Quit);
    commands
}

/// Sets or clears the agent's `$replying.<agent>` mark on a message, quietly: without an
/// agent id, or without the `w` right, nothing is sent and composing goes on.
fn mark_replying(app: &mut App, account_idx: usize, uid: u32, on: bool) -> Vec<Command> {
    if on {
        app.replying_mark = None;
    }
    let Some(agent) = app
        .agent_id
        .clone()
        .filter(|a| crate::config::is_valid_agent_id(a))
    else {
        return Vec::new();
    };
    let Some(c) = app.columns.iter().find(|c| c.account_idx == account_idx) else {
        return Vec::new();
    };
    if c.rights.is_some_and(|r| !r.has('w')) {
        return Vec::new();
    }
    let id = app.take_id();
    let action = TriageAction::Replying(on);
    app.pending_triage
        .insert(id, (account_idx, uid, action.clone()));
    if on {
        app.replying_mark = Some((account_idx, uid));
    }
    vec![Command::Triage {
        account_idx,
        id,
        uid,
        action,
        agent,
    }]
}

/// Clears the "replying" mark the open compose pane set, if it set one.
fn clear_replying(app: &mut App) -> Vec<Command> {
    match app.replying_mark.take() {
        Some((account_idx, uid)) => mark_replying(app, account_idx, uid, false),
        None => Vec::new(),
    }
}

/// Opens the compose pane of `kind` (answering `found` unless it is a new message) and marks
/// the message answered as being replied to.
fn start_compose(
    app: &mut App,
    config: &Config,
    kind: Kind,
    found: Option<(usize, Summary, Option<String>)>,
) -> Vec<Command> {
    let answered = found
        .as_ref()
        .filter(|_| kind != Kind::New)
        .map(|(a, o, _)| (*a, o.uid));
    let account_idx = match (&found, kind) {
        (Some((idx, _, _)), _) => *idx,
        (None, Kind::New) => match app.columns.get(app.focus) {
            Some(c) => c.account_idx,
            None => return Vec::new(),
        },
        (None, k) => {
            app.fail(format!("select a message first ({})", k.label()));
            return Vec::new();
        }
    };
    let Some(mut c) = new_compose(app, config, account_idx, kind) else {
        return Vec::new();
    };
    let mut commands = Vec::new();
    if let (Some((_, o, text)), true) = (found, kind != Kind::New) {
        let emails = |v: &[Address]| v.iter().map(|a| a.email.clone()).collect::<Vec<_>>();
        if kind == Kind::Forward {
            c.subject = Line::new(&header_text(&reply::forward_subject(&o.subject)));
            c.field = Field::To;
        } else {
            let to = reply::reply_to(&o);
            c.to = Line::new(&header_text(&to.join(", ")));
            if kind == Kind::ReplyAll
                && let Some(account) = config.accounts.get(account_idx)
            {
                let cc = reply::reply_all_cc(&o, account, &to);
                c.cc = Line::new(&header_text(&cc.join(", ")));
            }
            c.subject = Line::new(&header_text(&reply::reply_subject(&o.subject)));
            (c.in_reply_to, c.references) = reply::threading(&o);
            c.reply_uid = Some(o.uid);
            c.field = Field::Body;
            if c.refused.is_none()
                && let Some(account) = config.accounts.get(account_idx)
            {
                match identity::for_reply(
                    account,
                    &config.agent,
                    &o.delivered_to,
                    &emails(&o.to),
                    &emails(&o.cc),
                ) {
                    Ok(r) => {
                        c.from_idx = c
                            .identities
                            .iter()
                            .position(|i| i.from.eq_ignore_ascii_case(&r.identity.from))
                            .unwrap_or(0);
                        c.reason = Some(sanitize::single_line(&r.reason));
                    }
                    Err(why) => c.refused = Some(sanitize::single_line(&why.to_string())),
                }
            }
        }
        let uid = o.uid;
        c.original = Some(o);
        match text {
            Some(t) => set_quote(&mut c, &t),
            None => {
                c.awaiting = Some(uid);
                commands.push(Command::Open { account_idx, uid });
            }
        }
    }
    let note = match &c.refused {
        Some(why) => format!("{}: sending is refused: {why}", c.account),
        None => format!("{} from {}: {}", kind.label(), c.account, c.mode_line()),
    };
    app.compose = Some(c);
    app.say(note);
    app.dirty = true;
    if let Some((account_idx, uid)) = answered {
        commands.extend(mark_replying(app, account_idx, uid, true));
    }
    commands
}

/// Keys while the compose pane is open (below the help overlay).
fn compose_key(app: &mut App, k: &KeyEvent) -> Vec<Command> {
    app.dirty = true;
    let (width, _) = app.compose_body_size();
    let action = app.keymap.lookup(Context::Compose, k);
    if action == Some(Action::ForceQuit) {
        return quit(app);
    }
    let Some(c) = &mut app.compose else {
        return Vec::new();
    };
    let plain = (k.modifiers - KeyModifiers::SHIFT).is_empty();
    // The confirmation: y sends, n (or Esc, Ctrl-q) goes back to editing.
    if let Some(p) = &mut c.preview {
        let mut note = None;
        match k.code {
            KeyCode::Char('y' | 'Y') if plain => return confirm_send(app),
            KeyCode::Char('n' | 'N') | KeyCode::Esc => {
                c.preview = None;
                note = Some("not sent; still editing");
            }
            KeyCode::Down | KeyCode::Char('j') => p.scroll = p.scroll.saturating_add(1),
            KeyCode::Up | KeyCode::Char('k') => p.scroll = p.scroll.saturating_sub(1),
            KeyCode::PageDown | KeyCode::Char(' ') => p.scroll = p.scroll.saturating_add(10),
            KeyCode::PageUp => p.scroll = p.scroll.saturating_sub(10),
            _ if action == Some(Action::Cancel) => {
                c.preview = None;
                note = Some("not sent; still editing");
            }
            _ => note = Some("send this message? y sends, n goes back to editing"),
        }
        if let Some(p) = &mut c.preview {
            p.scroll = p.scroll.min(p.lines.len().saturating_sub(1));
        }
        if let Some(n) = note {
            app.say(n);
        }
        return Vec::new();
    }
    // The Ctrl-t line: a path to attach, or -N to remove attachment N.
    if let Some(line) = &mut c.attach_line {
        match k.code {
            KeyCode::Enter => {
                let text = line.text.trim().to_string();
                c.attach_line = None;
                attach(app, &text);
            }
            KeyCode::Esc => c.attach_line = None,
            KeyCode::Backspace => line.backspace(),
            KeyCode::Left => line.left(),
            KeyCode::Right => line.right(),
            KeyCode::Char(ch) if plain => {
                let _ = line.insert("Attach", ch.encode_utf8(&mut [0; 4]));
            }
            _ => {}
        }
        return Vec::new();
    }
    if c.sending {
        app.say("sending…: the answer comes in the status line");
        return Vec::new();
    }
    match action {
        Some(Action::Send) => {
            preview(app);
            return Vec::new();
        }
        Some(Action::Editor) => {
            return vec![Command::Editor {
                text: c.body.text(),
            }];
        }
        Some(a @ (Action::NextFrom | Action::PrevFrom)) => {
            let n = c.identities.len();
            if n == 0 {
                let why = c.refused.clone().unwrap_or_default();
                app.fail(format!("sending is refused: {why}"));
            } else {
                c.from_idx = if a == Action::NextFrom {
                    (c.from_idx + 1) % n
                } else {
                    (c.from_idx + n - 1) % n
                };
                // A chosen From replaces the reply's automatic choice.
                c.reason = None;
                c.unsaved = true;
                let line = c.mode_line();
                app.say(format!("From: {line}"));
            }
            return Vec::new();
        }
        Some(Action::Attach) => {
            c.attach_line = Some(Line::default());
            app.say("attach: type a path and Enter; -N removes attachment N; Esc cancels");
            return Vec::new();
        }
        Some(Action::Cancel) => return close_compose(app),
        Some(Action::Help) => {
            app.help = Some(Help {
                context: Context::Compose,
                scroll: 0,
            });
            return Vec::new();
        }
        _ => {}
    }
    let field = c.field;
    match k.code {
        KeyCode::Tab => c.field = field.next(false),
        KeyCode::BackTab => c.field = field.next(true),
        KeyCode::Esc => {
            app.say("Esc does nothing here: Ctrl-q closes (the draft is kept), Ctrl-x sends");
        }
        _ if field == Field::Body => {
            let before = c.body.clone();
            match k.code {
                KeyCode::Enter => c.body.newline(),
                KeyCode::Backspace => c.body.backspace(),
                KeyCode::Delete => c.body.delete(),
                KeyCode::Left => c.body.left(),
                KeyCode::Right => c.body.right(),
                KeyCode::Up => {
                    // Up from the first visual row goes to the Subject.
                    let moved = c.body.vertical(false, width);
                    if !moved {
                        c.field = Field::Subject;
                    }
                }
                KeyCode::Down => {
                    c.body.vertical(true, width);
                }
                KeyCode::Home => c.body.home(),
                KeyCode::End => c.body.end(),
                KeyCode::Char(ch) if plain => c.body.insert(ch.encode_utf8(&mut [0; 4])),
                _ => {}
            }
            if c.body.lines != before.lines {
                c.unsaved = true;
            }
        }
        _ => {
            let Some(line) = c.line_mut(field) else {
                return Vec::new();
            };
            let before = line.text.clone();
            let mut refused = None;
            let mut go = None;
            match k.code {
                KeyCode::Enter | KeyCode::Down => go = Some(field.next(false)),
                KeyCode::Up => go = Some(field.next(true)),
                KeyCode::Backspace => line.backspace(),
                KeyCode::Delete => line.delete(),
                KeyCode::Left => line.left(),
                KeyCode::Right => line.right(),
                KeyCode::Home => line.cursor = 0,
                KeyCode::End => line.cursor = line.text.len(),
                KeyCode::Char(ch) if plain => {
                    refused = line
                        .insert(field.label(), ch.encode_utf8(&mut [0; 4]))
                        .err();
                }
                _ => {}
            }
            let changed = line.text != before;
            if changed {
                c.unsaved = true;
            }
            if let Some(f) = go {
                c.field = f;
            }
            if let Some(e) = refused {
                app.fail(sanitize::single_line(&e));
            }
        }
    }
    Vec::new()
}

/// A paste (bracketed): text into the body; a header field refuses line breaks.
fn compose_paste(app: &mut App, text: &str) {
    app.dirty = true;
    let Some(c) = &mut app.compose else { return };
    if c.preview.is_some() || c.sending {
        return;
    }
    if let Some(line) = &mut c.attach_line {
        let _ = line.insert("Attach", text.trim());
        return;
    }
    let field = c.field;
    match c.line_mut(field) {
        None => c.body.insert(text),
        Some(line) => {
            if let Err(e) = line.insert(field.label(), text) {
                app.fail(format!(
                    "{} (nothing was pasted)",
                    sanitize::single_line(&e)
                ));
                return;
            }
        }
    }
    c.unsaved = true;
}

fn attach(app: &mut App, text: &str) {
    let Some(c) = &mut app.compose else { return };
    if text.is_empty() {
        return;
    }
    if let Some(n) = text.strip_prefix('-') {
        match n.parse::<usize>() {
            Ok(n) if n >= 1 && n <= c.attachments.len() => {
                let p = c.attachments.remove(n - 1);
                c.unsaved = true;
                app.say(format!(
                    "removed {}",
                    sanitize::single_line(&p.display().to_string())
                ));
            }
            _ => app.fail(format!("no attachment {}", sanitize::single_line(n))),
        }
        return;
    }
    let path = match app.save_dirs.home.as_ref() {
        Some(home) if text == "~" || text.starts_with("~/") => {
            home.join(text.trim_start_matches('~').trim_start_matches('/'))
        }
        _ => PathBuf::from(text),
    };
    // The file is read when the preview is built; only whether it exists is checked now.
    if !path.is_file() {
        app.fail(format!(
            "{}: no such file",
            sanitize::single_line(&path.display().to_string())
        ));
        return;
    }
    let shown = sanitize::single_line(&path.display().to_string());
    c.attachments.push(path);
    c.unsaved = true;
    app.say(format!("attached {shown}"));
}

/// Ctrl-x: builds the message exactly as it will be transmitted and shows it for confirmation.
fn preview(app: &mut App) {
    let Some(config) = app.config.clone() else {
        return;
    };
    let Some(c) = &app.compose else { return };
    if let Some(why) = &c.refused {
        let why = why.clone();
        app.fail(format!("sending is refused: {why}"));
        return;
    }
    if c.awaiting.is_some() {
        app.fail("the original is still loading for the quote; try again in a moment");
        return;
    }
    let (Some(account), Some(id)) = (config.accounts.get(c.account_idx), c.identity().cloned())
    else {
        app.fail("no identity to send from");
        return;
    };
    let now = std::time::UNIX_EPOCH + Duration::from_secs(u64::try_from(app.now).unwrap_or(0));
    let built = (|| -> Result<crate::mail::compose::Outgoing, String> {
        let list = |field: &str, l: &Line| {
            reply::addresses(field, std::slice::from_ref(&l.text)).map_err(|e| e.to_string())
        };
        let mut files = Vec::new();
        for p in &c.attachments {
            files.push(
                reply::load_attachment(p)
                    .map_err(|e| format!("attachment {}: {e}", p.display()))?,
            );
        }
        let draft = crate::mail::compose::Draft {
            to: list("To", &c.to)?,
            cc: list("Cc", &c.cc)?,
            bcc: list("Bcc", &c.bcc)?,
            subject: c.subject.text.clone(),
            in_reply_to: c.in_reply_to.clone(),
            references: c.references.clone(),
            attachments: files,
            ..Default::default()
        };
        reply::finish(
            &config,
            account,
            &id,
            draft,
            &c.body.text(),
            c.quoted.as_deref(),
            now,
        )
        .map_err(|e| e.to_string())
    })();
    match built {
        Ok(outgoing) => {
            if let Some(c) = &mut app.compose {
                c.preview = Some(Preview::new(outgoing, id));
            }
            app.say("this is exactly what will be sent: y sends, n goes back");
        }
        Err(e) => app.fail(format!("not sent: {}", sanitize::single_line(&e))),
    }
}

/// `y` in the preview: the draft is saved, then the message goes to the sending thread.
fn confirm_send(app: &mut App) -> Vec<Command> {
    let now = app.now;
    let Some(c) = &mut app.compose else {
        return Vec::new();
    };
    let Some(p) = c.preview.take() else {
        return Vec::new();
    };
    c.sending = true;
    c.unsaved = false;
    c.saved_at = now;
    let draft = c.to_draft(now);
    let send = Command::Send {
        account_idx: c.account_idx,
        identity: p.identity,
        outgoing: Box::new(p.outgoing),
        reply_uid: c.reply_uid,
        draft_id: c.draft_id.clone(),
    };
    remember_draft(app, draft.clone());
    app.say("sending…");
    vec![Command::SaveDraft(Box::new(draft)), send]
}

/// The answer to a send: a message that is on its way (sent, or safely queued) closes the
/// pane and clears its "replying" mark; a refusal keeps both.
fn send_done(app: &mut App, draft_id: &str, result: Result<Outcome, String>) -> Vec<Command> {
    app.dirty = true;
    let ours = app.compose.as_ref().is_some_and(|c| c.draft_id == draft_id);
    let line = |s: String| sanitize::single_line(&s);
    let kept = match result {
        Ok(Outcome::Sent {
            message_id,
            warning: None,
        }) => {
            app.say(line(format!("sent <{message_id}>")));
            false
        }
        // The mail went out, but not as written: an error-styled notice, never a quiet one.
        Ok(Outcome::Sent {
            message_id,
            warning: Some(w),
        }) => {
            app.fail(line(format!("sent <{message_id}>, but {w}")));
            false
        }
        Ok(Outcome::Submitted { message_id, error }) => {
            app.say(line(format!(
                "sent <{message_id}>; the Sent copy will be retried: {error}"
            )));
            false
        }
        Ok(Outcome::Deferred { message_id, error }) => {
            app.say(line(format!(
                "deferred <{message_id}>: kept in the outbox and retried: {error}"
            )));
            false
        }
        Ok(Outcome::Busy { message_id }) => {
            app.say(line(format!(
                "queued <{message_id}>: another mailroom is delivering the outbox"
            )));
            false
        }
        // In the outbox, never sent again on its own: said as trouble, not as a success.
        Ok(Outcome::Uncertain { message_id, error }) => {
            app.fail(line(format!(
                "uncertain <{message_id}>: may have been delivered ({error}); kept in the outbox, \
                 not sent again: see `mailroom outbox`"
            )));
            false
        }
        Ok(Outcome::Failed { message_id, error }) => {
            app.fail(line(format!(
                "refused <{message_id}>: {error} (kept in the outbox as failed; the draft is kept)"
            )));
            true
        }
        Err(e) => {
            app.fail(line(format!("not sent: {e} (the draft is kept)")));
            true
        }
    };
    if kept {
        if ours && let Some(c) = &mut app.compose {
            c.sending = false;
        }
    } else {
        app.drafts.retain(|d| d.id != draft_id);
        if ours {
            app.compose = None;
            app.fit_views();
            return clear_replying(app);
        }
    }
    Vec::new()
}

/// Keeps `app.drafts` (newest first) in step with what was saved.
fn remember_draft(app: &mut App, draft: drafts::Draft) {
    app.drafts.retain(|d| d.id != draft.id);
    app.drafts.insert(0, draft);
}

/// Saves the open draft if it changed (and `AUTOSAVE_SECS` passed, unless `now`).
fn autosave(app: &mut App, now: bool) -> Vec<Command> {
    let t = app.now;
    let Some(c) = &mut app.compose else {
        return Vec::new();
    };
    if !c.unsaved || c.sending || (!now && t - c.saved_at < AUTOSAVE_SECS) {
        return Vec::new();
    }
    c.unsaved = false;
    c.saved_at = t;
    let draft = c.to_draft(t);
    remember_draft(app, draft.clone());
    vec![Command::SaveDraft(Box::new(draft))]
}

/// Ctrl-q: closes the pane; the draft is saved first (nothing is ever discarded here).
fn close_compose(app: &mut App) -> Vec<Command> {
    let mut commands = autosave(app, true);
    commands.extend(clear_replying(app));
    let kept = app
        .compose
        .as_ref()
        .is_some_and(|c| app.drafts.iter().any(|d| d.id == c.draft_id));
    app.compose = None;
    app.fit_views();
    if kept {
        let n = app.drafts.len();
        app.say(format!("closed; the draft is kept (:drafts lists {n})"));
    } else {
        app.say("closed (nothing was written, so no draft was kept)");
    }
    commands
}

fn list_drafts(app: &mut App) {
    if app.drafts.is_empty() {
        app.say("no drafts");
        return;
    }
    let now = app.now;
    let items: Vec<String> = app
        .drafts
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let subject = if d.subject.trim().is_empty() {
                "(no subject)"
            } else {
                d.subject.trim()
            };
            let age = date::age(now, d.saved);
            format!("{} {} \"{}\" {age}", i + 1, d.account, subject)
        })
        .collect();
    app.say(sanitize::single_line(&format!(
        "drafts: {} (:drafts N reopens one)",
        items.join("; ")
    )));
}

/// `:drafts N`: reopens a saved draft in the compose pane.
fn reopen_draft(app: &mut App, n: usize) -> Vec<Command> {
    let Some(d) = app.drafts.get(n - 1).cloned() else {
        app.fail(format!("no draft {n} (:drafts lists them)"));
        return Vec::new();
    };
    let Some(config) = app.config.clone() else {
        app.fail("composing needs the configuration");
        return Vec::new();
    };
    let Some(account_idx) = config.accounts.iter().position(|a| a.name == d.account) else {
        app.fail(format!(
            "draft {n} is for account {}, which is no longer configured",
            sanitize::single_line(&d.account)
        ));
        return Vec::new();
    };
    let kind = if d.reply_to_uid.is_some() {
        Kind::Reply
    } else {
        Kind::New
    };
    let Some(mut c) = new_compose(app, &config, account_idx, kind) else {
        return Vec::new();
    };
    c.draft_id = d.id.clone();
    c.from_idx = c
        .identities
        .iter()
        .position(|i| i.from.eq_ignore_ascii_case(&d.from))
        .unwrap_or(0);
    c.to = Line::new(&header_text(&d.to.join(", ")));
    c.cc = Line::new(&header_text(&d.cc.join(", ")));
    c.bcc = Line::new(&header_text(&d.bcc.join(", ")));
    c.subject = Line::new(&header_text(&d.subject));
    c.body = compose::Body::from_text(&d.body);
    c.reply_uid = d.reply_to_uid;
    c.in_reply_to = d.in_reply_to.clone();
    c.references = d.references.clone();
    c.quoted = d.quoted.clone();
    c.attachments = d.attachments.clone();
    c.saved_at = d.saved;
    c.field = Field::Body;
    let line = c.mode_line();
    app.compose = Some(c);
    app.say(format!("draft {n} reopened: {line}"));
    // A reply draft answers a message still in the column: it is being replied to again.
    match d.reply_to_uid {
        Some(uid)
            if app
                .columns
                .iter()
                .any(|c| c.account_idx == account_idx && c.rows.iter().any(|s| s.uid == uid)) =>
        {
            mark_replying(app, account_idx, uid, true)
        }
        _ => Vec::new(),
    }
}

// ---- Triage -----------------------------------------------------------------------------

/// The message a triage key acts on: the open one, else the selected row.
fn triage_target(app: &App) -> Option<(usize, u32)> {
    match &app.reader {
        Some(r) => Some((r.account_idx, r.uid)),
        None => app
            .columns
            .get(app.focus)
            .and_then(|c| c.selected_row().map(|s| (c.account_idx, s.uid))),
    }
}

/// Sends a triage action for the open or selected message to its account's worker, which
/// applies it atomically; the answer (`TriageDone`) says who won a race. Refused up front
/// without the `w` right, as the server would (or would silently ignore it).
fn triage(app: &mut App, action: TriageAction) -> Vec<Command> {
    let Some((account_idx, uid)) = triage_target(app) else {
        app.say("no message selected");
        return Vec::new();
    };
    if let Some(why) = triage_refused(app, account_idx, action.name()) {
        app.fail(why);
        return Vec::new();
    }
    let (Some(agent), Some(c)) = (
        app.agent_id.clone(),
        app.columns.iter().find(|c| c.account_idx == account_idx),
    ) else {
        return Vec::new();
    };
    if !matches!(action, TriageAction::Replying(_)) {
        let message = format!("{}: {}…", c.name, triage_verb(&action));
        app.say(message);
    }
    let id = app.take_id();
    app.pending_triage
        .insert(id, (account_idx, uid, action.clone()));
    vec![Command::Triage {
        account_idx,
        id,
        uid,
        action,
        agent,
    }]
}

/// Why the agent may not `action` a message of `account_idx`: no agent id, or no `w` right
/// (unknown rights are no reason: the worker checks them).
fn triage_refused(app: &App, account_idx: usize, action: &str) -> Option<String> {
    if app.agent_id.is_none() {
        return Some(
            "no agent id is configured ([agent] id): triage needs to know who you are".into(),
        );
    }
    let c = app.columns.iter().find(|c| c.account_idx == account_idx)?;
    let rights = c.rights.filter(|r| !r.has('w'))?;
    let shown = rights.to_string();
    Some(format!(
        "{}: you may not {action} here: triage needs the `w` right (yours: {})",
        c.name,
        if shown.is_empty() { "none" } else { &shown }
    ))
}

/// "claiming", "marking done"…: what the status line says while the worker is at it.
fn triage_verb(action: &TriageAction) -> String {
    match action {
        TriageAction::Claim => "claiming".into(),
        TriageAction::Assign(a) => format!("assigning to {}", sanitize::single_line(a)),
        TriageAction::Unassign => "unassigning".into(),
        TriageAction::Pending => "marking pending".into(),
        TriageAction::Done => "marking done".into(),
        TriageAction::Reopen => "reopening".into(),
        TriageAction::Snooze(until) => format!("snoozing until {}", date::short_utc(*until)),
        TriageAction::Replying(_) => "marking the reply".into(),
    }
}

fn triage_done(
    app: &mut App,
    account_idx: usize,
    id: u64,
    uid: u32,
    result: Result<Applied, ActError>,
) {
    let asked = app.pending_triage.remove(&id);
    app.dirty = true;
    let name = app.column_name(account_idx).to_string();
    let quiet = matches!(asked, Some((_, _, TriageAction::Replying(_))));
    match result {
        Ok(applied) if !quiet => {
            app.say(format!(
                "{name}: {} UID {uid}: {}",
                applied.action,
                describe(&applied.after)
            ));
        }
        Ok(_) => {}
        // A "replying" mark is a courtesy to the team: where it cannot be kept (no `w` right,
        // no keywords, the message is gone) composing goes on without a word.
        Err(
            ActError::NoRight(_)
            | ActError::NotStored(_)
            | ActError::NeedsKeywords(_)
            | ActError::NoMessage(_),
        ) if quiet => {}
        Err(e) if quiet => {
            let on = matches!(asked, Some((_, _, TriageAction::Replying(true))));
            app.notice = Some(format!(
                "{name}: the \"replying\" mark on UID {uid} was not {}: {}",
                if on { "set" } else { "cleared" },
                sanitize::single_line(e.to_string().trim())
            ));
        }
        Err(ActError::Lost { winner }) => app.fail(format!(
            "{name}: claim lost: {} was first (UID {uid})",
            sanitize::single_line(&winner)
        )),
        Err(e) => {
            let what = asked.map_or("triage", |(_, _, a)| a.name());
            app.fail(format!(
                "{name}: {what} UID {uid} failed: {}",
                sanitize::single_line(e.to_string().trim())
            ));
        }
    }
}

/// Clears the keywords of snoozes that have ended, in every column the agent may change.
/// Every running mailroom does this, so a snoozed message comes back even when the agent
/// who snoozed it is away; clearing twice is harmless.
fn wake_snoozes(app: &mut App, now: i64) -> Vec<Command> {
    let h = app.list_height();
    let mut due = Vec::new();
    for c in &mut app.columns {
        c.set_now(now, h);
        if c.counts.overdue == 0 || c.rights.is_some_and(|r| !r.has('w')) {
            continue;
        }
        for (uid, keywords) in crate::triage::view::due_snoozes(&c.rows, now) {
            if app.wake_refused.contains(&(c.account_idx, uid))
                || app
                    .waking
                    .values()
                    .any(|(a, u, _)| *a == c.account_idx && *u == uid)
            {
                continue;
            }
            // At once, as a toggled flag is: a tick between the store's answer and the sync
            // that brings the new keywords must not ask again.
            if let Some(row) = c.rows.iter_mut().find(|s| s.uid == uid) {
                row.keywords.retain(|k| !keywords.contains(k));
            }
            due.push((c.account_idx, uid, keywords));
        }
        c.recount();
    }
    let mut commands = Vec::new();
    for (account_idx, uid, keywords) in due {
        let id = app.take_id();
        app.waking.insert(id, (account_idx, uid, keywords.clone()));
        commands.push(Command::Store {
            account_idx,
            id,
            uid,
            change: FlagChange {
                remove_keywords: keywords,
                ..FlagChange::default()
            },
        });
    }
    commands
}

/// `V` and `:view`: the focused column's team view, the next one when none is named.
fn set_view(app: &mut App, view: Option<View>) {
    let h = app.list_height();
    let Some(c) = app.columns.get_mut(app.focus) else {
        return;
    };
    let view = view.unwrap_or_else(|| c.team_view.next());
    c.set_team_view(view, h);
    let message = format!(
        "{}: {} ({} of {})",
        c.name,
        view.name(),
        c.counts.get(view),
        c.counts.all
    );
    app.say(message);
}

/// `A` and `z`: the `:` line with the command typed and what it takes; refused at once
/// when there is nothing to act on, or when the agent may not act on it.
fn triage_prompt(app: &mut App, command: &str, hint: &str) {
    let Some((account_idx, _)) = triage_target(app) else {
        app.say("no message selected");
        return;
    };
    // Refused before anything is typed, as the key itself would be.
    if let Some(why) = triage_refused(app, account_idx, command.trim()) {
        app.fail(why);
        return;
    }
    let mut p = Prompt::new(PromptKind::Command, command);
    p.hint = Some(hint.to_string());
    app.prompt = Some(p);
}

/// Agents `A` completes to: the roster (`[team] agents`), then every agent seen in an
/// `$assigned.*` or `$replying.*` keyword of a loaded row.
fn known_agents(app: &App) -> Vec<String> {
    let mut agents: Vec<String> = app
        .config
        .as_ref()
        .map(|c| c.team.agents.clone())
        .unwrap_or_default();
    let mut seen = std::collections::BTreeSet::new();
    for c in &app.columns {
        for s in &c.rows {
            let t = crate::triage::state::state(&s.keywords);
            seen.extend(t.assigned);
            seen.extend(t.replying);
        }
    }
    for a in seen {
        if crate::config::is_valid_agent_id(&a) && !agents.contains(&a) {
            agents.push(a);
        }
    }
    agents
}

/// The reader's "Team" line follows the message's keywords while it is open (a triage key in
/// the reader, or a teammate's change).
fn refresh_reader_team(app: &mut App, account_idx: usize) {
    let Some(r) = &app.reader else { return };
    if r.account_idx != account_idx {
        return;
    }
    let uid = r.uid;
    let Some(text) = app
        .columns
        .iter()
        .find(|c| c.account_idx == account_idx)
        .and_then(|c| c.rows.iter().find(|s| s.uid == uid))
        .map(|s| describe(&crate::triage::state::state(&s.keywords)))
    else {
        return;
    };
    if let Some(r) = &mut app.reader
        && let Some(h) = r.headers.iter_mut().find(|(l, _)| *l == "Team")
    {
        h.1 = text;
    }
}

// ---- Internal notes ---------------------------------------------------------------------

/// The note pane's keys as bound now (the compose pane's): add, `$EDITOR`, close.
pub fn note_keys(keymap: &Keymap) -> (String, String, String) {
    let k = |a, default: &str| {
        keymap
            .first_key(Context::Compose, a)
            .unwrap_or_else(|| default.to_string())
    };
    (
        k(Action::Send, "Ctrl-x"),
        k(Action::Editor, "Ctrl-e"),
        k(Action::Cancel, "Ctrl-q"),
    )
}

/// `n`: opens the note pane on the open or selected message. Refused up front without the
/// `i` right (when the rights are known) or without a Message-ID to link the note to.
fn open_note(app: &mut App) {
    let Some((account_idx, uid)) = triage_target(app) else {
        app.say("no message selected");
        return;
    };
    let Some(c) = app.columns.iter().find(|c| c.account_idx == account_idx) else {
        return;
    };
    if let Some(rights) = c.rights.filter(|r| !r.has('i')) {
        let shown = rights.to_string();
        let message = format!(
            "{}: you may not add notes here: a note needs the `i` (insert) right (yours: {})",
            c.name,
            if shown.is_empty() { "none" } else { &shown }
        );
        app.fail(message);
        return;
    }
    let Some(row) = c.rows.iter().find(|s| s.uid == uid) else {
        app.fail("the message is no longer in the list");
        return;
    };
    let linkable = match row.message_id.as_deref() {
        None => Err(crate::mail::note::NoteError::NoMessageId),
        Some(id) if !crate::mail::note::is_linkable_id(id) => Err(
            crate::mail::note::NoteError::BadMessageId(sanitize::single_line(id)),
        ),
        Some(_) => Ok(()),
    };
    if let Err(e) = linkable {
        let message = format!("{}: {e}", c.name);
        app.fail(message);
        return;
    }
    let mut n = NoteEditor::new(account_idx, uid, &row.subject);
    n.message_id = row.message_id.clone();
    app.note = Some(n);
    let (add, _, close) = note_keys(&app.keymap);
    app.say(format!(
        "internal note: {add} adds it to the notes folder, {close} closes; never sent"
    ));
}

/// Keys in the note pane: text into the body, the compose pane's keys for the rest. A lone Esc
/// never closes it, and closing with text asks first.
fn note_key(app: &mut App, k: &KeyEvent) -> Vec<Command> {
    app.dirty = true;
    let (width, _) = app.note_body_size();
    let action = app.keymap.lookup(Context::Compose, k);
    let plain = (k.modifiers - KeyModifiers::SHIFT).is_empty();
    let (add, editor, close) = note_keys(&app.keymap);
    let Some(n) = &mut app.note else {
        return Vec::new();
    };
    if let Some(leave) = n.ask.take() {
        if plain && matches!(k.code, KeyCode::Char('y' | 'Y')) {
            app.note = None;
            if leave == Leave::Quit {
                return quit(app);
            }
            app.say("note discarded");
        } else {
            app.say("kept: still writing the note");
        }
        return Vec::new();
    }
    if n.saving.is_some() {
        match action {
            Some(Action::ForceQuit) => return quit(app),
            Some(Action::Cancel) => {
                app.note = None;
                app.say("closed; the note is still being added: the answer comes here");
            }
            _ => app.say("adding the note…"),
        }
        return Vec::new();
    }
    match action {
        Some(Action::Send) => return add_note(app),
        Some(Action::Editor) => {
            return vec![Command::Editor {
                text: n.body.text(),
            }];
        }
        Some(a @ (Action::Cancel | Action::ForceQuit)) => {
            let leave = if a == Action::Cancel {
                Leave::Close
            } else {
                Leave::Quit
            };
            if n.has_text() {
                n.ask = Some(leave);
                app.say(if leave == Leave::Quit {
                    "quit and discard this note? y discards it, any other key goes back"
                } else {
                    "discard this note? y discards it, any other key goes back"
                });
                return Vec::new();
            }
            app.note = None;
            if leave == Leave::Quit {
                return quit(app);
            }
            app.say("closed (nothing was written)");
            return Vec::new();
        }
        Some(Action::Help) => {
            app.help = Some(Help {
                context: Context::Compose,
                scroll: 0,
            });
            return Vec::new();
        }
        _ => {}
    }
    let b = &mut n.body;
    match k.code {
        KeyCode::Esc => app.say(format!(
            "Esc does nothing here: {add} adds the note, {editor} edits it in $EDITOR, {close} closes"
        )),
        KeyCode::Enter => b.newline(),
        KeyCode::Backspace => b.backspace(),
        KeyCode::Delete => b.delete(),
        KeyCode::Left => b.left(),
        KeyCode::Right => b.right(),
        KeyCode::Up => {
            b.vertical(false, width);
        }
        KeyCode::Down => {
            b.vertical(true, width);
        }
        KeyCode::Home => b.home(),
        KeyCode::End => b.end(),
        KeyCode::Tab => b.insert("\t"),
        KeyCode::Char(ch) if plain => b.insert(ch.encode_utf8(&mut [0; 4])),
        _ => {}
    }
    Vec::new()
}

/// The pane's add key: one `AddNote` to the account's worker; the pane waits for the answer
/// and keeps the text until then.
fn add_note(app: &mut App) -> Vec<Command> {
    let Some(n) = &app.note else {
        return Vec::new();
    };
    if !n.has_text() {
        let (_, _, close) = note_keys(&app.keymap);
        app.say(format!(
            "the note is empty: type it, or {close} closes the pane"
        ));
        return Vec::new();
    }
    let text = n.body.text();
    if text.len() > crate::mail::note::MAX_TEXT_BYTES {
        app.fail(
            crate::mail::note::NoteError::TooLong {
                max: crate::mail::note::MAX_TEXT_BYTES,
            }
            .to_string(),
        );
        return Vec::new();
    }
    let (account_idx, uid, subject) = (n.account_idx, n.uid, n.subject.clone());
    let message_id = n.message_id.clone();
    // The UID must still name the message the pane was opened on: after a mailbox reset it
    // may name another customer's message, and the note would be threaded to that one.
    let same = app
        .columns
        .iter()
        .find(|c| c.account_idx == account_idx)
        .and_then(|c| c.rows.iter().find(|s| s.uid == uid))
        .is_some_and(|s| s.message_id == message_id);
    if !same {
        let message = format!(
            "{}: note not added: the message it is on is no longer in the list as UID {uid} \
             (the text is kept: copy it, then close the pane)",
            app.column_name(account_idx)
        );
        app.fail(message);
        return Vec::new();
    }
    let id = app.take_id();
    if let Some(n) = &mut app.note {
        n.saving = Some(id);
    }
    app.pending_notes.insert(
        id,
        PendingNote {
            account_idx,
            uid,
            subject,
            message_id,
            text: text.clone(),
        },
    );
    let message = format!("{}: adding the note…", app.column_name(account_idx));
    app.say(message);
    vec![Command::AddNote {
        account_idx,
        id,
        uid,
        text,
    }]
}

/// The answer to an `AddNote`: done closes its pane and reads the open message's notes
/// again; a failure says why and keeps the text (in its pane, opened again if it was closed
/// and nothing else is being written).
fn note_added(
    app: &mut App,
    account_idx: usize,
    id: u64,
    uid: u32,
    result: Result<crate::engine::event::NoteAdded, String>,
) -> Vec<Command> {
    let pending = app.pending_notes.remove(&id);
    app.dirty = true;
    let name = app.column_name(account_idx).to_string();
    let ours = app.note.as_ref().is_some_and(|n| n.saving == Some(id));
    match result {
        Ok(added) => {
            if ours {
                app.note = None;
            }
            let at = added
                .note_uid
                .map(|u| format!(" (UID {u})"))
                .unwrap_or_default();
            app.say(format!(
                "{name}: note added to {}{at}",
                sanitize::single_line(&added.folder)
            ));
            match &app.reader {
                Some(r) if r.account_idx == account_idx && r.uid == uid => {
                    r.notes_command().into_iter().collect()
                }
                _ => Vec::new(),
            }
        }
        Err(e) => {
            let e = sanitize::single_line(e.trim());
            if ours {
                if let Some(n) = &mut app.note {
                    n.saving = None;
                }
                app.fail(format!("{name}: note not added: {e} (the text is kept)"));
            } else if let Some(p) = pending.filter(|_| app.note.is_none() && app.compose.is_none())
            {
                let mut n = NoteEditor::new(p.account_idx, p.uid, "");
                n.subject = p.subject;
                n.message_id = p.message_id;
                n.body.set_text(&p.text);
                app.note = Some(n);
                app.fail(format!(
                    "{name}: note not added: {e} (the text is back in the note pane)"
                ));
            } else {
                app.fail(format!("{name}: note not added: {e}"));
            }
            Vec::new()
        }
    }
}

/// Notes for a message: shown when it is the open one (a stale answer is dropped).
fn notes_arrived(
    app: &mut App,
    account_idx: usize,
    message_id: &str,
    result: Result<Vec<crate::mail::note::Note>, String>,
) {
    let (w, h) = app.reader_body_size();
    let Some(r) = &mut app.reader else { return };
    if r.account_idx != account_idx || r.message_id.as_deref() != Some(message_id) {
        return;
    }
    r.notes = match result {
        Ok(mut list) => {
            list.sort_by_key(|n| (n.date, n.uid));
            ReaderNotes::Loaded(list)
        }
        Err(e) => ReaderNotes::Failed(sanitize::single_line(e.trim())),
    };
    r.rewrap(w);
    let s = r.scroll;
    r.scroll_to(s, h);
    app.dirty = true;
}

/// Rows that arrived or changed may carry a snooze that has already ended (set by a client
/// whose clock ran ahead, or while every mailroom was closed): clear it now, not a tick later.
fn wake_if_overdue(app: &mut App, account_idx: usize) -> Vec<Command> {
    if app
        .columns
        .iter()
        .any(|c| c.account_idx == account_idx && c.counts.overdue > 0)
    {
        wake_snoozes(app, app.now)
    } else {
        Vec::new()
    }
}

// ---- The stats screen -------------------------------------------------------------------

/// `S`: opens the stats screen and asks for its report (computed off the UI thread).
fn open_stats(app: &mut App, window: StatsWindow) -> Vec<Command> {
    if app.config.is_none() {
        app.fail("stats need the configuration");
        return Vec::new();
    }
    let id = app.take_id();
    app.stats = Some(StatsScreen::new(id, window));
    vec![Command::Stats {
        id,
        since: window.since(app.now),
    }]
}

/// Keys of the stats screen, fixed like the help overlay's so it can always be read and
/// closed: Tab / l / h switch mailbox, w the window, r recomputes, j / k scroll, q / Esc / S
/// close, Ctrl-c quits.
fn stats_key(app: &mut App, k: &KeyEvent) -> Vec<Command> {
    let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
    let Some(s) = app.stats.as_mut() else {
        return Vec::new();
    };
    app.dirty = true;
    match k.code {
        KeyCode::Char('c') if ctrl => return vec![Command::Quit],
        KeyCode::Char('q') | KeyCode::Char('S') | KeyCode::Esc => app.stats = None,
        KeyCode::Tab | KeyCode::Char('l') | KeyCode::Right => s.cycle_mailbox(false),
        KeyCode::BackTab | KeyCode::Char('h') | KeyCode::Left => s.cycle_mailbox(true),
        KeyCode::Char('j') | KeyCode::Down => {
            // The screen is drawn over every row but the status line.
            let (w, h) = app.size;
            s.scroll_down(usize::from(w), usize::from(h).saturating_sub(1));
        }
        KeyCode::Char('k') | KeyCode::Up => s.scroll = s.scroll.saturating_sub(1),
        KeyCode::Char('w') => {
            let (window, mailbox) = (s.window.next(), s.mailbox);
            let commands = open_stats(app, window);
            if let Some(s) = app.stats.as_mut() {
                s.mailbox = mailbox;
            }
            return commands;
        }
        KeyCode::Char('r') => {
            let (window, mailbox) = (s.window, s.mailbox);
            let commands = open_stats(app, window);
            if let Some(s) = app.stats.as_mut() {
                s.mailbox = mailbox;
            }
            return commands;
        }
        _ => app.dirty = false,
    }
    Vec::new()
}
