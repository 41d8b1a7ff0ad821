//! The untagged responses of a sync's `UID FETCH` of summaries, read straight into rows.
//!
//! `uid_fetch` of the imap crate parses every response into a tree of vectors and strings
//! (dozens of allocations a message) before [`summary`] takes it apart again. This reads the
//! raw bytes of [`Session::run`](imap::Session::run) instead (the crate's reader still parses
//! each response once, to find the tagged completion), borrows every string from them, and
//! hands the values of each wanted message to `summary::summary_of`, the mapping the
//! crate's parse goes through too: the rows are the same, byte for byte (see the
//! differential tests here and in `tests/servers/fetch_parse_testbed.rs`).
//!
//! The grammar is the imap crate's (`imap-proto`) for what [`summary::fetch_items`] asks
//! for: `UID`, `FLAGS`, `INTERNALDATE`, `RFC822.SIZE`, `ENVELOPE`, `BODY[section]<origin>`,
//! `MODSEQ`, in any order, and the few other items it knows (`RFC822*`, `BODYSTRUCTURE`,
//! Gmail's) skipped over. Strings are quoted (kept as sent, escapes included, as the crate
//! keeps them), literals or NIL. Other untagged responses the crate read as unsolicited
//! (`EXISTS`, `RECENT`, `EXPUNGE`, `OK`, `BYE`, `FLAGS`, `STATUS`, `VANISHED`, `METADATA`)
//! are skipped; any other response is an error, as it was.
//!
//! Never a panic, never a loop that does not advance, never an allocation sized by a number
//! from the server: a literal's length is checked against the bytes that arrived, nesting
//! is either fixed by the grammar or skipped without recursion.

use super::summary::{self, RawAddress, RawEnvelope, RawFetch, Scratch};
use crate::message::{Flags, Keywords, Summary};

/// A response that is not what a FETCH of summaries answers: where and what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed response at byte {offset}: {what}")]
pub struct Malformed {
    pub offset: usize,
    pub what: &'static str,
}

type Result<T> = std::result::Result<T, Malformed>;

/// INTERNALDATE's format (RFC 3501 `date-time`), as the imap crate reads it.
const DATE_TIME_FORMAT: &str = "%d-%b-%Y %H:%M:%S %z";

/// The rows of the FETCH responses in `data` (the untagged responses of one command, without
/// its tagged completion) whose UID `wanted` accepts, in the order they came. A response
/// without a UID is skipped, as are the other untagged responses named above.
pub fn rows(data: &[u8], wanted: impl Fn(u32) -> bool) -> Result<Vec<Summary>> {
    let mut p = Parser { b: data, i: 0 };
    let mut out = Vec::new();
    let mut buf = Buffers::default();
    while p.i < p.b.len() {
        if let Some(fetch) = p.response(&mut buf)?
            && fetch.uid.is_some_and(&wanted)
        {
            out.push(fetch.summary(&mut buf));
        }
    }
    Ok(out)
}

/// What one FETCH response held, with its address lists in [`Buffers::addresses`].
struct Fetch<'a> {
    uid: Option<u32>,
    flags: Flags,
    modseq: Option<u64>,
    /// The first INTERNALDATE's text.
    internal_date: Option<&'a str>,
    size: Option<u32>,
    envelope: Option<Envelope<'a>>,
    header: Option<&'a [u8]>,
}

/// The strings of the first ENVELOPE and where its five address lists are.
struct Envelope<'a> {
    date: Option<&'a [u8]>,
    subject: Option<&'a [u8]>,
    lists: [(usize, usize); 5],
    in_reply_to: Option<&'a [u8]>,
    message_id: Option<&'a [u8]>,
}

/// Reused from one response to the next.
#[derive(Default)]
struct Buffers<'a> {
    addresses: Vec<RawAddress<'a>>,
    keywords: Vec<&'a str>,
    scratch: Scratch,
}

