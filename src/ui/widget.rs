//! Widgets the panes share: one popup frame, one single-line editor, one multi-line text area,
//! and a fast path for drawing lines of text (`lines`). They draw what they are given and know
//! nothing of `App`.

use std::borrow::Cow;

use ratatui::Frame;
use ratatui::buffer::{Buffer, Cell, CellWidth};
use ratatui::layout::{Alignment, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph, Widget};
use unicode_width::UnicodeWidthStr;

use super::screen::compose::model::Body;
use super::wrap;
use crate::mail::display::fit;
use crate::sanitize;

/// A pane over what is below it (help, compose, its preview, a note): `area` cleared, framed
/// by `block` in `style`; the area inside the frame. A wide character under its left edge is
/// blanked.
pub fn popup(frame: &mut Frame, area: Rect, block: Block, style: Style) -> Rect {
    // A wide character just left of the frame covers the frame's first cell on a terminal
    // (and the renderer skips the cell it covers): blank it, so the border shows.
    let buf = frame.buffer_mut();
    if let Some(x) = area.x.checked_sub(1) {
        for y in area.top()..area.bottom() {
            if let Some(cell) = buf.cell_mut((x, y))
                && cell.symbol().width() > 1
            {
                cell.set_symbol(" ");
            }
        }
    }
    frame.render_widget(Clear, area);
    frame.render_widget(block.style(style), area);
    Rect {
        x: area.x + 1,
        y: area.y + 1,
        width: area.width.saturating_sub(2),
        height: area.height.saturating_sub(2),
    }
}

/// Draws `lines` into `area` of `buf` cell for cell as `Paragraph::new(lines)` does (no wrap,
/// no block, no scroll: each line cut at the area's width, lines past its height left out), in
/// a fraction of the time: the column view draws some 160 rows a frame, and ratatui's
/// paragraph splits every span into graphemes, collects each line and sets the style of the
/// whole area twice. Here ASCII text (most of a mailbox) is written a byte a cell; only the
/// stretches around other characters go through ratatui's own graphemes and widths, and a
/// line with an alignment of its own through `Paragraph`.
pub fn lines(lines: &[Line<'_>], area: Rect, buf: &mut Buffer) {
    let area = area.intersection(buf.area);
    if area.is_empty() {
        return;
    }
    for (line, y) in lines.iter().zip(area.top()..area.bottom()) {
        if line.alignment.is_some_and(|a| a != Alignment::Left) {
            Paragraph::new(line.clone()).render(
                Rect {
                    y,
                    height: 1,
                    ..area
                },
                buf,
            );
            continue;
        }
        // The line's cells, left to right (the area lies within the buffer).
        let first = buf.index_of(area.x, y);
        let Some(cells) = buf.content.get_mut(first..first + usize::from(area.width)) else {
            return;
        };
        let mut row = Row { cells, x: 0 };
        let base = Style::default().patch(line.style);
        for span in &line.spans {
            if !row.span(&span.content, base.patch(span.style)) {
                break;
            }
        }
    }
}

/// Patches every cell of `area` of `buf` with `style`, as `Buffer::set_style` and a
/// `Block::default().style(style)` do, a row of cells at a time rather than a lookup per cell.
pub fn paint(style: Style, area: Rect, buf: &mut Buffer) {
    let area = area.intersection(buf.area);
    if area.is_empty() {
        return;
    }
    for y in area.top()..area.bottom() {
        let first = buf.index_of(area.x, y);
        if let Some(cells) = buf.content.get_mut(first..first + usize::from(area.width)) {
            for c in cells {
                c.set_style(style);
            }
        }
    }
}

/// Draws a border of `kind` in `style` around `area` of `buf`, cell for cell as
/// `Block::default().borders(Borders::ALL).border_type(kind).border_style(style)` does, without
/// its pass over every cell inside (it patches them with its own, empty, style): the sides
/// left, top, right, bottom, then the corners, in the block's order.
pub fn border(kind: BorderType, style: Style, area: Rect, buf: &mut Buffer) {
    let area = area.intersection(buf.area);
    if area.is_empty() {
        return;
    }
    let set = kind.to_border_set();
    let (left, top) = (area.left(), area.top());
    let (right, bottom) = (area.right() - 1, area.bottom() - 1);
    let mut put = |x: u16, y: u16, symbol: &str| {
        buf[(x, y)].set_symbol(symbol).set_style(style);
    };
    for y in top..=bottom {
        put(left, y, set.vertical_left);
    }
    for x in left..=right {
        put(x, top, set.horizontal_top);
    }
    for y in top..=bottom {
        put(right, y, set.vertical_right);
    }
    for x in left..=right {
        put(x, bottom, set.horizontal_bottom);
    }
    put(right, bottom, set.bottom_right);
    put(right, top, set.top_right);
    put(left, bottom, set.bottom_left);
    put(left, top, set.top_left);
}

/// One line being drawn by [`lines`] into its cells; the next is `x`.
struct Row<'b> {
    cells: &'b mut [Cell],
    x: usize,
}

