//! `mailroom access`: who may do what on every configured shared mailbox.
//!
//! For each IMAP account, on one connection:
//! - **Folders**: the configured `mailbox` and every selectable folder of its own tree
//!   (`mail::tree`), at any depth, found by LIST `"" "<root>*"`: for Dovecot's
//!   `shared/support/INBOX` everything under `shared/support/` (an `INBOX`'s folders are its
//!   siblings); for Cyrus' `shared.support` everything under `shared.support.` (its children),
//!   never the parent `shared.*`, which holds other teams' mailboxes; for a delegated login's
//!   own `INBOX`, everything under the personal NAMESPACE prefix (`*` where it is empty).
//!   Without a hierarchy delimiter, LIST `"" "*"`. `\Noselect`/`\NonExistent` names are
//!   skipped; the configured `sent` folder is added when it lies outside that scope. The
//!   mailbox comes first, then the rest by name.
//! - **Rights**: MYRIGHTS on each folder; where the agent holds `a`, GETACL (every identifier and
//!   its rights). Rights are compared and shown without the obsolete `c`/`d` (RFC 2086) that
//!   Dovecot still prints; the raw answer is kept beside them.
//! - **Risky grants** (flags; the report still exits 0):
//!   - `public`: an `anyone` or `authenticated` identifier holds any right;
//!   - `several-admins`: more than one identifier holds `a`, not counting `owner` (the
//!     mailbox's own account, which administers it anyway);
//!   - `read-role-deletes`: an identifier that can see or read (`l` or `r`) but not write
//!     (neither `w` nor `i`) holds `t`, `e` or `x` — a read role that can delete messages,
//!     expunge or delete the folder. Without `a` this is checked on the agent's own rights.
//!
//!   Negative rights (identifiers starting with `-`) only take rights away and are never
//!   flagged.
//!
//! Maildir accounts are local folders: no ACL, nothing to report but that.

use serde::Serialize;

use crate::config::{Account, Config};
use crate::imap::connect::{DEFAULT_READ_BUDGET, ImapConn, Target, describe, open_session};
use crate::imap::quote_mailbox;
use crate::mail::{tree, utf7};
use crate::policy::rights::Rights;
use crate::sanitize::single_line;

/// The note on a folder whose full ACL the agent may not read.
pub const NEEDS_ADMIN: &str =
    "only this login's rights: the full list needs the `a` (administer) right";
/// The note on a Maildir account.
pub const LOCAL_FOLDER: &str = "local folder: no ACL";
/// The note on a server without the ACL extension.
pub const NO_ACL: &str = "the server has no ACL extension (RFC 4314): rights cannot be listed";

/// One identifier and its rights.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Grant {
    pub identifier: String,
    /// The standard rights, in mailroom's order (`lrswipkxtea`), without `c`/`d`.
    pub rights: String,
    /// As the server sent them.
    pub raw: String,
}

impl Grant {
    pub fn new(identifier: &str, raw: &str) -> Grant {
        Grant {
            identifier: single_line(identifier),
            rights: Rights::parse(raw).to_string(),
            raw: single_line(raw),
        }
    }

    fn is_negative(&self) -> bool {
        self.identifier.starts_with('-')
    }
}

