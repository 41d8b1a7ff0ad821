//! `mailroom list ACCOUNT --search QUERY`: the search language of `:search` (`triage::query`).
//! An IMAP account is searched by its server (`UID SEARCH` on a session of its own, the
//! mailbox EXAMINEd); a Maildir account in its rows, reading a message's text for `body:`
//! (`engine::local::search`, as the column view does); `--offline`, in the cached rows
//! (`body:` is refused there: no message to read).

use std::collections::HashSet;

use super::list::ListError;
use crate::config::{Account, Config, TeamStateSetting};
use crate::imap::connect::{DEFAULT_READ_BUDGET, Target, describe, open_session};
use crate::message::Summary;
use crate::sanitize::single_line;
use crate::triage::query::{self, Context};

/// The agent's time zone for dates: `[insight] timezone_offset` (UTC when unset).
fn offset(config: &Config) -> i32 {
    config
        .insight
        .timezone_offset
        .as_deref()
        .and_then(|t| crate::config::parse_offset(t).ok())
        .unwrap_or(0)
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The rows of `rows` that match `text`, in their order.
pub fn matching(
    config: &Config,
    account: &Account,
    rows: Vec<Summary>,
    text: &str,
    offline: bool,
) -> Result<Vec<Summary>, ListError> {
    let bad = |e: query::QueryError| ListError::Query {
        account: single_line(&account.name),
        reason: e,
    };
    let q = query::parse(text.trim()).map_err(bad)?;
    let team_folders = account
        .imap
        .as_ref()
        .is_some_and(|i| i.team_state == TeamStateSetting::Folders);
    let mut ctx = Context {
        me: Some(config.agent.id.as_str()).filter(|id| !id.is_empty()),
        now: now(),
        offset: offset(config),
        team_folders,
        within: false,
    };
    let imap = match &account.imap {
        Some(imap) if !offline => imap,
        Some(_) => {
            q.check(&ctx, true).map_err(bad)?;
            let mut rows = rows;
            rows.retain(|s| q.matches(s, &ctx));
            return Ok(rows);
        }
        None => {
            q.check(&ctx, false).map_err(bad)?;
            let (mut backend, mailbox) = crate::engine::open_backend(account)?;
            let found: HashSet<u32> = crate::engine::local::search(
                backend.as_mut(),
                &mailbox,
                text,
                &config.agent,
                ctx.offset,
            )
            .map_err(|message| ListError::Search {
                account: single_line(&account.name),
                mailbox: single_line(&mailbox),
                message: single_line(&message),
            })?
            .into_iter()
            .collect();
            let mut rows = rows;
            rows.retain(|s| found.contains(&s.uid));
            return Ok(rows);
        }
    };
    q.check(&ctx, false).map_err(bad)?;
    let failed = |message: String| ListError::Search {
        account: single_line(&account.name),
        mailbox: single_line(&imap.mailbox),
        message: single_line(&message),
    };
    let mut conn = open_session(&Target {
        account: &account.name,
        config: imap,
    })?;
    conn.budget.grant(DEFAULT_READ_BUDGET);
    conn.session
        .examine(crate::mail::utf7::encode(&imap.mailbox))
        .map_err(|e| failed(format!("EXAMINE: {}", describe(&e))))?;
    ctx.within = conn.has("WITHIN");
    let criteria = q.imap_criteria(&ctx).map_err(bad)?;
    conn.budget.grant(DEFAULT_READ_BUDGET);
    let found: HashSet<u32> = conn
        .session
        .uid_search(&criteria.0)
        .map_err(|e| failed(format!("UID SEARCH: {}", describe(&e))))?;
    let _ = conn.session.logout();
    let mut rows = rows;
    rows.retain(|s| found.contains(&s.uid));
    Ok(rows)
}
