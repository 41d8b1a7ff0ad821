//! The demo's mail, kept as data in `src/demo/mail/` and compiled in: customers, topics,
//! team replies, and the few special messages every feature needs to be shown (alias mail,
//! attachments, HTML-only, a hostile message). This module turns that data into the
//! messages to append; only the dates move with `now`, so a fresh demo always looks recent.
//!
//! # The data format
//!
//! One file per account (`support.txt`, `sales.txt`, `billing.txt`), its messages in the
//! order they are appended. Lines starting with `#` before the first message are comments.
//! Each message starts with a line
//!
//! ```text
//! %%% MAILBOX AGE FLAGS [KEYWORD …] [< FILE]
//! ```
//!
//! - `MAILBOX`: `INBOX` or `Sent`;
//! - `AGE`: seconds before now, the message's internal date;
//! - `FLAGS`: `-`, or a comma list of `seen`, `answered`, `flagged`;
//! - `KEYWORD`s as stored (`$assigned.alice`, `$pending` …); `{{snooze}}` in one stands
//!   for the UTC minute (`YYYYMMDDHHMM`) of now + 2 days, rounded down to 15 minutes;
//! - `< FILE`: the message is in FILE next to the data (the hostile message, whose
//!   terminal escapes, NUL and bare CR are kept out of the big files), not below the line.
//!
//! The message follows in a source form of MIME, with LF line ends:
//!
//! - one header per line, unfolded; the line is folded (and ends in CRLF) when rendered.
//!   `Subject` is written decoded and encoded as a mail client would (RFC 2047 words; the
//!   ISO-8859-1 Q form when the message's own charset is ISO-8859-1). `From`, `To`,
//!   `Sender`, `Reply-To` and `Cc` with characters outside printable ASCII are one
//!   `Name <address>`, the name encoded when rendered; other headers are kept as written;
//! - `{{date AGE ZONE}}` in a header or a quoted-printable body is the RFC 5322 date of
//!   now − AGE seconds, seen from ZONE minutes east of UTC;
//! - bodies are decoded: a `quoted-printable` body is text (encoded when rendered, in
//!   ISO-8859-1 when its charset says so); a `base64` body is its content, ending in a
//!   newline, or `{{file NAME}}` for a binary file next to the data (`pixel.png`);
//! - `multipart/*` bodies keep their preamble and `--boundary` lines.

use super::{DemoError, mime};
use crate::mail::encoding;
use crate::message::Flags;

/// One message to append.
pub(crate) struct Seed {
    pub mailbox: &'static str,
    pub raw: Vec<u8>,
    pub flags: Flags,
    pub keywords: Vec<String>,
    pub internal: i64,
}

/// The start of the hostile message's subject, for tests and for the curious.
pub const HOSTILE_SUBJECT_START: &str = "Account suspended";

const MINUTE: i64 = 60;
const DAY: i64 = 86_400;

pub(crate) struct Agent {
    pub id: &'static str,
    pub name: &'static str,
    pub email: &'static str,
}

/// The agent the demo configuration runs as.
pub(crate) const ALICE: Agent = Agent {
    id: "alice",
    name: "Alice Example",
    email: "alice@example.test",
};

/// One shared mailbox and the data of its mail.
pub(crate) struct AccountSpec {
    pub name: &'static str,
    pub address: &'static str,
    file: &'static str,
    data: &'static str,
}

pub(crate) const ACCOUNTS: [AccountSpec; 3] = [
    AccountSpec {
        name: "support",
        address: "support@example.test",
        file: "support.txt",
        data: include_str!("mail/support.txt"),
    },
    AccountSpec {
        name: "sales",
        address: "sales@example.test",
        file: "sales.txt",
        data: include_str!("mail/sales.txt"),
    },
    AccountSpec {
        name: "billing",
        address: "billing@example.test",
        file: "billing.txt",
        data: include_str!("mail/billing.txt"),
    },
];

