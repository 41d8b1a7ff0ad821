//! The search language of `:search` and `mailroom list --search`: pure, no I/O.
//!
//! ```text
//! invoice                       a word anywhere (headers and body; on Maildir: headers)
//! "order #97916"                a phrase, quotes not searched for
//! from:acme  to:sales@  subject:"late delivery"  body:refund
//! since:2026-12-01  before:yesterday  since:7d   (days in the agent's time zone)
//! is:unread  is:read  is:flagged  is:answered
//! assigned:bob  assigned:me  status:open|pending|done|snoozed
//! a b            both (AND)        a or b     either        -a     not a
//! (a or b) c     grouping
//! ```
//!
//! [`parse`] reads a query into a [`Query`] or a [`QueryError`] naming the term that is wrong
//! and why; `imap` translates a query to `UID SEARCH` criteria and `eval` evaluates it on a
//! row (`message::Summary`), for accounts without a server. Dates are read in the agent's time
//! zone: the `[insight] timezone_offset` setting (a fixed UTC offset; UTC when unset).

mod eval;
mod imap;
#[cfg(test)]
mod tests;

pub use imap::Criteria;

/// Longest query: a search box, not a place for a pasted log.
pub const MAX_QUERY_BYTES: usize = 512;
/// Most terms in one query.
pub const MAX_TERMS: usize = 32;
/// Deepest nesting of parentheses and negations.
pub const MAX_DEPTH: usize = 8;

/// A parsed query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub root: Node,
}

/// A query's tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Term(Term),
    Not(Box<Node>),
    /// Every one (terms separated by spaces).
    All(Vec<Node>),
    /// Any one (`or`).
    Any(Vec<Node>),
}

/// One term.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    /// A bare word or a quoted phrase: headers and body (IMAP `TEXT`).
    Text(String),
    From(String),
    To(String),
    Subject(String),
    Body(String),
    /// Arrived (INTERNALDATE) on or after the start of this day.
    Since(Day),
    /// Arrived before the start of this day.
    Before(Day),
    Is(Is),
    Assigned(Who),
    Status(Status),
}

/// A day, read in the agent's time zone when the query runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Day {
    /// A calendar date (checked: the month has the day).
    Date {
        year: i64,
        month: u32,
        day: u32,
    },
    Today,
    Yesterday,
    /// `7d`: the day that many days before today.
    DaysAgo(u32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Is {
    Unread,
    Read,
    Flagged,
    Answered,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Who {
    /// The agent at the keyboard (`[agent] id`).
    Me,
    /// An agent id (`[a-z0-9._-]+`, lower-cased).
    Agent(String),
}

/// Team state as the keywords say it (`triage::state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// None of `$pending`, `$done`, `$snoozed`.
    Open,
    /// `$pending` and not `$done`.
    Pending,
    Done,
    Snoozed,
}

/// What the query is run with: who "me" is, the clock and the agent's time zone, and what
/// the account can search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Context<'a> {
    /// The agent at the keyboard, for `assigned:me`.
    pub me: Option<&'a str>,
    /// Unix seconds.
    pub now: i64,
    /// The agent's time zone: seconds east of UTC (`[insight] timezone_offset`).
    pub offset: i32,
    /// Team state lives in folders here (no permanent keywords): team terms cannot be searched.
    pub team_folders: bool,
    /// The server has WITHIN (RFC 5032): dates are searched to the second in the agent's zone;
    /// without it, SEARCH compares calendar dates in the server's own zone.
    pub within: bool,
}

/// Why a query is refused: which term (1-based, with its text and column) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("the search is empty")]
    Empty,
    #[error("the search is longer than {MAX_QUERY_BYTES} bytes")]
    TooLong,
    /// CR, LF, NUL or another control character (never sent anywhere).
    #[error("the search contains a control character at column {column}")]
    Control { column: usize },
    #[error("more than {MAX_TERMS} terms")]
    TooManyTerms,
    #[error("nested deeper than {MAX_DEPTH} levels at column {column}")]
    TooDeep { column: usize },
    #[error("term {term:?} at column {column}: {problem}")]
    Term {
        term: String,
        column: usize,
        problem: Problem,
    },
    /// A well-formed term this account or agent cannot search.
    #[error("term {term:?}: {problem}")]
    NotHere { term: String, problem: Problem },
}

