//! A Maildir++ tree as a [`Backend`], stored exactly the way Dovecot stores it, so Dovecot
//! (or mbsync, or a second mailroom) can serve the same folders at the same time.
//!
//! Layout: the account root is INBOX (`cur/ new/ tmp/`); other mailboxes are `.Name`
//! directories, nested with `.` (`.Archive.2024`), names in modified UTF-7 like Dovecot.
//!
//! Dovecot's on-disk state, per mailbox directory:
//! - `dovecot-uidlist`: `3 V<uidvalidity> N<nextuid> G<guid>` then `<uid> [<ext>…] :<base>`
//!   per message, base = file name up to `:2,`. Rewritten under the dotlock
//!   `dovecot-uidlist.lock` (holding `<pid>:<host>`, stale after 2 minutes) through
//!   `dovecot-uidlist.tmp` + fsync + rename. Dovecot may also append lines in place.
//! - `dovecot-keywords`: `<index> <keyword>` lines, index 0..25; keyword `i` is the letter
//!   `'a' + i` in a file name's flags. Changed only while holding the uidlist lock, written
//!   through `dovecot-keywords.lock` + rename, with an mtime that always grows (Dovecot
//!   re-reads it only when the mtime in seconds changes).
//! - File names `<secs>.M<usecs>P<pid>Q<n>.<host>,S=<size>,W=<crlf size>:2,<flags>`, flags
//!   sorted in ASCII order: `D F P R S T` then keyword letters. Unknown letters are kept.
//!
//! Maildir has no MODSEQ: [`Backend::store`] answers `modseq: None` and cannot honour
//! `unchanged_since` (see there). INTERNALDATE is the file's mtime, as in Dovecot.

use std::collections::{BTreeMap, HashMap};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::{Backend, BackendError, FlagChange, MailboxStatus, StoreOutcome, is_valid_keyword};
// Dovecot names Maildir++ folders in modified UTF-7, the IMAP mailbox-name encoding.
use crate::mail::parse::summary_from_raw;
use crate::mail::utf7::encode as mutf7_encode;
use crate::message::{Flags, Summary};
use crate::policy::rights::Rights;

mod disk;
mod files;
use disk::*;
use files::*;

const UIDLIST: &str = "dovecot-uidlist";
const UIDLIST_TMP: &str = "dovecot-uidlist.tmp";
const UIDLIST_LOCK: &str = "dovecot-uidlist.lock";
const KEYWORDS: &str = "dovecot-keywords";
const KEYWORDS_LOCK: &str = "dovecot-keywords.lock";
/// Dovecot's limit: one lowercase letter per keyword.
pub const MAX_KEYWORDS: usize = 26;
/// Summaries are handed out in batches of this many.
pub const BATCH: usize = 500;
/// A lock unchanged for this long (with its protected file unchanged too) is stale.
const LOCK_STALE: Duration = Duration::from_secs(120);
/// A lock younger than this is not checked for a dead owner: it is most likely live.
const LOCK_PID_CHECK_AFTER: Duration = Duration::from_secs(2);
/// Give up waiting for a lock after this long (just past the stale timeout).
const LOCK_WAIT: Duration = Duration::from_secs(125);
/// A summary needs the header and the MIME structure, not a 30 MB attachment.
const SUMMARY_READ_LIMIT: u64 = 1024 * 1024;
/// Attempts at an operation whose file was renamed under it by another client.
const MAX_RETRIES: usize = 4;
/// Bounds what we read of Dovecot's small metadata files.
const METADATA_READ_LIMIT: u64 = 64 * 1024 * 1024;

/// Uniqueness within this process for generated file names (Dovecot's `Q` counter).
static NAME_COUNTER: AtomicU32 = AtomicU32::new(0);

/// A Maildir++ account on local disk.
pub struct MaildirBackend {
    account: String,
    root: PathBuf,
    /// The host name as written in lock files (Dovecot compares it to decide staleness).
    host: String,
    /// The host name as used in file names (`/`, `:` and `,` escaped, as Dovecot does).
    host_in_names: String,
    /// fsync files and directories; off only for throw-away data such as the demo.
    durable: bool,
    cache: HashMap<PathBuf, MailboxIndex>,
}

impl std::fmt::Debug for MaildirBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MaildirBackend")
            .field("account", &self.account)
            .field("root", &self.root)
            .finish_non_exhaustive()
    }
}

impl MaildirBackend {
    /// Opens an existing Maildir++ root (it must hold `cur/`).
    pub fn open(account_name: &str, root: &Path) -> Result<Self, BackendError> {
        let meta = fs::metadata(root).map_err(|e| io_err(account_name, root, e))?;
        if !meta.is_dir() {
            return Err(BackendError::Protocol {
                account: account_name.to_string(),
                message: format!("{} is not a directory", root.display()),
            });
        }
        if !root.join("cur").is_dir() {
            return Err(BackendError::Protocol {
                account: account_name.to_string(),
                message: format!("{} is not a Maildir (it has no cur/)", root.display()),
            });
        }
        let host = hostname();
        Ok(MaildirBackend {
            account: account_name.to_string(),
            root: root.to_path_buf(),
            host_in_names: escape_host(&host),
            host,
            durable: true,
            cache: HashMap::new(),
        })
    }

