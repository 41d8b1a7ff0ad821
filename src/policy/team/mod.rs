//! The team policy: the rules a shared mailbox publishes for everyone who answers from it.
//!
//! Pure code. The document is TOML, held as a message in the mailbox's policy folder (reading
//! and publishing it is `imap::policy`); [`parse`] validates it with line and column, [`apply`]
//! narrows an agent's local configuration to it. The policy wins where it speaks; the local
//! configuration can only narrow it (a lower send mode, never a higher one; never without a
//! required team signature or disclaimer).
//!
//! ```toml
//! version = 3                      # required, grows with each publication
//! administrators = ["alice"]       # who publishes (check warns about anyone else's rights)
//!
//! [send]                           # who may send how; everyone else: none
//! as = ["alice", "carol"]
//! on-behalf = ["bob"]              # "*" stands for every agent
//!
//! [signature]                      # the same fields as a [signature.NAME] of the config
//! text = "{agent.name}\n{account.display_name} <{from.address}>"
//! disclaimer = "This message may contain confidential information."
//! placement = "below-reply"
//! required = true
//!
//! [[template]]                     # shared reply templates
//! name = "refund"
//! subject = "Re: {ticket.subject}"
//! body = "Hello {customer.name},\n…"
//! attachments = ["refund-form.pdf"]   # parts of the policy message, by file name
//!
//! [review]                         # replies that need approval before they go
//! agents = ["bob"]                 # "*": everyone who is not an approver
//! approvers = ["alice"]
//!
//! [sla]                            # first-response target
//! first_response = "4h"            # 30m, 4h, 2d
//! hours = "Mon-Fri 09:00-17:00"    # or "always" (the default)
//! timezone = "+01:00"              # offset of the business hours (default +00:00)
//! due_soon = "1h"                  # when a row turns "due soon" (default: a quarter of the target)
//! ```

mod apply;
mod parse;
pub mod sla;

pub use apply::{Narrowing, apply, signature_name};
pub use parse::{PolicyError, parse};

pub use parse::{Located, duration};

use crate::config::BusinessHours;
use crate::config::{SendMode, Signature};
use crate::mail::policy::{Attachment, PolicyMessageError, Published};

/// A validated team policy document.
#[derive(Debug, Clone)]
pub struct TeamPolicy {
    /// Grows with each publication; `publish` refuses one not newer than the policy in force.
    pub version: u64,
    /// Agent ids that administer the policy (besides holders of the `a` right).
    pub administrators: Vec<String>,
    /// `None`: the policy does not say who may send (the local `send` rules).
    pub send: Option<SendRules>,
    /// `None`: the local signature rules.
    pub signature: Option<Signature>,
    pub templates: Vec<ReplyTemplate>,
    pub review: Option<ReviewRules>,
    pub sla: Option<Sla>,
}

/// `[send]`: agent ids (or `"*"`) per send mode. An agent in both lists gets the higher one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SendRules {
    pub send_as: Vec<String>,
    pub on_behalf: Vec<String>,
}

impl SendRules {
    /// The highest mode the policy gives `agent`; [`SendMode::None`] when neither list has them.
    pub fn mode_for(&self, agent: &str) -> SendMode {
        if names(&self.send_as, agent) {
            SendMode::As
        } else if names(&self.on_behalf, agent) {
            SendMode::OnBehalf
        } else {
            SendMode::None
        }
    }
}

/// True when `list` names `agent` or holds `"*"`.
fn names(list: &[String], agent: &str) -> bool {
    list.iter().any(|a| a == "*" || a == agent)
}

/// One `[[template]]`: a shared reply the compose pane and `send --template` can insert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyTemplate {
    /// `[a-z0-9._-]+`, unique in the policy.
    pub name: String,
    /// A subject template; `None` keeps the reply's own subject.
    pub subject: Option<String>,
    /// The body template (`config::template` fields, with the reply fields).
    pub body: String,
    /// File names of parts of the policy message to attach.
    pub attachments: Vec<String>,
}

