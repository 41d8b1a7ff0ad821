//! The server's side of `mail::tree`: what LIST and NAMESPACE say about a mailbox's hierarchy,
//! and MYRIGHTS on one folder. None of these change the selected mailbox.

use super::connect::{DEFAULT_READ_BUDGET, ImapConn};
use super::quote_mailbox;
use crate::mail::{tree, utf7};
use crate::policy::rights::Rights;

/// What LIST says of exactly `mailbox`: `None` when it does not exist (or is invisible to this
/// login), else its hierarchy delimiter and whether it can be selected. `Ok(None)` too for a
/// name that cannot be quoted (it cannot exist on the wire).
pub fn listed(
    conn: &mut ImapConn,
    mailbox: &str,
) -> Result<Option<(Option<char>, bool)>, imap::Error> {
    let Some(quoted) = quote_mailbox(mailbox) else {
        return Ok(None);
    };
    conn.budget.grant(DEFAULT_READ_BUDGET);
    let names = conn.session.list(Some(""), Some(&quoted))?;
    let encoded = utf7::encode(mailbox);
    let found = names.iter().find(|n| n.name() == encoded).map(|n| {
        let selectable = !n
            .attributes()
            .iter()
            .any(|a| matches!(a, imap_proto::NameAttribute::NoSelect));
        (n.delimiter().and_then(|d| d.chars().next()), selectable)
    });
    drop(names);
    let _ = conn.session.take_all_unsolicited().count();
    Ok(found)
}

/// The hierarchy delimiter LIST gives for `mailbox` (`None`: not listed, or no hierarchy).
pub fn delimiter(conn: &mut ImapConn, mailbox: &str) -> Result<Option<char>, imap::Error> {
    Ok(listed(conn, mailbox)?.and_then(|(d, _)| d))
}

/// The server's hierarchy delimiter at the top (`LIST "" ""`), for a name that need not exist.
pub fn top_delimiter(conn: &mut ImapConn) -> Result<Option<char>, imap::Error> {
    conn.budget.grant(DEFAULT_READ_BUDGET);
    let names = conn.session.list(Some(""), Some("\"\""))?;
    let found = names
        .iter()
        .find_map(|n| n.delimiter().and_then(|d| d.chars().next()));
    drop(names);
    let _ = conn.session.take_all_unsolicited().count();
    Ok(found)
}

/// The personal namespace's prefix (`NAMESPACE`, RFC 2342): `""` on Dovecot, `INBOX.` on
/// Cyrus' default namespace. `None` when the server has no NAMESPACE or answers oddly.
pub fn personal_prefix(conn: &mut ImapConn) -> Result<Option<String>, imap::Error> {
    if !conn.has("NAMESPACE") {
        return Ok(None);
    }
    conn.budget.grant(DEFAULT_READ_BUDGET);
    // The imap crate cannot parse `* NAMESPACE`: the stream's filter takes the line out.
    conn.budget.capture_namespace(true);
    let answer = conn.session.run_command_and_read_response("NAMESPACE");
    conn.budget.capture_namespace(false);
    let lines = conn.budget.captured_namespace();
    let _ = conn.session.take_all_unsolicited().count();
    match answer {
        Ok(_) => Ok(lines.iter().find_map(|l| tree::personal_prefix(l))),
        Err(e @ (imap::Error::Io(_) | imap::Error::ConnectionLost | imap::Error::Bye(_))) => Err(e),
        Err(_) => Ok(None),
    }
}

/// What [`tree::root`] needs to know of `mailbox` on this server: the hierarchy delimiter
/// (LIST) and, only where it matters (a top-level `INBOX`), the personal NAMESPACE prefix.
pub fn hierarchy(
    conn: &mut ImapConn,
    mailbox: &str,
) -> Result<(Option<char>, Option<String>), imap::Error> {
    let delimiter = delimiter(conn, mailbox)?;
    let prefix = if tree::needs_prefix(mailbox, delimiter) {
        personal_prefix(conn)?
    } else {
        None
    };
    Ok((delimiter, prefix))
}

/// This login's rights on `folder` (MYRIGHTS), where the server has ACL and answers; `None`
/// otherwise (no ACL, the folder does not exist, a NO).
pub fn myrights(conn: &mut ImapConn, folder: &str) -> Result<Option<Rights>, imap::Error> {
    if !conn.has("ACL") {
        return Ok(None);
    }
    let Some(quoted) = quote_mailbox(folder) else {
        return Ok(None);
    };
    conn.budget.grant(DEFAULT_READ_BUDGET);
    let answer = conn
        .session
        .run_command_and_read_response(format!("MYRIGHTS {quoted}"));
    let _ = conn.session.take_all_unsolicited().count();
    match answer {
        Ok(raw) => Ok(super::probe::parse_myrights(&raw).map(|r| Rights::parse(&r))),
        Err(e @ (imap::Error::Io(_) | imap::Error::ConnectionLost | imap::Error::Bye(_))) => Err(e),
        Err(_) => Ok(None),
    }
}
