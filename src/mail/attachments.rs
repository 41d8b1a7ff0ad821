//! Attachments of a raw message: listing them, naming them safely, saving one to a folder.
//!
//! Names come from the sender and are hostile until proven otherwise (PROTOCOL.md "Pitfalls"):
//! a name is reduced to a plain base name by [`safe_file_name`] before it touches the file
//! system, and [`save`] only ever creates a new file directly inside the chosen folder
//! (`create_new`: an existing file, directory or symlink of that name is never opened, so
//! nothing is overwritten and no link is followed out of the folder).
//!
//! Only MIME headers are parsed here (address lists, the costly and hostile part, are skipped).
//! Names in [`AttachmentInfo`] are decoded (RFC 2047/2231) but not sanitized: pass them
//! through `crate::sanitize` before display.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use mail_parser::{Message, MessageParser, MessagePart, MimeHeaders, PartType};

use super::unfetched::{self, Unfetched};
use crate::sanitize::is_format_control;

/// Saved names are cut to this many bytes (extension kept), leaving room under the usual
/// 255-byte limit for a " (999)" suffix.
pub const MAX_NAME_BYTES: usize = 200;
/// An extension longer than this (bytes, without the dot) is treated as part of the name.
const MAX_EXTENSION_BYTES: usize = 16;
/// How many " (n)" names are tried before giving up on a crowded folder.
const MAX_CLASH_SUFFIX: usize = 999;

/// One attachment, as a reader lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentInfo {
    /// Position among the message's attachments: what [`save`] takes.
    pub index: usize,
    /// The name the sender gave (filename, else the Content-Type name), decoded; raw.
    pub name: Option<String>,
    /// `type/subtype`, lower case (`application/octet-stream` when unknown); raw.
    pub mime_type: String,
    /// Decoded size in bytes.
    pub size: u64,
    /// Shown inside the message rather than attached (an inline image with a Content-ID);
    /// a reader may hide these, they can still be saved.
    pub inline: bool,
    /// Not downloaded (a placeholder for a part above the size limit, `mail::unfetched`):
    /// `size` is then estimated from its size on the wire, and saving it streams it from the
    /// server.
    pub unfetched: Option<Unfetched>,
}

#[derive(Debug, thiserror::Error)]
pub enum AttachmentError {
    #[error("the message could not be parsed")]
    Unparsable,
    #[error("the message has no attachment number {0}")]
    NoSuchAttachment(usize),
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("{}: every name up to \"({MAX_CLASH_SUFFIX})\" is taken", dir.display())]
    NoFreeName { dir: PathBuf },
    /// A placeholder: the part is on the server only (`imap::parts::save_part` streams it).
    #[error("attachment {} was not downloaded ({})", .0 + 1, .1)]
    NotDownloaded(usize, Unfetched),
}

fn parser() -> MessageParser {
    MessageParser::new()
        .with_mime_headers()
        .default_header_ignore()
}

/// The attachments of a message, in order. Garbage yields an empty list, never a panic.
pub fn list(raw: &[u8]) -> Vec<AttachmentInfo> {
    let Some(msg) = parser().parse(raw) else {
        return Vec::new();
    };
    msg.attachments()
        .enumerate()
        .map(|(index, part)| info(raw, index, part))
        .collect()
}

fn info(raw: &[u8], index: usize, part: &MessagePart<'_>) -> AttachmentInfo {
    let unfetched = placeholder(raw, part);
    AttachmentInfo {
        index,
        name: part_name(part),
        mime_type: mime_type(part),
        size: unfetched
            .as_ref()
            .map_or(part.len() as u64, Unfetched::decoded_size),
        inline: is_inline(part),
        unfetched,
    }
}

/// The placeholder header of `part`, read from its own header block in `raw`.
fn placeholder(raw: &[u8], part: &MessagePart<'_>) -> Option<Unfetched> {
    let (start, end) = (part.offset_header as usize, part.offset_body as usize);
    raw.get(start..end.max(start))
        .and_then(unfetched::in_header)
}

fn part_name(part: &MessagePart<'_>) -> Option<String> {
    part.attachment_name()
        .map(str::to_string)
        .filter(|n| !n.trim().is_empty())
}

