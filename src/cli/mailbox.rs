//! The rows of an account's mailbox for the CLI: the header cache plus a delta sync for IMAP
//! accounts (the same engine the TUI uses), the Maildir itself for local accounts.

use super::list::ListError;
use crate::config::Account;
use crate::imap::connect::{Target, credential, open_session_with};
use crate::imap::sync::{MailboxState, SyncEvent, sync_with};
use crate::mail::snooze::WakeTimes;
use crate::message::Summary;
use crate::net::Server;
use crate::store::cache::HeaderCache;

/// The header cache under `$XDG_CACHE_HOME/mailroom`.
pub fn header_cache() -> Result<HeaderCache, ListError> {
    HeaderCache::default_dir()
        .map(HeaderCache::new)
        .ok_or_else(|| {
            ListError::Cache(
                "no cache directory could be determined (set $HOME or $XDG_CACHE_HOME)".into(),
            )
        })
}

/// Every row, newest (highest UID) first. `offline`: only what the cache holds, no network.
pub fn rows(account: &Account, offline: bool) -> Result<Vec<Summary>, ListError> {
    let mut rows = match &account.imap {
        Some(imap) => {
            let server = Server {
                host: imap.host.clone(),
                port: imap.port(),
            };
            let key = MailboxState::key_for(&account.name, &server, &imap.login, &imap.mailbox);
            let mut state = MailboxState::new(key, &imap.mailbox).quiet_rows();
            let mut warnings = Vec::new();
            let mut note = |e: SyncEvent| {
                if let SyncEvent::Warning(w) = e {
                    warnings.push(w);
                }
            };
            // A cache that cannot be used costs speed, not the command: one warning, then the
            // server (the state skips it from the first failure on).
            let cache = match header_cache() {
                Ok(cache) => Some(cache),
                Err(e) if !offline => {
                    note(SyncEvent::Warning(format!("{e}; going on without it")));
                    None
                }
                Err(e) => return Err(e),
            };
            if let Some(w) = cache.as_ref().and_then(|c| state.load_cache_quietly(c)) {
                note(SyncEvent::Warning(w));
            }
            if offline {
                if state.rows().is_empty() && state.uid_validity() == 0 {
                    return Err(ListError::Cache(format!(
                        "nothing cached yet for account {:?}: run without --offline once",
                        crate::sanitize::single_line(&account.name)
                    )));
                }
            } else {
                let target = Target {
                    account: &account.name,
                    config: imap,
                };
                let secret = credential(
                    imap.auth,
                    imap.password.as_ref(),
                    imap.password_command.as_deref(),
                    imap.token_command.as_deref(),
                )
                .map_err(|e| ListError::Cache(format!("cannot get the password: {e}")))?;
                let mut conn = open_session_with(&target, &secret)?;
                let mut more = || open_session_with(&target, &secret).ok();
                sync_with(
                    &mut conn,
                    &account.name,
                    &server,
                    &mut state,
                    &mut more,
                    &mut note,
                )?;
                let _ = conn.session.logout();
                if let Some(w) = cache.as_ref().and_then(|c| state.save_cache_or_skip(c)) {
                    note(SyncEvent::Warning(w));
                }
            }
            for w in warnings {
                eprintln!("mailroom: warning: {}", crate::sanitize::single_line(&w));
            }
            state.into_rows()
        }
        None => {
            let (mut backend, mailbox) = crate::engine::open_backend(account)?;
            backend.status(&mailbox)?;
            let mut all = Vec::new();
            backend.summaries(&mailbox, 1, &mut |batch| all.extend(batch))?;
            all
        }
    };
    // In place, no scratch buffer: a stable sort would allocate half the rows again.
    rows.sort_unstable_by_key(|s| std::cmp::Reverse(s.uid));
    Ok(rows)
}

/// The wake times of snoozed messages, from the snooze records in the account's notes folder
/// (`mail::snooze`): a new IMAP session (the notes folder is examined), or the Maildir.
pub fn wake_times(account: &Account) -> Result<WakeTimes, String> {
    match &account.imap {
        Some(imap) => {
            let mut conn = crate::imap::connect::open_session(&Target {
                account: &account.name,
                config: imap,
            })
            .map_err(|e| e.to_string())?;
            let wakes = crate::imap::notes::notes_folder(&mut conn, account)
                .and_then(|folder| crate::imap::snoozes::wake_times(&mut conn, &folder))
                .map_err(|e| e.to_string());
            let _ = conn.session.logout();
            wakes
        }
        None => {
            let (mut backend, _) =
                crate::engine::open_backend(account).map_err(|e| e.to_string())?;
            let folder = crate::mail::note::folder_for(account, None, None);
            crate::backend::notes::wake_times(backend.as_mut(), &folder).map_err(|e| e.to_string())
        }
    }
}
