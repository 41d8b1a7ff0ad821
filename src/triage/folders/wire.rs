//! The IMAP commands of the folder mapping: select, search by Message-ID, create, move.

use super::claim::WINNER_WAIT;
use super::names::{Place, TeamFolders};
use crate::backend::FlagChange;
use crate::imap::actions;
use crate::imap::connect::{DEFAULT_READ_BUDGET, ImapConn, describe};
use crate::imap::quote_mailbox;
use crate::mail::utf7;
use crate::message::Flags;
use crate::triage::act::ActError;

/// One command's untagged data and tagged line; a NO answer is a tagged line too (`x NO
/// [CODE] text`), for the caller to read its response code.
pub(super) fn run(conn: &mut ImapConn, command: &str) -> Result<(String, String), ActError> {
    conn.budget.grant(DEFAULT_READ_BUDGET);
    let (data, ok) = match conn.session.run(command) {
        Ok(r) => r,
        Err(imap::Error::No(no)) => {
            let _ = conn.session.take_all_unsolicited().count();
            // The response code's name (TryCreate → [TRYCREATE]; the crate does not export
            // the type).
            let code = no
                .code
                .as_ref()
                .map(|c| format!("[{c:?}] ").to_ascii_uppercase())
                .unwrap_or_default();
            return Ok((String::new(), format!("x NO {code}{}", no.information)));
        }
        Err(e) => return Err(ActError::Server(describe(&e))),
    };
    let _ = conn.session.take_all_unsolicited().count();
    let (untagged, tagged) = data.split_at(ok.min(data.len()));
    Ok((
        String::from_utf8_lossy(untagged).into_owned(),
        String::from_utf8_lossy(tagged).into_owned(),
    ))
}

/// A tagged answer as the server's words for an error message: `NO [CODE] text`, one line.
pub(super) fn server_said(tagged: &str) -> String {
    let text = tagged.trim();
    let text = text.split_once(' ').map_or(text, |(_tag, rest)| rest);
    crate::sanitize::single_line(text)
}

pub(super) fn tagged_ok(tagged: &str) -> bool {
    tagged
        .split_whitespace()
        .nth(1)
        .is_some_and(|s| s.eq_ignore_ascii_case("OK"))
}

pub(super) fn quoted(name: &str) -> Result<String, ActError> {
    quote_mailbox(name).ok_or_else(|| ActError::Folder {
        folder: crate::sanitize::single_line(name),
        reason: "the name contains a line break".into(),
    })
}

/// A Message-ID as a search string: printable ASCII only (it came from the server or the
/// header cache), in angle brackets (a cached one has none) so that `HEADER`'s substring match
/// cannot find `<xa@b>` for `a@b`, quoted.
pub(super) fn search_string(message_id: &str) -> Option<String> {
    let id = message_id.trim();
    let id = id.strip_prefix('<').unwrap_or(id);
    let id = id.strip_suffix('>').unwrap_or(id).trim();
    if id.is_empty() || id.len() > 900 || !id.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return None;
    }
    Some(format!(
        "\"<{}>\"",
        id.replace('\\', "\\\\").replace('"', "\\\"")
    ))
}

/// The Message-ID of message `uid` of the selected folder: `Ok(None)` when the message is not
/// there, `Some(None)` when it has no Message-ID. Reads no flag: the folder mapping keeps no
/// marker on messages.
pub(super) fn message_id_of(
    conn: &mut ImapConn,
    uid: u32,
) -> Result<Option<Option<String>>, ActError> {
    conn.budget.grant(DEFAULT_READ_BUDGET);
    let fetched = conn
        .session
        .uid_fetch(uid.to_string(), "(UID ENVELOPE)")
        .map_err(|e| ActError::Server(describe(&e)))?;
    let found = fetched.iter().find(|f| f.uid == Some(uid)).map(|f| {
        f.envelope()
            .and_then(|e| e.message_id.as_ref())
            .map(|m| String::from_utf8_lossy(m).into_owned())
    });
    drop(fetched);
    let _ = conn.session.take_all_unsolicited().count();
    Ok(found)
}

