//! The help overlay.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::Line;
use ratatui::widgets::{Block, BorderType, Borders, Paragraph};

use crate::mail::display::fit;
use crate::ui::app::App;
use crate::ui::draw::{fit_spans, pane_style, st};
use crate::ui::layout;
use crate::ui::screen::help::{Help, HelpRow, help_lines, help_rows};
use crate::ui::widget;

/// The help overlay: every key of the context, from the live keymap, then the commands.
pub(crate) fn draw_help(app: &App, help: &Help, frame: &mut Frame, area: Rect) {
    let rect = layout::help_area(area);
    if rect.width < 4 || rect.height < 3 {
        return;
    }
    let inner_w = usize::from(rect.width - 2);
    let (rows, key_w) = help_rows(&help_lines(&app.keymap, help.context), inner_w);
    let inner_h = usize::from(rect.height - 2);
    let more = rows.len() > help.scroll + inner_h;
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Thick)
        .border_style(st(app, "border_focused"))
        .title(Line::from(" help · ? q Esc close "))
        .title_bottom(Line::from(if more {
            " j/k Space scroll · more below "
        } else {
            " j/k scroll "
        }));
    let base = pane_style(app);
    let inner = widget::popup(frame, rect, block, base);
    let width = usize::from(inner.width);
    let shown: Vec<Line> = rows
        .iter()
        .skip(help.scroll)
        .take(inner_h)
        .map(|row| match row {
            HelpRow::Heading(text) => Line::styled(
                format!(" {text}"),
                st(app, "reader_header").add_modifier(Modifier::BOLD),
            ),
            HelpRow::Entry { keys, desc } => {
                let parts = vec![
                    (format!("  {}", fit(keys, key_w)), st(app, "reader_header")),
                    ("  ".to_string(), base),
                    (desc.clone(), base),
                ];
                Line::from(fit_spans(parts, width, base))
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(shown).style(base), inner);
}
