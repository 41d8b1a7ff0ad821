//! Notifications: new mail in a column, or a message a teammate assigned to the agent, while
//! mailroom runs (seen through the engine's live updates).
//!
//! - **When**: a column is *armed* by its first `Synced` (IMAP) or `Loaded` (Maildir): the rows
//!   of the cache and of the first sync never notify. After that, a row with a UID above the
//!   highest the column has seen, not `\Seen`, with an arrival time (INTERNALDATE) no earlier
//!   than [`SKEW_SECS`] before the column was armed, is new mail (old mail moved or copied in,
//!   un-archived or reopened from a folder, is not). A flag change that makes an unassigned or
//!   a teammate's message the agent's (`$assigned.<me>`) is an assignment — unless this client asked for it (a claim, `A` to oneself). A `Reset` (UIDVALIDITY)
//!   disarms the column until it is synced again.
//! - **Highlight**: such a row is drawn with the theme's `row_new` style and a `*` in its gutter
//!   until it is seen: opened in the reader, marked read (by anyone), or selected with a key in
//!   the column view and left selected for [`REST_SECS`] (a row that arrives under a resting
//!   selection stays highlighted: nobody may be looking).
//! - **Title** (`ui.notify.title`): "mailroom — N unread" (every column's unread count), then
//!   " · K new (support, sales)" while rows are highlighted: numbers and the account names of
//!   the configuration only, never message text.
//! - **Alerts**: one per batch of new mail (or assignment), written by the run loop through
//!   `ui::terminal`: the bell (`ui.notify.bell`), an OSC 9 or 777 desktop notification
//!   (`ui.notify.osc`), and the `ui.notify.command` program run by the engine.

pub mod draw;
pub mod escape;

use std::collections::{HashMap, HashSet};

use crate::config::notify::Notify as Settings;
use crate::engine::notify::NotifyCommand;
use crate::engine::{Event as EngineEvent, Request};
use crate::message::Summary;
use crate::sanitize;
use crate::triage::state::{Action as TriageAction, state};
use crate::ui::app::App;
use crate::ui::screen::{Handled, Layer, layers};

/// Seconds a highlighted row must stay selected in the column view to count as seen.
pub const REST_SECS: i64 = 2;
/// How much earlier than the moment a column was armed a new row's arrival time may be (the
/// server's clock and ours differ).
pub const SKEW_SECS: i64 = 3600;

/// Why a notification was raised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    New,
    Assigned,
}

/// One notification, for the bell, the desktop notification and the command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    pub why: Why,
    /// The account's name (from the configuration).
    pub account: String,
    /// The newest message's sender and subject, sanitized.
    pub from: String,
    pub subject: String,
    /// How many messages it stands for.
    pub count: usize,
}

impl Alert {
    /// The desktop notification's text.
    pub fn body(&self) -> String {
        let what = match (self.why, self.count) {
            (Why::Assigned, _) => "assigned to you".to_string(),
            (Why::New, 1) => "new mail".to_string(),
            (Why::New, n) => format!("{n} new messages"),
        };
        format!("{}: {what}: {} — {}", self.account, self.from, self.subject)
    }
}

/// The notification state of the UI.
#[derive(Debug, Clone, Default)]
pub struct Notify {
    /// Armed columns: account → (the highest UID seen, when it was armed: Unix seconds).
    armed: HashMap<usize, (u32, i64)>,
    /// Highlighted rows: (account, UID).
    fresh: HashSet<(usize, u32)>,
    /// Assignments this client made itself (claims), so their echo does not notify.
    own: HashSet<(usize, u32)>,
    /// The highlighted row selected in the column view, and since when.
    resting: Option<(usize, u32, i64)>,
    /// The row the last key left selected in the column view.
    keyed: Option<(usize, u32)>,
    /// Alerts for the run loop to write (bell, OSC).
    alerts: Vec<Alert>,
    /// The last title built, and the one still to be written.
    title: Option<String>,
    title_out: Option<String>,
    /// Every alert raised, for tests and the count on the status line.
    raised: usize,
}

impl Notify {
    /// Whether row `uid` of account `account_idx` is highlighted as new.
    pub fn is_new(&self, account_idx: usize, uid: u32) -> bool {
        !self.fresh.is_empty() && self.fresh.contains(&(account_idx, uid))
    }

    /// How many rows are highlighted.
    pub fn new_count(&self) -> usize {
        self.fresh.len()
    }

    /// How many notifications were raised since start.
    pub fn raised(&self) -> usize {
        self.raised
    }

    /// The title to write, once (the run loop writes it through `ui::terminal`).
    pub fn take_title(&mut self) -> Option<String> {
        self.title_out.take()
    }

    /// The alerts to write, once.
    pub fn take_alerts(&mut self) -> Vec<Alert> {
        std::mem::take(&mut self.alerts)
    }
}

