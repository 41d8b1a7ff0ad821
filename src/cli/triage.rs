//! `mailroom triage ACCOUNT UID ACTION`: claim, assign, status and snooze from the command line,
//! through the same keyword contract and atomic store as the triage keys.

use std::io::Write;

use super::list::{ListError, find_account};
use crate::backend::Backend;
use crate::config::Config;
use crate::imap::connect::{Target, open_session};
use crate::mail::sanitize;
use crate::triage::act::{self, ActError, Applied};
use crate::triage::state::{self, Action};

#[derive(Debug, thiserror::Error)]
pub enum TriageCliError {
    #[error(transparent)]
    List(#[from] ListError),
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Act(#[from] ActError),
    #[error("cannot write the output: {0}")]
    Output(#[from] std::io::Error),
}

/// `2026-12-01T09:00` (UTC), `+30m`, `+4h`, `+2d` → Unix seconds.
pub fn parse_when(s: &str, now: i64) -> Option<i64> {
    if let Some(rel) = s.strip_prefix('+') {
        let (n, unit) = rel.split_at(rel.len().checked_sub(1)?);
        let n: i64 = n.parse().ok().filter(|n| *n > 0 && *n < 100_000)?;
        let secs = match unit {
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            _ => return None,
        };
        return Some(now + n * secs);
    }
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    if s.len() == 16 && digits.len() == 12 {
        return state::parse_minute(&digits);
    }
    None
}

pub fn parse_action(words: &[String], now: i64) -> Result<Action, String> {
    let usage = "ACTION is claim, assign AGENT, unassign, pending, done, reopen or snooze WHEN";
    let first = words.first().map(String::as_str).ok_or(usage)?;
    let arg = words.get(1);
    let action = match (first, arg) {
        ("claim", None) => Action::Claim,
        ("assign", Some(agent)) => Action::Assign(agent.clone()),
        ("unassign", None) => Action::Unassign,
        ("pending", None) => Action::Pending,
        ("done", None) => Action::Done,
        ("reopen", None) => Action::Reopen,
        ("snooze", Some(when)) => Action::Snooze(parse_when(when, now).ok_or_else(|| {
            format!(
                "snooze: {:?} is not a time (YYYY-MM-DDTHH:MM in UTC, or +30m, +4h, +2d)",
                sanitize::single_line(when)
            )
        })?),
        _ => {
            return Err(format!(
                "{usage} (got: {})",
                sanitize::single_line(&words.join(" "))
            ));
        }
    };
    if words.len() > 2 {
        return Err(usage.to_string());
    }
    Ok(action)
}

/// Runs the command; `Ok(false)` when the action did not happen (a lost claim).
pub fn run(
    config: &Config,
    account: &str,
    uid: u32,
    words: &[String],
    json: bool,
    force: bool,
) -> Result<bool, TriageCliError> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let action = parse_action(words, now).map_err(TriageCliError::Usage)?;
    let account = find_account(config, account)?;
    let me = config.agent.id.as_str();
    let result: Result<Applied, ActError> = match &account.imap {
        Some(imap) => {
            let mut conn = open_session(&Target {
                account: &account.name,
                config: imap,
            })
            .map_err(ListError::from)?;
            let rights = act::select_with_rights(&mut conn, &imap.mailbox)?;
            let r = act::apply(&mut conn, rights, uid, &action, me, !force);
            let _ = conn.session.logout();
            r
        }
        None => maildir_apply(account, uid, &action, me),
    };
    let mut out = std::io::stdout().lock();
    match result {
        Ok(applied) => {
            if json {
                let v = serde_json::json!({ "ok": true, "result": applied });
                super::print_json(&mut out, &v)?;
            } else {
                writeln!(
                    out,
                    "{} UID {}: {}",
                    applied.action,
                    uid,
                    sanitize::single_line(&describe(&applied.after))
                )?;
            }
            Ok(true)
        }
        Err(ActError::Lost { winner }) => {
            if json {
                let v = serde_json::json!({ "ok": false, "lost_to": winner });
                super::print_json(&mut out, &v)?;
            } else {
                writeln!(
                    out,
                    "claim lost: {} was first",
                    sanitize::single_line(&winner)
                )?;
            }
            Ok(false)
        }
        Err(e) => Err(e.into()),
    }
}

/// Maildir has no MODSEQ: apply and read back (one user's local folder, no races to lose).
fn maildir_apply(
    account: &crate::config::Account,
    uid: u32,
    action: &Action,
    me: &str,
) -> Result<Applied, ActError> {
    let (mut b, mailbox) =
        super::list::open_backend(account).map_err(|e| ActError::Server(e.to_string()))?;
    let row = |b: &mut Box<dyn Backend>| -> Result<Vec<String>, ActError> {
        let mut found = None;
        b.summaries(&mailbox, uid, &mut |rows| {
            if found.is_none() {
                found = rows.into_iter().find(|r| r.uid == uid).map(|r| r.keywords);
            }
        })
        .map_err(|e| ActError::Server(e.to_string()))?;
        found.ok_or(ActError::NoMessage(uid))
    };
    let keywords = row(&mut b)?;
    let before = state::state(&keywords);
    let change = state::change_for(action, me, &keywords).map_err(|e| match e {
        state::TriageError::ClaimedBy(winner) => ActError::Lost { winner },
        other => ActError::Triage(other),
    })?;
    b.store(&mailbox, uid, &change, None)
        .map_err(|e| ActError::Server(e.to_string()))?;
    let after = state::state(&row(&mut b)?);
    Ok(Applied {
        uid,
        action: action.name(),
        before,
        after,
        rounds: 1,
    })
}

fn describe(s: &state::TeamState) -> String {
    let mut parts = Vec::new();
    parts.push(match &s.assigned {
        Some(a) => format!("assigned to {a}"),
        None => "unassigned".into(),
    });
    if s.pending {
        parts.push("pending".into());
    }
    if s.done {
        parts.push("done".into());
    }
    if let Some(t) = s.snoozed_until {
        parts.push(format!(
            "snoozed until {} UTC",
            crate::mail::date::short_utc(t)
        ));
    }
    if !s.replying.is_empty() {
        parts.push(format!("{} replying", s.replying.join(", ")));
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn when_parses_absolute_and_relative() {
        assert_eq!(parse_when("+30m", 1000), Some(2800));
        assert_eq!(parse_when("+2d", 0), Some(172_800));
        assert_eq!(
            parse_when("2026-12-01T09:00", 0)
                .map(state::format_minute)
                .as_deref(),
            Some("202612010900")
        );
        for bad in ["", "+", "+5x", "+-1h", "tomorrow", "2026-13-01T09:00"] {
            assert_eq!(parse_when(bad, 0), None, "{bad:?}");
        }
    }

    #[test]
    fn actions_parse_with_their_arguments() {
        let w = |s: &str| s.split(' ').map(str::to_string).collect::<Vec<_>>();
        assert_eq!(parse_action(&w("claim"), 0), Ok(Action::Claim));
        assert_eq!(
            parse_action(&w("assign bob"), 0),
            Ok(Action::Assign("bob".into()))
        );
        assert!(parse_action(&w("assign"), 0).is_err());
        assert!(parse_action(&w("claim now"), 0).is_err());
        assert!(parse_action(&w("snooze +1h"), 0).is_ok());
        assert!(parse_action(&[], 0).is_err());
    }
}
