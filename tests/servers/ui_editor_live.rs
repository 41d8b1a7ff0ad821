//! The whole reply in `$EDITOR`, live: mailroom in tmux on the real test bed (Dovecot for the
//! shared mailbox, Postfix for submission) with a script as `$EDITOR` that trims the quote,
//! answers inline and writes its own From, Sender and Reply-To into the header block. The
//! message that reaches the sink carries the script's text, the enforced signature and
//! disclaimer, and the policy's From (no Sender, no Reply-To), whatever the script wrote.
//! And forward keeps attachments: `f` on a message with a screenshot sends it on, byte for
//! byte, through Postfix.

use crate::support;

use crate::tmux;

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use support::testbed::Testbed;
use tmux::{MAILBOX, Tmux, mailroom_command, sh_quote};

const FIRST_SCREEN: Duration = Duration::from_secs(30);
const LIVE: Duration = Duration::from_secs(15);

const QUESTION: &[u8] = b"From: Zoe Customer <zoe@outside.test>\r\nTo: support@example.test\r\n\
Subject: Printer on fire\r\nMessage-ID: <editor1@outside.test>\r\n\
Date: Fri, 27 Nov 2026 10:00:00 +0000\r\n\r\n\
Line one: the printer is hot.\r\nLine two: is smoke normal?\r\nLine three: thanks, Zoe\r\n";

/// The editor: checks the quote is in the file, keeps the To and Subject lines, adds a From,
/// Sender and Reply-To of its own, keeps one quoted line and answers under it.
const SCRIPT: &str = r#"#!/bin/sh
f="$1"
grep -q '^> Line two: is smoke normal?' "$f" || exit 3
{
  printf 'From: CEO <ceo@evil.test>\nSender: ceo@evil.test\nReply-To: thief@evil.test\n'
  grep -E '^(To|Subject):' "$f"
  printf '\n> Line two: is smoke normal?\nNo: unplug it and leave the room.\n'
} > "$f.new" && mv "$f.new" "$f"
"#;

