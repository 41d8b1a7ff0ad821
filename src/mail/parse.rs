//! Raw RFC 5322 bytes to what a message list and a reader need, via `mail-parser`.
//!
//! Input is untrusted: nothing here panics on garbage, and every list that grows with the
//! input is bounded (PROTOCOL.md: many `;` in address lists blew up memory in CVE-2021-3181;
//! crafted References cycles overflowed stacks). Text is decoded (RFC 2047/2231) but not
//! sanitized: callers pass it through `crate::sanitize` before it reaches a terminal.
//!
//! Message-IDs (Message-ID, In-Reply-To, References) are kept without angle brackets, the
//! way mail-parser returns them; add the brackets back when writing a header.

use std::borrow::Cow;

use mail_parser::{
    HeaderName, HeaderValue, Message, MessageParser, MessagePart, MimeHeaders, PartType,
};

use crate::mail::msgid;
use crate::message::{Address, Fields, Flags, Summary};

/// At most this many addresses are kept per header (From, To, Cc, …).
pub const MAX_ADDRESSES: usize = 1000;
/// At most this many References (and In-Reply-To ids) are kept: the first (thread root) and
/// the newest ones (the last is the parent). Documented in mailroom(1), THREADS.
pub const MAX_REFERENCES: usize = 100;
/// At most this many Delivered-To / X-Original-To addresses are kept.
pub const MAX_DELIVERED_TO: usize = 50;
/// One header field (with its continuation lines) longer than this is cut.
pub const MAX_FIELD_BYTES: usize = 64 * 1024;
/// The whole header section is cut after this many bytes.
pub const MAX_HEADER_BYTES: usize = 1024 * 1024;
/// A Message-ID longer than this is noise, not an identifier.
const MAX_ID_LEN: usize = msgid::MAX_ID_LEN;

/// Builds a message-list summary from raw bytes (the whole message, or a prefix of it: a
/// truncated body only risks missing a late attachment). `size` is `raw.len()`; a caller
/// that read only a prefix sets the real size afterwards.
pub fn summary_from_raw(
    uid: u32,
    raw: &[u8],
    internal_date: i64,
    flags: Flags,
    keywords: Vec<String>,
) -> Summary {
    let mut summary = Fields {
        uid,
        modseq: None,
        internal_date,
        size: raw.len() as u64,
        flags,
        keywords,
        ..Fields::default()
    };
    let bounded = bound_headers(raw);
    let Some(msg) = MessageParser::default().parse(bounded.as_ref()) else {
        return summary.into();
    };
    summary.from = addresses_or_raw(&msg, HeaderName::From, msg.from());
    summary.sender = addresses_or_raw(&msg, HeaderName::Sender, msg.sender());
    summary.reply_to = addresses_or_raw(&msg, HeaderName::ReplyTo, msg.reply_to());
    summary.to = addresses(msg.to());
    summary.cc = addresses(msg.cc());
    summary.subject = msg.subject().unwrap_or_default().to_string();
    summary.date = msg
        .date()
        .filter(|d| d.is_valid())
        .map(|d| d.to_timestamp());
    summary.message_id = msg.message_id().map(clean_id).filter(|id| !id.is_empty());
    // Id lists come from the raw header, not the cut one: a References field longer than
    // MAX_FIELD_BYTES keeps its newest ids (the parent) that way, read in linear time.
    let (references, in_reply_to) = id_fields(&raw[..find_header_end(raw)]);
    summary.in_reply_to = in_reply_to
        .map(|v| msgid::id_list(v, MAX_REFERENCES))
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| ids(msg.in_reply_to(), MAX_REFERENCES));
    summary.references = references
        .map(|v| msgid::id_list(v, MAX_REFERENCES))
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| bound_references(ids(msg.references(), usize::MAX)));
    summary.delivered_to = delivered_to(&msg);
    summary.has_attachment = msg.attachments().any(is_real_attachment);
    summary.into()
}

