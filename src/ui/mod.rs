//! The terminal interface. Owns no I/O beyond the terminal itself: the engine owns the mailboxes.
//!
//! Elm style: `event` (what happened) → `app::update` (pure state change, returns commands)
//! → `draw` (pure rendering). `run` starts the `Engine` and wires the channels around that loop.

pub mod app;
pub mod compose;
pub mod draw;
pub mod event;
pub mod input;
pub mod keys;
pub mod layout;
pub mod notes;
pub mod prompt;
pub mod screen;
pub mod stats;
pub mod terminal;
pub mod theme;
pub mod widget;
pub mod wrap;

use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::config::Config;
use crate::engine::{self, Engine, job};
use app::{App, SaveDirs, update};
use event::{Command, Event};
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
    // TEMP(#14 merge): the engine's events reach the UI's channel through this forwarder until
    // the UI's event type wraps the engine's.
    let (engine_tx, engine_rx) = channel::<engine::Event>();
    let forward = tx.clone();
    let forwarding = job::spawn(
        "engine-events",
        move || {
            for ev in engine_rx {
                if forward.send(Event::from(ev)).is_err() {
                    return;
                }
            }
        },
        |_| {},
    );
    if let Err(e) = forwarding {
        drop(session);
        return Err(UiError::Thread(e.into()));
    }
    // The accounts' threads, the outbox thread (queued mail goes out while the screen is up,
    // and what a crash left is resumed now) and the draft writer. What cannot start is said
    // on the channel.
    let engine = Engine::start(config.clone(), &indices, engine_tx);
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
            if let Some(request) = to_request(c) {
                engine.submit(request);
            }
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

/// TEMP(#14 merge): the UI's commands are the engine's requests, but for the two that need the
/// terminal (`Quit`, `Editor`), which the run loop handles itself.
fn to_request(command: Command) -> Option<engine::Request> {
    use engine::Request as R;
    Some(match command {
        Command::Quit | Command::Editor { .. } => return None,
        Command::Open { account_idx, uid } => R::Open { account_idx, uid },
        Command::Store {
            account_idx,
            id,
            uid,
            change,
        } => R::Store {
            account_idx,
            id,
            uid,
            change,
        },
        Command::Search {
            account_idx,
            id,
            query,
        } => R::Search {
            account_idx,
            id,
            query,
        },
        Command::Triage {
            account_idx,
            id,
            uid,
            action,
            agent,
        } => R::Triage {
            account_idx,
            id,
            uid,
            action,
            agent,
        },
        Command::AddNote {
            account_idx,
            id,
            uid,
            text,
        } => R::AddNote {
            account_idx,
            id,
            uid,
            text,
        },
        Command::Notes {
            account_idx,
            uid,
            message_id,
        } => R::Notes {
            account_idx,
            uid,
            message_id,
        },
        Command::Stats { id, since } => R::Stats { id, since },
        Command::Refresh { account_idx } => R::Refresh { account_idx },
        Command::Save { raw, indices, dir } => R::Save { raw, indices, dir },
        Command::Send {
            account_idx,
            identity,
            outgoing,
            reply_uid,
            draft_id,
        } => R::Send {
            account_idx,
            identity,
            outgoing,
            reply_uid,
            draft_id,
        },
        Command::SaveDraft(draft) => R::SaveDraft(draft),
    })
}

/// TEMP(#14 merge): the engine's events are the UI's, variant for variant.
impl From<engine::Event> for Event {
    fn from(ev: engine::Event) -> Event {
        use engine::Event as E;
        match ev {
            E::Status {
                account_idx,
                exists,
            } => Event::Status {
                account_idx,
                exists,
            },
            E::Rows { account_idx, rows } => Event::Rows { account_idx, rows },
            E::Cached { account_idx, rows } => Event::Cached { account_idx, rows },
            E::Loaded { account_idx } => Event::Loaded { account_idx },
            E::Synced {
                account_idx,
                exists,
            } => Event::Synced {
                account_idx,
                exists,
            },
            E::Flags {
                account_idx,
                updates,
            } => Event::Flags {
                account_idx,
                updates,
            },
            E::Vanished { account_idx, uids } => Event::Vanished { account_idx, uids },
            E::Reset {
                account_idx,
                reason,
            } => Event::Reset {
                account_idx,
                reason,
            },
            E::Warning {
                account_idx,
                message,
            } => Event::Warning {
                account_idx,
                message,
            },
            E::Link {
                account_idx,
                state,
                at,
            } => Event::Link {
                account_idx,
                state,
                at,
            },
            E::Error {
                account_idx,
                message,
            } => Event::Error {
                account_idx,
                message,
            },
            E::Body {
                account_idx,
                uid,
                body,
            } => Event::Body {
                account_idx,
                uid,
                body,
            },
            E::Saved { results } => Event::Saved { results },
            E::Outbox(status) => Event::Outbox(status),
            E::Access {
                account_idx,
                rights,
                team_state,
            } => Event::Access {
                account_idx,
                rights,
                team_state,
            },
            E::StoreDone {
                account_idx,
                id,
                uid,
                result,
            } => Event::StoreDone {
                account_idx,
                id,
                uid,
                result,
            },
            E::SearchDone {
                account_idx,
                id,
                result,
            } => Event::SearchDone {
                account_idx,
                id,
                result,
            },
            E::SendDone { draft_id, result } => Event::SendDone { draft_id, result },
            E::Stats { id, result } => Event::Stats { id, result },
            E::TriageDone {
                account_idx,
                id,
                uid,
                result,
            } => Event::TriageDone {
                account_idx,
                id,
                uid,
                result,
            },
            E::NoteAdded {
                account_idx,
                id,
                uid,
                result,
            } => Event::NoteAdded {
                account_idx,
                id,
                uid,
                result,
            },
            E::Notes {
                account_idx,
                message_id,
                notes,
            } => Event::Notes {
                account_idx,
                message_id,
                notes,
            },
        }
    }
}
