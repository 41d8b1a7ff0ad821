//! The session's undo stack (`u`, `:undo`): each step is one team-visible action of this
//! session — a triage key or command, or a bulk action over marked rows — with, for every
//! message it changed, the team state before and the state the action left. Undoing a step
//! restores the state before on exactly those messages (account and UID, whatever the
//! selection is now), each refused when the message is no longer as the action left it (a
//! teammate changed it since). The restore is a keyword store (`Request::Store`) with a guard:
//! the account's thread stores it only while the server still has the message as the action
//! left it (`triage::revert`, CONDSTORE's `UNCHANGEDSINCE`), so a teammate's change the
//! screen has not shown yet refuses it too; such refusals come back as the stores' answers and
//! are summed up in one line once all are in.

use std::collections::HashMap;

use crate::backend::FlagChange;
use crate::engine::Request;
use crate::sanitize;
use crate::triage::act::Applied;
use crate::triage::revert::{Guard, Moved};
use crate::triage::state::TeamState;
use crate::triage::undo::{applied, restore};
use crate::ui::app::App;
use crate::ui::screen::list::FlagKind;

/// Steps kept; older ones are forgotten.
const KEEP: usize = 50;

/// One message a step changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub account_idx: usize,
    pub uid: u32,
    pub before: TeamState,
    pub after: TeamState,
    /// A flag toggle instead of a team state: the flag and its value before.
    pub(crate) flag: Option<(FlagKind, bool)>,
    /// The MODSEQ the action left the message at, when the server said (CONDSTORE).
    pub modseq: Option<u64>,
    /// Where the action moved the message (the archive folder, a team folder): the undo
    /// moves it back.
    pub moved: Option<Box<Moved>>,
}

/// One undoable action: what it was ("done", "claim"…) and the messages it changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub what: String,
    pub items: Vec<Item>,
}

/// A step whose answers are still coming: how many are not in yet; for a bulk action, what
/// the answers said so far (for its one summary line).
#[derive(Debug, Clone, Default)]
struct Open {
    step: Option<Step>,
    waiting: usize,
    bulk: bool,
    ok: usize,
    refused: Vec<String>,
}

/// A bulk action whose answers are all in: its one summary line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkDone {
    pub what: String,
    pub ok: usize,
    pub refused: Vec<String>,
}

impl BulkDone {
    /// "done: 20 messages; 1 refused: UID 5: claim lost: bob was first".
    pub fn line(&self) -> String {
        let mut line = format!(
            "{}: {} message{}",
            self.what,
            self.ok,
            if self.ok == 1 { "" } else { "s" }
        );
        if !self.refused.is_empty() {
            line.push_str(&format!(
                "; {} refused: {}",
                self.refused.len(),
                self.refused.join("; ")
            ));
        }
        line
    }
}

/// An undo whose guarded stores are not all answered yet.
#[derive(Debug, Clone, Default)]
struct Undoing {
    what: String,
    waiting: usize,
    ok: usize,
    refused: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct UndoStack {
    steps: Vec<Step>,
    /// Open steps by a number of their own; requests point at them.
    open: HashMap<u64, Open>,
    by_request: HashMap<u64, u64>,
    next: u64,
    /// Undos waiting for their stores' answers, by a number of their own; the stores' request
    /// ids point at them.
    undoing: HashMap<u64, Undoing>,
    undo_requests: HashMap<u64, u64>,
}

impl UndoStack {
    /// The requests `ids` (triage requests sent together) make one step `what` once answered;
    /// `bulk`: over marked rows, summed up in one line.
    pub fn expect(&mut self, what: &str, ids: &[u64], bulk: bool) {
        if ids.is_empty() {
            return;
        }
        self.next += 1;
        let group = self.next;
        self.open.insert(
            group,
            Open {
                step: Some(Step {
                    what: what.to_string(),
                    items: Vec::new(),
                }),
                waiting: ids.len(),
                bulk,
                ..Open::default()
            },
        );
        for id in ids {
            self.by_request.insert(*id, group);
        }
    }

    /// Whether request `id` is part of a bulk action (its answer is summed up, not said).
    pub fn is_bulk(&self, id: u64) -> bool {
        self.by_request
            .get(&id)
            .and_then(|g| self.open.get(g))
            .is_some_and(|o| o.bulk)
    }

