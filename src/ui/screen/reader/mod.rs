//! The reader pane: an open message, its body and headers, and saving its attachments.

pub mod conversation;
pub mod draw;
pub mod navigate;
pub(crate) mod open;

use std::path::{Path, PathBuf};

use crate::engine::Request;
use crate::engine::event::Opened;
use crate::engine::event::RawMessage;
use crate::mail::attachments::AttachmentInfo;
use crate::mail::date;
use crate::mail::display::attachment_label;
use crate::mail::mdn;
use crate::message::{Addrs, Summary};
use crate::sanitize;
use crate::triage::view::describe;
use crate::ui::app::App;
use crate::ui::keys::Action;
use crate::ui::layout::ReaderMode;
use crate::ui::screen::notes::model::{self, ReaderNotes};
use crate::ui::screen::prompt::line::{Prompt, PromptKind, inert_hint};
use crate::ui::wrap::wrap;

/// Bodies longer than this are cut before display: a reader is no place for a 50 MB log.
pub const MAX_BODY_BYTES: usize = 1 << 20;
/// Address lists in the reader show this many addresses, then a count.
pub(crate) const MAX_SHOWN_ADDRESSES: usize = 20;
/// Attachment lines under the reader's headers, at most; a longer list is given in full at the
/// end of the message.
pub const MAX_LISTED_ATTACHMENTS: usize = 5;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    Loading,
    /// Sanitized text.
    Text(String),
    /// Sanitized reason.
    Failed(String),
}

/// The open message.
#[derive(Debug, Clone)]
pub struct Reader {
    pub account_idx: usize,
    pub uid: u32,
    /// (label, sanitized value), in display order.
    pub headers: Vec<(&'static str, String)>,
    pub body: Body,
    /// The attachments, numbered from 1 as `:save` takes them. Raw: sanitized when shown.
    pub attachments: Vec<AttachmentInfo>,
    /// The raw message, kept while it is open so its attachments can be saved; `None` while
    /// loading, or when the message is too large to keep.
    pub raw: Option<RawMessage>,
    /// The body wrapped to `wrap_width` (with the full attachment list at its end when it is
    /// too long for the header area), then the message's internal notes.
    pub lines: Vec<String>,
    pub wrap_width: usize,
    pub scroll: usize,
    /// The message's Message-ID, when a note can be linked to it.
    pub message_id: Option<String>,
    /// The internal notes on the message, shown after it.
    pub notes: ReaderNotes,
    /// Where the notes start in `lines` (drawn in the `reader_note` style from there on).
    pub notes_from: usize,
    /// The conversation of the message (`conversation`): its thread, the team's replies, the
    /// notes. Shown instead of the lone message once it holds more than that message.
    pub conversation: Option<conversation::Conversation>,
    /// While the conversation is shown: how each of `lines` is drawn (empty otherwise).
    pub marks: Vec<conversation::Mark>,
    /// While the conversation is shown: where each entry starts in `lines`.
    pub starts: Vec<(conversation::Key, usize)>,
    /// When (Unix seconds) the open message is marked read (`ui.mark_read = "open"`);
    /// leaving it sooner cancels that.
    pub mark_read_at: Option<i64>,
}

impl Reader {
    pub(crate) fn new(account_idx: usize, s: &Summary) -> Reader {
        let mut headers = vec![("From", addresses(s.from()))];
        if let (Some(sender), Some(from)) = (s.sender().first(), s.from().first())
            && !sender.email.eq_ignore_ascii_case(from.email)
        {
            let v = format!(
                "{} (on behalf of {})",
                sanitize::single_line(&sender.display()),
                sanitize::single_line(from.email)
            );
            headers.push(("Sender", v));
        }
        headers.push(("To", addresses(s.to())));
        if !s.cc().is_empty() {
            headers.push(("Cc", addresses(s.cc())));
        }
        let sent = s.date.unwrap_or(s.internal_date);
        let mut when = format!("{} UTC", date::short_utc(sent));
        if (sent - s.internal_date).abs() >= 60 {
            when.push_str(&format!(
                " (received {} UTC)",
                date::short_utc(s.internal_date)
            ));
        }
        headers.push(("Date", when));
        headers.push(("Subject", sanitize::single_line(s.subject())));
        headers.push(("Team", describe(&crate::triage::state::state(&s.keywords))));
        let message_id = s
            .message_id()
            .map(str::to_string)
            .filter(|id| crate::mail::note::is_linkable_id(id));
        Reader {
            mark_read_at: None,
            account_idx,
            uid: s.uid,
            headers,
            body: Body::Loading,
            attachments: Vec::new(),
            raw: None,
            lines: Vec::new(),
            wrap_width: 0,
            scroll: 0,
            notes: if message_id.is_some() {
                ReaderNotes::Loading
            } else {
                ReaderNotes::None
            },
            message_id,
            notes_from: 0,
            conversation: None,
            marks: Vec::new(),
            starts: Vec::new(),
        }
    }

