//! Key sequences on the app state: the live keymap and its `[keys]` overrides, the help
//! overlay, the `:` command line (completion, history, a lone Esc), the `/` filter, `:search`,
//! Space and `!`, the reader placement and the column header counts. No terminal, no threads:
//! synthetic events in, state, commands and a TestBackend screen out.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use mailroom::backend::FlagChange;
use mailroom::config::{KeyList, Keys};
use mailroom::engine::{Event as EngineEvent, Request};
use mailroom::message::Flags;
use mailroom::policy::rights::Rights;
use mailroom::ui::app::{App, Layout, ReaderMode, update};
use mailroom::ui::event::Event;
use mailroom::ui::keys::{Action, Context, Keymap};
use mailroom::ui::screen::columns::SearchState;
use mailroom::ui::screen::columns::draw::narrowing_text;

use crate::ui_support;
use ui_support::{
    ch, ctrl, enter, esc, flag_update, flags_event, key, load, msg, press, screen, selected_uid,
    shown_uids, sized, status_line, tab, theme, typed, with_keywords,
};

fn app(w: u16, h: u16) -> App {
    let cols = [
        (0, "support".to_string()),
        (1, "sales".to_string()),
        (2, "billing".to_string()),
    ];
    // Side by side at any width (these tests read the columns; the layouts have their own).
    let app = App::new(&cols, theme(), false).with_layout(Layout::Columns);
    sized(app.with_agent("alice"), w, h)
}

/// support: three messages (one assigned to alice, one to bob); sales: one.
fn loaded(w: u16, h: u16) -> App {
    let mut app = app(w, h);
    let support = vec![
        with_keywords(
            msg(1, 600, "Carol", "Invoice question"),
            &["$assigned.alice"],
        ),
        with_keywords(
            msg(2, 90, "Dave", "Cannot log in"),
            &["$Assigned.BOB", "$pending"],
        ),
        msg(3, 5, "Erin", "Password reset"),
    ];
    load(&mut app, 0, support);
    load(
        &mut app,
        1,
        vec![msg(10, 30, "Frank", "Quote for 40 seats")],
    );
    app
}

fn keys_config(context: &str, action: &str, keys: &[&str]) -> Keys {
    let mut k = Keys::default();
    let table = match context {
        "list" => &mut k.list,
        "reader" => &mut k.reader,
        "compose" => &mut k.compose,
        _ => &mut k.command,
    };
    table.insert(
        action.to_string(),
        KeyList(keys.iter().map(|s| s.to_string()).collect()),
    );
    k
}

// ---- keymap -------------------------------------------------------------------------------------

#[test]
fn rebinding_changes_dispatch_help_and_hints() {
    let map = Keymap::from_config(&keys_config("list", "toggle_flag", &["F"])).expect("valid");
    let mut app = loaded(120, 30).with_keymap(map);
    // `!` is no longer bound; F is.
    assert!(press(&mut app, [ch('!')]).is_empty());
    let cmds = press(&mut app, [ch('F')]);
    assert!(
        matches!(&cmds[..], [Request::Store { uid: 3, change, .. }] if change.add_flags.flagged),
        "{cmds:?}"
    );
    // The help overlay shows the live binding.
    press(&mut app, [ch('?')]);
    let s = screen(&app);
    let flag_line = s
        .lines()
        .find(|l| l.contains("flag / unflag"))
        .expect("help line");
    assert!(
        flag_line.contains(" F ") && !flag_line.contains('!'),
        "{flag_line}"
    );

    // Hints come from the live keymap too.
    let map = Keymap::from_config(&keys_config("list", "help", &["F1"])).expect("valid");
    assert!(map.hint(Context::List).contains("F1 help"));
    let map = Keymap::from_config(&keys_config("list", "down", &["n"]));
    assert!(map.is_err(), "n is note: a clash is an error");
}

