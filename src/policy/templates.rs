//! Reply templates: the team policy's (`[[template]]`) and the agent's own (`[template.NAME]`),
//! listed together and rendered for the message answered.
//!
//! Pure code. A team template wins over a personal one of the same name; the personal one is
//! still listed, marked [`Available::shadowed`]. Text taken from the message answered (the
//! customer's name and address, the subject) is rendered without control characters, so a
//! rendered subject is always one header-safe line.

use std::collections::BTreeMap;

use crate::config::template::{self, Field, Piece, TemplateError};
use crate::config::{self, Account, Agent};
use crate::message::Summary;
use crate::policy::signature::FromLine;
use crate::policy::team::TeamPolicy;

/// Where a template comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    Team,
    Personal,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Team => "team",
            Origin::Personal => "personal",
        }
    }
}

/// One template an agent may use (or, when `shadowed`, a personal one a team template of the
/// same name replaces).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Available {
    pub name: String,
    pub origin: Origin,
    pub subject: Option<String>,
    pub body: String,
    /// File names of the policy message's parts to attach (team templates only).
    pub attachments: Vec<String>,
    /// A team template of the same name wins over this personal one.
    pub shadowed: bool,
}

impl Available {
    /// The body's first non-empty line, for a list.
    pub fn first_line(&self) -> &str {
        self.body
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("")
    }
}

/// The team's templates (by the policy's order), then the personal ones (by name).
pub fn available(
    team: Option<&TeamPolicy>,
    personal: &BTreeMap<String, config::Template>,
) -> Vec<Available> {
    let team_templates = team.map(|p| p.templates.as_slice()).unwrap_or_default();
    let mut out: Vec<Available> = team_templates
        .iter()
        .map(|t| Available {
            name: t.name.clone(),
            origin: Origin::Team,
            subject: t.subject.clone(),
            body: t.body.clone(),
            attachments: t.attachments.clone(),
            shadowed: false,
        })
        .collect();
    out.extend(personal.iter().map(|(name, t)| Available {
        name: name.clone(),
        origin: Origin::Personal,
        subject: t.subject.clone(),
        body: t.body.clone(),
        attachments: Vec::new(),
        shadowed: team_templates.iter().any(|tt| &tt.name == name),
    }));
    out
}

/// The template `name` stands for: the team's if it has one, else the personal one.
pub fn find<'a>(list: &'a [Available], name: &str) -> Option<&'a Available> {
    list.iter().find(|t| t.name == name && !t.shadowed)
}

/// The message answered, as the reply fields see it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Customer {
    /// `{customer.name}`: the From display name, else the address's local part.
    pub name: String,
    /// `{customer.address}`.
    pub address: String,
    /// `{ticket.subject}`: the subject without `Re:`/`Fwd:` prefixes.
    pub subject: String,
}

impl Customer {
    /// The fields of `original`'s first From address and subject, sanitized to single lines.
    pub fn of(original: &Summary) -> Customer {
        let (name, address) = match original.from().next() {
            Some(a) => {
                let name = a
                    .name
                    .map(str::trim)
                    .filter(|n| !n.is_empty())
                    .unwrap_or_else(|| a.email.split('@').next().unwrap_or(""));
                (clean(name), clean(a.email))
            }
            None => (String::new(), String::new()),
        };
        Customer {
            name,
            address,
            subject: clean(ticket_subject(original.subject())),
        }
    }
}

/// Text from mail for a template: one line, no controls (caret form), trimmed.
fn clean(s: &str) -> String {
    crate::sanitize::single_line(s).trim().to_string()
}

/// `subject` without its leading `Re:`, `Fwd:` and `Fw:` prefixes (any case, stacked).
pub fn ticket_subject(subject: &str) -> &str {
    let mut s = subject.trim();
    loop {
        let stripped = ["re:", "fwd:", "fw:"].iter().find_map(|p| {
            let n = p.len();
            (s.len() >= n && s.is_char_boundary(n) && s[..n].eq_ignore_ascii_case(p))
                .then(|| s[n..].trim_start())
        });
        match stripped {
            Some(rest) => s = rest,
            None => return s,
        }
    }
}

