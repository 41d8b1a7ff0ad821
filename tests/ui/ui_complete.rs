//! Completion in the compose pane (issue 18, item 5): `Tab` in To completes from the
//! addresses of the account's column, ranked by use, and cycles; with nothing to complete it
//! moves to the next field as before. `Tab` in the attach line (`Ctrl-t`) completes a path.

use crossterm::event::KeyCode;

use mailroom::ui::app::App;
use mailroom::ui::screen::compose::model::Field;

use crate::ui_support;
use ui_support::{
    addr, ch, config_from, ctrl, drawn, key, load, msg, press, press_served, rows_of, sized,
    status_line, theme, typed,
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
    app_sized(CONFIG, 140, 30)
}

fn app_sized(config: &str, w: u16, h: u16) -> App {
    let app = App::new(&[(0, "support".to_string())], theme(), false)
        .with_agent("alice")
        .with_config(config_from(config));
    let mut app = sized(app, w, h);
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

/// The screen without trailing blanks.
fn screen(app: &App) -> String {
    rows_of(&drawn(app))
        .iter()
        .map(|l| l.trim_end().to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_candidates_show_in_a_popup_under_the_field_shift_tab_enter_esc() {
    let mut app = app_sized(CONFIG, 80, 16);
    press(&mut app, [ch('c')]);
    press(&mut app, typed("car"));
    press(&mut app, [key(KeyCode::Tab)]);
    assert_snapshot!("address_popup_80x16", screen(&app));
    // Shift-Tab goes back (from the first to the last), Down forward again.
    press(&mut app, [key(KeyCode::BackTab)]);
    assert_eq!(to(&app), "Carl Client <carl@client.test>");
    press(&mut app, [key(KeyCode::Down)]);
    assert_eq!(to(&app), "Carol Customer <carol@customer.test>");
    // Enter accepts: the popup goes, the text stays, the field too.
    press(&mut app, [key(KeyCode::Enter)]);
    assert_eq!(to(&app), "Carol Customer <carol@customer.test>");
    assert!(
        app.compose()
            .is_some_and(|c| c.completing.is_none() && c.field == Field::To)
    );
    assert!(!screen(&app).contains("Carl Client"));
    // Esc puts back what was typed.
    press(&mut app, typed(", car"));
    press(&mut app, [key(KeyCode::Tab), key(KeyCode::Tab)]);
    assert_eq!(
        to(&app),
        "Carol Customer <carol@customer.test>, Carl Client <carl@client.test>"
    );
    press(&mut app, [key(KeyCode::Esc)]);
    assert_eq!(to(&app), "Carol Customer <carol@customer.test>, car");
    assert!(app.compose().is_some_and(|c| c.completing.is_none()));
}

#[test]
fn the_completion_key_is_rebindable() {
    let config = format!("{CONFIG}\n[keys.compose]\ncomplete = [\"Ctrl-k\"]\n");
    let keys = config_from(&config).keys.clone();
    let keymap = mailroom::ui::keys::Keymap::from_config(&keys).expect("keys");
    let mut app = app_sized(&config, 140, 30).with_keymap(keymap);
    press(&mut app, [ch('c')]);
    press(&mut app, typed("car"));
    // Tab is no longer the completion key: it moves on.
    press(&mut app, [key(KeyCode::Tab)]);
    assert_eq!(app.compose().map(|c| c.field), Some(Field::Cc));
    assert_eq!(to(&app), "car");
    press(&mut app, [key(KeyCode::BackTab), ctrl('k')]);
    assert_eq!(to(&app), "Carol Customer <carol@customer.test>");
    press(&mut app, [ctrl('k')]);
    assert_eq!(to(&app), "Carl Client <carl@client.test>");
}

#[test]
fn the_address_book_command_is_asked_off_the_ui_thread_and_merged() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("book.sh");
    // aerc's contract: the query as the last argument, `address<TAB>name` lines.
    std::fs::write(
        &script,
        "#!/bin/sh\nprintf '%s\\n' \"$1\" >> \"$(dirname \"$0\")/asked\"\n\
         printf 'cara@book.test\\tCara Book\\ncarol@customer.test\\tCarol From Book\\nnot an address\\n'\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let config = format!(
        "{CONFIG}\n[compose]\naddress_book_command = [{:?}]\n",
        script.display().to_string()
    );
    let mut app = app_sized(&config, 80, 16);
    press(&mut app, [ch('c')]);
    press(&mut app, typed("car"));
    // The key only asks: the UI runs nothing itself (and, the first time, the Sent folder's
    // recipients are asked for too).
    let asked = press(&mut app, [key(KeyCode::Tab)]);
    assert!(
        matches!(
            asked.as_slice(),
            [
                mailroom::engine::Request::SentRecipients { account_idx: 0 },
                mailroom::engine::Request::AddressBook { query, argv, .. }
            ] if query == "car" && argv[0] == script.display().to_string()
        ),
        "{asked:?}"
    );
    assert!(!dir.path().join("asked").exists());
    assert!(screen(&app).contains("asking the address book…"));
    // The engine's answer (its compose job, run here) merges in, ranked by use: Carol (twice
    // in the mail) and Carl (once) before Cara (only in the book).
    let mut app = app_sized(&config, 80, 16);
    press(&mut app, [ch('c')]);
    press(&mut app, typed("car"));
    let left = press_served(&mut app, [key(KeyCode::Tab)]);
    assert_eq!(
        left,
        [mailroom::engine::Request::SentRecipients { account_idx: 0 }]
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("asked")).unwrap(),
        "car\n"
    );
    let open = app
        .compose()
        .and_then(|c| c.completing.clone())
        .expect("open");
    assert_eq!(
        open.candidates,
        [
            "Carol Customer <carol@customer.test>",
            "Carl Client <carl@client.test>",
            "Cara Book <cara@book.test>",
        ]
    );
    assert_eq!(to(&app), "Carol Customer <carol@customer.test>");
    assert_snapshot!("address_popup_with_book_80x16", screen(&app));
    press(&mut app, [key(KeyCode::BackTab), key(KeyCode::Enter)]);
    assert_eq!(to(&app), "Cara Book <cara@book.test>");
}

#[test]
fn the_sent_folders_recipients_count_as_uses_once_read() {
    use mailroom::engine::{Event as EngineEvent, Request};
    use mailroom::message::{Fields, Summary};
    let mut app = app();
    press(&mut app, [ch('c')]);
    press(&mut app, typed("car"));
    // The first completion asks for them (once per account) and ranks without them.
    let asked = press(&mut app, [key(KeyCode::Tab)]);
    assert_eq!(asked, [Request::SentRecipients { account_idx: 0 }]);
    assert_eq!(to(&app), "Carol Customer <carol@customer.test>");
    // The team wrote to Carl three times: he now comes first.
    let sent = |uid: u32| {
        Summary::new(Fields {
            uid,
            internal_date: 5,
            from: vec![addr("", "support@example.test")],
            to: vec![addr("Carl Client", "carl@client.test")],
            ..Fields::default()
        })
    };
    mailroom::ui::app::update(
        &mut app,
        EngineEvent::SentRecipients {
            account_idx: 0,
            result: Ok(vec![sent(1), sent(2), sent(3)]),
        },
    );
    press(&mut app, [key(KeyCode::Esc)]);
    assert_eq!(to(&app), "car");
    let asked = press(&mut app, [key(KeyCode::Tab)]);
    assert!(asked.is_empty(), "asked once: {asked:?}");
    assert_eq!(to(&app), "Carl Client <carl@client.test>");
}
