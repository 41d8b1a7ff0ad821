//! The note pane.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::Line;
use ratatui::widgets::{Block, BorderType, Borders, Paragraph};

use crate::mail::display::fit;
use crate::ui::app::App;
use crate::ui::draw::{pane_style, st};
use crate::ui::layout;
use crate::ui::screen::notes::model::{Leave, NoteEditor};
use crate::ui::widget;

/// The note pane: the lower part of the screen (at least 8 lines), over the columns and the
/// reader, titled so nobody takes it for a reply.
pub(crate) fn draw_note_editor(app: &App, n: &NoteEditor, frame: &mut Frame, area: Rect) {
    let Some(rect) = layout::note_area(area) else {
        return;
    };
    let (add, editor, close) = super::note_keys(&app.keymap);
    let bottom = match (n.saving, n.ask) {
        (Some(_), _) => " adding the note… ".to_string(),
        (None, Some(_)) => " discard this note? y discards · any other key goes back ".to_string(),
        (None, None) => format!(" {add} add · {editor} $EDITOR · {close} close "),
    };
    let note_style = st(app, "reader_note");
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Double)
        .border_style(st(app, "border_focused").patch(note_style))
        .title(Line::styled(
            format!(" {} ", n.title()),
            note_style.add_modifier(Modifier::BOLD),
        ))
        .title_bottom(Line::from(bottom));
    let base = pane_style(app);
    let inner = widget::popup(frame, rect, block, base);
    let width = usize::from(inner.width);
    let body_h = usize::from(inner.height);
    let show_cursor = n.saving.is_none() && n.ask.is_none();
    let (mut lines, at) = widget::text_area(&n.body, width, body_h, base, show_cursor);
    let cursor = at.map(|(x, y)| {
        (
            inner.x + u16::try_from(x).unwrap_or(0),
            inner.y + u16::try_from(y).unwrap_or(0),
        )
    });
    if n.ask == Some(Leave::Quit) && lines.len() < body_h {
        lines.push(Line::styled(
            fit("(y quits mailroom and discards the note)", width),
            st(app, "status_error"),
        ));
    }
    frame.render_widget(Paragraph::new(lines).style(base), inner);
    if let Some(pos) = cursor
        && app.help.is_none()
        && app.prompt.is_none()
    {
        frame.set_cursor_position(pos);
    }
}
