//! One FETCH response (ENVELOPE + a few header fields) → a message-list `Summary`.
//!
//! ENVELOPE strings arrive raw (RFC 2047 encoded words, any bytes); they are decoded here but
//! not sanitized — display code does that. Everything is bounded like `mail::parse`.

use imap::types::{Fetch, Flag};
use mail_parser::HeaderValue;
use mail_parser::parsers::MessageStream;

use crate::mail::parse::{MAX_ADDRESSES, MAX_DELIVERED_TO, MAX_REFERENCES};
use crate::message::{Address, Fields, Flags, Summary};

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

/// Message-IDs in a header value, without angle brackets, deduplicated: the first (thread
/// root) and the newest, at most `limit` (see `mail::msgid`; linear in the value's length).
fn ids(value: &[u8], limit: usize) -> Vec<String> {
    crate::mail::msgid::id_list(value, limit)
}

/// Longest unfolded value kept of a field other than References/In-Reply-To.
const MAX_UNFOLDED: usize = 64 * 1024;

/// Calls `field` with each field of a header block: its name and its raw value, continuation
/// lines included (CRLF and all: id lists read it as it is, other fields [`unfold`] it). No
/// copy, and one pass over the block however long a field is.
fn header_fields(block: &[u8], mut field: impl FnMut(&[u8], &[u8])) {
    let mut name: &[u8] = b"";
    let mut value: Option<(usize, usize)> = None;
    let mut pos = 0;
    for line in block.split(|&b| b == b'\n') {
        let start = pos;
        pos += line.len() + 1;
        let end = start + line.strip_suffix(b"\r").unwrap_or(line).len();
        if start == end {
            continue;
        }
        if line[0] == b' ' || line[0] == b'\t' {
            if let Some((_, e)) = &mut value {
                *e = end;
            }
            continue;
        }
        if let Some((s, e)) = value.take() {
            field(name, &block[s..e]);
        }
        if let Some(colon) = line.iter().position(|&b| b == b':') {
            name = line[..colon].trim_ascii();
            value = Some((start + colon + 1, end));
        }
    }
    if let Some((s, e)) = value {
        field(name, &block[s..e]);
    }
}

/// A folded value on one line (each line break and the blanks around it become one space),
/// at most [`MAX_UNFOLDED`] bytes.
fn unfold(raw: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    let raw = raw.trim_ascii();
    if !raw.contains(&b'\n') {
        return std::borrow::Cow::Borrowed(&raw[..raw.len().min(MAX_UNFOLDED)]);
    }
    let mut out = Vec::new();
    for line in raw.split(|&b| b == b'\n') {
        if out.len() >= MAX_UNFOLDED {
            break;
        }
        let line = line.trim_ascii();
        if !out.is_empty() && !line.is_empty() {
            out.push(b' ');
        }
        out.extend_from_slice(line);
    }
    out.truncate(MAX_UNFOLDED);
    std::borrow::Cow::Owned(out)
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
    let mut s = Fields {
        uid,
        modseq: f.mod_seq(),
        internal_date: f.internal_date().map(|d| d.timestamp()).unwrap_or(0),
        size: u64::from(f.size.unwrap_or(0)),
        flags,
        keywords,
        ..Fields::default()
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
                    && let Some(a) = bare_address(&unfold(value))
                    && !s.delivered_to.iter().any(|d| d.eq_ignore_ascii_case(&a))
                {
                    s.delivered_to.push(a);
                }
            } else if is("content-type") {
                s.has_attachment = unfold(value)
                    .get(..15)
                    .is_some_and(|v| v.eq_ignore_ascii_case(b"multipart/mixed"));
            }
        });
        s.delivered_to.shrink_to_fit();
    }
    Some(s.into())
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

    /// A References header of 100,000 ids (1.1 MB, ten a folded line): the row keeps the root
    /// and the newest ids (the parent last), and the work is linear: 100,000 ids cost about
    /// ten times 10,000 ids, not a hundred times (it was quadratic: 15 s of CPU per cold sync).
    #[test]
    fn a_megabyte_of_references_is_read_in_linear_time_and_keeps_the_parent() {
        fn block(n: usize) -> Vec<u8> {
            let mut v = b"References: <root@x>".to_vec();
            for i in 0..n {
                v.extend_from_slice(if i % 10 == 0 { b"\r\n " } else { b" " });
                v.extend_from_slice(format!("<r{i}@x>").as_bytes());
            }
            v.extend_from_slice(b"\r\n <parent@x>\r\nIn-Reply-To: <parent@x>\r\n\r\n");
            v
        }
        fn refs(block: &[u8]) -> Vec<String> {
            let mut out = Vec::new();
            header_fields(block, |name, value| {
                if name.eq_ignore_ascii_case(b"references") {
                    out = ids(value, MAX_REFERENCES);
                }
            });
            out
        }
        fn unfolded(block: &[u8]) -> Vec<u8> {
            let mut v: Vec<u8> = block.iter().copied().filter(|&b| b != b'\r').collect();
            v.retain(|&b| b != b'\n');
            v
        }
        let (small, big) = (block(10_000), block(100_000));
        let (small_line, big_line) = (unfolded(&small), unfolded(&big));
        assert!(big.len() > 1_000_000);
        let r = refs(&big);
        assert!(r.len() <= MAX_REFERENCES, "{}", r.len());
        assert_eq!(r.first().map(String::as_str), Some("root@x"));
        assert_eq!(r.last().map(String::as_str), Some("parent@x"));
        assert_eq!(r[r.len() - 2], "r99999@x");
        // One line of 1.1 MB, unfolded, too.
        let r = ids(&big_line[12..], MAX_REFERENCES);
        assert_eq!(r.first().map(String::as_str), Some("root@x"));
        assert_eq!(r.last().map(String::as_str), Some("parent@x"));

        // Best of three (the machine is shared).
        let best = |folded: &[u8], line: &[u8]| {
            (0..3)
                .map(|_| {
                    let t = std::time::Instant::now();
                    std::hint::black_box(refs(std::hint::black_box(folded)));
                    std::hint::black_box(ids(std::hint::black_box(line), MAX_REFERENCES));
                    t.elapsed()
                })
                .min()
                .unwrap_or_default()
        };
        let (t_small, t_big) = (best(&small, &small_line), best(&big, &big_line));
        assert!(
            t_big < t_small * 30 + std::time::Duration::from_millis(300),
            "100,000 ids took {t_big:?}, 10,000 ids {t_small:?}"
        );
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
        assert_eq!(
            bare_address(&unfold(&f[1].1)).as_deref(),
            Some("help@example.test")
        );
        assert_eq!(
            unfold(b" multipart/mixed;\r\n\tboundary=x \r\n").as_ref(),
            b"multipart/mixed; boundary=x"
        );
    }
}
