//! The team's replies in a conversation, read from the account's Sent folder on demand: `UID
//! SEARCH` for the thread's Message-IDs in In-Reply-To/References, then the newest
//! [`MAX_SENT`] copies read with `BODY.PEEK[]`, each cut at [`MAX_SENT_BYTES`].
//!
//! **Changes the selected mailbox**: the Sent folder is opened read-only (EXAMINE); a caller
//! that relies on a selection must SELECT its mailbox again.

use super::connect::ImapConn;
use super::notes::{NotesError, newest_matching, server_error};
use crate::mail::sent::{self, MAX_SENT, MAX_SENT_BYTES, SentReply};

/// The replies in `folder` to any of `ids` (checked by `mail::sent::searched_ids`), oldest
/// first. A missing folder, or no usable id, means no replies.
pub fn replies_in(
    conn: &mut ImapConn,
    folder: &str,
    ids: &[String],
) -> Result<Vec<SentReply>, NotesError> {
    let ids = sent::searched_ids(ids.iter().map(String::as_str));
    let Some(query) = sent::search_key(&ids) else {
        return Ok(Vec::new());
    };
    let uids = newest_matching(conn, folder, &query, MAX_SENT)?;
    if uids.is_empty() {
        return Ok(Vec::new());
    }
    let set = super::sync::uid_set(&uids);
    conn.budget
        .grant((uids.len() as u64).saturating_mul(MAX_SENT_BYTES + 4096) + 64 * 1024);
    let fetched = conn
        .session
        .uid_fetch(
            &set,
            format!("(UID INTERNALDATE BODY.PEEK[]<0.{MAX_SENT_BYTES}>)"),
        )
        .map_err(|e| server_error(folder, &e))?;
    let mut replies: Vec<SentReply> = fetched
        .iter()
        .filter_map(|f| {
            let uid = f.uid?;
            let raw = f.body()?;
            let date = f.internal_date().map(|d| d.timestamp()).unwrap_or(0);
            Some(SentReply::parse(uid, raw, date))
        })
        // The server's SEARCH is by substring: keep what really names an id.
        .filter(|r| r.answers(&ids))
        .collect();
    drop(fetched);
    let _ = conn.session.take_all_unsolicited().count();
    replies.sort_by_key(|r| (r.date, r.uid));
    Ok(replies)
}

/// Most Sent messages whose recipients [`recipients_in`] reads (the newest).
pub const MAX_SENT_RECIPIENTS: usize = 500;
/// Most header bytes read of one of them.
const MAX_RECIPIENT_HEADER_BYTES: u64 = 16 * 1024;

/// The To and Cc (with their names) of the newest [`MAX_SENT_RECIPIENTS`] messages in
/// `folder`, as rows (only the addresses and dates are filled): what the team wrote to,
/// for ranking address completion by use. A missing folder means none.
///
/// **Changes the selected mailbox**, as [`replies_in`].
pub fn recipients_in(
    conn: &mut ImapConn,
    folder: &str,
) -> Result<Vec<crate::message::Summary>, NotesError> {
    let uids = newest_matching(conn, folder, "ALL", MAX_SENT_RECIPIENTS)?;
    if uids.is_empty() {
        return Ok(Vec::new());
    }
    let set = super::sync::uid_set(&uids);
    conn.budget
        .grant((uids.len() as u64).saturating_mul(MAX_RECIPIENT_HEADER_BYTES + 512) + 64 * 1024);
    let fetched = conn
        .session
        .uid_fetch(
            &set,
            format!(
                "(UID INTERNALDATE BODY.PEEK[HEADER.FIELDS (TO CC DATE)]<0.{MAX_RECIPIENT_HEADER_BYTES}>)"
            ),
        )
        .map_err(|e| server_error(folder, &e))?;
    let rows = fetched
        .iter()
        .filter_map(|f| {
            let uid = f.uid?;
            let raw = f.header().or_else(|| f.body())?;
            let date = f.internal_date().map(|d| d.timestamp()).unwrap_or(0);
            Some(crate::mail::parse::summary_from_raw(
                uid,
                raw,
                date,
                Default::default(),
                Vec::new(),
            ))
        })
        .collect();
    drop(fetched);
    let _ = conn.session.take_all_unsolicited().count();
    Ok(rows)
}
