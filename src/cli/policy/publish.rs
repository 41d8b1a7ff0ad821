//! `mailroom policy ACCOUNT publish FILE [--attach PATH…]`: validate, append the policy message
//! to the policy folder, then lock the folder where this login holds `a`.
//!
//! Nothing is appended when FILE fails validation, its version is not newer than the policy in
//! force, or an attachment cannot be read.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::Serialize;

use super::{PolicyCliError, connect, folder_error, imap_of, read_document};
use crate::config::{Account, Config};
use crate::imap::notes::{NotesError, append_seen};
use crate::imap::policy::{Depth, read};
use crate::imap::policy_acl::{self, Lock};
use crate::imap::quote_mailbox;
use crate::mail::policy::{Attachment, MAX_MESSAGE_BYTES, build};
use crate::policy::team::{self, TeamPolicy};
use crate::sanitize::single_line;

#[derive(Debug, Serialize)]
pub struct Published {
    pub account: String,
    pub folder: String,
    pub version: u64,
    /// The new message's UID, when the server tells it (UIDPLUS).
    pub uid: Option<u32>,
    /// The version it replaces (null: none was in force).
    pub replaces: Option<u64>,
    pub attachments: Vec<String>,
    pub lock: Lock,
    pub warnings: Vec<String>,
}

/// The files of `--attach`, and warnings for names no template uses or templates name but
/// were not given.
pub fn attachments(
    policy: &TeamPolicy,
    paths: &[PathBuf],
) -> Result<(Vec<Attachment>, Vec<String>), PolicyCliError> {
    let mut files = Vec::new();
    let mut warnings = Vec::new();
    let named: Vec<&str> = policy
        .templates
        .iter()
        .flat_map(|t| t.attachments.iter().map(String::as_str))
        .collect();
    for path in paths {
        let shown = single_line(&path.display().to_string());
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .map(str::to_string)
            .ok_or_else(|| PolicyCliError::Attachment {
                path: shown.clone(),
                message: "not a file name mailroom can attach (not UTF-8)".into(),
            })?;
        let data = super::read_bounded(path).map_err(|source| PolicyCliError::File {
            path: shown.clone(),
            source,
        })?;
        if files.iter().any(|a: &Attachment| a.name == name) {
            return Err(PolicyCliError::Attachment {
                path: shown,
                message: format!("a second file named {:?}", single_line(&name)),
            });
        }
        if !named.contains(&name.as_str()) {
            warnings.push(format!(
                "--attach {shown}: no [[template]] names {:?} in its attachments",
                single_line(&name)
            ));
        }
        files.push(Attachment {
            content_type: crate::mail::reply::content_type(&name).to_string(),
            name,
            data,
        });
    }
    for t in &policy.templates {
        for a in &t.attachments {
            if !files.iter().any(|f| &f.name == a) {
                warnings.push(format!(
                    "template {:?} names the attachment {:?}, which was not given with --attach: the template is sent without it",
                    single_line(&t.name),
                    single_line(a)
                ));
            }
        }
    }
    Ok((files, warnings))
}

fn bad_message(file: &Path, message: impl Into<String>) -> PolicyCliError {
    PolicyCliError::Attachment {
        path: single_line(&file.display().to_string()),
        message: message.into(),
    }
}

