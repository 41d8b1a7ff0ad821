//! Applying a triage action in the folder mapping: the claim protocol.
//!
//! A claim is atomic by the move itself: `UID MOVE uid <root>Assigned<d><me>` (COPY +
//! EXPUNGE where the server lacks MOVE). No flag or keyword is set, read or cleared on the
//! message: `\Flagged` keeps meaning what users mean by it. With UIDPLUS the mover learns its
//! new UID from COPYUID; a second mover finds the UID gone (NO, or OK without COPYUID) and
//! learns the winner from where the message is now: the `Assigned/*` folder that holds its
//! Message-ID (from the select-time snapshot, or from the caller, see
//! `Selected::know_message_id`). Finding it in its own folder (a claim whose answer was lost
//! with the connection) is a claim that worked.
//!
//! Servers whose MOVE is a copy and an expunge may let two MOVEs both copy: after moving, every
//! claim searches the `Assigned/*` folders, and when the message is held twice the smallest
//! agent id keeps it (see `copies`).
//!
//! Every failure leaves the message where it was, or in exactly one place: a missing team
//! folder that cannot be created (the error names the folder and the `k` right), a refused
//! move (the error names the rights), a lost race, a connection gone before or after the MOVE
//! reached the server (afterwards the message is in the claimer's folder, or the keeper's when
//! the dropped MOVE made a second copy; everyone else's claim names the holder).

use super::copies::{Settled, after_move, already_mine};
use super::names::{Place, TeamFolders, state_of};
use super::wire::{
    Moved, find_in, holders_after_move, message_id_of, move_to, present, search_string, select,
};
use crate::config::is_valid_agent_id;
use crate::imap::connect::ImapConn;
use crate::triage::act::{ActError, Applied, MappingKind, MovedTo, Selected};
use crate::triage::state::{Action, TriageError};

/// Rights the folder mapping needs on the mailbox: copy in, mark deleted, expunge (a move
/// out needs `t` and `e`, a move back in `i`). No `w`: no flag is written.
pub const FOLDER_RIGHTS: [char; 3] = ['i', 't', 'e'];

/// How long a loser waits for the winner's MOVE to land before naming nobody.
pub(super) const WINNER_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// Applies `action` by `me` to message `uid` of `from` (the mailbox or one of its team
/// folders). Leaves the mailbox `selected.mailbox` selected.
#[allow(clippy::too_many_arguments)]
pub(crate) fn apply(
    conn: &mut ImapConn,
    selected: &Selected,
    tf: &TeamFolders,
    from: &str,
    uid: u32,
    action: &Action,
    me: &str,
    check_rights: bool,
) -> Result<Applied, ActError> {
    let result = apply_inner(conn, selected, tf, from, uid, action, me, check_rights);
    // Back to the mailbox the caller works in, whatever happened.
    let _ = select(conn, &tf.mailbox);
    result
}

