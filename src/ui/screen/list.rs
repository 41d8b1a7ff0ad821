//! The column list's keys and actions: moving, narrowing, search, threads, flag toggles
//! and the answers to flag changes.

use crate::engine::Request;
use crate::message::Flags;
use crate::sanitize;
use crate::triage::query;
use crate::ui::app::App;
use crate::ui::keys::Action;
use crate::ui::screen::Handled;
use crate::ui::screen::columns::{Search, SearchState};
use crate::ui::screen::prompt::line::{Prompt, PromptKind};

/// A flag change sent and not yet answered, so a refusal can undo what the row shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PendingStore {
    pub(crate) account_idx: usize,
    pub(crate) uid: u32,
    pub(crate) flag: FlagKind,
    /// The value shown before the optimistic change.
    pub(crate) before: bool,
}

/// The flags keys toggle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FlagKind {
    Seen,
    Flagged,
}

impl FlagKind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            FlagKind::Seen => "\\Seen",
            FlagKind::Flagged => "\\Flagged",
        }
    }

    /// The ACL right a change needs (RFC 4314): `s` keeps \Seen, `w` writes other flags.
    pub(crate) fn right(self) -> char {
        match self {
            FlagKind::Seen => 's',
            FlagKind::Flagged => 'w',
        }
    }

    pub(crate) fn get(self, f: &Flags) -> bool {
        match self {
            FlagKind::Seen => f.seen,
            FlagKind::Flagged => f.flagged,
        }
    }

    pub(crate) fn set(self, f: &mut Flags, on: bool) {
        match self {
            FlagKind::Seen => f.seen = on,
            FlagKind::Flagged => f.flagged = on,
        }
    }

    pub(crate) fn only(self) -> Flags {
        let mut f = Flags::default();
        self.set(&mut f, true);
        f
    }
}

/// The answer to a flag change: a refusal undoes the optimistic row (unless a newer change
/// of the same flag is on its way) and says why; IMAP then syncs, so the row shows the truth.
pub(crate) fn store_done(
    app: &mut App,
    account_idx: usize,
    id: u64,
    uid: u32,
    result: Result<(), String>,
) -> Handled {
    if let Some(handled) = crate::ui::undo::on_store_done(app, account_idx, id, uid, &result) {
        return handled;
    }
    let pending = app.pending_stores.remove(&id);
    let woken = app.waking.remove(&id);
    let Err(e) = result else {
        return None;
    };
    // A refused wake: the row shows the snooze again (it is still on the server), and it
    // is not asked again this session.
    if let Some((a, u, keywords)) = woken {
        app.wake_refused.insert((a, u));
        if let Some(c) = app.column_mut(a) {
            c.edit_row(u, |row| {
                for k in keywords {
                    if !row.keywords.contains(&k) {
                        row.keywords.push(&k);
                    }
                }
            });
        }
    }
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
        c.edit_row(uid, |row| p.flag.set(&mut row.flags, p.before));
    }
    Some(
        match app.columns.iter().find(|c| c.account_idx == account_idx) {
            Some(c) if c.imap => vec![Request::Refresh { account_idx }],
            _ => Vec::new(),
        },
    )
}

/// `e` / `E` in the list: folds or unfolds the selected thread, or every thread of the
/// focused column.
pub(crate) fn fold(app: &mut App, all: bool) {
    let h = app.list_height();
    let Some(c) = app.columns.get_mut(app.focus) else {
        return;
    };
    let said = c.fold(all, h);
    app.say(said);
}

