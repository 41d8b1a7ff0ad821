//! The send pipeline: queue durably, submit once, file the result.
//!
//! `queue` writes the finished message to the outbox before anything is transmitted;
//! `deliver` moves it through the outbox states (see `store::outbox`), submitting through the
//! account's route (SMTP, a sendmail-style command, or a folder) and then filing it: the Sent
//! copy (with `X-Mailroom-Agent`, when `sent_copy = "append"`), `\Answered` on the message
//! answered, and one audit record. With `sent_copy = "server"`, filing also looks for the
//! server's own Sent copy (for at most `verify::WINDOW`) and warns when the server rewrote From.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use super::policy_gate::Current;
use crate::backend::{Backend, FlagChange};
use crate::config::{Account, Config, SendMode, SendRoute, SentCopy};
use crate::mail::compose::{Outgoing, sent_copy};
use crate::message::{Envelope, Flags};
use crate::policy::identity::SendIdentity;
use crate::smtp::submit::MarkError;
use crate::smtp::verify::{self, Verified};
use crate::store::audit::{AuditLog, Record};
use crate::store::outbox::{Entry, Outbox, State};

/// How one delivery attempt ended.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "result", rename_all = "kebab-case")]
pub enum Outcome {
    /// Delivered and filed. `warning` (terminal-safe, one line): the server rewrote From
    /// (seen in its own Sent copy, `sent_copy = "server"` only); the mail did go out.
    Sent {
        message_id: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        warning: Option<String>,
    },
    /// Delivered; filing failed and will be retried (never the delivery).
    Submitted { message_id: String, error: String },
    /// Not delivered yet; retried later.
    Deferred { message_id: String, error: String },
    /// Refused; kept in the outbox, visible, not retried on its own.
    Failed { message_id: String, error: String },
    /// The whole message went out and no reply was recorded (now, or by an earlier attempt
    /// that was interrupted): it may have been delivered. Kept in the outbox and never sent
    /// again unless forced (`outbox --retry ID --force`).
    Uncertain { message_id: String, error: String },
    /// Another mailroom (the TUI, or a command in another terminal) is delivering it now.
    Busy { message_id: String },
}

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error("outbox: {0}")]
    Store(#[from] crate::store::CacheError),
    #[error("account {0:?}: {1}")]
    Account(String, String),
}

/// Which entries a delivery attempt may send that are not simply due.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Retry {
    /// Entries the server refused (`failed`).
    pub failed: bool,
    /// Entries whose delivery is `uncertain`: the agent decided to send them again.
    pub uncertain: bool,
}

/// What the pipeline works with.
pub struct Context<'a> {
    pub config: &'a Config,
    pub outbox: &'a Outbox,
    pub audit: &'a AuditLog,
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Seconds before the next try after `attempts` failures: 30 s doubling, at most an hour.
pub fn backoff(attempts: u32) -> i64 {
    (30i64 << attempts.saturating_sub(1).min(7)).min(3600)
}

/// Stores a built message in the outbox; nothing is transmitted yet.
pub fn queue(
    ctx: &Context<'_>,
    account: &Account,
    identity: &SendIdentity,
    message: &Outgoing,
    reply_to_uid: Option<u32>,
) -> Result<String, PipelineError> {
    queue_draft(ctx, account, identity, message, reply_to_uid, None)
}

/// [`queue`] for a message sent from a draft of the compose pane: the entries of earlier
/// attempts at that draft that were refused (`failed`) are removed once the new one is safely
/// queued, so a corrected draft sent again leaves one entry, not a stale failure beside it.
pub fn queue_draft(
    ctx: &Context<'_>,
    account: &Account,
    identity: &SendIdentity,
    message: &Outgoing,
    reply_to_uid: Option<u32>,
    draft_id: Option<&str>,
) -> Result<String, PipelineError> {
    let entry = Entry {
        draft_id: draft_id.map(str::to_string),
        account: account.name.clone(),
        agent: ctx.config.agent.id.clone(),
        envelope: envelope(identity, message),
        policy: super::policy_gate::stamp(ctx.config, account),
        reply_to_uid,
        created: now(),
        attempts: 0,
        state: State::Queued,
    };
    let id = ctx.outbox.enqueue(&entry, &message.raw)?;
    if let Some(draft) = draft_id {
        for (old, e) in ctx.outbox.list() {
            if old != id
                && let Ok(e) = e
                && e.draft_id.as_deref() == Some(draft)
                && matches!(e.state, State::Failed { .. })
            {
                // Best effort: a refused entry left behind is visible and removable by hand.
                let _ = ctx.outbox.remove(&old);
            }
        }
    }
    Ok(id)
}

