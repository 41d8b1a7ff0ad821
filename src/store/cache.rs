//! The on-disk header cache: one file per (account, server, login, mailbox) holding the
//! mailbox's UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ and every [`Summary`], so a start shows the
//! list at once and only a delta sync goes to the server.
//!
//! # Format (version 2)
//! Hand-written binary, little-endian, chosen for load speed (100k rows are read at every
//! start) and strict validation:
//! ```text
//! magic      8 bytes  "MRHCACHE"
//! version    u32      FORMAT_VERSION
//! header     frame:   account, server, login, mailbox: str ×4 (checked against the key
//!                     asked for); uid_validity u32; uid_next u32;
//!                     highest_modseq: u8 tag (0 none, 1 some) [+ u64]; row count u32
//! rows       frame ×  row count, strictly ascending UID
//! checksum   u64      store::checksum of every byte before it
//!
//! frame    u32 byte length + that many bytes, which the contents must fill exactly
//! row      uid u32
//!          bits u8: 0 modseq present, 1 date present, 2 \Seen, 3 \Answered, 4 \Flagged,
//!                   5 \Deleted, 6 \Draft, 7 has_attachment
//!          [modseq u64]  internal_date i64  [date i64]  size u64
//!          keywords: u32 count + str each
//!          text: the rest of the frame, the summary's packed text as it is in memory
//!                (subject, Message-ID, addresses, ids: see `message::packed`)
//! str      u32 byte length + UTF-8 bytes
//! ```
//! Framing rows lets the loader cut the file into blocks of whole rows without decoding them,
//! so it reads in bounded pieces (no second copy of a 50 MB file in memory) while other
//! threads decode. A row's text is copied as one piece after a check of its lengths and
//! UTF-8: one allocation a row, not one a field (version 1 stored each field on its own).
//!
//! Any other content — wrong magic or version, a bad checksum, a length or count running past
//! the end, invalid UTF-8, unknown tag values, trailing bytes, UIDs out of order — reads as
//! [`CacheError::Corrupt`]; the caller discards the file and syncs from scratch.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::sync::mpsc;

use super::{CacheError, Checksum, create_private_dir, io_error, write_atomic};
use crate::message::{Flags, Keywords, Summary};

/// First bytes of every header cache file.
pub const MAGIC: [u8; 8] = *b"MRHCACHE";
/// Bumped on any change to the layout; a file of another version reads as corrupt (and is
/// rebuilt) rather than being misread.
pub const FORMAT_VERSION: u32 = 2;

/// Files larger than this are refused before reading: 1 GiB is ~2M rows, far past any
/// mailbox the list is meant for, and decoded rows take about twice the file size.
const MAX_FILE_BYTES: u64 = 1 << 30;
const PREFIX_BYTES: usize = MAGIC.len() + 4;
const CHECKSUM_BYTES: usize = 8;
/// The smallest encoded row: uid, bits, internal_date, size, no keywords, and the smallest
/// text (ten one-byte fields: empty subject, no Message-ID, eight empty lists).
const MIN_ROW_BYTES: usize = 4 + 1 + 8 + 8 + 4 + 10;
/// The smallest row frame; bounds the row count by the file size.
const MIN_FRAME_BYTES: usize = 4 + MIN_ROW_BYTES;
/// Encoded bytes go to the file in pieces about this size, so saving 100k rows does not
/// hold a second copy of the whole mailbox in memory.
const WRITE_CHUNK: usize = 256 * 1024;
/// Rows are read and decoded in blocks of about this many bytes.
const READ_BLOCK: usize = 256 * 1024;
/// Below this file size threads cost more than they save.
const PARALLEL_MIN_BYTES: u64 = 2 << 20;
const MAX_DECODE_THREADS: usize = 4;
const NONE_LEN: u32 = u32::MAX;

/// Which mailbox a cache file belongs to. All fields may be server- or user-supplied text;
/// they only ever reach the file system hashed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct CacheKey {
    pub account: String,
    /// `host:port`
    pub server: String,
    pub login: String,
    pub mailbox: String,
}

