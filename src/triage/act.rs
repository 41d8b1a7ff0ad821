//! Applying a triage action to a message on an IMAP server, atomically where CONDSTORE allows:
//! read flags and MODSEQ, compute the change, store it with `UNCHANGEDSINCE`; a `MODIFIED`
//! answer means a teammate was first, so read again and decide again. Without CONDSTORE, store
//! and re-read to detect a race. Every change is verified by reading it back: a read-only
//! server may answer OK and change nothing.
//!
//! On servers without permanent keywords (or with `team_state = "folders"`) the same actions
//! move messages between team folders instead: see `super::folders`. [`select_with_rights`]
//! decides which, [`apply`] dispatches.

use super::folders::{self, Detected, Mapping};
use super::state::{Action, SNOOZED, TeamState, TriageError, change_for, state};
use crate::backend::{FlagChange, StoreOutcome};
use crate::config::{Account, TeamStateSetting};
use crate::imap::actions::{self, ActionError};
use crate::imap::connect::{DEFAULT_READ_BUDGET, ImapConn, describe};
use crate::imap::notes::notes_folder;
use crate::imap::quote_mailbox;
use crate::imap::snoozes as snoozes_imap;
use crate::mail::snooze;
use crate::mail::utf7;
use crate::policy::rights::Rights;

/// Rounds of read-decide-store before giving up on a very busy message.
const MAX_ROUNDS: usize = 8;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Applied {
    pub uid: u32,
    pub action: &'static str,
    pub before: TeamState,
    pub after: TeamState,
    /// Read-decide-store rounds it took (more than one: a teammate changed it meanwhile).
    pub rounds: usize,
    /// Where team state lives.
    pub mapping: MappingKind,
    /// Where the message went, when the action moved it (the folder mapping); `None` when it
    /// stayed where it was. Boxed: results travel in UI events, which should stay small.
    pub moved_to: Option<Box<MovedTo>>,
    /// The MODSEQ the action left the message at (CONDSTORE), when known: an undo stores
    /// `UNCHANGEDSINCE` it (`triage::revert`). Not part of the CLI's JSON.
    #[serde(skip)]
    pub modseq: Option<u64>,
}

/// "keywords" or "folders" (see [`Mapping`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MappingKind {
    Keywords,
    Folders,
}

/// The folder a moved message is in now, and its UID there: the server's COPYUID (UIDPLUS) or
/// the one found by Message-ID, else `None`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MovedTo {
    pub mailbox: String,
    pub uid: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActError {
    #[error("claim lost: {winner} was first")]
    Lost { winner: String },
    #[error("{0}")]
    Triage(TriageError),
    #[error("not allowed: {0}")]
    NoRight(String),
    #[error("the server did not store the change ({0})")]
    NotStored(String),
    #[error("no message with UID {0}")]
    NoMessage(u32),
    #[error("{0}")]
    Server(String),
    #[error("the message kept changing; try again")]
    Busy,
    /// Snooze and "replying" marks in the folder mapping.
    #[error("{0} needs IMAP keywords, which are not kept here (team state maps to folders)")]
    NeedsKeywords(&'static str),
    #[error("{0:?} is not the mailbox or one of its team folders")]
    NotTeamFolder(String),
    #[error("team folder {folder:?}: {reason}")]
    Folder { folder: String, reason: String },
    /// The server refused a keyword mailroom needs (a full keyword table, a length limit):
    /// the change was not applied (or was rolled back).
    #[error(
        "the server refused the keyword {keyword} in \"{mailbox}\": {limit}; nothing was changed (server said: {reason})"
    )]
    KeywordRefused {
        mailbox: String,
        keyword: String,
        limit: &'static str,
        reason: String,
    },
    /// The snooze record (the wake time, `mail::snooze`) could not be written: the message
    /// was not snoozed.
    #[error("the snooze was not applied: its record could not be written to {folder:?}: {reason}")]
    SnoozeRecord { folder: String, reason: String },
}

