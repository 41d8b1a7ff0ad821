//! The worker's note commands: adding a note on a message, and reading the notes on one.

use super::{Worker, WorkerCommand, WorkerEvent};
use crate::imap::connect::ImapConn;
use crate::imap::notes::{self, NotesError};
use crate::imap::sync::MailboxState;
use crate::mail::note;
use crate::sanitize::single_line;

impl Worker {
    /// Appends a note by the agent on `uid` to the notes folder (`imap::notes`: CREATE on
    /// TRYCREATE; the selection is kept). The original is the mirror's row: its Message-ID
    /// and References thread the note.
    pub(super) fn add_note(
        &mut self,
        conn: &mut ImapConn,
        state: &MailboxState,
        id: u64,
        uid: u32,
        text: String,
    ) -> Result<(), String> {
        let original = state.rows().iter().find(|s| s.uid == uid).cloned();
        let (Some(agent), Some(original)) = (self.agent.clone(), original) else {
            let why = if self.agent.is_none() {
                "no agent is configured ([agent]): a note needs an author".to_string()
            } else {
                format!(
                    "no message with UID {uid} in \"{}\"",
                    single_line(&self.imap.mailbox)
                )
            };
            (self.emit)(WorkerEvent::NoteAdded {
                id,
                uid,
                result: Err(why),
            });
            return Ok(());
        };
        let folder = match notes::notes_folder(conn, &self.config) {
            Ok(f) => f,
            Err(NotesError::Connection(e)) => {
                // Nothing was appended yet: try again once reconnected.
                self.pending
                    .push_front(WorkerCommand::AddNote { id, uid, text });
                return Err(e);
            }
            Err(e) => {
                (self.emit)(WorkerEvent::NoteAdded {
                    id,
                    uid,
                    result: Err(e.to_string()),
                });
                return Ok(());
            }
        };
        let result = note::build(
            &agent,
            &self.config,
            &original,
            &text,
            std::time::SystemTime::now(),
        )
        .map_err(NotesError::from)
        .and_then(|built| notes::append_note(conn, &folder, &built.raw));
        let (result, lost) = match result {
            Ok(note_uid) => (Ok((folder, note_uid)), None),
            // The APPEND may have reached the server: not retried, since a note twice is
            // worse than saying so.
            Err(NotesError::Connection(e)) => (
                Err(format!(
                    "the connection was lost while adding the note to \"{}\": it may not have been added ({e})",
                    single_line(&folder)
                )),
                Some(e),
            ),
            Err(e) => (Err(e.to_string()), None),
        };
        (self.emit)(WorkerEvent::NoteAdded { id, uid, result });
        lost.map_or(Ok(()), Err)
    }

    /// Reads the notes on `message_id`, then selects the mailbox again (`notes_for` opens
    /// the notes folder; the sync's SELECT restores the selection every other command uses).
    pub(super) fn notes(
        &mut self,
        conn: &mut ImapConn,
        state: &mut MailboxState,
        uid: u32,
        message_id: String,
    ) -> Result<(), String> {
        let result = notes::notes_folder(conn, &self.config)
            .and_then(|folder| notes::notes_for(conn, &folder, &message_id));
        if let Err(NotesError::Connection(e)) = &result {
            self.pending
                .push_front(WorkerCommand::Notes { uid, message_id });
            return Err(e.clone());
        }
        (self.emit)(WorkerEvent::Notes {
            message_id,
            result: result.map_err(|e| e.to_string()),
        });
        self.sync_now(conn, state)
    }
}

impl Worker {
    /// Reads the team's replies to the conversation of `uid` (Message-IDs `ids`) from the
    /// account's Sent folder (`imap::sent`), then selects the mailbox again. No Sent folder
    /// configured: no replies.
    pub(super) fn conversation(
        &mut self,
        conn: &mut ImapConn,
        state: &mut MailboxState,
        uid: u32,
        ids: Vec<String>,
    ) -> Result<(), String> {
        let Some(folder) = self.imap.sent.clone() else {
            (self.emit)(WorkerEvent::Conversation {
                uid,
                result: Ok(Vec::new()),
            });
            return Ok(());
        };
        let result = crate::imap::sent::replies_in(conn, &folder, &ids);
        if let Err(NotesError::Connection(e)) = &result {
            self.pending
                .push_front(WorkerCommand::Conversation { uid, ids });
            return Err(e.clone());
        }
        (self.emit)(WorkerEvent::Conversation {
            uid,
            result: result.map_err(|e| e.to_string()),
        });
        self.sync_now(conn, state)
    }
}

impl Worker {
    /// Reads the To and Cc of the Sent folder's newest messages (`imap::sent::recipients_in`),
    /// then selects the mailbox again. No Sent folder configured: none. Not retried after a
    /// dropped connection (completion works without them).
    pub(super) fn sent_recipients(
        &mut self,
        conn: &mut ImapConn,
        state: &mut MailboxState,
    ) -> Result<(), String> {
        let Some(folder) = self.imap.sent.clone() else {
            (self.emit)(WorkerEvent::SentRecipients(Ok(Vec::new())));
            return Ok(());
        };
        let result = crate::imap::sent::recipients_in(conn, &folder);
        if let Err(NotesError::Connection(e)) = &result {
            (self.emit)(WorkerEvent::SentRecipients(Err(e.clone())));
            return Err(e.clone());
        }
        (self.emit)(WorkerEvent::SentRecipients(
            result.map_err(|e| e.to_string()),
        ));
        self.sync_now(conn, state)
    }
}
