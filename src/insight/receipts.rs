//! Read receipts for `mailroom stats`: the MDNs of an account's mailbox, read and parsed with
//! [`crate::mail::mdn`], become the "opened" Message-IDs the statistics count.
//!
//! The collector already reads the header fields of every message of the mailbox in the
//! window, and marks reports (`multipart/report`) and `Auto-Submitted` messages as automatic
//! (never a customer's). Only those candidates are read in full here, each cut at
//! [`MAX_RECEIPT_BYTES`] (the notification part comes before the returned original), at most
//! the newest [`MAX_RECEIPTS`] of them; [`mdn::parse_mdn`] keeps the disposition
//! notifications. So a receipt is seen when it arrived in the window of the report (the
//! collector's mailbox search, a day wider on each side), like the customer messages.
//!
//! Reading never sets `\Seen` (`BODY.PEEK`), and nothing here answers anything.

use std::collections::HashSet;

use super::FolderReadError;
use crate::backend::{Backend, BackendError};
use crate::imap::connect::{DEFAULT_READ_BUDGET, ImapConn, describe};
use crate::mail::mdn::{self, Mdn};

/// Bytes of each candidate read.
pub const MAX_RECEIPT_BYTES: u64 = 128 * 1024;
/// Candidates read per account (the newest, by UID).
pub const MAX_RECEIPTS: usize = 5_000;
/// Candidates per `UID FETCH`.
const BATCH: usize = 100;

/// The newest [`MAX_RECEIPTS`] of `uids`, ascending, deduplicated.
fn bounded(uids: impl IntoIterator<Item = u32>) -> Vec<u32> {
    let mut uids: Vec<u32> = uids.into_iter().collect();
    uids.sort_unstable();
    uids.dedup();
    if uids.len() > MAX_RECEIPTS {
        uids.drain(..uids.len() - MAX_RECEIPTS);
    }
    uids
}

/// The receipts among `candidates` (UIDs of the **currently selected** mailbox of `conn`),
/// read with `BODY.PEEK[]<0.MAX_RECEIPT_BYTES>`. Errors are one line, as the collector's are.
pub fn read_imap(
    conn: &mut ImapConn,
    candidates: impl IntoIterator<Item = u32>,
) -> Result<Vec<Mdn>, FolderReadError> {
    let uids = bounded(candidates);
    let mut out = Vec::new();
    for chunk in uids.chunks(BATCH) {
        conn.budget.grant(
            (chunk.len() as u64).saturating_mul(MAX_RECEIPT_BYTES + 4096) + DEFAULT_READ_BUDGET,
        );
        let fetched = conn
            .session
            .uid_fetch(
                crate::imap::sync::uid_set(chunk),
                format!("(UID BODY.PEEK[]<0.{MAX_RECEIPT_BYTES}>)"),
            )
            .map_err(|e| FolderReadError::Command {
                command: "UID FETCH",
                reason: describe(&e),
            })?;
        out.extend(
            fetched
                .iter()
                .filter(|f| f.uid.is_some_and(|u| chunk.binary_search(&u).is_ok()))
                .filter_map(|f| f.body())
                .filter_map(mdn::parse_mdn),
        );
        drop(fetched);
        let _ = conn.session.take_all_unsolicited().count();
    }
    Ok(out)
}

/// The receipts among `candidates` (UIDs of `folder`) of a Maildir (or any) backend.
pub fn read_backend(
    backend: &mut dyn Backend,
    folder: &str,
    candidates: impl IntoIterator<Item = u32>,
) -> Result<Vec<Mdn>, BackendError> {
    let mut out = Vec::new();
    for uid in bounded(candidates) {
        let raw = match backend.fetch(folder, uid) {
            Ok(raw) => raw,
            // Removed meanwhile (another client): not an error for statistics.
            Err(BackendError::NoMessage { .. }) => continue,
            Err(e) => return Err(e),
        };
        let cut = raw
            .len()
            .min(usize::try_from(MAX_RECEIPT_BYTES).unwrap_or(usize::MAX));
        out.extend(mdn::parse_mdn(&raw[..cut]));
    }
    Ok(out)
}

/// The "opened" Message-IDs of `receipts` (see [`mdn::opened_ids`]).
pub fn opened(receipts: Vec<Mdn>) -> HashSet<String> {
    mdn::opened_ids(receipts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_are_bounded_to_the_newest() {
        assert_eq!(bounded([5, 1, 5, 3]), [1, 3, 5]);
        let many = bounded((0..(MAX_RECEIPTS as u32 + 10)).rev());
        assert_eq!(many.len(), MAX_RECEIPTS);
        assert_eq!(many[0], 10);
    }
}
