//! One thread per account owns its connection; the UI thread never waits on it. Reports flow
//! back as `Event`s; requests go to the worker's own channel.
//!
//! IMAP accounts run the IMAP engine's [`AccountWorker`] (header cache first, delta sync,
//! IDLE, reconnect with backoff), whose `WorkerEvent`s are translated by [`from_imap`].
//! Local (Maildir) accounts run a [`Backend`] on a thread of their own.

use std::collections::HashSet;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use super::event::{Event, MAX_RAW_BYTES, NoteAdded, Opened, RawMessage};
use crate::backend::{Backend, FlagChange, StoreOutcome};
use crate::config::{Account, Agent};
use crate::engine::job;
use crate::engine::worker::{AccountWorker, WorkerCommand, WorkerEvent};
use crate::imap::sync::SyncEvent;
use crate::mail::parse::text_body;
use crate::mail::{attachments, note};
use crate::policy::rights::Rights;
use crate::store::bodies::{self, BodyCache};
use crate::store::cache::HeaderCache;
use crate::triage::act::ActError;
use crate::triage::folders::{Detected, detect};
use crate::triage::local::{apply_backend, archive_local};
use crate::triage::state::Action as TriageAction;

/// What the UI asks of a local worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Fetch a message and answer with `Event::Body`.
    Open { uid: u32 },
    /// Change flags; answer with `Event::StoreDone`.
    Store {
        id: u64,
        uid: u32,
        change: FlagChange,
    },
    /// Read the folder again: changed rows are sent again, removed ones as vanished.
    Refresh,
    /// A triage action by `agent`; answer with `Event::TriageDone` and the row as it is now.
    Triage {
        id: u64,
        uid: u32,
        action: TriageAction,
        agent: String,
    },
    /// Append a note by the configured agent on `uid`; answer with `Event::NoteAdded`.
    AddNote { id: u64, uid: u32, text: String },
    /// Read the notes on the message `message_id`; answer with `Event::Notes`.
    Notes { uid: u32, message_id: String },
}

enum Kind {
    /// A `Backend` thread; dropping the sender ends it once it is done with what it is doing.
    Local(Sender<Request>),
    Imap(AccountWorker),
}

/// A running worker.
pub struct Worker {
    pub account_idx: usize,
    kind: Kind,
}

impl Worker {
    /// Asks for a message's body (never marking it read); false when the worker has gone away.
    pub fn open(&self, uid: u32) -> bool {
        match &self.kind {
            Kind::Local(tx) => tx.send(Request::Open { uid }).is_ok(),
            Kind::Imap(w) => w.send(WorkerCommand::FetchBody { uid }),
        }
    }

    /// Asks for a flag change, answered by `Event::StoreDone`; false when the worker has gone.
    pub fn store(&self, id: u64, uid: u32, change: FlagChange) -> bool {
        match &self.kind {
            Kind::Local(tx) => tx.send(Request::Store { id, uid, change }).is_ok(),
            Kind::Imap(w) => w.send(WorkerCommand::Store {
                id,
                uid,
                change,
                unchanged_since: None,
            }),
        }
    }

    /// Asks for a triage action by `agent`, answered by `Event::TriageDone`; false when the
    /// worker has gone.
    pub fn triage(&self, id: u64, uid: u32, action: TriageAction, agent: String) -> bool {
        match &self.kind {
            Kind::Local(tx) => tx
                .send(Request::Triage {
                    id,
                    uid,
                    action,
                    agent,
                })
                .is_ok(),
            Kind::Imap(w) => w.send(WorkerCommand::Triage {
                id,
                uid,
                action,
                agent,
            }),
        }
    }

    /// Asks for a note by the configured agent on `uid`, answered by `Event::NoteAdded`;
    /// false when the worker has gone.
    pub fn add_note(&self, id: u64, uid: u32, text: String) -> bool {
        match &self.kind {
            Kind::Local(tx) => tx.send(Request::AddNote { id, uid, text }).is_ok(),
            Kind::Imap(w) => w.send(WorkerCommand::AddNote { id, uid, text }),
        }
    }