    /// Creates the root (`cur/ new/ tmp/`) if needed, then opens it.
    pub fn create(account_name: &str, root: &Path) -> Result<Self, BackendError> {
        for sub in ["cur", "new", "tmp"] {
            let d = root.join(sub);
            fs::create_dir_all(&d).map_err(|e| io_err(account_name, &d, e))?;
        }
        Self::open(account_name, root)
    }

    /// Creates a mailbox (`.Name` with `cur/ new/ tmp/` and Maildir++'s `maildirfolder`
    /// marker); nothing happens if it exists.
    pub fn create_mailbox(&mut self, mailbox: &str) -> Result<(), BackendError> {
        let dir = self.mailbox_dir(mailbox)?;
        for sub in ["cur", "new", "tmp"] {
            let d = dir.join(sub);
            fs::create_dir_all(&d).map_err(|e| self.io(&d, e))?;
        }
        if dir != self.root {
            let marker = dir.join("maildirfolder");
            if !marker.exists() {
                File::create(&marker).map_err(|e| self.io(&marker, e))?;
            }
        }
        Ok(())
    }

    /// Turns fsync off (or back on). Only for data that may be lost in a crash, such as
    /// the generated demo, where hundreds of fsyncs would only cost time.
    pub fn set_durable(&mut self, durable: bool) {
        self.durable = durable;
    }

    /// The account's Maildir++ root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The directory a mailbox name maps to. Names that could leave the root (`/`, `..`,
    /// NUL, a leading `.`) are refused before any path is built.
    pub fn mailbox_dir(&self, mailbox: &str) -> Result<PathBuf, BackendError> {
        let refuse = || BackendError::NoMailbox {
            account: self.account.clone(),
            mailbox: mailbox.to_string(),
        };
        if mailbox.eq_ignore_ascii_case("INBOX") {
            return Ok(self.root.clone());
        }
        // Courier-style clients say `INBOX.Sent` for the `.Sent` folder.
        let name = match mailbox.get(..6) {
            Some(p) if p.eq_ignore_ascii_case("INBOX.") => &mailbox[6..],
            _ => mailbox,
        };
        if name.is_empty()
            || name.len() > 200
            || name.starts_with('.')
            || name.ends_with('.')
            || name.contains("..")
            || name.contains(['/', '\\'])
            || name.chars().any(char::is_control)
        {
            return Err(refuse());
        }
        Ok(self.root.join(format!(".{}", mutf7_encode(name))))
    }

    fn existing_dir(&self, mailbox: &str) -> Result<PathBuf, BackendError> {
        let dir = self.mailbox_dir(mailbox)?;
        if dir.join("cur").is_dir() {
            Ok(dir)
        } else {
            Err(BackendError::NoMailbox {
                account: self.account.clone(),
                mailbox: mailbox.to_string(),
            })
        }
    }

    fn io(&self, path: &Path, e: io::Error) -> BackendError {
        io_err(&self.account, path, e)
    }

    fn corrupt(&self, path: &Path, what: &str) -> BackendError {
        BackendError::Protocol {
            account: self.account.clone(),
            message: format!("{}: {what}", path.display()),
        }
    }

    /// The cached index of a mailbox, re-read from disk when `fresh` or not cached.
    fn index(&mut self, mailbox: &str, fresh: bool) -> Result<&mut MailboxIndex, BackendError> {
        let dir = self.existing_dir(mailbox)?;
        if fresh || !self.cache.contains_key(&dir) {
            let idx = self.sync_dir(&dir)?;
            self.cache.insert(dir.clone(), idx);
        }
        self.cache
            .get_mut(&dir)
            .ok_or_else(|| BackendError::NoMailbox {
                account: self.account.clone(),
                mailbox: mailbox.to_string(),
            })
    }

    /// Where a message is (directory, file), re-reading the mailbox when asked to.
    fn locate(
        &mut self,
        mailbox: &str,
        uid: u32,
        fresh: bool,
    ) -> Result<(PathBuf, Located), BackendError> {
        let idx = self.index(mailbox, fresh)?;
        if let Some(loc) = idx.files.get(&uid) {
            return Ok((idx.dir.clone(), loc.clone()));
        }
        if !fresh {
            return self.locate(mailbox, uid, true);
        }
        Err(BackendError::NoMessage {
            account: self.account.clone(),
            mailbox: mailbox.to_string(),
            uid,
        })
    }

