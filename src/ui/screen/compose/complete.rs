//! Completion in the compose pane (issue 18, item 5): the completion key (`Tab`,
//! `[keys.compose] complete`) in To, Cc or Bcc completes the address being typed (after the
//! last comma) from the addresses seen in the account's column — From, To, Cc and Reply-To of
//! the cached summaries — and the recipients of its Sent folder's messages when the engine
//! has read them, ranked by use (how many messages, then the latest); with an
//! `address_book_command` the program is asked too (a compose job, `Request::AddressBook`)
//! and its entries merge in when they arrive. The candidates show in a popup under the field:
//! `Tab`/`Down` and `Shift-Tab`/`Up` cycle, `Enter` accepts, `Esc` puts back what was typed,
//! any other key keeps the choice. With nothing to complete, `Tab` moves to the next field as
//! before. In the attach line (`Ctrl-t`), `Tab` or `Ctrl-t` completes a file path.

use std::collections::HashMap;

use crate::engine::address_book::Entry;
use crate::message::Summary;
use crate::sanitize;

/// Most candidates offered for one fragment.
pub const MAX_CANDIDATES: usize = 8;
/// Most directory entries looked at for a path.
const MAX_DIR_ENTRIES: usize = 5_000;

/// An address seen in the account's mail, with how often and how lately.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// Lower case.
    pub email: String,
    pub name: Option<String>,
    pub count: u32,
    pub last: i64,
}

impl Seen {
    /// What goes into the field: `Name <email>`, the name quoted where it needs it.
    pub fn insert_text(&self) -> String {
        crate::mail::header::format_mailbox(self.name.as_deref(), &self.email)
    }
}

/// A plausible address: one `@`, no spaces, controls or brackets.
fn plausible(email: &str) -> bool {
    email.len() <= 254
        && email.matches('@').count() == 1
        && !email.starts_with('@')
        && !email.ends_with('@')
        && !email
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>,;\"()\\".contains(c))
}

/// The addresses of `rows` (From, To, Cc, Reply-To) and of `sent` (the account's Sent
/// folder: its To and Cc, each a use), most used first (count, then latest, then address).
pub fn rank<'a>(
    rows: impl IntoIterator<Item = &'a Summary>,
    sent: impl IntoIterator<Item = &'a Summary>,
) -> Vec<Seen> {
    let mut seen: HashMap<String, Seen> = HashMap::new();
    let received = rows.into_iter().map(|s| {
        let all: Vec<_> = s
            .from()
            .iter()
            .chain(s.to().iter())
            .chain(s.cc().iter())
            .chain(s.reply_to().iter())
            .collect();
        (s.internal_date, all)
    });
    let written = sent.into_iter().map(|s| {
        let all: Vec<_> = s.to().iter().chain(s.cc().iter()).collect();
        (s.internal_date, all)
    });
    for (at, all) in received.chain(written) {
        for a in all {
            let email = a.email.trim().to_lowercase();
            if !plausible(&email) {
                continue;
            }
            let name = a
                .name
                .map(|n| sanitize::single_line(n).trim().to_string())
                .filter(|n| !n.is_empty());
            let e = seen.entry(email.clone()).or_insert(Seen {
                email,
                name: None,
                count: 0,
                last: i64::MIN,
            });
            e.count = e.count.saturating_add(1);
            if at >= e.last {
                e.last = at;
                if name.is_some() {
                    e.name = name;
                }
            } else if e.name.is_none() {
                e.name = name;
            }
        }
    }
    let mut out: Vec<Seen> = seen.into_values().collect();
    out.sort_by(by_use);
    out
}

/// Most used first, then the latest, then by address.
fn by_use(a: &Seen, b: &Seen) -> std::cmp::Ordering {
    b.count
        .cmp(&a.count)
        .then(b.last.cmp(&a.last))
        .then(a.email.cmp(&b.email))
}

/// The candidates for `fragment` among `ranked`, in rank order: those whose address or a
/// word of whose name starts with it, then those that contain it.
pub fn matching<'a>(ranked: &'a [Seen], fragment: &str) -> Vec<&'a Seen> {
    let q = fragment.trim().to_lowercase();
    if q.is_empty() {
        return Vec::new();
    }
    let starts = |s: &Seen| {
        s.email.starts_with(&q)
            || s.name.as_deref().is_some_and(|n| {
                let n = n.to_lowercase();
                n.starts_with(&q) || n.split_whitespace().any(|w| w.starts_with(&q))
            })
    };
    let contains = |s: &Seen| {
        s.email.contains(&q)
            || s.name
                .as_deref()
                .is_some_and(|n| n.to_lowercase().contains(&q))
    };
    let mut out: Vec<&Seen> = ranked.iter().filter(|s| starts(s)).collect();
    out.extend(ranked.iter().filter(|s| !starts(s) && contains(s)));
    out.truncate(MAX_CANDIDATES);
    out
}

