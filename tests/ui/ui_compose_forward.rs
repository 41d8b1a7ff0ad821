//! Forward keeps attachments, driven by keys on the App: `f` attaches the original's parts
//! once the engine has fetched it, `Ctrl-f` attaches the whole original as `message/rfc822`; both
//! are listed in the pane and removable with `Ctrl-t` `-N`; the built message carries them.

use std::sync::Arc;

use crossterm::event::KeyCode;
use mail_parser::{MessageParser, MimeHeaders};

use mailroom::engine::event::{Opened, RawMessage};
use mailroom::engine::{Event as EngineEvent, Request};
use mailroom::ui::app::{App, update};

use super::ui_compose::app;
use crate::ui_support::{ch, ctrl, drawn, key, press, press_served, rows_of, typed};

const ORIGINAL: &str = "From: Carol Customer <carol@customer.test>\r\nTo: help@example.test\r\n\
Subject: Printer on fire\r\nMessage-ID: <m42@customer.test>\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n\
It is on fire.\r\n--b\r\nContent-Type: image/png\r\n\
Content-Disposition: attachment; filename=\"fire.png\"\r\nContent-Transfer-Encoding: base64\r\n\r\n\
iVBORw0KGgo=\r\n--b--\r\n";

/// The engine's answer to the forward's `Request::Open`.
fn original_arrives(app: &mut App) {
    update(
        app,
        EngineEvent::Body {
            account_idx: 0,
            uid: 42,
            body: Ok(Opened {
                text: "It is on fire.".into(),
                attachments: Vec::new(),
                raw: Some(RawMessage(Arc::from(ORIGINAL.as_bytes()))),
            }),
        },
    );
}

fn screen(app: &App) -> String {
    rows_of(&drawn(app)).join("\n")
}

/// The built message, after `Ctrl-x`.
fn built(app: &mut App) -> Vec<u8> {
    press_served(app, [ctrl('x')]);
    app.compose()
        .and_then(|c| c.preview.clone())
        .unwrap_or_else(|| panic!("preview: {:?}", app.error()))
        .outgoing
        .raw
}

#[test]
fn f_forwards_the_originals_attachments_shown_and_removable() {
    let mut app = app(100, 40);
    let cmds = press(&mut app, [ch('f')]);
    assert!(
        cmds.iter()
            .any(|r| matches!(r, Request::Open { uid: 42, .. })),
        "{cmds:?}"
    );
    original_arrives(&mut app);
    let c = app.compose().expect("compose open");
    assert_eq!(c.forwarded.len(), 1);
    assert!(c.quoted().is_some_and(|q| q.contains("It is on fire.")));
    assert!(
        app.notice()
            .is_some_and(|n| n.contains("forwarding 1 attachment"))
    );
    let s = screen(&app);
    assert!(s.contains("1 fire.png (forwarded)"), "{s}");

    press(&mut app, typed("eng@example.test"));
    let raw = built(&mut app);
    let msg = MessageParser::new().parse(&raw).expect("parses");
    let parts: Vec<_> = msg.attachments().collect();
    assert_eq!(parts.len(), 1);
    assert_eq!(parts[0].attachment_name(), Some("fire.png"));
    assert_eq!(parts[0].contents(), b"\x89PNG\r\n\x1a\n");

    // Back to editing; Ctrl-t -1 removes it.
    press(&mut app, [ch('n'), ctrl('t')]);
    press(&mut app, typed("-1"));
    press(&mut app, [key(KeyCode::Enter)]);
    assert!(app.compose().is_some_and(|c| c.forwarded.is_empty()));
    assert!(!screen(&app).contains("fire.png (forwarded)"));
    assert!(app.notice().is_some_and(|n| n.contains("removed fire.png")));
    let raw = built(&mut app);
    let msg = MessageParser::new().parse(&raw).expect("parses");
    assert_eq!(msg.attachments().count(), 0);
}

#[test]
fn ctrl_f_forwards_the_whole_original_as_message_rfc822() {
    let mut app = app(100, 40);
    let cmds = press(&mut app, [ctrl('f')]);
    assert!(
        cmds.iter()
            .any(|r| matches!(r, Request::Open { uid: 42, .. })),
        "{cmds:?}"
    );
    original_arrives(&mut app);
    let c = app.compose().expect("compose open");
    assert_eq!(c.quoted(), None, "no quote: the original is attached");
    assert_eq!(c.subject.text, "Fwd: Printer on fire");
    let s = screen(&app);
    assert!(s.contains("1 Printer on fire.eml (forwarded)"), "{s}");

    press(&mut app, typed("eng@example.test"));
    let raw = built(&mut app);
    let msg = MessageParser::new().parse(&raw).expect("parses");
    let part = msg.attachments().next().expect("one part");
    assert_eq!(
        part.content_type().map(|c| (c.ctype(), c.subtype())),
        Some(("message", Some("rfc822")))
    );
    let inner = part.message().expect("the original");
    assert_eq!(inner.subject(), Some("Printer on fire"));
    assert_eq!(inner.attachments().count(), 1, "with its own attachment");
}

/// A forward's parts are kept with its draft: closed (`Ctrl-q`) and reopened (`:drafts 1`),
/// the pane still lists the original's attachment and the message still carries it.
#[test]
fn a_forward_draft_keeps_its_forwarded_parts_when_reopened() {
    let mut app = app(100, 40);
    press(&mut app, [ch('f')]);
    original_arrives(&mut app);
    press(&mut app, typed("eng@example.test"));
    let cmds = press(&mut app, [ctrl('q')]);
    let draft = cmds
        .iter()
        .find_map(|r| match r {
            Request::SaveDraft(d) => Some((**d).clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no draft saved: {cmds:?}"));
    assert_eq!(draft.forwarded.len(), 1, "{draft:?}");
    // The draft file round trip: JSON out and back in.
    let json = serde_json::to_string(&draft).expect("json");
    let draft: mailroom::store::drafts::Draft = serde_json::from_str(&json).expect("parse");

    let mut app = super::ui_compose::app(100, 40).with_drafts(vec![draft], 0);
    press(&mut app, typed(":drafts 1\n"));
    let c = app.compose().expect("the draft reopened");
    assert_eq!(c.forwarded.len(), 1);
    assert!(
        screen(&app).contains("1 fire.png (forwarded)"),
        "{}",
        screen(&app)
    );
    let raw = built(&mut app);
    let msg = MessageParser::new().parse(&raw).expect("parses");
    let parts: Vec<_> = msg.attachments().collect();
    assert_eq!(parts.len(), 1);
    assert_eq!(parts[0].attachment_name(), Some("fire.png"));
    assert_eq!(parts[0].contents(), b"\x89PNG\r\n\x1a\n");
}
