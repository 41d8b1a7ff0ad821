//! Claim races against the test bed: agents, each in an IMAP session of their own, claim the
//! same messages at the same moment.
#![allow(dead_code)]

use std::sync::Barrier;

use mailroom::config::{Imap, TeamStateSetting};
use mailroom::imap::connect::{Target, open_session};
use mailroom::triage::act::{self, ActError, Applied};
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
    assert_eq!(agents.len(), configs.len(), "one configuration per agent");
    let barrier = Barrier::new(agents.len());
    std::thread::scope(|s| {
        let handles: Vec<_> = agents
            .iter()
            .zip(configs)
            .map(|(&me, cfg)| {
                let (barrier, mapping_ok) = (&barrier, &mapping_ok);
                s.spawn(move || {
                    let mut conn = open_session(&Target {
                        account: "support",
                        config: cfg,
                    })
                    .unwrap();
                    let selected = act::select_with_rights(&mut conn, mailbox, setting).unwrap();
                    assert!(
                        mapping_ok(&selected.mapping),
                        "{me}: {:?}",
                        selected.mapping
                    );
                    uids.iter()
                        .map(|&uid| {
                            barrier.wait();
                            act::apply(&mut conn, &selected, mailbox, uid, &Action::Claim, me, true)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect::<Vec<_>>()
    })
}
