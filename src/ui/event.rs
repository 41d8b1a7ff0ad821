//! Messages into the UI (`Event`) and out of it (`Command`): the only contract between the
//! pure state machine in `app` and the threads that do I/O.

use std::path::PathBuf;

use crossterm::event::KeyEvent;

use crate::backend::FlagChange;
use crate::engine::event::{NoteAdded, Opened, OutboxStatus, RawMessage};
use crate::engine::pipeline::Outcome;
use crate::engine::worker::ConnState;
use crate::imap::sync::FlagUpdate;
use crate::insight::stats::Report;
use crate::mail::compose::Outgoing;
use crate::mail::note::Note;
use crate::message::Summary;
use crate::policy::identity::SendIdentity;
use crate::policy::rights::Rights;
use crate::store::drafts;
use crate::triage::act::{ActError, Applied};
use crate::triage::folders::TeamStateAt;
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
    /// The outbox after a delivery round (see `engine::outbox_status`, `engine::outbox`).
    Outbox(OutboxStatus),
    /// The agent's rights on the account's mailbox and where team state lives, as the
    /// engine decided them at SELECT (`engine::Event::Access`).
    Access {
        account_idx: usize,
        rights: Rights,
        team_state: TeamStateAt,
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
