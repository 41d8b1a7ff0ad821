//! Renders an `App` into a ratatui frame. Reads state only; every string that came from a
//! message or a server is sanitized here (rows) or was sanitized when it entered the state.

pub mod columns;
pub mod compose;
mod help;
mod notes;
pub mod prompt;
mod reader;
mod stats;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::Span;
use ratatui::widgets::Block;
use unicode_width::UnicodeWidthStr;

use super::app::App;
use super::layout;
use crate::mail::display::fit;

pub fn draw(app: &App, frame: &mut Frame) {
    let area = frame.area();
    frame.render_widget(Block::default().style(st(app, "base")), area);
    let plan = layout::plan_with(
        area,
        app.columns.len(),
        app.focus,
        app.reader.as_ref().map(|_| app.reader_mode),
    );
    if let Some(tabs) = plan.tabs {
        columns::draw_tabs(app, frame, tabs);
    }
    for (i, rect) in &plan.columns {
        if let Some(c) = app.columns.get(*i) {
            columns::draw_column(app, c, *i == app.focus, frame, *rect);
        }
    }
    if let (Some(r), Some(rect)) = (&app.reader, plan.reader) {
        reader::draw_reader(app, r, frame, rect);
    }
    if let Some(c) = &app.compose {
        compose::draw_compose(app, c, frame, layout::compose_area(area));
    }
    if let Some(n) = &app.note {
        notes::draw_note_editor(app, n, frame, area);
    }
    if let Some(s) = &app.stats {
        let screen = Rect {
            height: area.height.saturating_sub(1),
            ..area
        };
        stats::draw_stats(app, s, frame, screen);
    }
    match &app.prompt {
        Some(p) => prompt::draw_prompt(app, p, frame, plan.status),
        None => prompt::draw_status(app, frame, plan.status),
    }
    if let Some(h) = &app.help {
        help::draw_help(app, h, frame, area);
    }
}

pub(super) fn st(app: &App, element: &str) -> Style {
    app.theme.style(element, app.no_color)
}

/// The selection must stay visible without colour, where the theme keeps modifiers only.
pub(super) fn selected_style(app: &App) -> Style {
    let s = st(app, "row_selected");
    if app.no_color {
        s.add_modifier(Modifier::REVERSED)
    } else {
        s
    }
}

/// Pieces of one line, cut with an ellipsis where the width ends and padded to fill it.
pub(super) fn fit_spans(
    parts: Vec<(String, Style)>,
    width: usize,
    pad: Style,
) -> Vec<Span<'static>> {
    let mut out = Vec::new();
    let mut left = width;
    for (text, style) in parts {
        if left == 0 {
            break;
        }
        let w = text.width();
        if w <= left {
            left -= w;
            out.push(Span::styled(text, style));
        } else {
            out.push(Span::styled(fit(&text, left), style));
            left = 0;
        }
    }
    if left > 0 {
        out.push(Span::styled(" ".repeat(left), pad));
    }
    out
}

/// The colours of a pane over the others (help, compose, preview, note): the reader's.
pub(super) fn pane_style(app: &App) -> Style {
    st(app, "reader_body").patch(st(app, "base"))
}
