//! A column's sync progress: while a sync fetches many new messages (a cold open, or a mailbox
//! that grew a lot), the header says "syncing n/N" instead of the load state and row count.
//! Kept apart from the column model: a field and the handlers that set and clear it.

use super::{Column, Link};
use crate::ui::app::App;

/// How far a running sync has got: `held` of the mailbox's `exists` messages are known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncProgress {
    pub held: u32,
    pub exists: u32,
}

/// The engine reports a sync's progress.
pub(crate) fn on_progress(app: &mut App, account_idx: usize, held: u32, exists: u32) -> bool {
    let Some(c) = app.column_mut(account_idx) else {
        return false;
    };
    let next = Some(SyncProgress { held, exists });
    let changed = c.progress != next;
    c.progress = next;
    changed
}

/// The sync is over (done, void, or cut off by the connection): no progress to show.
pub(crate) fn end(c: &mut Column) {
    c.progress = None;
}

/// A link that is down ends any sync that was running on it.
pub(crate) fn on_link(c: &mut Column) {
    if matches!(c.link, Some(Link::Offline { .. })) {
        end(c);
    }
}

/// The header's state and count while a sync runs: ("syncing", "n/N").
pub(crate) fn header_parts(c: &Column) -> Option<(&'static str, String)> {
    c.progress
        .map(|p| ("syncing", format!("{}/{}", p.held, p.exists)))
}
