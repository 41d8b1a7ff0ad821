//! Dates without a timezone database: UTC formatting of Unix timestamps.

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn split(secs: i64) -> (i64, u32, u32, i64, i64, i64) {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    (y, m, d, rem / 3600, rem % 3600 / 60, rem % 60)
}

/// `2026-11-27 14:03` (UTC).
pub fn short_utc(secs: i64) -> String {
    let (y, m, d, h, min, _) = split(secs);
    format!("{y:04}-{m:02}-{d:02} {h:02}:{min:02}")
}

/// `2026-11-27T14:03:09Z`.
pub fn rfc3339_utc(secs: i64) -> String {
    let (y, m, d, h, min, s) = split(secs);
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}Z")
}

/// `Fri, 27 Nov 2026 14:03:09 +0000` for Date: headers.
pub fn rfc5322_utc(secs: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (y, m, d, h, min, s) = split(secs);
    let wd = DAYS[secs.div_euclid(86_400).rem_euclid(7) as usize];
    format!(
        "{wd}, {d} {} {y:04} {h:02}:{min:02}:{s:02} +0000",
        MONTHS[(m - 1) as usize]
    )
}

/// A compact age for list rows: `45s`, `12m`, `3h`, `5d`, `7w`, or a date when older.
pub fn age(now: i64, then: i64) -> String {
    let d = (now - then).max(0);
    match d {
        0..60 => format!("{d}s"),
        60..3600 => format!("{}m", d / 60),
        3600..86_400 => format!("{}h", d / 3600),
        86_400..1_209_600 => format!("{}d", d / 86_400),
        1_209_600..31_536_000 => format!("{}w", d / 604_800),
        _ => short_utc(then)[..10].to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(short_utc(1_795_820_589), "2026-11-27 23:03");
        assert_eq!(rfc5322_utc(0), "Thu, 1 Jan 1970 00:00:00 +0000");
        assert_eq!(
            rfc5322_utc(1_795_820_589),
            "Fri, 27 Nov 2026 23:03:09 +0000"
        );
        assert_eq!(rfc3339_utc(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn ages() {
        assert_eq!(age(100, 100), "0s");
        assert_eq!(age(4000, 0), "1h");
        assert_eq!(age(86_400 * 3, 0), "3d");
        assert_eq!(age(0, 100), "0s");
    }
}
