//! The highlight of a new row in the column view: the theme's `row_new` style and a `*` in the
//! gutter (visible without colour too). The selected row keeps the selection's look.

use ratatui::text::Line;

use crate::ui::app::App;
use crate::ui::draw::st;

/// `line`, the drawn row of message `uid` of account `account_idx`, highlighted when it is new.
pub(crate) fn mark_row<'a>(
    app: &App,
    account_idx: usize,
    uid: u32,
    mut line: Line<'a>,
) -> Line<'a> {
    if !app.notify.is_new(account_idx, uid) {
        return line;
    }
    let selected = line.spans.first().is_some_and(|g| g.content == ">");
    if selected {
        return line;
    }
    let style = st(app, "row_new");
    if let Some(g) = line.spans.first_mut() {
        g.content = "*".into();
    }
    for span in &mut line.spans {
        span.style = span.style.patch(style);
    }
    line
}
