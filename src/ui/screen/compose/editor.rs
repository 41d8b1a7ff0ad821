//! The whole reply in `$EDITOR` (see `mail::editfile`): the pane's fields and its body with
//! the quote go out as one file; what comes back replaces them. The quote, once in the body,
//! is the agent's to trim or answer inline (the built-in editor too, after `unlock_quote`).
//! The signature and disclaimer stay out of it: the policy adds them when sending.

use crate::engine::Request;
use crate::mail::editfile::{self, Fields, Locked};
use crate::sanitize;
use crate::ui::app::App;
use crate::ui::screen::compose::model::{Compose, Field, Line};

/// The body with the quote below it (a blank line to write in above an empty body).
fn body_with_quote(c: &Compose) -> String {
    let body = c.body.text();
    match c.quoted() {
        None => body,
        Some(q) if body.trim().is_empty() => format!("\n\n{}", q.trim_end_matches('\n')),
        Some(q) => format!(
            "{}\n\n{}",
            body.trim_end_matches('\n'),
            q.trim_end_matches('\n')
        ),
    }
}

/// The editor file for the pane `c`.
pub(crate) fn file_of(c: &Compose) -> String {
    let fields = Fields {
        to: c.to.text.clone(),
        cc: c.cc.text.clone(),
        bcc: c.bcc.text.clone(),
        subject: c.subject.text.clone(),
    };
    let mut locked = Vec::new();
    if let Some(id) = c.identity() {
        let from = if id.from_name.is_empty() {
            id.from.clone()
        } else {
            format!("{} <{}>", id.from_name, id.from)
        };
        locked.push(Locked {
            name: "From",
            value: from,
        });
        if let Some(s) = &id.sender {
            locked.push(Locked {
                name: "Sender",
                value: s.clone(),
            });
        }
    }
    editfile::render(&fields, &locked, &body_with_quote(c))
}

/// Ctrl-e: the whole reply to `$EDITOR`; refused while the original is still loading (its
/// quote would come after the edit).
pub(crate) fn open_editor(app: &mut App) -> Vec<Request> {
    let Some(c) = &app.compose else {
        return Vec::new();
    };
    if c.awaiting.is_some() {
        app.fail("the original is still loading for the quote; try again in a moment");
        return Vec::new();
    }
    let text = file_of(c);
    app.edit(text)
}

/// Moves the locked quote into the body, where it can be edited (the built-in editor's
/// quote editing, and what every edit in `$EDITOR` does). False when there is none.
pub(crate) fn unlock_quote(c: &mut Compose) -> bool {
    if c.quoted().is_none() {
        return false;
    }
    let text = body_with_quote(c);
    let row = c.body.row;
    let col = c.body.col;
    c.body.set_text(&text);
    c.body.row = row.min(c.body.lines.len().saturating_sub(1));
    c.body.col = if c.body.row == row { col } else { 0 };
    c.plan.quoted = None;
    c.unsaved = true;
    true
}

/// The key that unlocks the quote for the built-in editor.
pub(crate) fn on_unlock_quote(app: &mut App) {
    let Some(c) = &mut app.compose else { return };
    if c.awaiting.is_some() {
        app.fail("the original is still loading for the quote; try again in a moment");
    } else if unlock_quote(c) {
        c.field = Field::Body;
        app.say("the quote is in the body now: trim it and answer inline");
    } else {
        app.say("there is no quote to edit");
    }
}

/// The editor's file came back: the body (with the quote) replaces the pane's body and quote;
/// the headers, when they parse, replace To, Cc, Bcc and Subject. A header the policy sets is
/// kept, and the status line says so.
pub(crate) fn on_edited_compose(app: &mut App, text: &str) {
    let Some(c) = &mut app.compose else { return };
    if text.trim().is_empty() {
        app.fail("the editor returned an empty file: nothing changed");
        return;
    }
    let parsed = editfile::parse(text);
    c.body.set_text(&parsed.body);
    c.plan.quoted = None;
    c.field = Field::Body;
    c.unsaved = true;
    let mut notes: Vec<String> = Vec::new();
    let from = c.identity().map(|i| i.from.clone()).unwrap_or_default();
    let sender = c.identity().and_then(|i| i.sender.clone());
    for (name, value) in &parsed.ignored {
        let kept = match *name {
            "From" => Some(from.as_str()),
            "Sender" => Some(sender.as_deref().unwrap_or("(no Sender)")),
            _ => None,
        };
        let address = value
            .rsplit_once('<')
            .and_then(|(_, a)| a.split_once('>'))
            .map_or(value.as_str(), |(a, _)| a)
            .trim();
        match kept {
            Some(k) if address.eq_ignore_ascii_case(k) => {}
            Some(k) => notes.push(format!("{name} is set by the team policy: kept {k}")),
            None => notes.push(format!("{name} cannot be set from the editor: ignored")),
        }
    }
    match parsed.fields {
        Ok(f) => {
            c.to = Line::new(&f.to);
            c.cc = Line::new(&f.cc);
            c.bcc = Line::new(&f.bcc);
            c.subject = Line::new(&f.subject);
            notes.insert(0, "reply reloaded from the editor".to_string());
            app.say(sanitize::single_line(&notes.join("; ")));
        }
        Err(e) => {
            notes.insert(
                0,
                format!("headers not changed ({e}); the text was reloaded"),
            );
            app.fail(sanitize::single_line(&notes.join("; ")));
        }
    }
}
