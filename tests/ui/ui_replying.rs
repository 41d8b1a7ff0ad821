//! "X is replying" (issue #6), on the App alone (no terminal, no network): opening a reply or
//! forward marks the message `$replying.<agent>`, sending or closing clears it, a teammate's
//! fresh mark asks before answering, a mark seen for more than 30 minutes is stale, and an
//! agent who may not write keywords composes without a mark.

use crossterm::event::KeyCode;

use mailroom::engine::pipeline::Outcome;
use mailroom::engine::{Event as EngineEvent, Request};
use mailroom::policy::rights::Rights;
use mailroom::store::drafts::Draft;
use mailroom::triage::act::ActError;
use mailroom::triage::state::Action as TriageAction;
use mailroom::ui::app::{App, update};
use mailroom::ui::event::Event;
use mailroom::ui::screen::columns::REPLYING_STALE_SECS;
use mailroom::ui::screen::compose::model::Kind;

use crate::ui_support;
use ui_support::{
    NOW, ch, config_from, ctrl, drawn, flag_update, flags_event, key, load, msg, press,
    press_served, rows_of, sized, theme, typed, with_keywords,
};

const CONFIG: &str = r#"
[agent]
id = "alice"
name = "Alice Example"
email = "alice@example.test"

[[account]]
name = "support"
address = "support@example.test"
display_name = "Example Support"
send = "as"
[account.maildir]
path = "mail/support"
"#;

const PRINTER: u32 = 42;
const REFUND: u32 = 43;

/// alice (unless `agent` is `None`), one column with two messages; `keywords` on the first.
fn app_with(agent: Option<&str>, keywords: &[&str]) -> App {
    let mut app = App::new(&[(0, "support".to_string())], theme(), false);
    if let Some(a) = agent {
        app = app.with_agent(a);
    }
    let mut app = sized(app.with_config(config_from(CONFIG)), 120, 20);
    let printer = with_keywords(msg(PRINTER, 10, "Carol", "Printer on fire"), keywords);
    let refund = msg(REFUND, 60, "Dave", "Refund request");
    load(&mut app, 0, vec![printer, refund]);
    app
}

fn app(keywords: &[&str]) -> App {
    app_with(Some("alice"), keywords)
}

/// The "replying" marks among `cmds`: (account, UID, on).
fn marks(cmds: &[Request]) -> Vec<(usize, u32, bool)> {
    cmds.iter()
        .filter_map(|c| match c {
            Request::Triage {
                account_idx,
                uid,
                action: TriageAction::Replying(on),
                agent,
                ..
            } => {
                assert_eq!(agent, "alice");
                Some((*account_idx, *uid, *on))
            }
            Request::Triage { action, .. } => panic!("unexpected triage {action:?}"),
            _ => None,
        })
        .collect()
}

/// The id the mark command was sent with.
fn mark_id(cmds: &[Request]) -> u64 {
    cmds.iter()
        .find_map(|c| match c {
            Request::Triage { id, .. } => Some(*id),
            _ => None,
        })
        .expect("a triage command")
}

/// The screen, trailing blanks trimmed from each row.
fn screen(app: &App) -> String {
    rows_of(&drawn(app))
        .iter()
        .map(|l| l.trim_end())
        .collect::<Vec<_>>()
        .join("\n")
}

/// A sync brings `keywords` as the printer message's keywords.
fn printer_keywords(app: &mut App, keywords: &[&str]) {
    update(app, flags_event(0, vec![flag_update(PRINTER, keywords)]));
}

/// The outbox's answer to sending `draft_id`.
fn send_done(app: &mut App, draft_id: &str, outcome: Outcome) -> Vec<Request> {
    update(
        app,
        EngineEvent::SendDone {
            draft_id: draft_id.to_string(),
            result: Ok(outcome),
        },
    )
}

