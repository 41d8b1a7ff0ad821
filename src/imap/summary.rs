//! One FETCH response (ENVELOPE + a few header fields) → a message-list `Summary`.
//!
//! ENVELOPE strings arrive raw (RFC 2047 encoded words, any bytes); they are decoded here but
//! not sanitized — display code does that. Everything is bounded like `mail::parse`.

use imap::types::{Fetch, Flag};
use mail_parser::HeaderValue;
use mail_parser::parsers::MessageStream;

use crate::mail::parse::{MAX_ADDRESSES, MAX_DELIVERED_TO, MAX_REFERENCES};
use crate::message::{AddressRef, Flags, Keywords, Summary, TextWriter};

/// Header fields fetched next to ENVELOPE: threading, the address a mail reached, and enough
/// of Content-Type to mark attachments.
pub const HEADER_FIELDS: &str = "REFERENCES IN-REPLY-TO DELIVERED-TO X-ORIGINAL-TO CONTENT-TYPE";

/// The FETCH items of a message-list row (the benchmark's protocol floor fetches the same).
/// The header fields come before ENVELOPE: servers answer in the order asked, and the imap
/// crate parses a response again from its start for each line of a literal it reads, so the
/// literal goes before the long ENVELOPE, which is then parsed once.
pub fn fetch_items(condstore: bool) -> String {
    format!(
        "(UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER.FIELDS ({HEADER_FIELDS})] ENVELOPE{})",
        if condstore { " MODSEQ" } else { "" }
    )
}

/// Longest decoded string kept from an ENVELOPE field.
pub(crate) const MAX_TEXT: usize = 16 * 1024;

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

/// One flag of a FETCH as the server wrote it: a system flag is set in `flags`, a keyword is
/// returned, anything else (`\\Recent`, `\\*`, an unknown `\\Flag`) is dropped. The same
/// split as [`split_flags`] makes of the imap crate's `Flag` (its names are case-sensitive).
pub(crate) fn add_flag<'s>(name: &'s str, flags: &mut Flags) -> Option<&'s str> {
    match name {
        "\\Seen" => flags.seen = true,
        "\\Answered" => flags.answered = true,
        "\\Flagged" => flags.flagged = true,
        "\\Deleted" => flags.deleted = true,
        "\\Draft" => flags.draft = true,
        _ if name.starts_with('\\') => {}
        _ => return Some(name),
    }
    None
}

/// Decodes an unstructured ENVELOPE string (subject, display name).
#[cfg(test)]
pub(crate) fn decode_text(raw: &[u8]) -> String {
    decode(raw).into_owned()
}

/// [`decode_text`], borrowed when there is nothing to decode and the bytes are UTF-8.
fn decode(raw: &[u8]) -> std::borrow::Cow<'_, str> {
    let raw = &raw[..raw.len().min(MAX_TEXT)];
    if !raw.windows(2).any(|w| w == b"=?") {
        return String::from_utf8_lossy(raw);
    }
    // The decoder wants a header line: fold nothing, end with LF.
    let mut line: Vec<u8> = raw
        .iter()
        .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b })
        .collect();
    line.push(b'\n');
    match MessageStream::new(&line).parse_unstructured() {
        HeaderValue::Text(t) => std::borrow::Cow::Owned(t.into_owned()),
        _ => String::from_utf8_lossy(raw),
    }
}

/// One address of an ENVELOPE as the server sent it (NIL is None): `(name adl mailbox host)`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct RawAddress<'a> {
    pub name: Option<&'a [u8]>,
    pub mailbox: Option<&'a [u8]>,
    pub host: Option<&'a [u8]>,
}

/// The fields of an ENVELOPE a summary uses, as the server sent them (NIL is None, and a NIL
/// address list is empty). Bcc is not kept.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RawEnvelope<'a, 'l> {
    pub date: Option<&'a [u8]>,
    pub subject: Option<&'a [u8]>,
    pub from: &'l [RawAddress<'a>],
    pub sender: &'l [RawAddress<'a>],
    pub reply_to: &'l [RawAddress<'a>],
    pub to: &'l [RawAddress<'a>],
    pub cc: &'l [RawAddress<'a>],
    pub in_reply_to: Option<&'a [u8]>,
    pub message_id: Option<&'a [u8]>,
}

