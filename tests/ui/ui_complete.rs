//! Completion in the compose pane (issue 18, item 5): `Tab` in To completes from the
//! addresses of the account's column, ranked by use, and cycles; with nothing to complete it
//! moves to the next field as before. `Tab` in the attach line (`Ctrl-t`) completes a path.

use crossterm::event::KeyCode;

use mailroom::ui::app::App;
use mailroom::ui::screen::compose::model::Field;

use crate::ui_support;
use ui_support::{
    addr, ch, config_from, ctrl, key, load, msg, press, sized, status_line, theme, typed,
};

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
    let app = App::new(&[(0, "support".to_string())], theme(), false)
        .with_agent("alice")
        .with_config(config_from(CONFIG));
    let mut app = sized(app, 140, 30);
    let from = |mut m: mailroom::message::Summary, name: &str, email: &str| {
        let mut f = m.fields();
        f.from = vec![addr(name, email)];
        m = mailroom::message::Summary::new(f);
        m
    };
    load(
        &mut app,
        0,
        vec![
            from(
                msg(1, 10, "x", "One"),
                "Carol Customer",
                "carol@customer.test",
            ),
            from(
                msg(2, 20, "x", "Two"),
                "Carol Customer",
                "carol@customer.test",
            ),
            from(msg(3, 30, "x", "Three"), "Carl Client", "carl@client.test"),
        ],
    );
    app
}

fn to(app: &App) -> String {
    app.compose().map(|c| c.to.text.clone()).unwrap_or_default()
}

#[test]
fn tab_completes_the_address_ranked_by_use_and_cycles() {
    let mut app = app();
    press(&mut app, [ch('c')]);
    press(&mut app, typed("bob@x.test, car"));
    press(&mut app, [key(KeyCode::Tab)]);
    assert_eq!(to(&app), "bob@x.test, Carol Customer <carol@customer.test>");
    assert_eq!(app.compose().map(|c| c.field), Some(Field::To));
    let s = status_line(&app);
    assert!(
        s.contains("[Carol Customer <carol@customer.test>]") && s.contains("Carl Client"),
        "{s}"
    );
    press(&mut app, [key(KeyCode::Tab)]);
    assert_eq!(to(&app), "bob@x.test, Carl Client <carl@client.test>");
    press(&mut app, [key(KeyCode::Tab)]);
    assert_eq!(to(&app), "bob@x.test, Carol Customer <carol@customer.test>");
    // Another key keeps the choice; Tab then has nothing to complete and moves on.
    press(&mut app, typed(", "));
    press(&mut app, [key(KeyCode::Tab)]);
    assert_eq!(app.compose().map(|c| c.field), Some(Field::Cc));
    // In Cc too.
    press(&mut app, typed("carl"));
    press(&mut app, [key(KeyCode::Tab)]);
    assert_eq!(
        app.compose().map(|c| c.cc.text.clone()).as_deref(),
        Some("Carl Client <carl@client.test>")
    );
}

#[test]
fn tab_in_the_attach_line_completes_a_path() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("screenshot-login.png"), b"png").unwrap();
    let mut app = app();
    press(&mut app, [ch('c')]);
    press(&mut app, [ctrl('t')]);
    press(&mut app, typed(&format!("{}/scr", dir.path().display())));
    press(&mut app, [key(KeyCode::Tab)]);
    let line = app
        .compose()
        .and_then(|c| c.attach_line.clone())
        .map(|l| l.text)
        .unwrap_or_default();
    assert_eq!(
        line,
        format!("{}/screenshot-login.png", dir.path().display())
    );
    // Typed text never ran as keys: the pane is still in the attach line.
    assert!(app.compose().is_some_and(|c| c.attach_line.is_some()));
}
