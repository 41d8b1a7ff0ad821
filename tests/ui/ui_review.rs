//! Review before sending in the TUI: a reply the team policy holds for review closes the
//! compose pane saying whom it awaits (the engine put it in the review folder).

use crossterm::event::KeyCode;

use mailroom::engine::pipeline::Outcome;
use mailroom::engine::{Event as EngineEvent, Request};
use mailroom::ui::app::update;

use crate::ui_compose::app;
use crate::ui_support::{ch, ctrl, key, press, press_served, typed};

#[test]
fn a_held_reply_closes_the_pane_saying_whom_it_awaits() {
    let mut app = app(100, 30);
    press(&mut app, [ch('c')]);
    press(&mut app, typed("carol@customer.test"));
    press(
        &mut app,
        [key(KeyCode::Tab), key(KeyCode::Tab), key(KeyCode::Tab)],
    );
    press(&mut app, typed("Hi"));
    press_served(&mut app, [ctrl('x')]);
    let cmds = press(&mut app, [ch('y')]);
    let Some(Request::Send { draft_id, .. }) = cmds.last() else {
        panic!("{cmds:?} {:?}", app.error())
    };
    let draft_id = draft_id.clone();
    update(
        &mut app,
        EngineEvent::SendDone {
            draft_id,
            result: Ok(Outcome::Held {
                message_id: "x@example.test".into(),
                folder: "shared/support/Review".into(),
                awaiting: "awaiting review by alice, carol".into(),
            }),
        },
    );
    assert!(app.compose().is_none());
    assert!(app.drafts().is_empty());
    assert!(
        app.notice().is_some_and(
            |n| n == "held for review <x@example.test>: awaiting review by alice, carol"
        ),
        "{:?} {:?}",
        app.notice(),
        app.error()
    );
}
