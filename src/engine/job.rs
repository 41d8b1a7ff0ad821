//! Work off the calling thread: one helper to spawn a named thread, catch a panic in it and
//! report the result. A bug in one job costs that job, never the process or the screen: the
//! panic becomes a typed [`JobError::Panicked`] handed to the job's `reply`.
//!
//! (While the TUI runs, its panic hook stays quiet on threads other than the UI's, so a caught
//! panic is reported only through `reply`, not scribbled over the screen.)

use std::panic::{AssertUnwindSafe, catch_unwind};

/// Why a job gave no result.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// The job panicked; `message` is the panic's text.
    #[error("internal error: {message}")]
    Panicked { job: String, message: String },
    /// The job's thread could not be started.
    #[error("cannot start a thread: {source}")]
    Spawn { job: String, source: std::io::Error },
}

/// For callers whose own error is `std::io::Error` (starting a long-lived thread): the spawn
/// error as it was, anything else as its text.
impl From<JobError> for std::io::Error {
    fn from(e: JobError) -> Self {
        match e {
            JobError::Spawn { source, .. } => source,
            other => std::io::Error::other(other.to_string()),
        }
    }
}

/// Runs `work` on this thread; a panic in it becomes [`JobError::Panicked`].
pub fn catch<T>(job: &str, work: impl FnOnce() -> T) -> Result<T, JobError> {
    catch_unwind(AssertUnwindSafe(work)).map_err(|payload| JobError::Panicked {
        job: job.to_string(),
        message: panic_message(payload.as_ref()),
    })
}

/// Runs `work` on a thread named `name`, then calls `reply` on that thread with its result,
/// or with [`JobError::Panicked`] if it panicked. When the thread cannot be started, neither
/// runs and the answer is [`JobError::Spawn`]; otherwise `reply` is called exactly once.
pub fn spawn<T: 'static>(
    name: &str,
    work: impl FnOnce() -> T + Send + 'static,
    reply: impl FnOnce(Result<T, JobError>) + Send + 'static,
) -> Result<(), JobError> {
    let job = name.to_string();
    std::thread::Builder::new()
        .name(name.to_string())
        .spawn(move || reply(catch(&job, work)))
        .map(drop)
        .map_err(|source| JobError::Spawn {
            job: name.to_string(),
            source,
        })
}

/// The text of a caught panic, for an error event.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::channel;
    use std::time::Duration;

    const WAIT: Duration = Duration::from_secs(10);

    #[test]
    fn a_job_that_returns_replies_with_its_result_on_its_own_thread() {
        let (tx, rx) = channel();
        let spawned = spawn(
            "answer",
            || 6 * 7,
            move |r| {
                let name = std::thread::current().name().map(str::to_string);
                let _ = tx.send((r.ok(), name));
            },
        );
        assert!(spawned.is_ok());
        assert_eq!(
            rx.recv_timeout(WAIT).ok(),
            Some((Some(42), Some("answer".to_string())))
        );
        // Exactly once: the reply's sender is gone with the thread.
        assert!(rx.recv_timeout(WAIT).is_err());
    }

    #[test]
    fn a_job_that_panics_replies_with_the_panic_and_the_process_goes_on() {
        let (tx, rx) = channel();
        let spawned = spawn(
            "doomed",
            || -> u32 { panic!("boom {}", 7) },
            move |r| {
                let _ = tx.send(r);
            },
        );
        assert!(spawned.is_ok());
        match rx.recv_timeout(WAIT) {
            Ok(Err(e @ JobError::Panicked { .. })) => {
                assert_eq!(e.to_string(), "internal error: boom 7");
                assert!(
                    matches!(&e, JobError::Panicked { job, message } if job == "doomed" && message == "boom 7")
                );
            }
            other => panic!("expected a panic report, got {other:?}"),
        }
        // Still here, and the next job runs.
        let (tx, rx) = channel();
        let spawned = spawn(
            "after",
            || "fine",
            move |r| {
                let _ = tx.send(r.ok());
            },
        );
        assert!(spawned.is_ok());
        assert_eq!(rx.recv_timeout(WAIT).ok(), Some(Some("fine")));
    }

    #[test]
    fn catch_turns_a_panic_into_a_typed_error_on_this_thread() {
        assert!(matches!(catch("ok", || 1), Ok(1)));
        let e = catch("static", || -> u8 { panic!("static text") });
        assert!(
            matches!(&e, Err(JobError::Panicked { job, message }) if job == "static" && message == "static text")
        );
        let e = catch("other", || std::panic::panic_any(5_u8));
        assert_eq!(
            e.map_err(|e| e.to_string()).err().as_deref(),
            Some("internal error: unknown panic")
        );
    }

    #[test]
    fn a_spawn_error_keeps_its_io_error() {
        let e = JobError::Spawn {
            job: "x".into(),
            source: std::io::Error::other("no threads left"),
        };
        assert_eq!(e.to_string(), "cannot start a thread: no threads left");
        assert_eq!(std::io::Error::from(e).to_string(), "no threads left");
    }
}
