//! The review pane: a popup over the columns with the items, or the open item's text, and the
//! note being typed on its last line.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, BorderType, Borders, Paragraph};

use super::{ReviewPane, row};
use crate::sanitize;
use crate::ui::app::App;
use crate::ui::draw::{fit_spans, pane_style, st};
use crate::ui::layout;
use crate::ui::widget;

pub(crate) fn draw_review(app: &App, pane: &ReviewPane, frame: &mut Frame, area: Rect) {
    let rect = layout::help_area(area);
    if rect.width < 4 || rect.height < 3 {
        return;
    }
    let count = pane.items.as_ref().map_or(0, Vec::len);
    let account = sanitize::single_line(&pane.account);
    let (title, bottom) = match &pane.shown {
        _ if pane.note.is_some() => (
            format!(" review · {account} · return with a note "),
            " Enter returns · Esc cancels ",
        ),
        Some(_) => (
            format!(" review · {account} · open "),
            " a approves · e edits · r returns · q Esc back ",
        ),
        None => (
            format!(" review · {account} · {count} "),
            " Enter opens · a approves · r returns · R reloads · q closes ",
        ),
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Thick)
        .border_style(st(app, "border_focused"))
        .title(Line::from(title))
        .title_bottom(Line::from(bottom));
    let base = pane_style(app);
    let inner = widget::popup(frame, rect, block, base);
    let width = usize::from(inner.width);
    let mut height = usize::from(inner.height).max(1);
    let mut lines: Vec<Line> = Vec::new();
    let note = pane.note.as_ref().map(|n| {
        Line::from(fit_spans(
            vec![
                (" note: ".to_string(), st(app, "row_age")),
                (format!("{}▏", sanitize::single_line(n)), base),
            ],
            width,
            base,
        ))
    });
    if note.is_some() {
        height = height.saturating_sub(1).max(1);
    }
    match (&pane.shown, &pane.items) {
        (Some((_, None)), _) | (None, None) => lines.push(Line::from(" reading…")),
        (Some((_, Some(text))), _) => {
            let text = sanitize::multi_line(text);
            lines.extend(
                text.lines()
                    .take(height)
                    .map(|l| Line::from(fit_spans(vec![(format!(" {l}"), base)], width, base))),
            );
        }
        (None, Some(items)) if items.is_empty() => {
            lines.push(Line::from(" no replies waiting for review"))
        }
        (None, Some(items)) => {
            let top = pane.selected.saturating_sub(height - 1);
            lines.extend(
                items
                    .iter()
                    .enumerate()
                    .skip(top)
                    .take(height)
                    .map(|(i, l)| {
                        let [author, to, subject, age, state] = row(l, app.now);
                        let style = if i == pane.selected {
                            st(app, "row_selected")
                        } else {
                            base
                        };
                        Line::from(fit_spans(
                            vec![
                                (format!(" {author:<8} "), st(app, "row_age")),
                                (format!("{to:<24} "), style),
                                (format!("{subject} "), style),
                                (format!(" {age} "), st(app, "row_age")),
                                (format!(" {state}"), st(app, "row_age")),
                            ],
                            width,
                            base,
                        ))
                    }),
            );
        }
    }
    if let Some(n) = note {
        while lines.len() < height {
            lines.push(Line::from(""));
        }
        lines.push(n);
    }
    frame.render_widget(Paragraph::new(lines).style(base), inner);
}
