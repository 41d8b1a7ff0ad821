//! The Dovecot tests' counterparts on a real Cyrus IMAP 3.6 (`crate::support::cyrus`): notes in
//! the shared mailbox's own child folder (`shared.support.Notes`, issue 16 failure 6) with
//! refusals naming the folder and the right, `access` within the account's own tree (failure
//! 8), IDLE reaching the engine, the Sent copy after `mailroom send` (SMTP from the Dovecot test
//! bed's Postfix), and delegated login (`proxyservers`).
//!
//! One Cyrus serves every test of this module (started once); each test seeds messages of its
//! own and finds them by Message-ID, so the tests run in parallel on it.

use crate::support;

use std::sync::OnceLock;
use std::sync::mpsc::channel;
use std::time::{Duration, Instant};

use mailroom::imap::sync::SyncEvent;
use mailroom::store::cache::HeaderCache;
use support::cli::Cli;
use support::cyrus::{ADMIN, CyrusTestbed};
use support::testbed::Testbed;

fn cyrus() -> &'static CyrusTestbed {
    static CY: OnceLock<CyrusTestbed> = OnceLock::new();
    CY.get_or_init(CyrusTestbed::start)
}

fn customer(id: &str, subject: &str) -> Vec<u8> {
    format!(
        "From: Customer <{id}@outside.test>\r\nTo: support@example.test\r\nSubject: {subject}\r\nMessage-ID: <{id}@outside.test>\r\nDate: Sun, 06 Dec 2026 09:00:00 +0000\r\n\r\nHello from {id}.\r\n"
    )
    .into_bytes()
}

/// Appends a customer message to `mailbox` as the admin; returns its UID there.
fn seed(cy: &CyrusTestbed, mailbox: &str, id: &str, subject: &str) -> u32 {
    cy.append(mailbox, &customer(id, subject));
    uids_with_id(cy, mailbox, id)
        .first()
        .copied()
        .unwrap_or_else(|| panic!("seeded {id} not found in {mailbox}"))
}

/// UIDs of the messages of `mailbox` whose Message-ID is `<id@outside.test>` (as the admin).
fn uids_with_id(cy: &CyrusTestbed, mailbox: &str, id: &str) -> Vec<u32> {
    search(
        cy,
        mailbox,
        &format!("HEADER Message-ID \"<{id}@outside.test>\""),
    )
}

fn search(cy: &CyrusTestbed, mailbox: &str, criteria: &str) -> Vec<u32> {
    let mut imap = cy.raw_imap(ADMIN);
    imap.cmd_ok(&format!("EXAMINE {mailbox}"));
    let reply = imap.cmd_ok(&format!("UID SEARCH {criteria}"));
    reply
        .lines()
        .filter(|l| l.starts_with("* SEARCH"))
        .flat_map(|l| l.split_whitespace().skip(2))
        .filter_map(|u| u.parse().ok())
        .collect()
}

/// The mailbox names LIST shows the admin for `pattern`.
fn listed(cy: &CyrusTestbed, pattern: &str) -> Vec<String> {
    let mut imap = cy.raw_imap(ADMIN);
    let reply = imap.cmd_ok(&format!("LIST \"\" \"{pattern}\""));
    reply
        .lines()
        .filter(|l| l.starts_with("* LIST"))
        .filter_map(|l| l.rsplit(' ').next())
        .map(|n| n.trim_matches('"').to_string())
        .collect()
}

fn json(out: &str) -> serde_json::Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