fn row<'a>(screen: &'a str, subject: &str) -> &'a str {
    screen
        .lines()
        .find(|l| l.contains(subject))
        .unwrap_or_else(|| panic!("no row {subject:?}:\n{screen}"))
}

#[test]
fn r_marks_the_message_and_closing_the_pane_clears_it() {
    let mut app = app(&[]);
    let cmds = press(&mut app, [ch('r')]);
    assert!(app.compose().is_some(), "the pane opens at once");
    assert_eq!(
        cmds.first(),
        Some(&Request::Open {
            account_idx: 0,
            uid: PRINTER
        }),
        "the quote is fetched first"
    );
    assert_eq!(marks(&cmds), [(0, PRINTER, true)]);
    assert_eq!(app.replying_mark(), Some((0, PRINTER)));
    // The mark is quiet: the status line talks about the reply, not the keyword.
    assert!(app.error().is_none(), "{:?}", app.error());
    assert!(
        app.notice().is_some_and(|n| n.starts_with("reply")),
        "{:?}",
        app.notice()
    );
    // Esc never closes; Ctrl-q does, and clears the mark.
    assert!(marks(&press(&mut app, [key(KeyCode::Esc)])).is_empty());
    let cmds = press(&mut app, [ctrl('q')]);
    assert!(app.compose().is_none());
    assert_eq!(marks(&cmds), [(0, PRINTER, false)]);
    assert_eq!(app.replying_mark(), None);
    // A second close has nothing to clear.
    assert!(marks(&press(&mut app, [ch('q')])).is_empty());
}

#[test]
fn reply_all_and_forward_mark_the_message_a_new_message_marks_nothing() {
    let mut app = app(&[]);
    // The older message: the mark goes to the selected row's UID.
    press(&mut app, [ch('j')]);
    for k in ['R', 'f'] {
        let cmds = press(&mut app, [ch(k)]);
        assert_eq!(marks(&cmds), [(0, REFUND, true)], "{k}");
        assert_eq!(marks(&press(&mut app, [ctrl('q')])), [(0, REFUND, false)]);
    }
    // From the reader too.
    press(&mut app, [key(KeyCode::Enter)]);
    let cmds = press(&mut app, [ch('r')]);
    assert_eq!(marks(&cmds), [(0, REFUND, true)]);
    press(&mut app, [ctrl('q'), ch('q')]);
    let cmds = press(&mut app, [ch('c')]);
    assert_eq!(app.compose().map(|c| c.kind), Some(Kind::New));
    assert!(marks(&cmds).is_empty());
    assert_eq!(app.replying_mark(), None);
    assert!(marks(&press(&mut app, [ctrl('q')])).is_empty());
}

#[test]
fn a_successful_send_clears_the_mark_a_refused_one_keeps_it() {
    let mut app = app(&[]);
    press(&mut app, [ch('r')]);
    update(
        &mut app,
        EngineEvent::Body {
            account_idx: 0,
            uid: PRINTER,
            body: Ok("It is on fire.".into()),
        },
    );
    press(&mut app, typed("On our way."));
    press_served(&mut app, [ctrl('x')]);
    let cmds = press(&mut app, [ch('y')]);
    assert!(marks(&cmds).is_empty(), "sending is not the end yet");
    let Some(Request::Send { draft_id, .. }) = cmds.last() else {
        panic!("{cmds:?} {:?}", app.error())
    };
    // Refused: the pane stays, and so does the mark.
    let cmds = send_done(
        &mut app,
        draft_id,
        Outcome::Failed {
            message_id: "x@example.test".into(),
            error: "550 not allowed".into(),
        },
    );
    assert!(cmds.is_empty(), "{cmds:?}");
    assert!(app.compose().is_some());
    assert_eq!(app.replying_mark(), Some((0, PRINTER)));
    // Sent (here: queued, the outbox delivers it): the pane closes and the mark goes.
    press_served(&mut app, [ctrl('x')]);
    press(&mut app, [ch('y')]);
    let cmds = send_done(
        &mut app,
        draft_id,
        Outcome::Busy {
            message_id: "x@example.test".into(),
        },
    );
    assert!(app.compose().is_none());
    assert_eq!(marks(&cmds), [(0, PRINTER, false)]);
    assert_eq!(app.replying_mark(), None);
}

