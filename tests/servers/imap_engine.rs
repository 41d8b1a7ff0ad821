//! The IMAP engine against a real Dovecot: cached sync and deltas, UIDVALIDITY changes, IDLE,
//! conditional stores, and the account worker.

use crate::support;

use std::sync::mpsc::channel;
use std::time::{Duration, Instant};

use mailroom::backend::{FlagChange, StoreOutcome};
use mailroom::config::{Imap, Secret};
use mailroom::imap::connect::{ImapConn, Target, open_session};
use mailroom::imap::sync::{MailboxState, SyncEvent, sync};
use mailroom::message::Flags;
use mailroom::net::Server;
use mailroom::store::cache::HeaderCache;
use support::testbed::Testbed;

fn imap_config(tb: &Testbed, login: &str, mailbox: &str) -> Imap {
    let text = format!(
        "host = \"127.0.0.1\"\nport = {}\ntls = \"implicit\"\nca_file = \"{}\"\nlogin = \"{login}\"\npassword = \"{}\"\nmailbox = \"{mailbox}\"\n",
        tb.imaps_port,
        tb.ca_file.display(),
        Testbed::password(login)
    );
    toml::from_str(&text).expect("imap table")
}

fn connect(account: &str, cfg: &Imap) -> ImapConn {
    open_session(&Target {
        account,
        config: cfg,
    })
    .unwrap_or_else(|e| panic!("{e}"))
}

fn message(i: usize) -> Vec<u8> {
    format!(
        "From: =?UTF-8?Q?Zo=C3=AB_M=C3=BCller?= <zoe{i}@outside.test>\r\nTo: help@example.test\r\nSubject: =?UTF-8?Q?Frage_=C3=BCber?= order {i}\r\nMessage-ID: <order{i}@outside.test>\r\nDate: Fri, 27 Nov 2026 10:00:{:02} +0000\r\n{}\r\nHello {i}\r\n",
        i % 60,
        if i > 0 { format!("In-Reply-To: <order{}@outside.test>\r\nReferences: <order0@outside.test> <order{}@outside.test>\r\n", i - 1, i - 1) } else { String::new() }
    )
    .into_bytes()
}

fn server(cfg: &Imap) -> Server {
    Server {
        host: cfg.host.clone(),
        port: cfg.port(),
    }
}

fn run_sync(conn: &mut ImapConn, cfg: &Imap, state: &mut MailboxState) -> Vec<SyncEvent> {
    let mut events = Vec::new();
    sync(conn, "support", &server(cfg), state, &mut |e| {
        events.push(e)
    })
    .unwrap_or_else(|e| panic!("{e}"));
    events
}

fn uids_of(rows: &[mailroom::message::Summary]) -> Vec<u32> {
    rows.iter().map(|r| r.uid).collect()
}

