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
