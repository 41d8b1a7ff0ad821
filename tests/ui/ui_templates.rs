//! The compose pane's template picker (`Ctrl-g`): team templates from the policy the App holds
//! and the agent's own, filtered by the letters typed, the rendered text inserted at the
//! cursor. Snapshots: the whole list, a filtered one, and no match.

use std::sync::Arc;

use crossterm::event::KeyCode;

use mailroom::engine::Event as EngineEvent;
use mailroom::engine::policy::{Learned, Origin};
use mailroom::policy::team::{self, InForce, Provenance};
use mailroom::ui::app::{App, update};

use crate::ui_compose::{app, open_reply};
use crate::ui_support;
use mailroom::engine::Request;
use ui_support::{ch, config_from, ctrl, enter, esc, key, press, press_served, screen, typed};

const POLICY: &str = r#"
version = 2
administrators = ["alice"]
[[template]]
name = "refund"
subject = "Your refund: {ticket.subject}"
body = """
Dear {customer.name},
your refund is approved.
{agent.name}, {account.display_name}"""
attachments = ["form.pdf"]
[[template]]
name = "outage"
body = "We know about the outage, {customer.name}."
"#;

fn in_force() -> Arc<InForce> {
    in_force_with(vec![mailroom::mail::policy::Attachment {
        name: "form.pdf".into(),
        content_type: "application/pdf".into(),
        data: b"%PDF the form".to_vec(),
    }])
}

fn in_force_with(attachments: Vec<mailroom::mail::policy::Attachment>) -> Arc<InForce> {
    Arc::new(InForce {
        policy: team::parse(POLICY).unwrap(),
        source: Provenance {
            folder: "shared/support/Policy".into(),
            uid: 1,
            published_by: "alice".into(),
            published_at: String::new(),
        },
        attachments,
        document: POLICY.into(),
    })
}

const PERSONAL: &str = "\n[template.refund]\nbody = \"my own refund\"\n\n[template.thanks]\nsubject = \"Thanks\"\nbody = \"Thank you, {customer.name}!\"\n";

/// The compose tests' app, with personal templates and (when `team`) the team's policy.
fn with_templates(team: bool) -> App {
    let base = app(90, 28);
    let text = format!("{}{PERSONAL}", crate::ui_compose::CONFIG);
    let mut app = base.with_config(config_from(&text));
    if team {
        report(&mut app, in_force());
    }
    app
}

/// The support account's worker reports the team policy in force (as the engine does).
fn report(app: &mut App, policy: Arc<InForce>) {
    update(
        app,
        EngineEvent::Policy {
            account: "support".into(),
            learned: Learned {
                in_force: Some(policy),
                skipped: Vec::new(),
                origin: Origin::Server,
                warning: None,
            },
        },
    );
}

fn body(app: &App) -> String {
    app.compose().unwrap().body.text()
}

#[test]
fn snapshot_the_picker_full_filtered_and_empty() {
    let mut app = with_templates(true);
    open_reply(&mut app);
    press(&mut app, [ctrl('g')]);
    assert_snapshot!("picker_full", screen(&app));
    press(&mut app, typed("ou"));
    assert_snapshot!("picker_filtered", screen(&app));
    press(&mut app, [key(KeyCode::Backspace), key(KeyCode::Backspace)]);
    press(&mut app, typed("zq"));
    assert_snapshot!("picker_empty", screen(&app));
    // Enter with nothing matched inserts nothing; the picker closes.
    press(&mut app, [enter()]);
    assert!(app.compose().unwrap().picker.is_none());
    assert_eq!(body(&app), "");
}

#[test]
fn enter_inserts_the_team_template_rendered_at_the_cursor_and_sets_the_subject() {
    let mut app = with_templates(true);
    open_reply(&mut app);
    press(&mut app, typed("Hi.\n"));
    press(&mut app, [ctrl('g')]);
    press(&mut app, typed("rfd"));
    press(&mut app, [enter()]);
    let c = app.compose().unwrap();
    assert!(c.picker.is_none());
    assert_eq!(
        c.body.text(),
        "Hi.\nDear Carol Customer,\nyour refund is approved.\nAlice Example, Example Support"
    );
    assert_eq!(c.subject.text, "Your refund: Printer on fire");
    let s = screen(&app);
    assert!(s.contains("template refund inserted"), "{s}");
    assert!(s.contains("1 form.pdf (template)"), "{s}");

    // The send names the template, for the Sent copy's X-Mailroom-Template.
    press_served(&mut app, [ctrl('x')]);
    let cmds = press(&mut app, [ch('y')]);
    let Some(Request::Send {
        template, outgoing, ..
    }) = cmds.last()
    else {
        panic!("{cmds:?}")
    };
    assert_eq!(template.as_deref(), Some("refund"));
    let raw = String::from_utf8_lossy(&outgoing.raw);
    assert!(raw.contains("filename=\"form.pdf\""), "{raw}");
    assert!(raw.contains("%PDF the form"), "{raw}");
    assert!(!raw.contains("X-Mailroom-Template"), "{raw}");
}

#[test]
fn without_a_team_policy_the_personal_templates_are_offered_and_esc_closes() {
    let mut app = with_templates(false);
    open_reply(&mut app);
    press(&mut app, [ctrl('g')]);
    let s = screen(&app);
    assert!(s.contains("refund mine my own refund"), "{s}");
    assert!(!s.contains("outage"), "{s}");
    // Down moves to the second (thanks); Enter inserts it.
    press(&mut app, [key(KeyCode::Down), enter()]);
    assert_eq!(body(&app), "Thank you, Carol Customer!");
    assert_eq!(app.compose().unwrap().subject.text, "Thanks");
    press(&mut app, [ctrl('g')]);
    press(&mut app, [esc()]);
    assert!(app.compose().unwrap().picker.is_none());
    assert_eq!(body(&app), "Thank you, Carol Customer!");
}

#[test]
fn no_templates_at_all_says_so() {
    let mut app = app(90, 28);
    open_reply(&mut app);
    press(&mut app, [ctrl('g')]);
    assert!(app.compose().unwrap().picker.is_none());
    assert!(
        screen(&app).contains("no reply templates"),
        "{}",
        screen(&app)
    );
}

#[test]
fn the_picker_key_is_rebound_in_keys_compose() {
    let text = format!(
        "{}{PERSONAL}\n[keys.compose]\ntemplates = \"Ctrl-y\"\n",
        crate::ui_compose::CONFIG
    );
    let config = config_from(&text);
    let map = mailroom::ui::keys::Keymap::from_config(&config.keys).expect("valid");
    let mut app = app(90, 28).with_config(config).with_keymap(map);
    open_reply(&mut app);
    press(&mut app, [ctrl('g')]);
    assert!(
        app.compose().unwrap().picker.is_none(),
        "Ctrl-g is unbound now"
    );
    press(&mut app, [ctrl('y')]);
    assert!(app.compose().unwrap().picker.is_some());
}

#[test]
fn a_team_template_whose_file_the_policy_lacks_is_refused_with_its_name() {
    let mut app = app(90, 28).with_config(config_from(&format!(
        "{}{PERSONAL}",
        crate::ui_compose::CONFIG
    )));
    report(&mut app, in_force_with(Vec::new()));
    open_reply(&mut app);
    press(&mut app, [ctrl('g')]);
    press(&mut app, typed("refund"));
    press(&mut app, [enter()]);
    assert_eq!(body(&app), "");
    let s = screen(&app);
    assert!(s.contains("form.pdf"), "{s}");
}
