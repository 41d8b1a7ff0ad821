//! What reaches the UI (`Event`): input, the clock, the editor's answer, and everything the
//! engine reports, nested as it is ([`crate::engine::Event`]: one vocabulary for mailbox
//! events and answers). What the UI asks of the engine is an [`crate::engine::Request`];
//! quitting and the editor, which need the terminal, are the run loop's (`App::quitting`,
//! `App::take_editor`).

use crossterm::event::KeyEvent;

use crate::engine;

/// Something that happened: input, an engine report, or the clock.
// Most events are engine events: boxing them would allocate once per event to shrink the rare
// key press.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Event {
    Key(KeyEvent),
    /// Bracketed paste: arrives as one event so pasted text is never taken for keys.
    Paste(String),
    /// New terminal size in cells (width, height).
    Resize(u16, u16),
    /// The terminal can no longer be read: the UI must end, it could not even be quit.
    InputFailed(String),
    /// Wall-clock time (Unix seconds) for row ages.
    Tick(i64),
    /// The answer to `App::take_editor`: the edited body, or why not (raw text).
    Edited(Result<String, String>),
    /// A mailbox event or the answer to a request, from the engine.
    Engine(engine::Event),
}

impl From<engine::Event> for Event {
    fn from(ev: engine::Event) -> Event {
        Event::Engine(ev)
    }
}
