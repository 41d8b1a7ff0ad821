//! One thread per IMAP account: owns the connection, keeps the mailbox mirror in sync, reacts
//! to IDLE, runs actions, and reconnects with capped backoff. It reports `WorkerEvent`s and
//! never blocks its caller.
//!
//! Actions (stores) that cannot run because the connection is down are queued and replayed
//! after the reconnect; an action the server refuses is reported failed, never dropped. A body
//! request is never replayed: its failure is reported to the reader.

use std::collections::VecDeque;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::backend::{FlagChange, MailboxStatus, StoreOutcome};
use crate::config::{Account, Agent, Imap, Secret};
use crate::imap::actions::{self, ActionError};
use crate::imap::connect::{ImapConn, Target, open_session_with};
use crate::imap::idle::{IdleSignal, IdleStartError, IdleWatcher, QUIET_CHECK};
use crate::imap::sync::{FirstBatch, MailboxState, SyncEvent, sync_serving};
use crate::mail::note::Note;
use crate::mail::sent::SentReply;
use crate::mail::snooze::WakeTimes;
use crate::net::Server;
use crate::store::bodies::BodyCache;
use crate::store::cache::{CacheKey, HeaderCache};
use crate::triage::act::{self, ActError, Applied};
use crate::triage::state::Action as TriageAction;

mod during;
mod liveness;
mod notes;
mod policy;
mod saving;
mod search;
mod snoozes;

use liveness::{Wake, conn_alive, still_there};
pub use saving::{Flushing, SAVE_AT_MOST, SAVE_QUIET};

/// First and last wait between reconnect attempts.
pub const BACKOFF_START: Duration = Duration::from_millis(500);
pub const BACKOFF_MAX: Duration = Duration::from_secs(60);
/// Without IDLE the mailbox is polled this often; with IDLE, this is a safety resync.
pub const POLL_WITHOUT_IDLE: Duration = Duration::from_secs(30);
pub const RESYNC_WITH_IDLE: Duration = Duration::from_secs(300);
/// A session that lasted this long counts as healthy: its loss is retried without delay.
const STABLE_SESSION: Duration = Duration::from_secs(10);

/// Requests to a worker.
#[derive(Debug, Clone)]
pub enum WorkerCommand {
    /// Sync now (a key press, or a hint that something changed).
    Refresh,
    /// Read a message (cache first); answered with `WorkerEvent::Body`.
    FetchBody { uid: u32 },
    /// Change flags and keywords; answered with `WorkerEvent::ActionDone`.
    Store {
        id: u64,
        uid: u32,
        change: FlagChange,
        unchanged_since: Option<u64>,
    },
    /// An undo's store: `change` only while the message is as the action left it
    /// (`triage::revert`); answered with `WorkerEvent::ActionDone`, a refusal as its error.
    Undo {
        id: u64,
        uid: u32,
        change: FlagChange,
        guard: Box<crate::triage::revert::Guard>,
    },
    /// Server-side search of the selected mailbox for `query` (the search language,
    /// `triage::query`, translated by `search` before it goes anywhere), with dates read at
    /// `offset` seconds east of UTC (the agent's zone); answered with `WorkerEvent::SearchDone`.
    Search { id: u64, query: String, offset: i32 },
    /// A triage action by `agent` (claim, assign, status, snooze, replying mark), applied
    /// atomically (see `triage::act`); answered with `WorkerEvent::TriageDone`.
    Triage {
        id: u64,
        uid: u32,
        action: TriageAction,
        agent: String,
        /// The Message-ID the front end knows for the message (see `Request::Triage`).
        message_id: Option<String>,
    },
    /// Append an internal note by the worker's agent on message `uid` to the account's notes
    /// folder (never transmitted); answered with `WorkerEvent::NoteAdded`. Queued while offline.
    AddNote { id: u64, uid: u32, text: String },
    /// Read the notes on the message whose Message-ID is `message_id` (UID `uid`); answered
    /// with `WorkerEvent::Notes`.
    Notes { uid: u32, message_id: String },
    /// Read the team's replies to the conversation of message `uid` (its Message-IDs `ids`)
    /// from the Sent folder; answered with `WorkerEvent::Conversation`.
    Conversation { uid: u32, ids: Vec<String> },
    /// Read the To and Cc of the Sent folder's newest messages; answered with
    /// `WorkerEvent::SentRecipients`.
    SentRecipients,
    /// Log out and end the thread.
    Shutdown,
    /// From the IDLE watcher.
    Idle(IdleSignal),
}

