//! Response-time statistics, computed from the mail itself: pure functions, no I/O.
//!
//! Definitions (also in `mailroom(1)`, section STATS):
//! - A **customer message** is a message of the account's mailbox (INBOX) whose INTERNALDATE
//!   lies in `[since, until)`, whose From is none of the account's own addresses (address and
//!   aliases), and that is not an automatic report (`multipart/report`, or `Auto-Submitted`
//!   other than `no`). Copies with the same Message-ID count once (the earliest).
//! - Its **first response** is the earliest message (by INTERNALDATE) of the account's Sent
//!   folder whose In-Reply-To or References names its Message-ID. The Sent folder is read
//!   without the `until` bound: a reply may come after the window. The `Date:` header is never
//!   used: senders set it.
//! - **Response time** = INTERNALDATE of the first response − INTERNALDATE of the customer
//!   message (never negative); with business hours, only the time inside them counts.
//! - **Median** and **p90** use the nearest-rank method: of the n response times sorted
//!   ascending, the p-th percentile is the value at rank ⌈p/100 · n⌉ (1-based). Every number
//!   shown is a real response time; for an even n the median is the lower of the two middle
//!   values.
//! - **Attribution** of a Sent message: its `Sender:` (on-behalf sends; the address is mapped
//!   to the configured agent's id when it is the agent's email, else to the agent that the
//!   audit log records for that Sender, else kept as the address), else its
//!   `X-Mailroom-Agent:` (send-as copies), else the audit log record with its Message-ID,
//!   else `"unknown"`.
//! - The weekday × hour tables count customer messages (per mailbox) and first responses (per
//!   agent) at their INTERNALDATE, in the configured `timezone_offset` (default UTC), Monday
//!   first, hours 0–23.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use super::sla::SlaCounts;
use crate::config::{BusinessHours, ParseError};
use crate::mail::date::rfc3339_utc;
use crate::policy::team::Sla;
use crate::policy::team::sla::{self, Response};
use crate::store::audit::Record;

/// The agent of a Sent message nobody can be named for.
pub const UNKNOWN: &str = "unknown";

const DAY: i64 = 86_400;

/// One message of an account's mailbox (INBOX), as far as statistics need it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CustomerMessage {
    pub uid: u32,
    /// Without angle brackets.
    pub message_id: Option<String>,
    /// INTERNALDATE, seconds since the Unix epoch.
    pub internal_date: i64,
    /// The From address (first one), as written.
    pub from: String,
    /// Decoded, not sanitized.
    pub subject: String,
    /// A delivery or disposition report, or an `Auto-Submitted` message: never a customer's.
    pub automatic: bool,
}

/// One message of an account's Sent folder.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SentMessage {
    pub uid: u32,
    /// Without angle brackets.
    pub message_id: Option<String>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    /// INTERNALDATE, seconds since the Unix epoch.
    pub internal_date: i64,
    /// The `Sender:` address, if any.
    pub sender: Option<String>,
    /// The `X-Mailroom-Agent:` value of the Sent copy, if any.
    pub x_mailroom_agent: Option<String>,
    /// The `X-Mailroom-Template:` value of the Sent copy: the reply template it was written
    /// from.
    pub template: Option<String>,
    /// An automatic message (`Auto-Submitted` other than `no`, a report): an auto-reply filed
    /// in Sent is no one's first response.
    pub automatic: bool,
}

/// What one account contributes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MailboxInput {
    /// The account's name.
    pub account: String,
    /// The account's address and aliases: mail from them is not a customer's.
    pub own_addresses: Vec<String>,
    pub inbox: Vec<CustomerMessage>,
    pub sent: Vec<SentMessage>,
    /// The first-response target of the team policy in force, if any.
    pub sla: Option<Sla>,
}

/// How to count: the window, the clock, the timezone, business hours, the agent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Settings {
    /// "Now", for the age of waiting messages.
    pub now: i64,
    /// Customer messages and Sent messages count from this INTERNALDATE (inclusive).
    pub since: Option<i64>,
    /// … up to this one (exclusive). First responses may come later.
    pub until: Option<i64>,
    /// Seconds east of UTC for the weekday × hour tables and business hours.
    pub offset: i32,
    pub business_hours: Option<BusinessHours>,
    /// The configured agent (`[agent] id` and `email`): a `Sender:` with this email is them.
    pub agent_id: String,
    pub agent_email: String,
    /// `[team.emails]`, lower-cased address → agent id: a `Sender:` with one is that agent.
    pub team_emails: HashMap<String, String>,
}

/// The whole answer, plain data for the CLI, JSON and the TUI's stats screen.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Report {
    /// When it was computed (RFC 3339, UTC).
    pub generated: String,
    /// The window (RFC 3339, UTC); `None` is unbounded.
    pub since: Option<String>,
    pub until: Option<String>,
    /// The offset of the weekday × hour tables and business hours, e.g. `+01:00`.
    pub timezone_offset: String,
    /// The business hours response times count in, as configured; `None`: all hours.
    pub business_hours: Option<String>,
    pub mailboxes: Vec<MailboxStats>,
    /// Every agent over all the mailboxes of the report.
    pub agents: Vec<AgentStats>,
    /// Things the numbers cannot see (no Sent folder configured, unreadable audit log…).
    pub warnings: Vec<String>,
    /// Reply templates used in the window (`X-Mailroom-Template` of the Sent copies).
    pub templates: Vec<super::template_uses::TemplateUses>,
}

