//! The Maildir backend against real directories: round trips, Dovecot's file formats, and
//! other programs changing the folder underneath.

use std::fs;
use std::path::{Path, PathBuf};

use mailroom::backend::maildir::MaildirBackend;
use mailroom::backend::{Backend, BackendError, FlagChange, StoreOutcome};
use mailroom::message::{Flags, Summary};

fn message(n: usize) -> Vec<u8> {
    format!(
        "From: Customer {n} <c{n}@example.net>\r\nTo: support@example.test\r\n\
Subject: Question {n}\r\nMessage-ID: <m{n}@example.net>\r\n\
Date: Tue, 14 May 2024 09:12:33 +0000\r\n\r\nBody {n}\r\n"
    )
    .into_bytes()
}

fn all(b: &mut MaildirBackend, mailbox: &str) -> Vec<Summary> {
    let mut out = Vec::new();
    b.summaries(mailbox, 1, &mut |batch| out.extend(batch))
        .expect("summaries");
    out
}

fn files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter_map(|e| e.file_name().into_string().ok())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn new_account() -> (tempfile::TempDir, PathBuf, MaildirBackend) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("support");
    let mut b = MaildirBackend::create("support", &root).expect("create");
    b.create_mailbox("Sent").expect("Sent");
    (tmp, root, b)
}

fn seen() -> Flags {
    Flags {
        seen: true,
        ..Flags::default()
    }
}

#[test]
fn append_list_fetch_store_move() {
    let (_tmp, root, mut b) = new_account();
    let uid1 = b
        .append(
            "INBOX",
            &message(1),
            Flags::default(),
            &[],
            Some(1_700_000_000),
        )
        .unwrap()
        .unwrap();
    let uid2 = b
        .append("INBOX", &message(2), seen(), &["$pending".into()], None)
        .unwrap()
        .unwrap();
    assert_eq!((uid1, uid2), (1, 2));

    let status = b.status("INBOX").unwrap();
    assert_eq!(status.exists, 2);
    assert_eq!(status.uid_next, 3);
    assert!(status.uid_validity > 0);
    assert!(!status.read_only);
    assert!(status.keywords_permanent());
    assert!(status.permanent_flags.contains(&"$pending".to_string()));
    assert_eq!(status.highest_modseq, None);

    let list = all(&mut b, "INBOX");
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].uid, 1);
    assert_eq!(list[0].internal_date, 1_700_000_000);
    assert_eq!(list[0].subject(), "Question 1");
    assert_eq!(list[0].size, message(1).len() as u64);
    assert!(!list[0].flags.seen);
    assert!(list[1].flags.seen);
    assert_eq!(list[1].keywords, ["$pending"]);

    assert_eq!(b.fetch("INBOX", 2).unwrap(), message(2));
    assert!(matches!(
        b.fetch("INBOX", 99),
        Err(BackendError::NoMessage { uid: 99, .. })
    ));

    // Store flags and keywords; `unchanged_since` is accepted but cannot be checked.
    let change = FlagChange {
        add_flags: Flags {
            answered: true,
            flagged: true,
            ..Flags::default()
        },
        add_keywords: vec!["$assigned.alice".into(), "$done".into()],
        ..FlagChange::default()
    };
    assert_eq!(
        b.store("INBOX", 1, &change, Some(5)).unwrap(),
        StoreOutcome::Stored { modseq: None }
    );
    let change = FlagChange {
        remove_keywords: vec!["$DONE".into()],
        remove_flags: Flags {
            flagged: true,
            ..Flags::default()
        },
        ..FlagChange::default()
    };
    b.store("INBOX", 1, &change, None).unwrap();
    let s = &all(&mut b, "INBOX")[0];
    assert!(s.flags.answered && !s.flags.flagged && !s.flags.seen);
    assert_eq!(s.keywords, ["$assigned.alice"]);

    // A bad keyword never reaches the disk.
    let bad = FlagChange {
        add_keywords: vec!["bad keyword".into()],
        ..FlagChange::default()
    };
    assert!(matches!(
        b.store("INBOX", 1, &bad, None),
        Err(BackendError::BadKeyword { .. })
    ));

    // Move into Sent: new UID there, keywords translated to the target's letters.
    let moved = b.move_to("INBOX", 1, "Sent").unwrap();
    assert_eq!(moved, Some(1));
    assert_eq!(all(&mut b, "INBOX").len(), 1);
    let sent = all(&mut b, "Sent");
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].subject(), "Question 1");
    assert_eq!(sent[0].keywords, ["$assigned.alice"]);
    assert!(sent[0].flags.answered);
    assert_eq!(sent[0].internal_date, 1_700_000_000);
    let kw = fs::read_to_string(root.join(".Sent/dovecot-keywords")).unwrap();
    assert_eq!(kw, "0 $assigned.alice\n");
    assert!(root.join(".Sent/maildirfolder").exists());

    // Reopen: everything is on disk.
    let mut b2 = MaildirBackend::open("support", &root).unwrap();
    assert_eq!(all(&mut b2, "INBOX").len(), 1);
    assert_eq!(all(&mut b2, "Sent")[0].uid, 1);
    assert_eq!(
        b2.status("INBOX").unwrap().uid_validity,
        status.uid_validity
    );
}

