//! The first-response target of a mailbox (`[sla]` of the team policy) applied to one message:
//! when it is due, and where it stands. Pure: the caller gives the clock.
//!
//! - **Due**: the arrival (INTERNALDATE) plus the target. With business hours only the time
//!   inside them counts: a message that arrives Friday 16:00 with a 4h target in
//!   `Mon-Fri 09:00-17:00` is due Monday 12:00; one that arrives at night counts from the next
//!   opening.
//! - **First response**: what `stats` counts (`insight::stats`): the earliest message of the
//!   account's Sent folder, not automatic, whose In-Reply-To or References names the message;
//!   its INTERNALDATE is when it was answered. Where the Sent folder is not read (the TUI's
//!   rows, `list --offline`), the row's own marks stand in: `\Answered` (set when a reply is
//!   sent), `$done` or `$pending` say it was taken care of, not when: such a row counts as
//!   [`State::Met`].
//! - **State**: no target → `none`; answered by the due time → `met`, later → `breached`;
//!   not answered: past the due time → `overdue`, within `due_soon` of it → `due_soon`, else
//!   `ok`. Time left and time over count business time too.

use super::Sla;
use crate::config::BusinessHours;
use crate::message::Summary;

const DAY: i64 = 86_400;

/// The team-state keywords that say a message needs nothing more from the team for now
/// (`triage::state::DONE`, `PENDING`; policy sits below triage, so they are spelled here).
const CLOSED: [&str; 2] = ["$done", "$pending"];

/// Where a message stands against the target (`sla_state` of `list --json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// No target for this mailbox.
    None,
    Ok,
    DueSoon,
    Overdue,
    Met,
    Breached,
}

impl State {
    pub fn name(self) -> &'static str {
        match self {
            State::None => "none",
            State::Ok => "ok",
            State::DueSoon => "due_soon",
            State::Overdue => "overdue",
            State::Met => "met",
            State::Breached => "breached",
        }
    }

    /// Still waiting for a first response, and at or near the target: the "due" view.
    pub fn is_urgent(self) -> bool {
        matches!(self, State::DueSoon | State::Overdue)
    }
}

/// What is known of a message's first response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Response {
    /// None yet.
    Awaiting,
    /// Answered at this time (Unix seconds): a reply in Sent.
    At(i64),
    /// Answered, time unknown: only the row's marks say so.
    Unknown,
}

/// A message against the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    pub state: State,
    /// When the first response is (was) due, Unix seconds; `None` without a target or when met.
    pub due: Option<i64>,
    /// Seconds (of business time, with business hours) until the due time; negative when over.
    /// 0 when there is no due time.
    pub left: i64,
}

impl Status {
    pub const NONE: Status = Status {
        state: State::None,
        due: None,
        left: 0,
    };

    /// The row's short text (at most 8 cells): "2h left", "due now", "3h over", "met",
    /// "breached"; empty without a target.
    pub fn short(&self) -> String {
        match self.state {
            State::None => String::new(),
            State::Met => "met".into(),
            State::Breached => "breached".into(),
            State::Ok | State::DueSoon if self.left < 60 => "due now".into(),
            State::Ok | State::DueSoon => format!("{} left", span(self.left)),
            State::Overdue => format!("{} over", span(-self.left)),
        }
    }
}

/// `45m`, `3h`, `2d`: the largest whole unit, at most 3 cells for anything under 100 days.
pub fn span(secs: i64) -> String {
    let s = secs.max(0);
    if s < 3600 {
        format!("{}m", (s / 60).max(1))
    } else if s < DAY {
        format!("{}h", s / 3600)
    } else {
        format!("{}d", s / DAY)
    }
}

/// When a message that arrived at `arrival` is due under `sla`.
pub fn due_at(sla: &Sla, arrival: i64) -> i64 {
    match &sla.hours {
        None => arrival.saturating_add(sla.first_response),
        Some(hours) => add_business(hours, arrival, sla.first_response, sla.offset),
    }
}