impl CacheKey {
    fn parts(&self) -> [&[u8]; 4] {
        [
            self.account.as_bytes(),
            self.server.as_bytes(),
            self.login.as_bytes(),
            self.mailbox.as_bytes(),
        ]
    }

    /// Hex name of this key for a given kind of file (see [`crate::hash::hashed_name`]).
    pub(crate) fn hashed(&self, domain: &str) -> String {
        crate::hash::hashed_name(domain, &self.parts())
    }
}

/// What the cache remembers of one mailbox.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CachedMailbox {
    pub uid_validity: u32,
    pub uid_next: u32,
    pub highest_modseq: Option<u64>,
    /// Strictly ascending UID.
    pub rows: Vec<Summary>,
}

/// The directory of header cache files.
#[derive(Debug, Clone)]
pub struct HeaderCache {
    dir: PathBuf,
}

impl HeaderCache {
    pub fn new(dir: PathBuf) -> HeaderCache {
        HeaderCache { dir }
    }

    /// `$XDG_CACHE_HOME/mailroom/headers` (or the platform's equivalent); None without a
    /// home directory.
    pub fn default_dir() -> Option<PathBuf> {
        super::default_cache_dir("headers")
    }

    /// The file for `key`: 64 hex digits + `.cache` directly inside the cache directory,
    /// whatever the key's text.
    pub fn path_for(&self, key: &CacheKey) -> PathBuf {
        self.dir
            .join(format!("{}.cache", key.hashed("mailroom.headers")))
    }

    /// Ok(None) when there is no file; Err(Corrupt) for anything malformed, of another format
    /// version, or written for another key; Err(Io) when the file cannot be read (not a reason
    /// to discard it). Files over 2 MiB are decoded on up to four threads.
    pub fn load(&self, key: &CacheKey) -> Result<Option<CachedMailbox>, CacheError> {
        let path = self.path_for(key);
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_error(&path)(e)),
        };
        let len = file.metadata().map_err(io_error(&path))?.len();
        if len > MAX_FILE_BYTES {
            return Err(CacheError::Corrupt {
                path,
                reason: format!("{len} bytes, more than a cache file can be"),
            });
        }
        match load_file(file, len, key) {
            Ok(mb) => Ok(Some(mb)),
            Err(Failure::Io(e)) => Err(io_error(&path)(e)),
            Err(Failure::Corrupt(reason)) => Err(CacheError::Corrupt { path, reason }),
        }
    }

    /// Replaces the file for `key` atomically (temp file + rename), creating the
    /// directory 0700. Concurrent saves of one key leave one of them whole.
    pub fn save(&self, key: &CacheKey, mailbox: &CachedMailbox) -> Result<(), CacheError> {
        let path = self.path_for(key);
        check_encodable(key, mailbox).map_err(|reason| CacheError::Invalid {
            path: path.clone(),
            reason,
        })?;
        create_private_dir(&self.dir)?;
        // Not fsynced: it is a cache. After a power loss a torn file fails its checksum and is
        // rebuilt from the server; the sync path does not wait on the disk.
        write_atomic(&self.dir, &path, false, |f| encode(key, mailbox, f))
    }

    /// Removes the file for `key`; no file is not an error.
    pub fn discard(&self, key: &CacheKey) -> Result<(), CacheError> {
        let path = self.path_for(key);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_error(&path)(e)),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Encoding

fn str_size(s: &str) -> u64 {
    4 + s.len() as u64
}

/// The exact encoded size of a row (without its frame length). Frames hold u32 lengths, and
/// every length and count inside a row is smaller than the row, so this one bound covers all.
fn row_size(r: &Summary) -> u64 {
    4 + 1
        + r.modseq.map_or(0, |_| 8)
        + 8
        + r.date.map_or(0, |_| 8)
        + 8
        + 4
        + r.keywords.iter().map(|k| str_size(k)).sum::<u64>()
        + r.text_bytes().len() as u64
}

