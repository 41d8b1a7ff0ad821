//! Read receipts: recognizing incoming Message Disposition Notifications (RFC 8098) and
//! turning them into the "opened" signal of `mailroom stats`.
//!
//! An MDN is a `multipart/report; report-type=disposition-notification` message (type, subtype
//! and parameter names in any case, the parameter value quoted or not) whose
//! `message/disposition-notification` part (or `message/global-disposition-notification`,
//! RFC 6533) holds header-like fields. From them:
//!
//! - `Original-Message-ID`: the message the receipt is about. When it is missing (or holds no
//!   usable id), the MDN's own `In-Reply-To` is used, else the last id of its `References`
//!   (the message it answers comes last); [`Mdn::id_source`] tells which.
//! - `Disposition`: `action-mode/sending-mode; type[/modifier,…]`. Only the type `displayed`
//!   without an `error`/`failed` modifier counts as opened ([`Mdn::opened`]); `deleted`,
//!   `dispatched`, `processed` and the RFC 2298 types `failed`/`denied` are reported but not
//!   opened.
//! - `Final-Recipient` (and `Original-Recipient`): who sent the receipt, as the address part.
//!
//! Only the top-level report is read: an MDN forwarded inside another message
//! (`message/rfc822`) or nested in another multipart is not one. Input is untrusted: the
//! message is cut to [`MAX_MDN_BYTES`], the notification block to [`MAX_FIELDS_BYTES`] and
//! [`MAX_FIELDS`] fields, every kept value to [`MAX_VALUE_BYTES`]; nothing here panics.
//!
//! A receipt is only a claim by whoever sent it (the recipient may also never send one, and a
//! forged MDN can name any Message-ID its author knows): "opened" is a lower bound among
//! cooperative recipients, not proof. mailroom never sends an MDN itself, whatever a message
//! asks (`Disposition-Notification-To`); see `man mailroom`, READ RECEIPTS.

use std::collections::HashSet;

use mail_parser::{HeaderValue, MessageParser, MessagePart, MimeHeaders, PartType};

/// Bytes of a message looked at: the report part comes before the (optional) returned
/// original, so a prefix is enough.
pub const MAX_MDN_BYTES: usize = 1024 * 1024;
/// Bytes of the `message/disposition-notification` part read.
pub const MAX_FIELDS_BYTES: usize = 64 * 1024;
/// Fields of the notification part read.
pub const MAX_FIELDS: usize = 256;
/// Longest field value kept (longer ones are cut at a character boundary).
pub const MAX_VALUE_BYTES: usize = 998;
/// Most disposition modifiers kept.
const MAX_MODIFIERS: usize = 16;
/// Deepest comment nesting followed; deeper text is dropped as part of the comment.
const MAX_COMMENT_DEPTH: usize = 32;

/// The disposition type of an MDN (RFC 8098 §3.2.6.2, plus RFC 2298's `failed`/`denied`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "type", content = "value")]
pub enum DispositionType {
    Displayed,
    Deleted,
    Dispatched,
    Processed,
    /// RFC 2298 (obsolete): the MDN could not be generated.
    Failed,
    /// RFC 2298 (obsolete): the recipient refused to send an MDN.
    Denied,
    /// Anything else, lower-cased and bounded.
    Other(String),
}

impl DispositionType {
    fn parse(s: &str) -> DispositionType {
        match s.to_ascii_lowercase().as_str() {
            "displayed" => DispositionType::Displayed,
            "deleted" => DispositionType::Deleted,
            "dispatched" => DispositionType::Dispatched,
            "processed" => DispositionType::Processed,
            "failed" => DispositionType::Failed,
            "denied" => DispositionType::Denied,
            other => DispositionType::Other(bounded(other)),
        }
    }
}

/// The `Disposition` field, parsed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Disposition {
    /// `manual-action` or `automatic-action` (lower-cased; empty when absent).
    pub action_mode: String,
    /// `mdn-sent-manually` or `mdn-sent-automatically` (lower-cased; empty when absent).
    pub sending_mode: String,
    pub kind: DispositionType,
    /// Lower-cased modifiers (`error`, `expired`, …), at most a few.
    pub modifiers: Vec<String>,
}