/// The readable text of a message: its text/plain parts, or its HTML converted to text when
/// there is no plain part. Not sanitized. Bytes without any header are shown as they are.
pub fn text_body(raw: &[u8]) -> String {
    let bounded = bound_headers(raw);
    let Some(msg) = MessageParser::default().parse(bounded.as_ref()) else {
        return String::from_utf8_lossy(raw).into_owned();
    };
    let mut out = String::new();
    for pos in 0..msg.text_body_count() {
        // HTML is laid out by `mail::html` (html2text), never by mail-parser's converter.
        let part = u32::try_from(pos).ok().and_then(|p| msg.text_part(p));
        let text = match part.map(|p| &p.body) {
            Some(PartType::Html(html)) => Some(Cow::Owned(super::html::to_text(html))),
            _ => msg.body_text(pos),
        };
        if let Some(text) = text {
            if !out.is_empty() {
                out.push_str("\n\n");
            }
            out.push_str(&text);
        }
    }
    out
}

/// The raw value of the first top-level header `name` (e.g. `X-Mailroom-Agent`), trimmed,
/// unfolded, not decoded and not sanitized; `None` when absent or unparsable.
pub fn header_text(raw: &[u8], name: &str) -> Option<String> {
    let bounded = bound_headers(raw);
    let msg = MessageParser::default().parse_headers(bounded.as_ref())?;
    let value = msg.header_raw(name)?;
    Some(
        value
            .split(['\r', '\n'])
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// Returns `raw` unchanged when its header section is within bounds, or a copy whose
/// oversized fields are cut (at a line boundary) and whose header section is capped, so the
/// parser never sees an unbounded field. Fields after a cut one are kept: a huge To: must not
/// hide the Content-Type that follows it.
pub(crate) fn bound_headers(raw: &[u8]) -> Cow<'_, [u8]> {
    let header_end = find_header_end(raw);
    let header = &raw[..header_end];
    let needs_cut =
        header.len() > MAX_HEADER_BYTES || field_lengths(header).any(|len| len > MAX_FIELD_BYTES);
    if !needs_cut {
        return Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(MAX_HEADER_BYTES.min(header.len()) + raw.len() - header_end);
    let mut fields = FieldIter { rest: header };
    while let Some(field) = fields.next_field() {
        let field = if field.len() > MAX_FIELD_BYTES {
            // Cut after the last line break within the bound, else before the last list
            // separator or space, so an address list keeps its first addresses whole.
            let head = &field[..MAX_FIELD_BYTES];
            let cut = head
                .iter()
                .rposition(|&b| b == b'\n')
                .map(|i| i + 1)
                .or_else(|| head.iter().rposition(|&b| b",; \t".contains(&b)))
                .unwrap_or(0);
            &field[..cut]
        } else {
            field
        };
        if field.is_empty() {
            continue;
        }
        if out.len() + field.len() + 2 > MAX_HEADER_BYTES {
            break;
        }
        out.extend_from_slice(field);
        if !field.ends_with(b"\n") {
            out.extend_from_slice(b"\r\n");
        }
    }
    out.extend_from_slice(&raw[header_end..]);
    Cow::Owned(out)
}

/// Offset just past the header section's last field (before the blank line), or the whole
/// input when there is no blank line.
fn find_header_end(raw: &[u8]) -> usize {
    let mut i = 0;
    while i < raw.len() {
        // A line starting here that is empty ends the header section.
        if raw[i] == b'\n' {
            return i;
        }
        if raw[i] == b'\r' && raw.get(i + 1) == Some(&b'\n') {
            return i;
        }
        match raw[i..].iter().position(|&b| b == b'\n') {
            Some(n) => i += n + 1,
            None => return raw.len(),
        }
    }
    raw.len()
}

/// Splits a header section into fields: a line plus its continuation lines.
struct FieldIter<'a> {
    rest: &'a [u8],
}

impl<'a> FieldIter<'a> {
    fn next_field(&mut self) -> Option<&'a [u8]> {
        if self.rest.is_empty() {
            return None;
        }
        let mut end = 0;
        loop {
            match self.rest[end..].iter().position(|&b| b == b'\n') {
                Some(n) => end += n + 1,
                None => {
                    end = self.rest.len();
                    break;
                }
            }
            match self.rest.get(end) {
                Some(b' ') | Some(b'\t') => continue,
                _ => break,
            }
        }
        let (field, rest) = self.rest.split_at(end);
        self.rest = rest;
        Some(field)
    }
}