#[test]
fn the_defaults_are_vim_style() {
    let map = Keymap::default();
    let list = |e: Event| match e {
        Event::Key(k) => map.lookup(Context::List, &k),
        _ => None,
    };
    for (e, a) in [
        (ch('h'), Action::ColumnLeft),
        (ch('l'), Action::ColumnRight),
        (tab(), Action::NextColumn),
        (ch('j'), Action::Down),
        (ch('k'), Action::Up),
        (ch('g'), Action::Top),
        (ch('G'), Action::Bottom),
        (ctrl('d'), Action::HalfPageDown),
        (ctrl('u'), Action::HalfPageUp),
        (enter(), Action::Open),
        (ch('q'), Action::Quit),
        (ch('/'), Action::Filter),
        (ch(':'), Action::CommandLine),
        (ch('r'), Action::Reply),
        (ch('R'), Action::ReplyAll),
        (ch('f'), Action::Forward),
        (ch('c'), Action::Compose),
        (ch(' '), Action::ToggleRead),
        (ch('!'), Action::ToggleFlag),
        (ch('?'), Action::Help),
        (ch('v'), Action::ReaderLayout),
        (ch('a'), Action::Claim),
        (ch('A'), Action::Assign),
        (ch('p'), Action::Pending),
        (ch('d'), Action::Done),
        (ch('z'), Action::Snooze),
        (ch('n'), Action::Note),
    ] {
        assert_eq!(list(e.clone()), Some(a), "{e:?}");
    }
}

#[test]
fn n_opens_the_note_pane_or_says_why_not() {
    let mut app = loaded(120, 30);
    // The fixtures have no Message-ID: a note could not be linked to them.
    app.mark_drawn();
    assert!(press(&mut app, [ch('n')]).is_empty());
    assert!(app.needs_redraw(), "n redraws");
    assert!(app.note().is_none());
    let e = app.error().unwrap_or_default().to_string();
    assert!(e.contains("no Message-ID"), "{e}");
    assert!(
        status_line(&app).contains("no Message-ID"),
        "{}",
        status_line(&app)
    );
    // With one, `n` opens the pane on the selected message.
    let mut m = msg(4, 1, "Fay", "Refund please");
    m.edit_text(|f| f.message_id = Some("q4@customer.test".into()));
    press(
        &mut app,
        [EngineEvent::Rows {
            account_idx: 0,
            rows: vec![m],
        }],
    );
    press(&mut app, [ch('g'), ch('n')]);
    assert_eq!(app.note().map(|n| n.uid), Some(4));
    let s = screen(&app);
    assert!(
        s.contains("Internal note on: Refund please — visible to the team, never sent"),
        "{s}"
    );
    // Keys are text there; a lone Esc closes nothing; Ctrl-q closes an empty pane.
    press(&mut app, [ch('q'), esc()]);
    assert_eq!(app.note().map(|n| n.body.text()), Some("q".into()));
    press(&mut app, [key(KeyCode::Backspace), ctrl('q')]);
    assert!(app.note().is_none());
    // In the reader too.
    press(&mut app, [enter(), ch('n')]);
    assert!(app.reader().is_some() && app.note().is_some());
}

// ---- help ---------------------------------------------------------------------------------------

#[test]
fn help_overlay_lists_the_context_scrolls_and_closes() {
    let mut app = loaded(100, 24);
    press(&mut app, [ch('?')]);
    let s = screen(&app);
    assert!(s.contains("keys: list"), "{s}");
    assert!(s.contains("next (older) message"), "{s}");
    assert!(s.contains("? q Esc close"), "{s}");
    // Keys under the overlay do nothing: j scrolls the help, not the list.
    press(&mut app, [ch('j'), ch('j')]);
    assert_eq!(app.help().map(|h| h.scroll), Some(2));
    assert_eq!(app.columns()[0].selected, 0);
    // The end shows the triage keys, the commands and the command line keys.
    press(&mut app, [ch('G')]);
    let s = screen(&app);
    assert!(s.contains("delete to the start of the line"), "{s}");
    let full: String = {
        let mut app = loaded(100, 200);
        press(&mut app, [ch('?')]);
        screen(&app)
    };
    for line in [
        "claim: assign to me",
        "snooze",
        "internal note",
        "reply (From chosen",
        ":search QUERY",
        ":reader split|full",
        "complete a command",
    ] {
        assert!(full.contains(line), "{line}:\n{full}");
    }
    press(&mut app, [ch('g')]);
    assert_eq!(app.help().map(|h| h.scroll), Some(0));
    press(&mut app, [esc()]);
    // ?, q and Esc each close it; q does not quit from the help.
    for close in [ch('?'), ch('q'), esc()] {
        press(&mut app, [ch('?')]);
        assert!(app.help().is_some());
        assert!(press(&mut app, [close]).is_empty());
        assert!(app.help().is_none());
    }
    // In the reader, the reader's keys.
    press(&mut app, [enter(), ch('?')]);
    let s = screen(&app);
    assert!(
        s.contains("keys: reader") && s.contains("scroll down"),
        "{s}"
    );
    press(&mut app, [esc()]);
    assert!(app.help().is_none() && app.reader().is_some());
    // :help opens it too.
    press(&mut app, [esc(), ch(':')]);
    press(&mut app, typed("help"));
    press(&mut app, [enter()]);
    assert!(app.help().is_some());
}