fn settings(app: &App) -> Settings {
    app.config
        .as_ref()
        .map(|c| c.ui.notify.clone())
        .unwrap_or_default()
}

fn is_mine(keywords: &[impl AsRef<str>], me: &str) -> bool {
    state(keywords)
        .assigned
        .is_some_and(|a| a.eq_ignore_ascii_case(me))
}

/// Looks at an engine event before it is applied (a flag change is compared with the row as it
/// was); returns the notify command to run, if any.
pub(crate) fn observe(app: &mut App, event: &EngineEvent) -> Option<Vec<Request>> {
    match event {
        EngineEvent::Rows { account_idx, rows } => on_rows(app, *account_idx, rows),
        EngineEvent::Synced { account_idx, .. } | EngineEvent::Loaded { account_idx } => {
            arm(app, *account_idx);
            None
        }
        EngineEvent::Reset { account_idx, .. } => {
            let a = *account_idx;
            app.notify.armed.remove(&a);
            app.notify.fresh.retain(|(x, _)| *x != a);
            app.notify.own.retain(|(x, _)| *x != a);
            None
        }
        EngineEvent::Vanished { account_idx, uids } => {
            for u in uids {
                app.notify.fresh.remove(&(*account_idx, *u));
            }
            None
        }
        EngineEvent::Flags {
            account_idx,
            updates,
        } => on_flags(app, *account_idx, updates),
        EngineEvent::TriageDone {
            account_idx,
            id,
            uid,
            result: Ok(_),
        } => {
            let me = app.agent_id.clone().unwrap_or_default();
            if let Some((_, _, action)) = app.pending_triage.get(id)
                && claims(action, &me)
            {
                app.notify.own.insert((*account_idx, *uid));
            }
            None
        }
        _ => None,
    }
}

/// Whether `action` makes the message the agent's.
fn claims(action: &TriageAction, me: &str) -> bool {
    match action {
        TriageAction::Claim => true,
        TriageAction::Assign(a) => a.eq_ignore_ascii_case(me),
        _ => false,
    }
}

fn arm(app: &mut App, account_idx: usize) {
    if app.notify.armed.contains_key(&account_idx) {
        return;
    }
    let top = app
        .columns
        .iter()
        .find(|c| c.account_idx == account_idx)
        .and_then(|c| c.rows.iter().map(|s| s.uid).max())
        .unwrap_or(0);
    app.notify.armed.insert(account_idx, (top, app.now));
}

fn on_rows(app: &mut App, account_idx: usize, rows: &[Summary]) -> Option<Vec<Request>> {
    let (top, since) = *app.notify.armed.get(&account_idx)?;
    let highest = rows.iter().map(|s| s.uid).max().unwrap_or(0).max(top);
    app.notify.armed.insert(account_idx, (highest, since));
    // Without a clock yet (no tick), every arrival time is recent enough.
    let earliest = if since > 0 {
        since - SKEW_SECS
    } else {
        i64::MIN
    };
    let new: Vec<&Summary> = rows
        .iter()
        .filter(|s| s.uid > top && !s.flags.seen && !s.flags.deleted && s.internal_date >= earliest)
        .collect();
    if new.is_empty() {
        return None;
    }
    for s in &new {
        app.notify.fresh.insert((account_idx, s.uid));
    }
    let newest = new
        .iter()
        .max_by_key(|s| (s.internal_date, s.uid))
        .copied()?;
    Some(raise(app, account_idx, Why::New, newest, new.len()))
}

fn on_flags(
    app: &mut App,
    account_idx: usize,
    updates: &[crate::imap::sync::FlagUpdate],
) -> Option<Vec<Request>> {
    for u in updates.iter().filter(|u| u.flags.seen) {
        app.notify.fresh.remove(&(account_idx, u.uid));
    }
    if !app.notify.armed.contains_key(&account_idx) {
        return None;
    }
    let me = app.agent_id.clone()?;
    let column = app.columns.iter().find(|c| c.account_idx == account_idx)?;
    let mut assigned: Vec<Summary> = Vec::new();
    for u in updates {
        let Some(row) = column.rows.by_uid(u.uid) else {
            continue;
        };
        if is_mine(&row.keywords, &me) || !is_mine(&u.keywords, &me) {
            continue;
        }
        let asked = app
            .pending_triage
            .values()
            .any(|(a, uid, action)| *a == account_idx && *uid == u.uid && claims(action, &me));
        if asked || app.notify.own.contains(&(account_idx, u.uid)) {
            continue;
        }
        assigned.push(row.clone());
    }
    for (a, uid) in updates
        .iter()
        .filter(|u| is_mine(&u.keywords, &me))
        .map(|u| (account_idx, u.uid))
    {
        app.notify.own.remove(&(a, uid));
    }
    let newest = assigned
        .iter()
        .max_by_key(|s| (s.internal_date, s.uid))?
        .clone();
    for s in &assigned {
        app.notify.fresh.insert((account_idx, s.uid));
    }
    Some(raise(
        app,
        account_idx,
        Why::Assigned,
        &newest,
        assigned.len(),
    ))
}

