//! A cold open fetches the newest mail first, against a real Dovecot: the first rows handed
//! over are the highest UIDs, the rest streams in newest to oldest, every message arrives
//! exactly once, a sync cut off halfway resumes without a cache that claims too much, and the
//! warm start and the delta after new mail are as before.

use crate::support;

use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use mailroom::config::Imap;
use mailroom::engine::worker::{AccountWorker, ConnState, WorkerEvent};
use mailroom::imap::connect::{ImapConn, Target, open_session};
use mailroom::imap::sync::{FirstBatch, MailboxState, SyncEvent, sync};
use mailroom::net::Server;
use mailroom::store::bodies::BodyCache;
use mailroom::store::cache::HeaderCache;
use support::testbed::Testbed;

const MAILBOX: &str = "shared/support/INBOX";
/// The newest screenful a cold open fetches first when no screen size is given
/// (`imap::sync::FIRST_BATCH`).
const FIRST_BATCH: usize = 200;

fn imap_config(tb: &Testbed) -> Imap {
    let text = format!(
        "host = \"127.0.0.1\"\nport = {}\ntls = \"implicit\"\nca_file = \"{}\"\nlogin = \"alice\"\npassword = \"{}\"\nmailbox = \"{MAILBOX}\"\n",
        tb.imaps_port,
        tb.ca_file.display(),
        Testbed::password("alice")
    );
    toml::from_str(&text).expect("imap table")
}

fn connect(cfg: &Imap) -> ImapConn {
    open_session(&Target {
        account: "support",
        config: cfg,
    })
    .unwrap_or_else(|e| panic!("{e}"))
}

fn server(cfg: &Imap) -> Server {
    Server {
        host: cfg.host.clone(),
        port: cfg.port(),
    }
}

fn spawn_worker(cfg: Imap, dir: &std::path::Path) -> (AccountWorker, Receiver<WorkerEvent>) {
    spawn_sized(cfg, dir, FirstBatch::default())
}

/// A worker fetching `first` of the newest new messages first, as the TUI starts it.
fn spawn_sized(
    cfg: Imap,
    dir: &std::path::Path,
    first: FirstBatch,
) -> (AccountWorker, Receiver<WorkerEvent>) {
    let mut account: mailroom::config::Account =
        toml::from_str("name = \"support\"\naddress = \"support@example.test\"\nsend = \"none\"\n")
            .expect("account");
    account.imap = Some(cfg);
    let (tx, rx) = channel();
    let worker = AccountWorker::spawn_for(
        &account,
        None,
        first,
        HeaderCache::new(dir.join("h")),
        BodyCache::new(dir.join("b"), 1 << 20),
        Box::new(move |e| {
            let _ = tx.send(e);
        }),
    )
    .expect("worker");
    (worker, rx)
}

/// The row batches (`Cached` marked `true`) a worker hands over until it is online.
fn batches_until_online(rx: &Receiver<WorkerEvent>) -> Vec<(bool, Vec<u32>)> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut out = Vec::new();
    while Instant::now() < deadline {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(WorkerEvent::Sync(SyncEvent::Cached(r))) => {
                out.push((true, r.iter().map(|x| x.uid).collect()));
            }
            Ok(WorkerEvent::Sync(SyncEvent::Added(r))) => {
                out.push((false, r.iter().map(|x| x.uid).collect()));
            }
            Ok(WorkerEvent::State(ConnState::Online { .. })) => return out,
            Ok(WorkerEvent::State(ConnState::Offline { error, .. })) => panic!("offline: {error}"),
            _ => {}
        }
    }
    panic!("never online; got {} batches", out.len());
}

/// Every UID once, ascending.
fn every_uid_once(batches: &[(bool, Vec<u32>)]) -> Vec<u32> {
    let mut all: Vec<u32> = batches
        .iter()
        .flat_map(|(_, b)| b.iter().copied())
        .collect();
    let n = all.len();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), n, "a row was handed over twice");
    all
}

