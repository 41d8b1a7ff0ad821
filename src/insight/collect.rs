//! Reading what `stats` needs from each account: its mailbox (INBOX) and its Sent folder.
//!
//! IMAP: one connection per account; both folders are opened with EXAMINE (read-only) and
//! read with `BODY.PEEK`, so nothing is ever marked `\Seen`. `--since`/`--until` become
//! `UID SEARCH SINCE/BEFORE` (INTERNALDATE, day granularity, widened by a day on each side
//! for the server's timezone; the exact bounds are applied by `stats::compute`); the Sent
//! folder is searched without the upper bound, since replies may come after the window.
//! Headers arrive in batches, each under the connection's read budget.
//!
//! Maildir: through the `Backend` trait (summaries for INTERNALDATE, then the header of each
//! message in the window).
//!
//! [`collect_and_compute`] is the whole engine in one call, for the CLI and for a background
//! thread of the TUI.

use std::collections::HashSet;

use super::FolderReadError;
use super::stats::{self, CustomerMessage, MailboxInput, Report, SentMessage, Settings};
use crate::backend::{Backend, BackendError};
use crate::config::{self, Account, BusinessHours, Config};
use crate::imap::connect::{DEFAULT_READ_BUDGET, ImapConn, Target, describe, open_session};
use crate::imap::{ImapError, quote_mailbox};
use crate::mail::utf7;
use crate::message::Flags;
use crate::policy::team::Sla;
use crate::sanitize::single_line;
use crate::store::audit::{AuditLog, Record};

/// Messages per `UID FETCH`.
pub const FETCH_BATCH: usize = 500;

/// The header fields a statistic needs.
pub const HEADER_FIELDS: &str = "MESSAGE-ID IN-REPLY-TO REFERENCES FROM SENDER SUBJECT X-MAILROOM-AGENT X-MAILROOM-APPROVED-BY X-MAILROOM-TEMPLATE CONTENT-TYPE AUTO-SUBMITTED";

const DAY: i64 = 86_400;