impl Fetch<'_> {
    fn summary(self, buf: &mut Buffers<'_>) -> Summary {
        let Buffers {
            addresses,
            keywords,
            scratch,
        } = buf;
        let list = |(s, e): (usize, usize)| addresses.get(s..e).unwrap_or_default();
        let envelope = self.envelope.map(|e| RawEnvelope {
            date: e.date,
            subject: e.subject,
            from: list(e.lists[0]),
            sender: list(e.lists[1]),
            reply_to: list(e.lists[2]),
            to: list(e.lists[3]),
            cc: list(e.lists[4]),
            in_reply_to: e.in_reply_to,
            message_id: e.message_id,
        });
        let internal_date = self
            .internal_date
            .and_then(|d| chrono::DateTime::parse_from_str(d, DATE_TIME_FORMAT).ok())
            .map(|d| d.timestamp())
            .unwrap_or(0);
        let raw = RawFetch {
            uid: self.uid.unwrap_or(0),
            flags: self.flags,
            keywords: Keywords::new(keywords.iter()),
            modseq: self.modseq,
            internal_date,
            size: self.size,
            envelope,
            header: self.header,
        };
        summary::summary_of(raw, scratch)
    }
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
}

fn is_char(c: u8) -> bool {
    (0x01..=0x7f).contains(&c)
}

/// `ATOM-CHAR`: any CHAR but `(){ `, controls, `%*"\]`.
fn is_atom_char(c: u8) -> bool {
    is_char(c)
        && !matches!(
            c,
            b'(' | b')' | b'{' | b' ' | 0..=31 | b'%' | b'*' | b'"' | b'\\' | b']'
        )
}

/// `ASTRING-CHAR`: an atom char or `]`.
fn is_astring_char(c: u8) -> bool {
    is_atom_char(c) || c == b']'
}

impl<'a> Parser<'a> {
    fn fail<T>(&self, what: &'static str) -> Result<T> {
        Err(Malformed {
            offset: self.i,
            what,
        })
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: u8, what: &'static str) -> Result<()> {
        if self.eat(c) { Ok(()) } else { self.fail(what) }
    }

    /// Consumes `word` (ASCII, any case) when it comes next.
    fn word(&mut self, word: &[u8]) -> bool {
        let end = self.i + word.len();
        match self.b.get(self.i..end) {
            Some(s) if s.eq_ignore_ascii_case(word) => {
                self.i = end;
                true
            }
            _ => false,
        }
    }