/// The limit a server's refusal of a STORE names, when it is a keyword limit: Cyrus' table of
/// at most 100 user flags per mailbox (kept for ever), Dovecot's `mail_max_keyword_length`,
/// or an RFC 5530 `[LIMIT]`.
pub fn keyword_limit(refusal: &str) -> Option<&'static str> {
    let t = refusal.to_ascii_lowercase();
    if t.contains("too many user flags") {
        Some(
            "the mailbox's keyword table is full (Cyrus keeps at most 100 user flags per mailbox, and a keyword once used keeps its slot)",
        )
    } else if t.contains("keyword") && (t.contains("too long") || t.contains("[cannot]")) {
        Some("the keyword is longer than the server allows (Dovecot: mail_max_keyword_length)")
    } else if t.contains("[limit]") {
        Some("a server limit on keywords")
    } else {
        None
    }
}

/// A mailbox opened for triage: the agent's rights there and where team state lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selected {
    pub mailbox: String,
    pub rights: Rights,
    /// What SELECT said (before the `team_state` setting).
    pub detected: Detected,
    pub mapping: Mapping,
    /// Folder mapping only: the Message-ID of each message in the mailbox when it was
    /// selected (at most [`SNAPSHOT_MAX`] messages), and those the caller knows
    /// ([`know_message_id`](Self::know_message_id)). A claim whose message a teammate moved
    /// away before this agent's move still names the winner with it.
    pub message_ids: std::collections::BTreeMap<u32, String>,
    /// The mailbox's UIDVALIDITY (0 when the server gave none): a Message-ID the caller knows
    /// from an older session is about the same message only under the same UIDVALIDITY.
    pub uid_validity: u32,
}

impl Selected {
    /// Tells the folder mapping the Message-ID the caller knows for mailbox UID `uid` (a TUI
    /// row, the header cache): a late claimer whose select-time snapshot lacks the message
    /// (moved away before) still learns who holds it. The server's own snapshot wins.
    pub fn know_message_id(&mut self, uid: u32, message_id: &str) {
        if !message_id.trim().is_empty() {
            self.message_ids
                .entry(uid)
                .or_insert_with(|| message_id.to_string());
        }
    }
}

/// The largest mailbox whose Message-IDs the folder mapping reads at select time (its
/// mailbox holds open, unassigned mail only: everything else moved to team folders).
pub const SNAPSHOT_MAX: u32 = 20_000;

impl From<ActionError> for ActError {
    fn from(e: ActionError) -> ActError {
        match e {
            ActionError::NoMessage(uid) => ActError::NoMessage(uid),
            other => ActError::Server(other.to_string()),
        }
    }
}

/// Selects `mailbox` and returns the agent's rights there (MYRIGHTS, or inferred from SELECT
/// without ACL) and the team-state mapping: `setting`, or with `auto` the one PERMANENTFLAGS
/// call for (`folders::detect`). The folder mapping asks LIST for the hierarchy delimiter.
pub fn select_with_rights(
    conn: &mut ImapConn,
    mailbox: &str,
    setting: TeamStateSetting,
) -> Result<Selected, ActError> {
    let Some(quoted) = quote_mailbox(mailbox) else {
        return Err(ActError::Server(
            "the mailbox name contains a line break".into(),
        ));
    };
    conn.budget.grant(DEFAULT_READ_BUDGET);
    let myrights = if conn.has("ACL") {
        let raw = conn
            .session
            .run_command_and_read_response(format!("MYRIGHTS {quoted}"))
            .map_err(|e| ActError::Server(describe(&e)))?;
        crate::imap::probe::parse_myrights(&raw)
    } else {
        None
    };
    let selected = conn
        .session
        .select(utf7::encode(mailbox))
        .map_err(|e| ActError::Server(format!("cannot open the mailbox: {}", describe(&e))))?;
    let _ = conn.session.take_all_unsolicited().count();
    let permanent: Vec<String> = selected
        .permanent_flags
        .iter()
        .map(|f| f.to_string())
        .collect();
    let access = folders::decide(
        selected.is_read_only,
        &permanent,
        myrights.map(|r| Rights::parse(&r)),
        setting,
    );
    let (rights, detected) = (access.rights, access.detected);
    let wants_folders = access.team_state == folders::TeamStateAt::Folders;
    let delimiter = if wants_folders {
        delimiter_of(conn, &quoted)?
    } else {
        None
    };
    // A delegated top-level INBOX keeps its team folders under the personal namespace.
    let personal_prefix = if wants_folders && crate::mail::tree::needs_prefix(mailbox, delimiter) {
        crate::imap::tree::personal_prefix(conn).map_err(|e| ActError::Server(describe(&e)))?
    } else {
        None
    };
    let message_ids = if wants_folders && selected.exists > 0 && selected.exists <= SNAPSHOT_MAX {
        message_ids(conn)?
    } else {
        Default::default()
    };
    Ok(Selected {
        mailbox: mailbox.to_string(),
        rights,
        detected,
        mapping: Mapping::choose(
            setting,
            detected,
            mailbox,
            delimiter,
            personal_prefix.as_deref(),
        ),
        message_ids,
        uid_validity: selected.uid_validity.unwrap_or(0),
    })
}