/// Everything the encoder would otherwise have to fail on midway: sizes that do not fit the
/// format, and row order (the decoder rejects anything else, so writing it would only produce a
/// file that reads as corrupt).
fn check_encodable(key: &CacheKey, mb: &CachedMailbox) -> Result<(), String> {
    let limit = u64::from(NONE_LEN);
    let header: u64 = [&key.account, &key.server, &key.login, &key.mailbox]
        .into_iter()
        .map(|s| str_size(s))
        .sum::<u64>()
        + 4
        + 4
        + 9
        + 4;
    if header >= limit {
        return Err("the key is too long".into());
    }
    if mb.rows.len() as u64 >= limit {
        return Err("too many rows".into());
    }
    let mut prev: Option<u32> = None;
    for row in &mb.rows {
        if let Some(p) = prev
            && p >= row.uid
        {
            return Err(format!(
                "rows are not in strictly ascending UID order (UID {} after {p})",
                row.uid
            ));
        }
        prev = Some(row.uid);
        if row_size(row) >= limit {
            return Err(format!("UID {}: too large to store", row.uid));
        }
    }
    Ok(())
}

/// Appends to a buffer and hands it to the file (and the checksum) a chunk at a time.
struct Encoder<'a, W: Write> {
    buf: Vec<u8>,
    sum: Checksum,
    out: &'a mut W,
}

// Sizes were checked by `check_encodable`, so the `as u32` casts below cannot truncate.
impl<W: Write> Encoder<'_, W> {
    fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }
    fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    fn i64(&mut self, v: i64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    fn str(&mut self, s: &str) {
        self.u32(s.len() as u32);
        self.buf.extend_from_slice(s.as_bytes());
    }
    /// Writes a frame: a length placeholder, the contents, then the real length over it.
    fn frame(&mut self, contents: impl FnOnce(&mut Self)) {
        let at = self.buf.len();
        self.u32(0);
        contents(self);
        let len = (self.buf.len() - at - 4) as u32;
        self.buf[at..at + 4].copy_from_slice(&len.to_le_bytes());
    }
    fn flush(&mut self) -> io::Result<()> {
        self.sum.update(&self.buf);
        self.out.write_all(&self.buf)?;
        self.buf.clear();
        Ok(())
    }
}

fn encode<W: Write>(key: &CacheKey, mb: &CachedMailbox, out: &mut W) -> io::Result<()> {
    let mut e = Encoder {
        buf: Vec::with_capacity(WRITE_CHUNK + 64 * 1024),
        sum: Checksum::new(),
        out,
    };
    e.buf.extend_from_slice(&MAGIC);
    e.u32(FORMAT_VERSION);
    e.frame(|e| {
        for s in [&key.account, &key.server, &key.login, &key.mailbox] {
            e.str(s);
        }
        e.u32(mb.uid_validity);
        e.u32(mb.uid_next);
        match mb.highest_modseq {
            Some(m) => {
                e.u8(1);
                e.u64(m);
            }
            None => e.u8(0),
        }
        e.u32(mb.rows.len() as u32);
    });
    for r in &mb.rows {
        e.frame(|e| encode_row(e, r));
        if e.buf.len() >= WRITE_CHUNK {
            e.flush()?;
        }
    }
    e.flush()?;
    let sum = std::mem::take(&mut e.sum).finish();
    e.out.write_all(&sum.to_le_bytes())
}

fn encode_row<W: Write>(e: &mut Encoder<'_, W>, r: &Summary) {
    e.u32(r.uid);
    let f = r.flags;
    let bits = u8::from(r.modseq.is_some())
        | u8::from(r.date.is_some()) << 1
        | u8::from(f.seen) << 2
        | u8::from(f.answered) << 3
        | u8::from(f.flagged) << 4
        | u8::from(f.deleted) << 5
        | u8::from(f.draft) << 6
        | u8::from(r.has_attachment) << 7;
    e.u8(bits);
    if let Some(m) = r.modseq {
        e.u64(m);
    }
    e.i64(r.internal_date);
    if let Some(d) = r.date {
        e.i64(d);
    }
    e.u64(r.size);
    e.u32(r.keywords.len() as u32);
    for k in r.keywords.iter() {
        e.str(k);
    }
    e.buf.extend_from_slice(r.text_bytes());
}

