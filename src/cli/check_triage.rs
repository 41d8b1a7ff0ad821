//! `mailroom check`'s predictions of triage problems (issue 16): what `imap::predict` found,
//! as report fields, warning lines and text lines.

use std::io::Write;

use super::check::AccountReport;
use crate::imap::predict::{Findings, Server};
use crate::sanitize::single_line as s;

/// Copies the findings into the report and adds a warning for each predicted problem.
pub fn apply(r: &mut AccountReport, f: Findings) {
    r.server = f.server;
    // One warning per reason (a missing `Assigned` implies a missing `Assigned/<me>`).
    let mut groups: Vec<(Option<bool>, &str, Vec<String>)> = Vec::new();
    for folder in f.team_folders.iter().filter(|f| !f.exists) {
        let name = format!("{:?}", s(&folder.name));
        match groups
            .iter_mut()
            .find(|(c, why, _)| *c == folder.creatable && *why == folder.why)
        {
            Some((_, _, names)) => names.push(name),
            None => groups.push((folder.creatable, &folder.why, vec![name])),
        }
    }
    for (creatable, why, names) in groups {
        let (what, it) = if names.len() == 1 {
            (format!("team folder {} does not", names[0]), "it")
        } else {
            (format!("team folders {} do not", names.join(", ")), "them")
        };
        match creatable {
            Some(true) => {}
            Some(false) => r.warnings.push(format!(
                "{what} exist and this agent cannot create {it} ({why}): claims and status changes that move a message there will fail until an administrator creates {it} or grants `k`"
            )),
            None => r.warnings.push(format!(
                "{what} exist; whether this agent may create {it} is {why}: claims and status changes fail if it cannot"
            )),
        }
    }
    if let Some(u) = &f.user_flags
        && let (Some(limit), Some(false)) = (u.limit, u.fits)
    {
        r.warnings.push(format!(
            "the mailbox holds {} of the server's {limit} user flags (Cyrus' limit) and the keywords this agent needs are not all there ({}): they would not fit, so claims, assignment and status changes will fail with \"Too many user flags in mailbox\" (a keyword once used keeps its slot)",
            u.used,
            u.missing.join(" ")
        ));
    }
    if let Some(k) = &f.keyword_probe
        && k.stored == Some(false)
    {
        let answer = k.answer.as_deref().unwrap_or("NO");
        let hint = if f.server == Some(Server::Dovecot)
            && answer.to_ascii_lowercase().contains("length")
        {
            format!(
                " (Dovecot: `mail_max_keyword_length` must be at least {})",
                k.length
            )
        } else {
            String::new()
        };
        r.warnings.push(format!(
            "this agent cannot store its keyword {} ({} characters, the longest mailroom uses): the server answered {answer:?}; claims, assignment and replying marks will fail{hint}",
            k.keyword, k.length
        ));
    }
    if let Some(rs) = &f.read_state {
        r.read_state = Some(rs.state);
        r.read_state_reason = Some(rs.reason.clone());
        if rs.state == "per-agent" {
            r.warnings.push(format!(
                "read state is per agent on {:?}: \\Seen one agent sets is not seen by the others and unread counts differ per agent ({})",
                s(&r.mailbox),
                rs.reason
            ));
        }
    }
    r.team_folder_checks = f.team_folders;
    r.keyword_probe = f.keyword_probe;
    r.user_flags = f.user_flags;
    r.sent_found = f.sent_found;
}

/// The hint for a missing or unset Sent folder: the one the server has, as a config line.
pub fn sent_hint(r: &AccountReport) -> String {
    match &r.sent_found {
        Some(found) => format!(
            "; the server has the Sent folder {:?}: add `sent = {:?}` to [account.imap]",
            s(found),
            s(found)
        ),
        None => String::new(),
    }
}

/// The text lines `folder`, `keyword`, `flags` and `read`.
pub fn print(r: &AccountReport, out: &mut dyn Write) -> std::io::Result<()> {
    for f in &r.team_folder_checks {
        let state = if f.exists {
            "exists".to_string()
        } else {
            match f.creatable {
                Some(true) => format!("missing, this agent may create it ({})", f.why),
                Some(false) => format!("missing, this agent cannot create it ({})", f.why),
                None => format!("missing, creatable: {}", f.why),
            }
        };
        writeln!(out, "  {:<9} {} {state}", "folder", s(&f.name))?;
    }
    if let Some(k) = &r.keyword_probe {
        let result = match (k.stored, k.how) {
            (Some(true), "listed") => "already in the mailbox's keywords".to_string(),
            (Some(true), _) => "can be stored (probe STORE on no message)".to_string(),
            (Some(false), _) => format!("REFUSED: {}", s(k.answer.as_deref().unwrap_or("NO"))),
            (None, _) => "not tried: it would not fit".to_string(),
        };
        writeln!(
            out,
            "  {:<9} {} ({} characters) {result}",
            "keyword", k.keyword, k.length
        )?;
    }
    if let Some(u) = &r.user_flags {
        let limit = match u.limit {
            Some(l) => format!("{} of {l} user flags in use", u.used),
            None => format!("{} user flags in use, no known limit", u.used),
        };
        let missing = if u.missing.is_empty() {
            "every keyword this agent needs is there".to_string()
        } else {
            format!("not yet there: {}", u.missing.join(" "))
        };
        writeln!(out, "  {:<9} {limit}; {missing}", "flags")?;
    }
    if let (Some(state), Some(reason)) = (r.read_state, &r.read_state_reason) {
        let state = match state {
            "shared" => "shared by the team",
            "per-agent" => "per agent",
            other => other,
        };
        writeln!(out, "  {:<9} read state: {state} ({})", "read", s(reason))?;
    }
    Ok(())
}
