//! Did the server send the From we wrote? (PROTOCOL.md, Gmail: SMTP rewrites From to the login
//! unless the address is a verified "send mail as" alias, keeping the original in
//! `X-Google-Original-From`.)
//!
//! Only accounts with `sent_copy = "server"` are checked: after a submission, the server's own
//! Sent copy is looked up by Message-ID for at most [`WINDOW`] (the server may file it
//! asynchronously) and its From compared with the From mailroom sent.

use std::time::{Duration, Instant};

use crate::backend::Backend;
use crate::mail::parse;
use crate::sanitize;

/// How long the server's Sent copy is waited for after a submission.
pub const WINDOW: Duration = Duration::from_secs(5);
/// The first pause between two looks; doubled each time, at most [`MAX_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_millis(200);
const MAX_PAUSE: Duration = Duration::from_millis(1600);
/// Longest piece of server text quoted in a warning, in characters.
const MAX_SHOWN: usize = 120;

/// What the look at the server's Sent copy found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verified {
    /// The copy carries the From mailroom sent.
    Unchanged,
    /// The server rewrote From; a warning, safe for a terminal.
    Rewritten(String),
    /// No copy within the window, or it could not be read; why, safe for a terminal.
    NotVerified(String),
}

/// Compares the From mailroom sent (a bare address) with the header section of the server's
/// Sent copy. `Some(warning)` (terminal-safe, one line) when the copy's From address differs
/// (case-insensitively; display names and angle brackets do not count) or is missing, or the
/// copy carries `X-Google-Original-From`.
pub fn rewrite_warning(sent_from: &str, copy_header: &[u8]) -> Option<String> {
    let sent = bare(sent_from);
    let summary = parse::summary_from_raw(0, copy_header, 0, Default::default(), Vec::new());
    let copy_from = summary.from().first().map(|a| bare(a.email).to_string());
    let original = parse::header_text(copy_header, "X-Google-Original-From");
    let same = copy_from
        .as_deref()
        .is_some_and(|c| c.eq_ignore_ascii_case(sent));
    if same && original.is_none() {
        return None;
    }
    let what = match (&copy_from, &original) {
        (Some(c), _) if !same => format!("the server rewrote From to {}", shown(c)),
        (None, _) => "the server's Sent copy has no From address".to_string(),
        (_, Some(o)) => format!(
            "the server marked From as rewritten (X-Google-Original-From: {})",
            shown(&original_address(o))
        ),
        (_, None) => return None,
    };
    Some(format!("{what} (configure a verified send-as alias)"))
}

/// `<a@b>` → `a@b`, trimmed.
fn bare(s: &str) -> &str {
    let s = s.trim();
    s.strip_prefix('<')
        .and_then(|s| s.strip_suffix('>'))
        .unwrap_or(s)
        .trim()
}

/// The address in an `X-Google-Original-From` value (`Name <a@b>` or `a@b`), or the value.
fn original_address(value: &str) -> String {
    let header = format!("From: {value}\r\n\r\n");
    parse::summary_from_raw(0, header.as_bytes(), 0, Default::default(), Vec::new())
        .from()
        .first()
        .map(|a| bare(a.email).to_string())
        .unwrap_or_else(|| value.to_string())
}

/// Server text made safe for one terminal line, and short.
fn shown(s: &str) -> String {
    let clean = sanitize::single_line(s);
    if clean.chars().count() <= MAX_SHOWN {
        return clean;
    }
    let mut cut: String = clean.chars().take(MAX_SHOWN).collect();
    cut.push('…');
    cut
}

