//! `mailroom stats` against a real Dovecot: customer messages and replies APPENDed with chosen
//! INTERNALDATEs give exactly the expected counts, medians, p90 and per-agent numbers; a lying
//! `Date:` header changes nothing; nothing is marked `\Seen`.

use crate::support;

use mailroom::store::audit::{AuditLog, Record};
use serde_json::Value;
use support::cli::Cli;
use support::testbed::Testbed;

const INBOX: &str = "shared/support/INBOX";
const SENT: &str = "shared/support/Sent";

/// Monday 2 March 2026 at `hh:mm` UTC, as an APPEND date-time.
fn monday(hh: u32, mm: u32) -> String {
    format!("02-Mar-2026 {hh:02}:{mm:02}:00 +0000")
}

fn customer(n: u32, from: &str, extra: &str) -> Vec<u8> {
    format!(
        "From: Customer {n} <{from}>\r\nTo: help@example.test\r\nSubject: question {n}\r\nMessage-ID: <q{n}@outside.test>\r\nDate: Mon, 2 Mar 2026 08:00:00 +0000\r\n{extra}\r\nHello, question {n}.\r\n"
    )
    .into_bytes()
}

/// A reply to `<q{to}@outside.test>` with Message-ID `<r{id}@example.test>`; `headers` are
/// added as they are (threading, Sender, X-Mailroom-Agent, Date).
fn reply(id: &str, headers: &str) -> Vec<u8> {
    format!(
        "{headers}From: Example Support <support@example.test>\r\nTo: someone@outside.test\r\nSubject: Re: question\r\nMessage-ID: <r{id}@example.test>\r\n\r\nAnswer {id}.\r\n"
    )
    .into_bytes()
}

fn seed(tb: &Testbed) {
    let mut imap = tb.raw_imap("alice");
    let mut put = |mailbox: &str, date: &str, msg: &[u8]| {
        let out = imap.append_dated(mailbox, "", date, msg);
        assert!(out.contains(" OK "), "APPEND to {mailbox} failed:\n{out}");
    };
    // Customer messages of the week (Monday 09:00 … 14:00 UTC, Tuesday 09:00).
    put(INBOX, &monday(9, 0), &customer(1, "c1@outside.test", ""));
    put(INBOX, &monday(10, 0), &customer(2, "c2@outside.test", ""));
    put(INBOX, &monday(11, 0), &customer(3, "c3@outside.test", ""));
    put(INBOX, &monday(12, 0), &customer(4, "c4@outside.test", ""));
    put(INBOX, &monday(13, 0), &customer(5, "c5@outside.test", ""));
    put(INBOX, &monday(14, 0), &customer(6, "c6@outside.test", ""));
    put(
        INBOX,
        "03-Mar-2026 09:00:00 +0000",
        &customer(7, "c7@outside.test", ""),
    );
    // Not customer messages: from the account itself, from its alias, an auto-reply.
    put(
        INBOX,
        &monday(15, 0),
        &customer(8, "support@example.test", ""),
    );
    put(INBOX, &monday(15, 5), &customer(9, "Help@Example.test", ""));
    put(
        INBOX,
        &monday(15, 10),
        &customer(12, "c12@outside.test", "Auto-Submitted: auto-replied\r\n"),
    );
    // Outside the window: the day before, and the day after it ends. The first is answered.
    put(
        INBOX,
        "01-Mar-2026 10:00:00 +0000",
        &customer(10, "c10@outside.test", ""),
    );
    put(
        INBOX,
        "09-Mar-2026 10:00:00 +0000",
        &customer(11, "c11@outside.test", ""),
    );

    // Replies. q1: on behalf by bob after 10 min (In-Reply-To only).
    put(
        SENT,
        &monday(9, 10),
        &reply(
            "1",
            "Sender: Bob <bob@example.test>\r\nIn-Reply-To: <q1@outside.test>\r\n",
        ),
    );
    // q2: send-as by alice after 30 min; then bob again at 12:00, whose Date: claims 10:05.
    put(
        SENT,
        &monday(10, 30),
        &reply(
            "2",
            "X-Mailroom-Agent: alice\r\nIn-Reply-To: <q2@outside.test>\r\nReferences: <q2@outside.test>\r\nDate: Mon, 2 Mar 2026 10:30:00 +0000\r\n",
        ),
    );
    put(
        SENT,
        &monday(12, 0),
        &reply(
            "2b",
            "Sender: bob@example.test\r\nIn-Reply-To: <q2@outside.test>\r\nReferences: <q2@outside.test>\r\nDate: Mon, 2 Mar 2026 10:05:00 +0000\r\n",
        ),
    );
    // q3: nothing in the message names the agent; the audit log does (References only).
    put(
        SENT,
        &monday(12, 0),
        &reply("3", "References: <q0@outside.test> <q3@outside.test>\r\n"),
    );
    // q4: after 2 min, by nobody anyone can tell.
    put(
        SENT,
        &monday(12, 2),
        &reply("4", "In-Reply-To: <q4@outside.test>\r\n"),
    );
    // q5: bob after 90 min; the Date: header lies (it claims one minute).
    put(
        SENT,
        &monday(14, 30),
        &reply(
            "5",
            "Sender: bob@example.test\r\nIn-Reply-To: <q5@outside.test>\r\nDate: Mon, 2 Mar 2026 13:01:00 +0000\r\n",
        ),
    );
    // q10 (before the window) was answered before the window too: counted nowhere.
    put(
        SENT,
        "01-Mar-2026 11:00:00 +0000",
        &reply(
            "10",
            "X-Mailroom-Agent: carol\r\nIn-Reply-To: <q10@outside.test>\r\n",
        ),
    );
}

