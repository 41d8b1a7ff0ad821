//! Internal notes on an IMAP server: appended to the account's notes folder (never submitted),
//! found again by the customer's Message-ID in their In-Reply-To/References.
//!
//! Every function takes the caller's connection, so the TUI worker can use the one it already
//! holds. [`append_note`] and [`notes_folder`] leave the selected mailbox alone; [`notes_for`]
//! and [`original`] change it (EXAMINE): re-SELECT your mailbox afterwards.
//!
//! Rights (RFC 4314): APPEND needs `i` on the notes folder, creating it once needs `k` on its
//! parent, reading notes needs `l r`. The server decides; a refusal comes back as a typed
//! error naming the folder and the right. A refusal without a reason (Cyrus answers "NO
//! Mailbox does not exist" or "NO Permission denied" without `[TRYCREATE]`/`[NOPERM]`) is
//! explained by LIST (does the folder exist?) and MYRIGHTS (on the folder, or its parent).

use imap::types::Flag;

use super::connect::{DEFAULT_READ_BUDGET, ImapConn, describe};
use super::quote_mailbox;
use super::tree;
use crate::config::Account;
use crate::mail::note::{self, MAX_NOTE_BYTES, MAX_NOTES, Note, NoteError};
use crate::mail::utf7;
use crate::message::Summary;
use crate::sanitize::single_line;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotesError {
    #[error(transparent)]
    Note(#[from] NoteError),
    #[error("folder {0:?}: the name contains a line break or NUL")]
    BadFolder(String),
    #[error("refusing to append to {0:?}: the message is not a note (no X-Mailroom-Note: 1)")]
    NotANote(String),
    #[error(
        "adding a note to \"{0}\" needs the `i` (insert) right on that folder, which this login does not have there"
    )]
    NoInsertRight(String),
    #[error(
        "the notes folder \"{folder}\" does not exist and creating it needs the `k` (create) right{}, which this login does not have: ask someone with `k` (an administrator) to create it, or set notes_folder",
        on_parent(.parent.as_deref())
    )]
    NoCreateRight {
        folder: String,
        /// The folder it would be created in, where the name has one.
        parent: Option<String>,
    },
    #[error("no message with UID {uid} in \"{mailbox}\"")]
    NoMessage { mailbox: String, uid: u32 },
    /// The server answered NO or BAD, or sent something unusable.
    #[error("\"{folder}\": {message}")]
    Server { folder: String, message: String },
    /// The connection failed; the operation may be retried after a reconnect.
    #[error("connection lost: {0}")]
    Connection(String),
}

fn on_parent(parent: Option<&str>) -> String {
    parent.map_or_else(String::new, |p| format!(" on \"{p}\""))
}

pub(crate) fn server_error(folder: &str, e: &imap::Error) -> NotesError {
    match e {
        imap::Error::Io(_) | imap::Error::ConnectionLost | imap::Error::Bye(_) => {
            NotesError::Connection(describe(e))
        }
        other => NotesError::Server {
            folder: single_line(folder),
            message: match other {
                imap::Error::Append => {
                    "the server refused the APPEND (it needs the folder to exist and the `i` right on it)".into()
                }
                _ => describe(other),
            },
        },
    }
}

/// The response code of a NO answer, as text (`TRYCREATE`, `NOPERM`, …): from the parsed code,
/// or from the `[CODE]` the parser left in the text (it does not know RFC 5530's codes).
fn no_code(e: &imap::Error) -> Option<String> {
    let imap::Error::No(no) = e else {
        return None;
    };
    response_code(no.code.as_ref(), &no.information)
}

fn response_code(code: Option<&imap_proto::ResponseCode<'_>>, information: &str) -> Option<String> {
    if let Some(code) = code {
        return Some(format!("{code:?}").to_ascii_uppercase());
    }
    let text = information.trim_start();
    let rest = text.strip_prefix('[')?;
    let end = rest.find([']', ' '])?;
    Some(rest[..end].to_ascii_uppercase())
}

