//! `mailroom note ACCOUNT UID TEXT...` and `mailroom notes ACCOUNT UID`: internal notes,
//! appended to the account's notes folder (never transmitted) and listed back.

use std::io::{Read, Write};
use std::time::SystemTime;

use serde::Serialize;

use super::list::{ListError, find_account};
use crate::config::Config;
use crate::engine::notes::{self, Added, NoteJobError};
use crate::mail::date;
use crate::mail::note::{MAX_TEXT_BYTES, Note};
use crate::sanitize;

#[derive(Debug, thiserror::Error)]
pub enum NoteCliError {
    #[error(transparent)]
    List(#[from] ListError),
    #[error(transparent)]
    Note(#[from] NoteJobError),
    #[error("cannot read the note from standard input: {0}")]
    Stdin(std::io::Error),
    #[error("cannot write the output: {0}")]
    Output(#[from] std::io::Error),
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

/// Adds a note by the configured agent to message `uid` of `account`.
pub fn add(
    config: &Config,
    account: &str,
    uid: u32,
    text: &str,
    now: SystemTime,
) -> Result<Added, NoteCliError> {
    Ok(notes::add_by(
        &config.agent,
        find_account(config, account)?,
        uid,
        text,
        now,
    )?)
}

/// The notes of message `uid` of `account`: the folder, the message's Message-ID and the notes.
pub fn list(
    config: &Config,
    account: &str,
    uid: u32,
) -> Result<(String, String, Vec<Note>), NoteCliError> {
    Ok(notes::list_by(find_account(config, account)?, uid)?)
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