/// Whether message `uid` is in the selected folder.
pub(super) fn present(conn: &mut ImapConn, uid: u32) -> Result<bool, ActError> {
    conn.budget.grant(DEFAULT_READ_BUDGET);
    let uids = conn
        .session
        .uid_search(format!("UID {uid}"))
        .map_err(|e| ActError::Server(describe(&e)))?;
    let _ = conn.session.take_all_unsolicited().count();
    Ok(uids.contains(&uid))
}

/// Selects `folder` (read-write); `Ok(false)` when it does not exist.
pub(super) fn select(conn: &mut ImapConn, folder: &str) -> Result<bool, ActError> {
    let q = quoted(folder)?;
    let (_, tagged) = run(conn, &format!("SELECT {q}"))?;
    Ok(tagged_ok(&tagged))
}

/// The UIDs of the messages in `folder` whose Message-ID header contains `id`.
pub(super) fn find_in(conn: &mut ImapConn, folder: &str, id: &str) -> Result<Vec<u32>, ActError> {
    let q = quoted(folder)?;
    let (_, tagged) = run(conn, &format!("EXAMINE {q}"))?;
    if !tagged_ok(&tagged) {
        return Ok(Vec::new());
    }
    conn.budget.grant(DEFAULT_READ_BUDGET);
    let uids = conn
        .session
        .uid_search(format!("HEADER Message-ID {id}"))
        .map_err(|e| ActError::Server(describe(&e)))?;
    let _ = conn.session.take_all_unsolicited().count();
    let mut v: Vec<u32> = uids.into_iter().collect();
    v.sort_unstable();
    Ok(v)
}

/// One copy of a message in a team folder: its UID there, and what MOVE and COPY keep of it
/// (INTERNALDATE, size), to tell a copy of the same message from another message with the
/// same Message-ID (a second delivery).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Copy {
    pub(super) uid: u32,
    pub(super) stamp: Option<(i64, u32)>,
}

impl Copy {
    /// Whether `self` and `other` are copies of one message (unknown stamps: assumed so).
    pub(super) fn same_message(&self, other: &Copy) -> bool {
        match (self.stamp, other.stamp) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        }
    }
}

/// The messages in `folder` whose Message-ID header is `id`, with their stamps.
pub(super) fn find_copies(
    conn: &mut ImapConn,
    folder: &str,
    id: &str,
) -> Result<Vec<Copy>, ActError> {
    let uids = find_in(conn, folder, id)?;
    if uids.is_empty() {
        return Ok(Vec::new());
    }
    let set = uids
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",");
    conn.budget.grant(DEFAULT_READ_BUDGET);
    let fetched = conn
        .session
        .uid_fetch(set, "(UID INTERNALDATE RFC822.SIZE)")
        .map_err(|e| ActError::Server(describe(&e)))?;
    let copies = uids
        .iter()
        .map(|&uid| Copy {
            uid,
            stamp: fetched
                .iter()
                .find(|f| f.uid == Some(uid))
                .and_then(|f| Some((f.internal_date()?.timestamp(), f.size?))),
        })
        .collect();
    drop(fetched);
    let _ = conn.session.take_all_unsolicited().count();
    Ok(copies)
}

/// The agents whose `Assigned/<agent>` folder exists, from LIST.
pub(super) fn assigned_agents(
    conn: &mut ImapConn,
    tf: &TeamFolders,
) -> Result<Vec<String>, ActError> {
    let pattern = format!("{}{}%", tf.assigned_parent(), tf.delimiter);
    let q = quoted(&pattern)?;
    conn.budget.grant(DEFAULT_READ_BUDGET);
    let names = conn
        .session
        .list(Some(""), Some(&q))
        .map_err(|e| ActError::Server(describe(&e)))?;
    let mut agents: Vec<String> = names
        .iter()
        .filter_map(|n| match tf.place(&utf7::decode(n.name())) {
            Some(Place::Assigned(a)) => Some(a),
            _ => None,
        })
        .collect();
    drop(names);
    let _ = conn.session.take_all_unsolicited().count();
    agents.sort();
    agents.dedup();
    Ok(agents)
}

