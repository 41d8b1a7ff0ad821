//! The durable outbox: a composed message is on disk before anything is transmitted, and
//! stays there until it is delivered and filed — through crashes, outages and refusals.
//!
//! Each message is two files named by a hash of its Message-ID: `<id>.eml` (the exact bytes to
//! transmit, written once) and `<id>.json` (envelope and state, rewritten atomically). The
//! state machine makes delivery happen once:
//! `queued` → `sending` (written before SMTP) → `uncertain` (written right before the final
//! dot of the message data goes out: from then on the server may have the message) →
//! `submitted` (written right after the server's final OK) → removed when the Sent copy,
//! `\Answered` and the audit record are done. A reply other than OK after the data moves it to
//! `deferred` or `failed` instead.
//! After a crash, `submitted` resumes the filing; `sending` (interrupted before the message
//! could be complete) is looked up in the Sent folder and sent again; `uncertain`
//! (interrupted between the final dot and the reply) is never sent again on its own: the agent
//! decides (`outbox --retry ID --force`), unless the Sent folder shows the message arrived.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{CacheError, create_private_dir, write_atomic};
use crate::hash::hashed_name;
use crate::message::Envelope;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum State {
    Queued,
    /// An attempt started; it may or may not have reached the server.
    Sending,
    /// The whole message went out (the final dot was about to be written at `since`, Unix
    /// seconds, to `server`) and no reply was recorded: the server may or may not have taken
    /// it. Never sent again automatically. `error` says why no reply was recorded, when the
    /// process lived to see it (a timeout, a dropped connection); none after a crash.
    Uncertain {
        since: i64,
        server: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    /// The server accepted it; filing (Sent copy, `\Answered`, audit) remains.
    Submitted,
    /// Temporary failure: retried at `retry_at` (Unix seconds).
    Deferred {
        error: String,
        retry_at: i64,
    },
    /// Permanent refusal: kept, visible and editable, never retried on its own.
    Failed {
        error: String,
    },
}

/// Everything about one outgoing message except its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub account: String,
    pub agent: String,
    #[serde(flatten)]
    pub envelope: Envelope,
    /// UID of the message answered, to set `\Answered` on.
    pub reply_to_uid: Option<u32>,
    pub created: i64,
    pub attempts: u32,
    /// The compose pane's draft this message was sent from, if any: sending the draft again
    /// after a refusal replaces the refused entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draft_id: Option<String>,
    /// The team policy the message was built under (none: the local configuration ruled):
    /// a retry checks it again against the policy in force before it goes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<PolicyStamp>,
    #[serde(flatten)]
    pub state: State,
}

/// The team policy an outbox entry was built under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyStamp {
    /// The policy's `version`.
    pub version: u64,
    /// A fingerprint of the team signature the message carries (`engine::policy_gate`), when
    /// it carries one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

pub struct Outbox {
    dir: PathBuf,
}

/// Why one outbox entry cannot be used: never sent, always shown (with its files' paths).
#[derive(Debug, thiserror::Error)]
pub enum EntryError {
    /// The state file or the message file cannot be read or parsed.
    #[error("damaged: {0}")]
    Damaged(#[from] CacheError),
    /// A message file without its state file (a crash while it was queued or removed).
    #[error("orphan message file {} (its state file {} is missing)", eml.display(), json.display())]
    OrphanMessage { eml: PathBuf, json: PathBuf },
    /// A state file without its message file: the bytes to send are gone.
    #[error("orphan state file {} (its message file {} is missing)", json.display(), eml.display())]
    OrphanState { json: PathBuf, eml: PathBuf },
}

/// The outbox directory exists but cannot be listed.
#[derive(Debug, thiserror::Error)]
#[error("cannot read the outbox: {}: {source}", path.display())]
pub struct Unreadable {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

/// One line of the outbox: its id and the entry, or why it cannot be used.
pub type Listed = (String, Result<Entry, EntryError>);

/// Whether a process with this id exists (Linux: /proc; elsewhere `kill -0`).
fn process_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    let proc_dir = std::path::Path::new("/proc");
    if proc_dir.join("self").exists() {
        return proc_dir.join(pid.to_string()).exists();
    }
    std::process::Command::new("kill")
        .args(["-0", &pid.to_string()])
        .stderr(std::process::Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(true)
}

/// A lock older than this belongs to a process that died mid-delivery: it may be taken over.
pub const STALE_CLAIM: std::time::Duration = std::time::Duration::from_secs(600);

/// Exclusive right to deliver one message (held by one process: the TUI's background thread
/// and a `mailroom send` in another terminal never transmit the same message at once).
/// Released on drop.
#[derive(Debug)]
pub struct Claim {
    path: PathBuf,
}

impl Drop for Claim {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

impl Outbox {
    pub fn new(dir: PathBuf) -> Outbox {
        Outbox { dir }
    }