    /// Reads a mailbox directory: moves new/ to cur/, gives every file a UID (recording new
    /// ones in `dovecot-uidlist`), and loads the keyword table.
    fn sync_dir(&self, dir: &Path) -> Result<MailboxIndex, BackendError> {
        let mut found = self.scan(dir)?;
        self.move_new_to_cur(dir, &mut found);
        let mut uidlist = self.read_uidlist(dir)?;
        let needs_write = match &uidlist {
            None => true,
            Some(ul) => found.keys().any(|b| !ul.by_base.contains_key(b)),
        };
        if needs_write {
            match self.lock(dir) {
                Ok(lock) => {
                    // Under the lock, re-read both: another process may have assigned UIDs
                    // to the same files meanwhile.
                    let mut ul = self.read_uidlist(dir)?.unwrap_or_else(Uidlist::new);
                    found = self.scan(dir)?;
                    self.assign_and_prune(dir, &mut ul, &found)?;
                    self.write_uidlist(dir, &ul)?;
                    drop(lock);
                    uidlist = Some(ul);
                }
                // A read-only mailbox: files without a UID stay invisible until a writer
                // (Dovecot, or mailroom with write access) records them.
                Err(BackendError::Io { source, .. })
                    if matches!(
                        source.kind(),
                        io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem
                    ) => {}
                Err(e) => return Err(e),
            }
        }
        let uidlist = uidlist.unwrap_or_else(Uidlist::new);
        let keywords = self.read_keywords(dir)?;
        let mut files = BTreeMap::new();
        for (&uid, rec) in &uidlist.records {
            if let Some(loc) = found.get(&rec.base) {
                files.insert(uid, loc.clone());
            }
        }
        Ok(MailboxIndex {
            dir: dir.to_path_buf(),
            uidlist,
            files,
            keywords,
        })
    }

    /// Gives unknown files UIDs in file-name (delivery time) order, as Dovecot does, and
    /// drops records of files that are gone (checked twice: a flag change renames a file,
    /// and a directory read racing with a rename may miss it once).
    fn assign_and_prune(
        &self,
        dir: &Path,
        ul: &mut Uidlist,
        found: &HashMap<String, Located>,
    ) -> Result<(), BackendError> {
        let missing: Vec<u32> = ul
            .records
            .iter()
            .filter(|(_, r)| !found.contains_key(&r.base))
            .map(|(&u, _)| u)
            .collect();
        if !missing.is_empty() {
            let again = self.scan(dir)?;
            for uid in missing {
                if let Some(rec) = ul.records.get(&uid)
                    && !again.contains_key(&rec.base)
                {
                    ul.remove(uid);
                }
            }
        }
        let mut unknown: Vec<&String> = found
            .keys()
            .filter(|b| !ul.by_base.contains_key(*b))
            .collect();
        unknown.sort_by(|a, b| delivery_order(a, b));
        for base in unknown {
            if ul.next_uid == u32::MAX {
                return Err(BackendError::Refused {
                    account: self.account.clone(),
                    message: format!("{}: no UIDs left in this mailbox", dir.display()),
                });
            }
            let uid = ul.next_uid;
            ul.insert(uid, base.clone(), Vec::new());
        }
        Ok(())
    }

    /// Message files on disk by base name; cur/ wins over new/ when a file is in both
    /// (caught in the middle of a move).
    fn scan(&self, dir: &Path) -> Result<HashMap<String, Located>, BackendError> {
        let mut out = HashMap::new();
        for sub in [Sub::New, Sub::Cur] {
            let d = dir.join(sub.name());
            let entries = match fs::read_dir(&d) {
                Ok(r) => r,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(self.io(&d, e)),
            };
            for entry in entries {
                let entry = entry.map_err(|e| self.io(&d, e))?;
                let Ok(name) = entry.file_name().into_string() else {
                    continue;
                };
                if !is_message_name(&name) {
                    continue;
                }
                // Regular files only: no directories, and no symlinks out of the tree.
                if !entry.file_type().is_ok_and(|t| t.is_file()) {
                    continue;
                }
                out.insert(base_of(&name).to_string(), Located { sub, name });
            }
        }
        Ok(out)
    }

    /// Like Dovecot on SELECT: a client has seen the mail, so new/ files move to cur/ with
    /// an empty info part. Best effort: a read-only mailbox keeps them in new/.
    fn move_new_to_cur(&self, dir: &Path, found: &mut HashMap<String, Located>) {
        for loc in found.values_mut() {
            if loc.sub != Sub::New {
                continue;
            }
            let target = if loc.name.contains(':') {
                loc.name.clone()
            } else {
                format!("{}:2,", loc.name)
            };
            let from = dir.join("new").join(&loc.name);
            let to = dir.join("cur").join(&target);
            match fs::rename(&from, &to) {
                Ok(()) => *loc = Located::cur(target),
                // Another client moved it first; it is in cur/ now, under a name we find
                // again on a miss.
                Err(e) if e.kind() == io::ErrorKind::NotFound => *loc = Located::cur(target),
                Err(_) => {}
            }
        }
    }

