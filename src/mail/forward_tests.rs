use std::time::{Duration, UNIX_EPOCH};

use mail_parser::{MessageParser, MimeHeaders};

use super::*;
use crate::mail::compose::{Draft, build};
use crate::policy::identity::SendIdentity;

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR binary \xff\xfe";

fn original() -> Vec<u8> {
    // PNG, base64-encoded.
    let png = "iVBORw0KGgoAAAANSUhEUiBiaW5hcnkg//4=";
    format!(
        "From: Zoe <zoe@outside.test>\r\nTo: support@example.test\r\nSubject: Bug report\r\n\
         Message-ID: <bug1@outside.test>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
         --b1\r\nContent-Type: text/plain\r\n\r\nSee the screenshot.\r\n\
         --b1\r\nContent-Type: image/png; name=\"screen.png\"\r\n\
         Content-Disposition: attachment; filename=\"screen.png\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{png}\r\n\
         --b1\r\nContent-Type: text/plain; name=\"../../etc/log\r\n .txt\"\r\n\
         Content-Disposition: attachment; filename=\"../evil\u{202e}gnp.txt\"\r\n\r\n\
         log line\r\n--b1--\r\n"
    )
    .into_bytes()
}

fn identity() -> SendIdentity {
    SendIdentity {
        from_name: "Example Support".into(),
        from: "support@example.test".into(),
        sender: None,
        sender_name: None,
        mail_from: "support@example.test".into(),
    }
}

fn built(attachments: Vec<Attachment>) -> Vec<u8> {
    let draft = Draft {
        to: vec!["eng@example.test".into()],
        subject: "Fwd: Bug report".into(),
        body: "See below.\n".into(),
        attachments,
        ..Draft::default()
    };
    build(
        &draft,
        &identity(),
        UNIX_EPOCH + Duration::from_secs(1_800_000_000),
    )
    .expect("built")
    .raw
}

#[test]
fn the_originals_attachments_are_forwarded_byte_for_byte() {
    let (parts, skipped) = parts(&original());
    assert!(skipped.is_empty());
    assert_eq!(parts.len(), 2, "{parts:?}");
    assert_eq!(parts[0].file_name, "screen.png");
    assert_eq!(parts[0].content_type, "image/png");
    assert_eq!(parts[0].data, PNG);
    assert!(
        !parts[1].file_name.contains(['/', '\r', '\n', '\u{202e}']),
        "{:?}",
        parts[1].file_name
    );
    // Parsed back from the built message: the same bytes, types and names.
    let raw = built(parts.clone());
    let msg = MessageParser::new().parse(&raw).expect("parses");
    let back: Vec<_> = msg.attachments().collect();
    assert_eq!(back.len(), 2);
    assert_eq!(back[0].contents(), PNG);
    assert_eq!(back[0].attachment_name(), Some("screen.png"));
    assert_eq!(
        back[0].content_type().and_then(|c| c.subtype()),
        Some("png")
    );
    assert_eq!(back[1].contents(), b"log line");
    assert_eq!(
        msg.body_text(0).as_deref().map(str::trim_end),
        Some("See below.")
    );
}

#[test]
fn the_whole_original_is_forwarded_as_message_rfc822() {
    let a = as_message(&original(), "Bug report");
    assert_eq!(a.file_name, "Bug report.eml");
    assert_eq!(a.content_type, "message/rfc822");
    let raw = built(vec![a]);
    let listed = attachments::list(&raw);
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].mime_type, "message/rfc822");
    let msg = MessageParser::new().parse(&raw).expect("parses");
    let inner = msg
        .attachments()
        .next()
        .and_then(|p| p.message())
        .expect("an attached message");
    assert_eq!(inner.subject(), Some("Bug report"));
    assert_eq!(
        inner.attachments().count(),
        2,
        "its own attachments come along"
    );
    // A hostile or empty subject still gives a plain name.
    assert_eq!(as_message(b"x", "").file_name, "forwarded message.eml");
    assert!(
        !as_message(b"x", "../a/b\r\nc")
            .file_name
            .contains(['/', '\r', '\n'])
    );
}

#[test]
fn garbage_forwards_nothing_and_never_panics() {
    assert_eq!(parts(b""), (Vec::new(), Vec::new()));
    assert_eq!(parts(b"\xff\xfe\x00garbage").0, Vec::new());
}
