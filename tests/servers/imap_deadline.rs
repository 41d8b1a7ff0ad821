//! The per-command deadline against a real Dovecot: an IDLE waits longer than the deadline
//! (it has its own timeout) and still reports new mail.

use crate::support;

use std::sync::mpsc::channel;
use std::time::{Duration, Instant};

use mailroom::config::{Imap, Secret};
use mailroom::imap::idle::{IdleSignal, IdleWatcher};
use support::testbed::Testbed;

fn imap_config(tb: &Testbed, login: &str, mailbox: &str, deadline: u64) -> Imap {
    let text = format!(
        "host = \"127.0.0.1\"\nport = {}\ntls = \"implicit\"\nca_file = \"{}\"\nlogin = \"{login}\"\npassword = \"{}\"\nmailbox = \"{mailbox}\"\ndeadline = {deadline}\n",
        tb.imaps_port,
        tb.ca_file.display(),
        Testbed::password(login)
    );
    toml::from_str(&text).expect("imap table")
}

#[test]
fn an_idle_outlives_the_command_deadline_and_still_sees_new_mail() {
    let tb = Testbed::start();
    let cfg = imap_config(&tb, "alice", "shared/support/INBOX", 1);
    let secret = Secret::new(Testbed::password("alice"));
    let (tx, rx) = channel();
    let watcher = IdleWatcher::start(
        "support",
        &cfg,
        &secret,
        "shared/support/INBOX",
        tx,
        |s: IdleSignal| s,
    )
    .unwrap_or_else(|e| panic!("{e:?}"));
    // Three deadlines' worth of quiet: the IDLE must still be waiting, not cut off.
    match rx.recv_timeout(Duration::from_secs(3)) {
        Err(_) => {}
        Ok(signal) => panic!("IDLE ended early: {signal:?}"),
    }
    tb.deliver(
        "support@example.test",
        b"From: c@outside.test\r\nTo: support@example.test\r\nSubject: late\r\n\r\nhi\r\n",
    );
    let started = Instant::now();
    let signal = rx.recv_timeout(Duration::from_secs(10));
    assert_eq!(
        signal,
        Ok(IdleSignal::Changed),
        "after {:?}",
        started.elapsed()
    );
    watcher.stop();
}
