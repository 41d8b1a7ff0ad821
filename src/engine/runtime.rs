//! [`Engine`]: the running engine of a front end. `start` starts one thread per account (the
//! IMAP [`AccountWorker`], or the Maildir thread of [`super::local`]), the outbox thread and
//! the draft writer; `submit` routes each [`Request`] to its account's thread or to a job
//! ([`super::job`]); everything comes back as [`Event`]s on the channel given to `start`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use super::event::{Event, EventSink, Opened, RawMessage};
use super::job::{self, JobError};
use super::outbox::OutboxWorker;
use super::request::{Request, RequestId};
use super::worker::{AccountWorker, WorkerCommand};
use super::{compose, local, open, outbox_status, save, translate};
use crate::config::Config;
use crate::imap::sync::FirstBatch;
use crate::store::drafts::Draft;
use crate::triage::act::ActError;

/// The answer to a request whose account thread has stopped.
const GONE: &str = "the account's worker has stopped";
/// How long quitting waits, beyond its grace, for an account's thread that is writing its
/// header cache on the way out (local and bounded: cut off, the cache would lose the last
/// changes, though never be left corrupt).
const FLUSH_LIMIT: Duration = Duration::from_secs(15);

/// The engine beneath a front end. Dropping it without [`Engine::shutdown`] leaves the
/// threads to end on their own when their channels close.
pub struct Engine {
    config: Arc<Config>,
    events: EventSink,
    accounts: Vec<AccountThread>,
    /// Dropped at shutdown, not waited for (a delivery cut short resumes at next start).
    outbox: Option<OutboxWorker>,
    drafts: Option<DraftWriter>,
    sources: Sources,
    next_id: AtomicU64,
}

/// One account's thread.
struct AccountThread {
    account_idx: usize,
    kind: Kind,
}

enum Kind {
    /// A Maildir thread; dropping the sender ends it once it is done with what it is doing.
    Local(Sender<Request>),
    Imap(AccountWorker),
}

impl Engine {
    /// Starts the threads of the accounts `accounts` (indices into `config.accounts`), the
    /// outbox thread and the draft writer. A thread that cannot start is reported on `events`
    /// as an [`Event::Error`]; the others run anyway. `events`: any channel whose event type
    /// can hold an engine event (see [`EventSink`]).
    pub fn start(config: Arc<Config>, accounts: &[usize], events: impl Into<EventSink>) -> Engine {
        Engine::start_sized(config, accounts, events, FirstBatch::default())
    }

    /// [`Engine::start`] for a front end that shows `first_batch` rows of a column: an IMAP
    /// account reading new mail from its server fetches that many of the newest first, so the
    /// first answer is exactly the first screen.
    pub fn start_sized(
        config: Arc<Config>,
        accounts: &[usize],
        events: impl Into<EventSink>,
        first_batch: FirstBatch,
    ) -> Engine {
        let events: EventSink = events.into();
        let sources = Sources::default();
        let mut threads = Vec::new();
        for &idx in accounts {
            let Some(account) = config.accounts.get(idx) else {
                continue;
            };
            if account.imap.is_some() {
                // The rules hold before the server answers: the copy kept by the last read.
                let kept = super::policy::kept(account, super::policy::default_cache().as_ref());
                if kept.in_force.is_some() || kept.warning.is_some() {
                    let _ = events.send(Event::Policy {
                        account: account.name.clone(),
                        learned: kept,
                    });
                }
            }
            let kind = if account.imap.is_some() {
                translate::spawn(
                    idx,
                    account,
                    &config.agent,
                    first_batch,
                    events.clone(),
                    sources.clone(),
                )
                .map(Kind::Imap)
            } else {
                local::spawn(
                    idx,
                    account.clone(),
                    config.agent.clone(),
                    search_offset(&config),
                    events.clone(),
                )
                .map(Kind::Local)
            };
            match kind {
                Ok(kind) => threads.push(AccountThread {
                    account_idx: idx,
                    kind,
                }),
                // One account that cannot start must not keep the others from showing.
                Err(e) => {
                    let _ = events.send(Event::Error {
                        account_idx: Some(idx),
                        message: format!("{}: cannot start: {e}", account.name),
                    });
                }
            }
        }
        // Queued mail goes out while the front end runs (and what a crash left is resumed now).
        let outbox = match outbox_status::spawn(config.as_ref().clone(), events.clone()) {
            Ok(o) => Some(o),
            Err(e) => {
                let _ = events.send(Event::Error {
                    account_idx: None,
                    message: format!("outbox: cannot start: {e}"),
                });
                None
            }
        };
        // Without its thread, drafts are written on the caller's thread (see `submit`).
        let drafts = DraftWriter::spawn(events.clone(), write_draft).ok();
        Engine {
            config,
            events,
            accounts: threads,
            outbox,
            drafts,
            sources,
            next_id: AtomicU64::new(RequestId::FRESH),
        }
    }

