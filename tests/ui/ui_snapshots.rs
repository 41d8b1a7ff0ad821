//! Snapshots of every screen: the real `App` fed synthetic events (fixed data, the clock fixed
//! through `Event::Tick`), drawn by `ui::draw` into ratatui's TestBackend, the buffer compared
//! as text with the committed `.snap` files in `tests/snapshots/`.
//!
//! A change to what a screen shows fails here with a diff. To accept a deliberate change, run
//! `INSTA_UPDATE=always cargo test --test ui ui_snapshots::`, review `git diff tests/snapshots`, and
//! commit the files.

use std::time::Duration;

use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

use mailroom::engine::Event as EngineEvent;
use mailroom::engine::event::OutboxStatus;
use mailroom::engine::translate;
use mailroom::engine::worker::ConnState;
use mailroom::message::Summary;
use mailroom::policy::rights::Rights;
use mailroom::ui::app::{App, Layout, update};
use mailroom::ui::draw::draw;
use mailroom::ui::event::Event;
use mailroom::ui::screen::reader::SaveDirs;
use mailroom::ui::theme::{BUILTIN, Theme};

use crate::ui_support;
use ui_support::{NOW, addr, key, msg};

fn app_with(w: u16, h: u16, no_color: bool) -> App {
    let cols = [
        (0, "support".to_string()),
        (1, "sales".to_string()),
        (2, "billing".to_string()),
    ];
    let theme = Theme::parse(BUILTIN[0].1, "default").expect("built-in theme");
    // Side by side at any width, as before layouts: what these snapshots are about is not
    // the layout (`ui_layouts` snapshots every layout).
    let mut app = App::new(&cols, theme, no_color)
        .with_layout(Layout::Columns)
        .with_agent("alice")
        .with_save_dirs(SaveDirs {
            download: Some("/home/alice/Downloads".into()),
            home: Some("/home/alice".into()),
        });
    update(&mut app, Event::Resize(w, h));
    update(&mut app, Event::Tick(NOW));
    app
}

fn app(w: u16, h: u16) -> App {
    app_with(w, h, false)
}

fn seen(mut s: Summary) -> Summary {
    s.flags.seen = true;
    s
}

fn keywords(mut s: Summary, k: &[&str]) -> Summary {
    s.keywords = k.iter().map(|k| k.to_string()).collect();
    s
}

fn threaded(mut s: Summary, id: &str, parent: Option<&str>) -> Summary {
    s.edit_text(|f| f.message_id = Some(format!("<{id}>")));
    s.edit_text(|f| f.in_reply_to = parent.map(|p| format!("<{p}>")).into_iter().collect());
    s.edit_text(|f| f.references = f.in_reply_to.clone());
    s
}

fn ch(c: char) -> Event {
    key(KeyCode::Char(c))
}

fn typed(text: &str) -> Vec<Event> {
    text.chars().map(ch).collect()
}

fn press<E: Into<Event>>(app: &mut App, events: impl IntoIterator<Item = E>) {
    for e in events {
        update(app, e);
    }
}

fn render(app: &App) -> (Buffer, Option<(u16, u16)>) {
    let (w, h) = app.size();
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
    t.draw(|f| draw(app, f)).expect("draw");
    let b = t.backend();
    let cursor = b
        .cursor_visible()
        .then(|| (b.cursor_position().x, b.cursor_position().y));
    (b.buffer().clone(), cursor)
}

