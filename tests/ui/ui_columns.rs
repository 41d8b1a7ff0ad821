//! The column view driven by synthetic events and rendered into ratatui's TestBackend: what a
//! user would see after pressing keys, without a terminal, threads or mailboxes.

use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Modifier;

use mailroom::engine::{Event as EngineEvent, Request};
use mailroom::message::{Flags, Summary};
use mailroom::ui::app::{App, Layout, update};
use mailroom::ui::draw::draw;
use mailroom::ui::event::Event;
use mailroom::ui::screen::columns::LoadState;
use mailroom::ui::screen::reader::Body;
use mailroom::ui::theme::{BUILTIN, Theme};

fn theme() -> Theme {
    Theme::parse(BUILTIN[0].1, "default").expect("built-in theme")
}

fn app(w: u16, h: u16) -> App {
    let cols = [
        (0, "support".to_string()),
        (1, "sales".to_string()),
        (2, "billing".to_string()),
    ];
    // Side by side at any width (these tests read the columns; the layouts have their own).
    let mut app = App::new(&cols, theme(), false).with_layout(Layout::Columns);
    update(&mut app, Event::Resize(w, h));
    update(&mut app, Event::Tick(NOW));
    app
}

fn seen(mut s: Summary) -> Summary {
    s.flags = Flags {
        seen: true,
        ..Flags::default()
    };
    s
}

fn ch(c: char) -> Event {
    key(KeyCode::Char(c))
}

fn render(app: &App) -> Buffer {
    let (w, h) = app.size();
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
    t.draw(|f| draw(app, f)).expect("draw");
    t.backend().buffer().clone()
}

fn lines(buf: &Buffer) -> Vec<String> {
    let w = usize::from(buf.area.width);
    buf.content()
        .chunks(w)
        .map(|row| row.iter().map(|c| c.symbol()).collect::<String>())
        .collect()
}

fn screen(app: &App) -> String {
    lines(&render(app)).join("\n")
}

/// The row (y) whose text contains `needle`, and the x where it starts (in cells).
fn find(buf: &Buffer, needle: &str) -> Option<(u16, u16)> {
    for (y, line) in lines(buf).iter().enumerate() {
        if let Some(byte) = line.find(needle) {
            let x = unicode_width::UnicodeWidthStr::width(&line[..byte]);
            return Some((x as u16, y as u16));
        }
    }
    None
}

/// Three accounts with a few messages each, delivered oldest first like a backend does.
fn loaded(w: u16, h: u16) -> App {
    let mut app = app(w, h);
    let support = vec![
        seen(msg(1, 600, "Carol", "Invoice question")),
        msg(2, 90, "Dave", "Cannot log in"),
        msg(3, 5, "Erin", "Password reset"),
    ];
    let sales = vec![msg(10, 30, "Frank", "Quote for 40 seats")];
    press(
        &mut app,
        [
            EngineEvent::Rows {
                account_idx: 0,
                rows: support,
            },
            EngineEvent::Loaded { account_idx: 0 },
            EngineEvent::Rows {
                account_idx: 1,
                rows: sales,
            },
            EngineEvent::Loaded { account_idx: 1 },
            EngineEvent::Status {
                account_idx: 2,
                exists: 7,
            },
        ],
    );
    app
}

#[test]
fn three_columns_appear_with_headers() {
    let app = loaded(120, 30);
    let buf = render(&app);
    let text = lines(&buf);
    let header = &text[1];
    assert!(header.contains("support  ready  3 · 2 unread"), "{header}");
    assert!(header.contains("sales  ready  1 · 1 unread"), "{header}");
    assert!(header.contains("billing  loading  0/7"), "{header}");
    // Side by side: each name in its own third of the screen.
    let x = |n| find(&buf, n).map(|p| p.0).unwrap_or(u16::MAX);
    assert!(x("support") < 40 && (40..80).contains(&x("sales")) && x("billing") >= 80);
    // Rows: newest first, with age, sender, subject, marks.
    let reset = find(&buf, "Password reset").expect("row");
    let login = find(&buf, "Cannot log in").expect("row");
    let invoice = find(&buf, "Invoice question").expect("row");
    assert!(reset.1 < login.1 && login.1 < invoice.1);
    assert!(text[3].contains("5m Erin"), "{}", text[3]);
    assert!(text[4].contains("1h Dave"), "{}", text[4]);
    assert!(text[3].contains("N   "), "unread mark: {}", text[3]);
    assert!(
        screen(&app).contains("loading…"),
        "empty loading column says so"
    );
    // Status line with a key hint.
    assert!(text[29].contains("q quit"), "{}", text[29]);
}

#[test]
fn focused_column_and_unread_rows_are_styled() {
    let mut app = loaded(120, 30);
    let t = theme();
    let buf = render(&app);
    let (x, y) = find(&buf, "support").expect("header");
    assert_eq!(
        buf[(x, y)].bg,
        t.style("column_header_focused", false).bg.expect("bg")
    );
    let (x, y) = find(&buf, "sales").expect("header");
    assert_eq!(
        buf[(x, y)].bg,
        t.style("column_header", false).bg.expect("bg")
    );
    // The focused border is the focused colour.
    assert_eq!(
        buf[(0, 0)].fg,
        t.style("border_focused", false).fg.expect("fg")
    );
    // Unread rows are bold, read rows are not.
    let (x, y) = find(&buf, "Cannot log in").expect("row");
    assert!(buf[(x, y)].modifier.contains(Modifier::BOLD));
    let (x, y) = find(&buf, "Invoice question").expect("row");
    assert!(!buf[(x, y)].modifier.contains(Modifier::BOLD));
    // The selected row carries the selection background.
    let (x, y) = find(&buf, "Password reset").expect("row");
    assert_eq!(
        buf[(x, y)].bg,
        t.style("row_selected", false).bg.expect("bg")
    );

    press(&mut app, [ch('l')]);
    let buf = render(&app);
    let (x, y) = find(&buf, "sales").expect("header");
    assert_eq!(
        buf[(x, y)].bg,
        t.style("column_header_focused", false).bg.expect("bg")
    );
}

