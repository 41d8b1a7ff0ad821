//! Review before sending in the TUI: a reply the team policy holds for review closes the
//! compose pane saying whom it awaits (the engine put it in the review folder); the review view
//! (`:review`) driven by keys, the engine's answers fed in as events.

use crossterm::event::KeyCode;

use mailroom::engine::pipeline::Outcome;
use mailroom::engine::review::{Approved, ItemState, Listed, Queue, ReviewAction, ReviewAnswer};
use mailroom::engine::{Event as EngineEvent, Request};
use mailroom::ui::app::{App, update};

use crate::ui_compose::app as compose_app;
use crate::ui_support::{
    NOW, ch, config_from, ctrl, drawn, enter, esc, key, press, press_served, rows_of, sized, theme,
    typed,
};

#[test]
fn a_held_reply_closes_the_pane_saying_whom_it_awaits() {
    let mut app = compose_app(100, 30);
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

fn app() -> App {
    let cols = [(0, "support".to_string())];
    let app = App::new(&cols, theme(), false)
        .with_agent("alice")
        .with_config(config_from(CONFIG));
    sized(app, 100, 20)
}

fn screen(app: &App) -> String {
    rows_of(&drawn(app)).join("\n")
}

fn item(uid: u32, author: &str, to: &str, subject: &str, state: ItemState) -> Listed {
    Listed {
        uid,
        id: format!("{uid:08x}"),
        author: author.into(),
        to: vec![to.into()],
        also: Vec::new(),
        subject: subject.into(),
        message_id: format!("m{uid}@example.test"),
        held: NOW - 60 * i64::from(uid) * 7,
        state,
        modseq: Some(5),
        records: Vec::new(),
    }
}

/// The last request's id and action (a review request is expected).
fn review_request(cmds: &[Request]) -> (u64, ReviewAction) {
    match cmds.last() {
        Some(Request::Review {
            id,
            account_idx: 0,
            action,
        }) => (*id, action.clone()),
        other => panic!("no review request: {other:?}"),
    }
}

fn answer(app: &mut App, id: u64, result: Result<ReviewAnswer, String>) -> Vec<Request> {
    update(
        app,
        EngineEvent::Review {
            id,
            account_idx: 0,
            result,
        },
    )
}

/// `:review` with two items listed.
fn listed() -> App {
    let mut app = app();
    let cmds = press(&mut app, typed(":review\n"));
    let (id, action) = review_request(&cmds);
    assert_eq!(action, ReviewAction::List);
    let queue = Queue {
        folder: "shared/support/Review".into(),
        items: vec![
            item(
                3,
                "bob",
                "zoe@outside.test",
                "Re: Your invoice\u{1b}[2J",
                ItemState::Waiting,
            ),
            item(
                4,
                "bob",
                "dan@buyer.test",
                "Re: Refund",
                ItemState::Approving {
                    by: "carol".into(),
                    since: Some(NOW - 300),
                },
            ),
        ],
    };
    answer(&mut app, id, Ok(ReviewAnswer::Queue(queue, Vec::new())));
    app
}

#[test]
fn the_review_view_lists_author_recipient_subject_state_and_age() {
    let mut app = app();
    press(&mut app, typed(":review\n"));
    assert!(screen(&app).contains("reading…"));
    let app = listed();
    let s = screen(&app);
    assert!(!s.contains('\u{1b}'));
    assert_snapshot!("review_view_100x20", s);
}

#[test]
fn enter_opens_an_item_and_a_then_y_approves_it() {
    let mut app = listed();
    let cmds = press(&mut app, [enter()]);
    let (id, action) = review_request(&cmds);
    assert_eq!(action, ReviewAction::Show { uid: 3 });
    let shown = item(
        3,
        "bob",
        "zoe@outside.test",
        "Re: Your invoice",
        ItemState::Waiting,
    );
    answer(
        &mut app,
        id,
        Ok(ReviewAnswer::Shown(
            Box::new(shown),
            "Hello Zoe,\n\nhere is the answer.\n\n-- \nbob".into(),
        )),
    );
    assert_snapshot!("review_item_100x20", screen(&app));
    // a asks; any key but y keeps it.
    assert!(press(&mut app, [ch('a'), ch('n')]).is_empty());
    assert_eq!(app.notice(), Some("not approved"));
    let cmds = press(&mut app, [ch('a'), ch('y')]);
    let (id, action) = review_request(&cmds);
    assert_eq!(action, ReviewAction::Approve { uid: 3 });
    let cmds = answer(
        &mut app,
        id,
        Ok(ReviewAnswer::Approved(Box::new(Approved {
            id: "00000003".into(),
            author: "bob".into(),
            approver: "alice".into(),
            outcome: Outcome::Sent {
                message_id: "m3@example.test".into(),
                warning: None,
            },
            warning: None,
        }))),
    );
    assert_eq!(
        app.notice(),
        Some("approved bob's reply: sent <m3@example.test>")
    );
    // The list is read again.
    assert_eq!(review_request(&cmds).1, ReviewAction::List);
}

#[test]
fn a_names_the_cc_and_bcc_recipients_the_row_does_not_show_before_approving() {
    let mut app = app();
    let cmds = press(&mut app, typed(":review\n"));
    let (id, _) = review_request(&cmds);
    let mut one = item(
        3,
        "bob",
        "zoe@outside.test",
        "Re: Refund",
        ItemState::Waiting,
    );
    one.also = vec!["boss@outside.test".into(), "x\u{1b}[2J@evil.test".into()];
    let queue = Queue {
        folder: "shared/support/Review".into(),
        items: vec![one],
    };
    answer(&mut app, id, Ok(ReviewAnswer::Queue(queue, Vec::new())));
    assert!(press(&mut app, [ch('a')]).is_empty());
    let said = app.notice().unwrap_or_default().to_string();
    assert!(
        said.contains("(also to boss@outside.test, x"),
        "the approver is told of every recipient: {said}"
    );
    assert!(!said.contains('\u{1b}'), "{said:?}");
}

#[test]
fn r_returns_the_selected_item_with_a_typed_note() {
    let mut app = listed();
    press(&mut app, [ch('j'), ch('r')]);
    press(&mut app, typed("Add the ticket no."));
    assert_snapshot!("review_note_100x20", screen(&app));
    let cmds = press(&mut app, [enter()]);
    let (_, action) = review_request(&cmds);
    assert_eq!(
        action,
        ReviewAction::Return {
            uid: 4,
            note: "Add the ticket no.".into()
        }
    );
    // Esc gives up a note; an empty one is refused; q closes the view.
    let mut app = listed();
    press(&mut app, [ch('r'), esc()]);
    assert_eq!(app.notice(), Some("not returned"));
    press(&mut app, [ch('r')]);
    assert!(press(&mut app, [enter()]).is_empty());
    press(&mut app, [esc(), ch('q')]);
    assert!(!screen(&app).contains("review · support"));
}

#[test]
fn a_lost_race_or_a_refusal_is_shown_as_an_error() {
    let mut app = listed();
    let cmds = press(&mut app, [ch('a'), ch('y')]);
    let (id, _) = review_request(&cmds);
    answer(
        &mut app,
        id,
        Err("00000003 is already approving by carol since 2026-12-06 14:30".into()),
    );
    assert!(
        app.error()
            .is_some_and(|e| e.contains("approving by carol")),
        "{:?}",
        app.error()
    );
    // A stale answer (another id) changes nothing.
    assert!(answer(&mut app, 999, Err("late".into())).is_empty());
}

#[test]
fn a_reply_returned_to_you_joins_your_drafts_with_the_note() {
    let mut app = app();
    let cmds = press(&mut app, typed(":review\n"));
    let (id, _) = review_request(&cmds);
    let draft = mailroom::store::drafts::Draft {
        id: "returned-1".into(),
        account: "support".into(),
        to: vec!["zoe@outside.test".into()],
        subject: "Re: Your invoice".into(),
        body: "[review] returned by carol: Add the ticket no.\n\nHello".into(),
        saved: NOW,
        ..Default::default()
    };
    answer(
        &mut app,
        id,
        Ok(ReviewAnswer::Queue(
            Queue::default(),
            vec![mailroom::engine::review::TakenBack {
                subject: "Re: Your invoice".into(),
                by: Some("carol".into()),
                note: "Add the ticket no.".into(),
                draft_id: "returned-1".into(),
                draft,
            }],
        )),
    );
    assert_eq!(
        app.notice(),
        Some("returned to your drafts by carol: Re: Your invoice (note: Add the ticket no.)")
    );
    assert_eq!(app.drafts().len(), 1);
    assert_eq!(app.drafts()[0].id, "returned-1");
    assert!(screen(&app).contains("no replies waiting for review"));
}

#[test]
fn e_edits_the_open_item_in_the_editor_then_y_approves_the_edited_text() {
    let mut app = listed();
    // Nothing open yet: e says how.
    assert!(press(&mut app, [ch('e')]).is_empty());
    assert!(app.take_editor().is_none());
    let cmds = press(&mut app, [enter()]);
    let (id, _) = review_request(&cmds);
    let shown = item(
        3,
        "bob",
        "zoe@outside.test",
        "Re: Your invoice",
        ItemState::Waiting,
    );
    answer(
        &mut app,
        id,
        Ok(ReviewAnswer::Shown(Box::new(shown), "Hello Zoe".into())),
    );
    press(&mut app, [ch('e')]);
    assert_eq!(app.take_editor().as_deref(), Some("Hello Zoe"));
    // Unchanged: nothing asked.
    update(
        &mut app,
        mailroom::ui::event::Event::Edited(Ok("Hello Zoe\n".into())),
    );
    assert_eq!(
        app.notice(),
        Some("unchanged: a approves the reply as written")
    );
    press(&mut app, [ch('e')]);
    app.take_editor();
    update(
        &mut app,
        mailroom::ui::event::Event::Edited(Ok("Hello Zoe, corrected.".into())),
    );
    assert_eq!(
        app.notice(),
        Some("approve and send the edited reply? (y/n)")
    );
    assert!(
        app.compose().is_none(),
        "the editor's answer is not the compose pane's"
    );
    let cmds = press(&mut app, [ch('y')]);
    assert_eq!(
        review_request(&cmds).1,
        ReviewAction::ApproveEdited {
            uid: 3,
            text: "Hello Zoe, corrected.".into()
        }
    );
}
