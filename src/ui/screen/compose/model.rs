//! The compose pane's state: header lines, the built-in body editor, the From identities the
//! account offers, the locked signature and quote, attachments and the send preview. Pure
//! data; `app` turns keys into edits and `draw` shows it.

use std::path::PathBuf;

use crate::engine::reply::Plan;
use crate::mail::compose::{Attachment, Outgoing};
use crate::mail::header;
use crate::policy::identity::SendIdentity;
use crate::policy::signature::Rendered;
use crate::sanitize;
use crate::store::drafts;

use crate::ui::wrap;

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
///
/// The text is logical lines; the pane shows each soft-wrapped into visual rows at its width
/// (`rows`), computed when needed and only for the lines on or near the screen. Nothing of
/// the wrapping is stored in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body {
    pub lines: Vec<String>,
    /// The cursor's logical line.
    pub row: usize,
    /// The cursor's byte offset in its line, always on a char boundary.
    pub col: usize,
    /// The first visual row shown: line `scroll`'s visual row `scroll_row`.
    pub scroll: usize,
    pub scroll_row: usize,
    /// The cell column Up and Down keep to while they are pressed in a row.
    pub goal: Option<usize>,
}

impl Default for Body {
    fn default() -> Body {
        Body {
            lines: vec![String::new()],
            row: 0,
            col: 0,
            scroll: 0,
            scroll_row: 0,
            goal: None,
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
        self.scroll_row = 0;
        self.goal = None;
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
        self.goal = None;
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
        self.goal = None;
        let Some(l) = self.lines.get_mut(self.row) else {
            return;
        };
        let rest = l.split_off(self.col);
        self.lines.insert(self.row + 1, rest);
        self.row += 1;
        self.col = 0;
    }

    pub fn backspace(&mut self) {
        self.goal = None;
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
        self.goal = None;
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
        self.goal = None;
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
        self.goal = None;
        if let Some(c) = self.line()[self.col..].chars().next() {
            self.col += c.len_utf8();
        } else if self.row + 1 < self.lines.len() {
            self.row += 1;
            self.col = 0;
        }
    }

    /// Moves up or down one visual row of a pane `width` cells wide (into the line before or
    /// after at the ends of a line), keeping the cell column where the row is long enough;
    /// repeated moves keep to the column they started from. False when there is no row there.
    pub fn vertical(&mut self, down: bool, width: usize) -> bool {
        let starts = self.rows(self.row, width);
        let r = row_of(&starts, self.col);
        let x = self.goal.unwrap_or_else(|| {
            let line = self.line();
            let start = starts.get(r).copied().unwrap_or(0).min(self.col);
            wrap::cells(&line[start..self.col])
        });
        let (row, starts, r) = if down {
            if r + 1 < starts.len() {
                (self.row, starts, r + 1)
            } else if self.row + 1 < self.lines.len() {
                (self.row + 1, self.rows(self.row + 1, width), 0)
            } else {
                return false;
            }
        } else if r > 0 {
            (self.row, starts, r - 1)
        } else if self.row > 0 {
            let s = self.rows(self.row - 1, width);
            let last = s.len() - 1;
            (self.row - 1, s, last)
        } else {
            return false;
        };
        self.row = row;
        let line = self.line();
        let start = starts.get(r).copied().unwrap_or(0);
        let end = starts.get(r + 1).copied();
        let mut col = start + wrap::offset_at_cells(&line[start..end.unwrap_or(line.len())], x);
        // A row that is not the line's last ends where the next starts: that offset is the
        // next row's, so the cursor stays before it.
        if let Some(e) = end
            && col >= e
        {
            col = line[start..e]
                .char_indices()
                .next_back()
                .map_or(start, |(i, _)| start + i);
        }
        self.col = col;
        self.goal = Some(x);
        true
    }

    /// Home: the start of the logical line (not of the visual row).
    pub fn home(&mut self) {
        self.goal = None;
        self.col = 0;
    }

    /// End: the end of the logical line (not of the visual row).
    pub fn end(&mut self) {
        self.goal = None;
        self.col = self.line().len();
    }

    /// Where each visual row of line `i` starts at `width` cells (see `wrap::row_starts`).
    /// A line whose last row is full gets an empty row more, where the cursor at the end of
    /// the line is shown (as in vim), so it never sits past the pane's edge.
    pub fn rows(&self, i: usize, width: usize) -> Vec<usize> {
        let line = self.lines.get(i).map_or("", String::as_str);
        let mut starts = wrap::row_starts(line, width);
        let last = starts.last().copied().unwrap_or(0);
        if !line.is_empty() && wrap::cells(&line[last..]) >= width.max(1) {
            starts.push(line.len());
        }
        starts
    }

    /// The cursor's visual row within its line and its cell column in that row.
    pub fn cursor_cell(&self, width: usize) -> (usize, usize) {
        let starts = self.rows(self.row, width);
        let r = row_of(&starts, self.col);
        let line = self.line();
        let col = self.col.min(line.len());
        let start = starts.get(r).copied().unwrap_or(0).min(col);
        (r, wrap::cells(line.get(start..col).unwrap_or("")))
    }

    /// The first visual row (line, row in it) a pane of `width` × `height` shows: the stored
    /// one if the cursor's row is on screen from there, else the nearest one that puts it on
    /// screen. Wraps only the lines between the two (at most `height` of them), so a long
    /// body costs no more than a screenful.
    pub fn view_top(&self, width: usize, height: usize) -> (usize, usize) {
        let h = height.max(1);
        let (cr, _) = self.cursor_cell(width);
        let cur = (self.row, cr);
        let mut top = (self.scroll, self.scroll_row);
        if top.0 >= self.lines.len() {
            top = (self.lines.len().saturating_sub(1), 0);
        }
        top.1 = top.1.min(self.rows(top.0, width).len() - 1);
        if cur < top {
            return cur;
        }
        // Visual rows from the top to the cursor's row, counted until a screenful.
        let (mut line, mut r, mut dist) = (top.0, top.1, 0);
        while line < self.row && dist < h {
            dist += self.rows(line, width).len() - r;
            r = 0;
            line += 1;
        }
        if line == self.row {
            dist += cr - r.min(cr);
        }
        if dist < h {
            return top;
        }
        // The cursor's row at the bottom: `h - 1` rows up from it.
        let (mut line, mut r, mut need) = (self.row, cr, h - 1);
        loop {
            if r >= need {
                return (line, r - need);
            }
            need -= r + 1;
            if line == 0 {
                return (0, 0);
            }
            line -= 1;
            r = self.rows(line, width).len() - 1;
        }
    }

    /// Scrolls so the cursor's visual row is within a pane of `width` × `height`.
    pub fn fit(&mut self, width: usize, height: usize) {
        (self.scroll, self.scroll_row) = self.view_top(width, height);
    }
}

/// The visual row of `starts` (a line's row starts) that byte offset `col` is in.
fn row_of(starts: &[usize], col: usize) -> usize {
    starts.partition_point(|&s| s <= col).saturating_sub(1)
}

fn clean_line(s: &str) -> String {
    s.chars()
        .filter(|&c| c == '\t' || sanitize::is_clean_line(c.encode_utf8(&mut [0; 4])))
        .collect()
}

/// The confirmation step: the message as it will read, and exactly what will be transmitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    pub outgoing: Outgoing,
    pub identity: SendIdentity,
    /// The envelope, then the message decoded (main headers, text, attachments), sanitized.
    pub lines: Vec<String>,
    /// The envelope, then the exact bytes transmitted, sanitized.
    pub bytes: Vec<String>,
    /// Showing `bytes` rather than `lines` (the `b` key).
    pub exact: bool,
    pub scroll: usize,
    /// The send-time warnings were shown (`compose::warn`): the next `y` sends.
    pub warned: bool,
}

