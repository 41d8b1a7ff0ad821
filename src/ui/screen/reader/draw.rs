//! The reader pane: headers, attachments, then the body and its internal notes.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::mail::display::fit;
use crate::ui::app::App;
use crate::ui::draw::st;
use crate::ui::layout;
use crate::ui::screen::notes::model::RULE;
use crate::ui::screen::reader::conversation::Mark;
use crate::ui::screen::reader::{Body, Reader};
use crate::ui::wrap::wrap;

pub(crate) fn draw_reader(app: &App, r: &Reader, frame: &mut Frame, area: Rect) {
    let (headers, sep, body) = layout::reader_parts(area, r.header_lines());
    let attachments = r.attachment_lines();
    let attach_label = if attachments.is_empty() { "" } else { "Attach" };
    let label_w = r
        .headers
        .iter()
        .map(|(l, _)| l.len())
        .chain([attach_label.len()])
        .max()
        .unwrap_or(0)
        + 2;
    let label = |text: &str| {
        let text = if text.is_empty() {
            String::new()
        } else {
            format!("{text}:")
        };
        Span::styled(format!("{text:<label_w$}"), st(app, "reader_header"))
    };
    let mut lines: Vec<Line> = r
        .headers
        .iter()
        .map(|(l, value)| {
            Line::from(vec![
                label(l),
                Span::styled(value.as_str(), st(app, "reader_body")),
            ])
        })
        .collect();
    let value_w = usize::from(headers.width).saturating_sub(label_w);
    lines.extend(attachments.iter().enumerate().map(|(i, a)| {
        Line::from(vec![
            label(if i == 0 { attach_label } else { "" }),
            Span::styled(fit(a, value_w), st(app, "reader_body")),
        ])
    }));
    frame.render_widget(Paragraph::new(lines), headers);
    frame.render_widget(
        Paragraph::new("─".repeat(usize::from(sep.width))).style(st(app, "border")),
        sep,
    );
    let lines: Vec<Line> = match &r.body {
        _ if r.shows_conversation() => conversation_lines(app, r, usize::from(body.height)),
        Body::Loading => vec![Line::styled("loading…", st(app, "row_age"))],
        Body::Failed(e) => wrap(e, usize::from(body.width))
            .into_iter()
            .map(|l| Line::styled(l, st(app, "status_error")))
            .collect(),
        Body::Text(_) => r
            .lines
            .iter()
            .enumerate()
            .skip(r.scroll)
            .take(usize::from(body.height))
            .map(|(i, l)| {
                let style = if i >= r.notes_from {
                    // Internal notes: their own style; the rule lines bold, so they stand
                    // out without colour too.
                    let s = st(app, "reader_note");
                    if l.starts_with(RULE) {
                        s.add_modifier(Modifier::BOLD)
                    } else {
                        s
                    }
                } else if l.trim_start().starts_with('>') {
                    st(app, "reader_quote")
                } else {
                    st(app, "reader_body")
                };
                Line::styled(l.as_str(), style)
            })
            .collect(),
    };
    frame.render_widget(Paragraph::new(lines), body);
}

/// The conversation's lines on screen: each entry's line (the one in focus reversed), the
/// messages' text as the body is drawn, the notes' text in the note style.
fn conversation_lines<'a>(app: &App, r: &'a Reader, height: usize) -> Vec<Line<'a>> {
    r.lines
        .iter()
        .zip(&r.marks)
        .skip(r.scroll)
        .take(height)
        .map(|(l, m)| {
            let style = match m {
                Mark::Head { focus, note } => {
                    let s = if *note {
                        st(app, "reader_note")
                    } else {
                        st(app, "reader_header")
                    }
                    .add_modifier(Modifier::BOLD);
                    if *focus {
                        s.add_modifier(Modifier::REVERSED)
                    } else {
                        s
                    }
                }
                Mark::NoteText => st(app, "reader_note"),
                Mark::Text if l.trim_start().starts_with('>') => st(app, "reader_quote"),
                Mark::Text => st(app, "reader_body"),
            };
            Line::styled(l.as_str(), style)
        })
        .collect()
}