#[test]
fn help_stays_usable_when_its_keys_are_rebound() {
    let mut keys = keys_config("list", "help", &["F1"]);
    keys.list
        .insert("quit".into(), KeyList(vec!["Ctrl-q".to_string()]));
    let map = Keymap::from_config(&keys).expect("valid");
    let mut app = loaded(100, 24).with_keymap(map);
    assert!(press(&mut app, [ch('?')]).is_empty() && app.help().is_none());
    press(&mut app, [key(KeyCode::F(1))]);
    assert!(app.help().is_some());
    assert!(screen(&app).contains("F1"));
    press(&mut app, [ch('q')]);
    assert!(app.help().is_none(), "q closes help whatever the bindings");
    assert!(press(&mut app, [ch('q')]).is_empty(), "q no longer quits");
    assert!(press(&mut app, [ctrl('q')]).is_empty());
    assert!(app.quitting());
}

// ---- the command line ---------------------------------------------------------------------------

#[test]
fn command_line_runs_quit_and_reports_unknown_commands() {
    let mut app = loaded(120, 30);
    press(&mut app, [ch(':')]);
    assert!(status_line(&app).starts_with(':'));
    press(&mut app, typed("bogus"));
    assert!(press(&mut app, [enter()]).is_empty());
    assert!(app.prompt().is_none());
    assert_eq!(app.error(), Some("unknown command :bogus (see :help)"));
    press(&mut app, [ch(':')]);
    press(&mut app, typed("quit"));
    assert!(press(&mut app, [enter()]).is_empty());
    assert!(app.quitting());
    press(&mut app, [ch(':'), ch('q')]);
    assert!(press(&mut app, [enter()]).is_empty());
    assert!(app.quitting());
    // Keys are text in the line: q and j do not quit or move.
    let mut app = loaded(120, 30);
    press(&mut app, [ch(':')]);
    assert!(press(&mut app, typed("qjk")).is_empty());
    assert_eq!(app.prompt().map(|p| p.text.as_str()), Some("qjk"));
    // Ctrl-c still quits from anywhere.
    assert!(press(&mut app, [ctrl('c')]).is_empty());
    assert!(app.quitting());
}

#[test]
fn tab_completes_commands_and_arguments() {
    let mut app = loaded(120, 30);
    press(&mut app, [ch(':')]);
    press(&mut app, typed("foc"));
    press(&mut app, [tab()]);
    assert_eq!(app.prompt().unwrap().text, "focus ");
    press(&mut app, typed("sa"));
    press(&mut app, [tab()]);
    assert_eq!(app.prompt().unwrap().text, "focus sales");
    press(&mut app, [enter()]);
    assert_eq!(app.focus(), 1);

    // Several candidates: listed, then cycled with Tab and S-Tab.
    press(&mut app, [ch(':')]);
    press(&mut app, typed("theme "));
    press(&mut app, [tab()]);
    assert!(
        status_line(&app).contains("default  ansi16  high-contrast"),
        "{}",
        status_line(&app)
    );
    press(&mut app, [tab(), tab()]);
    assert_eq!(app.prompt().unwrap().text, "theme ansi16");
    press(&mut app, [key(KeyCode::BackTab)]);
    assert_eq!(app.prompt().unwrap().text, "theme default");
    press(&mut app, [key(KeyCode::Backspace)]);
    press(&mut app, typed("t"));
    press(&mut app, [enter()]);
    assert!(
        app.notice().is_some_and(|n| n.contains("theme default")),
        "{:?} {:?}",
        app.notice(),
        app.error()
    );
    press(&mut app, [ch(':')]);
    press(&mut app, typed("reader s"));
    press(&mut app, [tab()]);
    assert_eq!(app.prompt().unwrap().text, "reader split");
}

