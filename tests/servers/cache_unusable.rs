//! A cache that cannot be used costs speed, never the command: `mailroom list` and `mailroom
//! show` against a real Dovecot, with the header or body cache broken in ways that stop root
//! too (the tests run as root, so a chmod would not): a directory where the file should be, a
//! regular file where the cache directory should be, a symlink loop. Each run exits 0, prints
//! the mail, and says exactly once on stderr that the cache (named by its path) was skipped.

use crate::support;

use std::fs;
use std::path::{Path, PathBuf};

use mailroom::imap::sync::MailboxState;
use mailroom::net::Server;
use mailroom::store::cache::HeaderCache;
use support::cli::Cli;
use support::testbed::Testbed;

fn seed(tb: &Testbed) {
    for i in 0..3 {
        tb.put_message(
            "support",
            "INBOX",
            format!(
                "From: Customer <c{i}@outside.test>\r\nTo: help@example.test\r\nSubject: order {i}\r\nMessage-ID: <o{i}@outside.test>\r\nDate: Fri, 27 Nov 2026 10:00:00 +0000\r\n\r\nbody of order {i}\r\n"
            )
            .as_bytes(),
            "",
        );
    }
}

fn cache_root(cli: &Cli) -> PathBuf {
    cli.dir.path().join("cache").join("mailroom")
}

/// The ways a cache path can be unusable even for root.
#[derive(Debug, Clone, Copy)]
enum Broken {
    DirectoryForFile,
    FileForDirectory,
    SymlinkLoop,
}

fn break_cache(how: Broken, dir: &Path, file: &Path) {
    match fs::symlink_metadata(dir) {
        Ok(m) if m.is_dir() => fs::remove_dir_all(dir).unwrap(),
        Ok(_) => fs::remove_file(dir).unwrap(),
        Err(_) => {}
    }
    fs::create_dir_all(dir.parent().unwrap()).unwrap();
    match how {
        Broken::DirectoryForFile => {
            fs::create_dir_all(file).unwrap();
            // Not empty, so nothing can replace it by accident.
            fs::write(file.join("keep"), b"x").unwrap();
        }
        Broken::FileForDirectory => fs::write(dir, b"not a directory").unwrap(),
        Broken::SymlinkLoop => std::os::unix::fs::symlink(dir, dir).unwrap(),
    }
}

/// The warning lines of a run's stderr.
fn warnings(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| l.contains("warning")).collect()
}

fn assert_one_warning(stderr: &str, path: &Path, how: Broken) {
    let w = warnings(stderr);
    eprintln!("{how:?}: {stderr}");
    assert_eq!(w.len(), 1, "{how:?}: want exactly one warning:\n{stderr}");
    assert!(
        w[0].contains(&path.display().to_string()),
        "{how:?}: the warning does not name {}:\n{stderr}",
        path.display()
    );
}

#[test]
fn list_works_from_the_server_with_an_unusable_header_cache() {
    let tb = Testbed::start();
    seed(&tb);
    let cli = Cli::testbed(&tb, "alice", "send = \"none\"", "");
    let headers = cache_root(&cli).join("headers");
    let key = MailboxState::key_for(
        "support",
        &Server {
            host: "127.0.0.1".into(),
            port: tb.imaps_port,
        },
        "alice",
        "shared/support/INBOX",
    );
    let file = HeaderCache::new(headers.clone()).path_for(&key);

    // The layout is the one the binary uses: a first run writes exactly that file.
    let (code, _, err) = cli.run(&["list", "support"]);
    assert_eq!(code, 0, "{err}");
    assert!(file.is_file(), "no header cache at {}", file.display());

    for how in [
        Broken::DirectoryForFile,
        Broken::FileForDirectory,
        Broken::SymlinkLoop,
    ] {
        break_cache(how, &headers, &file);
        // Twice: the second run meets the same broken cache (nothing repaired it silently
        // into a different state) and still warns only once.
        for _ in 0..2 {
            let (code, out, err) = cli.run(&["list", "support"]);
            assert_eq!(code, 0, "{how:?}: list failed:\n{out}{err}");
            for i in 0..3 {
                assert!(out.contains(&format!("order {i}")), "{how:?}: {out}");
            }
            assert_one_warning(&err, &headers, how);
        }
        // --offline cannot work without a cache, and says so (exit 1).
        let (code, _, _) = cli.run(&["list", "support", "--offline"]);
        assert_eq!(code, 1, "{how:?}");
    }
}