fn mime_type(part: &MessagePart<'_>) -> String {
    match part.content_type() {
        Some(ct) => {
            let t = ct.ctype().to_ascii_lowercase();
            match ct.subtype() {
                Some(s) => format!("{t}/{}", s.to_ascii_lowercase()),
                None => t,
            }
        }
        None if matches!(part.body, PartType::Message(_)) => "message/rfc822".to_string(),
        None if part.is_text() => "text/plain".to_string(),
        None => "application/octet-stream".to_string(),
    }
}

fn is_inline(part: &MessagePart<'_>) -> bool {
    let disposition = part.content_disposition();
    if disposition.is_some_and(|d| d.is_attachment()) || part.attachment_name().is_some() {
        return false;
    }
    part.content_type()
        .is_some_and(|ct| ct.ctype().eq_ignore_ascii_case("image"))
        && (part.content_id().is_some() || disposition.is_some_and(|d| d.is_inline()))
}

/// A plain file name for an attachment called `name`: never empty, `.` or `..`, no directory
/// part (`/` or `\`), no control, bidi or other format character, no leading dot (hidden file)
/// or `-` (taken for an option by shell commands), no leading or trailing space, at most
/// [`MAX_NAME_BYTES`] bytes with the extension kept. Readable names stay as they are.
/// When nothing usable is left: `attachment-N` with N = `index` + 1 (as a list numbers them).
pub fn safe_file_name(name: &str, index: usize) -> String {
    // The base name: whatever follows the last separator of either kind.
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let mut clean = String::with_capacity(base.len());
    for c in base.chars() {
        // Controls (C0, DEL, C1) and Unicode line/paragraph separators become a visible '_'.
        if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
            clean.push('_');
        } else if !is_format_control(c) {
            clean.push(c);
        }
    }
    let trimmed = clean
        .trim_start_matches(|c: char| c == '.' || c == '-' || c.is_whitespace())
        .trim_end_matches(|c: char| c == '.' || c.is_whitespace());
    if trimmed.is_empty() || trimmed.chars().all(|c| c == '_') {
        return fallback_name(index);
    }
    cap_length(trimmed)
}

fn fallback_name(index: usize) -> String {
    format!("attachment-{}", index.saturating_add(1))
}

/// Cuts `name` to [`MAX_NAME_BYTES`] at a character boundary, keeping a short extension.
fn cap_length(name: &str) -> String {
    if name.len() <= MAX_NAME_BYTES {
        return name.to_string();
    }
    let (stem, ext) = split_extension(name);
    let keep = MAX_NAME_BYTES.saturating_sub(ext.len());
    let mut end = keep.min(stem.len());
    while !stem.is_char_boundary(end) {
        end -= 1;
    }
    let stem = stem[..end].trim_end_matches(|c: char| c == '.' || c.is_whitespace());
    format!("{stem}{ext}")
}

/// ("report", ".pdf") for "report.pdf"; the extension includes its dot, and is empty when
/// there is none, it is too long, or the name is only an extension.
fn split_extension(name: &str) -> (&str, &str) {
    match name.rfind('.') {
        Some(i)
            if i > 0
                && name.len() - i - 1 <= MAX_EXTENSION_BYTES
                && name.len() - i > 1
                && !name[i + 1..].contains(char::is_whitespace) =>
        {
            name.split_at(i)
        }
        _ => (name, ""),
    }
}

/// An extension for attachments that came without a name, so the saved file opens with the
/// right program.
fn extension_for(mime: &str) -> &'static str {
    match mime {
        "message/rfc822" | "message/global" => ".eml",
        "text/plain" => ".txt",
        "text/html" => ".html",
        "text/calendar" => ".ics",
        "text/csv" => ".csv",
        "application/pdf" => ".pdf",
        "application/zip" => ".zip",
        "image/png" => ".png",
        "image/jpeg" => ".jpg",
        "image/gif" => ".gif",
        _ => "",
    }
}

/// The file name an attachment is saved under (before clash suffixes).
pub fn file_name_for(info: &AttachmentInfo) -> String {
    match &info.name {
        Some(n) => safe_file_name(n, info.index),
        None => format!(
            "{}{}",
            fallback_name(info.index),
            extension_for(&info.mime_type)
        ),
    }
}

