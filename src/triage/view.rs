//! Team views of a column (open, mine, unassigned, pending, done, all): which rows each
//! shows, and the counts in the column header. Pure: the state comes from the keywords
//! (`triage::state`), the snooze records' wake times (`mail::snooze::WakeTimes`) and the
//! clock, so a teammate's change re-sorts the rows by itself.
//!
//! A row is snoozed while it carries `$snoozed` (or an earlier version's `$snoozed.<minute>`)
//! and its wake time (the newest record's, else the old keyword's minute) is still to come;
//! past it, the row is overdue: shown, and any running mailroom clears the keyword. A
//! `$snoozed` row whose wake time is unknown (no record found) is shown, and not cleared.

use super::state::{
    ASSIGNED, DONE, PENDING, SNOOZED, SNOOZED_LEGACY, TeamState, parse_minute, suffix,
};
use crate::config::{View, is_valid_agent_id};
use crate::mail::snooze::{WakeTimes, is_snooze_keyword};
use crate::message::Summary;
use crate::sanitize;

/// One row's team state as the views need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowState {
    pub done: bool,
    pub pending: bool,
    pub assigned: bool,
    pub mine: bool,
    /// Snoozed until a time still to come.
    pub asleep: bool,
    /// Waiting for a first response, due soon or overdue (`policy::team::sla`): set by the
    /// caller that knows the target and the clock; `false` from the keywords alone.
    pub urgent: bool,
}

/// What the views need of one row's keywords, read without allocating: this runs over every
/// row whenever rows or flags change (100k rows in a big shared mailbox). The second value is
/// whether a snooze keyword is there, the third the newest minute of earlier versions' ones.
fn scan<K: AsRef<str>>(keywords: &[K], me: Option<&str>) -> (RowState, bool, Option<i64>) {
    let mut r = RowState {
        done: false,
        pending: false,
        assigned: false,
        mine: false,
        asleep: false,
        urgent: false,
    };
    let (mut snoozed, mut legacy) = (false, None);
    for k in keywords {
        let k = k.as_ref();
        if let Some(agent) = suffix(k, ASSIGNED) {
            // The contract allows one assignee; with more (a race outside mailroom), the
            // first decides, as `triage::state::state` reads it.
            if !r.assigned {
                r.assigned = true;
                r.mine = me.is_some_and(|me| agent.eq_ignore_ascii_case(me));
            }
        } else if let Some(when) = suffix(k, SNOOZED_LEGACY) {
            snoozed = true;
            legacy = parse_minute(when).max(legacy);
        } else if k.eq_ignore_ascii_case(SNOOZED) {
            snoozed = true;
        } else if k.eq_ignore_ascii_case(PENDING) {
            r.pending = true;
        } else if k.eq_ignore_ascii_case(DONE) {
            r.done = true;
        }
    }
    (r, snoozed, legacy)
}

/// The wake time of a row: `None` when it is not snoozed or its wake time is unknown.
fn wake_of(s: &Summary, snoozed: bool, legacy: Option<i64>, wakes: &WakeTimes) -> Option<i64> {
    if !snoozed {
        return None;
    }
    if !wakes.is_empty()
        && let Some(t) = s.message_id().and_then(|id| wakes.get(id))
    {
        return Some(t);
    }
    legacy
}

/// A message's team state: its keywords (`triage::state::state`) with the wake time of its
/// snooze from the records, when it is snoozed and a record is known.
pub fn team_state(s: &Summary, wakes: &WakeTimes) -> TeamState {
    let mut t = super::state::state(&s.keywords);
    if t.snoozed
        && let Some(w) = s.message_id().and_then(|id| wakes.get(id))
    {
        t.snoozed_until = Some(w);
    }
    t
}

impl RowState {
    pub fn of(s: &Summary, me: Option<&str>, now: i64, wakes: &WakeTimes) -> RowState {
        let (mut r, snoozed, legacy) = scan(&s.keywords, me);
        r.asleep = wake_of(s, snoozed, legacy, wakes).is_some_and(|until| until > now);
        r
    }

