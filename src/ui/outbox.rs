//! The outbox while the column view runs: a thread of its own (never the UI's) delivers what
//! is due — at start, then every [`PERIOD`] — through `engine::pipeline::flush`, and reports
//! what is left for the status line. Temporary failures are retried by the pipeline's backoff
//! (an entry is due again once its `retry_at` has passed); refused messages stay failed until
//! `mailroom outbox --retry`; uncertain ones (sent whole, no reply recorded) are never sent
//! again from here, only counted and shown (`mailroom outbox --retry ID --force`). Damaged and
//! orphaned entries, and an outbox that cannot be read, are shown too, never hidden.
//!
//! Only one column view delivers at a time: the thread holds an exclusive lock on
//! `outbox.lock` beside the outbox while it delivers, so two mailroom windows of one user never
//! submit the same message at once; the other one only counts.
//!
//! Quitting never waits for it: the UI drops the handle (which ends the thread at its next
//! wake-up) and leaves. A delivery cut short by the process ending is resumed at the next
//! start; the outbox's `sending` state makes sure it is delivered once, and one cut short
//! between the end of its data and the server's reply is left `uncertain`.

use std::fs::{File, OpenOptions};
use std::path::Path;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::time::Duration;

use super::event::{Event, OutboxStatus};
use crate::config::Config;
use crate::engine::job;
use crate::engine::pipeline::{self, Context, Outcome, PipelineError};
use crate::store::audit::AuditLog;
use crate::store::outbox::{Listed, Outbox, State, Unreadable};

/// How often due entries are tried while mailroom runs.
pub const PERIOD: Duration = Duration::from_secs(30);

/// The running outbox thread. Dropping it asks the thread to stop; nothing waits for that.
pub struct OutboxWorker {
    _stop: Sender<()>,
}

/// Starts the outbox thread. An outbox that cannot be located is reported once, as an error
/// in the status line, and nothing else happens.
pub fn spawn(config: Config, events: Sender<Event>) -> std::io::Result<OutboxWorker> {
    let (stop_tx, stop_rx) = channel();
    job::spawn(
        "outbox",
        move || {
            let (Some(dir), Some(audit)) = (Outbox::default_dir(), AuditLog::default_path()) else {
                let _ = events.send(Event::Error {
                    account_idx: None,
                    message: "outbox: no data directory could be determined (set $HOME or \
                              $XDG_DATA_HOME); queued mail is not being sent"
                        .to_string(),
                });
                return;
            };
            let lock_path = dir.with_extension("lock");
            let (outbox, audit) = (Outbox::new(dir), AuditLog::new(audit));
            let ctx = Context {
                config: &config,
                outbox: &outbox,
                audit: &audit,
            };
            let mut lock: Option<File> = None;
            run(
                || {
                    if lock.is_none() {
                        lock = take_lock(&lock_path);
                    }
                    if lock.is_none() {
                        return OutboxStatus {
                            elsewhere: true,
                            ..summarize(&[], &outbox.scan())
                        };
                    }
                    // A bug in the pipeline must not take the screen down: say it instead.
                    job::catch("outbox", || round(&ctx)).unwrap_or_else(|e| OutboxStatus {
                        last_error: Some(e.to_string()),
                        ..OutboxStatus::default()
                    })
                },
                &stop_rx,
                &events,
                PERIOD,
            );
        },
        // Each round reports its own panics; the loop around them has nothing to report.
        |_| {},
    )?;
    Ok(OutboxWorker { _stop: stop_tx })
}

/// The delivery lock, when no other mailroom holds it. Held until the file is dropped (the
/// thread ends, or the process does).
fn take_lock(path: &Path) -> Option<File> {
    if let Some(parent) = path.parent() {
        crate::store::create_private_dir(parent).ok()?;
    }
    let mut opts = OpenOptions::new();
    opts.create(true).truncate(false).write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let file = opts.open(path).ok()?;
    file.try_lock().ok()?;
    Some(file)
}

