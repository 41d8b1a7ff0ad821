//! What a frame costs on the wire: ratatui's crossterm backend with a leaner `draw` (issue 15,
//! "≤ 300 bytes per `j`"). A selection move changes two whole rows, most of them blank padding
//! (the subject field of a wide column); crossterm writes every blank and a style change as
//! several sequences, and ends each frame with four resets. This backend writes the same
//! cells, but:
//! - a style change is one SGR sequence holding only what differs (colours patched, not
//!   reset and set again), and a frame ends with one `ESC[0m`, only if a style is on;
//! - a run of blanks is erased (`ESC[nX`, ECH) and skipped (`ESC[nC`) instead of written, when
//!   the terminal draws an erased cell exactly like a written blank: always for the default
//!   background, for a coloured one only on a terminal that erases with it (`bce`).
//!
//! Everything else (cursor, clearing, size) is crossterm's backend as it is.

use std::io::{self, Write};

use ratatui::backend::{Backend, ClearType, CrosstermBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};
use ratatui::style::{Color, Modifier};
use unicode_width::UnicodeWidthStr;

/// Blank runs shorter than this are written: `ESC[nX ESC[nC` costs up to 10 bytes.
const MIN_ERASED: usize = 10;

/// Modifiers that show on a blank cell: an erased cell would not show them.
const VISIBLE_ON_BLANK: Modifier = Modifier::REVERSED
    .union(Modifier::UNDERLINED)
    .union(Modifier::CROSSED_OUT);

/// The crossterm backend, drawing with fewer bytes (see the module).
pub struct Wire<W: Write> {
    inner: CrosstermBackend<W>,
    /// The terminal erases with the current background colour (terminfo `bce`).
    bce: bool,
}

/// Whether a terminal of type `term` (`$TERM`) erases with the current background colour:
/// xterm and the terminals that call themselves xterm do; `screen`, `linux` and unknown ones are
/// not trusted to.
pub fn erases_with_background(term: Option<&str>) -> bool {
    term.is_some_and(|t| t.starts_with("xterm"))
}

impl<W: Write> Wire<W> {
    pub fn new(writer: W, bce: bool) -> Wire<W> {
        Wire {
            inner: CrosstermBackend::new(writer),
            bce,
        }
    }
}

/// The pen: the style the terminal draws with now.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Pen {
    fg: Color,
    bg: Color,
    underline: Color,
    modifier: Modifier,
}

impl Pen {
    const DEFAULT: Pen = Pen {
        fg: Color::Reset,
        bg: Color::Reset,
        underline: Color::Reset,
        modifier: Modifier::empty(),
    };

    fn of(cell: &Cell) -> Pen {
        Pen {
            fg: cell.fg,
            bg: cell.bg,
            underline: cell.underline_color,
            modifier: cell.modifier,
        }
    }
}

/// SGR parameters for the modifiers of `to` not in `from`.
fn added(from: Modifier, to: Modifier, out: &mut Vec<String>) {
    for (m, code) in [
        (Modifier::BOLD, "1"),
        (Modifier::DIM, "2"),
        (Modifier::ITALIC, "3"),
        (Modifier::UNDERLINED, "4"),
        (Modifier::SLOW_BLINK, "5"),
        (Modifier::RAPID_BLINK, "6"),
        (Modifier::REVERSED, "7"),
        (Modifier::HIDDEN, "8"),
        (Modifier::CROSSED_OUT, "9"),
    ] {
        if to.contains(m) && !from.contains(m) {
            out.push(code.to_string());
        }
    }
}

/// The SGR parameters that turn pen `from` into `to`, patching what differs; `None` if nothing.
fn patch(from: Pen, to: Pen) -> Vec<String> {
    let mut out = Vec::new();
    let removed = from.modifier - to.modifier;
    let mut kept = from.modifier;
    // 22 ends bold and dim at once: the one still wanted is set again.
    if removed.intersects(Modifier::BOLD | Modifier::DIM) {
        out.push("22".to_string());
        kept -= Modifier::BOLD | Modifier::DIM;
    }
    for (m, code) in [
        (Modifier::ITALIC, "23"),
        (Modifier::UNDERLINED, "24"),
        (Modifier::SLOW_BLINK | Modifier::RAPID_BLINK, "25"),
        (Modifier::REVERSED, "27"),
        (Modifier::HIDDEN, "28"),
        (Modifier::CROSSED_OUT, "29"),
    ] {
        if removed.intersects(m) {
            out.push(code.to_string());
            kept -= m;
        }
    }
    added(kept, to.modifier, &mut out);
    colours(from, to, &mut out);
    out
}

