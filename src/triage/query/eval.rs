//! A query evaluated on one row (`message::Summary`): for accounts searched in their rows
//! (Maildir) and for `mailroom list --search --offline`. Text compares case-insensitively; a
//! bare word or phrase looks in the subject and the From, To and Cc addresses; `body:` in the
//! message's text, which the caller reads only for the rows that reach such a term
//! ([`Query::matches_with`]; `Query::check` with `rows_only` refuses `body:` where there is
//! no message to read); dates compare the arrival time (INTERNALDATE) with the start of the
//! day in the agent's zone, to the second.

use super::{Context, Is, Node, Query, Status, Term, Who};
use crate::message::{AddressRef, Summary};
use crate::triage::state::{ASSIGNED, DONE, PENDING, suffix};

/// A needle lower-cased once.
fn found_in(hay: &str, needle: &str) -> bool {
    if needle.is_ascii() {
        let n = needle.as_bytes();
        n.is_empty()
            || hay
                .as_bytes()
                .windows(n.len())
                .any(|w| w.eq_ignore_ascii_case(n))
    } else {
        hay.to_lowercase().contains(&needle.to_lowercase())
    }
}

fn in_addrs<'a>(mut addrs: impl Iterator<Item = AddressRef<'a>>, needle: &str) -> bool {
    addrs.any(|a| found_in(a.email, needle) || a.name.is_some_and(|n| found_in(n, needle)))
}

/// The text of one message, read at most once, when a `body:` term asks for it.
struct Body<'f> {
    read: &'f mut dyn FnMut() -> Option<String>,
    text: Option<Option<String>>,
}

impl Body<'_> {
    fn contains(&mut self, needle: &str) -> bool {
        if self.text.is_none() {
            self.text = Some((self.read)());
        }
        self.text
            .as_ref()
            .and_then(Option::as_deref)
            .is_some_and(|t| found_in(t, needle))
    }
}

impl Query {
    /// Whether row `s` matches (see the module's documentation); `body:` matches nothing.
    pub fn matches(&self, s: &Summary, ctx: &Context<'_>) -> bool {
        self.matches_with(s, ctx, &mut || None)
    }

    /// [`Query::matches`], with `body` reading the message's text (once, and only when a
    /// `body:` term is reached; `None`: it could not be read, and matches nothing).
    pub fn matches_with(
        &self,
        s: &Summary,
        ctx: &Context<'_>,
        body: &mut dyn FnMut() -> Option<String>,
    ) -> bool {
        let mut body = Body {
            read: body,
            text: None,
        };
        node(&self.root, s, ctx, &mut body)
    }

    /// Whether a term needs the messages' text (`body:`).
    pub fn needs_body(&self) -> bool {
        self.terms().iter().any(|t| matches!(t, Term::Body(_)))
    }
}

fn node(n: &Node, s: &Summary, ctx: &Context<'_>, body: &mut Body<'_>) -> bool {
    match n {
        Node::Term(Term::Body(needle)) => body.contains(needle),
        Node::Term(t) => term(t, s, ctx),
        Node::Not(inner) => !node(inner, s, ctx, body),
        Node::All(parts) => parts.iter().all(|p| node(p, s, ctx, body)),
        Node::Any(parts) => parts.iter().any(|p| node(p, s, ctx, body)),
    }
}

fn has(s: &Summary, keyword: &str) -> bool {
    s.keywords.iter().any(|k| k.eq_ignore_ascii_case(keyword))
}

fn term(t: &Term, s: &Summary, ctx: &Context<'_>) -> bool {
    match t {
        Term::Text(n) => {
            found_in(s.subject(), n)
                || in_addrs(s.from(), n)
                || in_addrs(s.to(), n)
                || in_addrs(s.cc(), n)
        }
        Term::From(n) => in_addrs(s.from(), n),
        Term::To(n) => in_addrs(s.to(), n),
        Term::Subject(n) => found_in(s.subject(), n),
        // Read by `node` through `Body`.
        Term::Body(_) => false,
        Term::Since(d) => s.internal_date >= d.start(ctx),
        Term::Before(d) => s.internal_date < d.start(ctx),
        Term::Is(Is::Unread) => !s.flags.seen,
        Term::Is(Is::Read) => s.flags.seen,
        Term::Is(Is::Flagged) => s.flags.flagged,
        Term::Is(Is::Answered) => s.flags.answered,
        Term::Assigned(who) => {
            let agent = match who {
                Who::Me => match ctx.me {
                    Some(me) => me,
                    None => return false,
                },
                Who::Agent(a) => a.as_str(),
            };
            s.keywords
                .iter()
                .any(|k| suffix(k, ASSIGNED).is_some_and(|a| a.eq_ignore_ascii_case(agent)))
        }
        Term::Status(st) => {
            let snoozed = s
                .keywords
                .iter()
                .any(|k| crate::mail::snooze::is_snooze_keyword(k));
            let (pending, done) = (has(s, PENDING), has(s, DONE));
            match st {
                Status::Open => !pending && !done && !snoozed,
                Status::Pending => pending && !done,
                Status::Done => done,
                Status::Snoozed => snoozed,
            }
        }
    }
}