    /// The command that reads the team's replies in the message's conversation.
    pub(crate) fn conversation_command(&self) -> Option<Request> {
        let c = self.conversation.as_ref()?;
        (c.replies == conversation::Replies::Loading).then(|| Request::Conversation {
            account_idx: self.account_idx,
            uid: self.uid,
            ids: c.ids.clone(),
        })
    }

    /// Whether the reader shows the conversation rather than the lone message.
    pub fn shows_conversation(&self) -> bool {
        !self.marks.is_empty()
    }

    /// Scrolls to the entry in focus, while the conversation is shown.
    pub(crate) fn scroll_to_focus(&mut self, height: usize) {
        let Some(c) = &self.conversation else { return };
        if let Some(&(_, at)) = self.starts.iter().find(|(k, _)| *k == c.focus) {
            self.scroll_to(at, height);
        }
    }

    /// The Message-ID whose notes the reader shows: the first message of the conversation
    /// (its notes and those on every later message of the thread), else the open message.
    pub fn notes_key(&self) -> Option<&str> {
        self.message_id.as_ref()?;
        self.conversation
            .as_ref()
            .and_then(|c| c.root_id.as_deref())
            .or(self.message_id.as_deref())
    }

    /// The command that reads the notes of the open message's conversation, when it can have
    /// any.
    pub(crate) fn notes_command(&self) -> Option<Request> {
        self.notes_key()
            .map(str::to_string)
            .map(|message_id| Request::Notes {
                account_idx: self.account_idx,
                uid: self.uid,
                message_id,
            })
    }

    pub(crate) fn rewrap(&mut self, width: usize) {
        self.wrap_width = width;
        self.lines = match &self.body {
            Body::Text(t) => wrap(t, width),
            Body::Loading | Body::Failed(_) => Vec::new(),
        };
        if self.attachments.len() > MAX_LISTED_ATTACHMENTS {
            self.lines.push(String::new());
            self.lines
                .push(format!("── {} attachments ──", self.attachments.len()));
            for a in &self.attachments {
                self.lines.extend(wrap(&attachment_label(a), width));
            }
        }
        self.notes_from = self.lines.len();
        self.marks.clear();
        self.starts.clear();
        if let Some(c) = self.conversation.as_ref().filter(|c| c.is_shown()) {
            let body = match &self.body {
                Body::Text(_) => std::mem::take(&mut self.lines),
                Body::Loading => vec!["loading…".to_string()],
                Body::Failed(e) => wrap(e, width),
            };
            let (lines, marks, starts) = conversation::layout(c, &self.notes, &body, width);
            self.lines = lines;
            self.marks = marks;
            self.starts = starts;
            self.notes_from = usize::MAX;
            return;
        }
        if matches!(self.body, Body::Text(_)) {
            self.lines
                .extend(model::lines(&self.notes, self.message_id.as_deref(), width));
        }
    }

