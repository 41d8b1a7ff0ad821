//! `mailroom show ACCOUNT UID [--raw]`: one message, read without setting `\Seen`.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use super::list::{ListError, find_account};
use crate::config::Config;
use crate::imap::actions::ActionError;
use crate::imap::connect::{Target, open_session};
use crate::imap::sync::MailboxState;
use crate::mail::{attachments, date, parse};
use crate::message::Addrs;
use crate::net::Server;
use crate::sanitize;
use crate::store::bodies::BodyCache;

/// An open IMAP session on the account's mailbox, with what the body cache needs.
struct Remote<'a> {
    account: &'a crate::config::Account,
    imap: &'a crate::config::Imap,
    conn: crate::imap::connect::ImapConn,
    key: crate::store::cache::CacheKey,
    validity: u32,
    bodies: Option<BodyCache>,
}

impl Remote<'_> {
    fn error(&self, uid: u32, what: &'static str, message: String) -> ListError {
        ListError::Message {
            account: self.account.name.clone(),
            mailbox: sanitize::single_line(&self.imap.mailbox),
            uid,
            what,
            message: sanitize::single_line(&message),
        }
    }

    /// The message for reading: body cache first, then the server by structure (parts above
    /// `max_part_bytes` become placeholders; see `imap::parts`).
    fn read(&mut self, uid: u32) -> Result<Vec<u8>, ListError> {
        // An unusable body cache is skipped with one warning: the server has the message.
        let warn = |b: &BodyCache, e: &crate::store::CacheError| {
            if let Some(w) = b.unusable(e) {
                eprintln!("mailroom: warning: {}", sanitize::single_line(&w));
            }
        };
        let cached = self.bodies.as_ref().and_then(|b| {
            b.lookup(&self.key, self.validity, uid).unwrap_or_else(|e| {
                warn(b, &e);
                None
            })
        });
        if let Some(raw) = cached {
            return Ok(raw);
        }
        let raw = crate::imap::parts::fetch_message(&mut self.conn, uid, self.imap.max_part_bytes)
            .map_err(|e| match e {
                ActionError::NoMessage(uid) => {
                    ListError::Backend(crate::backend::BackendError::NoMessage {
                        account: self.account.name.clone(),
                        mailbox: sanitize::single_line(&self.imap.mailbox),
                        uid,
                    })
                }
                other => self.error(uid, "cannot read message", other.to_string()),
            })?;
        if let Some(b) = &self.bodies
            && let Err(e) = b.put(&self.key, self.validity, uid, &raw)
        {
            warn(b, &e);
        }
        Ok(raw)
    }
}

fn open_remote<'a>(
    account: &'a crate::config::Account,
    imap: &'a crate::config::Imap,
) -> Result<Remote<'a>, ListError> {
    let server = Server {
        host: imap.host.clone(),
        port: imap.port(),
    };
    let key = MailboxState::key_for(&account.name, &server, &imap.login, &imap.mailbox);
    let bodies = BodyCache::default_dir()
        .map(|d| BodyCache::new(d, crate::store::bodies::DEFAULT_CAP_BYTES));
    let target = Target {
        account: &account.name,
        config: imap,
    };
    let mut conn = open_session(&target)?;
    // EXAMINE tells the UIDVALIDITY that cached bodies must match.
    let selected = conn
        .session
        .examine(crate::mail::utf7::encode(&imap.mailbox))
        .map_err(|e| ListError::Message {
            account: account.name.clone(),
            mailbox: sanitize::single_line(&imap.mailbox),
            uid: 0,
            what: "cannot open the mailbox for",
            message: crate::imap::connect::describe(&e),
        })?;
    Ok(Remote {
        account,
        imap,
        validity: selected.uid_validity.unwrap_or(0),
        conn,
        key,
        bodies,
    })
}

