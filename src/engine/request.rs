//! What the front ends ask of the engine: one request vocabulary for every account and job.

use std::path::PathBuf;

use super::compose::Typed;
use super::event::RawMessage;
use crate::backend::FlagChange;
use crate::mail::compose::Outgoing;
use crate::policy::identity::SendIdentity;
use crate::store::drafts;
use crate::triage::state::Action as TriageAction;

/// What a front end asks of the engine ([`super::Engine::submit`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Fetch a message's body (never marking it read); answered by
    /// [`Event::Body`](super::Event::Body).
    Open { account_idx: usize, uid: u32 },
    /// Change flags of a message; answered by [`Event::StoreDone`](super::Event::StoreDone) with
    /// the same `id`. With a `guard` (an undo), the store happens only while the message's
    /// team state is as the action left it (`triage::revert`: CONDSTORE's `UNCHANGEDSINCE`
    /// where the server has it); a refusal is the answer's error.
    Store {
        account_idx: usize,
        id: u64,
        uid: u32,
        change: FlagChange,
        guard: Option<Box<crate::triage::revert::Guard>>,
    },
    /// Server-side SEARCH on an IMAP account; answered by
    /// [`Event::SearchDone`](super::Event::SearchDone).
    Search {
        account_idx: usize,
        id: u64,
        query: String,
    },
    /// A triage action (claim, assign, status, snooze, replying mark) by `agent` on a message,
    /// applied atomically by the account's worker; answered by
    /// [`Event::TriageDone`](super::Event::TriageDone).
    Triage {
        account_idx: usize,
        id: u64,
        uid: u32,
        action: TriageAction,
        agent: String,
        /// The message's Message-ID as the caller knows it (the row): with team state in
        /// folders, a claim of a message a teammate moved away first names the winner with it.
        message_id: Option<String>,
    },
    /// Append an internal note by the configured agent on message `uid` to the account's notes
    /// folder (never transmitted); answered by [`Event::NoteAdded`](super::Event::NoteAdded) with
    /// the same `id`.
    AddNote {
        account_idx: usize,
        id: u64,
        uid: u32,
        text: String,
    },
    /// Read the internal notes on the message `uid` (whose Message-ID is `message_id`);
    /// answered by [`Event::Notes`](super::Event::Notes).
    Notes {
        account_idx: usize,
        uid: u32,
        message_id: String,
    },
    /// Read the team's replies to a conversation (the message `uid` and its thread, whose
    /// Message-IDs are `ids`) from the account's Sent folder; answered by
    /// [`Event::Conversation`](super::Event::Conversation).
    Conversation {
        account_idx: usize,
        uid: u32,
        ids: Vec<String>,
    },
    /// Compute the stats screen's report (every account, from `since`), off the UI thread;
    /// answered by [`Event::Stats`](super::Event::Stats).
    Stats { id: u64, since: Option<i64> },
    /// Sync the account with its server or folder now.
    Refresh { account_idx: usize },
    /// Save attachments (0-based numbers) of the open message into `dir`, off the UI thread;
    /// answered by [`Event::Saved`](super::Event::Saved).
    Save {
        raw: RawMessage,
        indices: Vec<usize>,
        dir: PathBuf,
    },
    /// Open the open message's HTML part or an attachment with the user's opener, off the UI
    /// thread (`engine::open`); answered by [`Event::Launched`](super::Event::Launched).
    Launch {
        raw: RawMessage,
        part: crate::engine::open::Part,
    },
    /// Queue a built message in the outbox and try it once, off the UI thread; answered by
    /// [`Event::SendDone`](super::Event::SendDone). The draft is deleted once the message is safely
    /// queued and not refused.
    Send {
        account_idx: usize,
        identity: SendIdentity,
        outgoing: Box<Outgoing>,
        reply_uid: Option<u32>,
        draft_id: String,
    },
    /// Write a draft (atomically) before anything else happens.
    SaveDraft(Box<drafts::Draft>),
    /// Delete the saved draft of this id (the drafts pane's `d`), after the saves before it.
    DeleteDraft(String),
    /// Build the compose pane's message exactly as it will be sent (reading the files to
    /// attach), off the UI thread; answered by [`Event::Previewed`](super::Event::Previewed)
    /// with the same `id`.
    Preview { id: u64, typed: Box<Typed> },
    /// Check that `path` is a file the compose pane of draft `draft_id` can attach, off the UI
    /// thread; answered by [`Event::Attached`](super::Event::Attached).
    Attach { draft_id: String, path: PathBuf },
    /// Run the `ui.notify.command` program, off the UI thread; only a failure is answered
    /// (an [`Event::Error`](super::Event::Error) without an account).
    Notify(Box<super::notify::NotifyCommand>),
    /// Read the recipients of the account's Sent folder (its newest messages' To and Cc), for
    /// address completion ranked by use; answered by
    /// [`Event::SentRecipients`](super::Event::SentRecipients).
    SentRecipients { account_idx: usize },
    /// Ask the `address_book_command` (`argv`, the query added last) for the addresses
    /// matching `query`, on a job (`super::address_book`); answered by
    /// [`Event::AddressBook`](super::Event::AddressBook) `id`.
    AddressBook {
        id: u64,
        argv: Vec<String>,
        query: String,
    },
}

/// Names a submitted request. For the requests that carry their own `id` (`Store`, `Search`,
/// `Triage`, `AddNote`, `Stats`, `Preview`) it is that `id`, so the answer can be matched; the others get a
/// fresh value from the engine's counter, which starts at [`RequestId::FRESH`] so it does not
/// meet the small ids a front end counts up from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RequestId(pub u64);

impl RequestId {
    /// The first value the engine hands out for a request without an `id`.
    pub const FRESH: u64 = 1 << 63;
}

impl Request {
    /// The request's own `id`, for the variants that carry one.
    pub fn own_id(&self) -> Option<u64> {
        match self {
            Request::Store { id, .. }
            | Request::Search { id, .. }
            | Request::Triage { id, .. }
            | Request::AddNote { id, .. }
            | Request::Stats { id, .. }
            | Request::Preview { id, .. }
            | Request::AddressBook { id, .. } => Some(*id),
            _ => None,
        }
    }
}
