//! A Maildir written by mailroom is read by a real Dovecot with the same UIDs and keywords,
//! and keywords Dovecot stores are read back by mailroom.

use crate::support;

use std::path::Path;

use mailroom::backend::maildir::MaildirBackend;
use mailroom::backend::{Backend, FlagChange};
use mailroom::message::Flags;
use support::testbed::Testbed;

fn chown_vmail(path: &Path) {
    // Dovecot refuses mail owned by root: hand the tree to the mail user.
    let status = std::process::Command::new("chown")
        .args(["-R", "vmail:vmail"])
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}

fn message(i: usize) -> Vec<u8> {
    format!(
        "From: Customer {i} <c{i}@outside.test>\r\nTo: support@example.test\r\nSubject: Question {i}\r\nMessage-ID: <q{i}@outside.test>\r\nDate: Fri, 27 Nov 2026 10:00:00 +0000\r\n\r\nHello {i}\r\n"
    )
    .into_bytes()
}

#[test]
fn dovecot_sees_mailroom_keywords_and_uids_and_back() {
    let tb = Testbed::start();
    let inbox = tb.maildir_of("support").join("INBOX");
    std::fs::create_dir_all(&inbox).unwrap();

    let mut backend = MaildirBackend::open("support", &inbox).expect("open maildir");
    let mut uids = Vec::new();
    for i in 0..3 {
        let uid = backend
            .append(
                "INBOX",
                &message(i),
                Flags {
                    seen: i == 0,
                    ..Flags::default()
                },
                &[],
                Some(1_795_800_000 + i as i64),
            )
            .expect("append")
            .expect("uid");
        uids.push(uid);
    }
    let change = FlagChange {
        add_keywords: vec!["$assigned.alice".into(), "$pending".into()],
        add_flags: Flags {
            flagged: true,
            ..Flags::default()
        },
        ..FlagChange::default()
    };
    backend
        .store("INBOX", uids[1], &change, None)
        .expect("store");
    chown_vmail(&tb.maildir_of("support"));

    let mut imap = tb.raw_imap("alice");
    imap.cmd_ok("SELECT \"shared/support/INBOX\"");
    let fetched = imap.cmd_ok("UID FETCH 1:* (UID FLAGS)");
    for uid in &uids {
        assert!(
            fetched.contains(&format!("UID {uid} ")),
            "uid {uid} missing:\n{fetched}"
        );
    }
    let line = fetched
        .lines()
        .find(|l| l.contains(&format!("UID {} ", uids[1])))
        .unwrap_or_else(|| panic!("{fetched}"));
    assert!(
        line.contains("$assigned.alice") && line.contains("$pending") && line.contains("\\Flagged"),
        "{line}"
    );
    let first = fetched
        .lines()
        .find(|l| l.contains(&format!("UID {} ", uids[0])))
        .unwrap();
    assert!(first.contains("\\Seen"), "{first}");

    // bob (a teammate) marks a message done over IMAP; mailroom's Maildir backend sees it.
    let mut bob = tb.raw_imap("bob");
    bob.cmd_ok("SELECT \"shared/support/INBOX\"");
    bob.cmd_ok(&format!("UID STORE {} +FLAGS ($done)", uids[2]));
    bob.cmd_ok("LOGOUT");

    let mut reopened = MaildirBackend::open("support", &inbox).expect("reopen");
    let mut rows = Vec::new();
    reopened
        .summaries("INBOX", 1, &mut |b| rows.extend(b))
        .expect("summaries");
    let done = rows.iter().find(|s| s.uid == uids[2]).expect("uid kept");
    assert!(
        done.keywords.iter().any(|k| k == "$done"),
        "{:?}",
        done.keywords
    );
    let assigned = rows.iter().find(|s| s.uid == uids[1]).unwrap();
    assert!(
        assigned.keywords.iter().any(|k| k == "$assigned.alice"),
        "{:?}",
        assigned.keywords
    );
    assert_eq!(rows.iter().map(|s| s.uid).collect::<Vec<_>>(), uids);
}
