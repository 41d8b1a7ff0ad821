//! The status line's messages (expiry on the app's clock, the screen they belong to, the
//! `:messages` history) and the notification highlight of a new row, driven through
//! `app::update` with a fake clock (`Event::Tick`) and drawn on a TestBackend.

use crossterm::event::KeyCode;
use ratatui::style::Color;

use mailroom::engine::Event as EngineEvent;
use mailroom::ui::app::{App, update};
use mailroom::ui::event::Event;
use mailroom::ui::screen::status::{ERROR_SECS, INFO_SECS};

use crate::ui_support;
use ui_support::{
    NOW, drawn, enter, key, load, msg, press, rows_of, sized, status_line, theme, typed,
};

fn app(w: u16, h: u16) -> App {
    let app = App::new(&[(0, "support".to_string())], theme(), false).with_agent("alice");
    let mut app = sized(app, w, h);
    load(
        &mut app,
        0,
        vec![
            msg(1, 90, "Carol", "Invoice 2026-114"),
            msg(2, 30, "Dave", "Where is my order?"),
        ],
    );
    app
}

fn tick(app: &mut App, at: i64) {
    update(app, Event::Tick(at));
}

fn command(app: &mut App, line: &str) {
    press(app, [key(KeyCode::Char(':'))]);
    press(app, typed(line));
    press(app, [enter()]);
}

#[test]
fn information_expires_after_a_few_seconds_and_the_totals_come_back() {
    let mut app = app(100, 20);
    let before = status_line(&app);
    assert!(before.contains("2 messages · 2 unread"), "{before}");
    command(&mut app, "threads on");
    assert!(app.notice().is_some());
    assert!(
        app.needs_clock(),
        "a message on the line asks for the clock"
    );
    // Dated by the first tick after it was raised, then shown for INFO_SECS.
    tick(&mut app, NOW + 20);
    tick(&mut app, NOW + 20 + INFO_SECS - 1);
    assert!(app.notice().is_some(), "still shown");
    tick(&mut app, NOW + 20 + INFO_SECS);
    assert_eq!(app.notice(), None, "expired");
    assert!(!app.needs_clock());
    let after = status_line(&app);
    assert!(after.contains("2 messages · 2 unread"), "{after}");
    assert!(after.contains("? help"), "the key hints are back: {after}");
}

#[test]
fn errors_stay_longer_and_are_kept_in_the_history() {
    let mut app = app(100, 20);
    command(&mut app, "nosuchcommand");
    let error = app.error().expect("an error").to_string();
    tick(&mut app, NOW + 1);
    tick(&mut app, NOW + 1 + INFO_SECS);
    assert_eq!(
        app.error(),
        Some(error.as_str()),
        "an error outlives information"
    );
    tick(&mut app, NOW + 1 + ERROR_SECS);
    assert_eq!(app.error(), None);
    let logged: Vec<_> = app.status().history().collect();
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0].text, error);
    assert_eq!(
        logged[0].at,
        Some(NOW + 1),
        "dated by the tick that showed it"
    );
    // The same error again is shown again, and counted in the history with its new time.
    command(&mut app, "nosuchcommand");
    assert_eq!(app.error(), Some(error.as_str()));
    tick(&mut app, NOW + 100);
    let logged: Vec<_> = app.status().history().collect();
    assert_eq!(logged.len(), 1);
    assert_eq!((logged[0].count, logged[0].at), (2, Some(NOW + 100)));
    command(&mut app, "view sideways");
    tick(&mut app, NOW + 101);
    assert_eq!(app.status().history().count(), 2);
    // Information is not kept.
    command(&mut app, "threads on");
    assert_eq!(app.status().history().count(), 2);
}