#[test]
fn navigation_moves_the_selection() {
    let mut app = loaded(120, 30);
    let marker_on = |app: &App, subject: &str| {
        let buf = render(app);
        let (_, y) = find(&buf, subject).expect("row");
        buf[(1, y)].symbol() == ">"
    };
    assert!(marker_on(&app, "Password reset"));
    press(&mut app, [ch('j')]);
    assert!(marker_on(&app, "Cannot log in"));
    assert!(!marker_on(&app, "Password reset"));
    press(&mut app, [key(KeyCode::Down), ch('j'), ch('j')]);
    assert_eq!(app.columns()[0].selected, 2, "stops at the last row");
    press(&mut app, [ch('k')]);
    assert_eq!(app.columns()[0].selected, 1);
    press(&mut app, [ch('g')]);
    assert_eq!(app.columns()[0].selected, 0);
    press(&mut app, [ch('G')]);
    assert_eq!(app.columns()[0].selected, 2);
    press(&mut app, [key(KeyCode::Up)]);
    assert_eq!(app.columns()[0].selected, 1);

    // Columns: l/h stop at the edges, Tab/BackTab wrap around.
    press(&mut app, [ch('l'), key(KeyCode::Right), ch('l')]);
    assert_eq!(app.focus(), 2);
    press(&mut app, [key(KeyCode::Tab)]);
    assert_eq!(app.focus(), 0);
    press(&mut app, [key(KeyCode::BackTab)]);
    assert_eq!(app.focus(), 2);
    press(&mut app, [ch('h'), key(KeyCode::Left), ch('h')]);
    assert_eq!(app.focus(), 0);
    assert_eq!(
        app.columns()[0].selected,
        1,
        "each column keeps its selection"
    );
}

#[test]
fn half_pages_and_scrolling_keep_the_selection_on_screen() {
    let mut app = app(120, 30);
    let rows: Vec<Summary> = (1..=100)
        .map(|i| msg(i, i64::from(1000 - i), "Zed", &format!("Subject {i:03}")))
        .collect();
    press(
        &mut app,
        [EngineEvent::Rows {
            account_idx: 0,
            rows,
        }],
    );
    let page = app.list_height();
    assert_eq!(
        page,
        30 - 1 - 4,
        "status line, two borders, two header lines"
    );
    press(&mut app, [ctrl('d')]);
    assert_eq!(app.columns()[0].selected, page.div_ceil(2));
    press(&mut app, [ctrl('u')]);
    assert_eq!(app.columns()[0].selected, 0);
    press(&mut app, [ch('G')]);
    let buf = render(&app);
    assert!(
        find(&buf, "Subject 001").is_some(),
        "oldest visible at the bottom"
    );
    assert!(find(&buf, "Subject 100").is_none(), "newest scrolled away");
    press(&mut app, [ch('g')]);
    let buf = render(&app);
    assert!(find(&buf, "Subject 100").is_some());
}

#[test]
fn rows_arrive_in_batches_and_stay_newest_first() {
    let mut app = app(120, 30);
    let batch = |r: std::ops::Range<u32>| EngineEvent::Rows {
        account_idx: 0,
        rows: r
            .map(|i| msg(i, 1000 - i64::from(i), "A", &format!("S{i}")))
            .collect(),
    };
    press(&mut app, [batch(1..4)]);
    press(&mut app, [batch(4..7)]);
    let uids: Vec<u32> = app.columns()[0].rows.iter().map(|s| s.uid).collect();
    assert_eq!(uids, vec![6, 5, 4, 3, 2, 1]);
    assert_eq!(
        app.columns()[0].selected,
        0,
        "at the top, the newest stays selected"
    );
    // Away from the top, new mail does not move the selection off its message.
    press(&mut app, [ch('j'), ch('j')]);
    assert_eq!(app.columns()[0].selected_row().map(|s| s.uid), Some(4));
    press(&mut app, [batch(7..9)]);
    assert_eq!(app.columns()[0].selected_row().map(|s| s.uid), Some(4));
    assert_eq!(app.columns()[0].unread, 8);
}

