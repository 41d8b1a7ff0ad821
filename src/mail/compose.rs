//! Building an outgoing message from a draft and a send identity (see `policy::identity`).
//!
//! The transmitted bytes never carry Bcc (it lives only in the envelope recipients), the
//! envelope is explicit (lettre would otherwise take MAIL FROM from Sender:), and the
//! Message-ID is on the shared address's domain.
//!
//! Read receipts (RFC 8098): with [`Draft::request_read_receipt`] (an account's
//! `request_read_receipt = true`, set by `engine::reply::build` for `mailroom send` and by
//! `mail::reply::finish` for the compose pane), the message carries `Disposition-Notification-To:` naming the address it is
//! From — the shared address, so a receipt reaches the team's mailbox, where `mailroom stats`
//! counts it, never the agent's own inbox. mailroom only asks; it never sends a receipt.

use std::time::{SystemTime, UNIX_EPOCH};

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment as LettreAttachment, Mailbox, MultiPart, SinglePart};

use super::header::{HeaderError, check_value, split_mailbox};
use crate::config::is_valid_address;
use crate::policy::identity::SendIdentity;

/// A file to attach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub file_name: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

/// What the agent wrote, before policy turns it into a message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Draft {
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub bcc: Vec<String>,
    pub subject: String,
    pub body: String,
    /// Message-ID (without brackets) of the message answered.
    pub in_reply_to: Option<String>,
    /// References of the thread, oldest first, without brackets.
    pub references: Vec<String>,
    pub attachments: Vec<Attachment>,
    /// Ask for a read receipt: `Disposition-Notification-To:` the From address.
    pub request_read_receipt: bool,
}

/// The header that asks for a read receipt (RFC 8098 §2.1).
pub const DISPOSITION_NOTIFICATION_TO: &str = "Disposition-Notification-To";

/// A message ready for submission: bytes and envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// Exactly what is transmitted (and, plus `X-Mailroom-Agent`, what the Sent copy stores).
    pub raw: Vec<u8>,
    pub mail_from: String,
    /// To, Cc and Bcc: the envelope recipients.
    pub recipients: Vec<String>,
    /// Without angle brackets.
    pub message_id: String,
    pub subject: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ComposeError {
    #[error(transparent)]
    Header(#[from] HeaderError),
    #[error("the message has no recipient")]
    NoRecipient,
    #[error("{0}")]
    Build(String),
}

/// A fresh Message-ID (without brackets) on `from`'s domain.
pub fn message_id(from: &str, now: SystemTime) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let unique = crate::hash::hashed_name(
        "message-id",
        &[
            &nanos.to_le_bytes(),
            &std::process::id().to_le_bytes(),
            &n.to_le_bytes(),
            from.as_bytes(),
        ],
    );
    let domain = from.rsplit_once('@').map(|(_, d)| d).unwrap_or("localhost");
    format!("{}.mailroom@{domain}", &unique[..32])
}

fn mailbox(name: Option<&str>, address: &str, field: &str) -> Result<Mailbox, ComposeError> {
    if !is_valid_address(address) {
        return Err(HeaderError::BadAddress {
            field: field.to_string(),
            value: crate::sanitize::single_line(address),
        }
        .into());
    }
    if let Some(n) = name {
        check_value(field, n)?;
    }
    let parsed = address
        .parse()
        .map_err(|e| ComposeError::Build(format!("{field}: {e}")))?;
    Ok(Mailbox::new(
        name.filter(|n| !n.is_empty()).map(str::to_string),
        parsed,
    ))
}

/// `Disposition-Notification-To: <from>`: the From address (checked like every address: one
/// plain address, no CR/LF, no second mailbox), so receipts go to the shared mailbox.
fn read_receipt_header(from: &str) -> Result<HeaderValue, ComposeError> {
    let checked = mailbox(None, from, DISPOSITION_NOTIFICATION_TO)?;
    Ok(HeaderValue::new(
        HeaderName::new_from_ascii_str(DISPOSITION_NOTIFICATION_TO),
        format!("<{}>", checked.email),
    ))
}

fn check_id(field: &str, id: &str) -> Result<(), ComposeError> {
    check_value(field, id)?;
    if id.contains(['<', '>', ' ']) || id.is_empty() {
        return Err(ComposeError::Build(format!(
            "{field}: {id:?} is not a message id"
        )));
    }
    Ok(())
}

/// Builds the message `identity` sends for `draft`.
pub fn build(
    draft: &Draft,
    identity: &SendIdentity,
    now: SystemTime,
) -> Result<Outgoing, ComposeError> {
    build_with_id(draft, identity, message_id(&identity.from, now), now)
}