/// What is wrong with one term.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    #[error(
        "unknown field {0:?} (known: from, to, subject, body, since, before, is, assigned, status; quote text with a colon)"
    )]
    UnknownField(String),
    #[error("nothing after the colon")]
    EmptyValue,
    #[error("the quote is not closed")]
    UnclosedQuote,
    #[error("not a date: use YYYY-MM-DD, today, yesterday or a number of days such as 7d")]
    BadDate,
    #[error("use is:unread, is:read, is:flagged or is:answered")]
    BadIs,
    #[error("use status:open, status:pending, status:done or status:snoozed")]
    BadStatus,
    #[error("not an agent id (letters a-z, digits, '.', '_', '-'), or me")]
    BadAgent,
    #[error("assigned:me needs [agent] id in the configuration")]
    NoAgent,
    #[error("`or` needs a term on each side")]
    DanglingOr,
    #[error("`-` needs a term after it")]
    DanglingNot,
    #[error("this ( is not closed")]
    UnclosedParen,
    #[error("this ) closes nothing")]
    StrayParen,
    #[error("() holds no term")]
    EmptyParens,
    #[error("team state is kept in folders on this account (no keywords): not searchable")]
    TeamFolders,
    #[error(
        "only the cached headers are searched here (--offline): no body; use words, from:, to:, subject:"
    )]
    NoBody,
}

/// A token with its column (1-based, in characters) and text as typed.
#[derive(Debug, Clone)]
struct Token {
    kind: Tok,
    column: usize,
    text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Open,
    Close,
    Or,
    Not,
    /// `field:value` (field lower-cased) or a bare value (`field` None); `quoted`: the value
    /// was a quoted phrase.
    Word {
        field: Option<String>,
        value: String,
        quoted: bool,
    },
}

fn term_error(t: &Token, problem: Problem) -> QueryError {
    QueryError::Term {
        term: crate::sanitize::single_line(&t.text),
        column: t.column,
        problem,
    }
}