#[test]
fn enter_opens_the_reader_and_body_fills_it() {
    let mut app = loaded(120, 30);
    let mut on_behalf = msg(3, 5, "Erin", "Password reset");
    on_behalf.edit_text(|f| f.from = vec![addr("Example Sales", "sales@example.test")]);
    on_behalf.edit_text(|f| f.sender = vec![addr("Bob", "bob@example.test")]);
    on_behalf.edit_text(|f| f.cc = vec![addr("", "boss@customer.test")]);
    update(
        &mut app,
        EngineEvent::Rows {
            account_idx: 0,
            rows: vec![on_behalf],
        },
    );

    let cmds = press(&mut app, [key(KeyCode::Enter)]);
    assert_eq!(
        cmds,
        vec![Request::Open {
            account_idx: 0,
            uid: 3
        }]
    );
    let s = screen(&app);
    assert!(
        s.contains("From:    Example Sales <sales@example.test>"),
        "{s}"
    );
    assert!(
        s.contains("Sender:  Bob <bob@example.test> (on behalf of sales@example.test)"),
        "{s}"
    );
    assert!(
        s.contains("To:      Example Support <support@example.test>"),
        "{s}"
    );
    assert!(s.contains("Cc:      boss@customer.test"), "{s}");
    assert!(s.contains("Date:    2026-11-27 11:55 UTC"), "{s}");
    assert!(s.contains("Subject: Password reset"), "{s}");
    assert!(s.contains("loading…"), "{s}");

    let body = "Hello,\n\nI forgot my password. ".to_string() + &"word ".repeat(60) + "\n> quoted";
    press(
        &mut app,
        [EngineEvent::Body {
            account_idx: 0,
            uid: 3,
            body: Ok(body.into()),
        }],
    );
    let buf = render(&app);
    let s = lines(&buf).join("\n");
    assert!(s.contains("I forgot my password."), "{s}");
    assert!(!s.contains("loading…"), "{s}");
    // Wrapped to the width, quotes styled as quotes.
    for l in lines(&buf) {
        assert!(!l.trim_end().ends_with("wor"), "words are not cut: {l}");
    }
    let (x, y) = find(&buf, "> quoted").expect("quote");
    let t = theme();
    assert_eq!(
        buf[(x, y)].fg,
        t.style("reader_quote", false).fg.expect("fg")
    );

    // q closes the reader, a second q quits.
    assert!(press(&mut app, [ch('q')]).is_empty());
    assert!(app.reader().is_none());
    assert!(screen(&app).contains("support  ready"));
    assert!(press(&mut app, [ch('q')]).is_empty());
    assert!(app.quitting());
}

#[test]
fn reader_scrolls_with_j_k_and_space() {
    let mut app = loaded(80, 20);
    press(&mut app, [key(KeyCode::Enter)]);
    let body: String = (1..=100).map(|i| format!("line {i}\n")).collect();
    press(
        &mut app,
        [EngineEvent::Body {
            account_idx: 0,
            uid: 3,
            body: Ok(body.into()),
        }],
    );
    let (_, h) = app.reader_body_size();
    let scroll = |app: &App| app.reader().map_or(usize::MAX, |r| r.scroll);
    press(&mut app, [ch('j'), ch('j'), key(KeyCode::Down)]);
    assert_eq!(scroll(&app), 3);
    press(&mut app, [ch('k')]);
    assert_eq!(scroll(&app), 2);
    press(&mut app, [ch(' ')]);
    assert_eq!(scroll(&app), 2 + h);
    assert!(screen(&app).contains(&format!("line {}", 3 + h)));
    press(&mut app, [ch('G')]);
    assert_eq!(scroll(&app), 101 - h, "100 lines and the final empty one");
    press(&mut app, [ch('g')]);
    assert_eq!(scroll(&app), 0);
    assert!(screen(&app).contains("j/k scroll"));
}

#[test]
fn esc_closes_the_reader_but_never_quits() {
    let mut app = loaded(120, 30);
    assert!(press(&mut app, [key(KeyCode::Esc)]).is_empty());
    press(&mut app, [key(KeyCode::Enter)]);
    assert!(app.reader().is_some());
    assert!(press(&mut app, [key(KeyCode::Esc)]).is_empty());
    assert!(app.reader().is_none());
    assert!(press(&mut app, [key(KeyCode::Esc), key(KeyCode::Esc)]).is_empty());
    assert!(press(&mut app, [ctrl('c')]).is_empty());
    assert!(app.quitting());
}

#[test]
fn stale_bodies_are_ignored() {
    let mut app = loaded(120, 30);
    press(
        &mut app,
        [key(KeyCode::Enter), ch('q'), ch('j'), key(KeyCode::Enter)],
    );
    press(
        &mut app,
        [EngineEvent::Body {
            account_idx: 0,
            uid: 3,
            body: Ok("old".into()),
        }],
    );
    let r = app.reader().expect("reader");
    assert_eq!((r.uid, &r.body), (2, &Body::Loading));
}

#[test]
fn hostile_text_is_shown_as_carets_and_never_reaches_the_terminal() {
    let mut app = app(120, 30);
    let mut evil = msg(66, 1, "Mallory", "\x1b]0;pwned\x07 urgent \u{202E}gpj.exe");
    evil.edit_text(|f| f.from = vec![addr("\x1b[31mMallory\u{2066}", "m@evil.test")]);
    evil.edit_text(|f| f.to = vec![addr("\u{9b}2J", "x@evil.test")]);
    press(
        &mut app,
        [
            EngineEvent::Rows {
                account_idx: 0,
                rows: vec![evil],
            },
            EngineEvent::Error {
                account_idx: Some(1),
                message: "sales: server said \x1b]52;c;ZXZpbA==\x07\r\nBYE".into(),
            },
        ],
    );
    let check = |buf: &Buffer| {
        for c in buf.content() {
            for ch in c.symbol().chars() {
                assert!(
                    !matches!(ch as u32, 0..=0x1f | 0x7f..=0x9f | 0x202a..=0x202e | 0x2066..=0x2069),
                    "control {:?} in the buffer",
                    ch
                );
            }
        }
    };
    let buf = render(&app);
    check(&buf);
    let s = lines(&buf).join("\n");
    assert!(s.contains("^[]0;pwned^G"), "{s}");
    assert!(s.contains("^[[31mMa"), "{s}");
    let status = &lines(&buf)[29];
    assert!(
        status.contains("sales: server said ^[]52;c;ZXZpbA==^G^M^JBYE"),
        "{status}"
    );
    assert!(
        s.contains("│ ^[]52;c;ZXZpbA==^G^M^JBYE"),
        "wrapped in the column: {s}"
    );
    assert!(matches!(app.columns()[1].state, LoadState::Failed(_)));

    press(&mut app, [key(KeyCode::Enter)]);
    press(
        &mut app,
        [EngineEvent::Body {
            account_idx: 0,
            uid: 66,
            body: Ok("hi\x1b[2J\x1bP+q\x1b\\ there\u{202E}\r\nline two\x07".into()),
        }],
    );
    let buf = render(&app);
    check(&buf);
    let s = lines(&buf).join("\n");
    assert!(s.contains("Subject: ^[]0;pwned^G urgent gpj.exe"), "{s}");
    assert!(s.contains("From:    ^[[31mMallory <m@evil.test>"), "{s}");
    assert!(s.contains("M-^[2J"), "C1 CSI in To: {s}");
    assert!(s.contains("hi^[[2J^[P+q^[\\ there"), "{s}");
    assert!(s.contains("line two^G"), "{s}");
}

