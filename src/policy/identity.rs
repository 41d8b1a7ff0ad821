//! Who a message from a shared account is from, by send mode (PROTOCOL.md, RFC 5322 §3.6.2).
//!
//! Pure code, shared by the compose pane and `mailroom send`: one rule, two front ends.

use crate::config::{Account, Agent, EnvelopeFrom, SendMode};

/// The header and envelope identity of one outgoing message.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SendIdentity {
    /// `From:` display name and address.
    pub from_name: String,
    pub from: String,
    /// `Sender:`, only in on-behalf mode.
    pub sender: Option<String>,
    /// The display name of `Sender:`: the agent's name (`[agent] name`), when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sender_name: Option<String>,
    /// SMTP `MAIL FROM`.
    pub mail_from: String,
}

/// Why an identity is refused: the account does not own the address, or may not send at all.
///
/// Display gives the text the compose pane, `mailroom send` and `mailroom check` show.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// `address` is neither the account's address nor one of its aliases.
    #[error("{address} is not an address of account \"{account}\" (offered: {})", offered.join(", "))]
    NotOwned {
        account: String,
        address: String,
        /// The account's address, then its aliases.
        offered: Vec<String>,
    },
    /// The account has `send = "none"`.
    #[error(
        "account \"{account}\" has send = \"none\": you may read and triage this mailbox but not send from it"
    )]
    SendNone { account: String },
    /// The team policy gives this agent no send mode on the account.
    #[error("{reason}")]
    Policy { account: String, reason: String },
}

/// The identity for sending from `address` (the account's address or one of its aliases), or
/// the reason sending is refused.
pub fn identity(account: &Account, agent: &Agent, address: &str) -> Result<SendIdentity, Refusal> {
    choose(account, agent, address).map(|(_, id)| id)
}

/// [`identity`], and where the address is in [`offered`]'s order (0 is the account's address,
/// then its aliases): what a front end that lets the agent cycle the From needs.
pub fn choose(
    account: &Account,
    agent: &Agent,
    address: &str,
) -> Result<(usize, SendIdentity), Refusal> {
    let (index, offered) = std::iter::once(&account.address)
        .chain(account.aliases.iter())
        .enumerate()
        .find(|(_, a)| a.eq_ignore_ascii_case(address))
        .ok_or_else(|| Refusal::NotOwned {
            account: account.name.clone(),
            address: address.to_string(),
            offered: std::iter::once(&account.address)
                .chain(account.aliases.iter())
                .cloned()
                .collect(),
        })?;
    let id = match account.send {
        SendMode::As => SendIdentity {
            from_name: account.display_name().to_string(),
            from: offered.clone(),
            sender: None,
            sender_name: None,
            mail_from: offered.clone(),
        },
        SendMode::OnBehalf => SendIdentity {
            from_name: account.display_name().to_string(),
            from: offered.clone(),
            sender: Some(agent.email.clone()),
            sender_name: Some(agent.name.trim().to_string()).filter(|n| !n.is_empty()),
            mail_from: match account.envelope_from {
                EnvelopeFrom::Agent => agent.email.clone(),
                EnvelopeFrom::Shared => offered.clone(),
            },
        },
        SendMode::None => {
            return Err(match &account.policy_reason {
                Some(reason) => Refusal::Policy {
                    account: account.name.clone(),
                    reason: reason.clone(),
                },
                None => Refusal::SendNone {
                    account: account.name.clone(),
                },
            });
        }
    };
    Ok((index, id))
}

/// One line naming the mode, as the compose pane shows it.
pub fn describe(account: &Account, agent: &Agent) -> String {
    match identity(account, agent, &account.address) {
        Ok(id) => match &id.sender {
            None => format!(
                "as {} (From {}, no Sender, MAIL FROM {})",
                id.from, id.from, id.mail_from
            ),
            Some(s) => {
                let why = account
                    .policy_reason
                    .as_deref()
                    .map(|r| format!("; {r}"))
                    .unwrap_or_default();
                format!(
                    "{} on behalf of {} (From {}, Sender {s}, MAIL FROM {}{why})",
                    agent.id, id.from, id.from, id.mail_from
                )
            }
        },
        Err(reason) => reason.to_string(),
    }
}

/// Every identity the account offers (its address first, then its aliases), or why none.
pub fn offered(account: &Account, agent: &Agent) -> Result<Vec<SendIdentity>, Refusal> {
    std::iter::once(&account.address)
        .chain(account.aliases.iter())
        .map(|a| identity(account, agent, a))
        .collect()
}

/// The identity chosen for a reply, and why, for the compose pane to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyIdentity {
    pub identity: SendIdentity,
    pub reason: String,
}

/// The header group of the message answered that decided a reply's From.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    DeliveredTo,
    To,
    Cc,
}

impl std::fmt::Display for Group {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Group::DeliveredTo => "Delivered-To",
            Group::To => "To",
            Group::Cc => "Cc",
        })
    }
}

