//! The compose pane's work with files, done by the engine so the UI thread does no I/O:
//! checking a file the agent attaches ([`check_attachment`], for
//! [`Request::Attach`](super::Request::Attach)) and building the exact message the preview
//! shows ([`preview`], for [`Request::Preview`](super::Request::Preview)): the attachments are
//! read, the recipients parsed as typed, and [`reply::build`] does the rest.
//! [`answer`] turns either request into its event; the runtime calls it on a job.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use super::event::Event;
use super::reply::{self, BuildError, Letter, Plan};
use super::request::Request;
use crate::mail::compose::Outgoing;
use crate::mail::header::{self, HeaderError};
use crate::mail::reply::load_attachment;
use crate::policy::identity::SendIdentity;

/// What the compose pane has when the agent asks for the preview: the plan (with the From
/// chosen), the header fields as typed, the new text and the files to attach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Typed {
    pub plan: Plan,
    pub to: String,
    pub cc: String,
    pub bcc: String,
    pub subject: String,
    pub text: String,
    pub attachments: Vec<PathBuf>,
    /// A forward's parts from the original, attached after `attachments`.
    pub forwarded: Vec<crate::mail::compose::Attachment>,
    /// The message's Date.
    pub now: SystemTime,
}

/// The exact message and the identity it goes out as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Built {
    pub outgoing: Outgoing,
    pub identity: SendIdentity,
}

/// Why the preview could not be built, in the order it is checked.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PreviewError {
    /// A file to attach cannot be read.
    #[error("attachment {}: {source}", path.display())]
    Attachment {
        path: PathBuf,
        source: Arc<std::io::Error>,
    },
    /// A recipient field (To, Cc, Bcc) as typed is not a list of addresses.
    #[error(transparent)]
    Recipients(#[from] HeaderError),
    /// The plan and the letter make no message (identity, subject, signature).
    #[error(transparent)]
    Build(Arc<BuildError>),
    /// The job that builds it failed (a panic, no thread).
    #[error("{0}")]
    Job(String),
}

/// Why a file cannot be attached.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttachError {
    /// Not a file (missing, a folder, or out of reach).
    #[error("{}: no such file", path.display())]
    NoSuchFile { path: PathBuf },
    /// The job that checks it failed (a panic, no thread).
    #[error("{}: {why}", path.display())]
    Job { path: PathBuf, why: String },
}

/// Whether `path` can be attached: it must be a file now (it is read when the preview is
/// built).
pub fn check_attachment(path: &Path) -> Result<(), AttachError> {
    if path.is_file() {
        Ok(())
    } else {
        Err(AttachError::NoSuchFile {
            path: path.to_path_buf(),
        })
    }
}

/// Builds the message `typed` describes, exactly as it will be transmitted: the attachments
/// are read first, then the recipient fields parsed, then [`reply::build`].
pub fn preview(typed: Typed) -> Result<Built, PreviewError> {
    let mut files = Vec::new();
    for path in &typed.attachments {
        let file = load_attachment(path).map_err(|e| PreviewError::Attachment {
            path: path.clone(),
            source: Arc::new(e),
        })?;
        files.push(file);
    }
    files.extend(typed.forwarded);
    let letter = Letter {
        to: header::parse_addresses("To", &typed.to)?,
        cc: header::parse_addresses("Cc", &typed.cc)?,
        bcc: header::parse_addresses("Bcc", &typed.bcc)?,
        subject: typed.subject,
        text: typed.text,
        attachments: files,
    };
    let identity = typed
        .plan
        .identity()
        .map_err(|e| PreviewError::Build(Arc::new(e.into())))?
        .clone();
    let outgoing = reply::build(&typed.plan, letter, typed.now)
        .map_err(|e| PreviewError::Build(Arc::new(e)))?;
    Ok(Built { outgoing, identity })
}

/// The answer to a [`Request::Preview`] or [`Request::Attach`] (on the caller's thread: the
/// runtime calls it on a job); `None` for any other request.
pub fn answer(request: Request) -> Option<Event> {
    match request {
        Request::Preview { id, typed } => Some(Event::Previewed {
            id,
            result: preview(*typed).map(Box::new),
        }),
        Request::Attach { draft_id, path } => Some(Event::Attached {
            draft_id,
            result: check_attachment(&path),
            path,
        }),
        Request::AddressBook { id, argv, query } => Some(Event::AddressBook {
            id,
            result: super::address_book::run(
                &argv,
                &query,
                super::address_book::DEADLINE,
                super::address_book::MAX_BYTES,
            ),
            query,
        }),
        _ => None,
    }
}

/// The answer to a [`Request::Preview`] or [`Request::Attach`] whose job gave none (`why`).
pub fn failed(request: &Request, why: &str) -> Option<Event> {
    match request {
        Request::Preview { id, .. } => Some(Event::Previewed {
            id: *id,
            result: Err(PreviewError::Job(why.to_string())),
        }),
        Request::Attach { draft_id, path } => Some(Event::Attached {
            draft_id: draft_id.clone(),
            path: path.clone(),
            result: Err(AttachError::Job {
                path: path.clone(),
                why: why.to_string(),
            }),
        }),
        Request::AddressBook { id, argv, query } => Some(Event::AddressBook {
            id: *id,
            query: query.clone(),
            result: Err(super::address_book::AddressBookError::Spawn {
                program: argv.first().cloned().unwrap_or_default(),
                reason: why.to_string(),
            }),
        }),
        _ => None,
    }
}

#[cfg(test)]
#[path = "compose_tests.rs"]
mod tests;
