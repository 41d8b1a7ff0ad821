//! The conversation view: the reader shows the whole conversation of the open message in time
//! order — the customer's messages (the column's rows of its thread), the team's replies (the
//! Sent folder, read on demand by `engine::Request::Conversation`) with the agent and the mode,
//! and the internal notes — the open message expanded, the others folded to one line.
//!
//! [`entries`] builds the conversation (pure, unit-tested); [`layout`] lays it out in lines;
//! the keys here move the focus between entries and expand or fold them.

use std::collections::{HashMap, HashSet};

use crate::engine::Request;
use crate::mail::date;
use crate::mail::display::{fit, sender_label};
use crate::mail::note::Note;
use crate::mail::sent::{SentReply, searched_ids};
use crate::mail::thread;
use crate::message::Summary;
use crate::sanitize;
use crate::ui::app::App;
use crate::ui::keys::Action;
use crate::ui::screen::columns::Column;
use crate::ui::screen::compose::model::Kind as ComposeKind;
use crate::ui::screen::notes::model::ReaderNotes;
use crate::ui::screen::reader::{Body, Reader};
use crate::ui::wrap::wrap;

/// A conversation shows at most this many of the mailbox's messages.
pub const MAX_ROWS: usize = 50;
/// Expanding everything asks for at most this many bodies.
const MAX_EXPANDED_FETCHES: usize = 20;

/// The team's replies, as the engine last answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replies {
    Loading,
    Loaded(Vec<SentReply>),
    /// Sanitized reason.
    Failed(String),
}

/// An entry of the conversation, by where it comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Key {
    /// A message of the mailbox (UID).
    Inbox(u32),
    /// A copy in the Sent folder (UID there).
    Sent(u32),
    /// A note in the notes folder (UID there).
    Note(u32),
}

/// Who wrote an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Author {
    /// A message in the mailbox that is not the team's.
    Customer,
    /// The team's reply: the agent (or address) and "alice, as support@…" (raw).
    Team { who: String, label: String },
    /// An internal note by this author (raw).
    Note(String),
}

/// One entry, raw (sanitized when laid out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub key: Key,
    /// When it was written (the Date header, else when it was stored).
    pub when: i64,
    pub author: Author,
    /// Who, for the mailbox's messages: the sender label.
    pub from: String,
    pub subject: String,
    /// The text, when known (the Sent copies and notes come with theirs).
    pub text: Option<String>,
}

/// The conversation of the open message.
#[derive(Debug, Clone)]
pub struct Conversation {
    /// The open message's UID.
    pub open: u32,
    /// The thread's messages in the mailbox, oldest first, the open one included.
    pub rows: Vec<Summary>,
    /// The Message-IDs the Sent folder is searched for.
    pub ids: Vec<String>,
    /// The first message's Message-ID (linkable): the notes on it and on every later message
    /// of the thread are the conversation's notes.
    pub root_id: Option<String>,
    pub replies: Replies,
    /// The bodies of the other messages of the mailbox that were expanded (sanitized).
    pub texts: HashMap<u32, Body>,
    /// The expanded entries (the open message at first).
    pub expanded: HashSet<Key>,
    /// The entry `Tab` moved to (the open message at first).
    pub focus: Key,
}

/// The rows of `rows` in the thread of `open` (sharing a Message-ID, In-Reply-To or
/// Reference with it, directly or through each other), oldest first, `open` included, at most
/// [`MAX_ROWS`].
pub fn thread_rows<'a>(
    rows: impl Iterator<Item = &'a Summary> + Clone,
    open: &Summary,
) -> Vec<Summary> {
    let mut ids: HashSet<String> = thread::ids(open).map(str::to_string).collect();
    let mut members: Vec<Summary> = vec![open.clone()];
    let mut taken: HashSet<u32> = HashSet::from([open.uid]);
    // Each pass adds the rows linked to those found so far; a chain longer than the passes
    // is cut (bounded work on a hostile mailbox).
    for _ in 0..8 {
        let mut grew = false;
        for s in rows.clone() {
            if members.len() >= MAX_ROWS {
                break;
            }
            if taken.contains(&s.uid) || !thread::ids(s).any(|i| ids.contains(i)) {
                continue;
            }
            taken.insert(s.uid);
            ids.extend(thread::ids(s).map(str::to_string));
            members.push(s.clone());
            grew = true;
        }
        if !grew || members.len() >= MAX_ROWS {
            break;
        }
    }
    members.sort_by_key(|s| (when(s), s.uid));
    members
}