pub(crate) fn checked_folder(folder: &str) -> Result<String, NotesError> {
    if folder.is_empty() || quote_mailbox(folder).is_none() {
        return Err(NotesError::BadFolder(single_line(folder)));
    }
    Ok(utf7::encode(folder))
}

/// What LIST says of exactly `mailbox`: `None` when it does not exist (or is invisible to this
/// login), else its hierarchy delimiter and whether it can be selected.
pub(crate) fn listed(
    conn: &mut ImapConn,
    mailbox: &str,
) -> Result<Option<(Option<char>, bool)>, NotesError> {
    if quote_mailbox(mailbox).is_none() {
        return Err(NotesError::BadFolder(single_line(mailbox)));
    }
    tree::listed(conn, mailbox).map_err(|e| server_error(mailbox, &e))
}

/// The account's notes folder: `notes_folder` from the configuration, else `Notes` in its
/// mailbox's own tree of folders (`mail::tree`: children of `shared.support` on Cyrus,
/// siblings of `shared/support/INBOX` on Dovecot), with the server's hierarchy delimiter and,
/// for a top-level `INBOX`, its personal NAMESPACE prefix. Does not change the selected
/// mailbox.
pub fn notes_folder(conn: &mut ImapConn, account: &Account) -> Result<String, NotesError> {
    if let Some(f) = &account.notes_folder {
        return Ok(f.clone());
    }
    let (delimiter, prefix) = match &account.imap {
        Some(imap) => {
            tree::hierarchy(conn, &imap.mailbox).map_err(|e| server_error(&imap.mailbox, &e))?
        }
        None => (None, None),
    };
    Ok(note::folder_for(account, delimiter, prefix.as_deref()))
}

/// Appends a note (built by [`note::build`]) to `folder` with `\Seen`, creating the folder
/// when the server answers `[TRYCREATE]`. Returns the note's UID when the server tells it
/// (UIDPLUS). Does not change the selected mailbox.
pub fn append_note(
    conn: &mut ImapConn,
    folder: &str,
    raw: &[u8],
) -> Result<Option<u32>, NotesError> {
    let Some(quoted) = quote_mailbox(folder).filter(|_| !folder.is_empty()) else {
        return Err(NotesError::BadFolder(single_line(folder)));
    };
    // Notes are built by `note::build`: marked, and UTF-8 (headers ASCII, body 8bit or QP).
    let text = std::str::from_utf8(raw)
        .ok()
        .filter(|_| note::is_note(raw))
        .ok_or_else(|| NotesError::NotANote(single_line(folder)))?;
    append_seen(conn, &quoted, folder, text)
}

/// Appends `text` (a note or a snooze record, checked by the caller) to `folder` (`quoted`)
/// with `\Seen`, creating the folder on `[TRYCREATE]`; errors name the folder and the right.
pub(crate) fn append_seen(
    conn: &mut ImapConn,
    quoted: &str,
    folder: &str,
    text: &str,
) -> Result<Option<u32>, NotesError> {
    let mut created = false;
    loop {
        let e = match append_once(conn, quoted, folder, text) {
            Ok(uid) => return Ok(uid),
            Err(e) => e,
        };
        match no_code(&e).as_deref() {
            Some("TRYCREATE") if !created => {
                created = true;
                create(conn, quoted, folder)?;
            }
            Some("NOPERM") => return Err(NotesError::NoInsertRight(single_line(folder))),
            // A refusal without a reason: Cyrus answers `NO Mailbox does not exist` without
            // `[TRYCREATE]`, and the imap crate's APPEND (no LITERAL+) drops the reason. Ask the
            // server which it is: a missing folder is created where the login may.
            None if matches!(e, imap::Error::No(_) | imap::Error::Append) => {
                match diagnose(conn, folder)? {
                    Diagnosis::Missing if !created => {
                        created = true;
                        create(conn, quoted, folder)?;
                    }
                    _ => return Err(server_error(folder, &e)),
                }
            }
            _ => return Err(server_error(folder, &e)),
        }
    }
}

