//! Internal notes: the note pane (`n`), adding a note and the notes that arrive.

pub mod draw;
pub mod model;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::engine::Request;
use crate::sanitize;
use crate::ui::app::App;
use crate::ui::keys::{Action, Context, Keymap};
use crate::ui::screen::confirm::quit;
use crate::ui::screen::help::Help;
use crate::ui::screen::notes::model::{Leave, NoteEditor, PendingNote, ReaderNotes};
use crate::ui::screen::triage::{triage_target, wake_snoozes};

/// The note pane's keys as bound now (the compose pane's): add, `$EDITOR`, close.
pub fn note_keys(keymap: &Keymap) -> (String, String, String) {
    let k = |a, default: &str| {
        keymap
            .first_key(Context::Compose, a)
            .unwrap_or_else(|| default.to_string())
    };
    (
        k(Action::Send, "Ctrl-x"),
        k(Action::Editor, "Ctrl-e"),
        k(Action::Cancel, "Ctrl-q"),
    )
}

/// `n`: opens the note pane on the open or selected message. Refused up front without the
/// `i` right (when the rights are known) or without a Message-ID to link the note to.
pub(crate) fn open_note(app: &mut App) {
    let Some((account_idx, uid)) = triage_target(app) else {
        app.say("no message selected");
        return;
    };
    let Some(c) = app.columns.iter().find(|c| c.account_idx == account_idx) else {
        return;
    };
    if let Some(rights) = c.rights.filter(|r| !r.has('i')) {
        let shown = rights.to_string();
        let message = format!(
            "{}: you may not add notes here: a note needs the `i` (insert) right (yours: {})",
            c.name,
            if shown.is_empty() { "none" } else { &shown }
        );
        app.fail(message);
        return;
    }
    let Some(row) = c.rows.by_uid(uid) else {
        app.fail("the message is no longer in the list");
        return;
    };
    let linkable = match row.message_id() {
        None => Err(crate::mail::note::NoteError::NoMessageId),
        Some(id) if !crate::mail::note::is_linkable_id(id) => Err(
            crate::mail::note::NoteError::BadMessageId(sanitize::single_line(id)),
        ),
        Some(_) => Ok(()),
    };
    if let Err(e) = linkable {
        let message = format!("{}: {e}", c.name);
        app.fail(message);
        return;
    }
    let mut n = NoteEditor::new(account_idx, uid, row.subject());
    n.message_id = row.message_id().map(str::to_string);
    app.note = Some(n);
    let (add, _, close) = note_keys(&app.keymap);
    app.say(format!(
        "internal note: {add} adds it to the notes folder, {close} closes; never sent"
    ));
}

/// Keys in the note pane: text into the body, the compose pane's keys for the rest. A lone Esc
/// never closes it, and closing with text asks first.
pub(crate) fn note_key(app: &mut App, k: &KeyEvent) -> Vec<Request> {
    let (width, _) = app.note_body_size();
    let action = app.keymap.lookup(Context::Compose, k);
    let plain = (k.modifiers - KeyModifiers::SHIFT).is_empty();
    let (add, editor, close) = note_keys(&app.keymap);
    let Some(n) = &mut app.note else {
        return Vec::new();
    };
    if let Some(leave) = n.ask.take() {
        if plain && matches!(k.code, KeyCode::Char('y' | 'Y')) {
            app.note = None;
            if leave == Leave::Quit {
                return quit(app);
            }
            app.say("note discarded");
        } else {
            app.say("kept: still writing the note");
        }
        return Vec::new();
    }
    if n.saving.is_some() {
        match action {
            Some(Action::ForceQuit) => return quit(app),
            Some(Action::Cancel) => {
                app.note = None;
                app.say("closed; the note is still being added: the answer comes here");
            }
            _ => app.say("adding the note…"),
        }
        return Vec::new();
    }
    match action {
        Some(Action::Send) => return add_note(app),
        Some(Action::Editor) => {
            let text = n.body.text();
            return app.edit(text);
        }
        Some(a @ (Action::Cancel | Action::ForceQuit)) => {
            let leave = if a == Action::Cancel {
                Leave::Close
            } else {
                Leave::Quit
            };
            if n.has_text() {
                n.ask = Some(leave);
                app.say(if leave == Leave::Quit {
                    "quit and discard this note? y discards it, any other key goes back"
                } else {
                    "discard this note? y discards it, any other key goes back"
                });
                return Vec::new();
            }
            app.note = None;
            if leave == Leave::Quit {
                return quit(app);
            }
            app.say("closed (nothing was written)");
            return Vec::new();
        }
        Some(Action::Help) => {
            app.help = Some(Help {
                context: Context::Compose,
                scroll: 0,
            });
            return Vec::new();
        }
        _ => {}
    }
    let b = &mut n.body;
    match k.code {
        KeyCode::Esc => app.say(format!(
            "Esc does nothing here: {add} adds the note, {editor} edits it in $EDITOR, {close} closes"
        )),
        KeyCode::Enter => b.newline(),
        KeyCode::Backspace => b.backspace(),
        KeyCode::Delete => b.delete(),
        KeyCode::Left => b.left(),
        KeyCode::Right => b.right(),
        KeyCode::Up => {
            b.vertical(false, width);
        }
        KeyCode::Down => {
            b.vertical(true, width);
        }
        KeyCode::Home => b.home(),
        KeyCode::End => b.end(),
        KeyCode::Tab => b.insert("\t"),
        KeyCode::Char(ch) if plain => b.insert(ch.encode_utf8(&mut [0; 4])),
        _ => {}
    }
    Vec::new()
}

