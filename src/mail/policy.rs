//! Team policy messages: how a policy document (`policy::team`) is held in the mailbox's policy
//! folder. Pure: building one to publish, and reading one back.
//!
//! ```text
//! X-Mailroom-Policy: 3
//! X-Mailroom-Agent: alice
//! From: Alice Example <alice@example.test>
//! To: <support@example.test>
//! Subject: [policy] team policy version 3
//! Date: …
//! Message-ID: <…@example.test>
//! Content-Type: text/plain; charset=utf-8  (or multipart/mixed: the document, then attachments)
//! Content-Transfer-Encoding: base64
//! ```
//!
//! The document is the first `text/plain` part (a part named `policy.toml` where there are
//! several); other parts are attachments that reply templates name by file name. Who published
//! is `X-Mailroom-Agent` (else the From address) — trustworthy only as far as the folder's ACL
//! keeps others from inserting, which `check` and `access` report.

use std::time::SystemTime;

use mail_parser::{MessageParser, MimeHeaders, PartType};

use super::{compose, date, encoding};
use crate::config::{is_valid_address, is_valid_agent_id};
use crate::sanitize::single_line;

/// The header that marks a policy message; its value is the document's version.
pub const HEADER: &str = "X-Mailroom-Policy";
/// The leaf name of the default policy folder (`mail::tree::folder`).
pub const DEFAULT_FOLDER: &str = "Policy";
/// The file name of the document part in a multipart policy message.
pub const DOCUMENT_NAME: &str = "policy.toml";
/// The largest policy message read back (the document and its attachments).
pub const MAX_MESSAGE_BYTES: u64 = 8 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyMessageError {
    #[error("{0:?} is not an agent id")]
    BadAgent(String),
    #[error("{0:?} is not an address")]
    BadAddress(String),
    #[error("attachment name {0:?} is not a plain file name")]
    BadAttachmentName(String),
    #[error("not a policy message (no {HEADER} header)")]
    NotAPolicy,
    #[error("the policy message has no text/plain document")]
    NoDocument,
    #[error("the policy document is not UTF-8")]
    NotUtf8,
}

/// One attachment of a policy message: a file reply templates name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub name: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

/// A policy message read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// The TOML document.
    pub document: String,
    /// `X-Mailroom-Agent`, else the From address, else empty.
    pub published_by: String,
    /// Seconds since the epoch of the Date header, when it has one.
    pub date: Option<i64>,
    pub attachments: Vec<Attachment>,
}

fn plain_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 200
        && !name.contains(['/', '\\', '"'])
        && !name.chars().any(char::is_control)
        && name.is_ascii()
}

/// Builds the message `agent` (`agent_name <agent_email>`) publishes to the policy folder of the
/// account at `address`: `document` with `version`, and `attachments`.
pub fn build(
    agent: &str,
    agent_email: &str,
    address: &str,
    version: u64,
    document: &str,
    attachments: &[Attachment],
    now: SystemTime,
) -> Result<Vec<u8>, PolicyMessageError> {
    if !is_valid_agent_id(agent) {
        return Err(PolicyMessageError::BadAgent(single_line(agent)));
    }
    for a in [agent_email, address] {
        if !is_valid_address(a) {
            return Err(PolicyMessageError::BadAddress(single_line(a)));
        }
    }
    if let Some(bad) = attachments.iter().find(|a| {
        !plain_name(&a.name)
            || a.content_type.is_empty()
            || !a
                .content_type
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"/.+-".contains(&b))
    }) {
        return Err(PolicyMessageError::BadAttachmentName(single_line(
            &bad.name,
        )));
    }
    let secs = now
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let mut raw = format!(
        "{HEADER}: {version}\r\n\
         X-Mailroom-Agent: {agent}\r\n\
         From: <{agent_email}>\r\n\
         To: <{address}>\r\n\
         Subject: [policy] team policy version {version}\r\n\
         Date: {}\r\n\
         Message-ID: <{}>\r\n\
         MIME-Version: 1.0\r\n",
        date::rfc5322_utc(secs),
        compose::message_id(address, now),
    );
    let text_part = |name: Option<&str>| {
        let disposition = name
            .map(|n| format!("Content-Disposition: inline; filename=\"{n}\"\r\n"))
            .unwrap_or_default();
        format!(
            "Content-Type: text/plain; charset=utf-8\r\n{disposition}Content-Transfer-Encoding: base64\r\n\r\n{}",
            encoding::base64_encode_lines(document.as_bytes())
        )
    };
    if attachments.is_empty() {
        raw.push_str(&text_part(None));
    } else {
        let digest = crate::hash::sha256(document.as_bytes());
        let boundary = format!(
            "policy-{}",
            digest[..12]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        );
        raw.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n--{boundary}\r\n{}",
            text_part(Some(DOCUMENT_NAME))
        ));
        for a in attachments {
            raw.push_str(&format!(
                "\r\n--{boundary}\r\nContent-Type: {}\r\nContent-Disposition: attachment; filename=\"{}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}",
                a.content_type,
                a.name,
                encoding::base64_encode_lines(&a.data)
            ));
        }
        raw.push_str(&format!("\r\n--{boundary}--\r\n"));
    }
    Ok(raw.into_bytes())
}

