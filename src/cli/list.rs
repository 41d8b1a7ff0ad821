//! `mailroom list ACCOUNT`: the message list of an account's mailbox, newest first (arrival
//! time, as the column view) or in another `--sort` order (`mail::sort`).

use std::collections::HashMap;
use std::io::Write;

use serde::Serialize;

use crate::backend::BackendError;
use crate::config::{Account, Config};
use crate::insight::stats;
use crate::mail::date;
use crate::mail::display::{fit, sender_label};
use crate::mail::snooze::WakeTimes;
use crate::mail::snooze::is_snooze_keyword;
use crate::mail::sort::Sort;
use crate::message::{Addrs, Summary};
use crate::policy::team::Sla;
use crate::policy::team::sla::{self, Response, Status};
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
    /// When the first response is due under the team policy's `[sla]` (RFC 3339 UTC); null
    /// when it was met or there is no target.
    pub sla_due: Option<String>,
    /// `none` (no target), `ok`, `due_soon`, `overdue`, `met` or `breached`.
    pub sla_state: &'static str,
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
            sla_due: None,
            sla_state: sla::State::None.name(),
        }
    }

    /// This row with its place against the first-response target.
    pub fn with_sla(self, status: &Status) -> Row {
        Row {
            sla_due: status.due.map(date::rfc3339_utc),
            sla_state: status.state.name(),
            ..self
        }
    }
}

/// What a row's place against the first-response target needs: the target, the first
/// responses found in the Sent folder (`insight::stats::first_replies`: INTERNALDATE by the
/// answered message's id, `stats::id_key`), and the clock.
#[derive(Debug, Clone, Default)]
pub struct SlaContext {
    pub sla: Option<Sla>,
    pub replies: HashMap<String, i64>,
    pub now: i64,
}

impl SlaContext {
    /// The row's status: its first response in Sent when there is one, else its own marks
    /// (`policy::team::sla::row_response`).
    pub fn status(&self, s: &Summary) -> Status {
        let Some(sla) = &self.sla else {
            return Status::NONE;
        };
        let response = s
            .message_id()
            .and_then(|id| self.replies.get(&stats::id_key(id)))
            .map_or_else(|| sla::row_response(s), |&t| Response::At(t));
        sla::status(Some(sla), s.internal_date, response, self.now)
    }
}

/// The rows of `list --json`: snooze wake times and SLA status included.
pub fn json_rows(shown: &[Summary], wakes: &WakeTimes, sla: &SlaContext) -> Vec<Row> {
    shown
        .iter()
        .map(|s| {
            Row {
                snoozed_until: until(s, wakes).map(date::rfc3339_utc),
                ..Row::from_summary(s)
            }
            .with_sla(&sla.status(s))
        })
        .collect()
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
    // Read after the rows: a mailbox that cannot be listed is not asked for its policy.
    let sla = sla_context(account, shown, offline);
    let mut out = std::io::stdout().lock();
    if json {
        super::print_json(&mut out, &json_rows(shown, &wakes, &sla))?;
    } else {
        write_table_with(shown, &wakes, &sla, &mut out)?;
    }
    // The process ends right after: freeing 100,000 rows one allocation at a time would only
    // delay the exit (and a warm start) by tens of milliseconds.
    std::mem::forget(rows);
    Ok(())
}

/// The target of the team policy in force and, unless `offline`, the first responses in the
/// Sent folder to the rows `shown` (read from the oldest one's arrival on); a Sent folder that
/// cannot be read is a warning, and the rows' own marks stand in.
fn sla_context(account: &Account, shown: &[Summary], offline: bool) -> SlaContext {
    let now = crate::insight::collect::now();
    let sla = sla_target(account, offline);
    let mut replies = HashMap::new();
    if sla.is_some() && !offline && !shown.is_empty() {
        let oldest = shown.iter().map(|s| s.internal_date).min();
        match crate::insight::collect::read_sent(account, oldest) {
            Ok(sent) => {
                replies = stats::first_replies(&sent)
                    .into_iter()
                    .map(|(id, (at, _, _))| (id, at))
                    .collect();
            }
            Err(e) => eprintln!(
                "mailroom: warning: the Sent folder could not be read for the first responses: {}",
                sanitize::single_line(&e.to_string())
            ),
        }
    }
    SlaContext { sla, replies, now }
}

