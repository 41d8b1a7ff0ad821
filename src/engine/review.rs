//! Review before sending (the team policy's `[review]`): holding an agent's reply in the
//! account's review folder instead of sending it, listing the items, approving one (sent
//! through the normal pipeline from the approver's session, with the approver's identity) and
//! returning one with a note (back to its author's drafts). Formats in `mail::review`; the IMAP
//! side in `imap::review`.
//!
//! Approval is atomic as claims are: the approver adds `$review.approving.<approver>` with
//! `UNCHANGEDSINCE` the MODSEQ it read, so of two approvers acting at once one wins and the
//! other is told who did. The winner records its approval (the keyword, and a review record
//! whose INTERNALDATE says since when) before anything is transmitted; the outbox then sends it
//! exactly once. A crash between winning and transmitting leaves the item "approving by …
//! since …" for a human to decide; nothing sends it again on its own.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

use super::pipeline::{self, Context, Outcome};
use super::policy::{Learned, default_cache, learn};
use crate::config::{Account, Config};
use crate::imap::connect::{ImapConn, Target, open_session};
use crate::imap::notes::NotesError;
use crate::imap::review as remote;
use crate::mail::compose::Outgoing;
use crate::mail::review::{self as item, Item, RecordKind};
use crate::message::Envelope;
use crate::policy::identity;
use crate::store::audit::AuditLog;
use crate::store::outbox::{Entry, Outbox, State};