#[test]
fn history_and_a_lone_esc_never_lose_a_line() {
    let mut app = loaded(120, 30);
    press(&mut app, [ch(':')]);
    press(&mut app, typed("search a long query I typed"));
    // A lone Esc (or one a slow link split off an arrow key) closes the line…
    assert!(press(&mut app, [esc()]).is_empty());
    assert!(app.prompt().is_none());
    assert!(app.columns()[0].search.is_none(), "nothing ran");
    // …and the text is the newest history entry.
    press(&mut app, [ch(':'), key(KeyCode::Up)]);
    assert_eq!(app.prompt().unwrap().text, "search a long query I typed");
    press(&mut app, [esc()]);
    // The rest of a split arrow sequence lands in the list: harmless. `A` opens the
    // `:assign ` line, which runs nothing until Enter; Esc closes it.
    assert!(press(&mut app, [ch('['), ch('A')]).is_empty());
    assert!(press(&mut app, [esc()]).is_empty());
    assert!(app.prompt().is_none());

    // Up and Down walk the history and come back to what was being typed.
    press(&mut app, [ch(':')]);
    press(&mut app, typed("reader split"));
    press(&mut app, [enter(), ch(':')]);
    press(&mut app, typed("fi"));
    press(&mut app, [key(KeyCode::Up)]);
    assert_eq!(app.prompt().unwrap().text, "reader split");
    press(&mut app, [key(KeyCode::Up)]);
    assert_eq!(app.prompt().unwrap().text, "search a long query I typed");
    press(&mut app, [key(KeyCode::Down), key(KeyCode::Down)]);
    assert_eq!(app.prompt().unwrap().text, "fi");
    // Line editing: Ctrl-w, Ctrl-u, Home/End, Left.
    press(&mut app, typed("lter big order"));
    press(&mut app, [ctrl('w')]);
    assert_eq!(app.prompt().unwrap().text, "filter big ");
    press(&mut app, [key(KeyCode::Home), key(KeyCode::Delete)]);
    assert_eq!(app.prompt().unwrap().text, "ilter big ");
    press(&mut app, [key(KeyCode::End), ctrl('u')]);
    assert_eq!(app.prompt().unwrap().text, "");
    // Pastes are text in the line, with line breaks flattened.
    press(&mut app, [Event::Paste("filter quote\r\nfor".into())]);
    assert_eq!(app.prompt().unwrap().text, "filter quote  for");
}

#[test]
fn refresh_focus_and_reader_commands() {
    let mut app = loaded(120, 40);
    press(&mut app, [ch(':')]);
    press(&mut app, typed("refresh"));
    assert_eq!(
        press(&mut app, [enter()]),
        (0..3)
            .map(|account_idx| Request::Refresh { account_idx })
            .collect::<Vec<_>>()
    );
    press(&mut app, [ch(':')]);
    press(&mut app, typed("refresh sales"));
    assert_eq!(
        press(&mut app, [enter()]),
        vec![Request::Refresh { account_idx: 1 }]
    );
    press(&mut app, [ch(':')]);
    press(&mut app, typed("refresh nope"));
    assert!(press(&mut app, [enter()]).is_empty());
    assert!(app.error().is_some_and(|e| e.contains("no column")));

    // :reader split keeps the columns above the reader; v toggles; remembered for the session.
    press(&mut app, [ch(':')]);
    press(&mut app, typed("reader split"));
    press(&mut app, [enter()]);
    assert_eq!(app.reader_mode(), ReaderMode::Split);
    press(&mut app, [enter()]);
    let s = screen(&app);
    assert!(
        s.contains("support  ready") && s.contains("Subject: Password reset"),
        "{s}"
    );
    // The list shrank; the selection stays on screen.
    assert!(app.list_height() < 40 / 2);
    press(&mut app, [ch('v')]);
    assert_eq!(app.reader_mode(), ReaderMode::Full);
    let s = screen(&app);
    assert!(
        !s.contains("support  ready") && s.contains("Subject: Password reset"),
        "{s}"
    );
    press(&mut app, [ch('q'), ch('v')]);
    assert_eq!(app.reader_mode(), ReaderMode::Split);
    press(&mut app, [ch('j'), enter()]);
    assert!(screen(&app).contains("Subject: Cannot log in"));
    assert_eq!(app.reader_mode(), ReaderMode::Split, "kept for the session");
}