/// The pane's add key: one `AddNote` to the account's worker; the pane waits for the answer
/// and keeps the text until then.
pub(crate) fn add_note(app: &mut App) -> Vec<Request> {
    let Some(n) = &app.note else {
        return Vec::new();
    };
    if !n.has_text() {
        let (_, _, close) = note_keys(&app.keymap);
        app.say(format!(
            "the note is empty: type it, or {close} closes the pane"
        ));
        return Vec::new();
    }
    let text = n.body.text();
    if text.len() > crate::mail::note::MAX_TEXT_BYTES {
        app.fail(
            crate::mail::note::NoteError::TooLong {
                max: crate::mail::note::MAX_TEXT_BYTES,
            }
            .to_string(),
        );
        return Vec::new();
    }
    let (account_idx, uid, subject) = (n.account_idx, n.uid, n.subject.clone());
    let message_id = n.message_id.clone();
    // The UID must still name the message the pane was opened on: after a mailbox reset it
    // may name another customer's message, and the note would be threaded to that one.
    let same = app
        .columns
        .iter()
        .find(|c| c.account_idx == account_idx)
        .and_then(|c| c.rows.by_uid(uid))
        .is_some_and(|s| s.message_id() == message_id.as_deref());
    if !same {
        let message = format!(
            "{}: note not added: the message it is on is no longer in the list as UID {uid} \
             (the text is kept: copy it, then close the pane)",
            app.column_name(account_idx)
        );
        app.fail(message);
        return Vec::new();
    }
    let id = app.take_id();
    if let Some(n) = &mut app.note {
        n.saving = Some(id);
    }
    app.pending_notes.insert(
        id,
        PendingNote {
            account_idx,
            uid,
            subject,
            message_id,
            text: text.clone(),
        },
    );
    let message = format!("{}: adding the note…", app.column_name(account_idx));
    app.say(message);
    vec![Request::AddNote {
        account_idx,
        id,
        uid,
        text,
    }]
}

/// The answer to an `AddNote`: done closes its pane and reads the open message's notes
/// again; a failure says why and keeps the text (in its pane, opened again if it was closed
/// and nothing else is being written).
pub(crate) fn note_added(
    app: &mut App,
    account_idx: usize,
    id: u64,
    uid: u32,
    result: Result<crate::engine::event::NoteAdded, String>,
) -> Vec<Request> {
    let pending = app.pending_notes.remove(&id);
    let name = app.column_name(account_idx).to_string();
    let ours = app.note.as_ref().is_some_and(|n| n.saving == Some(id));
    match result {
        Ok(added) => {
            if ours {
                app.note = None;
            }
            let at = added
                .note_uid
                .map(|u| format!(" (UID {u})"))
                .unwrap_or_default();
            app.say(format!(
                "{name}: note added to {}{at}",
                sanitize::single_line(&added.folder)
            ));
            match &app.reader {
                Some(r) if r.account_idx == account_idx && r.uid == uid => {
                    r.notes_command().into_iter().collect()
                }
                _ => Vec::new(),
            }
        }
        Err(e) => {
            let e = sanitize::single_line(e.trim());
            if ours {
                if let Some(n) = &mut app.note {
                    n.saving = None;
                }
                app.fail(format!("{name}: note not added: {e} (the text is kept)"));
            } else if let Some(p) = pending.filter(|_| app.note.is_none() && app.compose.is_none())
            {
                let mut n = NoteEditor::new(p.account_idx, p.uid, "");
                n.subject = p.subject;
                n.message_id = p.message_id;
                n.body.set_text(&p.text);
                app.note = Some(n);
                app.fail(format!(
                    "{name}: note not added: {e} (the text is back in the note pane)"
                ));
            } else {
                app.fail(format!("{name}: note not added: {e}"));
            }
            Vec::new()
        }
    }
}

/// Notes for a message: shown when it is the open one (a stale answer is dropped).
pub(crate) fn notes_arrived(
    app: &mut App,
    account_idx: usize,
    message_id: &str,
    result: Result<Vec<crate::mail::note::Note>, String>,
) -> bool {
    let (w, h) = app.reader_body_size();
    let Some(r) = &mut app.reader else {
        return false;
    };
    if r.account_idx != account_idx || r.notes_key() != Some(message_id) {
        return false;
    }
    r.notes = match result {
        Ok(mut list) => {
            list.sort_by_key(|n| (n.date, n.uid));
            ReaderNotes::Loaded(list)
        }
        Err(e) => ReaderNotes::Failed(sanitize::single_line(e.trim())),
    };
    r.rewrap(w);
    let s = r.scroll;
    r.scroll_to(s, h);
    true
}

/// Rows that arrived or changed may carry a snooze that has already ended (set by a client
/// whose clock ran ahead, or while every mailroom was closed): clear it now, not a tick later.
pub(crate) fn wake_if_overdue(app: &mut App, account_idx: usize) -> Vec<Request> {
    if app
        .columns
        .iter()
        .any(|c| c.account_idx == account_idx && c.counts.overdue > 0)
    {
        wake_snoozes(app, app.now)
    } else {
        Vec::new()
    }
}