    /// Asks for the notes on message `uid` (Message-ID `message_id`), answered by
    /// `Event::Notes`; false when the worker has gone.
    pub fn notes(&self, uid: u32, message_id: String) -> bool {
        match &self.kind {
            Kind::Local(tx) => tx.send(Request::Notes { uid, message_id }).is_ok(),
            Kind::Imap(w) => w.send(WorkerCommand::Notes { uid, message_id }),
        }
    }

    /// Asks for a server-side search, answered by `Event::SearchDone`. False when the worker
    /// has gone, or is local: a local folder is searched in the rows the UI already has.
    pub fn search(&self, id: u64, query: String) -> bool {
        match &self.kind {
            Kind::Local(_) => false,
            Kind::Imap(w) => w.send(WorkerCommand::Search { id, query }),
        }
    }

    /// Asks for a sync now; false when the worker has gone.
    pub fn refresh(&self) -> bool {
        match &self.kind {
            Kind::Local(tx) => tx.send(Request::Refresh).is_ok(),
            Kind::Imap(w) => w.send(WorkerCommand::Refresh),
        }
    }
}

/// Asks every worker to stop and gives IMAP workers `grace` to log out. Never waits longer: a
/// dead server must not hang quitting (what is still running ends with the process).
pub fn shutdown_all(workers: Vec<Worker>, grace: Duration) {
    let until = Instant::now() + grace;
    let (done_tx, done_rx) = channel();
    let mut waiting = 0;
    for w in workers {
        // A local worker ends when its request channel closes, here.
        if let Kind::Imap(worker) = w.kind {
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
            return;
        }
        waiting -= 1;
    }
}

/// Starts the worker of one account; `agent` writes the notes it adds.
pub fn spawn(
    account_idx: usize,
    account: &Account,
    agent: &Agent,
    events: Sender<Event>,
) -> std::io::Result<Worker> {
    let kind = if account.imap.is_some() {
        Kind::Imap(spawn_imap(account_idx, account, agent, events)?)
    } else {
        Kind::Local(spawn_local(
            account_idx,
            account.clone(),
            agent.clone(),
            events,
        )?)
    };
    Ok(Worker { account_idx, kind })
}

fn spawn_imap(
    account_idx: usize,
    account: &Account,
    agent: &Agent,
    events: Sender<Event>,
) -> std::io::Result<AccountWorker> {
    let no_dir = || {
        std::io::Error::other(
            "no cache directory could be determined (set $HOME or $XDG_CACHE_HOME)",
        )
    };
    let headers = HeaderCache::new(HeaderCache::default_dir().ok_or_else(no_dir)?);
    let bodies = BodyCache::new(
        BodyCache::default_dir().ok_or_else(no_dir)?,
        bodies::DEFAULT_CAP_BYTES,
    );
    let emitter = Emitter {
        account_idx,
        name: account.name.clone(),
        events,
    };
    AccountWorker::spawn_for(
        account,
        Some(agent.clone()),
        headers,
        bodies,
        Box::new(move |ev| emitter.emit(ev)),
    )
}

/// Forwards an IMAP worker's events; owned by the worker thread.
struct Emitter {
    account_idx: usize,
    name: String,
    events: Sender<Event>,
}

impl Emitter {
    fn emit(&self, ev: WorkerEvent) {
        // A send fails only when the UI has quit; nobody is left to tell.
        for e in from_imap(self.account_idx, ev, super::unix_now()) {
            let _ = self.events.send(e);
        }
    }
}

impl Drop for Emitter {
    /// The worker thread ends by dropping its emitter; if it ends by a panic, the column says so
    /// rather than going quiet.
    fn drop(&mut self) {
        if thread::panicking() {
            let _ = self.events.send(error(
                self.account_idx,
                format!("{}: internal error: the IMAP worker stopped", self.name),
            ));
        }
    }
}

