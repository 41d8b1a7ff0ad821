//! Changing messages on the server: flags and keywords (optionally conditional, RFC 7162),
//! bodies without `\Seen`. Every keyword is checked as an atom before it reaches the wire.

use super::connect::{DEFAULT_READ_BUDGET, ImapConn, describe};
use super::summary::split_flags;
use crate::backend::{FlagChange, StoreOutcome, is_valid_keyword};
use crate::message::Flags;

/// Why an action failed, before or on the wire.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActionError {
    #[error("{0:?} is not a valid IMAP keyword")]
    BadKeyword(String),
    #[error("no message with UID {0}")]
    NoMessage(u32),
    /// The server answered NO or BAD, or sent something unusable.
    #[error("{0}")]
    Server(String),
    /// The connection failed: the action did not run and can be retried after a reconnect.
    #[error("connection lost: {0}")]
    Connection(String),
}

/// Sorts an imap error into "the server said no" and "the connection is gone".
pub(crate) fn classify(e: &imap::Error) -> ActionError {
    match e {
        imap::Error::Io(_) | imap::Error::ConnectionLost | imap::Error::Bye(_) => {
            ActionError::Connection(describe(e))
        }
        other => ActionError::Server(describe(other)),
    }
}

/// `\Seen $done …` for STORE/APPEND; refuses any keyword that is not an atom.
pub fn flag_list(flags: Flags, keywords: &[String]) -> Result<Vec<String>, ActionError> {
    let mut v: Vec<String> = flags.names().into_iter().map(str::to_string).collect();
    for k in keywords {
        if !is_valid_keyword(k) {
            return Err(ActionError::BadKeyword(crate::sanitize::single_line(k)));
        }
        v.push(k.clone());
    }
    Ok(v)
}

/// Runs one command; returns its untagged data and the tagged completion line.
fn run(conn: &mut ImapConn, command: &str) -> Result<(String, String), ActionError> {
    conn.budget.grant(DEFAULT_READ_BUDGET);
    let (data, ok) = conn.session.run(command).map_err(|e| classify(&e))?;
    let _ = conn.session.take_all_unsolicited().count();
    let (untagged, tagged) = data.split_at(ok.min(data.len()));
    Ok((
        String::from_utf8_lossy(untagged).into_owned(),
        String::from_utf8_lossy(tagged).into_owned(),
    ))
}