#[test]
fn a_cold_open_hands_over_the_newest_rows_first_then_warm_start_and_delta() {
    let tb = Testbed::start();
    tb.fill("support", "INBOX", 3_000, 11);
    let cfg = imap_config(&tb);
    let dir = tempfile::tempdir().expect("tempdir");

    let (worker, rx) = spawn_worker(cfg.clone(), dir.path());
    let cold = batches_until_online(&rx);
    worker.shutdown();
    assert!(cold.iter().all(|(cached, _)| !cached), "no cache yet");
    let all = every_uid_once(&cold);
    assert_eq!(all.len(), 3_000, "the whole mailbox, exactly once");
    // The first batch is the newest screenful: the highest UIDs of the mailbox.
    let first = &cold[0].1;
    assert_eq!(first.len(), FIRST_BATCH);
    assert_eq!(
        first[..],
        all[all.len() - FIRST_BATCH..],
        "first batch is the newest"
    );
    // The rest follows newest to oldest: each batch lies wholly below the one before it.
    for pair in cold.windows(2) {
        let (newer, older) = (&pair[0].1, &pair[1].1);
        assert!(
            older.iter().max() < newer.iter().min(),
            "batches out of order: ..{:?} then ..{:?}",
            newer.first(),
            older.last()
        );
    }

    // Warm: the cache holds the whole mailbox; the server adds nothing.
    let (worker, rx) = spawn_worker(cfg.clone(), dir.path());
    let warm = batches_until_online(&rx);
    assert_eq!(warm.len(), 1, "one cached batch, nothing fetched");
    assert!(warm[0].0);
    assert_eq!(warm[0].1, all);

    // New mail: exactly it arrives, once, above everything known.
    tb.deliver(
        "help@example.test",
        b"From: x@outside.test\r\nSubject: newest\r\nMessage-ID: <newest@outside.test>\r\n\r\nhi\r\n",
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut added = Vec::new();
    while Instant::now() < deadline && added.is_empty() {
        if let Ok(WorkerEvent::Sync(SyncEvent::Added(r))) =
            rx.recv_timeout(Duration::from_millis(100))
        {
            added.extend(r.iter().map(|x| x.uid));
        }
    }
    worker.shutdown();
    assert_eq!(added.len(), 1, "the delta is the new message: {added:?}");
    assert!(added[0] > all[all.len() - 1]);
}

#[test]
fn a_cold_open_sized_to_the_screen_hands_over_exactly_that_screen_first() {
    let tb = Testbed::start();
    tb.fill("support", "INBOX", 3_000, 17);
    let dir = tempfile::tempdir().expect("tempdir");
    // What the TUI asks for at 200×60 with three columns: the rows one column shows.
    let screen = mailroom::ui::layout::list_rows(200, 60, 3, mailroom::config::Layout::Auto);
    assert_eq!(screen, 55);
    let (worker, rx) = spawn_sized(imap_config(&tb), dir.path(), FirstBatch::rows(screen));
    let deadline = Instant::now() + Duration::from_secs(60);
    // The progress reported before the first batch, the first batch, the progress after it.
    let mut progress: Vec<u32> = Vec::new();
    let mut first: Option<Vec<u32>> = None;
    let mut all: Vec<u32> = Vec::new();
    while Instant::now() < deadline {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(WorkerEvent::Sync(SyncEvent::Added(r))) => {
                let uids: Vec<u32> = r.iter().map(|x| x.uid).collect();
                all.extend(&uids);
                first.get_or_insert(uids);
            }
            Ok(WorkerEvent::Sync(SyncEvent::Progress { held, .. })) if progress.len() < 2 => {
                progress.push(held);
            }
            Ok(WorkerEvent::State(ConnState::Online { .. })) => break,
            Ok(WorkerEvent::State(ConnState::Offline { error, .. })) => panic!("offline: {error}"),
            _ => {}
        }
    }
    worker.shutdown();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), 3_000, "the whole mailbox, exactly once");
    let first = first.expect("rows were handed over");
    assert_eq!(first.len(), screen, "the first batch is one screen");
    assert_eq!(first[..], all[all.len() - screen..], "and it is the newest");
    assert_eq!(progress, [0, 55], "the header's progress counts the screen");
}