/// [`build`] with a Message-ID chosen by the caller (without brackets), e.g. one on the shared
/// domain for a message whose From: is the agent (internal notes).
pub fn build_with_id(
    draft: &Draft,
    identity: &SendIdentity,
    message_id: String,
    now: SystemTime,
) -> Result<Outgoing, ComposeError> {
    check_value("Subject", &draft.subject)?;
    if draft.to.is_empty() && draft.cc.is_empty() && draft.bcc.is_empty() {
        return Err(ComposeError::NoRecipient);
    }
    check_id("Message-ID", &message_id)?;
    let mut b = lettre::Message::builder()
        .from(mailbox(Some(&identity.from_name), &identity.from, "From")?)
        .subject(draft.subject.clone())
        .message_id(Some(format!("<{message_id}>")))
        .date(now);
    if let Some(sender) = &identity.sender {
        // The agent's name, RFC 2047-encoded by lettre where it is not plain ASCII.
        b = b.sender(mailbox(identity.sender_name.as_deref(), sender, "Sender")?);
    }
    if draft.request_read_receipt {
        b = b.raw_header(read_receipt_header(&identity.from)?);
    }
    // A recipient is `a@x` or `Name <a@x>`: lettre quotes a name with specials and
    // RFC 2047-encodes one that is not plain ASCII.
    let recipient = |r: &str, field: &str| {
        let (name, email) = split_mailbox(r);
        mailbox(name.as_deref(), &email, field)
    };
    for to in &draft.to {
        b = b.to(recipient(to, "To")?);
    }
    for cc in &draft.cc {
        b = b.cc(recipient(cc, "Cc")?);
    }
    for bcc in &draft.bcc {
        // Checked like the others, but never put into a header.
        recipient(bcc, "Bcc")?;
    }
    if let Some(id) = &draft.in_reply_to {
        check_id("In-Reply-To", id)?;
        b = b.in_reply_to(format!("<{id}>"));
    }
    if !draft.references.is_empty() {
        for id in &draft.references {
            check_id("References", id)?;
        }
        let refs: Vec<String> = draft.references.iter().map(|r| format!("<{r}>")).collect();
        b = b.references(refs.join(" "));
    }
    let text = SinglePart::plain(draft.body.replace("\r\n", "\n"));
    let message = if draft.attachments.is_empty() {
        b.singlepart(text)
    } else {
        let mut parts = MultiPart::mixed().singlepart(text);
        for a in &draft.attachments {
            check_value("attachment name", &a.file_name)?;
            let ct = ContentType::parse(&a.content_type).unwrap_or(
                ContentType::parse("application/octet-stream")
                    .map_err(|e| ComposeError::Build(e.to_string()))?,
            );
            parts = parts
                .singlepart(LettreAttachment::new(a.file_name.clone()).body(a.data.clone(), ct));
        }
        b.multipart(parts)
    }
    .map_err(|e| ComposeError::Build(e.to_string()))?;
    let mut recipients: Vec<String> = Vec::new();
    for r in draft.to.iter().chain(&draft.cc).chain(&draft.bcc) {
        let email = split_mailbox(r).1;
        if !recipients.iter().any(|x| x.eq_ignore_ascii_case(&email)) {
            recipients.push(email);
        }
    }
    Ok(Outgoing {
        raw: message.formatted(),
        mail_from: identity.mail_from.clone(),
        recipients,
        message_id,
        subject: draft.subject.clone(),
    })
}

