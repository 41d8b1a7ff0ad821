//! The local copy of each account's team policy in force, so that the rules hold offline and
//! at start-up before the server answers.
//!
//! One file per account under `<data dir>/mailroom/policy/`, named by a hash of the account
//! name and its mailbox (never a server-supplied name), holding `<uid>\n<folder as JSON>\n`
//! and then the raw policy message. Written atomically; a file that does not read back is
//! reported as corrupt and ignored (the local config rules until the server answers).

use std::path::{Path, PathBuf};

use super::{CacheError, create_private_dir, write_atomic};
use crate::policy::team::{self, InForce};

/// Where the policy copies live.
#[derive(Debug, Clone)]
pub struct PolicyCache {
    dir: PathBuf,
}

impl PolicyCache {
    pub fn new(dir: PathBuf) -> PolicyCache {
        PolicyCache { dir }
    }

    /// `<data dir>/mailroom/policy`, or None without a home directory.
    pub fn default_dir() -> Option<PathBuf> {
        directories::BaseDirs::new().map(|d| d.data_dir().join("mailroom").join("policy"))
    }

    fn path(&self, account: &str, mailbox: &str) -> PathBuf {
        self.dir.join(crate::hash::hashed_name(
            "mailroom.policy",
            &[account.as_bytes(), mailbox.as_bytes()],
        ))
    }

    /// Keeps the policy message `raw` (UID `uid` of `folder`) as the one in force.
    pub fn save(
        &self,
        account: &str,
        mailbox: &str,
        folder: &str,
        uid: u32,
        raw: &[u8],
    ) -> Result<(), CacheError> {
        create_private_dir(&self.dir)?;
        let path = self.path(account, mailbox);
        let head = format!(
            "{uid}\n{}\n",
            serde_json::to_string(folder).unwrap_or_else(|_| "\"\"".into())
        );
        write_atomic(&self.dir, &path, true, |f| {
            use std::io::Write;
            f.write_all(head.as_bytes())?;
            f.write_all(raw)
        })
    }

    /// Forgets the account's policy (the folder holds no valid policy any more).
    pub fn remove(&self, account: &str, mailbox: &str) -> Result<(), CacheError> {
        let path = self.path(account, mailbox);
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(CacheError::Io { path, source: e })
            }
            _ => Ok(()),
        }
    }

    /// The policy kept for the account, `Ok(None)` when there is none.
    pub fn load(&self, account: &str, mailbox: &str) -> Result<Option<InForce>, CacheError> {
        let path = self.path(account, mailbox);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(CacheError::Io { path, source }),
        };
        decode(&path, &bytes).map(Some)
    }
}

fn decode(path: &Path, bytes: &[u8]) -> Result<InForce, CacheError> {
    let corrupt = |reason: &str| CacheError::Corrupt {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    };
    let mut lines = bytes.splitn(3, |&b| b == b'\n');
    let (Some(uid), Some(folder), Some(raw)) = (lines.next(), lines.next(), lines.next()) else {
        return Err(corrupt("truncated"));
    };
    let uid: u32 = std::str::from_utf8(uid)
        .ok()
        .and_then(|u| u.parse().ok())
        .ok_or_else(|| corrupt("no UID"))?;
    let folder: String = serde_json::from_slice(folder).map_err(|_| corrupt("no folder"))?;
    let entry = team::entry(uid, crate::mail::policy::parse(raw));
    if let Err(e) = &entry.outcome {
        return Err(corrupt(&format!("the kept policy does not validate: {e}")));
    }
    team::in_force(std::slice::from_ref(&entry), &folder).ok_or_else(|| corrupt("no policy"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_policy_survives_the_round_trip_and_corruption_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let cache = PolicyCache::new(dir.path().join("policy"));
        assert!(cache.load("support", "INBOX").unwrap().is_none());
        let raw = crate::mail::policy::build(
            "alice",
            "alice@example.test",
            "support@example.test",
            4,
            "version = 4\n[send]\nas = [\"alice\"]\n",
            &[],
            std::time::SystemTime::now(),
        )
        .unwrap();
        cache
            .save("support", "INBOX", "shared/support/Policy", 7, &raw)
            .unwrap();
        let got = cache.load("support", "INBOX").unwrap().unwrap();
        assert_eq!(got.policy.version, 4);
        assert_eq!(got.source.uid, 7);
        assert_eq!(got.source.folder, "shared/support/Policy");
        assert_eq!(got.source.published_by, "alice");
        assert!(cache.load("sales", "INBOX").unwrap().is_none());
        let file = std::fs::read_dir(dir.path().join("policy"))
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        std::fs::write(
            &file,
            b"7\n\"x\"\nX-Mailroom-Policy: 1\r\n\r\nversion = oops\r\n",
        )
        .unwrap();
        assert!(matches!(
            cache.load("support", "INBOX"),
            Err(CacheError::Corrupt { .. })
        ));
        cache.remove("support", "INBOX").unwrap();
        assert!(cache.load("support", "INBOX").unwrap().is_none());
    }
}
