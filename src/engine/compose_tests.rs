//! The compose pane's file work in the engine: what the preview reads and builds, what an
//! attachment check answers, and the events they make.

use std::time::{Duration, UNIX_EPOCH};

use super::*;
use crate::config::Config;
use crate::engine::reply::{Kind, plan};

const CONFIG: &str = r#"
[agent]
id = "alice"
name = "Alice Example"
email = "alice@example.test"

[[account]]
name = "support"
address = "support@example.test"
send = "as"
[account.maildir]
path = "/nonexistent/support"

[[account]]
name = "closed"
address = "closed@example.test"
send = "none"
[account.maildir]
path = "/nonexistent/closed"
"#;

fn typed(account: usize, attachments: Vec<PathBuf>) -> Typed {
    let config: Config = toml::from_str(CONFIG).unwrap();
    Typed {
        forwarded: Vec::new(),
        plan: plan(&config, &config.accounts[account], Kind::New, None, None),
        to: "carol@customer.test".into(),
        cc: String::new(),
        bcc: "boss@example.test".into(),
        subject: "Figures".into(),
        text: "Attached.".into(),
        attachments,
        now: UNIX_EPOCH + Duration::from_secs(1_795_780_800),
    }
}

#[test]
fn the_preview_reads_the_files_and_builds_the_exact_message() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("figures.csv");
    std::fs::write(&file, "a,b\n1,2\n").unwrap();
    let built = preview(typed(0, vec![file])).unwrap();
    assert_eq!(built.identity.from, "support@example.test");
    assert_eq!(built.outgoing.mail_from, "support@example.test");
    assert_eq!(
        built.outgoing.recipients,
        ["carol@customer.test", "boss@example.test"]
    );
    let raw = String::from_utf8_lossy(&built.outgoing.raw).into_owned();
    assert!(raw.contains("Subject: Figures\r\n"), "{raw}");
    assert!(
        raw.contains("text/csv") && raw.contains("figures.csv"),
        "{raw}"
    );
    assert!(!raw.to_ascii_lowercase().contains("\nbcc:"), "{raw}");
}

#[test]
fn preview_errors_come_in_the_order_the_pane_always_showed_them() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("gone.pdf");
    // A file that cannot be read first, even with a bad address too.
    let mut t = typed(0, vec![missing.clone()]);
    t.to = "not an address".into();
    let e = preview(t.clone()).unwrap_err();
    assert!(matches!(&e, PreviewError::Attachment { path, .. } if *path == missing));
    assert!(
        e.to_string()
            .starts_with(&format!("attachment {}: ", missing.display())),
        "{e}"
    );
    // Then the recipients as typed, in the words of the header check.
    t.attachments.clear();
    let e = preview(t.clone()).unwrap_err();
    assert!(matches!(e, PreviewError::Recipients(_)), "{e:?}");
    assert!(e.to_string().contains("not an address"), "{e}");
    // Then what the build refuses: a line break in the subject.
    t.to = "carol@customer.test".into();
    t.subject = "two\r\nlines".into();
    assert!(matches!(preview(t).unwrap_err(), PreviewError::Build(_)));
    // An account that may not send.
    let e = preview(typed(1, Vec::new())).unwrap_err();
    assert!(matches!(e, PreviewError::Build(_)), "{e:?}");
}

#[test]
fn only_a_file_can_be_attached() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.txt");
    std::fs::write(&file, "x").unwrap();
    assert_eq!(check_attachment(&file), Ok(()));
    for p in [dir.path().to_path_buf(), dir.path().join("missing")] {
        let e = check_attachment(&p).unwrap_err();
        assert_eq!(e, AttachError::NoSuchFile { path: p.clone() });
        assert_eq!(e.to_string(), format!("{}: no such file", p.display()));
    }
}

#[test]
fn the_answers_name_their_request() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing");
    let attach = Request::Attach {
        draft_id: "d1".into(),
        path: path.clone(),
    };
    let Some(Event::Attached {
        draft_id,
        path: p,
        result,
    }) = answer(attach.clone())
    else {
        panic!()
    };
    assert_eq!((draft_id.as_str(), &p), ("d1", &path));
    assert!(matches!(result, Err(AttachError::NoSuchFile { .. })));
    let preview = Request::Preview {
        id: 9,
        typed: Box::new(typed(0, Vec::new())),
    };
    assert!(matches!(
        answer(preview.clone()),
        Some(Event::Previewed {
            id: 9,
            result: Ok(_)
        })
    ));
    // A job that gave no answer still answers the request.
    assert!(matches!(
        failed(&preview, "internal error: boom"),
        Some(Event::Previewed { id: 9, result: Err(PreviewError::Job(e)) }) if e == "internal error: boom"
    ));
    assert!(matches!(
        failed(&attach, "boom"),
        Some(Event::Attached {
            result: Err(AttachError::Job { .. }),
            ..
        })
    ));
    // Other requests are not the compose pane's.
    assert!(answer(Request::Refresh { account_idx: 0 }).is_none());
}