/// A risky grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Flag {
    /// "public", "several-admins" or "read-role-deletes".
    pub rule: &'static str,
    /// The identifier(s) concerned, comma-separated.
    pub identifier: String,
    pub message: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct FolderAccess {
    pub name: String,
    /// This login's rights (MYRIGHTS), without `c`/`d`.
    pub myrights: Option<String>,
    pub myrights_raw: Option<String>,
    /// Every identifier and its rights (GETACL), when the agent holds `a`.
    pub acl: Option<Vec<Grant>>,
    pub flags: Vec<Flag>,
    pub note: Option<String>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct AccountAccess {
    pub account: String,
    /// "imap" or "maildir".
    pub kind: &'static str,
    /// `host:port` for IMAP, the directory for Maildir.
    pub location: String,
    /// The IMAP login (with the authzid it acts as, for a delegated one).
    pub login: Option<String>,
    pub mailbox: String,
    /// The LIST pattern that chose the folders.
    pub scope: Option<String>,
    pub folders: Vec<FolderAccess>,
    pub note: Option<String>,
    /// What was skipped but did not stop the report (a LIST entry that is not valid IMAP).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Why the account could not be examined (unreachable server, login refused, …).
    pub error: Option<String>,
    /// The team policy folder (`insight::access_policy`), for IMAP accounts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<super::access_policy::PolicyAccess>,
}

impl AccountAccess {
    /// Whether anything failed for this account (the command then exits 1).
    pub fn failed(&self) -> bool {
        self.error.is_some() || self.folders.iter().any(|f| f.error.is_some())
    }

    pub fn flag_count(&self) -> usize {
        self.folders.iter().map(|f| f.flags.len()).sum()
    }
}

fn is_public(identifier: &str) -> bool {
    identifier.eq_ignore_ascii_case("anyone") || identifier.eq_ignore_ascii_case("authenticated")
}

/// A read role that can delete: `l` or `r`, neither `w` nor `i`, and one of `t`, `e`, `x`.
pub fn read_role_deletes(r: Rights) -> bool {
    (r.has('l') || r.has('r')) && !r.has('w') && !r.has('i') && "tex".chars().any(|c| r.has(c))
}

fn read_role_flag(identifier: &str, r: Rights) -> Flag {
    let deletes: String = "tex".chars().filter(|&c| r.has(c)).collect();
    Flag {
        rule: "read-role-deletes",
        identifier: identifier.to_string(),
        message: format!(
            "{identifier} ({r}) may only read, yet holds {deletes}: can delete messages or the folder"
        ),
    }
}

/// The risky grants in a full ACL.
pub fn risky(acl: &[Grant]) -> Vec<Flag> {
    let mut flags = Vec::new();
    for g in acl.iter().filter(|g| !g.is_negative()) {
        let r = Rights::parse(&g.raw);
        if is_public(&g.identifier) && !g.raw.is_empty() {
            flags.push(Flag {
                rule: "public",
                identifier: g.identifier.clone(),
                message: format!(
                    "{} holds {}: every {} user has these rights",
                    g.identifier,
                    if g.rights.is_empty() {
                        &g.raw
                    } else {
                        &g.rights
                    },
                    if g.identifier.eq_ignore_ascii_case("anyone") {
                        "(even anonymous)"
                    } else {
                        "authenticated"
                    }
                ),
            });
        }
        if read_role_deletes(r) {
            flags.push(read_role_flag(&g.identifier, r));
        }
    }
    let admins: Vec<&str> = acl
        .iter()
        .filter(|g| !g.is_negative() && !g.identifier.eq_ignore_ascii_case("owner"))
        .filter(|g| Rights::parse(&g.raw).has('a'))
        .map(|g| g.identifier.as_str())
        .collect();
    if admins.len() > 1 {
        flags.push(Flag {
            rule: "several-admins",
            identifier: admins.join(", "),
            message: format!(
                "{} identifiers hold `a` (may change everyone's rights): {}",
                admins.len(),
                admins.join(", ")
            ),
        });
    }
    flags
}

/// Examines every configured account (in parallel), in configuration order.
pub fn report(config: &Config) -> Vec<AccountAccess> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = config
            .accounts
            .iter()
            .map(|a| scope.spawn(move || account_access(a)))
            .collect();
        handles
            .into_iter()
            .zip(&config.accounts)
            .map(|(h, a)| {
                h.join().unwrap_or_else(|_| AccountAccess {
                    account: single_line(&a.name),
                    error: Some("internal error while examining this account".into()),
                    ..AccountAccess::default()
                })
            })
            .collect()
    })
}

