//! Internal notes: a message from the agent, appended to the account's notes folder and never
//! transmitted, threaded to the customer's message by In-Reply-To/References. Pure code: the
//! IMAP side is `imap::notes`, the Maildir side `backend::notes`.
//!
//! A note is an ordinary RFC 5322 message, so any client sees it in the thread:
//! From: the agent, To: the shared address, Subject `[note] <original subject>`, a Message-ID on
//! the shared domain, In-Reply-To: the customer's Message-ID, References: the original's
//! References plus its Message-ID, and the marker `X-Mailroom-Note: 1` with
//! `X-Mailroom-Agent: <id>`. Every value taken from the customer's message is checked or
//! cleaned before it reaches a header: a hostile subject or Message-ID cannot add a header.

use std::time::SystemTime;

use super::compose::{self, ComposeError, Draft};
use super::parse;
use crate::config::{Account, Agent};
use crate::message::{Address, Summary};
use crate::policy::identity::SendIdentity;

/// The subject prefix of a note.
pub const SUBJECT_PREFIX: &str = "[note]";
/// The header that marks a message as a mailroom note (value `1`).
pub const MARKER_HEADER: &str = "X-Mailroom-Note";
/// The header naming the agent who wrote a note (or a Sent copy).
pub const AGENT_HEADER: &str = "X-Mailroom-Agent";
/// The name of the default notes folder, in the account's mailbox's tree (`mail::tree`).
pub const DEFAULT_FOLDER: &str = "Notes";
/// Most References a note carries: the thread root and the newest ones.
pub const MAX_REFERENCES: usize = 20;
/// The original subject is cut to this many characters in the note's subject.
pub const MAX_SUBJECT_CHARS: usize = 200;
/// The longest note text accepted, in bytes.
pub const MAX_TEXT_BYTES: usize = 256 * 1024;
/// Longest Message-ID a note links to (RFC 5322's line limit).
pub const MAX_ID_BYTES: usize = 998;
/// Most notes read for one message (the newest).
pub const MAX_NOTES: usize = 200;
/// Bytes read of one note; a larger one is shown cut ([`Note::truncated`]).
pub const MAX_NOTE_BYTES: u64 = 256 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    #[error("the message has no Message-ID, so a note cannot be linked to it")]
    NoMessageId,
    #[error(
        "the message's Message-ID {0:?} contains characters that cannot be used in a header or a search"
    )]
    BadMessageId(String),
    #[error("the note is empty")]
    Empty,
    #[error("the note is longer than {max} bytes")]
    TooLong { max: usize },
    #[error(transparent)]
    Compose(#[from] ComposeError),
}

/// A note built for appending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNote {
    /// The message to APPEND (never to submit).
    pub raw: Vec<u8>,
    /// Without angle brackets; on the shared address's domain.
    pub message_id: String,
    /// The customer's Message-ID, without angle brackets.
    pub in_reply_to: String,
    pub subject: String,
}

/// A note read back from the notes folder.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Note {
    /// UID in the notes folder.
    pub uid: u32,
    /// `X-Mailroom-Agent`, when it is a valid agent id.
    pub agent: Option<String>,
    pub from: Option<Address>,
    /// When the server stored it (INTERNALDATE), seconds since the Unix epoch.
    pub date: i64,
    pub message_id: Option<String>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    pub subject: String,
    /// The readable text (decoded, not sanitized), with `\n` line ends and no trailing blank.
    pub text: String,
    /// Only the start of a very large note was read.
    pub truncated: bool,
}

impl Note {
    /// Whether the note was written on the message `message_id` itself (In-Reply-To), rather
    /// than on a later message of its thread.
    pub fn is_on(&self, message_id: &str) -> bool {
        self.in_reply_to.iter().any(|i| i == message_id)
    }

    /// Who wrote it, for display: the agent id, else the From address (raw: sanitize it).
    pub fn author(&self) -> String {
        match (&self.agent, &self.from) {
            (Some(a), _) => a.clone(),
            (None, Some(f)) => f.display(),
            (None, None) => String::new(),
        }
    }
}

/// Whether a Message-ID (without brackets) can be written into a header and quoted in an IMAP
/// SEARCH: printable ASCII without `"`, `\`, `<`, `>`, at most [`MAX_ID_BYTES`].
pub fn is_linkable_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_BYTES
        && id
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"\"\\<>".contains(&b))
}

