//! Dovecot's on-disk state of one Maildir folder: `dovecot-uidlist`, `dovecot-keywords`, and
//! the flags in a message's file name.

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Sub {
    New,
    Cur,
}

impl Sub {
    pub(super) fn name(self) -> &'static str {
        match self {
            Sub::New => "new",
            Sub::Cur => "cur",
        }
    }
}

/// Where a message file is right now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Located {
    pub(super) sub: Sub,
    pub(super) name: String,
}

impl Located {
    pub(super) fn cur(name: String) -> Self {
        Located {
            sub: Sub::Cur,
            name,
        }
    }
}

/// What one mailbox looked like at its last read.
#[derive(Debug)]
pub(super) struct MailboxIndex {
    pub(super) dir: PathBuf,
    pub(super) uidlist: Uidlist,
    pub(super) files: BTreeMap<u32, Located>,
    pub(super) keywords: KeywordTable,
}

#[derive(Debug, Clone)]
pub(super) struct UidRecord {
    /// Extension fields (`W1234`, `S1200`, `G…`), kept verbatim for Dovecot.
    pub(super) ext: Vec<String>,
    pub(super) base: String,
}

/// `dovecot-uidlist`, version 3.
#[derive(Debug, Clone)]
pub(super) struct Uidlist {
    pub(super) uid_validity: u32,
    pub(super) next_uid: u32,
    pub(super) guid: String,
    /// Header fields we do not interpret, kept verbatim.
    pub(super) header_ext: Vec<String>,
    pub(super) records: BTreeMap<u32, UidRecord>,
    pub(super) by_base: HashMap<String, u32>,
}

impl Uidlist {
    pub(super) fn new() -> Self {
        let now = unix_secs(SystemTime::now());
        Uidlist {
            uid_validity: u32::try_from(now).unwrap_or(1).max(1),
            next_uid: 1,
            guid: new_guid(),
            header_ext: Vec::new(),
            records: BTreeMap::new(),
            by_base: HashMap::new(),
        }
    }

    pub(super) fn insert(&mut self, uid: u32, base: String, ext: Vec<String>) {
        // A file listed again under a newer UID replaces its old record, as in Dovecot.
        if let Some(&old_uid) = self.by_base.get(&base)
            && old_uid != uid
        {
            self.records.remove(&old_uid);
        }
        // A UID listed again for another file: the earlier file loses it.
        if let Some(old) = self.records.get(&uid)
            && old.base != base
        {
            self.by_base.remove(&old.base);
        }
        self.by_base.insert(base.clone(), uid);
        self.records.insert(uid, UidRecord { ext, base });
        self.next_uid = self.next_uid.max(uid.saturating_add(1));
    }

    pub(super) fn remove(&mut self, uid: u32) {
        if let Some(rec) = self.records.remove(&uid) {
            self.by_base.remove(&rec.base);
        }
    }

    /// Parses versions 3 (Dovecot ≥ 1.1) and 1 (Courier, old Dovecot). `Ok(None)` for an
    /// empty file. A last line without its newline is being appended right now: skipped.
    pub(super) fn parse(text: &str) -> Result<Option<Uidlist>, String> {
        let complete = match text.rfind('\n') {
            Some(i) => &text[..=i],
            None => return Ok(None),
        };
        let mut lines = complete.lines();
        let Some(header) = lines.next() else {
            return Ok(None);
        };
        let mut ul = Uidlist {
            uid_validity: 0,
            next_uid: 1,
            guid: String::new(),
            header_ext: Vec::new(),
            records: BTreeMap::new(),
            by_base: HashMap::new(),
        };
        let (version, rest) = header
            .split_once(' ')
            .ok_or_else(|| "corrupted header".to_string())?;
        match version {
            "3" => {
                for field in rest.split(' ').filter(|f| !f.is_empty()) {
                    let (key, value) =
                        field.split_at(field.chars().next().map_or(0, char::len_utf8));
                    match key {
                        "V" => ul.uid_validity = value.parse().map_err(|_| "bad V field")?,
                        "N" => ul.next_uid = value.parse().map_err(|_| "bad N field")?,
                        "G" => ul.guid = value.to_string(),
                        _ => ul.header_ext.push(field.to_string()),
                    }
                }
            }
            "1" => {
                let mut it = rest.split_whitespace();
                ul.uid_validity = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .ok_or("bad version 1 header")?;
                ul.next_uid = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .ok_or("bad version 1 header")?;
            }
            v => return Err(format!("unsupported uidlist version {v:?}")),
        }
        if ul.uid_validity == 0 {
            return Err("header has no UIDVALIDITY".to_string());
        }
        if ul.guid.len() != 32 || !ul.guid.bytes().all(|b| b.is_ascii_hexdigit()) {
            // Dovecot adds a missing GUID on its next rewrite; so do we.
            ul.guid = new_guid();
        }
        let header_next = ul.next_uid.max(1);
        for line in lines {
            let Some((uid, ext, file)) = parse_record(line, version == "3") else {
                // Dovecot would call the file broken and rebuild it; keeping the lines we
                // understand preserves more UIDs.
                continue;
            };
            ul.insert(uid, base_of(file).to_string(), ext);
        }
        ul.next_uid = ul.next_uid.max(header_next);
        Ok(Some(ul))
    }

    pub(super) fn render(&self) -> String {
        let mut out = format!("3 V{} N{} G{}", self.uid_validity, self.next_uid, self.guid);
        for f in &self.header_ext {
            out.push(' ');
            out.push_str(f);
        }
        out.push('\n');
        for (uid, rec) in &self.records {
            out.push_str(&uid.to_string());
            for e in &rec.ext {
                out.push(' ');
                out.push_str(e);
            }
            out.push_str(" :");
            out.push_str(&rec.base);
            out.push('\n');
        }
        out
    }
}

