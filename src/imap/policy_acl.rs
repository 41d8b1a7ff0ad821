//! The policy folder's ACL on an IMAP server: who may change the team policy (`check`,
//! `access`), and locking the folder after a publication (`mailroom policy publish`). The rules
//! are pure, in `policy::guard`; here are GETACL, MYRIGHTS and SETACL.
//!
//! Nothing here changes the selected mailbox.

use serde::Serialize;

use super::connect::{DEFAULT_READ_BUDGET, ImapConn, describe};
use super::notes::{NotesError, listed, server_error};
use super::quote_mailbox;
use super::tree;
use crate::mail::utf7;
use crate::policy::guard::{self, Change, Entry, Tamper};
use crate::policy::rights::Rights;
use crate::sanitize::single_line;

/// How the policy folder's rights were learned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// Every identifier's rights (GETACL: this login holds `a`).
    Getacl,
    /// Only this login's rights (MYRIGHTS: GETACL needs `a`).
    Myrights,
    /// The server has no ACL extension: its own folder permissions rule.
    NoAcl,
    /// The folder does not exist yet.
    Missing,
}

impl Source {
    /// What the report says about how far it looked.
    pub fn describe(self) -> &'static str {
        match self {
            Source::Getacl => "every identifier's rights checked (GETACL)",
            Source::Myrights => {
                "only this login's rights checked (MYRIGHTS): listing everyone's needs the `a` right"
            }
            Source::NoAcl => {
                "the server has no ACL extension: tamper-evidence rests on the server's own folder permissions"
            }
            Source::Missing => "the policy folder does not exist",
        }
    }
}

/// Who may change the policy folder without administering it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Guarded {
    pub folder: String,
    pub source: Source,
    /// This login's rights on the folder (without `c`/`d`), where the server has ACL.
    pub myrights: Option<String>,
    pub tampering: Vec<Tamper>,
}

/// GETACL on `folder`: every identifier and its rights (needs `a`).
pub fn acl(conn: &mut ImapConn, folder: &str) -> Result<Vec<Entry>, NotesError> {
    if quote_mailbox(folder).is_none() {
        return Err(NotesError::BadFolder(single_line(folder)));
    }
    conn.budget.grant(DEFAULT_READ_BUDGET);
    let entries = conn
        .session
        .get_acl(utf7::encode(folder))
        .map(|acl| {
            acl.parsed()
                .acls()
                .iter()
                .map(|e| Entry::new(&single_line(&e.identifier), &e.rights.to_string()))
                .collect::<Vec<_>>()
        })
        .map_err(|e| server_error(folder, &e));
    let _ = conn.session.take_all_unsolicited().count();
    entries
}

/// Who may change `folder` without administering it, as far as this login can see: everyone
/// (GETACL) when it holds `a`, else only itself (MYRIGHTS), named `login` (the agent id, which
/// the policy's `administrators` name).
pub fn guard(
    conn: &mut ImapConn,
    folder: &str,
    login: &str,
    administrators: &[String],
) -> Result<Guarded, NotesError> {
    let mut out = Guarded {
        folder: single_line(folder),
        source: Source::NoAcl,
        myrights: None,
        tampering: Vec::new(),
    };
    if listed(conn, folder)?.is_none() {
        out.source = Source::Missing;
        return Ok(out);
    }
    let Some(mine) = tree::myrights(conn, folder).map_err(|e| server_error(folder, &e))? else {
        return Ok(out);
    };
    out.myrights = Some(mine.to_string());
    if mine.has('a') {
        out.source = Source::Getacl;
        out.tampering = guard::tampering(&acl(conn, folder)?, administrators);
    } else {
        out.source = Source::Myrights;
        out.tampering = guard::tamper(login, mine, administrators)
            .into_iter()
            .collect();
    }
    Ok(out)
}

/// What [`lock`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum Lock {
    /// The folder was locked: these rights were reduced (none: it already was).
    Locked {
        changes: Vec<Change>,
        /// The ACL read back afterwards.
        acl: Vec<(String, String)>,
    },
    /// This login lacks `a`: the folder stays as it is.
    NotAdministrator { myrights: String },
    /// The server has no ACL extension.
    NoAcl,
}

fn quote_identifier(identifier: &str) -> Option<String> {
    if identifier.is_empty() || identifier.chars().any(char::is_control) {
        return None;
    }
    let mut q = String::with_capacity(identifier.len() + 2);
    q.push('"');
    for c in identifier.chars() {
        if c == '"' || c == '\\' {
            q.push('\\');
        }
        q.push(c);
    }
    q.push('"');
    Some(q)
}

/// SETACL `identifier` to exactly `rights` on `folder` (DELETEACL when `rights` is empty).
fn set(
    conn: &mut ImapConn,
    folder: &str,
    identifier: &str,
    rights: &str,
) -> Result<(), NotesError> {
    let (Some(qf), Some(qi)) = (quote_mailbox(folder), quote_identifier(identifier)) else {
        return Err(NotesError::Server {
            folder: single_line(folder),
            message: format!(
                "the identifier {:?} cannot be sent in a command",
                single_line(identifier)
            ),
        });
    };
    let rights: String = rights.chars().filter(char::is_ascii_lowercase).collect();
    let command = if rights.is_empty() {
        format!("DELETEACL {qf} {qi}")
    } else {
        format!("SETACL {qf} {qi} {rights}")
    };
    conn.budget.grant(DEFAULT_READ_BUDGET);
    let done = conn.session.run_command_and_check_ok(&command);
    let _ = conn.session.take_all_unsolicited().count();
    done.map_err(|e| NotesError::Server {
        folder: single_line(folder),
        message: format!(
            "{} {} failed: {}",
            command.split(' ').next().unwrap_or("SETACL"),
            single_line(identifier),
            describe(&e)
        ),
    })
}

/// Locks `folder` after `publisher` (this login) published: the publisher, the
/// `administrators` and holders of `a` keep their rights, everyone else is reduced to at most
/// `lr` (`policy::guard::lock_plan`). Needs `a`; without it nothing is changed.
pub fn lock(
    conn: &mut ImapConn,
    folder: &str,
    publisher: &str,
    administrators: &[String],
) -> Result<Lock, NotesError> {
    let Some(mine) = tree::myrights(conn, folder).map_err(|e| server_error(folder, &e))? else {
        return Ok(Lock::NoAcl);
    };
    if !mine.has('a') {
        return Ok(Lock::NotAdministrator {
            myrights: mine.to_string(),
        });
    }
    let changes = guard::lock_plan(&acl(conn, folder)?, publisher, administrators);
    for c in &changes {
        set(conn, folder, &c.identifier, &c.to)?;
    }
    let acl = acl(conn, folder)?
        .into_iter()
        .map(|e| (e.identifier, e.rights.to_string()))
        .collect();
    Ok(Lock::Locked { changes, acl })
}

/// This login's rights on `folder` (`None` without ACL or when the folder is missing).
pub fn myrights(conn: &mut ImapConn, folder: &str) -> Result<Option<Rights>, NotesError> {
    if listed(conn, folder)?.is_none() {
        return Ok(None);
    }
    tree::myrights(conn, folder).map_err(|e| server_error(folder, &e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted_and_line_breaks_refused() {
        assert_eq!(quote_identifier("bob").as_deref(), Some("\"bob\""));
        assert_eq!(quote_identifier("a\"b").as_deref(), Some("\"a\\\"b\""));
        assert_eq!(quote_identifier("bob\r\nx"), None);
        assert_eq!(quote_identifier(""), None);
    }
}
