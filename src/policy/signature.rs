//! The account's signature: rendered from its template, placed by policy, enforced at send.
//!
//! Pure code. A reply body is `new text`, then (for `below-reply`) the signature block, then
//! the quote; for `bottom` the block comes after the quote. The disclaimer is always last.

use crate::config::template::{self, Field, Piece, TemplateError};
use crate::config::{Account, Agent, Placement, Signature};

/// The standard signature delimiter line (RFC 3676 §4.3): dash, dash, space.
pub const DELIMITER: &str = "-- ";

/// A signature ready to insert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// `-- \n` and the rendered text.
    pub block: String,
    pub disclaimer: Option<String>,
    pub placement: Placement,
    pub required: bool,
}

/// The From line a message is sent with: what `{from.address}` and `{from.name}` render.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FromLine<'a> {
    pub address: &'a str,
    pub name: &'a str,
}

fn render_template(
    text: &str,
    agent: &Agent,
    account: &Account,
    from: FromLine<'_>,
) -> Result<String, TemplateError> {
    let mut out = String::new();
    // Lenient about `agent.fields.*`: the local config's templates were checked at load, and a
    // team policy's signature may name a field this agent lacks (it renders empty).
    for piece in template::parse_with(text, template::Fields::TeamSignature)? {
        match piece {
            Piece::Text(t) => out.push_str(&t),
            Piece::Field(f) => out.push_str(match &f {
                Field::AgentId => &agent.id,
                Field::AgentName => &agent.name,
                Field::AgentEmail => &agent.email,
                Field::AgentCustom(k) => agent.fields.get(k).map(String::as_str).unwrap_or(""),
                Field::AccountName => &account.name,
                Field::AccountAddress => &account.address,
                Field::AccountDisplayName => account.display_name(),
                Field::FromAddress => from.address,
                Field::FromName => from.name,
                // Not allowed in a signature (the parse above refuses them).
                Field::CustomerName | Field::CustomerAddress | Field::TicketSubject => "",
            }),
        }
    }
    Ok(out)
}

/// Renders the signature for `agent` answering from `account`, sent from the account's own
/// address.
pub fn render(
    signature: &Signature,
    agent: &Agent,
    account: &Account,
) -> Result<Rendered, TemplateError> {
    let from = FromLine {
        address: &account.address,
        name: account.display_name(),
    };
    render_from(signature, agent, account, from)
}

/// Renders the signature for `agent` answering from `account` with the From line `from`
/// (an alias of the account, in a reply to mail that reached the alias).
pub fn render_from(
    signature: &Signature,
    agent: &Agent,
    account: &Account,
    from: FromLine<'_>,
) -> Result<Rendered, TemplateError> {
    let text = render_template(signature.text.trim_end_matches('\n'), agent, account, from)?;
    let disclaimer = signature
        .disclaimer
        .as_deref()
        .map(|d| render_template(d.trim_end_matches('\n'), agent, account, from))
        .transpose()?;
    Ok(Rendered {
        block: format!("{DELIMITER}\n{text}"),
        disclaimer,
        placement: signature.placement,
        required: signature.required,
    })
}

/// `> `-quotes `text` under an attribution line.
pub fn quote(attribution: &str, text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 20 + attribution.len() + 2);
    out.push_str(attribution);
    out.push('\n');
    for line in text.trim_end_matches('\n').lines() {
        if line.starts_with('>') {
            out.push('>');
        } else {
            out.push_str("> ");
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The attribution line above a quote: `On <date>, <who> wrote:`.
pub fn attribution(date: &str, who: &str) -> String {
    format!("On {date}, {who} wrote:")
}

/// Assembles a body from the agent's new text, the signature and an optional quote.
pub fn assemble(new_text: &str, signature: Option<&Rendered>, quoted: Option<&str>) -> String {
    let mut parts: Vec<&str> = vec![new_text.trim_end_matches('\n')];
    let placement = signature.map(|s| s.placement).unwrap_or_default();
    if let Some(s) = signature
        && placement == Placement::BelowReply
    {
        parts.push(&s.block);
    }
    if let Some(q) = quoted {
        parts.push(q.trim_end_matches('\n'));
    }
    if let Some(s) = signature
        && placement == Placement::Bottom
    {
        parts.push(&s.block);
    }
    if let Some(d) = signature.and_then(|s| s.disclaimer.as_deref()) {
        parts.push(d);
    }
    let mut body = parts.join("\n\n");
    body.push('\n');
    body
}

/// What a required signature is missing from a final body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Missing {
    #[error(
        "the account's signature block was removed or changed; it is required for this account"
    )]
    Block,
    #[error("the account's disclaimer was removed or changed; it is required for this account")]
    Disclaimer,
    #[error("the disclaimer must come last, after everything else")]
    DisclaimerNotLast,
}

