//! Signature templates: `{agent.name}`, `{agent.fields.title}`, `{account.address}`, …
//!
//! Pure code: parsing reports unknown fields so a broken template is caught at config load,
//! not at send time. `{{` and `}}` stand for literal braces.

use std::collections::BTreeMap;

/// A field a template may name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    AgentId,
    AgentName,
    AgentEmail,
    AgentCustom(String),
    AccountName,
    AccountAddress,
    AccountDisplayName,
    /// The address the message is sent from (the account's, or the alias a reply uses).
    FromAddress,
    /// The display name of the From line the message is sent with.
    FromName,
    /// Reply templates only (`[[template]]` of a team policy, `[template.NAME]`): the
    /// customer's display name, address, and the subject of the message answered.
    CustomerName,
    CustomerAddress,
    TicketSubject,
}

/// Which fields a template may name.
#[derive(Debug, Clone, Copy)]
pub enum Fields<'a> {
    /// A signature in the local config: `agent.fields.<key>` must be a key of `[agent.fields]`.
    Signature(&'a BTreeMap<String, String>),
    /// A signature of a team policy: any `agent.fields.<key>` (each agent has their own; a
    /// missing one renders empty).
    TeamSignature,
    /// A reply template: the signature fields plus `customer.*` and `ticket.subject`.
    Reply,
}

impl Field {
    fn parse(name: &str, fields: Fields<'_>) -> Option<Field> {
        Some(match name {
            "customer.name" if matches!(fields, Fields::Reply) => Field::CustomerName,
            "customer.address" if matches!(fields, Fields::Reply) => Field::CustomerAddress,
            "ticket.subject" if matches!(fields, Fields::Reply) => Field::TicketSubject,
            "agent.id" => Field::AgentId,
            "agent.name" => Field::AgentName,
            "agent.email" => Field::AgentEmail,
            "account.name" => Field::AccountName,
            "account.address" => Field::AccountAddress,
            "account.display_name" => Field::AccountDisplayName,
            "from.address" => Field::FromAddress,
            "from.name" => Field::FromName,
            other => {
                let key = other.strip_prefix("agent.fields.")?;
                if key.is_empty() {
                    return None;
                }
                if let Fields::Signature(agent_fields) = fields
                    && !agent_fields.contains_key(key)
                {
                    return None;
                }
                Field::AgentCustom(key.to_string())
            }
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    Field(Field),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error(
        "unknown field `{{{0}}}` (known: agent.id, agent.name, agent.email, agent.fields.<key>, account.name, account.address, account.display_name, from.address, from.name; in reply templates also customer.name, customer.address, ticket.subject)"
    )]
    UnknownField(String),
    #[error("unclosed `{{` at character {0} (write `{{{{` for a literal brace)")]
    Unclosed(usize),
    #[error("stray `}}` at character {0} (write `}}}}` for a literal brace)")]
    StrayClose(usize),
}

/// Splits a template into text and fields; `agent_fields` are the keys of `[agent.fields]`.
pub fn parse(
    template: &str,
    agent_fields: &BTreeMap<String, String>,
) -> Result<Vec<Piece>, TemplateError> {
    parse_with(template, Fields::Signature(agent_fields))
}

/// [`parse`] for the field set `fields` allows.
pub fn parse_with(template: &str, fields: Fields<'_>) -> Result<Vec<Piece>, TemplateError> {
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut chars = template.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '{' if chars.peek().map(|&(_, c)| c) == Some('{') => {
                chars.next();
                text.push('{');
            }
            '}' if chars.peek().map(|&(_, c)| c) == Some('}') => {
                chars.next();
                text.push('}');
            }
            '{' => {
                let mut name = String::new();
                let mut closed = false;
                for (_, c) in chars.by_ref() {
                    if c == '}' {
                        closed = true;
                        break;
                    }
                    name.push(c);
                }
                if !closed {
                    return Err(TemplateError::Unclosed(template[..i].chars().count() + 1));
                }
                let name = name.trim();
                let field = Field::parse(name, fields)
                    .ok_or_else(|| TemplateError::UnknownField(name.to_string()))?;
                if !text.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut text)));
                }
                pieces.push(Piece::Field(field));
            }
            '}' => return Err(TemplateError::StrayClose(template[..i].chars().count() + 1)),
            c => text.push(c),
        }
    }
    if !text.is_empty() {
        pieces.push(Piece::Text(text));
    }
    Ok(pieces)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_fields_parse() {
        let p = parse("{from.name} <{from.address}>", &BTreeMap::new()).unwrap();
        assert_eq!(
            p,
            vec![
                Piece::Field(Field::FromName),
                Piece::Text(" <".into()),
                Piece::Field(Field::FromAddress),
                Piece::Text(">".into()),
            ]
        );
        assert!(parse("{from.email}", &BTreeMap::new()).is_err());
    }

    fn fields() -> BTreeMap<String, String> {
        BTreeMap::from([("title".to_string(), "Engineer".to_string())])
    }

    #[test]
    fn parses_fields_and_text() {
        let p = parse("{agent.name} · {agent.fields.title}\n{{x}}", &fields()).unwrap();
        assert_eq!(
            p,
            vec![
                Piece::Field(Field::AgentName),
                Piece::Text(" · ".into()),
                Piece::Field(Field::AgentCustom("title".into())),
                Piece::Text("\n{x}".into()),
            ]
        );
    }

    #[test]
    fn unknown_fields_are_named() {
        assert_eq!(
            parse("{agent.phone}", &fields()),
            Err(TemplateError::UnknownField("agent.phone".into()))
        );
        assert_eq!(
            parse("{agent.fields.phone}", &fields()),
            Err(TemplateError::UnknownField("agent.fields.phone".into()))
        );
        assert_eq!(
            parse("ab {agent.name", &fields()),
            Err(TemplateError::Unclosed(4))
        );
        assert_eq!(parse("a}", &fields()), Err(TemplateError::StrayClose(2)));
    }

    #[test]
    fn team_and_reply_field_sets() {
        assert!(parse_with("{agent.fields.phone}", Fields::TeamSignature).is_ok());
        assert!(parse_with("{customer.name}", Fields::TeamSignature).is_err());
        assert!(parse("{customer.name}", &fields()).is_err());
        assert_eq!(
            parse_with("Hi {customer.name}, re {ticket.subject}", Fields::Reply).unwrap(),
            vec![
                Piece::Text("Hi ".into()),
                Piece::Field(Field::CustomerName),
                Piece::Text(", re ".into()),
                Piece::Field(Field::TicketSubject),
            ]
        );
        assert!(parse_with("{agent.fields.}", Fields::Reply).is_err());
    }
}