#[test]
fn keywords_are_stored_like_dovecot() {
    let (_tmp, root, mut b) = new_account();
    let kws: Vec<String> = vec!["$pending".into(), "$assigned.bob".into()];
    b.append("INBOX", &message(1), seen(), &kws, None).unwrap();
    let table = fs::read_to_string(root.join("dovecot-keywords")).unwrap();
    assert_eq!(table, "0 $pending\n1 $assigned.bob\n");
    let cur = files(&root.join("cur"));
    assert_eq!(cur.len(), 1);
    let name = &cur[0];
    assert!(name.ends_with(":2,Sab"), "{name}");
    assert!(
        name.contains(&format!(",S={},W=", message(1).len())),
        "{name}"
    );
    assert!(files(&root.join("tmp")).is_empty());

    // Flags change renames the file; system letters sort before keyword letters.
    let change = FlagChange {
        add_flags: Flags {
            flagged: true,
            draft: true,
            ..Flags::default()
        },
        add_keywords: vec!["$done".into()],
        remove_keywords: vec!["$pending".into()],
        ..FlagChange::default()
    };
    b.store("INBOX", 1, &change, None).unwrap();
    let cur = files(&root.join("cur"));
    assert!(cur[0].ends_with(":2,DFSbc"), "{}", cur[0]);
    assert_eq!(
        fs::read_to_string(root.join("dovecot-keywords")).unwrap(),
        "0 $pending\n1 $assigned.bob\n2 $done\n"
    );

    // Another program's letters and table entries are read back.
    let base = cur[0].split(':').next().unwrap().to_string();
    fs::rename(
        root.join("cur").join(&cur[0]),
        root.join("cur").join(format!("{base}:2,PRSa")),
    )
    .unwrap();
    let s = &all(&mut b, "INBOX")[0];
    assert!(s.flags.answered && s.flags.seen && !s.flags.flagged);
    assert_eq!(s.keywords, ["$pending"]);
    // An unknown letter (P, "passed") survives our next rename.
    b.store(
        "INBOX",
        1,
        &FlagChange {
            add_flags: Flags {
                flagged: true,
                ..Flags::default()
            },
            ..FlagChange::default()
        },
        None,
    )
    .unwrap();
    assert!(files(&root.join("cur"))[0].ends_with(":2,FPRSa"));
}

