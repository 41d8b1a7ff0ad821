//! The yes/no question that takes the next key, and quitting.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::engine::Request;
use crate::sanitize;
use crate::triage::state::{Action as TriageAction, state};
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
    /// Open the compose pane of `kind` for message `uid` of `account_idx`; `whole`: a forward
    /// of the whole original as an attachment (`Ctrl-f`).
    Compose {
        kind: Kind,
        account_idx: usize,
        uid: u32,
        whole: bool,
    },
    /// The account may not send (`send = "none"`): `n` writes an internal note on the
    /// message instead of a reply that could never be sent; `f` forwards message `uid` of
    /// `account_idx` from account `forward_from` (the first shown that may send), if any.
    NoSend {
        account_idx: usize,
        uid: u32,
        forward_from: Option<usize>,
    },
    /// Send triage `action` for message `uid` of `account_idx`, asked because a teammate
    /// holds the message or is replying to it.
    Triage {
        account_idx: usize,
        uid: u32,
        action: TriageAction,
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
    let yes = match q.then {
        Confirmed::NoSend { forward_from, .. } => {
            matches!(k.code, KeyCode::Char('n'))
                || (forward_from.is_some() && matches!(k.code, KeyCode::Char('f')))
        }
        _ => matches!(k.code, KeyCode::Char('y' | 'Y')),
    };
    if !(plain && yes) {
        app.say(q.declined);
        return Vec::new();
    }
    match q.then {
        Confirmed::NoSend {
            account_idx,
            uid,
            forward_from: Some(from),
        } if k.code == KeyCode::Char('f') => {
            let Some(config) = app.config.clone() else {
                return Vec::new();
            };
            match original_of(app, account_idx, uid) {
                Some(found) => crate::ui::screen::compose::start_compose_from(
                    app,
                    &config,
                    Kind::Forward,
                    Some(found),
                    Some(from),
                ),
                None => {
                    app.fail("the message is no longer in the list");
                    Vec::new()
                }
            }
        }
        Confirmed::NoSend { .. } => {
            crate::ui::screen::notes::open_note(app);
            Vec::new()
        }
        Confirmed::Triage {
            account_idx,
            uid,
            action,
        } => crate::ui::screen::triage::triage_on(app, account_idx, uid, action),
        Confirmed::Compose {
            kind,
            account_idx,
            uid,
            whole,
        } => {
            let Some(config) = app.config.clone() else {
                return Vec::new();
            };
            match original_of(app, account_idx, uid) {
                Some(found) => {
                    let commands = start_compose(app, &config, kind, Some(found));
                    if whole {
                        crate::ui::screen::compose::forward::whole(app);
                    }
                    commands
                }
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

/// The question to ask before `action` on message `uid` of `account_idx`, if any: taking a
/// message a teammate holds (claim, assign to someone else, unassign), and closing (done,
/// pending) a message a teammate is replying to. Names the teammate.
pub(crate) fn triage_question(
    app: &App,
    account_idx: usize,
    uid: u32,
    action: &TriageAction,
) -> Option<Confirm> {
    let me = app.agent_id.as_deref()?;
    let column = app.columns.iter().find(|c| c.account_idx == account_idx)?;
    let row = column.rows.by_uid(uid)?;
    let team = state(&row.keywords);
    let holder = team.assigned.filter(|a| a != me);
    let question = match (action, holder) {
        // A claim never takes a held message (the worker refuses it): asked, `y` reassigns
        // it to the agent.
        (TriageAction::Claim, Some(h)) => {
            format!("UID {uid} is assigned to {h}: take it over (assign it to {me})?")
        }
        (TriageAction::Assign(to), Some(h)) if *to != h => {
            format!("UID {uid} is assigned to {h}: reassign it to {to}?")
        }
        (TriageAction::Unassign, Some(h)) => {
            format!("UID {uid} is assigned to {h}: unassign it?")
        }
        (TriageAction::Done | TriageAction::Pending, _) => {
            let others: Vec<&str> = team
                .replying
                .iter()
                .map(String::as_str)
                .filter(|a| *a != me)
                .collect();
            if others.is_empty() {
                return None;
            }
            let verb = if others.len() == 1 { "is" } else { "are" };
            format!(
                "{} {verb} replying to UID {uid}: mark it {} anyway?",
                others.join(" and "),
                action.name()
            )
        }
        _ => return None,
    };
    Some(Confirm {
        question: format!(
            "{}: {} (y/n)",
            column.name,
            sanitize::single_line(&question)
        ),
        declined: format!(
            "{}: not changed: the {} was cancelled",
            column.name,
            action.name()
        ),
        then: Confirmed::Triage {
            account_idx,
            uid,
            action: match action {
                TriageAction::Claim => TriageAction::Assign(me.to_string()),
                other => other.clone(),
            },
        },
    })
}

/// `r`/`R` from an account that may not send (`send = "none"`): no pane that could never send;
/// the question says so and offers an internal note instead, or a forward of message `uid`
/// from the first account shown that may send.
pub(crate) fn no_send_question(app: &App, account_idx: usize, uid: u32) -> Option<Confirm> {
    let config = app.config.as_ref()?;
    let account = config.accounts.get(account_idx)?;
    if account.send != crate::config::SendMode::None {
        return None;
    }
    let name = sanitize::single_line(&account.name);
    let forward_from = app.columns.iter().map(|c| c.account_idx).find(|&i| {
        config
            .accounts
            .get(i)
            .is_some_and(|a| a.send != crate::config::SendMode::None)
    });
    let forward = forward_from
        .and_then(|i| config.accounts.get(i))
        .map(|a| format!(", f: forward it from {}", sanitize::single_line(&a.name)))
        .unwrap_or_default();
    // The team policy's reason when it is the policy that gives no mode.
    let why = account.policy_reason.as_deref().map_or_else(
        || format!("{name} may not send (send = \"none\")"),
        sanitize::single_line,
    );
    let short = account
        .policy_reason
        .as_ref()
        .map_or("send = \"none\"", |_| "the team policy");
    Some(Confirm {
        question: format!(
            "{why}: a reply could never go out; n: write an internal note for the team instead{forward}, any other key: nothing"
        ),
        declined: format!("{name}: no reply ({short})"),
        then: Confirmed::NoSend {
            account_idx,
            uid,
            forward_from,
        },
    })
}