/// The envelope of a message built as `identity`: what the outbox entry and
/// every audit record of it carry.
fn envelope(identity: &SendIdentity, message: &Outgoing) -> Envelope {
    Envelope {
        // The mode of the identity built (what the message is), whatever the account says now.
        mode: match identity.sender {
            Some(_) => SendMode::OnBehalf,
            None => SendMode::As,
        }
        .as_str()
        .to_string(),
        from: identity.from.clone(),
        sender: identity.sender.clone(),
        mail_from: message.mail_from.clone(),
        recipients: message.recipients.clone(),
        message_id: message.message_id.clone(),
        subject: message.subject.clone(),
    }
}

/// The account's Sent folder name, if it has one.
fn sent_folder(account: &Account) -> Option<&str> {
    account
        .imap
        .as_ref()
        .and_then(|i| i.sent.as_deref())
        .or_else(|| account.maildir.as_ref().and_then(|m| m.sent.as_deref()))
}

fn inbox(account: &Account) -> Option<&str> {
    account
        .imap
        .as_ref()
        .map(|i| i.mailbox.as_str())
        .or_else(|| account.maildir.as_ref().map(|m| m.mailbox.as_str()))
}

fn backend(account: &Account) -> Result<Box<dyn Backend>, String> {
    super::open_backend(account)
        .map(|(b, _)| b)
        .map_err(|e| e.to_string())
}

/// Runs a delivery attempt for one outbox entry (or resumes its filing): the first attempt
/// right after [`queue`], checked against the kept copy of the team policy.
pub fn deliver(ctx: &Context<'_>, id: &str, retry_failed: bool) -> Result<Outcome, PipelineError> {
    let retry = Retry {
        failed: retry_failed,
        uncertain: false,
    };
    deliver_checked(ctx, id, retry, &mut Current::kept())
}

/// What the Sent folder says about an uncertain entry's Message-ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SentCheck {
    /// A copy with that Message-ID is in this folder: the server did take the message.
    Found(String),
    /// No copy in this folder.
    Absent(String),
    /// The account has no Sent folder configured.
    NoFolder,
    /// The folder could not be searched (terminal-safe, one line).
    Unknown(String),
}

/// Looks for `message_id` in the account's Sent folder (`sent_copy = "server"`: the server's
/// own copy, written when it accepted the message).
pub fn sent_check(config: &Config, account: &str, message_id: &str) -> SentCheck {
    let Some(account) = config.accounts.iter().find(|a| a.name == account) else {
        return SentCheck::Unknown("the account is no longer configured".into());
    };
    let Some(folder) = sent_folder(account) else {
        return SentCheck::NoFolder;
    };
    let found = backend(account).and_then(|mut b| {
        b.find_message_id(folder, message_id)
            .map_err(|e| e.to_string())
    });
    match found {
        Ok(Some(_)) => SentCheck::Found(folder.to_string()),
        Ok(None) => SentCheck::Absent(folder.to_string()),
        Err(e) => SentCheck::Unknown(crate::sanitize::single_line(&e)),
    }
}

/// Whether the account's Sent folder holds a copy with this Message-ID (errors: no).
fn in_sent(account: &Account, message_id: &str) -> bool {
    sent_folder(account).is_some_and(|folder| {
        backend(account)
            .is_ok_and(|mut b| matches!(b.find_message_id(folder, message_id), Ok(Some(_))))
    })
}

/// [`deliver`] with the choice of what may be sent again; a retry: the message is checked
/// again against the team policy in force, read from the server (`engine::policy_gate`).
pub fn deliver_with(ctx: &Context<'_>, id: &str, retry: Retry) -> Result<Outcome, PipelineError> {
    deliver_checked(ctx, id, retry, &mut Current::from_server())
}

