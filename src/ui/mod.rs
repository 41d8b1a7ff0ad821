//! The terminal interface. Owns no I/O beyond the terminal itself: workers own the mailboxes.
//!
//! Elm style: `event` (what happened) → `app::update` (pure state change, returns commands)
//! → `draw` (pure rendering). `run` wires threads and channels around that loop.

pub mod app;
pub mod compose;
pub mod draw;
pub mod event;
pub mod input;
pub mod keys;
pub mod layout;
pub mod notes;
pub mod outbox;
pub mod prompt;
pub mod save;
pub mod screen;
pub mod stats;
pub mod terminal;
pub mod theme;
pub mod widget;
pub mod worker;
pub mod wrap;

use std::path::Path;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::config::Config;
use crate::engine::job;
use crate::triage::act::ActError;
use app::{App, SaveDirs, update};
use event::{Command, Event};
use theme::{Theme, ThemeError, no_color_requested};
use worker::Worker;

/// How often ages are refreshed when nothing else happens.
const TICK: Duration = Duration::from_secs(30);
/// How often the clock ticks while a countdown ("retrying in 8s") is on screen.
const FAST_TICK: Duration = Duration::from_secs(1);
/// How long quitting waits for IMAP workers to log out before leaving them behind.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);
/// Events applied before a redraw at most, so a flood of rows cannot freeze the screen.
const MAX_BATCH: usize = 256;

