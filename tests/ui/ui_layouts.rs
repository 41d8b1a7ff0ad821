//! The layouts (`ui.layout`, `:layout`): every layout snapshotted at 80×24, 120×40 and
//! 200×50, each snapshot naming what `auto` picked; the command and the setting.

use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use mailroom::engine::Event as EngineEvent;
use mailroom::message::Summary;
use mailroom::policy::rights::Rights;
use mailroom::ui::app::{App, Layout, update};
use mailroom::ui::draw::draw;
use mailroom::ui::event::Event;
use mailroom::ui::layout::arrange;

use crate::ui_support;
use ui_support::{NOW, config_from, enter, key, msg, press, status_line, theme, typed};

const SIZES: [(u16, u16); 3] = [(80, 24), (120, 40), (200, 50)];

fn seen(mut s: Summary) -> Summary {
    s.flags.seen = true;
    s
}

fn keywords(mut s: Summary, k: &[&str]) -> Summary {
    s.keywords = k.iter().map(|k| k.to_string()).collect();
    s
}

/// Three accounts: support with team state, flags and long subjects; sales with two rows;
/// billing empty.
fn team(layout: Layout, w: u16, h: u16) -> App {
    let cols = [
        (0, "support".to_string()),
        (1, "sales".to_string()),
        (2, "billing".to_string()),
    ];
    let mut app = App::new(&cols, theme(), false)
        .with_layout(layout)
        .with_agent("alice");
    update(&mut app, Event::Resize(w, h));
    update(&mut app, Event::Tick(NOW));
    let mut urgent = msg(
        5,
        12,
        "Grace Hopper",
        "URGENT: the site is down since 9:00 for everyone",
    );
    urgent.flags.flagged = true;
    let support = vec![
        seen(msg(1, 60 * 26, "Carol", "Invoice 2026-114 attached")),
        keywords(
            seen(msg(
                2,
                60 * 5,
                "Dave Example",
                "Cannot log in after the password reset",
            )),
            &["$assigned.alice", "$pending"],
        ),
        keywords(msg(3, 95, "Erin", "Password reset"), &["$assigned.bob"]),
        keywords(
            msg(
                4,
                40,
                "Frank Customer-Service",
                "Refund for order 5521, second request",
            ),
            &["$replying.bob", "$assigned.bob"],
        ),
        urgent,
        keywords(seen(msg(6, 60 * 24 * 9, "Heidi", "Thanks!")), &["$done"]),
    ];
    let sales = vec![
        seen(msg(10, 60 * 30, "Ivan", "Quote for 40 seats")),
        msg(11, 20, "Judy", "Volume discount?"),
    ];
    press(
        &mut app,
        [
            EngineEvent::Rows {
                account_idx: 0,
                rows: support,
            },
            EngineEvent::Loaded { account_idx: 0 },
            EngineEvent::Access {
                account_idx: 0,
                rights: Rights::all(),
                team_state: mailroom::triage::folders::TeamStateAt::Keywords,
            },
            EngineEvent::Rows {
                account_idx: 1,
                rows: sales,
            },
            EngineEvent::Loaded { account_idx: 1 },
            EngineEvent::Loaded { account_idx: 2 },
        ],
    );
    app
}

/// The screen as text, trailing blanks dropped, under a line saying what `auto` picked.
fn text(app: &App) -> String {
    let (w, h) = app.size();
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
    t.draw(|f| draw(app, f)).expect("draw");
    let buf = t.backend().buffer().clone();
    let shown = arrange(app.layout(), w, app.columns().len());
    let mut out = vec![format!(
        "layout {} at {w}x{h}: {}",
        app.layout().name(),
        shown.name()
    )];
    out.extend(buf.content().chunks(usize::from(w)).map(|row| {
        let line: String = row.iter().map(|c| c.symbol()).collect();
        line.trim_end().to_string()
    }));
    out.join("\n")
}

#[test]
fn every_layout_at_every_size() {
    for layout in Layout::ALL {
        for (w, h) in SIZES {
            let app = team(layout, w, h);
            // As the crate's `assert_snapshot!` names them, with a name made at run time.
            insta::with_settings!({
                snapshot_path => "../snapshots",
                prepend_module_to_snapshot => false,
            }, {
                insta::assert_snapshot!(
                    format!("ui_layouts__{}_{w}x{h}", layout.name()),
                    text(&app)
                );
            });
        }
    }
}

