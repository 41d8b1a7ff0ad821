//! The compose pane flow: opening a reply or a new message, its keys, attachments, preview,
//! sending, autosave and drafts.

pub mod complete;
mod decoded;
pub mod draw;
pub mod editor;
pub mod forward;
pub mod model;
pub mod sending;
pub mod warn;

use std::path::PathBuf;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::config::Config;
use crate::engine::Request;
use crate::engine::compose::{AttachError, Built, PreviewError, Typed};
use crate::engine::event::Opened;
use crate::engine::reply;
use crate::message::Summary;
use crate::sanitize;
use crate::store::drafts;
use crate::triage::state::Action as TriageAction;
use crate::ui::app::App;
use crate::ui::keys::{Action, Context};
use crate::ui::screen::columns::replying_agent;
use crate::ui::screen::compose::model::{Compose, Field, Kind, Line, Preview};
use crate::ui::screen::compose::sending::{close_compose, confirm_send};
use crate::ui::screen::confirm::{Confirm, Confirmed, quit};
use crate::ui::screen::help::Help;
use crate::ui::screen::paging::paged;
use crate::ui::screen::reader::conversation::answered_question;
use crate::ui::screen::reader::{Body, MAX_BODY_BYTES, truncate};

/// Seconds between autosaves of a changed draft.
pub const AUTOSAVE_SECS: i64 = 5;

/// The message a reply or forward answers: the open one, else the selected row.
pub(crate) fn original(app: &App) -> Option<(usize, Summary, Option<String>)> {
    if let Some(r) = &app.reader {
        let row = app
            .columns
            .iter()
            .find(|c| c.account_idx == r.account_idx)
            .and_then(|c| c.rows.by_uid(r.uid))
            .cloned()?;
        let text = match &r.body {
            Body::Text(t) => Some(t.clone()),
            _ => None,
        };
        return Some((r.account_idx, row, text));
    }
    let c = app.columns.get(app.focus)?;
    c.selected_row().map(|s| (c.account_idx, s.clone(), None))
}

/// Header text from a message being answered: no control characters (a hostile subject must
/// not break the line or be refused as typed input).
pub(crate) fn header_text(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).collect()
}

/// The original's text arrived: the plan quotes it (reply) or forwards it.
pub(crate) fn set_quote(c: &mut Compose, text: &str) {
    c.plan.set_text(text);
}

/// What `engine::reply` plans for a pane of `kind`.
fn plan_kind(kind: Kind) -> reply::Kind {
    match kind {
        Kind::New => reply::Kind::New,
        Kind::Reply => reply::Kind::Reply,
        Kind::ReplyAll => reply::Kind::ReplyAll,
        Kind::Forward => reply::Kind::Forward,
    }
}

/// A compose pane for account `account_idx` with the plan of `engine::reply` (answering
/// `original`, whose text is `text` when known): the identities, the chosen one and why, the
/// signature, the refusal, threading and the quote.
pub(crate) fn new_compose(
    app: &mut App,
    config: &Config,
    account_idx: usize,
    kind: Kind,
    original: Option<Summary>,
    text: Option<&str>,
) -> Option<Compose> {
    let Some(account) = config.accounts.get(account_idx) else {
        app.fail("this column has no account to send from");
        return None;
    };
    let nanos =
        u128::try_from(app.now.max(0)).unwrap_or(0) * 1_000_000_000 + u128::from(app.take_id());
    let plan = reply::plan(config, account, plan_kind(kind), original, text);
    let mut c = Compose::new(
        account_idx,
        &account.name,
        kind,
        drafts::Drafts::new_id(&account.name, nanos),
        plan,
    );
    c.agent = config.agent.id.clone();
    c.policy_reason = account.policy_reason.clone();
    c.policy_version = account.policy_version;
    Some(c)
}

