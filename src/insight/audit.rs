//! `mailroom audit`: who sent what, as which identity and mode, to whom, when, with what
//! result.
//!
//! Two sources are merged:
//! - the local audit log (`store::audit`): one record per send attempt's outcome, written by
//!   the pipeline on this machine — the only place refused and deferred attempts exist;
//! - the Sent folder of every account (IMAP: one connection, `UID FETCH` of INTERNALDATE and a
//!   few header fields; Maildir: through the [`Backend`] trait): every message that went out
//!   and was filed, from any machine and any client.
//!
//! Folding: log records with the same account, Message-ID and result are one row (a resumed
//! filing can write "sent" twice); a Sent copy joins the "sent" row of the same account and
//! Message-ID (source "log+sent"), two copies of one message are one row, and a copy without a
//! local record is a row of its own (source "sent", result "sent (no local record)").
//! Log fields win where both sources have one (they are what was transmitted, Bcc included);
//! the copy fills in what the log lacks.
//!
//! Rows are returned newest first.

use std::collections::HashMap;

use serde::Serialize;

use crate::backend::{Backend, BackendError};
use crate::config::{Account, Config};
use crate::imap::ImapError;
use crate::imap::connect::{DEFAULT_READ_BUDGET, ImapConn, Target, describe, open_session};
use crate::imap::quote_mailbox;
use crate::mail::utf7;
use crate::message::Summary;
use crate::sanitize::single_line;
use crate::store::audit::Record;

/// Result of a Sent copy that no local audit record describes.
pub const NO_LOCAL_RECORD: &str = "sent (no local record)";
/// Agent of a row whose agent no source names.
pub const UNKNOWN_AGENT: &str = "unknown";
/// Header fields read from each Sent copy.
pub const SENT_FIELDS: &str = "MESSAGE-ID FROM SENDER TO CC DATE SUBJECT X-MAILROOM-AGENT";
/// UIDs fetched per `UID FETCH` command.
const FETCH_CHUNK: usize = 500;
/// At most this many recipients are kept per row (the rest is counted, not listed).
const MAX_RECIPIENTS: usize = 200;

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error(
        "--since {0:?}: expected a day (YYYY-MM-DD) or an RFC 3339 time (2026-11-27T14:03:00Z)"
    )]
    BadSince(String),
    #[error("no account {0:?} in the configuration or the audit log (accounts: {1})")]
    NoAccount(String, String),
    #[error(transparent)]
    Imap(#[from] ImapError),
    #[error("account {account:?}: Sent folder {folder:?}: {message}")]
    Sent {
        account: String,
        folder: String,
        message: String,
    },
    #[error(transparent)]
    Backend(#[from] BackendError),
}

/// What `--account`, `--agent` and `--since` ask for.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub account: Option<String>,
    pub agent: Option<String>,
    /// Unix seconds; rows before it are left out.
    pub since: Option<i64>,
}

impl Filter {
    fn keeps(&self, row: &Row) -> bool {
        self.account.as_ref().is_none_or(|a| &row.account == a)
            && self.agent.as_ref().is_none_or(|a| &row.agent == a)
            && self.since.is_none_or(|s| row.epoch >= s)
    }
}

/// One row of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    /// RFC 3339, UTC: the audit record's time, else the Sent copy's INTERNALDATE.
    pub time: String,
    #[serde(skip)]
    pub epoch: i64,
    pub account: String,
    /// The audit record's agent; else the copy's `X-Mailroom-Agent`; else the agent whose
    /// address is the copy's Sender; else "unknown".
    pub agent: String,
    /// The From address (the identity the customer saw).
    pub identity: String,
    /// The Sender address, in on-behalf mode.
    pub sender: Option<String>,
    /// "as", or "on-behalf" when a Sender is present and differs from From.
    pub mode: &'static str,
    /// The envelope sender (log only).
    pub mail_from: Option<String>,
    /// The envelope recipients, Bcc included (log); else To and Cc of the copy.
    pub recipients: Vec<String>,
    pub subject: String,
    /// Without angle brackets.
    pub message_id: Option<String>,
    /// "sent", "refused: …", "deferred: …" (log), or "sent (no local record)".
    pub result: String,
    /// "log", "sent" or "log+sent".
    pub source: &'static str,
    #[serde(skip)]
    seq: usize,
}