/// The first `MODSEQ (n)` in untagged FETCH data.
fn modseq_in(untagged: &str) -> Option<u64> {
    let upper = untagged.to_ascii_uppercase();
    let at = upper.find("MODSEQ (")? + "MODSEQ (".len();
    let digits: String = upper[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// The current flags, keywords and MODSEQ of one message.
pub fn current(
    conn: &mut ImapConn,
    uid: u32,
) -> Result<(Flags, Vec<String>, Option<u64>), ActionError> {
    conn.budget.grant(DEFAULT_READ_BUDGET);
    let fetched = conn
        .session
        .uid_fetch(uid.to_string(), "(UID FLAGS MODSEQ)")
        .map_err(|e| classify(&e))?;
    let found = fetched.iter().find(|f| f.uid == Some(uid)).map(|f| {
        let (flags, keywords) = split_flags(f.flags());
        (flags, keywords, f.mod_seq())
    });
    drop(fetched);
    let _ = conn.session.take_all_unsolicited().count();
    found.ok_or(ActionError::NoMessage(uid))
}

/// Adds and removes flags and keywords on the selected mailbox.
///
/// With `unchanged_since`, the change is atomic: it happens only if nobody changed the message
/// after that MODSEQ, else `Modified` (RFC 7162 answers such a STORE with `OK [MODIFIED n]`).
/// A change that both adds and removes is one `FLAGS` replacement, so it cannot half-apply.
pub fn store(
    conn: &mut ImapConn,
    uid: u32,
    change: &FlagChange,
    unchanged_since: Option<u64>,
) -> Result<StoreOutcome, ActionError> {
    let add = flag_list(change.add_flags, &change.add_keywords)?;
    let remove = flag_list(change.remove_flags, &change.remove_keywords)?;
    match unchanged_since {
        None => {
            let mut modseq = None;
            for (sign, list) in [('+', add), ('-', remove)] {
                if list.is_empty() {
                    continue;
                }
                let (untagged, tagged) = run(
                    conn,
                    &format!("UID STORE {uid} {sign}FLAGS ({})", list.join(" ")),
                )?;
                if !tagged.to_ascii_uppercase().contains(" OK") {
                    return Err(ActionError::Server(crate::sanitize::single_line(
                        tagged.trim(),
                    )));
                }
                modseq = modseq_in(&untagged).or(modseq);
            }
            Ok(StoreOutcome::Stored { modseq })
        }
        Some(since) => {
            let command = if remove.is_empty() {
                format!(
                    "UID STORE {uid} (UNCHANGEDSINCE {since}) +FLAGS ({})",
                    add.join(" ")
                )
            } else if add.is_empty() {
                format!(
                    "UID STORE {uid} (UNCHANGEDSINCE {since}) -FLAGS ({})",
                    remove.join(" ")
                )
            } else {
                let (flags, mut keywords, modseq) = current(conn, uid)?;
                if modseq.is_some_and(|m| m > since) {
                    return Ok(StoreOutcome::Modified);
                }
                let mut f = flags;
                apply(&mut f, change.add_flags, true);
                apply(&mut f, change.remove_flags, false);
                keywords.retain(|k| {
                    !change
                        .remove_keywords
                        .iter()
                        .any(|r| r.eq_ignore_ascii_case(k))
                });
                for k in &change.add_keywords {
                    if !keywords.iter().any(|x| x.eq_ignore_ascii_case(k)) {
                        keywords.push(k.clone());
                    }
                }
                let list = flag_list(f, &keywords)?;
                format!(
                    "UID STORE {uid} (UNCHANGEDSINCE {since}) FLAGS ({})",
                    list.join(" ")
                )
            };
            let (untagged, tagged) = run(conn, &command)?;
            let upper = tagged.to_ascii_uppercase();
            if upper.contains("[MODIFIED") {
                return Ok(StoreOutcome::Modified);
            }
            if !upper.contains(" OK") {
                return Err(ActionError::Server(crate::sanitize::single_line(
                    tagged.trim(),
                )));
            }
            Ok(StoreOutcome::Stored {
                modseq: modseq_in(&untagged),
            })
        }
    }
}

fn apply(f: &mut Flags, change: Flags, on: bool) {
    if change.seen {
        f.seen = on;
    }
    if change.answered {
        f.answered = on;
    }
    if change.flagged {
        f.flagged = on;
    }
    if change.deleted {
        f.deleted = on;
    }
    if change.draft {
        f.draft = on;
    }
}

/// The whole message, read with `BODY.PEEK[]` so `\Seen` is untouched; at most `max_bytes`.
pub fn fetch_body(conn: &mut ImapConn, uid: u32, max_bytes: u64) -> Result<Vec<u8>, ActionError> {
    // Room for the response framing around the literal.
    conn.budget.grant(max_bytes.saturating_add(64 * 1024));
    let fetched = conn
        .session
        .uid_fetch(uid.to_string(), "(UID BODY.PEEK[])")
        .map_err(|e| classify(&e))?;
    let body = fetched
        .iter()
        .find(|f| f.uid == Some(uid))
        .and_then(|f| f.body().map(<[u8]>::to_vec));
    drop(fetched);
    let _ = conn.session.take_all_unsolicited().count();
    body.ok_or(ActionError::NoMessage(uid))
}

/// The header section of one message (`BODY.PEEK[HEADER]`), within `max_bytes`.
pub fn fetch_header(
    conn: &mut ImapConn,
    uid: u32,
    max_bytes: usize,
) -> Result<Vec<u8>, ActionError> {
    conn.budget
        .grant((max_bytes as u64).saturating_add(64 * 1024));
    let fetched = conn
        .session
        .uid_fetch(uid.to_string(), "(UID BODY.PEEK[HEADER])")
        .map_err(|e| classify(&e))?;
    let header = fetched
        .iter()
        .find(|f| f.uid == Some(uid))
        .and_then(|f| f.header().map(|h| h[..h.len().min(max_bytes)].to_vec()));
    drop(fetched);
    let _ = conn.session.take_all_unsolicited().count();
    header.ok_or(ActionError::NoMessage(uid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_are_atoms_before_the_wire() {
        assert!(flag_list(Flags::default(), &["$done".into()]).is_ok());
        for bad in ["a b", "x)", "\r\nA1 LOGOUT", "", "%", "\\Seen", "é"] {
            assert!(
                flag_list(Flags::default(), &[bad.into()]).is_err(),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn modseq_is_read_from_fetch_data() {
        assert_eq!(
            modseq_in("* 3 FETCH (UID 9 MODSEQ (12345))\r\n"),
            Some(12345)
        );
        assert_eq!(modseq_in("* 3 FETCH (UID 9)\r\n"), None);
    }
}