/// Splits a query into tokens. Quotes run to the next `"` (inside, `\"` is a quote and `\\`
/// a backslash).
fn lex(text: &str) -> Result<Vec<Token>, QueryError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        let column = i + 1;
        match c {
            '(' => {
                out.push(Token {
                    kind: Tok::Open,
                    column,
                    text: "(".into(),
                });
                i += 1;
                continue;
            }
            ')' => {
                out.push(Token {
                    kind: Tok::Close,
                    column,
                    text: ")".into(),
                });
                i += 1;
                continue;
            }
            '-' if chars
                .get(i + 1)
                .is_some_and(|n| !n.is_whitespace() && *n != ')') =>
            {
                out.push(Token {
                    kind: Tok::Not,
                    column,
                    text: "-".into(),
                });
                i += 1;
                continue;
            }
            _ => {}
        }
        // A word, or field:word, or field:"phrase", or "phrase".
        let mut word = String::new();
        while i < chars.len() && !chars[i].is_whitespace() && !matches!(chars[i], '(' | ')' | '"') {
            word.push(chars[i]);
            i += 1;
            if word.ends_with(':') {
                break;
            }
        }
        let field = word
            .strip_suffix(':')
            .filter(|f| !f.is_empty() && f.chars().all(|c| c.is_ascii_alphabetic()))
            .map(str::to_ascii_lowercase);
        let (value, quoted) = if field.is_some() || word.is_empty() {
            if chars.get(i) == Some(&'"') {
                i += 1;
                let mut phrase = String::new();
                loop {
                    match chars.get(i) {
                        None => {
                            let t = Token {
                                kind: Tok::Or,
                                column,
                                text: chars[start..].iter().collect(),
                            };
                            return Err(term_error(&t, Problem::UnclosedQuote));
                        }
                        Some('"') => {
                            i += 1;
                            break;
                        }
                        Some('\\') if matches!(chars.get(i + 1), Some('"' | '\\')) => {
                            phrase.push(chars[i + 1]);
                            i += 2;
                        }
                        Some(&c) => {
                            phrase.push(c);
                            i += 1;
                        }
                    }
                }
                (phrase, true)
            } else if field.is_some() {
                let mut v = String::new();
                while i < chars.len()
                    && !chars[i].is_whitespace()
                    && !matches!(chars[i], '(' | ')' | '"')
                {
                    v.push(chars[i]);
                    i += 1;
                }
                (v, false)
            } else {
                (word.clone(), false)
            }
        } else {
            // A word that ended at a colon with no field name before it (`:x`, `a1:b`): go on.
            while i < chars.len() && !chars[i].is_whitespace() && !matches!(chars[i], '(' | ')') {
                if chars[i] == '"' {
                    break;
                }
                word.push(chars[i]);
                i += 1;
            }
            (word.clone(), false)
        };
        let text: String = chars[start..i].iter().collect();
        let kind = if field.is_none() && !quoted && value.eq_ignore_ascii_case("or") {
            Tok::Or
        } else {
            Tok::Word {
                field,
                value,
                quoted,
            }
        };
        out.push(Token { kind, column, text });
    }
    Ok(out)
}

/// Parses a query (see the module's documentation).
pub fn parse(text: &str) -> Result<Query, QueryError> {
    if text.len() > MAX_QUERY_BYTES {
        return Err(QueryError::TooLong);
    }
    if let Some(i) = text.chars().position(char::is_control) {
        return Err(QueryError::Control { column: i + 1 });
    }
    let tokens = lex(text)?;
    if tokens.is_empty() {
        return Err(QueryError::Empty);
    }
    let terms = tokens
        .iter()
        .filter(|t| matches!(t.kind, Tok::Word { .. }))
        .count();
    if terms > MAX_TERMS {
        return Err(QueryError::TooManyTerms);
    }
    let mut p = Parser { tokens, at: 0 };
    let root = p.any(0)?;
    if let Some(t) = p.tokens.get(p.at) {
        return Err(term_error(t, Problem::StrayParen));
    }
    Ok(Query { root })
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    /// `all (or all)*`
    fn any(&mut self, depth: usize) -> Result<Node, QueryError> {
        let mut parts = vec![self.all(depth)?];
        while let Some(t) = self.peek() {
            if t.kind != Tok::Or {
                break;
            }
            let or = t.clone();
            self.at += 1;
            match self.peek().map(|t| &t.kind) {
                None | Some(Tok::Or | Tok::Close) => {
                    return Err(term_error(&or, Problem::DanglingOr));
                }
                _ => parts.push(self.all(depth)?),
            }
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Node::Any(parts)
        })
    }

    /// `unary+`, up to `or`, `)` or the end.
    fn all(&mut self, depth: usize) -> Result<Node, QueryError> {
        let mut parts = Vec::new();
        while let Some(t) = self.peek() {
            match t.kind {
                Tok::Close => break,
                Tok::Or => {
                    if parts.is_empty() {
                        return Err(term_error(t, Problem::DanglingOr));
                    }
                    break;
                }
                _ => parts.push(self.unary(depth)?),
            }
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Node::All(parts)
        })
    }

    fn unary(&mut self, depth: usize) -> Result<Node, QueryError> {
        let Some(t) = self.peek().cloned() else {
            return Err(QueryError::Empty);
        };
        if depth >= MAX_DEPTH && matches!(t.kind, Tok::Not | Tok::Open) {
            return Err(QueryError::TooDeep { column: t.column });
        }
        self.at += 1;
        match t.kind {
            Tok::Not => match self.peek().map(|n| &n.kind) {
                None | Some(Tok::Or | Tok::Close) => Err(term_error(&t, Problem::DanglingNot)),
                _ => Ok(Node::Not(Box::new(self.unary(depth + 1)?))),
            },
            Tok::Open => {
                if self.peek().is_some_and(|n| n.kind == Tok::Close) {
                    return Err(term_error(&t, Problem::EmptyParens));
                }
                let inner = self.any(depth + 1)?;
                match self.peek() {
                    Some(c) if c.kind == Tok::Close => {
                        self.at += 1;
                        Ok(inner)
                    }
                    _ => Err(term_error(&t, Problem::UnclosedParen)),
                }
            }
            Tok::Close | Tok::Or => Err(term_error(&t, Problem::StrayParen)),
            Tok::Word {
                ref field,
                ref value,
                quoted,
            } => term(&t, field.as_deref(), value, quoted).map(Node::Term),
        }
    }
}