/// The largest review item read whole (a reply with its attachments).
pub const MAX_ITEM_BYTES: u64 = 50 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error("account {0:?}: review needs an IMAP account (the review folder is on the server)")]
    NotImap(String),
    #[error("account {account:?}: {source}")]
    Connect {
        account: String,
        source: crate::imap::ImapError,
    },
    #[error("account {account:?}: {source}")]
    Folder { account: String, source: NotesError },
    #[error("account {0:?}: no team policy with [review] is in force")]
    NoReview(String),
    #[error(
        "the team policy of {account} does not let {agent} approve or return replies (approvers: {approvers})"
    )]
    NotApprover {
        account: String,
        agent: String,
        approvers: String,
    },
    #[error("no review item {id:?} in {folder} (see `mailroom review ACCOUNT list`)")]
    NoItem { id: String, folder: String },
    #[error("{what}")]
    Taken { what: String },
    #[error("the review item {id:?} cannot be read: {reason}")]
    BadItem { id: String, reason: String },
    #[error(transparent)]
    Identity(#[from] identity::Refusal),
    #[error(transparent)]
    Header(#[from] crate::mail::header::HeaderError),
    #[error(transparent)]
    Compose(#[from] crate::mail::compose::ComposeError),
    #[error(transparent)]
    Pipeline(#[from] pipeline::PipelineError),
    #[error("outbox: {0}")]
    Store(#[from] crate::store::CacheError),
    #[error("drafts: {0}")]
    Drafts(#[from] super::drafts::DraftError),
    #[error("no data directory could be determined (set $HOME or $XDG_DATA_HOME)")]
    NoDataDir,
    #[error("the edited reply cannot be approved: {0}")]
    EditedSignature(String),
    #[error("{id} was written by {author}: another approver must approve it")]
    OwnReply { id: String, author: String },
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn folder_error(account: &Account) -> impl Fn(NotesError) -> ReviewError + '_ {
    move |source| ReviewError::Folder {
        account: account.name.clone(),
        source,
    }
}

fn connect(account: &Account) -> Result<ImapConn, ReviewError> {
    let imap = account
        .imap
        .as_ref()
        .ok_or_else(|| ReviewError::NotImap(account.name.clone()))?;
    open_session(&Target {
        account: &account.name,
        config: imap,
    })
    .map_err(|source| ReviewError::Connect {
        account: account.name.clone(),
        source,
    })
}

/// The approvers `agent`'s replies wait for, when the policy `learned` says they need review.
pub fn approvers_for(learned: &Learned, agent: &str) -> Option<Vec<String>> {
    let rules = learned.in_force.as_ref()?.policy.review.as_ref()?;
    // Nobody approves their own reply (`approve`): the author is not among those awaited.
    rules.needs_review(agent).then(|| {
        rules
            .approvers
            .iter()
            .filter(|a| *a != agent)
            .cloned()
            .collect()
    })
}

/// A reply held for review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Held {
    pub folder: String,
    pub uid: Option<u32>,
    /// The short id (`mailroom review ACCOUNT show ID`).
    pub id: String,
    pub message_id: String,
    pub approvers: Vec<String>,
}

impl Held {
    /// "awaiting review by alice, carol".
    pub fn awaiting(&self) -> String {
        if self.approvers.is_empty() {
            return "awaiting review, but the team policy names no other approver: ask an \
                    administrator"
                .to_string();
        }
        format!("awaiting review by {}", self.approvers.join(", "))
    }

    /// What the compose pane's send reports.
    pub fn outcome(&self) -> Outcome {
        Outcome::Held {
            message_id: self.message_id.clone(),
            folder: self.folder.clone(),
            awaiting: self.awaiting(),
        }
    }
}

/// The send pipeline's hook: when the team policy in force says the configured agent's replies
/// on `account` need review, `outgoing` goes to the review folder instead of the outbox and
/// `Some` says where; `None`: send as usual.
pub fn hold_if_needed(
    config: &Config,
    account: &Account,
    outgoing: &Outgoing,
    reply_uid: Option<u32>,
) -> Result<Option<Held>, ReviewError> {
    let learned = learn(account, default_cache().as_ref());
    let Some(approvers) = approvers_for(&learned, &config.agent.id) else {
        return Ok(None);
    };
    hold(config, account, outgoing, reply_uid, approvers).map(Some)
}

/// Appends `outgoing` as a review item (keyword `$review`) to the account's review folder.
pub fn hold(
    config: &Config,
    account: &Account,
    outgoing: &Outgoing,
    reply_uid: Option<u32>,
    approvers: Vec<String>,
) -> Result<Held, ReviewError> {
    let raw = item::build_item(
        outgoing,
        &config.agent.id,
        &account.name,
        account.send.as_str(),
        reply_uid,
    )?;
    let mut conn = connect(account)?;
    let folder = remote::review_folder(&mut conn, account).map_err(folder_error(account))?;
    let uid = remote::append(&mut conn, &folder, &raw, &[item::KEYWORD.to_string()])
        .map_err(folder_error(account))?;
    let _ = conn.session.logout();
    Ok(Held {
        folder,
        uid,
        id: item::short_id(&outgoing.message_id),
        message_id: outgoing.message_id.clone(),
        approvers,
    })
}

/// Where an item stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum ItemState {
    /// Waiting for an approver.
    Waiting,
    /// An approver won it (`since`: when it recorded so, Unix seconds); a crash may have
    /// stopped it before sending: a human decides.
    Approving { by: String, since: Option<i64> },
    /// Returned to its author with a note.
    Returned { by: Option<String>, note: String },
}

/// One item of the review folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Listed {
    pub uid: u32,
    pub id: String,
    pub author: String,
    pub to: Vec<String>,
    /// The other recipients it goes to (Cc and Bcc: not in `to`), which the approver is told of.
    #[serde(skip)]
    pub also: Vec<String>,
    pub subject: String,
    pub message_id: String,
    /// When it was held (INTERNALDATE, Unix seconds).
    pub held: i64,
    #[serde(flatten)]
    pub state: ItemState,
    /// The MODSEQ it was read with (an approval is won against it).
    #[serde(skip)]
    pub modseq: Option<u64>,
    /// UIDs of the records about it.
    #[serde(skip)]
    pub records: Vec<u32>,
}

/// What the review folder holds.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Queue {
    pub folder: String,
    pub items: Vec<Listed>,
}

fn read_queue(conn: &mut ImapConn, account: &Account) -> Result<Queue, ReviewError> {
    let err = folder_error(account);
    let folder = remote::review_folder(conn, account).map_err(&err)?;
    if !remote::open(conn, &folder).map_err(&err)? {
        return Ok(Queue {
            folder,
            items: Vec::new(),
        });
    }
    let fetched = remote::read(conn, &folder).map_err(&err)?;
    let mut items: Vec<Listed> = Vec::new();
    let mut records = Vec::new();
    for f in &fetched {
        if let Some(r) = item::parse_record(&f.raw) {
            records.push((f.uid, f.internal_date, r));
            continue;
        }
        let Ok(i) = item::parse_item(&f.raw) else {
            continue;
        };
        let approving = f.keywords.iter().find_map(|k| item::approving_agent(k));
        let returned = f
            .keywords
            .iter()
            .any(|k| k.eq_ignore_ascii_case(item::RETURNED));
        let state = match (approving, returned) {
            (Some(by), _) => ItemState::Approving {
                by: by.to_string(),
                since: None,
            },
            (None, true) => ItemState::Returned {
                by: None,
                note: String::new(),
            },
            (None, false) => ItemState::Waiting,
        };
        let also = i
            .recipients
            .iter()
            .filter(|r| !i.to.iter().any(|t| t.eq_ignore_ascii_case(r)))
            .cloned()
            .collect();
        items.push(Listed {
            uid: f.uid,
            id: item::short_id(&i.message_id),
            author: i.author,
            to: i.to,
            also,
            subject: i.subject,
            message_id: i.message_id,
            held: f.internal_date,
            state,
            modseq: f.modseq,
            records: Vec::new(),
        });
    }
    for (uid, date, r) in records {
        let Some(l) = items.iter_mut().find(|l| l.message_id == r.item) else {
            continue;
        };
        l.records.push(uid);
        match (&mut l.state, r.kind) {
            (ItemState::Approving { by, since }, RecordKind::Approving) if *by == r.agent => {
                *since = Some(date);
            }
            (ItemState::Returned { by, note }, RecordKind::Returned) => {
                *by = Some(r.agent);
                *note = r.note;
            }
            _ => {}
        }
    }
    Ok(Queue { folder, items })
}

fn find<'a>(queue: &'a Queue, id: &str) -> Result<&'a Listed, ReviewError> {
    let by_uid = id
        .parse::<u32>()
        .ok()
        .and_then(|uid| queue.items.iter().find(|l| l.uid == uid));
    by_uid
        .or_else(|| queue.items.iter().find(|l| l.id.eq_ignore_ascii_case(id)))
        .ok_or_else(|| ReviewError::NoItem {
            id: crate::sanitize::single_line(id),
            folder: crate::sanitize::single_line(&queue.folder),
        })
}