/// The colour parameters of `to` that differ from `from`.
fn colours(from: Pen, to: Pen, out: &mut Vec<String>) {
    for (was, now, base) in [
        (from.fg, to.fg, 30),
        (from.bg, to.bg, 40),
        (from.underline, to.underline, 50),
    ] {
        if was != now {
            out.push(colour(now, base));
        }
    }
}

/// One colour's SGR parameters, as crossterm writes them (`base` 30: foreground, 40:
/// background, 50: underline); not through crossterm's `Colored`, which writes nothing at all
/// under `NO_COLOR`, leaving an empty parameter (a reset).
fn colour(c: Color, base: u8) -> String {
    let set = base + 8;
    let index = |i: u8| format!("{set};5;{i}");
    match c {
        Color::Reset => (base + 9).to_string(),
        Color::Black => index(0),
        Color::Red => index(1),
        Color::Green => index(2),
        Color::Yellow => index(3),
        Color::Blue => index(4),
        Color::Magenta => index(5),
        Color::Cyan => index(6),
        Color::Gray => index(7),
        Color::DarkGray => index(8),
        Color::LightRed => index(9),
        Color::LightGreen => index(10),
        Color::LightYellow => index(11),
        Color::LightBlue => index(12),
        Color::LightMagenta => index(13),
        Color::LightCyan => index(14),
        Color::White => index(15),
        Color::Indexed(i) => index(i),
        Color::Rgb(r, g, b) => format!("{set};2;{r};{g};{b}"),
    }
}

/// The shortest SGR sequence from `from` to `to`: patched, or reset and set from scratch.
fn sgr(from: Pen, to: Pen) -> Option<String> {
    if from == to {
        return None;
    }
    let patched = patch(from, to).join(";");
    let mut fresh = vec!["0".to_string()];
    added(Modifier::empty(), to.modifier, &mut fresh);
    colours(Pen::DEFAULT, to, &mut fresh);
    let fresh = fresh.join(";");
    let best = if fresh.len() < patched.len() {
        fresh
    } else {
        patched
    };
    Some(format!("\x1b[{best}m"))
}

/// Where the terminal's cursor is.
#[derive(Clone, Copy)]
enum Cursor {
    Unknown,
    /// On this row, in an unknown column.
    Row(u16),
    At(u16, u16),
}

/// Whether a blank drawn with pen `now` looks like one drawn with `want`: same background,
/// and neither shows anything else on a blank.
fn blank_like(now: Pen, want: Pen) -> bool {
    now.bg == want.bg
        && !now.modifier.intersects(VISIBLE_ON_BLANK)
        && !want.modifier.intersects(VISIBLE_ON_BLANK)
}

/// A symbol every terminal draws two cells wide: one character of the East Asian scripts
/// (Han, kana, Hangul, full-width forms). Emoji are left out: terminals disagree on them.
fn surely_wide(symbol: &str) -> bool {
    let mut chars = symbol.chars();
    let (Some(c), None) = (chars.next(), chars.next()) else {
        return false;
    };
    matches!(
        u32::from(c),
        0x1100..=0x115F
            | 0x2E80..=0x303E
            | 0x3041..=0x33FF
            | 0x3400..=0x4DBF
            | 0x4E00..=0x9FFF
            | 0xA000..=0xA4CF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F
            | 0xFF00..=0xFF60
            | 0xFFE0..=0xFFE6
            | 0x20000..=0x3FFFD
    ) && symbol.width() == 2
}

impl<W: Write> Wire<W> {
    /// Whether an erased cell under pen `p` looks like a blank written with it.
    fn erasable(&self, p: Pen) -> bool {
        !p.modifier.intersects(VISIBLE_ON_BLANK) && (p.bg == Color::Reset || self.bce)
    }
}

impl<W: Write> Backend for Wire<W> {
    type Error = io::Error;