    /// `$XDG_DATA_HOME/mailroom/outbox`: data, not cache — it must survive cleaning.
    pub fn default_dir() -> Option<PathBuf> {
        directories::BaseDirs::new().map(|d| d.data_dir().join("mailroom").join("outbox"))
    }

    fn id(message_id: &str) -> String {
        hashed_name("outbox", &[message_id.as_bytes()])[..32].to_string()
    }

    fn paths(&self, id: &str) -> (PathBuf, PathBuf) {
        (
            self.dir.join(format!("{id}.eml")),
            self.dir.join(format!("{id}.json")),
        )
    }

    /// Stores a new message (bytes first, then its state), durably; returns its id.
    pub fn enqueue(&self, entry: &Entry, raw: &[u8]) -> Result<String, CacheError> {
        create_private_dir(&self.dir)?;
        let id = Outbox::id(&entry.envelope.message_id);
        let (eml, _) = self.paths(&id);
        write_atomic(&self.dir, &eml, true, |f| std::io::Write::write_all(f, raw))?;
        self.save(&id, entry)?;
        Ok(id)
    }

    /// Rewrites an entry's state durably.
    pub fn save(&self, id: &str, entry: &Entry) -> Result<(), CacheError> {
        let (_, json) = self.paths(id);
        let text = serde_json::to_vec_pretty(entry).map_err(|e| CacheError::Invalid {
            path: json.clone(),
            reason: e.to_string(),
        })?;
        write_atomic(&self.dir, &json, true, |f| {
            std::io::Write::write_all(f, &text)
        })
    }

    pub fn load(&self, id: &str) -> Result<(Entry, Vec<u8>), CacheError> {
        let (eml, json) = self.paths(id);
        let text = std::fs::read(&json).map_err(|source| CacheError::Io {
            path: json.clone(),
            source,
        })?;
        let entry: Entry = serde_json::from_slice(&text).map_err(|e| CacheError::Corrupt {
            path: json.clone(),
            reason: e.to_string(),
        })?;
        let raw = std::fs::read(&eml).map_err(|source| CacheError::Io { path: eml, source })?;
        Ok((entry, raw))
    }

    /// Every message still in the outbox, oldest first; damaged entries and orphans (a message
    /// file without its state file, or the reverse) are listed as errors. An outbox that does
    /// not exist yet is empty; one that cannot be read is an error, never "empty".
    pub fn scan(&self) -> Result<Vec<Listed>, Unreadable> {
        let dir = match std::fs::read_dir(&self.dir) {
            Ok(d) => d,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(Unreadable {
                    path: self.dir.clone(),
                    source,
                });
            }
        };
        let mut json = std::collections::BTreeSet::new();
        let mut eml = std::collections::BTreeSet::new();
        for e in dir {
            let e = e.map_err(|source| Unreadable {
                path: self.dir.clone(),
                source,
            })?;
            let name = e.file_name().to_string_lossy().into_owned();
            let (id, set) = if let Some(id) = name.strip_suffix(".json") {
                (id, &mut json)
            } else if let Some(id) = name.strip_suffix(".eml") {
                (id, &mut eml)
            } else {
                continue;
            };
            if id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
                set.insert(id.to_string());
            }
        }
        let mut out: Vec<Listed> = json
            .union(&eml)
            .map(|id| {
                let (eml_path, json_path) = self.paths(id);
                let e = match (json.contains(id), eml.contains(id)) {
                    (true, true) => self.load(id).map(|(e, _)| e).map_err(EntryError::from),
                    (false, _) => Err(EntryError::OrphanMessage {
                        eml: eml_path,
                        json: json_path,
                    }),
                    (true, false) => Err(EntryError::OrphanState {
                        json: json_path,
                        eml: eml_path,
                    }),
                };
                (id.clone(), e)
            })
            .collect();
        out.sort_by_key(|(_, e)| e.as_ref().map(|e| e.created).unwrap_or(0));
        Ok(out)
    }

    /// [`Outbox::scan`] for callers that only act on usable entries: an unreadable outbox has
    /// none.
    pub fn list(&self) -> Vec<Listed> {
        self.scan().unwrap_or_default()
    }

    /// Whether a live process holds the claim on `id` (it is being delivered right now).
    pub fn in_progress(&self, id: &str) -> bool {
        let path = self.dir.join(format!("{id}.lock"));
        let fresh = std::fs::metadata(&path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age <= STALE_CLAIM);
        fresh
            && std::fs::read_to_string(&path)
                .ok()
                .and_then(|t| t.trim().parse::<u32>().ok())
                .is_some_and(|pid| pid != std::process::id() && process_alive(pid))
    }

