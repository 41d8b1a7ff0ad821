//! SMTP: secure submission connections; for now the probe `mailroom check` runs.

pub mod probe;
pub mod starttls_guard;
pub mod submit;
pub mod verify;

use std::fmt;

use crate::net::Server;

/// How far an SMTP conversation got before it failed: callers explain a refused envelope
/// sender differently from a TLS or login failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpStage {
    /// Before any connection: configuration or local TLS setup.
    Setup,
    /// TCP connection, greeting or EHLO.
    Connect,
    /// The TLS handshake (implicit TLS or STARTTLS), including certificate checks.
    Tls,
    /// Getting the secret, or the server refusing the login.
    Auth,
    /// The server refused the envelope sender.
    MailFrom,
}

/// An SMTP failure with the account and server it happened on.
#[derive(Debug)]
pub struct SmtpError {
    pub account: String,
    pub server: Server,
    pub stage: SmtpStage,
    pub message: String,
}

impl SmtpError {
    /// A constructor of errors for one account's SMTP server, stage and message to fill in.
    pub fn maker<'a>(
        account: &'a str,
        cfg: &'a crate::config::Smtp,
    ) -> impl Fn(SmtpStage, String) -> SmtpError + 'a {
        move |stage, message| SmtpError {
            account: account.to_string(),
            server: Server {
                host: cfg.host.clone(),
                port: cfg.port(),
            },
            stage,
            message,
        }
    }
}

impl fmt::Display for SmtpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "account \"{}\": SMTP {}: {}",
            crate::sanitize::single_line(&self.account),
            self.server,
            crate::sanitize::single_line(&self.message)
        )
    }
}

impl std::error::Error for SmtpError {}
