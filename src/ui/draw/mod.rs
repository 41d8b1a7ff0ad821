//! Renders an `App` into a ratatui frame. Reads state only; every string that came from a
//! message or a server is sanitized here (rows) or was sanitized when it entered the state.

pub mod columns;
pub mod compose;
mod help;
mod notes;
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
use super::screen::prompt::draw as prompt;
use crate::mail::display::fit;

/// A layer of the screen. Each is drawn over the ones before it in [`PAINT_ORDER`]; a layer
/// whose pane is closed draws nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layer {
    /// The theme's background over the whole screen.
    Base,
    /// The tab strip (when only one column fits), then the columns.
    Columns,
    /// The open message, beside or under the columns.
    Reader,
    /// The compose pane, and its send preview over it.
    Compose,
    /// The note pane.
    Notes,
    /// The stats screen, over all but the bottom line.
    Stats,
    /// The bottom line: the open `:` or `/` prompt, or else the status line (which also asks
    /// the open y/n question).
    Prompt,
    /// The help overlay, over everything.
    Help,
}

/// The paint order, bottom to top: a new pane is added here and in `paint`.
pub const PAINT_ORDER: [Layer; 8] = [
    Layer::Base,
    Layer::Columns,
    Layer::Reader,
    Layer::Compose,
    Layer::Notes,
    Layer::Stats,
    Layer::Prompt,
    Layer::Help,
];

pub fn draw(app: &App, frame: &mut Frame) {
    let area = frame.area();
    let plan = layout::plan_with(
        area,
        app.columns.len(),
        app.focus,
        app.reader.as_ref().map(|_| app.reader_mode),
    );
    for layer in PAINT_ORDER {
        paint(layer, app, frame, area, &plan);
    }
}

/// Draws one layer of the screen `area`, laid out by `plan`.
fn paint(layer: Layer, app: &App, frame: &mut Frame, area: Rect, plan: &layout::Plan) {
    match layer {
        Layer::Base => frame.render_widget(Block::default().style(st(app, "base")), area),
        Layer::Columns => {
            if let Some(tabs) = plan.tabs {
                columns::draw_tabs(app, frame, tabs);
            }
            for (i, rect) in &plan.columns {
                if let Some(c) = app.columns.get(*i) {
                    columns::draw_column(app, c, *i == app.focus, frame, *rect);
                }
            }
        }
        Layer::Reader => {
            if let (Some(r), Some(rect)) = (&app.reader, plan.reader) {
                reader::draw_reader(app, r, frame, rect);
            }
        }
        Layer::Compose => {
            if let Some(c) = &app.compose {
                compose::draw_compose(app, c, frame, layout::compose_area(area));
            }
        }
        Layer::Notes => {
            if let Some(n) = &app.note {
                notes::draw_note_editor(app, n, frame, area);
            }
        }
        Layer::Stats => {
            if let Some(s) = &app.stats {
                let screen = Rect {
                    height: area.height.saturating_sub(1),
                    ..area
                };
                stats::draw_stats(app, s, frame, screen);
            }
        }
        Layer::Prompt => match &app.prompt {
            Some(p) => prompt::draw_prompt(app, p, frame, plan.status),
            None => prompt::draw_status(app, frame, plan.status),
        },
        Layer::Help => {
            if let Some(h) = &app.help {
                help::draw_help(app, h, frame, area);
            }
        }
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
