//! The orders a message list is shown in (`:sort`, the `s` key, `mailroom list --sort`): one
//! definition, so the column view and the command line list the same rows the same way.

use std::cmp::{Ordering, Reverse};

use crate::mail::display::sender_label;
use crate::message::Summary;
use crate::policy::team::sla::{self, Response};

/// How rows are ordered. Ties (and the default) go newest first: arrival time, then UID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// Newest arrival first (INTERNALDATE, then UID).
    #[default]
    Date,
    /// Longest waiting first: the oldest arrival at the top.
    Waiting,
    /// By the sender as the row shows it ("Name", or "agent via support@"), A to Z.
    Sender,
    /// By subject without its "Re:"/"Fwd:" prefixes, A to Z.
    Subject,
    /// Due first: the rows still waiting for a first response (`policy::team::sla`), the
    /// oldest arrival first (under one mailbox's target, the earliest due time first), then
    /// the answered ones newest first.
    Due,
}

/// What a row sorts by, computed once per row (not per comparison).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum SortKey {
    Newest(Reverse<i64>, Reverse<u32>),
    Oldest(i64, u32),
    Text(String, Reverse<i64>, Reverse<u32>),
    /// Waiting for a response (false first), then the arrival order that goes with it.
    Due(bool, i64, i64),
}

impl Sort {
    /// The orders `s` cycles through in a column without a first-response target (`next`).
    pub const ALL: [Sort; 4] = [Sort::Date, Sort::Waiting, Sort::Sender, Sort::Subject];

    /// Every order by name (`:sort KEY`, `list --sort KEY`): [`Sort::ALL`] and `due`.
    pub const KEYS: [Sort; 5] = [
        Sort::Date,
        Sort::Waiting,
        Sort::Sender,
        Sort::Subject,
        Sort::Due,
    ];

    /// The `s` cycle of a column with a first-response target: `due` after `date`.
    const CYCLE_DUE: [Sort; 5] = [
        Sort::Date,
        Sort::Due,
        Sort::Waiting,
        Sort::Sender,
        Sort::Subject,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Sort::Date => "date",
            Sort::Waiting => "waiting",
            Sort::Sender => "sender",
            Sort::Subject => "subject",
            Sort::Due => "due",
        }
    }

    pub fn parse(s: &str) -> Option<Sort> {
        let s = s.trim().to_ascii_lowercase();
        Sort::KEYS.into_iter().find(|o| o.name() == s)
    }

    /// The next order in the cycle (the `s` key), after `subject` back to `date`.
    pub fn next(self) -> Sort {
        let i = Sort::ALL.iter().position(|o| *o == self).unwrap_or(0);
        Sort::ALL[(i + 1) % Sort::ALL.len()]
    }

    /// The next order for a column with a first-response target: `date`, `due`, `waiting`,
    /// `sender`, `subject`.
    pub fn next_with_due(self) -> Sort {
        let i = Sort::CYCLE_DUE.iter().position(|o| *o == self).unwrap_or(0);
        Sort::CYCLE_DUE[(i + 1) % Sort::CYCLE_DUE.len()]
    }

    /// "date, waiting, sender, subject or due", for messages.
    pub fn names() -> &'static str {
        "date, waiting, sender, subject or due"
    }

    /// What `s` sorts by in this order.
    pub fn key(self, s: &Summary) -> SortKey {
        let (date, uid) = (s.internal_date, s.uid);
        match self {
            Sort::Date => SortKey::Newest(Reverse(date), Reverse(uid)),
            Sort::Waiting => SortKey::Oldest(date, uid),
            Sort::Sender => {
                SortKey::Text(sender_label(s).to_lowercase(), Reverse(date), Reverse(uid))
            }
            Sort::Subject => SortKey::Text(
                base_subject(s.subject()).to_lowercase(),
                Reverse(date),
                Reverse(uid),
            ),
            Sort::Due => match sla::row_response(s) {
                Response::Awaiting => SortKey::Due(false, date, i64::from(uid)),
                _ => SortKey::Due(true, -date, -i64::from(uid)),
            },
        }
    }

    pub fn compare(self, a: &Summary, b: &Summary) -> Ordering {
        self.key(a).cmp(&self.key(b))
    }

    /// Sorts `rows` in this order, each row's key computed once.
    pub fn sort(self, rows: &mut [Summary]) {
        match self {
            // No text to compute: compare in place.
            Sort::Date => rows.sort_unstable_by_key(|s| (Reverse(s.internal_date), Reverse(s.uid))),
            Sort::Waiting => rows.sort_unstable_by_key(|s| (s.internal_date, s.uid)),
            Sort::Sender | Sort::Subject | Sort::Due => rows.sort_by_cached_key(|s| self.key(s)),
        }
    }
}