// ---------------------------------------------------------------------------------------------
// Decoding

/// Why a load failed: the file could not be read, or what was read is not a valid cache.
enum Failure {
    Io(io::Error),
    Corrupt(String),
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure::Io(e)
    }
}

/// A decoding failure: what was wrong, and at which file offset.
struct Bad {
    problem: &'static str,
    at: usize,
}

impl From<Bad> for Failure {
    fn from(b: Bad) -> Self {
        Failure::Corrupt(format!("{} at byte {}", b.problem, b.at))
    }
}

fn corrupt<T>(reason: impl Into<String>) -> Result<T, Failure> {
    Err(Failure::Corrupt(reason.into()))
}

/// A cursor over bytes held in memory; every read is checked against what is left, so no
/// length or count from the file can index out of bounds or size an allocation beyond it.
struct Reader<'a> {
    rest: &'a [u8],
    /// File offset just past `rest`, to report offsets.
    end: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8], offset: usize) -> Reader<'a> {
        Reader {
            rest: bytes,
            end: offset + bytes.len(),
        }
    }

    fn at(&self) -> usize {
        self.end - self.rest.len()
    }

    fn bad(&self, problem: &'static str) -> Bad {
        Bad {
            problem,
            at: self.at(),
        }
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], Bad> {
        match self.rest.split_first_chunk::<N>() {
            Some((head, tail)) => {
                self.rest = tail;
                Ok(*head)
            }
            None => Err(self.bad("truncated")),
        }
    }

    fn u8(&mut self) -> Result<u8, Bad> {
        self.array::<1>().map(|[b]| b)
    }
    fn u32(&mut self) -> Result<u32, Bad> {
        self.array().map(u32::from_le_bytes)
    }
    fn u64(&mut self) -> Result<u64, Bad> {
        self.array().map(u64::from_le_bytes)
    }
    fn i64(&mut self) -> Result<i64, Bad> {
        self.array().map(i64::from_le_bytes)
    }

    fn bytes(&mut self, len: usize) -> Result<&'a [u8], Bad> {
        let Some((bytes, tail)) = self.rest.split_at_checked(len) else {
            return Err(self.bad("length runs past the end"));
        };
        self.rest = tail;
        Ok(bytes)
    }

    fn string_of(&mut self, len: u32) -> Result<String, Bad> {
        let at = self.at();
        match std::str::from_utf8(self.bytes(len as usize)?) {
            Ok(s) => Ok(s.to_owned()),
            Err(_) => Err(Bad {
                problem: "invalid UTF-8",
                at,
            }),
        }
    }

    fn str(&mut self) -> Result<String, Bad> {
        let len = self.u32()?;
        self.string_of(len)
    }

    /// A string borrowed from the buffer (keywords: interned, so never copied here).
    fn str_ref(&mut self) -> Result<&'a str, Bad> {
        let len = self.u32()?;
        let at = self.at();
        std::str::from_utf8(self.bytes(len as usize)?).map_err(|_| Bad {
            problem: "invalid UTF-8",
            at,
        })
    }

    /// A count of elements of at least `min_each` bytes each: more than the rest can hold is
    /// corrupt, which also bounds the `Vec::with_capacity` that follows.
    fn count(&mut self, min_each: usize) -> Result<usize, Bad> {
        let n = self.u32()? as usize;
        if n > self.rest.len() / min_each {
            return Err(self.bad("count larger than the rest of the file"));
        }
        Ok(n)
    }

    fn finished(&self) -> Result<(), Bad> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(self.bad("frame longer than its contents"))
        }
    }

    /// One row frame's contents: the numbers, the keywords, then the packed text to the end.
    fn row(&mut self) -> Result<Summary, Bad> {
        let uid = self.u32()?;
        let bits = self.u8()?;
        let bit = |n: u8| bits & (1 << n) != 0;
        let modseq = if bit(0) { Some(self.u64()?) } else { None };
        let internal_date = self.i64()?;
        let date = if bit(1) { Some(self.i64()?) } else { None };
        let size = self.u64()?;
        let n = self.count(4)?;
        let mut keywords = Vec::with_capacity(n);
        for _ in 0..n {
            keywords.push(self.str_ref()?);
        }
        let at = self.at();
        let text = self.bytes(self.rest.len())?;
        let mut s = Summary::default();
        (s.uid, s.modseq, s.internal_date, s.date, s.size) =
            (uid, modseq, internal_date, date, size);
        s.flags = Flags {
            seen: bit(2),
            answered: bit(3),
            flagged: bit(4),
            deleted: bit(5),
            draft: bit(6),
        };
        s.keywords = Keywords::new(keywords);
        s.has_attachment = bit(7);
        s.with_text_bytes(text).ok_or(Bad {
            problem: "malformed summary text",
            at,
        })
    }
}

