//! Safety of outgoing header input: nothing the user (or a message being answered) typed may
//! smuggle a line break or NUL into a header, and every address must be one address.

/// Why a header value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    #[error("{field}: line breaks and NUL are not allowed in a header")]
    LineBreak { field: String },
    #[error("{field}: {value:?} is not an email address")]
    BadAddress { field: String, value: String },
    #[error("{field}: more than {max} addresses")]
    TooMany { field: String, max: usize },
    #[error("{field}: longer than {max} characters")]
    TooLong { field: String, max: usize },
}

/// Most recipients one field may list.
pub const MAX_RECIPIENTS: usize = 500;
/// Longest recipient list accepted, in bytes (room for `MAX_RECIPIENTS` long addresses).
pub const MAX_LIST_BYTES: usize = 256 * 1024;
/// Longest value accepted for a single-line field such as Subject.
pub const MAX_FIELD_CHARS: usize = 2000;

/// A single-line header value (Subject, a display name): no CR, LF or NUL.
pub fn check_value(field: &str, value: &str) -> Result<(), HeaderError> {
    if value.contains(['\r', '\n', '\0']) {
        return Err(HeaderError::LineBreak {
            field: field.to_string(),
        });
    }
    if value.chars().count() > MAX_FIELD_CHARS {
        return Err(HeaderError::TooLong {
            field: field.to_string(),
            max: MAX_FIELD_CHARS,
        });
    }
    Ok(())
}

/// Characters that make a display name need quoting (RFC 5322 `specials`).
const SPECIALS: &[char] = &[
    '(', ')', '<', '>', '[', ']', ':', ';', '@', '\\', ',', '.', '"',
];