/// The thread's loop: a round now, then one every `period`, each reported, until the UI has
/// gone (its handle dropped, or its event channel closed).
pub fn run(
    mut round: impl FnMut() -> OutboxStatus,
    stop: &Receiver<()>,
    events: &Sender<Event>,
    period: Duration,
) {
    let mut last = None;
    loop {
        let status = round();
        // An unchanged, empty outbox need not wake the screen every 30 seconds.
        if last.as_ref() != Some(&status) || status.delivered > 0 {
            if events.send(Event::Outbox(status.clone())).is_err() {
                return;
            }
            last = Some(status);
        }
        match stop.recv_timeout(period) {
            Err(RecvTimeoutError::Timeout) => {}
            Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// One delivery round: every due entry is tried (`flush(ctx, false, false)`: deferred ones
/// once their backoff has passed, failed ones not at all), then the outbox is counted.
pub fn round(ctx: &Context<'_>) -> OutboxStatus {
    let results = pipeline::flush(ctx, false, false);
    summarize(&results, &ctx.outbox.scan())
}

/// The status line's view of a round: counts by state, what was delivered, and the latest
/// error — this round's last, else the newest recorded in an entry still waiting.
pub fn summarize(
    results: &[(String, Result<Outcome, PipelineError>)],
    entries: &Result<Vec<Listed>, Unreadable>,
) -> OutboxStatus {
    let mut s = OutboxStatus::default();
    let mut round_error = None;
    for (_, r) in results {
        match r {
            Ok(Outcome::Sent { warning, .. }) => {
                s.delivered += 1;
                if let Some(w) = warning {
                    round_error = Some(format!("delivered, but {w}"));
                }
            }
            Ok(Outcome::Submitted { error, .. }) => {
                s.delivered += 1;
                round_error = Some(format!("delivered, but filing failed: {error}"));
            }
            Ok(Outcome::Deferred { error, .. }) => {
                round_error = Some(format!("deferred: {error}"));
            }
            Ok(Outcome::Failed { error, .. }) => round_error = Some(format!("refused: {error}")),
            Ok(Outcome::Uncertain { message_id, .. }) => {
                round_error = Some(uncertain_text(message_id));
            }
            // Another mailroom is delivering it; its result shows at the next round.
            Ok(Outcome::Busy { .. }) => {}
            Err(e) => round_error = Some(e.to_string()),
        }
    }
    // Entries come oldest first: the last error seen is the newest.
    let mut entry_error = None;
    let entries = match entries {
        Ok(entries) => entries.as_slice(),
        Err(e) => {
            // Never an empty outbox: a message may be waiting in it.
            s.damaged = 1;
            entry_error = Some(e.to_string());
            &[]
        }
    };
    for (id, e) in entries {
        match e {
            Ok(e) => match &e.state {
                State::Queued | State::Sending | State::Submitted => s.queued += 1,
                State::Uncertain { .. } => {
                    s.uncertain += 1;
                    entry_error = Some(uncertain_text(&e.message_id));
                }
                State::Deferred { error, .. } => {
                    s.deferred += 1;
                    entry_error = Some(format!("deferred: {error}"));
                }
                State::Failed { error } => {
                    s.failed += 1;
                    entry_error = Some(format!("refused: {error}"));
                }
            },
            // A damaged or orphaned entry is never sent: counted and shown, so it is looked at.
            Err(err) => {
                s.damaged += 1;
                entry_error = Some(format!("entry {id}: {err}"));
            }
        }
    }
    s.last_error = round_error.or(entry_error);
    s
}

fn uncertain_text(message_id: &str) -> String {
    format!(
        "uncertain: <{message_id}> may have been delivered (no reply after its data); not sent \
         again: see `mailroom outbox`"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::CacheError;
    use crate::store::outbox::{Entry, EntryError};
    use std::path::PathBuf;
    use std::thread;
    use std::time::Instant;

    fn entry(state: State) -> Entry {
        Entry {
            account: "support".into(),
            agent: "alice".into(),
            mode: "as".into(),
            from: "support@example.test".into(),
            sender: None,
            mail_from: "support@example.test".into(),
            recipients: vec!["c@customer.test".into()],
            message_id: "m@example.test".into(),
            subject: "Re: hello".into(),
            reply_to_uid: None,
            created: 1,
            attempts: 1,
            draft_id: None,
            state,
        }
    }

    /// Queued, submitted and deferred: the entries that are simply waiting.
    fn waiting() -> Vec<Listed> {
        vec![
            ("a".to_string(), Ok(entry(State::Queued))),
            ("b".to_string(), Ok(entry(State::Submitted))),
            (
                "c".to_string(),
                Ok(entry(State::Deferred {
                    error: "421 try later".into(),
                    retry_at: 9,
                })),
            ),
        ]
    }

    #[test]
    fn counts_by_state_and_keeps_the_newest_error() {
        let mut entries = waiting();
        entries.push((
            "d".to_string(),
            Ok(entry(State::Failed {
                error: "550 not allowed".into(),
            })),
        ));
        entries.push((
            "e".to_string(),
            Err(EntryError::Damaged(CacheError::Corrupt {
                path: PathBuf::from("/x/e.json"),
                reason: "bad json".into(),
            })),
        ));
        let s = summarize(&[], &Ok(entries));
        assert_eq!((s.queued, s.deferred, s.failed, s.delivered), (2, 1, 1, 0));
        assert_eq!(s.damaged, 1);
        assert_eq!(s.total(), 5);
        assert!(
            s.last_error
                .as_deref()
                .is_some_and(|e| e.contains("damaged")),
            "{s:?}"
        );
        let results = vec![
            (
                "x".to_string(),
                Ok(Outcome::Sent {
                    message_id: "1".into(),
                    warning: None,
                }),
            ),
            (
                "c".to_string(),
                Ok(Outcome::Deferred {
                    message_id: "2".into(),
                    error: "connection refused".into(),
                }),
            ),
        ];
        let s = summarize(&results, &Ok(waiting()));
        assert_eq!(s.delivered, 1);
        assert_eq!(
            s.last_error.as_deref(),
            Some("deferred: connection refused")
        );
        assert_eq!(summarize(&[], &Ok(Vec::new())), OutboxStatus::default());
    }

    #[test]
    fn uncertain_orphaned_and_unreadable_are_shown_not_hidden() {
        let entries = vec![
            (
                "u".to_string(),
                Ok(entry(State::Uncertain {
                    since: 5,
                    server: "127.0.0.1:587".into(),
                    error: None,
                })),
            ),
            (
                "o".to_string(),
                Err(EntryError::OrphanMessage {
                    eml: PathBuf::from("/x/o.eml"),
                    json: PathBuf::from("/x/o.json"),
                }),
            ),
        ];
        let s = summarize(&[], &Ok(entries));
        assert_eq!((s.uncertain, s.damaged, s.total()), (1, 1, 2));
        assert!(
            s.last_error
                .as_deref()
                .is_some_and(|e| e.contains("/x/o.eml")),
            "{s:?}"
        );
        let unreadable = Err(Unreadable {
            path: PathBuf::from("/x/outbox"),
            source: std::io::Error::from_raw_os_error(20),
        });
        let s = summarize(&[], &unreadable);
        assert_eq!((s.damaged, s.total()), (1, 1));
        assert!(
            s.last_error
                .as_deref()
                .is_some_and(|e| e.starts_with("cannot read the outbox: /x/outbox")),
            "{s:?}"
        );
    }

    #[test]
    fn one_window_delivers_at_a_time() {
        let dir = std::env::temp_dir().join(format!("mailroom-outbox-lock-{}", std::process::id()));
        let path = dir.join("mailroom").join("outbox.lock");
        let first = take_lock(&path);
        assert!(first.is_some(), "the first window takes the lock");
        assert!(take_lock(&path).is_none(), "a second one only counts");
        drop(first);
        assert!(
            take_lock(&path).is_some(),
            "free again once the first has gone"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn rounds_repeat_until_the_ui_goes_and_unchanged_rounds_stay_quiet() {
        let (stop_tx, stop_rx) = channel();
        let (tx, rx) = channel();
        let mut n = 0;
        let worker = thread::spawn(move || {
            run(
                || {
                    n += 1;
                    OutboxStatus {
                        // Changes on the third round only.
                        queued: usize::from(n >= 3),
                        ..OutboxStatus::default()
                    }
                },
                &stop_rx,
                &tx,
                Duration::from_millis(10),
            );
            n
        });
        // The first round is reported at once, the unchanged second not, the third is.
        assert_eq!(
            rx.recv_timeout(Duration::from_secs(5))
                .ok()
                .map(|e| matches!(e, Event::Outbox(s) if s.total() == 0)),
            Some(true)
        );
        assert!(matches!(
            rx.recv_timeout(Duration::from_secs(5)),
            Ok(Event::Outbox(OutboxStatus { queued: 1, .. }))
        ));
        let start = Instant::now();
        drop(stop_tx);
        let rounds = worker.join().unwrap_or(0);
        assert!(rounds >= 3);
        assert!(start.elapsed() < Duration::from_secs(5));
    }
}