    /// Hands a request to its account's thread, or to a job of its own. Never waits on the
    /// network; the answer comes as an [`Event`]. A request whose account thread has stopped is
    /// answered at once with "the account's worker has stopped". The id is the request's own
    /// `id` where it carries one, a fresh one otherwise (see [`RequestId`]).
    pub fn submit(&self, request: Request) -> RequestId {
        let id = match request.own_id() {
            Some(id) => RequestId(id),
            None => RequestId(self.next_id.fetch_add(1, Ordering::Relaxed)),
        };
        match request {
            Request::SaveDraft(draft) => self.save_draft(draft),
            Request::DeleteDraft(id) => self.delete_draft(id),
            Request::Send { .. } => self.send(request),
            Request::Preview { .. } | Request::Attach { .. } | Request::AddressBook { .. } => {
                self.compose_job(request)
            }
            Request::Notify(cmd) => super::notify::spawn(*cmd, self.events.clone()),
            Request::Save { raw, indices, dir } => {
                // Parts that were not downloaded are streamed from the message's server.
                let source = self
                    .sources
                    .find(&raw)
                    .and_then(|(idx, uid)| Some((self.config.accounts.get(idx)?.clone(), uid)));
                let events = self.events.clone();
                // Per number, the path written or why not; a failed job fails every number.
                let failed = |numbers: Vec<usize>, e: JobError| -> Vec<_> {
                    let why = e.to_string();
                    numbers.into_iter().map(|i| (i, Err(why.clone()))).collect()
                };
                let (numbers, asked) = (indices.clone(), indices.clone());
                let spawned = job::spawn(
                    "save",
                    move || save::save_attachments_from(&raw.0, &indices, &dir, source),
                    move |result| {
                        let results = result.unwrap_or_else(|e| failed(asked, e));
                        let _ = events.send(Event::Saved { results });
                    },
                );
                if let Err(e) = spawned {
                    let _ = self.events.send(Event::Saved {
                        results: failed(numbers, e),
                    });
                }
            }
            Request::Launch { raw, part } => {
                let events = self.events.clone();
                let command = self.config.ui.open_command.clone();
                let spawned = job::spawn(
                    "open",
                    move || {
                        let browser = std::env::var("BROWSER").ok();
                        let argv = open::opener(part, &command, browser.as_deref());
                        let dir = open::default_dir().ok_or_else(|| {
                            "no runtime or cache directory is known for the file".to_string()
                        })?;
                        open::open(&raw.0, part, &argv, &dir).map_err(|e| e.to_string())
                    },
                    move |result| {
                        let result = result.unwrap_or_else(|e| Err(e.to_string()));
                        let _ = events.send(Event::Launched { result });
                    },
                );
                if let Err(e) = spawned {
                    let _ = self.events.send(Event::Launched {
                        result: Err(e.to_string()),
                    });
                }
            }
            Request::Stats { id, since } => {
                // Reading every mailbox and Sent folder takes seconds: a thread of its own,
                // with connections of its own, so the accounts' syncs and IDLE go on.
                let events = self.events.clone();
                let config = self.config.clone();
                let spawned = job::spawn(
                    "stats",
                    move || {
                        crate::insight::collect::collect_and_compute(&config, &[], since, None)
                            .map(Box::new)
                            .map_err(|e| e.to_string())
                    },
                    move |result| {
                        let result = result.unwrap_or_else(|e| Err(e.to_string()));
                        let _ = events.send(Event::Stats { id, result });
                    },
                );
                if let Err(e) = spawned {
                    let _ = self.events.send(Event::Stats {
                        id,
                        result: Err(e.to_string()),
                    });
                }
            }
            account_request => self.to_account(account_request),
        }
        id
    }