/// The message for reading: body cache first, then the server (by structure: parts above the
/// account's `max_part_bytes` are placeholders naming their size) or the Maildir.
pub fn fetch_raw(config: &Config, account: &str, uid: u32) -> Result<Vec<u8>, ListError> {
    let account = find_account(config, account)?;
    let Some(imap) = &account.imap else {
        let (mut backend, mailbox) = crate::engine::open_backend(account)?;
        return Ok(backend.fetch(&mailbox, uid)?);
    };
    let mut remote = open_remote(account, imap)?;
    let raw = remote.read(uid);
    let _ = remote.conn.session.logout();
    raw
}

/// Saves attachment `number` (1-based) of message `uid` into `dir`: from the bytes read, or
/// streamed from the server when it was not downloaded. Returns the path and its size.
fn save_one(
    place: (&str, &str),
    remote: Option<&mut Remote<'_>>,
    raw: &[u8],
    uid: u32,
    number: usize,
    dir: &Path,
) -> Result<(PathBuf, u64), ListError> {
    let index = number.saturating_sub(1);
    let save_error = |message: String| ListError::Message {
        account: place.0.to_string(),
        mailbox: sanitize::single_line(place.1),
        uid,
        what: "cannot save an attachment of",
        message,
    };
    if number == 0 {
        return Err(save_error("attachments are numbered from 1".into()));
    }
    let info = attachments::get(raw, index).map_err(|e| match e {
        // Numbered from 1 here, as the output lists them.
        attachments::AttachmentError::NoSuchAttachment(_) => {
            save_error(format!("the message has no attachment number {number}"))
        }
        other => save_error(other.to_string()),
    })?;
    let Some(part) = info.unfetched.clone() else {
        let path = attachments::save(raw, index, dir).map_err(|e| save_error(e.to_string()))?;
        return Ok((path, info.size));
    };
    let Some(remote) = remote else {
        return Err(save_error(format!(
            "attachment {number} was not downloaded and there is no server to fetch it from"
        )));
    };
    let (file, path) = attachments::create_new_in(dir, &attachments::file_name_for(&info))
        .map_err(|e| remote.error(uid, "cannot save an attachment of", e.to_string()))?;
    drop(file);
    let size = crate::imap::parts::save_part(&mut remote.conn, uid, &part, &path)
        .map_err(|e| remote.error(uid, "cannot save an attachment of", e.to_string()))?;
    Ok((path, size))
}

fn addresses(list: Addrs<'_>) -> String {
    list.map(|a| a.display()).collect::<Vec<_>>().join(", ")
}

/// Headers and readable text, sanitized for the terminal.
pub fn render(raw: &[u8]) -> String {
    let s = parse::summary_from_raw(0, raw, 0, Default::default(), Vec::new());
    let mut out = String::new();
    let mut line = |name: &str, value: String| {
        if !value.is_empty() {
            out.push_str(&format!("{name:<9}{}\n", sanitize::single_line(&value)));
        }
    };
    line("From:", addresses(s.from()));
    if !s.sender().is_empty() && s.sender() != s.from() {
        line(
            "Sender:",
            format!("{} (on behalf of the From address)", addresses(s.sender())),
        );
    }
    line("To:", addresses(s.to()));
    line("Cc:", addresses(s.cc()));
    line("Date:", s.date.map(date::rfc5322_utc).unwrap_or_default());
    line("Subject:", s.subject().to_string());
    out.push('\n');
    out.push_str(&sanitize::multi_line(&parse::text_body(raw)));
    if !out.ends_with('\n') {
        out.push('\n');
    }
    for u in attachments::unfetched_text(raw) {
        out.push_str(&format!("\n{}\n", attachments::unfetched_text_note(&u)));
    }
    let list = attachments::list(raw);
    if !list.is_empty() {
        out.push_str("\nAttachments:\n");
        for a in &list {
            out.push_str(&format!("  {}\n", attachment_line(a)));
        }
    }
    out
}

