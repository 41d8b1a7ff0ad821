//! Team triage on the app state: the triage keys and commands send exactly one
//! `Request::Triage` for the selected row (or the open message), read-only columns and a
//! missing agent id refuse up front, the team views show the right rows and counts, a
//! teammate's change moves rows in and out of a view, snoozes hide rows and wake them, and
//! `:assign` completes agents and refuses anything that is not an agent id. No terminal, no
//! threads: synthetic events in, state, commands and a TestBackend screen out.

use std::sync::Arc;

use crossterm::event::KeyCode;

use mailroom::backend::FlagChange;
use mailroom::config;
use mailroom::config::View;
use mailroom::engine::{Event as EngineEvent, Request};
use mailroom::imap::sync::FlagUpdate;
use mailroom::mail::snooze::WakeTimes;
use mailroom::message::Summary;
use mailroom::policy::rights::Rights;
use mailroom::triage::act::{ActError, Applied, MappingKind};
use mailroom::triage::state::{Action, TeamState, parse_minute};
use mailroom::ui::app::{App, update};
use mailroom::ui::event::Event;

use crate::ui_support;
use ui_support::{
    NOW, ch, config_from, enter, flag_update, flags_event, key, load, msg, press, screen,
    selected_uid, shown_uids, sized, status_line, tab, theme, typed, with_keywords,
};

const HOUR: i64 = 3600;

const CONFIG: &str = r#"
[agent]
id = "alice"
name = "Alice Example"
email = "alice@example.test"

[team]
agents = ["carol", "alice"]

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

/// The configuration above with `extra` TOML appended (e.g. a `[ui]` table).
fn config_with(extra: &str) -> Arc<config::Config> {
    config_from(&format!("{CONFIG}\n{extra}"))
}

fn columns() -> [(usize, String); 2] {
    [(0, "support".to_string()), (1, "sales".to_string())]
}

/// alice, with the configuration (so the columns start in the default view, "open").
fn app_with(extra: &str) -> App {
    let app = App::new(&columns(), theme(), false)
        .with_agent("alice")
        .with_config(config_with(extra));
    sized(app, 200, 30)
}

/// The snooze keyword used in the fixture: 2026-11-27 14:00 UTC, two hours after `NOW`.
const SNOOZE_KW: &str = "$snoozed.202611271400";

/// support, newest first: 1 open and unassigned, 2 mine, 3 bob's, 4 mine but pending,
/// 5 done (bob's), 6 snoozed until 14:00, 7 open with dave writing a reply.
fn fixture() -> Vec<Summary> {
    vec![
        msg(1, 10, "Ann", "Open unassigned"),
        with_keywords(msg(2, 20, "Ben", "Mine open"), &["$assigned.alice"]),
        with_keywords(msg(3, 30, "Cid", "Bobs open"), &["$assigned.bob"]),
        with_keywords(
            msg(4, 40, "Dot", "Waiting on customer"),
            &["$assigned.alice", "$pending"],
        ),
        with_keywords(
            msg(5, 50, "Eve", "Finished business"),
            &["$done", "$assigned.bob"],
        ),
        with_keywords(msg(6, 60, "Fay", "Sleeping beauty"), &[SNOOZE_KW]),
        with_keywords(msg(7, 70, "Gus", "Dave replies"), &["$replying.dave"]),
    ]
}

fn loaded() -> App {
    let mut app = app_with("");
    load(&mut app, 0, fixture());
    load(&mut app, 1, vec![msg(10, 5, "Hal", "Quote for 40 seats")]);
    app
}

/// `:` + `line` + Enter.
fn command(app: &mut App, line: &str) -> Vec<Request> {
    let mut events = vec![ch(':')];
    events.extend(typed(line));
    events.push(enter());
    press(app, events)
}

/// The screen line showing `subject`.
fn row_on_screen(app: &App, subject: &str) -> Option<String> {
    screen(app)
        .lines()
        .find(|l| l.contains(subject))
        .map(str::to_string)
}

/// Moves the selection of the focused column onto `uid`.
fn select(app: &mut App, uid: u32) {
    press(app, [ch('g')]);
    for _ in 0..app.columns()[app.focus()].shown_len() {
        if selected_uid(app) == Some(uid) {
            return;
        }
        press(app, [ch('j')]);
    }
    assert_eq!(selected_uid(app), Some(uid), "UID {uid} is not shown");
}

/// The one triage command in `cmds`, as (account, UID, action, agent); panics unless `cmds`
/// is exactly one `Request::Triage`.
fn one_triage(cmds: &[Request]) -> (usize, u32, Action, String) {
    match cmds {
        [
            Request::Triage {
                account_idx,
                uid,
                action,
                agent,
                ..
            },
        ] => (*account_idx, *uid, action.clone(), agent.clone()),
        other => panic!("expected exactly one Request::Triage, got {other:?}"),
    }
}

fn triage_id(cmds: &[Request]) -> u64 {
    match cmds {
        [Request::Triage { id, .. }] => *id,
        other => panic!("expected exactly one Request::Triage, got {other:?}"),
    }
}

fn error(app: &App) -> String {
    app.error().unwrap_or_default().to_string()
}

/// The worker's answer to triage request `id` for UID `uid` of the first column.
fn answer(app: &mut App, id: u64, uid: u32, result: Result<Applied, ActError>) {
    press(
        app,
        [EngineEvent::TriageDone {
            account_idx: 0,
            id,
            uid,
            result,
        }],
    );
}

