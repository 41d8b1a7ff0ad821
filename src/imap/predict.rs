//! What `mailroom check` predicts about triage before the first claim (issue 16): the team
//! folders of the folder mapping (there? creatable by this agent?), the keyword limits of the
//! keyword mapping (can this agent store its longest keyword? do the keywords it needs fit the
//! server's table?), whether `\Seen` is shared by the team or kept per agent, and the Sent
//! folder the server has. Runs in the probe's session, after SELECT; changes no message.
//!
//! The keyword probe is `UID STORE 4294967295 -FLAGS.SILENT (<keyword>)`: a UID no message
//! has, so no message changes, yet Dovecot checks the keyword's length
//! (`mail_max_keyword_length`: `NO [CANNOT] Keyword length too long`) and Cyrus its table of
//! user flags (`NO Too many user flags in mailbox`) as for a real message. Both servers then add
//! a keyword they accept to the mailbox's keyword list (the `FLAGS` answer), as the agent's first
//! claim would; it is tried only when the keyword is not listed yet and would fit.

use serde::Serialize;

use super::connect::{ReadBudget, Session, describe};
use super::quote_mailbox;
use crate::config::TeamStateSetting;
use crate::mail::utf7;
use crate::policy::rights::Rights;
use crate::triage::folders::{self, TeamFolders, TeamStateAt};

/// Cyrus IMAP's table of user flags per mailbox (`MAX_USER_FLAGS`); a keyword once used keeps
/// its slot.
pub const CYRUS_USER_FLAGS: usize = 100;

/// A UID no message has (the largest one IMAP allows).
const NO_SUCH_UID: u32 = u32::MAX;

/// The Cyrus annotation that makes `\Seen` shared on a mailbox.
pub const SHAREDSEEN: &str = "/shared/vendor/cmu/cyrus-imapd/sharedseen";

/// The server software, from the `ID` answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Server {
    Dovecot,
    Cyrus,
}

/// What the probe needs to know beyond the mailbox.
#[derive(Debug, Clone)]
pub struct Ask<'a> {
    /// This agent's id (checked by the config: `[a-z0-9._-]+`).
    pub agent: &'a str,
    pub team_state: TeamStateSetting,
    /// Look for the server's Sent folder (none configured, or the configured one is missing).
    pub find_sent: bool,
}

/// One team folder of the folder mapping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TeamFolder {
    pub name: String,
    pub exists: bool,
    /// The folder whose `k` right decides whether a missing folder can be created.
    pub parent: Option<String>,
    /// Whether this agent may create it: `null` when it exists or nobody can tell (no ACL).
    pub creatable: Option<bool>,
    /// The right that is missing to create it (`k`), when it is.
    pub missing_right: Option<char>,
    /// Why `creatable` is what it is, for the text output.
    #[serde(skip)]
    pub why: String,
}

/// Can this agent store its longest keyword?
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeywordProbe {
    pub keyword: String,
    pub length: usize,
    /// `null` when not tried (it would not fit the server's table).
    pub stored: Option<bool>,
    /// "listed" (already in the mailbox's keywords), "store" (the probe STORE), "not-tried".
    pub how: &'static str,
    /// The server's refusal, when it refused.
    pub answer: Option<String>,
}

/// The mailbox's user flags (keywords) against the server's limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserFlags {
    /// Keywords in the mailbox's `FLAGS` list.
    pub used: usize,
    /// The server's limit where known (Cyrus: 100).
    pub limit: Option<usize>,
    /// Keywords this agent needs that the mailbox does not list yet.
    pub missing: Vec<String>,
    /// Whether those fit under the limit (`null`: no known limit).
    pub fits: Option<bool>,
}

/// Whether `\Seen` is one for the team or one per agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReadState {
    /// "shared", "per-agent" or "unknown".
    pub state: &'static str,
    /// How it was decided.
    pub reason: String,
}

#[derive(Debug, Clone, Default)]
pub struct Findings {
    pub server: Option<Server>,
    pub team_folders: Vec<TeamFolder>,
    pub keyword_probe: Option<KeywordProbe>,
    pub user_flags: Option<UserFlags>,
    pub read_state: Option<ReadState>,
    /// The Sent folder the server has in the account's tree.
    pub sent_found: Option<String>,
}

