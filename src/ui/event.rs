//! Messages into the UI (`Event`) and out of it (`Command`): the only contract between the
//! pure state machine in `app` and the threads that do I/O.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use crossterm::event::KeyEvent;

use crate::backend::FlagChange;
use crate::engine::pipeline::Outcome;
use crate::engine::worker::ConnState;
use crate::imap::sync::FlagUpdate;
use crate::insight::stats::Report;
use crate::mail::attachments::AttachmentInfo;
use crate::mail::compose::Outgoing;
use crate::mail::note::Note;
use crate::message::Summary;
use crate::policy::identity::SendIdentity;
use crate::policy::rights::Rights;
use crate::store::drafts;
use crate::triage::act::{ActError, Applied};
use crate::triage::folders::Detected;
use crate::triage::state::Action as TriageAction;

/// Something that happened: input, a worker's report, or the clock.
#[derive(Debug, Clone)]
pub enum Event {
    Key(KeyEvent),
    /// Bracketed paste: arrives as one event so pasted text is never taken for keys.
    Paste(String),
    /// New terminal size in cells (width, height).
    Resize(u16, u16),
    /// The terminal can no longer be read: the UI must end, it could not even be quit.
    InputFailed(String),
    /// Wall-clock time (Unix seconds) for row ages.
    Tick(i64),
    /// The mailbox was opened; `exists` is its message count (for "loading n/N").
    Status {
        account_idx: usize,
        exists: u32,
    },
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
    Loaded {
        account_idx: usize,
    },
    /// The mailbox is in sync with the server; `exists` is its message count.
    Synced {
        account_idx: usize,
        exists: u32,
    },
    /// Flags or keywords of shown rows changed (a teammate, another client, or us).
    Flags {
        account_idx: usize,
        updates: Vec<FlagUpdate>,
    },
    /// These UIDs are gone from the mailbox (expunged or moved away).
    Vanished {
        account_idx: usize,
        uids: Vec<u32>,
    },
    /// Every row shown so far is void (UIDVALIDITY changed); raw reason.
    Reset {
        account_idx: usize,
        reason: String,
    },
    /// Something the user should know that stopped nothing; raw text.
    Warning {
        account_idx: usize,
        message: String,
    },
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
    /// A message asked for by [`Command::Open`] (its text, attachments and raw bytes), or
    /// why it could not be read.
    Body {
        account_idx: usize,
        uid: u32,
        body: Result<Opened, String>,
    },
    /// The answer to [`Command::Save`]: per attachment number (0-based), the path written or
    /// why not (raw text).
    Saved {
        results: Vec<(usize, Result<PathBuf, String>)>,
    },
    /// The outbox after a delivery round (see `ui::outbox`, `engine::outbox`).
    Outbox(OutboxStatus),
    /// What the mailbox's SELECT says about where team state can live (keywords, or folders
    /// on a server without permanent keywords), before the account's `team_state` setting.
    TeamMapping {
        account_idx: usize,
        detected: Detected,
    },
    /// The agent's rights on the account's mailbox (MYRIGHTS, or inferred from SELECT).
    Rights {
        account_idx: usize,
        rights: Rights,
    },
    /// The answer to [`Command::Store`] `id`: done, or why not (raw text).
    StoreDone {
        account_idx: usize,
        id: u64,
        uid: u32,
        result: Result<(), String>,
    },
    /// The answer to [`Command::Search`] `id`: the matching UIDs, or why not (raw text).
    SearchDone {
        account_idx: usize,
        id: u64,
        result: Result<Vec<u32>, String>,
    },
    /// The answer to [`Command::Send`]: how the first delivery attempt ended, or why the
    /// message could not even be queued (raw text).
    SendDone {
        draft_id: String,
        result: Result<Outcome, String>,
    },
    /// The answer to [`Command::Editor`]: the edited body, or why not (raw text).
    Edited(Result<String, String>),
    /// The answer to [`Command::Stats`] `id`: the report, or why not (raw text).
    Stats {
        id: u64,
        result: Result<Box<Report>, String>,
    },
    /// The answer to [`Command::Triage`] `id`: the state before and after, or why not.
    TriageDone {
        account_idx: usize,
        id: u64,
        uid: u32,
        result: Result<Applied, ActError>,
    },
    /// The answer to [`Command::AddNote`] `id` on message `uid`: where the note went, or why
    /// not (raw text).
    NoteAdded {
        account_idx: usize,
        id: u64,
        uid: u32,
        result: Result<NoteAdded, String>,
    },
    /// The answer to [`Command::Notes`]: the notes on the message `message_id` (raw: sanitized
    /// when shown), oldest first, or why they could not be read (raw text).
    Notes {
        account_idx: usize,
        message_id: String,
        notes: Result<Vec<Note>, String>,
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

/// Something the state machine wants done outside itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Fetch a message's body (never marking it read); answered by [`Event::Body`].
    Open { account_idx: usize, uid: u32 },
    /// Change flags of a message; answered by [`Event::StoreDone`] with the same `id`.
    Store {
        account_idx: usize,
        id: u64,
        uid: u32,
        change: FlagChange,
    },
    /// Server-side SEARCH on an IMAP account; answered by [`Event::SearchDone`].
    Search {
        account_idx: usize,
        id: u64,
        query: String,
    },
    /// A triage action (claim, assign, status, snooze, replying mark) by `agent` on a
    /// message, applied atomically by the account's worker; answered by [`Event::TriageDone`].
    Triage {
        account_idx: usize,
        id: u64,
        uid: u32,
        action: TriageAction,
        agent: String,
    },
    /// Append an internal note by the configured agent on message `uid` to the account's
    /// notes folder (never transmitted); answered by [`Event::NoteAdded`] with the same `id`.
    AddNote {
        account_idx: usize,
        id: u64,
        uid: u32,
        text: String,
    },
    /// Read the internal notes on the message `uid` (whose Message-ID is `message_id`);
    /// answered by [`Event::Notes`].
    Notes {
        account_idx: usize,
        uid: u32,
        message_id: String,
    },
    /// Compute the stats screen's report (every account, from `since`), off the UI thread;
    /// answered by [`Event::Stats`].
    Stats { id: u64, since: Option<i64> },
    /// Sync the account with its server or folder now.
    Refresh { account_idx: usize },
    /// Save attachments (0-based numbers) of the open message into `dir`, off the UI thread;
    /// answered by [`Event::Saved`].
    Save {
        raw: RawMessage,
        indices: Vec<usize>,
        dir: PathBuf,
    },
    /// Queue a built message in the outbox and try it once, off the UI thread; answered by
    /// [`Event::SendDone`]. The draft is deleted once the message is safely queued and not
    /// refused.
    Send {
        account_idx: usize,
        identity: SendIdentity,
        outgoing: Box<Outgoing>,
        reply_uid: Option<u32>,
        draft_id: String,
    },
    /// Write a draft (atomically) before anything else happens.
    SaveDraft(Box<drafts::Draft>),
    /// Suspend the screen and edit `text` in `$EDITOR`; answered by [`Event::Edited`].
    Editor { text: String },
    /// Leave the UI.
    Quit,
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