/// Key `k` (error cleared first) sends nothing and opens no line; the error it leaves.
fn key_refused(app: &mut App, k: char) -> String {
    // Esc dismisses the status line (nothing narrowed, no line open).
    press(app, [key(KeyCode::Esc)]);
    assert!(app.error().is_none(), "Esc left {:?}", app.error());
    let cmds = press(app, [ch(k)]);
    assert!(cmds.is_empty(), "{k} sent {cmds:?}");
    let e = error(app);
    // A key with an argument (A, z) opens its line inert, saying why: typing lands there.
    if let Some(p) = app.prompt() {
        assert!(p.inert.is_some(), "{k} left a live prompt open");
        assert!(
            press(app, typed("pdc")).is_empty(),
            "{k}: typing ran as keys"
        );
        press(app, [key(KeyCode::Esc)]);
        assert!(app.prompt().is_none(), "{k}: Esc left the line open");
    }
    e
}

/// `:line` (error cleared first) sends nothing; the error it leaves.
fn refused(app: &mut App, line: &str) -> String {
    // Esc dismisses the status line (nothing narrowed, no line open).
    press(app, [key(KeyCode::Esc)]);
    assert!(app.error().is_none(), "Esc left {:?}", app.error());
    let cmds = command(app, line);
    assert!(cmds.is_empty(), ":{line} sent {cmds:?}");
    error(app)
}

fn read_only(app: &mut App, account_idx: usize) {
    press(
        app,
        [EngineEvent::Access {
            account_idx,
            rights: Rights::parse("lr"),
            team_state: mailroom::triage::folders::TeamStateAt::Keywords,
        }],
    );
}

// ---- keys and commands ----------------------------------------------------------------------

#[test]
fn each_triage_key_sends_one_action_for_the_selected_row() {
    let mut app = loaded();
    assert_eq!(app.columns()[0].team_view, View::Open);
    select(&mut app, 3);
    let alice = || "alice".to_string();
    let cases: [(Vec<Event>, Action, &str); 6] = [
        // Bob holds UID 3: claiming it asks first, and yes takes it over (issue 18).
        (
            vec![ch('a'), ch('y')],
            Action::Assign("alice".into()),
            "support: assigning to alice…",
        ),
        (vec![ch('p')], Action::Pending, "support: marking pending…"),
        (vec![ch('d')], Action::Done, "support: marking done…"),
        (vec![ch('o')], Action::Reopen, "support: reopening…"),
        (
            [vec![ch('A')], typed("bob"), vec![enter()]].concat(),
            Action::Assign("bob".into()),
            "support: assigning to bob…",
        ),
        (
            [vec![ch('z')], typed("4h"), vec![enter()]].concat(),
            Action::Snooze(NOW + 4 * HOUR),
            "support: snoozing until 2026-11-27 16:00…",
        ),
    ];
    let mut ids = Vec::new();
    for (events, action, said) in cases {
        let cmds = press(&mut app, events.clone());
        assert_eq!(
            one_triage(&cmds),
            (0, 3, action.clone(), alice()),
            "{events:?}"
        );
        ids.push(triage_id(&cmds));
        assert_eq!(app.notice(), Some(said), "{action:?}");
        assert!(app.prompt().is_none());
        // Nothing changes before the worker answers: the row is still where it was.
        assert_eq!(selected_uid(&app), Some(3));
    }
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 6, "every request has its own id");
}

/// The claim carries the row's Message-ID: with team state in folders the worker names the
/// winner with it when a teammate moved the message away first (issue 16, failure 3).
#[test]
fn a_claim_carries_the_rows_message_id() {
    let mut app = app_with("");
    let with_id = Summary::new(mailroom::message::Fields {
        message_id: Some("<late.1@outside.test>".into()),
        ..msg(1, 10, "Ann", "Open unassigned").fields()
    });
    load(&mut app, 0, vec![with_id, msg(2, 20, "Ben", "No id")]);
    select(&mut app, 1);
    let cmds = press(&mut app, [ch('a')]);
    match cmds.as_slice() {
        [Request::Triage { message_id, .. }] => {
            assert_eq!(message_id.as_deref(), Some("<late.1@outside.test>"))
        }
        other => panic!("{other:?}"),
    }
    select(&mut app, 2);
    let cmds = press(&mut app, [ch('a')]);
    assert!(
        matches!(
            cmds.as_slice(),
            [Request::Triage {
                message_id: None,
                ..
            }]
        ),
        "{cmds:?}"
    );
}

#[test]
fn each_triage_command_sends_one_action_for_the_selected_row() {
    let mut app = loaded();
    select(&mut app, 7);
    let cases: [(&str, Action); 8] = [
        ("claim", Action::Claim),
        ("assign carol", Action::Assign("carol".into())),
        // Agent ids are lower case; the typed one is lowered before it is checked.
        ("assign  Bob ", Action::Assign("bob".into())),
        ("unassign", Action::Unassign),
        ("pending", Action::Pending),
        ("done", Action::Done),
        ("reopen", Action::Reopen),
        ("snooze 30m", Action::Snooze(NOW + 1800)),
    ];
    for (line, action) in cases {
        let mut cmds = command(&mut app, line);
        // Dave is replying to UID 7: closing it asks first (issue 18).
        if matches!(action, Action::Pending | Action::Done) {
            assert!(cmds.is_empty(), ":{line} did not ask");
            cmds = press(&mut app, [ch('y')]);
        }
        assert_eq!(
            one_triage(&cmds),
            (0, 7, action, "alice".to_string()),
            ":{line}"
        );
    }
    // In the second column the account is the second one.
    press(&mut app, [ch('l')]);
    let cmds = press(&mut app, [ch('d')]);
    assert_eq!(
        one_triage(&cmds),
        (1, 10, Action::Done, "alice".to_string())
    );
}

