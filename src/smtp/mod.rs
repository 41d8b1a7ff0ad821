//! SMTP: secure submission connections; for now the probe `mailroom check` runs.

pub mod pipeline;
pub mod probe;
pub mod submit;

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

impl fmt::Display for SmtpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "account \"{}\": SMTP {}: {}",
            crate::mail::sanitize::single_line(&self.account),
            self.server,
            crate::mail::sanitize::single_line(&self.message)
        )
    }
}

impl std::error::Error for SmtpError {}
