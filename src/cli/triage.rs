//! `mailroom triage ACCOUNT UID ACTION`: claim, assign, status and snooze from the command line,
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

/// Runs the command; `Ok(false)` when the action did not happen (a lost claim). `folder` is
/// where the UID is, with the folder mapping (`Pending`, `Assigned/bob`, or a full name);
/// default the account's mailbox.
pub fn run(
    config: &Config,
    account: &str,
    uid: u32,
    words: &[String],
    folder: Option<&str>,
    json: bool,
    force: bool,
) -> Result<bool, TriageCliError> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let tz = crate::triage::when::config_zone(Some(config));
    let action = parse_action_in(words, now, &tz)?;
    let account = find_account(config, account)?;
    let me = config.agent.id.as_str();
    let result: Result<Applied, ActError> = match &account.imap {
        Some(imap) => {
            let mut conn = open_session(&Target {
                account: &account.name,
                config: imap,
            })
            .map_err(ListError::from)?;
            let r = act::select_with_rights(&mut conn, &imap.mailbox, imap.team_state).and_then(
                |mut selected| {
                    if folder.is_none()
                        && let Some(id) = cached_message_id(account, imap, &selected, uid)
                    {
                        selected.know_message_id(uid, &id);
                    }
                    let from = match (&selected.mapping, folder) {
                        (_, None) => imap.mailbox.clone(),
                        (Mapping::Folders(tf), Some(f)) => tf
                            .resolve(f)
                            .ok_or_else(|| ActError::NotTeamFolder(sanitize::single_line(f)))?,
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
                },
            );
            let _ = conn.session.logout();
            r
        }
        None if folder.is_some() => {
            return Err(TriageCliError::InNeedsImap);
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
                    )?,
                    None if !mapping.is_empty() => writeln!(out, "  {mapping}not moved")?,
                    None => {}
                }
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
