//! Duplicate copies of a claimed message. A server whose MOVE is a copy and an expunge
//! (Dovecot's is; COPY + EXPUNGE where MOVE is missing) can let several claims of one message
//! each land a copy in their `Assigned/<agent>` folder. The rule: the smallest agent id
//! holding a copy keeps the message. Every other claimer removes its own copy and is told the
//! keeper was first; the keeper removes the copies of claimers that could not (their
//! connection dropped right after their MOVE). Copies are told apart from a second delivery
//! with the same Message-ID by INTERNALDATE and size, which MOVE and COPY keep.

use super::names::TeamFolders;
use super::wire::{Copy, Holders, holders, remove_copy};
use crate::imap::connect::ImapConn;
use crate::triage::act::ActError;

/// How long a claimer waits after its MOVE before it looks for a teammate's copy still landing
/// (one that read the message before this claimer's MOVE expunged it).
const SETTLE: std::time::Duration = std::time::Duration::from_millis(150);

/// What a claimer whose MOVE landed a copy learns.
pub(super) enum Settled {
    /// This agent keeps the message: its UID in `Assigned/<me>` when known.
    Kept(Option<u32>),
    /// A teammate keeps it (this agent's copy was removed).
    Lost(String),
}

/// After this agent's MOVE into `mine` (its `Assigned/<me>`) landed a copy (`new_uid` from
/// COPYUID when known): keep it, or step back for a smaller agent id holding the same message.
pub(super) fn after_move(
    conn: &mut ImapConn,
    tf: &TeamFolders,
    id: &str,
    me: &str,
    mine: &str,
    new_uid: Option<u32>,
) -> Result<Settled, ActError> {
    // A teammate's copy may still be landing (it read the message before this MOVE expunged
    // it): look, everywhere, once it has had time to.
    std::thread::sleep(SETTLE);
    let all = holders(conn, tf, id)?;
    let Some(my) = my_copy(&all, me, new_uid) else {
        // Not in this agent's folder after the move: someone else has it.
        return Ok(Settled::Lost(
            all.first()
                .map(|(a, _)| a.clone())
                .unwrap_or_else(|| "another agent".into()),
        ));
    };
    if let Some(keeper) = smaller_holder(&all, me, &my) {
        remove_copy(conn, mine, &[my.uid])?;
        return Ok(Settled::Lost(keeper));
    }
    remove_larger(conn, tf, &all, me, &my);
    Ok(Settled::Kept(Some(my.uid)))
}

/// A claim whose UID was gone found the message in this agent's own folder (its earlier MOVE
/// landed but the answer was lost with the connection): it keeps it unless a smaller id holds
/// the same message too.
pub(super) fn already_mine(
    conn: &mut ImapConn,
    tf: &TeamFolders,
    found: &Holders,
    me: &str,
    mine: &str,
) -> Result<Option<Settled>, ActError> {
    let Some(my) = my_copy(found, me, None) else {
        return Ok(None);
    };
    if let Some(keeper) = smaller_holder(found, me, &my) {
        remove_copy(conn, mine, &[my.uid])?;
        return Ok(Some(Settled::Lost(keeper)));
    }
    remove_larger(conn, tf, found, me, &my);
    Ok(Some(Settled::Kept(Some(my.uid))))
}

/// This agent's copy: the one with `new_uid`, else its first.
fn my_copy(found: &Holders, me: &str, new_uid: Option<u32>) -> Option<Copy> {
    let (_, copies) = found.iter().find(|(a, _)| a == me)?;
    copies
        .iter()
        .find(|c| Some(c.uid) == new_uid)
        .or_else(|| copies.first())
        .cloned()
}

/// The smallest agent id below `me` holding a copy of the same message as `my`.
fn smaller_holder(found: &Holders, me: &str, my: &Copy) -> Option<String> {
    found
        .iter()
        .find(|(a, copies)| a.as_str() < me && copies.iter().any(|c| c.same_message(my)))
        .map(|(a, _)| a.clone())
}

/// Removes the copies of the same message in larger ids' folders (claimers that lost and
/// could not remove theirs). Best effort: a copy that stays is theirs to remove.
fn remove_larger(conn: &mut ImapConn, tf: &TeamFolders, found: &Holders, me: &str, my: &Copy) {
    for (agent, copies) in found.iter().filter(|(a, _)| a.as_str() > me) {
        let dups: Vec<u32> = copies
            .iter()
            .filter(|c| c.same_message(my))
            .map(|c| c.uid)
            .collect();
        if let (false, Ok(folder)) = (dups.is_empty(), tf.assigned(agent)) {
            let _ = remove_copy(conn, &folder, &dups);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn copy(uid: u32, stamp: Option<(i64, u32)>) -> Copy {
        Copy { uid, stamp }
    }

    #[test]
    fn the_smallest_holder_of_the_same_message_keeps_it() {
        let same = Some((1_700_000_000, 120));
        let other_delivery = Some((1_700_000_100, 120));
        let found: Holders = vec![
            ("aaron".into(), vec![copy(3, other_delivery)]),
            ("bob".into(), vec![copy(7, same)]),
            ("dave".into(), vec![copy(1, None), copy(9, same)]),
        ];
        let mine = my_copy(&found, "dave", Some(9)).unwrap();
        assert_eq!(mine.uid, 9);
        assert_eq!(my_copy(&found, "dave", None).unwrap().uid, 1);
        assert_eq!(my_copy(&found, "carol", None), None);
        // aaron holds another delivery with the same Message-ID: not a copy of this one.
        assert_eq!(
            smaller_holder(&found, "dave", &mine).as_deref(),
            Some("bob")
        );
        let bobs = my_copy(&found, "bob", None).unwrap();
        assert_eq!(smaller_holder(&found, "bob", &bobs), None);
        // Unknown stamps count as the same message.
        assert!(copy(1, None).same_message(&copy(2, same)));
        assert!(!copy(1, same).same_message(&copy(2, other_delivery)));
    }
}
