//! The conversation view and reader navigation on the App alone (issue 17, items 4 and 5):
//! the reader shows the thread's messages, the team's replies from Sent and the notes in time
//! order, the open message expanded; `Tab`/`e`/`E` move and fold; `J`/`K`/`N` open the next,
//! previous and next unread message of the column; `e`/`E` fold threads in the list; `r` on an
//! answered conversation asks first. Snapshots at 80×24, 120×40 and 200×50.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use mailroom::engine::event::Opened;
use mailroom::engine::{Event as EngineEvent, Request};
use mailroom::mail::note::Note;
use mailroom::mail::sent::SentReply;
use mailroom::message::{Fields, Flags, Summary};
use mailroom::ui::app::App;
use mailroom::ui::event::Event;

use crate::ui_support;
use ui_support::{
    NOW, ch, config_from, enter, key, load, msg, press, screen, selected_uid, shown_uids, sized,
    status_line, tab, theme,
};

const CONFIG: &str = r#"
[agent]
id = "bob"
name = "Bob Example"
email = "bob@example.test"

[[account]]
name = "support"
address = "support@example.test"
display_name = "Example Support"
send = "as"
[account.maildir]
path = "mail/support"
sent = "Sent"
"#;

/// A row `minutes_ago` old with its Message-ID and parent.
fn in_thread(
    uid: u32,
    minutes_ago: i64,
    from: &str,
    subject: &str,
    id: &str,
    parent: Option<&str>,
) -> Summary {
    let mut f = Fields::from(msg(uid, minutes_ago, from, subject));
    f.date = Some(NOW - minutes_ago * 60);
    f.message_id = Some(id.to_string());
    f.in_reply_to = parent.map(|p| vec![p.to_string()]).unwrap_or_default();
    // A reply's References: the thread's first message, then the parent.
    f.references = match parent {
        Some(p) if p != "c1@customer.test" && id.starts_with('c') => {
            vec!["c1@customer.test".to_string(), p.to_string()]
        }
        Some(p) => vec![p.to_string()],
        None => Vec::new(),
    };
    f.flags = Flags {
        seen: true,
        ..Flags::default()
    };
    Summary::new(f)
}

fn unread(s: Summary) -> Summary {
    let mut f = Fields::from(s);
    f.flags.seen = false;
    Summary::new(f)
}

/// Carol's order thread (the first message, alice's reply is in Sent, "Any update on this?"),
/// and two other messages.
fn rows() -> Vec<Summary> {
    vec![
        in_thread(
            1,
            300,
            "Carol",
            "Order 123 not delivered",
            "c1@customer.test",
            None,
        ),
        in_thread(2, 200, "Dave", "Password reset", "d1@customer.test", None),
        unread(in_thread(
            3,
            100,
            "Erin",
            "Invoice copy",
            "e1@customer.test",
            None,
        )),
        in_thread(
            4,
            30,
            "Carol",
            "Re: Order 123 not delivered",
            "c2@customer.test",
            Some("r1@example.test"),
        ),
    ]
}

fn app(w: u16, h: u16) -> App {
    let app = App::new(&[(0, "support".to_string())], theme(), false).with_agent("bob");
    let mut app = sized(app.with_config(config_from(CONFIG)), w, h);
    load(&mut app, 0, rows());
    app
}

fn alice_reply() -> SentReply {
    SentReply {
        uid: 7,
        date: NOW - 12 * 60,
        agent: Some("alice".into()),
        from: Some("support@example.test".into()),
        sender: None,
        message_id: Some("r2@example.test".into()),
        in_reply_to: vec!["c2@customer.test".into()],
        references: vec!["c1@customer.test".into(), "c2@customer.test".into()],
        text: "Hi Carol,\n\nIt left our warehouse today.\n\nAlice".into(),
    }
}

fn first_reply() -> SentReply {
    SentReply {
        uid: 5,
        date: NOW - 250 * 60,
        agent: Some("bob".into()),
        from: Some("support@example.test".into()),
        sender: Some("bob@example.test".into()),
        message_id: Some("r1@example.test".into()),
        in_reply_to: vec!["c1@customer.test".into()],
        references: vec!["c1@customer.test".into()],
        text: "We are looking into it.".into(),
    }
}

fn note() -> Note {
    Note {
        uid: 3,
        agent: Some("alice".into()),
        from: None,
        date: NOW - 20 * 60,
        message_id: Some("n1@example.test".into()),
        in_reply_to: vec!["c2@customer.test".into()],
        references: vec!["c1@customer.test".into(), "c2@customer.test".into()],
        subject: "Note: Re: Order 123".into(),
        text: "Carrier says Friday.".into(),
        truncated: false,
    }
}

fn body(uid: u32, text: &str) -> EngineEvent {
    EngineEvent::Body {
        account_idx: 0,
        uid,
        body: Ok(Opened {
            text: text.to_string(),
            attachments: Vec::new(),
            raw: None,
        }),
    }
}

fn stab() -> Event {
    Event::Key(KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT))
}

