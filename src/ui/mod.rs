//! The terminal interface. Owns no I/O beyond the terminal itself: workers own the mailboxes.
//!
//! Elm style: `event` (what happened) → `app::update` (pure state change, returns commands)
//! → `draw` (pure rendering). `run` wires threads and channels around that loop.

pub mod app;
pub mod draw;
pub mod event;
pub mod input;
pub mod keys;
pub mod layout;
pub mod prompt;
pub mod terminal;
pub mod theme;
pub mod worker;
pub mod wrap;

use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::config::Config;
use app::{App, update};
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
                    .ok_or_else(|| UiError::UnknownColumn(crate::mail::sanitize::single_line(n)))
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
            match worker::spawn(*idx, account, tx.clone()) {
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
    let mut app = App::new(&columns, theme, no_color_requested())
        .with_keymap(keymap)
        .with_agent(&config.agent.id);
    for c in &mut app.columns {
        c.imap = config
            .accounts
            .get(c.account_idx)
            .is_some_and(|a| a.imap.is_some());
    }
    let result = match input::spawn(tx) {
        Ok(()) => {
            for ev in failed {
                update(&mut app, ev);
            }
            run_loop(&mut session, &mut app, &rx, &workers)
        }
        Err(e) => Err(UiError::Thread(e)),
    };
    // Give the screen back first, then a short grace for logouts: quitting never hangs.
    drop(session);
    worker::shutdown_all(workers, SHUTDOWN_GRACE);
    result
}

fn run_loop(
    session: &mut terminal::Session,
    app: &mut App,
    rx: &Receiver<Event>,
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
            // Every sender is gone: no input thread, no workers; nothing more can happen.
            Err(RecvTimeoutError::Disconnected) => return Ok(()),
        };
        let mut commands = Vec::new();
        let mut next = Some(first);
        let mut n = 0;
        while let Some(ev) = next {
            if let Event::InputFailed(e) = ev {
                return Err(UiError::Input(crate::mail::sanitize::single_line(&e)));
            }
            commands.extend(update(app, ev));
            n += 1;
            next = if n < MAX_BATCH {
                rx.try_recv().ok()
            } else {
                None
            };
        }
        // A steady stream of events must not stop the clock.
        if last_tick.elapsed() >= period {
            last_tick = Instant::now();
            update(app, Event::Tick(unix_now()));
        }
        // Answers to commands may ask for more (a refused store asks for a sync).
        let mut queue: std::collections::VecDeque<Command> = commands.into();
        while let Some(c) = queue.pop_front() {
            if let Command::Quit = c {
                return Ok(());
            }
            queue.extend(dispatch(app, workers, c));
        }
    }
}

/// Hands a command to its account's worker. A worker that has stopped gets its answer
/// here, so the screen never waits for a reply that cannot come.
fn dispatch(app: &mut App, workers: &[Worker], command: Command) -> Vec<Command> {
    const GONE: &str = "the account's worker has stopped";
    let worker = |idx: usize| workers.iter().find(|w| w.account_idx == idx);
    match command {
        Command::Quit => Vec::new(),
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
        Command::Refresh { account_idx } => {
            // A stopped worker has already said why in its column.
            if let Some(w) = worker(account_idx) {
                let _ = w.refresh();
            }
            Vec::new()
        }
    }
}
