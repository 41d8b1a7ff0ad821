//! Saving an open message's attachments (a job of the engine, off the caller's thread): from
//! the bytes read, or — for parts that were not downloaded (above `max_part_bytes`) — streamed
//! from the server on a session of their own (`imap::parts::save_attachment`).

use std::path::{Path, PathBuf};

use crate::config::Account;
use crate::mail::attachments;

/// [`save_attachments`], streaming placeholders from `source` (the account and UID of
/// the open message). Per number, the path written or why not.
pub fn save_attachments_from(
    raw: &[u8],
    indices: &[usize],
    dir: &Path,
    source: Option<(Account, u32)>,
) -> Vec<(usize, Result<PathBuf, String>)> {
    let unfetched: Vec<usize> = indices
        .iter()
        .copied()
        .filter(|&i| {
            std::panic::catch_unwind(|| attachments::get(raw, i))
                .ok()
                .and_then(Result::ok)
                .is_some_and(|a| a.unfetched.is_some())
        })
        .collect();
    let local: Vec<usize> = indices
        .iter()
        .copied()
        .filter(|i| !unfetched.contains(i))
        .collect();
    let mut results = save_attachments(raw, &local, dir);
    let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    for i in unfetched {
        let r = match (&source, attachments::get(raw, i)) {
            (Some((account, uid)), Ok(info)) => match &account.imap {
                Some(imap) => {
                    crate::imap::parts::save_attachment(&account.name, imap, *uid, &info, &dir)
                        .map(|(path, _)| path)
                        .map_err(|e| e.to_string())
                }
                None => Err("the attachment was not downloaded".to_string()),
            },
            (None, _) => Err("the attachment was not downloaded".to_string()),
            (_, Err(e)) => Err(e.to_string()),
        };
        results.push((i, r));
    }
    // In the order asked.
    results.sort_by_key(|(i, _)| indices.iter().position(|x| x == i));
    results
}

/// Saves attachments of one message into `dir` (on the calling thread): per number, the path
/// written or why not.
pub fn save_attachments(
    raw: &[u8],
    indices: &[usize],
    dir: &Path,
) -> Vec<(usize, Result<PathBuf, String>)> {
    // A relative folder is taken from where mailroom was started; the status line shows the
    // full path, so the user knows where to look.
    let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    if !dir.is_dir() {
        let why = format!("{}: no such folder", dir.display());
        return indices.iter().map(|&i| (i, Err(why.clone()))).collect();
    }
    indices
        .iter()
        .map(|&i| {
            let r = std::panic::catch_unwind(|| crate::mail::attachments::save(raw, i, &dir))
                .map_err(|_| "the attachment could not be decoded".to_string())
                .and_then(|r| r.map_err(|e| e.to_string()));
            (i, r)
        })
        .collect()
}