#[test]
fn in_the_reader_triage_acts_on_the_open_message() {
    let mut app = loaded();
    select(&mut app, 1);
    let cmds = press(&mut app, [enter()]);
    assert_eq!(
        cmds,
        vec![Request::Open {
            account_idx: 0,
            uid: 1
        }]
    );
    assert!(app.reader().is_some());
    // New mail arrives while reading: the list's selection stays at the top, on the new
    // message, but the keys act on the message being read.
    press(
        &mut app,
        [EngineEvent::Rows {
            account_idx: 0,
            rows: vec![msg(8, 1, "Ivy", "Brand new")],
        }],
    );
    assert_eq!(selected_uid(&app), Some(8));
    for (k, action) in [
        ('a', Action::Claim),
        ('p', Action::Pending),
        ('d', Action::Done),
        // In the reader, o opens the message with ui.open_command: reopen is O.
        ('O', Action::Reopen),
    ] {
        let cmds = press(&mut app, [ch(k)]);
        assert_eq!(
            one_triage(&cmds),
            (0, 1, action, "alice".to_string()),
            "{k}"
        );
        assert!(app.reader().is_some(), "{k} keeps the reader open");
    }
    let cmds = press(
        &mut app,
        [[ch('A')].as_slice(), &typed("carol"), &[enter()]].concat(),
    );
    assert_eq!(
        one_triage(&cmds),
        (0, 1, Action::Assign("carol".into()), "alice".to_string())
    );
    let cmds = press(
        &mut app,
        [[ch('z')].as_slice(), &typed("2d"), &[enter()]].concat(),
    );
    assert_eq!(
        one_triage(&cmds),
        (0, 1, Action::Snooze(NOW + 48 * HOUR), "alice".to_string())
    );
    let cmds = command(&mut app, "unassign");
    assert_eq!(
        one_triage(&cmds),
        (0, 1, Action::Unassign, "alice".to_string())
    );
}

#[test]
fn answers_say_who_won_and_what_the_state_is() {
    let mut app = loaded();
    // Unassigned on screen, but bob was first (issue 18: a claim of a row shown as a
    // teammate's asks first, so the race is on an unassigned one).
    select(&mut app, 1);
    let id = triage_id(&press(&mut app, [ch('a')]));
    answer(
        &mut app,
        id,
        1,
        Err(ActError::Lost {
            winner: "bob".into(),
        }),
    );
    assert_eq!(
        app.error(),
        Some("support: claim lost: bob was first (UID 1)")
    );
    assert!(
        status_line(&app).contains("claim lost: bob was first"),
        "{}",
        status_line(&app)
    );
    // A won claim says the new state.
    select(&mut app, 1);
    let id = triage_id(&press(&mut app, [ch('a')]));
    answer(
        &mut app,
        id,
        1,
        Ok(Applied {
            uid: 1,
            action: "claim",
            before: TeamState::default(),
            after: TeamState {
                assigned: Some("alice".into()),
                ..TeamState::default()
            },
            rounds: 1,
            mapping: MappingKind::Keywords,
            moved_to: None,
            modseq: None,
        }),
    );
    assert_eq!(
        app.notice(),
        Some("support: claim UID 1: assigned to alice")
    );
    // Any other failure names the action; the server's text is one sanitized line.
    let id = triage_id(&press(&mut app, [ch('d')]));
    answer(
        &mut app,
        id,
        1,
        Err(ActError::Server("NO mailbox\r\nis gone\u{1b}[2J".into())),
    );
    let e = error(&app);
    assert!(e.starts_with("support: done UID 1 failed: "), "{e}");
    assert!(
        !e.contains('\r') && !e.contains('\n') && !e.contains('\u{1b}'),
        "{e:?}"
    );
}

#[test]
fn a_read_only_column_refuses_every_triage_key_and_sends_nothing() {
    let mut app = loaded();
    read_only(&mut app, 0);
    select(&mut app, 1);
    // `A` and `z` are refused before their line opens (anything typed after would be keys).
    for k in ['a', 'p', 'd', 'o', 'A', 'z'] {
        let e = key_refused(&mut app, k);
        assert!(e.contains("triage needs the `w` right"), "{k}: {e}");
        assert!(e.contains("(yours: lr)"), "{k}: {e}");
        assert!(e.starts_with("support: you may not "), "{k}: {e}");
    }
    for line in [
        "claim",
        "assign bob",
        "unassign",
        "pending",
        "done",
        "reopen",
        "snooze 4h",
    ] {
        let e = refused(&mut app, line);
        assert!(e.contains("the `w` right"), ":{line}: {e}");
    }
    // On screen: the status line names the right.
    assert!(
        status_line(&app).contains("triage needs the `w` right"),
        "{}",
        status_line(&app)
    );
    // The other column is not read-only.
    press(&mut app, [ch('l')]);
    assert_eq!(press(&mut app, [ch('a')]).len(), 1);
}