/// `c`, `r`, `R`, `f`: opens the compose pane (replies and forwards for the open message, else
/// the selected row). A reply or forward to a message a teammate is replying to (a "replying"
/// mark that is not stale) asks first.
pub(crate) fn open_compose(app: &mut App, kind: Kind) -> Vec<Request> {
    let Some(config) = app.config.clone() else {
        app.fail("composing needs the configuration (run mailroom with a config file)");
        return Vec::new();
    };
    let found = original(app);
    if matches!(kind, Kind::Reply | Kind::ReplyAll)
        && let Some((account_idx, o, _)) = &found
        && let Some(q) = crate::ui::screen::confirm::no_send_question(app, *account_idx, o.uid)
    {
        app.confirm = Some(q);
        return Vec::new();
    }
    if kind != Kind::New
        && let Some((account_idx, o, _)) = &found
        && let Some(question) = replying_question(app, *account_idx, o, kind)
            .or_else(|| answered_question(app, *account_idx, o, kind))
    {
        app.confirm = Some(Confirm {
            question,
            declined: format!("not opened: the {} was cancelled", kind.label()),
            then: Confirmed::Compose {
                kind,
                account_idx: *account_idx,
                uid: o.uid,
                whole: false,
            },
        });
        return Vec::new();
    }
    start_compose(app, &config, kind, found)
}

/// The question before answering `o` while teammates are replying to it (fresh marks only),
/// or `None` when nobody else is.
pub(crate) fn replying_question(
    app: &App,
    account_idx: usize,
    o: &Summary,
    kind: Kind,
) -> Option<String> {
    const NAMED: usize = 3;
    let c = app.columns.iter().find(|c| c.account_idx == account_idx)?;
    let me = app.agent_id.as_deref();
    let mut others: Vec<String> = Vec::new();
    for agent in o.keywords.iter().filter_map(|k| replying_agent(k)) {
        let agent = agent.to_ascii_lowercase();
        if me.is_some_and(|me| me.eq_ignore_ascii_case(&agent))
            || !crate::config::is_valid_agent_id(&agent)
            || others.contains(&agent)
            || c.replying_stale(o.uid, &agent)
        {
            continue;
        }
        others.push(agent);
    }
    let who = match others.as_slice() {
        [] => return None,
        [one] => format!("{one} is"),
        many if many.len() <= NAMED => format!("{} are", many.join(", ")),
        many => format!(
            "{} and {} more are",
            many[..NAMED].join(", "),
            many.len() - NAMED
        ),
    };
    let verb = match kind {
        Kind::Forward => "forward",
        Kind::ReplyAll => "reply to all",
        Kind::Reply | Kind::New => "reply",
    };
    Some(sanitize::single_line(&format!(
        "{who} replying to this message — {verb} anyway? (y/n)"
    )))
}

/// The message `uid` of `account_idx` as a reply answers it, with its text when it is open.
pub(crate) fn original_of(
    app: &App,
    account_idx: usize,
    uid: u32,
) -> Option<(usize, Summary, Option<String>)> {
    let row = app
        .columns
        .iter()
        .find(|c| c.account_idx == account_idx)?
        .rows
        .by_uid(uid)?
        .clone();
    let text = app
        .reader
        .as_ref()
        .filter(|r| r.account_idx == account_idx && r.uid == uid)
        .and_then(|r| match &r.body {
            Body::Text(t) => Some(t.clone()),
            _ => None,
        });
    Some((account_idx, row, text))
}

/// Sets or clears the agent's `$replying.<agent>` mark on a message, quietly: without an
/// agent id, or without the `w` right, nothing is sent and composing goes on.
pub(crate) fn mark_replying(app: &mut App, account_idx: usize, uid: u32, on: bool) -> Vec<Request> {
    if on {
        app.replying_mark = None;
    }
    let Some(agent) = app
        .agent_id
        .clone()
        .filter(|a| crate::config::is_valid_agent_id(a))
    else {
        return Vec::new();
    };
    let Some(c) = app.columns.iter().find(|c| c.account_idx == account_idx) else {
        return Vec::new();
    };
    if c.rights.is_some_and(|r| !r.has('w')) {
        return Vec::new();
    }
    let id = app.take_id();
    let action = TriageAction::Replying(on);
    app.pending_triage
        .insert(id, (account_idx, uid, action.clone()));
    if on {
        app.replying_mark = Some((account_idx, uid));
    }
    vec![Request::Triage {
        account_idx,
        id,
        uid,
        action,
        agent,
        message_id: None,
    }]
}

