//! `:search` with its syntax in the column view: a local folder is searched in its rows with
//! the same language the server gets, a wrong term is named before anything is sent, and the
//! count says how many of the rows in the team view pass ("N of M in this view").

use mailroom::engine::{Event as EngineEvent, Request};
use mailroom::ui::app::App;
use mailroom::ui::screen::columns::draw::narrowing_text;

use crate::ui_support;
use ui_support::{ch, enter, load, msg, press, shown_uids, sized, theme, typed, with_keywords};

/// support: three messages (one assigned to alice, one to bob and pending); sales: one.
fn loaded() -> App {
    let cols = [(0, "support".to_string()), (1, "sales".to_string())];
    let mut app = sized(App::new(&cols, theme(), false).with_agent("alice"), 160, 30);
    load(
        &mut app,
        0,
        vec![
            with_keywords(
                msg(1, 600, "Carol", "Invoice question"),
                &["$assigned.alice"],
            ),
            with_keywords(
                msg(2, 90, "Dave", "Cannot log in"),
                &["$Assigned.BOB", "$pending"],
            ),
            msg(3, 5, "Erin", "Password reset for order #97916"),
        ],
    );
    load(&mut app, 1, vec![msg(10, 30, "Frank", "Quote")]);
    app
}

fn search(app: &mut App, query: &str) -> Vec<Request> {
    press(app, [ch(':')]);
    press(app, typed(&format!("search {query}")));
    press(app, [enter()])
}

#[test]
fn a_local_folder_is_searched_with_the_syntax() {
    let mut app = loaded();
    for (query, want) in [
        (r#""order #97916""#, vec![3]),
        ("from:carol or from:dave", vec![2, 1]),
        ("subject:password", vec![3]),
        ("to:support@example.test -from:erin", vec![2, 1]),
        ("assigned:bob", vec![2]),
        ("assigned:me", vec![1]),
        ("status:pending", vec![2]),
        ("status:open (invoice or reset)", vec![3, 1]),
        ("is:unread -is:flagged", vec![3, 2, 1]),
    ] {
        assert!(search(&mut app, query).is_empty(), "{query}: no server");
        assert_eq!(shown_uids(&app, 0), want, "{query}");
    }
    // The body is not in the rows: the account's thread reads the messages.
    let cmds = search(&mut app, "body:refund is:unread");
    let [Request::Search { id, query, .. }] = &cmds[..] else {
        panic!("{cmds:?}");
    };
    assert_eq!(query, "body:refund is:unread");
    press(
        &mut app,
        [EngineEvent::SearchDone {
            account_idx: 0,
            id: *id,
            result: Ok(vec![2]),
        }],
    );
    assert_eq!(shown_uids(&app, 0), vec![2]);
}

#[test]
fn a_wrong_term_is_named_before_anything_is_sent() {
    let mut app = loaded().with_imap(0);
    assert!(search(&mut app, "from:bob since:yesterdy").is_empty());
    let e = app.error().unwrap_or_default().to_string();
    assert!(
        e.contains("since:yesterdy") && e.contains("column 10") && e.contains("not a date"),
        "{e}"
    );
    assert!(app.columns()[0].search.is_none());
    // A good query goes to the server as typed; the engine translates it.
    let cmds = search(&mut app, r#""order #97916" is:unread"#);
    assert!(
        matches!(&cmds[..], [Request::Search { query, .. }] if query == r#""order #97916" is:unread"#),
        "{cmds:?}"
    );
}

#[test]
fn the_count_is_of_the_rows_in_this_view() {
    let mut app = loaded();
    // The open view: Dave's message is pending, so it holds two of the three rows.
    press(&mut app, [ch('V')]);
    assert_eq!(shown_uids(&app, 0), vec![3, 1]);
    search(&mut app, "from:carol or from:dave");
    assert_eq!(shown_uids(&app, 0), vec![1]);
    assert_eq!(
        narrowing_text(&app.columns()[0]).as_deref(),
        Some("search from:carol or from:dave: 1 of 2 in this view")
    );
    // The filter counts the same way.
    search(&mut app, "");
    press(&mut app, [ch('/')]);
    press(&mut app, typed("erin"));
    assert_eq!(
        narrowing_text(&app.columns()[0]).as_deref(),
        Some("/erin: 1 of 2 in this view")
    );
}

#[test]
fn days_are_read_in_the_agents_zone() {
    // Now is 2026-11-27 12:00 UTC; Carol's message came at 02:00 UTC.
    let mut utc = loaded();
    search(&mut utc, "since:today");
    assert_eq!(shown_uids(&utc, 0), vec![3, 2, 1]);
    // At -03:00 it is 09:00 on the 27th: the day began at 03:00 UTC, after Carol's message.
    let config = ui_support::config_from(
        "[agent]\nid = \"alice\"\nname = \"Alice\"\nemail = \"alice@example.test\"\n\
         [ui]\nview = \"all\"\n[insight]\ntimezone_offset = \"-03:00\"\n",
    );
    let mut west = loaded().with_config(config);
    search(&mut west, "since:today");
    assert_eq!(shown_uids(&west, 0), vec![3, 2]);
    search(&mut west, "before:today");
    assert_eq!(shown_uids(&west, 0), vec![1]);
}

#[test]
fn team_terms_are_refused_where_team_state_is_in_folders() {
    let mut app = loaded().with_imap(0);
    press(
        &mut app,
        [EngineEvent::Access {
            account_idx: 0,
            rights: mailroom::policy::rights::Rights::all(),
            team_state: mailroom::triage::folders::TeamStateAt::Folders,
        }],
    );
    assert!(search(&mut app, "from:carol status:done").is_empty());
    let e = app.error().unwrap_or_default().to_string();
    assert!(e.contains("status:done") && e.contains("folders"), "{e}");
    // Other terms still go to the server.
    assert_eq!(search(&mut app, "from:carol is:unread").len(), 1);
}
