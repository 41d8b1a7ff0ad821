//! `mailroom outbox`: what waits in the outbox, in which state, and what it needs; `--retry`
//! sends what can be sent, and `--retry ID --force` an entry whose delivery is uncertain.

use std::io::Write;

use super::send::{SendError, report, stores};
use crate::config::Config;
use crate::engine::pipeline::{self, Context, Retry, SentCheck};
use crate::sanitize;
use crate::store::outbox::{Entry, EntryError, Listed, State};

/// What the command line asked for (`mailroom outbox`).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct OutboxArgs {
    /// Try every message again now, failed ones included (uncertain ones are only looked up in
    /// the Sent folder); with ID, only that message
    #[arg(long)]
    pub retry: bool,
    /// With --retry: the entry to send (its id from the listing, or its Message-ID)
    #[arg(value_name = "ID", requires = "retry")]
    pub id: Option<String>,
    /// With --retry ID: send an uncertain message again (it may then arrive twice)
    #[arg(long, requires = "id")]
    pub force: bool,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

/// `mailroom outbox`; returns whether nothing needs attention (no failed or uncertain message,
/// no damaged or orphaned entry, a readable outbox).
pub fn outbox(config: &Config, args: &OutboxArgs) -> Result<bool, SendError> {
    let (outbox, audit) = stores()?;
    let ctx = Context {
        config,
        outbox: &outbox,
        audit: &audit,
    };
    let mut out = std::io::stdout().lock();
    let mut ok = true;
    if args.retry {
        let results = match &args.id {
            Some(wanted) => {
                let id = find(&outbox.list(), wanted).ok_or_else(|| SendError::NotInOutbox {
                    id: sanitize::single_line(wanted),
                })?;
                let retry = Retry {
                    failed: true,
                    uncertain: args.force,
                };
                let r = pipeline::deliver_with(&ctx, &id, retry);
                vec![(id, r)]
            }
            None => pipeline::flush(&ctx, true, true),
        };
        for (_, r) in &results {
            match r {
                Ok(o) => report(&mut out, args.json, o)?,
                Err(e) => {
                    ok = false;
                    writeln!(out, "error: {}", sanitize::single_line(&e.to_string()))?;
                }
            }
        }
    }
    let entries = match outbox.scan() {
        Ok(entries) => entries,
        Err(e) => {
            // Never "empty": a message may be waiting in it.
            eprintln!("{}", sanitize::single_line(&e.to_string()));
            return Ok(false);
        }
    };
    let checks: Vec<Option<SentCheck>> = entries
        .iter()
        .map(|(_, e)| match e {
            Ok(
                e @ Entry {
                    state: State::Uncertain { .. },
                    ..
                },
            ) => Some(pipeline::sent_check(
                config,
                &e.account,
                &e.envelope.message_id,
            )),
            _ => None,
        })
        .collect();
    if args.json {
        let v: Vec<serde_json::Value> = entries
            .iter()
            .zip(&checks)
            .map(|((id, e), check)| json_line(&outbox, id, e, check.as_ref()))
            .collect();
        super::print_json(&mut out, &v)?;
    } else if entries.is_empty() {
        writeln!(out, "the outbox is empty")?;
    } else {
        for ((id, e), check) in entries.iter().zip(&checks) {
            let line = match e {
                Ok(e) => format!(
                    "{id}  {:<9}  {}  {}  attempts {}  {}",
                    state_name(&e.state),
                    e.account,
                    e.envelope.subject,
                    e.attempts,
                    detail(config, &outbox, id, e, check.as_ref())
                ),
                Err(err) => format!("{id}  {err}"),
            };
            writeln!(out, "{}", sanitize::single_line(&line))?;
        }
    }
    ok &= !entries
        .iter()
        .any(|(id, e)| needs_attention(&outbox, id, e));
    Ok(ok)
}

/// The entry `wanted` names: its outbox id, or its Message-ID (with or without `<>`).
fn find(entries: &[Listed], wanted: &str) -> Option<String> {
    let mid = wanted.trim().trim_start_matches('<').trim_end_matches('>');
    entries
        .iter()
        .find(|(id, e)| {
            id == wanted
                || e.as_ref()
                    .is_ok_and(|e| !mid.is_empty() && e.envelope.message_id == mid)
        })
        .map(|(id, _)| id.clone())
}