#[test]
fn at_most_26_keywords_per_mailbox() {
    let (_tmp, root, mut b) = new_account();
    b.append("INBOX", &message(1), Flags::default(), &[], None)
        .unwrap();
    let many: Vec<String> = (0..26).map(|i| format!("$k{i}")).collect();
    b.store(
        "INBOX",
        1,
        &FlagChange {
            add_keywords: many,
            ..FlagChange::default()
        },
        None,
    )
    .unwrap();
    let status = b.status("INBOX").unwrap();
    assert!(!status.permanent_flags.contains(&"\\*".to_string()));
    let err = b
        .store(
            "INBOX",
            1,
            &FlagChange {
                add_keywords: vec!["$one-too-many".into()],
                ..FlagChange::default()
            },
            None,
        )
        .unwrap_err();
    assert!(matches!(err, BackendError::Refused { .. }), "{err}");
    assert!(err.to_string().contains("26"));
    let table = fs::read_to_string(root.join("dovecot-keywords")).unwrap();
    assert_eq!(table.lines().count(), 26);
    assert!(table.starts_with("0 $k0\n") && table.contains("25 $k25\n"));
    assert!(files(&root.join("cur"))[0].ends_with(":2,abcdefghijklmnopqrstuvwxyz"));
}

#[test]
fn existing_dovecot_uidlist_is_respected() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("shared");
    for d in ["cur", "new", "tmp"] {
        fs::create_dir_all(root.join(d)).unwrap();
    }
    let a = "1700000001.M1P10.mail,S=120,W=124";
    let c = "1700000002.M2P10.mail";
    let n = "1700000003.M3P10.mail";
    fs::write(root.join("cur").join(format!("{a}:2,S")), message(1)).unwrap();
    fs::write(root.join("cur").join(format!("{c}:2,FRab")), message(2)).unwrap();
    fs::write(root.join("new").join(n), message(3)).unwrap();
    // Delivered but never seen by Dovecot, and some junk that is not mail.
    fs::write(root.join("new").join("1800000000.M9P11.mail"), message(4)).unwrap();
    fs::write(root.join("cur").join(".hidden"), b"x").unwrap();
    fs::create_dir(root.join("cur").join("subdir")).unwrap();
    fs::write(
        root.join("dovecot-uidlist"),
        format!(
            "3 V1234567890 N12 G00112233445566778899aabbccddeeff\n\
             3 W124 S120 :{a}\n7 :{c}\n11 GAAAAAAAA :{n}\n"
        ),
    )
    .unwrap();
    fs::write(
        root.join("dovecot-keywords"),
        "0 $pending\n1 $assigned.alice\n",
    )
    .unwrap();

    let mut b = MaildirBackend::open("shared", &root).unwrap();
    let list = all(&mut b, "INBOX");
    let uids: Vec<u32> = list.iter().map(|s| s.uid).collect();
    assert_eq!(uids, [3, 7, 11, 12]);
    assert_eq!(list[1].keywords, ["$pending", "$assigned.alice"]);
    assert!(list[1].flags.flagged && list[1].flags.answered);
    assert_eq!(list[2].subject(), "Question 3");
    // new/ was moved to cur/ with an empty info part, as Dovecot does on SELECT.
    assert!(files(&root.join("new")).is_empty());
    assert!(files(&root.join("cur")).contains(&format!("{n}:2,")));

    let text = fs::read_to_string(root.join("dovecot-uidlist")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "3 V1234567890 N13 G00112233445566778899aabbccddeeff"
    );
    assert_eq!(lines[1], format!("3 W124 S120 :{a}"));
    assert_eq!(lines[3], format!("11 GAAAAAAAA :{n}"));
    assert_eq!(lines[4], "12 :1800000000.M9P11.mail");
    assert!(!root.join("dovecot-uidlist.lock").exists());
    assert!(!root.join("dovecot-uidlist.tmp").exists());

    // Stable across reopen, and UIDVALIDITY is the one Dovecot chose.
    let mut b2 = MaildirBackend::open("shared", &root).unwrap();
    let again: Vec<u32> = all(&mut b2, "INBOX").iter().map(|s| s.uid).collect();
    assert_eq!(again, [3, 7, 11, 12]);
    let st = b2.status("INBOX").unwrap();
    assert_eq!(
        (st.uid_validity, st.uid_next, st.exists),
        (1234567890, 13, 4)
    );

    // A line Dovecot is appending right now (no newline yet) is not misread.
    let mut partial = fs::read_to_string(root.join("dovecot-uidlist")).unwrap();
    partial.push_str("13 :1900000000.M1P1.mail");
    fs::write(root.join("dovecot-uidlist"), partial).unwrap();
    assert_eq!(all(&mut b2, "INBOX").len(), 4);
}