#[test]
fn a_sync_cut_off_halfway_saves_no_cache_and_resumes_with_only_what_is_missing() {
    let tb = Testbed::start();
    tb.fill("support", "INBOX", 2_500, 5);
    let cfg = imap_config(&tb);
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = HeaderCache::new(dir.path().to_path_buf());
    let key = MailboxState::key_for("support", &server(&cfg), "alice", MAILBOX);
    let mut state = MailboxState::new(key.clone(), MAILBOX);

    // The connection is cut once the first batch is in.
    let mut conn = connect(&cfg);
    let mut first: Vec<u32> = Vec::new();
    let cut = sync(&mut conn, "support", &server(&cfg), &mut state, &mut |e| {
        if let SyncEvent::Added(r) = e
            && first.is_empty()
        {
            first = r.iter().map(|x| x.uid).collect();
            tb.kill_imap_connections();
        }
    });
    assert!(cut.is_err(), "the sync must notice the cut");
    assert!(!first.is_empty());
    state.save_cache(&cache).expect("save");
    let mut cold = MailboxState::new(key.clone(), MAILBOX);
    assert_eq!(cold.load_cache_quietly(&cache), None, "no warning expected");
    assert!(
        cold.rows().is_empty() && cold.uid_validity() == 0,
        "a partial mirror must not be cached"
    );

    // Reconnected: only the missing rows are fetched, and the mirror is whole.
    let mut conn = connect(&cfg);
    let mut again: Vec<u32> = Vec::new();
    sync(&mut conn, "support", &server(&cfg), &mut state, &mut |e| {
        if let SyncEvent::Added(r) = e {
            again.extend(r.iter().map(|x| x.uid));
        }
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let mut both: Vec<u32> = first.iter().chain(&again).copied().collect();
    both.sort_unstable();
    let held: Vec<u32> = state.rows().iter().map(|r| r.uid).collect();
    assert_eq!(both, held, "every row exactly once, across the cut");
    assert_eq!(held.len(), 2_500);
    assert_eq!(first[..], held[held.len() - first.len()..], "newest first");

    state.save_cache(&cache).expect("save");
    let mut warm = MailboxState::new(key, MAILBOX);
    assert_eq!(warm.load_cache_quietly(&cache), None);
    assert_eq!(warm.rows().len(), 2_500);
    let _ = conn.session.logout();
}

#[test]
fn a_message_is_read_and_claimed_while_the_rest_of_the_mailbox_streams_in() {
    use mailroom::engine::worker::WorkerCommand;
    use mailroom::triage::state::Action;
    let tb = Testbed::start();
    tb.fill("support", "INBOX", 6_000, 3);
    let dir = tempfile::tempdir().expect("tempdir");
    let (worker, rx) = spawn_worker(imap_config(&tb), dir.path());
    let deadline = Instant::now() + Duration::from_secs(60);
    // What happened, in order: "rows", "body", "claimed", "synced".
    let mut seen: Vec<&str> = Vec::new();
    let mut rows: Vec<u32> = Vec::new();
    let mut claimed_shown = false;
    let mut newest = None;
    while Instant::now() < deadline {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(WorkerEvent::Sync(SyncEvent::Added(r))) => {
                rows.extend(r.iter().map(|x| x.uid));
                seen.push("rows");
                if newest.is_none() {
                    // The first batch is on screen: read and claim its newest unassigned
                    // message.
                    let uid = r
                        .iter()
                        .filter(|x| !x.keywords.iter().any(|k| k.starts_with("$assigned.")))
                        .map(|x| x.uid)
                        .max()
                        .expect("an unassigned row among the newest");
                    newest = Some(uid);
                    worker.send(WorkerCommand::FetchBody { uid });
                    worker.send(WorkerCommand::Triage {
                        id: 1,
                        uid,
                        action: Action::Claim,
                        agent: "alice".into(),
                        message_id: None,
                    });
                }
            }
            Ok(WorkerEvent::Body { result, .. }) => {
                assert!(result.is_ok(), "{result:?}");
                seen.push("body");
            }
            Ok(WorkerEvent::TriageDone { result, .. }) => {
                assert!(result.is_ok(), "{result:?}");
                seen.push("claimed");
            }
            Ok(WorkerEvent::Sync(SyncEvent::Changed(u))) => {
                claimed_shown |= u.iter().any(|x| Some(x.uid) == newest);
            }
            Ok(WorkerEvent::Sync(SyncEvent::Synced(_))) => seen.push("synced"),
            Ok(WorkerEvent::State(ConnState::Online { .. })) => break,
            Ok(WorkerEvent::State(ConnState::Offline { error, .. })) => panic!("offline: {error}"),
            _ => {}
        }
    }
    worker.shutdown();
    // Both answered before the sync ended (the worker is online only after it), and before
    // the last rows came.
    let at = |what: &str| seen.iter().position(|s| *s == what).unwrap_or(usize::MAX);
    let last_rows = seen.iter().rposition(|s| *s == "rows").unwrap_or(0);
    assert!(
        at("body") < last_rows && at("claimed") < last_rows,
        "the reader and the claim waited for the whole mailbox: {seen:?}"
    );
    assert!(at("synced") < seen.len(), "{seen:?}");
    assert!(claimed_shown, "the claim shows in the column once synced");
    let n = rows.len();
    rows.sort_unstable();
    rows.dedup();
    assert_eq!((n, rows.len()), (6_000, 6_000), "every row exactly once");
}
