//! A message with a 50 MB attachment (72 MB of base64 on the wire, above the 64 MiB read
//! budget) against the real Dovecot of the test bed: read by structure, its text shown, its
//! attachment named with its size and streamed to disk when saved; the worker stays online;
//! a body request that fails is never issued again.

use crate::support;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use mailroom::engine::worker::{AccountWorker, ConnState, WorkerCommand, WorkerEvent};
use mailroom::imap::sync::SyncEvent;
use mailroom::store::bodies::BodyCache;
use mailroom::store::cache::HeaderCache;
use support::cli::{Cli, imap_config};
use support::testbed::Testbed;

const TEXT: &str = "Hello, the quarterly report is attached. Regards, Zoe";
const ATTACHMENT_BYTES: usize = 50 * 1024 * 1024;

/// 50 MiB of bytes that do not repeat in any short period.
fn attachment() -> Vec<u8> {
    bytes(ATTACHMENT_BYTES)
}

fn bytes(n: usize) -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut out = Vec::with_capacity(n + 8);
    while out.len() < n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(n);
    out
}

/// multipart/mixed: a text part, then `data` as report.pdf in base64 lines of 76.
fn big_message_of(data: &[u8]) -> Vec<u8> {
    let mut m = format!(
        "From: Zoe <zoe@outside.test>\r\nTo: help@example.test\r\nSubject: Quarterly report\r\nMessage-ID: <big1@outside.test>\r\nDate: Fri, 27 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"XYZ\"\r\n\r\n--XYZ\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{TEXT}\r\n--XYZ\r\nContent-Type: application/pdf; name=\"report.pdf\"\r\nContent-Disposition: attachment; filename=\"report.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    )
    .into_bytes();
    m.extend_from_slice(mailroom::mail::encoding::base64_encode_lines(data).as_bytes());
    m.extend_from_slice(b"--XYZ--\r\n");
    m
}

/// [`big_message_of`] checked to be above the read budget.
fn big_message(data: &[u8]) -> Vec<u8> {
    let m = big_message_of(data);
    // Above the 64 MiB read budget of one IMAP answer.
    assert!(
        m.len() > 70_000_000 && m.len() > 64 << 20,
        "{} bytes",
        m.len()
    );
    m
}

fn small_message() -> Vec<u8> {
    format!("From: Zoe <zoe@outside.test>\r\nTo: help@example.test\r\nSubject: small\r\nMessage-ID: <small1@outside.test>\r\n\r\n{TEXT}\r\n").into_bytes()
}

fn cli(tb: &Testbed) -> Cli {
    Cli::testbed(tb, "alice", "send = \"none\"", "")
}

#[test]
fn show_prints_the_text_of_a_72_mb_message_and_names_its_attachment() {
    let tb = Testbed::start();
    tb.put_message("support", "INBOX", &big_message(&attachment()), "");
    let cli = cli(&tb);
    let started = Instant::now();
    let (code, out, err) = cli.run(&["show", "support", "1"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(TEXT), "{out}");
    assert!(out.contains("Subject: Quarterly report"), "{out}");
    let line = out
        .lines()
        .find(|l| l.contains("report.pdf"))
        .unwrap_or_else(|| panic!("no attachment line: {out}"));
    assert!(
        line.contains("application/pdf, 50 MB") && line.contains("not downloaded"),
        "{line}"
    );
    assert!(line.contains("--save 1"), "{line}");
    assert!(!out.contains("header cache"), "{out}{err}");
    // Only the text travelled: well under the time 72 MB would take through TLS and a parser.
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn saving_the_big_attachment_streams_the_exact_bytes_to_a_file() {
    let tb = Testbed::start();
    let data = attachment();
    tb.put_message("support", "INBOX", &big_message(&data), "");
    let cli = cli(&tb);
    let to = tempfile::tempdir().unwrap();
    let (code, out, err) = cli.run(&[
        "show",
        "support",
        "1",
        "--save",
        "1",
        "--to",
        to.path().to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let path = to.path().join("report.pdf");
    assert!(
        out.contains("saved ") && out.contains("report.pdf"),
        "{out}"
    );
    let saved =
        std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}\n{out}{err}", path.display()));
    assert_eq!(saved.len(), data.len());
    assert!(saved == data, "the saved bytes differ from the original");
    // Nothing but the file is left behind (the temporary file was renamed).
    let names: Vec<_> = std::fs::read_dir(to.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("report.pdf")]);
}

fn spawn(
    account_imap: mailroom::config::Imap,
    dir: &std::path::Path,
) -> (AccountWorker, Receiver<WorkerEvent>) {
    let mut account: mailroom::config::Account =
        toml::from_str("name = \"support\"\naddress = \"support@example.test\"\nsend = \"none\"\n")
            .unwrap();
    account.imap = Some(account_imap);
    let (tx, rx) = channel();
    let worker = AccountWorker::spawn(
        &account,
        HeaderCache::new(dir.join("h")),
        BodyCache::new(dir.join("b"), 1 << 30),
        Box::new(move |e| {
            let _ = tx.send(e);
        }),
    )
    .unwrap();
    (worker, rx)
}

/// Waits until the worker is online with the first message listed; returns its UID.
fn online_with_a_row(rx: &Receiver<WorkerEvent>) -> u32 {
    let deadline = Instant::now() + Duration::from_secs(30);
    let (mut uid, mut online) = (None, false);
    while Instant::now() < deadline && !(uid.is_some() && online) {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(WorkerEvent::Sync(SyncEvent::Added(rows))) => {
                uid = uid.or(rows.first().map(|r| r.uid))
            }
            Ok(WorkerEvent::State(ConnState::Online { .. })) => online = true,
            _ => {}
        }
    }
    assert!(online, "never online");
    uid.expect("the message was never listed")
}

#[test]
fn the_worker_reads_the_big_message_and_stays_online() {
    let tb = Testbed::start();
    tb.put_message("support", "INBOX", &big_message(&attachment()), "");
    let dir = tempfile::tempdir().unwrap();
    let (worker, rx) = spawn(imap_config(&tb, "alice"), dir.path());
    let uid = online_with_a_row(&rx);
    assert!(worker.send(WorkerCommand::FetchBody { uid }));
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut states = Vec::new();
    let mut body = None;
    while Instant::now() < deadline && body.is_none() {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(WorkerEvent::Body { result, .. }) => body = Some(result),
            Ok(WorkerEvent::State(s)) => states.push(s),
            _ => {}
        }
    }
    let raw = body
        .unwrap_or_else(|| panic!("no body within 30 s; states {states:?}"))
        .unwrap_or_else(|e| panic!("{e}"));
    // Small enough to keep: the attachment stayed on the server.
    assert!(raw.len() < 1024 * 1024, "{} bytes", raw.len());
    let opened = mailroom::engine::translate::opened(raw).unwrap();
    assert!(opened.text.contains(TEXT), "{}", opened.text);
    let [a] = opened.attachments.as_slice() else {
        panic!("{:?}", opened.attachments);
    };
    assert_eq!(a.name.as_deref(), Some("report.pdf"));
    assert!(a.unfetched.is_some());
    assert_eq!(mailroom::mail::display::human_size(a.size), "50 MB");
    // No reconnect, before or after the answer.
    let quiet = Instant::now() + Duration::from_secs(3);
    while Instant::now() < quiet {
        if let Ok(WorkerEvent::State(s)) = rx.recv_timeout(Duration::from_millis(100)) {
            states.push(s);
        }
    }
    assert!(
        states.iter().all(|s| matches!(s, ConnState::Online { .. })),
        "{states:?}"
    );
    worker.shutdown();
}

/// A plaintext TCP proxy in front of the test bed's plain IMAP port that counts body requests
/// (`UID FETCH` of `BODY.PEEK[]` or `BODYSTRUCTURE`) and drops the connection on each, so the
/// request fails mid-way.
struct DroppingProxy {
    port: u16,
    body_requests: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl DroppingProxy {
    fn start(upstream: u16) -> DroppingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let body_requests = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (count, halt) = (body_requests.clone(), stop.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if halt.load(Ordering::Relaxed) {
                    return;
                }
                let Ok(client) = client else { continue };
                let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else {
                    continue;
                };
                let count = count.clone();
                let (mut c_read, mut s_write) =
                    (client.try_clone().unwrap(), server.try_clone().unwrap());
                let (mut s_read, mut c_write) = (server, client);
                let (c_kill, s_kill) = (c_write.try_clone().unwrap(), s_write.try_clone().unwrap());
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut s_read, &mut c_write);
                    let _ = c_write.shutdown(Shutdown::Both);
                });
                std::thread::spawn(move || {
                    let mut line = Vec::new();
                    let mut buf = [0u8; 8192];
                    loop {
                        let n = match c_read.read(&mut buf) {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        for &b in &buf[..n] {
                            line.push(b);
                            if b == b'\n' {
                                let text = String::from_utf8_lossy(&line).to_ascii_uppercase();
                                line.clear();
                                if text.contains("UID FETCH")
                                    && (text.contains("BODY.PEEK[]")
                                        || text.contains("BODYSTRUCTURE"))
                                {
                                    count.fetch_add(1, Ordering::SeqCst);
                                    let _ = c_kill.shutdown(Shutdown::Both);
                                    let _ = s_kill.shutdown(Shutdown::Both);
                                    return;
                                }
                            }
                        }
                        if s_write.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                    let _ = s_write.shutdown(Shutdown::Both);
                });
            }
        });
        DroppingProxy {
            port,
            body_requests,
            stop,
        }
    }
}

