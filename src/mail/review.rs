//! Replies held for review (the team policy's `[review]`): the review item, the review records
//! beside it, and the message an approver sends. Pure: no I/O.
//!
//! A **review item** is the message exactly as it would have been sent, with a block of
//! headers prepended (and nothing else changed):
//!
//! ```text
//! X-Mailroom-Review: 1
//! X-Mailroom-Agent: bob                      the author
//! X-Mailroom-Account: support                the account it was written on
//! X-Mailroom-Identity: on-behalf             the author's identity mode
//! X-Mailroom-Envelope-To: zoe@x.test, ...    every envelope recipient (Bcc too)
//! X-Mailroom-Reply-Uid: 42                   the message answered (optional)
//! From: Support <support@example.test>       ... the message as built for the author
//! ```
//!
//! It is appended to the review folder with the keyword [`KEYWORD`] (`$review`). An approver
//! wins it atomically by adding `$review.approving.<approver>` ([`approving_keyword`]) with
//! `UNCHANGEDSINCE` the MODSEQ it read; returning it adds [`RETURNED`] the same way. A **review
//! record** ([`build_record`]) is a small message in the same folder that says who is approving
//! an item since when (its INTERNALDATE), or who returned it and why (its body is the note).

use std::time::SystemTime;

use super::compose::{self, ComposeError, Draft, Outgoing};
use super::header::{HeaderError, check_value};
use super::parse;
use crate::config::{is_valid_address, is_valid_agent_id};
use crate::policy::identity::SendIdentity;

/// Marks a review item.
pub const HEADER: &str = "X-Mailroom-Review";
/// Marks a review record; its value is `approving` or `returned`.
pub const RECORD_HEADER: &str = "X-Mailroom-Review-Record";
/// The Message-ID (with brackets) of the item a record is about.
pub const ITEM_HEADER: &str = "X-Mailroom-Review-Item";
/// The Sent copy of an approved reply names its approver here (never the transmitted message).
pub const APPROVED_BY: &str = "X-Mailroom-Approved-By";
/// The keyword of every review item waiting for a decision.
pub const KEYWORD: &str = "$review";
/// The keyword of a returned item (the author's mailroom takes it back into drafts).
pub const RETURNED: &str = "$review.returned";
/// The keyword of a review record.
pub const RECORD: &str = "$review.record";
/// The review folder's name in the mailbox's tree, unless `review_folder` says otherwise.
pub const DEFAULT_FOLDER: &str = "Review";
/// A note longer than this is cut.
pub const MAX_NOTE_BYTES: usize = 8 * 1024;

const AGENT: &str = "X-Mailroom-Agent";
const ACCOUNT: &str = "X-Mailroom-Account";
const IDENTITY: &str = "X-Mailroom-Identity";
const ENVELOPE_TO: &str = "X-Mailroom-Envelope-To";
const REPLY_UID: &str = "X-Mailroom-Reply-Uid";

/// The keyword an approver adds to win an item.
pub fn approving_keyword(agent: &str) -> String {
    format!("$review.approving.{agent}")
}

/// The approver named by an `approving` keyword, if `keyword` is one.
pub fn approving_agent(keyword: &str) -> Option<&str> {
    let lower = "$review.approving.";
    // The keyword comes from the server: cut it only where a character ends.
    keyword
        .get(..lower.len())
        .filter(|head| head.eq_ignore_ascii_case(lower))
        .and_then(|_| keyword.get(lower.len()..))
        .filter(|a| is_valid_agent_id(a))
}