#[derive(Debug, thiserror::Error)]
pub enum UiError {
    #[error("the column view needs a terminal; use `mailroom list ACCOUNT` in scripts")]
    NotATerminal,
    #[error("no accounts are configured")]
    NoAccounts,
    #[error("ui.columns names {0:?}, which is not an account")]
    UnknownColumn(String),
    #[error(transparent)]
    Theme(#[from] ThemeError),
    /// Validation reports these with the file name; this is for a configuration built in code.
    #[error("[keys]: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Keys(Vec<keys::KeyConfigError>),
    #[error("terminal: {0}")]
    Terminal(#[from] std::io::Error),
    #[error("cannot read the terminal: {0}")]
    Input(String),
    #[error("cannot start a thread: {0}")]
    Thread(std::io::Error),
}

/// The accounts shown as columns, left to right: (index into `config.accounts`, name).
pub fn column_accounts(config: &Config) -> Result<Vec<(usize, String)>, UiError> {
    let all = || config.accounts.iter().enumerate();
    let cols: Vec<(usize, String)> = match &config.ui.columns {
        None => all().map(|(i, a)| (i, a.name.clone())).collect(),
        Some(names) => names
            .iter()
            .map(|n| {
                all()
                    .find(|(_, a)| &a.name == n)
                    .map(|(i, a)| (i, a.name.clone()))
                    .ok_or_else(|| UiError::UnknownColumn(crate::sanitize::single_line(n)))
            })
            .collect::<Result<_, _>>()?,
    };
    if cols.is_empty() {
        return Err(UiError::NoAccounts);
    }
    Ok(cols)
}

pub(crate) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Opens the column view of the configured accounts and runs until the user quits.
pub fn run(config: &Config) -> Result<(), UiError> {
    let columns = column_accounts(config)?;
    let theme = Theme::resolve(&config.ui.theme, &config.source)?;
    let keymap = keys::Keymap::from_config(&config.keys).map_err(UiError::Keys)?;
    if !terminal::is_terminal() {
        return Err(UiError::NotATerminal);
    }
    let (tx, rx) = channel();
    let mut workers: Vec<Worker> = Vec::new();
    let mut failed = Vec::new();
    for (idx, _) in &columns {
        if let Some(account) = config.accounts.get(*idx) {
            match worker::spawn(*idx, account, &config.agent, tx.clone()) {
                Ok(w) => workers.push(w),
                // One account that cannot start must not keep the others from showing.
                Err(e) => failed.push(Event::Error {
                    account_idx: Some(*idx),
                    message: format!("{}: cannot start: {e}", account.name),
                }),
            }
        }
    }
    let mut session = match terminal::Session::enter() {
        Ok(s) => s,
        Err(e) => {
            worker::shutdown_all(workers, Duration::ZERO);
            return Err(e.into());
        }
    };
    // Queued mail goes out while the screen is up (and what a crash left is resumed now).
    let outbox = match outbox::spawn(config.clone(), tx.clone()) {
        Ok(o) => Some(o),
        Err(e) => {
            failed.push(Event::Error {
                account_idx: None,
                message: format!("outbox: cannot start: {e}"),
            });
            None
        }
    };
    // Drafts from an earlier session (or one cut short) come back.
    let (drafts, damaged) = crate::engine::drafts::list();
    let mut app = App::new(&columns, theme, no_color_requested())
        .with_keymap(keymap)
        .with_agent(&config.agent.id)
        .with_save_dirs(SaveDirs::from_env())
        .with_config(std::sync::Arc::new(config.clone()))
        .with_drafts(drafts, damaged);
    for c in &mut app.columns {
        c.imap = config
            .accounts
            .get(c.account_idx)
            .is_some_and(|a| a.imap.is_some());
    }
    let result = match input::spawn(tx.clone()) {
        Ok(()) => {
            for ev in failed {
                update(&mut app, ev);
            }
            run_loop(&mut session, &mut app, &rx, &tx, &workers)
        }
        Err(e) => Err(UiError::Thread(e)),
    };
    // Give the screen back first, then a short grace for logouts: quitting never hangs. The
    // outbox thread is not waited for at all (a delivery cut short resumes at next start).
    drop(session);
    drop(outbox);
    worker::shutdown_all(workers, SHUTDOWN_GRACE);
    result
}

fn run_loop(
    session: &mut terminal::Session,
    app: &mut App,
    rx: &Receiver<Event>,
    tx: &Sender<Event>,
    workers: &[Worker],
) -> Result<(), UiError> {
    let size = session.terminal.size()?;
    update(app, Event::Tick(unix_now()));
    update(app, Event::Resize(size.width, size.height));
    let mut last_tick = Instant::now();
    loop {
        if app.dirty {
            session.terminal.draw(|f| draw::draw(app, f))?;
            app.dirty = false;
        }
        let period = if app.needs_clock() { FAST_TICK } else { TICK };
        let first = match rx.recv_timeout(period.saturating_sub(last_tick.elapsed())) {
            Ok(ev) => ev,
            Err(RecvTimeoutError::Timeout) => {
                last_tick = Instant::now();
                Event::Tick(unix_now())
            }
            // Cannot happen while this loop holds `tx` (for saving threads); should it ever,
            // nothing more can arrive.
            Err(RecvTimeoutError::Disconnected) => return Ok(()),
        };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(ev) => batch.push(ev),
                Err(_) => break,
            }
        }
        let mut commands = Vec::new();
        for ev in coalesce(batch) {
            if let Event::InputFailed(e) = ev {
                return Err(UiError::Input(crate::sanitize::single_line(&e)));
            }
            commands.extend(update(app, ev));
        }
        // A steady stream of events must not stop the clock.
        if last_tick.elapsed() >= period {
            last_tick = Instant::now();
            // Its commands count too: an autosave, a snooze that ended.
            commands.extend(update(app, Event::Tick(unix_now())));
        }
        // Answers to commands may ask for more (a refused store asks for a sync).
        let mut queue: std::collections::VecDeque<Command> = commands.into();
        while let Some(c) = queue.pop_front() {
            match c {
                Command::Quit => return Ok(()),
                // The editor needs the terminal, which only this loop holds.
                Command::Editor { text } => {
                    let result = terminal::edit(session, &text);
                    queue.extend(update(app, Event::Edited(result)));
                    continue;
                }
                _ => {}
            }
            queue.extend(dispatch(app, workers, tx, c));
        }
    }
}