fn when(s: &Summary) -> i64 {
    s.date.unwrap_or(s.internal_date)
}

/// The conversation in time order: the mailbox's `rows`, the Sent `replies` (a copy with the
/// Message-ID of a row, or of an earlier copy, is that message: shown once, as the team's) and
/// the `notes`.
pub fn entries(rows: &[Summary], replies: &[SentReply], notes: &[Note]) -> Vec<Entry> {
    let mut sent: Vec<&SentReply> = Vec::new();
    for r in replies {
        let dup = r
            .message_id
            .as_deref()
            .is_some_and(|id| sent.iter().any(|s| s.message_id.as_deref() == Some(id)));
        if !dup {
            sent.push(r);
        }
    }
    let team = |r: &SentReply| Author::Team {
        who: r.who(),
        label: r.label(),
    };
    let mut used: HashSet<u32> = HashSet::new();
    let mut out: Vec<Entry> = Vec::with_capacity(rows.len() + sent.len() + notes.len());
    for s in rows {
        let copy = s
            .message_id()
            .and_then(|id| sent.iter().find(|r| r.message_id.as_deref() == Some(id)));
        if let Some(c) = copy {
            used.insert(c.uid);
        }
        out.push(Entry {
            key: Key::Inbox(s.uid),
            when: when(s),
            author: copy.map_or(Author::Customer, |c| team(c)),
            from: sender_label(s),
            subject: s.subject().to_string(),
            text: copy.map(|c| c.text.clone()),
        });
    }
    for r in sent.iter().filter(|r| !used.contains(&r.uid)) {
        out.push(Entry {
            key: Key::Sent(r.uid),
            when: r.date,
            author: team(r),
            from: r.from.clone().unwrap_or_default(),
            subject: String::new(),
            text: Some(r.text.clone()),
        });
    }
    for n in notes {
        out.push(Entry {
            key: Key::Note(n.uid),
            when: n.date,
            author: Author::Note(n.author()),
            from: String::new(),
            subject: n.subject.clone(),
            text: Some(n.text.clone()),
        });
    }
    out.sort_by_key(|e| (e.when, matches!(e.author, Author::Note(_)), e.key));
    out
}

impl Conversation {
    /// The conversation of `open`, a row of `column`: its thread's rows, the team's replies
    /// still to be read when there is a Sent folder (`sent`).
    pub(crate) fn start(column: &Column, open: &Summary, sent: bool) -> Option<Conversation> {
        let rows = thread_rows(column.rows.iter(), open);
        // The newest messages first: a reply answers the latest.
        let ids = searched_ids(
            rows.iter()
                .rev()
                .filter_map(Summary::message_id)
                .chain(open.references().collect::<Vec<_>>().into_iter().rev()),
        );
        let key = Key::Inbox(open.uid);
        let root_id = rows
            .iter()
            .filter_map(Summary::message_id)
            .find(|id| crate::mail::note::is_linkable_id(id))
            .map(str::to_string);
        Some(Conversation {
            open: open.uid,
            root_id,
            rows,
            replies: if ids.is_empty() || !sent {
                Replies::Loaded(Vec::new())
            } else {
                Replies::Loading
            },
            ids,
            texts: HashMap::new(),
            expanded: HashSet::from([key]),
            focus: key,
        })
    }

