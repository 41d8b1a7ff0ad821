//! Read receipts against the real test bed: `request_read_receipt` puts
//! `Disposition-Notification-To:` (the shared address) on what the SMTP sink receives, and an
//! MDN appended to the shared mailbox is counted as "opened" by `mailroom stats`, not as a
//! customer message.

use crate::support;
use crate::ui_support;

use std::time::Duration;

use support::cli::Cli;
use support::testbed::Testbed;

/// Agent alice on `support` (send as), with SMTP submission and the Sent folder.
fn cli(tb: &Testbed, read_receipt: Option<bool>) -> Cli {
    let extra = match read_receipt {
        Some(b) => {
            format!("send = \"as\"\naliases = [\"help@example.test\"]\nrequest_read_receipt = {b}")
        }
        None => "send = \"as\"\naliases = [\"help@example.test\"]".to_string(),
    };
    Cli::testbed(
        tb,
        "alice",
        &extra,
        &format!(
            "sent = \"shared/support/Sent\"\n[account.smtp]\nhost = \"127.0.0.1\"\nport = {}\nca_file = \"{}\"\nlogin = \"alice\"\npassword_command = \"echo {}\"\n",
            tb.submission_port,
            tb.ca_file.display(),
            Testbed::password("alice")
        ),
    )
}

/// `mailroom send support --to … --json`; returns the Message-ID sent.
fn send(cli: &Cli, to: &str, subject: &str, extra: &[&str]) -> String {
    let mut args = vec![
        "send",
        "support",
        "--to",
        to,
        "--subject",
        subject,
        "--body-file",
        "-",
        "--json",
    ];
    args.extend_from_slice(extra);
    let (code, out, err) = cli.run_with(&args, b"Your order has shipped.\n");
    assert_eq!(code, 0, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|_| panic!("{out}{err}"));
    assert_eq!(v["result"], "sent", "{v}");
    v["message_id"].as_str().unwrap().to_string()
}

fn sink_for(tb: &Testbed, n: usize, message_id: &str) -> support::testbed::SinkMessage {
    tb.wait_sink(n, Duration::from_secs(15))
        .into_iter()
        .find(|m| {
            m.header("Message-ID")
                .is_some_and(|h| h.contains(message_id))
        })
        .unwrap_or_else(|| panic!("<{message_id}> not in the sink"))
}

#[test]
fn request_read_receipt_puts_the_shared_address_in_disposition_notification_to() {
    let tb = Testbed::start();

    // Off by default, and off when false.
    let id = send(&cli(&tb, None), "zoe@outside.test", "Default", &[]);
    let m = sink_for(&tb, 1, &id);
    assert_eq!(
        m.header("Disposition-Notification-To"),
        None,
        "{}",
        m.text()
    );
    let id = send(&cli(&tb, Some(false)), "zoe@outside.test", "Off", &[]);
    let m = sink_for(&tb, 2, &id);
    assert_eq!(
        m.header("Disposition-Notification-To"),
        None,
        "{}",
        m.text()
    );

    // On: the shared address the message is From, also from an alias.
    let on = cli(&tb, Some(true));
    let id = send(&on, "zoe@outside.test", "On", &[]);
    let m = sink_for(&tb, 3, &id);
    assert_eq!(
        m.header("Disposition-Notification-To").as_deref(),
        Some("<support@example.test>"),
        "{}",
        m.text()
    );
    let id = send(
        &on,
        "zoe@outside.test",
        "From the alias",
        &["--from", "help@example.test"],
    );
    let m = sink_for(&tb, 4, &id);
    assert!(m.header("From").unwrap().contains("help@example.test"));
    assert_eq!(
        m.header("Disposition-Notification-To").as_deref(),
        Some("<help@example.test>")
    );
    // Exactly one such field, in the header.
    let text = m.text();
    let header = &text[..text.find("\n\n").unwrap()];
    assert_eq!(
        header
            .to_ascii_lowercase()
            .matches("disposition-notification-to:")
            .count(),
        1,
        "{header}"
    );

    // The dry run shows it too: what you see is what is sent.
    let (code, out, err) = on.run_with(
        &[
            "send",
            "support",
            "--to",
            "zoe@outside.test",
            "--subject",
            "dry",
            "--dry-run",
        ],
        b"",
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("Disposition-Notification-To: <support@example.test>"),
        "{out}"
    );
}

