//! The team-state keyword contract (PROTOCOL.md), as pure functions: reading a message's
//! state from its keywords, and the flag change each triage action makes.
//!
//! | state | keyword |
//! |---|---|
//! | assigned to agent | `$assigned.<agent>` (at most one) |
//! | agent is writing a reply | `$replying.<agent>` |
//! | pending (waiting on customer) | `$pending` |
//! | done | `$done` |
//! | snoozed | `$snoozed` (the wake time is in a snooze record: `mail::snooze`) |
//!
//! Keywords are case-insensitive; agent ids are `[a-z0-9._-]+`. The set is fixed: mailroom
//! creates at most 3 + 2 × agents keywords per mailbox (`$pending`, `$done`, `$snoozed`, and
//! `$assigned.<agent>`, `$replying.<agent>` for each agent), whatever the traffic, since some
//! servers keep a small table of the keywords a mailbox ever used (Cyrus: 100, for ever).
//! Earlier versions wrote `$snoozed.<YYYYMMDDHHMM>`: still read (its minute is the wake time
//! when no record says otherwise) and removed with any unsnooze, wake, done or reopen.

use crate::backend::{FlagChange, is_valid_keyword};
use crate::config::is_valid_agent_id;
use crate::mail::snooze::is_snooze_keyword;

pub const ASSIGNED: &str = "$assigned.";
pub const REPLYING: &str = "$replying.";
/// The one snooze keyword; its wake time is kept in a snooze record (`mail::snooze`).
pub const SNOOZED: &str = crate::mail::snooze::KEYWORD;
/// The snooze keyword of earlier versions: `$snoozed.<YYYYMMDDHHMM>` (read, never written).
pub const SNOOZED_LEGACY: &str = crate::mail::snooze::LEGACY_PREFIX;
pub const PENDING: &str = "$pending";
pub const DONE: &str = "$done";

/// What the keywords of one message say.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct TeamState {
    pub assigned: Option<String>,
    /// Every other `$assigned.*` (the contract allows one; a race outside mailroom may leave more).
    pub also_assigned: Vec<String>,
    pub replying: Vec<String>,
    pub pending: bool,
    pub done: bool,
    /// The message is snoozed (`$snoozed`, or an earlier version's `$snoozed.<minute>`).
    pub snoozed: bool,
    /// Unix seconds until which the message is snoozed, when known: from the snooze record
    /// (see `triage::view::team_state`), else an earlier version's keyword.
    pub snoozed_until: Option<i64>,
}

/// The rest of `keyword` after `prefix` (ASCII, caselessly), if there is a rest. Keywords come
/// from the server: `get` so a multi-byte character across the boundary is no panic.
pub fn suffix<'a>(keyword: &'a str, prefix: &str) -> Option<&'a str> {
    keyword
        .get(..prefix.len())
        .filter(|p| p.eq_ignore_ascii_case(prefix))
        .and_then(|_| keyword.get(prefix.len()..))
        .filter(|rest| !rest.is_empty())
}

