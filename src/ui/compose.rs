//! The compose pane's state: header lines, the built-in body editor, the From identities the
//! account offers, the locked signature and quote, attachments and the send preview. Pure
//! data; `app` turns keys into edits and `draw` shows it.

use std::path::PathBuf;

use crate::mail::compose::Outgoing;
use crate::mail::{header, sanitize};
use crate::policy::identity::SendIdentity;
use crate::policy::signature::Rendered;
use crate::store::drafts;

/// Longest body kept in the pane, in bytes (a pasted document beyond this is cut).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Which field has the cursor; Tab / S-Tab cycle through them in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    To,
    Cc,
    Bcc,
    Subject,
    Body,
}

impl Field {
    pub const ALL: [Field; 5] = [
        Field::To,
        Field::Cc,
        Field::Bcc,
        Field::Subject,
        Field::Body,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Field::To => "To",
            Field::Cc => "Cc",
            Field::Bcc => "Bcc",
            Field::Subject => "Subject",
            Field::Body => "Body",
        }
    }

    pub fn next(self, back: bool) -> Field {
        let i = Field::ALL.iter().position(|f| *f == self).unwrap_or(0);
        let n = Field::ALL.len();
        Field::ALL[if back { (i + n - 1) % n } else { (i + 1) % n }]
    }
}

/// What the pane was opened for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    New,
    Reply,
    ReplyAll,
    Forward,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::New => "new message",
            Kind::Reply => "reply",
            Kind::ReplyAll => "reply to all",
            Kind::Forward => "forward",
        }
    }
}

/// A one-line field: text and a byte cursor on a char boundary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Line {
    pub text: String,
    pub cursor: usize,
}

impl Line {
    pub fn new(text: &str) -> Line {
        Line {
            text: text.to_string(),
            cursor: text.len(),
        }
    }

    /// Inserts `s`; CR, LF and NUL are refused (the header would be split), so is a line
    /// longer than a header allows.
    pub fn insert(&mut self, field: &str, s: &str) -> Result<(), String> {
        header::check_value(field, s).map_err(|e| e.to_string())?;
        if self.text.chars().count() + s.chars().count() > header::MAX_FIELD_CHARS {
            return Err(format!(
                "{field}: longer than {} characters",
                header::MAX_FIELD_CHARS
            ));
        }
        let clean: String = s.chars().filter(|c| !c.is_control()).collect();
        self.text.insert_str(self.cursor, &clean);
        self.cursor += clean.len();
        Ok(())
    }

    pub fn backspace(&mut self) {
        if let Some((i, _)) = self.text[..self.cursor].char_indices().next_back() {
            self.text.replace_range(i..self.cursor, "");
            self.cursor = i;
        }
    }

    pub fn delete(&mut self) {
        if let Some(c) = self.text[self.cursor..].chars().next() {
            self.text
                .replace_range(self.cursor..self.cursor + c.len_utf8(), "");
        }
    }

    pub fn left(&mut self) {
        self.cursor = self.text[..self.cursor]
            .char_indices()
            .next_back()
            .map_or(0, |(i, _)| i);
    }

    pub fn right(&mut self) {
        if let Some(c) = self.text[self.cursor..].chars().next() {
            self.cursor += c.len_utf8();
        }
    }
}

/// The built-in multi-line editor: lines and a (row, byte column) cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body {
    pub lines: Vec<String>,
    pub row: usize,
    pub col: usize,
    /// First line shown.
    pub scroll: usize,
}

impl Default for Body {
    fn default() -> Body {
        Body {
            lines: vec![String::new()],
            row: 0,
            col: 0,
            scroll: 0,
        }
    }
}

impl Body {
    pub fn from_text(text: &str) -> Body {
        let mut b = Body::default();
        b.set_text(text);
        b
    }

    /// Replaces the text (from `$EDITOR` or a draft); the cursor goes to the start.
    pub fn set_text(&mut self, text: &str) {
        let text = text.replace("\r\n", "\n");
        self.lines = text.split('\n').map(clean_line).collect();
        if self.lines.is_empty() {
            self.lines.push(String::new());
        }
        self.row = 0;
        self.col = 0;
        self.scroll = 0;
    }

    pub fn text(&self) -> String {
        self.lines.join("\n")
    }

    fn len(&self) -> usize {
        self.lines.iter().map(|l| l.len() + 1).sum()
    }

    fn line(&self) -> &str {
        self.lines.get(self.row).map_or("", String::as_str)
    }