// ---- the / filter and :search ---------------------------------------------------------------

#[test]
fn slash_filters_as_you_type_and_esc_clears() {
    let mut app = loaded(120, 30);
    press(&mut app, [ch('/')]);
    press(&mut app, typed("CA"));
    // Case-insensitive, over from, subject and to: "Carol", "Cannot log in".
    assert_eq!(shown_uids(&app, 0), vec![2, 1]);
    press(&mut app, typed("r"));
    assert_eq!(shown_uids(&app, 0), vec![1]);
    assert!(
        screen(&app).contains("/CAr: 1 of 3 in this view"),
        "{}",
        screen(&app)
    );
    press(&mut app, [key(KeyCode::Backspace), key(KeyCode::Backspace)]);
    assert_eq!(shown_uids(&app, 0), vec![3, 2, 1]);
    press(&mut app, [key(KeyCode::Backspace)]);
    press(&mut app, typed("erin@"));
    assert_eq!(shown_uids(&app, 0), vec![3], "sender addresses match");
    press(&mut app, [ctrl('u')]);
    press(&mut app, typed("support@example"));
    assert_eq!(shown_uids(&app, 0).len(), 3, "To matches");
    press(&mut app, [ctrl('u')]);
    press(&mut app, typed("dave"));
    // Enter keeps the filter; keys move within the filtered rows.
    press(&mut app, [enter()]);
    assert!(app.prompt().is_none());
    assert_eq!(app.columns()[0].filter.as_deref(), Some("dave"));
    assert_eq!(selected_uid(&app), Some(2));
    press(&mut app, [ch('j'), ch('G')]);
    assert_eq!(selected_uid(&app), Some(2));
    let cmds = press(&mut app, [enter()]);
    assert_eq!(
        cmds,
        vec![Request::Open {
            account_idx: 0,
            uid: 2
        }]
    );
    press(&mut app, [ch('q')]);
    // Other columns are not filtered.
    assert_eq!(shown_uids(&app, 1), vec![10]);
    // Esc in the list clears the filter; a second Esc clears the status.
    press(&mut app, [esc()]);
    assert!(app.columns()[0].filter.is_none());
    assert_eq!(shown_uids(&app, 0), vec![3, 2, 1]);
    assert_eq!(
        selected_uid(&app),
        Some(2),
        "the selection stays on its message"
    );
    // `/` again then Esc: the filter goes, the text stays in the filter history.
    press(&mut app, [ch('/')]);
    press(&mut app, typed("quote"));
    press(&mut app, [esc()]);
    assert!(app.columns()[0].filter.is_none());
    press(&mut app, [ch('/'), key(KeyCode::Up)]);
    assert_eq!(app.prompt().unwrap().text, "quote");
    // New rows that match appear; those that do not stay hidden.
    press(&mut app, [enter()]);
    press(
        &mut app,
        [EngineEvent::Rows {
            account_idx: 0,
            rows: vec![msg(4, 1, "Gina", "Quote please"), msg(5, 1, "Hal", "Other")],
        }],
    );
    assert_eq!(shown_uids(&app, 0), vec![4]);
    // A filter that matches nothing says so.
    press(&mut app, [ch(':')]);
    press(&mut app, typed("filter zzz"));
    press(&mut app, [enter()]);
    assert!(screen(&app).contains("no message matches"));
    press(&mut app, [ch(':')]);
    press(&mut app, typed("nofilter"));
    press(&mut app, [enter()]);
    assert_eq!(shown_uids(&app, 0).len(), 5);
}

