//! Mailbox synchronisation: cached rows first, then the smallest delta the server allows.
//!
//! - On start the cached rows (keyed by UIDVALIDITY) are shown before any round trip.
//! - CONDSTORE: only messages changed since the cached HIGHESTMODSEQ are fetched;
//!   QRESYNC adds VANISHED, so expunges need no UID list. Without them: a UID/FLAGS diff.
//! - New messages are found with `UID SEARCH` and fetched newest first, in batches that stream
//!   to the caller: a screenful of the newest ([`FirstBatch`], sized by the front end to the
//!   rows it shows; [`FIRST_BATCH`] by default) before anything else, then
//!   [`FETCH_BATCH`] at a time down to the oldest, so the newest mail shows long before a
//!   100,000-message mailbox is read. A fetch cut off halfway is resumed where it left off,
//!   and the mirror is not saved to the cache until it is whole again.
//! - A UIDVALIDITY change discards everything; a count mismatch falls back to a full UID diff.
//! - A change announced while the connection still has the mailbox selected (with QRESYNC) is
//!   read without opening the mailbox again ([`MailboxState::still_selected`]): NOOP, then the
//!   rows changed since the last MODSEQ and the UIDs above the highest. SELECT of a
//!   100,000-message Maildir costs Dovecot 0.2–0.6 s; this costs a few milliseconds and names
//!   only the rows that changed.

use std::collections::HashSet;

use imap::types::UnsolicitedResponse;

use super::connect::{DEFAULT_READ_BUDGET, ImapConn, describe};
use super::{ErrorKind, ImapError, fetch_parse, quote_mailbox, summary};
use crate::backend::MailboxStatus;
use crate::mail::utf7;
use crate::message::{Flags, Keywords, Summary};
use crate::net::Server;
use crate::store::cache::{CacheKey, CachedMailbox, HeaderCache};

/// Messages per FETCH round trip when reading new mail.
pub const FETCH_BATCH: usize = 2000;

/// The first batch of new mail when the front end names no size: the newest messages, about a
/// screenful, so the first screen of a mailbox read from scratch is its newest mail, fetched in
/// one short round trip.
pub const FIRST_BATCH: usize = 200;

/// How many of the newest messages a sync fetches first, before the rest streams in
/// [`FETCH_BATCH`] at a time: the rows the front end shows, so that round trip carries exactly
/// the first screen. Always within [`FirstBatch::MIN`]..=[`FirstBatch::MAX`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FirstBatch(usize);

impl FirstBatch {
    /// Fewest: a tiny terminal still gets a page to scroll through from the first round trip.
    pub const MIN: usize = 20;
    /// Most: a batch like any other (a huge hint must not make the first screen wait).
    pub const MAX: usize = FETCH_BATCH;

    /// A first batch of `rows` messages (what a column shows), clamped to the sane range.
    pub fn rows(rows: usize) -> FirstBatch {
        FirstBatch(rows.clamp(Self::MIN, Self::MAX))
    }

    pub fn get(self) -> usize {
        self.0
    }
}

impl Default for FirstBatch {
    /// [`FIRST_BATCH`]: for callers that show no screen (`list`, tests).
    fn default() -> FirstBatch {
        FirstBatch(FIRST_BATCH)
    }
}

