//! The drafts pane (issue 18, item 10): `:drafts` lists the saved drafts (account, recipient,
//! subject, age); `Enter` reopens the selected one in the compose pane; `d` asks, `y` deletes
//! (the engine removes the file), any other key keeps it.

use mailroom::engine::Request;
use mailroom::store::drafts::Draft;
use mailroom::ui::app::App;

use crate::ui_support;
use ui_support::{NOW, ch, config_from, drawn, enter, press, rows_of, sized, theme, typed};

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

[[account]]
name = "sales"
address = "sales@example.test"
send = "as"
[account.maildir]
path = "mail/sales"
"#;

fn draft(id: &str, account: &str, to: &str, subject: &str, minutes_ago: i64) -> Draft {
    Draft {
        id: id.into(),
        account: account.into(),
        from: format!("{account}@example.test"),
        to: vec![to.into()],
        subject: subject.into(),
        body: format!("Body of {subject}"),
        saved: NOW - minutes_ago * 60,
        ..Draft::default()
    }
}

fn app() -> App {
    let cols = [(0, "support".to_string()), (1, "sales".to_string())];
    let app = App::new(&cols, theme(), false)
        .with_agent("alice")
        .with_config(config_from(CONFIG));
    sized(app, 100, 20).with_drafts(
        vec![
            draft(
                "a1",
                "support",
                "carol@customer.test",
                "About the printer",
                5,
            ),
            draft("b2", "sales", "dan@buyer.test", "Quote for 40 seats", 90),
            draft("c3", "support", "eve@customer.test", "", 3000),
        ],
        0,
    )
}

fn screen(app: &App) -> String {
    rows_of(&drawn(app)).join("\n")
}

#[test]
fn drafts_pane_snapshot() {
    let mut app = app();
    press(&mut app, typed(":drafts\n"));
    assert_snapshot!("drafts_pane_100x20", screen(&app));
}

#[test]
fn enter_reopens_the_selected_draft() {
    let mut app = app();
    press(&mut app, typed(":drafts\n"));
    let s = screen(&app);
    for want in [
        "About the printer",
        "dan@buyer.test",
        "(no subject)",
        "sales",
    ] {
        assert!(s.contains(want), "{want}: {s}");
    }
    press(&mut app, [ch('j'), enter()]);
    let c = app.compose().expect("reopened");
    assert_eq!(c.draft_id, "b2");
    assert_eq!(c.subject.text, "Quote for 40 seats");
    assert!(!screen(&app).contains("Enter reopens"), "the pane closed");
}

#[test]
fn d_asks_and_y_deletes_the_selected_draft_only() {
    let mut app = app();
    press(&mut app, typed(":drafts\n"));
    press(&mut app, [ch('j')]);
    // Any key but y keeps it (and never runs as a command).
    let cmds = press(&mut app, [ch('d'), ch('n')]);
    assert!(cmds.is_empty(), "{cmds:?}");
    assert_eq!(app.drafts().len(), 3);
    let cmds = press(&mut app, [ch('d')]);
    assert!(cmds.is_empty());
    assert!(
        app.notice()
            .is_some_and(|n| n.contains("Quote for 40 seats") && n.contains("(y/n)")),
        "{:?}",
        app.notice()
    );
    let cmds = press(&mut app, [ch('y')]);
    assert!(
        matches!(cmds.as_slice(), [Request::DeleteDraft(id)] if id == "b2"),
        "{cmds:?}"
    );
    let ids: Vec<&str> = app.drafts().iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["a1", "c3"]);
    let pane = rows_of(&drawn(&app));
    let above_status = &pane[..pane.len() - 1];
    assert!(!above_status.join("\n").contains("Quote for 40 seats"));
    assert!(app.notice().is_some_and(|n| n.contains("draft deleted")));
    // q closes; nothing else was sent.
    assert!(press(&mut app, [ch('q')]).is_empty());
    assert!(!screen(&app).contains("Enter reopens"));
}
