//! Undo (`u` in the list, `U` in the reader, `:undo`): the last team change of this session is
//! undone on the exact message it touched, whatever the selection is now, with one keyword
//! store; a teammate's change since refuses it; `:undo list` names the recent steps.

use std::sync::Arc;

use mailroom::backend::FlagChange;
use mailroom::config;
use mailroom::engine::{Event as EngineEvent, Request};
use mailroom::message::Summary;
use mailroom::triage::act::{Applied, MappingKind};
use mailroom::triage::state::{Action, TeamState};
use mailroom::ui::app::App;

use crate::ui_support;
use ui_support::{
    ch, config_from, enter, flag_update, flags_event, load, msg, press, selected_uid, shown_uids,
    sized, theme, typed, with_keywords,
};

const CONFIG: &str = r#"
[agent]
id = "alice"
name = "Alice Example"
email = "alice@example.test"

[[account]]
name = "support"
address = "support@example.test"
send = "as"
[account.maildir]
path = "mail/support"
"#;

fn config() -> Arc<config::Config> {
    config_from(CONFIG)
}

/// Newest first: 120, 118 (alice's, snoozed), 98. A snoozed row whose wake time is unknown
/// is shown (see `describe`); done clears the snooze, undo brings it back.
fn fixture() -> Vec<Summary> {
    vec![
        msg(120, 10, "Ann", "Newest"),
        with_keywords(
            msg(118, 20, "Ben", "The one marked done"),
            &["$assigned.alice", "$snoozed"],
        ),
        msg(98, 30, "Cid", "The one below"),
    ]
}

fn loaded() -> App {
    let app = App::new(&[(0, "support".to_string())], theme(), false)
        .with_agent("alice")
        .with_config(config());
    let mut app = sized(app, 160, 20);
    load(&mut app, 0, fixture());
    app
}

fn select(app: &mut App, uid: u32) {
    press(app, [ch('g')]);
    for _ in 0..app.columns()[0].shown_len() {
        if selected_uid(app) == Some(uid) {
            return;
        }
        press(app, [ch('j')]);
    }
    assert_eq!(selected_uid(app), Some(uid), "UID {uid} is not shown");
}

fn command(app: &mut App, line: &str) -> Vec<Request> {
    let mut events = vec![ch(':')];
    events.extend(typed(line));
    events.push(enter());
    press(app, events)
}

fn state(keywords: &[&str]) -> TeamState {
    mailroom::triage::state::state(keywords)
}

/// Marks UID 118 done with `d` and answers it as the worker would.
fn done_118(app: &mut App) {
    select(app, 118);
    let cmds = press(app, [ch('d')]);
    let id = match cmds.as_slice() {
        [
            Request::Triage {
                id,
                uid: 118,
                action: Action::Done,
                ..
            },
        ] => *id,
        other => panic!("expected one done for 118, got {other:?}"),
    };
    press(
        app,
        [EngineEvent::TriageDone {
            account_idx: 0,
            id,
            uid: 118,
            result: Ok(Applied {
                uid: 118,
                action: "done",
                before: state(&["$assigned.alice", "$snoozed"]),
                after: state(&["$assigned.alice", "$done"]),
                rounds: 1,
                mapping: MappingKind::Keywords,
                moved_to: None,
                modseq: None,
            }),
        }],
    );
    // The row left the open view; the selection moved on to the next row.
    assert_eq!(shown_uids(app, 0), [120, 98]);
    assert_eq!(selected_uid(app), Some(98));
}

/// The one store in `cmds`: (UID, change).
fn one_store(cmds: &[Request]) -> (u32, FlagChange) {
    match cmds {
        [Request::Store { uid, change, .. }] => (*uid, change.clone()),
        other => panic!("expected exactly one Request::Store, got {other:?}"),
    }
}

#[test]
fn u_after_done_restores_the_message_it_touched_not_the_selection() {
    let mut app = loaded();
    done_118(&mut app);
    let (uid, change) = one_store(&press(&mut app, [ch('u')]));
    assert_eq!(
        uid, 118,
        "undo must act on the message marked done, not on 98"
    );
    assert_eq!(change.add_keywords, ["$snoozed"]);
    assert_eq!(change.remove_keywords, ["$done"]);
    assert_eq!(app.notice(), Some("undid done on UID 118"));
    // The row is back at once.
    assert_eq!(shown_uids(&app, 0), [120, 118, 98]);
    // Nothing left to undo.
    assert!(press(&mut app, [ch('u')]).is_empty());
    assert!(
        app.notice().unwrap_or_default().contains("nothing to undo"),
        "{:?}",
        app.notice()
    );
}

