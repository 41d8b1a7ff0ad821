//! The thread of a local (Maildir) account: it opens the folder through its [`Backend`],
//! streams the rows, and answers the account's requests one at a time. Reports go out as
//! engine [`Event`]s, as an IMAP account's do.

use std::collections::HashSet;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::SystemTime;

use super::event::{Event, EventSink, NoteAdded};
use super::request::Request;
use super::translate::{opened, store_result};
use crate::backend::Backend;
use crate::config::{Account, Agent};
use crate::engine::job;
use crate::mail::note;
use crate::triage::act::ActError;
use crate::triage::folders::TeamStateAt;
use crate::triage::local::{apply_backend, archive_local};
use crate::triage::state::Action as TriageAction;

/// Starts the thread of a local account; it ends when the returned sender is dropped.
/// `offset`: the agent's time zone (seconds east of UTC) for search dates.
pub(super) fn spawn(
    account_idx: usize,
    account: Account,
    agent: Agent,
    offset: i32,
    events: EventSink,
) -> std::io::Result<Sender<Request>> {
    let (tx, rx) = channel();
    let (name, report) = (account.name.clone(), events.clone());
    job::spawn(
        &format!("worker-{account_idx}"),
        move || run_local(account_idx, &account, &agent, offset, &events, &rx),
        // A bug in a backend must not take the screen down: report it in the column.
        move |result| {
            if let Err(e) = result {
                let _ = report.send(error(account_idx, format!("{name}: {e}")));
            }
        },
    )?;
    Ok(tx)
}

pub(super) fn error(account_idx: usize, message: String) -> Event {
    Event::Error {
        account_idx: Some(account_idx),
        message,
    }
}

