//! The team policy in the column view (no terminal, no network): the policy an account's worker
//! reports (`engine::Event::Policy`) narrows the compose pane's identity and signature, and
//! says why; a relaxed policy relaxes again; a policy that gives no mode refuses with its
//! reason; a broken newer policy is said once on the status line.

use std::sync::Arc;

use mailroom::engine::policy::{Learned, Origin, Skipped};
use mailroom::engine::{Event as EngineEvent, Request};
use mailroom::policy::team::{InForce, Provenance, parse};
use mailroom::ui::app::{App, update};

use crate::ui_compose::{app, open_reply};
use crate::ui_support::{ch, ctrl, drawn, press, press_served, rows_of, typed};

fn in_force(text: &str, uid: u32) -> Arc<InForce> {
    Arc::new(InForce {
        policy: parse(text).unwrap(),
        source: Provenance {
            folder: "shared/support/Policy".into(),
            uid,
            published_by: "carol".into(),
            published_at: "2026-12-01T09:00:00Z".into(),
        },
        attachments: Vec::new(),
        document: text.to_string(),
    })
}

fn report(app: &mut App, policy: Option<Arc<InForce>>, skipped: Vec<Skipped>) {
    update(
        app,
        EngineEvent::Policy {
            account: "support".into(),
            learned: Learned {
                in_force: policy,
                skipped,
                origin: Origin::Server,
                warning: None,
            },
        },
    );
}

const ON_BEHALF: &str = "version = 3\nadministrators = [\"carol\"]\n[send]\nas = [\"carol\"]\non-behalf = [\"alice\"]\n[signature]\ntext = \"The Support Team\"\ndisclaimer = \"TEAM DISCLAIMER: read the policy.\"\nrequired = true\n";

fn screen(app: &App) -> String {
    rows_of(&drawn(app))
        .iter()
        .map(|l| l.trim_end().to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_policy_narrows_the_compose_pane_to_on_behalf_with_the_team_signature() {
    let mut app = app(100, 30);
    report(&mut app, Some(in_force(ON_BEHALF, 7)), Vec::new());
    assert_eq!(
        app.team_policy("support").map(|p| p.policy.version),
        Some(3)
    );
    assert!(app.team_policy("sales").is_none());
    open_reply(&mut app);
    let c = app.compose().expect("compose open");
    assert_eq!(
        c.mode_line(),
        "alice on behalf of help@example.test (team policy)"
    );
    assert_eq!(
        c.policy_line().as_deref(),
        Some("the team policy of support (version 3) allows alice on-behalf only")
    );
    let s = screen(&app);
    assert!(s.contains("TEAM DISCLAIMER"), "{s}");
    assert!(
        !s.contains("CONFIDENTIAL"),
        "the local signature is replaced: {s}"
    );
    assert_snapshot!("compose_narrowed", s);
}

#[test]
fn a_relaxed_policy_relaxes_again() {
    let mut app = app(100, 30);
    report(&mut app, Some(in_force(ON_BEHALF, 7)), Vec::new());
    report(
        &mut app,
        Some(in_force(
            "version = 4\n[send]\nas = [\"carol\", \"alice\"]\n",
            8,
        )),
        Vec::new(),
    );
    open_reply(&mut app);
    let c = app.compose().expect("compose open");
    assert_eq!(c.mode_line(), "as help@example.test");
    assert!(
        screen(&app).contains("CONFIDENTIAL"),
        "the local signature again"
    );
}

#[test]
fn a_policy_without_a_mode_refuses_with_its_reason() {
    let mut app = app(100, 30);
    report(
        &mut app,
        Some(in_force("version = 5\n[send]\nas = [\"carol\"]\n", 9)),
        Vec::new(),
    );
    press(&mut app, [ch('r')]);
    assert!(app.compose().is_none(), "no pane that could never send");
    let q = app
        .confirm()
        .expect("the question says why")
        .question
        .clone();
    assert!(
        q.contains("the team policy of support (version 5) does not allow alice to send"),
        "{q}"
    );
}

#[test]
fn a_broken_newer_policy_is_said_once() {
    let mut app = app(100, 30);
    let skipped = vec![Skipped {
        uid: 12,
        published_by: "carol".into(),
        error: "3:1: expected `]`".into(),
    }];
    report(&mut app, Some(in_force(ON_BEHALF, 7)), skipped.clone());
    let notice = app.notice().unwrap_or_default().to_string();
    assert!(
        notice.contains("the team policy message 12 published by carol is skipped")
            && notice.contains("3:1"),
        "{notice}"
    );
    // Said once: the next report of the same broken message says nothing new.
    update(
        &mut app,
        EngineEvent::Warning {
            account_idx: 0,
            message: "something else".into(),
        },
    );
    report(&mut app, Some(in_force(ON_BEHALF, 7)), skipped);
    assert_eq!(app.notice(), Some("support: something else"));
}

#[test]
fn a_pane_opened_under_an_older_policy_is_not_sent() {
    let mut app = app(100, 30);
    report(&mut app, Some(in_force(ON_BEHALF, 7)), Vec::new());
    open_reply(&mut app);
    press(&mut app, typed("On our way."));
    // The policy changes while the pane is open.
    report(
        &mut app,
        Some(in_force("version = 4\n[send]\nas = [\"carol\"]\n", 8)),
        Vec::new(),
    );
    press_served(&mut app, [ctrl('x')]);
    let cmds = press(&mut app, [ch('y')]);
    assert!(
        !cmds.iter().any(|c| matches!(c, Request::Send { .. })),
        "{cmds:?}"
    );
    let e = app.error().unwrap_or_default();
    assert!(
        e.contains("the team policy of support changed since this pane was opened (version 3 → version 4): not sent"),
        "{e}"
    );
    assert!(app.compose().is_some(), "the pane stays open");
}
