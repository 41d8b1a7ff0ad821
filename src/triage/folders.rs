//! Team state on servers without permanent keywords (PERMANENTFLAGS lacks `\*`, e.g.
//! Microsoft 365): the same states mapped to folders beside the shared mailbox, and `\Flagged`.
//!
//! | state | where the message is |
//! |---|---|
//! | open, unassigned | the mailbox itself (e.g. `shared/support/INBOX`) |
//! | assigned to agent | `<root>Assigned<d><agent>`, with `\Flagged` |
//! | pending | `<root>Pending` |
//! | done | `<root>Done` |
//!
//! `<root>` is the mailbox's parent with the server's hierarchy delimiter `<d>`
//! (`shared/support/INBOX` → `shared/support/`; a top-level `INBOX` → nothing). The states are
//! exclusive (a message is in one folder): pending and done keep `\Flagged` but not who held
//! the message; reopen and unassign move it back to the mailbox and clear `\Flagged` (in the
//! mailbox, `\Flagged` means a claim is in flight).
//! Snooze and "replying" marks need keywords and are refused here.
//!
//! A claim is `\Flagged` on the message (conditional with CONDSTORE: `UNCHANGEDSINCE`), then a
//! MOVE into `Assigned/<me>`: a message already moved away is a lost race, and its new place
//! (found by Message-ID) names the winner. Servers whose MOVE is a copy and an expunge (Dovecot
//! without CONDSTORE) may let two MOVEs both copy: every claim searches all `Assigned/*`
//! folders after moving, and when the message is held twice the smallest agent id keeps it and
//! the other claimer removes its copy. Every move is read back in the target folder.

use super::act::{ActError, Applied, MappingKind, MovedTo, Selected};
use super::state::{Action, TeamState, TriageError};
use crate::backend::{FlagChange, StoreOutcome};
use crate::config::{TeamStateSetting, is_valid_agent_id};
use crate::imap::actions;
use crate::imap::connect::{DEFAULT_READ_BUDGET, ImapConn, describe};
use crate::imap::quote_mailbox;
use crate::mail::utf7;
use crate::message::Flags;
use crate::policy::rights::Rights;

pub const ASSIGNED: &str = "Assigned";
pub const PENDING: &str = "Pending";
pub const DONE: &str = "Done";

/// Rights the folder mapping needs on the mailbox: flag, copy in, mark deleted, expunge.
pub const FOLDER_RIGHTS: [char; 4] = ['w', 'i', 't', 'e'];

