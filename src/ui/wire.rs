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
#[derive(Clone, Copy, PartialEq)]
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
        // Where the terminal's cursor is, when known.
        let mut cursor: Option<(u16, u16)> = None;
        let mut i = 0;
        while i < cells.len() {
            let (x, y, cell) = cells[i];
            if cursor != Some((x, y)) {
                match cursor {
                    Some((cx, cy)) if cy == y && cx < x => write!(out, "\x1b[{}C", x - cx)?,
                    _ => write!(out, "\x1b[{};{}H", y + 1, x + 1)?,
                }
            }
            let want = Pen::of(cell);
            if let Some(s) = sgr(pen, want) {
                out.extend_from_slice(s.as_bytes());
                pen = want;
            }
            // The run of blanks in this style, starting here, on contiguous cells.
            let mut run = 0;
            if cell.symbol() == " " && self.erasable(want) {
                while let Some(&(rx, ry, rc)) = cells.get(i + run) {
                    let contiguous = ry == y && usize::from(rx) == usize::from(x) + run;
                    if !contiguous || rc.symbol() != " " || Pen::of(rc) != want {
                        break;
                    }
                    run += 1;
                }
            }
            if run >= MIN_ERASED {
                write!(out, "\x1b[{run}X")?;
                cursor = Some((x, y));
                // The next cell is reached by a move from here: skipping the run when it
                // follows on the same row.
                i += run;
                if let Some(&(nx, ny, _)) = cells.get(i)
                    && ny == y
                    && usize::from(nx) == usize::from(x) + run
                {
                    write!(out, "\x1b[{run}C")?;
                    cursor = u16::try_from(usize::from(x) + run).ok().map(|nx| (nx, y));
                }
                continue;
            }
            out.extend_from_slice(cell.symbol().as_bytes());
            // A wide or zero-width symbol: where the terminal put the cursor is not assumed.
            cursor = (cell.symbol().width() == 1).then(|| (x.saturating_add(1), y));
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