    fn take_while(&mut self, f: impl Fn(u8) -> bool) -> &'a [u8] {
        let start = self.i;
        while self.peek().is_some_and(&f) {
            self.i += 1;
        }
        &self.b[start..self.i]
    }

    fn crlf(&mut self) -> Result<()> {
        if self.word(b"\r\n") {
            Ok(())
        } else {
            self.fail("expected the end of the line")
        }
    }

    fn digits(&mut self) -> Result<&'a [u8]> {
        let d = self.take_while(|c| c.is_ascii_digit());
        if d.is_empty() {
            return self.fail("expected a number");
        }
        Ok(d)
    }

    fn number(&mut self) -> Result<u32> {
        let d = self.digits()?;
        match std::str::from_utf8(d).ok().and_then(|s| s.parse().ok()) {
            Some(n) => Ok(n),
            None => self.fail("number out of range"),
        }
    }

    fn number64(&mut self) -> Result<u64> {
        let d = self.digits()?;
        match std::str::from_utf8(d).ok().and_then(|s| s.parse().ok()) {
            Some(n) => Ok(n),
            None => self.fail("number out of range"),
        }
    }

    /// `quoted`: the bytes between the quotes as sent (escapes kept, as the imap crate keeps
    /// them); 7-bit text, `\` only before `\` or `"`.
    fn quoted(&mut self) -> Result<&'a [u8]> {
        self.expect(b'"', "expected a string")?;
        let start = self.i;
        loop {
            match self.peek() {
                Some(b'"') => {
                    let s = &self.b[start..self.i];
                    self.i += 1;
                    return Ok(s);
                }
                Some(b'\\') => {
                    self.i += 1;
                    if !(self.eat(b'\\') || self.eat(b'"')) {
                        return self.fail("bad escape in a quoted string");
                    }
                }
                Some(c) if is_char(c) && c != b'\r' && c != b'\n' => self.i += 1,
                Some(_) => return self.fail("bad byte in a quoted string"),
                None => return self.fail("unterminated quoted string"),
            }
        }
    }

    /// `literal`: `{n}` CRLF and n bytes (`{n+}` too); n is checked against what arrived.
    fn literal(&mut self) -> Result<&'a [u8]> {
        self.expect(b'{', "expected a literal")?;
        let n = self.number()? as usize;
        self.eat(b'+');
        self.expect(b'}', "bad literal")?;
        self.crlf()?;
        if n > self.b.len() - self.i {
            return self.fail("literal longer than the response");
        }
        let s = &self.b[self.i..self.i + n];
        self.i += n;
        Ok(s)
    }

    fn string(&mut self) -> Result<&'a [u8]> {
        match self.peek() {
            Some(b'"') => self.quoted(),
            Some(b'{') => self.literal(),
            _ => self.fail("expected a string"),
        }
    }

    fn nstring(&mut self) -> Result<Option<&'a [u8]>> {
        if self.word(b"NIL") {
            return Ok(None);
        }
        self.string().map(Some)
    }

    fn astring(&mut self) -> Result<&'a [u8]> {
        let atom = self.take_while(is_astring_char);
        if atom.is_empty() {
            self.string()
        } else {
            Ok(atom)
        }
    }

    /// One response: `Some` for a FETCH, `None` for one skipped.
    fn response(&mut self, buf: &mut Buffers<'a>) -> Result<Option<Fetch<'a>>> {
        if !self.word(b"* ") {
            return self.fail("expected an untagged response");
        }
        if self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.number()?;
            if self.word(b" FETCH ") {
                let fetch = self.msg_atts(buf)?;
                self.end_of_response()?;
                return Ok(Some(fetch));
            }
            if self.word(b" EXISTS") || self.word(b" RECENT") || self.word(b" EXPUNGE") {
                self.end_of_response()?;
                return Ok(None);
            }
            return self.fail("unexpected response");
        }
        // What the imap crate passed on as unsolicited (and the sync dropped).
        let skipped: [&[u8]; 6] = [
            b"OK",
            b"BYE",
            b"FLAGS ",
            b"STATUS ",
            b"VANISHED ",
            b"METADATA ",
        ];
        let start = self.i;
        for word in skipped {
            if self.word(word) {
                if word.ends_with(b" ") || matches!(self.peek(), Some(b' ' | b'\r')) {
                    self.skip_line()?;
                    return Ok(None);
                }
                self.i = start;
            }
        }
        self.fail("unexpected response")
    }

    /// Blanks and the CRLF that end a response.
    fn end_of_response(&mut self) -> Result<()> {
        self.take_while(|c| c == b' ');
        self.crlf()
    }

    /// To the end of the line, across any literal it announces.
    fn skip_line(&mut self) -> Result<()> {
        loop {
            let Some(lf) = self.b[self.i..].iter().position(|&c| c == b'\n') else {
                return self.fail("unterminated response");
            };
            let line = &self.b[self.i..self.i + lf];
            self.i += lf + 1;
            let Some(line) = line.strip_suffix(b"\r") else {
                return self.fail("a line ended without CR");
            };
            let Some(open) = line
                .strip_suffix(b"}")
                .and_then(|l| l.iter().rposition(|&c| c == b'{'))
            else {
                return Ok(());
            };
            let count = &line[open + 1..line.len() - 1];
            let count = count.strip_suffix(b"+").unwrap_or(count);
            let n: usize = match std::str::from_utf8(count).ok().and_then(|s| s.parse().ok()) {
                Some(n) if count.iter().all(u8::is_ascii_digit) => n,
                _ => return Ok(()),
            };
            if n > self.b.len() - self.i {
                return self.fail("literal longer than the response");
            }
            self.i += n;
        }
    }

    /// `( msg-att *(SP msg-att) )`, a blank or more allowed before the `)`.
    fn msg_atts(&mut self, buf: &mut Buffers<'a>) -> Result<Fetch<'a>> {
        buf.addresses.clear();
        buf.keywords.clear();
        let mut f = Fetch {
            uid: None,
            flags: Flags::default(),
            modseq: None,
            internal_date: None,
            size: None,
            envelope: None,
            header: None,
        };
        self.expect(b'(', "expected a FETCH item list")?;
        loop {
            self.msg_att(&mut f, buf)?;
            let blanks = self.take_while(|c| c == b' ').len();
            if self.eat(b')') {
                return Ok(f);
            }
            if blanks != 1 {
                return self.fail("expected a FETCH item");
            }
        }
    }

    fn msg_att(&mut self, f: &mut Fetch<'a>, buf: &mut Buffers<'a>) -> Result<()> {
        if self.word(b"UID ") {
            f.uid = Some(self.number()?);
        } else if self.word(b"FLAGS ") {
            self.flags(f, buf)?;
        } else if self.word(b"INTERNALDATE ") {
            let date = self.nstring()?;
            let Some(date) = date.map(std::str::from_utf8) else {
                return self.fail("INTERNALDATE is NIL");
            };
            let Ok(date) = date else {
                return self.fail("INTERNALDATE is not UTF-8");
            };
            f.internal_date.get_or_insert(date);
        } else if self.word(b"RFC822.SIZE ") {
            f.size = Some(self.number()?);
        } else if self.word(b"RFC822.HEADER ") {
            self.eat(b' ');
            if let Some(h) = self.nstring()? {
                f.header.get_or_insert(h);
            }
        } else if self.word(b"RFC822.TEXT ") || self.word(b"RFC822 ") {
            self.nstring()?;
        } else if self.word(b"ENVELOPE ") {
            let e = self.envelope(buf)?;
            f.envelope.get_or_insert(e);
        } else if self.word(b"MODSEQ ") {
            self.expect(b'(', "expected ( after MODSEQ")?;
            let m = self.number64()?;
            self.expect(b')', "expected ) after MODSEQ")?;
            f.modseq.get_or_insert(m);
        } else if self.word(b"BODY[") {
            let header = self.section()?;
            if self.eat(b'<') {
                self.number()?;
                self.expect(b'>', "expected > after the origin")?;
            }
            self.expect(b' ', "expected a blank after BODY[…]")?;
            if let (true, Some(data)) = (header, self.nstring()?) {
                f.header.get_or_insert(data);
            }
        } else if self.word(b"BODYSTRUCTURE ")
            || self.word(b"BODY ")
            || self.word(b"X-GM-LABELS ")
            || self.word(b"X-GM-MSGID ")
            || self.word(b"X-GM-THRID ")
        {
            self.skip_value()?;
        } else {
            return self.fail("unknown FETCH item");
        }
        Ok(())
    }

    /// `( [flag *(SP flag)] [SP] )`; the flags go into `f.flags` and `buf.keywords`.
    fn flags(&mut self, f: &mut Fetch<'a>, buf: &mut Buffers<'a>) -> Result<()> {
        self.expect(b'(', "expected a flag list")?;
        let mut first = true;
        loop {
            let before = self.i;
            if !first && !self.eat(b' ') {
                break;
            }
            let flag = if self.word(b"\\*") {
                &self.b[before + usize::from(!first)..self.i]
            } else if self.eat(b'\\') {
                let start = self.i - 1;
                self.take_while(is_atom_char);
                &self.b[start..self.i]
            } else {
                self.take_while(is_astring_char)
            };
            if flag.is_empty() {
                // A blank before the `)` is allowed; an empty list too.
                if first {
                    break;
                }
                self.i = before;
                break;
            }
            first = false;
            // Flags are 7-bit: always UTF-8.
            if let Ok(name) = std::str::from_utf8(flag)
                && let Some(k) = summary::add_flag(name, &mut f.flags)
            {
                buf.keywords.push(k);
            }
        }
        self.eat(b' ');
        self.expect(b')', "expected ) after the flags")
    }

    /// `[section]` after `BODY[`: whether it is the message's header (`HEADER`,
    /// `HEADER.FIELDS[.NOT] (…)`), the one section a summary reads.
    fn section(&mut self) -> Result<bool> {
        if self.eat(b']') {
            return Ok(false);
        }
        let mut header = false;
        if self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.number()?;
            while self.eat(b'.') {
                if self.peek().is_some_and(|c| c.is_ascii_digit()) {
                    self.number()?;
                } else {
                    if !self.word(b"MIME") {
                        self.msgtext()?;
                    }
                    break;
                }
            }
        } else {
            header = self.msgtext()?;
        }
        self.expect(b']', "expected ] after the section")?;
        Ok(header)
    }

    /// `HEADER.FIELDS[.NOT] (…)` / `HEADER` (true) / `TEXT` (false).
    fn msgtext(&mut self) -> Result<bool> {
        if self.word(b"HEADER.FIELDS") {
            self.word(b".NOT");
            self.expect(b' ', "expected a blank after HEADER.FIELDS")?;
            self.expect(b'(', "expected a header list")?;
            let mut first = true;
            loop {
                if self.eat(b')') {
                    return Ok(true);
                }
                if !first {
                    self.expect(b' ', "expected a blank in the header list")?;
                    if self.eat(b')') {
                        return Ok(true);
                    }
                }
                self.astring()?;
                first = false;
            }
        }
        if self.word(b"HEADER") {
            return Ok(true);
        }
        if self.word(b"TEXT") {
            return Ok(false);
        }
        self.fail("unknown section")
    }

    /// `( date SP subject SP from SP sender SP reply-to SP to SP cc SP bcc SP in-reply-to SP
    /// message-id )`; the address lists go into `buf.addresses`.
    fn envelope(&mut self, buf: &mut Buffers<'a>) -> Result<Envelope<'a>> {
        self.expect(b'(', "expected an envelope")?;
        let date = self.nstring()?;
        self.expect(b' ', "expected a blank in the envelope")?;
        let subject = self.nstring()?;
        let mut lists = [(0, 0); 5];
        for list in &mut lists {
            self.expect(b' ', "expected a blank in the envelope")?;
            *list = self.addresses(buf)?;
        }
        self.expect(b' ', "expected a blank in the envelope")?;
        self.addresses(buf)?; // Bcc
        self.expect(b' ', "expected a blank in the envelope")?;
        let in_reply_to = self.nstring()?;
        self.expect(b' ', "expected a blank in the envelope")?;
        let message_id = self.nstring()?;
        self.expect(b')', "expected ) after the envelope")?;
        Ok(Envelope {
            date,
            subject,
            lists,
            in_reply_to,
            message_id,
        })
    }

    /// NIL or `( 1*(address [SP]) )`: where in `buf.addresses` the list is.
    fn addresses(&mut self, buf: &mut Buffers<'a>) -> Result<(usize, usize)> {
        let start = buf.addresses.len();
        if self.word(b"NIL") {
            return Ok((start, start));
        }
        self.expect(b'(', "expected an address list")?;
        loop {
            self.expect(b'(', "expected an address")?;
            let name = self.nstring()?;
            self.expect(b' ', "expected a blank in an address")?;
            self.nstring()?; // adl
            self.expect(b' ', "expected a blank in an address")?;
            let mailbox = self.nstring()?;
            self.expect(b' ', "expected a blank in an address")?;
            let host = self.nstring()?;
            self.expect(b')', "expected ) after an address")?;
            buf.addresses.push(RawAddress {
                name,
                mailbox,
                host,
            });
            self.eat(b' ');
            if self.eat(b')') {
                return Ok((start, buf.addresses.len()));
            }
        }
    }

    /// One value of an item this module does not read (a body structure, Gmail's labels):
    /// atoms, strings and nested lists, without recursion.
    fn skip_value(&mut self) -> Result<()> {
        let mut depth = 0usize;
        loop {
            match self.peek() {
                Some(b'(') => {
                    self.i += 1;
                    depth += 1;
                    continue;
                }
                Some(b')') if depth > 0 => {
                    self.i += 1;
                    depth -= 1;
                }
                Some(b'"') => {
                    self.quoted()?;
                }
                Some(b'{') => {
                    self.literal()?;
                }
                Some(c) if c != b' ' && c != b')' && c != b'\r' && c != b'\n' => {
                    self.take_while(|c| {
                        !matches!(c, b' ' | b'(' | b')' | b'"' | b'{' | b'\r' | b'\n')
                    });
                }
                _ => return self.fail("expected a value"),
            }
            if depth == 0 {
                return Ok(());
            }
            // Inside a list: a blank between values, or its end.
            self.eat(b' ');
        }
    }
}

#[cfg(test)]
mod tests;
