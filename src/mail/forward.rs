//! What a forward carries besides the text: the original's attachments (inline forward), or
//! the whole original as one `message/rfc822` part. Names come from the sender: they are
//! reduced by [`attachments::safe_file_name`] and never contain a line break.

use mail_parser::{MessageParser, MimeHeaders};

use super::attachments;
use super::compose::Attachment;

/// The original's attachments, decoded, ready to attach; and the names of those that were
/// not downloaded (above `max_part_bytes`), which cannot be forwarded from here. Garbage
/// yields nothing, never a panic.
pub fn parts(raw: &[u8]) -> (Vec<Attachment>, Vec<String>) {
    let infos = attachments::list(raw);
    let Some(msg) = MessageParser::new().with_mime_headers().parse(raw) else {
        return (Vec::new(), Vec::new());
    };
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    for (info, part) in infos.iter().zip(msg.attachments()) {
        let name = attachments::file_name_for(info);
        if info.unfetched.is_some() {
            skipped.push(name);
            continue;
        }
        let content_type = part
            .content_type()
            .map(|ct| match ct.subtype() {
                Some(sub) => format!("{}/{}", ct.ctype(), sub),
                None => ct.ctype().to_string(),
            })
            .filter(|t| t.chars().all(|c| c.is_ascii_graphic()))
            .unwrap_or_else(|| info.mime_type.clone());
        out.push(Attachment {
            file_name: name,
            content_type: content_type.to_ascii_lowercase(),
            data: part.contents().to_vec(),
        });
    }
    (out, skipped)
}

/// The whole original as a `message/rfc822` attachment named after its subject.
pub fn as_message(raw: &[u8], subject: &str) -> Attachment {
    let stem = if subject.trim().is_empty() {
        "forwarded message"
    } else {
        subject
    };
    Attachment {
        file_name: attachments::safe_file_name(&format!("{stem}.eml"), 0),
        content_type: "message/rfc822".to_string(),
        data: raw.to_vec(),
    }
}

#[cfg(test)]
#[path = "forward_tests.rs"]
mod tests;
