//! Key bindings as data, per context, so the help overlay and the status hint can be generated
//! from the same table that dispatches keys.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What a key asks for; its meaning depends on the context it was looked up in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Stops at the first column.
    ColumnLeft,
    /// Stops at the last column.
    ColumnRight,
    /// Wraps around (Tab).
    NextColumn,
    PrevColumn,
    Down,
    Up,
    Top,
    Bottom,
    HalfPageDown,
    HalfPageUp,
    PageDown,
    PageUp,
    Open,
    /// Close the reader; never quits.
    Close,
    /// Close the reader, or quit from the list.
    Quit,
    /// Quit from anywhere (Ctrl-C: raw mode turns it into a key, users still expect it).
    ForceQuit,
}

/// One binding: a key with exact modifiers (Shift is ignored, terminals disagree on it).
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub code: KeyCode,
    pub ctrl: bool,
    pub action: Action,
    pub desc: &'static str,
}

const fn key(code: KeyCode, action: Action, desc: &'static str) -> Binding {
    Binding {
        code,
        ctrl: false,
        action,
        desc,
    }
}

const fn ctrl(c: char, action: Action, desc: &'static str) -> Binding {
    Binding {
        code: KeyCode::Char(c),
        ctrl: true,
        action,
        desc,
    }
}

/// The message list.
pub const LIST: &[Binding] = &[
    key(KeyCode::Char('h'), Action::ColumnLeft, "previous column"),
    key(KeyCode::Left, Action::ColumnLeft, "previous column"),
    key(KeyCode::BackTab, Action::PrevColumn, "previous column"),
    key(KeyCode::Char('l'), Action::ColumnRight, "next column"),
    key(KeyCode::Right, Action::ColumnRight, "next column"),
    key(KeyCode::Tab, Action::NextColumn, "next column"),
    key(KeyCode::Char('j'), Action::Down, "next message"),
    key(KeyCode::Down, Action::Down, "next message"),
    key(KeyCode::Char('k'), Action::Up, "previous message"),
    key(KeyCode::Up, Action::Up, "previous message"),
    key(KeyCode::Char('g'), Action::Top, "newest message"),
    key(KeyCode::Home, Action::Top, "newest message"),
    key(KeyCode::Char('G'), Action::Bottom, "oldest message"),
    key(KeyCode::End, Action::Bottom, "oldest message"),
    ctrl('d', Action::HalfPageDown, "half a page down"),
    ctrl('u', Action::HalfPageUp, "half a page up"),
    key(KeyCode::PageDown, Action::PageDown, "a page down"),
    key(KeyCode::PageUp, Action::PageUp, "a page up"),
    key(KeyCode::Enter, Action::Open, "read the message"),
    key(KeyCode::Esc, Action::Close, "clear the error"),
    key(KeyCode::Char('q'), Action::Quit, "quit"),
    ctrl('c', Action::ForceQuit, "quit"),
];

/// The message reader.
pub const READER: &[Binding] = &[
    key(KeyCode::Char('j'), Action::Down, "scroll down"),
    key(KeyCode::Down, Action::Down, "scroll down"),
    key(KeyCode::Enter, Action::Down, "scroll down"),
    key(KeyCode::Char('k'), Action::Up, "scroll up"),
    key(KeyCode::Up, Action::Up, "scroll up"),
    key(KeyCode::Char(' '), Action::PageDown, "a page down"),
    key(KeyCode::PageDown, Action::PageDown, "a page down"),
    key(KeyCode::Char('b'), Action::PageUp, "a page up"),
    key(KeyCode::PageUp, Action::PageUp, "a page up"),
    ctrl('d', Action::HalfPageDown, "half a page down"),
    ctrl('u', Action::HalfPageUp, "half a page up"),
    key(KeyCode::Char('g'), Action::Top, "top"),
    key(KeyCode::Home, Action::Top, "top"),
    key(KeyCode::Char('G'), Action::Bottom, "bottom"),
    key(KeyCode::End, Action::Bottom, "bottom"),
    key(KeyCode::Char('q'), Action::Quit, "close the reader"),
    key(KeyCode::Esc, Action::Close, "close the reader"),
    ctrl('c', Action::ForceQuit, "quit"),
];

/// Short hints for the status line.
pub const LIST_HINT: &str = "h/l column  j/k move  Enter read  q quit";
pub const READER_HINT: &str = "j/k scroll  Space page  q/Esc close";

/// The action bound to `ev` in `table`, if any. Alt combinations are never bound.
pub fn lookup(table: &[Binding], ev: &KeyEvent) -> Option<Action> {
    let mods = ev.modifiers - KeyModifiers::SHIFT;
    if mods.intersects(!KeyModifiers::CONTROL) {
        return None;
    }
    let ctrl = mods.contains(KeyModifiers::CONTROL);
    // Some terminals report Ctrl-d as Char('D') with Ctrl+Shift; letters compare caselessly
    // only under Ctrl, where `g`/`G` style distinctions do not exist.
    let code = match ev.code {
        KeyCode::Char(c) if ctrl => KeyCode::Char(c.to_ascii_lowercase()),
        c => c,
    };
    table
        .iter()
        .find(|b| b.ctrl == ctrl && b.code == code)
        .map(|b| b.action)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(code: KeyCode, m: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, m)
    }

    #[test]
    fn shift_is_ignored_and_alt_is_unbound() {
        assert_eq!(
            lookup(LIST, &ev(KeyCode::Char('G'), KeyModifiers::SHIFT)),
            Some(Action::Bottom)
        );
        assert_eq!(
            lookup(LIST, &ev(KeyCode::BackTab, KeyModifiers::SHIFT)),
            Some(Action::PrevColumn)
        );
        assert_eq!(
            lookup(LIST, &ev(KeyCode::Char('j'), KeyModifiers::ALT)),
            None
        );
        assert_eq!(
            lookup(LIST, &ev(KeyCode::Char('d'), KeyModifiers::CONTROL)),
            Some(Action::HalfPageDown)
        );
        assert_eq!(
            lookup(LIST, &ev(KeyCode::Char('d'), KeyModifiers::NONE)),
            None
        );
    }

    #[test]
    fn esc_never_quits() {
        let esc = ev(KeyCode::Esc, KeyModifiers::NONE);
        assert_eq!(lookup(LIST, &esc), Some(Action::Close));
        assert_eq!(lookup(READER, &esc), Some(Action::Close));
    }
}