/// `<uid> [<ext>…] :<file>` (v3) or `<uid> <file>` (v1).
pub(super) fn parse_record(line: &str, v3: bool) -> Option<(u32, Vec<String>, &str)> {
    let (uid, mut rest) = line.split_once(' ')?;
    let uid: u32 = uid.parse().ok().filter(|&u| u != 0 && u != u32::MAX)?;
    let mut ext = Vec::new();
    let file = if v3 {
        loop {
            rest = rest.trim_start_matches(' ');
            if let Some(file) = rest.strip_prefix(':') {
                break file;
            }
            if rest.is_empty() {
                return None;
            }
            let end = rest.find(' ').unwrap_or(rest.len());
            let field = &rest[..end];
            // Dovecot's extension keys are uppercase letters; anything else is dropped.
            if field.starts_with(|c: char| c.is_ascii_uppercase()) {
                ext.push(field.to_string());
            }
            rest = &rest[end..];
        }
    } else {
        rest.trim()
    };
    (!file.is_empty() && !file.contains('/')).then_some((uid, ext, file))
}

pub(super) fn new_guid() -> String {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};
    // RandomState is seeded from the OS; two of them give 128 unpredictable-enough bits
    // for an identifier that only has to be unique.
    let mut parts = [0u64; 2];
    for (i, p) in parts.iter_mut().enumerate() {
        let mut h = RandomState::new().build_hasher();
        h.write_u128(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos(),
        );
        h.write_u32(std::process::id());
        h.write_usize(i);
        *p = h.finish();
    }
    format!("{:016x}{:016x}", parts[0], parts[1])
}

/// `dovecot-keywords`: slot `i` is the letter `'a' + i`.
#[derive(Debug, Clone, Default)]
pub(super) struct KeywordTable {
    pub(super) slots: [Option<String>; MAX_KEYWORDS],
    pub(super) mtime: Option<SystemTime>,
}

impl KeywordTable {
    pub(super) fn parse(text: &str) -> Self {
        let mut t = KeywordTable::default();
        for line in text.lines() {
            let Some((idx, name)) = line.split_once(' ') else {
                continue;
            };
            let name = name.trim_end_matches('\r');
            if let Ok(i) = idx.parse::<usize>()
                && i < MAX_KEYWORDS
                && !name.is_empty()
            {
                t.slots[i] = Some(name.to_string());
            }
        }
        t
    }

    pub(super) fn render(&self) -> String {
        let mut out = String::new();
        for (i, s) in self.slots.iter().enumerate() {
            if let Some(name) = s {
                out.push_str(&format!("{i} {name}\n"));
            }
        }
        out
    }

    /// Keywords are case-insensitive (RFC 3501), as in Dovecot's table.
    pub(super) fn index_of(&self, name: &str) -> Option<u8> {
        self.slots
            .iter()
            .position(|s| s.as_deref().is_some_and(|s| s.eq_ignore_ascii_case(name)))
            .map(|i| i as u8)
    }

    pub(super) fn name(&self, idx: u8) -> Option<&str> {
        self.slots.get(idx as usize)?.as_deref()
    }

    pub(super) fn free_slot(&self) -> Option<u8> {
        self.slots.iter().position(Option::is_none).map(|i| i as u8)
    }
}

/// The flags part of a file name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Info {
    pub(super) flags: Flags,
    /// Keyword slots (0 = `a`).
    pub(super) keywords: Vec<u8>,
    /// Flag letters we do not interpret (`P`, …), kept as found.
    pub(super) other: Vec<u8>,
    /// A further `,…` flag set after ours, kept verbatim.
    pub(super) tail: String,
}

impl Info {
    pub(super) fn parse(name: &str) -> Info {
        let mut info = Info {
            flags: Flags::default(),
            keywords: Vec::new(),
            other: Vec::new(),
            tail: String::new(),
        };
        let Some((_, rest)) = name.split_once(':') else {
            return info;
        };
        let Some(letters) = rest.strip_prefix("2,") else {
            return info;
        };
        let (letters, tail) = match letters.find(',') {
            Some(i) => letters.split_at(i),
            None => (letters, ""),
        };
        info.tail = tail.to_string();
        for b in letters.bytes() {
            match b {
                b'D' => info.flags.draft = true,
                b'F' => info.flags.flagged = true,
                b'R' => info.flags.answered = true,
                b'S' => info.flags.seen = true,
                b'T' => info.flags.deleted = true,
                b'a'..=b'z' => info.keywords.push(b - b'a'),
                b if b.is_ascii_graphic() => info.other.push(b),
                _ => {}
            }
        }
        info
    }

    /// `<base>:2,<letters>` with letters unique and in ASCII order.
    pub(super) fn render(&self, base: &str) -> String {
        let mut letters: Vec<u8> = self.other.clone();
        for (on, l) in [
            (self.flags.draft, b'D'),
            (self.flags.flagged, b'F'),
            (self.flags.answered, b'R'),
            (self.flags.seen, b'S'),
            (self.flags.deleted, b'T'),
        ] {
            if on {
                letters.push(l);
            }
        }
        letters.extend(
            self.keywords
                .iter()
                .filter(|&&k| (k as usize) < MAX_KEYWORDS)
                .map(|k| b'a' + k),
        );
        letters.sort_unstable();
        letters.dedup();
        let mut out = String::with_capacity(base.len() + letters.len() + 4 + self.tail.len());
        out.push_str(base);
        out.push_str(":2,");
        out.extend(letters.into_iter().map(char::from));
        out.push_str(&self.tail);
        out
    }
}