/// The connection as the user should see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnState {
    Connecting,
    Online {
        idle: bool,
    },
    /// Down; the next attempt comes after `retry_in`.
    Offline {
        error: String,
        retry_in: Duration,
    },
}

/// Reports from a worker.
#[derive(Debug, Clone)]
pub enum WorkerEvent {
    State(ConnState),
    Sync(SyncEvent),
    Body {
        uid: u32,
        result: Result<Vec<u8>, String>,
    },
    ActionDone {
        id: u64,
        uid: u32,
        result: Result<StoreOutcome, String>,
    },
    /// How a `Triage` ended: the state before and after, or why not.
    TriageDone {
        id: u64,
        uid: u32,
        result: Result<Applied, ActError>,
    },
    /// The UIDs (ascending) matching a `Search`, or why the search did not run.
    SearchDone {
        id: u64,
        result: Result<Vec<u32>, String>,
    },
    /// How an `AddNote` ended: the notes folder and the note's UID there (when the server
    /// says), or why not.
    NoteAdded {
        id: u64,
        uid: u32,
        result: Result<(String, Option<u32>), String>,
    },
    /// The notes on the message `message_id`, oldest first, or why they could not be read.
    Notes {
        message_id: String,
        result: Result<Vec<Note>, String>,
    },
    /// The wake times of the mirror's snoozed messages (see `snoozes`).
    Snoozes(WakeTimes),
    /// The team policy of the account, read after connecting and whenever its policy folder
    /// changed (see `policy`).
    Policy {
        account: String,
        learned: crate::engine::policy::Learned,
    },
    /// The team's replies in the conversation of message `uid`, oldest first, or why not.
    Conversation {
        uid: u32,
        result: Result<Vec<SentReply>, String>,
    },
    /// Rows with the To and Cc of the Sent folder's newest messages, or why not.
    SentRecipients(Result<Vec<crate::message::Summary>, String>),
}

pub struct AccountWorker {
    commands: Sender<WorkerCommand>,
    handle: Option<JoinHandle<()>>,
    flushing: Flushing,
}

impl AccountWorker {
    /// Starts the worker for an IMAP account; `emit` receives every event, on the worker thread.
    /// Without an agent it cannot add notes (see [`AccountWorker::spawn_for`]).
    pub fn spawn(
        account: &Account,
        headers: HeaderCache,
        bodies: BodyCache,
        emit: Box<dyn FnMut(WorkerEvent) + Send>,
    ) -> std::io::Result<AccountWorker> {
        AccountWorker::spawn_for(account, None, FirstBatch::default(), headers, bodies, emit)
    }

    /// [`AccountWorker::spawn`] for `agent`, the author of the notes it adds, fetching
    /// `first_batch` of the newest new messages first (the rows the front end shows).
    pub fn spawn_for(
        account: &Account,
        agent: Option<Agent>,
        first_batch: FirstBatch,
        headers: HeaderCache,
        bodies: BodyCache,
        emit: Box<dyn FnMut(WorkerEvent) + Send>,
    ) -> std::io::Result<AccountWorker> {
        let Some(imap) = account.imap.clone() else {
            return Err(std::io::Error::other("not an IMAP account"));
        };
        let (tx, rx) = channel();
        let name = account.name.clone();
        let archive = account.archive_folder.clone();
        let config = account.clone();
        let self_tx = tx.clone();
        let flushing = Flushing::default();
        let flag = flushing.clone();
        let handle = std::thread::Builder::new()
            .name(format!("imap-{name}"))
            .spawn(move || {
                let mut w = Worker {
                    account: name,
                    imap,
                    headers,
                    bodies,
                    emit,
                    commands: rx,
                    self_tx,
                    secret: None,
                    pending: VecDeque::new(),
                    archive,
                    config,
                    agent,
                    pending_save: saving::Pending::default(),
                    flushing: flag,
                    selected: None,
                    first_batch,
                    snoozes: snoozes::Known::default(),
                    policy: policy::Known::default(),
                };
                w.run();
            })?;
        Ok(AccountWorker {
            commands: tx,
            handle: Some(handle),
            flushing,
        })
    }