    fn read_uidlist(&self, dir: &Path) -> Result<Option<Uidlist>, BackendError> {
        let path = dir.join(UIDLIST);
        let text = match read_bounded(&path, METADATA_READ_LIMIT) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.io(&path, e)),
        };
        let text = String::from_utf8_lossy(&text);
        Uidlist::parse(&text).map_err(|what| self.corrupt(&path, &what))
    }

    fn write_uidlist(&self, dir: &Path, ul: &Uidlist) -> Result<(), BackendError> {
        let tmp = dir.join(UIDLIST_TMP);
        let path = dir.join(UIDLIST);
        let write = || -> io::Result<()> {
            let mut f = File::create(&tmp)?;
            f.write_all(ul.render().as_bytes())?;
            if self.durable {
                f.sync_data()?;
            }
            fs::rename(&tmp, &path)
        };
        write().map_err(|e| {
            let _ = fs::remove_file(&tmp);
            self.io(&path, e)
        })?;
        self.sync_dir_entry(dir)
    }

    fn read_keywords(&self, dir: &Path) -> Result<KeywordTable, BackendError> {
        let path = dir.join(KEYWORDS);
        let mtime = match fs::metadata(&path) {
            Ok(m) => m.modified().ok(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(KeywordTable::default()),
            Err(e) => return Err(self.io(&path, e)),
        };
        let text = match read_bounded(&path, METADATA_READ_LIMIT) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(KeywordTable::default()),
            Err(e) => return Err(self.io(&path, e)),
        };
        let mut table = KeywordTable::parse(&String::from_utf8_lossy(&text));
        table.mtime = mtime;
        Ok(table)
    }

    /// Writes `dovecot-keywords` the way Dovecot does; the caller holds the uidlist lock.
    fn write_keywords(&self, dir: &Path, table: &KeywordTable) -> Result<(), BackendError> {
        let lock = dir.join(KEYWORDS_LOCK);
        let path = dir.join(KEYWORDS);
        // Under the uidlist lock a leftover keywords lock can only be stale.
        match fs::remove_file(&lock) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(self.io(&lock, e)),
        }
        let write = || -> io::Result<()> {
            let mut f = OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&lock)?;
            f.write_all(table.render().as_bytes())?;
            f.set_modified(grown_mtime(table.mtime))?;
            if self.durable {
                f.sync_all()?;
            }
            fs::rename(&lock, &path)
        };
        write().map_err(|e| {
            let _ = fs::remove_file(&lock);
            self.io(&path, e)
        })?;
        self.sync_dir_entry(dir)
    }

    /// Letters for `names` in a mailbox, creating table entries for unknown ones (all or
    /// none: more than 26 keywords is refused before anything is written).
    fn ensure_keywords(&mut self, dir: &Path, names: &[String]) -> Result<Vec<u8>, BackendError> {
        let cached = match self.cache.get(dir) {
            Some(idx) => idx.keywords.clone(),
            None => self.read_keywords(dir)?,
        };
        if let Some(idxs) = names
            .iter()
            .map(|n| cached.index_of(n))
            .collect::<Option<Vec<_>>>()
        {
            return Ok(idxs);
        }
        let lock = self.lock(dir)?;
        let mut table = self.read_keywords(dir)?;
        let mut out = Vec::with_capacity(names.len());
        let mut changed = false;
        for name in names {
            let i = match table.index_of(name) {
                Some(i) => i,
                None => {
                    let Some(slot) = table.free_slot() else {
                        return Err(BackendError::Refused {
                            account: self.account.clone(),
                            message: format!(
                                "{}: a Maildir mailbox holds at most {MAX_KEYWORDS} keywords and all are in use; {name:?} cannot be added",
                                dir.display()
                            ),
                        });
                    };
                    table.slots[slot as usize] = Some(name.clone());
                    changed = true;
                    slot
                }
            };
            out.push(i);
        }
        if changed {
            self.write_keywords(dir, &table)?;
            table = self.read_keywords(dir)?;
        }
        drop(lock);
        if let Some(idx) = self.cache.get_mut(dir) {
            idx.keywords = table;
        }
        Ok(out)
    }

    /// Records `base` in the uidlist (if not already there) and returns its UID.
    fn register(&mut self, dir: &Path, base: &str, loc: Located) -> Result<u32, BackendError> {
        let lock = self.lock(dir)?;
        let mut ul = self.read_uidlist(dir)?.unwrap_or_else(Uidlist::new);
        let uid = match ul.by_base.get(base) {
            Some(&uid) => uid,
            None => {
                if ul.next_uid == u32::MAX {
                    return Err(BackendError::Refused {
                        account: self.account.clone(),
                        message: format!("{}: no UIDs left in this mailbox", dir.display()),
                    });
                }
                let uid = ul.next_uid;
                ul.insert(uid, base.to_string(), Vec::new());
                self.write_uidlist(dir, &ul)?;
                uid
            }
        };
        drop(lock);
        if let Some(idx) = self.cache.get_mut(dir) {
            idx.files.insert(uid, loc);
            idx.uidlist = ul;
        }
        Ok(uid)
    }

    /// Takes Dovecot's dotlock on a mailbox's uidlist, waiting for another holder, and
    /// overriding a lock whose owner is gone or that went unchanged past the stale timeout.
    fn lock(&self, dir: &Path) -> Result<DotLock, BackendError> {
        let path = dir.join(UIDLIST_LOCK);
        let protected = dir.join(UIDLIST);
        let start = Instant::now();
        let mut pause = Duration::from_millis(2);
        loop {
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(mut f) => {
                    // Dovecot reads "<pid>:<host>" to see whether the owner still lives.
                    let _ = f.write_all(format!("{}:{}", std::process::id(), self.host).as_bytes());
                    let id = f.metadata().ok().map(|m| file_id(&m));
                    return Ok(DotLock { path, id });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    if let Some(id) = stale_lock(&path, &protected, &self.host) {
                        // Remove only the lock we judged, not a fresh one that replaced it.
                        if fs::symlink_metadata(&path).is_ok_and(|m| file_id(&m) == id) {
                            let _ = fs::remove_file(&path);
                        }
                        continue;
                    }
                    if start.elapsed() > LOCK_WAIT {
                        return Err(BackendError::Refused {
                            account: self.account.clone(),
                            message: format!(
                                "{} is held by another program; try again later",
                                path.display()
                            ),
                        });
                    }
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(100));
                }
                Err(e) => return Err(self.io(&path, e)),
            }
        }
    }

    fn sync_dir_entry(&self, dir: &Path) -> Result<(), BackendError> {
        if !self.durable {
            return Ok(());
        }
        // Directory fsync makes a rename durable; some file systems refuse it, which is
        // no reason to fail the operation.
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }

    /// A fresh, unique base file name in Dovecot's style; `sizes` is its `,S=…,W=…` part.
    fn new_base(&self, sizes: &str) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let q = NAME_COUNTER.fetch_add(1, Ordering::Relaxed);
        format!(
            "{}.M{}P{}Q{}.{}{sizes}",
            now.as_secs(),
            now.subsec_micros(),
            std::process::id(),
            q,
            self.host_in_names,
        )
    }

    /// Whether this process can write the mailbox: create and remove a probe in tmp/
    /// (ignored by every Maildir reader), and the directory itself is not read-only.
    fn writable(&self, dir: &Path) -> bool {
        let dir_ok = fs::metadata(dir).is_ok_and(|m| !m.permissions().readonly());
        let probe = dir.join("tmp").join(format!(
            ".mailroom-probe.{}.{}",
            std::process::id(),
            NAME_COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let probe_ok = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&probe)
            .is_ok();
        if probe_ok {
            let _ = fs::remove_file(&probe);
        }
        dir_ok && probe_ok
    }

    fn read_only_error(&self, mailbox: &str) -> BackendError {
        BackendError::Refused {
            account: self.account.clone(),
            message: format!("mailbox {mailbox:?} is read-only"),
        }
    }

    /// Reads one message's summary; `Ok(None)` when the file is gone.
    fn read_summary(
        &self,
        idx: &MailboxIndex,
        uid: u32,
        loc: &Located,
    ) -> Result<Option<Summary>, BackendError> {
        let path = idx.dir.join(loc.sub.name()).join(&loc.name);
        let mut f = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.io(&path, e)),
        };
        let meta = f.metadata().map_err(|e| self.io(&path, e))?;
        let mut raw = Vec::new();
        (&mut f)
            .take(SUMMARY_READ_LIMIT)
            .read_to_end(&mut raw)
            .map_err(|e| self.io(&path, e))?;
        let info = Info::parse(&loc.name);
        let keywords = info
            .keywords
            .iter()
            .filter_map(|&i| idx.keywords.name(i))
            .filter(|k| is_valid_keyword(k))
            .map(str::to_string)
            .collect();
        let internal = meta.modified().map(unix_secs).unwrap_or(0);
        let mut s = summary_from_raw(uid, &raw, internal, info.flags, keywords);
        s.size = meta.len();
        Ok(Some(s))
    }
}

