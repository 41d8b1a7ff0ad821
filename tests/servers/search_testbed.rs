//! The search language against a real Dovecot: `mailroom list --search` and the account
//! worker's `:search` each find the right messages for every kind of term, `or`, negation, a
//! phrase with quotes in it, non-ASCII text, a date read in the agent's time zone; a wrong
//! term is named and nothing is searched.

use crate::support;

use std::sync::mpsc::channel;
use std::time::{Duration, Instant};

use mailroom::engine::worker::{AccountWorker, ConnState, WorkerCommand, WorkerEvent};
use mailroom::imap::sync::FirstBatch;
use mailroom::store::bodies::BodyCache;
use mailroom::store::cache::HeaderCache;
use support::cli::Cli;
use support::testbed::Testbed;

const MAILBOX: &str = "shared/support/INBOX";

/// (subject, from, arrival, flags, body)
const MESSAGES: [(&str, &str, &str, &str, &str); 6] = [
    (
        "Where is order #97916?",
        "Carol <carol@customer.test>",
        "01-Dec-2026 10:00:00 +0000",
        "\\Seen",
        "Any update?",
    ),
    // 20:30 UTC on the 3rd is 01:30 on the 4th at +05:00, the agent's zone here.
    (
        "Invoice 4411",
        "Dave <dave@acme.test>",
        "03-Dec-2026 20:30:00 +0000",
        "\\Flagged $assigned.bob",
        "Please refund the second charge.",
    ),
    (
        "order 97916 and more",
        "Erin <erin@customer.test>",
        "04-Dec-2026 09:00:00 +0000",
        "\\Answered $pending",
        "The order is late.",
    ),
    (
        "=?UTF-8?Q?Gr=C3=BC=C3=9Fe?=",
        "=?UTF-8?Q?Zo=C3=AB?= <zoe@customer.test>",
        "04-Dec-2026 12:00:00 +0000",
        "$done $assigned.alice",
        "Danke!",
    ),
    (
        "Later please",
        "Gina <gina@customer.test>",
        "05-Dec-2026 08:00:00 +0000",
        "$snoozed",
        "Ping me next week.",
    ),
    (
        "Pending but done",
        "Hal <hal@customer.test>",
        "05-Dec-2026 09:00:00 +0000",
        "$pending $done",
        "Closed.",
    ),
];

fn seed(tb: &Testbed) {
    let mut alice = tb.raw_imap("alice");
    for (i, (subject, from, at, flags, body)) in MESSAGES.iter().enumerate() {
        let raw = format!(
            "From: {from}\r\nTo: help@example.test\r\nSubject: {subject}\r\nMessage-ID: <s{i}@customer.test>\r\nDate: Fri, 27 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
        );
        let reply = alice.append_dated(MAILBOX, flags, at, raw.as_bytes());
        assert!(alice.last_status().contains("OK"), "{reply}");
    }
}

/// Which of `MESSAGES` a result names (1-based, in seeding order), from `list --json`.
fn numbers(json: &str) -> Vec<usize> {
    let rows: serde_json::Value = serde_json::from_str(json).expect("json");
    let mut found: Vec<usize> = rows
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|r| {
            let id = r["message_id"].as_str()?;
            let n: usize = id.strip_prefix('s')?.split('@').next()?.parse().ok()?;
            Some(n + 1)
        })
        .collect();
    found.sort_unstable();
    found
}