impl Row<'_> {
    /// Draws one span's text in `style`; false once the line is full (the rest is cut).
    fn span(&mut self, text: &str, style: Style) -> bool {
        let bytes = text.as_bytes();
        // Between two ASCII characters there is always a grapheme boundary (CR LF aside, and
        // both are controls, which ratatui drops with the grapheme that holds them), so the
        // text is cut there: a lone ASCII byte is a grapheme, anything else is segmented.
        let mut from = 0;
        for at in 1..=bytes.len() {
            if at < bytes.len() && !(bytes[at - 1].is_ascii() && bytes[at].is_ascii()) {
                continue;
            }
            let piece = text.get(from..at).unwrap_or("");
            from = at;
            let more = match piece.as_bytes() {
                // A control character is dropped, as ratatui drops every grapheme holding one.
                [b] if b.is_ascii_control() => true,
                [b] => self.cell(1, style, |c| {
                    // A blank cell (every frame starts from blanks) is left as it is: the
                    // same symbol to the diff and to every backend.
                    if *b != b' ' || c.symbol() != " " {
                        c.set_char(char::from(*b));
                    }
                }),
                _ => Span::raw(piece).styled_graphemes(style).all(|g| {
                    self.cell(g.symbol.cell_width(), g.style, |c| {
                        c.set_symbol(g.symbol);
                    })
                }),
            };
            if !more {
                return false;
            }
        }
        true
    }

    /// Puts a grapheme `w` cells wide in the next cell, as ratatui's line truncator and
    /// paragraph do: one wider than the line is skipped, one that no longer fits ends the
    /// line (false), a zero-width one takes no cell.
    fn cell(&mut self, w: u16, style: Style, set: impl FnOnce(&mut Cell)) -> bool {
        let (w, width) = (usize::from(w), self.cells.len());
        if w > width {
            return true;
        }
        if self.x + w > width {
            return false;
        }
        if w > 0 {
            if let Some(cell) = self.cells.get_mut(self.x) {
                set(cell);
                cell.set_style(style);
            }
            self.x += w;
        }
        true
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
    use ratatui::style::{Color, Modifier};

    /// Pieces of text that exercise ratatui's graphemes: ASCII, controls (CR LF among them),
    /// accents precomposed and combining, wide ideographs, emoji with modifiers and ZWJ,
    /// zero-width characters, halfwidth katakana sound marks, and long runs.
    const PIECES: &[&str] = &[
        "a",
        "Re: invoice",
        " ",
        "          ",
        "\t",
        "\r\n",
        "\x1b[31m",
        "\x7f",
        "é",
        "e\u{301}",
        "日本語",
        "支払い",
        "👍🏽",
        "👩\u{200d}💻",
        "\u{200b}",
        "\u{feff}",
        "ｶﾞｷﾟ",
        "x\u{300}\u{301}",
        "a very long subject line that goes on well past the edge of any column we draw",
        "→ ↳ ✎",
        "",
        "\u{1f1eb}\u{1f1f7}",
        "\u{0}",
        "\u{85}",
        "a\u{200d}",
        "\u{a0}",
        "\u{301}",
        "\u{fe0f}",
        "\u{600}",
        "\u{d4e}",
        "\r",
        "\n",
        "1\u{20e3}",
        "\u{94d}",
        "\u{1100}\u{1161}",
    ];

    struct Rng(u64);
    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }
        fn style(&mut self) -> Style {
            let mut s = Style::default();
            if self.below(2) == 0 {
                s = s.fg(Color::Indexed(self.below(256) as u8));
            }
            if self.below(3) == 0 {
                s = s.bg(Color::Indexed(self.below(256) as u8));
            }
            match self.below(4) {
                0 => s.add_modifier(Modifier::BOLD),
                1 => s.remove_modifier(Modifier::BOLD | Modifier::REVERSED),
                _ => s,
            }
        }
    }

    #[test]
    fn painting_an_area_is_what_a_block_with_a_style_does() {
        let mut rng = Rng(0x0005_7e1e);
        for round in 0..300 {
            let area = Rect::new(
                rng.below(4) as u16,
                rng.below(3) as u16,
                rng.below(12) as u16,
                rng.below(7) as u16,
            );
            let style = rng.style();
            let mut before = Buffer::empty(Rect::new(0, 0, 10, 6));
            for c in before.content.iter_mut() {
                c.set_style(rng.style());
            }
            let mut want = before.clone();
            Block::default().style(style).render(area, &mut want);
            let mut got = before;
            paint(style, area, &mut got);
            assert_eq!(got, want, "round {round}: {style:?} in {area:?}");
        }
    }

    #[test]
    fn a_border_is_drawn_cell_for_cell_as_a_block_draws_it() {
        use ratatui::widgets::Borders;
        let mut rng = Rng(0x000b_0de5);
        for round in 0..500 {
            let area = Rect::new(
                rng.below(4) as u16,
                rng.below(3) as u16,
                rng.below(12) as u16,
                rng.below(7) as u16,
            );
            let kind = [BorderType::Plain, BorderType::Thick, BorderType::Rounded][rng.below(3)];
            let style = rng.style();
            let mut before = Buffer::empty(Rect::new(0, 0, 10, 6));
            for (i, c) in before.content.iter_mut().enumerate() {
                if i % 2 == 0 {
                    c.set_char('x').set_style(rng.style());
                }
            }
            let mut want = before.clone();
            Block::default()
                .borders(Borders::ALL)
                .border_type(kind)
                .border_style(style)
                .render(area, &mut want);
            let mut got = before;
            border(kind, style, area, &mut got);
            assert_eq!(got, want, "round {round}: {kind:?} {style:?} in {area:?}");
        }
    }

    #[test]
    fn lines_are_drawn_cell_for_cell_as_a_paragraph_draws_them() {
        let mut rng = Rng(0x5eed_1234_abcd_0001);
        for round in 0..3000 {
            let width = 1 + rng.below(40) as u16;
            let height = 1 + rng.below(4) as u16;
            let area = Rect::new(rng.below(3) as u16, rng.below(2) as u16, width, height);
            let whole = Rect::new(0, 0, 45, 7);
            let lines: Vec<Line> = (0..rng.below(6))
                .map(|_| {
                    let spans: Vec<Span> = (0..rng.below(5))
                        .map(|_| {
                            let text: String = (0..1 + rng.below(3))
                                .map(|_| PIECES[rng.below(PIECES.len())])
                                .collect();
                            Span::styled(text, rng.style())
                        })
                        .collect();
                    let mut line = Line::from(spans).style(rng.style());
                    if rng.below(8) == 0 {
                        line = line.alignment(
                            [Alignment::Left, Alignment::Center, Alignment::Right][rng.below(3)],
                        );
                    }
                    line
                })
                .collect();
            // What was there before (the base style, a previous pane) shows through the cells
            // a line leaves alone.
            let mut before = Buffer::empty(whole);
            // (A third of the cells stay as a frame starts them: blank, no symbol set.)
            for (i, c) in before.content.iter_mut().enumerate() {
                match i % 3 {
                    0 => c.set_char('#'),
                    1 => c.set_char(' '),
                    _ => c,
                }
                .set_style(Style::default().bg(Color::Indexed(236)));
            }
            let mut want = before.clone();
            Paragraph::new(lines.clone()).render(area, &mut want);
            let mut got = before;
            super::lines(&lines, area, &mut got);
            assert_eq!(got, want, "round {round}: {lines:?} in {area:?}");
        }
    }

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