/// What a sync tells its caller, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum SyncEvent {
    /// Rows from the local cache, before any network traffic.
    Cached(Vec<Summary>),
    /// Everything shown so far is void (UIDVALIDITY changed, or the cache was corrupt).
    Reset { reason: String },
    /// New rows, ascending UID within the batch; the batches of one sync come newest first.
    Added(Vec<Summary>),
    /// How far a sync that fetches more than its [`FirstBatch`] of new messages has got: `held`
    /// rows of the mailbox's `exists` are known. Sent before the first batch and after each.
    Progress { held: u32, exists: u32 },
    /// Flags or keywords of known rows changed.
    Changed(Vec<FlagUpdate>),
    /// These UIDs were expunged.
    Vanished(Vec<u32>),
    /// The mailbox is in sync.
    Synced(MailboxStatus),
    /// Something the user should know that did not stop the sync.
    Warning(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagUpdate {
    pub uid: u32,
    pub flags: Flags,
    pub keywords: Vec<String>,
    pub modseq: Option<u64>,
}

/// The local mirror of one mailbox; exactly what the header cache stores.
pub struct MailboxState {
    pub key: CacheKey,
    pub mailbox: String,
    data: CachedMailbox,
    /// Whether `data` describes a real server state (from the cache or a sync).
    known: bool,
    dirty: bool,
    /// Whether rows are copied into `Cached`/`Added` events (a UI needs them, the CLI not).
    announce_rows: bool,
    /// The header cache could not be read or written, and that was said once: it is skipped
    /// from then on (the mirror comes from the server).
    cache_unusable: bool,
    /// A fetch of new mail was cut off: the mirror holds the newest of the UIDs from here up
    /// but may lack older ones. The next sync searches from here again (fetching only what is
    /// missing), and nothing is saved to the cache until it has finished.
    resume_from: Option<u32>,
    /// For the next sync only: the status the previous one ended with, on a connection that
    /// has had the mailbox selected ever since (see [`still_selected`](Self::still_selected)).
    selected: Option<MailboxStatus>,
    /// The size of the first (newest) batch of new mail.
    first_batch: FirstBatch,
}

impl MailboxState {
    pub fn new(key: CacheKey, mailbox: &str) -> MailboxState {
        MailboxState {
            key,
            mailbox: mailbox.to_string(),
            data: CachedMailbox {
                uid_validity: 0,
                uid_next: 0,
                highest_modseq: None,
                rows: Vec::new(),
            },
            known: false,
            dirty: false,
            announce_rows: true,
            cache_unusable: false,
            resume_from: None,
            selected: None,
            first_batch: FirstBatch::default(),
        }
    }

    /// Lets the next sync (only it) take the mailbox as still selected on its connection, as
    /// `last` (the status the previous sync on that connection returned) left it: the caller
    /// vouches that nothing selected another mailbox there since. With QRESYNC the sync then
    /// asks what changed (NOOP, `CHANGEDSINCE`, the UIDs above the highest) without SELECT;
    /// otherwise it selects as always.
    pub fn still_selected(&mut self, last: MailboxStatus) {
        self.selected = Some(last);
    }

    /// The cache key for an IMAP account's mailbox.
    pub fn key_for(account: &str, server: &Server, login: &str, mailbox: &str) -> CacheKey {
        CacheKey {
            account: account.to_string(),
            server: server.to_string(),
            login: login.to_string(),
            mailbox: mailbox.to_string(),
        }
    }

    /// Stops copying rows into events: for callers that read [`rows`](Self::rows) at the end.
    pub fn quiet_rows(mut self) -> Self {
        self.announce_rows = false;
        self
    }

    /// Fetches `first` of the newest new messages first (the default is [`FIRST_BATCH`]).
    pub fn first_batch(mut self, first: FirstBatch) -> Self {
        self.first_batch = first;
        self
    }

    pub fn rows(&self) -> &[Summary] {
        &self.data.rows
    }

    pub fn uid_validity(&self) -> u32 {
        self.data.uid_validity
    }

    /// Loads the cache (once) and reports its rows; a damaged cache is discarded with a
    /// warning, an unreadable one only warned about.
    pub fn load_cache(&mut self, cache: &HeaderCache, sink: &mut dyn FnMut(SyncEvent)) {
        if let Some(warning) = self.load_cache_quietly(cache) {
            sink(SyncEvent::Warning(warning));
        }
        if self.known && self.announce_rows {
            // The caller (a UI) keeps its own copy; the CLI uses the quiet variant.
            sink(SyncEvent::Cached(self.data.rows.clone()));
        }
    }

    /// Loads the cache (once) without copying rows into an event; returns a warning, if any.
    /// A cache that cannot be read (its path a directory, a file where its directory should
    /// be, a symlink loop, …) is skipped from then on: the warning is the only one it causes.
    pub fn load_cache_quietly(&mut self, cache: &HeaderCache) -> Option<String> {
        if self.known || self.cache_unusable {
            return None;
        }
        match cache.load(&self.key) {
            Ok(Some(data)) => {
                // A successful load is strictly ascending by UID (the format checks it).
                self.data = data;
                self.known = true;
                None
            }
            Ok(None) => None,
            Err(e @ crate::store::CacheError::Corrupt { .. }) => match cache.discard(&self.key) {
                Ok(()) => Some(format!("discarded a damaged header cache: {e}")),
                Err(gone) => Some(self.skip_cache(&format!("{e}; {gone}"))),
            },
            Err(e) => Some(self.skip_cache(&e.to_string())),
        }
    }

    fn skip_cache(&mut self, why: &str) -> String {
        self.cache_unusable = true;
        format!("header cache skipped (the mailbox is read from the server): {why}")
    }

    /// [`save_cache`](Self::save_cache) for a session that goes on without the cache when it
    /// cannot be written: the first failure returns a warning, and the cache is skipped from
    /// then on (no warning at every sync, no rewriting a big file that cannot land).
    pub fn save_cache_or_skip(&mut self, cache: &HeaderCache) -> Option<String> {
        if self.cache_unusable {
            return None;
        }
        match self.save_cache(cache) {
            Ok(()) => None,
            Err(e) => Some(self.skip_cache(&e.to_string())),
        }
    }

    /// The rows, consuming the mirror (no copy).
    pub fn into_rows(self) -> Vec<Summary> {
        self.data.rows
    }

    /// Whether the mirror is whole: no fetch of new mail was cut off since the last sync.
    pub fn complete(&self) -> bool {
        self.resume_from.is_none()
    }

    /// Whether the mirror holds changes that [`save_cache`](Self::save_cache) would write now
    /// (it changed, it is whole, and the cache is not skipped).
    pub fn unsaved(&self) -> bool {
        self.dirty && self.known && self.complete() && !self.cache_unusable
    }

    /// Writes the mirror to the cache when it changed, and only when it is whole (a cache
    /// claims every UID below its highest: one with holes would never be filled).
    pub fn save_cache(&mut self, cache: &HeaderCache) -> Result<(), crate::store::CacheError> {
        if self.dirty && self.known && self.complete() {
            cache.save(&self.key, &self.data)?;
            self.dirty = false;
        }
        Ok(())
    }

    fn index_of(&self, uid: u32) -> Option<usize> {
        self.data.rows.binary_search_by_key(&uid, |r| r.uid).ok()
    }

    fn max_uid(&self) -> u32 {
        self.data.rows.last().map(|r| r.uid).unwrap_or(0)
    }

    fn reset(&mut self, reason: String, sink: &mut dyn FnMut(SyncEvent)) {
        let had_rows = !self.data.rows.is_empty();
        self.data.rows.clear();
        self.data.highest_modseq = None;
        self.data.uid_next = 0;
        self.resume_from = None;
        self.dirty = true;
        if had_rows || self.known {
            sink(SyncEvent::Reset { reason });
        }
    }

    fn remove(&mut self, uids: &[u32], sink: &mut dyn FnMut(SyncEvent)) {
        if uids.is_empty() {
            return;
        }
        let gone: HashSet<u32> = uids.iter().copied().collect();
        let before = self.data.rows.len();
        self.data.rows.retain(|r| !gone.contains(&r.uid));
        if self.data.rows.len() != before {
            self.dirty = true;
            let mut list: Vec<u32> = gone.into_iter().collect();
            list.sort_unstable();
            sink(SyncEvent::Vanished(list));
        }
    }

    /// Takes in one batch of a fetch of new mail (ascending inside; the batches come newest
    /// first, as [`newest_first`] plans them): kept newest first behind the rows held before,
    /// so each batch goes straight where it belongs, with no second list of the whole fetch.
    fn take_batch(&mut self, rows: Vec<Summary>) {
        if !rows.is_empty() {
            self.data.rows.extend(rows.into_iter().rev());
            self.dirty = true;
        }
    }

    /// Ends a fetch that began with `held` rows: its rows, newest first, are turned round in
    /// place, so the mirror is ascending without a copy or a sort. Anything else (a resumed
    /// fetch filling holes below what it has) is sorted once.
    fn finish_fetch(&mut self, held: usize) {
        if let Some(fetched) = self.data.rows.get_mut(held..) {
            fetched.reverse();
        }
        if !self.data.rows.windows(2).all(|w| w[0].uid < w[1].uid) {
            self.data.rows.sort_unstable_by_key(|r| r.uid);
            self.data.rows.dedup_by_key(|r| r.uid);
        }
    }

    fn apply_flags(&mut self, updates: Vec<FlagUpdate>, sink: &mut dyn FnMut(SyncEvent)) {
        let mut changed = Vec::new();
        for u in updates {
            if let Some(i) = self.index_of(u.uid) {
                let row = &mut self.data.rows[i];
                // A snoozed row whose MODSEQ moved while its keywords came back the same was
                // snoozed again (`$snoozed` removed and stored again; its wake time is in a new
                // snooze record): reported as a change, so the engine reads the records again.
                let snoozed_again = u.modseq.is_some_and(|m| row.modseq.is_some_and(|r| m > r))
                    && u.keywords
                        .iter()
                        .any(|k| crate::mail::snooze::is_snooze_keyword(k));
                if row.flags != u.flags || *row.keywords != u.keywords[..] || snoozed_again {
                    row.flags = u.flags;
                    row.keywords = Keywords::new(&u.keywords);
                    row.modseq = u.modseq.or(row.modseq);
                    changed.push(u);
                } else if u.modseq.is_some() {
                    row.modseq = u.modseq;
                }
            }
        }
        if !changed.is_empty() {
            self.dirty = true;
            sink(SyncEvent::Changed(changed));
        }
    }
}

/// The state of a connection's optional extensions, decided once per connection.
fn enable_extensions(conn: &mut ImapConn) -> (bool, bool) {
    if conn.qresync_enabled {
        return (true, true);
    }
    if conn.has("QRESYNC")
        && conn
            .session
            .run_command_and_check_ok("ENABLE QRESYNC")
            .is_ok()
    {
        conn.qresync_enabled = true;
        conn.condstore_enabled = true;
        return (true, true);
    }
    if conn.has("CONDSTORE") && !conn.condstore_enabled {
        // ENABLE CONDSTORE makes SELECT report HIGHESTMODSEQ; a server without ENABLE
        // still accepts CHANGEDSINCE, which enables it implicitly.
        if !conn.has("ENABLE")
            || conn
                .session
                .run_command_and_check_ok("ENABLE CONDSTORE")
                .is_ok()
        {
            conn.condstore_enabled = true;
        }
    }
    (conn.condstore_enabled, false)
}

/// Compresses sorted UIDs into an IMAP sequence set (`1:5,9,12:14`).
pub fn uid_set(uids: &[u32]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < uids.len() {
        let start = uids[i];
        let mut end = start;
        while i + 1 < uids.len() && uids[i + 1] == end.wrapping_add(1) {
            i += 1;
            end = uids[i];
        }
        if !out.is_empty() {
            out.push(',');
        }
        if start == end {
            out.push_str(&start.to_string());
        } else {
            out.push_str(&format!("{start}:{end}"));
        }
        i += 1;
    }
    out
}

fn vanished_from(unsolicited: impl Iterator<Item = UnsolicitedResponse>) -> Vec<u32> {
    let mut out = Vec::new();
    for u in unsolicited {
        if let UnsolicitedResponse::Vanished { uids, .. } = u {
            for range in uids {
                // A hostile range cannot make us allocate billions of UIDs.
                let (a, b) = (*range.start(), *range.end());
                if b.saturating_sub(a) > 10_000_000 {
                    continue;
                }
                out.extend(a..=b);
            }
        }
    }
    out
}

/// Brings `state` up to date with the server, streaming what changed to `sink`.
pub fn sync(
    conn: &mut ImapConn,
    account: &str,
    server: &Server,
    state: &mut MailboxState,
    sink: &mut dyn FnMut(SyncEvent),
) -> Result<MailboxStatus, ImapError> {
    sync_with(conn, account, server, state, &mut || None, sink)
}

/// [`sync`], allowed to open a second connection through `more` for a large fetch.
pub fn sync_with(
    conn: &mut ImapConn,
    account: &str,
    server: &Server,
    state: &mut MailboxState,
    more: MoreConnections<'_>,
    sink: &mut dyn FnMut(SyncEvent),
) -> Result<MailboxStatus, ImapError> {
    sync_serving(conn, account, server, state, more, &mut |_, _| Ok(()), sink)
}

/// Work done on the sync's connection between two batches of new mail (a message to read, a
/// claim), so a column stays usable while a big mailbox streams in: called with the
/// connection (the mailbox selected, no command running) and the mailbox's UIDVALIDITY. An
/// `Err` (the connection is gone) ends the sync with that reason.
pub type Between<'a> = &'a mut dyn FnMut(&mut ImapConn, u32) -> Result<(), String>;

/// [`sync_with`], running `between` after each batch of new mail but the last.
pub fn sync_serving(
    conn: &mut ImapConn,
    account: &str,
    server: &Server,
    state: &mut MailboxState,
    more: MoreConnections<'_>,
    between: Between<'_>,
    sink: &mut dyn FnMut(SyncEvent),
) -> Result<MailboxStatus, ImapError> {
    let err = |message: String| ImapError {
        account: account.to_string(),
        server: server.clone(),
        kind: Box::new(ErrorKind::Protocol(crate::sanitize::single_line(&message))),
    };
    let mailbox = state.mailbox.clone();
    if quote_mailbox(&mailbox).is_none() {
        return Err(err(format!(
            "mailbox name {mailbox:?} contains a line break"
        )));
    }
    let (condstore, qresync) = enable_extensions(conn);
    // Still selected since the last sync: only what changed is asked for, below.
    let last = state.selected.take().filter(|last| {
        qresync
            && state.known
            && state.complete()
            && state.data.highest_modseq.is_some()
            && last.name == mailbox
            && last.uid_validity == state.data.uid_validity
    });
    let mut noticed = Vec::new();
    let (mut status, fast) = match last.map(|last| still_open(conn, last)) {
        Some(Ok(Some((status, vanished)))) => {
            noticed = vanished;
            (status, true)
        }
        Some(Err(e)) => return Err(err(format!("NOOP: {}", describe(&e)))),
        // Not (or no longer) the mailbox the mirror describes: open it.
        Some(Ok(None)) | None => (select(conn, &mailbox).map_err(err)?, false),
    };

    if state.known && state.data.uid_validity != status.uid_validity {
        state.reset(
            format!(
                "UIDVALIDITY of {mailbox:?} changed from {} to {}: cached rows discarded",
                state.data.uid_validity, status.uid_validity
            ),
            sink,
        );
    }
    state.data.uid_validity = status.uid_validity;
    state.known = true;

    // 1. Changes to what we already have.
    state.remove(&noticed, sink);
    let max_known = state.max_uid();
    let mut uids_verified = false;
    if max_known > 0 {
        match (condstore, state.data.highest_modseq, status.highest_modseq) {
            (true, Some(ours), theirs) if fast || theirs.is_some() => {
                if theirs != Some(ours) {
                    let modifier = if qresync {
                        format!("(CHANGEDSINCE {ours} VANISHED)")
                    } else {
                        format!("(CHANGEDSINCE {ours})")
                    };
                    conn.budget.grant(DEFAULT_READ_BUDGET);
                    let fetched = conn
                        .session
                        .uid_fetch(
                            format!("1:{max_known}"),
                            format!("(UID FLAGS MODSEQ) {modifier}"),
                        )
                        .map_err(|e| err(format!("UID FETCH CHANGEDSINCE: {}", describe(&e))))?;
                    let updates: Vec<FlagUpdate> = fetched.iter().filter_map(flag_update).collect();
                    let vanished = vanished_from(conn.session.take_all_unsolicited());
                    drop(fetched);
                    if fast {
                        // Every change up to the highest MODSEQ seen here was in this answer.
                        let seen = updates.iter().filter_map(|u| u.modseq).max();
                        status.highest_modseq = seen.max(Some(ours));
                    }
                    state.remove(&vanished, sink);
                    state.apply_flags(updates, sink);
                }
            }
            _ => {
                // No CONDSTORE (or no modseq yet): a full UID/FLAGS diff.
                conn.budget.grant(DEFAULT_READ_BUDGET);
                let fetched = conn
                    .session
                    .uid_fetch(format!("1:{max_known}"), "(UID FLAGS)")
                    .map_err(|e| err(format!("UID FETCH FLAGS: {}", describe(&e))))?;
                let _ = conn.session.take_all_unsolicited().count();
                let updates: Vec<FlagUpdate> = fetched.iter().filter_map(flag_update).collect();
                drop(fetched);
                let present: HashSet<u32> = updates.iter().map(|u| u.uid).collect();
                let gone: Vec<u32> = state
                    .data
                    .rows
                    .iter()
                    .map(|r| r.uid)
                    .filter(|u| !present.contains(u))
                    .collect();
                state.remove(&gone, sink);
                state.apply_flags(updates, sink);
                uids_verified = true;
            }
        }
    }

    // 2. New messages: the UIDs above what we hold (or above where a fetch that was cut off
    //    began: then only the ones still missing), newest first.
    let start = state
        .resume_from
        .unwrap_or_else(|| state.max_uid().saturating_add(1))
        .max(1);
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    if fast
        || (status.exists > 0
            && (status.uid_next == 0 || status.uid_next > start || !uids_verified))
    {
        let mut uids = search_new(conn, start).map_err(|e| err(e.to_string()))?;
        if state.resume_from.is_some() {
            uids.retain(|u| state.index_of(*u).is_none());
        }
        if fast {
            // No SELECT said how many there are: the mirror and what is coming.
            status.exists = count(state.data.rows.len() + uids.len());
        }
        if !uids.is_empty() {
            state.resume_from = Some(start);
            // Exact room for what is coming: no doubling slack, no copy of 100,000 rows.
            state.data.rows.reserve_exact(uids.len());
            let announce = state.announce_rows;
            let held = state.data.rows.len();
            let first = state.first_batch;
            let progress = uids.len() > first.get();
            let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
            if progress {
                sink(SyncEvent::Progress {
                    held: count(held),
                    exists: status.exists,
                });
            }
            let mut fetched = 0;
            let result = fetch_uids(
                conn,
                more,
                &mailbox,
                &newest_first(&uids, first),
                condstore,
                &mut |c| between(c, status.uid_validity),
                &mut |rows| {
                    fetched += rows.len();
                    if announce {
                        sink(SyncEvent::Added(rows.clone()));
                    }
                    state.take_batch(rows);
                    if progress {
                        sink(SyncEvent::Progress {
                            held: count(held + fetched),
                            exists: status.exists,
                        });
                    }
                },
            );
            // What arrived is kept (and was shown) even when the rest did not: the next sync
            // fetches only what is missing, and `resume_from` keeps the cache from claiming it.
            state.finish_fetch(held);
            result.map_err(|e| err(e.to_string()))?;
        }
    }
    // Every UID from `start` up is held now (or gone from the server): the mirror is whole.
    state.resume_from = None;

    // 3. Expunges the cheap paths could not see: the count says whether a full diff is due.
    //    (With the mailbox still selected under QRESYNC, VANISHED said every one.)
    if fast {
        status.exists = count(state.data.rows.len());
    } else if state.data.rows.len() as u64 != u64::from(status.exists) {
        conn.budget.grant(DEFAULT_READ_BUDGET);
        let all = conn
            .session
            .uid_search("ALL")
            .map_err(|e| err(format!("UID SEARCH ALL: {}", describe(&e))))?;
        let _ = conn.session.take_all_unsolicited().count();
        let gone: Vec<u32> = state
            .data
            .rows
            .iter()
            .map(|r| r.uid)
            .filter(|u| !all.contains(u))
            .collect();
        state.remove(&gone, sink);
    }

    state.data.uid_next = status.uid_next.max(state.max_uid().saturating_add(1));
    if fast {
        status.uid_next = state.data.uid_next;
    }
    if condstore
        && status.highest_modseq.is_some()
        && state.data.highest_modseq != status.highest_modseq
    {
        state.data.highest_modseq = status.highest_modseq;
        state.dirty = true;
    }
    sink(SyncEvent::Synced(status.clone()));
    Ok(status)
}

/// SELECTs `mailbox` (fresh: every count and flag from the server).
fn select(conn: &mut ImapConn, mailbox: &str) -> Result<MailboxStatus, String> {
    conn.budget.grant(DEFAULT_READ_BUDGET);
    let selected = conn
        .session
        .select(utf7::encode(mailbox))
        .map_err(|e| format!("cannot open mailbox {mailbox:?}: {}", describe(&e)))?;
    let _ = conn.session.take_all_unsolicited().count();
    Ok(MailboxStatus {
        name: mailbox.to_string(),
        uid_validity: selected.uid_validity.unwrap_or(0),
        uid_next: selected.uid_next.unwrap_or(0),
        exists: selected.exists,
        highest_modseq: selected.highest_mod_seq,
        read_only: selected.is_read_only,
        permanent_flags: selected
            .permanent_flags
            .iter()
            .map(|f| f.to_string())
            .collect(),
    })
}

/// NOOP on a mailbox still selected since `last`: the server brings its view up to date (the
/// changes themselves are read by the sync: untagged answers seen earlier may have been
/// dropped). The status is `last` without its HIGHESTMODSEQ, which the sync finds; with the
/// UIDs the server said VANISHED. `None` when the server says the UIDs changed meaning.
fn still_open(
    conn: &mut ImapConn,
    last: MailboxStatus,
) -> Result<Option<(MailboxStatus, Vec<u32>)>, imap::Error> {
    conn.budget.grant(DEFAULT_READ_BUDGET);
    conn.session.noop()?;
    let mut reset = false;
    let vanished = vanished_from(conn.session.take_all_unsolicited().inspect(|u| {
        if let UnsolicitedResponse::Ok {
            code: Some(imap_proto::ResponseCode::UidValidity(v)),
            ..
        } = u
        {
            reset |= *v != last.uid_validity;
        }
    }));
    Ok((!reset).then(|| {
        let status = MailboxStatus {
            highest_modseq: None,
            ..last
        };
        (status, vanished)
    }))
}

/// A second connection for a large first sync, opened only when it pays off.
pub type MoreConnections<'a> = &'a mut dyn FnMut() -> Option<ImapConn>;

/// Batches (after the first) at or above which a second connection is worth its login: with
/// two or more, each connection has whole batches to fetch while the other's are decoded.
const PARALLEL_FROM_BATCHES: usize = 2;

/// Why new rows could not be fetched (the account and server are added by the caller).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// The server refused or failed a command (`UID FETCH`, `UID SEARCH`).
    #[error("{command}: {reason}")]
    Command {
        command: &'static str,
        reason: String,
    },
    /// The second connection of a large fetch could not open the mailbox, or answered
    /// batches out of order.
    #[error("second connection: {reason}")]
    SecondConnection { reason: String },
    #[error("second connection ended early")]
    SecondConnectionEnded,
    /// What ran between two batches lost the connection.
    #[error("{0}")]
    Between(String),
}