#[test]
fn a_and_z_refuse_at_once_in_a_read_only_column() {
    // Refused at once, before an agent or a time is typed; the line opens inert (saying why),
    // so what is typed next lands there and never runs as keys.
    let mut app = loaded();
    read_only(&mut app, 0);
    for k in ['A', 'z'] {
        let e = key_refused(&mut app, k);
        assert!(e.contains("the `w` right"), "{k}: {e}");
    }
}

#[test]
fn without_an_agent_id_triage_says_so_and_sends_nothing() {
    let mut app = sized(App::new(&columns(), theme(), false), 200, 30);
    load(&mut app, 0, fixture());
    let said = "no agent id is configured ([agent] id): triage needs to know who you are";
    for k in ['a', 'p', 'd', 'o', 'A', 'z'] {
        assert_eq!(key_refused(&mut app, k), said, "{k}");
    }
    for line in ["claim", "assign bob", "done", "snooze 4h"] {
        assert_eq!(refused(&mut app, line), said, ":{line}");
    }
    assert!(status_line(&app).contains("no agent id is configured"));
    // App::new alone shows every row, snoozed ones too; "mine" is left out of the header.
    assert_eq!(app.columns()[0].team_view, View::All);
    assert_eq!(shown_uids(&app, 0), [1, 2, 3, 4, 5, 6, 7]);
    let s = screen(&app);
    assert!(
        s.contains("[all 7] 2 unassigned · 4 open · 1 pending · 1 done · 1 snoozed"),
        "{s}"
    );
}

#[test]
fn nothing_selected_sends_nothing() {
    let mut app = app_with("");
    load(&mut app, 0, Vec::new());
    for k in ['a', 'd', 'A', 'z'] {
        assert!(press(&mut app, [ch(k)]).is_empty(), "{k}");
        assert_eq!(app.notice(), Some("no message selected"));
        assert!(app.prompt().is_none());
    }
}

// ---- views ----------------------------------------------------------------------------------

#[test]
fn each_view_shows_exactly_its_rows() {
    let mut app = loaded();
    let expect: [(View, &[u32]); 6] = [
        (View::Open, &[1, 2, 3, 7]),
        (View::Mine, &[2]),
        (View::Unassigned, &[1, 7]),
        (View::Pending, &[4]),
        (View::Done, &[5]),
        (View::All, &[1, 2, 3, 4, 5, 6, 7]),
    ];
    for (view, uids) in expect {
        command(&mut app, &format!("view {}", view.name()));
        assert_eq!(app.columns()[0].team_view, view);
        assert_eq!(shown_uids(&app, 0), uids, "{}", view.name());
        // The screen shows those rows and no others.
        let s = screen(&app);
        for (uid, subject) in [
            (1, "Open unassigned"),
            (2, "Mine open"),
            (3, "Bobs open"),
            (4, "Waiting on customer"),
            (5, "Finished business"),
            (6, "Sleeping beauty"),
            (7, "Dave replies"),
        ] {
            assert_eq!(
                s.contains(subject),
                uids.contains(&uid),
                "{subject} in {}:\n{s}",
                view.name()
            );
        }
    }
}

#[test]
fn v_cycles_the_views_and_view_jumps() {
    let mut app = loaded();
    let mut seen = vec![app.columns()[0].team_view];
    for _ in 0..6 {
        press(&mut app, [ch('V')]);
        seen.push(app.columns()[0].team_view);
    }
    assert_eq!(
        seen,
        [
            View::Open,
            View::Mine,
            View::Unassigned,
            View::Pending,
            View::Done,
            View::All,
            View::Open
        ]
    );
    // Only the focused column changes.
    assert_eq!(app.columns()[1].team_view, View::Open);
    press(&mut app, [ch('V')]);
    assert_eq!(app.notice(), Some("support: mine (1 of 7)"));
    command(&mut app, "view done");
    assert_eq!(app.columns()[0].team_view, View::Done);
    assert_eq!(shown_uids(&app, 0), [5]);
    assert_eq!(app.notice(), Some("support: done (1 of 7)"));
    // `:view` alone is the next one; an unknown name changes nothing.
    command(&mut app, "view");
    assert_eq!(app.columns()[0].team_view, View::All);
    assert!(command(&mut app, "view later").is_empty());
    assert_eq!(app.columns()[0].team_view, View::All);
    assert!(error(&app).contains("usage: :view"), "{}", error(&app));
    // `:view` completes the names.
    press(&mut app, [ch(':')]);
    press(&mut app, typed("view un"));
    press(&mut app, [tab()]);
    assert_eq!(
        app.prompt().map(|p| p.text.as_str()),
        Some("view unassigned")
    );
}

#[test]
fn the_config_names_the_first_view() {
    let mut app = app_with("[ui]\nview = \"pending\"");
    load(&mut app, 0, fixture());
    assert_eq!(app.columns()[0].team_view, View::Pending);
    assert_eq!(app.columns()[1].team_view, View::Pending);
    assert_eq!(shown_uids(&app, 0), [4]);
}

