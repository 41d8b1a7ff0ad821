//! The `:` command line and the `/` filter line: a one-line editor with history and, for
//! commands, completion (from the `commands` table). The line only edits; `super` decides what a
//! finished line does.

use crate::ui::screen::prompt::commands::{COMMANDS, Complete, find_command};

/// Longest line kept, in bytes: a command or a filter, never a pasted document.
pub const MAX_LINE_BYTES: usize = 1024;
/// History entries kept per line kind.
pub const MAX_HISTORY: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    /// `:` — a command.
    Command,
    /// `/` — the instant filter of the focused column.
    Filter,
}

impl PromptKind {
    pub fn prefix(self) -> char {
        match self {
            PromptKind::Command => ':',
            PromptKind::Filter => '/',
        }
    }
}

/// Earlier lines, oldest first, without duplicates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    entries: Vec<String>,
}

impl History {
    /// Remembers `line` as the most recent entry (an older copy moves up); empty lines are not
    /// remembered.
    pub fn push(&mut self, line: &str) {
        if line.trim().is_empty() {
            return;
        }
        self.entries.retain(|e| e != line);
        self.entries.push(line.to_string());
        if self.entries.len() > MAX_HISTORY {
            let extra = self.entries.len() - MAX_HISTORY;
            self.entries.drain(..extra);
        }
    }

    pub fn entries(&self) -> &[String] {
        &self.entries
    }
}

/// A Tab cycle in progress: the token being completed starts at `start` (bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Completion {
    start: usize,
    candidates: Vec<String>,
    /// The candidate now in the line; `None` until the first cycle.
    index: Option<usize>,
}

/// An open line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub kind: PromptKind,
    pub text: String,
    /// Byte offset of the cursor in `text`, always on a char boundary.
    pub cursor: usize,
    /// Shown after the text: completion candidates, or why there are none.
    pub hint: Option<String>,
    completion: Option<Completion>,
    /// Position in the history while browsing it with Up/Down.
    history_pos: Option<usize>,
    /// What was typed before browsing the history, given back past the newest entry.
    draft: String,
    /// The text the line opened with (`A` opens `assign `).
    initial: String,
    /// Why the line has nothing to act on (`s` on a message without attachments): it opens
    /// anyway so that what is typed next lands here, and Enter or Esc only closes it.
    pub inert: Option<String>,
}

/// The hint of an inert line: why, and how it closes.
pub fn inert_hint(why: &str) -> String {
    format!("{why}: Enter or Esc closes this line")
}

impl Prompt {
    pub fn new(kind: PromptKind, text: &str) -> Prompt {
        let mut p = Prompt {
            kind,
            text: String::new(),
            cursor: 0,
            hint: None,
            completion: None,
            history_pos: None,
            draft: String::new(),
            initial: String::new(),
            inert: None,
        };
        p.insert(text);
        p.initial = p.text.clone();
        p
    }

    /// Whether anything was typed since the line opened.
    pub fn untouched(&self) -> bool {
        self.text == self.initial
    }

    /// Any edit ends a completion cycle and history browsing.
    fn edited(&mut self) {
        self.completion = None;
        // An inert line keeps saying why it does nothing.
        self.hint = self.inert.as_ref().map(|why| inert_hint(why));
        self.history_pos = None;
    }

    /// Inserts text at the cursor; control characters (a paste's line breaks, escape
    /// sequences) become spaces or are dropped, and the line stays within its limit.
    pub fn insert(&mut self, s: &str) {
        let mut clean = String::new();
        for c in s.chars() {
            let c = if matches!(c, '\n' | '\r' | '\t') {
                ' '
            } else {
                c
            };
            // One char at a time through the sanitizer's own test: anything it would
            // change (controls, bidi and format characters) is left out.
            if !crate::sanitize::is_clean_line(c.encode_utf8(&mut [0; 4])) {
                continue;
            }
            if self.text.len() + clean.len() + c.len_utf8() > MAX_LINE_BYTES {
                break;
            }
            clean.push(c);
        }
        self.text.insert_str(self.cursor, &clean);
        self.cursor += clean.len();
        self.edited();
    }

    fn prev_boundary(&self, at: usize) -> usize {
        self.text[..at]
            .char_indices()
            .next_back()
            .map_or(0, |(i, _)| i)
    }

    fn next_boundary(&self, at: usize) -> usize {
        self.text[at..]
            .chars()
            .next()
            .map_or(at, |c| at + c.len_utf8())
    }

    pub fn left(&mut self) {
        self.cursor = self.prev_boundary(self.cursor);
    }

    pub fn right(&mut self) {
        self.cursor = self.next_boundary(self.cursor);
    }

    pub fn home(&mut self) {
        self.cursor = 0;
    }

    pub fn end(&mut self) {
        self.cursor = self.text.len();
    }

    pub fn delete_back(&mut self) {
        if self.cursor > 0 {
            let start = self.prev_boundary(self.cursor);
            self.text.replace_range(start..self.cursor, "");
            self.cursor = start;
            self.edited();
        }
    }