/// Clears the "replying" mark the open compose pane set, if it set one.
pub(crate) fn clear_replying(app: &mut App) -> Vec<Request> {
    match app.replying_mark.take() {
        Some((account_idx, uid)) => mark_replying(app, account_idx, uid, false),
        None => Vec::new(),
    }
}

/// Opens the compose pane of `kind` (answering `found` unless it is a new message) and marks
/// the message answered as being replied to.
pub(crate) fn start_compose(
    app: &mut App,
    config: &Config,
    kind: Kind,
    found: Option<(usize, Summary, Option<String>)>,
) -> Vec<Request> {
    start_compose_from(app, config, kind, found, None)
}

/// [`start_compose`] sending from account `send_from` when given (a forward of a message of an
/// account that may not send), else from the message's own account.
pub(crate) fn start_compose_from(
    app: &mut App,
    config: &Config,
    kind: Kind,
    found: Option<(usize, Summary, Option<String>)>,
    send_from: Option<usize>,
) -> Vec<Request> {
    let answered = found
        .as_ref()
        .filter(|_| kind != Kind::New)
        .map(|(a, o, _)| (*a, o.uid));
    let account_idx = match (&found, kind) {
        (Some((idx, _, _)), _) => *idx,
        (None, Kind::New) => match app.columns.get(app.focus) {
            Some(c) => c.account_idx,
            None => return Vec::new(),
        },
        (None, k) => {
            app.fail(format!("select a message first ({})", k.label()));
            return Vec::new();
        }
    };
    let (original, text) = match found.filter(|_| kind != Kind::New) {
        Some((_, o, text)) => (Some(o), text),
        None => (None, None),
    };
    let pane_account = send_from.unwrap_or(account_idx);
    let Some(mut c) = new_compose(app, config, pane_account, kind, original, text.as_deref())
    else {
        return Vec::new();
    };
    if pane_account != account_idx {
        c.awaiting_from = Some(account_idx);
    }
    let mut commands = Vec::new();
    if let Some(o) = &c.plan.original {
        let uid = o.uid;
        c.subject = Line::new(&header_text(&c.plan.subject));
        if kind == Kind::Forward {
            c.field = Field::To;
        } else {
            c.to = Line::new(&header_text(&c.plan.to.join(", ")));
            c.cc = Line::new(&header_text(&c.plan.cc.join(", ")));
            c.field = Field::Body;
        }
        // A forward fetches the original even when its text is known: its attachments come
        // with it (`forward::on_original`).
        if text.is_none() || kind == Kind::Forward {
            c.awaiting = Some(uid);
            commands.push(Request::Open { account_idx, uid });
        }
    }
    let note = match c.refused() {
        Some(why) => format!("{}: sending is refused: {why}", c.account),
        None => format!("{} from {}: {}", kind.label(), c.account, c.mode_line()),
    };
    app.compose = Some(c);
    app.say(note);
    if let Some((account_idx, uid)) = answered {
        commands.extend(mark_replying(app, account_idx, uid, true));
    }
    commands
}