#[test]
fn narrow_terminals_show_one_column_with_tabs() {
    let mut app = loaded(60, 20);
    let t = theme();
    let buf = render(&app);
    let text = lines(&buf);
    let tabs = &text[0];
    assert!(
        tabs.contains(" support (2) ")
            && tabs.contains(" sales (1) ")
            && tabs.contains(" billing "),
        "{tabs}"
    );
    let (x, y) = find(&buf, "support (2)").expect("tab");
    assert_eq!(buf[(x, y)].bg, t.style("tab_active", false).bg.expect("bg"));
    let (x, y) = find(&buf, "sales (1)").expect("tab");
    assert_eq!(
        buf[(x, y)].bg,
        t.style("tab_inactive", false).bg.expect("bg")
    );
    assert!(find(&buf, "Password reset").is_some());
    assert!(
        find(&buf, "Quote for 40 seats").is_none(),
        "one column at a time"
    );

    press(&mut app, [ch('l')]);
    let buf = render(&app);
    let (x, y) = find(&buf, "sales (1)").expect("tab");
    assert_eq!(buf[(x, y)].bg, t.style("tab_active", false).bg.expect("bg"));
    assert!(find(&buf, "Quote for 40 seats").is_some());
    assert!(find(&buf, "Password reset").is_none());
    assert!(
        lines(&buf)[2].contains("sales  ready"),
        "column header under the tabs"
    );
}

#[test]
fn resizing_switches_layouts_and_keeps_the_selection_visible() {
    let mut app = app(120, 40);
    let rows: Vec<Summary> = (1..=60)
        .map(|i| msg(i, i64::from(100 - i), "Zed", &format!("Subject {i:03}")))
        .collect();
    press(
        &mut app,
        [EngineEvent::Rows {
            account_idx: 0,
            rows,
        }],
    );
    press(&mut app, std::iter::repeat_with(|| ch('j')).take(30));
    press(&mut app, [Event::Resize(60, 12)]);
    let c = &app.columns()[0];
    assert!(c.selected >= c.offset && c.selected < c.offset + app.list_height());
    let buf = render(&app);
    assert!(
        find(&buf, "Subject 030").is_some(),
        "selected row on screen"
    );
    assert!(lines(&buf)[0].contains("support"), "tab strip");
    // Tiny terminals must not panic.
    for (w, h) in [(1, 1), (0, 0), (10, 3), (39, 2)] {
        press(&mut app, [Event::Resize(w, h)]);
        render(&app);
        press(&mut app, [key(KeyCode::Enter)]);
        render(&app);
        press(&mut app, [key(KeyCode::Esc)]);
    }
}

#[test]
fn no_color_keeps_the_selection_and_focus_visible() {
    let cols = [(0, "support".to_string()), (1, "sales".to_string())];
    let mut app = App::new(&cols, theme(), true);
    press(
        &mut app,
        [
            Event::Resize(100, 20),
            Event::Tick(NOW),
            Event::Engine(EngineEvent::Rows {
                account_idx: 0,
                rows: vec![msg(1, 1, "A", "Hello")],
            }),
        ],
    );
    let buf = render(&app);
    for c in buf.content() {
        assert!(
            matches!(c.fg, ratatui::style::Color::Reset)
                && matches!(c.bg, ratatui::style::Color::Reset),
            "a colour with NO_COLOR: {c:?}"
        );
    }
    let (x, y) = find(&buf, "Hello").expect("row");
    assert!(buf[(x, y)].modifier.contains(Modifier::REVERSED));
    assert_eq!(buf[(0, 0)].symbol(), "┏", "thick border marks focus");
}

#[test]
fn pastes_and_unbound_keys_do_nothing() {
    let mut app = loaded(120, 30);
    app.mark_drawn();
    assert!(press(&mut app, [Event::Paste("q\njjj\r".into()), ch('x')]).is_empty());
    assert!(!app.needs_redraw(), "no redraw for nothing");
    assert_eq!(app.columns()[0].selected, 0);
    assert!(app.reader().is_none());
}

#[test]
fn columns_follow_the_configuration() {
    let config: mailroom::config::Config = toml::from_str(
        r#"
        [agent]
        id = "alice"
        name = "Alice"
        email = "alice@example.test"
        [ui]
        columns = ["sales", "support"]
        [[account]]
        name = "support"
        address = "support@example.test"
        send = "as"
        [account.maildir]
        path = "/nonexistent/support"
        [[account]]
        name = "sales"
        address = "sales@example.test"
        send = "as"
        [account.maildir]
        path = "/nonexistent/sales"
        "#,
    )
    .expect("config");
    let cols = mailroom::ui::column_accounts(&config).expect("columns");
    assert_eq!(
        cols,
        vec![(1, "sales".to_string()), (0, "support".to_string())]
    );
    let mut all = config.clone();
    all.ui.columns = None;
    let cols = mailroom::ui::column_accounts(&all).expect("columns");
    assert_eq!(
        cols,
        vec![(0, "support".to_string()), (1, "sales".to_string())]
    );
    let mut bad = config;
    bad.ui.columns = Some(vec!["nope".into()]);
    assert!(mailroom::ui::column_accounts(&bad).is_err());
}

