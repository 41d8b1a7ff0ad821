//! The `:` and `/` line: its keys, completion sources and the live filter. The line model is
//! `line`, the `:` commands `commands`, the bottom line's drawing `draw`.

pub mod commands;
pub mod draw;
pub mod line;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::engine::Request;
use crate::ui::app::App;
use crate::ui::keys::{Action, Context};
use crate::ui::screen::Handled;
use crate::ui::screen::prompt::commands::run_command;
use crate::ui::screen::prompt::line::{Prompt, PromptKind, Sources};
use crate::ui::screen::triage::known_agents;
use crate::ui::theme::BUILTIN;

/// The names `:theme` completes to and accepts.
pub(crate) fn builtin_themes() -> Vec<String> {
    BUILTIN.iter().map(|(n, _)| (*n).to_string()).collect()
}

/// What completion offers: the columns' accounts and the built-in themes.
pub(crate) fn sources(app: &App) -> Sources {
    Sources {
        accounts: app.columns.iter().map(|c| c.name.clone()).collect(),
        themes: builtin_themes(),
        attachments: app.reader.as_ref().map_or(0, |r| r.attachments.len()),
        agents: known_agents(app),
    }
}

pub(crate) fn prompt_key(app: &mut App, k: &KeyEvent) -> Handled {
    let action = app.keymap.lookup(Context::Command, k);
    let mut p = app.prompt.take()?;
    let history = match p.kind {
        PromptKind::Command => &app.command_history,
        PromptKind::Filter => &app.filter_history,
    };
    let text_before = p.text.clone();
    if let Some(why) = p.inert.clone() {
        match action {
            Some(Action::ForceQuit) => return Some(app.leave()),
            // Enter on a line with nothing to act on closes it, unless what it waited for has
            // come (the message finished loading with attachments).
            Some(Action::Execute) if !crate::ui::screen::reader::save_possible(app) => {
                app.say(format!("nothing done: {why}"));
                return Some(Vec::new());
            }
            Some(Action::Cancel) => return Some(Vec::new()),
            _ => {}
        }
    }
    match action {
        Some(Action::ForceQuit) => return Some(app.leave()),
        Some(Action::Execute) => return Some(finish_prompt(app, p)),
        Some(Action::Cancel) => {
            cancel_prompt(app, p);
            return Some(Vec::new());
        }
        Some(Action::Complete) if p.kind == PromptKind::Command => {
            p.complete(&sources(app), false);
        }
        Some(Action::CompletePrev) if p.kind == PromptKind::Command => {
            p.complete(&sources(app), true);
        }
        Some(Action::HistoryPrev) => p.history_prev(history),
        Some(Action::HistoryNext) => p.history_next(history),
        Some(Action::CursorLeft) => p.left(),
        Some(Action::CursorRight) => p.right(),
        Some(Action::LineStart) => p.home(),
        Some(Action::LineEnd) => p.end(),
        Some(Action::DeleteBack) => p.delete_back(),
        Some(Action::DeleteForward) => p.delete_forward(),
        Some(Action::DeleteWord) => p.delete_word(),
        Some(Action::DeleteToStart) => p.delete_to_start(),
        Some(_) => {}
        None => {
            // Typed text: a character without Ctrl or Alt (Shift makes capitals). Alt-x is
            // what a slow link makes of Esc then x: dropped rather than typed.
            let plain = (k.modifiers - KeyModifiers::SHIFT).is_empty();
            match k.code {
                KeyCode::Char(c) if plain => p.insert(c.encode_utf8(&mut [0; 4])),
                _ => {
                    app.prompt = Some(p);
                    return None;
                }
            }
        }
    }
    let changed = p.text != text_before;
    let kind = p.kind;
    app.prompt = Some(p);
    if changed && kind == PromptKind::Filter {
        live_filter(app);
    }
    Some(Vec::new())
}

/// The `/` line's text is the focused column's filter, as it is typed.
pub(crate) fn live_filter(app: &mut App) {
    let text = app
        .prompt
        .as_ref()
        .filter(|p| p.kind == PromptKind::Filter)
        .map(|p| p.text.clone());
    if let Some(text) = text {
        set_filter(app, &text);
    }
}

pub(crate) fn set_filter(app: &mut App, text: &str) {
    let h = app.list_height();
    if let Some(c) = app.columns.get_mut(app.focus) {
        c.filter = (!text.trim().is_empty()).then(|| text.to_string());
        c.refilter(h);
    }
}

/// Enter: runs the command, or keeps the filter.
pub(crate) fn finish_prompt(app: &mut App, p: Prompt) -> Vec<Request> {
    match p.kind {
        PromptKind::Command => {
            app.command_history.push(&p.text);
            run_command(app, &p.text)
        }
        PromptKind::Filter => {
            app.filter_history.push(&p.text);
            Vec::new()
        }
    }
}

/// Esc: closes the line. What was typed stays as the newest history entry, so a lone Esc
/// (or one that a slow link split from an arrow key) never loses it; Up brings it back. In the
/// filter line, Esc also clears the filter.
pub(crate) fn cancel_prompt(app: &mut App, p: Prompt) {
    // A line a key opened with a command in it (`A`: `assign `) and left as it was holds
    // nothing typed: nothing to keep.
    if p.kind == PromptKind::Command && p.untouched() && !p.text.is_empty() {
        return;
    }
    match p.kind {
        PromptKind::Command => app.command_history.push(&p.text),
        PromptKind::Filter => {
            app.filter_history.push(&p.text);
            set_filter(app, "");
        }
    }
    if !p.text.trim().is_empty() {
        app.say(format!(
            "{}{} kept in the history: {} then Up brings it back",
            p.kind.prefix(),
            p.text.trim(),
            p.kind.prefix()
        ));
    }
}
