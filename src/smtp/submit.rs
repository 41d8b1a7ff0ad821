//! Submitting a built message over SMTP with an explicit envelope.
//!
//! lettre derives MAIL FROM from `Sender:` when left to itself (PROTOCOL.md); here the envelope
//! is always the one the identity policy decided.

use lettre::address::Envelope;

use super::probe::{describe, open_staged};
use super::{SmtpError, SmtpStage};
use crate::config;
use crate::mail::compose::Outgoing;

/// How a submission failed, for the outbox: retry later, or stop and show the user.
#[derive(Debug)]
pub enum SubmitError {
    /// The server could not be reached or answered 4xx: keep the message and retry.
    Temporary(SmtpError),
    /// The server refused the message (5xx) or the envelope is unusable: never retried blindly.
    Permanent(SmtpError),
}

impl std::fmt::Display for SubmitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SubmitError::Temporary(e) => write!(f, "{e} (will retry)"),
            SubmitError::Permanent(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for SubmitError {}

/// Sends `message` through the account's SMTP server; returns the server's final answer.
pub fn submit(
    account: &str,
    cfg: &config::Smtp,
    message: &Outgoing,
) -> Result<String, SubmitError> {
    let err = SmtpError::maker(account, cfg);
    let from = message.mail_from.parse().map_err(|e| {
        SubmitError::Permanent(err(
            SmtpStage::Setup,
            format!("MAIL FROM {:?}: {e}", message.mail_from),
        ))
    })?;
    let mut to = Vec::with_capacity(message.recipients.len());
    for r in &message.recipients {
        to.push(r.parse().map_err(|e| {
            SubmitError::Permanent(err(SmtpStage::Setup, format!("recipient {r:?}: {e}")))
        })?);
    }
    let envelope = Envelope::new(Some(from), to)
        .map_err(|e| SubmitError::Permanent(err(SmtpStage::Setup, e.to_string())))?;
    let (mut conn, _, stages) = open_staged(account, cfg).map_err(|e| match e.stage {
        // A refused login is a 5xx that retrying will not fix; everything else may pass.
        SmtpStage::Auth | SmtpStage::Setup => SubmitError::Permanent(e),
        _ => SubmitError::Temporary(e),
    })?;
    // One stage for the transaction: its deadline grows with the message's bytes.
    stages.begin("MAIL FROM/RCPT TO/DATA");
    let result = conn.send(&envelope, &message.raw);
    stages.begin("QUIT");
    let _ = conn.quit();
    match result {
        Ok(response) => Ok(crate::mail::sanitize::single_line(
            &response.message().collect::<Vec<_>>().join(" "),
        )),
        Err(e) if e.is_permanent() => Err(SubmitError::Permanent(err(
            SmtpStage::MailFrom,
            format!("the server refused the message: {}", describe(&e)),
        ))),
        Err(e) => Err(SubmitError::Temporary(
            stages.explain(err(SmtpStage::Connect, describe(&e))),
        )),
    }
}