// ---- live updates from the IMAP engine -------------------------------------------------------

use mailroom::engine::worker::{ConnState, WorkerEvent};
use mailroom::imap::sync::{FlagUpdate, SyncEvent};
use mailroom::ui::screen::columns::Link;
use std::time::Duration;

use crate::ui_support;
use ui_support::{NOW, addr, ctrl, key, msg, press};

fn update_of(uid: u32, flags: Flags, keywords: &[&str]) -> FlagUpdate {
    FlagUpdate {
        uid,
        flags,
        keywords: keywords.iter().map(|k| k.to_string()).collect(),
        modseq: Some(42),
    }
}

fn uids(app: &App, col: usize) -> Vec<u32> {
    app.columns()[col].rows.iter().map(|s| s.uid).collect()
}

fn selected_uid(app: &App, col: usize) -> Option<u32> {
    app.columns()[col].selected_row().map(|s| s.uid)
}

fn link(account_idx: usize, state: ConnState, at: i64) -> Event {
    Event::Engine(EngineEvent::Link {
        account_idx,
        state,
        at,
    })
}

#[test]
fn changed_flags_update_rows_in_place_and_keep_the_selection() {
    let mut app = loaded(120, 30);
    press(&mut app, [ch('j')]);
    assert_eq!(selected_uid(&app, 0), Some(2));
    assert_eq!(app.columns()[0].unread, 2);
    app.mark_drawn();
    press(
        &mut app,
        [EngineEvent::Flags {
            account_idx: 0,
            updates: vec![
                update_of(
                    2,
                    Flags {
                        seen: true,
                        flagged: true,
                        ..Flags::default()
                    },
                    &["$assigned.bob", "$replying.carol"],
                ),
                // A UID that is not shown (yet) is ignored.
                update_of(99, Flags::default(), &["$done"]),
            ],
        }],
    );
    assert!(app.needs_redraw());
    assert_eq!(uids(&app, 0), vec![3, 2, 1], "order unchanged");
    assert_eq!(selected_uid(&app, 0), Some(2), "selection stays on Dave");
    assert_eq!(app.columns()[0].unread, 1);
    let row = &app.columns()[0].rows[1];
    assert!(row.flags.flagged && row.flags.seen);
    assert_eq!(row.modseq, Some(42));
    let buf = render(&app);
    let text = lines(&buf);
    assert!(
        text[1].contains("support  ready  3 · 1 unread"),
        "{}",
        text[1]
    );
    let dave = &text[4];
    assert!(dave.contains("Dave") && dave.contains("Cannot"), "{dave}");
    assert!(dave.contains("✎ carol"), "team marks: {dave}");
    assert!(dave.contains(" F "), "flagged mark: {dave}");
    assert!(text[29].contains("4 messages · 2 unread"), "{}", text[29]);
    press(&mut app, [ch('k')]);
    let buf = render(&app);
    let (x, y) = find(&buf, "Cannot").expect("row");
    assert!(
        !buf[(x, y)].modifier.contains(Modifier::BOLD),
        "read now, so no longer bold"
    );

    // Updates for UIDs nobody shows change nothing and cause no redraw.
    app.mark_drawn();
    press(
        &mut app,
        [EngineEvent::Flags {
            account_idx: 0,
            updates: vec![update_of(77, Flags::default(), &[])],
        }],
    );
    assert!(!app.needs_redraw());
}

#[test]
fn vanished_rows_move_the_selection_to_a_neighbour() {
    let mut app = app(120, 30);
    let rows: Vec<Summary> = (1..=5)
        .map(|i| msg(i, 100 - i64::from(i), "A", &format!("S{i}")))
        .collect();
    press(
        &mut app,
        [EngineEvent::Rows {
            account_idx: 0,
            rows,
        }],
    );
    assert_eq!(uids(&app, 0), vec![5, 4, 3, 2, 1]);
    let vanish = |uids: &[u32]| EngineEvent::Vanished {
        account_idx: 0,
        uids: uids.to_vec(),
    };
    // The selected row goes: the next (older) one takes its place.
    press(&mut app, [ch('j'), ch('j')]);
    assert_eq!(selected_uid(&app, 0), Some(3));
    press(&mut app, [vanish(&[3])]);
    assert_eq!(uids(&app, 0), vec![5, 4, 2, 1]);
    assert_eq!(selected_uid(&app, 0), Some(2));
    assert_eq!(app.columns()[0].unread, 4);
    // A row above the selection goes: the selection stays on its message.
    press(&mut app, [vanish(&[5, 1000])]);
    assert_eq!(selected_uid(&app, 0), Some(2));
    // The last row goes while selected: the new last row is selected.
    press(&mut app, [ch('G'), Event::Engine(vanish(&[1]))]);
    assert_eq!(uids(&app, 0), vec![4, 2]);
    assert_eq!(selected_uid(&app, 0), Some(2));
    assert!(screen(&app).contains("support  loading  2 · 2 unread"));
    // Everything goes: nothing selected, never out of range.
    press(&mut app, [vanish(&[2, 4])]);
    assert!(app.columns()[0].rows.is_empty());
    assert_eq!((app.columns()[0].selected, app.columns()[0].offset), (0, 0));
    assert_eq!(app.columns()[0].unread, 0);
    press(&mut app, [ch('j'), ch('G'), key(KeyCode::Enter)]);
    assert!(app.reader().is_none());

    // Scrolled far down in a long list, most rows vanish: still in range and on screen.
    let mut app = app_with_rows(120, 30, 200);
    press(&mut app, [ch('G')]);
    assert_eq!(selected_uid(&app, 0), Some(1));
    press(
        &mut app,
        [EngineEvent::Vanished {
            account_idx: 0,
            uids: (1..=190).collect(),
        }],
    );
    let c = &app.columns()[0];
    assert_eq!(c.rows.len(), 10);
    assert_eq!(selected_uid(&app, 0), Some(191), "the nearest survivor");
    assert!(c.selected < c.rows.len());
    assert!(c.offset <= c.selected && c.selected < c.offset + app.list_height());
    assert!(screen(&app).contains("Subject 191"));
}

