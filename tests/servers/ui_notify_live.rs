//! Notifications, live: the real binary in tmux against the real Dovecot. The mailbox's mail at
//! start (the first sync) notifies nobody; a message delivered while mailroom runs rings the
//! bell once, runs the notify command exactly once with account, sender and subject as its
//! arguments, highlights its row and puts the counts in the pane's title (OSC 2); a teammate's
//! assignment to the agent notifies again; quitting gives the old title back.

use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use crate::support::testbed::Testbed;
use crate::tmux::{MAILBOX, customer_message, row, start_synced, uid_of};

const FIRST_SCREEN: Duration = Duration::from_secs(30);
const LIVE: Duration = Duration::from_secs(10);

/// The lines the recording script wrote so far.
fn recorded(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

fn wait_lines(log: &Path, n: usize) -> Vec<String> {
    let start = Instant::now();
    loop {
        let lines = recorded(log);
        if lines.len() >= n {
            return lines;
        }
        assert!(
            start.elapsed() < LIVE,
            "{n} notifications expected, got {lines:?}"
        );
        thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn mail_delivered_while_running_notifies_exactly_once_and_the_first_sync_never() {
    let tb = Testbed::start();
    tb.deliver(
        "support@example.test",
        &customer_message("notify", 1, "Printer on fire"),
    );
    tb.deliver(
        "support@example.test",
        &customer_message("notify", 2, "Refund request"),
    );
    let scratch = tempfile::tempdir().expect("temp dir");
    let log = scratch.path().join("notified");
    let script = scratch.path().join("record.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nprintf '%s|%s|%s|%s|%s\\n' \"$MAILROOM_NOTIFY\" \"$#\" \"$1\" \"$2\" \"$3\" >> '{}'\n",
            log.display()
        ),
    )
    .expect("script");
    let ui = format!(
        "[ui.notify]\nbell = true\ncommand = [\"/bin/sh\", \"{}\"]\n\n",
        script.display()
    );
    let (tmux, _dir) = start_synced(&tb, "alice", &ui, 2, FIRST_SCREEN);
    let title = |want: &str| {
        let start = Instant::now();
        while tmux.format("#{pane_title}") != want {
            assert!(
                start.elapsed() < LIVE,
                "title {:?}, expected {want:?}",
                tmux.format("#{pane_title}")
            );
            thread::sleep(Duration::from_millis(50));
        }
    };
    title("mailroom — 2 unread");
    // The watcher reports itself online just before it enters IDLE: let it get there.
    thread::sleep(Duration::from_millis(800));
    assert!(
        recorded(&log).is_empty(),
        "the first sync notified: {:?}",
        recorded(&log)
    );
    assert_eq!(tmux.format("#{window_bell_flag}"), "0", "a bell at start");
    // The selection off the top row, so the new one does not arrive under it.
    tmux.keys(&["j"]);

    tb.deliver(
        "support@example.test",
        &customer_message("notify", 3, "Where is my order; $(id) `id`"),
    );
    tmux.wait_for("the new message", LIVE, |s| s.contains("Where is my order"));
    let lines = wait_lines(&log, 1);
    assert_eq!(
        lines,
        ["new|3|support|Customer 3 <customer3@outside.test>|Where is my order; $(id) `id`"]
    );
    title("mailroom — 3 unread · 1 new (support)");
    assert_eq!(tmux.format("#{window_bell_flag}"), "1", "the bell rang");
    let s = tmux.screen();
    let new = row(&s, "Where is my order").expect("the row");
    assert!(new.contains("┃*"), "highlighted: {new}");
    // Exactly one: nothing more comes for it.
    thread::sleep(Duration::from_millis(1500));
    assert_eq!(recorded(&log).len(), 1, "{:?}", recorded(&log));

    // bob assigns a message to alice from his own session: one more notification.
    let mut bob = tb.raw_imap("bob");
    bob.cmd_ok(&format!("SELECT \"{MAILBOX}\""));
    let uid = uid_of(&mut bob, "Refund request");
    bob.cmd_ok(&format!("UID STORE {uid} +FLAGS ($assigned.alice)"));
    let lines = wait_lines(&log, 2);
    assert_eq!(
        lines[1],
        "assigned|3|support|Customer 2 <customer2@outside.test>|Refund request"
    );

    // Quitting gives the pane its title back.
    tmux.keys(&["q"]);
    let (status, _) = tmux.wait_exit(Duration::from_secs(5));
    assert_eq!(status, 0);
    assert!(
        !tmux.format("#{pane_title}").starts_with("mailroom"),
        "title left behind: {}",
        tmux.format("#{pane_title}")
    );
    assert_eq!(recorded(&log).len(), 2);
}
