use std::fmt;
use std::path::PathBuf;

/// One semantic problem in a configuration, located by account and key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The account's `name`, when the problem is inside an `[[account]]`.
    pub account: Option<String>,
    /// The dotted key, e.g. `imap.tls` or `agent.id`.
    pub key: String,
    pub message: String,
}

impl Problem {
    pub fn new(account: Option<&str>, key: impl Into<String>, message: impl Into<String>) -> Self {
        Problem {
            account: account.map(str::to_string),
            key: key.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let account = self.account.as_deref().map(crate::sanitize::single_line);
        match account {
            Some(a) => write!(f, "account \"{a}\": `{}`: {}", self.key, self.message),
            None => write!(f, "`{}`: {}", self.key, self.message),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "no configuration file given and no config directory could be determined (set $HOME or use --config PATH)"
    )]
    NoDefaultPath,
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}:{column}: {message}", path.display())]
    Syntax {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{}: {}", path.display(), list(problems))]
    Invalid {
        path: PathBuf,
        problems: Vec<Problem>,
    },
}

fn list(problems: &[Problem]) -> String {
    if problems.len() == 1 {
        return problems[0].to_string();
    }
    let mut s = format!("{} problems", problems.len());
    for p in problems {
        s.push_str("\n  - ");
        s.push_str(&p.to_string());
    }
    s
}