#[test]
fn cached_sync_then_deltas_from_a_second_session() {
    let tb = Testbed::start();
    for i in 0..5 {
        tb.deliver("help@example.test", &message(i));
    }
    let cfg = imap_config(&tb, "alice", "shared/support/INBOX");
    let cache_dir = tempfile::tempdir().unwrap();
    let cache = HeaderCache::new(cache_dir.path().to_path_buf());
    let key = MailboxState::key_for("support", &server(&cfg), "alice", "shared/support/INBOX");

    // Cold: everything arrives as Added, decoded from ENVELOPE and header fields.
    let mut state = MailboxState::new(key.clone(), "shared/support/INBOX");
    let mut conn = connect("support", &cfg);
    let events = run_sync(&mut conn, &cfg, &mut state);
    let added: Vec<_> = events
        .iter()
        .filter_map(|e| {
            if let SyncEvent::Added(r) = e {
                Some(r.clone())
            } else {
                None
            }
        })
        .flatten()
        .collect();
    assert_eq!(added.len(), 5, "{events:?}");
    let first = &added[0];
    assert_eq!(first.from().next().unwrap().name, Some("Zoë Müller"));
    assert_eq!(first.subject(), "Frage über order 0");
    assert_eq!(first.message_id(), Some("order0@outside.test"));
    assert!(
        first
            .delivered_to()
            .iter()
            .any(|d| d == "help@example.test")
            || first.to().next().unwrap().email == "help@example.test"
    );
    assert_eq!(
        added[2].references(),
        ["order0@outside.test", "order1@outside.test"]
    );
    assert_eq!(added[2].in_reply_to(), ["order1@outside.test"]);
    assert!(first.modseq.is_some(), "CONDSTORE modseq expected");
    assert!(matches!(events.last(), Some(SyncEvent::Synced(_))));
    state.save_cache(&cache).unwrap();
    let uids = uids_of(state.rows());

    // A teammate (bob) changes a keyword, alice expunges one, two new mails arrive.
    let mut bob = tb.raw_imap("bob");
    bob.cmd_ok("SELECT \"shared/support/INBOX\"");
    bob.cmd_ok(&format!("UID STORE {} +FLAGS ($assigned.bob)", uids[1]));
    let mut alice = tb.raw_imap("alice");
    alice.cmd_ok("SELECT \"shared/support/INBOX\"");
    alice.cmd_ok(&format!("UID STORE {} +FLAGS (\\Deleted)", uids[2]));
    alice.cmd_ok(&format!("UID EXPUNGE {}", uids[2]));
    tb.deliver("help@example.test", &message(5));
    tb.deliver("support@example.test", &message(6));

    // Warm: a new process would start from the cache, then receive only the delta.
    let mut warm = MailboxState::new(key, "shared/support/INBOX");
    let mut cached = Vec::new();
    warm.load_cache(&cache, &mut |e| cached.push(e));
    assert!(
        matches!(&cached[..], [SyncEvent::Cached(rows)] if rows.len() == 5),
        "{cached:?}"
    );
    let mut conn = connect("support", &cfg);
    let events = run_sync(&mut conn, &cfg, &mut warm);
    let changed: Vec<_> = events
        .iter()
        .filter_map(|e| {
            if let SyncEvent::Changed(c) = e {
                Some(c.clone())
            } else {
                None
            }
        })
        .flatten()
        .collect();
    assert_eq!(changed.len(), 1, "{events:?}");
    assert_eq!(changed[0].uid, uids[1]);
    assert_eq!(changed[0].keywords, ["$assigned.bob"]);
    assert!(
        events.contains(&SyncEvent::Vanished(vec![uids[2]])),
        "{events:?}"
    );
    let added: usize = events
        .iter()
        .map(|e| {
            if let SyncEvent::Added(r) = e {
                r.len()
            } else {
                0
            }
        })
        .sum();
    assert_eq!(added, 2, "{events:?}");
    let rows = warm.rows();
    assert_eq!(rows.len(), 6);
    let mut sorted = uids_of(rows);
    sorted.dedup();
    assert_eq!(sorted.len(), 6, "no duplicate rows");

    // Nothing changed: a second delta is empty.
    let events = run_sync(&mut conn, &cfg, &mut warm);
    assert!(matches!(&events[..], [SyncEvent::Synced(_)]), "{events:?}");
}

#[test]
fn uidvalidity_change_rebuilds() {
    let tb = Testbed::start();
    let mut alice = tb.raw_imap("alice");
    alice.cmd_ok("CREATE Queue");
    alice.append("Queue", "", &message(1));
    let cfg = imap_config(&tb, "alice", "Queue");
    let key = MailboxState::key_for("support", &server(&cfg), "alice", "Queue");
    let mut state = MailboxState::new(key, "Queue");
    let mut conn = connect("support", &cfg);
    run_sync(&mut conn, &cfg, &mut state);
    assert_eq!(state.rows().len(), 1);
    let before = state.uid_validity();
    drop(conn);

    alice.cmd_ok("DELETE Queue");
    alice.cmd_ok("CREATE Queue");
    alice.append("Queue", "", &message(2));
    alice.append("Queue", "", &message(3));
    let mut conn = connect("support", &cfg);
    let events = run_sync(&mut conn, &cfg, &mut state);
    assert!(
        state.uid_validity() != before,
        "Dovecot gave the same UIDVALIDITY"
    );
    assert!(matches!(&events[0], SyncEvent::Reset { .. }), "{events:?}");
    assert_eq!(state.rows().len(), 2);
    assert!(
        state
            .rows()
            .iter()
            .all(|r| r.subject().contains("order 2") || r.subject().contains("order 3"))
    );
}

