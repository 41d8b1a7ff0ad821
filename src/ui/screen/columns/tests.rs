//! The incremental column against a naive model: after every step of a random interleaving
//! of batches (new and replaced rows), flag and keyword updates, expunges, local edits, clock
//! ticks, filter, search, team-view and thread toggles, the column shows the rows, counts
//! and selection that sorting and counting from scratch give.

use std::collections::HashSet;

use super::{Column, Needle, Search, SearchState};
use crate::config::View;
use crate::imap::sync::FlagUpdate;
use crate::mail::snooze::WakeTimes;
use crate::mail::thread;
use crate::message::{Address, Fields, Keywords, Summary};
use crate::triage::view::{Counts, RowState};

/// xorshift64*: seeded, so a failure replays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const HEIGHT: usize = 7;
const NOW: i64 = 1_800_000_000;
const SUBJECTS: [&str; 4] = ["Invoice 7", "hello", "re: INVOICE", "lunch"];
const VIEWS: [View; 6] = [
    View::All,
    View::Open,
    View::Mine,
    View::Unassigned,
    View::Pending,
    View::Done,
];

fn keywords(rng: &mut Rng, now: i64) -> Vec<String> {
    let minute = crate::triage::state::format_minute;
    let mut k = Vec::new();
    for (p, kw) in [
        (30, "$assigned.alice".to_string()),
        (20, "$assigned.bob".to_string()),
        (20, "$pending".to_string()),
        (15, "$done".to_string()),
        (15, "$replying.bob".to_string()),
        (
            15,
            format!("$snoozed.{}", minute(now + 60 * (1 + rng.below(30) as i64))),
        ),
        (5, format!("$snoozed.{}", minute(now - 3600))),
        // The one snooze keyword: its wake time is in the records (or unknown).
        (20, "$snoozed".to_string()),
    ] {
        if rng.chance(p) {
            k.push(kw);
        }
    }
    k
}

fn summary(rng: &mut Rng, uid: u32, date: i64, now: i64) -> Summary {
    let mut s = Summary::new(Fields {
        uid,
        internal_date: date,
        subject: rng.pick(&SUBJECTS).to_string(),
        from: vec![Address {
            name: None,
            email: format!("c{}@example.com", rng.below(5)),
        }],
        keywords: keywords(rng, now),
        message_id: Some(format!("m{uid}@x")),
        ..Fields::default()
    });
    s.flags.seen = rng.chance(50);
    s.flags.flagged = rng.chance(10);
    s
}

/// What the column should show, computed from scratch.
struct Model {
    rows: Vec<Summary>,
    filter: Option<String>,
    found: Option<HashSet<u32>>,
    view: View,
    threads: bool,
    now: i64,
    selected: usize,
    wakes: WakeTimes,
}

impl Model {
    fn sort(&mut self) {
        self.rows
            .sort_by_key(|s| std::cmp::Reverse((s.internal_date, s.uid)));
    }

    fn passes(&self, needle: Option<&Needle>, s: &Summary) -> bool {
        self.found.as_ref().is_none_or(|f| f.contains(&s.uid))
            && needle.is_none_or(|n| n.matches(s))
            && RowState::of(s, Some("alice"), self.now, &self.wakes).shown_in(self.view)
    }

    /// The shown rows as (uid, depth).
    fn shown(&self) -> Vec<(u32, u8)> {
        let order: Vec<(usize, u8)> = if self.threads {
            thread::display_order(&self.rows)
        } else {
            (0..self.rows.len()).map(|i| (i, 0)).collect()
        };
        let needle = self.filter.as_deref().map(Needle::new);
        order
            .into_iter()
            .filter(|&(i, _)| self.passes(needle.as_ref(), &self.rows[i]))
            .map(|(i, d)| (self.rows[i].uid, d))
            .collect()
    }

    fn selected_uid(&self) -> Option<u32> {
        self.shown().get(self.selected).map(|&(u, _)| u)
    }