/// The first-response target (`[sla]`) of the team policy in force for `account`: read from
/// its policy folder (the copy kept from the last read when the server cannot be reached, or
/// with `offline`); a problem is a warning, and the rows are listed without a target.
pub fn sla_target(account: &Account, offline: bool) -> Option<Sla> {
    let cache = crate::engine::policy::default_cache();
    let learned = if offline {
        crate::engine::policy::kept(account, cache.as_ref())
    } else {
        crate::engine::policy::learn(account, cache.as_ref())
    };
    if let Some(w) = &learned.warning {
        eprintln!("mailroom: warning: {}", sanitize::single_line(w));
    }
    learned.in_force.and_then(|p| p.policy.sla.clone())
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
    write_table_with(rows, &WakeTimes::new(), &SlaContext::default(), out)
}

/// [`write_table`], with "until <time> UTC" after the keywords of a snoozed row whose wake time
/// `wakes` (or an earlier version's keyword) gives, and with a first-response target an SLA
/// column ("3h left", "2h over", "met", "breached").
pub fn write_table_with(
    rows: &[Summary],
    wakes: &WakeTimes,
    sla: &SlaContext,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let sla_column = |text: &str| match &sla.sla {
        Some(_) => format!("{text:<8}  "),
        None => String::new(),
    };
    writeln!(
        out,
        "{:>6}  {:<16}  {:<4}  {}{}  SUBJECT",
        "UID",
        "DATE (UTC)",
        "FLAG",
        sla_column("SLA"),
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
            "{:>6}  {:<16}  {}  {}{}  {}{}",
            s.uid,
            date::short_utc(s.date.unwrap_or(s.internal_date)),
            marks(s),
            sla_column(&sla.status(s).short()),
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
    fn json_and_table_carry_the_sla() {
        // Monday 2026-03-02 00:00 UTC; a 4h target around the clock, due soon in the last hour.
        const MON: i64 = 1_772_409_600;
        let sla = Sla {
            first_response: 4 * 3600,
            hours: None,
            offset: 0,
            due_soon: 3600,
        };
        let row = |uid: u32, at: i64, answered: bool| {
            Summary::new(Fields {
                uid,
                internal_date: at,
                message_id: Some(format!("Q{uid}@customer.test")),
                flags: crate::message::Flags {
                    answered,
                    ..Default::default()
                },
                ..Fields::default()
            })
        };
        let now = MON + 10 * 3600;
        let rows = [
            row(1, now - 3600, false),
            row(2, now - 3 * 3600 - 1800, false),
            row(3, now - 6 * 3600, false),
            row(4, now - 6 * 3600, true),
            row(5, now - 8 * 3600, true),
            row(6, now - 9 * 3600, false),
        ];
        // In Sent: #5 answered after 5h (breached, whatever its marks), #6 after 2h (met).
        let context = SlaContext {
            sla: Some(sla),
            replies: [
                ("q5@customer.test".to_string(), now - 3 * 3600),
                ("q6@customer.test".to_string(), now - 7 * 3600),
            ]
            .into(),
            now,
        };
        let json = json_rows(&rows, &WakeTimes::new(), &context);
        let got: Vec<(&str, Option<&str>)> = json
            .iter()
            .map(|r| (r.sla_state, r.sla_due.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                ("ok", Some("2026-03-02T13:00:00Z")),
                ("due_soon", Some("2026-03-02T10:30:00Z")),
                ("overdue", Some("2026-03-02T08:00:00Z")),
                ("met", None),
                ("breached", Some("2026-03-02T06:00:00Z")),
                ("met", None),
            ]
        );
        let text = serde_json::to_string(&json[3]).unwrap();
        assert!(
            text.contains(r#""sla_due":null,"sla_state":"met""#),
            "{text}"
        );
        let none = json_rows(&rows, &WakeTimes::new(), &SlaContext::default());
        assert!(
            none.iter()
                .all(|r| r.sla_state == "none" && r.sla_due.is_none())
        );

        let mut out = Vec::new();
        write_table_with(&rows, &WakeTimes::new(), &context, &mut out).unwrap();
        let out = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines[0].contains("FLAG  SLA       FROM"), "{out}");
        assert!(lines[1].contains("3h left"), "{out}");
        assert!(lines[2].contains("30m left"), "{out}");
        assert!(lines[3].contains("2h over"), "{out}");
        assert!(lines[4].contains("NA    met "), "{out}");
        assert!(lines[5].contains("NA    breached "), "{out}");
        let mut plain = Vec::new();
        write_table(&rows, &mut plain).unwrap();
        assert!(!String::from_utf8(plain).unwrap().contains("SLA"));
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
