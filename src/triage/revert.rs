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
use crate::imap::connect::ImapConn;

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
}

/// Stores `change` (the undo the front end computed from its row) on message `uid` of the
/// selected mailbox, provided the message is as the action left it (see the module).
pub fn store_guarded(
    conn: &mut ImapConn,
    uid: u32,
    change: &FlagChange,
    guard: &Guard,
) -> Result<StoreOutcome, RevertError> {
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