    fn draw<'a, I>(&mut self, content: I) -> io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        let cells: Vec<(u16, u16, &Cell)> = content.collect();
        let mut out: Vec<u8> = Vec::new();
        let mut pen = Pen::DEFAULT;
        let mut cursor = Cursor::Unknown;
        let mut i = 0;
        while i < cells.len() {
            let (x, y, cell) = cells[i];
            match cursor {
                Cursor::At(cx, cy) if (cx, cy) == (x, y) => {}
                Cursor::At(cx, cy) if cy == y && cx < x => write!(out, "\x1b[{}C", x - cx)?,
                Cursor::Row(cy) if cy == y => write!(out, "\x1b[{}G", x + 1)?,
                _ => write!(out, "\x1b[{};{}H", y + 1, x + 1)?,
            }
            // A blank shows its background only: drawn with the pen in use when that has
            // the background and nothing that shows on a blank (no SGR for the fg alone).
            let blank = cell.symbol() == " ";
            let want = Pen::of(cell);
            if !(blank && blank_like(pen, want)) {
                if let Some(s) = sgr(pen, want) {
                    out.extend_from_slice(s.as_bytes());
                }
                pen = want;
            }
            // The run of blanks that look the same, starting here, on contiguous cells.
            let mut run = 0;
            if blank && self.erasable(pen) {
                while let Some(&(rx, ry, rc)) = cells.get(i + run) {
                    let contiguous = ry == y && usize::from(rx) == usize::from(x) + run;
                    if !contiguous || rc.symbol() != " " || !blank_like(pen, Pen::of(rc)) {
                        break;
                    }
                    run += 1;
                }
            }
            if run >= MIN_ERASED {
                // Erased, the cursor stays: the next cell is reached by a move.
                write!(out, "\x1b[{run}X")?;
                cursor = Cursor::At(x, y);
                i += run;
                continue;
            }
            let symbol = cell.symbol();
            out.extend_from_slice(symbol.as_bytes());
            cursor = match symbol.width() {
                1 => Cursor::At(x.saturating_add(1), y),
                2 if surely_wide(symbol) => Cursor::At(x.saturating_add(2), y),
                // Printing never leaves the row; where on it a terminal put the cursor after
                // an emoji or a combining sequence is not assumed.
                _ => Cursor::Row(y),
            };
            i += 1;
        }
        if pen != Pen::DEFAULT {
            out.extend_from_slice(b"\x1b[0m");
        }
        self.inner.write_all(&out)
    }

    fn append_lines(&mut self, n: u16) -> io::Result<()> {
        self.inner.append_lines(n)
    }

    fn hide_cursor(&mut self) -> io::Result<()> {
        self.inner.hide_cursor()
    }

    fn show_cursor(&mut self) -> io::Result<()> {
        self.inner.show_cursor()
    }

    fn get_cursor_position(&mut self) -> io::Result<Position> {
        self.inner.get_cursor_position()
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> io::Result<()> {
        self.inner.set_cursor_position(position)
    }

    fn clear(&mut self) -> io::Result<()> {
        self.inner.clear()
    }

    fn clear_region(&mut self, clear_type: ClearType) -> io::Result<()> {
        self.inner.clear_region(clear_type)
    }

    fn size(&self) -> io::Result<Size> {
        self.inner.size()
    }

    fn window_size(&mut self) -> io::Result<WindowSize> {
        self.inner.window_size()
    }

    fn flush(&mut self) -> io::Result<()> {
        Backend::flush(&mut self.inner)
    }
}

impl<W: Write> Write for Wire<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Write::flush(&mut self.inner)
    }
}

#[cfg(test)]
mod tests {
    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;
    use ratatui::style::Style;

    use super::*;

    /// What a cell looks like: a blank shows its background (and the modifiers that show on
    /// a blank) only; anything else shows its symbol in its whole style.
    #[derive(Clone, Debug, PartialEq)]
    struct Look(String, Color, Option<(Color, Color, Modifier)>);

    /// A named colour is its index in the palette (`colour` writes it so).
    fn norm(c: Color) -> Color {
        match colour(c, 30).strip_prefix("38;5;") {
            Some(i) => Color::Indexed(i.parse().expect("an index")),
            None => c,
        }
    }

    fn look(symbol: &str, p: Pen) -> Look {
        let p = Pen {
            fg: norm(p.fg),
            bg: norm(p.bg),
            underline: norm(p.underline),
            modifier: p.modifier,
        };
        if symbol == " " && !p.modifier.intersects(VISIBLE_ON_BLANK) {
            Look(" ".into(), p.bg, None)
        } else {
            Look(symbol.into(), p.bg, Some((p.fg, p.underline, p.modifier)))
        }
    }

