//! Where things go on screen. Pure, so `app` (page sizes, wrapping width) and `draw` agree.

use ratatui::layout::Rect;

/// Below this many cells per column, columns no longer fit side by side: show one with tabs.
pub const MIN_COLUMN_WIDTH: u16 = 40;
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
    /// The reader: the whole area above the status line, or the part below the columns.
    pub reader: Option<Rect>,
    pub status: Rect,
}

/// The plan with a full-screen reader when `reader_open`.
pub fn plan(area: Rect, ncols: usize, focus: usize, reader_open: bool) -> Plan {
    plan_with(area, ncols, focus, reader_open.then_some(ReaderMode::Full))
}

/// The plan with the reader, when open, in `reader` mode.
pub fn plan_with(area: Rect, ncols: usize, focus: usize, reader: Option<ReaderMode>) -> Plan {
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
    if ncols > 1 && main.width / n < MIN_COLUMN_WIDTH {
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
        plan.columns.push((focus.min(ncols - 1), body));
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

/// Message rows a column shows on a `width`×`height` screen of `ncols` columns, the reader
/// closed: what a cold sync fetches first (`imap::sync::FirstBatch`).
pub fn list_rows(width: u16, height: u16, ncols: usize) -> usize {
    let plan = plan(Rect::new(0, 0, width, height), ncols, 0, false);
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
        let p = plan(Rect::new(0, 0, 120, 30), 3, 1, false);
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
        let p = plan_with(Rect::new(0, 0, 120, 40), 3, 0, Some(ReaderMode::Split));
        let reader = p.reader.expect("reader");
        let col = p.columns[0].1;
        assert_eq!(col.y + col.height, reader.y);
        assert_eq!(reader.y + reader.height, 39);
        assert!(col.height >= MIN_SPLIT_COLUMNS && reader.height > col.height);
        // Too short to split: the reader takes the screen.
        let p = plan_with(Rect::new(0, 0, 120, 10), 3, 0, Some(ReaderMode::Split));
        assert!(p.columns.is_empty());
        assert_eq!(p.reader, Some(Rect::new(0, 0, 120, 9)));
    }

    #[test]
    fn a_column_shows_the_screen_less_its_frame_header_and_status_line() {
        // 60 lines: the status line, two borders and two header lines are not rows.
        assert_eq!(list_rows(200, 60, 3), 55);
        // Tabs take a line when the columns do not fit side by side.
        assert_eq!(list_rows(60, 20, 3), 14);
        assert_eq!(list_rows(0, 0, 3), 0);
        assert_eq!(list_rows(200, 60, 0), 0);
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