/// One batch as the server sent it: the untagged responses of its `UID FETCH`, raw (a NO or
/// BAD, a lost connection or a line that is not IMAP is an error here).
fn fetch_raw(conn: &mut ImapConn, chunk: &[u32], items: &str) -> Result<Vec<u8>, FetchError> {
    conn.budget.grant(DEFAULT_READ_BUDGET);
    let command = format!("UID FETCH {} {items}", uid_set(chunk));
    // The imap crate's reader parses every line it reads and panics on a few malformed ones
    // (`INTERNALDATE NIL`): a hostile answer is an error of this command, the connection is
    // then given up by the caller.
    let (mut data, done) = crate::unwind::catch_quietly(|| conn.session.run(&command))
        .map_err(|panic| FetchError::Command {
            command: "UID FETCH",
            reason: format!("the answer could not be read ({panic})"),
        })?
        .map_err(|e| FetchError::Command {
            command: "UID FETCH",
            reason: describe(&e),
        })?;
    data.truncate(done);
    let _ = conn.session.take_all_unsolicited().count();
    Ok(data)
}

/// The rows of one batch, ascending, only those asked for, each once.
fn rows_of(fetched: Vec<u8>, chunk: &[u32]) -> Result<Vec<Summary>, FetchError> {
    let mut rows =
        fetch_parse::rows(&fetched, |uid| chunk.binary_search(&uid).is_ok()).map_err(|e| {
            FetchError::Command {
                command: "UID FETCH",
                reason: e.to_string(),
            }
        })?;
    drop(fetched);
    rows.sort_unstable_by_key(|r| r.uid);
    rows.dedup_by_key(|r| r.uid);
    Ok(rows)
}

