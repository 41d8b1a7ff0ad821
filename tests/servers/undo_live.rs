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

/// The UIDs `imap` finds in `folder` for a Message-ID.
fn uids_in(imap: &mut RawImap, folder: &str, message_id: &str) -> Vec<u32> {
    // The archive exists once something was moved there.
    imap.cmd(&format!("EXAMINE \"{folder}\""));
    if imap.last_status() != "OK" {
        return Vec::new();
    }
    let out = imap.cmd_ok(&format!("UID SEARCH HEADER Message-ID \"{message_id}\""));
    out.lines()
        .find_map(|l| l.strip_prefix("* SEARCH"))
        .map(|rest| {
            rest.split_whitespace()
                .filter_map(|u| u.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// Polls until `ok` holds for the UIDs of `message_id` in `folder`; returns them.
fn wait_in(
    imap: &mut RawImap,
    folder: &str,
    message_id: &str,
    what: &str,
    ok: impl Fn(&[u32]) -> bool,
) -> Vec<u32> {
    let deadline = std::time::Instant::now() + LIVE;
    loop {
        let uids = uids_in(imap, folder, message_id);
        if ok(&uids) {
            return uids;
        }
        assert!(std::time::Instant::now() < deadline, "{what}: {uids:?}");
        thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn undo_of_done_moves_the_message_back_from_the_archive_with_its_state_before() {
    const ARCHIVE: &str = "shared/support/Archive";
    let tb = Testbed::start();
    tb.deliver(
        "support@example.test",
        &customer_message("undoarch", 1, "Older question"),
    );
    tb.deliver(
        "support@example.test",
        &customer_message("undoarch", 2, "Archive me"),
    );
    let mut bob = tb.raw_imap("bob");
    bob.cmd_ok(&format!("SELECT \"{MAILBOX}\""));
    let uid = uid_of(&mut bob, "Archive me");
    bob.cmd_ok(&format!("UID STORE {uid} +FLAGS ($pending)"));

    let dir = tempfile::tempdir().expect("temp dir");
    let config = tmux::write_testbed_config(dir.path(), &tb, "alice", "[ui]\nview = \"all\"\n\n");
    let text = std::fs::read_to_string(&config).expect("config");
    let text = text.replacen(
        "sent_copy = \"none\"\n",
        &format!("sent_copy = \"none\"\narchive_folder = \"{ARCHIVE}\"\n"),
        1,
    );
    std::fs::write(&config, text).expect("config");
    let tmux = Tmux::start(&mailroom_command(dir.path(), &config), 160, 30);
    tmux.wait_for("alice's synced column", FIRST_SCREEN, |s| {
        s.contains("support  ready · idle  2 ·") && s.contains("support: online (idle)")
    });

    // The newest row is selected: done moves it to the archive.
    tmux.keys(&["d"]);
    let id = "undoarch2@outside.test";
    let archived = wait_in(&mut bob, ARCHIVE, id, "in the archive", |u| u.len() == 1);
    wait_in(
        &mut bob,
        MAILBOX,
        id,
        "out of the mailbox",
        <[u32]>::is_empty,
    );
    bob.cmd_ok(&format!("EXAMINE \"{ARCHIVE}\""));
    assert_eq!(
        team_keywords(&mut bob, archived[0]),
        ["$done"],
        "pending became done"
    );
    // The answer is in (its line says so): `u` has a step to undo.
    tmux.wait_for("done's answer", LIVE, |s| {
        s.contains(&format!("done UID {uid}"))
    });

    tmux.keys(&["u"]);
    tmux.wait_for("the undo", LIVE, |s| {
        s.contains(&format!("undid done on UID {uid}"))
    });
    let back = wait_in(&mut bob, MAILBOX, id, "back in the mailbox", |u| {
        u.len() == 1
    });
    wait_in(
        &mut bob,
        ARCHIVE,
        id,
        "out of the archive",
        <[u32]>::is_empty,
    );
    bob.cmd_ok(&format!("SELECT \"{MAILBOX}\""));
    wait_keywords(&mut bob, back[0], &["$pending"]);
    // The column shows it again.
    tmux.wait_for("the row back", LIVE, |s| s.contains("Archive me"));
    tmux.keys(&["q"]);
    let (status, _) = tmux.wait_exit(Duration::from_secs(5));
    assert_eq!(status, 0, "exit status; the screen:\n{}", tmux.screen());
}

/// Team state in folders (`team_state = "folders"`): a claim moves the message to
/// `Assigned/alice`; `u` moves it back to the mailbox.
#[test]
fn undo_of_a_claim_in_the_folder_mapping_moves_the_message_back() {
    const ASSIGNED: &str = "shared/support/Assigned/alice";
    let tb = Testbed::start();
    tb.deliver(
        "support@example.test",
        &customer_message("undofold", 1, "Claim me"),
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let config = tmux::write_testbed_config(dir.path(), &tb, "alice", "[ui]\nview = \"all\"\n\n");
    let text = std::fs::read_to_string(&config).expect("config") + "team_state = \"folders\"\n";
    std::fs::write(&config, text).expect("config");
    let tmux = Tmux::start(&mailroom_command(dir.path(), &config), 160, 30);
    tmux.wait_for("alice's synced column", FIRST_SCREEN, |s| {
        s.contains("support  ready · idle  1 ·") && s.contains("support: online (idle)")
    });
    let mut bob = tb.raw_imap("bob");
    let id = "undofold1@outside.test";
    let uid = wait_in(&mut bob, MAILBOX, id, "in the mailbox", |u| u.len() == 1)[0];

    tmux.keys(&["a"]);
    wait_in(&mut bob, ASSIGNED, id, "in Assigned/alice", |u| {
        u.len() == 1
    });
    wait_in(
        &mut bob,
        MAILBOX,
        id,
        "out of the mailbox",
        <[u32]>::is_empty,
    );
    // The claim's answer is in (its line says so): `u` has a step to undo.
    tmux.wait_for("the claim's answer", LIVE, |s| {
        s.contains(&format!("claim UID {uid}"))
    });

    tmux.keys(&["u"]);
    tmux.wait_for("the undo", LIVE, |s| {
        s.contains(&format!("undid claim on UID {uid}"))
    });
    wait_in(&mut bob, MAILBOX, id, "back in the mailbox", |u| {
        u.len() == 1
    });
    wait_in(
        &mut bob,
        ASSIGNED,
        id,
        "out of Assigned/alice",
        <[u32]>::is_empty,
    );
    tmux.keys(&["q"]);
    let (status, _) = tmux.wait_exit(Duration::from_secs(5));
    assert_eq!(status, 0, "exit status; the screen:\n{}", tmux.screen());
}

/// The snooze records of `message_id` in the notes folder: their wake times, oldest first.
fn snooze_records(imap: &mut RawImap, message_id: &str) -> Vec<i64> {
    // The folder exists once the first record was written.
    let examined = imap.cmd("EXAMINE \"shared/support/Notes\"");
    if imap.last_status() != "OK" || examined.contains("* 0 EXISTS") {
        return Vec::new();
    }
    let out =
        imap.cmd_ok("UID FETCH 1:* (BODY.PEEK[HEADER.FIELDS (X-Mailroom-Snooze In-Reply-To)])");
    out.split("* ")
        .filter(|r| r.contains(&format!("In-Reply-To: <{message_id}>")))
        .filter_map(|r| {
            let at = r.find("X-Mailroom-Snooze: ")? + "X-Mailroom-Snooze: ".len();
            mailroom::mail::snooze::parse_rfc3339_utc(r.get(at..at + 20)?)
        })
        .collect()
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Snoozed again (a new record, a new wake time), then `u`: the message stays snoozed and the
/// record that snooze wrote is taken away, so the earlier one says the wake time again.
#[test]
fn undo_of_a_snooze_takes_away_the_record_it_wrote() {
    let tb = Testbed::start();
    tb.deliver(
        "support@example.test",
        &customer_message("undosnz", 1, "Snooze me"),
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let config = tmux::write_testbed_config(dir.path(), &tb, "alice", "[ui]\nview = \"all\"\n\n");
    let tmux = Tmux::start(&mailroom_command(dir.path(), &config), 160, 30);
    tmux.wait_for("alice's synced column", FIRST_SCREEN, |s| {
        s.contains("support  ready · idle  1 ·") && s.contains("support: online (idle)")
    });
    let id = "undosnz1@outside.test";
    let mut bob = tb.raw_imap("bob");
    bob.cmd_ok(&format!("SELECT \"{MAILBOX}\""));
    let uid = uid_of(&mut bob, "Snooze me");

    let start = unix_now();
    for (n, time) in [(1, "2h"), (2, "5h")] {
        tmux.keys(&["z"]);
        tmux.keys(&["-l", time]);
        tmux.keys(&["Enter"]);
        let deadline = std::time::Instant::now() + LIVE;
        while snooze_records(&mut bob, id).len() < n {
            assert!(std::time::Instant::now() < deadline, "snooze {n}");
            thread::sleep(Duration::from_millis(200));
        }
        bob.cmd_ok(&format!("SELECT \"{MAILBOX}\""));
        wait_keywords(&mut bob, uid, &["$snoozed"]);
    }

    tmux.keys(&["u"]);
    tmux.wait_for("the undo", LIVE, |s| {
        s.contains(&format!("undid snooze on UID {uid}"))
    });
    let deadline = std::time::Instant::now() + LIVE;
    let records = loop {
        let r = snooze_records(&mut bob, id);
        if r.len() == 1 {
            break r;
        }
        assert!(std::time::Instant::now() < deadline, "records: {r:?}");
        thread::sleep(Duration::from_millis(200));
    };
    // The first snooze's record (2 h) is the one left.
    assert!(
        (start + 7200 - 60..=unix_now() + 7200).contains(&records[0]),
        "{records:?}"
    );
    bob.cmd_ok(&format!("SELECT \"{MAILBOX}\""));
    assert_eq!(team_keywords(&mut bob, uid), ["$snoozed"], "still snoozed");
    tmux.keys(&["q"]);
    let (status, _) = tmux.wait_exit(Duration::from_secs(5));
    assert_eq!(status, 0, "exit status; the screen:\n{}", tmux.screen());
}
