//! Reply templates used, counted from the Sent copies' `X-Mailroom-Template` (written by
//! `engine::templates::sent_copy`): part of `mailroom stats`.

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;

use super::stats::MailboxInput;

/// How often one template was used in the window.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct TemplateUses {
    pub template: String,
    pub uses: usize,
    /// Per account (its `name`), the accounts where it was used.
    pub by_account: BTreeMap<String, usize>,
}

/// The template name of a Sent copy's header value: `[a-z0-9._-]+` as written, else nothing
/// (a hand-made header is not a template use).
pub fn name_of(value: &str) -> Option<String> {
    let v = value.trim();
    (!v.is_empty()
        && v.len() <= 64
        && v.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b)))
    .then(|| v.to_string())
}

/// Uses per template, most used first (then by name), over the Sent messages whose
/// INTERNALDATE `in_window` accepts; two copies of one message count once.
pub fn count(inputs: &[MailboxInput], in_window: impl Fn(i64) -> bool) -> Vec<TemplateUses> {
    let mut by_name: BTreeMap<String, TemplateUses> = BTreeMap::new();
    for input in inputs {
        let mut seen: HashSet<String> = HashSet::new();
        for m in &input.sent {
            let Some(name) = &m.template else { continue };
            if !in_window(m.internal_date) {
                continue;
            }
            if let Some(id) = &m.message_id
                && !seen.insert(id.to_ascii_lowercase())
            {
                continue;
            }
            let e = by_name.entry(name.clone()).or_insert_with(|| TemplateUses {
                template: name.clone(),
                ..TemplateUses::default()
            });
            e.uses += 1;
            *e.by_account.entry(input.account.clone()).or_default() += 1;
        }
    }
    let mut out: Vec<TemplateUses> = by_name.into_values().collect();
    out.sort_by(|a, b| {
        b.uses
            .cmp(&a.uses)
            .then_with(|| a.template.cmp(&b.template))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::insight::stats::SentMessage;

    fn sent(uid: u32, id: &str, at: i64, template: Option<&str>) -> SentMessage {
        SentMessage {
            uid,
            message_id: Some(id.into()),
            internal_date: at,
            template: template.map(str::to_string),
            ..SentMessage::default()
        }
    }

    #[test]
    fn counts_per_template_and_account_in_the_window_once_per_message() {
        let support = MailboxInput {
            account: "support".into(),
            sent: vec![
                sent(1, "a@x", 10, Some("refund")),
                sent(2, "a@x", 10, Some("refund")),
                sent(3, "b@x", 20, Some("refund")),
                sent(4, "c@x", 20, Some("thanks")),
                sent(5, "d@x", 20, None),
                sent(6, "e@x", 999, Some("thanks")),
            ],
            ..MailboxInput::default()
        };
        let sales = MailboxInput {
            account: "sales".into(),
            sent: vec![sent(1, "f@x", 30, Some("thanks"))],
            ..MailboxInput::default()
        };
        let uses = count(&[support, sales], |t| t < 100);
        assert_eq!(uses.len(), 2);
        assert_eq!(uses[0].template, "refund");
        assert_eq!(uses[0].uses, 2);
        assert_eq!(uses[1].template, "thanks");
        assert_eq!(uses[1].uses, 2);
        assert_eq!(
            uses[1].by_account,
            BTreeMap::from([("sales".to_string(), 1), ("support".to_string(), 1)])
        );
    }

    #[test]
    fn only_a_plain_name_is_a_template() {
        assert_eq!(name_of(" refund "), Some("refund".into()));
        assert_eq!(name_of("Refund me"), None);
        assert_eq!(name_of("x\u{1b}[31m"), None);
        assert_eq!(name_of(""), None);
    }
}
