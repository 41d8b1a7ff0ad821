//! Files on disk the Dovecot way: atomic publishing, bounded reads, times, file names, and
//! the dotlocks that guard Dovecot's metadata.

use super::*;

pub(super) fn io_err(account: &str, path: &Path, source: io::Error) -> BackendError {
    BackendError::Io {
        account: account.to_string(),
        path: path.display().to_string(),
        source,
    }
}

/// Links `from` to `to` without ever replacing an existing `to`; falls back to rename on
/// file systems without hard links. The caller removes `from`.
pub(super) fn publish(from: &Path, to: &Path) -> io::Result<()> {
    match fs::hard_link(from, to) {
        Ok(()) => Ok(()),
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::AlreadyExists
            ) =>
        {
            Err(e)
        }
        Err(_) => {
            if fs::symlink_metadata(to).is_ok() {
                return Err(io::Error::from(io::ErrorKind::AlreadyExists));
            }
            // `from` is gone after this; the caller's removal of it finds nothing.
            fs::rename(from, to)
        }
    }
}

pub(super) fn read_bounded(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    File::open(path)?.take(limit).read_to_end(&mut out)?;
    Ok(out)
}

pub(super) fn unix_secs(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

pub(super) fn system_time(secs: i64) -> SystemTime {
    if secs >= 0 {
        UNIX_EPOCH + Duration::from_secs(secs.unsigned_abs())
    } else {
        UNIX_EPOCH
            .checked_sub(Duration::from_secs(secs.unsigned_abs()))
            .unwrap_or(UNIX_EPOCH)
    }
}

/// An mtime strictly greater (in whole seconds) than `old`, and not before now.
pub(super) fn grown_mtime(old: Option<SystemTime>) -> SystemTime {
    let now = SystemTime::now();
    match old {
        Some(old) if unix_secs(old) >= unix_secs(now) => system_time(unix_secs(old) + 1),
        _ => now,
    }
}

/// Size with every bare LF counted as CRLF: Dovecot's `W=` (the IMAP RFC822.SIZE).
pub(super) fn crlf_size(raw: &[u8]) -> usize {
    let mut extra = 0;
    let mut prev = 0u8;
    for &b in raw {
        if b == b'\n' && prev != b'\r' {
            extra += 1;
        }
        prev = b;
    }
    raw.len() + extra
}

pub(super) fn apply_flags(mut f: Flags, add: Flags, remove: Flags) -> Flags {
    f.seen = (f.seen || add.seen) && !remove.seen;
    f.answered = (f.answered || add.answered) && !remove.answered;
    f.flagged = (f.flagged || add.flagged) && !remove.flagged;
    f.deleted = (f.deleted || add.deleted) && !remove.deleted;
    f.draft = (f.draft || add.draft) && !remove.draft;
    f
}

/// Names Dovecot would treat as messages: not hidden, one path component, printable.
pub(super) fn is_message_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && !name.starts_with('.')
        && !name.starts_with(':')
        && !name.contains('/')
        && !name.chars().any(char::is_control)
}

/// The part of a file name that never changes: everything before the info separator.
pub(super) fn base_of(name: &str) -> &str {
    name.split(':').next().unwrap_or(name)
}

/// Dovecot's order for new files: by the time in the name, then microseconds, then name.
pub(super) fn delivery_order(a: &str, b: &str) -> std::cmp::Ordering {
    pub(super) fn key(name: &str) -> (u64, u64) {
        let secs_end = name
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(name.len());
        let secs = name[..secs_end].parse().unwrap_or(0);
        let usecs = name[secs_end..]
            .strip_prefix('.')
            .and_then(|rest| rest.split('.').next())
            .and_then(|unique| {
                let m = unique.find('M')?;
                let digits: String = unique[m + 1..]
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect();
                digits.parse().ok()
            })
            .unwrap_or(0);
        (secs, usecs)
    }
    key(a).cmp(&key(b)).then_with(|| a.cmp(b))
}

pub(super) fn hostname() -> String {
    let raw = fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| fs::read_to_string("/etc/hostname"))
        .unwrap_or_default();
    let h: String = raw
        .trim()
        .chars()
        .filter(|c| !c.is_control() && !c.is_whitespace())
        .take(64)
        .collect();
    if h.is_empty() {
        "localhost".to_string()
    } else {
        h
    }
}

/// File names must not carry the separators Maildir gives meaning to.
pub(super) fn escape_host(host: &str) -> String {
    let mut out = String::with_capacity(host.len());
    for c in host.chars() {
        match c {
            '/' => out.push_str("\\057"),
            ':' => out.push_str("\\072"),
            ',' => out.push_str("\\054"),
            c => out.push(c),
        }
    }
    out
}

/// Identity of a file, to remove only the lock file we created or judged.
pub(super) fn file_id(m: &fs::Metadata) -> (u64, u64) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        (m.dev(), m.ino())
    }
    #[cfg(not(unix))]
    {
        (m.len(), m.modified().map(unix_secs).unwrap_or(0) as u64)
    }
}

/// `Some(identity)` when the lock at `path` may be overridden, as Dovecot would: its owner
/// (same host) is dead, or neither it nor the protected file changed for `LOCK_STALE`.
pub(super) fn stale_lock(path: &Path, protected: &Path, host: &str) -> Option<(u64, u64)> {
    let meta = fs::symlink_metadata(path).ok()?;
    let age = meta
        .modified()
        .ok()
        .and_then(|m| SystemTime::now().duration_since(m).ok())
        .unwrap_or_default();
    if age >= LOCK_PID_CHECK_AFTER
        && let Ok(text) = read_bounded(path, 512)
        && let Some((pid, lock_host)) = String::from_utf8_lossy(&text).trim().split_once(':')
        && lock_host == host
        && let Ok(pid) = pid.parse::<u32>()
        && pid != 0
        && Path::new("/proc/self").exists()
        && !Path::new("/proc").join(pid.to_string()).exists()
    {
        return Some(file_id(&meta));
    }
    if age < LOCK_STALE {
        return None;
    }
    let protected_age = fs::metadata(protected)
        .ok()
        .and_then(|m| m.modified().ok())
        .and_then(|m| SystemTime::now().duration_since(m).ok())
        .unwrap_or(Duration::MAX);
    (protected_age >= LOCK_STALE).then(|| file_id(&meta))
}

/// A held `dovecot-uidlist.lock`; released on drop.
pub(super) struct DotLock {
    pub(super) path: PathBuf,
    pub(super) id: Option<(u64, u64)>,
}

impl Drop for DotLock {
    fn drop(&mut self) {
        // If the lock was overridden as stale and re-taken, it is someone else's now.
        let ours = match (self.id, fs::symlink_metadata(&self.path)) {
            (Some(id), Ok(m)) => file_id(&m) == id,
            (None, Ok(_)) => true,
            (_, Err(_)) => false,
        };
        if ours {
            let _ = fs::remove_file(&self.path);
        }
    }
}