/// A returned reply its author took back into drafts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TakenBack {
    pub subject: String,
    pub by: Option<String>,
    pub note: String,
    pub draft_id: String,
    /// The draft as saved (the TUI adds it to its list of drafts).
    #[serde(skip)]
    pub draft: crate::store::drafts::Draft,
}

/// The review folder of `account`; items returned to the configured agent go back into their
/// local drafts with the note first (and leave the folder).
pub fn list(config: &Config, account: &Account) -> Result<(Queue, Vec<TakenBack>), ReviewError> {
    let mut conn = connect(account)?;
    let mut queue = read_queue(&mut conn, account)?;
    let mut taken = Vec::new();
    let mine: Vec<Listed> = queue
        .items
        .iter()
        .filter(|l| l.author == config.agent.id && matches!(l.state, ItemState::Returned { .. }))
        .cloned()
        .collect();
    for l in mine {
        let raw = remote::whole(&mut conn, &queue.folder, l.uid, MAX_ITEM_BYTES)
            .map_err(folder_error(account))?;
        let Ok(i) = item::parse_item(&raw) else {
            continue;
        };
        let ItemState::Returned { by, note } = &l.state else {
            continue;
        };
        let draft = returned_draft(account, &i, by.as_deref(), note);
        super::drafts::save(&draft)?;
        let mut uids = l.records.clone();
        uids.push(l.uid);
        remote::remove(&mut conn, &queue.folder, &uids).map_err(folder_error(account))?;
        queue.items.retain(|x| x.uid != l.uid);
        taken.push(TakenBack {
            subject: i.subject,
            by: by.clone(),
            note: note.clone(),
            draft_id: draft.id.clone(),
            draft,
        });
    }
    let _ = conn.session.logout();
    Ok((queue, taken))
}

/// The local draft of a returned reply: the note first, then the text as it was held.
fn returned_draft(
    account: &Account,
    i: &Item,
    by: Option<&str>,
    note: &str,
) -> crate::store::drafts::Draft {
    let summary =
        crate::mail::parse::summary_from_raw(0, &i.message, 0, Default::default(), Vec::new());
    let cc: Vec<String> = summary.cc().map(|a| a.email.to_string()).collect();
    let bcc = i
        .recipients
        .iter()
        .filter(|r| !i.to.iter().chain(&cc).any(|x| x.eq_ignore_ascii_case(r)))
        .cloned()
        .collect();
    let who = by.unwrap_or("an approver");
    let body = format!(
        "[review] returned by {who}: {}\n\n{}",
        note.trim(),
        crate::mail::parse::text_body(&i.message)
    );
    crate::store::drafts::Draft {
        // One id per held message: taken back twice (the folder could not be cleaned), it is
        // the same draft, saved again.
        id: crate::hash::hashed_name("review-returned", &[i.message_id.as_bytes()])[..24]
            .to_string(),
        account: account.name.clone(),
        from: i.from.clone(),
        to: i.to.clone(),
        cc,
        bcc,
        subject: i.subject.clone(),
        body,
        reply_to_uid: i.reply_uid,
        in_reply_to: summary.in_reply_to().next().map(str::to_string),
        references: summary.references().map(str::to_string).collect(),
        quoted: None,
        attachments: Vec::new(),
        forwarded: Vec::new(),
        saved: now(),
    }
}

