//! `:review`: the replies the team policy holds for review on the focused account, for
//! approvers (`engine::review`). The pane lists author, recipient, subject, age and state;
//! `Enter` opens one (its text), `a` approves it after a `y`, `e` edits the open item's text in
//! `$EDITOR` and then asks to approve it so, `r` returns it with a note typed in the pane, `R` reloads, `q`/`Esc` close (or go back from an open item). Every action is a
//! request to the engine; its answer comes back as `Event::Review`.

pub mod draw;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::engine::Request;
use crate::engine::pipeline::Outcome;
use crate::engine::review::{ItemState, Listed, ReviewAction, ReviewAnswer, approving_text};
use crate::mail::date;
use crate::sanitize;
use crate::ui::app::App;
use crate::ui::screen::Handled;
use crate::ui::screen::confirm::quit;

/// The open review pane.
#[derive(Debug, Clone, Default)]
pub struct ReviewPane {
    /// The request whose answer the pane waits for.
    pub id: u64,
    pub account_idx: usize,
    pub account: String,
    /// `None` while the list is being read.
    pub items: Option<Vec<Listed>>,
    pub selected: usize,
    /// The open item: its UID and readable text (`None` text while it is read).
    pub shown: Option<(u32, Option<String>)>,
    /// `r` asked for a note: the text typed so far.
    pub note: Option<String>,
    /// `a` asked to approve the selected item: `y` does.
    pub approving: bool,
    /// `e` handed the open item's text to `$EDITOR` (its UID).
    pub editing: Option<u32>,
    /// The text edited for the item (UID): `y` approves it with this text.
    pub edited: Option<(u32, String)>,
    /// Why the last request failed (one line).
    pub error: Option<String>,
}

fn request(app: &mut App, action: ReviewAction) -> Vec<Request> {
    let id = app.take_id();
    let Some(p) = app.review.as_mut() else {
        return Vec::new();
    };
    p.id = id;
    vec![Request::Review {
        id,
        account_idx: p.account_idx,
        action,
    }]
}

/// `:review`: opens the pane on the focused column's account and asks for its items.
pub(crate) fn open(app: &mut App) -> Vec<Request> {
    let Some(account_idx) = app.columns.get(app.focus).map(|c| c.account_idx) else {
        app.say("no account to review");
        return Vec::new();
    };
    let account = app
        .config
        .as_ref()
        .and_then(|c| c.accounts.get(account_idx))
        .map(|a| a.name.clone())
        .unwrap_or_default();
    app.review = Some(ReviewPane {
        account_idx,
        account,
        ..ReviewPane::default()
    });
    request(app, ReviewAction::List)
}

/// State, as a row shows it.
pub fn state_text(state: &ItemState) -> String {
    match state {
        ItemState::Waiting => "waiting".into(),
        ItemState::Approving { by, since } => approving_text(by, *since),
        ItemState::Returned { by: Some(by), .. } => format!("returned by {by}"),
        ItemState::Returned { by: None, .. } => "returned".into(),
    }
}

/// One item's row: author, recipient, subject, age, state (each one clean line).
pub fn row(l: &Listed, now: i64) -> [String; 5] {
    let to = match l.to.as_slice() {
        [] => "(no recipient)".to_string(),
        [one] => one.clone(),
        [one, rest @ ..] => format!("{one} +{}", rest.len()),
    };
    let subject = match l.subject.trim() {
        "" => "(no subject)".to_string(),
        s => s.to_string(),
    };
    [
        sanitize::single_line(&l.author),
        sanitize::single_line(&to),
        sanitize::single_line(&subject),
        date::age(now, l.held),
        sanitize::single_line(&state_text(&l.state)),
    ]
}

fn selected_uid(p: &ReviewPane) -> Option<u32> {
    p.items.as_ref()?.get(p.selected).map(|l| l.uid)
}