impl Backend for MaildirBackend {
    fn account(&self) -> &str {
        &self.account
    }

    fn status(&mut self, mailbox: &str) -> Result<MailboxStatus, BackendError> {
        let dir = self.existing_dir(mailbox)?;
        let writable = self.writable(&dir);
        let idx = self.index(mailbox, true)?;
        let mut permanent_flags = Vec::new();
        if writable {
            permanent_flags.extend(
                ["\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft"].map(String::from),
            );
            permanent_flags.extend(
                idx.keywords
                    .slots
                    .iter()
                    .flatten()
                    .filter(|k| is_valid_keyword(k))
                    .cloned(),
            );
            // `\*` only while a letter is free: beyond 26 keywords Maildir cannot store more.
            if idx.keywords.free_slot().is_some() {
                permanent_flags.push("\\*".to_string());
            }
        }
        Ok(MailboxStatus {
            name: mailbox.to_string(),
            uid_validity: idx.uidlist.uid_validity,
            uid_next: idx.uidlist.next_uid,
            exists: u32::try_from(idx.files.len()).unwrap_or(u32::MAX),
            highest_modseq: None,
            read_only: !writable,
            permanent_flags,
        })
    }

    fn summaries(
        &mut self,
        mailbox: &str,
        from_uid: u32,
        batch: &mut dyn FnMut(Vec<Summary>),
    ) -> Result<(), BackendError> {
        let dir = self.index(mailbox, true)?.dir.clone();
        let uids: Vec<u32> = match self.cache.get(&dir) {
            Some(idx) => idx.files.range(from_uid..).map(|(&u, _)| u).collect(),
            None => Vec::new(),
        };
        let mut out = Vec::with_capacity(BATCH.min(uids.len()));
        // A file renamed by another client (a flag change) is looked up again after a
        // re-read of the directory; a handful of re-reads per listing bounds the cost.
        let mut rescans_left = 3;
        for uid in uids {
            let Some(idx) = self.cache.get(&dir) else {
                break;
            };
            let Some(loc) = idx.files.get(&uid) else {
                continue;
            };
            let mut summary = self.read_summary(idx, uid, loc)?;
            if summary.is_none() && rescans_left > 0 {
                rescans_left -= 1;
                let found = self.scan(&dir)?;
                if let Some(idx) = self.cache.get_mut(&dir) {
                    idx.files.retain(|u, _| {
                        idx.uidlist
                            .records
                            .get(u)
                            .is_some_and(|r| found.contains_key(&r.base))
                    });
                    for (u, rec) in &idx.uidlist.records {
                        if let Some(l) = found.get(&rec.base) {
                            idx.files.insert(*u, l.clone());
                        }
                    }
                }
                if let Some(idx) = self.cache.get(&dir)
                    && let Some(loc) = idx.files.get(&uid)
                {
                    summary = self.read_summary(idx, uid, loc)?;
                }
            }
            // Gone for good (moved or expunged by another client): skip it.
            if let Some(s) = summary {
                out.push(s);
            }
            if out.len() >= BATCH {
                batch(std::mem::take(&mut out));
            }
        }
        if !out.is_empty() {
            batch(out);
        }
        Ok(())
    }