/// What a Sent copy says about itself (raw values; rows sanitize them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SentCopy {
    pub account: String,
    pub uid: u32,
    /// INTERNALDATE, Unix seconds.
    pub internal_date: i64,
    pub from: Option<String>,
    pub sender: Option<String>,
    /// To and Cc addresses.
    pub recipients: Vec<String>,
    pub subject: String,
    pub message_id: Option<String>,
    /// `X-Mailroom-Agent`, when it is a valid agent id.
    pub agent: Option<String>,
}

impl SentCopy {
    /// From the header section (or the whole message) of a Sent copy.
    pub fn from_header(account: &str, uid: u32, internal_date: i64, header: &[u8]) -> SentCopy {
        let s = crate::mail::parse::summary_from_raw(
            uid,
            header,
            internal_date,
            Default::default(),
            Vec::new(),
        );
        let agent = crate::mail::parse::header_text(header, "X-Mailroom-Agent");
        SentCopy::from_summary(account, &s, agent)
    }

    fn from_summary(account: &str, s: &Summary, agent: Option<String>) -> SentCopy {
        SentCopy {
            account: account.to_string(),
            uid: s.uid,
            internal_date: s.internal_date,
            from: s.from().first().map(|a| a.email.to_string()),
            sender: s.sender().first().map(|a| a.email.to_string()),
            recipients: s
                .to()
                .chain(s.cc())
                .map(|a| a.email.to_string())
                .take(MAX_RECIPIENTS)
                .collect(),
            subject: s.subject().to_string(),
            message_id: s.message_id().map(str::to_string),
            agent: agent
                .map(|a| a.trim().to_string())
                .filter(|a| is_agent_id(a)),
        }
    }
}

/// An agent id as the configuration validates them, of a sane length.
fn is_agent_id(s: &str) -> bool {
    s.len() <= 64 && crate::config::is_valid_agent_id(s)
}

/// Sender addresses known to belong to an agent: the configured agent's own address, and
/// every Sender the local audit log recorded for an agent. Keys are lower-cased.
#[derive(Debug, Clone, Default)]
pub struct AgentMap(HashMap<String, String>);

impl AgentMap {
    pub fn new(config: &Config, records: &[Record]) -> AgentMap {
        let mut m = HashMap::new();
        for r in records {
            if let Some(s) = &r.envelope.sender
                && is_agent_id(&r.agent)
            {
                m.entry(s.to_ascii_lowercase())
                    .or_insert_with(|| r.agent.clone());
            }
        }
        for (agent, email) in &config.team.emails {
            m.insert(email.to_ascii_lowercase(), agent.clone());
        }
        m.insert(
            config.agent.email.to_ascii_lowercase(),
            config.agent.id.clone(),
        );
        AgentMap(m)
    }

    pub fn insert(&mut self, address: &str, agent: &str) {
        self.0
            .insert(address.to_ascii_lowercase(), agent.to_string());
    }

    fn agent_of(&self, address: &str) -> Option<&str> {
        self.0
            .get(&address.to_ascii_lowercase())
            .map(String::as_str)
    }
}

fn mode_of(from: &str, sender: Option<&str>) -> &'static str {
    match sender {
        Some(s) if !s.is_empty() && !s.eq_ignore_ascii_case(from) => "on-behalf",
        _ => "as",
    }
}

fn clean(s: &str) -> String {
    single_line(s.trim())
}

fn clean_list(v: &[String]) -> Vec<String> {
    v.iter().take(MAX_RECIPIENTS).map(|s| clean(s)).collect()
}