/// The copy stored in the shared Sent folder: the transmitted bytes plus
/// `X-Mailroom-Agent`, so the team can attribute a Send As reply the customer saw as the shared
/// address.
pub fn sent_copy(raw: &[u8], agent_id: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() + 40);
    out.extend_from_slice(b"X-Mailroom-Agent: ");
    // Agent ids are validated as [a-z0-9._-]+ at config load; filter again, cheaply.
    out.extend(
        agent_id
            .bytes()
            .filter(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(b)),
    );
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(raw);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn as_identity() -> SendIdentity {
        SendIdentity {
            from_name: "Example Support".into(),
            from: "support@example.test".into(),
            sender: None,
            sender_name: None,
            mail_from: "support@example.test".into(),
        }
    }

    fn draft() -> Draft {
        Draft {
            to: vec!["zoe@outside.test".into()],
            cc: vec!["boss@outside.test".into()],
            bcc: vec!["audit@example.test".into()],
            subject: "Re: Frage über die Rechnung".into(),
            body: "Hello\n\n-- \nAlice".into(),
            in_reply_to: Some("q1@outside.test".into()),
            references: vec!["q0@outside.test".into(), "q1@outside.test".into()],
            attachments: Vec::new(),
            request_read_receipt: false,
        }
    }

    fn text(o: &Outgoing) -> String {
        String::from_utf8_lossy(&o.raw).into_owned()
    }

    #[test]
    fn send_as_has_no_sender_and_never_bcc() {
        let o = build(&draft(), &as_identity(), SystemTime::now()).unwrap();
        let t = text(&o);
        assert!(
            t.contains("From: \"Example Support\" <support@example.test>")
                || t.contains("From: Example Support <support@example.test>"),
            "{t}"
        );
        assert!(!t.contains("Sender:"), "{t}");
        // No Bcc header (a random Message-ID may well contain the letters "bcc").
        assert!(
            !t.lines()
                .any(|l| l.to_ascii_lowercase().starts_with("bcc:"))
                && !t.contains("audit@example.test"),
            "{t}"
        );
        assert_eq!(
            o.recipients,
            [
                "zoe@outside.test",
                "boss@outside.test",
                "audit@example.test"
            ]
        );
        assert_eq!(o.mail_from, "support@example.test");
        assert!(o.message_id.ends_with("@example.test"), "{}", o.message_id);
        assert!(
            t.contains(&format!("Message-ID: <{}>", o.message_id)),
            "{t}"
        );
        assert!(t.contains("In-Reply-To: <q1@outside.test>"), "{t}");
        assert!(
            t.contains("References: <q0@outside.test> <q1@outside.test>"),
            "{t}"
        );
        assert!(!t.contains("X-Mailroom-Agent"));
        // The subject is encoded, not raw 8-bit.
        let subject = t.lines().find(|l| l.starts_with("Subject:")).unwrap();
        assert!(
            subject.contains("=?utf-8?") && subject.is_ascii(),
            "{subject}"
        );
    }

    #[test]
    fn on_behalf_sender_carries_the_agents_display_name_encoded_where_needed() {
        let id = |name: &str| SendIdentity {
            sender: Some("bob@example.test".into()),
            sender_name: Some(name.into()),
            mail_from: "bob@example.test".into(),
            ..as_identity()
        };
        let o = build(&draft(), &id("Bob Example"), SystemTime::now()).unwrap();
        assert!(
            text(&o).contains("Sender: \"Bob Example\" <bob@example.test>\r\n"),
            "{}",
            text(&o)
        );
        let o = build(&draft(), &id("Zoë Ødegård"), SystemTime::now()).unwrap();
        let t = text(&o);
        let line = t
            .lines()
            .find(|l| l.starts_with("Sender: "))
            .unwrap_or_default();
        assert!(line.is_ascii(), "{line}");
        assert!(
            line.starts_with("Sender: =?utf-8?") && line.ends_with("<bob@example.test>"),
            "{line}"
        );
        // A line break in a name is refused, never written.
        assert!(build(&draft(), &id("Bob\r\nBcc: x@y.test"), SystemTime::now()).is_err());
    }

    #[test]
    fn on_behalf_carries_sender_and_the_agents_envelope() {
        let id = SendIdentity {
            sender: Some("bob@example.test".into()),
            mail_from: "bob@example.test".into(),
            ..as_identity()
        };
        let o = build(&draft(), &id, SystemTime::now()).unwrap();
        assert!(
            text(&o).contains("Sender: bob@example.test"),
            "{}",
            text(&o)
        );
        assert_eq!(o.mail_from, "bob@example.test");
    }

    #[test]
    fn hostile_input_is_refused() {
        let mut d = draft();
        d.subject = "Hi\r\nBcc: evil@x.test".into();
        assert!(matches!(
            build(&d, &as_identity(), SystemTime::now()),
            Err(ComposeError::Header(_))
        ));
        let mut d = draft();
        d.to = vec!["zoe@outside.test>\r\nX: y".into()];
        assert!(build(&d, &as_identity(), SystemTime::now()).is_err());
        let mut d = draft();
        d.in_reply_to = Some("a> <b".into());
        assert!(build(&d, &as_identity(), SystemTime::now()).is_err());
        let d = Draft {
            subject: "x".into(),
            ..Draft::default()
        };
        assert_eq!(
            build(&d, &as_identity(), SystemTime::now()),
            Err(ComposeError::NoRecipient)
        );
    }

    #[test]
    fn sent_copy_names_the_agent_and_ids_are_unique() {
        let o = build(&draft(), &as_identity(), SystemTime::now()).unwrap();
        let copy = sent_copy(&o.raw, "alice\r\nX-Evil: 1");
        assert!(copy.starts_with(b"X-Mailroom-Agent: alice-vil1\r\nFrom:"));
        assert!(!String::from_utf8_lossy(&copy).contains("X-Evil"));
        let now = SystemTime::now();
        assert_ne!(message_id("a@x.test", now), message_id("a@x.test", now));
    }

    fn dnt_lines(t: &str) -> Vec<&str> {
        t.lines()
            .filter(|l| {
                l.to_ascii_lowercase()
                    .starts_with("disposition-notification-to:")
            })
            .collect()
    }

    #[test]
    fn a_read_receipt_is_asked_of_the_from_address_only_when_requested() {
        let o = build(&draft(), &as_identity(), SystemTime::now()).unwrap();
        assert!(dnt_lines(&text(&o)).is_empty(), "{}", text(&o));

        let d = Draft {
            request_read_receipt: true,
            ..draft()
        };
        let o = build(&d, &as_identity(), SystemTime::now()).unwrap();
        let t = text(&o);
        assert_eq!(
            dnt_lines(&t),
            ["Disposition-Notification-To: <support@example.test>"],
            "{t}"
        );
        // In the header section, not the body.
        let header_end = t.find("\r\n\r\n").unwrap();
        assert!(t[..header_end].contains("Disposition-Notification-To"));

        // On behalf: still the shared address (From), never the agent (Sender).
        let id = SendIdentity {
            from: "help@example.test".into(),
            sender: Some("bob@example.test".into()),
            mail_from: "bob@example.test".into(),
            ..as_identity()
        };
        let o = build(&d, &id, SystemTime::now()).unwrap();
        assert_eq!(
            dnt_lines(&text(&o)),
            ["Disposition-Notification-To: <help@example.test>"]
        );
        // Still parses as a header of the message.
        assert_eq!(
            crate::mail::parse::header_text(&o.raw, DISPOSITION_NOTIFICATION_TO).as_deref(),
            Some("<help@example.test>")
        );
    }

    #[test]
    fn the_read_receipt_address_cannot_inject_headers() {
        let d = Draft {
            request_read_receipt: true,
            ..draft()
        };
        for from in [
            "support@example.test\r\nBcc: evil@x.test",
            "support@example.test>, <evil@x.test",
            "support@example.test\nX-Evil: 1",
            "",
            "a b@example.test",
        ] {
            let id = SendIdentity {
                from: from.into(),
                ..as_identity()
            };
            let r = build(&d, &id, SystemTime::now());
            assert!(r.is_err(), "{from:?} accepted: {r:?}");
        }
    }

    #[test]
    fn attachments_make_a_mixed_message() {
        let mut d = draft();
        d.attachments.push(Attachment {
            file_name: "report.csv".into(),
            content_type: "text/csv".into(),
            data: b"a,b\n1,2\n".to_vec(),
        });
        let o = build(&d, &as_identity(), SystemTime::now()).unwrap();
        let t = text(&o);
        assert!(
            t.contains("multipart/mixed") && t.contains("report.csv"),
            "{t}"
        );
    }

    #[test]
    fn display_names_of_recipients_are_encoded_and_quoted() {
        let mut d = draft();
        d.to = vec!["Zoë Ünal <zoe@outside.test>".into()];
        d.cc = vec![
            "\"Doe, Jane\" <jane@outside.test>".into(),
            "Ann Example <ann@outside.test>".into(),
            "ZOE@outside.test".into(),
        ];
        d.bcc = vec!["Audit <audit@example.test>".into()];
        let o = build(&d, &as_identity(), SystemTime::now()).unwrap();
        let t = text(&o);
        let head = &t[..t.find("\r\n\r\n").unwrap()];
        // Unfolded, the header lines carry the names; non-ASCII only as RFC 2047 words.
        let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
        let line = |n: &str| {
            unfolded
                .split("\r\n")
                .find(|l| l.starts_with(n))
                .unwrap_or_default()
                .to_string()
        };
        let to = line("To: ");
        assert!(
            to.contains("=?utf-8?") && to.ends_with("<zoe@outside.test>"),
            "{to}"
        );
        assert!(head.is_ascii(), "{head}");
        let cc = line("Cc: ");
        // lettre quotes a name with specials or writes it as an encoded word.
        assert!(
            cc.contains("\"Doe, Jane\" <jane@outside.test>")
                || cc.contains("=?utf-8?b?RG9lLCBKYW5l?= <jane@outside.test>"),
            "{cc}"
        );
        assert!(cc.contains("Ann Example\" <ann@outside.test>"), "{cc}");
        assert!(
            !head.contains("Audit") && !head.contains("audit@"),
            "{head}"
        );
        // The envelope has bare addresses, once each.
        assert_eq!(
            o.recipients,
            [
                "zoe@outside.test",
                "jane@outside.test",
                "ann@outside.test",
                "audit@example.test"
            ]
        );
        // A line break in a name never reaches a header: it becomes a space.
        d.cc = vec!["Evil\r\nBcc: x@y.test <e@x.test>".into()];
        let t = text(&build(&d, &as_identity(), SystemTime::now()).unwrap());
        assert!(
            !t.lines()
                .any(|l| l.to_ascii_lowercase().starts_with("bcc:")),
            "{t}"
        );
    }
}
