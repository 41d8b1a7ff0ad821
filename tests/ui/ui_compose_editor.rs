//! The whole reply in `$EDITOR` and the editable quote, driven by keys on the App: `Ctrl-e`
//! hands the editor the header block and the body with the quote; what comes back replaces
//! To/Cc/Bcc/Subject and the body, never the policy's From; `Ctrl-o` puts the quote in the
//! built-in editor. The send preview shows the signature and disclaimer still enforced.

use crossterm::event::KeyCode;

use mailroom::engine::Request;
use mailroom::ui::app::{App, update};
use mailroom::ui::event::Event;
use mailroom::ui::screen::compose::model::Field;

use super::ui_compose::{app, open_reply};
use crate::ui_support::{ch, ctrl, key, press, press_served, typed};

/// The preview's raw message (after `Ctrl-x`).
fn previewed(app: &mut App) -> String {
    press_served(app, [ctrl('x')]);
    let p = app
        .compose()
        .and_then(|c| c.preview.clone())
        .unwrap_or_else(|| panic!("preview: {:?}", app.error()));
    String::from_utf8_lossy(&p.outgoing.raw).replace("\r\n", "\n")
}

#[test]
fn ctrl_e_edits_headers_and_quote_and_the_policy_keeps_from() {
    let mut app = app(100, 40);
    open_reply(&mut app);
    press(&mut app, typed("Hello Carol,"));
    press(&mut app, [ctrl('e')]);
    let file = app.take_editor().expect("the editor is asked for");
    assert!(
        file.contains("\nTo: Carol Customer <carol@customer.test>\n"),
        "{file}"
    );
    assert!(file.contains("\nSubject: Re: Printer on fire\n"), "{file}");
    assert!(
        file.contains("\nCc: \n") && file.contains("\nBcc: \n"),
        "{file}"
    );
    assert!(
        file.contains("# From: Example Support <help@example.test>"),
        "From is shown, as a comment: {file}"
    );
    let body = file.split_once("\n\n").map(|(_, b)| b).unwrap_or_default();
    assert!(body.starts_with("Hello Carol,\n\n"), "{body:?}");
    assert!(
        body.contains("> It is on fire.\n> Please help."),
        "{body:?}"
    );
    assert!(
        !file.contains("CONFIDENTIAL") && !file.contains("Support Engineer"),
        "the signature and disclaimer are not the editor's: {file}"
    );

    // What a script does: a new From and Sender, a Bcc, a new Subject; the quote trimmed to
    // one line with an answer under it.
    let edited = "From: CEO <ceo@example.test>\nSender: ceo@example.test\n\
                  To: carol@customer.test\nCc:\nBcc: boss@example.test\nSubject: Re: Fire\n\n\
                  Hello Carol,\n\n> It is on fire.\nThe fire brigade is on its way.\n";
    update(&mut app, Event::Edited(Ok(edited.to_string())));
    let c = app.compose().expect("compose open");
    assert_eq!(c.bcc.text, "boss@example.test");
    assert_eq!(c.subject.text, "Re: Fire");
    assert_eq!(c.quoted(), None, "the quote is the body's now");
    assert_eq!(c.field, Field::Body);
    assert_eq!(
        c.identity().map(|i| i.from.as_str()),
        Some("help@example.test")
    );
    let said = app.notice().unwrap_or_default().to_string();
    assert!(
        said.contains("From is set by the team policy: kept help@example.test"),
        "{said}"
    );
    assert!(
        said.contains("Sender is set by the team policy: kept (no Sender)"),
        "{said}"
    );

    let raw = previewed(&mut app);
    assert!(
        raw.contains("From: \"Example Support\" <help@example.test>"),
        "{raw}"
    );
    assert!(!raw.contains("ceo@"), "{raw}");
    assert!(raw.contains("Subject: Re: Fire"), "{raw}");
    let text = raw.split_once("\n\n").map(|(_, b)| b).unwrap_or_default();
    let answer = text.find("The fire brigade").expect("the answer");
    let quote = text.find("> It is on fire.").expect("the kept quote line");
    let sig = text.find("Support Engineer").expect("signature");
    let disclaimer = text.find("CONFIDENTIAL").expect("disclaimer");
    assert!(quote < answer && answer < sig && sig < disclaimer, "{text}");
    assert!(
        !text.contains("Please help"),
        "the trimmed quote line is gone: {text}"
    );
}

#[test]
fn a_hostile_header_block_is_refused_and_the_text_kept() {
    let mut app = app(100, 40);
    open_reply(&mut app);
    press(&mut app, [ctrl('e')]);
    assert!(app.take_editor().is_some());
    for hostile in [
        "To: carol@customer.test\nX-Mailer: evil\n\nmy text\n",
        "To: carol@customer.test\nBcc: a@x.test\rBcc: b@x.test\n\nmy text\n",
        "To: carol@customer.test, not an address\n\nmy text\n",
    ] {
        update(&mut app, Event::Edited(Ok(hostile.to_string())));
        let c = app.compose().expect("compose open");
        assert_eq!(
            c.to.text, "Carol Customer <carol@customer.test>",
            "{hostile:?}"
        );
        assert_eq!(c.bcc.text, "", "{hostile:?}");
        assert_eq!(c.body.text(), "my text", "{hostile:?}");
        let e = app.error().unwrap_or_default();
        assert!(e.contains("headers not changed"), "{e}");
    }
    // An empty file (an editor that wrote nothing) changes nothing.
    update(&mut app, Event::Edited(Ok("\n".to_string())));
    assert_eq!(
        app.compose().map(|c| c.body.text()).as_deref(),
        Some("my text")
    );
}

#[test]
fn ctrl_e_waits_for_the_quote() {
    let mut app = app(100, 40);
    press(&mut app, [ch('r')]);
    press(&mut app, [ctrl('e')]);
    assert!(app.take_editor().is_none());
    assert!(app.error().is_some_and(|e| e.contains("still loading")));
}

#[test]
fn ctrl_o_puts_the_quote_in_the_built_in_editor() {
    let mut app = app(100, 40);
    open_reply(&mut app);
    press(&mut app, typed("Hi,"));
    press(&mut app, [ctrl('o')]);
    let c = app.compose().expect("compose open");
    assert_eq!(c.quoted(), None);
    let lines = c.body.lines.clone();
    assert!(lines.iter().any(|l| l == "> Please help."), "{lines:?}");
    // The last quote line is deleted by keys, an answer typed in its place.
    let last = lines.len() - 1;
    let mut keys: Vec<Event> = vec![key(KeyCode::Down); last];
    keys.extend([key(KeyCode::End)]);
    keys.extend(std::iter::repeat_n(
        key(KeyCode::Backspace),
        "> Please help.".len(),
    ));
    keys.extend(typed("Help is coming."));
    press(&mut app, keys);
    let raw = previewed(&mut app);
    assert!(raw.contains("> It is on fire.\nHelp is coming."), "{raw}");
    assert!(!raw.contains("Please help"), "{raw}");
    assert!(raw.contains("CONFIDENTIAL"), "{raw}");
    // A new message has no quote to unlock.
    let mut app2 = app_without_quote();
    press(&mut app2, [ctrl('o')]);
    assert!(app2.notice().is_some_and(|n| n.contains("no quote")));
}

fn app_without_quote() -> App {
    let mut app = app(100, 40);
    let cmds = press(&mut app, [ch('c')]);
    assert!(!cmds.iter().any(|r| matches!(r, Request::Open { .. })));
    app
}
