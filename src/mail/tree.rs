//! A shared mailbox's own tree of folders, from its name, the server's hierarchy delimiter and
//! the personal NAMESPACE prefix. Pure: the LIST and NAMESPACE answers come from the caller.
//!
//! Servers disagree on where a shared mailbox keeps its folders (Sent, Notes, team folders):
//! - a mailbox whose last name component is `INBOX` has them as **siblings** under its parent:
//!   Dovecot's `shared/support/INBOX` → `shared/support/Sent`; a delegated login's own
//!   top-level `INBOX` → the personal namespace prefix (`""` on Dovecot and Microsoft 365,
//!   `INBOX.` on Cyrus and Courier: `INBOX.Sent`);
//! - any other mailbox has them as **children**: Cyrus' `shared.support` →
//!   `shared.support.Sent` (its sibling `shared.sales` is another team's mailbox).
//!
//! Without a delimiter the server has no hierarchy: folder names are flat (`Notes`).

/// The name component that makes a mailbox's folders its siblings (case-insensitive, as
/// RFC 3501 makes `INBOX`).
pub const INBOX: &str = "INBOX";

/// The prefix every folder of `mailbox`'s own tree starts with (the mailbox itself aside):
/// `shared/support/INBOX` → `shared/support/`, `shared.support` → `shared.support.`, `INBOX` →
/// `personal_prefix` (or `""` when the server did not say), and `""` without a `delimiter`.
/// A trailing delimiter on `mailbox` is ignored (`shared.support.` is `shared.support`).
pub fn root(mailbox: &str, delimiter: Option<char>, personal_prefix: Option<&str>) -> String {
    let Some(d) = delimiter else {
        return String::new();
    };
    let name = mailbox.trim_end_matches(d);
    if name.is_empty() {
        return String::new();
    }
    match name.rsplit_once(d) {
        Some((parent, last)) if last.eq_ignore_ascii_case(INBOX) => format!("{parent}{d}"),
        None if name.eq_ignore_ascii_case(INBOX) => personal_prefix.unwrap_or_default().to_string(),
        _ => format!("{name}{d}"),
    }
}

/// Whether [`root`] needs the personal NAMESPACE prefix for `mailbox`: only a top-level
/// `INBOX` on a server with a hierarchy (so a caller asks NAMESPACE only then).
pub fn needs_prefix(mailbox: &str, delimiter: Option<char>) -> bool {
    delimiter.is_some_and(|d| mailbox.trim_end_matches(d).eq_ignore_ascii_case(INBOX))
}

/// The folder `leaf` of `mailbox`'s tree: [`root`] then `leaf` (`Notes` →
/// `shared.support.Notes`).
pub fn folder(
    mailbox: &str,
    delimiter: Option<char>,
    personal_prefix: Option<&str>,
    leaf: &str,
) -> String {
    format!("{}{leaf}", root(mailbox, delimiter, personal_prefix))
}

/// The LIST pattern that finds every folder of `mailbox`'s tree, at any depth: [`root`] and
/// `*` (`shared.support.*`; `*` for a delegated `INBOX` whose prefix is `""`).
pub fn pattern(mailbox: &str, delimiter: Option<char>, personal_prefix: Option<&str>) -> String {
    format!("{}*", root(mailbox, delimiter, personal_prefix))
}

/// The parent of `folder` (`shared.support.Notes` → `shared.support`), where creating it needs
/// the `k` right; `None` for a top-level name or without a delimiter.
pub fn parent(folder: &str, delimiter: Option<char>) -> Option<&str> {
    let d = delimiter?;
    folder
        .trim_end_matches(d)
        .rsplit_once(d)
        .map(|(p, _)| p)
        .filter(|p| !p.is_empty())
}