fn app_with_rows(w: u16, h: u16, n: u32) -> App {
    let mut app = app(w, h);
    let rows: Vec<Summary> = (1..=n)
        .map(|i| msg(i, 10_000 - i64::from(i), "Zed", &format!("Subject {i:03}")))
        .collect();
    press(
        &mut app,
        [EngineEvent::Rows {
            account_idx: 0,
            rows,
        }],
    );
    app
}

#[test]
fn the_open_message_vanishing_is_noted_but_the_reader_stays() {
    let mut app = loaded(120, 30);
    press(&mut app, [key(KeyCode::Enter)]);
    press(
        &mut app,
        [EngineEvent::Vanished {
            account_idx: 0,
            uids: vec![3],
        }],
    );
    assert!(app.reader().is_some());
    let s = screen(&app);
    assert!(
        s.contains("support: the open message was removed from the mailbox"),
        "{s}"
    );
}

#[test]
fn reset_clears_the_column_and_keeps_the_reason_in_the_status_line() {
    let mut app = loaded(120, 30);
    press(&mut app, [ch('j'), key(KeyCode::Enter)]);
    assert!(app.reader().is_some());
    press(
        &mut app,
        [EngineEvent::Reset {
            account_idx: 0,
            reason: "UIDVALIDITY of \"INBOX\" changed from 1 to 2: cached rows discarded\r\n"
                .into(),
        }],
    );
    let c = &app.columns()[0];
    assert!(c.rows.is_empty());
    assert_eq!((c.selected, c.offset, c.unread), (0, 0, 0));
    assert_eq!(c.state, LoadState::Loading);
    assert!(
        app.reader().is_none(),
        "its UID may now name another message"
    );
    // Other columns are untouched.
    assert_eq!(uids(&app, 1), vec![10]);
    let buf = render(&app);
    let text = lines(&buf);
    assert!(
        text[29].contains(
            "support: UIDVALIDITY of \"INBOX\" changed from 1 to 2: cached rows discarded"
        ),
        "{}",
        text[29]
    );
    assert!(
        text[1].contains("support  loading  0 · 0 unread"),
        "{}",
        text[1]
    );
    // The resync refills it; Esc dismisses the note.
    press(
        &mut app,
        [
            EngineEvent::Rows {
                account_idx: 0,
                rows: vec![msg(1, 3, "Gina", "Fresh start")],
            },
            EngineEvent::Synced {
                account_idx: 0,
                exists: 1,
            },
        ],
    );
    assert!(screen(&app).contains("Fresh start"));
    assert!(screen(&app).contains("support  ready  1 · 1 unread"));
    press(&mut app, [key(KeyCode::Esc)]);
    assert!(app.notice().is_none());
    assert!(!screen(&app).contains("UIDVALIDITY"));
}

#[test]
fn cached_rows_show_before_the_server_answers_and_repeat_rows_replace() {
    let mut app = app(150, 30);
    press(
        &mut app,
        [
            link(0, ConnState::Connecting, NOW),
            Event::Engine(EngineEvent::Cached {
                account_idx: 0,
                rows: vec![msg(1, 10, "A", "From the cache"), msg(2, 5, "B", "Second")],
            }),
        ],
    );
    let s = screen(&app);
    assert!(s.contains("From the cache"), "{s}");
    assert!(
        s.contains("support  cached · connecting  2 · 2 unread"),
        "{s}"
    );
    // The same UID again (a resync after a reconnect) replaces, never doubles.
    let mut again = seen(msg(2, 5, "B", "Second"));
    again.keywords = mailroom::message::Keywords::new::<String>(vec!["$done".into()]);
    press(
        &mut app,
        [EngineEvent::Rows {
            account_idx: 0,
            rows: vec![again],
        }],
    );
    assert_eq!(uids(&app, 0), vec![2, 1]);
    assert_eq!(app.columns()[0].unread, 1);
    assert!(screen(&app).contains("done"));
}

