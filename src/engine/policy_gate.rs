//! The team policy at the outbox's door: what a queued message records of the policy it was
//! built under ([`stamp`]), and the check that holds a message the policy in force no longer
//! allows ([`violation`]) instead of sending it — a message queued under an older policy is
//! checked again before it goes. A held message stays in the outbox as refused, with the
//! reason: nothing is lost, nothing is sent against the policy, the agent decides.

use std::collections::HashMap;
use std::sync::Arc;

use crate::config::{Account, Config, SendMode, Signature};
use crate::policy::team::{self, InForce};
use crate::store::outbox::{Entry, PolicyStamp};

/// A fingerprint of a signature's text, disclaimer and placement.
pub fn fingerprint(signature: &Signature) -> String {
    let placement = format!("{:?}", signature.placement);
    crate::hash::hashed_name(
        "mailroom.team-signature",
        &[
            signature.text.as_bytes(),
            signature.disclaimer.as_deref().unwrap_or("").as_bytes(),
            placement.as_bytes(),
        ],
    )[..32]
        .to_string()
}

/// What an outbox entry of `account` records of the team policy applied to `config`: its
/// version, and the team signature when the account signs with it.
pub fn stamp(config: &Config, account: &Account) -> Option<PolicyStamp> {
    let version = account.policy_version?;
    let team_name = team::signature_name(&account.name);
    let signature = account
        .signature
        .as_deref()
        .filter(|s| *s == team_name)
        .and_then(|s| config.signatures.get(s))
        .map(fingerprint);
    Some(PolicyStamp { version, signature })
}

fn rank(mode: &str) -> u8 {
    match mode {
        "as" => 2,
        "on-behalf" => 1,
        _ => 0,
    }
}

/// Why the policy `in_force` holds `entry` (queued by its agent), or `None` when it may go:
/// its identity is above what the policy now gives the agent, or it lacks the team signature
/// and disclaimer the policy requires.
pub fn violation(entry: &Entry, in_force: &InForce) -> Option<String> {
    let policy = &in_force.policy;
    let under = match &entry.policy {
        Some(s) => format!("queued under version {}", s.version),
        None => "queued without a team policy".to_string(),
    };
    let head = format!(
        "held: the team policy of {} (version {})",
        entry.account, policy.version
    );
    // An approved reply goes out with its approver's identity (`engine::review`).
    let sender = entry.approved_by.as_deref().unwrap_or(&entry.agent);
    if let Some(send) = &policy.send {
        let allowed = send.mode_for(sender);
        if rank(allowed.as_str()) < rank(&entry.envelope.mode) {
            let gives = match allowed {
                SendMode::None => format!("does not allow {sender} to send"),
                _ => format!("allows {sender} {} only", allowed.as_str()),
            };
            return Some(format!(
                "{head} {gives}; this message was {under} as {}",
                entry.envelope.mode
            ));
        }
    }
    // A reply that needs review goes out only approved, by someone the policy in force lets
    // approve: a message queued before the policy said "review" is held, not sent.
    if let Some(rules) = &policy.review {
        match entry.approved_by.as_deref() {
            None if rules.needs_review(&entry.agent) => {
                return Some(format!(
                    "{head} holds {}'s replies for review by {}; this message was {under} \
                     without review: send it again from a draft",
                    entry.agent,
                    rules.approvers.join(", ")
                ));
            }
            Some(approver) if !rules.may_approve(approver) => {
                return Some(format!(
                    "{head} does not let {approver} approve replies; this message was \
                     {under} as approved by {approver}"
                ));
            }
            Some(approver) if approver == entry.agent && rules.needs_review(approver) => {
                return Some(format!(
                    "{head} holds {approver}'s replies for review by another approver; this \
                     message was {under} as approved by its own author"
                ));
            }
            _ => {}
        }
    }
    if let Some(sig) = policy.signature.as_ref().filter(|s| s.required) {
        let carries = entry.policy.as_ref().and_then(|s| s.signature.as_deref());
        if carries != Some(fingerprint(sig).as_str()) {
            return Some(format!(
                "{head} requires its team signature and disclaimer, which this message ({under}) \
                 does not carry: send it again from a draft"
            ));
        }
    }
    None
}

/// The policy in force per account, learned once per delivery round: from the server (a
/// retry, `outbox --retry`) or from the copy kept by the last read (the first attempt right
/// after the message was built under the policy just learned).
pub struct Current {
    server: bool,
    known: HashMap<String, Option<Arc<InForce>>>,
}

impl Current {
    /// Asks the server (else the kept copy) once per account.
    pub fn from_server() -> Current {
        Current {
            server: true,
            known: HashMap::new(),
        }
    }

    /// Reads only the kept copy.
    pub fn kept() -> Current {
        Current {
            server: false,
            known: HashMap::new(),
        }
    }

    /// The policy in force for `account`, if any.
    pub fn policy(&mut self, account: &Account) -> Option<Arc<InForce>> {
        if let Some(p) = self.known.get(&account.name) {
            return p.clone();
        }
        let cache = super::policy::default_cache();
        let learned = if self.server {
            super::policy::learn(account, cache.as_ref())
        } else {
            super::policy::kept(account, cache.as_ref())
        };
        self.known
            .insert(account.name.clone(), learned.in_force.clone());
        learned.in_force
    }