/// Where [`Mdn::original_message_id`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IdSource {
    OriginalMessageId,
    InReplyTo,
    References,
}

/// One read receipt.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Mdn {
    /// The message the receipt is about: a Message-ID without angle brackets.
    pub original_message_id: Option<String>,
    pub id_source: Option<IdSource>,
    /// `None` when the notification has no readable `Disposition` field.
    pub disposition: Option<Disposition>,
    /// The address part of `Final-Recipient` (`rfc822; zoe@outside.test` → `zoe@outside.test`).
    pub final_recipient: Option<String>,
    pub original_recipient: Option<String>,
}

impl Mdn {
    /// True when the receipt says the message was displayed to the recipient.
    pub fn opened(&self) -> bool {
        self.disposition.as_ref().is_some_and(|d| {
            d.kind == DispositionType::Displayed
                && !d.modifiers.iter().any(|m| m == "error" || m == "failed")
        })
    }
}

/// The Message-IDs (without brackets) that at least one `displayed` receipt names: the
/// "opened" set the statistics intersect with the account's sent messages.
pub fn opened_ids(mdns: impl IntoIterator<Item = Mdn>) -> HashSet<String> {
    mdns.into_iter()
        .filter(Mdn::opened)
        .filter_map(|m| m.original_message_id)
        .collect()
}

/// The reader's label for a message that asks for a read receipt.
pub const RECEIPT_LABEL: &str = "Receipt";
/// What the reader says about it: there is nothing to answer with.
pub const RECEIPT_NOTE: &str = "the sender asked for a read receipt; mailroom does not send them";

/// True when a message asks for a read receipt (a non-empty `Disposition-Notification-To`).
/// mailroom only notes it in the reader; it never sends an MDN.
pub fn asks_for_receipt(raw: &[u8]) -> bool {
    crate::mail::parse::header_text(raw, crate::mail::compose::DISPOSITION_NOTIFICATION_TO)
        .is_some_and(|v| !v.trim().is_empty())
}

/// True when a `Content-Type` header value names a disposition-notification report:
/// `multipart/report; report-type=disposition-notification` (any case, quoted or not). For
/// callers that see only the header (or a FETCH of it) before deciding to read a message.
pub fn is_mdn_content_type(value: &str) -> bool {
    if value.len() > crate::mail::parse::MAX_FIELD_BYTES {
        return false;
    }
    let mut header = Vec::with_capacity(value.len() + 20);
    header.extend_from_slice(b"Content-Type: ");
    // A value must stay one (unfolded) field.
    header.extend(
        value
            .bytes()
            .map(|b| if b == b'\r' || b == b'\n' { b' ' } else { b }),
    );
    header.extend_from_slice(b"\r\n\r\n");
    let Some(msg) = MessageParser::default().parse_headers(&header) else {
        return false;
    };
    msg.root_part().content_type().is_some_and(is_report)
}

fn is_report(ct: &mail_parser::ContentType<'_>) -> bool {
    ct.ctype().eq_ignore_ascii_case("multipart")
        && ct
            .subtype()
            .is_some_and(|s| s.eq_ignore_ascii_case("report"))
        && ct.attributes().is_some_and(|attrs| {
            attrs.iter().any(|a| {
                a.name.eq_ignore_ascii_case("report-type")
                    && a.value
                        .trim()
                        .trim_matches('"')
                        .trim()
                        .eq_ignore_ascii_case("disposition-notification")
            })
        })
}

fn is_notification_part(part: &MessagePart<'_>) -> bool {
    part.content_type().is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case("message")
            && ct.subtype().is_some_and(|s| {
                s.eq_ignore_ascii_case("disposition-notification")
                    || s.eq_ignore_ascii_case("global-disposition-notification")
            })
    })
}