    pub fn delete_forward(&mut self) {
        if self.cursor < self.text.len() {
            let end = self.next_boundary(self.cursor);
            self.text.replace_range(self.cursor..end, "");
            self.edited();
        }
    }

    /// Deletes the word before the cursor and the spaces after it (Ctrl-w).
    pub fn delete_word(&mut self) {
        let before = &self.text[..self.cursor];
        let trimmed = before.trim_end();
        let start = trimmed
            .char_indices()
            .rev()
            .find(|(_, c)| c.is_whitespace())
            .map_or(0, |(i, c)| i + c.len_utf8());
        if start < self.cursor {
            self.text.replace_range(start..self.cursor, "");
            self.cursor = start;
            self.edited();
        }
    }

    pub fn delete_to_start(&mut self) {
        if self.cursor > 0 {
            self.text.replace_range(..self.cursor, "");
            self.cursor = 0;
            self.edited();
        }
    }

    fn set_text(&mut self, text: &str) {
        self.text = text.to_string();
        self.cursor = self.text.len();
        self.completion = None;
        self.hint = None;
    }

    /// Up: an older history entry; the line being typed is kept to come back to.
    pub fn history_prev(&mut self, history: &History) {
        let n = history.entries().len();
        let pos = match self.history_pos {
            None if n == 0 => return,
            None => {
                self.draft = self.text.clone();
                n - 1
            }
            Some(p) => p.saturating_sub(1),
        };
        if let Some(e) = history.entries().get(pos) {
            let e = e.clone();
            self.set_text(&e);
            self.history_pos = Some(pos);
        }
    }

    /// Down: a newer entry, then the line that was being typed.
    pub fn history_next(&mut self, history: &History) {
        let Some(pos) = self.history_pos else { return };
        if let Some(e) = history.entries().get(pos + 1) {
            let e = e.clone();
            self.set_text(&e);
            self.history_pos = Some(pos + 1);
        } else {
            let draft = std::mem::take(&mut self.draft);
            self.set_text(&draft);
            self.history_pos = None;
        }
    }

    /// Tab (or S-Tab with `backwards`): completes the word before the cursor. One candidate
    /// is taken at once; several are first narrowed to their common prefix, then cycled.
    pub fn complete(&mut self, sources: &Sources, backwards: bool) {
        if let Some(c) = &mut self.completion {
            let n = c.candidates.len();
            let i = match (c.index, backwards) {
                (None, false) => 0,
                (None, true) => n - 1,
                (Some(i), false) => (i + 1) % n,
                (Some(i), true) => (i + n - 1) % n,
            };
            c.index = Some(i);
            let (start, pick) = (c.start, c.candidates[i].clone());
            self.text.replace_range(start..self.cursor, &pick);
            self.cursor = start + pick.len();
            return;
        }
        let head = &self.text[..self.cursor];
        let start = head
            .char_indices()
            .rev()
            .find(|(_, c)| c.is_whitespace())
            .map_or(0, |(i, c)| i + c.len_utf8());
        let token = &head[start..];
        let first_word = head.split_whitespace().next().unwrap_or("");
        let (candidates, takes_arg): (Vec<String>, bool) = if head[..start].trim().is_empty() {
            let token = token.to_ascii_lowercase();
            let matching: Vec<_> = COMMANDS
                .iter()
                .filter(|c| c.name.starts_with(&token))
                .collect();
            let takes_arg = matching.len() == 1 && matching[0].takes_arg();
            (
                matching.iter().map(|c| c.name.to_string()).collect(),
                takes_arg,
            )
        } else {
            // Only the first argument is completed; later words are free text.
            let arg_index = head[..start].split_whitespace().count();
            let kind = find_command(first_word).map_or(Complete::Nothing, |c| c.completes());
            let all: Vec<String> = match (kind, arg_index) {
                (Complete::Account, 1) => sources.accounts.clone(),
                (Complete::Theme, 1) => sources.themes.clone(),
                (Complete::ReaderMode, 1) => vec!["full".into(), "split".into()],
                (Complete::Layout, 1) => crate::config::Layout::ALL
                    .iter()
                    .map(|l| l.name().to_string())
                    .collect(),
                (Complete::OnOff, 1) => vec!["on".into(), "off".into()],
                (Complete::Agent, 1) => sources.agents.clone(),
                (Complete::View, 1) => crate::config::View::ALL
                    .iter()
                    .chain(&[crate::config::View::Due])
                    .map(|v| v.name().to_string())
                    .collect(),
                (Complete::Save, 1) if sources.attachments > 0 => {
                    std::iter::once("all".to_string())
                        .chain(
                            (1..=sources.attachments.min(MAX_NUMBER_COMPLETIONS))
                                .map(|n| n.to_string()),
                        )
                        .collect()
                }
                _ => Vec::new(),
            };
            let lower = token.to_lowercase();
            let names = all
                .into_iter()
                .filter(|a| a.to_lowercase().starts_with(&lower))
                .collect();
            (names, false)
        };
        match candidates.len() {
            0 => self.hint = Some("no completions".to_string()),
            1 => {
                let mut pick = candidates[0].clone();
                if takes_arg && self.cursor == self.text.len() {
                    pick.push(' ');
                }
                self.text.replace_range(start..self.cursor, &pick);
                self.cursor = start + pick.len();
                self.hint = None;
            }
            _ => {
                let prefix = common_prefix(&candidates);
                if prefix.len() > token.len() {
                    self.text.replace_range(start..self.cursor, &prefix);
                    self.cursor = start + prefix.len();
                }
                self.hint = Some(candidates.join("  "));
                self.completion = Some(Completion {
                    start,
                    candidates,
                    index: None,
                });
            }
        }
    }
}

