//! `mailroom send`: the compose pane's policy, from the command line (`mailroom outbox` is in
//! `cli::outbox`).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::Serialize;

use super::list::{ListError, find_account};
use super::send_policy;
use crate::config::{Account, Config};
use crate::engine::pipeline::{self, Context, Outcome};
use crate::engine::{self, reply::Kind, reply::Letter};
use crate::mail::compose::{self, Attachment, Outgoing};
use crate::mail::{header, reply};
use crate::policy::identity;
use crate::sanitize;
use crate::store::audit::AuditLog;
use crate::store::outbox::Outbox;

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error(transparent)]
    List(#[from] ListError),
    #[error(transparent)]
    Refused(#[from] identity::Refusal),
    /// `mailroom outbox --retry ID` names no entry (`id` is already one sanitized line).
    #[error("no message {id:?} in the outbox (see `mailroom outbox`)")]
    NotInOutbox { id: String },
    #[error(transparent)]
    Header(#[from] header::HeaderError),
    #[error(transparent)]
    Compose(#[from] compose::ComposeError),
    #[error(transparent)]
    Pipeline(#[from] pipeline::PipelineError),
    #[error(transparent)]
    Prepare(#[from] reply::PrepareError),
    #[error(transparent)]
    Build(#[from] engine::reply::BuildError),
    #[error("{path}: {source}")]
    File {
        path: String,
        source: std::io::Error,
    },
    #[error("no data directory could be determined (set $HOME or $XDG_DATA_HOME)")]
    NoDataDir,
    #[error("cannot write the output: {0}")]
    Output(#[from] std::io::Error),
}

/// What the command line asked for (`mailroom send`).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SendArgs {
    /// The account's `name` from the configuration
    pub account: String,
    /// Recipient (repeatable; comma-separated lists work too; "Name <addr>" keeps a name)
    #[arg(long, value_name = "ADDR")]
    pub to: Vec<String>,
    /// Copy recipient (repeatable)
    #[arg(long, value_name = "ADDR")]
    pub cc: Vec<String>,
    /// Blind copy: envelope only, never in any header (repeatable)
    #[arg(long, value_name = "ADDR")]
    pub bcc: Vec<String>,
    /// Subject (with --reply, defaults to "Re: " and the original's)
    #[arg(long, value_name = "TEXT")]
    pub subject: Option<String>,
    /// Answer the message with this UID: quote it, thread it, pick the identity from the
    /// address it reached, and mark it answered
    #[arg(long, value_name = "UID")]
    pub reply: Option<u32>,
    /// Send from this address (the account's address or one of its aliases)
    #[arg(long, value_name = "ADDR")]
    pub from: Option<String>,
    /// The new text ("-" reads standard input); the signature is added by policy
    #[arg(long, value_name = "FILE")]
    pub body_file: Option<PathBuf>,
    /// Attach a file (repeatable)
    #[arg(long, value_name = "PATH")]
    pub attach: Vec<PathBuf>,
    /// Print the exact message and envelope; send nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Print the outcome (or the dry run) as JSON
    #[arg(long)]
    pub json: bool,
}

pub(super) fn stores() -> Result<(Outbox, AuditLog), SendError> {
    let outbox = Outbox::default_dir().ok_or(SendError::NoDataDir)?;
    let audit = AuditLog::default_path().ok_or(SendError::NoDataDir)?;
    Ok((Outbox::new(outbox), AuditLog::new(audit)))
}

fn read_body(path: Option<&Path>) -> Result<String, SendError> {
    let Some(path) = path else {
        return Ok(String::new());
    };
    let mut bytes = Vec::new();
    let result = if path == Path::new("-") {
        std::io::stdin().read_to_end(&mut bytes).map(|_| ())
    } else {
        std::fs::File::open(path)
            .and_then(|mut f| f.read_to_end(&mut bytes))
            .map(|_| ())
    };
    result.map_err(|source| SendError::File {
        path: path.display().to_string(),
        source,
    })?;
    Ok(String::from_utf8_lossy(&bytes).replace("\r\n", "\n"))
}

fn attachments(paths: &[PathBuf]) -> Result<Vec<Attachment>, SendError> {
    paths
        .iter()
        .map(|p| {
            reply::load_attachment(p).map_err(|source| SendError::File {
                path: p.display().to_string(),
                source,
            })
        })
        .collect()
}

/// Policy and building, shared by `--dry-run` and a real send (and, through
/// `engine::reply`, with the compose pane): the identity, the message and why policy chose the
/// identity (replies without `--from`).
fn prepare(
    config: &Config,
    account: &Account,
    args: &SendArgs,
) -> Result<(identity::SendIdentity, Outgoing, Option<identity::Reason>), SendError> {
    let mut letter = Letter {
        to: reply::addresses("To", &args.to)?,
        cc: reply::addresses("Cc", &args.cc)?,
        bcc: reply::addresses("Bcc", &args.bcc)?,
        subject: args.subject.clone().unwrap_or_default(),
        attachments: attachments(&args.attach)?,
        ..Letter::default()
    };
    header::check_value("Subject", &letter.subject)?;
    letter.text = read_body(args.body_file.as_deref())?;
    let (kind, original, text) = match args.reply {
        Some(uid) => {
            let raw = super::show::fetch_raw(config, &account.name, uid)?;
            let (original, text) = engine::reply::original_from_raw(uid, &raw);
            (Kind::Reply, Some(original), Some(text))
        }
        None => (Kind::New, None, None),
    };
    let mut plan = engine::reply::plan(config, account, kind, original, text.as_deref());
    if letter.to.is_empty() {
        letter.to = std::mem::take(&mut plan.to);
    }
    if args.subject.is_none() && kind == Kind::Reply {
        letter.subject = std::mem::take(&mut plan.subject);
        header::check_value("Subject", &letter.subject)?;
    }
    if let Some(from) = &args.from {
        plan.choose(account, config, from)?;
    }
    let chosen = plan.chosen.clone()?;
    let outgoing = engine::reply::build(&plan, letter, SystemTime::now())?;
    Ok((chosen.identity, outgoing, chosen.reason))
}

#[derive(Serialize)]
struct DryRun<'a> {
    mail_from: &'a str,
    recipients: &'a [String],
    message_id: &'a str,
    identity_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    policy: Option<&'a send_policy::Enforced>,
    message: String,
}

/// `--json` of a send: the outcome, and the team policy enforced when there is one.
#[derive(Serialize)]
struct Done<'a> {
    #[serde(flatten)]
    outcome: &'a Outcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    policy: Option<&'a send_policy::Enforced>,
}

/// `mailroom send`; returns whether the message was delivered.
pub fn run(config: &Config, args: &SendArgs) -> Result<bool, SendError> {
    find_account(config, &args.account)?;
    // The team policy wins where it speaks: applied before anything is built.
    let (config, policy) = send_policy::enforce(config, &args.account, &mut std::io::stderr());
    let (config, policy) = (&config, policy.as_ref());
    let account = find_account(config, &args.account)?;
    let (id, outgoing, why) = prepare(config, account, args)?;
    let mut out = std::io::stdout().lock();
    if args.dry_run {
        if args.json {
            let v = DryRun {
                mail_from: &outgoing.mail_from,
                recipients: &outgoing.recipients,
                message_id: &outgoing.message_id,
                identity_reason: why.as_ref().map(ToString::to_string),
                policy,
                message: String::from_utf8_lossy(&outgoing.raw).into_owned(),
            };
            super::print_json(&mut out, &v)?;
        } else {
            writeln!(
                out,
                "MAIL FROM:<{}>",
                sanitize::single_line(&outgoing.mail_from)
            )?;
            for r in &outgoing.recipients {
                writeln!(out, "RCPT TO:<{}>", sanitize::single_line(r))?;
            }
            if let Some(w) = &why {
                writeln!(out, "# identity: {}", sanitize::single_line(&w.to_string()))?;
            }
            writeln!(out)?;
            out.write_all(sanitize::multi_line_bytes(&outgoing.raw).as_bytes())?;
        }
        return Ok(true);
    }
    let (outbox, audit) = stores()?;
    let ctx = Context {
        config,
        outbox: &outbox,
        audit: &audit,
    };
    let queued = pipeline::queue(&ctx, account, &id, &outgoing, args.reply)?;
    let outcome = pipeline::deliver(&ctx, &queued, false)?;
    if args.json {
        super::print_json(
            &mut out,
            &Done {
                outcome: &outcome,
                policy,
            },
        )?;
    } else {
        report(&mut out, false, &outcome)?;
    }
    Ok(matches!(
        outcome,
        Outcome::Sent { .. } | Outcome::Submitted { .. }
    ))
}

pub(super) fn report(out: &mut dyn Write, json: bool, outcome: &Outcome) -> std::io::Result<()> {
    if json {
        return super::print_json(out, outcome);
    }
    let line = match outcome {
        Outcome::Sent {
            message_id,
            warning: None,
        } => format!("sent <{message_id}>"),
        Outcome::Sent {
            message_id,
            warning: Some(w),
        } => format!("sent <{message_id}>; warning: {w}"),
        Outcome::Submitted { message_id, error } => {
            format!("sent <{message_id}>; filing will be retried: {error}")
        }
        Outcome::Deferred { message_id, error } => {
            format!("queued <{message_id}>, will retry: {error}")
        }
        Outcome::Busy { message_id } => {
            format!("<{message_id}> is being delivered by another mailroom")
        }
        Outcome::Failed { message_id, error } => {
            format!("refused <{message_id}>, kept in the outbox: {error}")
        }
        Outcome::Uncertain { message_id, error } => format!(
            "uncertain <{message_id}>: it may or may not have been delivered ({error}); kept in \
             the outbox and not sent again (see `mailroom outbox`)"
        ),
    };
    writeln!(out, "{}", sanitize::single_line(&line))
}
