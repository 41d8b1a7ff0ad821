//! The compose pane driven by key sequences on the App (no terminal, no network): identity
//! and its reason, From cycling, header safety, the preview and its confirmation, drafts.

use crossterm::event::KeyCode;

use mailroom::engine::pipeline::Outcome;
use mailroom::engine::{Event as EngineEvent, Request};
use mailroom::message::{Fields, Summary};
use mailroom::store::drafts::Draft;
use mailroom::ui::app::{App, update};
use mailroom::ui::event::Event;
use mailroom::ui::screen::compose::model::{Field, Kind};

use crate::ui_support;
use ui_support::{
    NOW, addr, ch, config_from, ctrl, drawn, key, load, press, press_served, rows_of, served,
    sized, theme, typed,
};

const CONFIG: &str = r#"
[agent]
id = "alice"
name = "Alice Example"
email = "alice@example.test"
[agent.fields]
title = "Support Engineer"

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
name = "sales"
address = "sales@example.test"
display_name = "Example Sales"
send = "on-behalf"
[account.maildir]
path = "mail/sales"

[[account]]
name = "billing"
address = "billing@example.test"
send = "none"
[account.maildir]
path = "mail/billing"

[signature.support]
text = "{agent.name} · {agent.fields.title}\n{account.display_name}"
disclaimer = "CONFIDENTIAL: for the addressee only."
placement = "below-reply"
required = true
"#;

pub(crate) fn app(w: u16, h: u16) -> App {
    app_with(w, h, |_| {})
}

/// [`app`] with message 42's fields changed by `edit`.
fn app_with(w: u16, h: u16, edit: impl FnOnce(&mut Fields)) -> App {
    let cols = [
        (0, "support".to_string()),
        (1, "sales".to_string()),
        (2, "billing".to_string()),
    ];
    let app = App::new(&cols, theme(), false)
        .with_agent("alice")
        .with_config(config_from(CONFIG));
    let mut app = sized(app, w, h);
    let mut fields = Fields {
        uid: 42,
        internal_date: NOW - 600,
        date: Some(NOW - 600),
        from: vec![addr("Carol Customer", "carol@customer.test")],
        to: vec![
            addr("", "help@example.test"),
            addr("Dave", "dave@customer.test"),
        ],
        cc: vec![
            addr("", "support@example.test"),
            addr("", "erin@customer.test"),
        ],
        subject: "Printer on fire".to_string(),
        message_id: Some("m42@customer.test".to_string()),
        delivered_to: vec!["help@example.test".to_string()],
        ..Fields::default()
    };
    edit(&mut fields);
    let mut m = Summary::new(fields);
    m.edit_text(|f| f.references = vec!["m41@customer.test".to_string()]);
    load(&mut app, 0, vec![m]);
    app
}

fn screen(app: &App) -> String {
    let t = drawn(app);
    let mut out: Vec<String> = rows_of(&t)
        .iter()
        .map(|l| l.trim_end().to_string())
        .collect();
    for line in &out {
        assert!(!line.chars().any(char::is_control), "{line:?}");
    }
    let b = t.backend();
    if b.cursor_visible() {
        out.push(format!(
            "[cursor at {},{}]",
            b.cursor_position().x,
            b.cursor_position().y
        ));
    }
    out.join("\n")
}