/// One account's numbers.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct MailboxStats {
    pub account: String,
    /// Customer messages in the window.
    pub received: usize,
    /// … of which have a response in Sent.
    pub answered: usize,
    /// … of which have none.
    pub unanswered: usize,
    /// The unanswered customer message that waits longest.
    pub oldest_unanswered: Option<Waiting>,
    /// Response times of the answered ones.
    pub first_response: ResponseTimes,
    /// Messages of the Sent folder in the window (replies or not).
    pub sent: usize,
    /// … of which a read receipt (MDN) came back for.
    pub opened: usize,
    /// Customer messages by weekday (Monday first) and hour.
    pub by_weekday_hour: WeekHours,
    /// The agents of this account only.
    pub agents: Vec<AgentStats>,
    /// Against the team policy's first-response target; absent without one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sla: Option<SlaCounts>,
}

/// One agent's numbers (over one account, or all of a report's accounts).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct AgentStats {
    /// An agent id, a `Sender:` address no agent could be found for, or `"unknown"`.
    pub agent: String,
    /// Customer messages whose first response is this agent's.
    pub answered: usize,
    pub first_response: ResponseTimes,
    /// Sent messages in the window attributed to this agent.
    pub sent: usize,
    /// … of which a read receipt came back for.
    pub opened: usize,
    /// First responses by weekday (Monday first) and hour.
    pub by_weekday_hour: WeekHours,
    /// This agent's first responses against the targets of the mailboxes that have one;
    /// absent when none has.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sla: Option<SlaCounts>,
}

/// Median and 90th percentile (nearest rank) of response times, in seconds.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ResponseTimes {
    pub count: usize,
    pub median_seconds: Option<i64>,
    pub p90_seconds: Option<i64>,
}

impl ResponseTimes {
    pub fn of(times: &[i64]) -> ResponseTimes {
        let mut sorted = times.to_vec();
        sorted.sort_unstable();
        ResponseTimes {
            count: sorted.len(),
            median_seconds: nearest_rank(&sorted, 50),
            p90_seconds: nearest_rank(&sorted, 90),
        }
    }
}

/// The customer message that waits longest.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Waiting {
    pub uid: u32,
    pub subject: String,
    pub from: String,
    /// Its INTERNALDATE (RFC 3339, UTC).
    pub received: String,
    /// Wall-clock seconds from its INTERNALDATE to the report's "now".
    pub age_seconds: i64,
}

/// Counts by weekday (index 0 = Monday) and hour of the day (0–23).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(transparent)]
pub struct WeekHours(pub [[u32; 24]; 7]);

impl WeekHours {
    /// Counts `t` (Unix seconds) at `offset` seconds east of UTC.
    pub fn add(&mut self, t: i64, offset: i32) {
        let local = t + i64::from(offset);
        let day = weekday(local.div_euclid(DAY));
        let hour = (local.rem_euclid(DAY) / 3600) as usize;
        self.0[day][hour] = self.0[day][hour].saturating_add(1);
    }

    pub fn total(&self) -> u64 {
        self.0.iter().flatten().map(|&n| u64::from(n)).sum()
    }

    /// Totals per weekday, Monday first.
    pub fn per_weekday(&self) -> [u32; 7] {
        self.0.map(|d| d.iter().sum())
    }

    /// Totals per hour of the day.
    pub fn per_hour(&self) -> [u32; 24] {
        let mut out = [0u32; 24];
        for day in &self.0 {
            for (h, n) in day.iter().enumerate() {
                out[h] = out[h].saturating_add(*n);
            }
        }
        out
    }
}

/// The value at rank ⌈p/100 · n⌉ of ascending `sorted`; `None` when empty.
pub fn nearest_rank(sorted: &[i64], p: u32) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let n = sorted.len();
    let rank = (n * p as usize).div_ceil(100).clamp(1, n);
    Some(sorted[rank - 1])
}

/// Monday = 0 for a day number since 1970-01-01 (a Thursday).
fn weekday(day: i64) -> usize {
    (day + 3).rem_euclid(7) as usize
}

/// `+01:00` for 3600.
pub fn format_offset(offset: i32) -> String {
    let sign = if offset < 0 { '-' } else { '+' };
    let a = offset.unsigned_abs();
    format!("{sign}{:02}:{:02}", a / 3600, a % 3600 / 60)
}

/// Parses a `--since`/`--until` date: `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM[:SS]` (also with a space),
/// read at `offset` east of UTC (a time ending in `Z` is UTC), or a time ago: `30m`, `12h`, `7d`, `4w`. With `end_of_day`, a
/// bare date means the end of that day (so `--until 2026-03-31` includes the 31st).
pub fn parse_date(text: &str, now: i64, offset: i32, end_of_day: bool) -> Result<i64, ParseError> {
    let t = text.trim();
    let bad = || ParseError::NotADate {
        text: text.to_string(),
    };
    if let Some(split) = t.find(|c: char| !c.is_ascii_digit())
        && split > 0
        && !t.contains('-')
    {
        let n: i64 = t[..split].parse().map_err(|_| bad())?;
        let unit = match &t[split..] {
            "m" => 60,
            "h" => 3600,
            "d" => DAY,
            "w" => 7 * DAY,
            _ => return Err(bad()),
        };
        if n > 100_000 {
            return Err(bad());
        }
        return Ok(now - n * unit);
    }
    let (day, time) = match t.split_once(['T', 't', ' ']) {
        Some((d, tm)) => (d, Some(tm.trim())),
        None => (t, None),
    };
    let all_digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    let d: Vec<&str> = day.split('-').collect();
    if d.len() != 3
        || d[0].len() != 4
        || d[1].len() != 2
        || d[2].len() != 2
        || !d.iter().all(|p| all_digits(p))
    {
        return Err(bad());
    }
    let (y, m, dd): (i64, u32, u32) = (
        d[0].parse().map_err(|_| bad())?,
        d[1].parse().map_err(|_| bad())?,
        d[2].parse().map_err(|_| bad())?,
    );
    if !(1..=12).contains(&m) || dd < 1 || dd > days_in_month(y, m) {
        return Err(bad());
    }
    let mut secs = days_from_civil(y, m, dd) * DAY;
    // A time with a trailing `Z` is UTC; everything else is read at `offset`.
    let mut offset = offset;
    match time {
        Some(tm) => {
            let tm = match tm.strip_suffix(['Z', 'z']) {
                Some(utc) => {
                    offset = 0;
                    utc
                }
                None => tm,
            };
            let parts: Vec<&str> = tm.split(':').collect();
            if !(2..=3).contains(&parts.len())
                || parts.iter().any(|p| p.len() != 2 || !all_digits(p))
            {
                return Err(bad());
            }
            let nums: Vec<i64> = parts
                .iter()
                .map(|p| p.parse::<i64>().map_err(|_| bad()))
                .collect::<Result<_, _>>()?;
            if nums[0] > 23 || nums[1] > 59 || nums.get(2).is_some_and(|s| *s > 59) {
                return Err(bad());
            }
            secs += nums[0] * 3600 + nums[1] * 60 + nums.get(2).copied().unwrap_or(0);
        }
        None if end_of_day => secs += DAY,
        None => {}
    }
    Ok(secs - i64::from(offset))
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `2h 05m`, `3d 04h`, `45s`, `12m 30s`: a duration for an 80-column table.
pub fn human_duration(secs: i64) -> String {
    let s = secs.max(0);
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m {:02}s", s / 60, s % 60),
        3600..DAY => format!("{}h {:02}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d {:02}h", s / DAY, s % DAY / 3600),
    }
}