impl Drop for DroppingProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

#[test]
fn a_failed_body_request_is_never_issued_again_and_the_column_comes_back() {
    let tb = Testbed::start();
    tb.put_message("support", "INBOX", &small_message(), "");
    let proxy = DroppingProxy::start(tb.imap_plain_port);
    let cfg: mailroom::config::Imap = toml::from_str(&format!(
        "host = \"127.0.0.1\"\nport = {}\ntls = \"none\"\nlogin = \"alice\"\npassword = \"{}\"\nmailbox = \"shared/support/INBOX\"\n",
        proxy.port,
        Testbed::password("alice")
    ))
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (worker, rx) = spawn(cfg, dir.path());
    let uid = online_with_a_row(&rx);
    assert!(worker.send(WorkerCommand::FetchBody { uid }));
    // The reader gets an error at once; the column goes back online.
    let deadline = Instant::now() + Duration::from_secs(10);
    let (mut body, mut back_online) = (None, false);
    while Instant::now() < deadline && !(body.is_some() && back_online) {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(WorkerEvent::Body { result, .. }) => body = Some(result),
            Ok(WorkerEvent::State(ConnState::Online { .. })) if body.is_some() => {
                back_online = true
            }
            _ => {}
        }
    }
    // Never re-issued (before the fix, every reconnect sent it again).
    assert_eq!(
        proxy.body_requests.load(Ordering::SeqCst),
        1,
        "body requests sent"
    );
    let err = body
        .expect("no answer to the body request")
        .expect_err("the fetch was cut");
    assert!(err.starts_with("cannot show this message"), "{err}");
    assert!(back_online, "the column did not come back online");
    // Long enough for several reconnects: still the one request.
    std::thread::sleep(Duration::from_secs(4));
    let mut states = Vec::new();
    while let Ok(e) = rx.try_recv() {
        if let WorkerEvent::State(s) = e {
            states.push(s);
        }
    }
    assert_eq!(proxy.body_requests.load(Ordering::SeqCst), 1, "{states:?}");
    assert!(
        states.iter().all(|s| matches!(s, ConnState::Online { .. })),
        "{states:?}"
    );
    worker.shutdown();
}

