//! `:messages`: the last errors of the status line (`status::HISTORY` of them) with the time
//! each was shown, newest last, in an overlay that scrolls like the help overlay and closes
//! with q or Esc. Times are in `insight.timezone_offset` (UTC when unset).

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, BorderType, Borders, Paragraph};

use crate::engine::Request;
use crate::ui::app::App;
use crate::ui::draw::{fit_spans, pane_style, st};
use crate::ui::keys::{Action, Context};
use crate::ui::layout;
use crate::ui::screen::Handled;
use crate::ui::screen::confirm::quit;
use crate::ui::screen::help::help_fallback;
use crate::ui::widget;

/// `:messages`: opens the history at its newest errors.
pub(crate) fn open(app: &mut App) -> Vec<Request> {
    let max = lines(app).len().saturating_sub(page(app));
    app.status.view = Some(max);
    Vec::new()
}

fn page(app: &App) -> usize {
    app.help_height().max(1)
}

/// The clock of the history: the configured offset, else UTC.
fn offset(app: &App) -> (i64, String) {
    let text = app
        .config
        .as_ref()
        .and_then(|c| c.insight.timezone_offset.clone());
    match text.as_deref().map(crate::config::parse_offset) {
        Some(Ok(secs)) if secs != 0 => (i64::from(secs), text.unwrap_or_default()),
        _ => (0, "UTC".to_string()),
    }
}

/// "HH:MM:SS" of Unix time `secs` at `offset` seconds east of UTC.
pub fn clock(secs: i64, offset: i64) -> String {
    let t = (secs + offset).rem_euclid(86_400);
    format!("{:02}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60)
}

/// The overlay's lines: (time, text), oldest first.
fn lines(app: &App) -> Vec<(String, String)> {
    let (off, _) = offset(app);
    app.status
        .history()
        .map(|l| {
            let at = l.at.map_or_else(|| "now".to_string(), |t| clock(t, off));
            let text = match l.count {
                1 => l.text.clone(),
                n => format!("{} (×{n})", l.text),
            };
            (at, text)
        })
        .collect()
}

pub(crate) fn messages_key(app: &mut App, k: &KeyEvent) -> Handled {
    let s = app.status.view?;
    let action = app
        .keymap
        .lookup(Context::Reader, k)
        .or_else(|| help_fallback().lookup(Context::Reader, k))?;
    let page = page(app);
    let max = lines(app).len().saturating_sub(page);
    let next = match action {
        Action::ForceQuit => return Some(quit(app)),
        Action::Quit | Action::Close | Action::Clear | Action::Help => {
            app.status.view = None;
            return Some(Vec::new());
        }
        Action::Down => s + 1,
        Action::Up => s.saturating_sub(1),
        Action::PageDown => s + page,
        Action::PageUp => s.saturating_sub(page),
        Action::HalfPageDown => s + page.div_ceil(2),
        Action::HalfPageUp => s.saturating_sub(page.div_ceil(2)),
        Action::Top => 0,
        Action::Bottom => max,
        _ => return None,
    };
    app.status.view = Some(next.min(max));
    Some(Vec::new())
}

/// The overlay, where the help overlay goes.
pub(crate) fn draw_messages(app: &App, scroll: usize, frame: &mut Frame, area: Rect) {
    let rect = layout::help_area(area);
    if rect.width < 4 || rect.height < 3 {
        return;
    }
    let all = lines(app);
    let (_, zone) = offset(app);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Thick)
        .border_style(st(app, "border_focused"))
        .title(Line::from(format!(
            " messages · last {} errors ({zone}) · q Esc close ",
            all.len()
        )))
        .title_bottom(Line::from(" j/k scroll "));
    let base = pane_style(app);
    let inner = widget::popup(frame, rect, block, base);
    let width = usize::from(inner.width);
    let shown: Vec<Line> = if all.is_empty() {
        vec![Line::styled(" no errors so far", st(app, "row_age"))]
    } else {
        all.iter()
            .skip(scroll)
            .take(usize::from(inner.height))
            .map(|(at, text)| {
                let parts = vec![
                    (format!(" {at}  "), st(app, "row_age")),
                    (text.clone(), base),
                ];
                Line::from(fit_spans(parts, width, base))
            })
            .collect()
    };
    frame.render_widget(Paragraph::new(shown).style(base), inner);
}

#[cfg(test)]
mod tests {
    use super::clock;

    #[test]
    fn clock_times_are_at_the_offset() {
        assert_eq!(clock(1_764_000_000, 0), "16:00:00");
        assert_eq!(clock(1_764_000_000, 3600), "17:00:00");
        assert_eq!(clock(1_764_000_000, -17 * 3600), "23:00:00");
    }
}