impl Preview {
    pub fn new(outgoing: Outgoing, identity: SendIdentity) -> Preview {
        let mut envelope = vec![format!(
            "MAIL FROM:<{}>",
            sanitize::single_line(&outgoing.mail_from)
        )];
        envelope.extend(
            outgoing
                .recipients
                .iter()
                .map(|r| format!("RCPT TO:<{}>", sanitize::single_line(r))),
        );
        envelope.push(String::new());
        let mut bytes = envelope.clone();
        let text = sanitize::multi_line_bytes(&outgoing.raw);
        bytes.extend(text.replace("\r\n", "\n").lines().map(str::to_string));
        let mut lines = envelope;
        lines.extend(super::decoded::lines(&outgoing.raw));
        Preview {
            outgoing,
            identity,
            lines,
            bytes,
            exact: false,
            scroll: 0,
            warned: false,
        }
    }

    /// The lines of the view shown.
    pub fn shown(&self) -> &[String] {
        if self.exact { &self.bytes } else { &self.lines }
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
    /// What `engine::reply` planned: the identities offered, the one chosen (the From the
    /// pane shows and cycles) and why, the signature, threading, the message answered and the
    /// quote. The one source of these; read them through the accessors below.
    pub plan: Plan,
    /// The agent's id, for "alice on behalf of support@…".
    pub agent: String,
    /// Why the team policy lowered the account's send mode (shown on the From line).
    pub policy_reason: Option<String>,
    /// The version of the team policy the pane was planned under (none: no policy).
    pub policy_version: Option<u64>,
    pub to: Line,
    pub cc: Line,
    pub bcc: Line,
    pub subject: Line,
    pub body: Body,
    pub field: Field,
    /// The message whose text is awaited for the quote.
    pub awaiting: Option<u32>,
    /// The account of the awaited message when it is not the pane's own (a forward from
    /// another account: its message's account may not send).
    pub awaiting_from: Option<usize>,
    pub attachments: Vec<PathBuf>,
    /// A forward's parts from the original (its attachments, or the whole original as
    /// `message/rfc822`), numbered after `attachments`; not kept in the draft file.
    pub forwarded: Vec<Attachment>,
    /// `Ctrl-f`: the original goes as one `message/rfc822` attachment, not quoted inline.
    pub forward_whole: bool,
    /// Paths the engine is checking before they are attached (`Request::Attach`).
    pub attaching: Vec<PathBuf>,
    /// The `Ctrl-t` line: a path to attach, or `-N` to remove attachment N.
    pub attach_line: Option<Line>,
    /// The preview the engine is building (`Request::Preview` of this id).
    pub previewing: Option<u64>,
    pub preview: Option<Preview>,
    /// A send is on its way; the pane waits for its answer.
    pub sending: bool,
    /// Changed since the last save.
    pub unsaved: bool,
    /// Unix seconds of the last autosave.
    pub saved_at: i64,
    /// An open address completion (`Tab` in To/Cc/Bcc; `compose::complete`).
    pub completing: Option<super::complete::Completing>,
}

impl Compose {
    pub fn new(
        account_idx: usize,
        account: &str,
        kind: Kind,
        draft_id: String,
        plan: Plan,
    ) -> Compose {
        Compose {
            account_idx,
            account: account.to_string(),
            kind,
            draft_id,
            plan,
            agent: String::new(),
            policy_reason: None,
            policy_version: None,
            to: Line::default(),
            cc: Line::default(),
            bcc: Line::default(),
            subject: Line::default(),
            body: Body::default(),
            field: Field::To,
            awaiting: None,
            awaiting_from: None,
            attachments: Vec::new(),
            forwarded: Vec::new(),
            forward_whole: false,
            attaching: Vec::new(),
            attach_line: None,
            previewing: None,
            preview: None,
            sending: false,
            unsaved: false,
            saved_at: 0,
            completing: None,
        }
    }