/// What the probe saw before: capabilities, SELECT, rights.
pub struct Seen<'a> {
    pub has: &'a dyn Fn(&str) -> bool,
    pub mailbox: &'a str,
    pub delimiter: Option<char>,
    pub read_only: bool,
    pub permanent_flags: &'a [String],
    pub myrights: Option<Rights>,
    /// The SELECT's `FLAGS` list.
    pub flags: &'a [String],
}

/// The keywords this agent needs in the keyword mapping, its own (longest) first.
pub fn needed_keywords(agent: &str) -> Vec<String> {
    vec![
        format!("$assigned.{agent}"),
        format!("$replying.{agent}"),
        "$pending".into(),
        "$done".into(),
        "$snoozed".into(),
    ]
}

/// The user flags (keywords) of a `FLAGS` list: everything but the system flags.
pub fn user_flags(flags: &[String]) -> Vec<&str> {
    flags
        .iter()
        .map(String::as_str)
        .filter(|f| !f.starts_with('\\'))
        .collect()
}

/// The needed keywords against the mailbox's list and the limit.
pub fn count_flags(flags: &[String], needed: &[String], limit: Option<usize>) -> UserFlags {
    let listed = user_flags(flags);
    let missing: Vec<String> = needed
        .iter()
        .filter(|k| !listed.iter().any(|l| l.eq_ignore_ascii_case(k)))
        .cloned()
        .collect();
    UserFlags {
        used: listed.len(),
        limit,
        fits: limit.map(|l| listed.len() + missing.len() <= l),
        missing,
    }
}

/// The server software named in an `ID` answer.
pub fn server_of(id_answer: &str) -> Option<Server> {
    let line = id_answer
        .lines()
        .find(|l| l.to_ascii_uppercase().starts_with("* ID "))?
        .to_ascii_lowercase();
    if line.contains("cyrus") {
        Some(Server::Cyrus)
    } else if line.contains("dovecot") {
        Some(Server::Dovecot)
    } else {
        None
    }
}

/// The value of `* METADATA <mailbox> (<entry> <value>)`: `Some(true)` for "true".
pub fn sharedseen_value(answer: &str) -> Option<bool> {
    let line = answer
        .lines()
        .find(|l| l.to_ascii_uppercase().starts_with("* METADATA "))?;
    let rest = &line[line.find(SHAREDSEEN)? + SHAREDSEEN.len()..];
    let value = rest
        .trim_start_matches('"')
        .trim()
        .trim_end_matches(')')
        .trim()
        .trim_matches('"');
    Some(value.eq_ignore_ascii_case("true"))
}

/// A server's text without the timing Dovecot and Cyrus append (`… (0.001 + 0.000 secs).`,
/// `Completed (0.000 secs 8 calls)`).
pub fn without_timing(text: &str) -> String {
    let trimmed = text.trim_end().trim_end_matches('.');
    match trimmed.rfind(" (") {
        Some(i) if trimmed.ends_with(')') && trimmed[i..].contains(" secs") => {
            trimmed[..i].to_string()
        }
        _ => text.to_string(),
    }
}

/// The parent of a folder name (`a/b/c` → `a/b`), if it has one.
pub fn parent_of(name: &str, delimiter: char) -> Option<&str> {
    name.rfind(delimiter)
        .map(|i| &name[..i])
        .filter(|p| !p.is_empty())
}

/// Whether the mailbox is the login's own INBOX (a delegated or personal login: one read state
/// for everyone who opens it).
pub fn is_own_inbox(mailbox: &str, delimiter: Option<char>) -> bool {
    let upper = mailbox.to_ascii_uppercase();
    upper == "INBOX"
        || delimiter.is_some_and(|d| {
            upper
                .strip_prefix("INBOX")
                .is_some_and(|rest| rest.starts_with(d))
        })
}