/// `[1] report.pdf  application/pdf, 12 KB`, and for a part that was not downloaded
/// `…, not downloaded (saving streams it) — save it with --save 1`. Sanitized.
pub fn attachment_line(a: &attachments::AttachmentInfo) -> String {
    let mut s = crate::mail::display::attachment_label(a);
    if a.unfetched.is_some() {
        s.push_str(&format!(
            " \u{2014} save it with --save {}",
            a.index.saturating_add(1)
        ));
    }
    s
}

/// `mailroom show`: the message (`--raw`: as stored), or with `save` its attachments
/// (1-based numbers) written into `dir`.
pub fn run(
    config: &Config,
    account: &str,
    uid: u32,
    raw: bool,
    save: &[usize],
    dir: &Path,
) -> Result<(), ListError> {
    let acct = find_account(config, account)?;
    let req = Request {
        uid,
        raw,
        save,
        dir,
    };
    let mut out = std::io::stdout().lock();
    let Some(imap) = &acct.imap else {
        let bytes = fetch_raw(config, account, uid)?;
        let mailbox = acct.maildir.as_ref().map_or("", |m| m.mailbox.as_str());
        return finish((&acct.name, mailbox), &mut out, None, &bytes, req);
    };
    let mut remote = open_remote(acct, imap)?;
    let result = if raw && save.is_empty() && !out.is_terminal() {
        // Exact bytes for pipes, streamed: a message of any size, never whole in memory.
        crate::imap::parts::stream_section(&mut remote.conn, uid, None, &mut out)
            .map(|_| ())
            .map_err(|e| match e {
                crate::imap::parts::SaveError::Action(ActionError::NoMessage(uid)) => {
                    ListError::Backend(crate::backend::BackendError::NoMessage {
                        account: acct.name.clone(),
                        mailbox: sanitize::single_line(&imap.mailbox),
                        uid,
                    })
                }
                other => remote.error(uid, "cannot read message", other.to_string()),
            })
    } else {
        remote.read(uid).and_then(|bytes| {
            finish(
                (&acct.name, &imap.mailbox),
                &mut out,
                Some(&mut remote),
                &bytes,
                req,
            )
        })
    };
    let _ = remote.conn.session.logout();
    result
}

/// What `show` was asked for.
#[derive(Clone, Copy)]
struct Request<'a> {
    uid: u32,
    raw: bool,
    save: &'a [usize],
    dir: &'a Path,
}

fn finish(
    place: (&str, &str),
    out: &mut dyn Write,
    mut remote: Option<&mut Remote<'_>>,
    bytes: &[u8],
    req: Request<'_>,
) -> Result<(), ListError> {
    let Request {
        uid,
        raw,
        save,
        dir,
    } = req;
    if !save.is_empty() {
        for &n in save {
            let (path, size) = save_one(place, remote.as_deref_mut(), bytes, uid, n, dir)?;
            writeln!(
                out,
                "saved {} ({})",
                sanitize::single_line(&path.display().to_string()),
                crate::mail::display::human_size(size)
            )?;
        }
        return Ok(());
    }
    if raw {
        // A terminal gets the bytes in caret form, never as escapes (and parts above the
        // size limit as placeholders: pipe the output for the exact message).
        if std::io::stdout().is_terminal() {
            out.write_all(sanitize::multi_line_bytes(bytes).as_bytes())?;
        } else {
            out.write_all(bytes)?;
        }
    } else {
        out.write_all(render(bytes).as_bytes())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn render_is_sanitized_and_says_on_behalf() {
        let raw = b"From: Example Sales <sales@example.test>\r\nSender: Bob <bob@example.test>\r\nSubject: \x1b]0;pwned\x07 hi\r\nDate: Fri, 27 Nov 2026 10:00:00 +0000\r\n\r\nbody \x1b[2J text\r\n";
        let text = super::render(raw);
        assert!(
            text.contains("Sender:  Bob <bob@example.test> (on behalf of the From address)"),
            "{text}"
        );
        assert!(text.contains("^[]0;pwned^G hi"), "{text}");
        assert!(text.contains("body ^[[2J text"), "{text}");
        assert!(!text.contains('\x1b'));
    }
}
