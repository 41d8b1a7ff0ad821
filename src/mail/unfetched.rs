//! Parts of a message that were not downloaded, and the streaming decoders that save them.
//!
//! A big message is read by its structure (see `imap::parts`): its header and text parts are
//! fetched, and every other part above the size limit is replaced by a *placeholder*: its own
//! MIME header, an empty body, and one private header [`HEADER`] naming the part (IMAP section
//! number), its size on the wire and its transfer encoding. The result is a valid, small MIME
//! message, so the reader, the attachment list, threading and the body cache keep working on
//! raw bytes; saving a placeholder attachment streams the part from the server.

use std::fmt;

/// The private header of a placeholder part.
pub const HEADER: &str = "X-Mailroom-Unfetched";

/// A part's Content-Transfer-Encoding, as far as decoding is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferEncoding {
    Base64,
    QuotedPrintable,
    /// 7bit, 8bit, binary and anything unknown: the bytes as they are.
    Identity,
}

impl TransferEncoding {
    pub fn parse(name: &str) -> TransferEncoding {
        match name.trim().to_ascii_lowercase().as_str() {
            "base64" => TransferEncoding::Base64,
            "quoted-printable" => TransferEncoding::QuotedPrintable,
            _ => TransferEncoding::Identity,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            TransferEncoding::Base64 => "base64",
            TransferEncoding::QuotedPrintable => "quoted-printable",
            TransferEncoding::Identity => "identity",
        }
    }
}

/// What a placeholder says about the part it stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unfetched {
    /// The IMAP section number (`2`, `1.3`): digits and dots only.
    pub section: String,
    /// Size of the part on the wire (encoded), from BODYSTRUCTURE.
    pub octets: u64,
    pub encoding: TransferEncoding,
}

/// Whether `s` is an IMAP section number such as `2` or `1.3` (so it can go on the wire).
pub fn is_section(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.split('.')
            .all(|n| !n.is_empty() && n.len() <= 9 && n.bytes().all(|b| b.is_ascii_digit()))
}

impl Unfetched {
    /// The header line (with CRLF) that marks a placeholder.
    pub fn header_line(&self) -> String {
        format!(
            "{HEADER}: part={}; octets={}; encoding={}\r\n",
            self.section,
            self.octets,
            self.encoding.as_str()
        )
    }

    /// Reads a [`HEADER`] value; `None` unless it is well formed.
    pub fn parse(value: &str) -> Option<Unfetched> {
        let (mut section, mut octets, mut encoding) = (None, None, None);
        for field in value.split(';') {
            let (k, v) = field.split_once('=')?;
            match k.trim() {
                "part" => section = Some(v.trim().to_string()),
                "octets" => octets = v.trim().parse().ok(),
                "encoding" => encoding = Some(TransferEncoding::parse(v)),
                _ => {}
            }
        }
        let section = section.filter(|s| is_section(s))?;
        Some(Unfetched {
            section,
            octets: octets?,
            encoding: encoding.unwrap_or(TransferEncoding::Identity),
        })
    }

    /// The decoded size, estimated from the size on the wire (base64: 3 bytes per 4
    /// characters, line breaks every 76 characters).
    pub fn decoded_size(&self) -> u64 {
        match self.encoding {
            TransferEncoding::Base64 => self.octets / 78 * 57 + (self.octets % 78) * 3 / 4,
            _ => self.octets,
        }
    }
}

impl fmt::Display for Unfetched {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "part {}", self.section)
    }
}

/// The [`Unfetched`] a raw MIME header block (one part's, or a message's) carries, if any.
pub fn in_header(header: &[u8]) -> Option<Unfetched> {
    let end = header
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(header.len(), |p| p + 2);
    let text = String::from_utf8_lossy(&header[..end]);
    let prefix = format!("{HEADER}:");
    text.split("\r\n")
        .find(|l| {
            l.len() >= prefix.len()
                && l.is_char_boundary(prefix.len())
                && l[..prefix.len()].eq_ignore_ascii_case(&prefix)
        })
        .and_then(|l| Unfetched::parse(&l[prefix.len()..]))
}

