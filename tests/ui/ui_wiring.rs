//! The pure modules wired into the column view: threads (`mail::thread`), attachments in the
//! reader and `:save` (`mail::attachments`), and the outbox in the status line — driven by
//! synthetic events, rendered into ratatui's TestBackend.

use std::time::{Duration, Instant};

use crossterm::event::KeyCode;

use mailroom::engine::event::{Opened, OutboxStatus};
use mailroom::engine::save::save_attachments;
use mailroom::engine::translate;
use mailroom::engine::{Event as EngineEvent, Request};
use mailroom::message::Summary;
use mailroom::ui::app::{App, update};
use mailroom::ui::coalesce;
use mailroom::ui::event::Event;
use mailroom::ui::screen::reader::SaveDirs;

use crate::ui_support;
use ui_support::{key, msg, press, screen, selected_uid, shown_uids, sized, status_line, theme};

fn app(w: u16, h: u16) -> App {
    let cols = [
        (0, "support".to_string()),
        (1, "sales".to_string()),
        (2, "billing".to_string()),
    ];
    sized(App::new(&cols, theme(), false).with_agent("alice"), w, h)
}

fn threaded(mut s: Summary, id: &str, parent: Option<&str>, refs: &[&str]) -> Summary {
    s.edit_text(|f| f.message_id = Some(format!("<{id}>")));
    s.edit_text(|f| f.in_reply_to = parent.map(|p| format!("<{p}>")).into_iter().collect());
    s.edit_text(|f| f.references = refs.iter().map(|r| format!("<{r}>")).collect());
    s
}

fn ch(c: char) -> Event {
    key(KeyCode::Char(c))
}

fn typed(text: &str) -> Vec<Event> {
    text.chars().map(ch).collect()
}

/// Two conversations in support, delivered oldest first: "Order #1" with a reply and a reply
/// to the reply, "Password reset" with one reply.
fn conversations() -> Vec<Summary> {
    vec![
        threaded(msg(1, 300, "Carol", "Order #1"), "o1@c", None, &[]),
        threaded(
            msg(2, 200, "Alice", "Re: Order #1"),
            "r1@s",
            Some("o1@c"),
            &["o1@c"],
        ),
        threaded(msg(3, 150, "Dave", "Password reset"), "p@c", None, &[]),
        threaded(
            msg(5, 60, "Bob", "Re: Password reset"),
            "r3@s",
            Some("p@c"),
            &["p@c"],
        ),
        threaded(
            msg(4, 10, "Carol", "Re: Re: Order #1"),
            "o2@c",
            Some("r1@s"),
            &["o1@c", "r1@s"],
        ),
    ]
}

fn with_conversations(w: u16, h: u16) -> App {
    let mut app = app(w, h);
    press(
        &mut app,
        [
            EngineEvent::Rows {
                account_idx: 0,
                rows: conversations(),
            },
            EngineEvent::Loaded { account_idx: 0 },
        ],
    );
    app
}

// ---- threads -------------------------------------------------------------------------------

