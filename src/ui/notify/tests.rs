//! The trigger logic: driven through `app::update` with the engine's events, as the run loop
//! does.

use std::path::Path;
use std::sync::Arc;

use super::*;
use crate::imap::sync::FlagUpdate;
use crate::message::{Address, Fields, Flags};
use crate::triage::act::{Applied, MappingKind};
use crate::triage::state::TeamState;
use crate::ui::app::update;
use crate::ui::event::Event;
use crate::ui::theme::{BUILTIN, Theme};

const NOW: i64 = 1_800_000_000;

fn row(uid: u32, subject: &str) -> Summary {
    Summary::new(Fields {
        uid,
        internal_date: NOW - 1000 + i64::from(uid),
        subject: subject.to_string(),
        from: vec![Address {
            name: Some("Carol Customer".into()),
            email: "carol@example.test".into(),
        }],
        ..Fields::default()
    })
}

fn config(notify: &str) -> Arc<crate::config::Config> {
    let text = format!(
        "[agent]\nid = \"alice\"\nname = \"Alice\"\nemail = \"alice@example.test\"\n\
         [ui.notify]\n{notify}\n\
         [[account]]\nname = \"support\"\naddress = \"support@example.test\"\nsend = \"none\"\n\
         sent_copy = \"none\"\n[account.imap]\nhost = \"127.0.0.1\"\nport = 993\n\
         login = \"alice\"\npassword_command = \"true\"\nmailbox = \"INBOX\"\n"
    );
    Arc::new(
        crate::config::parse(&text, Path::new("/tmp/c.toml"))
            .expect("config")
            .config,
    )
}

fn app_with(notify: &str) -> App {
    let theme = Theme::parse(BUILTIN[0].1, "default").expect("theme");
    let mut app = App::new(&[(0, "support".to_string())], theme, false)
        .with_agent("alice")
        .with_config(config(notify));
    update(&mut app, Event::Tick(NOW));
    update(&mut app, Event::Resize(120, 30));
    app
}

fn rows(app: &mut App, rows: Vec<Summary>) -> Vec<Request> {
    update(
        app,
        EngineEvent::Rows {
            account_idx: 0,
            rows,
        },
    )
}

fn synced(app: &mut App) {
    update(
        app,
        EngineEvent::Synced {
            account_idx: 0,
            exists: 3,
        },
    );
}

fn flags(app: &mut App, uid: u32, keywords: &[&str], seen: bool) {
    update(
        app,
        EngineEvent::Flags {
            account_idx: 0,
            updates: vec![FlagUpdate {
                uid,
                flags: Flags {
                    seen,
                    ..Flags::default()
                },
                keywords: keywords.iter().map(|k| k.to_string()).collect(),
                modseq: None,
            }],
        },
    );
}

/// The cache and the first sync: three rows, no notification.
fn started(notify: &str) -> App {
    let mut app = app_with(notify);
    update(
        &mut app,
        EngineEvent::Cached {
            account_idx: 0,
            rows: vec![row(1, "cached one"), row(2, "cached two")],
        },
    );
    assert!(rows(&mut app, vec![row(3, "first sync")]).is_empty());
    synced(&mut app);
    assert_eq!(
        app.notify.raised(),
        0,
        "the cache and the first sync never notify"
    );
    assert_eq!(app.notify.new_count(), 0);
    app
}

#[test]
fn only_mail_arriving_after_the_first_sync_notifies_once_per_batch() {
    let mut app = started("bell = true");
    // A row seen again (a refresh) is not new.
    rows(&mut app, vec![row(2, "cached two")]);
    assert_eq!(app.notify.raised(), 0);
    // Two new messages in one batch: one notification, both highlighted.
    rows(&mut app, vec![row(4, "Printer on fire"), row(5, "Refund")]);
    assert_eq!(app.notify.raised(), 1);
    assert!(app.notify.is_new(0, 4) && app.notify.is_new(0, 5));
    let alerts = app.notify.take_alerts();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].count, 2);
    assert_eq!(alerts[0].subject, "Refund");
    assert_eq!(alerts[0].from, "Carol Customer <carol@example.test>");
    assert!(app.notify.take_alerts().is_empty(), "taken once");
    // A message already read elsewhere does not notify.
    let mut read = row(6, "read already");
    read.flags.seen = true;
    rows(&mut app, vec![read]);
    assert_eq!(app.notify.raised(), 1);
    // Old mail moved in (un-archived: a new UID, its old arrival time) is not new.
    let mut old = row(7, "from the archive");
    old.internal_date = NOW - 30 * 86_400;
    rows(&mut app, vec![old]);
    assert_eq!(app.notify.raised(), 1);
    assert!(!app.notify.is_new(0, 7));
    // Another synced (a reconnect) does not re-arm below what was seen.
    synced(&mut app);
    rows(&mut app, vec![row(5, "Refund")]);
    assert_eq!(app.notify.raised(), 1);
}

