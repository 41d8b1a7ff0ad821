//! Rows coming, changing and going, merged into a column in time proportional to the change:
//! the rows are kept sorted (`rows::Rows`), the narrowed view (filter, search, team view) by
//! key, and the counts by adding and taking away each changed row's share. While threads
//! are on (`t`), only the threads a change touches are threaded again (`threaded`).

use std::collections::{HashMap, HashSet};

use super::rows::{Key, Rows, Sorted};
use super::threaded::{self, Threaded};
use super::{Column, Needle, Search, SearchState};
use crate::config::View;
use crate::imap::sync::FlagUpdate;
use crate::mail::snooze::WakeTimes;
use crate::mail::snooze::is_snooze_keyword;
use crate::message::{Keywords, Summary};
use crate::policy::team::Sla;
use crate::policy::team::sla;
use crate::triage::view::{Counts, RowState};

/// The rows shown while something narrows them and threads are off (on, the threads keep
/// their shown rows).
#[derive(Debug, Clone)]
pub(crate) enum Narrowed {
    /// The keys of the shown rows, newest first; kept as rows come and go.
    Keys(Sorted<Key>),
}

/// Which rows the filter, the search and the team view let through.
struct Pass<'a> {
    needle: Option<Needle>,
    found: Option<&'a HashSet<u32>>,
    team_view: View,
    me: Option<&'a str>,
    now: i64,
    wakes: &'a WakeTimes,
    sla: Option<&'a Sla>,
}

impl Pass<'_> {
    /// Whether every row passes (then no view is kept).
    fn all(&self) -> bool {
        self.needle.is_none() && self.found.is_none() && self.team_view == View::All
    }

    fn passes(&self, s: &Summary) -> bool {
        self.found.is_none_or(|f| f.contains(&s.uid))
            && self.needle.as_ref().is_none_or(|n| n.matches(s))
            && (self.team_view == View::All || {
                let mut r = RowState::of(s, self.me, self.now, self.wakes);
                r.urgent = self.team_view == View::Due
                    && sla::row_status(self.sla, s, self.now).state.is_urgent();
                r.shown_in(self.team_view)
            })
    }
}

/// A row's share of a column's counts: its team-view counts, whether it is unread, its UID,
/// whether it carries a snooze keyword.
type Share = (Counts, bool, u32, bool);

