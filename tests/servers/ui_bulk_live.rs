//! Bulk actions and undo, live: the real binary in tmux against the real test bed. `M` marks
//! the 20 messages matching a search, `d` marks them done (one summary line), `u` undoes it as
//! one step: the server shows each of those 20 with exactly the team keywords it had before
//! (a teammate's assignment, pending), and the 5 other messages were never touched.

use crate::support;

use crate::tmux;

use std::thread;
use std::time::Duration;

use support::testbed::{RawImap, Testbed};
use tmux::{MAILBOX, start_synced, uid_of};

const FIRST_SCREEN: Duration = Duration::from_secs(30);
const LIVE: Duration = Duration::from_secs(20);

fn message(n: usize, subject: &str) -> Vec<u8> {
    format!(
        "From: Customer {n} <customer{n}@outside.test>\r\nTo: support@example.test\r\n\
         Subject: {subject}\r\nMessage-ID: <bulk{n}@outside.test>\r\n\
         Date: Fri, 27 Nov 2026 10:{n:02}:00 +0000\r\n\r\nBody of message {n}\r\n"
    )
    .into_bytes()
}

/// The `$` keywords of `uid` as `imap` sees them now, lower-cased and sorted.
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

/// Polls until every UID of `uids` satisfies `ok`.
fn wait_all(imap: &mut RawImap, uids: &[u32], what: &str, ok: impl Fn(u32, &[String]) -> bool) {
    let deadline = std::time::Instant::now() + LIVE;
    loop {
        let bad: Vec<(u32, Vec<String>)> = uids
            .iter()
            .map(|&u| (u, team_keywords(imap, u)))
            .filter(|(u, k)| !ok(*u, k))
            .collect();
        if bad.is_empty() {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{what}: not yet on {bad:?}"
        );
        thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn bulk_marked_by_a_search_done_then_undone_restores_exactly_those_20() {
    let tb = Testbed::start();
    for n in 1..=20 {
        tb.deliver(
            "support@example.test",
            &message(n, &format!("Payment received #{n:02}")),
        );
    }
    for n in 21..=25 {
        tb.deliver(
            "support@example.test",
            &message(n, &format!("Question #{n:02}")),
        );
    }
    // A teammate's state on some of them before the agent starts.
    let mut bob = tb.raw_imap("bob");
    bob.cmd_ok(&format!("SELECT \"{MAILBOX}\""));
    let payments: Vec<u32> = (1..=20)
        .map(|n| uid_of(&mut bob, &format!("Payment received #{n:02}")))
        .collect();
    let others: Vec<u32> = (21..=25)
        .map(|n| uid_of(&mut bob, &format!("Question #{n:02}")))
        .collect();
    for &u in &payments[..5] {
        bob.cmd_ok(&format!("UID STORE {u} +FLAGS ($assigned.bob)"));
    }
    for &u in &payments[5..8] {
        bob.cmd_ok(&format!("UID STORE {u} +FLAGS ($pending $assigned.carol)"));
    }
    bob.cmd_ok(&format!("UID STORE {} +FLAGS ($assigned.carol)", others[0]));
    let before: Vec<(u32, Vec<String>)> = payments
        .iter()
        .chain(&others)
        .map(|&u| (u, team_keywords(&mut bob, u)))
        .collect();

    let (tmux, _dir) = start_synced(&tb, "alice", "[ui]\nview = \"all\"\n\n", 25, FIRST_SCREEN);
    thread::sleep(Duration::from_millis(500));

    tmux.keys(&["M"]);
    tmux.keys(&["-l", "subject:payment"]);
    tmux.keys(&["Enter"]);
    tmux.wait_for("20 marked", LIVE, |s| s.contains("· 20 marked"));

    tmux.keys(&["d"]);
    tmux.wait_for("the summary line", LIVE, |s| {
        s.contains("support: done: 20 messages")
    });
    wait_all(&mut bob, &payments, "$done on the 20", |_, k| {
        k.iter().any(|x| x == "$done")
    });
    for (u, k) in before.iter().filter(|(u, _)| others.contains(u)) {
        assert_eq!(&team_keywords(&mut bob, *u), k, "UID {u} was not marked");
    }

    tmux.keys(&["u"]);
    tmux.wait_for("the undo", LIVE, |s| {
        s.contains("undid done on 20 messages")
    });
    wait_all(&mut bob, &payments, "the keywords before", |u, k| {
        before.iter().any(|(b, bk)| *b == u && bk.as_slice() == k)
    });
    for (u, k) in before.iter().filter(|(u, _)| others.contains(u)) {
        assert_eq!(&team_keywords(&mut bob, *u), k, "UID {u} was not marked");
    }
    tmux.keys(&["q"]);
    let (status, _) = tmux.wait_exit(Duration::from_secs(5));
    assert_eq!(status, 0, "exit status; the screen:\n{}", tmux.screen());
}

/// `mailroom triage` on several UIDs (comma and space separated) and on `--search`: each
/// message applied and reported (text: a line each and a summary; JSON: one object per UID).
#[test]
fn the_cli_triages_several_uids_and_a_search() {
    use support::cli::Cli;
    let tb = Testbed::start();
    for n in 1..=4 {
        tb.deliver(
            "support@example.test",
            &message(n, &format!("Payment received #{n:02}")),
        );
    }
    tb.deliver("support@example.test", &message(5, "Question #05"));
    let mut bob = tb.raw_imap("bob");
    bob.cmd_ok(&format!("SELECT \"{MAILBOX}\""));
    let p: Vec<u32> = (1..=4)
        .map(|n| uid_of(&mut bob, &format!("Payment received #{n:02}")))
        .collect();
    let q = uid_of(&mut bob, "Question #05");
    let alice = Cli::testbed(&tb, "alice", "send = \"none\"\n", "");

    let first = format!("{},{}", p[0], p[1]);
    let third = p[2].to_string();
    let (code, out) = alice.run_joined(&["triage", "support", &first, &third, "pending"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("3 messages; 0 not applied"), "{out}");
    for &u in &p[..3] {
        assert!(out.contains(&format!("pending UID {u}:")), "{out}");
        assert_eq!(team_keywords(&mut bob, u), ["$pending"]);
    }
    assert!(team_keywords(&mut bob, p[3]).is_empty());

    let (code, out) = alice.run_joined(&[
        "triage",
        "support",
        "--search",
        "subject:payment",
        "done",
        "--json",
    ]);
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let arr = v.as_array().expect("an array");
    let mut uids: Vec<u64> = arr.iter().filter_map(|o| o["uid"].as_u64()).collect();
    uids.sort();
    let mut want: Vec<u64> = p.iter().map(|&u| u64::from(u)).collect();
    want.sort();
    assert_eq!(uids, want, "{out}");
    assert!(arr.iter().all(|o| o["ok"] == true), "{out}");
    for &u in &p {
        assert_eq!(team_keywords(&mut bob, u), ["$done"]);
    }
    assert!(team_keywords(&mut bob, q).is_empty(), "not matched");

    // UIDs and --search together, or neither: a usage error, nothing changed.
    let (code, out) = alice.run_joined(&["triage", "support", "--search", "x", "1", "done"]);
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("no UID with it"), "{out}");
    let (code, out) = alice.run_joined(&["triage", "support", "done"]);
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("name the messages"), "{out}");
}