/// A short id for an item: 8 hex digits of a hash of its Message-ID.
pub fn short_id(message_id: &str) -> String {
    crate::hash::hashed_name("review", &[message_id.as_bytes()])[..8].to_string()
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ItemError {
    #[error("not a review item (no {HEADER}: 1)")]
    NotAnItem,
    #[error("the review item has no valid {0}")]
    Missing(&'static str),
}

/// What the review item says, and the message inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub author: String,
    pub account: String,
    /// The author's identity mode (`as`, `on-behalf`).
    pub mode: String,
    pub recipients: Vec<String>,
    pub reply_uid: Option<u32>,
    /// Without brackets.
    pub message_id: String,
    /// Decoded, not sanitized.
    pub subject: String,
    /// The To addresses.
    pub to: Vec<String>,
    /// The From address of the message (the shared address or an alias).
    pub from: String,
    /// The message as it would have been sent.
    pub message: Vec<u8>,
}

/// The review item of `outgoing`, written by `author` on `account` as `mode`.
pub fn build_item(
    outgoing: &Outgoing,
    author: &str,
    account: &str,
    mode: &str,
    reply_uid: Option<u32>,
) -> Result<Vec<u8>, HeaderError> {
    let bad = |field: &str, value: &str| HeaderError::BadAddress {
        field: field.to_string(),
        value: crate::sanitize::single_line(value),
    };
    if !is_valid_agent_id(author) {
        return Err(bad(AGENT, author));
    }
    check_value(ACCOUNT, account)?;
    check_value(IDENTITY, mode)?;
    for r in &outgoing.recipients {
        if !is_valid_address(r) {
            return Err(bad(ENVELOPE_TO, r));
        }
    }
    let mut head = format!(
        "{HEADER}: 1\r\n{AGENT}: {author}\r\n{ACCOUNT}: {account}\r\n{IDENTITY}: {mode}\r\n{ENVELOPE_TO}: {}\r\n",
        outgoing.recipients.join(",\r\n ")
    );
    if let Some(uid) = reply_uid {
        head.push_str(&format!("{REPLY_UID}: {uid}\r\n"));
    }
    let mut out = head.into_bytes();
    out.extend_from_slice(&outgoing.raw);
    Ok(out)
}

/// The length of the block of `X-Mailroom-*` fields at the top of `raw` (with their folded
/// continuation lines).
fn review_block_len(raw: &[u8]) -> usize {
    let mut at = 0;
    let mut in_block = false;
    while at < raw.len() {
        let end = raw[at..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(raw.len(), |i| at + i + 1);
        let line = &raw[at..end];
        let continuation = line.first().is_some_and(|b| *b == b' ' || *b == b'\t');
        let ours = line.len() > 11 && line[..11].eq_ignore_ascii_case(b"X-Mailroom-");
        if !(ours || (continuation && in_block)) {
            break;
        }
        in_block = true;
        at = end;
    }
    at
}

/// Reads a review item.
pub fn parse_item(raw: &[u8]) -> Result<Item, ItemError> {
    if parse::header_text(raw, HEADER).as_deref() != Some("1") {
        return Err(ItemError::NotAnItem);
    }
    let author = parse::header_text(raw, AGENT)
        .filter(|a| is_valid_agent_id(a))
        .ok_or(ItemError::Missing(AGENT))?;
    let account = parse::header_text(raw, ACCOUNT).ok_or(ItemError::Missing(ACCOUNT))?;
    let mode = parse::header_text(raw, IDENTITY).ok_or(ItemError::Missing(IDENTITY))?;
    let recipients: Vec<String> = parse::header_text(raw, ENVELOPE_TO)
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_string)
        .collect();
    if recipients.is_empty() || !recipients.iter().all(|r| is_valid_address(r)) {
        return Err(ItemError::Missing(ENVELOPE_TO));
    }
    let reply_uid = parse::header_text(raw, REPLY_UID).and_then(|u| u.parse().ok());
    let message = raw[review_block_len(raw)..].to_vec();
    let summary = parse::summary_from_raw(0, &message, 0, Default::default(), Vec::new());
    let message_id = summary
        .message_id()
        .filter(|m| !m.is_empty())
        .ok_or(ItemError::Missing("Message-ID"))?
        .to_string();
    let from = summary
        .from()
        .next()
        .map(|a| a.email.to_string())
        .filter(|a| is_valid_address(a))
        .ok_or(ItemError::Missing("From"))?;
    Ok(Item {
        author,
        account,
        mode,
        recipients,
        reply_uid,
        message_id,
        subject: summary.subject().to_string(),
        to: summary.to().map(|a| a.email.to_string()).collect(),
        from,
        message,
    })
}

/// The header fields of `raw` (each with its continuation lines and line end) and the rest
/// (the empty line and the body).
fn fields(raw: &[u8]) -> (Vec<&[u8]>, &[u8]) {
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut at = 0;
    while at < raw.len() {
        let end = raw[at..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(raw.len(), |i| at + i + 1);
        let line = &raw[at..end];
        if line == b"\r\n" || line == b"\n" {
            break;
        }
        match spans.last_mut() {
            Some(last) if line.first().is_some_and(|b| *b == b' ' || *b == b'\t') => last.1 = end,
            _ => spans.push((at, end)),
        }
        at = end;
    }
    (spans.iter().map(|&(s, e)| &raw[s..e]).collect(), &raw[at..])
}

fn named(field: &[u8], name: &str) -> bool {
    field.len() > name.len()
        && field[..name.len()].eq_ignore_ascii_case(name.as_bytes())
        && field[name.len()] == b':'
}

/// The message an approver sends: the item's message unchanged (text, recipients, threading,
/// Message-ID), with From and Sender those of the approver's `identity`.
pub fn approved_message(
    message: &[u8],
    identity: &SendIdentity,
    now: SystemTime,
) -> Result<Vec<u8>, ComposeError> {
    // lettre writes (and encodes) the identity's fields: take them from a message it builds.
    let probe = compose::build_with_id(
        &Draft {
            to: vec![identity.from.clone()],
            ..Draft::default()
        },
        identity,
        "review.probe@localhost".into(),
        now,
    )?;
    let (probe_fields, _) = fields(&probe.raw);
    let new: Vec<&[u8]> = probe_fields
        .into_iter()
        .filter(|f| named(f, "From") || named(f, "Sender"))
        .collect();
    let (old, rest) = fields(message);
    let mut out = Vec::with_capacity(message.len() + 128);
    let mut placed = false;
    for f in old {
        if named(f, "From") || named(f, "Sender") {
            if !placed {
                new.iter().for_each(|n| out.extend_from_slice(n));
                placed = true;
            }
            continue;
        }
        out.extend_from_slice(f);
    }
    if !placed {
        return Err(ComposeError::Build("the review item has no From".into()));
    }
    out.extend_from_slice(rest);
    Ok(out)
}

/// Whether an approver's `edited` text keeps what a required team signature `team` (rendered
/// for the approver) puts in the author's `original` text: its block and its disclaimer (last),
/// each where the author's text carries it (a part that names the agent renders otherwise for
/// the approver, and is not checked). An edit cannot drop a required team disclaimer.
pub fn edit_keeps_signature(
    original: &str,
    edited: &str,
    team: &crate::policy::signature::Rendered,
) -> Result<(), crate::policy::signature::Missing> {
    let original = original.replace("\r\n", "\n");
    let carried = crate::policy::signature::Rendered {
        block: if original.contains(&team.block) {
            team.block.clone()
        } else {
            String::new()
        },
        disclaimer: team
            .disclaimer
            .clone()
            .filter(|d| original.contains(d.as_str())),
        placement: team.placement,
        required: team.required,
    };
    crate::policy::signature::check(edited, &carried)
}

/// The message an approver sends after editing its text: the item's recipients, subject,
/// threading, read-receipt request and Message-ID, with `text` as the body and the approver's
/// `identity`. Only a plain-text item can be edited (attachments would be lost): others are
/// refused.
pub fn edited_message(
    item: &Item,
    text: &str,
    identity: &SendIdentity,
    now: SystemTime,
) -> Result<Vec<u8>, ComposeError> {
    let content_type = parse::header_text(&item.message, "Content-Type").unwrap_or_default();
    if content_type.to_ascii_lowercase().starts_with("multipart/") {
        return Err(ComposeError::Build(
            "a reply with attachments cannot be edited here: approve it as it is, or return it"
                .into(),
        ));
    }
    let summary = parse::summary_from_raw(0, &item.message, 0, Default::default(), Vec::new());
    let cc: Vec<String> = summary.cc().map(|a| a.email.to_string()).collect();
    let bcc: Vec<String> = item
        .recipients
        .iter()
        .filter(|r| !item.to.iter().chain(&cc).any(|x| x.eq_ignore_ascii_case(r)))
        .cloned()
        .collect();
    let draft = Draft {
        to: item.to.clone(),
        cc,
        bcc,
        subject: item.subject.clone(),
        body: text.to_string(),
        in_reply_to: summary.in_reply_to().next().map(str::to_string),
        references: summary.references().map(str::to_string).collect(),
        attachments: Vec::new(),
        request_read_receipt: parse::header_text(
            &item.message,
            compose::DISPOSITION_NOTIFICATION_TO,
        )
        .is_some(),
    };
    Ok(compose::build_with_id(&draft, identity, item.message_id.clone(), now)?.raw)
}

/// The Sent copy of an approved reply: [`compose::sent_copy`] naming the author, and the
/// approver in [`APPROVED_BY`].
pub fn approved_sent_copy(raw: &[u8], author: &str, approver: &str) -> Vec<u8> {
    let mut inner = Vec::with_capacity(raw.len() + 40);
    inner.extend_from_slice(APPROVED_BY.as_bytes());
    inner.extend_from_slice(b": ");
    inner.extend(
        approver
            .bytes()
            .filter(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(b)),
    );
    inner.extend_from_slice(b"\r\n");
    inner.extend_from_slice(raw);
    compose::sent_copy(&inner, author)
}

/// What a review record says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    Approving,
    Returned,
}

impl RecordKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Approving => "approving",
            RecordKind::Returned => "returned",
        }
    }
}