#[test]
fn a_reset_mailbox_starts_over_without_notifying() {
    let mut app = started("");
    update(
        &mut app,
        EngineEvent::Reset {
            account_idx: 0,
            reason: "UIDVALIDITY changed".into(),
        },
    );
    rows(&mut app, vec![row(1, "again"), row(9, "again too")]);
    assert_eq!(app.notify.raised(), 0);
    synced(&mut app);
    rows(&mut app, vec![row(10, "really new")]);
    assert_eq!(app.notify.raised(), 1);
}

#[test]
fn a_teammates_assignment_notifies_and_my_own_claim_does_not() {
    let mut app = started("");
    // bob assigns row 1 to alice: a notification and a highlight.
    flags(&mut app, 1, &["$assigned.ALICE"], false);
    assert_eq!(app.notify.raised(), 1);
    assert!(app.notify.is_new(0, 1));
    // Still mine: no second notification.
    flags(&mut app, 1, &["$assigned.alice", "$pending"], false);
    assert_eq!(app.notify.raised(), 1);
    // Assigned to bob: nothing.
    flags(&mut app, 2, &["$assigned.bob"], false);
    assert_eq!(app.notify.raised(), 1);
    // My own claim, answered before the flags come back.
    app.pending_triage.insert(77, (0, 2, TriageAction::Claim));
    update(
        &mut app,
        EngineEvent::TriageDone {
            account_idx: 0,
            id: 77,
            uid: 2,
            result: Ok(Applied {
                uid: 2,
                action: "claim",
                before: TeamState::default(),
                after: TeamState::default(),
                rounds: 1,
                mapping: MappingKind::Keywords,
                moved_to: None,
                modseq: None,
            }),
        },
    );
    flags(&mut app, 2, &["$assigned.alice"], false);
    assert_eq!(app.notify.raised(), 1, "my own claim");
    // My own claim whose flags come back before the answer.
    app.pending_triage
        .insert(78, (0, 3, TriageAction::Assign("alice".into())));
    flags(&mut app, 3, &["$assigned.alice"], false);
    assert_eq!(app.notify.raised(), 1, "my own assignment");
}

#[test]
fn a_row_is_highlighted_until_opened_read_or_selected_a_moment() {
    let mut app = started("");
    rows(
        &mut app,
        vec![row(4, "four"), row(5, "five"), row(6, "six")],
    );
    assert_eq!(app.notify.new_count(), 3);
    // Marked read by anyone.
    flags(&mut app, 4, &[], true);
    assert!(!app.notify.is_new(0, 4));
    // Row 6 arrived under the selection (newest first, at the top): nobody may be looking.
    assert_eq!(app.columns[0].selected_row().map(|s| s.uid), Some(6));
    update(&mut app, Event::Tick(NOW + 10));
    update(&mut app, Event::Tick(NOW + 20));
    assert!(app.notify.is_new(0, 6), "not seen without a key");
    // Selected with a key, then for a moment.
    let j = crossterm::event::KeyEvent::from(crossterm::event::KeyCode::Char('j'));
    let k = crossterm::event::KeyEvent::from(crossterm::event::KeyCode::Char('k'));
    update(&mut app, Event::Key(j));
    update(&mut app, Event::Key(k));
    assert_eq!(app.columns[0].selected_row().map(|s| s.uid), Some(6));
    assert!(app.needs_clock(), "the rest is timed by the clock");
    update(&mut app, Event::Tick(NOW + 1));
    assert!(app.notify.is_new(0, 6));
    update(&mut app, Event::Tick(NOW + 1 + REST_SECS));
    assert!(!app.notify.is_new(0, 6));
    // Opened in the reader.
    update(&mut app, Event::Key(j));
    let enter = crossterm::event::KeyEvent::from(crossterm::event::KeyCode::Enter);
    update(&mut app, Event::Key(enter));
    assert!(app.reader().is_some_and(|r| r.uid == 5));
    assert!(!app.notify.is_new(0, 5));
    assert_eq!(app.notify.new_count(), 0);
}