/// A display name made safe for one header line: control and format characters dropped,
/// runs of white space made one space, trimmed.
fn clean_name(name: &str) -> String {
    name.chars()
        .filter(|c| !crate::sanitize::is_format_control(*c))
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// One recipient as it is shown and carried: `email`, or `Name <email>` with the name quoted
/// (`"Doe, Jane" <email>`) when it holds a special character. Never holds a line break.
pub fn format_mailbox(name: Option<&str>, email: &str) -> String {
    let name = name.map(clean_name).unwrap_or_default();
    let email: String = email.chars().filter(|c| !c.is_control()).collect();
    if name.is_empty() || name.eq_ignore_ascii_case(&email) {
        return email;
    }
    if name.contains(SPECIALS) {
        let quoted = name.replace('\\', "\\\\").replace('"', "\\\"");
        format!("\"{quoted}\" <{email}>")
    } else {
        format!("{name} <{email}>")
    }
}

/// The display name (unquoted) and the address of one recipient: `a@x`, `<a@x>`,
/// `Name <a@x>` or `"Quoted, Name" <a@x>`. Nothing is checked here.
pub fn split_mailbox(part: &str) -> (Option<String>, String) {
    let part = part.trim();
    let Some(body) = part.strip_suffix('>') else {
        return (None, part.to_string());
    };
    let Some(open) = body.rfind('<') else {
        return (None, part.to_string());
    };
    let email = body[open + 1..].trim().to_string();
    let phrase = body[..open].trim();
    let name = match phrase.strip_prefix('"').and_then(|p| p.strip_suffix('"')) {
        Some(q) => {
            let mut out = String::with_capacity(q.len());
            let mut escaped = false;
            for c in q.chars() {
                if escaped || c != '\\' {
                    out.push(c);
                    escaped = false;
                } else {
                    escaped = true;
                }
            }
            out
        }
        None => phrase.to_string(),
    };
    let name = clean_name(&name);
    ((!name.is_empty()).then_some(name), email)
}

/// The address of one recipient (`Name <a@x>` → `a@x`).
pub fn email_of(recipient: &str) -> String {
    split_mailbox(recipient).1
}

/// The parts of a recipient list: split at `,` and `;` outside quotes and angle brackets.
/// `None` when a quote or a bracket is left open.
fn split_list(list: &str) -> Option<Vec<&str>> {
    let mut out = Vec::new();
    let (mut start, mut quoted, mut escaped, mut angle) = (0, false, false, false);
    for (i, c) in list.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' if quoted => escaped = true,
            '"' if !angle => quoted = !quoted,
            '<' if !quoted => angle = true,
            '>' if !quoted => angle = false,
            ',' | ';' if !quoted && !angle => {
                out.push(&list[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if quoted || angle {
        return None;
    }
    out.push(&list[start..]);
    Some(out)
}

/// The recipients of a list as typed, unchecked (a draft keeps them as they are): split at
/// `,` and `;` outside quotes and angle brackets (at every one when a quote is left open),
/// trimmed, empty ones dropped.
pub fn recipients_of(list: &str) -> Vec<String> {
    split_list(list)
        .unwrap_or_else(|| list.split([',', ';']).collect())
        .into_iter()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

/// Splits a comma-separated recipient list (`a@x, Ann <b@y>, "Doe, Jo" <c@z>`), checking each
/// address; each recipient comes back as [`format_mailbox`] writes it, display name kept.
/// Duplicates (by address) are dropped.
pub fn parse_addresses(field: &str, list: &str) -> Result<Vec<String>, HeaderError> {
    if list.contains(['\r', '\n', '\0']) {
        return Err(HeaderError::LineBreak {
            field: field.to_string(),
        });
    }
    if list.len() > MAX_LIST_BYTES {
        return Err(HeaderError::TooLong {
            field: field.to_string(),
            max: MAX_LIST_BYTES,
        });
    }
    let bad = |part: &str| HeaderError::BadAddress {
        field: field.to_string(),
        value: crate::sanitize::single_line(part.trim()),
    };
    let parts = split_list(list).ok_or_else(|| bad(list))?;
    let mut out = Vec::new();
    let mut emails: Vec<String> = Vec::new();
    for part in parts.into_iter().map(str::trim).filter(|p| !p.is_empty()) {
        if out.len() == MAX_RECIPIENTS {
            return Err(HeaderError::TooMany {
                field: field.to_string(),
                max: MAX_RECIPIENTS,
            });
        }
        let (name, email) = split_mailbox(part);
        if !crate::config::is_valid_address(&email) {
            return Err(bad(part));
        }
        if let Some(n) = &name {
            check_value(field, n)?;
        }
        if !emails.iter().any(|o| o.eq_ignore_ascii_case(&email)) {
            out.push(format_mailbox(name.as_deref(), &email));
            emails.push(email);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_breaks_never_reach_a_header() {
        assert!(check_value("Subject", "Hello").is_ok());
        for bad in ["a\r\nBcc: x@y", "a\nb", "a\rb", "a\0b"] {
            assert_eq!(
                check_value("Subject", bad),
                Err(HeaderError::LineBreak {
                    field: "Subject".into()
                })
            );
        }
        assert!(check_value("Subject", &"x".repeat(MAX_FIELD_CHARS + 1)).is_err());
    }

    #[test]
    fn address_lists_are_checked_one_by_one() {
        assert_eq!(
            parse_addresses("To", "a@x.test, <b@y.test>; a@x.test").unwrap(),
            ["a@x.test", "b@y.test"]
        );
        assert!(matches!(
            parse_addresses("To", "a@x.test, not an address"),
            Err(HeaderError::BadAddress { .. })
        ));
        assert!(matches!(
            parse_addresses("Cc", "a@x.test\r\nBcc: evil@x.test"),
            Err(HeaderError::LineBreak { .. })
        ));
        let many = (0..=MAX_RECIPIENTS)
            .map(|i| format!("u{i}@x.test"))
            .collect::<Vec<_>>()
            .join(",");
        assert!(matches!(
            parse_addresses("To", &many),
            Err(HeaderError::TooMany { .. })
        ));
        // An unclosed quote or bracket is refused, not guessed at.
        assert!(parse_addresses("To", "\"Doe, Jo <a@x.test>").is_err());
        assert!(parse_addresses("To", "Jo <a@x.test").is_err());
        // Many separators cost nothing (CVE-2021-3181 was a memory blow-up on `;`).
        assert_eq!(
            parse_addresses("To", &";".repeat(100_000)).unwrap(),
            Vec::<String>::new()
        );
    }

    #[test]
    fn display_names_are_kept_quoted_where_needed() {
        assert_eq!(
            parse_addresses(
                "Cc",
                "Ann Example <ann@x.test>, \"Doe, Jane\" <jane@x.test>; b@y.test, ANN@x.test"
            )
            .unwrap(),
            [
                "Ann Example <ann@x.test>",
                "\"Doe, Jane\" <jane@x.test>",
                "b@y.test"
            ]
        );
        assert_eq!(
            format_mailbox(Some("Jo \"JJ\" O'Brien (IT)"), "jo@x.test"),
            "\"Jo \\\"JJ\\\" O'Brien (IT)\" <jo@x.test>"
        );
        // What format_mailbox writes, split_mailbox reads back.
        for name in ["Ann Example", "Doe, Jane", "a\\b \"c\"", "Zoë Ünal"] {
            let text = format_mailbox(Some(name), "a@x.test");
            assert_eq!(
                split_mailbox(&text),
                (Some(name.to_string()), "a@x.test".to_string()),
                "{text}"
            );
            assert_eq!(parse_addresses("To", &text).unwrap(), vec![text.clone()]);
        }
        // A name from a message never brings a line break or a control along.
        assert_eq!(
            format_mailbox(Some("Evil\r\nBcc: x@y.test\u{1b}"), "e@x.test"),
            "\"Evil Bcc: x@y.test\" <e@x.test>"
        );
        assert_eq!(format_mailbox(Some("  "), "e@x.test"), "e@x.test");
        assert_eq!(email_of("\"Doe, Jane\" <jane@x.test>"), "jane@x.test");
        assert_eq!(email_of("jane@x.test"), "jane@x.test");
        // A draft keeps the recipients as typed, a quoted comma inside its name.
        assert_eq!(
            recipients_of("\"Doe, Jane\" <j@x.test>;, b@y ,not checked"),
            ["\"Doe, Jane\" <j@x.test>", "b@y", "not checked"]
        );
        assert_eq!(recipients_of("\"open, a@x"), ["\"open", "a@x"]);
    }
}
