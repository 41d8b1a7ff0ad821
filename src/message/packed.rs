//! The text of a [`Summary`](super::Summary) packed into one shared allocation: subject,
//! Message-ID, the five address lists and the three lists of ids, in that order, each string
//! as a LEB128 length and its UTF-8 bytes.
//!
//! Why: a mailbox mirror of 100,000 summaries held each of these as its own `String` or `Vec`
//! (about fifteen allocations and ~1 KiB a message); packed, a summary is one allocation of
//! its text's size, cloning it (the sync's mirror, the cache, the UI's rows) copies a
//! pointer, and the header cache stores the bytes as they are. The encoding is canonical, so
//! equal texts are equal bytes.
//!
//! ```text
//! text     subject:str  message_id:opt  from sender reply_to to cc:addrs
//!          in_reply_to references delivered_to:strs
//! str      len:varint  bytes (UTF-8)
//! opt      0 (none) | len+1:varint  bytes
//! addr     name:opt  email:str
//! addrs    count:varint  addr*
//! strs     count:varint  str*
//! ```
//! Bytes from outside (the cache file) are checked by [`Text::from_bytes`]; the readers below
//! never index out of bounds whatever the bytes, so a bad text reads as empty, never a panic.

use std::sync::Arc;

use super::Address;

/// Which field of the text; the order is the layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Field {
    Subject = 0,
    MessageId,
    From,
    Sender,
    ReplyTo,
    To,
    Cc,
    InReplyTo,
    References,
    DeliveredTo,
}

/// The shape of each field, in layout order.
const SHAPES: [Shape; 10] = [
    Shape::Str,
    Shape::Opt,
    Shape::Addrs,
    Shape::Addrs,
    Shape::Addrs,
    Shape::Addrs,
    Shape::Addrs,
    Shape::Strs,
    Shape::Strs,
    Shape::Strs,
];

#[derive(Clone, Copy)]
enum Shape {
    Str,
    Opt,
    Addrs,
    Strs,
}

/// The packed text; cloning shares it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct Text(Arc<[u8]>);

impl Default for Text {
    /// The empty text, shared (a summary built field by field starts with it).
    fn default() -> Self {
        static EMPTY: std::sync::OnceLock<Text> = std::sync::OnceLock::new();
        EMPTY.get_or_init(|| TextWriter::new().empty()).clone()
    }
}

impl Text {
    /// The packed bytes, as the header cache stores them.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Checks bytes from outside: every length in bounds, every string UTF-8, nothing after
    /// the last field. None when they are not a text.
    pub(crate) fn from_bytes(bytes: &[u8]) -> Option<Text> {
        let mut c = Cursor(bytes);
        for shape in SHAPES {
            match shape {
                Shape::Str => {
                    c.checked_str()?;
                }
                Shape::Opt => {
                    c.checked_opt()?;
                }
                Shape::Addrs => {
                    for _ in 0..c.varint()? {
                        c.checked_opt()?;
                        c.checked_str()?;
                    }
                }
                Shape::Strs => {
                    for _ in 0..c.varint()? {
                        c.checked_str()?;
                    }
                }
            }
        }
        c.0.is_empty().then(|| Text(Arc::from(bytes)))
    }

    /// The bytes from the start of `field` on.
    fn at(&self, field: Field) -> Cursor<'_> {
        let mut c = Cursor(&self.0);
        for shape in &SHAPES[..field as usize] {
            match shape {
                Shape::Str => c.skip_str(),
                Shape::Opt => c.skip_opt(),
                Shape::Addrs => {
                    for _ in 0..c.varint().unwrap_or(0) {
                        if c.0.is_empty() {
                            break;
                        }
                        c.skip_opt();
                        c.skip_str();
                    }
                }
                Shape::Strs => {
                    for _ in 0..c.varint().unwrap_or(0) {
                        if c.0.is_empty() {
                            break;
                        }
                        c.skip_str();
                    }
                }
            }
        }
        c
    }

    pub(crate) fn str(&self, field: Field) -> &str {
        self.at(field).str()
    }

    pub(crate) fn opt(&self, field: Field) -> Option<&str> {
        self.at(field).opt()
    }

    pub(crate) fn addrs(&self, field: Field) -> Addrs<'_> {
        let mut c = self.at(field);
        let left = c.varint().unwrap_or(0) as usize;
        Addrs { c, left }
    }

    pub(crate) fn strs(&self, field: Field) -> Strs<'_> {
        let mut c = self.at(field);
        let left = c.varint().unwrap_or(0) as usize;
        Strs { c, left }
    }
}