/// Translates an IMAP worker's report into UI events; `now` is the time of the report (Unix
/// seconds). Bodies are turned into text here, on the worker's thread, not the UI's.
pub fn from_imap(account_idx: usize, ev: WorkerEvent, now: i64) -> Vec<Event> {
    // Rights come with every sync: SELECT's READ-ONLY and PERMANENTFLAGS are what the server
    // enforces (Dovecot derives them from the ACL), and a sync follows every reconnect.
    let mut rights = Vec::new();
    if let WorkerEvent::Sync(SyncEvent::Synced(status)) = &ev {
        // RFC 3501 §7.1: without PERMANENTFLAGS every flag is permanent. Refusing keys on
        // such a server would be wrong; a change it drops anyway is undone by the sync that
        // follows.
        let unstated = !status.read_only && status.permanent_flags.is_empty();
        let r = if unstated {
            Rights::all()
        } else {
            Rights::from_select(status.read_only, &status.permanent_flags)
        };
        let detected = if unstated {
            Detected::Keywords
        } else {
            detect(status.read_only, &status.permanent_flags, &r)
        };
        rights.push(Event::Rights {
            account_idx,
            rights: r,
        });
        rights.push(Event::TeamMapping {
            account_idx,
            detected,
        });
    }
    let main = Some(match ev {
        WorkerEvent::State(state) => Event::Link {
            account_idx,
            state,
            at: now,
        },
        WorkerEvent::Sync(s) => match s {
            SyncEvent::Cached(rows) => Event::Cached { account_idx, rows },
            SyncEvent::Reset { reason } => Event::Reset {
                account_idx,
                reason,
            },
            SyncEvent::Added(rows) => Event::Rows { account_idx, rows },
            SyncEvent::Changed(updates) => Event::Flags {
                account_idx,
                updates,
            },
            SyncEvent::Vanished(uids) => Event::Vanished { account_idx, uids },
            SyncEvent::Synced(status) => Event::Synced {
                account_idx,
                exists: status.exists,
            },
            SyncEvent::Warning(message) => Event::Warning {
                account_idx,
                message,
            },
        },
        WorkerEvent::Body { uid, result } => Event::Body {
            account_idx,
            uid,
            body: result.and_then(opened),
        },
        WorkerEvent::ActionDone { id, uid, result } => Event::StoreDone {
            account_idx,
            id,
            uid,
            result: store_result(result),
        },
        WorkerEvent::SearchDone { id, result } => Event::SearchDone {
            account_idx,
            id,
            result,
        },
        WorkerEvent::TriageDone { id, uid, result } => Event::TriageDone {
            account_idx,
            id,
            uid,
            result,
        },
        WorkerEvent::NoteAdded { id, uid, result } => Event::NoteAdded {
            account_idx,
            id,
            uid,
            result: result.map(|(folder, note_uid)| NoteAdded { folder, note_uid }),
        },
        WorkerEvent::Notes { message_id, result } => Event::Notes {
            account_idx,
            message_id,
            notes: result,
        },
    });
    rights.into_iter().chain(main).collect()
}

fn store_result(result: Result<StoreOutcome, String>) -> Result<(), String> {
    match result {
        Ok(StoreOutcome::Stored { .. }) => Ok(()),
        Ok(StoreOutcome::Modified) => {
            Err("changed by someone else first; nothing stored".to_string())
        }
        Err(e) => Err(e),
    }
}

