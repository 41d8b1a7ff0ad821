//! The status line's messages: warnings, errors and the outbox.

use crate::engine::event::OutboxStatus;
use crate::sanitize;
use crate::ui::app::App;
use crate::ui::screen::columns::LoadState;

/// A warning about an account, for the status line.
pub(crate) fn on_warning(app: &mut App, account_idx: usize, message: String) {
    app.set_notice(account_idx, &message);
}

/// An error, of an account or of the whole UI, for the status line.
pub(crate) fn on_error(app: &mut App, account_idx: Option<usize>, message: String) {
    let message = sanitize::single_line(message.trim());
    if let Some(c) = account_idx.and_then(|i| app.column_mut(i)) {
        c.state = LoadState::Failed(message.clone());
    }
    app.set_error(message);
}

/// The outbox as its thread reports it.
pub(crate) fn on_outbox(app: &mut App, mut status: OutboxStatus) -> bool {
    let mut changed = false;
    status.last_error = status.last_error.map(|e| sanitize::single_line(e.trim()));
    if status.delivered > 0 && app.error.is_none() {
        app.notice = Some(match status.delivered {
            1 => "outbox: 1 message delivered".to_string(),
            n => format!("outbox: {n} messages delivered"),
        });
        changed = true;
    }
    if app.outbox != status {
        app.outbox = status;
        changed = true;
    }
    changed
}
