//! Liveness of an account's IMAP sessions against a real Dovecot: a path that goes silent
//! without a reset (frozen proxy) must turn the column offline and come back when thawed; a
//! Dovecot master killed and restarted around a claim must leave every column truly online.

use crate::support;

use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use mailroom::config::{Account, Imap};
use mailroom::engine::worker::{AccountWorker, ConnState, WorkerCommand, WorkerEvent};
use mailroom::imap::sync::SyncEvent;
use mailroom::store::bodies::BodyCache;
use mailroom::store::cache::HeaderCache;
use mailroom::triage::state::Action;
use support::proxy::FaultProxy;
use support::testbed::Testbed;

fn imap_config(tb: &Testbed, port: u16, mailbox: &str) -> Imap {
    let text = format!(
        "host = \"127.0.0.1\"\nport = {port}\ntls = \"implicit\"\nca_file = \"{}\"\nlogin = \"alice\"\npassword = \"alice-pw\"\nmailbox = \"{mailbox}\"\n",
        tb.ca_file.display(),
    );
    toml::from_str(&text).expect("imap table")
}

fn spawn(name: &str, cfg: Imap, dir: &std::path::Path) -> (AccountWorker, Receiver<WorkerEvent>) {
    let mut account: Account = toml::from_str(&format!(
        "name = \"{name}\"\naddress = \"{name}@example.test\"\nsend = \"none\"\n"
    ))
    .expect("account");
    account.imap = Some(cfg);
    let (tx, rx) = channel();
    let worker = AccountWorker::spawn(
        &account,
        HeaderCache::new(dir.join(format!("h-{name}"))),
        BodyCache::new(dir.join(format!("b-{name}")), 1 << 20),
        Box::new(move |e| {
            let _ = tx.send(e);
        }),
    )
    .expect("spawn worker");
    (worker, rx)
}

/// What a column knows of its account: the rows (UID → keywords) and the last state shown.
#[derive(Default)]
struct Column {
    rows: Vec<(u32, Vec<String>)>,
    state: Option<ConnState>,
    states: Vec<ConnState>,
    /// Triage requests answered (applied or refused), by id.
    triaged: Vec<u64>,
}

impl Column {
    fn apply(&mut self, e: WorkerEvent) {
        match e {
            WorkerEvent::Sync(SyncEvent::Cached(r) | SyncEvent::Added(r)) => {
                for s in r {
                    self.rows.retain(|(u, _)| *u != s.uid);
                    self.rows.push((s.uid, s.keywords.to_vec()));
                }
            }
            WorkerEvent::Sync(SyncEvent::Changed(r)) => {
                for s in r {
                    if let Some(row) = self.rows.iter_mut().find(|(u, _)| *u == s.uid) {
                        row.1 = s.keywords.clone();
                    }
                }
            }
            WorkerEvent::Sync(SyncEvent::Vanished(v)) => self.rows.retain(|(u, _)| !v.contains(u)),
            WorkerEvent::Sync(SyncEvent::Reset { .. }) => self.rows.clear(),
            WorkerEvent::State(s) => {
                self.states.push(s.clone());
                self.state = Some(s);
            }
            WorkerEvent::TriageDone { id, .. } => self.triaged.push(id),
            _ => {}
        }
    }

    /// Applies events until `until` holds or `timeout` passes.
    fn follow(
        &mut self,
        rx: &Receiver<WorkerEvent>,
        timeout: Duration,
        until: impl Fn(&Column) -> bool,
    ) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if until(self) {
                return true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            if let Ok(e) = rx.recv_timeout(left.min(Duration::from_millis(50))) {
                self.apply(e);
            }
        }
    }

    fn online(&self) -> bool {
        matches!(self.state, Some(ConnState::Online { idle: true }))
    }

    fn offline(&self) -> bool {
        matches!(
            self.state,
            Some(ConnState::Offline { .. } | ConnState::Connecting)
        )
    }
}

