//! Undo on the server (`u`, `:undo`): the store that takes a message back to the team state
//! before an action, guarded so it never overwrites a teammate. Where the server has CONDSTORE
//! the store carries `UNCHANGEDSINCE <the MODSEQ the action left>`: a `MODIFIED` answer means
//! someone changed the message since, and the message is read again — a change to its team
//! state (who holds it, pending, done, snoozed) refuses the undo, naming the state it is in
//! now; any other change (read, a flag, a "replying" mark) is kept and the undo stored again
//! under the new MODSEQ. Without CONDSTORE the state is checked just before the store.

use super::state::TeamState;
use super::undo::{UndoError, restore};
use crate::backend::{FlagChange, StoreOutcome};
use crate::imap::actions::{self, ActionError};
use crate::imap::connect::{ImapConn, describe};
use crate::mail::utf7;

/// Read-compare-store rounds before giving up on a message that keeps changing.
const MAX_ROUNDS: usize = 8;

/// What an undo's store must find on the server to go ahead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guard {
    /// The MODSEQ the action left the message at (CONDSTORE), when known.
    pub modseq: Option<u64>,
    /// The team state the action left.
    pub left: TeamState,
    /// The team state before the action: what the undo restores.
    pub before: TeamState,
    /// The action moved the message out of the mailbox (to the archive folder, or a team
    /// folder): the undo moves it back first.
    pub moved: Option<Moved>,
    /// Undoing a snooze: the wake time of the snooze record the action wrote, which the undo
    /// takes away (see [`drop_record`]).
    pub drop_record: Option<i64>,
}

/// Where an action moved a message, and whether team state lives in keywords there (the
/// archive after `done`) or in the folder itself (the folder mapping).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved {
    pub folder: String,
    /// Its UID there (COPYUID), when the server said.
    pub uid: Option<u32>,
    /// True for the folder mapping: being in `folder` is the state; no keyword to restore.
    pub folders: bool,
}