/// Reads a text; on malformed bytes every read yields empty (never a panic).
#[derive(Clone)]
struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn varint(&mut self) -> Option<u32> {
        let mut v: u32 = 0;
        for i in 0..5 {
            let (&b, rest) = self.0.split_first()?;
            self.0 = rest;
            v |= u32::from(b & 0x7f).checked_shl(7 * i)?;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }

    fn bytes(&mut self, len: usize) -> Option<&'a [u8]> {
        if len > self.0.len() {
            self.0 = &[];
            return None;
        }
        let (b, rest) = self.0.split_at(len);
        self.0 = rest;
        Some(b)
    }

    fn str(&mut self) -> &'a str {
        let len = self.varint().unwrap_or(0) as usize;
        self.bytes(len)
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or("")
    }

    fn opt(&mut self) -> Option<&'a str> {
        match self.varint()? {
            0 => None,
            n => {
                let b = self.bytes(n as usize - 1)?;
                std::str::from_utf8(b).ok()
            }
        }
    }

    fn skip_str(&mut self) {
        let len = self.varint().unwrap_or(0) as usize;
        let _ = self.bytes(len);
    }

    fn skip_opt(&mut self) {
        if let Some(n) = self.varint().filter(|&n| n > 0) {
            let _ = self.bytes(n as usize - 1);
        }
    }

    fn checked_str(&mut self) -> Option<()> {
        let len = self.varint()? as usize;
        std::str::from_utf8(self.bytes(len)?).ok().map(|_| ())
    }

    fn checked_opt(&mut self) -> Option<()> {
        match self.varint()? {
            0 => Some(()),
            n => std::str::from_utf8(self.bytes(n as usize - 1)?)
                .ok()
                .map(|_| ()),
        }
    }
}

/// One address of a summary, borrowed from its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddressRef<'a> {
    pub name: Option<&'a str>,
    pub email: &'a str,
}

impl AddressRef<'_> {
    /// "Name <email>" or just "email"; raw, so sanitize before display.
    pub fn display(&self) -> String {
        match self.name {
            Some(n) if !n.is_empty() => format!("{n} <{}>", self.email),
            _ => self.email.to_string(),
        }
    }

    pub fn to_address(&self) -> Address {
        Address {
            name: self.name.map(str::to_string),
            email: self.email.to_string(),
        }
    }
}

/// The addresses of one field of a summary.
#[derive(Clone)]
pub struct Addrs<'a> {
    c: Cursor<'a>,
    left: usize,
}

impl<'a> Addrs<'a> {
    pub fn first(mut self) -> Option<AddressRef<'a>> {
        self.next()
    }

    /// Another iterator over the same addresses, from where this one is.
    pub fn iter(&self) -> Addrs<'a> {
        self.clone()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn to_vec(self) -> Vec<Address> {
        self.map(|a| a.to_address()).collect()
    }
}

impl<'a> Iterator for Addrs<'a> {
    type Item = AddressRef<'a>;

    fn next(&mut self) -> Option<AddressRef<'a>> {
        // A malformed count ends with the bytes (only unchecked bytes can have one).
        if self.left == 0 || self.c.0.is_empty() {
            return None;
        }
        self.left -= 1;
        let name = self.c.opt();
        let email = self.c.str();
        Some(AddressRef { name, email })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for Addrs<'_> {}

impl PartialEq<Vec<Address>> for Addrs<'_> {
    fn eq(&self, other: &Vec<Address>) -> bool {
        self.len() == other.len()
            && self
                .clone()
                .zip(other)
                .all(|(a, b)| a.email == b.email && a.name == b.name.as_deref())
    }
}

impl PartialEq for Addrs<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.clone().eq(other.clone())
    }
}

impl std::fmt::Debug for Addrs<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.clone()).finish()
    }
}

/// The strings of one list field of a summary (Message-IDs, Delivered-To addresses).
#[derive(Clone)]
pub struct Strs<'a> {
    c: Cursor<'a>,
    left: usize,
}

impl<'a> Strs<'a> {
    pub fn to_vec(self) -> Vec<String> {
        self.map(str::to_string).collect()
    }

    /// Another iterator over the same strings, from where this one is.
    pub fn iter(&self) -> Strs<'a> {
        self.clone()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn first(mut self) -> Option<&'a str> {
        self.next()
    }

    pub fn contains(&self, s: &str) -> bool {
        self.clone().any(|x| x == s)
    }
}

impl PartialEq for Strs<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.clone().eq(other.clone())
    }
}

impl<S: AsRef<str>, const N: usize> PartialEq<[S; N]> for Strs<'_> {
    fn eq(&self, other: &[S; N]) -> bool {
        self.clone().eq(other.iter().map(AsRef::as_ref))
    }
}

impl<S: AsRef<str>> PartialEq<Vec<S>> for Strs<'_> {
    fn eq(&self, other: &Vec<S>) -> bool {
        self.clone().eq(other.iter().map(AsRef::as_ref))
    }
}

impl<'a> Iterator for Strs<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        if self.left == 0 || self.c.0.is_empty() {
            return None;
        }
        self.left -= 1;
        Some(self.c.str())
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for Strs<'_> {}

impl std::fmt::Debug for Strs<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.clone()).finish()
    }
}

/// Writes a text field by field, in layout order (the caller's duty: [`Text`]'s constructors
/// below write every field once, in order).
pub(crate) struct TextWriter {
    buf: Vec<u8>,
}

impl TextWriter {
    pub(crate) fn new() -> TextWriter {
        TextWriter {
            buf: Vec::with_capacity(128),
        }
    }