#[test]
fn files_from_other_programs_get_new_uids() {
    let (_tmp, root, mut b) = new_account();
    b.append("INBOX", &message(1), Flags::default(), &[], None)
        .unwrap();
    assert_eq!(all(&mut b, "INBOX").len(), 1);
    // A delivery agent drops files into new/ while we have the mailbox open.
    for i in 0..3 {
        fs::write(
            root.join("new").join(format!("17000000{i}0.M{i}P99.mx")),
            message(10 + i),
        )
        .unwrap();
    }
    let list = all(&mut b, "INBOX");
    let uids: Vec<u32> = list.iter().map(|s| s.uid).collect();
    assert_eq!(uids, [1, 2, 3, 4]);
    assert_eq!(list[1].subject(), "Question 10");
    // The next append does not reuse any of them.
    let uid = b
        .append("INBOX", &message(5), Flags::default(), &[], None)
        .unwrap();
    assert_eq!(uid, Some(5));
}

#[test]
fn concurrent_writers_never_share_a_uid() {
    let (_tmp, root, _b) = new_account();
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let root = root.clone();
            std::thread::spawn(move || {
                let mut b = MaildirBackend::open("support", &root).unwrap();
                b.set_durable(false);
                (0..15)
                    .map(|i| {
                        b.append("INBOX", &message(t * 100 + i), Flags::default(), &[], None)
                            .unwrap()
                            .unwrap()
                    })
                    .collect::<Vec<u32>>()
            })
        })
        .collect();
    let mut uids: Vec<u32> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    uids.sort_unstable();
    assert_eq!(uids, (1..=60).collect::<Vec<u32>>());
    let mut b = MaildirBackend::open("support", &root).unwrap();
    assert_eq!(all(&mut b, "INBOX").len(), 60);
    let text = fs::read_to_string(root.join("dovecot-uidlist")).unwrap();
    assert_eq!(text.lines().count(), 61);
}

#[test]
fn files_vanishing_or_renamed_mid_list() {
    let (_tmp, root, mut b) = new_account();
    b.set_durable(false);
    for i in 0..503 {
        b.append("INBOX", &message(i), Flags::default(), &[], None)
            .unwrap();
    }
    let file_of = |uid: u32| -> String {
        let text = fs::read_to_string(root.join("dovecot-uidlist")).unwrap();
        let base = text
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{uid} :")))
            .unwrap()
            .to_string();
        files(&root.join("cur"))
            .into_iter()
            .find(|f| f.starts_with(&format!("{base}:")))
            .unwrap()
    };
    let gone = file_of(501);
    let renamed = file_of(502);
    let mut batches = Vec::new();
    b.summaries("INBOX", 1, &mut |batch| {
        if batches.is_empty() {
            // Between two batches another client expunges one and flags another.
            fs::remove_file(root.join("cur").join(&gone)).unwrap();
            let base = renamed.split(':').next().unwrap();
            fs::rename(
                root.join("cur").join(&renamed),
                root.join("cur").join(format!("{base}:2,FS")),
            )
            .unwrap();
        }
        batches.push(batch);
    })
    .unwrap();
    assert_eq!(batches.len(), 2);
    assert_eq!(batches[0].len(), 500);
    let last: Vec<u32> = batches[1].iter().map(|s| s.uid).collect();
    assert_eq!(last, [502, 503]);
    assert!(batches[1][0].flags.flagged && batches[1][0].flags.seen);
    // From a later UID only.
    let mut tail = Vec::new();
    b.summaries("INBOX", 503, &mut |batch| tail.extend(batch))
        .unwrap();
    assert_eq!(tail.len(), 1);
    // A store on the renamed message finds it under its new name.
    b.store(
        "INBOX",
        502,
        &FlagChange {
            add_flags: Flags {
                answered: true,
                ..Flags::default()
            },
            ..FlagChange::default()
        },
        None,
    )
    .unwrap();
    assert!(file_of(502).ends_with(":2,FRS"));
}

