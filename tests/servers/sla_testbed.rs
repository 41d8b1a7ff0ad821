//! The first-response target of a team policy against a real Dovecot: a policy message with
//! `[sla]` published in `shared/support/Policy` gives `mailroom list --json` each seeded
//! message's `sla_state` and `sla_due` (met and breached from the replies in Sent), the table
//! an SLA column, and `mailroom stats` its met, breached and overdue counts.

use crate::support;

use support::cli::Cli;
use support::testbed::Testbed;

const INBOX: &str = "shared/support/INBOX";
const SENT: &str = "shared/support/Sent";
const POLICY: &str = "shared/support/Policy";

/// `at` (Unix seconds) as an IMAP date-time.
fn imap_date(at: i64) -> String {
    jiff::Timestamp::from_second(at)
        .unwrap()
        .strftime("%d-%b-%Y %H:%M:%S +0000")
        .to_string()
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// A policy message as any client could append it: text/plain, the TOML as its body.
fn policy_message(document: &str) -> Vec<u8> {
    format!(
        "X-Mailroom-Policy: 1\r\nX-Mailroom-Agent: alice\r\nFrom: Alice <alice@example.test>\r\nTo: <support@example.test>\r\nSubject: [policy] team policy version 1\r\nMessage-ID: <policy1@example.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{}",
        document.replace('\n', "\r\n")
    )
    .into_bytes()
}

#[test]
fn list_and_stats_follow_the_policy_sla_on_dovecot() {
    let tb = Testbed::start();
    let t = now();
    let mut alice = tb.raw_imap("alice");
    // (number, arrived minutes ago, flags, replied in Sent minutes ago)
    let seeded: [(u32, i64, &str, Option<i64>); 6] = [
        (1, 30, "", None),
        (2, 210, "", None),
        (3, 300, "", None),
        (4, 360, "\\Answered", Some(300)),
        (5, 600, "\\Answered", Some(60)),
        // Answered by another client, no reply in Sent: only the row's mark says so.
        (6, 700, "\\Answered", None),
    ];
    for (n, ago, flags, replied) in seeded {
        let raw = format!(
            "From: Customer {n} <c{n}@customer.test>\r\nTo: support@example.test\r\nSubject: question {n}\r\nMessage-ID: <q{n}@customer.test>\r\nDate: Fri, 27 Nov 2026 10:00:00 +0000\r\n\r\nHelp.\r\n"
        );
        alice.append_dated(INBOX, flags, &imap_date(t - ago * 60), raw.as_bytes());
        assert!(
            alice.last_status().contains("OK"),
            "{}",
            alice.last_status()
        );
        if let Some(r) = replied {
            let reply = format!(
                "From: Support <support@example.test>\r\nTo: c{n}@customer.test\r\nSubject: Re: question {n}\r\nMessage-ID: <r{n}@example.test>\r\nIn-Reply-To: <q{n}@customer.test>\r\nX-Mailroom-Agent: bob\r\n\r\nDone.\r\n"
            );
            alice.append_dated(SENT, "\\Seen", &imap_date(t - r * 60), reply.as_bytes());
            assert!(
                alice.last_status().contains("OK"),
                "{}",
                alice.last_status()
            );
        }
    }
    let cli = Cli::testbed(
        &tb,
        "bob",
        "send = \"none\"",
        "sent = \"shared/support/Sent\"\n",
    );

    // No policy yet: every row says none, and the table has no SLA column.
    let (code, out, err) = cli.run(&["list", "support", "--json"]);
    assert_eq!(code, 0, "{err}");
    let rows: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        rows.as_array()
            .unwrap()
            .iter()
            .all(|r| r["sla_state"] == "none" && r["sla_due"].is_null()),
        "{out}"
    );

    // Alice publishes a 4h target around the clock, due soon in the last hour.
    alice.cmd_ok(&format!("CREATE \"{POLICY}\""));
    alice.append(
        POLICY,
        "\\Seen",
        &policy_message("version = 1\n[sla]\nfirst_response = \"4h\"\ndue_soon = \"1h\"\n"),
    );
    assert!(
        alice.last_status().contains("OK"),
        "{}",
        alice.last_status()
    );

    let (code, out, err) = cli.run(&["list", "support", "--json"]);
    assert_eq!(code, 0, "{err}");
    let rows: serde_json::Value = serde_json::from_str(&out).unwrap();
    let state = |n: u32| -> (String, Option<String>) {
        let r = rows
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["message_id"] == format!("q{n}@customer.test"))
            .unwrap_or_else(|| panic!("no q{n}: {out}"));
        (
            r["sla_state"].as_str().unwrap_or_default().to_string(),
            r["sla_due"].as_str().map(String::from),
        )
    };
    let due = |ago: i64| Some(mailroom::mail::date::rfc3339_utc(t - ago * 60 + 4 * 3600));
    assert_eq!(state(1), ("ok".into(), due(30)));
    assert_eq!(state(2), ("due_soon".into(), due(210)));
    assert_eq!(state(3), ("overdue".into(), due(300)));
    // From the replies in Sent: #4 within 4h (met: due is null), #5 after 9h (breached).
    assert_eq!(state(4), ("met".into(), None));
    assert_eq!(state(5), ("breached".into(), due(600)));
    // Without a reply in Sent, the row's \Answered says it was taken care of.
    assert_eq!(state(6), ("met".into(), None));

    let (code, out, err) = cli.run(&["list", "support"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.lines().next().unwrap_or_default().contains("SLA"),
        "{out}"
    );
    let line = |n: u32| {
        out.lines()
            .find(|l| l.ends_with(&format!("question {n}")))
            .unwrap_or_default()
            .to_string()
    };
    assert!(line(1).contains("3h left"), "{out}");
    assert!(line(3).contains("1h over"), "{out}");
    assert!(line(5).contains("breached"), "{out}");

    // stats reads Sent: #4 answered within 4h (met), #5 after 9h (breached), #3 and #6
    // overdue (no reply in Sent); both replies are bob's.
    let (code, out, err) = cli.run(&["stats", "support", "--json"]);
    assert_eq!(code, 0, "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        report["mailboxes"][0]["sla"],
        serde_json::json!({"met": 1, "breached": 1, "overdue": 2}),
        "{out}"
    );
    let bob = report["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["agent"] == "bob")
        .unwrap_or_else(|| panic!("{out}"));
    assert_eq!(
        bob["sla"],
        serde_json::json!({"met": 1, "breached": 1, "overdue": 0})
    );
    let (code, out, err) = cli.run(&["stats", "support"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("First-response target (team policy SLA):"),
        "{out}"
    );
}
