//! Completion in the compose pane (issue 18, item 5): `Tab` in To, Cc or Bcc completes the
//! address being typed (after the last comma) from the addresses seen in the account's
//! column — From, To, Cc and Reply-To of the cached summaries — ranked by use (how many
//! messages, then the latest); `Tab` again cycles, any other key keeps the choice. With
//! nothing to complete, `Tab` moves to the next field as before. In the attach line
//! (`Ctrl-t`), `Tab` or `Ctrl-t` completes a file path.

use std::collections::HashMap;

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
    /// What goes into the field: `Name <email>`, or the address alone when the name would
    /// need quoting (a comma would split the field).
    pub fn insert_text(&self) -> String {
        match &self.name {
            Some(n) if !n.is_empty() && !n.contains([',', ';', '<', '>', '"', '@', '\\']) => {
                format!("{n} <{}>", self.email)
            }
            _ => self.email.clone(),
        }
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

/// The addresses of `rows`, most used first (count, then latest, then address).
pub fn rank<'a>(rows: impl IntoIterator<Item = &'a Summary>) -> Vec<Seen> {
    let mut seen: HashMap<String, Seen> = HashMap::new();
    for s in rows {
        let at = s.internal_date;
        let all = s
            .from()
            .iter()
            .chain(s.to().iter())
            .chain(s.cc().iter())
            .chain(s.reply_to().iter());
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
    out.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then(b.last.cmp(&a.last))
            .then(a.email.cmp(&b.email))
    });
    out
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

/// The byte offset where the address being typed in `text` starts (after the last comma and
/// its spaces).
pub fn fragment_start(text: &str) -> usize {
    let after = text.rfind(',').map_or(0, |i| i + 1);
    after + (text[after..].len() - text[after..].trim_start().len())
}

/// An open completion: the field's text before the fragment, what was typed, the
/// candidates and the one shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completing {
    pub field: super::model::Field,
    pub head: String,
    pub typed: String,
    pub candidates: Vec<String>,
    pub index: usize,
}

/// `Tab` in an address field of `c`: completes from the rows of the account's column, or
/// cycles an open completion. `None` when there is nothing to complete (the caller moves to
/// the next field); else what the status line says.
pub(crate) fn tab(
    c: &mut super::model::Compose,
    rows: Option<&crate::ui::screen::columns::Rows>,
) -> Option<String> {
    use super::model::Field;
    let field = c.field;
    let line = match field {
        Field::To => &mut c.to,
        Field::Cc => &mut c.cc,
        Field::Bcc => &mut c.bcc,
        _ => return None,
    };
    if let Some(open) = c.completing.as_mut().filter(|o| o.field == field) {
        open.index = (open.index + 1) % open.candidates.len().max(1);
        let pick = open.candidates.get(open.index)?.clone();
        *line = super::model::Line::new(&format!("{}{pick}", open.head));
        return Some(list(open));
    }
    let start = fragment_start(&line.text);
    let typed = line.text[start..].to_string();
    let ranked = rank(rows?.iter());
    // An address typed in full (or a completed `Name <addr>`) is done: Tab moves on.
    let whole = typed.trim().to_lowercase();
    if whole.ends_with('>') || ranked.iter().any(|s| s.email == whole) {
        return None;
    }
    let candidates: Vec<String> = matching(&ranked, &typed)
        .into_iter()
        .map(Seen::insert_text)
        .collect();
    if candidates.is_empty() || (candidates.len() == 1 && candidates[0] == typed) {
        return None;
    }
    let head = line.text[..start].to_string();
    *line = super::model::Line::new(&format!("{head}{}", candidates[0]));
    let open = Completing {
        field,
        head,
        typed,
        candidates,
        index: 0,
    };
    let said = list(&open);
    c.completing = Some(open);
    Some(said)
}

/// The status line of an open completion: the candidates, the shown one in brackets.
fn list(open: &Completing) -> String {
    let names: Vec<String> = open
        .candidates
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let s = sanitize::single_line(s);
            if i == open.index { format!("[{s}]") } else { s }
        })
        .collect();
    format!("Tab cycles: {}", names.join("  "))
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