/// Everything a template's fields may name.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub agent: &'a Agent,
    pub account: &'a Account,
    pub from: FromLine<'a>,
    /// `None` for a new message: the customer fields render empty.
    pub customer: Option<&'a Customer>,
}

/// A template rendered for one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// Replaces the message's subject when the template has one (one line, no controls).
    pub subject: Option<String>,
    /// The text inserted above the signature.
    pub body: String,
}

fn render_text(text: &str, ctx: &Context<'_>) -> Result<String, TemplateError> {
    let customer = ctx.customer;
    let mut out = String::new();
    for piece in template::parse_with(text, template::Fields::Reply)? {
        match piece {
            Piece::Text(t) => out.push_str(&t),
            Piece::Field(f) => out.push_str(match &f {
                Field::AgentId => &ctx.agent.id,
                Field::AgentName => &ctx.agent.name,
                Field::AgentEmail => &ctx.agent.email,
                Field::AgentCustom(k) => ctx.agent.fields.get(k).map(String::as_str).unwrap_or(""),
                Field::AccountName => &ctx.account.name,
                Field::AccountAddress => &ctx.account.address,
                Field::AccountDisplayName => ctx.account.display_name(),
                Field::FromAddress => ctx.from.address,
                Field::FromName => ctx.from.name,
                Field::CustomerName => customer.map(|c| c.name.as_str()).unwrap_or(""),
                Field::CustomerAddress => customer.map(|c| c.address.as_str()).unwrap_or(""),
                Field::TicketSubject => customer.map(|c| c.subject.as_str()).unwrap_or(""),
            }),
        }
    }
    Ok(out)
}

/// Renders `template` for `ctx`: the body (trailing line breaks dropped) and the subject, if the
/// template has one.
pub fn render(template: &Available, ctx: &Context<'_>) -> Result<Rendered, TemplateError> {
    let body = render_text(template.body.trim_matches('\n'), ctx)?;
    let subject = template
        .subject
        .as_deref()
        .map(|s| render_text(s, ctx).map(|s| clean(&s)))
        .transpose()?;
    Ok(Rendered { subject, body })
}

/// The new text with `rendered` inserted above it: the template's text, a blank line, then what
/// the agent wrote (if anything).
pub fn insert_above(rendered: &Rendered, text: &str) -> String {
    let text = text.trim_matches('\n');
    if text.is_empty() {
        rendered.body.clone()
    } else {
        format!("{}\n\n{text}", rendered.body)
    }
}

/// The header naming the template a message was written from: on the Sent copy only (never in
/// the transmitted message), where `stats` counts it.
pub const HEADER: &str = "X-Mailroom-Template";

/// `X-Mailroom-Template: NAME` and CRLF, the name kept to `[a-z0-9._-]` (template names are
/// validated so at load; filtered again, cheaply, so no byte can break the header).
pub fn header_line(name: &str) -> Vec<u8> {
    let mut out = format!("{HEADER}: ").into_bytes();
    out.extend(
        name.bytes()
            .filter(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(b))
            .take(64),
    );
    out.extend_from_slice(b"\r\n");
    out
}

/// A team template names a file the policy message does not carry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the team template {template:?} attaches {file:?}, which the policy message does not carry"
)]
pub struct MissingAttachment {
    pub template: String,
    pub file: String,
}

/// The files `template` attaches, taken from the policy message's `parts`.
pub fn attachments(
    template: &Available,
    parts: &[crate::mail::policy::Attachment],
) -> Result<Vec<crate::mail::compose::Attachment>, MissingAttachment> {
    template
        .attachments
        .iter()
        .map(|file| {
            parts
                .iter()
                .find(|p| &p.name == file)
                .map(|p| crate::mail::compose::Attachment {
                    file_name: p.name.clone(),
                    content_type: p.content_type.clone(),
                    data: p.data.clone(),
                })
                .ok_or_else(|| MissingAttachment {
                    template: crate::sanitize::single_line(&template.name),
                    file: crate::sanitize::single_line(file),
                })
        })
        .collect()
}

#[cfg(test)]
#[path = "templates_tests.rs"]
mod tests;
