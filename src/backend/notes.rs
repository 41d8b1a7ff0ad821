//! Internal notes on a local Maildir (the demo, mbsync users): the same notes as
//! `imap::notes`, through the [`Backend`] trait, and the snooze records of `mail::snooze`
//! as `imap::snoozes` keeps them. The notes folder is created on first use.

use super::maildir::MaildirBackend;
use super::{Backend, BackendError};
use crate::mail::note::{self, MAX_NOTE_BYTES, MAX_NOTES, Note};
use crate::mail::snooze::{self, WakeTimes};
use crate::message::Flags;
use crate::sanitize::single_line;

/// Appends a note (built by [`note::build`]) to `folder` with `\Seen`, creating the folder if
/// needed; returns its UID.
pub fn append_note(
    backend: &mut MaildirBackend,
    folder: &str,
    raw: &[u8],
) -> Result<Option<u32>, BackendError> {
    if !note::is_note(raw) {
        return Err(BackendError::Refused {
            account: backend.account().to_string(),
            message: format!(
                "refusing to append to {:?}: the message is not a note",
                single_line(folder)
            ),
        });
    }
    backend.create_mailbox(folder)?;
    let seen = Flags {
        seen: true,
        ..Flags::default()
    };
    backend.append(folder, raw, seen, &[], None)
}

/// The notes on the message `message_id` and on later messages of its thread, oldest first
/// (at most [`MAX_NOTES`], the newest; each read up to [`MAX_NOTE_BYTES`]). A missing folder
/// means no notes; an id that cannot be a Message-ID is refused.
pub fn notes_for(
    backend: &mut dyn Backend,
    folder: &str,
    message_id: &str,
) -> Result<Vec<Note>, BackendError> {
    if !note::is_linkable_id(message_id) {
        return Err(BackendError::Refused {
            account: backend.account().to_string(),
            message: note::NoteError::BadMessageId(single_line(message_id)).to_string(),
        });
    }
    match backend.status(folder) {
        Ok(_) => {}
        Err(BackendError::NoMailbox { .. }) => return Ok(Vec::new()),
        Err(e) => return Err(e),
    }
    let mut found: Vec<(u32, i64, u64)> = Vec::new();
    backend.summaries(folder, 1, &mut |rows| {
        for r in rows {
            // Snooze records share the folder and the threading headers: left out.
            if !r.subject().starts_with(snooze::SUBJECT_PREFIX)
                && r.in_reply_to()
                    .chain(r.references())
                    .any(|i| i == message_id)
            {
                found.push((r.uid, r.internal_date, r.size));
            }
        }
    })?;
    found.sort_unstable_by_key(|(uid, _, _)| *uid);
    if found.len() > MAX_NOTES {
        found.drain(..found.len() - MAX_NOTES);
    }
    let mut notes = Vec::with_capacity(found.len());
    for (uid, date, size) in found {
        let mut raw = backend.fetch(folder, uid)?;
        let truncated = raw.len() as u64 > MAX_NOTE_BYTES || size > raw.len() as u64;
        raw.truncate(MAX_NOTE_BYTES as usize);
        if let Some(n) = note::parse_note(uid, &raw, date, truncated) {
            notes.push(n);
        }
    }
    Ok(note::notes_of(message_id, notes))
}

/// Appends a snooze record (built by `mail::snooze::build`) to `folder` with `\Seen`,
/// creating the folder if needed; returns its UID.
pub fn append_record(
    backend: &mut MaildirBackend,
    folder: &str,
    raw: &[u8],
) -> Result<Option<u32>, BackendError> {
    if !snooze::is_record(raw) {
        return Err(BackendError::Refused {
            account: backend.account().to_string(),
            message: format!(
                "refusing to append to {:?}: the message is not a snooze record",
                single_line(folder)
            ),
        });
    }
    backend.create_mailbox(folder)?;
    let seen = Flags {
        seen: true,
        ..Flags::default()
    };
    backend.append(folder, raw, seen, &[], None)
}

/// The wake times the snooze records of `folder` give (the newest record for a Message-ID
/// wins; at most the newest `MAX_RECORDS` are read). Records are told by their subject in the
/// summaries, then read. A missing folder has none.
pub fn wake_times(backend: &mut dyn Backend, folder: &str) -> Result<WakeTimes, BackendError> {
    match backend.status(folder) {
        Ok(_) => {}
        Err(BackendError::NoMailbox { .. }) => return Ok(WakeTimes::new()),
        Err(e) => return Err(e),
    }
    let mut uids: Vec<u32> = Vec::new();
    backend.summaries(folder, 1, &mut |rows| {
        uids.extend(
            rows.iter()
                .filter(|r| r.subject().starts_with(snooze::SUBJECT_PREFIX))
                .map(|r| r.uid),
        );
    })?;
    uids.sort_unstable();
    if uids.len() > snooze::MAX_RECORDS {
        uids.drain(..uids.len() - snooze::MAX_RECORDS);
    }
    let mut heads = Vec::with_capacity(uids.len());
    for uid in uids {
        let mut raw = backend.fetch(folder, uid)?;
        raw.truncate(MAX_NOTE_BYTES as usize);
        heads.push(raw);
    }
    Ok(snooze::wake_times(heads.iter().map(Vec::as_slice)))
}