/// With `required = true`, a body that lacks the rendered block or the disclaimer (as the
/// last text) may not be sent; the caller offers to restore it.
pub fn check(body: &str, signature: &Rendered) -> Result<(), Missing> {
    if !signature.required {
        return Ok(());
    }
    let normalized = body.replace("\r\n", "\n");
    if !normalized.contains(&signature.block) {
        return Err(Missing::Block);
    }
    if let Some(d) = &signature.disclaimer {
        if !normalized.contains(d.as_str()) {
            return Err(Missing::Disclaimer);
        }
        if !normalized.trim_end().ends_with(d.trim_end()) {
            return Err(Missing::DisclaimerNotLast);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(placement: &str) -> (Signature, Agent, Account) {
        let sig: Signature = toml::from_str(&format!(
            "text = \"\"\"\n{{agent.name}} · {{agent.fields.title}}\n{{account.display_name}} <{{account.address}}>\"\"\"\ndisclaimer = \"Confidential ({{account.name}}).\"\nplacement = \"{placement}\"\nrequired = true\n"
        ))
        .unwrap();
        let agent: Agent = toml::from_str("id = \"alice\"\nname = \"Alice Example\"\nemail = \"alice@example.test\"\n[fields]\ntitle = \"Support Engineer\"\n").unwrap();
        let account: Account = toml::from_str("name = \"support\"\naddress = \"support@example.test\"\ndisplay_name = \"Example Support\"\nsend = \"as\"\n").unwrap();
        (sig, agent, account)
    }

    #[test]
    fn from_fields_render_the_address_sent_from() {
        let (mut sig, agent, account) = fixture("below-reply");
        sig.text = "{agent.name}\n{from.name} <{from.address}>".into();
        let help = FromLine {
            address: "help@example.test",
            name: "Example Help",
        };
        let r = render_from(&sig, &agent, &account, help).unwrap();
        assert_eq!(
            r.block,
            "-- \nAlice Example\nExample Help <help@example.test>"
        );
        let r = render(&sig, &agent, &account).unwrap();
        assert_eq!(
            r.block,
            "-- \nAlice Example\nExample Support <support@example.test>"
        );
    }

    #[test]
    fn renders_fields_and_delimiter() {
        let (sig, agent, account) = fixture("below-reply");
        let r = render(&sig, &agent, &account).unwrap();
        assert_eq!(
            r.block,
            "-- \nAlice Example · Support Engineer\nExample Support <support@example.test>"
        );
        assert_eq!(r.disclaimer.as_deref(), Some("Confidential (support)."));
    }

    #[test]
    fn below_reply_puts_the_block_above_the_quote_and_the_disclaimer_last() {
        let (sig, agent, account) = fixture("below-reply");
        let r = render(&sig, &agent, &account).unwrap();
        let q = quote(
            &attribution("Fri, 27 Nov 2026", "Zoë <z@x.test>"),
            "Hello\n> earlier\n",
        );
        let body = assemble("Thanks, fixed.", Some(&r), Some(&q));
        assert_eq!(
            body,
            "Thanks, fixed.\n\n-- \nAlice Example · Support Engineer\nExample Support <support@example.test>\n\nOn Fri, 27 Nov 2026, Zoë <z@x.test> wrote:\n> Hello\n>> earlier\n\nConfidential (support).\n"
        );
        assert_eq!(check(&body, &r), Ok(()));
    }

    #[test]
    fn bottom_puts_the_block_after_the_quote() {
        let (sig, agent, account) = fixture("bottom");
        let r = render(&sig, &agent, &account).unwrap();
        let body = assemble("Hi", Some(&r), Some("> q\n"));
        let sig_at = body.find("-- \n").unwrap();
        assert!(body.find("> q").unwrap() < sig_at);
        assert!(body.trim_end().ends_with("Confidential (support)."));
    }

    #[test]
    fn required_signature_is_enforced() {
        let (sig, agent, account) = fixture("below-reply");
        let r = render(&sig, &agent, &account).unwrap();
        let body = assemble("Hi", Some(&r), None);
        assert_eq!(
            check(&body.replace("Support Engineer", "Intern"), &r),
            Err(Missing::Block)
        );
        assert_eq!(
            check(&body.replace("Confidential (support).", ""), &r),
            Err(Missing::Disclaimer)
        );
        assert_eq!(
            check(&format!("{body}\nP.S. more"), &r),
            Err(Missing::DisclaimerNotLast)
        );
        assert_eq!(check(&body.replace('\n', "\r\n"), &r), Ok(()));
        let optional = Rendered {
            required: false,
            ..r
        };
        assert_eq!(check("anything", &optional), Ok(()));
    }
}
