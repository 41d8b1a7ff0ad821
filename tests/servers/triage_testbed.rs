//! The keyword contract against a real Dovecot: atomic claims under races, the CLI verbs read
//! back by a raw session, and rights refused by the client and (when forced) by the server.

use crate::support;

use mailroom::config::{Imap, TeamStateSetting};
use mailroom::triage::act::ActError;
use mailroom::triage::folders::Mapping;
use support::cli::{Cli, imap_config};
use support::race::claim_race;
use support::testbed::Testbed;

/// `agent` on the support account, sending nothing; `extra`: more `[[account]]` keys.
fn cli(tb: &Testbed, agent: &str, extra: &str) -> Cli {
    Cli::testbed(tb, agent, &format!("send = \"none\"\n{extra}"), "")
}

fn keywords_of(tb: &Testbed, uid: u32) -> String {
    let mut raw = tb.raw_imap("carol");
    raw.cmd_ok("EXAMINE \"shared/support/INBOX\"");
    let out = raw.cmd_ok(&format!("UID FETCH {uid} (FLAGS)"));
    out.lines()
        .find(|l| l.contains("FETCH (UID"))
        .unwrap_or_default()
        .to_string()
}

#[test]
fn fifty_races_each_have_exactly_one_winner() {
    let tb = Testbed::start();
    let filled = tb.fill("support", "INBOX", 50, 3);
    // fill() may add keywords (team state); start from a clean slate.
    let mut admin = tb.raw_imap("alice");
    admin.cmd_ok("SELECT \"shared/support/INBOX\"");
    admin.cmd_ok("STORE 1:* -FLAGS ($assigned.alice $assigned.bob $assigned.carol $assigned.dave $pending $done)");
    let uids: Vec<u32> = (1..=filled.len() as u32).collect();
    let agents = ["alice", "bob"];
    let configs: Vec<Imap> = agents.iter().map(|a| imap_config(&tb, a)).collect();
    let mut wins = [0usize; 2];
    let results = claim_race(
        &agents,
        &configs,
        "shared/support/INBOX",
        TeamStateSetting::Auto,
        &uids,
        |m| *m == Mapping::Keywords,
    );
    for (k, uid) in uids.iter().enumerate() {
        let (a, b) = (&results[0][k], &results[1][k]);
        match (a, b) {
            (Ok(_), Err(ActError::Lost { winner })) => {
                assert_eq!(winner, "alice");
                wins[0] += 1;
            }
            (Err(ActError::Lost { winner }), Ok(_)) => {
                assert_eq!(winner, "bob");
                wins[1] += 1;
            }
            other => panic!("UID {uid}: expected exactly one winner, got {other:?}"),
        }
        let flags = keywords_of(&tb, *uid);
        assert_eq!(flags.matches("$assigned.").count(), 1, "UID {uid}: {flags}");
    }
    assert_eq!(wins[0] + wins[1], 50);
}

