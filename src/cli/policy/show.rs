//! `mailroom policy ACCOUNT show`: the policy in force, where it came from, and the newer
//! policy messages that were skipped.

use std::io::Write;

use serde::Serialize;

use super::{PolicyCliError, connect, folder_error, imap_of};
use crate::config::Account;
use crate::engine::policy::{self as engine, Learned, Origin, Skipped};
use crate::policy::team::{InForce, Provenance};
use crate::sanitize::{multi_line, single_line};

#[derive(Debug, Serialize)]
pub struct Shown {
    pub account: String,
    /// The policy folder (null when the server could not be asked).
    pub folder: Option<String>,
    /// "server", "maildir", "kept" (the server could not be reached) or "none".
    pub origin: Origin,
    pub in_force: Option<Policy>,
    pub skipped: Vec<Skipped>,
    pub warning: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Policy {
    pub version: u64,
    #[serde(flatten)]
    pub source: Provenance,
    pub administrators: Vec<String>,
    /// File names of the policy message's attachments.
    pub attachments: Vec<String>,
    pub document: String,
}

impl Policy {
    pub fn of(p: &InForce) -> Policy {
        Policy {
            version: p.policy.version,
            source: p.source.clone(),
            administrators: p.policy.administrators.clone(),
            attachments: p.attachments.iter().map(|a| a.name.clone()).collect(),
            document: p.document.clone(),
        }
    }
}

/// The policy of `account`: from the server (and kept), else the copy kept offline.
pub fn learn(account: &Account) -> Result<Shown, PolicyCliError> {
    if let Some(mut b) = super::maildir_of(account)? {
        let learned =
            engine::read_local(&mut b, account).map_err(|e| super::maildir_error(account, e))?;
        return Ok(Shown {
            account: single_line(&account.name),
            folder: Some(crate::backend::policy::folder(account)),
            origin: learned.origin,
            in_force: learned.in_force.as_deref().map(Policy::of),
            skipped: learned.skipped,
            warning: learned.warning,
        });
    }
    imap_of(account)?;
    let cache = engine::default_cache();
    let (learned, folder): (Learned, Option<String>) = match connect(account) {
        Ok((mut conn, folder)) => {
            let l = engine::read_on(&mut conn, account, cache.as_ref())
                .map_err(|e| folder_error(account, e))?;
            let _ = conn.session.logout();
            (l, Some(folder))
        }
        Err(e) => {
            let mut l = engine::kept(account, cache.as_ref());
            let what = if l.in_force.is_some() {
                "the copy kept from the last read is shown"
            } else {
                "no copy is kept"
            };
            l.warning = Some(format!("the server could not be asked ({e}); {what}"));
            (l, None)
        }
    };
    Ok(Shown {
        account: single_line(&account.name),
        folder: folder.or_else(|| learned.in_force.as_ref().map(|p| p.source.folder.clone())),
        origin: learned.origin,
        in_force: learned.in_force.as_deref().map(Policy::of),
        skipped: learned.skipped,
        warning: learned.warning,
    })
}

pub fn run(account: &Account, json: bool, out: &mut dyn Write) -> Result<bool, PolicyCliError> {
    let shown = learn(account)?;
    if json {
        super::super::print_json(out, &shown)?;
    } else {
        print(&shown, out)?;
    }
    if let Some(w) = &shown.warning {
        eprintln!("mailroom: policy: warning: {}", single_line(w));
    }
    // Read from the server or the Maildir (even with no policy): success; the kept copy or
    // nothing: 1.
    Ok(matches!(shown.origin, Origin::Server | Origin::Maildir))
}

fn origin_text(origin: Origin) -> &'static str {
    match origin {
        Origin::Server => "read from the server",
        Origin::Maildir => "read from the Maildir",
        Origin::Kept => "the copy kept offline: the server could not be reached",
        Origin::None => "none",
    }
}

pub fn print(shown: &Shown, out: &mut dyn Write) -> std::io::Result<()> {
    let s = single_line;
    writeln!(out, "account   {}", s(&shown.account))?;
    if let Some(f) = &shown.folder {
        writeln!(out, "folder    {}", s(f))?;
    }
    match &shown.in_force {
        None => writeln!(out, "policy    no team policy (the local config rules)")?,
        Some(p) => {
            writeln!(
                out,
                "policy    version {}, published by {} on {} (UID {}, {})",
                p.version,
                s(&p.source.published_by),
                if p.source.published_at.is_empty() {
                    "an unknown date"
                } else {
                    &p.source.published_at
                },
                p.source.uid,
                origin_text(shown.origin)
            )?;
            if !p.administrators.is_empty() {
                writeln!(out, "admins    {}", s(&p.administrators.join(", ")))?;
            }
            if !p.attachments.is_empty() {
                writeln!(out, "attached  {}", s(&p.attachments.join(", ")))?;
            }
        }
    }
    for k in &shown.skipped {
        for (i, line) in k.error.lines().enumerate() {
            if i == 0 {
                writeln!(
                    out,
                    "skipped   UID {} by {}: {}",
                    k.uid,
                    if k.published_by.is_empty() {
                        "(unknown)".to_string()
                    } else {
                        s(&k.published_by)
                    },
                    s(line)
                )?;
            } else {
                writeln!(out, "          {}", s(line))?;
            }
        }
    }
    if let Some(p) = &shown.in_force {
        writeln!(out)?;
        let doc = multi_line(&p.document);
        write!(out, "{doc}")?;
        if !doc.ends_with('\n') {
            writeln!(out)?;
        }
    }
    Ok(())
}