#[test]
fn search_asks_the_imap_server_and_shows_its_answer() {
    let mut app = loaded(120, 30).with_imap(0);
    press(&mut app, [ch(':')]);
    press(&mut app, typed("search password"));
    let cmds = press(&mut app, [enter()]);
    let [
        Request::Search {
            account_idx: 0,
            id,
            query,
        },
    ] = &cmds[..]
    else {
        panic!("{cmds:?}");
    };
    assert_eq!(query, "password");
    assert!(screen(&app).contains("search password searching…"));
    // A stale answer (another id) is ignored.
    press(
        &mut app,
        [EngineEvent::SearchDone {
            account_idx: 0,
            id: id + 100,
            result: Ok(vec![1]),
        }],
    );
    assert_eq!(shown_uids(&app, 0), vec![3, 2, 1]);
    press(
        &mut app,
        [EngineEvent::SearchDone {
            account_idx: 0,
            id: *id,
            result: Ok(vec![3, 1, 999]),
        }],
    );
    assert_eq!(shown_uids(&app, 0), vec![3, 1]);
    assert_eq!(
        narrowing_text(&app.columns()[0]).as_deref(),
        Some("search password: 2 of 3 in this view")
    );
    // Filter and search combine.
    press(&mut app, [ch('/')]);
    press(&mut app, typed("invoice"));
    press(&mut app, [enter()]);
    assert_eq!(shown_uids(&app, 0), vec![1]);
    press(&mut app, [esc()]);
    assert!(app.columns()[0].search.is_none() && app.columns()[0].filter.is_none());

    // A failure is said, and every row stays.
    press(&mut app, [ch(':')]);
    press(&mut app, typed("search late"));
    let cmds = press(&mut app, [enter()]);
    let [Request::Search { id, .. }] = &cmds[..] else {
        panic!("{cmds:?}");
    };
    press(
        &mut app,
        [EngineEvent::SearchDone {
            account_idx: 0,
            id: *id,
            result: Err("NO [SERVERBUG] \u{1b}[31mboom".into()),
        }],
    );
    assert_eq!(shown_uids(&app, 0).len(), 3);
    let e = app.error().unwrap_or_default().to_string();
    assert!(e.contains("search failed") && !e.contains('\u{1b}'), "{e}");
    // A query that could not go on the wire is refused before it is sent.
    press(&mut app, [ch(':')]);
    press(&mut app, typed("search x"));
    press(&mut app, [Event::Paste("y".repeat(600))]);
    assert!(press(&mut app, [enter()]).is_empty());
    assert!(app.error().is_some_and(|e| e.contains("longer than")));
    // Clearing: an empty :search.
    press(&mut app, [ch(':')]);
    press(&mut app, typed("search"));
    assert!(press(&mut app, [enter()]).is_empty());
    assert!(app.columns()[0].search.is_none());
}

#[test]
fn search_of_a_local_folder_uses_its_rows() {
    let mut app = loaded(120, 30);
    assert!(!app.columns()[0].imap);
    press(&mut app, [ch(':')]);
    press(&mut app, typed("search reset"));
    assert!(press(&mut app, [enter()]).is_empty(), "no server to ask");
    assert!(matches!(
        app.columns()[0].search.as_ref().map(|s| &s.state),
        Some(SearchState::Done(_))
    ));
    assert_eq!(shown_uids(&app, 0), vec![3]);
    // Removing the match leaves an empty view, without a stale selection.
    press(
        &mut app,
        [EngineEvent::Vanished {
            account_idx: 0,
            uids: vec![3],
        }],
    );
    assert!(shown_uids(&app, 0).is_empty());
    assert_eq!(selected_uid(&app), None);
    assert!(screen(&app).contains("no message matches"));
}

// ---- Space and ! ----------------------------------------------------------------------------

fn flags_of(app: &App, col: usize, uid: u32) -> Flags {
    app.columns()[col]
        .rows
        .iter()
        .find(|s| s.uid == uid)
        .map(|s| s.flags)
        .unwrap_or_default()
}

