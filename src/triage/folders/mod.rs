//! Team state on servers without permanent keywords (PERMANENTFLAGS lacks `\*`, e.g.
//! Microsoft 365): the same states mapped to folders beside the shared mailbox.
//!
//! | state | where the message is |
//! |---|---|
//! | open, unassigned | the mailbox itself (e.g. `shared/support/INBOX`) |
//! | assigned to agent | `<root>Assigned<d><agent>` |
//! | pending | `<root>Pending` |
//! | done | `<root>Done` |
//!
//! `<root>` is the mailbox's parent with the server's hierarchy delimiter `<d>`
//! (`shared/support/INBOX` → `shared/support/`; a top-level `INBOX` → nothing). The states are
//! exclusive (a message is in one folder): pending and done do not keep who held the message;
//! reopen and unassign move it back to the mailbox. No flag or keyword is set, read or cleared:
//! `\Flagged` means only what users mean by it, and a flagged message is claimed like any
//! other. Snooze and "replying" marks need keywords and are refused here.
//!
//! Here: which mapping a mailbox gets (`detect`, `decide`, [`Mapping`]); the folder names
//! (`names`: [`TeamFolders`], [`Place`]); the claim protocol, atomic by the MOVE itself
//! (`claim`: `apply`, see its module doc) and its duplicate copies (`copies`); the IMAP
//! commands they use (`wire`).

mod claim;
mod copies;
mod names;
mod wire;

pub(crate) use claim::apply;
pub use claim::{FOLDER_RIGHTS, archive};
pub use names::{ASSIGNED, DONE, PENDING, Place, TeamFolders, state_of};

use crate::config::TeamStateSetting;
use crate::policy::rights::Rights;

/// What the mailbox's SELECT says about team state, before any `team_state` override.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Detected {
    /// PERMANENTFLAGS has `\*`: new keywords persist.
    Keywords,
    /// A writable mailbox whose PERMANENTFLAGS lack `\*`: the server keeps no custom keywords.
    Folders,
    /// `[READ-ONLY]` or no `w` right: PERMANENTFLAGS are empty because of this agent's rights,
    /// which says nothing about the server.
    ReadOnly,
}

impl Detected {
    pub fn as_str(self) -> &'static str {
        match self {
            Detected::Keywords => "keywords",
            Detected::Folders => "folders",
            Detected::ReadOnly => "read-only",
        }
    }
}

/// The one decision, for `triage` and `check` alike. A read-only agent comes first.
pub fn detect(read_only: bool, permanent_flags: &[String], rights: &Rights) -> Detected {
    if read_only || !rights.has('w') {
        Detected::ReadOnly
    } else if permanent_flags.iter().any(|f| f == "\\*") {
        Detected::Keywords
    } else {
        Detected::Folders
    }
}

/// Where team state lives for one account, as decided by [`decide`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TeamStateAt {
    /// In IMAP keywords (and flags): the server keeps them, or this agent cannot write anyway
    /// but the account says `keywords`.
    #[default]
    Keywords,
    /// In folders beside the mailbox (`team_state = "folders"`, or `auto` on a server without
    /// permanent keywords).
    Folders,
    /// `auto` on a mailbox this agent cannot change: SELECT says nothing about the server.
    ReadOnly,
}

/// What one SELECT decides: the agent's rights, what the server's flags say, and where team
/// state lives once the account's `team_state` setting is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Access {
    pub rights: Rights,
    pub detected: Detected,
    pub team_state: TeamStateAt,
}

/// The one decision, made once per SELECT, for the column view's account threads and for
/// `triage::act` alike. `myrights` is the MYRIGHTS answer where the server has ACL; without it
/// the rights are inferred from `[READ-ONLY]` and PERMANENTFLAGS. A read-write mailbox whose
/// SELECT states no PERMANENTFLAGS keeps every flag (RFC 3501 §7.1): all rights, keywords.
/// The `team_state` setting wins; `auto` follows what the server's flags say.
pub fn decide(
    read_only: bool,
    permanent_flags: &[String],
    myrights: Option<Rights>,
    setting: TeamStateSetting,
) -> Access {
    let unstated = !read_only && permanent_flags.is_empty();
    let rights = match myrights {
        Some(r) => r,
        None if unstated => Rights::all(),
        None => Rights::from_select(read_only, permanent_flags),
    };
    let detected = if unstated {
        detect(read_only, &["\\*".to_string()], &rights)
    } else {
        detect(read_only, permanent_flags, &rights)
    };
    let team_state = match (setting, detected) {
        (TeamStateSetting::Folders, _) | (TeamStateSetting::Auto, Detected::Folders) => {
            TeamStateAt::Folders
        }
        (TeamStateSetting::Auto, Detected::ReadOnly) => TeamStateAt::ReadOnly,
        _ => TeamStateAt::Keywords,
    };
    Access {
        rights,
        detected,
        team_state,
    }
}