#[derive(Debug, thiserror::Error)]
pub enum StatsError {
    #[error("no account named {0:?} (accounts: {1})")]
    NoAccount(String, String),
    #[error("[insight] {key}: {reason}")]
    Config {
        key: &'static str,
        reason: config::ParseError,
    },
    #[error(transparent)]
    BadDate(config::ParseError),
    #[error("--since ({since}) is not before --until ({until})")]
    EmptyWindow { since: String, until: String },
    #[error(transparent)]
    Imap(#[from] ImapError),
    #[error("account \"{account}\": IMAP {server}: folder \"{folder}\": {reason}")]
    Folder {
        account: String,
        server: String,
        folder: String,
        reason: FolderReadError,
    },
    #[error("account \"{account}\": folder \"{folder}\": {source}")]
    Backend {
        account: String,
        folder: String,
        source: BackendError,
    },
    #[error("account \"{0}\" has neither an IMAP nor a Maildir mailbox")]
    NoMailbox(String),
}

/// What the accounts hold, ready for [`stats::compute`].
#[derive(Debug, Clone, Default)]
pub struct Collected {
    pub inputs: Vec<MailboxInput>,
    pub warnings: Vec<String>,
    /// Sent Message-IDs (without brackets) a read receipt in a mailbox says were displayed.
    pub opened_ids: HashSet<String>,
}

/// The `[insight]` settings of `config` for a window, at `now`.
pub fn settings(
    config: &Config,
    since: Option<i64>,
    until: Option<i64>,
    now: i64,
) -> Result<Settings, StatsError> {
    let offset = offset_of(config)?;
    let business_hours = match &config.insight.business_hours {
        Some(text) => Some(
            BusinessHours::parse(text).map_err(|reason| StatsError::Config {
                key: "business_hours",
                reason,
            })?,
        ),
        None => None,
    };
    if let (Some(s), Some(u)) = (since, until)
        && s >= u
    {
        return Err(StatsError::EmptyWindow {
            since: crate::mail::date::rfc3339_utc(s),
            until: crate::mail::date::rfc3339_utc(u),
        });
    }
    Ok(Settings {
        now,
        since,
        until,
        offset,
        business_hours,
        agent_id: config.agent.id.clone(),
        agent_email: config.agent.email.clone(),
        team_emails: config
            .team
            .emails
            .iter()
            .map(|(agent, email)| (email.to_ascii_lowercase(), agent.clone()))
            .collect(),
    })
}

/// The configured `timezone_offset` in seconds east of UTC (0 when unset).
pub fn offset_of(config: &Config) -> Result<i32, StatsError> {
    match &config.insight.timezone_offset {
        Some(text) => config::parse_offset(text).map_err(|reason| StatsError::Config {
            key: "timezone_offset",
            reason,
        }),
        None => Ok(0),
    }
}

/// `--since` and `--until` as typed (see [`stats::parse_date`]), read in the configured
/// timezone offset; a bare `--until` date includes that day.
pub fn window(
    config: &Config,
    since: Option<&str>,
    until: Option<&str>,
    now: i64,
) -> Result<(Option<i64>, Option<i64>), StatsError> {
    let offset = offset_of(config)?;
    let parse = |text: Option<&str>, end: bool| {
        text.map(|t| stats::parse_date(t, now, offset, end))
            .transpose()
            .map_err(StatsError::BadDate)
    };
    Ok((parse(since, false)?, parse(until, true)?))
}

/// The accounts named (every account when `names` is empty), in the order given.
pub fn select_accounts<'a>(
    config: &'a Config,
    names: &[String],
) -> Result<Vec<&'a Account>, StatsError> {
    if names.is_empty() {
        return Ok(config.accounts.iter().collect());
    }
    let mut out: Vec<&Account> = Vec::with_capacity(names.len());
    for name in names {
        let account = config
            .accounts
            .iter()
            .find(|a| &a.name == name)
            .ok_or_else(|| {
                StatsError::NoAccount(
                    single_line(name),
                    config
                        .accounts
                        .iter()
                        .map(|a| single_line(&a.name))
                        .collect::<Vec<_>>()
                        .join(", "),
                )
            })?;
        if !out.iter().any(|a| a.name == account.name) {
            out.push(account);
        }
    }
    Ok(out)
}

/// The current time, Unix seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The records of the local audit log (`$XDG_DATA_HOME/mailroom/audit.jsonl`), with a warning
/// when some lines could not be read.
pub fn audit_records(warnings: &mut Vec<String>) -> Vec<Record> {
    let Some(path) = AuditLog::default_path() else {
        warnings.push("no data directory: the audit log was not consulted".into());
        return Vec::new();
    };
    let (records, bad) = AuditLog::new(path).read();
    if bad > 0 {
        warnings.push(format!(
            "{bad} unreadable line(s) in the audit log were skipped"
        ));
    }
    records
}

/// Collects the named accounts (all when empty), computes, and returns the report: the whole
/// engine, blocking; run it on a background thread in a UI. Read receipts in the mailboxes
/// are matched (see `insight::receipts`).
pub fn collect_and_compute(
    config: &Config,
    accounts: &[String],
    since: Option<i64>,
    until: Option<i64>,
) -> Result<Report, StatsError> {
    compute_with_opened(config, accounts, since, until, &HashSet::new())
}

/// [`collect_and_compute`] with the Message-IDs (without brackets) of sent messages a read
/// receipt was matched to.
pub fn compute_with_opened(
    config: &Config,
    accounts: &[String],
    since: Option<i64>,
    until: Option<i64>,
    opened_ids: &HashSet<String>,
) -> Result<Report, StatsError> {
    compute_with_targets(config, accounts, since, until, opened_ids, &|_| None)
}