/// One account's report; failures are in `error` fields, never lost.
pub fn account_access(account: &Account) -> AccountAccess {
    let mut out = AccountAccess {
        account: single_line(&account.name),
        ..AccountAccess::default()
    };
    if let Some(m) = &account.maildir {
        out.kind = "maildir";
        out.location = single_line(&m.path.display().to_string());
        out.mailbox = single_line(&m.mailbox);
        out.note = Some(LOCAL_FOLDER.into());
        out.folders = std::iter::once(&m.mailbox)
            .chain(m.sent.iter().filter(|s| **s != m.mailbox))
            .map(|name| FolderAccess {
                name: single_line(name),
                note: Some(LOCAL_FOLDER.into()),
                ..FolderAccess::default()
            })
            .collect();
        return out;
    }
    let Some(imap) = &account.imap else {
        out.error = Some("the account has no mailbox configured".into());
        return out;
    };
    let target = Target {
        account: &account.name,
        config: imap,
    };
    out.kind = "imap";
    out.location = target.server().to_string();
    out.login = Some(single_line(&match &imap.authzid {
        Some(z) => format!("{} (acting as {z})", imap.login),
        None => imap.login.clone(),
    }));
    out.mailbox = single_line(&imap.mailbox);
    let mut conn = match open_session(&target) {
        Ok(c) => c,
        Err(e) => {
            out.error = Some(single_line(&e.to_string()));
            return out;
        }
    };
    if let Err(e) = examine(&mut conn, imap, &mut out) {
        out.error = Some(e);
    } else {
        super::access_policy::flag(&mut conn, account, &imap.login, &mut out);
    }
    let _ = conn.session.logout();
    out
}

fn examine(
    conn: &mut ImapConn,
    imap: &crate::config::Imap,
    out: &mut AccountAccess,
) -> Result<(), String> {
    // A hostile or broken server's unparsable LIST entry is skipped and reported; the good
    // entries are still examined.
    conn.budget.skip_bad_list_lines(true);
    let listed = folders(conn, &imap.mailbox, imap.sent.as_deref());
    conn.budget.skip_bad_list_lines(false);
    out.warnings.extend(
        conn.budget
            .skipped_list_lines()
            .into_iter()
            .map(|line| format!("skipped a LIST entry that is not valid IMAP: {line}")),
    );
    let (scope, names) = listed?;
    out.scope = Some(single_line(&scope));
    let acl = conn.has("ACL");
    if !acl {
        out.note = Some(NO_ACL.into());
    }
    for name in names {
        let mut f = FolderAccess {
            name: single_line(&name),
            ..FolderAccess::default()
        };
        if acl {
            folder_rights(conn, &imap.login, &name, &mut f);
        } else {
            f.note = Some(NO_ACL.into());
        }
        out.folders.push(f);
    }
    Ok(())
}

/// The folders to report on, and the LIST pattern that found them (see the module docs).
fn folders(
    conn: &mut ImapConn,
    mailbox: &str,
    sent: Option<&str>,
) -> Result<(String, Vec<String>), String> {
    if quote_mailbox(mailbox).is_none() {
        return Err(format!(
            "mailbox {:?} contains a line break",
            single_line(mailbox)
        ));
    }
    let (delimiter, prefix) = crate::imap::tree::hierarchy(conn, mailbox)
        .map_err(|e| format!("LIST {}: {}", single_line(mailbox), describe(&e)))?;
    let pattern = tree::pattern(mailbox, delimiter, prefix.as_deref());
    let quoted_pattern = quote_mailbox(&pattern)
        .ok_or_else(|| format!("pattern {:?} contains a line break", single_line(&pattern)))?;
    conn.budget.grant(DEFAULT_READ_BUDGET);
    let listed = conn
        .session
        .list(Some(""), Some(&quoted_pattern))
        .map_err(|e| format!("LIST {}: {}", single_line(&pattern), describe(&e)))?;
    let mut names: Vec<String> = listed
        .iter()
        .filter(|n| {
            !n.attributes().iter().any(|a| {
                matches!(a, imap_proto::NameAttribute::NoSelect)
                    || matches!(a, imap_proto::NameAttribute::Extension(x)
                        if x.eq_ignore_ascii_case("\\NonExistent"))
            })
        })
        .map(|n| utf7::decode(n.name()))
        .filter(|n| n != mailbox && quote_mailbox(n).is_some())
        .collect();
    drop(listed);
    let _ = conn.session.take_all_unsolicited().count();
    if let Some(s) = sent
        && s != mailbox
        && !names.iter().any(|n| n == s)
    {
        names.push(s.to_string());
    }
    names.sort();
    names.dedup();
    names.insert(0, mailbox.to_string());
    Ok((pattern, names))
}

