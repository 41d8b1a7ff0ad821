//! The help overlay (`?`): its lines from the keymap and its keys.

pub mod draw;

use std::sync::OnceLock;

use crossterm::event::KeyEvent;
use ratatui::layout::Rect;

use crate::ui::app::App;
use crate::ui::keys::{Action, Context, Keymap};
use crate::ui::layout;
use crate::ui::screen::Handled;
use crate::ui::screen::confirm::quit;
use crate::ui::screen::prompt::commands::COMMANDS;
use crate::ui::wrap::{cells, wrap};

/// The help overlay: the keys of the context it was opened from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Help {
    pub context: Context,
    pub scroll: usize,
}

/// How many lines the help overlay of `ctx` has (see `help_lines`).
/// The rows the overlay shows for `ctx` in an overlay `width` cells wide inside its border.
pub(crate) fn help_lines_len(keymap: &Keymap, ctx: Context, width: usize) -> usize {
    help_rows(&help_lines(keymap, ctx), width).0.len()
}

/// Cells inside the overlay's border on a screen of `area`.
pub(crate) fn inner_width(area: Rect) -> usize {
    usize::from(layout::help_area(area).width.saturating_sub(2))
}

/// One screen row of the overlay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HelpRow {
    /// A section's title.
    Heading(String),
    /// Keys and their description; a description too long for one row goes on in rows
    /// whose keys are empty, under the description column.
    Entry { keys: String, desc: String },
}

/// The overlay's rows at `width` cells, and the width of the keys column: descriptions wrap
/// (never cut), the keys column takes at most a third of the width.
pub(crate) fn help_rows(lines: &[(String, String)], width: usize) -> (Vec<HelpRow>, usize) {
    let key_w = lines
        .iter()
        .map(|(k, _)| cells(k))
        .max()
        .unwrap_or(0)
        .min(width / 3)
        .max(1);
    // "  KEYS  DESC"
    let desc_w = width.saturating_sub(key_w + 4).max(1);
    let mut rows = Vec::new();
    for (keys, desc) in lines {
        if keys.is_empty() {
            rows.extend(
                wrap(desc, width.saturating_sub(1).max(1))
                    .into_iter()
                    .map(HelpRow::Heading),
            );
            continue;
        }
        for (i, part) in wrap(desc, desc_w).into_iter().enumerate() {
            rows.push(HelpRow::Entry {
                keys: if i == 0 { keys.clone() } else { String::new() },
                desc: part,
            });
        }
    }
    (rows, key_w)
}

/// The help overlay's lines: (keys, description); a line with empty keys is a heading.
pub fn help_lines(keymap: &Keymap, ctx: Context) -> Vec<(String, String)> {
    let mut lines = vec![(String::new(), format!("keys: {}", ctx.name()))];
    lines.extend(
        keymap
            .help(ctx)
            .into_iter()
            .map(|(keys, desc, _)| (keys, desc.to_string())),
    );
    if ctx == Context::Compose {
        // The editor's own keys, fixed (not in the keymap).
        lines.push((String::new(), String::new()));
        lines.push((
            String::new(),
            "the body (lines wrap at the pane's width)".to_string(),
        ));
        for (keys, desc) in [
            (
                "Up, Down",
                "previous, next screen row (of a wrapped line too)",
            ),
            ("Left, Right", "previous, next character"),
            (
                "Home, End",
                "start, end of the whole line (not the screen row)",
            ),
            ("Enter", "new line (the only line breaks sent)"),
        ] {
            lines.push((keys.to_string(), desc.to_string()));
        }
    }
    if matches!(ctx, Context::List | Context::Reader) {
        lines.push((String::new(), String::new()));
        lines.push((String::new(), "commands (after :)".to_string()));
        lines.extend(
            COMMANDS
                .iter()
                .map(|c| (c.usage.to_string(), c.desc.to_string())),
        );
        lines.push((String::new(), String::new()));
        lines.push((String::new(), "keys: command line (: and /)".to_string()));
        lines.extend(
            keymap
                .help(Context::Command)
                .into_iter()
                .map(|(keys, desc, _)| (keys, desc.to_string())),
        );
        lines.extend(
            QUESTIONS
                .iter()
                .map(|(k, d)| (k.to_string(), d.to_string())),
        );
    }
    lines
}

/// The keys of the questions the status line asks (taking a teammate's message, closing one
/// a teammate is replying to, answering anyway, a reply from a `send = "none"` account) and
/// what `ui.mark_read` does: fixed, not in the keymap. Empty keys: a heading.
const QUESTIONS: &[(&str, &str)] = &[
    ("", ""),
    ("", "questions in the status line"),
    ("y", "yes: take over, reassign, close, answer anyway"),
    ("n", "no; to a send = \"none\" reply: write a note"),
    (
        "f",
        "on a send = \"none\" reply: forward from another account",
    ),
    ("other keys", "no: nothing changes, the key does not run"),
    ("Ctrl-c", "quit (an open draft is saved first)"),
    ("", ""),
    ("", "read state (ui.mark_read)"),
    ("open", "default: read after a moment open, and on reply"),
    ("reply", "read when you reply only"),
    ("never", "only the read key marks it (Space in the list)"),
];

/// Keys that work in the help overlay whatever the configuration says, so it can always be
/// read and closed.
pub(crate) fn help_fallback() -> &'static Keymap {
    static DEFAULTS: OnceLock<Keymap> = OnceLock::new();
    DEFAULTS.get_or_init(Keymap::default)
}

pub(crate) fn help_key(app: &mut App, k: &KeyEvent) -> Handled {
    let help = app.help.as_ref()?;
    let ctx = help.context;
    let action = app
        .keymap
        .lookup(ctx, k)
        .filter(|a| {
            matches!(
                a,
                Action::Down
                    | Action::Up
                    | Action::PageDown
                    | Action::PageUp
                    | Action::HalfPageDown
                    | Action::HalfPageUp
                    | Action::Top
                    | Action::Bottom
                    | Action::Help
                    | Action::Quit
                    | Action::Close
                    | Action::Clear
                    | Action::ForceQuit
            )
        })
        // The reader's defaults scroll and close (?, q, Esc) whatever is bound.
        .or_else(|| help_fallback().lookup(Context::Reader, k));
    let action = action?;
    if action == Action::ForceQuit {
        return Some(quit(app));
    }
    let page = app.help_height().max(1);
    let max = help_lines_len(&app.keymap, ctx, inner_width(app.area())).saturating_sub(page);
    let help = app.help.as_mut()?;
    let s = help.scroll;
    help.scroll = match action {
        Action::Help | Action::Quit | Action::Close | Action::Clear => {
            app.help = None;
            return Some(Vec::new());
        }
        Action::Down => s + 1,
        Action::Up => s.saturating_sub(1),
        Action::PageDown => s + page,
        Action::PageUp => s.saturating_sub(page),
        Action::HalfPageDown => s + page.div_ceil(2),
        Action::HalfPageUp => s.saturating_sub(page.div_ceil(2)),
        Action::Top => 0,
        Action::Bottom => max,
        _ => return None,
    }
    .min(max);
    Some(Vec::new())
}
