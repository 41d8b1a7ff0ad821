//! Team state without keywords (issue #6 item 7): the folder mapping against a real Dovecot.
//!
//! Dovecot 2.3 always offers `\*` to an agent who may write (only its imapc proxy storage, or
//! missing rights, take it away), so these accounts use `team_state = "folders"`: the "fake
//! capability" the issue allows. Detection from PERMANENTFLAGS is unit-tested in
//! `triage::folders`. Claims race, moves are read back by a raw session, rights are enforced.

use crate::support;

use mailroom::config::{Imap, TeamStateSetting};
use mailroom::triage::act::ActError;
use mailroom::triage::folders::Mapping;
use support::cli::{Cli, imap_config};
use support::race::claim_race;
use support::testbed::Testbed;

const INBOX: &str = "shared/support/INBOX";
const FULL: &str = "lrwstipekxa";

/// `login`'s `[account.imap]` table, team state in folders.
fn imap(tb: &Testbed, login: &str) -> Imap {
    Imap {
        team_state: TeamStateSetting::Folders,
        ..imap_config(tb, login)
    }
}

/// `agent` on the support account, sending nothing, team state in folders.
fn cli(tb: &Testbed, agent: &str) -> Cli {
    Cli::testbed(tb, agent, "send = \"none\"", "team_state = \"folders\"\n")
}

fn message(n: usize) -> Vec<u8> {
    format!(
        "From: c{n}@outside.test\r\nTo: help@example.test\r\nSubject: question {n}\r\nMessage-ID: <q{n}.folders@outside.test>\r\n\r\nbody {n}\r\n"
    )
    .into_bytes()
}

/// Folders holding message `n` (by Message-ID), with their FLAGS lines, as carol (read-only)
/// sees them.
fn where_is(tb: &Testbed, n: usize) -> Vec<(String, String)> {
    let mut raw = tb.raw_imap("carol");
    let list = raw.cmd_ok("LIST \"\" \"shared/support/*\"");
    let mut out = Vec::new();
    for line in list.lines().filter(|l| l.starts_with("* LIST")) {
        let Some(name) = line.rsplit(' ').next() else {
            continue;
        };
        let name = name.trim_matches('"').to_string();
        if raw.cmd(&format!("EXAMINE \"{name}\"")).is_empty() || raw.last_status() != "OK" {
            continue;
        }
        let found = raw.cmd_ok(&format!(
            "UID SEARCH HEADER Message-ID \"<q{n}.folders@outside.test>\""
        ));
        let uids: Vec<String> = found
            .lines()
            .filter_map(|l| l.strip_prefix("* SEARCH"))
            .flat_map(|l| l.split_whitespace().map(str::to_string).collect::<Vec<_>>())
            .collect();
        for uid in uids {
            let flags = raw.cmd_ok(&format!("UID FETCH {uid} (FLAGS)"));
            let line = flags
                .lines()
                .find(|l| l.contains("FETCH ("))
                .unwrap_or_default()
                .to_string();
            out.push((name.clone(), line));
        }
    }
    out
}

/// Gives `agent` full rights on the mailbox and every team folder (alice administers).
fn grant_all(tb: &Testbed, agent: &str, agents_with_folders: &[&str]) {
    let mut admin = tb.raw_imap("alice");
    let mut folders = vec![
        INBOX.to_string(),
        "shared/support/Pending".into(),
        "shared/support/Done".into(),
        "shared/support/Assigned".into(),
    ];
    folders.extend(
        agents_with_folders
            .iter()
            .map(|a| format!("shared/support/Assigned/{a}")),
    );
    for f in &folders {
        if f != INBOX {
            admin.cmd(&format!("CREATE \"{f}\""));
        }
        admin.cmd_ok(&format!("SETACL \"{f}\" {agent} {FULL}"));
    }
}