#[test]
fn show_works_from_the_server_with_an_unusable_body_cache() {
    let tb = Testbed::start();
    seed(&tb);
    let cli = Cli::testbed(&tb, "alice", "send = \"none\"", "");
    let bodies = cache_root(&cli).join("bodies");

    let (code, _, err) = cli.run(&["show", "support", "2"]);
    assert_eq!(code, 0, "{err}");
    assert!(warnings(&err).is_empty(), "{err}");
    // The one body file the first run wrote.
    let file: PathBuf = fs::read_dir(&bodies)
        .unwrap()
        .flat_map(|d| fs::read_dir(d.unwrap().path()).unwrap())
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "body"))
        .expect("a body file");

    for how in [
        Broken::DirectoryForFile,
        Broken::FileForDirectory,
        Broken::SymlinkLoop,
    ] {
        break_cache(how, &bodies, &file);
        for _ in 0..2 {
            let (code, out, err) = cli.run(&["show", "support", "2"]);
            assert_eq!(code, 0, "{how:?}: show failed:\n{out}{err}");
            assert!(out.contains("body of order 1"), "{how:?}: {out}");
            assert_one_warning(&err, &bodies, how);
        }
    }
}

/// The column view's worker: an unusable header cache and body cache are each reported once
/// as a status warning, however many syncs and message reads follow, and the mail arrives.
#[test]
fn the_column_worker_warns_once_per_unusable_cache_and_keeps_working() {
    use std::sync::mpsc::channel;
    use std::time::{Duration, Instant};

    use mailroom::engine::worker::{AccountWorker, WorkerCommand, WorkerEvent};
    use mailroom::imap::sync::SyncEvent;
    use mailroom::store::bodies::BodyCache;

    let tb = Testbed::start();
    seed(&tb);
    let dir = tempfile::tempdir().unwrap();
    let (headers, bodies) = (dir.path().join("headers"), dir.path().join("bodies"));
    fs::write(&headers, b"not a directory").unwrap();
    std::os::unix::fs::symlink(&bodies, &bodies).unwrap();
    let mut account: mailroom::config::Account =
        toml::from_str("name = \"support\"\naddress = \"support@example.test\"\nsend = \"none\"\n")
            .unwrap();
    account.imap = Some(support::cli::imap_config(&tb, "alice"));
    let (tx, rx) = channel();
    let worker = AccountWorker::spawn(
        &account,
        HeaderCache::new(headers.clone()),
        BodyCache::new(bodies.clone(), 1 << 20),
        Box::new(move |e| {
            let _ = tx.send(e);
        }),
    )
    .unwrap();

    let mut warnings: Vec<String> = Vec::new();
    let (mut rows, mut bodies_read) = (0, 0);
    let mut wait = |until: &dyn Fn(usize, usize) -> bool, warnings: &mut Vec<String>| {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !until(rows, bodies_read) {
            assert!(
                Instant::now() < deadline,
                "rows {rows}, bodies {bodies_read}"
            );
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(WorkerEvent::Sync(SyncEvent::Added(r))) => rows += r.len(),
                Ok(WorkerEvent::Sync(SyncEvent::Warning(w))) => warnings.push(w),
                Ok(WorkerEvent::Body { result, .. }) => {
                    assert!(result.unwrap().ends_with(b"body of order 0\r\n"));
                    bodies_read += 1;
                }
                _ => {}
            }
        }
    };
    wait(&|r, _| r == 3, &mut warnings);
    // More syncs, each with a new row to save; more reads of the same body.
    for i in 3..5 {
        tb.put_message(
            "support",
            "INBOX",
            format!("Subject: order {i}\r\nMessage-ID: <o{i}@outside.test>\r\n\r\nbody\r\n")
                .as_bytes(),
            "",
        );
        assert!(worker.send(WorkerCommand::Refresh));
        assert!(worker.send(WorkerCommand::FetchBody { uid: 1 }));
        wait(&|r, b| r == i + 1 && b == i - 2, &mut warnings);
    }
    // Anything late would come with the next sync.
    assert!(worker.send(WorkerCommand::Refresh));
    std::thread::sleep(Duration::from_millis(500));
    warnings.extend(rx.try_iter().filter_map(|e| match e {
        WorkerEvent::Sync(SyncEvent::Warning(w)) => Some(w),
        _ => None,
    }));
    worker.request_shutdown();
    let about = |p: &Path| {
        warnings
            .iter()
            .filter(|w| w.contains(&p.display().to_string()))
            .count()
    };
    assert_eq!(about(&headers), 1, "{warnings:#?}");
    assert_eq!(about(&bodies), 1, "{warnings:#?}");
    assert_eq!(warnings.len(), 2, "{warnings:#?}");
}
