//! The demo workspace: it loads as a configuration, its Maildirs open with the backend, and
//! it holds the messages every feature needs.

use std::fs;

use mailroom::backend::Backend;
use mailroom::backend::maildir::MaildirBackend;
use mailroom::demo::{self, DemoError, HOSTILE_SUBJECT_START};
use mailroom::message::Summary;

fn summaries(b: &mut MaildirBackend, mailbox: &str) -> Vec<Summary> {
    let mut out = Vec::new();
    b.summaries(mailbox, 1, &mut |batch| out.extend(batch))
        .expect("summaries");
    out
}

#[test]
fn demo_builds_loads_and_has_the_special_messages() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let now = 1_790_000_000;
    let ws = demo::build_workspace_at(&dir, false, now).expect("build");
    assert!(ws.created);
    eprintln!(
        "COUNTS {:?}",
        ws.accounts
            .iter()
            .map(|a| (&a.name, a.inbox, a.sent))
            .collect::<Vec<_>>()
    );
    assert_eq!(ws.config_path, dir.join("config.toml"));

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&ws.config_path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let loaded = mailroom::config::load(&ws.config_path).expect("config loads");
    let config = &loaded.config;
    assert_eq!(config.agent.id, "alice");
    let names: Vec<&str> = config.accounts.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["support", "sales", "billing"]);
    assert_eq!(
        config.ui.columns.as_deref(),
        Some(&["support".to_string(), "sales".into(), "billing".into()][..])
    );
    let modes: Vec<&str> = config.accounts.iter().map(|a| a.send.as_str()).collect();
    assert_eq!(modes, ["as", "on-behalf", "none"]);
    assert_eq!(config.accounts[0].aliases, ["help@example.test"]);

    let mut total = 0;
    let mut all: Vec<(String, &'static str, Summary)> = Vec::new();
    for account in &config.accounts {
        let maildir = account.maildir.as_ref().expect("maildir account");
        assert!(
            maildir.path.is_absolute(),
            "resolved against the config dir"
        );
        let mut b = MaildirBackend::open(&account.name, &maildir.path).expect("open");
        let inbox = summaries(&mut b, &maildir.mailbox);
        let sent_name = maildir.sent.as_deref().expect("sent folder");
        let sent = summaries(&mut b, sent_name);
        let status = b.status("INBOX").unwrap();
        assert_eq!(status.exists as usize, inbox.len());
        assert!(status.keywords_permanent());
        let reported = ws.accounts.iter().find(|a| a.name == account.name).unwrap();
        assert_eq!((reported.inbox, reported.sent), (inbox.len(), sent.len()));
        let n = inbox.len() + sent.len();
        match account.name.as_str() {
            "support" => assert!((150..=230).contains(&n), "support: {n}"),
            "sales" => assert!((70..=120).contains(&n), "sales: {n}"),
            _ => assert!((45..=80).contains(&n), "billing: {n}"),
        }
        assert!(!sent.is_empty());
        total += n;
        // Every message parses into something a list can show, dated within the demo span.
        for s in inbox.iter().chain(&sent) {
            assert!(
                !s.from().is_empty(),
                "{}: uid {} has no From",
                account.name,
                s.uid
            );
            assert!(!s.subject().is_empty());
            assert!(s.message_id().is_some());
            assert!(s.internal_date <= now && s.internal_date > now - 30 * 86_400);
            let date = s.date.expect("Date header");
            assert!(
                (date - s.internal_date).abs() < 3600,
                "Date far from INTERNALDATE"
            );
        }
        // UIDs come in arrival order.
        assert!(
            inbox
                .windows(2)
                .all(|w| w[0].internal_date <= w[1].internal_date)
        );
        for s in inbox {
            all.push((account.name.clone(), "INBOX", s));
        }
        for s in sent {
            all.push((account.name.clone(), "Sent", s));
        }
    }
    assert!((280..=420).contains(&total), "total {total}");

    let find =
        |pred: &dyn Fn(&(String, &str, Summary)) -> bool| all.iter().filter(|x| pred(x)).count();

    // The hostile message: escapes in From name and Subject, decoded, plus a traversal name.
    let hostile: Vec<_> = all
        .iter()
        .filter(|(_, _, s)| s.subject().starts_with(HOSTILE_SUBJECT_START))
        .collect();
    assert_eq!(hostile.len(), 1);
    let (acct, _, h) = hostile[0];
    assert_eq!(acct, "support");
    assert!(
        h.subject().contains('\x1b')
            && h.subject().contains('\u{9b}')
            && h.subject().contains('\u{202e}')
    );
    assert!(h.from().next().unwrap().name.unwrap().contains("\x1b]0;"));
    assert!(h.has_attachment);
    let maildir = &config.accounts[0].maildir.as_ref().unwrap().path;
    let mut b = MaildirBackend::open("support", maildir).unwrap();
    let raw = b.fetch("INBOX", h.uid).unwrap();
    assert!(raw.is_ascii(), "hostile message is 7-bit MIME on the wire");
    let body = mailroom::mail::parse::text_body(&raw);
    for needle in [
        "\x1b[31m",
        "\x1b]52;c;",
        "\x1b]8;;",
        "\x1bP",
        "\u{9b}",
        "\u{202e}",
        "\0",
        "\x08",
    ] {
        assert!(body.contains(needle), "hostile body lacks {needle:?}");
    }
    assert!(String::from_utf8_lossy(&raw).contains("../../../.ssh/authorized_keys"));

    // Non-ASCII subjects and names decode.
    for needle in [
        "ログインできません",
        "Frage zur Rechnung für März",
        "Problème de facturation",
        "Ошибка при оплате",
        "关于企业版的咨询",
    ] {
        assert!(
            all.iter().any(|(_, _, s)| s.subject().contains(needle)),
            "no subject with {needle:?}"
        );
    }
    for name in ["Zoë Müller", "山田太郎", "Smith, John", "Ingrid Bjørnstad"] {
        assert!(
            all.iter()
                .any(|(_, _, s)| s.from().iter().any(|a| a.name == Some(name))),
            "no mail from {name:?}"
        );
    }

    // Mail that reached the help@ alias.
    assert!(
        find(&|(a, m, s)| a == "support"
            && *m == "INBOX"
            && s.to().iter().any(|t| t.email == "help@example.test")
            && s.delivered_to().iter().any(|d| d == "help@example.test"))
            >= 1
    );

    // Attachments, HTML-only mail, threads, on-behalf Sent copies, team keywords.
    assert!(find(&|(_, _, s)| s.has_attachment) >= 5);
    assert!(
        find(&|(_, m, s)| *m == "INBOX"
            && !s.in_reply_to().is_empty()
            && s.subject().starts_with("Re: "))
            >= 5
    );
    assert!(find(&|(a, m, s)| a == "sales" && *m == "Sent" && !s.sender().is_empty()) >= 3);
    assert!(find(&|(a, m, s)| a == "support" && *m == "Sent" && s.sender().is_empty()) >= 3);
    assert!(find(&|(_, _, s)| s.keywords.iter().any(|k| k == "$assigned.alice")) >= 3);
    assert!(find(&|(_, _, s)| s.keywords.iter().any(|k| k == "$pending")) >= 3);
    assert!(find(&|(_, _, s)| s.keywords.iter().any(|k| k == "$done")) >= 3);
    assert_eq!(
        find(&|(_, _, s)| s.keywords.iter().any(|k| k == "$replying.bob")),
        1
    );
    assert_eq!(
        find(&|(_, _, s)| s.keywords.iter().any(|k| k.starts_with("$snoozed."))),
        1
    );
    assert!(find(&|(_, m, s)| *m == "INBOX" && !s.flags.seen) >= 20);
    assert!(find(&|(_, _, s)| s.flags.flagged) >= 3);
    assert!(find(&|(_, _, s)| s.flags.answered) >= 20);
    // Mail sent on someone's behalf arrives too (From + Sender + Reply-To).
    assert!(
        find(&|(a, m, s)| a == "sales"
            && *m == "INBOX"
            && !s.sender().is_empty()
            && !s.reply_to().is_empty())
            >= 1
    );
    let html_only = all
        .iter()
        .filter(|(a, m, s)| {
            a == "billing" && *m == "INBOX" && s.subject().starts_with("Payment failed")
        })
        .count();
    assert_eq!(html_only, 3);
    // The newest mail is minutes old.
    let newest = all.iter().map(|(_, _, s)| s.internal_date).max().unwrap();
    assert!(now - newest < 30 * 60);

    // Non-ASCII attachment name (RFC 2231) survives.
    let billing = &config.accounts[2].maildir.as_ref().unwrap().path;
    let mut b = MaildirBackend::open("billing", billing).unwrap();
    let rechnung = summaries(&mut b, "INBOX")
        .into_iter()
        .find(|s| s.subject().contains("falsche USt-IdNr."))
        .expect("Rechnung mail");
    assert!(rechnung.has_attachment);
    let raw = b.fetch("INBOX", rechnung.uid).unwrap();
    assert!(String::from_utf8_lossy(&raw).contains("filename*=UTF-8''Rechnung_M%C3%A4rz.pdf"));
}