#[test]
fn undo_command_lists_and_undoes() {
    let mut app = loaded();
    done_118(&mut app);
    assert!(command(&mut app, "undo list").is_empty());
    assert_eq!(
        app.notice(),
        Some("undo (u takes the first): 1. done UID 118")
    );
    let (uid, _) = one_store(&command(&mut app, "undo"));
    assert_eq!(uid, 118);
    assert!(command(&mut app, "undo bogus").is_empty());
    assert!(app.error().unwrap_or_default().contains(":undo takes"));
}

#[test]
fn undo_refuses_when_a_teammate_changed_the_message_since() {
    let mut app = loaded();
    done_118(&mut app);
    // Carol takes it over after the agent marked it done.
    press(
        &mut app,
        [flags_event(
            0,
            vec![flag_update(118, &["$assigned.carol", "$done"])],
        )],
    );
    let cmds = press(&mut app, [ch('u')]);
    assert!(cmds.is_empty(), "{cmds:?}");
    let e = app.error().unwrap_or_default();
    assert!(
        e.contains("UID 118: changed since (now: assigned to carol, done)"),
        "{e}"
    );
}

// ---- bulk actions over marked rows ------------------------------------------------------------

/// Newest first: 1..=6; 2, 4 and 5 are from the payments robot.
fn bulk_fixture() -> Vec<Summary> {
    vec![
        msg(6, 10, "Ann", "Question"),
        msg(5, 20, "Payments", "Payment received"),
        with_keywords(msg(4, 30, "Payments", "Payment failed"), &["$assigned.bob"]),
        msg(3, 40, "Cid", "Another question"),
        msg(2, 50, "Payments", "Payment received"),
        msg(1, 60, "Dot", "Hello"),
    ]
}

fn bulk_loaded() -> App {
    let app = App::new(&[(0, "support".to_string())], theme(), false)
        .with_agent("alice")
        .with_config(config());
    let mut app = sized(app, 160, 20);
    load(&mut app, 0, bulk_fixture());
    app
}

/// The triage requests in `cmds`: (request id, UID, action).
fn triages(cmds: &[Request]) -> Vec<(u64, u32, Action)> {
    cmds.iter()
        .map(|r| match r {
            Request::Triage {
                id, uid, action, ..
            } => (*id, *uid, action.clone()),
            other => panic!("expected Request::Triage, got {other:?}"),
        })
        .collect()
}

fn done_answer(app: &mut App, id: u64, uid: u32, before: &[&str]) {
    let mut after: Vec<&str> = before.to_vec();
    after.push("$done");
    press(
        app,
        [EngineEvent::TriageDone {
            account_idx: 0,
            id,
            uid,
            result: Ok(Applied {
                uid,
                action: "done",
                before: state(before),
                after: state(&after),
                rounds: 1,
                mapping: MappingKind::Keywords,
                moved_to: None,
                modseq: None,
            }),
        }],
    );
}

#[test]
fn capital_m_marks_matching_rows_d_marks_them_done_and_one_u_undoes_all() {
    let mut app = bulk_loaded();
    // The selection is on 6, which does not match: it is not touched.
    press(&mut app, [ch('M')]);
    let mut events = typed("from:payments");
    events.push(enter());
    assert!(press(&mut app, events).is_empty());
    assert!(
        ui_support::screen(&app).contains("· 3 marked"),
        "{}",
        ui_support::screen(&app)
    );
    let sent = triages(&press(&mut app, [ch('d')]));
    let uids: Vec<u32> = sent.iter().map(|(_, u, _)| *u).collect();
    assert_eq!(uids, [5, 4, 2]);
    assert!(sent.iter().all(|(_, _, a)| *a == Action::Done));
    // The marks are spent.
    assert!(!ui_support::screen(&app).contains("marked"));
    // Two answers in: no line yet for the action; the third brings one summary.
    done_answer(&mut app, sent[0].0, 5, &[]);
    done_answer(&mut app, sent[1].0, 4, &["$assigned.bob"]);
    press(
        &mut app,
        [EngineEvent::TriageDone {
            account_idx: 0,
            id: sent[2].0,
            uid: 2,
            result: Err(mailroom::triage::act::ActError::NoMessage(2)),
        }],
    );
    assert_eq!(
        app.error(),
        Some("support: done: 2 messages; 1 refused: UID 2: no message with UID 2")
    );
    assert_eq!(shown_uids(&app, 0), [6, 3, 2, 1]);
    // One undo step: both messages that changed, whatever the selection.
    press(&mut app, [ch('j'), ch('j')]);
    let cmds = press(&mut app, [ch('u')]);
    let mut undone: Vec<u32> = cmds
        .iter()
        .map(|r| match r {
            Request::Store { uid, change, .. } => {
                assert_eq!(change.remove_keywords, ["$done"]);
                *uid
            }
            other => panic!("{other:?}"),
        })
        .collect();
    undone.sort();
    assert_eq!(undone, [4, 5]);
    assert_eq!(app.notice(), Some("undid done on 2 messages"));
    assert_eq!(shown_uids(&app, 0), [6, 5, 4, 3, 2, 1]);
}

