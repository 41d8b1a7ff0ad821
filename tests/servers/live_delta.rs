//! Live updates (issue 15): a teammate's change reaches the caller first, naming only the rows
//! it changed, and the header cache is written after, once for a burst of changes, never lost
//! at shutdown. Against a real Dovecot: the worker idles on the shared mailbox while another
//! session of the test bed stores keywords.

use crate::support;

use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use mailroom::config::Imap;
use mailroom::engine::worker::{AccountWorker, ConnState, SAVE_QUIET, WorkerCommand, WorkerEvent};
use mailroom::imap::sync::{MailboxState, SyncEvent};
use mailroom::message::Summary;
use mailroom::net::Server;
use mailroom::store::bodies::BodyCache;
use mailroom::store::cache::{CacheKey, HeaderCache};
use support::proxy::FaultProxy;
use support::testbed::{RawImap, Testbed};

const MAILBOX: &str = "shared/support/INBOX";

fn imap_config(tb: &Testbed) -> Imap {
    let text = format!(
        "host = \"127.0.0.1\"\nport = {}\ntls = \"implicit\"\nca_file = \"{}\"\nlogin = \"alice\"\npassword = \"{}\"\nmailbox = \"{MAILBOX}\"\n",
        tb.imaps_port,
        tb.ca_file.display(),
        Testbed::password("alice")
    );
    toml::from_str(&text).expect("imap table")
}

fn key(cfg: &Imap) -> CacheKey {
    let server = Server {
        host: cfg.host.clone(),
        port: cfg.port(),
    };
    MailboxState::key_for("support", &server, &cfg.login, MAILBOX)
}

/// What the caller saw: each worker event, with the rows the header cache on disk held at
/// that very moment (read on the worker's thread, before the event is passed on).
struct Seen {
    event: WorkerEvent,
    cache: Option<Vec<Summary>>,
    at: Instant,
}

fn spawn(cfg: Imap, dir: &std::path::Path) -> (AccountWorker, Receiver<Seen>) {
    let mut account: mailroom::config::Account =
        toml::from_str("name = \"support\"\naddress = \"support@example.test\"\nsend = \"none\"\n")
            .expect("account");
    let key = key(&cfg);
    account.imap = Some(cfg);
    let headers = HeaderCache::new(dir.join("h"));
    let on_disk = headers.clone();
    let (tx, rx) = channel();
    let worker = AccountWorker::spawn(
        &account,
        headers,
        BodyCache::new(dir.join("b"), 1 << 20),
        Box::new(move |event| {
            let cache = matches!(event, WorkerEvent::Sync(SyncEvent::Changed(_)))
                .then(|| cached_rows(&on_disk, &key))
                .flatten();
            let at = Instant::now();
            let _ = tx.send(Seen { event, cache, at });
        }),
    )
    .expect("worker");
    (worker, rx)
}

fn cached_rows(cache: &HeaderCache, key: &CacheKey) -> Option<Vec<Summary>> {
    cache.load(key).expect("a readable cache").map(|m| m.rows)
}

fn has_keyword(rows: &[Summary], uid: u32, keyword: &str) -> bool {
    rows.iter()
        .find(|r| r.uid == uid)
        .is_some_and(|r| r.keywords.iter().any(|k| k == keyword))
}

/// Every event up to the worker's first `Online`.
fn until_online(rx: &Receiver<Seen>) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        match rx.recv_timeout(Duration::from_millis(100)).map(|s| s.event) {
            Ok(WorkerEvent::State(ConnState::Online { idle })) => {
                assert!(idle, "the test bed's Dovecot has IDLE");
                return;
            }
            Ok(WorkerEvent::State(ConnState::Offline { error, .. })) => panic!("offline: {error}"),
            _ => {}
        }
    }
    panic!("never online");
}

/// The events up to the sync that shows `uid` with `keyword` (the `Changed` naming it and
/// what the cache held then), and every sync event before it.
fn until_changed(rx: &Receiver<Seen>, uid: u32, keyword: &str) -> (Vec<SyncEvent>, Seen) {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut before = Vec::new();
    while Instant::now() < deadline {
        let Ok(seen) = rx.recv_timeout(Duration::from_millis(100)) else {
            continue;
        };
        match &seen.event {
            WorkerEvent::Sync(SyncEvent::Changed(updates))
                if updates
                    .iter()
                    .any(|u| u.uid == uid && u.keywords.iter().any(|k| k == keyword)) =>
            {
                return (before, seen);
            }
            WorkerEvent::Sync(e) => before.push(e.clone()),
            WorkerEvent::State(ConnState::Offline { error, .. }) => panic!("offline: {error}"),
            _ => {}
        }
    }
    panic!("no change of UID {uid} to {keyword} within 20 s; saw {before:#?}");
}

fn store(other: &mut RawImap, uid: u32, keyword: &str) {
    other.cmd_ok(&format!("UID STORE {uid} +FLAGS.SILENT ({keyword})"));
}

