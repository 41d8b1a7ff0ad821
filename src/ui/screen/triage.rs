//! Triage (claim, pending, done, assign, snooze) from the columns and the reader.

use crate::backend::FlagChange;
use crate::config::View;
use crate::engine::Request;
use crate::sanitize;
use crate::triage::act::{ActError, Applied};
use crate::triage::state::Action as TriageAction;
use crate::triage::view::describe_in;
use crate::ui::app::App;
use crate::ui::screen::prompt::line::{Prompt, PromptKind};

/// The message a triage key acts on: the open one, else the selected row.
pub(crate) fn triage_target(app: &App) -> Option<(usize, u32)> {
    match &app.reader {
        Some(r) => Some((r.account_idx, r.uid)),
        None => app
            .columns
            .get(app.focus)
            .and_then(|c| c.selected_row().map(|s| (c.account_idx, s.uid))),
    }
}

/// Sends a triage action for the open or selected message to its account's worker, which
/// applies it atomically; the answer (`TriageDone`) says who won a race. Refused up front
/// without the `w` right, as the server would (or would silently ignore it).
pub(crate) fn triage(app: &mut App, action: TriageAction) -> Vec<Request> {
    if !matches!(action, TriageAction::Replying(_))
        && let Some((account_idx, uids)) = crate::ui::screen::bulk::marked(app)
    {
        return bulk_triage(app, account_idx, uids, action);
    }
    let Some((account_idx, uid)) = triage_target(app) else {
        app.say("no message selected");
        return Vec::new();
    };
    if let Some(why) = triage_refused(app, account_idx, action.name()) {
        app.fail(why);
        return Vec::new();
    }
    if let Some(q) = crate::ui::screen::confirm::triage_question(app, account_idx, uid, &action) {
        app.confirm = Some(q);
        return Vec::new();
    }
    triage_on(app, account_idx, uid, action)
}

/// Sends triage `action` for message `uid` of `account_idx` (checked and, where it takes a
/// teammate's message, confirmed).
pub(crate) fn triage_on(
    app: &mut App,
    account_idx: usize,
    uid: u32,
    action: TriageAction,
) -> Vec<Request> {
    let (Some(agent), Some(c)) = (
        app.agent_id.clone(),
        app.columns.iter().find(|c| c.account_idx == account_idx),
    ) else {
        return Vec::new();
    };
    let message_id = c
        .rows
        .by_uid(uid)
        .and_then(|s| s.message_id())
        .map(str::to_string);
    if !matches!(action, TriageAction::Replying(_)) {
        let tz = crate::triage::when::config_zone(app.config.as_deref());
        let message = format!("{}: {}…", c.name, triage_verb(&action, &tz));
        app.say(message);
    }
    let id = app.take_id();
    app.pending_triage
        .insert(id, (account_idx, uid, action.clone()));
    if !matches!(action, TriageAction::Replying(_)) {
        app.undo.expect(action.name(), &[id], false);
    }
    vec![Request::Triage {
        account_idx,
        id,
        uid,
        action,
        agent,
        message_id,
    }]
}

/// A triage action over the marked rows of a column: one request per message, answered in one
/// summary line and undone as one step. The marks are cleared once sent.
fn bulk_triage(
    app: &mut App,
    account_idx: usize,
    uids: Vec<u32>,
    action: TriageAction,
) -> Vec<Request> {
    if let Some(why) = triage_refused(app, account_idx, action.name()) {
        app.fail(why);
        return Vec::new();
    }
    let (Some(agent), Some(c)) = (
        app.agent_id.clone(),
        app.columns.iter().find(|c| c.account_idx == account_idx),
    ) else {
        return Vec::new();
    };
    let targets: Vec<(u32, Option<String>)> = uids
        .iter()
        .map(|&uid| {
            let id = c.rows.by_uid(uid).and_then(|s| s.message_id());
            (uid, id.map(str::to_string))
        })
        .collect();
    let tz = crate::triage::when::config_zone(app.config.as_deref());
    let message = format!(
        "{}: {} {} messages…",
        c.name,
        triage_verb(&action, &tz),
        targets.len()
    );
    app.say(message);
    let mut requests = Vec::new();
    let mut ids = Vec::new();
    for (uid, message_id) in targets {
        let id = app.take_id();
        app.pending_triage
            .insert(id, (account_idx, uid, action.clone()));
        ids.push(id);
        requests.push(Request::Triage {
            account_idx,
            id,
            uid,
            action: action.clone(),
            agent: agent.clone(),
            message_id,
        });
    }
    app.undo.expect(action.name(), &ids, true);
    crate::ui::screen::bulk::clear_marks(app);
    requests
}

