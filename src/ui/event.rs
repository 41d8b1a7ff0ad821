//! Messages into the UI (`Event`) and out of it (`Command`): the only contract between the
//! pure state machine in `app` and the threads that do I/O.

use crossterm::event::KeyEvent;

use crate::backend::{FlagChange, Summary};
use crate::imap::sync::FlagUpdate;
use crate::imap::worker::ConnState;
use crate::policy::rights::Rights;

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
    /// The readable text of a message asked for by [`Command::Open`], or why it failed.
    Body {
        account_idx: usize,
        uid: u32,
        body: Result<String, String>,
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
    /// Sync the account with its server or folder now.
    Refresh { account_idx: usize },
    /// Leave the UI.
    Quit,
}