#[test]
fn corrupt_cache_is_discarded_with_a_warning() {
    let tb = Testbed::start();
    tb.deliver("help@example.test", &message(0));
    let cfg = imap_config(&tb, "alice", "shared/support/INBOX");
    let dir = tempfile::tempdir().unwrap();
    let cache = HeaderCache::new(dir.path().to_path_buf());
    let key = MailboxState::key_for("support", &server(&cfg), "alice", "shared/support/INBOX");
    let mut state = MailboxState::new(key.clone(), "shared/support/INBOX");
    let mut conn = connect("support", &cfg);
    run_sync(&mut conn, &cfg, &mut state);
    state.save_cache(&cache).unwrap();
    let path = cache.path_for(&key);
    let mut bytes = std::fs::read(&path).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    bytes.truncate(bytes.len() - 3);
    std::fs::write(&path, bytes).unwrap();

    let mut fresh = MailboxState::new(key, "shared/support/INBOX");
    let mut events = Vec::new();
    fresh.load_cache(&cache, &mut |e| events.push(e));
    assert!(
        matches!(&events[..], [SyncEvent::Warning(w)] if w.contains("cache")),
        "{events:?}"
    );
    let events = run_sync(&mut conn, &cfg, &mut fresh);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, SyncEvent::Added(r) if r.len() == 1))
    );
}

#[test]
fn conditional_store_reports_a_lost_race_and_replaces_atomically() {
    let tb = Testbed::start();
    tb.deliver("help@example.test", &message(0));
    let cfg = imap_config(&tb, "alice", "shared/support/INBOX");
    let key = MailboxState::key_for("support", &server(&cfg), "alice", "shared/support/INBOX");
    let mut state = MailboxState::new(key, "shared/support/INBOX");
    let mut conn = connect("support", &cfg);
    run_sync(&mut conn, &cfg, &mut state);
    let row = state.rows()[0].clone();
    let modseq = row.modseq.expect("modseq");

    // bob claims first.
    let mut bob = tb.raw_imap("bob");
    bob.cmd_ok("SELECT \"shared/support/INBOX\"");
    bob.cmd_ok(&format!("UID STORE {} +FLAGS ($assigned.bob)", row.uid));

    let claim = FlagChange {
        add_keywords: vec!["$assigned.alice".into()],
        ..FlagChange::default()
    };
    let outcome = mailroom::imap::actions::store(&mut conn, row.uid, &claim, Some(modseq)).unwrap();
    assert_eq!(outcome, StoreOutcome::Modified);

    // Re-read, then hand over from bob to alice in one atomic replacement.
    run_sync(&mut conn, &cfg, &mut state);
    let row = state.rows()[0].clone();
    let handover = FlagChange {
        add_keywords: vec!["$assigned.alice".into()],
        remove_keywords: vec!["$assigned.bob".into()],
        add_flags: Flags {
            flagged: true,
            ..Flags::default()
        },
        ..FlagChange::default()
    };
    let outcome =
        mailroom::imap::actions::store(&mut conn, row.uid, &handover, row.modseq).unwrap();
    assert!(
        matches!(outcome, StoreOutcome::Stored { modseq: Some(_) }),
        "{outcome:?}"
    );
    let fetched = bob.cmd_ok(&format!("UID FETCH {} (FLAGS)", row.uid));
    let fetched = fetched
        .lines()
        .find(|l| l.contains("FETCH (UID"))
        .unwrap_or_default()
        .to_string();
    assert!(
        fetched.contains("$assigned.alice")
            && !fetched.contains("$assigned.bob")
            && fetched.contains("\\Flagged"),
        "{fetched}"
    );

    // A keyword that is not an atom never reaches the wire.
    let bad = FlagChange {
        add_keywords: vec!["x) A1 LOGOUT".into()],
        ..FlagChange::default()
    };
    assert!(mailroom::imap::actions::store(&mut conn, row.uid, &bad, None).is_err());
    // Stale modseq after our own change: Modified again.
    let again = mailroom::imap::actions::store(&mut conn, row.uid, &claim, row.modseq).unwrap();
    assert_eq!(again, StoreOutcome::Modified);
}