    /// The answer to request `id`: `Ok` with the message it changed (`None`: nothing to undo
    /// there), or why it was refused. The step is pushed when its last answer is in; a bulk
    /// action's summary is returned then.
    pub fn answered(&mut self, id: u64, answer: Result<Option<Item>, String>) -> Option<BulkDone> {
        let group = self.by_request.remove(&id)?;
        let open = self.open.get_mut(&group)?;
        match answer {
            Ok(item) => {
                open.ok += 1;
                if let (Some(item), Some(step)) = (item, open.step.as_mut()) {
                    step.items.push(item);
                }
            }
            Err(why) => open.refused.push(why),
        }
        open.waiting = open.waiting.saturating_sub(1);
        if open.waiting > 0 {
            return None;
        }
        let open = self.open.remove(&group)?;
        let step = open.step?;
        let done = open.bulk.then(|| BulkDone {
            what: step.what.clone(),
            ok: open.ok,
            refused: open.refused,
        });
        if !step.items.is_empty() {
            self.steps.push(step);
            if self.steps.len() > KEEP {
                self.steps.remove(0);
            }
        }
        done
    }

    /// A step complete at once (flag toggles: the store's refusal is reported by itself).
    pub fn push(&mut self, step: Step) {
        if !step.items.is_empty() {
            self.steps.push(step);
            if self.steps.len() > KEEP {
                self.steps.remove(0);
            }
        }
    }

    pub fn pop(&mut self) -> Option<Step> {
        self.steps.pop()
    }

    /// The steps, newest first.
    pub fn recent(&self) -> impl Iterator<Item = &Step> {
        self.steps.iter().rev()
    }

    /// The guarded stores `ids` undo step `what`: their answers are summed up together.
    fn expect_undo(&mut self, what: &str, ids: &[u64]) {
        if ids.is_empty() {
            return;
        }
        self.next += 1;
        let group = self.next;
        self.undoing.insert(
            group,
            Undoing {
                what: what.to_string(),
                waiting: ids.len(),
                ..Undoing::default()
            },
        );
        for id in ids {
            self.undo_requests.insert(*id, group);
        }
    }