/// The personal namespace's prefix in a `NAMESPACE` answer (RFC 2342): the first prefix of
/// the first group, `* NAMESPACE (("INBOX." ".")) …` → `INBOX.`, decoded from modified UTF-7.
/// `None` when there is no such line, the personal namespace is `NIL`, or the prefix is not a
/// plain quoted string of printable text (a literal, a control character): the caller then
/// assumes `""`.
pub fn personal_prefix(response: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(response);
    let line = text.lines().find_map(|l| {
        let l = l.trim_end_matches('\r');
        let head = l.get(..12)?;
        head.eq_ignore_ascii_case("* NAMESPACE ").then(|| &l[12..])
    })?;
    let rest = line.trim_start().strip_prefix('(')?.trim_start();
    let rest = rest.strip_prefix('(')?.trim_start();
    let rest = rest.strip_prefix('"')?;
    let mut prefix = String::new();
    let mut chars = rest.chars();
    loop {
        match chars.next()? {
            '"' => break,
            '\\' => match chars.next()? {
                c @ ('"' | '\\') => prefix.push(c),
                _ => return None,
            },
            c if c.is_control() => return None,
            c => prefix.push(c),
        }
    }
    Some(super::utf7::decode(&prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dovecot_shared_inbox_has_siblings() {
        let m = "shared/support/INBOX";
        assert_eq!(root(m, Some('/'), Some("")), "shared/support/");
        assert_eq!(folder(m, Some('/'), None, "Notes"), "shared/support/Notes");
        assert_eq!(pattern(m, Some('/'), None), "shared/support/*");
        assert!(!needs_prefix(m, Some('/')));
        // Lower-case INBOX is INBOX.
        assert_eq!(
            root("shared/support/inbox", Some('/'), None),
            "shared/support/"
        );
    }

    #[test]
    fn cyrus_default_namespace_has_children() {
        let m = "shared.support";
        assert_eq!(root(m, Some('.'), Some("INBOX.")), "shared.support.");
        assert_eq!(folder(m, Some('.'), None, "Notes"), "shared.support.Notes");
        assert_eq!(pattern(m, Some('.'), None), "shared.support.*");
        assert!(!needs_prefix(m, Some('.')));
        // Never the parent `shared.*`, which holds every team's mailbox.
        assert!(!"shared.sales".starts_with(&root(m, Some('.'), None)));
        // A delegated Cyrus login: INBOX's folders are under the personal prefix INBOX.
        assert!(needs_prefix("INBOX", Some('.')));
        assert_eq!(
            folder("INBOX", Some('.'), Some("INBOX."), "Notes"),
            "INBOX.Notes"
        );
        // A folder of an agent's INBOX is a mailbox of its own: children again.
        assert_eq!(
            root("INBOX.support", Some('.'), Some("INBOX.")),
            "INBOX.support."
        );
        assert_eq!(
            parent("shared.support.Notes", Some('.')),
            Some("shared.support")
        );
    }

    #[test]
    fn cyrus_altnamespace_has_children() {
        let m = "Shared Folders/shared/support";
        assert_eq!(
            folder(m, Some('/'), Some(""), "Notes"),
            "Shared Folders/shared/support/Notes"
        );
        assert_eq!(
            pattern(m, Some('/'), None),
            "Shared Folders/shared/support/*"
        );
        assert_eq!(
            parent("Shared Folders/shared/support/Notes", Some('/')),
            Some("Shared Folders/shared/support")
        );
    }

    #[test]
    fn m365_and_courier_inbox_use_the_personal_prefix() {
        // Microsoft 365: a shared mailbox opened as its own INBOX, personal prefix "".
        assert_eq!(folder("INBOX", Some('/'), Some(""), "Notes"), "Notes");
        assert_eq!(pattern("INBOX", Some('/'), Some("")), "*");
        assert_eq!(parent("Notes", Some('/')), None);
        // Courier: everything lives under INBOX.
        assert_eq!(
            folder("INBOX", Some('.'), Some("INBOX."), "Notes"),
            "INBOX.Notes"
        );
        assert_eq!(pattern("INBOX", Some('.'), Some("INBOX.")), "INBOX.*");
        // Unknown prefix: "".
        assert_eq!(folder("INBOX", Some('.'), None, "Notes"), "Notes");
        // No hierarchy at all: flat names.
        assert_eq!(folder("INBOX", None, Some("INBOX."), "Notes"), "Notes");
        assert_eq!(folder("support", None, None, "Notes"), "Notes");
        assert_eq!(parent("Notes", None), None);
        assert!(!needs_prefix("INBOX", None));
    }

    #[test]
    fn namespace_answers() {
        let p = |s: &str| personal_prefix(s.as_bytes());
        assert_eq!(
            p("* NAMESPACE ((\"\" \"/\")) ((\"shared/\" \"/\")) NIL\r\nA1 OK\r\n").as_deref(),
            Some("")
        );
        assert_eq!(
            p("* NAMESPACE ((\"INBOX.\" \".\")) ((\"user.\" \".\")) ((\"\" \".\"))\r\n").as_deref(),
            Some("INBOX.")
        );
        assert_eq!(
            p("* namespace ( ( \"a\\\\b\\\"c/\" \"/\") ) NIL NIL\r\n").as_deref(),
            Some("a\\b\"c/")
        );
        assert_eq!(
            p("* NAMESPACE ((\"&AOk-t&AOk-/\" \"/\")) NIL NIL").as_deref(),
            Some("été/")
        );
        assert_eq!(p("* NAMESPACE NIL ((\"shared/\" \"/\")) NIL\r\n"), None);
        assert_eq!(p("* NAMESPACE (({6}\r\nINBOX. \".\")) NIL NIL\r\n"), None);
        assert_eq!(p("* OK nothing\r\n"), None);
        assert_eq!(p("* NAMESPACE ((\"x"), None);
        assert_eq!(p(""), None);
    }

    #[test]
    fn hostile_names() {
        // A trailing delimiter, an empty name, a lone delimiter: no double delimiter, no panic.
        assert_eq!(root("shared.support.", Some('.'), None), "shared.support.");
        assert_eq!(root("", Some('.'), Some("INBOX.")), "");
        assert_eq!(root("...", Some('.'), None), "");
        assert_eq!(root("/INBOX", Some('/'), None), "/");
        assert_eq!(parent("/Notes", Some('/')), None);
        // INBOX in the middle of a name is an ordinary component.
        assert_eq!(root("shared/INBOX/x", Some('/'), None), "shared/INBOX/x/");
        // Look-alikes are not INBOX.
        assert_eq!(
            root("INBOX\u{200B}", Some('.'), Some("P.")),
            "INBOX\u{200B}."
        );
        assert_eq!(root("İNBOX", Some('.'), Some("P.")), "İNBOX.");
        // Multi-byte delimiters and names split on character boundaries.
        assert_eq!(root("été→INBOX", Some('→'), None), "été→");
        assert_eq!(parent("été→x→Notes", Some('→')), Some("été→x"));
        // Line breaks are kept for the quoting check (`imap::quote_mailbox`) to refuse: never
        // dropped here so that a different, valid-looking name would reach the wire.
        assert_eq!(
            folder("x\r\nA1 LOGOUT", Some('.'), None, "Notes"),
            "x\r\nA1 LOGOUT.Notes"
        );
    }
}