pub(crate) fn review_key(app: &mut App, k: &KeyEvent) -> Handled {
    let pane = app.review.as_mut()?;
    let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && k.code == KeyCode::Char('c') {
        return Some(quit(app));
    }
    if let Some(note) = &mut pane.note {
        match k.code {
            KeyCode::Esc => {
                pane.note = None;
                app.say("not returned");
            }
            KeyCode::Backspace => {
                note.pop();
            }
            KeyCode::Enter => {
                let text = note.trim().to_string();
                if text.is_empty() {
                    app.say("a returned reply needs a note");
                    return Some(Vec::new());
                }
                pane.note = None;
                let Some(uid) = pane.shown.as_ref().map(|s| s.0).or(selected_uid(pane)) else {
                    return Some(Vec::new());
                };
                app.say("returning…");
                return Some(request(app, ReviewAction::Return { uid, note: text }));
            }
            KeyCode::Char(c) if !ctrl && note.len() < crate::mail::review::MAX_NOTE_BYTES => {
                note.push(c);
            }
            _ => {}
        }
        return Some(Vec::new());
    }
    if pane.approving {
        pane.approving = false;
        let edited = pane.edited.take();
        if matches!(k.code, KeyCode::Char('y' | 'Y')) && !ctrl {
            if let Some((uid, text)) = edited {
                app.say("approving the edited reply…");
                return Some(request(app, ReviewAction::ApproveEdited { uid, text }));
            }
            let Some(uid) = pane.shown.as_ref().map(|s| s.0).or(selected_uid(pane)) else {
                return Some(Vec::new());
            };
            app.say("approving…");
            return Some(request(app, ReviewAction::Approve { uid }));
        }
        app.say("not approved");
        return Some(Vec::new());
    }
    let n = pane.items.as_ref().map_or(0, Vec::len);
    match k.code {
        KeyCode::Char('q') | KeyCode::Esc if pane.shown.is_some() => pane.shown = None,
        KeyCode::Char('q') | KeyCode::Esc => app.review = None,
        KeyCode::Char('j') | KeyCode::Down if !ctrl && n > 0 && pane.shown.is_none() => {
            pane.selected = (pane.selected + 1).min(n - 1)
        }
        KeyCode::Char('k') | KeyCode::Up if !ctrl && pane.shown.is_none() => {
            pane.selected = pane.selected.saturating_sub(1)
        }
        KeyCode::Enter if pane.shown.is_none() => {
            if let Some(uid) = selected_uid(pane) {
                pane.shown = Some((uid, None));
                return Some(request(app, ReviewAction::Show { uid }));
            }
        }
        KeyCode::Char('a') if !ctrl => {
            let Some(l) = pane.items.as_ref().and_then(|i| i.get(pane.selected)) else {
                return Some(Vec::new());
            };
            let [author, to, subject, ..] = row(l, app.now);
            // Cc and Bcc are not in the row nor in the open text: the approver is told of them.
            let also = match l.also.as_slice() {
                [] => String::new(),
                a => format!(" (also to {})", sanitize::single_line(&a.join(", "))),
            };
            pane.approving = true;
            app.say(format!(
                "approve and send {author}'s reply to {to}{also} \"{subject}\"? (y/n)"
            ));
        }
        KeyCode::Char('e') if !ctrl => {
            let Some((uid, Some(text))) = pane.shown.clone() else {
                app.say("e edits an open item: Enter opens it first");
                return Some(Vec::new());
            };
            pane.editing = Some(uid);
            return Some(app.edit(text));
        }
        KeyCode::Char('r') if !ctrl && selected_uid(pane).is_some() => {
            pane.note = Some(String::new());
        }
        KeyCode::Char('R') if !ctrl => {
            pane.shown = None;
            return Some(request(app, ReviewAction::List));
        }
        _ => app.say("review: Enter opens, a approves, r returns, q closes"),
    }
    Some(Vec::new())
}

/// Whether `$EDITOR`'s answer is the review pane's (`e`).
pub(crate) fn is_editing(app: &App) -> bool {
    app.review.as_ref().is_some_and(|p| p.editing.is_some())
}

/// `$EDITOR` is done with the open item's text: approving it with the edited text is asked
/// (`y`); an unchanged text changes nothing.
pub(crate) fn on_edited(app: &mut App, result: Result<String, String>) {
    let Some(pane) = app.review.as_mut() else {
        return;
    };
    let Some(uid) = pane.editing.take() else {
        return;
    };
    match result {
        Err(e) => app.fail(sanitize::single_line(&format!("editor: {e}"))),
        Ok(text) => {
            let before = pane.shown.as_ref().and_then(|s| s.1.as_deref());
            if before.is_some_and(|b| b.trim_end() == text.trim_end()) {
                app.say("unchanged: a approves the reply as written");
                return;
            }
            if let Some(shown) = &mut pane.shown {
                shown.1 = Some(text.clone());
            }
            pane.edited = Some((uid, text));
            pane.approving = true;
            app.say("approve and send the edited reply? (y/n)");
        }
    }
}

/// The engine's answer to the pane's request `id`.
pub(crate) fn on_review(
    app: &mut App,
    id: u64,
    account_idx: usize,
    result: Result<ReviewAnswer, String>,
) -> Handled {
    let pane = app
        .review
        .as_mut()
        .filter(|p| p.id == id && p.account_idx == account_idx)?;
    pane.error = None;
    let line = |s: String| sanitize::single_line(&s);
    match result {
        Err(e) => {
            let e = line(e);
            pane.error = Some(e.clone());
            if pane.shown.as_ref().is_some_and(|s| s.1.is_none()) {
                pane.shown = None;
            }
            app.fail(e);
            Some(Vec::new())
        }
        Ok(ReviewAnswer::Queue(queue, taken)) => {
            pane.selected = pane.selected.min(queue.items.len().saturating_sub(1));
            pane.items = Some(queue.items);
            // Written by the engine: the drafts pane and `:drafts N` know them at once.
            for t in &taken {
                app.drafts.retain(|d| d.id != t.draft_id);
                app.drafts.insert(0, t.draft.clone());
            }
            if let Some(t) = taken.first() {
                let by = t.by.as_deref().unwrap_or("an approver");
                app.say(line(format!(
                    "returned to your drafts by {by}: {} (note: {})",
                    t.subject, t.note
                )));
            }
            Some(Vec::new())
        }
        Ok(ReviewAnswer::Shown(l, text)) => {
            if pane.shown.as_ref().is_some_and(|s| s.0 == l.uid) {
                pane.shown = Some((l.uid, Some(text)));
            }
            Some(Vec::new())
        }
        Ok(ReviewAnswer::Approved(a)) => {
            pane.shown = None;
            let said = match &a.outcome {
                Outcome::Sent { message_id, .. } | Outcome::Submitted { message_id, .. } => {
                    format!("approved {}'s reply: sent <{message_id}>", a.author)
                }
                other => format!("approved {}'s reply: {other:?}", a.author),
            };
            app.say(line(said));
            Some(request(app, ReviewAction::List))
        }
        Ok(ReviewAnswer::Returned(l)) => {
            pane.shown = None;
            app.say(line(format!("returned to {}", l.author)));
            Some(request(app, ReviewAction::List))
        }
    }
}
