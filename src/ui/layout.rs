//! Where things go on screen. Pure, so `app` (page sizes, wrapping width) and `draw` agree.

use ratatui::layout::Rect;

pub use crate::config::Layout;

/// Below this many cells per column, columns no longer fit side by side: show one with tabs.
pub const MIN_COLUMN_WIDTH: u16 = 40;
/// A row that an agent can read: the selection gutter, age (4), a sender of 14 cells, a
/// subject of 30, short team marks ("@carol", 6) and the flag marks (4), a space between
/// fields. `auto` never gives a column less than this (plus its border).
pub const READABLE_ROW: u16 = 1 + 4 + 1 + 14 + 1 + 30 + 1 + 6 + 1 + 4;
/// A readable column: a readable row inside its border.
pub const READABLE_COLUMN: u16 = READABLE_ROW + 2;
/// The width of an unfocused account's strip in the `focus` layout.
pub const STRIP_WIDTH: u16 = 22;

/// What one frame shows of the accounts, decided from the layout asked for and the width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrangement {
    /// Every account side by side.
    Columns,
    /// The focused account alone, under a tab strip.
    Tabs,
    /// The focused account wide, the others as strips.
    Focus,
    /// Every account's rows in one list.
    Unified,
}

impl Arrangement {
    pub fn name(self) -> &'static str {
        match self {
            Arrangement::Columns => "columns",
            Arrangement::Tabs => "tabs",
            Arrangement::Focus => "focus",
            Arrangement::Unified => "unified",
        }
    }
}

/// Width left to the focused column when the `ncols - 1` others are strips.
fn focus_width(width: u16, ncols: usize) -> u16 {
    let strips = u16::try_from(ncols.saturating_sub(1)).unwrap_or(u16::MAX);
    width.saturating_sub(strips.saturating_mul(STRIP_WIDTH))
}

/// How `layout` shows `ncols` accounts on `width` cells. `auto` puts them side by side while
/// every column is readable (`READABLE_COLUMN`), else the focused one wide beside strips
/// while it is, else one with tabs. One account is always one column.
pub fn arrange(layout: Layout, width: u16, ncols: usize) -> Arrangement {
    if ncols <= 1 {
        return Arrangement::Columns;
    }
    let n = u16::try_from(ncols).unwrap_or(u16::MAX);
    match layout {
        Layout::Auto if width / n >= READABLE_COLUMN => Arrangement::Columns,
        Layout::Auto if focus_width(width, ncols) >= READABLE_COLUMN => Arrangement::Focus,
        Layout::Auto | Layout::Tabs => Arrangement::Tabs,
        Layout::Columns if width / n >= MIN_COLUMN_WIDTH => Arrangement::Columns,
        Layout::Focus if focus_width(width, ncols) >= MIN_COLUMN_WIDTH => Arrangement::Focus,
        Layout::Columns | Layout::Focus => Arrangement::Tabs,
        Layout::Unified => Arrangement::Unified,
    }
}
/// Lines of a column's header: name, state and counts; then team counts and the filter.
pub const COLUMN_HEADER_LINES: u16 = 2;
/// Below this many lines a split reader would leave too little of either: it takes the screen.
const MIN_SPLIT_HEIGHT: u16 = 14;
/// Lines the columns keep above a split reader, at least.
const MIN_SPLIT_COLUMNS: u16 = 7;

/// Where the reader goes when a message is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReaderMode {
    /// The reader replaces the columns.
    #[default]
    Full,
    /// The columns stay on top, the reader below them.
    Split,
}

impl ReaderMode {
    pub fn name(self) -> &'static str {
        match self {
            ReaderMode::Full => "full",
            ReaderMode::Split => "split",
        }
    }
}

/// The screen's regions for one frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The tab strip, when only one column fits.
    pub tabs: Option<Rect>,
    /// (column index, its area, border included), left to right.
    pub columns: Vec<(usize, Rect)>,
    /// The `focus` layout's strips of the other accounts: (column index, area), left to right.
    pub strips: Vec<(usize, Rect)>,
    /// The `unified` layout: `columns` holds one area, the list of every account's rows.
    pub unified: bool,
    /// The reader: the whole area above the status line, or the part below the columns.
    pub reader: Option<Rect>,
    pub status: Rect,
}