fn row_from_record(r: &Record, seq: usize) -> Row {
    let epoch = parse_time(&r.time).unwrap_or(0);
    let envelope = &r.envelope;
    let sender = envelope
        .sender
        .as_deref()
        .map(clean)
        .filter(|s| !s.is_empty());
    let identity = clean(&envelope.from);
    Row {
        time: if epoch > 0 {
            crate::mail::date::rfc3339_utc(epoch)
        } else {
            clean(&r.time)
        },
        epoch,
        account: clean(&r.account),
        agent: if r.agent.is_empty() {
            UNKNOWN_AGENT.into()
        } else {
            clean(&r.agent)
        },
        mode: mode_of(&identity, sender.as_deref()),
        identity,
        sender,
        mail_from: Some(clean(&envelope.mail_from)).filter(|s| !s.is_empty()),
        recipients: clean_list(&envelope.recipients),
        subject: clean(&envelope.subject),
        message_id: Some(clean(&envelope.message_id)).filter(|s| !s.is_empty()),
        result: clean(&r.result),
        source: "log",
        seq,
    }
}

fn copy_agent(c: &SentCopy, agents: &AgentMap) -> String {
    c.agent
        .clone()
        .or_else(|| {
            c.sender
                .as_deref()
                .and_then(|s| agents.agent_of(s))
                .map(str::to_string)
        })
        .map(|a| clean(&a))
        .unwrap_or_else(|| UNKNOWN_AGENT.into())
}

fn row_from_copy(c: &SentCopy, agents: &AgentMap, seq: usize) -> Row {
    let identity = clean(c.from.as_deref().unwrap_or_default());
    let sender = c.sender.as_deref().map(clean).filter(|s| !s.is_empty());
    Row {
        time: crate::mail::date::rfc3339_utc(c.internal_date),
        epoch: c.internal_date,
        account: clean(&c.account),
        agent: copy_agent(c, agents),
        mode: mode_of(&identity, sender.as_deref()),
        identity,
        sender,
        mail_from: None,
        recipients: clean_list(&c.recipients),
        subject: clean(&c.subject),
        message_id: c.message_id.as_deref().map(clean).filter(|s| !s.is_empty()),
        result: NO_LOCAL_RECORD.into(),
        source: "sent",
        seq,
    }
}

/// Adds what a Sent copy knows to a row that already exists for the same message.
fn enrich(row: &mut Row, c: &SentCopy, agents: &AgentMap) {
    if row.source == "log" {
        row.source = "log+sent";
    }
    if row.agent == UNKNOWN_AGENT {
        row.agent = copy_agent(c, agents);
    }
    if row.identity.is_empty()
        && let Some(f) = &c.from
    {
        row.identity = clean(f);
    }
    if row.source == "sent" && row.sender.is_none() {
        row.sender = c.sender.as_deref().map(clean).filter(|s| !s.is_empty());
        row.mode = mode_of(&row.identity, row.sender.as_deref());
    }
    if row.recipients.is_empty() {
        row.recipients = clean_list(&c.recipients);
    }
    if row.subject.is_empty() {
        row.subject = clean(&c.subject);
    }
    if row.source == "sent" && c.internal_date > 0 && c.internal_date < row.epoch {
        row.epoch = c.internal_date;
        row.time = crate::mail::date::rfc3339_utc(c.internal_date);
    }
}

