//! The one place where untrusted text becomes safe to show in a terminal.
//!
//! Every string that comes from a message or a server (headers, bodies, file and mailbox
//! names, server messages) passes through here before it reaches the screen or stdout:
//! C0, C1 and DEL are shown in caret form (`^[`, `M-^[`, `^?`), bidi and other invisible
//! format characters are removed, tabs are expanded, invalid UTF-8 is replaced.

use std::borrow::Cow;

const TAB_WIDTH: usize = 8;

/// Unicode format characters (general category Cf) and bidi controls that can reorder or hide
/// text on screen. Removed outright: they have no visible form worth keeping.
pub(crate) fn is_format_control(c: char) -> bool {
    matches!(c as u32,
        0x00AD | 0x0600..=0x0605 | 0x061C | 0x06DD | 0x070F | 0x0890..=0x0891 | 0x08E2
        | 0x180E | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x206F
        | 0xFEFF | 0xFFF9..=0xFFFB | 0x110BD | 0x110CD | 0x13430..=0x1343F | 0x1BCA0..=0x1BCA3
        | 0x1D173..=0x1D17A | 0xE0001 | 0xE0020..=0xE007F
        // Line and paragraph separators break a row in some terminals; blank look-alikes
        // (Hangul fillers, Braille blank) hide text in plain sight.
        | 0x2028 | 0x2029 | 0x115F | 0x1160 | 0x3164 | 0xFFA0 | 0x2800)
}

fn push_caret(out: &mut String, c: char) {
    let v = c as u32;
    match v {
        0x00..=0x1F => {
            out.push('^');
            out.push(char::from_u32(v + 0x40).unwrap_or('?'));
        }
        0x7F => out.push_str("^?"),
        0x80..=0x9F => {
            out.push_str("M-^");
            out.push(char::from_u32(v - 0x80 + 0x40).unwrap_or('?'));
        }
        _ => out.push(c),
    }
}

fn is_c0_c1_del(c: char) -> bool {
    matches!(c as u32, 0x00..=0x1F | 0x7F..=0x9F)
}

/// Text for one screen line: every control (including CR and LF) is shown in caret form.
pub fn single_line(s: &str) -> String {
    sanitize(s, false)
}

/// Multi-line text: `\n` and `\r\n` end lines; every other control is shown in caret form.
pub fn multi_line(s: &str) -> String {
    sanitize(s, true)
}

/// Bytes of unknown encoding for one line: invalid UTF-8 becomes U+FFFD first.
pub fn single_line_bytes(b: &[u8]) -> String {
    single_line(&String::from_utf8_lossy(b))
}

/// Bytes of unknown encoding, keeping line breaks.
pub fn multi_line_bytes(b: &[u8]) -> String {
    multi_line(&String::from_utf8_lossy(b))
}

/// True when `s` would pass through [`single_line`] unchanged.
pub fn is_clean_line(s: &str) -> bool {
    !s.chars().any(|c| is_c0_c1_del(c) || is_format_control(c))
}

fn sanitize(s: &str, keep_newlines: bool) -> String {
    if is_clean_line(s) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 8);
    // Column within the current line, for tab stops.
    let mut col = 0usize;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\t' => {
                let n = TAB_WIDTH - col % TAB_WIDTH;
                out.extend(std::iter::repeat_n(' ', n));
                col += n;
            }
            '\n' if keep_newlines => {
                out.push('\n');
                col = 0;
            }
            '\r' if keep_newlines && chars.peek() == Some(&'\n') => {}
            c if is_c0_c1_del(c) => {
                let before = out.len();
                push_caret(&mut out, c);
                col += out.len() - before;
            }
            c if is_format_control(c) => {}
            c => {
                out.push(c);
                col += 1;
            }
        }
    }
    out
}

/// Like [`single_line`] but borrows when nothing needs changing (hot paths: list rendering).
pub fn single_line_cow(s: &str) -> Cow<'_, str> {
    if is_clean_line(s) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(sanitize(s, false))
    }
}

/// A JSON formatter that also writes C1 controls, DEL and format/bidi characters as `\uXXXX`.
///
/// serde_json escapes only C0, `"` and `\\`; the rest reaches a terminal raw when JSON goes to a
/// tty (U+009B is an 8-bit CSI). Escaping keeps the parsed data identical.
struct TerminalSafe<F>(F);