/// Looks for the server's copy of `message_id` in `folder` until `deadline` (pausing 0.2 s,
/// then twice as long each time, at most 1.6 s), then compares its From with `sent_from`.
pub fn check(
    b: &mut dyn Backend,
    folder: &str,
    message_id: &str,
    sent_from: &str,
    deadline: Instant,
) -> Verified {
    let mut pause = FIRST_PAUSE;
    loop {
        match b.find_message_id(folder, message_id) {
            Ok(Some(uid)) => {
                return match b.fetch_header(folder, uid) {
                    Ok(header) => match rewrite_warning(sent_from, &header) {
                        Some(w) => Verified::Rewritten(w),
                        None => Verified::Unchanged,
                    },
                    Err(e) => Verified::NotVerified(shown(&format!(
                        "the server's Sent copy could not be read: {e}"
                    ))),
                };
            }
            Ok(None) => {}
            Err(e) => {
                return Verified::NotVerified(shown(&format!(
                    "the server's Sent folder could not be searched: {e}"
                )));
            }
        }
        let now = Instant::now();
        if now >= deadline {
            return Verified::NotVerified(format!(
                "the server's Sent copy did not appear within {} s",
                WINDOW.as_secs()
            ));
        }
        std::thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(MAX_PAUSE);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(from: &str, extra: &str) -> Vec<u8> {
        format!("From: {from}\r\n{extra}Subject: x\r\nMessage-ID: <1@example.test>\r\n\r\n")
            .into_bytes()
    }

    #[test]
    fn the_same_address_is_unchanged_whatever_the_name_case_or_brackets() {
        for from in [
            "support@example.test",
            "<support@example.test>",
            "Example Support <support@example.test>",
            "\"Support, Example\" <SUPPORT@Example.TEST>",
            "=?utf-8?q?S=C3=BCpport?= <support@example.test>",
            "support@example.test (Example Support)",
        ] {
            assert_eq!(
                rewrite_warning("support@example.test", &header(from, "")),
                None,
                "{from}"
            );
        }
        assert_eq!(
            rewrite_warning(
                "<Support@Example.test>",
                &header("support@example.test", "")
            ),
            None
        );
    }

    #[test]
    fn a_different_address_is_reported_with_the_address_the_server_put() {
        let w = rewrite_warning(
            "support@example.test",
            &header("Alice <alice@gmail.example>", ""),
        )
        .unwrap();
        assert_eq!(
            w,
            "the server rewrote From to alice@gmail.example (configure a verified send-as alias)"
        );
        // A display name that looks like our address does not count.
        let w = rewrite_warning(
            "support@example.test",
            &header("\"support@example.test\" <alice@gmail.example>", ""),
        )
        .unwrap();
        assert!(w.contains("alice@gmail.example"), "{w}");
    }

    #[test]
    fn x_google_original_from_alone_is_a_rewrite() {
        let w = rewrite_warning(
            "support@example.test",
            &header(
                "alice@gmail.example",
                "X-Google-Original-From: Example Support <support@example.test>\r\n",
            ),
        )
        .unwrap();
        assert!(w.contains("rewrote From to alice@gmail.example"), "{w}");
        let w = rewrite_warning(
            "support@example.test",
            &header(
                "support@example.test",
                "X-Google-Original-From: Someone <other@example.test>\r\n",
            ),
        )
        .unwrap();
        assert!(
            w.contains("X-Google-Original-From: other@example.test"),
            "{w}"
        );
    }

    #[test]
    fn a_missing_from_is_reported() {
        let raw = b"Subject: x\r\nMessage-ID: <1@example.test>\r\n\r\n";
        let w = rewrite_warning("support@example.test", raw).unwrap();
        assert!(w.contains("no From"), "{w}");
    }

    #[test]
    fn hostile_header_values_never_reach_the_terminal_raw() {
        let hostile = [
            header("Evil <ev\u{1b}]0;pwn\u{7}il@x.test>", ""),
            header("<a\u{202e}b@x.test>", ""),
            header(
                "support@example.test",
                "X-Google-Original-From: \u{1b}[2J\u{9b}31m<x\u{1b}@y>\r\n",
            ),
            header(&format!("<{}@x.test>", "a".repeat(5000)), ""),
            header(&"x".repeat(70_000), ""),
            b"From: \xff\xfe\x1b[31m@x.test\r\n\r\n".to_vec(),
        ];
        for raw in &hostile {
            let w = rewrite_warning("support@example.test", raw).expect("reported");
            assert!(sanitize::is_clean_line(&w), "{w:?}");
            assert!(w.chars().count() < 300, "{w:?}");
        }
    }

    #[test]
    fn shown_cuts_long_text() {
        let s = shown(&"é".repeat(500));
        assert_eq!(s.chars().count(), MAX_SHOWN + 1);
        assert!(s.ends_with('…'));
    }
}