/// Everything `check` predicts, in the probe's session with the mailbox selected.
pub fn predict(
    session: &mut Session,
    budget: &ReadBudget,
    seen: &Seen<'_>,
    ask: &Ask<'_>,
) -> Findings {
    let mut f = Findings {
        server: if (seen.has)("ID") {
            session
                .run_command_and_read_response("ID NIL")
                .ok()
                .and_then(|raw| server_of(&String::from_utf8_lossy(&raw)))
        } else {
            None
        },
        ..Findings::default()
    };
    let access = folders::decide(
        seen.read_only,
        seen.permanent_flags,
        seen.myrights,
        ask.team_state,
    );
    match access.team_state {
        TeamStateAt::Folders => {
            f.team_folders = team_folders(session, seen, ask.agent);
        }
        TeamStateAt::Keywords if access.detected == folders::Detected::Keywords => {
            let limit = (f.server == Some(Server::Cyrus)).then_some(CYRUS_USER_FLAGS);
            let needed = needed_keywords(ask.agent);
            let counted = count_flags(seen.flags, &needed, limit);
            f.keyword_probe = Some(keyword_probe(session, &counted, &needed[..2]));
            f.user_flags = Some(counted);
        }
        _ => {}
    }
    if ask.find_sent {
        f.sent_found = find_sent(session, seen.mailbox, seen.delimiter);
    }
    // Last: a METADATA answer the crate cannot read would leave the rest of the session astray.
    f.read_state = Some(read_state(session, budget, seen, f.server));
    f
}

/// The agent's own keywords (`$assigned.<me>`, `$replying.<me>`: the longest mailroom uses):
/// listed already, or tried with a STORE that matches no message.
fn keyword_probe(session: &mut Session, counted: &UserFlags, own: &[String]) -> KeywordProbe {
    let first = own.first().cloned().unwrap_or_default();
    let Some(keyword) = own.iter().find(|k| counted.missing.contains(k)).cloned() else {
        return KeywordProbe {
            length: first.len(),
            keyword: first,
            stored: Some(true),
            how: "listed",
            answer: None,
        };
    };
    let mut probe = KeywordProbe {
        length: keyword.len(),
        keyword,
        stored: None,
        how: "not-tried",
        answer: None,
    };
    if counted.fits == Some(false) {
        return probe;
    }
    probe.how = "store";
    let command = format!("UID STORE {NO_SUCH_UID} -FLAGS.SILENT ({})", probe.keyword);
    match session.run_command_and_read_response(command) {
        Ok(_) => probe.stored = Some(true),
        Err(e) => {
            probe.stored = Some(false);
            probe.answer = Some(without_timing(&crate::sanitize::single_line(&describe(&e))));
        }
    }
    probe
}

fn list_one(session: &mut Session, name: &str) -> Option<Vec<String>> {
    let quoted = quote_mailbox(&utf7::encode(name))?;
    let names = session.list(Some(""), Some(&quoted)).ok()?;
    names.iter().next().map(|n| {
        n.attributes()
            .iter()
            .map(|a| match a {
                imap_proto::NameAttribute::NoSelect => "\\Noselect".to_string(),
                imap_proto::NameAttribute::Extension(e) => e.to_string(),
                other => format!("{other:?}"),
            })
            .collect()
    })
}

fn exists(session: &mut Session, name: &str, selectable: bool) -> bool {
    list_one(session, name).is_some_and(|attrs| {
        !attrs.iter().any(|a| {
            a.eq_ignore_ascii_case("\\NonExistent")
                || (selectable && a.eq_ignore_ascii_case("\\Noselect"))
        })
    })
}

/// The team folders this agent needs: `Assigned`, `Assigned/<me>`, `Pending`, `Done`.
fn team_folders(session: &mut Session, seen: &Seen<'_>, agent: &str) -> Vec<TeamFolder> {
    let tf = TeamFolders::new(seen.mailbox, seen.delimiter);
    let d = tf.delimiter;
    let parent_name = tf.assigned_parent();
    let mut names = vec![(parent_name.clone(), false)];
    if let Ok(mine) = tf.assigned(agent) {
        names.push((mine, true));
    }
    names.push((tf.pending(), true));
    names.push((tf.done(), true));
    let mut out: Vec<TeamFolder> = Vec::new();
    for (name, selectable) in names {
        let there = exists(session, &name, selectable);
        let mut folder = TeamFolder {
            name: name.clone(),
            exists: there,
            parent: None,
            creatable: None,
            missing_right: None,
            why: String::new(),
        };
        if !there {
            // A missing `Assigned` is created along with `Assigned/<me>`: ask its parent.
            let mut parent = parent_of(&name, d).map(str::to_string);
            if parent.as_deref() == Some(parent_name.as_str())
                && out.first().is_some_and(|p| !p.exists)
            {
                parent = parent_of(&parent_name, d).map(str::to_string);
            }
            folder.parent = parent.clone();
            (folder.creatable, folder.why) = creatable(session, seen, parent.as_deref());
            if folder.creatable == Some(false) {
                folder.missing_right = Some('k');
            }
        }
        out.push(folder);
    }
    out
}