/// Records one notification: an alert for the terminal and the command to run.
fn raise(app: &mut App, account_idx: usize, why: Why, s: &Summary, count: usize) -> Vec<Request> {
    let set = settings(app);
    let from = s
        .from()
        .next()
        .map(|a| match a.name {
            Some(n) if !n.trim().is_empty() => format!("{} <{}>", n.trim(), a.email),
            _ => a.email.to_string(),
        })
        .unwrap_or_default();
    let alert = Alert {
        why,
        account: app.column_name(account_idx).to_string(),
        from: sanitize::single_line(&from),
        subject: sanitize::single_line(s.subject()),
        count,
    };
    app.notify.raised += 1;
    let mut asks = Vec::new();
    if let Some(argv) = set.command.filter(|c| !c.is_empty()) {
        let mut argv = argv;
        argv.extend([
            alert.account.clone(),
            alert.from.clone(),
            alert.subject.clone(),
        ]);
        asks.push(Request::Notify(Box::new(NotifyCommand {
            argv,
            kind: match why {
                Why::New => "new",
                Why::Assigned => "assigned",
            },
            count,
        })));
    }
    if set.bell || set.osc != crate::config::notify::Osc::Off {
        app.notify.alerts.push(alert);
    }
    asks
}

/// A handler's answer with the notify commands added; a notification redraws (highlight).
pub(crate) fn join(handled: Handled, asks: Option<Vec<Request>>) -> Handled {
    match asks {
        None => handled,
        Some(asks) => {
            let mut all = handled.unwrap_or_default();
            all.extend(asks);
            Some(all)
        }
    }
}

/// The highlighted row selected in the column view, when only the column view is open.
fn selected_fresh(app: &App) -> Option<(usize, u32)> {
    if app.notify.fresh.is_empty() || layers(app).first() != Some(&Layer::Columns) {
        return None;
    }
    let c = app.columns.get(app.focus)?;
    let uid = c.selected_row()?.uid;
    let sel = (c.account_idx, uid);
    (app.notify.is_new(c.account_idx, uid) && app.notify.keyed == Some(sel)).then_some(sel)
}

/// Whether the clock should tick every second: a highlighted row is selected.
pub(crate) fn needs_clock(app: &App) -> bool {
    selected_fresh(app).is_some()
}

/// The clock: a highlighted row selected for `REST_SECS` has been seen.
pub(crate) fn tick(app: &mut App, now: i64) {
    let Some((a, uid)) = selected_fresh(app) else {
        app.notify.resting = None;
        return;
    };
    match app.notify.resting {
        Some((ra, ru, since)) if ra == a && ru == uid => {
            if now - since >= REST_SECS {
                app.notify.fresh.remove(&(a, uid));
                app.notify.resting = None;
            }
        }
        _ => app.notify.resting = Some((a, uid, now)),
    }
}

/// After every event (`key`: a key press): the open message has been seen; the row a key
/// selected is noted; the title follows the counts.
pub(crate) fn settle(app: &mut App, key: bool) {
    if key {
        app.notify.keyed = app
            .columns
            .get(app.focus)
            .and_then(|c| Some((c.account_idx, c.selected_row()?.uid)));
    }
    if let Some(r) = &app.reader {
        let key = (r.account_idx, r.uid);
        app.notify.fresh.remove(&key);
    }
    // Read in place: this runs after every event.
    if app.config.as_ref().is_some_and(|c| !c.ui.notify.title) {
        return;
    }
    let text = title_text(app);
    if app.notify.title.as_deref() != Some(text.as_str()) {
        app.notify.title = Some(text.clone());
        app.notify.title_out = Some(text);
    }
}

/// "mailroom — 12 unread", then " · 2 new (support, sales)" while rows are highlighted. Only
/// numbers and the configured account names.
pub fn title_text(app: &App) -> String {
    let unread: usize = app.columns.iter().map(|c| c.unread).sum();
    let mut t = format!("mailroom — {unread} unread");
    let n = app.notify.fresh.len();
    if n > 0 {
        let names: Vec<&str> = app
            .columns
            .iter()
            .filter(|c| app.notify.fresh.iter().any(|(a, _)| *a == c.account_idx))
            .map(|c| c.name.as_str())
            .collect();
        t.push_str(&format!(" · {n} new ({})", names.join(", ")));
    }
    t
}

#[cfg(test)]
mod tests;