#[test]
fn the_cli_verbs_follow_the_contract_and_rights() {
    let tb = Testbed::start();
    tb.deliver(
        "help@example.test",
        b"From: c@outside.test\r\nTo: help@example.test\r\nSubject: q\r\n\r\nx\r\n",
    );
    let uid = "1";
    let alice = cli(&tb, "alice", "");
    let bob = cli(&tb, "bob", "");
    let carol = cli(&tb, "carol", "");

    let (code, out) = alice.run_joined(&["triage", "support", uid, "claim", "--json"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("\"assigned\": \"alice\""), "{out}");
    assert!(keywords_of(&tb, 1).contains("$assigned.alice"));

    let (code, out) = bob.run_joined(&["triage", "support", uid, "claim"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("claim lost: alice was first"), "{out}");
    assert!(
        keywords_of(&tb, 1).contains("$assigned.alice"),
        "a lost claim overwrites nothing"
    );

    for (args, expect, absent) in [
        (vec!["assign", "bob"], "$assigned.bob", "$assigned.alice"),
        (vec!["pending"], "$pending", "$done"),
        (vec!["done"], "$done", "$pending"),
        (
            vec!["snooze", "2030-01-02T03:04"],
            "$snoozed",
            "$snoozed.2030",
        ),
        (vec!["reopen"], "$assigned.bob", "$done"),
        (vec!["unassign"], "FLAGS (", "$assigned."),
    ] {
        let mut full = vec!["triage", "support", uid];
        full.extend(args.iter());
        let (code, out) = alice.run_joined(&full);
        assert_eq!(code, 0, "{args:?}: {out}");
        let flags = keywords_of(&tb, 1);
        assert!(
            flags.contains(expect) && !flags.contains(absent),
            "{args:?}: {flags}"
        );
    }
    assert!(
        !keywords_of(&tb, 1).contains("$snoozed"),
        "reopen clears the snooze"
    );

    // carol (lr): refused by the client; forced, the server refuses (it stores nothing).
    let (code, out) = carol.run_joined(&["triage", "support", uid, "claim"]);
    assert_eq!(code, 1);
    assert!(out.contains("`w` right"), "{out}");
    let (code, out) = carol.run_joined(&["triage", "support", uid, "claim", "--force"]);
    assert_eq!(code, 1);
    assert!(
        out.contains("did not store") && out.contains("read-only"),
        "{out}"
    );
    assert!(!keywords_of(&tb, 1).contains("$assigned.carol"));

    let (code, out) = alice.run_joined(&["triage", "support", uid, "assign", "Bad Agent"]);
    assert_eq!(code, 1);
    assert!(out.contains("not a valid agent id"), "{out}");
}

#[test]
fn done_moves_to_the_archive_folder_when_one_is_configured() {
    let tb = Testbed::start();
    tb.deliver(
        "support@example.test",
        b"From: c@outside.test\r\nTo: support@example.test\r\nSubject: archive me\r\nMessage-ID: <archive-me@outside.test>\r\n\r\nx\r\n",
    );
    let archive = "archive_folder = \"shared/support/Archive\"";
    let alice = cli(&tb, "alice", archive);

    // Pending stays in the mailbox; done moves it, keeping its keywords.
    let (code, out) = alice.run_joined(&["triage", "support", "1", "pending"]);
    assert_eq!(code, 0, "{out}");
    assert!(keywords_of(&tb, 1).contains("$pending"));
    let (code, out) = alice.run_joined(&["triage", "support", "1", "done"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("now in shared/support/Archive"), "{out}");
    let mut raw = tb.raw_imap("alice");
    let inbox = raw.cmd_ok("EXAMINE \"shared/support/INBOX\"");
    assert!(inbox.contains("* 0 EXISTS"), "{inbox}");
    raw.cmd_ok("EXAMINE \"shared/support/Archive\"");
    let found = raw.cmd_ok("UID SEARCH HEADER Message-ID \"archive-me@outside.test\"");
    let uid = found
        .lines()
        .find_map(|l| l.strip_prefix("* SEARCH "))
        .and_then(|u| u.trim().parse::<u32>().ok())
        .unwrap_or_else(|| panic!("not in the archive: {found}"));
    let flags = raw.cmd_ok(&format!("UID FETCH {uid} (FLAGS)"));
    assert!(
        flags.contains("$done") && !flags.contains("$pending"),
        "{flags}"
    );

    // Without the rights to move, the message stays, marked done, and the error says so.
    tb.deliver(
        "support@example.test",
        b"From: c@outside.test\r\nTo: support@example.test\r\nSubject: stays\r\n\r\nx\r\n",
    );
    let bob = cli(&tb, "bob", archive);
    let (code, out) = bob.run_joined(&["triage", "support", "2", "done"]);
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("marked done, but not moved"), "{out}");
    assert!(keywords_of(&tb, 2).contains("$done"));
}