#[test]
fn quitting_with_a_reply_open_clears_the_mark_before_quit() {
    let mut app = app(&[]);
    press(&mut app, [ch('r')]);
    press(&mut app, typed("Hello"));
    let cmds = press(&mut app, [ctrl('c')]);
    assert!(
        matches!(
            cmds.as_slice(),
            [
                Request::SaveDraft(_),
                Request::Triage {
                    uid: PRINTER,
                    action: TriageAction::Replying(false),
                    ..
                },
            ]
        ) && app.quitting(),
        "the run loop carries out what comes with quitting: {cmds:?}"
    );
}

#[test]
fn a_teammates_mark_asks_first_y_opens_n_does_not() {
    let mut app = app(&["$replying.bob"]);
    let s = screen(&app);
    assert!(row(&s, "Printer on fire").contains("✎ bob"), "{s}");
    let cmds = press(&mut app, [ch('r')]);
    assert!(
        cmds.is_empty(),
        "nothing happens before the answer: {cmds:?}"
    );
    assert!(app.compose().is_none());
    let q = app.confirm().expect("a question").question.clone();
    assert_eq!(q, "bob is replying to this message — reply anyway? (y/n)");
    let s = screen(&app);
    assert!(s.contains("bob is replying to this message"), "{s}");
    // n: nothing opened, and the status line says so.
    let cmds = press(&mut app, [ch('n')]);
    assert!(cmds.is_empty());
    assert!(app.compose().is_none() && app.confirm().is_none());
    assert!(
        app.notice().is_some_and(|n| n.contains("cancelled")),
        "{:?}",
        app.notice()
    );
    // Any other key cancels too, and is not taken as a command (j does not move).
    press(&mut app, [ch('f')]);
    assert!(
        app.confirm()
            .is_some_and(|c| c.question.contains("forward anyway"))
    );
    press(&mut app, [ch('j')]);
    assert!(app.confirm().is_none() && app.compose().is_none());
    assert_eq!(app.columns()[0].selected, 0);
    // y: the reply opens, and alice's mark joins bob's.
    press(&mut app, [ch('R')]);
    let cmds = press(&mut app, [ch('y')]);
    assert_eq!(app.compose().map(|c| c.kind), Some(Kind::ReplyAll));
    assert_eq!(app.compose().and_then(|c| c.reply_uid()), Some(PRINTER));
    assert_eq!(marks(&cmds), [(0, PRINTER, true)]);
    // The question never swallows Ctrl-c.
    press(&mut app, [ctrl('q')]);
    press(&mut app, [ch('r')]);
    assert!(app.confirm().is_some() && !app.quitting());
    press(&mut app, [ctrl('c')]);
    assert!(app.quitting());
}

#[test]
fn the_agents_own_mark_and_several_teammates() {
    // alice's own mark (a pane left open elsewhere) does not ask.
    let mut app = app(&["$replying.alice"]);
    press(&mut app, [ch('r')]);
    assert!(app.confirm().is_none() && app.compose().is_some());
    // Several teammates are named; a hostile keyword is not.
    let mut app = app_with(
        Some("alice"),
        &[
            "$Replying.Bob",
            "$replying.carol",
            "$replying.x)y",
            "$replying.alice",
        ],
    );
    press(&mut app, [ch('r')]);
    assert_eq!(
        app.confirm().map(|c| c.question.as_str()),
        Some("bob, carol are replying to this message — reply anyway? (y/n)")
    );
}

