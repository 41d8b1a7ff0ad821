//! Read state that means something: `ui.mark_read` (issue 18, item 7), driven by keys and the
//! app's clock (Tick events).

use crossterm::event::KeyCode;
use mailroom::engine::{Event as EngineEvent, Request};
use mailroom::ui::app::App;
use mailroom::ui::event::Event;

use crate::ui_support;
use ui_support::{
    NOW, ch, config_from, ctrl, key, load, msg, press, press_served, sized, theme, typed,
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

/// One column, two unread messages (1 selected); `ui` is the `[ui]` table's body.
fn app(ui: &str) -> App {
    let config = config_from(&format!("{CONFIG}\n[ui]\n{ui}\n"));
    let app = App::new(&[(0, "support".to_string())], theme(), false)
        .with_agent("alice")
        .with_config(config);
    let mut app = sized(app, 120, 20);
    load(
        &mut app,
        0,
        vec![msg(1, 10, "Ann", "Printer"), msg(2, 20, "Ben", "Refund")],
    );
    app
}

/// The `\Seen` stores among `cmds`: (UID, added).
fn seen_stores(cmds: &[Request]) -> Vec<(u32, bool)> {
    cmds.iter()
        .filter_map(|r| match r {
            Request::Store { uid, change, .. } if change.add_flags.seen => Some((*uid, true)),
            Request::Store { uid, change, .. } if change.remove_flags.seen => Some((*uid, false)),
            _ => None,
        })
        .collect()
}

fn seen(app: &App, uid: u32) -> bool {
    app.columns()[0]
        .rows
        .by_uid(uid)
        .is_some_and(|s| s.flags.seen)
}

#[test]
fn by_default_an_opened_message_is_read_after_a_short_while() {
    let mut app = app("");
    press(&mut app, [key(KeyCode::Enter)]);
    assert!(seen_stores(&press(&mut app, [Event::Tick(NOW + 1)])).is_empty());
    assert!(!seen(&app, 1), "not at once");
    let cmds = press(&mut app, [Event::Tick(NOW + 2)]);
    assert_eq!(seen_stores(&cmds), [(1, true)]);
    assert!(seen(&app, 1));
    // Once.
    assert!(seen_stores(&press(&mut app, [Event::Tick(NOW + 9)])).is_empty());
}

#[test]
fn leaving_sooner_keeps_the_message_unread() {
    let mut app = app("mark_read = \"open\"");
    press(&mut app, [key(KeyCode::Enter), ch('q')]);
    assert!(seen_stores(&press(&mut app, [Event::Tick(NOW + 5)])).is_empty());
    assert!(!seen(&app, 1));
    // Read through with J: only the one read long enough.
    press(&mut app, [key(KeyCode::Enter), ch('J')]);
    let cmds = press(&mut app, [Event::Tick(NOW + 20)]);
    assert_eq!(seen_stores(&cmds), [(2, true)]);
    assert!(!seen(&app, 1));
}

#[test]
fn reply_and_never_do_not_mark_on_open() {
    for mode in ["reply", "never"] {
        let mut app = app(&format!("mark_read = \"{mode}\""));
        press(&mut app, [key(KeyCode::Enter)]);
        assert!(seen_stores(&press(&mut app, [Event::Tick(NOW + 60)])).is_empty());
        assert!(!seen(&app, 1), "{mode}");
    }
}

#[test]
fn a_reply_marks_the_message_read_unless_never() {
    for (mode, marked) in [("open", true), ("reply", true), ("never", false)] {
        let mut app = app(&format!("mark_read = \"{mode}\""));
        press(&mut app, [ch('r')]);
        press(
            &mut app,
            [EngineEvent::Body {
                account_idx: 0,
                uid: 1,
                body: Ok("It is on fire.".into()),
            }],
        );
        press(&mut app, typed("On our way."));
        press_served(&mut app, [ctrl('x')]);
        let cmds = press(&mut app, [ch('y')]);
        assert!(
            matches!(cmds.last(), Some(Request::Send { .. })),
            "{mode}: {cmds:?} {:?}",
            app.error()
        );
        let expected: &[(u32, bool)] = if marked { &[(1, true)] } else { &[] };
        assert_eq!(seen_stores(&cmds), expected, "{mode}");
        assert_eq!(seen(&app, 1), marked, "{mode}");
    }
}

#[test]
fn an_unknown_mark_read_is_refused_naming_the_choices() {
    let text = format!("{CONFIG}\n[ui]\nmark_read = \"sometimes\"\n");
    let Err(err) = mailroom::config::parse(&text, std::path::Path::new("/nowhere/mailroom.toml"))
    else {
        panic!("accepted");
    };
    let err = err.to_string();
    assert!(
        err.contains("mark_read") || err.contains("sometimes"),
        "{err}"
    );
    assert!(err.contains("open") && err.contains("never"), "{err}");
}