#[test]
fn a_teammates_keywords_reach_the_caller_first_naming_only_their_rows_and_the_cache_after_once() {
    let tb = Testbed::start();
    tb.fill("support", "INBOX", 300, 15);
    let cfg = imap_config(&tb);
    let dir = tempfile::tempdir().expect("tempdir");
    let on_disk = HeaderCache::new(dir.path().join("h"));
    let key = key(&cfg);

    let (worker, rx) = spawn(cfg, dir.path());
    until_online(&rx);
    // The first sync's rows land in the cache (when the worker has nothing else to do).
    let deadline = Instant::now() + SAVE_QUIET + Duration::from_secs(10);
    let rows = loop {
        if let Some(rows) = cached_rows(&on_disk, &key)
            && rows.len() == 300
        {
            break rows;
        }
        assert!(Instant::now() < deadline, "the first sync was never cached");
        std::thread::sleep(Duration::from_millis(20));
    };
    let uids: Vec<u32> = rows.iter().map(|r| r.uid).collect();
    let (a, b, c) = (uids[10], uids[150], uids[299]);
    assert!(!has_keyword(&rows, a, "$live.one"));

    let mut other = tb.raw_imap("alice");
    other.cmd_ok(&format!("SELECT \"{MAILBOX}\""));

    // One keyword on one row: the caller hears of that row, and only of it — no rows fetched
    // again, nothing reset, nothing removed — while the cache on disk is still the old one.
    store(&mut other, a, "$live.one");
    let (before, first) = until_changed(&rx, a, "$live.one");
    let WorkerEvent::Sync(SyncEvent::Changed(updates)) = &first.event else {
        unreachable!()
    };
    assert_eq!(
        updates.iter().map(|u| u.uid).collect::<Vec<_>>(),
        [a],
        "the change names its row only"
    );
    assert!(
        before.iter().all(|e| matches!(e, SyncEvent::Synced(_))),
        "nothing but the change itself: {before:#?}"
    );
    let cache = first.cache.expect("the cache is there");
    assert!(!has_keyword(&cache, a, "$live.one"));

    // A second change soon after: it reaches the caller before the cache was rewritten for
    // the first (the write waits for the burst to end, off the path to the screen).
    store(&mut other, b, "$live.two");
    let (before, second) = until_changed(&rx, b, "$live.two");
    assert!(
        before.iter().all(|e| matches!(e, SyncEvent::Synced(_))),
        "nothing but the change itself: {before:#?}"
    );
    let cache = second.cache.expect("the cache is there");
    // (Unless the server took longer than the quiet spell to announce the second: then the
    // write was due in between.)
    if second.at.duration_since(first.at) < SAVE_QUIET {
        assert!(
            !has_keyword(&cache, a, "$live.one"),
            "the cache was rewritten between two changes of one burst"
        );
    }

    // Once the mailbox is quiet, both are in the cache.
    let deadline = Instant::now() + SAVE_QUIET + Duration::from_secs(10);
    loop {
        let rows = cached_rows(&on_disk, &key).expect("the cache is there");
        if has_keyword(&rows, a, "$live.one") && has_keyword(&rows, b, "$live.two") {
            assert_eq!(rows.len(), uids.len());
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the burst never reached the cache"
        );
        std::thread::sleep(Duration::from_millis(20));
    }

    // A change just before quitting is not lost: the worker writes it on the way out.
    store(&mut other, c, "$live.three");
    until_changed(&rx, c, "$live.three");
    worker.shutdown();
    let rows = cached_rows(&on_disk, &key).expect("the cache is there");
    assert!(
        has_keyword(&rows, c, "$live.three"),
        "the last change was lost"
    );
    assert!(has_keyword(&rows, b, "$live.two"));
    assert_eq!(rows.len(), uids.len());
}

/// What the worker's connections sent after `marks` (what each had sent before), one
/// command line each.
fn sent_since(proxy: &FaultProxy, marks: &[usize]) -> Vec<String> {
    proxy
        .sent()
        .iter()
        .enumerate()
        .flat_map(|(i, text)| {
            let from = marks.get(i).copied().unwrap_or(0);
            text[from..].lines().map(str::to_string).collect::<Vec<_>>()
        })
        .collect()
}

fn marks(proxy: &FaultProxy) -> Vec<usize> {
    proxy.sent().iter().map(String::len).collect()
}

/// The sync events up to the next `Synced`.
fn until_synced(rx: &Receiver<Seen>) -> (Vec<SyncEvent>, u32) {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        match rx.recv_timeout(Duration::from_millis(100)).map(|s| s.event) {
            Ok(WorkerEvent::Sync(SyncEvent::Synced(status))) => return (seen, status.exists),
            Ok(WorkerEvent::Sync(e)) => seen.push(e),
            Ok(WorkerEvent::State(ConnState::Offline { error, .. })) => panic!("offline: {error}"),
            _ => {}
        }
    }
    panic!("no sync within 20 s; saw {seen:#?}");
}

