//! What the engine reports ([`Event`]): mailbox events of every account (cached, added,
//! changed, vanished, reset, synced, link state, access), the answers to [`Request`]s, and the
//! outbox's status. One vocabulary for IMAP and Maildir accounts alike.
//!
//! [`Request`]: super::Request

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use crate::engine::compose::{AttachError, Built, PreviewError};
use crate::engine::pipeline::Outcome;
use crate::engine::worker::ConnState;
use crate::imap::sync::FlagUpdate;
use crate::insight::stats::Report;
use crate::mail::attachments::AttachmentInfo;
use crate::mail::note::Note;
use crate::mail::snooze::WakeTimes;
use crate::message::Summary;
use crate::policy::rights::Rights;
use crate::triage::act::{ActError, Applied};
use crate::triage::folders::TeamStateAt;

/// Where the engine's events go: a front end's channel, whatever its own event type, as long
/// as that type can hold an engine event (the TUI's wraps it; tests use `Sender<Event>`). One
/// channel per front end, so the UI waits on input and engine events alike without a
/// forwarding thread.
#[derive(Clone)]
pub struct EventSink {
    send: Arc<dyn Fn(Event) -> bool + Send + Sync>,
}

/// The receiving end has gone: the front end has quit, nobody is left to tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gone;

impl EventSink {
    /// Hands `event` to the front end; `Err(Gone)` once its receiver is dropped.
    pub fn send(&self, event: Event) -> Result<(), Gone> {
        if (self.send)(event) {
            Ok(())
        } else {
            Err(Gone)
        }
    }
}

impl fmt::Debug for EventSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EventSink")
    }
}

impl<T: From<Event> + Send + 'static> From<std::sync::mpsc::Sender<T>> for EventSink {
    fn from(tx: std::sync::mpsc::Sender<T>) -> EventSink {
        let tx = std::sync::Mutex::new(tx);
        EventSink {
            send: Arc::new(move |event| {
                tx.lock()
                    .map(|tx| tx.send(T::from(event)).is_ok())
                    .unwrap_or(false)
            }),
        }
    }
}