/// Why the agent may not `action` a message of `account_idx`: no agent id, or no `w` right
/// (unknown rights are no reason: the worker checks them).
pub(crate) fn triage_refused(app: &App, account_idx: usize, action: &str) -> Option<String> {
    if app.agent_id.is_none() {
        return Some(
            "no agent id is configured ([agent] id): triage needs to know who you are".into(),
        );
    }
    let c = app.columns.iter().find(|c| c.account_idx == account_idx)?;
    let rights = c.rights.filter(|r| !r.has('w'))?;
    let shown = rights.to_string();
    Some(format!(
        "{}: you may not {action} here: triage needs the `w` right (yours: {})",
        c.name,
        if shown.is_empty() { "none" } else { &shown }
    ))
}

/// "claiming", "marking done"…: what the status line says while the worker is at it.
/// A snooze's wake time is in `tz`, the agent's zone.
pub(crate) fn triage_verb(action: &TriageAction, tz: &jiff::tz::TimeZone) -> String {
    match action {
        TriageAction::Claim => "claiming".into(),
        TriageAction::Assign(a) => format!("assigning to {}", sanitize::single_line(a)),
        TriageAction::Unassign => "unassigning".into(),
        TriageAction::Pending => "marking pending".into(),
        TriageAction::Done => "marking done".into(),
        TriageAction::Reopen => "reopening".into(),
        TriageAction::Snooze(until) => {
            format!(
                "snoozing until {}",
                crate::triage::when::local_minute(*until, tz)
            )
        }
        TriageAction::Replying(_) => "marking the reply".into(),
    }
}

pub(crate) fn triage_done(
    app: &mut App,
    account_idx: usize,
    id: u64,
    uid: u32,
    result: Result<Applied, ActError>,
) {
    let asked = app.pending_triage.remove(&id);
    let name = app.column_name(account_idx).to_string();
    let quiet = matches!(asked, Some((_, _, TriageAction::Replying(_))));
    let item = result
        .as_ref()
        .ok()
        .and_then(|a| crate::ui::undo::item_of(account_idx, a));
    if let Some(item) = &item {
        show_state(app, item);
    }
    if app.undo.is_bulk(id) {
        let answer = match &result {
            Ok(_) => Ok(item),
            Err(e) => Err(format!(
                "UID {uid}: {}",
                sanitize::single_line(e.to_string().trim())
            )),
        };
        if let Some(done) = app.undo.answered(id, answer) {
            let line = format!("{name}: {}", done.line());
            if done.refused.is_empty() {
                app.say(line);
            } else {
                app.fail(line);
            }
        }
        return;
    }
    app.undo.answered(id, Ok(item));
    match result {
        Ok(applied) if !quiet => {
            app.say(format!(
                "{name}: {} UID {uid}: {}",
                applied.action,
                describe_in(
                    &applied.after,
                    &crate::triage::when::config_zone(app.config.as_deref())
                )
            ));
        }
        Ok(_) => {}
        // A "replying" mark is a courtesy to the team: where it cannot be kept (no `w` right,
        // no keywords, the message is gone) composing goes on without a word.
        Err(
            ActError::NoRight(_)
            | ActError::NotStored(_)
            | ActError::NeedsKeywords(_)
            | ActError::NoMessage(_),
        ) if quiet => {}
        Err(e) if quiet => {
            let on = matches!(asked, Some((_, _, TriageAction::Replying(true))));
            app.notice = Some(format!(
                "{name}: the \"replying\" mark on UID {uid} was not {}: {}",
                if on { "set" } else { "cleared" },
                sanitize::single_line(e.to_string().trim())
            ));
        }
        Err(ActError::Lost { winner }) => app.fail(format!(
            "{name}: claim lost: {} was first (UID {uid})",
            sanitize::single_line(&winner)
        )),
        Err(e) => {
            let what = asked.map_or("triage", |(_, _, a)| a.name());
            app.fail(format!(
                "{name}: {what} UID {uid} failed: {}",
                sanitize::single_line(e.to_string().trim())
            ));
        }
    }
}

/// The row shows the state the action left at once (the sync that says so comes later), so
/// an undo right after compares with it.
fn show_state(app: &mut App, item: &crate::ui::undo::Item) {
    use crate::triage::undo::{is_team_keyword, keywords_for, same};
    let Some(now) = app
        .columns
        .iter()
        .find(|c| c.account_idx == item.account_idx)
        .and_then(|c| c.rows.by_uid(item.uid))
        .map(|s| s.keywords.to_vec())
    else {
        return;
    };
    if same(&crate::triage::state::state(&now), &item.after) {
        return;
    }
    let mut k: Vec<String> = now.into_iter().filter(|k| !is_team_keyword(k)).collect();
    k.extend(keywords_for(&item.after));
    crate::ui::undo::show_keywords(app, item.account_idx, item.uid, k);
}

