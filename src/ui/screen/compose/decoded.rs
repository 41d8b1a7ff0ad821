//! The send preview's first view: the message as its recipient will read it — the main
//! headers decoded, the text with its quoted-printable or base64 undone (soft line breaks
//! joined), the attachments listed. The exact bytes are the preview's second view.

use crate::mail::display::attachment_label;
use crate::mail::{attachments, parse};
use crate::message::Addrs;
use crate::sanitize;

/// The decoded lines of an outgoing message, sanitized for display.
pub(crate) fn lines(raw: &[u8]) -> Vec<String> {
    let s = parse::summary_from_raw(0, raw, 0, Default::default(), Vec::new());
    let mut out = Vec::new();
    let mut field = |name: &str, value: String| {
        if !value.is_empty() {
            out.push(format!("{name}: {}", sanitize::single_line(&value)));
        }
    };
    field("From", addresses(s.from()));
    field("Sender", addresses(s.sender()));
    field("To", addresses(s.to()));
    field("Cc", addresses(s.cc()));
    field("Subject", s.subject().to_string());
    out.push(String::new());
    let text = sanitize::multi_line(&parse::text_body(raw));
    out.extend(text.replace("\r\n", "\n").lines().map(str::to_string));
    let files = attachments::list(raw);
    if !files.is_empty() {
        out.push(String::new());
        out.extend(
            files
                .iter()
                .map(|a| format!("Attached: {}", attachment_label(a))),
        );
    }
    out
}

fn addresses(list: Addrs<'_>) -> String {
    list.map(|a| a.display()).collect::<Vec<_>>().join(", ")
}
