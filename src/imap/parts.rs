//! Reading a message by its structure, bounded: `UID FETCH n (RFC822.SIZE BODYSTRUCTURE)`
//! first; a message within the limit is fetched whole, a bigger one part by part — its header,
//! the MIME header of every part, the text parts for reading and other parts while they fit —
//! and everything else becomes a placeholder (`mail::unfetched`) naming its size. Saving a part
//! that was not fetched streams it (`BODY.PEEK[n]<offset.length>` in [`CHUNK_BYTES`] pieces,
//! decoded as it arrives, written to a temporary file renamed at the end).

use std::borrow::Cow;
use std::io::Write;
use std::path::{Path, PathBuf};

use imap_proto::types::{BodyStructure, ContentEncoding, MessageSection, SectionPath};

use super::actions::ActionError;
use super::connect::{DEFAULT_READ_BUDGET, ImapConn};
use crate::mail::unfetched::{StreamDecoder, TransferEncoding, Unfetched, defuse};

/// One piece of a streamed part.
pub const CHUNK_BYTES: u64 = 1024 * 1024;
/// Room for response framing and headers around what a command is expected to return.
const SLACK: u64 = 256 * 1024;
/// All header sections of one message together (the message's and every part's MIME header).
const MAX_HEADERS_BYTES: u64 = 8 * 1024 * 1024;
/// More parts than this is no mail a person reads: the structure is refused.
const MAX_NODES: usize = 1000;
const MAX_DEPTH: usize = 32;

/// A part of the structure, reduced to what the plan needs.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    Multipart {
        section: String,
        boundary: Option<String>,
        children: Vec<Node>,
    },
    Leaf {
        section: String,
        /// `type/subtype`, lower case.
        mime: String,
        attachment: bool,
        octets: u64,
        encoding: TransferEncoding,
    },
}

fn child_section(parent: &str, i: usize) -> String {
    if parent.is_empty() {
        (i + 1).to_string()
    } else {
        format!("{parent}.{}", i + 1)
    }
}

fn encoding_of(e: &ContentEncoding<'_>) -> TransferEncoding {
    match e {
        ContentEncoding::Base64 => TransferEncoding::Base64,
        ContentEncoding::QuotedPrintable => TransferEncoding::QuotedPrintable,
        ContentEncoding::Other(name) => TransferEncoding::parse(name),
        _ => TransferEncoding::Identity,
    }
}

fn param<'a>(params: &'a Option<Vec<(Cow<'_, str>, Cow<'_, str>)>>, name: &str) -> Option<&'a str> {
    params
        .as_ref()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_ref())
}

/// The tree of `b`; `section` is "" for the message itself. `None` when it is too deep or too
/// big to be a message anyone reads.
fn node(b: &BodyStructure<'_>, section: &str, depth: usize, count: &mut usize) -> Option<Node> {
    *count += 1;
    if depth > MAX_DEPTH || *count > MAX_NODES {
        return None;
    }
    // A single-part message's body is part 1.
    let leaf_section = if section.is_empty() { "1" } else { section };
    let leaf = |common: &imap_proto::types::BodyContentCommon<'_>,
                other: &imap_proto::types::BodyContentSinglePart<'_>| Node::Leaf {
        section: leaf_section.to_string(),
        mime: format!("{}/{}", common.ty.ty, common.ty.subtype).to_ascii_lowercase(),
        attachment: common
            .disposition
            .as_ref()
            .is_some_and(|d| d.ty.eq_ignore_ascii_case("attachment")),
        octets: u64::from(other.octets),
        encoding: encoding_of(&other.transfer_encoding),
    };
    Some(match b {
        BodyStructure::Basic { common, other, .. }
        | BodyStructure::Text { common, other, .. }
        | BodyStructure::Message { common, other, .. } => leaf(common, other),
        BodyStructure::Multipart { common, bodies, .. } => {
            let mut children = Vec::with_capacity(bodies.len());
            for (i, child) in bodies.iter().enumerate() {
                children.push(node(child, &child_section(section, i), depth + 1, count)?);
            }
            Node::Multipart {
                section: section.to_string(),
                boundary: param(&common.ty.params, "boundary").map(str::to_string),
                children,
            }
        }
    })
}

