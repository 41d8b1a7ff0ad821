//! The Cyrus IMAP 3.6 test bed (`crate::support::cyrus`): a private Cyrus starts, and
//! `mailroom check` and `mailroom list` work for an agent on the shared mailbox `shared.support`.

use crate::support;

use support::cli::Cli;
use support::cyrus::CyrusTestbed;

#[test]
fn check_and_list_on_cyrus_shared_mailbox() {
    let cy = CyrusTestbed::start();
    cy.append(
        "shared.support",
        b"From: Customer One <one@outside.test>\r\nTo: support@example.test\r\nSubject: Printer on fire\r\nMessage-ID: <one@outside.test>\r\nDate: Sun, 06 Dec 2026 09:00:00 +0000\r\n\r\nHelp!\r\n",
    );
    cy.append_flagged(
        "shared.support",
        "\\Seen",
        b"From: Customer Two <two@outside.test>\r\nTo: support@example.test\r\nSubject: Invoice question\r\nMessage-ID: <two@outside.test>\r\nDate: Sun, 06 Dec 2026 09:05:00 +0000\r\n\r\nHello\r\n",
    );
    let cli = Cli::with_config(&cy.config("alice", "send = \"none\"", ""));

    let (code, out) = cli.run_joined(&["check"]);
    assert_eq!(code, 0, "check failed on Cyrus:\n{out}");
    assert!(out.contains("support  ok"), "{out}");
    assert!(out.contains("mailbox shared.support (2 messages)"), "{out}");
    assert!(
        out.contains("IDLE"),
        "idled runs, so IDLE is offered:\n{out}"
    );
    assert!(out.contains("rights    lrswipkxtea"), "{out}");

    let (code, out) = cli.run_joined(&["list", "support"]);
    assert_eq!(code, 0, "list failed on Cyrus:\n{out}");
    let rows: Vec<&str> = out.lines().skip(1).collect();
    assert_eq!(rows.len(), 2, "{out}");
    assert!(rows[0].contains("Invoice question") && rows[0].trim_start().starts_with('2'));
    assert!(rows[1].contains("Printer on fire") && rows[1].trim_start().starts_with('1'));

    // A fact of this server (issue 16, failure 7): `\Seen` set by one user (here the admin) is
    // not seen by another on a shared mailbox.
    let mut imap = cy.raw_imap("alice");
    imap.cmd_ok("SELECT shared.support");
    let flags = imap.cmd_ok("UID FETCH 2 (FLAGS)");
    assert!(!flags.contains("\\Seen"), "{flags}");

    // The STARTTLS port refuses a login before STARTTLS.
    let mut plain = support::testbed::RawImap::connect(cy.imap_port);
    let reply = plain.cmd("LOGIN alice alice-pw");
    assert_ne!(plain.last_status(), "OK", "{reply}");
}
