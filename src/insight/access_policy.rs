//! The team policy part of `mailroom access`: on the account's policy folder, every identifier
//! that may insert into or delete from it without the `a` right (the policy's own
//! `administrators` too, marked as named) is flagged `policy-writable` (`policy::guard`).

use serde::Serialize;

use super::access::{AccountAccess, Flag, FolderAccess};
use crate::config::Account;
use crate::imap::connect::ImapConn;
use crate::imap::policy::{self as remote, Depth};
use crate::imap::policy_acl::{self, Source};
use crate::policy::team;
use crate::sanitize::single_line;

/// The rule name of the flag.
pub const RULE: &str = "policy-writable";

/// `access --json`'s `policy` object.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PolicyAccess {
    pub folder: String,
    /// The version in force (null: none).
    pub version: Option<u64>,
    pub administrators: Vec<String>,
    /// "getacl", "myrights", "no-acl" or "missing".
    pub rights_checked: Option<Source>,
    pub note: Option<String>,
}

/// Examines the policy folder of `account` on `conn` and flags it in `out`. Failures become
/// warnings: the rest of the report stands. **Changes the selected mailbox** (EXAMINE).
pub fn flag(conn: &mut ImapConn, account: &Account, login: &str, out: &mut AccountAccess) {
    let folder = match remote::policy_folder(conn, account) {
        Ok(f) => f,
        Err(e) => {
            out.warnings
                .push(format!("the team policy folder could not be found: {e}"));
            return;
        }
    };
    let mut report = PolicyAccess {
        folder: single_line(&folder),
        ..PolicyAccess::default()
    };
    let guarded = remote::read(conn, &folder, Depth::InForce)
        .map(|read| team::in_force(&read.entries, &folder))
        .and_then(|in_force| {
            if let Some(p) = &in_force {
                report.version = Some(p.policy.version);
                report.administrators = p.policy.administrators.clone();
            }
            policy_acl::guard(conn, &folder, login, &report.administrators)
        });
    let g = match guarded {
        Ok(g) => g,
        Err(e) => {
            out.warnings.push(format!(
                "the team policy folder {:?} could not be examined: {e}",
                single_line(&folder)
            ));
            out.policy = Some(report);
            return;
        }
    };
    report.rights_checked = Some(g.source);
    if g.source != Source::Getacl {
        report.note = Some(g.source.describe().to_string());
    }
    if g.source != Source::Missing {
        let name = single_line(&folder);
        let index = match out.folders.iter().position(|f| f.name == name) {
            Some(i) => i,
            None => {
                out.folders.push(FolderAccess {
                    name,
                    myrights: g.myrights.clone(),
                    note: report.note.clone(),
                    ..FolderAccess::default()
                });
                out.folders.len() - 1
            }
        };
        out.folders[index]
            .flags
            .extend(g.tampering.iter().map(|t| Flag {
                rule: RULE,
                identifier: t.identifier.clone(),
                message: t.describe(),
            }));
    }
    out.policy = Some(report);
}

impl PolicyAccess {
    /// One line for the text report: the folder, the version in force, how far it was checked.
    pub fn summary(&self) -> String {
        let version = match self.version {
            Some(v) => format!("team policy version {v}"),
            None => "no team policy".to_string(),
        };
        let mut s = format!("policy folder {}: {version}", self.folder);
        if let Some(n) = &self.note {
            s.push_str(&format!(" ({n})"));
        }
        s
    }
}