#[test]
fn the_reader_saves_a_part_it_did_not_download_by_streaming_it() {
    let tb = Testbed::start();
    // 3 MiB with max_part_bytes = 64 KiB: a placeholder, streamed in several chunks.
    let data = bytes(3 * 1024 * 1024);
    tb.put_message("support", "INBOX", &big_message_of(&data), "");
    let mut cfg = imap_config(&tb, "alice");
    cfg.max_part_bytes = 64 * 1024;
    let dir = tempfile::tempdir().unwrap();
    let (worker, rx) = spawn(cfg.clone(), dir.path());
    let uid = online_with_a_row(&rx);
    assert!(worker.send(WorkerCommand::FetchBody { uid }));
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut body = None;
    while Instant::now() < deadline && body.is_none() {
        if let Ok(WorkerEvent::Body { result, .. }) = rx.recv_timeout(Duration::from_millis(100)) {
            body = Some(result);
        }
    }
    let raw = body.expect("no body").unwrap_or_else(|e| panic!("{e}"));
    worker.shutdown();
    assert!(raw.len() < 64 * 1024, "{} bytes", raw.len());
    let opened = mailroom::engine::translate::opened(raw.clone()).unwrap();
    assert!(opened.text.contains(TEXT), "{}", opened.text);
    assert!(
        mailroom::mail::display::attachment_label(&opened.attachments[0])
            .contains("not downloaded"),
        "{:?}",
        opened.attachments
    );
    // What the reader's :save does on its thread.
    let mut account: mailroom::config::Account =
        toml::from_str("name = \"support\"\naddress = \"support@example.test\"\nsend = \"none\"\n")
            .unwrap();
    account.imap = Some(cfg);
    let to = tempfile::tempdir().unwrap();
    let results =
        mailroom::engine::save::save_attachments_from(&raw, &[0], to.path(), Some((account, uid)));
    let [(0, Ok(path))] = results.as_slice() else {
        panic!("{results:?}");
    };
    assert_eq!(
        path.file_name().and_then(|n| n.to_str()),
        Some("report.pdf")
    );
    assert!(
        std::fs::read(path).unwrap() == data,
        "the saved bytes differ"
    );
    // Without a server to ask, the reader says why instead of writing an empty file.
    let results = mailroom::engine::save::save_attachments_from(&raw, &[0], to.path(), None);
    assert!(
        matches!(results.as_slice(), [(0, Err(e))] if e.contains("not downloaded")),
        "{results:?}"
    );
    assert_eq!(std::fs::read_dir(to.path()).unwrap().count(), 1);
}

