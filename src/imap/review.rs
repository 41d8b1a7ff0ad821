//! The review folder on an IMAP server (`mail::review`): items and records appended, read
//! back, won atomically (`UID STORE … UNCHANGEDSINCE`, as claims are), and removed.
//!
//! [`review_folder`] and [`append`] leave the selected mailbox alone; [`open`] SELECTs the
//! review folder (read-write: winning and removing store flags there).

use super::actions::{self, ActionError};
use super::connect::{DEFAULT_READ_BUDGET, ImapConn};
use super::notes::{NotesError, checked_folder, listed, server_error};
use super::summary::split_flags;
use crate::backend::{FlagChange, StoreOutcome};
use crate::config::Account;
use crate::mail::review::DEFAULT_FOLDER;
use crate::message::Flags;
use crate::sanitize::single_line;

/// The most messages of the review folder read (the newest).
pub const MAX_MESSAGES: usize = 500;
/// The header section read per message when listing.
const MAX_HEADER_BYTES: usize = 64 * 1024;
/// A review record (its note) is read whole up to this size.
const MAX_RECORD_BYTES: u64 = 64 * 1024;

/// The account's review folder: `review_folder` from the configuration, else `Review` in its
/// mailbox's own tree (`mail::tree`), as `imap::policy::policy_folder` finds `Policy`.
pub fn review_folder(conn: &mut ImapConn, account: &Account) -> Result<String, NotesError> {
    super::policy::folder_in_tree(
        conn,
        account,
        account.review_folder.as_deref(),
        DEFAULT_FOLDER,
    )
}

fn action_error(folder: &str, e: ActionError) -> NotesError {
    match e {
        ActionError::Connection(m) => NotesError::Connection(m),
        other => NotesError::Server {
            folder: single_line(folder),
            message: single_line(&other.to_string()),
        },
    }
}

/// Appends `raw` to `folder` with `\Seen` and `keywords` (checked as the keyword contract
/// wants), creating the folder once when it does not exist. Returns the UID when the server
/// says it (UIDPLUS). Does not change the selected mailbox.
pub fn append(
    conn: &mut ImapConn,
    folder: &str,
    raw: &[u8],
    keywords: &[String],
) -> Result<Option<u32>, NotesError> {
    let encoded = checked_folder(folder)?;
    let flags = actions::flag_list(
        Flags {
            seen: true,
            ..Flags::default()
        },
        keywords,
    )
    .map_err(|e| action_error(folder, e))?;
    if listed(conn, folder)?.is_none() {
        conn.budget.grant(DEFAULT_READ_BUDGET);
        let created = conn
            .session
            .create(&encoded)
            .map_err(|e| server_error(folder, &e));
        let _ = conn.session.take_all_unsolicited().count();
        // Created meanwhile by a teammate is fine: the APPEND tells.
        if let Err(e) = created
            && listed(conn, folder)?.is_none()
        {
            return Err(e);
        }
    }
    let flags: Vec<imap::types::Flag<'static>> = flags
        .into_iter()
        .map(|f| imap::types::Flag::from(f).into_owned())
        .collect();
    conn.budget.grant(DEFAULT_READ_BUDGET);
    let appended = conn
        .session
        .append(&encoded, raw)
        .flags(flags)
        .finish()
        .map_err(|e| server_error(folder, &e));
    let _ = conn.session.take_all_unsolicited().count();
    let appended = appended?;
    Ok(appended.uids.and_then(|u| {
        u.first().map(|m| match m {
            imap_proto::UidSetMember::Uid(u) => *u,
            imap_proto::UidSetMember::UidRange(r) => *r.start(),
        })
    }))
}

/// One message of the review folder as listed: its header section (records: whole).
#[derive(Debug, Clone)]
pub struct Fetched {
    pub uid: u32,
    pub modseq: Option<u64>,
    pub keywords: Vec<String>,
    pub deleted: bool,
    /// Unix seconds.
    pub internal_date: i64,
    pub raw: Vec<u8>,
}

/// SELECTs the review folder (read-write) with CONDSTORE; `false` when it does not exist.
pub fn open(conn: &mut ImapConn, folder: &str) -> Result<bool, NotesError> {
    let encoded = checked_folder(folder)?;
    if !listed(conn, folder)?.is_some_and(|(_, selectable)| selectable) {
        return Ok(false);
    }
    if conn.has("CONDSTORE") && !conn.condstore_enabled {
        conn.budget.grant(DEFAULT_READ_BUDGET);
        if !conn.has("ENABLE")
            || conn
                .session
                .run_command_and_check_ok("ENABLE CONDSTORE")
                .is_ok()
        {
            conn.condstore_enabled = true;
        }
    }
    conn.budget.grant(DEFAULT_READ_BUDGET);
    conn.session
        .select(&encoded)
        .map_err(|e| server_error(folder, &e))?;
    let _ = conn.session.take_all_unsolicited().count();
    Ok(true)
}