/// Recognizes a read receipt in a raw message (see the module documentation); `None` for any
/// other message, including a report of another type (a bounce) or a malformed one that
/// names no message at all.
pub fn parse_mdn(raw: &[u8]) -> Option<Mdn> {
    let raw = &raw[..raw.len().min(MAX_MDN_BYTES)];
    let bounded = crate::mail::parse::bound_headers(raw);
    let msg = MessageParser::default().parse(bounded.as_ref())?;
    let root = msg.root_part();
    if !root.content_type().is_some_and(is_report) {
        return None;
    }
    let PartType::Multipart(children) = &root.body else {
        return None;
    };
    let part = children
        .iter()
        .filter_map(|&id| msg.part(id))
        .find(|p| is_notification_part(p))?;
    let content = part.contents();
    let fields = notification_fields(&content[..content.len().min(MAX_FIELDS_BYTES)]);
    let field = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    let mut original_message_id = field("Original-Message-ID").and_then(message_id_of);
    let mut id_source = original_message_id
        .as_ref()
        .map(|_| IdSource::OriginalMessageId);
    if original_message_id.is_none() {
        if let Some(id) = first_id(msg.in_reply_to(), false) {
            original_message_id = Some(id);
            id_source = Some(IdSource::InReplyTo);
        } else if let Some(id) = first_id(msg.references(), true) {
            original_message_id = Some(id);
            id_source = Some(IdSource::References);
        }
    }
    let disposition = field("Disposition").and_then(parse_disposition);
    if original_message_id.is_none() && disposition.is_none() {
        return None;
    }
    Some(Mdn {
        original_message_id,
        id_source,
        disposition,
        final_recipient: field("Final-Recipient").and_then(recipient_of),
        original_recipient: field("Original-Recipient").and_then(recipient_of),
    })
}

/// The first (or, with `last`, the last) usable Message-ID of an id header of the MDN.
fn first_id(value: &HeaderValue<'_>, last: bool) -> Option<String> {
    let list: Vec<&str> = match value {
        HeaderValue::Text(t) => vec![t.as_ref()],
        HeaderValue::TextList(l) => l.iter().map(|c| c.as_ref()).collect(),
        _ => return None,
    };
    let mut usable = list.into_iter().filter_map(message_id_of);
    if last {
        usable.next_back()
    } else {
        usable.next()
    }
}

/// `name: value` fields of a notification block (per-message and per-recipient fields
/// together: the blank line between them is skipped), unfolded, comments kept, bounded.
fn notification_fields(block: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(block);
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            continue;
        }
        if line.starts_with([' ', '\t']) {
            // A continuation of the previous field.
            if let Some((_, v)) = fields.last_mut()
                && v.len() < MAX_VALUE_BYTES
            {
                v.push(' ');
                v.push_str(line.trim());
                truncate(v, MAX_VALUE_BYTES);
            }
            continue;
        }
        if fields.len() >= MAX_FIELDS {
            break;
        }
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let name = name.trim();
        if name.is_empty() || name.len() > 76 || !name.bytes().all(|b| b.is_ascii_graphic()) {
            continue;
        }
        let mut value = value.trim().to_string();
        truncate(&mut value, MAX_VALUE_BYTES);
        fields.push((name.to_string(), value));
    }
    fields
}

fn truncate(s: &mut String, max: usize) {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
}

fn bounded(s: &str) -> String {
    let mut s = s.to_string();
    truncate(&mut s, 64);
    s
}

/// Removes RFC 5322 comments (`(…)`, nested, with `\` quoting), keeping quoted strings.
fn strip_comments(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut depth = 0usize;
    let mut quoted = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' if depth > 0 || quoted => {
                let next = chars.next();
                if depth == 0 {
                    out.push(c);
                    out.extend(next);
                }
            }
            '"' if depth == 0 => {
                quoted = !quoted;
                out.push(c);
            }
            '(' if !quoted => depth = (depth + 1).min(MAX_COMMENT_DEPTH),
            ')' if !quoted && depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    out.push(' ');
                }
            }
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// A Message-ID value (`<id>`, with optional comments and spaces) without brackets; a bare id
/// is accepted too (some MUAs drop the brackets). `None` when nothing usable is left.
fn message_id_of(value: &str) -> Option<String> {
    let v = strip_comments(value);
    let v = v.trim();
    let id = match v.find('<') {
        Some(start) => {
            let rest = &v[start + 1..];
            &rest[..rest.find('>')?]
        }
        None => v.split_whitespace().next()?,
    };
    let id = id.trim();
    if id.is_empty()
        || id.len() > MAX_VALUE_BYTES
        || id.chars().any(|c| c.is_whitespace() || c.is_control())
        || id.contains(['<', '>'])
    {
        return None;
    }
    Some(id.to_string())
}

