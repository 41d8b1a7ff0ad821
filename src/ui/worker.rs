//! One thread per account owns its backend (the connection); the UI thread never waits on it.
//! Reports flow back as `Event`s; requests arrive on the worker's own channel.

use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread;

use super::event::Event;
use crate::backend::Backend;
use crate::config::Account;
use crate::mail::parse::text_body;

/// What the UI asks of a worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Fetch a message and answer with `Event::Body`.
    Open { uid: u32 },
}

/// A running worker: dropping it closes the request channel, which ends the thread once it is
/// done with what it is doing. It is never joined: a hung server must not hang quitting.
pub struct Worker {
    pub account_idx: usize,
    requests: Sender<Request>,
}

impl Worker {
    /// Queues a request; false when the worker thread has gone away.
    pub fn send(&self, req: Request) -> bool {
        self.requests.send(req).is_ok()
    }
}

pub fn spawn(
    account_idx: usize,
    account: Account,
    events: Sender<Event>,
) -> std::io::Result<Worker> {
    let (tx, rx) = channel();
    thread::Builder::new()
        .name(format!("worker-{account_idx}"))
        .spawn(move || {
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                run(account_idx, &account, &events, &rx);
            }));
            // A bug in a backend must not take the screen down: report it in the column.
            if let Err(payload) = result {
                let message = format!(
                    "{}: internal error: {}",
                    account.name,
                    super::terminal::panic_message(payload.as_ref())
                );
                let _ = events.send(error(account_idx, message));
            }
        })?;
    Ok(Worker {
        account_idx,
        requests: tx,
    })
}

fn error(account_idx: usize, message: String) -> Event {
    Event::Error {
        account_idx: Some(account_idx),
        message,
    }
}

fn run(account_idx: usize, account: &Account, events: &Sender<Event>, rx: &Receiver<Request>) {
    // Send failures mean the UI has quit; there is nobody left to tell.
    let mut backend = match load(account_idx, account, events) {
        Ok(b) => Some(b),
        Err(message) => {
            let _ = events.send(error(account_idx, message));
            None
        }
    };
    while let Ok(req) = rx.recv() {
        match req {
            Request::Open { uid } => {
                let body = match &mut backend {
                    Some((b, mailbox)) => b
                        .fetch(mailbox, uid)
                        .map(|raw| text_body(&raw))
                        .map_err(|e| e.to_string()),
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

/// Opens the account and streams its message list to the UI.
fn load(
    account_idx: usize,
    account: &Account,
    events: &Sender<Event>,
) -> Result<(Box<dyn Backend>, String), String> {
    let (mut backend, mailbox) =
        crate::cli::list::open_backend(account).map_err(|e| e.to_string())?;
    let status = backend.status(&mailbox).map_err(|e| e.to_string())?;
    let _ = events.send(Event::Status {
        account_idx,
        exists: status.exists,
    });
    backend
        .summaries(&mailbox, 1, &mut |rows| {
            let _ = events.send(Event::Rows { account_idx, rows });
        })
        .map_err(|e| e.to_string())?;
    let _ = events.send(Event::Loaded { account_idx });
    Ok((backend, mailbox))
}