/// What one FETCH response says of a message, taken out of its syntax (by the imap crate's
/// parser in [`from_fetch`], by `imap::fetch_parse` for a sync): the one input of
/// [`summary_of`], the one definition of how a response becomes a row.
#[derive(Debug, Clone, Default)]
pub(crate) struct RawFetch<'a, 'l> {
    pub uid: u32,
    pub flags: Flags,
    pub keywords: Keywords,
    pub modseq: Option<u64>,
    /// INTERNALDATE, seconds since the epoch; 0 when missing or unreadable.
    pub internal_date: i64,
    pub size: Option<u32>,
    pub envelope: Option<RawEnvelope<'a, 'l>>,
    /// The header block of `BODY[HEADER.FIELDS (…)]`.
    pub header: Option<&'a [u8]>,
}

/// Buffers [`summary_of`] reuses from one message to the next: the decoded names and the
/// e-mail addresses of one address list, written into the summary's text from here.
#[derive(Default)]
pub(crate) struct Scratch {
    text: String,
    /// (name, e-mail) of each address, as ranges of `text`.
    spans: Vec<(Option<Span>, Span)>,
}

type Span = (usize, usize);

/// Bytes as text, borrowed when valid UTF-8 (the rule): no allocation on the hot path.
fn lossy(raw: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(&raw[..raw.len().min(MAX_TEXT)])
}

