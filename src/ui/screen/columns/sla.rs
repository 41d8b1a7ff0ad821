//! A column under a first-response target (the team policy's `[sla]`): the target itself,
//! and the `due` view, whose rows change with the clock.

use super::Column;
use crate::config::View;
use crate::policy::team::Sla;
use crate::ui::app::App;

/// The team policy of account `account_idx` changed: its column takes the policy's `[sla]`
/// (`None`: no policy, or none in it). True when the column changed.
pub(crate) fn on_target(app: &mut App, account_idx: usize, sla: Option<Sla>) -> bool {
    let h = app.list_height();
    match app.column_mut(account_idx) {
        Some(c) if c.sla != sla => {
            c.set_sla(sla, h);
            true
        }
        _ => false,
    }
}

impl Column {
    /// Sets the account's first-response target (`None`: no policy, or no `[sla]` in it).
    pub fn set_sla(&mut self, sla: Option<Sla>, height: usize) {
        if self.sla == sla {
            return;
        }
        self.sla = sla;
        if self.team_view == View::Due {
            self.refilter(height);
        }
    }

    /// Whether the `due` view must be made again at `now`: it shows rows by the clock, so it
    /// is refreshed each minute the clock moves into.
    pub(crate) fn due_view_moves(&self, now: i64) -> bool {
        self.team_view == View::Due
            && self.sla.is_some()
            && now.div_euclid(60) != self.now.div_euclid(60)
    }
}