/// [`compute_with_opened`], with the first-response target of each account (by name): the
/// `[sla]` of the team policy in force, which the caller reads (the engine, above this layer).
pub fn compute_with_targets(
    config: &Config,
    accounts: &[String],
    since: Option<i64>,
    until: Option<i64>,
    opened_ids: &HashSet<String>,
    targets: &dyn Fn(&str) -> Option<Sla>,
) -> Result<Report, StatsError> {
    let settings = settings(config, since, until, now())?;
    let selected = select_accounts(config, accounts)?;
    let mut collected = collect(&selected, since, until)?;
    for input in &mut collected.inputs {
        input.sla = targets(&input.account);
    }
    let mut warnings = collected.warnings;
    let audit = audit_records(&mut warnings);
    // Read receipts found in the mailboxes (insight::receipts) join the ids given.
    let mut opened = opened_ids.clone();
    opened.extend(collected.opened_ids);
    let mut report = stats::compute(&collected.inputs, &audit, &opened, &settings);
    report.warnings = warnings;
    Ok(report)
}

/// Reads the mailbox and Sent folder of every account.
pub fn collect(
    accounts: &[&Account],
    since: Option<i64>,
    until: Option<i64>,
) -> Result<Collected, StatsError> {
    let mut out = Collected::default();
    for account in accounts {
        let input = collect_account_and_receipts(
            account,
            since,
            until,
            &mut out.warnings,
            &mut out.opened_ids,
        )?;
        out.inputs.push(input);
    }
    Ok(out)
}

/// The account's address and aliases, lower-cased.
fn own_addresses(account: &Account) -> Vec<String> {
    std::iter::once(&account.address)
        .chain(&account.aliases)
        .map(|a| a.trim().to_ascii_lowercase())
        .collect()
}

/// Reads one account.
pub fn collect_account(
    account: &Account,
    since: Option<i64>,
    until: Option<i64>,
    warnings: &mut Vec<String>,
) -> Result<MailboxInput, StatsError> {
    collect_account_and_receipts(account, since, until, warnings, &mut HashSet::new())
}

/// [`collect_account`], adding to `opened` the sent Message-IDs that the read receipts in its
/// mailbox say were displayed (see `insight::receipts`).
pub fn collect_account_and_receipts(
    account: &Account,
    since: Option<i64>,
    until: Option<i64>,
    warnings: &mut Vec<String>,
    opened: &mut HashSet<String>,
) -> Result<MailboxInput, StatsError> {
    let (mailbox, sent_folder) = if let Some(imap) = &account.imap {
        (imap.mailbox.as_str(), imap.sent.as_deref())
    } else if let Some(m) = &account.maildir {
        (m.mailbox.as_str(), m.sent.as_deref())
    } else {
        return Err(StatsError::NoMailbox(single_line(&account.name)));
    };
    if sent_folder.is_none() {
        warnings.push(format!(
            "account \"{}\": no Sent folder configured (`sent`): no message counts as answered",
            single_line(&account.name)
        ));
    }
    let (inbox, sent) = if let Some(imap) = &account.imap {
        collect_imap(account, imap, mailbox, sent_folder, since, until, opened)?
    } else if let Some(m) = &account.maildir {
        collect_maildir(account, m, mailbox, sent_folder, since, until, opened)?
    } else {
        return Err(StatsError::NoMailbox(single_line(&account.name)));
    };
    Ok(MailboxInput {
        account: account.name.clone(),
        own_addresses: own_addresses(account),
        inbox: inbox.into_iter().map(Parsed::into_customer).collect(),
        sent: sent.into_iter().map(Parsed::into_sent).collect(),
        sla: None,
    })
}

