use super::*;
use crate::triage::state::{format_minute, parse_minute};

fn at(s: &str) -> i64 {
    parse_minute(s).unwrap_or(0)
}

fn berlin() -> TimeZone {
    zone_named("Europe/Berlin").expect("the test machine's zoneinfo has Europe/Berlin")
}

/// `text` read at `now` in `tz`, as local `YYYY-MM-DD HH:MM`.
fn read(text: &str, now: i64, tz: &TimeZone) -> Option<String> {
    parse(text, now, tz).ok().map(|s| {
        Timestamp::from_second(s)
            .map(|t| {
                t.to_zoned(tz.clone())
                    .strftime("%Y-%m-%d %H:%M")
                    .to_string()
            })
            .unwrap_or_default()
    })
}

#[test]
fn reads_what_agents_type_in_utc() {
    // Friday 2026-11-27 14:03 UTC.
    let now = at("202611271403");
    let p = |s: &str| parse(s, now, &TimeZone::UTC).ok().map(format_minute);
    assert_eq!(p("30m").as_deref(), Some("202611271433"));
    assert_eq!(p("+4h").as_deref(), Some("202611271803"));
    assert_eq!(p("in 3h").as_deref(), Some("202611271703"));
    assert_eq!(p("in 2 days").as_deref(), Some("202611291403"));
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
        "2026-13-01",
        "2027-02-30",
        "2026-12-01 25:00",
        "mo",
        "monkey",
        "1e9h",
        "in",
        "in 3",
        "next",
        "tomorrow 25",
        "friday 14:61",
        "13pm",
        "0am",
    ] {
        assert!(
            matches!(
                parse(bad, now, &TimeZone::UTC),
                Err(WhenError::NotATime { .. })
            ),
            "{bad:?}"
        );
    }
}

#[test]
fn reads_the_new_grammar_in_the_agents_zone() {
    let tz = berlin();
    // Friday 2026-11-27 14:03 UTC = 15:03 CET.
    let now = at("202611271403");
    let p = |s: &str| read(s, now, &tz);
    assert_eq!(
        p("friday 14:00").as_deref(),
        Some("2026-12-04 14:00"),
        "not today's, past"
    );
    assert_eq!(p("fri 2pm").as_deref(), Some("2026-12-04 14:00"));
    assert_eq!(p("tomorrow 9").as_deref(), Some("2026-11-28 09:00"));
    assert_eq!(p("tomorrow 9:30").as_deref(), Some("2026-11-28 09:30"));
    assert_eq!(p("tomorrow 12am").as_deref(), Some("2026-11-28 00:00"));
    assert_eq!(
        p("tomorrow").as_deref(),
        Some("2026-11-28 09:00"),
        "local morning"
    );
    assert_eq!(
        p("next week").as_deref(),
        Some("2026-11-30 09:00"),
        "Monday"
    );
    assert_eq!(p("next monday 10").as_deref(), Some("2026-11-30 10:00"));
    assert_eq!(p("Monday").as_deref(), Some("2026-11-30 09:00"));
    assert_eq!(p("today 17:00").as_deref(), Some("2026-11-27 17:00"));
    assert_eq!(
        p("16:00").as_deref(),
        Some("2026-11-27 16:00"),
        "a time alone: today's"
    );
    assert_eq!(
        p("15:00").as_deref(),
        Some("2026-11-28 15:00"),
        "else tomorrow's"
    );
    assert_eq!(p("in 3h").as_deref(), Some("2026-11-27 18:03"));
    assert_eq!(p("2026-12-01 17:30").as_deref(), Some("2026-12-01 17:30"));
    assert_eq!(p("  IN 2D ").as_deref(), Some("2026-11-29 15:03"));
    // UTC instant of a local ISO time: 17:30 CET is 16:30 UTC.
    assert_eq!(
        parse("2026-12-01 17:30", now, &tz).map(format_minute),
        Ok("202612011630".to_string())
    );
}

#[test]
fn next_week_on_a_monday_is_the_following_monday() {
    let tz = berlin();
    // Monday 2026-11-30 08:00 CET.
    let now = at("202611300700");
    assert_eq!(
        read("next week", now, &tz).as_deref(),
        Some("2026-12-07 09:00")
    );
    assert_eq!(
        read("monday", now, &tz).as_deref(),
        Some("2026-12-07 09:00")
    );
}

