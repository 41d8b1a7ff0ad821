//! The team policy in the column view: the policy each account's worker reported
//! (`engine::Event::Policy`: the kept copy at start-up, then the server's, again whenever the
//! policy folder changes) is applied to the App's configuration — each time to a fresh copy of
//! the original local configuration, so a relaxed policy relaxes again. Compose panes opened
//! after that offer only what the policy allows and say why; a policy that gives no mode makes
//! the pane refuse with its reason. A broken newer policy is said once on the status line.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use crate::config::Config;
use crate::engine::policy::Learned;
use crate::policy::team::{self, InForce};
use crate::ui::app::App;

/// The policies in force, per account name, and what was already said.
#[derive(Debug, Clone, Default)]
pub struct TeamPolicies {
    /// The configuration as loaded, before any policy (taken at the first report).
    local: Option<Arc<Config>>,
    in_force: BTreeMap<String, Arc<InForce>>,
    /// Warnings already shown (account, text): each once.
    said: HashSet<(String, String)>,
}

impl App {
    /// The team policy in force for `account` (by name), as its worker last reported it.
    pub fn team_policy(&self, account: &str) -> Option<&Arc<InForce>> {
        self.team.in_force.get(account)
    }
}

/// `engine::Event::Policy`: keeps the policy and narrows the configuration to it; true when
/// the screen changed.
pub(crate) fn on_policy(app: &mut App, account: String, learned: Learned) -> bool {
    let Some(config) = app.config.clone() else {
        return false;
    };
    let local = app.team.local.get_or_insert(config).clone();
    let idx = local.accounts.iter().position(|a| a.name == account);
    let mut warnings: Vec<String> = learned
        .skipped
        .iter()
        .map(|s| {
            format!(
                "the team policy message {} published by {} is skipped, the policy before it \
                 rules: {}",
                s.uid, s.published_by, s.error
            )
        })
        .collect();
    warnings.extend(learned.warning.iter().cloned());
    let mut changed = false;
    for w in warnings {
        if app.team.said.insert((account.clone(), w.clone()))
            && let Some(i) = idx
        {
            crate::ui::screen::status::on_warning(app, i, w);
            changed = true;
        }
    }
    let key = |p: &Arc<InForce>| (p.source.clone(), p.policy.version);
    let before = app.team.in_force.get(&account).map(key);
    match learned.in_force {
        Some(p) => {
            app.team.in_force.insert(account.clone(), p);
        }
        None => {
            app.team.in_force.remove(&account);
        }
    }
    let after = app.team.in_force.get(&account).map(key);
    if before != after {
        let mut narrowed = (*local).clone();
        for (name, p) in &app.team.in_force {
            team::apply(&mut narrowed, name, p);
        }
        app.config = Some(Arc::new(narrowed));
        changed = true;
    }
    // The column shows each row against the policy's first-response target.
    if let Some(i) = idx {
        let sla = app.team_policy(&account).and_then(|p| p.policy.sla.clone());
        changed |= crate::ui::screen::columns::sla::on_target(app, i, sla);
    }
    changed
}

/// Why the open compose pane may not be sent as it is: the team policy of its account changed
/// since the pane was planned (its identity and signature were decided under the old one).
pub(crate) fn changed_under_pane(app: &App) -> Option<String> {
    let c = app.compose.as_ref()?;
    let now = app
        .config
        .as_ref()?
        .accounts
        .get(c.account_idx)?
        .policy_version;
    if now == c.policy_version {
        return None;
    }
    let v = |v: Option<u64>| v.map_or_else(|| "none".to_string(), |v| format!("version {v}"));
    Some(format!(
        "the team policy of {} changed since this pane was opened ({} → {}): not sent; close \
         it (Ctrl-q keeps the draft) and open the draft again (:drafts) to send under the \
         policy in force",
        crate::sanitize::single_line(&c.account),
        v(c.policy_version),
        v(now)
    ))
}
