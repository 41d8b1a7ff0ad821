//! `mailroom list ACCOUNT`: the message list of an account's mailbox, newest first (arrival
//! time, as the column view) or in another `--sort` order (`mail::sort`).

use std::io::Write;

use serde::Serialize;

use crate::backend::BackendError;
use crate::config::{Account, Config};
use crate::mail::date;
use crate::mail::display::{fit, sender_label};
use crate::mail::snooze::WakeTimes;
use crate::mail::snooze::is_snooze_keyword;
use crate::mail::sort::Sort;
use crate::message::{Addrs, Summary};
use crate::sanitize;

#[derive(Debug, thiserror::Error)]
pub enum ListError {
    #[error("no account named {0:?} (accounts: {1})")]
    NoAccount(String, String),
    #[error(transparent)]
    Backend(#[from] BackendError),
    #[error(transparent)]
    Imap(#[from] crate::imap::ImapError),
    #[error(transparent)]
    Open(#[from] crate::engine::OpenError),
    #[error("header cache: {0}")]
    Cache(String),
    /// `--search`: the query is wrong, or asks what the account cannot search.
    #[error("account {account:?}: --search: {reason}")]
    Query {
        account: String,
        reason: crate::triage::query::QueryError,
    },
    /// The server refused or failed the search.
    #[error("account {account:?}: --search in {mailbox:?}: {message}")]
    Search {
        account: String,
        mailbox: String,
        message: String,
    },
    #[error("cannot write the output: {0}")]
    Output(#[from] std::io::Error),
    /// Reading one message (or saving its attachment) failed; `what` says which step.
    #[error("account {account:?}: {what} UID {uid} in {mailbox:?}: {message}")]
    Message {
        account: String,
        mailbox: String,
        uid: u32,
        what: &'static str,
        message: String,
    },
}

/// One row of `list --json`.
#[derive(Debug, Serialize)]
pub struct Row {
    pub uid: u32,
    /// The Date: header (RFC 3339, UTC), else the arrival time.
    pub date: String,
    /// When the server received it (INTERNALDATE), RFC 3339 UTC.
    pub received: String,
    pub from: String,
    pub sender: Option<String>,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub subject: String,
    pub message_id: Option<String>,
    pub flags: Vec<&'static str>,
    pub keywords: Vec<String>,
    /// When a snoozed message wakes (RFC 3339 UTC), from its snooze record; absent when the
    /// message is not snoozed or its wake time is unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snoozed_until: Option<String>,
    pub attachment: bool,
    pub size: u64,
}

fn addr_list(v: Addrs<'_>) -> Vec<String> {
    v.map(|a| a.display()).collect()
}

impl Row {
    /// JSON carries the decoded text as-is (`sanitize::to_json_pretty` escapes every control);
    /// terminals get the sanitized table.
    pub fn from_summary(s: &Summary) -> Row {
        Row {
            uid: s.uid,
            date: date::rfc3339_utc(s.date.unwrap_or(s.internal_date)),
            received: date::rfc3339_utc(s.internal_date),
            from: addr_list(s.from()).join(", "),
            sender: (!s.sender().is_empty() && s.sender() != s.from())
                .then(|| addr_list(s.sender()).join(", ")),
            to: addr_list(s.to()),
            cc: addr_list(s.cc()),
            subject: s.subject().to_string(),
            message_id: s.message_id().map(str::to_string),
            flags: s.flags.names(),
            keywords: s.keywords.to_vec(),
            snoozed_until: None,
            attachment: s.has_attachment,
            size: s.size,
        }
    }
}

pub fn find_account<'a>(config: &'a Config, name: &str) -> Result<&'a Account, ListError> {
    config
        .accounts
        .iter()
        .find(|a| a.name == name)
        .ok_or_else(|| {
            ListError::NoAccount(
                sanitize::single_line(name),
                config
                    .accounts
                    .iter()
                    .map(|a| a.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            )
        })
}

/// Reads every summary of the account's mailbox, newest (highest UID) first.
pub fn summaries(account: &Account, offline: bool) -> Result<Vec<Summary>, ListError> {
    super::mailbox::rows(account, offline)
}

pub fn run(
    config: &Config,
    account: &str,
    json: bool,
    limit: Option<usize>,
    sort: Sort,
    offline: bool,
    search: Option<&str>,
) -> Result<(), ListError> {
    let account = find_account(config, account)?;
    let mut rows = summaries(account, offline)?;
    if let Some(query) = search {
        rows = super::search::matching(config, account, rows, query, offline)?;
    }
    sort.sort(&mut rows);
    let shown = &rows[..limit.unwrap_or(rows.len()).min(rows.len())];
    let wakes = snoozed_wakes(account, shown, offline);
    let mut out = std::io::stdout().lock();
    if json {
        let shown: Vec<Row> = shown
            .iter()
            .map(|s| Row {
                snoozed_until: until(s, &wakes).map(date::rfc3339_utc),
                ..Row::from_summary(s)
            })
            .collect();
        super::print_json(&mut out, &shown)?;
    } else {
        write_table_with(shown, &wakes, &mut out)?;
    }
    // The process ends right after: freeing 100,000 rows one allocation at a time would only
    // delay the exit (and a warm start) by tens of milliseconds.
    std::mem::forget(rows);
    Ok(())
}

/// The wake times of the snoozed rows among `shown`, read only when there is one (and not
/// `offline`); a failure is a warning, and the rows are listed without their wake times.
fn snoozed_wakes(account: &Account, shown: &[Summary], offline: bool) -> WakeTimes {
    let any = shown
        .iter()
        .any(|s| s.keywords.iter().any(|k| is_snooze_keyword(k)));
    if !any || offline {
        return WakeTimes::new();
    }
    super::mailbox::wake_times(account).unwrap_or_else(|e| {
        eprintln!(
            "mailroom: warning: snooze wake times could not be read: {}",
            sanitize::single_line(&e)
        );
        WakeTimes::new()
    })
}

/// When a snoozed row wakes: its record's time, else an earlier version's keyword minute.
fn until(s: &Summary, wakes: &WakeTimes) -> Option<i64> {
    let t = crate::triage::view::team_state(s, wakes);
    if t.snoozed { t.snoozed_until } else { None }
}

/// Short flag marks: N new (unseen), A answered, F flagged, D draft, @ attachment.
fn marks(s: &Summary) -> String {
    let mut m = String::new();
    m.push(if s.flags.seen { ' ' } else { 'N' });
    m.push(if s.flags.answered { 'A' } else { ' ' });
    m.push(if s.flags.flagged { 'F' } else { ' ' });
    m.push(if s.has_attachment { '@' } else { ' ' });
    m
}

pub fn write_table(rows: &[Summary], out: &mut dyn Write) -> std::io::Result<()> {
    write_table_with(rows, &WakeTimes::new(), out)
}

/// [`write_table`], with "until <time> UTC" after the keywords of a snoozed row whose wake time
/// `wakes` (or an earlier version's keyword) gives.
pub fn write_table_with(
    rows: &[Summary],
    wakes: &WakeTimes,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    writeln!(
        out,
        "{:>6}  {:<16}  {:<4}  {}  SUBJECT",
        "UID",
        "DATE (UTC)",
        "FLAG",
        fit("FROM", 28),
    )?;
    for s in rows {
        let mut keywords = if s.keywords.is_empty() {
            String::new()
        } else {
            format!("  [{}]", s.keywords.join(" "))
        };
        if let Some(t) = until(s, wakes) {
            keywords.push_str(&format!(" until {} UTC", date::short_utc(t)));
        }
        writeln!(
            out,
            "{:>6}  {:<16}  {}  {}  {}{}",
            s.uid,
            date::short_utc(s.date.unwrap_or(s.internal_date)),
            marks(s),
            fit(&sanitize::single_line(&sender_label(s)), 28),
            sanitize::single_line(s.subject()),
            sanitize::single_line(&keywords),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{Address, Fields};

    #[test]
    fn fit_pads_and_cuts_by_cells() {
        assert_eq!(fit("abc", 5), "abc  ");
        assert_eq!(fit("山田太郎", 5), "山田…");
        assert_eq!(fit("abcdef", 4), "abc…");
    }

    #[test]
    fn on_behalf_rows_say_via() {
        let s = Summary::new(Fields {
            from: vec![Address {
                name: Some("Example Sales".into()),
                email: "sales@example.test".into(),
            }],
            sender: vec![Address {
                name: Some("Bob".into()),
                email: "bob@example.test".into(),
            }],
            ..Fields::default()
        });
        assert_eq!(sender_label(&s), "Bob via sales@example.test");
    }

    #[test]
    fn table_never_prints_escapes() {
        let s = Summary::new(Fields {
            uid: 1,
            subject: "\x1b]0;pwned\x07 hi".into(),
            from: vec![Address {
                name: Some("\x1b[31mEvil".into()),
                email: "e@x".into(),
            }],
            ..Fields::default()
        });
        let mut out = Vec::new();
        write_table(&[s], &mut out).unwrap();
        assert!(!out.contains(&0x1b));
        assert!(!out.contains(&0x07));
    }
}
