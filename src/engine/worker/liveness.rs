//! Whether the server is there: connecting (telling "unreachable" from "reached, but
//! refused"), waiting out a backoff while probing an unreachable server, and the NOOPs that
//! check a live session.

use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant};

use super::{Worker, WorkerCommand, WorkerEvent};
use crate::imap::ErrorKind;
use crate::imap::connect::{
    Arm, DEFAULT_READ_BUDGET, ImapConn, Target, credential, open_session_with,
};
use crate::imap::idle::ANSWER_DEADLINE;
use crate::imap::sync::MailboxState;

/// While the server is unreachable it is probed (TCP, TLS, greeting; no login) this often, each
/// probe bounded by `PROBE_TIMEOUT`.
const PROBE_EVERY: Duration = Duration::from_secs(3);
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a connection attempt failed; `unreachable` when the server could not be reached at all
/// (TCP, TLS, greeting), which a cheap probe can tell apart from "reached, but refused".
pub(super) struct Down {
    pub(super) error: String,
    pub(super) unreachable: bool,
}

/// How an offline wait ended.
pub(super) enum Wake {
    Shutdown,
    /// The backoff ran out, or the user asked to retry.
    Retry,
    /// A probe found the server answering again.
    Reachable,
}

impl Worker {
    pub(super) fn connect(&mut self) -> Result<ImapConn, Down> {
        let local = |error: String| Down {
            error,
            unreachable: false,
        };
        if self.secret.is_none() {
            let s = credential(
                self.imap.auth,
                self.imap.password.as_ref(),
                self.imap.password_command.as_deref(),
                self.imap.token_command.as_deref(),
            )
            .map_err(|e| local(format!("cannot get the password: {e}")))?;
            self.secret = Some(s);
        }
        let secret = self
            .secret
            .clone()
            .ok_or_else(|| local("no secret".into()))?;
        let target = Target {
            account: &self.account,
            config: &self.imap,
        };
        open_session_with(&target, &secret).map_err(|e| Down {
            unreachable: matches!(
                *e.kind,
                ErrorKind::Connect(_) | ErrorKind::Tls(_) | ErrorKind::Greeting(_)
            ),
            error: e.to_string(),
        })
    }

    /// Waits out a backoff while still taking commands. When the server was `unreachable`, it
    /// is probed every few seconds meanwhile, so the account comes back as soon as the network
    /// does rather than at the end of a long backoff.
    pub(super) fn wait_offline(
        &mut self,
        wait: Duration,
        state: &MailboxState,
        unreachable: bool,
    ) -> Wake {
        let deadline = Instant::now() + wait;
        let mut next_probe = Instant::now() + PROBE_EVERY;
        loop {
            let now = Instant::now();
            let left = deadline.saturating_duration_since(now);
            if left.is_zero() {
                return Wake::Retry;
            }
            if unreachable && now >= next_probe {
                let target = Target {
                    account: &self.account,
                    config: &self.imap,
                };
                if crate::imap::connect::probe(&target, PROBE_TIMEOUT).is_ok() {
                    return Wake::Reachable;
                }
                next_probe = Instant::now() + PROBE_EVERY;
                continue;
            }
            let until = if unreachable {
                left.min(next_probe.saturating_duration_since(now))
            } else {
                left
            };
            match self.commands.recv_timeout(until) {
                Ok(WorkerCommand::Shutdown) | Err(RecvTimeoutError::Disconnected) => {
                    return Wake::Shutdown;
                }
                Ok(WorkerCommand::Refresh) => return Wake::Retry,
                Ok(WorkerCommand::Idle(_)) => {}
                Ok(
                    cmd @ (WorkerCommand::Store { .. }
                    | WorkerCommand::Undo { .. }
                    | WorkerCommand::Triage { .. }
                    | WorkerCommand::AddNote { .. }),
                ) => self.pending.push_back(cmd),
                // Notes read after the reconnect come with the message opened then; say why
                // not now.
                Ok(WorkerCommand::Notes { message_id, .. }) => (self.emit)(WorkerEvent::Notes {
                    message_id,
                    result: Err("offline: the server cannot be reached".to_string()),
                }),
                Ok(WorkerCommand::Conversation { uid, .. }) => {
                    (self.emit)(WorkerEvent::Conversation {
                        uid,
                        result: Err("offline: the server cannot be reached".to_string()),
                    })
                }
                Ok(WorkerCommand::SentRecipients) => (self.emit)(WorkerEvent::SentRecipients(Err(
                    "offline: the server cannot be reached".to_string(),
                ))),
                Ok(WorkerCommand::FetchBody { uid }) => {
                    // The body cache may still have it; otherwise say why not, now.
                    let result = self
                        .cached_body(state, uid)
                        .ok_or_else(|| "offline: the server cannot be reached".to_string());
                    (self.emit)(WorkerEvent::Body { uid, result });
                }
                // A search answered after the reconnect would be stale; say why now.
                Ok(WorkerCommand::Search { id, .. }) => (self.emit)(WorkerEvent::SearchDone {
                    id,
                    result: Err("offline: the server cannot be reached".to_string()),
                }),
                Err(RecvTimeoutError::Timeout) => {}
            }
        }
    }
}

/// A NOOP that must be answered within `idle::ANSWER_DEADLINE`, or why it was not.
pub(super) fn still_there(conn: &mut ImapConn) -> Result<(), String> {
    conn.budget
        .grant_with(DEFAULT_READ_BUDGET, Arm::For(ANSWER_DEADLINE));
    let answered = conn.session.noop();
    // The commands that follow get the account's own deadline again.
    conn.budget.grant(DEFAULT_READ_BUDGET);
    answered.map_err(|e| crate::imap::idle::unanswered("NOOP", &e))
}

/// Whether the session still answers (after an error whose kind was lost in a message).
pub(super) fn conn_alive(conn: &mut ImapConn) -> bool {
    conn.budget.grant(DEFAULT_READ_BUDGET);
    conn.session.noop().is_ok()
}