/// One item whole: where it stands and the message.
pub fn show(account: &Account, id: &str) -> Result<(Listed, Item), ReviewError> {
    let mut conn = connect(account)?;
    let queue = read_queue(&mut conn, account)?;
    let l = find(&queue, id)?.clone();
    let raw = remote::whole(&mut conn, &queue.folder, l.uid, MAX_ITEM_BYTES)
        .map_err(folder_error(account))?;
    let _ = conn.session.logout();
    let i = item::parse_item(&raw).map_err(|e| ReviewError::BadItem {
        id: l.id.clone(),
        reason: e.to_string(),
    })?;
    Ok((l, i))
}

/// The configuration narrowed by the team policy of `account`, after checking that the
/// configured agent may approve there.
fn as_approver(config: &Config, account: &Account) -> Result<Config, ReviewError> {
    let learned = learn(account, default_cache().as_ref());
    let Some(in_force) = &learned.in_force else {
        return Err(ReviewError::NoReview(account.name.clone()));
    };
    let Some(rules) = &in_force.policy.review else {
        return Err(ReviewError::NoReview(account.name.clone()));
    };
    if !rules.may_approve(&config.agent.id) {
        return Err(ReviewError::NotApprover {
            account: account.name.clone(),
            agent: config.agent.id.clone(),
            approvers: rules.approvers.join(", "),
        });
    }
    let mut narrowed = config.clone();
    crate::policy::team::apply(&mut narrowed, &account.name, in_force);
    Ok(narrowed)
}

/// Why `l` cannot be decided on now, or `None` when it is waiting.
fn taken(l: &Listed) -> Option<String> {
    match &l.state {
        ItemState::Waiting => None,
        ItemState::Approving { by, since } => Some(format!(
            "{} is already {}",
            l.id,
            approving_text(by, *since)
        )),
        ItemState::Returned { by, .. } => Some(format!(
            "{} was already returned{}",
            l.id,
            by.as_ref().map(|b| format!(" by {b}")).unwrap_or_default()
        )),
    }
}

/// "approving by alice since 2026-12-06 14:30 UTC".
pub fn approving_text(by: &str, since: Option<i64>) -> String {
    match since {
        Some(t) => format!(
            "approving by {by} since {}",
            crate::mail::date::short_utc(t)
        ),
        None => format!("approving by {by}"),
    }
}

/// Wins `l` for the configured agent with `keyword`; a loss says who was first.
fn win(
    conn: &mut ImapConn,
    account: &Account,
    folder: &str,
    l: &Listed,
    keyword: &str,
) -> Result<(), ReviewError> {
    let won = match l.modseq {
        Some(m) => remote::win(conn, folder, l.uid, m, keyword).map_err(folder_error(account))?,
        // Without CONDSTORE nothing can be won atomically: refuse rather than risk two sends.
        None => {
            return Err(ReviewError::Taken {
                what: format!(
                    "{folder}: the server has no CONDSTORE, so an approval cannot be made atomic"
                ),
            });
        }
    };
    if won {
        return Ok(());
    }
    let what = read_queue(conn, account)
        .ok()
        .and_then(|q| q.items.iter().find(|x| x.uid == l.uid).and_then(taken))
        .unwrap_or_else(|| format!("{} was decided by another approver first", l.id));
    Err(ReviewError::Taken { what })
}

/// What an approval did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Approved {
    pub id: String,
    pub author: String,
    pub approver: String,
    pub outcome: Outcome,
    /// Cleaning the review folder after sending failed (the message did go out).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

