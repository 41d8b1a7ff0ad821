//! The UI's screens, one module each, and the layer stack that orders them.

pub(crate) mod bulk;
pub mod columns;
pub mod compose;
pub mod confirm;
pub mod drafts;
pub mod help;
pub mod list;
pub mod messages;
pub mod notes;
pub(crate) mod paging;
pub mod prompt;
pub mod read_state;
pub mod reader;
pub mod review;
pub mod stats;
pub mod status;
pub mod triage;

use crossterm::event::{KeyEvent, KeyEventKind};

use crate::engine::Request;
use crate::triage::state::Action as TriageAction;
use crate::ui::app::App;
use crate::ui::keys::{Action, Context};
use crate::ui::screen::compose::model::Kind;
use crate::ui::screen::compose::{compose_key, compose_paste, open_compose};
use crate::ui::screen::confirm::confirm_key;
use crate::ui::screen::help::{Help, help_key};
use crate::ui::screen::list::{FlagKind, list_action, set_threads, toggle};
use crate::ui::screen::notes::{note_key, open_note};
use crate::ui::screen::prompt::line::{Prompt, PromptKind};
use crate::ui::screen::prompt::{live_filter, prompt_key};
use crate::ui::screen::reader::{reader_action, save_prompt, set_reader_mode};
use crate::ui::screen::stats::model::Window as StatsWindow;
use crate::ui::screen::stats::{open_stats, stats_key};
use crate::ui::screen::triage::{set_view, triage, triage_prompt};

/// One layer of the screen. Layers stack: the topmost open one takes the keys, and the screen
/// is painted from the bottom up. A new pane is added here, in `layers`, and nowhere else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    /// The yes/no question (shown in the status line), which takes the next key.
    Confirm,
    /// The help overlay (`?`).
    Help,
    /// The `:messages` overlay: the last errors with their times.
    Messages,
    /// The stats screen (`S`), over everything but the status line.
    Stats,
    /// The `:drafts` pane.
    Drafts,
    /// The `:review` pane.
    Review,
    /// The open `:` or `/` line, in place of the status line.
    Prompt,
    /// The compose pane.
    Compose,
    /// The internal note pane (`n`).
    Note,
    /// The reader pane.
    Reader,
    /// The columns (and their tabs): always there, at the bottom.
    Columns,
}

/// The open layers, topmost first; the last is always `Layer::Columns`. Keys go to the first
/// that takes keys (`on_key`); drawing paints them in reverse order, bottom first.
pub fn layers(app: &App) -> Vec<Layer> {
    let open = [
        (Layer::Confirm, app.confirm.is_some()),
        (Layer::Help, app.help.is_some()),
        (Layer::Messages, app.status.view.is_some()),
        (Layer::Stats, app.stats.is_some()),
        (Layer::Drafts, app.drafts_pane.is_some()),
        (Layer::Review, app.review.is_some()),
        (Layer::Prompt, app.prompt.is_some()),
        (Layer::Compose, app.compose.is_some()),
        (Layer::Note, app.note.is_some()),
        (Layer::Reader, app.reader.is_some()),
        (Layer::Columns, true),
    ];
    open.into_iter()
        .filter_map(|(layer, on)| on.then_some(layer))
        .collect()
}

/// Where keys go below the overlays and the open line: the first editing pane, the reader or
/// the columns (see `App::context`).
pub(crate) fn context(app: &App) -> Context {
    for layer in layers(app) {
        match layer {
            // The note pane edits text as the compose pane does, with its keys.
            Layer::Compose | Layer::Note => return Context::Compose,
            Layer::Reader => return Context::Reader,
            Layer::Columns => return Context::List,
            Layer::Confirm
            | Layer::Help
            | Layer::Messages
            | Layer::Stats
            | Layer::Drafts
            | Layer::Review
            | Layer::Prompt => {}
        }
    }
    Context::List
}

/// What a handler of a key or an event did: `None` when it changed nothing on screen (a key
/// the layer does not take, a stale answer), so there is nothing to redraw; else the commands
/// it asks for (maybe none), and `update` redraws.
pub(crate) type Handled = Option<Vec<Request>>;

/// A key goes to the topmost layer; the editing panes and the question take every key.
pub(crate) fn on_key(app: &mut App, k: &KeyEvent) -> Handled {
    if k.kind == KeyEventKind::Release {
        return None;
    }
    match layers(app).first().copied().unwrap_or(Layer::Columns) {
        Layer::Confirm => confirm_key(app, k),
        Layer::Help => help_key(app, k),
        Layer::Messages => messages::messages_key(app, k),
        Layer::Stats => stats_key(app, k),
        Layer::Drafts => drafts::drafts_key(app, k),
        Layer::Review => review::review_key(app, k),
        Layer::Prompt => prompt_key(app, k),
        Layer::Compose => Some(compose_key(app, k)),
        Layer::Note => Some(note_key(app, k)),
        Layer::Reader | Layer::Columns => main_key(app, k),
    }
}

