//! Prompts own their input, and taking a teammate's message asks first (issue 18, item 2).

use std::sync::Arc;

use crossterm::event::KeyCode;
use mailroom::config;
use mailroom::engine::event::Opened;
use mailroom::engine::{Event as EngineEvent, Request};
use mailroom::triage::state::Action;
use mailroom::ui::app::App;

use crate::ui_support;
use ui_support::{
    ch, config_from, enter, key, load, msg, press, selected_uid, sized, status_line, theme, typed,
    with_keywords,
};

const CONFIG: &str = r#"
[agent]
id = "alice"
name = "Alice Example"
email = "alice@example.test"

[team]
agents = ["carol", "alice", "bob"]

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

/// support: 1 open and unassigned, 3 bob's, 7 open with dave writing a reply.
fn loaded() -> App {
    let app = App::new(&[(0, "support".to_string())], theme(), false)
        .with_agent("alice")
        .with_config(config());
    let mut app = sized(app, 160, 30);
    load(
        &mut app,
        0,
        vec![
            msg(1, 10, "Ann", "Open unassigned"),
            with_keywords(msg(3, 30, "Cid", "Bobs open"), &["$assigned.bob"]),
            with_keywords(msg(7, 70, "Gus", "Dave replies"), &["$replying.dave"]),
        ],
    );
    app
}

fn select(app: &mut App, uid: u32) {
    press(app, [ch('g')]);
    for _ in 0..5 {
        if selected_uid(app) == Some(uid) {
            return;
        }
        press(app, [ch('j')]);
    }
    assert_eq!(selected_uid(app), Some(uid), "UID {uid} is not shown");
}

fn triages(cmds: &[Request]) -> Vec<(u32, Action)> {
    cmds.iter()
        .filter_map(|r| match r {
            Request::Triage { uid, action, .. } => Some((*uid, action.clone())),
            _ => None,
        })
        .collect()
}

/// What in `cmds` changes something: triage, a note, a draft, a save, a send.
fn acting(cmds: &[Request]) -> Vec<&Request> {
    cmds.iter()
        .filter(|r| {
            matches!(
                r,
                Request::Triage { .. }
                    | Request::AddNote { .. }
                    | Request::SaveDraft(_)
                    | Request::Save { .. }
                    | Request::Send { .. }
            )
        })
        .collect()
}

#[test]
fn a_path_typed_after_s_on_a_message_without_attachments_lands_in_the_line() {
    let mut app = loaded();
    select(&mut app, 1);
    press(&mut app, [enter()]);
    press(
        &mut app,
        [EngineEvent::Body {
            account_idx: 0,
            uid: 1,
            body: Ok(Opened::from("just text")),
        }],
    );
    // `s`, then what the agent meant as a path: `p` (pending), `n` (note), `c` (compose)…
    let mut cmds = press(&mut app, [ch('s')]);
    cmds.extend(press(&mut app, typed("~/pnc/d")));
    assert!(
        status_line(&app).contains("no attachments"),
        "{}",
        status_line(&app)
    );
    assert!(app.prompt().is_some_and(|p| p.text == "save ~/pnc/d"));
    cmds.extend(press(&mut app, [enter()]));
    assert!(acting(&cmds).is_empty(), "ran as keys: {cmds:?}");
    assert!(app.prompt().is_none() && app.compose().is_none() && app.note().is_none());
    assert!(
        status_line(&app).contains("nothing done"),
        "{}",
        status_line(&app)
    );
    // Esc closes it as well, and nothing typed is kept.
    let mut cmds = press(&mut app, [ch('s')]);
    cmds.extend(press(&mut app, typed("pnd")));
    cmds.extend(press(&mut app, [key(KeyCode::Esc)]));
    assert!(acting(&cmds).is_empty(), "ran as keys: {cmds:?}");
    assert!(app.prompt().is_none() && app.compose().is_none() && app.note().is_none());
}

#[test]
fn keys_typed_while_the_message_loads_land_in_the_save_line() {
    let mut app = loaded();
    select(&mut app, 1);
    press(&mut app, [enter()]);
    // The body is not there yet: `s` and what follows still belong to the line.
    let mut cmds = press(&mut app, [ch('s')]);
    cmds.extend(press(&mut app, typed("pdc")));
    assert!(app.prompt().is_some_and(|p| p.text == "save pdc"));
    assert!(status_line(&app).contains("still loading"));
    cmds.extend(press(&mut app, [enter()]));
    assert!(acting(&cmds).is_empty(), "ran as keys: {cmds:?}");
    assert!(app.prompt().is_none() && app.compose().is_none());
}

#[test]
fn assigning_a_teammates_message_asks_first_naming_them() {
    let mut app = loaded();
    select(&mut app, 3);
    let mut cmds = press(&mut app, [ch('A')]);
    cmds.extend(press(&mut app, typed("carol")));
    cmds.extend(press(&mut app, [enter()]));
    assert!(
        triages(&cmds).is_empty(),
        "reassigned without asking: {cmds:?}"
    );
    let q = app
        .confirm()
        .map(|q| q.question.clone())
        .unwrap_or_default();
    assert!(q.contains("bob") && q.contains("carol"), "{q}");
    // No: nothing sent.
    assert!(triages(&press(&mut app, [ch('n')])).is_empty());
    assert!(app.confirm().is_none());
    // Yes: exactly the assignment asked for.
    press(&mut app, [ch(':')]);
    press(&mut app, typed("assign carol"));
    press(&mut app, [enter()]);
    let cmds = press(&mut app, [ch('y')]);
    assert_eq!(triages(&cmds), vec![(3, Action::Assign("carol".into()))]);
    // Claiming it asks too (a claim never takes a held message): yes takes it over; an
    // unassigned message does not ask.
    press(&mut app, [ch('a')]);
    let q = app
        .confirm()
        .map(|q| q.question.clone())
        .unwrap_or_default();
    assert!(q.contains("bob") && q.contains("take it over"), "{q}");
    assert_eq!(
        triages(&press(&mut app, [ch('y')])),
        vec![(3, Action::Assign("alice".into()))]
    );
    select(&mut app, 1);
    assert_eq!(
        triages(&press(&mut app, [ch('a')])),
        vec![(1, Action::Claim)]
    );
}

#[test]
fn closing_a_message_a_teammate_is_replying_to_asks_first() {
    let mut app = loaded();
    select(&mut app, 7);
    for (k, action) in [('d', Action::Done), ('p', Action::Pending)] {
        assert!(triages(&press(&mut app, [ch(k)])).is_empty(), "{k}");
        let q = app
            .confirm()
            .map(|q| q.question.clone())
            .unwrap_or_default();
        assert!(q.contains("dave") && q.contains("replying"), "{q}");
        assert_eq!(triages(&press(&mut app, [ch('y')])), vec![(7, action)]);
    }
    // Nobody replying: no question.
    select(&mut app, 1);
    assert_eq!(
        triages(&press(&mut app, [ch('d')])),
        vec![(1, Action::Done)]
    );
}