/// `local` (the matches from the account's mail) with the address book's `entries` merged
/// in: an entry seen in the mail counts its uses there (and gives its name where the mail had
/// none); the others follow, in the book's order. Most used first, at most
/// [`MAX_CANDIDATES`].
pub fn merge(local: &[Seen], ranked: &[Seen], entries: &[Entry]) -> Vec<Seen> {
    let mut out: Vec<Seen> = local.to_vec();
    for e in entries {
        if let Some(s) = out.iter_mut().find(|s| s.email == e.email) {
            if s.name.is_none() {
                s.name.clone_from(&e.name);
            }
            continue;
        }
        let used = ranked.iter().find(|s| s.email == e.email);
        out.push(Seen {
            email: e.email.clone(),
            name: used.and_then(|s| s.name.clone()).or_else(|| e.name.clone()),
            count: used.map_or(0, |s| s.count),
            last: used.map_or(i64::MIN, |s| s.last),
        });
    }
    // Stable, without the address tie-break: the book's own order stays among addresses
    // never used.
    out.sort_by(|a, b| b.count.cmp(&a.count).then(b.last.cmp(&a.last)));
    out.truncate(MAX_CANDIDATES);
    out
}

/// The byte offset where the address being typed in `text` starts (after the last comma and
/// its spaces).
pub fn fragment_start(text: &str) -> usize {
    let after = text.rfind(',').map_or(0, |i| i + 1);
    after + (text[after..].len() - text[after..].trim_start().len())
}

/// An open completion: the field's text before the fragment, what was typed, the
/// candidates and the one shown, and the address book's answer still awaited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completing {
    pub field: super::model::Field,
    pub head: String,
    pub typed: String,
    /// The candidates from the account's mail (merged with the book's when it answers).
    pub local: Vec<Seen>,
    /// Every address of the account's mail, ranked (to rank the book's entries).
    pub ranked: Vec<Seen>,
    pub candidates: Vec<String>,
    /// The candidate in the field; `None` while none is (the book is still asked).
    pub index: Option<usize>,
    /// The id of the `Request::AddressBook` awaited.
    pub asking: Option<u64>,
}

/// What the completion key did in an address field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tabbed {
    /// Nothing to complete: the caller moves on (`Tab` to the next field).
    Nothing,
    /// Completing: what the status line says, and the address book to ask (`argv`, query).
    Open {
        said: String,
        ask: Option<(Vec<String>, String)>,
    },
}

fn field_line(c: &mut super::model::Compose) -> Option<&mut super::model::Line> {
    use super::model::Field;
    match c.field {
        Field::To => Some(&mut c.to),
        Field::Cc => Some(&mut c.cc),
        Field::Bcc => Some(&mut c.bcc),
        _ => None,
    }
}

/// Puts candidate `index` of the open completion into its field.
fn show(c: &mut super::model::Compose, index: usize) {
    let Some(open) = c.completing.as_mut() else {
        return;
    };
    let Some(pick) = open.candidates.get(index) else {
        return;
    };
    open.index = Some(index);
    let text = format!("{}{pick}", open.head);
    if let Some(line) = field_line(c) {
        *line = super::model::Line::new(&text);
    }
}

/// The completion key (or `back`: the previous one) in an address field of `c`: completes
/// from the rows of the account's column and its Sent folder (`sent`), or cycles an open
/// completion; `book` is the `address_book_command` (empty: none), `id` the id its request
/// gets.
pub(crate) fn tab(
    c: &mut super::model::Compose,
    rows: Option<&crate::ui::screen::columns::Rows>,
    sent: &[Summary],
    book: &[String],
    id: u64,
    back: bool,
) -> Tabbed {
    let field = c.field;
    if let Some(open) = c.completing.as_ref().filter(|o| o.field == field) {
        let n = open.candidates.len();
        if n == 0 {
            return Tabbed::Open {
                said: list(open),
                ask: None,
            };
        }
        let next = match (open.index, back) {
            (None, false) => 0,
            (None, true) => n - 1,
            (Some(i), false) => (i + 1) % n,
            (Some(i), true) => (i + n - 1) % n,
        };
        show(c, next);
        let said = c.completing.as_ref().map(list).unwrap_or_default();
        return Tabbed::Open { said, ask: None };
    }
    if back {
        return Tabbed::Nothing;
    }
    let Some(line) = field_line(c) else {
        return Tabbed::Nothing;
    };
    let start = fragment_start(&line.text);
    let typed = line.text[start..].to_string();
    let head = line.text[..start].to_string();
    let ranked = rank(rows.into_iter().flat_map(|r| r.iter()), sent);
    // An address typed in full (or a completed `Name <addr>`) is done: Tab moves on.
    let whole = typed.trim().to_lowercase();
    if whole.is_empty() || whole.ends_with('>') || ranked.iter().any(|s| s.email == whole) {
        return Tabbed::Nothing;
    }
    let local: Vec<Seen> = matching(&ranked, &typed).into_iter().cloned().collect();
    let candidates: Vec<String> = local.iter().map(Seen::insert_text).collect();
    let ask = (!book.is_empty()).then(|| (book.to_vec(), typed.trim().to_string()));
    if ask.is_none() && (candidates.is_empty() || (candidates.len() == 1 && candidates[0] == typed))
    {
        return Tabbed::Nothing;
    }
    c.completing = Some(Completing {
        field,
        head,
        typed,
        local,
        ranked,
        candidates,
        index: None,
        asking: ask.as_ref().map(|_| id),
    });
    show(c, 0);
    let said = c.completing.as_ref().map(list).unwrap_or_default();
    Tabbed::Open { said, ask }
}