#[test]
fn t_groups_rows_by_thread_newest_thread_first_and_keeps_the_selection() {
    let mut app = with_conversations(120, 30);
    assert_eq!(shown_uids(&app, 0), [4, 5, 3, 2, 1]);
    press(&mut app, [ch('j'), ch('j')]);
    assert_eq!(selected_uid(&app), Some(3));

    press(&mut app, [ch('t')]);
    assert!(app.threaded() && app.columns().iter().all(|c| c.threaded()));
    // The thread with the newest message first; each thread in arrival order, depth first.
    assert_eq!(shown_uids(&app, 0), [1, 2, 4, 3, 5]);
    let depths: Vec<u8> = (0..5).map(|i| app.columns()[0].depth(i)).collect();
    assert_eq!(depths, [0, 1, 2, 0, 1]);
    assert_eq!(
        selected_uid(&app),
        Some(3),
        "the selection follows its message"
    );
    let s = screen(&app);
    assert!(s.contains("Order #1"), "{s}");
    assert!(s.contains("↳ Re: Order #1"), "{s}");
    assert!(s.contains("  ↳ Re: Re: Ord"), "indented by depth: {s}");
    assert!(s.contains(" threads ·"), "the header says so: {s}");
    assert!(
        status_line(&app).contains("threads: grouped"),
        "{}",
        status_line(&app)
    );
    // Counts do not change.
    assert_eq!(app.columns()[0].unread, 5);
    assert!(s.contains("5 · 5 unread"), "{s}");

    // Navigation walks the threaded order.
    press(&mut app, [ch('g'), ch('j')]);
    assert_eq!(selected_uid(&app), Some(2));
    press(&mut app, [ch('G')]);
    assert_eq!(selected_uid(&app), Some(5));

    // :threads off goes back to the flat list, on the same message.
    press(&mut app, [ch(':')]);
    press(&mut app, typed("threads off"));
    press(&mut app, [key(KeyCode::Enter)]);
    assert!(!app.threaded());
    assert_eq!(shown_uids(&app, 0), [4, 5, 3, 2, 1]);
    assert_eq!(selected_uid(&app), Some(5));
    assert!(!screen(&app).contains("↳"));
    press(&mut app, [ch(':')]);
    press(&mut app, typed("threads on"));
    press(&mut app, [key(KeyCode::Enter)]);
    assert!(app.threaded());
    press(&mut app, [ch(':')]);
    press(&mut app, typed("threads sideways"));
    press(&mut app, [key(KeyCode::Enter)]);
    assert!(app.error().is_some_and(|e| e.contains("usage: :threads")));
}

#[test]
fn filters_and_new_rows_work_in_thread_order() {
    let mut app = with_conversations(120, 30);
    press(&mut app, [ch('t'), ch('/')]);
    press(&mut app, typed("order"));
    // Matching rows, still in thread order with their depth.
    assert_eq!(shown_uids(&app, 0), [1, 2, 4]);
    assert_eq!(app.columns()[0].depth(2), 2);
    assert!(screen(&app).contains("/order: 3 of 5 in this view"));
    press(&mut app, [key(KeyCode::Esc)]);
    assert_eq!(shown_uids(&app, 0), [1, 2, 4, 3, 5]);

    // A new reply joins its thread, which moves to the top.
    press(
        &mut app,
        [EngineEvent::Rows {
            account_idx: 0,
            rows: vec![threaded(
                msg(6, 1, "Dave", "Re: Password reset"),
                "p2@c",
                Some("r3@s"),
                &["p@c", "r3@s"],
            )],
        }],
    );
    assert_eq!(shown_uids(&app, 0), [3, 5, 6, 1, 2, 4]);
    assert_eq!(app.columns()[0].depth(2), 2);

    // A vanished parent: its replies stay, the selection stays on its message.
    press(&mut app, [ch('G')]);
    assert_eq!(selected_uid(&app), Some(4));
    press(
        &mut app,
        [EngineEvent::Vanished {
            account_idx: 0,
            uids: vec![1],
        }],
    );
    assert_eq!(selected_uid(&app), Some(4));
    assert_eq!(app.columns()[0].shown_len(), 5);
    // A reset empties the column; threads stay on for what comes next.
    press(
        &mut app,
        [EngineEvent::Reset {
            account_idx: 0,
            reason: "UIDVALIDITY changed".into(),
        }],
    );
    assert!(app.columns()[0].threaded() && app.columns()[0].shown_len() == 0);
}