/// The reader on Carol's "Any update on this?" with the engine's answers: its body, the
/// team's replies from Sent and the notes.
fn conversation(w: u16, h: u16) -> (App, Vec<Request>) {
    let mut app = app(w, h);
    // Newest first: Carol's follow-up is the first row.
    assert_eq!(selected_uid(&app), Some(4));
    let asked = press(&mut app, [enter()]);
    press(
        &mut app,
        [
            body(4, "Any update on this?\n\n> We are looking into it."),
            EngineEvent::Conversation {
                account_idx: 0,
                uid: 4,
                replies: Ok(vec![first_reply(), alice_reply()]),
            },
            EngineEvent::Notes {
                account_idx: 0,
                message_id: "c1@customer.test".into(),
                notes: Ok(vec![note()]),
            },
        ],
    );
    (app, asked)
}

#[test]
fn opening_asks_for_the_conversation_and_shows_it_in_time_order() {
    let (app, asked) = conversation(120, 40);
    assert!(
        asked.contains(&Request::Conversation {
            account_idx: 0,
            uid: 4,
            ids: vec![
                "c2@customer.test".into(),
                "c1@customer.test".into(),
                "r1@example.test".into()
            ],
        }),
        "{asked:?}"
    );
    // The notes of the whole conversation: those on its first message and every later one.
    assert!(
        asked.contains(&Request::Notes {
            account_idx: 0,
            uid: 4,
            message_id: "c1@customer.test".into(),
        }),
        "{asked:?}"
    );
    let s = screen(&app);
    let at = |t: &str| s.find(t).unwrap_or_else(|| panic!("no {t:?} in\n{s}"));
    // Carol's first message, bob's reply (on behalf), Carol's follow-up (open, expanded),
    // alice's note, alice's reply (Send As): in time order.
    let order = [
        at("Carol — Order 123 not delivered"),
        at("bob on behalf of support@example.test — We are looking into it."),
        at("▾ 2026-11-27 11:30  Carol"),
        at("Any update on this?"),
        at("note · alice — Carrier says Friday."),
        at("alice, as support@example.test — Hi Carol,"),
    ];
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{s}");
    // Dave's and Erin's messages are other conversations.
    assert!(
        !s.contains("Password reset") && !s.contains("Invoice copy"),
        "{s}"
    );
}

#[test]
fn tab_moves_between_entries_and_e_expands_and_folds() {
    let (mut app, _) = conversation(120, 40);
    // Tab from the open message: the note, then alice's reply; e expands it (text known).
    assert!(press(&mut app, [tab(), tab(), ch('e')]).is_empty());
    let s = screen(&app);
    assert!(s.contains("It left our warehouse today."), "{s}");
    assert!(
        s.contains("▾ 2026-11-27 11:48  alice, as support@example.test"),
        "{s}"
    );
    // Back to Carol's first message: expanding it asks for its body, without marking it read.
    let asked = press(&mut app, [stab(), stab(), stab(), stab(), ch('e')]);
    assert_eq!(
        asked,
        vec![Request::Open {
            account_idx: 0,
            uid: 1
        }]
    );
    assert!(screen(&app).contains("loading…"));
    press(&mut app, [body(1, "My order has not arrived.")]);
    assert!(screen(&app).contains("My order has not arrived."));
    // E: every entry expanded; E again: all folded but the open message.
    press(&mut app, [ch('E')]);
    let s = screen(&app);
    assert!(s.contains("We are looking into it.") && s.contains("Carrier says Friday."));
    press(&mut app, [ch('E')]);
    let s = screen(&app);
    assert!(
        !s.contains("My order has not arrived.") && s.contains("Any update on this?"),
        "{s}"
    );
    assert!(!s.contains("It left our warehouse today."), "{s}");
}

#[test]
fn a_lone_message_reads_as_before() {
    let mut app = app(120, 40);
    press(&mut app, [key(KeyCode::Down), enter()]);
    assert_eq!(app.reader().map(|r| r.uid), Some(3));
    press(
        &mut app,
        [
            body(3, "Please send a copy."),
            EngineEvent::Conversation {
                account_idx: 0,
                uid: 3,
                replies: Ok(Vec::new()),
            },
        ],
    );
    let s = screen(&app);
    assert!(s.contains("Please send a copy.") && !s.contains('▾'), "{s}");
}

#[test]
fn r_on_an_answered_conversation_warns_first() {
    let (mut app, _) = conversation(120, 40);
    assert!(press(&mut app, [ch('r')]).is_empty());
    let q = app.confirm().map(|c| c.question.clone());
    assert_eq!(
        q.as_deref(),
        Some("alice answered 12 min ago; reply anyway? (y/n)")
    );
    // n: nothing opened.
    press(&mut app, [ch('n')]);
    assert!(app.compose().is_none());
    // y: the compose pane opens.
    press(&mut app, [ch('r'), ch('y')]);
    assert!(app.compose().is_some());
}

