//! IDLE watchers: one connection per mailbox whose only job is to say "something changed".
//!
//! The watcher never reads mail; it wakes the account's worker, which runs a CONDSTORE delta
//! sync on its own connection. That keeps one code path for every change (new mail, expunge,
//! a teammate's keyword) and needs no parsing of unsolicited FETCH data here.

use std::sync::mpsc::Sender;
use std::thread::JoinHandle;
use std::time::Duration;

use super::connect::{Shutdown, Target, open_session_with};
use super::utf7;
use crate::config::{Imap, Secret};

/// IDLE is re-issued well before the 29-minute limit of RFC 2177.
pub const IDLE_REISSUE: Duration = Duration::from_secs(25 * 60);

/// What a watcher tells its worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdleSignal {
    /// The mailbox changed; sync it.
    Changed,
    /// The watcher's connection failed; the worker decides whether to reconnect.
    Lost(String),
}

/// Why a watcher did not start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdleStartError {
    /// The server has no IDLE: poll instead.
    Unsupported,
    /// Connecting or selecting failed (the server may be going down).
    Failed(String),
}

pub struct IdleWatcher {
    shutdown: Shutdown,
    handle: Option<JoinHandle<()>>,
}

impl IdleWatcher {
    /// Connects (on the calling thread, so a login failure is reported at once), selects
    /// `mailbox` read-only, and starts watching on a thread of its own.
    pub fn start<T: Send + 'static>(
        account: &str,
        config: &Imap,
        secret: &Secret,
        mailbox: &str,
        notify: Sender<T>,
        wrap: fn(IdleSignal) -> T,
    ) -> Result<IdleWatcher, IdleStartError> {
        let target = Target { account, config };
        let mut conn = open_session_with(&target, secret)
            .map_err(|e| IdleStartError::Failed(e.to_string()))?;
        if !conn.has("IDLE") {
            let _ = conn.session.logout();
            return Err(IdleStartError::Unsupported);
        }
        conn.session
            .examine(utf7::encode(mailbox))
            .map_err(|e| IdleStartError::Failed(super::connect::describe(&e)))?;
        let shutdown = conn.shutdown_handle();
        let handle = std::thread::Builder::new()
            .name(format!("idle-{account}"))
            .spawn(move || {
                loop {
                    // IDLE waits up to its own timeout: no overall command deadline.
                    conn.budget.grant_with(
                        super::connect::DEFAULT_READ_BUDGET,
                        super::connect::Arm::Off,
                    );
                    let _ = conn.session.take_all_unsolicited().count();
                    let mut idle = conn.session.idle();
                    idle.timeout(IDLE_REISSUE).keepalive(true);
                    // Stop at the first unsolicited response: any of them means "changed".
                    let outcome = idle.wait_while(|_| false);
                    drop(idle);
                    match outcome {
                        Ok(_) => {
                            if notify.send(wrap(IdleSignal::Changed)).is_err() {
                                return;
                            }
                        }
                        Err(e) => {
                            let _ =
                                notify.send(wrap(IdleSignal::Lost(super::connect::describe(&e))));
                            return;
                        }
                    }
                }
            })
            .map_err(|e| IdleStartError::Failed(e.to_string()))?;
        Ok(IdleWatcher {
            shutdown,
            handle: Some(handle),
        })
    }

    /// Ends the watcher: the socket is shut down, which wakes its blocked read.
    pub fn stop(mut self) {
        self.shutdown.now();
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

impl Drop for IdleWatcher {
    fn drop(&mut self) {
        self.shutdown.now();
    }
}
