//! Submitting a built message over SMTP with an explicit envelope.
//!
//! lettre derives MAIL FROM from `Sender:` when left to itself (PROTOCOL.md); here the envelope
//! is always the one the identity policy decided.
//!
//! The conversation is driven step by step (not with lettre's `send`) so that the outbox can
//! record the one moment that matters for exactly-once delivery: right before the final dot of
//! the message data is written. Before it the server cannot have accepted the message; after
//! it, until the reply is read, nobody can know.

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};

use lettre::address::Envelope;
use lettre::transport::smtp::client::SmtpConnection;
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{Extension, MailBodyParameter, MailParameter};

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
    /// The whole message went out and no reply came (timeout, dropped connection, garbled
    /// reply): the server may have accepted it. Never retried automatically.
    Uncertain(SmtpError),
}

impl std::fmt::Display for SubmitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SubmitError::Temporary(e) => write!(f, "{e} (will retry)"),
            SubmitError::Permanent(e) => write!(f, "{e}"),
            SubmitError::Uncertain(e) => write!(f, "{e} (delivery uncertain)"),
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
    submit_marked(account, cfg, message, &mut || Ok(()))
}

/// Why a caller's `before_dot` step failed: its own error (the outbox's, naming the file), kept
/// whole rather than flattened to text.
pub type MarkError = Box<dyn std::error::Error + Send + Sync>;

/// [`submit`], calling `before_dot` once the whole message data is written and right before
/// the final dot: the caller records there, durably, that the delivery is from now on
/// uncertain. When `before_dot` fails, the dot is never written (the connection is dropped,
/// so the server discards the unfinished message) and the failure is temporary.
pub fn submit_marked(
    account: &str,
    cfg: &config::Smtp,
    message: &Outgoing,
    before_dot: &mut dyn FnMut() -> Result<(), MarkError>,
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
    let envelope_result = start_data(&mut conn, &envelope, &message.raw);
    if let Err(e) = envelope_result {
        conn.abort();
        return Err(match e {
            Start::Client(why) => SubmitError::Permanent(err(SmtpStage::Setup, why)),
            Start::Smtp(e) if e.is_permanent() => SubmitError::Permanent(err(
                SmtpStage::MailFrom,
                format!("the server refused the message: {}", describe(&e)),
            )),
            Start::Smtp(e) => {
                SubmitError::Temporary(stages.explain(err(SmtpStage::Connect, describe(&e))))
            }
        });
    }
    let mut gate = DotGate {
        body: Some(&message.raw),
        before_dot,
        reached: false,
        withheld: None,
    };
    let sent = catch_unwind(AssertUnwindSafe(|| conn.message_iter(&mut gate)));
    let result = match sent {
        Ok(r) => r,
        Err(payload) if payload.is::<Withheld>() => {
            // The dot was never written: dropping the connection makes the server discard
            // the unfinished message.
            drop(conn);
            let why = gate
                .withheld
                .take()
                .map(|e| e.to_string())
                .unwrap_or_default();
            return Err(SubmitError::Temporary(err(
                SmtpStage::Connect,
                format!("not sent: the outbox could not record the delivery: {why}"),
            )));
        }
        Err(payload) => resume_unwind(payload),
    };
    match result {
        Ok(response) => {
            stages.begin("QUIT");
            let _ = conn.quit();
            Ok(crate::sanitize::single_line(
                &response.message().collect::<Vec<_>>().join(" "),
            ))
        }
        Err(e) => {
            conn.abort();
            Err(if e.is_permanent() {
                SubmitError::Permanent(err(
                    SmtpStage::MailFrom,
                    format!("the server refused the message: {}", describe(&e)),
                ))
            } else if e.is_transient() || !gate.reached {
                // A 4xx reply, or the connection failed before the message was complete: the
                // server has no message to deliver.
                SubmitError::Temporary(stages.explain(err(SmtpStage::Connect, describe(&e))))
            } else {
                SubmitError::Uncertain(stages.explain(err(
                    SmtpStage::Connect,
                    format!(
                        "no reply after the end of the message data: {}",
                        describe(&e)
                    ),
                )))
            })
        }
    }
}

enum Start {
    /// Refused before anything was sent (e.g. 8-bit data to a server without 8BITMIME).
    Client(String),
    Smtp(lettre::transport::smtp::Error),
}

/// MAIL FROM, RCPT TO and DATA, as lettre's `send` does them; the server has answered 354.
fn start_data(conn: &mut SmtpConnection, envelope: &Envelope, raw: &[u8]) -> Result<(), Start> {
    let mut options = Vec::new();
    let non_ascii = envelope
        .from()
        .into_iter()
        .chain(envelope.to())
        .any(|a| !AsRef::<str>::as_ref(a).is_ascii());
    if non_ascii {
        if !conn.server_info().supports_feature(Extension::SmtpUtfEight) {
            return Err(Start::Client(
                "the envelope has non-ASCII addresses and the server does not offer SMTPUTF8"
                    .into(),
            ));
        }
        options.push(MailParameter::SmtpUtfEight);
    }
    if !raw.is_ascii() {
        if !conn.server_info().supports_feature(Extension::EightBitMime) {
            return Err(Start::Client(
                "the message has 8-bit data and the server does not offer 8BITMIME".into(),
            ));
        }
        options.push(MailParameter::Body(MailBodyParameter::EightBitMime));
    }
    conn.command(Mail::new(envelope.from().cloned(), options))
        .map_err(Start::Smtp)?;
    for to in envelope.to() {
        conn.command(Rcpt::new(to.clone(), Vec::new()))
            .map_err(Start::Smtp)?;
    }
    conn.command(Data).map_err(Start::Smtp)?;
    Ok(())
}

/// The unwinding payload that stops lettre before it writes the final dot.
struct Withheld;

/// The message data for lettre's `message_iter`: the body in one piece; the next call comes
/// once it is written, and only returns (letting lettre write the dot) after `before_dot` has
/// succeeded. When it fails, the call unwinds (`resume_unwind`: no panic hook, no message)
/// out of lettre, so the dot is never written.
struct DotGate<'a> {
    body: Option<&'a [u8]>,
    before_dot: &'a mut dyn FnMut() -> Result<(), MarkError>,
    reached: bool,
    withheld: Option<MarkError>,
}

impl<'a> Iterator for DotGate<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if let Some(body) = self.body.take() {
            return Some(body);
        }
        if self.reached {
            return None;
        }
        match (self.before_dot)() {
            Ok(()) => {
                self.reached = true;
                None
            }
            Err(why) => {
                self.withheld = Some(why);
                resume_unwind(Box::new(Withheld))
            }
        }
    }
}
