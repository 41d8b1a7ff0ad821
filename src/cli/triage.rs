//! `mailroom triage ACCOUNT UID[,UID…]… ACTION` (or `--search QUERY`): claim, assign, status and snooze from the command line,
//! through the same keyword contract and atomic store as the triage keys, or the folder
//! mapping on servers without permanent keywords (`triage::folders`).

use std::io::Write;

use super::list::{ListError, find_account};
use crate::config::Config;
use crate::imap::connect::{Target, open_session};
use crate::imap::sync::MailboxState;
use crate::sanitize;
use crate::triage::act::{self, ActError, Applied, MappingKind};
use crate::triage::folders::Mapping;
use crate::triage::local;
use crate::triage::state::Action;
use crate::triage::view::describe;

#[derive(Debug, thiserror::Error)]
pub enum TriageCliError {
    #[error(transparent)]
    List(#[from] ListError),
    #[error(transparent)]
    Usage(#[from] ActionUsageError),
    #[error("--in is for IMAP accounts with the folder mapping")]
    InNeedsImap,
    #[error(transparent)]
    Act(#[from] ActError),
    #[error("cannot write the output: {0}")]
    Output(#[from] std::io::Error),
}

/// When a snooze ends: `+30m`, `4h`, `2d`, `tomorrow`, `mon`, `2026-12-01T09:00` (UTC)… (see
/// `triage::when`) → Unix seconds.
pub fn parse_when(s: &str, now: i64) -> Option<i64> {
    crate::triage::when::parse(s, now, &jiff::tz::TimeZone::UTC).ok()
}

/// `parse_action` with WHEN read in `tz` (the agent's zone).
pub fn parse_action_in(
    words: &[String],
    now: i64,
    tz: &jiff::tz::TimeZone,
) -> Result<Action, ActionUsageError> {
    match (words.first().map(String::as_str), words.get(1)) {
        (Some("snooze"), Some(when)) if words.len() == 2 => {
            crate::triage::when::parse(when, now, tz)
                .map(Action::Snooze)
                .map_err(|_| ActionUsageError::BadWhen { when: when.clone() })
        }
        _ => parse_action(words, now),
    }
}

const ACTION_USAGE: &str =
    "ACTION is claim, assign AGENT, unassign, pending, done, reopen or snooze WHEN";

/// Why the words after the UID are not an action.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActionUsageError {
    /// No action, or words after its argument.
    #[error("{ACTION_USAGE}")]
    Missing,
    #[error("{ACTION_USAGE} (got: {})", sanitize::single_line(got))]
    Unknown { got: String },
    #[error("{ACTION_USAGE}")]
    TooManyWords,
    #[error("name the messages: UID[,UID…] before the action, or --search QUERY")]
    NoUid,
    #[error("--search chooses the messages: no UID with it")]
    UidsAndSearch,
    #[error(
        "snooze: {:?} is not a time to come (30m, in 3h, 2d, tomorrow 9, friday 14:00, next week, YYYY-MM-DD[THH:MM]; in agent.timezone)",
        sanitize::single_line(when)
    )]
    BadWhen { when: String },
}

pub fn parse_action(words: &[String], now: i64) -> Result<Action, ActionUsageError> {
    let first = words
        .first()
        .map(String::as_str)
        .ok_or(ActionUsageError::Missing)?;
    let arg = words.get(1);
    let action = match (first, arg) {
        ("claim", None) => Action::Claim,
        ("assign", Some(agent)) => Action::Assign(agent.clone()),
        ("unassign", None) => Action::Unassign,
        ("pending", None) => Action::Pending,
        ("done", None) => Action::Done,
        ("reopen", None) => Action::Reopen,
        ("snooze", Some(when)) => Action::Snooze(
            parse_when(when, now)
                .ok_or_else(|| ActionUsageError::BadWhen { when: when.clone() })?,
        ),
        _ => {
            return Err(ActionUsageError::Unknown {
                got: words.join(" "),
            });
        }
    };
    if words.len() > 2 {
        return Err(ActionUsageError::TooManyWords);
    }
    Ok(action)
}

/// The UIDs at the front of `words` (`118,120 121`), and the words after them (the action).
pub fn split_uids(words: &[String]) -> Result<(Vec<u32>, &[String]), ActionUsageError> {
    let mut uids = Vec::new();
    let mut rest = words;
    while let Some((first, more)) = rest.split_first() {
        let parts: Option<Vec<u32>> = first
            .split(',')
            .map(|p| p.trim().parse::<u32>().ok().filter(|u| *u > 0))
            .collect();
        match parts {
            Some(p) if first.starts_with(|c: char| c.is_ascii_digit()) => uids.extend(p),
            _ => break,
        }
        rest = more;
    }
    let mut seen = std::collections::HashSet::new();
    uids.retain(|u| seen.insert(*u));
    Ok((uids, rest))
}

/// Runs the command on each UID at the front of `words` (or each message matching `search`);
/// `Ok(false)` when an action did not happen (a lost claim; with several messages, any
/// failure). `folder` is where the UIDs are, with the folder mapping (`Pending`,
/// `Assigned/bob`, or a full name); default the account's mailbox.
pub fn run(
    config: &Config,
    account: &str,
    words: &[String],
    search: Option<&str>,
    folder: Option<&str>,
    json: bool,
    force: bool,
) -> Result<bool, TriageCliError> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let (mut uids, action_words) = split_uids(words)?;
    let tz = crate::triage::when::config_zone(Some(config));
    let action = parse_action_in(action_words, now, &tz)?;
    let account = find_account(config, account)?;
    match (search, uids.is_empty()) {
        (Some(_), false) => return Err(ActionUsageError::UidsAndSearch.into()),
        (None, true) => return Err(ActionUsageError::NoUid.into()),
        (Some(q), true) => {
            let rows = super::list::summaries(account, false)?;
            uids = super::search::matching(config, account, rows, q, false)?
                .iter()
                .map(|s| s.uid)
                .collect();
        }
        (None, false) => {}
    }
    let me = config.agent.id.as_str();
    let results: Vec<(u32, Result<Applied, ActError>)> = match &account.imap {
        Some(imap) if !uids.is_empty() => {
            let mut conn = open_session(&Target {
                account: &account.name,
                config: imap,
            })
            .map_err(ListError::from)?;
            let results = match act::select_with_rights(&mut conn, &imap.mailbox, imap.team_state)
            {
                Err(e) => uids.iter().map(|u| (*u, Err(e.clone()))).collect(),
                Ok(mut selected) => uids
                    .iter()
                    .map(|&uid| {
                        let r = (|| {
                            if folder.is_none()
                                && let Some(id) = cached_message_id(account, imap, &selected, uid)
                            {
                                selected.know_message_id(uid, &id);
                            }
                            let from = match (&selected.mapping, folder) {
                                (_, None) => imap.mailbox.clone(),
                                (Mapping::Folders(tf), Some(f)) => tf.resolve(f).ok_or_else(|| {
                                    ActError::NotTeamFolder(sanitize::single_line(f))
                                })?,
                                (Mapping::Keywords, Some(f)) if f == imap.mailbox => f.to_string(),
                                (Mapping::Keywords, Some(_)) => {
                                    return Err(ActError::Server(
                                        "--in names a team folder, but team state is kept in keywords here"
                                            .into(),
                                    ));
                                }
                            };
                            let applied = act::apply_recorded(
                                &mut conn, &selected, &from, uid, &action, me, !force, account,
                            )?;
                            act::archive_done(&mut conn, applied, account.archive_folder.as_deref())
                        })();
                        (uid, r)
                    })
                    .collect(),
            };
            let _ = conn.session.logout();
            results
        }
        Some(_) => Vec::new(),
        None if folder.is_some() => {
            return Err(TriageCliError::InNeedsImap);
        }
        None => uids
            .iter()
            .map(|&uid| (uid, maildir_apply(account, uid, &action, me)))
            .collect(),
    };
    let mut out = std::io::stdout().lock();
    if let [(uid, result)] = results.as_slice() {
        return report_one(&mut out, *uid, result.clone(), json);
    }
    report_many(&mut out, &results, json)
}