/// Something the engine reports: a mailbox event, or the answer to a request.
#[derive(Debug, Clone)]
pub enum Event {
    /// The mailbox was opened; `exists` is its message count (for "loading n/N").
    Status { account_idx: usize, exists: u32 },
    /// A batch of summaries, in any order; raw, sanitized at display. A row whose UID is
    /// already shown replaces it.
    Rows {
        account_idx: usize,
        rows: Vec<Summary>,
    },
    /// Rows from the local header cache, shown before the server has been asked.
    Cached {
        account_idx: usize,
        rows: Vec<Summary>,
    },
    /// Every summary of the account has been sent.
    Loaded { account_idx: usize },
    /// A sync that fetches many new messages is under way: `held` of the mailbox's `exists`
    /// messages are known (for "syncing n/N"); it ends with `Synced`, `Reset` or the link
    /// going offline.
    Progress {
        account_idx: usize,
        held: u32,
        exists: u32,
    },
    /// The mailbox is in sync with the server; `exists` is its message count.
    Synced { account_idx: usize, exists: u32 },
    /// Flags or keywords of shown rows changed (a teammate, another client, or us).
    Flags {
        account_idx: usize,
        updates: Vec<FlagUpdate>,
    },
    /// The wake times of the account's snoozed messages, by Message-ID, read from the snooze
    /// records in its notes folder (`mail::snooze`): after a sync, when a snoozed message
    /// without a known wake time appears, and after a snooze. The whole map each time.
    Snoozes {
        account_idx: usize,
        wakes: WakeTimes,
    },
    /// The team policy of the account named `account`: the kept copy at start-up (before the
    /// server answers), then what its policy folder holds once connected and whenever that
    /// folder changes (`engine::policy`). The front end applies it to its configuration.
    Policy {
        account: String,
        learned: crate::engine::policy::Learned,
    },
    /// These UIDs are gone from the mailbox (expunged or moved away).
    Vanished { account_idx: usize, uids: Vec<u32> },
    /// Every row shown so far is void (UIDVALIDITY changed); raw reason.
    Reset { account_idx: usize, reason: String },
    /// Something the user should know that stopped nothing; raw text.
    Warning { account_idx: usize, message: String },
    /// The connection of a networked account changed; `at` is when (Unix seconds), so a
    /// retry countdown can be shown.
    Link {
        account_idx: usize,
        state: ConnState,
        at: i64,
    },
    /// A failure; raw text, sanitized by the receiver. `None`: not tied to an account.
    Error {
        account_idx: Option<usize>,
        message: String,
    },
    /// A message asked for by [`Request::Open`](super::Request::Open) (its text, attachments and
    /// raw bytes), or why it could not be read.
    Body {
        account_idx: usize,
        uid: u32,
        body: Result<Opened, String>,
    },
    /// The answer to [`Request::Save`](super::Request::Save): per attachment number (0-based), the
    /// path written or why not (raw text).
    Saved {
        results: Vec<(usize, Result<PathBuf, String>)>,
    },
    /// The answer to [`Request::Launch`](super::Request::Launch): what was opened, or why not.
    Launched { result: Result<String, String> },
    /// The outbox after a delivery round (see `engine::outbox_status`, `engine::outbox`).
    Outbox(OutboxStatus),
    /// The agent's rights on the account's mailbox (MYRIGHTS, or inferred from SELECT) and
    /// where team state lives, decided once per SELECT with the account's `team_state`
    /// setting (`triage::folders::decide`).
    Access {
        account_idx: usize,
        rights: Rights,
        team_state: TeamStateAt,
    },
    /// The answer to [`Request::Store`](super::Request::Store) `id`: done, or why not (raw text).
    StoreDone {
        account_idx: usize,
        id: u64,
        uid: u32,
        result: Result<(), String>,
    },
    /// The answer to [`Request::Search`](super::Request::Search) `id`: the matching UIDs, or why
    /// not (raw text).
    SearchDone {
        account_idx: usize,
        id: u64,
        result: Result<Vec<u32>, String>,
    },
    /// The answer to [`Request::Send`](super::Request::Send): how the first delivery attempt ended,
    /// or why the message could not even be queued (raw text).
    SendDone {
        draft_id: String,
        result: Result<Outcome, String>,
    },
    /// The answer to [`Request::Stats`](super::Request::Stats) `id`: the report, or why not (raw
    /// text).
    Stats {
        id: u64,
        result: Result<Box<Report>, String>,
    },
    /// The answer to [`Request::Triage`](super::Request::Triage) `id`: the state before and after,
    /// or why not.
    TriageDone {
        account_idx: usize,
        id: u64,
        uid: u32,
        result: Result<Applied, ActError>,
    },
    /// The answer to [`Request::AddNote`](super::Request::AddNote) `id` on message `uid`: where the
    /// note went, or why not (raw text).
    NoteAdded {
        account_idx: usize,
        id: u64,
        uid: u32,
        result: Result<NoteAdded, String>,
    },
    /// The answer to [`Request::Notes`](super::Request::Notes): the notes on the message
    /// `message_id` (raw: sanitized when shown), oldest first, or why they could not be read (raw
    /// text).
    Notes {
        account_idx: usize,
        message_id: String,
        notes: Result<Vec<Note>, String>,
    },
    /// The answer to [`Request::Conversation`](super::Request::Conversation): the team's
    /// replies in the conversation of message `uid` from the Sent folder (raw: sanitized when
    /// shown), oldest first, or why they could not be read (raw text).
    Conversation {
        account_idx: usize,
        uid: u32,
        replies: Result<Vec<crate::mail::sent::SentReply>, String>,
    },
    /// The answer to [`Request::Preview`](super::Request::Preview) `id`: the exact message and
    /// its identity, or why it cannot be built.
    Previewed {
        id: u64,
        result: Result<Box<Built>, PreviewError>,
    },
    /// The answer to [`Request::Attach`](super::Request::Attach): `path` can be attached to the
    /// draft `draft_id`, or why not.
    Attached {
        draft_id: String,
        path: PathBuf,
        result: Result<(), AttachError>,
    },
    /// The answer to [`Request::SentRecipients`](super::Request::SentRecipients): rows with
    /// the To and Cc of the Sent folder's newest messages (raw: sanitized when shown), or why
    /// not (raw text).
    SentRecipients {
        account_idx: usize,
        result: Result<Vec<crate::message::Summary>, String>,
    },
    /// The answer to [`Request::AddressBook`](super::Request::AddressBook) `id`: the entries
    /// for `query` (names sanitized), or why the program gave none.
    AddressBook {
        id: u64,
        query: String,
        result: Result<
            Vec<crate::engine::address_book::Entry>,
            crate::engine::address_book::AddressBookError,
        >,
    },
}