fn mail(i: usize, to: &str) -> Vec<u8> {
    format!(
        "From: Customer {i} <c{i}@outside.test>\r\nTo: {to}\r\nSubject: case {i}\r\nMessage-ID: <live{i}.{to}>\r\nDate: Sun, 06 Dec 2026 10:00:00 +0000\r\n\r\nHello {i}\r\n"
    )
    .into_bytes()
}

/// The support column over a fault proxy, online with one message.
struct Proxied {
    tb: Testbed,
    proxy: FaultProxy,
    worker: AccountWorker,
    rx: Receiver<WorkerEvent>,
    col: Column,
    _dir: tempfile::TempDir,
}

fn proxied_support_column() -> Proxied {
    let tb = Testbed::start();
    tb.deliver("support@example.test", &mail(0, "support@example.test"));
    let proxy = FaultProxy::start(tb.imaps_port);
    let dir = tempfile::tempdir().expect("tempdir");
    let (worker, rx) = spawn(
        "support",
        imap_config(&tb, proxy.port(), "shared/support/INBOX"),
        dir.path(),
    );
    let mut col = Column::default();
    assert!(
        col.follow(&rx, Duration::from_secs(15), |c| c.online()
            && c.rows.len() == 1),
        "never online: {:?}",
        col.states
    );
    Proxied {
        tb,
        proxy,
        worker,
        rx,
        col,
        _dir: dir,
    }
}

#[test]
fn a_frozen_path_turns_the_column_offline_and_it_recovers_when_thawed() {
    let Proxied {
        tb,
        proxy,
        worker,
        rx,
        mut col,
        _dir,
    } = proxied_support_column();

    // The path goes silent: no reset, no byte. Mail arriving meanwhile cannot be seen, and the
    // column must stop saying "online" within 90 s.
    // Once IDLE runs (the quiet case: nothing to read, nothing to answer).
    std::thread::sleep(Duration::from_secs(1));
    proxy.freeze();
    let frozen_at = Instant::now();
    tb.deliver("support@example.test", &mail(1, "support@example.test"));
    assert!(
        col.follow(&rx, Duration::from_secs(90), |c| c.offline()),
        "still {:?} {:?} after the path froze",
        col.state,
        frozen_at.elapsed()
    );
    eprintln!("offline after {:?}: {:?}", frozen_at.elapsed(), col.states);
    // It stays offline while the path is dead: never "online" again until the thaw.
    assert!(!col.follow(&rx, Duration::from_secs(5), |c| c.online()));

    // The network returns: the column comes back at once (not after a long backoff) and shows
    // the mail that arrived meanwhile.
    proxy.thaw();
    let thawed_at = Instant::now();
    assert!(
        col.follow(&rx, Duration::from_secs(20), |c| c.online()
            && c.rows.len() == 2),
        "not back online with the new mail {:?} after the thaw: {:?} rows {:?}",
        thawed_at.elapsed(),
        col.states,
        col.rows
    );
    eprintln!(
        "online again after {:?}: {:?}",
        thawed_at.elapsed(),
        col.states
    );
    // And it is live: new mail shows through IDLE.
    tb.deliver("support@example.test", &mail(2, "support@example.test"));
    assert!(col.follow(&rx, Duration::from_secs(5), |c| c.rows.len() == 3));
    worker.shutdown();
}