fn deliver_checked(
    ctx: &Context<'_>,
    id: &str,
    retry: Retry,
    policy: &mut Current,
) -> Result<Outcome, PipelineError> {
    let retry_failed = retry.failed;
    let Some(_claim) = ctx.outbox.claim(id)? else {
        let message_id = ctx
            .outbox
            .load(id)
            .map(|(e, _)| e.envelope.message_id)
            .unwrap_or_default();
        return Ok(Outcome::Busy { message_id });
    };
    // Read after claiming: the state may have moved while another process held it.
    let (mut entry, raw) = ctx.outbox.load(id)?;
    let account = ctx
        .config
        .accounts
        .iter()
        .find(|a| a.name == entry.account)
        .ok_or_else(|| {
            PipelineError::Account(
                entry.account.clone(),
                "no such account in the configuration".into(),
            )
        })?;
    let message_id = entry.envelope.message_id.clone();
    match entry.state.clone() {
        State::Failed { error } if !retry_failed => {
            return Ok(Outcome::Failed { message_id, error });
        }
        State::Submitted => return file(ctx, account, id, &entry, &raw),
        State::Uncertain { error, .. } if !retry.uncertain => {
            // Known delivered only when the server's Sent folder has it; otherwise the agent
            // decides. Nothing is transmitted here.
            if in_sent(account, &message_id) {
                entry.state = State::Submitted;
                ctx.outbox.save(id, &entry)?;
                return file(ctx, account, id, &entry, &raw);
            }
            let error = error.unwrap_or_else(|| {
                "the attempt was interrupted after the message data went out, before the \
                 server's reply"
                    .to_string()
            });
            return Ok(Outcome::Uncertain { message_id, error });
        }
        // An attempt cut short before its data was complete (or recorded by an older version
        // that did not mark the final dot): if the Sent folder has the message (the server's
        // own copy, or ours), it was delivered.
        State::Sending if in_sent(account, &message_id) => {
            entry.state = State::Submitted;
            ctx.outbox.save(id, &entry)?;
            return file(ctx, account, id, &entry, &raw);
        }
        _ => {}
    }
    if account.send == SendMode::None {
        let error = format!("account {:?} has send = \"none\"", account.name);
        entry.state = State::Failed {
            error: error.clone(),
        };
        ctx.outbox.save(id, &entry)?;
        return Ok(Outcome::Failed { message_id, error });
    }
    if let Some(error) = policy.hold(account, &entry) {
        entry.state = State::Failed {
            error: error.clone(),
        };
        ctx.outbox.save(id, &entry)?;
        audit(ctx, &entry, error.clone());
        return Ok(Outcome::Failed { message_id, error });
    }
    entry.attempts += 1;
    entry.state = State::Sending;
    ctx.outbox.save(id, &entry)?;
    let server = route_name(account);
    let mut marked = entry.clone();
    let mut mark = || -> Result<(), MarkError> {
        marked.state = State::Uncertain {
            since: now(),
            server: server.clone(),
            error: None,
        };
        ctx.outbox.save(id, &marked).map_err(MarkError::from)
    };
    match transmit(account, &entry.envelope, &raw, &mut mark) {
        Ok(()) => {
            entry.state = State::Submitted;
            ctx.outbox.save(id, &entry)?;
            file(ctx, account, id, &entry, &raw)
        }
        Err(Failure::Temporary(error)) => {
            entry.state = State::Deferred {
                error: error.clone(),
                retry_at: now() + backoff(entry.attempts),
            };
            ctx.outbox.save(id, &entry)?;
            audit(ctx, &entry, format!("deferred: {error}"));
            Ok(Outcome::Deferred { message_id, error })
        }
        Err(Failure::Permanent(error)) => {
            entry.state = State::Failed {
                error: error.clone(),
            };
            ctx.outbox.save(id, &entry)?;
            audit(ctx, &entry, format!("refused: {error}"));
            Ok(Outcome::Failed { message_id, error })
        }
        Err(Failure::Uncertain(error)) => {
            entry.state = State::Uncertain {
                since: match marked.state {
                    State::Uncertain { since, .. } => since,
                    _ => now(),
                },
                server: route_name(account),
                error: Some(error.clone()),
            };
            ctx.outbox.save(id, &entry)?;
            audit(ctx, &entry, format!("uncertain: {error}"));
            Ok(Outcome::Uncertain { message_id, error })
        }
    }
}

