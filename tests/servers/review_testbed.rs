//! Review before sending against a real Dovecot and Postfix: the team policy in
//! `shared/support/Policy` holds bob's replies for review; nothing reaches a recipient until
//! an approver sends it, then it arrives exactly once with the approver's identity; two
//! approvers racing give one delivery; a returned reply goes back into bob's drafts with the
//! note.

use std::time::Duration;

use crate::support;

use mailroom::imap::connect::{Target, open_session};
use mailroom::imap::review;
use support::cli::Cli;
use support::testbed::{Testbed, header_of};

const FOLDER: &str = "shared/support/Review";

const POLICY: &str = "version = 1\n\
    [send]\nas = [\"alice\"]\non-behalf = [\"bob\", \"carol\"]\n\
    [review]\nagents = [\"bob\"]\napprovers = [\"alice\", \"carol\"]\n";

fn agent(tb: &Testbed, agent: &str, send: &str) -> Cli {
    Cli::testbed(
        tb,
        agent,
        &format!("send = \"{send}\""),
        &format!(
            "sent = \"shared/support/Sent\"\n[account.smtp]\nhost = \"127.0.0.1\"\nport = {}\nca_file = \"{}\"\nlogin = \"{agent}\"\npassword_command = \"echo {}\"\n",
            tb.submission_port,
            tb.ca_file.display(),
            Testbed::password(agent)
        ),
    )
}

fn send(bob: &Cli, subject: &str) -> String {
    let (code, out, err) = bob.run_with(
        &[
            "send",
            "support",
            "--to",
            "zoe@outside.test",
            "--subject",
            subject,
            "--body-file",
            "-",
        ],
        b"Hello Zoe, here is the answer.\n",
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("awaiting review by alice, carol"),
        "the agent is told who reviews: {out}{err}"
    );
    out
}

