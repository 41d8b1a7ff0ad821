//! Internal notes on the app state: `n` opens the note pane on the selected or open message,
//! Ctrl-x sends exactly one `Request::AddNote` with the text, a read-only column refuses, the
//! pane never loses typed text to a lone Esc or a failure, and the reader shows the message's
//! notes after its body, in their own style, sanitized and scrolling with it. No terminal, no
//! threads: synthetic events in, state, commands and a TestBackend screen out.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Modifier;

use mailroom::engine::event::NoteAdded;
use mailroom::engine::{Event as EngineEvent, Request};
use mailroom::mail::note::Note;
use mailroom::message::{Address, Summary};
use mailroom::policy::rights::Rights;
use mailroom::ui::app::{App, update};
use mailroom::ui::draw::draw;
use mailroom::ui::event::Event;
use mailroom::ui::screen::notes::model::ReaderNotes;
use mailroom::ui::theme::{BUILTIN, Theme};

use crate::ui_support;
use ui_support::{NOW, ctrl, key, msg, press};

const ID: &str = "q7@customer.test";

fn ch(c: char) -> Event {
    let m = if c.is_ascii_uppercase() {
        KeyModifiers::SHIFT
    } else {
        KeyModifiers::NONE
    };
    Event::Key(KeyEvent::new(KeyCode::Char(c), m))
}

fn typed(text: &str) -> Vec<Event> {
    text.chars()
        .map(|c| {
            if c == '\n' {
                key(KeyCode::Enter)
            } else {
                ch(c)
            }
        })
        .collect()
}

fn message(uid: u32, subject: &str) -> Summary {
    let mut m = msg(uid, 30, "Carol", subject);
    m.edit_text(|f| f.message_id = Some(ID.to_string()));
    m
}

/// One column, "support", with one message that has a Message-ID; `rights` as the server said.
fn app_with(rights: Option<&str>, w: u16, h: u16) -> App {
    let theme = Theme::parse(BUILTIN[0].1, "default").expect("built-in theme");
    let mut app = App::new(&[(0, "support".to_string())], theme, false).with_agent("alice");
    update(&mut app, Event::Resize(w, h));
    update(&mut app, Event::Tick(NOW));
    press(
        &mut app,
        [
            EngineEvent::Rows {
                account_idx: 0,
                rows: vec![message(7, "Refund for order 1234")],
            },
            EngineEvent::Loaded { account_idx: 0 },
        ],
    );
    if let Some(r) = rights {
        update(
            &mut app,
            EngineEvent::Access {
                account_idx: 0,
                rights: Rights::parse(r),
                team_state: mailroom::triage::folders::TeamStateAt::Keywords,
            },
        );
    }
    app
}

fn buffer(app: &App) -> Buffer {
    let (w, h) = app.size();
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
    t.draw(|f| draw(app, f)).expect("draw");
    t.backend().buffer().clone()
}

fn screen_of(buf: &Buffer) -> String {
    let w = usize::from(buf.area.width);
    buf.content()
        .chunks(w)
        .map(|row| row.iter().map(|c| c.symbol()).collect::<String>())
        .collect::<Vec<_>>()
        .join("\n")
}

fn screen(app: &App) -> String {
    screen_of(&buffer(app))
}

fn note(uid: u32, agent: Option<&str>, date: i64, text: &str) -> Note {
    Note {
        uid,
        agent: agent.map(str::to_string),
        from: Some(Address {
            name: Some("Alice Example".into()),
            email: "alice@example.test".into(),
        }),
        date,
        message_id: Some(format!("note{uid}@example.test")),
        in_reply_to: vec![ID.to_string()],
        references: vec![ID.to_string()],
        subject: "[note] Refund for order 1234".into(),
        text: text.to_string(),
        truncated: false,
    }
}

/// Opens the message in the reader with its body; returns the commands the opening sent.
fn open(app: &mut App, body: &str) -> Vec<Request> {
    let commands = press(app, [key(KeyCode::Enter)]);
    update(
        app,
        EngineEvent::Body {
            account_idx: 0,
            uid: 7,
            body: Ok(body.into()),
        },
    );
    commands
}

