//! The team policy part of `mailroom check`: the policy in force (version, who published it,
//! when, the folder), the policy messages skipped, and who may change the policy folder
//! without administering it (`imap::policy_acl::guard`).

use std::io::Write;

use serde::Serialize;

use super::check::AccountReport;
use crate::config::Account;
use crate::engine::policy::{self as engine, Learned, Origin, Skipped};
use crate::imap::policy_acl::{self, Source};
use crate::policy::guard::Tamper;
use crate::sanitize::single_line;

/// `check --json`'s `policy` object.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyReport {
    /// The policy folder (null when it was not asked: offline, or the server failed).
    pub folder: Option<String>,
    /// "server", "kept" (offline, or the server failed) or "none".
    pub origin: Origin,
    /// The version in force; null: no team policy (the local config rules).
    pub version: Option<u64>,
    pub published_by: Option<String>,
    pub published_at: Option<String>,
    pub uid: Option<u32>,
    pub administrators: Vec<String>,
    /// Newer policy messages that fail validation.
    pub skipped: Vec<Skipped>,
    /// How far the folder's rights were checked: "getacl", "myrights", "no-acl", "missing";
    /// null when not checked.
    pub rights_checked: Option<Source>,
    /// Who may insert into or delete from the policy folder without administering it.
    pub tampering: Vec<Tamper>,
}

impl PolicyReport {
    fn of(learned: &Learned) -> PolicyReport {
        let p = learned.in_force.as_deref();
        PolicyReport {
            folder: p.map(|p| single_line(&p.source.folder)),
            origin: learned.origin,
            version: p.map(|p| p.policy.version),
            published_by: p.map(|p| single_line(&p.source.published_by)),
            published_at: p.map(|p| p.source.published_at.clone()),
            uid: p.map(|p| p.source.uid),
            administrators: p
                .map(|p| p.policy.administrators.clone())
                .unwrap_or_default(),
            skipped: learned.skipped.clone(),
            rights_checked: None,
            tampering: Vec::new(),
        }
    }
}

fn skipped_warnings(report: &PolicyReport, r: &mut AccountReport) {
    for k in &report.skipped {
        r.warnings.push(format!(
            "team policy message UID {} by {} is skipped: {}",
            k.uid,
            if k.published_by.is_empty() {
                "(unknown)"
            } else {
                &k.published_by
            },
            k.error.replace('\n', "; ")
        ));
    }
}

/// Offline: the copy kept from the last read, if any.
pub fn apply_offline(account: &Account, r: &mut AccountReport) {
    if account.imap.is_none() {
        return;
    }
    let learned = engine::kept(account, engine::default_cache().as_ref());
    if let Some(w) = &learned.warning {
        r.warnings.push(format!("team policy: {w}"));
    }
    r.policy = Some(PolicyReport::of(&learned));
}

/// Reads the policy in force (keeping a copy) and checks the policy folder's rights; `agent`
/// (the configured agent id) names this login where only its own rights can be read.
pub fn apply(account: &Account, agent: &str, r: &mut AccountReport) {
    if account.imap.is_none() {
        return;
    }
    let cache = engine::default_cache();
    let (mut conn, folder) = match super::policy::connect(account) {
        Ok(c) => c,
        Err(e) => {
            r.warnings
                .push(format!("the team policy could not be read: {e}"));
            apply_offline(account, r);
            return;
        }
    };
    let learned = match engine::read_on(&mut conn, account, cache.as_ref()) {
        Ok(l) => l,
        Err(e) => {
            r.warnings.push(format!(
                "the team policy could not be read from {:?}: {e}",
                single_line(&folder)
            ));
            let _ = conn.session.logout();
            return;
        }
    };
    if let Some(w) = &learned.warning {
        r.warnings.push(w.clone());
    }
    let mut report = PolicyReport::of(&learned);
    report.folder = Some(single_line(&folder));
    skipped_warnings(&report, r);
    match policy_acl::guard(&mut conn, &folder, agent, &report.administrators) {
        Ok(g) => {
            for t in &g.tampering {
                r.warnings.push(t.describe());
            }
            report.rights_checked = Some(g.source);
            report.tampering = g.tampering;
        }
        Err(e) => r.warnings.push(format!(
            "the rights on the policy folder {:?} could not be checked: {e}",
            single_line(&folder)
        )),
    }
    let _ = conn.session.logout();
    r.policy = Some(report);
}

/// The `policy` lines of `check`'s text report.
pub fn print(r: &AccountReport, out: &mut dyn Write) -> std::io::Result<()> {
    let Some(p) = &r.policy else {
        return Ok(());
    };
    let s = single_line;
    let folder = p.folder.as_deref().map(s);
    match p.version {
        None => writeln!(
            out,
            "  {:<9} no team policy (the local config rules){}",
            "policy",
            folder
                .map(|f| format!(": nothing valid in {f}"))
                .unwrap_or_default()
        )?,
        Some(v) => writeln!(
            out,
            "  {:<9} version {v}, published by {} on {}, {} (UID {}){}",
            "policy",
            s(p.published_by.as_deref().unwrap_or("(unknown)")),
            p.published_at
                .as_deref()
                .filter(|d| !d.is_empty())
                .unwrap_or("an unknown date"),
            folder.unwrap_or_default(),
            p.uid.unwrap_or_default(),
            if p.origin == Origin::Kept {
                " — the copy kept offline"
            } else {
                ""
            }
        )?,
    }
    if let Some(source) = p.rights_checked
        && source != Source::Missing
    {
        let verdict = if p.tampering.is_empty() {
            match source {
                Source::Getacl => "only holders of the `a` right may change it; ",
                Source::Myrights => "this login may not change it; ",
                _ => "",
            }
        } else {
            "NOT tamper-evident (see the warnings); "
        };
        writeln!(out, "  {:<9} {verdict}{}", "", source.describe())?;
    }
    Ok(())
}
