//! The team policy while the column view runs: read once connected, and again whenever the
//! policy folder changed — a STATUS (MESSAGES UIDNEXT UIDVALIDITY) of the folder after each
//! sync of a wake-up (IDLE, the periodic resync, a refresh) is all it costs when nothing
//! changed. Reported as `WorkerEvent::Policy`; the kept copy is written by
//! `engine::policy::read_on`.

use super::{Worker, WorkerEvent};
use crate::engine::policy::{self, Learned, Origin};
use crate::imap::connect::{DEFAULT_READ_BUDGET, ImapConn};
use crate::imap::notes::{NotesError, server_error};
use crate::imap::policy::policy_folder;
use crate::imap::sync::{MailboxState, SyncEvent};
use crate::sanitize::single_line;

/// What the worker knows of the policy folder.
#[derive(Debug, Default)]
pub(super) struct Known {
    /// The folder's name on this server (resolved once).
    folder: Option<String>,
    /// (UIDVALIDITY, UIDNEXT, MESSAGES) at the last read; all zero for a missing folder.
    seen: Option<(u32, u32, u32)>,
    /// Whether a policy was ever in force for this worker (or kept at its start): a folder
    /// without one is then worth reporting.
    had: Option<bool>,
}

impl Worker {
    /// Reads the team policy when the policy folder changed since the last look (or was never
    /// looked at), and reports it. Reading EXAMINEs the folder: the mailbox is then synced
    /// (and so selected) again. `Err` means the connection is gone.
    pub(super) fn look_at_policy(
        &mut self,
        conn: &mut ImapConn,
        state: &mut MailboxState,
    ) -> Result<(), String> {
        let cache = policy::default_cache();
        let had = *self.policy.had.get_or_insert_with(|| {
            policy::kept(&self.config, cache.as_ref())
                .in_force
                .is_some()
        });
        let folder = match self.policy.folder.clone() {
            Some(f) => f,
            None => match policy_folder(conn, &self.config) {
                Ok(f) => {
                    self.policy.folder = Some(f.clone());
                    f
                }
                Err(NotesError::Connection(e)) => return Err(e),
                // No hierarchy answer: no policy can be found; the kept copy (if any) rules.
                Err(_) => return Ok(()),
            },
        };
        conn.budget.grant(DEFAULT_READ_BUDGET);
        let mark = match conn
            .session
            .status(&folder, "(MESSAGES UIDNEXT UIDVALIDITY)")
        {
            Ok(m) => (
                m.uid_validity.unwrap_or(0),
                m.uid_next.unwrap_or(0),
                m.exists,
            ),
            Err(e) => match server_error(&folder, &e) {
                NotesError::Connection(e) => return Err(e),
                // A folder that does not exist (or cannot be seen) holds no policy.
                _ => (0, 0, 0),
            },
        };
        if self.policy.seen == Some(mark) {
            return Ok(());
        }
        self.policy.seen = Some(mark);
        let examined = mark != (0, 0, 0);
        let learned = if examined {
            self.selected = None;
            match policy::read_on(conn, &self.config, cache.as_ref()) {
                Ok(l) => l,
                Err(NotesError::Connection(e)) => return Err(e),
                Err(e) => {
                    self.policy.seen = None;
                    (self.emit)(WorkerEvent::Sync(SyncEvent::Warning(format!(
                        "the team policy could not be read: {}",
                        single_line(&e.to_string())
                    ))));
                    return self.sync_now(conn, state);
                }
            }
        } else {
            let mut warning = None;
            if had
                && let Some(cache) = &cache
                && let Some(imap) = &self.config.imap
                && let Err(e) = cache.remove(&self.config.name, &imap.mailbox)
            {
                warning = Some(format!("the team policy could not be kept offline: {e}"));
            }
            Learned {
                in_force: None,
                skipped: Vec::new(),
                origin: Origin::Server,
                warning,
            }
        };
        let report = learned.in_force.is_some()
            || !learned.skipped.is_empty()
            || learned.warning.is_some()
            || had;
        self.policy.had = Some(learned.in_force.is_some() || had);
        if report {
            (self.emit)(WorkerEvent::Policy {
                account: self.account.clone(),
                learned,
            });
        }
        if examined {
            // The policy folder is selected now: the mailbox again, with what changed meanwhile.
            self.sync_now(conn, state)?;
        }
        Ok(())
    }
}