enum Failure {
    Temporary(String),
    Permanent(String),
    /// The message went out whole and no reply was recorded.
    Uncertain(String),
}

/// Where the account's mail goes, for the outbox: `host:port` of its SMTP server, or the
/// sendmail command.
fn route_name(account: &Account) -> String {
    match account.send_route() {
        Some(SendRoute::Smtp(smtp)) => crate::net::Server {
            host: smtp.host.clone(),
            port: smtp.port(),
        }
        .to_string(),
        Some(SendRoute::Sendmail(s)) => format!("sendmail command {:?}", s.command),
        Some(SendRoute::File(f)) => format!("folder {}", f.dir.display()),
        None => String::new(),
    }
}

/// Transmits the message; `mark` records, durably, that from now on the server may have it
/// (right before SMTP's final dot, or before a sendmail command is started). A failed `mark`
/// stops the transmission before that point.
fn transmit(
    account: &Account,
    envelope: &Envelope,
    raw: &[u8],
    mark: &mut dyn FnMut() -> Result<(), MarkError>,
) -> Result<(), Failure> {
    match account.send_route() {
        Some(SendRoute::Smtp(smtp)) => {
            let outgoing = Outgoing {
                raw: raw.to_vec(),
                mail_from: envelope.mail_from.clone(),
                recipients: envelope.recipients.clone(),
                message_id: envelope.message_id.clone(),
                subject: envelope.subject.clone(),
            };
            crate::smtp::submit::submit_marked(&account.name, smtp, &outgoing, mark)
                .map(|_| ())
                .map_err(|e| match e {
                    crate::smtp::submit::SubmitError::Temporary(e) => {
                        Failure::Temporary(e.to_string())
                    }
                    crate::smtp::submit::SubmitError::Permanent(e) => {
                        Failure::Permanent(e.to_string())
                    }
                    crate::smtp::submit::SubmitError::Uncertain(e) => {
                        Failure::Uncertain(e.to_string())
                    }
                })
        }
        Some(SendRoute::Sendmail(s)) => {
            // The command may deliver whatever it is given, even cut short by our end.
            mark().map_err(|e| {
                Failure::Temporary(format!(
                    "not sent: the outbox could not record the delivery: {e}"
                ))
            })?;
            sendmail(&s.command, envelope, raw)
        }
        Some(SendRoute::File(f)) => {
            // The demo's "server": one .eml per message, named by a hash of its Message-ID.
            let name = format!(
                "{}.eml",
                &crate::hash::hashed_name("sent-file", &[envelope.message_id.as_bytes()])[..32]
            );
            std::fs::create_dir_all(&f.dir)
                .and_then(|_| std::fs::write(f.dir.join(name), raw))
                .map_err(|e| {
                    Failure::Temporary(format!("cannot write to {}: {e}", f.dir.display()))
                })
        }
        None => Err(Failure::Permanent(
            "the account has no way to send (smtp, sendmail or file)".into(),
        )),
    }
}