#[test]
fn header_counts_are_those_of_each_view() {
    let mut app = loaded();
    let s = screen(&app);
    assert!(
        s.contains("[open 4] 2 unassigned · 1 mine · 1 pending · 1 done · 1 snoozed"),
        "{s}"
    );
    // The sales column: one open message, nobody's.
    assert!(
        s.contains("[open 1] 1 unassigned · 0 mine · 0 pending · 0 done"),
        "{s}"
    );
    let c = &app.columns()[0].counts;
    assert_eq!(
        (
            c.open,
            c.mine,
            c.unassigned,
            c.pending,
            c.done,
            c.all,
            c.asleep,
            c.overdue
        ),
        (4, 1, 2, 1, 1, 7, 1, 0)
    );
    command(&mut app, "view all");
    let s = screen(&app);
    assert!(
        s.contains("[all 7] 2 unassigned · 1 mine · 4 open · 1 pending · 1 done · 1 snoozed"),
        "{s}"
    );
    // A teammate claims the open unassigned one: the counts follow.
    press(
        &mut app,
        [flags_event(0, vec![flag_update(1, &["$assigned.bob"])])],
    );
    let s = screen(&app);
    assert!(
        s.contains("[all 7] 1 unassigned · 1 mine · 4 open · 1 pending · 1 done · 1 snoozed"),
        "{s}"
    );
}

#[test]
fn team_marks_show_on_the_rows() {
    let mut app = loaded();
    command(&mut app, "view all");
    let row = |s: &str| row_on_screen(&app, s).unwrap_or_default();
    for (subject, mark) in [
        ("Mine open", "@alice"),
        ("Bobs open", "@bob"),
        ("Waiting on customer", "@alice pending"),
        ("Finished business", "@bob done"),
        ("Sleeping beauty", " zz"),
        ("Dave replies", "✎ dave"),
    ] {
        let r = row(subject);
        assert!(r.contains(mark), "{subject}: {r}");
    }
    let r = row("Open unassigned");
    assert!(!r.contains('@') && !r.contains("zz"), "{r}");
}

#[test]
fn a_row_marked_done_leaves_the_open_view_and_the_selection_stays_near() {
    let mut app = loaded();
    select(&mut app, 3);
    // A teammate marks the selected row done: it leaves; the selection goes to the next
    // (older) row in the view, where it was.
    press(
        &mut app,
        [flags_event(
            0,
            vec![flag_update(3, &["$assigned.bob", "$done"])],
        )],
    );
    assert_eq!(shown_uids(&app, 0), [1, 2, 7]);
    assert_eq!(selected_uid(&app), Some(7));
    assert!(
        screen(&app).contains("[open 3] 2 unassigned · 1 mine · 1 pending · 2 done · 1 snoozed"),
        "{}",
        screen(&app)
    );
    // A row above the selection leaves: the selection stays on its message.
    press(
        &mut app,
        [flags_event(0, vec![flag_update(1, &["$pending"])])],
    );
    assert_eq!(shown_uids(&app, 0), [2, 7]);
    assert_eq!(selected_uid(&app), Some(7));
    // The last shown row leaves: the selection goes to the one before it.
    press(&mut app, [flags_event(0, vec![flag_update(7, &["$done"])])]);
    assert_eq!(shown_uids(&app, 0), [2]);
    assert_eq!(selected_uid(&app), Some(2));
    // The selected row is on screen, marked.
    let r = row_on_screen(&app, "Mine open").unwrap_or_default();
    assert!(r.contains('>'), "{r}");
    // It comes back when reopened.
    press(
        &mut app,
        [flags_event(0, vec![flag_update(3, &["$assigned.bob"])])],
    );
    assert_eq!(shown_uids(&app, 0), [2, 3]);
    assert_eq!(selected_uid(&app), Some(2));
}

#[test]
fn rows_leaving_above_a_scrolled_list_keep_the_selection_on_screen() {
    // A short screen and many open rows: the list is scrolled when a teammate closes rows
    // above the visible part. The selected row must stay on screen and selected.
    let mut app = app_with("");
    update(&mut app, Event::Resize(200, 12));
    let rows: Vec<Summary> = (1..=30)
        .map(|i| msg(i, i64::from(i), "Cust", &format!("Subject number {i:02}")))
        .collect();
    load(&mut app, 0, rows);
    select(&mut app, 25);
    let c = &app.columns()[0];
    assert!(c.offset > 10, "scrolled: offset {}", c.offset);
    let before = row_on_screen(&app, "Subject number 25").unwrap_or_default();
    assert!(before.contains('>'), "{before}");
    // Ten rows near the top are marked done by a teammate.
    let done: Vec<FlagUpdate> = (1..=10).map(|u| flag_update(u, &["$done"])).collect();
    press(&mut app, [flags_event(0, done)]);
    assert_eq!(selected_uid(&app), Some(25));
    let c = &app.columns()[0];
    assert!(
        c.offset <= c.selected,
        "selection {} above the first shown row {}",
        c.selected,
        c.offset
    );
    let after = row_on_screen(&app, "Subject number 25").unwrap_or_default();
    assert!(
        after.contains('>'),
        "selected row not on screen:\n{}",
        screen(&app)
    );
}

// ---- snooze ---------------------------------------------------------------------------------