/// Renames every [`HEADER`] field at the start of a line of `bytes` that came from a server
/// (`X-Mailroom-Unfetch_d`, same length), so a sender cannot forge a placeholder: only the ones
/// mailroom adds afterwards are read.
pub fn defuse(bytes: &mut [u8]) {
    let name = HEADER.as_bytes();
    let mut i = 0;
    while i + name.len() < bytes.len() {
        let line_start = i == 0 || bytes[i - 1] == b'\n';
        if line_start
            && bytes[i + name.len()] == b':'
            && bytes[i..i + name.len()].eq_ignore_ascii_case(name)
        {
            bytes[i + name.len() - 2] = b'_';
            i += name.len();
        } else {
            i += 1;
        }
    }
}

/// Decodes a transfer encoding chunk by chunk: whatever arrives is decoded as far as it can be,
/// the rest is carried to the next chunk. Never fails: invalid bytes are skipped (base64) or
/// kept (quoted-printable), as mail readers do.
#[derive(Debug)]
pub struct StreamDecoder {
    encoding: TransferEncoding,
    /// base64: sextets waiting for a full quantum; quoted-printable: an unfinished `=` escape.
    carry: Vec<u8>,
    /// base64: `=` padding seen, the rest is ignored.
    ended: bool,
}

fn sextet(b: u8) -> Option<u8> {
    match b {
        b'A'..=b'Z' => Some(b - b'A'),
        b'a'..=b'z' => Some(b - b'a' + 26),
        b'0'..=b'9' => Some(b - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'A'..=b'F' => Some(b - b'A' + 10),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    }
}

impl StreamDecoder {
    pub fn new(encoding: TransferEncoding) -> StreamDecoder {
        StreamDecoder {
            encoding,
            carry: Vec::new(),
            ended: false,
        }
    }

    /// Decodes `input`, appending to `out`.
    pub fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) {
        match self.encoding {
            TransferEncoding::Identity => out.extend_from_slice(input),
            TransferEncoding::Base64 => self.base64(input, out),
            TransferEncoding::QuotedPrintable => self.qp(input, out, false),
        }
    }

    /// Flushes what is carried at the end of the part.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        match self.encoding {
            TransferEncoding::Identity => {}
            TransferEncoding::Base64 => {
                let q = std::mem::take(&mut self.carry);
                let n =
                    q.iter().fold(0u32, |acc, &s| (acc << 6) | u32::from(s)) << (6 * (4 - q.len()));
                let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
                let keep = match q.len() {
                    2 => 1,
                    3 => 2,
                    _ => 0,
                };
                out.extend_from_slice(&bytes[..keep]);
            }
            TransferEncoding::QuotedPrintable => {
                let rest = std::mem::take(&mut self.carry);
                self.qp(&rest, out, true);
            }
        }
    }

    fn base64(&mut self, input: &[u8], out: &mut Vec<u8>) {
        for &b in input {
            if self.ended {
                return;
            }
            if b == b'=' {
                self.ended = true;
                self.finish(out);
                return;
            }
            let Some(s) = sextet(b) else { continue };
            self.carry.push(s);
            if self.carry.len() == 4 {
                let n = self
                    .carry
                    .iter()
                    .fold(0u32, |acc, &s| (acc << 6) | u32::from(s));
                out.extend_from_slice(&[(n >> 16) as u8, (n >> 8) as u8, n as u8]);
                self.carry.clear();
            }
        }
    }

    fn qp(&mut self, input: &[u8], out: &mut Vec<u8>, last: bool) {
        let mut data = std::mem::take(&mut self.carry);
        data.extend_from_slice(input);
        let mut i = 0;
        while i < data.len() {
            let b = data[i];
            if b != b'=' {
                out.push(b);
                i += 1;
                continue;
            }
            // An escape needs up to two more bytes: wait for them unless this is the end.
            if i + 2 >= data.len() && !last {
                self.carry = data[i..].to_vec();
                return;
            }
            match (data.get(i + 1).copied(), data.get(i + 2).copied()) {
                (Some(b'\r'), Some(b'\n')) => i += 3,
                (Some(b'\n'), _) => i += 2,
                (Some(h), Some(l)) if hex(h).is_some() && hex(l).is_some() => {
                    out.push((hex(h).unwrap_or(0) << 4) | hex(l).unwrap_or(0));
                    i += 3;
                }
                _ => {
                    out.push(b'=');
                    i += 1;
                }
            }
        }
    }
}