fn message_ids(conn: &mut ImapConn) -> Result<std::collections::BTreeMap<u32, String>, ActError> {
    conn.budget.grant(DEFAULT_READ_BUDGET);
    let fetched = conn
        .session
        .uid_fetch("1:*", "(UID ENVELOPE)")
        .map_err(|e| ActError::Server(describe(&e)))?;
    let ids = fetched
        .iter()
        .filter_map(|f| {
            let id = f.envelope()?.message_id.as_ref()?;
            Some((f.uid?, String::from_utf8_lossy(id).into_owned()))
        })
        .collect();
    drop(fetched);
    let _ = conn.session.take_all_unsolicited().count();
    Ok(ids)
}

/// The hierarchy delimiter LIST gives for `quoted` (None: the server has none).
fn delimiter_of(conn: &mut ImapConn, quoted: &str) -> Result<Option<char>, ActError> {
    conn.budget.grant(DEFAULT_READ_BUDGET);
    let names = conn
        .session
        .list(Some(""), Some(quoted))
        .map_err(|e| ActError::Server(describe(&e)))?;
    let d = names
        .iter()
        .next()
        .and_then(|n| n.delimiter())
        .and_then(|d| d.chars().next());
    drop(names);
    let _ = conn.session.take_all_unsolicited().count();
    Ok(d)
}

fn applied_ok<K: AsRef<str>>(change: &FlagChange, keywords: &[K]) -> bool {
    let has = |k: &String| keywords.iter().any(|x| x.as_ref().eq_ignore_ascii_case(k));
    change.add_keywords.iter().all(has) && !change.remove_keywords.iter().any(has)
}

/// Applies `action` by agent `me` to message `uid` of `mailbox`: with keywords that is
/// `selected.mailbox` (selected by [`select_with_rights`]); with folders it may also be one of
/// its team folders (`Pending`, `Assigned/bob`, …, as full names). With `check_rights`, an
/// agent without the rights the mapping needs is refused before anything is sent. Leaves
/// `selected.mailbox` selected.
pub fn apply(
    conn: &mut ImapConn,
    selected: &Selected,
    mailbox: &str,
    uid: u32,
    action: &Action,
    me: &str,
    check_rights: bool,
) -> Result<Applied, ActError> {
    match &selected.mapping {
        Mapping::Folders(tf) => {
            folders::apply(conn, selected, tf, mailbox, uid, action, me, check_rights)
        }
        Mapping::Keywords => {
            if mailbox != selected.mailbox {
                return Err(ActError::NotTeamFolder(crate::sanitize::single_line(
                    mailbox,
                )));
            }
            apply_keywords(conn, selected, uid, action, me, check_rights)
        }
    }
}