    /// The attachment lines under the headers: each attachment, or, for a long list, the
    /// first ones and where the rest are.
    pub fn attachment_lines(&self) -> Vec<String> {
        let n = self.attachments.len();
        if n <= MAX_LISTED_ATTACHMENTS {
            return self.attachments.iter().map(attachment_label).collect();
        }
        let shown = MAX_LISTED_ATTACHMENTS - 1;
        let mut lines: Vec<String> = self
            .attachments
            .iter()
            .take(shown)
            .map(attachment_label)
            .collect();
        lines.push(format!(
            "… and {} more, listed at the end of the message",
            n - shown
        ));
        lines
    }

    /// Lines above the body's separator: headers and attachments.
    pub fn header_lines(&self) -> usize {
        self.headers.len() + self.attachments.len().min(MAX_LISTED_ATTACHMENTS)
    }

    pub(crate) fn scroll_to(&mut self, line: usize, height: usize) {
        self.scroll = line.min(self.lines.len().saturating_sub(height));
    }
}

/// Sanitized "a, b, c and 12 more".
pub(crate) fn addresses(list: Addrs<'_>) -> String {
    let total = list.len();
    let shown: Vec<String> = list
        .take(MAX_SHOWN_ADDRESSES)
        .map(|a| sanitize::single_line(&a.display()))
        .collect();
    let mut s = shown.join(", ");
    if total > MAX_SHOWN_ADDRESSES {
        s.push_str(&format!(" and {} more", total - MAX_SHOWN_ADDRESSES));
    }
    s
}

/// Cuts `s` to at most `max` bytes on a char boundary.
pub(crate) fn truncate(mut s: String, max: usize) -> (String, bool) {
    if s.len() <= max {
        return (s, false);
    }
    let mut cut = max;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    s.truncate(cut);
    (s, true)
}

/// Where `:save` puts attachments when no folder is given, and what `~` means in a folder
/// typed after it. Read from the environment once, at start (so `update` stays pure).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SaveDirs {
    /// `$XDG_DOWNLOAD_DIR` (the user's Downloads folder), when there is one.
    pub download: Option<PathBuf>,
    pub home: Option<PathBuf>,
}

impl SaveDirs {
    /// The user's folders, as `directories` finds them.
    pub fn from_env() -> SaveDirs {
        let user = directories::UserDirs::new();
        SaveDirs {
            download: user
                .as_ref()
                .and_then(|u| u.download_dir().map(Path::to_path_buf)),
            home: user.as_ref().map(|u| u.home_dir().to_path_buf()),
        }
    }

    /// The default folder: Downloads, else the home folder.
    pub fn default_dir(&self) -> Option<&Path> {
        self.download.as_deref().or(self.home.as_deref())
    }

    /// A folder as typed: `~` and `~/…` are the home folder; anything else as it is.
    pub fn resolve(&self, typed: &str) -> Result<PathBuf, String> {
        let home = || {
            self.home
                .clone()
                .ok_or_else(|| "no home folder is known for ~".to_string())
        };
        if typed == "~" {
            return home();
        }
        if let Some(rest) = typed.strip_prefix("~/") {
            return Ok(home()?.join(rest));
        }
        Ok(PathBuf::from(typed))
    }
}