/// `(query, the messages it finds)`: every kind of term, `or`, `-`, parentheses.
const CASES: [(&str, &[usize]); 22] = [
    (r#""order #97916""#, &[1]),
    ("order 97916", &[1, 3]),
    ("from:acme", &[2]),
    ("from:carol or from:erin", &[1, 3]),
    ("to:help@example.test", &[1, 2, 3, 4, 5, 6]),
    ("subject:invoice", &[2]),
    ("body:refund", &[2]),
    ("subject:grüße", &[4]),
    ("from:zoë", &[4]),
    ("since:2026-12-04", &[2, 3, 4, 5, 6]),
    ("before:2026-12-04", &[1]),
    ("since:2026-12-04 before:2026-12-05", &[2, 3, 4]),
    ("is:read", &[1]),
    ("is:unread subject:order", &[3]),
    ("is:flagged", &[2]),
    ("is:answered", &[3]),
    ("assigned:bob", &[2]),
    ("assigned:me", &[4]),
    ("status:open", &[1, 2]),
    ("status:pending", &[3]),
    ("status:done or status:snoozed", &[4, 5, 6]),
    ("(subject:invoice or subject:grüße) -status:done", &[2]),
];

#[test]
fn list_search_finds_each_kind_of_term_on_dovecot() {
    let tb = Testbed::start();
    seed(&tb);
    // The agent's zone is +05:00: the 4th began at 19:00 UTC on the 3rd.
    let cli = Cli::testbed(
        &tb,
        "alice",
        "send = \"none\"",
        "[insight]\ntimezone_offset = \"+05:00\"\n",
    );
    for (query, want) in CASES {
        let (code, out, err) = cli.run(&["list", "support", "--json", "--search", query]);
        assert_eq!(code, 0, "{query}: {err}");
        assert_eq!(numbers(&out), want, "{query}");
    }
    // A wrong term is named, and nothing is listed.
    let (code, out, err) = cli.run(&["list", "support", "--search", "from:carol since:yesterdy"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("since:yesterdy") && err.contains("column 12") && err.contains("not a date"),
        "{err}"
    );
    // --offline searches the cached rows: no body there, said.
    let (code, out, err) = cli.run(&["list", "support", "--offline", "--search", "body:refund"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        err.contains("body:refund") && err.contains("--offline"),
        "{err}"
    );
    let (code, out, err) = cli.run(&[
        "list",
        "support",
        "--offline",
        "--json",
        "--search",
        "from:acme",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(numbers(&out), [2]);
    // The table takes the same query.
    let (code, table, err) = cli.run(&["list", "support", "--search", "\"order #97916\""]);
    assert_eq!(code, 0, "{err}");
    assert!(table.contains("Where is order #97916?"), "{table}");
    assert!(!table.contains("order 97916 and more"), "{table}");
}

#[test]
fn the_worker_searches_with_the_agent_and_the_agents_zone() {
    let tb = Testbed::start();
    seed(&tb);
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli::testbed(&tb, "alice", "send = \"none\"", "");
    let config = mailroom::config::load(&cli.config).expect("config").config;
    let account = config.accounts[0].clone();
    let (tx, rx) = channel();
    let worker = AccountWorker::spawn_for(
        &account,
        Some(config.agent.clone()),
        FirstBatch::default(),
        HeaderCache::new(dir.path().join("h")),
        BodyCache::new(dir.path().join("b"), 1 << 20),
        Box::new(move |e| {
            let _ = tx.send(e);
        }),
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut online = false;
    while Instant::now() < deadline && !online {
        if let Ok(WorkerEvent::State(ConnState::Online { .. })) =
            rx.recv_timeout(Duration::from_millis(200))
        {
            online = true;
        }
    }
    assert!(online, "the worker did not come online");
    let mut uid_of = std::collections::HashMap::new();
    let mut raw = tb.raw_imap("alice");
    raw.cmd_ok(&format!("EXAMINE \"{MAILBOX}\""));
    for i in 0..MESSAGES.len() {
        let reply = raw.cmd_ok(&format!(
            "UID SEARCH HEADER Message-ID \"s{i}@customer.test\""
        ));
        let uid: u32 = reply
            .lines()
            .find_map(|l| l.strip_prefix("* SEARCH "))
            .and_then(|u| u.trim().parse().ok())
            .expect("uid");
        uid_of.insert(uid, i + 1);
    }
    let ask = |id: u64, query: &str, offset: i32| -> Result<Vec<usize>, String> {
        assert!(worker_send(&worker, id, query, offset));
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(WorkerEvent::SearchDone { id: got, result }) =
                rx.recv_timeout(Duration::from_millis(200))
                && got == id
            {
                return result.map(|uids| {
                    let mut n: Vec<usize> =
                        uids.iter().filter_map(|u| uid_of.get(u)).copied().collect();
                    n.sort_unstable();
                    n
                });
            }
        }
        panic!("no answer to {query:?}");
    };
    assert_eq!(
        ask(1, r#""order #97916" or assigned:me"#, 0),
        Ok(vec![1, 4])
    );
    // The same day, in UTC and at +05:00.
    assert_eq!(ask(2, "since:2026-12-04", 0), Ok(vec![3, 4, 5, 6]));
    assert_eq!(
        ask(3, "since:2026-12-04", 5 * 3600),
        Ok(vec![2, 3, 4, 5, 6])
    );
    let e = ask(4, "status:closed", 0).unwrap_err();
    assert!(
        e.contains("status:closed") && e.contains("status:open"),
        "{e}"
    );
    worker.shutdown();
}

fn worker_send(worker: &AccountWorker, id: u64, query: &str, offset: i32) -> bool {
    worker.send(WorkerCommand::Search {
        id,
        query: query.to_string(),
        offset,
    })
}