#[test]
fn the_title_counts_unread_and_new_with_account_names_only() {
    let mut app = started("");
    assert_eq!(
        app.notify.take_title().as_deref(),
        Some("mailroom — 3 unread")
    );
    assert_eq!(app.notify.take_title(), None, "written once");
    rows(&mut app, vec![row(4, "\u{1b}]2;hostile title\u{7}")]);
    let t = app.notify.take_title().expect("changed");
    assert_eq!(t, "mailroom — 4 unread · 1 new (support)");
    assert!(!t.contains("hostile"));
    let off = started("title = false");
    let mut off = off;
    assert_eq!(off.notify.take_title(), None);
}

#[test]
fn the_notify_command_gets_account_sender_and_subject_as_arguments() {
    let mut app = started("command = [\"notify-me\", \"--quiet\"]");
    let asks = rows(&mut app, vec![row(4, "Where is; my `order` $(id)")]);
    let [Request::Notify(cmd)] = asks.as_slice() else {
        panic!("one command: {asks:?}");
    };
    assert_eq!(
        cmd.argv,
        [
            "notify-me",
            "--quiet",
            "support",
            "Carol Customer <carol@example.test>",
            "Where is; my `order` $(id)"
        ]
    );
    assert_eq!((cmd.kind, cmd.count), ("new", 1));
    // Without bell and OSC, nothing is written to the terminal.
    let mut quiet = started("osc = \"off\"");
    rows(&mut quiet, vec![row(4, "x")]);
    assert!(quiet.notify.take_alerts().is_empty());
    assert_eq!(quiet.notify.raised(), 1);
}

#[test]
fn the_bytes_written_for_an_alert_hold_the_bell_and_one_clean_osc() {
    use crate::config::notify::{Notify as Settings, Osc};
    let alert = Alert {
        why: Why::New,
        account: "support".into(),
        from: "Eve".into(),
        subject: "pay\u{7}\u{1b}]777;notify;fake;x\u{7}now".into(),
        count: 1,
    };
    let mut out = Vec::new();
    let bell = Settings {
        bell: true,
        osc: Osc::Osc777,
        ..Settings::default()
    };
    crate::ui::terminal::write_alert(&mut out, &bell, &alert, false).expect("write");
    assert_eq!(out[0], 0x07, "the bell first");
    let osc = &out[1..];
    assert!(osc.starts_with(b"\x1b]777;notify;mailroom: new mail;support: new mail: Eve"));
    assert_eq!(osc.iter().filter(|&&b| b == 0x1b).count(), 1, "{osc:?}");
    assert_eq!(osc.iter().filter(|&&b| b == 0x07).count(), 1, "{osc:?}");
    assert_eq!(osc.iter().filter(|&&b| b == b';').count(), 3, "{osc:?}");
    // The default: no bell, OSC 9; in tmux, wrapped.
    let mut out = Vec::new();
    crate::ui::terminal::write_alert(&mut out, &Settings::default(), &alert, true).expect("w");
    assert!(out.starts_with(b"\x1bPtmux;\x1b\x1b]9;support: new mail: Eve"));
    assert!(out.ends_with(b"\x07\x1b\\"));
    // The title: saved first, then OSC 2.
    let mut out = Vec::new();
    crate::ui::terminal::write_title(&mut out, "mailroom — 1 unread", true).expect("w");
    assert_eq!(out, "\x1b[22;0t\x1b]2;mailroom — 1 unread\x07".as_bytes());
}
