//! When a snooze ends, as an agent types it, read in the agent's time zone (`agent.timezone`,
//! default the system's): `30m`, `4h`, `2d`, `1w` (with `+` or `in `: `in 3h`, `in 2 days`),
//! `tomorrow`, `tomorrow 9`, a weekday (`mon` … `sunday`: the next one, never today) with an
//! optional time (`friday 14:00`, `fri 2pm`), `next week` (next Monday), `today 17:00`, a time
//! alone (`14:00`: the next one), `YYYY-MM-DD` or `YYYY-MM-DD HH:MM` / `YYYY-MM-DDTHH:MM`.
//! Days without a time end at 09:00 local time. Calendar steps (`2d`, weekdays) keep the wall
//! clock across a DST change; a local time that a DST change skips moves forward, one that
//! happens twice is the earlier. The grammar only produces the UTC instant: snooze records
//! (`mail::snooze`) keep it.

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::{Offset, TimeZone};
use jiff::{Span, Timestamp, Zoned};

/// The local hour a snooze to a day ends at.
pub const MORNING_HOUR: i8 = 9;

/// Longest input looked at; anything longer is not a time.
const MAX_LEN: usize = 64;

/// Why a snooze time was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WhenError {
    #[error(
        "{:?} is not a time to come (30m, in 3h, 2d, tomorrow 9, friday 14:00, next week, 2026-12-01 17:30)",
        crate::sanitize::single_line(.text)
    )]
    NotATime { text: String },
    #[error("{:?} is in the past ({at})", crate::sanitize::single_line(.text))]
    Past { text: String, at: String },
}

/// An `agent.timezone` setting that names no zone.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{:?} is not a time zone (an IANA name such as \"Europe/Berlin\" from the system's zoneinfo, or an offset such as \"+01:00\")",
    crate::sanitize::single_line(.text)
)]
pub struct ZoneError {
    pub text: String,
}

/// The zone an `agent.timezone` setting names: an IANA name (`Europe/Berlin`) read from the
/// system's zoneinfo, or a fixed offset (`+01:00`, `-0530`, `UTC`).
pub fn zone_named(text: &str) -> Result<TimeZone, ZoneError> {
    let t = text.trim();
    let bad = || ZoneError {
        text: text.to_string(),
    };
    if t.starts_with(['+', '-']) || t.eq_ignore_ascii_case("utc") || t.eq_ignore_ascii_case("z") {
        let secs = crate::config::parse_offset(t).map_err(|_| bad())?;
        let offset = Offset::from_seconds(secs).map_err(|_| bad())?;
        return Ok(TimeZone::fixed(offset));
    }
    if t.is_empty() || t.len() > MAX_LEN || !t.chars().all(|c| c.is_ascii_graphic()) {
        return Err(bad());
    }
    TimeZone::get(t).map_err(|_| bad())
}

/// The agent's zone: the setting when there is one (a bad one was refused when the
/// configuration loaded; it falls back to the system's here), else the system's (`TZ`,
/// `/etc/localtime`; UTC when the system names none).
pub fn agent_zone(setting: Option<&str>) -> TimeZone {
    setting
        .and_then(|s| zone_named(s).ok())
        .unwrap_or_else(TimeZone::system)
}

/// `agent_zone` of a loaded configuration (the system's without one).
pub fn config_zone(config: Option<&crate::config::Config>) -> TimeZone {
    agent_zone(config.and_then(|c| c.agent.timezone.as_deref()))
}

/// Unix seconds for `text` read against `now` in `tz`; refused when it is not a time, or not
/// a future one.
pub fn parse(text: &str, now: i64, tz: &TimeZone) -> Result<i64, WhenError> {
    let not = || WhenError::NotATime {
        text: text.to_string(),
    };
    let t = text.trim().to_ascii_lowercase();
    if t.is_empty() || t.len() > MAX_LEN || t.chars().any(char::is_control) {
        return Err(not());
    }
    let words: Vec<&str> = t.split_whitespace().collect();
    let now_z = Timestamp::from_second(now)
        .map_err(|_| not())?
        .to_zoned(tz.clone());
    let at = relative(&words, &now_z)
        .or_else(|| day_word(&words, &now_z))
        .or_else(|| absolute(&t, tz))
        .ok_or_else(not)?;
    if at <= now {
        return Err(WhenError::Past {
            text: text.to_string(),
            at: local(at, tz),
        });
    }
    Ok(at)
}

/// `secs` as the agent reads it: `Fri 2026-12-04 09:00 CET`.
pub fn local(secs: i64, tz: &TimeZone) -> String {
    match Timestamp::from_second(secs) {
        Ok(ts) => ts
            .to_zoned(tz.clone())
            .strftime("%a %Y-%m-%d %H:%M %Z")
            .to_string(),
        Err(_) => crate::mail::date::rfc3339_utc(secs),
    }
}

/// `secs` in short: `2026-12-04 09:00 CET` (as `mail::date::short_utc`, with the zone).
pub fn short_local(secs: i64, tz: &TimeZone) -> String {
    match Timestamp::from_second(secs) {
        Ok(ts) => ts
            .to_zoned(tz.clone())
            .strftime("%Y-%m-%d %H:%M %Z")
            .to_string(),
        Err(_) => format!("{} UTC", crate::mail::date::short_utc(secs)),
    }
}

/// `secs` as `2026-12-04 09:00` in `tz`.
pub fn local_minute(secs: i64, tz: &TimeZone) -> String {
    match Timestamp::from_second(secs) {
        Ok(ts) => ts
            .to_zoned(tz.clone())
            .strftime("%Y-%m-%d %H:%M")
            .to_string(),
        Err(_) => crate::mail::date::short_utc(secs),
    }
}