/// The sections to fetch whole: text parts for reading first, then other parts while the
/// total stays within `limit`.
fn plan(root: &Node, limit: u64) -> Vec<String> {
    fn leaves<'a>(n: &'a Node, out: &mut Vec<&'a Node>) {
        match n {
            Node::Multipart { children, .. } => children.iter().for_each(|c| leaves(c, out)),
            leaf => out.push(leaf),
        }
    }
    let mut all = Vec::new();
    leaves(root, &mut all);
    let mut chosen = Vec::new();
    let mut total = 0u64;
    for text_pass in [true, false] {
        for n in &all {
            let Node::Leaf {
                section,
                mime,
                attachment,
                octets,
                ..
            } = n
            else {
                continue;
            };
            let is_text = mime.starts_with("text/") && !attachment;
            if is_text != text_pass || *octets > limit {
                continue;
            }
            if !text_pass && total.saturating_add(*octets) > limit {
                continue;
            }
            total = total.saturating_add(*octets);
            chosen.push(section.clone());
        }
    }
    chosen
}

fn path_of(section: &str) -> Vec<u32> {
    section.split('.').filter_map(|n| n.parse().ok()).collect()
}

/// A part's MIME header from the answer, or a bare CRLF (no header lines).
fn mime_header<'a>(fetch: &'a imap::types::Fetch<'_>, section: &str) -> &'a [u8] {
    fetch
        .section(&SectionPath::Part(
            path_of(section),
            Some(MessageSection::Mime),
        ))
        .unwrap_or(b"\r\n")
}

/// `header` (ending in its blank line) with `line` added before the blank line.
fn with_line(header: &[u8], line: &str) -> Vec<u8> {
    let mut h = header.to_vec();
    while h.ends_with(b"\r\n") || h.ends_with(b"\n") {
        h.pop();
        if h.ends_with(b"\r") {
            h.pop();
        }
    }
    if !h.is_empty() {
        h.extend_from_slice(b"\r\n");
    }
    h.extend_from_slice(line.as_bytes());
    h.extend_from_slice(b"\r\n");
    h
}

/// Appends server bytes to `out`, with any forged placeholder header defused.
fn push_defused(out: &mut Vec<u8>, data: &[u8]) {
    let from = out.len();
    out.extend_from_slice(data);
    // A field name starts a line: look from the byte before the new data.
    defuse(&mut out[from.saturating_sub(1)..]);
}

/// Writes `n` (a part whose MIME header is `header`) into `out`.
fn emit(
    n: &Node,
    header: &[u8],
    fetch: &imap::types::Fetch<'_>,
    fetched: &[String],
    out: &mut Vec<u8>,
) -> Result<(), ActionError> {
    match n {
        Node::Multipart {
            boundary, children, ..
        } => {
            let Some(boundary) = boundary.as_deref().filter(|b| !b.contains(['\r', '\n'])) else {
                return Err(ActionError::Server(
                    "the server described a multipart without a boundary".into(),
                ));
            };
            push_defused(out, header);
            for child in children {
                let section = match child {
                    Node::Multipart { section, .. } | Node::Leaf { section, .. } => section,
                };
                out.extend_from_slice(format!("\r\n--{boundary}\r\n").as_bytes());
                emit(child, mime_header(fetch, section), fetch, fetched, out)?;
            }
            out.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        }
        Node::Leaf {
            section,
            octets,
            encoding,
            ..
        } => {
            if fetched.contains(section) {
                let body = fetch
                    .section(&SectionPath::Part(path_of(section), None))
                    .ok_or_else(|| {
                        ActionError::Server(format!("the server did not send part {section}"))
                    })?;
                push_defused(out, header);
                push_defused(out, body);
            } else {
                let u = Unfetched {
                    section: section.clone(),
                    octets: *octets,
                    encoding: *encoding,
                };
                let mut theirs = header.to_vec();
                defuse(&mut theirs);
                out.extend_from_slice(&with_line(&theirs, &u.header_line()));
                out.extend_from_slice(b"\r\n");
            }
        }
    }
    Ok(())
}