/// A subject without its reply and forward prefixes ("Re: Fwd: AW: Invoice" → "Invoice"),
/// so a thread's messages sort together.
pub fn base_subject(subject: &str) -> &str {
    let mut s = subject.trim_start();
    loop {
        let lower = s.get(..4).map(str::to_ascii_lowercase);
        let cut = match lower.as_deref() {
            Some("re: " | "aw: " | "fw: ") => 3,
            Some("fwd:") => 4,
            _ => match s.get(..3).map(str::to_ascii_lowercase).as_deref() {
                Some("re:" | "aw:" | "fw:") => 3,
                _ => return s,
            },
        };
        s = s[cut..].trim_start();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{Address, Fields};

    fn row(uid: u32, date: i64, from: &str, subject: &str) -> Summary {
        Summary::new(Fields {
            uid,
            internal_date: date,
            from: vec![Address {
                name: Some(from.to_string()),
                email: format!("{}@example.test", from.to_lowercase()),
            }],
            subject: subject.to_string(),
            ..Fields::default()
        })
    }

    fn uids(sort: Sort, rows: &[Summary]) -> Vec<u32> {
        let mut rows = rows.to_vec();
        sort.sort(&mut rows);
        rows.iter().map(|s| s.uid).collect()
    }

    fn rows() -> Vec<Summary> {
        vec![
            row(1, 100, "carol", "Invoice"),
            row(2, 300, "Alice", "Re: Zebra"),
            row(3, 200, "bob", "apples"),
            row(4, 300, "alice", "Fwd: RE: banana"),
            row(5, 50, "Bob", "re:Apples"),
        ]
    }

    #[test]
    fn date_is_newest_arrival_first_then_highest_uid() {
        assert_eq!(uids(Sort::Date, &rows()), [4, 2, 3, 1, 5]);
        assert_eq!(Sort::default(), Sort::Date);
    }

    #[test]
    fn waiting_is_oldest_arrival_first() {
        assert_eq!(uids(Sort::Waiting, &rows()), [5, 1, 3, 2, 4]);
    }

    #[test]
    fn sender_and_subject_ignore_case_and_prefixes_and_tie_newest_first() {
        assert_eq!(uids(Sort::Sender, &rows()), [4, 2, 3, 5, 1]);
        assert_eq!(uids(Sort::Subject, &rows()), [3, 5, 4, 1, 2]);
    }

    #[test]
    fn due_puts_rows_awaiting_a_response_first_oldest_first() {
        let mut rows = rows();
        // 1 answered, 3 done: after the waiting ones, newest first.
        let mut answered = rows[0].fields();
        answered.flags.answered = true;
        rows[0] = Summary::new(answered);
        let mut done = rows[2].fields();
        done.keywords = vec!["$done".into()];
        rows[2] = Summary::new(done);
        assert_eq!(uids(Sort::Due, &rows), [5, 2, 4, 3, 1]);
        let mut by_compare = rows.clone();
        by_compare.sort_by(|a, b| Sort::Due.compare(a, b));
        let by_compare: Vec<u32> = by_compare.iter().map(|s| s.uid).collect();
        assert_eq!(by_compare, [5, 2, 4, 3, 1]);
        assert!(!Sort::ALL.contains(&Sort::Due) && Sort::KEYS.contains(&Sort::Due));
        assert_eq!(Sort::parse("due"), Some(Sort::Due));
        // `s` reaches due only in a column with a target, right after date.
        assert_eq!(Sort::Date.next_with_due(), Sort::Due);
        assert_eq!(Sort::Due.next_with_due(), Sort::Waiting);
        assert_eq!(Sort::Subject.next_with_due(), Sort::Date);
        assert_eq!(Sort::Due.next(), Sort::Waiting);
    }

    #[test]
    fn compare_agrees_with_sort() {
        for sort in Sort::ALL {
            let mut by_compare = rows();
            by_compare.sort_by(|a, b| sort.compare(a, b));
            let by_compare: Vec<u32> = by_compare.iter().map(|s| s.uid).collect();
            assert_eq!(by_compare, uids(sort, &rows()), "{}", sort.name());
        }
    }

    #[test]
    fn names_parse_and_cycle() {
        for sort in Sort::ALL {
            assert_eq!(Sort::parse(sort.name()), Some(sort));
        }
        assert_eq!(Sort::parse("size"), None);
        assert_eq!(Sort::Subject.next(), Sort::Date);
        assert_eq!(Sort::Date.next(), Sort::Waiting);
    }

    #[test]
    fn base_subject_strips_reply_and_forward_prefixes_only() {
        assert_eq!(base_subject("Re: Fwd: AW: Invoice"), "Invoice");
        assert_eq!(base_subject("re:Invoice"), "Invoice");
        assert_eq!(base_subject("Reply needed"), "Reply needed");
        assert_eq!(base_subject("Ré: x"), "Ré: x");
        assert_eq!(base_subject(""), "");
    }
}