/// Whole row frames, cut from the file without decoding them.
struct Block {
    bytes: Vec<u8>,
    rows: usize,
    /// File offset of `bytes[0]`.
    offset: usize,
}

/// Decodes a block's rows onto `out`, checking UID order against what `out` already holds.
fn decode_block(block: &Block, out: &mut Vec<Summary>) -> Result<(), Bad> {
    let mut r = Reader::new(&block.bytes, block.offset);
    for _ in 0..block.rows {
        let len = r.u32()? as usize;
        let at = r.at();
        let mut row = Reader::new(r.bytes(len)?, at);
        let summary = row.row()?;
        row.finished()?;
        if out.last().is_some_and(|p| p.uid >= summary.uid) {
            return Err(Bad {
                problem: "UIDs not in ascending order",
                at,
            });
        }
        out.push(summary);
    }
    r.finished()
}

/// The file, read front to back in bounded pieces, checksumming what is consumed.
struct Source {
    file: File,
    /// Read but not yet consumed.
    buf: Vec<u8>,
    /// File offset of `buf[0]`.
    offset: usize,
    /// Where the checksum starts, by the size at open: no length may reach past it.
    limit: usize,
    sum: Checksum,
}

impl Source {
    /// Reads until `buf` holds `want` bytes or the file ends; the caller checks which.
    fn fill(&mut self, want: usize) -> io::Result<()> {
        if let Some(need) = want.checked_sub(self.buf.len())
            && need > 0
        {
            self.buf.reserve(need);
            (&mut self.file)
                .take(need as u64)
                .read_to_end(&mut self.buf)?;
        }
        Ok(())
    }

    /// Makes `end` bytes available, or says the file is truncated.
    fn require(&mut self, end: usize) -> Result<(), Failure> {
        self.fill(end)?;
        if self.buf.len() < end {
            return corrupt(format!(
                "truncated at byte {}",
                self.offset + self.buf.len()
            ));
        }
        Ok(())
    }

    /// Consumes the first `n` (available) bytes.
    fn take(&mut self, n: usize) -> Vec<u8> {
        let rest = self.buf.split_off(n);
        let head = std::mem::replace(&mut self.buf, rest);
        self.sum.update(&head);
        self.offset += n;
        head
    }

    /// The length at the front of a frame starting `at` bytes into `buf` (available), checked
    /// against the file size.
    fn frame_end(&self, at: usize) -> Result<usize, Failure> {
        let Some(&[a, b, c, d]) = self.buf.get(at..at + 4) else {
            return corrupt(format!("truncated at byte {}", self.offset + at));
        };
        let end = at + 4 + u32::from_le_bytes([a, b, c, d]) as usize;
        if self.offset + end > self.limit {
            return corrupt(format!(
                "frame length runs past the end at byte {}",
                self.offset + at
            ));
        }
        Ok(end)
    }