    /// Whether the worker is writing its header cache on the way out (after a shutdown
    /// request): quitting waits for that, never for the server.
    pub fn flushing(&self) -> Flushing {
        self.flushing.clone()
    }

    /// Queues a command; false when the worker has ended.
    pub fn send(&self, command: WorkerCommand) -> bool {
        self.commands.send(command).is_ok()
    }

    /// Asks the worker to log out and end, without waiting (quitting must not hang on a dead
    /// server; the thread ends on its own within its I/O timeouts).
    pub fn request_shutdown(&self) {
        let _ = self.commands.send(WorkerCommand::Shutdown);
    }

    /// Asks the worker to log out and waits for it (bounded by its I/O timeouts).
    pub fn shutdown(mut self) {
        let _ = self.commands.send(WorkerCommand::Shutdown);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

struct Worker {
    account: String,
    imap: Imap,
    headers: HeaderCache,
    bodies: BodyCache,
    emit: Box<dyn FnMut(WorkerEvent) + Send>,
    commands: Receiver<WorkerCommand>,
    self_tx: Sender<WorkerCommand>,
    secret: Option<Secret>,
    /// Actions waiting for a connection.
    pending: VecDeque<WorkerCommand>,
    /// Where `done` also moves a message (`archive_folder`).
    archive: Option<String>,
    /// The whole account, for notes (its address, `notes_folder`).
    config: Account,
    /// Who writes the notes this worker adds.
    agent: Option<Agent>,
    /// When the mirror's changes are due in the header cache (see `saving`).
    pending_save: saving::Pending,
    /// Set while the cache is written on the way out.
    flushing: Flushing,
    /// What the last sync on the current connection left selected, while nothing has
    /// selected another mailbox there since: the next change is then read without SELECT
    /// (see `imap::sync`). Cleared by a new connection, a refresh asked for, a triage action
    /// and notes (which may select other folders).
    selected: Option<MailboxStatus>,
    /// The first batch of a sync that fetches new mail: the rows the front end shows.
    first_batch: FirstBatch,
    /// The snooze records' wake times known and reported (see `snoozes`).
    snoozes: snoozes::Known,
    /// The policy folder as last looked at (see `policy`).
    policy: policy::Known,
}

/// Why the online loop ended.
enum Exit {
    Shutdown,
    Disconnected(String),
}

impl Worker {
    fn server(&self) -> Server {
        Server {
            host: self.imap.host.clone(),
            port: self.imap.port(),
        }
    }

    fn run(&mut self) {
        let key = MailboxState::key_for(
            &self.account,
            &self.server(),
            &self.imap.login,
            &self.imap.mailbox,
        );
        let mut state = MailboxState::new(key, &self.imap.mailbox).first_batch(self.first_batch);
        {
            let emit = &mut self.emit;
            state.load_cache(&self.headers, &mut |e| emit(WorkerEvent::Sync(e)));
        }
        let mut backoff = BACKOFF_START;
        loop {
            (self.emit)(WorkerEvent::State(ConnState::Connecting));
            let (error, unreachable) = match self.connect() {
                Ok(conn) => {
                    let started = Instant::now();
                    // A panic below (the imap crate unwraps on some malformed answers) ends
                    // this connection like a network error: the screen says offline and the
                    // worker retries, rather than a dead thread behind an "online" header.
                    let exit = crate::unwind::catch_quietly(|| self.online(conn, &mut state))
                        .unwrap_or_else(|panic| {
                            Exit::Disconnected(format!("internal error: {panic}"))
                        });
                    match exit {
                        Exit::Shutdown => {
                            self.fail_pending("mailroom quit before the server could be reached");
                            return;
                        }
                        Exit::Disconnected(error) => {
                            if started.elapsed() >= STABLE_SESSION {
                                // A connection that worked for a while: retry at once.
                                backoff = BACKOFF_START;
                                (self.emit)(WorkerEvent::State(ConnState::Offline {
                                    error,
                                    retry_in: Duration::ZERO,
                                }));
                                continue;
                            }
                            // Failing right after login (e.g. the mailbox is gone): back off.
                            (error, false)
                        }
                    }
                }
                Err(down) => (down.error, down.unreachable),
            };
            (self.emit)(WorkerEvent::State(ConnState::Offline {
                error,
                retry_in: backoff,
            }));
            match self.wait_offline(backoff, &state, unreachable) {
                Wake::Shutdown => {
                    self.save_before_leaving(&mut state);
                    self.fail_pending("mailroom quit before the server could be reached");
                    return;
                }
                // The server answers again: reconnect now, and a later failure starts afresh.
                Wake::Reachable => backoff = BACKOFF_START,
                Wake::Retry => backoff = (backoff * 2).min(BACKOFF_MAX),
            }
        }
    }

    /// Reports every queued action as failed: nothing is dropped without a word.
    fn fail_pending(&mut self, why: &str) {
        while let Some(cmd) = self.pending.pop_front() {
            match cmd {
                WorkerCommand::Store { id, uid, .. } | WorkerCommand::Undo { id, uid, .. } => {
                    (self.emit)(WorkerEvent::ActionDone {
                        id,
                        uid,
                        result: Err(why.to_string()),
                    })
                }
                WorkerCommand::FetchBody { uid } => (self.emit)(WorkerEvent::Body {
                    uid,
                    result: Err(why.to_string()),
                }),
                WorkerCommand::Search { id, .. } => (self.emit)(WorkerEvent::SearchDone {
                    id,
                    result: Err(why.to_string()),
                }),
                WorkerCommand::Triage { id, uid, .. } => (self.emit)(WorkerEvent::TriageDone {
                    id,
                    uid,
                    result: Err(ActError::Server(why.to_string())),
                }),
                WorkerCommand::AddNote { id, uid, .. } => (self.emit)(WorkerEvent::NoteAdded {
                    id,
                    uid,
                    result: Err(format!("the note was not added: {why}")),
                }),
                WorkerCommand::Notes { message_id, .. } => (self.emit)(WorkerEvent::Notes {
                    message_id,
                    result: Err(why.to_string()),
                }),
                WorkerCommand::Conversation { uid, .. } => (self.emit)(WorkerEvent::Conversation {
                    uid,
                    result: Err(why.to_string()),
                }),
                WorkerCommand::SentRecipients => {
                    (self.emit)(WorkerEvent::SentRecipients(Err(why.to_string())))
                }
                _ => {}
            }
        }
    }

    /// A body from the body cache, valid only under the UIDVALIDITY the mirror holds.
    fn cached_body(&mut self, state: &MailboxState, uid: u32) -> Option<Vec<u8>> {
        let validity = state.uid_validity();
        (validity != 0)
            .then(|| self.body_lookup(&state.key, validity, uid))
            .flatten()
    }

    /// A body from the body cache; an unusable cache is a miss, said once as a warning.
    fn body_lookup(&mut self, key: &CacheKey, validity: u32, uid: u32) -> Option<Vec<u8>> {
        let found = self.bodies.lookup(key, validity, uid);
        found.unwrap_or_else(|e| {
            self.body_cache_trouble(&e);
            None
        })
    }

    fn body_cache_trouble(&mut self, e: &crate::store::CacheError) {
        if let Some(w) = self.bodies.unusable(e) {
            (self.emit)(WorkerEvent::Sync(SyncEvent::Warning(w)));
        }
    }

    /// Brings the mirror up to date; the changes go to the caller as they are found, and to
    /// the header cache later (see `saving`). While a big fetch streams in, requests that
    /// arrive are served between its batches (see `during`); when one of them changed the
    /// mailbox, a second (delta) sync follows to show it.
    fn sync_now(&mut self, conn: &mut ImapConn, state: &mut MailboxState) -> Result<(), String> {
        let server = self.server();
        let secret = self.secret.clone();
        let (account, imap) = (self.account.clone(), self.imap.clone());
        let target = Target {
            account: &account,
            config: &imap,
        };
        let mut more = || {
            secret
                .as_ref()
                .and_then(|s| open_session_with(&target, s).ok())
        };
        let key = state.key.clone();
        let mut changed = false;
        if let Some(last) = self.selected.take() {
            state.still_selected(last);
        }
        let result = {
            // The sink and the requests served between batches both speak through this
            // worker, one at a time (never one inside the other).
            let me = std::cell::RefCell::new(&mut *self);
            let mut between = |c: &mut ImapConn, validity: u32| {
                me.borrow_mut()
                    .serve_during_sync(c, &key, validity, &mut changed)
            };
            let mut sink = |e: SyncEvent| {
                let mut w = me.borrow_mut();
                // A snoozed message changed (a teammate snoozed it again, or woke it): its
                // record may be new, so the next look reads the records again.
                if let SyncEvent::Changed(updates) = &e
                    && updates.iter().any(|u| {
                        u.keywords
                            .iter()
                            .any(|k| crate::mail::snooze::is_snooze_keyword(k))
                    })
                {
                    w.snoozes.invalidate();
                }
                (w.emit)(WorkerEvent::Sync(e))
            };
            sync_serving(
                conn,
                &account,
                &server,
                state,
                &mut more,
                &mut between,
                &mut sink,
            )
        };
        let status = result.map_err(|e| e.to_string())?;
        self.save_later(state);
        if changed {
            // A request served between batches may have selected elsewhere (a triage action
            // with team folders): this sync opens the mailbox again.
            return self.sync_now(conn, state);
        }
        self.selected = Some(status);
        Ok(())
    }

    /// Answers a body request: the body cache first, else the server, by structure.
    fn fetch_body(
        &mut self,
        conn: &mut ImapConn,
        key: &CacheKey,
        validity: u32,
        uid: u32,
    ) -> Result<(), String> {
        if let Some(raw) = self.body_lookup(key, validity, uid) {
            (self.emit)(WorkerEvent::Body {
                uid,
                result: Ok(raw),
            });
            return Ok(());
        }
        // Read by structure, within `max_part_bytes` per part. A body request is
        // never queued again: one that failed (a server over the read budget, a
        // dropped connection) is an error in the reader; the connection is renewed
        // when it broke mid-answer, and the column comes back online without it.
        match crate::imap::parts::fetch_message(conn, uid, self.imap.max_part_bytes) {
            Ok(raw) => {
                if let Err(e) = self.bodies.put(key, validity, uid, &raw) {
                    self.body_cache_trouble(&e);
                }
                (self.emit)(WorkerEvent::Body {
                    uid,
                    result: Ok(raw),
                });
                Ok(())
            }
            Err(ActionError::Connection(e)) => {
                (self.emit)(WorkerEvent::Body {
                    uid,
                    result: Err(format!("cannot show this message: {e}")),
                });
                Err(format!("reading message UID {uid}: {e}"))
            }
            Err(e) => {
                (self.emit)(WorkerEvent::Body {
                    uid,
                    result: Err(format!("cannot show this message: {e}")),
                });
                Ok(())
            }
        }
    }

    /// Runs a store; `Ok(true)` when it went through (a sync is due to show it).
    fn store(
        &mut self,
        conn: &mut ImapConn,
        id: u64,
        uid: u32,
        change: FlagChange,
        unchanged_since: Option<u64>,
    ) -> Result<bool, String> {
        match actions::store(conn, uid, &change, unchanged_since) {
            Ok(outcome) => {
                (self.emit)(WorkerEvent::ActionDone {
                    id,
                    uid,
                    result: Ok(outcome),
                });
                Ok(true)
            }
            Err(ActionError::Connection(e)) => {
                self.pending.push_front(WorkerCommand::Store {
                    id,
                    uid,
                    change,
                    unchanged_since,
                });
                Err(e)
            }
            Err(e) => {
                (self.emit)(WorkerEvent::ActionDone {
                    id,
                    uid,
                    result: Err(e.to_string()),
                });
                Ok(false)
            }
        }
    }

    /// Runs an undo's guarded store (`triage::revert`); `Ok(true)` when it went through.
    fn undo(
        &mut self,
        conn: &mut ImapConn,
        id: u64,
        uid: u32,
        change: FlagChange,
        guard: Box<crate::triage::revert::Guard>,
    ) -> Result<bool, String> {
        use crate::triage::revert::{RevertError, move_back, store_guarded};
        let result = match &guard.moved {
            Some(moved) => {
                // Other folders are selected on the way: the next sync opens the mailbox.
                self.selected = None;
                let mailbox = self.imap.mailbox.clone();
                move_back(conn, &mailbox, moved, &guard)
                    .map(|_| StoreOutcome::Stored { modseq: None })
            }
            None => store_guarded(conn, uid, &change, &guard).and_then(|stored| {
                let Some(until) = guard.drop_record else {
                    return Ok(stored);
                };
                // The notes folder is selected on the way: the next sync opens the mailbox.
                self.selected = None;
                self.snoozes.invalidate();
                let mailbox = self.imap.mailbox.clone();
                crate::triage::revert::drop_record(conn, &self.config, &mailbox, uid, until)
                    .map(|()| stored)
            }),
        };
        match result {
            Ok(outcome) => {
                (self.emit)(WorkerEvent::ActionDone {
                    id,
                    uid,
                    result: Ok(outcome),
                });
                Ok(true)
            }
            Err(RevertError::Action(ActionError::Connection(e))) => {
                self.pending.push_front(WorkerCommand::Undo {
                    id,
                    uid,
                    change,
                    guard,
                });
                Err(e)
            }
            Err(e) => {
                (self.emit)(WorkerEvent::ActionDone {
                    id,
                    uid,
                    result: Err(e.to_string()),
                });
                // The refusal's reason is the message as it is now: show it.
                Ok(true)
            }
        }
    }

    fn online(&mut self, mut conn: ImapConn, state: &mut MailboxState) -> Exit {
        self.selected = None;
        // The watcher is in place before the sync: mail that lands between the two is then
        // announced by the watcher, not missed until the next safety resync.
        let watcher = match self.secret.clone() {
            Some(secret) => match IdleWatcher::start(
                &self.account,
                &self.imap,
                &secret,
                &self.imap.mailbox,
                self.self_tx.clone(),
                WorkerCommand::Idle,
            ) {
                Ok(w) => Some(w),
                Err(IdleStartError::Unsupported) => None,
                // A second connection failing right after the first worked: the server is
                // probably going away; reconnect rather than sit unwatched until the next poll.
                Err(IdleStartError::Failed(e)) => return Exit::Disconnected(format!("IDLE: {e}")),
            },
            None => None,
        };
        self.snoozes.invalidate();
        if let Err(e) = self
            .sync_now(&mut conn, state)
            .and_then(|()| self.look_at_snoozes(&mut conn, state))
            .and_then(|()| self.look_at_policy(&mut conn, state))
        {
            if let Some(w) = watcher {
                w.stop();
            }
            return Exit::Disconnected(e);
        }
        (self.emit)(WorkerEvent::State(ConnState::Online {
            idle: watcher.is_some(),
        }));
        let exit = self.serve(&mut conn, state, watcher.as_ref());
        if let Some(w) = watcher {
            w.stop();
        }
        // What is not yet in the cache goes there before anything else that may take long.
        self.save_before_leaving(state);
        if matches!(exit, Exit::Shutdown) {
            let _ = conn.session.logout();
        }
        exit
    }

    /// Serves commands until the connection is gone. The session is live only while both its
    /// connections are: the IDLE watcher checks its own (see `idle::QUIET_CHECK`), and this
    /// connection, when nothing was heard on it for as long, must answer a NOOP within
    /// `idle::ANSWER_DEADLINE` — so a path that died without a reset is found within about a
    /// minute and a quarter, and the column never goes on saying "online".
    fn serve(
        &mut self,
        conn: &mut ImapConn,
        state: &mut MailboxState,
        watcher: Option<&IdleWatcher>,
    ) -> Exit {
        let period = if watcher.is_some() {
            RESYNC_WITH_IDLE
        } else {
            POLL_WITHOUT_IDLE
        };
        // Replay what waited for the connection, in order.
        while let Some(cmd) = self.pending.pop_front() {
            if let Err(e) = self.handle(conn, state, cmd) {
                return Exit::Disconnected(e);
            }
        }
        let mut next_sync = Instant::now() + period;
        let mut last_heard = Instant::now();
        loop {
            if let Some(w) = watcher
                && !w.alive()
            {
                return self.watcher_lost(conn, state);
            }
            self.save_if_due(state);
            let now = Instant::now();
            let mut wake = next_sync.min(last_heard + QUIET_CHECK);
            if let Some(save) = self.pending_save.due() {
                wake = wake.min(save);
            }
            let cmd = match self
                .commands
                .recv_timeout(wake.saturating_duration_since(now))
            {
                Ok(WorkerCommand::Shutdown) | Err(RecvTimeoutError::Disconnected) => {
                    return Exit::Shutdown;
                }
                Ok(cmd) => cmd,
                Err(RecvTimeoutError::Timeout) if Instant::now() >= next_sync => {
                    WorkerCommand::Refresh
                }
                // The cache's turn, at the top of the loop.
                Err(RecvTimeoutError::Timeout) if self.pending_save.is_due(Instant::now()) => {
                    continue;
                }
                Err(RecvTimeoutError::Timeout) => {
                    if let Err(e) = still_there(conn) {
                        return Exit::Disconnected(e);
                    }
                    last_heard = Instant::now();
                    continue;
                }
            };
            if matches!(
                cmd,
                WorkerCommand::Refresh | WorkerCommand::Idle(IdleSignal::Changed)
            ) {
                next_sync = Instant::now() + period;
            }
            // A lost watcher is seen through `alive()` at the top of the loop; its message
            // only wakes the loop.
            if let WorkerCommand::Idle(IdleSignal::Lost(_)) = cmd {
                continue;
            }
            if let Err(e) = self.handle(conn, state, cmd) {
                return Exit::Disconnected(e);
            }
            last_heard = Instant::now();
        }
    }

    /// The IDLE watcher is gone: the account is not live. Say so at once, pick up what this
    /// connection can still see (when it answers in time), and reconnect both.
    fn watcher_lost(&mut self, conn: &mut ImapConn, state: &mut MailboxState) -> Exit {
        (self.emit)(WorkerEvent::State(ConnState::Connecting));
        if let Err(e) = still_there(conn) {
            return Exit::Disconnected(format!("IDLE connection lost, and {e}"));
        }
        if let Err(e) = self.sync_now(conn, state) {
            return Exit::Disconnected(e);
        }
        Exit::Disconnected("IDLE connection lost".into())
    }

    /// Runs one command; `Err` means the connection is gone (the command is requeued if it
    /// was an action).
    fn handle(
        &mut self,
        conn: &mut ImapConn,
        state: &mut MailboxState,
        cmd: WorkerCommand,
    ) -> Result<(), String> {
        match cmd {
            WorkerCommand::Refresh | WorkerCommand::Idle(_) => {
                // A refresh (asked for, or the safety resync) opens the mailbox afresh; a
                // change signal reads only what changed.
                let mut refresh = matches!(cmd, WorkerCommand::Refresh);
                // Coalesce a burst of change signals into one sync.
                while let Ok(next) = self.commands.try_recv() {
                    match next {
                        WorkerCommand::Refresh => refresh = true,
                        // A lost watcher is seen through its `alive()`, not through this
                        // message: taking it for one more refresh once left a dead column
                        // "online".
                        WorkerCommand::Idle(_) => {}
                        other => self.pending.push_back(other),
                    }
                }
                if refresh {
                    self.selected = None;
                    self.snoozes.invalidate();
                }
                self.sync_now(conn, state)?;
                self.look_at_snoozes(conn, state)?;
                self.look_at_policy(conn, state)?;
                while let Some(cmd) = self.pending.pop_front() {
                    if let WorkerCommand::Shutdown = cmd {
                        let _ = self.self_tx.send(WorkerCommand::Shutdown);
                        break;
                    }
                    self.handle(conn, state, cmd)?;
                }
                Ok(())
            }
            WorkerCommand::FetchBody { uid } => {
                let key = state.key.clone();
                self.fetch_body(conn, &key, state.uid_validity(), uid)
            }
            WorkerCommand::Store {
                id,
                uid,
                change,
                unchanged_since,
            } => {
                if self.store(conn, id, uid, change, unchanged_since)? {
                    // Show the new state (and a teammate's concurrent change) at once.
                    self.sync_now(conn, state)?;
                    self.look_at_snoozes(conn, state)?;
                }
                Ok(())
            }
            WorkerCommand::Undo {
                id,
                uid,
                change,
                guard,
            } => {
                if self.undo(conn, id, uid, change, guard)? {
                    self.sync_now(conn, state)?;
                    self.look_at_snoozes(conn, state)?;
                }
                Ok(())
            }
            WorkerCommand::Search { id, query, offset } => self.search(conn, id, query, offset),
            WorkerCommand::Triage {
                id,
                uid,
                action,
                agent,
                message_id,
            } => {
                self.selected = None;
                self.triage(conn, state, id, uid, action, agent, message_id)
            }
            WorkerCommand::AddNote { id, uid, text } => {
                self.selected = None;
                self.add_note(conn, state, id, uid, text)
            }
            WorkerCommand::Notes { uid, message_id } => {
                self.selected = None;
                self.notes(conn, state, uid, message_id)
            }
            WorkerCommand::Conversation { uid, ids } => {
                self.selected = None;
                self.conversation(conn, state, uid, ids)
            }
            WorkerCommand::SentRecipients => {
                self.selected = None;
                self.sent_recipients(conn, state)
            }
            WorkerCommand::Shutdown => {
                let _ = self.self_tx.send(WorkerCommand::Shutdown);
                Ok(())
            }
        }
    }

    /// Applies a triage action on this connection: MYRIGHTS and SELECT again (the rights
    /// checked are the server's of this moment), then the atomic read-decide-store of
    /// `triage::act`, then a sync so the column shows the result and any teammate's change.
    #[allow(clippy::too_many_arguments)]
    fn triage(
        &mut self,
        conn: &mut ImapConn,
        state: &mut MailboxState,
        id: u64,
        uid: u32,
        action: TriageAction,
        agent: String,
        message_id: Option<String>,
    ) -> Result<(), String> {
        if matches!(action, TriageAction::Snooze(_)) {
            // A new record: its wake time is read with the keyword the sync brings.
            self.snoozes.invalidate();
        }
        // The Message-ID (the front end's, else the mirror's row): the folder mapping names the
        // winner with it when the message left the mailbox before this agent's claim.
        let message_id = message_id.or_else(|| {
            state
                .rows()
                .iter()
                .find(|s| s.uid == uid)
                .and_then(|s| s.message_id())
                .map(str::to_string)
        });
        self.apply_triage(conn, id, uid, action, agent, message_id)?;
        self.sync_now(conn, state)?;
        self.look_at_snoozes(conn, state)
    }

    /// [`triage`](Self::triage) without the sync that follows.
    fn apply_triage(
        &mut self,
        conn: &mut ImapConn,
        id: u64,
        uid: u32,
        action: TriageAction,
        agent: String,
        message_id: Option<String>,
    ) -> Result<(), String> {
        let mailbox = self.imap.mailbox.clone();
        let archive = self.archive.clone();
        let config = self.config.clone();
        let result = act::select_with_rights(conn, &mailbox, self.imap.team_state)
            .map(|mut sel| {
                if let Some(m) = &message_id {
                    sel.know_message_id(uid, m);
                }
                sel
            })
            .and_then(|sel| {
                act::apply_recorded(conn, &sel, &mailbox, uid, &action, &agent, true, &config)
            })
            .and_then(|applied| act::archive_done(conn, applied, archive.as_deref()));
        if let Err(ActError::Server(e)) = &result
            && !conn_alive(conn)
        {
            // The connection went away mid-way: try again once reconnected.
            self.pending.push_front(WorkerCommand::Triage {
                id,
                uid,
                action,
                agent,
                message_id,
            });
            return Err(e.clone());
        }
        (self.emit)(WorkerEvent::TriageDone { id, uid, result });
        Ok(())
    }
}
