//! Turning what the agent wrote into the message that is sent. Pure code (the caller reads
//! files and fetches originals).
//!
//! Reply helpers derive recipients, subject, threading and the quote from the message being
//! answered; `engine::reply` plans and builds with them for both front ends.

use super::compose;
use super::header;
use crate::config::Account;
use crate::message::{Addrs, Summary};
use crate::policy::signature;

/// Why a recipient field typed by the user cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    #[error(transparent)]
    Header(#[from] header::HeaderError),
}

/// The recipients of `v` with their display names (`Name <a@x>`, see
/// [`header::format_mailbox`]).
fn mailboxes(v: Addrs<'_>) -> Vec<String> {
    v.map(|a| header::format_mailbox(a.name, a.email)).collect()
}

/// "Re: subject", without stacking prefixes.
pub fn reply_subject(original: &str) -> String {
    prefixed("Re:", original)
}

/// "Fwd: subject", without stacking prefixes.
pub fn forward_subject(original: &str) -> String {
    prefixed("Fwd:", original)
}

fn prefixed(prefix: &str, original: &str) -> String {
    let s = original.trim();
    let n = prefix.len();
    if s.len() >= n && s.is_char_boundary(n) && s[..n].eq_ignore_ascii_case(prefix) {
        s.to_string()
    } else {
        format!("{prefix} {s}")
    }
}

/// Where a reply goes: Reply-To, else From (display names kept).
pub fn reply_to(original: &Summary) -> Vec<String> {
    if original.reply_to().is_empty() {
        mailboxes(original.from())
    } else {
        mailboxes(original.reply_to())
    }
}

/// The Cc of a reply to all: the original's To and Cc with their display names, minus the
/// account's own addresses and anyone already in `to`, without duplicates (by address).
pub fn reply_all_cc(original: &Summary, account: &Account, to: &[String]) -> Vec<String> {
    let own = |a: &str| {
        std::iter::once(&account.address)
            .chain(account.aliases.iter())
            .any(|o| o.eq_ignore_ascii_case(a))
    };
    let mut seen: Vec<String> = to.iter().map(|t| header::email_of(t)).collect();
    let mut out: Vec<String> = Vec::new();
    for a in original.to().chain(original.cc()) {
        let e = a.email;
        if own(e) || seen.iter().any(|t| t.eq_ignore_ascii_case(e)) {
            continue;
        }
        seen.push(e.to_string());
        out.push(header::format_mailbox(a.name, e));
    }
    out
}

/// In-Reply-To and References for a reply to `original`.
pub fn threading(original: &Summary) -> (Option<String>, Vec<String>) {
    let mut references = original.references().to_vec();
    if let Some(m) = original.message_id()
        && !references.iter().any(|r| r == m)
    {
        references.push(m.to_string());
    }
    (original.message_id().map(str::to_string), references)
}

/// The attribution line and `> ` quote of `text` (the original's readable body).
pub fn quote(original: &Summary, text: &str) -> String {
    let who = original
        .from()
        .first()
        .map(|a| a.display())
        .unwrap_or_default();
    let when = original
        .date
        .map(super::date::rfc5322_utc)
        .unwrap_or_default();
    signature::quote(&signature::attribution(&when, &who), text)
}

/// The original, quoted inline under a "Forwarded message" heading.
pub fn forward_quote(original: &Summary, text: &str) -> String {
    let when = original
        .date
        .map(super::date::rfc5322_utc)
        .unwrap_or_default();
    let list = |v: Addrs<'_>| v.map(|a| a.display()).collect::<Vec<_>>().join(", ");
    let mut out = String::from("---------- Forwarded message ----------\n");
    out.push_str(&format!("From: {}\n", list(original.from())));
    if !when.is_empty() {
        out.push_str(&format!("Date: {when}\n"));
    }
    out.push_str(&format!("Subject: {}\n", original.subject()));
    out.push_str(&format!("To: {}\n", list(original.to())));
    if !original.cc().is_empty() {
        out.push_str(&format!("Cc: {}\n", list(original.cc())));
    }
    out.push('\n');
    out.push_str(text.trim_end_matches('\n'));
    out.push('\n');
    out
}

/// A MIME type from a file name's extension.
pub fn content_type(name: &str) -> &'static str {
    match name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .as_deref()
    {
        Some("pdf") => "application/pdf",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("txt" | "log") => "text/plain",
        Some("csv") => "text/csv",
        Some("html" | "htm") => "text/html",
        Some("zip") => "application/zip",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}

/// Reads a file to attach (the only I/O here; callers keep it off the UI thread or small).
pub fn load_attachment(path: &std::path::Path) -> std::io::Result<compose::Attachment> {
    let data = std::fs::read(path)?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "attachment".into());
    Ok(compose::Attachment {
        content_type: content_type(&file_name).to_string(),
        file_name,
        data,
    })
}

/// Parses one recipient field typed by the user (`a@x, b@y`).
pub fn addresses(field: &str, values: &[String]) -> Result<Vec<String>, PrepareError> {
    let mut out = Vec::new();
    for v in values {
        out.extend(header::parse_addresses(field, v)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_do_not_stack() {
        assert_eq!(reply_subject("Re: hi"), "Re: hi");
        assert_eq!(reply_subject("hi"), "Re: hi");
        assert_eq!(forward_subject("FWD: x"), "FWD: x");
        assert_eq!(reply_subject("é"), "Re: é");
    }

    #[test]
    fn reply_all_keeps_display_names_and_drops_own_addresses() {
        use crate::message::{Address, Fields};
        let a = |n: &str, e: &str| Address {
            name: (!n.is_empty()).then(|| n.to_string()),
            email: e.to_string(),
        };
        let o = Summary::new(Fields {
            from: vec![a("Zoë Ünal", "zoe@outside.test")],
            to: vec![
                a("Help Desk", "HELP@example.test"),
                a("Doe, Jane", "jane@x.test"),
            ],
            cc: vec![
                a("Ann Example", "ann@x.test"),
                a("Zoe again", "zoe@outside.test"),
            ],
            ..Fields::default()
        });
        let account: Account = toml::from_str(
            "name = \"s\"\naddress = \"support@example.test\"\naliases = [\"help@example.test\"]\nsend = \"as\"\n[maildir]\npath = \"/x\"",
        )
        .unwrap();
        let to = reply_to(&o);
        assert_eq!(to, ["Zoë Ünal <zoe@outside.test>"]);
        assert_eq!(
            reply_all_cc(&o, &account, &to),
            ["\"Doe, Jane\" <jane@x.test>", "Ann Example <ann@x.test>"]
        );
    }
}
