//! `mailroom access`: the agent's rights on every configured shared mailbox and its folders,
//! the full ACL where the agent may read it, and risky grants flagged (see `insight::access`).

use std::io::Write;

use crate::config::Config;
use crate::insight::access::{self, AccountAccess};
use crate::sanitize::single_line;

use crate::mail::display::fit;

const WIDTH: usize = 100;

/// `mailroom access`; returns whether every account could be examined (risky grants are
/// reported, not failures).
pub fn run(config: &Config, json: bool) -> std::io::Result<bool> {
    let reports = access::report(config);
    let mut out = std::io::stdout().lock();
    if json {
        super::print_json(&mut out, &reports)?;
    } else {
        print_reports(&mut out, &reports)?;
    }
    let mut err = std::io::stderr().lock();
    for r in &reports {
        for w in &r.warnings {
            writeln!(
                err,
                "mailroom: access: warning: account {:?}: {}",
                r.account,
                single_line(w)
            )?;
        }
    }
    for r in reports.iter().filter(|r| r.failed()) {
        if let Some(e) = &r.error {
            writeln!(err, "mailroom: access: {}", single_line(e))?;
        }
        for f in r.folders.iter().filter(|f| f.error.is_some()) {
            writeln!(
                err,
                "mailroom: access: account {:?}: {}: {}",
                r.account,
                single_line(&f.name),
                single_line(f.error.as_deref().unwrap_or_default())
            )?;
        }
    }
    Ok(!reports.iter().any(AccountAccess::failed))
}

fn line(out: &mut dyn Write, text: &str) -> std::io::Result<()> {
    writeln!(out, "{}", fit(&single_line(text), WIDTH).trim_end())
}

pub fn print_reports(out: &mut dyn Write, reports: &[AccountAccess]) -> std::io::Result<()> {
    for (i, r) in reports.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        let mut head = format!("{}  {} {}", r.account, r.kind, r.location);
        if let Some(l) = &r.login {
            head.push_str(&format!("  login {l}"));
        }
        if let Some(s) = &r.scope {
            head.push_str(&format!("  folders {s}"));
        }
        line(out, &head)?;
        if let Some(e) = &r.error {
            line(out, &format!("  error: {e}"))?;
        }
        if let Some(n) = &r.note {
            line(out, &format!("  note: {n}"))?;
        }
        for w in &r.warnings {
            line(out, &format!("  warning: {w}"))?;
        }
        if let Some(p) = &r.policy {
            line(out, &format!("  {}", p.summary()))?;
        }
        for f in &r.folders {
            let mut text = format!("  {}", fit(&f.name, 40));
            if let Some(m) = &f.myrights {
                text.push_str(&format!(
                    " you: {}",
                    if m.is_empty() { "(none)" } else { m }
                ));
            }
            line(out, &text)?;
            if let Some(e) = &f.error {
                line(out, &format!("    error: {e}"))?;
            }
            if let Some(acl) = &f.acl {
                for g in acl {
                    let rights = if g.rights.is_empty() {
                        &g.raw
                    } else {
                        &g.rights
                    };
                    line(out, &format!("    {} {rights}", fit(&g.identifier, 30)))?;
                }
            } else if let Some(n) = &f.note
                && r.note.as_deref() != Some(n.as_str())
            {
                line(out, &format!("    ({n})"))?;
            }
            for flag in &f.flags {
                line(out, &format!("    ! {}: {}", flag.rule, flag.message))?;
            }
        }
    }
    let flagged: usize = reports.iter().map(AccountAccess::flag_count).sum();
    if flagged > 0 {
        writeln!(out)?;
        writeln!(out, "{flagged} risky grant(s) flagged")?;
    }
    Ok(())
}
