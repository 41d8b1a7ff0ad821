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

use crate::ui_support::{NOW, drawn, key, load, press, rows_of, sized, theme};

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

fn reader(raw: &[u8], w: u16, h: u16) -> String {
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