/// Examples for the snooze prompt, all to come: `in 3h`, tomorrow at 09:00, next Friday at
/// 14:00 and a date next month (the latter two as ISO too).
pub fn examples(now: i64, tz: &TimeZone) -> String {
    let iso = parse("next week", now, tz)
        .ok()
        .and_then(|s| Timestamp::from_second(s + 86_400 * 10).ok())
        .map(|ts| {
            ts.to_zoned(tz.clone())
                .strftime("%Y-%m-%d 17:30")
                .to_string()
        })
        .unwrap_or_default();
    let name = tz.iana_name().unwrap_or("local time");
    format!("WHEN  in 3h | 2d | tomorrow 9 | friday 14:00 | next week | {iso}  ({name})")
}

fn relative(words: &[&str], now: &Zoned) -> Option<i64> {
    let words = match words {
        ["in", rest @ ..] => rest,
        _ => words,
    };
    let joined = words.concat();
    let t = joined.strip_prefix('+').unwrap_or(&joined);
    let split = t.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = t.split_at(split);
    let n: i64 = n.parse().ok().filter(|n| (1..100_000).contains(n))?;
    let span = match unit {
        "m" | "min" | "mins" | "minute" | "minutes" => {
            return Some(now.timestamp().as_second() + n * 60);
        }
        "h" | "hour" | "hours" => return Some(now.timestamp().as_second() + n * 3600),
        "d" | "day" | "days" => Span::new().try_days(n).ok()?,
        "w" | "week" | "weeks" => Span::new().try_weeks(n).ok()?,
        _ => return None,
    };
    // Calendar days: the same wall-clock time, across a DST change too.
    Some(now.checked_add(span).ok()?.timestamp().as_second())
}

/// `9`, `09`, `9:30`, `14:00`, `9am`, `2pm`, `12:15pm`.
fn clock(t: &str) -> Option<Time> {
    let (t, pm) = match (t.strip_suffix("am"), t.strip_suffix("pm")) {
        (Some(t), _) => (t, Some(false)),
        (_, Some(t)) => (t, Some(true)),
        _ => (t, None),
    };
    let (h, m) = match t.split_once(':') {
        Some((h, m)) if m.len() == 2 => (h, m),
        Some(_) => return None,
        None => (t, "00"),
    };
    if h.is_empty() || h.len() > 2 || !(h.bytes().chain(m.bytes())).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (mut h, m): (i8, i8) = (h.parse().ok()?, m.parse().ok()?);
    match pm {
        Some(_) if !(1..=12).contains(&h) => return None,
        Some(true) if h != 12 => h += 12,
        Some(false) if h == 12 => h = 0,
        _ => {}
    }
    Time::new(h, m, 0, 0).ok()
}

fn morning() -> Time {
    Time::new(MORNING_HOUR, 0, 0, 0).unwrap_or(Time::midnight())
}

/// The instant of `date` at `time` in the zone of `now`.
fn at(date: Date, time: Time, now: &Zoned) -> Option<i64> {
    let dt = DateTime::from_parts(date, time);
    let z = now.time_zone().to_ambiguous_zoned(dt).compatible().ok()?;
    Some(z.timestamp().as_second())
}

fn day_word(words: &[&str], now: &Zoned) -> Option<i64> {
    let today = now.date();
    let (day, time) = match words {
        ["next", "week"] => {
            let to_monday = 7 - today.weekday().to_monday_zero_offset() as i64;
            let monday = today
                .checked_add(Span::new().try_days(to_monday).ok()?)
                .ok()?;
            return at(monday, morning(), now);
        }
        ["next", day] => (*day, None),
        ["next", day, time] => (*day, Some(clock(time)?)),
        [day] => (*day, None),
        [day, time] => (*day, Some(clock(time)?)),
        _ => return None,
    };
    let date = match day {
        "today" => today,
        "tomorrow" => today.tomorrow().ok()?,
        _ => match crate::config::weekday_index(day) {
            Some(wanted) => {
                let here = today.weekday().to_monday_zero_offset() as usize;
                let ahead = (wanted + 7 - here) % 7;
                let ahead = if ahead == 0 { 7 } else { ahead };
                today
                    .checked_add(Span::new().try_days(ahead as i64).ok()?)
                    .ok()?
            }
            None => {
                // A time alone: the next one (today, else tomorrow).
                if time.is_some() || words.len() != 1 {
                    return None;
                }
                let time = clock(day)?;
                let t = at(today, time, now)?;
                if t > now.timestamp().as_second() {
                    return Some(t);
                }
                return at(today.tomorrow().ok()?, time, now);
            }
        },
    };
    at(date, time.unwrap_or_else(morning), now)
}

fn absolute(t: &str, tz: &TimeZone) -> Option<i64> {
    let (day, time) = match t.split_once(['t', ' ']) {
        Some((d, tm)) => (d, Some(tm.trim())),
        None => (t, None),
    };
    let d: Vec<&str> = day.split('-').collect();
    if d.len() != 3 || d[0].len() != 4 || d[1].len() != 2 || d[2].len() != 2 {
        return None;
    }
    if !d.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    let date = Date::new(d[0].parse().ok()?, d[1].parse().ok()?, d[2].parse().ok()?).ok()?;
    let time = match time {
        None => morning(),
        Some(tm) => {
            let (h, m) = tm.split_once(':')?;
            if h.len() != 2 || m.len() != 2 {
                return None;
            }
            clock(tm)?
        }
    };
    let z = tz
        .to_ambiguous_zoned(DateTime::from_parts(date, time))
        .compatible()
        .ok()?;
    Some(z.timestamp().as_second())
}

#[cfg(test)]
mod tests;
