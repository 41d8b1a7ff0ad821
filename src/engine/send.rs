//! Sending from the column view: queue the composed message and try it once, the pipeline
//! `mailroom send` uses (see [`super::pipeline`]).

use crate::config::Config;
use crate::engine::pipeline::{self, Outcome};
use crate::mail::compose::Outgoing;
use crate::policy::identity::SendIdentity;
use crate::store::audit::AuditLog;
use crate::store::outbox::Outbox;

/// Queues a message and tries it once (on the calling thread: the UI's sending job). Once it
/// is safely in the outbox and not refused, its draft is deleted.
pub fn send(
    config: &Config,
    account_idx: usize,
    identity: &SendIdentity,
    outgoing: &Outgoing,
    reply_uid: Option<u32>,
    draft_id: &str,
) -> Result<Outcome, String> {
    // The team policy the pane built under (the copy the account's worker keeps up to date).
    let config = &super::policy_gate::narrowed(config, account_idx);
    let account = config
        .accounts
        .get(account_idx)
        .ok_or("the account is no longer configured")?;
    let (Some(dir), Some(audit)) = (Outbox::default_dir(), AuditLog::default_path()) else {
        return Err("no data directory could be determined (set $HOME or $XDG_DATA_HOME)".into());
    };
    let (outbox, audit) = (Outbox::new(dir), AuditLog::new(audit));
    let ctx = pipeline::Context {
        config,
        outbox: &outbox,
        audit: &audit,
    };
    let queued =
        pipeline::queue_draft(&ctx, account, identity, outgoing, reply_uid, Some(draft_id))
            .map_err(|e| e.to_string())?;
    // Queued: the outbox owns the message now; what follows is its first attempt.
    let outcome = pipeline::deliver(&ctx, &queued, false).map_err(|e| e.to_string())?;
    if !matches!(outcome, Outcome::Failed { .. }) {
        let _ = super::drafts::remove(draft_id);
    }
    Ok(outcome)
}