    pub fn from_state(t: &TeamState, me: Option<&str>, now: i64) -> RowState {
        RowState {
            done: t.done,
            pending: t.pending,
            assigned: t.assigned.is_some(),
            mine: me.is_some_and(|me| t.assigned.as_deref() == Some(me)),
            asleep: t.snoozed && t.snoozed_until.is_some_and(|until| until > now),
            urgent: false,
        }
    }

    fn open(self) -> bool {
        !self.done && !self.pending && !self.asleep
    }

    pub fn shown_in(self, view: View) -> bool {
        match view {
            View::Open => self.open(),
            View::Mine => self.open() && self.mine,
            View::Unassigned => self.open() && !self.assigned,
            View::Pending => self.pending && !self.done && !self.asleep,
            View::Done => self.done && !self.asleep,
            View::All => true,
            View::Due => self.open() && self.urgent,
        }
    }
}

/// How many rows each view shows, and when the next snooze ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    pub open: usize,
    pub mine: usize,
    pub unassigned: usize,
    pub pending: usize,
    pub done: usize,
    pub all: usize,
    /// Snoozed now, shown only in `all`.
    pub asleep: usize,
    /// Rows whose snooze has ended (their wake time is known and past) but whose keyword is
    /// still there (to be cleared).
    pub overdue: usize,
    /// The earliest end of a running snooze (Unix seconds).
    pub next_wake: Option<i64>,
}

impl Counts {
    pub fn of<'a>(
        rows: impl IntoIterator<Item = &'a Summary>,
        me: Option<&str>,
        now: i64,
        wakes: &WakeTimes,
    ) -> Counts {
        let mut c = Counts::default();
        for s in rows {
            let one = Counts::row(s, me, now, wakes);
            c.add(&one);
            if let Some(until) = one.next_wake {
                c.next_wake = Some(c.next_wake.map_or(until, |w| w.min(until)));
            }
        }
        c
    }

    /// One row's share of the counts (`all` is 1); `next_wake` is when its snooze ends, if
    /// it is asleep. A column keeps its counts by adding and taking away these.
    pub fn row(s: &Summary, me: Option<&str>, now: i64, wakes: &WakeTimes) -> Counts {
        let (mut r, snoozed, legacy) = scan(&s.keywords, me);
        let mut c = Counts {
            all: 1,
            ..Counts::default()
        };
        match wake_of(s, snoozed, legacy, wakes) {
            Some(until) if until > now => {
                r.asleep = true;
                c.next_wake = Some(until);
            }
            Some(_) => c.overdue = 1,
            None => {}
        }
        c.open = usize::from(r.shown_in(View::Open));
        c.mine = usize::from(r.shown_in(View::Mine));
        c.unassigned = usize::from(r.shown_in(View::Unassigned));
        c.pending = usize::from(r.shown_in(View::Pending));
        c.done = usize::from(r.shown_in(View::Done));
        c.asleep = usize::from(r.asleep);
        c
    }

    /// Adds `o`'s counts (not `next_wake`, which is a minimum, not a sum).
    pub fn add(&mut self, o: &Counts) {
        self.open += o.open;
        self.mine += o.mine;
        self.unassigned += o.unassigned;
        self.pending += o.pending;
        self.done += o.done;
        self.all += o.all;
        self.asleep += o.asleep;
        self.overdue += o.overdue;
    }

    /// Takes away `o`'s counts, which were added before (not `next_wake`).
    pub fn sub(&mut self, o: &Counts) {
        self.open = self.open.saturating_sub(o.open);
        self.mine = self.mine.saturating_sub(o.mine);
        self.unassigned = self.unassigned.saturating_sub(o.unassigned);
        self.pending = self.pending.saturating_sub(o.pending);
        self.done = self.done.saturating_sub(o.done);
        self.all = self.all.saturating_sub(o.all);
        self.asleep = self.asleep.saturating_sub(o.asleep);
        self.overdue = self.overdue.saturating_sub(o.overdue);
    }

    pub fn get(&self, view: View) -> usize {
        match view {
            View::Open => self.open,
            View::Mine => self.mine,
            View::Unassigned => self.unassigned,
            View::Pending => self.pending,
            View::Done => self.done,
            View::All => self.all,
            // It moves with the clock: not kept; the column counts the rows it shows.
            View::Due => 0,
        }
    }
}

