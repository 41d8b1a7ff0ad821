//! The `Backend` trait over an IMAP session (first cut: no cache, no IDLE; the IMAP engine
//! issue adds those). Every name and keyword is validated before it reaches the wire.

use imap::types::Flag;

use super::connect::{ImapConn, Target, describe, open_session};
use super::quote_mailbox;
use crate::backend::{Backend, BackendError, FlagChange, MailboxStatus, StoreOutcome};
use crate::config;
use crate::mail::utf7;
use crate::message::{Flags, Summary};
use crate::policy::rights::Rights;

pub struct ImapBackend {
    account: String,
    conn: ImapConn,
    selected: Option<(String, MailboxStatus)>,
    /// `max_part_bytes` of the account: bigger parts are placeholders (`imap::parts`).
    max_part_bytes: u64,
}

impl ImapBackend {
    pub fn connect(account: &str, cfg: &config::Imap) -> Result<ImapBackend, super::ImapError> {
        let session = open_session(&Target {
            account,
            config: cfg,
        })?;
        Ok(ImapBackend {
            account: account.to_string(),
            conn: session,
            selected: None,
            max_part_bytes: cfg.max_part_bytes,
        })
    }

    fn action_error(&self, mailbox: &str, e: super::actions::ActionError) -> BackendError {
        use super::actions::ActionError as A;
        match e {
            A::BadKeyword(keyword) => BackendError::BadKeyword {
                account: self.account.clone(),
                keyword,
            },
            A::NoMessage(uid) => BackendError::NoMessage {
                account: self.account.clone(),
                mailbox: crate::sanitize::single_line(mailbox),
                uid,
            },
            A::Server(message) | A::Connection(message) => self.protocol(message),
        }
    }

    fn protocol(&self, message: String) -> BackendError {
        BackendError::Protocol {
            account: self.account.clone(),
            message: crate::sanitize::single_line(&message),
        }
    }

    fn select(&mut self, mailbox: &str) -> Result<MailboxStatus, BackendError> {
        if let Some((name, status)) = &self.selected
            && name == mailbox
        {
            return Ok(status.clone());
        }
        if quote_mailbox(mailbox).is_none() {
            return Err(BackendError::NoMailbox {
                account: self.account.clone(),
                mailbox: crate::sanitize::single_line(mailbox),
            });
        }
        let m = self
            .conn
            .session
            .select(utf7::encode(mailbox))
            .map_err(|e| match e {
                imap::Error::No(_) => BackendError::NoMailbox {
                    account: self.account.clone(),
                    mailbox: crate::sanitize::single_line(mailbox),
                },
                other => self.protocol(format!("SELECT {mailbox:?}: {}", describe(&other))),
            })?;
        let status = MailboxStatus {
            name: mailbox.to_string(),
            uid_validity: m.uid_validity.unwrap_or(0),
            uid_next: m.uid_next.unwrap_or(0),
            exists: m.exists,
            highest_modseq: m.highest_mod_seq,
            read_only: m.is_read_only,
            permanent_flags: m.permanent_flags.iter().map(|f| f.to_string()).collect(),
        };
        self.selected = Some((mailbox.to_string(), status.clone()));
        Ok(status)
    }
}

impl Backend for ImapBackend {
    fn account(&self) -> &str {
        &self.account
    }

    fn status(&mut self, mailbox: &str) -> Result<MailboxStatus, BackendError> {
        self.selected = None;
        self.select(mailbox)
    }

    fn summaries(
        &mut self,
        mailbox: &str,
        from_uid: u32,
        batch: &mut dyn FnMut(Vec<Summary>),
    ) -> Result<(), BackendError> {
        let status = self.select(mailbox)?;
        if status.exists == 0 {
            return Ok(());
        }
        let condstore = self.conn.has("CONDSTORE");
        super::sync::fetch_new(
            &mut self.conn,
            mailbox,
            from_uid.max(1),
            condstore,
            &mut || None,
            batch,
        )
        .map_err(|e| self.protocol(e.to_string()))
    }

    fn fetch(&mut self, mailbox: &str, uid: u32) -> Result<Vec<u8>, BackendError> {
        self.select(mailbox)?;
        super::parts::fetch_message(&mut self.conn, uid, self.max_part_bytes)
            .map_err(|e| self.action_error(mailbox, e))
    }

    fn fetch_header(&mut self, mailbox: &str, uid: u32) -> Result<Vec<u8>, BackendError> {
        self.select(mailbox)?;
        super::actions::fetch_header(&mut self.conn, uid, crate::mail::parse::MAX_HEADER_BYTES)
            .map_err(|e| self.action_error(mailbox, e))
    }

