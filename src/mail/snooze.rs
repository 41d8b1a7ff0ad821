//! Snooze records: where a snooze's wake time lives, so that keywords stay a fixed, small set
//! (`triage::state`: one `$snoozed` keyword, whatever the wake time). Pure, beside notes
//! (`mail::note`), whose folder the records share.
//!
//! A snooze writes a record to the account's notes folder first, then stores `$snoozed` on the
//! message (atomically, `triage::act`). The record is a small message, never transmitted:
//!
//! ```text
//! X-Mailroom-Snooze: 2026-12-01T09:00:00Z
//! X-Mailroom-Agent: alice
//! From: <support@example.test>
//! To: <support@example.test>
//! Subject: [snooze] until 2026-12-01 09:00 UTC
//! Date: …
//! Message-ID: <…@example.test>
//! In-Reply-To: <the snoozed message's Message-ID>
//! References: <the snoozed message's Message-ID>
//! ```
//!
//! appended with `\Seen`. It carries no `X-Mailroom-Note` marker, so it is not shown as a
//! note. Rules:
//! - the `$snoozed` keyword is the authority for "is snoozed": unsnooze, reopen, done and a
//!   wake remove the keyword; the record may stay;
//! - the newest record (highest UID in the notes folder) for a Message-ID gives the wake time;
//! - a `$snoozed` message without a record is shown as woken (never hidden for ever);
//! - a failure between the two writes leaves a stray record, harmless since the keyword
//!   decides; the keyword is never stored without its record.
//!
//! Pure code: the IMAP side is `imap::snoozes`, Maildir's `backend::notes`.

use std::collections::HashMap;

use super::note::is_linkable_id;
use super::{compose, date, parse};
use crate::config::is_valid_agent_id;

/// The one snooze keyword of the team-state contract (`triage::state`).
pub const KEYWORD: &str = "$snoozed";
/// The prefix of earlier versions' snooze keywords, `$snoozed.<YYYYMMDDHHMM>` (read, never
/// written).
pub const LEGACY_PREFIX: &str = "$snoozed.";

/// Whether `keyword` is a snooze keyword: `$snoozed`, or an earlier version's
/// `$snoozed.<anything>` (caselessly; keywords come from the server, so no slicing that could
/// split a character).
pub fn is_snooze_keyword(keyword: &str) -> bool {
    keyword.eq_ignore_ascii_case(KEYWORD)
        || keyword.len() > LEGACY_PREFIX.len()
            && keyword
                .get(..LEGACY_PREFIX.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(LEGACY_PREFIX))
}

/// The header holding a record's wake time (RFC 3339, UTC).
pub const SNOOZE_HEADER: &str = "X-Mailroom-Snooze";
/// The subject prefix of a snooze record.
pub const SUBJECT_PREFIX: &str = "[snooze]";
/// Most records read from a notes folder (the newest).
pub const MAX_RECORDS: usize = 20_000;

/// The wake times of snoozed messages, by Message-ID (without brackets), from the records.
/// Kept by a column for its snoozed rows only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WakeTimes {
    by_id: HashMap<Box<str>, i64>,
}

impl WakeTimes {
    pub fn new() -> WakeTimes {
        WakeTimes::default()
    }

    /// The wake time of the message `message_id`, when a record gives one.
    pub fn get(&self, message_id: &str) -> Option<i64> {
        self.by_id.get(message_id).copied()
    }

    /// Records a wake time; a later call for the same id wins (records are read oldest first).
    pub fn insert(&mut self, message_id: &str, wake: i64) {
        self.by_id.insert(message_id.into(), wake);
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, i64)> {
        self.by_id.iter().map(|(k, v)| (k.as_ref(), *v))
    }
}

impl FromIterator<(String, i64)> for WakeTimes {
    fn from_iter<I: IntoIterator<Item = (String, i64)>>(iter: I) -> Self {
        let mut w = WakeTimes::new();
        for (id, t) in iter {
            w.insert(&id, t);
        }
        w
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    #[error("the message has no Message-ID, so its wake time cannot be recorded")]
    NoMessageId,
    #[error(
        "the message's Message-ID {0:?} contains characters that cannot be used in a header or a search"
    )]
    BadMessageId(String),
    #[error("{0:?} is not a valid agent id")]
    BadAgent(String),
    #[error("the account address {0:?} cannot be used in a header")]
    BadAddress(String),
}

/// `2026-12-01T09:00:00Z` → Unix seconds; `None` for anything else.
pub fn parse_rfc3339_utc(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let shape = b.len() == 20
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && (b[19] == b'Z' || b[19] == b'z');
    if !shape {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(r)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 59 {
        return None;
    }
    // Days from civil (H. Hinnant); a day the month does not have fails the round trip.
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doy = (153 * (if mo > 2 { mo - 3 } else { mo + 9 }) + 2) / 5 + d - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    let secs = days * 86_400 + h * 3600 + mi * 60 + sec;
    (date::rfc3339_utc(secs).eq_ignore_ascii_case(s)).then_some(secs)
}

/// A record built for appending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRecord {
    pub raw: Vec<u8>,
    /// The record's own Message-ID, without brackets.
    pub message_id: String,
}