#[test]
fn n_opens_the_pane_and_ctrl_x_sends_exactly_one_note() {
    let mut app = app_with(Some("lrswipkxtea"), 100, 30);
    assert!(press(&mut app, [ch('n')]).is_empty());
    let n = app.note().expect("the note pane is open");
    assert_eq!((n.account_idx, n.uid), (0, 7));
    let s = screen(&app);
    assert!(
        s.contains("Internal note on: Refund for order 1234 — visible to the team, never sent"),
        "{s}"
    );
    assert!(s.contains("Ctrl-x add"), "{s}");
    // Typing: letters that are keys elsewhere (q, n, j) are text here.
    let commands = press(&mut app, typed("Called back: qnj ok.\nRefund approved"));
    assert!(commands.is_empty(), "{commands:?}");
    assert!(screen(&app).contains("Called back: qnj ok."));
    let commands = press(&mut app, [ctrl('x')]);
    let [
        Request::AddNote {
            account_idx: 0,
            id,
            uid: 7,
            text,
        },
    ] = commands.as_slice()
    else {
        panic!("exactly one AddNote: {commands:?}");
    };
    assert_eq!(text, "Called back: qnj ok.\nRefund approved");
    // While it is on its way, a second Ctrl-x sends nothing more.
    assert!(press(&mut app, [ctrl('x')]).is_empty());
    assert!(screen(&app).contains("adding the note…"));
    // Done: the pane closes and the status line says where the note went.
    let commands = update(
        &mut app,
        EngineEvent::NoteAdded {
            account_idx: 0,
            id: *id,
            uid: 7,
            result: Ok(NoteAdded {
                folder: "shared/support/Notes".into(),
                note_uid: Some(3),
            }),
        },
    );
    assert!(commands.is_empty(), "no reader open: {commands:?}");
    assert!(app.note().is_none());
    let s = screen(&app);
    assert!(s.contains("note added to shared/support/Notes"), "{s}");
}

#[test]
fn a_read_only_column_refuses_and_names_the_right() {
    let mut app = app_with(Some("lr"), 100, 30);
    assert!(press(&mut app, [ch('n')]).is_empty());
    assert!(app.note().is_none());
    let e = app.error().expect("an error").to_string();
    assert!(e.contains("`i`") && e.contains("(yours: lr)"), "{e}");
    // In the reader too.
    open(&mut app, "Hello");
    assert!(press(&mut app, [ch('n')]).is_empty());
    assert!(app.note().is_none());
    // Unknown rights are no reason to refuse: the server decides.
    let mut app = app_with(None, 100, 30);
    press(&mut app, [ch('n')]);
    assert!(app.note().is_some());
}

#[test]
fn typed_text_is_never_lost_to_esc_close_or_a_failure() {
    let mut app = app_with(Some("lrswi"), 100, 30);
    press(&mut app, [ch('n')]);
    press(&mut app, typed("keep me"));
    // A lone Esc (a split escape sequence over a slow link) does nothing.
    press(&mut app, [key(KeyCode::Esc)]);
    assert_eq!(app.note().map(|n| n.body.text()), Some("keep me".into()));
    // Ctrl-q asks; any key but y goes back.
    press(&mut app, [ctrl('q')]);
    assert!(screen(&app).contains("discard this note?"));
    press(&mut app, [ch('n')]);
    assert_eq!(app.note().map(|n| n.body.text()), Some("keep me".into()));
    // A failure keeps the pane and the text, and says why.
    let commands = press(&mut app, [ctrl('x')]);
    let Some(Request::AddNote { id, .. }) = commands.first() else {
        panic!("{commands:?}");
    };
    update(
        &mut app,
        EngineEvent::NoteAdded {
            account_idx: 0,
            id: *id,
            uid: 7,
            result: Err(
                "\"shared/support/Notes\": adding a note needs the `i` right\x1b[2J".into(),
            ),
        },
    );
    let n = app.note().expect("still open");
    assert_eq!((n.body.text().as_str(), n.saving), ("keep me", None));
    let e = app.error().unwrap_or_default().to_string();
    assert!(e.contains("note not added") && !e.contains('\x1b'), "{e}");
    // Closed while it was on its way, then failed: the text comes back in a pane.
    let commands = press(&mut app, [ctrl('x'), ctrl('q')]);
    assert!(app.note().is_none());
    let Some(Request::AddNote { id, .. }) = commands.first() else {
        panic!("{commands:?}");
    };
    update(
        &mut app,
        EngineEvent::NoteAdded {
            account_idx: 0,
            id: *id,
            uid: 7,
            result: Err("offline".into()),
        },
    );
    assert_eq!(app.note().map(|n| n.body.text()), Some("keep me".into()));
    // y discards.
    press(&mut app, [ctrl('q'), ch('y')]);
    assert!(app.note().is_none());
    assert_eq!(app.notice(), Some("note discarded"));
}