    /// The identities the account offers; empty when sending is refused.
    pub fn identities(&self) -> &[SendIdentity] {
        &self.plan.offered
    }

    /// Where the From is among [`Compose::identities`].
    pub fn from_idx(&self) -> usize {
        self.plan.chosen.as_ref().map_or(0, |c| c.index)
    }

    pub fn identity(&self) -> Option<&SendIdentity> {
        self.identities().get(self.from_idx())
    }

    /// Ctrl-n / Ctrl-p: the next (or previous) offered identity. A chosen From replaces the
    /// reply's automatic choice (its reason goes). False when none is offered.
    pub fn cycle_from(&mut self, back: bool) -> bool {
        let n = self.identities().len();
        if n == 0 {
            return false;
        }
        let i = self.from_idx();
        self.plan
            .select(if back { (i + n - 1) % n } else { (i + 1) % n });
        if let Ok(c) = &mut self.plan.chosen {
            c.reason = None;
        }
        true
    }

    /// Why this account cannot send (a signature that cannot be rendered, `send = "none"`, a
    /// reply it may not answer), shown in the pane; sanitized.
    pub fn refused(&self) -> Option<String> {
        self.plan
            .refusal()
            .map(|why| sanitize::single_line(&why.to_string()))
    }

    /// Why a reply's From was chosen; sanitized.
    pub fn reason(&self) -> Option<String> {
        self.plan
            .reason()
            .map(|r| sanitize::single_line(&r.to_string()))
    }

