//! The file `$EDITOR` gets for a reply (like aerc): a header block with the fields the agent
//! may change (To, Cc, Bcc, Subject), the headers the team policy sets (From, Sender) as
//! `#` comments, a blank line, then the body with the quote, to trim and answer inline.
//!
//! [`parse`] reads it back strictly: every header line is `Name: value` (a line starting with
//! a space or tab continues the one before), addresses are checked, no control character
//! passes, a field given twice or a header mailroom does not know is refused. A header the
//! policy or mailroom sets (From, Sender, Reply-To, Date, …) is ignored and reported, so the
//! pane can say it was kept. The body is always recovered, even when the headers are refused,
//! so an edit is never lost.

use crate::mail::header::{self, HeaderError};

/// The fields the agent edits.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fields {
    pub to: String,
    pub cc: String,
    pub bcc: String,
    pub subject: String,
}

/// A header the editor may not set: shown as a comment, ignored when written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locked {
    pub name: &'static str,
    pub value: String,
}

/// Headers the policy or mailroom sets; written in the file they are ignored (and reported),
/// never refused, so that an agent who uncomments From is told it was kept.
const IGNORED: [&str; 9] = [
    "From",
    "Sender",
    "Reply-To",
    "Date",
    "Message-ID",
    "In-Reply-To",
    "References",
    "Return-Path",
    "Disposition-Notification-To",
];

/// Why the header block was not applied (the body still is).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditFileError {
    #[error("line {line}: not a header (\"Name: value\"); headers end at the first blank line")]
    Malformed { line: usize },
    #[error("line {line}: {name:?} cannot be set from the editor (To, Cc, Bcc and Subject can)")]
    Unknown { line: usize, name: String },
    #[error("line {line}: {name} is given twice")]
    Twice { line: usize, name: &'static str },
    #[error("line {line}: {source}")]
    Value { line: usize, source: HeaderError },
}

/// What the editor gave back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    /// The edited fields, or why the header block is refused.
    pub fields: Result<Fields, EditFileError>,
    /// The body (with whatever is left of the quote), without leading and trailing blank lines.
    pub body: String,
    /// Headers written but ignored (canonical name, value as written).
    pub ignored: Vec<(&'static str, String)>,
}

/// The file for `fields`, the `locked` headers (as comments) and `body`.
pub fn render(fields: &Fields, locked: &[Locked], body: &str) -> String {
    let mut out = String::from(
        "# mailroom: edit To, Cc, Bcc, Subject and the text below the blank line.\n\
         # Trim the quote and answer inline; the signature and disclaimer are added when sending.\n",
    );
    for l in locked {
        out.push_str(&format!(
            "# {}: {} (set by the team policy)\n",
            l.name,
            one_line(&l.value)
        ));
    }
    for (name, value) in [
        ("To", &fields.to),
        ("Cc", &fields.cc),
        ("Bcc", &fields.bcc),
        ("Subject", &fields.subject),
    ] {
        out.push_str(&format!("{name}: {}\n", one_line(value)));
    }
    out.push('\n');
    out.push_str(body);
    out
}

fn one_line(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).collect()
}

/// Reads the edited file back (see the module's documentation).
pub fn parse(text: &str) -> Parsed {
    let text = text.replace("\r\n", "\n");
    let (head, body) = match text.split_once("\n\n") {
        Some((h, b)) => (h, b),
        None if text.trim().is_empty() => ("", ""),
        // No blank line: a header block only, or the agent removed it. Headers that parse
        // are applied; otherwise the whole text is kept as the body.
        None => (text.as_str(), ""),
    };
    let mut ignored = Vec::new();
    let fields = parse_head(head, &mut ignored);
    let body = if fields.is_err() && body.is_empty() {
        text.as_str()
    } else {
        body
    };
    Parsed {
        fields,
        body: trim_blank_lines(body),
        ignored,
    }
}

fn trim_blank_lines(s: &str) -> String {
    let lines: Vec<&str> = s.split('\n').collect();
    let first = lines.iter().position(|l| !l.trim().is_empty());
    let last = lines.iter().rposition(|l| !l.trim().is_empty());
    match (first, last) {
        (Some(a), Some(b)) => lines[a..=b].join("\n"),
        _ => String::new(),
    }
}