#[test]
fn connection_state_shows_in_headers_and_the_status_line() {
    let mut app = app(200, 30);
    press(
        &mut app,
        [
            link(0, ConnState::Connecting, NOW),
            link(
                1,
                ConnState::Offline {
                    error: "account \"sales\": IMAP 127.0.0.1:1: cannot connect: refused\x1b[2J"
                        .into(),
                    retry_in: Duration::from_millis(7500),
                },
                NOW,
            ),
        ],
    );
    let buf = render(&app);
    let text = lines(&buf);
    assert!(
        text[1].contains("support  loading · connecting"),
        "{}",
        text[1]
    );
    assert!(
        text[1].contains("sales  loading · offline, retry 8s"),
        "{}",
        text[1]
    );
    // Billing is a local account: no connection to speak of.
    assert!(
        text[1].contains("billing  loading  0 · 0 unread"),
        "{}",
        text[1]
    );
    let status = &text[29];
    assert!(status.contains("support: connecting"), "{status}");
    assert!(
        status.contains("sales: offline: account \"sales\": IMAP 127.0.0.1:1: cannot connect: refused^[[2J, retrying in 8s"),
        "{status}"
    );
    let (x, y) = find(&buf, "sales: offline").expect("status");
    assert_eq!(
        buf[(x, y)].bg,
        theme().style("status_error", false).bg.expect("bg"),
        "an offline account stands out"
    );
    // The empty column says why it is empty.
    assert!(
        lines(&buf)
            .join("\n")
            .contains("│ offline: account \"sales\""),
        "{}",
        lines(&buf).join("\n")
    );
    // The countdown runs with the clock, which ticks every second meanwhile.
    assert!(app.needs_clock());
    press(&mut app, [Event::Tick(NOW + 3)]);
    let s = screen(&app);
    assert!(
        s.contains("offline, retry 5s") && s.contains("retrying in 5s"),
        "{s}"
    );
    press(&mut app, [Event::Tick(NOW + 9)]);
    let s = screen(&app);
    assert!(
        s.contains("offline, retrying") && s.contains("retrying now"),
        "{s}"
    );
    assert!(!app.needs_clock());

    // Reconnecting keeps the last error in view; online clears it.
    press(&mut app, [link(1, ConnState::Connecting, NOW + 9)]);
    let status = lines(&render(&app))[29].clone();
    assert!(
        status.contains("sales: connecting (last error: account \"sales\""),
        "{status}"
    );
    press(
        &mut app,
        [
            link(0, ConnState::Online { idle: true }, NOW + 10),
            link(1, ConnState::Online { idle: false }, NOW + 10),
            Event::Engine(EngineEvent::Rows {
                account_idx: 0,
                rows: vec![msg(1, 1, "A", "Hi")],
            }),
            Event::Engine(EngineEvent::Synced {
                account_idx: 0,
                exists: 1,
            }),
        ],
    );
    assert_eq!(app.columns()[1].link_error, None);
    assert_eq!(app.columns()[0].link, Some(Link::Online { idle: true }));
    let text = lines(&render(&app));
    assert!(
        text[1].contains("support  ready · idle  1 · 1 unread"),
        "{}",
        text[1]
    );
    assert!(text[1].contains("sales  loading · polling"), "{}", text[1]);
    assert!(
        text[29]
            .contains(" support: online (idle) │ sales: online (polling) │ 1 messages · 1 unread"),
        "{}",
        text[29]
    );
    // An error still comes first, and the states after it.
    press(
        &mut app,
        [EngineEvent::Error {
            account_idx: None,
            message: "something broke".into(),
        }],
    );
    let status = lines(&render(&app))[29].clone();
    assert!(
        status.starts_with(" something broke │ support: online (idle)"),
        "{status}"
    );
}