/// Messages kept in a file of their own (`< FILE`).
const MESSAGE_FILES: [(&str, &str); 1] = [("hostile.txt", include_str!("mail/hostile.txt"))];

/// Binary attachment contents (`{{file NAME}}`).
const BINARY_FILES: [(&str, &[u8]); 1] = [("pixel.png", include_bytes!("mail/pixel.png"))];

/// Every message of one account, in append order, dated relative to `now`.
pub(crate) fn account_seeds(spec: &AccountSpec, now: i64) -> Result<Vec<Seed>, DemoError> {
    let mut seeds = Vec::new();
    let mut pending: Option<(usize, Manifest)> = None;
    let mut start = 0;
    let mut pos = 0;
    for (index, line) in spec.data.split_inclusive('\n').enumerate() {
        let line_no = index + 1;
        if let Some(rest) = line.strip_prefix("%%% ") {
            if let Some((at, manifest)) = pending.take() {
                seeds.push(seed(spec, at, manifest, &spec.data[start..pos], now)?);
            }
            let manifest = parse_manifest(rest.trim_end_matches('\n'))
                .map_err(|reason| data_error(spec.file, line_no, reason))?;
            pending = Some((line_no, manifest));
            start = pos + line.len();
        } else if pending.is_none() && !line.starts_with('#') && !line.trim().is_empty() {
            return Err(data_error(
                spec.file,
                line_no,
                "text before the first message line",
            ));
        }
        pos += line.len();
    }
    if let Some((at, manifest)) = pending {
        seeds.push(seed(spec, at, manifest, &spec.data[start..], now)?);
    }
    Ok(seeds)
}

fn data_error(file: &'static str, line: usize, reason: &'static str) -> DemoError {
    DemoError::Data { file, line, reason }
}

/// What a `%%%` line says about the message below it.
struct Manifest {
    mailbox: &'static str,
    age: i64,
    flags: Flags,
    keywords: Vec<&'static str>,
    file: Option<&'static str>,
}

