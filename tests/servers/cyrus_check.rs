//! `mailroom check`'s predictions on a real Cyrus IMAP 3.6 (issue 16, failures 4 and 7): the
//! read state (per agent on `shared.support`, shared on a mailbox with the `sharedseen`
//! annotation), the table of 100 user flags, and team folders this agent may not create.
//! One Cyrus for the whole module; each test uses its own mailbox where it changes one.

use std::sync::OnceLock;

use serde_json::Value;

use crate::support;
use support::cli::Cli;
use support::cyrus::CyrusTestbed;

fn cyrus() -> &'static CyrusTestbed {
    static CY: OnceLock<CyrusTestbed> = OnceLock::new();
    CY.get_or_init(CyrusTestbed::start)
}

const MESSAGE: &[u8] = b"From: Customer <c@outside.test>\r\nTo: support@example.test\r\nSubject: Help\r\nMessage-ID: <cy@outside.test>\r\n\r\nHelp!\r\n";

/// `check` as text and as JSON (the first account's object).
fn check(cli: &Cli) -> (String, Value) {
    let (_, text) = cli.run_joined(&["check"]);
    let (_, out, err) = cli.run(&["check", "--json"]);
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    (text, v[0].clone())
}

fn config(agent: &str, mailbox: &str, imap_extra: &str) -> Cli {
    let cy = cyrus();
    Cli::with_config(&cy.config(agent, "send = \"none\"", imap_extra).replace(
        "mailbox = \"shared.support\"",
        &format!("mailbox = \"{mailbox}\""),
    ))
}

/// Whether `viewer` sees `\Seen` on the first message of `mailbox` after `setter` set it.
fn seen_is_shared(mailbox: &str, setter: &str, viewer: &str) -> bool {
    let cy = cyrus();
    let mut a = cy.raw_imap(setter);
    a.cmd_ok(&format!("SELECT {mailbox}"));
    a.cmd_ok("UID STORE 1 +FLAGS (\\Seen)");
    let mut b = cy.raw_imap(viewer);
    b.cmd_ok(&format!("EXAMINE {mailbox}"));
    b.cmd_ok("UID FETCH 1 (FLAGS)").contains("\\Seen")
}

#[test]
fn check_says_read_state_is_per_agent_on_a_cyrus_shared_mailbox() {
    let cy = cyrus();
    let mailbox = cy.team_mailbox("perseen", false);
    cy.append(&mailbox, MESSAGE);
    assert!(!seen_is_shared(&mailbox, "alice", "bob"));
    for mailbox in ["shared.support", mailbox.as_str()] {
        let (text, v) = check(&config("alice", mailbox, ""));
        assert!(
            text.contains("read      read state: per agent (Cyrus keeps \\Seen per user unless the mailbox has the sharedseen annotation, and this one has not)"),
            "{text}"
        );
        assert!(
            text.contains(&format!(
                "warning   read state is per agent on \"{mailbox}\": \\Seen one agent sets is not seen by the others"
            )),
            "{text}"
        );
        assert_eq!(v["read_state"], "per-agent", "{v}");
        assert_eq!(v["server"], "cyrus", "{v}");
    }
}

#[test]
fn check_says_read_state_is_shared_with_the_sharedseen_annotation() {
    let cy = cyrus();
    let mailbox = cy.team_mailbox("desk", true);
    cy.append(&mailbox, MESSAGE);
    assert!(seen_is_shared(&mailbox, "alice", "bob"));
    let (text, v) = check(&config("bob", &mailbox, ""));
    assert!(
        text.contains("read      read state: shared by the team (Cyrus, the mailbox has the sharedseen annotation)"),
        "{text}"
    );
    assert!(!text.contains("per agent"), "{text}");
    assert_eq!(v["read_state"], "shared", "{v}");
    assert!(v["usable"].as_bool().unwrap(), "{v}");
}

