//! The stats screen (`S`) on the app state: it asks for a report off the UI thread, shows the
//! answer as bars and sparklines (also with the 16-colour theme and without colour), switches
//! mailbox and window, drops stale answers, and always closes. No terminal, no threads.

use crossterm::event::KeyCode;

use mailroom::engine::{Event as EngineEvent, Request};
use mailroom::insight::stats::{
    AgentStats, MailboxStats, Report, ResponseTimes, Waiting, WeekHours,
};
use mailroom::ui::app::App;
use mailroom::ui::event::Event;
use mailroom::ui::screen::stats::model::State;
use mailroom::ui::theme::{BUILTIN, Theme};

use crate::ui_support;
use ui_support::{NOW, ch, config_from, ctrl, esc, key, press, screen, sized, tab, theme};

const CONFIG: &str = r#"
[agent]
id = "alice"
name = "Alice"
email = "alice@example.test"

[[account]]
name = "support"
address = "support@example.test"
send = "none"
[account.maildir]
path = "/nonexistent/support"

[[account]]
name = "sales"
address = "sales@example.test"
send = "none"
[account.maildir]
path = "/nonexistent/sales"
"#;

fn app_with(theme: Theme, no_color: bool) -> App {
    let cols = [(0, "support".to_string()), (1, "sales".to_string())];
    sized(
        App::new(&cols, theme, no_color)
            .with_agent("alice")
            .with_config(config_from(CONFIG)),
        100,
        40,
    )
}

fn app() -> App {
    app_with(theme(), false)
}

fn times(count: usize, median: i64, p90: i64) -> ResponseTimes {
    ResponseTimes {
        count,
        median_seconds: Some(median),
        p90_seconds: Some(p90),
    }
}

fn agent(name: &str, answered: usize, median: i64) -> AgentStats {
    AgentStats {
        agent: name.into(),
        answered,
        first_response: times(answered, median, median * 3),
        sent: answered + 1,
        ..AgentStats::default()
    }
}

fn report() -> Report {
    let mut hours = WeekHours::default();
    hours.0[0][9] = 8; // Monday 09h
    hours.0[2][14] = 4; // Wednesday 14h
    let support = MailboxStats {
        account: "support".into(),
        received: 40,
        answered: 30,
        unanswered: 10,
        oldest_unanswered: Some(Waiting {
            uid: 7,
            subject: "Cannot log in \u{1b}[2J".into(),
            from: "carol@customer.test".into(),
            received: "2026-11-20T09:00:00Z".into(),
            age_seconds: 7 * 86_400,
        }),
        first_response: times(30, 3600, 4 * 3600),
        sent: 33,
        opened: 5,
        by_weekday_hour: hours.clone(),
        agents: vec![agent("alice", 20, 1800), agent("bob", 10, 7200)],
        sla: None,
    };
    let sales = MailboxStats {
        account: "sales".into(),
        received: 10,
        answered: 2,
        unanswered: 8,
        first_response: times(2, 86_400, 90_000),
        agents: vec![agent("bob", 2, 86_400)],
        ..MailboxStats::default()
    };
    Report {
        generated: "2026-11-27T12:00:00Z".into(),
        timezone_offset: "+00:00".into(),
        mailboxes: vec![support, sales],
        agents: vec![agent("alice", 20, 1800), agent("bob", 12, 7200)],
        warnings: vec!["the audit log could not be read".into()],
        ..Report::default()
    }
}

/// `S`, then the report for the request it made.
fn opened(app: &mut App) {
    let cmds = press(app, [ch('S')]);
    let [Request::Stats { id, since }] = cmds.as_slice() else {
        panic!("S asks for a report: {cmds:?}");
    };
    assert_eq!(*since, Some(NOW - 30 * 86_400), "last 30 days first");
    press(
        app,
        [EngineEvent::Stats {
            id: *id,
            result: Ok(Box::new(report())),
        }],
    );
}

