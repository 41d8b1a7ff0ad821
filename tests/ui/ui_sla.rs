//! SLA rows (issue 19): with a first-response target, each row shows the time left or how long
//! it is overdue, styled by state; `due` sorts and `:view due` narrows, at a fixed clock.

use crossterm::event::KeyCode;
use ratatui::style::Modifier;

use mailroom::message::Summary;
use mailroom::policy::team::Sla;
use mailroom::ui::app::{App, Layout};

use crate::ui_support;
use ui_support::{
    drawn, enter, key, load, msg, press, rows_of, screen, shown_uids, sized, status_line, theme,
    typed, with_keywords,
};

/// 4 hours around the clock, due soon in the last hour.
fn target() -> Sla {
    Sla {
        first_response: 4 * 3600,
        hours: None,
        offset: 0,
        due_soon: 3600,
    }
}

fn answered(s: Summary) -> Summary {
    let mut f = s.fields();
    f.flags.answered = true;
    f.flags.seen = true;
    Summary::new(f)
}

/// support (with a target) and sales (without), at the fixed clock `ui_support::NOW`.
fn app() -> App {
    let cols = [(0, "support".to_string()), (1, "sales".to_string())];
    let mut app = sized(
        App::new(&cols, theme(), false)
            .with_layout(Layout::Columns)
            .with_sla(0, Some(target())),
        150,
        12,
    );
    load(
        &mut app,
        0,
        vec![
            msg(1, 30, "Carol", "Cannot log in"),
            msg(2, 200, "Dave", "Refund please"),
            msg(3, 300, "Erin", "Still broken"),
            answered(msg(4, 400, "Frank", "Thanks")),
            with_keywords(msg(5, 500, "Gina", "Spam"), &["$done"]),
        ],
    );
    load(&mut app, 1, vec![msg(10, 300, "Zed", "Quote")]);
    app
}

fn command(app: &mut App, line: &str) {
    press(app, [key(KeyCode::Char(':'))]);
    press(app, typed(line));
    press(app, [enter()]);
}

#[test]
fn rows_show_time_left_overdue_and_met() {
    let app = app();
    assert_snapshot!("sla_rows", screen(&app));
    let text = screen(&app);
    // Without a target, sales' row has no SLA field.
    let line = text
        .lines()
        .find(|l| l.contains("Quote"))
        .unwrap_or_default();
    let sales = line.rsplit('│').nth(1).unwrap_or_default();
    assert!(sales.contains("Quote"), "{line}");
    assert!(
        !sales.contains("left") && !sales.contains("over"),
        "{sales}"
    );
}

#[test]
fn each_state_has_its_theme_style() {
    let app = app();
    let t = drawn(&app);
    let rows = rows_of(&t);
    let buf = t.backend().buffer();
    // The first cell of `word` on the row that holds `subject`.
    let cell = |subject: &str, word: &str| {
        let y = rows.iter().position(|r| r.contains(subject))?;
        let row = &rows[y];
        let x = row[..row.find(word)?].chars().count();
        buf.cell((x as u16, y as u16)).cloned()
    };
    let fg = |subject: &str, word: &str| cell(subject, word).map(|c| c.fg);
    let style = |name: &str| theme().style(name, false);
    // Row 1 is selected (one style end to end): the others show the state's style.
    assert_eq!(fg("Refund please", "left"), style("sla_due_soon").fg);
    assert_eq!(fg("Still broken", "over"), style("sla_overdue").fg);
    assert!(
        cell("Thanks", "met").is_some_and(|c| c.modifier.contains(Modifier::DIM)),
        "met rows are dim"
    );
    assert_ne!(style("sla_due_soon").fg, style("sla_overdue").fg);
    assert_ne!(style("sla_ok").fg, style("sla_overdue").fg);
}

#[test]
fn s_reaches_due_in_a_column_with_a_target_and_sort_due_orders_by_due_time() {
    let mut app = app();
    assert_eq!(shown_uids(&app, 0), [1, 2, 3, 4, 5]);
    press(&mut app, [key(KeyCode::Char('s'))]);
    assert_eq!(shown_uids(&app, 0), [3, 2, 1, 4, 5], "due first");
    assert!(
        status_line(&app).contains("support: due first"),
        "{}",
        status_line(&app)
    );
    assert!(screen(&app).contains("by due ·"), "{}", screen(&app));
    press(&mut app, [key(KeyCode::Char('s'))]);
    assert_eq!(shown_uids(&app, 0), [5, 4, 3, 2, 1], "then waiting");
    // sales has no target: `s` goes from date to waiting, `:sort due` still works.
    press(&mut app, [key(KeyCode::Char('l'))]);
    press(&mut app, [key(KeyCode::Char('s'))]);
    assert!(status_line(&app).contains("sales: longest waiting first"));
    command(&mut app, "sort due");
    assert!(status_line(&app).contains("sales: due first"));
}

#[test]
fn view_due_shows_the_rows_due_soon_or_overdue() {
    let mut app = app();
    command(&mut app, "view due");
    assert_eq!(shown_uids(&app, 0), [2, 3]);
    assert_snapshot!("sla_view_due", screen(&app));
    // The clock moves: an hour on, row 1 (30 minutes old then) is not due yet, ...
    press(
        &mut app,
        [mailroom::ui::event::Event::Tick(ui_support::NOW + 3600)],
    );
    assert_eq!(shown_uids(&app, 0), [2, 3]);
    // ... two hours and a half on, it is due within the hour.
    press(
        &mut app,
        [mailroom::ui::event::Event::Tick(ui_support::NOW + 9000)],
    );
    assert_eq!(shown_uids(&app, 0), [1, 2, 3]);
}

/// The account's worker reports the team policy (`engine::Event::Policy`).
fn report(app: &mut App, document: Option<&str>) {
    use mailroom::engine::policy::{Learned, Origin};
    use mailroom::policy::team::{InForce, Provenance, parse};
    let in_force = document.map(|text| {
        std::sync::Arc::new(InForce {
            policy: parse(text).expect("policy"),
            source: Provenance {
                folder: "shared/support/Policy".into(),
                uid: 1,
                published_by: "carol".into(),
                published_at: "2026-12-01T09:00:00Z".into(),
            },
            attachments: Vec::new(),
            document: text.to_string(),
        })
    });
    press(
        app,
        [mailroom::engine::Event::Policy {
            account: "support".into(),
            learned: Learned {
                in_force,
                skipped: Vec::new(),
                origin: Origin::Server,
                warning: None,
            },
        }],
    );
}

#[test]
fn the_column_follows_the_sla_of_the_policy_its_worker_reports() {
    let mut app = crate::ui_compose::app(120, 14);
    let row = |app: &App| {
        screen(app)
            .lines()
            .find(|l| l.contains("Printer on fire"))
            .unwrap_or_default()
            .to_string()
    };
    assert!(!row(&app).contains("left"), "{}", row(&app));
    report(
        &mut app,
        Some("version = 1\n[sla]\nfirst_response = \"4h\"\ndue_soon = \"1h\"\n"),
    );
    assert_eq!(
        app.columns()[0].sla.as_ref().map(|s| s.first_response),
        Some(4 * 3600)
    );
    assert!(app.columns()[1].sla.is_none(), "sales has no policy");
    // Arrived ten minutes ago: 3h50m left.
    assert!(row(&app).contains("3h left"), "{}", row(&app));
    // A newer policy without [sla]: no target, no field.
    report(&mut app, Some("version = 2\n[send]\nas = [\"alice\"]\n"));
    assert!(app.columns()[0].sla.is_none());
    assert!(!row(&app).contains("left"), "{}", row(&app));
}
