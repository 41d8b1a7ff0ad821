//! The engine: the runtime beneath both front ends (`ui`, `cli`), above protocol and store.
//!
//! A front end starts it with [`Engine::start`], asks with [`Engine::submit`] in one request
//! vocabulary ([`Request`]), hears everything back in one event vocabulary ([`Event`]), and
//! ends it with [`Engine::shutdown`].
//!
//! It opens an account's mailbox (IMAP or Maildir), runs the per-account IMAP thread
//! ([`worker`]: connection, sync, IDLE, actions, backoff), the delivery procedure (queue,
//! submit, file the Sent copy; see [`pipeline`]; the column view's outbox thread, [`outbox`]),
//! sending from the column view ([`send`]), its drafts on disk ([`drafts`]), the compose
//! pane's files (attachments checked and read, the preview built: [`compose`]) and the note
//! procedure ([`notes`]); work off the caller's thread goes through [`job`] (spawn, catch a
//! panic, reply). No ratatui, no clap: the TUI and the CLI call the same code.

pub mod address_book;
pub mod compose;
pub mod drafts;
pub mod event;
pub mod job;
pub mod local;
pub mod notes;
pub mod notify;
pub mod open;
pub mod outbox;
pub mod outbox_status;
pub mod pipeline;
pub mod policy;
pub mod policy_gate;
pub mod reply;
pub mod request;
pub mod runtime;
pub mod save;
pub mod send;
pub mod translate;
pub mod worker;

pub use event::{Event, EventSink};
pub use request::{Request, RequestId};
pub use runtime::Engine;

use crate::backend::{Backend, BackendError};
use crate::config::Account;

/// Why an account's mailbox could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    Backend(#[from] BackendError),
    #[error(transparent)]
    Imap(#[from] crate::imap::ImapError),
    /// The account has neither IMAP nor Maildir (validation rules it out); the second field
    /// says so in the words of the caller.
    #[error("no account named {0:?} (accounts: {1})")]
    NoMailbox(String, String),
}

/// Opens the backend an account is configured with, and the name of its mailbox.
pub fn open_backend(account: &Account) -> Result<(Box<dyn Backend>, String), OpenError> {
    if let Some(imap) = &account.imap {
        let b = crate::imap::backend::ImapBackend::connect(&account.name, imap)?;
        return Ok((Box::new(b), imap.mailbox.clone()));
    }
    if let Some(m) = &account.maildir {
        let b = crate::backend::maildir::MaildirBackend::open(&account.name, &m.path)?;
        return Ok((Box::new(b), m.mailbox.clone()));
    }
    // Validation guarantees one of the two; say so rather than panic.
    Err(OpenError::NoMailbox(
        account.name.clone(),
        "(account has no mailbox configured)".into(),
    ))
}
