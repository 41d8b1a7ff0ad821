//! The team policy in force for an account: read from its policy folder (`imap::policy`), kept
//! locally (`store::policy`) for offline use, and applied to the configuration
//! (`policy::team::apply`) before anything is sent.
//!
//! The server's answer wins; when the server cannot be reached the kept copy rules; without
//! either, the local configuration rules, as before team policies existed.
//!
//! A Maildir account's policy folder is local (`backend::policy`): it is read each time, and no
//! copy is kept.

use std::sync::Arc;

use serde::Serialize;

use crate::backend::policy as local;
use crate::backend::{Backend, BackendError};
use crate::config::{Account, Config};
use crate::imap::connect::{ImapConn, Target, open_session};
use crate::imap::notes::NotesError;
use crate::imap::policy::{self as remote, Depth};
use crate::policy::team::{self, Entry, InForce, Narrowing};
use crate::store::policy::PolicyCache;

/// A policy message that failed validation and was skipped, for the agent to see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    pub uid: u32,
    pub published_by: String,
    pub error: String,
}

/// Where the policy in force came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    /// Read from the server just now.
    Server,
    /// The server could not be reached: the copy kept from an earlier read.
    Kept,
    /// Read from the account's Maildir just now (nothing is kept: the folder is local).
    Maildir,
    /// No policy (none published, or nothing kept while offline).
    None,
}

/// The team policy of one account, as far as it could be learned.
#[derive(Debug, Clone)]
pub struct Learned {
    pub in_force: Option<Arc<InForce>>,
    /// Newer policy messages that failed validation.
    pub skipped: Vec<Skipped>,
    pub origin: Origin,
    /// Why the server was not asked or did not answer (shown as a warning).
    pub warning: Option<String>,
}

fn skipped(entries: &[Entry]) -> Vec<Skipped> {
    team::skipped(entries)
        .into_iter()
        .map(|e| Skipped {
            uid: e.uid,
            published_by: e.published_by.clone(),
            error: e
                .outcome
                .as_ref()
                .err()
                .map(ToString::to_string)
                .unwrap_or_default(),
        })
        .collect()
}

/// The kept copies under the user's data directory (`None` without a home directory).
pub fn default_cache() -> Option<PolicyCache> {
    PolicyCache::default_dir().map(PolicyCache::new)
}

fn mailbox(account: &Account) -> &str {
    account
        .imap
        .as_ref()
        .map(|i| i.mailbox.as_str())
        .unwrap_or("")
}

/// Reads the policy in force on an open connection and keeps it. **Changes the selected
/// mailbox** (the policy folder is EXAMINEd): the worker re-SELECTs its mailbox afterwards.
pub fn read_on(
    conn: &mut ImapConn,
    account: &Account,
    cache: Option<&PolicyCache>,
) -> Result<Learned, NotesError> {
    let folder = remote::policy_folder(conn, account)?;
    let read = remote::read(conn, &folder, Depth::InForce)?;
    let in_force = team::in_force(&read.entries, &folder);
    let mut warning = None;
    if let Some(cache) = cache {
        let kept = match &read.in_force_raw {
            Some((uid, raw)) => cache.save(&account.name, mailbox(account), &folder, *uid, raw),
            None => cache.remove(&account.name, mailbox(account)),
        };
        if let Err(e) = kept {
            warning = Some(format!("the team policy could not be kept offline: {e}"));
        }
    }
    Ok(Learned {
        in_force: in_force.map(Arc::new),
        skipped: skipped(&read.entries),
        origin: Origin::Server,
        warning,
    })
}

/// The copy kept from the last read, for start-up and offline use; for a Maildir account, what
/// its policy folder holds now.
pub fn kept(account: &Account, cache: Option<&PolicyCache>) -> Learned {
    let none = |warning| Learned {
        in_force: None,
        skipped: Vec::new(),
        origin: Origin::None,
        warning,
    };
    if account.imap.is_none() {
        // A Maildir is local: what it holds now is what is kept.
        return if account.maildir.is_some() {
            maildir(account)
        } else {
            none(None)
        };
    }
    let Some(cache) = cache else {
        return none(None);
    };
    match cache.load(&account.name, mailbox(account)) {
        Ok(Some(p)) => Learned {
            in_force: Some(Arc::new(p)),
            skipped: Vec::new(),
            origin: Origin::Kept,
            warning: None,
        },
        Ok(None) => none(None),
        Err(e) => none(Some(e.to_string())),
    }
}