#[allow(clippy::too_many_arguments)]
fn apply_inner(
    conn: &mut ImapConn,
    selected: &Selected,
    tf: &TeamFolders,
    from: &str,
    uid: u32,
    action: &Action,
    me: &str,
    check_rights: bool,
) -> Result<Applied, ActError> {
    if !is_valid_agent_id(me) {
        return Err(ActError::Triage(TriageError::BadAgent(
            crate::sanitize::single_line(me),
        )));
    }
    if matches!(action, Action::Snooze(_) | Action::Replying(_)) {
        return Err(ActError::NeedsKeywords(action.name()));
    }
    let Some(from_place) = tf.place(from) else {
        return Err(ActError::NotTeamFolder(crate::sanitize::single_line(from)));
    };
    if check_rights {
        let rights = selected.rights;
        let missing: String = FOLDER_RIGHTS.iter().filter(|c| !rights.has(**c)).collect();
        if !missing.is_empty() {
            return Err(ActError::NoRight(format!(
                "triage with the folder mapping needs the `i`, `t` and `e` rights on this mailbox (missing `{missing}`); yours are \"{rights}\""
            )));
        }
    }
    let is_claim = *action == Action::Claim;
    let target = match action {
        Action::Claim => match &from_place {
            Place::Assigned(holder) if holder != me => {
                return Err(ActError::Lost {
                    winner: holder.clone(),
                });
            }
            _ => Place::Assigned(me.to_string()),
        },
        Action::Assign(agent) => {
            let agent = agent.to_ascii_lowercase();
            if !is_valid_agent_id(&agent) {
                return Err(ActError::Triage(TriageError::BadAgent(
                    crate::sanitize::single_line(&agent),
                )));
            }
            Place::Assigned(agent)
        }
        Action::Unassign | Action::Reopen => Place::Mailbox,
        Action::Pending => Place::Pending,
        Action::Done => Place::Done,
        Action::Snooze(_) | Action::Replying(_) => {
            return Err(ActError::NeedsKeywords(action.name()));
        }
    };
    let target_name = tf.name_of(&target).map_err(ActError::Triage)?;
    let done = |moved: Option<MovedTo>| Applied {
        uid,
        action: action.name(),
        before: state_of(&from_place),
        after: state_of(&target),
        rounds: 1,
        mapping: MappingKind::Folders,
        moved_to: moved.map(Box::new),
        modseq: None,
    };
    if !select(conn, from)? {
        return Err(ActError::Folder {
            folder: crate::sanitize::single_line(from),
            reason: "it does not exist".into(),
        });
    }
    if target_name == from {
        // Nothing to move (a claim of a message in one's own folder): it is there, or gone.
        if !present(conn, uid)? {
            return Err(ActError::NoMessage(uid));
        }
        return Ok(done(None));
    }
    // The Message-ID, to find the message again after the move (and its winner after a lost
    // race): the snapshot or the caller's, else read now (nothing read: the UID is gone).
    let known = (from_place == Place::Mailbox)
        .then(|| selected.message_ids.get(&uid).cloned())
        .flatten();
    let (id, gone_before) = match known {
        Some(k) => (search_string(&k), false),
        None => match message_id_of(conn, uid)? {
            Some(m) => (m.as_deref().and_then(search_string), false),
            None => (None, true),
        },
    };
    let moved = if gone_before {
        Moved::Gone
    } else {
        move_to(conn, uid, from, &target_name)?
    };
    let new_uid = match moved {
        Moved::To(u) => u,
        Moved::Gone => {
            return gone(conn, tf, uid, id.as_deref(), is_claim, me, &target_name)?
                .map(|m| done(Some(m)));
        }
        Moved::Refused(reason) => {
            if present(conn, uid)? {
                // Not a race (the message did not move): the server refused. Nothing changed.
                return Err(ActError::NotStored(format!("{reason}; nothing was moved")));
            }
            return gone(conn, tf, uid, id.as_deref(), is_claim, me, &target_name)?
                .map(|m| done(Some(m)));
        }
    };
    // Read back: the message is in the target folder (and, for a claim, nowhere else).
    let Some(id) = id else {
        // No Message-ID to search for: the UIDPLUS answer is the read-back.
        if let Some(u) = new_uid
            && (!select(conn, &target_name)? || !present(conn, u)?)
        {
            return Err(ActError::NotStored(format!(
                "the message is not in {:?} after the move",
                crate::sanitize::single_line(&target_name)
            )));
        }
        return Ok(done(Some(MovedTo {
            mailbox: target_name,
            uid: new_uid,
        })));
    };
    let mut new_uid = new_uid;
    if is_claim {
        match after_move(conn, tf, &id, me, &target_name, new_uid)? {
            Settled::Kept(u) => new_uid = u.or(new_uid),
            Settled::Lost(winner) => return Err(ActError::Lost { winner }),
        }
    } else {
        let found = find_in(conn, &target_name, &id)?;
        if found.is_empty() {
            return Err(ActError::NotStored(format!(
                "the message is not in {:?} after the move",
                crate::sanitize::single_line(&target_name)
            )));
        }
        if new_uid.is_none() && found.len() == 1 {
            new_uid = found.first().copied();
        }
    }
    Ok(done(Some(MovedTo {
        mailbox: target_name,
        uid: new_uid,
    })))
}

/// The message's UID is gone from the folder it was claimed in: someone moved it first (or
/// this agent did, in a session whose answer was lost). A claim learns where it is now by its
/// Message-ID: in this agent's own folder it is a claim that worked (`Ok(Ok(where))`), in a
/// teammate's it is lost to them (`Ok(Err(Lost))`).
fn gone(
    conn: &mut ImapConn,
    tf: &TeamFolders,
    uid: u32,
    id: Option<&str>,
    is_claim: bool,
    me: &str,
    target_name: &str,
) -> Result<Result<MovedTo, ActError>, ActError> {
    let (true, Some(id)) = (is_claim, id) else {
        return Ok(Err(ActError::NoMessage(uid)));
    };
    let found = holders_after_move(conn, tf, id)?;
    match already_mine(conn, tf, &found, me, target_name)? {
        Some(Settled::Kept(uid)) => Ok(Ok(MovedTo {
            mailbox: target_name.to_string(),
            uid,
        })),
        Some(Settled::Lost(winner)) => Ok(Err(ActError::Lost { winner })),
        None => Ok(Err(lost(found.first().map(|(a, _)| a.clone())))),
    }
}

fn lost(winner: Option<String>) -> ActError {
    ActError::Lost {
        winner: winner.unwrap_or_else(|| "another agent".into()),
    }
}

/// Moves message `uid` of the selected folder to `archive` (the account's `archive_folder`,
/// after `done`), creating it when the server says TRYCREATE; its new UID when known.
pub fn archive(conn: &mut ImapConn, uid: u32, archive: &str) -> Result<Option<u32>, ActError> {
    match move_to(conn, uid, "the mailbox", archive)? {
        Moved::To(new_uid) => Ok(new_uid),
        Moved::Gone => Err(ActError::NoMessage(uid)),
        Moved::Refused(reason) => Err(ActError::Folder {
            folder: crate::sanitize::single_line(archive),
            reason,
        }),
    }
}
