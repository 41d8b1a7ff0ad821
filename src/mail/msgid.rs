//! Message-ID lists (References, In-Reply-To, Message-ID) read from untrusted header bytes.
//!
//! A hostile message can carry a megabyte of References (100,000 ids, possible through IMAP
//! APPEND): reading it must cost time linear in the header at most, and what a row keeps must
//! be bounded. [`id_list`] keeps the first id (the thread root: it groups the conversation) and
//! the newest ones (the last is the direct parent), at most `max` in all, deduplicated. It
//! finds the root scanning forward and the newest ids scanning backward, and stops as soon as
//! it has them: no pass over the ids in between, no comparison of every id with every other.

use std::collections::HashSet;

/// A Message-ID longer than this is noise, not an identifier (RFC 5322's line limit).
pub const MAX_ID_LEN: usize = 998;

/// The ids (`<…>`, brackets removed, trimmed) of a header value: the first one and the newest
/// `max - 1` others, in header order, each once. Bytes outside `<…>` are ignored; an id is the
/// text between a `>` and the nearest `<` before it; empty ids and ids longer than
/// [`MAX_ID_LEN`] are skipped. Linear in `value.len()`, and at most `max` ids are allocated.
pub fn id_list(value: &[u8], max: usize) -> Vec<String> {
    if max == 0 {
        return Vec::new();
    }
    let Some((root, root_end)) = Forward::new(value).next() else {
        return Vec::new();
    };
    let mut newest: Vec<&[u8]> = Vec::new();
    if max > 1 {
        // Scanning back never reaches into the root: it ends where the root ends.
        let mut seen: HashSet<&[u8]> = HashSet::with_capacity(max.min(1024));
        seen.insert(root);
        for id in Backward::new(&value[root_end..]) {
            if seen.insert(id) {
                newest.push(id);
                if newest.len() == max - 1 {
                    break;
                }
            }
        }
    }
    let mut out = Vec::with_capacity(1 + newest.len());
    out.push(text(root));
    out.extend(newest.into_iter().rev().map(text));
    out
}

fn text(id: &[u8]) -> String {
    String::from_utf8_lossy(id).trim().to_string()
}

/// An id's bytes if it is one worth keeping.
fn usable(inner: &[u8]) -> Option<&[u8]> {
    let id = inner.trim_ascii();
    (!id.is_empty() && id.len() <= MAX_ID_LEN).then_some(id)
}

/// Ids front to back, with the offset just past each one's `>`.
struct Forward<'a> {
    value: &'a [u8],
    pos: usize,
}

impl<'a> Forward<'a> {
    fn new(value: &'a [u8]) -> Self {
        Forward { value, pos: 0 }
    }
}

impl<'a> Iterator for Forward<'a> {
    type Item = (&'a [u8], usize);

    fn next(&mut self) -> Option<Self::Item> {
        let mut open: Option<usize> = None;
        while self.pos < self.value.len() {
            let i = self.pos;
            self.pos += 1;
            match self.value[i] {
                b'<' => open = Some(i + 1),
                b'>' => {
                    if let Some(start) = open.take()
                        && let Some(id) = usable(&self.value[start..i])
                    {
                        return Some((id, i + 1));
                    }
                }
                _ => {}
            }
        }
        None
    }
}

/// Ids back to front (the mirror of [`Forward`]: the same ids, in reverse order).
struct Backward<'a> {
    value: &'a [u8],
    end: usize,
}

impl<'a> Backward<'a> {
    fn new(value: &'a [u8]) -> Self {
        Backward {
            value,
            end: value.len(),
        }
    }
}

impl<'a> Iterator for Backward<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<Self::Item> {
        let mut close: Option<usize> = None;
        while self.end > 0 {
            self.end -= 1;
            let i = self.end;
            match self.value[i] {
                b'>' => close = Some(i),
                b'<' => {
                    if let Some(stop) = close.take()
                        && let Some(id) = usable(&self.value[i + 1..stop])
                    {
                        return Some(id);
                    }
                }
                _ => {}
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_and_newest_in_order_deduplicated() {
        assert_eq!(id_list(b"<a@x> <b@x>\r\n <a@x>", 10), ["a@x", "b@x"]);
        assert_eq!(
            id_list(b"<a@x> <b@x> <c@x> <b@x>", 10),
            ["a@x", "c@x", "b@x"]
        );
        assert_eq!(id_list(b" < a@x > junk <b@x>", 1), ["a@x"]);
        assert_eq!(id_list(b"<a <b@x> <> <c@x", 10), ["b@x"]);
        assert!(id_list(b"<unterminated", 5).is_empty());
        assert!(id_list(b"", 5).is_empty());
        assert!(id_list(b"<a@x>", 0).is_empty());
        let long = format!("<{}> <ok@x>", "y".repeat(MAX_ID_LEN + 1));
        assert_eq!(id_list(long.as_bytes(), 5), ["ok@x"]);
        assert_eq!(
            id_list("<é@x> <\u{ff}@x>".as_bytes(), 5),
            ["é@x", "\u{ff}@x"]
        );
        assert_eq!(id_list(b"<\xff@x>", 5), ["\u{FFFD}@x"]);
    }

    #[test]
    fn keeps_the_root_and_the_newest_when_there_are_too_many() {
        let many: String = (0..500).map(|i| format!("<{i}@x> ")).collect();
        let v = id_list(many.as_bytes(), 100);
        assert_eq!(v.len(), 100);
        assert_eq!(v[0], "0@x");
        assert_eq!(v[1], "401@x");
        assert_eq!(v[99], "499@x");
    }

    #[test]
    fn a_megabyte_of_references_keeps_the_root_and_the_parent() {
        let mut big = b"<root@x>".to_vec();
        for i in 0..100_000 {
            big.extend_from_slice(if i % 10 == 0 { b"\r\n " } else { b" " });
            big.extend_from_slice(format!("<r{i}@x>").as_bytes());
        }
        big.extend_from_slice(b" <parent@x>");
        assert!(big.len() > 1_000_000);
        let v = id_list(&big, 50);
        assert_eq!(v.len(), 50);
        assert_eq!(v[0], "root@x");
        assert_eq!(v[48], "r99999@x");
        assert_eq!(v[49], "parent@x");
        assert_eq!(id_list(&big, usize::MAX).len(), 100_002);
        let same = b"<root@x> ".repeat(100_000);
        assert_eq!(id_list(&same, 50), ["root@x"]);
    }
}
