//! The message model: what every layer knows of one message without its body — its
//! addresses, system flags and the summary a message list shows — and the envelope of an
//! outgoing one.
//!
//! Beneath both `mail` (which parses raw messages into it) and `backend` (which stores and
//! lists them); it imports nothing from the crate.

mod keywords;
mod packed;
mod summary;

pub use keywords::{Keyword, Keywords};
pub(crate) use packed::TextWriter;
pub use packed::{AddressRef, Addrs, Strs};
pub use summary::{Fields, Summary};

/// One email address with its optional display name, decoded (RFC 2047) but not sanitized.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Address {
    pub name: Option<String>,
    pub email: String,
}

impl Address {
    /// "Name <email>" or just "email"; raw, so sanitize before display.
    pub fn display(&self) -> String {
        match &self.name {
            Some(n) if !n.is_empty() => format!("{n} <{}>", self.email),
            _ => self.email.clone(),
        }
    }
}

/// The envelope of one outgoing message: as whom it goes out, to whom, under which Message-ID
/// and subject. Built once when the message is queued; the outbox entry and each audit record
/// carry it (flattened: its fields are keys of theirs, in this order).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Envelope {
    /// The account's send mode: "as" or "on-behalf".
    pub mode: String,
    /// The `From:` address.
    pub from: String,
    /// The `Sender:` address, only in on-behalf mode.
    pub sender: Option<String>,
    /// SMTP `MAIL FROM`.
    pub mail_from: String,
    /// To, Cc and Bcc: the envelope recipients.
    pub recipients: Vec<String>,
    /// Without angle brackets.
    pub message_id: String,
    pub subject: String,
}

/// The system flags of RFC 3501; keywords are kept apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Flags {
    pub seen: bool,
    pub answered: bool,
    pub flagged: bool,
    pub deleted: bool,
    pub draft: bool,
}

impl Flags {
    /// IMAP names of the set flags, e.g. `["\\Seen", "\\Flagged"]`.
    pub fn names(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        for (on, name) in [
            (self.seen, "\\Seen"),
            (self.answered, "\\Answered"),
            (self.flagged, "\\Flagged"),
            (self.deleted, "\\Deleted"),
            (self.draft, "\\Draft"),
        ] {
            if on {
                v.push(name);
            }
        }
        v
    }
}