fn run_local(
    account_idx: usize,
    account: &Account,
    agent: &Agent,
    offset: i32,
    events: &EventSink,
    rx: &Receiver<Request>,
) {
    // Send failures mean the UI has quit; there is nobody left to tell.
    let mut known = HashSet::new();
    let mut policy = PolicySeen::default();
    let mut backend = match load(account_idx, account, events, &mut known) {
        Ok((mut b, mailbox)) => {
            // Without rights the UI still tries, and reports what the backend refuses.
            // A Maildir keeps team state in its flags and keyword letters: no SELECT to ask.
            if let Ok(rights) = b.rights(&mailbox) {
                let _ = events.send(Event::Access {
                    account_idx,
                    rights,
                    team_state: TeamStateAt::Keywords,
                });
            }
            send_wakes(account_idx, account, b.as_mut(), events);
            policy.look(account_idx, account, b.as_mut(), events);
            Some((b, mailbox))
        }
        Err(message) => {
            let _ = events.send(error(account_idx, message));
            None
        }
    };
    while let Ok(req) = rx.recv() {
        // The answer to the request, if it has one; it is sent once, below.
        let answer = match req {
            Request::Store {
                id, uid, change, ..
            } => {
                let result = match &mut backend {
                    Some((b, mailbox)) => store_result(
                        b.store(mailbox, uid, &change, None)
                            .map_err(|e| e.to_string()),
                    ),
                    None => Err(format!("{}: not connected", account.name)),
                };
                Some(Event::StoreDone {
                    account_idx,
                    id,
                    uid,
                    result,
                })
            }
            Request::Triage {
                id,
                uid,
                action,
                agent,
                ..
            } => {
                let result = match &mut backend {
                    Some((b, mailbox)) => {
                        let r = crate::triage::local::record_snooze(
                            b.as_mut(),
                            mailbox,
                            account,
                            uid,
                            &action,
                            &agent,
                        )
                        .and_then(|()| apply_backend(b.as_mut(), mailbox, uid, &action, &agent))
                        .and_then(|applied| {
                            archive_local(
                                b.as_mut(),
                                mailbox,
                                applied,
                                account.archive_folder.as_deref(),
                            )
                        });
                        // The row as it is now, so the column shows the change at once.
                        let mut row = Vec::new();
                        let _ = b.summaries(mailbox, uid, &mut |rows| {
                            row.extend(rows.into_iter().filter(|s| s.uid == uid));
                        });
                        if matches!(action, TriageAction::Snooze(_)) {
                            send_wakes(account_idx, account, b.as_mut(), events);
                        }
                        if !row.is_empty() {
                            let _ = events.send(Event::Rows {
                                account_idx,
                                rows: row,
                            });
                        } else if known.remove(&uid) {
                            // Archived: it left the folder.
                            let _ = events.send(Event::Vanished {
                                account_idx,
                                uids: vec![uid],
                            });
                        }
                        r
                    }
                    None => Err(ActError::Server(format!("{}: not connected", account.name))),
                };
                Some(Event::TriageDone {
                    account_idx,
                    id,
                    uid,
                    result,
                })
            }
            Request::Refresh { .. } => {
                let Some((b, mailbox)) = &mut backend else {
                    continue;
                };
                send_wakes(account_idx, account, b.as_mut(), events);
                policy.look(account_idx, account, b.as_mut(), events);
                reload(account_idx, b.as_mut(), mailbox, events, &mut known)
                    .err()
                    .map(|message| Event::Warning {
                        account_idx,
                        message,
                    })
            }
            Request::AddNote { id, uid, text, .. } => {
                // The Maildir itself, as `mailroom note` writes it (the folder is created on
                // first use); nothing is transmitted.
                let result =
                    crate::engine::notes::add_by(agent, account, uid, &text, SystemTime::now())
                        .map(|a| NoteAdded {
                            folder: a.folder,
                            note_uid: a.uid,
                        })
                        .map_err(|e| e.to_string());
                Some(Event::NoteAdded {
                    account_idx,
                    id,
                    uid,
                    result,
                })
            }
            Request::Notes { message_id, .. } => {
                let notes = match &mut backend {
                    Some((b, _)) => {
                        let folder = note::folder_for(account, None, None);
                        crate::backend::notes::notes_for(b.as_mut(), &folder, &message_id)
                            .map_err(|e| e.to_string())
                    }
                    None => Err(format!("{}: not connected", account.name)),
                };
                Some(Event::Notes {
                    account_idx,
                    message_id,
                    notes,
                })
            }
            Request::Conversation { uid, ids, .. } => {
                let sent = account.maildir.as_ref().and_then(|m| m.sent.clone());
                let replies = match (&mut backend, sent) {
                    (_, None) => Ok(Vec::new()),
                    (Some((b, _)), Some(folder)) => {
                        crate::backend::sent::replies_in(b.as_mut(), &folder, &ids)
                            .map_err(|e| e.to_string())
                    }
                    (None, Some(_)) => Err(format!("{}: not connected", account.name)),
                };
                Some(Event::Conversation {
                    account_idx,
                    uid,
                    replies,
                })
            }
            // The recipients of a local Sent folder are not read yet: completion ranks by the
            // account's own mail.
            Request::SentRecipients { .. } => Some(Event::SentRecipients {
                account_idx,
                result: Ok(Vec::new()),
            }),
            Request::Open { uid, .. } => {
                let body = match &mut backend {
                    Some((b, mailbox)) => b
                        .fetch(mailbox, uid)
                        .map_err(|e| e.to_string())
                        .and_then(opened),
                    None => Err(format!("{}: not connected", account.name)),
                };
                Some(Event::Body {
                    account_idx,
                    uid,
                    body,
                })
            }
            // Only a search that reads the messages' text (`body:`) comes here; the front end
            // searches the rest in its rows.
            Request::Search { id, query, .. } => {
                let result = match &mut backend {
                    Some((b, mailbox)) => search(b.as_mut(), mailbox, &query, agent, offset),
                    None => Err(format!("{}: not connected", account.name)),
                };
                Some(Event::SearchDone {
                    account_idx,
                    id,
                    result,
                })
            }
            // Saving, sending, stats, drafts and the compose pane's files are not an account
            // thread's work: the engine never routes them here.
            Request::Stats { .. }
            | Request::Review { .. }
            | Request::Save { .. }
            | Request::Launch { .. }
            | Request::Send { .. }
            | Request::SaveDraft(_)
            | Request::DeleteDraft(_)
            | Request::Preview { .. }
            | Request::Attach { .. }
            | Request::AddressBook { .. }
            | Request::CompletePath { .. }
            | Request::Notify(_) => None,
        };
        if let Some(ev) = answer
            && events.send(ev).is_err()
        {
            return;
        }
    }
}