/// One message: its state after, or the lost claim (`Ok(false)`), or the error.
fn report_one(
    out: &mut impl Write,
    uid: u32,
    result: Result<Applied, ActError>,
    json: bool,
) -> Result<bool, TriageCliError> {
    match result {
        Ok(applied) => {
            if json {
                let v = serde_json::json!({ "ok": true, "result": applied });
                super::print_json(out, &v)?;
            } else {
                write_applied(out, uid, &applied)?;
            }
            Ok(true)
        }
        Err(ActError::Lost { winner }) => {
            if json {
                let v = serde_json::json!({ "ok": false, "lost_to": winner });
                super::print_json(out, &v)?;
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

fn write_applied(out: &mut impl Write, uid: u32, applied: &Applied) -> std::io::Result<()> {
    writeln!(
        out,
        "{} UID {}: {}",
        applied.action,
        uid,
        describe(&applied.after)
    )?;
    let mapping = if applied.mapping == MappingKind::Folders {
        "(folder mapping) "
    } else {
        ""
    };
    match &applied.moved_to {
        Some(to) => writeln!(
            out,
            "  {mapping}now in {}{}",
            sanitize::single_line(&to.mailbox),
            to.uid.map(|u| format!(", UID {u}")).unwrap_or_default()
        ),
        None if !mapping.is_empty() => writeln!(out, "  {mapping}not moved"),
        None => Ok(()),
    }
}

/// Several messages (or none matched the search): a line (or a JSON object) per UID and a
/// summary; `Ok(false)` when any was not applied.
fn report_many(
    out: &mut impl Write,
    results: &[(u32, Result<Applied, ActError>)],
    json: bool,
) -> Result<bool, TriageCliError> {
    let failed = results.iter().filter(|(_, r)| r.is_err()).count();
    if json {
        let v: Vec<serde_json::Value> = results
            .iter()
            .map(|(uid, r)| match r {
                Ok(a) => serde_json::json!({ "uid": uid, "ok": true, "result": a }),
                Err(ActError::Lost { winner }) => {
                    serde_json::json!({ "uid": uid, "ok": false, "lost_to": winner })
                }
                Err(e) => serde_json::json!({ "uid": uid, "ok": false, "error": e.to_string() }),
            })
            .collect();
        super::print_json(out, &v)?;
    } else {
        for (uid, r) in results {
            match r {
                Ok(a) => write_applied(out, *uid, a)?,
                Err(e) => writeln!(
                    out,
                    "UID {uid}: not applied: {}",
                    sanitize::single_line(e.to_string().trim())
                )?,
            }
        }
        writeln!(
            out,
            "{} message{}; {failed} not applied",
            results.len() - failed,
            if results.len() - failed == 1 { "" } else { "s" }
        )?;
    }
    Ok(failed == 0)
}

/// The Message-ID the header cache holds for mailbox UID `uid` (from an earlier `list` or
/// TUI session), when the cache is of the same UIDVALIDITY: the folder mapping names the
/// winner with it when the message left the mailbox before this claim.
fn cached_message_id(
    account: &crate::config::Account,
    imap: &crate::config::Imap,
    selected: &act::Selected,
    uid: u32,
) -> Option<String> {
    if !matches!(selected.mapping, Mapping::Folders(_)) {
        return None;
    }
    let server = crate::net::Server {
        host: imap.host.clone(),
        port: imap.port(),
    };
    let key = MailboxState::key_for(&account.name, &server, &imap.login, &imap.mailbox);
    let mut state = MailboxState::new(key, &imap.mailbox).quiet_rows();
    let cache = super::mailbox::header_cache().ok()?;
    if state.load_cache_quietly(&cache).is_some()
        || state.uid_validity() == 0
        || state.uid_validity() != selected.uid_validity
    {
        return None;
    }
    state
        .rows()
        .iter()
        .find(|s| s.uid == uid)
        .and_then(|s| s.message_id())
        .map(str::to_string)
}

/// Maildir has no MODSEQ: apply and read back (one user's local folder, no races to lose).
fn maildir_apply(
    account: &crate::config::Account,
    uid: u32,
    action: &Action,
    me: &str,
) -> Result<Applied, ActError> {
    let (mut b, mailbox) =
        crate::engine::open_backend(account).map_err(|e| ActError::Server(e.to_string()))?;
    local::record_snooze(b.as_mut(), &mailbox, account, uid, action, me)?;
    let mut applied = local::apply_backend(b.as_mut(), &mailbox, uid, action, me)?;
    if let (Action::Snooze(until), true) = (action, applied.after.snoozed) {
        applied.after.snoozed_until = Some(*until);
    }
    local::archive_local(
        b.as_mut(),
        &mailbox,
        applied,
        account.archive_folder.as_deref(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snooze_is_read_in_the_agents_zone() {
        let w = |s: &str| s.split(' ').map(str::to_string).collect::<Vec<_>>();
        let tz = crate::triage::when::zone_named("+02:00").unwrap();
        let now = crate::triage::state::parse_minute("202611271403").unwrap();
        let at = |s: &str| match parse_action_in(&w(s), now, &tz) {
            Ok(Action::Snooze(t)) => Some(crate::triage::state::format_minute(t)),
            _ => None,
        };
        assert_eq!(
            at("snooze 2026-12-01T09:00").as_deref(),
            Some("202612010700")
        );
        assert_eq!(at("snooze tomorrow").as_deref(), Some("202611280700"));
        assert!(parse_action_in(&w("snooze 2020-01-01"), now, &tz).is_err());
        assert_eq!(
            parse_action_in(&w("done"), now, &tz).ok(),
            Some(Action::Done)
        );
    }

    #[test]
    fn when_parses_absolute_and_relative() {
        assert_eq!(parse_when("+30m", 1000), Some(2800));
        assert_eq!(parse_when("+2d", 0), Some(172_800));
        assert_eq!(
            parse_when("2026-12-01T09:00", 0)
                .map(crate::triage::state::format_minute)
                .as_deref(),
            Some("202612010900")
        );
        assert_eq!(parse_when("tomorrow", 0), Some(86_400 + 9 * 3600));
        for bad in ["", "+", "+5x", "+-1h", "later", "2026-13-01T09:00"] {
            assert_eq!(parse_when(bad, 0), None, "{bad:?}");
        }
    }

    #[test]
    fn uids_come_before_the_action() {
        let w = |s: &str| s.split(' ').map(str::to_string).collect::<Vec<_>>();
        let words = w("118,120 121 118 assign 42");
        let (uids, rest) = split_uids(&words).unwrap();
        assert_eq!(uids, [118, 120, 121]);
        assert_eq!(rest, w("assign 42"));
        let words = w("done");
        assert_eq!(split_uids(&words).unwrap().0, Vec::<u32>::new());
        // Not a UID list: the action starts there.
        let words = w("5,x done");
        assert_eq!(split_uids(&words).unwrap(), (vec![], words.as_slice()));
        let words = w("0 done");
        assert_eq!(split_uids(&words).unwrap().0, Vec::<u32>::new());
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
        let usage = "ACTION is claim, assign AGENT, unassign, pending, done, reopen or snooze WHEN";
        assert_eq!(
            parse_action(&w("assign bob now"), 0)
                .unwrap_err()
                .to_string(),
            usage
        );
        assert_eq!(parse_action(&[], 0).unwrap_err().to_string(), usage);
        assert_eq!(
            parse_action(&w("archive\x1b[2J x"), 0)
                .unwrap_err()
                .to_string(),
            format!(
                "{usage} (got: {})",
                sanitize::single_line("archive\x1b[2J x")
            )
        );
        assert_eq!(
            parse_action(&w("snooze later"), 0).unwrap_err(),
            ActionUsageError::BadWhen {
                when: "later".into()
            }
        );
        assert_eq!(
            parse_action(&w("snooze later"), 0).unwrap_err().to_string(),
            "snooze: \"later\" is not a time to come (30m, in 3h, 2d, tomorrow 9, friday 14:00, next week, YYYY-MM-DD[THH:MM]; in agent.timezone)"
        );
    }
}