    /// The rendered signature, shown locked under the body.
    pub fn signature(&self) -> Option<&Rendered> {
        self.plan.signature.as_ref().ok().and_then(Option::as_ref)
    }

    /// The quoted original (reply) or forwarded text, shown locked.
    pub fn quoted(&self) -> Option<&str> {
        self.plan.quoted.as_deref()
    }

    pub fn in_reply_to(&self) -> Option<&str> {
        self.plan.in_reply_to.as_deref()
    }

    pub fn references(&self) -> &[String] {
        &self.plan.references
    }

    /// The UID of the message answered (to set `\Answered` on).
    pub fn reply_uid(&self) -> Option<u32> {
        self.plan.reply_uid
    }

    /// "as support@example.test" / "alice on behalf of support@example.test".
    pub fn mode_line(&self) -> String {
        match (self.refused(), self.identity()) {
            (Some(why), _) => format!("sending refused: {why}"),
            (None, Some(id)) => match &id.sender {
                None => format!("as {}", id.from),
                Some(_) if self.policy_reason.is_some() => {
                    format!("{} on behalf of {} (team policy)", self.agent, id.from)
                }
                Some(_) => format!("{} on behalf of {}", self.agent, id.from),
            },
            (None, None) => "no identity".to_string(),
        }
    }

    /// Why the team policy narrowed the identity, for the line under From (sanitized); none
    /// when sending is refused (the From line says it then).
    pub fn policy_line(&self) -> Option<String> {
        self.policy_reason
            .as_deref()
            .filter(|_| self.refused().is_none())
            .map(sanitize::single_line)
    }

