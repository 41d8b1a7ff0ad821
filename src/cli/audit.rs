//! `mailroom audit`: who sent what, as which identity and mode, to whom, when, with what
//! result — the local audit log and the accounts' Sent folders, merged (see
//! `insight::audit`). Newest first.

use std::io::Write;

use crate::config::Config;
use crate::insight::audit::{self, AuditError, Filter, Row};
use crate::sanitize::single_line;
use crate::store::audit::AuditLog;

use crate::mail::display::fit;

#[derive(Debug, thiserror::Error)]
pub enum AuditCliError {
    #[error(transparent)]
    Audit(#[from] AuditError),
    #[error("no data directory could be determined (set $HOME or $XDG_DATA_HOME)")]
    NoDataDir,
    #[error("cannot write the output: {0}")]
    Output(#[from] std::io::Error),
}

/// What the command line asked for.
#[derive(Debug, Clone, Default)]
pub struct AuditArgs {
    pub account: Option<String>,
    pub agent: Option<String>,
    /// `YYYY-MM-DD` or RFC 3339.
    pub since: Option<String>,
    pub json: bool,
}

/// `mailroom audit`; returns whether every source could be read.
pub fn run(config: &Config, args: &AuditArgs) -> Result<bool, AuditCliError> {
    let filter = Filter {
        account: args.account.clone(),
        agent: args.agent.clone(),
        since: args.since.as_deref().map(audit::parse_since).transpose()?,
    };
    let log = AuditLog::new(AuditLog::default_path().ok_or(AuditCliError::NoDataDir)?);
    let report = audit::collect(config, &log, &filter)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        super::print_json(&mut out, &report.rows)?;
    } else {
        print_rows(&mut out, &report.rows)?;
    }
    let mut err = std::io::stderr().lock();
    if report.bad_log_lines > 0 {
        writeln!(
            err,
            "mailroom: audit: {} line(s) of the audit log could not be read and were skipped",
            report.bad_log_lines
        )?;
    }
    for e in &report.errors {
        writeln!(err, "mailroom: audit: {}", single_line(e))?;
    }
    Ok(report.errors.is_empty())
}

/// Two lines per row, at most 100 columns: when, account, agent, mode, result, source; then
/// identity → first recipient (+ how many more) and the subject.
pub fn print_rows(out: &mut dyn Write, rows: &[Row]) -> std::io::Result<()> {
    if rows.is_empty() {
        return writeln!(out, "no sent messages or send attempts found");
    }
    writeln!(
        out,
        "{} {} {} {} {} SOURCE",
        fit("TIME (UTC)", 17),
        fit("ACCOUNT", 10),
        fit("AGENT", 10),
        fit("MODE", 9),
        fit("RESULT", 40),
    )?;
    for r in rows {
        let time = r.time.replacen('T', " ", 1);
        let time = time.get(..16).unwrap_or(&time);
        let line = format!(
            "{} {} {} {} {} {}",
            fit(time, 17),
            fit(&r.account, 10),
            fit(&r.agent, 10),
            fit(r.mode, 9),
            fit(&r.result, 40),
            r.source
        );
        writeln!(out, "{}", fit(&single_line(&line), 100).trim_end())?;
        let who = match &r.sender {
            Some(s) if r.mode == "on-behalf" => format!("{} via {s}", r.identity),
            _ => r.identity.clone(),
        };
        // The first recipient and a count keep room for the subject; --json lists them all.
        let to = match r.recipients.as_slice() {
            [] => "(no recipients)".to_string(),
            [one] => one.clone(),
            [first, rest @ ..] => format!("{first} +{}", rest.len()),
        };
        let detail = format!("  {who} → {to} · {}", r.subject);
        writeln!(out, "{}", fit(&single_line(&detail), 100).trim_end())?;
    }
    Ok(())
}
