//! The keyword contract against a real Dovecot: atomic claims under races, the CLI verbs read
//! back by a raw session, and rights refused by the client and (when forced) by the server.

mod support;

use std::process::Command;
use std::sync::{Arc, Barrier};

use mailroom::config::Imap;
use mailroom::imap::connect::{Target, open_session};
use mailroom::triage::act::{self, ActError};
use mailroom::triage::state::Action;
use support::testbed::Testbed;

fn imap(tb: &Testbed, login: &str) -> Imap {
    toml::from_str(&format!(
        "host = \"127.0.0.1\"\nport = {}\nca_file = \"{}\"\nlogin = \"{login}\"\npassword = \"{}\"\nmailbox = \"shared/support/INBOX\"\n",
        tb.imaps_port,
        tb.ca_file.display(),
        Testbed::password(login)
    ))
    .unwrap()
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
    let configs: Vec<Imap> = agents.iter().map(|a| imap(&tb, a)).collect();
    let mut wins = [0usize; 2];
    let barrier = Arc::new(Barrier::new(2));
    let results = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2)
            .map(|i| {
                let cfg = configs[i].clone();
                let uids = uids.clone();
                let barrier = barrier.clone();
                let me = agents[i];
                s.spawn(move || {
                    let mut conn = open_session(&Target {
                        account: "support",
                        config: &cfg,
                    })
                    .unwrap();
                    let rights =
                        act::select_with_rights(&mut conn, "shared/support/INBOX").unwrap();
                    uids.iter()
                        .map(|uid| {
                            barrier.wait();
                            act::apply(&mut conn, rights, *uid, &Action::Claim, me, true)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect::<Vec<_>>()
    });
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

struct Cli {
    config: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Cli {
    fn new(tb: &Testbed, agent: &str) -> Cli {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("c.toml");
        std::fs::write(
            &config,
            format!(
                "[agent]\nid = \"{agent}\"\nname = \"{agent}\"\nemail = \"{agent}@example.test\"\n[[account]]\nname = \"support\"\naddress = \"support@example.test\"\nsend = \"none\"\n[account.imap]\nhost = \"127.0.0.1\"\nport = {}\nca_file = \"{}\"\nlogin = \"{agent}\"\npassword_command = \"echo {}\"\nmailbox = \"shared/support/INBOX\"\n",
                tb.imaps_port,
                tb.ca_file.display(),
                Testbed::password(agent)
            ),
        )
        .unwrap();
        Cli { config, _dir: dir }
    }

    fn run(&self, args: &[&str]) -> (i32, String) {
        let o = Command::new(env!("CARGO_BIN_EXE_mailroom"))
            .arg("--config")
            .arg(&self.config)
            .args(args)
            .output()
            .unwrap();
        (
            o.status.code().unwrap_or(-1),
            format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            ),
        )
    }
}

#[test]
fn the_cli_verbs_follow_the_contract_and_rights() {
    let tb = Testbed::start();
    tb.deliver(
        "help@example.test",
        b"From: c@outside.test\r\nTo: help@example.test\r\nSubject: q\r\n\r\nx\r\n",
    );
    let uid = "1";
    let alice = Cli::new(&tb, "alice");
    let bob = Cli::new(&tb, "bob");
    let carol = Cli::new(&tb, "carol");

    let (code, out) = alice.run(&["triage", "support", uid, "claim", "--json"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("\"assigned\": \"alice\""), "{out}");
    assert!(keywords_of(&tb, 1).contains("$assigned.alice"));

    let (code, out) = bob.run(&["triage", "support", uid, "claim"]);
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
            "$snoozed.203001020304",
            "$nothing",
        ),
        (vec!["reopen"], "$assigned.bob", "$done"),
        (vec!["unassign"], "FLAGS (", "$assigned."),
    ] {
        let mut full = vec!["triage", "support", uid];
        full.extend(args.iter());
        let (code, out) = alice.run(&full);
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
    let (code, out) = carol.run(&["triage", "support", uid, "claim"]);
    assert_eq!(code, 1);
    assert!(out.contains("`w` right"), "{out}");
    let (code, out) = carol.run(&["triage", "support", uid, "claim", "--force"]);
    assert_eq!(code, 1);
    assert!(
        out.contains("did not store") && out.contains("read-only"),
        "{out}"
    );
    assert!(!keywords_of(&tb, 1).contains("$assigned.carol"));

    let (code, out) = alice.run(&["triage", "support", uid, "assign", "Bad Agent"]);
    assert_eq!(code, 1);
    assert!(out.contains("not a valid agent id"), "{out}");
}