/// The address book answered request `id`: its entries merge into the open completion
/// (ranked by use with the account's addresses); the shown candidate stays shown. `false`
/// when no completion waits for it.
pub(crate) fn on_book(c: &mut super::model::Compose, id: u64, entries: &[Entry]) -> bool {
    let Some(open) = c.completing.as_mut().filter(|o| o.asking == Some(id)) else {
        return false;
    };
    open.asking = None;
    let shown = open.index.and_then(|i| open.candidates.get(i)).cloned();
    let merged = merge(&open.local, &open.ranked, entries);
    open.candidates = merged.iter().map(Seen::insert_text).collect();
    let at = shown
        .and_then(|s| open.candidates.iter().position(|x| *x == s))
        .or((!open.candidates.is_empty()).then_some(0));
    match at {
        Some(i) => show(c, i),
        None => c.completing = None,
    }
    true
}

/// `Esc` in an open completion: the field gets back what was typed.
pub(crate) fn cancel(c: &mut super::model::Compose) {
    if let Some(open) = c.completing.take() {
        let text = format!("{}{}", open.head, open.typed);
        if open.field == c.field
            && let Some(line) = field_line(c)
        {
            *line = super::model::Line::new(&text);
        }
    }
}

/// The status line of an open completion: the candidates, the shown one in brackets.
fn list(open: &Completing) -> String {
    if open.candidates.is_empty() {
        return "asking the address book…".to_string();
    }
    let names: Vec<String> = open
        .candidates
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let s = sanitize::single_line(s);
            if Some(i) == open.index {
                format!("[{s}]")
            } else {
                s
            }
        })
        .collect();
    let asking = if open.asking.is_some() {
        " (asking the address book…)"
    } else {
        ""
    };
    format!("Tab cycles: {}{asking}", names.join("  "))
}

/// Completes the path `typed` (the attach line): the entries of its directory that start with
/// its last part, sorted; `~/` is the home directory. Returns the completed text (the longest
/// common prefix, a directory with `/`) and the candidates' names.
pub fn path(typed: &str) -> (String, Vec<String>) {
    let (dir_part, base) = match typed.rfind('/') {
        Some(i) => (&typed[..=i], &typed[i + 1..]),
        None => ("", typed),
    };
    let dir = if dir_part.is_empty() {
        std::path::PathBuf::from(".")
    } else if let Some(rest) = dir_part.strip_prefix("~/") {
        match std::env::var_os("HOME") {
            Some(h) => std::path::PathBuf::from(h).join(rest),
            None => return (typed.to_string(), Vec::new()),
        }
    } else {
        std::path::PathBuf::from(dir_part)
    };
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return (typed.to_string(), Vec::new());
    };
    let mut names: Vec<String> = entries
        .take(MAX_DIR_ENTRIES)
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            if !name.starts_with(base) || (base.is_empty() && name.starts_with('.')) {
                return None;
            }
            if name.chars().any(char::is_control) {
                return None;
            }
            let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
            Some(if is_dir { format!("{name}/") } else { name })
        })
        .collect();
    names.sort();
    let common = match names.split_first() {
        None => return (typed.to_string(), names),
        Some((first, rest)) => rest.iter().fold(first.clone(), |acc, n| {
            acc.chars()
                .zip(n.chars())
                .take_while(|(a, b)| a == b)
                .map(|(a, _)| a)
                .collect()
        }),
    };
    (format!("{dir_part}{common}"), names)
}

#[cfg(test)]
mod tests;