/// Merges runs of row batches for one account into one event, so a burst of batches (a sync
/// of a large mailbox) sorts, filters and threads the column once per redraw, not once per
/// batch. Order is kept: only neighbours of the same kind and account are merged.
pub fn coalesce(events: Vec<Event>) -> Vec<Event> {
    let mut out: Vec<Event> = Vec::with_capacity(events.len());
    for ev in events {
        match (out.last_mut(), ev) {
            (
                Some(Event::Rows {
                    account_idx: a,
                    rows: into,
                }),
                Event::Rows { account_idx, rows },
            ) if *a == account_idx => into.extend(rows),
            (
                Some(Event::Cached {
                    account_idx: a,
                    rows: into,
                }),
                Event::Cached { account_idx, rows },
            ) if *a == account_idx => into.extend(rows),
            (_, ev) => out.push(ev),
        }
    }
    out
}

/// Saves attachments of one message into `dir` (on the calling thread): per number, the path
/// written or why not.
pub fn save_attachments(
    raw: &[u8],
    indices: &[usize],
    dir: &Path,
) -> Vec<(usize, Result<std::path::PathBuf, String>)> {
    // A relative folder is taken from where mailroom was started; the status line shows the
    // full path, so the user knows where to look.
    let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    if !dir.is_dir() {
        let why = format!("{}: no such folder", dir.display());
        return indices.iter().map(|&i| (i, Err(why.clone()))).collect();
    }
    indices
        .iter()
        .map(|&i| {
            let r = std::panic::catch_unwind(|| crate::mail::attachments::save(raw, i, &dir))
                .map_err(|_| "the attachment could not be decoded".to_string())
                .and_then(|r| r.map_err(|e| e.to_string()));
            (i, r)
        })
        .collect()
}