/// One `field:value` or bare word.
fn term(t: &Token, field: Option<&str>, value: &str, quoted: bool) -> Result<Term, QueryError> {
    let Some(field) = field else {
        return Ok(Term::Text(value.to_string()));
    };
    if value.is_empty() {
        return Err(term_error(
            t,
            if quoted {
                Problem::EmptyValue
            } else {
                match field {
                    "from" | "to" | "subject" | "body" | "since" | "before" | "is" | "assigned"
                    | "status" => Problem::EmptyValue,
                    other => Problem::UnknownField(other.to_string()),
                }
            },
        ));
    }
    let lower = value.to_lowercase();
    Ok(match field {
        "from" => Term::From(value.to_string()),
        "to" => Term::To(value.to_string()),
        "subject" => Term::Subject(value.to_string()),
        "body" => Term::Body(value.to_string()),
        "since" => Term::Since(day(&lower).ok_or_else(|| term_error(t, Problem::BadDate))?),
        "before" => Term::Before(day(&lower).ok_or_else(|| term_error(t, Problem::BadDate))?),
        "is" => Term::Is(match lower.as_str() {
            "unread" | "new" | "unseen" => Is::Unread,
            "read" | "seen" => Is::Read,
            "flagged" | "starred" => Is::Flagged,
            "answered" | "replied" => Is::Answered,
            _ => return Err(term_error(t, Problem::BadIs)),
        }),
        "assigned" => Term::Assigned(if lower == "me" {
            Who::Me
        } else if crate::config::is_valid_agent_id(&lower) {
            Who::Agent(lower)
        } else {
            return Err(term_error(t, Problem::BadAgent));
        }),
        "status" => Term::Status(match lower.as_str() {
            "open" => Status::Open,
            "pending" => Status::Pending,
            "done" => Status::Done,
            "snoozed" => Status::Snoozed,
            _ => return Err(term_error(t, Problem::BadStatus)),
        }),
        other => return Err(term_error(t, Problem::UnknownField(other.to_string()))),
    })
}

/// `YYYY-MM-DD`, `today`, `yesterday`, `Nd`.
fn day(text: &str) -> Option<Day> {
    match text {
        "today" => return Some(Day::Today),
        "yesterday" => return Some(Day::Yesterday),
        _ => {}
    }
    if let Some(n) = text.strip_suffix('d') {
        return (!n.is_empty() && n.len() <= 5 && n.bytes().all(|b| b.is_ascii_digit()))
            .then(|| n.parse().ok().map(Day::DaysAgo))
            .flatten();
    }
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let digits = format!("{}{}{}0000", &text[0..4], &text[5..7], &text[8..10]);
    // `parse_minute` checks the digits and that the month has the day.
    crate::triage::state::parse_minute(&digits)?;
    Some(Day::Date {
        year: text[0..4].parse().ok()?,
        month: text[5..7].parse().ok()?,
        day: text[8..10].parse().ok()?,
    })
}