/// The raw values of the first References and In-Reply-To fields of a header section.
fn id_fields(header: &[u8]) -> (Option<&[u8]>, Option<&[u8]>) {
    let (mut references, mut in_reply_to) = (None, None);
    let mut it = FieldIter { rest: header };
    while let Some(field) = it.next_field() {
        let Some(colon) = field.iter().position(|&b| b == b':') else {
            continue;
        };
        let name = field[..colon].trim_ascii();
        let slot = if name.eq_ignore_ascii_case(b"references") {
            &mut references
        } else if name.eq_ignore_ascii_case(b"in-reply-to") {
            &mut in_reply_to
        } else {
            continue;
        };
        if slot.is_none() {
            *slot = Some(&field[colon + 1..]);
        }
        if references.is_some() && in_reply_to.is_some() {
            break;
        }
    }
    (references, in_reply_to)
}

fn field_lengths(header: &[u8]) -> impl Iterator<Item = usize> + '_ {
    let mut it = FieldIter { rest: header };
    std::iter::from_fn(move || it.next_field().map(<[u8]>::len))
}

fn addresses(addr: Option<&mail_parser::Address<'_>>) -> Vec<Address> {
    let mut out = Vec::new();
    let Some(addr) = addr else {
        return out;
    };
    let mut push = |a: &mail_parser::Addr<'_>| {
        if out.len() >= MAX_ADDRESSES {
            return;
        }
        let Some(email) = a
            .address
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())
        else {
            return;
        };
        let name = a
            .name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_string);
        out.push(Address {
            name,
            email: email.to_string(),
        });
    };
    match addr {
        mail_parser::Address::List(list) => list.iter().take(MAX_ADDRESSES).for_each(&mut push),
        // Groups are flattened: a list needs the people, not the group's label.
        mail_parser::Address::Group(groups) => groups
            .iter()
            .flat_map(|g| g.addresses.iter())
            .take(MAX_ADDRESSES)
            .for_each(&mut push),
    }
    out
}

/// The parsed addresses of a one-mailbox header (From, Sender, Reply-To), or, when the parser
/// found none in a header that is there, the last `<addr>` of its raw text. A crafted encoded
/// word (`=?utf-8?q?Evil=1B]0;x=07?= <e@x.test>`) makes the parser give up on the whole
/// field; showing no sender at all would hide who wrote.
fn addresses_or_raw(
    msg: &Message<'_>,
    name: HeaderName<'static>,
    parsed: Option<&mail_parser::Address<'_>>,
) -> Vec<Address> {
    let found = addresses(parsed);
    // An unclosed comment makes the parser take a word of the name as the "address".
    if found.iter().any(|a| a.email.contains('@')) {
        return found;
    }
    match raw_header(msg, name).and_then(|raw| fallback_address(&raw)) {
        Some(a) => vec![a],
        None => found,
    }
}

/// The raw value of the first header named `name`, invalid UTF-8 replaced.
fn raw_header(msg: &Message<'_>, name: HeaderName<'static>) -> Option<String> {
    let h = msg.root_part().headers.iter().find(|h| h.name == name)?;
    let bytes = msg
        .raw_message
        .get(h.offset_start as usize..h.offset_end as usize)?;
    Some(String::from_utf8_lossy(bytes).into_owned())
}

/// `Name <local@domain>` from raw header text: the last angle-bracketed address, and the text
/// before it, RFC 2047-decoded where possible, as the name.
fn fallback_address(raw: &str) -> Option<Address> {
    // Unfold: continuation lines are one logical line.
    let line: String = raw.chars().filter(|c| !matches!(c, '\r' | '\n')).collect();
    let open = line.rfind('<')?;
    let close = open + line[open..].find('>')?;
    let email = line[open + 1..close].trim();
    let plausible = email.len() <= MAX_ID_LEN
        && email.contains('@')
        && !email.starts_with('@')
        && !email.ends_with('@')
        && !email
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>\",;\\".contains(c));
    if !plausible {
        return None;
    }
    let name = decode_phrase(line[..open].trim())
        .map(|n| n.trim().trim_matches('"').trim().to_string())
        .filter(|n| !n.is_empty());
    Some(Address {
        name,
        email: email.to_string(),
    })
}

