//! One reply-and-send procedure for both front ends (the compose pane and `mailroom send`):
//! [`plan`] → [`build`] → queue and deliver ([`super::pipeline`], or [`super::send`] for a
//! compose pane's draft).
//!
//! The plan is what policy decides before the agent writes a word: recipients, subject and
//! threading from the message answered, the identities the account offers, the one chosen and
//! why ([`identity::Reason`]), the rendered signature and the quote. [`build`] turns the plan
//! and what the agent wrote ([`Letter`]) into the exact message, with typed refusals. Pure
//! code: the caller fetches the original and reads attachment files.
//!
//! The chosen identity is carried, never found again: a front end that lets the agent cycle
//! the From uses [`Plan::select`] (an index into [`Plan::offered`]), one that takes a typed
//! address uses [`Plan::choose`].

use std::time::SystemTime;

use crate::config::template::TemplateError;
use crate::config::{Account, Config};
use crate::mail::compose::{self, Attachment, Draft, Outgoing};
use crate::mail::{header, parse, reply};
use crate::message::{Addrs, Summary};
use crate::policy::identity::{self, Reason, Refusal, SendIdentity};
use crate::policy::signature::{self, Rendered};

/// What is being written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    New,
    Reply,
    ReplyAll,
    Forward,
}

/// The identity a message goes out as, where it is among the offered ones, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chosen {
    /// Index into [`Plan::offered`].
    pub index: usize,
    pub identity: SendIdentity,
    /// Set when policy chose the identity for a reply; `None` for the account's address by
    /// default or an address the agent chose.
    pub reason: Option<Reason>,
}

/// Everything policy decides before the agent writes.
///
/// Header values (`to`, `cc`, `subject`) come from the message answered unchanged: a front end
/// that shows them in editable lines strips control characters, `mailroom send` refuses them
/// (the subject is checked by [`build`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub account: String,
    pub kind: Kind,
    pub to: Vec<String>,
    /// Reply to all: the original's To and Cc, minus the account's own addresses and `to`.
    pub cc: Vec<String>,
    pub subject: String,
    /// Message-ID answered, and the thread's References (without brackets).
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    /// UID of the message answered (to set `\Answered` on); replies only.
    pub reply_uid: Option<u32>,
    /// The message answered or forwarded (for the attribution line).
    pub original: Option<Summary>,
    /// The quoted original (reply) or forwarded text; `None` until its text is known.
    pub quoted: Option<String>,
    /// Every identity the account offers (its address, then its aliases); empty when refused.
    pub offered: Vec<SendIdentity>,
    /// The identity the message goes out as, or why the account may not send.
    pub chosen: Result<Chosen, Refusal>,
    /// The account's signature rendered for the chosen identity, or why it cannot be.
    pub signature: Result<Option<Rendered>, TemplateError>,
    /// The signature rendered for each of `offered` (`{from.address}` differs).
    signatures: Vec<Result<Option<Rendered>, TemplateError>>,
    /// The account asks for read receipts.
    pub request_read_receipt: bool,
}