/// A receipt shaped like Thunderbird's, about `original` (without brackets).
fn mdn(original: &str, disposition: &str, own_id: &str) -> Vec<u8> {
    format!(
        "From: Zoe Customer <zoe@outside.test>\r\n\
To: support@example.test\r\n\
Subject: Return Receipt (displayed) - Your order\r\n\
Message-ID: <{own_id}@outside.test>\r\n\
Date: Fri, 27 Nov 2026 10:00:00 +0000\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/report; report-type=\"disposition-notification\";\r\n\
\x20boundary=\"RR\"\r\n\
\r\n\
--RR\r\n\
Content-Type: text/plain; charset=UTF-8\r\n\
\r\n\
This is a Return Receipt for the mail that you sent to zoe@outside.test.\r\n\
--RR\r\n\
Content-Type: message/disposition-notification\r\n\
\r\n\
Reporting-UA: outside.test; Thunderbird\r\n\
Final-Recipient: rfc822;zoe@outside.test\r\n\
Original-Message-ID: <{original}>\r\n\
Disposition: {disposition}\r\n\
\r\n\
--RR--\r\n"
    )
    .into_bytes()
}

fn stats(cli: &Cli) -> serde_json::Value {
    let (code, out, err) = cli.run(&["stats", "support", "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|_| panic!("{out}{err}"));
    v["mailboxes"][0].clone()
}

#[test]
fn an_mdn_appended_to_the_mailbox_is_counted_as_opened_not_as_a_customer_message() {
    let tb = Testbed::start();
    tb.deliver(
        "help@example.test",
        b"From: Zoe Customer <zoe@outside.test>\r\nTo: help@example.test\r\nSubject: Where is my order?\r\nMessage-ID: <q1@outside.test>\r\n\r\nIt has not arrived.\r\n",
    );
    let cli = cli(&tb, Some(true));
    let opened_id = send(&cli, "zoe@outside.test", "Your order", &[]);
    let other_id = send(&cli, "zoe@outside.test", "Your invoice", &[]);
    let m = sink_for(&tb, 2, &opened_id);
    assert!(m.header("Disposition-Notification-To").is_some());

    let before = stats(&cli);
    assert_eq!(before["received"], 1, "{before}");
    assert_eq!(before["sent"], 2, "{before}");
    assert_eq!(before["opened"], 0, "{before}");

    // The receipts arrive: displayed for one message (twice: counted once), deleted for the
    // other, and a bounce-shaped report that is no MDN.
    let mut alice = tb.raw_imap("alice");
    for raw in [
        mdn(
            &opened_id,
            "manual-action/MDN-sent-manually; displayed",
            "mdn1",
        ),
        mdn(
            &opened_id,
            "automatic-action/MDN-sent-automatically; displayed",
            "mdn2",
        ),
        mdn(
            &other_id,
            "manual-action/MDN-sent-manually; deleted",
            "mdn3",
        ),
    ] {
        alice.append("shared/support/INBOX", "", &raw);
    }
    alice.append(
        "shared/support/INBOX",
        "",
        format!(
            "From: MAILER-DAEMON@outside.test\r\nSubject: Undelivered\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=D\r\n\r\n--D\r\nContent-Type: text/plain\r\n\r\nfailed\r\n--D\r\nContent-Type: message/delivery-status\r\n\r\nOriginal-Message-ID: <{other_id}>\r\nDisposition: manual-action/MDN-sent-manually; displayed\r\n\r\n--D--\r\n"
        )
        .as_bytes(),
    );

    let after = stats(&cli);
    assert_eq!(after["opened"], 1, "{after}");
    assert_eq!(after["sent"], 2, "{after}");
    // Neither the receipts nor the bounce is a customer message.
    assert_eq!(after["received"], 1, "{after}");
    assert_eq!(after["unanswered"], 1, "{after}");
    let alice_row = after["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["agent"] == "alice")
        .cloned()
        .unwrap_or_else(|| panic!("{after}"));
    assert_eq!(alice_row["opened"], 1, "{after}");

    // Reading the receipts did not mark them read for the team.
    alice.cmd_ok("EXAMINE \"shared/support/INBOX\"");
    let flags = alice.cmd_ok("FETCH 1:* (FLAGS)");
    assert!(!flags.contains("\\Seen"), "{flags}");
    // And nothing answered them: the sink holds only the two messages sent.
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(tb.sink_messages().len(), 2);
}

#[test]
fn a_receipt_in_a_maildir_account_is_counted_too() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("support");
    for folder in ["", ".Sent"] {
        for d in ["cur", "new", "tmp"] {
            std::fs::create_dir_all(root.join(folder).join(d)).unwrap();
        }
    }
    std::fs::write(
        root.join(".Sent/cur/1700000000.M1P1.host:2,S"),
        b"From: Example Support <support@example.test>\r\nTo: zoe@outside.test\r\nSubject: Your order\r\nMessage-ID: <s1.mailroom@example.test>\r\nDisposition-Notification-To: <support@example.test>\r\nX-Mailroom-Agent: alice\r\n\r\nShipped.\r\n",
    )
    .unwrap();
    std::fs::write(
        root.join("cur/1700000100.M2P1.host:2,"),
        mdn(
            "s1.mailroom@example.test",
            "manual-action/MDN-sent-manually; displayed",
            "mdn1",
        ),
    )
    .unwrap();
    std::fs::write(
        root.join("cur/1700000200.M3P1.host:2,"),
        b"From: zoe@outside.test\r\nSubject: Thanks\r\nMessage-ID: <t1@outside.test>\r\n\r\nThanks!\r\n",
    )
    .unwrap();
    let cli = Cli::with_config(&format!(
        "[agent]\nid = \"alice\"\nname = \"Alice\"\nemail = \"alice@example.test\"\n[[account]]\nname = \"support\"\naddress = \"support@example.test\"\nsend = \"none\"\nsent_copy = \"none\"\n[account.maildir]\npath = \"{}\"\nsent = \"Sent\"\n",
        root.display()
    ));
    let s = stats(&cli);
    assert_eq!(s["opened"], 1, "{s}");
    assert_eq!(s["sent"], 1, "{s}");
    assert_eq!(s["received"], 1, "{s}");
}

#[test]
fn the_reader_notes_a_receipt_request_and_nothing_is_sent() {
    use mailroom::engine::event::{Opened, RawMessage};
    use mailroom::engine::{Event, Request};
    use mailroom::ui::app::App;
    use ui_support::{enter, load, msg, press, screen, sized, theme};

    let mut app = sized(App::new(&[(0, "support".into())], theme(), false), 100, 24);
    load(&mut app, 0, vec![msg(1, 5, "Zoe", "Printer broken")]);
    let open = |app: &mut App, raw: &[u8]| -> Vec<Request> {
        let mut cmds = press(app, [enter()]);
        cmds.extend(press(
            app,
            [Event::Body {
                account_idx: 0,
                uid: 1,
                body: Ok(Opened {
                    text: "It prints nothing.".into(),
                    attachments: Vec::new(),
                    raw: Some(RawMessage(raw.into())),
                }),
            }],
        ));
        cmds
    };
    let cmds = open(
        &mut app,
        b"From: zoe@customer.test\r\nSubject: Printer broken\r\nDisposition-Notification-To: <zoe@customer.test>\r\n\r\nIt prints nothing.\r\n",
    );
    let s = screen(&app);
    assert!(
        s.contains("Receipt: the sender asked for a read receipt; mailroom does not send them"),
        "{s}"
    );
    assert!(s.contains("It prints nothing."), "{s}");
    // Opening reads, and nothing else: no send, no store.
    assert!(
        cmds.iter().all(|c| matches!(c, Request::Open { .. })),
        "{cmds:?}"
    );
    // Once, even when the body arrives again.
    press(
        &mut app,
        [Event::Body {
            account_idx: 0,
            uid: 1,
            body: Ok(Opened {
                text: "It prints nothing.".into(),
                attachments: Vec::new(),
                raw: Some(RawMessage(
                    b"Disposition-Notification-To: <zoe@customer.test>\r\n\r\nx\r\n"[..].into(),
                )),
            }),
        }],
    );
    assert_eq!(screen(&app).matches("Receipt:").count(), 1);

    // Without the request: no note.
    press(
        &mut app,
        [ui_support::key(crossterm::event::KeyCode::Char('q'))],
    );
    open(
        &mut app,
        b"From: zoe@customer.test\r\nSubject: Printer broken\r\n\r\nDisposition-Notification-To: in the body\r\n",
    );
    let s = screen(&app);
    assert!(!s.contains("Receipt:"), "{s}");
}