    /// Lines the pane shows above the body: From, the reason, the policy, the four header fields, the
    /// attachments, the `Ctrl-t` line and the separator.
    pub fn head_lines(&self) -> usize {
        1 + usize::from(self.plan.reason().is_some())
            + usize::from(self.policy_line().is_some())
            + 4
            + usize::from(!self.attachments.is_empty() || !self.forwarded.is_empty())
            + usize::from(self.attach_line.is_some())
            + 1
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
        let list = |l: &Line| crate::mail::header::recipients_of(&l.text);
        drafts::Draft {
            id: self.draft_id.clone(),
            account: self.account.clone(),
            from: self.identity().map(|i| i.from.clone()).unwrap_or_default(),
            to: list(&self.to),
            cc: list(&self.cc),
            bcc: list(&self.bcc),
            subject: self.subject.text.clone(),
            body: self.body.text(),
            reply_to_uid: self.plan.reply_uid,
            in_reply_to: self.plan.in_reply_to.clone(),
            references: self.plan.references.clone(),
            quoted: self.plan.quoted.clone(),
            attachments: self.attachments.clone(),
            forwarded: self
                .forwarded
                .iter()
                .map(drafts::ForwardedPart::of)
                .collect(),
            saved: now,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A body of `text` with the cursor at byte `col` of line `row`.
    fn body(text: &str, row: usize, col: usize) -> Body {
        let mut b = Body::from_text(text);
        b.row = row;
        b.col = col;
        b
    }

    #[test]
    fn the_cursor_maps_to_its_visual_row_and_cell() {
        let b = body("the quick brown fox jumps", 0, 12);
        // "the quick " | "brown fox " | "jumps"
        assert_eq!(b.rows(0, 10), vec![0, 10, 20]);
        assert_eq!(b.cursor_cell(10), (1, 2));
        let b = body("the quick brown fox jumps", 0, 25);
        assert_eq!(b.cursor_cell(10), (2, 5));
        // Wide chars count two cells.
        let b = body("東京都庁", 0, 6);
        assert_eq!(b.cursor_cell(5), (1, 0));
        let b = body("東京都庁", 0, 12);
        assert_eq!(b.cursor_cell(5), (1, 4));
        // An empty line is one row.
        let b = body("", 0, 0);
        assert_eq!((b.rows(0, 10), b.cursor_cell(10)), (vec![0], (0, 0)));
    }

    #[test]
    fn a_full_last_row_gets_a_row_for_the_cursor_at_the_end() {
        let b = body("abcdefghij", 0, 10);
        assert_eq!(b.rows(0, 5), vec![0, 5, 10]);
        assert_eq!(b.cursor_cell(5), (2, 0));
        // Trailing spaces past the edge too.
        let b = body("abcd  ", 0, 6);
        assert_eq!(b.rows(0, 4), vec![0, 6]);
        assert_eq!(b.cursor_cell(4), (1, 0));
        let b = body("abc", 0, 3);
        assert_eq!(b.rows(0, 4), vec![0]);
    }

    #[test]
    fn up_and_down_move_by_visual_rows_keeping_the_column() {
        let mut b = body("the quick brown fox jumps\nend", 0, 2);
        assert!(b.vertical(true, 10));
        assert_eq!((b.row, b.col), (0, 12));
        assert!(b.vertical(true, 10));
        assert_eq!((b.row, b.col), (0, 22));
        // Into the next line, then back: the column is kept.
        assert!(b.vertical(true, 10));
        assert_eq!((b.row, b.col), (1, 2));
        assert!(b.vertical(false, 10));
        assert_eq!((b.row, b.col), (0, 22));
        assert!(b.vertical(false, 10));
        assert!(b.vertical(false, 10));
        assert_eq!((b.row, b.col), (0, 2));
        assert!(!b.vertical(false, 10));
        b.row = 1;
        b.col = 3;
        b.goal = None;
        assert!(!b.vertical(true, 10));
    }

    #[test]
    fn vertical_moves_stay_in_their_row_and_on_char_boundaries() {
        // Column 12 is past "brown fox " (row 1): the cursor stops on its last char, not
        // at the next row's start (which is row 2's).
        let mut b = body("the quick brown fox jumps", 0, 20);
        b.goal = Some(12);
        assert!(b.vertical(false, 10));
        assert_eq!((b.row, b.col), (0, 19));
        assert!(b.vertical(false, 10));
        assert_eq!((b.row, b.col), (0, 9));
        // Cell 1 is inside 東: the cursor goes to its start.
        let mut b = body("ab\n東京", 0, 1);
        assert!(b.vertical(true, 10));
        assert_eq!((b.row, b.col), (1, 0));
        // A goal column survives a shorter row on the way.
        let mut b = body("abcdef\nab\nabcdef", 0, 5);
        assert!(b.vertical(true, 10));
        assert_eq!(b.col, 2);
        assert!(b.vertical(true, 10));
        assert_eq!(b.col, 5);
        b.left();
        assert_eq!(b.goal, None);
    }

    #[test]
    fn scrolling_keeps_the_cursor_row_on_screen_by_visual_rows() {
        // One logical line of 10 rows at width 10, in a pane 3 rows high.
        let text = "aaaaaaaaa ".repeat(10);
        let mut b = body(&text, 0, 0);
        b.fit(10, 3);
        assert_eq!((b.scroll, b.scroll_row), (0, 0));
        b.end();
        b.fit(10, 3);
        // The end is on the virtual row 10 (the last row is full): rows 8..=10 shown.
        assert_eq!(b.cursor_cell(10), (10, 0));
        assert_eq!((b.scroll, b.scroll_row), (0, 8));
        // Up inside the screen does not scroll; above it, it does.
        for _ in 0..2 {
            b.vertical(false, 10);
        }
        b.fit(10, 3);
        assert_eq!((b.scroll, b.scroll_row), (0, 8));
        b.vertical(false, 10);
        b.fit(10, 3);
        assert_eq!((b.scroll, b.scroll_row), (0, 7));
        // A wider pane rewraps (3 rows): the stale scroll is clamped, the cursor (col 70)
        // is on row 1.
        b.fit(40, 3);
        assert_eq!((b.scroll, b.scroll_row), (0, 1));
        b.scroll_row = 99;
        assert_eq!(b.view_top(40, 3), (0, 1));
    }

    #[test]
    fn a_long_body_scrolls_without_wrapping_all_of_it() {
        let text: String = (0..5000)
            .map(|i| format!("line {i} "))
            .collect::<Vec<_>>()
            .join("\n");
        let mut b = Body::from_text(&text);
        b.row = 4999;
        b.fit(80, 20);
        assert_eq!((b.scroll, b.scroll_row), (4980, 0));
        b.row = 10;
        b.fit(80, 20);
        assert_eq!((b.scroll, b.scroll_row), (10, 0));
        // The text is untouched by the wrapping.
        assert_eq!(b.text(), text);
    }
}