/// Where an internal note was appended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteAdded {
    /// The notes folder (raw: sanitized when shown).
    pub folder: String,
    /// The note's UID there, when the server says (UIDPLUS).
    pub note_uid: Option<u32>,
}

/// The raw bytes of an open message, shared with the thread that saves its attachments.
/// Debug shows the size only: a message can be megabytes.
#[derive(Clone, PartialEq, Eq)]
pub struct RawMessage(pub Arc<[u8]>);

impl fmt::Debug for RawMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RawMessage({} bytes)", self.0.len())
    }
}

/// An opened message, prepared on the worker's thread (never the UI's).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Opened {
    /// The readable text: text/plain preferred, HTML converted. Raw: sanitized by the reader.
    pub text: String,
    /// The attachments, numbered as `mail::attachments::save` numbers them. Names are raw.
    pub attachments: Vec<AttachmentInfo>,
    /// The raw message, kept while it is open so its attachments can be saved; `None` when
    /// it is larger than [`MAX_RAW_BYTES`] (then nothing can be saved from the reader).
    pub raw: Option<RawMessage>,
}

/// The largest message kept in memory for saving attachments (the IMAP fetch limit).
pub const MAX_RAW_BYTES: usize = 64 * 1024 * 1024;

impl From<String> for Opened {
    /// A text-only message (no attachments, nothing to save).
    fn from(text: String) -> Opened {
        Opened {
            text,
            ..Opened::default()
        }
    }
}

impl From<&str> for Opened {
    fn from(text: &str) -> Opened {
        Opened::from(text.to_string())
    }
}

/// What the outbox holds, for the status line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutboxStatus {
    /// Waiting for their first try, or between submission and filing (queued, sending,
    /// submitted).
    pub queued: usize,
    /// Temporarily failed; retried with backoff.
    pub deferred: usize,
    /// Refused by the server; kept, not retried on their own (`mailroom outbox --retry`).
    pub failed: usize,
    /// Sent whole with no reply recorded: may have been delivered; never sent again on their
    /// own (`mailroom outbox --retry ID --force`).
    pub uncertain: usize,
    /// Entries that cannot be used (damaged, or an orphan file), or 1 for an outbox that
    /// cannot be read at all; never sent, shown so they are looked at.
    pub damaged: usize,
    /// Delivered during this round.
    pub delivered: usize,
    /// The latest delivery error (raw): from this round, else the newest one recorded in a
    /// deferred or failed entry.
    pub last_error: Option<String>,
    /// Another mailroom window delivers (it holds the outbox lock); this one only counts.
    pub elsewhere: bool,
}

impl OutboxStatus {
    /// Messages still in the outbox.
    pub fn total(&self) -> usize {
        self.queued + self.deferred + self.failed + self.uncertain + self.damaged
    }
}
