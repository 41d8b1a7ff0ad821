//! The team's replies in a conversation from a local Sent folder (the demo, mbsync users):
//! the same answer as `imap::sent`, through the [`Backend`] trait.

use super::{Backend, BackendError};
use crate::mail::sent::{self, MAX_SENT, MAX_SENT_BYTES, SentReply};

/// The replies in `folder` to any of `ids`, oldest first (at most [`MAX_SENT`], the newest;
/// each read up to [`MAX_SENT_BYTES`]). A missing folder has none.
pub fn replies_in(
    backend: &mut dyn Backend,
    folder: &str,
    ids: &[String],
) -> Result<Vec<SentReply>, BackendError> {
    let ids = sent::searched_ids(ids.iter().map(String::as_str));
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    match backend.status(folder) {
        Ok(_) => {}
        Err(BackendError::NoMailbox { .. }) => return Ok(Vec::new()),
        Err(e) => return Err(e),
    }
    let mut found: Vec<(u32, i64)> = Vec::new();
    backend.summaries(folder, 1, &mut |rows| {
        for r in rows {
            if r.in_reply_to()
                .chain(r.references())
                .any(|i| ids.iter().any(|id| id == i))
            {
                found.push((r.uid, r.internal_date));
            }
        }
    })?;
    found.sort_unstable();
    if found.len() > MAX_SENT {
        found.drain(..found.len() - MAX_SENT);
    }
    let mut replies = Vec::with_capacity(found.len());
    for (uid, date) in found {
        let mut raw = backend.fetch(folder, uid)?;
        raw.truncate(MAX_SENT_BYTES as usize);
        replies.push(SentReply::parse(uid, &raw, date));
    }
    replies.sort_by_key(|r| (r.date, r.uid));
    Ok(replies)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::maildir::MaildirBackend;

    #[test]
    fn the_demo_sent_folder_answers_its_conversations() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let ws = crate::demo::build_workspace_at(dir.path(), false, 1_795_780_800)
            .unwrap_or_else(|e| panic!("{e}"));
        let support = ws
            .accounts
            .iter()
            .find(|a| a.name == "support")
            .unwrap_or_else(|| panic!("no support account"));
        let mut b =
            MaildirBackend::open("support", &support.maildir).unwrap_or_else(|e| panic!("{e}"));
        let ids = vec!["2cbd774ae1e3ec6d.990e26@mail.andersson-bygg.example".to_string()];
        let replies = replies_in(&mut b, "Sent", &ids).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(replies.len(), 1, "{replies:?}");
        assert_eq!(replies[0].label(), "carol, as support@example.test");
        assert!(!replies[0].text.is_empty());
        // No id it answers, no folder: nothing.
        let none = replies_in(&mut b, "Sent", &["nobody@x".to_string()]);
        assert_eq!(none.map(|r| r.len()).ok(), Some(0));
        let none = replies_in(&mut b, "NoSuchFolder", &ids);
        assert_eq!(none.map(|r| r.len()).ok(), Some(0));
    }
}