#[test]
fn m_toggles_marks_and_esc_clears_them() {
    let mut app = bulk_loaded();
    // m marks 6 and moves on to 5; m marks 5; k m unmarks 5.
    press(&mut app, [ch('m'), ch('m')]);
    assert!(ui_support::screen(&app).contains("· 2 marked"));
    press(&mut app, [ch('k'), ch('m')]);
    assert!(ui_support::screen(&app).contains("· 1 marked"));
    // A claim goes to the marked row (6), not to the selection (4 after m moved on).
    let sent = triages(&press(&mut app, [ch('a')]));
    assert_eq!(
        sent.iter().map(|(_, u, _)| *u).collect::<Vec<_>>(),
        [6],
        "the marked row"
    );
    press(&mut app, [ch('m')]);
    assert!(ui_support::screen(&app).contains("· 1 marked"));
    press(&mut app, [ui_support::key(crossterm::event::KeyCode::Esc)]);
    assert!(!ui_support::screen(&app).contains("marked"));
    // Without marks, the selection again.
    assert_eq!(triages(&press(&mut app, [ch('a')])).len(), 1);
}

#[test]
fn flag_on_marked_rows_is_one_step_undone_by_u() {
    let mut app = bulk_loaded();
    // Mark 6 and 5, then flag them both with one `!`.
    press(&mut app, [ch('m'), ch('m')]);
    let cmds = press(&mut app, [ch('!')]);
    let stores: Vec<(u32, FlagChange)> = cmds
        .iter()
        .map(|r| match r {
            Request::Store { uid, change, .. } => (*uid, change.clone()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(stores.len(), 2, "{stores:?}");
    assert!(
        stores
            .iter()
            .all(|(_, c)| c.add_flags != mailroom::message::Flags::default())
    );
    assert_eq!(app.notice(), Some("support: flag: 2 messages"));
    assert!(!ui_support::screen(&app).contains("marked"));
    // `u` takes the flag off exactly those two, whatever is selected.
    let cmds = press(&mut app, [ch('G'), ch('u')]);
    let mut uids: Vec<u32> = cmds
        .iter()
        .map(|r| match r {
            Request::Store { uid, change, .. } => {
                assert!(
                    change.remove_flags != mailroom::message::Flags::default(),
                    "{change:?}"
                );
                *uid
            }
            other => panic!("{other:?}"),
        })
        .collect();
    uids.sort();
    assert_eq!(uids, [5, 6]);
    assert_eq!(app.notice(), Some("undid flag on 2 messages"));
}

#[test]
fn a_single_flag_or_read_toggle_is_one_step_undone_by_u() {
    let mut app = bulk_loaded();
    // `!` on the selected row (no marks), then move away: `u` takes the flag off that row.
    let cmds = press(&mut app, [ch('!')]);
    let flagged: Vec<u32> = cmds
        .iter()
        .filter_map(|r| match r {
            Request::Store { uid, change, .. }
                if change.add_flags != mailroom::message::Flags::default() =>
            {
                Some(*uid)
            }
            _ => None,
        })
        .collect();
    assert_eq!(flagged.len(), 1, "{cmds:?}");
    let cmds = press(&mut app, [ch('G'), ch('u')]);
    let undone: Vec<u32> = cmds
        .iter()
        .filter_map(|r| match r {
            Request::Store { uid, change, .. }
                if change.remove_flags != mailroom::message::Flags::default() =>
            {
                Some(*uid)
            }
            _ => None,
        })
        .collect();
    assert_eq!(undone, flagged, "{cmds:?}");
    assert_eq!(
        app.notice(),
        Some(format!("undid flag on UID {}", flagged[0]).as_str())
    );
}

/// The undo's stores carry a guard (the state the action left, the state to bring back and
/// the MODSEQ the action left): the account's thread refuses one a teammate changed since,
/// even unseen here; the refusals are summed up once every answer is in.
#[test]
fn the_undo_stores_are_guarded_and_a_refusal_from_the_server_is_named() {
    let mut app = bulk_loaded();
    press(&mut app, [ch('M')]);
    let mut events = typed("from:payments");
    events.push(enter());
    press(&mut app, events);
    let sent = triages(&press(&mut app, [ch('d')]));
    for (n, (id, uid, _)) in sent.iter().enumerate() {
        press(
            &mut app,
            [EngineEvent::TriageDone {
                account_idx: 0,
                id: *id,
                uid: *uid,
                result: Ok(Applied {
                    uid: *uid,
                    action: "done",
                    before: state(&[]),
                    after: state(&["$done"]),
                    rounds: 1,
                    mapping: MappingKind::Keywords,
                    moved_to: None,
                    modseq: Some(100 + n as u64),
                }),
            }],
        );
    }
    let cmds = press(&mut app, [ch('u')]);
    let stores: Vec<(u64, u32)> = cmds
        .iter()
        .map(|r| match r {
            Request::Store {
                id,
                uid,
                guard: Some(g),
                ..
            } => {
                assert_eq!(g.left, state(&["$done"]));
                assert_eq!(g.before, state(&[]));
                let n = sent.iter().position(|(_, u, _)| u == uid).unwrap();
                assert_eq!(g.modseq, Some(100 + n as u64));
                (*id, *uid)
            }
            other => panic!("an unguarded undo store: {other:?}"),
        })
        .collect();
    assert_eq!(stores.len(), 3, "{cmds:?}");
    assert_eq!(app.notice(), Some("undid done on 3 messages"));
    let answer = |app: &mut App, (id, uid): (u64, u32), result: Result<(), String>| {
        press(
            app,
            [EngineEvent::StoreDone {
                account_idx: 0,
                id,
                uid,
                result,
            }],
        )
    };
    answer(&mut app, stores[0], Ok(()));
    let refusal = "changed since (now: assigned to bob, done)".to_string();
    answer(&mut app, stores[1], Err(refusal));
    assert_eq!(app.error(), None, "no line before the last answer");
    answer(&mut app, stores[2], Ok(()));
    assert_eq!(
        app.error(),
        Some(
            format!(
                "undo done: 2 undone; 1 refused: support UID {}: changed since (now: assigned to bob, done)",
                stores[1].1
            )
            .as_str()
        )
    );
}

/// `done` that moved the message to the archive folder (its row gone) is undone by moving it
/// back: one guarded request naming the folder and the UID there, whatever the rows say.
#[test]
fn u_after_an_archiving_done_asks_to_move_the_message_back() {
    let mut app = loaded();
    select(&mut app, 118);
    let cmds = press(&mut app, [ch('d')]);
    let [Request::Triage { id, .. }] = cmds.as_slice() else {
        panic!("{cmds:?}");
    };
    press(
        &mut app,
        [EngineEvent::TriageDone {
            account_idx: 0,
            id: *id,
            uid: 118,
            result: Ok(Applied {
                uid: 118,
                action: "done",
                before: state(&["$assigned.alice"]),
                after: state(&["$assigned.alice", "$done"]),
                rounds: 1,
                mapping: MappingKind::Keywords,
                moved_to: Some(Box::new(mailroom::triage::act::MovedTo {
                    mailbox: "Archive".into(),
                    uid: Some(7),
                })),
                modseq: Some(50),
            }),
        }],
    );
    let cmds = press(&mut app, [ch('u')]);
    match cmds.as_slice() {
        [
            Request::Store {
                uid: 118,
                guard: Some(g),
                ..
            },
        ] => {
            let moved = g.moved.as_ref().expect("a move back");
            assert_eq!((moved.folder.as_str(), moved.uid), ("Archive", Some(7)));
            assert!(!moved.folders, "the archive keeps team state in keywords");
            assert_eq!(g.before, state(&["$assigned.alice"]));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(app.notice(), Some("undid done on UID 118"));
}
