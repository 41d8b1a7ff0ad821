//! `mailroom show ACCOUNT UID [--raw]`: one message, read without setting `\Seen`.

use std::io::{IsTerminal, Write};

use super::list::{ListError, find_account};
use crate::backend::Address;
use crate::config::Config;
use crate::imap::connect::{Target, open_session};
use crate::imap::sync::MailboxState;
use crate::mail::{date, parse, sanitize};
use crate::net::Server;
use crate::store::bodies::BodyCache;

/// The raw message: body cache first, then the server (`BODY.PEEK[]`) or the Maildir.
pub fn fetch_raw(config: &Config, account: &str, uid: u32) -> Result<Vec<u8>, ListError> {
    let account = find_account(config, account)?;
    let Some(imap) = &account.imap else {
        let (mut backend, mailbox) = super::list::open_backend(account)?;
        return Ok(backend.fetch(&mailbox, uid)?);
    };
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
    // SELECT tells the UIDVALIDITY that cached bodies must match.
    let selected = conn
        .session
        .examine(crate::imap::utf7::encode(&imap.mailbox))
        .map_err(|e| {
            ListError::Cache(format!(
                "cannot open mailbox: {}",
                crate::imap::connect::describe(&e)
            ))
        })?;
    let validity = selected.uid_validity.unwrap_or(0);
    // An unusable body cache is skipped with one warning: the server has the message.
    let warn = |b: &BodyCache, e: &crate::store::CacheError| {
        if let Some(w) = b.unusable(e) {
            eprintln!("mailroom: warning: {}", sanitize::single_line(&w));
        }
    };
    let cached = bodies.as_ref().and_then(|b| {
        b.lookup(&key, validity, uid).unwrap_or_else(|e| {
            warn(b, &e);
            None
        })
    });
    if let Some(raw) = cached {
        let _ = conn.session.logout();
        return Ok(raw);
    }
    let raw =
        crate::imap::actions::fetch_body(&mut conn, uid, crate::imap::backend::MAX_BODY_BYTES)
            .map_err(|e| match e {
                crate::imap::actions::ActionError::NoMessage(uid) => {
                    ListError::Backend(crate::backend::BackendError::NoMessage {
                        account: account.name.clone(),
                        mailbox: sanitize::single_line(&imap.mailbox),
                        uid,
                    })
                }
                other => ListError::Cache(other.to_string()),
            })?;
    let _ = conn.session.logout();
    if let Some(b) = &bodies
        && let Err(e) = b.put(&key, validity, uid, &raw)
    {
        warn(b, &e);
    }
    Ok(raw)
}

fn addresses(list: &[Address]) -> String {
    list.iter()
        .map(Address::display)
        .collect::<Vec<_>>()
        .join(", ")
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
    line("From:", addresses(&s.from));
    if !s.sender.is_empty() && s.sender != s.from {
        line(
            "Sender:",
            format!("{} (on behalf of the From address)", addresses(&s.sender)),
        );
    }
    line("To:", addresses(&s.to));
    line("Cc:", addresses(&s.cc));
    line("Date:", s.date.map(date::rfc5322_utc).unwrap_or_default());
    line("Subject:", s.subject.clone());
    out.push('\n');
    out.push_str(&sanitize::multi_line(&parse::text_body(raw)));
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

pub fn run(config: &Config, account: &str, uid: u32, raw: bool) -> Result<(), ListError> {
    let bytes = fetch_raw(config, account, uid)?;
    let mut out = std::io::stdout().lock();
    if raw {
        // Exact bytes for pipes; a terminal gets them in caret form, never as escapes.
        if out.is_terminal() {
            out.write_all(sanitize::multi_line_bytes(&bytes).as_bytes())?;
        } else {
            out.write_all(&bytes)?;
        }
    } else {
        out.write_all(render(&bytes).as_bytes())?;
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