/// Hands a command to its account's worker (or, for saving, a thread of its own). A worker
/// that has stopped gets its answer here, so the screen never waits for a reply that cannot
/// come.
fn dispatch(
    app: &mut App,
    workers: &[Worker],
    events: &Sender<Event>,
    command: Command,
) -> Vec<Command> {
    const GONE: &str = "the account's worker has stopped";
    let worker = |idx: usize| workers.iter().find(|w| w.account_idx == idx);
    match command {
        Command::Quit | Command::Editor { .. } => Vec::new(),
        // Before anything else (a quit may follow): small, and it must be on disk.
        Command::SaveDraft(draft) => match crate::engine::drafts::save(&draft) {
            Ok(()) => Vec::new(),
            Err(e) => update(
                app,
                Event::Error {
                    account_idx: None,
                    message: format!("the draft could not be saved: {e}"),
                },
            ),
        },
        Command::Send {
            account_idx,
            identity,
            outgoing,
            reply_uid,
            draft_id,
        } => {
            let tx = events.clone();
            let config = app.config.clone();
            let (id, reply_id) = (draft_id.clone(), draft_id.clone());
            let spawned = job::spawn(
                "send",
                move || {
                    let config = config.ok_or("no configuration")?;
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
                    let _ = tx.send(Event::SendDone {
                        draft_id: reply_id,
                        result: result.unwrap_or_else(|e| Err(e.to_string())),
                    });
                },
            );
            match spawned {
                Ok(()) => Vec::new(),
                Err(e) => update(
                    app,
                    Event::SendDone {
                        draft_id,
                        result: Err(e.to_string()),
                    },
                ),
            }
        }
        Command::Save { raw, indices, dir } => {
            // Writing (and fsyncing) megabytes is no job for the UI thread. Attachments that
            // were not downloaded are streamed from the open message's server.
            let tx = events.clone();
            let (numbers, asked) = (indices.clone(), indices.clone());
            let source = app.reader.as_ref().and_then(|r| {
                let account = app.config.as_ref()?.accounts.get(r.account_idx)?.clone();
                Some((account, r.uid))
            });
            // Per number, the path written or why not; a failed job fails every number.
            let failed = |numbers: Vec<usize>, e: job::JobError| -> Vec<_> {
                let why = e.to_string();
                numbers.into_iter().map(|i| (i, Err(why.clone()))).collect()
            };
            let spawned = job::spawn(
                "save",
                move || save::save_attachments_from(&raw.0, &indices, &dir, source),
                move |result| {
                    let results = result.unwrap_or_else(|e| failed(asked, e));
                    let _ = tx.send(Event::Saved { results });
                },
            );
            match spawned {
                Ok(()) => Vec::new(),
                Err(e) => update(
                    app,
                    Event::Saved {
                        results: failed(numbers, e),
                    },
                ),
            }
        }
        Command::Open { account_idx, uid } => {
            if worker(account_idx).is_some_and(|w| w.open(uid)) {
                return Vec::new();
            }
            update(
                app,
                Event::Body {
                    account_idx,
                    uid,
                    body: Err(GONE.into()),
                },
            )
        }
        Command::Store {
            account_idx,
            id,
            uid,
            change,
        } => {
            if worker(account_idx).is_some_and(|w| w.store(id, uid, change)) {
                return Vec::new();
            }
            update(
                app,
                Event::StoreDone {
                    account_idx,
                    id,
                    uid,
                    result: Err(GONE.into()),
                },
            )
        }
        Command::Triage {
            account_idx,
            id,
            uid,
            action,
            agent,
        } => {
            if worker(account_idx).is_some_and(|w| w.triage(id, uid, action, agent)) {
                return Vec::new();
            }
            update(
                app,
                Event::TriageDone {
                    account_idx,
                    id,
                    uid,
                    result: Err(ActError::Server(GONE.into())),
                },
            )
        }
        Command::Search {
            account_idx,
            id,
            query,
        } => {
            if worker(account_idx).is_some_and(|w| w.search(id, query)) {
                return Vec::new();
            }
            update(
                app,
                Event::SearchDone {
                    account_idx,
                    id,
                    result: Err(GONE.into()),
                },
            )
        }
        Command::AddNote {
            account_idx,
            id,
            uid,
            text,
        } => {
            if worker(account_idx).is_some_and(|w| w.add_note(id, uid, text)) {
                return Vec::new();
            }
            update(
                app,
                Event::NoteAdded {
                    account_idx,
                    id,
                    uid,
                    result: Err(GONE.into()),
                },
            )
        }
        Command::Notes {
            account_idx,
            uid,
            message_id,
        } => {
            if worker(account_idx).is_some_and(|w| w.notes(uid, message_id.clone())) {
                return Vec::new();
            }
            update(
                app,
                Event::Notes {
                    account_idx,
                    message_id,
                    notes: Err(GONE.into()),
                },
            )
        }
        Command::Stats { id, since } => {
            // Reading every mailbox and Sent folder takes seconds: a thread of its own, with
            // connections of its own, so the workers' syncs and IDLE go on.
            let tx = events.clone();
            let config = app.config.clone();
            let spawned = job::spawn(
                "stats",
                move || {
                    let config = config.ok_or("no configuration")?;
                    crate::insight::collect::collect_and_compute(&config, &[], since, None)
                        .map(Box::new)
                        .map_err(|e| e.to_string())
                },
                move |result| {
                    let result = result.unwrap_or_else(|e| Err(e.to_string()));
                    let _ = tx.send(Event::Stats { id, result });
                },
            );
            match spawned {
                Ok(()) => Vec::new(),
                Err(e) => update(
                    app,
                    Event::Stats {
                        id,
                        result: Err(e.to_string()),
                    },
                ),
            }
        }
        Command::Refresh { account_idx } => {
            // A stopped worker has already said why in its column.
            if let Some(w) = worker(account_idx) {
                let _ = w.refresh();
            }
            Vec::new()
        }
    }
}
