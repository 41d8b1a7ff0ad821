//! Who a message from a shared account is from, by send mode (PROTOCOL.md, RFC 5322 §3.6.2).
//!
//! Pure code. The full reply-identity rules (alias matching) build on this.

use crate::config::{Account, Agent, EnvelopeFrom, SendMode};

/// The header and envelope identity of one outgoing message.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SendIdentity {
    /// `From:` display name and address.
    pub from_name: String,
    pub from: String,
    /// `Sender:`, only in on-behalf mode.
    pub sender: Option<String>,
    /// SMTP `MAIL FROM`.
    pub mail_from: String,
}

/// The identity for sending from `address` (the account's address or one of its aliases), or
/// the reason sending is refused.
pub fn identity(account: &Account, agent: &Agent, address: &str) -> Result<SendIdentity, String> {
    let offered = std::iter::once(&account.address)
        .chain(account.aliases.iter())
        .find(|a| a.eq_ignore_ascii_case(address))
        .ok_or_else(|| {
            format!(
                "{address} is not an address of account \"{}\" (offered: {})",
                account.name,
                std::iter::once(&account.address)
                    .chain(account.aliases.iter())
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?;
    match account.send {
        SendMode::As => Ok(SendIdentity {
            from_name: account.display_name().to_string(),
            from: offered.clone(),
            sender: None,
            mail_from: offered.clone(),
        }),
        SendMode::OnBehalf => Ok(SendIdentity {
            from_name: account.display_name().to_string(),
            from: offered.clone(),
            sender: Some(agent.email.clone()),
            mail_from: match account.envelope_from {
                EnvelopeFrom::Agent => agent.email.clone(),
                EnvelopeFrom::Shared => offered.clone(),
            },
        }),
        SendMode::None => Err(format!(
            "account \"{}\" has send = \"none\": you may read and triage this mailbox but not send from it",
            account.name
        )),
    }
}

/// One line naming the mode, as the compose pane shows it.
pub fn describe(account: &Account, agent: &Agent) -> String {
    match identity(account, agent, &account.address) {
        Ok(id) => match &id.sender {
            None => format!(
                "as {} (From {}, no Sender, MAIL FROM {})",
                id.from, id.from, id.mail_from
            ),
            Some(s) => format!(
                "{} on behalf of {} (From {}, Sender {s}, MAIL FROM {})",
                agent.id, id.from, id.from, id.mail_from
            ),
        },
        Err(reason) => reason,
    }
}