#[test]
fn snooze_parses_the_time_and_refuses_the_past() {
    let mut app = loaded();
    select(&mut app, 1);
    let cmds = command(&mut app, "snooze 4h");
    assert_eq!(
        one_triage(&cmds),
        (0, 1, Action::Snooze(NOW + 4 * HOUR), "alice".to_string())
    );
    // tomorrow: 09:00 UTC the next day.
    let cmds = command(&mut app, "snooze tomorrow");
    assert_eq!(
        one_triage(&cmds).2,
        Action::Snooze(parse_minute("202611280900").expect("minute"))
    );
    let cmds = command(&mut app, "snooze 2026-12-01 10:30");
    assert_eq!(
        one_triage(&cmds).2,
        Action::Snooze(parse_minute("202612011030").expect("minute"))
    );
    for bad in ["yesterday", "2020-01-01", "4x", "0m"] {
        let e = refused(&mut app, &format!("snooze {bad}"));
        assert!(e.starts_with("snooze: "), "{bad}: {e}");
    }
    // `:snooze` without a time is a usage error.
    let e = refused(&mut app, "snooze");
    assert!(e.contains("usage: :snooze"), "{e}");
}

#[test]
fn a_snoozed_row_hides_until_its_time_and_is_woken_once() {
    let mut app = loaded();
    assert!(!shown_uids(&app, 0).contains(&6));
    assert!(row_on_screen(&app, "Sleeping beauty").is_none());
    command(&mut app, "view all");
    assert!(shown_uids(&app, 0).contains(&6));
    let r = row_on_screen(&app, "Sleeping beauty").unwrap_or_default();
    assert!(r.contains(" zz"), "{r}");
    command(&mut app, "view open");

    // Ticks before its time change nothing.
    assert!(press(&mut app, [Event::Tick(NOW + HOUR)]).is_empty());
    assert!(press(&mut app, [Event::Tick(NOW + 2 * HOUR - 1)]).is_empty());
    assert!(!shown_uids(&app, 0).contains(&6));

    // Past its time: exactly one store, removing exactly that keyword.
    let cmds = press(&mut app, [Event::Tick(NOW + 2 * HOUR + 30)]);
    let id = match cmds.as_slice() {
        [
            Request::Store {
                account_idx: 0,
                id,
                uid: 6,
                change,
                guard: None,
            },
        ] => {
            assert_eq!(
                change,
                &FlagChange {
                    remove_keywords: vec![SNOOZE_KW.to_string()],
                    ..FlagChange::default()
                }
            );
            *id
        }
        other => panic!("expected one Store for UID 6, got {other:?}"),
    };
    // The row is back in the open view at once.
    assert_eq!(shown_uids(&app, 0), [1, 2, 3, 6, 7]);
    // Not asked again while the store is in flight.
    assert!(press(&mut app, [Event::Tick(NOW + 2 * HOUR + 60)]).is_empty());
    assert!(press(&mut app, [Event::Tick(NOW + 2 * HOUR + 90)]).is_empty());

    // The store is done and the sync brings the row without the keyword.
    press(
        &mut app,
        [
            Event::Engine(EngineEvent::StoreDone {
                account_idx: 0,
                id,
                uid: 6,
                result: Ok(()),
            }),
            flags_event(0, vec![flag_update(6, &[])]),
        ],
    );
    assert!(app.error().is_none(), "{:?}", app.error());
    assert!(press(&mut app, [Event::Tick(NOW + 3 * HOUR)]).is_empty());
    assert_eq!(shown_uids(&app, 0), [1, 2, 3, 6, 7]);
    let r = row_on_screen(&app, "Sleeping beauty").unwrap_or_default();
    assert!(!r.contains("zz"), "{r}");
    assert!(
        screen(&app).contains("[open 5] 3 unassigned · 1 mine · 1 pending · 1 done"),
        "{}",
        screen(&app)
    );
    assert!(!screen(&app).contains("snoozed"), "{}", screen(&app));
}

#[test]
fn a_woken_snooze_is_not_asked_again_between_its_answer_and_the_sync() {
    // The worker answers the store before its sync brings the new keywords: a tick in
    // between must not send the same store again.
    let mut app = loaded();
    let cmds = press(&mut app, [Event::Tick(NOW + 2 * HOUR + 30)]);
    let [Request::Store { id, .. }] = cmds.as_slice() else {
        panic!("{cmds:?}");
    };
    press(
        &mut app,
        [EngineEvent::StoreDone {
            account_idx: 0,
            id: *id,
            uid: 6,
            result: Ok(()),
        }],
    );
    let again = press(&mut app, [Event::Tick(NOW + 2 * HOUR + 60)]);
    assert!(again.is_empty(), "asked again: {again:?}");
}

#[test]
fn a_snooze_set_in_the_past_by_a_teammate_is_cleared_at_once() {
    let mut app = loaded();
    // A teammate replaces the snooze of row 6 by one that has already ended: the change
    // itself asks for the keyword to go, without waiting for a tick.
    let cmds = press(
        &mut app,
        [flags_event(
            0,
            vec![flag_update(6, &["$snoozed.202611271100"])],
        )],
    );
    assert_eq!(shown_uids(&app, 0), [1, 2, 3, 6, 7]);
    assert!(
        press(&mut app, [Event::Tick(NOW + 1)]).is_empty(),
        "asked once"
    );
    match cmds.as_slice() {
        [
            Request::Store {
                account_idx: 0,
                uid: 6,
                change,
                ..
            },
        ] => assert_eq!(change.remove_keywords, ["$snoozed.202611271100"]),
        other => panic!("expected one Store for UID 6, got {other:?}"),
    }
}

