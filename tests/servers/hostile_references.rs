//! A megabyte of References against a real Dovecot: the cold sync costs about what an ordinary
//! message costs (it was quadratic: 15 s for 100,000 ids), the row keeps a bounded number of
//! ids, and threading still puts the message under its parent.

use crate::support;

use std::time::{Duration, Instant};

use mailroom::config::Imap;
use mailroom::imap::connect::{Target, open_session};
use mailroom::imap::sync::{MailboxState, sync};
use mailroom::mail::parse::MAX_REFERENCES;
use mailroom::mail::thread::threads;
use mailroom::message::Summary;
use mailroom::net::Server;
use mailroom::store::cache::HeaderCache;
use support::cli::imap_config;
use support::testbed::Testbed;

const IDS: usize = 100_000;

fn plain(id: &str, subject: &str, extra: &str) -> Vec<u8> {
    format!(
        "From: Customer <c@outside.test>\r\nTo: help@example.test\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\nDate: Fri, 27 Nov 2026 10:00:00 +0000\r\n{extra}\r\nHello\r\n"
    )
    .into_bytes()
}

/// References naming `root`, then 100,000 other ids, then `parent` (the direct parent, last as
/// RFC 5322 wants). `folded`: ten ids a line, as an MTA writes it; else one 1.1 MB line.
fn hostile_references(root: &str, parent: &str, folded: bool) -> String {
    let mut v = format!("References: <{root}>");
    for i in 0..IDS {
        v.push_str(if folded && i % 10 == 0 { "\r\n " } else { " " });
        v.push_str(&format!("<r{i}@x>"));
    }
    v.push_str(&format!("\r\n <{parent}>\r\n"));
    v
}

fn server(cfg: &Imap) -> Server {
    Server {
        host: cfg.host.clone(),
        port: cfg.port(),
    }
}

/// A cold sync (no cache) of the support mailbox: the rows and the time it took.
fn cold_sync(cfg: &Imap) -> (Vec<Summary>, Duration) {
    let key = MailboxState::key_for("support", &server(cfg), "alice", &cfg.mailbox);
    let mut state = MailboxState::new(key, &cfg.mailbox).quiet_rows();
    let started = Instant::now();
    let mut conn = open_session(&Target {
        account: "support",
        config: cfg,
    })
    .unwrap_or_else(|e| panic!("{e}"));
    sync(&mut conn, "support", &server(cfg), &mut state, &mut |_| {})
        .unwrap_or_else(|e| panic!("{e}"));
    let took = started.elapsed();
    let _ = conn.session.logout();
    (state.into_rows(), took)
}

fn row<'a>(rows: &'a [Summary], id: &str) -> (usize, &'a Summary) {
    rows.iter()
        .enumerate()
        .find(|(_, r)| r.message_id() == Some(id))
        .unwrap_or_else(|| panic!("no row with Message-ID {id}"))
}

/// Asserts `child` is threaded directly under `parent`.
fn threaded_under(rows: &[Summary], parent: &str, child: &str) {
    let t = threads(rows);
    let (p, _) = row(rows, parent);
    let (c, _) = row(rows, child);
    let pos = |i: usize| t.order.iter().position(|r| r.row == i).unwrap();
    let (pp, cp) = (pos(p), pos(c));
    let same = t.threads.iter().any(|r| r.contains(&pp) && r.contains(&cp));
    assert!(same, "{child} is not in the thread of {parent}");
    assert_eq!(
        t.order[cp].depth,
        t.order[pp].depth + 1,
        "{child} is not a direct reply of {parent}"
    );
}

#[test]
fn a_megabyte_of_references_costs_a_cold_sync_little_and_still_threads() {
    let tb = Testbed::start();
    let cfg = imap_config(&tb, "alice");
    tb.put_message(
        "support",
        "INBOX",
        &plain("root@outside.test", "root", ""),
        "",
    );
    for p in ["p1@outside.test", "p2@outside.test"] {
        tb.put_message(
            "support",
            "INBOX",
            &plain(p, "parent", "References: <root@outside.test>\r\n"),
            "",
        );
    }
    for i in 0..20 {
        tb.put_message(
            "support",
            "INBOX",
            &plain(&format!("o{i}@outside.test"), "ordinary", ""),
            "",
        );
    }
    // Warm Dovecot's index, then the baseline: a cold sync of ordinary messages.
    let _ = cold_sync(&cfg);
    let (_, ordinary) = cold_sync(&cfg);

    tb.put_message(
        "support",
        "INBOX",
        &plain(
            "h1@outside.test",
            "one long line",
            &hostile_references("root@outside.test", "p1@outside.test", false),
        ),
        "",
    );
    tb.put_message(
        "support",
        "INBOX",
        &plain(
            "h2@outside.test",
            "folded",
            &hostile_references("root@outside.test", "p2@outside.test", true),
        ),
        "",
    );
    // Dovecot's own first parse of the new files is not ours to measure.
    let _ = cold_sync(&cfg);
    let (rows, hostile) = cold_sync(&cfg);
    eprintln!("cold sync: {ordinary:?} ordinary, {hostile:?} with two 1 MB References");
    assert_eq!(rows.len(), 25);
    // ~1 s more in a debug build alone (the imap crate's own literal parsing), 112 s before
    // the fix; the margin leaves room for a loaded 2-core CI running other server tests.
    assert!(
        hostile < ordinary + Duration::from_secs(8),
        "cold sync took {hostile:?} with two 1 MB References headers, {ordinary:?} without"
    );
    for (h, p) in [
        ("h1@outside.test", "p1@outside.test"),
        ("h2@outside.test", "p2@outside.test"),
    ] {
        let (_, r) = row(&rows, h);
        assert!(
            r.references().len() <= MAX_REFERENCES,
            "{}",
            r.references().len()
        );
        assert_eq!(r.references().first(), Some("root@outside.test"));
        assert_eq!(r.references().last(), Some(p));
        threaded_under(&rows, p, h);
    }

    // The header cache keeps the bounded rows, and reads them back quickly.
    let dir = tempfile::tempdir().unwrap();
    let cache = HeaderCache::new(dir.path().to_path_buf());
    let key = MailboxState::key_for("support", &server(&cfg), "alice", &cfg.mailbox);
    let mut state = MailboxState::new(key.clone(), &cfg.mailbox).quiet_rows();
    let mut conn = open_session(&Target {
        account: "support",
        config: &cfg,
    })
    .unwrap();
    sync(&mut conn, "support", &server(&cfg), &mut state, &mut |_| {}).unwrap();
    state.save_cache(&cache).unwrap();
    let size = std::fs::metadata(cache.path_for(&key)).unwrap().len();
    assert!(size < 64 * 1024, "header cache of 25 rows is {size} bytes");
    let mut warm = MailboxState::new(key, &cfg.mailbox).quiet_rows();
    assert_eq!(warm.load_cache_quietly(&cache), None);
    let rows = warm.into_rows();
    threaded_under(&rows, "p1@outside.test", "h1@outside.test");
    threaded_under(&rows, "p2@outside.test", "h2@outside.test");
}
