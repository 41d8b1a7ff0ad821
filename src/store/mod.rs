//! Files mailroom keeps between runs: the header cache (`cache`) and the body cache (`bodies`).
//!
//! Rules every file here follows (DESIGN.md "Files", PROTOCOL.md "Pitfalls"):
//! - A file name is never built from text a server sent (mailbox names, hosts, logins): it is
//!   the hex of [`crate::hash::hashed_name`] over the identifying fields, so `../../etc/passwd` as a mailbox
//!   name names a file like any other (CVE-2018-14349 was exactly that traversal).
//! - Files are written to a temp file in the same directory and renamed over the old one, so a
//!   reader sees the old or the new file, never half of one. Directories are created 0700 and
//!   files 0600: they hold other people's mail.
//! - Everything read back is outside data: bounds-checked, checksummed, and an error or a miss
//!   when malformed, never a panic or an allocation sized by a length field.

pub mod audit;
pub mod bodies;
pub mod cache;
pub mod drafts;
pub mod outbox;
pub mod policy;

pub use bodies::BodyCache;
pub use cache::{CacheKey, CachedMailbox, HeaderCache};

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    /// The file exists but cannot be trusted; the caller discards it (with a warning) and
    /// rebuilds from the server.
    #[error("{}: corrupt cache file: {reason}", path.display())]
    Corrupt { path: PathBuf, reason: String },
    /// What the caller asked to store cannot be encoded (e.g. rows not in ascending UID order);
    /// a caller bug, reported instead of writing a file that would later read as corrupt.
    #[error("{}: cannot store: {reason}", path.display())]
    Invalid { path: PathBuf, reason: String },
}

/// A fast 64-bit checksum of file contents, to tell a damaged or truncated file from a good
/// one; not a defence against someone forging files (the cache directory is the user's own).
/// Same value as feeding the bytes through [`Checksum`] in any split.
pub fn checksum(data: &[u8]) -> u64 {
    let mut c = Checksum::new();
    c.update(data);
    c.finish()
}

/// The streaming form of [`checksum`]. FNV-1a's one multiply per byte is too slow for a
/// 50 MB cache read at every start, so this takes 8 bytes per step in four independent lanes:
/// each step `(lane ^ word) * ODD` rotated is a bijection of both lane and word, so any change
/// confined to one 8-byte word always changes the result, and the length is mixed in last.
#[derive(Debug, Clone)]
pub struct Checksum {
    lanes: [u64; 4],
    pending: [u8; 32],
    pending_len: usize,
    len: u64,
}

impl Default for Checksum {
    fn default() -> Self {
        Self::new()
    }
}

impl Checksum {
    pub fn new() -> Checksum {
        Checksum {
            // Arbitrary distinct odd constants (hex digits of pi), so lanes never start equal.
            lanes: [
                0x243f_6a88_85a3_08d3,
                0x1319_8a2e_0370_7345,
                0xa409_3822_299f_31d1,
                0x082e_fa98_ec4e_6c89,
            ],
            pending: [0; 32],
            pending_len: 0,
            len: 0,
        }
    }

    pub fn update(&mut self, mut data: &[u8]) {
        self.len = self.len.wrapping_add(data.len() as u64);
        if self.pending_len > 0 {
            let take = (32 - self.pending_len).min(data.len());
            let (head, rest) = data.split_at(take);
            self.pending[self.pending_len..self.pending_len + take].copy_from_slice(head);
            self.pending_len += take;
            data = rest;
            if self.pending_len < 32 {
                return;
            }
            let block = self.pending;
            self.block(&block);
            self.pending_len = 0;
        }
        let (blocks, rest) = data.as_chunks::<32>();
        for b in blocks {
            self.block(b);
        }
        self.pending[..rest.len()].copy_from_slice(rest);
        self.pending_len = rest.len();
    }

    #[inline(always)]
    fn block(&mut self, b: &[u8; 32]) {
        const ODD: u64 = 0x9e37_79b9_7f4a_7c15;
        for (lane, w) in self.lanes.iter_mut().zip(b.as_chunks::<8>().0) {
            *lane = (*lane ^ u64::from_le_bytes(*w))
                .wrapping_mul(ODD)
                .rotate_left(31);
        }
    }

    pub fn finish(mut self) -> u64 {
        // The last partial block zero-padded; the length below tells padding from real zeros.
        let mut last = [0u8; 32];
        last[..self.pending_len].copy_from_slice(&self.pending[..self.pending_len]);
        self.block(&last);
        let mut h = self.len;
        for lane in self.lanes {
            h = fmix64(h ^ lane);
        }
        h
    }
}

/// MurmurHash3's finalizer: a bijection that spreads every input bit over the output.
fn fmix64(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> CacheError + '_ {
    move |source| CacheError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Creates `dir` and its missing parents with mode 0700.
pub(crate) fn create_private_dir(dir: &Path) -> Result<(), CacheError> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir).map_err(io_error(dir))
}

/// Distinguishes temp files of threads of one process; the pid distinguishes processes.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Suffix of temp files; readers and eviction skip them.
const TEMP_SUFFIX: &str = ".tmp";

/// Writes `path` (inside `dir`) atomically: `fill` writes a fresh temp file in `dir`, which is
/// then renamed over `path`. With `durable`, file and directory are fsynced so a crash leaves
/// the old or the new contents, not an empty file.
pub(crate) fn write_atomic(
    dir: &Path,
    path: &Path,
    durable: bool,
    fill: impl FnOnce(&mut File) -> io::Result<()>,
) -> Result<(), CacheError> {
    let stem = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(
        ".{stem}.{}.{}{TEMP_SUFFIX}",
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let write = || -> io::Result<()> {
        let mut opts = OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts.open(&tmp)?;
        fill(&mut f)?;
        f.flush()?;
        if durable {
            f.sync_all()?;
        }
        drop(f);
        fs::rename(&tmp, path)
    };
    write().map_err(|e| {
        let _ = fs::remove_file(&tmp);
        io_error(path)(e)
    })?;
    if durable {
        // Makes the rename itself durable; some file systems refuse a directory fsync, which
        // is no reason to fail.
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

/// `<cache dir>/mailroom/<leaf>`, or None when no home directory is known.
fn default_cache_dir(leaf: &str) -> Option<PathBuf> {
    directories::BaseDirs::new().map(|d| d.cache_dir().join("mailroom").join(leaf))
}