/// The Sent folder of `account` from `since` on (INTERNALDATE, a day wider), for the first
/// responses `list` shows against a first-response target: one connection, EXAMINE and
/// `BODY.PEEK` as for `stats`. Empty without a Sent folder configured.
pub fn read_sent(account: &Account, since: Option<i64>) -> Result<Vec<SentMessage>, StatsError> {
    let sent = if let Some(imap) = &account.imap {
        let Some(folder) = imap.sent.as_deref() else {
            return Ok(Vec::new());
        };
        let target = Target {
            account: &account.name,
            config: imap,
        };
        let mut conn = open_session(&target)?;
        let sent =
            read_folder(&mut conn, folder, since, None).map_err(|reason| StatsError::Folder {
                account: single_line(&account.name),
                server: target.server().to_string(),
                folder: single_line(folder),
                reason,
            })?;
        let _ = conn.session.logout();
        sent
    } else if let Some(m) = &account.maildir {
        let Some(folder) = m.sent.as_deref() else {
            return Ok(Vec::new());
        };
        let err = |source| StatsError::Backend {
            account: single_line(&account.name),
            folder: single_line(folder),
            source,
        };
        let mut backend =
            crate::backend::maildir::MaildirBackend::open(&account.name, &m.path).map_err(err)?;
        read_backend(&mut backend, folder, since, None).map_err(err)?
    } else {
        return Ok(Vec::new());
    };
    Ok(sent.into_iter().map(Parsed::into_sent).collect())
}

/// What the header fields of one message say.
#[derive(Debug, Clone, Default)]
struct Parsed {
    uid: u32,
    internal_date: i64,
    message_id: Option<String>,
    in_reply_to: Vec<String>,
    references: Vec<String>,
    from: String,
    sender: Option<String>,
    subject: String,
    agent: Option<String>,
    template: Option<String>,
    automatic: bool,
}

impl Parsed {
    fn into_customer(self) -> CustomerMessage {
        CustomerMessage {
            uid: self.uid,
            message_id: self.message_id,
            internal_date: self.internal_date,
            from: self.from,
            subject: self.subject,
            automatic: self.automatic,
        }
    }

    fn into_sent(self) -> SentMessage {
        SentMessage {
            uid: self.uid,
            message_id: self.message_id,
            in_reply_to: self.in_reply_to,
            references: self.references,
            internal_date: self.internal_date,
            sender: self.sender,
            x_mailroom_agent: self.agent,
            template: self.template,
            automatic: self.automatic,
        }
    }
}

/// Parses a header block (the fields of [`HEADER_FIELDS`], or a whole header).
fn parse_header(uid: u32, internal_date: i64, block: &[u8]) -> Parsed {
    let s = crate::mail::parse::summary_from_raw(
        uid,
        block,
        internal_date,
        Flags::default(),
        Vec::new(),
    );
    let mut agent = None;
    let mut template = None;
    let mut content_type = None;
    let mut auto_submitted = None;
    let mut approved = false;
    raw_fields(block, |name, value| {
        let is = |n: &str| name.eq_ignore_ascii_case(n);
        if is(crate::mail::review::APPROVED_BY) {
            approved = true;
        } else if is("x-mailroom-agent") && agent.is_none() {
            agent = Some(value.trim().to_string());
        } else if is("x-mailroom-template") && template.is_none() {
            template = super::template_uses::name_of(value);
        } else if is("content-type") && content_type.is_none() {
            content_type = Some(value.to_ascii_lowercase());
        } else if is("auto-submitted") && auto_submitted.is_none() {
            auto_submitted = Some(value.trim().to_ascii_lowercase());
        }
    });
    let report = content_type
        .as_deref()
        .is_some_and(|c| c.trim_start().starts_with("multipart/report"));
    let auto = auto_submitted
        .as_deref()
        .is_some_and(|a| !a.is_empty() && !a.starts_with("no"));
    Parsed {
        uid,
        internal_date,
        message_id: s.message_id().map(str::to_string),
        in_reply_to: s.in_reply_to().to_vec(),
        references: s.references().to_vec(),
        from: s
            .from()
            .first()
            .map(|a| a.email.to_string())
            .unwrap_or_default(),
        // A reply held for review and approved: its Sender is the approver; the author (in
        // X-Mailroom-Agent) is credited.
        sender: s
            .sender()
            .first()
            .map(|a| a.email.to_string())
            .filter(|_| !approved),
        subject: s.subject().to_string(),
        agent,
        template,
        automatic: report || auto,
    }
}