#[test]
fn auto_picks_columns_at_200_focus_at_120_and_tabs_at_80() {
    let picked: Vec<&str> = SIZES
        .iter()
        .map(|&(w, _)| arrange(Layout::Auto, w, 3).name())
        .collect();
    assert_eq!(picked, ["tabs", "focus", "columns"]);
    // At 200 columns auto is today's side-by-side view, cell for cell.
    let auto = team(Layout::Auto, 200, 50);
    let columns = team(Layout::Columns, 200, 50);
    let (auto, columns) = (text(&auto), text(&columns));
    assert_eq!(
        auto.lines().skip(1).collect::<Vec<_>>(),
        columns.lines().skip(1).collect::<Vec<_>>()
    );
}

#[test]
fn focus_moves_with_the_focused_account_and_keeps_the_keys() {
    let mut app = team(Layout::Focus, 120, 40);
    press(&mut app, [key(KeyCode::Char('l'))]);
    assert_eq!(app.focus(), 1);
    let screen = text(&app);
    // sales is wide now: its rows are shown; support is a strip of counts.
    assert!(screen.contains("Volume discount?"), "{screen}");
    assert!(screen.contains("│ support"), "{screen}");
    assert!(!screen.contains("Refund for order"), "{screen}");
    // j moves in the wide column as in any other layout.
    press(&mut app, [key(KeyCode::Char('j'))]);
    assert_eq!(app.columns()[1].selected_row().map(|s| s.uid), Some(10));
}

#[test]
fn the_layout_command_switches_for_the_session_and_says_what_auto_picked() {
    let mut app = team(Layout::Columns, 120, 40);
    press(&mut app, [key(KeyCode::Char(':'))]);
    press(&mut app, typed("layout focus"));
    press(&mut app, [enter()]);
    assert_eq!(app.layout(), Layout::Focus);
    assert!(text(&app).contains("newest 20m"), "{}", text(&app));
    press(&mut app, [key(KeyCode::Char(':'))]);
    press(&mut app, typed("layout auto"));
    press(&mut app, [enter()]);
    assert_eq!(app.layout(), Layout::Auto);
    let status = status_line(&app);
    assert!(
        status.contains("layout auto: focus at 120 columns"),
        "{status}"
    );
    press(&mut app, [key(KeyCode::Char(':'))]);
    press(&mut app, typed("layout grid"));
    press(&mut app, [enter()]);
    assert_eq!(app.layout(), Layout::Auto);
    let status = status_line(&app);
    assert!(status.contains("no layout \"grid\""), "{status}");
}

#[test]
fn ui_layout_in_the_configuration_is_the_starting_layout() {
    let config = config_from(
        "[agent]\nid = \"alice\"\nname = \"Alice\"\nemail = \"alice@example.test\"\n\
         [ui]\nlayout = \"tabs\"\n\
         [[account]]\nname = \"support\"\naddress = \"support@example.test\"\nsend = \"as\"\n\
         [account.maildir]\npath = \"/nonexistent\"\n",
    );
    let app = App::new(&[(0, "support".to_string())], theme(), false).with_config(config);
    assert_eq!(app.layout(), Layout::Tabs);
}

/// The unified list's rows as (account, subject), top to bottom, from the screen.
fn unified_rows(app: &App) -> Vec<String> {
    text(app)
        .lines()
        .skip(4)
        .take_while(|l| l.starts_with('┃') && !l.trim_matches(|c| c == '┃' || c == ' ').is_empty())
        .map(|l| l.to_string())
        .collect()
}

