//! The team policy folder on a local Maildir (mbsync users, the demo): the same policy
//! messages (`mail::policy`) as `imap::policy` reads, through the [`Backend`] trait, newest
//! (highest UID, i.e. arrival order) first, each validated (`policy::team::entry`).

use super::{Backend, BackendError};
use crate::config::Account;
use crate::mail::policy::{self as message, DEFAULT_FOLDER, HEADER, MAX_MESSAGE_BYTES};
use crate::policy::team::{self, Entry};

/// The most policy messages read back, as `imap::policy::MAX_HISTORY`.
pub const MAX_HISTORY: usize = 50;

/// The policy folder of a Maildir account: `policy_folder`, else `Policy`.
pub fn folder(account: &Account) -> String {
    account
        .policy_folder
        .clone()
        .unwrap_or_else(|| DEFAULT_FOLDER.to_string())
}

/// A cheap mark of the folder's state — (UIDVALIDITY, UIDNEXT, messages), all zero for a
/// missing folder — to tell whether it changed since the last read.
pub fn mark(backend: &mut dyn Backend, folder: &str) -> Result<(u32, u32, u32), BackendError> {
    match backend.status(folder) {
        Ok(s) => Ok((s.uid_validity, s.uid_next, s.exists)),
        Err(BackendError::NoMailbox { .. }) => Ok((0, 0, 0)),
        Err(e) => Err(e),
    }
}

/// The policy messages of `folder`, newest first, each with its validation outcome; with
/// `history` false, up to and including the first valid one (the policy in force and the newer
/// ones skipped). A missing folder has none; a message larger than `MAX_MESSAGE_BYTES` is
/// left out, as on IMAP.
pub fn read(
    backend: &mut dyn Backend,
    folder: &str,
    history: bool,
) -> Result<Vec<Entry>, BackendError> {
    if mark(backend, folder)? == (0, 0, 0) {
        return Ok(Vec::new());
    }
    let mut found: Vec<(u32, u64)> = Vec::new();
    backend.summaries(folder, 1, &mut |rows| {
        found.extend(rows.iter().map(|r| (r.uid, r.size)));
    })?;
    found.sort_unstable_by_key(|&(uid, _)| std::cmp::Reverse(uid));
    let mut entries = Vec::new();
    for (uid, size) in found {
        if entries.len() >= MAX_HISTORY {
            break;
        }
        if size > MAX_MESSAGE_BYTES {
            continue;
        }
        let head = backend.fetch_header(folder, uid)?;
        if !has_header(&head) {
            continue;
        }
        let raw = backend.fetch(folder, uid)?;
        if raw.len() as u64 > MAX_MESSAGE_BYTES {
            continue;
        }
        let entry = team::entry(uid, message::parse(&raw));
        let valid = entry.outcome.is_ok();
        entries.push(entry);
        if valid && !history {
            break;
        }
    }
    Ok(entries)
}

/// Whether a header section carries `X-Mailroom-Policy` (what `imap::policy` searches by).
fn has_header(head: &[u8]) -> bool {
    let name = HEADER.as_bytes();
    head.split(|&b| b == b'\n').any(|line| {
        line.len() > name.len()
            && line[..name.len()].eq_ignore_ascii_case(name)
            && line[name.len()] == b':'
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::maildir::MaildirBackend;
    use crate::message::Flags;
    use std::time::{Duration, UNIX_EPOCH};

    fn publish(b: &mut MaildirBackend, version: u64, document: &str) {
        let raw = message::build(
            "alice",
            "alice@example.test",
            "support@example.test",
            version,
            document,
            &[],
            UNIX_EPOCH + Duration::from_secs(1_790_000_000 + version),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        b.create_mailbox("Policy").unwrap_or_else(|e| panic!("{e}"));
        b.append("Policy", &raw, Flags::default(), &[], None)
            .unwrap_or_else(|e| panic!("{e}"));
    }

    /// The newest valid policy message is in force; a newer broken one is skipped (and
    /// reported), an older valid one superseded; a message without the header is no policy.
    #[test]
    fn the_newest_valid_policy_message_of_a_maildir_wins() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let mut b = MaildirBackend::create("local", &tmp.path().join("mail"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            read(&mut b, "Policy", true)
                .unwrap_or_else(|e| panic!("{e}"))
                .is_empty()
        );
        publish(&mut b, 1, "version = 1\n");
        publish(&mut b, 2, "version = 2\n");
        b.append(
            "Policy",
            b"From: <x@example.test>\r\nSubject: hello\r\n\r\nnot a policy\r\n",
            Flags::default(),
            &[],
            None,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        publish(&mut b, 3, "version = 3\n[send\n");
        let entries = read(&mut b, "Policy", false).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(entries.len(), 2, "the broken one, then the one in force");
        let in_force = team::in_force(&entries, "Policy").unwrap_or_else(|| panic!("none"));
        assert_eq!(in_force.policy.version, 2);
        let skipped = team::skipped(&entries);
        assert_eq!(skipped.len(), 1);
        assert_eq!(skipped[0].published_by, "alice");
        let all = read(&mut b, "Policy", true).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(all.len(), 3);
        assert!(all.windows(2).all(|w| w[0].uid > w[1].uid), "newest first");
    }
}