    /// The entries with the notes the reader has.
    pub fn entries(&self, notes: &ReaderNotes) -> Vec<Entry> {
        let replies = match &self.replies {
            Replies::Loaded(r) => r.as_slice(),
            _ => &[],
        };
        let notes = match notes {
            ReaderNotes::Loaded(n) => n.as_slice(),
            _ => &[],
        };
        entries(&self.rows, replies, notes)
    }

    /// Whether there is more than the open message and its notes: only then is the view a
    /// conversation (a lone message reads as it always did).
    pub fn is_shown(&self) -> bool {
        self.rows.len() > 1 || matches!(&self.replies, Replies::Loaded(r) if !r.is_empty())
    }
}

/// How the reader draws a line of the conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// An entry's one line (folded) or heading (expanded); `focus`: the entry in focus.
    Head { focus: bool, note: bool },
    /// A message's text.
    Text,
    /// A note's text.
    NoteText,
}

/// "▸ 2026-12-01 10:00  alice, as support@example.com — On its way." (raw parts sanitized).
fn head(e: &Entry, expanded: bool, width: usize) -> String {
    let arrow = if expanded { '▾' } else { '▸' };
    let who = match &e.author {
        Author::Customer => e.from.clone(),
        Author::Team { label, .. } => label.clone(),
        Author::Note(a) => format!("note · {a}"),
    };
    let mut s = format!(
        "{arrow} {}  {}",
        &date::short_utc(e.when),
        sanitize::single_line(&who)
    );
    if !expanded {
        let gist = e
            .text
            .as_deref()
            .and_then(|t| {
                t.lines()
                    .map(str::trim)
                    .find(|l| !l.is_empty() && !l.starts_with('>'))
            })
            .map(str::to_string)
            .unwrap_or_else(|| e.subject.clone());
        if !gist.is_empty() {
            s.push_str(" — ");
            s.push_str(&sanitize::single_line(&gist));
        }
    }
    fit(&s, width).trim_end().to_string()
}

/// The reader's lines for the conversation: each entry's line, and under an expanded one its
/// text (`open_lines`: the open message's body as the reader wraps it). Returns the lines,
/// how each is drawn, and where each entry starts.
pub(crate) fn layout(
    c: &Conversation,
    notes: &ReaderNotes,
    open_lines: &[String],
    width: usize,
) -> (Vec<String>, Vec<Mark>, Vec<(Key, usize)>) {
    let mut lines = Vec::new();
    let mut marks = Vec::new();
    let mut starts = Vec::new();
    for e in c.entries(notes) {
        let open = c.expanded.contains(&e.key);
        let note = matches!(e.author, Author::Note(_));
        starts.push((e.key, lines.len()));
        lines.push(head(&e, open, width));
        marks.push(Mark::Head {
            focus: e.key == c.focus,
            note,
        });
        if !open {
            continue;
        }
        let body: Vec<String> = if e.key == Key::Inbox(c.open) && e.text.is_none() {
            open_lines.to_vec()
        } else {
            match (&e.text, e.key) {
                (Some(t), _) => wrap(&sanitize::multi_line(t), width),
                (None, Key::Inbox(uid)) => match c.texts.get(&uid) {
                    Some(Body::Text(t)) => wrap(t, width),
                    Some(Body::Failed(why)) => wrap(&format!("could not be read: {why}"), width),
                    Some(Body::Loading) | None => vec!["loading…".to_string()],
                },
                (None, _) => Vec::new(),
            }
        };
        let mark = if note { Mark::NoteText } else { Mark::Text };
        marks.extend(std::iter::repeat_n(mark, body.len() + 1));
        lines.extend(body);
        lines.push(String::new());
    }
    match &c.replies {
        Replies::Loading => {
            lines.push("replies: reading the Sent folder…".to_string());
            marks.push(Mark::Text);
        }
        Replies::Failed(why) => {
            for l in wrap(
                &format!("replies: the Sent folder could not be read: {why}"),
                width,
            ) {
                lines.push(l);
                marks.push(Mark::Text);
            }
        }
        Replies::Loaded(_) => {}
    }
    (lines, marks, starts)
}

