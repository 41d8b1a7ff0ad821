//! Applying a triage action to a message on an IMAP server, atomically where CONDSTORE allows:
//! read flags and MODSEQ, compute the change, store it with `UNCHANGEDSINCE`; a `MODIFIED`
//! answer means a teammate was first, so read again and decide again. Without CONDSTORE, store
//! and re-read to detect a race. Every change is verified by reading it back: a read-only
//! server may answer OK and change nothing.

use super::state::{Action, TeamState, TriageError, change_for, state};
use crate::backend::{FlagChange, StoreOutcome};
use crate::imap::actions::{self, ActionError};
use crate::imap::connect::{DEFAULT_READ_BUDGET, ImapConn, describe};
use crate::imap::{quote_mailbox, utf7};
use crate::policy::rights::Rights;

/// Rounds of read-decide-store before giving up on a very busy message.
const MAX_ROUNDS: usize = 8;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Applied {
    pub uid: u32,
    pub action: &'static str,
    pub before: TeamState,
    pub after: TeamState,
    /// Read-decide-store rounds it took (more than one: a teammate changed it meanwhile).
    pub rounds: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActError {
    #[error("claim lost: {winner} was first")]
    Lost { winner: String },
    #[error("{0}")]
    Triage(TriageError),
    #[error("not allowed: {0}")]
    NoRight(String),
    #[error("the server did not store the change ({0})")]
    NotStored(String),
    #[error("no message with UID {0}")]
    NoMessage(u32),
    #[error("{0}")]
    Server(String),
    #[error("the message kept changing; try again")]
    Busy,
}

impl From<ActionError> for ActError {
    fn from(e: ActionError) -> ActError {
        match e {
            ActionError::NoMessage(uid) => ActError::NoMessage(uid),
            other => ActError::Server(other.to_string()),
        }
    }
}

/// Selects `mailbox` and returns the agent's rights there (MYRIGHTS, or inferred from SELECT
/// without ACL).
pub fn select_with_rights(conn: &mut ImapConn, mailbox: &str) -> Result<Rights, ActError> {
    let Some(quoted) = quote_mailbox(mailbox) else {
        return Err(ActError::Server(
            "the mailbox name contains a line break".into(),
        ));
    };
    conn.budget.grant(DEFAULT_READ_BUDGET);
    let myrights = if conn.has("ACL") {
        let raw = conn
            .session
            .run_command_and_read_response(format!("MYRIGHTS {quoted}"))
            .map_err(|e| ActError::Server(describe(&e)))?;
        crate::imap::probe::parse_myrights(&raw)
    } else {
        None
    };
    let selected = conn
        .session
        .select(utf7::encode(mailbox))
        .map_err(|e| ActError::Server(format!("cannot open the mailbox: {}", describe(&e))))?;
    let _ = conn.session.take_all_unsolicited().count();
    Ok(match myrights {
        Some(r) => Rights::parse(&r),
        None => Rights::from_select(
            selected.is_read_only,
            &selected
                .permanent_flags
                .iter()
                .map(|f| f.to_string())
                .collect::<Vec<_>>(),
        ),
    })
}

fn applied_ok(change: &FlagChange, keywords: &[String]) -> bool {
    let has = |k: &String| keywords.iter().any(|x| x.eq_ignore_ascii_case(k));
    change.add_keywords.iter().all(has) && !change.remove_keywords.iter().any(has)
}

/// Applies `action` by agent `me` to message `uid` of the selected mailbox. With
/// `check_rights`, an agent without the `w` right is refused before anything is sent.
pub fn apply(
    conn: &mut ImapConn,
    rights: Rights,
    uid: u32,
    action: &Action,
    me: &str,
    check_rights: bool,
) -> Result<Applied, ActError> {
    if check_rights && !rights.has('w') {
        return Err(ActError::NoRight(format!(
            "triage needs the `w` right on this mailbox; yours are \"{rights}\""
        )));
    }
    let condstore = conn.has("CONDSTORE");
    let mut before = None;
    for round in 1..=MAX_ROUNDS {
        let (_, keywords, modseq) = actions::current(conn, uid)?;
        let before_state = before.get_or_insert_with(|| state(&keywords)).clone();
        let change = match change_for(action, me, &keywords) {
            Ok(c) => c,
            Err(TriageError::ClaimedBy(winner)) => return Err(ActError::Lost { winner }),
            Err(e) => return Err(ActError::Triage(e)),
        };
        if applied_ok(&change, &keywords) {
            return Ok(Applied {
                uid,
                action: action.name(),
                before: before_state,
                after: state(&keywords),
                rounds: round,
            });
        }
        let since = if condstore { modseq } else { None };
        if actions::store(conn, uid, &change, since)? == StoreOutcome::Modified {
            continue;
        }
        let (_, after_keywords, _) = actions::current(conn, uid)?;
        let after = state(&after_keywords);
        if !applied_ok(&change, &after_keywords) {
            return Err(ActError::NotStored(if rights.has('w') {
                "another client changed it at the same moment".into()
            } else {
                "read-only for this agent".into()
            }));
        }
        // Without CONDSTORE two claims can both land: the other keyword wins, ours goes.
        if !condstore
            && *action == Action::Claim
            && let Some(winner) = after
                .also_assigned
                .iter()
                .chain(after.assigned.iter())
                .find(|a| a.as_str() != me)
                .cloned()
        {
            let undo = FlagChange {
                remove_keywords: vec![format!("{}{me}", super::state::ASSIGNED)],
                ..FlagChange::default()
            };
            let _ = actions::store(conn, uid, &undo, None);
            return Err(ActError::Lost { winner });
        }
        return Ok(Applied {
            uid,
            action: action.name(),
            before: before_state,
            after,
            rounds: round,
        });
    }
    Err(ActError::Busy)
}