fn parse_manifest(line: &'static str) -> Result<Manifest, &'static str> {
    let (line, file) = match line.split_once(" < ") {
        Some((line, file)) => (line, Some(file.trim())),
        None => (line, None),
    };
    let mut words = line.split(' ').filter(|w| !w.is_empty());
    let mailbox = words.next().ok_or("no mailbox")?;
    if mailbox != "INBOX" && mailbox != "Sent" {
        return Err("the mailbox is neither INBOX nor Sent");
    }
    let age = words
        .next()
        .and_then(|a| a.parse::<i64>().ok())
        .ok_or("no age in seconds")?;
    let mut flags = Flags::default();
    let flag_list = words.next().ok_or("no flags")?;
    if flag_list != "-" {
        for flag in flag_list.split(',') {
            match flag {
                "seen" => flags.seen = true,
                "answered" => flags.answered = true,
                "flagged" => flags.flagged = true,
                _ => return Err("unknown flag"),
            }
        }
    }
    Ok(Manifest {
        mailbox,
        age,
        flags,
        keywords: words.collect(),
        file,
    })
}

fn seed(
    spec: &AccountSpec,
    line: usize,
    manifest: Manifest,
    text: &'static str,
    now: i64,
) -> Result<Seed, DemoError> {
    let (file, text) = match manifest.file {
        None => (spec.file, text),
        Some(name) => {
            if !text.trim().is_empty() {
                return Err(data_error(
                    spec.file,
                    line,
                    "a message both in its own file and below its line",
                ));
            }
            let found = MESSAGE_FILES.iter().find(|(n, _)| *n == name);
            let (name, text) =
                found.ok_or_else(|| data_error(spec.file, line, "no such message file"))?;
            (*name, *text)
        }
    };
    let mut raw = Vec::with_capacity(text.len() + text.len() / 4);
    entity(text, now, &mut raw).map_err(|reason| data_error(file, line, reason))?;
    let snooze = mime::utc_minute((now + 2 * DAY) / (15 * MINUTE) * (15 * MINUTE));
    Ok(Seed {
        mailbox: manifest.mailbox,
        raw,
        flags: manifest.flags,
        keywords: manifest
            .keywords
            .iter()
            .map(|k| k.replace("{{snooze}}", &snooze))
            .collect(),
        internal: now - manifest.age,
    })
}

/// Renders one message or body part from its source form (headers, blank line, body).
fn entity(text: &str, now: i64, out: &mut Vec<u8>) -> Result<(), &'static str> {
    let (head, body) = text
        .split_once("\n\n")
        .ok_or("no blank line after the headers")?;
    let headers: Vec<(&str, &str)> = head
        .lines()
        .map(|line| {
            line.split_once(':')
                .map(|(name, value)| (name, value.strip_prefix(' ').unwrap_or(value)))
                .ok_or("a header line without a colon")
        })
        .collect::<Result<_, _>>()?;
    let field = |wanted: &str| {
        headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(wanted))
            .map_or("", |(_, value)| *value)
    };
    let content_type = field("Content-Type");
    let latin1 = content_type
        .to_ascii_lowercase()
        .contains("charset=iso-8859-1");
    for (name, value) in &headers {
        let value = expand(value, now)?;
        let value = match name.to_ascii_lowercase().as_str() {
            "subject" if latin1 => {
                mime::latin1_q(&value).unwrap_or_else(|| mime::unstructured(&value))
            }
            "subject" => mime::unstructured(&value),
            "from" | "to" | "sender" | "reply-to" | "cc"
                if value.chars().any(|c| !(' '..='~').contains(&c)) =>
            {
                let (display, address) = value
                    .rsplit_once(" <")
                    .ok_or("an encoded address without <address>")?;
                mime::mailbox(display, address.trim_end_matches('>'))
            }
            _ => value,
        };
        out.extend_from_slice(mime::header(name, &value).as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    if content_type.to_ascii_lowercase().starts_with("multipart/") {
        let boundary = param(content_type, "boundary").ok_or("a multipart without boundary")?;
        return multipart(body, boundary, now, out);
    }
    match field("Content-Transfer-Encoding") {
        "quoted-printable" => {
            let text = expand(body, now)?;
            let encoded = if latin1 {
                mime::quoted_printable_bytes(&mime::latin1_bytes(&text))
            } else {
                mime::quoted_printable(&text)
            };
            out.extend_from_slice(encoded.as_bytes());
        }
        "base64" => {
            let data = match body.trim_end().strip_prefix("{{file ") {
                Some(rest) => {
                    let name = rest.strip_suffix("}}").ok_or("an unclosed {{file …}}")?;
                    let found = BINARY_FILES.iter().find(|(n, _)| *n == name);
                    found.ok_or("no such binary file")?.1
                }
                None => body.as_bytes(),
            };
            out.extend_from_slice(encoding::base64_encode_lines(data).as_bytes());
        }
        _ => return Err("a body that is neither quoted-printable nor base64"),
    }
    Ok(())
}

/// A multipart body: preamble, `--boundary` parts, `--boundary--`.
fn multipart(body: &str, boundary: &str, now: i64, out: &mut Vec<u8>) -> Result<(), &'static str> {
    let open = format!("--{boundary}\n");
    let close = format!("--{boundary}--\n");
    let mut part_start: Option<usize> = None;
    let mut pos = 0;
    for line in body.split_inclusive('\n') {
        if line == open || line == close {
            match part_start {
                Some(start) => entity(&body[start..pos], now, out)?,
                None => {
                    for preamble in body[..pos].lines() {
                        out.extend_from_slice(preamble.as_bytes());
                        out.extend_from_slice(b"\r\n");
                    }
                }
            }
            out.extend_from_slice(line.trim_end_matches('\n').as_bytes());
            out.extend_from_slice(b"\r\n");
            if line == close {
                return if body[pos + line.len()..].is_empty() {
                    Ok(())
                } else {
                    Err("text after the closing boundary")
                };
            }
            part_start = Some(pos + line.len());
        }
        pos += line.len();
    }
    Err("a multipart without its closing boundary")
}