/// The first response to each message the Sent messages answer (see the module's
/// definitions): the earliest non-automatic one naming it in In-Reply-To or References, by
/// INTERNALDATE, then the lower UID (appended first). Keyed by [`id_key`]; the value is that
/// reply's INTERNALDATE, UID and index in `sent`.
pub fn first_replies(sent: &[SentMessage]) -> HashMap<String, (i64, u32, usize)> {
    let mut first_reply: HashMap<String, (i64, u32, usize)> = HashMap::new();
    for (i, m) in sent.iter().enumerate() {
        if m.automatic {
            continue;
        }
        let mut named: HashSet<String> = HashSet::new();
        for id in m.in_reply_to.iter().chain(&m.references) {
            let key = id_key(id);
            if key.is_empty() || !named.insert(key.clone()) {
                continue;
            }
            let candidate = (m.internal_date, m.uid, i);
            first_reply
                .entry(key)
                .and_modify(|best| {
                    if (candidate.0, candidate.1) < (best.0, best.1) {
                        *best = candidate;
                    }
                })
                .or_insert(candidate);
        }
    }
    first_reply
}

/// Message-IDs compare without brackets and case-sensitively in the local part, but servers
/// and clients disagree about the domain: compare the whole id case-insensitively.
pub fn id_key(id: &str) -> String {
    id.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_ascii_lowercase()
}

/// Who sent what: the attribution order of the module documentation.
struct Attributor<'a> {
    settings: &'a Settings,
    by_sender: HashMap<String, &'a str>,
    by_message_id: HashMap<String, &'a str>,
}

impl<'a> Attributor<'a> {
    fn new(settings: &'a Settings, audit: &'a [Record]) -> Attributor<'a> {
        let mut by_sender = HashMap::new();
        let mut by_message_id = HashMap::new();
        // Later records win: the log is in time order.
        for r in audit {
            if !crate::config::is_valid_agent_id(&r.agent) {
                continue;
            }
            if let Some(s) = &r.envelope.sender {
                by_sender.insert(s.trim().to_ascii_lowercase(), r.agent.as_str());
            }
            if !r.envelope.message_id.trim().is_empty() {
                by_message_id.insert(id_key(&r.envelope.message_id), r.agent.as_str());
            }
        }
        Attributor {
            settings,
            by_sender,
            by_message_id,
        }
    }

    fn agent_of(&self, m: &SentMessage, own: &[String]) -> String {
        if let Some(sender) = &m.sender {
            let s = sender.trim().to_ascii_lowercase();
            // A Sender equal to the shared address itself says nothing about the agent.
            if !s.is_empty() && !own.iter().any(|o| o.eq_ignore_ascii_case(&s)) {
                if !self.settings.agent_email.is_empty()
                    && s.eq_ignore_ascii_case(&self.settings.agent_email)
                {
                    return self.settings.agent_id.clone();
                }
                if let Some(agent) = self.settings.team_emails.get(&s) {
                    return agent.clone();
                }
                return match self.by_sender.get(&s) {
                    Some(agent) => agent.to_string(),
                    None => s,
                };
            }
        }
        if let Some(agent) = &m.x_mailroom_agent {
            let agent = agent.trim();
            // Anyone who may append to Sent can write this header: only a well-formed id counts.
            if crate::config::is_valid_agent_id(agent) {
                return agent.to_string();
            }
        }
        if let Some(id) = &m.message_id
            && let Some(agent) = self.by_message_id.get(&id_key(id))
        {
            return agent.to_string();
        }
        UNKNOWN.to_string()
    }
}

/// One agent's raw observations while computing.
#[derive(Default)]
struct AgentAcc {
    times: Vec<i64>,
    sent: usize,
    opened: usize,
    hours: WeekHours,
    sla: Option<SlaCounts>,
}

impl AgentAcc {
    fn merge(&mut self, other: &AgentAcc) {
        self.times.extend_from_slice(&other.times);
        self.sent += other.sent;
        self.opened += other.opened;
        if let Some(theirs) = &other.sla {
            self.sla.get_or_insert_default().add(theirs);
        }
        for (d, day) in other.hours.0.iter().enumerate() {
            for (h, n) in day.iter().enumerate() {
                self.hours.0[d][h] = self.hours.0[d][h].saturating_add(*n);
            }
        }
    }