#[test]
fn an_empty_note_is_not_sent() {
    let mut app = app_with(None, 100, 30);
    press(&mut app, [ch('n')]);
    press(&mut app, typed("  \n "));
    assert!(press(&mut app, [ctrl('x')]).is_empty());
    assert!(app.notice().unwrap_or_default().contains("empty"));
    assert!(app.note().is_some());
}

#[test]
fn opening_asks_for_notes_and_the_reader_shows_them_distinctly() {
    let mut app = app_with(Some("lrswi"), 100, 40);
    let commands = open(&mut app, "Hello, I want a refund.\n\n> quoted line");
    assert_eq!(
        commands,
        vec![
            Request::Open {
                account_idx: 0,
                uid: 7
            },
            Request::Notes {
                account_idx: 0,
                uid: 7,
                message_id: ID.into()
            }
        ]
    );
    let s = screen(&app);
    assert!(s.contains("notes: loading…"), "{s}");
    // 14:03 and 13:00 UTC, out of order: shown oldest first.
    let later = NOW + 2 * 3600 + 3 * 60;
    update(
        &mut app,
        EngineEvent::Notes {
            account_idx: 0,
            message_id: ID.into(),
            notes: Ok(vec![
                note(2, Some("alice"), later, "Refund approved.\nSent the label."),
                note(1, Some("bob"), NOW + 3600, "Called the customer."),
            ]),
        },
    );
    let buf = buffer(&app);
    let s = screen_of(&buf);
    assert!(!s.contains("notes: loading…"), "{s}");
    let rule = "── note · alice · 2026-11-27 14:03 UTC ──";
    assert!(s.contains(rule), "{s}");
    assert!(s.contains("── note · bob · 2026-11-27 13:00 UTC ──"), "{s}");
    assert!(s.contains("│ Refund approved."), "{s}");
    assert!(s.contains("│ Sent the label."), "{s}");
    let bob = s.find("note · bob").expect("bob's note");
    let alice = s.find("note · alice").expect("alice's note");
    assert!(bob < alice, "date order: {s}");
    // After the body, in the note style (the rule bold), unlike the body.
    assert!(
        s.find("Hello, I want a refund.").expect("body") < bob,
        "{s}"
    );
    let theme = Theme::parse(BUILTIN[0].1, "default").expect("theme");
    let note_fg = theme
        .style("reader_note", false)
        .fg
        .expect("reader_note has a colour");
    assert_ne!(Some(note_fg), theme.style("reader_body", false).fg);
    let (x, y) = position(&s, rule);
    let cell = &buf[(x, y)];
    assert_eq!(cell.fg, note_fg);
    assert!(cell.modifier.contains(Modifier::BOLD));
    let (x, y) = position(&s, "│ Refund approved.");
    assert_eq!(buf[(x + 2, y)].fg, note_fg);
    let (x, y) = position(&s, "Hello, I want a refund.");
    assert_ne!(buf[(x, y)].fg, note_fg);
}

/// Where `needle` starts on the screen `s` (in cells; the needle's line is ASCII before it or
/// made of single-cell characters).
fn position(s: &str, needle: &str) -> (u16, u16) {
    for (y, line) in s.lines().enumerate() {
        if let Some(i) = line.find(needle) {
            let x = line[..i].chars().count();
            return (u16::try_from(x).expect("x"), u16::try_from(y).expect("y"));
        }
    }
    panic!("{needle:?} not on screen:\n{s}");
}

