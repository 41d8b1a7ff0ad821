//! Claim races against the test bed: agents, each in an IMAP session of their own, claim the
//! same messages at the same moment.
#![allow(dead_code)]

use std::sync::Barrier;

use mailroom::config::{Imap, TeamStateSetting};
use mailroom::imap::connect::{ImapConn, Target, open_session};
use mailroom::triage::act::{self, ActError, Applied, Selected};
use mailroom::triage::folders::Mapping;
use mailroom::triage::state::Action;

/// Each of `agents` (with the same place in `configs`) selects `mailbox` of account `support`
/// with `setting`, its mapping checked by `mapping_ok`, then claims each of `uids`, all the
/// agents released together for each one. Each agent's results, in `uids` order.
pub fn claim_race(
    agents: &[&str],
    configs: &[Imap],
    mailbox: &str,
    setting: TeamStateSetting,
    uids: &[u32],
    mapping_ok: impl Fn(&Mapping) -> bool + Sync,
) -> Vec<Vec<Result<Applied, ActError>>> {
    let claims: Vec<Claim> = uids
        .iter()
        .map(|&uid| Claim {
            uid,
            message_id: None,
        })
        .collect();
    claim_race_with(agents, configs, mailbox, setting, &claims, mapping_ok)
}

/// One message of a race: its UID in the mailbox, and the Message-ID each agent tells
/// mailroom it knows (as a TUI row or the header cache would), if any.
#[derive(Debug, Clone)]
pub struct Claim {
    pub uid: u32,
    pub message_id: Option<String>,
}

/// [`claim_race`] with a Message-ID per message (given to mailroom with
/// `Selected::know_message_id`), and sessions that come back: an agent whose claim failed
/// with a server error (its connection dropped) opens a new session and selects again before
/// its next claim.
pub fn claim_race_with(
    agents: &[&str],
    configs: &[Imap],
    mailbox: &str,
    setting: TeamStateSetting,
    claims: &[Claim],
    mapping_ok: impl Fn(&Mapping) -> bool + Sync,
) -> Vec<Vec<Result<Applied, ActError>>> {
    assert_eq!(agents.len(), configs.len(), "one configuration per agent");
    let barrier = Barrier::new(agents.len());
    std::thread::scope(|s| {
        let handles: Vec<_> = agents
            .iter()
            .zip(configs)
            .map(|(&me, cfg)| {
                let (barrier, mapping_ok) = (&barrier, &mapping_ok);
                s.spawn(move || {
                    let open = || -> (ImapConn, Selected) {
                        let mut conn = open_session(&Target {
                            account: "support",
                            config: cfg,
                        })
                        .unwrap_or_else(|e| panic!("{me}: {e}"));
                        let selected = act::select_with_rights(&mut conn, mailbox, setting)
                            .unwrap_or_else(|e| panic!("{me}: {e}"));
                        assert!(
                            mapping_ok(&selected.mapping),
                            "{me}: {:?}",
                            selected.mapping
                        );
                        (conn, selected)
                    };
                    let (mut conn, mut selected) = open();
                    let mut results = Vec::new();
                    for claim in claims {
                        barrier.wait();
                        let mut sel = selected.clone();
                        if let Some(id) = &claim.message_id {
                            sel.know_message_id(claim.uid, id);
                        }
                        let r = act::apply(
                            &mut conn,
                            &sel,
                            mailbox,
                            claim.uid,
                            &Action::Claim,
                            me,
                            true,
                        );
                        if matches!(r, Err(ActError::Server(_))) {
                            (conn, selected) = open();
                        }
                        results.push(r);
                    }
                    results
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect::<Vec<_>>()
    })
}
