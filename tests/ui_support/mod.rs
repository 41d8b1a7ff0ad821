//! Fixtures shared by the UI tests: a fixed clock, messages, key events, the app set up and
//! its screen drawn on a TestBackend.
#![allow(dead_code)]

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use mailroom::config::Config;
use mailroom::engine::{Event as EngineEvent, Request};
use mailroom::imap::sync::FlagUpdate;
use mailroom::message::{Address, Fields, Flags, Summary};
use mailroom::ui::app::{App, update};
use mailroom::ui::draw::draw;
use mailroom::ui::event::Event;
use mailroom::ui::theme::{BUILTIN, Theme};

/// 2026-11-27 12:00 UTC.
pub const NOW: i64 = 1_795_780_800;

pub fn addr(name: &str, email: &str) -> Address {
    Address {
        name: (!name.is_empty()).then(|| name.to_string()),
        email: email.to_string(),
    }
}

pub fn msg(uid: u32, minutes_ago: i64, from: &str, subject: &str) -> Summary {
    Summary::new(Fields {
        uid,
        internal_date: NOW - minutes_ago * 60,
        from: vec![addr(
            from,
            &format!("{}@customer.test", from.to_lowercase()),
        )],
        to: vec![addr("Example Support", "support@example.test")],
        subject: subject.to_string(),
        ..Fields::default()
    })
}

pub fn key(code: KeyCode) -> Event {
    Event::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

pub fn ctrl(c: char) -> Event {
    Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

pub fn press<E: Into<Event>>(app: &mut App, events: impl IntoIterator<Item = E>) -> Vec<Request> {
    events.into_iter().flat_map(|e| update(app, e)).collect()
}

/// The engine's side of the compose pane: each `Preview` and `Attach` among `requests` is
/// answered as the engine's job answers it (`engine::compose::answer`, reading the files) and
/// the answer fed to `app`; the other requests, and those the answers asked for, are returned.
pub fn served(app: &mut App, requests: Vec<Request>) -> Vec<Request> {
    let mut rest = Vec::new();
    for r in requests {
        match mailroom::engine::compose::answer(r.clone()) {
            Some(answer) => {
                let asked = update(app, answer);
                rest.extend(served(app, asked));
            }
            None => rest.push(r),
        }
    }
    rest
}

/// [`press`], with the compose pane's requests answered by the engine's code ([`served`]).
pub fn press_served<E: Into<Event>>(
    app: &mut App,
    events: impl IntoIterator<Item = E>,
) -> Vec<Request> {
    let requests = press(app, events);
    served(app, requests)
}

/// A character key, with Shift for an upper-case letter (as a terminal reports it).
pub fn ch(c: char) -> Event {
    let m = if c.is_ascii_uppercase() {
        KeyModifiers::SHIFT
    } else {
        KeyModifiers::NONE
    };
    Event::Key(KeyEvent::new(KeyCode::Char(c), m))
}

/// The keys of `text`, one event per character (`ch`); a line break is Enter.
pub fn typed(text: &str) -> Vec<Event> {
    text.chars()
        .map(|c| if c == '\n' { enter() } else { ch(c) })
        .collect()
}

pub fn enter() -> Event {
    key(KeyCode::Enter)
}

pub fn esc() -> Event {
    key(KeyCode::Esc)
}

pub fn tab() -> Event {
    key(KeyCode::Tab)
}

/// The first built-in theme.
pub fn theme() -> Theme {
    Theme::parse(BUILTIN[0].1, "default").expect("built-in theme")
}

/// A configuration from TOML text. Not `config::parse`: its validation wants the Maildir
/// folders to exist.
pub fn config_from(text: &str) -> Arc<Config> {
    Arc::new(toml::from_str(text).expect("config"))
}

/// `app` after its first `w`×`h` resize and a first tick at `NOW`.
pub fn sized(mut app: App, w: u16, h: u16) -> App {
    update(&mut app, Event::Resize(w, h));
    update(&mut app, Event::Tick(NOW));
    app
}

/// The worker's first answer for column `account_idx`: these rows, then loaded.
pub fn load(app: &mut App, account_idx: usize, rows: Vec<Summary>) {
    press(
        app,
        [
            EngineEvent::Rows { account_idx, rows },
            EngineEvent::Loaded { account_idx },
        ],
    );
}

pub fn with_keywords(mut s: Summary, keywords: &[&str]) -> Summary {
    s.keywords = keywords.iter().map(|k| k.to_string()).collect();
    s
}

/// A synced change of `uid`'s keywords (no system flags).
pub fn flag_update(uid: u32, keywords: &[&str]) -> FlagUpdate {
    FlagUpdate {
        uid,
        flags: Flags::default(),
        keywords: keywords.iter().map(|k| k.to_string()).collect(),
        modseq: None,
    }
}

pub fn flags_event(account_idx: usize, updates: Vec<FlagUpdate>) -> Event {
    EngineEvent::Flags {
        account_idx,
        updates,
    }
    .into()
}

/// The app drawn once on a TestBackend of its size.
pub fn drawn(app: &App) -> Terminal<TestBackend> {
    let (w, h) = app.size();
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
    t.draw(|f| draw(app, f)).expect("draw");
    t
}

/// The screen rows of `t`, each cell's symbol as it is (trailing blanks kept).
pub fn rows_of(t: &Terminal<TestBackend>) -> Vec<String> {
    let buf = t.backend().buffer();
    buf.content()
        .chunks(usize::from(buf.area.width))
        .map(|row| row.iter().map(|c| c.symbol()).collect::<String>())
        .collect()
}

/// The screen, one line per row (trailing blanks kept).
pub fn screen(app: &App) -> String {
    rows_of(&drawn(app)).join("\n")
}

/// The last screen row.
pub fn status_line(app: &App) -> String {
    screen(app).lines().last().unwrap_or_default().to_string()
}

/// The UIDs column `col` shows, top to bottom.
pub fn shown_uids(app: &App, col: usize) -> Vec<u32> {
    let c = &app.columns()[col];
    (0..c.shown_len())
        .filter_map(|i| c.shown(i).map(|s| s.uid))
        .collect()
}

/// The UID of the focused column's selected row.
pub fn selected_uid(app: &App) -> Option<u32> {
    app.columns()[app.focus()].selected_row().map(|s| s.uid)
}