/// Keys while the compose pane is open (below the help overlay).
pub(crate) fn compose_key(app: &mut App, k: &KeyEvent) -> Vec<Request> {
    let (width, _) = app.compose_body_size();
    let preview_page = app.help_height();
    let action = app.keymap.lookup(Context::Compose, k);
    if action == Some(Action::ForceQuit) {
        return quit(app);
    }
    let Some(c) = &mut app.compose else {
        return Vec::new();
    };
    let plain = (k.modifiers - KeyModifiers::SHIFT).is_empty();
    // The confirmation: y sends, n (or Esc, Ctrl-q) goes back to editing.
    if let Some(p) = &mut c.preview {
        let mut note = None;
        // g / G, pages and half pages, as in the reader.
        let paged_to = paged(k, p.scroll, p.shown().len(), preview_page);
        match k.code {
            KeyCode::Char('y' | 'Y') if plain => return confirm_send(app),
            KeyCode::Char('n' | 'N') | KeyCode::Esc => {
                c.preview = None;
                note = Some("not sent; still editing");
            }
            // The second view: exactly the bytes transmitted; b again, the text.
            KeyCode::Char('b') if plain => {
                p.exact = !p.exact;
                p.scroll = 0;
                note = Some(if p.exact {
                    "the exact bytes transmitted: b shows the text"
                } else {
                    "the message as it will read: b shows the exact bytes"
                });
            }
            _ if paged_to.is_some() => p.scroll = paged_to.unwrap_or(p.scroll),
            _ if action == Some(Action::Cancel) => {
                c.preview = None;
                note = Some("not sent; still editing");
            }
            _ => {
                note = Some(
                    "send this message? y sends, n goes back to editing, b shows the exact bytes",
                )
            }
        }
        if let Some(p) = &mut c.preview {
            p.scroll = p.scroll.min(p.shown().len().saturating_sub(1));
        }
        if let Some(n) = note {
            app.say(n);
        }
        return Vec::new();
    }
    // The Ctrl-t line: a path to attach, or -N to remove attachment N.
    if let Some(line) = &mut c.attach_line {
        match k.code {
            KeyCode::Enter => {
                let text = line.text.trim().to_string();
                c.attach_line = None;
                return attach(app, &text);
            }
            KeyCode::Esc => c.attach_line = None,
            KeyCode::Tab => return complete_path(app),
            KeyCode::Char('t') if k.modifiers.contains(KeyModifiers::CONTROL) => {
                return complete_path(app);
            }
            KeyCode::Backspace => line.backspace(),
            KeyCode::Left => line.left(),
            KeyCode::Right => line.right(),
            KeyCode::Char(ch) if plain => {
                let _ = line.insert("Attach", ch.encode_utf8(&mut [0; 4]));
            }
            _ => {}
        }
        return Vec::new();
    }
    if c.sending {
        app.say("sending…: the answer comes in the status line");
        return Vec::new();
    }
    if c.previewing.is_some() && action != Some(Action::Cancel) {
        app.say("building the preview…");
        return Vec::new();
    }
    match action {
        Some(Action::Send) => return preview(app),
        Some(Action::Editor) => return editor::open_editor(app),
        Some(Action::EditQuote) => {
            editor::on_unlock_quote(app);
            return Vec::new();
        }
        Some(a @ (Action::NextFrom | Action::PrevFrom)) => {
            if !c.cycle_from(a == Action::PrevFrom) {
                let why = c.refused().unwrap_or_default();
                app.fail(format!("sending is refused: {why}"));
            } else {
                c.unsaved = true;
                let line = c.mode_line();
                app.say(format!("From: {line}"));
            }
            return Vec::new();
        }
        Some(Action::Attach) => {
            c.attach_line = Some(Line::default());
            app.say("attach: type a path and Enter; -N removes attachment N; Esc cancels");
            return Vec::new();
        }
        Some(Action::Cancel) => return close_compose(app),
        Some(Action::Help) => {
            app.help = Some(Help {
                context: Context::Compose,
                scroll: 0,
            });
            return Vec::new();
        }
        _ => {}
    }
    if let Some(requests) = complete_address(app, k, action) {
        return requests;
    }
    let Some(c) = &mut app.compose else {
        return Vec::new();
    };
    c.completing = None;
    let field = c.field;
    match k.code {
        KeyCode::Tab => c.field = field.next(false),
        KeyCode::BackTab => c.field = field.next(true),
        KeyCode::Esc => {
            app.say("Esc does nothing here: Ctrl-q closes (the draft is kept), Ctrl-x sends");
        }
        _ if field == Field::Body => {
            let before = c.body.clone();
            match k.code {
                KeyCode::Enter => c.body.newline(),
                KeyCode::Backspace => c.body.backspace(),
                KeyCode::Delete => c.body.delete(),
                KeyCode::Left => c.body.left(),
                KeyCode::Right => c.body.right(),
                KeyCode::Up => {
                    // Up from the first visual row goes to the Subject.
                    let moved = c.body.vertical(false, width);
                    if !moved {
                        c.field = Field::Subject;
                    }
                }
                KeyCode::Down => {
                    c.body.vertical(true, width);
                }
                KeyCode::Home => c.body.home(),
                KeyCode::End => c.body.end(),
                KeyCode::Char(ch) if plain => c.body.insert(ch.encode_utf8(&mut [0; 4])),
                _ => {}
            }
            if c.body.lines != before.lines {
                c.unsaved = true;
            }
        }
        _ => {
            let Some(line) = c.line_mut(field) else {
                return Vec::new();
            };
            let before = line.text.clone();
            let mut refused = None;
            let mut go = None;
            match k.code {
                KeyCode::Enter | KeyCode::Down => go = Some(field.next(false)),
                KeyCode::Up => go = Some(field.next(true)),
                KeyCode::Backspace => line.backspace(),
                KeyCode::Delete => line.delete(),
                KeyCode::Left => line.left(),
                KeyCode::Right => line.right(),
                KeyCode::Home => line.cursor = 0,
                KeyCode::End => line.cursor = line.text.len(),
                KeyCode::Char(ch) if plain => {
                    refused = line
                        .insert(field.label(), ch.encode_utf8(&mut [0; 4]))
                        .err();
                }
                _ => {}
            }
            let changed = line.text != before;
            if changed {
                c.unsaved = true;
            }
            if let Some(f) = go {
                c.field = f;
            }
            if let Some(e) = refused {
                app.fail(sanitize::single_line(&e));
            }
        }
    }
    Vec::new()
}

