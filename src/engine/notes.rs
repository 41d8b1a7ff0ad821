//! The note procedure: a note on a message of an account, appended to the account's notes
//! folder (never transmitted), and the notes of a message read back — over a fresh IMAP
//! session or the Maildir. `mailroom note`/`notes` and the TUI's local worker run it.

use std::time::SystemTime;

use serde::Serialize;

use super::OpenError;
use crate::backend::maildir::MaildirBackend;
use crate::backend::{Backend, BackendError};
use crate::config::{Account, Agent};
use crate::imap::connect::{ImapConn, Target, open_session};
use crate::imap::notes::{self, NotesError};
use crate::mail::note::{self, Note, NoteError};
use crate::mail::parse;
use crate::message::Summary;
use crate::net::Server;

/// Why adding or listing notes failed.
#[derive(Debug, thiserror::Error)]
pub enum NoteJobError {
    #[error(transparent)]
    Open(#[from] OpenError),
    #[error("account \"{account}\": IMAP {server}: {source}")]
    Imap {
        account: String,
        server: Server,
        #[source]
        source: NotesError,
    },
    #[error("account \"{account}\": {source}")]
    Local {
        account: String,
        #[source]
        source: LocalError,
    },
}

/// A failure on a Maildir account.
#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    #[error(transparent)]
    Note(#[from] NoteError),
    #[error(transparent)]
    Backend(#[from] BackendError),
}

/// What `mailroom note` did.
#[derive(Debug, Serialize)]
pub struct Added {
    pub account: String,
    /// The notes folder the note went to.
    pub folder: String,
    /// The note's UID there, when the server says (UIDPLUS).
    pub uid: Option<u32>,
    /// The message the note is on.
    pub on_uid: u32,
    pub message_id: String,
    pub in_reply_to: String,
    pub subject: String,
}

/// Opens the account, reads message `uid` and finds the notes folder, then runs `on_imap` (on
/// a fresh IMAP session, logged out afterwards) or `on_maildir` with the message's summary and
/// the folder.
fn on_message<T>(
    account: &Account,
    uid: u32,
    on_imap: impl FnOnce(&mut ImapConn, Summary, String) -> Result<T, NotesError>,
    on_maildir: impl FnOnce(&mut MaildirBackend, Summary, String) -> Result<T, LocalError>,
) -> Result<T, NoteJobError> {
    if let Some(imap) = &account.imap {
        let mut conn = open_session(&Target {
            account: &account.name,
            config: imap,
        })
        .map_err(OpenError::from)?;
        let r = notes::original(&mut conn, &imap.mailbox, uid).and_then(|original| {
            let folder = notes::notes_folder(&mut conn, account)?;
            on_imap(&mut conn, original, folder)
        });
        let _ = conn.session.logout();
        return r.map_err(|source| NoteJobError::Imap {
            account: account.name.clone(),
            server: Server {
                host: imap.host.clone(),
                port: imap.port(),
            },
            source,
        });
    }
    let Some(m) = &account.maildir else {
        return Err(
            OpenError::NoMailbox(account.name.clone(), "(no mailbox configured)".into()).into(),
        );
    };
    let run = || {
        let mut b = MaildirBackend::open(&account.name, &m.path)?;
        let raw = b.fetch(&m.mailbox, uid)?;
        let original = parse::summary_from_raw(uid, &raw, 0, Default::default(), Vec::new());
        on_maildir(&mut b, original, note::folder_for(account, None, None))
    };
    run().map_err(|source| NoteJobError::Local {
        account: account.name.clone(),
        source,
    })
}

/// Adds a note by `agent` to message `uid` of `account` (on a session or Maildir of its own;
/// `mailroom note` and the TUI's local worker).
pub fn add_by(
    agent: &Agent,
    account: &Account,
    uid: u32,
    text: &str,
    now: SystemTime,
) -> Result<Added, NoteJobError> {
    let added = |folder: String, note_uid: Option<u32>, built: note::NewNote| Added {
        account: account.name.clone(),
        folder,
        uid: note_uid,
        on_uid: uid,
        message_id: built.message_id,
        in_reply_to: built.in_reply_to,
        subject: built.subject,
    };
    let build = |original: &Summary| note::build(agent, account, original, text, now);
    on_message(
        account,
        uid,
        |conn, original, folder| {
            let built = build(&original)?;
            let note_uid = notes::append_note(conn, &folder, &built.raw)?;
            Ok(added(folder, note_uid, built))
        },
        |b, original, folder| {
            let built = build(&original)?;
            let note_uid = crate::backend::notes::append_note(b, &folder, &built.raw)?;
            Ok(added(folder, note_uid, built))
        },
    )
}

/// The notes of message `uid` of `account`: the folder, the message's Message-ID and the notes.
pub fn list_by(account: &Account, uid: u32) -> Result<(String, String, Vec<Note>), NoteJobError> {
    let id_of = |s: &Summary| {
        s.message_id()
            .map(str::to_string)
            .ok_or(NoteError::NoMessageId)
    };
    on_message(
        account,
        uid,
        |conn, original, folder| {
            let id = id_of(&original)?;
            let found = notes::notes_for(conn, &folder, &id)?;
            Ok((folder, id, found))
        },
        |b, original, folder| {
            let id = id_of(&original)?;
            let found = crate::backend::notes::notes_for(b, &folder, &id)?;
            Ok((folder, id, found))
        },
    )
}