#[test]
fn notes_go_to_the_shared_mailboxs_child_folder_and_refusals_name_the_right() {
    let cy = cyrus();
    let uid = seed(cy, "shared.support", "cy-note", "Refund?");
    let uid = uid.to_string();
    let agent = |a: &str| Cli::with_config(&cy.config(a, "send = \"none\"", ""));
    let (alice, bob, carol) = (agent("alice"), agent("bob"), agent("carol"));

    // No Notes folder yet, and bob (lrwsti) may not create one: Cyrus answers "NO Mailbox does
    // not exist" without [TRYCREATE]; the error names the folder, its parent and the right.
    let (code, out, err) = bob.run(&["note", "support", &uid, "too", "early"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("\"shared.support.Notes\"")
            && err.contains("`k`")
            && err.contains("on \"shared.support\""),
        "{err}"
    );

    // alice (k) creates it, as a child of the shared mailbox, with her first note.
    let (code, out, err) = alice.run(&["note", "support", &uid, "--json", "First", "look."]);
    assert_eq!(code, 0, "{out}{err}");
    let added = json(&out);
    assert_eq!(added["folder"], "shared.support.Notes", "{out}");
    assert_eq!(added["in_reply_to"], "cy-note@outside.test", "{out}");

    // bob may append now (the child inherits the mailbox's ACL); carol (lr) may not: the
    // refusal ("NO Permission denied", no [NOPERM]) names the folder and `i`.
    let (code, out, err) = bob.run(&["note", "support", &uid, "Called", "her."]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("shared.support.Notes"), "{out}");
    let (code, out, err) = carol.run(&["note", "support", &uid, "me", "too"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("`i`") && err.contains("\"shared.support.Notes\""),
        "{err}"
    );

    // carol reads both back; nothing went beside the mailbox, where other teams live.
    let (code, out, err) = carol.run(&["notes", "support", &uid, "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    let notes = json(&out)["notes"].as_array().cloned().unwrap_or_default();
    let agents: Vec<&str> = notes.iter().filter_map(|n| n["agent"].as_str()).collect();
    assert_eq!(agents, ["alice", "bob"], "{out}");
    assert!(listed(cy, "shared.Notes").is_empty());
    assert_eq!(
        search(cy, "shared.support.Notes", "HEADER X-Mailroom-Note 1").len(),
        2
    );
}

#[test]
fn access_lists_the_shared_mailbox_and_its_children_only() {
    let cy = cyrus();
    let cli = Cli::with_config(&cy.config("alice", "send = \"none\"", ""));
    let (code, out, err) = cli.run(&["access", "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    let reports = json(&out);
    let report = &reports[0];
    assert_eq!(report["scope"], "shared.support.*", "{out}");
    let names: Vec<&str> = report["folders"]
        .as_array()
        .map(|f| f.iter().filter_map(|f| f["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(names.first(), Some(&"shared.support"), "{out}");
    for child in ["shared.support.Sent", "shared.support.Drafts"] {
        assert!(names.contains(&child), "{child} missing: {names:?}");
    }
    // Never the parent's other mailboxes (another team's), nor the parent itself. (Another
    // test of this module may have created shared.support.Notes meanwhile: a child, fine.)
    assert!(
        names
            .iter()
            .all(|n| *n == "shared.support" || n.starts_with("shared.support.")),
        "{names:?}"
    );
    // alice administers them: the full ACL is read, with every agent's rights.
    let acl = report["folders"][0]["acl"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let carol = acl.iter().find(|g| g["identifier"] == "carol");
    assert_eq!(
        carol.map(|g| g["rights"].clone()),
        Some("lr".into()),
        "{out}"
    );
}

#[test]
fn a_teammates_keyword_reaches_the_engine_through_idle() {
    use mailroom::engine::worker::{AccountWorker, ConnState, WorkerEvent};
    use mailroom::store::bodies::BodyCache;
    let cy = cyrus();
    let uid = seed(cy, "shared.support", "cy-idle", "Live?");
    let mut account: mailroom::config::Account =
        toml::from_str("name = \"support\"\naddress = \"support@example.test\"\nsend = \"none\"\n")
            .unwrap();
    account.imap = Some(
        toml::from_str(&format!(
            "host = \"127.0.0.1\"\nport = {}\nca_file = \"{}\"\nlogin = \"alice\"\npassword = \"{}\"\nmailbox = \"shared.support\"\n",
            cy.imaps_port,
            cy.ca_file.display(),
            CyrusTestbed::password("alice")
        ))
        .unwrap(),
    );
    let dir = tempfile::tempdir().unwrap();
    let (tx, rx) = channel();
    let worker = AccountWorker::spawn(
        &account,
        HeaderCache::new(dir.path().join("h")),
        BodyCache::new(dir.path().join("b"), 1 << 20),
        Box::new(move |e| {
            let _ = tx.send(e);
        }),
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    let (mut synced, mut idle) = (false, false);
    while Instant::now() < deadline && !(synced && idle) {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(WorkerEvent::Sync(SyncEvent::Added(rows))) => {
                synced |= rows.iter().any(|r| r.uid == uid)
            }
            Ok(WorkerEvent::State(ConnState::Online { idle: i })) => idle = i,
            _ => {}
        }
    }
    assert!(synced, "initial sync without UID {uid}");
    assert!(idle, "IDLE expected on Cyrus (idled runs)");
    std::thread::sleep(Duration::from_millis(300));

    // bob, in another session, marks it; Cyrus' idled pushes the change to alice's IDLE.
    let mut bob = cy.raw_imap("bob");
    bob.cmd_ok("SELECT shared.support");
    let changed_at = Instant::now();
    bob.cmd_ok(&format!("UID STORE {uid} +FLAGS ($replying.bob)"));
    let mut seen = None;
    while changed_at.elapsed() < Duration::from_secs(5) {
        if let Ok(WorkerEvent::Sync(SyncEvent::Changed(c))) =
            rx.recv_timeout(Duration::from_millis(100))
            && c.iter()
                .any(|u| u.uid == uid && u.keywords.iter().any(|k| k == "$replying.bob"))
        {
            seen = Some(changed_at.elapsed());
            break;
        }
    }
    let took = seen.expect("the keyword never reached the engine");
    assert!(took < Duration::from_secs(2), "took {took:?}");
    worker.shutdown();
}

#[test]
fn send_keeps_a_sent_copy_in_the_shared_mailboxs_sent_child() {
    let cy = cyrus();
    // Cyrus has no SMTP: the Dovecot test bed's Postfix submits (alice may send as support@).
    let tb = Testbed::start();
    let smtp = format!(
        "sent = \"shared.support.Sent\"\n[account.smtp]\nhost = \"127.0.0.1\"\nport = {}\nca_file = \"{}\"\nlogin = \"alice\"\npassword_command = \"echo {}\"\n",
        tb.submission_port,
        tb.ca_file.display(),
        Testbed::password("alice")
    );
    let cli = Cli::with_config(&cy.config("alice", "send = \"as\"", &smtp));
    let subject = "Your printer, fixed on Cyrus";
    let (code, out, err) = cli.run_with(
        &[
            "send",
            "support",
            "--to",
            "zoe@outside.test",
            "--subject",
            subject,
            "--body-file",
            "-",
            "--json",
        ],
        b"It works again.\n",
    );
    assert_eq!(code, 0, "{out}{err}");
    let sent = json(&out);
    let id = sent["message_id"].as_str().unwrap_or_default().to_string();
    assert!(!id.is_empty(), "{out}");

    let sink = tb.wait_sink(1, Duration::from_secs(15));
    assert_eq!(sink.len(), 1, "{sink:?}");
    assert_eq!(sink[0].header("Subject").as_deref(), Some(subject));
    // The copy is in shared.support.Sent (a child of the mailbox), marked as alice's.
    let copies = search(
        cy,
        "shared.support.Sent",
        &format!("HEADER Message-ID \"{}\"", id.trim_matches(['<', '>'])),
    );
    assert_eq!(copies.len(), 1, "{out}");
    let mut imap = cy.raw_imap(ADMIN);
    imap.cmd_ok("EXAMINE shared.support.Sent");
    let copy = imap.cmd_ok(&format!(
        "UID FETCH {} (FLAGS BODY.PEEK[HEADER])",
        copies[0]
    ));
    assert!(copy.contains("X-Mailroom-Agent: alice"), "{copy}");
    // Read for alice, who wrote it (`\Seen` is per user on Cyrus).
    let mut alice = cy.raw_imap("alice");
    alice.cmd_ok("EXAMINE shared.support.Sent");
    let flags = alice.cmd_ok(&format!("UID FETCH {} (FLAGS)", copies[0]));
    assert!(flags.contains("\\Seen"), "{flags}");
}

#[test]
fn delegated_login_opens_the_accounts_own_inbox_and_its_tree() {
    let cy = cyrus();
    let uid = seed(
        cy,
        "user.support",
        "cy-delegated",
        "For the support account",
    );
    let config = |agent: &str| {
        Cli::with_config(&format!(
            "[agent]\nid = \"{agent}\"\nname = \"{agent} Agent\"\nemail = \"{agent}@example.test\"\n[[account]]\nname = \"support\"\naddress = \"support@example.test\"\nsend = \"none\"\n[account.imap]\nhost = \"127.0.0.1\"\nport = {}\nca_file = \"{}\"\nlogin = \"{agent}\"\nauthzid = \"support\"\npassword_command = \"echo {}\"\nmailbox = \"INBOX\"\n",
            cy.imaps_port,
            cy.ca_file.display(),
            CyrusTestbed::password(agent)
        ))
    };
    let alice = config("alice");

    // alice (in proxyservers) acts as support: its own INBOX, every right of its owner.
    let (code, out) = alice.run_joined(&["check"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("mailbox INBOX ("), "{out}");
    let (code, out) = alice.run_joined(&["list", "support"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("For the support account"), "{out}");

    // Its notes go under the personal NAMESPACE prefix (INBOX.), where the account may create
    // folders: INBOX.Notes (user.support.Notes), not a top-level Notes.
    let (code, out, err) = alice.run(&["note", "support", &uid.to_string(), "--json", "Seen."]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(json(&out)["folder"], "INBOX.Notes", "{out}");
    assert_eq!(
        search(cy, "user.support.Notes", "HEADER X-Mailroom-Note 1").len(),
        1
    );

    // access stays within the account's tree: INBOX and INBOX.*, not the `shared` space.
    let (code, out, err) = alice.run(&["access", "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    let report = &json(&out)[0];
    assert_eq!(report["scope"], "INBOX.*", "{out}");
    let names: Vec<&str> = report["folders"]
        .as_array()
        .map(|f| f.iter().filter_map(|f| f["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        names,
        ["INBOX", "INBOX.Drafts", "INBOX.Notes", "INBOX.Sent"],
        "{out}"
    );

    // bob is not in proxyservers: refused.
    let (code, out) = config("bob").run_joined(&["check"]);
    assert_ne!(code, 0, "{out}");
}

#[test]
fn team_folders_are_children_of_the_shared_mailbox() {
    let cy = cyrus();
    let uid = seed(cy, "shared.support", "cy-claim", "Claim me");
    let alice =
        Cli::with_config(&cy.config("alice", "send = \"none\"", "team_state = \"folders\"\n"));

    let (code, out) = alice.run_joined(&["check", "--json"]);
    assert_eq!(code, 0, "{out}");
    let report = &json(&out)[0];
    assert_eq!(
        report["team_folders"], "shared.support.{Assigned.<agent>,Pending,Done}",
        "{out}"
    );

    // A claim moves the message into shared.support.Assigned.alice (alice holds `k` on
    // shared.support), never beside the mailbox among other teams' mailboxes.
    let (code, out) = alice.run_joined(&["triage", "support", &uid.to_string(), "claim", "--json"]);
    assert_eq!(code, 0, "{out}");
    let v = json(&out);
    assert_eq!(
        v["result"]["moved_to"]["mailbox"], "shared.support.Assigned.alice",
        "{out}"
    );
    assert_eq!(
        uids_with_id(cy, "shared.support.Assigned.alice", "cy-claim").len(),
        1
    );
    assert!(uids_with_id(cy, "shared.support", "cy-claim").is_empty());
    assert!(listed(cy, "shared.Assigned*").is_empty());
}
