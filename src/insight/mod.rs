//! Insight: what the mail itself (and the local audit log) says about how the shared mailboxes
//! are answered and who may do what.

pub mod access;
pub mod access_policy;
pub mod audit;
pub mod collect;
pub mod receipts;
pub mod sla;
pub mod stats;
pub mod template_uses;

pub use collect::{StatsError, collect_and_compute};

/// Why a folder could not be read for statistics (the collector adds account, server and
/// folder).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FolderReadError {
    #[error("not a usable folder name")]
    BadName,
    /// The server refused or failed `command` (`EXAMINE`, `UID SEARCH`, `UID FETCH`).
    #[error("{command} failed: {reason}")]
    Command {
        command: &'static str,
        reason: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_read_errors_read_as_before() {
        assert_eq!(
            FolderReadError::BadName.to_string(),
            "not a usable folder name"
        );
        let e = FolderReadError::Command {
            command: "UID SEARCH",
            reason: "NO no such folder".into(),
        };
        assert_eq!(e.to_string(), "UID SEARCH failed: NO no such folder");
        let folder = StatsError::Folder {
            account: "support".into(),
            server: "127.0.0.1:993".into(),
            folder: "Sent".into(),
            reason: e,
        };
        assert_eq!(
            folder.to_string(),
            "account \"support\": IMAP 127.0.0.1:993: folder \"Sent\": UID SEARCH failed: NO no such folder"
        );
    }
}
