//! `mailroom policy ACCOUNT diff FILE`: what publishing FILE would change, line by line.

use std::io::Write;
use std::path::Path;

use serde::Serialize;

use super::linediff::{self, Line};
use super::{PolicyCliError, read_document};
use crate::config::Account;
use crate::sanitize::{multi_line, single_line};

#[derive(Debug, Serialize)]
pub struct Diffed {
    pub account: String,
    pub folder: Option<String>,
    /// The version in force (null: no policy in force).
    pub in_force: Option<u64>,
    /// FILE's version.
    pub version: u64,
    pub identical: bool,
    pub lines: Vec<Line>,
}

pub fn run(
    account: &Account,
    file: &Path,
    json: bool,
    out: &mut dyn Write,
) -> Result<bool, PolicyCliError> {
    let (text, policy) = read_document(file)?;
    let shown = super::show::learn(account)?;
    let old = shown
        .in_force
        .as_ref()
        .map(|p| p.document.as_str())
        .unwrap_or("");
    let lines = linediff::diff(old, &text);
    let d = Diffed {
        account: shown.account.clone(),
        folder: shown.folder.clone(),
        in_force: shown.in_force.as_ref().map(|p| p.version),
        version: policy.version,
        identical: linediff::same(&lines),
        lines,
    };
    if json {
        super::super::print_json(out, &d)?;
    } else {
        let from = match d.in_force {
            Some(v) => format!("version {v} in force"),
            None => "no policy in force".to_string(),
        };
        writeln!(
            out,
            "--- {} ({from})",
            single_line(d.folder.as_deref().unwrap_or(&d.account))
        )?;
        writeln!(
            out,
            "+++ {} (version {})",
            single_line(&file.display().to_string()),
            d.version
        )?;
        if d.identical {
            writeln!(out, "(no differences)")?;
        } else {
            write!(out, "{}", multi_line(&linediff::render(&d.lines)))?;
        }
    }
    if let Some(w) = &shown.warning {
        eprintln!("mailroom: policy: warning: {}", single_line(w));
    }
    Ok(true)
}
