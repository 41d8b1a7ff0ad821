//! The wake times of the mirror's snoozed messages (`mail::snooze`): read from the snooze
//! records of the notes folder when the mirror holds a snoozed message whose record has not
//! been looked for yet, after a refresh and after a snooze; reported as
//! `WorkerEvent::Snoozes` (only the snoozed rows' entries, and only when they changed).

use std::collections::HashSet;

use super::{Worker, WorkerEvent};
use crate::imap::connect::ImapConn;
use crate::imap::notes::{NotesError, notes_folder};
use crate::imap::snoozes;
use crate::imap::sync::{MailboxState, SyncEvent};
use crate::mail::snooze::WakeTimes;
use crate::mail::snooze::is_snooze_keyword;
use crate::sanitize::single_line;

/// What the worker knows of the snooze records.
#[derive(Debug, Default)]
pub(super) struct Known {
    /// Every wake time the notes folder gave at the last read (`None`: not read yet).
    all: Option<WakeTimes>,
    /// Snoozed messages looked for at the last read and not found: not looked for again
    /// before the next refresh or snooze.
    missing: HashSet<String>,
    /// What was last reported.
    sent: WakeTimes,
    /// Read again at the next look (a refresh, a snooze by this worker).
    stale: bool,
}

impl Known {
    /// The next look reads the records again.
    pub(super) fn invalidate(&mut self) {
        self.stale = true;
    }
}

impl Worker {
    /// Reports the wake times of the mirror's snoozed rows, reading the records first when
    /// one is unknown (or a refresh or snooze asked for it). Reading opens the notes folder:
    /// the mailbox is then synced (and so selected) again. `Err` means the connection is gone.
    pub(super) fn look_at_snoozes(
        &mut self,
        conn: &mut ImapConn,
        state: &mut MailboxState,
    ) -> Result<(), String> {
        let wanted: Vec<String> = state
            .rows()
            .iter()
            .filter(|s| s.keywords.iter().any(|k| is_snooze_keyword(k)))
            .filter_map(|s| s.message_id().map(str::to_string))
            .collect();
        if wanted.is_empty() && self.snoozes.sent.is_empty() {
            return Ok(());
        }
        let unknown = |k: &Known, id: &String| {
            k.all.as_ref().is_none_or(|all| all.get(id).is_none()) && !k.missing.contains(id)
        };
        let read = !wanted.is_empty()
            && (self.snoozes.stale || wanted.iter().any(|id| unknown(&self.snoozes, id)));
        if read {
            self.snoozes.stale = false;
            self.selected = None;
            let result =
                notes_folder(conn, &self.config).and_then(|f| snoozes::wake_times(conn, &f));
            match result {
                Ok(all) => self.snoozes.all = Some(all),
                Err(NotesError::Connection(e)) => return Err(e),
                Err(e) => {
                    // Shown as woken until a later read works; said once per failed read.
                    (self.emit)(WorkerEvent::Sync(SyncEvent::Warning(format!(
                        "snooze wake times could not be read: {}",
                        single_line(&e.to_string())
                    ))));
                    self.snoozes.all.get_or_insert_with(WakeTimes::new);
                }
            }
            let all = self.snoozes.all.clone().unwrap_or_default();
            self.snoozes.missing = wanted
                .iter()
                .filter(|id| all.get(id).is_none())
                .cloned()
                .collect();
            // The notes folder is selected now: the mailbox again, with what changed meanwhile.
            self.sync_now(conn, state)?;
        }
        let all = self.snoozes.all.as_ref();
        let now: WakeTimes = wanted
            .iter()
            .filter_map(|id| Some((id.clone(), all?.get(id)?)))
            .collect();
        if now != self.snoozes.sent {
            self.snoozes.sent = now.clone();
            (self.emit)(WorkerEvent::Snoozes(now));
        }
        Ok(())
    }
}