/// The plan of the `auto` layout with a full-screen reader when `reader_open`.
pub fn plan(area: Rect, ncols: usize, focus: usize, reader_open: bool) -> Plan {
    plan_with(
        area,
        ncols,
        focus,
        reader_open.then_some(ReaderMode::Full),
        Layout::Auto,
    )
}

/// The plan of `layout` with the reader, when open, in `reader` mode.
pub fn plan_with(
    area: Rect,
    ncols: usize,
    focus: usize,
    reader: Option<ReaderMode>,
    layout: Layout,
) -> Plan {
    let mut main = Rect {
        height: area.height.saturating_sub(1),
        ..area
    };
    let status = Rect {
        y: area.y + main.height,
        height: area.height.min(1),
        ..area
    };
    let mut plan = Plan {
        tabs: None,
        columns: Vec::new(),
        strips: Vec::new(),
        unified: false,
        reader: None,
        status,
    };
    match reader {
        Some(ReaderMode::Split) if main.height >= MIN_SPLIT_HEIGHT && ncols > 0 => {
            let top = (main.height * 2 / 5).max(MIN_SPLIT_COLUMNS);
            plan.reader = Some(Rect {
                y: main.y + top,
                height: main.height - top,
                ..main
            });
            main.height = top;
        }
        Some(_) => {
            plan.reader = Some(main);
            return plan;
        }
        None => {}
    }
    if ncols == 0 {
        return plan;
    }
    let n = u16::try_from(ncols).unwrap_or(u16::MAX);
    let focus = focus.min(ncols - 1);
    let arrangement = arrange(layout, main.width, ncols);
    if arrangement == Arrangement::Unified {
        plan.unified = true;
        plan.columns.push((focus, main));
        return plan;
    }
    if arrangement == Arrangement::Focus {
        // In account order, so `h`/`l` move the wide one the way the strips lie.
        let mut x = main.x;
        for i in 0..ncols {
            let w = if i == focus {
                focus_width(main.width, ncols)
            } else {
                STRIP_WIDTH
            };
            let r = Rect {
                x,
                width: w,
                ..main
            };
            if i == focus {
                plan.columns.push((i, r));
            } else {
                plan.strips.push((i, r));
            }
            x += w;
        }
        return plan;
    }
    if arrangement == Arrangement::Tabs {
        let tabs = Rect {
            height: main.height.min(1),
            ..main
        };
        let body = Rect {
            y: main.y + tabs.height,
            height: main.height - tabs.height,
            ..main
        };
        plan.tabs = Some(tabs);
        plan.columns.push((focus, body));
        return plan;
    }
    // Spread the remainder over the leftmost columns so the whole width is used.
    let (base, extra) = (main.width / n, main.width % n);
    let mut x = main.x;
    for i in 0..n {
        let w = base + u16::from(i < extra);
        plan.columns.push((
            usize::from(i),
            Rect {
                x,
                width: w,
                ..main
            },
        ));
        x += w;
    }
    plan
}

/// Message rows a column shows on a `width`×`height` screen of `ncols` columns in `layout`,
/// the reader closed: what a cold sync fetches first (`imap::sync::FirstBatch`).
pub fn list_rows(width: u16, height: u16, ncols: usize, layout: Layout) -> usize {
    let plan = plan_with(Rect::new(0, 0, width, height), ncols, 0, None, layout);
    plan.columns
        .first()
        .map_or(0, |(_, r)| usize::from(column_parts(*r).1.height))
}

/// A column's area inside its border: (header lines, message rows).
pub fn column_parts(area: Rect) -> (Rect, Rect) {
    let inner = Rect {
        x: area.x.saturating_add(1),
        y: area.y.saturating_add(1),
        width: area.width.saturating_sub(2),
        height: area.height.saturating_sub(2),
    };
    let header = Rect {
        height: inner.height.min(COLUMN_HEADER_LINES),
        ..inner
    };
    let rows = Rect {
        y: inner.y + header.height,
        height: inner.height - header.height,
        ..inner
    };
    (header, rows)
}