#[test]
fn a_dovecot_restart_during_a_claim_leaves_every_column_online() {
    let tb = Testbed::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let accounts = [
        ("support", "shared/support/INBOX", "support@example.test"),
        ("sales", "shared/sales/INBOX", "sales@example.test"),
    ];
    for (_, _, to) in accounts {
        tb.deliver(to, &mail(0, to));
    }
    let mut columns: Vec<_> = accounts
        .iter()
        .map(|(name, mailbox, _)| {
            let (w, rx) = spawn(name, imap_config(&tb, tb.imaps_port, mailbox), dir.path());
            (w, rx, Column::default())
        })
        .collect();
    for (_, rx, col) in columns.iter_mut() {
        assert!(col.follow(rx, Duration::from_secs(15), |c| c.online()
            && c.rows.len() == 1));
    }
    let mut next_mail = 1;
    let mut teammate = tb.raw_imap("bob");
    for round in 0..10 {
        // The master dies; its IMAP sessions still serve for a while. A claim comes 2 s later,
        // and the server is back 6 s after the kill.
        tb.kill_imap_master();
        let killed = Instant::now();
        std::thread::sleep(Duration::from_secs(2));
        let (worker, _, col) = &columns[0];
        let uid = col.rows[0].0;
        worker.send(WorkerCommand::Triage {
            id: round,
            uid,
            action: if round % 2 == 0 {
                Action::Claim
            } else {
                Action::Unassign
            },
            agent: "alice".into(),
            message_id: None,
        });
        std::thread::sleep(Duration::from_secs(6).saturating_sub(killed.elapsed()));
        tb.start_imap();

        // Every column comes back, and is live: new mail and a teammate's keyword show.
        for (i, (_, rx, col)) in columns.iter_mut().enumerate() {
            let (name, mailbox, to) = accounts[i];
            let before = col.rows.len();
            tb.deliver(to, &mail(next_mail, to));
            next_mail += 1;
            assert!(
                col.follow(rx, Duration::from_secs(30), |c| c.online()
                    && c.rows.len() == before + 1),
                "round {round}: {name} not back online with new mail: {:?} rows {}",
                col.states,
                col.rows.len()
            );
            // Changes only a live session sees: bob's keyword on the first message.
            teammate = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                teammate.cmd_ok("NOOP");
            })) {
                Ok(()) => teammate,
                Err(_) => tb.raw_imap("bob"),
            };
            teammate.cmd_ok(&format!("SELECT \"{mailbox}\""));
            let first = col.rows[0].0;
            let kw = format!("$round{round}");
            teammate.cmd_ok(&format!("UID STORE {first} +FLAGS ({kw})"));
            assert!(
                col.follow(rx, Duration::from_secs(10), |c| c.rows.iter().any(
                    |(u, k)| *u == first && k.iter().any(|x| x.eq_ignore_ascii_case(&kw))
                )),
                "round {round}: {name} does not see a teammate's keyword: {:?}",
                col.states
            );
            col.states.clear();
        }
        // The claim made while the server was going down is answered, never dropped.
        let (_, rx, col) = &mut columns[0];
        assert!(
            col.follow(rx, Duration::from_secs(30), |c| c.triaged.contains(&round)),
            "round {round}: the triage request was never answered"
        );
    }
    for (w, _, _) in columns {
        w.shutdown();
    }
}

/// The IDLE session dies while the worker is busy and a refresh is queued before the news:
/// the column must not go on saying "online (idle)" with no one watching (the worker once
/// took the loss for one more refresh, so new mail never showed until the 5-minute resync).
#[test]
fn an_idle_session_lost_behind_a_queued_refresh_is_reconnected() {
    let Proxied {
        tb,
        proxy,
        worker,
        rx,
        mut col,
        _dir,
    } = proxied_support_column();
    // Connection 0 is the worker's own, 1 the IDLE watcher's.
    assert_eq!(proxy.accepted(), 2);
    // Keep the worker busy in a sync (its path stalls), queue a refresh, then lose the watcher.
    proxy.freeze_conn(0);
    worker.send(WorkerCommand::Refresh);
    std::thread::sleep(Duration::from_millis(300));
    worker.send(WorkerCommand::Refresh);
    proxy.drop_conn(1);
    std::thread::sleep(Duration::from_secs(1));
    proxy.thaw();
    // Let the queued refreshes run out before the mail comes.
    std::thread::sleep(Duration::from_secs(2));
    // New mail must show: through a new watcher, or at least a column that says it is not live.
    tb.deliver("support@example.test", &mail(1, "support@example.test"));
    assert!(
        col.follow(&rx, Duration::from_secs(20), |c| c.online()
            && c.rows.len() == 2),
        "the column says {:?} but new mail never came: {:?} (connections: {})",
        col.state,
        col.states,
        proxy.accepted()
    );
    worker.shutdown();
}