/// The short id of the waiting item with `subject`, as alice's `review list --json` says.
fn id_of(alice: &Cli, subject: &str) -> String {
    let (code, out, err) = alice.run(&["review", "support", "list", "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["subject"] == subject)
        .unwrap_or_else(|| panic!("no item {subject:?} in {out}"))["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Publishes the policy and makes the review folder (alice), with rights for carol.
fn setup(tb: &Testbed) -> support::testbed::RawImap {
    setup_with(tb, POLICY)
}

/// [`setup`] with the policy `policy`.
fn setup_with(tb: &Testbed, policy: &str) -> support::testbed::RawImap {
    let mut raw = tb.raw_imap("alice");
    raw.cmd_ok("CREATE \"shared/support/Policy\"");
    raw.append(
        "shared/support/Policy",
        "\\Seen",
        &mailroom::mail::policy::build(
            "alice",
            "alice@example.test",
            "support@example.test",
            1,
            policy,
            &[],
            std::time::SystemTime::now(),
        )
        .unwrap(),
    );
    raw.cmd_ok("CREATE \"shared/support/Review\"");
    // carol has only `lr` on the shared mailbox: an approver needs to store and remove there,
    // and to file her Sent copy.
    raw.cmd_ok("SETACL \"shared/support/Review\" carol lrwstie");
    raw.cmd_ok("SETACL \"shared/support/Sent\" carol lrwsti");
    raw
}

#[test]
fn held_replies_reach_no_one_until_approved_once_and_a_returned_one_goes_back_to_drafts() {
    let tb = Testbed::start();
    let mut raw = setup(&tb);

    // bob's local config claims Send As; the policy holds his replies for review.
    let bob = agent(&tb, "bob", "as");
    let alice = agent(&tb, "alice", "as");
    let carol = agent(&tb, "carol", "on-behalf");

    let out = send(&bob, "Your invoice");
    assert!(out.contains("shared/support/Review"), "{out}");
    std::thread::sleep(Duration::from_millis(500));
    assert!(tb.sink_messages().is_empty(), "nothing reached a recipient");
    raw.cmd_ok("EXAMINE \"shared/support/Review\"");
    let fetched = raw.cmd_ok("FETCH 1:* (FLAGS BODY.PEEK[HEADER])");
    for needle in [
        "$review",
        "X-Mailroom-Review: 1",
        "X-Mailroom-Agent: bob",
        "X-Mailroom-Account: support",
        "X-Mailroom-Envelope-To: zoe@outside.test",
    ] {
        assert!(
            fetched.contains(needle),
            "{needle:?} in the item:\n{fetched}"
        );
    }

    // Only approvers approve or return.
    let id = id_of(&alice, "Your invoice");
    let (code, out) = bob.run_joined(&["review", "support", "approve", &id]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("does not let bob approve"), "{out}");
    let (code, out) = bob.run_joined(&["review", "support", "return", &id, "--note", "no"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("does not let bob approve or return"), "{out}");
    // show: who wrote it, every recipient, the message as it would be sent.
    let (code, out) = alice.run_joined(&["review", "support", "show", &id]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("author bob")
            && out.contains("zoe@outside.test")
            && out.contains("here is the answer"),
        "{out}"
    );

    // alice approves: one delivery, as alice's identity (Send As), nothing of the review.
    let (code, out) = alice.run_joined(&["review", "support", "approve", &id]);
    assert_eq!(code, 0, "{out}");
    let sink = tb.wait_sink(1, Duration::from_secs(20));
    assert_eq!(sink.len(), 1);
    let m = &sink[0];
    assert_eq!(m.recipient, "zoe@outside.test");
    assert_eq!(m.sender, "support@example.test");
    assert!(m.header("Sender").is_none(), "{}", m.text());
    assert!(!m.text().contains("X-Mailroom"), "{}", m.text());
    assert!(m.body().contains("here is the answer"), "{}", m.text());
    // The Sent copy names the author and the approver.
    raw.cmd_ok("EXAMINE \"shared/support/Sent\"");
    let sent = raw.cmd_ok("FETCH 1:* (BODY.PEEK[HEADER])");
    assert!(sent.contains("X-Mailroom-Agent: bob\r\n"), "{sent}");
    assert!(sent.contains("X-Mailroom-Approved-By: alice\r\n"), "{sent}");
    // The audit credits the author and records the approver.
    let audit =
        std::fs::read_to_string(alice.dir.path().join("data/mailroom/audit.jsonl")).unwrap();
    assert!(
        audit.contains("\"agent\":\"bob\"") && audit.contains("\"approved_by\":\"alice\""),
        "{audit}"
    );
    // Approved and sent: the item left the review folder; approving again finds nothing.
    let (code, out) = carol.run_joined(&["review", "support", "approve", &id]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("no review item"), "{out}");

    // Two approvers at once: one delivery.
    send(&bob, "Your refund");
    let id = id_of(&alice, "Your refund");
    let (a, c) = std::thread::scope(|s| {
        let a = s.spawn(|| alice.run_joined(&["review", "support", "approve", &id]));
        let c = s.spawn(|| carol.run_joined(&["review", "support", "approve", &id]));
        (a.join().unwrap(), c.join().unwrap())
    });
    assert_eq!(
        [a.0, c.0].iter().filter(|&&code| code == 0).count(),
        1,
        "exactly one approver wins:\nalice: {a:?}\ncarol: {c:?}"
    );
    let loser = if a.0 == 0 { &c.1 } else { &a.1 };
    assert!(
        loser.contains("approving by")
            || loser.contains("another approver")
            || loser.contains("no review item"),
        "{loser}"
    );
    tb.wait_sink(2, Duration::from_secs(20));
    std::thread::sleep(Duration::from_secs(2));
    let refunds: Vec<_> = tb
        .sink_messages()
        .into_iter()
        .filter(|m| header_of(&m.raw, "Subject").as_deref() == Some("Your refund"))
        .collect();
    assert_eq!(refunds.len(), 1, "delivered exactly once");

    // Returned with a note: back in bob's drafts, never sent.
    send(&bob, "Your complaint");
    let id = id_of(&alice, "Your complaint");
    let (code, out) = carol.run_joined(&[
        "review",
        "support",
        "return",
        &id,
        "--note",
        "Please add the ticket number",
    ]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = alice.run_joined(&["review", "support", "list"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("returned by carol"), "{out}");
    let (code, out) = bob.run_joined(&["review", "support", "list"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("returned to your drafts by carol: Your complaint"),
        "{out}"
    );
    let drafts = bob.dir.path().join("data/mailroom/drafts");
    let texts: Vec<String> = std::fs::read_dir(&drafts)
        .unwrap()
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
        .collect();
    assert!(
        texts
            .iter()
            .any(|t| t.contains("Please add the ticket number")
                && t.contains("Your complaint")
                && t.contains("here is the answer")),
        "{texts:?}"
    );
    // Taken back: gone from the queue.
    let (_, out) = alice.run_joined(&["review", "support", "list"]);
    assert!(!out.contains("Your complaint"), "{out}");
    assert_eq!(
        tb.sink_messages().len(),
        2,
        "a returned reply is never sent"
    );

    // At the wire: two sessions read the same MODSEQ, one wins. A winner that never sends
    // (a crash) leaves the item held for a person, shown as such, never sent by anyone else.
    send(&bob, "Your parcel");
    let sessions: Vec<_> = ["alice", "carol"]
        .iter()
        .map(|login| {
            let imap = support::cli::imap_config(&tb, login);
            let mut conn = open_session(&Target {
                account: "support",
                config: &imap,
            })
            .unwrap();
            assert!(review::open(&mut conn, FOLDER).unwrap());
            let item = review::read(&mut conn, FOLDER)
                .unwrap()
                .into_iter()
                .find(|f| String::from_utf8_lossy(&f.raw).contains("Subject: Your parcel"))
                .unwrap();
            (conn, item)
        })
        .collect();
    let wins: Vec<bool> = sessions
        .into_iter()
        .zip(["alice", "carol"])
        .map(|((mut conn, item), agent)| {
            review::win(
                &mut conn,
                FOLDER,
                item.uid,
                item.modseq.unwrap(),
                &mailroom::mail::review::approving_keyword(agent),
            )
            .unwrap()
        })
        .collect();
    assert_eq!(
        wins,
        [true, false],
        "the first store wins, the second is MODIFIED"
    );
    let (_, out) = carol.run_joined(&["review", "support", "list"]);
    assert!(out.contains("approving by alice"), "{out}");
    let id = id_of(&carol, "Your parcel");
    let (code, out) = carol.run_joined(&["review", "support", "approve", &id]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("already approving by alice"), "{out}");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(tb.sink_messages().len(), 2, "the held item was not sent");
}

/// The compose pane and the review view, live in tmux: bob's reply is held ("awaiting review by
/// alice, carol"), nothing reaches the customer; alice's `:review` lists it, `a` `y` sends it,
/// once.
#[test]
fn live_bobs_reply_is_held_and_alices_review_view_sends_it() {
    use crate::tmux::{customer_message, row, start_synced_answering};
    const FIRST_SCREEN: Duration = Duration::from_secs(30);
    const LIVE: Duration = Duration::from_secs(15);

    let tb = Testbed::start();
    let _raw = setup(&tb);
    tb.deliver(
        "support@example.test",
        &customer_message("review", 1, "Printer on fire"),
    );
    let (bob, _bob_dir) = start_synced_answering(&tb, "bob", 1, FIRST_SCREEN);
    bob.keys(&["r"]);
    bob.wait_for("bob's reply pane", LIVE, |s| {
        s.contains("Re: Printer on fire")
    });
    bob.keys(&["-l", "Unplug it."]);
    bob.keys(&["C-x"]);
    bob.wait_for("the preview", LIVE, |s| s.contains("y sends"));
    bob.keys(&["y"]);
    bob.wait_for("held for review", LIVE, |s| {
        s.contains("held for review <") && s.contains("awaiting review by alice, carol")
    });
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        tb.sink_messages().is_empty(),
        "nothing reached the customer"
    );

    let (alice, _alice_dir) = start_synced_answering(&tb, "alice", 1, FIRST_SCREEN);
    alice.keys(&[":"]);
    alice.keys(&["-l", "review"]);
    alice.keys(&["Enter"]);
    alice.wait_for("the review view", LIVE, |s| {
        s.contains("review · support · 1")
            && row(s, "Re: Printer on fire")
                .is_some_and(|r| r.contains("bob") && r.contains("waiting"))
    });
    alice.keys(&["Enter"]);
    alice.wait_for("the open item", LIVE, |s| s.contains("Unplug it."));
    alice.keys(&["a"]);
    alice.wait_for("the question", LIVE, |s| {
        s.contains("approve and send bob's reply")
    });
    alice.keys(&["y"]);
    alice.wait_for("approved", LIVE, |s| {
        s.contains("approved bob's reply: sent <")
    });
    alice.wait_for("the emptied view", LIVE, |s| {
        s.contains("no replies waiting for review")
    });
    let sink = tb.wait_sink(1, LIVE);
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(tb.sink_messages().len(), 1, "delivered once: {sink:?}");
    let m = &sink[0];
    assert_eq!(m.recipient, "customer1@outside.test");
    assert_eq!(
        m.sender, "support@example.test",
        "alice sends as the mailbox"
    );
    assert!(m.body().contains("Unplug it."), "{}", m.text());
}

#[test]
fn an_approver_whose_own_reply_is_held_may_not_approve_it() {
    let tb = Testbed::start();
    // carol approves others' replies, and her own are held too.
    setup_with(
        &tb,
        "version = 1\n[send]\nas = [\"alice\"]\non-behalf = [\"bob\", \"carol\"]\n\
         [review]\nagents = [\"carol\"]\napprovers = [\"alice\", \"carol\"]\n",
    );
    let carol = agent(&tb, "carol", "on-behalf");
    let alice = agent(&tb, "alice", "as");
    let (code, out, err) = carol.run_with(
        &[
            "send",
            "support",
            "--to",
            "zoe@outside.test",
            "--subject",
            "My own answer",
            "--body-file",
            "-",
        ],
        b"Hello Zoe.\n",
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("awaiting review by alice\n"),
        "carol does not await herself: {out}{err}"
    );
    let id = id_of(&alice, "My own answer");
    let (code, out) = carol.run_joined(&["review", "support", "approve", &id]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("was written by carol: another approver must approve it"),
        "{out}"
    );
    std::thread::sleep(Duration::from_millis(1000));
    assert!(tb.sink_messages().is_empty(), "nothing reached a recipient");
    // Still waiting for another approver.
    let (code, out, err) = alice.run(&["review", "support", "list", "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["items"][0]["state"], "waiting", "{out}");
}

#[test]
fn an_item_with_a_two_megabyte_header_does_not_stop_the_queue_from_being_listed() {
    let tb = Testbed::start();
    setup(&tb);
    let bob = agent(&tb, "bob", "on-behalf");
    let alice = agent(&tb, "alice", "as");
    send(&bob, "A real reply");
    // Anyone who may hold replies may append to the folder: a hostile item, 2 MB of header.
    let mut hostile = b"X-Mailroom-Review: 1\r\nX-Mailroom-Agent: bob\r\n".to_vec();
    for _ in 0..2100 {
        hostile.extend_from_slice(b"X-Junk: ");
        hostile.extend_from_slice(&[b'a'; 990]);
        hostile.extend_from_slice(b"\r\n");
    }
    hostile.extend_from_slice(b"From: bob@example.test\r\nSubject: junk\r\n\r\nbody\r\n");
    let mut raw = tb.raw_imap("bob");
    let out = raw.append(FOLDER, "$review", &hostile);
    assert!(out.contains("OK"), "{out}");
    let (code, out, err) = alice.run(&["review", "support", "list", "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let subjects: Vec<&str> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["subject"].as_str())
        .collect();
    assert!(subjects.contains(&"A real reply"), "{out}");
}
