//! `mailroom send` under the team policy: learned from the account's policy folder (else the
//! copy kept by the last read) and applied to the configuration before anything is built, so
//! the policy wins where it speaks. What it changed is said on standard error.

use std::io::Write;

use serde::Serialize;

use crate::config::{Config, SendMode};
use crate::engine::policy::{self, Learned};
use crate::policy::team::Narrowing;
use crate::sanitize;

/// The policy `mailroom send` enforced, for `--json`.
#[derive(Debug, Clone, Serialize)]
pub struct Enforced {
    /// The version of the policy in force.
    pub version: u64,
    /// Where it came from: `server` or `kept`.
    pub origin: policy::Origin,
    /// Why the policy lowered the send mode, when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub narrowed: Option<String>,
    /// Whether the team signature is used (required, or no local one).
    pub team_signature: bool,
}

/// `config` narrowed to the team policy of `account`, and what was enforced (`None`: no
/// policy, the local configuration rules). Warnings and narrowings go to `err`.
pub fn enforce(config: &Config, account: &str, err: &mut dyn Write) -> (Config, Option<Enforced>) {
    let mut narrowed = config.clone();
    let cache = policy::default_cache();
    let (learned, narrowing) = policy::enforce(&mut narrowed, account, cache.as_ref());
    let local_signature = config
        .accounts
        .iter()
        .find(|a| a.name == account)
        .and_then(|a| a.signature.clone());
    let mode = narrowed
        .accounts
        .iter()
        .find(|a| a.name == account)
        .map(|a| a.send);
    let _ = say(err, account, &learned, &narrowing, mode, local_signature);
    let enforced = learned.in_force.as_ref().map(|p| Enforced {
        version: p.policy.version,
        origin: learned.origin,
        narrowed: narrowing.send.clone(),
        team_signature: narrowing.signature,
    });
    (narrowed, enforced)
}

fn say(
    err: &mut dyn Write,
    account: &str,
    learned: &Learned,
    narrowing: &Narrowing,
    mode: Option<SendMode>,
    local_signature: Option<String>,
) -> std::io::Result<()> {
    let mut line = |s: String| writeln!(err, "{}", sanitize::single_line(&s));
    if let Some(w) = &learned.warning {
        line(format!("warning: {w}"))?;
    }
    for s in &learned.skipped {
        line(format!(
            "warning: account \"{account}\": the team policy message {} published by {} is \
             skipped, the policy before it rules: {}",
            s.uid, s.published_by, s.error
        ))?;
    }
    // A policy that gives no mode is said by the refusal itself.
    if let (Some(reason), Some(SendMode::OnBehalf)) = (&narrowing.send, mode) {
        line(format!("{reason}: sending on behalf"))?;
    }
    if narrowing.signature
        && local_signature.is_some()
        && let Some(p) = &learned.in_force
    {
        line(format!(
            "the team policy of {account} (version {}) requires its own signature and \
             disclaimer: yours is not used",
            p.policy.version
        ))?;
    }
    Ok(())
}
