//! Messages into the UI (`Event`) and out of it (`Command`): the only contract between the
//! pure state machine in `app` and the threads that do I/O.

use crossterm::event::KeyEvent;

use crate::backend::Summary;

/// Something that happened: input, a worker's report, or the clock.
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
    /// The mailbox was opened; `exists` is its message count (for "loading n/N").
    Status {
        account_idx: usize,
        exists: u32,
    },
    /// A batch of summaries, in any order; raw, sanitized at display.
    Rows {
        account_idx: usize,
        rows: Vec<Summary>,
    },
    /// Every summary of the account has been sent.
    Loaded {
        account_idx: usize,
    },
    /// A failure; raw text, sanitized by the receiver. `None`: not tied to an account.
    Error {
        account_idx: Option<usize>,
        message: String,
    },
    /// The readable text of a message asked for by [`Command::Open`], or why it failed.
    Body {
        account_idx: usize,
        uid: u32,
        body: Result<String, String>,
    },
}

/// Something the state machine wants done outside itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Fetch a message's body; answered by [`Event::Body`].
    Open { account_idx: usize, uid: u32 },
    /// Leave the UI.
    Quit,
}