/// Reads a policy message: its document, who published it, when, and its attachments.
pub fn parse(raw: &[u8]) -> Result<Published, PolicyMessageError> {
    let message = MessageParser::default()
        .parse(raw)
        .ok_or(PolicyMessageError::NotAPolicy)?;
    if message.header(HEADER).is_none() {
        return Err(PolicyMessageError::NotAPolicy);
    }
    let agent = message
        .header("X-Mailroom-Agent")
        .and_then(|h| h.as_text())
        .map(str::trim)
        .filter(|a| is_valid_agent_id(a))
        .map(str::to_string);
    let from = message
        .from()
        .and_then(|f| f.first())
        .and_then(|a| a.address())
        .map(single_line);
    let published_by = agent.or(from).unwrap_or_default();
    let date = message.date().map(|d| d.to_timestamp());
    let mut document: Option<Result<String, PolicyMessageError>> = None;
    let mut attachments = Vec::new();
    let parts = message.parts.iter().enumerate();
    let named_document = message
        .parts
        .iter()
        .any(|p| p.attachment_name() == Some(DOCUMENT_NAME));
    for (index, part) in parts {
        let body = match &part.body {
            PartType::Multipart(_) | PartType::Message(_) => continue,
            PartType::Text(t) => Ok(t.to_string()),
            PartType::Binary(b) | PartType::InlineBinary(b) => {
                String::from_utf8(b.to_vec()).map_err(|_| PolicyMessageError::NotUtf8)
            }
            PartType::Html(_) => continue,
        };
        let is_text = part.content_type().is_none_or(|c| {
            c.ctype().eq_ignore_ascii_case("text")
                && c.subtype().is_none_or(|s| s.eq_ignore_ascii_case("plain"))
        });
        let name = part.attachment_name();
        let is_document = document.is_none()
            && is_text
            && if named_document {
                name == Some(DOCUMENT_NAME)
            } else {
                index == 0 || name.is_none()
            };
        if is_document {
            document = Some(body);
            continue;
        }
        if let Some(n) = name.filter(|n| plain_name(n)) {
            attachments.push(Attachment {
                name: n.to_string(),
                content_type: part
                    .content_type()
                    .map(|c| match c.subtype() {
                        Some(s) => format!("{}/{s}", c.ctype()),
                        None => c.ctype().to_string(),
                    })
                    .unwrap_or_else(|| "application/octet-stream".into()),
                data: part.contents().to_vec(),
            });
        }
    }
    let document = document.ok_or(PolicyMessageError::NoDocument)??;
    Ok(Published {
        document,
        published_by,
        date,
        attachments,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> SystemTime {
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_800_000_000)
    }

    #[test]
    fn a_plain_policy_round_trips() {
        let doc = "version = 2\n# é\n[send]\nas = [\"alice\"]\n";
        let raw = build(
            "alice",
            "alice@example.test",
            "support@example.test",
            2,
            doc,
            &[],
            now(),
        )
        .unwrap();
        let text = String::from_utf8(raw.clone()).unwrap();
        assert!(text.starts_with("X-Mailroom-Policy: 2\r\n"));
        let p = parse(&raw).unwrap();
        assert_eq!(p.document, doc);
        assert_eq!(p.published_by, "alice");
        assert_eq!(p.date, Some(1_800_000_000));
        assert!(p.attachments.is_empty());
    }

    #[test]
    fn attachments_round_trip_beside_the_document() {
        let att = Attachment {
            name: "refund-form.pdf".into(),
            content_type: "application/pdf".into(),
            data: b"%PDF-1.4 \x00\x01binary".to_vec(),
        };
        let raw = build(
            "alice",
            "alice@example.test",
            "support@example.test",
            1,
            "version = 1\n",
            std::slice::from_ref(&att),
            now(),
        )
        .unwrap();
        let p = parse(&raw).unwrap();
        assert_eq!(p.document, "version = 1\n");
        assert_eq!(p.attachments, vec![att]);
    }

    #[test]
    fn bad_values_never_reach_a_header() {
        let b = |agent: &str, email: &str, name: &str| {
            build(
                agent,
                email,
                "support@example.test",
                1,
                "version = 1\n",
                &[Attachment {
                    name: name.into(),
                    content_type: "text/plain".into(),
                    data: vec![],
                }],
                now(),
            )
        };
        assert!(b("Alice\r\nBcc: x", "alice@example.test", "a.txt").is_err());
        assert!(b("alice", "alice@example.test\r\nBcc: x@y", "a.txt").is_err());
        assert!(b("alice", "alice@example.test", "a\r\n.txt").is_err());
        assert!(b("alice", "alice@example.test", "a\".txt").is_err());
    }

    #[test]
    fn a_message_without_the_marker_is_not_a_policy() {
        let raw = b"From: <x@example.test>\r\nSubject: hi\r\n\r\nversion = 1\r\n";
        assert_eq!(parse(raw), Err(PolicyMessageError::NotAPolicy));
    }

    #[test]
    fn a_forged_agent_header_falls_back_to_from() {
        let raw = b"X-Mailroom-Policy: 1\r\nX-Mailroom-Agent: Not An Id\r\nFrom: <eve@example.test>\r\n\r\nversion = 1\r\n";
        assert_eq!(parse(raw).unwrap().published_by, "eve@example.test");
    }
}
