//! Renders an `App` into a ratatui frame: the painter, which walks the one layer stack and
//! calls each screen's `draw` (`ui::screen::<screen>::draw`), and the helpers several panes
//! share. Reads state only; every string that came from a message or a server is sanitized
//! where it is drawn (rows) or was sanitized when it entered the state.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Span;
use unicode_width::UnicodeWidthStr;

use super::app::App;
use super::layout;
use super::screen::prompt::draw as prompt;
use super::screen::{self, Layer, columns, compose, help, notes, reader, stats};
use crate::mail::display::fit;

/// Paints the screen: the theme's background, then the open layers of the one stack
/// (`screen::layers`) bottom-up, so the layer that takes the keys is the one on top.
pub fn draw(app: &App, frame: &mut Frame) {
    let area = frame.area();
    let plan = layout::plan_with(
        area,
        app.columns.len(),
        app.focus,
        app.reader.as_ref().map(|_| app.reader_mode),
        app.layout,
    );
    // As `Block::default().style(base)` paints it, a row at a time.
    super::widget::paint(st(app, "base"), area, frame.buffer_mut());
    let layers = screen::layers(app);
    if !layers.contains(&Layer::Prompt) {
        // The bottom line, under every pane (none covers it but the help overlay); it also
        // asks the open y/n question (`Layer::Confirm`).
        prompt::draw_status(app, frame, plan.status);
    }
    for layer in layers.into_iter().rev() {
        paint(layer, app, frame, area, &plan);
    }
}

/// Draws one layer of the screen `area`, laid out by `plan`.
fn paint(layer: Layer, app: &App, frame: &mut Frame, area: Rect, plan: &layout::Plan) {
    match layer {
        Layer::Columns => {
            if let Some(tabs) = plan.tabs {
                columns::draw::draw_tabs(app, frame, tabs);
            }
            for (i, rect) in &plan.strips {
                if let Some(c) = app.columns.get(*i) {
                    columns::draw::draw_strip(app, c, frame, *rect);
                }
            }
            if plan.unified {
                if let Some((_, rect)) = plan.columns.first() {
                    columns::draw::draw_unified(app, frame, *rect);
                }
                return;
            }
            for (i, rect) in &plan.columns {
                if let Some(c) = app.columns.get(*i) {
                    columns::draw::draw_column(app, c, *i == app.focus, frame, *rect);
                }
            }
        }
        Layer::Reader => {
            if let (Some(r), Some(rect)) = (&app.reader, plan.reader) {
                reader::draw::draw_reader(app, r, frame, rect);
            }
        }
        Layer::Note => {
            if let Some(n) = &app.note {
                notes::draw::draw_note_editor(app, n, frame, area);
            }
        }
        Layer::Compose => {
            if let Some(c) = &app.compose {
                compose::draw::draw_compose(app, c, frame, layout::compose_area(area));
            }
        }
        Layer::Prompt => {
            if let Some(p) = &app.prompt {
                prompt::draw_prompt(app, p, frame, plan.status);
            }
        }
        Layer::Stats => {
            if let Some(s) = &app.stats {
                let screen = Rect {
                    height: area.height.saturating_sub(1),
                    ..area
                };
                stats::draw::draw_stats(app, s, frame, screen);
            }
        }
        Layer::Drafts => {
            if let Some(p) = &app.drafts_pane {
                screen::drafts::draw_drafts(app, p, frame, area);
            }
        }
        Layer::Review => {
            if let Some(p) = &app.review {
                screen::review::draw::draw_review(app, p, frame, area);
            }
        }
        Layer::Messages => {
            if let Some(scroll) = app.status.view {
                screen::messages::draw_messages(app, scroll, frame, area);
            }
        }
        Layer::Help => {
            if let Some(h) = &app.help {
                help::draw::draw_help(app, h, frame, area);
            }
        }
        // The question is asked in the status line, drawn under the panes.
        Layer::Confirm => {}
    }
}

pub(crate) fn st(app: &App, element: &str) -> Style {
    app.theme.style(element, app.no_color)
}

/// Pieces of one line, cut with an ellipsis where the width ends and padded to fill it.
pub(crate) fn fit_spans(
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
pub(crate) fn pane_style(app: &App) -> Style {
    st(app, "reader_body").patch(st(app, "base"))
}

#[cfg(test)]
mod tests {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use super::*;
    use crate::ui::screen::compose::model::{Compose, Kind};
    use crate::ui::screen::notes::model::NoteEditor;
    use crate::ui::theme::{BUILTIN, Theme};

    fn screen_text(app: &App) -> String {
        let mut terminal = Terminal::new(TestBackend::new(80, 24)).expect("test backend");
        terminal.draw(|f| draw(app, f)).expect("drawn");
        let buffer = terminal.backend().buffer();
        (0..buffer.area.height)
            .map(|y| {
                (0..buffer.area.width)
                    .map(|x| buffer[(x, y)].symbol())
                    .collect::<String>()
                    + "\n"
            })
            .collect()
    }

    #[test]
    fn the_layer_that_takes_the_keys_is_painted_on_top() {
        let theme = Theme::parse(BUILTIN[0].1, "default").expect("built-in theme");
        let mut app = App::new(&[(0, "support".to_string())], theme, false);
        // Never open together from the keyboard; set by hand, the stack still decides.
        app.note = Some(NoteEditor::new(0, 7, "the note's subject"));
        let config: crate::config::Config = toml::from_str(
            "[agent]\nid = \"alice\"\nname = \"A\"\nemail = \"alice@example.test\"\n\
             [[account]]\nname = \"support\"\naddress = \"support@example.test\"\nsend = \"as\"\n\
             [account.maildir]\npath = \"/nonexistent\"\n",
        )
        .expect("a minimal configuration");
        let plan = crate::engine::reply::plan(
            &config,
            &config.accounts[0],
            crate::engine::reply::Kind::New,
            None,
            None,
        );
        app.compose = Some(Compose::new(
            0,
            "support",
            Kind::New,
            "d1".to_string(),
            plan,
        ));
        assert_eq!(
            screen::layers(&app)[..2],
            [screen::Layer::Compose, screen::Layer::Note],
            "the compose pane takes the keys"
        );
        let text = screen_text(&app);
        assert!(text.contains("new message · support"), "{text}");
        assert!(!text.contains("Internal note on"), "{text}");
    }
}
