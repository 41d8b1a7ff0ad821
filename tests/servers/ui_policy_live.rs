//! The team policy, live: bob's mailroom (local config: Send As) runs in tmux against the real
//! test bed while alice publishes new policies in `shared/support/Policy`. Without a restart,
//! bob's compose pane follows each one: on behalf only (and why), then no sending at all (the
//! policy's reason), then Send As again. Started again while the server is down, the copy
//! kept by the last read rules.

use crate::support;

use crate::tmux;

use std::thread;
use std::time::Duration;

use support::testbed::Testbed;
use tmux::{Tmux, customer_message, mailroom_command, start_synced_answering};

/// Generous: CI machines are slow, and the test bed may still be warming up.
const FIRST_SCREEN: Duration = Duration::from_secs(30);
/// How long a live change may take to reach the screen.
const LIVE: Duration = Duration::from_secs(10);

fn publish(tb: &Testbed, version: u64, document: &str) {
    let raw = mailroom::mail::policy::build(
        "alice",
        "alice@example.test",
        "support@example.test",
        version,
        document,
        &[],
        std::time::SystemTime::now(),
    )
    .unwrap();
    let mut imap = tb.raw_imap("alice");
    imap.cmd("CREATE \"shared/support/Policy\"");
    imap.append("shared/support/Policy", "\\Seen", &raw);
}

/// New mail wakes bob's worker (IDLE): it syncs, then looks at the policy folder.
fn wake(tb: &Testbed, bob: &Tmux, n: usize) {
    let subject = format!("Wake-up {n}");
    tb.deliver(
        "support@example.test",
        &customer_message("policy", n, &subject),
    );
    bob.wait_for("the new mail on bob's screen", LIVE, |s| {
        s.contains(&subject)
    });
    // The policy folder is read right after that sync.
    thread::sleep(Duration::from_millis(700));
}

#[test]
fn bobs_compose_pane_follows_the_team_policy_without_a_restart() {
    let tb = Testbed::start();
    tb.deliver(
        "support@example.test",
        &customer_message("policy", 1, "Printer on fire"),
    );
    publish(
        &tb,
        1,
        "version = 1\n[send]\nas = [\"alice\"]\non-behalf = [\"bob\"]\n",
    );
    let (bob, _dir) = start_synced_answering(&tb, "bob", 1, FIRST_SCREEN);
    thread::sleep(Duration::from_millis(500));

    bob.keys(&["r"]);
    bob.wait_for("bob's reply pane, on behalf", LIVE, |s| {
        s.contains("bob on behalf of support@example.test (team policy)")
            && s.contains("policy: the team policy of support (version 1) allows bob on-behalf")
    });
    bob.keys(&["C-q"]);
    bob.wait_for("bob's columns again", LIVE, |s| !s.contains("policy:"));

    // The policy takes sending away: the reply is refused with its reason.
    publish(&tb, 2, "version = 2\n[send]\nas = [\"alice\"]\n");
    wake(&tb, &bob, 2);
    bob.keys(&["r"]);
    bob.wait_for("the refusal with the policy's reason", LIVE, |s| {
        s.contains("the team policy of support (version 2) does not allow bob to send")
    });
    bob.keys(&["Escape"]);

    // Relaxed again: Send As, as bob's local configuration says.
    publish(&tb, 3, "version = 3\n[send]\nas = [\"alice\", \"bob\"]\n");
    wake(&tb, &bob, 3);
    bob.keys(&["r"]);
    bob.wait_for("bob's reply pane, as support@", LIVE, |s| {
        s.contains("— as support@example.test") && !s.contains("team policy")
    });
    bob.keys(&["C-q"]);
    bob.wait_for("bob's columns again", LIVE, |s| s.contains("closed"));
    bob.keys(&["q"]);
    let (status, _) = bob.wait_exit(Duration::from_secs(5));
    assert_eq!(status, 0, "exit status; the screen:\n{}", bob.screen());
}

#[test]
fn the_kept_policy_rules_at_start_up_while_the_server_is_down() {
    let tb = Testbed::start();
    tb.deliver(
        "support@example.test",
        &customer_message("policy", 1, "Printer on fire"),
    );
    publish(
        &tb,
        1,
        "version = 1\n[send]\nas = [\"alice\"]\non-behalf = [\"bob\"]\n",
    );
    // A first run reads the policy (and keeps it), and the column (into the header cache).
    let (bob, dir) = start_synced_answering(&tb, "bob", 1, FIRST_SCREEN);
    thread::sleep(Duration::from_millis(500));
    bob.keys(&["q"]);
    let (status, _) = bob.wait_exit(Duration::from_secs(10));
    assert_eq!(status, 0, "{}", bob.screen());
    drop(bob);

    tb.stop_imap();
    let config = dir.path().join("config.toml");
    let bob = Tmux::start(&mailroom_command(dir.path(), &config), 160, 30);
    bob.wait_for("the cached column, offline", FIRST_SCREEN, |s| {
        s.contains("Printer on fire")
    });
    bob.keys(&["r"]);
    bob.wait_for(
        "bob's reply pane, on behalf by the kept policy",
        LIVE,
        |s| s.contains("bob on behalf of support@example.test (team policy)"),
    );
    bob.keys(&["C-q"]);
    bob.keys(&["q"]);
    let (status, _) = bob.wait_exit(Duration::from_secs(10));
    assert_eq!(status, 0, "{}", bob.screen());
    tb.start_imap();
}