#[test]
fn a_mark_seen_for_more_than_30_minutes_is_stale_and_does_not_ask() {
    let mut app = app(&["$replying.bob"]);
    // 29 minutes: still fresh.
    update(&mut app, Event::Tick(NOW + REPLYING_STALE_SECS - 60));
    let s = screen(&app);
    assert!(row(&s, "Printer on fire").contains("✎ bob"), "{s}");
    press(&mut app, [ch('r')]);
    assert!(app.confirm().is_some());
    press(&mut app, [ch('n')]);
    // Carol starts replying 20 minutes in; the Flags event dates her mark.
    printer_keywords(&mut app, &["$replying.bob", "$replying.carol"]);
    // 31 minutes: bob's mark is stale, carol's is not.
    update(&mut app, Event::Tick(NOW + REPLYING_STALE_SECS + 60));
    let s = screen(&app);
    let r = row(&s, "Printer on fire");
    assert!(r.contains("✎ carol ✎? bob"), "{s}");
    assert!(app.columns()[0].replying_stale(PRINTER, "bob"));
    assert!(!app.columns()[0].replying_stale(PRINTER, "carol"));
    press(&mut app, [ch('r')]);
    assert_eq!(
        app.confirm().map(|c| c.question.as_str()),
        Some("carol is replying to this message — reply anyway? (y/n)")
    );
    press(&mut app, [ch('n')]);
    // Carol's mark goes (she sent): bob's stale mark alone asks nothing.
    printer_keywords(&mut app, &["$replying.bob"]);
    let s = screen(&app);
    assert!(row(&s, "Printer on fire").contains("✎? bob"), "{s}");
    let cmds = press(&mut app, [ch('r')]);
    assert!(app.confirm().is_none() && app.compose().is_some());
    assert_eq!(marks(&cmds), [(0, PRINTER, true)]);
    press(&mut app, [ctrl('q')]);
    // A mark that goes away and comes back is new again.
    for keywords in [&[][..], &["$replying.bob"]] {
        printer_keywords(&mut app, keywords);
    }
    assert!(!app.columns()[0].replying_stale(PRINTER, "bob"));
    press(&mut app, [ch('r')]);
    assert!(app.confirm().is_some());
}

#[test]
fn rows_from_the_cache_and_a_resync_keep_the_first_seen_time() {
    let mut app = app_with(Some("alice"), &[]);
    let printer = with_keywords(
        msg(PRINTER, 10, "Carol", "Printer on fire"),
        &["$replying.bob"],
    );
    update(
        &mut app,
        EngineEvent::Cached {
            account_idx: 0,
            rows: vec![printer.clone()],
        },
    );
    update(&mut app, Event::Tick(NOW + 20 * 60));
    // The server sends the row again (a full sync): the mark keeps its date.
    update(
        &mut app,
        EngineEvent::Rows {
            account_idx: 0,
            rows: vec![printer],
        },
    );
    update(&mut app, Event::Tick(NOW + REPLYING_STALE_SECS + 1));
    assert!(app.columns()[0].replying_stale(PRINTER, "bob"));
    // A message that goes away takes its mark along.
    update(
        &mut app,
        EngineEvent::Vanished {
            account_idx: 0,
            uids: vec![PRINTER],
        },
    );
    assert!(!app.columns()[0].replying_stale(PRINTER, "bob"));
}

#[test]
fn a_read_only_agent_composes_without_a_mark_and_without_a_word() {
    let mut app = app(&[]);
    update(
        &mut app,
        EngineEvent::Access {
            account_idx: 0,
            rights: Rights::parse("lrs"),
            team_state: mailroom::triage::folders::TeamStateAt::Keywords,
        },
    );
    let cmds = press(&mut app, [ch('r')]);
    assert!(app.compose().is_some());
    assert!(marks(&cmds).is_empty(), "{cmds:?}");
    assert!(app.error().is_none(), "{:?}", app.error());
    assert!(marks(&press(&mut app, [ctrl('q')])).is_empty());
    // No agent id: the same.
    let mut app = app_with(None, &[]);
    let cmds = press(&mut app, [ch('r')]);
    assert!(app.compose().is_some());
    assert!(marks(&cmds).is_empty(), "{cmds:?}");
    assert!(app.error().is_none(), "{:?}", app.error());
}

