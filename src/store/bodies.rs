//! The body cache: raw messages (RFC 5322 bytes) fetched on demand, kept under a size cap so
//! reopening a message costs no round trip.
//!
//! Layout: `<dir>/<key hash>/<message hash>.body`, where the key hash is
//! [`crate::hash::hashed_name`] of the [`CacheKey`] and the message hash covers the key hash,
//! UIDVALIDITY and UID; no server text reaches a path. Each file is
//! ```text
//! magic "MRBODIES" | version u32 | uid_validity u32 | uid u32 | length u64 | checksum u64 | raw
//! ```
//! (little-endian). A file whose header, length or checksum does not match reads as a miss
//! and is removed. Eviction drops the least recently used files (by mtime, which `get` touches)
//! until the total is under the cap.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use super::{
    CacheError, CacheKey, TEMP_SUFFIX, checksum, create_private_dir, io_error, write_atomic,
};

/// First bytes of every body file.
pub const MAGIC: [u8; 8] = *b"MRBODIES";
pub const FORMAT_VERSION: u32 = 1;
/// Default size cap of the whole body cache.
pub const DEFAULT_CAP_BYTES: u64 = 256 << 20;

const HEADER_BYTES: usize = MAGIC.len() + 4 + 4 + 4 + 8 + 8;
const BODY_SUFFIX: &str = ".body";
/// Temp files this old belong to a writer that died; younger ones may be in use.
const STALE_TEMP: Duration = Duration::from_secs(3600);

/// Raw messages on disk, keyed by mailbox, UIDVALIDITY and UID.
#[derive(Debug, Clone)]
pub struct BodyCache {
    dir: PathBuf,
    cap_bytes: u64,
    /// Set once the cache was reported unusable (shared by clones): one warning, not one per
    /// message.
    warned: Arc<AtomicBool>,
}

impl BodyCache {
    /// `cap_bytes` bounds the total size of the files (headers included).
    pub fn new(dir: PathBuf, cap_bytes: u64) -> BodyCache {
        BodyCache {
            dir,
            cap_bytes,
            warned: Arc::default(),
        }
    }

    /// `$XDG_CACHE_HOME/mailroom/bodies` (or the platform's equivalent); None without a home
    /// directory.
    pub fn default_dir() -> Option<PathBuf> {
        super::default_cache_dir("bodies")
    }

    /// The file a message is stored in (whether or not it exists).
    pub fn path_for(&self, key: &CacheKey, uid_validity: u32, uid: u32) -> PathBuf {
        let key_hash = key.hashed("mailroom.bodies.key");
        let name = crate::hash::hashed_name(
            "mailroom.bodies.message",
            &[
                key_hash.as_bytes(),
                &uid_validity.to_le_bytes(),
                &uid.to_le_bytes(),
            ],
        );
        self.dir.join(key_hash).join(name + BODY_SUFFIX)
    }

    /// The cached message, or None: absent, unreadable and damaged files are all misses (the
    /// caller fetches again). A hit counts as a use for eviction.
    pub fn get(&self, key: &CacheKey, uid_validity: u32, uid: u32) -> Option<Vec<u8>> {
        self.lookup(key, uid_validity, uid).ok().flatten()
    }