/// MYRIGHTS, then GETACL where allowed; fills `f` (errors included).
fn folder_rights(conn: &mut ImapConn, login: &str, name: &str, f: &mut FolderAccess) {
    let Some(quoted) = quote_mailbox(name) else {
        f.error = Some("the folder name contains a line break".into());
        return;
    };
    conn.budget.grant(DEFAULT_READ_BUDGET);
    let raw = match conn
        .session
        .run_command_and_read_response(format!("MYRIGHTS {quoted}"))
    {
        Ok(raw) => raw,
        Err(e) => {
            f.error = Some(format!("MYRIGHTS failed: {}", describe(&e)));
            return;
        }
    };
    let _ = conn.session.take_all_unsolicited().count();
    let Some(mine) = crate::imap::probe::parse_myrights(&raw) else {
        f.error = Some("the server's MYRIGHTS answer had no rights".into());
        return;
    };
    let rights = Rights::parse(&mine);
    f.myrights = Some(rights.to_string());
    f.myrights_raw = Some(single_line(&mine));
    if !rights.has('a') {
        f.note = Some(NEEDS_ADMIN.into());
        if read_role_deletes(rights) {
            f.flags.push(read_role_flag(&single_line(login), rights));
        }
        return;
    }
    conn.budget.grant(DEFAULT_READ_BUDGET);
    let acl = match conn.session.get_acl(utf7::encode(name)) {
        Ok(acl) => acl
            .parsed()
            .acls()
            .iter()
            .map(|e| Grant::new(&e.identifier, &e.rights.to_string()))
            .collect::<Vec<_>>(),
        Err(e) => {
            f.error = Some(format!("GETACL failed: {}", describe(&e)));
            return;
        }
    };
    let _ = conn.session.take_all_unsolicited().count();
    f.flags = risky(&acl);
    f.acl = Some(acl);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acl(list: &[(&str, &str)]) -> Vec<Grant> {
        list.iter().map(|(i, r)| Grant::new(i, r)).collect()
    }

    #[test]
    fn grants_drop_obsolete_rights() {
        let g = Grant::new("bob", "ilrwtsd");
        assert_eq!(g.rights, "lrswit");
        assert_eq!(g.raw, "ilrwtsd");
    }

    #[test]
    fn the_test_beds_acl_is_not_risky() {
        let a = acl(&[
            ("owner", "akxeilprwtscd"),
            ("alice", "akxeilprwtscd"),
            ("bob", "ilrwtsd"),
            ("carol", "lr"),
        ]);
        assert_eq!(risky(&a), []);
    }

    #[test]
    fn risky_grants_are_flagged() {
        let a = acl(&[
            ("owner", "akxeilprwtscd"),
            ("alice", "akxeilprwtscd"),
            ("bob", "ilrwtsda"),
            ("anyone", "lr"),
            ("Authenticated", "l"),
            ("carol", "lrte"),
            ("dave", "lx"),
            ("-carol", "te"),
            ("erin", "lrswte"),
        ]);
        let flags = risky(&a);
        let rules: Vec<(&str, &str)> = flags
            .iter()
            .map(|f| (f.rule, f.identifier.as_str()))
            .collect();
        assert_eq!(
            rules,
            [
                ("public", "anyone"),
                ("public", "Authenticated"),
                ("read-role-deletes", "carol"),
                ("read-role-deletes", "dave"),
                ("several-admins", "alice, bob"),
            ]
        );
        assert!(flags[2].message.contains("te"), "{}", flags[2].message);
    }

    #[test]
    fn read_roles() {
        assert!(read_role_deletes(Rights::parse("lre")));
        assert!(!read_role_deletes(Rights::parse("lr")));
        assert!(!read_role_deletes(Rights::parse("lrwsti")));
        assert!(!read_role_deletes(Rights::parse("lrite")));
        assert!(!read_role_deletes(Rights::parse("x")));
    }
}
