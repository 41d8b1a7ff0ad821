//! Narrowing an agent's configuration to the team policy of one account.
//!
//! The result is an ordinary [`Config`]: the compose pane, `mailroom send` and the outbox
//! retry all enforce it through `policy::identity` and `policy::signature`, unchanged.

use super::InForce;
use crate::config::{Config, SendMode};

/// The name the team signature gets in `config.signatures` (not a valid TOML bare key, so no
/// local `[signature.NAME]` can be called that).
pub fn signature_name(account: &str) -> String {
    format!("team policy: {account}")
}

/// What applying a policy changed, for the front ends to say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Narrowing {
    /// The policy lowered (or took away) the agent's send mode: why, in words.
    pub send: Option<String>,
    /// The team signature replaced the local one (or was added).
    pub signature: bool,
}

fn rank(mode: SendMode) -> u8 {
    match mode {
        SendMode::None => 0,
        SendMode::OnBehalf => 1,
        SendMode::As => 2,
    }
}

/// Applies `in_force` to the account named `account` of `config`. The policy wins where it
/// speaks; the local configuration may only narrow it. Nothing changes for an unknown account.
pub fn apply(config: &mut Config, account: &str, in_force: &InForce) -> Narrowing {
    let policy = &in_force.policy;
    let agent = config.agent.id.clone();
    let mut out = Narrowing::default();
    let Some(index) = config.accounts.iter().position(|a| a.name == account) else {
        return out;
    };
    config.accounts[index].policy_version = Some(policy.version);
    if let Some(send) = &policy.send {
        let allowed = send.mode_for(&agent);
        let acc = &mut config.accounts[index];
        if rank(allowed) < rank(acc.send) {
            let reason = match allowed {
                SendMode::None => format!(
                    "the team policy of {account} (version {}) does not allow {agent} to send",
                    policy.version
                ),
                _ => format!(
                    "the team policy of {account} (version {}) allows {agent} {} only",
                    policy.version,
                    allowed.as_str()
                ),
            };
            acc.send = allowed;
            acc.policy_reason = Some(reason.clone());
            out.send = Some(reason);
        }
    }
    if let Some(team) = &policy.signature {
        let acc = &config.accounts[index];
        if team.required || acc.signature.is_none() {
            let name = signature_name(account);
            config.signatures.insert(name.clone(), team.clone());
            config.accounts[index].signature = Some(name);
            out.signature = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::team::{Provenance, parse};

    fn config(agent: &str, send: &str) -> Config {
        let text = format!(
            r#"
[agent]
id = "{agent}"
name = "Agent"
email = "{agent}@example.test"
[[account]]
name = "support"
address = "support@example.test"
send = "{send}"
signature = "mine"
[account.imap]
host = "127.0.0.1"
login = "{agent}"
password_command = "true"
[account.file]
dir = "/tmp/x"
[signature.mine]
text = "my own"
"#
        );
        crate::config::parse(&text, std::path::Path::new("/tmp/c.toml"))
            .unwrap()
            .config
    }

    fn policy(text: &str) -> InForce {
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

    const POLICY: &str = "version = 2\n[send]\nas = [\"alice\"]\non-behalf = [\"bob\"]\n[signature]\ntext = \"team\"\ndisclaimer = \"Confidential.\"\nrequired = true\n";

    #[test]
    fn the_policy_lowers_send_as_to_on_behalf_and_says_why() {
        let mut c = config("bob", "as");
        let n = apply(&mut c, "support", &policy(POLICY));
        assert_eq!(c.accounts[0].send, SendMode::OnBehalf);
        assert_eq!(
            n.send.as_deref(),
            Some("the team policy of support (version 2) allows bob on-behalf only")
        );
    }

    #[test]
    fn an_agent_the_policy_does_not_name_may_not_send() {
        let mut c = config("carol", "as");
        let n = apply(&mut c, "support", &policy(POLICY));
        assert_eq!(c.accounts[0].send, SendMode::None);
        assert!(n.send.unwrap().contains("does not allow carol to send"));
    }

    #[test]
    fn local_config_may_narrow_but_never_widen() {
        let mut c = config("alice", "on-behalf");
        let n = apply(&mut c, "support", &policy(POLICY));
        assert_eq!(c.accounts[0].send, SendMode::OnBehalf);
        assert_eq!(n.send, None);
    }

    #[test]
    fn a_required_team_signature_replaces_the_local_one() {
        let mut c = config("bob", "as");
        apply(&mut c, "support", &policy(POLICY));
        let name = c.accounts[0].signature.clone().unwrap();
        let sig = &c.signatures[&name];
        assert_eq!(sig.text, "team");
        assert_eq!(sig.disclaimer.as_deref(), Some("Confidential."));
        assert!(sig.required);
    }

    #[test]
    fn an_optional_team_signature_yields_to_a_local_one() {
        let mut c = config("bob", "as");
        apply(
            &mut c,
            "support",
            &policy("version = 1\n[signature]\ntext = \"team\"\n"),
        );
        assert_eq!(c.accounts[0].signature.as_deref(), Some("mine"));
    }

    #[test]
    fn a_policy_without_send_rules_leaves_the_mode() {
        let mut c = config("carol", "as");
        apply(&mut c, "support", &policy("version = 1\n"));
        assert_eq!(c.accounts[0].send, SendMode::As);
    }
}
