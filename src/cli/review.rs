//! `mailroom review ACCOUNT list|show ID|approve ID|return ID --note TEXT [--json]`: the
//! replies the team policy holds for review (see `engine::review`).

use std::io::Write;

use serde::Serialize;

use super::list::{ListError, find_account};
use crate::config::Config;
use crate::engine::pipeline::Outcome;
use crate::engine::review::{self, Held, ItemState, Listed, ReviewError};
use crate::sanitize::{multi_line_bytes, single_line};

#[derive(Debug, thiserror::Error)]
pub enum ReviewCliError {
    #[error(transparent)]
    List(#[from] ListError),
    #[error(transparent)]
    Review(#[from] ReviewError),
    #[error("cannot write the output: {0}")]
    Output(#[from] std::io::Error),
}

/// What the command line asked for.
#[derive(Debug, Clone, clap::Args)]
pub struct ReviewArgs {
    /// The account's `name` from the configuration
    pub account: String,
    #[command(subcommand)]
    pub action: ReviewAction,
    /// Print JSON
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum ReviewAction {
    /// The replies waiting in the review folder: id, UID, author, recipient, age, state,
    /// subject. Replies returned to you go back into your drafts, the note first
    List,
    /// One held reply: who wrote it, where it stands, the message as it would be sent
    Show {
        /// The item's UID in the review folder, or its short id
        id: String,
    },
    /// Send a held reply with your identity (approvers only); one approver wins
    Approve {
        /// The item's UID in the review folder, or its short id
        id: String,
    },
    /// Give a held reply back to its author with a note (approvers only)
    Return {
        /// The item's UID in the review folder, or its short id
        id: String,
        /// Why (shown to the author, first in the draft they get back)
        #[arg(long, value_name = "TEXT", required = true)]
        note: String,
    },
}

fn state_text(state: &ItemState) -> String {
    match state {
        ItemState::Waiting => "waiting".into(),
        ItemState::Approving { by, since } => review::approving_text(by, *since),
        ItemState::Returned { by: Some(by), .. } => format!("returned by {by}"),
        ItemState::Returned { by: None, .. } => "returned".into(),
    }
}

fn row(l: &Listed, now: i64) -> String {
    single_line(&format!(
        "{:<8}  {:>5}  {:<10}  {:<28}  {:>4}  {:<12}  {}",
        l.id,
        l.uid,
        l.author,
        l.to.join(", "),
        crate::mail::date::age(now, l.held),
        state_text(&l.state),
        l.subject
    ))
}

#[derive(Serialize)]
struct ListJson<'a> {
    folder: &'a str,
    items: &'a [Listed],
    returned_to_drafts: &'a [review::TakenBack],
}

#[derive(Serialize)]
struct ShowJson<'a> {
    #[serde(flatten)]
    item: &'a Listed,
    account: &'a str,
    mode: &'a str,
    recipients: &'a [String],
    message: String,
}

/// Runs `mailroom review`; returns whether the action fully succeeded.
pub fn run(config: &Config, args: &ReviewArgs) -> Result<bool, ReviewCliError> {
    let account = find_account(config, &args.account)?;
    let mut out = std::io::stdout().lock();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    match &args.action {
        ReviewAction::List => {
            let (queue, taken) = review::list(config, account)?;
            if args.json {
                super::print_json(
                    &mut out,
                    &ListJson {
                        folder: &queue.folder,
                        items: &queue.items,
                        returned_to_drafts: &taken,
                    },
                )?;
                return Ok(true);
            }
            for t in &taken {
                writeln!(
                    out,
                    "{}",
                    single_line(&format!(
                        "returned to your drafts by {}: {} (note: {})",
                        t.by.as_deref().unwrap_or("an approver"),
                        t.subject,
                        t.note
                    ))
                )?;
            }
            if queue.items.is_empty() {
                writeln!(out, "no replies waiting in {}", single_line(&queue.folder))?;
            }
            for l in &queue.items {
                writeln!(out, "{}", row(l, now))?;
            }
            Ok(true)
        }
        ReviewAction::Show { id } => {
            let (l, i) = review::show(account, id)?;
            if args.json {
                super::print_json(
                    &mut out,
                    &ShowJson {
                        item: &l,
                        account: &i.account,
                        mode: &i.mode,
                        recipients: &i.recipients,
                        message: String::from_utf8_lossy(&i.message).into_owned(),
                    },
                )?;
                return Ok(true);
            }
            writeln!(out, "{}", row(&l, now))?;
            writeln!(
                out,
                "{}",
                single_line(&format!(
                    "author {} ({}), recipients {}",
                    i.author,
                    i.mode,
                    i.recipients.join(", ")
                ))
            )?;
            if let ItemState::Returned { note, .. } = &l.state {
                writeln!(out, "note: {}", single_line(note))?;
            }
            writeln!(out)?;
            out.write_all(multi_line_bytes(&i.message).as_bytes())?;
            Ok(true)
        }
        ReviewAction::Approve { id } => {
            let a = review::approve(config, account, id)?;
            if args.json {
                super::print_json(&mut out, &a)?;
            } else {
                writeln!(
                    out,
                    "{}",
                    single_line(&format!("approved {} (written by {})", a.id, a.author))
                )?;
                super::send::report(&mut out, false, &a.outcome)?;
                if let Some(w) = &a.warning {
                    writeln!(out, "warning: {}", single_line(w))?;
                }
            }
            Ok(matches!(
                a.outcome,
                Outcome::Sent { .. } | Outcome::Submitted { .. }
            ))
        }
        ReviewAction::Return { id, note } => {
            let l = review::return_item(config, account, id, note)?;
            if args.json {
                super::print_json(&mut out, &l)?;
            } else {
                writeln!(
                    out,
                    "{}",
                    single_line(&format!("returned {} to {}", l.id, l.author))
                )?;
            }
            Ok(true)
        }
    }
}

#[derive(Serialize)]
struct HeldJson<'a> {
    result: &'static str,
    #[serde(flatten)]
    held: &'a Held,
}

/// What `mailroom send` says of a reply held for review.
pub fn report_held(out: &mut dyn Write, json: bool, held: &Held) -> std::io::Result<()> {
    if json {
        return super::print_json(
            out,
            &HeldJson {
                result: "held",
                held,
            },
        );
    }
    writeln!(
        out,
        "{}",
        single_line(&format!(
            "held <{}> as {} in {}: {}",
            held.message_id,
            held.id,
            held.folder,
            held.awaiting()
        ))
    )
}
