//! A query as `UID SEARCH` criteria (RFC 3501 §6.4.4, RFC 5032 WITHIN).
//!
//! Text goes as quoted strings (`"` and `\` escaped); the parser refused every control
//! character, so no CR or LF can reach the command line. Non-ASCII text is announced with
//! `CHARSET UTF-8` (a literal would need a continuation round trip the imap crate's
//! `uid_search` does not do; Dovecot, Cyrus, Gmail and Exchange take UTF-8 quoted strings once
//! the charset is named). Team terms are the team-state keywords (`triage::state`).

use super::{Context, Day, Is, Node, Query, QueryError, Status, Term, Who};
use crate::triage::state::{ASSIGNED, DONE, PENDING, SNOOZED};

/// `UID SEARCH` criteria, ready to send (`CHARSET UTF-8 …` when needed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Criteria(pub String);

impl std::fmt::Display for Criteria {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn quoted(s: &str) -> String {
    let mut q = String::with_capacity(s.len() + 2);
    q.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            q.push('\\');
        }
        q.push(c);
    }
    q.push('"');
    q
}

/// `1-Dec-2026`: an IMAP date.
fn imap_date(days: i64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let s = crate::mail::date::rfc3339_utc(days * 86_400);
    let m: usize = s.get(5..7).and_then(|m| m.parse().ok()).unwrap_or(1);
    let d: u32 = s.get(8..10).and_then(|d| d.parse().ok()).unwrap_or(1);
    format!(
        "{d}-{}-{}",
        MONTHS[m.clamp(1, 12) - 1],
        s.get(0..4).unwrap_or("1970")
    )
}

impl Query {
    /// The `UID SEARCH` criteria of this query (see [`Query::check`] for what is refused).
    pub fn imap_criteria(&self, ctx: &Context<'_>) -> Result<Criteria, QueryError> {
        self.check(ctx, false)?;
        let mut out = String::new();
        match &self.root {
            // The top level needs no parentheses.
            Node::All(parts) => {
                for (i, p) in parts.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    node(p, ctx, &mut out);
                }
            }
            n => node(n, ctx, &mut out),
        }
        let ascii = self.terms().iter().all(|t| match t {
            Term::Text(s) | Term::From(s) | Term::To(s) | Term::Subject(s) | Term::Body(s) => {
                s.is_ascii()
            }
            _ => true,
        });
        Ok(Criteria(if ascii {
            out
        } else {
            format!("CHARSET UTF-8 {out}")
        }))
    }
}

fn node(n: &Node, ctx: &Context<'_>, out: &mut String) {
    match n {
        Node::Term(t) => term(t, ctx, out),
        Node::Not(inner) => {
            out.push_str("NOT ");
            node(inner, ctx, out);
        }
        Node::All(parts) => {
            out.push('(');
            for (i, p) in parts.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                node(p, ctx, out);
            }
            out.push(')');
        }
        // OR is binary: OR a OR b c.
        Node::Any(parts) => {
            let last = parts.len().saturating_sub(1);
            for p in &parts[..last] {
                out.push_str("OR ");
                node(p, ctx, out);
                out.push(' ');
            }
            if let Some(p) = parts.get(last) {
                node(p, ctx, out);
            }
        }
    }
}

fn term(t: &Term, ctx: &Context<'_>, out: &mut String) {
    let s = match t {
        Term::Text(s) => format!("TEXT {}", quoted(s)),
        Term::From(s) => format!("FROM {}", quoted(s)),
        Term::To(s) => format!("TO {}", quoted(s)),
        Term::Subject(s) => format!("SUBJECT {}", quoted(s)),
        Term::Body(s) => format!("BODY {}", quoted(s)),
        Term::Since(d) => date(*d, ctx, true),
        Term::Before(d) => date(*d, ctx, false),
        Term::Is(Is::Unread) => "UNSEEN".into(),
        Term::Is(Is::Read) => "SEEN".into(),
        Term::Is(Is::Flagged) => "FLAGGED".into(),
        Term::Is(Is::Answered) => "ANSWERED".into(),
        Term::Assigned(who) => {
            // `check` refused assigned:me without an agent; an id that is not one (a bad
            // configuration) matches nothing rather than reaching the wire.
            let agent = match who {
                Who::Me => ctx.me.unwrap_or_default().to_ascii_lowercase(),
                Who::Agent(a) => a.clone(),
            };
            if crate::config::is_valid_agent_id(&agent) {
                format!("KEYWORD {ASSIGNED}{agent}")
            } else {
                "NOT ALL".into()
            }
        }
        Term::Status(Status::Open) => {
            // One operand of NOT and OR, so in parentheses.
            format!("(UNKEYWORD {PENDING} UNKEYWORD {DONE} UNKEYWORD {SNOOZED})")
        }
        Term::Status(Status::Pending) => format!("(KEYWORD {PENDING} UNKEYWORD {DONE})"),
        Term::Status(Status::Done) => format!("KEYWORD {DONE}"),
        Term::Status(Status::Snoozed) => format!("KEYWORD {SNOOZED}"),
    };
    out.push_str(&s);
}

/// `since:`/`before:`. With WITHIN: `YOUNGER`/`OLDER` seconds from now to the start of the
/// day in the agent's zone (exact); without it: `SINCE`/`BEFORE` that calendar date, which the
/// server compares with the date of arrival in its own zone.
fn date(d: Day, ctx: &Context<'_>, since: bool) -> String {
    let start = d.start(ctx);
    if ctx.within {
        let ago = ctx.now - start;
        return match (since, ago > 0) {
            (true, true) => format!("YOUNGER {ago}"),
            // A day still to come: nothing arrived since, everything arrived before.
            (true, false) => "NOT ALL".into(),
            (false, true) => format!("OLDER {ago}"),
            (false, false) => "ALL".into(),
        };
    }
    let days = d.days(ctx);
    format!(
        "{} {}",
        if since { "SINCE" } else { "BEFORE" },
        imap_date(days)
    )
}