/// Merges log records and Sent copies into rows, duplicates folded, newest first.
pub fn merge(records: &[Record], copies: &[SentCopy], agents: &AgentMap) -> Vec<Row> {
    let mut rows: Vec<Row> = Vec::new();
    let mut attempts: HashMap<(String, String, String), usize> = HashMap::new();
    for r in records {
        let row = row_from_record(r, rows.len());
        if let Some(id) = &row.message_id {
            let key = (row.account.clone(), id.clone(), row.result.clone());
            if let Some(&i) = attempts.get(&key) {
                // The same outcome recorded twice: keep the first time.
                if row.epoch > 0 && (rows[i].epoch == 0 || row.epoch < rows[i].epoch) {
                    rows[i].epoch = row.epoch;
                    rows[i].time = row.time;
                }
                continue;
            }
            attempts.insert(key, rows.len());
        }
        rows.push(row);
    }
    // A copy joins the delivered row of its message; refused and deferred attempts stay apart.
    let mut delivered: HashMap<(String, String), usize> = HashMap::new();
    for (i, row) in rows.iter().enumerate() {
        // "sent; …" carries a note from the From check of `sent_copy = "server"`.
        if (row.result == "sent" || row.result.starts_with("sent;"))
            && let Some(id) = &row.message_id
        {
            delivered
                .entry((row.account.clone(), id.clone()))
                .or_insert(i);
        }
    }
    for c in copies {
        let key = c
            .message_id
            .as_deref()
            .map(|id| (clean(&c.account), clean(id)))
            .filter(|(_, id)| !id.is_empty());
        match key.as_ref().and_then(|k| delivered.get(k)) {
            Some(&i) => enrich(&mut rows[i], c, agents),
            None => {
                if let Some(k) = key {
                    delivered.insert(k, rows.len());
                }
                let seq = rows.len();
                rows.push(row_from_copy(c, agents, seq));
            }
        }
    }
    rows.sort_by(|a, b| b.epoch.cmp(&a.epoch).then(b.seq.cmp(&a.seq)));
    rows
}

/// What `audit` gathered: rows, and what could not be read.
#[derive(Debug, Default)]
pub struct Report {
    pub rows: Vec<Row>,
    /// One line per account whose Sent folder could not be read.
    pub errors: Vec<String>,
    /// Audit log lines that did not parse.
    pub bad_log_lines: usize,
}

/// Reads both sources for every account the filter allows, and merges them.
pub fn collect(
    config: &Config,
    log: &crate::store::audit::AuditLog,
    filter: &Filter,
) -> Result<Report, AuditError> {
    let (mut records, bad_log_lines) = log.read();
    if let Some(name) = &filter.account
        && !config.accounts.iter().any(|a| &a.name == name)
        && !records.iter().any(|r| &r.account == name)
    {
        return Err(AuditError::NoAccount(
            single_line(name),
            config
                .accounts
                .iter()
                .map(|a| a.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        ));
    }
    if let Some(name) = &filter.account {
        records.retain(|r| &r.account == name);
    }
    let accounts: Vec<&Account> = config
        .accounts
        .iter()
        .filter(|a| filter.account.as_ref().is_none_or(|n| &a.name == n))
        .collect();
    // One thread per account: a slow server does not hold up the others.
    let results: Vec<(String, Result<Vec<SentCopy>, AuditError>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = accounts
            .iter()
            .map(|a| {
                let a = *a;
                (
                    a.name.clone(),
                    scope.spawn(move || read_sent(a, filter.since)),
                )
            })
            .collect();
        handles
            .into_iter()
            .map(|(name, h)| {
                let r = h.join().unwrap_or_else(|_| {
                    Err(AuditError::Sent {
                        account: name.clone(),
                        folder: String::new(),
                        message: "internal error while reading the Sent folder".into(),
                    })
                });
                (name, r)
            })
            .collect()
    });
    let mut copies = Vec::new();
    let mut errors = Vec::new();
    for (_, r) in results {
        match r {
            Ok(mut c) => copies.append(&mut c),
            Err(e) => errors.push(single_line(&e.to_string())),
        }
    }
    let agents = AgentMap::new(config, &records);
    let rows = merge(&records, &copies, &agents)
        .into_iter()
        .filter(|r| filter.keeps(r))
        .collect();
    Ok(Report {
        rows,
        errors,
        bad_log_lines,
    })
}

/// Every copy in the account's Sent folder (none when it has no `sent` folder configured).
/// With `since`, the server is asked only for messages from the day before it on.
pub fn read_sent(account: &Account, since: Option<i64>) -> Result<Vec<SentCopy>, AuditError> {
    if let Some(imap) = &account.imap {
        let Some(folder) = imap.sent.as_deref() else {
            return Ok(Vec::new());
        };
        let target = Target {
            account: &account.name,
            config: imap,
        };
        let mut conn = open_session(&target)?;
        let result = read_imap_sent(&mut conn, &account.name, folder, since);
        let _ = conn.session.logout();
        return result;
    }
    if let Some(m) = &account.maildir {
        let Some(folder) = m.sent.as_deref() else {
            return Ok(Vec::new());
        };
        let mut b = crate::backend::maildir::MaildirBackend::open(&account.name, &m.path)?;
        return read_backend_sent(&mut b, &account.name, folder, since);
    }
    Ok(Vec::new())
}