#[test]
fn space_and_bang_toggle_seen_and_flagged_optimistically() {
    let mut app = loaded(120, 30);
    assert_eq!(app.columns()[0].unread, 3);
    let cmds = press(&mut app, [ch(' ')]);
    let seen = Flags {
        seen: true,
        ..Flags::default()
    };
    let flagged = Flags {
        flagged: true,
        ..Flags::default()
    };
    assert!(
        matches!(&cmds[..], [Request::Store { account_idx: 0, uid: 3, change, .. }]
            if *change == FlagChange { add_flags: seen, ..FlagChange::default() }),
        "{cmds:?}"
    );
    assert!(flags_of(&app, 0, 3).seen, "the row changes at once");
    assert_eq!(app.columns()[0].unread, 2);
    assert!(screen(&app).contains("3 · 2 unread"));
    // Again: unread.
    let cmds = press(&mut app, [ch(' ')]);
    assert!(matches!(&cmds[..], [Request::Store { change, .. }]
            if *change == FlagChange { remove_flags: seen, ..FlagChange::default() }));
    assert!(!flags_of(&app, 0, 3).seen);
    // ! flags the selected row, in another column too.
    press(&mut app, [ch('l')]);
    let cmds = press(&mut app, [ch('!')]);
    assert!(
        matches!(&cmds[..], [Request::Store { account_idx: 1, uid: 10, change, .. }]
            if *change == FlagChange { add_flags: flagged, ..FlagChange::default() })
    );
    assert!(flags_of(&app, 1, 10).flagged);
    let s = screen(&app);
    let row = s
        .lines()
        .find(|l| l.contains("Quote for"))
        .unwrap_or_default();
    assert!(row.contains(" NF "), "{row}");
    // The sync that follows is the truth.
    press(&mut app, [flags_event(1, vec![flag_update(10, &[])])]);
    assert!(!flags_of(&app, 1, 10).flagged);
    // In the reader, ! acts on the open message and says so.
    press(&mut app, [ch('h'), ch('j'), enter()]);
    let cmds = press(&mut app, [ch('!')]);
    assert!(matches!(
        &cmds[..],
        [Request::Store {
            account_idx: 0,
            uid: 2,
            ..
        }]
    ));
    assert_eq!(app.notice(), Some("flagged"));
    let cmds = press(&mut app, [ch('u')]);
    assert!(matches!(&cmds[..], [Request::Store { uid: 2, change, .. }] if change.add_flags.seen));
}

#[test]
fn a_refused_store_is_undone_and_said() {
    let mut app = loaded(120, 30).with_imap(0);
    let cmds = press(&mut app, [ch('!')]);
    let [Request::Store { id, .. }] = &cmds[..] else {
        panic!("{cmds:?}");
    };
    assert!(flags_of(&app, 0, 3).flagged);
    let more = press(
        &mut app,
        [EngineEvent::StoreDone {
            account_idx: 0,
            id: *id,
            uid: 3,
            result: Err("NO [NOPERM] Permission denied".into()),
        }],
    );
    assert!(!flags_of(&app, 0, 3).flagged, "undone");
    assert_eq!(
        more,
        vec![Request::Refresh { account_idx: 0 }],
        "then synced"
    );
    let e = app.error().unwrap_or_default().to_string();
    assert!(
        e.contains("support: \\Flagged not changed on UID 3: NO [NOPERM]"),
        "{e}"
    );
    assert!(status_line(&app).contains("NOPERM"));
    // Success needs no word.
    let cmds = press(&mut app, [ch(' ')]);
    let [Request::Store { id, .. }] = &cmds[..] else {
        panic!()
    };
    assert!(
        press(
            &mut app,
            [EngineEvent::StoreDone {
                account_idx: 0,
                id: *id,
                uid: 3,
                result: Ok(())
            }]
        )
        .is_empty()
    );
    assert!(flags_of(&app, 0, 3).seen);
}