/// Agent bob (his own login) on the support account, with its Sent folder and alias.
fn cli(tb: &Testbed, insight: &str) -> Cli {
    let cli = Cli::testbed(
        tb,
        "bob",
        "aliases = [\"help@example.test\"]\nsend = \"none\"",
        &format!("sent = \"{SENT}\"\n{insight}"),
    );
    // The audit log of this machine names carol for r3 (and nothing else).
    let log = AuditLog::new(cli.dir.path().join("data/mailroom/audit.jsonl"));
    log.append(&Record {
        time: "2026-03-02T12:00:00Z".into(),
        agent: "carol".into(),
        account: "support".into(),
        envelope: mailroom::message::Envelope {
            mode: "as".into(),
            from: "support@example.test".into(),
            sender: None,
            mail_from: "support@example.test".into(),
            recipients: vec!["c3@outside.test".into()],
            message_id: "r3@example.test".into(),
            subject: "Re: question".into(),
        },
        result: "sent".into(),
        approved_by: None,
    })
    .unwrap();
    cli
}

fn agent<'a>(list: &'a Value, name: &str) -> &'a Value {
    list.as_array()
        .and_then(|a| a.iter().find(|x| x["agent"] == name))
        .unwrap_or_else(|| panic!("no agent {name} in {list:#}"))
}

fn check_agent(list: &Value, name: &str, answered: u64, median: i64, p90: i64, sent: u64) {
    let a = agent(list, name);
    assert_eq!(a["answered"], answered, "{name}: {a:#}");
    assert_eq!(
        a["first_response"]["median_seconds"], median,
        "{name}: {a:#}"
    );
    assert_eq!(a["first_response"]["p90_seconds"], p90, "{name}: {a:#}");
    assert_eq!(a["sent"], sent, "{name}: {a:#}");
}

#[test]
fn stats_from_internaldates_and_attribution() {
    let tb = Testbed::start();
    seed(&tb);
    let cli = cli(&tb, "");
    let (code, out, err) = cli.run(&[
        "stats",
        "support",
        "--since",
        "2026-03-02",
        "--until",
        "2026-03-08",
        "--json",
    ]);
    assert_eq!(code, 0, "{out}\n{err}");
    let r: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}:\n{out}"));
    assert_eq!(r["since"], "2026-03-02T00:00:00Z");
    assert_eq!(r["until"], "2026-03-09T00:00:00Z");
    assert_eq!(r["timezone_offset"], "+00:00");
    let m = &r["mailboxes"][0];
    assert_eq!(m["account"], "support");
    assert_eq!(m["received"], 7, "{m:#}");
    assert_eq!(m["answered"], 5, "{m:#}");
    assert_eq!(m["unanswered"], 2, "{m:#}");
    // 600, 1800, 3600, 120, 5400 s → sorted 120 600 1800 3600 5400: rank 3 and rank 5.
    assert_eq!(m["first_response"]["count"], 5);
    assert_eq!(m["first_response"]["median_seconds"], 1800);
    assert_eq!(m["first_response"]["p90_seconds"], 5400);
    // r1 r2 r2b r3 r4 r5 (r10 is before the window).
    assert_eq!(m["sent"], 6);
    assert_eq!(m["opened"], 0);
    let w = &m["oldest_unanswered"];
    assert_eq!(w["subject"], "question 6", "{w:#}");
    assert_eq!(w["from"], "c6@outside.test");
    assert_eq!(w["received"], "2026-03-02T14:00:00Z");
    assert!(w["age_seconds"].as_i64().unwrap() > 0);
    // Received per weekday and hour: Monday 09–14, Tuesday 09.
    let grid = &m["by_weekday_hour"];
    for h in 9..=14 {
        assert_eq!(grid[0][h], 1, "Monday {h}h: {grid}");
    }
    assert_eq!(grid[1][9], 1);
    let total: u64 = grid
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| d.as_array().unwrap())
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert_eq!(total, 7);

    let agents = &r["agents"];
    let names: Vec<&str> = agents
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["agent"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alice", "bob", "carol", "unknown"]);
    // bob: Sender = the configured agent's email; 600 and 5400 s; r2b counts as sent only.
    check_agent(agents, "bob", 2, 600, 5400, 3);
    // alice: X-Mailroom-Agent on the Sent copy.
    check_agent(agents, "alice", 1, 1800, 1800, 1);
    // carol: only the audit log knows.
    check_agent(agents, "carol", 1, 3600, 3600, 1);
    check_agent(agents, "unknown", 1, 120, 120, 1);
    // bob's first responses were on Monday at 09h and 14h.
    let bob = agent(agents, "bob");
    assert_eq!(bob["by_weekday_hour"][0][9], 1);
    assert_eq!(bob["by_weekday_hour"][0][14], 1);
    assert_eq!(m["agents"], *agents);

    // Nothing was marked \Seen, in either folder.
    let mut raw = tb.raw_imap("alice");
    for folder in [INBOX, SENT] {
        raw.cmd_ok(&format!("EXAMINE \"{folder}\""));
        let flags = raw.cmd_ok("UID FETCH 1:* (FLAGS)");
        assert!(!flags.contains("\\Seen"), "{folder}:\n{flags}");
    }

    // The text report says the same, within 80 columns.
    let (code, text, err) = cli.run(&["stats", "--since", "2026-03-02", "--until", "2026-03-08"]);
    assert_eq!(code, 0, "{text}\n{err}");
    assert!(
        text.lines().any(|l| l.starts_with("support")
            && l.split_whitespace().collect::<Vec<_>>()
                == [
                    "support", "7", "5", "2", "30m", "00s", "1h", "30m", "6", "0"
                ]),
        "{text}"
    );
    assert!(text.contains("oldest waiting: UID"), "{text}");
    for line in text.lines() {
        assert!(line.chars().count() <= 80, "{line}");
    }
}

