//! Warnings before sending (issue 18, item 5): an empty subject, or a text that says
//! "attached" (or a translation) with nothing attached, makes the first `y` in the preview ask
//! "send anyway?"; the second `y` sends. A quoted "attached" does not count.

use mailroom::engine::Request;
use mailroom::ui::app::App;

use crate::ui_support;
use ui_support::{ch, config_from, ctrl, key, press, press_served, screen, sized, theme, typed};

use crossterm::event::KeyCode;

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

/// A new message to carol with `subject` and `body`, previewed (Ctrl-x).
fn previewed(subject: &str, body: &str) -> App {
    let app = App::new(&[(0, "support".to_string())], theme(), false)
        .with_agent("alice")
        .with_config(config_from(CONFIG));
    let mut app = sized(app, 120, 30);
    press(&mut app, [ch('c')]);
    press(&mut app, typed("carol@customer.test"));
    press(
        &mut app,
        [key(KeyCode::Tab), key(KeyCode::Tab), key(KeyCode::Tab)],
    );
    press(&mut app, typed(subject));
    press(&mut app, [key(KeyCode::Tab)]);
    press(&mut app, typed(body));
    press_served(&mut app, [ctrl('x')]);
    assert!(
        app.compose().is_some_and(|c| c.preview.is_some()),
        "preview: {:?}",
        app.error()
    );
    app
}

fn sends(cmds: &[Request]) -> bool {
    cmds.iter().any(|r| matches!(r, Request::Send { .. }))
}

#[test]
fn an_empty_subject_asks_before_sending() {
    let mut app = previewed("", "Hello Carol");
    let cmds = press(&mut app, [ch('y')]);
    assert!(!sends(&cmds), "the first y asks");
    let err = app.error().unwrap_or_default().to_string();
    assert!(
        err.contains("the subject is empty") && err.contains("send anyway?"),
        "{err}"
    );
    assert!(screen(&app).contains("send anyway?"));
    let cmds = press(&mut app, [ch('y')]);
    assert!(sends(&cmds), "the second y sends");
}

#[test]
fn attached_with_nothing_attached_asks_and_n_goes_back() {
    let mut app = previewed("Invoice", "Die Rechnung ist im Anhang.");
    let cmds = press(&mut app, [ch('y')]);
    assert!(!sends(&cmds));
    let err = app.error().unwrap_or_default().to_string();
    assert!(err.contains("\"anhang\" but nothing is attached"), "{err}");
    press(&mut app, [ch('n')]);
    assert!(
        app.compose().is_some_and(|c| c.preview.is_none()),
        "back to editing"
    );
    // Previewed again: asked again.
    press_served(&mut app, [ctrl('x')]);
    assert!(!sends(&press(&mut app, [ch('y')])));
}

#[test]
fn a_plain_message_sends_on_the_first_y() {
    let mut app = previewed("Invoice", "> the attached log\nThanks, fixed.");
    assert!(sends(&press(&mut app, [ch('y')])));
}
