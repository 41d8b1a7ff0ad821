//! The key-spec grammar: keys as users write them in `[keys]` and as help shows them.

use std::fmt;

/// A key's code, without modifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyName {
    /// A character: `j`, `G`, `!`, `Space` (' ').
    Char(char),
    /// A function key, 1–12.
    F(u8),
    Enter,
    Esc,
    Tab,
    /// Shift-Tab, which terminals send as a code of its own.
    BackTab,
    Backspace,
    Delete,
    Insert,
    Up,
    Down,
    Left,
    Right,
    Home,
    End,
    PageUp,
    PageDown,
}

/// A key: a code and whether Ctrl is held. Shift is part of the character (`G`) or the code
/// (`BackTab`); terminals disagree on reporting it, so it is never compared. Alt and Meta
/// combinations are never bound (see `KeyParseError::Alt`), so neither has a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeySpec {
    pub code: KeyName,
    pub ctrl: bool,
}

impl KeySpec {
    /// Whether the key, pressed without Ctrl, produces text (a printable character).
    pub fn is_text(self) -> bool {
        !self.ctrl && matches!(self.code, KeyName::Char(_))
    }
}

/// Named keys, as written in the configuration (matched caselessly) and shown in help. The
/// first name of a code is the one shown.
const NAMES: &[(&str, KeyName)] = &[
    ("Enter", KeyName::Enter),
    ("Return", KeyName::Enter),
    ("Esc", KeyName::Esc),
    ("Escape", KeyName::Esc),
    ("Tab", KeyName::Tab),
    ("S-Tab", KeyName::BackTab),
    ("Shift-Tab", KeyName::BackTab),
    ("BackTab", KeyName::BackTab),
    ("Space", KeyName::Char(' ')),
    ("Backspace", KeyName::Backspace),
    ("BS", KeyName::Backspace),
    ("Delete", KeyName::Delete),
    ("Del", KeyName::Delete),
    ("Insert", KeyName::Insert),
    ("Ins", KeyName::Insert),
    ("Up", KeyName::Up),
    ("Down", KeyName::Down),
    ("Left", KeyName::Left),
    ("Right", KeyName::Right),
    ("Home", KeyName::Home),
    ("End", KeyName::End),
    ("PageUp", KeyName::PageUp),
    ("PgUp", KeyName::PageUp),
    ("PageDown", KeyName::PageDown),
    ("PgDn", KeyName::PageDown),
];

/// Why a key spec could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyParseError {
    #[error("an empty string is not a key")]
    Empty,
    #[error(
        "{0:?} is not a key: write a character (\"F\", \"!\"), a name (Enter, Esc, Tab, S-Tab, Space, Backspace, Delete, Insert, Up, Down, Left, Right, Home, End, PageUp, PageDown, F1-F12) or Ctrl- with a letter or a name (\"Ctrl-d\")"
    )]
    Unknown(String),
    #[error(
        "{0:?}: Alt and Meta combinations cannot be bound (over a slow link, Esc followed by a key arrives as Alt)"
    )]
    Alt(String),
    #[error(
        "{0:?}: Shift is written into the key itself: \"G\" rather than \"S-g\", and \"S-Tab\""
    )]
    Shift(String),
    #[error("{0:?}: terminals send this as {1}: write {1:?}")]
    Alias(String, &'static str),
    #[error("{0:?} is a control character, not a key")]
    Control(String),
}

