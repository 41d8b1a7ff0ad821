//! Applying a triage action in the folder mapping: the claim protocol.

use super::names::{Place, TeamFolders, state_of};
use super::wire::{
    Moved, fetch, find_in, find_winner, flagged_change, holders, move_to, remove_copy,
    search_string, select,
};
use crate::backend::StoreOutcome;
use crate::config::is_valid_agent_id;
use crate::imap::actions;
use crate::imap::connect::ImapConn;
use crate::triage::act::{ActError, Applied, MappingKind, MovedTo, Selected};
use crate::triage::state::{Action, TriageError};

/// Rights the folder mapping needs on the mailbox: flag, copy in, mark deleted, expunge.
pub const FOLDER_RIGHTS: [char; 4] = ['w', 'i', 't', 'e'];

/// Claim rounds before giving up on a message that keeps changing.
const MAX_ROUNDS: usize = 8;
/// How long a loser waits for the winner's MOVE to land before naming nobody.
pub(super) const WINNER_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

fn lost(winner: Option<String>) -> ActError {
    ActError::Lost {
        winner: winner.unwrap_or_else(|| "another agent".into()),
    }
}

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
                "triage with the folder mapping needs the `w`, `i`, `t` and `e` rights on this mailbox (missing `{missing}`); yours are \"{rights}\""
            )));
        }
    }
    let (target, flag): (Place, Option<bool>) = match action {
        Action::Claim => match &from_place {
            Place::Assigned(holder) if holder != me => {
                return Err(ActError::Lost {
                    winner: holder.clone(),
                });
            }
            _ => (Place::Assigned(me.to_string()), Some(true)),
        },
        Action::Assign(agent) => {
            let agent = agent.to_ascii_lowercase();
            if !is_valid_agent_id(&agent) {
                return Err(ActError::Triage(TriageError::BadAgent(
                    crate::sanitize::single_line(&agent),
                )));
            }
            (Place::Assigned(agent), Some(true))
        }
        Action::Unassign => (Place::Mailbox, Some(false)),
        Action::Pending => (Place::Pending, None),
        Action::Done => (Place::Done, None),
        Action::Reopen => (Place::Mailbox, Some(false)),
        Action::Snooze(_) | Action::Replying(_) => {
            return Err(ActError::NeedsKeywords(action.name()));
        }
    };
    let target_name = tf.name_of(&target).map_err(ActError::Triage)?;
    let before = state_of(&from_place);
    let is_claim = *action == Action::Claim;
    for round in 1..=MAX_ROUNDS {
        if !select(conn, from)? {
            return Err(ActError::Folder {
                folder: crate::sanitize::single_line(from),
                reason: "it does not exist".into(),
            });
        }
        let Some(seen) = fetch(conn, uid)? else {
            // Moved away before our first read: a claim lost to whoever holds it now.
            let known = (from_place == Place::Mailbox)
                .then(|| selected.message_ids.get(&uid))
                .flatten()
                .and_then(|m| search_string(m));
            if is_claim
                && known.is_some()
                && let Some(winner) = find_winner(conn, tf, known.as_deref(), me)?
            {
                return Err(ActError::Lost { winner });
            }
            return Err(ActError::NoMessage(uid));
        };
        let id = seen.message_id.as_deref().and_then(search_string);
        // In the mailbox `\Flagged` means a claim is in flight: its MOVE names the winner. A
        // flag nobody follows up on (a crashed claimer, a flag set in another client) is
        // taken over once the wait is over.
        if is_claim
            && from_place == Place::Mailbox
            && seen.flagged
            && let Some(winner) = find_winner(conn, tf, id.as_deref(), me)?
        {
            return Err(ActError::Lost { winner });
        }
        // 1. The flag first: it travels with the message. A claim stores it conditionally
        //    where the server can (CONDSTORE): a MODIFIED answer means someone got there first.
        if let Some(on) = flag
            && on != seen.flagged
        {
            let since = if is_claim && on { seen.modseq } else { None };
            if actions::store(conn, uid, &flagged_change(on), since)? == StoreOutcome::Modified {
                match fetch(conn, uid)? {
                    Some(s) if s.flagged => {
                        return Err(lost(find_winner(conn, tf, id.as_deref(), me)?));
                    }
                    // Another change (\Seen, say): decide again.
                    Some(_) => continue,
                    None => return Err(lost(find_winner(conn, tf, id.as_deref(), me)?)),
                }
            }
        }
        // 2. The move (nothing to move when it is there already).
        let new_uid = if target_name == from {
            Some(uid)
        } else {
            match move_to(conn, uid, &target_name)? {
                Moved::To(u) => u,
                Moved::Refused(reason) => {
                    let still_here = fetch(conn, uid)?.is_some();
                    if is_claim && still_here {
                        // Not a race (the message did not move): the server refused (quota,
                        // say). Take back the flag this claim set, and say why.
                        if flag == Some(true) && !seen.flagged {
                            let _ = actions::store(conn, uid, &flagged_change(false), None);
                        }
                        return Err(ActError::NotStored(reason));
                    }
                    if is_claim {
                        return Err(lost(find_winner(conn, tf, id.as_deref(), me)?));
                    }
                    if fetch(conn, uid)?.is_none() {
                        return Err(ActError::NoMessage(uid));
                    }
                    return Err(ActError::NotStored(reason));
                }
            }
        };
        // 3. Read back: the message is in the target folder (and, for a claim, nowhere else).
        let mut new_uid = new_uid;
        match &id {
            Some(id) => {
                if is_claim {
                    let found = holders(conn, tf, id)?;
                    let mine = found.iter().find(|(a, _)| a == me).map(|(_, u)| u.clone());
                    let Some(mine) = mine else {
                        return Err(lost(found.first().map(|(a, _)| a.clone())));
                    };
                    // Held twice (a MOVE that copies): the smallest agent id keeps it.
                    if let Some((winner, _)) = found.iter().find(|(a, _)| a.as_str() < me) {
                        remove_copy(conn, &target_name, &mine)?;
                        return Err(ActError::Lost {
                            winner: winner.clone(),
                        });
                    }
                    if new_uid.is_none() && mine.len() == 1 {
                        new_uid = mine.first().copied();
                    }
                } else {
                    let found = find_in(conn, &target_name, id)?;
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
            }
            None => {
                // No Message-ID to search for: the UIDPLUS answer is the read-back.
                if let Some(u) = new_uid
                    && (!select(conn, &target_name)? || fetch(conn, u)?.is_none())
                {
                    return Err(ActError::NotStored(format!(
                        "the message is not in {:?} after the move",
                        crate::sanitize::single_line(&target_name)
                    )));
                }
            }
        }
        // The flag, read back where the message is now.
        if let (Some(on), Some(u)) = (flag, new_uid)
            && select(conn, &target_name)?
            && let Some(s) = fetch(conn, u)?
            && s.flagged != on
        {
            return Err(ActError::NotStored(if selected.rights.has('w') {
                "\\Flagged did not change".into()
            } else {
                "read-only for this agent".into()
            }));
        }
        return Ok(Applied {
            uid,
            action: action.name(),
            before,
            after: state_of(&target),
            rounds: round,
            mapping: MappingKind::Folders,
            moved_to: (target_name != from).then(|| {
                Box::new(MovedTo {
                    mailbox: target_name,
                    uid: new_uid,
                })
            }),
        });
    }
    Err(ActError::Busy)
}

/// Moves message `uid` of the selected folder to `archive` (the account's `archive_folder`,
/// after `done`), creating it when the server says TRYCREATE; its new UID when known.
pub fn archive(conn: &mut ImapConn, uid: u32, archive: &str) -> Result<Option<u32>, ActError> {
    match move_to(conn, uid, archive)? {
        Moved::To(new_uid) => Ok(new_uid),
        Moved::Refused(reason) => Err(ActError::Folder {
            folder: crate::sanitize::single_line(archive),
            reason,
        }),
    }
}