#[test]
fn worker_sees_a_teammates_keyword_within_two_seconds_via_idle() {
    use mailroom::engine::worker::{AccountWorker, ConnState, WorkerEvent};
    use mailroom::store::bodies::BodyCache;
    let tb = Testbed::start();
    tb.deliver("help@example.test", &message(0));
    let cfg = imap_config(&tb, "alice", "shared/support/INBOX");
    let dir = tempfile::tempdir().unwrap();
    let mut account: mailroom::config::Account =
        toml::from_str("name = \"support\"\naddress = \"support@example.test\"\nsend = \"none\"\n")
            .unwrap();
    account.imap = Some(cfg);
    let (tx, rx) = channel();
    let worker = AccountWorker::spawn(
        &account,
        HeaderCache::new(dir.path().join("h")),
        BodyCache::new(dir.path().join("b"), 1 << 20),
        Box::new(move |e| {
            let _ = tx.send(e);
        }),
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut uid = None;
    let mut idle = false;
    while Instant::now() < deadline && !(uid.is_some() && idle) {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(WorkerEvent::Sync(SyncEvent::Added(rows))) => uid = rows.first().map(|r| r.uid),
            Ok(WorkerEvent::State(ConnState::Online { idle: i })) => idle = i,
            _ => {}
        }
    }
    let uid = uid.expect("initial sync");
    assert!(idle, "IDLE expected on Dovecot");
    // Give the watcher a moment to enter IDLE, then change the message from another session.
    std::thread::sleep(Duration::from_millis(300));
    let mut bob = tb.raw_imap("bob");
    bob.cmd_ok("SELECT \"shared/support/INBOX\"");
    let changed_at = Instant::now();
    bob.cmd_ok(&format!("UID STORE {uid} +FLAGS ($replying.bob)"));
    let mut seen = None;
    while changed_at.elapsed() < Duration::from_secs(5) {
        if let Ok(WorkerEvent::Sync(SyncEvent::Changed(c))) =
            rx.recv_timeout(Duration::from_millis(100))
            && c.iter()
                .any(|u| u.uid == uid && u.keywords.iter().any(|k| k == "$replying.bob"))
        {
            seen = Some(changed_at.elapsed());
            break;
        }
    }
    let took = seen.expect("the keyword never arrived");
    assert!(took < Duration::from_secs(2), "took {took:?}");

    // Bodies come through the worker without setting \Seen.
    worker.send(mailroom::engine::worker::WorkerCommand::FetchBody { uid });
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut body = None;
    while Instant::now() < deadline && body.is_none() {
        if let Ok(WorkerEvent::Body { result, .. }) = rx.recv_timeout(Duration::from_millis(100)) {
            body = Some(result.unwrap());
        }
    }
    assert!(String::from_utf8_lossy(&body.unwrap()).contains("Hello 0"));
    let flags = bob.cmd_ok(&format!("UID FETCH {uid} (FLAGS)"));
    assert!(!flags.contains("\\Seen"), "{flags}");
    worker.shutdown();
}

#[test]
fn secret_is_not_in_debug_output() {
    let s = Secret::new("hunter2");
    assert!(!format!("{s:?}").contains("hunter2"));
}

fn spawn_worker(
    tb: &Testbed,
    cfg: Imap,
    dir: &std::path::Path,
) -> (
    mailroom::engine::worker::AccountWorker,
    std::sync::mpsc::Receiver<mailroom::engine::worker::WorkerEvent>,
) {
    use mailroom::store::bodies::BodyCache;
    let _ = tb;
    let mut account: mailroom::config::Account =
        toml::from_str("name = \"support\"\naddress = \"support@example.test\"\nsend = \"none\"\n")
            .unwrap();
    account.imap = Some(cfg);
    let (tx, rx) = channel();
    let worker = mailroom::engine::worker::AccountWorker::spawn(
        &account,
        HeaderCache::new(dir.join("h")),
        BodyCache::new(dir.join("b"), 1 << 20),
        Box::new(move |e| {
            let _ = tx.send(e);
        }),
    )
    .unwrap();
    (worker, rx)
}