/// A parameter of a header value (`boundary="…"`), quoted or not.
fn param<'a>(value: &'a str, name: &str) -> Option<&'a str> {
    let at = value.find(&format!("{name}="))? + name.len() + 1;
    let rest = &value[at..];
    match rest.strip_prefix('"') {
        Some(quoted) => quoted.split('"').next(),
        None => rest.split(';').next().map(str::trim),
    }
}

/// Replaces each `{{date AGE ZONE}}` with the RFC 5322 date of `now - AGE` in that zone.
fn expand(text: &str, now: i64) -> Result<String, &'static str> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("{{date ") {
        out.push_str(&rest[..at]);
        let after = &rest[at + "{{date ".len()..];
        let end = after.find("}}").ok_or("an unclosed {{date …}}")?;
        let mut args = after[..end].split(' ');
        let age = args.next().and_then(|a| a.parse::<i64>().ok());
        let zone = args.next().and_then(|z| z.parse::<i32>().ok());
        match (age, zone, args.next()) {
            (Some(age), Some(zone), None) => out.push_str(&mime::rfc5322_date(now - age, zone)),
            _ => return Err("a {{date AGE ZONE}} that is not two numbers"),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPAN: i64 = 21 * DAY;

    #[test]
    fn deterministic_and_bounded_by_now() {
        let now = 1_715_670_753;
        for spec in &ACCOUNTS {
            let a = account_seeds(spec, now).expect("the data parses");
            let b = account_seeds(spec, now).expect("the data parses");
            assert_eq!(a.len(), b.len());
            assert!(a.iter().zip(&b).all(|(x, y)| x.raw == y.raw));
            assert!(
                a.iter()
                    .all(|s| s.internal <= now && s.internal > now - SPAN - 7 * DAY)
            );
            assert!(
                a.iter()
                    .all(|s| s.raw.windows(2).all(|w| w[1] != b'\n' || w[0] == b'\r'))
            );
        }
    }

    #[test]
    fn the_hostile_message_keeps_its_bytes() {
        // Git, an editor or a formatter that "cleaned" the file would disarm the demo.
        let (_, text) = MESSAGE_FILES[0];
        for byte in ['\u{1b}', '\u{0}', '\u{7}', '\u{9b}', '\u{202e}'] {
            assert!(text.contains(byte), "{byte:?} missing");
        }
        assert!(text.contains("carriage\rOVERWRITTEN"));
        assert!(!text.contains("\r\n"));
        let subject = text.lines().find_map(|l| l.strip_prefix("Subject: "));
        assert!(subject.is_some_and(|s| s.starts_with(HOSTILE_SUBJECT_START)));
    }

    #[test]
    fn broken_data_is_an_error_with_its_line() {
        let spec = |data| AccountSpec {
            name: "x",
            address: "x@example.test",
            file: "x.txt",
            data,
        };
        let cases: [(&'static str, usize); 6] = [
            ("stray\n", 1),
            ("# c\n%%% Drafts 10 -\nA: b\n\nbody\n", 2),
            ("%%% INBOX ten -\n", 1),
            ("%%% INBOX 10 seen\nSubject: x\n", 1),
            (
                "%%% INBOX 10 -\nContent-Transfer-Encoding: quoted-printable\n\nhi\n%%% Sent 5 seen,unread\nA: b\n\nc\n",
                5,
            ),
            (
                "%%% INBOX 10 -\nDate: {{date x 0}}\nContent-Transfer-Encoding: base64\n\nz\n",
                1,
            ),
        ];
        for (data, want) in cases {
            match account_seeds(&spec(data), 1_715_670_753) {
                Err(DemoError::Data { file, line, .. }) => {
                    assert_eq!((file, line), ("x.txt", want), "{data:?}");
                }
                Err(e) => panic!("{data:?}: {e}"),
                Ok(_) => panic!("{data:?} parsed"),
            }
        }
    }
}