/// A key for the reader or the columns, through the keymap.
fn main_key(app: &mut App, k: &KeyEvent) -> Handled {
    let ctx = app.context();
    let action = app.keymap.lookup(ctx, k)?;
    Some(main_action(app, ctx, action))
}

/// What a bound key of the reader or the columns does.
fn main_action(app: &mut App, ctx: Context, action: Action) -> Vec<Request> {
    if let Some(message) = action.reserved() {
        app.say(message);
        return Vec::new();
    }
    match action {
        Action::ForceQuit => app.leave(),
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
        Action::Sort => {
            columns::sort_column(app, None);
            Vec::new()
        }
        Action::Save => {
            save_prompt(app);
            Vec::new()
        }
        Action::OpenExternal => crate::ui::screen::reader::open::open_key(app),
        Action::Compose => open_compose(app, Kind::New),
        Action::Reply => open_compose(app, Kind::Reply),
        Action::ReplyAll => open_compose(app, Kind::ReplyAll),
        Action::Forward => open_compose(app, Kind::Forward),
        Action::ForwardAttached => crate::ui::screen::compose::forward::open_attached(app),
        Action::Claim => triage(app, TriageAction::Claim),
        Action::Pending => triage(app, TriageAction::Pending),
        Action::Done => triage(app, TriageAction::Done),
        Action::Reopen => triage(app, TriageAction::Reopen),
        Action::Undo => crate::ui::undo::undo(app),
        Action::ToggleMark => {
            bulk::toggle_mark(app);
            Vec::new()
        }
        Action::MarkMatching => {
            let mut p = Prompt::new(PromptKind::Command, "mark ");
            p.hint = Some("QUERY  as :search (from:, subject:, status:, assigned:…)".into());
            app.prompt = Some(p);
            Vec::new()
        }
        Action::Assign => {
            triage_prompt(app, "assign ", "AGENT  (Tab completes from the team)");
            Vec::new()
        }
        Action::Snooze => {
            let tz = crate::triage::when::config_zone(app.config.as_deref());
            let examples = crate::triage::when::examples(app.now, &tz);
            triage_prompt(app, "snooze ", &examples);
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
        Action::NextMessage | Action::PrevMessage | Action::NextUnread
            if ctx == Context::Reader =>
        {
            crate::ui::screen::reader::navigate::navigate(app, action)
        }
        Action::NextEntry | Action::PrevEntry | Action::ToggleFold | Action::ToggleFoldAll
            if ctx == Context::Reader =>
        {
            crate::ui::screen::reader::conversation::on_key(app, action)
        }
        Action::ToggleFold | Action::ToggleFoldAll => {
            crate::ui::screen::list::fold(app, action == Action::ToggleFoldAll);
            Vec::new()
        }
        _ if ctx == Context::Reader => {
            reader_action(app, action);
            Vec::new()
        }
        _ => list_action(app, action),
    }
}

/// A paste goes to the topmost layer that edits text: the open line, the compose pane or the
/// note pane. The help overlay keeps it from the panes under it (not from the open line); the
/// question and the stats screen let it through.
pub(crate) fn on_paste(app: &mut App, text: String) -> bool {
    let mut under_help = false;
    for layer in layers(app) {
        match layer {
            Layer::Confirm | Layer::Stats | Layer::Messages => {}
            Layer::Help => under_help = true,
            Layer::Reader | Layer::Columns | Layer::Drafts => return false,
            Layer::Review => {
                // A paste goes into the note being typed, on one line.
                if let Some(n) = app.review.as_mut().and_then(|r| r.note.as_mut()) {
                    n.push_str(&crate::sanitize::single_line(
                        &text.replace(['\r', '\n'], " "),
                    ));
                    return true;
                }
                return false;
            }
            Layer::Prompt => {
                if let Some(p) = &mut app.prompt {
                    p.insert(&text);
                    if p.kind == PromptKind::Filter {
                        live_filter(app);
                    }
                }
                return true;
            }
            Layer::Compose if !under_help => {
                compose_paste(app, &text);
                return true;
            }
            Layer::Note if !under_help => {
                if let Some(n) = &mut app.note
                    && n.saving.is_none()
                    && n.ask.is_none()
                {
                    n.body.insert(&text);
                }
                return true;
            }
            Layer::Compose | Layer::Note => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::keys::Context;
    use crate::ui::theme::{BUILTIN, Theme};

    fn app() -> App {
        let theme = Theme::parse(BUILTIN[0].1, "default").expect("built-in theme");
        App::new(&[(0, "support".to_string())], theme, false)
    }

    #[test]
    fn the_columns_are_always_the_bottom_layer() {
        assert_eq!(layers(&app()), vec![Layer::Columns]);
    }

    #[test]
    fn layers_come_topmost_first_and_the_top_one_decides_the_keys() {
        let mut app = app();
        app.prompt = Some(Prompt::new(PromptKind::Command, ""));
        app.help = Some(Help {
            context: Context::List,
            scroll: 0,
        });
        assert_eq!(
            layers(&app),
            vec![Layer::Help, Layer::Prompt, Layer::Columns]
        );
        assert_eq!(context(&app), Context::List);
    }
}