/// The reader's area: (header lines, a separator line, the scrolling body).
pub fn reader_parts(area: Rect, header_lines: usize) -> (Rect, Rect, Rect) {
    let hh = u16::try_from(header_lines)
        .unwrap_or(u16::MAX)
        .min(area.height);
    let headers = Rect { height: hh, ..area };
    let sep = Rect {
        y: area.y + hh,
        height: (area.height - hh).min(1),
        ..area
    };
    let body = Rect {
        y: sep.y + sep.height,
        height: area.height - hh - sep.height,
        ..area
    };
    (headers, sep, body)
}

/// The compose pane over the whole screen but the status line.
pub fn compose_area(area: Rect) -> Rect {
    Rect {
        height: area.height.saturating_sub(1),
        ..area
    }
}

/// The note pane: the lower part of the screen (half of it, at least 8 lines) above the
/// status line; `None` when the screen is too small for it.
pub fn note_area(area: Rect) -> Option<Rect> {
    let main_h = area.height.saturating_sub(1);
    let height = (main_h / 2).max(8).min(main_h);
    if area.width < 10 || height < 4 {
        return None;
    }
    Some(Rect {
        x: area.x,
        y: area.y + main_h - height,
        width: area.width,
        height,
    })
}

/// A pane's area inside its border.
pub fn inside_border(area: Rect) -> Rect {
    Rect {
        x: area.x.saturating_add(1),
        y: area.y.saturating_add(1),
        width: area.width.saturating_sub(2),
        height: area.height.saturating_sub(2),
    }
}