/// Groups rows by thread in every column, or back to the flat list (`None`: the other one).
pub(crate) fn set_threads(app: &mut App, on: Option<bool>) {
    let on = on.unwrap_or(!app.threaded);
    // The unified list merges the columns by their own order: threads would interleave.
    if on && crate::ui::screen::columns::unified::is_unified(app) {
        app.say("threads: not in the unified layout (:layout columns, then t)");
        return;
    }
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

/// `:search`: the query language of `triage::query`. The server searches an IMAP account; a
/// local folder is searched in its rows, or by its account thread when the query reads the
/// messages' text (`body:`). A query that is wrong, or asks what the account cannot search, is
/// refused at once, naming the term. An empty query clears the search.
pub(crate) fn search(app: &mut App, query: &str) -> Vec<Request> {
    let h = app.list_height();
    let query = query.trim();
    let id = app.take_id();
    let offset = app
        .config
        .as_ref()
        .and_then(|c| c.insight.timezone_offset.as_deref())
        .and_then(|t| crate::config::parse_offset(t).ok())
        .unwrap_or(0);
    // The app's clock (every tick), else the column's.
    let now = app.now;
    let Some(c) = app.columns.get_mut(app.focus) else {
        return Vec::new();
    };
    if query.is_empty() {
        c.search = None;
        c.refilter(h);
        return Vec::new();
    }
    let ctx = query::Context {
        me: c.agent.as_deref(),
        now: if now > 0 { now } else { c.now },
        offset,
        team_folders: c.team_folders,
        within: false,
    };
    let parsed = query::parse(query).and_then(|q| q.check(&ctx, false).map(|()| q));
    let q = match parsed {
        Ok(q) => q,
        Err(e) => {
            app.fail(format!("search: {e}"));
            return Vec::new();
        }
    };
    if c.imap || q.needs_body() {
        c.search = Some(Search {
            query: query.to_string(),
            id,
            state: SearchState::Pending,
        });
        c.refilter(h);
        return vec![Request::Search {
            account_idx: c.account_idx,
            id,
            query: query.to_string(),
        }];
    }
    let found = c
        .rows
        .iter()
        .filter(|s| q.matches(s, &ctx))
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
pub(crate) fn clear_narrowing(app: &mut App) -> bool {
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

/// Why flag `kind` may not be changed in the column of `account_idx` (its rights).
fn flag_refused(app: &App, account_idx: usize, kind: FlagKind) -> Option<String> {
    let c = app.columns.iter().find(|c| c.account_idx == account_idx)?;
    let rights = c.rights.filter(|r| !r.has(kind.right()))?;
    let shown = rights.to_string();
    Some(format!(
        "{}: you may not change {} here (your rights: {}; it needs {:?})",
        c.name,
        kind.name(),
        if shown.is_empty() { "none" } else { &shown },
        kind.right()
    ))
}

/// Space / `!`: flips `\Seen` or `\Flagged` of the open message, else the selected one. The
/// row changes at once; the worker stores it and the sync that follows confirms or corrects
/// it. Refused up front when the account's rights do not allow it.
pub(crate) fn toggle(app: &mut App, kind: FlagKind) -> Vec<Request> {
    if let Some((account_idx, uids)) = crate::ui::screen::bulk::marked(app) {
        if let Some(why) = flag_refused(app, account_idx, kind) {
            app.fail(why);
            return Vec::new();
        }
        return crate::ui::screen::bulk::toggle_marked(app, account_idx, uids, kind);
    }
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
    let Some(before) = c.rows.by_uid(uid).map(|row| kind.get(&row.flags)) else {
        app.fail("the message is no longer in the list");
        return Vec::new();
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
    // One undo step, like the same toggle on marked rows (`u` sets the flag back).
    app.undo.push(crate::ui::undo::Step {
        what: crate::ui::screen::bulk::flag_verb(kind, !before).to_string(),
        items: vec![crate::ui::undo::Item {
            account_idx,
            uid,
            before: Default::default(),
            after: Default::default(),
            flag: Some((kind, before)),
            modseq: None,
            moved: None,
        }],
    });
    vec![crate::ui::screen::bulk::store_flag(
        app,
        account_idx,
        uid,
        kind,
        !before,
    )]
}

pub(crate) fn list_action(app: &mut App, action: Action) -> Vec<Request> {
    if crate::ui::screen::columns::unified::unified_action(app, action) {
        return Vec::new();
    }
    let n = app.columns.len();
    let h = app.list_height();
    match action {
        Action::Quit => return app.leave(),
        Action::Clear => {
            if !crate::ui::screen::bulk::clear_marks(app) && !clear_narrowing(app) {
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
        Action::Open => return crate::ui::screen::reader::navigate::open_selected(app),
        _ => {}
    }
    Vec::new()
}

/// A server search's answer, if it is for the column's current search.
pub(crate) fn on_search_done(
    app: &mut App,
    account_idx: usize,
    id: u64,
    result: Result<Vec<u32>, String>,
) -> bool {
    let h = app.list_height();
    let Some(c) = app.column_mut(account_idx) else {
        return false;
    };
    // An answer to an older or cleared search is stale.
    let Some(search) = c.search.as_mut().filter(|s| s.id == id) else {
        return false;
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
    true
}