    /// The answer to an undo's store `id` (`None`: not an undo's); once all of that undo's
    /// answers are in, the line that names what was refused, if anything was.
    fn undo_answered(&mut self, id: u64, refused: Option<String>) -> Option<Option<String>> {
        let group = self.undo_requests.remove(&id)?;
        let Some(u) = self.undoing.get_mut(&group) else {
            return Some(None);
        };
        match refused {
            Some(why) => u.refused.push(why),
            None => u.ok += 1,
        }
        u.waiting = u.waiting.saturating_sub(1);
        if u.waiting > 0 {
            return Some(None);
        }
        let u = self.undoing.remove(&group)?;
        if u.refused.is_empty() {
            return Some(None);
        }
        Some(Some(format!(
            "undo {}: {} undone; {} refused: {}",
            u.what,
            u.ok,
            u.refused.len(),
            u.refused.join("; ")
        )))
    }
}

/// The answer to store `id` when it is an undo's (`None` otherwise): a refusal — the server
/// has the message changed since the action — is summed up with the undo's other answers.
pub(crate) fn on_store_done(
    app: &mut App,
    account_idx: usize,
    id: u64,
    uid: u32,
    result: &Result<(), String>,
) -> Option<crate::ui::screen::Handled> {
    let refused = result.as_ref().err().map(|e| {
        format!(
            "{} UID {uid}: {}",
            app.column_name(account_idx),
            sanitize::single_line(e.trim())
        )
    });
    let line = app.undo.undo_answered(id, refused)?;
    Some(line.map(|l| {
        app.fail(l);
        Vec::new()
    }))
}

/// The undo item of a triage answer, when there is something to undo: a keyword change, and
/// a move (to the archive folder after `done`, between team folders in the folder mapping).
pub fn item_of(account_idx: usize, applied: &Applied) -> Option<Item> {
    use crate::triage::act::MappingKind;
    let moved = applied.moved_to.as_ref().map(|m| {
        Box::new(Moved {
            folder: m.mailbox.clone(),
            uid: m.uid,
            folders: applied.mapping == MappingKind::Folders,
        })
    });
    // A snooze over a snooze changes no keyword but writes a record: undone too.
    let resnooze = applied.action == "snooze" && applied.after.snoozed_until.is_some();
    if (moved.is_none() && applied.mapping != MappingKind::Keywords)
        || (moved.is_none()
            && !resnooze
            && crate::triage::undo::same(&applied.before, &applied.after))
    {
        return None;
    }
    Some(Item {
        account_idx,
        uid: applied.uid,
        before: applied.before.clone(),
        after: applied.after.clone(),
        flag: None,
        modseq: applied.modseq,
        moved,
    })
}

/// "UID 118" or "3 messages".
fn which(items: &[Item]) -> String {
    match items {
        [one] => format!("UID {}", one.uid),
        many => format!("{} messages", many.len()),
    }
}

/// `u` and `:undo`: undoes the last step on the messages it changed; says what it undid and
/// what it refused.
pub(crate) fn undo(app: &mut App) -> Vec<Request> {
    let Some(step) = app.undo.pop() else {
        app.say("nothing to undo (this session made no team change)");
        return Vec::new();
    };
    let mut requests = Vec::new();
    let mut guarded = Vec::new();
    let mut done = Vec::new();
    let mut refused = Vec::new();
    for item in &step.items {
        let name = app.column_name(item.account_idx).to_string();
        if let Some(moved) = &item.moved {
            // Not in the mailbox any more: the account's thread moves it back, checking it
            // is where and as the action left it.
            let id = app.take_id();
            guarded.push(id);
            requests.push(Request::Store {
                account_idx: item.account_idx,
                id,
                uid: item.uid,
                change: FlagChange::default(),
                guard: Some(Box::new(Guard {
                    modseq: None,
                    left: item.after.clone(),
                    before: item.before.clone(),
                    moved: Some((**moved).clone()),
                    drop_record: None,
                })),
            });
            done.push(item.clone());
            continue;
        }
        let row = app
            .columns
            .iter()
            .find(|c| c.account_idx == item.account_idx)
            .and_then(|c| c.rows.by_uid(item.uid))
            .map(|s| (s.keywords.to_vec(), s.flags));
        let Some((now, flags)) = row else {
            refused.push(format!("{name} UID {}: no longer in the mailbox", item.uid));
            continue;
        };
        if let Some((kind, before)) = item.flag {
            if kind.get(&flags) == before {
                refused.push(format!(
                    "{name} UID {}: {} changed since",
                    item.uid,
                    kind.name()
                ));
            } else {
                requests.push(crate::ui::screen::bulk::store_flag(
                    app,
                    item.account_idx,
                    item.uid,
                    kind,
                    before,
                ));
                done.push(item.clone());
            }
            continue;
        }
        match restore(&now, &item.after, &item.before) {
            // Nothing to store; but a snooze's record goes all the same.
            Ok(change) if change == FlagChange::default() && step.what != "snooze" => {
                done.push(item.clone())
            }
            Ok(change) => {
                let new = applied(&now, &change);
                show_keywords(app, item.account_idx, item.uid, new);
                let id = app.take_id();
                guarded.push(id);
                requests.push(Request::Store {
                    account_idx: item.account_idx,
                    id,
                    uid: item.uid,
                    change,
                    guard: Some(Box::new(Guard {
                        modseq: item.modseq,
                        left: item.after.clone(),
                        before: item.before.clone(),
                        moved: None,
                        drop_record: if step.what == "snooze" {
                            item.after.snoozed_until
                        } else {
                            None
                        },
                    })),
                });
                done.push(item.clone());
            }
            Err(e) => refused.push(format!(
                "{name} UID {}: {}",
                item.uid,
                sanitize::single_line(&e.to_string())
            )),
        }
    }
    app.undo.expect_undo(&step.what, &guarded);
    let mut line = if done.is_empty() {
        format!("undo {}: nothing undone", step.what)
    } else {
        format!("undid {} on {}", step.what, which(&done))
    };
    if !refused.is_empty() {
        line.push_str(&format!(
            "; {} refused: {}",
            refused.len(),
            refused.join("; ")
        ));
        app.fail(line);
    } else {
        app.say(line);
    }
    requests
}

/// The row of `uid` shows `keywords` at once, in or out of the view as the sync that confirms
/// them will put it; the reader's "Team" line follows.
pub(crate) fn show_keywords(app: &mut App, account_idx: usize, uid: u32, keywords: Vec<String>) {
    let h = app.list_height();
    let Some(c) = app.column_mut(account_idx) else {
        return;
    };
    let Some(flags) = c.rows.by_uid(uid).map(|s| s.flags) else {
        return;
    };
    c.apply_flags(
        vec![crate::imap::sync::FlagUpdate {
            uid,
            flags,
            keywords,
            modseq: None,
        }],
        h,
    );
    crate::ui::screen::triage::refresh_reader_team(app, account_idx);
}

/// `:undo list`: the recent steps, newest first, on the status line.
pub(crate) fn list(app: &mut App) {
    let parts: Vec<String> = app
        .undo
        .recent()
        .take(10)
        .enumerate()
        .map(|(n, s)| format!("{}. {} {}", n + 1, s.what, which(&s.items)))
        .collect();
    if parts.is_empty() {
        app.say("nothing to undo (this session made no team change)");
    } else {
        app.say(format!("undo (u takes the first): {}", parts.join(" · ")));
    }
}