/// Applies worker events to a row list the way a UI would, and returns when `until` holds.
fn follow(
    rx: &std::sync::mpsc::Receiver<mailroom::engine::worker::WorkerEvent>,
    rows: &mut Vec<u32>,
    states: &mut Vec<mailroom::engine::worker::ConnState>,
    timeout: Duration,
    until: impl Fn(&[u32], &[mailroom::engine::worker::ConnState]) -> bool,
) -> bool {
    use mailroom::engine::worker::WorkerEvent;
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        match rx.recv_timeout(Duration::from_millis(50)) {
            Ok(WorkerEvent::Sync(SyncEvent::Cached(r)))
            | Ok(WorkerEvent::Sync(SyncEvent::Added(r))) => rows.extend(r.iter().map(|x| x.uid)),
            Ok(WorkerEvent::Sync(SyncEvent::Vanished(v))) => rows.retain(|u| !v.contains(u)),
            Ok(WorkerEvent::Sync(SyncEvent::Reset { .. })) => rows.clear(),
            Ok(WorkerEvent::State(s)) => states.push(s),
            _ => {}
        }
        if until(rows, states) {
            return true;
        }
    }
    false
}

#[test]
fn dovecot_restart_mid_session_reconnects_and_resyncs_without_duplicates() {
    use mailroom::engine::worker::ConnState;
    let tb = Testbed::start();
    for i in 0..3 {
        tb.deliver("help@example.test", &message(i));
    }
    let dir = tempfile::tempdir().unwrap();
    let (worker, rx) = spawn_worker(
        &tb,
        imap_config(&tb, "alice", "shared/support/INBOX"),
        dir.path(),
    );
    let mut rows = Vec::new();
    let mut states = Vec::new();
    assert!(
        follow(
            &rx,
            &mut rows,
            &mut states,
            Duration::from_secs(10),
            |r, s| r.len() == 3 && s.iter().any(|x| matches!(x, ConnState::Online { .. }))
        ),
        "initial sync: {rows:?} {states:?}"
    );

    tb.stop_imap();
    assert!(
        follow(
            &rx,
            &mut rows,
            &mut states,
            Duration::from_secs(10),
            |_, s| s.iter().any(|x| matches!(x, ConnState::Offline { .. }))
        ),
        "the worker never noticed: {states:?}"
    );
    // Mail arrives while mailroom is offline (Postfix queues it until Dovecot is back).
    tb.start_imap();
    tb.deliver("help@example.test", &message(3));
    states.clear();
    assert!(
        follow(
            &rx,
            &mut rows,
            &mut states,
            Duration::from_secs(30),
            |r, s| r.len() == 4 && s.iter().any(|x| matches!(x, ConnState::Online { .. }))
        ),
        "no resync after restart: {rows:?} {states:?}"
    );
    let mut unique = rows.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), rows.len(), "duplicate rows: {rows:?}");

    // Live again: a teammate's new mail arrives through the new IDLE connection.
    std::thread::sleep(Duration::from_millis(300));
    tb.deliver("help@example.test", &message(4));
    assert!(
        follow(
            &rx,
            &mut rows,
            &mut states,
            Duration::from_secs(5),
            |r, _| r.len() == 5
        ),
        "IDLE after reconnect: {rows:?}"
    );
    worker.shutdown();
}

#[test]
fn actions_while_offline_are_replayed_after_reconnect() {
    use mailroom::engine::worker::{ConnState, WorkerCommand, WorkerEvent};
    let tb = Testbed::start();
    tb.deliver("help@example.test", &message(0));
    let dir = tempfile::tempdir().unwrap();
    let (worker, rx) = spawn_worker(
        &tb,
        imap_config(&tb, "alice", "shared/support/INBOX"),
        dir.path(),
    );
    let mut rows = Vec::new();
    let mut states = Vec::new();
    assert!(follow(
        &rx,
        &mut rows,
        &mut states,
        Duration::from_secs(10),
        |r, _| r.len() == 1
    ));
    let uid = rows[0];
    tb.stop_imap();
    assert!(follow(
        &rx,
        &mut rows,
        &mut states,
        Duration::from_secs(10),
        |_, s| s.iter().any(|x| matches!(x, ConnState::Offline { .. }))
    ));
    worker.send(WorkerCommand::Store {
        id: 7,
        uid,
        change: FlagChange {
            add_keywords: vec!["$pending".into()],
            ..FlagChange::default()
        },
        unchanged_since: None,
    });
    tb.start_imap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut done = None;
    while Instant::now() < deadline && done.is_none() {
        if let Ok(WorkerEvent::ActionDone { id: 7, result, .. }) =
            rx.recv_timeout(Duration::from_millis(100))
        {
            done = Some(result);
        }
    }
    assert!(
        matches!(done, Some(Ok(StoreOutcome::Stored { .. }))),
        "{done:?}"
    );
    let mut bob = tb.raw_imap("bob");
    bob.cmd_ok("SELECT \"shared/support/INBOX\"");
    let fetched = bob.cmd_ok(&format!("UID FETCH {uid} (FLAGS)"));
    assert!(
        fetched
            .lines()
            .any(|l| l.contains("FETCH (UID") && l.contains("$pending")),
        "{fetched}"
    );
    worker.shutdown();
}