    fn fetch(&mut self, mailbox: &str, uid: u32) -> Result<Vec<u8>, BackendError> {
        for attempt in 0..MAX_RETRIES {
            let (dir, loc) = self.locate(mailbox, uid, attempt > 0)?;
            let path = dir.join(loc.sub.name()).join(&loc.name);
            match fs::read(&path) {
                Ok(b) => return Ok(b),
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(self.io(&path, e)),
            }
        }
        Err(BackendError::NoMessage {
            account: self.account.clone(),
            mailbox: mailbox.to_string(),
            uid,
        })
    }

    /// Maildir keeps no MODSEQ, so a conditional store cannot be checked: with
    /// `unchanged_since` the change is applied unconditionally and `modseq` is `None`.
    /// Callers learn this up front from `status().highest_modseq == None` and must not
    /// rely on it for an atomic claim (nobody but local tools shares a Maildir anyway).
    fn store(
        &mut self,
        mailbox: &str,
        uid: u32,
        change: &FlagChange,
        _unchanged_since: Option<u64>,
    ) -> Result<StoreOutcome, BackendError> {
        for k in change.add_keywords.iter().chain(&change.remove_keywords) {
            if !is_valid_keyword(k) {
                return Err(BackendError::BadKeyword {
                    account: self.account.clone(),
                    keyword: k.clone(),
                });
            }
        }
        for attempt in 0..MAX_RETRIES {
            let (dir, loc) = self.locate(mailbox, uid, attempt > 0)?;
            let add = self.ensure_keywords(&dir, &change.add_keywords)?;
            let table = match self.cache.get(&dir) {
                Some(idx) => idx.keywords.clone(),
                None => self.read_keywords(&dir)?,
            };
            let mut info = Info::parse(&loc.name);
            info.flags = apply_flags(info.flags, change.add_flags, change.remove_flags);
            for k in &change.remove_keywords {
                if let Some(i) = table.index_of(k) {
                    info.keywords.retain(|&x| x != i);
                }
            }
            info.keywords.extend(add);
            let new_name = info.render(base_of(&loc.name));
            if loc.sub == Sub::Cur && new_name == loc.name {
                return Ok(StoreOutcome::Stored { modseq: None });
            }
            let from = dir.join(loc.sub.name()).join(&loc.name);
            let to = dir.join("cur").join(&new_name);
            match fs::rename(&from, &to) {
                Ok(()) => {
                    if let Some(idx) = self.cache.get_mut(&dir) {
                        idx.files.insert(uid, Located::cur(new_name));
                    }
                    self.sync_dir_entry(&dir.join("cur"))?;
                    return Ok(StoreOutcome::Stored { modseq: None });
                }
                // Renamed meanwhile by another client: re-read and apply on top.
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
                    return Err(self.read_only_error(mailbox));
                }
                Err(e) => return Err(self.io(&from, e)),
            }
        }
        Err(BackendError::NoMessage {
            account: self.account.clone(),
            mailbox: mailbox.to_string(),
            uid,
        })
    }

    fn move_to(
        &mut self,
        mailbox: &str,
        uid: u32,
        target: &str,
    ) -> Result<Option<u32>, BackendError> {
        let target_dir = self.existing_dir(target)?;
        let source_dir = self.existing_dir(mailbox)?;
        if target_dir == source_dir {
            self.locate(mailbox, uid, false)?;
            return Ok(Some(uid));
        }
        for attempt in 0..MAX_RETRIES {
            let (dir, loc) = self.locate(mailbox, uid, attempt > 0)?;
            let table = match self.cache.get(&dir) {
                Some(idx) => idx.keywords.clone(),
                None => self.read_keywords(&dir)?,
            };
            let mut info = Info::parse(&loc.name);
            // Keyword letters are per mailbox: translate names into the target's letters.
            let names: Vec<String> = info
                .keywords
                .iter()
                .filter_map(|&i| table.name(i))
                .filter(|k| is_valid_keyword(k))
                .map(str::to_string)
                .collect();
            info.keywords = self.ensure_keywords(&target_dir, &names)?;
            let target_ul = self.read_uidlist(&target_dir)?;
            let mut base = base_of(&loc.name).to_string();
            if target_ul.is_some_and(|ul| ul.by_base.contains_key(&base)) {
                // The same base already lives there (moved before and back): a new name,
                // keeping the sizes Dovecot reads from it.
                let sizes = base.find(",S=").map_or("", |i| &base[i..]).to_string();
                base = self.new_base(&sizes);
            }
            let new_name = info.render(&base);
            let from = dir.join(loc.sub.name()).join(&loc.name);
            let to = target_dir.join("cur").join(&new_name);
            match publish(&from, &to) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
                    return Err(self.read_only_error(target));
                }
                Err(e) => return Err(self.io(&to, e)),
            }
            match fs::remove_file(&from) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => {
                    // Do not leave the message in both places.
                    let _ = fs::remove_file(&to);
                    return Err(self.io(&from, e));
                }
            }
            self.sync_dir_entry(&target_dir.join("cur"))?;
            self.sync_dir_entry(&dir.join(loc.sub.name()))?;
            if let Some(idx) = self.cache.get_mut(&dir) {
                idx.files.remove(&uid);
            }
            let new_uid = self.register(&target_dir, &base, Located::cur(new_name))?;
            return Ok(Some(new_uid));
        }
        Err(BackendError::NoMessage {
            account: self.account.clone(),
            mailbox: mailbox.to_string(),
            uid,
        })
    }

    fn append(
        &mut self,
        mailbox: &str,
        raw: &[u8],
        flags: Flags,
        keywords: &[String],
        internal_date: Option<i64>,
    ) -> Result<Option<u32>, BackendError> {
        for k in keywords {
            if !is_valid_keyword(k) {
                return Err(BackendError::BadKeyword {
                    account: self.account.clone(),
                    keyword: k.clone(),
                });
            }
        }
        let dir = self.existing_dir(mailbox)?;
        let letters = self.ensure_keywords(&dir, keywords)?;
        let base = self.new_base(&format!(",S={},W={}", raw.len(), crlf_size(raw)));
        let tmp_dir = dir.join("tmp");
        if !tmp_dir.is_dir() {
            fs::create_dir_all(&tmp_dir).map_err(|e| self.io(&tmp_dir, e))?;
        }
        let tmp = tmp_dir.join(&base);
        let write = || -> io::Result<()> {
            let mut f = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
            f.write_all(raw)?;
            if let Some(t) = internal_date {
                f.set_modified(system_time(t))?;
            }
            if self.durable {
                f.sync_all()?;
            }
            Ok(())
        };
        if let Err(e) = write() {
            let _ = fs::remove_file(&tmp);
            if e.kind() == io::ErrorKind::PermissionDenied {
                return Err(self.read_only_error(mailbox));
            }
            return Err(self.io(&tmp, e));
        }
        let info = Info {
            flags,
            keywords: letters,
            other: Vec::new(),
            tail: String::new(),
        };
        let name = info.render(&base);
        let dest = dir.join("cur").join(&name);
        let published = publish(&tmp, &dest);
        let _ = fs::remove_file(&tmp);
        published.map_err(|e| self.io(&dest, e))?;
        self.sync_dir_entry(&dir.join("cur"))?;
        let uid = self.register(&dir, &base, Located::cur(name))?;
        Ok(Some(uid))
    }

    fn rights(&mut self, mailbox: &str) -> Result<Rights, BackendError> {
        let dir = self.existing_dir(mailbox)?;
        // Local files: whoever can write them has every right there is.
        Ok(if self.writable(&dir) {
            Rights::all()
        } else {
            Rights::parse("lr")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_round_trip_sorts_and_keeps_unknown_letters() {
        let i = Info::parse("123.M4P5.host,S=10,W=11:2,PSca");
        assert!(i.flags.seen);
        assert_eq!(i.keywords, [2, 0]);
        assert_eq!(i.other, b"P");
        assert_eq!(
            i.render("123.M4P5.host,S=10,W=11"),
            "123.M4P5.host,S=10,W=11:2,PSac"
        );
        let mut j = Info::parse("x");
        j.flags.answered = true;
        j.flags.draft = true;
        j.flags.flagged = true;
        j.keywords = vec![25, 1];
        assert_eq!(j.render("x"), "x:2,DFRbz");
        assert_eq!(Info::parse("x:1,foo").render("x"), "x:2,");
        assert_eq!(Info::parse("x:2,S,extra").render("x"), "x:2,S,extra");
    }

    #[test]
    fn uidlist_v3_with_extensions() {
        let text = "3 V1700000000 N12 G0123456789abcdef0123456789abcdef X42\n\
                    3 W1234 S1200 :a.M1P1.h,S=1200,W=1234\n\
                    7 :b.M2P1.h:2,S\n\
                    garbage line\n\
                    11 GAAAA :c file with space\n\
                    12 :partial";
        let ul = Uidlist::parse(text).unwrap().unwrap();
        assert_eq!(ul.uid_validity, 1_700_000_000);
        assert_eq!(ul.next_uid, 12);
        assert_eq!(ul.header_ext, ["X42"]);
        assert_eq!(ul.records.len(), 3);
        assert_eq!(ul.records[&3].ext, ["W1234", "S1200"]);
        assert_eq!(ul.records[&7].base, "b.M2P1.h");
        assert_eq!(ul.records[&11].base, "c file with space");
        assert_eq!(
            ul.render(),
            "3 V1700000000 N12 G0123456789abcdef0123456789abcdef X42\n\
             3 W1234 S1200 :a.M1P1.h,S=1200,W=1234\n7 :b.M2P1.h\n11 GAAAA :c file with space\n"
        );
        assert!(Uidlist::parse("").unwrap().is_none());
        assert!(Uidlist::parse("9 V1 N1\n").is_err());
        let v1 = Uidlist::parse("1 1600000000 5\n2 old.name:2,S\n")
            .unwrap()
            .unwrap();
        assert_eq!(v1.records[&2].base, "old.name");
        assert_eq!(v1.next_uid, 5);
        assert_eq!(v1.guid.len(), 32);
    }

    #[test]
    fn keyword_table() {
        let t = KeywordTable::parse("0 $pending\n3 $Done\nbad\n30 x\n1 \n");
        assert_eq!(t.index_of("$PENDING"), Some(0));
        assert_eq!(t.index_of("$done"), Some(3));
        assert_eq!(t.free_slot(), Some(1));
        assert_eq!(t.render(), "0 $pending\n3 $Done\n");
    }

    #[test]
    fn names() {
        assert_eq!(mutf7_encode("Sent"), "Sent");
        assert_eq!(mutf7_encode("R&D"), "R&-D");
        assert_eq!(mutf7_encode("Entwürfe"), "Entw&APw-rfe");
        assert_eq!(mutf7_encode("台北"), "&U,BTFw-");
        assert_eq!(escape_host("a/b:c,d"), "a\\057b\\072c\\054d");
        assert_eq!(crlf_size(b"a\nb\r\n"), 6);
        assert_eq!(base_of("x,S=1:2,S"), "x,S=1");
        assert!(delivery_order("10.M5P1.h", "10.M40P1.h").is_lt());
        assert!(delivery_order("9.M5P1.h", "10.M1P1.h").is_lt());
        assert!(!is_message_name(".hidden"));
        assert!(!is_message_name("a\nb"));
    }
}
