//! The status line's messages: warnings, errors and the outbox; how long they stay, which
//! screen they belong to, and the `:messages` history of errors.
//!
//! - A message **expires**: information after [`INFO_SECS`], an error after [`ERROR_SECS`],
//!   counted from the first clock tick (`Event::Tick`) after it was raised (a tick follows
//!   within a second: `needs_clock` asks for one while a message is up). Then the totals and
//!   the key hints come back.
//! - A message **belongs to the screen** on top when it was raised (the reader, the compose
//!   or note pane, the stats screen, or the column view); it goes when that screen closes. An
//!   account's error or warning from the engine belongs to the column view, which never closes:
//!   it stays its time on whatever screen is open.
//! - Every error is kept in a history of the last [`HISTORY`], with the time it was shown (the
//!   same error several times in a row is one entry with a count and the last time);
//!   `:messages` lists it (`src/ui/screen/messages.rs`).

use std::collections::VecDeque;

use crate::engine::event::OutboxStatus;
use crate::sanitize;
use crate::ui::app::App;
use crate::ui::screen::columns::LoadState;
use crate::ui::screen::{Layer, layers};

/// Seconds an information message stays on the status line.
pub const INFO_SECS: i64 = 4;
/// Seconds an error stays on the status line.
pub const ERROR_SECS: i64 = 15;
/// Errors kept for `:messages`.
pub const HISTORY: usize = 50;

/// One error of the history: when it was last shown (Unix seconds; `None` until the next tick
/// dates it), its text (sanitized), and how many times in a row it came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logged {
    pub at: Option<i64>,
    pub text: String,
    pub count: usize,
}

/// What the status line knows about its message beyond the text (`App::error`, `App::notice`).
#[derive(Debug, Clone, Default)]
pub struct Status {
    /// The message this describes: (is an error, text); `None` when the line is free.
    current: Option<(bool, String)>,
    /// Bumped by every `say`/`fail`/warning/error, so the same text raised again is new.
    generation: u64,
    seen_generation: u64,
    /// When it was first shown (the first tick after it was raised).
    shown_at: Option<i64>,
    /// The screen it belongs to.
    owner: Option<Layer>,
    /// The owner the next message takes instead of the screen on top (engine reports about
    /// an account belong to the column view).
    next_owner: Option<Layer>,
    /// The last errors, oldest first.
    pub(crate) history: VecDeque<Logged>,
    /// The open `:messages` view: its scroll position.
    pub(crate) view: Option<usize>,
}

impl Status {
    /// A new message was raised (its text is in `App::error` or `App::notice`).
    pub(crate) fn raised(&mut self) {
        self.generation += 1;
    }

    /// The errors kept, oldest first.
    pub fn history(&self) -> impl Iterator<Item = &Logged> {
        self.history.iter()
    }

    /// Whether the `:messages` view is open.
    pub fn view_open(&self) -> bool {
        self.view.is_some()
    }
}

/// The screen a message raised now belongs to: the topmost pane (overlays and the open line
/// do not own messages).
fn top_screen(app: &App) -> Layer {
    layers(app)
        .into_iter()
        .find(|l| {
            matches!(
                l,
                Layer::Reader | Layer::Compose | Layer::Note | Layer::Stats | Layer::Columns
            )
        })
        .unwrap_or(Layer::Columns)
}

/// After every event: a new message is dated by the next tick and given its screen (an error
/// also goes into the history); a message whose screen has closed goes.
pub(crate) fn settle(app: &mut App) {
    let now = match (&app.error, &app.notice) {
        (Some(e), _) => Some((true, e.clone())),
        (None, Some(n)) => Some((false, n.clone())),
        (None, None) => None,
    };
    let fresh = app.status.generation != app.status.seen_generation;
    if now.is_none() {
        app.status.current = None;
        app.status.next_owner = None;
        app.status.seen_generation = app.status.generation;
        return;
    }
    if fresh || now != app.status.current {
        let owner = app
            .status
            .next_owner
            .take()
            .unwrap_or_else(|| top_screen(app));
        let s = &mut app.status;
        s.seen_generation = s.generation;
        s.shown_at = None;
        s.owner = Some(owner);
        if let Some((true, text)) = &now {
            // The same error again (a server that keeps refusing) is counted, not repeated.
            match s.history.back_mut() {
                Some(last) if last.text == *text => {
                    last.count += 1;
                    last.at = None;
                }
                _ => s.history.push_back(Logged {
                    at: None,
                    text: text.clone(),
                    count: 1,
                }),
            }
            while s.history.len() > HISTORY {
                s.history.pop_front();
            }
        }
        s.current = now;
        return;
    }
    if let Some(owner) = app.status.owner
        && !layers(app).contains(&owner)
    {
        clear(app);
    }
}

/// The clock: dates what was raised since the last tick; ends a message whose time is up.
pub(crate) fn tick(app: &mut App, now: i64) {
    let s = &mut app.status;
    for l in s.history.iter_mut().rev() {
        if l.at.is_some() {
            break;
        }
        l.at = Some(now);
    }
    let Some((error, _)) = &s.current else {
        return;
    };
    let ttl = if *error { ERROR_SECS } else { INFO_SECS };
    match s.shown_at {
        None => s.shown_at = Some(now),
        Some(at) if now - at >= ttl => clear(app),
        Some(_) => {}
    }
}

/// Whether a message is waiting for its time to end (the clock should tick every second).
pub(crate) fn needs_clock(app: &App) -> bool {
    app.status.current.is_some() || app.status.history.back().is_some_and(|l| l.at.is_none())
}

fn clear(app: &mut App) {
    app.error = None;
    app.notice = None;
    app.status.current = None;
    app.status.owner = None;
    app.status.shown_at = None;
}

/// A warning about an account, for the status line (the column view's).
pub(crate) fn on_warning(app: &mut App, account_idx: usize, message: String) {
    app.set_notice(account_idx, &message);
    app.status.next_owner = Some(Layer::Columns);
}

/// An error, of an account or of the whole UI, for the status line (the column view's).
pub(crate) fn on_error(app: &mut App, account_idx: Option<usize>, message: String) {
    let message = sanitize::single_line(message.trim());
    if let Some(c) = account_idx.and_then(|i| app.column_mut(i)) {
        c.state = LoadState::Failed(message.clone());
    }
    app.set_error(message);
    app.status.next_owner = Some(Layer::Columns);
}

/// The outbox as its thread reports it.
pub(crate) fn on_outbox(app: &mut App, mut status: OutboxStatus) -> bool {
    let mut changed = false;
    status.last_error = status.last_error.map(|e| sanitize::single_line(e.trim()));
    if status.delivered > 0 && app.error.is_none() {
        app.notice = Some(match status.delivered {
            1 => "outbox: 1 message delivered".to_string(),
            n => format!("outbox: {n} messages delivered"),
        });
        app.status.raised();
        app.status.next_owner = Some(Layer::Columns);
        changed = true;
    }
    if app.outbox != status {
        app.outbox = status;
        changed = true;
    }
    changed
}
