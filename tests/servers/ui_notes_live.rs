//! Internal notes, live: the real binary in tmux against the real test bed. alice opens a
//! customer's message, presses `n`, types a note and Ctrl-x; the reader shows it under the
//! message; a raw IMAP session finds it in `shared/support/Notes`, threaded to the customer's
//! message with a `[note]` subject; and the SMTP sink stays empty although a way to send is
//! configured: notes are never transmitted.

use crate::support;
use crate::tmux;

use std::path::{Path, PathBuf};
use std::thread;
use std::time::Duration;

use support::testbed::{Testbed, header_of};
use tmux::{Tmux, mailroom_command};

const MAILBOX: &str = "shared/support/INBOX";
const NOTES: &str = "shared/support/Notes";
/// Generous: CI machines are slow, and the test bed may still be warming up.
const FIRST_SCREEN: Duration = Duration::from_secs(30);
/// How long a round trip to the server may take to reach the screen.
const LIVE: Duration = Duration::from_secs(10);

const CUSTOMER: &[u8] = b"From: Zoe Customer <zoe@outside.test>\r\nTo: support@example.test\r\nSubject: Refund for order 1234\r\nMessage-ID: <live-note-1@outside.test>\r\nReferences: <live-note-0@outside.test>\r\nDate: Fri, 27 Nov 2026 10:00:00 +0000\r\n\r\nWhere is my refund?\r\n";

/// alice on the support account, with a way to send configured (as the account, through the
/// submission port): a note must still never take it.
fn write_config(dir: &Path, tb: &Testbed) -> PathBuf {
    let pw = Testbed::password("alice");
    let text = format!(
        "[agent]\nid = \"alice\"\nname = \"Alice Agent\"\nemail = \"alice@example.test\"\n\n\
         [[account]]\nname = \"support\"\naddress = \"support@example.test\"\nsend = \"as\"\n\
         sent_copy = \"none\"\n\
         [account.imap]\nhost = \"127.0.0.1\"\nport = {imaps}\ntls = \"implicit\"\n\
         ca_file = \"{ca}\"\nlogin = \"alice\"\npassword_command = \"echo {pw}\"\n\
         mailbox = \"{MAILBOX}\"\n\
         [account.smtp]\nhost = \"127.0.0.1\"\nport = {submission}\nca_file = \"{ca}\"\n\
         login = \"alice\"\npassword_command = \"echo {pw}\"\n",
        imaps = tb.imaps_port,
        submission = tb.submission_port,
        ca = tb.ca_file.display(),
    );
    let path = dir.join("config.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

/// Every message in the notes folder as its raw header block, read by carol (lr).
fn notes_on_server(tb: &Testbed) -> Vec<String> {
    let mut raw = tb.raw_imap("carol");
    raw.cmd_ok(&format!("EXAMINE \"{NOTES}\""));
    let out = raw.cmd_ok("UID FETCH 1:* (FLAGS BODY.PEEK[])");
    out.split("* ")
        .filter(|chunk| chunk.contains("FETCH ("))
        .map(|chunk| {
            chunk
                .split_once("\r\n")
                .map(|(_, rest)| rest.to_string())
                .unwrap_or_default()
        })
        .collect()
}

#[test]
fn a_note_from_the_reader_lands_in_the_notes_folder_and_never_in_the_smtp_sink() {
    let tb = Testbed::start();
    tb.deliver("support@example.test", CUSTOMER);

    let dir = tempfile::tempdir().expect("temp dir");
    let config = write_config(dir.path(), &tb);
    let tmux = Tmux::start(&mailroom_command(dir.path(), &config), 140, 40);
    tmux.wait_for("the synced column", FIRST_SCREEN, |s| {
        s.contains("Refund for order 1234") && s.contains("support: online")
    });

    // Open the message: its body, and no notes yet (the folder does not even exist).
    tmux.keys(&["Enter"]);
    tmux.wait_for("the reader", LIVE, |s| {
        s.contains("Where is my refund?") && !s.contains("notes: loading…")
    });
    let s = tmux.screen();
    assert!(!s.contains("── note ·"), "{s}");
    assert!(!s.contains("notes: could not be read"), "{s}");

    // n: the note pane, clearly internal.
    tmux.keys(&["n"]);
    tmux.wait_for("the note pane", LIVE, |s| {
        s.contains("Internal note on: Refund for order 1234") && s.contains("never sent")
    });
    tmux.keys(&["-l", "Called the customer: refund approved."]);
    tmux.keys(&["Enter"]);
    tmux.keys(&["-l", "Ticket #42 (q and n are text here)"]);
    tmux.wait_for("the typed note", LIVE, |s| {
        s.contains("Ticket #42 (q and n are text here)")
    });
    tmux.keys(&["C-x"]);

    // Appended (alice has `k`: the folder is created), and shown in the reader.
    let took = tmux.wait_for("the note in the reader", LIVE, |s| {
        s.contains(&format!("note added to {NOTES}"))
            && s.contains("── note · alice · ")
            && s.contains("│ Called the customer: refund approved.")
            && s.contains("│ Ticket #42 (q and n are text here)")
            && !s.contains("Internal note on:")
    });
    eprintln!("note added and shown after {took:?}");
    let s = tmux.screen();
    let body = s.find("Where is my refund?").expect("body");
    let note = s.find("── note · alice").expect("note");
    assert!(body < note, "the note comes after the body:\n{s}");

    // A raw session finds it, threaded and marked.
    let found = notes_on_server(&tb);
    assert_eq!(found.len(), 1, "{found:?}");
    let raw = found[0].as_bytes();
    let h = |name: &str| header_of(raw, name).unwrap_or_default();
    assert_eq!(h("Subject"), "[note] Refund for order 1234", "{}", found[0]);
    assert_eq!(
        h("In-Reply-To"),
        "<live-note-1@outside.test>",
        "{}",
        found[0]
    );
    assert_eq!(
        h("References"),
        "<live-note-0@outside.test> <live-note-1@outside.test>",
        "{}",
        found[0]
    );
    assert_eq!(h("X-Mailroom-Note"), "1");
    assert_eq!(h("X-Mailroom-Agent"), "alice");
    assert!(h("From").contains("alice@example.test"), "{}", found[0]);
    assert!(found[0].contains("Ticket #42"), "{}", found[0]);

    // The mailbox is still the one selected: the column works as before (the note is not a
    // row of it), and reading the message again shows the note from the server.
    tmux.keys(&["q"]);
    tmux.wait_for("the list", LIVE, |s| {
        !s.contains("Where is my refund?") && s.contains("Refund for order 1234")
    });
    tmux.keys(&["Enter"]);
    tmux.wait_for("the note read back", LIVE, |s| {
        s.contains("Where is my refund?") && s.contains("│ Ticket #42 (q and n are text here)")
    });

    // Never transmitted: nothing reached the SMTP sink (the outbox had time to try).
    thread::sleep(Duration::from_secs(2));
    let sunk = tb.sink_messages();
    assert!(
        sunk.is_empty(),
        "a note reached the SMTP sink: {:?}",
        sunk.iter().map(|m| m.text()).collect::<Vec<_>>()
    );

    tmux.keys(&["q"]);
    tmux.keys(&["q"]);
    let (status, _) = tmux.wait_exit(Duration::from_secs(5));
    assert_eq!(status, 0, "exit status; the screen:\n{}", tmux.screen());
}