#[test]
fn a_message_belongs_to_the_screen_that_raised_it() {
    let mut app = app(100, 20);
    press(&mut app, [enter()]);
    assert!(app.reader().is_some());
    command(&mut app, "save 9");
    assert!(app.error().is_some(), "the reader's error");
    press(&mut app, [key(KeyCode::Char('q'))]);
    assert!(app.reader().is_none());
    assert_eq!(app.error(), None, "gone with the reader");
    // An account's error from the engine belongs to the column view: it outlives the reader.
    press(&mut app, [enter()]);
    update(
        &mut app,
        EngineEvent::Error {
            account_idx: None,
            message: "support: connection lost".into(),
        },
    );
    press(&mut app, [key(KeyCode::Char('q'))]);
    assert_eq!(app.error(), Some("support: connection lost"));
}

/// The buffer as text, trailing blanks dropped.
fn text(app: &App) -> String {
    rows_of(&drawn(app))
        .iter()
        .map(|l| l.trim_end().to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn messages_lists_the_last_errors_with_their_times() {
    let mut app = app(80, 24);
    command(&mut app, "nosuchcommand");
    tick(&mut app, NOW);
    for (i, bad) in ["nosuchcommand", "focus nowhere", "view sideways"]
        .iter()
        .enumerate()
    {
        command(&mut app, bad);
        tick(&mut app, NOW + 60 * (i as i64 + 1));
    }
    for i in 0..60 {
        command(&mut app, &format!("bogus{i}"));
        tick(&mut app, NOW + 600 + i);
    }
    assert_eq!(app.status().history().count(), 50, "the last 50 only");
    command(&mut app, "bogus59");
    tick(&mut app, NOW + 700);
    command(&mut app, "messages");
    assert!(app.status().view_open());
    assert_snapshot!("messages_80x24", text(&app));
    press(&mut app, [key(KeyCode::Char('g'))]);
    let top = text(&app);
    assert!(top.contains("bogus10"), "{top}");
    press(&mut app, [key(KeyCode::Esc)]);
    assert!(!app.status().view_open());
}

/// The column view at `w`×`h` after a new message arrived while running (two older ones,
/// the selection on the second), and the new row's screen line.
fn highlighted(w: u16, h: u16) -> (App, String) {
    let mut app = app(w, h);
    press(&mut app, [key(KeyCode::Char('j'))]);
    update(
        &mut app,
        EngineEvent::Rows {
            account_idx: 0,
            rows: vec![msg(7, 1, "Grace", "URGENT: site down since 9:00")],
        },
    );
    assert_eq!(app.notify().new_count(), 1);
    let t = drawn(&app);
    let rows = rows_of(&t);
    let y = rows
        .iter()
        .position(|r| r.contains("URGENT"))
        .expect("the new row");
    let x = rows[y]
        .find("URGENT")
        .map(|b| rows[y][..b].chars().count())
        .expect("subject");
    let cell = &t.backend().buffer()[(x as u16, y as u16)];
    assert_eq!(cell.bg, Color::Indexed(22), "the theme's row_new");
    assert!(rows[y].contains("┃*"), "a * in the gutter: {}", rows[y]);
    (app, rows[y].clone())
}

#[test]
fn a_new_row_is_highlighted_at_every_size() {
    let (app, _) = highlighted(80, 24);
    assert_snapshot!("new_row_80x24", text(&app));
    let (app, _) = highlighted(120, 40);
    assert_snapshot!("new_row_120x40", text(&app));
    let (mut app, line) = highlighted(200, 50);
    assert_snapshot!("new_row_200x50", text(&app));
    // Opened, it is seen: the highlight goes.
    press(
        &mut app,
        [key(KeyCode::Char('k')), key(KeyCode::Char('k')), enter()],
    );
    assert!(app.reader().is_some());
    press(&mut app, [key(KeyCode::Char('q'))]);
    assert_eq!(app.notify().new_count(), 0);
    let after = rows_of(&drawn(&app));
    assert!(
        after.iter().all(|r| !r.contains("┃*")),
        "still highlighted: {line}"
    );
}
