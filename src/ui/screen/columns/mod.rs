//! The column model: one account's rows, its load and link state, search and narrowing.

pub mod draw;
mod merge;
mod order;
pub(crate) mod sla;
pub(crate) use order::{sort_column, sort_command};
pub mod progress;
pub mod rows;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_order;
#[cfg(test)]
mod tests_threads;
mod threaded;
pub mod unified;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::time::Duration;

use crate::config::View;
use crate::engine::worker::ConnState;
use crate::imap::sync::FlagUpdate;
use crate::mail::snooze::WakeTimes;
use crate::mail::sort::Sort;
use crate::message::{AddressRef, Summary};
use crate::policy::rights::Rights;
use crate::policy::team::Sla;
use crate::sanitize;
use crate::triage::folders::TeamStateAt;
use crate::triage::view::Counts;
use crate::ui::app::App;
use crate::ui::screen::Handled;
use crate::ui::screen::notes::wake_if_overdue;
use crate::ui::screen::triage::refresh_reader_team;
pub(crate) use merge::Narrowed;
pub use rows::Rows;
use threaded::Threaded;

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
    pub(crate) fn from_state(state: ConnState, at: i64) -> Link {
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
pub(crate) fn ceil_secs(d: Duration) -> i64 {
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
pub(crate) struct Needle {
    pub(crate) lower: String,
    pub(crate) ascii: bool,
}

impl Needle {
    pub(crate) fn new(text: &str) -> Needle {
        Needle {
            lower: text.to_lowercase(),
            ascii: text.is_ascii(),
        }
    }

    pub(crate) fn found_in(&self, hay: &str) -> bool {
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
    pub(crate) fn matches(&self, s: &Summary) -> bool {
        let addr =
            |a: AddressRef<'_>| self.found_in(a.email) || a.name.is_some_and(|n| self.found_in(n));
        self.found_in(s.subject()) || s.from().any(addr) || s.to().any(addr)
    }
}

/// Whether `s` matches the filter text `text` (case-insensitive, in from, subject and to).
pub fn row_matches(s: &Summary, text: &str) -> bool {
    Needle::new(text).matches(s)
}

pub(crate) const REPLYING: &str = crate::triage::state::REPLYING;
/// A "replying" mark this client has seen for longer than this is shown as stale and no
/// longer asks before a reply (keywords carry no time: the age is from when it was first seen).
pub const REPLYING_STALE_SECS: i64 = 30 * 60;

/// The agent of a `$replying.<agent>` keyword (as written; not validated).
pub(crate) fn replying_agent(keyword: &str) -> Option<&str> {
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
    /// How far a running sync has got, while it fetches many messages (see `progress`).
    pub progress: Option<progress::SyncProgress>,
    /// Newest first (arrival time, then UID), kept sorted as batches come (`rows::Rows`).
    /// Raw: sanitized when drawn.
    pub rows: Rows,
    pub unread: usize,
    /// Which rows the column shows by team state (`V` cycles).
    pub team_view: View,
    /// Team state lives in folders here (a server without permanent keywords, or
    /// `team_state = "folders"`): claimed, pending and done messages leave the mailbox.
    pub team_folders: bool,
    /// How many rows each view shows, and when the next snooze ends.
    pub counts: Counts,
    /// The clock the views were computed with (snoozes hide rows until their time).
    pub(crate) now: i64,
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
    pub(crate) agent: Option<String>,
    /// While threads are on: the threads, newest first, and the rows they show. Built when
    /// threads are turned on, then kept as rows come, change and go (`threaded::Threaded`).
    pub(crate) threads: Option<Threaded>,
    /// The shown rows while a filter, a search or a team view narrows them and threads are
    /// off (on, the threads keep their shown rows). `None` shows every row without the cost
    /// of an entry per row.
    pub(crate) view: Option<Narrowed>,
    /// When the running snoozes end, with how many rows end then: `counts.next_wake` is the
    /// first, kept as rows come, change and go.
    pub(crate) wakes: BTreeMap<i64, usize>,
    /// The UIDs of the rows `counts.overdue` counts (a snooze ended, its keyword still there).
    pub(crate) overdue: BTreeSet<u32>,
    /// The UIDs of the rows carrying a snooze keyword: the only rows new wake times change.
    pub(crate) snoozed: BTreeSet<u32>,
    /// Rows marked for a bulk action (`m`, `M`), by UID.
    pub marked: BTreeSet<u32>,
    /// The wake times of the snoozed rows, from the snooze records (`mail::snooze`), as the
    /// engine last reported them (`engine::Event::Snoozes`).
    pub wake_times: WakeTimes,
    /// When this client first saw each `$replying.<agent>` mark, by UID: (agent, lower-cased;
    /// Unix seconds). IMAP keywords carry no time, so a mark's age is how long this client has
    /// seen it; updated only for rows that come or change, never per frame.
    pub(crate) replying_seen: HashMap<u32, Vec<(String, i64)>>,
    /// The order the rows are shown in (`:sort`, `s`); kept for the session.
    pub(crate) sort: Sort,
    /// With another order than date (threads off): the shown rows' keys in that order
    /// (`order`); `None` shows them newest first as they are kept.
    pub(crate) order: Option<Vec<rows::Key>>,
    /// The first-response target of the team policy in force for this account: rows show
    /// their time left (`sla`), `due` joins the `s` cycle, and `:view due` has rows to show.
    pub sla: Option<Sla>,
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
            progress: None,
            rows: Rows::default(),
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
            wakes: BTreeMap::new(),
            overdue: BTreeSet::new(),
            snoozed: BTreeSet::new(),
            marked: BTreeSet::new(),
            wake_times: WakeTimes::new(),
            replying_seen: HashMap::new(),
            sort: Sort::Date,
            order: None,
            sla: None,
        }
    }

    /// How many rows are shown (all, or those passing the filter and search).
    pub fn shown_len(&self) -> usize {
        if let (None, Some(o)) = (&self.threads, &self.order) {
            return o.len();
        }
        match (&self.threads, &self.view) {
            (Some(t), _) => t.len(),
            (None, Some(Narrowed::Keys(k))) => k.len(),
            (None, None) => self.rows.len(),
        }
    }

    /// The `i`th shown row: O(log N) (threads on: O(log N + B)).
    pub fn shown(&self, i: usize) -> Option<&Summary> {
        if let (None, Some(o)) = (&self.threads, &self.order) {
            return self.rows.by_key(*o.get(i)?);
        }
        match (&self.threads, &self.view) {
            (Some(t), _) => self.rows.by_uid(t.get(i)?.0),
            (None, Some(Narrowed::Keys(k))) => self.rows.by_key(*k.get(i)?),
            (None, None) => self.rows.get(i),
        }
    }

    /// The arrival times of the newest and the oldest row the column's view shows (filter,
    /// search and team view; with threads on, of every row): how long its mail has waited.
    /// O(log N), whatever the order shown.
    pub fn waiting_span(&self) -> Option<(i64, i64)> {
        let (newest, oldest) = match &self.view {
            Some(Narrowed::Keys(k)) if self.threads.is_none() => (
                self.rows.by_key(*k.get(0)?)?,
                self.rows.by_key(*k.get(k.len().checked_sub(1)?)?)?,
            ),
            _ => (
                self.rows.get(0)?,
                self.rows.get(self.rows.len().checked_sub(1)?)?,
            ),
        };
        Some((newest.internal_date, oldest.internal_date))
    }

    /// The thread depth of the `i`th shown row (0 when threads are off), at most
    /// `mail::thread::MAX_DEPTH`.
    pub fn depth(&self, i: usize) -> u8 {
        self.threads
            .as_ref()
            .and_then(|t| t.get(i))
            .map_or(0, |(_, d)| d)
    }

    /// "▸3 " in front of the subject of the `i`th shown row when it stands for a folded
    /// thread of 3 rows; empty otherwise.
    pub fn fold_label(&self, i: usize) -> String {
        self.threads
            .as_ref()
            .and_then(|t| t.folded_count(i))
            .map_or_else(String::new, |n| format!("▸{n} "))
    }

    /// Folds or unfolds the selected row's thread (`all`: every thread; folds them unless
    /// some are folded). The selection stays on the thread. Returns what the status line says.
    pub(crate) fn fold(&mut self, all: bool, height: usize) -> &'static str {
        let keep = self.selected_row().map(|s| s.uid);
        let Some(t) = &mut self.threads else {
            return "threads are off: t groups rows by thread, then e folds them";
        };
        let said = if all {
            let fold = !t.any_folded();
            t.fold_all(fold);
            if fold {
                "every thread folded"
            } else {
                "every thread unfolded"
            }
        } else {
            match keep.and_then(|uid| t.toggle_fold(uid)) {
                Some(true) => "thread folded",
                Some(false) => "thread unfolded",
                None => "no thread here",
            }
        };
        // The selection goes to the thread's row that is still shown.
        self.selected = keep
            .and_then(|uid| self.position_of(uid))
            .or_else(|| self.threads.as_ref().and_then(|t| t.head_position(keep?)))
            .unwrap_or(0);
        self.clamp_view(height);
        said
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

    /// Where `uid` is shown: O(log N) (threads on: O(log N + B + its thread)).
    pub(crate) fn position_of(&self, uid: u32) -> Option<usize> {
        if let (None, Some(o)) = (&self.threads, &self.order) {
            // O(N): when the selection is looked for after a change, never per frame.
            let key = self.rows.key_of(uid)?;
            return o.iter().position(|k| *k == key);
        }
        match (&self.threads, &self.view) {
            (Some(t), _) => t.position(uid),
            (None, Some(Narrowed::Keys(k))) => k.position(self.rows.key_of(uid)?).ok(),
            (None, None) => self.rows.index_of(uid),
        }
    }

    /// Turns threads on or off; the selected message stays selected.
    pub(crate) fn set_threaded(&mut self, on: bool, height: usize) {
        if on == self.threaded() {
            return;
        }
        let keep = self.selected_row().map(|s| s.uid);
        self.threads = None;
        self.view = None;
        if on {
            self.rethread();
        } else {
            self.rebuild_view();
        }
        self.reorder();
        self.selected = keep.and_then(|uid| self.position_of(uid)).unwrap_or(0);
        self.clamp_view(height);
    }

    /// Applies a changed filter or search: the selected message stays selected while it is
    /// still shown; otherwise the selection goes to the top.
    pub(crate) fn refilter(&mut self, height: usize) {
        let keep = self.selected_row().map(|s| s.uid);
        self.rebuild_view();
        self.reorder();
        self.selected = keep.and_then(|uid| self.position_of(uid)).unwrap_or(0);
        if self.selected == 0 {
            self.offset = 0;
        }
        self.clamp_view(height);
    }

    /// Forgets every row: what was shown is no longer valid, and so are search results
    /// (their UIDs may name other messages now). The filter is text and stays.
    pub(crate) fn clear(&mut self) {
        self.rows.clear();
        self.replying_seen.clear();
        self.unread = 0;
        self.counts = Counts::default();
        self.wakes.clear();
        self.overdue.clear();
        self.snoozed.clear();
        self.view = None;
        self.selected = 0;
        self.offset = 0;
        self.exists = None;
        progress::end(self);
        self.search = None;
        if self.threaded() {
            self.rethread();
        } else {
            self.rebuild_view();
        }
        self.reorder();
        self.state = LoadState::Loading;
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
    pub(crate) fn agent(&self) -> Option<&str> {
        self.agent.as_deref()
    }

    /// Records the `$replying.*` marks of a row that came or changed: a new mark is dated now,
    /// a known one keeps its date, a mark that is gone is forgotten.
    pub(crate) fn note_replying<K: AsRef<str>>(&mut self, uid: u32, keywords: &[K]) {
        if !keywords
            .iter()
            .any(|k| replying_agent(k.as_ref()).is_some())
        {
            self.replying_seen.remove(&uid);
            return;
        }
        let old = self.replying_seen.remove(&uid).unwrap_or_default();
        let mut marks: Vec<(String, i64)> = Vec::new();
        for agent in keywords.iter().filter_map(|k| replying_agent(k.as_ref())) {
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
    pub(crate) fn set_now(&mut self, now: i64, height: usize) {
        let woke = self.counts.next_wake.is_some_and(|w| w <= now) || self.due_view_moves(now);
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

    pub(crate) fn select(&mut self, index: usize, height: usize) {
        self.selected = index;
        self.clamp_view(height);
    }

    /// Keeps the selection within the shown rows and on screen, without blank space at the
    /// bottom.
    pub(crate) fn clamp_view(&mut self, height: usize) {
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

/// `:layout NAME`: lays the accounts out another way for the session; says what `auto`
/// picked at this width.
pub(crate) fn set_layout(app: &mut App, name: &str) -> Vec<crate::engine::Request> {
    let Some(layout) = crate::config::Layout::parse(name) else {
        app.fail(format!(
            "no layout {:?} (use {})",
            sanitize::single_line(name),
            crate::config::Layout::names()
        ));
        return Vec::new();
    };
    app.layout = layout;
    if unified::is_unified(app) && app.threaded {
        // The one list is merged in row order; threads keep their own.
        crate::ui::screen::list::set_threads(app, Some(false));
    }
    if unified::is_unified(app) {
        // One list sorted together: every column in the focused one's order.
        let h = app.list_height();
        let sort = app
            .columns
            .get(app.focus)
            .map(|c| c.sort)
            .unwrap_or_default();
        for c in &mut app.columns {
            c.set_sort(sort, h);
        }
    }
    app.fit_views();
    let (width, _) = app.size();
    let shown = crate::ui::layout::arrange(layout, width, app.columns.len());
    app.say(if shown.name() == layout.name() {
        format!(
            "layout {} for this session (ui.layout keeps one)",
            layout.name()
        )
    } else {
        format!(
            "layout {}: {} at {width} columns, for this session (ui.layout keeps one)",
            layout.name(),
            shown.name()
        )
    });
    Vec::new()
}

/// The message count of an account's mailbox.
pub(crate) fn on_status(app: &mut App, account_idx: usize, exists: u32) -> bool {
    let Some(c) = app.column_mut(account_idx) else {
        return false;
    };
    c.exists = Some(exists);
    true
}

/// New or refreshed rows from the server.
pub(crate) fn on_rows(app: &mut App, account_idx: usize, rows: Vec<Summary>) -> Handled {
    let h = app.list_height();
    let c = app.column_mut(account_idx)?;
    c.keeping_order(h, |c| c.add_rows(rows, h));
    refresh_reader_team(app, account_idx);
    Some(wake_if_overdue(app, account_idx))
}

/// Rows from the local cache, before the server answers.
pub(crate) fn on_cached(app: &mut App, account_idx: usize, rows: Vec<Summary>) -> Handled {
    let h = app.list_height();
    let c = app.column_mut(account_idx)?;
    c.keeping_order(h, |c| c.add_rows(rows, h));
    if c.state == LoadState::Loading {
        c.state = LoadState::Cached;
    }
    Some(wake_if_overdue(app, account_idx))
}

/// The column is in step with the server.
pub(crate) fn on_synced(app: &mut App, account_idx: usize, exists: u32) -> bool {
    let Some(c) = app.column_mut(account_idx) else {
        return false;
    };
    c.state = LoadState::Ready;
    c.exists = Some(exists);
    progress::end(c);
    true
}

/// Flag changes seen on the server.
pub(crate) fn on_flags(app: &mut App, account_idx: usize, updates: Vec<FlagUpdate>) -> Handled {
    let h = app.list_height();
    let c = app.column_mut(account_idx)?;
    if !c.keeping_order(h, |c| c.apply_flags(updates, h)) {
        return None;
    }
    refresh_reader_team(app, account_idx);
    Some(wake_if_overdue(app, account_idx))
}

/// The wake times of an account's snoozed messages, read from its snooze records.
pub(crate) fn on_snoozes(app: &mut App, account_idx: usize, wakes: WakeTimes) -> Handled {
    let h = app.list_height();
    let c = app.column_mut(account_idx)?;
    if !c.keeping_order(h, |c| c.set_wake_times(wakes, h)) {
        return None;
    }
    refresh_reader_team(app, account_idx);
    Some(wake_if_overdue(app, account_idx))
}

/// Messages removed from the mailbox.
pub(crate) fn on_vanished(app: &mut App, account_idx: usize, uids: Vec<u32>) -> bool {
    let h = app.list_height();
    if !app
        .column_mut(account_idx)
        .is_some_and(|c| c.keeping_order(h, |c| c.remove(&uids, h)))
    {
        return false;
    }
    if let Some(r) = &app.reader
        && r.account_idx == account_idx
        && uids.contains(&r.uid)
    {
        app.set_notice(account_idx, "the open message was removed from the mailbox");
    }
    true
}

/// The mailbox's UIDs changed meaning (UIDVALIDITY): the column starts over.
pub(crate) fn on_reset(app: &mut App, account_idx: usize, reason: String) -> bool {
    // Every UID of the account may now name another message: a reply being written
    // must not mark one \Answered, nor clear a "replying" mark on it, when it is sent.
    if let Some(c) = app
        .compose
        .as_mut()
        .filter(|c| c.account_idx == account_idx)
    {
        c.plan.reply_uid = None;
    }
    if app.replying_mark.is_some_and(|(a, _)| a == account_idx) {
        app.replying_mark = None;
    }
    app.wake_refused.retain(|(a, _)| *a != account_idx);
    let Some(c) = app.column_mut(account_idx) else {
        return false;
    };
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
    true
}

/// The connection's state (online, connecting, offline until a retry).
pub(crate) fn on_link(app: &mut App, account_idx: usize, state: ConnState, at: i64) -> bool {
    app.now = app.now.max(at);
    let Some(c) = app.column_mut(account_idx) else {
        return false;
    };
    let link = Link::from_state(state, at);
    match &link {
        Link::Online { .. } => c.link_error = None,
        Link::Offline { error, .. } => c.link_error = Some(error.clone()),
        Link::Connecting => {}
    }
    c.link = Some(link);
    progress::on_link(c);
    true
}

/// A column without a server has loaded its rows.
pub(crate) fn on_loaded(app: &mut App, account_idx: usize) -> bool {
    let Some(c) = app
        .column_mut(account_idx)
        .filter(|c| c.state == LoadState::Loading)
    else {
        return false;
    };
    c.state = LoadState::Ready;
    true
}

/// What the engine decided at SELECT: the agent's rights (RFC 4314) on the mailbox and where
/// the account keeps team state (keywords or folders).
pub(crate) fn on_access(
    app: &mut App,
    account_idx: usize,
    rights: Rights,
    team_state: TeamStateAt,
) -> bool {
    let folders = team_state == TeamStateAt::Folders;
    if let Some(c) = app.column_mut(account_idx)
        && (c.team_folders != folders || c.rights != Some(rights))
    {
        c.team_folders = folders;
        c.rights = Some(rights);
        return true;
    }
    false
}
