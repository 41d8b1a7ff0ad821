//! Snooze records on an IMAP server (`mail::snooze`): appended to the account's notes folder
//! before a snooze's keyword is stored, and read back for the wake times.
//!
//! [`append_record`] and [`message_id`] leave the selected mailbox alone; [`wake_times`]
//! opens the notes folder (EXAMINE): re-SELECT your mailbox afterwards.

use super::connect::{DEFAULT_READ_BUDGET, ImapConn};
use super::notes::{NotesError, append_seen, newest_matching, server_error};
use super::quote_mailbox;
use crate::mail::note::is_linkable_id;
use crate::mail::snooze::{self, MAX_RECORDS, SNOOZE_HEADER, WakeTimes};
use crate::sanitize::single_line;

/// Bytes granted per record read: the two header fields and the FETCH line around them.
const RECORD_BYTES: u64 = 4096;

/// Appends a snooze record (built by [`snooze::build`]) to `folder` with `\Seen`, creating
/// the folder on `[TRYCREATE]`. Does not change the selected mailbox.
pub fn append_record(
    conn: &mut ImapConn,
    folder: &str,
    raw: &[u8],
) -> Result<Option<u32>, NotesError> {
    let Some(quoted) = quote_mailbox(folder).filter(|_| !folder.is_empty()) else {
        return Err(NotesError::BadFolder(single_line(folder)));
    };
    let text = std::str::from_utf8(raw)
        .ok()
        .filter(|t| t.is_ascii() && snooze::is_record(raw))
        .ok_or_else(|| NotesError::Server {
            folder: single_line(folder),
            message: "refusing to append: the message is not a snooze record".into(),
        })?;
    append_seen(conn, &quoted, folder, text)
}

/// The Message-ID (without brackets) of message `uid` of the selected mailbox, when it has a
/// usable one.
pub fn message_id(conn: &mut ImapConn, uid: u32) -> Result<Option<String>, NotesError> {
    conn.budget.grant(DEFAULT_READ_BUDGET);
    let fetched = conn
        .session
        .uid_fetch(uid.to_string(), "(UID ENVELOPE)")
        .map_err(|e| server_error("the mailbox", &e))?;
    let found = fetched
        .iter()
        .filter(|f| f.uid == Some(uid))
        .find_map(|f| f.envelope()?.message_id.as_ref().map(|id| id.to_vec()));
    drop(fetched);
    let _ = conn.session.take_all_unsolicited().count();
    let Some(raw) = found else {
        return Err(NotesError::NoMessage {
            mailbox: "the mailbox".into(),
            uid,
        });
    };
    let text = String::from_utf8_lossy(&raw);
    let id = text.trim().trim_start_matches('<').trim_end_matches('>');
    Ok(is_linkable_id(id).then(|| id.to_string()))
}

/// The wake times the snooze records of `folder` give: `UID SEARCH HEADER X-Mailroom-Snooze ""`
/// (every message with the header), then the newest [`MAX_RECORDS`] of them read with
/// `BODY.PEEK[HEADER.FIELDS (X-Mailroom-Snooze In-Reply-To)]`, oldest first so the newest
/// record for a Message-ID wins. A missing folder has no records.
///
/// **Changes the selected mailbox** (EXAMINE `folder`).
pub fn wake_times(conn: &mut ImapConn, folder: &str) -> Result<WakeTimes, NotesError> {
    let query = format!("HEADER {SNOOZE_HEADER} \"\"");
    let uids = newest_matching(conn, folder, &query, MAX_RECORDS)?;
    if uids.is_empty() {
        return Ok(WakeTimes::new());
    }
    let set = super::sync::uid_set(&uids);
    conn.budget
        .grant((uids.len() as u64).saturating_mul(RECORD_BYTES) + 64 * 1024);
    let fetched = conn
        .session
        .uid_fetch(
            &set,
            format!("(UID BODY.PEEK[HEADER.FIELDS ({SNOOZE_HEADER} In-Reply-To)])"),
        )
        .map_err(|e| server_error(folder, &e))?;
    let mut records: Vec<(u32, &[u8])> = fetched
        .iter()
        .filter_map(|f| Some((f.uid?, f.header()?)))
        .collect();
    records.sort_unstable_by_key(|(uid, _)| *uid);
    let wakes = snooze::wake_times(records.iter().map(|(_, h)| *h));
    drop(records);
    drop(fetched);
    let _ = conn.session.take_all_unsolicited().count();
    Ok(wakes)
}