fn needs_attention(
    outbox: &crate::store::outbox::Outbox,
    id: &str,
    e: &Result<Entry, EntryError>,
) -> bool {
    match e {
        Err(_) => true,
        Ok(e) => match e.state {
            State::Failed { .. } => true,
            // Still waiting for its reply in another mailroom: not (yet) a decision to make.
            State::Uncertain { .. } => !outbox.in_progress(id),
            _ => false,
        },
    }
}

pub fn state_name(s: &State) -> &'static str {
    match s {
        State::Queued => "queued",
        State::Sending => "sending",
        State::Uncertain { .. } => "uncertain",
        State::Submitted => "submitted",
        State::Deferred { .. } => "deferred",
        State::Failed { .. } => "failed",
    }
}

fn sent_text(config: &Config, account: &str, check: Option<&SentCheck>) -> String {
    let appends = config
        .accounts
        .iter()
        .find(|a| a.name == account)
        .is_some_and(|a| a.sent_copy == crate::config::SentCopy::Append);
    match check {
        // mailroom's own copy is stored only after the server's OK: no copy proves nothing.
        Some(SentCheck::Absent(folder)) if appends => format!(
            "no copy with this Message-ID in {folder} (none is expected: this account stores \
             its Sent copy itself, after the server's OK)"
        ),
        Some(SentCheck::Found(folder)) => {
            format!("a copy with this Message-ID IS in {folder} (the server took it)")
        }
        Some(SentCheck::Absent(folder)) => format!("no copy with this Message-ID in {folder}"),
        Some(SentCheck::NoFolder) => "no Sent folder configured to look in".to_string(),
        Some(SentCheck::Unknown(why)) => format!("the Sent folder could not be searched: {why}"),
        None => "the Sent folder was not searched".to_string(),
    }
}

fn detail(
    config: &Config,
    outbox: &crate::store::outbox::Outbox,
    id: &str,
    e: &Entry,
    check: Option<&SentCheck>,
) -> String {
    match &e.state {
        State::Deferred { error, retry_at } => format!(
            "retry at {}: {error}",
            crate::mail::date::rfc3339_utc(*retry_at)
        ),
        State::Failed { error } => error.clone(),
        State::Uncertain {
            since,
            server,
            error,
        } => {
            if outbox.in_progress(id) {
                return format!(
                    "Message-ID <{}>: being delivered by another mailroom, waiting for {server}'s reply",
                    e.envelope.message_id
                );
            }
            format!(
                "may have been delivered: the message data went out to {server} at {} and no \
                 reply was recorded ({}); Message-ID <{}>; {}; not sent again unless: mailroom \
                 outbox --retry {id} --force",
                crate::mail::date::rfc3339_utc(*since),
                error.as_deref().unwrap_or("the attempt was interrupted"),
                e.envelope.message_id,
                sent_text(config, &e.account, check)
            )
        }
        _ => String::new(),
    }
}

fn json_line(
    outbox: &crate::store::outbox::Outbox,
    id: &str,
    e: &Result<Entry, EntryError>,
    check: Option<&SentCheck>,
) -> serde_json::Value {
    match e {
        Ok(entry) => {
            let mut v = serde_json::json!({ "id": id, "entry": entry });
            if let Some(check) = check {
                let (found, folder, error) = match check {
                    SentCheck::Found(f) => (Some(true), Some(f.as_str()), None),
                    SentCheck::Absent(f) => (Some(false), Some(f.as_str()), None),
                    SentCheck::NoFolder => (None, None, None),
                    SentCheck::Unknown(why) => (None, None, Some(why.as_str())),
                };
                v["sent_copy"] = serde_json::json!({
                    "found": found,
                    "folder": folder,
                    "error": error,
                });
                v["in_progress"] = serde_json::json!(outbox.in_progress(id));
            }
            v
        }
        Err(err) => {
            let mut v = serde_json::json!({ "id": id, "error": err.to_string() });
            match err {
                EntryError::OrphanMessage { eml, .. } => {
                    v["orphan"] = serde_json::json!("message");
                    v["path"] = serde_json::json!(eml.display().to_string());
                }
                EntryError::OrphanState { json, .. } => {
                    v["orphan"] = serde_json::json!("state");
                    v["path"] = serde_json::json!(json.display().to_string());
                }
                EntryError::Damaged(_) => {}
            }
            v
        }
    }
}