fn common_prefix(words: &[String]) -> String {
    let Some(first) = words.first() else {
        return String::new();
    };
    let mut end = first.len();
    for w in &words[1..] {
        end = first
            .char_indices()
            .zip(w.chars())
            .find(|((_, a), b)| a != b)
            .map_or(end.min(w.len()), |((i, _), _)| i.min(end));
    }
    first[..end].to_string()
}

/// What arguments can complete to.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    pub accounts: Vec<String>,
    pub themes: Vec<String>,
    /// Attachments of the open message (`:save` completes `all` and their numbers).
    pub attachments: usize,
    /// Agents `:assign` completes to (the roster, then agents seen in keywords).
    pub agents: Vec<String>,
}

/// Attachment numbers offered by completion, at most.
const MAX_NUMBER_COMPLETIONS: usize = 50;

#[cfg(test)]
mod tests {
    use super::*;

    fn sources() -> Sources {
        Sources {
            accounts: vec!["support".into(), "sales".into(), "billing".into()],
            themes: vec!["default".into(), "ansi16".into(), "high-contrast".into()],
            attachments: 3,
            agents: vec!["alice".into(), "bob".into()],
        }
    }

    #[test]
    fn editing_keeps_the_cursor_on_char_boundaries() {
        let mut p = Prompt::new(PromptKind::Command, "café");
        p.left();
        p.delete_back();
        assert_eq!((p.text.as_str(), p.cursor), ("caé", 2));
        p.delete_forward();
        assert_eq!(p.text, "ca");
        p.insert("t é x");
        p.delete_word();
        assert_eq!(p.text, "cat é ");
        p.home();
        p.right();
        p.delete_to_start();
        assert_eq!((p.text.as_str(), p.cursor), ("at é ", 0));
        // Pasted line breaks and escapes never enter the line.
        let mut p = Prompt::new(PromptKind::Filter, "a\nb\u{1b}[2Jc\u{202e}d");
        p.end();
        assert_eq!(p.text, "a b[2Jcd");
        let mut p = Prompt::new(PromptKind::Filter, &"x".repeat(5000));
        p.insert("y");
        assert_eq!(p.text.len(), MAX_LINE_BYTES);
    }

    #[test]
    fn history_browses_and_gives_back_the_draft() {
        let mut h = History::default();
        for e in ["search a", "quit", "search a", ""] {
            h.push(e);
        }
        assert_eq!(h.entries(), ["quit", "search a"]);
        let mut p = Prompt::new(PromptKind::Command, "typing");
        p.history_prev(&h);
        assert_eq!(p.text, "search a");
        p.history_prev(&h);
        p.history_prev(&h);
        assert_eq!(p.text, "quit");
        p.history_next(&h);
        p.history_next(&h);
        assert_eq!(p.text, "typing");
    }

    #[test]
    fn completion_takes_one_narrows_several_then_cycles() {
        let s = sources();
        let mut p = Prompt::new(PromptKind::Command, "qu");
        p.complete(&s, false);
        assert_eq!(p.text, "quit");
        let mut p = Prompt::new(PromptKind::Command, "se");
        p.complete(&s, false);
        assert_eq!(p.text, "search ");
        let mut p = Prompt::new(PromptKind::Command, "focus s");
        p.complete(&s, false);
        assert_eq!(p.text, "focus s", "support and sales share only 's'");
        assert_eq!(p.hint.as_deref(), Some("support  sales"));
        p.complete(&s, false);
        assert_eq!(p.text, "focus support");
        p.complete(&s, false);
        assert_eq!(p.text, "focus sales");
        p.complete(&s, true);
        assert_eq!(p.text, "focus support");
        let mut p = Prompt::new(PromptKind::Command, "theme h");
        p.complete(&s, false);
        assert_eq!(p.text, "theme high-contrast");
        let mut p = Prompt::new(PromptKind::Command, "reader s");
        p.complete(&s, false);
        assert_eq!(p.text, "reader split");
        let mut p = Prompt::new(PromptKind::Command, "zz");
        p.complete(&s, false);
        assert_eq!(p.hint.as_deref(), Some("no completions"));
        let mut p = Prompt::new(PromptKind::Command, "");
        p.complete(&s, false);
        assert!(p.hint.as_deref().is_some_and(|h| h.contains("search")));
    }
}