/// `[review]`: whose replies wait for approval, and who approves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReviewRules {
    /// Agent ids, or `"*"` for everyone who is not an approver.
    pub agents: Vec<String>,
    pub approvers: Vec<String>,
}

impl ReviewRules {
    /// Whether `agent`'s replies need approval: named explicitly, or covered by `"*"` without
    /// being an approver.
    pub fn needs_review(&self, agent: &str) -> bool {
        self.agents.iter().any(|a| a == agent)
            || (self.agents.iter().any(|a| a == "*") && !self.may_approve(agent))
    }

    pub fn may_approve(&self, agent: &str) -> bool {
        names(&self.approvers, agent)
    }
}

/// `[sla]`: the first-response target of the mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sla {
    /// Seconds (of business time when `hours` is set).
    pub first_response: i64,
    /// `None`: around the clock.
    pub hours: Option<BusinessHours>,
    /// Seconds east of UTC the business hours are in.
    pub offset: i32,
    /// Seconds before the target when a row turns "due soon".
    pub due_soon: i64,
}

/// Where a policy in force came from: what `check` and `policy show` print.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Provenance {
    /// The policy folder's name on the server.
    pub folder: String,
    /// The UID of the policy message in that folder.
    pub uid: u32,
    /// The agent id in `X-Mailroom-Agent`, else the From address.
    pub published_by: String,
    /// The message's date, RFC 3339 (empty when it has none).
    pub published_at: String,
}

/// A policy with where it came from.
#[derive(Debug, Clone)]
pub struct InForce {
    pub policy: TeamPolicy,
    pub source: Provenance,
    /// The policy message's attachments (files reply templates name).
    pub attachments: Vec<Attachment>,
    /// The document as published (what `policy show` prints and `policy diff` compares).
    pub document: String,
}

/// Why a policy message is skipped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    #[error(transparent)]
    Message(#[from] PolicyMessageError),
    #[error("{0}")]
    Document(#[from] PolicyError),
}

/// One policy message of the folder, read and validated.
#[derive(Debug, Clone)]
pub struct Entry {
    pub uid: u32,
    /// `X-Mailroom-Agent`, else the From address (empty for an unreadable message).
    pub published_by: String,
    /// Seconds since the epoch, from the Date header.
    pub published_at: Option<i64>,
    pub document: String,
    pub attachments: Vec<Attachment>,
    pub outcome: Result<TeamPolicy, EntryError>,
}

/// Validates a policy message read back from `uid`.
pub fn entry(uid: u32, message: Result<Published, PolicyMessageError>) -> Entry {
    match message {
        Ok(p) => Entry {
            uid,
            outcome: parse(&p.document).map_err(EntryError::from),
            published_by: p.published_by,
            published_at: p.date,
            document: p.document,
            attachments: p.attachments,
        },
        Err(e) => Entry {
            uid,
            published_by: String::new(),
            published_at: None,
            document: String::new(),
            attachments: Vec::new(),
            outcome: Err(e.into()),
        },
    }
}

/// The policy in force among `entries` (any order): the valid one with the highest UID.
pub fn in_force(entries: &[Entry], folder: &str) -> Option<InForce> {
    let e = entries
        .iter()
        .filter(|e| e.outcome.is_ok())
        .max_by_key(|e| e.uid)?;
    let policy = e.outcome.as_ref().ok()?.clone();
    Some(InForce {
        policy,
        source: Provenance {
            folder: folder.to_string(),
            uid: e.uid,
            published_by: e.published_by.clone(),
            published_at: e
                .published_at
                .map(crate::mail::date::rfc3339_utc)
                .unwrap_or_default(),
        },
        attachments: e.attachments.clone(),
        document: e.document.clone(),
    })
}

/// The messages newer than the policy in force that fail validation: what `check`, `policy
/// show` and the TUI report (never half-applied).
pub fn skipped(entries: &[Entry]) -> Vec<&Entry> {
    let newest_valid = entries
        .iter()
        .filter(|e| e.outcome.is_ok())
        .map(|e| e.uid)
        .max()
        .unwrap_or(0);
    entries
        .iter()
        .filter(|e| e.outcome.is_err() && e.uid > newest_valid)
        .collect()
}