#[test]
fn hostile_notes_render_harmless() {
    let mut app = app_with(None, 100, 40);
    open(&mut app, "Hello");
    let mut evil = note(
        3,
        None,
        NOW,
        "\x1b]0;pwned\x07title \x1b[2Jclear \u{202E}gnp.exe \u{9b}31m\nsecond\rline\x00",
    );
    evil.from = Some(Address {
        name: Some("Mallory\x1b[31m\n── note · admin".into()),
        email: "m@x.test".into(),
    });
    update(
        &mut app,
        EngineEvent::Notes {
            account_idx: 0,
            message_id: ID.into(),
            notes: Ok(vec![evil]),
        },
    );
    let buf = buffer(&app);
    for c in buf.content() {
        for ch in c.symbol().chars() {
            assert!(
                !ch.is_control() && ch != '\u{202E}',
                "control {ch:?} reached the screen"
            );
        }
    }
    let s = screen_of(&buf);
    // One rule line (the author's line break did not make a second one), and the text.
    let rules = s
        .lines()
        .filter(|l| l.trim_start().starts_with("── note · "))
        .count();
    assert_eq!(rules, 1, "{s}");
    assert!(s.contains("^[]0;pwned"), "controls are shown as text: {s}");
    assert!(
        s.contains("│ ") && s.contains("title") && s.contains("second"),
        "{s}"
    );
}

#[test]
fn stale_notes_are_dropped_and_failures_said() {
    let mut app = app_with(None, 100, 40);
    open(&mut app, "Hello");
    update(
        &mut app,
        EngineEvent::Notes {
            account_idx: 0,
            message_id: "other@x.test".into(),
            notes: Ok(vec![note(1, Some("bob"), NOW, "not this one")]),
        },
    );
    assert_eq!(app.reader().map(|r| &r.notes), Some(&ReaderNotes::Loading));
    update(
        &mut app,
        EngineEvent::Notes {
            account_idx: 0,
            message_id: ID.into(),
            notes: Err("\"shared/support/Notes\": NO [NOPERM] no\x1b[2J".into()),
        },
    );
    let s = screen(&app);
    assert!(s.contains("notes: could not be read:"), "{s}");
    assert!(!s.contains('\x1b'));
}

#[test]
fn a_message_without_message_id_has_no_notes_and_refuses_a_note() {
    let theme = Theme::parse(BUILTIN[0].1, "default").expect("built-in theme");
    let mut app = App::new(&[(0, "support".to_string())], theme, false);
    update(&mut app, Event::Resize(100, 30));
    press(
        &mut app,
        [EngineEvent::Rows {
            account_idx: 0,
            rows: vec![msg(9, 5, "Dan", "No id")],
        }],
    );
    let commands = press(&mut app, [key(KeyCode::Enter)]);
    assert_eq!(
        commands,
        vec![Request::Open {
            account_idx: 0,
            uid: 9
        }]
    );
    press(&mut app, [ch('n')]);
    assert!(app.note().is_none());
    assert!(app.error().unwrap_or_default().contains("no Message-ID"));
}

#[test]
fn notes_scroll_with_the_body_and_refresh_after_adding() {
    let mut app = app_with(None, 80, 24);
    let body: String = (1..=60).map(|i| format!("body line {i}\n")).collect();
    open(&mut app, &body);
    update(
        &mut app,
        EngineEvent::Notes {
            account_idx: 0,
            message_id: ID.into(),
            notes: Ok(vec![note(1, Some("bob"), NOW, "the last word")]),
        },
    );
    assert!(!screen(&app).contains("│ the last word"));
    press(&mut app, [ch('G')]);
    let s = screen(&app);
    assert!(
        s.contains("│ the last word") && s.contains("note · bob"),
        "{s}"
    );
    // Adding a note from the reader reads its notes again once it is in.
    press(&mut app, [ch('n')]);
    press(&mut app, typed("another"));
    let commands = press(&mut app, [ctrl('x')]);
    let Some(Request::AddNote { id, .. }) = commands.first() else {
        panic!("{commands:?}");
    };
    let commands = update(
        &mut app,
        EngineEvent::NoteAdded {
            account_idx: 0,
            id: *id,
            uid: 7,
            result: Ok(NoteAdded {
                folder: "Notes".into(),
                note_uid: None,
            }),
        },
    );
    assert_eq!(
        commands,
        vec![Request::Notes {
            account_idx: 0,
            uid: 7,
            message_id: ID.into()
        }]
    );
}

