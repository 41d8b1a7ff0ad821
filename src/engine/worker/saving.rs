//! The header cache write, held back off the path to the screen. A sync hands its changes to
//! the caller first (the rows it names, and only those); the whole mirror is written to the
//! cache later, once for a burst of changes: when the mailbox has been quiet for
//! [`SAVE_QUIET`], or [`SAVE_AT_MOST`] after the first change not yet written, and always
//! before the worker ends or loses its connection. Rewriting a 100,000-row cache takes long
//! enough that doing it after every change held up the next change's sync behind it.
//!
//! The write itself stays the cache's atomic one (temp file + rename): a crash leaves the
//! previous cache whole, merely older, and the next start's delta sync catches up from it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::{Worker, WorkerEvent};
use crate::imap::sync::{MailboxState, SyncEvent};

/// A change is written to the header cache once no other change followed it for this long.
pub const SAVE_QUIET: Duration = Duration::from_secs(2);
/// A mailbox that never goes quiet is written at the latest this long after its first change
/// not yet written.
pub const SAVE_AT_MOST: Duration = Duration::from_secs(30);

/// When the mirror's changes are due in the cache.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) struct Pending {
    /// The first change not yet written.
    since: Option<Instant>,
    /// When to write.
    due: Option<Instant>,
}

impl Pending {
    /// A sync changed the mirror at `now`: the write moves to [`SAVE_QUIET`] from now, but
    /// never beyond [`SAVE_AT_MOST`] from the first change not yet written.
    pub(super) fn changed(&mut self, now: Instant) {
        let since = *self.since.get_or_insert(now);
        self.due = Some((now + SAVE_QUIET).min(since + SAVE_AT_MOST));
    }

    /// When the write is due, if one is.
    pub(super) fn due(&self) -> Option<Instant> {
        self.due
    }

    pub(super) fn is_due(&self, now: Instant) -> bool {
        self.due.is_some_and(|d| d <= now)
    }

    fn clear(&mut self) {
        *self = Pending::default();
    }
}

/// Set while a worker writes its cache on the way out, so quitting waits for that write
/// (local and bounded) rather than cutting it off with the process.
#[derive(Debug, Clone, Default)]
pub struct Flushing(Arc<AtomicBool>);

impl Flushing {
    /// Whether the worker is writing its cache on the way out now.
    pub fn now(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    fn set(&self, on: bool) {
        self.0.store(on, Ordering::SeqCst);
    }
}

impl Worker {
    /// A sync just ended: its changes (already handed to the caller) are due in the cache
    /// later, with any that follow soon.
    pub(super) fn save_later(&mut self, state: &MailboxState) {
        if state.unsaved() {
            self.pending_save.changed(Instant::now());
        }
    }

    /// Writes the mirror to the cache when that is due by now.
    pub(super) fn save_if_due(&mut self, state: &mut MailboxState) {
        if self.pending_save.is_due(Instant::now()) {
            self.save_now(state);
        }
    }

    /// Writes the mirror to the cache now (when it holds anything unwritten). A cache that
    /// cannot be written is said once and skipped from then on.
    pub(super) fn save_now(&mut self, state: &mut MailboxState) {
        self.pending_save.clear();
        if let Some(w) = state.save_cache_or_skip(&self.headers) {
            (self.emit)(WorkerEvent::Sync(SyncEvent::Warning(w)));
        }
    }

    /// [`save_now`](Self::save_now) on the way out, with [`Flushing`] set meanwhile.
    pub(super) fn save_before_leaving(&mut self, state: &mut MailboxState) {
        if !state.unsaved() {
            return;
        }
        self.flushing.set(true);
        self.save_now(state);
        self.flushing.set(false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_of_changes_is_written_once_when_quiet_and_never_later_than_the_cap() {
        let t0 = Instant::now();
        let mut p = Pending::default();
        assert_eq!(p.due(), None);
        assert!(!p.is_due(t0 + SAVE_AT_MOST * 10));
        p.changed(t0);
        assert_eq!(p.due(), Some(t0 + SAVE_QUIET));
        // Each change pushes the write back…
        let later = t0 + SAVE_QUIET / 2;
        p.changed(later);
        assert_eq!(p.due(), Some(later + SAVE_QUIET));
        assert!(!p.is_due(t0 + SAVE_QUIET));
        assert!(p.is_due(later + SAVE_QUIET));
        // … but never beyond the cap from the first one.
        let mut t = t0;
        while t < t0 + SAVE_AT_MOST * 2 {
            p.changed(t);
            t += SAVE_QUIET / 2;
        }
        assert_eq!(p.due(), Some(t0 + SAVE_AT_MOST));
        p.clear();
        assert_eq!(p, Pending::default());
    }
}