/// Message-IDs are random: masked for snapshots.
fn mask_ids(s: &str) -> String {
    s.lines()
        .map(|l| match l.find("Message-ID: <") {
            Some(i) => format!("{}Message-ID: <…>", &l[..i]),
            None => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

pub(crate) fn open_reply(app: &mut App) {
    let cmds = press(app, [ch('r')]);
    assert_eq!(
        cmds.first(),
        Some(&Request::Open {
            account_idx: 0,
            uid: 42
        }),
        "the original is fetched for the quote"
    );
    // Then the message is marked as being replied to (tests/ui/ui_replying.rs).
    assert!(
        matches!(cmds.as_slice(), [_, Request::Triage { uid: 42, .. }]),
        "{cmds:?}"
    );
    update(
        app,
        EngineEvent::Body {
            account_idx: 0,
            uid: 42,
            body: Ok("It is on fire.\nPlease help.".into()),
        },
    );
}

#[test]
fn reply_picks_the_identity_by_the_address_reached_and_says_why() {
    let mut app = app(100, 30);
    open_reply(&mut app);
    let c = app.compose().expect("compose open");
    assert_eq!(c.kind, Kind::Reply);
    assert_eq!(
        c.identity().map(|i| i.from.as_str()),
        Some("help@example.test")
    );
    assert!(
        c.reason()
            .as_deref()
            .is_some_and(|r| r.contains("help@example.test"))
    );
    assert_eq!(c.mode_line(), "as help@example.test");
    assert_eq!(c.to.text, "Carol Customer <carol@customer.test>");
    assert_eq!(c.cc.text, "", "a plain reply does not Cc");
    assert_eq!(c.subject.text, "Re: Printer on fire");
    assert_eq!(c.field, Field::Body);
    assert!(c.quoted().is_some_and(|q| q.contains("> It is on fire.")));
    let s = screen(&app);
    assert!(s.contains("as help@example.test"), "{s}");
    assert!(s.contains("why:"), "{s}");
    assert!(
        s.contains("CONFIDENTIAL"),
        "the locked disclaimer is shown: {s}"
    );
}

#[test]
fn reply_all_ccs_the_others_but_not_the_account() {
    let mut app = app(100, 30);
    press(&mut app, [ch('R')]);
    let c = app.compose().expect("compose open");
    assert_eq!(c.to.text, "Carol Customer <carol@customer.test>");
    assert_eq!(c.cc.text, "Dave <dave@customer.test>, erin@customer.test");
}

#[test]
fn reply_all_keeps_display_names_in_the_draft() {
    let mut app = app_with(120, 30, |f| {
        f.to = vec![
            addr("", "help@example.test"),
            addr("Doe, Jane", "jane@customer.test"),
        ];
        f.cc = vec![addr("Ann Example", "ann@customer.test")];
    });
    press(&mut app, [ch('R')]);
    press(&mut app, typed("Hi"));
    let asked = press(&mut app, [ctrl('q')]);
    let draft = asked
        .iter()
        .find_map(|r| match r {
            Request::SaveDraft(d) => Some(d.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no draft saved: {asked:?}"));
    assert_eq!(draft.to, ["Carol Customer <carol@customer.test>"]);
    assert_eq!(
        draft.cc,
        [
            "\"Doe, Jane\" <jane@customer.test>",
            "Ann Example <ann@customer.test>"
        ]
    );
}

#[test]
fn reply_all_keeps_display_names_on_screen_and_in_the_bytes() {
    let mut app = app_with(120, 30, |f| {
        f.from = vec![addr("Zoë Ünal", "zoe@customer.test")];
        f.to = vec![
            addr("Help", "help@example.test"),
            addr("Doe, Jane", "jane@customer.test"),
        ];
        f.cc = vec![addr("Ann Example", "ann@customer.test")];
    });
    press(&mut app, [ch('R')]);
    let s = screen(&app);
    assert!(s.contains("Zoë Ünal <zoe@customer.test>"), "{s}");
    assert!(
        s.contains("\"Doe, Jane\" <jane@customer.test>, Ann Example <ann@customer.test>"),
        "{s}"
    );
    let c = app.compose().expect("compose open");
    assert!(
        !c.to.text.contains("help@") && !c.cc.text.contains("help@"),
        "our own address is dropped"
    );
    update(
        &mut app,
        EngineEvent::Body {
            account_idx: 0,
            uid: 42,
            body: Ok("It is on fire.".into()),
        },
    );
    press(&mut app, typed("On it."));
    press_served(&mut app, [ctrl('x')]);
    press(&mut app, [ch('b')]);
    let s = screen(&app);
    // The exact bytes: the names kept, the non-ASCII one as an RFC 2047 word.
    assert!(s.contains("To: =?utf-8?"), "{s}");
    assert!(s.contains("<zoe@customer.test>"), "{s}");
    assert!(
        s.contains("Cc: =?utf-8?b?RG9lLCBKYW5l?= <jane@customer.test>"),
        "{s}"
    );
    assert!(s.contains("\"Ann Example\""), "{s}");
    assert!(s.contains("RCPT TO:<ann@customer.test>"), "{s}");
}

#[test]
fn forward_quotes_the_original_and_starts_in_to() {
    let mut app = app(100, 30);
    press(&mut app, [ch('f')]);
    update(
        &mut app,
        EngineEvent::Body {
            account_idx: 0,
            uid: 42,
            body: Ok("It is on fire.".into()),
        },
    );
    let c = app.compose().expect("compose open");
    assert_eq!(c.subject.text, "Fwd: Printer on fire");
    assert_eq!(c.field, Field::To);
    assert_eq!(c.to.text, "");
    assert!(c.quoted().is_some_and(|q| q.contains("Forwarded message")));
}

#[test]
fn from_cycles_only_through_offered_identities() {
    let mut app = app(100, 30);
    press(&mut app, [ch('c')]);
    let from = |app: &App| {
        app.compose()
            .and_then(|c| c.identity())
            .map(|i| i.from.clone())
    };
    assert_eq!(from(&app).as_deref(), Some("support@example.test"));
    let mut seen = Vec::new();
    for _ in 0..4 {
        press(&mut app, [ctrl('n')]);
        seen.push(from(&app).unwrap_or_default());
    }
    assert_eq!(
        seen,
        [
            "help@example.test",
            "support@example.test",
            "help@example.test",
            "support@example.test"
        ]
    );
    press(&mut app, [ctrl('p')]);
    assert_eq!(from(&app).as_deref(), Some("help@example.test"));
}

#[test]
fn on_behalf_and_none_modes_are_named() {
    let mut app = app(100, 30);
    press(&mut app, [key(KeyCode::Tab), ch('c')]);
    let c = app.compose().expect("compose open");
    assert_eq!(c.mode_line(), "alice on behalf of sales@example.test");
    press(&mut app, [ctrl('q'), key(KeyCode::Tab), ch('c')]);
    let c = app.compose().expect("compose open");
    assert!(
        c.refused()
            .as_deref()
            .is_some_and(|r| r.contains("send = \"none\""))
    );
    assert!(screen(&app).contains("sending refused"));
    let cmds = press(&mut app, typed("x@y.test").into_iter().chain([ctrl('x')]));
    assert!(cmds.is_empty());
    assert!(
        app.error()
            .is_some_and(|e| e.contains("sending is refused"))
    );
}

#[test]
fn header_fields_refuse_line_breaks() {
    let mut app = app(100, 30);
    press(
        &mut app,
        [
            ch('c'),
            key(KeyCode::Tab),
            key(KeyCode::Tab),
            key(KeyCode::Tab),
        ],
    );
    assert_eq!(app.compose().map(|c| c.field), Some(Field::Subject));
    press(&mut app, typed("Hello"));
    update(&mut app, Event::Paste(" there\r\nBcc: evil@x.test".into()));
    let c = app.compose().expect("compose open");
    assert_eq!(c.subject.text, "Hello", "nothing of the paste went in");
    assert!(
        app.error()
            .is_some_and(|e| e.contains("Subject") && e.contains("line breaks")),
        "{:?}",
        app.error()
    );
    // The body takes line breaks.
    press(&mut app, [key(KeyCode::Tab)]);
    update(&mut app, Event::Paste("one\r\ntwo\u{1b}[31m".into()));
    let c = app.compose().expect("compose open");
    assert_eq!(c.body.text(), "one\ntwo[31m");
}

#[test]
fn a_bad_address_is_named_on_send() {
    let mut app = app(100, 30);
    press(&mut app, [ch('c')]);
    press(&mut app, typed("not an address"));
    press_served(&mut app, [ctrl('x')]);
    assert!(app.compose().is_some_and(|c| c.preview.is_none()));
    let e = app.error().unwrap_or_default().to_string();
    assert!(e.contains("To:") && e.contains("not an address"), "{e}");
}

#[test]
fn preview_shows_the_envelope_without_a_bcc_header_and_y_sends() {
    let mut app = app(100, 40);
    open_reply(&mut app);
    press(&mut app, typed("We are on our way.\nStay calm."));
    // Bcc: Tab from the body cycles To, Cc, Bcc.
    press(
        &mut app,
        [key(KeyCode::Tab), key(KeyCode::Tab), key(KeyCode::Tab)],
    );
    assert_eq!(app.compose().map(|c| c.field), Some(Field::Bcc));
    press(&mut app, typed("boss@example.test"));
    let cmds = press_served(&mut app, [ctrl('x')]);
    assert!(cmds.is_empty(), "nothing is sent before confirmation");
    let p = app
        .compose()
        .and_then(|c| c.preview.clone())
        .unwrap_or_else(|| panic!("preview: {:?}", app.error()));
    assert_eq!(p.lines[0], "MAIL FROM:<help@example.test>");
    assert!(p.lines.contains(&"RCPT TO:<boss@example.test>".to_string()));
    assert!(
        p.lines
            .contains(&"RCPT TO:<carol@customer.test>".to_string())
    );
    assert!(
        !p.lines
            .iter()
            .any(|l| l.to_ascii_lowercase().starts_with("bcc:"))
    );
    let raw = String::from_utf8_lossy(&p.outgoing.raw).to_string();
    assert!(!raw.to_ascii_lowercase().contains("\nbcc:"));
    assert!(raw.contains("In-Reply-To: <m42@customer.test>"), "{raw}");
    let s = screen(&app);
    assert!(s.contains("send this message?"), "{s}");
    // n goes back; Ctrl-x again, then y.
    press(&mut app, [ch('n')]);
    assert!(app.compose().is_some_and(|c| c.preview.is_none()));
    press_served(&mut app, [ctrl('x')]);
    let cmds = press(&mut app, [ch('y')]);
    // The draft, the original marked read (`ui.mark_read`, issue 18), the send.
    assert_eq!(cmds.len(), 3, "{cmds:?}");
    assert!(
        matches!(&cmds[0], Request::SaveDraft(_)),
        "saved before sending"
    );
    assert!(
        matches!(&cmds[1], Request::Store { uid: 42, change, .. } if change.add_flags.seen),
        "{cmds:?}"
    );
    let Request::Send {
        account_idx,
        identity,
        outgoing,
        reply_uid,
        draft_id,
    } = &cmds[2]
    else {
        panic!("{cmds:?}")
    };
    assert_eq!(*account_idx, 0);
    assert_eq!(identity.from, "help@example.test");
    assert_eq!(*reply_uid, Some(42));
    assert!(
        outgoing
            .recipients
            .contains(&"boss@example.test".to_string())
    );
    let body = String::from_utf8_lossy(&outgoing.raw).to_string();
    assert!(body.contains("We are on our way."), "{body}");
    assert!(app.compose().is_some_and(|c| c.sending));
    assert_eq!(app.drafts().len(), 1);
    // Sent: the pane closes, the draft is gone.
    update(
        &mut app,
        EngineEvent::SendDone {
            draft_id: draft_id.clone(),
            result: Ok(Outcome::Sent {
                message_id: outgoing.message_id.clone(),
                warning: None,
            }),
        },
    );
    assert!(app.compose().is_none());
    assert!(app.drafts().is_empty());
    assert!(app.notice().is_some_and(|n| n.starts_with("sent <")));
}

/// A new message to carol ("Hi"), previewed and confirmed: the app and the draft id of the
/// `Request::Send` it produced.
fn new_message_sent() -> (App, String) {
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
    let id = draft_id.clone();
    (app, id)
}

#[test]
fn a_refused_send_keeps_the_pane_and_the_draft() {
    let (mut app, draft_id) = new_message_sent();
    let draft_id = &draft_id;
    update(
        &mut app,
        EngineEvent::SendDone {
            draft_id: draft_id.clone(),
            result: Ok(Outcome::Failed {
                message_id: "x@example.test".into(),
                error: "550 not allowed".into(),
            }),
        },
    );
    let c = app.compose().expect("pane kept");
    assert!(!c.sending);
    assert_eq!(app.drafts().len(), 1);
    assert!(app.error().is_some_and(|e| e.contains("550 not allowed")));
}

#[test]
fn a_from_rewritten_by_the_server_closes_the_pane_with_an_error_styled_notice() {
    let (mut app, draft_id) = new_message_sent();
    let draft_id = &draft_id;
    update(
        &mut app,
        EngineEvent::SendDone {
            draft_id: draft_id.clone(),
            result: Ok(Outcome::Sent {
                message_id: "x@example.test".into(),
                warning: Some("the server rewrote From to alice@gmail.example".into()),
            }),
        },
    );
    // The mail went out: the pane and the draft are gone, but the notice is an error.
    assert!(app.compose().is_none());
    assert!(app.drafts().is_empty());
    assert!(app.notice().is_none());
    assert!(
        app.error()
            .is_some_and(|e| e.starts_with("sent <x@example.test>, but the server rewrote From")),
        "{:?}",
        app.error()
    );
}

#[test]
fn an_uncertain_delivery_closes_the_pane_with_an_error_not_a_success() {
    let (mut app, draft_id) = new_message_sent();
    update(
        &mut app,
        EngineEvent::SendDone {
            draft_id,
            result: Ok(Outcome::Uncertain {
                message_id: "x@example.test".into(),
                error: "no reply after the end of the message data: timed out".into(),
            }),
        },
    );
    // The message is in the outbox (it may have arrived): the pane goes, the agent is told.
    assert!(app.compose().is_none());
    assert!(app.notice().is_none());
    assert!(
        app.error().is_some_and(|e| e
            .starts_with("uncertain <x@example.test>: may have been delivered")
            && e.contains("mailroom outbox")),
        "{:?}",
        app.error()
    );
}

#[test]
fn esc_never_discards_and_ctrl_q_keeps_the_draft() {
    let mut app = app(100, 30);
    press(&mut app, [ch('c')]);
    press(&mut app, typed("carol@customer.test"));
    let cmds = press(&mut app, [key(KeyCode::Esc), key(KeyCode::Esc)]);
    assert!(cmds.is_empty());
    assert!(app.compose().is_some(), "Esc does not close");
    let cmds = press(&mut app, [ctrl('q')]);
    assert!(app.compose().is_none());
    let [Request::SaveDraft(d)] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    assert_eq!(d.to, vec!["carol@customer.test".to_string()]);
    assert_eq!(app.drafts().len(), 1);
}

#[test]
fn drafts_autosave_while_composing() {
    let mut app = app(100, 30);
    press(&mut app, [ch('c')]);
    press(&mut app, typed("a@b.test"));
    let cmds = update(&mut app, Event::Tick(NOW + 6));
    assert!(
        matches!(cmds.as_slice(), [Request::SaveDraft(_)]),
        "{cmds:?}"
    );
    // Nothing changed: nothing saved.
    assert!(update(&mut app, Event::Tick(NOW + 20)).is_empty());
    // Ctrl-c quits with the draft saved first.
    press(&mut app, typed("x"));
    let cmds = press(&mut app, [ctrl('c')]);
    assert!(
        matches!(cmds.as_slice(), [Request::SaveDraft(_)]) && app.quitting(),
        "{cmds:?}"
    );
}

#[test]
fn drafts_are_restored_listed_and_reopened() {
    let draft = Draft {
        id: "0123456789abcdef01234567".into(),
        account: "support".into(),
        from: "help@example.test".into(),
        to: vec!["carol@customer.test".into()],
        subject: "About the printer".into(),
        body: "Line one\nLine two".into(),
        saved: NOW - 120,
        reply_to_uid: Some(7),
        in_reply_to: Some("q1@customer.test".into()),
        references: vec!["q0@customer.test".into(), "q1@customer.test".into()],
        quoted: Some("On Fri, Carol wrote:\n> It prints nothing.\n".into()),
        ..Draft::default()
    };
    let mut app = app(100, 30).with_drafts(vec![draft], 0);
    assert!(app.notice().is_some_and(|n| n.contains("1 draft restored")));
    // `:drafts` opens the drafts pane (issue 18); q closes it.
    press(&mut app, typed(":drafts\n"));
    let shown = rows_of(&drawn(&app)).join("\n");
    assert!(
        shown.contains("support") && shown.contains("About the printer"),
        "{shown}"
    );
    press(&mut app, [ch('q')]);
    press(&mut app, typed(":drafts 1\n"));
    let c = app.compose().expect("reopened");
    assert_eq!(c.draft_id, "0123456789abcdef01234567");
    assert_eq!(
        c.identity().map(|i| i.from.as_str()),
        Some("help@example.test")
    );
    assert_eq!(c.body.text(), "Line one\nLine two");
    assert_eq!(c.subject.text, "About the printer");
    // A reopened reply still answers the same message, with its quote.
    assert_eq!(c.reply_uid(), Some(7));
    assert_eq!(c.in_reply_to(), Some("q1@customer.test"));
    assert_eq!(c.references().len(), 2);
    assert!(
        c.quoted()
            .is_some_and(|q| q.contains("> It prints nothing."))
    );
    assert_eq!(c.to_draft(NOW).quoted.as_deref(), c.quoted());
}

#[test]
fn body_editor_moves_and_joins_lines() {
    let mut app = app(100, 30);
    press(&mut app, [ch('c'), key(KeyCode::BackTab)]);
    press(&mut app, typed("ab\ncd"));
    press(&mut app, [key(KeyCode::Home), key(KeyCode::Backspace)]);
    assert_eq!(
        app.compose().map(|c| c.body.text()).as_deref(),
        Some("abcd")
    );
    press(
        &mut app,
        [
            key(KeyCode::Left),
            key(KeyCode::Enter),
            key(KeyCode::Up),
            key(KeyCode::End),
            ch('!'),
        ],
    );
    assert_eq!(
        app.compose().map(|c| c.body.text()).as_deref(),
        Some("a!\nbcd")
    );
}

#[test]
fn snapshot_compose_reply_and_preview() {
    let mut app = app(90, 28);
    open_reply(&mut app);
    press(&mut app, typed("We are on our way."));
    assert_snapshot!("compose_reply", screen(&app));
    press_served(&mut app, [ctrl('x')]);
    assert_snapshot!("compose_preview", mask_ids(&screen(&app)));
}

#[test]
fn the_preview_shows_the_text_decoded_and_b_the_exact_bytes() {
    let mut app = app(90, 28);
    open_reply(&mut app);
    press(&mut app, typed("We are on our way."));
    press_served(&mut app, [ctrl('x')]);
    let s = screen(&app);
    assert!(s.contains("Alice Example · Support Engineer"), "{s}");
    assert!(s.contains("Carol Customer <carol@customer.test>"), "{s}");
    assert!(!s.contains("=C2=B7") && !s.contains("wr="), "{s}");
    press(&mut app, [ch('b')]);
    let s = screen(&app);
    assert!(s.contains("Alice Example =C2=B7 Support Engineer"), "{s}");
    assert_snapshot!("compose_preview_bytes", mask_ids(&s));
    press(&mut app, [ch('b')]);
    assert!(screen(&app).contains("Alice Example · Support Engineer"));
    // y still sends from either view.
    assert!(app.compose().is_some_and(|c| c.preview.is_some()));
}

/// 40 five-cell words ("w000 " … "w039!"): 200 characters, one logical line.
fn long_line() -> String {
    let words: Vec<String> = (0..40).map(|i| format!("w{i:03}")).collect();
    format!("{}!", words.join(" "))
}

/// The screen rows and the cursor (x, y) of `app` drawn.
fn rows_and_cursor(app: &App) -> (Vec<String>, (u16, u16)) {
    let t = drawn(app);
    let p = t.backend().cursor_position();
    (rows_of(&t), (p.x, p.y))
}

/// The screen row holding `needle`, and the cell column where it starts.
fn find(rows: &[String], needle: &str) -> (u16, u16) {
    rows.iter()
        .enumerate()
        .find_map(|(y, r)| {
            r.find(needle).map(|i| {
                let x = unicode_width::UnicodeWidthStr::width(&r[..i]);
                (u16::try_from(x).unwrap_or(0), u16::try_from(y).unwrap_or(0))
            })
        })
        .unwrap_or_else(|| panic!("{needle:?} not on screen:\n{}", rows.join("\n")))
}

#[test]
fn a_long_body_line_wraps_and_the_cursor_follows() {
    // 82 columns: the pane's inside is 80 cells wide.
    let mut app = app(82, 30);
    press(&mut app, [ch('c'), key(KeyCode::BackTab)]);
    let text = long_line();
    press(&mut app, typed(&text));
    let (rows, cursor) = rows_and_cursor(&app);
    // Every word is on screen, over three rows (16 words a row), no ellipsis.
    for i in 0..40 {
        find(&rows, &format!("w{i:03}"));
    }
    assert!(
        !rows.iter().any(|r| r.contains("w0") && r.contains('…')),
        "{}",
        rows.join("\n")
    );
    let (x0, y0) = find(&rows, "w000");
    assert_eq!(find(&rows, "w016"), (x0, y0 + 1));
    assert_eq!(find(&rows, "w032"), (x0, y0 + 2));
    // The cursor is after the "!" on the last row.
    let (bang_x, bang_y) = find(&rows, "w039!");
    assert_eq!(cursor, (bang_x + 5, bang_y));
    // Up stays in the line: one row up, same column; typing goes there.
    press(&mut app, [key(KeyCode::Up)]);
    let (_, up) = rows_and_cursor(&app);
    assert_eq!(up, (bang_x + 5, bang_y - 1));
    press(&mut app, [ch('X')]);
    let c = app.compose().expect("compose");
    assert_eq!(c.field, Field::Body);
    assert_eq!(c.body.text(), text.replace("w024", "Xw024"));
    // What is saved and sent is the logical line: no line break was added.
    let draft = c.to_draft(NOW);
    assert!(!draft.body.contains('\n'), "{:?}", draft.body);
    assert_eq!(draft.body.len(), 201);
    // Up from the first row goes to the Subject, as from an unwrapped line.
    press(&mut app, [key(KeyCode::Up)]);
    assert_eq!(app.compose().map(|c| c.field), Some(Field::Body));
    press(&mut app, [key(KeyCode::Up)]);
    assert_eq!(app.compose().map(|c| c.field), Some(Field::Subject));
}

#[test]
fn a_resize_rewraps_the_body() {
    let mut app = app(82, 30);
    press(&mut app, [ch('c'), key(KeyCode::BackTab)]);
    press(&mut app, typed(&long_line()));
    // 42 columns: 40 cells inside, 8 words a row, 5 rows.
    update(&mut app, Event::Resize(42, 30));
    let (rows, cursor) = rows_and_cursor(&app);
    let (x0, y0) = find(&rows, "w000");
    assert_eq!(find(&rows, "w008"), (x0, y0 + 1));
    let (bang_x, bang_y) = find(&rows, "w039!");
    assert_eq!((find(&rows, "w032"), bang_x), ((x0, y0 + 4), x0 + 35));
    // That last row is full: the cursor after it starts the next row (as in vim), rather
    // than sitting past the pane's edge.
    assert_eq!(cursor, (x0, bang_y + 1));
}

#[test]
fn a_long_body_scrolls_by_visual_rows() {
    // A short pane: 14 - 1 (status) - 2 (border) - 6 (header lines) = 5 body rows.
    let mut app = app(82, 14);
    press(&mut app, [ch('c'), key(KeyCode::BackTab)]);
    let mut text = String::new();
    for _ in 0..3 {
        text.push_str(&long_line());
        text.push('\n');
    }
    text.push_str("last");
    press(&mut app, [Event::Paste(text.clone())]);
    let (rows, cursor) = rows_and_cursor(&app);
    // The cursor's row is on screen, at the bottom of the body.
    let (x, y) = find(&rows, "last");
    assert_eq!(cursor, (x + 4, y));
    assert!(
        rows[usize::from(y) + 1].starts_with('┗'),
        "{}",
        rows.join("\n")
    );
    // The row above is the end of the third long line.
    assert!(rows[usize::from(y) - 1].contains("w039!"));
    // Up, Up: into the wrapped line, still on screen without scrolling.
    press(&mut app, [key(KeyCode::Up), key(KeyCode::Up)]);
    let (rows2, cursor2) = rows_and_cursor(&app);
    assert_eq!(rows2, rows);
    assert_eq!(cursor2, (x + 4, y - 2));
    assert_eq!(
        app.compose().map(|c| c.body.text()).as_deref(),
        Some(text.as_str())
    );
}

/// The cell column of the last `symbol` on screen row `y`.
fn last_cell(app: &App, y: u16, symbol: &str) -> Option<u16> {
    let t = drawn(app);
    let buf = t.backend().buffer();
    (0..buf.area.width)
        .rev()
        .find(|&x| buf.cell((x, y)).is_some_and(|c| c.symbol() == symbol))
}

#[test]
fn a_long_subject_of_wide_characters_scrolls_with_the_cursor_after_its_end() {
    // With and without a one-cell character first: the scroll edge falls once between two
    // halves of an ideograph, once not.
    for first in ["", "x"] {
        let mut app = app(60, 24);
        press(
            &mut app,
            [ch('c'), key(KeyCode::BackTab), key(KeyCode::BackTab)],
        );
        let text = format!("{first}{}", "日".repeat(40));
        press(&mut app, [Event::Paste(text)]);
        let (rows, cursor) = rows_and_cursor(&app);
        let (_, y) = find(&rows, "Subject:");
        let end = last_cell(&app, y, "日").map(|x| x + 2);
        assert_eq!(cursor, (end.unwrap_or(0), y), "{}", rows.join("\n"));
    }
}

#[test]
fn a_long_attachment_path_scrolls_so_its_end_and_the_cursor_stay_in_the_pane() {
    let mut app = app(60, 24);
    press(&mut app, [ch('c'), ctrl('t')]);
    let path = format!("/tmp/{}/end.txt", "a".repeat(100));
    press(&mut app, typed(&path));
    let (rows, cursor) = rows_and_cursor(&app);
    let (_, y) = find(&rows, "Path:");
    let (x, end_y) = find(&rows, "end.txt");
    assert_eq!((end_y, cursor), (y, (x + 7, y)), "{}", rows.join("\n"));
}

#[test]
fn the_preview_is_built_by_the_engine_and_only_its_answer_shows_it() {
    let mut app = app(100, 30);
    press(&mut app, [ch('c')]);
    press(&mut app, typed("carol@customer.test"));
    // Ctrl-x asks the engine (which reads the attachments); nothing is shown before it answers.
    let cmds = press(&mut app, [ctrl('x')]);
    let [Request::Preview { id, typed: t }] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    assert_eq!(t.to, "carol@customer.test");
    assert_eq!(t.plan.account, "support");
    assert!(app.compose().is_some_and(|c| c.preview.is_none()));
    // Keys wait for the answer: nothing is typed into a message being previewed.
    press(&mut app, typed("x"));
    assert_eq!(
        app.compose().map(|c| c.to.text.as_str()),
        Some("carol@customer.test")
    );
    let answer = mailroom::engine::compose::answer(cmds[0].clone()).expect("an answer");
    // An answer to another request is not this pane's.
    let mut stale = answer.clone();
    if let EngineEvent::Previewed { id: i, .. } = &mut stale {
        *i = id + 1;
    }
    update(&mut app, stale);
    assert!(app.compose().is_some_and(|c| c.preview.is_none()));
    update(&mut app, answer);
    let p = app.compose().and_then(|c| c.preview.clone());
    assert!(p.is_some_and(|p| p.lines[0] == "MAIL FROM:<support@example.test>"));
    assert_eq!(
        app.notice(),
        Some("this is what will be sent: y sends, n goes back, b shows the exact bytes")
    );
}

#[test]
fn a_file_is_attached_once_the_engine_found_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("report.txt");
    std::fs::write(&file, "figures\n").expect("write");
    let missing = dir.path().join("nope.txt");
    let mut app = app(100, 30);
    press(&mut app, [ch('c')]);
    press(&mut app, typed("carol@customer.test"));
    // The UI asks; the engine checks the path.
    press(&mut app, [ctrl('t')]);
    press(&mut app, typed(&missing.display().to_string()));
    let cmds = press(&mut app, [key(KeyCode::Enter)]);
    let [Request::Attach { path, .. }] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    assert_eq!(path, &missing);
    assert!(app.compose().is_some_and(|c| c.attachments.is_empty()));
    assert!(served(&mut app, cmds).is_empty());
    assert_eq!(
        app.error(),
        Some(format!("{}: no such file", missing.display()).as_str())
    );
    press(&mut app, [ctrl('t')]);
    press(&mut app, typed(&file.display().to_string()));
    let cmds = press(&mut app, [key(KeyCode::Enter)]);
    assert!(
        matches!(cmds.as_slice(), [Request::Attach { .. }]),
        "{cmds:?}"
    );
    assert!(served(&mut app, cmds).is_empty());
    assert_eq!(
        app.notice(),
        Some(format!("attached {}", file.display()).as_str())
    );
    assert_eq!(
        app.compose().map(|c| c.attachments.clone()),
        Some(vec![file.clone()])
    );
    // The engine reads it for the preview; gone by then, the preview says so.
    press_served(&mut app, [ctrl('x')]);
    let raw = app
        .compose()
        .and_then(|c| c.preview.as_ref())
        .map(|p| String::from_utf8_lossy(&p.outgoing.raw).into_owned())
        .unwrap_or_else(|| panic!("{:?}", app.error()));
    assert!(raw.contains("report.txt"), "{raw}");
    press(&mut app, [ch('n')]);
    std::fs::remove_file(&file).expect("remove");
    press_served(&mut app, [ctrl('x')]);
    let e = app.error().unwrap_or_default().to_string();
    assert!(
        e.starts_with(&format!("not sent: attachment {}: ", file.display())),
        "{e}"
    );
}

#[test]
fn the_send_preview_pages_with_g_and_capital_g_like_the_reader() {
    let mut app = app(100, 30);
    open_reply(&mut app);
    let body: String = (1..=80).map(|i| format!("line {i}\n")).collect();
    press(&mut app, typed(&body));
    press_served(&mut app, [ctrl('x')]);
    let scroll = |app: &App| {
        app.compose()
            .and_then(|c| c.preview.as_ref())
            .map(|p| p.scroll)
    };
    let len = app
        .compose()
        .and_then(|c| c.preview.as_ref())
        .map_or(0, |p| p.lines.len());
    assert!(len > 80, "{len}");
    let page = app.help_height();
    press(&mut app, [ch('G')]);
    assert_eq!(scroll(&app), Some(len - page));
    assert!(screen(&app).contains("line 80"));
    press(&mut app, [ch('g')]);
    assert_eq!(scroll(&app), Some(0));
    press(&mut app, [ctrl('d')]);
    assert_eq!(scroll(&app), Some(page.div_ceil(2)));
    // (b is the exact bytes here: Ctrl-u goes back.)
    press(&mut app, [ctrl('u')]);
    assert_eq!(scroll(&app), Some(0));
    press(&mut app, [key(KeyCode::End), key(KeyCode::Home)]);
    assert_eq!(scroll(&app), Some(0));
    // Still the preview: y and n keep their meaning.
    assert!(app.compose().is_some_and(|c| c.preview.is_some()));
}