#[test]
fn a_note_never_lands_on_another_message_after_a_mailbox_reset() {
    // The pane is open on UID 7 when the mailbox's UIDVALIDITY changes: UID 7 now names
    // another customer's message. The note must not be linked to it; the text is kept.
    let mut app = app_with(Some("lrswi"), 100, 30);
    press(&mut app, [ch('n')]);
    press(&mut app, typed("Refund approved for Carol"));
    let mut other = msg(7, 10, "Dave", "Completely different matter");
    other.edit_text(|f| f.message_id = Some("other@elsewhere.test".into()));
    press(
        &mut app,
        [
            EngineEvent::Reset {
                account_idx: 0,
                reason: "the mailbox was recreated (UIDVALIDITY changed)".into(),
            },
            EngineEvent::Rows {
                account_idx: 0,
                rows: vec![other],
            },
        ],
    );
    let commands = press(&mut app, [ctrl('x')]);
    assert!(commands.is_empty(), "sent to another message: {commands:?}");
    assert_eq!(
        app.note().map(|n| n.body.text()),
        Some("Refund approved for Carol".into())
    );
    let e = app.error().unwrap_or_default().to_string();
    assert!(e.contains("not added") && e.contains("kept"), "{e}");
    // The message gone altogether: the same, before anything is sent.
    press(
        &mut app,
        [EngineEvent::Vanished {
            account_idx: 0,
            uids: vec![7],
        }],
    );
    assert!(press(&mut app, [ctrl('x')]).is_empty());
    assert!(app.note().is_some());
}

#[test]
fn a_long_note_line_wraps_and_up_moves_within_it() {
    // 82 columns: the pane's inside is 80 cells wide.
    let mut app = app_with(Some("lrswipkxtea"), 82, 30);
    press(&mut app, [ch('n')]);
    let words: Vec<String> = (0..40).map(|i| format!("w{i:03}")).collect();
    let text = format!("{}!", words.join(" "));
    assert_eq!(text.chars().count(), 200);
    press(&mut app, typed(&text));
    let (w, h) = app.size();
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
    t.draw(|f| draw(&app, f)).expect("draw");
    let s = screen_of(t.backend().buffer());
    let at = |needle: &str| position(&s, needle);
    // All of it on screen, 16 words a row, nothing cut.
    for i in 0..40 {
        assert!(s.contains(&format!("w{i:03}")), "{s}");
    }
    let (x0, y0) = at("w000");
    assert_eq!(at("w016"), (x0, y0 + 1));
    assert_eq!(at("w032"), (x0, y0 + 2));
    // The cursor is after the "!", on the last row.
    let (bx, by) = at("w039!");
    let p = t.backend().cursor_position();
    assert_eq!((p.x, p.y), (bx + 5, by));
    // Up: the row above, same column; typing lands there and the note is one line.
    press(&mut app, [key(KeyCode::Up), ch('X')]);
    t.draw(|f| draw(&app, f)).expect("draw");
    let p = t.backend().cursor_position();
    assert_eq!((p.x, p.y), (bx + 6, by - 1));
    let n = app.note().expect("note pane");
    assert_eq!(n.body.text(), text.replace("w024", "Xw024"));
    let commands = press(&mut app, [ctrl('x')]);
    assert!(
        matches!(commands.as_slice(), [Request::AddNote { text: sent, .. }] if !sent.contains('\n') && sent.len() == 201),
        "{commands:?}"
    );
}