/// RFC 2047 decoding of one line of header text, by letting the parser read it as a Subject.
/// The text is a single line, so it cannot inject another header.
fn decode_phrase(text: &str) -> Option<String> {
    if text.is_empty() {
        return None;
    }
    let synthetic = format!("Subject: {text}\r\n\r\n");
    let decoded = MessageParser::default()
        .parse(synthetic.as_bytes())
        .and_then(|m| m.subject().map(str::to_string));
    Some(decoded.unwrap_or_else(|| text.to_string()))
}

fn clean_id(id: &str) -> String {
    id.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_string()
}

/// Message-IDs of an id header, deduplicated in order, at most `max`.
fn ids(value: &HeaderValue<'_>, max: usize) -> Vec<String> {
    let raw: Vec<&str> = match value {
        HeaderValue::Text(t) => vec![t.as_ref()],
        HeaderValue::TextList(l) => l.iter().map(|c| c.as_ref()).collect(),
        _ => Vec::new(),
    };
    let mut out: Vec<String> = Vec::new();
    // A set, not `out.contains`: a crafted header holds thousands of ids.
    let mut seen = std::collections::HashSet::new();
    for id in raw {
        let id = clean_id(id);
        if id.is_empty() || id.len() > MAX_ID_LEN || !seen.insert(id.clone()) {
            continue;
        }
        out.push(id);
        if out.len() >= max {
            break;
        }
    }
    out
}

/// Keeps the thread root and the newest references when there are too many: the root
/// groups the thread, the last one is the parent.
fn bound_references(mut refs: Vec<String>) -> Vec<String> {
    if refs.len() > MAX_REFERENCES {
        let tail = refs.split_off(refs.len() - (MAX_REFERENCES - 1));
        refs.truncate(1);
        refs.extend(tail);
    }
    refs
}

fn delivered_to(msg: &Message<'_>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for name in ["Delivered-To", "X-Original-To"] {
        for value in msg.header_values(name) {
            let text = match value {
                HeaderValue::Text(t) => t.as_ref(),
                _ => continue,
            };
            // The value is an addr-spec, sometimes in angle brackets or with a comment.
            let Some(addr) = text
                .split_whitespace()
                .map(|t| t.trim_start_matches('<').trim_end_matches('>'))
                .find(|t| t.contains('@'))
            else {
                continue;
            };
            if addr.len() > 254 || out.iter().any(|o| o.eq_ignore_ascii_case(addr)) {
                continue;
            }
            out.push(addr.to_string());
            if out.len() >= MAX_DELIVERED_TO {
                return out;
            }
        }
    }
    out
}