#[test]
fn team_keywords_are_compact_and_sanitized() {
    use mailroom::ui::screen::columns::draw::team_marks;
    let k = |v: &[&str]| team_marks(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    assert_eq!(k(&["$assigned.bob"]), "@bob");
    assert_eq!(k(&["$replying.x"]), "✎ x");
    assert_eq!(k(&["$pending"]), "pending");
    assert_eq!(k(&["$pending", "$done"]), "done");
    assert_eq!(
        k(&[
            "$Assigned.Bob",
            "$replying.carol",
            "$REPLYING.dave",
            "$pending"
        ]),
        "✎ carol,dave @bob pending",
        "keywords are case-insensitive"
    );
    // What is not an agent id never reaches the screen; other keywords are not shown.
    assert_eq!(
        k(&["$assigned.\u{1b}[2J", "$replying.", "$assigned.a b", "Junk"]),
        ""
    );
    assert_eq!(k(&[&format!("$assigned.{}", "x".repeat(40))]), "");
    assert_eq!(k(&["$replying.bob", "$replying.bob"]), "✎ bob");

    // In a narrow column the marks are cut, never the flag marks.
    let mut app = app(60, 10);
    let mut s = msg(1, 1, "Ann", "A rather long subject line that goes on");
    s.keywords = mailroom::message::Keywords::new::<String>(vec![
        "$replying.averyveryverylongname".into(),
        "$assigned.bob".into(),
    ]);
    press(
        &mut app,
        [EngineEvent::Rows {
            account_idx: 0,
            rows: vec![s],
        }],
    );
    let row = lines(&render(&app))[4].clone();
    assert!(
        row.contains("A rather long su… ✎ averyveryve… N   "),
        "{row}"
    );
    assert!(row.contains("N   "), "{row}");
}

#[test]
fn opening_a_message_leaves_it_unread() {
    let mut app = loaded(120, 30);
    let cmds = press(&mut app, [key(KeyCode::Enter)]);
    assert_eq!(
        cmds,
        vec![Request::Open {
            account_idx: 0,
            uid: 3
        }]
    );
    press(
        &mut app,
        [EngineEvent::Body {
            account_idx: 0,
            uid: 3,
            body: Ok("hello".into()),
        }],
    );
    assert!(!app.columns()[0].rows[0].flags.seen);
    assert_eq!(app.columns()[0].unread, 2);
}

#[test]
fn imap_worker_events_become_ui_events() {
    use mailroom::backend::{MailboxStatus, StoreOutcome};
    use mailroom::config::TeamStateSetting;
    use mailroom::triage::folders::TeamStateAt;
    let from_imap = |e| mailroom::engine::translate::from_imap(4, TeamStateSetting::Auto, e, NOW);
    // The last event is the translation; a sync adds the access (rights, team state) before it.
    let ev = |e| from_imap(e).pop();
    assert!(matches!(
        ev(WorkerEvent::Sync(SyncEvent::Cached(vec![msg(1, 1, "A", "a")]))),
        Some(EngineEvent::Cached { account_idx: 4, rows }) if rows.len() == 1
    ));
    assert!(matches!(
        ev(WorkerEvent::Sync(SyncEvent::Added(vec![msg(2, 1, "A", "a")]))),
        Some(EngineEvent::Rows { account_idx: 4, rows }) if rows[0].uid == 2
    ));
    assert!(matches!(
        ev(WorkerEvent::Sync(SyncEvent::Reset { reason: "r".into() })),
        Some(EngineEvent::Reset { account_idx: 4, reason }) if reason == "r"
    ));
    assert!(matches!(
        ev(WorkerEvent::Sync(SyncEvent::Changed(vec![update_of(3, Flags::default(), &[])]))),
        Some(EngineEvent::Flags { account_idx: 4, updates }) if updates[0].uid == 3
    ));
    assert!(matches!(
        ev(WorkerEvent::Sync(SyncEvent::Vanished(vec![5, 6]))),
        Some(EngineEvent::Vanished { account_idx: 4, uids }) if uids == [5, 6]
    ));
    let status = MailboxStatus {
        exists: 12,
        permanent_flags: vec!["\\Seen".into(), "\\Flagged".into(), "\\*".into()],
        ..MailboxStatus::default()
    };
    let both = from_imap(WorkerEvent::Sync(SyncEvent::Synced(status.clone())));
    assert!(
        matches!(&both[0], EngineEvent::Access { account_idx: 4, rights, .. } if rights.has('s') && rights.has('w')),
        "{both:?}"
    );
    // …and where team state can live: `\*` is there, so keywords.
    assert!(
        matches!(
            &both[0],
            EngineEvent::Access {
                account_idx: 4,
                team_state: TeamStateAt::Keywords,
                ..
            }
        ),
        "{both:?}"
    );
    let no_keywords = MailboxStatus {
        permanent_flags: vec!["\\Seen".into(), "\\Flagged".into()],
        ..status.clone()
    };
    assert!(matches!(
        &from_imap(WorkerEvent::Sync(SyncEvent::Synced(no_keywords)))[0],
        EngineEvent::Access {
            team_state: TeamStateAt::Folders,
            ..
        }
    ));
    let read_only = MailboxStatus {
        read_only: true,
        ..status.clone()
    };
    assert!(matches!(
        &from_imap(WorkerEvent::Sync(SyncEvent::Synced(read_only)))[0],
        EngineEvent::Access { rights, .. } if !rights.has('s') && !rights.has('w')
    ));
    // No PERMANENTFLAGS on a read-write mailbox: every flag is permanent (RFC 3501).
    let silent = MailboxStatus {
        permanent_flags: Vec::new(),
        ..status.clone()
    };
    assert!(matches!(
        &from_imap(WorkerEvent::Sync(SyncEvent::Synced(silent)))[0],
        EngineEvent::Access { rights, .. } if rights.has('s') && rights.has('w')
    ));
    assert!(matches!(
        ev(WorkerEvent::Sync(SyncEvent::Synced(status))),
        Some(EngineEvent::Synced {
            account_idx: 4,
            exists: 12
        })
    ));
    assert!(matches!(
        ev(WorkerEvent::Sync(SyncEvent::Warning("w".into()))),
        Some(EngineEvent::Warning { account_idx: 4, message }) if message == "w"
    ));
    assert!(matches!(
        ev(WorkerEvent::State(ConnState::Online { idle: true })),
        Some(EngineEvent::Link {
            account_idx: 4,
            state: ConnState::Online { idle: true },
            at: NOW
        })
    ));
    // Bodies arrive as raw bytes and leave as readable text.
    let raw = b"From: a@b.test\r\nSubject: hi\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello there\r\n".to_vec();
    let raw_len = raw.len();
    match ev(WorkerEvent::Body {
        uid: 7,
        result: Ok(raw),
    }) {
        Some(EngineEvent::Body {
            account_idx: 4,
            uid: 7,
            body: Ok(opened),
        }) => {
            let text = &opened.text;
            assert!(
                text.contains("Hello there") && !text.contains("Subject"),
                "{text}"
            );
            // The raw bytes come along, so attachments can be saved from the reader.
            assert_eq!(
                opened.raw.as_ref().map(|r| r.0.len()),
                Some(raw_len),
                "{opened:?}"
            );
            assert!(opened.attachments.is_empty());
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        ev(WorkerEvent::Body { uid: 7, result: Err("offline".into()) }),
        Some(EngineEvent::Body { body: Err(e), .. }) if e == "offline"
    ));
    assert!(matches!(
        ev(WorkerEvent::ActionDone {
            id: 1,
            uid: 7,
            result: Ok(StoreOutcome::Stored { modseq: None })
        }),
        Some(EngineEvent::StoreDone {
            account_idx: 4,
            id: 1,
            uid: 7,
            result: Ok(())
        })
    ));
    assert!(matches!(
        ev(WorkerEvent::ActionDone {
            id: 2,
            uid: 7,
            result: Ok(StoreOutcome::Modified)
        }),
        Some(EngineEvent::StoreDone {
            id: 2,
            result: Err(_),
            ..
        })
    ));
    assert!(matches!(
        ev(WorkerEvent::SearchDone {
            id: 3,
            result: Ok(vec![1, 5])
        }),
        Some(EngineEvent::SearchDone { account_idx: 4, id: 3, result: Ok(uids) }) if uids == [1, 5]
    ));
}