/// Calls `field` with each header field's name and unfolded value, up to the blank line.
/// Bounded: a value stops growing at 64 KiB.
fn raw_fields(block: &[u8], mut field: impl FnMut(&str, &str)) {
    let text = String::from_utf8_lossy(block);
    let mut current: Option<(String, String)> = None;
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = &mut current
                && v.len() < 64 * 1024
            {
                v.push(' ');
                v.push_str(line.trim());
            }
            continue;
        }
        if let Some((n, v)) = current.take() {
            field(&n, &v);
        }
        if let Some((n, v)) = line.split_once(':') {
            current = Some((n.trim().to_string(), v.trim().to_string()));
        }
    }
    if let Some((n, v)) = current {
        field(&n, &v);
    }
}

/// `1-Mar-2026`: an IMAP SEARCH date; `None` outside the years 1–9999 it can express.
fn search_date(secs: i64) -> Option<String> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let day = crate::mail::date::rfc3339_utc(secs);
    // "YYYY-MM-DDT…": fixed positions, once the year is four digits.
    let y = day.get(..4)?;
    if day.as_bytes().get(4) != Some(&b'-') || !y.bytes().all(|b| b.is_ascii_digit()) || y == "0000"
    {
        return None;
    }
    let m: usize = day.get(5..7)?.parse().ok()?;
    let d: u32 = day.get(8..10)?.parse().ok()?;
    Some(format!("{d}-{}-{y}", MONTHS.get(m.checked_sub(1)?)?))
}

/// `UID SEARCH` criteria for a window, a day wider on each side: SEARCH compares dates in the
/// server's timezone, and the exact bounds are applied afterwards. A bound beyond what SEARCH
/// can express is left out (it bounds nothing).
fn search_criteria(since: Option<i64>, until: Option<i64>) -> String {
    let mut parts = Vec::new();
    if let Some(s) = since.and_then(|s| search_date(s.saturating_sub(DAY))) {
        parts.push(format!("SINCE {s}"));
    }
    if let Some(u) = until.and_then(|u| search_date(u.saturating_add(2 * DAY))) {
        parts.push(format!("BEFORE {u}"));
    }
    if parts.is_empty() {
        "ALL".to_string()
    } else {
        parts.join(" ")
    }
}

fn collect_imap(
    account: &Account,
    imap: &config::Imap,
    mailbox: &str,
    sent: Option<&str>,
    since: Option<i64>,
    until: Option<i64>,
    opened: &mut HashSet<String>,
) -> Result<(Vec<Parsed>, Vec<Parsed>), StatsError> {
    let target = Target {
        account: &account.name,
        config: imap,
    };
    let mut conn = open_session(&target)?;
    let folder_err = |folder: &str, reason: FolderReadError| StatsError::Folder {
        account: single_line(&account.name),
        server: target.server().to_string(),
        folder: single_line(folder),
        reason,
    };
    let inbox =
        read_folder(&mut conn, mailbox, since, until).map_err(|m| folder_err(mailbox, m))?;
    // Read receipts: among the automatic messages, while the mailbox is still selected.
    let receipts = super::receipts::read_imap(&mut conn, receipt_candidates(&inbox))
        .map_err(|m| folder_err(mailbox, m))?;
    opened.extend(super::receipts::opened(receipts));
    let sent = match sent {
        Some(folder) => {
            read_folder(&mut conn, folder, since, None).map_err(|m| folder_err(folder, m))?
        }
        None => Vec::new(),
    };
    let _ = conn.session.logout();
    Ok((inbox, sent))
}

/// The UIDs that may be read receipts: reports and other automatic messages.
fn receipt_candidates(inbox: &[Parsed]) -> Vec<u32> {
    inbox
        .iter()
        .filter(|p| p.automatic)
        .map(|p| p.uid)
        .collect()
}

