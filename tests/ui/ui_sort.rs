//! Sorting a column (`s`, `:sort KEY`): per column, kept for the session, named in its header.

use crossterm::event::KeyCode;

use mailroom::ui::app::{App, Layout};

use crate::ui_support;
use ui_support::{
    enter, key, load, msg, press, screen, shown_uids, sized, status_line, theme, typed,
};

fn app() -> App {
    let cols = [(0, "support".to_string()), (1, "sales".to_string())];
    let mut app = sized(
        App::new(&cols, theme(), false).with_layout(Layout::Columns),
        160,
        20,
    );
    load(
        &mut app,
        0,
        vec![
            msg(1, 300, "Carol", "Re: Invoice"),
            msg(2, 200, "alice", "Zebra crossing"),
            msg(3, 100, "Bob", "apples"),
        ],
    );
    load(
        &mut app,
        1,
        vec![msg(10, 50, "Zed", "b"), msg(11, 20, "Amy", "a")],
    );
    app
}

fn command(app: &mut App, line: &str) {
    press(app, [key(KeyCode::Char(':'))]);
    press(app, typed(line));
    press(app, [enter()]);
}

#[test]
fn s_cycles_the_focused_columns_order_and_the_header_names_it() {
    let mut app = app();
    assert_eq!(shown_uids(&app, 0), [3, 2, 1], "date: newest first");
    press(&mut app, [key(KeyCode::Char('s'))]);
    assert_eq!(shown_uids(&app, 0), [1, 2, 3], "waiting: oldest first");
    assert!(status_line(&app).contains("support: longest waiting first"));
    assert!(screen(&app).contains("by waiting ·"), "{}", screen(&app));
    press(&mut app, [key(KeyCode::Char('s'))]);
    assert_eq!(shown_uids(&app, 0), [2, 3, 1], "sender: alice, Bob, Carol");
    press(&mut app, [key(KeyCode::Char('s'))]);
    assert_eq!(
        shown_uids(&app, 0),
        [3, 1, 2],
        "subject: apples, Invoice, Zebra"
    );
    press(&mut app, [key(KeyCode::Char('s'))]);
    assert_eq!(shown_uids(&app, 0), [3, 2, 1], "back to date");
    assert!(!screen(&app).contains("by date"));
    // The other column kept its order.
    assert_eq!(shown_uids(&app, 1), [11, 10]);
}

#[test]
fn sort_command_sets_one_columns_order_and_keeps_the_selection() {
    let mut app = app();
    press(&mut app, [key(KeyCode::Char('j'))]);
    assert_eq!(app.columns()[0].selected_row().map(|s| s.uid), Some(2));
    command(&mut app, "sort subject");
    assert_eq!(shown_uids(&app, 0), [3, 1, 2]);
    assert_eq!(app.columns()[0].selected_row().map(|s| s.uid), Some(2));
    press(&mut app, [key(KeyCode::Char('l'))]);
    command(&mut app, "sort waiting");
    assert_eq!(shown_uids(&app, 1), [10, 11]);
    assert_eq!(shown_uids(&app, 0), [3, 1, 2], "support keeps subject");
    command(&mut app, "sort size");
    assert!(
        status_line(&app).contains("no order \"size\""),
        "{}",
        status_line(&app)
    );
}