/// Saves attachment `index` of `raw` into `dir` (which must exist) under its safe name, or
/// `name (1).ext`, `name (2).ext`, … when that is taken. Never overwrites anything, never
/// follows a symlink; the file is created mode 0600 (it is someone's mail). Returns the path
/// written. A failed write removes the partial file.
pub fn save(raw: &[u8], index: usize, dir: &Path) -> Result<PathBuf, AttachmentError> {
    let msg: Message<'_> = parser().parse(raw).ok_or(AttachmentError::Unparsable)?;
    let part = msg
        .attachments()
        .nth(index)
        .ok_or(AttachmentError::NoSuchAttachment(index))?;
    let info = info(raw, index, part);
    if let Some(u) = info.unfetched {
        return Err(AttachmentError::NotDownloaded(index, u));
    }
    write_new(dir, &file_name_for(&info), part.contents())
}

/// The text parts of `raw` (the readable body) that were not downloaded because of their
/// size: a reader says so instead of showing nothing.
pub fn unfetched_text(raw: &[u8]) -> Vec<Unfetched> {
    let Some(msg) = parser().parse(raw) else {
        return Vec::new();
    };
    let mut ids: Vec<usize> = msg
        .text_body
        .iter()
        .chain(&msg.html_body)
        .map(|&i| i as usize)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids.into_iter()
        .filter_map(|i| msg.parts.get(i))
        .filter_map(|part| placeholder(raw, part))
        .collect()
}

/// The line a reader shows for a text part that was not downloaded.
pub fn unfetched_text_note(u: &Unfetched) -> String {
    format!(
        "[text part {}, {} bytes: larger than max_part_bytes, not downloaded; `mailroom show --raw` prints the whole message]",
        u.section, u.octets
    )
}

/// Attachment `index` of `raw` (its number, name, type and whether it was downloaded).
pub fn get(raw: &[u8], index: usize) -> Result<AttachmentInfo, AttachmentError> {
    let msg: Message<'_> = parser().parse(raw).ok_or(AttachmentError::Unparsable)?;
    let part = msg
        .attachments()
        .nth(index)
        .ok_or(AttachmentError::NoSuchAttachment(index))?;
    Ok(info(raw, index, part))
}

/// Creates a new file in `dir` named `name` or its first free " (n)" variant and writes
/// `contents` to it.
fn write_new(dir: &Path, name: &str, contents: &[u8]) -> Result<PathBuf, AttachmentError> {
    let (mut file, path) = create_new_in(dir, name)?;
    let written = file.write_all(contents).and_then(|()| file.sync_all());
    match written {
        Ok(()) => Ok(path),
        Err(source) => {
            drop(file);
            let _ = std::fs::remove_file(&path);
            Err(AttachmentError::Io { path, source })
        }
    }
}

/// Creates (mode 0600, never following a link, never overwriting) a new empty file in `dir`
/// named `name` or its first free " (n)" variant: where an attachment will be written.
pub fn create_new_in(dir: &Path, name: &str) -> Result<(std::fs::File, PathBuf), AttachmentError> {
    let (stem, ext) = split_extension(name);
    for n in 0..=MAX_CLASH_SUFFIX {
        let candidate = if n == 0 {
            name.to_string()
        } else {
            format!("{stem} ({n}){ext}")
        };
        let path = dir.join(&candidate);
        let mut opts = OpenOptions::new();
        // create_new is O_CREAT|O_EXCL: fails on any existing entry, including a symlink
        // (dangling or not), which is never followed.
        opts.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        match opts.open(&path) {
            Ok(f) => return Ok((f, path)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(source) => return Err(AttachmentError::Io { path, source }),
        }
    }
    Err(AttachmentError::NoFreeName {
        dir: dir.to_path_buf(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions() {
        assert_eq!(split_extension("a.pdf"), ("a", ".pdf"));
        assert_eq!(split_extension("a"), ("a", ""));
        assert_eq!(split_extension("a."), ("a.", ""));
        assert_eq!(split_extension("a.b c"), ("a.b c", ""));
        assert_eq!(split_extension("x.tar.gz"), ("x.tar", ".gz"));
    }
}
