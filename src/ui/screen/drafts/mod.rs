//! `:drafts`: the saved drafts in a list pane (account, recipient, subject, age), newest
//! first. `j`/`k` move, `Enter` reopens the selected draft in the compose pane, `d` deletes it
//! after a `y`, `q`/`Esc` close.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, BorderType, Borders, Paragraph};

use crate::engine::Request;
use crate::mail::date;
use crate::sanitize;
use crate::store::drafts::Draft;
use crate::ui::app::App;
use crate::ui::draw::{fit_spans, pane_style, st};
use crate::ui::layout;
use crate::ui::screen::Handled;
use crate::ui::screen::compose::sending::reopen_draft;
use crate::ui::screen::confirm::quit;
use crate::ui::widget;

/// The open drafts pane.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DraftsPane {
    pub selected: usize,
    /// `d` asked to delete the selected draft: `y` does.
    pub deleting: bool,
}

/// `:drafts`: opens the pane (or says there are none).
pub(crate) fn open(app: &mut App) {
    if app.drafts.is_empty() {
        app.say("no drafts");
        return;
    }
    app.drafts_pane = Some(DraftsPane::default());
}

/// One draft's row: account, recipient, subject, age.
pub fn row(d: &Draft, now: i64) -> [String; 4] {
    let to =
        d.to.first()
            .map(|t| {
                let more = d.to.len() + d.cc.len() - 1;
                if more > 0 {
                    format!("{t} +{more}")
                } else {
                    t.clone()
                }
            })
            .unwrap_or_else(|| "(no recipient)".to_string());
    let subject = match d.subject.trim() {
        "" => "(no subject)".to_string(),
        s => s.to_string(),
    };
    [
        sanitize::single_line(&d.account),
        sanitize::single_line(&to),
        sanitize::single_line(&subject),
        date::age(now, d.saved),
    ]
}

pub(crate) fn drafts_key(app: &mut App, k: &KeyEvent) -> Handled {
    let pane = app.drafts_pane.as_mut()?;
    let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && k.code == KeyCode::Char('c') {
        return Some(quit(app));
    }
    let n = app.drafts.len();
    if n == 0 {
        app.drafts_pane = None;
        return Some(Vec::new());
    }
    pane.selected = pane.selected.min(n - 1);
    if pane.deleting {
        pane.deleting = false;
        if matches!(k.code, KeyCode::Char('y' | 'Y')) && !ctrl {
            let i = pane.selected;
            let d = app.drafts.remove(i);
            if app.drafts.is_empty() {
                app.drafts_pane = None;
            } else if let Some(p) = &mut app.drafts_pane {
                p.selected = i.min(app.drafts.len() - 1);
            }
            let [_, _, subject, _] = row(&d, app.now);
            app.say(format!("draft deleted: {subject}"));
            return Some(vec![Request::DeleteDraft(d.id)]);
        }
        app.say("not deleted");
        return Some(Vec::new());
    }
    match k.code {
        KeyCode::Char('j') | KeyCode::Down if !ctrl => {
            pane.selected = (pane.selected + 1).min(n - 1)
        }
        KeyCode::Char('k') | KeyCode::Up if !ctrl => {
            pane.selected = pane.selected.saturating_sub(1)
        }
        KeyCode::Char('g') | KeyCode::Home => pane.selected = 0,
        KeyCode::Char('G') | KeyCode::End => pane.selected = n - 1,
        KeyCode::Char('q') | KeyCode::Esc => app.drafts_pane = None,
        KeyCode::Enter => {
            let i = pane.selected;
            app.drafts_pane = None;
            return Some(reopen_draft(app, i + 1));
        }
        KeyCode::Char('d') if !ctrl => {
            pane.deleting = true;
            let i = pane.selected;
            let [_, to, subject, _] = row(&app.drafts[i], app.now);
            app.say(format!("delete the draft to {to} \"{subject}\"? (y/n)"));
        }
        _ => app.say("drafts: Enter reopens, d deletes, q closes"),
    }
    Some(Vec::new())
}

pub(crate) fn draw_drafts(app: &App, pane: &DraftsPane, frame: &mut Frame, area: Rect) {
    let rect = layout::help_area(area);
    if rect.width < 4 || rect.height < 3 {
        return;
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Thick)
        .border_style(st(app, "border_focused"))
        .title(Line::from(format!(" drafts · {} ", app.drafts.len())))
        .title_bottom(Line::from(" Enter reopens · d deletes · q Esc close "));
    let base = pane_style(app);
    let inner = widget::popup(frame, rect, block, base);
    let width = usize::from(inner.width);
    let height = usize::from(inner.height).max(1);
    let top = pane.selected.saturating_sub(height - 1);
    let shown: Vec<Line> = app
        .drafts
        .iter()
        .enumerate()
        .skip(top)
        .take(height)
        .map(|(i, d)| {
            let [account, to, subject, age] = row(d, app.now);
            let style = if i == pane.selected {
                st(app, "row_selected")
            } else {
                base
            };
            let parts = vec![
                (format!(" {account:<10} "), st(app, "row_age")),
                (format!("{to:<28} "), style),
                (format!("{subject} "), style),
                (format!(" {age}"), st(app, "row_age")),
            ];
            Line::from(fit_spans(parts, width, base))
        })
        .collect();
    frame.render_widget(Paragraph::new(shown).style(base), inner);
}

#[cfg(test)]
mod tests;