#[test]
fn xoauth2_opens_a_shared_mailbox_with_the_agents_token() {
    let tb = Testbed::start();
    tb.deliver("help@example.test", &message(0));
    let text = format!(
        "host = \"127.0.0.1\"\nport = {}\nca_file = \"{}\"\nlogin = \"alice\"\nauth = \"xoauth2\"\nuser = \"support\"\ntoken_command = {:?}\nmailbox = \"INBOX\"\n",
        tb.imaps_port,
        tb.ca_file.display(),
        tb.oauth_token_command("alice")
    );
    let cfg: Imap = toml::from_str(&text).unwrap();
    let mut conn = connect("support", &cfg);
    let key = MailboxState::key_for("support", &server(&cfg), "alice", "INBOX");
    let mut state = MailboxState::new(key, "INBOX");
    run_sync(&mut conn, &cfg, &mut state);
    assert_eq!(
        state.rows().len(),
        1,
        "support's INBOX through alice's token"
    );

    // carol's token may not open support.
    let bad: Imap = toml::from_str(&text.replace("\"alice\"", "\"carol\"").replace(
        &tb.oauth_token_command("alice"),
        &tb.oauth_token_command("carol"),
    ))
    .unwrap();
    let err = open_session(&Target {
        account: "support",
        config: &bad,
    })
    .err()
    .expect("refused");
    assert!(err.to_string().contains("login refused"), "{err}");
}

#[test]
fn ten_thousand_messages_sync_in_batches_and_warm_start_from_cache() {
    let tb = Testbed::start();
    tb.fill("support", "INBOX", 10_000, 7);
    let cfg = imap_config(&tb, "alice", "shared/support/INBOX");
    let dir = tempfile::tempdir().unwrap();
    let cache = HeaderCache::new(dir.path().to_path_buf());
    let key = MailboxState::key_for("support", &server(&cfg), "alice", "shared/support/INBOX");
    let mut state = MailboxState::new(key.clone(), "shared/support/INBOX");
    let mut conn = connect("support", &cfg);
    let mut batches = 0;
    let mut total = 0;
    sync(&mut conn, "support", &server(&cfg), &mut state, &mut |e| {
        if let SyncEvent::Added(r) = e {
            batches += 1;
            total += r.len();
        }
    })
    .unwrap();
    assert_eq!(total, 10_000);
    assert!(batches >= 5, "rows must stream in batches, got {batches}");
    let mut uids = uids_of(state.rows());
    uids.dedup();
    assert_eq!(uids.len(), 10_000);
    state.save_cache(&cache).unwrap();

    let mut warm = MailboxState::new(key, "shared/support/INBOX");
    let mut cached = 0;
    warm.load_cache(&cache, &mut |e| {
        if let SyncEvent::Cached(r) = e {
            cached = r.len();
        }
    });
    assert_eq!(cached, 10_000);
    let events = run_sync(&mut conn, &cfg, &mut warm);
    assert!(
        matches!(&events[..], [SyncEvent::Synced(_)]),
        "warm delta should be empty: {} events",
        events.len()
    );
}