/// Why an undo's store did not happen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RevertError {
    /// Someone changed the message's team state since the action.
    #[error("{0}")]
    Changed(#[from] UndoError),
    #[error(transparent)]
    Action(#[from] ActionError),
    #[error("the message kept changing; try again")]
    Busy,
    /// The message to move back is not where the action left it, or cannot be moved.
    #[error("{0}")]
    Move(String),
}

/// Stores `change` (the undo the front end computed from its row) on message `uid` of the
/// selected mailbox, provided the message is as the action left it (see the module).
pub fn store_guarded(
    conn: &mut ImapConn,
    uid: u32,
    change: &FlagChange,
    guard: &Guard,
) -> Result<StoreOutcome, RevertError> {
    if *change == FlagChange::default() {
        // Nothing to store (a snooze over a snooze: its record goes, the keyword stays);
        // the message must still be as the action left it.
        let (_, now, modseq) = actions::current(conn, uid)?;
        restore(&now, &guard.left, &guard.before)?;
        return Ok(StoreOutcome::Stored { modseq });
    }
    let condstore = conn.has("CONDSTORE");
    let mut change = change.clone();
    let mut since = guard.modseq.filter(|_| condstore);
    if since.is_none() {
        // No MODSEQ from the action: read the message now and decide from what it says.
        let (_, now, modseq) = actions::current(conn, uid)?;
        change = restore(&now, &guard.left, &guard.before)?;
        if change == FlagChange::default() {
            return Ok(StoreOutcome::Stored { modseq });
        }
        since = modseq.filter(|_| condstore);
        if since.is_none() {
            return Ok(actions::store(conn, uid, &change, None)?);
        }
    }
    for _ in 0..MAX_ROUNDS {
        match actions::store(conn, uid, &change, since)? {
            StoreOutcome::Modified => {
                let (_, now, modseq) = actions::current(conn, uid)?;
                change = restore(&now, &guard.left, &guard.before)?;
                if change == FlagChange::default() {
                    return Ok(StoreOutcome::Stored { modseq });
                }
                since = modseq;
            }
            stored => return Ok(stored),
        }
    }
    Err(RevertError::Busy)
}

/// Undoes an action that moved message `uid` (of `mailbox`) to `moved.folder`: provided the
/// message is still there as the action left it (the archive: its team state; a team folder:
/// being there is the state), `UID MOVE` takes it back to `mailbox`, and there the team state
/// before the action is restored (the archive's `done` taken away). Leaves `mailbox` selected.
/// Returns the message's UID in `mailbox` again, when the server said (COPYUID).
pub fn move_back(
    conn: &mut ImapConn,
    mailbox: &str,
    moved: &Moved,
    guard: &Guard,
) -> Result<Option<u32>, RevertError> {
    let folder = crate::sanitize::single_line(&moved.folder);
    let Some(uid) = moved.uid else {
        return Err(RevertError::Move(format!(
            "moved to {folder:?}, where the server gave it no UID: move it back by hand"
        )));
    };
    let result = move_back_from(conn, mailbox, &folder, uid, moved, guard);
    // Whatever happened, the mailbox is selected again for the thread's next command.
    let reselect = conn.session.select(utf7::encode(mailbox));
    let _ = conn.session.take_all_unsolicited().count();
    let new_uid = result?;
    reselect.map_err(|e| RevertError::Move(describe(&e)))?;
    if let Some(new) = new_uid
        && !moved.folders
    {
        let back = Guard {
            modseq: None,
            moved: None,
            drop_record: None,
            ..guard.clone()
        };
        let (_, now, _) = actions::current(conn, new)?;
        let change = restore(&now, &guard.left, &guard.before)?;
        if change != FlagChange::default() {
            store_guarded(conn, new, &change, &back)?;
        }
    }
    Ok(new_uid)
}

fn move_back_from(
    conn: &mut ImapConn,
    mailbox: &str,
    folder: &str,
    uid: u32,
    moved: &Moved,
    guard: &Guard,
) -> Result<Option<u32>, RevertError> {
    conn.session
        .select(utf7::encode(&moved.folder))
        .map_err(|e| RevertError::Move(format!("cannot open {folder:?}: {}", describe(&e))))?;
    let _ = conn.session.take_all_unsolicited().count();
    let (_, now, _) = match actions::current(conn, uid) {
        Ok(found) => found,
        Err(ActionError::NoMessage(_)) => {
            return Err(RevertError::Move(format!(
                "no longer in {folder:?} (someone moved it since)"
            )));
        }
        Err(e) => return Err(e.into()),
    };
    if !moved.folders {
        restore(&now, &guard.left, &guard.before)?;
    }
    super::folders::archive(conn, uid, mailbox)
        .map_err(|e| RevertError::Move(format!("not moved back from {folder:?}: {e}")))
}

/// After undoing a snooze: takes away the snooze record the snooze wrote — the newest record
/// for message `uid` (of the selected `mailbox`) that wakes it at `until` — so that an earlier
/// snooze's record, if any, says the wake time again (the newest record wins). Needs the `t`
/// and `e` rights on the notes folder and UIDPLUS (never a plain EXPUNGE there). Leaves
/// `mailbox` selected.
pub fn drop_record(
    conn: &mut ImapConn,
    account: &crate::config::Account,
    mailbox: &str,
    uid: u32,
    until: i64,
) -> Result<(), RevertError> {
    use crate::imap::notes::{newest_matching, notes_folder};
    let fail = |e: String| {
        RevertError::Move(format!(
            "undone, but the snooze record stays in the notes folder: {}",
            crate::sanitize::single_line(&e)
        ))
    };
    let id = crate::imap::snoozes::message_id(conn, uid).map_err(|e| fail(e.to_string()))?;
    let Some(id) = id else {
        return Ok(());
    };
    let folder = notes_folder(conn, account).map_err(|e| fail(e.to_string()))?;
    let query = format!(
        "HEADER {} \"{}\" HEADER In-Reply-To \"{id}\"",
        crate::mail::snooze::SNOOZE_HEADER,
        crate::mail::date::rfc3339_utc(until)
    );
    let result = newest_matching(conn, &folder, &query, 1)
        .map_err(|e| fail(e.to_string()))
        .and_then(|uids| match uids.last() {
            Some(&record) => delete(conn, &folder, record).map_err(fail),
            None => Ok(()),
        });
    let reselect = conn.session.select(utf7::encode(mailbox));
    let _ = conn.session.take_all_unsolicited().count();
    result?;
    reselect.map_err(|e| RevertError::Move(describe(&e)))?;
    Ok(())
}

/// Deletes message `uid` of `folder`: `\Deleted`, then `UID EXPUNGE` of it alone.
fn delete(conn: &mut ImapConn, folder: &str, uid: u32) -> Result<(), String> {
    if !conn.has("UIDPLUS") {
        return Err("the server has no UIDPLUS (UID EXPUNGE)".into());
    }
    conn.session
        .select(utf7::encode(folder))
        .map_err(|e| describe(&e))?;
    let _ = conn.session.take_all_unsolicited().count();
    let deleted = FlagChange {
        add_flags: crate::message::Flags {
            deleted: true,
            ..crate::message::Flags::default()
        },
        ..FlagChange::default()
    };
    actions::store(conn, uid, &deleted, None).map_err(|e| e.to_string())?;
    conn.session
        .uid_expunge(uid.to_string())
        .map_err(|e| describe(&e))?;
    let _ = conn.session.take_all_unsolicited().count();
    Ok(())
}