    /// The next block of up to `rows_left` whole row frames, about READ_BLOCK bytes (more when
    /// a single row is larger).
    fn next_block(&mut self, rows_left: &mut usize) -> Result<Option<Block>, Failure> {
        if *rows_left == 0 {
            return Ok(None);
        }
        self.fill(READ_BLOCK)?;
        let (mut cut, mut rows) = (0, 0);
        while rows < *rows_left && cut < READ_BLOCK {
            if self.buf.len() < cut + 4 {
                if rows > 0 {
                    break;
                }
                self.require(cut + 4)?;
            }
            let end = self.frame_end(cut)?;
            if self.buf.len() < end {
                if rows > 0 {
                    break;
                }
                self.require(end)?;
            }
            cut = end;
            rows += 1;
        }
        *rows_left -= rows;
        let offset = self.offset;
        Ok(Some(Block {
            bytes: self.take(cut),
            rows,
            offset,
        }))
    }
}

fn load_file(file: File, len: u64, key: &CacheKey) -> Result<CachedMailbox, Failure> {
    let Some(limit) = (len as usize).checked_sub(CHECKSUM_BYTES) else {
        return corrupt(format!("only {len} bytes"));
    };
    let mut src = Source {
        file,
        buf: Vec::new(),
        offset: 0,
        limit,
        sum: Checksum::new(),
    };
    src.fill(PREFIX_BYTES + 4)?;
    if src.buf.len() < PREFIX_BYTES + 4 {
        return corrupt(format!("only {} bytes", src.buf.len()));
    }
    if src.buf[..MAGIC.len()] != MAGIC {
        return corrupt("not a mailroom header cache (bad magic)");
    }
    let mut version = [0u8; 4];
    version.copy_from_slice(&src.buf[MAGIC.len()..PREFIX_BYTES]);
    let version = u32::from_le_bytes(version);
    if version != FORMAT_VERSION {
        return corrupt(format!(
            "format version {version}, this build reads {FORMAT_VERSION}"
        ));
    }
    let end = src.frame_end(PREFIX_BYTES)?;
    src.require(end)?;
    let header = src.take(end);
    let mut r = Reader::new(&header[PREFIX_BYTES + 4..], PREFIX_BYTES + 4);
    let (uid_validity, uid_next, highest_modseq, count) = decode_header(&mut r, key)?;
    if count > limit.saturating_sub(src.offset) / MIN_FRAME_BYTES {
        return corrupt("row count larger than the file can hold");
    }
    let rows = read_rows(&mut src, count, len)?;
    // Exactly the checksum must remain.
    src.fill(CHECKSUM_BYTES + 1)?;
    if src.buf.len() != CHECKSUM_BYTES {
        return corrupt(format!(
            "{} bytes after the last row, expected the {CHECKSUM_BYTES}-byte checksum",
            src.buf.len()
        ));
    }
    let mut stored = [0u8; CHECKSUM_BYTES];
    stored.copy_from_slice(&src.buf);
    if src.sum.finish() != u64::from_le_bytes(stored) {
        return corrupt("checksum mismatch (damaged file)");
    }
    Ok(CachedMailbox {
        uid_validity,
        uid_next,
        highest_modseq,
        rows,
    })
}

fn decode_header(
    r: &mut Reader<'_>,
    key: &CacheKey,
) -> Result<(u32, u32, Option<u64>, usize), Failure> {
    let at = r.at();
    let account = r.str()?;
    let server = r.str()?;
    let login = r.str()?;
    let mailbox = r.str()?;
    if account != key.account
        || server != key.server
        || login != key.login
        || mailbox != key.mailbox
    {
        // Only a hash collision or a file copied by hand gets here.
        return Err(Bad {
            problem: "file belongs to another account or mailbox",
            at,
        }
        .into());
    }
    let uid_validity = r.u32()?;
    let uid_next = r.u32()?;
    let highest_modseq = match r.u8()? {
        0 => None,
        1 => Some(r.u64()?),
        _ => return Err(r.bad("invalid HIGHESTMODSEQ tag").into()),
    };
    let count = r.u32()? as usize;
    r.finished()?;
    Ok((uid_validity, uid_next, highest_modseq, count))
}

