//! Where things go on screen. Pure, so `app` (page sizes, wrapping width) and `draw` agree.

use ratatui::layout::Rect;

/// Below this many cells per column, columns no longer fit side by side: show one with tabs.
pub const MIN_COLUMN_WIDTH: u16 = 40;

/// The screen's regions for one frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The tab strip, when only one column fits.
    pub tabs: Option<Rect>,
    /// (column index, its area, border included), left to right.
    pub columns: Vec<(usize, Rect)>,
    /// The reader, which takes the whole area above the status line.
    pub reader: Option<Rect>,
    pub status: Rect,
}

pub fn plan(area: Rect, ncols: usize, focus: usize, reader_open: bool) -> Plan {
    let main = Rect {
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
    if reader_open {
        plan.reader = Some(main);
        return plan;
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

/// A column's area inside its border: (header line, message rows).
pub fn column_parts(area: Rect) -> (Rect, Rect) {
    let inner = Rect {
        x: area.x.saturating_add(1),
        y: area.y.saturating_add(1),
        width: area.width.saturating_sub(2),
        height: area.height.saturating_sub(2),
    };
    let header = Rect {
        height: inner.height.min(1),
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
    fn tiny_areas_do_not_underflow() {
        let p = plan(Rect::new(0, 0, 1, 1), 3, 0, false);
        let (h, r) = column_parts(p.columns[0].1);
        assert_eq!((h.height, r.height), (0, 0));
        let p = plan(Rect::new(0, 0, 0, 0), 2, 0, true);
        assert_eq!(p.reader.map(|r| r.height), Some(0));
    }
}