#[test]
fn calendar_steps_keep_the_wall_clock_across_dst() {
    let tz = berlin();
    // Saturday 2026-03-28 10:00 CET (UTC+1); DST starts Sunday 2026-03-29 02:00 → 03:00.
    let now = at("202603280900");
    assert_eq!(read("2d", now, &tz).as_deref(), Some("2026-03-30 10:00"));
    assert_eq!(
        read("monday", now, &tz).as_deref(),
        Some("2026-03-30 09:00")
    );
    assert_eq!(
        parse("monday", now, &tz).map(format_minute),
        Ok("202603300700".to_string()),
        "09:00 CEST is 07:00 UTC"
    );
    // Hours are elapsed time: 48h later is 11:00 local after the change.
    assert_eq!(read("48h", now, &tz).as_deref(), Some("2026-03-30 11:00"));
    // 02:30 does not exist that night: it moves forward.
    assert_eq!(
        read("2026-03-29 02:30", now, &tz).as_deref(),
        Some("2026-03-29 03:30")
    );
    // Autumn: 02:30 on 2026-10-25 happens twice; the earlier (CEST, 00:30 UTC).
    assert_eq!(
        parse("2026-10-25 02:30", now, &tz).map(format_minute),
        Ok("202610250030".to_string())
    );
}

#[test]
fn past_times_are_refused_saying_when_they_were() {
    let tz = berlin();
    let now = at("202611271403");
    for past in ["2025-01-01", "2026-11-27 10:00", "today 9", "today 15:00"] {
        match parse(past, now, &tz) {
            Err(e @ WhenError::Past { .. }) => {
                let msg = e.to_string();
                assert!(msg.contains("in the past"), "{msg}");
            }
            other => panic!("{past:?}: {other:?}"),
        }
    }
    let e = parse("2026-11-27 10:00", now, &tz).unwrap_err().to_string();
    assert!(e.contains("Fri 2026-11-27 10:00 CET"), "{e}");
}

#[test]
fn hostile_input_is_refused_without_panic() {
    let tz = berlin();
    let now = at("202611271403");
    let long = "9".repeat(10_000);
    let huge = format!("in {}d", "9".repeat(30));
    for bad in [
        long.as_str(),
        huge.as_str(),
        "9999-12-31 23:59 extra",
        "\u{1b}[31mtomorrow",
        "tomorrow\r\n9",
        "ｆｒｉｄａｙ",
        "2026-1-01",
        "+2026-12-01",
        "next next week",
        "friday 14:00 15:00",
        "-0001-01-01",
        "9999-99-99",
        "12:5",
        "in -3h",
    ] {
        let r = parse(bad, now, &tz);
        assert!(r.is_err(), "{bad:?}: {r:?}");
        let msg = r.unwrap_err().to_string();
        assert!(!msg.contains('\u{1b}') && !msg.contains('\r'), "{msg:?}");
    }
    // Near the end of the representable range: refused, not a panic.
    assert!(parse("1w", 253_402_300_000, &tz).is_err());
    assert!(parse("tomorrow", i64::MAX, &tz).is_err());
    assert!(parse("tomorrow", i64::MIN, &tz).is_err());
}

#[test]
fn examples_are_always_to_come() {
    let tz = berlin();
    for now in [at("202611271403"), at("202612312359"), at("202603290059")] {
        let ex = examples(now, &tz);
        assert!(ex.contains("Europe/Berlin"), "{ex}");
        for part in ex.trim_start_matches("WHEN").split('|') {
            let part = part.split("  (").next().unwrap_or("").trim();
            let r = parse(part, now, &tz);
            assert!(r.is_ok(), "{part:?} in {ex:?}: {r:?}");
        }
    }
}

#[test]
fn zones_by_name_or_offset() {
    assert!(zone_named("Europe/Berlin").is_ok());
    assert!(zone_named("UTC").is_ok());
    let plus = zone_named("+01:00").expect("offset");
    assert_eq!(
        read("tomorrow", at("202611271403"), &plus).as_deref(),
        Some("2026-11-28 09:00")
    );
    assert_eq!(
        parse("tomorrow", at("202611271403"), &plus).map(format_minute),
        Ok("202611280800".to_string())
    );
    for bad in [
        "",
        "Mars/Olympus",
        "+25:00",
        "../../etc/passwd",
        "Europe/Berlin extra",
        "+1",
    ] {
        assert!(zone_named(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn the_team_line_shows_the_wake_time_in_the_agents_zone() {
    let s = crate::triage::state::TeamState {
        snoozed: true,
        snoozed_until: Some(at("202612010800")),
        ..Default::default()
    };
    let line = crate::triage::view::describe_in(&s, &berlin());
    assert!(
        line.contains("snoozed until 2026-12-01 09:00 CET"),
        "{line}"
    );
    let utc = crate::triage::view::describe(&s);
    assert!(utc.contains("snoozed until 2026-12-01 08:00 UTC"), "{utc}");
}
