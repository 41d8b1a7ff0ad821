//! Snoozes on a Maildir (the demo, mbsync users) keep the same contract as on IMAP: one
//! `$snoozed` keyword, the wake time in a snooze record in the notes folder (read back by
//! `backend::notes::wake_times`, never listed as a note), an earlier version's
//! `$snoozed.<minute>` removed by the next snooze.

use mailroom::backend::maildir::MaildirBackend;
use mailroom::backend::{Backend, notes};
use mailroom::config::Account;
use mailroom::message::Flags;
use mailroom::triage::local;
use mailroom::triage::state::Action;

fn account(root: &std::path::Path) -> Account {
    toml::from_str(&format!(
        "name = \"support\"\naddress = \"support@example.test\"\nsend = \"none\"\n[maildir]\npath = \"{}\"\n",
        root.display()
    ))
    .expect("account")
}

#[test]
fn a_maildir_snooze_writes_one_keyword_and_a_record() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("support");
    let mut b = MaildirBackend::create("support", &root).expect("create");
    let raw = b"From: c@example.net\r\nTo: support@example.test\r\nSubject: Later\r\nMessage-ID: <later@example.net>\r\n\r\nBody\r\n";
    let uid = b
        .append(
            "INBOX",
            raw,
            Flags::default(),
            &["$snoozed.202601010900".to_string()],
            None,
        )
        .expect("append")
        .expect("uid");
    let acc = account(&root);
    let mut last = 0;
    for (i, until) in [1_900_000_000i64, 1_900_086_400, 1_900_003_600]
        .into_iter()
        .enumerate()
    {
        let action = Action::Snooze(until);
        local::record_snooze(&mut b, "INBOX", &acc, uid, &action, "alice").expect("record");
        let applied = local::apply_backend(&mut b, "INBOX", uid, &action, "alice").expect("snooze");
        assert!(applied.after.snoozed, "{i}");
        last = until;
    }
    let mut keywords = Vec::new();
    b.summaries("INBOX", uid, &mut |rows| {
        keywords.extend(
            rows.into_iter()
                .filter(|r| r.uid == uid)
                .flat_map(|r| r.keywords.to_vec()),
        )
    })
    .expect("summaries");
    assert_eq!(keywords, ["$snoozed"]);
    let wakes = notes::wake_times(&mut b, "Notes").expect("records");
    assert_eq!(wakes.get("later@example.net"), Some(last));
    assert!(
        notes::notes_for(&mut b, "Notes", "later@example.net")
            .expect("notes")
            .is_empty()
    );
}