/// A paste (bracketed): text into the body; a header field refuses line breaks.
pub(crate) fn compose_paste(app: &mut App, text: &str) {
    let Some(c) = &mut app.compose else { return };
    if c.preview.is_some() || c.sending || c.previewing.is_some() {
        return;
    }
    if let Some(line) = &mut c.attach_line {
        let _ = line.insert("Attach", text.trim());
        return;
    }
    let field = c.field;
    match c.line_mut(field) {
        None => c.body.insert(text),
        Some(line) => {
            if let Err(e) = line.insert(field.label(), text) {
                app.fail(format!(
                    "{} (nothing was pasted)",
                    sanitize::single_line(&e)
                ));
                return;
            }
        }
    }
    c.unsaved = true;
}

/// Enter on the `Ctrl-t` line: `-N` removes attachment N; a path (`~` is the home folder)
/// goes to the engine, which checks that it is a file (see [`on_attached`]).
pub(crate) fn attach(app: &mut App, text: &str) -> Vec<Request> {
    let Some(c) = &mut app.compose else {
        return Vec::new();
    };
    if text.is_empty() {
        return Vec::new();
    }
    if let Some(n) = text.strip_prefix('-') {
        match n.parse::<usize>() {
            Ok(n) if n > c.attachments.len() && n - c.attachments.len() <= c.forwarded.len() => {
                let a = c.forwarded.remove(n - c.attachments.len() - 1);
                c.unsaved = true;
                app.say(format!("removed {}", sanitize::single_line(&a.file_name)));
            }
            Ok(n) if n >= 1 && n <= c.attachments.len() => {
                let p = c.attachments.remove(n - 1);
                c.unsaved = true;
                app.say(format!(
                    "removed {}",
                    sanitize::single_line(&p.display().to_string())
                ));
            }
            _ => app.fail(format!("no attachment {}", sanitize::single_line(n))),
        }
        return Vec::new();
    }
    let path = match app.save_dirs.home.as_ref() {
        Some(home) if text == "~" || text.starts_with("~/") => {
            home.join(text.trim_start_matches('~').trim_start_matches('/'))
        }
        _ => PathBuf::from(text),
    };
    c.attaching.push(path.clone());
    vec![Request::Attach {
        draft_id: c.draft_id.clone(),
        path,
    }]
}

/// The engine's answer to [`attach`]: the file is attached, or the agent is told why not.
/// The file itself is read when the preview is built.
pub(crate) fn on_attached(
    app: &mut App,
    draft_id: &str,
    path: PathBuf,
    result: Result<(), AttachError>,
) -> bool {
    let Some(c) = app.compose.as_mut().filter(|c| c.draft_id == draft_id) else {
        return false;
    };
    let Some(i) = c.attaching.iter().position(|p| *p == path) else {
        return false;
    };
    c.attaching.remove(i);
    let shown = sanitize::single_line(&path.display().to_string());
    match result {
        Ok(()) => {
            c.attachments.push(path);
            c.unsaved = true;
            app.say(format!("attached {shown}"));
        }
        Err(AttachError::NoSuchFile { .. }) => app.fail(format!("{shown}: no such file")),
        Err(e) => app.fail(sanitize::single_line(&e.to_string())),
    }
    true
}