#[test]
fn demo_is_reused_reset_and_never_clobbers_foreign_dirs() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let first = demo::build_workspace(&dir, false).unwrap();
    assert!(first.created);
    assert!(dir.join(demo::MARKER).is_file());
    let config_before = fs::read_to_string(&first.config_path).unwrap();

    // A user's edit and an extra file survive a plain rerun.
    fs::write(&first.config_path, format!("{config_before}\n# my edit\n")).unwrap();
    let again = demo::build_workspace(&dir, false).unwrap();
    assert!(!again.created);
    assert!(
        fs::read_to_string(&again.config_path)
            .unwrap()
            .ends_with("# my edit\n")
    );
    assert_eq!(
        again
            .accounts
            .iter()
            .map(|a| a.inbox + a.sent)
            .sum::<usize>(),
        first
            .accounts
            .iter()
            .map(|a| a.inbox + a.sent)
            .sum::<usize>()
    );

    // Reset rebuilds from scratch.
    fs::write(dir.join("stray.txt"), "x").unwrap();
    let reset = demo::build_workspace(&dir, true).unwrap();
    assert!(reset.created);
    assert!(!dir.join("stray.txt").exists());
    assert_eq!(
        fs::read_to_string(&reset.config_path).unwrap(),
        config_before
    );

    // A half-built demo (marker but no config) is rebuilt without asking.
    fs::remove_file(&reset.config_path).unwrap();
    assert!(demo::build_workspace(&dir, false).unwrap().created);

    // A directory that is not ours is refused, with or without reset, and left alone.
    let foreign = tmp.path().join("mine");
    fs::create_dir(&foreign).unwrap();
    fs::write(foreign.join("thesis.tex"), "precious").unwrap();
    for reset in [false, true] {
        let err = demo::build_workspace(&foreign, reset).unwrap_err();
        assert!(matches!(err, DemoError::NotEmpty(_)), "{err}");
        assert!(err.to_string().contains(".mailroom-demo"));
    }
    assert_eq!(
        fs::read_to_string(foreign.join("thesis.tex")).unwrap(),
        "precious"
    );
    assert_eq!(fs::read_dir(&foreign).unwrap().count(), 1);

    // A file where the directory should be.
    let file = tmp.path().join("file");
    fs::write(&file, "x").unwrap();
    assert!(matches!(
        demo::build_workspace(&file, true),
        Err(DemoError::NotADirectory(_))
    ));

    // An empty existing directory is fine.
    let empty = tmp.path().join("empty");
    fs::create_dir(&empty).unwrap();
    assert!(demo::build_workspace(&empty, false).unwrap().created);
}