    /// Claims the right to deliver `id`; `None` while another process holds it.
    pub fn claim(&self, id: &str) -> Result<Option<Claim>, CacheError> {
        create_private_dir(&self.dir)?;
        let path = self.dir.join(format!("{id}.lock"));
        for _ in 0..2 {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut f) => {
                    let _ = std::io::Write::write_all(
                        &mut f,
                        std::process::id().to_string().as_bytes(),
                    );
                    return Ok(Some(Claim { path }));
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let too_old = std::fs::metadata(&path)
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|t| t.elapsed().ok())
                        .is_some_and(|age| age > STALE_CLAIM);
                    // A holder that died (killed mid-send) must not block retries for long.
                    let holder_gone = std::fs::read_to_string(&path)
                        .ok()
                        .and_then(|t| t.trim().parse::<u32>().ok())
                        .is_some_and(|pid| !process_alive(pid));
                    let stale = too_old || holder_gone;
                    if !stale {
                        return Ok(None);
                    }
                    let _ = std::fs::remove_file(&path);
                }
                Err(source) => return Err(CacheError::Io { path, source }),
            }
        }
        Ok(None)
    }

    /// Removes a message that is delivered and filed.
    pub fn remove(&self, id: &str) -> Result<(), CacheError> {
        let (eml, json) = self.paths(id);
        // State first: a crash in between leaves bytes without state, never state without bytes.
        for p in [json, eml] {
            match std::fs::remove_file(&p) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => return Err(CacheError::Io { path: p, source }),
            }
        }
        Ok(())
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str) -> Entry {
        Entry {
            account: "support".into(),
            agent: "alice".into(),
            envelope: Envelope {
                mode: "as".into(),
                from: "support@example.test".into(),
                sender: None,
                mail_from: "support@example.test".into(),
                recipients: vec!["c@outside.test".into()],
                message_id: id.into(),
                subject: "Re: hi".into(),
            },
            reply_to_uid: Some(7),
            created: 1,
            attempts: 0,
            draft_id: None,
            policy: None,
            state: State::Queued,
        }
    }

    #[test]
    fn survives_reopen_and_walks_the_states() {
        let dir = tempfile::tempdir().unwrap();
        let ob = Outbox::new(dir.path().join("outbox"));
        let id = ob.enqueue(&entry("a@x"), b"raw bytes").unwrap();
        let mut e = ob.load(&id).unwrap().0;
        e.state = State::Sending;
        e.attempts = 1;
        ob.save(&id, &e).unwrap();
        let reopened = Outbox::new(dir.path().join("outbox"));
        let (e2, raw) = reopened.load(&id).unwrap();
        assert_eq!(e2, e);
        assert_eq!(raw, b"raw bytes");
        let listed = reopened.list();
        assert_eq!(listed.len(), 1);
        let claim = reopened.claim(&id).unwrap().expect("free");
        assert!(
            reopened.claim(&id).unwrap().is_none(),
            "one deliverer at a time"
        );
        drop(claim);
        assert!(reopened.claim(&id).unwrap().is_some());
        reopened.remove(&id).unwrap();
        assert!(reopened.list().is_empty());
        // The same Message-ID maps to the same file: a retry never duplicates the entry.
        assert_eq!(Outbox::id("a@x"), Outbox::id("a@x"));
    }

    #[test]
    fn a_damaged_entry_is_reported_not_fatal() {
        let dir = tempfile::tempdir().unwrap();
        let ob = Outbox::new(dir.path().to_path_buf());
        let id = ob.enqueue(&entry("b@x"), b"x").unwrap();
        std::fs::write(dir.path().join(format!("{id}.json")), b"{not json").unwrap();
        let listed = ob.list();
        assert!(matches!(
            listed[0].1,
            Err(EntryError::Damaged(CacheError::Corrupt { .. }))
        ));
    }

    #[test]
    fn orphans_are_listed_and_an_unreadable_outbox_is_not_empty() {
        let dir = tempfile::tempdir().unwrap();
        let ob = Outbox::new(dir.path().join("outbox"));
        assert!(ob.scan().unwrap().is_empty(), "not created yet: empty");
        let a = ob.enqueue(&entry("a@x"), b"x").unwrap();
        let b = ob.enqueue(&entry("b@x"), b"y").unwrap();
        let c = ob.enqueue(&entry("c@x"), b"z").unwrap();
        std::fs::remove_file(dir.path().join(format!("outbox/{a}.json"))).unwrap();
        std::fs::remove_file(dir.path().join(format!("outbox/{b}.eml"))).unwrap();
        let listed = ob.scan().unwrap();
        assert_eq!(listed.len(), 3);
        let find = |id: &str| &listed.iter().find(|(i, _)| i == id).unwrap().1;
        assert!(matches!(find(&a), Err(EntryError::OrphanMessage { .. })));
        assert!(matches!(find(&b), Err(EntryError::OrphanState { .. })));
        assert!(find(&c).is_ok());
        let text = find(&a).as_ref().unwrap_err().to_string();
        assert!(text.contains(&format!("{a}.eml")), "{text}");

        let file = dir.path().join("not-a-dir");
        std::fs::write(&file, b"").unwrap();
        let err = Outbox::new(file).scan().unwrap_err();
        assert!(
            err.to_string().starts_with("cannot read the outbox: "),
            "{err}"
        );
    }

    /// An entry as the code writes it, with every optional part present.
    fn full_entry() -> Entry {
        let mut e = entry("x1@mailroom.test");
        e.envelope.sender = Some("alice@example.test".into());
        e.envelope.mode = "on-behalf".into();
        e.envelope.recipients.push("d@outside.test".into());
        e.draft_id = Some("draft-1".into());
        e.attempts = 2;
        e.state = State::Deferred {
            error: "451 try later".into(),
            retry_at: 90,
        };
        e
    }

    /// The bytes of a state file, as written before the envelope had a type of its own: files
    /// written now are the same, key for key and in the same order.
    const STATE_FILE: &str = r#"{
  "account": "support",
  "agent": "alice",
  "mode": "on-behalf",
  "from": "support@example.test",
  "sender": "alice@example.test",
  "mail_from": "support@example.test",
  "recipients": [
    "c@outside.test",
    "d@outside.test"
  ],
  "message_id": "x1@mailroom.test",
  "subject": "Re: hi",
  "reply_to_uid": 7,
  "created": 1,
  "attempts": 2,
  "draft_id": "draft-1",
  "state": "deferred",
  "error": "451 try later",
  "retry_at": 90
}"#;

    #[test]
    fn the_state_file_keeps_its_keys_and_their_order() {
        let dir = tempfile::tempdir().unwrap();
        let ob = Outbox::new(dir.path().to_path_buf());
        let id = ob.enqueue(&full_entry(), b"x").unwrap();
        let text = std::fs::read_to_string(dir.path().join(format!("{id}.json"))).unwrap();
        assert_eq!(text, STATE_FILE);
        let queued = serde_json::to_string(&entry("q@x")).unwrap();
        assert_eq!(
            queued,
            r#"{"account":"support","agent":"alice","mode":"as","from":"support@example.test","sender":null,"mail_from":"support@example.test","recipients":["c@outside.test"],"message_id":"q@x","subject":"Re: hi","reply_to_uid":7,"created":1,"attempts":0,"state":"queued"}"#
        );
    }

    #[test]
    fn state_files_of_older_versions_load() {
        let dir = tempfile::tempdir().unwrap();
        let ob = Outbox::new(dir.path().to_path_buf());
        let id = Outbox::id("x1@mailroom.test");
        std::fs::write(dir.path().join(format!("{id}.eml")), b"x").unwrap();
        std::fs::write(dir.path().join(format!("{id}.json")), STATE_FILE).unwrap();
        assert_eq!(ob.load(&id).unwrap().0, full_entry());
        // Before drafts were remembered and uncertain entries said why: no `draft_id`, no
        // `error`, and `sender` left out rather than null.
        let old = r#"{"account":"support","agent":"alice","mode":"as","from":"support@example.test","mail_from":"support@example.test","recipients":["c@outside.test"],"message_id":"x1@mailroom.test","subject":"Re: hi","reply_to_uid":null,"created":1,"attempts":1,"state":"uncertain","since":5,"server":"127.0.0.1:587"}"#;
        std::fs::write(dir.path().join(format!("{id}.json")), old).unwrap();
        let mut want = entry("x1@mailroom.test");
        want.reply_to_uid = None;
        want.attempts = 1;
        want.state = State::Uncertain {
            since: 5,
            server: "127.0.0.1:587".into(),
            error: None,
        };
        assert_eq!(ob.load(&id).unwrap().0, want);
    }

    #[test]
    fn an_uncertain_entry_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let ob = Outbox::new(dir.path().to_path_buf());
        let mut e = entry("u@x");
        let id = ob.enqueue(&e, b"x").unwrap();
        e.state = State::Uncertain {
            since: 5,
            server: "127.0.0.1:587".into(),
            error: None,
        };
        ob.save(&id, &e).unwrap();
        let text = std::fs::read_to_string(dir.path().join(format!("{id}.json"))).unwrap();
        assert!(text.contains("\"state\": \"uncertain\""), "{text}");
        assert_eq!(ob.load(&id).unwrap().0, e);
    }
}
