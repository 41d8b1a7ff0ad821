//! The team folders of one mailbox: their names, and which state each one means.

use crate::config::is_valid_agent_id;
use crate::triage::state::{TeamState, TriageError};

pub const ASSIGNED: &str = "Assigned";
pub const PENDING: &str = "Pending";
pub const DONE: &str = "Done";

/// The team folders of one mailbox.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TeamFolders {
    pub mailbox: String,
    /// The prefix of the team folders: the mailbox's parent and delimiter, or empty.
    pub root: String,
    /// The hierarchy delimiter (`/` when the server has none: then `Assigned/alice` is a flat
    /// name).
    pub delimiter: char,
}

/// Where a message is, in the folder mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    Mailbox,
    Assigned(String),
    Pending,
    Done,
}

impl TeamFolders {
    pub fn new(mailbox: &str, delimiter: Option<char>) -> TeamFolders {
        TeamFolders::in_tree(mailbox, delimiter, None)
    }

    /// As [`TeamFolders::new`], with the server's personal NAMESPACE prefix: a delegated
    /// top-level `INBOX` on Cyrus or Courier keeps its team folders under `INBOX.`.
    pub fn in_tree(
        mailbox: &str,
        delimiter: Option<char>,
        personal_prefix: Option<&str>,
    ) -> TeamFolders {
        // The mailbox's own tree (`mail::tree`): siblings of an `INBOX`, children of any other
        // mailbox (Cyrus' `shared.support` → `shared.support.Assigned.<agent>`); a top-level
        // `INBOX`'s are under the personal NAMESPACE prefix (`""`, or `INBOX.` on Cyrus).
        TeamFolders {
            mailbox: mailbox.to_string(),
            root: crate::mail::tree::root(mailbox, delimiter, personal_prefix),
            delimiter: delimiter.unwrap_or('/'),
        }
    }

    /// `<root>Assigned` (the parent of every agent's folder).
    pub fn assigned_parent(&self) -> String {
        format!("{}{ASSIGNED}", self.root)
    }

    /// `<root>Assigned<d><agent>`; the agent id is checked first.
    pub fn assigned(&self, agent: &str) -> Result<String, TriageError> {
        if !is_valid_agent_id(agent) {
            return Err(TriageError::BadAgent(crate::sanitize::single_line(agent)));
        }
        Ok(format!(
            "{}{}{agent}",
            self.assigned_parent(),
            self.delimiter
        ))
    }

    pub fn pending(&self) -> String {
        format!("{}{PENDING}", self.root)
    }

    pub fn done(&self) -> String {
        format!("{}{DONE}", self.root)
    }

    /// `<root>{Assigned/<agent>,Pending,Done}`, for `check`.
    pub fn describe(&self) -> String {
        format!(
            "{}{{{ASSIGNED}{}<agent>,{PENDING},{DONE}}}",
            self.root, self.delimiter
        )
    }

    pub fn name_of(&self, place: &Place) -> Result<String, TriageError> {
        Ok(match place {
            Place::Mailbox => self.mailbox.clone(),
            Place::Assigned(a) => self.assigned(a)?,
            Place::Pending => self.pending(),
            Place::Done => self.done(),
        })
    }

    /// Which team folder `name` (a full name) is, if any.
    pub fn place(&self, name: &str) -> Option<Place> {
        if name == self.mailbox {
            return Some(Place::Mailbox);
        }
        if name == self.pending() {
            return Some(Place::Pending);
        }
        if name == self.done() {
            return Some(Place::Done);
        }
        let prefix = format!("{}{}", self.assigned_parent(), self.delimiter);
        name.strip_prefix(&prefix)
            .filter(|a| is_valid_agent_id(a))
            .map(|a| Place::Assigned(a.to_string()))
    }

    /// A folder as the user names it: the full name, or relative to the root (`Pending`,
    /// `Assigned/alice`). Only the mailbox and its team folders are accepted.
    pub fn resolve(&self, given: &str) -> Option<String> {
        if self.place(given).is_some() {
            return Some(given.to_string());
        }
        let full = format!("{}{given}", self.root);
        self.place(&full).map(|_| full)
    }
}

/// The team state a message's folder says (no flag is read: `\Flagged` is the users' own).
pub fn state_of(place: &Place) -> TeamState {
    let mut st = TeamState::default();
    match place {
        Place::Mailbox => {}
        Place::Assigned(a) => st.assigned = Some(a.clone()),
        Place::Pending => st.pending = true,
        Place::Done => st.done = true,
    }
    st
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn folders_are_siblings_of_the_mailbox() {
        let tf = TeamFolders::new("shared/support/INBOX", Some('/'));
        assert_eq!(tf.root, "shared/support/");
        assert_eq!(
            tf.assigned("alice").unwrap(),
            "shared/support/Assigned/alice"
        );
        assert_eq!(tf.pending(), "shared/support/Pending");
        assert_eq!(tf.done(), "shared/support/Done");
        assert_eq!(
            tf.describe(),
            "shared/support/{Assigned/<agent>,Pending,Done}"
        );
        assert_eq!(
            tf.place("shared/support/Assigned/bob"),
            Some(Place::Assigned("bob".into()))
        );
        assert_eq!(tf.place("shared/support/INBOX"), Some(Place::Mailbox));
        assert_eq!(tf.place("shared/support/Sent"), None);
        assert_eq!(tf.place("shared/support/Assigned/Bad Agent"), None);
        assert_eq!(
            tf.resolve("Pending").as_deref(),
            Some("shared/support/Pending")
        );
        assert_eq!(
            tf.resolve("Assigned/alice").as_deref(),
            Some("shared/support/Assigned/alice")
        );
        assert_eq!(tf.resolve("Sent"), None);

        let top = TeamFolders::new("INBOX", Some('.'));
        assert_eq!(top.root, "");
        assert_eq!(top.assigned("alice").unwrap(), "Assigned.alice");
        assert_eq!(top.done(), "Done");
        let cyrus = TeamFolders::in_tree("INBOX", Some('.'), Some("INBOX."));
        assert_eq!(cyrus.assigned("alice").unwrap(), "INBOX.Assigned.alice");
        assert_eq!(cyrus.done(), "INBOX.Done");
        let flat = TeamFolders::new("INBOX", None);
        assert_eq!(flat.assigned("bob").unwrap(), "Assigned/bob");
    }

    #[test]
    fn hostile_agent_ids_never_reach_the_wire() {
        let tf = TeamFolders::new("shared/support/INBOX", Some('/'));
        for bad in ["a b", "x\r\nA1 LOGOUT", "", "Ünïcode", "../x"] {
            assert!(tf.assigned(bad).is_err(), "{bad:?}");
        }
    }
}