/// Every section whose MIME header is needed (every part but the message itself).
fn mime_sections(n: &Node, out: &mut Vec<String>) {
    if let Node::Multipart { children, .. } = n {
        for c in children {
            match c {
                Node::Multipart { section, .. } | Node::Leaf { section, .. } => {
                    out.push(section.clone())
                }
            }
            mime_sections(c, out);
        }
    }
}

/// The message `uid` for reading, within `max_part_bytes` per part (see the module doc).
/// The selected mailbox is used; `\Seen` is never set.
pub fn fetch_message(
    conn: &mut ImapConn,
    uid: u32,
    max_part_bytes: u64,
) -> Result<Vec<u8>, ActionError> {
    conn.budget.grant(DEFAULT_READ_BUDGET);
    let fetched = conn
        .session
        .uid_fetch(uid.to_string(), "(UID RFC822.SIZE BODYSTRUCTURE)")
        .map_err(|e| super::actions::classify(&e))?;
    let info = fetched.iter().find(|f| f.uid == Some(uid)).map(|f| {
        let mut count = 0;
        (
            f.size,
            f.bodystructure().and_then(|b| node(b, "", 0, &mut count)),
        )
    });
    drop(fetched);
    let _ = conn.session.take_all_unsolicited().count();
    let (size, root) = info.ok_or(ActionError::NoMessage(uid))?;
    let size = size.map(u64::from);
    if size.is_some_and(|s| s <= max_part_bytes) {
        let mut raw = super::actions::fetch_body(conn, uid, max_part_bytes)?;
        defuse(&mut raw);
        return Ok(raw);
    }
    let root = root.ok_or_else(|| {
        ActionError::Server("the server sent no usable structure for this message".into())
    })?;
    let parts = plan(&root, max_part_bytes);
    let mut items = vec!["UID".to_string(), "BODY.PEEK[HEADER]".to_string()];
    let mut mimes = Vec::new();
    mime_sections(&root, &mut mimes);
    items.extend(mimes.iter().map(|s| format!("BODY.PEEK[{s}.MIME]")));
    items.extend(parts.iter().map(|s| format!("BODY.PEEK[{s}]")));
    let planned: u64 = parts
        .iter()
        .map(|s| section_octets(&root, s))
        .fold(0u64, u64::saturating_add);
    // Header sections are small; many of them share one bound.
    let headers = (mimes.len() as u64 + 1)
        .saturating_mul(crate::mail::parse::MAX_HEADER_BYTES as u64)
        .min(MAX_HEADERS_BYTES);
    conn.budget
        .grant(planned.saturating_add(headers).saturating_add(SLACK));
    let answer = conn
        .session
        .uid_fetch(uid.to_string(), format!("({})", items.join(" ")))
        .map_err(|e| super::actions::classify(&e))?;
    let result = match answer.iter().find(|f| f.uid == Some(uid)) {
        None => Err(ActionError::NoMessage(uid)),
        Some(f) => {
            // The message's header is the root's MIME header (for a single-part message, the
            // header of its part 1).
            let header = f.header().unwrap_or(b"\r\n");
            let mut out = Vec::new();
            emit(&root, header, f, &parts, &mut out).map(|()| out)
        }
    };
    drop(answer);
    let _ = conn.session.take_all_unsolicited().count();
    result
}

fn section_octets(n: &Node, wanted: &str) -> u64 {
    match n {
        Node::Leaf {
            section, octets, ..
        } if section == wanted => *octets,
        Node::Leaf { .. } => 0,
        Node::Multipart { children, .. } => {
            children.iter().map(|c| section_octets(c, wanted)).sum()
        }
    }
}

/// Why a part could not be saved.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error("{0}")]
    Action(#[from] ActionError),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("part {0} is not a valid section number")]
    BadSection(String),
    #[error("the server sent more of part {section} than its size ({octets} bytes)")]
    TooLong { section: String, octets: u64 },
}

