//! `mailroom note ACCOUNT UID TEXT...` and `mailroom notes ACCOUNT UID`: internal notes,
//! appended to the account's notes folder (never transmitted) and listed back.

use std::io::{Read, Write};
use std::time::SystemTime;

use serde::Serialize;

use super::list::{ListError, find_account};
use crate::backend::maildir::MaildirBackend;
use crate::backend::{Backend, BackendError};
use crate::config::{Account, Agent, Config};
use crate::imap::connect::{ImapConn, Target, open_session};
use crate::imap::notes::{self, NotesError};
use crate::mail::note::{self, MAX_TEXT_BYTES, Note, NoteError};
use crate::mail::{date, parse, sanitize};
use crate::message::Summary;
use crate::net::Server;

#[derive(Debug, thiserror::Error)]
pub enum NoteCliError {
    #[error(transparent)]
    List(#[from] ListError),
    #[error("account \"{account}\": IMAP {server}: {source}")]
    Imap {
        account: String,
        server: Server,
        #[source]
        source: NotesError,
    },
    #[error("account \"{account}\": {source}")]
    Local {
        account: String,
        #[source]
        source: LocalError,
    },
    #[error("cannot read the note from standard input: {0}")]
    Stdin(std::io::Error),
    #[error("cannot write the output: {0}")]
    Output(#[from] std::io::Error),
}

/// A failure on a Maildir account.
#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    #[error(transparent)]
    Note(#[from] NoteError),
    #[error(transparent)]
    Backend(#[from] BackendError),
}

/// What `mailroom note` did.
#[derive(Debug, Serialize)]
pub struct Added {
    pub account: String,
    /// The notes folder the note went to.
    pub folder: String,
    /// The note's UID there, when the server says (UIDPLUS).
    pub uid: Option<u32>,
    /// The message the note is on.
    pub on_uid: u32,
    pub message_id: String,
    pub in_reply_to: String,
    pub subject: String,
}

/// One note of `mailroom notes --json`.
#[derive(Debug, Serialize)]
struct NoteRow<'a> {
    #[serde(flatten)]
    note: &'a Note,
    /// INTERNALDATE, RFC 3339 UTC.
    received: String,
    /// Written on this message (In-Reply-To), not on a later message of its thread.
    on_this_message: bool,
}

/// The note's text: the words joined with spaces, or standard input for a lone `-`.
pub fn read_text(words: &[String], stdin: &mut dyn Read) -> Result<String, NoteCliError> {
    if let [only] = words
        && only == "-"
    {
        let mut buf = Vec::new();
        stdin
            .take(MAX_TEXT_BYTES as u64 + 1)
            .read_to_end(&mut buf)
            .map_err(NoteCliError::Stdin)?;
        return Ok(String::from_utf8_lossy(&buf).into_owned());
    }
    Ok(words.join(" "))
}

/// Opens the account, reads message `uid` and finds the notes folder, then runs `on_imap` (on
/// a fresh IMAP session, logged out afterwards) or `on_maildir` with the message's summary and
/// the folder.
fn on_message<T>(
    account: &Account,
    uid: u32,
    on_imap: impl FnOnce(&mut ImapConn, Summary, String) -> Result<T, NotesError>,
    on_maildir: impl FnOnce(&mut MaildirBackend, Summary, String) -> Result<T, LocalError>,
) -> Result<T, NoteCliError> {
    if let Some(imap) = &account.imap {
        let mut conn = open_session(&Target {
            account: &account.name,
            config: imap,
        })
        .map_err(ListError::from)?;
        let r = notes::original(&mut conn, &imap.mailbox, uid).and_then(|original| {
            let folder = notes::notes_folder(&mut conn, account)?;
            on_imap(&mut conn, original, folder)
        });
        let _ = conn.session.logout();
        return r.map_err(|source| NoteCliError::Imap {
            account: account.name.clone(),
            server: Server {
                host: imap.host.clone(),
                port: imap.port(),
            },
            source,
        });
    }
    let Some(m) = &account.maildir else {
        return Err(
            ListError::NoAccount(account.name.clone(), "(no mailbox configured)".into()).into(),
        );
    };
    let run = || {
        let mut b = MaildirBackend::open(&account.name, &m.path)?;
        let raw = b.fetch(&m.mailbox, uid)?;
        let original = parse::summary_from_raw(uid, &raw, 0, Default::default(), Vec::new());
        on_maildir(&mut b, original, note::folder_for(account, None))
    };
    run().map_err(|source| NoteCliError::Local {
        account: account.name.clone(),
        source,
    })
}

/// Adds a note by the configured agent to message `uid` of `account`.
pub fn add(
    config: &Config,
    account: &str,
    uid: u32,
    text: &str,
    now: SystemTime,
) -> Result<Added, NoteCliError> {
    add_by(
        &config.agent,
        find_account(config, account)?,
        uid,
        text,
        now,
    )
}

/// Adds a note by `agent` to message `uid` of `account` (on a session or Maildir of its own;
/// the TUI's local worker uses it too).
pub fn add_by(
    agent: &Agent,
    account: &Account,
    uid: u32,
    text: &str,
    now: SystemTime,
) -> Result<Added, NoteCliError> {
    let added = |folder: String, note_uid: Option<u32>, built: note::NewNote| Added {
        account: account.name.clone(),
        folder,
        uid: note_uid,
        on_uid: uid,
        message_id: built.message_id,
        in_reply_to: built.in_reply_to,
        subject: built.subject,
    };
    let build = |original: &Summary| note::build(agent, account, original, text, now);
    on_message(
        account,
        uid,
        |conn, original, folder| {
            let built = build(&original)?;
            let note_uid = notes::append_note(conn, &folder, &built.raw)?;
            Ok(added(folder, note_uid, built))
        },
        |b, original, folder| {
            let built = build(&original)?;
            let note_uid = crate::backend::notes::append_note(b, &folder, &built.raw)?;
            Ok(added(folder, note_uid, built))
        },
    )
}

/// The notes of message `uid` of `account`: the folder, the message's Message-ID and the notes.
pub fn list(
    config: &Config,
    account: &str,
    uid: u32,
) -> Result<(String, String, Vec<Note>), NoteCliError> {
    let account = find_account(config, account)?;
    let id_of = |s: &Summary| s.message_id.clone().ok_or(NoteError::NoMessageId);
    on_message(
        account,
        uid,
        |conn, original, folder| {
            let id = id_of(&original)?;
            let found = notes::notes_for(conn, &folder, &id)?;
            Ok((folder, id, found))
        },
        |b, original, folder| {
            let id = id_of(&original)?;
            let found = crate::backend::notes::notes_for(b, &folder, &id)?;
            Ok((folder, id, found))
        },
    )
}

/// `mailroom note`.
pub fn run_add(
    config: &Config,
    account: &str,
    uid: u32,
    words: &[String],
    json: bool,
) -> Result<(), NoteCliError> {
    let text = read_text(words, &mut std::io::stdin().lock())?;
    let added = add(config, account, uid, &text, SystemTime::now())?;
    let mut out = std::io::stdout().lock();
    if json {
        super::print_json(&mut out, &added)?;
    } else {
        let uid_text = added
            .uid
            .map(|u| format!(" as UID {u}"))
            .unwrap_or_default();
        writeln!(
            out,
            "note on UID {} <{}> added to \"{}\"{uid_text} (internal: never sent)",
            added.on_uid,
            sanitize::single_line(&added.in_reply_to),
            sanitize::single_line(&added.folder),
        )?;
    }
    Ok(())
}

/// `mailroom notes`.
pub fn run_list(config: &Config, account: &str, uid: u32, json: bool) -> Result<(), NoteCliError> {
    let (folder, id, found) = list(config, account, uid)?;
    let mut out = std::io::stdout().lock();
    if json {
        let rows: Vec<NoteRow<'_>> = found
            .iter()
            .map(|n| NoteRow {
                note: n,
                received: date::rfc3339_utc(n.date),
                on_this_message: n.is_on(&id),
            })
            .collect();
        let v = serde_json::json!({
            "account": account,
            "uid": uid,
            "message_id": id,
            "folder": folder,
            "notes": rows,
        });
        super::print_json(&mut out, &v)?;
        return Ok(());
    }
    if found.is_empty() {
        writeln!(
            out,
            "no notes on UID {uid} (looked in \"{}\")",
            sanitize::single_line(&folder)
        )?;
        return Ok(());
    }
    for n in &found {
        let mut head = format!("{} UTC  {}", date::short_utc(n.date), n.author());
        if !n.is_on(&id) {
            head.push_str("  (on a later message of the thread)");
        }
        if n.truncated {
            head.push_str("  (cut: too long to show whole)");
        }
        writeln!(out, "{}", sanitize::single_line(&head))?;
        for line in sanitize::multi_line(n.text.trim_end()).lines() {
            writeln!(out, "    {line}")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_comes_from_words_or_stdin() {
        let w = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let mut empty: &[u8] = b"";
        assert_eq!(
            read_text(&w(&["called", "back"]), &mut empty).unwrap(),
            "called back"
        );
        let mut input: &[u8] = b"from\nstdin\n";
        assert_eq!(read_text(&w(&["-"]), &mut input).unwrap(), "from\nstdin\n");
        let big = vec![b'x'; MAX_TEXT_BYTES * 2];
        let mut input: &[u8] = &big;
        // Read bounded: one byte over the limit, so building reports "too long".
        assert_eq!(
            read_text(&w(&["-"]), &mut input).unwrap().len(),
            MAX_TEXT_BYTES + 1
        );
    }
}