/// Agents holding a message, sorted by agent id, with their copies.
pub(super) type Holders = Vec<(String, Vec<Copy>)>;

/// Every agent whose folder holds a message with this Message-ID, and the copies there.
pub(super) fn holders(
    conn: &mut ImapConn,
    tf: &TeamFolders,
    id: &str,
) -> Result<Holders, ActError> {
    holders_among(conn, tf, id, |_| true)
}

/// [`holders`] among the agents `among` accepts (the others' folders are not searched).
pub(super) fn holders_among(
    conn: &mut ImapConn,
    tf: &TeamFolders,
    id: &str,
    among: impl Fn(&str) -> bool,
) -> Result<Holders, ActError> {
    let mut out = Vec::new();
    for agent in assigned_agents(conn, tf)?.into_iter().filter(|a| among(a)) {
        let folder = tf.assigned(&agent).map_err(ActError::Triage)?;
        let copies = find_copies(conn, &folder, id)?;
        if !copies.is_empty() {
            out.push((agent, copies));
        }
    }
    Ok(out)
}

/// Creates `folder`; a refusal becomes an error naming the folder (and the `k` right when the
/// server says NOPERM). Nothing else changes.
pub(super) fn create(conn: &mut ImapConn, folder: &str) -> Result<(), ActError> {
    let q = quoted(folder)?;
    let (_, tagged) = run(conn, &format!("CREATE {q}"))?;
    if tagged_ok(&tagged) || tagged.to_ascii_uppercase().contains("[ALREADYEXISTS]") {
        return Ok(());
    }
    let reason = server_said(&tagged);
    Err(ActError::Folder {
        folder: crate::sanitize::single_line(folder),
        reason: if reason.to_ascii_uppercase().contains("NOPERM") {
            format!(
                "it does not exist and this agent may not create it (missing the `k` right on its parent); nothing was changed: {reason}"
            )
        } else {
            format!("it does not exist and cannot be created; nothing was changed: {reason}")
        },
    })
}

/// `[COPYUID v src dst]` → the destination UID (one message).
pub(super) fn copyuid(text: &str) -> Option<u32> {
    let upper = text.to_ascii_uppercase();
    let at = upper.find("[COPYUID ")? + "[COPYUID ".len();
    let rest = &text[at..];
    let end = rest.find(']')?;
    rest[..end].split_whitespace().nth(2)?.parse().ok()
}

pub(super) enum Moved {
    /// Moved; the new UID when the server said it (UIDPLUS).
    To(Option<u32>),
    /// Nothing was moved: the server answered OK without COPYUID (UIDPLUS), i.e. the UID is
    /// gone from the source.
    Gone,
    /// The server answered NO (no TRYCREATE, no NOPERM): the message may be gone (a lost race)
    /// or the server refused; the caller looks.
    Refused(String),
}

