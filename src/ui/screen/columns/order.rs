//! A column's order (`:sort`, `s`): date (newest first, how `rows` keeps them), waiting,
//! sender, subject or due (`mail::sort`). Another order than date is kept as the shown rows' keys
//! in that order, made again when the rows shown change (a batch, an expunge, a filter),
//! never per frame; flag changes do not move a row in any order. Threads keep their own order.

use super::Column;
use super::merge::Narrowed;
use super::rows::Key;
use crate::mail::sort::Sort;

impl Column {
    /// The column's order.
    pub fn sort(&self) -> Sort {
        self.sort
    }

    /// Shows the rows in `sort`; the selected message stays selected (and where it was on
    /// screen).
    pub(crate) fn set_sort(&mut self, sort: Sort, height: usize) {
        self.keeping_order(height, |c| c.sort = sort);
    }

    /// Makes the shown rows' keys in the column's order again, when it is not date and threads
    /// are off: O(N log N) over the shown rows, each row's sort key computed once.
    pub(crate) fn reorder(&mut self) {
        self.order = None;
        if self.sort == Sort::Date || self.threads.is_some() {
            return;
        }
        let sort = self.sort;
        let mut keyed: Vec<_> = match &self.view {
            Some(Narrowed::Keys(k)) => k
                .iter()
                .filter_map(|key| self.rows.by_key(*key))
                .map(|s| (sort.key(s), Key::of(s)))
                .collect(),
            None => self
                .rows
                .iter()
                .map(|s| (sort.key(s), Key::of(s)))
                .collect(),
        };
        keyed.sort_unstable();
        self.order = Some(keyed.into_iter().map(|(_, k)| k).collect());
    }

    /// Runs `f`, a change to the rows or to what the column shows, on the rows in date order,
    /// then puts them in the column's order again: the selection follows its message, at the
    /// same place on screen.
    pub(crate) fn keeping_order<R>(
        &mut self,
        height: usize,
        f: impl FnOnce(&mut Column) -> R,
    ) -> R {
        let on_screen = self.selected.saturating_sub(self.offset);
        let follow = |c: &mut Column, uid: Option<u32>| {
            if let Some(i) = uid.and_then(|u| c.position_of(u)) {
                c.selected = i;
                c.offset = i.saturating_sub(on_screen);
            }
        };
        let before = self.selected_row().map(|s| s.uid);
        if self.order.is_some() {
            self.order = None;
            follow(self, before);
        }
        let out = f(self);
        // The message selected before, while it is shown (date order's "new mail keeps the
        // top selected" does not hold in another order); else where `f` moved the selection.
        let keep = before
            .filter(|&u| self.sort != Sort::Date && self.position_of(u).is_some())
            .or_else(|| self.selected_row().map(|s| s.uid));
        self.reorder();
        if self.order.is_some() {
            follow(self, keep);
        }
        self.clamp_view(height);
        out
    }
}

/// `:sort [KEY]` and the `s` key: the focused column in order `sort` (`None`: the next one);
/// the other columns keep theirs.
pub(crate) fn sort_column(app: &mut crate::ui::app::App, sort: Option<Sort>) {
    let h = app.list_height();
    let unified = super::unified::is_unified(app);
    let Some(c) = app.columns.get(app.focus) else {
        return;
    };
    // `due` is in the cycle of a column with a first-response target.
    let sort = sort.unwrap_or(if c.sla.is_some() {
        c.sort.next_with_due()
    } else {
        c.sort.next()
    });
    let name = if unified {
        // The one list is sorted together: every column in the same order.
        for c in &mut app.columns {
            c.set_sort(sort, h);
        }
        "all mailboxes".to_string()
    } else {
        let c = &mut app.columns[app.focus];
        c.set_sort(sort, h);
        c.name.clone()
    };
    let what = match sort {
        Sort::Date => "newest first",
        Sort::Waiting => "longest waiting first",
        Sort::Sender => "by sender",
        Sort::Subject => "by subject",
        Sort::Due => "due first",
    };
    app.say(if app.threaded {
        format!("{name}: {what} once threads are off (t); threads keep newest thread first")
    } else {
        format!("{name}: {what} (s: next order, :sort KEY)")
    });
}

/// `:sort` with what was typed: a key, or nothing for the next order.
pub(crate) fn sort_command(
    app: &mut crate::ui::app::App,
    arg: &str,
) -> Vec<crate::engine::Request> {
    if arg.trim().is_empty() {
        sort_column(app, None);
    } else if let Some(sort) = Sort::parse(arg) {
        sort_column(app, Some(sort));
    } else {
        app.fail(format!(
            "no order {:?} (use {})",
            crate::sanitize::single_line(arg),
            Sort::names()
        ));
    }
    Vec::new()
}
