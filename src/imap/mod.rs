//! IMAP: secure connection, login modes, and (for `check`) a probe of what the account allows.

pub mod actions;
pub mod backend;
pub mod clock;
pub mod connect;
pub mod fetch_parse;
pub mod idle;
pub mod list_filter;
pub mod notes;
pub mod parts;
pub mod policy;
pub mod policy_acl;
pub mod predict;
pub mod probe;
pub mod sent;
pub mod snoozes;
pub mod summary;
pub mod sync;
pub mod tree;

use std::fmt;

use crate::mail::utf7;
use crate::net::Server;

/// An IMAP failure with the account and server it happened on.
#[derive(Debug)]
pub struct ImapError {
    pub account: String,
    pub server: Server,
    /// Boxed: errors travel through many `Result`s and should stay small.
    pub kind: Box<ErrorKind>,
}

#[derive(Debug)]
pub enum ErrorKind {
    Connect(std::io::Error),
    Tls(String),
    Greeting(String),
    Preauth,
    NoStarttls,
    InsecureRefused,
    Secret(crate::config::SecretError),
    Auth(String),
    Protocol(String),
}

impl fmt::Display for ImapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "account \"{}\": IMAP {}: ",
            crate::sanitize::single_line(&self.account),
            self.server
        )?;
        match self.kind.as_ref() {
            // EAGAIN's text ("Resource temporarily unavailable") is how Linux reports a
            // socket timeout: say what it means.
            ErrorKind::Connect(e) if e.kind() == std::io::ErrorKind::WouldBlock => write!(
                f,
                "cannot connect: timed out after {} s without an answer from the server",
                crate::net::IO_TIMEOUT.as_secs()
            ),
            ErrorKind::Connect(e) => write!(f, "cannot connect: {e}"),
            ErrorKind::Tls(e) => write!(f, "TLS failed: {e} (is the server's certificate trusted? see `ca_file`)"),
            ErrorKind::Greeting(e) => write!(f, "unexpected server answer: {e}"),
            ErrorKind::Preauth => f.write_str("the server sent PREAUTH before TLS; refusing an unencrypted pre-authenticated session"),
            ErrorKind::NoStarttls => f.write_str("the server does not offer STARTTLS; refusing to continue in cleartext (use tls = \"implicit\" if it speaks IMAPS)"),
            ErrorKind::InsecureRefused => f.write_str("tls = \"none\" is only allowed for loopback hosts"),
            ErrorKind::Secret(e) => write!(f, "cannot get the password: {e}"),
            ErrorKind::Auth(e) => write!(f, "login refused: {e}"),
            ErrorKind::Protocol(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ImapError {}

/// Quotes a mailbox name for a command: modified UTF-7, then an IMAP quoted string.
/// Returns `None` for names with CR, LF or NUL, which must never reach the wire.
pub fn quote_mailbox(name: &str) -> Option<String> {
    if name.contains(['\r', '\n', '\0']) {
        return None;
    }
    let encoded = utf7::encode(name);
    let mut q = String::with_capacity(encoded.len() + 2);
    q.push('"');
    for c in encoded.chars() {
        if c == '"' || c == '\\' {
            q.push('\\');
        }
        q.push(c);
    }
    q.push('"');
    Some(q)
}

#[cfg(test)]
mod tests {
    #[test]
    fn mailbox_quoting() {
        assert_eq!(
            super::quote_mailbox("shared/support/INBOX").as_deref(),
            Some("\"shared/support/INBOX\"")
        );
        assert_eq!(
            super::quote_mailbox("a\"b\\c").as_deref(),
            Some("\"a\\\"b\\\\c\"")
        );
        assert_eq!(
            super::quote_mailbox("Entwürfe").as_deref(),
            Some("\"Entw&APw-rfe\"")
        );
        assert_eq!(super::quote_mailbox("x\r\nA1 LOGOUT"), None);
    }
}
