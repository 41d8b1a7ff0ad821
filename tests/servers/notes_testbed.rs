//! Internal notes against a real Dovecot + Postfix: appended to `shared/support/Notes` through
//! the CLI, read back by a raw session and by `mailroom notes`, refused with the right named
//! (`k` to create the folder, `i` to append), and never transmitted (the SMTP sink stays empty).

use crate::support;

use std::time::Duration;

use mailroom::imap::connect::{Target, open_session};
use mailroom::imap::notes;
use support::cli::{Cli, imap_config};
use support::testbed::{Testbed, header_of};

const CUSTOMER: &[u8] = b"From: Zoe Customer <zoe@outside.test>\r\nTo: help@example.test\r\nSubject: Refund?\r\nMessage-ID: <q1@outside.test>\r\nReferences: <q0@outside.test>\r\nDate: Fri, 27 Nov 2026 10:00:00 +0000\r\n\r\nWhere is my refund?\r\n";
const FOLLOW_UP: &[u8] = b"From: Zoe Customer <zoe@outside.test>\r\nTo: help@example.test\r\nSubject: Re: Refund?\r\nMessage-ID: <q2@outside.test>\r\nIn-Reply-To: <q1@outside.test>\r\nReferences: <q0@outside.test> <q1@outside.test>\r\nDate: Fri, 27 Nov 2026 11:00:00 +0000\r\n\r\nStill waiting.\r\n";

/// Agent `agent` on the test bed's support account. A way to send is configured (on behalf,
/// through the submission port): notes must still never take it.
fn cli(tb: &Testbed, agent: &str) -> Cli {
    Cli::testbed(
        tb,
        agent,
        "send = \"on-behalf\"",
        &format!(
            "[account.smtp]\nhost = \"127.0.0.1\"\nport = {}\nca_file = \"{}\"\nlogin = \"{agent}\"\npassword_command = \"echo {}\"\n",
            tb.submission_port,
            tb.ca_file.display(),
            Testbed::password(agent)
        ),
    )
}