/// EXAMINE, SEARCH and batched `UID FETCH` of one folder; errors are one safe line.
fn read_folder(
    conn: &mut ImapConn,
    folder: &str,
    since: Option<i64>,
    until: Option<i64>,
) -> Result<Vec<Parsed>, FolderReadError> {
    if folder.is_empty() || quote_mailbox(folder).is_none() {
        return Err(FolderReadError::BadName);
    }
    conn.budget.grant(DEFAULT_READ_BUDGET);
    conn.session
        .examine(utf7::encode(folder))
        .map_err(|e| FolderReadError::Command {
            command: "EXAMINE",
            reason: describe(&e),
        })?;
    let _ = conn.session.take_all_unsolicited().count();
    conn.budget.grant(DEFAULT_READ_BUDGET);
    let found = conn
        .session
        .uid_search(search_criteria(since, until))
        .map_err(|e| FolderReadError::Command {
            command: "UID SEARCH",
            reason: describe(&e),
        })?;
    let _ = conn.session.take_all_unsolicited().count();
    let mut uids: Vec<u32> = found.into_iter().collect();
    uids.sort_unstable();
    let items = format!("(UID INTERNALDATE BODY.PEEK[HEADER.FIELDS ({HEADER_FIELDS})])");
    let mut out = Vec::with_capacity(uids.len());
    for chunk in uids.chunks(FETCH_BATCH) {
        conn.budget.grant(DEFAULT_READ_BUDGET);
        let fetched = conn
            .session
            .uid_fetch(crate::imap::sync::uid_set(chunk), &items)
            .map_err(|e| FolderReadError::Command {
                command: "UID FETCH",
                reason: describe(&e),
            })?;
        for f in fetched.iter() {
            let Some(uid) = f.uid.filter(|u| chunk.binary_search(u).is_ok()) else {
                continue;
            };
            let Some(date) = f.internal_date().map(|d| d.timestamp()) else {
                continue;
            };
            out.push(parse_header(uid, date, f.header().unwrap_or_default()));
        }
        drop(fetched);
        let _ = conn.session.take_all_unsolicited().count();
    }
    Ok(out)
}

fn collect_maildir(
    account: &Account,
    m: &config::Maildir,
    mailbox: &str,
    sent: Option<&str>,
    since: Option<i64>,
    until: Option<i64>,
    opened: &mut HashSet<String>,
) -> Result<(Vec<Parsed>, Vec<Parsed>), StatsError> {
    let err = |folder: &str| {
        let account = single_line(&account.name);
        let folder = single_line(folder);
        move |source| StatsError::Backend {
            account,
            folder,
            source,
        }
    };
    let mut backend = crate::backend::maildir::MaildirBackend::open(&account.name, &m.path)
        .map_err(err(mailbox))?;
    let inbox = read_backend(&mut backend, mailbox, since, until).map_err(err(mailbox))?;
    let receipts = super::receipts::read_backend(&mut backend, mailbox, receipt_candidates(&inbox))
        .map_err(err(mailbox))?;
    opened.extend(super::receipts::opened(receipts));
    let sent = match sent {
        Some(folder) => read_backend(&mut backend, folder, since, None).map_err(err(folder))?,
        None => Vec::new(),
    };
    Ok((inbox, sent))
}

/// One folder through the `Backend` trait: summaries for the dates, then the header of each
/// message in (a day around) the window. `fetch` never sets `\Seen`.
fn read_backend(
    backend: &mut dyn Backend,
    folder: &str,
    since: Option<i64>,
    until: Option<i64>,
) -> Result<Vec<Parsed>, BackendError> {
    let mut dates = Vec::new();
    backend.summaries(folder, 1, &mut |rows| {
        dates.extend(
            rows.iter()
                .filter(|r| since.is_none_or(|s| r.internal_date >= s - DAY))
                .filter(|r| until.is_none_or(|u| r.internal_date < u + DAY))
                .map(|r| (r.uid, r.internal_date)),
        );
    })?;
    let mut out = Vec::with_capacity(dates.len());
    for (uid, date) in dates {
        let raw = match backend.fetch(folder, uid) {
            Ok(raw) => raw,
            // Removed meanwhile (another client): not an error for statistics.
            Err(BackendError::NoMessage { .. }) => continue,
            Err(e) => return Err(e),
        };
        let end = header_end(&raw);
        out.push(parse_header(uid, date, &raw[..end]));
    }
    Ok(out)
}

