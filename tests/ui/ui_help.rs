//! The help overlay: its text wraps (never cut with "…") at 120 columns, and a wide (CJK)
//! character under its left edge never covers its border, whatever offset the overlay lands
//! on.

use crossterm::event::KeyCode;
use unicode_width::UnicodeWidthStr;

use mailroom::ui::app::App;
use mailroom::ui::layout::help_area;

use crate::ui_support::{ch, drawn, key, load, msg, press, rows_of, sized, theme};

fn app(w: u16, h: u16, subject: &str, from: &str) -> App {
    let cols = [(0, "support".to_string())];
    let mut app = sized(App::new(&cols, theme(), false).with_agent("alice"), w, h);
    let rows = (1..=30)
        .map(|i| msg(i, i64::from(i) * 7, from, subject))
        .collect();
    load(&mut app, 0, rows);
    app
}

fn trimmed(rows: &[String]) -> String {
    rows.iter()
        .map(|l| l.trim_end())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn help_text_wraps_at_120_columns() {
    let mut app = app(120, 40, "Printer on fire", "Carol");
    press(&mut app, [ch('?')]);
    let rows = rows_of(&drawn(&app));
    // A cut line ends in "…" against the border.
    assert!(
        rows.iter().all(|r| !r.contains("…┃")),
        "cut text:\n{}",
        trimmed(&rows)
    );
    assert_snapshot!("help_120x40", trimmed(&rows));
    // The reader's help, scrolled to its end, shows its last line whole.
    press(&mut app, [ch('q'), key(KeyCode::Enter), ch('?'), ch('G')]);
    let rows = rows_of(&drawn(&app));
    assert!(rows.iter().all(|r| !r.contains("…┃")), "{}", trimmed(&rows));
}

#[test]
fn a_wide_character_under_the_overlay_never_covers_its_border() {
    let subject = "見積もりのお願い、至急ご確認ください。見積もりのお願い、至急ご確認ください。";
    let from = "田中宏田中宏田中宏";
    for w in 100..=121u16 {
        let mut app = app(w, 30, subject, from);
        press(&mut app, [ch('?')]);
        let t = drawn(&app);
        let buf = t.backend().buffer();
        let rect = help_area(buf.area);
        for y in rect.top()..rect.bottom() {
            let left = buf[(rect.x - 1, y)].symbol();
            assert!(
                left.width() <= 1,
                "{w} columns, row {y}: {left:?} covers the border\n{}",
                trimmed(&rows_of(&t))
            );
            let border = buf[(rect.x, y)].symbol();
            assert!(
                matches!(border, "┃" | "┏" | "┗"),
                "{w} columns, row {y}: {border:?}"
            );
        }
        // As a terminal shows it: a wide cell covers the next one; both borders are shown.
        for y in rect.top()..rect.bottom() {
            let mut covered = false;
            for x in 0..buf.area.width {
                let symbol = buf[(x, y)].symbol();
                if (x == rect.x || x == rect.right() - 1) && covered {
                    panic!("{w} columns: the border at {x},{y} is covered");
                }
                covered = !covered && symbol.width() > 1;
            }
        }
        if w == 101 {
            assert_snapshot!("help_over_cjk_101x30", trimmed(&rows_of(&t)));
        }
    }
}

/// The end of the list's help: the keys of the questions the status line asks and what
/// `ui.mark_read` does, each line whole.
#[test]
fn help_lists_the_questions_keys_and_the_read_state_setting() {
    let mut app = app(120, 40, "Printer on fire", "Carol");
    press(&mut app, [ch('?'), ch('G')]);
    let rows = rows_of(&drawn(&app));
    let text = trimmed(&rows);
    for line in [
        "questions in the status line",
        "yes: take over, reassign, close, answer anyway",
        "no: nothing changes, the key does not run",
        "forward from another",
        "read state (ui.mark_read)",
        "default: read after a moment open, and on reply",
    ] {
        assert!(text.contains(line), "{line:?} not in:\n{text}");
    }
    assert!(rows.iter().all(|r| !r.contains("…┃")), "{text}");
    assert_snapshot!("help_end_120x40", text);
}
