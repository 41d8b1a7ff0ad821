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

/// Splits a comma-separated list of bare addresses (`a@x, b@y`), checking each one.
/// Display names are not accepted here: recipients are addresses; names come from the
/// message being answered, already parsed.
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
    let mut out = Vec::new();
    for part in list
        .split([',', ';'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        if out.len() == MAX_RECIPIENTS {
            return Err(HeaderError::TooMany {
                field: field.to_string(),
                max: MAX_RECIPIENTS,
            });
        }
        let bare = part
            .strip_prefix('<')
            .and_then(|p| p.strip_suffix('>'))
            .unwrap_or(part);
        if !crate::config::is_valid_address(bare) {
            return Err(HeaderError::BadAddress {
                field: field.to_string(),
                value: crate::sanitize::single_line(part),
            });
        }
        if !out.iter().any(|o: &String| o.eq_ignore_ascii_case(bare)) {
            out.push(bare.to_string());
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
        // Many separators cost nothing (CVE-2021-3181 was a memory blow-up on `;`).
        assert_eq!(
            parse_addresses("To", &";".repeat(100_000)).unwrap(),
            Vec::<String>::new()
        );
    }
}