/// The question before replying to a conversation whose latest message from the customer
/// already has an answer: a later reply of the team ("bob answered 12 min ago"), or the
/// `\Answered` flag. `None`: no answer yet, or not a reply.
pub(crate) fn answered_question(
    app: &App,
    account_idx: usize,
    o: &Summary,
    kind: ComposeKind,
) -> Option<String> {
    if !matches!(kind, ComposeKind::Reply | ComposeKind::ReplyAll) {
        return None;
    }
    let from_reader = app
        .reader
        .as_ref()
        .filter(|r| r.account_idx == account_idx)
        .and_then(|r| Some((r.conversation.as_ref()?, &r.notes)))
        .filter(|(c, _)| c.rows.iter().any(|s| s.uid == o.uid));
    let rows = match from_reader {
        Some((c, _)) => c.rows.clone(),
        None => {
            let column = app.columns.iter().find(|c| c.account_idx == account_idx)?;
            thread_rows(column.rows.iter(), o)
        }
    };
    let list = match from_reader {
        Some((c, notes)) => c.entries(notes),
        None => entries(&rows, &[], &[]),
    };
    let latest = list
        .iter()
        .filter(|e| e.author == Author::Customer)
        .max_by_key(|e| e.when)?;
    let answer = list
        .iter()
        .filter(|e| e.when >= latest.when && e.key != latest.key)
        .filter_map(|e| match &e.author {
            Author::Team { who, .. } => Some((who, e.when)),
            _ => None,
        })
        .max_by_key(|(_, w)| *w);
    let question = match answer {
        Some((who, at)) => {
            let me = app
                .agent_id
                .as_deref()
                .is_some_and(|me| me.eq_ignore_ascii_case(who));
            let who = if me { "you" } else { who.as_str() };
            format!("{who} answered {}; reply anyway? (y/n)", ago(app.now, at))
        }
        None => {
            let Key::Inbox(uid) = latest.key else {
                return None;
            };
            let answered = rows.iter().any(|s| s.uid == uid && s.flags.answered);
            if !answered {
                return None;
            }
            "this conversation was already answered; reply anyway? (y/n)".to_string()
        }
    };
    Some(sanitize::single_line(&question))
}

/// "12 min ago", "3 h ago", "2 days ago", "just now".
pub fn ago(now: i64, then: i64) -> String {
    let d = (now - then).max(0);
    match d {
        0..60 => "just now".to_string(),
        60..3600 => format!("{} min ago", d / 60),
        3600..86_400 => format!("{} h ago", d / 3600),
        _ => match d / 86_400 {
            1 => "1 day ago".to_string(),
            n => format!("{n} days ago"),
        },
    }
}

/// `Tab`, `S-Tab`, `e`, `E` in the reader.
pub(crate) fn on_key(app: &mut App, action: Action) -> Vec<Request> {
    let (w, h) = app.reader_body_size();
    let Some(r) = &mut app.reader else {
        return Vec::new();
    };
    let account_idx = r.account_idx;
    let Some(c) = &mut r.conversation else {
        app.say("this message has no conversation to fold");
        return Vec::new();
    };
    let keys: Vec<Key> = r.starts.iter().map(|(k, _)| *k).collect();
    if keys.is_empty() {
        app.say("this message has no conversation to fold");
        return Vec::new();
    }
    let at = keys.iter().position(|k| *k == c.focus).unwrap_or(0);
    let mut fetch: Vec<u32> = Vec::new();
    match action {
        Action::NextEntry => c.focus = keys[(at + 1).min(keys.len() - 1)],
        Action::PrevEntry => c.focus = keys[at.saturating_sub(1)],
        Action::ToggleFold => {
            let k = c.focus;
            if !c.expanded.remove(&k) {
                c.expanded.insert(k);
                fetch.extend(wanted(c, k));
            }
        }
        Action::ToggleFoldAll => {
            if keys.iter().all(|k| c.expanded.contains(k)) {
                c.expanded = HashSet::from([Key::Inbox(c.open)]);
            } else {
                for &k in &keys {
                    c.expanded.insert(k);
                    if fetch.len() < MAX_EXPANDED_FETCHES {
                        fetch.extend(wanted(c, k));
                    }
                }
            }
        }
        _ => return Vec::new(),
    }
    for &uid in &fetch {
        c.texts.insert(uid, Body::Loading);
    }
    r.rewrap(w);
    r.scroll_to_focus(h);
    fetch
        .into_iter()
        .map(|uid| Request::Open { account_idx, uid })
        .collect()
}

