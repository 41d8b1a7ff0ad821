//! `mailroom stats [ACCOUNT...] [--since DATE] [--until DATE] [--json]`: response times per
//! mailbox and per agent, from INTERNALDATEs of the mailbox and the Sent folder (see
//! `crate::insight::stats` for every definition).

use std::io::Write;

use crate::config::Config;
use crate::insight::collect::{self, StatsError};
use crate::insight::stats::{AgentStats, Report, ResponseTimes, WeekHours, human_duration};
use crate::sanitize::single_line;

#[derive(Debug, thiserror::Error)]
pub enum StatsCliError {
    #[error(transparent)]
    Stats(#[from] StatsError),
    #[error("cannot write the output: {0}")]
    Output(#[from] std::io::Error),
}

#[derive(Debug, Clone, Default)]
pub struct StatsArgs {
    /// Account names; empty: every account.
    pub accounts: Vec<String>,
    pub since: Option<String>,
    pub until: Option<String>,
    pub json: bool,
}

pub fn run(config: &Config, args: &StatsArgs) -> Result<(), StatsCliError> {
    let now = collect::now();
    let (since, until) =
        collect::window(config, args.since.as_deref(), args.until.as_deref(), now)?;
    // Each account's first-response target, from the team policy in force.
    let targets = |name: &str| {
        let account = config.accounts.iter().find(|a| a.name == name)?;
        super::list::sla_target(account, false)
    };
    let report = collect::compute_with_targets(
        config,
        &args.accounts,
        since,
        until,
        &std::collections::HashSet::new(),
        &targets,
    )?;
    for w in &report.warnings {
        eprintln!("mailroom: warning: {}", single_line(w));
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        super::print_json(&mut out, &report)?;
    } else {
        write_text(&report, &mut out)?;
    }
    Ok(())
}

fn duration(v: Option<i64>) -> String {
    v.map(human_duration).unwrap_or_else(|| "-".into())
}

fn times(t: &ResponseTimes) -> String {
    format!(
        "{:>9} {:>9}",
        duration(t.median_seconds),
        duration(t.p90_seconds)
    )
}

/// The report as tables that fit 80 columns. Every string from mail is sanitized.
pub fn write_text(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    let window = match (&report.since, &report.until) {
        (None, None) => "all time".to_string(),
        (Some(s), None) => format!("since {s}"),
        (None, Some(u)) => format!("until {u}"),
        (Some(s), Some(u)) => format!("{s} to {u}"),
    };
    writeln!(out, "First responses, {window} (by INTERNALDATE)")?;
    writeln!(
        out,
        "Timezone {}; {}",
        report.timezone_offset,
        match &report.business_hours {
            Some(b) => format!("business hours only: {}", single_line(b)),
            None => "all hours count".into(),
        }
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "{:<18} {:>5} {:>5} {:>6} {:>9} {:>9} {:>5} {:>6}",
        "MAILBOX", "RECV", "ANSW", "UNANSW", "MEDIAN", "P90", "SENT", "OPENED"
    )?;
    for m in &report.mailboxes {
        writeln!(
            out,
            "{} {:>5} {:>5} {:>6} {} {:>5} {:>6}",
            crate::mail::display::fit(&single_line(&m.account), 18),
            m.received,
            m.answered,
            m.unanswered,
            times(&m.first_response),
            m.sent,
            m.opened
        )?;
        if let Some(w) = &m.oldest_unanswered {
            let head = format!(
                "  oldest waiting: UID {}, {} ago, from ",
                w.uid,
                human_duration(w.age_seconds)
            );
            let from = crate::mail::display::fit(
                &single_line(&w.from),
                78usize.saturating_sub(head.len()),
            );
            writeln!(out, "{head}{}", from.trim_end())?;
            writeln!(
                out,
                "    {}",
                crate::mail::display::fit(&single_line(&w.subject), 74).trim_end()
            )?;
        }
    }
    writeln!(out)?;
    write_agents(&report.agents, out)?;
    write_sla(report, out)?;
    for m in &report.mailboxes {
        if report.mailboxes.len() > 1 && !m.agents.is_empty() {
            writeln!(out)?;
            writeln!(out, "In {}:", single_line(&m.account))?;
            write_agents(&m.agents, out)?;
        }
    }
    write_templates(report, out)?;
    for m in &report.mailboxes {
        writeln!(out)?;
        writeln!(
            out,
            "Received by weekday and hour, {} (UTC{}):",
            single_line(&m.account),
            report.timezone_offset
        )?;
        write_grid(&m.by_weekday_hour, out)?;
    }
    Ok(())
}

/// "Templates used": one line per template, most used first.
fn write_templates(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    if report.templates.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(out, "{:<32} {:>5}", "TEMPLATE", "USES")?;
    for t in &report.templates {
        writeln!(
            out,
            "{} {:>5}",
            crate::mail::display::fit(&single_line(&t.template), 32),
            t.uses
        )?;
    }
    Ok(())
}

fn write_agents(agents: &[AgentStats], out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "{:<30} {:>5} {:>9} {:>9} {:>5} {:>6}",
        "AGENT", "ANSW", "MEDIAN", "P90", "SENT", "OPENED"
    )?;
    if agents.is_empty() {
        writeln!(out, "(no sent messages)")?;
    }
    for a in agents {
        writeln!(
            out,
            "{} {:>5} {} {:>5} {:>6}",
            crate::mail::display::fit(&single_line(&a.agent), 30),
            a.answered,
            times(&a.first_response),
            a.sent,
            a.opened
        )?;
    }
    Ok(())
}

/// Met, breached and overdue against the team policy's first-response targets, per mailbox
/// and per agent; nothing when no mailbox has a target.
fn write_sla(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    if report.mailboxes.iter().all(|m| m.sla.is_none()) {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(out, "First-response target (team policy SLA):")?;
    writeln!(
        out,
        "{:<30} {:>5} {:>8} {:>7}",
        "MAILBOX", "MET", "BREACHED", "OVERDUE"
    )?;
    for m in &report.mailboxes {
        let name = crate::mail::display::fit(&single_line(&m.account), 30);
        match &m.sla {
            Some(c) => writeln!(
                out,
                "{name} {:>5} {:>8} {:>7}",
                c.met, c.breached, c.overdue
            )?,
            None => writeln!(out, "{name} (no target)")?,
        }
    }
    writeln!(out, "{:<30} {:>5} {:>8}", "AGENT", "MET", "BREACHED")?;
    for a in &report.agents {
        if let Some(c) = &a.sla {
            writeln!(
                out,
                "{} {:>5} {:>8}",
                crate::mail::display::fit(&single_line(&a.agent), 30),
                c.met,
                c.breached
            )?;
        }
    }
    Ok(())
}

/// A 7 × 24 grid of shades (relative to the busiest hour) with row totals: 62 columns.
pub fn write_grid(grid: &WeekHours, out: &mut dyn Write) -> std::io::Result<()> {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let max = grid.0.iter().flatten().copied().max().unwrap_or(0);
    writeln!(
        out,
        "     00    03    06    09    12    15    18    21      total"
    )?;
    for (d, row) in grid.0.iter().enumerate() {
        let mut line = format!("{} ", DAYS[d]);
        for &n in row {
            line.push(shade(n, max));
            line.push(' ');
        }
        let total: u32 = row.iter().sum();
        writeln!(out, "{line} {total:>6}")?;
    }
    writeln!(out, "     · none  ░ ▒ ▓ █ up to the busiest hour ({max})")
}

fn shade(n: u32, max: u32) -> char {
    if n == 0 || max == 0 {
        return '·';
    }
    match (u64::from(n) * 4).div_ceil(u64::from(max)) {
        0 | 1 => '░',
        2 => '▒',
        3 => '▓',
        _ => '█',
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::insight::stats::{MailboxStats, Waiting};
    use unicode_width::UnicodeWidthStr;

    #[test]
    fn text_fits_80_columns_and_is_sanitized() {
        let mut grid = WeekHours::default();
        grid.0[0][9] = 4;
        grid.0[4][16] = 1;
        let report = Report {
            generated: "2026-03-09T00:00:00Z".into(),
            since: Some("2026-03-02T00:00:00Z".into()),
            until: Some("2026-03-09T00:00:00Z".into()),
            timezone_offset: "+01:00".into(),
            business_hours: Some("mon,tue,wed,thu,fri 09:00-17:00".into()),
            mailboxes: vec![MailboxStats {
                account: "support".into(),
                received: 7,
                answered: 5,
                unanswered: 2,
                oldest_unanswered: Some(Waiting {
                    uid: 6,
                    subject: "\x1b]0;pwned\x07 a very long subject that goes on and on and on and on and on".into(),
                    from: "c6@outside.test".into(),
                    received: "2026-03-02T05:00:00Z".into(),
                    age_seconds: 3 * 86_400 + 4 * 3600,
                }),
                first_response: ResponseTimes {
                    count: 5,
                    median_seconds: Some(1800),
                    p90_seconds: Some(5400),
                },
                by_weekday_hour: grid,
                ..MailboxStats::default()
            }],
            agents: vec![AgentStats {
                agent: "a-very-long-sender-address-that-is-not-an-agent@example.test".into(),
                answered: 1,
                first_response: ResponseTimes {
                    count: 1,
                    median_seconds: Some(7500),
                    p90_seconds: Some(7500),
                },
                ..AgentStats::default()
            }],
            warnings: vec![],
            templates: vec![crate::insight::template_uses::TemplateUses {
                template: "refund".into(),
                uses: 3,
                ..Default::default()
            }],
        };
        let mut out = Vec::new();
        write_text(&report, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(!text.contains('\x1b') && !text.contains('\x07'), "{text}");
        for line in text.lines() {
            assert!(line.width() <= 80, "{} cells: {line}", line.width());
        }
        assert!(
            text.contains("30m 00s") && text.contains("1h 30m"),
            "{text}"
        );
        assert!(text.contains("oldest waiting: UID 6, 3d 04h ago"), "{text}");
        assert!(text.contains("\nTEMPLATE "), "{text}");
        assert!(text.contains("\nrefund  "), "{text}");
        assert!(text.contains("    3\n"), "{text}");
        assert!(text.contains("Mon · · · · · · · · · █"), "{text}");
        assert!(!text.contains("SLA"), "no target, no SLA table: {text}");
    }

    #[test]
    fn sla_counts_per_mailbox_and_agent() {
        use crate::insight::sla::SlaCounts;
        let counts = |met, breached, overdue| {
            Some(SlaCounts {
                met,
                breached,
                overdue,
            })
        };
        let report = Report {
            mailboxes: vec![
                MailboxStats {
                    account: "support".into(),
                    sla: counts(12, 3, 1),
                    ..MailboxStats::default()
                },
                MailboxStats {
                    account: "sales".into(),
                    ..MailboxStats::default()
                },
            ],
            agents: vec![
                AgentStats {
                    agent: "alice".into(),
                    sla: counts(9, 1, 0),
                    ..AgentStats::default()
                },
                AgentStats {
                    agent: "dave".into(),
                    ..AgentStats::default()
                },
            ],
            ..Report::default()
        };
        let mut out = Vec::new();
        write_text(&report, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let table: Vec<&str> = text
            .lines()
            .skip_while(|l| !l.starts_with("First-response target"))
            .take(6)
            .map(str::trim_end)
            .collect();
        assert_eq!(
            table,
            [
                "First-response target (team policy SLA):",
                "MAILBOX                          MET BREACHED OVERDUE",
                "support                           12        3       1",
                "sales                          (no target)",
                "AGENT                            MET BREACHED",
                "alice                              9        1",
            ],
            "{text}"
        );
    }
}