#[test]
fn hostile_mailbox_names_are_refused() {
    let (tmp, root, mut b) = new_account();
    fs::create_dir_all(tmp.path().join("outside/cur")).unwrap();
    for name in [
        "../outside",
        "..",
        ".Sent",
        "a/b",
        "Sent/../../outside",
        "a..b",
        "x\0y",
        "",
        "Trailing.",
        "INBOX./etc",
    ] {
        let err = b.status(name).unwrap_err();
        assert!(
            matches!(err, BackendError::NoMailbox { .. }),
            "{name:?}: {err}"
        );
    }
    assert!(matches!(
        b.status("Missing"),
        Err(BackendError::NoMailbox { .. })
    ));
    // Legitimate names, including Courier's INBOX. prefix and nesting.
    b.create_mailbox("Archive.2024").unwrap();
    assert!(root.join(".Archive.2024/cur").is_dir());
    b.create_mailbox("Entwürfe").unwrap();
    assert!(root.join(".Entw&APw-rfe/cur").is_dir());
    assert_eq!(b.status("INBOX.Sent").unwrap().exists, 0);
    assert!(b.rights("Sent").unwrap().has('w'));
}

#[test]
fn open_refuses_non_maildir() {
    let tmp = tempfile::tempdir().unwrap();
    assert!(MaildirBackend::open("x", &tmp.path().join("missing")).is_err());
    assert!(MaildirBackend::open("x", tmp.path()).is_err());
}

#[test]
fn stale_lock_of_dead_process_is_overridden() {
    let (_tmp, root, mut b) = new_account();
    // A lock left by a crashed process on this host: Dovecot's "<pid>:<host>".
    let host = fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default();
    if host.is_empty() {
        return;
    }
    let lock = root.join("dovecot-uidlist.lock");
    fs::write(&lock, format!("999999999:{host}")).unwrap();
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(10);
    fs::File::options()
        .write(true)
        .open(&lock)
        .unwrap()
        .set_modified(old)
        .unwrap();
    let uid = b
        .append("INBOX", &message(1), Flags::default(), &[], None)
        .unwrap();
    assert_eq!(uid, Some(1));
    assert!(!lock.exists());
}

#[cfg(unix)]
#[test]
fn read_only_mailbox_reports_lr() {
    use std::os::unix::fs::PermissionsExt;
    let (_tmp, root, mut b) = new_account();
    b.append("INBOX", &message(1), Flags::default(), &[], None)
        .unwrap();
    let set = |mode| {
        for d in ["", "cur", "new", "tmp"] {
            fs::set_permissions(root.join(d), fs::Permissions::from_mode(mode)).unwrap();
        }
    };
    set(0o555);
    // Root ignores permissions; nothing to check then.
    let probe = fs::File::create(root.join("tmp").join("probe"));
    if probe.is_ok() {
        set(0o755);
        return;
    }
    let mut ro = MaildirBackend::open("support", &root).unwrap();
    assert_eq!(ro.rights("INBOX").unwrap().to_string(), "lr");
    let st = ro.status("INBOX").unwrap();
    assert!(st.read_only && st.permanent_flags.is_empty());
    assert_eq!(all(&mut ro, "INBOX").len(), 1);
    let err = ro.store(
        "INBOX",
        1,
        &FlagChange {
            add_flags: seen(),
            ..FlagChange::default()
        },
        None,
    );
    assert!(err.is_err());
    set(0o755);
}