/// The batches of `uids` (ascending) newest first: the `first` highest UIDs, then
/// [`FETCH_BATCH`] at a time down to the lowest. Each batch is ascending itself.
pub fn newest_first(uids: &[u32], first: FirstBatch) -> Vec<&[u32]> {
    let mut out = Vec::with_capacity(uids.len() / FETCH_BATCH + 2);
    let mut end = uids.len();
    let mut size = first.get();
    while end > 0 {
        let start = end.saturating_sub(size);
        out.push(&uids[start..end]);
        end = start;
        size = FETCH_BATCH;
    }
    out
}

/// Fetches the rows of `chunks` in that order, handing each batch over (ascending within
/// it) as it arrives. The first batch is fetched alone on `conn`, so nothing delays it. When
/// at least [`PARALLEL_FROM_BATCHES`] follow, a second connection from `more` (if it opens)
/// fetches every other one of them from another thread: the server prepares one batch while
/// this side decodes the other, which is where a single connection loses its time.
/// `between` runs on `conn` after each batch but the last (see [`Between`]).
fn fetch_uids(
    conn: &mut ImapConn,
    more: MoreConnections<'_>,
    mailbox: &str,
    chunks: &[&[u32]],
    condstore: bool,
    between: &mut dyn FnMut(&mut ImapConn) -> Result<(), String>,
    batch: &mut dyn FnMut(Vec<Summary>),
) -> Result<(), FetchError> {
    let items = summary::fetch_items(condstore);
    let Some((first, rest)) = chunks.split_first() else {
        return Ok(());
    };
    let rows = rows_of(fetch_raw(conn, first, &items)?, first)?;
    if !rows.is_empty() {
        batch(rows);
    }
    let mut between = |conn: &mut ImapConn, more_to_come: bool| {
        if more_to_come {
            between(conn).map_err(FetchError::Between)
        } else {
            Ok(())
        }
    };
    between(conn, !rest.is_empty())?;
    let extra = if rest.len() >= PARALLEL_FROM_BATCHES {
        more()
    } else {
        None
    };
    let Some(mut other) = extra else {
        for (i, chunk) in rest.iter().enumerate() {
            let rows = rows_of(fetch_raw(conn, chunk, &items)?, chunk)?;
            if !rows.is_empty() {
                batch(rows);
            }
            between(conn, i + 1 < rest.len())?;
        }
        return Ok(());
    };
    other
        .session
        .examine(utf7::encode(mailbox))
        .map_err(|e| FetchError::SecondConnection {
            reason: describe(&e),
        })?;
    std::thread::scope(|scope| {
        // Bounded: the helper stays at most one batch ahead.
        let (tx, rx) =
            std::sync::mpsc::sync_channel::<(usize, Result<Vec<Summary>, FetchError>)>(1);
        let odd: Vec<(usize, &[u32])> = rest
            .iter()
            .copied()
            .enumerate()
            .filter(|(i, _)| i % 2 == 1)
            .collect();
        let items_ref = &items;
        scope.spawn(move || {
            for (i, chunk) in odd {
                let result =
                    fetch_raw(&mut other, chunk, items_ref).and_then(|f| rows_of(f, chunk));
                let failed = result.is_err();
                if tx.send((i, result)).is_err() || failed {
                    break;
                }
            }
            let _ = other.session.logout();
        });
        for (i, chunk) in rest.iter().enumerate() {
            let rows = if i % 2 == 0 {
                rows_of(fetch_raw(conn, chunk, &items)?, chunk)?
            } else {
                match rx.recv() {
                    Ok((j, result)) if j == i => result?,
                    Ok(_) => {
                        return Err(FetchError::SecondConnection {
                            reason: "batches out of order".to_string(),
                        });
                    }
                    Err(_) => return Err(FetchError::SecondConnectionEnded),
                }
            };
            if !rows.is_empty() {
                batch(rows);
            }
            between(conn, i + 1 < rest.len())?;
        }
        Ok(())
    })
}