/// A message's team state in a few words, for the reader's "Team" line and the status line:
/// "assigned to alice, pending, snoozed until 2026-12-01 09:00 UTC, bob replying".
pub fn describe(s: &TeamState) -> String {
    describe_in(s, &jiff::tz::TimeZone::UTC)
}

/// `describe` with the wake time in `tz` (the agent's zone): "snoozed until 2026-12-01 09:00
/// CET".
pub fn describe_in(s: &TeamState, tz: &jiff::tz::TimeZone) -> String {
    // Agent ids come from the server: one that is not an id by the contract is not shown.
    let valid = |a: &&String| is_valid_agent_id(a);
    let mut parts = vec![match s.assigned.as_ref().filter(valid) {
        Some(a) => format!("assigned to {a}"),
        None if s.assigned.is_some() => "assigned (to an invalid agent id)".into(),
        None => "unassigned".into(),
    }];
    if s.pending {
        parts.push("pending".into());
    }
    if s.done {
        parts.push("done".into());
    }
    match (s.snoozed, s.snoozed_until) {
        (_, Some(t)) => parts.push(format!("snoozed until {}", super::when::short_local(t, tz))),
        (true, None) => parts.push("snoozed (wake time unknown: shown)".into()),
        (false, None) => {}
    }
    let replying: Vec<&str> = s
        .replying
        .iter()
        .filter(valid)
        .map(String::as_str)
        .collect();
    if !replying.is_empty() {
        parts.push(format!("{} replying", replying.join(", ")));
    }
    sanitize::single_line(&parts.join(", "))
}