/// `triage support UID ACTION... [--in FOLDER] --json` as `cli`; returns the result's new UID.
fn triage(cli: &Cli, uid: u32, action: &[&str], folder: Option<&str>) -> (u32, serde_json::Value) {
    let uid_s = uid.to_string();
    let mut args = vec!["triage", "support", &uid_s];
    args.extend(action);
    if let Some(f) = folder {
        args.extend(["--in", f]);
    }
    args.push("--json");
    let (code, out) = cli.run_joined(&args);
    assert_eq!(code, 0, "{args:?}: {out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(v["result"]["mapping"], "folders", "{out}");
    let new_uid = v["result"]["moved_to"]["uid"]
        .as_u64()
        .unwrap_or_else(|| panic!("no new UID (Dovecot has UIDPLUS): {out}"));
    (new_uid as u32, v)
}

fn only_place(tb: &Testbed, n: usize) -> (String, String) {
    let places = where_is(tb, n);
    assert_eq!(
        places.len(),
        1,
        "message {n} should be in one place: {places:?}"
    );
    places.into_iter().next().unwrap()
}

#[test]
fn the_cli_verbs_move_messages_between_team_folders() {
    let tb = Testbed::start();
    tb.put_message("support", "INBOX", &message(1), "");
    let alice = cli(&tb, "alice");
    let carol = cli(&tb, "carol");

    // claim → Assigned/alice (created on demand), no flag written, seen by a raw session.
    let (uid, v) = triage(&alice, 1, &["claim"], None);
    assert_eq!(
        v["result"]["moved_to"]["mailbox"],
        "shared/support/Assigned/alice"
    );
    assert_eq!(v["result"]["after"]["assigned"], "alice");
    let (folder, flags) = only_place(&tb, 1);
    assert_eq!(folder, "shared/support/Assigned/alice");
    assert!(
        !flags.contains("\\Flagged"),
        "\\Flagged is the users' own: {flags}"
    );

    // Text output names the mapping and the new place.
    let (code, out) = alice.run_joined(&[
        "triage",
        "support",
        &uid.to_string(),
        "pending",
        "--in",
        "Assigned/alice",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("folder mapping") && out.contains("shared/support/Pending"),
        "{out}"
    );
    let (folder, flags) = only_place(&tb, 1);
    assert_eq!(folder, "shared/support/Pending");
    assert!(!flags.contains("\\Flagged"), "{flags}");
    let pending_uid = flags
        .split_whitespace()
        .skip_while(|w| *w != "(UID")
        .nth(1)
        .and_then(|u| u.parse::<u32>().ok())
        .unwrap();

    let (uid, _) = triage(&alice, pending_uid, &["done"], Some("Pending"));
    assert_eq!(only_place(&tb, 1).0, "shared/support/Done");

    let (uid, v) = triage(&alice, uid, &["reopen"], Some("shared/support/Done"));
    assert_eq!(v["result"]["moved_to"]["mailbox"], INBOX);
    let (folder, flags) = only_place(&tb, 1);
    assert_eq!(folder, INBOX);
    assert!(!flags.contains("\\Flagged"), "{flags}");

    let (uid, _) = triage(&alice, uid, &["claim"], None);
    let (uid, v) = triage(&alice, uid, &["assign", "bob"], Some("Assigned/alice"));
    assert_eq!(
        v["result"]["moved_to"]["mailbox"],
        "shared/support/Assigned/bob"
    );
    assert_eq!(only_place(&tb, 1).0, "shared/support/Assigned/bob");

    // A claim of bob's message is lost to bob, and moves nothing.
    let (code, out) = alice.run_joined(&[
        "triage",
        "support",
        &uid.to_string(),
        "claim",
        "--in",
        "Assigned/bob",
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("claim lost: bob was first"), "{out}");

    let (uid, _) = triage(&alice, uid, &["unassign"], Some("Assigned/bob"));
    let (folder, flags) = only_place(&tb, 1);
    assert_eq!(folder, INBOX);
    assert!(!flags.contains("\\Flagged"), "{flags}");

    // Snooze needs keywords; a folder outside the team folders is refused.
    let (code, out) = alice.run_joined(&["triage", "support", &uid.to_string(), "snooze", "+1h"]);
    assert_eq!(code, 1);
    assert!(out.contains("needs IMAP keywords"), "{out}");
    let (code, out) = alice.run_joined(&[
        "triage",
        "support",
        &uid.to_string(),
        "done",
        "--in",
        "Sent",
    ]);
    assert_eq!(code, 1);
    assert!(
        out.contains("not the mailbox or one of its team folders"),
        "{out}"
    );

    // carol (lr): refused by the client; forced, the server refuses; nothing moves.
    let (code, out) = carol.run_joined(&["triage", "support", &uid.to_string(), "claim"]);
    assert_eq!(code, 1);
    assert!(out.contains("`i`"), "{out}");
    let (code, out) =
        carol.run_joined(&["triage", "support", &uid.to_string(), "claim", "--force"]);
    assert_eq!(code, 1, "{out}");
    assert_eq!(only_place(&tb, 1).0, INBOX);
    assert!(!only_place(&tb, 1).1.contains("\\Flagged"));
}

#[test]
fn twenty_folder_claim_races_each_have_exactly_one_winner() {
    const N: usize = 20;
    let tb = Testbed::start();
    for n in 1..=N {
        tb.put_message("support", "INBOX", &message(n), "");
    }
    // bob needs `e` (and `k`) too: the folder mapping moves messages.
    grant_all(&tb, "bob", &["alice", "bob"]);
    let agents = ["alice", "bob"];
    let configs: Vec<Imap> = agents.iter().map(|a| imap(&tb, a)).collect();
    let uids: Vec<u32> = (1..=N as u32).collect();
    let results = claim_race(
        &agents,
        &configs,
        INBOX,
        TeamStateSetting::Folders,
        &uids,
        |m| matches!(m, Mapping::Folders(_)),
    );
    let mut wins = [0usize; 2];
    for (k, &uid) in uids.iter().enumerate() {
        // Message n went in as UID n.
        let n = uid as usize;
        let winner = match (&results[0][k], &results[1][k]) {
            (Ok(_), Err(ActError::Lost { winner })) => {
                assert_eq!(winner, "alice", "message {n}");
                wins[0] += 1;
                "alice"
            }
            (Err(ActError::Lost { winner }), Ok(_)) => {
                assert_eq!(winner, "bob", "message {n}");
                wins[1] += 1;
                "bob"
            }
            other => panic!("message {n}: expected exactly one winner, got {other:?}"),
        };
        let (folder, flags) = only_place(&tb, n);
        assert_eq!(
            folder,
            format!("shared/support/Assigned/{winner}"),
            "message {n}"
        );
        assert!(!flags.contains("\\Flagged"), "message {n}: {flags}");
    }
    assert_eq!(wins[0] + wins[1], N);
    eprintln!("wins: alice {}, bob {}", wins[0], wins[1]);
}

#[test]
fn check_names_the_folder_mapping() {
    let tb = Testbed::start();
    let alice = cli(&tb, "alice");
    let (code, out) = alice.run_joined(&["check"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("team state maps to folders (a claim is the move itself): shared/support/{Assigned/<agent>,Pending,Done}")
            && out.contains("team_state = \"folders\""),
        "{out}"
    );
    let (code, out) = alice.run_joined(&["check", "--json"]);
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v[0]["team_state"], "folders", "{out}");
    assert_eq!(v[0]["team_state_setting"], "folders");
    assert_eq!(
        v[0]["team_folders"],
        "shared/support/{Assigned/<agent>,Pending,Done}"
    );
    // carol cannot change team state, whatever the mapping.
    let (_, out) = cli(&tb, "carol").run_joined(&["check", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v[0]["team_state"], "read-only", "{out}");
}
