//! IDLE watchers: one connection per mailbox whose only job is to say "something changed".
//!
//! The watcher never reads mail; it wakes the account's worker, which runs a CONDSTORE delta
//! sync on its own connection. That keeps one code path for every change (new mail, expunge,
//! a teammate's keyword) and needs no parsing of unsolicited FETCH data here.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use imap::extensions::idle::WaitOutcome;

use super::connect::{Arm, DEFAULT_READ_BUDGET, ImapConn, Shutdown, Target, open_session_with};
use crate::config::{Imap, Secret};
use crate::mail::utf7;

/// After this long with nothing from the server, the watcher ends its IDLE and checks that the
/// server still answers: a path that died without a reset (NAT timeout, dead VPN) sends nothing
/// either, and must not pass for a quiet mailbox for long. It also re-issues IDLE far inside
/// the 29-minute limit of RFC 2177.
pub const QUIET_CHECK: Duration = Duration::from_secs(60);
/// How long the end of an IDLE and the NOOP after a quiet spell may take, together.
pub const ANSWER_DEADLINE: Duration = Duration::from_secs(15);

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
    alive: Arc<AtomicBool>,
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
        let alive = Arc::new(AtomicBool::new(true));
        let flag = alive.clone();
        let handle = std::thread::Builder::new()
            .name(format!("idle-{account}"))
            .spawn(move || {
                let socket = conn.shutdown_handle();
                let signal = match watch(&mut conn, &socket, &mut || {
                    notify.send(wrap(IdleSignal::Changed)).is_ok()
                }) {
                    Ok(()) => None,
                    Err(e) => Some(IdleSignal::Lost(e)),
                };
                // Said before the message, so a worker woken by it finds the watcher gone.
                flag.store(false, Ordering::SeqCst);
                if let Some(lost) = signal {
                    let _ = notify.send(wrap(lost));
                }
            })
            .map_err(|e| IdleStartError::Failed(e.to_string()))?;
        Ok(IdleWatcher {
            shutdown,
            alive,
            handle: Some(handle),
        })
    }

    /// Whether the watcher still watches. False once its connection failed or missed a
    /// liveness deadline: the account is then not live, whatever else works.
    pub fn alive(&self) -> bool {
        self.alive.load(Ordering::SeqCst)
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

/// Watches until the connection fails or misses a deadline (`Err`, why) or `changed` says
/// nobody listens any more (`Ok`).
fn watch(
    conn: &mut ImapConn,
    socket: &Shutdown,
    changed: &mut dyn FnMut() -> bool,
) -> Result<(), String> {
    // Between IDLEs every read is bounded by the answer deadline: the start of the next IDLE
    // must be answered as promptly as a NOOP.
    socket.read_timeout(Some(ANSWER_DEADLINE));
    loop {
        // No overall command deadline here: IDLE waits up to `QUIET_CHECK`, and the exchanges
        // around it are bounded through the socket (`ANSWER_DEADLINE`).
        conn.budget.grant_with(DEFAULT_READ_BUDGET, Arm::Off);
        // Changes that came while IDLE was not running (between DONE and the next IDLE).
        if conn.session.take_all_unsolicited().count() > 0 && !changed() {
            return Ok(());
        }
        let mut idle = conn.session.idle();
        idle.timeout(QUIET_CHECK).keepalive(false);
        // Stop at the first unsolicited response: any of them means "changed".
        let outcome = idle.wait_while(|_| false);
        let ending = Instant::now();
        if let Err(e) = outcome {
            // The connection is given up: no DONE to send, nor its answer to wait for.
            std::mem::forget(idle);
            return Err(unanswered("IDLE", &e));
        }
        // The worker is told before DONE goes out: its sync runs on its own connection while
        // this one ends its IDLE, rather than a round trip later.
        if matches!(outcome, Ok(WaitOutcome::MailboxChanged)) && !changed() {
            return Ok(());
        }
        socket.read_timeout(Some(ANSWER_DEADLINE));
        // Sends DONE and reads its answer (errors are the crate's to swallow: the NOOP below,
        // or the next IDLE, finds a dead connection within the same deadline).
        drop(idle);
        match outcome {
            Ok(WaitOutcome::MailboxChanged) => {}
            Ok(WaitOutcome::TimedOut) => {
                let left = ANSWER_DEADLINE
                    .saturating_sub(ending.elapsed())
                    .max(Duration::from_secs(1));
                socket.read_timeout(Some(left));
                conn.budget.grant_with(DEFAULT_READ_BUDGET, Arm::Off);
                let answered = conn.session.noop();
                socket.read_timeout(Some(ANSWER_DEADLINE));
                answered.map_err(|e| unanswered("NOOP", &e))?;
            }
            Err(e) => return Err(unanswered("IDLE", &e)),
        }
    }
}

/// Why a liveness exchange failed, saying "no answer" for a deadline rather than the
/// operating system's words for a timed-out read.
pub(crate) fn unanswered(command: &str, e: &imap::Error) -> String {
    match e {
        imap::Error::Io(io)
            if matches!(
                io.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) =>
        {
            format!(
                "no answer to {command} within {} s: the connection is dead",
                ANSWER_DEADLINE.as_secs()
            )
        }
        other => format!("{command}: {}", super::connect::describe(other)),
    }
}