/// A Sent folder through the [`Backend`] trait (Maildir): summaries, then each kept message
/// read for its `X-Mailroom-Agent`.
pub fn read_backend_sent(
    b: &mut dyn Backend,
    account: &str,
    folder: &str,
    since: Option<i64>,
) -> Result<Vec<SentCopy>, AuditError> {
    let mut summaries = Vec::new();
    b.summaries(folder, 1, &mut |batch| {
        summaries.extend(
            batch
                .into_iter()
                .filter(|s| since.is_none_or(|t| s.internal_date >= t - 86_400)),
        );
    })?;
    let mut out = Vec::with_capacity(summaries.len());
    for s in &summaries {
        let agent = b
            .fetch(folder, s.uid)
            .ok()
            .and_then(|raw| crate::mail::parse::header_text(&raw, "X-Mailroom-Agent"));
        out.push(SentCopy::from_summary(account, s, agent));
    }
    Ok(out)
}

/// `d-Mon-yyyy` for SEARCH SINCE.
fn imap_date(secs: i64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let day = crate::mail::date::rfc3339_utc(secs.max(0));
    let (y, m, d) = (&day[0..4], &day[5..7], &day[8..10]);
    let m: usize = m.parse().unwrap_or(1);
    let d: u32 = d.parse().unwrap_or(1);
    format!("{d}-{}-{y}", MONTHS[m.clamp(1, 12) - 1])
}

/// The Sent folder over an open IMAP connection: EXAMINE, UID SEARCH, then UID FETCH of
/// INTERNALDATE and [`SENT_FIELDS`] in chunks.
pub fn read_imap_sent(
    conn: &mut ImapConn,
    account: &str,
    folder: &str,
    since: Option<i64>,
) -> Result<Vec<SentCopy>, AuditError> {
    let err = |message: String| AuditError::Sent {
        account: single_line(account),
        folder: single_line(folder),
        message,
    };
    if folder.is_empty() || quote_mailbox(folder).is_none() {
        return Err(err("the folder name contains a line break".into()));
    }
    conn.budget.grant(DEFAULT_READ_BUDGET);
    let selected = conn
        .session
        .examine(utf7::encode(folder))
        .map_err(|e| err(format!("cannot open it: {}", describe(&e))))?;
    let _ = conn.session.take_all_unsolicited().count();
    if selected.exists == 0 {
        return Ok(Vec::new());
    }
    // SINCE compares dates only (in the server's zone): ask from the day before.
    let query = match since {
        Some(t) => format!("SINCE {}", imap_date(t - 86_400)),
        None => "ALL".to_string(),
    };
    conn.budget.grant(DEFAULT_READ_BUDGET);
    let found = conn
        .session
        .uid_search(&query)
        .map_err(|e| err(format!("UID SEARCH failed: {}", describe(&e))))?;
    let _ = conn.session.take_all_unsolicited().count();
    let mut uids: Vec<u32> = found.into_iter().collect();
    uids.sort_unstable();
    let items = format!("(UID INTERNALDATE BODY.PEEK[HEADER.FIELDS ({SENT_FIELDS})])");
    let mut out = Vec::with_capacity(uids.len());
    for chunk in uids.chunks(FETCH_CHUNK) {
        conn.budget.grant(DEFAULT_READ_BUDGET);
        let fetched = conn
            .session
            .uid_fetch(crate::imap::sync::uid_set(chunk), &items)
            .map_err(|e| err(format!("UID FETCH failed: {}", describe(&e))))?;
        for f in fetched.iter() {
            let Some(uid) = f.uid else { continue };
            if !chunk.contains(&uid) {
                continue;
            }
            let date = f.internal_date().map(|d| d.timestamp()).unwrap_or(0);
            out.push(SentCopy::from_header(
                account,
                uid,
                date,
                f.header().unwrap_or_default(),
            ));
        }
        drop(fetched);
        let _ = conn.session.take_all_unsolicited().count();
    }
    Ok(out)
}