#[test]
fn hostile_thread_headers_do_not_hang_or_nest_forever() {
    let mut app = app(120, 30);
    // A reference loop, a message naming itself, and a 5,000-message reply chain.
    let mut rows = vec![
        threaded(msg(1, 50, "A", "loop a"), "a", Some("b"), &["b"]),
        threaded(msg(2, 49, "B", "loop b"), "b", Some("a"), &["a"]),
        threaded(msg(3, 48, "C", "self"), "c", Some("c"), &["c"]),
    ];
    for i in 0..5000u32 {
        let parent = (i > 0).then(|| format!("chain{}", i - 1));
        rows.push(threaded(
            msg(10 + i, 40, "D", &format!("chain {i}")),
            &format!("chain{i}"),
            parent.as_deref(),
            &[],
        ));
    }
    press(
        &mut app,
        [
            Event::Engine(EngineEvent::Rows {
                account_idx: 0,
                rows,
            }),
            ch('t'),
        ],
    );
    let c = &app.columns()[0];
    assert_eq!(c.shown_len(), 5003);
    let deepest = (0..c.shown_len()).map(|i| c.depth(i)).max();
    assert_eq!(deepest, Some(mailroom::mail::thread::MAX_DEPTH));
    press(&mut app, [ch('G')]);
    // Deep replies are indented a bounded amount: the subject stays on screen.
    let s = screen(&app);
    assert!(s.contains("↳ chain 4999"), "{s}");
}