/// Where team state is kept for one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mapping {
    Keywords,
    Folders(TeamFolders),
}

impl Mapping {
    /// The configured setting wins; `auto` uses folders only where the server lacks keywords
    /// (a read-only agent cannot tell, and changes nothing: keywords).
    pub fn choose(
        setting: TeamStateSetting,
        detected: Detected,
        mailbox: &str,
        delimiter: Option<char>,
        personal_prefix: Option<&str>,
    ) -> Mapping {
        match (setting, detected) {
            (TeamStateSetting::Folders, _) | (TeamStateSetting::Auto, Detected::Folders) => {
                Mapping::Folders(TeamFolders::in_tree(mailbox, delimiter, personal_prefix))
            }
            _ => Mapping::Keywords,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Mapping::Keywords => "keywords",
            Mapping::Folders(_) => "folders",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }
    #[test]
    fn detection_reads_permanentflags_and_puts_rights_first() {
        let all = Rights::parse("lrwstipekxa");
        let ro = Rights::parse("lr");
        let with = flags(&[
            "\\Answered",
            "\\Flagged",
            "\\Deleted",
            "\\Seen",
            "\\Draft",
            "\\*",
        ]);
        let without = flags(&["\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft"]);
        assert_eq!(detect(false, &with, &all), Detected::Keywords);
        // Microsoft 365: writable, no \*.
        assert_eq!(detect(false, &without, &all), Detected::Folders);
        // A read-only agent's empty PERMANENTFLAGS are about rights, not the server.
        assert_eq!(detect(true, &[], &all), Detected::ReadOnly);
        assert_eq!(detect(false, &[], &ro), Detected::ReadOnly);
    }

    #[test]
    fn one_decision_per_select_applies_the_setting() {
        use TeamStateSetting::{Auto, Folders, Keywords};
        let with = flags(&["\\Seen", "\\Flagged", "\\*"]);
        let without = flags(&["\\Seen", "\\Flagged"]);
        let at = |ro, f: &[String], s| decide(ro, f, None, s).team_state;
        assert_eq!(at(false, &with, Auto), TeamStateAt::Keywords);
        assert_eq!(at(false, &without, Auto), TeamStateAt::Folders);
        assert_eq!(at(true, &with, Auto), TeamStateAt::ReadOnly);
        // The setting wins over what the server says.
        assert_eq!(at(false, &with, Folders), TeamStateAt::Folders);
        assert_eq!(at(true, &with, Folders), TeamStateAt::Folders);
        assert_eq!(at(false, &without, Keywords), TeamStateAt::Keywords);
        assert_eq!(at(true, &with, Keywords), TeamStateAt::Keywords);
        // Rights: MYRIGHTS where given, else inferred from SELECT.
        let ro = decide(true, &with, None, Auto);
        assert!(!ro.rights.has('s') && !ro.rights.has('w'));
        assert_eq!(ro.detected, Detected::ReadOnly);
        let given = decide(false, &with, Some(Rights::parse("lr")), Auto);
        assert_eq!(given.rights, Rights::parse("lr"));
        assert_eq!(given.team_state, TeamStateAt::ReadOnly);
        // No PERMANENTFLAGS on a read-write mailbox: every flag is permanent (RFC 3501).
        let silent = decide(false, &[], None, Auto);
        assert!(silent.rights.has('s') && silent.rights.has('w'));
        assert_eq!(silent.detected, Detected::Keywords);
        assert_eq!(silent.team_state, TeamStateAt::Keywords);
    }

    #[test]
    fn the_setting_overrides_detection() {
        use TeamStateSetting::*;
        let m = |s, d| Mapping::choose(s, d, "shared/support/INBOX", Some('/'), None).name();
        assert_eq!(m(Auto, Detected::Keywords), "keywords");
        assert_eq!(m(Auto, Detected::Folders), "folders");
        assert_eq!(m(Auto, Detected::ReadOnly), "keywords");
        assert_eq!(m(Folders, Detected::Keywords), "folders");
        assert_eq!(m(Keywords, Detected::Folders), "keywords");
    }
}
