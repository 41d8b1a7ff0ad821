//! Internal notes in the TUI: the note pane's state (`n`), and the notes the reader shows under
//! the open message. Pure data; `app` turns keys and events into changes, `draw` shows them.
//!
//! A note is appended to the account's notes folder by its worker (`mail::note` builds it,
//! `imap::notes` or the Maildir appends it); it is never handed to SMTP.

use crate::mail::date;
use crate::mail::note::Note;
use crate::sanitize;
use crate::ui::screen::compose::model as compose;
use crate::ui::wrap::wrap;

/// The displayed notes of one message are cut after this many bytes of text.
pub const MAX_SHOWN_BYTES: usize = 1 << 20;
/// An author longer than this is cut (it may come from a From header anyone can write).
const MAX_AUTHOR_CHARS: usize = 64;
/// The start of a note's rule line in the reader.
pub const RULE: &str = "── note · ";
/// The gutter in front of each line of a note's text.
pub const GUTTER: &str = "│ ";

/// What the note pane does after a `y` to its question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leave {
    /// Close the pane, discarding the text.
    Close,
    /// Quit mailroom, discarding the text.
    Quit,
}

/// The open note pane: a note being written on one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteEditor {
    pub account_idx: usize,
    /// The message the note is on.
    pub uid: u32,
    /// The message's subject, sanitized, for the pane's title.
    pub subject: String,
    /// The message's Message-ID when the pane opened: a note is added only while `uid` still
    /// names that message (a mailbox reset gives UIDs to other messages).
    pub message_id: Option<String>,
    /// The text: the compose pane's editor.
    pub body: compose::Body,
    /// The `AddNote` on its way (the pane waits for its answer, and keeps the text should it
    /// fail).
    pub saving: Option<u64>,
    /// The open "discard this note?" question.
    pub ask: Option<Leave>,
}

impl NoteEditor {
    pub fn new(account_idx: usize, uid: u32, subject: &str) -> NoteEditor {
        NoteEditor {
            account_idx,
            uid,
            subject: sanitize::single_line(subject),
            message_id: None,
            body: compose::Body::default(),
            saving: None,
            ask: None,
        }
    }

    /// Whether anything was typed (white space is nothing).
    pub fn has_text(&self) -> bool {
        self.body.lines.iter().any(|l| !l.trim().is_empty())
    }

    /// The pane's title.
    pub fn title(&self) -> String {
        format!(
            "Internal note on: {} — visible to the team, never sent",
            self.subject
        )
    }
}

/// A note sent to a worker and not answered yet: enough to give the text back if it fails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingNote {
    pub account_idx: usize,
    pub uid: u32,
    pub subject: String,
    pub message_id: Option<String>,
    pub text: String,
}

/// The notes of the open message, as the reader knows them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ReaderNotes {
    /// The message has no usable Message-ID: no note can be linked to it.
    #[default]
    None,
    Loading,
    /// Oldest first; raw (sanitized when laid out).
    Loaded(Vec<Note>),
    /// Sanitized reason.
    Failed(String),
}

/// The lines the reader shows after the message for its notes, wrapped to `width`: a blank
/// line, then per note a rule line (`── note · alice · 2026-11-27 14:03 UTC ──`) and its text
/// behind a `│ ` gutter. Everything from the server is sanitized here.
pub fn lines(notes: &ReaderNotes, message_id: Option<&str>, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    match notes {
        ReaderNotes::None => {}
        ReaderNotes::Loaded(list) if list.is_empty() => {}
        ReaderNotes::Loading => {
            out.push(String::new());
            out.push("notes: loading…".to_string());
        }
        ReaderNotes::Failed(e) => {
            out.push(String::new());
            out.extend(wrap(&format!("notes: could not be read: {e}"), width));
        }
        ReaderNotes::Loaded(list) => {
            let text_w = width.saturating_sub(GUTTER.chars().count()).max(1);
            let mut budget = MAX_SHOWN_BYTES;
            for n in list {
                out.push(String::new());
                out.extend(wrap(&rule(n, message_id), width));
                let text = sanitize::multi_line(n.text.trim_end());
                let (text, cut) = if text.len() > budget {
                    let mut at = budget;
                    while !text.is_char_boundary(at) {
                        at -= 1;
                    }
                    (&text[..at], true)
                } else {
                    (text.as_str(), false)
                };
                budget = budget.saturating_sub(text.len());
                for l in wrap(text, text_w) {
                    out.push(format!("{GUTTER}{l}"));
                }
                if cut {
                    out.push(format!("{GUTTER}[… notes cut: more than 1 MiB of them]"));
                    break;
                }
            }
        }
    }
    out
}

/// A note's rule line: who, when, and whether it is on a later message of the thread.
fn rule(n: &Note, message_id: Option<&str>) -> String {
    let author: String = sanitize::single_line(&n.author())
        .chars()
        .take(MAX_AUTHOR_CHARS)
        .collect();
    let author = if author.trim().is_empty() {
        "unknown".to_string()
    } else {
        author
    };
    let mut s = format!("{RULE}{author} · {} UTC", date::short_utc(n.date));
    if message_id.is_some_and(|id| !n.is_on(id)) {
        s.push_str(" · on a later message");
    }
    if n.truncated {
        s.push_str(" · cut: too long to show whole");
    }
    s.push_str(" ──");
    s
}