/// Which attachments `:save` saves.
pub(crate) fn save(app: &mut App, which: Option<usize>, dir: Option<&str>) -> Vec<Request> {
    let Some(r) = &app.reader else {
        app.fail("open a message to save its attachments");
        return Vec::new();
    };
    let n = r.attachments.len();
    let problem = match (&r.body, &r.raw) {
        (Body::Loading, _) => Some("the message is still loading".to_string()),
        (Body::Failed(_), _) => Some("the message could not be read".to_string()),
        _ if n == 0 => Some("this message has no attachments".to_string()),
        (_, None) => Some(format!(
            "the message is larger than {} MiB: save its attachments from `mailroom show ACCOUNT UID --raw`",
            crate::engine::event::MAX_RAW_BYTES >> 20
        )),
        _ => match which {
            Some(k) if k == 0 || k > n => Some(format!(
                "no attachment {k}: this message has {}",
                if n == 1 {
                    "one, number 1".to_string()
                } else {
                    format!("{n}, numbered 1 to {n}")
                }
            )),
            _ => None,
        },
    };
    if let Some(message) = problem {
        app.fail(message);
        return Vec::new();
    }
    let dir = match dir {
        Some(d) => app.save_dirs.resolve(d),
        None => app
            .save_dirs
            .default_dir()
            .map(Path::to_path_buf)
            .ok_or_else(|| {
                "no Downloads or home folder is known: give one, as in :save all DIR".to_string()
            }),
    };
    let dir = match dir {
        Ok(d) => d,
        Err(e) => {
            app.fail(e);
            return Vec::new();
        }
    };
    let Some(raw) = app.reader.as_ref().and_then(|r| r.raw.clone()) else {
        return Vec::new();
    };
    let indices: Vec<usize> = match which {
        Some(k) => vec![k - 1],
        None => (0..n).collect(),
    };
    app.say(format!(
        "saving {} to {}…",
        match indices.len() {
            1 => "the attachment".to_string(),
            k => format!("{k} attachments"),
        },
        sanitize::single_line(&dir.display().to_string())
    ));
    vec![Request::Save { raw, indices, dir }]
}

/// The answer to `:save`: the paths written (sanitized), or why not.
pub(crate) fn saved(app: &mut App, results: &[(usize, Result<PathBuf, String>)]) {
    let shown = |p: &Path| sanitize::single_line(&p.display().to_string());
    let ok: Vec<&PathBuf> = results
        .iter()
        .filter_map(|(_, r)| r.as_ref().ok())
        .collect();
    let failed: Vec<(usize, &String)> = results
        .iter()
        .filter_map(|(i, r)| r.as_ref().err().map(|e| (*i, e)))
        .collect();
    let paths = match ok.as_slice() {
        [] => String::new(),
        [one] => shown(one),
        many => {
            // Saved side by side: the folder once, then the names.
            let dir = many[0].parent().map(shown).unwrap_or_default();
            let names: Vec<String> = many
                .iter()
                .map(|p| {
                    p.file_name()
                        .map(|n| sanitize::single_line(&n.to_string_lossy()))
                        .unwrap_or_default()
                })
                .collect();
            format!("{dir}/: {}", names.join(", "))
        }
    };
    match failed.first() {
        None if ok.is_empty() => app.say("nothing saved"),
        None => app.say(match ok.len() {
            1 => format!("saved {paths}"),
            n => format!("saved {n} attachments in {paths}"),
        }),
        Some((i, e)) => {
            let why = format!(
                "attachment {} not saved: {}",
                i.saturating_add(1),
                sanitize::single_line(e.trim())
            );
            app.fail(if ok.is_empty() {
                why
            } else {
                format!("{why} (saved {} of {}: {paths})", ok.len(), results.len())
            });
        }
    }
}

/// Switches the reader between full screen and split (`None`: the other one).
pub(crate) fn set_reader_mode(app: &mut App, mode: Option<ReaderMode>) {
    app.reader_mode = mode.unwrap_or(match app.reader_mode {
        ReaderMode::Full => ReaderMode::Split,
        ReaderMode::Split => ReaderMode::Full,
    });
    app.fit_views();
    app.say(match app.reader_mode {
        ReaderMode::Full => "reader: full screen",
        ReaderMode::Split => "reader: below the columns",
    });
}

/// Whether the open message has attachments to save (loaded, with at least one).
pub(crate) fn save_possible(app: &App) -> bool {
    app.reader
        .as_ref()
        .is_some_and(|r| r.body != Body::Loading && !r.attachments.is_empty())
}