#[test]
fn s_asks_for_a_report_and_shows_it_as_bars() {
    let mut app = app();
    let cmds = press(&mut app, [ch('S')]);
    assert!(matches!(cmds.as_slice(), [Request::Stats { .. }]));
    assert!(screen(&app).contains("computing…"), "{}", screen(&app));
    let id = match app.stats() {
        Some(s) => s.id,
        None => panic!("no stats screen"),
    };
    press(
        &mut app,
        [EngineEvent::Stats {
            id,
            result: Ok(Box::new(report())),
        }],
    );
    let s = screen(&app);
    assert!(s.contains("Stats · every mailbox · last 30 days"), "{s}");
    // support: received 40, answered 30, unanswered 10, median 1h, p90 4h, 5 opened.
    let support = s
        .lines()
        .find(|l| l.starts_with(" support "))
        .unwrap_or_default();
    for part in ["40", "30", "10", "1h 00m", "4h 00m", "5", "█"] {
        assert!(support.contains(part), "{part:?} in {support:?}");
    }
    // The agent with the most first responses has the longest bar.
    let bar_len = |name: &str| {
        s.lines()
            .find(|l| l.starts_with(&format!(" {name} ")))
            .map_or(0, |l| l.chars().filter(|c| "█▉▊▋▌▍▎▏".contains(*c)).count())
    };
    assert!(bar_len("alice") > bar_len("bob"), "{s}");
    assert!(s.contains("Customer messages by hour"), "{s}");
    assert!(s.contains("Mon     8 "), "{s}");
    assert!(s.contains("Oldest unanswered"), "{s}");
    assert!(s.contains("waiting 7d 00h"), "{s}");
    assert!(s.contains("! the audit log could not be read"), "{s}");
    // A subject from a message never brings its escape to the screen.
    assert!(!s.contains('\u{1b}'), "{s}");
}

#[test]
fn tab_shows_one_mailbox_then_every_mailbox_again() {
    let mut app = app();
    opened(&mut app);
    press(&mut app, [tab()]);
    let s = screen(&app);
    assert!(s.contains("Stats · support · last 30 days"), "{s}");
    assert!(!s.contains(" sales "), "only support's rows: {s}");
    press(&mut app, [ch('l')]);
    assert!(screen(&app).contains("Stats · sales"));
    press(&mut app, [tab()]);
    assert!(screen(&app).contains("Stats · every mailbox"));
    press(&mut app, [ch('h')]);
    assert!(screen(&app).contains("Stats · sales"));
}

#[test]
fn w_changes_the_window_and_r_recomputes_dropping_the_old_answer() {
    let mut app = app();
    opened(&mut app);
    let old = app.stats().map(|s| s.id);
    let cmds = press(&mut app, [ch('w')]);
    match cmds.as_slice() {
        [Request::Stats { id, since: None }] => assert_ne!(Some(*id), old),
        other => panic!("w: all time next: {other:?}"),
    }
    assert!(screen(&app).contains("all time"));
    // The answer to the previous request arrives late: ignored.
    press(
        &mut app,
        [EngineEvent::Stats {
            id: old.unwrap_or(0),
            result: Ok(Box::new(report())),
        }],
    );
    assert!(matches!(
        app.stats().map(|s| &s.state),
        Some(State::Loading)
    ));
    let cmds = press(&mut app, [ch('w')]);
    assert!(
        matches!(cmds.as_slice(), [Request::Stats { since: Some(s), .. }] if *s == NOW - 7 * 86_400)
    );
    let cmds = press(&mut app, [ch('r')]);
    assert!(
        matches!(cmds.as_slice(), [Request::Stats { since: Some(s), .. }] if *s == NOW - 7 * 86_400),
        "r keeps the window"
    );
}

