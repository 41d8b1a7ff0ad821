//! Files mailroom keeps between runs: the header cache (`cache`) and the body cache (`bodies`).
//!
//! Rules every file here follows (DESIGN.md "Files", PROTOCOL.md "Pitfalls"):
//! - A file name is never built from text a server sent (mailbox names, hosts, logins): it is
//!   the hex of [`hashed_name`] over the identifying fields, so `../../etc/passwd` as a mailbox
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

/// Names a file from identifying fields, some of them server-supplied: 64 lowercase hex digits
/// of SHA-256 over `domain` and each part, every one length-prefixed so that ("ab", "c") and
/// ("a", "bc") differ. Stable across versions and platforms: cache files are found by it, so
/// changing it orphans every existing file. `domain` separates uses (e.g.
/// `"mailroom.headers"`), so two kinds of file never share a name.
///
/// The result contains only `[0-9a-f]`: no separator, no dot, nothing from the inputs.
pub fn hashed_name(domain: &str, parts: &[&[u8]]) -> String {
    let mut msg =
        Vec::with_capacity(16 + domain.len() + parts.iter().map(|p| p.len() + 8).sum::<usize>());
    for part in std::iter::once(domain.as_bytes()).chain(parts.iter().copied()) {
        msg.extend_from_slice(&(part.len() as u64).to_le_bytes());
        msg.extend_from_slice(part);
    }
    hex(&sha256(&msg))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 0xf)] as char);
    }
    s
}

const SHA256_K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

/// SHA-256 (FIPS 180-4), written here because names need a hash that is stable forever and
/// collision-free in practice, and no crate for it is in the tree. Meant for short inputs
/// (file names); [`checksum`] is the fast one for file contents.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let (blocks, rest) = data.as_chunks::<64>();
    for block in blocks {
        sha256_block(&mut h, block);
    }
    // Padding: 0x80, zeros, then the bit length, in one or two final blocks.
    let mut tail = [0u8; 128];
    tail[..rest.len()].copy_from_slice(rest);
    tail[rest.len()] = 0x80;
    let end = if rest.len() < 56 { 64 } else { 128 };
    let bits = (data.len() as u64).wrapping_mul(8);
    tail[end - 8..end].copy_from_slice(&bits.to_be_bytes());
    let (last, _) = tail[..end].as_chunks::<64>();
    for block in last {
        sha256_block(&mut h, block);
    }
    let mut out = [0u8; 32];
    for (o, v) in out.as_chunks_mut::<4>().0.iter_mut().zip(h) {
        *o = v.to_be_bytes();
    }
    out
}

fn sha256_block(h: &mut [u32; 8], block: &[u8; 64]) {
    let mut w = [0u32; 64];
    for (wi, c) in w.iter_mut().zip(block.as_chunks::<4>().0) {
        *wi = u32::from_be_bytes(*c);
    }
    for i in 16..64 {
        let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
        let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16]
            .wrapping_add(s0)
            .wrapping_add(w[i - 7])
            .wrapping_add(s1);
    }
    let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut hh] = *h;
    for (k, wi) in SHA256_K.iter().zip(w) {
        let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
        let ch = (e & f) ^ (!e & g);
        let t1 = hh
            .wrapping_add(s1)
            .wrapping_add(ch)
            .wrapping_add(*k)
            .wrapping_add(wi);
        let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
        let maj = (a & b) ^ (a & c) ^ (b & c);
        let t2 = s0.wrapping_add(maj);
        hh = g;
        g = f;
        f = e;
        e = d.wrapping_add(t1);
        d = c;
        c = b;
        b = a;
        a = t1.wrapping_add(t2);
    }
    for (x, v) in h.iter_mut().zip([a, b, c, d, e, f, g, hh]) {
        *x = x.wrapping_add(v);
    }
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