/// Decodes `data` whole (for tests and small parts).
pub fn decode_all(encoding: TransferEncoding, data: &[u8]) -> Vec<u8> {
    let mut d = StreamDecoder::new(encoding);
    let mut out = Vec::new();
    d.feed(data, &mut out);
    d.finish(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::encoding::base64_encode_lines;

    fn chunked(encoding: TransferEncoding, data: &[u8], size: usize) -> Vec<u8> {
        let mut d = StreamDecoder::new(encoding);
        let mut out = Vec::new();
        for c in data.chunks(size) {
            d.feed(c, &mut out);
        }
        d.finish(&mut out);
        out
    }

    #[test]
    fn base64_decodes_across_any_chunk_boundary() {
        for len in [0usize, 1, 2, 3, 4, 56, 57, 58, 1000] {
            let data: Vec<u8> = (0..len).map(|i| (i * 7 % 256) as u8).collect();
            let enc = base64_encode_lines(&data);
            for size in [1, 3, 5, 77, 4096] {
                assert_eq!(
                    chunked(TransferEncoding::Base64, enc.as_bytes(), size),
                    data,
                    "len {len} chunk {size}"
                );
            }
        }
    }

    #[test]
    fn quoted_printable_decodes_across_chunks() {
        let qp = b"caf=C3=A9 soft=\r\nbreak =3D end=\nx = y=";
        let want = "café soft".to_string() + "break = endx = y=";
        for size in [1, 2, 3, 100] {
            assert_eq!(
                String::from_utf8_lossy(&chunked(TransferEncoding::QuotedPrintable, qp, size)),
                want,
                "chunk {size}"
            );
        }
    }

    #[test]
    fn forged_placeholders_are_defused() {
        let mut m = format!(
            "{HEADER}: part=1; octets=9; encoding=base64\r\nA: b\r\n x-mailroom-unfetched: no\r\nx-MAILROOM-unfetched: part=2; octets=1\r\n\r\n"
        )
        .into_bytes();
        let len = m.len();
        defuse(&mut m);
        assert_eq!(m.len(), len);
        assert_eq!(in_header(&m), None);
        let text = String::from_utf8_lossy(&m);
        assert!(text.starts_with("X-Mailroom-Unfetch_d: part=1"), "{text}");
        // Folded continuation lines are not field names: left alone.
        assert!(text.contains(" x-mailroom-unfetched: no"), "{text}");
    }

    #[test]
    fn placeholder_header_round_trips_and_refuses_bad_sections() {
        let u = Unfetched {
            section: "1.2".into(),
            octets: 75_497_472,
            encoding: TransferEncoding::Base64,
        };
        let line = u.header_line();
        let header = format!("Content-Type: application/pdf\r\n{line}\r\n");
        assert_eq!(in_header(header.as_bytes()), Some(u.clone()));
        // The estimate from base64 lines is within a line of the truth.
        let data = vec![7u8; 1000];
        let octets = base64_encode_lines(&data).len() as u64;
        let estimate = Unfetched {
            octets,
            ..u.clone()
        }
        .decoded_size();
        assert!(estimate.abs_diff(1000) < 57, "{estimate}");
        assert!(Unfetched::parse(" part=1 2; octets=3; encoding=base64").is_none());
        assert!(Unfetched::parse(" part=1)\r\nA LOGOUT; octets=3").is_none());
        assert!(!is_section("1..2"));
        assert!(is_section("10.3"));
        // Only the header block counts, not a body that mentions the header.
        assert_eq!(in_header(format!("A: b\r\n\r\n{line}").as_bytes()), None);
    }
}
