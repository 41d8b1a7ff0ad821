//! SMTP: secure submission connections; for now the probe `mailroom check` runs.

pub mod probe;

use std::fmt;

use crate::net::Server;

/// An SMTP failure with the account and server it happened on.
#[derive(Debug)]
pub struct SmtpError {
    pub account: String,
    pub server: Server,
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
