//! One FETCH response (ENVELOPE + a few header fields) → a message-list `Summary`.
//!
//! ENVELOPE strings arrive raw (RFC 2047 encoded words, any bytes); they are decoded here but
//! not sanitized — display code does that. Everything is bounded like `mail::parse`.

use imap::types::{Fetch, Flag};
use mail_parser::HeaderValue;
use mail_parser::parsers::MessageStream;

use crate::backend::{Address, Flags, Summary};
use crate::mail::parse::{MAX_ADDRESSES, MAX_DELIVERED_TO, MAX_REFERENCES};

/// Header fields fetched next to ENVELOPE: threading, the address a mail reached, and enough
/// of Content-Type to mark attachments.
pub const HEADER_FIELDS: &str = "REFERENCES IN-REPLY-TO DELIVERED-TO X-ORIGINAL-TO CONTENT-TYPE";

/// The FETCH items of a message-list row (the benchmark's protocol floor fetches the same).
pub fn fetch_items(condstore: bool) -> String {
    format!(
        "(UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODY.PEEK[HEADER.FIELDS ({HEADER_FIELDS})]{})",
        if condstore { " MODSEQ" } else { "" }
    )
}

/// Longest decoded string kept from an ENVELOPE field.
const MAX_TEXT: usize = 16 * 1024;

pub fn split_flags(flags: &[Flag<'_>]) -> (Flags, Vec<String>) {
    let mut f = Flags::default();
    let mut keywords = Vec::new();
    for flag in flags {
        match flag {
            Flag::Seen => f.seen = true,
            Flag::Answered => f.answered = true,
            Flag::Flagged => f.flagged = true,
            Flag::Deleted => f.deleted = true,
            Flag::Draft => f.draft = true,
            Flag::Custom(k) if !k.starts_with('\\') => keywords.push(k.to_string()),
            _ => {}
        }
    }
    (f, keywords)
}

/// Decodes an unstructured ENVELOPE string (subject, display name).
fn decode_text(raw: &[u8]) -> String {
    let raw = &raw[..raw.len().min(MAX_TEXT)];
    if !raw.windows(2).any(|w| w == b"=?") {
        return String::from_utf8_lossy(raw).into_owned();
    }
    // The decoder wants a header line: fold nothing, end with LF.
    let mut line: Vec<u8> = raw
        .iter()
        .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b })
        .collect();
    line.push(b'\n');
    match MessageStream::new(&line).parse_unstructured() {
        HeaderValue::Text(t) => t.into_owned(),
        _ => String::from_utf8_lossy(raw).into_owned(),
    }
}

/// Bytes as text, borrowed when valid UTF-8 (the rule): no allocation on the hot path.
fn lossy(raw: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(&raw[..raw.len().min(MAX_TEXT)])
}

fn addresses(list: Option<&Vec<imap_proto::Address<'_>>>) -> Vec<Address> {
    let Some(list) = list else { return Vec::new() };
    // Group syntax: start/end markers have no host; members are listed flat.
    let real = |a: &&imap_proto::Address<'_>| a.host.is_some() && a.mailbox.is_some();
    let count = list.iter().filter(real).count().min(MAX_ADDRESSES);
    // Exact capacities: a mirror keeps 100,000 rows, and slack or reallocation adds up.
    let mut out = Vec::with_capacity(count);
    for a in list.iter().filter(real).take(count) {
        let mailbox = a.mailbox.as_deref().map(lossy).unwrap_or_default();
        let host = a.host.as_deref().map(lossy).unwrap_or_default();
        let mut email = String::with_capacity(mailbox.len() + 1 + host.len());
        email.push_str(&mailbox);
        email.push('@');
        email.push_str(&host);
        out.push(Address {
            name: a
                .name
                .as_deref()
                .map(decode_text)
                .filter(|n| !n.trim().is_empty()),
            email,
        });
    }
    out
}

/// Message-IDs in a header value, without angle brackets, in order, deduplicated.
fn ids(value: &[u8], limit: usize) -> Vec<String> {
    let text = String::from_utf8_lossy(value);
    let mut out: Vec<String> =
        Vec::with_capacity(text.matches('<').count().min(limit.saturating_add(1)));
    let mut rest = text.as_ref();
    while let Some(start) = rest.find('<') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('>') else { break };
        let id = after[..end].trim();
        if !id.is_empty() && id.len() <= 998 && !out.iter().any(|o| o == id) {
            out.push(id.to_string());
        }
        rest = &after[end + 1..];
    }
    if out.len() > limit {
        // Keep the thread root and the newest ones, like mail::parse.
        let tail = out.split_off(out.len() - (limit - 1));
        out.truncate(1);
        out.extend(tail);
    }
    out
}