/// Builds the record "`agent` snoozed the message `message_id` until `until`" for the
/// account at `address`. Every value is checked before it reaches a header.
pub fn build(
    address: &str,
    agent: &str,
    message_id: Option<&str>,
    until: i64,
    now: std::time::SystemTime,
) -> Result<NewRecord, RecordError> {
    let id = message_id.ok_or(RecordError::NoMessageId)?;
    if !is_linkable_id(id) {
        return Err(RecordError::BadMessageId(crate::sanitize::single_line(id)));
    }
    if !is_valid_agent_id(agent) {
        return Err(RecordError::BadAgent(crate::sanitize::single_line(agent)));
    }
    if !is_linkable_id(address) || !address.contains('@') {
        return Err(RecordError::BadAddress(crate::sanitize::single_line(
            address,
        )));
    }
    let secs = now
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let own = compose::message_id(address, now);
    let when = date::short_utc(until);
    let raw = format!(
        "{SNOOZE_HEADER}: {}\r\n\
         X-Mailroom-Agent: {agent}\r\n\
         From: <{address}>\r\n\
         To: <{address}>\r\n\
         Subject: {SUBJECT_PREFIX} until {when} UTC\r\n\
         Date: {}\r\n\
         Message-ID: <{own}>\r\n\
         In-Reply-To: <{id}>\r\n\
         References: <{id}>\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=us-ascii\r\n\
         \r\n\
         {agent} snoozed this message until {when} UTC (a mailroom snooze record).\r\n",
        date::rfc3339_utc(until),
        date::rfc5322_utc(secs),
    );
    Ok(NewRecord {
        raw: raw.into_bytes(),
        message_id: own,
    })
}

/// Whether a message (or its header section) is a snooze record.
pub fn is_record(headers: &[u8]) -> bool {
    parse::header_text(headers, SNOOZE_HEADER).is_some()
}

/// What a record says: the snoozed message's Message-ID and its wake time. `None` when the
/// headers are not a usable record.
pub fn parse_record(headers: &[u8]) -> Option<(String, i64)> {
    let wake = parse_rfc3339_utc(&parse::header_text(headers, SNOOZE_HEADER)?)?;
    let irt = parse::header_text(headers, "In-Reply-To")?;
    let id = irt.trim().strip_prefix('<')?.split('>').next()?.to_string();
    is_linkable_id(&id).then_some((id, wake))
}

/// The wake times given by records' headers, read oldest first: the newest record for a
/// Message-ID wins.
pub fn wake_times<'a>(records: impl IntoIterator<Item = &'a [u8]>) -> WakeTimes {
    let mut w = WakeTimes::new();
    for headers in records {
        if let Some((id, wake)) = parse_record(headers) {
            w.insert(&id, wake);
        }
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_round_trips_and_is_not_a_note() {
        let now = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_800_000_000);
        let until = 1_800_003_600;
        let r = build(
            "support@example.test",
            "alice",
            Some("q1@outside.test"),
            until,
            now,
        )
        .unwrap();
        let text = String::from_utf8(r.raw.clone()).unwrap();
        assert!(text.contains("\r\nX-Mailroom-Agent: alice\r\n"), "{text}");
        assert!(!crate::mail::note::is_note(&r.raw));
        assert!(is_record(&r.raw));
        assert_eq!(
            parse_record(&r.raw),
            Some(("q1@outside.test".to_string(), until))
        );
        // Header lines only: no CR/LF from any value.
        let head = text.split("\r\n\r\n").next().unwrap();
        assert!(head.lines().all(|l| l.contains(": ")), "{head}");
    }

    #[test]
    fn hostile_values_never_reach_a_header() {
        let now = std::time::SystemTime::now();
        let addr = "support@example.test";
        assert_eq!(
            build(addr, "alice", None, 0, now),
            Err(RecordError::NoMessageId)
        );
        for bad in ["a\r\nBcc: x", "a b", "<a>", "a\"b", ""] {
            assert!(
                matches!(
                    build(addr, "alice", Some(bad), 0, now),
                    Err(RecordError::BadMessageId(_))
                ),
                "{bad:?}"
            );
        }
        assert!(matches!(
            build(addr, "Al ice", Some("a@b"), 0, now),
            Err(RecordError::BadAgent(_))
        ));
        assert!(matches!(
            build("x\r\ny@z", "alice", Some("a@b"), 0, now),
            Err(RecordError::BadAddress(_))
        ));
    }

    #[test]
    fn the_newest_record_wins_and_bad_ones_are_skipped() {
        let rec = |id: &str, when: &str| {
            format!("X-Mailroom-Snooze: {when}\r\nIn-Reply-To: <{id}>\r\n\r\n").into_bytes()
        };
        let records = [
            rec("a@x", "2026-12-01T09:00:00Z"),
            rec("b@x", "2026-12-02T09:00:00Z"),
            rec("a@x", "2026-12-03T10:30:15Z"),
            rec("c@x", "tomorrow"),
            rec("d\"@x", "2026-12-01T09:00:00Z"),
            b"In-Reply-To: <e@x>\r\n\r\n".to_vec(),
        ];
        let w = wake_times(records.iter().map(Vec::as_slice));
        assert_eq!(w.len(), 2);
        assert_eq!(w.get("a@x"), parse_rfc3339_utc("2026-12-03T10:30:15Z"));
        assert_eq!(
            w.get("b@x").map(date::rfc3339_utc).as_deref(),
            Some("2026-12-02T09:00:00Z")
        );
        assert_eq!(w.get("c@x"), None);
        for bad in [
            "2026-12-01 09:00:00Z",
            "2026-13-01T09:00:00Z",
            "2026-12-01T09:00:60Z",
            "2026-12-01T09:00:0+Z",
            "2026-12-01T09:00:00+01:00",
            "é026-12-01T09:00:00Z",
            "2026-02-30T09:00:00Z",
        ] {
            assert_eq!(parse_rfc3339_utc(bad), None, "{bad}");
        }
    }
}
