//! The team policy on an IMAP server: the policy messages (`mail::policy`) of the account's
//! policy folder, newest first, each parsed and validated (`policy::team`).
//!
//! [`policy_folder`] leaves the selected mailbox alone; [`read`] opens the policy folder
//! read-only (EXAMINE): re-SELECT your mailbox afterwards.

use super::connect::{DEFAULT_READ_BUDGET, ImapConn};
use super::notes::{NotesError, newest_matching, server_error};
use super::tree;
use crate::config::Account;
use crate::mail::policy::{self as message, DEFAULT_FOLDER, HEADER, MAX_MESSAGE_BYTES};
use crate::policy::team::{self, Entry};

/// The most policy messages read back (the newest); older ones are out of the history.
pub const MAX_HISTORY: usize = 50;

/// The account's policy folder: `policy_folder` from the configuration, else `Policy` in its
/// mailbox's own tree (`mail::tree`), with the server's hierarchy delimiter and, for a
/// top-level `INBOX`, its personal NAMESPACE prefix. Does not change the selected mailbox.
pub fn policy_folder(conn: &mut ImapConn, account: &Account) -> Result<String, NotesError> {
    folder_in_tree(
        conn,
        account,
        account.policy_folder.as_deref(),
        DEFAULT_FOLDER,
    )
}

/// `configured`, else the folder `leaf` of the account's mailbox tree (the policy and review
/// folders). Does not change the selected mailbox.
pub(crate) fn folder_in_tree(
    conn: &mut ImapConn,
    account: &Account,
    configured: Option<&str>,
    leaf: &str,
) -> Result<String, NotesError> {
    if let Some(f) = configured {
        return Ok(f.to_string());
    }
    let Some(imap) = &account.imap else {
        return Ok(leaf.to_string());
    };
    let (delimiter, prefix) =
        tree::hierarchy(conn, &imap.mailbox).map_err(|e| server_error(&imap.mailbox, &e))?;
    Ok(crate::mail::tree::folder(
        &imap.mailbox,
        delimiter,
        prefix.as_deref(),
        leaf,
    ))
}

/// What [`read`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    /// Newest first, up to and including the first valid policy: what is in force, and the
    /// newer messages that were skipped.
    InForce,
    /// Every policy message, up to [`MAX_HISTORY`].
    History,
}

/// What [`read`] found.
#[derive(Debug, Clone, Default)]
pub struct Read {
    /// Newest first, each with its validation outcome.
    pub entries: Vec<Entry>,
    /// The raw message of the policy in force (what the local cache keeps).
    pub in_force_raw: Option<(u32, Vec<u8>)>,
}

/// The policy messages of `folder`, newest first, each with its validation outcome. A missing
/// folder has none.
///
/// **Changes the selected mailbox**: `folder` is opened read-only (EXAMINE).
pub fn read(conn: &mut ImapConn, folder: &str, depth: Depth) -> Result<Read, NotesError> {
    let query = format!("HEADER {HEADER} \"\"");
    let uids = newest_matching(conn, folder, &query, MAX_HISTORY)?;
    let mut out = Read::default();
    for uid in uids.into_iter().rev() {
        let Some(raw) = fetch(conn, folder, uid)? else {
            continue;
        };
        let entry = team::entry(uid, message::parse(&raw));
        let valid = entry.outcome.is_ok();
        out.entries.push(entry);
        if valid && out.in_force_raw.is_none() {
            out.in_force_raw = Some((uid, raw));
            if depth == Depth::InForce {
                break;
            }
        }
    }
    Ok(out)
}

/// The whole message `uid` of the selected folder, or `None` when it is gone or larger than
/// [`MAX_MESSAGE_BYTES`] (a policy message that big is refused rather than read).
fn fetch(conn: &mut ImapConn, folder: &str, uid: u32) -> Result<Option<Vec<u8>>, NotesError> {
    conn.budget.grant(DEFAULT_READ_BUDGET);
    let sized = conn
        .session
        .uid_fetch(uid.to_string(), "(UID RFC822.SIZE)")
        .map_err(|e| server_error(folder, &e))?;
    let size = sized
        .iter()
        .find(|f| f.uid == Some(uid))
        .and_then(|f| f.size);
    drop(sized);
    let _ = conn.session.take_all_unsolicited().count();
    let Some(size) = size.filter(|&s| u64::from(s) <= MAX_MESSAGE_BYTES) else {
        return Ok(None);
    };
    conn.budget
        .grant(u64::from(size).saturating_add(DEFAULT_READ_BUDGET));
    let fetched = conn
        .session
        .uid_fetch(uid.to_string(), "(UID BODY.PEEK[])")
        .map_err(|e| server_error(folder, &e))?;
    let raw = fetched
        .iter()
        .find(|f| f.uid == Some(uid))
        .and_then(|f| f.body().map(<[u8]>::to_vec));
    drop(fetched);
    let _ = conn.session.take_all_unsolicited().count();
    Ok(raw)
}