/// Every note in `shared/support/Notes` as (flags line, raw header block), read by carol (lr).
fn notes_on_server(tb: &Testbed) -> Vec<(String, String)> {
    let mut raw = tb.raw_imap("carol");
    raw.cmd_ok("EXAMINE \"shared/support/Notes\"");
    let out = raw.cmd_ok("UID FETCH 1:* (FLAGS BODY.PEEK[HEADER])");
    out.split("* ")
        .filter(|chunk| chunk.contains("FETCH ("))
        .map(|chunk| {
            let flags = chunk.lines().next().unwrap_or_default().to_string();
            let header = chunk
                .split_once("\r\n")
                .map(|(_, rest)| rest.to_string())
                .unwrap_or_default();
            (flags, header)
        })
        .collect()
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

#[test]
fn notes_appear_in_the_thread_and_never_in_the_smtp_sink() {
    let tb = Testbed::start();
    tb.deliver("help@example.test", CUSTOMER);
    tb.deliver("help@example.test", FOLLOW_UP);
    let alice = cli(&tb, "alice");
    let bob = cli(&tb, "bob");
    let carol = cli(&tb, "carol");

    // No Notes folder yet, and bob (lrwsti) may not create one: the error names the right.
    let (code, out, err) = bob.run(&["note", "support", "1", "too", "early"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("`k`") && err.contains("shared/support/Notes") && err.contains("support"),
        "{err}"
    );

    // alice (k) creates it with her first note.
    let (code, out, err) = alice.run(&["note", "support", "1", "--json", "First", "look."]);
    assert_eq!(code, 0, "{out}{err}");
    let added = json(&out);
    assert_eq!(added["folder"], "shared/support/Notes", "{out}");
    assert_eq!(added["in_reply_to"], "q1@outside.test", "{out}");
    assert_eq!(added["uid"], 1, "{out}");
    assert!(
        added["message_id"]
            .as_str()
            .unwrap()
            .ends_with("@example.test"),
        "{out}"
    );

    // bob's note from standard input, now that the folder exists.
    let (code, out, err) = bob.run_with(
        &["note", "support", "1", "-"],
        "Called her: refund approved.\nTicket #42 — Bob\n".as_bytes(),
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("shared/support/Notes") && out.contains("never sent"),
        "{out}"
    );

    // A raw session finds both, threaded, marked, \Seen, from their agents.
    let found = notes_on_server(&tb);
    assert_eq!(found.len(), 2, "{found:?}");
    let (flags, header) = &found[1];
    assert!(flags.contains("\\Seen"), "{flags}");
    let h = |name: &str| header_of(header.as_bytes(), name).unwrap_or_default();
    assert_eq!(
        h("From").replace('"', ""),
        "bob Agent <bob@example.test>",
        "{header}"
    );
    assert_eq!(h("To"), "support@example.test", "{header}");
    assert_eq!(h("Subject"), "[note] Refund?", "{header}");
    assert_eq!(h("In-Reply-To"), "<q1@outside.test>", "{header}");
    assert_eq!(
        h("References"),
        "<q0@outside.test> <q1@outside.test>",
        "{header}"
    );
    assert_eq!(h("X-Mailroom-Note"), "1", "{header}");
    assert_eq!(h("X-Mailroom-Agent"), "bob", "{header}");
    assert!(h("Message-ID").ends_with("@example.test>"), "{header}");
    assert_eq!(
        header_of(found[0].1.as_bytes(), "X-Mailroom-Agent").as_deref(),
        Some("alice")
    );

    // A note on the follow-up belongs to the thread of UID 1 too, marked as such.
    let (code, out, err) = bob.run(&["note", "support", "2", "Still", "waiting", "on", "finance"]);
    assert_eq!(code, 0, "{out}{err}");

    // carol (lr) reads them all, oldest first.
    let (code, out, err) = carol.run(&["notes", "support", "1", "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    let listed = json(&out);
    assert_eq!(listed["message_id"], "q1@outside.test");
    assert_eq!(listed["folder"], "shared/support/Notes");
    let notes = listed["notes"].as_array().unwrap();
    assert_eq!(notes.len(), 3, "{out}");
    assert_eq!(notes[0]["agent"], "alice");
    assert_eq!(notes[1]["agent"], "bob");
    assert!(
        notes[1]["text"]
            .as_str()
            .unwrap()
            .contains("refund approved.\nTicket #42 — Bob"),
        "{out}"
    );
    assert_eq!(notes[1]["on_this_message"], true);
    assert_eq!(notes[2]["on_this_message"], false);
    assert!(notes[2]["received"].as_str().unwrap().ends_with('Z'));
    let (code, out, _) = carol.run(&["notes", "support", "2"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("bob") && out.contains("    Still waiting on finance"),
        "{out}"
    );
    assert!(!out.contains("refund approved"), "{out}");
    let (code, out, _) = carol.run(&["notes", "support", "1"]);
    assert_eq!(code, 0);
    assert!(out.contains("(on a later message of the thread)"), "{out}");

    // carol may not insert: refused by the server, the right named.
    let (code, out, err) = carol.run(&["note", "support", "1", "me", "too"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("`i`") && err.contains("shared/support/Notes"),
        "{err}"
    );
    assert_eq!(notes_on_server(&tb).len(), 3);

    // Nothing was transmitted, nothing delivered to the shared INBOX, nothing marked read.
    std::thread::sleep(Duration::from_millis(500));
    assert!(tb.sink_messages().is_empty(), "{:?}", tb.sink_messages());
    let mut raw = tb.raw_imap("carol");
    raw.cmd_ok("EXAMINE \"shared/support/INBOX\"");
    let inbox = raw.cmd_ok("UID FETCH 1:* (FLAGS)");
    assert_eq!(inbox.matches("FETCH (").count(), 2, "{inbox}");
    assert!(!inbox.contains("\\Seen"), "{inbox}");
    assert!(!tb.logs().contains("[note]"));
}

#[test]
fn the_library_api_works_on_a_callers_connection_and_refuses_hostile_ids() {
    let tb = Testbed::start();
    tb.deliver("help@example.test", CUSTOMER);
    // A Message-ID made to break out of a quoted SEARCH string, straight into the Maildir.
    tb.put_message(
        "support",
        "INBOX",
        b"From: m@outside.test\r\nSubject: x\r\nMessage-ID: <a\" OR ALL \"@evil.test>\r\n\r\nx\r\n",
        "",
    );
    let config: mailroom::config::Config = toml::from_str(&format!(
        "[agent]\nid = \"alice\"\nname = \"Alice\"\nemail = \"alice@example.test\"\n[[account]]\nname = \"support\"\naddress = \"support@example.test\"\nsend = \"none\"\n[account.imap]\nhost = \"127.0.0.1\"\nport = {}\nlogin = \"alice\"\nmailbox = \"shared/support/INBOX\"\n",
        tb.imaps_port
    ))
    .unwrap();
    let account = &config.accounts[0];
    let cfg = imap_config(&tb, "alice");
    let mut conn = open_session(&Target {
        account: "support",
        config: &cfg,
    })
    .unwrap();
    let folder = notes::notes_folder(&mut conn, account).unwrap();
    assert_eq!(folder, "shared/support/Notes");
    // No folder yet: no notes, no error.
    assert!(
        notes::notes_for(&mut conn, &folder, "q1@outside.test")
            .unwrap()
            .is_empty()
    );

    let original = notes::original(&mut conn, "shared/support/INBOX", 1).unwrap();
    let built = mailroom::mail::note::build(
        &config.agent,
        account,
        &original,
        "From the worker's connection",
        std::time::SystemTime::now(),
    )
    .unwrap();
    let uid = notes::append_note(&mut conn, &folder, &built.raw).unwrap();
    assert_eq!(uid, Some(1));
    let found = notes::notes_for(&mut conn, &folder, "q1@outside.test").unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].agent.as_deref(), Some("alice"));
    assert!(found[0].text.contains("From the worker's connection"));
    assert!(found[0].date > 0);
    assert!(found[0].is_on("q1@outside.test"));

    // The hostile id is refused before the wire, for reading and for writing.
    let hostile = notes::original(&mut conn, "shared/support/INBOX", 2).unwrap();
    let id = hostile.message_id().unwrap_or_default();
    let e = notes::notes_for(&mut conn, &folder, id).unwrap_err();
    assert!(e.to_string().contains("cannot be used"), "{e}");
    assert!(notes::notes_for(&mut conn, &folder, "q1@outside.test\r\nA1 LOGOUT").is_err());
    assert!(
        mailroom::mail::note::build(
            &config.agent,
            account,
            &hostile,
            "x",
            std::time::SystemTime::now()
        )
        .is_err()
    );
    // A message that is not a note is not appended to the notes folder.
    assert!(matches!(
        notes::append_note(&mut conn, &folder, b"Subject: x\r\n\r\nx\r\n"),
        Err(notes::NotesError::NotANote(_))
    ));
    // The session is still usable, and still has one note.
    assert_eq!(
        notes::notes_for(&mut conn, &folder, "q1@outside.test")
            .unwrap()
            .len(),
        1
    );
    let _ = conn.session.logout();
    assert!(tb.sink_messages().is_empty());
}

#[test]
fn maildir_accounts_keep_notes_in_a_notes_folder() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("Maildir");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(root.join(sub)).unwrap();
    }
    std::fs::write(root.join("cur/1.M1P1.host:2,"), CUSTOMER).unwrap();
    let cli = Cli::with_config(&format!(
        "[agent]\nid = \"dana\"\nname = \"Dana\"\nemail = \"dana@example.test\"\n[[account]]\nname = \"demo\"\naddress = \"demo@example.test\"\nsend = \"none\"\n[account.maildir]\npath = \"{}\"\n",
        root.display()
    ));
    let (code, out, err) = cli.run(&["note", "demo", "1", "Local", "note"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("\"Notes\""), "{out}");
    assert!(root.join(".Notes/cur").is_dir());
    let (code, out, err) = cli.run(&["notes", "demo", "1", "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    let v = json(&out);
    assert_eq!(v["notes"].as_array().unwrap().len(), 1, "{out}");
    assert_eq!(v["notes"][0]["agent"], "dana");
    assert_eq!(
        v["notes"][0]["text"].as_str().unwrap().trim_end(),
        "Local note"
    );
}

#[test]
fn a_delegated_inbox_keeps_its_notes_and_access_scope_on_dovecot() {
    // alice acting as support (SASL PLAIN authzid): its own INBOX, top-level. Dovecot's
    // personal NAMESPACE prefix is "", so the notes folder is `Notes` and `access` scans `*`.
    let tb = Testbed::start();
    tb.deliver("help@example.test", CUSTOMER);
    let alice = Cli::with_config(&format!(
        "[agent]\nid = \"alice\"\nname = \"alice Agent\"\nemail = \"alice@example.test\"\n[[account]]\nname = \"support\"\naddress = \"support@example.test\"\nsend = \"none\"\n[account.imap]\nhost = \"127.0.0.1\"\nport = {}\nca_file = \"{}\"\nlogin = \"alice\"\nauthzid = \"support\"\npassword_command = \"echo {}\"\nmailbox = \"INBOX\"\n",
        tb.imaps_port,
        tb.ca_file.display(),
        Testbed::password("alice")
    ));
    let (code, out, err) = alice.run(&["note", "support", "1", "--json", "Seen."]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(json(&out)["folder"], "Notes", "{out}");
    let (code, out, err) = alice.run(&["access", "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    let report = &json(&out)[0];
    assert_eq!(report["scope"], "*", "{out}");
    let names: Vec<&str> = report["folders"]
        .as_array()
        .map(|f| f.iter().filter_map(|f| f["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(names.first(), Some(&"INBOX"), "{out}");
    assert!(names.contains(&"Notes") && names.contains(&"Sent"), "{out}");
}