    /// Routes a request that an account's thread answers; answers it here when that thread has
    /// stopped, so the caller never waits for a reply that cannot come.
    fn to_account(&self, request: Request) {
        let Some(idx) = account_of(&request) else {
            return;
        };
        let thread = self.accounts.iter().find(|t| t.account_idx == idx);
        let delivered = match (thread.map(|t| &t.kind), &request) {
            (None, _) => false,
            // A local folder is searched in the rows the front end already has, unless the
            // query reads the messages' text (`body:`).
            (Some(Kind::Local(_)), Request::Search { query, .. }) if !reads_bodies(query) => false,
            (Some(Kind::Local(tx)), _) => tx.send(request.clone()).is_ok(),
            (Some(Kind::Imap(w)), _) => match imap_command(&request, search_offset(&self.config)) {
                Some(c) => w.send(c),
                None => return,
            },
        };
        if delivered {
            return;
        }
        let answer = match request {
            Request::Open { account_idx, uid } => Event::Body {
                account_idx,
                uid,
                body: Err(GONE.into()),
            },
            Request::Store {
                account_idx,
                id,
                uid,
                ..
            } => Event::StoreDone {
                account_idx,
                id,
                uid,
                result: Err(GONE.into()),
            },
            Request::Triage {
                account_idx,
                id,
                uid,
                ..
            } => Event::TriageDone {
                account_idx,
                id,
                uid,
                result: Err(ActError::Server(GONE.into())),
            },
            Request::Search {
                account_idx, id, ..
            } => Event::SearchDone {
                account_idx,
                id,
                result: Err(GONE.into()),
            },
            Request::AddNote {
                account_idx,
                id,
                uid,
                ..
            } => Event::NoteAdded {
                account_idx,
                id,
                uid,
                result: Err(GONE.into()),
            },
            Request::Notes {
                account_idx,
                message_id,
                ..
            } => Event::Notes {
                account_idx,
                message_id,
                notes: Err(GONE.into()),
            },
            Request::Conversation {
                account_idx, uid, ..
            } => Event::Conversation {
                account_idx,
                uid,
                replies: Err(GONE.into()),
            },
            Request::SentRecipients { account_idx } => Event::SentRecipients {
                account_idx,
                result: Err(GONE.into()),
            },
            // A stopped thread has already said why in its column.
            _ => return,
        };
        let _ = self.events.send(answer);
    }

    /// Queues a built message and tries it once, on a job of its own. Drafts submitted before
    /// are on disk first: the job deletes the draft once the message is queued.
    fn send(&self, request: Request) {
        let Request::Send {
            account_idx,
            identity,
            outgoing,
            reply_uid,
            draft_id,
        } = request
        else {
            return;
        };
        let events = self.events.clone();
        let config = self.config.clone();
        let flushed = self.drafts.as_ref().map(DraftWriter::flush);
        let (id, reply_id) = (draft_id.clone(), draft_id.clone());
        let spawned = job::spawn(
            "send",
            move || {
                if let Some(done) = flushed {
                    // Ends with the writer too: either way nothing of ours is pending.
                    let _ = done.recv();
                }
                crate::engine::send::send(
                    &config,
                    account_idx,
                    &identity,
                    &outgoing,
                    reply_uid,
                    &id,
                )
            },
            move |result| {
                let _ = events.send(Event::SendDone {
                    draft_id: reply_id,
                    result: result.unwrap_or_else(|e| Err(e.to_string())),
                });
            },
        );
        if let Err(e) = spawned {
            let _ = self.events.send(Event::SendDone {
                draft_id,
                result: Err(e.to_string()),
            });
        }
    }