/// Why a plan cannot be sent as it stands, in the order a front end shows it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error(transparent)]
    Signature(#[from] TemplateError),
    #[error(transparent)]
    Identity(#[from] Refusal),
}

/// Why a message cannot be built from a plan.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The account may not send (as) the chosen identity.
    #[error(transparent)]
    Identity(#[from] Refusal),
    /// The account's signature template cannot be rendered.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// A required signature or disclaimer is missing from the body.
    #[error(transparent)]
    Signature(#[from] signature::Missing),
    #[error(transparent)]
    Header(#[from] header::HeaderError),
    #[error(transparent)]
    Compose(#[from] compose::ComposeError),
}

/// What the agent wrote: the header fields as typed (parsed), the new text and attachments.
/// The signature and the quote come from the plan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Letter {
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub bcc: Vec<String>,
    pub subject: String,
    pub text: String,
    pub attachments: Vec<Attachment>,
}

/// The original as a reply answers it, from its raw bytes: its summary and readable text.
pub fn original_from_raw(uid: u32, raw: &[u8]) -> (Summary, String) {
    (
        parse::summary_from_raw(uid, raw, 0, Default::default(), Vec::new()),
        parse::text_body(raw),
    )
}

fn emails(v: Addrs<'_>) -> Vec<String> {
    v.map(|a| a.email.to_string()).collect()
}

/// Plans a message of `kind` from `account`, answering `original` (ignored for
/// [`Kind::New`]) whose readable text is `text` when it is known (see [`Plan::set_text`]).
pub fn plan(
    config: &Config,
    account: &Account,
    kind: Kind,
    original: Option<Summary>,
    text: Option<&str>,
) -> Plan {
    let agent = &config.agent;
    let original = original.filter(|_| kind != Kind::New);
    let mut p = Plan {
        account: account.name.clone(),
        kind,
        to: Vec::new(),
        cc: Vec::new(),
        subject: String::new(),
        in_reply_to: None,
        references: Vec::new(),
        reply_uid: None,
        original: None,
        quoted: None,
        // The account's address unless policy picks another for a reply (below).
        chosen: identity::choose(account, agent, &account.address).map(|(index, identity)| {
            Chosen {
                index,
                identity,
                reason: None,
            }
        }),
        offered: identity::offered(account, agent).unwrap_or_default(),
        signature: Ok(None),
        signatures: Vec::new(),
        request_read_receipt: account.request_read_receipt,
    };
    if let Some(o) = &original {
        if kind == Kind::Forward {
            p.subject = reply::forward_subject(o.subject());
        } else {
            p.to = reply::reply_to(o);
            if kind == Kind::ReplyAll {
                p.cc = reply::reply_all_cc(o, account, &p.to);
            }
            p.subject = reply::reply_subject(o.subject());
            (p.in_reply_to, p.references) = reply::threading(o);
            p.reply_uid = Some(o.uid);
            p.chosen = identity::choose_for_reply(
                account,
                agent,
                &o.delivered_to().to_vec(),
                &emails(o.to()),
                &emails(o.cc()),
            )
            .map(|c| Chosen {
                index: c.index,
                identity: c.identity,
                reason: Some(c.reason),
            });
        }
    }
    p.original = original;
    if let Some(t) = text {
        p.set_text(t);
    }
    // The signature of each identity the From line may cycle to, and of the chosen one.
    p.signatures = p
        .offered
        .iter()
        .map(|i| rendered_signature(config, account, Some(i)))
        .collect();
    p.signature = rendered_signature(config, account, p.chosen.as_ref().ok().map(|c| &c.identity));
    p
}

/// The account's signature, rendered for the configured agent sending as `identity` (its
/// From line is `{from.address}` and `{from.name}`; the account's own without one).
fn rendered_signature(
    config: &Config,
    account: &Account,
    identity: Option<&SendIdentity>,
) -> Result<Option<Rendered>, TemplateError> {
    let Some(sig) = account
        .signature
        .as_ref()
        .and_then(|name| config.signatures.get(name))
    else {
        return Ok(None);
    };
    let from = match identity {
        Some(i) => signature::FromLine {
            address: &i.from,
            name: &i.from_name,
        },
        None => signature::FromLine {
            address: &account.address,
            name: account.display_name(),
        },
    };
    signature::render_from(sig, &config.agent, account, from).map(Some)
}

impl Plan {
    /// The identity the message goes out as.
    pub fn identity(&self) -> Result<&SendIdentity, Refusal> {
        self.chosen
            .as_ref()
            .map(|c| &c.identity)
            .map_err(Clone::clone)
    }

    /// Why the chosen identity was chosen (replies only).
    pub fn reason(&self) -> Option<&Reason> {
        self.chosen.as_ref().ok().and_then(|c| c.reason.as_ref())
    }

    /// Why nothing can be sent from this plan: the signature first, then the identity (the
    /// compose pane shows it in place of the From line).
    pub fn refusal(&self) -> Option<Refused> {
        if let Err(e) = &self.signature {
            return Some(e.clone().into());
        }
        self.chosen.as_ref().err().map(|e| e.clone().into())
    }

    /// Quotes the original's `text` (once it is known): `> `-quoted for a reply, under a
    /// "Forwarded message" heading for a forward.
    pub fn set_text(&mut self, text: &str) {
        let Some(o) = &self.original else { return };
        self.quoted = Some(match self.kind {
            Kind::Forward => reply::forward_quote(o, text),
            _ => reply::quote(o, text),
        });
    }

    /// Sends as `address`, which the agent named (`--from`, a reopened draft): the account's
    /// address or an alias. Drops the policy's reason.
    pub fn choose(
        &mut self,
        account: &Account,
        config: &Config,
        address: &str,
    ) -> Result<(), Refusal> {
        let (index, identity) = identity::choose(account, &config.agent, address)?;
        self.signature = rendered_signature(config, account, Some(&identity));
        self.chosen = Ok(Chosen {
            index,
            identity,
            reason: None,
        });
        Ok(())
    }

    /// Sends as the offered identity `index` (the compose pane's From cycling). The policy's
    /// reason stays while the chosen identity does; another one drops it. Out of range, or
    /// when the account may not send, nothing changes.
    pub fn select(&mut self, index: usize) {
        let Some(identity) = self.offered.get(index) else {
            return;
        };
        if let Ok(c) = &mut self.chosen
            && c.index != index
        {
            if let Some(sig) = self.signatures.get(index) {
                self.signature = sig.clone();
            }
            *c = Chosen {
                index,
                identity: identity.clone(),
                reason: None,
            };
        }
    }
}

/// Builds the exact message `plan` sends with what the agent wrote: the body is `letter.text`,
/// the plan's signature and quote assembled by the signature policy and checked by it;
/// threading and the read-receipt request come from the plan.
pub fn build(plan: &Plan, letter: Letter, now: SystemTime) -> Result<Outgoing, BuildError> {
    let identity = plan.identity()?;
    header::check_value("Subject", &letter.subject)?;
    let rendered = plan.signature.as_ref().map_err(Clone::clone)?;
    let body = signature::assemble(&letter.text, rendered.as_ref(), plan.quoted.as_deref());
    if let Some(r) = &rendered {
        signature::check(&body, r)?;
    }
    let draft = Draft {
        to: letter.to,
        cc: letter.cc,
        bcc: letter.bcc,
        subject: letter.subject,
        body,
        in_reply_to: plan.in_reply_to.clone(),
        references: plan.references.clone(),
        attachments: letter.attachments,
        request_read_receipt: plan.request_read_receipt,
    };
    Ok(compose::build(&draft, identity, now)?)
}

#[cfg(test)]
#[path = "reply_tests.rs"]
mod tests;
