//! What `mailroom check` learns from an IMAP account: capabilities, rights, keyword support.

use super::connect::{Session, Target, open_session};
use super::{ErrorKind, ImapError, quote_mailbox};
use crate::mail::utf7;
use crate::policy::rights::Rights;

/// Capabilities mailroom uses, in the order `check` reports them.
pub const IMPORTANT_CAPABILITIES: [&str; 6] =
    ["IDLE", "CONDSTORE", "QRESYNC", "ACL", "MOVE", "UIDPLUS"];

/// Other capabilities worth listing in `check --json`; the crate exposes capabilities by
/// lookup, so the report names the ones mailroom knows.
pub const KNOWN_CAPABILITIES: [&str; 18] = [
    "IMAP4REV1",
    "IMAP4REV2",
    "ENABLE",
    "NAMESPACE",
    "SPECIAL-USE",
    "LIST-STATUS",
    "ESEARCH",
    // RFC 5032 YOUNGER/OLDER: `:search` dates to the second in the agent's zone.
    "WITHIN",
    "SORT",
    "THREAD=REFERENCES",
    "LITERAL+",
    "LITERAL-",
    "BINARY",
    "UNSELECT",
    "QUOTA",
    "METADATA",
    "COMPRESS=DEFLATE",
    "ID",
];

#[derive(Debug, Clone, Default)]
pub struct Probe {
    /// The known capabilities the server advertised after login.
    pub capabilities: Vec<String>,
    /// The raw MYRIGHTS answer, when the server has ACL.
    pub myrights: Option<String>,
    /// Rights in force: MYRIGHTS, or inferred from SELECT without ACL.
    pub rights: Rights,
    pub read_only: bool,
    pub permanent_flags: Vec<String>,
    pub exists: u32,
    pub uid_validity: Option<u32>,
    /// Whether the Sent folder exists, when one is configured.
    pub sent_exists: Option<bool>,
    /// The hierarchy delimiter LIST gives for the mailbox (None: none, or LIST failed).
    pub delimiter: Option<char>,
    /// What triage will meet (team folders, keyword limits, read state, the Sent folder).
    pub predicted: super::predict::Findings,
}

impl Probe {
    pub fn has(&self, capability: &str) -> bool {
        self.capabilities
            .iter()
            .any(|c| c.eq_ignore_ascii_case(capability))
    }

    /// Team state is kept in keywords only where new keywords persist (`\*`).
    pub fn keywords_permanent(&self) -> bool {
        !self.read_only && self.permanent_flags.iter().any(|f| f == "\\*")
    }
}

/// Logs in, reads capabilities and rights on `mailbox`, selects it, predicts what triage will
/// meet there (`ask`), and logs out.
pub fn probe(
    target: &Target<'_>,
    mailbox: &str,
    sent: Option<&str>,
    ask: &super::predict::Ask<'_>,
) -> Result<Probe, ImapError> {
    let mut conn = open_session(target)?;
    let result = probe_session(target, &mut conn.session, &conn.budget, mailbox, sent, ask);
    let _ = conn.session.logout();
    result
}

fn probe_session(
    target: &Target<'_>,
    session: &mut Session,
    budget: &super::connect::ReadBudget,
    mailbox: &str,
    sent: Option<&str>,
    ask: &super::predict::Ask<'_>,
) -> Result<Probe, ImapError> {
    let err = |message: String| ImapError {
        account: target.account.to_string(),
        server: target.server(),
        kind: Box::new(ErrorKind::Protocol(message)),
    };
    let shown = crate::sanitize::single_line(mailbox);
    let mut probe = Probe {
        capabilities: {
            let caps = session
                .capabilities()
                .map_err(|e| err(format!("CAPABILITY failed: {e}")))?;
            IMPORTANT_CAPABILITIES
                .iter()
                .chain(KNOWN_CAPABILITIES.iter())
                .filter(|c| caps.has_str(c))
                .map(|c| c.to_string())
                .collect()
        },
        ..Probe::default()
    };
    let quoted = quote_mailbox(mailbox)
        .ok_or_else(|| err(format!("mailbox name {shown:?} contains a line break")))?;
    if probe.has("ACL") {
        let raw = session
            .run_command_and_read_response(format!("MYRIGHTS {quoted}"))
            .map_err(|e| {
                err(format!(
                    "MYRIGHTS on {shown:?} failed: {}",
                    super::connect::describe(&e)
                ))
            })?;
        probe.myrights = parse_myrights(&raw);
    }
    let selected = session.select(utf7::encode(mailbox)).map_err(|e| {
        err(format!(
            "cannot open mailbox {shown:?}: {}",
            super::connect::describe(&e)
        ))
    })?;
    probe.read_only = selected.is_read_only;
    probe.permanent_flags = selected
        .permanent_flags
        .iter()
        .map(|f| f.to_string())
        .collect();
    let flags: Vec<String> = selected.flags.iter().map(|f| f.to_string()).collect();
    probe.exists = selected.exists;
    probe.uid_validity = selected.uid_validity;
    probe.rights = match &probe.myrights {
        Some(r) => Rights::parse(r),
        None => Rights::from_select(probe.read_only, &probe.permanent_flags),
    };
    probe.delimiter = session
        .list(Some(""), Some(&quoted))
        .ok()
        .and_then(|names| {
            names
                .iter()
                .next()
                .and_then(|n| n.delimiter())
                .and_then(|d| d.chars().next())
        });
    if let Some(sent) = sent {
        probe.sent_exists = Some(
            session
                .list(None, Some(&utf7::encode(sent)))
                .map(|names| !names.is_empty())
                .unwrap_or(false),
        );
    }
    let find_sent = ask.find_sent || probe.sent_exists == Some(false);
    let has = |c: &str| probe.has(c);
    let seen = super::predict::Seen {
        has: &has,
        mailbox,
        delimiter: probe.delimiter,
        read_only: probe.read_only,
        permanent_flags: &probe.permanent_flags,
        myrights: probe.myrights.as_deref().map(Rights::parse),
        flags: &flags,
    };
    let predicted = super::predict::predict(
        session,
        budget,
        &seen,
        &super::predict::Ask {
            find_sent,
            ..ask.clone()
        },
    );
    probe.predicted = predicted;
    Ok(probe)
}

/// The rights token of `* MYRIGHTS <mailbox> <rights>`.
pub fn parse_myrights(raw: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(raw);
    text.lines()
        .filter(|l| l.to_ascii_uppercase().starts_with("* MYRIGHTS "))
        .filter_map(|l| l.split_ascii_whitespace().last())
        .find(|r| r.chars().all(|c| c.is_ascii_alphanumeric()))
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    #[test]
    fn myrights_line() {
        assert_eq!(
            super::parse_myrights(b"* MYRIGHTS \"shared/support/INBOX\" lrwstipekxacd\r\n")
                .as_deref(),
            Some("lrwstipekxacd")
        );
        assert_eq!(
            super::parse_myrights(b"* MYRIGHTS \"a b\" lr\r\n").as_deref(),
            Some("lr")
        );
        assert_eq!(super::parse_myrights(b"* OK nothing\r\n"), None);
    }
}
