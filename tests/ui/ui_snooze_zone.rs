//! Snooze in the agent's time zone (issue 18, item 8): `z` reads "tomorrow 9" and
//! "friday 14:00" in `agent.timezone`, the prompt's examples are to come and say the zone, a
//! past time is refused saying so.

use mailroom::engine::Request;
use mailroom::triage::state::Action;
use mailroom::ui::app::App;

use crate::ui_support;
use ui_support::{NOW, ch, config_from, enter, load, msg, press, sized, status_line, theme, typed};

/// NOW is Friday 2026-11-27 12:00 UTC = 13:00 in Berlin (CET, UTC+1).
fn app() -> App {
    let config = config_from(
        r#"
[agent]
id = "alice"
name = "Alice Example"
email = "alice@example.test"
timezone = "Europe/Berlin"

[[account]]
name = "support"
address = "support@example.test"
send = "as"
[account.maildir]
path = "mail/support"
"#,
    );
    let mut app = sized(
        App::new(&[(0, "support".to_string())], theme(), false)
            .with_agent("alice")
            .with_config(config),
        160,
        24,
    );
    load(&mut app, 0, vec![msg(1, 10, "Ann", "Printer on fire")]);
    app
}

fn snoozed_until(cmds: &[Request]) -> Option<i64> {
    cmds.iter().find_map(|r| match r {
        Request::Triage {
            action: Action::Snooze(t),
            ..
        } => Some(*t),
        _ => None,
    })
}

#[test]
fn z_reads_the_time_in_the_agents_zone() {
    let mut app = app();
    // Saturday 2026-11-28 09:00 CET = 08:00 UTC.
    let cmds = press(
        &mut app,
        [vec![ch('z')], typed("tomorrow 9"), vec![enter()]].concat(),
    );
    assert_eq!(snoozed_until(&cmds), Some(NOW + 20 * 3600));
    assert!(
        status_line(&app).contains("snoozing until 2026-11-28 09:00"),
        "{}",
        status_line(&app)
    );
    // Next Friday (never today) 14:00 CET = 13:00 UTC, seven days on.
    let cmds = press(
        &mut app,
        [vec![ch('z')], typed("friday 14:00"), vec![enter()]].concat(),
    );
    assert_eq!(snoozed_until(&cmds), Some(NOW + 7 * 86_400 + 3600));
    let cmds = press(
        &mut app,
        [vec![ch('z')], typed("next week"), vec![enter()]].concat(),
    );
    // Monday 2026-11-30 09:00 CET.
    assert_eq!(snoozed_until(&cmds), Some(NOW + 3 * 86_400 - 4 * 3600));
}

#[test]
fn the_prompt_shows_examples_to_come_and_a_past_time_is_refused() {
    let mut app = app();
    press(&mut app, [ch('z')]);
    let shown = ui_support::screen(&app);
    assert!(shown.contains("Europe/Berlin"), "{shown}");
    assert!(shown.contains("friday 14:00"), "{shown}");
    assert!(
        !shown.contains("2026-12-01 09:00"),
        "the old fixed example: {shown}"
    );
    let cmds = press(
        &mut app,
        [typed("2026-11-27 10:00"), vec![enter()]].concat(),
    );
    assert_eq!(snoozed_until(&cmds), None);
    let err = app.error().unwrap_or_default().to_string();
    assert!(
        err.contains("is in the past") && err.contains("2026-11-27 10:00 CET"),
        "{err}"
    );
}

/// A snoozed row shows its wake time in the agent's zone (not only "zz"): the day and time
/// within the coming week, the date further on.
#[test]
fn a_snoozed_row_shows_its_local_wake_time() {
    let mut app = app();
    load(
        &mut app,
        0,
        vec![
            msg(1, 10, "Ann", "Printer on fire"),
            // Saturday 2026-11-28 08:00 UTC = 09:00 in Berlin.
            ui_support::with_keywords(
                msg(2, 20, "Ben", "Sleeping beauty"),
                &["$snoozed.202611280800"],
            ),
            // 2026-12-24 08:00 UTC = 09:00 in Berlin, weeks away.
            ui_support::with_keywords(
                msg(3, 30, "Cid", "Christmas question"),
                &["$snoozed.202612240800"],
            ),
        ],
    );
    press(
        &mut app,
        [vec![ch(':')], typed("view all"), vec![enter()]].concat(),
    );
    let s = ui_support::screen(&app);
    let row = |subject: &str| {
        s.lines()
            .find(|l| l.contains(subject))
            .unwrap_or_default()
            .to_string()
    };
    assert!(row("Sleeping beauty").contains("zz Sat 09:00"), "{s}");
    assert!(row("Christmas question").contains("zz 12-24 09:00"), "{s}");
    assert_snapshot!("snoozed_rows_local_wake_160x24", s);
}
