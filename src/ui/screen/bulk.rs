//! Marked rows for bulk actions: `m` toggles the mark of the selected row, `M` (`:mark QUERY`)
//! marks every shown row of the focused column matching a search expression (the language of
//! `:search`, evaluated on the rows), `:unmark` and `Esc` clear them. While a column has marks,
//! the triage keys act on its marked rows instead of the selection (`screen::triage`), as one
//! step for `u`.

use crate::sanitize;
use crate::triage::query;
use crate::ui::app::App;

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