/// `--since`: `YYYY-MM-DD` (midnight UTC) or RFC 3339 (`2026-11-27T14:03:00Z`,
/// `2026-11-27T15:03:00+01:00`, fractions of a second ignored).
pub fn parse_since(s: &str) -> Result<i64, AuditError> {
    parse_time(s.trim()).ok_or_else(|| AuditError::BadSince(single_line(s)))
}

/// RFC 3339 (or a bare date) to Unix seconds.
pub fn parse_time(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| {
        b.get(r.clone())
            .filter(|d| d.iter().all(u8::is_ascii_digit))
            .map(|_| &s[r])
    };
    let (y, mo, d) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let day = crate::triage::state::parse_minute(&format!("{y}{mo}{d}0000"))?;
    // parse_minute takes any day up to 31: a real date formats back to itself.
    if crate::mail::date::rfc3339_utc(day).get(..10) != s.get(..10) {
        return None;
    }
    if b.len() == 10 {
        return Some(day);
    }
    if !matches!(b.get(10), Some(b'T' | b't' | b' ')) || b.get(13) != Some(&b':') {
        return None;
    }
    let h: i64 = digits(11..13)?.parse().ok()?;
    let mi: i64 = digits(14..16)?.parse().ok()?;
    let (sec, mut rest) = if b.get(16) == Some(&b':') {
        (digits(17..19)?.parse::<i64>().ok()?, &s[19..])
    } else {
        (0, &s[16..])
    };
    if h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return None;
        }
        rest = &frac[n..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ => {
            let rb = rest.as_bytes();
            let sign = match rb.first() {
                Some(b'+') => 1,
                Some(b'-') => -1,
                _ => return None,
            };
            if rb.len() != 6 || rb[3] != b':' {
                return None;
            }
            let oh: i64 = rest[1..3].parse().ok()?;
            let om: i64 = rest[4..6].parse().ok()?;
            if oh > 23 || om > 59 {
                return None;
            }
            sign * (oh * 3600 + om * 60)
        }
    };
    Some(day + h * 3600 + mi * 60 + sec - offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(time: &str, agent: &str, id: &str, sender: Option<&str>, result: &str) -> Record {
        Record {
            time: time.into(),
            agent: agent.into(),
            account: "support".into(),
            envelope: crate::message::Envelope {
                mode: if sender.is_some() { "on-behalf" } else { "as" }.into(),
                from: "support@example.test".into(),
                sender: sender.map(str::to_string),
                mail_from: sender.unwrap_or("support@example.test").into(),
                recipients: vec!["zoe@outside.test".into(), "qa@outside.test".into()],
                message_id: id.into(),
                subject: "Re: Printer".into(),
            },
            result: result.into(),
            approved_by: None,
        }
    }

    fn copy(id: Option<&str>, date: i64, agent: Option<&str>, sender: Option<&str>) -> SentCopy {
        SentCopy {
            account: "support".into(),
            uid: 1,
            internal_date: date,
            from: Some("support@example.test".into()),
            sender: sender.map(str::to_string),
            recipients: vec!["zoe@outside.test".into()],
            subject: "Re: Printer\u{1b}]0;x".into(),
            message_id: id.map(str::to_string),
            agent: agent.map(str::to_string),
        }
    }

    #[test]
    fn times_parse_as_rfc3339_or_day() {
        assert_eq!(parse_time("1970-01-02"), Some(86_400));
        assert_eq!(parse_time("2026-11-27T14:03:09Z"), Some(1_795_788_189));
        assert_eq!(
            parse_time("2026-11-27T15:03:09.25+01:00"),
            parse_time("2026-11-27T14:03:09Z")
        );
        assert_eq!(parse_time("2026-11-27 14:03Z"), Some(1_795_788_180));
        for bad in [
            "",
            "2026-02-30",
            "2026-13-01",
            "26-11-27",
            "2026-11-27T25:00:00Z",
            "2026-11-27T14:03:09",
            "2026-11-27T14:03:09+0100",
            "yesterday",
        ] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
        assert!(matches!(parse_since("x"), Err(AuditError::BadSince(_))));
        assert_eq!(imap_date(1_795_788_189), "27-Nov-2026");
    }

    #[test]
    fn a_record_and_its_copy_are_one_row_and_refusals_stay() {
        let records = [
            record("2026-11-27T10:00:00Z", "alice", "a@x", None, "sent"),
            record(
                "2026-11-27T11:00:00Z",
                "bob",
                "b@x",
                Some("bob@example.test"),
                "refused: 553 no",
            ),
            // A resumed filing: the same outcome twice.
            record("2026-11-27T10:00:05Z", "alice", "a@x", None, "sent"),
        ];
        let copies = [
            copy(Some("a@x"), 1_795_788_000, Some("alice"), None),
            copy(Some("c@x"), 1_795_800_000, None, Some("bob@example.test")),
            copy(Some("c@x"), 1_795_800_001, None, Some("bob@example.test")),
            copy(None, 1, None, None),
        ];
        let mut agents = AgentMap::default();
        agents.insert("BOB@example.test", "bob");
        let rows = merge(&records, &copies, &agents);
        assert_eq!(rows.len(), 4, "{rows:#?}");
        // Newest first: the copy of c@x (no record), the refusal, a@x, the id-less copy.
        assert_eq!(rows[0].message_id.as_deref(), Some("c@x"));
        assert_eq!(rows[0].result, NO_LOCAL_RECORD);
        assert_eq!(rows[0].source, "sent");
        assert_eq!(rows[0].agent, "bob", "Sender mapped to an agent");
        assert_eq!(rows[0].mode, "on-behalf");
        assert_eq!(rows[0].subject, "Re: Printer^[]0;x", "sanitized");
        assert_eq!(rows[1].result, "refused: 553 no");
        assert_eq!(rows[1].source, "log");
        assert_eq!(rows[1].mode, "on-behalf");
        assert_eq!(rows[2].message_id.as_deref(), Some("a@x"));
        assert_eq!(rows[2].source, "log+sent");
        assert_eq!(rows[2].time, "2026-11-27T10:00:00Z");
        assert_eq!(rows[2].mode, "as");
        assert_eq!(rows[2].recipients.len(), 2, "envelope recipients win (Bcc)");
        assert_eq!(rows[3].message_id, None);
        assert_eq!(rows[3].agent, UNKNOWN_AGENT);
        let f = Filter {
            agent: Some("bob".into()),
            ..Filter::default()
        };
        assert_eq!(rows.iter().filter(|r| f.keeps(r)).count(), 2);
        let f = Filter {
            since: parse_time("2026-11-27T10:30:00Z"),
            ..Filter::default()
        };
        assert_eq!(rows.iter().filter(|r| f.keeps(r)).count(), 2);
    }

    #[test]
    fn copy_headers_are_read_and_bad_agent_ids_ignored() {
        let raw = b"X-Mailroom-Agent: alice\r\nFrom: Example Support <support@example.test>\r\nSender: bob@example.test\r\nTo: a@x.test, b@x.test\r\nCc: c@x.test\r\nSubject: hi\r\nMessage-ID: <m1@example.test>\r\n\r\n";
        let c = SentCopy::from_header("support", 7, 5, raw);
        assert_eq!(c.agent.as_deref(), Some("alice"));
        assert_eq!(c.from.as_deref(), Some("support@example.test"));
        assert_eq!(c.sender.as_deref(), Some("bob@example.test"));
        assert_eq!(c.recipients, ["a@x.test", "b@x.test", "c@x.test"]);
        assert_eq!(c.message_id.as_deref(), Some("m1@example.test"));
        let c = SentCopy::from_header("support", 7, 5, b"X-Mailroom-Agent: Evil Agent\r\n\r\n");
        assert_eq!(c.agent, None);
    }
}
