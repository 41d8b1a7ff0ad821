//! IMAP ACL rights (RFC 4314) and the mailroom actions they allow (see PROTOCOL.md).

use std::fmt;

/// The standard rights mailroom cares about, as a set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rights(u16);

const RIGHT_CHARS: &str = "lrswipkxtea";

impl Rights {
    fn bit(c: char) -> Option<u16> {
        RIGHT_CHARS.find(c).map(|i| 1 << i)
    }

    /// Parses a MYRIGHTS string. Obsolete RFC 2086 rights (`c`, `d`) and unknown characters
    /// are ignored: Dovecot prints `c`/`d` next to `k x t e`, and they add nothing.
    pub fn parse(s: &str) -> Rights {
        Rights(s.chars().filter_map(Rights::bit).fold(0, |a, b| a | b))
    }

    pub fn all() -> Rights {
        Rights::parse(RIGHT_CHARS)
    }

    pub fn has(self, c: char) -> bool {
        Rights::bit(c).is_some_and(|b| self.0 & b != 0)
    }

    pub fn with(self, c: char) -> Rights {
        Rights(self.0 | Rights::bit(c).unwrap_or(0))
    }

    /// Rights inferred when the server has no ACL extension: a read-only SELECT allows
    /// reading; otherwise PERMANENTFLAGS tells what may be stored.
    pub fn from_select(read_only: bool, permanent_flags: &[String]) -> Rights {
        let mut r = Rights::parse("lr");
        if read_only {
            return r;
        }
        let has = |f: &str| permanent_flags.iter().any(|p| p.eq_ignore_ascii_case(f));
        if has("\\Seen") {
            r = r.with('s');
        }
        if has("\\Flagged") || has("\\*") || has("\\Answered") {
            r = r.with('w');
        }
        if has("\\Deleted") {
            r = r.with('t').with('e');
        }
        // Without ACL nothing says APPEND is refused; a read-write mailbox usually takes it.
        r.with('i')
    }

    pub fn actions(self) -> Vec<Action> {
        Action::ALL
            .iter()
            .copied()
            .filter(|a| a.allowed_by(self))
            .collect()
    }
}

impl fmt::Display for Rights {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in RIGHT_CHARS.chars() {
            if self.has(c) {
                write!(f, "{c}")?;
            }
        }
        Ok(())
    }
}

/// Everything an agent can do to a shared mailbox, each gated by ACL rights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    List,
    Open,
    MarkRead,
    Flag,
    Claim,
    Assign,
    SetStatus,
    MarkReplying,
    AppendSent,
    AddNote,
    SaveDraft,
    Delete,
    Archive,
    Administer,
}

impl Action {
    pub const ALL: [Action; 14] = [
        Action::List,
        Action::Open,
        Action::MarkRead,
        Action::Flag,
        Action::Claim,
        Action::Assign,
        Action::SetStatus,
        Action::MarkReplying,
        Action::AppendSent,
        Action::AddNote,
        Action::SaveDraft,
        Action::Delete,
        Action::Archive,
        Action::Administer,
    ];

    /// The rights every one of which the action needs.
    pub fn required_rights(self) -> &'static str {
        match self {
            Action::List => "l",
            Action::Open => "r",
            Action::MarkRead => "s",
            Action::Flag
            | Action::Claim
            | Action::Assign
            | Action::SetStatus
            | Action::MarkReplying => "w",
            Action::AppendSent | Action::AddNote | Action::SaveDraft => "i",
            Action::Delete => "te",
            Action::Archive => "te",
            Action::Administer => "a",
        }
    }

    pub fn allowed_by(self, rights: Rights) -> bool {
        self.required_rights().chars().all(|c| rights.has(c))
    }

    pub fn name(self) -> &'static str {
        match self {
            Action::List => "list",
            Action::Open => "open",
            Action::MarkRead => "mark-read",
            Action::Flag => "flag",
            Action::Claim => "claim",
            Action::Assign => "assign",
            Action::SetStatus => "set-status",
            Action::MarkReplying => "mark-replying",
            Action::AppendSent => "append-sent",
            Action::AddNote => "add-note",
            Action::SaveDraft => "save-draft",
            Action::Delete => "delete",
            Action::Archive => "archive",
            Action::Administer => "administer",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(r: &str) -> Vec<&'static str> {
        Rights::parse(r)
            .actions()
            .into_iter()
            .map(Action::name)
            .collect()
    }

    #[test]
    fn dovecot_full_rights_ignore_obsolete_c_d() {
        let r = Rights::parse("lrwstipekxacd");
        assert_eq!(r, Rights::all());
        assert_eq!(r.to_string(), "lrswipkxtea");
    }

    #[test]
    fn rights_map_to_actions() {
        assert_eq!(names("lr"), ["list", "open"]);
        assert_eq!(
            names("lrwsti"),
            [
                "list",
                "open",
                "mark-read",
                "flag",
                "claim",
                "assign",
                "set-status",
                "mark-replying",
                "append-sent",
                "add-note",
                "save-draft"
            ]
        );
        assert!(names("lrwstipekxa").contains(&"delete"));
        assert!(names("lrwstipekxa").contains(&"administer"));
        assert!(!names("lrwstip").contains(&"delete"));
    }

    #[test]
    fn without_acl_select_state_decides() {
        assert_eq!(
            Rights::from_select(true, &["\\Seen".into()]).to_string(),
            "lr"
        );
        let rw = Rights::from_select(
            false,
            &[
                "\\Seen".into(),
                "\\Flagged".into(),
                "\\Deleted".into(),
                "\\*".into(),
            ],
        );
        assert_eq!(rw.to_string(), "lrswite");
    }
}