/// A review record read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub kind: RecordKind,
    pub agent: String,
    /// The item's Message-ID, without brackets.
    pub item: String,
    /// The note (returned items), not sanitized.
    pub note: String,
}

/// A review record: `agent` is approving (or returned, with `note`) the item `item_id`.
pub fn build_record(
    kind: RecordKind,
    agent: &str,
    item_id: &str,
    note: &str,
    now_secs: i64,
) -> Result<Vec<u8>, HeaderError> {
    if !is_valid_agent_id(agent) {
        return Err(HeaderError::BadAddress {
            field: AGENT.into(),
            value: crate::sanitize::single_line(agent),
        });
    }
    check_value(ITEM_HEADER, item_id)?;
    if item_id.contains(['<', '>', ' ']) {
        return Err(HeaderError::BadAddress {
            field: ITEM_HEADER.into(),
            value: crate::sanitize::single_line(item_id),
        });
    }
    let mut note: String = note.replace("\r\n", "\n").replace('\r', "\n");
    if note.len() > MAX_NOTE_BYTES {
        let mut cut = MAX_NOTE_BYTES;
        while !note.is_char_boundary(cut) {
            cut -= 1;
        }
        note.truncate(cut);
    }
    let body = note.replace('\n', "\r\n");
    let text = format!(
        "{RECORD_HEADER}: {}\r\n{AGENT}: {agent}\r\n{ITEM_HEADER}: <{item_id}>\r\n\
         Date: {}\r\nSubject: review {}\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{body}\r\n",
        kind.as_str(),
        super::date::rfc5322_utc(now_secs),
        kind.as_str(),
    );
    Ok(text.into_bytes())
}

/// Reads a review record; `None` when `raw` is not one.
pub fn parse_record(raw: &[u8]) -> Option<Record> {
    let kind = match parse::header_text(raw, RECORD_HEADER)?.as_str() {
        "approving" => RecordKind::Approving,
        "returned" => RecordKind::Returned,
        _ => return None,
    };
    let agent = parse::header_text(raw, AGENT).filter(|a| is_valid_agent_id(a))?;
    let item = parse::header_text(raw, ITEM_HEADER)?
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_string();
    let (_, body) = fields(raw);
    let body = String::from_utf8_lossy(body);
    let mut note = body.trim_start_matches(['\r', '\n']).replace("\r\n", "\n");
    note.truncate(note.trim_end().len());
    Some(Record {
        kind,
        agent,
        item,
        note,
    })
}

#[cfg(test)]
#[path = "review_tests.rs"]
mod tests;