#[test]
fn a_failure_is_shown_and_every_close_key_closes() {
    let mut app = app();
    let cmds = press(&mut app, [ch('S')]);
    let [Request::Stats { id, .. }] = cmds.as_slice() else {
        panic!("{cmds:?}");
    };
    press(
        &mut app,
        [EngineEvent::Stats {
            id: *id,
            result: Err("account \"support\": cannot connect\r\n\u{1b}[31m".into()),
        }],
    );
    let s = screen(&app);
    assert!(
        s.contains("stats could not be computed: account \"support\": cannot connect"),
        "{s}"
    );
    assert!(!s.contains('\u{1b}'));
    for close in [ch('q'), esc(), ch('S')] {
        press(&mut app, [close]);
        assert!(app.stats().is_none());
        press(&mut app, [ch('S')]);
    }
    assert!(press(&mut app, [ctrl('c')]).is_empty());
    assert!(app.quitting());
    // Keys of the screen do not reach the columns underneath.
    let mut app = app_with(theme(), false);
    opened(&mut app);
    assert!(press(&mut app, [ch('a'), ch('d'), key(KeyCode::Enter)]).is_empty());
    assert!(app.reader().is_none() && app.stats().is_some());
}

#[test]
fn it_reads_in_sixteen_colours_and_without_colour() {
    for (name, no_color) in [("ansi16", false), ("default", true)] {
        let t = BUILTIN
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(n, text)| Theme::parse(text, n).expect("theme"))
            .expect("built-in");
        let mut app = app_with(t, no_color);
        opened(&mut app);
        let s = screen(&app);
        // Bars and the sparkline are characters, not colours: they read the same either way.
        assert!(s.contains('█') && s.contains('▁'), "{name}: {s}");
        assert!(s.contains("Mailbox      received answered"), "{name}: {s}");
    }
}

#[test]
fn scrolling_reaches_the_last_line() {
    // A short terminal: the report is taller than the screen.
    let mut app = sized(
        App::new(
            &[(0, "support".to_string()), (1, "sales".to_string())],
            theme(),
            false,
        )
        .with_agent("alice")
        .with_config(config_from(CONFIG)),
        100,
        16,
    );
    opened(&mut app);
    assert!(
        !screen(&app).contains("! the audit log could not be read"),
        "the report should not fit: {}",
        screen(&app)
    );
    for _ in 0..100 {
        press(&mut app, [ch('j')]);
    }
    let s = screen(&app);
    // The last line of the report (its warning) can be scrolled into view.
    assert!(s.contains("! the audit log could not be read"), "{s}");
    assert!(s.contains("Stats · every mailbox"), "the title stays: {s}");
    // And as many presses of k as there are lines to scroll bring the top back.
    for _ in 0..40 {
        press(&mut app, [ch('k')]);
    }
    assert!(
        screen(&app).contains("Mailbox      received answered"),
        "{}",
        screen(&app)
    );
}

#[test]
fn an_unbound_key_on_the_stats_screen_keeps_a_redraw_asked_for_before_it() {
    let mut app = app();
    press(&mut app, [ch('S')]);
    assert!(app.stats().is_some());
    app.mark_drawn();
    // One batch: a warning for the status line, then a key the stats screen does not take.
    press(
        &mut app,
        [
            Event::Engine(EngineEvent::Warning {
                account_idx: 0,
                message: "cache discarded".into(),
            }),
            ch('x'),
        ],
    );
    assert!(app.needs_redraw(), "the warning is drawn");
    app.mark_drawn();
    press(&mut app, [ch('x')]);
    assert!(!app.needs_redraw(), "an unbound key alone draws nothing");
}

#[test]
fn g_and_capital_g_jump_to_the_ends_of_the_report() {
    let mut app = sized(
        App::new(
            &[(0, "support".to_string()), (1, "sales".to_string())],
            theme(),
            false,
        )
        .with_agent("alice")
        .with_config(config_from(CONFIG)),
        100,
        16,
    );
    opened(&mut app);
    press(&mut app, [ch('G')]);
    let s = screen(&app);
    assert!(s.contains("! the audit log could not be read"), "{s}");
    assert!(s.contains("Stats · every mailbox"), "the title stays: {s}");
    press(&mut app, [ch('g')]);
    assert!(
        screen(&app).contains("Mailbox      received answered"),
        "{}",
        screen(&app)
    );
    press(&mut app, [key(KeyCode::End)]);
    assert!(screen(&app).contains("! the audit log could not be read"));
}
