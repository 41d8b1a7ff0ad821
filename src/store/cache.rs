//! The on-disk header cache: one file per (account, server, login, mailbox) holding the
//! mailbox's UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ and every [`Summary`], so a start shows the
//! list at once and only a delta sync goes to the server.
//!
//! # Format (version 1)
//! Hand-written binary, little-endian, chosen for decode speed (100k rows are read at every
//! start) and for strict validation:
//! ```text
//! magic      8 bytes  "MRHCACHE"
//! version    u32      FORMAT_VERSION
//! account, server, login, mailbox    str ×4   (checked against the key asked for)
//! uid_validity u32, uid_next u32
//! highest_modseq  u8 tag (0 none, 1 some) [+ u64]
//! row count  u32, then rows in strictly ascending UID order
//! checksum   u64      store::checksum of every byte before it
//!
//! row:  uid u32
//!       bits u8   0 modseq present, 1 date present, 2 \Seen, 3 \Answered, 4 \Flagged,
//!                 5 \Deleted, 6 \Draft, 7 has_attachment
//!       [modseq u64]  internal_date i64  [date i64]  size u64
//!       from, sender, reply_to, to, cc:     addr list
//!       subject str, message_id opt_str
//!       in_reply_to, references, delivered_to, keywords:  str list
//! str      u32 byte length + UTF-8 bytes
//! opt_str  like str; length u32::MAX means None
//! addr     opt_str name + str email
//! lists    u32 count + elements
//! ```
//! Any other content — wrong magic or version, a bad checksum, a length or count running past
//! the end, invalid UTF-8, unknown tag values, trailing bytes, UIDs out of order — reads as
//! [`CacheError::Corrupt`]; the caller discards the file and syncs from scratch.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::PathBuf;

use super::{CacheError, Checksum, create_private_dir, io_error, write_atomic};
use crate::backend::{Address, Flags, Summary};

/// First bytes of every header cache file.
pub const MAGIC: [u8; 8] = *b"MRHCACHE";
/// Bumped on any change to the layout; a file of another version reads as corrupt (and is
/// rebuilt) rather than being misread.
pub const FORMAT_VERSION: u32 = 1;