/// Calls `field` with each field of a header block: its name and unfolded value. Allocates
/// only for folded values.
fn header_fields(block: &[u8], mut field: impl FnMut(&[u8], &[u8])) {
    let mut name: &[u8] = b"";
    let mut value: std::borrow::Cow<'_, [u8]> = std::borrow::Cow::Borrowed(b"");
    let mut open = false;
    for line in block.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        if line[0] == b' ' || line[0] == b'\t' {
            if open && value.len() < 64 * 1024 {
                let v = value.to_mut();
                v.push(b' ');
                v.extend_from_slice(line.trim_ascii());
            }
            continue;
        }
        if open {
            field(name, &value);
        }
        open = false;
        if let Some(colon) = line.iter().position(|&b| b == b':') {
            name = line[..colon].trim_ascii();
            value = std::borrow::Cow::Borrowed(line[colon + 1..].trim_ascii());
            open = true;
        }
    }
    if open {
        field(name, &value);
    }
}

/// A bare address from `Delivered-To:`/`X-Original-To:` (`<a@b>` or `a@b`).
fn bare_address(value: &[u8]) -> Option<String> {
    let s = String::from_utf8_lossy(value);
    let s = s
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim();
    (s.contains('@') && !s.contains(char::is_whitespace) && s.len() <= 320).then(|| s.to_string())
}

/// The summary of one FETCH response; `None` when it has no UID (not ours to list).
pub fn from_fetch(f: &Fetch<'_>) -> Option<Summary> {
    let uid = f.uid?;
    let (flags, keywords) = split_flags(f.flags());
    let mut s = Summary {
        uid,
        modseq: f.mod_seq(),
        internal_date: f.internal_date().map(|d| d.timestamp()).unwrap_or(0),
        size: u64::from(f.size.unwrap_or(0)),
        flags,
        keywords,
        ..Summary::default()
    };
    if let Some(env) = f.envelope() {
        s.subject = env.subject.as_deref().map(decode_text).unwrap_or_default();
        s.from = addresses(env.from.as_ref());
        s.sender = addresses(env.sender.as_ref());
        s.reply_to = addresses(env.reply_to.as_ref());
        s.to = addresses(env.to.as_ref());
        s.cc = addresses(env.cc.as_ref());
        s.date = env
            .date
            .as_deref()
            .and_then(|d| mail_parser::DateTime::parse_rfc822(&String::from_utf8_lossy(d)))
            .filter(|d| d.is_valid())
            .map(|d| d.to_timestamp());
        s.message_id = env
            .message_id
            .as_deref()
            .and_then(|m| ids(m, 1).into_iter().next());
        s.in_reply_to = env
            .in_reply_to
            .as_deref()
            .map(|v| ids(v, MAX_REFERENCES))
            .unwrap_or_default();
    }
    if let Some(block) = f.header() {
        header_fields(block, |name, value| {
            let is = |n: &str| name.eq_ignore_ascii_case(n.as_bytes());
            if is("references") {
                s.references = ids(value, MAX_REFERENCES);
            } else if is("in-reply-to") && s.in_reply_to.is_empty() {
                s.in_reply_to = ids(value, MAX_REFERENCES);
            } else if is("delivered-to") || is("x-original-to") {
                if s.delivered_to.len() < MAX_DELIVERED_TO
                    && let Some(a) = bare_address(value)
                    && !s.delivered_to.iter().any(|d| d.eq_ignore_ascii_case(&a))
                {
                    s.delivered_to.push(a);
                }
            } else if is("content-type") {
                s.has_attachment = value
                    .get(..15)
                    .is_some_and(|v| v.eq_ignore_ascii_case(b"multipart/mixed"));
            }
        });
        s.delivered_to.shrink_to_fit();
    }
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_encoded_words() {
        assert_eq!(
            decode_text(b"=?UTF-8?Q?Zo=C3=AB_M=C3=BCller?="),
            "Zoë Müller"
        );
        assert_eq!(decode_text(b"plain \xff text"), "plain \u{FFFD} text");
        assert_eq!(decode_text(b"=?utf-8?B?5bGx55Sw5aSq6YOO?="), "山田太郎");
    }

    #[test]
    fn ids_are_bounded_and_deduplicated() {
        assert_eq!(ids(b"<a@x> <b@x>\r\n <a@x>", 10), ["a@x", "b@x"]);
        let many: String = (0..500).map(|i| format!("<{i}@x> ")).collect();
        let v = ids(many.as_bytes(), MAX_REFERENCES);
        assert_eq!(v.len(), MAX_REFERENCES);
        assert_eq!(v[0], "0@x");
        assert_eq!(v.last().map(String::as_str), Some("499@x"));
        assert!(ids(b"<unterminated", 5).is_empty());
    }

    #[test]
    fn header_block_unfolds() {
        let mut f: Vec<(String, Vec<u8>)> = Vec::new();
        header_fields(
            b"References: <a@x>\r\n <b@x>\r\nDelivered-To: help@example.test\r\n\r\n",
            |n, v| f.push((String::from_utf8_lossy(n).to_ascii_lowercase(), v.to_vec())),
        );
        assert_eq!(f[0].0, "references");
        assert_eq!(ids(&f[0].1, 10), ["a@x", "b@x"]);
        assert_eq!(bare_address(&f[1].1).as_deref(), Some("help@example.test"));
    }
}