/// Seconds of `sla`'s time (business time with business hours) in `[from, to)`.
fn elapsed(sla: &Sla, from: i64, to: i64) -> i64 {
    match &sla.hours {
        None => (to - from).max(0),
        Some(hours) => hours.seconds_between(from, to, sla.offset),
    }
}

/// The instant `secs` seconds of business time after `from` (Unix seconds, hours at `offset`
/// east of UTC). Hours without a single open minute never reach it: `i64::MAX`.
pub fn add_business(hours: &BusinessHours, from: i64, secs: i64, offset: i32) -> i64 {
    let window = i64::from(hours.end.saturating_sub(hours.start)) * 60;
    let per_week = hours.days.iter().filter(|&&d| d).count() as i64 * window;
    if per_week == 0 {
        return i64::MAX;
    }
    let local = from + i64::from(offset);
    let mut remaining = secs.max(0);
    let mut day = local.div_euclid(DAY);
    let mut first = true;
    loop {
        if hours.days[weekday(day)] {
            let open = day * DAY + i64::from(hours.start) * 60;
            let close = day * DAY + i64::from(hours.end) * 60;
            let start = if first { open.max(local) } else { open };
            if start < close || (remaining == 0 && start <= close) {
                let available = (close - start).max(0);
                if remaining <= available {
                    return start + remaining - i64::from(offset);
                }
                remaining -= available;
            }
        }
        if first {
            first = false;
            // Whole weeks in one step, keeping at least one open second for the days after.
            let weeks = (remaining - 1).max(0) / per_week;
            remaining -= weeks * per_week;
            day += 1 + weeks * 7;
        } else {
            day += 1;
        }
    }
}

/// Monday = 0 for a day number since 1970-01-01 (a Thursday).
fn weekday(day: i64) -> usize {
    (day + 3).rem_euclid(7) as usize
}

/// Where a message that arrived at `arrival` stands at `now`.
pub fn status(sla: Option<&Sla>, arrival: i64, response: Response, now: i64) -> Status {
    let Some(sla) = sla else {
        return Status::NONE;
    };
    let due = due_at(sla, arrival);
    match response {
        Response::At(t) if t <= due => Status {
            state: State::Met,
            due: None,
            left: 0,
        },
        Response::At(t) => Status {
            state: State::Breached,
            due: Some(due),
            left: -elapsed(sla, due, t),
        },
        Response::Unknown => Status {
            state: State::Met,
            due: None,
            left: 0,
        },
        Response::Awaiting if now >= due => Status {
            state: State::Overdue,
            due: Some(due),
            left: -elapsed(sla, due, now),
        },
        Response::Awaiting => {
            let left = elapsed(sla, now, due);
            Status {
                state: if left <= sla.due_soon {
                    State::DueSoon
                } else {
                    State::Ok
                },
                due: Some(due),
                left,
            }
        }
    }
}

/// What a row's own marks say of its first response: `\Answered`, `$done` or `$pending`
/// → answered at an unknown time; else none yet.
pub fn row_response(s: &Summary) -> Response {
    let closed = || {
        s.keywords
            .iter()
            .any(|k| CLOSED.iter().any(|c| k.eq_ignore_ascii_case(c)))
    };
    if s.flags.answered || closed() {
        Response::Unknown
    } else {
        Response::Awaiting
    }
}