/// Clears the keywords of snoozes that have ended, in every column the agent may change.
/// Every running mailroom does this, so a snoozed message comes back even when the agent
/// who snoozed it is away; clearing twice is harmless.
pub(crate) fn wake_snoozes(app: &mut App, now: i64) -> Vec<Request> {
    let h = app.list_height();
    let mut due = Vec::new();
    for c in &mut app.columns {
        c.set_now(now, h);
        if c.counts.overdue == 0 || c.rights.is_some_and(|r| !r.has('w')) {
            continue;
        }
        let ended = crate::triage::view::due_snoozes(c.overdue_rows(), now, &c.wake_times);
        for (uid, keywords) in ended {
            if app.wake_refused.contains(&(c.account_idx, uid))
                || app
                    .waking
                    .values()
                    .any(|(a, u, _)| *a == c.account_idx && *u == uid)
            {
                continue;
            }
            // At once, as a toggled flag is: a tick between the store's answer and the sync
            // that brings the new keywords must not ask again.
            c.edit_row(uid, |row| {
                row.keywords.retain(|k| !keywords.iter().any(|x| x == k))
            });
            due.push((c.account_idx, uid, keywords));
        }
    }
    let mut commands = Vec::new();
    for (account_idx, uid, keywords) in due {
        let id = app.take_id();
        app.waking.insert(id, (account_idx, uid, keywords.clone()));
        commands.push(Request::Store {
            account_idx,
            id,
            uid,
            change: FlagChange {
                remove_keywords: keywords,
                ..FlagChange::default()
            },
            guard: None,
        });
    }
    commands
}

/// `V` and `:view`: the focused column's team view, the next one when none is named.
pub(crate) fn set_view(app: &mut App, view: Option<View>) {
    let h = app.list_height();
    let Some(c) = app.columns.get_mut(app.focus) else {
        return;
    };
    let view = view.unwrap_or_else(|| c.team_view.next());
    c.set_team_view(view, h);
    let message = match view {
        View::Due if c.sla.is_none() => format!(
            "{}: due (no first-response target: the team policy sets no [sla])",
            c.name
        ),
        // It moves with the clock: what the column shows now.
        View::Due => format!("{}: due ({} of {})", c.name, c.shown_len(), c.counts.all),
        _ => format!(
            "{}: {} ({} of {})",
            c.name,
            view.name(),
            c.counts.get(view),
            c.counts.all
        ),
    };
    app.say(message);
}

/// `A` and `z`: the `:` line with the command typed and what it takes; refused at once
/// when there is nothing to act on, or when the agent may not act on it.
pub(crate) fn triage_prompt(app: &mut App, command: &str, hint: &str) {
    let Some((account_idx, _)) = triage_target(app) else {
        app.say("no message selected");
        return;
    };
    // Refused before anything is typed, as the key itself would be; the line still opens,
    // inert and saying why, so that what the agent types next lands there and leaves with it
    // instead of running as keys.
    if let Some(why) = triage_refused(app, account_idx, command.trim()) {
        let mut p = Prompt::new(PromptKind::Command, command);
        p.hint = Some(crate::ui::screen::prompt::line::inert_hint(&why));
        p.inert = Some(why.clone());
        app.prompt = Some(p);
        app.fail(why);
        return;
    }
    let mut p = Prompt::new(PromptKind::Command, command);
    p.hint = Some(hint.to_string());
    app.prompt = Some(p);
}

/// Agents `A` completes to: the roster (`[team] agents`), then every agent seen in an
/// `$assigned.*` or `$replying.*` keyword of a loaded row.
pub(crate) fn known_agents(app: &App) -> Vec<String> {
    let mut agents: Vec<String> = app
        .config
        .as_ref()
        .map(|c| c.team.agents.clone())
        .unwrap_or_default();
    let mut seen = std::collections::BTreeSet::new();
    for c in &app.columns {
        for s in &c.rows {
            let t = crate::triage::state::state(&s.keywords);
            seen.extend(t.assigned);
            seen.extend(t.replying);
        }
    }
    for a in seen {
        if crate::config::is_valid_agent_id(&a) && !agents.contains(&a) {
            agents.push(a);
        }
    }
    agents
}

/// The reader's "Team" line follows the message's keywords while it is open (a triage key in
/// the reader, or a teammate's change).
pub(crate) fn refresh_reader_team(app: &mut App, account_idx: usize) {
    let Some(r) = &app.reader else { return };
    if r.account_idx != account_idx {
        return;
    }
    let uid = r.uid;
    let tz = crate::triage::when::config_zone(app.config.as_deref());
    let Some(text) = app
        .columns
        .iter()
        .find(|c| c.account_idx == account_idx)
        .and_then(|c| Some((c.rows.by_uid(uid)?, &c.wake_times)))
        .map(|(s, wakes)| describe_in(&crate::triage::view::team_state(s, wakes), &tz))
    else {
        return;
    };
    if let Some(r) = &mut app.reader
        && let Some(h) = r.headers.iter_mut().find(|(l, _)| *l == "Team")
    {
        h.1 = text;
    }
}
