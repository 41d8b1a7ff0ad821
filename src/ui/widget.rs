//! Widgets the panes share: one popup frame, one single-line editor, one multi-line text area.
//! They draw what they are given and know nothing of `App`.

use std::borrow::Cow;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Block, Clear};
use unicode_width::UnicodeWidthStr;

use super::screen::compose::model::Body;
use super::wrap;
use crate::mail::display::fit;
use crate::sanitize;

/// A pane over what is below it (help, compose, its preview, a note): `area` cleared, framed
/// by `block` in `style`; the area inside the frame.
pub fn popup(frame: &mut Frame, area: Rect, block: Block, style: Style) -> Rect {
    frame.render_widget(Clear, area);
    frame.render_widget(block.style(style), area);
    Rect {
        x: area.x + 1,
        y: area.y + 1,
        width: area.width.saturating_sub(2),
        height: area.height.saturating_sub(2),
    }
}

/// One line of an editor as shown: the text before the cursor (scrolled), the text from the
/// cursor on, and the cursor's cell counted from the start of `before`. Borrowed from the
/// editor's text when that is clean (it always is: a line editor admits no controls).
#[derive(Debug, PartialEq, Eq)]
pub struct EditLine<'a> {
    pub before: Cow<'a, str>,
    pub after: Cow<'a, str>,
    pub cursor_x: usize,
}

impl EditLine<'_> {
    /// The whole line as shown (to be cut to the field's width by the caller).
    pub fn text(&self) -> String {
        let mut s = String::with_capacity(self.before.len() + self.after.len());
        s.push_str(&self.before);
        s.push_str(&self.after);
        s
    }
}

/// `text` with its cursor at byte `cursor`, in a field of `width` cells that keeps `room` cells
/// from the cursor on: a line wider than that scrolls, characters dropped from the left until
/// the cursor fits. Sanitized, so safe on any text.
pub fn edit_line(text: &str, cursor: usize, width: usize, room: usize) -> EditLine<'_> {
    let (before, after) = text.split_at_checked(cursor).unwrap_or((text, ""));
    let before = match sanitize::single_line_cow(before) {
        Cow::Borrowed(b) => Cow::Borrowed(scrolled(b, width, room)),
        Cow::Owned(b) => Cow::Owned(scrolled(&b, width, room).to_string()),
    };
    EditLine {
        cursor_x: before.width(),
        before,
        after: sanitize::single_line_cow(after),
    }
}

/// The end of `before` that fits `width` cells with `room` cells to spare, whole characters
/// dropped from the left.
fn scrolled(before: &str, width: usize, room: usize) -> &str {
    let mut shown = before;
    while shown.width() + room > width && !shown.is_empty() {
        let cut = shown.chars().next().map_or(shown.len(), char::len_utf8);
        shown = &shown[cut..];
    }
    shown
}

/// An editor's text soft-wrapped into at most `height` rows of `width` cells, from the first
/// row that keeps the cursor's row on screen (`Body::view_top`); with `cursor`, also where the
/// cursor is in them (cell column, row). Only the lines shown are wrapped.
pub fn text_area(
    b: &Body,
    width: usize,
    height: usize,
    style: Style,
    cursor: bool,
) -> (Vec<Line<'static>>, Option<(usize, usize)>) {
    let mut out = Vec::new();
    let mut at = None;
    if height == 0 || width == 0 {
        return (out, at);
    }
    let (top, mut first) = b.view_top(width, height);
    let (cursor_row, cursor_x) = b.cursor_cell(width);
    for (i, line) in b.lines.iter().enumerate().skip(top) {
        let starts = b.rows(i, width);
        for (r, &start) in starts.iter().enumerate().skip(first) {
            if out.len() >= height {
                return (out, at);
            }
            if cursor && i == b.row && r == cursor_row {
                at = Some((cursor_x.min(width - 1), out.len()));
            }
            let end = starts.get(r + 1).copied().unwrap_or(line.len());
            let row = line.get(start..end).unwrap_or("");
            let shown = wrap::trim_overflow(row, width).replace('\t', "    ");
            out.push(Line::styled(fit(&shown, width), style));
        }
        first = 0;
    }
    (out, at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_line_is_shown_whole_with_the_cursor_where_it_is() {
        let l = edit_line("hello", 2, 20, 1);
        assert_eq!((&*l.before, &*l.after, l.cursor_x), ("he", "llo", 2));
    }

    #[test]
    fn a_long_line_scrolls_so_the_cursor_keeps_its_room() {
        let l = edit_line("abcdefghij", 10, 6, 1);
        assert_eq!((&*l.before, l.cursor_x), ("fghij", 5));
        let l = edit_line("abcdefghij", 10, 6, 2);
        assert_eq!((&*l.before, l.cursor_x), ("ghij", 4));
        assert_eq!(l.text(), "ghij");
    }

    #[test]
    fn wide_characters_scroll_whole_and_the_cursor_lands_after_them() {
        // Two cells an ideograph: dropping one leaves 5 cells, more than the 4 that keep 2 free.
        let l = edit_line("日本語x", "日本語x".len(), 6, 2);
        assert_eq!((&*l.before, l.cursor_x), ("語x", 3));
    }

    #[test]
    fn a_cursor_off_a_character_boundary_does_not_panic() {
        let l = edit_line("é", 1, 10, 1);
        assert_eq!((&*l.before, &*l.after), ("é", ""));
    }

    #[test]
    fn a_field_too_narrow_for_the_cursor_shows_what_follows_it() {
        let l = edit_line("abc", 1, 0, 1);
        assert_eq!((&*l.before, &*l.after, l.cursor_x), ("", "bc", 0));
    }
}