/// A row snoozed under the current contract: the one `$snoozed` keyword, its wake time in a
/// snooze record (reported by the engine as `Event::Snoozes`).
fn snoozed_by_record(uid: u32, subject: &str) -> Summary {
    let mut f = with_keywords(msg(uid, 5, "Ida", subject), &["$snoozed"]).fields();
    f.message_id = Some(format!("s{uid}@customer.test"));
    Summary::new(f)
}

fn wake_times(account_idx: usize, wakes: &[(u32, i64)]) -> EngineEvent {
    EngineEvent::Snoozes {
        account_idx,
        wakes: wakes
            .iter()
            .map(|(uid, t)| (format!("s{uid}@customer.test"), *t))
            .collect::<WakeTimes>(),
    }
}

#[test]
fn a_snoozed_row_takes_its_wake_time_from_the_records() {
    let mut app = loaded();
    load(&mut app, 0, vec![snoozed_by_record(8, "Record sleeper")]);
    // No wake time known yet: shown (never hidden for ever), and not cleared.
    assert!(shown_uids(&app, 0).contains(&8));
    assert!(press(&mut app, [Event::Tick(NOW + 60)]).is_empty());
    // The records say: until 16:00 (four hours on). Hidden, counted as snoozed.
    let cmds = press(&mut app, [wake_times(0, &[(8, NOW + 4 * HOUR)])]);
    assert!(cmds.is_empty(), "{cmds:?}");
    assert!(!shown_uids(&app, 0).contains(&8));
    assert!(screen(&app).contains("2 snoozed"), "{}", screen(&app));
    // A teammate snoozed it again, sooner: the new wake time moves it without any keyword
    // changing; at its time, the keyword (only `$snoozed`) is cleared once.
    press(&mut app, [wake_times(0, &[(8, NOW + HOUR)])]);
    assert!(press(&mut app, [Event::Tick(NOW + HOUR - 1)]).is_empty());
    let cmds = press(&mut app, [Event::Tick(NOW + HOUR + 1)]);
    match cmds.as_slice() {
        [
            Request::Store {
                account_idx: 0,
                uid: 8,
                change,
                ..
            },
        ] => assert_eq!(change.remove_keywords, ["$snoozed"]),
        other => panic!("expected one Store for UID 8, got {other:?}"),
    }
    assert!(shown_uids(&app, 0).contains(&8));
    // A record that is gone (wake times without it) leaves a snoozed row shown.
    let mut app = loaded();
    load(&mut app, 0, vec![snoozed_by_record(9, "Lost record")]);
    press(&mut app, [wake_times(0, &[(9, NOW + 4 * HOUR)])]);
    assert!(!shown_uids(&app, 0).contains(&9));
    press(&mut app, [wake_times(0, &[])]);
    assert!(shown_uids(&app, 0).contains(&9));
    assert!(
        press(&mut app, [Event::Tick(NOW + 5 * HOUR)]).len() == 1,
        "UID 6 only"
    );
}

#[test]
fn a_read_only_column_never_wakes_snoozes() {
    let mut app = loaded();
    read_only(&mut app, 0);
    // Its time passes: the row shows again, but nothing is stored.
    assert!(press(&mut app, [Event::Tick(NOW + 2 * HOUR + 30)]).is_empty());
    assert!(press(&mut app, [Event::Tick(NOW + 5 * HOUR)]).is_empty());
    assert!(shown_uids(&app, 0).contains(&6));
    // Once the right is known to be there, it is cleared.
    press(
        &mut app,
        [EngineEvent::Access {
            account_idx: 0,
            rights: Rights::parse("lrswi"),
            team_state: mailroom::triage::folders::TeamStateAt::Keywords,
        }],
    );
    assert_eq!(press(&mut app, [Event::Tick(NOW + 5 * HOUR + 30)]).len(), 1);
}

// ---- :assign --------------------------------------------------------------------------------

#[test]
fn assign_completes_the_roster_then_agents_seen_in_keywords() {
    let mut app = loaded();
    select(&mut app, 1);
    press(&mut app, [ch('A')]);
    assert_eq!(app.prompt().map(|p| p.text.as_str()), Some("assign "));
    press(&mut app, [tab()]);
    let p = app.prompt().expect("prompt");
    // The roster in its order, then bob (assigned) and dave (replying), once each.
    assert_eq!(p.hint.as_deref(), Some("carol  alice  bob  dave"));
    assert_eq!(p.text, "assign ");
    let mut cycle = Vec::new();
    for _ in 0..5 {
        press(&mut app, [tab()]);
        cycle.push(app.prompt().map(|p| p.text.clone()).unwrap_or_default());
    }
    assert_eq!(
        cycle,
        [
            "assign carol",
            "assign alice",
            "assign bob",
            "assign dave",
            "assign carol"
        ]
    );
    // A prefix narrows to one.
    press(&mut app, [key(KeyCode::Esc), ch('A')]);
    press(&mut app, typed("da"));
    press(&mut app, [tab()]);
    assert_eq!(app.prompt().map(|p| p.text.as_str()), Some("assign dave"));
    let cmds = press(&mut app, [enter()]);
    assert_eq!(
        one_triage(&cmds),
        (0, 1, Action::Assign("dave".into()), "alice".to_string())
    );
}

