//! The column view, live: the real binary in a detached tmux session against the real test bed.
//! Rows come from the server, and a teammate's flag and a new delivery show up by themselves
//! (IDLE), without a key press; opening a message does not mark it read; Space and `!` store
//! `\Seen` and `\Flagged` that a teammate's own session sees; `:search` asks the server; a
//! read-only agent is told why a key did nothing; `q` ends the program. The outbox: queued mail
//! goes out at start, deferred mail once due while the screen is up, and an SMTP server that
//! never answers holds neither the screen nor quitting.

use crate::support;

use crate::tmux;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use support::testbed::Testbed;
use tmux::{
    MAILBOX, Tmux, customer_message, mailroom_command, row, uid_of, write_agent_config,
    write_testbed_config,
};

/// Generous: CI machines are slow, and the test bed may still be warming up.
const FIRST_SCREEN: Duration = Duration::from_secs(30);
/// How long a live change may take to reach the screen.
const LIVE: Duration = Duration::from_secs(10);

fn message(n: usize, subject: &str) -> Vec<u8> {
    customer_message("live", n, subject)
}

/// One IMAP account, "support", as alice; `ca_file`: implicit TLS trusting it, `None`: no TLS
/// (loopback).
fn write_config(dir: &Path, port: u16, ca_file: Option<&Path>) -> PathBuf {
    write_agent_config(dir, port, ca_file, "alice", "")
}

#[test]
fn live_updates_reach_the_screen_without_a_key_press() {
    let tb = Testbed::start();
    tb.deliver("support@example.test", &message(1, "Printer on fire"));
    tb.deliver("help@example.test", &message(2, "Refund request"));

    let dir = tempfile::tempdir().expect("temp dir");
    let config = write_config(dir.path(), tb.imaps_port, Some(&tb.ca_file));
    let command = mailroom_command(dir.path(), &config);
    let tmux = Tmux::start(&command, 160, 40);

    // The first screen: both messages, the mailbox in sync and watched with IDLE.
    tmux.wait_for("synced column with IDLE", FIRST_SCREEN, |s| {
        s.contains("Printer on fire")
            && s.contains("Refund request")
            && s.contains("support  ready · idle  2 · 2 unread")
            && s.contains("support: online (idle)")
    });
    // The watcher reports itself online just before it enters IDLE: let it get there.
    thread::sleep(Duration::from_millis(500));

    // A teammate flags and claims a message from their own session.
    let mut bob = tb.raw_imap("bob");
    bob.cmd_ok(&format!("SELECT \"{MAILBOX}\""));
    let uid = uid_of(&mut bob, "Printer on fire");
    bob.cmd_ok(&format!("UID STORE {uid} +FLAGS (\\Flagged $assigned.bob)"));
    let took = tmux.wait_for("bob's flag", LIVE, |s| {
        row(s, "Printer on fire").is_some_and(|r| r.contains("@bob") && r.contains("NF"))
    });
    eprintln!("flag change on screen after {took:?}");

    // New mail arrives.
    tb.deliver("support@example.test", &message(3, "Where is my order"));
    let took = tmux.wait_for("the new message", LIVE, |s| {
        s.contains("Where is my order") && s.contains("support  ready · idle  3 · 3 unread")
    });
    eprintln!("new message on screen after {took:?}");
    let s = tmux.screen();
    let newest = s
        .lines()
        .position(|l| l.contains("Where is my order"))
        .unwrap_or(usize::MAX);
    let older = s
        .lines()
        .position(|l| l.contains("Printer on fire"))
        .unwrap_or(0);
    assert!(newest < older, "newest first:\n{s}");

    // Reading a message does not mark it read, for us or for the team.
    tmux.keys(&["Enter"]);
    tmux.wait_for("the reader", LIVE, |s| {
        s.contains("Body of message 3: Where is my order")
    });
    let uid3 = uid_of(&mut bob, "Where is my order");
    let flags = bob.cmd_ok(&format!("UID FETCH {uid3} (FLAGS)"));
    assert!(!flags.contains("\\Seen"), "opening set \\Seen: {flags}");
    tmux.keys(&["q"]);
    tmux.wait_for("the list again", LIVE, |s| s.contains("3 · 3 unread"));

    // q quits, promptly and cleanly.
    tmux.keys(&["q"]);
    let (status, took) = tmux.wait_exit(Duration::from_secs(5));
    eprintln!("quit after {took:?}");
    assert_eq!(status, 0, "exit status; the screen:\n{}", tmux.screen());
}