/// Reads a key spec: `"j"`, `"Ctrl-d"`, `"Enter"`, `"S-Tab"`, `"F5"`.
pub fn parse_key(spec: &str) -> Result<KeySpec, KeyParseError> {
    let shown = crate::sanitize::single_line(spec);
    if spec.is_empty() {
        return Err(KeyParseError::Empty);
    }
    let mut chars = spec.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        if c.is_control() {
            return Err(KeyParseError::Control(shown));
        }
        return Ok(KeySpec {
            code: KeyName::Char(c),
            ctrl: false,
        });
    }
    if let Some((_, code)) = NAMES.iter().find(|(n, _)| n.eq_ignore_ascii_case(spec)) {
        return Ok(KeySpec {
            code: *code,
            ctrl: false,
        });
    }
    if let Some(n) = spec
        .strip_prefix(['F', 'f'])
        .and_then(|n| n.parse::<u8>().ok())
        .filter(|n| (1..=12).contains(n))
    {
        return Ok(KeySpec {
            code: KeyName::F(n),
            ctrl: false,
        });
    }
    let lower = spec.to_ascii_lowercase();
    if ["alt-", "a-", "meta-", "m-"]
        .iter()
        .any(|p| lower.starts_with(p))
    {
        return Err(KeyParseError::Alt(shown));
    }
    if ["shift-", "s-"].iter().any(|p| lower.starts_with(p)) {
        return Err(KeyParseError::Shift(shown));
    }
    let rest = ["ctrl-", "c-"]
        .iter()
        .find_map(|p| lower.starts_with(p).then(|| &spec[p.len()..]));
    let Some(rest) = rest else {
        return Err(KeyParseError::Unknown(shown));
    };
    let mut chars = rest.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if c.is_ascii_alphabetic() => {
            let c = c.to_ascii_lowercase();
            // The terminal sends these bytes for other keys; a binding would never fire.
            match c {
                'i' => Err(KeyParseError::Alias(shown, "Tab")),
                'm' | 'j' => Err(KeyParseError::Alias(shown, "Enter")),
                _ => Ok(KeySpec {
                    code: KeyName::Char(c),
                    ctrl: true,
                }),
            }
        }
        (Some('['), None) => Err(KeyParseError::Alias(shown, "Esc")),
        _ => match NAMES.iter().find(|(n, _)| n.eq_ignore_ascii_case(rest)) {
            // Ctrl with a named key (Ctrl-Up); Ctrl-Tab and the like are indistinguishable
            // from the plain key on most terminals.
            Some((_, code)) if !matches!(code, KeyName::Char(_)) => Ok(KeySpec {
                code: *code,
                ctrl: true,
            }),
            _ => Err(KeyParseError::Unknown(shown)),
        },
    }
}

impl fmt::Display for KeySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("Ctrl-")?;
        }
        match self.code {
            KeyName::Char(' ') => f.write_str("Space"),
            KeyName::Char(c) => write!(f, "{c}"),
            KeyName::F(n) => write!(f, "F{n}"),
            code => match NAMES.iter().find(|(_, c)| *c == code) {
                Some((name, _)) => f.write_str(name),
                None => write!(f, "{code:?}"),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_round_trip_through_display() {
        for spec in [
            "j",
            "G",
            "!",
            "?",
            "/",
            ":",
            "Ctrl-d",
            "Enter",
            "Tab",
            "S-Tab",
            "Space",
            "Esc",
            "F1",
            "PageDown",
            "Ctrl-Up",
            "Backspace",
        ] {
            let k = parse_key(spec).expect(spec);
            assert_eq!(k.to_string(), spec);
            assert_eq!(parse_key(&k.to_string()), Ok(k));
        }
        assert_eq!(parse_key("ctrl-D"), parse_key("Ctrl-d"));
        assert_eq!(parse_key("C-d"), parse_key("Ctrl-d"));
        assert_eq!(parse_key("shift-tab"), parse_key("S-Tab"));
        assert_eq!(parse_key("escape"), parse_key("Esc"));
        assert_eq!(parse_key(" ").map(|k| k.to_string()), Ok("Space".into()));
    }

    #[test]
    fn bad_specs_say_why() {
        assert!(matches!(parse_key(""), Err(KeyParseError::Empty)));
        assert!(matches!(parse_key("Alt-x"), Err(KeyParseError::Alt(_))));
        assert!(matches!(parse_key("M-x"), Err(KeyParseError::Alt(_))));
        assert!(matches!(parse_key("S-g"), Err(KeyParseError::Shift(_))));
        assert!(matches!(
            parse_key("Ctrl-i"),
            Err(KeyParseError::Alias(_, "Tab"))
        ));
        assert!(matches!(
            parse_key("Ctrl-m"),
            Err(KeyParseError::Alias(_, "Enter"))
        ));
        assert!(matches!(
            parse_key("Ctrl-["),
            Err(KeyParseError::Alias(_, "Esc"))
        ));
        assert!(matches!(
            parse_key("\u{1b}"),
            Err(KeyParseError::Control(_))
        ));
        for bad in [
            "jj",
            "Ctrl-",
            "Ctrl-dd",
            "F13",
            "F0",
            "Hyper-x",
            "Ctrl-Space",
        ] {
            assert!(
                matches!(parse_key(bad), Err(KeyParseError::Unknown(_))),
                "{bad}"
            );
        }
    }
}
