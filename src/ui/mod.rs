//! The terminal interface. Owns no I/O beyond the terminal itself: the engine owns the mailboxes.
//!
//! Elm style: `event` (what happened) → `app::update` (pure state change, returns commands)
//! → `draw` (pure rendering). `run` starts the `Engine` and wires the channels around that loop.

pub mod app;
pub mod draw;
pub mod event;
pub mod input;
pub mod keys;
pub mod layout;
pub mod notify;
pub mod screen;
pub mod team_policy;
pub mod terminal;
pub mod theme;
pub mod undo;
pub mod widget;
pub mod wire;
pub mod wrap;

use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::config::Config;
use crate::engine::Engine;
use crate::imap::sync::FirstBatch;
use app::{App, update};
use event::Event;
use screen::reader::SaveDirs;
use theme::{Theme, ThemeError, no_color_requested};

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
    let mut session = terminal::Session::enter()?;
    let config = Arc::new(config.clone());
    let indices: Vec<usize> = columns.iter().map(|(i, _)| *i).collect();
    // The accounts' threads, the outbox thread (queued mail goes out while the screen is up,
    // and what a crash left is resumed now) and the draft writer. What cannot start is said
    // on the channel.
    // A cold sync fetches the rows a column shows first: its first answer is the first screen.
    let size = session.terminal.size()?;
    let first = FirstBatch::rows(layout::list_rows(
        size.width,
        size.height,
        columns.len(),
        config.ui.layout,
    ));
    let engine = Engine::start_sized(config.clone(), &indices, tx.clone(), first);
    // Drafts from an earlier session (or one cut short) come back.
    let (drafts, damaged) = crate::engine::drafts::list();
    let mut app = App::new(&columns, theme, no_color_requested())
        .with_keymap(keymap)
        .with_agent(&config.agent.id)
        .with_save_dirs(SaveDirs::from_env())
        .with_config(config.clone())
        .with_drafts(drafts, damaged);
    for c in &mut app.columns {
        c.imap = config
            .accounts
            .get(c.account_idx)
            .is_some_and(|a| a.imap.is_some());
    }
    let result = match input::spawn(tx.clone()) {
        Ok(()) => run_loop(&mut session, &mut app, &rx, &engine),
        Err(e) => Err(UiError::Thread(e)),
    };
    // Give the screen back first, then wait for the drafts and give a short grace for
    // logouts: quitting never hangs on a server. The outbox thread is not waited for at all
    // (a delivery cut short resumes at next start).
    drop(session);
    engine.shutdown(SHUTDOWN_GRACE);
    result
}

fn run_loop(
    session: &mut terminal::Session,
    app: &mut App,
    rx: &Receiver<Event>,
    engine: &Engine,
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
        // The title and the alerts go after the frame: nothing is written mid-frame.
        if let Some(title) = app.notify.take_title() {
            session.set_title(&title)?;
        }
        for alert in app.notify.take_alerts() {
            session.alert(&app_notify_settings(app), &alert)?;
        }
        let period = if app.needs_clock() { FAST_TICK } else { TICK };
        let first = match rx.recv_timeout(period.saturating_sub(last_tick.elapsed())) {
            Ok(ev) => ev,
            Err(RecvTimeoutError::Timeout) => {
                last_tick = Instant::now();
                Event::Tick(unix_now())
            }
            // Cannot happen while the input thread runs; should it ever, nothing more can
            // arrive.
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
        // Answers may ask for more (an edited text is applied, then autosaved).
        for request in commands {
            engine.submit(request);
        }
        // The editor needs the terminal, which only this loop holds.
        while let Some(text) = app.take_editor() {
            let result = terminal::edit(session, &text);
            for request in update(app, Event::Edited(result)) {
                engine.submit(request);
            }
        }
        if app.quitting() {
            return Ok(());
        }
    }
}

fn app_notify_settings(app: &App) -> crate::config::notify::Notify {
    app.config
        .as_ref()
        .map(|c| c.ui.notify.clone())
        .unwrap_or_default()
}

/// Merges runs of row batches for one account into one event, so a burst of batches (a sync
/// of a large mailbox) sorts, filters and threads the column once per redraw, not once per
/// batch. Order is kept: only neighbours of the same kind and account are merged.
pub fn coalesce(events: Vec<Event>) -> Vec<Event> {
    use crate::engine::Event as E;
    let mut out: Vec<Event> = Vec::with_capacity(events.len());
    for ev in events {
        match (out.last_mut(), ev) {
            (
                Some(Event::Engine(E::Rows {
                    account_idx: a,
                    rows: into,
                })),
                Event::Engine(E::Rows { account_idx, rows }),
            ) if *a == account_idx => into.extend(rows),
            (
                Some(Event::Engine(E::Cached {
                    account_idx: a,
                    rows: into,
                })),
                Event::Engine(E::Cached { account_idx, rows }),
            ) if *a == account_idx => into.extend(rows),
            (_, ev) => out.push(ev),
        }
    }
    out
}