#[test]
fn rights_refuse_up_front_what_the_server_would_not_keep() {
    let mut app = loaded(120, 30);
    press(
        &mut app,
        [EngineEvent::Access {
            account_idx: 0,
            rights: Rights::parse("lr"),
            team_state: mailroom::triage::folders::TeamStateAt::Keywords,
        }],
    );
    assert!(screen(&app).contains("read-only"), "{}", screen(&app));
    assert!(press(&mut app, [ch(' ')]).is_empty());
    assert!(!flags_of(&app, 0, 3).seen, "nothing changed");
    let e = app.error().unwrap_or_default().to_string();
    assert!(
        e.contains("support: you may not change \\Seen here (your rights: lr; it needs 's')"),
        "{e}"
    );
    // s without w: \Seen may change, \Flagged may not.
    press(
        &mut app,
        [EngineEvent::Access {
            account_idx: 0,
            rights: Rights::parse("lrs"),
            team_state: mailroom::triage::folders::TeamStateAt::Keywords,
        }],
    );
    assert_eq!(press(&mut app, [ch(' ')]).len(), 1);
    assert!(press(&mut app, [ch('!')]).is_empty());
    assert!(app.error().is_some_and(|e| e.contains("\\Flagged")));
    // An empty column: nothing to toggle, and it says so.
    press(&mut app, [ch('l'), ch('l'), ch(' ')]);
    assert_eq!(app.notice(), Some("no message selected"));
}

// ---- header counts --------------------------------------------------------------------------

#[test]
fn headers_count_unread_unassigned_and_mine() {
    let mut app = loaded(150, 30);
    let c = &app.columns()[0];
    assert_eq!((c.unread, c.unassigned(), c.mine()), (3, 1, 1));
    let s = screen(&app);
    assert!(s.contains("support  ready  3 · 3 unread"), "{s}");
    assert!(s.contains("1 unassigned · 1 mine"), "{s}");
    assert!(s.contains("1 unassigned · 0 mine"), "sales: {s}");
    // A teammate assigns the last one to alice (keywords compare caselessly).
    press(
        &mut app,
        [flags_event(0, vec![flag_update(3, &["$ASSIGNED.Alice"])])],
    );
    let c = &app.columns()[0];
    assert_eq!((c.unassigned(), c.mine()), (0, 2));
    assert!(screen(&app).contains("0 unassigned · 2 mine"));
    // Without a known agent there is no "mine".
    let mut anon = App::new(&[(0, "support".to_string())], theme(), false);
    update(&mut anon, Event::Resize(80, 20));
    assert!(!screen(&anon).contains("mine"));
    assert!(screen(&anon).contains("0 unassigned"));
}

// ---- never redraw for nothing ---------------------------------------------------------------

#[test]
fn unbound_keys_and_stale_answers_do_not_redraw() {
    let mut app = loaded(120, 30);
    app.mark_drawn();
    press(
        &mut app,
        [
            ch('x'),
            Event::Key(KeyEvent::new(KeyCode::Char('j'), KeyModifiers::ALT)),
            Event::Engine(EngineEvent::SearchDone {
                account_idx: 0,
                id: 12345,
                result: Ok(vec![]),
            }),
            Event::Paste("j".into()),
        ],
    );
    assert!(!app.needs_redraw());
    press(&mut app, [ch('?')]);
    app.mark_drawn();
    press(&mut app, [ch('x')]);
    assert!(!app.needs_redraw(), "unbound keys under the help");
}

// ---- the documentation names every action ---------------------------------------------------

#[test]
fn the_man_page_lists_every_action_with_its_defaults() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("man/mailroom.toml.5");
    let man = std::fs::read_to_string(&path).expect("man page");
    let map = Keymap::default();
    for ctx in [
        Context::List,
        Context::Reader,
        Context::Command,
        Context::Compose,
    ] {
        let section = format!("[keys.{}]", ctx.name());
        assert!(man.contains(&section), "{section}");
        for (keys, _, action) in map.help(ctx) {
            // As written in roff: `name " (keys)`, with `-` escaped.
            let entry = format!("{} \" ({})", action.name(), keys.replace('-', "\\-"));
            assert!(man.contains(&entry), "{section}: {entry}");
        }
    }
}
