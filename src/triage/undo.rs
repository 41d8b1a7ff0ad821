//! Undoing a triage action, as plain data: the team keywords a state stands for, and the change
//! that takes a message from the state an action left back to the state before it — refused
//! when the message is no longer in the state the action left (a teammate changed it since).
//! "Replying" marks are a courtesy that comes and goes with the compose pane: never undone.

use super::state::{ASSIGNED, DONE, PENDING, SNOOZED, SNOOZED_LEGACY, TeamState, state, suffix};
use crate::backend::FlagChange;

/// Why a message cannot be brought back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UndoError {
    /// The message is not in the state the action left: someone changed it since.
    #[error("changed since (now: {now})")]
    Changed { now: String },
}

/// Whether `k` is a keyword of the team state an undo restores (assignment, pending, done,
/// snooze; not "replying").
pub fn is_team_keyword(k: &str) -> bool {
    suffix(k, ASSIGNED).is_some()
        || suffix(k, SNOOZED_LEGACY).is_some()
        || [SNOOZED, PENDING, DONE]
            .iter()
            .any(|t| k.eq_ignore_ascii_case(t))
}

/// The keywords standing for `s` (without "replying").
pub fn keywords_for(s: &TeamState) -> Vec<String> {
    let mut k: Vec<String> = s
        .assigned
        .iter()
        .chain(&s.also_assigned)
        .map(|a| format!("{ASSIGNED}{a}"))
        .collect();
    if s.pending {
        k.push(PENDING.into());
    }
    if s.done {
        k.push(DONE.into());
    }
    if s.snoozed {
        k.push(SNOOZED.into());
    }
    k
}

/// Whether two states agree on what an undo restores (who holds it, pending, done, snoozed).
pub fn same(a: &TeamState, b: &TeamState) -> bool {
    let mut aa = a.also_assigned.clone();
    let mut ba = b.also_assigned.clone();
    aa.sort();
    ba.sort();
    a.assigned == b.assigned
        && aa == ba
        && a.pending == b.pending
        && a.done == b.done
        && a.snoozed == b.snoozed
}

/// The change from `now` (the message's keywords) back to `before`, provided the message is
/// still as the action `left` it.
pub fn restore<K: AsRef<str>>(
    now: &[K],
    left: &TeamState,
    before: &TeamState,
) -> Result<FlagChange, UndoError> {
    let current = state(now);
    if !same(&current, left) {
        return Err(UndoError::Changed {
            now: super::view::describe(&current),
        });
    }
    let want = keywords_for(before);
    let has = |k: &str| now.iter().any(|n| n.as_ref().eq_ignore_ascii_case(k));
    let remove_keywords = now
        .iter()
        .map(AsRef::as_ref)
        .filter(|k| is_team_keyword(k) && !want.iter().any(|w| w.eq_ignore_ascii_case(k)))
        .map(str::to_string)
        .collect();
    let add_keywords = want.into_iter().filter(|w| !has(w)).collect();
    Ok(FlagChange {
        add_keywords,
        remove_keywords,
        ..FlagChange::default()
    })
}

/// `keywords` with `change` applied (the row as the undo leaves it, before the sync says so).
pub fn applied(keywords: &[String], change: &FlagChange) -> Vec<String> {
    let mut out: Vec<String> = keywords
        .iter()
        .filter(|k| !change.remove_keywords.iter().any(|r| r == *k))
        .cloned()
        .collect();
    for k in &change.add_keywords {
        if !out.contains(k) {
            out.push(k.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kw(k: &[&str]) -> Vec<String> {
        k.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn undoing_done_brings_back_pending_and_keeps_other_keywords() {
        let before = state(&kw(&["$assigned.alice", "$pending"]));
        let left = state(&kw(&["$assigned.alice", "$done"]));
        let now = kw(&["$assigned.alice", "$done", "Junk", "$replying.bob"]);
        let c = restore(&now, &left, &before).unwrap();
        assert_eq!(c.add_keywords, kw(&["$pending"]));
        assert_eq!(c.remove_keywords, kw(&["$done"]));
        assert_eq!(
            applied(&now, &c),
            kw(&["$assigned.alice", "Junk", "$replying.bob", "$pending"])
        );
    }

    #[test]
    fn undoing_a_claim_gives_the_message_back_to_its_holder() {
        let before = state(&kw(&["$assigned.bob"]));
        let left = state(&kw(&["$assigned.alice"]));
        let c = restore(&kw(&["$Assigned.Alice"]), &left, &before).unwrap();
        assert_eq!(c.add_keywords, kw(&["$assigned.bob"]));
        assert_eq!(c.remove_keywords, kw(&["$Assigned.Alice"]));
    }

    #[test]
    fn a_teammates_change_since_refuses() {
        let before = state(&kw(&[]));
        let left = state(&kw(&["$done"]));
        let e = restore(&kw(&["$done", "$assigned.carol"]), &left, &before).unwrap_err();
        assert_eq!(
            e.to_string(),
            "changed since (now: assigned to carol, done)"
        );
        // A "replying" mark is no change to the team state.
        assert!(restore(&kw(&["$done", "$replying.carol"]), &left, &before).is_ok());
    }

    #[test]
    fn team_keywords_are_the_contracts() {
        for k in [
            "$assigned.x",
            "$PENDING",
            "$done",
            "$snoozed",
            "$snoozed.202601010000",
        ] {
            assert!(is_team_keyword(k), "{k}");
        }
        for k in ["$replying.x", "\\Seen", "$seen", "done"] {
            assert!(!is_team_keyword(k), "{k}");
        }
    }
}