    /// Why `entry` of `account` is held, if it is.
    pub fn hold(&mut self, account: &Account, entry: &Entry) -> Option<String> {
        let p = self.policy(account)?;
        violation(entry, &p)
    }
}

/// `config` with the kept team policy of the account at `account_idx` applied: what the
/// column view's send job queues under (the worker keeps that copy up to date).
pub fn narrowed(config: &Config, account_idx: usize) -> Config {
    let mut config = config.clone();
    let Some(account) = config.accounts.get(account_idx) else {
        return config;
    };
    let name = account.name.clone();
    let cache = super::policy::default_cache();
    if let Some(p) = super::policy::kept(account, cache.as_ref()).in_force {
        team::apply(&mut config, &name, &p);
    }
    config
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Envelope;
    use crate::policy::team::{Provenance, parse};
    use crate::store::outbox::State;

    fn in_force(text: &str) -> InForce {
        InForce {
            policy: parse(text).unwrap(),
            source: Provenance {
                folder: "Policy".into(),
                uid: 1,
                published_by: "alice".into(),
                published_at: String::new(),
            },
            attachments: Vec::new(),
            document: text.to_string(),
        }
    }

    fn entry(agent: &str, mode: &str, policy: Option<PolicyStamp>) -> Entry {
        Entry {
            account: "support".into(),
            agent: agent.into(),
            envelope: Envelope {
                mode: mode.into(),
                from: "support@example.test".into(),
                sender: None,
                mail_from: "support@example.test".into(),
                recipients: vec!["c@outside.test".into()],
                message_id: "m@x".into(),
                subject: "hi".into(),
            },
            reply_to_uid: None,
            created: 0,
            attempts: 1,
            draft_id: None,
            template: None,
            policy,
            approved_by: None,
            state: State::Queued,
        }
    }

    #[test]
    fn an_approved_reply_is_checked_against_its_approvers_mode() {
        let p = in_force("version = 2\n[send]\nas = [\"alice\"]\non-behalf = [\"bob\"]\n");
        let stamp = Some(PolicyStamp {
            version: 2,
            signature: None,
        });
        let mut e = entry("bob", "as", stamp);
        assert!(violation(&e, &p).is_some(), "bob may not send as");
        e.approved_by = Some("alice".into());
        assert_eq!(violation(&e, &p), None, "alice approved it and may send as");
    }

    const V2: &str = "version = 2\n[send]\nas = [\"alice\"]\non-behalf = [\"bob\"]\n";

    #[test]
    fn an_identity_above_the_current_policy_is_held_with_the_reason() {
        let p = in_force(V2);
        let why = violation(&entry("bob", "as", None), &p).unwrap();
        assert_eq!(
            why,
            "held: the team policy of support (version 2) allows bob on-behalf only; this \
             message was queued without a team policy as as"
        );
        assert!(violation(&entry("bob", "on-behalf", None), &p).is_none());
        assert!(violation(&entry("alice", "as", None), &p).is_none());
        let why = violation(&entry("carol", "on-behalf", None), &p).unwrap();
        assert!(why.contains("does not allow carol to send"), "{why}");
    }

    #[test]
    fn a_message_queued_before_the_policy_said_review_is_held_until_approved() {
        let p = in_force(&format!(
            "{V2}[review]\nagents = [\"bob\"]\napprovers = [\"alice\"]\n"
        ));
        let old = Some(PolicyStamp {
            version: 1,
            signature: None,
        });
        let mut e = entry("bob", "on-behalf", old);
        let why = violation(&e, &p).unwrap();
        assert!(
            why.contains("holds bob's replies for review by alice"),
            "{why}"
        );
        assert!(why.contains("queued under version 1"), "{why}");
        e.approved_by = Some("alice".into());
        assert_eq!(violation(&e, &p), None, "approved by an approver");
        e.approved_by = Some("bob".into());
        let why = violation(&e, &p).unwrap();
        assert!(why.contains("does not let bob approve"), "{why}");
        assert!(violation(&entry("alice", "as", None), &p).is_none());
    }

    #[test]
    fn an_approver_whose_own_replies_are_held_does_not_approve_them() {
        let p = in_force(&format!(
            "{V2}[review]\nagents = [\"alice\"]\napprovers = [\"alice\", \"carol\"]\n"
        ));
        let mut own = entry("alice", "as", None);
        own.approved_by = Some("alice".into());
        let why = violation(&own, &p).unwrap();
        assert!(why.contains("approved by its own author"), "{why}");
    }

    #[test]
    fn a_required_team_signature_the_message_lacks_holds_it() {
        let text =
            format!("{V2}[signature]\ntext = \"team\"\ndisclaimer = \"D\"\nrequired = true\n");
        let p = in_force(&text);
        let sig = p.policy.signature.clone().unwrap();
        let old = PolicyStamp {
            version: 1,
            signature: None,
        };
        let why = violation(&entry("bob", "on-behalf", Some(old)), &p).unwrap();
        assert!(why.contains("queued under version 1"), "{why}");
        assert!(why.contains("requires its team signature"), "{why}");
        let signed = PolicyStamp {
            version: 2,
            signature: Some(fingerprint(&sig)),
        };
        assert!(violation(&entry("bob", "on-behalf", Some(signed)), &p).is_none());
    }
}