fn parse_head(
    head: &str,
    ignored: &mut Vec<(&'static str, String)>,
) -> Result<Fields, EditFileError> {
    // Logical header lines (continuations folded), with the line number they start on.
    let mut logical: Vec<(usize, String)> = Vec::new();
    for (i, raw) in head.split('\n').enumerate() {
        let line = i + 1;
        if raw.starts_with('#') {
            continue;
        }
        if raw.starts_with([' ', '\t']) {
            match logical.last_mut() {
                Some((_, l)) => {
                    l.push(' ');
                    l.push_str(raw.trim());
                }
                None => return Err(EditFileError::Malformed { line }),
            }
            continue;
        }
        if raw.trim().is_empty() {
            continue;
        }
        logical.push((line, raw.to_string()));
    }
    let mut fields = Fields::default();
    let mut seen: Vec<&'static str> = Vec::new();
    for (line, l) in logical {
        let Some((name, value)) = l.split_once(':') else {
            return Err(EditFileError::Malformed { line });
        };
        let name = name.trim();
        let value = value.trim();
        if name.is_empty() || name.contains(|c: char| !c.is_ascii_graphic()) {
            return Err(EditFileError::Malformed { line });
        }
        if let Some(n) = IGNORED.iter().find(|n| n.eq_ignore_ascii_case(name)) {
            ignored.push((*n, one_line(value)));
            continue;
        }
        let (canon, slot) = match name.to_ascii_lowercase().as_str() {
            "to" => ("To", &mut fields.to),
            "cc" => ("Cc", &mut fields.cc),
            "bcc" => ("Bcc", &mut fields.bcc),
            "subject" => ("Subject", &mut fields.subject),
            _ => {
                return Err(EditFileError::Unknown {
                    line,
                    name: one_line(name),
                });
            }
        };
        if seen.contains(&canon) {
            return Err(EditFileError::Twice { line, name: canon });
        }
        seen.push(canon);
        if value.contains(|c: char| c.is_control()) {
            return Err(EditFileError::Value {
                line,
                source: HeaderError::LineBreak {
                    field: canon.to_string(),
                },
            });
        }
        header::check_value(canon, value)
            .map_err(|source| EditFileError::Value { line, source })?;
        if canon != "Subject" {
            header::parse_addresses(canon, value)
                .map_err(|source| EditFileError::Value { line, source })?;
        }
        *slot = value.to_string();
    }
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> Fields {
        Fields {
            to: "customer@outside.test".into(),
            cc: String::new(),
            bcc: "boss@example.test".into(),
            subject: "Re: Printer on fire".into(),
        }
    }

    fn locked() -> Vec<Locked> {
        vec![Locked {
            name: "From",
            value: "Example Support <support@example.test>".into(),
        }]
    }

    #[test]
    fn a_rendered_file_reads_back_the_same() {
        let body = "Hello,\n\n> line one\n> line two";
        let text = render(&fields(), &locked(), body);
        assert!(text.contains("# From: Example Support <support@example.test>"));
        assert!(text.contains("\nTo: customer@outside.test\n"));
        let p = parse(&text);
        assert_eq!(p.fields, Ok(fields()));
        assert_eq!(p.body, body);
        assert!(p.ignored.is_empty(), "{:?}", p.ignored);
        // An editor that adds a final newline or CRLFs changes nothing.
        let p = parse(&format!("{}\n", text.replace('\n', "\r\n")));
        assert_eq!((p.fields, p.body.as_str()), (Ok(fields()), body));
    }

    #[test]
    fn edits_are_applied_and_continuations_folded() {
        let text = "to: a@x.test,\n  b@y.test\nCC: c@z.test\nSubject: New subject\n\n\n\nhi\n\n";
        let p = parse(text);
        let f = p.fields.unwrap();
        assert_eq!(f.to, "a@x.test, b@y.test");
        assert_eq!(f.cc, "c@z.test");
        assert_eq!(f.bcc, "", "a field left out is cleared");
        assert_eq!(f.subject, "New subject");
        assert_eq!(p.body, "hi");
    }

    #[test]
    fn from_sender_and_reply_to_are_ignored_and_reported() {
        let text = "From: ceo@evil.test\nsender: x@evil.test\nReply-To: y@evil.test\n\
                    To: a@x.test\nSubject: s\n\nbody";
        let p = parse(text);
        assert_eq!(p.fields.as_ref().map(|f| f.to.as_str()), Ok("a@x.test"));
        assert_eq!(
            p.ignored,
            vec![
                ("From", "ceo@evil.test".to_string()),
                ("Sender", "x@evil.test".to_string()),
                ("Reply-To", "y@evil.test".to_string()),
            ]
        );
        assert_eq!(p.body, "body");
    }

    #[test]
    fn hostile_header_lines_are_refused_and_the_body_kept() {
        let cases: [(&str, &str); 6] = [
            (
                "X-Evil: 1\nTo: a@x.test\n\nbody",
                "cannot be set from the editor",
            ),
            ("To: a@x.test\nTo: b@x.test\n\nbody", "given twice"),
            ("To: not an address\n\nbody", "not an email address"),
            ("Subject: a\rBcc: b@x.test\n\nbody", "line breaks"),
            ("Subject: a\u{1b}[2J\n\nbody", "line breaks"),
            ("just some text\n\nbody", "not a header"),
        ];
        for (text, why) in cases {
            let p = parse(text);
            let e = p.fields.expect_err(text).to_string();
            assert!(e.contains(why), "{text:?}: {e}");
            assert_eq!(p.body, "body", "{text:?}");
        }
        // A continuation before any header, a header with spaces in its name.
        assert!(parse(" x\n\nb").fields.is_err());
        assert!(parse("Bad Name: v\n\nb").fields.is_err());
        assert!(
            parse(&format!(
                "Subject: {}\n\nb",
                "x".repeat(header::MAX_FIELD_CHARS + 1)
            ))
            .fields
            .is_err()
        );
    }

    #[test]
    fn a_file_without_its_blank_line_keeps_everything() {
        // Only headers: applied, empty body.
        let p = parse("To: a@x.test\nSubject: s");
        assert_eq!(p.fields.map(|f| f.subject), Ok("s".to_string()));
        assert_eq!(p.body, "");
        // Text that is not headers: nothing lost, it is the body.
        let p = parse("Dear customer,\nthanks");
        assert!(p.fields.is_err());
        assert_eq!(p.body, "Dear customer,\nthanks");
        // Empty: empty fields, empty body.
        let p = parse("");
        assert_eq!(p.fields, Ok(Fields::default()));
    }
}