/// `YYYYMMDDHHMM` (UTC) → Unix seconds.
pub fn parse_minute(s: &str) -> Option<i64> {
    if s.len() != 12 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = |r: std::ops::Range<usize>| s[r].parse::<i64>().ok();
    let (y, mo, d, h, mi) = (n(0..4)?, n(4..6)?, n(6..8)?, n(8..10)?, n(10..12)?);
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let month_days = match mo {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    // A day the month does not have is no minute (not rolled over into the next month).
    if !(1..=12).contains(&mo) || !(1..=month_days).contains(&d) || h > 23 || mi > 59 {
        return None;
    }
    // Days from civil (H. Hinnant), the inverse of mail::date.
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doy = (153 * (if mo > 2 { mo - 3 } else { mo + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + h * 3600 + mi * 60)
}

/// Unix seconds → `YYYYMMDDHHMM` (UTC, seconds dropped).
pub fn format_minute(secs: i64) -> String {
    let s = crate::mail::date::rfc3339_utc(secs);
    // 2026-11-27T14:03:09Z → 202611271403
    format!(
        "{}{}{}{}{}",
        &s[0..4],
        &s[5..7],
        &s[8..10],
        &s[11..13],
        &s[14..16]
    )
}

pub fn state<K: AsRef<str>>(keywords: &[K]) -> TeamState {
    let mut st = TeamState::default();
    for k in keywords {
        let k = k.as_ref();
        if let Some(agent) = suffix(k, ASSIGNED) {
            let agent = agent.to_ascii_lowercase();
            if st.assigned.is_none() {
                st.assigned = Some(agent);
            } else if st.assigned.as_deref() != Some(agent.as_str()) {
                st.also_assigned.push(agent);
            }
        } else if let Some(agent) = suffix(k, REPLYING) {
            st.replying.push(agent.to_ascii_lowercase());
        } else if let Some(when) = suffix(k, SNOOZED_LEGACY) {
            st.snoozed = true;
            st.snoozed_until = parse_minute(when).max(st.snoozed_until);
        } else if k.eq_ignore_ascii_case(SNOOZED) {
            st.snoozed = true;
        } else if k.eq_ignore_ascii_case(PENDING) {
            st.pending = true;
        } else if k.eq_ignore_ascii_case(DONE) {
            st.done = true;
        }
    }
    st
}

/// A triage action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Claim,
    Assign(String),
    Unassign,
    Pending,
    Done,
    Reopen,
    /// Until this Unix time (UTC; rounded down to the minute).
    Snooze(i64),
    Replying(bool),
}

impl Action {
    pub fn name(&self) -> &'static str {
        match self {
            Action::Claim => "claim",
            Action::Assign(_) => "assign",
            Action::Unassign => "unassign",
            Action::Pending => "pending",
            Action::Done => "done",
            Action::Reopen => "reopen",
            Action::Snooze(_) => "snooze",
            Action::Replying(_) => "replying",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TriageError {
    #[error("{0:?} is not a valid agent id (a-z, 0-9, '.', '_', '-')")]
    BadAgent(String),
    #[error("already claimed by {0}")]
    ClaimedBy(String),
    #[error("{0:?} would not be a valid IMAP keyword")]
    BadKeyword(String),
}

/// Every snooze keyword among `keywords` (`$snoozed` and earlier versions' `$snoozed.*`).
pub fn snooze_keywords(keywords: &[String]) -> Vec<String> {
    keywords
        .iter()
        .filter(|k| is_snooze_keyword(k))
        .cloned()
        .collect()
}

fn assigned(agent: &str) -> String {
    format!("{ASSIGNED}{agent}")
}

/// The flag change `action` by `me` makes on a message with `keywords`.
///
/// A claim of a message someone else holds is refused (`ClaimedBy`): their assignment is never
/// overwritten by a claim; an explicit assign may move it.
pub fn change_for(
    action: &Action,
    me: &str,
    keywords: &[String],
) -> Result<FlagChange, TriageError> {
    if !is_valid_agent_id(me) {
        return Err(TriageError::BadAgent(me.to_string()));
    }
    let current = state(keywords);
    let others = |keep: Option<&str>| -> Vec<String> {
        keywords
            .iter()
            .filter(|k| {
                suffix(k, ASSIGNED).is_some_and(|a| Some(a.to_ascii_lowercase().as_str()) != keep)
            })
            .cloned()
            .collect()
    };
    let mut c = FlagChange::default();
    match action {
        Action::Claim => {
            if let Some(holder) = &current.assigned
                && holder != me
            {
                return Err(TriageError::ClaimedBy(holder.clone()));
            }
            c.add_keywords.push(assigned(me));
            c.remove_keywords = others(Some(me));
        }
        Action::Assign(agent) => {
            let agent = agent.to_ascii_lowercase();
            if !is_valid_agent_id(&agent) {
                return Err(TriageError::BadAgent(agent));
            }
            c.add_keywords.push(assigned(&agent));
            c.remove_keywords = others(Some(&agent));
        }
        Action::Unassign => c.remove_keywords = others(None),
        Action::Pending => {
            c.add_keywords.push(PENDING.into());
            c.remove_keywords.extend(
                keywords
                    .iter()
                    .filter(|k| k.eq_ignore_ascii_case(DONE))
                    .cloned(),
            );
        }
        Action::Done => {
            c.add_keywords.push(DONE.into());
            c.remove_keywords.extend(
                keywords
                    .iter()
                    .filter(|k| k.eq_ignore_ascii_case(PENDING))
                    .cloned(),
            );
            c.remove_keywords.extend(snooze_keywords(keywords));
        }
        Action::Reopen => {
            c.remove_keywords.extend(
                keywords
                    .iter()
                    .filter(|k| k.eq_ignore_ascii_case(DONE) || k.eq_ignore_ascii_case(PENDING))
                    .cloned(),
            );
            c.remove_keywords.extend(snooze_keywords(keywords));
        }
        Action::Snooze(_) => {
            // The wake time goes to the snooze record, written first (`mail::snooze`); the
            // keyword says "snoozed". An earlier version's `$snoozed.<minute>` goes.
            c.add_keywords.push(SNOOZED.into());
            c.remove_keywords = snooze_keywords(keywords);
            c.remove_keywords
                .retain(|k| !k.eq_ignore_ascii_case(SNOOZED));
        }

        Action::Replying(on) => {
            let mine = format!("{REPLYING}{me}");
            if *on {
                c.add_keywords.push(mine);
            } else {
                c.remove_keywords.extend(
                    keywords
                        .iter()
                        .filter(|k| k.eq_ignore_ascii_case(&mine))
                        .cloned(),
                );
            }
        }
    }
    for k in c.add_keywords.iter().chain(&c.remove_keywords) {
        if !is_valid_keyword(k) {
            return Err(TriageError::BadKeyword(crate::sanitize::single_line(k)));
        }
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kw(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn state_reads_the_contract() {
        let st = state(&kw(&[
            "$assigned.bob",
            "$Replying.carol",
            "$PENDING",
            "$snoozed.202612010900",
            "other",
        ]));
        assert_eq!(st.assigned.as_deref(), Some("bob"));
        assert_eq!(st.replying, ["carol"]);
        assert!(st.pending && !st.done && st.snoozed);
        assert_eq!(
            st.snoozed_until.map(format_minute).as_deref(),
            Some("202612010900")
        );
        assert_eq!(
            state(&kw(&["$assigned.a", "$assigned.b"])).also_assigned,
            ["b"]
        );
        assert_eq!(
            state(&kw(&["$snoozed.2026", "$snoozed.202613010000"])).snoozed_until,
            None
        );
    }

    #[test]
    fn days_that_do_not_exist_are_not_minutes() {
        // Not rolled over into the next month: `2026-02-30` is a typo, not March 2nd.
        for bad in [
            "202602290900",
            "202602300900",
            "202604310900",
            "210002290000",
        ] {
            assert_eq!(parse_minute(bad), None, "{bad}");
        }
        for good in [
            "202802290900",
            "200002290000",
            "202601310900",
            "202612310900",
        ] {
            assert!(parse_minute(good).is_some(), "{good}");
        }
    }

    #[test]
    fn minutes_round_trip() {
        for s in [
            "197001010000",
            "202611271403",
            "200002290000",
            "209912312359",
        ] {
            assert_eq!(format_minute(parse_minute(s).unwrap()), s);
        }
    }

    #[test]
    fn a_claim_never_overwrites_a_teammate() {
        assert_eq!(
            change_for(&Action::Claim, "alice", &kw(&["$assigned.bob"])),
            Err(TriageError::ClaimedBy("bob".into()))
        );
        let c = change_for(&Action::Claim, "alice", &kw(&["$pending"])).unwrap();
        assert_eq!(c.add_keywords, ["$assigned.alice"]);
        assert!(c.remove_keywords.is_empty());
        // Re-claiming your own message is a no-op change, not a conflict.
        assert!(change_for(&Action::Claim, "alice", &kw(&["$assigned.alice"])).is_ok());
    }

    #[test]
    fn assign_moves_and_status_keywords_exclude_each_other() {
        let c = change_for(
            &Action::Assign("Carol".into()),
            "alice",
            &kw(&["$assigned.bob"]),
        )
        .unwrap();
        assert_eq!(
            (c.add_keywords.as_slice(), c.remove_keywords.as_slice()),
            (
                &["$assigned.carol".to_string()][..],
                &["$assigned.bob".to_string()][..]
            )
        );
        let c = change_for(
            &Action::Done,
            "alice",
            &kw(&["$pending", "$snoozed.202612010900"]),
        )
        .unwrap();
        assert_eq!(c.add_keywords, ["$done"]);
        assert_eq!(c.remove_keywords, ["$pending", "$snoozed.202612010900"]);
        let c = change_for(&Action::Reopen, "alice", &kw(&["$done"])).unwrap();
        assert_eq!(c.remove_keywords, ["$done"]);
        let c = change_for(&Action::Unassign, "alice", &kw(&["$assigned.bob", "$done"])).unwrap();
        assert_eq!(c.remove_keywords, ["$assigned.bob"]);
        let c = change_for(
            &Action::Snooze(parse_minute("202612010900").unwrap() + 59),
            "alice",
            &kw(&["$snoozed.202611300000"]),
        )
        .unwrap();
        assert_eq!(c.add_keywords, ["$snoozed"]);
        assert_eq!(c.remove_keywords, ["$snoozed.202611300000"]);
        let c = change_for(&Action::Reopen, "alice", &kw(&["$Snoozed", "$snoozed.x"])).unwrap();
        assert_eq!(c.remove_keywords, ["$Snoozed", "$snoozed.x"]);
    }

    #[test]
    fn snoozes_at_any_times_use_one_keyword() {
        // The keyword budget: whatever the wake times, a snooze adds `$snoozed` and nothing
        // else, so a mailbox's keyword table never grows with traffic.
        let mut added = std::collections::BTreeSet::new();
        let mut keywords: Vec<String> = Vec::new();
        for i in 0..500 {
            let c =
                change_for(&Action::Snooze(1_800_000_000 + i * 60), "alice", &keywords).unwrap();
            added.extend(c.add_keywords.iter().cloned());
            keywords.retain(|k| !c.remove_keywords.contains(k));
            keywords.extend(c.add_keywords);
        }
        assert_eq!(added.into_iter().collect::<Vec<_>>(), ["$snoozed"]);
        let st = state(&kw(&["$snoozed"]));
        assert!(st.snoozed && st.snoozed_until.is_none());
        assert!(is_snooze_keyword("$SNOOZED") && is_snooze_keyword("$snoozed.202612010900"));
        assert!(!is_snooze_keyword("$snoozedx") && !is_snooze_keyword("$snoozed."));
    }

    #[test]
    fn keywords_with_multibyte_characters_are_read_without_panic() {
        let st = state(&kw(&[
            "$assignéd",
            "$assigne\u{e9}x",
            "$snoozé.1",
            "$ü",
            "é",
        ]));
        assert_eq!(st, TeamState::default());
        assert!(change_for(&Action::Reopen, "alice", &kw(&["$snoozeé", "$doné"])).is_ok());
    }

    #[test]
    fn hostile_agent_ids_never_become_keywords() {
        for bad in ["a b", "x)", "\r\nA1 LOGOUT", "", "Ünïcode"] {
            assert!(
                change_for(&Action::Assign(bad.into()), "alice", &[]).is_err(),
                "{bad:?}"
            );
            assert!(change_for(&Action::Claim, bad, &[]).is_err(), "{bad:?}");
        }
    }
}