/// The UIDs ≥ `from_uid` on the selected mailbox, ascending.
fn search_new(conn: &mut ImapConn, from_uid: u32) -> Result<Vec<u32>, FetchError> {
    conn.budget.grant(DEFAULT_READ_BUDGET);
    let found = conn
        .session
        .uid_search(format!("UID {from_uid}:*"))
        .map_err(|e| FetchError::Command {
            command: "UID SEARCH",
            reason: describe(&e),
        })?;
    let _ = conn.session.take_all_unsolicited().count();
    // `n:*` always matches the highest UID even when it is below n.
    let mut uids: Vec<u32> = found.into_iter().filter(|u| *u >= from_uid).collect();
    uids.sort_unstable();
    Ok(uids)
}

/// Streams the rows of every message with UID ≥ `from_uid` on the selected mailbox, without
/// a cache (the uncached `Backend` path): oldest first, as `Backend::summaries` promises.
pub fn fetch_new(
    conn: &mut ImapConn,
    mailbox: &str,
    from_uid: u32,
    condstore: bool,
    more: MoreConnections<'_>,
    batch: &mut dyn FnMut(Vec<Summary>),
) -> Result<(), FetchError> {
    let uids = search_new(conn, from_uid)?;
    let chunks: Vec<&[u32]> = uids.chunks(FETCH_BATCH).collect();
    fetch_uids(
        conn,
        more,
        mailbox,
        &chunks,
        condstore,
        &mut |_| Ok(()),
        batch,
    )
}