/// An approver's edit keeps the required signature and disclaimer of `me` (the team's, under a
/// policy) that the author's text carries (`mail::review::edit_keeps_signature`).
fn edit_keeps_signature(
    narrowed: &Config,
    me: &Account,
    identity: &identity::SendIdentity,
    i: &Item,
    text: &str,
) -> Result<(), ReviewError> {
    let Some(sig) = me
        .signature
        .as_deref()
        .and_then(|s| narrowed.signatures.get(s))
        .filter(|s| s.required)
    else {
        return Ok(());
    };
    let from = crate::policy::signature::FromLine {
        address: &identity.from,
        name: &identity.from_name,
    };
    let rendered = crate::policy::signature::render_from(sig, &narrowed.agent, me, from)
        .map_err(|e| ReviewError::EditedSignature(e.to_string()))?;
    let original = crate::mail::parse::text_body(&i.message);
    item::edit_keeps_signature(&original, text, &rendered)
        .map_err(|e| ReviewError::EditedSignature(e.to_string()))
}

/// Approves item `id`: wins it, records so, sends it through the outbox as the approver's
/// identity (the author's text unchanged), then removes it from the review folder.
pub fn approve(config: &Config, account: &Account, id: &str) -> Result<Approved, ReviewError> {
    approve_with(config, account, id, None)
}

/// [`approve`], with the text the approver edited in place of the author's (`edited`; see
/// `mail::review::edited_message`).
pub fn approve_with(
    config: &Config,
    account: &Account,
    id: &str,
    edited: Option<&str>,
) -> Result<Approved, ReviewError> {
    let narrowed = as_approver(config, account)?;
    let me = narrowed
        .accounts
        .iter()
        .find(|a| a.name == account.name)
        .unwrap_or(account);
    let mut conn = connect(account)?;
    let queue = read_queue(&mut conn, account)?;
    let l = find(&queue, id)?.clone();
    if let Some(what) = taken(&l) {
        return Err(ReviewError::Taken { what });
    }
    let raw = remote::whole(&mut conn, &queue.folder, l.uid, MAX_ITEM_BYTES)
        .map_err(folder_error(account))?;
    let i = item::parse_item(&raw).map_err(|e| ReviewError::BadItem {
        id: l.id.clone(),
        reason: e.to_string(),
    })?;
    // Review means someone else reads it: nobody approves their own reply.
    if i.author == config.agent.id {
        return Err(ReviewError::OwnReply {
            id: l.id.clone(),
            author: i.author.clone(),
        });
    }
    let identity = identity::identity(me, &narrowed.agent, &i.from)?;
    let message = match edited {
        None => item::approved_message(&i.message, &identity, SystemTime::now())?,
        Some(text) => {
            edit_keeps_signature(&narrowed, me, &identity, &i, text)?;
            item::edited_message(&i, text, &identity, SystemTime::now())?
        }
    };
    let approver = config.agent.id.clone();
    // Everything that can fail locally is ready before the item is won: a won item is only
    // left behind by what cannot be foreseen.
    let record = item::build_record(RecordKind::Approving, &approver, &i.message_id, "", now())?;
    let (Some(dir), Some(audit)) = (Outbox::default_dir(), AuditLog::default_path()) else {
        return Err(ReviewError::NoDataDir);
    };
    let (outbox, audit) = (Outbox::new(dir), AuditLog::new(audit));
    win(
        &mut conn,
        account,
        &queue.folder,
        &l,
        &item::approving_keyword(&approver),
    )?;
    // Won: say since when (best effort; the keyword already records the approval).
    let record_uid = remote::append(&mut conn, &queue.folder, &record, &[item::RECORD.into()])
        .ok()
        .flatten();
    let ctx = Context {
        config: &narrowed,
        outbox: &outbox,
        audit: &audit,
    };
    let entry = Entry {
        account: account.name.clone(),
        agent: i.author.clone(),
        envelope: Envelope {
            mode: me.send.as_str().to_string(),
            from: identity.from.clone(),
            sender: identity.sender.clone(),
            mail_from: identity.mail_from.clone(),
            recipients: i.recipients.clone(),
            message_id: i.message_id.clone(),
            subject: i.subject.clone(),
        },
        reply_to_uid: i.reply_uid,
        created: now(),
        attempts: 0,
        draft_id: None,
        approved_by: Some(approver.clone()),
        // The approver's narrowed config: an outbox retry checks the approver's identity and
        // the team signature again (`engine::policy_gate`).
        policy: super::policy_gate::stamp(&narrowed, me),
        template: None,
        state: State::Queued,
    };
    let queued = outbox.enqueue(&entry, &message)?;
    let outcome = pipeline::deliver(&ctx, &queued, false)?;
    let mut warning = None;
    if matches!(outcome, Outcome::Sent { .. } | Outcome::Submitted { .. }) {
        let mut uids = l.records.clone();
        uids.push(l.uid);
        uids.extend(record_uid);
        // The session may have timed out while the message went out: one more try.
        let removed = remote::remove(&mut conn, &queue.folder, &uids).or_else(|_| {
            let mut again = connect(account).map_err(|e| NotesError::Connection(e.to_string()))?;
            remote::open(&mut again, &queue.folder)?;
            remote::remove(&mut again, &queue.folder, &uids)
        });
        if let Err(e) = removed {
            warning = Some(format!(
                "sent, but the item is still in {}: {e}",
                queue.folder
            ));
        }
    }
    let _ = conn.session.logout();
    Ok(Approved {
        id: l.id,
        author: i.author,
        approver,
        outcome,
        warning,
    })
}