    fn varint(&mut self, mut v: usize) {
        // Lengths are bounded by the sizes of header fields; clamp rather than wrap.
        v = v.min(u32::MAX as usize);
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                self.buf.push(b);
                return;
            }
            self.buf.push(b | 0x80);
        }
    }

    pub(crate) fn str(&mut self, s: &str) {
        let s = clamp(s);
        self.varint(s.len());
        self.buf.extend_from_slice(s.as_bytes());
    }

    pub(crate) fn opt(&mut self, s: Option<&str>) {
        match s {
            None => self.varint(0),
            Some(s) => {
                let s = clamp(s);
                self.varint(s.len() + 1);
                self.buf.extend_from_slice(s.as_bytes());
            }
        }
    }

    pub(crate) fn addrs<'a>(&mut self, list: impl ExactSizeIterator<Item = AddressRef<'a>>) {
        self.varint(list.len());
        for a in list {
            self.opt(a.name);
            self.str(a.email);
        }
    }

    pub(crate) fn strs<'a>(&mut self, list: impl ExactSizeIterator<Item = &'a str>) {
        self.varint(list.len());
        for s in list {
            self.str(s);
        }
    }

    pub(crate) fn finish(self) -> Text {
        Text(Arc::from(self.buf))
    }

    /// Every field empty.
    fn empty(mut self) -> Text {
        self.str("");
        self.opt(None);
        for _ in 0..5 {
            self.addrs(std::iter::empty());
        }
        for _ in 0..3 {
            self.strs(std::iter::empty());
        }
        self.finish()
    }
}

/// A string field of at most `u32::MAX - 1` bytes (cut at a character boundary): no header
/// field comes near, but a length must fit the cache's and the varint's range.
fn clamp(s: &str) -> &str {
    const MAX: usize = (u32::MAX - 1) as usize;
    if s.len() <= MAX {
        return s;
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Text {
        let mut w = TextWriter::new();
        w.str("Grüße, a long subject");
        w.opt(Some("id@x"));
        w.addrs(
            [
                AddressRef {
                    name: Some("Ann"),
                    email: "ann@x",
                },
                AddressRef {
                    name: None,
                    email: "bob@y",
                },
            ]
            .into_iter(),
        );
        for _ in 0..4 {
            w.addrs(std::iter::empty());
        }
        w.strs(["a@x"].into_iter());
        w.strs(["r1@x", "r2@x"].into_iter());
        w.strs(std::iter::empty());
        w.finish()
    }

    #[test]
    fn each_field_reads_back() {
        let t = sample();
        assert_eq!(t.str(Field::Subject), "Grüße, a long subject");
        assert_eq!(t.opt(Field::MessageId), Some("id@x"));
        let from: Vec<_> = t.addrs(Field::From).collect();
        assert_eq!(from.len(), 2);
        assert_eq!(from[0].display(), "Ann <ann@x>");
        assert_eq!(from[1].display(), "bob@y");
        assert_eq!(t.addrs(Field::Cc).len(), 0);
        assert_eq!(t.strs(Field::InReplyTo).to_vec(), ["a@x"]);
        assert_eq!(t.strs(Field::References).to_vec(), ["r1@x", "r2@x"]);
        assert_eq!(t.strs(Field::DeliveredTo).count(), 0);
    }

    #[test]
    fn long_strings_take_multi_byte_lengths() {
        let long = "x".repeat(70_000);
        let mut w = TextWriter::new();
        w.str(&long);
        w.opt(None);
        for _ in 0..5 {
            w.addrs(std::iter::empty());
        }
        for _ in 0..3 {
            w.strs(std::iter::empty());
        }
        let t = w.finish();
        assert_eq!(t.str(Field::Subject), long);
        assert_eq!(t.opt(Field::MessageId), None);
        assert!(Text::from_bytes(t.as_bytes()).is_some());
    }

    #[test]
    fn bytes_from_outside_are_checked_and_never_panic() {
        let good = sample();
        let bytes = good.as_bytes();
        assert!(Text::from_bytes(bytes).is_some_and(|t| t == good));
        // Every truncation and every single-byte corruption either is refused or reads
        // without a panic.
        for cut in 0..bytes.len() {
            assert!(Text::from_bytes(&bytes[..cut]).is_none(), "cut at {cut}");
        }
        let mut extra = bytes.to_vec();
        extra.push(0);
        assert!(Text::from_bytes(&extra).is_none());
        for i in 0..bytes.len() {
            for v in [0u8, 0x7f, 0x80, 0xff] {
                let mut b = bytes.to_vec();
                b[i] = v;
                if let Some(t) = Text::from_bytes(&b) {
                    let _ = (t.str(Field::Subject), t.addrs(Field::From).count());
                }
                // An unchecked text (never built this way outside tests) reads as empty.
                let t = Text(Arc::from(b));
                let _ = t.strs(Field::DeliveredTo).to_vec();
                let _ = t.addrs(Field::Cc).to_vec();
            }
        }
    }
}