/// The buffer as text, one line per row (trailing blanks dropped), and where the terminal's
/// cursor is when it shows. Fails on any control character: nothing a message or a server
/// sent may reach the terminal as one.
fn text(app: &App) -> String {
    let (buf, cursor) = render(app);
    let w = usize::from(buf.area.width);
    let mut out: Vec<String> = buf
        .content()
        .chunks(w)
        .map(|row| {
            let line: String = row.iter().map(|c| c.symbol()).collect();
            line.trim_end().to_string()
        })
        .collect();
    for (i, line) in out.iter().enumerate() {
        assert!(
            !line.chars().any(|c| c.is_control()
                || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')),
            "control character on line {i}: {line:?}"
        );
    }
    if let Some((x, y)) = cursor {
        out.push(format!("[cursor at {x},{y}]"));
    }
    out.join("\n")
}

/// Three accounts, like a support team's morning: support with team state, an on-behalf
/// sender, flags and attachments; sales with a few; billing empty. Delivered oldest first.
fn morning(w: u16, h: u16) -> App {
    let mut app = app(w, h);
    let mut on_behalf = msg(7, 3, "Example Sales", "Your quote, revised");
    on_behalf.edit_text(|f| f.from = vec![addr("Example Sales", "sales@example.test")]);
    on_behalf.edit_text(|f| f.sender = vec![addr("Bob", "bob@example.test")]);
    let mut invoice = seen(msg(1, 60 * 26, "Carol", "Invoice 2026-114 attached"));
    invoice.has_attachment = true;
    invoice.flags.answered = true;
    let mut urgent = msg(5, 12, "Grace", "URGENT: site down since 9:00");
    urgent.flags.flagged = true;
    let support = vec![
        invoice,
        keywords(
            seen(msg(2, 60 * 5, "Dave", "Cannot log in after reset")),
            &["$assigned.alice", "$pending"],
        ),
        keywords(msg(3, 95, "Erin", "Password reset"), &["$assigned.bob"]),
        keywords(
            msg(4, 40, "Frank", "Refund for order 5521"),
            &["$replying.bob", "$assigned.bob"],
        ),
        urgent,
        keywords(seen(msg(6, 60 * 24 * 9, "Heidi", "Thanks!")), &["$done"]),
        on_behalf,
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

const BODY: &str = "Hello,\n\nI reset my password this morning and still cannot log in: the page says \
\"account locked\". Could you have a look? Our whole team is waiting on this.\n\nThanks,\nErin\n\n\
> On 26 Nov 2026, Example Support wrote:\n> Please try resetting your password.\n";

fn open_body(app: &mut App, text: &str) {
    let uid = app.columns()[app.focus()]
        .selected_row()
        .map_or(0, |s| s.uid);
    press(
        app,
        [
            key(KeyCode::Enter),
            Event::Engine(EngineEvent::Body {
                account_idx: 0,
                uid,
                body: Ok(text.into()),
            }),
        ],
    );
}

#[test]
fn columns_three_accounts_120x30() {
    let mut app = morning(120, 30);
    press(&mut app, [ch('j')]);
    assert_snapshot!("columns_120x30", text(&app));
}

#[test]
fn tab_strip_fallback_60x20() {
    let mut app = morning(60, 20);
    press(&mut app, [ch('l')]);
    assert_snapshot!("tabs_60x20", text(&app));
}

#[test]
fn reader_full_screen() {
    let mut app = morning(100, 24);
    press(&mut app, [ch('j'), ch('j'), ch('j')]);
    open_body(&mut app, BODY);
    assert_snapshot!("reader_full", text(&app));
}

#[test]
fn reader_split_below_the_columns() {
    let mut app = morning(120, 34);
    press(&mut app, [ch('j'), ch('j'), ch('j')]);
    open_body(&mut app, BODY);
    press(&mut app, [ch('v')]);
    assert_snapshot!("reader_split", text(&app));
}

#[test]
fn reader_on_behalf_headers() {
    let mut app = morning(100, 20);
    let mut s = app.columns()[0].rows[0].clone();
    s.edit_text(|f| f.cc = vec![addr("", "boss@customer.test")]);
    s.date = Some(s.internal_date - 3600);
    update(
        &mut app,
        EngineEvent::Rows {
            account_idx: 0,
            rows: vec![s],
        },
    );
    open_body(&mut app, "Please find the revised quote below.\n");
    assert_snapshot!("reader_on_behalf", text(&app));
}

fn attachments_message() -> Vec<u8> {
    [
        "From: Carol <carol@customer.test>\r\n",
        "Subject: Invoice 2026-114 attached\r\n",
        "MIME-Version: 1.0\r\n",
        "Content-Type: multipart/mixed; boundary=\"b1\"\r\n",
        "\r\n",
        "--b1\r\n",
        "Content-Type: text/plain; charset=utf-8\r\n",
        "\r\n",
        "Please find the invoice and the delivery note attached.\r\n",
        "--b1\r\n",
        "Content-Type: application/pdf\r\n",
        "Content-Disposition: attachment; filename=\"invoice-2026-114.pdf\"\r\n",
        "Content-Transfer-Encoding: base64\r\n",
        "\r\n",
        "JVBERi0xLjQKJSBmYWtlIHBkZgo=\r\n",
        "--b1\r\n",
        "Content-Type: text/csv\r\n",
        "Content-Disposition: attachment; filename=\"C:\\\\Users\\\\carol\\\\delivery note.csv\"\r\n",
        "\r\n",
        "item,qty\r\nchair,40\r\n",
        "--b1\r\n",
        "Content-Type: image/png\r\n",
        "Content-ID: <logo@customer.test>\r\n",
        "Content-Transfer-Encoding: base64\r\n",
        "\r\n",
        "iVBORw0KGgo=\r\n",
        "--b1\r\n",
        "Content-Type: application/octet-stream\r\n",
        "Content-Disposition: attachment; filename=\"..\"\r\n",
        "\r\n",
        "x\r\n",
        "--b1--\r\n",
    ]
    .concat()
    .into_bytes()
}

/// Selects the message `uid` of the focused column.
fn select(app: &mut App, uid: u32) {
    press(app, [ch('g')]);
    for _ in 0..app.columns()[app.focus()].shown_len() {
        if app.columns()[app.focus()].selected_row().map(|s| s.uid) == Some(uid) {
            return;
        }
        press(app, [ch('j')]);
    }
    panic!("no message {uid}");
}

fn reader_with_attachments(w: u16, h: u16) -> App {
    let mut app = morning(w, h);
    select(&mut app, 1);
    press(&mut app, [key(KeyCode::Enter)]);
    let body = translate::opened(attachments_message()).expect("parsed");
    press(
        &mut app,
        [EngineEvent::Body {
            account_idx: 0,
            uid: 1,
            body: Ok(body),
        }],
    );
    app
}

#[test]
fn reader_lists_attachments() {
    let app = reader_with_attachments(100, 24);
    assert_snapshot!("reader_attachments", text(&app));
}

#[test]
fn save_prompt_and_saved_paths() {
    let mut app = reader_with_attachments(100, 24);
    press(&mut app, [ch('s')]);
    assert_snapshot!("reader_save_prompt", text(&app));
    press(
        &mut app,
        [
            key(KeyCode::Esc),
            Event::Engine(EngineEvent::Saved {
                results: vec![
                    (
                        0,
                        Ok("/home/alice/Downloads/invoice-2026-114 (1).pdf".into()),
                    ),
                    (1, Ok("/home/alice/Downloads/delivery note.csv".into())),
                ],
            }),
        ],
    );
    assert_snapshot!("reader_saved", text(&app));
}

#[test]
fn help_overlay() {
    let mut app = morning(100, 30);
    press(&mut app, [ch('?')]);
    assert_snapshot!("help_list", text(&app));
    press(&mut app, [ch('q'), key(KeyCode::Enter), ch('?')]);
    assert_snapshot!("help_reader", text(&app));
}

#[test]
fn command_line_with_completion() {
    let mut app = morning(120, 30);
    press(&mut app, [ch(':')]);
    press(&mut app, typed("focus s"));
    press(&mut app, [key(KeyCode::Tab)]);
    assert_snapshot!("command_completion", text(&app));
}

#[test]
fn filter_active() {
    let mut app = morning(120, 30);
    press(&mut app, [ch('/')]);
    press(&mut app, typed("pass"));
    assert_snapshot!("filter_typing", text(&app));
    press(&mut app, [key(KeyCode::Enter)]);
    assert_snapshot!("filter_kept", text(&app));
}

#[test]
fn thread_view() {
    let mut app = app(120, 30);
    let rows = vec![
        threaded(msg(1, 300, "Carol", "Order #1 never arrived"), "o1@c", None),
        threaded(
            seen(msg(2, 200, "Alice", "Re: Order #1 never arrived")),
            "r1@s",
            Some("o1@c"),
        ),
        threaded(msg(3, 150, "Dave", "Password reset"), "p@c", None),
        threaded(
            seen(msg(4, 60, "Bob", "Re: Password reset")),
            "r3@s",
            Some("p@c"),
        ),
        threaded(
            msg(5, 10, "Carol", "Re: Re: Order #1 never arrived"),
            "o2@c",
            Some("r1@s"),
        ),
        threaded(msg(6, 5, "Erin", "New: billing address"), "n@c", None),
    ];
    press(
        &mut app,
        [
            Event::Engine(EngineEvent::Rows {
                account_idx: 0,
                rows,
            }),
            Event::Engine(EngineEvent::Loaded { account_idx: 0 }),
            Event::Engine(EngineEvent::Loaded { account_idx: 1 }),
            Event::Engine(EngineEvent::Loaded { account_idx: 2 }),
            ch('t'),
            ch('j'),
        ],
    );
    assert_snapshot!("threads", text(&app));
}

#[test]
fn offline_connecting_and_error_states() {
    let mut app = app(150, 24);
    let link = |account_idx, state| EngineEvent::Link {
        account_idx,
        state,
        at: NOW,
    };
    press(
        &mut app,
        [
            link(
                0,
                ConnState::Offline {
                    error: "IMAP 127.0.0.1:11993: cannot connect: connection refused".into(),
                    retry_in: Duration::from_secs(5),
                },
            ),
            link(0, ConnState::Connecting),
            link(
                1,
                ConnState::Offline {
                    error: "IMAP mail.example.test:993: timed out".into(),
                    retry_in: Duration::from_millis(7500),
                },
            ),
            EngineEvent::Error {
                account_idx: Some(2),
                message: "billing: cannot start: password_command failed: exit status 1".into(),
            },
        ],
    );
    assert_snapshot!("connection_states", text(&app));
    // A cached column while offline, then online.
    press(
        &mut app,
        [
            Event::Engine(EngineEvent::Cached {
                account_idx: 1,
                rows: vec![msg(10, 20, "Judy", "Volume discount?")],
            }),
            Event::Engine(link(0, ConnState::Online { idle: true })),
            Event::Engine(EngineEvent::Synced {
                account_idx: 0,
                exists: 0,
            }),
            Event::Tick(NOW + 3),
        ],
    );
    assert_snapshot!("connection_states_later", text(&app));
}

#[test]
fn read_only_account() {
    let mut app = morning(120, 30);
    press(
        &mut app,
        [
            Event::Engine(EngineEvent::Access {
                account_idx: 0,
                rights: Rights::parse("lr"),
                team_state: mailroom::triage::folders::TeamStateAt::Keywords,
            }),
            ch(' '),
        ],
    );
    assert_snapshot!("read_only", text(&app));
}

#[test]
fn hostile_message() {
    let mut app = app(120, 30);
    let mut evil = msg(66, 1, "Mallory", "\x1b]0;pwned\x07 urgent \u{202E}gpj.exe");
    evil.edit_text(|f| f.from = vec![addr("\x1b[31mMallory\u{2066}", "m@evil.test")]);
    evil.edit_text(|f| f.to = vec![addr("\u{9b}2J", "x@evil.test")]);
    evil.keywords = mailroom::message::Keywords::new::<String>(vec![
        "$replying.\x1b[2J".into(),
        "$assigned.bob".into(),
    ]);
    press(
        &mut app,
        [
            EngineEvent::Rows {
                account_idx: 0,
                rows: vec![evil],
            },
            EngineEvent::Loaded { account_idx: 0 },
            EngineEvent::Error {
                account_idx: Some(1),
                message: "sales: server said \x1b]52;c;ZXZpbA==\x07\r\nBYE".into(),
            },
        ],
    );
    assert_snapshot!("hostile_columns", text(&app));
    press(
        &mut app,
        [
            key(KeyCode::Enter),
            Event::Engine(EngineEvent::Body {
                account_idx: 0,
                uid: 66,
                body: Ok(
                    "hi\x1b[2J\x1bP+q\x1b\\ there\u{202E}\r\nline two\x07\n\u{9b}31mred".into(),
                ),
            }),
        ],
    );
    assert_snapshot!("hostile_reader", text(&app));
}

#[test]
fn outbox_in_the_status_line() {
    let mut app = morning(120, 30);
    press(
        &mut app,
        [EngineEvent::Outbox(OutboxStatus {
            queued: 1,
            deferred: 1,
            failed: 1,
            delivered: 0,
            last_error: Some("refused: 550 5.7.1 bob may not send as support@".into()),
            elsewhere: false,
            ..OutboxStatus::default()
        })],
    );
    assert_snapshot!("outbox_status", text(&app));
}

/// One character per cell for what NO_COLOR leaves: text attributes. `.` plain, `b` bold,
/// `r` reversed, `R` reversed and bold, `d` dim, `u` underlined, `*` other combinations.
fn style_map(buf: &Buffer) -> String {
    let w = usize::from(buf.area.width);
    buf.content()
        .chunks(w)
        .map(|row| {
            row.iter()
                .map(|c| {
                    let m = c.modifier;
                    match (
                        m.contains(Modifier::BOLD),
                        m.contains(Modifier::REVERSED),
                        m - Modifier::BOLD - Modifier::REVERSED,
                    ) {
                        (false, false, o) if o.is_empty() => '.',
                        (true, false, o) if o.is_empty() => 'b',
                        (false, true, o) if o.is_empty() => 'r',
                        (true, true, o) if o.is_empty() => 'R',
                        (false, false, o) if o == Modifier::DIM => 'd',
                        (false, false, o) if o == Modifier::UNDERLINED => 'u',
                        _ => '*',
                    }
                })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn no_color() {
    let mut app = app_with(100, 16, true);
    press(
        &mut app,
        [
            EngineEvent::Rows {
                account_idx: 0,
                rows: vec![
                    seen(msg(1, 60, "Carol", "Invoice question")),
                    msg(2, 5, "Erin", "Password reset"),
                ],
            },
            EngineEvent::Loaded { account_idx: 0 },
            EngineEvent::Loaded { account_idx: 1 },
            EngineEvent::Loaded { account_idx: 2 },
        ],
    );
    let (buf, _) = render(&app);
    // No colour at all: every cell keeps the terminal's own.
    for c in buf.content() {
        assert!(
            matches!(c.fg, Color::Reset) && matches!(c.bg, Color::Reset),
            "{c:?}"
        );
    }
    assert_snapshot!("no_color", format!("{}\n\n{}", text(&app), style_map(&buf)));
}
