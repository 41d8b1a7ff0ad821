//! The team's replies as their Sent copies say: who sent them, in which mode, on which
//! messages, with what text. Pure: raw bytes in, values out (raw: sanitize them to show).

use crate::mail::parse;
use crate::message::Flags;

/// The Sent copies read for one conversation, at most (the newest).
pub const MAX_SENT: usize = 20;
/// Each Sent copy is read up to this many bytes: enough for the text of any reply.
pub const MAX_SENT_BYTES: u64 = 256 * 1024;
/// At most this many Message-IDs of one conversation are searched for in the Sent folder.
pub const MAX_SEARCHED_IDS: usize = 24;

/// One of the team's replies, read back from the Sent folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentReply {
    /// UID in the Sent folder.
    pub uid: u32,
    /// The Date header, else when the server stored it; seconds since the Unix epoch.
    pub date: i64,
    /// `X-Mailroom-Agent`, when it is a valid agent id.
    pub agent: Option<String>,
    /// The From address (the shared address for Send As and Send on Behalf).
    pub from: Option<String>,
    /// The Sender address, when it differs from From (Send on Behalf).
    pub sender: Option<String>,
    pub message_id: Option<String>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    /// The readable text (decoded, not sanitized).
    pub text: String,
}

impl SentReply {
    /// Reads a Sent copy (the whole message or its first bytes).
    pub fn parse(uid: u32, raw: &[u8], internal_date: i64) -> SentReply {
        let s = parse::summary_from_raw(uid, raw, internal_date, Flags::default(), Vec::new());
        let agent = parse::header_text(raw, "X-Mailroom-Agent")
            .map(|a| a.to_ascii_lowercase())
            .filter(|a| crate::config::is_valid_agent_id(a));
        let from = s.from().next().map(|a| a.email.to_string());
        let sender = s
            .sender()
            .next()
            .map(|a| a.email.to_string())
            .filter(|snd| !from.as_deref().is_some_and(|f| f.eq_ignore_ascii_case(snd)));
        SentReply {
            uid,
            date: s.date.unwrap_or(internal_date),
            agent,
            from,
            sender,
            message_id: s.message_id().map(str::to_string),
            in_reply_to: s.in_reply_to().map(str::to_string).collect(),
            references: s.references().map(str::to_string).collect(),
            text: parse::text_body(raw).trim_end().to_string(),
        }
    }

    /// Whether it answers one of `ids` (In-Reply-To or References).
    pub fn answers(&self, ids: &[String]) -> bool {
        self.in_reply_to
            .iter()
            .chain(&self.references)
            .any(|r| ids.iter().any(|i| i == r))
    }

    /// Who sent it and how, for display (raw): "alice, as support@example.com" (Send As),
    /// "bob on behalf of sales@example.com" (Send on Behalf), or the From address alone.
    pub fn label(&self) -> String {
        let who = self.agent.clone().or_else(|| self.sender.clone());
        let from = self.from.clone().unwrap_or_else(|| "?".to_string());
        match (who, &self.sender) {
            (Some(who), Some(_)) => format!("{who} on behalf of {from}"),
            (Some(who), None) => format!("{who}, as {from}"),
            (None, _) => from,
        }
    }

    /// Who answered, in one word for a question: the agent, else the From address.
    pub fn who(&self) -> String {
        self.agent
            .clone()
            .or_else(|| self.sender.clone())
            .or_else(|| self.from.clone())
            .unwrap_or_else(|| "a teammate".to_string())
    }
}

/// The Message-IDs searched for in the Sent folder: `ids` in order, without duplicates, only
/// those that can be quoted in a SEARCH, at most [`MAX_SEARCHED_IDS`].
pub fn searched_ids<'a>(ids: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for id in ids {
        if out.len() >= MAX_SEARCHED_IDS {
            break;
        }
        if crate::mail::note::is_linkable_id(id) && !out.iter().any(|o| o == id) {
            out.push(id.to_string());
        }
    }
    out
}

/// The IMAP SEARCH key for messages answering any of `ids` (each checked by
/// [`searched_ids`]): `OR` of `HEADER In-Reply-To` and `HEADER References` per id.
pub fn search_key(ids: &[String]) -> Option<String> {
    let terms: Vec<String> = ids
        .iter()
        .filter(|i| crate::mail::note::is_linkable_id(i))
        .flat_map(|id| {
            [
                format!("HEADER In-Reply-To \"<{id}>\""),
                format!("HEADER References \"<{id}>\""),
            ]
        })
        .collect();
    let (last, rest) = terms.split_last()?;
    // OR is binary: OR a OR b c.
    let mut key = String::new();
    for t in rest {
        key.push_str("OR ");
        key.push_str(t);
        key.push(' ');
    }
    key.push_str(last);
    Some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    const AS: &[u8] = b"X-Mailroom-Agent: alice\r\nFrom: Support <support@example.com>\r\n\
To: carol@customer.test\r\nDate: Tue, 1 Dec 2026 10:00:00 +0000\r\n\
Message-ID: <r1@example.com>\r\nIn-Reply-To: <c1@customer.test>\r\n\
References: <c0@customer.test> <c1@customer.test>\r\nSubject: Re: Order\r\n\r\nOn its way.\r\n";

    #[test]
    fn a_send_as_copy_names_the_agent_and_the_shared_address() {
        let r = SentReply::parse(7, AS, 0);
        assert_eq!(r.label(), "alice, as support@example.com");
        assert_eq!(r.who(), "alice");
        assert_eq!(r.date, 1_796_119_200);
        assert_eq!(r.text, "On its way.");
        assert!(r.answers(&["c0@customer.test".to_string()]));
        assert!(!r.answers(&["other@x".to_string()]));
    }

    #[test]
    fn a_send_on_behalf_copy_says_so() {
        let raw = b"X-Mailroom-Agent: bob\r\nFrom: sales@example.com\r\n\
Sender: bob@example.com\r\nMessage-ID: <r2@example.com>\r\n\r\nHi\r\n";
        let r = SentReply::parse(1, raw, 5);
        assert_eq!(r.label(), "bob on behalf of sales@example.com");
        assert_eq!(r.date, 5);
        // No agent header, a hostile one: the Sender or From address.
        let raw = b"X-Mailroom-Agent: bob\x1b[31m\r\nFrom: sales@example.com\r\n\r\nHi\r\n";
        let r = SentReply::parse(1, raw, 5);
        assert_eq!(r.agent, None);
        assert_eq!(r.label(), "sales@example.com");
    }

    #[test]
    fn the_search_key_is_a_balanced_or_of_checked_ids() {
        let ids = searched_ids(["a@x", "b\"@x", "a@x", "c@x"]);
        assert_eq!(ids, vec!["a@x".to_string(), "c@x".to_string()]);
        assert_eq!(
            search_key(&ids).as_deref(),
            Some(
                "OR HEADER In-Reply-To \"<a@x>\" OR HEADER References \"<a@x>\" \
                 OR HEADER In-Reply-To \"<c@x>\" HEADER References \"<c@x>\""
            )
        );
        assert_eq!(search_key(&[]), None);
        let many: Vec<String> = (0..100).map(|i| format!("{i}@x")).collect();
        assert_eq!(
            searched_ids(many.iter().map(String::as_str)).len(),
            MAX_SEARCHED_IDS
        );
    }
}