    /// A terminal that keeps what it is told, for what `Wire` writes: cursor moves (CUP,
    /// CUF), ECH (erasing with the background when `bce`), SGR, text.
    struct Term {
        w: usize,
        cells: Vec<Look>,
        pen: Pen,
        x: usize,
        y: usize,
        bce: bool,
    }

    fn sgr_apply(pen: &mut Pen, params: &[u16]) {
        let mut i = 0;
        let colour = |params: &[u16], i: &mut usize| -> Color {
            let c = match params.get(*i + 1) {
                Some(5) => Color::Indexed(params[*i + 2] as u8),
                Some(2) => Color::Rgb(
                    params[*i + 2] as u8,
                    params[*i + 3] as u8,
                    params[*i + 4] as u8,
                ),
                other => panic!("colour form {other:?}"),
            };
            *i += if params[*i + 1] == 5 { 2 } else { 4 };
            c
        };
        while i < params.len() {
            let p = params[i];
            let m = |pen: &mut Pen, m: Modifier, on: bool| pen.modifier.set(m, on);
            match p {
                0 => *pen = Pen::DEFAULT,
                1..=9 => m(pen, Modifier::from_bits_truncate(1 << (p - 1)), true),
                22 => m(pen, Modifier::BOLD | Modifier::DIM, false),
                23 => m(pen, Modifier::ITALIC, false),
                24 => m(pen, Modifier::UNDERLINED, false),
                25 => m(pen, Modifier::SLOW_BLINK | Modifier::RAPID_BLINK, false),
                27 => m(pen, Modifier::REVERSED, false),
                28 => m(pen, Modifier::HIDDEN, false),
                29 => m(pen, Modifier::CROSSED_OUT, false),
                38 => pen.fg = colour(params, &mut i),
                48 => pen.bg = colour(params, &mut i),
                58 => pen.underline = colour(params, &mut i),
                39 => pen.fg = Color::Reset,
                49 => pen.bg = Color::Reset,
                59 => pen.underline = Color::Reset,
                _ => panic!("unexpected SGR {p}"),
            }
            i += 1;
        }
    }

    impl Term {
        fn feed(&mut self, bytes: &[u8]) {
            let text = std::str::from_utf8(bytes).expect("utf-8");
            let mut chars = text.chars().peekable();
            while let Some(c) = chars.next() {
                if c != '\x1b' {
                    let wide = c.to_string().width() == 2;
                    self.cells[self.y * self.w + self.x] = look(&c.to_string(), self.pen);
                    if wide {
                        self.cells[self.y * self.w + self.x + 1] = look("", self.pen);
                    }
                    self.x += if wide { 2 } else { 1 };
                    continue;
                }
                assert_eq!(chars.next(), Some('['));
                let mut params = String::new();
                let fin = loop {
                    let c = chars.next().expect("a whole sequence");
                    if c.is_ascii_alphabetic() {
                        break c;
                    }
                    params.push(c);
                };
                let nums: Vec<u16> = params
                    .split(';')
                    .map(|p| p.parse().expect("a number"))
                    .collect();
                match fin {
                    'H' => (self.y, self.x) = (usize::from(nums[0]) - 1, usize::from(nums[1]) - 1),
                    'C' => self.x += usize::from(nums[0]),
                    'G' => self.x = usize::from(nums[0]) - 1,
                    'X' => {
                        let bg = if self.bce { self.pen.bg } else { Color::Reset };
                        for x in self.x..(self.x + usize::from(nums[0])).min(self.w) {
                            self.cells[self.y * self.w + x] = Look(" ".into(), bg, None);
                        }
                    }
                    'm' => sgr_apply(&mut self.pen, &nums),
                    other => panic!("unexpected sequence {other}"),
                }
            }
            assert_eq!(self.pen, Pen::DEFAULT, "a frame ends with the default pen");
        }
    }

    fn screen_of(buf: &Buffer) -> Vec<Look> {
        buf.content()
            .iter()
            .map(|c| look(c.symbol(), Pen::of(c)))
            .collect()
    }

