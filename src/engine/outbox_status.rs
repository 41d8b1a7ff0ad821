//! The outbox as a front end's status line shows it. `engine::outbox` delivers on a thread of
//! its own (never the front end's) — at start, then every `engine::outbox::PERIOD` — and
//! reports each round; this module turns those reports into [`OutboxStatus`] events: counts by
//! state, what was delivered and the latest error. Refused, uncertain, damaged and orphaned
//! entries, and an outbox that cannot be read, are shown, never hidden. Quitting never waits
//! for the thread: the engine drops the handle.

use super::event::{Event, EventSink, OutboxStatus};
use crate::config::Config;
use crate::engine::outbox::{self, OutboxWorker, Report};
use crate::engine::pipeline::{Context, Outcome, PipelineError};
use crate::store::outbox::{Listed, State, Unreadable};

/// Starts the outbox thread. An outbox that cannot be located is reported once, as an error
/// in the status line, and nothing else happens.
pub fn spawn(config: Config, events: EventSink) -> std::io::Result<OutboxWorker> {
    let mut line = StatusLine::new(events.clone());
    outbox::spawn(config, move |report| match report {
        Report::NoDataDir => {
            let _ = events.send(Event::Error {
                account_idx: None,
                message: "outbox: no data directory could be determined (set $HOME or \
                          $XDG_DATA_HOME); queued mail is not being sent"
                    .to_string(),
            });
            false
        }
        report => line.show(status(report)),
    })
}

/// The status line's view of one report of the outbox thread.
pub fn status(report: Report) -> OutboxStatus {
    match report {
        // Said as an error instead (see `spawn`).
        Report::NoDataDir => OutboxStatus::default(),
        Report::Delivered(round) => summarize(&round.results, &round.entries),
        Report::Elsewhere(entries) => OutboxStatus {
            elsewhere: true,
            ..summarize(&[], &entries)
        },
        // A bug in the pipeline must not take the screen down: say it instead.
        Report::Failed(e) => OutboxStatus {
            last_error: Some(e.to_string()),
            ..OutboxStatus::default()
        },
    }
}

/// Sends each round's status to the screen, unless it is the same as the last one sent.
pub struct StatusLine {
    events: EventSink,
    last: Option<OutboxStatus>,
}

impl StatusLine {
    pub fn new(events: EventSink) -> StatusLine {
        StatusLine { events, last: None }
    }

    /// Shows `status`; `false` once the UI has gone (its event channel closed).
    pub fn show(&mut self, status: OutboxStatus) -> bool {
        // An unchanged, empty outbox need not wake the screen every 30 seconds.
        if self.last.as_ref() != Some(&status) || status.delivered > 0 {
            if self.events.send(Event::Outbox(status.clone())).is_err() {
                return false;
            }
            self.last = Some(status);
        }
        true
    }
}

/// One delivery round (`engine::outbox::round`), as the status line shows it.
pub fn round(ctx: &Context<'_>) -> OutboxStatus {
    status(Report::Delivered(outbox::round(ctx)))
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
                    entry_error = Some(uncertain_text(&e.envelope.message_id));
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

    fn entry(state: State) -> Entry {
        Entry {
            account: "support".into(),
            agent: "alice".into(),
            envelope: crate::message::Envelope {
                mode: "as".into(),
                from: "support@example.test".into(),
                sender: None,
                mail_from: "support@example.test".into(),
                recipients: vec!["c@customer.test".into()],
                message_id: "m@example.test".into(),
                subject: "Re: hello".into(),
            },
            reply_to_uid: None,
            created: 1,
            attempts: 1,
            draft_id: None,
            policy: None,
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
    fn unchanged_rounds_stay_quiet_and_a_closed_screen_ends_the_thread() {
        let (tx, rx) = std::sync::mpsc::channel();
        let mut line = StatusLine::new(tx.into());
        let queued = OutboxStatus {
            queued: 1,
            ..OutboxStatus::default()
        };
        let delivered = OutboxStatus {
            delivered: 1,
            ..OutboxStatus::default()
        };
        // The first round is reported, the unchanged second not, a changed third is; a
        // delivery is said every time.
        for s in [
            OutboxStatus::default(),
            OutboxStatus::default(),
            queued,
            delivered.clone(),
            delivered,
        ] {
            assert!(line.show(s));
        }
        let shown: Vec<_> = rx
            .try_iter()
            .map(|e| match e {
                Event::Outbox(s) => (s.queued, s.delivered),
                _ => (9, 9),
            })
            .collect();
        assert_eq!(shown, [(0, 0), (1, 0), (0, 1), (0, 1)]);
        drop(rx);
        assert!(!line.show(OutboxStatus::default()), "the UI has gone");
    }
}