#[test]
fn a_server_refusal_of_the_mark_is_not_an_error() {
    let mut app = app(&[]);
    let cmds = press(&mut app, [ch('r')]);
    let id = mark_id(&cmds);
    update(
        &mut app,
        EngineEvent::TriageDone {
            account_idx: 0,
            id,
            uid: PRINTER,
            result: Err(ActError::NoRight("needs the w right".into())),
        },
    );
    assert!(app.error().is_none(), "{:?}", app.error());
    assert!(app.compose().is_some());
}

#[test]
fn reopening_a_reply_draft_marks_its_message() {
    let draft = |id: &str, uid: u32| Draft {
        id: id.into(),
        account: "support".into(),
        from: "support@example.test".into(),
        to: vec!["carol@customer.test".into()],
        subject: "Re: Printer on fire".into(),
        body: "On our way".into(),
        saved: NOW - 120,
        reply_to_uid: Some(uid),
        ..Draft::default()
    };
    let mut app = app(&[]).with_drafts(
        vec![
            draft("0123456789abcdef01234567", PRINTER),
            // Its message is not in the column (gone, or another mailbox state).
            draft("0123456789abcdef01234568", 7),
        ],
        0,
    );
    let cmds = press(&mut app, typed(":drafts 1\n"));
    assert!(app.compose().is_some());
    assert_eq!(marks(&cmds), [(0, PRINTER, true)]);
    assert_eq!(marks(&press(&mut app, [ctrl('q')])), [(0, PRINTER, false)]);
    let n = app
        .drafts()
        .iter()
        .position(|d| d.reply_to_uid == Some(7))
        .expect("the other draft")
        + 1;
    let cmds = press(&mut app, typed(&format!(":drafts {n}\n")));
    assert!(app.compose().is_some());
    assert!(marks(&cmds).is_empty(), "{cmds:?}");
}

#[test]
fn a_mailbox_reset_forgets_the_uids_of_the_reply_being_written() {
    // After a UIDVALIDITY change the reply's UID may name another message: sending must not
    // mark that one \Answered, nor clear a "replying" mark on it.
    let mut app = app(&[]);
    let cmds = press(&mut app, [ch('r')]);
    assert_eq!(marks(&cmds), [(0, PRINTER, true)]);
    assert_eq!(app.compose().and_then(|c| c.reply_uid()), Some(PRINTER));
    press(
        &mut app,
        [EngineEvent::Reset {
            account_idx: 0,
            reason: "the mailbox was recreated".into(),
        }],
    );
    assert_eq!(app.compose().and_then(|c| c.reply_uid()), None);
    assert_eq!(app.replying_mark(), None);
    // Closing the pane now sends no clear for a UID that means nothing any more.
    let cmds = press(&mut app, [ctrl('q')]);
    assert!(marks(&cmds).is_empty(), "{cmds:?}");
}

/// `Ctrl-f` asked first (a teammate is replying): `y` opens the forward of the whole original
/// as an attachment, not the inline forward with its quote.
#[test]
fn ctrl_f_answered_through_the_replying_question_opens_the_attachment_forward() {
    let mut app = app(&["$replying.bob"]);
    let cmds = press(&mut app, [ctrl('f')]);
    assert!(cmds.is_empty(), "nothing before the answer: {cmds:?}");
    let q = app.confirm().expect("a question").question.clone();
    assert!(q.contains("bob is replying"), "{q}");
    press(&mut app, [ch('y')]);
    let c = app.compose().expect("the forward pane");
    assert_eq!(c.kind, Kind::Forward);
    assert!(c.forward_whole, "Ctrl-f forwards the whole original");
    assert_eq!(c.quoted(), None, "no inline quote");
}