impl Column {
    fn pass(&self) -> Pass<'_> {
        Pass {
            needle: self.filter.as_deref().map(Needle::new),
            found: match &self.search {
                Some(Search {
                    state: SearchState::Done(uids),
                    ..
                }) => Some(uids),
                _ => None,
            },
            team_view: self.team_view,
            me: self.agent(),
            now: self.now,
            wakes: &self.wake_times,
            sla: self.sla.as_ref(),
        }
    }

    /// Rows (and shown rows' keys) compared, moved or read by changes to this column so far,
    /// whole walks included: a deterministic measure of the work a merge did, for tests.
    pub fn visited(&self) -> u64 {
        let view = match &self.view {
            Some(Narrowed::Keys(k)) => k.visited(),
            None => 0,
        };
        let threads = self.threads.as_ref().map_or(0, Threaded::visited);
        self.rows
            .visited()
            .saturating_add(view)
            .saturating_add(threads)
    }

    /// Runs `f` on the threads (while they are on) with the rows and what the column shows
    /// of them (`None`: every row).
    fn with_threads(&mut self, f: impl FnOnce(&mut Threaded, &Rows, threaded::Pass<'_>)) {
        let Some(mut t) = self.threads.take() else {
            return;
        };
        let pass = self.pass();
        let passes = |s: &Summary| pass.passes(s);
        let shown: threaded::Pass<'_> = if pass.all() { None } else { Some(&passes) };
        f(&mut t, &self.rows, shown);
        drop(pass);
        self.threads = Some(t);
    }

    fn share(&self, s: &Summary) -> Share {
        (
            Counts::row(s, self.agent(), self.now, &self.wake_times),
            !s.flags.seen,
            s.uid,
            s.keywords.iter().any(|k| is_snooze_keyword(k)),
        )
    }

    /// Adds (`add`) or takes away a row's share of the counts.
    fn count(&mut self, (c, unread, uid, snoozed): Share, add: bool) {
        if add {
            self.counts.add(&c);
            self.unread += usize::from(unread);
            if snoozed {
                self.snoozed.insert(uid);
            }
            if c.overdue > 0 {
                self.overdue.insert(uid);
            }
            if let Some(w) = c.next_wake {
                *self.wakes.entry(w).or_default() += 1;
            }
        } else {
            self.counts.sub(&c);
            self.unread = self.unread.saturating_sub(usize::from(unread));
            self.overdue.remove(&uid);
            self.snoozed.remove(&uid);
            if let Some(w) = c.next_wake
                && let Some(n) = self.wakes.get_mut(&w)
            {
                *n -= 1;
                if *n == 0 {
                    self.wakes.remove(&w);
                }
            }
        }
        self.counts.next_wake = self.wakes.keys().next().copied();
    }

    /// Counts every row again (the agent or the clock changed what the rows count as).
    pub(crate) fn recount(&mut self) {
        self.unread = self.rows.iter().filter(|s| !s.flags.seen).count();
        self.counts = Counts::of(&self.rows, self.agent(), self.now, &self.wake_times);
        self.wakes.clear();
        self.overdue.clear();
        self.snoozed.clear();
        let (me, now) = (self.agent.as_deref(), self.now);
        for s in &self.rows {
            if s.keywords.iter().any(|k| is_snooze_keyword(k)) {
                self.snoozed.insert(s.uid);
            }
            let c = Counts::row(s, me, now, &self.wake_times);
            if let Some(w) = c.next_wake {
                *self.wakes.entry(w).or_default() += 1;
            }
            if c.overdue > 0 {
                self.overdue.insert(s.uid);
            }
        }
    }

    /// The rows whose snooze has ended (their latest, if several) but whose keyword is still
    /// there (`counts.overdue` of them), newest first, found without walking the column.
    pub(crate) fn overdue_rows(&self) -> Vec<&Summary> {
        let mut rows: Vec<&Summary> = self
            .overdue
            .iter()
            .filter_map(|&u| self.rows.by_uid(u))
            .collect();
        rows.sort_unstable_by_key(|s| Key::of(s));
        rows
    }

    /// Changes the row of `uid` in place (its flags or keywords, never its UID or date),
    /// keeping the counts; the row stays where it is shown. False when there is no such row.
    pub(crate) fn edit_row(&mut self, uid: u32, edit: impl FnOnce(&mut Summary)) -> bool {
        let Some(old) = self.rows.by_uid(uid).map(|s| self.share(s)) else {
            return false;
        };
        if let Some(row) = self.rows.by_uid_mut(uid) {
            edit(row);
        }
        self.count(old, false);
        if let Some(new) = self.rows.by_uid(uid).map(|s| self.share(s)) {
            self.count(new, true);
        }
        true
    }

    /// Threads every row (threads turned on, or the column starts over): threads on after.
    pub(crate) fn rethread(&mut self) {
        self.view = None;
        self.threads = Some(Threaded::default());
        self.with_threads(|t, rows, shown| *t = Threaded::build(rows, shown));
    }

    /// Recomputes the shown rows after the filter, the search or the team view changed.
    pub(crate) fn rebuild_view(&mut self) {
        if self.threaded() {
            self.view = None;
            self.with_threads(|t, rows, shown| t.renarrow(rows, shown));
            return;
        }
        let pass = self.pass();
        if pass.all() {
            self.view = None;
            return;
        }
        let view = Narrowed::Keys(Sorted::from_sorted(
            self.rows.iter().filter(|s| pass.passes(s)).map(Key::of),
        ));
        self.view = Some(view);
    }

    /// Merges a batch of new or refreshed rows: O(k · (log N + B)), plus (threads on) the
    /// threads the rows join or link.
    pub(crate) fn add_rows(&mut self, mut rows: Vec<Summary>, height: usize) {
        // At the top, stay at the top (new mail, and the initial load); elsewhere, stay on
        // the same message.
        let keep = (self.selected > 0)
            .then(|| self.selected_row().map(|s| s.uid))
            .flatten();
        let mut seen = HashSet::with_capacity(rows.len());
        if rows.iter().any(|s| !seen.insert(s.uid)) {
            // Batches merged by the run loop may carry a UID twice: the later copy wins.
            seen.clear();
            rows.reverse();
            rows.retain(|s| seen.insert(s.uid));
        }
        for s in &rows {
            self.note_replying(s.uid, &s.keywords);
        }
        // A row that is already there is replaced, never doubled.
        let replaced = self.rows.remove_many(rows.iter().map(|s| s.uid));
        for old in &replaced {
            self.count(self.share(old), false);
        }
        let shares: Vec<Share> = rows.iter().map(|s| self.share(s)).collect();
        for share in shares {
            self.count(share, true);
        }
        let shown: Vec<Key> = match &self.view {
            Some(Narrowed::Keys(_)) => {
                let pass = self.pass();
                rows.iter()
                    .filter(|s| pass.passes(s))
                    .map(Key::of)
                    .collect()
            }
            _ => Vec::new(),
        };
        let uids: Vec<u32> = rows.iter().map(|s| s.uid).collect();
        self.rows.insert_many(rows);
        if let Some(Narrowed::Keys(k)) = &mut self.view {
            k.remove_many(replaced.iter().map(Key::of));
            k.insert_many(shown);
        }
        self.with_threads(|t, rows, shown| t.change(rows, &uids, shown));
        if let Some(uid) = keep
            && let Some(i) = self.position_of(uid)
        {
            self.selected = i;
        }
        self.clamp_view(height);
    }

    /// Updates flags and keywords in place; the order (by date) and so the selection stay.
    /// False when none of the UIDs is shown.
    pub(crate) fn apply_flags(&mut self, updates: Vec<FlagUpdate>, height: usize) -> bool {
        let by_uid: HashMap<u32, FlagUpdate> = updates.into_iter().map(|u| (u.uid, u)).collect();
        let mut touched = Vec::new();
        for (uid, u) in &by_uid {
            let changed = self.edit_row(*uid, |row| {
                row.flags = u.flags;
                row.keywords = Keywords::new(&u.keywords);
                if u.modseq.is_some() {
                    row.modseq = u.modseq;
                }
            });
            if changed {
                self.note_replying(*uid, &u.keywords);
                touched.push(*uid);
            }
        }
        if touched.is_empty() {
            return false;
        }
        self.reshow(&touched, height);
        true
    }

    /// New wake times from the snooze records. Only the rows carrying a snooze keyword can
    /// change their share, so only they are counted again and moved in or out of the view:
    /// O(snoozed rows · log N). False when nothing changed.
    pub(crate) fn set_wake_times(&mut self, wakes: WakeTimes, height: usize) -> bool {
        if wakes == self.wake_times {
            return false;
        }
        let snoozed: Vec<u32> = self.snoozed.iter().copied().collect();
        let old: Vec<Share> = snoozed
            .iter()
            .filter_map(|&u| self.rows.by_uid(u).map(|s| self.share(s)))
            .collect();
        self.wake_times = wakes;
        for share in old {
            self.count(share, false);
        }
        let new: Vec<Share> = snoozed
            .iter()
            .filter_map(|&u| self.rows.by_uid(u).map(|s| self.share(s)))
            .collect();
        for share in new {
            self.count(share, true);
        }
        if !snoozed.is_empty() {
            self.reshow(&snoozed, height);
        }
        true
    }

    /// After the state of the rows `touched` changed in place: they may move in or out of the
    /// view; the selection stays on its message while it is shown.
    fn reshow(&mut self, touched: &[u32], height: usize) {
        if self.team_view == View::All {
            return;
        }
        let before = self.selected;
        if self.threaded() {
            self.rethread_flags(touched);
        } else if let Some(Narrowed::Keys(_)) = &self.view {
            let keep = self.selected_row().map(Key::of);
            let pass = self.pass();
            let (mut out, mut into) = (Vec::new(), Vec::new());
            for key in touched.iter().filter_map(|&u| self.rows.key_of(u)) {
                let Some(s) = self.rows.by_key(key) else {
                    continue;
                };
                if pass.passes(s) {
                    into.push(key);
                } else {
                    out.push(key);
                }
            }
            drop(pass);
            if let Some(Narrowed::Keys(k)) = &mut self.view {
                k.remove_many(out);
                into.retain(|&key| !k.contains(key));
                k.insert_many(into);
                // Where the selection goes when its row leaves the view: the next (older)
                // row shown.
                match keep.map(|key| k.position(key)) {
                    Some(Ok(i)) => self.selected = i,
                    Some(Err(i)) if i < k.len() => self.selected = i,
                    _ => {}
                }
            }
        }
        // Rows that left above the selection pull the page up with it, so the selected row
        // stays where it was on screen.
        self.offset = self
            .offset
            .saturating_sub(before.saturating_sub(self.selected));
        self.clamp_view(height);
    }

    /// The view over the threads after the flags of `touched` changed (threads on): only
    /// their threads are looked at.
    fn rethread_flags(&mut self, touched: &[u32]) {
        let keep = self.selected_row().map(|s| s.uid);
        let before = self.selected;
        // Where the selection goes when its row leaves the view: the next row below it that
        // stays. Only touched rows leave, so one more than those is enough to look at.
        let below: Vec<u32> = (before..self.shown_len().min(before + touched.len() + 1))
            .filter_map(|i| self.shown(i).map(|s| s.uid))
            .collect();
        self.with_threads(|t, rows, shown| t.refresh(rows, touched, shown));
        if let Some(i) = keep.and_then(|uid| self.position_of(uid)) {
            self.selected = i;
        } else if let Some(i) = below.iter().find_map(|&uid| self.position_of(uid)) {
            // The order is kept, so the first of them still shown is the nearest below.
            self.selected = i;
        }
    }

    /// Removes rows. A removed selection moves to the next (older) shown row, or to the new
    /// last row; a selection elsewhere stays on its message. False when none of the UIDs is
    /// shown.
    pub(crate) fn remove(&mut self, uids: &[u32], height: usize) -> bool {
        let gone: HashSet<u32> = uids
            .iter()
            .copied()
            .filter(|&u| self.rows.key_of(u).is_some())
            .collect();
        if gone.is_empty() {
            return false;
        }
        let (mut before_selected, mut before_offset) = (0, 0);
        let mut above = |i: usize| {
            before_selected += usize::from(i < self.selected);
            before_offset += usize::from(i < self.offset);
        };
        for i in gone.iter().filter_map(|&u| self.position_of(u)) {
            above(i);
        }
        let keep = self
            .selected_row()
            .map(|s| s.uid)
            .filter(|uid| !gone.contains(uid));
        let removed = self.rows.remove_many(gone.iter().copied());
        for old in &removed {
            self.count(self.share(old), false);
            self.replying_seen.remove(&old.uid);
        }
        if let Some(Narrowed::Keys(k)) = &mut self.view {
            k.remove_many(removed.iter().map(Key::of));
        }
        self.selected -= before_selected;
        self.offset -= before_offset;
        // Threads may regroup when a message goes (its replies move up a level): follow the
        // selected message rather than its old position.
        if self.threaded() {
            let gone: Vec<u32> = removed.iter().map(|s| s.uid).collect();
            self.with_threads(|t, rows, shown| t.change(rows, &gone, shown));
            if let Some(i) = keep.and_then(|uid| self.position_of(uid)) {
                self.selected = i;
            }
        }
        self.clamp_view(height);
        true
    }
}