/// `command -f MAIL_FROM -- RCPT…` with the message on stdin (msmtp and sendmail both take
/// this); exit 75 (EX_TEMPFAIL) is temporary, any other failure permanent.
fn sendmail(command: &str, envelope: &Envelope, raw: &[u8]) -> Result<(), Failure> {
    // Addresses were validated at build time; quote them anyway for the shell.
    let quote = |s: &str| format!("'{}'", s.replace('\'', "'\\''"));
    let mut line = format!("{command} -f {} --", quote(&envelope.mail_from));
    for r in &envelope.recipients {
        line.push(' ');
        line.push_str(&quote(r));
    }
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(&line)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Failure::Temporary(format!("cannot run {command:?}: {e}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(raw);
    }
    let out = child
        .wait_with_output()
        .map_err(|e| Failure::Temporary(e.to_string()))?;
    if out.status.success() {
        return Ok(());
    }
    let why = format!(
        "{command:?} failed ({}): {}",
        out.status,
        crate::sanitize::single_line(String::from_utf8_lossy(&out.stderr).trim())
    );
    if out.status.code() == Some(75) {
        Err(Failure::Temporary(why))
    } else {
        Err(Failure::Permanent(why))
    }
}

fn audit(ctx: &Context<'_>, entry: &Entry, result: String) {
    let record = Record {
        time: crate::mail::date::rfc3339_utc(now()),
        agent: entry.agent.clone(),
        account: entry.account.clone(),
        envelope: entry.envelope.clone(),
        result,
    };
    // The outbox entry is the source of truth; a failed audit write must not undo a send.
    let _ = ctx.audit.append(&record);
}

/// Files a delivered message: Sent copy, `\Answered`, the check of the server's own Sent
/// copy, audit record; then leaves the outbox.
fn file(
    ctx: &Context<'_>,
    account: &Account,
    id: &str,
    entry: &Entry,
    raw: &[u8],
) -> Result<Outcome, PipelineError> {
    let message_id = entry.envelope.message_id.clone();
    // The server files its copy asynchronously: the window starts at the submission's end.
    let deadline = Instant::now() + verify::WINDOW;
    let verify_in = match account.sent_copy {
        SentCopy::Server => sent_folder(account),
        SentCopy::Append | SentCopy::None => None,
    };
    let result = (|| -> Result<Option<Verified>, String> {
        let needs_copy = account.sent_copy == SentCopy::Append && sent_folder(account).is_some();
        if !needs_copy && verify_in.is_none() && entry.reply_to_uid.is_none() {
            return Ok(None);
        }
        let mut b = match backend(account) {
            Ok(b) => b,
            // Only the check needed the mailbox: the message is out and filed, unverified.
            Err(e) if !needs_copy && entry.reply_to_uid.is_none() => {
                return Ok(Some(Verified::NotVerified(crate::sanitize::single_line(
                    &format!("the Sent folder could not be opened: {e}"),
                ))));
            }
            Err(e) => return Err(e),
        };
        if needs_copy && let Some(folder) = sent_folder(account) {
            // Idempotent: a resumed filing must not store a second copy.
            if b.find_message_id(folder, &message_id)
                .map_err(|e| e.to_string())?
                .is_none()
            {
                b.append(
                    folder,
                    &sent_copy(raw, &entry.agent),
                    Flags {
                        seen: true,
                        ..Flags::default()
                    },
                    &[],
                    Some(now()),
                )
                .map_err(|e| format!("Sent copy: {e}"))?;
            }
        }
        if let (Some(uid), Some(mailbox)) = (entry.reply_to_uid, inbox(account)) {
            let change = FlagChange {
                add_flags: Flags {
                    answered: true,
                    ..Flags::default()
                },
                ..FlagChange::default()
            };
            b.store(mailbox, uid, &change, None)
                .map_err(|e| format!("\\Answered: {e}"))?;
        }
        Ok(verify_in.map(|folder| {
            verify::check(&mut *b, folder, &message_id, &entry.envelope.from, deadline)
        }))
    })();
    match result {
        Ok(verified) => {
            let (result, warning) = match verified {
                Some(Verified::Rewritten(w)) => (format!("sent; {w}"), Some(w)),
                Some(Verified::NotVerified(why)) => {
                    (format!("sent; From not verified: {why}"), None)
                }
                Some(Verified::Unchanged) | None => ("sent".to_string(), None),
            };
            audit(ctx, entry, result);
            ctx.outbox.remove(id)?;
            Ok(Outcome::Sent {
                message_id,
                warning,
            })
        }
        Err(error) => Ok(Outcome::Submitted { message_id, error }),
    }
}

/// Delivers every due entry (queued, sending, submitted, deferred past its time); with
/// `retry_failed`, failed ones too, and uncertain ones are looked up in the Sent folder (filed
/// when found there, never sent again). Uncertain entries are never transmitted here.
pub fn flush(
    ctx: &Context<'_>,
    retry_failed: bool,
    force: bool,
) -> Vec<(String, Result<Outcome, PipelineError>)> {
    let mut out = Vec::new();
    let mut policy = Current::from_server();
    for (id, entry) in ctx.outbox.list() {
        let due = match &entry {
            Ok(e) => match &e.state {
                State::Deferred { retry_at, .. } => force || *retry_at <= now(),
                State::Failed { .. } => retry_failed,
                State::Uncertain { .. } => retry_failed,
                _ => true,
            },
            Err(_) => false,
        };
        if due {
            let retry = Retry {
                failed: retry_failed,
                uncertain: false,
            };
            let r = deliver_checked(ctx, &id, retry, &mut policy);
            out.push((id, r));
        }
    }
    out
}