/// Failure 4: Cyrus keeps at most 100 user flags per mailbox. A mailbox whose table is full
/// is named with the count and the limit; one with room is not; the probe stores nothing there.
#[test]
fn check_counts_user_flags_against_cyrus_limit_of_100() {
    let cy = cyrus();
    cy.append("shared.sales", MESSAGE);
    let mut admin = cy.raw_imap(support::cyrus::ADMIN);
    admin.cmd_ok("SELECT shared.sales");
    for i in 0..100 {
        admin.cmd_ok(&format!("UID STORE 1 +FLAGS.SILENT ($label{i})"));
    }
    admin.cmd_ok("UID STORE 1 -FLAGS.SILENT ($label0 $label1 $label2)");

    let (text, v) = check(&config("alice", "shared.sales", ""));
    assert!(
        text.contains("the mailbox holds 100 of the server's 100 user flags (Cyrus' limit) and the keywords this agent needs are not all there ($assigned.alice $replying.alice $pending $done $snoozed): they would not fit"),
        "{text}"
    );
    assert!(
        text.contains("flags     100 of 100 user flags in use"),
        "{text}"
    );
    assert!(
        text.contains("keyword   $assigned.alice (15 characters) not tried: it would not fit"),
        "{text}"
    );
    assert_eq!(v["user_flags"]["used"], 100, "{v}");
    assert_eq!(v["user_flags"]["limit"], 100, "{v}");
    assert_eq!(v["user_flags"]["fits"], Value::Bool(false), "{v}");
    assert_eq!(v["keyword_probe"]["stored"], Value::Null, "{v}");
    // What the warning predicts.
    let mut alice = cy.raw_imap("alice");
    alice.cmd_ok("SELECT shared.sales");
    let refused = alice.cmd("UID STORE 1 +FLAGS ($assigned.alice)");
    assert!(refused.contains("Too many user flags"), "{refused}");

    // A mailbox with room: no warning, the probe stores the keyword on no message.
    let roomy = cy.team_mailbox("roomy", false);
    cy.append(&roomy, MESSAGE);
    let (text, v) = check(&config("alice", &roomy, ""));
    assert!(!text.contains("user flags (Cyrus' limit)"), "{text}");
    assert!(
        text.contains("keyword   $assigned.alice (15 characters) can be stored"),
        "{text}"
    );
    assert_eq!(v["user_flags"]["limit"], 100, "{v}");
    assert_eq!(v["user_flags"]["fits"], Value::Bool(true), "{v}");
    assert_eq!(v["keyword_probe"]["stored"], Value::Bool(true), "{v}");
    alice.cmd_ok(&format!("SELECT {roomy}"));
    let flags = alice.cmd_ok("UID FETCH 1:* (FLAGS)");
    assert!(!flags.contains("$assigned"), "{flags}");
}

/// Failure 1 on Cyrus: team folders in folder mode that bob (no `k`) cannot create, and the
/// Sent folder the server has (a child of the shared mailbox) when the configured one is missing.
#[test]
fn check_names_team_folders_bob_cannot_create_and_the_cyrus_sent_folder() {
    let (text, v) = check(&config(
        "bob",
        "shared.support",
        "team_state = \"folders\"\nsent = \"shared.support.Outbox\"\n",
    ));
    assert!(
        text.contains("do not exist and this agent cannot create them (no `k` right on"),
        "{text}"
    );
    let checks = v["team_folder_checks"].as_array().unwrap();
    assert!(!checks.is_empty(), "{v}");
    for c in checks {
        assert_eq!(c["creatable"], Value::Bool(false), "{c}");
        assert_eq!(c["missing_right"], "k", "{c}");
    }
    assert!(
        text.contains("the Sent folder \"shared.support.Outbox\" does not exist; the server has the Sent folder \"shared.support.Sent\": add `sent = \"shared.support.Sent\"` to [account.imap]"),
        "{text}"
    );
    assert_eq!(v["sent_found"], "shared.support.Sent", "{v}");
}