const DAY_SECS: i64 = 86_400;

impl Day {
    /// The day as days since 1970-01-01 in the agent's zone.
    fn days(self, ctx: &Context<'_>) -> i64 {
        let today = (ctx.now + i64::from(ctx.offset)).div_euclid(DAY_SECS);
        match self {
            Day::Today => today,
            Day::Yesterday => today - 1,
            Day::DaysAgo(n) => today - i64::from(n),
            Day::Date { year, month, day } => {
                let digits = format!("{year:04}{month:02}{day:02}0000");
                crate::triage::state::parse_minute(&digits).unwrap_or(0) / DAY_SECS
            }
        }
    }

    /// When the day starts in the agent's zone (Unix seconds).
    pub fn start(self, ctx: &Context<'_>) -> i64 {
        self.days(ctx) * DAY_SECS - i64::from(ctx.offset)
    }
}

impl Query {
    /// Every term, in order.
    pub fn terms(&self) -> Vec<&Term> {
        fn walk<'a>(n: &'a Node, out: &mut Vec<&'a Term>) {
            match n {
                Node::Term(t) => out.push(t),
                Node::Not(n) => walk(n, out),
                Node::All(v) | Node::Any(v) => v.iter().for_each(|n| walk(n, out)),
            }
        }
        let mut out = Vec::new();
        walk(&self.root, &mut out);
        out
    }

    /// Checks what the account and the agent allow: team terms where team state lives in
    /// folders, `assigned:me` without an agent; `rows_only` (only cached rows, no message to
    /// read: `list --offline`) refuses `body:`.
    pub fn check(&self, ctx: &Context<'_>, rows_only: bool) -> Result<(), QueryError> {
        for t in self.terms() {
            let problem = match t {
                Term::Assigned(_) | Term::Status(_) if ctx.team_folders => Problem::TeamFolders,
                Term::Assigned(Who::Me) if ctx.me.is_none() => Problem::NoAgent,
                Term::Body(_) if rows_only => Problem::NoBody,
                _ => continue,
            };
            return Err(QueryError::NotHere {
                term: crate::sanitize::single_line(&t.to_string()),
                problem,
            });
        }
        Ok(())
    }
}

impl std::fmt::Display for Term {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let q = |s: &str| {
            if s.chars().any(|c| c.is_whitespace() || c == '"') {
                format!("\"{}\"", s.replace('"', "\\\""))
            } else {
                s.to_string()
            }
        };
        match self {
            Term::Text(s) => write!(f, "{}", q(s)),
            Term::From(s) => write!(f, "from:{}", q(s)),
            Term::To(s) => write!(f, "to:{}", q(s)),
            Term::Subject(s) => write!(f, "subject:{}", q(s)),
            Term::Body(s) => write!(f, "body:{}", q(s)),
            Term::Since(d) => write!(f, "since:{d}"),
            Term::Before(d) => write!(f, "before:{d}"),
            Term::Is(i) => write!(
                f,
                "is:{}",
                match i {
                    Is::Unread => "unread",
                    Is::Read => "read",
                    Is::Flagged => "flagged",
                    Is::Answered => "answered",
                }
            ),
            Term::Assigned(Who::Me) => write!(f, "assigned:me"),
            Term::Assigned(Who::Agent(a)) => write!(f, "assigned:{a}"),
            Term::Status(st) => write!(
                f,
                "status:{}",
                match st {
                    Status::Open => "open",
                    Status::Pending => "pending",
                    Status::Done => "done",
                    Status::Snoozed => "snoozed",
                }
            ),
        }
    }
}

impl std::fmt::Display for Day {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Day::Date { year, month, day } => write!(f, "{year:04}-{month:02}-{day:02}"),
            Day::Today => f.write_str("today"),
            Day::Yesterday => f.write_str("yesterday"),
            Day::DaysAgo(n) => write!(f, "{n}d"),
        }
    }
}