/// The UIDs (ascending) of the messages of `mailbox` that match `query` (`triage::query`),
/// reading a message's text only when a `body:` term is reached for it.
pub(crate) fn search(
    b: &mut dyn Backend,
    mailbox: &str,
    query: &str,
    agent: &Agent,
    offset: i32,
) -> Result<Vec<u32>, String> {
    let ctx = crate::triage::query::Context {
        me: Some(agent.id.as_str()).filter(|id| !id.is_empty()),
        now: SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX)),
        offset,
        team_folders: false,
        within: false,
    };
    let q = crate::triage::query::parse(query.trim()).map_err(|e| e.to_string())?;
    let mut rows = Vec::new();
    b.summaries(mailbox, 1, &mut |batch| rows.extend(batch))
        .map_err(|e| e.to_string())?;
    let mut uids: Vec<u32> = rows
        .iter()
        .filter(|s| {
            q.matches_with(s, &ctx, &mut || {
                b.fetch(mailbox, s.uid)
                    .ok()
                    .map(|raw| crate::mail::parse::text_body(&raw))
            })
        })
        .map(|s| s.uid)
        .collect();
    uids.sort_unstable();
    Ok(uids)
}

/// Sends the wake times of the snooze records in the account's notes folder; a folder that
/// cannot be read is said as a warning (the snoozed rows are then shown as woken).
fn send_wakes(account_idx: usize, account: &Account, b: &mut dyn Backend, events: &EventSink) {
    let folder = note::folder_for(account, None, None);
    match crate::backend::notes::wake_times(b, &folder) {
        Ok(wakes) => {
            let _ = events.send(Event::Snoozes { account_idx, wakes });
        }
        Err(e) => {
            let _ = events.send(Event::Warning {
                account_idx,
                message: format!("snooze wake times could not be read: {e}"),
            });
        }
    }
}

/// What the thread knows of the account's policy folder (`backend::policy`).
#[derive(Debug, Default)]
struct PolicySeen {
    /// The folder's mark at the last read (`backend::policy::mark`).
    mark: Option<(u32, u32, u32)>,
    /// Whether the last report had a policy in force or skipped messages: a folder emptied
    /// afterwards is then worth reporting.
    reported: bool,
}

impl PolicySeen {
    /// Reads the team policy when its folder changed since the last look (or was never looked
    /// at) and reports it as `Event::Policy`; a folder that cannot be read is a warning.
    fn look(
        &mut self,
        account_idx: usize,
        account: &Account,
        b: &mut dyn Backend,
        events: &EventSink,
    ) {
        let folder = crate::backend::policy::folder(account);
        let read = crate::backend::policy::mark(b, &folder).and_then(|mark| {
            if self.mark == Some(mark) {
                return Ok(None);
            }
            let learned = crate::engine::policy::read_local(b, account)?;
            self.mark = Some(mark);
            Ok(Some(learned))
        });
        match read {
            Ok(None) => {}
            Ok(Some(learned)) => {
                let worth = learned.in_force.is_some() || !learned.skipped.is_empty();
                if worth || self.reported {
                    self.reported = worth;
                    let _ = events.send(Event::Policy {
                        account: account.name.clone(),
                        learned,
                    });
                }
            }
            Err(e) => {
                let _ = events.send(Event::Warning {
                    account_idx,
                    message: format!("the team policy could not be read: {e}"),
                });
            }
        }
    }
}

/// Opens the account and streams its message list to the UI; `known` collects the UIDs sent.
fn load(
    account_idx: usize,
    account: &Account,
    events: &EventSink,
    known: &mut HashSet<u32>,
) -> Result<(Box<dyn Backend>, String), String> {
    let (mut backend, mailbox) = crate::engine::open_backend(account).map_err(|e| e.to_string())?;
    let status = backend.status(&mailbox).map_err(|e| e.to_string())?;
    let _ = events.send(Event::Status {
        account_idx,
        exists: status.exists,
    });
    backend
        .summaries(&mailbox, 1, &mut |rows| {
            known.extend(rows.iter().map(|s| s.uid));
            let _ = events.send(Event::Rows { account_idx, rows });
        })
        .map_err(|e| e.to_string())?;
    let _ = events.send(Event::Loaded { account_idx });
    Ok((backend, mailbox))
}