/// The policy of a Maildir account from its policy folder (`backend::policy`), read through
/// `backend` (opened on the account's Maildir).
pub fn read_local(backend: &mut dyn Backend, account: &Account) -> Result<Learned, BackendError> {
    let folder = local::folder(account);
    let entries = local::read(backend, &folder, false)?;
    Ok(Learned {
        in_force: team::in_force(&entries, &folder).map(Arc::new),
        skipped: skipped(&entries),
        origin: Origin::Maildir,
        warning: None,
    })
}

/// The policy of a Maildir account, read from its Maildir now (a problem is a warning, and the
/// local configuration rules).
fn maildir(account: &Account) -> Learned {
    let read = crate::engine::open_backend(account)
        .map_err(|e| e.to_string())
        .and_then(|(mut b, _)| read_local(b.as_mut(), account).map_err(|e| e.to_string()));
    read.unwrap_or_else(|e| Learned {
        in_force: None,
        skipped: Vec::new(),
        origin: Origin::None,
        warning: Some(format!(
            "account \"{}\": the team policy could not be read ({e}); the local configuration \
             rules",
            account.name
        )),
    })
}

/// The policy of `account` for a command-line run: from the server, else the kept copy; a
/// Maildir account's from its Maildir (its "kept copy" is the folder itself).
pub fn learn(account: &Account, cache: Option<&PolicyCache>) -> Learned {
    let Some(imap) = &account.imap else {
        return kept(account, cache);
    };
    let read = open_session(&Target {
        account: &account.name,
        config: imap,
    })
    .map_err(|e| e.to_string())
    .and_then(|mut conn| read_on(&mut conn, account, cache).map_err(|e| e.to_string()));
    match read {
        Ok(l) => l,
        Err(e) => {
            let mut l = kept(account, cache);
            let what = if l.in_force.is_some() {
                "the copy kept from the last read rules"
            } else {
                "no copy is kept: the local configuration rules"
            };
            l.warning = Some(format!(
                "account \"{}\": the team policy could not be read ({e}); {what}",
                account.name
            ));
            l
        }
    }
}

/// Learns and applies the policy of `account` to `config`: what `mailroom send` and the outbox
/// do before anything goes out.
pub fn enforce(
    config: &mut Config,
    account: &str,
    cache: Option<&PolicyCache>,
) -> (Learned, Narrowing) {
    let Some(acc) = config.accounts.iter().find(|a| a.name == account) else {
        return (
            Learned {
                in_force: None,
                skipped: Vec::new(),
                origin: Origin::None,
                warning: None,
            },
            Narrowing::default(),
        );
    };
    let learned = learn(acc, cache);
    let narrowing = match &learned.in_force {
        Some(p) => team::apply(config, account, p),
        None => Narrowing::default(),
    };
    (learned, narrowing)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Maildir account's policy is its Maildir's, online or "offline": the column view's
    /// send job (`policy_gate::narrowed`) queues under it, as the compose pane showed.
    #[test]
    fn a_maildir_accounts_kept_policy_is_its_folders_and_narrows_the_send_job() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let ws = crate::demo::build_workspace_at(&tmp.path().join("demo"), false, 1_790_000_000)
            .unwrap_or_else(|e| panic!("{e}"));
        let config = crate::config::load(&ws.config_path)
            .unwrap_or_else(|e| panic!("{e}"))
            .config;
        let support = &config.accounts[0];
        for learned in [kept(support, None), learn(support, None)] {
            assert_eq!(learned.origin, Origin::Maildir);
            assert_eq!(learned.in_force.map(|p| p.policy.version), Some(1));
        }
        assert_eq!(kept(&config.accounts[1], None).in_force.map(|_| ()), None);
        assert_eq!(config.accounts[0].send.as_str(), "as");
        let narrowed = super::super::policy_gate::narrowed(&config, 0);
        assert_eq!(narrowed.accounts[0].send.as_str(), "on-behalf");
    }
}
