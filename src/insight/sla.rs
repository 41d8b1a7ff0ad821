//! `stats`' count of the first-response target (`[sla]` of the team policy): per mailbox and
//! per agent, how many customer messages were answered in time (met) or late (breached), and
//! how many still wait past their due time (overdue). Each customer message and its first
//! response are as `insight::stats` defines them; the due time is `policy::team::sla::due_at`.

use serde::Serialize;

use crate::policy::team::sla::{State, Status};

/// Met, breached and overdue customer messages of the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct SlaCounts {
    /// First response by the due time.
    pub met: usize,
    /// First response after the due time.
    pub breached: usize,
    /// No first response, and the due time has passed (0 for an agent: nobody's yet).
    pub overdue: usize,
}

impl SlaCounts {
    pub fn count(&mut self, status: &Status) {
        match status.state {
            State::Met => self.met += 1,
            State::Breached => self.breached += 1,
            State::Overdue => self.overdue += 1,
            State::None | State::Ok | State::DueSoon => {}
        }
    }

    pub fn add(&mut self, other: &SlaCounts) {
        self.met += other.met;
        self.breached += other.breached;
        self.overdue += other.overdue;
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::insight::stats::{
        AgentStats, CustomerMessage, MailboxInput, SentMessage, Settings, compute,
    };
    use crate::policy::team::Sla;

    /// Monday 2026-03-02 00:00 UTC.
    const MON: i64 = 1_772_409_600;
    const H: i64 = 3600;

    fn customer(uid: u32, at: i64) -> CustomerMessage {
        CustomerMessage {
            uid,
            message_id: Some(format!("q{uid}@outside.test")),
            internal_date: at,
            from: format!("c{uid}@outside.test"),
            ..CustomerMessage::default()
        }
    }

    fn reply(uid: u32, to: u32, at: i64, agent: &str) -> SentMessage {
        SentMessage {
            uid,
            message_id: Some(format!("r{uid}@example.test")),
            in_reply_to: vec![format!("q{to}@outside.test")],
            internal_date: at,
            x_mailroom_agent: Some(agent.into()),
            ..SentMessage::default()
        }
    }

    fn input(account: &str, inbox: Vec<CustomerMessage>, sent: Vec<SentMessage>) -> MailboxInput {
        MailboxInput {
            account: account.into(),
            own_addresses: vec![format!("{account}@example.test")],
            inbox,
            sent,
            sla: None,
        }
    }

    fn agent<'a>(list: &'a [AgentStats], name: &str) -> &'a AgentStats {
        list.iter()
            .find(|a| a.agent == name)
            .unwrap_or_else(|| panic!("no {name}"))
    }

    #[test]
    fn stats_count_met_breached_and_overdue_per_mailbox_and_agent() {
        // Support: a 1h target in business hours Mon-Fri 09:00-17:00.
        let mut support = input(
            "support",
            vec![
                customer(1, MON + 9 * H),
                customer(2, MON + 10 * H),
                // Friday 16:30: answered Monday 09:20 is 50 business minutes: met.
                customer(3, MON + 4 * 24 * H + 16 * H + 1800),
                customer(4, MON + 11 * H),
                customer(5, MON + 7 * 24 * H + 9 * H + 1800),
            ],
            vec![
                reply(1, 1, MON + 9 * H + 1800, "alice"),
                reply(2, 2, MON + 12 * H, "bob"),
                reply(3, 3, MON + 7 * 24 * H + 9 * H + 1200, "bob"),
                // Carol sent something that answers nobody.
                SentMessage {
                    uid: 4,
                    message_id: Some("r4@example.test".into()),
                    internal_date: MON + 13 * H,
                    x_mailroom_agent: Some("carol".into()),
                    ..SentMessage::default()
                },
            ],
        );
        support.sla = Some(Sla {
            first_response: H,
            hours: crate::config::BusinessHours::parse("Mon-Fri 09:00-17:00").ok(),
            offset: 0,
            due_soon: 900,
        });
        // Sales: no target; alice's answer there counts nowhere.
        let sales = input(
            "sales",
            vec![customer(1, MON)],
            vec![reply(1, 1, MON + 20 * H, "alice")],
        );
        let settings = Settings {
            // Monday a week later, 09:45: #4 is long overdue, #5 (09:30) is not yet.
            now: MON + 7 * 24 * H + 9 * H + 2700,
            ..Settings::default()
        };
        let r = compute(&[support, sales], &[], &HashSet::new(), &settings);
        let counts = |met, breached, overdue| {
            Some(SlaCounts {
                met,
                breached,
                overdue,
            })
        };
        assert_eq!(r.mailboxes[0].sla, counts(2, 1, 1));
        assert_eq!(r.mailboxes[1].sla, None);
        let support_agents = &r.mailboxes[0].agents;
        assert_eq!(agent(support_agents, "alice").sla, counts(1, 0, 0));
        assert_eq!(agent(support_agents, "bob").sla, counts(1, 1, 0));
        assert_eq!(agent(support_agents, "carol").sla, counts(0, 0, 0));
        assert_eq!(agent(&r.mailboxes[1].agents, "alice").sla, None);
        // Over all mailboxes: only the mailbox with a target counts.
        assert_eq!(agent(&r.agents, "alice").sla, counts(1, 0, 0));
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(
            json["mailboxes"][0]["sla"],
            serde_json::json!({"met": 2, "breached": 1, "overdue": 1})
        );
        assert!(json["mailboxes"][1].get("sla").is_none());
    }
}