/// Whether this agent may create a folder under `parent`: `k` there (MYRIGHTS).
fn creatable(
    session: &mut Session,
    seen: &Seen<'_>,
    parent: Option<&str>,
) -> (Option<bool>, String) {
    if !(seen.has)("ACL") {
        return (None, "unknown, the server has no ACL".into());
    }
    let Some(parent) = parent else {
        return (
            None,
            "unknown: a top-level folder has no parent to ask".into(),
        );
    };
    let shown = crate::sanitize::single_line(parent);
    let Some(quoted) = quote_mailbox(&utf7::encode(parent)) else {
        return (None, format!("unknown: {shown:?} cannot be named in IMAP"));
    };
    match session.run_command_and_read_response(format!("MYRIGHTS {quoted}")) {
        Ok(raw) => match super::probe::parse_myrights(&raw) {
            Some(r) if Rights::parse(&r).has('k') => {
                (Some(true), format!("`k` right on {shown:?}"))
            }
            Some(r) => (
                Some(false),
                format!("no `k` right on {shown:?} (rights {r:?})"),
            ),
            None => (None, format!("unknown: no MYRIGHTS answer for {shown:?}")),
        },
        Err(e) => (
            None,
            format!(
                "unknown: MYRIGHTS on {shown:?} failed: {}",
                without_timing(&crate::sanitize::single_line(&describe(&e)))
            ),
        ),
    }
}

fn read_state(
    session: &mut Session,
    budget: &ReadBudget,
    seen: &Seen<'_>,
    server: Option<Server>,
) -> ReadState {
    if is_own_inbox(seen.mailbox, seen.delimiter) {
        return ReadState {
            state: "shared",
            reason: "the login's own INBOX (a delegated or shared-account login): one read state for everyone who opens it".into(),
        };
    }
    match server {
        Some(Server::Cyrus) => cyrus_read_state(sharedseen(session, budget, seen)),
        Some(Server::Dovecot) => ReadState {
            state: "shared",
            reason: "Dovecot, no private index seen: \\Seen is per agent only where the namespace has INDEXPVT, which IMAP does not show".into(),
        },
        None => ReadState {
            state: "unknown",
            reason: "the server does not say; mark a message read as one agent and look as another".into(),
        },
    }
}

/// The `sharedseen` annotation of the mailbox (`GETMETADATA`, where the server has METADATA).
/// The imap crate cannot parse Cyrus' `* METADATA` line (it wants the mailbox name quoted,
/// Cyrus sends an atom) and would end the command as if the server said BYE: the LIST filter
/// takes the line out of the stream and hands it over as a skipped line.
fn sharedseen(session: &mut Session, budget: &ReadBudget, seen: &Seen<'_>) -> Option<bool> {
    if !(seen.has)("METADATA") {
        return None;
    }
    let quoted = quote_mailbox(&utf7::encode(seen.mailbox))?;
    budget.skip_bad_list_lines(true);
    let answer =
        session.run_command_and_read_response(format!("GETMETADATA {quoted} {SHAREDSEEN}"));
    budget.skip_bad_list_lines(false);
    let skipped = budget.skipped_list_lines().join("\r\n");
    let raw = answer.ok()?;
    sharedseen_value(&String::from_utf8_lossy(&raw)).or_else(|| sharedseen_value(&skipped))
}

/// Cyrus: `\Seen` is per user on a mailbox without the `sharedseen` annotation.
pub fn cyrus_read_state(sharedseen: Option<bool>) -> ReadState {
    match sharedseen {
        Some(true) => ReadState {
            state: "shared",
            reason: "Cyrus, the mailbox has the sharedseen annotation".into(),
        },
        Some(false) => ReadState {
            state: "per-agent",
            reason: "Cyrus keeps \\Seen per user unless the mailbox has the sharedseen annotation, and this one has not".into(),
        },
        None => ReadState {
            state: "per-agent",
            reason: "Cyrus keeps \\Seen per user unless the mailbox has the sharedseen annotation, which could not be read".into(),
        },
    }
}

/// The names mailroom recognises as a Sent folder without `\Sent`.
const SENT_NAMES: [&str; 3] = ["Sent", "Sent Items", "Sent Messages"];