/// Polls `who`'s own session until the flags of `uid` satisfy `ok`; panics with the last answer.
fn wait_flags(
    imap: &mut support::testbed::RawImap,
    uid: u32,
    what: &str,
    ok: impl Fn(&str) -> bool,
) {
    let start = Instant::now();
    loop {
        imap.cmd_ok("NOOP");
        let flags = imap.cmd_ok(&format!("UID FETCH {uid} (FLAGS)"));
        if ok(&flags) {
            eprintln!("{what} seen by the teammate after {:?}", start.elapsed());
            return;
        }
        assert!(start.elapsed() < LIVE, "no {what} after {LIVE:?}: {flags}");
        thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn space_and_bang_store_flags_a_teammate_sees() {
    let tb = Testbed::start();
    tb.deliver("support@example.test", &message(1, "Printer on fire"));
    tb.deliver("support@example.test", &message(2, "Refund request"));

    let dir = tempfile::tempdir().expect("temp dir");
    let config = write_config(dir.path(), tb.imaps_port, Some(&tb.ca_file));
    let tmux = Tmux::start(&mailroom_command(dir.path(), &config), 160, 40);
    tmux.wait_for("synced column", FIRST_SCREEN, |s| {
        s.contains("support  ready · idle  2 · 2 unread") && s.contains("2 unassigned · 0 mine")
    });
    let mut bob = tb.raw_imap("bob");
    bob.cmd_ok(&format!("SELECT \"{MAILBOX}\""));
    let refund = uid_of(&mut bob, "Refund request");
    let printer = uid_of(&mut bob, "Printer on fire");

    // j to the older message: Space marks it read, ! flags it; bob's session sees both.
    tmux.keys(&["j", "Space"]);
    tmux.wait_for("one unread left", LIVE, |s| s.contains("2 · 1 unread"));
    wait_flags(&mut bob, printer, "\\Seen", |f| f.contains("\\Seen"));
    tmux.keys(&["!"]);
    tmux.wait_for("the flag mark", LIVE, |s| {
        row(s, "Printer on fire").is_some_and(|r| r.contains(" F "))
    });
    wait_flags(&mut bob, printer, "\\Flagged", |f| f.contains("\\Flagged"));
    let other = bob.cmd_ok(&format!("UID FETCH {refund} (FLAGS)"));
    assert!(
        !other.contains("\\Seen") && !other.contains("\\Flagged"),
        "{other}"
    );
    // Both again: cleared, on the server too.
    tmux.keys(&["Space", "!"]);
    wait_flags(&mut bob, printer, "cleared flags", |f| {
        !f.contains("\\Seen") && !f.contains("\\Flagged")
    });
    tmux.wait_for("two unread again", LIVE, |s| s.contains("2 · 2 unread"));

    // :search goes to the server (TEXT: the body matches too; a quoted phrase is one string);
    // Esc shows every row again.
    tmux.keys(&[":"]);
    tmux.keys(&["-l", "search \"message 2\""]);
    tmux.keys(&["Enter"]);
    tmux.wait_for("the search result", LIVE, |s| {
        s.contains("search \"message 2\": 1 of 2 in this view")
            && s.contains("Refund request")
            && !s.contains("Printer on fire")
    });
    tmux.keys(&["Escape"]);
    tmux.wait_for("every row again", LIVE, |s| {
        s.contains("Refund request") && s.contains("Printer on fire")
    });
    // The / filter, instant, over the cached rows.
    tmux.keys(&["/"]);
    tmux.keys(&["-l", "PRINTER"]);
    tmux.wait_for("the filtered column", LIVE, |s| {
        s.contains("/PRINTER: 1 of 2 in this view") && !s.contains("Refund request")
    });
    tmux.keys(&["Enter", "?"]);
    tmux.wait_for("the help overlay", LIVE, |s| s.contains("keys: list"));
    tmux.keys(&["q", "q"]);
    let (status, _) = tmux.wait_exit(Duration::from_secs(5));
    assert_eq!(status, 0, "exit status; the screen:\n{}", tmux.screen());
}

#[test]
fn a_read_only_agent_is_told_why_space_does_nothing() {
    let tb = Testbed::start();
    tb.deliver("support@example.test", &message(1, "Printer on fire"));
    let dir = tempfile::tempdir().expect("temp dir");
    let config = write_testbed_config(dir.path(), &tb, "carol", "");
    let tmux = Tmux::start(&mailroom_command(dir.path(), &config), 160, 40);
    tmux.wait_for("synced, read-only", FIRST_SCREEN, |s| {
        s.contains("support  ready · idle  1 · 1 unread") && s.contains("read-only")
    });
    tmux.keys(&["Space"]);
    tmux.wait_for("the refusal", LIVE, |s| {
        s.contains("you may not change \\Seen here (your rights: lr")
    });
    let s = tmux.screen();
    assert!(
        s.contains("1 · 1 unread"),
        "nothing changed on screen:\n{s}"
    );
    let mut bob = tb.raw_imap("bob");
    bob.cmd_ok(&format!("SELECT \"{MAILBOX}\""));
    let uid = uid_of(&mut bob, "Printer on fire");
    let flags = bob.cmd_ok(&format!("UID FETCH {uid} (FLAGS)"));
    assert!(!flags.contains("\\Seen"), "{flags}");
    tmux.keys(&["q"]);
    let (status, _) = tmux.wait_exit(Duration::from_secs(5));
    assert_eq!(status, 0);
}

/// A server that accepts connections and never says a word: the worker hangs waiting for the
/// greeting until its I/O timeout (30 s).
fn black_hole() -> (u16, thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let handle = thread::spawn(move || {
        let mut held = Vec::new();
        // Keep every connection open until the test process ends.
        for conn in listener.incoming().flatten() {
            held.push(conn);
        }
    });
    (port, handle)
}

#[test]
fn quitting_does_not_wait_for_a_dead_server() {
    let (port, _server) = black_hole();
    let dir = tempfile::tempdir().expect("temp dir");
    // Plain IMAP on loopback: the worker waits for a greeting that never comes.
    let config = write_config(dir.path(), port, None);
    let tmux = Tmux::start(&mailroom_command(dir.path(), &config), 120, 30);
    tmux.wait_for("the connecting state", FIRST_SCREEN, |s| {
        s.contains("support  loading · connecting") && s.contains("support: connecting")
    });
    // Let the worker get stuck waiting.
    thread::sleep(Duration::from_millis(500));
    tmux.keys(&["q"]);
    let (status, took) = tmux.wait_exit(Duration::from_secs(5));
    assert_eq!(status, 0, "exit status; the screen:\n{}", tmux.screen());
    assert!(took < Duration::from_secs(3), "quitting took {took:?}");
}

/// One IMAP account that sends as support@ through `smtp_port` (STARTTLS with the test bed's
/// CA); no Sent copy, so delivery is SMTP alone.
fn write_sending_config(dir: &Path, tb: &Testbed, smtp_port: u16) -> PathBuf {
    let text = format!(
        "[agent]\nid = \"alice\"\nname = \"Alice\"\nemail = \"alice@example.test\"\n\n\
         [[account]]\nname = \"support\"\naddress = \"support@example.test\"\nsend = \"as\"\n\
         sent_copy = \"none\"\n\
         [account.imap]\nhost = \"127.0.0.1\"\nport = {imap}\ntls = \"implicit\"\nca_file = \"{ca}\"\n\
         login = \"alice\"\npassword_command = \"printf '%s\\\\n' '{pw}'\"\nmailbox = \"{MAILBOX}\"\n\
         [account.smtp]\nhost = \"127.0.0.1\"\nport = {smtp_port}\nca_file = \"{ca}\"\n\
         login = \"alice\"\npassword_command = \"printf '%s\\\\n' '{pw}'\"\n",
        imap = tb.imaps_port,
        ca = tb.ca_file.display(),
        pw = Testbed::password("alice"),
    );
    let path = dir.join("config.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

/// Puts a message into the outbox of the mailroom that runs with XDG_DATA_HOME under `dir`,
/// as `mailroom send` leaves it: queued, or deferred until `retry_at`.
fn enqueue(dir: &Path, subject: &str, retry_at: Option<i64>) {
    use mailroom::store::outbox::{Entry, Outbox, State};
    let id = format!("{}@example.test", subject.replace(' ', "-"));
    let raw = format!(
        "From: Example Support <support@example.test>\r\nTo: c@outside.test\r\n\
         Subject: {subject}\r\nMessage-ID: <{id}>\r\nDate: Fri, 27 Nov 2026 10:00:00 +0000\r\n\
         \r\nHello from the outbox.\r\n"
    );
    let now = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_secs(),
    )
    .expect("time");
    let entry = Entry {
        account: "support".into(),
        agent: "alice".into(),
        envelope: mailroom::message::Envelope {
            mode: "as".into(),
            from: "support@example.test".into(),
            sender: None,
            mail_from: "support@example.test".into(),
            recipients: vec!["c@outside.test".into()],
            message_id: id,
            subject: subject.into(),
        },
        reply_to_uid: None,
        created: now,
        attempts: u32::from(retry_at.is_some()),
        draft_id: None,
        policy: None,
        state: match retry_at {
            Some(at) => State::Deferred {
                error: "421 4.3.0 try again later".into(),
                retry_at: at,
            },
            None => State::Queued,
        },
    };
    Outbox::new(dir.join("data/mailroom/outbox"))
        .enqueue(&entry, raw.as_bytes())
        .expect("enqueue");
}

fn sink_count(tb: &Testbed, subject: &str) -> usize {
    tb.sink_messages()
        .iter()
        .filter(|m| m.header("Subject").as_deref() == Some(subject))
        .count()
}

/// Queued mail goes out when the column view starts; deferred mail once its backoff has passed,
/// while it runs (the outbox thread's next round, 30 s later); the status line shows what is
/// left and why, and each message is delivered once.
#[test]
fn the_outbox_is_delivered_at_start_and_retried_while_running() {
    let tb = Testbed::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let config = write_sending_config(dir.path(), &tb, tb.submission_port);
    let now = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_secs(),
    )
    .expect("time");
    enqueue(dir.path(), "queued before start", None);
    enqueue(dir.path(), "deferred before start", Some(now + 3));
    let tmux = Tmux::start(&mailroom_command(dir.path(), &config), 200, 30);
    tmux.wait_for("the first round", FIRST_SCREEN, |s| {
        s.contains("outbox: 1 deferred — deferred: 421 4.3.0 try again later")
    });
    let sink = tb.wait_sink(1, LIVE);
    assert_eq!(sink_count(&tb, "queued before start"), 1, "{sink:?}");
    assert_eq!(sink_count(&tb, "deferred before start"), 0);
    // The next round, 30 s after the first, finds it due.
    tmux.wait_for("the retry", Duration::from_secs(60), |s| {
        !s.contains("1 deferred")
    });
    tb.wait_sink(2, LIVE);
    thread::sleep(Duration::from_millis(500));
    assert_eq!(sink_count(&tb, "queued before start"), 1);
    assert_eq!(sink_count(&tb, "deferred before start"), 1);
    assert!(
        std::fs::read_dir(dir.path().join("data/mailroom/outbox"))
            .expect("outbox dir")
            .flatten()
            .all(|e| !e.file_name().to_string_lossy().ends_with(".json")),
        "the outbox is empty"
    );
    tmux.keys(&["q"]);
    let (status, _) = tmux.wait_exit(Duration::from_secs(5));
    assert_eq!(status, 0);
}

/// An SMTP server that never answers holds the outbox thread, never the screen or quitting.
#[test]
fn a_hanging_smtp_server_blocks_neither_the_screen_nor_quitting() {
    let tb = Testbed::start();
    tb.deliver("support@example.test", &message(1, "Printer on fire"));
    let (port, _server) = black_hole();
    let dir = tempfile::tempdir().expect("temp dir");
    let config = write_sending_config(dir.path(), &tb, port);
    enqueue(dir.path(), "stuck in the outbox", None);
    let tmux = Tmux::start(&mailroom_command(dir.path(), &config), 160, 30);
    tmux.wait_for("the columns", FIRST_SCREEN, |s| {
        s.contains("support  ready · idle  1 · 1 unread")
    });
    // Keys still work while the outbox thread waits for the server's greeting.
    tmux.keys(&["Enter"]);
    tmux.wait_for("the reader", LIVE, |s| s.contains("Body of message 1"));
    tmux.keys(&["q"]);
    tmux.wait_for("the columns again", LIVE, |s| s.contains("Printer on fire"));
    tmux.keys(&["q"]);
    let (status, took) = tmux.wait_exit(Duration::from_secs(5));
    assert_eq!(status, 0, "exit status; the screen:\n{}", tmux.screen());
    assert!(took < Duration::from_secs(3), "quitting took {took:?}");
}

/// Three shared mailboxes side by side, as an agent really runs it.
fn write_three_column_config(dir: &Path, tb: &Testbed) -> PathBuf {
    let mut text = String::from(
        "[agent]\nid = \"alice\"\nname = \"Alice\"\nemail = \"alice@example.test\"\n\n[ui]\ncolumns = [\"support\", \"sales\", \"archive\"]\n\n",
    );
    for (name, mailbox) in [
        ("support", "shared/support/INBOX"),
        ("sales", "shared/sales/INBOX"),
        ("archive", "shared/support/Sent"),
    ] {
        text.push_str(&format!(
            "[[account]]\nname = \"{name}\"\naddress = \"{name}@example.test\"\nsend = \"none\"\nsent_copy = \"none\"\n\
             [account.imap]\nhost = \"127.0.0.1\"\nport = {}\nca_file = \"{}\"\nlogin = \"alice\"\npassword_command = \"echo alice-pw\"\nmailbox = \"{mailbox}\"\n\n",
            tb.imaps_port,
            tb.ca_file.display()
        ));
    }
    let path = dir.join("three.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

#[test]
fn three_columns_navigate_open_and_update_live() {
    let tb = Testbed::start();
    tb.deliver("help@example.test", &message(1, "Support question"));
    tb.deliver("orders@example.test", &message(2, "Sales lead"));
    let mut alice = tb.raw_imap("alice");
    alice.append("shared/support/Sent", "\\Seen", &message(3, "Filed answer"));

    let dir = tempfile::tempdir().expect("temp dir");
    let config = write_three_column_config(dir.path(), &tb);
    let tmux = Tmux::start(&mailroom_command(dir.path(), &config), 200, 40);
    tmux.wait_for("three columns", FIRST_SCREEN, |s| {
        ["support  ready", "sales  ready", "archive  ready"]
            .iter()
            .all(|h| s.contains(h))
            && s.contains("Support question")
            && s.contains("Sales lead")
            && s.contains("Filed answer")
    });
    thread::sleep(Duration::from_millis(500));

    // Navigate to the second column and open its message.
    tmux.keys(&["l", "Enter"]);
    tmux.wait_for("the sales message in the reader", LIVE, |s| {
        s.contains("Subject") && s.contains("Sales lead") && !s.contains("archive  ready")
    });
    tmux.keys(&["q"]);
    tmux.wait_for("back to the columns", LIVE, |s| {
        s.contains("archive  ready")
    });

    // A flag set by a raw second session shows up without a key press.
    let mut bob = tb.raw_imap("bob");
    bob.cmd_ok("SELECT \"shared/support/INBOX\"");
    let uid = uid_of(&mut bob, "Support question");
    bob.cmd_ok(&format!("UID STORE {uid} +FLAGS (\\Flagged)"));
    tmux.wait_for("bob's flag in the first column", LIVE, |s| {
        row(s, "Support question").is_some_and(|r| r.contains("NF"))
    });
    tmux.keys(&["q"]);
    let (code, _) = tmux.wait_exit(Duration::from_secs(5));
    assert_eq!(code, 0);
}