/// Why a reply is sent from the address it is sent from. Display gives the line the compose
/// pane and `mailroom send --dry-run` (`# identity: …`) show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// `group` names exactly one of the account's addresses.
    Reached { address: String, group: Group },
    /// `group` names several (`reached`, in the account's order); the first is used, which
    /// is the account's own address when `primary`, else its first alias.
    Several {
        reached: Vec<String>,
        group: Group,
        primary: bool,
    },
    /// The message names none of the account's addresses (Bcc, a list): `primary` is used.
    NoneOfOurs { primary: String },
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::Reached { address, group } => {
                write!(f, "the message reached {address} ({group})")
            }
            Reason::Several {
                reached,
                group,
                primary,
            } => write!(
                f,
                "the message reached {} ({group}); the {} {} is used",
                reached.join(" and "),
                if *primary {
                    "primary address"
                } else {
                    "first alias"
                },
                reached.first().map(String::as_str).unwrap_or_default()
            ),
            Reason::NoneOfOurs { primary } => write!(
                f,
                "no alias of the account is among the recipients; the primary address {primary} is used"
            ),
        }
    }
}

/// A reply's identity, where it is in [`offered`]'s order, and why it was chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyChoice {
    pub index: usize,
    pub identity: SendIdentity,
    pub reason: Reason,
}

/// Picks the identity for answering a message that reached the account.
///
/// The address the mail actually reached decides: Delivered-To / X-Original-To, then To, then
/// Cc — the first of those header groups that names one of the account's addresses. In the
/// delivery headers only an alias is decisive: a server writes the mailbox's own address there
/// after expanding aliases (Dovecot's LMTP does), so the primary address in Delivered-To says
/// where the mail was stored, not what the sender wrote. If a group names several of the
/// account's addresses, the primary address wins and the reason says so. Mail that names none
/// (Bcc, a list) is answered from the primary address.
pub fn for_reply(
    account: &Account,
    agent: &Agent,
    delivered_to: &[String],
    to: &[String],
    cc: &[String],
) -> Result<ReplyIdentity, Refusal> {
    choose_for_reply(account, agent, delivered_to, to, cc).map(|c| ReplyIdentity {
        identity: c.identity,
        reason: c.reason.to_string(),
    })
}