/// A row's status from its own marks (the TUI, `list --offline`).
pub fn row_status(sla: Option<&Sla>, s: &Summary, now: i64) -> Status {
    match sla {
        None => Status::NONE,
        Some(_) => status(sla, s.internal_date, row_response(s), now),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{Fields, Flags};

    /// Monday 2026-03-02 00:00 UTC.
    const MON: i64 = 1_772_409_600;
    const H: i64 = 3600;

    fn office(target: i64) -> Sla {
        Sla {
            first_response: target,
            hours: BusinessHours::parse("Mon-Fri 09:00-17:00").ok(),
            offset: 0,
            due_soon: H,
        }
    }

    fn always(target: i64) -> Sla {
        Sla {
            first_response: target,
            hours: None,
            offset: 0,
            due_soon: H,
        }
    }

    #[test]
    fn a_target_of_centuries_is_refused_by_the_validator_not_overflowed() {
        let text = "version = 1\n[sla]\nfirst_response = \"9000000000000000000s\"\n\
                    hours = \"Mon 09:00-09:01\"\n";
        match super::super::parse(text) {
            Err(e) => {
                let e = e.to_string();
                assert!(e.contains("3:") && e.contains("sla.first_response"), "{e}");
            }
            Ok(p) => {
                let sla = p.sla.unwrap();
                let s = status(Some(&sla), MON, Response::Awaiting, MON + H);
                panic!("accepted, due {:?}", s.due);
            }
        }
        let ok = "version = 1\n[sla]\nfirst_response = \"366d\"\ndue_soon = \"30d\"\n";
        assert!(super::super::parse(ok).is_ok());
        let soon = "version = 1\n[sla]\nfirst_response = \"4h\"\ndue_soon = \"99999999999d\"\n";
        assert!(super::super::parse(soon).is_err());
    }

    #[test]
    fn friday_afternoon_is_due_monday_noon() {
        let fri_16 = MON + 4 * DAY + 16 * H;
        assert_eq!(due_at(&office(4 * H), fri_16), MON + 7 * DAY + 12 * H);
        // Around the clock: Friday 20:00.
        assert_eq!(due_at(&always(4 * H), fri_16), fri_16 + 4 * H);
    }

    #[test]
    fn business_hours_start_at_the_next_opening() {
        // Saturday 03:00 and Monday 06:00 both count from Monday 09:00.
        let sat = MON + 5 * DAY + 3 * H;
        assert_eq!(due_at(&office(2 * H), sat), MON + 7 * DAY + 11 * H);
        assert_eq!(due_at(&office(2 * H), MON + 6 * H), MON + 11 * H);
        // Exactly the whole day's window ends at closing time, not the next morning.
        assert_eq!(due_at(&office(8 * H), MON + 9 * H), MON + 17 * H);
        // Two weeks of business time (80h) from Monday 09:00: Friday 17:00 a week later.
        assert_eq!(
            due_at(&office(80 * H), MON + 9 * H),
            MON + 11 * DAY + 17 * H
        );
        // 81h: the Monday after, 10:00.
        assert_eq!(
            due_at(&office(81 * H), MON + 9 * H),
            MON + 14 * DAY + 10 * H
        );
        // An offset: 09:00-17:00 at +01:00 opens at 08:00 UTC.
        let plus_one = Sla {
            offset: 3600,
            ..office(H)
        };
        assert_eq!(due_at(&plus_one, MON), MON + 9 * H);
    }

    #[test]
    fn add_business_agrees_with_seconds_between() {
        let hours = BusinessHours::parse("Mon,Wed,Sat 08:30-12:15").unwrap();
        for start in (0..14 * 24).map(|h| MON + h * H + 600) {
            for secs in [1, 59, 3600, 4 * H, 13 * H + 7, 40 * H] {
                let due = add_business(&hours, start, secs, -18_000);
                assert_eq!(
                    hours.seconds_between(start, due, -18_000),
                    secs,
                    "{start} {secs}"
                );
            }
        }
    }

    #[test]
    fn states_across_the_weekend() {
        let sla = office(4 * H);
        let fri_16 = MON + 4 * DAY + 16 * H;
        let due = MON + 7 * DAY + 12 * H;
        // Friday 16:30: 3h30m of business time left (not 67h30m), more than due_soon.
        let s = status(Some(&sla), fri_16, Response::Awaiting, fri_16 + 1800);
        assert_eq!(
            (s.state, s.due, s.left),
            (State::Ok, Some(due), 3 * H + 1800)
        );
        assert_eq!(s.short(), "3h left");
        // Monday 11:15: 45 minutes left.
        let s = status(Some(&sla), fri_16, Response::Awaiting, due - 2700);
        assert_eq!((s.state, s.left), (State::DueSoon, 2700));
        assert_eq!(s.short(), "45m left");
        // Monday 15:00: 3h over.
        let s = status(Some(&sla), fri_16, Response::Awaiting, due + 3 * H);
        assert_eq!((s.state, s.left), (State::Overdue, -3 * H));
        assert_eq!(s.short(), "3h over");
        // Answered Monday 11:59: met, no due time; Tuesday 09:30: breached by 5h30m.
        let s = status(Some(&sla), fri_16, Response::At(due - 60), due + DAY);
        assert_eq!(
            (s.state, s.due, s.short().as_str()),
            (State::Met, None, "met")
        );
        let s = status(
            Some(&sla),
            fri_16,
            Response::At(due + DAY - 2 * H - 1800),
            due,
        );
        assert_eq!((s.state, s.due), (State::Breached, Some(due)));
        assert_eq!(s.left, -(5 * H + 1800));
        assert_eq!(s.short(), "breached");
    }

    #[test]
    fn around_the_clock_and_no_target() {
        let sla = always(2 * H);
        let s = status(Some(&sla), MON, Response::Awaiting, MON + 90 * 60);
        assert_eq!((s.state, s.left), (State::DueSoon, 1800));
        let s = status(Some(&sla), MON, Response::Awaiting, MON + 30 * 60);
        assert_eq!(s.state, State::Ok);
        let s = status(Some(&sla), MON, Response::Awaiting, MON + 2 * H);
        assert_eq!((s.state, s.short().as_str()), (State::Overdue, "1m over"));
        let s = status(Some(&sla), MON, Response::Awaiting, MON + 2 * H - 30);
        assert_eq!(s.short(), "due now");
        assert_eq!(
            status(Some(&sla), MON, Response::At(MON + 2 * H), MON).state,
            State::Met
        );
        assert_eq!(
            status(Some(&sla), MON, Response::At(MON + 2 * H + 1), MON).state,
            State::Breached
        );
        // A row answered at an unknown time is met, whatever the clock.
        let late = status(Some(&sla), MON, Response::Unknown, MON + 9 * DAY);
        assert_eq!((late.state, late.due), (State::Met, None));
        assert_eq!(
            status(None, MON, Response::Awaiting, MON + 9 * DAY),
            Status::NONE
        );
        assert_eq!(Status::NONE.short(), "");
    }

    #[test]
    fn a_row_s_marks_say_whether_it_was_answered() {
        assert_eq!(crate::triage::state::DONE, CLOSED[0]);
        assert_eq!(crate::triage::state::PENDING, CLOSED[1]);
        let row = |answered: bool, keywords: &[&str]| {
            Summary::new(Fields {
                internal_date: MON,
                flags: Flags {
                    answered,
                    ..Flags::default()
                },
                keywords: keywords.iter().map(|k| k.to_string()).collect(),
                ..Fields::default()
            })
        };
        assert_eq!(row_response(&row(false, &[])), Response::Awaiting);
        assert_eq!(
            row_response(&row(false, &["$assigned.bob"])),
            Response::Awaiting
        );
        assert_eq!(row_response(&row(true, &[])), Response::Unknown);
        assert_eq!(row_response(&row(false, &["$Done"])), Response::Unknown);
        assert_eq!(row_response(&row(false, &["$pending"])), Response::Unknown);
        let sla = always(H);
        assert_eq!(
            row_status(Some(&sla), &row(false, &[]), MON + 2 * H).state,
            State::Overdue
        );
        assert_eq!(
            row_status(None, &row(false, &[]), MON + 2 * H),
            Status::NONE
        );
    }

    #[test]
    fn spans_are_short() {
        assert_eq!(span(0), "1m");
        assert_eq!(span(59 * 60 + 59), "59m");
        assert_eq!(span(3600), "1h");
        assert_eq!(span(DAY * 3 + 5), "3d");
        assert_eq!(span(-5), "1m");
    }
}