#[test]
fn a_text_part_above_the_limit_is_named_and_raw_streams_the_exact_message() {
    let tb = Testbed::start();
    let mut raw = b"From: Zoe <zoe@outside.test>\r\nTo: help@example.test\r\nSubject: long log\r\nMessage-ID: <log1@outside.test>\r\n\r\n".to_vec();
    for i in 0..3000 {
        raw.extend_from_slice(format!("log line {i:05} with some words in it\r\n").as_bytes());
    }
    tb.put_message("support", "INBOX", &raw, "");
    let cli = Cli::testbed(&tb, "alice", "send = \"none\"", "max_part_bytes = 65536\n");
    let (code, out, err) = cli.run(&["show", "support", "1"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("Subject: long log"), "{out}");
    assert!(!out.contains("log line 00001"), "{out}");
    assert!(
        out.contains("[text part 1, ") && out.contains("not downloaded"),
        "{out}"
    );
    // Piped --raw is the exact message, streamed in pieces.
    let (code, out, err) = cli.run(&["show", "support", "1", "--raw"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.as_bytes() == raw.as_slice(), "{} bytes", out.len());
}

#[test]
fn nested_alternatives_keep_their_text_and_the_big_part_is_saved_exactly() {
    let tb = Testbed::start();
    let data = bytes(200 * 1024);
    let mut raw = b"From: Zoe <zoe@outside.test>\r\nTo: help@example.test\r\nSubject: nested\r\nMessage-ID: <nest1@outside.test>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"outer\"\r\n\r\npreamble\r\n--outer\r\nContent-Type: multipart/alternative; boundary=\"inner\"\r\n\r\n--inner\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nCaf=C3=A9 au lait, s'il vous pla=C3=AEt.\r\n--inner\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Caf&eacute; au lait</p>\r\n--inner--\r\n\r\n--outer\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"data.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n".to_vec();
    raw.extend_from_slice(mailroom::mail::encoding::base64_encode_lines(&data).as_bytes());
    raw.extend_from_slice(b"--outer--\r\nepilogue\r\n");
    tb.put_message("support", "INBOX", &raw, "");
    let cli = Cli::testbed(&tb, "alice", "send = \"none\"", "max_part_bytes = 65536\n");
    let (code, out, err) = cli.run(&["show", "support", "1"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("Café au lait, s'il vous plaît."), "{out}");
    assert!(
        out.lines()
            .any(|l| l.contains("data.bin") && l.contains("not downloaded")),
        "{out}"
    );
    let to = tempfile::tempdir().unwrap();
    let dir = to.path().to_str().unwrap();
    let (code, out, err) = cli.run(&["show", "support", "1", "--save", "1", "--to", dir]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(std::fs::read(to.path().join("data.bin")).unwrap() == data);
    // Saving again never overwrites: a new name.
    let (code, out, err) = cli.run(&["show", "support", "1", "--save", "1", "--to", dir]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(std::fs::read(to.path().join("data (1).bin")).unwrap() == data);
    // A number that is not an attachment is an error that names the message.
    let (code, out, err) = cli.run(&["show", "support", "1", "--save", "7", "--to", dir]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("UID 1") && err.contains("no attachment number 7"),
        "{err}"
    );
}

#[test]
fn max_part_bytes_is_checked_when_the_configuration_is_read() {
    let text = |v: &str| {
        format!(
            "[agent]\nid = \"alice\"\nname = \"A\"\nemail = \"alice@example.test\"\n[[account]]\nname = \"support\"\naddress = \"support@example.test\"\nsend = \"none\"\n[account.imap]\nhost = \"mail.example.test\"\nlogin = \"alice\"\npassword_command = \"echo pw\"\n{v}"
        )
    };
    let parse = |t: &str| mailroom::config::parse(t, std::path::Path::new("/tmp/c.toml"));
    let loaded = parse(&text("")).unwrap_or_else(|e| panic!("{e}"));
    let imap = loaded.config.accounts[0].imap.as_ref().unwrap();
    assert_eq!(imap.max_part_bytes, 4 * 1024 * 1024);
    for bad in ["max_part_bytes = 0\n", "max_part_bytes = 1000000000\n"] {
        let e = parse(&text(bad)).map(|_| ()).unwrap_err().to_string();
        assert!(e.contains("`imap.max_part_bytes`"), "{e}");
    }
    assert!(parse(&text("max_part_bytes = 65536\n")).is_ok());
}