/// Moves message `uid` of the selected folder `from` to `target`: `UID MOVE`, or COPY +
/// EXPUNGE where MOVE is missing; creates `target` when the server says TRYCREATE. A NOPERM
/// answer is an error naming the rights a move needs (nothing moved: MOVE is atomic).
pub(super) fn move_to(
    conn: &mut ImapConn,
    uid: u32,
    from: &str,
    target: &str,
) -> Result<Moved, ActError> {
    let q = quoted(target)?;
    for attempt in 0..2 {
        let (untagged, tagged) = if conn.has("MOVE") {
            run(conn, &format!("UID MOVE {uid} {q}"))?
        } else {
            run(conn, &format!("UID COPY {uid} {q}"))?
        };
        let upper = tagged.to_ascii_uppercase();
        if !tagged_ok(&tagged) {
            if upper.contains("[TRYCREATE]") && attempt == 0 {
                create(conn, target)?;
                continue;
            }
            let reason = server_said(&tagged);
            if upper.contains("[NOPERM]") {
                return Err(ActError::NoRight(format!(
                    "moving the message to {:?} needs the `i` right there and `t`, `e` on {:?}; the server refused ({reason}); nothing was moved",
                    crate::sanitize::single_line(target),
                    crate::sanitize::single_line(from),
                )));
            }
            return Ok(Moved::Refused(reason));
        }
        let new_uid = copyuid(&tagged).or_else(|| copyuid(&untagged));
        if new_uid.is_none() && conn.has("UIDPLUS") {
            // OK without COPYUID: nothing was moved or copied (the UID is gone).
            return Ok(Moved::Gone);
        }
        if !conn.has("MOVE") {
            let del = FlagChange {
                add_flags: Flags {
                    deleted: true,
                    ..Flags::default()
                },
                ..FlagChange::default()
            };
            actions::store(conn, uid, &del, None)?;
            let expunge = if conn.has("UIDPLUS") {
                format!("UID EXPUNGE {uid}")
            } else {
                "EXPUNGE".to_string()
            };
            run(conn, &expunge)?;
            // A teammate copying the same message at the same moment may have marked the
            // source `\Deleted` before this COPY read it: the copy must not keep that mark.
            if let Some(new) = new_uid
                && select(conn, target)?
            {
                let undelete = FlagChange {
                    remove_flags: Flags {
                        deleted: true,
                        ..Flags::default()
                    },
                    ..FlagChange::default()
                };
                actions::store(conn, new, &undelete, None)?;
            }
        }
        return Ok(Moved::To(new_uid));
    }
    Err(ActError::Folder {
        folder: crate::sanitize::single_line(target),
        reason: "created, but the server still refuses it".into(),
    })
}

/// Removes copies `uids` of `folder` (a claimer's duplicate after a lost race), and checks
/// they are gone.
pub(super) fn remove_copy(conn: &mut ImapConn, folder: &str, uids: &[u32]) -> Result<(), ActError> {
    if !select(conn, folder)? {
        return Ok(());
    }
    let del = FlagChange {
        add_flags: Flags {
            deleted: true,
            ..Flags::default()
        },
        ..FlagChange::default()
    };
    for uid in uids {
        actions::store(conn, *uid, &del, None)?;
    }
    let set = uids
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let cmd = if conn.has("UIDPLUS") {
        format!("UID EXPUNGE {set}")
    } else {
        "EXPUNGE".into()
    };
    run(conn, &cmd)?;
    // Read back: nothing of this claimer's copy may stay behind.
    for uid in uids {
        if present(conn, *uid)? {
            return Err(ActError::NotStored(format!(
                "a teammate holds the message, but the second copy in {:?} (UID {uid}) could not be removed (the `e` right?)",
                crate::sanitize::single_line(folder)
            )));
        }
    }
    Ok(())
}

/// Who holds the message now that its UID is gone from the mailbox: every agent whose folder
/// holds it, waiting a moment (up to `WINNER_WAIT`) for a MOVE still in flight to land.
pub(super) fn holders_after_move(
    conn: &mut ImapConn,
    tf: &TeamFolders,
    id: &str,
) -> Result<Holders, ActError> {
    let deadline = std::time::Instant::now() + WINNER_WAIT;
    loop {
        let found = holders(conn, tf, id)?;
        if !found.is_empty() || std::time::Instant::now() > deadline {
            return Ok(found);
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_message_ids_never_reach_the_wire() {
        assert_eq!(
            search_string("<a\"b\\c@x>").as_deref(),
            Some("\"<a\\\"b\\\\c@x>\"")
        );
        assert_eq!(search_string("a@x").as_deref(), Some("\"<a@x>\""));
        assert_eq!(search_string(" <a@x> ").as_deref(), Some("\"<a@x>\""));
        assert_eq!(search_string("<>"), None);
        assert_eq!(search_string("<a\r\nA1 LOGOUT@x>"), None);
        assert_eq!(search_string("<é@x>"), None);
        assert_eq!(search_string(""), None);
        assert_eq!(copyuid("a1 OK [COPYUID 17 5 42] Moved"), Some(42));
        assert_eq!(copyuid("* OK [COPYUID 17 5 42] Moved"), Some(42));
        assert_eq!(copyuid("a1 OK Done"), None);
        assert_eq!(
            server_said("x NO [NOPERM] Permission denied\r\n"),
            "NO [NOPERM] Permission denied"
        );
    }
}
