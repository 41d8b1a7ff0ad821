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
fn is_format_control(c: char) -> bool {
    matches!(c as u32,
        0x00AD | 0x0600..=0x0605 | 0x061C | 0x06DD | 0x070F | 0x0890..=0x0891 | 0x08E2
        | 0x180E | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x206F
        | 0xFEFF | 0xFFF9..=0xFFFB | 0x110BD | 0x110CD | 0x13430..=0x1343F | 0x1BCA0..=0x1BCA3
        | 0x1D173..=0x1D17A | 0xE0001 | 0xE0020..=0xE007F)
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
}
