//! The conversation view, live (issue 17, "Done when"): the real binary in tmux, as alice and
//! as bob, on the real test bed's shared mailbox with its shared Sent folder. alice answers a
//! customer from the TUI (`r`, text, Ctrl-x, `y`: submitted, the Sent copy appended) and adds an
//! internal note; bob opens the same message: his reader shows alice's reply, read from the
//! Sent folder, as "alice, as support@example.test", and alice's note; bob's `r` warns that
//! alice answered, and `n` leaves it.

use crate::support;
use crate::tmux;

use std::path::{Path, PathBuf};
use std::time::Duration;

use support::testbed::Testbed;
use tmux::{MAILBOX, Tmux, mailroom_command};

/// Generous: CI machines are slow, and the test bed may still be warming up.
const FIRST_SCREEN: Duration = Duration::from_secs(30);
/// How long a round trip to the servers may take to reach the screen.
const LIVE: Duration = Duration::from_secs(15);
const SENT: &str = "shared/support/Sent";

const CUSTOMER: &[u8] = b"From: Quinn Customer <quinn@outside.test>\r\nTo: support@example.test\r\nSubject: Order 77 not delivered\r\nMessage-ID: <live-conv-1@outside.test>\r\nDate: Fri, 27 Nov 2026 10:00:00 +0000\r\n\r\nAny update on this?\r\n";

/// `agent` on the support account, answering as the shared address through the submission
/// port, the Sent copy appended to the shared Sent folder.
fn write_config(dir: &Path, tb: &Testbed, agent: &str) -> PathBuf {
    let pw = Testbed::password(agent);
    let text = format!(
        "[agent]\nid = \"{agent}\"\nname = \"Agent {agent}\"\nemail = \"{agent}@example.test\"\n\n\
         [[account]]\nname = \"support\"\naddress = \"support@example.test\"\nsend = \"as\"\n\
         sent_copy = \"append\"\n\
         [account.imap]\nhost = \"127.0.0.1\"\nport = {imaps}\ntls = \"implicit\"\n\
         ca_file = \"{ca}\"\nlogin = \"{agent}\"\npassword_command = \"echo {pw}\"\n\
         mailbox = \"{MAILBOX}\"\nsent = \"{SENT}\"\n\
         [account.smtp]\nhost = \"127.0.0.1\"\nport = {submission}\nca_file = \"{ca}\"\n\
         login = \"{agent}\"\npassword_command = \"echo {pw}\"\n",
        imaps = tb.imaps_port,
        submission = tb.submission_port,
        ca = tb.ca_file.display(),
    );
    let path = dir.join("config.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

fn start(tb: &Testbed, agent: &str) -> (Tmux, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = write_config(dir.path(), tb, agent);
    let tmux = Tmux::start(&mailroom_command(dir.path(), &config), 150, 40);
    tmux.wait_for(&format!("{agent}'s synced column"), FIRST_SCREEN, |s| {
        s.contains("Order 77 not delivered") && s.contains("support: online")
    });
    (tmux, dir)
}

#[test]
fn bob_reads_alices_reply_from_sent_and_her_note_and_his_r_warns() {
    let tb = Testbed::start();
    tb.deliver("support@example.test", CUSTOMER);

    // alice answers from the TUI: r, the text, Ctrl-x shows what goes out, y sends.
    let (alice, _alice_dir) = start(&tb, "alice");
    alice.keys(&["r"]);
    alice.wait_for("alice's reply pane", LIVE, |s| {
        s.contains("Re: Order 77 not delivered")
    });
    alice.keys(&["-l", "It left our warehouse this morning."]);
    alice.wait_for("the typed reply", LIVE, |s| {
        s.contains("It left our warehouse this morning.")
    });
    alice.keys(&["C-x"]);
    alice.wait_for("the send preview", LIVE, |s| {
        s.contains("(y/n)") || s.contains("y sends")
    });
    alice.keys(&["y"]);
    alice.wait_for("the reply sent", LIVE, |s| s.contains("sent <"));
    // And an internal note on the customer's message.
    alice.keys(&["Enter"]);
    alice.wait_for("alice's reader", LIVE, |s| {
        s.contains("Any update on this?")
    });
    alice.keys(&["n"]);
    alice.wait_for("the note pane", LIVE, |s| s.contains("Internal note on:"));
    alice.keys(&["-l", "Carrier confirmed Friday."]);
    alice.keys(&["C-x"]);
    alice.wait_for("the note added", LIVE, |s| s.contains("note added to"));
    // alice's own reader now shows the conversation: her reply from Sent.
    alice.wait_for("alice's conversation", LIVE, |s| {
        s.contains("alice, as support@example.test")
    });

    // The Sent copy is on the server, as the pipeline appended it.
    let mut raw = tb.raw_imap("carol");
    raw.cmd_ok(&format!("EXAMINE \"{SENT}\""));
    let found = raw.cmd_ok("UID SEARCH HEADER In-Reply-To \"<live-conv-1@outside.test>\"");
    assert!(
        found
            .lines()
            .any(|l| l.starts_with("* SEARCH ") && l.len() > 9),
        "{found}"
    );

    // bob opens the same message: alice's reply from Sent, with who and how, and the note.
    let (bob, _bob_dir) = start(&tb, "bob");
    bob.keys(&["Enter"]);
    let took = bob.wait_for("bob's conversation", LIVE, |s| {
        s.contains("Any update on this?")
            && s.contains("alice, as support@example.test — It left our warehouse this morning.")
            && s.contains("note · alice — Carrier confirmed Friday.")
    });
    eprintln!("bob's reader showed the conversation after {took:?}");
    let s = bob.screen();
    let customer = s.find("Any update on this?").expect("body");
    let reply = s.find("alice, as support@example.test").expect("reply");
    assert!(customer < reply, "time order:\n{s}");

    // e on alice's reply (Tab: the next entry after the open message) expands its text.
    bob.keys(&["Tab", "e"]);
    bob.wait_for("alice's reply expanded", LIVE, |s| {
        s.lines()
            .any(|l| l.trim_end() == "It left our warehouse this morning.")
    });

    // bob's r warns that alice answered; n leaves it.
    bob.keys(&["r"]);
    bob.wait_for("bob's warning", LIVE, |s| {
        s.contains("alice answered") && s.contains("reply anyway? (y/n)")
    });
    bob.keys(&["n"]);
    bob.wait_for("bob's cancelled reply", LIVE, |s| {
        s.contains("the reply was cancelled")
    });

    for t in [alice, bob] {
        t.keys(&["q"]);
        t.keys(&["q"]);
        let (status, _) = t.wait_exit(Duration::from_secs(10));
        assert_eq!(status, 0, "exit status; the screen:\n{}", t.screen());
    }
}
