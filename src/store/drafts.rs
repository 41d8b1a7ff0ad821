//! Drafts: what the agent is writing, saved atomically every few seconds and on exit, so a
//! crash or a dropped SSH session loses nothing. Restored at start.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{CacheError, create_private_dir, write_atomic};
use crate::hash::hashed_name;

/// One draft, as the compose pane holds it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    /// Stable id for the draft's file (chosen when the draft starts).
    pub id: String,
    pub account: String,
    pub from: String,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub bcc: Vec<String>,
    pub subject: String,
    pub body: String,
    pub reply_to_uid: Option<u32>,
    /// A reply's threading and locked quote, so a reopened draft answers the same message.
    #[serde(default)]
    pub in_reply_to: Option<String>,
    #[serde(default)]
    pub references: Vec<String>,
    #[serde(default)]
    pub quoted: Option<String>,
    pub attachments: Vec<PathBuf>,
    /// A forward's parts (the original's attachments, or the whole original), kept with the
    /// draft: a reopened forward still carries them.
    #[serde(default)]
    pub forwarded: Vec<ForwardedPart>,
    /// Unix seconds of the last save.
    pub saved: i64,
}

/// One part a forward carries, as the draft file keeps it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForwardedPart {
    pub file_name: String,
    pub content_type: String,
    /// The part's bytes, base64.
    pub data: String,
}

impl ForwardedPart {
    pub fn of(a: &crate::mail::compose::Attachment) -> ForwardedPart {
        ForwardedPart {
            file_name: a.file_name.clone(),
            content_type: a.content_type.clone(),
            data: crate::mail::encoding::base64_encode(&a.data),
        }
    }

    /// The part to attach again; `None` when the file's data is not base64 (edited by hand).
    pub fn attachment(&self) -> Option<crate::mail::compose::Attachment> {
        Some(crate::mail::compose::Attachment {
            file_name: self.file_name.clone(),
            content_type: self.content_type.clone(),
            data: mail_parser::decoders::base64::base64_decode(self.data.as_bytes())?,
        })
    }
}

pub struct Drafts {
    dir: PathBuf,
}

impl Drafts {
    pub fn new(dir: PathBuf) -> Drafts {
        Drafts { dir }
    }

    /// `$XDG_DATA_HOME/mailroom/drafts`.
    pub fn default_dir() -> Option<PathBuf> {
        directories::BaseDirs::new().map(|d| d.data_dir().join("mailroom").join("drafts"))
    }

    /// A new draft id, unique per call.
    pub fn new_id(account: &str, now_nanos: u128) -> String {
        use std::sync::atomic::{AtomicU64, Ordering};
        static N: AtomicU64 = AtomicU64::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        hashed_name(
            "draft",
            &[
                account.as_bytes(),
                &now_nanos.to_le_bytes(),
                &std::process::id().to_le_bytes(),
                &n.to_le_bytes(),
            ],
        )[..24]
            .to_string()
    }

    fn path(&self, id: &str) -> Option<PathBuf> {
        // Ids are ours (hex); anything else cannot name a file here.
        (!id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| self.dir.join(format!("{id}.json")))
    }

    pub fn save(&self, draft: &Draft) -> Result<(), CacheError> {
        let path = self.path(&draft.id).ok_or_else(|| CacheError::Invalid {
            path: self.dir.clone(),
            reason: format!("{:?} is not a draft id", draft.id),
        })?;
        create_private_dir(&self.dir)?;
        let text = serde_json::to_vec_pretty(draft).map_err(|e| CacheError::Invalid {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        write_atomic(&self.dir, &path, true, |f| {
            std::io::Write::write_all(f, &text)
        })
    }

    /// Every readable draft, newest first; damaged files are skipped and counted.
    pub fn list(&self) -> (Vec<Draft>, usize) {
        let Ok(dir) = std::fs::read_dir(&self.dir) else {
            return (Vec::new(), 0);
        };
        let mut bad = 0;
        let mut drafts: Vec<Draft> = dir
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".json"))
            .filter_map(|e| {
                let parsed = std::fs::read(e.path())
                    .ok()
                    .and_then(|b| serde_json::from_slice::<Draft>(&b).ok());
                if parsed.is_none() {
                    bad += 1;
                }
                parsed
            })
            .collect();
        drafts.sort_by_key(|d| std::cmp::Reverse(d.saved));
        (drafts, bad)
    }

    /// Deletes a draft (after it was queued for sending, or discarded on purpose).
    pub fn remove(&self, id: &str) -> Result<(), CacheError> {
        let Some(path) = self.path(id) else {
            return Ok(());
        };
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(CacheError::Io { path, source }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drafts_survive_and_list_newest_first() {
        let dir = tempfile::tempdir().unwrap();
        let d = Drafts::new(dir.path().join("drafts"));
        let a = Draft {
            id: Drafts::new_id("support", 1),
            account: "support".into(),
            body: "first".into(),
            saved: 1,
            ..Draft::default()
        };
        let b = Draft {
            id: Drafts::new_id("support", 1),
            body: "second".into(),
            saved: 2,
            ..a.clone()
        };
        assert_ne!(a.id, b.id);
        d.save(&a).unwrap();
        d.save(&b).unwrap();
        let again = Draft {
            body: "first, edited".into(),
            saved: 3,
            ..a.clone()
        };
        d.save(&again).unwrap();
        std::fs::write(dir.path().join("drafts/ffff.json"), b"{broken").unwrap();
        let (list, bad) = Drafts::new(dir.path().join("drafts")).list();
        assert_eq!(bad, 1);
        assert_eq!(
            list.iter().map(|d| d.body.as_str()).collect::<Vec<_>>(),
            ["first, edited", "second"]
        );
        d.remove(&a.id).unwrap();
        assert_eq!(d.list().0.len(), 1);
        // A hostile id never becomes a path.
        assert!(
            d.save(&Draft {
                id: "../../etc/x".into(),
                ..Draft::default()
            })
            .is_err()
        );
    }
}