/// `s` in the reader: the `:save ` line, with what it takes and where it saves by default.
/// With nothing to save (no attachments, still loading) the line opens all the same, saying
/// why, so that a path typed next lands in it (and leaves with it) instead of running as keys.
pub(crate) fn save_prompt(app: &mut App) {
    let n = app.reader.as_ref().map_or(0, |r| r.attachments.len());
    let loading = app.reader.as_ref().is_some_and(|r| r.body == Body::Loading);
    if n == 0 || loading {
        let why = if loading {
            "the message is still loading"
        } else {
            "this message has no attachments"
        };
        let mut p = Prompt::new(PromptKind::Command, "save ");
        p.inert = Some(why.to_string());
        p.hint = Some(inert_hint(why));
        app.prompt = Some(p);
        return;
    }
    let mut p = Prompt::new(PromptKind::Command, "save ");
    let which = if n == 1 {
        "1|all".to_string()
    } else {
        format!("1-{n}|all")
    };
    p.hint = Some(match app.save_dirs.default_dir() {
        Some(d) => format!(
            "[{which}] [DIR]   default: all, into {}",
            sanitize::single_line(&d.display().to_string())
        ),
        None => format!("[{which}] DIR"),
    });
    app.prompt = Some(p);
}

pub(crate) fn reader_action(app: &mut App, action: Action) {
    let (_, h) = app.reader_body_size();
    let Some(r) = &mut app.reader else { return };
    let page = h.max(1);
    let s = r.scroll;
    match action {
        Action::Down => r.scroll_to(s + 1, h),
        Action::Up => r.scroll_to(s.saturating_sub(1), h),
        Action::PageDown => r.scroll_to(s + page, h),
        Action::PageUp => r.scroll_to(s.saturating_sub(page), h),
        Action::HalfPageDown => r.scroll_to(s + page.div_ceil(2), h),
        Action::HalfPageUp => r.scroll_to(s.saturating_sub(page.div_ceil(2)), h),
        Action::Top => r.scroll_to(0, h),
        Action::Bottom => r.scroll_to(usize::MAX, h),
        Action::Quit | Action::Close => {
            app.reader = None;
            app.fit_views();
        }
        _ => {}
    }
}

/// A message's body, for the reader if it is still open on it.
pub(crate) fn on_body(
    app: &mut App,
    account_idx: usize,
    uid: u32,
    body: Result<Opened, String>,
) -> bool {
    let (w, h) = app.reader_body_size();
    if let Some(r) = &mut app.reader
        && r.account_idx == account_idx
        && r.uid != uid
    {
        // Another message of the conversation, expanded with `e`.
        let shown = match body {
            Ok(o) => Body::Text(sanitize::multi_line(&truncate(o.text, MAX_BODY_BYTES).0)),
            Err(e) => Body::Failed(sanitize::single_line(e.trim())),
        };
        return conversation::on_other_body(r, uid, shown, w);
    }
    // A body for a message that is no longer open is stale: drop it.
    if let Some(r) = &mut app.reader
        && r.account_idx == account_idx
        && r.uid == uid
    {
        r.body = match body {
            Ok(Opened {
                text,
                attachments,
                raw,
            }) => {
                let (text, cut) = truncate(text, MAX_BODY_BYTES);
                let mut text = sanitize::multi_line(&text);
                if cut {
                    text.push_str("\n[… cut: the message is longer than 1 MiB]");
                }
                r.attachments = attachments;
                // A read receipt request is only noted: mailroom never sends MDNs.
                if raw.as_ref().is_some_and(|m| mdn::asks_for_receipt(&m.0))
                    && !r.headers.iter().any(|(l, _)| *l == mdn::RECEIPT_LABEL)
                {
                    r.headers
                        .push((mdn::RECEIPT_LABEL, mdn::RECEIPT_NOTE.to_string()));
                }
                r.raw = raw;
                Body::Text(text)
            }
            Err(e) => Body::Failed(sanitize::single_line(e.trim())),
        };

        r.rewrap(w);
        r.scroll = 0;
        r.scroll_to_focus(h);
        return true;
    }
    false
}