/// Reads `count` rows. Large files are decoded by worker threads a block at a time while this
/// thread reads on; results are appended in block order as they come back.
fn read_rows(src: &mut Source, count: usize, len: u64) -> Result<Vec<Summary>, Failure> {
    let mut rows = Vec::with_capacity(count);
    let mut left = count;
    let threads = if len < PARALLEL_MIN_BYTES {
        0
    } else {
        std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(MAX_DECODE_THREADS)
    };
    if threads < 2 {
        while let Some(block) = src.next_block(&mut left)? {
            decode_block(&block, &mut rows)?;
        }
        return Ok(rows);
    }
    std::thread::scope(|scope| {
        let (done_tx, done_rx) = mpsc::channel::<(usize, Result<Vec<Summary>, Bad>)>();
        let mut jobs = Vec::with_capacity(threads);
        let mut handles = Vec::with_capacity(threads);
        for _ in 0..threads {
            // Two blocks queued per thread bound the memory in flight.
            let (tx, rx) = mpsc::sync_channel::<(usize, Block)>(2);
            let done = done_tx.clone();
            let spawned = std::thread::Builder::new()
                .name("cache-decode".into())
                .spawn_scoped(scope, move || {
                    for (i, block) in rx {
                        let mut out = Vec::with_capacity(block.rows);
                        let r = decode_block(&block, &mut out).map(|()| out);
                        if done.send((i, r)).is_err() {
                            break;
                        }
                    }
                });
            // A thread that cannot be spawned is one fewer; with none, this thread decodes.
            if let Ok(handle) = spawned {
                jobs.push(tx);
                handles.push(handle);
            }
        }
        drop(done_tx);
        let mut waiting = BTreeMap::new();
        let (mut sent, mut next) = (0, 0);
        let mut read = || -> Result<(), Failure> {
            if jobs.is_empty() {
                while let Some(block) = src.next_block(&mut left)? {
                    decode_block(&block, &mut rows)?;
                }
                return Ok(());
            }
            while let Some(block) = src.next_block(&mut left)? {
                if jobs[sent % jobs.len()].send((sent, block)).is_err() {
                    return corrupt("a decoding thread stopped");
                }
                sent += 1;
                while let Ok((i, r)) = done_rx.try_recv() {
                    waiting.insert(i, r);
                }
                append_ready(&mut waiting, &mut next, &mut rows)?;
            }
            Ok(())
        };
        let result = read();
        // Closing the queues lets the threads finish; the loop below ends when all have.
        drop(jobs);
        for (i, r) in done_rx {
            waiting.insert(i, r);
        }
        // Joined here, a panicking decoder (a bug) costs the cache, not the process.
        let panicked = handles.into_iter().any(|h| h.join().is_err());
        result?;
        if panicked {
            return corrupt("a decoding thread panicked");
        }
        append_ready(&mut waiting, &mut next, &mut rows)?;
        if next != sent || rows.len() != count {
            return corrupt("a decoding thread stopped");
        }
        Ok(rows)
    })
}

/// Moves decoded blocks that are next in order onto `rows`, checking UID order across the
/// seam (each block checked its own).
fn append_ready(
    waiting: &mut BTreeMap<usize, Result<Vec<Summary>, Bad>>,
    next: &mut usize,
    rows: &mut Vec<Summary>,
) -> Result<(), Failure> {
    while let Some(entry) = waiting.first_entry() {
        if *entry.key() != *next {
            break;
        }
        let mut block = entry.remove()?;
        *next += 1;
        if let (Some(last), Some(first)) = (rows.last(), block.first())
            && last.uid >= first.uid
        {
            return corrupt(format!(
                "UIDs not in ascending order (UID {} after {})",
                first.uid, last.uid
            ));
        }
        rows.append(&mut block);
    }
    Ok(())
}
