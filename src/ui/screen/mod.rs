//! The UI's screens, one module each, and the layer stack that orders them.

pub mod columns;
pub mod commands;
pub mod compose;
pub mod confirm;
pub mod drafts;
pub mod help;
pub mod list;
pub mod notes;
pub mod prompt;
pub mod reader;
pub mod stats;
pub mod status;
pub mod triage;

use crossterm::event::{KeyEvent, KeyEventKind};

use crate::triage::state::Action as TriageAction;
use crate::ui::app::App;
use crate::ui::compose::Kind;
use crate::ui::event::Command;
use crate::ui::keys::{Action, Context};
use crate::ui::prompt::{Prompt, PromptKind};
use crate::ui::screen::compose::compose_paste;
use crate::ui::screen::compose::{compose_key, open_compose};
use crate::ui::screen::confirm::confirm_key;
use crate::ui::screen::help::{Help, help_key};
use crate::ui::screen::list::{FlagKind, list_action, set_threads, toggle};
use crate::ui::screen::notes::{note_key, open_note};
use crate::ui::screen::prompt::live_filter;
use crate::ui::screen::prompt::prompt_key;
use crate::ui::screen::reader::{reader_action, save_prompt, set_reader_mode};
use crate::ui::screen::stats::{open_stats, stats_key};
use crate::ui::screen::triage::{set_view, triage, triage_prompt};
use crate::ui::stats::Window as StatsWindow;

pub(crate) fn on_key(app: &mut App, k: &KeyEvent) -> Vec<Command> {
    if k.kind == KeyEventKind::Release {
        return Vec::new();
    }
    if app.confirm.is_some() {
        return confirm_key(app, k);
    }
    if app.help.is_some() {
        return help_key(app, k);
    }
    if app.stats.is_some() {
        return stats_key(app, k);
    }
    if app.prompt.is_some() {
        return prompt_key(app, k);
    }
    if app.compose.is_some() {
        return compose_key(app, k);
    }
    if app.note.is_some() {
        return note_key(app, k);
    }
    let ctx = app.context();
    let Some(action) = app.keymap.lookup(ctx, k) else {
        return Vec::new();
    };
    app.dirty = true;
    if let Some(message) = action.reserved() {
        app.say(message);
        return Vec::new();
    }
    match action {
        Action::ForceQuit => vec![Command::Quit],
        Action::Help => {
            app.help = Some(Help {
                context: ctx,
                scroll: 0,
            });
            Vec::new()
        }
        Action::CommandLine => {
            app.prompt = Some(Prompt::new(PromptKind::Command, ""));
            Vec::new()
        }
        Action::ReaderLayout => {
            set_reader_mode(app, None);
            Vec::new()
        }
        Action::ToggleRead => toggle(app, FlagKind::Seen),
        Action::ToggleFlag => toggle(app, FlagKind::Flagged),
        Action::Threads => {
            set_threads(app, None);
            Vec::new()
        }
        Action::Save => {
            save_prompt(app);
            Vec::new()
        }
        Action::Compose => open_compose(app, Kind::New),
        Action::Reply => open_compose(app, Kind::Reply),
        Action::ReplyAll => open_compose(app, Kind::ReplyAll),
        Action::Forward => open_compose(app, Kind::Forward),
        Action::Claim => triage(app, TriageAction::Claim),
        Action::Pending => triage(app, TriageAction::Pending),
        Action::Done => triage(app, TriageAction::Done),
        Action::Reopen => triage(app, TriageAction::Reopen),
        Action::Assign => {
            triage_prompt(app, "assign ", "AGENT  (Tab completes from the team)");
            Vec::new()
        }
        Action::Snooze => {
            triage_prompt(
                app,
                "snooze ",
                "WHEN  30m | 4h | 2d | tomorrow | mon | 2026-12-01 09:00 (UTC)",
            );
            Vec::new()
        }
        Action::NextView => {
            set_view(app, None);
            Vec::new()
        }
        Action::Stats => open_stats(app, StatsWindow::default()),
        Action::Note => {
            open_note(app);
            Vec::new()
        }
        _ if ctx == Context::Reader => {
            reader_action(app, action);
            Vec::new()
        }
        _ => list_action(app, action),
    }
}

/// A paste goes to the topmost layer that edits text: the compose pane, the note pane or the
/// open line.
pub(crate) fn on_paste(app: &mut App, text: String) {
    if app.help.is_none() && app.prompt.is_none() && app.compose.is_some() {
        compose_paste(app, &text);
    } else if app.help.is_none()
        && app.prompt.is_none()
        && let Some(n) = &mut app.note
    {
        if n.saving.is_none() && n.ask.is_none() {
            n.body.insert(&text);
        }
        app.dirty = true;
    } else if let Some(p) = &mut app.prompt {
        p.insert(&text);
        if p.kind == PromptKind::Filter {
            live_filter(app);
        }
        app.dirty = true;
    }
}
