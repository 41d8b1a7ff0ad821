//! The bytes of the terminal title and the notifications, built from clean text only: no
//! control character, no `;`, BEL or ESC from a subject can end the sequence early or start
//! another. Pure: `ui::terminal` writes what these build.

use crate::config::notify::Osc;

/// Longest text of a notification or a title, in characters.
pub const MAX_TEXT: usize = 200;

/// Whether `c` reorders or hides text (bidi controls, zero-width marks): dropped.
fn invisible(c: char) -> bool {
    matches!(c,
        '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}'
        | '\u{061C}' | '\u{FEFF}')
}

/// `text` made safe inside an OSC string: control characters (C0, DEL, C1: ESC, BEL, CR, LF,
/// the 8-bit ST and CSI) become spaces, `;` (the field separator) becomes `,`, invisible
/// formatting characters are dropped, runs of spaces become one, and the result is cut at
/// `MAX_TEXT` characters.
pub fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_TEXT * 4));
    let mut n = 0;
    for c in text.chars() {
        if invisible(c) {
            continue;
        }
        let c = if c.is_control() {
            ' '
        } else if c == ';' {
            ','
        } else {
            c
        };
        if c == ' ' && (out.is_empty() || out.ends_with(' ')) {
            continue;
        }
        if n == MAX_TEXT {
            out.push('…');
            break;
        }
        out.push(c);
        n += 1;
    }
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    out
}

/// Saves the terminal's title on its title stack (XTWINOPS 22), so leaving can restore it.
pub const PUSH_TITLE: &[u8] = b"\x1b[22;0t";
/// Restores the title saved by [`PUSH_TITLE`] (XTWINOPS 23).
pub const POP_TITLE: &[u8] = b"\x1b[23;0t";
/// The bell.
pub const BELL: &[u8] = b"\x07";

/// OSC 2 (the window title; in tmux the pane's title) with `text`, cleaned.
pub fn title(text: &str) -> Vec<u8> {
    format!("\x1b]2;{}\x07", clean(text)).into_bytes()
}

/// The desktop notification `osc` asks for, with `title` and `body` cleaned; inside tmux
/// (`tmux`: `$TMUX` is set) wrapped in tmux's passthrough DCS, which tmux forwards to the
/// outer terminal when its `allow-passthrough` option is on. Empty for `Osc::Off`.
pub fn notification(osc: Osc, title: &str, body: &str, tmux: bool) -> Vec<u8> {
    let seq = match osc {
        Osc::Off => return Vec::new(),
        Osc::Osc9 => format!("\x1b]9;{}\x07", clean(body)),
        Osc::Osc777 => format!("\x1b]777;notify;{};{}\x07", clean(title), clean(body)),
    };
    if tmux {
        tmux_passthrough(seq.as_bytes())
    } else {
        seq.into_bytes()
    }
}

/// `ESC P tmux; <seq with every ESC doubled> ESC \`: tmux's passthrough.
pub fn tmux_passthrough(seq: &[u8]) -> Vec<u8> {
    let mut out = b"\x1bPtmux;".to_vec();
    for &b in seq {
        if b == 0x1b {
            out.push(0x1b);
        }
        out.push(b);
    }
    out.extend_from_slice(b"\x1b\\");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str =
        "Invoice\x07\x1b]2;pwned\x07\x1b[2J;rm -rf\r\n\u{9c}\u{9b}31m\u{202e}gnp.exe\u{7f}";

    /// Whether `bytes` hold exactly one OSC, from `ESC ]` to its BEL, and nothing after.
    fn one_osc(bytes: &[u8]) -> bool {
        bytes.starts_with(b"\x1b]")
            && bytes.iter().filter(|&&b| b == 0x1b).count() == 1
            && bytes.iter().filter(|&&b| b == 0x07).count() == 1
            && bytes.ends_with(b"\x07")
    }

    #[test]
    fn hostile_text_cannot_end_or_start_a_sequence() {
        let c = clean(HOSTILE);
        assert!(
            !c.chars()
                .any(|c| c.is_control() || c == ';' || invisible(c)),
            "{c:?}"
        );
        assert_eq!(c, "Invoice ]2,pwned [2J,rm -rf 31mgnp.exe");
        let t = title(HOSTILE);
        assert!(one_osc(&t), "{t:?}");
        let n9 = notification(Osc::Osc9, "mailroom", HOSTILE, false);
        assert!(one_osc(&n9), "{n9:?}");
        assert!(n9.starts_with(b"\x1b]9;Invoice"));
        let n777 = notification(Osc::Osc777, "a;b\x1b", HOSTILE, false);
        assert!(one_osc(&n777), "{n777:?}");
        // Exactly the four fields: 777, notify, title, body.
        let text = String::from_utf8(n777).expect("utf-8");
        assert_eq!(text.matches(';').count(), 3, "{text:?}");
        assert!(text.starts_with("\x1b]777;notify;a,b;Invoice"));
        assert!(notification(Osc::Off, "t", "b", false).is_empty());
    }

    #[test]
    fn text_is_bounded() {
        let long = "x".repeat(5000);
        assert_eq!(clean(&long).chars().count(), MAX_TEXT + 1);
        assert_eq!(clean("  a \t\n b  "), "a b");
    }

    #[test]
    fn inside_tmux_the_sequence_is_wrapped_with_every_escape_doubled() {
        let n = notification(Osc::Osc9, "mailroom", "support: new mail", true);
        assert_eq!(
            n,
            b"\x1bPtmux;\x1b\x1b]9;support: new mail\x07\x1b\\".to_vec()
        );
        // A hostile body still holds no ESC of its own inside the wrapper.
        let h = notification(Osc::Osc777, HOSTILE, HOSTILE, true);
        let inner = &h[7..h.len() - 2];
        assert_eq!(inner.iter().filter(|&&b| b == 0x1b).count(), 2, "{h:?}");
        assert!(h.ends_with(b"\x07\x1b\\"));
    }

    #[test]
    fn the_title_is_osc_2() {
        assert_eq!(
            title("mailroom — 12 unread"),
            "\x1b]2;mailroom — 12 unread\x07".as_bytes()
        );
    }
}