/// The messages of the opened review folder not marked `\Deleted`, oldest first (at most the
/// newest [`MAX_MESSAGES`]): header sections, and review records whole.
pub fn read(conn: &mut ImapConn, folder: &str) -> Result<Vec<Fetched>, NotesError> {
    conn.budget.grant(DEFAULT_READ_BUDGET);
    let found = conn
        .session
        .uid_search("UNDELETED")
        .map_err(|e| server_error(folder, &e))?;
    let _ = conn.session.take_all_unsolicited().count();
    let mut uids: Vec<u32> = found.into_iter().collect();
    uids.sort_unstable();
    if uids.len() > MAX_MESSAGES {
        uids.drain(..uids.len() - MAX_MESSAGES);
    }
    if uids.is_empty() {
        return Ok(Vec::new());
    }
    let set = super::sync::uid_set(&uids);
    conn.budget
        .grant((uids.len() as u64).saturating_mul(MAX_HEADER_BYTES as u64 + 1024));
    // At most MAX_HEADER_BYTES of each header: anyone who may hold a reply may append to the
    // folder, and one huge header must not stop the queue from being listed.
    let query = if conn.condstore_enabled {
        format!("(UID FLAGS MODSEQ INTERNALDATE BODY.PEEK[HEADER]<0.{MAX_HEADER_BYTES}>)")
    } else {
        format!("(UID FLAGS INTERNALDATE BODY.PEEK[HEADER]<0.{MAX_HEADER_BYTES}>)")
    };
    let fetched = conn
        .session
        .uid_fetch(&set, &query)
        .map_err(|e| server_error(folder, &e))?;
    let mut out: Vec<Fetched> = fetched
        .iter()
        .filter_map(|f| {
            let uid = f.uid?;
            let (flags, keywords) = split_flags(f.flags());
            let header = f.header().or_else(|| f.body()).unwrap_or_default();
            Some(Fetched {
                uid,
                modseq: f.mod_seq(),
                keywords,
                deleted: flags.deleted,
                internal_date: f.internal_date().map(|d| d.timestamp()).unwrap_or(0),
                raw: header[..header.len().min(MAX_HEADER_BYTES)].to_vec(),
            })
        })
        .collect();
    drop(fetched);
    let _ = conn.session.take_all_unsolicited().count();
    out.sort_by_key(|f| f.uid);
    for f in &mut out {
        if crate::mail::parse::header_text(&f.raw, crate::mail::review::RECORD_HEADER).is_some()
            && let Ok(whole) = actions::fetch_body(conn, f.uid, MAX_RECORD_BYTES)
        {
            f.raw = whole;
        }
    }
    Ok(out)
}

/// The whole message `uid` of the opened folder, within `max_bytes`.
pub fn whole(
    conn: &mut ImapConn,
    folder: &str,
    uid: u32,
    max_bytes: u64,
) -> Result<Vec<u8>, NotesError> {
    actions::fetch_body(conn, uid, max_bytes).map_err(|e| match e {
        ActionError::NoMessage(uid) => NotesError::NoMessage {
            mailbox: single_line(folder),
            uid,
        },
        other => action_error(folder, other),
    })
}

/// Adds `keyword` to `uid` only if nobody changed the message after `modseq` (the MODSEQ it
/// was read with): `true` when this session won, `false` when someone else was first.
pub fn win(
    conn: &mut ImapConn,
    folder: &str,
    uid: u32,
    modseq: u64,
    keyword: &str,
) -> Result<bool, NotesError> {
    let change = FlagChange {
        add_keywords: vec![keyword.to_string()],
        ..FlagChange::default()
    };
    match actions::store(conn, uid, &change, Some(modseq)).map_err(|e| action_error(folder, e))? {
        StoreOutcome::Stored { .. } => Ok(true),
        StoreOutcome::Modified => Ok(false),
    }
}

/// Marks `uids` of the opened folder `\Deleted` and expunges them (`UID EXPUNGE` where UIDPLUS
/// allows; a login without the `e` right leaves them marked, and listing skips them).
pub fn remove(conn: &mut ImapConn, folder: &str, uids: &[u32]) -> Result<(), NotesError> {
    let mut uids = uids.to_vec();
    uids.sort_unstable();
    uids.dedup();
    if uids.is_empty() {
        return Ok(());
    }
    let change = FlagChange {
        add_flags: Flags {
            deleted: true,
            ..Flags::default()
        },
        ..FlagChange::default()
    };
    for &uid in &uids {
        actions::store(conn, uid, &change, None).map_err(|e| action_error(folder, e))?;
    }
    if conn.has("UIDPLUS") {
        conn.budget.grant(DEFAULT_READ_BUDGET);
        let _ = conn
            .session
            .uid_expunge(super::sync::uid_set(&uids))
            .map_err(|e| server_error(folder, &e));
        let _ = conn.session.take_all_unsolicited().count();
    }
    Ok(())
}
