//! The stats screen.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use crate::mail::display::fit;
use crate::ui::app::App;
use crate::ui::draw::st;
use crate::ui::screen::stats::model::StatsScreen;

/// The stats screen over the columns: text lines from `stats::model`, bars in `chart_bar`.
pub(crate) fn draw_stats(app: &App, s: &StatsScreen, frame: &mut Frame, area: Rect) {
    use crate::ui::screen::stats::model::Kind;
    frame.render_widget(Clear, area);
    let width = usize::from(area.width);
    let all = crate::ui::screen::stats::model::lines(s, width);
    let height = usize::from(area.height);
    // The title stays; the rest scrolls.
    let scroll = s.scroll.min(crate::ui::screen::stats::model::max_scroll(
        all.len(),
        height,
    ));
    let base = st(app, "base");
    let bar_style = st(app, "chart_bar");
    let mut lines: Vec<Line> = Vec::with_capacity(height);
    for (i, l) in all.iter().enumerate() {
        if i > 0 && i <= scroll {
            continue;
        }
        if lines.len() >= height.saturating_sub(1) {
            break;
        }
        let text = fit(&l.text, width);
        lines.push(match l.kind {
            Kind::Title => Line::styled(text, st(app, "column_header_focused")),
            Kind::Heading => Line::styled(text, st(app, "reader_header")),
            Kind::Warning => Line::styled(text, st(app, "status_error")),
            Kind::Text => Line::styled(text, base),
            Kind::Bar { start, len } => {
                let head: String = text.chars().take(start).collect();
                let bar: String = text.chars().skip(start).take(len).collect();
                let tail: String = text.chars().skip(start + len).collect();
                Line::from(vec![
                    Span::styled(head, base),
                    Span::styled(bar, bar_style),
                    Span::styled(tail, st(app, "row_age")),
                ])
            }
        });
    }
    let hint = " Tab/h/l mailbox · w window · r recompute · j/k scroll · q/Esc/S close";
    while lines.len() < height.saturating_sub(1) {
        lines.push(Line::from(""));
    }
    lines.push(Line::styled(fit(hint, width), st(app, "row_age")));
    frame.render_widget(Paragraph::new(lines).style(base), area);
}