    fn index(&self, uid: Option<u32>) -> Option<usize> {
        let uid = uid?;
        self.shown().iter().position(|&(u, _)| u == uid)
    }

    fn clamp(&mut self) {
        self.selected = self.selected.min(self.shown().len().saturating_sub(1));
    }

    /// Rows changed in place (flags, or wake times): the selection stays on its message
    /// while shown, else goes to the next older row shown.
    fn reshown(
        &mut self,
        keep: Option<u32>,
        key: Option<(i64, u32)>,
        before: usize,
        column_selected: usize,
    ) {
        if self.view == View::All {
            return;
        }
        if let Some(i) = self.index(keep) {
            self.selected = i;
        } else if self.threads {
            // The thread order keeps its own rule (the next row shown before): only where
            // the selection is, is checked.
            self.selected = column_selected;
        } else if let Some((date, uid)) = key {
            let shown = self.shown();
            if let Some(i) = shown.iter().position(|&(u, _)| {
                self.rows
                    .iter()
                    .find(|s| s.uid == u)
                    .is_some_and(|s| (s.internal_date, s.uid) < (date, uid))
            }) {
                self.selected = i;
            } else {
                self.selected = before;
            }
        }
        self.clamp();
    }

    fn counts(&self) -> Counts {
        Counts::of(&self.rows, Some("alice"), self.now, &self.wakes)
    }

    /// A changed filter, search or view: the selected message stays while shown, else the
    /// top.
    fn refilter(&mut self, keep: Option<u32>) {
        self.selected = self.index(keep).unwrap_or(0);
        self.clamp();
    }
}

fn check(c: &Column, m: &Model, step: usize, what: &str) {
    let at = format!("step {step} ({what})");
    let rows: Vec<u32> = c.rows.iter().map(|s| s.uid).collect();
    let want: Vec<u32> = m.rows.iter().map(|s| s.uid).collect();
    assert_eq!(rows, want, "{at}: rows");
    for (i, s) in m.rows.iter().enumerate() {
        assert_eq!(c.rows.get(i), Some(s), "{at}: row {i}");
    }
    let shown: Vec<(u32, u8)> = (0..c.shown_len())
        .map(|i| (c.shown(i).map_or(0, |s| s.uid), c.depth(i)))
        .collect();
    assert_eq!(shown, m.shown(), "{at}: shown");
    assert_eq!(c.counts, m.counts(), "{at}: counts");
    // The rows whose (latest) snooze has ended, which the next tick wakes.
    let overdue: Vec<u32> = m
        .rows
        .iter()
        .filter(|s| Counts::row(s, Some("alice"), m.now, &m.wakes).overdue > 0)
        .map(|s| s.uid)
        .collect();
    let kept: Vec<u32> = c.overdue_rows().iter().map(|s| s.uid).collect();
    assert_eq!(kept, overdue, "{at}: overdue rows");
    let unread = m.rows.iter().filter(|s| !s.flags.seen).count();
    assert_eq!(c.unread, unread, "{at}: unread");
    assert_eq!(c.selected, m.selected, "{at}: selection");
    let len = c.shown_len();
    assert!(c.offset <= c.selected || len == 0, "{at}: offset");
    assert!(c.selected < c.offset + HEIGHT, "{at}: selection on screen");
    assert!(c.offset <= len.saturating_sub(HEIGHT), "{at}: blank rows");
}

