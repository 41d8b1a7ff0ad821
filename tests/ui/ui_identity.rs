//! Identity details (issue 18, item 9): the signature names the address the reply is sent
//! from.

use mailroom::engine::{Event as EngineEvent, Request};
use mailroom::message::{Fields, Summary};
use mailroom::ui::app::App;

use crate::ui_support;
use ui_support::{
    NOW, addr, ch, config_from, ctrl, load, press, press_served, sized, theme, typed,
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
aliases = ["help@example.test"]
send = "as"
signature = "support"
[account.maildir]
path = "mail/support"

[[account]]
name = "billing"
address = "billing@example.test"
send = "none"
[account.maildir]
path = "mail/billing"

[signature.support]
text = "{agent.name}\n{from.name} <{from.address}>"
placement = "below-reply"
required = true
"#;

/// support, with one message that reached the help@ alias (1) and one that reached support@ (2).
fn app() -> App {
    let cols = [(0, "support".to_string()), (1, "billing".to_string())];
    let app = App::new(&cols, theme(), false)
        .with_agent("alice")
        .with_config(config_from(CONFIG));
    let mut app = sized(app, 100, 40);
    let to = |uid: u32, address: &str| {
        Summary::new(Fields {
            uid,
            internal_date: NOW - 600 * i64::from(uid),
            date: Some(NOW - 600 * i64::from(uid)),
            from: vec![addr("Carol Customer", "carol@customer.test")],
            to: vec![addr("", address)],
            subject: format!("Question {uid}"),
            message_id: Some(format!("m{uid}@customer.test")),
            delivered_to: vec![address.to_string()],
            ..Fields::default()
        })
    };
    load(
        &mut app,
        0,
        vec![to(1, "help@example.test"), to(2, "support@example.test")],
    );
    load(&mut app, 1, vec![to(3, "billing@example.test")]);
    app
}

/// `r` on the selected message, its text, a line typed, Ctrl-x and `y`: the message sent.
fn reply_sent(app: &mut App, uid: u32) -> String {
    press(app, [ch('r')]);
    press(
        app,
        [EngineEvent::Body {
            account_idx: 0,
            uid,
            body: Ok("Where is it?".into()),
        }],
    );
    press(app, typed("Here."));
    press_served(app, [ctrl('x')]);
    let cmds = press(app, [ch('y')]);
    let Some(Request::Send { outgoing, .. }) = cmds.last() else {
        panic!("{cmds:?} {:?}", app.error());
    };
    String::from_utf8_lossy(&outgoing.raw)
        .replace("=\r\n", "")
        .replace("=20", " ")
}

#[test]
fn the_alias_replys_signature_names_the_alias() {
    let mut app = app();
    let raw = reply_sent(&mut app, 1);
    assert!(
        raw.contains("From: \"Example Support\" <help@example.test>"),
        "{raw}"
    );
    assert!(
        raw.contains("-- \r\nAlice Example\r\nExample Support <help@example.test>"),
        "{raw}"
    );
    assert!(!raw.contains("support@example.test"), "{raw}");
    // Mail to the account's own address: its own address under it.
    let mut app = self::app();
    press(&mut app, [ch('j')]);
    let raw = reply_sent(&mut app, 2);
    assert!(
        raw.contains("-- \r\nAlice Example\r\nExample Support <support@example.test>"),
        "{raw}"
    );
}

#[test]
fn reply_from_an_account_that_may_not_send_opens_no_pane_and_offers_a_note() {
    let mut app = app();
    press(&mut app, [ch('l')]);
    for k in ['r', 'R'] {
        let cmds = press(&mut app, [ch(k)]);
        assert!(
            app.compose().is_none(),
            "{k} opened a pane that can never send"
        );
        assert!(cmds.is_empty(), "{cmds:?}");
        let q = app
            .confirm()
            .map(|q| q.question.clone())
            .unwrap_or_default();
        assert!(q.contains("send = \"none\"") && q.contains("note"), "{q}");
        // Any other key: nothing.
        press(&mut app, [ch('x')]);
        assert!(app.confirm().is_none() && app.compose().is_none() && app.note().is_none());
    }
    // n: the note pane on that message.
    press(&mut app, [ch('r'), ch('n')]);
    assert!(app.note().is_some(), "{:?}", app.error());
    assert!(app.compose().is_none());
}

/// `r` on a `send = "none"` account offers a forward too: `f` opens the forward pane from the
/// first account shown that may send (support), fetching the original from its own account
/// (billing), and the quote arrives from there.
#[test]
fn reply_from_an_account_that_may_not_send_offers_a_forward_from_one_that_may() {
    let mut app = app();
    press(&mut app, [ch('l')]);
    press(&mut app, [ch('r')]);
    let q = app
        .confirm()
        .map(|q| q.question.clone())
        .unwrap_or_default();
    assert!(q.contains("f: forward it from support"), "{q}");
    let cmds = press(&mut app, [ch('f')]);
    assert!(
        cmds.iter().any(|r| matches!(
            r,
            Request::Open {
                account_idx: 1,
                uid: 3
            }
        )),
        "the original is read from billing: {cmds:?}"
    );
    let c = app.compose().expect("a forward pane");
    assert_eq!(c.kind, mailroom::ui::screen::compose::model::Kind::Forward);
    assert_eq!((c.account_idx, c.account.as_str()), (0, "support"));
    assert_eq!(c.subject.text, "Fwd: Question 3");
    press(
        &mut app,
        [EngineEvent::Body {
            account_idx: 1,
            uid: 3,
            body: Ok(mailroom::engine::event::Opened {
                text: "Where is my invoice?".into(),
                attachments: Vec::new(),
                raw: None,
            }),
        }],
    );
    let c = app.compose().expect("still open");
    assert!(
        c.quoted()
            .is_some_and(|t| t.contains("Where is my invoice?")),
        "{:?}",
        c.quoted()
    );
}
