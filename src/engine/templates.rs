//! Reply templates at send time (`mailroom send --template`, the list of `mailroom templates`):
//! the policy in force learned for the account, the template rendered into the letter, the
//! team template's attachments, and the template's name on the Sent copy.

use std::sync::Arc;

use super::reply::{Letter, Plan};
use crate::config::template::TemplateError;
use crate::config::{Account, Config};
use crate::mail::compose;
use crate::policy::signature::FromLine;
use crate::policy::team::InForce;
use crate::policy::templates::{self, Available, Context, Customer, MissingAttachment};
use crate::store::CacheError;
use crate::store::outbox::{Entry, Outbox};

/// The templates an account offers, and the policy they came from.
#[derive(Debug, Clone, Default)]
pub struct Known {
    /// Team templates first, then the personal ones ([`templates::available`]).
    pub list: Vec<Available>,
    pub in_force: Option<Arc<InForce>>,
    /// Why the policy could not be read from the server (the kept copy, if any, was used).
    pub warning: Option<String>,
}

impl Known {
    /// The templates of `in_force` (if any) and the personal ones of `config`.
    pub fn of(config: &Config, in_force: Option<Arc<InForce>>) -> Known {
        Known {
            list: templates::available(in_force.as_ref().map(|f| &f.policy), &config.templates),
            in_force,
            warning: None,
        }
    }
}

/// Learns the policy in force for `account` (the server, else the kept copy) and lists its
/// templates with the personal ones.
pub fn known(config: &Config, account: &Account) -> Known {
    let learned = super::policy::learn(account, super::policy::default_cache().as_ref());
    Known {
        warning: learned.warning,
        ..Known::of(config, learned.in_force)
    }
}

/// Why a template cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum UseError {
    #[error("account {account:?} has no template {name:?} (see `mailroom templates {account}`)")]
    Unknown { account: String, name: String },
    #[error("template {name:?}: {source}")]
    Render { name: String, source: TemplateError },
    #[error(transparent)]
    Attachment(#[from] MissingAttachment),
}

/// Renders `template` for the reply or message `plan` plans: the customer and ticket fields from
/// the message answered, `{from.*}` from the identity chosen (the account's own when it has
/// none). What `send --template` and the compose pane's picker both insert.
pub fn render_for(
    config: &Config,
    account: &Account,
    plan: &Plan,
    template: &templates::Available,
) -> Result<templates::Rendered, crate::config::template::TemplateError> {
    let customer = plan.original.as_ref().map(Customer::of);
    let from = match plan.identity() {
        Ok(i) => FromLine {
            address: &i.from,
            name: &i.from_name,
        },
        Err(_) => FromLine {
            address: &account.address,
            name: account.display_name(),
        },
    };
    let ctx = Context {
        agent: &config.agent,
        account,
        from,
        customer: customer.as_ref(),
    };
    templates::render(template, &ctx)
}

/// Renders template `name` for `plan` into `letter`: its text above what the agent wrote, its
/// subject unless `keep_subject` (one typed on the command line), and a team template's
/// attachments after the agent's. Returns the template's name.
pub fn apply(
    config: &Config,
    account: &Account,
    plan: &Plan,
    known: &Known,
    name: &str,
    keep_subject: bool,
    letter: &mut Letter,
) -> Result<String, UseError> {
    let clean = crate::sanitize::single_line;
    let template = templates::find(&known.list, name).ok_or_else(|| UseError::Unknown {
        account: clean(&account.name),
        name: clean(name),
    })?;
    let rendered =
        render_for(config, account, plan, template).map_err(|source| UseError::Render {
            name: clean(name),
            source,
        })?;
    let parts = known
        .in_force
        .as_ref()
        .map(|f| f.attachments.as_slice())
        .unwrap_or_default();
    letter
        .attachments
        .extend(templates::attachments(template, parts)?);
    letter.text = templates::insert_above(&rendered, &letter.text);
    if let Some(subject) = rendered.subject
        && !keep_subject
    {
        letter.subject = subject;
    }
    Ok(template.name.clone())
}

/// Records on the queued outbox entry `id` that it was written from template `name`.
pub fn mark(outbox: &Outbox, id: &str, name: &str) -> Result<(), CacheError> {
    let (mut entry, _) = outbox.load(id)?;
    entry.template = Some(name.to_string());
    outbox.save(id, &entry)
}

/// The Sent copy of `entry`'s message `raw`: [`compose::sent_copy`] (or, for a reply approved
/// by a reviewer, `mail::review::approved_sent_copy`), with `X-Mailroom-Template` when it was
/// written from a template.
pub fn sent_copy(raw: &[u8], entry: &Entry) -> Vec<u8> {
    let copy = match &entry.approved_by {
        Some(approver) => crate::mail::review::approved_sent_copy(raw, &entry.agent, approver),
        None => compose::sent_copy(raw, &entry.agent),
    };
    match &entry.template {
        None => copy,
        Some(name) => {
            let mut out = templates::header_line(name);
            out.extend_from_slice(&copy);
            out
        }
    }
}