/// Ctrl-x: asks the engine to build the message exactly as it will be transmitted (it reads
/// the attachments); [`on_previewed`] shows it for confirmation.
pub(crate) fn preview(app: &mut App) -> Vec<Request> {
    if app.config.is_none() {
        return Vec::new();
    }
    let Some(c) = &app.compose else {
        return Vec::new();
    };
    if let Some(why) = c.refused() {
        app.fail(format!("sending is refused: {why}"));
        return Vec::new();
    }
    if c.awaiting.is_some() {
        app.fail("the original is still loading for the quote; try again in a moment");
        return Vec::new();
    }
    if !c.attaching.is_empty() {
        app.fail("an attachment is still being checked; try again in a moment");
        return Vec::new();
    }
    if c.identity().is_none() {
        app.fail("no identity to send from");
        return Vec::new();
    }
    let id = app.take_id();
    let now = std::time::UNIX_EPOCH + Duration::from_secs(u64::try_from(app.now).unwrap_or(0));
    let Some(c) = &mut app.compose else {
        return Vec::new();
    };
    let typed = Typed {
        plan: c.plan.clone(),
        to: c.to.text.clone(),
        cc: c.cc.text.clone(),
        bcc: c.bcc.text.clone(),
        subject: c.subject.text.clone(),
        text: c.body.text(),
        attachments: c.attachments.clone(),
        forwarded: c.forwarded.clone(),
        now,
    };
    c.previewing = Some(id);
    vec![Request::Preview {
        id,
        typed: Box::new(typed),
    }]
}

/// The engine's answer to [`preview`] `id`: the exact message, shown for confirmation, or
/// why it cannot be sent.
pub(crate) fn on_previewed(
    app: &mut App,
    id: u64,
    result: Result<Box<Built>, PreviewError>,
) -> bool {
    let Some(c) = app.compose.as_mut().filter(|c| c.previewing == Some(id)) else {
        return false;
    };
    c.previewing = None;
    match result {
        Ok(built) => {
            let Built { outgoing, identity } = *built;
            c.preview = Some(Preview::new(outgoing, identity));
            app.say("this is what will be sent: y sends, n goes back, b shows the exact bytes");
        }
        Err(e) => app.fail(format!(
            "not sent: {}",
            sanitize::single_line(&e.to_string())
        )),
    }
    true
}

/// The external editor's text, for the compose or the note pane.
pub(crate) fn on_edited(app: &mut App, result: Result<String, String>) {
    match result {
        Ok(text) => {
            if app.compose.is_some() {
                editor::on_edited_compose(app, &text);
            } else if let Some(n) = &mut app.note {
                n.body.set_text(text.trim_end_matches('\n'));
                app.say("note reloaded from the editor");
            }
        }
        Err(e) => app.fail(format!("editor: {}", sanitize::single_line(e.trim()))),
    }
}

/// The original's body, for the quote of a reply waiting for it.
pub(crate) fn on_quote(
    app: &mut App,
    account_idx: usize,
    uid: u32,
    body: &Result<Opened, String>,
) -> bool {
    if let Some(c) = &mut app.compose
        && c.awaiting_from.unwrap_or(c.account_idx) == account_idx
        && c.awaiting == Some(uid)
    {
        c.awaiting = None;
        match body {
            Ok(o) => {
                let (text, _) = truncate(o.text.clone(), MAX_BODY_BYTES);
                set_quote(c, &sanitize::multi_line(&text));
                if let Some(note) = forward::on_original(c, o) {
                    app.say(note);
                }
            }
            Err(e) => {
                let e = sanitize::single_line(e.trim());
                app.fail(format!("the original could not be read for the quote: {e}"));
            }
        }
        return true;
    }
    false
}

/// `Tab` or `Ctrl-t` in the attach line: completes the path typed (`complete::path`).
fn complete_path(app: &mut App) -> Vec<Request> {
    let Some(line) = app.compose.as_mut().and_then(|c| c.attach_line.as_mut()) else {
        return Vec::new();
    };
    let (text, names) = complete::path(&line.text);
    if text.chars().count() <= crate::mail::header::MAX_FIELD_CHARS {
        *line = Line::new(&text);
    }
    match names.len() {
        0 => app.say("attach: no file matches"),
        1 => {}
        n => {
            let shown: Vec<String> = names
                .iter()
                .take(complete::MAX_CANDIDATES)
                .map(|n| sanitize::single_line(n))
                .collect();
            app.say(format!("attach: {n} match: {}", shown.join("  ")));
        }
    }
    Vec::new()
}