#[test]
fn assign_completion_leaves_out_what_is_not_an_agent_id() {
    let mut app = app_with("");
    load(
        &mut app,
        0,
        vec![
            with_keywords(msg(1, 1, "A", "one"), &["$assigned.EVE"]),
            with_keywords(msg(2, 2, "B", "two"), &["$assigned.x+y"]),
            with_keywords(msg(3, 3, "C", "three"), &["$replying.carol"]),
        ],
    );
    press(&mut app, [ch('A'), tab()]);
    assert_eq!(
        app.prompt().and_then(|p| p.hint.as_deref()),
        Some("carol  alice  eve")
    );
}

#[test]
fn assign_refuses_anything_that_is_not_an_agent_id() {
    let mut app = loaded();
    select(&mut app, 1);
    assert!(command(&mut app, "assign x y").is_empty());
    assert_eq!(
        app.error(),
        Some("\"x y\" is not an agent id (a-z, 0-9, '.', '_', '-')")
    );
    // A pasted line break with a command after it: flattened, then refused.
    press(&mut app, [key(KeyCode::Esc)]);
    assert!(app.error().is_none(), "Esc left {:?}", app.error());
    press(&mut app, [ch('A')]);
    let cmds = press(&mut app, [Event::Paste("\r\nA1 LOGOUT".into()), enter()]);
    assert!(cmds.is_empty(), "{cmds:?}");
    let e = error(&app);
    assert!(e.contains("is not an agent id"), "{e}");
    assert!(!e.contains('\r') && !e.contains('\n'), "{e:?}");
    // The same through the `:` line.
    press(&mut app, [key(KeyCode::Esc)]);
    assert!(app.error().is_none(), "Esc left {:?}", app.error());
    press(&mut app, [ch(':')]);
    let cmds = press(
        &mut app,
        [Event::Paste("assign \r\nA1 LOGOUT".into()), enter()],
    );
    assert!(cmds.is_empty(), "{cmds:?}");
    assert!(
        error(&app).contains("is not an agent id"),
        "{}",
        error(&app)
    );
    for bad in ["bob)", "b\"ob", "$bob", "bob*", "bo%b", "b\\ob", "bö"] {
        let e = refused(&mut app, &format!("assign {bad}"));
        assert!(e.contains("is not an agent id"), "{bad}: {e}");
    }
    // `:assign` alone is a usage error.
    let e = refused(&mut app, "assign");
    assert!(e.contains("usage: :assign AGENT"), "{e}");
}

#[test]
fn rows_leaving_with_the_selection_send_it_to_the_nearest_row_below() {
    // Open view: 1, 2, 3, 7. The selection on 2; 1 and 2 are marked done together: the
    // selection goes to 3 (the nearest below that stays), not past it.
    let mut app = loaded();
    select(&mut app, 2);
    press(
        &mut app,
        [flags_event(
            0,
            vec![
                flag_update(1, &["$done"]),
                flag_update(2, &["$assigned.alice", "$done"]),
            ],
        )],
    );
    assert_eq!(shown_uids(&app, 0), [3, 7]);
    assert_eq!(selected_uid(&app), Some(3));
}

#[test]
fn a_refused_wake_shows_the_snooze_again_and_is_not_asked_again() {
    let mut app = loaded();
    let cmds = press(&mut app, [Event::Tick(NOW + 2 * HOUR + 30)]);
    let [Request::Store { id, uid: 6, .. }] = cmds.as_slice() else {
        panic!("{cmds:?}");
    };
    press(
        &mut app,
        [EngineEvent::StoreDone {
            account_idx: 0,
            id: *id,
            uid: 6,
            result: Err("NO [NOPERM] permission denied".into()),
        }],
    );
    let row = app.columns()[0].rows.iter().find(|s| s.uid == 6);
    assert!(
        row.is_some_and(|s| s.keywords.iter().any(|k| k == SNOOZE_KW)),
        "the row says what the server has"
    );
    assert!(error(&app).contains("permission denied"), "{}", error(&app));
    for later in [NOW + 2 * HOUR + 60, NOW + 3 * HOUR] {
        let again = press(&mut app, [Event::Tick(later)]);
        assert!(again.is_empty(), "asked again: {again:?}");
    }
}

#[test]
fn a_mailbox_without_permanent_keywords_says_team_state_lives_in_folders() {
    use mailroom::config::TeamStateSetting;
    use mailroom::triage::folders::{TeamStateAt, decide};
    let mut app = loaded();
    // The config's account is Maildir (no team_state setting): "auto" follows the server,
    // as the engine decides at SELECT.
    let no_keywords = ["\\Seen".to_string(), "\\Flagged".to_string()];
    let access = decide(false, &no_keywords, None, TeamStateSetting::Auto);
    assert_eq!(access.team_state, TeamStateAt::Folders);
    press(
        &mut app,
        [EngineEvent::Access {
            account_idx: 0,
            rights: access.rights,
            team_state: access.team_state,
        }],
    );
    assert!(app.columns()[0].team_folders);
    let s = screen(&app);
    assert!(
        s.contains("team state in folders: Assigned/<agent>, Pending, Done"),
        "{s}"
    );
    let keywords = [no_keywords.as_slice(), &["\\*".to_string()]].concat();
    let access = decide(false, &keywords, None, TeamStateSetting::Auto);
    assert_eq!(access.team_state, TeamStateAt::Keywords);
    press(
        &mut app,
        [EngineEvent::Access {
            account_idx: 0,
            rights: access.rights,
            team_state: access.team_state,
        }],
    );
    assert!(!app.columns()[0].team_folders);
    assert!(screen(&app).contains("[open "));
}