    /// Like [`get`](Self::get), but a cache that cannot be used (its directory is a file, a
    /// symlink loop, a directory where the file should be, no permission) is an `Err`, so the
    /// caller can say so once ([`unusable`](Self::unusable)) before going to the server.
    /// Absent and damaged files are misses (`Ok(None)`).
    pub fn lookup(
        &self,
        key: &CacheKey,
        uid_validity: u32,
        uid: u32,
    ) -> Result<Option<Vec<u8>>, CacheError> {
        let path = self.path_for(key, uid_validity, uid);
        let mut file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_error(&path)(e)),
        };
        if !file.metadata().map_err(io_error(&path))?.is_file() {
            return Err(io_error(&path)(io::Error::other("not a regular file")));
        }
        match read_body(&mut file, uid_validity, uid, self.cap_bytes) {
            Some(raw) => {
                // Best effort: a failed touch only makes eviction a little less accurate.
                let _ = file.set_modified(SystemTime::now());
                Ok(Some(raw))
            }
            None => {
                drop(file);
                // A damaged file would miss forever and count against the cap.
                let _ = fs::remove_file(&path);
                Ok(None)
            }
        }
    }

    /// The warning for a failed [`lookup`](Self::lookup) or [`put`](Self::put): the first
    /// time only, for this cache and its clones; later failures are skipped silently (the
    /// message is read from the server either way).
    pub fn unusable(&self, e: &CacheError) -> Option<String> {
        (!self.warned.swap(true, Ordering::Relaxed))
            .then(|| format!("body cache skipped (messages are read from the server): {e}"))
    }

    /// Stores a message atomically, then evicts the least recently used files until the cache
    /// is under its cap. A message that alone exceeds the cap is not stored (Ok: a cache may
    /// always decline).
    pub fn put(
        &self,
        key: &CacheKey,
        uid_validity: u32,
        uid: u32,
        raw: &[u8],
    ) -> Result<(), CacheError> {
        if (HEADER_BYTES as u64).saturating_add(raw.len() as u64) > self.cap_bytes {
            return Ok(());
        }
        let path = self.path_for(key, uid_validity, uid);
        let Some(sub) = path.parent() else {
            return Ok(());
        };
        create_private_dir(sub)?;
        let mut header = Vec::with_capacity(HEADER_BYTES);
        header.extend_from_slice(&MAGIC);
        header.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        header.extend_from_slice(&uid_validity.to_le_bytes());
        header.extend_from_slice(&uid.to_le_bytes());
        header.extend_from_slice(&(raw.len() as u64).to_le_bytes());
        header.extend_from_slice(&checksum(raw).to_le_bytes());
        // No fsync: after a crash a file may be renamed yet empty, but the length and checksum
        // make it a miss, which is all a cache owes.
        write_atomic(sub, &path, false, |f| {
            f.write_all(&header)?;
            f.write_all(raw)
        })?;
        self.evict(&path)
    }

    /// Removes the oldest `.body` files (never `keep`, the one just written) until the total
    /// is at most the cap; also clears temp files left by writers that died.
    fn evict(&self, keep: &Path) -> Result<(), CacheError> {
        let mut files: Vec<(SystemTime, u64, PathBuf)> = Vec::new();
        let mut total: u64 = 0;
        let now = SystemTime::now();
        for sub in read_dir_or_empty(&self.dir)? {
            // file_type() does not follow symlinks: only real directories are ours.
            if !sub.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            let sub = sub.path();
            for entry in read_dir_or_empty(&sub)? {
                let Ok(meta) = entry.metadata() else { continue };
                if !meta.is_file() {
                    continue;
                }
                let name = entry.file_name();
                let name = name.to_string_lossy();
                let mtime = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
                if name.ends_with(BODY_SUFFIX) {
                    total = total.saturating_add(meta.len());
                    files.push((mtime, meta.len(), entry.path()));
                } else if name.ends_with(TEMP_SUFFIX)
                    && now.duration_since(mtime).is_ok_and(|age| age > STALE_TEMP)
                {
                    let _ = fs::remove_file(entry.path());
                }
            }
        }
        if total <= self.cap_bytes {
            return Ok(());
        }
        files.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| a.2.cmp(&b.2)));
        for (_, len, path) in files {
            if total <= self.cap_bytes {
                break;
            }
            if path == keep {
                continue;
            }
            match fs::remove_file(&path) {
                Ok(()) => total = total.saturating_sub(len),
                // Another process evicted it first.
                Err(e) if e.kind() == io::ErrorKind::NotFound => total = total.saturating_sub(len),
                Err(e) => return Err(io_error(&path)(e)),
            }
        }
        Ok(())
    }
}

/// The entries of `dir`, none if it does not exist; unreadable entries are skipped.
fn read_dir_or_empty(dir: &Path) -> Result<Vec<fs::DirEntry>, CacheError> {
    match fs::read_dir(dir) {
        Ok(it) => Ok(it.filter_map(Result::ok).collect()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(io_error(dir)(e)),
    }
}

/// The raw message of a body file, or None when anything about it is off. The allocation is
/// bounded by the actual file size, which is bounded by the cap.
fn read_body(file: &mut File, uid_validity: u32, uid: u32, cap: u64) -> Option<Vec<u8>> {
    let file_len = file.metadata().ok()?.len();
    if file_len < HEADER_BYTES as u64 || file_len > cap {
        return None;
    }
    let mut h = [0u8; HEADER_BYTES];
    file.read_exact(&mut h).ok()?;
    let (magic, rest) = h.split_first_chunk::<8>()?;
    let (version, rest) = rest.split_first_chunk::<4>()?;
    let (stored_validity, rest) = rest.split_first_chunk::<4>()?;
    let (stored_uid, rest) = rest.split_first_chunk::<4>()?;
    let (len, rest) = rest.split_first_chunk::<8>()?;
    let (sum, _) = rest.split_first_chunk::<8>()?;
    let len = u64::from_le_bytes(*len);
    if *magic != MAGIC
        || u32::from_le_bytes(*version) != FORMAT_VERSION
        || u32::from_le_bytes(*stored_validity) != uid_validity
        || u32::from_le_bytes(*stored_uid) != uid
        || Some(len) != file_len.checked_sub(HEADER_BYTES as u64)
    {
        return None;
    }
    let mut raw = vec![0u8; usize::try_from(len).ok()?];
    file.read_exact(&mut raw).ok()?;
    // A file that grew after the size check was rewritten under us: not what was checked.
    let mut probe = [0u8; 1];
    if file.read(&mut probe).ok()? != 0 || checksum(&raw) != u64::from_le_bytes(*sum) {
        return None;
    }
    Some(raw)
}