/// Files larger than this are refused before reading: 2 GiB is ~4M rows, far past any
/// mailbox the list is meant for, and reading more would only exhaust memory.
const MAX_FILE_BYTES: u64 = 2 << 30;
const HEADER_BYTES: usize = MAGIC.len() + 4;
const CHECKSUM_BYTES: usize = 8;
/// The smallest encoded row: uid, bits, internal_date, size, five empty address lists, empty
/// subject, no message-id, four empty string lists. Bounds the row count by the file size.
const MIN_ROW_BYTES: usize = 4 + 1 + 8 + 8 + 5 * 4 + 4 + 4 + 4 * 4;
/// Encoded bytes are handed to the file in pieces this size, so saving 100k rows does not
/// hold a second copy of the whole mailbox in memory.
const WRITE_CHUNK: usize = 256 * 1024;
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

    /// Hex name of this key for a given kind of file (see [`super::hashed_name`]).
    pub(crate) fn hashed(&self, domain: &str) -> String {
        super::hashed_name(domain, &self.parts())
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
    /// version, or written for another key.
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
        // `take` bounds the read even if the file grows after the size check.
        let mut bytes = Vec::with_capacity(len as usize);
        file.take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(io_error(&path))?;
        decode(&bytes, key)
            .map(Some)
            .map_err(|reason| CacheError::Corrupt { path, reason })
    }

    /// Replaces the file for `key` atomically (temp file + fsync + rename), creating the
    /// directory 0700. Concurrent saves of one key leave one of them whole.
    pub fn save(&self, key: &CacheKey, mailbox: &CachedMailbox) -> Result<(), CacheError> {
        let path = self.path_for(key);
        check_encodable(key, mailbox).map_err(|reason| CacheError::Invalid {
            path: path.clone(),
            reason,
        })?;
        create_private_dir(&self.dir)?;
        write_atomic(&self.dir, &path, true, |f| encode(key, mailbox, f))
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

/// Everything the encoder would otherwise have to fail on midway: lengths that do not fit the
/// format, and row order (the decoder rejects anything else, so writing it would only produce a
/// file that reads as corrupt).
fn check_encodable(key: &CacheKey, mb: &CachedMailbox) -> Result<(), String> {
    let fits = |n: usize| n < NONE_LEN as usize;
    for (what, s) in [
        ("account", &key.account),
        ("server", &key.server),
        ("login", &key.login),
        ("mailbox", &key.mailbox),
    ] {
        if !fits(s.len()) {
            return Err(format!("{what} is too long"));
        }
    }
    if !fits(mb.rows.len()) {
        return Err("too many rows".into());
    }
    let mut prev: Option<u32> = None;
    for row in &mb.rows {
        if prev.is_some_and(|p| p >= row.uid) {
            return Err(format!(
                "rows are not in strictly ascending UID order (UID {} after {})",
                row.uid,
                prev.unwrap_or_default()
            ));
        }
        prev = Some(row.uid);
        let addrs = [&row.from, &row.sender, &row.reply_to, &row.to, &row.cc];
        let strs = [
            &row.in_reply_to,
            &row.references,
            &row.delivered_to,
            &row.keywords,
        ];
        let ok = addrs.iter().all(|l| {
            fits(l.len())
                && l.iter()
                    .all(|a| fits(a.email.len()) && a.name.as_ref().is_none_or(|n| fits(n.len())))
        }) && strs
            .iter()
            .all(|l| fits(l.len()) && l.iter().all(|s| fits(s.len())))
            && fits(row.subject.len())
            && row.message_id.as_ref().is_none_or(|m| fits(m.len()));
        if !ok {
            return Err(format!("UID {}: a field is too long to store", row.uid));
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
    // Lengths were checked by `check_encodable`, so the casts below cannot truncate.
    fn str(&mut self, s: &str) {
        self.u32(s.len() as u32);
        self.buf.extend_from_slice(s.as_bytes());
    }
    fn opt_str(&mut self, s: Option<&str>) {
        match s {
            Some(s) => self.str(s),
            None => self.u32(NONE_LEN),
        }
    }
    fn strs(&mut self, v: &[String]) {
        self.u32(v.len() as u32);
        for s in v {
            self.str(s);
        }
    }
    fn addrs(&mut self, v: &[Address]) {
        self.u32(v.len() as u32);
        for a in v {
            self.opt_str(a.name.as_deref());
            self.str(&a.email);
        }
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
    for r in &mb.rows {
        encode_row(&mut e, r);
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
    for l in [&r.from, &r.sender, &r.reply_to, &r.to, &r.cc] {
        e.addrs(l);
    }
    e.str(&r.subject);
    e.opt_str(r.message_id.as_deref());
    for l in [&r.in_reply_to, &r.references, &r.delivered_to, &r.keywords] {
        e.strs(l);
    }
}

// ---------------------------------------------------------------------------------------------
// Decoding

/// A decoding failure: what was wrong, and at which file offset.
struct Bad {
    problem: &'static str,
    at: usize,
}

/// A cursor over the payload; every read is checked against what is left, so no length or
/// count from the file can index out of bounds or size an allocation beyond the file.
struct Reader<'a> {
    rest: &'a [u8],
    /// File offset of the end of the payload, to report offsets.
    end: usize,
}

impl<'a> Reader<'a> {
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

    fn string_of(&mut self, len: u32) -> Result<String, Bad> {
        let at = self.at();
        let Some((bytes, tail)) = self.rest.split_at_checked(len as usize) else {
            return Err(self.bad("string length runs past the end"));
        };
        self.rest = tail;
        match std::str::from_utf8(bytes) {
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

    fn opt_str(&mut self) -> Result<Option<String>, Bad> {
        match self.u32()? {
            NONE_LEN => Ok(None),
            len => self.string_of(len).map(Some),
        }
    }

    /// A count of elements of at least `min_each` bytes each: more than the rest of the file
    /// can hold is corrupt, which also bounds the `Vec::with_capacity` that follows.
    fn count(&mut self, min_each: usize) -> Result<usize, Bad> {
        let n = self.u32()? as usize;
        if n > self.rest.len() / min_each {
            return Err(self.bad("count larger than the rest of the file"));
        }
        Ok(n)
    }

    fn strs(&mut self) -> Result<Vec<String>, Bad> {
        let n = self.count(4)?;
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            v.push(self.str()?);
        }
        Ok(v)
    }

    fn addrs(&mut self) -> Result<Vec<Address>, Bad> {
        let n = self.count(8)?;
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            let name = self.opt_str()?;
            let email = self.str()?;
            v.push(Address { name, email });
        }
        Ok(v)
    }

    fn row(&mut self) -> Result<Summary, Bad> {
        let uid = self.u32()?;
        let bits = self.u8()?;
        let bit = |n: u8| bits & (1 << n) != 0;
        let modseq = if bit(0) { Some(self.u64()?) } else { None };
        let internal_date = self.i64()?;
        let date = if bit(1) { Some(self.i64()?) } else { None };
        let size = self.u64()?;
        let from = self.addrs()?;
        let sender = self.addrs()?;
        let reply_to = self.addrs()?;
        let to = self.addrs()?;
        let cc = self.addrs()?;
        let subject = self.str()?;
        let message_id = self.opt_str()?;
        let in_reply_to = self.strs()?;
        let references = self.strs()?;
        let delivered_to = self.strs()?;
        let keywords = self.strs()?;
        Ok(Summary {
            uid,
            modseq,
            internal_date,
            date,
            size,
            from,
            sender,
            reply_to,
            to,
            cc,
            subject,
            message_id,
            in_reply_to,
            references,
            delivered_to,
            flags: Flags {
                seen: bit(2),
                answered: bit(3),
                flagged: bit(4),
                deleted: bit(5),
                draft: bit(6),
            },
            keywords,
            has_attachment: bit(7),
        })
    }
}

/// Decodes a whole file; the error is the reason it is corrupt.
fn decode(bytes: &[u8], key: &CacheKey) -> Result<CachedMailbox, String> {
    if bytes.len() < HEADER_BYTES + CHECKSUM_BYTES {
        return Err(format!("only {} bytes", bytes.len()));
    }
    let (header, rest) = bytes.split_at(HEADER_BYTES);
    let (magic, version) = header.split_at(MAGIC.len());
    if magic != MAGIC {
        return Err("not a mailroom header cache (bad magic)".into());
    }
    let mut v = [0u8; 4];
    v.copy_from_slice(version);
    let version = u32::from_le_bytes(v);
    if version != FORMAT_VERSION {
        return Err(format!(
            "format version {version}, this build reads {FORMAT_VERSION}"
        ));
    }
    let (payload, stored) = rest.split_at(rest.len() - CHECKSUM_BYTES);
    let mut s = [0u8; CHECKSUM_BYTES];
    s.copy_from_slice(stored);
    let mut sum = Checksum::new();
    sum.update(header);
    sum.update(payload);
    if sum.finish() != u64::from_le_bytes(s) {
        return Err("checksum mismatch (truncated or damaged)".into());
    }
    let mut r = Reader {
        rest: payload,
        end: bytes.len() - CHECKSUM_BYTES,
    };
    decode_payload(&mut r, key).map_err(|b| format!("{} at byte {}", b.problem, b.at))
}

fn decode_payload(r: &mut Reader<'_>, key: &CacheKey) -> Result<CachedMailbox, Bad> {
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
        });
    }
    let uid_validity = r.u32()?;
    let uid_next = r.u32()?;
    let highest_modseq = match r.u8()? {
        0 => None,
        1 => Some(r.u64()?),
        _ => return Err(r.bad("invalid HIGHESTMODSEQ tag")),
    };
    let n = r.count(MIN_ROW_BYTES)?;
    let mut rows: Vec<Summary> = Vec::with_capacity(n);
    for _ in 0..n {
        let at = r.at();
        let row = r.row()?;
        if rows.last().is_some_and(|p| p.uid >= row.uid) {
            return Err(Bad {
                problem: "UIDs not in ascending order",
                at,
            });
        }
        rows.push(row);
    }
    if !r.rest.is_empty() {
        return Err(r.bad("trailing bytes after the last row"));
    }
    Ok(CachedMailbox {
        uid_validity,
        uid_next,
        highest_modseq,
        rows,
    })
}