/// The note's subject: `[note] ` and the original subject on one clean line (controls and
/// invisible format characters become spaces, runs of white space one space), cut to
/// [`MAX_SUBJECT_CHARS`], without stacking `[note]` prefixes.
pub fn subject(original: &str) -> String {
    let mut clean = String::with_capacity(original.len().min(MAX_SUBJECT_CHARS * 4));
    let mut count = 0;
    for word in original
        .split(|c: char| {
            c.is_whitespace() || c.is_control() || crate::sanitize::is_format_control(c)
        })
        .filter(|w| !w.is_empty())
    {
        let mut rest = word;
        if clean.is_empty() {
            // Drop any `[note]` the original already carries, at the start only.
            while rest.len() >= SUBJECT_PREFIX.len()
                && rest.is_char_boundary(SUBJECT_PREFIX.len())
                && rest[..SUBJECT_PREFIX.len()].eq_ignore_ascii_case(SUBJECT_PREFIX)
            {
                rest = &rest[SUBJECT_PREFIX.len()..];
            }
            if rest.is_empty() {
                continue;
            }
        }
        for (i, c) in std::iter::once(' ').chain(rest.chars()).enumerate() {
            if i == 0 && clean.is_empty() {
                continue;
            }
            if count == MAX_SUBJECT_CHARS {
                break;
            }
            clean.push(c);
            count += 1;
        }
    }
    if clean.is_empty() {
        SUBJECT_PREFIX.to_string()
    } else {
        format!("{SUBJECT_PREFIX} {clean}")
    }
}

/// The References of a note on `original`: its References (the usable ones) and its
/// Message-ID, without duplicates, at most [`MAX_REFERENCES`] (the root and the newest).
pub fn references(original: &Summary, message_id: &str) -> Vec<String> {
    let mut refs: Vec<String> = Vec::new();
    for r in original.references() {
        if is_linkable_id(r) && r != message_id && !refs.iter().any(|x| x == r) {
            refs.push(r.to_string());
        }
    }
    if refs.len() >= MAX_REFERENCES {
        let tail = refs.split_off(refs.len() - (MAX_REFERENCES - 2));
        refs.truncate(1);
        refs.extend(tail);
    }
    refs.push(message_id.to_string());
    refs
}

/// The default notes folder of `mailbox`: `Notes` in the mailbox's own tree of folders
/// (`mail::tree`), with the server's hierarchy `delimiter` and personal NAMESPACE prefix:
/// `shared/support/INBOX` → `shared/support/Notes` (siblings of an `INBOX`), `shared.support` →
/// `shared.support.Notes` (children, as on Cyrus), a delegated `INBOX` → `<prefix>Notes`, and
/// `Notes` without a delimiter.
pub fn default_folder(
    mailbox: &str,
    delimiter: Option<char>,
    personal_prefix: Option<&str>,
) -> String {
    super::tree::folder(mailbox, delimiter, personal_prefix, DEFAULT_FOLDER)
}

/// The account's notes folder: `notes_folder` from the configuration, else the default in its
/// IMAP mailbox's tree (see [`default_folder`]), else `Notes` of its Maildir.
pub fn folder_for(
    account: &Account,
    delimiter: Option<char>,
    personal_prefix: Option<&str>,
) -> String {
    if let Some(f) = &account.notes_folder {
        return f.clone();
    }
    match &account.imap {
        Some(imap) => default_folder(&imap.mailbox, delimiter, personal_prefix),
        None => DEFAULT_FOLDER.to_string(),
    }
}

/// Builds the note `agent` writes on `original` (a message of `account`).
pub fn build(
    agent: &Agent,
    account: &Account,
    original: &Summary,
    text: &str,
    now: SystemTime,
) -> Result<NewNote, NoteError> {
    let Some(id) = original.message_id() else {
        return Err(NoteError::NoMessageId);
    };
    if !is_linkable_id(id) {
        return Err(NoteError::BadMessageId(crate::sanitize::single_line(id)));
    }
    let text = text.replace("\r\n", "\n");
    if text.trim().is_empty() {
        return Err(NoteError::Empty);
    }
    if text.len() > MAX_TEXT_BYTES {
        return Err(NoteError::TooLong {
            max: MAX_TEXT_BYTES,
        });
    }
    let draft = Draft {
        to: vec![account.address.clone()],
        subject: subject(original.subject()),
        body: text,
        in_reply_to: Some(id.to_string()),
        references: references(original, id),
        ..Draft::default()
    };
    // From: the agent; nothing is submitted, so the envelope fields only satisfy the builder.
    let identity = SendIdentity {
        from_name: agent.name.clone(),
        from: agent.email.clone(),
        sender: None,
        sender_name: None,
        mail_from: agent.email.clone(),
    };
    let message_id = compose::message_id(&account.address, now);
    let built = compose::build_with_id(&draft, &identity, message_id, now)?;
    let mut raw = Vec::with_capacity(built.raw.len() + 64);
    raw.extend_from_slice(MARKER_HEADER.as_bytes());
    raw.extend_from_slice(b": 1\r\n");
    raw.extend(compose::sent_copy(&built.raw, &agent.id));
    Ok(NewNote {
        raw,
        message_id: built.message_id,
        in_reply_to: id.to_string(),
        subject: built.subject,
    })
}