/// The completion keys in To, Cc or Bcc (`complete`): the completion key starts or cycles a
/// completion (and asks the address book), `CompletePrev` cycles back; while one is open
/// `Down`/`Up` cycle too, `Enter` accepts and `Esc` puts back what was typed. `None`: the key
/// is not the completion's (an open completion then keeps its choice).
fn complete_address(app: &mut App, k: &KeyEvent, action: Option<Action>) -> Option<Vec<Request>> {
    let c = app.compose.as_mut()?;
    if !matches!(c.field, Field::To | Field::Cc | Field::Bcc) {
        return None;
    }
    let open = c.completing.as_ref().is_some_and(|o| o.field == c.field);
    if open {
        match k.code {
            KeyCode::Enter => {
                c.completing = None;
                app.say("address accepted");
                return Some(Vec::new());
            }
            KeyCode::Esc => {
                complete::cancel(c);
                app.say("completion undone");
                return Some(Vec::new());
            }
            _ => {}
        }
    }
    let back = match (action, k.code) {
        (Some(Action::Complete), _) => false,
        (Some(Action::CompletePrev), _) if open => true,
        (_, KeyCode::Down) if open => false,
        (_, KeyCode::Up) if open => true,
        _ => return None,
    };
    let book = app
        .config
        .as_ref()
        .map(|cfg| cfg.compose.address_book_command.clone())
        .unwrap_or_default();
    let id = if book.is_empty() || open {
        0
    } else {
        app.take_id()
    };
    let account_idx = app.compose.as_ref()?.account_idx;
    // The Sent folder's recipients count as uses: read once per account, on the first
    // completion (this one ranks without them).
    let mut requests = Vec::new();
    if let std::collections::hash_map::Entry::Vacant(e) = app.sent_recipients.entry(account_idx) {
        e.insert(None);
        requests.push(Request::SentRecipients { account_idx });
    }
    let c = app.compose.as_mut()?;
    let rows = app
        .columns
        .iter()
        .find(|col| col.account_idx == account_idx)
        .map(|col| &col.rows);
    let sent = app
        .sent_recipients
        .get(&account_idx)
        .and_then(Option::as_deref)
        .unwrap_or_default();
    match complete::tab(c, rows, sent, &book, id, back) {
        complete::Tabbed::Nothing if requests.is_empty() => None,
        complete::Tabbed::Nothing => {
            // Tab still moves on; the request goes out.
            c.completing = None;
            if k.code == KeyCode::Tab {
                c.field = c.field.next(false);
            }
            Some(requests)
        }
        complete::Tabbed::Open { said, ask } => {
            c.unsaved = true;
            app.say(said);
            requests.extend(ask.map(|(argv, query)| Request::AddressBook { id, argv, query }));
            Some(requests)
        }
    }
}

/// The address book's answer to request `id`: merged into the open completion, or why the
/// program gave none (the completion from the account's mail stays).
pub(crate) fn on_address_book(
    app: &mut App,
    id: u64,
    result: Result<
        Vec<crate::engine::address_book::Entry>,
        crate::engine::address_book::AddressBookError,
    >,
) -> bool {
    let Some(c) = app.compose.as_mut() else {
        return false;
    };
    let waiting = c.completing.as_ref().is_some_and(|o| o.asking == Some(id));
    if !waiting {
        return false;
    }
    match result {
        Ok(entries) => {
            complete::on_book(c, id, &entries);
            let said = match &c.completing {
                Some(open) if !open.candidates.is_empty() => format!(
                    "{} address{} (Tab/Shift-Tab cycle, Enter accepts)",
                    open.candidates.len(),
                    if open.candidates.len() == 1 { "" } else { "es" }
                ),
                _ => "no address matches".to_string(),
            };
            app.say(said);
        }
        Err(e) => {
            complete::on_book(c, id, &[]);
            app.fail(crate::sanitize::single_line(&e.to_string()));
        }
    }
    true
}