/// A raw message made ready for the reader: its text and attachment list, parsed here on the
/// worker's thread, and the bytes themselves (up to [`MAX_RAW_BYTES`]) so attachments can be
/// saved. A message that trips the parser costs that message, never the account's worker
/// (nothing else guards the IMAP worker's thread); a broken attachment list costs the list.
pub fn opened(raw: Vec<u8>) -> Result<Opened, String> {
    let mut text = std::panic::catch_unwind(|| text_body(&raw))
        .map_err(|_| "this message could not be parsed".to_string())?;
    // Text parts above max_part_bytes stayed on the server: say so rather than show nothing.
    for u in std::panic::catch_unwind(|| attachments::unfetched_text(&raw)).unwrap_or_default() {
        text.push_str("\n\n");
        text.push_str(&attachments::unfetched_text_note(&u));
    }
    let attachments = std::panic::catch_unwind(|| attachments::list(&raw)).unwrap_or_default();
    let raw = (raw.len() <= MAX_RAW_BYTES).then(|| RawMessage(raw.into()));
    Ok(Opened {
        text,
        attachments,
        raw,
    })
}

fn spawn_local(
    account_idx: usize,
    account: Account,
    agent: Agent,
    events: Sender<Event>,
) -> std::io::Result<Sender<Request>> {
    let (tx, rx) = channel();
    let (name, report) = (account.name.clone(), events.clone());
    job::spawn(
        &format!("worker-{account_idx}"),
        move || run_local(account_idx, &account, &agent, &events, &rx),
        // A bug in a backend must not take the screen down: report it in the column.
        move |result| {
            if let Err(e) = result {
                let _ = report.send(error(account_idx, format!("{name}: {e}")));
            }
        },
    )?;
    Ok(tx)
}

fn error(account_idx: usize, message: String) -> Event {
    Event::Error {
        account_idx: Some(account_idx),
        message,
    }
}

fn run_local(
    account_idx: usize,
    account: &Account,
    agent: &Agent,
    events: &Sender<Event>,
    rx: &Receiver<Request>,
) {
    // Send failures mean the UI has quit; there is nobody left to tell.
    let mut known = HashSet::new();
    let mut backend = match load(account_idx, account, events, &mut known) {
        Ok((mut b, mailbox)) => {
            // Without rights the UI still tries, and reports what the backend refuses.
            if let Ok(rights) = b.rights(&mailbox) {
                let _ = events.send(Event::Rights {
                    account_idx,
                    rights,
                });
            }
            Some((b, mailbox))
        }
        Err(message) => {
            let _ = events.send(error(account_idx, message));
            None
        }
    };
    while let Ok(req) = rx.recv() {
        match req {
            Request::Store { id, uid, change } => {
                let result = match &mut backend {
                    Some((b, mailbox)) => store_result(
                        b.store(mailbox, uid, &change, None)
                            .map_err(|e| e.to_string()),
                    ),
                    None => Err(format!("{}: not connected", account.name)),
                };
                let ev = Event::StoreDone {
                    account_idx,
                    id,
                    uid,
                    result,
                };
                if events.send(ev).is_err() {
                    return;
                }
            }
            Request::Triage {
                id,
                uid,
                action,
                agent,
            } => {
                let result = match &mut backend {
                    Some((b, mailbox)) => {
                        let r = apply_backend(b.as_mut(), mailbox, uid, &action, &agent).and_then(
                            |applied| {
                                archive_local(
                                    b.as_mut(),
                                    mailbox,
                                    applied,
                                    account.archive_folder.as_deref(),
                                )
                            },
                        );
                        // The row as it is now, so the column shows the change at once.
                        let mut row = Vec::new();
                        let _ = b.summaries(mailbox, uid, &mut |rows| {
                            row.extend(rows.into_iter().filter(|s| s.uid == uid));
                        });
                        if !row.is_empty() {
                            let _ = events.send(Event::Rows {
                                account_idx,
                                rows: row,
                            });
                        } else if known.remove(&uid) {
                            // Archived: it left the folder.
                            let _ = events.send(Event::Vanished {
                                account_idx,
                                uids: vec![uid],
                            });
                        }
                        r
                    }
                    None => Err(ActError::Server(format!("{}: not connected", account.name))),
                };
                let ev = Event::TriageDone {
                    account_idx,
                    id,
                    uid,
                    result,
                };
                if events.send(ev).is_err() {
                    return;
                }
            }
            Request::Refresh => {
                let Some((b, mailbox)) = &mut backend else {
                    continue;
                };
                if let Err(message) = reload(account_idx, b.as_mut(), mailbox, events, &mut known) {
                    let _ = events.send(Event::Warning {
                        account_idx,
                        message,
                    });
                }
            }
            Request::AddNote { id, uid, text } => {
                // The Maildir itself, as `mailroom note` writes it (the folder is created on
                // first use); nothing is transmitted.
                let result =
                    crate::engine::notes::add_by(agent, account, uid, &text, SystemTime::now())
                        .map(|a| NoteAdded {
                            folder: a.folder,
                            note_uid: a.uid,
                        })
                        .map_err(|e| e.to_string());
                let ev = Event::NoteAdded {
                    account_idx,
                    id,
                    uid,
                    result,
                };
                if events.send(ev).is_err() {
                    return;
                }
            }
            Request::Notes { uid: _, message_id } => {
                let notes = match &mut backend {
                    Some((b, _)) => {
                        let folder = note::folder_for(account, None);
                        crate::backend::notes::notes_for(b.as_mut(), &folder, &message_id)
                            .map_err(|e| e.to_string())
                    }
                    None => Err(format!("{}: not connected", account.name)),
                };
                let ev = Event::Notes {
                    account_idx,
                    message_id,
                    notes,
                };
                if events.send(ev).is_err() {
                    return;
                }
            }
            Request::Open { uid } => {
                let body = match &mut backend {
                    Some((b, mailbox)) => b
                        .fetch(mailbox, uid)
                        .map_err(|e| e.to_string())
                        .and_then(opened),
                    None => Err(format!("{}: not connected", account.name)),
                };
                let ev = Event::Body {
                    account_idx,
                    uid,
                    body,
                };
                if events.send(ev).is_err() {
                    return;
                }
            }
        }
    }
}