/// The server's Sent folder in the account's tree (the mailbox's siblings and children):
/// marked `\Sent` (SPECIAL-USE), else named like one.
fn find_sent(session: &mut Session, mailbox: &str, delimiter: Option<char>) -> Option<String> {
    let root = TeamFolders::new(mailbox, delimiter).root;
    let mut patterns = vec![format!("{root}%")];
    if let Some(d) = delimiter {
        patterns.push(format!("{mailbox}{d}%"));
    }
    let mut named: Option<String> = None;
    for pattern in patterns {
        let Some(quoted) = quote_mailbox(&utf7::encode(&pattern)) else {
            continue;
        };
        let Ok(names) = session.list(Some(""), Some(&quoted)) else {
            continue;
        };
        for n in names.iter() {
            let attrs = n.attributes();
            if attrs.iter().any(|a| {
                matches!(a, imap_proto::NameAttribute::NoSelect)
                    || matches!(a, imap_proto::NameAttribute::Extension(e) if e.eq_ignore_ascii_case("\\NonExistent"))
            }) {
                continue;
            }
            let name = utf7::decode(n.name());
            if attrs
                .iter()
                .any(|a| matches!(a, imap_proto::NameAttribute::Sent))
            {
                return Some(name);
            }
            let last = delimiter
                .and_then(|d| name.rsplit(d).next())
                .unwrap_or(&name);
            if named.is_none() && SENT_NAMES.iter().any(|s| s.eq_ignore_ascii_case(last)) {
                named = Some(name.clone());
            }
        }
    }
    named
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn user_flags_leave_out_system_flags_and_count_what_is_missing() {
        let flags = strings(&["\\Seen", "\\Flagged", "$done", "$Assigned.alice", "other"]);
        let needed = needed_keywords("alice");
        let c = count_flags(&flags, &needed, Some(5));
        assert_eq!(c.used, 3);
        assert_eq!(
            c.missing,
            strings(&["$replying.alice", "$pending", "$snoozed"])
        );
        assert_eq!(c.fits, Some(false));
        assert_eq!(count_flags(&flags, &needed, Some(6)).fits, Some(true));
        assert_eq!(count_flags(&flags, &needed, None).fits, None);
    }

    #[test]
    fn id_answers_name_the_server() {
        let cyrus = "* ID (\"name\" \"Cyrus IMAPD\" \"version\" \"3.6.1\")\r\na1 OK Completed\r\n";
        assert_eq!(server_of(cyrus), Some(Server::Cyrus));
        assert_eq!(
            server_of("* ID (\"name\" \"Dovecot\")\r\na OK\r\n"),
            Some(Server::Dovecot)
        );
        assert_eq!(server_of("* ID NIL\r\na OK\r\n"), None);
        assert_eq!(server_of("a OK cyrus\r\n"), None);
    }

    #[test]
    fn sharedseen_values() {
        let a = "* METADATA shared.support (\"/shared/vendor/cmu/cyrus-imapd/sharedseen\" \"true\")\r\n";
        assert_eq!(sharedseen_value(a), Some(true));
        let b = "* METADATA user.desk (/shared/vendor/cmu/cyrus-imapd/sharedseen \"false\")\r\n";
        assert_eq!(sharedseen_value(b), Some(false));
        assert_eq!(sharedseen_value("t1 NO [CANNOT] nope\r\n"), None);
    }

    #[test]
    fn server_timing_is_left_out() {
        assert_eq!(
            without_timing("[CANNOT] Keyword length too long (0.001 + 0.000 secs)."),
            "[CANNOT] Keyword length too long"
        );
        assert_eq!(
            without_timing("Too many user flags in mailbox"),
            "Too many user flags in mailbox"
        );
        assert_eq!(
            without_timing("Completed (0.000 secs 8 calls)"),
            "Completed"
        );
        assert_eq!(without_timing("odd (no timing)"), "odd (no timing)");
    }

    #[test]
    fn parents_and_own_inbox() {
        assert_eq!(
            parent_of("shared/support/Pending", '/'),
            Some("shared/support")
        );
        assert_eq!(parent_of("Pending", '/'), None);
        assert_eq!(parent_of("/x", '/'), None);
        assert!(is_own_inbox("INBOX", Some('/')));
        assert!(is_own_inbox("inbox", None));
        assert!(is_own_inbox("INBOX.team", Some('.')));
        assert!(!is_own_inbox("INBOXES", Some('.')));
        assert!(!is_own_inbox("shared/support/INBOX", Some('/')));
    }
}
