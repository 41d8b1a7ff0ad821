//! Address completion ranks by use, and the Sent folder's recipients count: the account's IMAP
//! thread reads the To and Cc of the Sent folder's newest messages (`imap::sent::recipients_in`)
//! from a real Dovecot, names decoded, and goes back to its mailbox.

use crate::support;

use std::sync::mpsc::channel;
use std::time::{Duration, Instant};

use mailroom::engine::worker::{AccountWorker, WorkerCommand, WorkerEvent};
use mailroom::store::bodies::BodyCache;
use mailroom::store::cache::HeaderCache;
use support::testbed::Testbed;

fn sent_copy(i: usize, to: &str, cc: &str) -> Vec<u8> {
    format!(
        "From: Example Support <support@example.test>\r\nTo: {to}\r\nCc: {cc}\r\nSubject: Re: case {i}\r\nMessage-ID: <s{i}@example.test>\r\nDate: Fri, 27 Nov 2026 10:0{i}:00 +0000\r\n\r\nAnswered.\r\n"
    )
    .into_bytes()
}

#[test]
fn the_imap_thread_reads_the_sent_folders_recipients_with_their_names() {
    let tb = Testbed::start();
    tb.put_message(
        "support",
        "Sent",
        &sent_copy(
            1,
            "=?utf-8?q?Carl_Cl=C3=AFent?= <carl@client.test>",
            "ann@x.test",
        ),
        "S",
    );
    tb.put_message(
        "support",
        "Sent",
        &sent_copy(2, "\"Doe, Jane\" <jane@x.test>", "Carl <carl@client.test>"),
        "S",
    );
    let dir = tempfile::tempdir().unwrap();
    let account: mailroom::config::Account = toml::from_str(&format!(
        "name = \"support\"\naddress = \"support@example.test\"\nsend = \"none\"\n\
         [imap]\nhost = \"127.0.0.1\"\nport = {}\nca_file = \"{}\"\nlogin = \"alice\"\npassword = \"{}\"\nmailbox = \"shared/support/INBOX\"\nsent = \"shared/support/Sent\"\n",
        tb.imaps_port,
        tb.ca_file.display(),
        Testbed::password("alice")
    ))
    .unwrap();
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
    worker.send(WorkerCommand::SentRecipients);
    let deadline = Instant::now() + Duration::from_secs(20);
    let rows = loop {
        assert!(Instant::now() < deadline, "no answer");
        if let Ok(WorkerEvent::SentRecipients(result)) = rx.recv_timeout(Duration::from_millis(100))
        {
            break result.unwrap_or_else(|e| panic!("{e}"));
        }
    };
    assert_eq!(rows.len(), 2, "{rows:?}");
    let mut seen: Vec<(Option<String>, String)> = rows
        .iter()
        .flat_map(|r| {
            r.to()
                .iter()
                .chain(r.cc().iter())
                .map(|a| (a.name.map(str::to_string), a.email.to_string()))
                .collect::<Vec<_>>()
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            (None, "ann@x.test".to_string()),
            (Some("Carl".to_string()), "carl@client.test".to_string()),
            (
                Some("Carl Clïent".to_string()),
                "carl@client.test".to_string()
            ),
            (Some("Doe, Jane".to_string()), "jane@x.test".to_string()),
        ]
    );
    // Ranked for completion: Carl, written to twice, first.
    let ranked = mailroom::ui::screen::compose::complete::rank(std::iter::empty(), &rows);
    assert_eq!(ranked[0].email, "carl@client.test");
    assert_eq!(ranked[0].count, 2);
    worker.send(WorkerCommand::Shutdown);
}