/// Opens the account and streams its message list to the UI; `known` collects the UIDs sent.
fn load(
    account_idx: usize,
    account: &Account,
    events: &Sender<Event>,
    known: &mut HashSet<u32>,
) -> Result<(Box<dyn Backend>, String), String> {
    let (mut backend, mailbox) = crate::engine::open_backend(account).map_err(|e| e.to_string())?;
    let status = backend.status(&mailbox).map_err(|e| e.to_string())?;
    let _ = events.send(Event::Status {
        account_idx,
        exists: status.exists,
    });
    backend
        .summaries(&mailbox, 1, &mut |rows| {
            known.extend(rows.iter().map(|s| s.uid));
            let _ = events.send(Event::Rows { account_idx, rows });
        })
        .map_err(|e| e.to_string())?;
    let _ = events.send(Event::Loaded { account_idx });
    Ok((backend, mailbox))
}

/// Reads the folder again: every row is sent again (the UI replaces rows by UID, which
/// carries flag changes made by other programs), and the UIDs that are gone as vanished.
fn reload(
    account_idx: usize,
    backend: &mut dyn Backend,
    mailbox: &str,
    events: &Sender<Event>,
    known: &mut HashSet<u32>,
) -> Result<(), String> {
    backend.status(mailbox).map_err(|e| e.to_string())?;
    let mut now = HashSet::new();
    backend
        .summaries(mailbox, 1, &mut |rows| {
            now.extend(rows.iter().map(|s| s.uid));
            let _ = events.send(Event::Rows { account_idx, rows });
        })
        .map_err(|e| e.to_string())?;
    let gone: Vec<u32> = known.difference(&now).copied().collect();
    if !gone.is_empty() {
        let _ = events.send(Event::Vanished {
            account_idx,
            uids: gone,
        });
    }
    *known = now;
    Ok(())
}
