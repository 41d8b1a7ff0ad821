//! The demo's team policy in the column view: the policy message seeded in support's Maildir
//! folder Policy, read from the Maildir (`engine::policy::learn`) and reported as the worker
//! reports it, gives the support column its SLA timers and narrows alice to on-behalf.

use mailroom::backend::Backend;
use mailroom::backend::maildir::MaildirBackend;
use mailroom::engine::Event as EngineEvent;
use mailroom::engine::policy::Origin;
use mailroom::ui::app::{App, Layout};

use crate::ui_support::{NOW, load, press, screen, sized, theme};

#[test]
fn the_demo_column_shows_sla_timers_from_the_demos_team_policy() {
    let dir = tempfile::tempdir().unwrap();
    let ws = mailroom::demo::build_workspace_at(&dir.path().join("demo"), false, NOW)
        .expect("demo workspace");
    let config = std::sync::Arc::new(
        mailroom::config::load(&ws.config_path)
            .expect("demo config")
            .config,
    );
    let support = &config.accounts[0];
    let maildir = support.maildir.as_ref().expect("maildir");
    let mut b = MaildirBackend::open("support", &maildir.path).expect("open");
    let mut rows = Vec::new();
    b.summaries(&maildir.mailbox, 1, &mut |batch| rows.extend(batch))
        .expect("rows");
    let cols = [(0, "support".to_string()), (1, "sales".to_string())];
    let app = App::new(&cols, theme(), false)
        .with_layout(Layout::Columns)
        .with_agent("alice")
        .with_config(config.clone());
    let mut app = sized(app, 160, 30);
    load(&mut app, 0, rows);
    let before = screen(&app);
    assert!(
        !before.contains(" left") && !before.contains(" over"),
        "{before}"
    );

    let learned = mailroom::engine::policy::learn(support, None);
    assert_eq!(learned.origin, Origin::Maildir);
    press(
        &mut app,
        [EngineEvent::Policy {
            account: "support".into(),
            learned,
        }],
    );
    assert_eq!(
        app.team_policy("support").map(|p| p.policy.version),
        Some(1)
    );
    assert_eq!(
        app.columns()[0].sla.as_ref().map(|s| s.first_response),
        Some(12 * 3600)
    );
    let s = screen(&app);
    // The newest mail is within its 12 hours, older unanswered mail overdue.
    assert!(s.contains(" left"), "{s}");
    assert!(s.contains(" over"), "{s}");
}