#[test]
fn r_on_an_unanswered_conversation_opens_at_once_and_answered_asks() {
    let mut app = app(120, 40);
    // Dave's message, no reply in Sent: no question.
    press(&mut app, [key(KeyCode::Down), key(KeyCode::Down), ch('r')]);
    assert!(app.confirm().is_none() && app.compose().is_some());
    // From the list, a conversation whose latest message is \Answered asks.
    let mut app = app_answered();
    press(&mut app, [ch('r')]);
    assert_eq!(
        app.confirm().map(|c| c.question.as_str()),
        Some("this conversation was already answered; reply anyway? (y/n)")
    );
}

fn app_answered() -> App {
    let mut app = app(120, 40);
    let mut r = rows();
    let mut f = Fields::from(r.remove(3));
    f.flags.answered = true;
    load(&mut app, 0, vec![Summary::new(f)]);
    app
}

#[test]
fn j_k_and_n_move_through_the_column_without_leaving_the_reader() {
    let mut app = app(120, 40);
    assert_eq!(shown_uids(&app, 0), vec![4, 3, 2, 1]);
    press(&mut app, [enter()]);
    let asked = press(&mut app, [ch('J')]);
    assert_eq!(app.reader().map(|r| r.uid), Some(3));
    assert!(
        asked.contains(&Request::Open {
            account_idx: 0,
            uid: 3
        }),
        "{asked:?}"
    );
    assert_eq!(selected_uid(&app), Some(3), "the column follows");
    press(&mut app, [ch('J')]);
    assert_eq!(app.reader().map(|r| r.uid), Some(2));
    press(&mut app, [ch('K'), ch('K')]);
    assert_eq!(app.reader().map(|r| r.uid), Some(4));
    assert!(press(&mut app, [ch('K')]).is_empty());
    assert!(
        status_line(&app).contains("no previous message"),
        "{}",
        status_line(&app)
    );
    // N: the next unread (Erin's), then none after it.
    press(&mut app, [ch('N')]);
    assert_eq!(app.reader().map(|r| r.uid), Some(3));
    assert!(press(&mut app, [ch('N')]).is_empty());
    assert_eq!(app.reader().map(|r| r.uid), Some(3));
    assert!(status_line(&app).contains("no unread message"));
    // Threads on: J follows the threaded order (Carol's thread together).
    press(&mut app, [ch('q'), ch('t'), ch('g'), enter()]);
    assert_eq!(shown_uids(&app, 0), vec![1, 4, 3, 2]);
    press(&mut app, [ch('J')]);
    assert_eq!(app.reader().map(|r| r.uid), Some(4));
}

#[test]
fn e_folds_a_thread_to_one_row_with_its_count() {
    let mut app = app(120, 40);
    press(&mut app, [ch('e')]);
    assert!(status_line(&app).contains("threads are off"));
    press(&mut app, [ch('t'), ch('g')]);
    assert_eq!(shown_uids(&app, 0), vec![1, 4, 3, 2]);
    press(&mut app, [ch('j'), ch('e')]);
    assert_eq!(shown_uids(&app, 0), vec![1, 3, 2]);
    assert_eq!(
        selected_uid(&app),
        Some(1),
        "the selection stays on the thread"
    );
    assert!(
        screen(&app).contains("▸2 Order 123 not delivered"),
        "{}",
        screen(&app)
    );
    // A new reply in the folded thread keeps it folded, with the new count.
    load(
        &mut app,
        0,
        vec![in_thread(
            9,
            1,
            "Carol",
            "Re: Order",
            "c3@customer.test",
            Some("c2@customer.test"),
        )],
    );
    assert_eq!(shown_uids(&app, 0), vec![1, 3, 2]);
    assert!(screen(&app).contains("▸3 Order 123"));
    press(&mut app, [ch('e')]);
    assert_eq!(shown_uids(&app, 0), vec![1, 4, 9, 3, 2]);
    // E folds every thread of more than one row, and unfolds them again.
    press(&mut app, [ch('E')]);
    assert_eq!(shown_uids(&app, 0), vec![1, 3, 2]);
    press(&mut app, [ch('E')]);
    assert_eq!(shown_uids(&app, 0).len(), 5);
}

#[test]
fn snapshots_of_the_conversation_view() {
    for (w, h, name) in [(80, 24, "80x24"), (120, 40, "120x40"), (200, 50, "200x50")] {
        let (app, _) = conversation(w, h);
        let s = screen(&app);
        match name {
            "80x24" => assert_snapshot!("conversation_80x24", s),
            "120x40" => assert_snapshot!("conversation_120x40", s),
            _ => assert_snapshot!("conversation_200x50", s),
        }
    }
}

#[test]
fn r_after_my_own_answer_says_you() {
    let mut app = app(120, 40);
    press(&mut app, [enter()]);
    let mut mine = alice_reply();
    mine.agent = Some("bob".into());
    mine.date = NOW - 5 * 60;
    press(
        &mut app,
        [EngineEvent::Conversation {
            account_idx: 0,
            uid: 4,
            replies: Ok(vec![first_reply(), mine]),
        }],
    );
    press(&mut app, [ch('r')]);
    assert_eq!(
        app.confirm().map(|c| c.question.as_str()),
        Some("you answered 5 min ago; reply anyway? (y/n)")
    );
}