    fn store(
        &mut self,
        mailbox: &str,
        uid: u32,
        change: &FlagChange,
        unchanged_since: Option<u64>,
    ) -> Result<StoreOutcome, BackendError> {
        self.select(mailbox)?;
        super::actions::store(&mut self.conn, uid, change, unchanged_since)
            .map_err(|e| self.action_error(mailbox, e))
    }

    fn move_to(
        &mut self,
        mailbox: &str,
        uid: u32,
        target: &str,
    ) -> Result<Option<u32>, BackendError> {
        self.select(mailbox)?;
        if quote_mailbox(target).is_none() {
            return Err(BackendError::NoMailbox {
                account: self.account.clone(),
                mailbox: crate::sanitize::single_line(target),
            });
        }
        let encoded = utf7::encode(target);
        let has_move = self
            .conn
            .session
            .capabilities()
            .map(|c| c.has_str("MOVE"))
            .unwrap_or(false);
        let result = if has_move {
            self.conn.session.uid_mv(uid.to_string(), &encoded)
        } else {
            self.conn
                .session
                .uid_copy(uid.to_string(), &encoded)
                .and_then(|_| {
                    self.conn
                        .session
                        .uid_store(uid.to_string(), "+FLAGS.SILENT (\\Deleted)")
                        .map(|_| ())
                })
                .and_then(|_| self.conn.session.uid_expunge(uid.to_string()).map(|_| ()))
        };
        result.map_err(|e| {
            self.protocol(format!("moving UID {uid} to {target:?}: {}", describe(&e)))
        })?;
        self.selected = None;
        Ok(None)
    }

    fn append(
        &mut self,
        mailbox: &str,
        raw: &[u8],
        flags: Flags,
        keywords: &[String],
        internal_date: Option<i64>,
    ) -> Result<Option<u32>, BackendError> {
        if quote_mailbox(mailbox).is_none() {
            return Err(BackendError::NoMailbox {
                account: self.account.clone(),
                mailbox: crate::sanitize::single_line(mailbox),
            });
        }
        let list = super::actions::flag_list(flags, keywords)
            .map_err(|e| self.action_error(mailbox, e))?;
        let encoded = utf7::encode(mailbox);
        let mut cmd = self.conn.session.append(&encoded, raw);
        cmd.flags(list.iter().map(|f| Flag::from(f.clone())));
        if let Some(t) = internal_date
            && let Some(dt) = chrono::DateTime::from_timestamp(t, 0)
        {
            cmd.internal_date(dt.fixed_offset());
        }
        let appended = cmd
            .finish()
            .map_err(|e| self.protocol(format!("APPEND to {mailbox:?}: {}", describe(&e))))?;
        if self.selected.as_ref().is_some_and(|(n, _)| n == mailbox) {
            self.selected = None;
        }
        Ok(appended.uids.and_then(|u| {
            u.first().map(|m| match m {
                imap_proto::UidSetMember::Uid(u) => *u,
                imap_proto::UidSetMember::UidRange(r) => *r.start(),
            })
        }))
    }

    fn find_message_id(
        &mut self,
        mailbox: &str,
        message_id: &str,
    ) -> Result<Option<u32>, BackendError> {
        self.select(mailbox)?;
        // A Message-ID is printable ASCII without quotes; anything else cannot be ours.
        if message_id.is_empty()
            || !message_id
                .bytes()
                .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\')
        {
            return Ok(None);
        }
        let found = self
            .conn
            .session
            .uid_search(format!("HEADER Message-ID \"<{message_id}>\""))
            .map_err(|e| self.protocol(format!("UID SEARCH: {}", describe(&e))))?;
        Ok(found.into_iter().min())
    }

    fn rights(&mut self, mailbox: &str) -> Result<Rights, BackendError> {
        let Some(quoted) = quote_mailbox(mailbox) else {
            return Err(BackendError::NoMailbox {
                account: self.account.clone(),
                mailbox: crate::sanitize::single_line(mailbox),
            });
        };
        let has_acl = self
            .conn
            .session
            .capabilities()
            .map(|c| c.has_str("ACL"))
            .unwrap_or(false);
        if has_acl {
            let raw = self
                .conn
                .session
                .run_command_and_read_response(format!("MYRIGHTS {quoted}"))
                .map_err(|e| self.protocol(format!("MYRIGHTS: {}", describe(&e))))?;
            if let Some(r) = super::probe::parse_myrights(&raw) {
                return Ok(Rights::parse(&r));
            }
        }
        let status = self.select(mailbox)?;
        Ok(Rights::from_select(
            status.read_only,
            &status.permanent_flags,
        ))
    }
}