/// Writes one address list: group syntax start/end markers (no host) are skipped, members are
/// listed flat; at most [`MAX_ADDRESSES`]; a blank display name is none.
fn write_addresses(w: &mut TextWriter, list: &[RawAddress<'_>], scratch: &mut Scratch) {
    let Scratch { text, spans } = scratch;
    text.clear();
    spans.clear();
    let real = |a: &&RawAddress<'_>| a.host.is_some() && a.mailbox.is_some();
    for a in list.iter().filter(real).take(MAX_ADDRESSES) {
        let name = a
            .name
            .map(decode)
            .filter(|n| !n.trim().is_empty())
            .map(|n| {
                let start = text.len();
                text.push_str(&n);
                (start, text.len())
            });
        let start = text.len();
        text.push_str(&a.mailbox.map(lossy).unwrap_or_default());
        text.push('@');
        text.push_str(&a.host.map(lossy).unwrap_or_default());
        spans.push((name, (start, text.len())));
    }
    let text = text.as_str();
    w.addrs(spans.iter().map(|&(name, (s, e))| AddressRef {
        name: name.and_then(|(s, e)| text.get(s..e)),
        email: text.get(s..e).unwrap_or_default(),
    }));
}

/// Message-IDs in a header value, without angle brackets, deduplicated: the first (thread
/// root) and the newest, at most `limit` (see `mail::msgid`; linear in the value's length).
pub(crate) fn ids(value: &[u8], limit: usize) -> Vec<String> {
    crate::mail::msgid::id_list(value, limit)
}

/// Longest unfolded value kept of a field other than References/In-Reply-To.
const MAX_UNFOLDED: usize = 64 * 1024;

/// Calls `field` with each field of a header block: its name and its raw value, continuation
/// lines included (CRLF and all: id lists read it as it is, other fields [`unfold`] it). No
/// copy, and one pass over the block however long a field is.
pub(crate) fn header_fields(block: &[u8], mut field: impl FnMut(&[u8], &[u8])) {
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
pub(crate) fn unfold(raw: &[u8]) -> std::borrow::Cow<'_, [u8]> {
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
pub(crate) fn bare_address(value: &[u8]) -> Option<String> {
    let s = String::from_utf8_lossy(value);
    let s = s
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim();
    (s.contains('@') && !s.contains(char::is_whitespace) && s.len() <= 320).then(|| s.to_string())
}

/// An address list as the imap crate parsed it.
fn raw_list<'a>(list: Option<&'a Vec<imap_proto::Address<'_>>>) -> Vec<RawAddress<'a>> {
    list.map(|l| {
        l.iter()
            .map(|a| RawAddress {
                name: a.name.as_deref(),
                mailbox: a.mailbox.as_deref(),
                host: a.host.as_deref(),
            })
            .collect()
    })
    .unwrap_or_default()
}

/// The summary of one FETCH response as the imap crate parsed it; `None` when it has no UID
/// (not ours to list).
pub fn from_fetch(f: &Fetch<'_>) -> Option<Summary> {
    let uid = f.uid?;
    let (flags, keywords) = split_flags(f.flags());
    let env = f.envelope();
    let lists =
        env.map(|e| [&e.from, &e.sender, &e.reply_to, &e.to, &e.cc].map(|l| raw_list(l.as_ref())));
    let envelope = env
        .zip(lists.as_ref())
        .map(|(e, [from, sender, reply_to, to, cc])| RawEnvelope {
            date: e.date.as_deref(),
            subject: e.subject.as_deref(),
            from,
            sender,
            reply_to,
            to,
            cc,
            in_reply_to: e.in_reply_to.as_deref(),
            message_id: e.message_id.as_deref(),
        });
    let fetch = RawFetch {
        uid,
        flags,
        keywords: Keywords::new(&keywords),
        modseq: f.mod_seq(),
        internal_date: f.internal_date().map(|d| d.timestamp()).unwrap_or(0),
        size: f.size,
        envelope,
        header: f.header(),
    };
    Some(summary_of(fetch, &mut Scratch::default()))
}

/// The row of one FETCH response: ENVELOPE strings decoded (RFC 2047), ids and addresses
/// bounded, the header fields read for threading, Delivered-To and attachments. The text is
/// written straight into the summary's packed text, in its layout order.
pub(crate) fn summary_of(f: RawFetch<'_, '_>, scratch: &mut Scratch) -> Summary {
    let mut s = Summary::default();
    s.uid = f.uid;
    s.modseq = f.modseq;
    s.internal_date = f.internal_date;
    s.size = u64::from(f.size.unwrap_or(0));
    s.flags = f.flags;
    s.keywords = f.keywords;
    let env = f.envelope.unwrap_or_default();
    s.date = env
        .date
        .and_then(|d| mail_parser::DateTime::parse_rfc822(&String::from_utf8_lossy(d)))
        .filter(|d| d.is_valid())
        .map(|d| d.to_timestamp());
    let mut in_reply_to = env
        .in_reply_to
        .map(|v| ids(v, MAX_REFERENCES))
        .unwrap_or_default();
    let mut references = Vec::new();
    let mut delivered_to: Vec<String> = Vec::new();
    if let Some(block) = f.header {
        header_fields(block, |name, value| {
            let is = |n: &str| name.eq_ignore_ascii_case(n.as_bytes());
            if is("references") {
                references = ids(value, MAX_REFERENCES);
            } else if is("in-reply-to") && in_reply_to.is_empty() {
                in_reply_to = ids(value, MAX_REFERENCES);
            } else if is("delivered-to") || is("x-original-to") {
                if delivered_to.len() < MAX_DELIVERED_TO
                    && let Some(a) = bare_address(&unfold(value))
                    && !delivered_to.iter().any(|d| d.eq_ignore_ascii_case(&a))
                {
                    delivered_to.push(a);
                }
            } else if is("content-type") {
                s.has_attachment = unfold(value)
                    .get(..15)
                    .is_some_and(|v| v.eq_ignore_ascii_case(b"multipart/mixed"));
            }
        });
    }
    let mut w = TextWriter::new();
    w.str(&env.subject.map(decode).unwrap_or_default());
    let message_id = env.message_id.and_then(|m| ids(m, 1).into_iter().next());
    w.opt(message_id.as_deref());
    for list in [env.from, env.sender, env.reply_to, env.to, env.cc] {
        write_addresses(&mut w, list, scratch);
    }
    for list in [&in_reply_to, &references, &delivered_to] {
        w.strs(list.iter().map(String::as_str));
    }
    s.with_text(w)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Dovecot answers in the order asked: the header block (a literal of several lines,
    /// which the imap crate's reader parses again from the start of the response for each
    /// line) must come before ENVELOPE, or the envelope is parsed once a line.
    #[test]
    fn the_header_fields_are_asked_before_the_envelope() {
        for condstore in [false, true] {
            let items = fetch_items(condstore);
            let body = items.find("BODY.PEEK[HEADER.FIELDS");
            let envelope = items.find("ENVELOPE");
            assert!(
                body.is_some() && envelope.is_some() && body < envelope,
                "{items}"
            );
        }
    }

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
