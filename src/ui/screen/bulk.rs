//! Marked rows for bulk actions: `m` toggles the mark of the selected row, `M` (`:mark QUERY`)
//! marks every shown row of the focused column matching a search expression (the language of
//! `:search`, evaluated on the rows), `:unmark` and `Esc` clear them. While a column has marks,
//! the triage keys act on its marked rows instead of the selection (`screen::triage`), as one
//! step for `u`.

use crate::backend::FlagChange;
use crate::engine::Request;
use crate::sanitize;
use crate::triage::query;
use crate::triage::state::TeamState;
use crate::ui::app::App;
use crate::ui::screen::list::{FlagKind, PendingStore};
use crate::ui::undo::{Item, Step};

/// Sets flag `kind` of one row to `on` at once and returns the store that makes it so (its
/// refusal puts the row back, as for a toggle).
pub(crate) fn store_flag(
    app: &mut App,
    account_idx: usize,
    uid: u32,
    kind: FlagKind,
    on: bool,
) -> Request {
    if let Some(c) = app.column_mut(account_idx) {
        c.edit_row(uid, |row| kind.set(&mut row.flags, on));
    }
    let id = app.take_id();
    app.pending_stores.insert(
        id,
        PendingStore {
            account_idx,
            uid,
            flag: kind,
            before: !on,
        },
    );
    let change = if on {
        FlagChange {
            add_flags: kind.only(),
            ..FlagChange::default()
        }
    } else {
        FlagChange {
            remove_flags: kind.only(),
            ..FlagChange::default()
        }
    };
    Request::Store {
        account_idx,
        id,
        uid,
        change,
        guard: None,
    }
}

/// What setting flag `kind` to `on` is called in undo steps and summaries.
pub(crate) fn flag_verb(kind: FlagKind, on: bool) -> &'static str {
    match (kind, on) {
        (FlagKind::Seen, true) => "mark read",
        (FlagKind::Seen, false) => "mark unread",
        (FlagKind::Flagged, true) => "flag",
        (FlagKind::Flagged, false) => "unflag",
    }
}

/// Space / `!` with marked rows: sets the flag on every marked row (clears it when all have
/// it), as one undo step; the marks are cleared.
pub(crate) fn toggle_marked(
    app: &mut App,
    account_idx: usize,
    uids: Vec<u32>,
    kind: FlagKind,
) -> Vec<Request> {
    let Some(c) = app.columns.iter().find(|c| c.account_idx == account_idx) else {
        return Vec::new();
    };
    let name = c.name.clone();
    let values: Vec<(u32, bool)> = uids
        .iter()
        .filter_map(|&u| c.rows.by_uid(u).map(|s| (u, kind.get(&s.flags))))
        .collect();
    let on = !values.iter().all(|(_, v)| *v);
    let mut requests = Vec::new();
    let mut items = Vec::new();
    for (uid, before) in values.into_iter().filter(|(_, v)| *v != on) {
        requests.push(store_flag(app, account_idx, uid, kind, on));
        items.push(Item {
            account_idx,
            uid,
            before: TeamState::default(),
            after: TeamState::default(),
            flag: Some((kind, before)),
            modseq: None,
            moved: None,
        });
    }
    let what = flag_verb(kind, on);
    app.say(format!("{name}: {what}: {} messages", items.len()));
    app.undo.push(Step {
        what: what.to_string(),
        items,
    });
    clear_marks(app);
    requests
}

/// The focused column's marked rows (account, UIDs newest first) when it has any and no message
/// is open: what a triage key acts on then.
pub(crate) fn marked(app: &App) -> Option<(usize, Vec<u32>)> {
    if app.reader.is_some() {
        return None;
    }
    let c = app.columns.get(app.focus)?;
    let uids: Vec<u32> = c
        .rows
        .iter()
        .map(|s| s.uid)
        .filter(|u| c.marked.contains(u))
        .collect();
    (!uids.is_empty()).then_some((c.account_idx, uids))
}

/// `m`: marks or unmarks the selected row and moves to the next one.
pub(crate) fn toggle_mark(app: &mut App) {
    let h = app.list_height();
    let Some(c) = app.columns.get_mut(app.focus) else {
        return;
    };
    let Some(uid) = c.selected_row().map(|s| s.uid) else {
        app.say("no message selected");
        return;
    };
    if !c.marked.remove(&uid) {
        c.marked.insert(uid);
    }
    let next = c.selected + 1;
    if next < c.shown_len() {
        c.select(next, h);
    }
}

/// `:mark QUERY` (`M`): marks every shown row of the focused column that matches.
pub(crate) fn mark_matching(app: &mut App, text: &str) {
    let offset = app
        .config
        .as_ref()
        .and_then(|c| c.insight.timezone_offset.as_deref())
        .and_then(|t| crate::config::parse_offset(t).ok())
        .unwrap_or(0);
    let now = app.now;
    let Some(c) = app.columns.get_mut(app.focus) else {
        return;
    };
    let ctx = query::Context {
        me: c.agent.as_deref(),
        now: if now > 0 { now } else { c.now },
        offset,
        team_folders: c.team_folders,
        within: false,
    };
    let q = match query::parse(text.trim()).and_then(|q| q.check(&ctx, true).map(|()| q)) {
        Ok(q) => q,
        Err(e) => {
            app.fail(format!("mark: {e}"));
            return;
        }
    };
    let found: Vec<u32> = (0..c.shown_len())
        .filter_map(|i| c.shown(i))
        .filter(|s| q.matches(s, &ctx))
        .map(|s| s.uid)
        .collect();
    let n = found.len();
    c.marked.extend(found);
    let message = format!(
        "{}: marked {n} row{} matching {}; {} marked (Esc clears)",
        c.name,
        if n == 1 { "" } else { "s" },
        sanitize::single_line(text.trim()),
        c.marked.len()
    );
    app.say(message);
}

/// `:unmark`, `Esc`: clears the focused column's marks; false when there were none.
pub(crate) fn clear_marks(app: &mut App) -> bool {
    match app.columns.get_mut(app.focus) {
        Some(c) if !c.marked.is_empty() => {
            c.marked.clear();
            true
        }
        _ => false,
    }
}