/// What [`diagnose`] found out about a refused APPEND.
enum Diagnosis {
    /// The folder does not exist, and nothing says the login may not create it.
    Missing,
    /// The folder exists and nothing explains the refusal.
    Unexplained,
}

/// Why an APPEND to `folder` was refused without a reason: LIST for the folder, MYRIGHTS (where
/// the server has ACL) on the folder (`i`) or, when it is missing, on its parent (`k`). A
/// missing right is returned as its error, naming the folder and the right.
fn diagnose(conn: &mut ImapConn, folder: &str) -> Result<Diagnosis, NotesError> {
    let rights = |conn: &mut ImapConn, name: &str| {
        tree::myrights(conn, name).map_err(|e| server_error(name, &e))
    };
    if listed(conn, folder)?.is_some() {
        return match rights(conn, folder)? {
            Some(r) if !r.has('i') => Err(NotesError::NoInsertRight(single_line(folder))),
            _ => Ok(Diagnosis::Unexplained),
        };
    }
    let parent = parent_of(conn, folder)?;
    if let Some(p) = &parent
        && rights(conn, p)?.is_some_and(|r| !r.has('k'))
    {
        return Err(no_create_right(folder, parent.as_deref()));
    }
    Ok(Diagnosis::Missing)
}

/// The parent `folder` would be created in, with the server's top-level delimiter.
fn parent_of(conn: &mut ImapConn, folder: &str) -> Result<Option<String>, NotesError> {
    let delimiter = tree::top_delimiter(conn).map_err(|e| server_error(folder, &e))?;
    Ok(crate::mail::tree::parent(folder, delimiter).map(str::to_string))
}

fn no_create_right(folder: &str, parent: Option<&str>) -> NotesError {
    NotesError::NoCreateRight {
        folder: single_line(folder),
        parent: parent.map(single_line),
    }
}

/// CREATE `folder` (already quoted as `quoted`) for a note. Created meanwhile by a teammate is
/// fine; a refusal for want of `k` (`[NOPERM]`, or a reason-less NO where MYRIGHTS on the parent
/// lacks `k`) names the folder, its parent and the right.
fn create(conn: &mut ImapConn, quoted: &str, folder: &str) -> Result<(), NotesError> {
    conn.budget.grant(DEFAULT_READ_BUDGET);
    let made = conn.session.run(format!("CREATE {quoted}"));
    let _ = conn.session.take_all_unsolicited().count();
    let Err(e) = made else {
        return Ok(());
    };
    match no_code(&e).as_deref() {
        Some("ALREADYEXISTS") => Ok(()),
        Some("NOPERM") => {
            let parent = parent_of(conn, folder)?;
            Err(no_create_right(folder, parent.as_deref()))
        }
        None if matches!(e, imap::Error::No(_)) => {
            let parent = parent_of(conn, folder)?;
            let may = match &parent {
                Some(p) => tree::myrights(conn, p).map_err(|e| server_error(p, &e))?,
                None => None,
            };
            if may.is_some_and(|r| !r.has('k')) {
                Err(no_create_right(folder, parent.as_deref()))
            } else {
                Err(server_error(folder, &e))
            }
        }
        _ => Err(server_error(folder, &e)),
    }
}