fn flag_update(f: &imap::types::Fetch<'_>) -> Option<FlagUpdate> {
    let uid = f.uid?;
    let (flags, keywords) = summary::split_flags(f.flags());
    Some(FlagUpdate {
        uid,
        flags,
        keywords,
        modseq: f.mod_seq(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Fields;

    #[test]
    fn fetch_errors_read_as_before() {
        let command = FetchError::Command {
            command: "UID SEARCH",
            reason: "NO busy".into(),
        };
        assert_eq!(command.to_string(), "UID SEARCH: NO busy");
        let order = FetchError::SecondConnection {
            reason: "batches out of order".into(),
        };
        assert_eq!(order.to_string(), "second connection: batches out of order");
        assert_eq!(
            FetchError::SecondConnectionEnded.to_string(),
            "second connection ended early"
        );
    }

    #[test]
    fn a_batch_keeps_the_uids_asked_for_once_ascending_and_a_bad_response_names_the_command() {
        let reply = b"* 3 FETCH (UID 30 FLAGS (\\Seen))\r\n* 1 EXISTS\r\n* 1 FETCH (UID 10 FLAGS ())\r\n* 9 FETCH (UID 99 FLAGS ())\r\n* 1 FETCH (UID 10 FLAGS ())\r\n";
        let rows = rows_of(reply.to_vec(), &[10, 30]).map(|r| r.iter().map(|s| s.uid).collect());
        assert_eq!(rows, Ok(vec![10, 30]));
        match rows_of(b"* 1 FETCH (UID 10)\r\n* SEARCH 1\r\n".to_vec(), &[10]) {
            Err(FetchError::Command { command, reason }) => {
                assert_eq!(command, "UID FETCH");
                assert!(reason.contains("malformed response"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn new_mail_is_planned_newest_first() {
        let uids: Vec<u32> = (1..=4500).collect();
        let plan = newest_first(&uids, FirstBatch::default());
        let bounds: Vec<(u32, u32)> = plan.iter().map(|c| (c[0], c[c.len() - 1])).collect();
        assert_eq!(bounds, [(4301, 4500), (2301, 4300), (301, 2300), (1, 300)]);
        assert_eq!(
            newest_first(&uids[..5], FirstBatch::default()),
            [&uids[..5]]
        );
        assert!(newest_first(&[], FirstBatch::default()).is_empty());
    }

    #[test]
    fn the_first_batch_is_the_screen_the_front_end_names_within_bounds() {
        let uids: Vec<u32> = (1..=4500).collect();
        let bounds = |first: FirstBatch| -> Vec<(u32, u32)> {
            newest_first(&uids, first)
                .iter()
                .map(|c| (c[0], c[c.len() - 1]))
                .collect()
        };
        // 55 rows on screen: exactly those first, then whole batches down to the oldest.
        assert_eq!(
            bounds(FirstBatch::rows(55)),
            [(4446, 4500), (2446, 4445), (446, 2445), (1, 445)]
        );
        // A terminal too small for a page still gets one; a huge one no more than a batch.
        assert_eq!(FirstBatch::rows(0).get(), FirstBatch::MIN);
        assert_eq!(FirstBatch::rows(3).get(), FirstBatch::MIN);
        assert_eq!(FirstBatch::rows(1_000_000).get(), FETCH_BATCH);
        assert_eq!(bounds(FirstBatch::rows(1_000_000))[0], (2501, 4500));
        assert_eq!(FirstBatch::default().get(), FIRST_BATCH);
        // A mailbox smaller than the screen is one batch.
        assert_eq!(
            newest_first(&uids[..30], FirstBatch::rows(55)),
            [&uids[..30]]
        );
    }

    fn row(uid: u32) -> Summary {
        Summary::new(Fields {
            uid,
            ..Fields::default()
        })
    }

    fn state_with(uids: &[u32]) -> MailboxState {
        let key = MailboxState::key_for(
            "a",
            &Server {
                host: "h".into(),
                port: 143,
            },
            "l",
            "INBOX",
        );
        let mut state = MailboxState::new(key, "INBOX");
        state.data.rows = uids.iter().copied().map(row).collect();
        state.known = true;
        state
    }

    /// A fetch's batches, in the order they arrive, taken in as the sync does.
    fn merge(state: &mut MailboxState, batches: Vec<Vec<Summary>>) {
        let held = state.data.rows.len();
        for b in batches {
            state.take_batch(b);
        }
        state.finish_fetch(held);
    }

    #[test]
    fn batches_newest_first_merge_ascending_and_a_cut_off_fetch_is_never_saved() {
        let mut state = state_with(&[1, 2]);
        let batches = vec![
            vec![row(9), row(10)],
            vec![row(6), row(7), row(8)],
            vec![row(3)],
        ];
        merge(&mut state, batches);
        let uids: Vec<u32> = state.rows().iter().map(|r| r.uid).collect();
        assert_eq!(uids, [1, 2, 3, 6, 7, 8, 9, 10]);
        // A resumed fetch fills holes below what it already has.
        merge(&mut state, vec![vec![row(4), row(5), row(5)]]);
        let uids: Vec<u32> = state.rows().iter().map(|r| r.uid).collect();
        assert_eq!(uids, (1..=10).collect::<Vec<_>>());
        // While a fetch is unfinished nothing is written (the directory does not exist: a
        // write would fail).
        state.resume_from = Some(3);
        let cache = HeaderCache::new(std::path::PathBuf::from("/nonexistent/mailroom-cache"));
        assert!(!state.complete());
        assert!(state.save_cache(&cache).is_ok());
        assert!(state.dirty);
    }

    #[test]
    fn uid_sets_compress_runs() {
        assert_eq!(uid_set(&[1, 2, 3, 5, 7, 8]), "1:3,5,7:8");
        assert_eq!(uid_set(&[42]), "42");
        assert_eq!(uid_set(&[]), "");
        assert_eq!(
            uid_set(&[u32::MAX - 1, u32::MAX]),
            format!("{}:{}", u32::MAX - 1, u32::MAX)
        );
    }
}