/// Returns item `id` to its author with `note`: wins it (as an approval would) with
/// `$review.returned` and appends a review record carrying the note.
pub fn return_item(
    config: &Config,
    account: &Account,
    id: &str,
    note: &str,
) -> Result<Listed, ReviewError> {
    as_approver(config, account)?;
    let mut conn = connect(account)?;
    let queue = read_queue(&mut conn, account)?;
    let l = find(&queue, id)?.clone();
    if let Some(what) = taken(&l) {
        return Err(ReviewError::Taken { what });
    }
    let record = item::build_record(
        RecordKind::Returned,
        &config.agent.id,
        &l.message_id,
        note,
        now(),
    )?;
    win(&mut conn, account, &queue.folder, &l, item::RETURNED)?;
    remote::append(&mut conn, &queue.folder, &record, &[item::RECORD.into()])
        .map_err(folder_error(account))?;
    let _ = conn.session.logout();
    let mut out = l;
    out.state = ItemState::Returned {
        by: Some(config.agent.id.clone()),
        note: note.to_string(),
    };
    Ok(out)
}

/// What the TUI's review view asks (`engine::Request::Review`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReviewAction {
    List,
    Show {
        uid: u32,
    },
    Approve {
        uid: u32,
    },
    /// Approve with the text the approver edited (`e`).
    ApproveEdited {
        uid: u32,
        text: String,
    },
    Return {
        uid: u32,
        note: String,
    },
}

/// The answer to a [`ReviewAction`].
#[derive(Debug, Clone)]
pub enum ReviewAnswer {
    /// The queue, and the replies returned to this agent that went back into drafts.
    Queue(Queue, Vec<TakenBack>),
    /// One item and its message's readable text (not sanitized).
    Shown(Box<Listed>, String),
    Approved(Box<Approved>),
    Returned(Box<Listed>),
}

/// Runs `action` on the account `account_idx` of `config` (on a job of the engine: it talks
/// to the server); errors as one line of text.
pub fn run(
    config: &Config,
    account_idx: usize,
    action: &ReviewAction,
) -> Result<ReviewAnswer, String> {
    let account = config
        .accounts
        .get(account_idx)
        .ok_or("the account is no longer configured")?;
    let text_of = |e: ReviewError| e.to_string();
    Ok(match action {
        ReviewAction::List => {
            let (queue, taken) = list(config, account).map_err(text_of)?;
            ReviewAnswer::Queue(queue, taken)
        }
        ReviewAction::Show { uid } => {
            let (l, i) = show(account, &uid.to_string()).map_err(text_of)?;
            let body = crate::mail::parse::text_body(&i.message);
            ReviewAnswer::Shown(Box::new(l), body)
        }
        ReviewAction::Approve { uid } => ReviewAnswer::Approved(Box::new(
            approve(config, account, &uid.to_string()).map_err(text_of)?,
        )),
        ReviewAction::ApproveEdited { uid, text } => ReviewAnswer::Approved(Box::new(
            approve_with(config, account, &uid.to_string(), Some(text)).map_err(text_of)?,
        )),
        ReviewAction::Return { uid, note } => ReviewAnswer::Returned(Box::new(
            return_item(config, account, &uid.to_string(), note).map_err(text_of)?,
        )),
    })
}

#[cfg(test)]
#[path = "review_tests.rs"]
mod tests;
