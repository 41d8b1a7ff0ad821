//! Reading a team policy document: TOML syntax, then the same checks the configuration gets
//! (agent ids, signature templates, business hours), every problem with its line and column.

use std::collections::BTreeSet;

use serde::Deserialize;
use toml::Spanned;

use super::{ReplyTemplate, ReviewRules, SendRules, Sla, TeamPolicy};
use crate::config::template::{self, Fields};
use crate::config::{
    BusinessHours, Placement, Signature, is_valid_agent_id, line_column, parse_offset,
};

/// Why a policy document is not used. Display: `line:column: message` for each problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("{line}:{column}: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{}", list(problems))]
    Invalid { problems: Vec<Located> },
}

/// One semantic problem and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    pub line: usize,
    pub column: usize,
    /// The dotted key, e.g. `send.as` or `template[2].body`.
    pub key: String,
    pub message: String,
}

impl std::fmt::Display for Located {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: `{}`: {}",
            self.line, self.column, self.key, self.message
        )
    }
}

fn list(problems: &[Located]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    version: Spanned<i64>,
    #[serde(default)]
    administrators: Vec<Spanned<String>>,
    send: Option<RawSend>,
    signature: Option<RawSignature>,
    #[serde(default)]
    template: Vec<RawTemplate>,
    review: Option<RawReview>,
    sla: Option<RawSla>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSend {
    #[serde(default, rename = "as")]
    send_as: Vec<Spanned<String>>,
    #[serde(default, rename = "on-behalf")]
    on_behalf: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSignature {
    text: Spanned<String>,
    disclaimer: Option<Spanned<String>>,
    #[serde(default)]
    placement: Placement,
    #[serde(default)]
    required: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTemplate {
    name: Spanned<String>,
    subject: Option<Spanned<String>>,
    body: Spanned<String>,
    #[serde(default)]
    attachments: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReview {
    #[serde(default)]
    agents: Vec<Spanned<String>>,
    #[serde(default)]
    approvers: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSla {
    first_response: Spanned<String>,
    hours: Option<Spanned<String>>,
    timezone: Option<Spanned<String>>,
    due_soon: Option<Spanned<String>>,
}

/// Collects problems with positions in `text`.
struct Checker<'a> {
    text: &'a str,
    problems: Vec<Located>,
}

impl Checker<'_> {
    fn problem<T>(&mut self, at: &Spanned<T>, key: impl Into<String>, message: impl Into<String>) {
        let (line, column) = line_column(self.text, at.span().start);
        self.problems.push(Located {
            line,
            column,
            key: key.into(),
            message: message.into(),
        });
    }

    /// Agent ids (or `"*"` where `star` allows it).
    fn agents(&mut self, list: &[Spanned<String>], key: &str, star: bool) -> Vec<String> {
        let mut out = Vec::new();
        for item in list {
            let id = item.get_ref();
            if (star && id == "*") || is_valid_agent_id(id) {
                out.push(id.clone());
            } else {
                let also = if star { " (or \"*\" for everyone)" } else { "" };
                self.problem(
                    item,
                    key,
                    format!(
                        "{:?} is not an agent id: use only a-z, 0-9, '.', '_' and '-'{also}",
                        crate::sanitize::single_line(id)
                    ),
                );
            }
        }
        out
    }

    fn template(&mut self, at: &Spanned<String>, key: &str, fields: Fields<'_>) -> String {
        if let Err(e) = template::parse_with(at.get_ref(), fields) {
            self.problem(at, key, e.to_string());
        }
        at.get_ref().clone()
    }

    fn duration(&mut self, at: &Spanned<String>, key: &str) -> i64 {
        match duration(at.get_ref()) {
            Some(secs) if secs > MAX_DURATION => {
                self.problem(
                    at,
                    key,
                    format!(
                        "{:?} is longer than 366 days",
                        crate::sanitize::single_line(at.get_ref())
                    ),
                );
                0
            }
            Some(secs) => secs,
            None => {
                self.problem(
                    at,
                    key,
                    format!(
                        "{:?} is not a duration such as \"30m\", \"4h\" or \"2d\"",
                        crate::sanitize::single_line(at.get_ref())
                    ),
                );
                0
            }
        }
    }
}

/// The longest duration a policy may give (366 days): business-time arithmetic on anything
/// longer could overflow.
const MAX_DURATION: i64 = 366 * 86_400;

/// `30m`, `4h`, `2d`, `1h30m`: a positive number of seconds.
pub fn duration(text: &str) -> Option<i64> {
    let mut total: i64 = 0;
    let mut number = String::new();
    for c in text.trim().chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3_600,
            'd' => 86_400,
            _ => return None,
        };
        let n: i64 = number.parse().ok()?;
        number.clear();
        total = total.checked_add(n.checked_mul(unit)?)?;
    }
    (number.is_empty() && total > 0).then_some(total)
}

/// Parses and validates a policy document.
pub fn parse(text: &str) -> Result<TeamPolicy, PolicyError> {
    let raw: Raw = toml::from_str(text).map_err(|e| {
        let (line, column) = e
            .span()
            .map(|s| line_column(text, s.start))
            .unwrap_or((1, 1));
        PolicyError::Syntax {
            line,
            column,
            message: e.message().trim().to_string(),
        }
    })?;
    let mut c = Checker {
        text,
        problems: Vec::new(),
    };
    let version = match u64::try_from(*raw.version.get_ref()) {
        Ok(v) if v > 0 => v,
        _ => {
            c.problem(&raw.version, "version", "must be a whole number from 1 up");
            0
        }
    };
    let administrators = c.agents(&raw.administrators, "administrators", false);
    let send = raw.send.map(|s| SendRules {
        send_as: c.agents(&s.send_as, "send.as", true),
        on_behalf: c.agents(&s.on_behalf, "send.on-behalf", true),
    });
    let signature = raw.signature.map(|s| Signature {
        text: c.template(&s.text, "signature.text", Fields::TeamSignature),
        disclaimer: s.disclaimer.map(|d| {
            if d.get_ref().chars().any(|ch| ch.is_control() && ch != '\n') {
                c.problem(&d, "signature.disclaimer", "contains a control character");
            }
            d.into_inner()
        }),
        placement: s.placement,
        required: s.required,
    });
    let mut seen = BTreeSet::new();
    let mut templates = Vec::new();
    for (i, t) in raw.template.iter().enumerate() {
        let key = |k: &str| format!("template[{}].{k}", i + 1);
        let name = t.name.get_ref();
        if !is_valid_agent_id(name) {
            c.problem(
                &t.name,
                key("name"),
                format!(
                    "{:?} is not a template name: use only a-z, 0-9, '.', '_' and '-'",
                    crate::sanitize::single_line(name)
                ),
            );
        } else if !seen.insert(name.clone()) {
            c.problem(
                &t.name,
                key("name"),
                format!("a template named {name:?} is already defined"),
            );
        }
        let subject = t.subject.as_ref().map(|s| {
            if s.get_ref().chars().any(char::is_control) {
                c.problem(
                    s,
                    key("subject"),
                    "contains a control character (a subject is one line)",
                );
            }
            c.template(s, &key("subject"), Fields::Reply)
        });
        let body = c.template(&t.body, &key("body"), Fields::Reply);
        let mut attachments = Vec::new();
        for a in &t.attachments {
            let n = a.get_ref();
            if n.is_empty() || n.contains(['/', '\\']) || n.chars().any(char::is_control) {
                c.problem(
                    a,
                    key("attachments"),
                    format!("{:?} is not a file name", crate::sanitize::single_line(n)),
                );
            } else {
                attachments.push(n.clone());
            }
        }
        templates.push(ReplyTemplate {
            name: name.clone(),
            subject,
            body,
            attachments,
        });
    }
    let review = raw.review.map(|r| {
        let rules = ReviewRules {
            agents: c.agents(&r.agents, "review.agents", true),
            approvers: c.agents(&r.approvers, "review.approvers", false),
        };
        if !r.agents.is_empty() && r.approvers.is_empty() {
            c.problem(
                &r.agents[0],
                "review.approvers",
                "replies need review but nobody may approve them: name at least one approver",
            );
        }
        rules
    });
    let sla = raw.sla.map(|s| {
        let first_response = c.duration(&s.first_response, "sla.first_response");
        let hours = match &s.hours {
            Some(h) if h.get_ref().trim().eq_ignore_ascii_case("always") => None,
            Some(h) => match BusinessHours::parse(h.get_ref()) {
                Ok(b) => Some(b),
                Err(e) => {
                    c.problem(h, "sla.hours", format!("{e} (or \"always\")"));
                    None
                }
            },
            None => None,
        };
        let offset = match &s.timezone {
            Some(t) => parse_offset(t.get_ref()).unwrap_or_else(|e| {
                c.problem(t, "sla.timezone", e.to_string());
                0
            }),
            None => 0,
        };
        let due_soon = match &s.due_soon {
            Some(d) => c.duration(d, "sla.due_soon"),
            None => first_response / 4,
        };
        Sla {
            first_response,
            hours,
            offset,
            due_soon,
        }
    });
    if !c.problems.is_empty() {
        return Err(PolicyError::Invalid {
            problems: c.problems,
        });
    }
    Ok(TeamPolicy {
        version,
        administrators,
        send,
        signature,
        templates,
        review,
        sla,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SendMode;

    const FULL: &str = r#"
version = 3
administrators = ["alice"]

[send]
as = ["alice", "carol"]
on-behalf = ["bob"]

[signature]
text = "{agent.name} · {agent.fields.title}\n{account.display_name} <{from.address}>"
disclaimer = "Confidential."
required = true

[[template]]
name = "refund"
subject = "Re: {ticket.subject}"
body = "Hello {customer.name},\nyour refund is on its way.\n{agent.name}"
attachments = ["refund-form.pdf"]

[review]
agents = ["*"]
approvers = ["alice"]

[sla]
first_response = "4h"
hours = "Mon-Fri 09:00-17:00"
timezone = "+01:00"
"#;

    #[test]
    fn a_full_policy_parses() {
        let p = parse(FULL).unwrap();
        assert_eq!(p.version, 3);
        let send = p.send.unwrap();
        assert_eq!(send.mode_for("alice"), SendMode::As);
        assert_eq!(send.mode_for("bob"), SendMode::OnBehalf);
        assert_eq!(send.mode_for("dave"), SendMode::None);
        assert!(p.signature.unwrap().required);
        assert_eq!(p.templates[0].attachments, vec!["refund-form.pdf"]);
        let review = p.review.unwrap();
        assert!(review.needs_review("bob"));
        assert!(!review.needs_review("alice"));
        assert!(review.may_approve("alice"));
        let sla = p.sla.unwrap();
        assert_eq!(sla.first_response, 4 * 3600);
        assert_eq!(sla.due_soon, 3600);
        assert_eq!(sla.offset, 3600);
        assert!(sla.hours.is_some());
    }

    #[test]
    fn syntax_errors_have_line_and_column() {
        let e = parse("version = 1\n[send\nas = []\n").unwrap_err();
        let PolicyError::Syntax { line, column, .. } = e else {
            panic!("{e:?}")
        };
        assert_eq!((line, column), (2, 6));
    }

    #[test]
    fn semantic_errors_name_line_column_and_key() {
        let text = "version = 2\n[send]\nas = [\"Bob Smith\"]\n[[template]]\nname = \"x\"\nbody = \"{customer.phone}\"\n[sla]\nfirst_response = \"soon\"\n";
        let e = parse(text).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("3:7: `send.as`: \"Bob Smith\" is not an agent id"),
            "{msg}"
        );
        assert!(
            msg.contains("6:8: `template[1].body`: unknown field"),
            "{msg}"
        );
        assert!(msg.contains("8:18: `sla.first_response`"), "{msg}");
    }

    #[test]
    fn unknown_keys_and_missing_version_are_refused() {
        assert!(parse("[send]\nas = [\"a\"]\n").is_err());
        assert!(parse("version = 1\nsend_as = [\"a\"]\n").is_err());
        assert!(parse("version = 0\n").is_err());
        assert!(parse("version = 1\n[review]\nagents = [\"bob\"]\n").is_err());
        let dup = "version = 1\n[[template]]\nname = \"a\"\nbody = \"x\"\n[[template]]\nname = \"a\"\nbody = \"y\"\n";
        assert!(
            parse(dup)
                .unwrap_err()
                .to_string()
                .contains("already defined")
        );
    }

    #[test]
    fn the_example_in_the_repository_parses() {
        let text = include_str!("../../../policy.example.toml");
        let p = parse(text).unwrap_or_else(|e| panic!("policy.example.toml: {e}"));
        assert_eq!(p.version, 1);
        assert_eq!(p.templates.len(), 2);
        assert!(p.review.is_some() && p.sla.is_some() && p.send.is_some());
    }

    #[test]
    fn durations() {
        assert_eq!(duration("30m"), Some(1800));
        assert_eq!(duration("1h30m"), Some(5400));
        assert_eq!(duration("2d"), Some(172_800));
        assert_eq!(duration("4"), None);
        assert_eq!(duration("0h"), None);
        assert_eq!(duration("h"), None);
        assert_eq!(duration("99999999999999999999d"), None);
    }
}