fn config(dir: &std::path::Path, tb: &Testbed) -> std::path::PathBuf {
    let text = format!(
        "[agent]\nid = \"alice\"\nname = \"Alice Example\"\nemail = \"alice@example.test\"\n\
         [agent.fields]\ntitle = \"Support Engineer\"\n\n\
         [[account]]\nname = \"support\"\naddress = \"support@example.test\"\n\
         display_name = \"Example Support\"\nsend = \"as\"\nsignature = \"support\"\n\
         [account.imap]\nhost = \"127.0.0.1\"\nport = {imaps}\ntls = \"implicit\"\nca_file = \"{ca}\"\n\
         login = \"alice\"\npassword_command = \"printf '%s\\\\n' '{pw}'\"\nmailbox = \"{MAILBOX}\"\n\
         sent = \"shared/support/Sent\"\n\
         [account.smtp]\nhost = \"127.0.0.1\"\nport = {smtp}\nca_file = \"{ca}\"\nlogin = \"alice\"\n\
         password_command = \"printf '%s\\\\n' '{pw}'\"\n\n\
         [signature.support]\ntext = \"{{agent.name}} · {{agent.fields.title}}\\n{{account.display_name}}\"\n\
         disclaimer = \"CONFIDENTIAL: for the addressee only.\"\nplacement = \"below-reply\"\n\
         required = true\n",
        imaps = tb.imaps_port,
        smtp = tb.submission_port,
        ca = tb.ca_file.display(),
        pw = Testbed::password("alice"),
    );
    let path = dir.join("config.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

#[test]
fn a_reply_edited_in_editor_keeps_the_policy_from_signature_and_disclaimer() {
    let tb = Testbed::start();
    tb.deliver("support@example.test", QUESTION);
    let dir = tempfile::tempdir().expect("temp dir");
    let script = dir.path().join("editor.sh");
    std::fs::write(&script, SCRIPT).expect("write script");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let config = config(dir.path(), &tb);
    let editor = sh_quote(&script.display().to_string());
    let command = format!(
        "env VISUAL={editor} EDITOR={editor} {}",
        mailroom_command(dir.path(), &config)
    );
    let t = Tmux::start(&command, 160, 40);
    t.wait_for("the synced column", FIRST_SCREEN, |s| {
        s.contains("support  ready · idle  1 ·") && s.contains("support: online (idle)")
    });

    t.keys(&["r"]);
    t.wait_for("the reply pane with its quote", LIVE, |s| {
        s.contains("Re: Printer on fire") && s.contains("> Line one: the printer is hot.")
    });
    t.keys(&["C-e"]);
    t.wait_for("the edited reply", LIVE, |s| {
        s.contains("reply reloaded from the editor")
            && s.contains("From is set by the team policy: kept support@example.test")
            && s.contains("No: unplug it and leave the room.")
    });
    t.keys(&["C-x"]);
    t.wait_for("the preview", LIVE, |s| s.contains("y sends"));
    t.keys(&["y"]);
    t.wait_for("sent", LIVE, |s| s.contains("sent <"));

    let sink = tb.wait_sink(1, LIVE);
    let m = sink
        .iter()
        .find(|m| m.recipient == "zoe@outside.test")
        .unwrap_or_else(|| panic!("delivered to the customer: {sink:?}"));
    let raw = String::from_utf8_lossy(&m.raw).replace("=\n", "");
    assert!(
        m.header("From")
            .is_some_and(|f| f.contains("<support@example.test>")),
        "{raw}"
    );
    assert_eq!(m.sender, "support@example.test", "the envelope: {raw}");
    assert!(m.header("Sender").is_none(), "{raw}");
    assert!(m.header("Reply-To").is_none(), "{raw}");
    assert!(!raw.contains("evil.test"), "{raw}");
    assert_eq!(m.header("Subject").as_deref(), Some("Re: Printer on fire"));
    let body = raw.split_once("\n\n").map(|(_, b)| b).unwrap_or_default();
    let quote = body
        .find("> Line two: is smoke normal?")
        .expect("kept quote");
    let answer = body
        .find("No: unplug it and leave the room.")
        .expect("the inline answer");
    let signature = body.find("Support Engineer").expect("the signature");
    let disclaimer = body
        .find("CONFIDENTIAL: for the addressee only.")
        .expect("the disclaimer");
    assert!(
        quote < answer && answer < signature && signature < disclaimer,
        "{body}"
    );
    assert!(
        !body.contains("Line one") && !body.contains("Line three"),
        "the trimmed quote lines are gone: {body}"
    );

    t.keys(&["q"]);
    let (status, _) = t.wait_exit(Duration::from_secs(5));
    assert_eq!(status, 0, "exit status; the screen:\n{}", t.screen());
}

const BUG_REPORT: &[u8] = b"From: Zoe Customer <zoe@outside.test>\r\nTo: support@example.test\r\n\
Subject: Crash report\r\nMessage-ID: <editor2@outside.test>\r\n\
Date: Fri, 27 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n\
It crashes, see the screenshot.\r\n--b\r\nContent-Type: image/png\r\n\
Content-Disposition: attachment; filename=\"crash.png\"\r\nContent-Transfer-Encoding: base64\r\n\r\n\
iVBORw0KGgoAAAANSUhEUg==\r\n--b--\r\n";

#[test]
fn a_forward_carries_the_originals_attachment_through_postfix() {
    let tb = Testbed::start();
    tb.deliver("support@example.test", BUG_REPORT);
    let dir = tempfile::tempdir().expect("temp dir");
    let config = config(dir.path(), &tb);
    let t = Tmux::start(&mailroom_command(dir.path(), &config), 160, 40);
    t.wait_for("the synced column", FIRST_SCREEN, |s| {
        s.contains("support  ready · idle  1 ·") && s.contains("support: online (idle)")
    });
    t.keys(&["f"]);
    t.wait_for("the forward with its attachment", LIVE, |s| {
        s.contains("Fwd: Crash report") && s.contains("1 crash.png (forwarded)")
    });
    t.keys(&["-l", "eng@outside.test"]);
    t.keys(&["C-x"]);
    t.wait_for("the preview", LIVE, |s| s.contains("y sends"));
    t.keys(&["y"]);
    t.wait_for("sent", LIVE, |s| s.contains("sent <"));

    let sink = tb.wait_sink(1, LIVE);
    let m = sink
        .iter()
        .find(|m| m.recipient == "eng@outside.test")
        .unwrap_or_else(|| panic!("delivered to engineering: {sink:?}"));
    let msg = mail_parser::MessageParser::new()
        .parse(&m.raw)
        .expect("the delivered message parses");
    let parts: Vec<_> = msg.attachments().collect();
    assert_eq!(parts.len(), 1, "{}", String::from_utf8_lossy(&m.raw));
    assert_eq!(
        mail_parser::MimeHeaders::attachment_name(parts[0]),
        Some("crash.png")
    );
    assert_eq!(
        parts[0].contents(),
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        "byte for byte"
    );
    let text = msg.body_text(0).unwrap_or_default();
    assert!(text.contains("It crashes, see the screenshot."), "{text}");
    assert!(
        text.contains("CONFIDENTIAL: for the addressee only."),
        "{text}"
    );

    t.keys(&["q"]);
    let (status, _) = t.wait_exit(Duration::from_secs(5));
    assert_eq!(status, 0, "exit status; the screen:\n{}", t.screen());
}