/// mail-parser lists inline images of an HTML mail among attachments; a paperclip for
/// those would mislead. A part counts when it is marked as an attachment, or has a file
/// name, or is not an image referenced by Content-ID.
fn is_real_attachment(part: &MessagePart<'_>) -> bool {
    let disposition = part.content_disposition();
    if disposition.is_some_and(|d| d.is_attachment()) || part.attachment_name().is_some() {
        return true;
    }
    let inline_image = part
        .content_type()
        .is_some_and(|ct| ct.ctype().eq_ignore_ascii_case("image"))
        && (part.content_id().is_some() || disposition.is_some_and(|d| d.is_inline()));
    !inline_image
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(raw: &[u8]) -> Summary {
        summary_from_raw(7, raw, 1_700_000_000, Flags::default(), vec![])
    }

    #[test]
    fn decodes_headers() {
        let raw = b"From: =?UTF-8?B?Wm/DqyBNw7xsbGVy?= <zoe@example.test>\r\n\
Sender: Bob <bob@example.test>\r\n\
To: team: a@example.test, \"Smith, John\" <john@example.test>;, c@example.test\r\n\
Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?= aus =?UTF-8?B?5bGx55Sw?=\r\n\
Date: Tue, 14 May 2024 09:12:33 +0200\r\n\
Message-ID: <abc@example.test>\r\n\
In-Reply-To: <parent@example.test>\r\n\
References: <root@x> <parent@example.test> <root@x>\r\n\
Delivered-To: support@example.test\r\n\
X-Original-To: help@example.test\r\n\
\r\n\
Hello\r\n";
        let s = summary(raw);
        assert_eq!(s.uid, 7);
        assert_eq!(s.from().next().unwrap().name, Some("Zoë Müller"));
        assert_eq!(s.from().next().unwrap().email, "zoe@example.test");
        assert_eq!(s.sender().next().unwrap().email, "bob@example.test");
        let to: Vec<_> = s.to().iter().map(|a| a.email).collect();
        assert_eq!(
            to,
            ["a@example.test", "john@example.test", "c@example.test"]
        );
        assert_eq!(s.to().nth(1).unwrap().name, Some("Smith, John"));
        assert_eq!(s.subject(), "Grüße aus 山田");
        assert_eq!(s.date, Some(1_715_670_753));
        assert_eq!(s.message_id(), Some("abc@example.test"));
        assert_eq!(s.in_reply_to(), ["parent@example.test"]);
        assert_eq!(s.references(), ["root@x", "parent@example.test"]);
        assert_eq!(
            s.delivered_to(),
            ["support@example.test", "help@example.test"]
        );
        assert!(!s.has_attachment);
        assert_eq!(text_body(raw).trim_end(), "Hello");
    }

    #[test]
    fn hostile_from_keeps_the_address() {
        let s = summary(b"From: =?utf-8?q?Evil=1B]0;x=07?= <e@x.test>\r\n\r\n");
        assert_eq!(s.from().next().unwrap().email, "e@x.test");

        // An unclosed quote: the parser finds a name and no address at all.
        let raw = b"From: \"=?utf-8?q?Evil=1B]0;x=07?= <e@x.test>\r\n\
Sender: =?utf-8?q?Bob=1B[2J?= (unclosed <bob@x.test>\r\n\
Subject: hi\r\n\r\nbody\r\n";
        let m = MessageParser::default().parse(&raw[..]).unwrap();
        assert!(addresses(m.from()).is_empty(), "{:?}", m.from());
        let s = summary(raw);
        assert_eq!(s.from().len(), 1, "{:?}", s.from());
        assert_eq!(s.from().next().unwrap().email, "e@x.test");
        let name = s.from().next().unwrap().name.unwrap_or_default();
        assert!(name.starts_with("Evil\x1b"), "{name:?}");
        // An unclosed comment: the parser takes "=?…?=" words for the address.
        assert_eq!(s.sender().len(), 1, "{:?}", s.sender());
        assert_eq!(s.sender().next().unwrap().email, "bob@x.test");

        // Still no address where the header holds none, or only garbage in brackets.
        assert!(
            summary(b"From: \"=?utf-8?q?Evil=1B?=\r\n\r\n")
                .from()
                .is_empty()
        );
        assert!(fallback_address("x <a b@c>").is_none());
        assert!(summary(b"Subject: no from\r\n\r\n").from().is_empty());
    }

    #[test]
    fn fallback_takes_the_last_bracketed_address() {
        let a = fallback_address("\"a <fake@x>\" =?utf-8?b?w6k=?=\r\n <real@y.test> (c)").unwrap();
        assert_eq!(a.email, "real@y.test");
        assert_eq!(fallback_address("<a@b>").unwrap().name, None);
        assert_eq!(
            fallback_address("=?utf-8?q?Zo=C3=AB?= <z@x>")
                .unwrap()
                .name
                .as_deref(),
            Some("Zoë")
        );
    }

    #[test]
    fn attachments_and_html() {
        let raw = b"From: a@example.test\r\nSubject: x\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee attached.\r\n\
--b1\r\nContent-Type: text/csv; name=\"a.csv\"\r\nContent-Disposition: attachment; filename=\"a.csv\"\r\n\
Content-Transfer-Encoding: base64\r\n\r\nYSxiCjEsMgo=\r\n--b1--\r\n";
        let s = summary(raw);
        assert!(s.has_attachment);
        assert_eq!(text_body(raw).trim_end(), "See attached.");

        let html = b"From: a@example.test\r\nContent-Type: text/html; charset=utf-8\r\n\r\n\
<html><body><p>Hello <b>world</b></p><script>evil()</script></body></html>\r\n";
        let body = text_body(html);
        assert!(body.contains("Hello"), "{body:?}");
        assert!(body.contains("world"));
        assert!(!body.contains("<b>"));
        assert!(!summary(html).has_attachment);
    }

    #[test]
    fn hostile_input_never_panics() {
        let mut junk: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
        junk.extend_from_slice(b"\r\n\r\n\xff\xfe");
        let empty: &[u8] = b"";
        let many_semicolons = {
            let mut v = b"From: x@example.test\r\nTo: ".to_vec();
            v.extend(std::iter::repeat_n(b';', 10_000));
            v.extend_from_slice(b"\r\nSubject: semis\r\n\r\nbody\r\n");
            v
        };
        let many_addresses = {
            let mut v = b"To: ".to_vec();
            for i in 0..5000 {
                v.extend_from_slice(format!("u{i}@example.test, ").as_bytes());
            }
            v.extend_from_slice(b"\r\nContent-Type: text/plain\r\nSubject: after\r\n\r\nbody\r\n");
            v
        };
        let huge_header = {
            let mut v = b"Subject: ".to_vec();
            v.extend(std::iter::repeat_n(b'A', 3 * 1024 * 1024));
            v.extend_from_slice(b"\r\nFrom: ok@example.test\r\n\r\nbody\r\n");
            v
        };
        let many_refs = {
            let mut v = b"References:".to_vec();
            for i in 0..3000 {
                v.extend_from_slice(format!("\r\n <r{i}@x>").as_bytes());
            }
            v.extend_from_slice(b"\r\n\r\n");
            v
        };
        // Just under the field cap: ~10k distinct ids on one line.
        let dense_refs = {
            let mut v = b"References:".to_vec();
            let mut i = 0;
            while v.len() < MAX_FIELD_BYTES - 16 {
                v.extend_from_slice(format!(" <{i}@x>").as_bytes());
                i += 1;
            }
            v.extend_from_slice(b"\r\n\r\n");
            v
        };
        let cases: Vec<&[u8]> = vec![
            empty,
            b"\r\n\r\n",
            b"no headers at all, just text",
            b"From:\r\nTo: <>\r\nDate: yesterday\r\nMessage-ID: <<<>>>\r\n\r\n",
            b"Content-Type: multipart/mixed; boundary=\"\"\r\n\r\n--\r\n--\r\n",
            b"Content-Type: multipart/mixed\r\n\r\n",
            b"Subject: =?UTF-8?B?////?= =?x?Q?=ZZ?=\r\n\r\n",
            &junk,
            &many_semicolons,
            &many_addresses,
            &huge_header,
            &many_refs,
            &dense_refs,
        ];
        for raw in cases {
            let s = summary(raw);
            let _ = text_body(raw);
            assert!(s.to().len() <= MAX_ADDRESSES);
            assert!(s.references().len() <= MAX_REFERENCES);
        }
        let s = summary(&many_semicolons);
        assert_eq!(s.subject(), "semis");
        let s = summary(&many_addresses);
        assert_eq!(s.to().len(), MAX_ADDRESSES);
        assert_eq!(s.subject(), "after");
        let s = summary(&huge_header);
        assert_eq!(s.from().next().unwrap().email, "ok@example.test");
        assert!(s.subject().len() <= MAX_FIELD_BYTES);
        let s = summary(&many_refs);
        assert_eq!(s.references().len(), MAX_REFERENCES);
        assert_eq!(s.references().next().unwrap(), "r0@x");
        assert_eq!(s.references().nth(MAX_REFERENCES - 1).unwrap(), "r2999@x");
    }

    /// 100,000 References ids (1.1 MB, longer than MAX_FIELD_BYTES), the parent last, as a
    /// Maildir or `show` reads them: the row keeps the root and the parent, within the cap.
    #[test]
    fn a_megabyte_of_references_keeps_the_root_and_the_parent() {
        for folded in [true, false] {
            let mut v = b"From: c@outside.test\r\nReferences: <root@x>".to_vec();
            for i in 0..100_000 {
                v.extend_from_slice(if folded && i % 10 == 0 {
                    b"\r\n "
                } else {
                    b" "
                });
                v.extend_from_slice(format!("<r{i}@x>").as_bytes());
            }
            v.extend_from_slice(b" <parent@x>\r\nSubject: after\r\n\r\nbody\r\n");
            assert!(v.len() > 1_000_000);
            let s = summary(&v);
            assert_eq!(s.references().len(), MAX_REFERENCES);
            assert_eq!(s.references().next().unwrap(), "root@x");
            assert_eq!(s.references().nth(MAX_REFERENCES - 2).unwrap(), "r99999@x");
            assert_eq!(s.references().nth(MAX_REFERENCES - 1).unwrap(), "parent@x");
            assert_eq!(s.subject(), "after");
        }
    }
}