/// One APPEND with `\Seen`. With LITERAL+ the command is sent whole, so a NO comes back with
/// its response code (`TRYCREATE`, `NOPERM`); without it the imap crate's APPEND is used, which
/// reports a refusal without its reason.
fn append_once(
    conn: &mut ImapConn,
    quoted: &str,
    folder: &str,
    text: &str,
) -> Result<Option<u32>, imap::Error> {
    conn.budget.grant(DEFAULT_READ_BUDGET);
    let result = if conn.has("LITERAL+") {
        conn.session
            .run(format!(
                "APPEND {quoted} (\\Seen) {{{}+}}\r\n{text}",
                text.len()
            ))
            .map(|(data, ok)| appenduid(&data[ok.min(data.len())..]))
    } else {
        conn.session
            .append(&utf7::encode(folder), text.as_bytes())
            .flag(Flag::Seen)
            .finish()
            .map(|a| {
                a.uids.and_then(|u| {
                    u.first().map(|m| match m {
                        imap_proto::UidSetMember::Uid(u) => *u,
                        imap_proto::UidSetMember::UidRange(r) => *r.start(),
                    })
                })
            })
    };
    let _ = conn.session.take_all_unsolicited().count();
    result
}

/// The UID in `[APPENDUID <validity> <uid>]` of a tagged OK line.
fn appenduid(tagged: &[u8]) -> Option<u32> {
    let text = String::from_utf8_lossy(tagged);
    let upper = text.to_ascii_uppercase();
    let at = upper.find("[APPENDUID ")? + "[APPENDUID ".len();
    let mut words = text[at..].split([' ', ']']);
    let _validity = words.next()?;
    words.next()?.parse().ok()
}

/// The UIDs in `folder` that `query` (a `UID SEARCH` criteria string the caller built from
/// checked text) finds, oldest first, at most the newest `max`; empty when the folder does not
/// exist or cannot be selected. Notes, snooze records and Sent replies are all read this way.
///
/// **Changes the selected mailbox**: `folder` is opened read-only (EXAMINE).
pub(crate) fn newest_matching(
    conn: &mut ImapConn,
    folder: &str,
    query: &str,
    max: usize,
) -> Result<Vec<u32>, NotesError> {
    let encoded = checked_folder(folder)?;
    if !listed(conn, folder)?.is_some_and(|(_, selectable)| selectable) {
        return Ok(Vec::new());
    }
    conn.budget.grant(DEFAULT_READ_BUDGET);
    conn.session
        .examine(&encoded)
        .map_err(|e| server_error(folder, &e))?;
    let _ = conn.session.take_all_unsolicited().count();
    conn.budget.grant(DEFAULT_READ_BUDGET);
    let found = conn
        .session
        .uid_search(query)
        .map_err(|e| server_error(folder, &e))?;
    let _ = conn.session.take_all_unsolicited().count();
    let mut uids: Vec<u32> = found.into_iter().collect();
    uids.sort_unstable();
    if uids.len() > max {
        uids.drain(..uids.len() - max);
    }
    Ok(uids)
}

/// The notes on the message `message_id` (without brackets) and on later messages of its
/// thread, oldest first: `UID SEARCH` for the id in In-Reply-To/References of `folder`, then
/// at most [`MAX_NOTES`] of them (the newest) read with `BODY.PEEK[]`, each cut at
/// [`MAX_NOTE_BYTES`]. A missing folder means no notes.
///
/// **Changes the selected mailbox**: `folder` is opened read-only (EXAMINE) on `conn`; a caller
/// that relies on a selection must SELECT its mailbox again.
///
/// `message_id` comes from a message anyone could have sent: an id that cannot be quoted
/// safely (controls, quotes, backslashes, brackets, non-ASCII) is refused before the wire.
pub fn notes_for(
    conn: &mut ImapConn,
    folder: &str,
    message_id: &str,
) -> Result<Vec<Note>, NotesError> {
    if !note::is_linkable_id(message_id) {
        return Err(NoteError::BadMessageId(single_line(message_id)).into());
    }
    // Checked above: printable ASCII without `"`, `\`, `<`, `>` — safe inside a quoted string.
    // Snooze records (`mail::snooze`) share the folder and the threading headers: left out, so
    // they never crowd real notes out of the newest MAX_NOTES.
    let query = format!(
        "NOT HEADER {} \"\" OR HEADER In-Reply-To \"<{message_id}>\" HEADER References \"<{message_id}>\"",
        crate::mail::snooze::SNOOZE_HEADER
    );
    let uids = newest_matching(conn, folder, &query, MAX_NOTES)?;
    if uids.is_empty() {
        return Ok(Vec::new());
    }
    let set = super::sync::uid_set(&uids);
    conn.budget
        .grant((uids.len() as u64).saturating_mul(MAX_NOTE_BYTES + 4096) + 64 * 1024);
    let fetched = conn
        .session
        .uid_fetch(
            &set,
            format!("(UID INTERNALDATE RFC822.SIZE BODY.PEEK[]<0.{MAX_NOTE_BYTES}>)"),
        )
        .map_err(|e| server_error(folder, &e))?;
    let notes: Vec<Note> = fetched
        .iter()
        .filter_map(|f| {
            let uid = f.uid?;
            let raw = f.body()?;
            let date = f.internal_date().map(|d| d.timestamp()).unwrap_or(0);
            let truncated = f.size.is_some_and(|s| u64::from(s) > raw.len() as u64);
            note::parse_note(uid, raw, date, truncated)
        })
        .collect();
    drop(fetched);
    let _ = conn.session.take_all_unsolicited().count();
    Ok(note::notes_of(message_id, notes))
}