/// Claim rounds before giving up on a message that keeps changing.
const MAX_ROUNDS: usize = 8;
/// How long a loser waits for the winner's MOVE to land before naming nobody.
const WINNER_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

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
    ) -> Mapping {
        match (setting, detected) {
            (TeamStateSetting::Folders, _) | (TeamStateSetting::Auto, Detected::Folders) => {
                Mapping::Folders(TeamFolders::new(mailbox, delimiter))
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

/// The team folders of one mailbox.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TeamFolders {
    pub mailbox: String,
    /// The prefix of the team folders: the mailbox's parent and delimiter, or empty.
    pub root: String,
    /// The hierarchy delimiter (`/` when the server has none: then `Assigned/alice` is a flat
    /// name).
    pub delimiter: char,
}

/// Where a message is, in the folder mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    Mailbox,
    Assigned(String),
    Pending,
    Done,
}

impl TeamFolders {
    pub fn new(mailbox: &str, delimiter: Option<char>) -> TeamFolders {
        // The mailbox's own tree (`mail::tree`): siblings of an `INBOX`, children of any other
        // mailbox (Cyrus' `shared.support` → `shared.support.Assigned.<agent>`). A top-level
        // `INBOX` gets no NAMESPACE prefix here: its team folders are top-level.
        TeamFolders {
            mailbox: mailbox.to_string(),
            root: crate::mail::tree::root(mailbox, delimiter, None),
            delimiter: delimiter.unwrap_or('/'),
        }
    }

    /// `<root>Assigned` (the parent of every agent's folder).
    pub fn assigned_parent(&self) -> String {
        format!("{}{ASSIGNED}", self.root)
    }

    /// `<root>Assigned<d><agent>`; the agent id is checked first.
    pub fn assigned(&self, agent: &str) -> Result<String, TriageError> {
        if !is_valid_agent_id(agent) {
            return Err(TriageError::BadAgent(crate::sanitize::single_line(agent)));
        }
        Ok(format!(
            "{}{}{agent}",
            self.assigned_parent(),
            self.delimiter
        ))
    }

    pub fn pending(&self) -> String {
        format!("{}{PENDING}", self.root)
    }

    pub fn done(&self) -> String {
        format!("{}{DONE}", self.root)
    }

    /// `<root>{Assigned/<agent>,Pending,Done}`, for `check`.
    pub fn describe(&self) -> String {
        format!(
            "{}{{{ASSIGNED}{}<agent>,{PENDING},{DONE}}}",
            self.root, self.delimiter
        )
    }

    pub fn name_of(&self, place: &Place) -> Result<String, TriageError> {
        Ok(match place {
            Place::Mailbox => self.mailbox.clone(),
            Place::Assigned(a) => self.assigned(a)?,
            Place::Pending => self.pending(),
            Place::Done => self.done(),
        })
    }

    /// Which team folder `name` (a full name) is, if any.
    pub fn place(&self, name: &str) -> Option<Place> {
        if name == self.mailbox {
            return Some(Place::Mailbox);
        }
        if name == self.pending() {
            return Some(Place::Pending);
        }
        if name == self.done() {
            return Some(Place::Done);
        }
        let prefix = format!("{}{}", self.assigned_parent(), self.delimiter);
        name.strip_prefix(&prefix)
            .filter(|a| is_valid_agent_id(a))
            .map(|a| Place::Assigned(a.to_string()))
    }

    /// A folder as the user names it: the full name, or relative to the root (`Pending`,
    /// `Assigned/alice`). Only the mailbox and its team folders are accepted.
    pub fn resolve(&self, given: &str) -> Option<String> {
        if self.place(given).is_some() {
            return Some(given.to_string());
        }
        let full = format!("{}{given}", self.root);
        self.place(&full).map(|_| full)
    }
}

/// The team state a message's folder (and `\Flagged`) says.
pub fn state_of(place: &Place) -> TeamState {
    let mut st = TeamState::default();
    match place {
        Place::Mailbox => {}
        Place::Assigned(a) => st.assigned = Some(a.clone()),
        Place::Pending => st.pending = true,
        Place::Done => st.done = true,
    }
    st
}

/// One command's untagged data and tagged line; a NO answer is a tagged line too (`x NO
/// [CODE] text`), for the caller to read its response code.
fn run(conn: &mut ImapConn, command: &str) -> Result<(String, String), ActError> {
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

fn tagged_ok(tagged: &str) -> bool {
    tagged
        .split_whitespace()
        .nth(1)
        .is_some_and(|s| s.eq_ignore_ascii_case("OK"))
}

fn quoted(name: &str) -> Result<String, ActError> {
    quote_mailbox(name).ok_or_else(|| ActError::Folder {
        folder: crate::sanitize::single_line(name),
        reason: "the name contains a line break".into(),
    })
}

/// A Message-ID as a search string: printable ASCII only (it came from the server), quoted.
fn search_string(message_id: &str) -> Option<String> {
    let id = message_id.trim();
    if id.is_empty() || id.len() > 900 || !id.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return None;
    }
    Some(format!(
        "\"{}\"",
        id.replace('\\', "\\\\").replace('"', "\\\"")
    ))
}

/// The message as this session sees it: flags, MODSEQ (with CONDSTORE) and Message-ID.
struct Seen {
    flagged: bool,
    modseq: Option<u64>,
    message_id: Option<String>,
}

fn fetch(conn: &mut ImapConn, uid: u32) -> Result<Option<Seen>, ActError> {
    let items = if conn.has("CONDSTORE") {
        "(UID FLAGS MODSEQ ENVELOPE)"
    } else {
        "(UID FLAGS ENVELOPE)"
    };
    conn.budget.grant(DEFAULT_READ_BUDGET);
    let fetched = conn
        .session
        .uid_fetch(uid.to_string(), items)
        .map_err(|e| ActError::Server(describe(&e)))?;
    let found = fetched.iter().find(|f| f.uid == Some(uid)).map(|f| Seen {
        flagged: f
            .flags()
            .iter()
            .any(|x| matches!(x, imap::types::Flag::Flagged)),
        modseq: f.mod_seq(),
        message_id: f
            .envelope()
            .and_then(|e| e.message_id.as_ref())
            .map(|m| String::from_utf8_lossy(m).into_owned()),
    });
    drop(fetched);
    let _ = conn.session.take_all_unsolicited().count();
    Ok(found)
}

/// Selects `folder` (read-write); `Ok(false)` when it does not exist.
fn select(conn: &mut ImapConn, folder: &str) -> Result<bool, ActError> {
    let q = quoted(folder)?;
    let (_, tagged) = run(conn, &format!("SELECT {q}"))?;
    Ok(tagged_ok(&tagged))
}

/// The UIDs of the messages in `folder` whose Message-ID header contains `id`.
fn find_in(conn: &mut ImapConn, folder: &str, id: &str) -> Result<Vec<u32>, ActError> {
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

/// The agents whose `Assigned/<agent>` folder exists, from LIST.
fn assigned_agents(conn: &mut ImapConn, tf: &TeamFolders) -> Result<Vec<String>, ActError> {
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

/// Every agent whose folder holds a message with this Message-ID, and the UIDs there.
fn holders(
    conn: &mut ImapConn,
    tf: &TeamFolders,
    id: &str,
) -> Result<Vec<(String, Vec<u32>)>, ActError> {
    let mut out = Vec::new();
    for agent in assigned_agents(conn, tf)? {
        let folder = tf.assigned(&agent).map_err(ActError::Triage)?;
        let uids = find_in(conn, &folder, id)?;
        if !uids.is_empty() {
            out.push((agent, uids));
        }
    }
    Ok(out)
}

/// Creates `folder`; NOPERM and the like become a clear error.
fn create(conn: &mut ImapConn, folder: &str) -> Result<(), ActError> {
    let q = quoted(folder)?;
    let (_, tagged) = run(conn, &format!("CREATE {q}"))?;
    if tagged_ok(&tagged) || tagged.to_ascii_uppercase().contains("[ALREADYEXISTS]") {
        return Ok(());
    }
    let reason = crate::sanitize::single_line(tagged.trim());
    Err(ActError::Folder {
        folder: crate::sanitize::single_line(folder),
        reason: if reason.to_ascii_uppercase().contains("NOPERM") {
            format!("it does not exist and this agent may not create it (the `k` right): {reason}")
        } else {
            format!("cannot create it: {reason}")
        },
    })
}

/// `[COPYUID v src dst]` → the destination UID (one message).
fn copyuid(text: &str) -> Option<u32> {
    let upper = text.to_ascii_uppercase();
    let at = upper.find("[COPYUID ")? + "[COPYUID ".len();
    let rest = &text[at..];
    let end = rest.find(']')?;
    rest[..end].split_whitespace().nth(2)?.parse().ok()
}

enum Moved {
    /// Moved; the new UID when the server said it (UIDPLUS).
    To(Option<u32>),
    /// The server answered NO without TRYCREATE: the message is probably gone.
    Refused(String),
}

/// Moves message `uid` of the selected folder to `target` (MOVE, or COPY + EXPUNGE), creating
/// `target` when the server says TRYCREATE.
fn move_to(conn: &mut ImapConn, uid: u32, target: &str) -> Result<Moved, ActError> {
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
            let reason = crate::sanitize::single_line(tagged.trim());
            if upper.contains("[NOPERM]") {
                return Err(ActError::NoRight(format!(
                    "the server refused to move the message to {:?}: {reason}",
                    crate::sanitize::single_line(target)
                )));
            }
            return Ok(Moved::Refused(reason));
        }
        let new_uid = copyuid(&tagged).or_else(|| copyuid(&untagged));
        if !conn.has("MOVE") {
            if new_uid.is_none() && conn.has("UIDPLUS") {
                // OK without COPYUID: nothing was copied (the UID is gone).
                return Ok(Moved::Refused("no message was copied".into()));
            }
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
        } else if new_uid.is_none() && conn.has("UIDPLUS") {
            return Ok(Moved::Refused("no message was moved".into()));
        }
        return Ok(Moved::To(new_uid));
    }
    Err(ActError::Folder {
        folder: crate::sanitize::single_line(target),
        reason: "created, but the server still refuses it".into(),
    })
}

/// Moves message `uid` of the selected folder to `archive` (the account's `archive_folder`,
/// after `done`), creating it when the server says TRYCREATE; its new UID when known.
pub fn archive(conn: &mut ImapConn, uid: u32, archive: &str) -> Result<Option<u32>, ActError> {
    match move_to(conn, uid, archive)? {
        Moved::To(new_uid) => Ok(new_uid),
        Moved::Refused(reason) => Err(ActError::Folder {
            folder: crate::sanitize::single_line(archive),
            reason,
        }),
    }
}

fn flagged_change(on: bool) -> FlagChange {
    let f = Flags {
        flagged: true,
        ..Flags::default()
    };
    if on {
        FlagChange {
            add_flags: f,
            ..FlagChange::default()
        }
    } else {
        FlagChange {
            remove_flags: f,
            ..FlagChange::default()
        }
    }
}

/// Removes this claimer's copy after a lost duplicate race.
fn remove_copy(conn: &mut ImapConn, folder: &str, uids: &[u32]) -> Result<(), ActError> {
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
    Ok(())
}

/// The winner of a claim we lost: whoever's folder holds the message (waiting a moment for a
/// MOVE in flight).
fn find_winner(
    conn: &mut ImapConn,
    tf: &TeamFolders,
    id: Option<&str>,
    me: &str,
) -> Result<Option<String>, ActError> {
    let Some(id) = id else {
        return Ok(None);
    };
    let deadline = std::time::Instant::now() + WINNER_WAIT;
    loop {
        let found = holders(conn, tf, id)?;
        if let Some((agent, _)) = found.iter().find(|(a, _)| a != me) {
            return Ok(Some(agent.clone()));
        }
        if std::time::Instant::now() > deadline {
            return Ok(None);
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

fn lost(winner: Option<String>) -> ActError {
    ActError::Lost {
        winner: winner.unwrap_or_else(|| "another agent".into()),
    }
}

/// Applies `action` by `me` to message `uid` of `from` (the mailbox or one of its team
/// folders). Leaves the mailbox `selected.mailbox` selected.
#[allow(clippy::too_many_arguments)]
pub(crate) fn apply(
    conn: &mut ImapConn,
    selected: &Selected,
    tf: &TeamFolders,
    from: &str,
    uid: u32,
    action: &Action,
    me: &str,
    check_rights: bool,
) -> Result<Applied, ActError> {
    let result = apply_inner(conn, selected, tf, from, uid, action, me, check_rights);
    // Back to the mailbox the caller works in, whatever happened.
    let _ = select(conn, &tf.mailbox);
    result
}

#[allow(clippy::too_many_arguments)]
fn apply_inner(
    conn: &mut ImapConn,
    selected: &Selected,
    tf: &TeamFolders,
    from: &str,
    uid: u32,
    action: &Action,
    me: &str,
    check_rights: bool,
) -> Result<Applied, ActError> {
    if !is_valid_agent_id(me) {
        return Err(ActError::Triage(TriageError::BadAgent(
            crate::sanitize::single_line(me),
        )));
    }
    if matches!(action, Action::Snooze(_) | Action::Replying(_)) {
        return Err(ActError::NeedsKeywords(action.name()));
    }
    let Some(from_place) = tf.place(from) else {
        return Err(ActError::NotTeamFolder(crate::sanitize::single_line(from)));
    };
    if check_rights {
        let rights = selected.rights;
        let missing: String = FOLDER_RIGHTS.iter().filter(|c| !rights.has(**c)).collect();
        if !missing.is_empty() {
            return Err(ActError::NoRight(format!(
                "triage with the folder mapping needs the `w`, `i`, `t` and `e` rights on this mailbox (missing `{missing}`); yours are \"{rights}\""
            )));
        }
    }
    let (target, flag): (Place, Option<bool>) = match action {
        Action::Claim => match &from_place {
            Place::Assigned(holder) if holder != me => {
                return Err(ActError::Lost {
                    winner: holder.clone(),
                });
            }
            _ => (Place::Assigned(me.to_string()), Some(true)),
        },
        Action::Assign(agent) => {
            let agent = agent.to_ascii_lowercase();
            if !is_valid_agent_id(&agent) {
                return Err(ActError::Triage(TriageError::BadAgent(
                    crate::sanitize::single_line(&agent),
                )));
            }
            (Place::Assigned(agent), Some(true))
        }
        Action::Unassign => (Place::Mailbox, Some(false)),
        Action::Pending => (Place::Pending, None),
        Action::Done => (Place::Done, None),
        Action::Reopen => (Place::Mailbox, Some(false)),
        Action::Snooze(_) | Action::Replying(_) => {
            return Err(ActError::NeedsKeywords(action.name()));
        }
    };
    let target_name = tf.name_of(&target).map_err(ActError::Triage)?;
    let before = state_of(&from_place);
    let is_claim = *action == Action::Claim;
    for round in 1..=MAX_ROUNDS {
        if !select(conn, from)? {
            return Err(ActError::Folder {
                folder: crate::sanitize::single_line(from),
                reason: "it does not exist".into(),
            });
        }
        let Some(seen) = fetch(conn, uid)? else {
            // Moved away before our first read: a claim lost to whoever holds it now.
            let known = (from_place == Place::Mailbox)
                .then(|| selected.message_ids.get(&uid))
                .flatten()
                .and_then(|m| search_string(m));
            if is_claim
                && known.is_some()
                && let Some(winner) = find_winner(conn, tf, known.as_deref(), me)?
            {
                return Err(ActError::Lost { winner });
            }
            return Err(ActError::NoMessage(uid));
        };
        let id = seen.message_id.as_deref().and_then(search_string);
        // In the mailbox `\Flagged` means a claim is in flight: its MOVE names the winner. A
        // flag nobody follows up on (a crashed claimer, a flag set in another client) is
        // taken over once the wait is over.
        if is_claim
            && from_place == Place::Mailbox
            && seen.flagged
            && let Some(winner) = find_winner(conn, tf, id.as_deref(), me)?
        {
            return Err(ActError::Lost { winner });
        }
        // 1. The flag first: it travels with the message. A claim stores it conditionally
        //    where the server can (CONDSTORE): a MODIFIED answer means someone got there first.
        if let Some(on) = flag
            && on != seen.flagged
        {
            let since = if is_claim && on { seen.modseq } else { None };
            if actions::store(conn, uid, &flagged_change(on), since)? == StoreOutcome::Modified {
                match fetch(conn, uid)? {
                    Some(s) if s.flagged => {
                        return Err(lost(find_winner(conn, tf, id.as_deref(), me)?));
                    }
                    // Another change (\Seen, say): decide again.
                    Some(_) => continue,
                    None => return Err(lost(find_winner(conn, tf, id.as_deref(), me)?)),
                }
            }
        }
        // 2. The move (nothing to move when it is there already).
        let new_uid = if target_name == from {
            Some(uid)
        } else {
            match move_to(conn, uid, &target_name)? {
                Moved::To(u) => u,
                Moved::Refused(reason) => {
                    let still_here = fetch(conn, uid)?.is_some();
                    if is_claim && still_here {
                        // Not a race (the message did not move): the server refused (quota,
                        // say). Take back the flag this claim set, and say why.
                        if flag == Some(true) && !seen.flagged {
                            let _ = actions::store(conn, uid, &flagged_change(false), None);
                        }
                        return Err(ActError::NotStored(reason));
                    }
                    if is_claim {
                        return Err(lost(find_winner(conn, tf, id.as_deref(), me)?));
                    }
                    if fetch(conn, uid)?.is_none() {
                        return Err(ActError::NoMessage(uid));
                    }
                    return Err(ActError::NotStored(reason));
                }
            }
        };
        // 3. Read back: the message is in the target folder (and, for a claim, nowhere else).
        let mut new_uid = new_uid;
        match &id {
            Some(id) => {
                if is_claim {
                    let found = holders(conn, tf, id)?;
                    let mine = found.iter().find(|(a, _)| a == me).map(|(_, u)| u.clone());
                    let Some(mine) = mine else {
                        return Err(lost(found.first().map(|(a, _)| a.clone())));
                    };
                    // Held twice (a MOVE that copies): the smallest agent id keeps it.
                    if let Some((winner, _)) = found.iter().find(|(a, _)| a.as_str() < me) {
                        remove_copy(conn, &target_name, &mine)?;
                        return Err(ActError::Lost {
                            winner: winner.clone(),
                        });
                    }
                    if new_uid.is_none() && mine.len() == 1 {
                        new_uid = mine.first().copied();
                    }
                } else {
                    let found = find_in(conn, &target_name, id)?;
                    if found.is_empty() {
                        return Err(ActError::NotStored(format!(
                            "the message is not in {:?} after the move",
                            crate::sanitize::single_line(&target_name)
                        )));
                    }
                    if new_uid.is_none() && found.len() == 1 {
                        new_uid = found.first().copied();
                    }
                }
            }
            None => {
                // No Message-ID to search for: the UIDPLUS answer is the read-back.
                if let Some(u) = new_uid
                    && (!select(conn, &target_name)? || fetch(conn, u)?.is_none())
                {
                    return Err(ActError::NotStored(format!(
                        "the message is not in {:?} after the move",
                        crate::sanitize::single_line(&target_name)
                    )));
                }
            }
        }
        // The flag, read back where the message is now.
        if let (Some(on), Some(u)) = (flag, new_uid)
            && select(conn, &target_name)?
            && let Some(s) = fetch(conn, u)?
            && s.flagged != on
        {
            return Err(ActError::NotStored(if selected.rights.has('w') {
                "\\Flagged did not change".into()
            } else {
                "read-only for this agent".into()
            }));
        }
        return Ok(Applied {
            uid,
            action: action.name(),
            before,
            after: state_of(&target),
            rounds: round,
            mapping: MappingKind::Folders,
            moved_to: (target_name != from).then(|| {
                Box::new(MovedTo {
                    mailbox: target_name,
                    uid: new_uid,
                })
            }),
        });
    }
    Err(ActError::Busy)
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
        let m = |s, d| Mapping::choose(s, d, "shared/support/INBOX", Some('/')).name();
        assert_eq!(m(Auto, Detected::Keywords), "keywords");
        assert_eq!(m(Auto, Detected::Folders), "folders");
        assert_eq!(m(Auto, Detected::ReadOnly), "keywords");
        assert_eq!(m(Folders, Detected::Keywords), "folders");
        assert_eq!(m(Keywords, Detected::Folders), "keywords");
    }

    #[test]
    fn folders_are_siblings_of_the_mailbox() {
        let tf = TeamFolders::new("shared/support/INBOX", Some('/'));
        assert_eq!(tf.root, "shared/support/");
        assert_eq!(
            tf.assigned("alice").unwrap(),
            "shared/support/Assigned/alice"
        );
        assert_eq!(tf.pending(), "shared/support/Pending");
        assert_eq!(tf.done(), "shared/support/Done");
        assert_eq!(
            tf.describe(),
            "shared/support/{Assigned/<agent>,Pending,Done}"
        );
        assert_eq!(
            tf.place("shared/support/Assigned/bob"),
            Some(Place::Assigned("bob".into()))
        );
        assert_eq!(tf.place("shared/support/INBOX"), Some(Place::Mailbox));
        assert_eq!(tf.place("shared/support/Sent"), None);
        assert_eq!(tf.place("shared/support/Assigned/Bad Agent"), None);
        assert_eq!(
            tf.resolve("Pending").as_deref(),
            Some("shared/support/Pending")
        );
        assert_eq!(
            tf.resolve("Assigned/alice").as_deref(),
            Some("shared/support/Assigned/alice")
        );
        assert_eq!(tf.resolve("Sent"), None);

        let top = TeamFolders::new("INBOX", Some('.'));
        assert_eq!(top.root, "");
        assert_eq!(top.assigned("alice").unwrap(), "Assigned.alice");
        assert_eq!(top.done(), "Done");
        let flat = TeamFolders::new("INBOX", None);
        assert_eq!(flat.assigned("bob").unwrap(), "Assigned/bob");
    }

    #[test]
    fn hostile_names_never_reach_the_wire() {
        let tf = TeamFolders::new("shared/support/INBOX", Some('/'));
        for bad in ["a b", "x\r\nA1 LOGOUT", "", "Ünïcode", "../x"] {
            assert!(tf.assigned(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            search_string("<a\"b\\c@x>").as_deref(),
            Some("\"<a\\\"b\\\\c@x>\"")
        );
        assert_eq!(search_string("<a\r\nA1 LOGOUT@x>"), None);
        assert_eq!(search_string("<é@x>"), None);
        assert_eq!(search_string(""), None);
        assert_eq!(copyuid("a1 OK [COPYUID 17 5 42] Moved"), Some(42));
        assert_eq!(copyuid("* OK [COPYUID 17 5 42] Moved"), Some(42));
        assert_eq!(copyuid("a1 OK Done"), None);
    }
}
