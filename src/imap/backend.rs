//! The `Backend` trait over an IMAP session (first cut: no cache, no IDLE; the IMAP engine
//! issue adds those). Every name and keyword is validated before it reaches the wire.

use imap::types::Flag;

use super::connect::{Session, Target, describe, open_session};
use super::{quote_mailbox, utf7};
use crate::backend::{
    Backend, BackendError, FlagChange, Flags, MailboxStatus, StoreOutcome, Summary,
    is_valid_keyword,
};
use crate::config;
use crate::policy::rights::Rights;

/// Messages fetched per round trip when listing.
const BATCH: u32 = 500;

pub struct ImapBackend {
    account: String,
    session: Session,
    selected: Option<(String, MailboxStatus)>,
}

impl ImapBackend {
    pub fn connect(account: &str, cfg: &config::Imap) -> Result<ImapBackend, super::ImapError> {
        let session = open_session(&Target {
            account,
            config: cfg,
        })?;
        Ok(ImapBackend {
            account: account.to_string(),
            session,
            selected: None,
        })
    }

    fn protocol(&self, message: String) -> BackendError {
        BackendError::Protocol {
            account: self.account.clone(),
            message: crate::mail::sanitize::single_line(&message),
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
                mailbox: crate::mail::sanitize::single_line(mailbox),
            });
        }
        let m = self
            .session
            .select(utf7::encode(mailbox))
            .map_err(|e| match e {
                imap::Error::No(_) => BackendError::NoMailbox {
                    account: self.account.clone(),
                    mailbox: crate::mail::sanitize::single_line(mailbox),
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

fn split_flags(flags: &[Flag<'_>]) -> (Flags, Vec<String>) {
    let mut f = Flags::default();
    let mut keywords = Vec::new();
    for flag in flags {
        match flag {
            Flag::Seen => f.seen = true,
            Flag::Answered => f.answered = true,
            Flag::Flagged => f.flagged = true,
            Flag::Deleted => f.deleted = true,
            Flag::Draft => f.draft = true,
            Flag::Custom(k) if !k.starts_with('\\') => keywords.push(k.to_string()),
            _ => {}
        }
    }
    (f, keywords)
}

/// `(\Seen $done)` for STORE/APPEND, refusing any keyword that is not an atom.
fn flag_list(
    account: &str,
    flags: Flags,
    keywords: &[String],
) -> Result<Vec<String>, BackendError> {
    let mut v: Vec<String> = flags.names().into_iter().map(str::to_string).collect();
    for k in keywords {
        if !is_valid_keyword(k) {
            return Err(BackendError::BadKeyword {
                account: account.to_string(),
                keyword: crate::mail::sanitize::single_line(k),
            });
        }
        v.push(k.clone());
    }
    Ok(v)
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
        let first = from_uid.max(1);
        // UID ranges of fixed width; a sparse mailbox costs a few empty round trips at most.
        // Without UIDNEXT, one open-ended range.
        let ranges: Vec<String> = if status.uid_next == 0 {
            vec![format!("{first}:*")]
        } else {
            (first..status.uid_next)
                .step_by((BATCH * 4) as usize)
                .map(|s| {
                    format!(
                        "{s}:{}",
                        s.saturating_add(BATCH * 4 - 1).min(status.uid_next - 1)
                    )
                })
                .collect()
        };
        for range in ranges {
            let fetches = self
                .session
                .uid_fetch(
                    &range,
                    "(UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER])",
                )
                .map_err(|e| self.protocol(format!("UID FETCH: {}", describe(&e))))?;
            let mut rows = Vec::with_capacity(fetches.len());
            for f in fetches.iter() {
                let Some(uid) = f.uid else { continue };
                if uid < first {
                    continue;
                }
                let (flags, keywords) = split_flags(f.flags());
                let internal = f.internal_date().map(|d| d.timestamp()).unwrap_or(0);
                let mut s = crate::mail::parse::summary_from_raw(
                    uid,
                    f.header().unwrap_or(b""),
                    internal,
                    flags,
                    keywords,
                );
                s.size = u64::from(f.size.unwrap_or(0));
                s.modseq = f.mod_seq();
                rows.push(s);
            }
            rows.sort_by_key(|s| s.uid);
            if !rows.is_empty() {
                batch(rows);
            }
        }
        Ok(())
    }

    fn fetch(&mut self, mailbox: &str, uid: u32) -> Result<Vec<u8>, BackendError> {
        self.select(mailbox)?;
        let fetches = self
            .session
            .uid_fetch(uid.to_string(), "(UID BODY.PEEK[])")
            .map_err(|e| self.protocol(format!("UID FETCH {uid}: {}", describe(&e))))?;
        fetches
            .iter()
            .find(|f| f.uid == Some(uid))
            .and_then(|f| f.body().map(<[u8]>::to_vec))
            .ok_or_else(|| BackendError::NoMessage {
                account: self.account.clone(),
                mailbox: crate::mail::sanitize::single_line(mailbox),
                uid,
            })
    }

    fn store(
        &mut self,
        mailbox: &str,
        uid: u32,
        change: &FlagChange,
        unchanged_since: Option<u64>,
    ) -> Result<StoreOutcome, BackendError> {
        self.select(mailbox)?;
        let add = flag_list(&self.account, change.add_flags, &change.add_keywords)?;
        let remove = flag_list(&self.account, change.remove_flags, &change.remove_keywords)?;
        let condition = unchanged_since
            .map(|m| format!("(UNCHANGEDSINCE {m}) "))
            .unwrap_or_default();
        let mut modseq = None;
        for (sign, list) in [('+', add), ('-', remove)] {
            if list.is_empty() {
                continue;
            }
            let query = format!("{condition}{sign}FLAGS.SILENT ({})", list.join(" "));
            match self.session.uid_store(uid.to_string(), &query) {
                Ok(fetches) => modseq = fetches.iter().find_map(|f| f.mod_seq()).or(modseq),
                Err(imap::Error::No(r))
                    if r.information.to_ascii_uppercase().contains("MODIFIED") =>
                {
                    return Ok(StoreOutcome::Modified);
                }
                Err(e) => return Err(self.protocol(format!("UID STORE {uid}: {}", describe(&e)))),
            }
        }
        Ok(StoreOutcome::Stored { modseq })
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
                mailbox: crate::mail::sanitize::single_line(target),
            });
        }
        let encoded = utf7::encode(target);
        let has_move = self
            .session
            .capabilities()
            .map(|c| c.has_str("MOVE"))
            .unwrap_or(false);
        let result = if has_move {
            self.session.uid_mv(uid.to_string(), &encoded)
        } else {
            self.session
                .uid_copy(uid.to_string(), &encoded)
                .and_then(|_| {
                    self.session
                        .uid_store(uid.to_string(), "+FLAGS.SILENT (\\Deleted)")
                        .map(|_| ())
                })
                .and_then(|_| self.session.uid_expunge(uid.to_string()).map(|_| ()))
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
                mailbox: crate::mail::sanitize::single_line(mailbox),
            });
        }
        let list = flag_list(&self.account, flags, keywords)?;
        let encoded = utf7::encode(mailbox);
        let mut cmd = self.session.append(&encoded, raw);
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

    fn rights(&mut self, mailbox: &str) -> Result<Rights, BackendError> {
        let Some(quoted) = quote_mailbox(mailbox) else {
            return Err(BackendError::NoMailbox {
                account: self.account.clone(),
                mailbox: crate::mail::sanitize::single_line(mailbox),
            });
        };
        let has_acl = self
            .session
            .capabilities()
            .map(|c| c.has_str("ACL"))
            .unwrap_or(false);
        if has_acl {
            let raw = self
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