    /// Inserts typed or pasted text at the cursor: line breaks split lines, tabs stay, other
    /// control and bidi characters are dropped.
    pub fn insert(&mut self, s: &str) {
        let s = s.replace("\r\n", "\n").replace('\r', "\n");
        let room = MAX_BODY_BYTES.saturating_sub(self.len());
        let mut used = 0;
        for (i, part) in s.split('\n').enumerate() {
            if i > 0 {
                if used >= room {
                    break;
                }
                self.newline();
                used += 1;
            }
            let mut clean = clean_line(part);
            while used + clean.len() > room {
                clean.pop();
            }
            used += clean.len();
            if let Some(l) = self.lines.get_mut(self.row) {
                l.insert_str(self.col, &clean);
                self.col += clean.len();
            }
        }
    }

    pub fn newline(&mut self) {
        let Some(l) = self.lines.get_mut(self.row) else {
            return;
        };
        let rest = l.split_off(self.col);
        self.lines.insert(self.row + 1, rest);
        self.row += 1;
        self.col = 0;
    }

    pub fn backspace(&mut self) {
        if self.col > 0 {
            let line = self.line();
            let i = line[..self.col]
                .char_indices()
                .next_back()
                .map_or(0, |(i, _)| i);
            if let Some(l) = self.lines.get_mut(self.row) {
                l.replace_range(i..self.col, "");
            }
            self.col = i;
        } else if self.row > 0 {
            let l = self.lines.remove(self.row);
            self.row -= 1;
            if let Some(prev) = self.lines.get_mut(self.row) {
                self.col = prev.len();
                prev.push_str(&l);
            }
        }
    }

    pub fn delete(&mut self) {
        let n = self.line().len();
        if self.col < n {
            let c = self.line()[self.col..]
                .chars()
                .next()
                .map_or(1, char::len_utf8);
            let col = self.col;
            if let Some(l) = self.lines.get_mut(self.row) {
                l.replace_range(col..col + c, "");
            }
        } else if self.row + 1 < self.lines.len() {
            let next = self.lines.remove(self.row + 1);
            if let Some(l) = self.lines.get_mut(self.row) {
                l.push_str(&next);
            }
        }
    }

    pub fn left(&mut self) {
        if self.col > 0 {
            self.col = self.line()[..self.col]
                .char_indices()
                .next_back()
                .map_or(0, |(i, _)| i);
        } else if self.row > 0 {
            self.row -= 1;
            self.col = self.line().len();
        }
    }

    pub fn right(&mut self) {
        if let Some(c) = self.line()[self.col..].chars().next() {
            self.col += c.len_utf8();
        } else if self.row + 1 < self.lines.len() {
            self.row += 1;
            self.col = 0;
        }
    }

    /// Moves up or down a line, keeping the column where the line is long enough.
    pub fn vertical(&mut self, down: bool) {
        let chars = self.line()[..self.col].chars().count();
        if down && self.row + 1 < self.lines.len() {
            self.row += 1;
        } else if !down && self.row > 0 {
            self.row -= 1;
        } else {
            return;
        }
        let line = self.line();
        self.col = line
            .char_indices()
            .nth(chars)
            .map_or(line.len(), |(i, _)| i);
    }

    pub fn home(&mut self) {
        self.col = 0;
    }

    pub fn end(&mut self) {
        self.col = self.line().len();
    }

    /// Keeps the cursor's row within `height` visible lines.
    pub fn fit(&mut self, height: usize) {
        let h = height.max(1);
        if self.row < self.scroll {
            self.scroll = self.row;
        } else if self.row >= self.scroll + h {
            self.scroll = self.row + 1 - h;
        }
    }
}

fn clean_line(s: &str) -> String {
    s.chars()
        .filter(|&c| c == '\t' || sanitize::is_clean_line(c.encode_utf8(&mut [0; 4])))
        .collect()
}

/// The confirmation step: exactly what will be transmitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    pub outgoing: Outgoing,
    pub identity: SendIdentity,
    /// The preview's lines (envelope, then the message), sanitized for display.
    pub lines: Vec<String>,
    pub scroll: usize,
}

