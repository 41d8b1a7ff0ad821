//! `mailroom templates ACCOUNT`: the reply templates an account offers, the team policy's and
//! the agent's own (`[template.NAME]`).

use std::io::Write;

use serde::Serialize;

use super::list::{ListError, find_account};
use crate::config::Config;
use crate::engine::templates::{self, Known};
use crate::policy::templates::Origin;
use crate::sanitize;

#[derive(Debug, thiserror::Error)]
pub enum TemplatesError {
    #[error(transparent)]
    List(#[from] ListError),
    #[error("cannot write the output: {0}")]
    Output(#[from] std::io::Error),
}

#[derive(Serialize)]
struct Row<'a> {
    name: &'a str,
    origin: Origin,
    subject: Option<&'a str>,
    attachments: &'a [String],
    first_line: &'a str,
    /// A team template of the same name is used instead.
    shadowed: bool,
}

#[derive(Serialize)]
struct Listing<'a> {
    account: &'a str,
    /// The version of the team policy the team templates come from.
    policy_version: Option<u64>,
    templates: Vec<Row<'a>>,
    warning: Option<&'a str>,
}

/// `mailroom templates ACCOUNT [--json]`.
pub fn run(config: &Config, account: &str, json: bool) -> Result<(), TemplatesError> {
    let account = find_account(config, account)?;
    let known = templates::known(config, account);
    let mut out = std::io::stdout().lock();
    print(&mut out, &account.name, &known, json)?;
    Ok(())
}

fn print(out: &mut dyn Write, account: &str, known: &Known, json: bool) -> std::io::Result<()> {
    let rows: Vec<Row<'_>> = known
        .list
        .iter()
        .map(|t| Row {
            name: &t.name,
            origin: t.origin,
            subject: t.subject.as_deref(),
            attachments: &t.attachments,
            first_line: t.first_line(),
            shadowed: t.shadowed,
        })
        .collect();
    if json {
        let listing = Listing {
            account,
            policy_version: known.in_force.as_ref().map(|f| f.policy.version),
            templates: rows,
            warning: known.warning.as_deref(),
        };
        return super::print_json(out, &listing);
    }
    if let Some(w) = &known.warning {
        eprintln!("warning: {}", sanitize::single_line(w));
    }
    if rows.is_empty() {
        writeln!(
            out,
            "no templates for {} (the team policy has none; add [template.NAME] to the config)",
            sanitize::single_line(account)
        )?;
        return Ok(());
    }
    let width = rows
        .iter()
        .map(|r| r.name.chars().count())
        .max()
        .unwrap_or(0);
    for r in &rows {
        let origin = if r.shadowed {
            "personal (the team's template of this name is used)".to_string()
        } else {
            r.origin.as_str().to_string()
        };
        writeln!(out, "{:width$}  {origin}", sanitize::single_line(r.name))?;
        if let Some(s) = r.subject {
            writeln!(out, "{:width$}  subject: {}", "", sanitize::single_line(s))?;
        }
        if !r.attachments.is_empty() {
            let files: Vec<String> = r
                .attachments
                .iter()
                .map(|a| sanitize::single_line(a))
                .collect();
            writeln!(out, "{:width$}  attaches: {}", "", files.join(", "))?;
        }
        writeln!(
            out,
            "{:width$}  {}",
            "",
            sanitize::single_line(r.first_line)
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::templates::Available;

    fn known() -> Known {
        let t = |name: &str, origin, shadowed| Available {
            name: name.into(),
            origin,
            subject: (origin == Origin::Team).then(|| "Re: {ticket.subject}".to_string()),
            body: "\nHello {customer.name},\nmore".into(),
            attachments: if origin == Origin::Team {
                vec!["refund.pdf".into()]
            } else {
                vec![]
            },
            shadowed,
        };
        Known {
            list: vec![
                t("refund", Origin::Team, false),
                t("refund", Origin::Personal, true),
                t("thanks", Origin::Personal, false),
            ],
            in_force: None,
            warning: None,
        }
    }

    #[test]
    fn text_lists_origin_subject_attachments_and_first_line() {
        let mut out = Vec::new();
        print(&mut out, "support", &known(), false).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "refund  team\n        subject: Re: {ticket.subject}\n        attaches: refund.pdf\n        Hello {customer.name},\n\
             refund  personal (the team's template of this name is used)\n        Hello {customer.name},\n\
             thanks  personal\n        Hello {customer.name},\n"
        );
    }

    #[test]
    fn json_names_each_field() {
        let mut out = Vec::new();
        print(&mut out, "support", &known(), true).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["account"], "support");
        assert_eq!(v["templates"][0]["origin"], "team");
        assert_eq!(v["templates"][0]["attachments"][0], "refund.pdf");
        assert_eq!(v["templates"][1]["shadowed"], true);
        assert_eq!(v["templates"][2]["first_line"], "Hello {customer.name},");
        assert_eq!(v["templates"][2]["subject"], serde_json::Value::Null);
    }
}
