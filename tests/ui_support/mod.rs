//! Fixtures shared by the UI tests: a fixed clock, messages and key events.
#![allow(dead_code)]

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use mailroom::backend::{Address, Summary};
use mailroom::ui::app::{App, update};
use mailroom::ui::event::{Command, Event};

/// 2026-11-27 12:00 UTC.
pub const NOW: i64 = 1_795_780_800;

pub fn addr(name: &str, email: &str) -> Address {
    Address {
        name: (!name.is_empty()).then(|| name.to_string()),
        email: email.to_string(),
    }
}

pub fn msg(uid: u32, minutes_ago: i64, from: &str, subject: &str) -> Summary {
    Summary {
        uid,
        internal_date: NOW - minutes_ago * 60,
        from: vec![addr(
            from,
            &format!("{}@customer.test", from.to_lowercase()),
        )],
        to: vec![addr("Example Support", "support@example.test")],
        subject: subject.to_string(),
        ..Summary::default()
    }
}

pub fn key(code: KeyCode) -> Event {
    Event::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

pub fn ctrl(c: char) -> Event {
    Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

pub fn press(app: &mut App, events: impl IntoIterator<Item = Event>) -> Vec<Command> {
    events.into_iter().flat_map(|e| update(app, e)).collect()
}