impl<F: serde_json::ser::Formatter> serde_json::ser::Formatter for TerminalSafe<F> {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if !(matches!(c as u32, 0x7F..=0x9F) || is_format_control(c)) {
                continue;
            }
            self.0.write_string_fragment(w, &fragment[start..i])?;
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                write!(w, "\\u{u:04x}")?;
            }
            start = i + c.len_utf8();
        }
        self.0.write_string_fragment(w, &fragment[start..])
    }

    // The layout is the wrapped formatter's.
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn end_object_key<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object_key(w)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object_value(w)
    }
}

fn to_json_with<T, F>(value: &T, formatter: F) -> Result<String, serde_json::Error>
where
    T: serde::Serialize + ?Sized,
    F: serde_json::ser::Formatter,
{
    let mut buf = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, TerminalSafe(formatter));
    value.serialize(&mut ser)?;
    // Only whole UTF-8 strings and ASCII escapes were written; lossy is never lossy here.
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

/// Pretty JSON that is safe to print to a terminal: no C0/C1 control, DEL or bidi/format
/// character appears raw (all are `\uXXXX` escapes), yet it parses back to the same data.
pub fn to_json_pretty<T: serde::Serialize + ?Sized>(
    value: &T,
) -> Result<String, serde_json::Error> {
    to_json_with(value, serde_json::ser::PrettyFormatter::new())
}

/// One-line JSON with the same guarantee as [`to_json_pretty`].
pub fn to_json_compact<T: serde::Serialize + ?Sized>(
    value: &T,
) -> Result<String, serde_json::Error> {
    to_json_with(value, serde_json::ser::CompactFormatter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_become_visible() {
        assert_eq!(single_line("a\x1b[31mred"), "a^[[31mred");
        assert_eq!(single_line("\x1b]0;pwned\x07"), "^[]0;pwned^G");
        assert_eq!(single_line("\u{9b}31m"), "M-^[31m");
        assert_eq!(single_line("del\x7f"), "del^?");
        assert_eq!(single_line("nul\0"), "nul^@");
        assert_eq!(single_line("a\r\nb"), "a^M^Jb");
    }

    #[test]
    fn separators_and_blank_lookalikes_are_removed() {
        assert_eq!(
            single_line("a\u{2028}b\u{2029}c\u{3164}d\u{2800}e"),
            "abcde"
        );
    }

    #[test]
    fn bidi_and_format_controls_are_removed() {
        assert_eq!(single_line("abc\u{202E}fdp.exe"), "abcfdp.exe");
        assert_eq!(
            single_line("x\u{2066}y\u{2069}\u{200F}\u{061C}\u{FEFF}"),
            "xy"
        );
    }

    #[test]
    fn tabs_expand_to_stops() {
        assert_eq!(single_line("a\tb"), "a       b");
        assert_eq!(multi_line("ab\n\tc"), "ab\n        c");
    }

    #[test]
    fn multi_line_keeps_line_breaks_only() {
        assert_eq!(multi_line("a\r\nb\rc\n"), "a\nb^Mc\n");
    }

    #[test]
    fn invalid_utf8_is_replaced() {
        assert_eq!(single_line_bytes(b"a\xffb"), "a\u{FFFD}b");
    }

    #[test]
    fn clean_text_is_unchanged() {
        let s = "Grüße aus Zürich — 東京";
        assert_eq!(single_line(s), s);
        assert!(matches!(single_line_cow(s), Cow::Borrowed(_)));
    }

    #[test]
    fn json_escapes_terminal_controls_and_round_trips() {
        let hostile = "a\x1b]0;x\x07 \u{9b}31m \u{85} \x7f \u{202e}fdp \u{e0041} ok é 東";
        let v = serde_json::json!({ "s": hostile, hostile: [hostile] });
        for text in [to_json_pretty(&v).unwrap(), to_json_compact(&v).unwrap()] {
            assert!(
                !text
                    .chars()
                    .any(|c| (is_c0_c1_del(c) && c != '\n') || is_format_control(c)),
                "{text:?}"
            );
            assert!(
                text.contains("\\u009b") && text.contains("\\udb40\\udc41"),
                "{text}"
            );
            assert!(text.contains("é 東"), "{text}");
            let back: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(back, v);
        }
        assert!(to_json_pretty(&v).unwrap().contains('\n'));
    }
}