/// [`for_reply`] with the reason typed and the identity's place in [`offered`].
pub fn choose_for_reply(
    account: &Account,
    agent: &Agent,
    delivered_to: &[String],
    to: &[String],
    cc: &[String],
) -> Result<ReplyChoice, Refusal> {
    let own: Vec<&String> = std::iter::once(&account.address)
        .chain(account.aliases.iter())
        .collect();
    let aliases: Vec<&String> = account.aliases.iter().collect();
    let groups: [(Group, &[String], &[&String]); 3] = [
        (Group::DeliveredTo, delivered_to, &aliases),
        (Group::To, to, &own),
        (Group::Cc, cc, &own),
    ];
    for (group, addresses, candidates) in groups {
        let matched: Vec<&String> = candidates
            .iter()
            .copied()
            .filter(|o| addresses.iter().any(|a| a.eq_ignore_ascii_case(o)))
            .collect();
        let Some(first) = matched.first() else {
            continue;
        };
        let reason = if matched.len() > 1 {
            Reason::Several {
                reached: matched.iter().map(|m| m.to_string()).collect(),
                group,
                primary: *first == &account.address,
            }
        } else {
            Reason::Reached {
                address: first.to_string(),
                group,
            }
        };
        let (index, identity) = choose(account, agent, first)?;
        return Ok(ReplyChoice {
            index,
            identity,
            reason,
        });
    }
    let (index, identity) = choose(account, agent, &account.address)?;
    Ok(ReplyChoice {
        index,
        identity,
        reason: Reason::NoneOfOurs {
            primary: account.address.clone(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(send: &str) -> Account {
        toml::from_str(&format!(
            "name = \"support\"\naddress = \"support@example.test\"\ndisplay_name = \"Example Support\"\naliases = [\"help@example.test\", \"billing@example.test\"]\nsend = \"{send}\"\n"
        ))
        .unwrap()
    }

    fn agent() -> Agent {
        toml::from_str("id = \"bob\"\nname = \"Bob\"\nemail = \"bob@example.test\"\n").unwrap()
    }

    fn v(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn send_as_and_on_behalf_on_the_wire() {
        let id = identity(&account("as"), &agent(), "support@example.test").unwrap();
        assert_eq!(
            (
                id.from.as_str(),
                id.sender.as_deref(),
                id.mail_from.as_str()
            ),
            ("support@example.test", None, "support@example.test")
        );
        assert_eq!(id.from_name, "Example Support");
        let id = identity(&account("on-behalf"), &agent(), "help@example.test").unwrap();
        assert_eq!(
            (
                id.from.as_str(),
                id.sender.as_deref(),
                id.mail_from.as_str()
            ),
            (
                "help@example.test",
                Some("bob@example.test"),
                "bob@example.test"
            )
        );
        let mut shared = account("on-behalf");
        shared.envelope_from = EnvelopeFrom::Shared;
        assert_eq!(
            identity(&shared, &agent(), "support@example.test")
                .unwrap()
                .mail_from,
            "support@example.test"
        );
        assert_eq!(
            identity(&account("none"), &agent(), "support@example.test")
                .unwrap_err()
                .to_string(),
            "account \"support\" has send = \"none\": you may read and triage this mailbox but not send from it"
        );
        let refused = identity(&account("as"), &agent(), "ceo@example.test").unwrap_err();
        assert_eq!(
            refused.to_string(),
            "ceo@example.test is not an address of account \"support\" (offered: support@example.test, help@example.test, billing@example.test)"
        );
        assert!(matches!(refused, Refusal::NotOwned { ref account, .. } if account == "support"));
        assert_eq!(offered(&account("as"), &agent()).unwrap().len(), 3);
    }

    #[test]
    fn reply_identity_follows_the_address_the_mail_reached() {
        let a = account("as");
        let r = for_reply(
            &a,
            &agent(),
            &v(&["help@example.test"]),
            &v(&["support@example.test"]),
            &[],
        )
        .unwrap();
        assert_eq!(r.identity.from, "help@example.test");
        assert!(r.reason.contains("Delivered-To"), "{}", r.reason);
        // Dovecot's LMTP writes the mailbox address after alias expansion: To decides.
        let r = for_reply(
            &a,
            &agent(),
            &v(&["support@example.test"]),
            &v(&["help@example.test"]),
            &[],
        )
        .unwrap();
        assert_eq!(r.identity.from, "help@example.test");
        assert!(r.reason.contains("(To)"), "{}", r.reason);
        let r = for_reply(
            &a,
            &agent(),
            &[],
            &v(&["someone@x.test", "HELP@example.test"]),
            &[],
        )
        .unwrap();
        assert_eq!(r.identity.from, "help@example.test");
        let r = for_reply(
            &a,
            &agent(),
            &[],
            &v(&["x@x.test"]),
            &v(&["billing@example.test"]),
        )
        .unwrap();
        assert_eq!(r.identity.from, "billing@example.test");
        assert!(r.reason.contains("(Cc)"));
        // Two of the account's addresses in one group: the primary wins, and says why.
        let r = for_reply(
            &a,
            &agent(),
            &[],
            &v(&["help@example.test", "support@example.test"]),
            &[],
        )
        .unwrap();
        assert_eq!(r.identity.from, "support@example.test");
        assert!(r.reason.contains("primary"), "{}", r.reason);
        // Two aliases: the first in the account's order.
        let r = for_reply(
            &a,
            &agent(),
            &[],
            &v(&["billing@example.test", "help@example.test"]),
            &[],
        )
        .unwrap();
        assert_eq!(r.identity.from, "help@example.test");
        // Nobody of ours: primary.
        let r = for_reply(&a, &agent(), &[], &v(&["list@x.test"]), &[]).unwrap();
        assert_eq!(r.identity.from, "support@example.test");
        assert!(for_reply(&account("none"), &agent(), &[], &[], &[]).is_err());
    }

    #[test]
    fn typed_reasons_say_what_the_compose_pane_and_dry_run_said() {
        let a = account("as");
        let choice = |to: &[&str]| choose_for_reply(&a, &agent(), &[], &v(to), &[]).unwrap();
        let c = choice(&["help@example.test", "support@example.test"]);
        assert_eq!(c.index, 0);
        assert_eq!(
            c.reason,
            Reason::Several {
                reached: v(&["support@example.test", "help@example.test"]),
                group: Group::To,
                primary: true,
            }
        );
        assert_eq!(
            c.reason.to_string(),
            "the message reached support@example.test and help@example.test (To); the primary address support@example.test is used"
        );
        let c = choice(&["billing@example.test", "help@example.test"]);
        assert_eq!(
            (c.index, c.identity.from.as_str()),
            (1, "help@example.test")
        );
        assert_eq!(
            c.reason.to_string(),
            "the message reached help@example.test and billing@example.test (To); the first alias help@example.test is used"
        );
        let c = choice(&["list@x.test"]);
        assert_eq!(c.index, 0);
        assert_eq!(
            c.reason.to_string(),
            "no alias of the account is among the recipients; the primary address support@example.test is used"
        );
        // The string form the compose pane shows is the typed reason's.
        let r = for_reply(&a, &agent(), &[], &v(&["list@x.test"]), &[]).unwrap();
        assert_eq!(r.reason, c.reason.to_string());
        assert_eq!(
            choose(&a, &agent(), "BILLING@example.test").unwrap().0,
            2,
            "choose gives the place in offered()"
        );
    }
}