    fn finish(&self, agent: &str) -> AgentStats {
        AgentStats {
            agent: agent.to_string(),
            answered: self.times.len(),
            first_response: ResponseTimes::of(&self.times),
            sent: self.sent,
            opened: self.opened,
            by_weekday_hour: self.hours.clone(),
            sla: self.sla,
        }
    }
}

fn agent_list(accs: &BTreeMap<String, AgentAcc>) -> Vec<AgentStats> {
    // Alphabetical, "unknown" last.
    let mut out: Vec<AgentStats> = accs
        .iter()
        .filter(|(a, _)| a.as_str() != UNKNOWN)
        .map(|(a, acc)| acc.finish(a))
        .collect();
    if let Some(acc) = accs.get(UNKNOWN) {
        out.push(acc.finish(UNKNOWN));
    }
    out
}

/// Computes the report. `opened_ids` are the Message-IDs (without brackets) of sent messages
/// a read receipt (MDN) was matched to; pass an empty set when there are none.
pub fn compute(
    inputs: &[MailboxInput],
    audit: &[Record],
    opened_ids: &HashSet<String>,
    settings: &Settings,
) -> Report {
    let attributor = Attributor::new(settings, audit);
    let opened: HashSet<String> = opened_ids.iter().map(|i| id_key(i)).collect();
    let in_window =
        |t: i64| settings.since.is_none_or(|s| t >= s) && settings.until.is_none_or(|u| t < u);
    let elapsed = |from: i64, to: i64| match &settings.business_hours {
        Some(bh) => bh.seconds_between(from, to, settings.offset),
        None => (to - from).max(0),
    };
    let mut all_agents: BTreeMap<String, AgentAcc> = BTreeMap::new();
    let mut mailboxes = Vec::with_capacity(inputs.len());
    for input in inputs {
        let own: Vec<String> = input
            .own_addresses
            .iter()
            .map(|a| a.trim().to_ascii_lowercase())
            .collect();
        let mut agents: BTreeMap<String, AgentAcc> = BTreeMap::new();
        let mut stats = MailboxStats {
            account: input.account.clone(),
            sla: input.sla.as_ref().map(|_| SlaCounts::default()),
            ..MailboxStats::default()
        };

        // Sent messages: attribution, window counts, and the earliest reply per named id.
        let first_reply = first_replies(&input.sent);
        let mut sent_agents = Vec::with_capacity(input.sent.len());
        // Two copies of one message in Sent (a resumed filing, a client's own copy) are one
        // message sent, as `mailroom audit` folds them.
        let mut counted: HashSet<String> = HashSet::new();
        for m in &input.sent {
            let agent = attributor.agent_of(m, &own);
            let first_copy = m
                .message_id
                .as_deref()
                .is_none_or(|id| counted.insert(id_key(id)));
            if first_copy && in_window(m.internal_date) {
                let was_opened = m
                    .message_id
                    .as_deref()
                    .is_some_and(|id| opened.contains(&id_key(id)));
                let acc = agents.entry(agent.clone()).or_default();
                acc.sent += 1;
                stats.sent += 1;
                if was_opened {
                    acc.opened += 1;
                    stats.opened += 1;
                }
            }
            sent_agents.push(agent);
        }

        // Customer messages in the window, one per Message-ID (the earliest copy).
        let mut customers: Vec<&CustomerMessage> = input
            .inbox
            .iter()
            .filter(|m| in_window(m.internal_date) && !m.automatic)
            .filter(|m| {
                let from = m.from.trim().to_ascii_lowercase();
                !own.contains(&from)
            })
            .collect();
        customers.sort_by_key(|m| (m.internal_date, m.uid));
        let mut seen_ids = HashSet::new();
        customers.retain(|m| match &m.message_id {
            Some(id) => seen_ids.insert(id_key(id)),
            None => true,
        });

        let mut times = Vec::new();
        for m in &customers {
            stats.received += 1;
            stats.by_weekday_hour.add(m.internal_date, settings.offset);
            let reply = m
                .message_id
                .as_deref()
                .and_then(|id| first_reply.get(&id_key(id)));
            let response = match reply {
                Some(&(at, _, _)) => Response::At(at),
                None => Response::Awaiting,
            };
            let sla = sla::status(input.sla.as_ref(), m.internal_date, response, settings.now);
            if let Some(counts) = &mut stats.sla {
                counts.count(&sla);
            }
            match reply {
                Some(&(at, _, index)) => {
                    stats.answered += 1;
                    let t = elapsed(m.internal_date, at);
                    times.push(t);
                    let acc = agents.entry(sent_agents[index].clone()).or_default();
                    acc.times.push(t);
                    acc.hours.add(at, settings.offset);
                    if input.sla.is_some() {
                        acc.sla.get_or_insert_default().count(&sla);
                    }
                }
                None => {
                    stats.unanswered += 1;
                    // Sorted by date: the first unanswered one waits longest.
                    if stats.oldest_unanswered.is_none() {
                        stats.oldest_unanswered = Some(Waiting {
                            uid: m.uid,
                            subject: m.subject.clone(),
                            from: m.from.clone(),
                            received: rfc3339_utc(m.internal_date),
                            age_seconds: (settings.now - m.internal_date).max(0),
                        });
                    }
                }
            }
        }
        stats.first_response = ResponseTimes::of(&times);
        if input.sla.is_some() {
            // Every agent of a mailbox with a target has counts, zero or not.
            for acc in agents.values_mut() {
                acc.sla.get_or_insert_default();
            }
        }
        for (agent, acc) in &agents {
            all_agents.entry(agent.clone()).or_default().merge(acc);
        }
        stats.agents = agent_list(&agents);
        mailboxes.push(stats);
    }
    Report {
        generated: rfc3339_utc(settings.now),
        since: settings.since.map(rfc3339_utc),
        until: settings.until.map(rfc3339_utc),
        timezone_offset: format_offset(settings.offset),
        business_hours: settings.business_hours.as_ref().map(|b| b.to_string()),
        mailboxes,
        agents: agent_list(&all_agents),
        warnings: Vec::new(),
        templates: super::template_uses::count(inputs, in_window),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_offset;

    /// Monday 2026-03-02 00:00 UTC.
    const MON: i64 = 1_772_409_600;
    const H: i64 = 3600;

    fn customer(uid: u32, id: &str, at: i64) -> CustomerMessage {
        CustomerMessage {
            uid,
            message_id: Some(id.into()),
            internal_date: at,
            from: format!("c{uid}@outside.test"),
            subject: format!("question {uid}"),
            automatic: false,
        }
    }

    fn reply(uid: u32, to: &str, at: i64) -> SentMessage {
        SentMessage {
            uid,
            message_id: Some(format!("r{uid}@example.test")),
            in_reply_to: vec![to.into()],
            references: vec![to.into()],
            internal_date: at,
            ..SentMessage::default()
        }
    }

    fn settings() -> Settings {
        Settings {
            now: MON + 30 * DAY,
            agent_id: "alice".into(),
            agent_email: "alice@example.test".into(),
            ..Settings::default()
        }
    }

    fn input(inbox: Vec<CustomerMessage>, sent: Vec<SentMessage>) -> MailboxInput {
        MailboxInput {
            account: "support".into(),
            own_addresses: vec!["support@example.test".into(), "help@example.test".into()],
            inbox,
            sent,
            ..MailboxInput::default()
        }
    }

    fn record(agent: &str, message_id: &str, sender: Option<&str>) -> Record {
        Record {
            time: "2026-03-02T00:00:00Z".into(),
            agent: agent.into(),
            account: "support".into(),
            envelope: crate::message::Envelope {
                mode: "as".into(),
                from: "support@example.test".into(),
                sender: sender.map(String::from),
                mail_from: "support@example.test".into(),
                recipients: vec![],
                message_id: message_id.into(),
                subject: String::new(),
            },
            result: "sent".into(),
            approved_by: None,
        }
    }

    fn agent<'a>(r: &'a [AgentStats], name: &str) -> &'a AgentStats {
        r.iter()
            .find(|a| a.agent == name)
            .unwrap_or_else(|| panic!("no agent {name}: {r:?}"))
    }

    #[test]
    fn nearest_rank_percentiles() {
        assert_eq!(nearest_rank(&[], 50), None);
        assert_eq!(nearest_rank(&[7], 50), Some(7));
        assert_eq!(nearest_rank(&[7], 90), Some(7));
        // Odd n = 5: median rank 3, p90 rank ⌈4.5⌉ = 5.
        let five = [10, 20, 30, 40, 50];
        assert_eq!(nearest_rank(&five, 50), Some(30));
        assert_eq!(nearest_rank(&five, 90), Some(50));
        // Even n = 4: median rank 2 (the lower middle), p90 rank ⌈3.6⌉ = 4.
        let four = [10, 20, 30, 40];
        assert_eq!(nearest_rank(&four, 50), Some(20));
        assert_eq!(nearest_rank(&four, 90), Some(40));
        // n = 10: p90 rank 9 exactly; n = 20: rank 18.
        let ten: Vec<i64> = (1..=10).collect();
        assert_eq!(nearest_rank(&ten, 90), Some(9));
        assert_eq!(nearest_rank(&ten, 50), Some(5));
        let twenty: Vec<i64> = (1..=20).collect();
        assert_eq!(nearest_rank(&twenty, 90), Some(18));
        let rt = ResponseTimes::of(&[50, 10, 40, 20, 30]);
        assert_eq!(
            rt,
            ResponseTimes {
                count: 5,
                median_seconds: Some(30),
                p90_seconds: Some(50)
            }
        );
    }

    #[test]
    fn counts_medians_and_oldest_waiting() {
        let inbox = vec![
            customer(1, "q1@outside.test", MON + 9 * H),
            customer(2, "q2@outside.test", MON + 10 * H),
            customer(3, "q3@outside.test", MON + 11 * H),
            customer(4, "q4@outside.test", MON + 12 * H),
            customer(5, "q5@outside.test", MON + 13 * H),
            customer(6, "q6@outside.test", MON + 14 * H),
        ];
        let sent = vec![
            reply(1, "q1@outside.test", MON + 9 * H + 600),
            reply(2, "q2@outside.test", MON + 10 * H + 1200),
            // A second, later reply to q2 is not its first response.
            reply(3, "q2@outside.test", MON + 10 * H + 50),
            reply(4, "q3@outside.test", MON + 11 * H + 300),
            reply(5, "q4@outside.test", MON + 12 * H + 4000),
        ];
        let r = compute(&[input(inbox, sent)], &[], &HashSet::new(), &settings());
        let m = &r.mailboxes[0];
        assert_eq!((m.received, m.answered, m.unanswered), (6, 4, 2));
        // Times: 600, 50 (the earlier of the two replies), 300, 4000 → sorted 50 300 600 4000.
        assert_eq!(m.first_response.count, 4);
        assert_eq!(m.first_response.median_seconds, Some(300));
        assert_eq!(m.first_response.p90_seconds, Some(4000));
        let w = m.oldest_unanswered.as_ref().unwrap();
        assert_eq!(w.uid, 5);
        assert_eq!(w.subject, "question 5");
        assert_eq!(w.age_seconds, 30 * DAY - 13 * H);
        assert_eq!(w.received, "2026-03-02T13:00:00Z");
        assert_eq!(m.sent, 5);
        // Monday (index 0), hours 9–14.
        for h in 9..=14 {
            assert_eq!(m.by_weekday_hour.0[0][h], 1);
        }
        assert_eq!(m.by_weekday_hour.total(), 6);
        assert_eq!(agent(&r.agents, UNKNOWN).answered, 4);
    }

    #[test]
    fn an_auto_reply_in_sent_is_no_first_response() {
        let inbox = vec![customer(1, "q1@outside.test", MON + 9 * H)];
        let auto = SentMessage {
            automatic: true,
            ..reply(1, "q1@outside.test", MON + 9 * H + 1)
        };
        let human = reply(2, "q1@outside.test", MON + 9 * H + 900);
        let r = compute(
            &[input(inbox, vec![auto, human])],
            &[],
            &HashSet::new(),
            &settings(),
        );
        let m = &r.mailboxes[0];
        assert_eq!(m.answered, 1);
        assert_eq!(m.first_response.median_seconds, Some(900));
        assert_eq!(m.sent, 2, "it was still sent");
    }

    #[test]
    fn two_copies_of_one_sent_message_count_once() {
        let inbox = vec![customer(1, "q1@outside.test", MON + 9 * H)];
        let copy = reply(1, "q1@outside.test", MON + 9 * H + 600);
        let again = SentMessage {
            uid: 2,
            ..copy.clone()
        };
        let r = compute(
            &[input(inbox, vec![copy, again])],
            &[],
            &HashSet::new(),
            &settings(),
        );
        let m = &r.mailboxes[0];
        assert_eq!((m.sent, m.answered), (1, 1));
        assert_eq!(m.first_response.median_seconds, Some(600));
    }

    #[test]
    fn window_and_own_addresses_and_duplicates() {
        let mut own = customer(1, "own@example.test", MON + H);
        own.from = "Support@Example.test".into();
        let mut alias = customer(2, "alias@example.test", MON + H);
        alias.from = "help@example.test".into();
        let mut mdn = customer(3, "mdn@outside.test", MON + H);
        mdn.automatic = true;
        let before = customer(4, "early@outside.test", MON - H);
        let after = customer(5, "late@outside.test", MON + 2 * DAY);
        let first = customer(6, "dup@outside.test", MON + 2 * H);
        let copy = customer(7, "dup@outside.test", MON + 2 * H + 5);
        let inside = customer(8, "in@outside.test", MON + 3 * H);
        let sent = vec![
            // Replies may come after the window's end.
            reply(1, "<In@Outside.TEST>", MON + 3 * DAY),
            reply(2, "dup@outside.test", MON + 3 * H),
            reply(3, "early@outside.test", MON),
        ];
        let s = Settings {
            since: Some(MON),
            until: Some(MON + DAY),
            ..settings()
        };
        let r = compute(
            &[input(
                vec![own, alias, mdn, before, after, first, copy, inside],
                sent,
            )],
            &[],
            &HashSet::new(),
            &s,
        );
        let m = &r.mailboxes[0];
        assert_eq!((m.received, m.answered, m.unanswered), (2, 2, 0));
        let mut times = [3 * DAY - 3 * H, H];
        times.sort();
        assert_eq!(m.first_response.median_seconds, Some(times[0]));
        assert_eq!(m.first_response.p90_seconds, Some(times[1]));
        // Only Sent messages inside the window count as sent (the one at MON + 3h).
        assert_eq!(m.sent, 2);
        assert_eq!(r.since.as_deref(), Some("2026-03-02T00:00:00Z"));
    }

    #[test]
    fn attribution_order_and_fallbacks() {
        let inbox: Vec<CustomerMessage> = (1..=7)
            .map(|i| customer(i, &format!("q{i}@outside.test"), MON + i64::from(i) * H))
            .collect();
        let mut sent: Vec<SentMessage> = (1..=7)
            .map(|i| {
                reply(
                    i,
                    &format!("q{i}@outside.test"),
                    MON + i64::from(i) * H + i64::from(i) * 60,
                )
            })
            .collect();
        // 1: Sender is the configured agent's email → their id.
        sent[0].sender = Some("Alice@example.test".into());
        // 2: Sender wins over X-Mailroom-Agent; mapped through the audit log's records.
        sent[1].sender = Some("bob@example.test".into());
        sent[1].x_mailroom_agent = Some("alice".into());
        // 3: Sender with no known agent: the address itself.
        sent[2].sender = Some("dave@example.test".into());
        // 4: send-as copy.
        sent[3].x_mailroom_agent = Some("carol".into());
        // 5: only the audit log knows (by Message-ID, brackets and case aside).
        // 6: nothing at all; a malformed X-Mailroom-Agent does not count.
        sent[5].x_mailroom_agent = Some("Evil Agent".into());
        // 7: a Sender equal to the shared address says nothing: falls through to the header.
        sent[6].sender = Some("support@example.test".into());
        sent[6].x_mailroom_agent = Some("carol".into());
        let audit = vec![
            record("bob", "other@example.test", Some("bob@example.test")),
            record("erin", "<R5@EXAMPLE.test>", None),
            record("Not Valid", "r6@example.test", None),
        ];
        let r = compute(&[input(inbox, sent)], &audit, &HashSet::new(), &settings());
        let names: Vec<&str> = r.agents.iter().map(|a| a.agent.as_str()).collect();
        assert_eq!(
            names,
            [
                "alice",
                "bob",
                "carol",
                "dave@example.test",
                "erin",
                UNKNOWN
            ]
        );
        assert_eq!(
            agent(&r.agents, "alice").first_response.median_seconds,
            Some(60)
        );
        assert_eq!(
            agent(&r.agents, "bob").first_response.median_seconds,
            Some(120)
        );
        let carol = agent(&r.agents, "carol");
        assert_eq!((carol.answered, carol.sent), (2, 2));
        assert_eq!(carol.first_response.median_seconds, Some(240));
        assert_eq!(carol.first_response.p90_seconds, Some(420));
        assert_eq!(agent(&r.agents, "erin").answered, 1);
        assert_eq!(agent(&r.agents, UNKNOWN).answered, 1);
        assert_eq!(
            agent(&r.agents, UNKNOWN).first_response.median_seconds,
            Some(360)
        );
        // The per-mailbox breakdown equals the overall one with a single mailbox.
        assert_eq!(r.mailboxes[0].agents, r.agents);
        // Carol's first responses were on Monday at 4h and 7h UTC.
        assert_eq!(carol.by_weekday_hour.0[0][4], 1);
        assert_eq!(carol.by_weekday_hour.0[0][7], 1);
    }

    #[test]
    fn opened_counts_sent_messages_with_a_receipt() {
        let inbox = vec![customer(1, "q1@outside.test", MON + H)];
        let mut sent = vec![
            reply(1, "q1@outside.test", MON + 2 * H),
            reply(2, "zz@outside.test", MON + 3 * H),
        ];
        sent[0].x_mailroom_agent = Some("alice".into());
        let opened: HashSet<String> = ["R1@example.test".to_string()].into();
        let r = compute(&[input(inbox, sent)], &[], &opened, &settings());
        assert_eq!(r.mailboxes[0].opened, 1);
        assert_eq!(r.mailboxes[0].sent, 2);
        assert_eq!(agent(&r.agents, "alice").opened, 1);
        assert_eq!(agent(&r.agents, UNKNOWN).opened, 0);
        assert_eq!(agent(&r.agents, UNKNOWN).sent, 1);
    }

    #[test]
    fn agents_add_up_over_mailboxes() {
        let mut a = input(
            vec![customer(1, "a@outside.test", MON)],
            vec![reply(1, "a@outside.test", MON + 100)],
        );
        a.sent[0].x_mailroom_agent = Some("bob".into());
        let mut b = input(
            vec![
                customer(1, "b@outside.test", MON),
                customer(2, "c@outside.test", MON),
            ],
            vec![
                reply(1, "b@outside.test", MON + 300),
                reply(2, "c@outside.test", MON + 200),
            ],
        );
        b.account = "sales".into();
        for s in &mut b.sent {
            s.x_mailroom_agent = Some("bob".into());
        }
        let r = compute(&[a, b], &[], &HashSet::new(), &settings());
        let bob = agent(&r.agents, "bob");
        assert_eq!(bob.answered, 3);
        assert_eq!(bob.first_response.median_seconds, Some(200));
        assert_eq!(bob.first_response.p90_seconds, Some(300));
        assert_eq!(agent(&r.mailboxes[1].agents, "bob").answered, 2);
    }

    #[test]
    fn business_hours_parse() {
        let bh = BusinessHours::parse("Mon-Fri 09:00-17:00").unwrap();
        assert_eq!(bh.days, [true, true, true, true, true, false, false]);
        assert_eq!((bh.start, bh.end), (540, 1020));
        assert_eq!(bh.to_string(), "mon,tue,wed,thu,fri 09:00-17:00");
        let wrap = BusinessHours::parse("sat-mon,Wednesday 08:30-24:00").unwrap();
        assert_eq!(wrap.days, [true, false, true, false, false, true, true]);
        assert_eq!(wrap.end, 1440);
        for bad in [
            "",
            "Mon-Fri",
            "Mon-Fri 9-17",
            "Mon-Fry 09:00-17:00",
            "Mon-Fri 17:00-09:00",
            "Mon-Fri 09:00-24:30",
            "Mon-Fri 09:60-17:00",
            "Mo-Fr 09:00-17:00",
            "Mon-Fri 09:00-17:00 extra",
        ] {
            assert!(BusinessHours::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn business_time_across_a_weekend() {
        let bh = BusinessHours::parse("Mon-Fri 09:00-17:00").unwrap();
        let fri = MON + 4 * DAY;
        // Friday 16:00 → Monday 10:00: one hour on Friday, one on Monday.
        assert_eq!(
            bh.seconds_between(fri + 16 * H, MON + 7 * DAY + 10 * H, 0),
            2 * H
        );
        // Saturday → Sunday: nothing.
        assert_eq!(bh.seconds_between(fri + DAY, fri + 2 * DAY + 23 * H, 0), 0);
        // Inside one day; before opening; after closing.
        assert_eq!(
            bh.seconds_between(MON + 10 * H, MON + 11 * H + 30, 0),
            H + 30
        );
        assert_eq!(bh.seconds_between(MON + 7 * H, MON + 9 * H + 60, 0), 60);
        assert_eq!(bh.seconds_between(MON + 18 * H, MON + DAY + 8 * H, 0), 0);
        // Three whole weeks and a bit: 15 business days of 8 h, plus Monday 09–10.
        assert_eq!(
            bh.seconds_between(MON, MON + 21 * DAY + 10 * H, 0),
            15 * 8 * H + H
        );
        // With an offset of +01:00, 08:30 UTC on Monday is 09:30 local.
        assert_eq!(
            bh.seconds_between(MON + 8 * H + 1800, MON + 9 * H + 1800, 3600),
            H
        );
        // Sunday 23:30 UTC is Monday 00:30 at +01:00, still closed: 09:00 local = 08:00 UTC.
        assert_eq!(bh.seconds_between(MON - 1800, MON + 8 * H + 600, 3600), 600);
        assert_eq!(bh.seconds_between(MON + H, MON, 0), 0);
    }

    #[test]
    fn business_hours_change_response_times() {
        let fri = MON + 4 * DAY;
        let inbox = vec![customer(1, "q1@outside.test", fri + 16 * H)];
        let sent = vec![reply(1, "q1@outside.test", MON + 7 * DAY + 10 * H)];
        let plain = compute(
            &[input(inbox.clone(), sent.clone())],
            &[],
            &HashSet::new(),
            &settings(),
        );
        assert_eq!(
            plain.mailboxes[0].first_response.median_seconds,
            Some(2 * DAY + 18 * H)
        );
        let s = Settings {
            business_hours: Some(BusinessHours::parse("Mon-Fri 09:00-17:00").unwrap()),
            ..settings()
        };
        let r = compute(&[input(inbox, sent)], &[], &HashSet::new(), &s);
        assert_eq!(r.mailboxes[0].first_response.median_seconds, Some(2 * H));
        assert_eq!(
            r.business_hours.as_deref(),
            Some("mon,tue,wed,thu,fri 09:00-17:00")
        );
    }

    #[test]
    fn weekday_hour_table_uses_the_offset() {
        let mut w = WeekHours::default();
        // Sunday 23:30 UTC is Monday 01:30 at +02:00.
        w.add(MON - 1800, 7200);
        w.add(MON - 1800, 0);
        assert_eq!(w.0[0][1], 1);
        assert_eq!(w.0[6][23], 1);
        assert_eq!(w.per_weekday()[0], 1);
        assert_eq!(w.per_hour()[23], 1);
        let json = serde_json::to_value(&w).unwrap();
        assert_eq!(json.as_array().map(Vec::len), Some(7));
        assert_eq!(json[0].as_array().map(Vec::len), Some(24));
    }

    #[test]
    fn dates_with_z_are_utc_and_only_digits_count() {
        let now = MON + 10 * DAY;
        // A trailing Z says UTC: the configured offset does not move it.
        assert_eq!(
            parse_date("2026-03-02T09:30Z", now, 3600, false),
            Ok(MON + 9 * H + 1800)
        );
        assert_eq!(
            parse_date("2026-03-02T09:30", now, 3600, false),
            Ok(MON + 8 * H + 1800)
        );
        for bad in [
            "2026-03-02T-1:00",
            "2026-03-02T+9:00",
            "2026-+3-02",
            "+202-03-02",
            "2026-03-02T09:-5",
        ] {
            assert!(parse_date(bad, now, 0, false).is_err(), "{bad:?}");
        }
        for bad in ["+1:000", "+010:0", "+01:0:0", "+-1:00"] {
            assert!(parse_offset(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn offsets_dates_and_durations() {
        assert_eq!(parse_offset("+01:00"), Ok(3600));
        assert_eq!(parse_offset("-05:30"), Ok(-19_800));
        assert_eq!(parse_offset("+0200"), Ok(7200));
        assert_eq!(parse_offset("UTC"), Ok(0));
        for bad in ["01:00", "+1:00", "+15:00", "+01:60", "+01:00:00", ""] {
            assert!(parse_offset(bad).is_err(), "{bad:?}");
        }
        assert_eq!(format_offset(-19_800), "-05:30");
        assert_eq!(format_offset(0), "+00:00");

        let now = MON + 10 * DAY;
        assert_eq!(parse_date("2026-03-02", now, 0, false), Ok(MON));
        assert_eq!(parse_date("2026-03-02", now, 0, true), Ok(MON + DAY));
        assert_eq!(parse_date("2026-03-02", now, 3600, false), Ok(MON - H));
        assert_eq!(
            parse_date("2026-03-02T09:30", now, 0, true),
            Ok(MON + 9 * H + 1800)
        );
        assert_eq!(
            parse_date("2026-03-02 09:30:15Z", now, 0, false),
            Ok(MON + 34_215)
        );
        assert_eq!(parse_date("7d", now, 0, false), Ok(now - 7 * DAY));
        assert_eq!(parse_date("2w", now, 3600, false), Ok(now - 14 * DAY));
        assert_eq!(parse_date("2024-02-29", now, 0, false), Ok(1_709_164_800));
        for bad in [
            "2026-02-29",
            "2026-13-01",
            "yesterday",
            "7y",
            "2026-3-2",
            "2026-03-02T25:00",
        ] {
            assert!(parse_date(bad, now, 0, false).is_err(), "{bad:?}");
        }

        assert_eq!(human_duration(45), "45s");
        assert_eq!(human_duration(750), "12m 30s");
        assert_eq!(human_duration(7500), "2h 05m");
        assert_eq!(human_duration(3 * DAY + 4 * H + 59), "3d 04h");
        assert_eq!(human_duration(-5), "0s");
    }

    #[test]
    fn parse_refusals_keep_their_texts() {
        let text = |r: Result<BusinessHours, ParseError>| r.unwrap_err().to_string();
        assert_eq!(
            text(BusinessHours::parse("Mon-Fri")),
            "expected days and hours, e.g. \"Mon-Fri 09:00-17:00\""
        );
        assert_eq!(
            text(BusinessHours::parse("Mo-Fr 09:00-17:00")),
            "\"Mo\" is not a day of the week (mon … sun)"
        );
        assert_eq!(
            text(BusinessHours::parse("Mon 9")),
            "\"9\" is not a time window such as 09:00-17:00"
        );
        assert_eq!(
            text(BusinessHours::parse("Mon 09:60-17:00")),
            "\"09:60\" is not a time of day (HH:MM)"
        );
        assert_eq!(
            text(BusinessHours::parse("Mon 17:00-09:00")),
            "the window \"17:00-09:00\" ends before it starts (windows across midnight are not supported)"
        );
        assert_eq!(
            parse_offset("+1").unwrap_err(),
            ParseError::NotAnOffset { text: "+1".into() }
        );
        assert_eq!(
            parse_offset("+1").unwrap_err().to_string(),
            "\"+1\" is not a UTC offset such as \"+01:00\" or \"-05:30\""
        );
        assert_eq!(
            parse_date("soon\r\n", 0, 0, false).unwrap_err().to_string(),
            format!(
                "{:?} is not a date: use YYYY-MM-DD, YYYY-MM-DDTHH:MM, or a time ago such as 7d",
                crate::sanitize::single_line("soon\r\n")
            )
        );
    }
}