fn apply_keywords(
    conn: &mut ImapConn,
    selected: &Selected,
    uid: u32,
    action: &Action,
    me: &str,
    check_rights: bool,
) -> Result<Applied, ActError> {
    let rights = selected.rights;
    if check_rights && !rights.has('w') {
        return Err(ActError::NoRight(format!(
            "triage needs the `w` right on this mailbox; yours are \"{rights}\""
        )));
    }
    let condstore = conn.has("CONDSTORE");
    let mut before = None;
    for round in 1..=MAX_ROUNDS {
        let (_, keywords, modseq) = actions::current(conn, uid)?;
        let before_state = before.get_or_insert_with(|| state(&keywords)).clone();
        let change = match change_for(action, me, &keywords) {
            Ok(c) => c,
            Err(TriageError::ClaimedBy(winner)) => return Err(ActError::Lost { winner }),
            Err(e) => return Err(ActError::Triage(e)),
        };
        if applied_ok(&change, &keywords) {
            return Ok(Applied {
                uid,
                action: action.name(),
                before: before_state,
                after: state(&keywords),
                rounds: round,
                mapping: MappingKind::Keywords,
                moved_to: None,
                modseq,
            });
        }
        let since = if condstore { modseq } else { None };
        let outcome = match actions::store(conn, uid, &change, since) {
            Ok(o) => o,
            Err(ActionError::Server(reason)) => {
                return Err(refused(
                    conn, selected, uid, &change, &keywords, since, reason,
                ));
            }
            Err(e) => return Err(e.into()),
        };
        if outcome == StoreOutcome::Modified {
            continue;
        }
        let (_, after_keywords, after_modseq) = actions::current(conn, uid)?;
        let after = state(&after_keywords);
        if !applied_ok(&change, &after_keywords) {
            return Err(ActError::NotStored(if rights.has('w') {
                "another client changed it at the same moment".into()
            } else {
                "read-only for this agent".into()
            }));
        }
        // Without CONDSTORE two claims can both land: the other keyword wins, ours goes.
        if !condstore
            && *action == Action::Claim
            && let Some(winner) = after
                .also_assigned
                .iter()
                .chain(after.assigned.iter())
                .find(|a| a.as_str() != me)
                .cloned()
        {
            let undo = FlagChange {
                remove_keywords: vec![format!("{}{me}", super::state::ASSIGNED)],
                ..FlagChange::default()
            };
            let _ = actions::store(conn, uid, &undo, None);
            return Err(ActError::Lost { winner });
        }
        return Ok(Applied {
            uid,
            action: action.name(),
            before: before_state,
            after,
            rounds: round,
            mapping: MappingKind::Keywords,
            moved_to: None,
            modseq: after_modseq,
        });
    }
    Err(ActError::Busy)
}

/// A STORE the server refused. Without `UNCHANGEDSINCE` a change that adds and removes is
/// two STOREs (`+FLAGS` then `-FLAGS`): when the second failed, the keywords the first added
/// are taken away again, so nothing is half-applied. A keyword limit becomes
/// [`ActError::KeywordRefused`] naming the limit, the keyword and the mailbox.
fn refused(
    conn: &mut ImapConn,
    selected: &Selected,
    uid: u32,
    change: &FlagChange,
    before: &[String],
    since: Option<u64>,
    reason: String,
) -> ActError {
    let new: Vec<String> = change
        .add_keywords
        .iter()
        .filter(|k| !before.iter().any(|b| b.eq_ignore_ascii_case(k)))
        .cloned()
        .collect();
    let two_stores = since.is_none()
        && !change.remove_keywords.is_empty()
        && !(change.add_keywords.is_empty() && change.add_flags == Default::default());
    if two_stores
        && !new.is_empty()
        && let Ok((_, now, _)) = actions::current(conn, uid)
    {
        let landed: Vec<String> = new
            .iter()
            .filter(|k| now.iter().any(|n| n.eq_ignore_ascii_case(k)))
            .cloned()
            .collect();
        if !landed.is_empty() {
            let undo = FlagChange {
                remove_keywords: landed,
                ..FlagChange::default()
            };
            let _ = actions::store(conn, uid, &undo, None);
        }
    }
    let reason = crate::sanitize::single_line(reason.trim());
    match keyword_limit(&reason) {
        Some(limit) => ActError::KeywordRefused {
            mailbox: crate::sanitize::single_line(&selected.mailbox),
            keyword: if new.is_empty() {
                change.add_keywords.join(" ")
            } else {
                new.join(" ")
            },
            limit,
            reason,
        },
        None => ActError::Server(reason),
    }
}

