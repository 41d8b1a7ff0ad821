//! When a snooze ends, as an agent types it: `30m`, `4h`, `2d`, `1w` (with or without `+`),
//! `tomorrow`, a weekday (`mon` … `sun`: the next one), `YYYY-MM-DD` or
//! `YYYY-MM-DD HH:MM` / `YYYY-MM-DDTHH:MM`. Days without a time end at 09:00. Everything is
//! UTC, as snooze records (`mail::snooze`) keep it.

use super::state::parse_minute;

/// The hour (UTC) a snooze to a day ends at.
pub const MORNING_HOUR: i64 = 9;

const DAY: i64 = 86_400;

/// Unix seconds for `text` read against `now`; `None` when it is not a time, or not a
/// future one.
pub fn parse(text: &str, now: i64) -> Option<i64> {
    let t = text.trim().to_ascii_lowercase();
    let at = relative(&t, now)
        .or_else(|| day_word(&t, now))
        .or_else(|| absolute(&t))?;
    (at > now).then_some(at)
}

fn relative(t: &str, now: i64) -> Option<i64> {
    let t = t.strip_prefix('+').unwrap_or(t);
    let split = t.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = t.split_at(split);
    let n: i64 = n.parse().ok().filter(|n| (1..100_000).contains(n))?;
    let secs = match unit {
        "m" | "min" | "mins" | "minutes" => 60,
        "h" | "hour" | "hours" => 3600,
        "d" | "day" | "days" => DAY,
        "w" | "week" | "weeks" => 7 * DAY,
        _ => return None,
    };
    Some(now + n * secs)
}

fn morning(day_start: i64) -> i64 {
    day_start + MORNING_HOUR * 3600
}

fn day_word(t: &str, now: i64) -> Option<i64> {
    let today = now.div_euclid(DAY) * DAY;
    if t == "tomorrow" {
        return Some(morning(today + DAY));
    }
    let wanted = crate::config::weekday_index(t)?;
    // 1970-01-01 was a Thursday (index 3).
    let today_index = (now.div_euclid(DAY) + 3).rem_euclid(7) as usize;
    let ahead = (wanted + 7 - today_index) % 7;
    let ahead = if ahead == 0 { 7 } else { ahead };
    Some(morning(today + ahead as i64 * DAY))
}

fn absolute(t: &str) -> Option<i64> {
    let (day, time) = match t.split_once(['t', ' ']) {
        Some((d, tm)) => (d, Some(tm.trim())),
        None => (t, None),
    };
    let d: Vec<&str> = day.split('-').collect();
    if d.len() != 3 || d[0].len() != 4 || d[1].len() != 2 || d[2].len() != 2 {
        return None;
    }
    let (hh, mm) = match time {
        None => (format!("{MORNING_HOUR:02}"), "00".to_string()),
        Some(tm) => {
            let (h, m) = tm.split_once(':')?;
            if h.len() != 2 || m.len() != 2 {
                return None;
            }
            (h.to_string(), m.to_string())
        }
    };
    parse_minute(&format!("{}{}{}{hh}{mm}", d[0], d[1], d[2]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::triage::state::format_minute;

    fn at(s: &str) -> i64 {
        parse_minute(s).unwrap_or(0)
    }

    #[test]
    fn reads_what_agents_type() {
        // Friday 2026-11-27 14:03 UTC.
        let now = at("202611271403");
        let p = |s: &str| parse(s, now).map(format_minute);
        assert_eq!(p("30m").as_deref(), Some("202611271433"));
        assert_eq!(p("+4h").as_deref(), Some("202611271803"));
        assert_eq!(p("2d").as_deref(), Some("202611291403"));
        assert_eq!(p("1w").as_deref(), Some("202612041403"));
        assert_eq!(p("tomorrow").as_deref(), Some("202611280900"));
        assert_eq!(p("Mon").as_deref(), Some("202611300900"));
        assert_eq!(p("friday").as_deref(), Some("202612040900"), "next week's");
        assert_eq!(p("2026-12-01").as_deref(), Some("202612010900"));
        assert_eq!(p("2026-12-01 17:30").as_deref(), Some("202612011730"));
        assert_eq!(p("2026-12-01T17:30").as_deref(), Some("202612011730"));
        for bad in [
            "",
            "soon",
            "0h",
            "-3h",
            "5x",
            "2025-01-01",
            "2026-13-01",
            "2027-02-30",
            "2026-12-01 25:00",
            "mo",
            "monkey",
            "1e9h",
        ] {
            assert_eq!(p(bad), None, "{bad:?}");
        }
    }
}