/// The help overlay: centred, at most 80 cells wide, above the status line.
pub fn help_area(area: Rect) -> Rect {
    let main_h = area.height.saturating_sub(1);
    let width = area.width.saturating_sub(4).min(80).max(area.width.min(20));
    let height = main_h.saturating_sub(2).max(main_h.min(5));
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (main_h - height) / 2,
        width,
        height,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_terminals_get_side_by_side_columns() {
        let p = plan(Rect::new(0, 0, 200, 30), 3, 1, false);
        assert!(p.tabs.is_none() && p.strips.is_empty());
        assert_eq!(p.columns.len(), 3);
        assert_eq!(p.columns.iter().map(|(_, r)| r.width).sum::<u16>(), 200);
        let p = plan_with(Rect::new(0, 0, 120, 30), 3, 1, None, Layout::Columns);
        assert!(p.tabs.is_none());
        assert_eq!(p.columns.len(), 3);
        assert_eq!(p.columns.iter().map(|(_, r)| r.width).sum::<u16>(), 120);
        assert_eq!(p.status, Rect::new(0, 29, 120, 1));
    }

    #[test]
    fn narrow_terminals_get_tabs_and_the_focused_column() {
        let p = plan(Rect::new(0, 0, 60, 20), 3, 2, false);
        assert_eq!(p.tabs, Some(Rect::new(0, 0, 60, 1)));
        assert_eq!(p.columns, vec![(2, Rect::new(0, 1, 60, 18))]);
    }

    #[test]
    fn a_split_reader_sits_below_the_columns() {
        let p = plan_with(
            Rect::new(0, 0, 120, 40),
            3,
            0,
            Some(ReaderMode::Split),
            Layout::Columns,
        );
        let reader = p.reader.expect("reader");
        let col = p.columns[0].1;
        assert_eq!(col.y + col.height, reader.y);
        assert_eq!(reader.y + reader.height, 39);
        assert!(col.height >= MIN_SPLIT_COLUMNS && reader.height > col.height);
        // Too short to split: the reader takes the screen.
        let p = plan_with(
            Rect::new(0, 0, 120, 10),
            3,
            0,
            Some(ReaderMode::Split),
            Layout::Columns,
        );
        assert!(p.columns.is_empty());
        assert_eq!(p.reader, Some(Rect::new(0, 0, 120, 9)));
    }

    #[test]
    fn a_column_shows_the_screen_less_its_frame_header_and_status_line() {
        // 60 lines: the status line, two borders and two header lines are not rows.
        assert_eq!(list_rows(200, 60, 3, Layout::Auto), 55);
        assert_eq!(list_rows(120, 60, 3, Layout::Focus), 55);
        // Tabs take a line when the columns do not fit side by side.
        assert_eq!(list_rows(60, 20, 3, Layout::Auto), 14);
        assert_eq!(list_rows(200, 20, 3, Layout::Tabs), 14);
        assert_eq!(list_rows(0, 0, 3, Layout::Auto), 0);
        assert_eq!(list_rows(200, 60, 0, Layout::Auto), 0);
    }

    #[test]
    fn auto_keeps_every_column_readable_then_focuses_then_tabs() {
        use Arrangement::*;
        // Three accounts: side by side down to 65 cells each, today's view at 200 columns.
        assert_eq!(arrange(Layout::Auto, 200, 3), Columns);
        assert_eq!(arrange(Layout::Auto, 3 * READABLE_COLUMN, 3), Columns);
        assert_eq!(arrange(Layout::Auto, 3 * READABLE_COLUMN - 1, 3), Focus);
        // At 120 three columns would get 40 cells (a 10-cell subject): one wide, two strips.
        assert_eq!(arrange(Layout::Auto, 120, 3), Focus);
        assert_eq!(
            arrange(Layout::Auto, 2 * STRIP_WIDTH + READABLE_COLUMN, 3),
            Focus
        );
        assert_eq!(
            arrange(Layout::Auto, 2 * STRIP_WIDTH + READABLE_COLUMN - 1, 3),
            Tabs
        );
        assert_eq!(arrange(Layout::Auto, 80, 3), Tabs);
        assert_eq!(arrange(Layout::Auto, 80, 2), Tabs);
        assert_eq!(arrange(Layout::Auto, 130, 2), Columns);
        // One account is one column whatever the width or layout.
        for l in Layout::ALL {
            assert_eq!(arrange(l, 30, 1), Columns);
        }
        // Asked for, a layout holds while its columns reach 40 cells; tabs below.
        assert_eq!(arrange(Layout::Columns, 120, 3), Columns);
        assert_eq!(arrange(Layout::Columns, 119, 3), Tabs);
        assert_eq!(arrange(Layout::Tabs, 300, 3), Tabs);
        assert_eq!(arrange(Layout::Focus, 300, 3), Focus);
        assert_eq!(arrange(Layout::Focus, 80, 3), Tabs);
        assert_eq!(arrange(Layout::Focus, 80, 2), Focus);
        assert_eq!(arrange(Layout::Unified, 80, 3), Unified);
        assert_eq!(arrange(Layout::Unified, 80, 1), Columns);
    }

    #[test]
    fn every_column_auto_shows_side_by_side_holds_a_readable_row() {
        for width in 60..=400 {
            for n in 2..=5 {
                let p = plan_with(Rect::new(0, 0, width, 30), n, n - 1, None, Layout::Auto);
                for (_, r) in &p.columns {
                    let inner = column_parts(*r).1.width;
                    assert!(p.tabs.is_some() || inner >= READABLE_ROW, "{width} {n}");
                }
            }
        }
    }

    #[test]
    fn focus_puts_strips_around_the_wide_column_in_account_order() {
        let p = plan_with(Rect::new(0, 0, 120, 40), 3, 1, None, Layout::Auto);
        assert!(p.tabs.is_none());
        assert_eq!(p.columns, vec![(1, Rect::new(22, 0, 76, 39))]);
        assert_eq!(
            p.strips,
            vec![(0, Rect::new(0, 0, 22, 39)), (2, Rect::new(98, 0, 22, 39))]
        );
    }

    #[test]
    fn help_fits_any_screen() {
        for (w, h) in [(0, 0), (1, 1), (10, 3), (80, 24), (300, 100)] {
            let area = Rect::new(0, 0, w, h);
            let r = help_area(area);
            assert!(r.x + r.width <= w && r.y + r.height <= h.saturating_sub(1));
        }
    }

    #[test]
    fn tiny_areas_do_not_underflow() {
        let p = plan(Rect::new(0, 0, 1, 1), 3, 0, false);
        let (h, r) = column_parts(p.columns[0].1);
        assert_eq!((h.height, r.height), (0, 0));
        let p = plan(Rect::new(0, 0, 0, 0), 2, 0, true);
        assert_eq!(p.reader.map(|r| r.height), Some(0));
    }
}