/// The body to fetch when `k` is expanded: another message of the mailbox whose text is not
/// known yet.
fn wanted(c: &Conversation, k: Key) -> Option<u32> {
    match k {
        Key::Inbox(uid) if uid != c.open && !c.texts.contains_key(&uid) => Some(uid),
        _ => None,
    }
}

/// The engine's answer to `Request::Conversation`, if the reader is still on that message.
pub(crate) fn on_conversation(
    app: &mut App,
    account_idx: usize,
    uid: u32,
    replies: Result<Vec<SentReply>, String>,
) -> bool {
    let (w, h) = app.reader_body_size();
    let Some(r) = &mut app.reader else {
        return false;
    };
    if r.account_idx != account_idx || r.uid != uid {
        return false;
    }
    let Some(c) = &mut r.conversation else {
        return false;
    };
    c.replies = match replies {
        Ok(list) => Replies::Loaded(list),
        Err(e) => Replies::Failed(sanitize::single_line(e.trim())),
    };
    r.rewrap(w);
    r.scroll_to_focus(h);
    true
}

/// A body for another message of the open conversation (expanded with `e`).
pub(crate) fn on_other_body(r: &mut Reader, uid: u32, body: Body, width: usize) -> bool {
    let Some(c) = &mut r.conversation else {
        return false;
    };
    if uid == c.open || !c.texts.contains_key(&uid) {
        return false;
    }
    c.texts.insert(uid, body);
    r.rewrap(width);
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{Address, Fields};

    fn row(uid: u32, date: i64, id: &str, parent: Option<&str>) -> Summary {
        Summary::new(Fields {
            uid,
            internal_date: date,
            date: Some(date),
            message_id: Some(id.to_string()),
            in_reply_to: parent.map(|p| vec![p.to_string()]).unwrap_or_default(),
            references: parent.map(|p| vec![p.to_string()]).unwrap_or_default(),
            from: vec![Address {
                name: Some("Carol".into()),
                email: "carol@customer.test".into(),
            }],
            subject: "Order 123".into(),
            ..Fields::default()
        })
    }

    fn reply(uid: u32, date: i64, id: &str, to: &str, agent: &str) -> SentReply {
        SentReply {
            uid,
            date,
            agent: Some(agent.into()),
            from: Some("support@example.com".into()),
            sender: None,
            message_id: Some(id.into()),
            in_reply_to: vec![to.into()],
            references: vec![to.into()],
            text: format!("answer by {agent}"),
        }
    }

    fn note(uid: u32, date: i64) -> Note {
        Note {
            uid,
            agent: Some("bob".into()),
            from: None,
            date,
            message_id: Some(format!("n{uid}@x")),
            in_reply_to: vec!["c1@x".into()],
            references: vec!["c1@x".into()],
            subject: "Note".into(),
            text: "VIP customer".into(),
            truncated: false,
        }
    }

    #[test]
    fn entries_are_in_time_order_with_replies_and_notes() {
        let rows = [row(1, 100, "c1@x", None), row(2, 300, "c2@x", Some("r1@x"))];
        let replies = [reply(9, 200, "r1@x", "c1@x", "alice")];
        let list = entries(&rows, &replies, &[note(4, 250)]);
        let keys: Vec<Key> = list.iter().map(|e| e.key).collect();
        assert_eq!(
            keys,
            vec![Key::Inbox(1), Key::Sent(9), Key::Note(4), Key::Inbox(2)]
        );
        assert_eq!(
            list[1].author,
            Author::Team {
                who: "alice".into(),
                label: "alice, as support@example.com".into()
            }
        );
        assert_eq!(list[2].author, Author::Note("bob".into()));
    }

    #[test]
    fn a_sent_copy_also_in_the_mailbox_or_twice_in_sent_is_shown_once() {
        // The team's reply Cc'd to the shared mailbox: the mailbox's row, as the team's.
        let rows = [row(1, 100, "c1@x", None), row(2, 200, "r1@x", Some("c1@x"))];
        let replies = [
            reply(9, 200, "r1@x", "c1@x", "alice"),
            reply(10, 200, "r1@x", "c1@x", "alice"),
            reply(11, 400, "r2@x", "c1@x", "bob"),
        ];
        let list = entries(&rows, &replies, &[]);
        let keys: Vec<Key> = list.iter().map(|e| e.key).collect();
        assert_eq!(keys, vec![Key::Inbox(1), Key::Inbox(2), Key::Sent(11)]);
        assert!(matches!(&list[1].author, Author::Team { who, .. } if who == "alice"));
        assert_eq!(list[1].text.as_deref(), Some("answer by alice"));
    }

    #[test]
    fn thread_rows_follow_the_ids_and_leave_other_threads() {
        let all = [
            row(1, 100, "c1@x", None),
            row(2, 200, "c2@x", Some("c1@x")),
            row(3, 300, "other@x", None),
            row(4, 400, "c3@x", Some("c2@x")),
        ];
        let got: Vec<u32> = thread_rows(all.iter(), &all[3])
            .iter()
            .map(|s| s.uid)
            .collect();
        assert_eq!(got, vec![1, 2, 4]);
        let alone: Vec<u32> = thread_rows(all.iter(), &all[2])
            .iter()
            .map(|s| s.uid)
            .collect();
        assert_eq!(alone, vec![3]);
    }

    #[test]
    fn the_open_message_is_expanded_and_the_others_folded() {
        let rows = vec![row(1, 100, "c1@x", None), row(2, 300, "c2@x", Some("c1@x"))];
        let c = Conversation {
            open: 2,
            ids: vec![],
            root_id: None,
            replies: Replies::Loaded(vec![reply(9, 200, "r1@x", "c1@x", "alice")]),
            texts: HashMap::new(),
            expanded: HashSet::from([Key::Inbox(2)]),
            focus: Key::Inbox(2),
            rows,
        };
        let body = vec!["Any update on this?".to_string()];
        let (lines, marks, starts) = layout(&c, &ReaderNotes::None, &body, 60);
        assert_eq!(
            lines,
            vec![
                "▸ 1970-01-01 00:01  Carol — Order 123",
                "▸ 1970-01-01 00:03  alice, as support@example.com — answer …",
                "▾ 1970-01-01 00:05  Carol",
                "Any update on this?",
                "",
            ]
        );
        assert_eq!(
            marks[2],
            Mark::Head {
                focus: true,
                note: false
            }
        );
        assert_eq!(starts[2], (Key::Inbox(2), 2));
    }

    #[test]
    fn ago_reads_as_a_person_would_say_it() {
        assert_eq!(ago(1000, 1000), "just now");
        assert_eq!(ago(1000 + 720, 1000), "12 min ago");
        assert_eq!(ago(7200, 0), "2 h ago");
        assert_eq!(ago(86_400 * 3, 0), "3 days ago");
    }
}
