//! Tamper-evidence of the team policy folder (pure): who may change the policy, and how
//! `mailroom policy publish` locks the folder.
//!
//! The policy folder's administrators are whoever holds the `a` right there (they can give
//! themselves any right anyway). Anyone else who holds a right to insert into (`i`) or delete
//! from (`t`, `e`, `x`) the folder could publish a policy of their own or remove the one in
//! force: [`tampering`] names them — the policy's own `administrators` included, since anyone
//! with `i` could have written that list (naming themself); they are only marked as named. Locking ([`lock_plan`]) leaves the publisher and the
//! administrators as they are and reduces everyone else to at most `lr` (never more than they
//! had). Negative rights (identifiers starting with `-`) only take rights away: left alone.

use super::rights::Rights;

/// The rights that let an identifier change the policy folder's content.
pub const TAMPER_RIGHTS: &str = "itex";

/// What everyone but the administrators keeps on a locked policy folder (at most).
pub const LOCKED_RIGHTS: &str = "lr";

/// One ACL entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub identifier: String,
    pub rights: Rights,
}

impl Entry {
    pub fn new(identifier: &str, rights: &str) -> Entry {
        Entry {
            identifier: identifier.to_string(),
            rights: Rights::parse(rights),
        }
    }
}

/// An identifier that may change the policy without being an administrator.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Tamper {
    pub identifier: String,
    /// All its rights (mailroom's order, without `c`/`d`).
    pub rights: String,
    /// The ones among [`TAMPER_RIGHTS`].
    pub risky: String,
    /// Named in the policy's `administrators` without holding `a`: the list is no proof (anyone
    /// who may insert into the folder could have written it).
    pub named: bool,
}

impl Tamper {
    /// "bob holds i, t (lrswit) on the policy folder without the `a` right: may publish or
    /// delete policies".
    pub fn describe(&self) -> String {
        let what: Vec<String> = self.risky.chars().map(String::from).collect();
        let named = if self.named {
            " (named in the policy's administrators, which anyone who may insert there could have written)"
        } else {
            ""
        };
        format!(
            "{} holds {} ({}) on the policy folder without the `a` right{named}: may publish or delete policies",
            self.identifier,
            what.join(", "),
            self.rights
        )
    }
}

/// Whether `identifier` is named in `administrators` (agent ids, case-insensitively).
pub fn is_administrator(identifier: &str, administrators: &[String]) -> bool {
    administrators
        .iter()
        .any(|a| a.eq_ignore_ascii_case(identifier))
}

fn is_negative(identifier: &str) -> bool {
    identifier.starts_with('-')
}

fn risky_of(rights: Rights) -> String {
    TAMPER_RIGHTS.chars().filter(|&c| rights.has(c)).collect()
}

/// One identifier's tamper risk: `None` when it holds `a` (it administers the folder) or none of
/// [`TAMPER_RIGHTS`]. Being named in `administrators` exempts nobody: it is only said.
pub fn tamper(identifier: &str, rights: Rights, administrators: &[String]) -> Option<Tamper> {
    if is_negative(identifier) || rights.has('a') {
        return None;
    }
    let risky = risky_of(rights);
    (!risky.is_empty()).then(|| Tamper {
        identifier: identifier.to_string(),
        rights: rights.to_string(),
        risky,
        named: is_administrator(identifier, administrators),
    })
}

/// Everyone in `acl` who may change the policy folder without administering it.
pub fn tampering(acl: &[Entry], administrators: &[String]) -> Vec<Tamper> {
    acl.iter()
        .filter_map(|e| tamper(&e.identifier, e.rights, administrators))
        .collect()
}

/// One change [`lock_plan`] makes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Change {
    pub identifier: String,
    pub from: String,
    /// The rights set (SETACL); empty: every right removed.
    pub to: String,
}

/// The SETACLs that lock the folder: every identifier that is neither the publisher nor an
/// administrator (named, or holding `a`) and holds more than `lr` is reduced to what it has of
/// `lr`. Identifiers already at most `lr` are left alone.
pub fn lock_plan(acl: &[Entry], publisher: &str, administrators: &[String]) -> Vec<Change> {
    acl.iter()
        .filter(|e| !is_negative(&e.identifier))
        .filter(|e| !e.identifier.eq_ignore_ascii_case(publisher))
        .filter(|e| !e.rights.has('a') && !is_administrator(&e.identifier, administrators))
        .filter_map(|e| {
            let to: String = LOCKED_RIGHTS.chars().filter(|&c| e.rights.has(c)).collect();
            (e.rights != Rights::parse(&to)).then(|| Change {
                identifier: e.identifier.clone(),
                from: e.rights.to_string(),
                to,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acl(list: &[(&str, &str)]) -> Vec<Entry> {
        list.iter().map(|(i, r)| Entry::new(i, r)).collect()
    }

    fn admins(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_test_beds_acl_lets_bob_tamper() {
        let a = acl(&[
            ("owner", "akxeilprwtscd"),
            ("alice", "akxeilprwtscd"),
            ("bob", "ilrwtsd"),
            ("carol", "lr"),
        ]);
        let t = tampering(&a, &admins(&["alice"]));
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].identifier, "bob");
        assert_eq!(t[0].risky, "it");
        assert!(
            t[0].describe().contains("bob holds i, t"),
            "{}",
            t[0].describe()
        );
    }

    #[test]
    fn holders_of_a_are_not_flagged_and_a_named_administrator_without_a_is() {
        let a = acl(&[
            ("dave", "lrwstie"),
            ("erin", "lra"),
            ("anyone", "lri"),
            ("-frank", "i"),
            ("Authenticated", "lrx"),
        ]);
        let t = tampering(&a, &admins(&["dave"]));
        let who: Vec<&str> = t.iter().map(|t| t.identifier.as_str()).collect();
        assert_eq!(who, ["dave", "anyone", "Authenticated"]);
        // A policy anyone with `i` wrote may name them an administrator: never a pass.
        assert!(t[0].named && !t[1].named);
        assert!(
            t[0].describe()
                .contains("named in the policy's administrators"),
            "{}",
            t[0].describe()
        );
    }

    #[test]
    fn locking_reduces_everyone_else_to_lr() {
        let a = acl(&[
            ("owner", "akxeilprwtscd"),
            ("alice", "akxeilprwtscd"),
            ("bob", "ilrwtsd"),
            ("carol", "lr"),
            ("dave", "lrwsi"),
            ("anyone", "i"),
            ("erin", "l"),
            ("-frank", "lr"),
        ]);
        let plan = lock_plan(&a, "alice", &admins(&["dave"]));
        assert_eq!(
            plan,
            [
                Change {
                    identifier: "bob".into(),
                    from: "lrswit".into(),
                    to: "lr".into()
                },
                Change {
                    identifier: "anyone".into(),
                    from: "i".into(),
                    to: "".into()
                },
            ]
        );
        // The publisher keeps their rights even without `a` or being named.
        let plan = lock_plan(&a, "bob", &[]);
        assert!(plan.iter().all(|c| c.identifier != "bob"));
        assert!(plan.iter().any(|c| c.identifier == "dave" && c.to == "lr"));
    }
}