    /// Builds the compose pane's preview or checks a file it attaches, on a job of its own:
    /// both read files, which the UI thread never does.
    fn compose_job(&self, request: Request) {
        let events = self.events.clone();
        let asked = request.clone();
        let unstarted = request.clone();
        let spawned = job::spawn(
            "compose",
            move || compose::answer(request),
            move |result| {
                let event = result.unwrap_or_else(|e| compose::failed(&asked, &e.to_string()));
                if let Some(event) = event {
                    let _ = events.send(event);
                }
            },
        );
        if let Err(e) = spawned
            && let Some(event) = compose::failed(&unstarted, &e.to_string())
        {
            let _ = self.events.send(event);
        }
    }

    /// Writes a draft (atomically) off the caller's thread, in the order submitted.
    fn delete_draft(&self, id: String) {
        let id = match &self.drafts {
            Some(w) => match w.jobs.send(DraftJob::Remove(id)) {
                Ok(()) => return,
                Err(std::sync::mpsc::SendError(DraftJob::Remove(id))) => id,
                Err(_) => return,
            },
            None => id,
        };
        remove_draft(&id, &self.events);
    }

    fn save_draft(&self, draft: Box<Draft>) {
        let draft = match &self.drafts {
            Some(w) => match w.jobs.send(DraftJob::Save(draft)) {
                Ok(()) => return,
                Err(std::sync::mpsc::SendError(DraftJob::Save(d))) => d,
                Err(_) => return,
            },
            None => draft,
        };
        // No writer thread: on this thread, rather than lose it.
        write_draft(&draft, &self.events);
    }