/// The summary of message `uid` of `mailbox` (ENVELOPE and threading headers), for building a
/// note on it. **Changes the selected mailbox** (EXAMINE `mailbox`).
pub fn original(conn: &mut ImapConn, mailbox: &str, uid: u32) -> Result<Summary, NotesError> {
    let encoded = checked_folder(mailbox)?;
    conn.budget.grant(DEFAULT_READ_BUDGET);
    conn.session
        .examine(&encoded)
        .map_err(|e| server_error(mailbox, &e))?;
    let _ = conn.session.take_all_unsolicited().count();
    conn.budget.grant(DEFAULT_READ_BUDGET);
    let fetched = conn
        .session
        .uid_fetch(uid.to_string(), super::summary::fetch_items(false))
        .map_err(|e| server_error(mailbox, &e))?;
    let found = fetched
        .iter()
        .filter(|f| f.uid == Some(uid))
        .find_map(super::summary::from_fetch);
    drop(fetched);
    let _ = conn.session.take_all_unsolicited().count();
    found.ok_or_else(|| NotesError::NoMessage {
        mailbox: single_line(mailbox),
        uid,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_codes_are_read_from_the_code_or_the_text() {
        assert_eq!(
            response_code(
                Some(&imap_proto::ResponseCode::TryCreate),
                "Mailbox doesn't exist"
            )
            .as_deref(),
            Some("TRYCREATE")
        );
        assert_eq!(
            response_code(None, "[NOPERM] Permission denied").as_deref(),
            Some("NOPERM")
        );
        assert_eq!(response_code(None, "Permission denied"), None);
        assert_eq!(no_code(&imap::Error::ConnectionLost), None);
    }

    #[test]
    fn appenduid_is_read_from_the_tagged_line() {
        assert_eq!(
            appenduid(b"a5 OK [APPENDUID 1795746803 7] Append completed.\r\n"),
            Some(7)
        );
        assert_eq!(appenduid(b"a5 OK Append completed.\r\n"), None);
    }

    #[test]
    fn refusals_name_the_folder_and_the_right() {
        let e = NotesError::NoInsertRight("shared/support/Notes".into()).to_string();
        assert!(
            e.contains("`i`") && e.contains("shared/support/Notes"),
            "{e}"
        );
        let e = NotesError::NoCreateRight {
            folder: "shared/support/Notes".into(),
            parent: None,
        }
        .to_string();
        assert!(
            e.contains("`k`") && e.contains("shared/support/Notes"),
            "{e}"
        );
        let e = NotesError::NoCreateRight {
            folder: "shared.support.Notes".into(),
            parent: Some("shared.support".into()),
        }
        .to_string();
        assert!(
            e.contains("creating it needs the `k` (create) right on \"shared.support\""),
            "{e}"
        );
    }
}
