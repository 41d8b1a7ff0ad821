//! `mailroom policy ACCOUNT history`: every policy message of the folder, newest first.

use std::io::Write;

use serde::Serialize;

use super::{PolicyCliError, connect, folder_error, when};
use crate::config::Account;
use crate::imap::policy::{Depth, read};
use crate::policy::team::Entry;
use crate::sanitize::single_line;

#[derive(Debug, Serialize)]
pub struct Row {
    pub uid: u32,
    /// The document's version (null when it fails validation).
    pub version: Option<u64>,
    pub published_by: String,
    /// RFC 3339 UTC (empty when the message has no date).
    pub published_at: String,
    pub valid: bool,
    /// Why it is skipped (line:column for the document's errors).
    pub error: Option<String>,
    /// The policy in force (the newest valid one).
    pub in_force: bool,
}

/// The rows of `entries` (newest first).
pub fn rows(entries: &[Entry]) -> Vec<Row> {
    let in_force = entries
        .iter()
        .filter(|e| e.outcome.is_ok())
        .map(|e| e.uid)
        .max();
    entries
        .iter()
        .map(|e| Row {
            uid: e.uid,
            version: e.outcome.as_ref().ok().map(|p| p.version),
            published_by: single_line(&e.published_by),
            published_at: when(e.published_at),
            valid: e.outcome.is_ok(),
            error: e.outcome.as_ref().err().map(ToString::to_string),
            in_force: Some(e.uid) == in_force,
        })
        .collect()
}

pub fn run(account: &Account, json: bool, out: &mut dyn Write) -> Result<bool, PolicyCliError> {
    let (entries, folder) = match super::maildir_of(account)? {
        Some(mut b) => {
            let folder = crate::backend::policy::folder(account);
            let entries = crate::backend::policy::read(&mut b, &folder, true)
                .map_err(|e| super::maildir_error(account, e))?;
            (entries, folder)
        }
        None => {
            let (mut conn, folder) = connect(account)?;
            let read =
                read(&mut conn, &folder, Depth::History).map_err(|e| folder_error(account, e))?;
            let _ = conn.session.logout();
            (read.entries, folder)
        }
    };
    let rows = rows(&entries);
    if json {
        super::super::print_json(out, &rows)?;
        return Ok(true);
    }
    writeln!(out, "folder {}", single_line(&folder))?;
    if rows.is_empty() {
        writeln!(out, "no policy message (the local config rules)")?;
    }
    for r in &rows {
        let state = match (&r.error, r.in_force) {
            (_, true) => "in force".to_string(),
            (None, false) => "valid (superseded)".to_string(),
            (Some(e), _) => format!("INVALID: {}", e.lines().next().unwrap_or_default()),
        };
        let extra = r
            .error
            .as_deref()
            .map(|e| e.lines().skip(1).collect::<Vec<_>>())
            .unwrap_or_default();
        writeln!(
            out,
            "UID {:<5} {:<10} {:<12} {:<20}  {}",
            r.uid,
            r.version
                .map(|v| format!("version {v}"))
                .unwrap_or_else(|| "-".into()),
            if r.published_by.is_empty() {
                "(unknown)"
            } else {
                &r.published_by
            },
            if r.published_at.is_empty() {
                "-"
            } else {
                &r.published_at
            },
            single_line(&state)
        )?;
        for l in extra {
            writeln!(out, "{:>58}{}", "", single_line(l))?;
        }
    }
    Ok(true)
}