    /// Stops the engine: waits for every draft submitted to be on disk, asks every account's
    /// thread to stop and gives IMAP threads `grace` to log out. Never waits longer for them
    /// (a dead server must not hang quitting: what is still running ends with the process),
    /// except for one writing its header cache, which is given up to [`FLUSH_LIMIT`] more.
    /// The outbox thread is not waited for (a delivery cut short resumes at next start).
    pub fn shutdown(self, grace: Duration) {
        let Engine {
            accounts,
            outbox,
            drafts,
            ..
        } = self;
        if let Some(w) = drafts {
            w.finish();
        }
        drop(outbox);
        let until = Instant::now() + grace;
        let (done_tx, done_rx) = channel();
        let mut waiting = 0;
        let mut flushing = Vec::new();
        for t in accounts {
            // A local thread ends when its request channel closes, here.
            if let Kind::Imap(worker) = t.kind {
                flushing.push(worker.flushing());
                let done = done_tx.clone();
                // `shutdown` sends Shutdown and joins: on a helper thread, so this one can stop
                // waiting. Should the thread not start, the worker is dropped with it, which
                // closes its command channel: that too makes it log out and end.
                let spawned = job::spawn(
                    "imap-shutdown",
                    move || worker.shutdown(),
                    move |_| {
                        let _ = done.send(());
                    },
                );
                waiting += usize::from(spawned.is_ok());
            }
        }
        drop(done_tx);
        while waiting > 0 {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() || done_rx.recv_timeout(left).is_err() {
                break;
            }
            waiting -= 1;
        }
        let limit = Instant::now() + FLUSH_LIMIT;
        while flushing.iter().any(|f| f.now()) && Instant::now() < limit {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// The account a request is for, if it is an account thread's work.
fn account_of(request: &Request) -> Option<usize> {
    match request {
        Request::Open { account_idx, .. }
        | Request::Store { account_idx, .. }
        | Request::Search { account_idx, .. }
        | Request::Triage { account_idx, .. }
        | Request::AddNote { account_idx, .. }
        | Request::Notes { account_idx, .. }
        | Request::Conversation { account_idx, .. }
        | Request::SentRecipients { account_idx }
        | Request::Refresh { account_idx } => Some(*account_idx),
        Request::Stats { .. }
        | Request::Save { .. }
        | Request::Launch { .. }
        | Request::Send { .. }
        | Request::SaveDraft(_)
        | Request::DeleteDraft(_)
        | Request::Preview { .. }
        | Request::Attach { .. }
        | Request::AddressBook { .. }
        | Request::Notify(_) => None,
    }
}

/// Whether a search query needs the messages' text (a local account's thread reads them).
fn reads_bodies(query: &str) -> bool {
    crate::triage::query::parse(query.trim()).is_ok_and(|q| q.needs_body())
}

/// The agent's time zone for search dates: `[insight] timezone_offset`, checked when the
/// configuration was loaded (UTC when unset).
fn search_offset(config: &Config) -> i32 {
    config
        .insight
        .timezone_offset
        .as_deref()
        .and_then(|t| crate::config::parse_offset(t).ok())
        .unwrap_or(0)
}

/// What an IMAP account's thread is asked for a request (`offset`: the agent's zone).
fn imap_command(request: &Request, offset: i32) -> Option<WorkerCommand> {
    Some(match request.clone() {
        Request::Open { uid, .. } => WorkerCommand::FetchBody { uid },
        Request::Store {
            id,
            uid,
            change,
            guard: Some(guard),
            ..
        } => WorkerCommand::Undo {
            id,
            uid,
            change,
            guard,
        },
        Request::Store {
            id, uid, change, ..
        } => WorkerCommand::Store {
            id,
            uid,
            change,
            unchanged_since: None,
        },
        Request::Search { id, query, .. } => WorkerCommand::Search { id, query, offset },
        Request::Triage {
            id,
            uid,
            action,
            agent,
            message_id,
            ..
        } => WorkerCommand::Triage {
            id,
            uid,
            action,
            agent,
            message_id,
        },
        Request::AddNote { id, uid, text, .. } => WorkerCommand::AddNote { id, uid, text },
        Request::Notes {
            uid, message_id, ..
        } => WorkerCommand::Notes { uid, message_id },
        Request::Conversation { uid, ids, .. } => WorkerCommand::Conversation { uid, ids },
        Request::SentRecipients { .. } => WorkerCommand::SentRecipients,
        Request::Refresh { .. } => WorkerCommand::Refresh,
        Request::Stats { .. }
        | Request::Save { .. }
        | Request::Launch { .. }
        | Request::Send { .. }
        | Request::SaveDraft(_)
        | Request::DeleteDraft(_)
        | Request::Preview { .. }
        | Request::Attach { .. }
        | Request::AddressBook { .. }
        | Request::Notify(_) => return None,
    })
}

/// Where the raw messages handed out came from (account, UID), while anyone holds them: so
/// saving a part that was not downloaded knows which server to stream it from.
#[derive(Clone, Default)]
pub(super) struct Sources(Arc<Mutex<Vec<Source>>>);

/// A raw message handed out (held weakly), and the account and UID it was read from.
type Source = (Weak<[u8]>, usize, u32);

impl Sources {
    /// Notes the source of a body being handed out.
    pub(super) fn note(&self, event: &Event) {
        let Event::Body {
            account_idx,
            uid,
            body:
                Ok(Opened {
                    raw: Some(RawMessage(raw)),
                    ..
                }),
        } = event
        else {
            return;
        };
        let mut seen = self.0.lock().unwrap_or_else(|e| e.into_inner());
        seen.retain(|(w, _, _)| w.strong_count() > 0);
        seen.push((Arc::downgrade(raw), *account_idx, *uid));
    }

    /// The account and UID `raw` was read from, if the engine handed it out.
    fn find(&self, raw: &RawMessage) -> Option<(usize, u32)> {
        let seen = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let this = Arc::downgrade(&raw.0);
        seen.iter()
            .find(|(w, _, _)| Weak::ptr_eq(w, &this))
            .map(|&(_, idx, uid)| (idx, uid))
    }
}

enum DraftJob {
    Save(Box<Draft>),
    Remove(String),
    /// Answered once every draft before it is on disk.
    Flush(Sender<()>),
}

/// The thread that writes drafts, one at a time in the order submitted.
struct DraftWriter {
    jobs: Sender<DraftJob>,
    /// Closed when the thread ends.
    ended: Receiver<()>,
}

impl DraftWriter {
    /// Starts the thread; `write` writes one draft (and reports a failure on `events`).
    fn spawn(
        events: EventSink,
        write: impl Fn(&Draft, &EventSink) + Send + 'static,
    ) -> Result<DraftWriter, JobError> {
        let (jobs, rx) = channel::<DraftJob>();
        let (ended_tx, ended) = channel();
        let report = events.clone();
        job::spawn(
            "drafts",
            move || {
                for job in rx {
                    match job {
                        DraftJob::Save(d) => write(&d, &events),
                        DraftJob::Remove(id) => remove_draft(&id, &events),
                        DraftJob::Flush(done) => {
                            let _ = done.send(());
                        }
                    }
                }
            },
            move |result| {
                if let Err(e) = result {
                    let _ = report.send(Event::Error {
                        account_idx: None,
                        message: format!("the draft could not be saved: {e}"),
                    });
                }
                drop(ended_tx);
            },
        )?;
        Ok(DraftWriter { jobs, ended })
    }

    /// A receiver answered (or closed) once every draft submitted so far is written.
    fn flush(&self) -> Receiver<()> {
        let (tx, rx) = channel();
        let _ = self.jobs.send(DraftJob::Flush(tx));
        rx
    }

    /// Waits until every draft submitted is written and the thread has ended.
    fn finish(self) {
        let DraftWriter { jobs, ended } = self;
        drop(jobs);
        let _ = ended.recv();
    }
}

fn write_draft(draft: &Draft, events: &EventSink) {
    if let Err(e) = crate::engine::drafts::save(draft) {
        let _ = events.send(Event::Error {
            account_idx: None,
            message: format!("the draft could not be saved: {e}"),
        });
    }
}

fn remove_draft(id: &str, events: &EventSink) {
    if let Err(e) = crate::engine::drafts::remove(id) {
        let _ = events.send(Event::Error {
            account_idx: None,
            message: format!("the draft could not be deleted: {e}"),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::FlagChange;

    /// An engine with the given account threads and nothing else running (no outbox, no
    /// draft writer: nothing touches the user's files).
    fn engine(accounts: Vec<AccountThread>) -> (Engine, Receiver<Event>) {
        let config: Config = toml::from_str(
            "[agent]\nid = \"alice\"\nname = \"Alice\"\nemail = \"alice@example.test\"\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let (tx, rx) = channel();
        let engine = Engine {
            config: Arc::new(config),
            events: tx.into(),
            accounts,
            outbox: None,
            drafts: None,
            sources: Sources::default(),
            next_id: AtomicU64::new(RequestId::FRESH),
        };
        (engine, rx)
    }

    fn gone<T>(r: &Result<T, String>) -> bool {
        matches!(r, Err(e) if e == GONE)
    }

    #[test]
    fn a_request_whose_account_thread_is_gone_is_answered_at_once() {
        let (engine, rx) = engine(Vec::new());
        let change = FlagChange::default();
        let store = Request::Store {
            account_idx: 2,
            id: 7,
            uid: 5,
            change,
            guard: None,
        };
        // The request's own id, where it carries one.
        assert_eq!(engine.submit(store), RequestId(7));
        assert!(matches!(
            rx.try_recv(),
            Ok(Event::StoreDone { account_idx: 2, id: 7, uid: 5, result }) if gone(&result)
        ));
        // A fresh one otherwise, never twice the same.
        let a = engine.submit(Request::Open {
            account_idx: 2,
            uid: 5,
        });
        assert!(matches!(
            rx.try_recv(),
            Ok(Event::Body { account_idx: 2, uid: 5, body }) if gone(&body)
        ));
        let b = engine.submit(Request::Notes {
            account_idx: 2,
            uid: 5,
            message_id: "m@x".into(),
        });
        assert!(matches!(
            rx.try_recv(),
            Ok(Event::Notes { account_idx: 2, message_id, notes }) if message_id == "m@x" && gone(&notes)
        ));
        assert!(a.0 >= RequestId::FRESH && b.0 > a.0, "{a:?} {b:?}");
        engine.submit(Request::Search {
            account_idx: 2,
            id: 8,
            query: "x".into(),
        });
        assert!(matches!(
            rx.try_recv(),
            Ok(Event::SearchDone { id: 8, result, .. }) if gone(&result)
        ));
        engine.submit(Request::AddNote {
            account_idx: 2,
            id: 9,
            uid: 5,
            text: "t".into(),
        });
        assert!(matches!(
            rx.try_recv(),
            Ok(Event::NoteAdded { id: 9, uid: 5, result, .. }) if gone(&result)
        ));
        engine.submit(Request::Triage {
            account_idx: 2,
            id: 10,
            uid: 5,
            action: crate::triage::state::Action::Claim,
            agent: "alice".into(),
            message_id: None,
        });
        assert!(matches!(
            rx.try_recv(),
            Ok(Event::TriageDone { id: 10, result: Err(ActError::Server(e)), .. }) if e == GONE
        ));
        // A stopped thread has said why already: a refresh gets no answer.
        engine.submit(Request::Refresh { account_idx: 2 });
        assert!(rx.try_recv().is_err());
    }

    #[test]
    fn a_local_account_gets_its_requests_but_is_not_searched_on_a_server() {
        let (local_tx, local_rx) = channel();
        let thread = AccountThread {
            account_idx: 0,
            kind: Kind::Local(local_tx),
        };
        let (engine, rx) = engine(vec![thread]);
        let open = Request::Open {
            account_idx: 0,
            uid: 3,
        };
        engine.submit(open.clone());
        assert_eq!(local_rx.try_recv().ok(), Some(open));
        assert!(rx.try_recv().is_err());
        engine.submit(Request::Search {
            account_idx: 0,
            id: 1,
            query: "x".into(),
        });
        assert!(local_rx.try_recv().is_err());
        assert!(matches!(
            rx.try_recv(),
            Ok(Event::SearchDone { account_idx: 0, id: 1, result }) if gone(&result)
        ));
        // Its thread ended: answered here.
        drop(local_rx);
        engine.submit(Request::Open {
            account_idx: 0,
            uid: 3,
        });
        assert!(matches!(rx.try_recv(), Ok(Event::Body { body, .. }) if gone(&body)));
    }

    #[test]
    fn a_local_search_that_reads_bodies_goes_to_the_account_thread() {
        let (local_tx, local_rx) = channel();
        let thread = AccountThread {
            account_idx: 0,
            kind: Kind::Local(local_tx),
        };
        let (engine, rx) = engine(vec![thread]);
        let search = Request::Search {
            account_idx: 0,
            id: 2,
            query: "from:carol body:refund".into(),
        };
        engine.submit(search.clone());
        assert_eq!(local_rx.try_recv().ok(), Some(search));
        assert!(rx.try_recv().is_err());
    }

    #[test]
    fn drafts_are_written_in_order_before_a_send_and_before_shutdown_ends() {
        let written = Arc::new(Mutex::new(Vec::new()));
        let record = written.clone();
        let (tx, _rx) = channel::<Event>();
        let writer = DraftWriter::spawn(tx.into(), move |d: &Draft, _: &EventSink| {
            // A slow disk: nothing may overtake it.
            std::thread::sleep(Duration::from_millis(30));
            record
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(d.id.clone());
        })
        .unwrap_or_else(|e| panic!("{e}"));
        let (mut engine, _events) = engine(Vec::new());
        engine.drafts = Some(writer);
        let draft = |id: &str| {
            Box::new(Draft {
                id: id.into(),
                ..Draft::default()
            })
        };
        let ids = |w: &Arc<Mutex<Vec<String>>>| w.lock().map(|v| v.clone()).unwrap_or_default();
        engine.submit(Request::SaveDraft(draft("a")));
        engine.submit(Request::SaveDraft(draft("b")));
        // Submitting returns at once; a send waits for what was submitted before it.
        assert!(ids(&written).len() < 2);
        let barrier = engine.drafts.as_ref().map(DraftWriter::flush);
        assert!(barrier.is_some_and(|b| b.recv().is_ok()));
        assert_eq!(ids(&written), ["a", "b"]);
        engine.submit(Request::SaveDraft(draft("c")));
        // Quitting leaves only once the last draft is on disk.
        engine.shutdown(Duration::ZERO);
        assert_eq!(ids(&written), ["a", "b", "c"]);
    }

    #[test]
    fn the_compose_panes_files_are_checked_and_read_by_the_engine_which_answers() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("missing.txt");
        let (engine, rx) = engine(Vec::new());
        engine.submit(Request::Attach {
            draft_id: "d1".into(),
            path: path.clone(),
        });
        let answer = rx.recv_timeout(Duration::from_secs(10));
        assert!(
            matches!(&answer, Ok(Event::Attached { draft_id, path: p, result: Err(_) })
                if draft_id == "d1" && *p == path),
            "{answer:?}"
        );
        let typed = crate::engine::compose::Typed {
            forwarded: Vec::new(),
            plan: crate::engine::reply::plan(
                &engine.config,
                &toml::from_str::<crate::config::Account>(
                    "name = \"a\"\naddress = \"a@example.test\"\nsend = \"as\"\n[maildir]\npath = \"/nonexistent\"\n",
                )
                .unwrap_or_else(|e| panic!("{e}")),
                crate::engine::reply::Kind::New,
                None,
                None,
            ),
            to: "b@example.test".into(),
            cc: String::new(),
            bcc: String::new(),
            subject: "s".into(),
            text: "t".into(),
            attachments: vec![path],
            now: std::time::UNIX_EPOCH,
        };
        let id = engine.submit(Request::Preview {
            id: 4,
            typed: Box::new(typed),
        });
        assert_eq!(id, RequestId(4));
        let answer = rx.recv_timeout(Duration::from_secs(10));
        assert!(
            matches!(
                &answer,
                Ok(Event::Previewed {
                    id: 4,
                    result: Err(crate::engine::compose::PreviewError::Attachment { .. })
                })
            ),
            "{answer:?}"
        );
    }

    #[test]
    fn a_saved_part_is_streamed_from_where_its_message_was_read() {
        let sources = Sources::default();
        let body = |raw: &RawMessage| Event::Body {
            account_idx: 3,
            uid: 42,
            body: Ok(Opened {
                raw: Some(raw.clone()),
                ..Opened::default()
            }),
        };
        let raw = RawMessage(Arc::from(&b"message"[..]));
        sources.note(&body(&raw));
        assert_eq!(sources.find(&raw), Some((3, 42)));
        // The same bytes read elsewhere are another message.
        let twin = RawMessage(Arc::from(&b"message"[..]));
        assert_eq!(sources.find(&twin), None);
        // Nothing is kept for a message nobody holds any more.
        sources.note(&body(&twin));
        drop(raw);
        sources.note(&Event::Loaded { account_idx: 0 });
        let again = RawMessage(Arc::from(&b"other"[..]));
        sources.note(&body(&again));
        assert_eq!(sources.0.lock().map(|s| s.len()).unwrap_or(0), 2);
        assert_eq!(sources.find(&twin), Some((3, 42)));
    }
}