    /// A terminal's input: the bytes written to it.
    #[derive(Clone, Default)]
    struct Sink(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);

    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    struct Rng(u64);
    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((self.0 >> 33) as usize) % n
        }
    }

    fn styles() -> Vec<Style> {
        vec![
            Style::default(),
            Style::default()
                .fg(Color::Indexed(231))
                .bg(Color::Indexed(238))
                .add_modifier(Modifier::BOLD),
            Style::default()
                .fg(Color::Indexed(231))
                .add_modifier(Modifier::BOLD),
            Style::default().add_modifier(Modifier::DIM),
            Style::default()
                .fg(Color::Red)
                .add_modifier(Modifier::REVERSED),
            Style::default()
                .fg(Color::Rgb(1, 2, 3))
                .add_modifier(Modifier::UNDERLINED | Modifier::ITALIC),
            Style::default()
                .bg(Color::Indexed(25))
                .underline_color(Color::Green),
        ]
    }

    fn scribble(rng: &mut Rng, buf: &mut Buffer, strokes: usize) {
        let texts = [
            "                    ",
            "   ",
            "Re: printer",
            "Zoë",
            "漢字 ok",
            "x",
            " ",
            "a🙂b",
        ];
        let styles = styles();
        let area = buf.area;
        for _ in 0..strokes {
            let x = rng.below(usize::from(area.width)) as u16;
            let y = rng.below(usize::from(area.height)) as u16;
            let text = texts[rng.below(texts.len())];
            let style = styles[rng.below(styles.len())];
            buf.set_stringn(x, y, text, usize::from(area.width - x), style);
        }
    }

    /// Random screens and random changes of them: what `Wire` writes for the difference
    /// turns the old screen into the new one, on a terminal with or without `bce`.
    #[test]
    fn the_terminal_shows_exactly_the_new_frame() {
        for bce in [false, true] {
            let mut rng = Rng(7);
            for round in 0..300 {
                let area = Rect::new(0, 0, 40, 6);
                let mut old = Buffer::empty(area);
                scribble(&mut rng, &mut old, 12);
                let mut new = old.clone();
                let strokes = 1 + rng.below(8);
                scribble(&mut rng, &mut new, strokes);
                let sink = Sink::default();
                let mut wire = Wire::new(sink.clone(), bce);
                wire.draw(old.diff(&new).into_iter()).expect("drawn");
                let mut term = Term {
                    w: 40,
                    cells: screen_of(&old),
                    pen: Pen::DEFAULT,
                    x: 0,
                    y: 0,
                    bce,
                };
                let bytes = sink.0.take();
                term.feed(&bytes);
                // A cell under the right half of a wide character shows that character.
                let mut want = screen_of(&new);
                for (i, c) in new.content().iter().enumerate() {
                    if c.symbol().width() == 2 && i + 1 < want.len() {
                        want[i + 1] = Look(String::new(), Color::Reset, None);
                        term.cells[i + 1] = Look(String::new(), Color::Reset, None);
                    }
                }
                let wrong: Vec<_> = (0..want.len())
                    .filter(|&i| term.cells[i] != want[i])
                    .map(|i| (i % 40, i / 40, &term.cells[i], &want[i]))
                    .collect();
                assert!(
                    wrong.is_empty(),
                    "round {round}, bce {bce}: cells (x, y, shown, wanted) {wrong:?}: {}",
                    String::from_utf8_lossy(&bytes).escape_debug()
                );
            }
        }
    }

    #[test]
    fn a_style_change_is_one_sequence_of_what_differs() {
        let bold = Pen {
            fg: Color::Indexed(231),
            modifier: Modifier::BOLD,
            ..Pen::DEFAULT
        };
        let dim = Pen {
            modifier: Modifier::BOLD | Modifier::DIM,
            ..bold
        };
        assert_eq!(sgr(Pen::DEFAULT, bold).as_deref(), Some("\x1b[1;38;5;231m"));
        assert_eq!(sgr(bold, dim).as_deref(), Some("\x1b[2m"));
        assert_eq!(sgr(dim, bold).as_deref(), Some("\x1b[22;1m"));
        assert_eq!(sgr(bold, bold), None);
        let selected = Pen {
            bg: Color::Indexed(238),
            ..bold
        };
        assert_eq!(sgr(bold, selected).as_deref(), Some("\x1b[48;5;238m"));
        // Resetting everything is shorter than undoing each part.
        let many = Pen {
            modifier: Modifier::ITALIC | Modifier::UNDERLINED | Modifier::REVERSED,
            ..selected
        };
        assert_eq!(sgr(many, Pen::DEFAULT).as_deref(), Some("\x1b[0m"));
    }

    #[test]
    fn only_xterm_like_terminals_are_trusted_to_erase_with_a_colour() {
        assert!(erases_with_background(Some("xterm-256color")));
        assert!(!erases_with_background(Some("screen-256color")));
        assert!(!erases_with_background(Some("linux")));
        assert!(!erases_with_background(None));
    }
}
