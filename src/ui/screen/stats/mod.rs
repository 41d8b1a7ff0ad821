//! The stats screen (`S`).

pub mod draw;
pub mod model;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::engine::Request;
use crate::insight::stats::Report;
use crate::sanitize;
use crate::ui::app::App;
use crate::ui::screen::Handled;
use crate::ui::screen::paging::paged;
use crate::ui::screen::stats::model::State as StatsState;
use crate::ui::screen::stats::model::{StatsScreen, Window as StatsWindow};

/// `S`: opens the stats screen and asks for its report (computed off the UI thread).
pub(crate) fn open_stats(app: &mut App, window: StatsWindow) -> Vec<Request> {
    if app.config.is_none() {
        app.fail("stats need the configuration");
        return Vec::new();
    }
    let id = app.take_id();
    app.stats = Some(StatsScreen::new(id, window));
    vec![Request::Stats {
        id,
        since: window.since(app.now),
    }]
}

/// Keys of the stats screen, fixed like the help overlay's so it can always be read and
/// closed: Tab / l / h switch mailbox, w the window, r recomputes, j / k scroll, q / Esc / S
/// close, Ctrl-c quits.
pub(crate) fn stats_key(app: &mut App, k: &KeyEvent) -> Handled {
    let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
    let s = app.stats.as_mut()?;
    // g / G, pages and half pages, as in the reader (j / k below, as they were).
    if !matches!(
        k.code,
        KeyCode::Char('j' | 'k') | KeyCode::Down | KeyCode::Up
    ) {
        let (w, h) = app.size;
        let page = usize::from(h).saturating_sub(2).max(1);
        let len = model::lines(s, usize::from(w)).len();
        if let Some(to) = paged(k, s.scroll, len, page) {
            s.scroll = to;
            return Some(Vec::new());
        }
    }
    match k.code {
        KeyCode::Char('c') if ctrl => return Some(app.leave()),
        KeyCode::Char('q') | KeyCode::Char('S') | KeyCode::Esc => app.stats = None,
        KeyCode::Tab | KeyCode::Char('l') | KeyCode::Right => s.cycle_mailbox(false),
        KeyCode::BackTab | KeyCode::Char('h') | KeyCode::Left => s.cycle_mailbox(true),
        KeyCode::Char('j') | KeyCode::Down => {
            // The screen is drawn over every row but the status line.
            let (w, h) = app.size;
            s.scroll_down(usize::from(w), usize::from(h).saturating_sub(1));
        }
        KeyCode::Char('k') | KeyCode::Up => s.scroll = s.scroll.saturating_sub(1),
        KeyCode::Char('w') => {
            let (window, mailbox) = (s.window.next(), s.mailbox);
            let commands = open_stats(app, window);
            if let Some(s) = app.stats.as_mut() {
                s.mailbox = mailbox;
            }
            return Some(commands);
        }
        KeyCode::Char('r') => {
            let (window, mailbox) = (s.window, s.mailbox);
            let commands = open_stats(app, window);
            if let Some(s) = app.stats.as_mut() {
                s.mailbox = mailbox;
            }
            return Some(commands);
        }
        _ => return None,
    }
    Some(Vec::new())
}

/// The stats job's answer, if it is for the open screen.
pub(crate) fn on_stats(app: &mut App, id: u64, result: Result<Box<Report>, String>) -> bool {
    let Some(s) = app.stats.as_mut().filter(|s| s.id == id) else {
        return false;
    };
    s.state = match result {
        Ok(report) => StatsState::Ready(report),
        Err(e) => StatsState::Failed(sanitize::single_line(e.trim())),
    };
    true
}
