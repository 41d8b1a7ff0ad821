//! `[insight]` settings with a syntax of their own: `business_hours` and `timezone_offset`,
//! parsed here so a bad value is caught at load (`insight::stats` computes with them).

const DAY: i64 = 86_400;

/// Why a setting or an option of the statistics does not parse (`business_hours`,
/// `timezone_offset`, `mailroom stats --since`/`--until`); `text` is what was written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("expected days and hours, e.g. \"Mon-Fri 09:00-17:00\"")]
    NotDaysAndHours,
    #[error("{text:?} is not a day of the week (mon … sun)")]
    NotADay { text: String },
    #[error("{window:?} is not a time window such as 09:00-17:00")]
    NotAWindow { window: String },
    #[error("{text:?} is not a time of day (HH:MM)")]
    NotATime { text: String },
    #[error(
        "the window {window:?} ends before it starts (windows across midnight are not supported)"
    )]
    Backwards { window: String },
    #[error("{text:?} is not a UTC offset such as \"+01:00\" or \"-05:30\"")]
    NotAnOffset { text: String },
    #[error(
        "{:?} is not a date: use YYYY-MM-DD, YYYY-MM-DDTHH:MM, or a time ago such as 7d",
        crate::sanitize::single_line(text)
    )]
    NotADate { text: String },
}
const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Monday = 0 for a day number since 1970-01-01 (a Thursday).
fn weekday(day: i64) -> usize {
    (day + 3).rem_euclid(7) as usize
}

/// `[insight] business_hours`: days of the week and one daily window, e.g.
/// `"Mon-Fri 09:00-17:00"` or `"Mon-Thu,Sat 08:30-12:00"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessHours {
    /// Monday first.
    pub days: [bool; 7],
    /// Minutes after local midnight; `start < end <= 24:00`.
    pub start: u32,
    pub end: u32,
}

impl BusinessHours {
    /// Parses `DAYS HH:MM-HH:MM`; days are `mon`…`sun` (any case, 3 letters or more), ranges
    /// `Mon-Fri` (wrapping: `Sat-Mon`) and lists separated by commas. The window cannot cross
    /// midnight; `24:00` ends it at midnight.
    pub fn parse(text: &str) -> Result<BusinessHours, ParseError> {
        let mut parts = text.split_whitespace();
        let (Some(days_text), Some(window), None) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(ParseError::NotDaysAndHours);
        };
        let mut days = [false; 7];
        for item in days_text.split(',') {
            match item.split_once('-') {
                Some((a, b)) => {
                    let (a, b) = (day_index(a)?, day_index(b)?);
                    let mut d = a;
                    loop {
                        days[d] = true;
                        if d == b {
                            break;
                        }
                        d = (d + 1) % 7;
                    }
                }
                None => days[day_index(item)?] = true,
            }
        }
        let (start, end) = window
            .split_once('-')
            .ok_or_else(|| ParseError::NotAWindow {
                window: window.to_string(),
            })?;
        let (start, end) = (minutes(start)?, minutes(end)?);
        if start >= end {
            return Err(ParseError::Backwards {
                window: window.to_string(),
            });
        }
        Ok(BusinessHours { days, start, end })
    }

    /// Seconds of business time in `[from, to)` (Unix seconds) at `offset` east of UTC.
    pub fn seconds_between(&self, from: i64, to: i64, offset: i32) -> i64 {
        if to <= from {
            return 0;
        }
        let (l0, l1) = (from + i64::from(offset), to + i64::from(offset));
        let (first, last) = (l0.div_euclid(DAY), l1.div_euclid(DAY));
        let window = i64::from(self.end - self.start) * 60;
        let overlap = |day: i64| -> i64 {
            if !self.days[weekday(day)] {
                return 0;
            }
            let open = day * DAY + i64::from(self.start) * 60;
            let close = day * DAY + i64::from(self.end) * 60;
            (close.min(l1) - open.max(l0)).max(0)
        };
        let mut total = overlap(first);
        if last == first {
            return total;
        }
        // Whole weeks strictly between the first and the last day count in one step.
        let inner = last - first - 1;
        let weeks = inner / 7;
        let per_week = self.days.iter().filter(|&&d| d).count() as i64 * window;
        total += weeks * per_week;
        let mut day = first + 1 + weeks * 7;
        while day <= last {
            total += overlap(day);
            day += 1;
        }
        total
    }
}

impl std::fmt::Display for BusinessHours {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let days: Vec<&str> = WEEKDAYS
            .iter()
            .zip(self.days)
            .filter(|(_, on)| *on)
            .map(|(d, _)| *d)
            .collect();
        write!(
            f,
            "{} {:02}:{:02}-{:02}:{:02}",
            days.join(","),
            self.start / 60,
            self.start % 60,
            self.end / 60,
            self.end % 60
        )
    }
}

fn day_index(text: &str) -> Result<usize, ParseError> {
    weekday_index(text).ok_or_else(|| ParseError::NotADay {
        text: text.to_string(),
    })
}

fn minutes(text: &str) -> Result<u32, ParseError> {
    let bad = || ParseError::NotATime {
        text: text.to_string(),
    };
    let (h, m) = text.split_once(':').ok_or_else(bad)?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return Err(bad());
    }
    let (h, m): (u32, u32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if m > 59 || h > 24 || (h == 24 && m != 0) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

/// Parses a fixed UTC offset: `+01:00`, `-05:30`, `+0100`, `Z`, `UTC`; seconds east of UTC.
pub fn parse_offset(text: &str) -> Result<i32, ParseError> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("z") || t.eq_ignore_ascii_case("utc") {
        return Ok(0);
    }
    let bad = || ParseError::NotAnOffset {
        text: text.to_string(),
    };
    let (sign, rest) = match t.as_bytes().first() {
        Some(b'+') => (1, &t[1..]),
        Some(b'-') => (-1, &t[1..]),
        _ => return Err(bad()),
    };
    // `HH:MM` or `HHMM`, nothing else.
    let digits: String = match rest.len() {
        5 if rest.as_bytes()[2] == b':' => rest.chars().filter(|&c| c != ':').collect(),
        4 => rest.to_string(),
        _ => return Err(bad()),
    };
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let (h, m): (i32, i32) = (
        digits[..2].parse().map_err(|_| bad())?,
        digits[2..].parse().map_err(|_| bad())?,
    );
    if h > 14 || m > 59 {
        return Err(bad());
    }
    Ok(sign * (h * 3600 + m * 60))
}

/// A day of the week as typed (`mon`, `Tues`, `wednesday`: three letters or more of its
/// English name) → its index, Monday 0.
pub fn weekday_index(text: &str) -> Option<usize> {
    const FULL: [&str; 7] = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    let t = text.trim().to_ascii_lowercase();
    FULL.iter()
        .position(|full| t.len() >= 3 && full.starts_with(&t))
}