#[test]
fn unified_lists_every_account_newest_first_and_acts_on_each_rows_account() {
    let mut app = team(Layout::Unified, 120, 40);
    let rows = unified_rows(&app);
    // 6 support rows and 2 sales rows, billing has none: newest first across accounts.
    assert_eq!(rows.len(), 8, "{rows:#?}");
    assert!(
        rows[0].contains("support") && rows[0].contains("URGENT"),
        "{rows:#?}"
    );
    assert!(
        rows[1].contains("sales") && rows[1].contains("Volume discount?"),
        "{rows:#?}"
    );
    assert!(
        rows[7].contains("support") && rows[7].contains("Thanks!"),
        "{rows:#?}"
    );
    // j moves down the one list, from support's row to sales' row.
    press(&mut app, [key(KeyCode::Char('j'))]);
    assert_eq!(app.focus(), 1);
    assert_eq!(app.columns()[1].selected_row().map(|s| s.uid), Some(11));
    // Enter opens that row in its own account.
    let requests = press(&mut app, [enter()]);
    assert!(
        requests.iter().any(|r| matches!(
            r,
            mailroom::engine::Request::Open {
                account_idx: 1,
                uid: 11
            }
        )),
        "{requests:?}"
    );
    press(&mut app, [key(KeyCode::Char('q'))]);
    // j again: back in support; G to the oldest, g to the newest.
    press(&mut app, [key(KeyCode::Char('j'))]);
    assert_eq!(
        (app.focus(), app.columns()[0].selected_row().map(|s| s.uid)),
        (0, Some(4))
    );
    press(&mut app, [key(KeyCode::Char('G'))]);
    assert_eq!(app.columns()[0].selected_row().map(|s| s.uid), Some(6));
    press(&mut app, [key(KeyCode::Char('g'))]);
    assert_eq!(app.columns()[0].selected_row().map(|s| s.uid), Some(5));
    // s sorts the one list together: by sender, every account's rows mixed.
    press(&mut app, [key(KeyCode::Char('s')), key(KeyCode::Char('s'))]);
    let rows = unified_rows(&app);
    let senders: Vec<&str> = [
        "Carol", "Dave", "Erin", "Frank", "Grace", "Heidi", "Ivan", "Judy",
    ]
    .into_iter()
    .filter(|n| rows.iter().any(|r| r.contains(n)))
    .collect();
    assert_eq!(senders.len(), 8, "{rows:#?}");
    for (row, name) in rows.iter().zip(senders) {
        assert!(row.contains(name), "{row} should be {name}: {rows:#?}");
    }
    assert!(text(&app).contains("by sender ·"));
    assert_eq!(app.columns()[1].sort(), app.columns()[0].sort());
}

#[test]
fn walking_the_unified_list_visits_every_row_once_in_the_merged_order() {
    let cols = [
        (0, "support".to_string()),
        (1, "sales".to_string()),
        (2, "billing".to_string()),
    ];
    let mut app = App::new(&cols, theme(), false).with_layout(Layout::Unified);
    update(&mut app, Event::Resize(120, 20));
    update(&mut app, Event::Tick(NOW));
    let mut expected = Vec::new();
    let mut x: u64 = 0x2545_F491;
    for account_idx in 0..3 {
        let rows: Vec<Summary> = (1..=150u32)
            .map(|uid| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                // Few distinct times: equal arrival times across and within accounts.
                let minutes = (x % 90) as i64;
                expected.push((minutes, std::cmp::Reverse(uid), account_idx, uid));
                msg(uid, minutes, "Someone", "Hello")
            })
            .collect();
        press(&mut app, [EngineEvent::Rows { account_idx, rows }]);
    }
    // Newest first (fewest minutes ago), then the higher UID, then the account.
    expected.sort();
    let expected: Vec<(usize, u32)> = expected.iter().map(|e| (e.2, e.3)).collect();
    press(&mut app, [key(KeyCode::Char('g'))]);
    let mut seen = Vec::new();
    for _ in 0..expected.len() + 5 {
        let c = &app.columns()[app.focus()];
        let at = (app.focus(), c.selected_row().map_or(0, |s| s.uid));
        if seen.last() != Some(&at) {
            seen.push(at);
        }
        press(&mut app, [key(KeyCode::Char('j'))]);
    }
    assert_eq!(seen, expected);
    // And back up with k, a page at a time with PageUp mixed in, ending at the top.
    press(&mut app, [key(KeyCode::PageUp), key(KeyCode::Char('k'))]);
    let c = &app.columns()[app.focus()];
    let at = (app.focus(), c.selected_row().map_or(0, |s| s.uid));
    let i = expected.iter().position(|e| *e == at).expect("a row");
    assert_eq!(
        i,
        expected.len() - 1 - 15 - 1,
        "a page of 15 rows and one up"
    );
}

#[test]
fn switching_to_unified_turns_threads_off() {
    let mut app = team(Layout::Columns, 200, 50);
    press(&mut app, [key(KeyCode::Char('t'))]);
    assert!(app.threaded());
    press(&mut app, [key(KeyCode::Char(':'))]);
    press(&mut app, typed("layout unified"));
    press(&mut app, [enter()]);
    assert!(!app.threaded());
    assert_eq!(app.layout(), Layout::Unified);
    // And t inside unified says why it stays off.
    press(&mut app, [key(KeyCode::Char('t'))]);
    assert!(!app.threaded());
    assert!(
        text(&app).contains("threads: not in the unified layout"),
        "{}",
        text(&app)
    );
}