pub fn run(
    config: &Config,
    account: &Account,
    file: &Path,
    attach: &[PathBuf],
    json: bool,
    out: &mut dyn Write,
) -> Result<bool, PolicyCliError> {
    let (document, policy) = read_document(file)?;
    let (files, mut warnings) = attachments(&policy, attach)?;
    let raw = build(
        &config.agent.id,
        &config.agent.email,
        &account.address,
        policy.version,
        &document,
        &files,
        SystemTime::now(),
    )
    .map_err(|source| PolicyCliError::Message {
        path: single_line(&file.display().to_string()),
        source,
    })?;
    if raw.len() as u64 > MAX_MESSAGE_BYTES {
        return Err(bad_message(
            file,
            format!(
                "the policy message would be {} bytes, more than the {MAX_MESSAGE_BYTES} mailroom reads back: attach smaller files",
                raw.len()
            ),
        ));
    }
    if let Some(mut b) = super::maildir_of(account)? {
        let published = publish_local(&mut b, account, file, &policy, &files, &raw, warnings)?;
        return finish(&published, None, json, out);
    }
    let imap = imap_of(account)?;
    let text =
        String::from_utf8(raw).map_err(|_| bad_message(file, "the policy message is not text"))?;

    let (mut conn, folder) = connect(account)?;
    let current = read(&mut conn, &folder, Depth::InForce).map_err(|e| folder_error(account, e))?;
    let in_force = team::in_force(&current.entries, &folder);
    refuse_stale(file, policy.version, in_force.as_ref())?;
    let quoted = quote_mailbox(&folder)
        .ok_or_else(|| folder_error(account, NotesError::BadFolder(single_line(&folder))))?;
    let uid = append_seen(&mut conn, &quoted, &folder, &text).map_err(|e| match e {
        NotesError::NoCreateRight { folder, parent } => folder_error(
            account,
            NotesError::Server {
                folder: folder.clone(),
                message: format!(
                    "the policy folder does not exist and creating it needs the `k` (create) right{}, which this login does not have: ask an administrator to publish the first policy, or set policy_folder",
                    parent.map(|p| format!(" on \"{p}\"")).unwrap_or_default()
                ),
            },
        ),
        NotesError::NoInsertRight(folder) => folder_error(
            account,
            NotesError::Server {
                folder,
                message: "publishing needs the `i` (insert) right on the policy folder, which this login does not have there (the folder is locked: ask an administrator)".into(),
            },
        ),
        other => folder_error(account, other),
    })?;
    let lock = policy_acl::lock(&mut conn, &folder, &imap.login, &policy.administrators);
    // Another publisher may have appended between our read and our append: say so rather than
    // report a policy in force that is not.
    if let Ok(now) = read(&mut conn, &folder, Depth::InForce)
        && let Some(w) = superseded(uid, policy.version, team::in_force(&now.entries, &folder))
    {
        warnings.push(w);
    }
    let _ = conn.session.logout();
    let (lock, lock_error) = match lock {
        Ok(l) => (l, None),
        Err(e) => (Lock::NoAcl, Some(e)),
    };
    match &lock {
        Lock::NotAdministrator { myrights } => warnings.push(format!(
            "the policy folder is NOT locked: this login ({}) lacks the `a` right on \"{}\" (rights {myrights}); whoever holds `i` there (this login does) can publish over this policy: ask an administrator{} to lock it (publish again with `a`)",
            single_line(&imap.login),
            single_line(&folder),
            if policy.administrators.is_empty() {
                String::new()
            } else {
                format!(" ({})", single_line(&policy.administrators.join(", ")))
            }
        )),
        Lock::NoAcl if lock_error.is_none() => warnings.push(
            "the server has no ACL extension: the policy folder cannot be locked by mailroom; tamper-evidence rests on the server's own folder permissions".into(),
        ),
        _ => {}
    }
    let published = Published {
        account: single_line(&account.name),
        folder: single_line(&folder),
        version: policy.version,
        uid,
        replaces: in_force.as_ref().map(|p| p.policy.version),
        attachments: files.iter().map(|f| single_line(&f.name)).collect(),
        lock,
        warnings,
    };
    finish(&published, lock_error, json, out)
}

/// Refuses to publish `version` (from `file`) when the policy in force is not older.
fn refuse_stale(
    file: &Path,
    version: u64,
    in_force: Option<&team::InForce>,
) -> Result<(), PolicyCliError> {
    match in_force {
        Some(p) if p.policy.version >= version => Err(PolicyCliError::Stale {
            path: single_line(&file.display().to_string()),
            version,
            in_force: p.policy.version,
            published_by: single_line(&p.source.published_by),
        }),
        _ => Ok(()),
    }
}

/// Why the policy just appended (UID `uid` when the server said, `version`) is not the one in
/// force after all: a newer message another publisher appended at the same time.
fn superseded(uid: Option<u32>, version: u64, in_force: Option<team::InForce>) -> Option<String> {
    let p = in_force?;
    let ours = match uid {
        Some(u) => p.source.uid == u,
        None => p.policy.version == version,
    };
    (!ours).then(|| {
        format!(
            "this policy is NOT the one in force: version {} by {} (UID {}) was published at the same time and is newer in the folder; publish again with a higher version",
            p.policy.version,
            single_line(&p.source.published_by),
            p.source.uid
        )
    })
}

/// Publishes into a Maildir account's policy folder (created when missing): no ACL to lock,
/// the Maildir's file permissions guard it.
fn publish_local(
    b: &mut crate::backend::maildir::MaildirBackend,
    account: &Account,
    file: &Path,
    policy: &TeamPolicy,
    files: &[Attachment],
    raw: &[u8],
    mut warnings: Vec<String>,
) -> Result<Published, PolicyCliError> {
    let folder = crate::backend::policy::folder(account);
    let failed = |e| super::maildir_error(account, e);
    let current = crate::backend::policy::read(b, &folder, false).map_err(failed)?;
    let in_force = team::in_force(&current, &folder);
    refuse_stale(file, policy.version, in_force.as_ref())?;
    b.create_mailbox(&folder).map_err(failed)?;
    let seen = crate::message::Flags {
        seen: true,
        ..crate::message::Flags::default()
    };
    use crate::backend::Backend;
    let uid = b.append(&folder, raw, seen, &[], None).map_err(failed)?;
    warnings.push(
        "a Maildir has no ACL: the policy folder cannot be locked by mailroom; whoever can write \
         the Maildir can publish"
            .into(),
    );
    Ok(Published {
        account: single_line(&account.name),
        folder: single_line(&folder),
        version: policy.version,
        uid,
        replaces: in_force.as_ref().map(|p| p.policy.version),
        attachments: files.iter().map(|f| single_line(&f.name)).collect(),
        lock: Lock::NoAcl,
        warnings,
    })
}

