//! Mail storage behind one trait: a local Maildir today, IMAP in the IMAP engine.
//!
//! The vocabulary is IMAP's, so both fit: messages are named by UID within a mailbox whose
//! UIDVALIDITY says whether cached UIDs still hold; MODSEQ (CONDSTORE) orders changes and
//! makes conditional stores possible; rights (ACL) say what the agent may do.

pub mod maildir;
pub mod notes;
pub mod policy;
pub mod sent;

use crate::message::{Flags, Summary};
use crate::policy::rights::Rights;

/// What SELECT tells about a mailbox.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct MailboxStatus {
    pub name: String,
    pub uid_validity: u32,
    pub uid_next: u32,
    pub exists: u32,
    pub highest_modseq: Option<u64>,
    pub read_only: bool,
    /// PERMANENTFLAGS; `\*` means new keywords may be created.
    pub permanent_flags: Vec<String>,
}

impl MailboxStatus {
    /// Whether keywords (team state) survive the session.
    pub fn keywords_permanent(&self) -> bool {
        !self.read_only && self.permanent_flags.iter().any(|f| f == "\\*")
    }
}

/// A change to flags and keywords of one message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FlagChange {
    pub add_flags: Flags,
    pub remove_flags: Flags,
    pub add_keywords: Vec<String>,
    pub remove_keywords: Vec<String>,
}

/// The answer to a (conditional) store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreOutcome {
    Stored {
        modseq: Option<u64>,
    },
    /// `UNCHANGEDSINCE` failed: someone changed the message first.
    Modified,
}

#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error("{account}: {path}: {source}")]
    Io {
        account: String,
        path: String,
        source: std::io::Error,
    },
    #[error("{account}: mailbox {mailbox:?} does not exist")]
    NoMailbox { account: String, mailbox: String },
    #[error("{account}: no message with UID {uid} in {mailbox:?}")]
    NoMessage {
        account: String,
        mailbox: String,
        uid: u32,
    },
    #[error("{account}: {keyword:?} is not a valid IMAP keyword")]
    BadKeyword { account: String, keyword: String },
    #[error("{account}: {message}")]
    Refused { account: String, message: String },
    #[error("{account}: {message}")]
    Protocol { account: String, message: String },
}

/// Validates a keyword as an IMAP atom before it goes anywhere (PROTOCOL.md).
pub fn is_valid_keyword(k: &str) -> bool {
    !k.is_empty()
        && k.len() <= 200
        && !k.starts_with('\\')
        && k.bytes()
            .all(|b| b.is_ascii_graphic() && !b"(){%*\"\\]".contains(&b))
}

/// A mailbox store. Mailbox names are the account's own (`INBOX`, `Sent`, …).
pub trait Backend: Send {
    /// The account this backend serves, for error messages.
    fn account(&self) -> &str;

    /// Opens a mailbox and reports its state (SELECT).
    fn status(&mut self, mailbox: &str) -> Result<MailboxStatus, BackendError>;

    /// Streams summaries of messages with UID ≥ `from_uid` in batches, oldest first, so a
    /// caller can show the first rows before a large mailbox is read.
    fn summaries(
        &mut self,
        mailbox: &str,
        from_uid: u32,
        batch: &mut dyn FnMut(Vec<Summary>),
    ) -> Result<(), BackendError>;

    /// The message for reading (RFC 5322 bytes), without setting `\Seen`: whole as stored,
    /// except that IMAP replaces parts above the account's `max_part_bytes` with placeholders
    /// (`mail::unfetched`; `imap::parts`).
    fn fetch(&mut self, mailbox: &str, uid: u32) -> Result<Vec<u8>, BackendError>;

    /// The header section of a message (up to the blank line), without setting `\Seen`.
    /// The default fetches the whole message; IMAP fetches `BODY.PEEK[HEADER]` alone.
    fn fetch_header(&mut self, mailbox: &str, uid: u32) -> Result<Vec<u8>, BackendError> {
        let mut raw = self.fetch(mailbox, uid)?;
        let end = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map(|i| i + 4)
            .or_else(|| raw.windows(2).position(|w| w == b"\n\n").map(|i| i + 2));
        if let Some(end) = end {
            raw.truncate(end);
        }
        Ok(raw)
    }

    /// Adds and removes flags and keywords; with `unchanged_since`, only if the message's
    /// MODSEQ has not moved past it.
    fn store(
        &mut self,
        mailbox: &str,
        uid: u32,
        change: &FlagChange,
        unchanged_since: Option<u64>,
    ) -> Result<StoreOutcome, BackendError>;

    /// Moves a message to another mailbox; returns its new UID where known.
    fn move_to(
        &mut self,
        mailbox: &str,
        uid: u32,
        target: &str,
    ) -> Result<Option<u32>, BackendError>;

    /// Appends a message with flags, keywords and an INTERNALDATE; returns its UID where known.
    fn append(
        &mut self,
        mailbox: &str,
        raw: &[u8],
        flags: Flags,
        keywords: &[String],
        internal_date: Option<i64>,
    ) -> Result<Option<u32>, BackendError>;

    /// The agent's rights on a mailbox (MYRIGHTS, or inferred without ACL).
    fn rights(&mut self, mailbox: &str) -> Result<Rights, BackendError>;

    /// The UID of a message with this Message-ID (without brackets), if the mailbox has one.
    /// The default reads every summary; servers that can search override it.
    fn find_message_id(
        &mut self,
        mailbox: &str,
        message_id: &str,
    ) -> Result<Option<u32>, BackendError> {
        let mut found = None;
        self.summaries(mailbox, 1, &mut |rows| {
            if found.is_none() {
                found = rows
                    .iter()
                    .find(|r| r.message_id() == Some(message_id))
                    .map(|r| r.uid);
            }
        })?;
        Ok(found)
    }
}
