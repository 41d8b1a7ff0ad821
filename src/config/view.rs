//! The team views a column can show (`ui.view`, `:view`, `V`; `due` only by name): their names, parsed here so a
//! bad `ui.view` is caught at load. Which rows each view shows is `triage::view`.

/// What a column shows. Every view but `all` hides a message snoozed until later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum View {
    /// Not done, not pending: the work in front of the team.
    #[default]
    Open,
    /// Open and assigned to the agent at the keyboard.
    Mine,
    /// Open and assigned to nobody: what is there to take.
    Unassigned,
    /// Waiting on the customer.
    Pending,
    Done,
    /// Everything, snoozed messages included.
    All,
    /// Open, waiting for a first response, and due soon or overdue under the team policy's
    /// `[sla]` target (`:view due`; not in the `V` cycle).
    Due,
}

impl View {
    pub const ALL: [View; 6] = [
        View::Open,
        View::Mine,
        View::Unassigned,
        View::Pending,
        View::Done,
        View::All,
    ];

    pub fn name(self) -> &'static str {
        match self {
            View::Open => "open",
            View::Mine => "mine",
            View::Unassigned => "unassigned",
            View::Pending => "pending",
            View::Done => "done",
            View::All => "all",
            View::Due => "due",
        }
    }

    pub fn parse(s: &str) -> Option<View> {
        let s = s.trim().to_ascii_lowercase();
        View::ALL
            .into_iter()
            .chain([View::Due])
            .find(|v| v.name() == s)
    }

    /// The next view in the cycle (`V`), after `all` back to `open`.
    pub fn next(self) -> View {
        let i = View::ALL.iter().position(|v| *v == self).unwrap_or(0);
        View::ALL[(i + 1) % View::ALL.len()]
    }
}
