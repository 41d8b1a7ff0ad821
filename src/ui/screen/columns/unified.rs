//! The `unified` layout: every account's shown rows as one list, sorted together, each row
//! drawn with its account's name. Nothing is copied: the list is a merge of the columns' own
//! shown rows (each already in order), walked from the selected row for the page on screen
//! (O(height · accounts · log N) a frame, whatever the mailboxes hold). The selected row is
//! the focused column's selected row, so every key and action works as in the other layouts
//! and goes to that row's account.

use super::Column;
use crate::config::keys::Action;
use crate::mail::sort::{Sort, SortKey};
use crate::ui::app::App;
use crate::ui::layout::{Arrangement, arrange};

/// Where a row sorts in the unified list: its order's key, then its column (two accounts may
/// hold the same UID with the same arrival time).
type UKey = (SortKey, usize);

/// The order of the unified list: the columns' own when they all agree (`s` and `:sort` set
/// every column's in this layout), else newest first.
pub fn unified_sort(columns: &[Column]) -> Sort {
    let first = columns.first().map_or(Sort::Date, |c| c.sort);
    if columns.iter().all(|c| c.sort == first) {
        first
    } else {
        Sort::Date
    }
}

/// Whether the screen shows the unified list now.
pub fn is_unified(app: &App) -> bool {
    arrange(app.layout, app.size().0, app.columns.len()) == Arrangement::Unified
}

fn key(sort: Sort, columns: &[Column], ci: usize, i: usize) -> Option<UKey> {
    let s = columns.get(ci)?.shown(i)?;
    Some((sort.key(s), ci))
}

/// Positions in every column: how many of each column's shown rows come before a point of
/// the unified list.
#[derive(Clone)]
struct Cursor<'a> {
    columns: &'a [Column],
    sort: Sort,
    pos: Vec<usize>,
}

impl<'a> Cursor<'a> {
    /// Before the row of key `k` (which need not be shown): a binary search per column.
    fn before(columns: &'a [Column], sort: Sort, k: &UKey) -> Cursor<'a> {
        let pos = (0..columns.len())
            .map(|ci| {
                let (mut lo, mut hi) = (0, columns[ci].shown_len());
                while lo < hi {
                    let mid = lo + (hi - lo) / 2;
                    if key(sort, columns, ci, mid).is_some_and(|m| m < *k) {
                        lo = mid + 1;
                    } else {
                        hi = mid;
                    }
                }
                lo
            })
            .collect();
        Cursor { columns, sort, pos }
    }

    fn start(columns: &'a [Column], sort: Sort) -> Cursor<'a> {
        Cursor {
            columns,
            sort,
            pos: vec![0; columns.len()],
        }
    }

    fn end(columns: &'a [Column], sort: Sort) -> Cursor<'a> {
        Cursor {
            columns,
            sort,
            pos: columns.iter().map(Column::shown_len).collect(),
        }
    }

    /// The next row of the list (column, index in its shown rows), and steps over it.
    fn next(&mut self) -> Option<(usize, usize)> {
        let ci = (0..self.columns.len())
            .filter_map(|ci| Some((key(self.sort, self.columns, ci, self.pos[ci])?, ci)))
            .min()?
            .1;
        self.pos[ci] += 1;
        Some((ci, self.pos[ci] - 1))
    }

    /// The row before, and steps back over it.
    fn prev(&mut self) -> Option<(usize, usize)> {
        let ci = (0..self.columns.len())
            .filter_map(|ci| {
                let i = self.pos[ci].checked_sub(1)?;
                Some((key(self.sort, self.columns, ci, i)?, ci))
            })
            .max()?
            .1;
        self.pos[ci] -= 1;
        Some((ci, self.pos[ci]))
    }
}

/// The selected row's key: the focused column's selected row.
fn selected_key(app: &App, sort: Sort) -> Option<UKey> {
    let c = app.columns.get(app.focus)?;
    Some((sort.key(c.selected_row()?), app.focus))
}

/// The rows on a page of `height` (column, index in its shown rows), top to bottom, with the
/// selected row `app.unified_row` lines down (fewer when the list starts closer).
pub fn page(app: &App, height: usize) -> Vec<(usize, usize)> {
    let sort = unified_sort(&app.columns);
    let mut cursor = match selected_key(app, sort) {
        Some(k) => {
            let mut c = Cursor::before(&app.columns, sort, &k);
            // Rows from the selected one down; rows above fill what they leave blank.
            let mut down = c.clone();
            let below = (0..height).map_while(|_| down.next()).count();
            let above = app
                .unified_row
                .min(height.saturating_sub(1))
                .max(height - below);
            for _ in 0..above {
                if c.prev().is_none() {
                    break;
                }
            }
            c
        }
        None => Cursor::start(&app.columns, sort),
    };
    (0..height).map_while(|_| cursor.next()).collect()
}

/// How many rows the unified list holds.
pub fn total(app: &App) -> usize {
    app.columns.iter().map(Column::shown_len).sum()
}

/// Selects the row `ci`/`i`: its column takes the focus and selects it.
fn select(app: &mut App, (ci, i): (usize, usize), height: usize) {
    app.focus = ci;
    if let Some(c) = app.columns.get_mut(ci) {
        c.select(i, height);
    }
}

/// The list's moves in the unified layout (the other keys act on the selected row as
/// anywhere); true when `action` was one. Moving between columns means nothing here.
pub(crate) fn unified_action(app: &mut App, action: Action) -> bool {
    if !is_unified(app) {
        return false;
    }
    let h = app.list_height();
    let half = h.div_ceil(2).max(1);
    let sort = unified_sort(&app.columns);
    let steps: isize = match action {
        Action::ColumnLeft | Action::ColumnRight | Action::NextColumn | Action::PrevColumn => {
            return true;
        }
        Action::Down => 1,
        Action::Up => -1,
        Action::HalfPageDown => half as isize,
        Action::HalfPageUp => -(half as isize),
        Action::PageDown => h.max(1) as isize,
        Action::PageUp => -(h.max(1) as isize),
        Action::Top => {
            let first = Cursor::start(&app.columns, sort).next();
            if let Some(at) = first {
                select(app, at, h);
            }
            app.unified_row = 0;
            return true;
        }
        Action::Bottom => {
            let last = Cursor::end(&app.columns, sort).prev();
            if let Some(at) = last {
                select(app, at, h);
            }
            app.unified_row = h.saturating_sub(1);
            return true;
        }
        _ => return false,
    };
    let target = match selected_key(app, sort) {
        None => Cursor::start(&app.columns, sort).next(),
        Some(k) => {
            let mut c = Cursor::before(&app.columns, sort, &k);
            let mut at = None;
            if steps > 0 {
                // The first `next` is the selected row itself.
                for _ in 0..=steps {
                    match c.next() {
                        Some(r) => at = Some(r),
                        None => break,
                    }
                }
            } else {
                for _ in 0..steps.unsigned_abs() {
                    match c.prev() {
                        Some(r) => at = Some(r),
                        None => break,
                    }
                }
            }
            at
        }
    };
    if let Some(at) = target {
        select(app, at, h);
    }
    app.unified_row = app
        .unified_row
        .saturating_add_signed(steps)
        .min(h.saturating_sub(1));
    true
}
