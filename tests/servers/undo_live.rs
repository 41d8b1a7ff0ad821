//! Undo against a teammate, live: the real binary in tmux against the real Dovecot. The undo's
//! store carries CONDSTORE's `UNCHANGEDSINCE` (the MODSEQ the action left), so a teammate's
//! change the screen has not shown yet (its IDLE connection is frozen by a fault proxy) still
//! refuses the undo on exactly that message, named; the others are undone.

use crate::support;
use crate::tmux;

use std::thread;
use std::time::Duration;

use support::proxy::FaultProxy;
use support::testbed::{RawImap, Testbed};
use tmux::{MAILBOX, Tmux, customer_message, mailroom_command, uid_of, write_agent_config};

const FIRST_SCREEN: Duration = Duration::from_secs(30);
const LIVE: Duration = Duration::from_secs(20);

/// The `$` keywords of `uid` as `imap` sees them now, lower-cased and sorted ("replying"
/// marks left out).
fn team_keywords(imap: &mut RawImap, uid: u32) -> Vec<String> {
    imap.cmd_ok("NOOP");
    let out = imap.cmd_ok(&format!("UID FETCH {uid} (FLAGS)"));
    let line = out
        .lines()
        .find(|l| l.starts_with("* ") && l.contains("FETCH") && l.contains(&format!("UID {uid}")))
        .unwrap_or_else(|| panic!("no FETCH for UID {uid}:\n{out}"));
    let start = line.find("FLAGS (").expect("FLAGS") + "FLAGS (".len();
    let end = start + line[start..].find(')').expect("end of FLAGS");
    let mut k: Vec<String> = line[start..end]
        .split_whitespace()
        .map(str::to_ascii_lowercase)
        .filter(|f| f.starts_with('$') && !f.starts_with("$replying."))
        .collect();
    k.sort();
    k
}

/// Polls until `uid` has the team keywords `want`.
fn wait_keywords(imap: &mut RawImap, uid: u32, want: &[&str]) {
    let deadline = std::time::Instant::now() + LIVE;
    loop {
        let now = team_keywords(imap, uid);
        if now == want {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "UID {uid}: {now:?}, want {want:?}"
        );
        thread::sleep(Duration::from_millis(200));
    }
}

/// alice's mailroom through `proxy`, once its column shows `messages` messages with IDLE.
fn start_through(proxy: &FaultProxy, tb: &Testbed, messages: usize) -> (Tmux, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = write_agent_config(
        dir.path(),
        proxy.port(),
        Some(&tb.ca_file),
        "alice",
        "[ui]\nview = \"all\"\n\n",
    );
    let tmux = Tmux::start(&mailroom_command(dir.path(), &config), 160, 30);
    let synced = format!("support  ready · idle  {messages} ·");
    tmux.wait_for("alice's synced column with IDLE", FIRST_SCREEN, |s| {
        s.contains(&synced) && s.contains("support: online (idle)")
    });
    (tmux, dir)
}

#[test]
fn undo_refuses_the_message_a_teammate_changed_unseen_and_undoes_the_others() {
    let tb = Testbed::start();
    for n in 1..=3 {
        tb.deliver(
            "support@example.test",
            &customer_message("undo", n, &format!("Refund request {n}")),
        );
    }
    tb.deliver(
        "support@example.test",
        &customer_message("undo", 4, "Question"),
    );
    let proxy = FaultProxy::start(tb.imaps_port);
    let (tmux, _dir) = start_through(&proxy, &tb, 4);
    // The worker's own connection first, then its IDLE watcher's.
    assert_eq!(
        proxy.accepted(),
        2,
        "two connections: the worker's and IDLE's"
    );
    let mut bob = tb.raw_imap("bob");
    bob.cmd_ok(&format!("SELECT \"{MAILBOX}\""));
    let refunds: Vec<u32> = (1..=3)
        .map(|n| uid_of(&mut bob, &format!("Refund request {n}")))
        .collect();

    tmux.keys(&["M"]);
    tmux.keys(&["-l", "subject:refund"]);
    tmux.keys(&["Enter"]);
    tmux.wait_for("3 marked", LIVE, |s| s.contains("· 3 marked"));
    tmux.keys(&["d"]);
    tmux.wait_for("the summary line", LIVE, |s| {
        s.contains("support: done: 3 messages")
    });
    for &u in &refunds {
        wait_keywords(&mut bob, u, &["$done"]);
    }

    // Bob takes the second one over; alice's screen cannot know (its IDLE path is frozen).
    proxy.freeze_conn(1);
    thread::sleep(Duration::from_millis(300));
    bob.cmd_ok(&format!("UID STORE {} +FLAGS ($assigned.bob)", refunds[1]));

    tmux.keys(&["u"]);
    let refused = format!(
        "undo done: 2 undone; 1 refused: support UID {}: changed since (now: assigned to bob, done)",
        refunds[1]
    );
    tmux.wait_for("the refusal, named", LIVE, |s| s.contains(&refused));
    wait_keywords(&mut bob, refunds[0], &[]);
    wait_keywords(&mut bob, refunds[2], &[]);
    // Bob's change stands: assigned to him, still done.
    assert_eq!(
        team_keywords(&mut bob, refunds[1]),
        ["$assigned.bob", "$done"]
    );
    proxy.thaw();
    tmux.keys(&["q"]);
    let (status, _) = tmux.wait_exit(Duration::from_secs(5));
    assert_eq!(status, 0, "exit status; the screen:\n{}", tmux.screen());
}
