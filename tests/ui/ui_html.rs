//! HTML-only mail in the reader: the demo's "New lead" (a table and a link) and "Payment
//! failed" (a hidden pre-header, a heading, a link) as the engine hands them over, at 80×24,
//! 120×40 and 200×50: blocks apart, the pre-header gone, the URLs listed under the text.

use std::path::Path;

use crossterm::event::KeyCode;

use mailroom::engine::Event as EngineEvent;
use mailroom::engine::translate;
use mailroom::mail::parse::summary_from_raw;
use mailroom::message::Flags;
use mailroom::ui::app::{App, update};
use mailroom::ui::event::Event;

use mailroom::engine::Request;
use mailroom::engine::open::Part;
use mailroom::triage::state::Action as TriageAction;

use crate::ui_support::{NOW, ch, drawn, key, load, press, rows_of, screen, sized, theme};

/// The raw demo message of `account` whose subject starts with `subject`.
fn demo_message(dir: &Path, account: &str, subject: &str) -> Vec<u8> {
    let ws = mailroom::demo::build_workspace_at(dir, false, NOW).expect("demo workspace");
    let acc = ws
        .accounts
        .iter()
        .find(|a| a.name == account)
        .expect("account");
    let needle = format!("Subject: {subject}");
    for sub in ["cur", "new"] {
        let Ok(entries) = std::fs::read_dir(acc.maildir.join(sub)) else {
            continue;
        };
        for e in entries.flatten() {
            let raw = std::fs::read(e.path()).expect("demo file");
            if String::from_utf8_lossy(&raw).contains(&needle) {
                return raw;
            }
        }
    }
    panic!("no demo message {subject:?} in {account}");
}

fn reader_app(raw: &[u8], w: u16, h: u16) -> App {
    let cols = [(0, "demo".to_string())];
    let mut app = sized(App::new(&cols, theme(), false).with_agent("alice"), w, h);
    update(&mut app, Event::Tick(NOW));
    load(
        &mut app,
        0,
        vec![summary_from_raw(
            7,
            raw,
            NOW - 3600,
            Flags::default(),
            Vec::new(),
        )],
    );
    press(&mut app, [key(KeyCode::Enter)]);
    let body = translate::opened(raw.to_vec()).expect("parsed");
    press(
        &mut app,
        [EngineEvent::Body {
            account_idx: 0,
            uid: 7,
            body: Ok(body),
        }],
    );
    press(
        &mut app,
        [EngineEvent::Access {
            account_idx: 0,
            rights: mailroom::policy::rights::Rights::all(),
            team_state: mailroom::triage::folders::TeamStateAt::Keywords,
        }],
    );
    app
}

fn reader(raw: &[u8], w: u16, h: u16) -> String {
    let app = reader_app(raw, w, h);
    rows_of(&drawn(&app))
        .iter()
        .map(|l| l.trim_end())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn new_lead_shows_its_table_and_link() {
    let dir = tempfile::tempdir().expect("tempdir");
    let raw = demo_message(dir.path(), "sales", "New lead: Contoso");
    for (w, h, name) in [
        (80, 24, "new_lead_80x24"),
        (120, 40, "new_lead_120x40"),
        (200, 50, "new_lead_200x50"),
    ] {
        let shown = reader(&raw, w, h);
        assert!(
            shown.contains("https://crm.example.test/leads/5ac1af72"),
            "{shown}"
        );
        assert!(!shown.contains("websiteCompany"), "{shown}");
        insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(format!("ui_html__{name}"), shown);
        });
    }
}

#[test]
fn payment_failed_drops_its_preheader_and_lists_its_link() {
    let dir = tempfile::tempdir().expect("tempdir");
    let raw = demo_message(dir.path(), "billing", "Payment failed: INV-2024-0590");
    for (w, h, name) in [
        (80, 24, "payment_failed_80x24"),
        (120, 40, "payment_failed_120x40"),
        (200, 50, "payment_failed_200x50"),
    ] {
        let shown = reader(&raw, w, h);
        assert!(!shown.contains("Payment failedPayment failed"), "{shown}");
        assert_eq!(
            shown.matches("Payment failed").count(),
            2,
            "subject and heading: {shown}"
        );
        assert!(
            shown.contains("https://dashboard.payments.example/invoices/INV-2024-0590"),
            "{shown}"
        );
        insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(format!("ui_html__{name}"), shown);
        });
    }
}

fn launched(cmds: &[Request]) -> Option<Part> {
    match cmds {
        [Request::Launch { part, .. }] => Some(*part),
        _ => None,
    }
}

#[test]
fn o_opens_the_html_part_or_picks_among_several() {
    let dir = tempfile::tempdir().expect("tempdir");
    let raw = demo_message(dir.path(), "sales", "New lead: Contoso");
    let mut app = reader_app(&raw, 100, 30);
    // One thing to open: at once.
    let cmds = press(&mut app, [ch('o')]);
    assert_eq!(launched(&cmds), Some(Part::Html), "{cmds:?}");
    assert_eq!(app.notice(), Some("opening the HTML part…"));
    press(
        &mut app,
        [EngineEvent::Launched {
            result: Ok("opened the HTML part with xdg-open".into()),
        }],
    );
    assert_eq!(app.notice(), Some("opened the HTML part with xdg-open"));
    press(
        &mut app,
        [EngineEvent::Launched {
            result: Err("xdg-open failed (exit status: 4)".into()),
        }],
    );
    assert_eq!(
        app.error(),
        Some("not opened: xdg-open failed (exit status: 4)")
    );

    // An HTML part and two attachments: the :open line picks.
    let raw = b"From: a@example.test\r\nTo: b@example.test\r\nSubject: s\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/html\r\n\r\n<p>hi</p>\r\n\
--b1\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=\"a.txt\"\r\n\r\none\r\n\
--b1\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=\"b.txt\"\r\n\r\ntwo\r\n--b1--\r\n";
    let mut app = reader_app(raw, 100, 30);
    assert!(press(&mut app, [ch('o')]).is_empty());
    assert!(screen(&app).contains(":open "), "{}", screen(&app));
    let cmds = press(&mut app, [ch('2'), key(KeyCode::Enter)]);
    assert_eq!(launched(&cmds), Some(Part::Attachment(1)), "{cmds:?}");
    press(&mut app, [ch('o')]);
    let cmds = press(&mut app, [key(KeyCode::Enter)]);
    assert_eq!(launched(&cmds), Some(Part::Html), "{cmds:?}");
    press(&mut app, [ch('o'), ch('3'), key(KeyCode::Enter)]);
    assert_eq!(app.error(), Some("no attachment 3: this message has 2"));

    // Nothing to open.
    let plain = b"From: a@example.test\r\nSubject: s\r\n\r\nhello\r\n";
    let mut app = reader_app(plain, 100, 30);
    assert!(press(&mut app, [ch('o')]).is_empty());
    assert_eq!(
        app.notice(),
        Some("nothing to open: no HTML part and no attachments")
    );
    // Reopen is O in the reader.
    let cmds = press(&mut app, [ch('O')]);
    assert!(
        matches!(
            cmds.as_slice(),
            [Request::Triage {
                action: TriageAction::Reopen,
                ..
            }]
        ),
        "{cmds:?}"
    );
}
