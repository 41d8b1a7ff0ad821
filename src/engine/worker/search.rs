//! `:search` on the server: the query (`triage::query`) as `UID SEARCH` criteria, with the
//! worker's agent for `assigned:me`, the clock and the agent's zone for dates, and WITHIN when
//! the server has it (dates exact to the second).

use super::{Worker, WorkerCommand, WorkerEvent};
use crate::imap::connect::{DEFAULT_READ_BUDGET, ImapConn, describe};
use crate::triage::query::{self, Context, Criteria, QueryError};

/// The criteria of `query` for a server (`within`: it has RFC 5032 WITHIN), or why not.
pub fn criteria(
    query: &str,
    me: Option<&str>,
    now: i64,
    offset: i32,
    within: bool,
) -> Result<Criteria, QueryError> {
    let ctx = Context {
        me,
        now,
        offset,
        // The front end refuses team terms where team state lives in folders.
        team_folders: false,
        within,
    };
    query::parse(query.trim())?.imap_criteria(&ctx)
}

/// Unix seconds now.
fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

impl Worker {
    /// Runs a server-side search; answered with `WorkerEvent::SearchDone`.
    pub(super) fn search(
        &mut self,
        conn: &mut ImapConn,
        id: u64,
        query: String,
        offset: i32,
    ) -> Result<(), String> {
        let me = self.agent.as_ref().map(|a| a.id.as_str());
        let criteria = match criteria(&query, me, now(), offset, conn.has("WITHIN")) {
            Ok(c) => c,
            Err(e) => {
                (self.emit)(WorkerEvent::SearchDone {
                    id,
                    result: Err(e.to_string()),
                });
                return Ok(());
            }
        };
        conn.budget.grant(DEFAULT_READ_BUDGET);
        let found = conn.session.uid_search(&criteria.0);
        // Unsolicited FETCH/EXPUNGE data is picked up by the next sync.
        let _ = conn.session.take_all_unsolicited().count();
        match found {
            Ok(set) => {
                let mut uids: Vec<u32> = set.into_iter().collect();
                uids.sort_unstable();
                (self.emit)(WorkerEvent::SearchDone {
                    id,
                    result: Ok(uids),
                });
                Ok(())
            }
            Err(e @ (imap::Error::Io(_) | imap::Error::ConnectionLost | imap::Error::Bye(_))) => {
                self.pending
                    .push_front(WorkerCommand::Search { id, query, offset });
                Err(describe(&e))
            }
            Err(e) => {
                (self.emit)(WorkerEvent::SearchDone {
                    id,
                    result: Err(format!("search: {}", describe(&e))),
                });
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::triage::query::MAX_QUERY_BYTES;

    fn c(q: &str) -> Result<String, QueryError> {
        criteria(q, Some("alice"), 0, 0, false).map(|c| c.0)
    }

    /// Every word or phrase is one quoted string; quotes in a phrase are not searched for.
    #[test]
    fn search_text_is_one_quoted_string() {
        assert_eq!(c(" invoice "), Ok("TEXT \"invoice\"".into()));
        assert_eq!(
            c(r#""say \"hi\" \\ bye""#),
            Ok(r#"TEXT "say \"hi\" \\ bye""#.into())
        );
        assert_eq!(c("café"), Ok("CHARSET UTF-8 TEXT \"café\"".into()));
        // Injection attempts never reach the wire.
        for bad in ["a\r\nA1 LOGOUT", "a\nb", "a\0b", "\u{1b}[2J", "a\u{85}b"] {
            assert!(matches!(c(bad), Err(QueryError::Control { .. })), "{bad:?}");
        }
        assert_eq!(c("  "), Err(QueryError::Empty));
        assert_eq!(
            c(&"x".repeat(MAX_QUERY_BYTES + 1)),
            Err(QueryError::TooLong)
        );
    }
}