/// A change announced on the mailbox the worker's connection still has selected is read
/// without opening the mailbox again (a SELECT of a 100,000-message Maildir costs Dovecot
/// half a second): a keyword, new mail and an expunge by another client each come as an
/// event naming exactly their rows, the count stays right, and no command of the worker
/// selects or reads the flags of the whole mailbox. A refresh still opens it afresh.
#[test]
fn a_teammates_change_is_read_without_opening_the_mailbox_again_and_names_only_its_rows() {
    let tb = Testbed::start();
    tb.fill("support", "INBOX", 300, 16);
    // In front of the plain port, so the commands can be read.
    let proxy = FaultProxy::start(tb.imap_plain_port);
    let mut cfg = imap_config(&tb);
    cfg.port = Some(proxy.port());
    cfg.tls = mailroom::config::Tls::None;
    let dir = tempfile::tempdir().expect("tempdir");
    let (worker, rx) = spawn(cfg, dir.path());
    until_online(&rx);
    let mut other = tb.raw_imap("alice");
    other.cmd_ok(&format!("SELECT \"{MAILBOX}\""));
    let listing = other.cmd_ok("UID SEARCH ALL");
    let uids: Vec<u32> = listing
        .lines()
        .find(|l| l.starts_with("* SEARCH"))
        .map(|l| {
            l.split_whitespace()
                .skip(2)
                .filter_map(|u| u.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(uids.len(), 300);
    let before = marks(&proxy);

    // A keyword.
    store(&mut other, uids[42], "$live.one");
    let (events, changed) = until_changed(&rx, uids[42], "$live.one");
    assert!(
        events.iter().all(|e| matches!(e, SyncEvent::Synced(_))),
        "{events:#?}"
    );
    let WorkerEvent::Sync(SyncEvent::Changed(updates)) = &changed.event else {
        unreachable!()
    };
    assert_eq!(
        updates.iter().map(|u| u.uid).collect::<Vec<_>>(),
        [uids[42]]
    );
    let (events, exists) = until_synced(&rx);
    assert!(events.is_empty(), "{events:#?}");
    assert_eq!(exists, 300);

    // New mail: that one row, and the count.
    other.append(
        MAILBOX,
        "",
        b"From: x@outside.test\r\nSubject: new\r\nMessage-ID: <new@outside.test>\r\n\r\nhi\r\n",
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    let added = loop {
        assert!(Instant::now() < deadline, "the new message never came");
        match rx.recv_timeout(Duration::from_millis(100)).map(|s| s.event) {
            Ok(WorkerEvent::Sync(SyncEvent::Added(rows))) => break rows,
            Ok(WorkerEvent::Sync(e @ (SyncEvent::Reset { .. } | SyncEvent::Cached(_)))) => {
                panic!("{e:?}")
            }
            _ => {}
        }
    };
    assert_eq!(added.len(), 1, "only the new row");
    let new_uid = added[0].uid;
    assert!(new_uid > uids[299]);
    let (events, exists) = until_synced(&rx);
    assert!(events.is_empty(), "{events:#?}");
    assert_eq!(exists, 301);

    // An expunge: that UID, and the count.
    other.cmd_ok(&format!("UID STORE {} +FLAGS.SILENT (\\Deleted)", uids[7]));
    other.cmd_ok(&format!("UID EXPUNGE {}", uids[7]));
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        assert!(Instant::now() < deadline, "the expunge never came");
        match rx.recv_timeout(Duration::from_millis(100)).map(|s| s.event) {
            Ok(WorkerEvent::Sync(SyncEvent::Vanished(gone))) => {
                assert_eq!(gone, [uids[7]]);
                break;
            }
            Ok(WorkerEvent::Sync(SyncEvent::Changed(u))) => {
                // The \Deleted flag may show before the message goes.
                assert_eq!(u.iter().map(|u| u.uid).collect::<Vec<_>>(), [uids[7]]);
            }
            Ok(WorkerEvent::Sync(e @ (SyncEvent::Reset { .. } | SyncEvent::Added(_)))) => {
                panic!("{e:?}")
            }
            _ => {}
        }
    }
    let (_, exists) = until_synced(&rx);
    assert_eq!(exists, 300);

    // Not one of these syncs opened the mailbox or read every row's flags.
    let commands = sent_since(&proxy, &before);
    let upper = |l: &String| l.to_ascii_uppercase();
    assert!(
        !commands
            .iter()
            .map(upper)
            .any(|l| l.contains(" SELECT ") || l.contains(" EXAMINE ")),
        "{commands:#?}"
    );
    assert!(
        commands
            .iter()
            .map(upper)
            .filter(|l| l.contains("FETCH 1:"))
            .all(|l| l.contains("CHANGEDSINCE")),
        "{commands:#?}"
    );
    assert!(
        commands
            .iter()
            .map(upper)
            .any(|l| l.contains("CHANGEDSINCE")),
        "{commands:#?}"
    );

    // A refresh (a key press, the safety resync) opens the mailbox afresh.
    let before = marks(&proxy);
    assert!(worker.send(WorkerCommand::Refresh));
    until_synced(&rx);
    let commands = sent_since(&proxy, &before);
    assert!(
        commands
            .iter()
            .any(|l| l.to_ascii_uppercase().contains(" SELECT ")),
        "{commands:#?}"
    );
    worker.shutdown();
}