/// Prints what was published and its warnings; false when locking failed.
fn finish(
    published: &Published,
    lock_error: Option<NotesError>,
    json: bool,
    out: &mut dyn Write,
) -> Result<bool, PolicyCliError> {
    if json {
        super::super::print_json(out, published)?;
    } else {
        print(published, out)?;
    }
    for w in &published.warnings {
        eprintln!("mailroom: policy: warning: {}", single_line(w));
    }
    if let Some(e) = lock_error {
        eprintln!(
            "mailroom: policy: the policy was published but locking the folder failed: {}",
            single_line(&e.to_string())
        );
        return Ok(false);
    }
    Ok(true)
}

fn print(p: &Published, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "published version {} to {}{}{}",
        p.version,
        p.folder,
        p.uid.map(|u| format!(" (UID {u})")).unwrap_or_default(),
        p.replaces
            .map(|v| format!(", replacing version {v}"))
            .unwrap_or_default()
    )?;
    if !p.attachments.is_empty() {
        writeln!(out, "attached  {}", p.attachments.join(", "))?;
    }
    match &p.lock {
        Lock::Locked { changes, acl } => {
            if changes.is_empty() {
                writeln!(
                    out,
                    "locked    already: only administrators may change the folder"
                )?;
            } else {
                for c in changes {
                    writeln!(
                        out,
                        "locked    {}: {} -> {}",
                        single_line(&c.identifier),
                        c.from,
                        if c.to.is_empty() { "(none)" } else { &c.to }
                    )?;
                }
            }
            let now: Vec<String> = acl
                .iter()
                .map(|(i, r)| format!("{} {r}", single_line(i)))
                .collect();
            writeln!(out, "acl       {}", now.join(", "))?;
        }
        Lock::NotAdministrator { .. } => writeln!(out, "locked    no (see the warning)")?,
        Lock::NoAcl => writeln!(out, "locked    no (the server has no ACL)")?,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_policy_appended_at_the_same_time_after_ours_is_said() {
        let in_force = |uid: u32, version: u64| {
            let entry = team::entry(
                uid,
                crate::mail::policy::parse(
                    &build(
                        "carol",
                        "carol@example.test",
                        "support@example.test",
                        version,
                        &format!("version = {version}\n"),
                        &[],
                        SystemTime::now(),
                    )
                    .unwrap(),
                ),
            );
            team::in_force(&[entry], "Policy")
        };
        assert_eq!(super::superseded(Some(7), 5, in_force(7, 5)), None);
        let w = super::superseded(Some(7), 5, in_force(8, 6)).unwrap();
        assert!(
            w.contains("NOT the one in force: version 6 by carol (UID 8)"),
            "{w}"
        );
        assert!(super::superseded(None, 5, in_force(8, 6)).is_some());
        assert_eq!(super::superseded(None, 5, in_force(8, 5)), None);
        assert_eq!(super::superseded(Some(7), 5, None), None);
    }

    #[test]
    fn attachments_are_read_by_file_name_and_mismatches_warned() {
        let policy = team::parse(
            "version = 1\n[[template]]\nname = \"refund\"\nbody = \"x\"\nattachments = [\"refund-form.pdf\", \"terms.txt\"]\n",
        )
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let form = dir.path().join("refund-form.pdf");
        let extra = dir.path().join("extra.png");
        std::fs::write(&form, b"%PDF-1.4").unwrap();
        std::fs::write(&extra, b"png").unwrap();
        let (files, warnings) = attachments(&policy, &[form.clone(), extra]).unwrap();
        let names: Vec<(&str, &str)> = files
            .iter()
            .map(|f| (f.name.as_str(), f.content_type.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                ("refund-form.pdf", "application/pdf"),
                ("extra.png", "image/png")
            ]
        );
        assert_eq!(files[0].data, b"%PDF-1.4");
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings[0].contains("no [[template]] names \"extra.png\""));
        assert!(warnings[1].contains("\"terms.txt\", which was not given"));
        // The same name twice, or a missing file: refused before anything is sent.
        assert!(attachments(&policy, &[form.clone(), form]).is_err());
        assert!(attachments(&policy, &[dir.path().join("absent.pdf")]).is_err());
    }
}