/// Reads the folder again: every row is sent again (the UI replaces rows by UID, which
/// carries flag changes made by other programs), and the UIDs that are gone as vanished.
fn reload(
    account_idx: usize,
    backend: &mut dyn Backend,
    mailbox: &str,
    events: &EventSink,
    known: &mut HashSet<u32>,
) -> Result<(), String> {
    backend.status(mailbox).map_err(|e| e.to_string())?;
    let mut now = HashSet::new();
    backend
        .summaries(mailbox, 1, &mut |rows| {
            now.extend(rows.iter().map(|s| s.uid));
            let _ = events.send(Event::Rows { account_idx, rows });
        })
        .map_err(|e| e.to_string())?;
    let gone: Vec<u32> = known.difference(&now).copied().collect();
    if !gone.is_empty() {
        let _ = events.send(Event::Vanished {
            account_idx,
            uids: gone,
        });
    }
    *known = now;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// A search with `body:` reads the messages of the Maildir on the account's thread.
    #[test]
    fn the_thread_searches_the_messages_text() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let ws = crate::demo::build_workspace_at(&tmp.path().join("demo"), false, 1_790_000_000)
            .unwrap_or_else(|e| panic!("{e}"));
        let config = crate::config::load(&ws.config_path)
            .unwrap_or_else(|e| panic!("{e}"))
            .config;
        let (tx, rx) = channel::<Event>();
        let account = config.accounts[0].clone();
        let thread =
            spawn(0, account, config.agent.clone(), 0, tx.into()).unwrap_or_else(|e| panic!("{e}"));
        let ask = |id: u64, query: &str| -> Vec<u32> {
            let sent = thread.send(Request::Search {
                account_idx: 0,
                id,
                query: query.into(),
            });
            assert!(sent.is_ok());
            loop {
                match rx.recv_timeout(Duration::from_secs(20)) {
                    Ok(Event::SearchDone {
                        id: got, result, ..
                    }) if got == id => {
                        return result.unwrap_or_else(|e| panic!("{e}"));
                    }
                    Ok(_) => {}
                    Err(e) => panic!("no answer to {query:?}: {e}"),
                }
            }
        };
        let laptop = ask(1, "body:laptop");
        assert!(!laptop.is_empty());
        assert!(ask(2, "body:laptop subject:zzz-nowhere").is_empty());
        assert!(ask(3, "body:zzz-nowhere").is_empty());
        let or = ask(4, "body:laptop or body:zzz-nowhere");
        assert_eq!(or, laptop);
    }

    /// The team policy of the Maildir's Policy folder is reported at start, and again after a
    /// refresh once the folder changed (a newer policy), not when it did not.
    #[test]
    fn the_thread_reports_the_maildir_team_policy_and_its_changes() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let ws = crate::demo::build_workspace_at(&tmp.path().join("demo"), false, 1_790_000_000)
            .unwrap_or_else(|e| panic!("{e}"));
        let config = crate::config::load(&ws.config_path)
            .unwrap_or_else(|e| panic!("{e}"))
            .config;
        let (tx, rx) = channel::<Event>();
        let account = config.accounts[0].clone();
        let maildir = account.maildir.clone().unwrap_or_else(|| panic!("maildir"));
        let thread =
            spawn(0, account, config.agent.clone(), 0, tx.into()).unwrap_or_else(|e| panic!("{e}"));
        // The policy report, if one comes before the thread's answer to a refresh (a search).
        let next_policy = |id: u64| -> Option<u64> {
            let refreshed = thread.send(Request::Refresh { account_idx: 0 });
            let asked = thread.send(Request::Search {
                account_idx: 0,
                id,
                query: "body:zzz-nowhere".into(),
            });
            assert!(refreshed.is_ok() && asked.is_ok());
            let mut version = None;
            loop {
                match rx.recv_timeout(Duration::from_secs(20)) {
                    Ok(Event::Policy { account, learned }) => {
                        assert_eq!(account, "support");
                        assert!(learned.skipped.is_empty());
                        version = learned.in_force.map(|p| p.policy.version);
                    }
                    Ok(Event::SearchDone { id: got, .. }) if got == id => return version,
                    Ok(_) => {}
                    Err(e) => panic!("no answer: {e}"),
                }
            }
        };
        assert_eq!(next_policy(1), Some(1), "the demo's policy, at start");
        assert_eq!(next_policy(2), None, "unchanged: not reported again");
        let raw = crate::mail::policy::build(
            "carol",
            "carol@example.test",
            "support@example.test",
            2,
            "version = 2\n",
            &[],
            SystemTime::now(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let mut b = crate::backend::maildir::MaildirBackend::open("support", &maildir.path)
            .unwrap_or_else(|e| panic!("{e}"));
        b.append("Policy", &raw, crate::message::Flags::default(), &[], None)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(next_policy(3), Some(2), "the newer policy, after a refresh");
    }
}