/// [`apply`], with a snooze's wake time recorded first (`mail::snooze`): the record goes to
/// the account's notes folder, then `$snoozed` is stored. When the record cannot be written
/// nothing is stored; when the store fails the record stays, harmless (the keyword decides).
/// Other actions are [`apply`] as they are. Leaves `selected.mailbox` selected.
#[allow(clippy::too_many_arguments)]
pub fn apply_recorded(
    conn: &mut ImapConn,
    selected: &Selected,
    mailbox: &str,
    uid: u32,
    action: &Action,
    me: &str,
    check_rights: bool,
    account: &Account,
) -> Result<Applied, ActError> {
    let Action::Snooze(until) = action else {
        return apply(conn, selected, mailbox, uid, action, me, check_rights);
    };
    if selected.mapping != Mapping::Keywords || mailbox != selected.mailbox {
        return apply(conn, selected, mailbox, uid, action, me, check_rights);
    }
    if check_rights && !selected.rights.has('w') {
        return apply(conn, selected, mailbox, uid, action, me, check_rights);
    }
    let record_error = |folder: &str, reason: String| ActError::SnoozeRecord {
        folder: crate::sanitize::single_line(folder),
        reason: crate::sanitize::single_line(&reason),
    };
    let folder =
        notes_folder(conn, account).map_err(|e| record_error("the notes folder", e.to_string()))?;
    let message_id =
        snoozes_imap::message_id(conn, uid).map_err(|e| record_error(&folder, e.to_string()))?;
    let record = snooze::build(
        &account.address,
        me,
        message_id.as_deref(),
        *until,
        std::time::SystemTime::now(),
    )
    .map_err(|e| record_error(&folder, e.to_string()))?;
    snoozes_imap::append_record(conn, &folder, &record.raw)
        .map_err(|e| record_error(&folder, e.to_string()))?;
    // Snoozed already (a new wake time): the keyword is taken away and stored again, so the
    // change reaches every teammate's session (a STORE that changes nothing tells no one),
    // whose engine then reads the new record. Should the second store fail, the message is
    // shown (woken), never hidden for ever.
    let (_, keywords, _) = actions::current(conn, uid)?;
    // The state before this snooze (snoozed already, perhaps), not the one between the two
    // stores: an undo restores it.
    let before = state(&keywords);
    if let Some(k) = keywords.iter().find(|k| k.eq_ignore_ascii_case(SNOOZED)) {
        let wake = FlagChange {
            remove_keywords: vec![k.clone()],
            ..FlagChange::default()
        };
        actions::store(conn, uid, &wake, None)?;
    }
    let mut applied = apply(conn, selected, mailbox, uid, action, me, check_rights)?;
    applied.before = before;
    if applied.after.snoozed {
        applied.after.snoozed_until = Some(*until);
    }
    Ok(applied)
}

/// After a `done` kept in keywords, moves the message to the account's archive folder when one
/// is configured (`archive_folder`); the move is reported in `moved_to`. A failed move leaves
/// the message marked done where it was, and says so. The folder mapping's own `Done` folder
/// is already where done messages go: nothing more is moved there.
pub fn archive_done(
    conn: &mut ImapConn,
    applied: Applied,
    archive: Option<&str>,
) -> Result<Applied, ActError> {
    archive_with(applied, archive, |uid, folder| {
        super::folders::archive(conn, uid, folder)
    })
}

/// The archive step for any store: `move_to(uid, folder)` moves the message and gives its new
/// UID when known. Only a `done` kept in keywords moves, and only with a folder configured.
pub fn archive_with<E: std::fmt::Display>(
    applied: Applied,
    archive: Option<&str>,
    move_to: impl FnOnce(u32, &str) -> Result<Option<u32>, E>,
) -> Result<Applied, ActError> {
    let Some(folder) = archive else {
        return Ok(applied);
    };
    if applied.action != Action::Done.name() || applied.mapping != MappingKind::Keywords {
        return Ok(applied);
    }
    match move_to(applied.uid, folder) {
        Ok(uid) => Ok(Applied {
            moved_to: Some(Box::new(MovedTo {
                mailbox: folder.to_string(),
                uid,
            })),
            ..applied
        }),
        Err(e) => Err(ActError::Folder {
            folder: crate::sanitize::single_line(folder),
            reason: format!("marked done, but not moved there: {e}"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyword_limits_are_told_from_other_refusals() {
        let cyrus = keyword_limit("a7 NO Too many user flags in mailbox").unwrap_or("");
        assert!(cyrus.contains("100") && cyrus.contains("full"), "{cyrus}");
        let dovecot = keyword_limit("a7 NO [CANNOT] Keyword length too long").unwrap_or("");
        assert!(dovecot.contains("mail_max_keyword_length"), "{dovecot}");
        assert!(keyword_limit("a7 NO [LIMIT] Too many keywords").is_some());
        assert_eq!(keyword_limit("a7 NO [NOPERM] Permission denied"), None);
        let e = ActError::KeywordRefused {
            mailbox: "shared.support".into(),
            keyword: "$assigned.dave".into(),
            limit: "the mailbox's keyword table is full",
            reason: "NO Too many user flags in mailbox".into(),
        }
        .to_string();
        assert!(
            e.contains("$assigned.dave") && e.contains("shared.support") && e.contains("full"),
            "{e}"
        );
    }
}