/// Whether a message (or its header section) carries `X-Mailroom-Note: 1`.
pub fn is_note(headers: &[u8]) -> bool {
    parse::header_text(headers, MARKER_HEADER).is_some_and(|v| v == "1")
}

/// Reads a note from its bytes; `None` when the message is not a note. `truncated` says that
/// `raw` is only the start of the message.
pub fn parse_note(uid: u32, raw: &[u8], internal_date: i64, truncated: bool) -> Option<Note> {
    if !is_note(raw) {
        return None;
    }
    let s =
        parse::summary_from_raw(uid, raw, internal_date, Default::default(), Vec::new()).fields();
    let agent =
        parse::header_text(raw, AGENT_HEADER).filter(|a| crate::config::is_valid_agent_id(a));
    Some(Note {
        uid,
        agent,
        from: s.from.into_iter().next(),
        date: internal_date,
        message_id: s.message_id,
        in_reply_to: s.in_reply_to,
        references: s.references,
        subject: s.subject,
        text: parse::text_body(raw)
            .replace("\r\n", "\n")
            .trim_end()
            .to_string(),
        truncated,
    })
}

/// The notes that belong to the message `message_id`: those whose In-Reply-To or References
/// name it (notes on later messages of its thread included; see [`Note::is_on`]), oldest
/// first.
pub fn notes_of(message_id: &str, notes: impl IntoIterator<Item = Note>) -> Vec<Note> {
    let mut out: Vec<Note> = notes
        .into_iter()
        .filter(|n| n.is_on(message_id) || n.references.iter().any(|r| r == message_id))
        .collect();
    out.sort_by_key(|n| (n.date, n.uid));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Fields;

    fn agent() -> Agent {
        toml::from_str("id = \"bob\"\nname = \"Bob Example\"\nemail = \"bob@agents.test\"\n")
            .unwrap()
    }

    fn account(extra: &str) -> Account {
        toml::from_str(&format!(
            "name = \"support\"\naddress = \"support@example.test\"\nsend = \"none\"\n{extra}\n[imap]\nhost = \"h\"\nlogin = \"bob\"\nmailbox = \"shared/support/INBOX\"\n"
        ))
        .unwrap()
    }

    fn original() -> Summary {
        Summary::new(Fields {
            uid: 7,
            subject: "Frage über die Rechnung".into(),
            message_id: Some("q1@outside.test".into()),
            references: vec!["q0@outside.test".into()],
            ..Fields::default()
        })
    }

    fn text(n: &NewNote) -> String {
        String::from_utf8_lossy(&n.raw).into_owned()
    }

    fn header_lines(t: &str) -> Vec<&str> {
        t.split("\r\n").take_while(|l| !l.is_empty()).collect()
    }

    #[test]
    fn a_note_is_threaded_marked_and_from_the_agent() {
        let n = build(
            &agent(),
            &account(""),
            &original(),
            "Called the customer.\nRefund approved — Bob",
            SystemTime::now(),
        )
        .unwrap();
        let t = text(&n);
        assert!(
            t.starts_with("X-Mailroom-Note: 1\r\nX-Mailroom-Agent: bob\r\n"),
            "{t}"
        );
        assert!(
            t.contains("From: \"Bob Example\" <bob@agents.test>")
                || t.contains("From: Bob Example <bob@agents.test>"),
            "{t}"
        );
        assert!(t.contains("To: support@example.test"), "{t}");
        assert!(n.message_id.ends_with("@example.test"), "{}", n.message_id);
        assert!(
            t.contains(&format!("Message-ID: <{}>", n.message_id)),
            "{t}"
        );
        assert!(t.contains("In-Reply-To: <q1@outside.test>"), "{t}");
        assert!(
            t.contains("References: <q0@outside.test> <q1@outside.test>"),
            "{t}"
        );
        assert!(t.contains("Date: "), "{t}");
        assert_eq!(n.subject, "[note] Frage über die Rechnung");
        assert_eq!(n.in_reply_to, "q1@outside.test");
        // The parser reads it back as a note with the agent's text.
        let back = parse_note(3, &n.raw, 1000, false).unwrap();
        assert_eq!(back.agent.as_deref(), Some("bob"));
        assert_eq!(back.subject, "[note] Frage über die Rechnung");
        assert_eq!(back.in_reply_to, ["q1@outside.test"]);
        assert_eq!(back.references, ["q0@outside.test", "q1@outside.test"]);
        assert!(
            back.text.contains("Refund approved — Bob"),
            "{:?}",
            back.text
        );
        assert_eq!(back.from.as_ref().unwrap().email, "bob@agents.test");
        assert!(back.is_on("q1@outside.test") && !back.is_on("q0@outside.test"));
        // Not a Bcc, not a Sender: nothing that looks like sending.
        assert!(
            !t.contains("Sender:")
                && !t
                    .lines()
                    .any(|l| l.to_ascii_lowercase().starts_with("bcc:"))
        );
    }

    #[test]
    fn hostile_subjects_never_reach_a_header() {
        for (input, want) in [
            ("Hi\r\nBcc: evil@x.test", "[note] Hi Bcc: evil@x.test"),
            (
                "a\nX-Mailroom-Agent: mallory",
                "[note] a X-Mailroom-Agent: mallory",
            ),
            ("\x1b]0;pwned\x07 hi", "[note] ]0;pwned hi"),
            ("x\u{202E}gnp.exe", "[note] x gnp.exe"),
            ("[note] [NOTE] again", "[note] again"),
            ("[note]", "[note]"),
            ("", "[note]"),
            ("  Re:   spaced\tout  ", "[note] Re: spaced out"),
            ("a\0b", "[note] a b"),
        ] {
            assert_eq!(subject(input), want, "{input:?}");
        }
        let long = subject(&"é".repeat(5000));
        assert_eq!(
            long.chars().count(),
            SUBJECT_PREFIX.len() + 1 + MAX_SUBJECT_CHARS
        );
        // Built end to end: the raw message has no header the subject smuggled in.
        let mut o = original();
        o.edit_text(|f| f.subject = "Hi\r\nBcc: evil@x.test\r\nX-Mailroom-Note: 0".into());
        let n = build(&agent(), &account(""), &o, "t", SystemTime::now()).unwrap();
        let t = text(&n);
        for line in header_lines(&t) {
            assert!(!line.starts_with("Bcc:"), "{t}");
        }
        assert_eq!(
            header_lines(&t)
                .iter()
                .filter(|l| l.starts_with("X-Mailroom-Note"))
                .count(),
            1
        );
        assert!(is_note(&n.raw));
    }

    #[test]
    fn hostile_message_ids_are_refused_or_dropped() {
        for bad in [
            "a>\r\nBcc: evil@x.test",
            "a\"b@x",
            "a\\b@x",
            "a b@x",
            "a<b@x",
            "é@x",
            "",
            "a\x1b@x",
        ] {
            let mut o = original();
            o.edit_text(|f| f.message_id = Some(bad.into()));
            assert!(
                matches!(
                    build(&agent(), &account(""), &o, "t", SystemTime::now()),
                    Err(NoteError::BadMessageId(_)) | Err(NoteError::NoMessageId)
                ),
                "{bad:?}"
            );
            assert!(!is_linkable_id(bad), "{bad:?}");
        }
        let mut o = original();
        o.edit_text(|f| f.message_id = None);
        assert_eq!(
            build(&agent(), &account(""), &o, "t", SystemTime::now()),
            Err(NoteError::NoMessageId)
        );
        // A hostile reference is dropped, the rest kept.
        let mut o = original();
        o.edit_text(|f| {
            f.references = vec![
                "ok@x".into(),
                "bad>\r\nX: y".into(),
                "q1@outside.test".into(),
            ]
        });
        let n = build(&agent(), &account(""), &o, "t", SystemTime::now()).unwrap();
        let t = text(&n);
        assert!(
            t.contains("References: <ok@x> <q1@outside.test>\r\n"),
            "{t}"
        );
        assert!(!t.contains("X: y"), "{t}");
    }

    #[test]
    fn references_are_bounded_and_keep_the_root() {
        let mut o = original();
        o.edit_text(|f| f.references = (0..500).map(|i| format!("r{i}@x")).collect());
        let r = references(&o, "q1@outside.test");
        assert_eq!(r.len(), MAX_REFERENCES);
        assert_eq!(r[0], "r0@x");
        assert_eq!(r[MAX_REFERENCES - 2], "r499@x");
        assert_eq!(r[MAX_REFERENCES - 1], "q1@outside.test");
    }

    #[test]
    fn text_is_checked() {
        let b = |t: &str| build(&agent(), &account(""), &original(), t, SystemTime::now());
        assert_eq!(b(" \n "), Err(NoteError::Empty));
        assert_eq!(
            b(&"x".repeat(MAX_TEXT_BYTES + 1)),
            Err(NoteError::TooLong {
                max: MAX_TEXT_BYTES
            })
        );
        // A body line that looks like a header stays in the body.
        let n = b("X-Mailroom-Note: 0\r\nBcc: evil@x.test").unwrap();
        let t = text(&n);
        assert!(
            !header_lines(&t).iter().any(|l| l.starts_with("Bcc")),
            "{t}"
        );
        assert!(is_note(&n.raw));
    }

    #[test]
    fn folders_default_in_the_mailboxs_tree() {
        // Without a delimiter the server has no hierarchy: a flat name.
        assert_eq!(default_folder("shared/support/INBOX", None, None), "Notes");
        assert_eq!(
            default_folder("shared/support/INBOX", Some('/'), Some("")),
            "shared/support/Notes"
        );
        assert_eq!(default_folder("INBOX", Some('/'), Some("")), "Notes");
        assert_eq!(
            default_folder("INBOX", Some('.'), Some("INBOX.")),
            "INBOX.Notes"
        );
        // Cyrus: a shared mailbox's folders are its children, never its siblings.
        assert_eq!(
            default_folder("shared.support", Some('.'), Some("INBOX.")),
            "shared.support.Notes"
        );
        assert_eq!(
            folder_for(&account(""), Some('/'), None),
            "shared/support/Notes"
        );
        assert_eq!(
            folder_for(&account("notes_folder = \"Team/Notes\""), Some('/'), None),
            "Team/Notes"
        );
        let maildir: Account = toml::from_str(
            "name = \"demo\"\naddress = \"demo@example.test\"\nsend = \"none\"\n[maildir]\npath = \"/tmp\"\n",
        )
        .unwrap();
        assert_eq!(folder_for(&maildir, None, None), "Notes");
    }

    fn note(uid: u32, date: i64, irt: &str, refs: &[&str]) -> Note {
        Note {
            uid,
            agent: Some("bob".into()),
            from: None,
            date,
            message_id: Some(format!("n{uid}@example.test")),
            in_reply_to: vec![irt.into()],
            references: refs.iter().map(|r| r.to_string()).collect(),
            subject: "[note] x".into(),
            text: "t".into(),
            truncated: false,
        }
    }

    #[test]
    fn notes_of_picks_by_id_and_sorts_by_date() {
        let all = vec![
            note(1, 300, "a@x", &["a@x"]),
            note(2, 100, "b@x", &["a@x", "b@x"]),
            note(3, 200, "c@x", &["c@x"]),
            note(4, 100, "a@x", &[]),
        ];
        let got: Vec<u32> = notes_of("a@x", all.clone()).iter().map(|n| n.uid).collect();
        assert_eq!(got, [2, 4, 1]);
        let got: Vec<u32> = notes_of("b@x", all.clone()).iter().map(|n| n.uid).collect();
        assert_eq!(got, [2]);
        assert!(
            notes_of("a@", all).is_empty(),
            "ids match exactly, not by prefix"
        );
    }

    #[test]
    fn is_note_reads_the_marker_only() {
        assert!(is_note(b"X-Mailroom-Note: 1\r\nSubject: x\r\n\r\nbody\r\n"));
        assert!(is_note(b"Subject: x\r\nx-mailroom-note:  1 \r\n\r\n"));
        assert!(!is_note(b"Subject: x\r\n\r\nX-Mailroom-Note: 1\r\n"));
        assert!(!is_note(b"X-Mailroom-Note: 0\r\n\r\n"));
        assert!(!is_note(b"garbage"));
        assert!(parse_note(1, b"Subject: x\r\n\r\nhi\r\n", 0, false).is_none());
        // A forged agent id is not shown as an agent.
        let n = parse_note(
            1,
            b"X-Mailroom-Note: 1\r\nX-Mailroom-Agent: Mallory Evil\r\nFrom: m@x.test\r\n\r\nhi\r\n",
            5,
            false,
        )
        .unwrap();
        assert_eq!(n.agent, None);
        assert_eq!(n.author(), "m@x.test");
        assert_eq!(n.date, 5);
    }
}