#[test]
fn backend_moves_and_appends_with_flags_and_internaldate() {
    use mailroom::backend::Backend;
    use mailroom::imap::backend::ImapBackend;
    let tb = Testbed::start();
    tb.deliver("help@example.test", &message(0));
    let cfg = imap_config(&tb, "alice", "shared/support/INBOX");
    let mut b = ImapBackend::connect("support", &cfg).unwrap();
    let status = b.status("shared/support/INBOX").unwrap();
    assert_eq!(status.exists, 1);
    assert!(status.keywords_permanent());
    let when = 1_795_000_000;
    let uid = b
        .append(
            "shared/support/Sent",
            &message(9),
            Flags {
                seen: true,
                ..Flags::default()
            },
            &["$done".to_string()],
            Some(when),
        )
        .unwrap();
    assert!(uid.is_some(), "UIDPLUS gives the new UID");
    let mut sent = Vec::new();
    b.summaries("shared/support/Sent", 1, &mut |r| sent.extend(r))
        .unwrap();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].internal_date, when);
    assert!(sent[0].flags.seen && sent[0].keywords == ["$done"]);
    assert!(
        b.append(
            "shared/support/Sent",
            b"x",
            Flags::default(),
            &["bad kw".into()],
            None
        )
        .is_err()
    );

    let mut inbox = Vec::new();
    b.summaries("shared/support/INBOX", 1, &mut |r| inbox.extend(r))
        .unwrap();
    b.move_to(
        "shared/support/INBOX",
        inbox[0].uid,
        "shared/support/Drafts",
    )
    .unwrap();
    assert_eq!(b.status("shared/support/INBOX").unwrap().exists, 0);
    assert_eq!(b.status("shared/support/Drafts").unwrap().exists, 1);
    let rights = b.rights("shared/support/INBOX").unwrap();
    assert_eq!(rights.to_string(), "lrswipkxtea");
}

#[test]
fn show_prints_sanitized_text_and_never_sets_seen() {
    let tb = Testbed::start();
    tb.deliver(
        "help@example.test",
        b"From: Eve <eve@outside.test>\r\nTo: help@example.test\r\nSubject: \x1b]0;pwned\x07 hello\r\nMessage-ID: <e1@outside.test>\r\n\r\nbody \x1b[2J text\r\n",
    );
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("c.toml");
    std::fs::write(
        &config,
        format!(
            "[agent]\nid = \"alice\"\nname = \"A\"\nemail = \"alice@example.test\"\n[[account]]\nname = \"support\"\naddress = \"support@example.test\"\nsend = \"none\"\n[account.imap]\nhost = \"127.0.0.1\"\nport = {}\nca_file = \"{}\"\nlogin = \"alice\"\npassword_command = \"echo alice-pw\"\nmailbox = \"shared/support/INBOX\"\n",
            tb.imaps_port,
            tb.ca_file.display()
        ),
    )
    .unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_mailroom"))
            .args(["--config", config.to_str().unwrap()])
            .args(args)
            .env("XDG_CACHE_HOME", dir.path().join("cache"))
            .output()
            .unwrap()
    };
    let list = run(&["list", "support", "--json"]);
    assert!(
        list.status.success(),
        "{}",
        String::from_utf8_lossy(&list.stderr)
    );
    let rows: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    let uid = rows[0]["uid"].as_u64().unwrap().to_string();
    let shown = run(&["show", "support", &uid]);
    let text = String::from_utf8_lossy(&shown.stdout);
    assert!(shown.status.success());
    assert!(
        text.contains("From:    Eve <eve@outside.test>") && text.contains("^[]0;pwned^G hello"),
        "{text}"
    );
    assert!(
        text.contains("body ^[[2J text") && !text.contains('\x1b'),
        "{text}"
    );
    let raw = run(&["show", "support", &uid, "--raw"]);
    assert!(
        raw.stdout.windows(4).any(|w| w == b"\x1b[2J"),
        "piped --raw is exact"
    );
    let mut bob = tb.raw_imap("bob");
    bob.cmd_ok("SELECT \"shared/support/INBOX\"");
    let flags = bob.cmd_ok(&format!("UID FETCH {uid} (FLAGS)"));
    assert!(
        !flags
            .lines()
            .any(|l| l.contains("FETCH (UID") && l.contains("\\Seen")),
        "{flags}"
    );
    // Offline list from the cache, no server needed.
    tb.stop_imap();
    let offline = run(&["list", "support", "--offline"]);
    assert!(offline.status.success());
    assert!(String::from_utf8_lossy(&offline.stdout).contains("hello"));
}
