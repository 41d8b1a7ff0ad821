//! The audit log: one JSON line per send attempt's outcome — who sent what, as which
//! identity, to whom, with what result. Appended and fsynced; never rewritten.

use std::io::Write;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{CacheError, create_private_dir};
use crate::message::Envelope;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// RFC 3339, UTC.
    pub time: String,
    pub agent: String,
    pub account: String,
    #[serde(flatten)]
    pub envelope: Envelope,
    /// "sent", "refused: …", "deferred: …"; with `sent_copy = "server"`, also
    /// "sent; the server rewrote From to …" or "sent; From not verified: …".
    pub result: String,
    /// A reply held for review: who approved it (`agent` is its author).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
}

pub struct AuditLog {
    path: PathBuf,
}

impl AuditLog {
    pub fn new(path: PathBuf) -> AuditLog {
        AuditLog { path }
    }

    /// `$XDG_DATA_HOME/mailroom/audit.jsonl`.
    pub fn default_path() -> Option<PathBuf> {
        directories::BaseDirs::new().map(|d| d.data_dir().join("mailroom").join("audit.jsonl"))
    }

    pub fn append(&self, record: &Record) -> Result<(), CacheError> {
        if let Some(dir) = self.path.parent() {
            create_private_dir(dir)?;
        }
        let io = |source| CacheError::Io {
            path: self.path.clone(),
            source,
        };
        let mut line = serde_json::to_vec(record).map_err(|e| CacheError::Invalid {
            path: self.path.clone(),
            reason: e.to_string(),
        })?;
        line.push(b'\n');
        let mut opts = std::fs::OpenOptions::new();
        opts.create(true).append(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts.open(&self.path).map_err(io)?;
        // One write of one line: concurrent appenders never interleave within a record.
        f.write_all(&line).map_err(io)?;
        f.sync_data().map_err(io)
    }

    /// Every record; lines that do not parse are skipped (and counted).
    pub fn read(&self) -> (Vec<Record>, usize) {
        let Ok(text) = std::fs::read_to_string(&self.path) else {
            return (Vec::new(), 0);
        };
        let mut bad = 0;
        let records = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .filter_map(|l| serde_json::from_str(l).map_err(|_| bad += 1).ok())
            .collect();
        (records, bad)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> Record {
        Record {
            time: "2026-12-06T06:00:00Z".into(),
            agent: "alice".into(),
            account: "support".into(),
            envelope: Envelope {
                mode: "on-behalf".into(),
                from: "support@example.test".into(),
                sender: Some("alice@example.test".into()),
                mail_from: "support@example.test".into(),
                recipients: vec!["c@outside.test".into(), "d@outside.test".into()],
                message_id: "x1@mailroom.test".into(),
                subject: "Re: hi".into(),
            },
            result: "sent".into(),
            approved_by: None,
        }
    }

    /// One line as written before the envelope had a type of its own: lines written now are
    /// the same, key for key and in the same order.
    const LINE: &str = r#"{"time":"2026-12-06T06:00:00Z","agent":"alice","account":"support","mode":"on-behalf","from":"support@example.test","sender":"alice@example.test","mail_from":"support@example.test","recipients":["c@outside.test","d@outside.test"],"message_id":"x1@mailroom.test","subject":"Re: hi","result":"sent"}"#;

    #[test]
    fn a_record_keeps_its_keys_and_their_order() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::new(dir.path().join("audit.jsonl"));
        log.append(&record()).unwrap();
        let text = std::fs::read_to_string(dir.path().join("audit.jsonl")).unwrap();
        assert_eq!(text, format!("{LINE}\n"));
    }

    #[test]
    fn lines_of_older_versions_load() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        // The same record, then one whose `sender` was left out rather than null, then one
        // that is not a record.
        let old = r#"{"time":"2026-12-06T06:00:00Z","agent":"alice","account":"support","mode":"as","from":"support@example.test","mail_from":"support@example.test","recipients":["c@outside.test"],"message_id":"x2@mailroom.test","subject":"Re: hi","result":"refused: 550 no"}"#;
        std::fs::write(&path, format!("{LINE}\n{old}\n{{\"time\": 1}}\n")).unwrap();
        let (records, bad) = AuditLog::new(path).read();
        let mut second = record();
        second.envelope.mode = "as".into();
        second.envelope.sender = None;
        second.envelope.recipients.pop();
        second.envelope.message_id = "x2@mailroom.test".into();
        second.result = "refused: 550 no".into();
        assert_eq!(records, vec![record(), second]);
        assert_eq!(bad, 1);
    }
}