#[test]
fn business_hours_and_the_open_window() {
    let tb = Testbed::start();
    seed(&tb);
    // Hours 10:00–13:00 at +01:00, i.e. 09:00–12:00 UTC: q1 600 s, q2 1800 s, q3 3600 s,
    // q4 (12:00 → 12:02 UTC) and q5 (13:00 → 14:30 UTC) 0 s, after closing. Over the open
    // window (no --until), c11 of 9 March joins the unanswered ones.
    let cli = cli(
        &tb,
        "[insight]\nbusiness_hours = \"Mon-Fri 10:00-13:00\"\ntimezone_offset = \"+01:00\"\n",
    );
    let (code, out, err) = cli.run(&["stats", "--since", "2026-03-02", "--json"]);
    assert_eq!(code, 0, "{out}\n{err}");
    let r: Value = serde_json::from_str(&out).unwrap();
    // --since is read at +01:00: 1 March 23:00 UTC.
    assert_eq!(r["since"], "2026-03-01T23:00:00Z");
    assert_eq!(r["timezone_offset"], "+01:00");
    let m = &r["mailboxes"][0];
    assert_eq!(
        (&m["received"], &m["answered"], &m["unanswered"]),
        (&Value::from(8), &Value::from(5), &Value::from(3))
    );
    // Sorted 0 0 600 1800 3600: rank 3 and rank 5.
    assert_eq!(m["first_response"]["median_seconds"], 600);
    assert_eq!(m["first_response"]["p90_seconds"], 3600);
    assert_eq!(r["business_hours"], "mon,tue,wed,thu,fri 10:00-13:00");
    // At +01:00 the customer messages arrived Monday 10:00 … 15:00 local (and c11 of the
    // next Monday at 11:00), c7 on Tuesday at 10:00.
    let grid = &m["by_weekday_hour"];
    assert_eq!(grid[0][9], 0);
    assert_eq!(grid[0][10], 1);
    assert_eq!(grid[0][11], 2);
    assert_eq!(grid[1][10], 1);
    check_agent(&r["agents"], "bob", 2, 0, 600, 3);
}

#[test]
fn unknown_account_and_unreachable_server_exit_1() {
    let tb = Testbed::start();
    let cli = cli(&tb, "");
    let (code, out, err) = cli.run(&["stats", "nosuch"]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(
        err.contains("no account named \"nosuch\"") && err.contains("support"),
        "{err}"
    );
    let (code, _, err) = cli.run(&["stats", "--since", "yesterday-ish"]);
    assert_eq!(code, 1);
    assert!(err.contains("is not a date"), "{err}");

    // A port nothing listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let down = Cli::with_config(&format!(
        "[agent]\nid = \"bob\"\nname = \"Bob\"\nemail = \"bob@example.test\"\n[[account]]\nname = \"support\"\naddress = \"support@example.test\"\nsend = \"none\"\n[account.imap]\nhost = \"127.0.0.1\"\nport = {port}\nlogin = \"bob\"\npassword_command = \"echo x\"\nmailbox = \"{INBOX}\"\nsent = \"{SENT}\"\n"
    ));
    let (code, out, err) = down.run(&["stats", "--json"]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(
        err.contains("account \"support\"") && err.contains("cannot connect"),
        "{err}"
    );
    assert!(out.is_empty(), "{out}");

    // A Sent folder that does not exist is named.
    let missing = Cli::testbed(
        &tb,
        "bob",
        "send = \"none\"",
        "sent = \"shared/support/Nowhere\"\n",
    );
    let (code, _, err) = missing.run(&["stats"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("folder \"shared/support/Nowhere\"") && err.contains("EXAMINE"),
        "{err}"
    );
}
