//! The yes/no question that takes the next key, and quitting.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::engine::Request;
use crate::ui::app::App;
use crate::ui::keys::Action;
use crate::ui::screen::Handled;
use crate::ui::screen::compose::model::Kind;
use crate::ui::screen::compose::sending::autosave;
use crate::ui::screen::compose::{clear_replying, original_of, start_compose};

/// A yes/no question in the status line: `y` does what it asks, any other key cancels
/// (Ctrl-c still quits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirm {
    /// Sanitized, ending in "(y/n)".
    pub question: String,
    /// What the status line says when the answer is no.
    pub declined: String,
    pub then: Confirmed,
}

/// What a `Confirm` does on `y`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirmed {
    /// Open the compose pane of `kind` for message `uid` of `account_idx`.
    Compose {
        kind: Kind,
        account_idx: usize,
        uid: u32,
    },
}

/// Keys while a yes/no question is open: `y` does what it asks, Ctrl-c quits, any other key
/// cancels.
pub(crate) fn confirm_key(app: &mut App, k: &KeyEvent) -> Handled {
    let q = app.confirm.take()?;
    Some(answer(app, q, k))
}

/// What the answer `k` to `q` does.
fn answer(app: &mut App, q: Confirm, k: &KeyEvent) -> Vec<Request> {
    let ctrl_c = k.code == KeyCode::Char('c') && k.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl_c || app.keymap.lookup(app.context(), k) == Some(Action::ForceQuit) {
        return quit(app);
    }
    let plain = (k.modifiers - KeyModifiers::SHIFT).is_empty();
    if !(plain && matches!(k.code, KeyCode::Char('y' | 'Y'))) {
        app.say(q.declined);
        return Vec::new();
    }
    match q.then {
        Confirmed::Compose {
            kind,
            account_idx,
            uid,
        } => {
            let Some(config) = app.config.clone() else {
                return Vec::new();
            };
            match original_of(app, account_idx, uid) {
                Some(found) => start_compose(app, &config, kind, Some(found)),
                None => {
                    app.fail("the message is no longer in the list");
                    Vec::new()
                }
            }
        }
    }
}

/// Ctrl-c: quits. An open draft is saved and its "replying" mark cleared first: the run loop
/// carries out the commands before `Quit`, and quitting gives the account's worker a short
/// grace to store the change (best effort: a dead server does not hold quitting).
pub(crate) fn quit(app: &mut App) -> Vec<Request> {
    let mut commands = autosave(app, true);
    commands.extend(clear_replying(app));
    app.leave();
    commands
}
