//! `mailroom policy ACCOUNT show|history|diff FILE|publish FILE`: the team policy held in the
//! account's policy folder (`imap::policy`; a Maildir account's `backend::policy`), read,
//! compared and published.

pub mod diff;
pub mod history;
pub mod linediff;
pub mod publish;
pub mod show;

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

use super::list::{ListError, find_account};
use crate::config::{Account, Config, Imap};
use crate::imap::connect::{ImapConn, Target, open_session};
use crate::imap::notes::NotesError;
use crate::mail::policy::PolicyMessageError;
use crate::policy::team::{self, PolicyError, TeamPolicy};
use crate::sanitize::single_line;

#[derive(Debug, Args)]
pub struct PolicyArgs {
    /// The account's `name` from the configuration
    pub account: String,
    #[command(subcommand)]
    pub verb: Verb,
}

#[derive(Debug, Subcommand)]
pub enum Verb {
    /// The policy in force: version, who published it and when, the folder and UID, whether
    /// it was read from the server or is the copy kept offline, the document; newer policy
    /// messages that fail validation are listed with their errors (line:column)
    Show {
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Every policy message of the folder, newest first: UID, version, publisher, date, and
    /// whether it is valid (else its error); the one in force is marked
    History {
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// The lines that differ between the policy in force and FILE (validated first)
    Diff {
        /// A policy document (TOML, see policy.example.toml)
        file: PathBuf,
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Validate FILE and append it to the policy folder (on a Maildir account, its Maildir folder
    /// Policy or `policy_folder`) as the new policy (its version must be
    /// newer than the one in force; the folder is created when missing, which needs `k`), then
    /// lock the folder when you hold the `a` right: you, the policy's administrators and holders
    /// of `a` keep their rights, everyone else keeps at most `lr`
    Publish {
        /// A policy document (TOML, see policy.example.toml)
        file: PathBuf,
        /// Files reply templates name in `attachments` (by file name); repeatable
        #[arg(long, value_name = "PATH", num_args = 1..)]
        attach: Vec<PathBuf>,
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum PolicyCliError {
    #[error(transparent)]
    Account(#[from] ListError),
    #[error(
        "account {0:?} has no IMAP mailbox: a team policy lives in a shared IMAP mailbox's policy folder"
    )]
    NotImap(String),
    #[error("account {account:?}: {source}")]
    Imap {
        account: String,
        source: crate::imap::ImapError,
    },
    #[error("account {account:?}: {source}")]
    Folder { account: String, source: NotesError },
    #[error("account {account:?}: the Maildir policy folder: {source}")]
    Maildir {
        account: String,
        source: crate::backend::BackendError,
    },
    #[error("{path}: {source}")]
    File {
        path: String,
        source: std::io::Error,
    },
    /// Every problem on its own line, `FILE:LINE:COLUMN: message`.
    #[error("{}", located(path, error))]
    Invalid { path: String, error: PolicyError },
    #[error(
        "{path}: version {version} is not newer than the policy in force (version {in_force}, published by {published_by}): raise `version`"
    )]
    Stale {
        path: String,
        version: u64,
        in_force: u64,
        published_by: String,
    },
    #[error("{path}: {source}")]
    Message {
        path: String,
        source: PolicyMessageError,
    },
    #[error("{path}: {message}")]
    Attachment { path: String, message: String },
    #[error("cannot write the output: {0}")]
    Output(#[from] std::io::Error),
}

fn located(path: &str, error: &PolicyError) -> String {
    error
        .to_string()
        .lines()
        .map(|l| format!("{path}:{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Runs `mailroom policy`; returns whether it succeeded (exit status 0).
pub fn run(config: &Config, args: &PolicyArgs) -> Result<bool, PolicyCliError> {
    let account = find_account(config, &args.account)?;
    let mut out = std::io::stdout().lock();
    match &args.verb {
        Verb::Show { json } => show::run(account, *json, &mut out),
        Verb::History { json } => history::run(account, *json, &mut out),
        Verb::Diff { file, json } => diff::run(account, file, *json, &mut out),
        Verb::Publish { file, attach, json } => {
            publish::run(config, account, file, attach, *json, &mut out)
        }
    }
}

/// The account's IMAP settings, or why it has none.
pub(crate) fn imap_of(account: &Account) -> Result<&Imap, PolicyCliError> {
    account
        .imap
        .as_ref()
        .ok_or_else(|| PolicyCliError::NotImap(single_line(&account.name)))
}

/// The account's Maildir, opened, when it has no IMAP mailbox (`None`: it has IMAP).
pub(crate) fn maildir_of(
    account: &Account,
) -> Result<Option<crate::backend::maildir::MaildirBackend>, PolicyCliError> {
    let (None, Some(m)) = (&account.imap, &account.maildir) else {
        return Ok(None);
    };
    crate::backend::maildir::MaildirBackend::open(&account.name, &m.path)
        .map(Some)
        .map_err(|source| maildir_error(account, source))
}

pub(crate) fn maildir_error(
    account: &Account,
    source: crate::backend::BackendError,
) -> PolicyCliError {
    PolicyCliError::Maildir {
        account: single_line(&account.name),
        source,
    }
}

/// A session on the account's server and its policy folder.
pub(crate) fn connect(account: &Account) -> Result<(ImapConn, String), PolicyCliError> {
    let imap = imap_of(account)?;
    let mut conn = open_session(&Target {
        account: &account.name,
        config: imap,
    })
    .map_err(|source| PolicyCliError::Imap {
        account: single_line(&account.name),
        source,
    })?;
    let folder = crate::imap::policy::policy_folder(&mut conn, account)
        .map_err(|e| folder_error(account, e))?;
    Ok((conn, folder))
}

pub(crate) fn folder_error(account: &Account, source: NotesError) -> PolicyCliError {
    PolicyCliError::Folder {
        account: single_line(&account.name),
        source,
    }
}

/// A file of at most the size of a whole policy message (`mail::policy::MAX_MESSAGE_BYTES`).
pub(crate) fn read_bounded(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let max = crate::mail::policy::MAX_MESSAGE_BYTES;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(max + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("larger than a policy message may be ({max} bytes)"),
        ));
    }
    Ok(bytes)
}

/// Reads and validates a policy document from `path`: its text and the policy.
pub(crate) fn read_document(path: &Path) -> Result<(String, TeamPolicy), PolicyCliError> {
    let shown = single_line(&path.display().to_string());
    let bytes = read_bounded(path).map_err(|source| PolicyCliError::File {
        path: shown.clone(),
        source,
    })?;
    let text = String::from_utf8(bytes).map_err(|_| PolicyCliError::File {
        path: shown.clone(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8 text"),
    })?;
    let policy =
        team::parse(&text).map_err(|error| PolicyCliError::Invalid { path: shown, error })?;
    Ok((text, policy))
}

/// A date from the epoch seconds of a policy message, RFC 3339 (empty when unknown).
pub(crate) fn when(secs: Option<i64>) -> String {
    secs.map(crate::mail::date::rfc3339_utc).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_documents_errors_name_the_file_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.toml");
        std::fs::write(&path, "version = 2\n[send]\nas = [\"alice\"\n").unwrap();
        let e = read_document(&path).unwrap_err().to_string();
        assert!(e.starts_with(&format!("{}:3:", path.display())), "{e}");
        std::fs::write(
            &path,
            "version = 2\n[send]\nas = [\"Bad Id\"]\non-behalf = [\"also bad\"]\n",
        )
        .unwrap();
        let e = read_document(&path).unwrap_err().to_string();
        let lines: Vec<&str> = e.lines().collect();
        assert!(lines.len() >= 2, "{e}");
        for l in lines {
            assert!(l.starts_with(&format!("{}:", path.display())), "{e}");
        }
        let (text, policy) = {
            std::fs::write(&path, "version = 7\n").unwrap();
            read_document(&path).unwrap()
        };
        assert_eq!((text.as_str(), policy.version), ("version = 7\n", 7));
        assert!(read_document(&dir.path().join("absent.toml")).is_err());
    }
}
