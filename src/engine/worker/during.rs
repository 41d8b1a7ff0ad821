//! Requests served while a big sync streams in, between two of its batches, so the column is
//! usable before the whole mailbox is read: a message to read, a search, a flag change, a
//! triage action (claim, assign, …). Everything else waits for the end of the sync, as before.

use super::{Worker, WorkerCommand};
use crate::imap::connect::ImapConn;
use crate::store::cache::CacheKey;

impl Worker {
    /// Serves the requests waiting now; `changed` is set when one changed the mailbox (a sync
    /// is due to show it). `Err`: the connection is gone (an action is queued again).
    pub(super) fn serve_during_sync(
        &mut self,
        conn: &mut ImapConn,
        key: &CacheKey,
        validity: u32,
        changed: &mut bool,
    ) -> Result<(), String> {
        let mut later = Vec::new();
        let mut result = Ok(());
        while let Ok(cmd) = self.commands.try_recv() {
            let served = match cmd {
                WorkerCommand::FetchBody { uid } => self.fetch_body(conn, key, validity, uid),
                WorkerCommand::Search { id, query, offset } => self.search(conn, id, query, offset),
                WorkerCommand::Store {
                    id,
                    uid,
                    change,
                    unchanged_since,
                } => self
                    .store(conn, id, uid, change, unchanged_since)
                    .map(|stored| *changed |= stored),
                WorkerCommand::Undo {
                    id,
                    uid,
                    change,
                    guard,
                } => self
                    .undo(conn, id, uid, change, guard)
                    .map(|stored| *changed |= stored),
                WorkerCommand::Triage {
                    id,
                    uid,
                    action,
                    agent,
                    message_id,
                } => {
                    *changed = true;
                    self.apply_triage(conn, id, uid, action, agent, message_id)
                }
                // Refresh, IDLE signals, notes, shutdown: after the sync, in their order.
                other => {
                    later.push(other);
                    Ok(())
                }
            };
            if served.is_err() {
                result = served;
                break;
            }
        }
        for cmd in later {
            // The worker holds its own receiver: this send cannot fail while it runs.
            let _ = self.self_tx.send(cmd);
        }
        result
    }
}