/// 100,000 rows in each of three columns: threads are computed when turned on, not per key
/// or per frame (at about 30 ms a column in release, per-key threading would be visible).
#[test]
fn threads_over_100k_rows_cost_once_not_per_key() {
    let mut app = app(200, 60);
    for col in 0..3 {
        let rows: Vec<Summary> = (0..100_000u32)
            .map(|i| {
                let parent = (i % 4 != 0).then(|| format!("m{}-{col}", i - 1));
                threaded(
                    msg(i + 1, i64::from(100_000 - i), "Zed", "subject"),
                    &format!("m{i}-{col}"),
                    parent.as_deref(),
                    &[],
                )
            })
            .collect();
        update(
            &mut app,
            EngineEvent::Cached {
                account_idx: col,
                rows,
            },
        );
    }
    press(&mut app, [ch('t')]);
    assert!(app.columns().iter().all(|c| c.shown_len() == 100_000));
    // The newest message stays selected: the last of the newest thread of four.
    assert_eq!(app.columns()[0].selected, 3);
    let start = Instant::now();
    for _ in 0..50 {
        press(&mut app, [ch('j'), ch('l'), ch('h')]);
        let _ = screen(&app);
    }
    // Generous for an unoptimized build on a slow machine; re-threading per key would take
    // tens of seconds here.
    assert!(
        start.elapsed() < Duration::from_secs(8),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(app.columns()[0].selected, 53);
}

#[test]
fn bursts_of_row_batches_are_merged_per_account() {
    let batch = |a: usize, uid: u32| EngineEvent::Rows {
        account_idx: a,
        rows: vec![msg(uid, 1, "X", "x")],
    };
    let merged = coalesce(vec![
        Event::Engine(batch(0, 1)),
        Event::Engine(batch(0, 2)),
        Event::Engine(batch(1, 3)),
        Event::Engine(batch(1, 4)),
        ch('j'),
        Event::Engine(batch(1, 5)),
        Event::Engine(EngineEvent::Cached {
            account_idx: 0,
            rows: vec![msg(6, 1, "X", "x")],
        }),
        Event::Engine(EngineEvent::Cached {
            account_idx: 0,
            rows: vec![msg(7, 1, "X", "x")],
        }),
    ]);
    let shape: Vec<String> = merged
        .iter()
        .map(|e| match e {
            Event::Engine(EngineEvent::Rows { account_idx, rows }) => {
                format!("rows{account_idx}:{}", rows.len())
            }
            Event::Engine(EngineEvent::Cached { account_idx, rows }) => {
                format!("cached{account_idx}:{}", rows.len())
            }
            Event::Key(_) => "key".to_string(),
            _ => "other".to_string(),
        })
        .collect();
    assert_eq!(shape, ["rows0:2", "rows1:2", "key", "rows1:1", "cached0:2"]);

    // A UID in two merged batches: the later copy wins, shown once.
    let mut app = app(120, 30);
    let mut newer = msg(1, 1, "X", "second copy");
    newer.flags.seen = true;
    for ev in coalesce(vec![
        Event::Engine(EngineEvent::Rows {
            account_idx: 0,
            rows: vec![msg(1, 1, "X", "first copy"), msg(2, 2, "Y", "other")],
        }),
        Event::Engine(EngineEvent::Rows {
            account_idx: 0,
            rows: vec![newer],
        }),
    ]) {
        update(&mut app, ev);
    }
    assert_eq!(shown_uids(&app, 0), [1, 2]);
    assert_eq!(
        app.columns()[0].rows[0].subject(),
        "second copy",
        "{:?}",
        app.columns()[0].rows
    );
    assert_eq!(app.columns()[0].unread, 1);
}

// ---- attachments -----------------------------------------------------------------------------

/// A message with a PDF, a file whose name tries to climb out of the folder and carries an
/// escape sequence, and an inline image.
fn with_attachments() -> Vec<u8> {
    [
        "From: Carol <carol@customer.test>\r\n",
        "To: support@example.test\r\n",
        "Subject: Invoice\r\n",
        "Message-ID: <inv@customer.test>\r\n",
        "MIME-Version: 1.0\r\n",
        "Content-Type: multipart/mixed; boundary=\"b1\"\r\n",
        "\r\n",
        "--b1\r\n",
        "Content-Type: text/plain; charset=utf-8\r\n",
        "\r\n",
        "Please find the invoice attached.\r\n",
        "--b1\r\n",
        "Content-Type: application/pdf; name=\"invoice-2026.pdf\"\r\n",
        "Content-Disposition: attachment; filename=\"invoice-2026.pdf\"\r\n",
        "Content-Transfer-Encoding: base64\r\n",
        "\r\n",
        "JVBERi0xLjQKJSBmYWtlIHBkZgo=\r\n",
        "--b1\r\n",
        "Content-Type: text/plain; name=\"x.sh\"\r\n",
        "Content-Disposition: attachment; filename=\"../../.bashrc\x1b]0;pwned\x07\"\r\n",
        "\r\n",
        "echo pwned\r\n",
        "--b1--\r\n",
    ]
    .concat()
    .into_bytes()
}

fn opened_with_attachments(app: &mut App) {
    let mut s = msg(3, 5, "Carol", "Invoice");
    s.has_attachment = true;
    press(
        app,
        [EngineEvent::Rows {
            account_idx: 0,
            rows: vec![s],
        }],
    );
    press(app, [key(KeyCode::Enter)]);
    let body = translate::opened(with_attachments()).expect("parsed");
    press(
        app,
        [EngineEvent::Body {
            account_idx: 0,
            uid: 3,
            body: Ok(body),
        }],
    );
}

#[test]
fn the_reader_lists_attachments_with_safe_names_type_and_size() {
    let mut app = app(100, 30);
    opened_with_attachments(&mut app);
    let r = app.reader().expect("reader");
    assert_eq!(r.attachments.len(), 2);
    let s = screen(&app);
    assert!(s.contains("Please find the invoice attached."), "{s}");
    assert!(
        s.contains("Attach:  [1] invoice-2026.pdf  application/pdf, 20 B"),
        "{s}"
    );
    // The base name only, no leading dot, controls made visible and harmless.
    assert!(s.contains("[2] bashrc_]0;pwned_  text/plain"), "{s}");
    assert!(!s.contains('\u{1b}') && !s.contains(".."), "{s}");
    // Under the headers, above the body's separator.
    let lines: Vec<&str> = s.lines().collect();
    let attach = lines.iter().position(|l| l.contains("[2] bashrc"));
    let sep = lines.iter().position(|l| l.starts_with("───"));
    let body = lines.iter().position(|l| l.contains("Please find"));
    assert!(attach < sep && sep < body, "{s}");
}

#[test]
fn s_opens_the_save_line_and_save_writes_without_overwriting() {
    let dir = tempfile::tempdir().expect("tempdir");
    let downloads = dir.path().join("Downloads");
    std::fs::create_dir(&downloads).expect("mkdir");
    let mut app = app(160, 30).with_save_dirs(SaveDirs {
        download: Some(downloads.clone()),
        home: Some(dir.path().to_path_buf()),
    });
    opened_with_attachments(&mut app);

    // s: the :save line, saying what it takes and where it saves by default.
    press(&mut app, [ch('s')]);
    let p = app.prompt().expect("prompt");
    assert_eq!(p.text, "save ");
    assert!(
        p.hint
            .as_deref()
            .is_some_and(|h| h.contains("1-2|all") && h.contains("Downloads")),
        "{:?}",
        p.hint
    );
    // Tab completes the numbers and `all`.
    press(&mut app, [key(KeyCode::Tab)]);
    assert_eq!(
        app.prompt().and_then(|p| p.hint.clone()).as_deref(),
        Some("all  1  2")
    );
    press(&mut app, [key(KeyCode::Esc)]);

    // :save with no argument: every attachment, into Downloads.
    press(&mut app, [ch(':')]);
    press(&mut app, typed("save"));
    let cmds = press(&mut app, [key(KeyCode::Enter)]);
    let [
        Request::Save {
            raw,
            indices,
            dir: to,
        },
    ] = cmds.as_slice()
    else {
        panic!("{cmds:?}");
    };
    assert_eq!((indices.as_slice(), to), ([0, 1].as_slice(), &downloads));
    assert!(status_line(&app).contains("saving 2 attachments to"));
    // What the dispatcher's thread does, then its answer.
    let results = save_attachments(&raw.0, indices, to);
    assert!(results.iter().all(|(_, r)| r.is_ok()), "{results:?}");
    assert_eq!(
        std::fs::read(downloads.join("invoice-2026.pdf")).ok(),
        Some(b"%PDF-1.4\n% fake pdf\n".to_vec())
    );
    assert!(downloads.join("bashrc_]0;pwned_").exists());
    assert!(!dir.path().join(".bashrc").exists());
    press(&mut app, [EngineEvent::Saved { results }]);
    let status = status_line(&app);
    assert!(
        status.contains("saved 2 attachments in")
            && status.contains("invoice-2026.pdf, bashrc_]0;pwned_"),
        "{status}"
    );

    // :save 1 again: a new name, the first file untouched.
    std::fs::write(downloads.join("invoice-2026.pdf"), b"mine").expect("write");
    press(&mut app, [ch(':')]);
    press(&mut app, typed("save 1"));
    let cmds = press(&mut app, [key(KeyCode::Enter)]);
    let [
        Request::Save {
            raw,
            indices,
            dir: to,
        },
    ] = cmds.as_slice()
    else {
        panic!("{cmds:?}");
    };
    let results = save_attachments(&raw.0, indices, to);
    press(&mut app, [EngineEvent::Saved { results }]);
    assert_eq!(
        std::fs::read(downloads.join("invoice-2026.pdf")).ok(),
        Some(b"mine".to_vec())
    );
    assert!(downloads.join("invoice-2026 (1).pdf").exists());
    assert!(
        status_line(&app).contains("saved /") && status_line(&app).contains("invoice-2026 (1).pdf"),
        "{}",
        status_line(&app)
    );

    // A folder after the number; ~ is the home folder.
    press(&mut app, [ch(':')]);
    press(&mut app, typed("save 2 ~"));
    let cmds = press(&mut app, [key(KeyCode::Enter)]);
    assert!(
        matches!(cmds.as_slice(), [Request::Save { indices, dir: to, .. }] if indices == &[1] && to == dir.path()),
        "{cmds:?}"
    );

    // Numbers out of range, and a folder that does not exist.
    for (line, says) in [
        (
            "save 3",
            "no attachment 3: this message has 2, numbered 1 to 2",
        ),
        ("save 0", "attachments are numbered from 1"),
    ] {
        press(&mut app, [ch(':')]);
        press(&mut app, typed(line));
        assert!(press(&mut app, [key(KeyCode::Enter)]).is_empty());
        assert!(
            app.error().is_some_and(|e| e.contains(says)),
            "{line}: {:?}",
            app.error()
        );
    }
    let missing = dir.path().join("nowhere");
    let results = save_attachments(b"x", &[0], &missing);
    press(&mut app, [EngineEvent::Saved { results }]);
    assert!(
        app.error()
            .is_some_and(|e| e.contains("attachment 1 not saved") && e.contains("no such folder")),
        "{:?}",
        app.error()
    );
}

#[test]
fn save_says_why_when_there_is_nothing_to_save() {
    let mut app = app(120, 30).with_save_dirs(SaveDirs {
        download: Some("/tmp".into()),
        home: None,
    });
    // Nowhere to save from in the columns.
    press(&mut app, [ch(':')]);
    press(&mut app, typed("save"));
    press(&mut app, [key(KeyCode::Enter)]);
    assert!(app.error().is_some_and(|e| e.contains("open a message")));
    press(
        &mut app,
        [EngineEvent::Rows {
            account_idx: 0,
            rows: vec![msg(1, 5, "Erin", "Plain")],
        }],
    );
    // The line opens all the same, saying why; Esc closes it.
    press(&mut app, [key(KeyCode::Enter), ch('s')]);
    assert!(app.prompt().is_some_and(|p| p.inert.is_some()));
    assert!(status_line(&app).contains("still loading"));
    press(&mut app, [key(KeyCode::Esc)]);
    assert!(app.prompt().is_none());
    press(
        &mut app,
        [EngineEvent::Body {
            account_idx: 0,
            uid: 1,
            body: Ok(Opened::from("just text")),
        }],
    );
    press(&mut app, [ch('s')]);
    assert!(status_line(&app).contains("no attachments"));
    assert!(press(&mut app, [key(KeyCode::Enter)]).is_empty());
    assert!(app.prompt().is_none());
    assert!(status_line(&app).contains("no attachments"));
    // Listed but too large to keep: said, nothing saved.
    let mut body = translate::opened(with_attachments()).expect("parsed");
    body.raw = None;
    press(
        &mut app,
        [EngineEvent::Body {
            account_idx: 0,
            uid: 1,
            body: Ok(body),
        }],
    );
    press(&mut app, [ch(':')]);
    press(&mut app, typed("save all"));
    assert!(press(&mut app, [key(KeyCode::Enter)]).is_empty());
    assert!(
        app.error()
            .is_some_and(|e| e.contains("larger than 64 MiB"))
    );
    // A home folder unknown: ~ cannot be resolved.
    let mut body = translate::opened(with_attachments()).expect("parsed");
    body.text = "again".into();
    press(
        &mut app,
        [EngineEvent::Body {
            account_idx: 0,
            uid: 1,
            body: Ok(body),
        }],
    );
    press(&mut app, [ch(':')]);
    press(&mut app, typed("save all ~/x"));
    assert!(press(&mut app, [key(KeyCode::Enter)]).is_empty());
    assert!(app.error().is_some_and(|e| e.contains("no home folder")));
}

#[test]
fn many_attachments_are_summed_up_under_the_headers_and_listed_in_full_below() {
    let mut app = app(100, 30);
    let mut parts = String::from(
        "From: a@b.test\r\nSubject: many\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"z\"\r\n\r\n--z\r\nContent-Type: text/plain\r\n\r\nbody\r\n",
    );
    for i in 1..=12 {
        parts.push_str(&format!(
            "--z\r\nContent-Type: text/csv\r\nContent-Disposition: attachment; filename=\"report-{i:02}.csv\"\r\n\r\na,b\r\n"
        ));
    }
    parts.push_str("--z--\r\n");
    press(
        &mut app,
        [EngineEvent::Rows {
            account_idx: 0,
            rows: vec![msg(1, 5, "A", "many")],
        }],
    );
    press(&mut app, [key(KeyCode::Enter)]);
    let body = translate::opened(parts.into_bytes()).expect("parsed");
    assert_eq!(body.attachments.len(), 12);
    press(
        &mut app,
        [EngineEvent::Body {
            account_idx: 0,
            uid: 1,
            body: Ok(body),
        }],
    );
    let s = screen(&app);
    assert!(s.contains("[4] report-04.csv"), "{s}");
    assert!(!s.contains("[5] report-05.csv  text/csv, 5 B   "), "{s}");
    assert!(
        s.contains("… and 8 more, listed at the end of the message"),
        "{s}"
    );
    press(&mut app, [ch('G')]);
    let s = screen(&app);
    assert!(s.contains("[12] report-12.csv  text/csv"), "{s}");
}

// ---- outbox --------------------------------------------------------------------------------

#[test]
fn the_status_line_shows_the_outbox_and_its_last_error_sanitized() {
    let mut app = app(160, 30);
    assert!(!status_line(&app).contains("outbox"));
    press(
        &mut app,
        [EngineEvent::Outbox(OutboxStatus {
            queued: 1,
            deferred: 2,
            failed: 0,
            delivered: 0,
            last_error: Some("deferred: 421 \x1b[2Jtry later\r\n".into()),
            elsewhere: false,
            ..OutboxStatus::default()
        })],
    );
    let status = status_line(&app);
    assert!(
        status.contains("outbox: 1 queued, 2 deferred — deferred: 421 ^[[2Jtry later"),
        "{status}"
    );
    assert!(!status.contains('\u{1b}'));
    // Delivered: said once; an empty outbox leaves the status line.
    press(
        &mut app,
        [EngineEvent::Outbox(OutboxStatus {
            delivered: 3,
            ..OutboxStatus::default()
        })],
    );
    let status = status_line(&app);
    assert!(status.contains("outbox: 3 messages delivered"), "{status}");
    assert!(!status.contains("queued"), "{status}");
    // In the reader too, after the position.
    press(
        &mut app,
        [
            Event::Engine(EngineEvent::Rows {
                account_idx: 0,
                rows: vec![msg(1, 5, "A", "x")],
            }),
            key(KeyCode::Esc),
            key(KeyCode::Enter),
            Event::Engine(EngineEvent::Outbox(OutboxStatus {
                failed: 1,
                last_error: Some("refused: 550 5.7.1 not allowed".into()),
                ..OutboxStatus::default()
            })),
        ],
    );
    let status = status_line(&app);
    assert!(
        status.contains("lines") && status.contains("outbox: 1 failed — refused: 550"),
        "{status}"
    );
}

#[test]
fn uncertain_and_damaged_outbox_entries_show_in_the_status_line() {
    let mut app = app(200, 30);
    press(
        &mut app,
        [EngineEvent::Outbox(OutboxStatus {
            uncertain: 1,
            damaged: 2,
            last_error: Some("uncertain: <m@x> may have been delivered".into()),
            ..OutboxStatus::default()
        })],
    );
    let status = status_line(&app);
    assert!(
        status.contains("outbox: 1 uncertain, 2 damaged — uncertain: <m@x> may have been"),
        "{status}"
    );
    // An outbox that cannot be read is never "nothing in the outbox".
    press(
        &mut app,
        [EngineEvent::Outbox(OutboxStatus {
            damaged: 1,
            last_error: Some("cannot read the outbox: /x/outbox: Not a directory".into()),
            ..OutboxStatus::default()
        })],
    );
    let status = status_line(&app);
    assert!(
        status.contains("outbox: 1 damaged — cannot read the outbox: /x/outbox"),
        "{status}"
    );
}
