//! A column's header while a big sync runs: "syncing n/N", fed by the engine's own translation
//! of the IMAP worker's progress, and gone once the sync ends (synced, or the link down). The
//! rows that have arrived are usable meanwhile.

use crossterm::event::KeyCode;

use mailroom::backend::MailboxStatus;
use mailroom::config::TeamStateSetting;
use mailroom::engine::Event as EngineEvent;
use mailroom::engine::translate::from_imap;
use mailroom::engine::worker::{ConnState, WorkerEvent};
use mailroom::imap::sync::SyncEvent;
use mailroom::ui::app::{App, update};
use mailroom::ui::event::Event;

use crate::ui_support;
use ui_support::{NOW, key, msg, press, screen, selected_uid, shown_uids, theme};

fn app() -> App {
    let mut app = App::new(&[(0, "support".to_string())], theme(), false);
    update(&mut app, Event::Resize(120, 30));
    update(&mut app, Event::Tick(NOW));
    app
}

/// What the engine makes of a worker's report, fed to the app.
fn worker(app: &mut App, ev: WorkerEvent) {
    let events: Vec<EngineEvent> = from_imap(0, TeamStateSetting::Auto, ev, NOW);
    press(app, events);
}

fn progress(app: &mut App, held: u32, exists: u32) {
    worker(app, WorkerEvent::Sync(SyncEvent::Progress { held, exists }));
}

fn header(app: &App) -> String {
    screen(app)
        .lines()
        .find(|l| l.contains("support"))
        .unwrap_or_default()
        .to_string()
}

#[test]
fn the_header_shows_a_syncs_progress_until_it_is_synced() {
    let mut app = app();
    worker(&mut app, WorkerEvent::State(ConnState::Connecting));
    progress(&mut app, 0, 5000);
    assert!(
        header(&app).contains("support  syncing · connecting  0/5000 · 0 unread"),
        "{}",
        header(&app)
    );
    // The newest batch first: shown, and usable while the rest streams in.
    let newest = (4998..=5000).map(|u| msg(u, i64::from(5000 - u), "New", "newest"));
    worker(
        &mut app,
        WorkerEvent::Sync(SyncEvent::Added(newest.collect())),
    );
    progress(&mut app, 200, 5000);
    let h = header(&app);
    assert!(
        h.contains("syncing · connecting  200/5000 · 3 unread"),
        "{h}"
    );
    assert_eq!(shown_uids(&app, 0), [5000, 4999, 4998]);
    press(&mut app, [key(KeyCode::Char('j'))]);
    assert_eq!(selected_uid(&app), Some(4999));
    // Older rows arrive below; the selection stays on its message.
    let older = (1..=3).map(|u| msg(u, 600 + i64::from(u), "Old", "oldest"));
    worker(
        &mut app,
        WorkerEvent::Sync(SyncEvent::Added(older.collect())),
    );
    progress(&mut app, 5000, 5000);
    assert_eq!(selected_uid(&app), Some(4999));
    assert!(header(&app).contains("syncing · connecting  5000/5000"));

    let status = MailboxStatus {
        exists: 5000,
        ..MailboxStatus::default()
    };
    worker(&mut app, WorkerEvent::Sync(SyncEvent::Synced(status)));
    worker(
        &mut app,
        WorkerEvent::State(ConnState::Online { idle: true }),
    );
    let h = header(&app);
    assert!(!h.contains("syncing"), "{h}");
    assert!(h.contains("support  ready · "), "{h}");
}

#[test]
fn a_sync_cut_off_by_the_link_going_down_shows_no_progress() {
    let mut app = app();
    worker(&mut app, WorkerEvent::State(ConnState::Connecting));
    progress(&mut app, 200, 5000);
    assert!(header(&app).contains("syncing"));
    worker(
        &mut app,
        WorkerEvent::State(ConnState::Offline {
            error: "connection reset".into(),
            retry_in: std::time::Duration::from_secs(1),
        }),
    );
    let h = header(&app);
    assert!(!h.contains("syncing"), "{h}");
    assert!(h.contains("support  loading · "), "{h}");
}