/// Snoozes that have ended: `(uid, keywords to remove)` — every snooze keyword of a row whose
/// wake time (record, else an earlier version's minute) has come. Any running mailroom clears
/// them, so the message comes back for the whole team even if the agent who snoozed it is
/// away. A row whose wake time is unknown is not cleared (shown, see the module).
pub fn due_snoozes<'a>(
    rows: impl IntoIterator<Item = &'a Summary>,
    now: i64,
    wakes: &WakeTimes,
) -> Vec<(u32, Vec<String>)> {
    rows.into_iter()
        .filter_map(|s| {
            let (_, snoozed, legacy) = scan(&s.keywords, None);
            if wake_of(s, snoozed, legacy, wakes).is_none_or(|until| until > now) {
                return None;
            }
            let due: Vec<String> = s
                .keywords
                .iter()
                .filter(|k| is_snooze_keyword(k))
                .map(|k| k.to_string())
                .collect();
            (!due.is_empty()).then_some((s.uid, due))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Fields;

    fn row(uid: u32, kw: &[&str]) -> Summary {
        Summary::new(Fields {
            uid,
            keywords: kw.iter().map(|k| k.to_string()).collect(),
            ..Fields::default()
        })
    }

    #[test]
    fn views_partition_the_rows_by_team_state() {
        // Earlier versions' `$snoozed.<minute>` keywords, without records.
        let none = WakeTimes::new();
        let now = parse_minute("202611271200").unwrap_or(0);
        let rows = [
            row(1, &[]),
            row(2, &["$assigned.alice"]),
            row(3, &["$assigned.bob"]),
            row(4, &["$assigned.alice", "$pending"]),
            row(5, &["$done", "$assigned.bob"]),
            row(6, &["$pending", "$snoozed.202611281200"]),
            row(7, &["$snoozed.202611271100"]),
        ];
        let shown = |v: View| -> Vec<u32> {
            rows.iter()
                .filter(|s| RowState::of(s, Some("alice"), now, &none).shown_in(v))
                .map(|s| s.uid)
                .collect()
        };
        assert_eq!(shown(View::Open), [1, 2, 3, 7]);
        assert_eq!(shown(View::Mine), [2]);
        assert_eq!(shown(View::Unassigned), [1, 7]);
        assert_eq!(shown(View::Pending), [4]);
        assert_eq!(shown(View::Done), [5]);
        assert_eq!(shown(View::All).len(), 7);
        let c = Counts::of(&rows, Some("alice"), now, &none);
        assert_eq!(
            (
                c.open,
                c.mine,
                c.unassigned,
                c.pending,
                c.done,
                c.all,
                c.asleep,
                c.overdue
            ),
            (4, 1, 2, 1, 1, 7, 1, 1)
        );
        assert_eq!(c.next_wake, parse_minute("202611281200"));
        // Row 7's snooze has ended: it is due to be cleared, row 6's is not.
        assert_eq!(
            due_snoozes(&rows, now, &none),
            [(7, vec!["$snoozed.202611271100".to_string()])]
        );
    }

    #[test]
    fn a_snoozed_done_message_hides_from_the_done_view_too() {
        // "Every view but `all` hides a message snoozed until later": done included.
        let none = WakeTimes::new();
        let now = parse_minute("202611271200").unwrap_or(0);
        let rows = [
            row(1, &["$done"]),
            row(2, &["$done", "$snoozed.202611281200"]),
        ];
        let shown: Vec<u32> = rows
            .iter()
            .filter(|s| RowState::of(s, None, now, &none).shown_in(View::Done))
            .map(|s| s.uid)
            .collect();
        assert_eq!(shown, [1]);
        let c = Counts::of(&rows, None, now, &none);
        assert_eq!((c.done, c.asleep, c.all), (1, 1, 2));
    }

    fn with_id(uid: u32, id: &str, kw: &[&str]) -> Summary {
        Summary::new(Fields {
            uid,
            message_id: Some(id.to_string()),
            keywords: kw.iter().map(|k| k.to_string()).collect(),
            ..Fields::default()
        })
    }

    #[test]
    fn wake_times_come_from_the_records_and_the_keyword_decides() {
        let now = parse_minute("202611271200").unwrap_or(0);
        let rows = [
            // Snoozed, its record says tomorrow: asleep.
            with_id(1, "a@x", &["$snoozed"]),
            // Snoozed, its record says an hour ago: overdue (shown, to be cleared).
            with_id(2, "b@x", &["$snoozed", "$pending"]),
            // Snoozed, no record: shown, never hidden for ever, not cleared.
            with_id(3, "c@x", &["$snoozed"]),
            // A record, but no keyword (unsnoozed): not snoozed.
            with_id(4, "d@x", &[]),
            // An earlier version's keyword and a newer record: the record decides.
            with_id(5, "e@x", &["$snoozed.202612311200"]),
        ];
        let wakes: WakeTimes = [
            ("a@x".to_string(), now + 86_400),
            ("b@x".to_string(), now - 3600),
            ("d@x".to_string(), now + 86_400),
            ("e@x".to_string(), now - 60),
        ]
        .into_iter()
        .collect();
        let shown = |v: View| -> Vec<u32> {
            rows.iter()
                .filter(|s| RowState::of(s, None, now, &wakes).shown_in(v))
                .map(|s| s.uid)
                .collect()
        };
        assert_eq!(shown(View::Open), [3, 4, 5]);
        assert_eq!(shown(View::Pending), [2]);
        let c = Counts::of(&rows, None, now, &wakes);
        assert_eq!(
            (c.asleep, c.overdue, c.next_wake),
            (1, 2, Some(now + 86_400))
        );
        assert_eq!(
            due_snoozes(&rows, now, &wakes),
            [
                (2, vec!["$snoozed".to_string()]),
                (5, vec!["$snoozed.202612311200".to_string()])
            ]
        );
        let t = team_state(&rows[0], &wakes);
        assert!(t.snoozed && t.snoozed_until == Some(now + 86_400));
        assert_eq!(
            describe(&team_state(&rows[2], &wakes)),
            "unassigned, snoozed (wake time unknown: shown)"
        );
        assert_eq!(team_state(&rows[3], &wakes), TeamState::default());
    }

    #[test]
    fn views_cycle_and_parse() {
        let mut v = View::Open;
        let mut seen = Vec::new();
        for _ in 0..6 {
            seen.push(v.name());
            v = v.next();
        }
        assert_eq!(
            seen,
            ["open", "mine", "unassigned", "pending", "done", "all"]
        );
        assert_eq!(v, View::Open);
        assert_eq!(View::parse(" Pending "), Some(View::Pending));
        assert_eq!(View::parse("later"), None);
    }
}
