//! The outbox while the column view runs: a thread of its own (never the UI's) delivers what
//! is due — at start, then every [`PERIOD`] — through `engine::pipeline::flush`, and reports
//! each round (what it did, what is left) to its caller, which turns it into the status line.
//! Temporary failures are retried by the pipeline's backoff (an entry is due again once its
//! `retry_at` has passed); refused messages stay failed until `mailroom outbox --retry`;
//! uncertain ones (sent whole, no reply recorded) are never sent again from here, only reported
//! (`mailroom outbox --retry ID --force`). Damaged and orphaned entries, and an outbox that
//! cannot be read, are reported too, never hidden.
//!
//! Only one column view delivers at a time: the thread holds an exclusive lock on
//! `outbox.lock` beside the outbox while it delivers, so two mailroom windows of one user never
//! submit the same message at once; the other one only counts.
//!
//! Quitting never waits for it: the caller drops the handle (which ends the thread at its next
//! wake-up) and leaves. A delivery cut short by the process ending is resumed at the next
//! start; the outbox's `sending` state makes sure it is delivered once, and one cut short
//! between the end of its data and the server's reply is left `uncertain`.

use std::fs::{File, OpenOptions};
use std::path::Path;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::time::Duration;

use crate::config::Config;
use crate::engine::job::{self, JobError};
use crate::engine::pipeline::{self, Context, Outcome, PipelineError};
use crate::store::audit::AuditLog;
use crate::store::outbox::{Listed, Outbox, Unreadable};

/// How often due entries are tried while mailroom runs.
pub const PERIOD: Duration = Duration::from_secs(30);

/// The running outbox thread. Dropping it asks the thread to stop; nothing waits for that.
pub struct OutboxWorker {
    _stop: Sender<()>,
}

/// What one delivery round did, and the outbox after it.
pub struct Round {
    /// Per entry tried: its id and what became of it.
    pub results: Vec<(String, Result<Outcome, PipelineError>)>,
    /// The outbox after the round, oldest entry first.
    pub entries: Result<Vec<Listed>, Unreadable>,
}

/// What the thread reports, once per round (or once, for [`Report::NoDataDir`]).
pub enum Report {
    /// No data directory could be determined: nothing is delivered, and the thread ends.
    NoDataDir,
    /// This window holds the delivery lock and delivered what was due.
    Delivered(Round),
    /// Another mailroom holds the lock and delivers; this one only counted the outbox.
    Elsewhere(Result<Vec<Listed>, Unreadable>),
    /// The round panicked (a bug in the pipeline); the thread goes on.
    Failed(JobError),
}

/// Starts the outbox thread. `report` gets every round's [`Report`] on that thread, and returns
/// whether anyone still listens: `false` ends the thread.
pub fn spawn(
    config: Config,
    mut report: impl FnMut(Report) -> bool + Send + 'static,
) -> std::io::Result<OutboxWorker> {
    let (stop_tx, stop_rx) = channel();
    job::spawn(
        "outbox",
        move || {
            let (Some(dir), Some(audit)) = (Outbox::default_dir(), AuditLog::default_path()) else {
                report(Report::NoDataDir);
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
                        return Report::Elsewhere(outbox.scan());
                    }
                    // A bug in the pipeline must not take the screen down: say it instead.
                    job::catch("outbox", || round(&ctx))
                        .map_or_else(Report::Failed, Report::Delivered)
                },
                &stop_rx,
                &mut report,
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

/// The thread's loop: a round now, then one every `period`, each reported, until the caller
/// has gone (its handle dropped, or `report` says nobody listens).
pub fn run<R>(
    mut round: impl FnMut() -> R,
    stop: &Receiver<()>,
    mut report: impl FnMut(R) -> bool,
    period: Duration,
) {
    loop {
        if !report(round()) {
            return;
        }
        match stop.recv_timeout(period) {
            Err(RecvTimeoutError::Timeout) => {}
            Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// One delivery round: every due entry is tried (`flush(ctx, false, false)`: deferred ones
/// once their backoff has passed, failed ones not at all), then the outbox is counted.
pub fn round(ctx: &Context<'_>) -> Round {
    Round {
        results: pipeline::flush(ctx, false, false),
        entries: ctx.outbox.scan(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::thread;
    use std::time::Instant;

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
    fn rounds_repeat_until_the_handle_or_the_listener_goes() {
        let (stop_tx, stop_rx) = channel();
        let (tx, rx) = channel();
        let worker = thread::spawn(move || {
            let mut n = 0;
            run(
                || {
                    n += 1;
                    n
                },
                &stop_rx,
                |n| tx.send(n).is_ok(),
                Duration::from_millis(10),
            );
            n
        });
        for want in 1..=3 {
            assert_eq!(rx.recv_timeout(Duration::from_secs(5)).ok(), Some(want));
        }
        let start = Instant::now();
        drop(stop_tx);
        let rounds = worker.join().unwrap_or(0);
        assert!(rounds >= 3);
        assert!(start.elapsed() < Duration::from_secs(5));
        // A listener that has gone ends the loop too, without a stop.
        let (_stop_tx, stop_rx) = channel::<()>();
        let mut rounds = 0;
        run(
            || rounds += 1,
            &stop_rx,
            |()| false,
            Duration::from_secs(60),
        );
        assert_eq!(rounds, 1);
    }
}
