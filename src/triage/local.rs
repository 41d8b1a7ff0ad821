//! Applying a triage action to a message in a local folder (Maildir, the demo workspace):
//! one user's folder, so there is no race to lose; the change is stored and read back.

use super::act::{ActError, Applied, MappingKind};
use super::state::{self, Action, TriageError};
use crate::backend::Backend;
use crate::backend::maildir::MaildirBackend;
use crate::config::Account;
use crate::mail::{note, snooze};

fn keywords_of(b: &mut dyn Backend, mailbox: &str, uid: u32) -> Result<Vec<String>, ActError> {
    let mut found = None;
    b.summaries(mailbox, uid, &mut |rows| {
        if found.is_none() {
            found = rows
                .into_iter()
                .find(|r| r.uid == uid)
                .map(|r| r.keywords.to_vec());
        }
    })
    .map_err(|e| ActError::Server(e.to_string()))?;
    found.ok_or(ActError::NoMessage(uid))
}

/// Applies `action` by agent `me` to message `uid` of `mailbox` and reads the result back.
pub fn apply_backend(
    b: &mut dyn Backend,
    mailbox: &str,
    uid: u32,
    action: &Action,
    me: &str,
) -> Result<Applied, ActError> {
    let keywords = keywords_of(b, mailbox, uid)?;
    let before = state::state(&keywords);
    let change = state::change_for(action, me, &keywords).map_err(|e| match e {
        TriageError::ClaimedBy(winner) => ActError::Lost { winner },
        other => ActError::Triage(other),
    })?;
    b.store(mailbox, uid, &change, None)
        .map_err(|e| ActError::Server(e.to_string()))?;
    let after = state::state(&keywords_of(b, mailbox, uid)?);
    Ok(Applied {
        uid,
        action: action.name(),
        before,
        after,
        rounds: 1,
        mapping: MappingKind::Keywords,
        moved_to: None,
        modseq: None,
    })
}

/// A snooze's record, written before its keyword (`mail::snooze`), to the notes folder of
/// the account's Maildir; nothing for other actions.
pub fn record_snooze(
    b: &mut dyn Backend,
    mailbox: &str,
    account: &Account,
    uid: u32,
    action: &Action,
    agent: &str,
) -> Result<(), ActError> {
    let Action::Snooze(until) = action else {
        return Ok(());
    };
    let folder = note::folder_for(account, None, None);
    let failed = |reason: String| ActError::SnoozeRecord {
        folder: crate::sanitize::single_line(&folder),
        reason: crate::sanitize::single_line(&reason),
    };
    let mut message_id = None;
    b.summaries(mailbox, uid, &mut |rows| {
        if let Some(r) = rows.iter().find(|r| r.uid == uid) {
            message_id = r.message_id().map(str::to_string);
        }
    })
    .map_err(|e| failed(e.to_string()))?;
    let record = snooze::build(
        &account.address,
        agent,
        message_id.as_deref(),
        *until,
        std::time::SystemTime::now(),
    )
    .map_err(|e| failed(e.to_string()))?;
    let Some(m) = &account.maildir else {
        return Err(failed("the account has no Maildir".into()));
    };
    let mut maildir =
        MaildirBackend::open(&account.name, &m.path).map_err(|e| failed(e.to_string()))?;
    crate::backend::notes::append_record(&mut maildir, &folder, &record.raw)
        .map_err(|e| failed(e.to_string()))?;
    Ok(())
}

/// After `done`, moves the message to the account's archive folder when one is configured.
pub fn archive_local(
    b: &mut dyn Backend,
    mailbox: &str,
    applied: Applied,
    archive: Option<&str>,
) -> Result<Applied, ActError> {
    super::act::archive_with(applied, archive, |uid, folder| {
        b.move_to(mailbox, uid, folder)
    })
}