/// `rfc822; zoe@outside.test` → `zoe@outside.test`; a value without an address type is taken
/// whole. Brackets and comments are dropped.
fn recipient_of(value: &str) -> Option<String> {
    let v = strip_comments(value);
    let address = match v.split_once(';') {
        Some((_, a)) => a,
        None => v.as_str(),
    };
    let address = address.trim().trim_start_matches('<').trim_end_matches('>');
    let address = address.trim();
    if address.is_empty() || address.chars().any(char::is_control) {
        return None;
    }
    Some(bounded_value(address))
}

fn bounded_value(s: &str) -> String {
    let mut s = s.to_string();
    truncate(&mut s, MAX_VALUE_BYTES);
    s
}

/// `manual-action/MDN-sent-manually; displayed` (RFC 8098 §3.2.6), comments removed, any
/// case. A value without a `;` is read as a bare disposition type (seen from old clients).
fn parse_disposition(value: &str) -> Option<Disposition> {
    let v = strip_comments(value);
    let (modes, rest) = match v.split_once(';') {
        Some((m, r)) => (m.trim(), r.trim()),
        None => ("", v.trim()),
    };
    let (action_mode, sending_mode) = match modes.split_once('/') {
        Some((a, s)) => (a.trim(), s.trim()),
        None => (modes, ""),
    };
    let (kind, modifiers) = match rest.split_once('/') {
        Some((k, m)) => (k.trim(), m),
        None => (rest, ""),
    };
    // RFC 8098 has no parameters after the type, but be lenient with stray `; …`.
    let kind = kind.split([';', ' ', '\t']).next().unwrap_or("").trim();
    if kind.is_empty() || !kind.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return None;
    }
    let modifiers = modifiers
        .split(',')
        .map(|m| m.trim().to_ascii_lowercase())
        .filter(|m| !m.is_empty())
        .take(MAX_MODIFIERS)
        .map(|m| bounded(&m))
        .collect();
    Some(Disposition {
        action_mode: bounded(&action_mode.to_ascii_lowercase()),
        sending_mode: bounded(&sending_mode.to_ascii_lowercase()),
        kind: DispositionType::parse(kind),
        modifiers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Shaped like Thunderbird's receipts.
    const THUNDERBIRD: &str = "Return-Path: <zoe@outside.test>\r\n\
From: Zoe Customer <zoe@outside.test>\r\n\
To: support@example.test\r\n\
Subject: Return Receipt (displayed) - Printer broken\r\n\
Message-ID: <mdn1@outside.test>\r\n\
Date: Fri, 27 Nov 2026 10:00:00 +0000\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/report; report-type=disposition-notification;\r\n\
\x20boundary=\"------------A1B2C3\"\r\n\
\r\n\
This is a multi-part message in MIME format.\r\n\
--------------A1B2C3\r\n\
Content-Type: text/plain; charset=UTF-8\r\n\
Content-Transfer-Encoding: 7bit\r\n\
\r\n\
This is a Return Receipt for the mail that you sent to zoe@outside.test.\r\n\
\r\n\
Note: This Return Receipt only acknowledges that the message was displayed on the\r\n\
recipient's computer.\r\n\
--------------A1B2C3\r\n\
Content-Type: message/disposition-notification; name=\"MDNPart2.txt\"\r\n\
Content-Disposition: inline\r\n\
Content-Transfer-Encoding: 7bit\r\n\
\r\n\
Reporting-UA: outside.test; Thunderbird 115.0\r\n\
Final-Recipient: rfc822;zoe@outside.test\r\n\
Original-Message-ID: <abc123.mailroom@example.test>\r\n\
Disposition: manual-action/MDN-sent-manually; displayed\r\n\
\r\n\
--------------A1B2C3\r\n\
Content-Type: text/rfc822-headers; name=\"MDNPart3.txt\"\r\n\
Content-Disposition: inline\r\n\
\r\n\
From: Example Support <support@example.test>\r\n\
Message-ID: <abc123.mailroom@example.test>\r\n\
Subject: Re: Printer broken\r\n\
\r\n\
--------------A1B2C3--\r\n";

    /// Shaped like Outlook/Exchange: upper-case parameters, quoted report type, per-message and
    /// per-recipient blocks, folded fields and comments.
    const OUTLOOK: &str = "From: \"Zoe\" <zoe@outside.test>\r\n\
To: <support@example.test>\r\n\
Subject: Read: Printer broken\r\n\
Message-ID: <mdn2@outside.test>\r\n\
In-Reply-To: <other@example.test>\r\n\
Content-Type: Multipart/Report; Report-Type=\"Disposition-Notification\";\r\n\
\tBoundary=\"_000_MDN_\"\r\n\
MIME-Version: 1.0\r\n\
\r\n\
--_000_MDN_\r\n\
Content-Type: text/plain; charset=\"us-ascii\"\r\n\
\r\n\
Your message was read on Friday.\r\n\
--_000_MDN_\r\n\
Content-Type: Message/Disposition-Notification\r\n\
\r\n\
Reporting-UA: EXCH01.outside.test; Microsoft Exchange Server\r\n\
Original-Message-ID: (the reply)\r\n\
\x20<Xyz.789.mailroom@example.test>\r\n\
\r\n\
Final-Recipient: RFC822; <zoe@outside.test>\r\n\
DISPOSITION: automatic-action/MDN-sent-automatically;\r\n\
\x20DISPLAYED (read)\r\n\
\r\n\
--_000_MDN_--\r\n";

    fn with_disposition(disposition: &str) -> String {
        THUNDERBIRD.replace(
            "Disposition: manual-action/MDN-sent-manually; displayed",
            &format!("Disposition: {disposition}"),
        )
    }

    #[test]
    fn a_thunderbird_receipt_is_read() {
        let m = parse_mdn(THUNDERBIRD.as_bytes()).expect("an MDN");
        assert_eq!(
            m.original_message_id.as_deref(),
            Some("abc123.mailroom@example.test")
        );
        assert_eq!(m.id_source, Some(IdSource::OriginalMessageId));
        assert_eq!(m.final_recipient.as_deref(), Some("zoe@outside.test"));
        let d = m.disposition.as_ref().unwrap();
        assert_eq!(d.action_mode, "manual-action");
        assert_eq!(d.sending_mode, "mdn-sent-manually");
        assert_eq!(d.kind, DispositionType::Displayed);
        assert!(m.opened());
    }

    #[test]
    fn an_outlook_receipt_with_odd_case_quotes_folding_and_comments_is_read() {
        let m = parse_mdn(OUTLOOK.as_bytes()).expect("an MDN");
        // Original-Message-ID wins over the MDN's own In-Reply-To.
        assert_eq!(
            m.original_message_id.as_deref(),
            Some("Xyz.789.mailroom@example.test")
        );
        assert_eq!(m.id_source, Some(IdSource::OriginalMessageId));
        assert_eq!(m.final_recipient.as_deref(), Some("zoe@outside.test"));
        let d = m.disposition.as_ref().unwrap();
        assert_eq!(d.action_mode, "automatic-action");
        assert_eq!(d.kind, DispositionType::Displayed);
        assert!(m.opened());
    }

    #[test]
    fn only_displayed_counts_as_opened() {
        for (disposition, kind) in [
            (
                "manual-action/MDN-sent-manually; deleted",
                DispositionType::Deleted,
            ),
            (
                "automatic-action/MDN-sent-automatically; dispatched",
                DispositionType::Dispatched,
            ),
            (
                "automatic-action/MDN-sent-automatically; processed",
                DispositionType::Processed,
            ),
            (
                "automatic-action/MDN-sent-automatically; failed",
                DispositionType::Failed,
            ),
            (
                "manual-action/MDN-sent-manually; denied",
                DispositionType::Denied,
            ),
            (
                "automatic-action/MDN-sent-automatically; weird",
                DispositionType::Other("weird".into()),
            ),
        ] {
            let m = parse_mdn(with_disposition(disposition).as_bytes()).expect(disposition);
            assert_eq!(m.disposition.as_ref().unwrap().kind, kind, "{disposition}");
            assert!(!m.opened(), "{disposition}");
        }
        // A displayed disposition with an error modifier did not show the message.
        let m = parse_mdn(
            with_disposition("automatic-action/MDN-sent-automatically; displayed/error").as_bytes(),
        )
        .unwrap();
        assert_eq!(m.disposition.as_ref().unwrap().modifiers, ["error"]);
        assert!(!m.opened());
        // A bare type (old clients) still reads.
        let m = parse_mdn(with_disposition("Displayed").as_bytes()).unwrap();
        assert!(m.opened());
    }

    #[test]
    fn without_original_message_id_in_reply_to_then_references_name_the_message() {
        let no_omid = THUNDERBIRD.replace(
            "Original-Message-ID: <abc123.mailroom@example.test>\r\n",
            "",
        );
        let with_irt = no_omid.replace(
            "MIME-Version: 1.0\r\n",
            "MIME-Version: 1.0\r\nIn-Reply-To: <irt.mailroom@example.test>\r\nReferences: <root@outside.test> <ref-last.mailroom@example.test>\r\n",
        );
        let m = parse_mdn(with_irt.as_bytes()).unwrap();
        assert_eq!(
            m.original_message_id.as_deref(),
            Some("irt.mailroom@example.test")
        );
        assert_eq!(m.id_source, Some(IdSource::InReplyTo));
        let with_refs = no_omid.replace(
            "MIME-Version: 1.0\r\n",
            "MIME-Version: 1.0\r\nReferences: <root@outside.test>\r\n <ref-last.mailroom@example.test>\r\n",
        );
        let m = parse_mdn(with_refs.as_bytes()).unwrap();
        assert_eq!(
            m.original_message_id.as_deref(),
            Some("ref-last.mailroom@example.test")
        );
        assert_eq!(m.id_source, Some(IdSource::References));
        // An empty Original-Message-ID falls back too.
        let empty = with_irt.replace(
            "Final-Recipient:",
            "Original-Message-ID: <>\r\nFinal-Recipient:",
        );
        let m = parse_mdn(empty.as_bytes()).unwrap();
        assert_eq!(m.id_source, Some(IdSource::InReplyTo));
        // Nothing at all: a receipt about no known message, kept (it is still an MDN, not a
        // customer message) but contributing no id.
        let m = parse_mdn(no_omid.as_bytes()).unwrap();
        assert_eq!(m.original_message_id, None);
        assert!(opened_ids([m]).is_empty());
    }

    #[test]
    fn other_messages_are_not_receipts() {
        // A bounce is a report too, of another type.
        let dsn = THUNDERBIRD
            .replace(
                "report-type=disposition-notification",
                "report-type=delivery-status",
            )
            .replace(
                "message/disposition-notification",
                "message/delivery-status",
            );
        assert_eq!(parse_mdn(dsn.as_bytes()), None);
        // The right report type without a notification part.
        let no_part = THUNDERBIRD.replace("message/disposition-notification", "text/plain");
        assert_eq!(parse_mdn(no_part.as_bytes()), None);
        // A plain message whose body merely looks like one.
        let plain = b"From: a@outside.test\r\nSubject: Disposition\r\n\r\nOriginal-Message-ID: <x@y>\r\nDisposition: manual-action/MDN-sent-manually; displayed\r\n";
        assert_eq!(parse_mdn(plain), None);
        // An MDN forwarded inside another message is not one.
        let forwarded = format!(
            "From: boss@outside.test\r\nSubject: Fwd\r\nContent-Type: multipart/mixed; boundary=\"F\"\r\n\r\n--F\r\nContent-Type: text/plain\r\n\r\nsee below\r\n--F\r\nContent-Type: message/rfc822\r\n\r\n{THUNDERBIRD}\r\n--F--\r\n"
        );
        assert_eq!(parse_mdn(forwarded.as_bytes()), None);
        assert_eq!(parse_mdn(b""), None);
        assert_eq!(parse_mdn(b"\r\n\r\n"), None);
    }

    #[test]
    fn content_type_values_are_recognized_in_any_case_quoted_or_not() {
        for v in [
            "multipart/report; report-type=disposition-notification; boundary=x",
            "Multipart/REPORT; Report-Type=\"Disposition-Notification\"; boundary=\"x\"",
            "multipart/report;\r\n report-type=disposition-notification",
            "multipart/report; boundary=x; report-type=\"disposition-notification\" (mdn)",
        ] {
            assert!(is_mdn_content_type(v), "{v:?}");
        }
        for v in [
            "multipart/report; report-type=delivery-status; boundary=x",
            "multipart/mixed; report-type=disposition-notification",
            "text/plain",
            "multipart/report",
            "",
        ] {
            assert!(!is_mdn_content_type(v), "{v:?}");
        }
    }

    #[test]
    fn encoded_notification_parts_are_decoded() {
        use std::fmt::Write;
        let fields = "Final-Recipient: rfc822; zoe@outside.test\r\nOriginal-Message-ID: <b64.mailroom@example.test>\r\nDisposition: manual-action/MDN-sent-manually; displayed\r\n";
        // Plain base64 by hand: the fields are ASCII.
        const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut b64 = String::new();
        for chunk in fields.as_bytes().chunks(3) {
            let n =
                chunk.iter().fold(0u32, |a, &b| (a << 8) | u32::from(b)) << (8 * (3 - chunk.len()));
            for i in 0..4 {
                if i <= chunk.len() {
                    b64.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
                } else {
                    b64.push('=');
                }
            }
        }
        let mut raw = String::new();
        let _ = write!(
            raw,
            "From: zoe@outside.test\r\nContent-Type: multipart/report; report-type=disposition-notification; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nread\r\n--B\r\nContent-Type: message/disposition-notification\r\nContent-Transfer-Encoding: base64\r\n\r\n{b64}\r\n--B--\r\n"
        );
        let m = parse_mdn(raw.as_bytes()).unwrap();
        assert_eq!(
            m.original_message_id.as_deref(),
            Some("b64.mailroom@example.test")
        );
        assert!(m.opened());
    }

    #[test]
    fn hostile_receipts_are_bounded_and_never_panic() {
        // A huge notification part: thousands of fields, an endless folded value.
        let mut huge = String::from("Original-Message-ID: <h.mailroom@example.test>\r\n");
        for i in 0..100_000 {
            let _ = std::fmt::Write::write_fmt(&mut huge, format_args!("X-F{i}: {i}\r\n"));
        }
        huge.push_str("Disposition: manual-action/MDN-sent-manually; displayed\r\n");
        let raw = THUNDERBIRD.replace(
            "Original-Message-ID: <abc123.mailroom@example.test>\r\n",
            &huge,
        );
        let m = parse_mdn(raw.as_bytes()).expect("still an MDN");
        assert_eq!(
            m.original_message_id.as_deref(),
            Some("h.mailroom@example.test")
        );
        // The Disposition came after the bound: not read, so not opened.
        assert!(m.disposition.is_none() && !m.opened());

        let folded = format!(
            "Disposition: manual-action/MDN-sent-manually;{}\r\n",
            " x\r\n".repeat(200_000)
        );
        let raw = THUNDERBIRD.replace(
            "Disposition: manual-action/MDN-sent-manually; displayed\r\n",
            &folded,
        );
        let m = parse_mdn(raw.as_bytes()).unwrap();
        assert!(!m.opened());

        // Deeply nested and unbalanced comments, brackets and quotes: never a panic; what is
        // in a comment or is no token is not a disposition type.
        for (d, kind) in [
            ("(".repeat(100_000) + "displayed", None),
            (")".repeat(1000) + "; displayed", None),
            ("(a (b) c; displayed".to_string(), None),
            (
                "\"; displayed".to_string(),
                Some(DispositionType::Displayed),
            ),
            (
                "manual-action/MDN-sent-manually; (displayed) deleted".to_string(),
                Some(DispositionType::Deleted),
            ),
            ("/;/;/;".to_string(), None),
            (";".to_string(), None),
            ("\\".to_string(), None),
            (
                "manual-action/MDN-sent-manually; \u{1F600}".to_string(),
                None,
            ),
            (
                "manual-action/MDN-sent-manually; dis\u{0}played".to_string(),
                None,
            ),
        ] {
            let raw = with_disposition(&d);
            let m = parse_mdn(raw.as_bytes()).expect("the id is still there");
            assert_eq!(m.disposition.map(|x| x.kind), kind, "{d:.40}");
        }
        for id in [
            "<",
            ">",
            "<<<>>>",
            "< a b >",
            "<a\u{0}b@x>",
            "(<fake@x>)",
            &"<".repeat(100_000),
        ] {
            let raw = THUNDERBIRD.replace(
                "Original-Message-ID: <abc123.mailroom@example.test>",
                &format!("Original-Message-ID: {id}"),
            );
            // (The 100,000 brackets push the Disposition past the bound: no MDN at all.)
            let m = parse_mdn(raw.as_bytes());
            assert_eq!(m.and_then(|m| m.original_message_id), None, "{id:.40}");
        }

        // Binary garbage, truncations at every byte of a real receipt.
        let bytes = THUNDERBIRD.as_bytes();
        for cut in 0..bytes.len() {
            let _ = parse_mdn(&bytes[..cut]);
        }
        let garbage: Vec<u8> = (0..200_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
            .collect();
        let _ = parse_mdn(&garbage);

        // Thousands of boundaries and parts before the real one.
        let mut many = String::from(
            "From: a@x\r\nContent-Type: multipart/report; report-type=disposition-notification; boundary=B\r\n\r\n",
        );
        for _ in 0..20_000 {
            many.push_str("--B\r\nContent-Type: text/plain\r\n\r\nx\r\n");
        }
        many.push_str("--B--\r\n");
        assert_eq!(parse_mdn(many.as_bytes()), None);
    }

    #[test]
    fn requests_for_a_receipt_are_seen_in_the_header_only() {
        assert!(asks_for_receipt(
            b"From: zoe@outside.test\r\nDisposition-Notification-To: <zoe@outside.test>\r\nSubject: x\r\n\r\nhi\r\n"
        ));
        assert!(asks_for_receipt(
            b"From: zoe@outside.test\r\ndisposition-notification-to:\r\n zoe@outside.test\r\n\r\nhi\r\n"
        ));
        assert!(!asks_for_receipt(
            b"From: zoe@outside.test\r\nDisposition-Notification-To: \r\n\r\nhi\r\n"
        ));
        assert!(!asks_for_receipt(
            b"From: zoe@outside.test\r\n\r\nDisposition-Notification-To: <zoe@outside.test>\r\n"
        ));
        assert!(!asks_for_receipt(b""));
    }

    #[test]
    fn opened_ids_keeps_displayed_receipts_once() {
        let displayed = parse_mdn(THUNDERBIRD.as_bytes()).unwrap();
        let outlook = parse_mdn(OUTLOOK.as_bytes()).unwrap();
        let deleted = parse_mdn(
            with_disposition("manual-action/MDN-sent-manually; deleted")
                .replace("abc123", "del")
                .as_bytes(),
        )
        .unwrap();
        let ids = opened_ids([displayed.clone(), displayed, outlook, deleted]);
        let mut v: Vec<&str> = ids.iter().map(String::as_str).collect();
        v.sort_unstable();
        assert_eq!(
            v,
            [
                "Xyz.789.mailroom@example.test",
                "abc123.mailroom@example.test"
            ]
        );
    }
}