/// Streams part `part.section` of `uid` (selected mailbox), decoded, into `file` — a new file
/// the caller created (see `mail::attachments::create_new_in`): written to a temporary file
/// beside it first, renamed over it at the end; on failure both are removed. Memory use is
/// one chunk, whatever the part's size. Returns the bytes written.
pub fn save_part(
    conn: &mut ImapConn,
    uid: u32,
    part: &Unfetched,
    file: &Path,
) -> Result<u64, SaveError> {
    if !crate::mail::unfetched::is_section(&part.section) {
        return Err(SaveError::BadSection(part.section.clone()));
    }
    let tmp = file.with_file_name(format!(
        ".{}.part-{}",
        file.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        std::process::id()
    ));
    let result = stream_to(conn, uid, part, &tmp).and_then(|n| {
        std::fs::rename(&tmp, file)
            .map(|()| n)
            .map_err(|source| SaveError::Io {
                path: file.to_path_buf(),
                source,
            })
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
        let _ = std::fs::remove_file(file);
    }
    result
}

/// Why [`save_attachment`] saved nothing.
#[derive(Debug, thiserror::Error)]
pub enum AttachmentSaveError {
    /// The attachment was downloaded with the message: nothing to stream.
    #[error("the attachment is not on the server only")]
    NotOnServer,
    /// No session: connecting, TLS or login failed.
    #[error(transparent)]
    Session(#[from] super::ImapError),
    /// `EXAMINE` of the account's mailbox failed.
    #[error("cannot open {:?}: {reason}", crate::sanitize::single_line(mailbox))]
    Examine {
        account: String,
        mailbox: String,
        reason: String,
    },
    /// No new file in the target directory.
    #[error(transparent)]
    File(#[from] crate::mail::attachments::AttachmentError),
    #[error(transparent)]
    Save(#[from] SaveError),
}

/// Saves attachment `info` (a placeholder) of message `uid` into `dir` on a session of its own
/// (so a reader's connection is never busy with a download): EXAMINE the account's mailbox,
/// then [`save_part`] into a new file named as `mail::attachments` names it. Returns the path
/// and the bytes written.
pub fn save_attachment(
    account: &str,
    imap: &crate::config::Imap,
    uid: u32,
    info: &crate::mail::attachments::AttachmentInfo,
    dir: &Path,
) -> Result<(PathBuf, u64), AttachmentSaveError> {
    use crate::mail::attachments;
    let part = info
        .unfetched
        .as_ref()
        .ok_or(AttachmentSaveError::NotOnServer)?;
    let target = super::connect::Target {
        account,
        config: imap,
    };
    let mut conn = super::connect::open_session(&target)?;
    conn.budget.grant(DEFAULT_READ_BUDGET);
    conn.session
        .examine(crate::mail::utf7::encode(&imap.mailbox))
        .map_err(|e| AttachmentSaveError::Examine {
            account: account.to_string(),
            mailbox: imap.mailbox.clone(),
            reason: super::connect::describe(&e),
        })?;
    let (file, path) = attachments::create_new_in(dir, &attachments::file_name_for(info))?;
    drop(file);
    let saved = save_part(&mut conn, uid, part, &path);
    let _ = conn.session.logout();
    Ok((path, saved?))
}

fn stream_to(
    conn: &mut ImapConn,
    uid: u32,
    part: &Unfetched,
    tmp: &Path,
) -> Result<u64, SaveError> {
    let io = |source| SaveError::Io {
        path: tmp.to_path_buf(),
        source,
    };
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut out = std::io::BufWriter::new(opts.open(tmp).map_err(io)?);
    let written = stream_section(conn, uid, Some(part), &mut out).map_err(|e| match e {
        SaveError::Io { source, .. } => io(source),
        other => other,
    })?;
    let file = out.into_inner().map_err(|e| io(e.into_error()))?;
    file.sync_all().map_err(io)?;
    Ok(written)
}

/// Streams part `part` of `uid` decoded (or, with `None`, the whole message as stored) into
/// `out`, one [`CHUNK_BYTES`] partial fetch at a time. Returns the bytes written. A server that
/// keeps sending past the size it announced is cut off.
pub fn stream_section(
    conn: &mut ImapConn,
    uid: u32,
    part: Option<&Unfetched>,
    out: &mut dyn Write,
) -> Result<u64, SaveError> {
    let (section, path, mut decoder, octets) = match part {
        Some(p) => {
            if !crate::mail::unfetched::is_section(&p.section) {
                return Err(SaveError::BadSection(p.section.clone()));
            }
            (
                p.section.clone(),
                Some(path_of(&p.section)),
                StreamDecoder::new(p.encoding),
                Some(p.octets),
            )
        }
        None => (
            String::new(),
            None,
            StreamDecoder::new(TransferEncoding::Identity),
            None,
        ),
    };
    let io = |source| SaveError::Io {
        path: PathBuf::from("(output)"),
        source,
    };
    let mut offset = 0u64;
    let mut written = 0u64;
    let mut decoded = Vec::with_capacity(CHUNK_BYTES as usize);
    loop {
        conn.budget.grant(CHUNK_BYTES + SLACK);
        let answer = conn
            .session
            .uid_fetch(
                uid.to_string(),
                format!("(UID BODY.PEEK[{section}]<{offset}.{CHUNK_BYTES}>)"),
            )
            .map_err(|e| SaveError::Action(super::actions::classify(&e)))?;
        let chunk = answer.iter().find(|f| f.uid == Some(uid)).map(|f| {
            match &path {
                Some(p) => f.section(&SectionPath::Part(p.clone(), None)),
                None => f.body(),
            }
            .unwrap_or_default()
        });
        let Some(chunk) = chunk else {
            drop(answer);
            return Err(ActionError::NoMessage(uid).into());
        };
        let len = chunk.len() as u64;
        decoded.clear();
        decoder.feed(chunk, &mut decoded);
        drop(answer);
        let _ = conn.session.take_all_unsolicited().count();
        out.write_all(&decoded).map_err(io)?;
        written += decoded.len() as u64;
        offset += len;
        if len < CHUNK_BYTES {
            break;
        }
        if octets.is_some_and(|o| offset > o.saturating_add(CHUNK_BYTES)) {
            return Err(SaveError::TooLong {
                section,
                octets: octets.unwrap_or_default(),
            });
        }
    }
    decoded.clear();
    decoder.finish(&mut decoded);
    out.write_all(&decoded).map_err(io)?;
    written += decoded.len() as u64;
    out.flush().map_err(io)?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_largest_part_setting_fits_one_read_budget() {
        // `config` cannot import `imap`; the bound it checks must still be the read budget.
        assert_eq!(crate::config::MAX_PART_BYTES_RANGE.1, DEFAULT_READ_BUDGET);
    }

    fn leaf(section: &str, mime: &str, attachment: bool, octets: u64) -> Node {
        Node::Leaf {
            section: section.into(),
            mime: mime.into(),
            attachment,
            octets,
            encoding: TransferEncoding::Base64,
        }
    }

    #[test]
    fn plan_takes_text_first_then_what_fits() {
        let root = Node::Multipart {
            section: String::new(),
            boundary: Some("b".into()),
            children: vec![
                Node::Multipart {
                    section: "1".into(),
                    boundary: Some("c".into()),
                    children: vec![
                        leaf("1.1", "text/plain", false, 100),
                        leaf("1.2", "text/html", false, 900),
                    ],
                },
                leaf("2", "application/pdf", true, 75_000_000),
                leaf("3", "image/png", true, 500),
                leaf("4", "text/plain", false, 5_000),
                leaf("5", "text/plain", true, 50),
            ],
        };
        assert_eq!(plan(&root, 1_000), vec!["1.1", "1.2"]);
        assert_eq!(plan(&root, 10_000), vec!["1.1", "1.2", "4", "3", "5"]);
        let mut mimes = Vec::new();
        mime_sections(&root, &mut mimes);
        assert_eq!(mimes, vec!["1", "1.1", "1.2", "2", "3", "4", "5"]);
    }

    #[test]
    fn placeholder_line_goes_before_the_blank_line() {
        assert_eq!(
            with_line(b"Content-Type: a/b\r\n\r\n", "X: y"),
            b"Content-Type: a/b\r\nX: y\r\n".to_vec()
        );
        assert_eq!(with_line(b"\r\n", "X: y"), b"X: y\r\n".to_vec());
    }
}