impl Preview {
    pub fn new(outgoing: Outgoing, identity: SendIdentity) -> Preview {
        let mut lines = vec![format!(
            "MAIL FROM:<{}>",
            sanitize::single_line(&outgoing.mail_from)
        )];
        lines.extend(
            outgoing
                .recipients
                .iter()
                .map(|r| format!("RCPT TO:<{}>", sanitize::single_line(r))),
        );
        lines.push(String::new());
        let text = sanitize::multi_line_bytes(&outgoing.raw);
        lines.extend(text.replace("\r\n", "\n").lines().map(str::to_string));
        Preview {
            outgoing,
            identity,
            lines,
            scroll: 0,
        }
    }
}

/// An open compose pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compose {
    pub account_idx: usize,
    pub account: String,
    pub kind: Kind,
    /// The draft file's id.
    pub draft_id: String,
    /// The identities the account offers; empty when sending is refused.
    pub identities: Vec<SendIdentity>,
    pub from_idx: usize,
    /// Why this account cannot send (`send = "none"`), shown in the pane.
    pub refused: Option<String>,
    /// Why a reply's From was chosen.
    pub reason: Option<String>,
    /// The agent's id, for "alice on behalf of support@…".
    pub agent: String,
    pub to: Line,
    pub cc: Line,
    pub bcc: Line,
    pub subject: Line,
    pub body: Body,
    pub field: Field,
    /// The rendered signature, shown locked under the body.
    pub signature: Option<Rendered>,
    /// The quoted original (reply) or forwarded text, shown locked.
    pub quoted: Option<String>,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    pub reply_uid: Option<u32>,
    /// The message answered or forwarded (for the attribution line).
    pub original: Option<crate::backend::Summary>,
    /// The message whose text is awaited for the quote.
    pub awaiting: Option<u32>,
    pub attachments: Vec<PathBuf>,
    /// The `Ctrl-t` line: a path to attach, or `-N` to remove attachment N.
    pub attach_line: Option<Line>,
    pub preview: Option<Preview>,
    /// A send is on its way; the pane waits for its answer.
    pub sending: bool,
    /// Changed since the last save.
    pub unsaved: bool,
    /// Unix seconds of the last autosave.
    pub saved_at: i64,
}

impl Compose {
    pub fn new(account_idx: usize, account: &str, kind: Kind, draft_id: String) -> Compose {
        Compose {
            account_idx,
            account: account.to_string(),
            kind,
            draft_id,
            identities: Vec::new(),
            from_idx: 0,
            refused: None,
            reason: None,
            agent: String::new(),
            to: Line::default(),
            cc: Line::default(),
            bcc: Line::default(),
            subject: Line::default(),
            body: Body::default(),
            field: Field::To,
            signature: None,
            quoted: None,
            in_reply_to: None,
            references: Vec::new(),
            reply_uid: None,
            original: None,
            awaiting: None,
            attachments: Vec::new(),
            attach_line: None,
            preview: None,
            sending: false,
            unsaved: false,
            saved_at: 0,
        }
    }

    pub fn identity(&self) -> Option<&SendIdentity> {
        self.identities.get(self.from_idx)
    }

    /// "as support@example.test" / "alice on behalf of support@example.test".
    pub fn mode_line(&self) -> String {
        match (&self.refused, self.identity()) {
            (Some(why), _) => format!("sending refused: {why}"),
            (None, Some(id)) => match &id.sender {
                None => format!("as {}", id.from),
                Some(_) => format!("{} on behalf of {}", self.agent, id.from),
            },
            (None, None) => "no identity".to_string(),
        }
    }

    pub fn line_mut(&mut self, f: Field) -> Option<&mut Line> {
        match f {
            Field::To => Some(&mut self.to),
            Field::Cc => Some(&mut self.cc),
            Field::Bcc => Some(&mut self.bcc),
            Field::Subject => Some(&mut self.subject),
            Field::Body => None,
        }
    }

    /// The draft file's contents.
    pub fn to_draft(&self, now: i64) -> drafts::Draft {
        let list = |l: &Line| {
            l.text
                .split([',', ';'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        };
        drafts::Draft {
            id: self.draft_id.clone(),
            account: self.account.clone(),
            from: self.identity().map(|i| i.from.clone()).unwrap_or_default(),
            to: list(&self.to),
            cc: list(&self.cc),
            bcc: list(&self.bcc),
            subject: self.subject.text.clone(),
            body: self.body.text(),
            reply_to_uid: self.reply_uid,
            in_reply_to: self.in_reply_to.clone(),
            references: self.references.clone(),
            quoted: self.quoted.clone(),
            attachments: self.attachments.clone(),
            saved: now,
        }
    }
}