/// Where the header section ends (after its blank line), or the whole input.
fn header_end(raw: &[u8]) -> usize {
    let crlf = raw.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4);
    let lf = raw.windows(2).position(|w| w == b"\n\n").map(|i| i + 2);
    match (crlf, lf) {
        (Some(a), Some(b)) => a.min(b),
        (a, b) => a.or(b).unwrap_or(raw.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_fields_are_parsed() {
        let p = parse_header(
            7,
            100,
            b"Message-ID: <r1@example.test>\r\nIn-Reply-To: <q1@outside.test>\r\nReferences: <q0@outside.test>\r\n <q1@outside.test>\r\nFrom: Example Support <support@example.test>\r\nSender: Bob <bob@example.test>\r\nSubject: =?UTF-8?Q?Re:_Gr=C3=BC=C3=9Fe?=\r\nX-Mailroom-Agent: alice\r\n\r\n",
        );
        assert_eq!(p.message_id.as_deref(), Some("r1@example.test"));
        assert_eq!(p.in_reply_to, ["q1@outside.test"]);
        assert_eq!(p.references, ["q0@outside.test", "q1@outside.test"]);
        assert_eq!(p.from, "support@example.test");
        assert_eq!(p.sender.as_deref(), Some("bob@example.test"));
        assert_eq!(p.subject, "Re: Grüße");
        assert_eq!(p.agent.as_deref(), Some("alice"));
        assert!(!p.automatic);
        let mdn = parse_header(
            1,
            1,
            b"From: x@outside.test\r\nContent-Type: multipart/report;\r\n report-type=disposition-notification; boundary=x\r\n\r\n",
        );
        assert!(mdn.automatic);
        let ooo = parse_header(
            1,
            1,
            b"From: x@outside.test\r\nAuto-Submitted: auto-replied\r\n\r\n",
        );
        assert!(ooo.automatic);
        let human = parse_header(1, 1, b"From: x@outside.test\r\nAuto-Submitted: no\r\n\r\n");
        assert!(!human.automatic);
    }

    #[test]
    fn an_approved_reply_credits_its_author_not_the_approver_in_sender() {
        let p = parse_header(
            1,
            1,
            b"X-Mailroom-Agent: bob\r\nX-Mailroom-Approved-By: carol\r\nFrom: support@example.test\r\nSender: carol@example.test\r\n\r\n",
        );
        assert_eq!(p.sender, None);
        assert_eq!(p.agent.as_deref(), Some("bob"));
    }

    #[test]
    fn search_criteria_widen_by_a_day() {
        // 2026-03-02 00:00 UTC → SINCE 1-Mar-2026; until 2026-03-09 → BEFORE 11-Mar-2026.
        let mon = 1_772_409_600;
        assert_eq!(search_criteria(None, None), "ALL");
        assert_eq!(
            search_criteria(Some(mon), Some(mon + 7 * DAY)),
            "SINCE 1-Mar-2026 BEFORE 11-Mar-2026"
        );
        // At the ends of the calendar a bound SEARCH cannot express is left to compute():
        // `--until 9999-12-31` must not become BEFORE 1-Jan-1000 (nothing found).
        let end_of_9999 = 253_402_300_800;
        assert_eq!(
            search_criteria(Some(mon), Some(end_of_9999)),
            "SINCE 1-Mar-2026"
        );
        assert_eq!(search_criteria(Some(-62_135_596_800), None), "ALL");
        assert_eq!(search_criteria(Some(-62_200_000_000), None), "ALL");
        assert_eq!(header_end(b"A: b\n\nbody"), 6);
        assert_eq!(header_end(b"A: b\r\n\r\nbody\n\n"), 8);
    }
}