fn run(seed: u64, steps: usize) {
    let mut rng = Rng(seed);
    let mut c = Column::new(0, "shared");
    c.agent = Some("alice".to_string());
    c.set_now(NOW, HEIGHT);
    let mut m = Model {
        rows: Vec::new(),
        filter: None,
        found: None,
        view: View::All,
        threads: false,
        now: NOW,
        selected: 0,
        wakes: WakeTimes::new(),
    };
    let mut next_uid = 1u32;
    // The sync brings the newest first, then older and older; new mail comes on top.
    let (mut oldest, mut newest) = (NOW, NOW);
    for step in 0..steps {
        let uids: Vec<u32> = m.rows.iter().map(|s| s.uid).collect();
        let what = match rng.below(20) {
            0..=5 => {
                // A batch: new rows (older ones, new mail, or anywhere), some replaced rows,
                // now and then one UID twice.
                let k = if rng.chance(3) {
                    40 + rng.below(60)
                } else {
                    1 + rng.below(12)
                };
                let mode = rng.below(3);
                let mut batch = Vec::new();
                for _ in 0..k {
                    let date = match mode {
                        0 => {
                            oldest -= rng.below(3) as i64;
                            oldest
                        }
                        1 => {
                            newest += rng.below(3) as i64;
                            newest
                        }
                        _ => oldest + rng.below((newest - oldest + 1) as usize) as i64,
                    };
                    batch.push(summary(&mut rng, next_uid, date, m.now));
                    next_uid += 1;
                }
                for _ in 0..rng.below(4) {
                    if uids.is_empty() {
                        break;
                    }
                    let uid = *rng.pick(&uids);
                    let date = m
                        .rows
                        .iter()
                        .find(|s| s.uid == uid)
                        .map_or(NOW, |s| s.internal_date);
                    // Usually the same arrival time; rarely another one (a cache that lied).
                    let date = if rng.chance(10) { date + 5 } else { date };
                    batch.push(summary(&mut rng, uid, date, m.now));
                }
                if rng.chance(10) && !batch.is_empty() {
                    let first = batch[0].uid;
                    let mut again = summary(&mut rng, first, batch[0].internal_date, m.now);
                    again.edit_text(|f| f.subject = "the later copy".to_string());
                    batch.push(again);
                }
                let keep = (m.selected > 0).then(|| m.selected_uid()).flatten();
                let mut seen = HashSet::new();
                for s in batch.iter().rev() {
                    if seen.insert(s.uid) {
                        m.rows.retain(|r| r.uid != s.uid);
                        m.rows.push(s.clone());
                    }
                }
                m.sort();
                if let Some(i) = m.index(keep) {
                    m.selected = i;
                }
                m.clamp();
                c.add_rows(batch, HEIGHT);
                "batch"
            }
            6..=8 => {
                let mut updates = Vec::new();
                for _ in 0..1 + rng.below(5) {
                    let uid = if uids.is_empty() || rng.chance(10) {
                        999_999
                    } else {
                        *rng.pick(&uids)
                    };
                    let s = summary(&mut rng, uid, 0, m.now);
                    updates.push(FlagUpdate {
                        uid,
                        flags: s.flags,
                        keywords: s.keywords.to_vec(),
                        modseq: None,
                    });
                }
                // The last update of a UID wins.
                let mut last = std::collections::HashMap::new();
                for u in &updates {
                    last.insert(u.uid, u.clone());
                }
                let keep = m.selected_uid();
                let key = keep
                    .and_then(|u| m.rows.iter().find(|s| s.uid == u))
                    .map(|s| (s.internal_date, s.uid));
                let before = m.selected;
                let mut any = false;
                for r in &mut m.rows {
                    if let Some(u) = last.get(&r.uid) {
                        r.flags = u.flags;
                        r.keywords = Keywords::new(&u.keywords);
                        any = true;
                    }
                }
                let changed = c.apply_flags(updates, HEIGHT);
                assert_eq!(changed, any, "step {step}: flags changed");
                if any {
                    m.reshown(keep, key, before, c.selected);
                }
                "flags"
            }
            19 if rng.chance(60) => {
                // New wake times from the snooze records: some rows' snoozes move (to come,
                // past, or unknown), without any keyword changing.
                let mut wakes = WakeTimes::new();
                for &uid in &uids {
                    if rng.chance(40) {
                        let at = m.now + 60 * (rng.below(61) as i64 - 20);
                        wakes.insert(&format!("m{uid}@x"), at);
                    }
                }
                let keep = m.selected_uid();
                let key = keep
                    .and_then(|u| m.rows.iter().find(|s| s.uid == u))
                    .map(|s| (s.internal_date, s.uid));
                let before = m.selected;
                m.wakes = wakes.clone();
                c.set_wake_times(wakes, HEIGHT);
                m.reshown(keep, key, before, c.selected);
                "wake times"
            }
            9..=11 => {
                let mut gone: Vec<u32> = (0..1 + rng.below(6))
                    .filter(|_| !uids.is_empty())
                    .map(|_| *rng.pick(&uids))
                    .collect();
                gone.push(999_998);
                let keep = m.selected_uid().filter(|u| !gone.contains(u));
                let shown = m.shown();
                let above = shown[..m.selected.min(shown.len())]
                    .iter()
                    .filter(|(u, _)| gone.contains(u))
                    .count();
                let any = m.rows.iter().any(|s| gone.contains(&s.uid));
                m.rows.retain(|s| !gone.contains(&s.uid));
                if any {
                    m.selected -= above;
                    if m.threads
                        && let Some(i) = m.index(keep)
                    {
                        m.selected = i;
                    }
                    m.clamp();
                }
                assert_eq!(c.remove(&gone, HEIGHT), any, "step {step}: removed");
                "expunge"
            }
            12 => {
                // A local change (a toggled flag): counts follow, the row stays put.
                if !uids.is_empty() {
                    let uid = *rng.pick(&uids);
                    c.edit_row(uid, |s| s.flags.seen = !s.flags.seen);
                    if let Some(r) = m.rows.iter_mut().find(|s| s.uid == uid) {
                        r.flags.seen = !r.flags.seen;
                    }
                }
                "edit"
            }
            13 => {
                let keep = m.selected_uid();
                m.filter = match rng.below(3) {
                    0 => None,
                    1 => Some("invoice".to_string()),
                    _ => Some("c1@".to_string()),
                };
                c.filter.clone_from(&m.filter);
                m.refilter(keep);
                c.refilter(HEIGHT);
                "filter"
            }
            14 => {
                let keep = m.selected_uid();
                m.found = rng
                    .chance(60)
                    .then(|| uids.iter().copied().filter(|_| rng.chance(50)).collect());
                c.search = m.found.clone().map(|f| Search {
                    query: "q".to_string(),
                    id: step as u64,
                    state: SearchState::Done(f),
                });
                m.refilter(keep);
                c.refilter(HEIGHT);
                "search"
            }
            15 | 16 => {
                let keep = m.selected_uid();
                m.view = *rng.pick(&VIEWS);
                m.refilter(keep);
                c.set_team_view(m.view, HEIGHT);
                "view"
            }
            17 => {
                let i = rng.below(m.shown().len() + 2);
                m.selected = i;
                m.clamp();
                c.select(i, HEIGHT);
                "select"
            }
            18 => {
                // The clock moves; a snooze that ends brings its row back.
                let keep = m.selected_uid();
                let woke = m.counts().next_wake.is_some_and(|w| w <= m.now + 600);
                m.now += 600;
                newest = newest.max(m.now);
                if woke {
                    m.refilter(keep);
                }
                c.set_now(m.now, HEIGHT);
                "clock"
            }
            _ => {
                if rng.chance(25) {
                    let keep = m.selected_uid();
                    m.threads = !m.threads;
                    m.selected = m.index(keep).unwrap_or(0);
                    m.clamp();
                    c.set_threaded(m.threads, HEIGHT);
                    "threads"
                } else {
                    "nothing"
                }
            }
        };
        check(&c, &m, step, what);
    }
}

#[test]
fn counts_order_and_selection_match_a_naive_model_after_random_interleavings() {
    for seed in 1..=6u64 {
        run(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15), 300);
    }
}
