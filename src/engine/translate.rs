//! An IMAP account's thread ([`AccountWorker`]) as the engine runs it: its `WorkerEvent`s are
//! turned into engine [`Event`]s here, on the worker's thread (bodies become text there, never
//! on the caller's), and each SELECT's rights and team-state home are decided here, once, by
//! `triage::folders::decide` with the account's `team_state` setting.

use std::thread;

use super::event::{Event, EventSink, MAX_RAW_BYTES, NoteAdded, Opened, RawMessage};
use super::local::error;
use super::runtime::Sources;
use crate::backend::StoreOutcome;
use crate::config::{Account, Agent, TeamStateSetting};
use crate::engine::worker::{AccountWorker, WorkerEvent};
use crate::imap::sync::{FirstBatch, SyncEvent};
use crate::mail::attachments;
use crate::mail::parse::text_body;
use crate::store::bodies::{self, BodyCache};
use crate::store::cache::HeaderCache;
use crate::triage::folders::decide;

/// Starts the IMAP thread of one account; the raw messages it hands out are noted in `sources`.
/// A sync fetching new mail fetches `first_batch` of the newest first.
pub(super) fn spawn(
    account_idx: usize,
    account: &Account,
    agent: &Agent,
    first_batch: FirstBatch,
    events: EventSink,
    sources: Sources,
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
        setting: account
            .imap
            .as_ref()
            .map(|i| i.team_state)
            .unwrap_or_default(),
        events,
        sources,
    };
    AccountWorker::spawn_for(
        account,
        Some(agent.clone()),
        first_batch,
        headers,
        bodies,
        Box::new(move |ev| emitter.emit(ev)),
    )
}

/// Forwards an IMAP worker's events; owned by the worker thread.
struct Emitter {
    account_idx: usize,
    name: String,
    /// The account's `team_state` setting, for the decision at each SELECT.
    setting: TeamStateSetting,
    events: EventSink,
    sources: Sources,
}

impl Emitter {
    fn emit(&self, ev: WorkerEvent) {
        // A send fails only when the UI has quit; nobody is left to tell.
        for e in from_imap(self.account_idx, self.setting, ev, unix_now()) {
            self.sources.note(&e);
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

/// Translates an IMAP worker's report into engine events; `now` is the time of the report (Unix
/// seconds), `setting` the account's `team_state`. Bodies are turned into text here, on the
/// worker's thread. Every sync starts with [`Event::Access`]: SELECT's READ-ONLY and
/// PERMANENTFLAGS are what the server enforces (Dovecot derives them from the ACL), and a sync
/// follows every reconnect.
pub fn from_imap(
    account_idx: usize,
    setting: TeamStateSetting,
    ev: WorkerEvent,
    now: i64,
) -> Vec<Event> {
    let mut access = Vec::new();
    if let WorkerEvent::Sync(SyncEvent::Synced(status)) = &ev {
        let a = decide(status.read_only, &status.permanent_flags, None, setting);
        access.push(Event::Access {
            account_idx,
            rights: a.rights,
            team_state: a.team_state,
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
            SyncEvent::Progress { held, exists } => Event::Progress {
                account_idx,
                held,
                exists,
            },
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
        WorkerEvent::Snoozes(wakes) => Event::Snoozes { account_idx, wakes },
        WorkerEvent::Policy { account, learned } => Event::Policy { account, learned },
        WorkerEvent::Notes { message_id, result } => Event::Notes {
            account_idx,
            message_id,
            notes: result,
        },
        WorkerEvent::Conversation { uid, result } => Event::Conversation {
            account_idx,
            uid,
            replies: result,
        },
        WorkerEvent::SentRecipients(result) => Event::SentRecipients {
            account_idx,
            result,
        },
    });
    access.into_iter().chain(main).collect()
}

pub(super) fn store_result(result: Result<StoreOutcome, String>) -> Result<(), String> {
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

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
