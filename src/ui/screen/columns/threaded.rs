//! A column's threads (threads on, `t`), kept as rows come, change and go, in time
//! proportional to the threads a change touches, not to the column.
//!
//! `mail::thread` stays the one definition of threading. The rows are kept in *groups*: the
//! sets of rows that share a Message-ID, In-Reply-To or Reference (`thread::ids`), directly
//! or through other rows. Threading a group on its own gives exactly what threading every row
//! gives for it (`thread::ids` says why), so a batch re-threads only the groups its rows name
//! (merged into one when a row links them, split when an expunge leaves them apart) and the
//! rest stays as it is. A group is usually one conversation; it is threaded whole, so a reply
//! to a conversation of `m` messages costs O(m), never O(N).
//!
//! The threads are kept newest first (by their newest row) in blocks of a few hundred, each
//! with the rows it shows, so that the `i`th shown row and a row's place are found in
//! O(log N + B) and a thread goes in or out in O(log N + B).

use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};

use super::rows::{Key, Rows};
use crate::mail::thread;
use crate::message::Summary;

/// Which rows a narrowed column shows; `None`: every row.
pub(crate) type Pass<'a> = Option<&'a dyn Fn(&Summary) -> bool>;

/// A block splits in two past this many threads (few in unit tests, so that small columns
/// have many blocks).
const MAX_BLOCK: usize = if cfg!(test) { 4 } else { 64 };

/// One thread: its rows as (UID, depth) in display order.
#[derive(Debug, Clone)]
struct Thread {
    /// Its newest row: where the thread sorts.
    newest: Key,
    rows: Vec<(u32, u8)>,
    /// The rows shown while the column is narrowed (in the same order); `None`: all.
    shown: Option<Vec<(u32, u8)>>,
    /// Folded (`e`): only its first shown row is shown, with the count of the others.
    folded: bool,
}

impl Thread {
    /// The rows shown: all those passing the narrowing, or the first of them when folded.
    fn visible(&self) -> &[(u32, u8)] {
        let all = self.unfolded();
        if self.folded {
            &all[..all.len().min(1)]
        } else {
            all
        }
    }

    /// The rows shown when unfolded.
    fn unfolded(&self) -> &[(u32, u8)] {
        self.shown.as_deref().unwrap_or(&self.rows)
    }

    /// The thread's first row: what its fold is remembered by.
    fn root(&self) -> Option<u32> {
        self.rows.first().map(|&(u, _)| u)
    }

    fn narrow(&mut self, rows: &Rows, pass: Pass<'_>) {
        self.shown = pass.map(|p| {
            self.rows
                .iter()
                .copied()
                .filter(|&(u, _)| rows.by_uid(u).is_some_and(p))
                .collect()
        });
    }
}

#[derive(Debug, Clone)]
struct Block {
    threads: Vec<Thread>,
    /// The rows its threads show.
    len: usize,
}

impl Block {
    fn new(threads: Vec<Thread>) -> Block {
        let len = threads.iter().map(|t| t.visible().len()).sum();
        Block { threads, len }
    }
}

/// Rows threaded together, apart from every other row.
#[derive(Debug, Clone, Default)]
struct Group {
    uids: Vec<u32>,
    /// The IDs its rows name, hashed (two IDs with one hash only make a group bigger).
    ids: Vec<u64>,
    /// Its threads, by their newest row.
    threads: Vec<Key>,
}

/// The threads of a column's rows, newest thread first, and the rows they show.
#[derive(Debug, Clone, Default)]
pub(crate) struct Threaded {
    blocks: Vec<Block>,
    /// `starts[b]`: how many shown rows come before block `b`.
    starts: Vec<usize>,
    /// Shown rows.
    len: usize,
    threads: usize,
    /// ID hash → its group.
    ids: HashMap<u64, u32>,
    /// UID → its group and its thread.
    place: HashMap<u32, (u32, Key)>,
    groups: HashMap<u32, Group>,
    next_group: u32,
    /// Rows and threads compared, moved or read by the changes so far (a deterministic
    /// measure of the work, for tests).
    visited: Cell<u64>,
    /// The folded threads, by their first row's UID (kept while the thread changes).
    folded: HashSet<u32>,
}

/// ⌈log2(n + 1)⌉: the comparisons of a binary search over `n` items.
fn log2(n: usize) -> usize {
    (usize::BITS - n.leading_zeros()) as usize
}

fn hash_id(id: &str) -> u64 {
    let mut h = DefaultHasher::new();
    id.hash(&mut h);
    h.finish()
}

/// The hashes of the IDs a row names.
fn ids_of(s: &Summary) -> Vec<u64> {
    thread::ids(s).map(hash_id).collect()
}

/// Union-find root, with path halving.
fn root(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

impl Threaded {
    /// The threads of every row.
    pub(crate) fn build(rows: &Rows, pass: Pass<'_>) -> Threaded {
        let mut t = Threaded::default();
        let uids: Vec<u32> = rows.iter().map(|s| s.uid).collect();
        t.change(rows, &uids, pass);
        t
    }

    /// Shown rows.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn visited(&self) -> u64 {
        self.visited.get()
    }

    fn visit(&self, n: usize) {
        self.visited
            .set(self.visited.get().saturating_add(n as u64));
    }

    /// Recomputes where each block starts: O(N / B), no thread read.
    fn restart(&mut self) {
        self.starts.clear();
        let mut at = 0;
        for b in &self.blocks {
            self.starts.push(at);
            at += b.len;
        }
        self.len = at;
    }

    /// The block where the thread of `key` is or would go, and its place in it.
    fn locate(&self, key: Key) -> (usize, Result<usize, usize>) {
        let b = self
            .blocks
            .partition_point(|b| b.threads.last().is_some_and(|t| t.newest < key))
            .min(self.blocks.len().saturating_sub(1));
        let block = self.blocks.get(b).map_or(&[][..], |b| b.threads.as_slice());
        self.visit(log2(self.blocks.len()) + log2(block.len()));
        (b, block.binary_search_by(|t| t.newest.cmp(&key)))
    }

    /// The `i`th shown row as (UID, depth): O(log N + B).
    pub(crate) fn get(&self, i: usize) -> Option<(u32, u8)> {
        if i >= self.len {
            return None;
        }
        let b = self.starts.partition_point(|&s| s <= i).checked_sub(1)?;
        let mut at = i - self.starts[b];
        for t in &self.blocks.get(b)?.threads {
            let v = t.visible();
            if at < v.len() {
                return v.get(at).copied();
            }
            at -= v.len();
        }
        None
    }

    /// Where the row of `uid` is shown: O(log N + B + its thread).
    pub(crate) fn position(&self, uid: u32) -> Option<usize> {
        let &(_, key) = self.place.get(&uid)?;
        let (b, Ok(j)) = self.locate(key) else {
            return None;
        };
        let threads = &self.blocks.get(b)?.threads;
        let before: usize = threads[..j].iter().map(|t| t.visible().len()).sum();
        let within = threads[j].visible().iter().position(|&(u, _)| u == uid)?;
        self.visit(j + within);
        Some(self.starts[b] + before + within)
    }

    /// Where the thread of `uid` starts on screen (its one row when folded).
    pub(crate) fn head_position(&self, uid: u32) -> Option<usize> {
        let &(_, key) = self.place.get(&uid)?;
        let (b, Ok(j)) = self.locate(key) else {
            return None;
        };
        let threads = &self.blocks.get(b)?.threads;
        let before: usize = threads[..j].iter().map(|t| t.visible().len()).sum();
        self.visit(j);
        Some(self.starts[b] + before)
    }

    fn insert_thread(&mut self, t: Thread) {
        let (b, at) = self.locate(t.newest);
        let i = at.unwrap_or_else(|i| i);
        self.threads += 1;
        match self.blocks.get_mut(b) {
            None => self.blocks.push(Block::new(vec![t])),
            Some(block) => {
                self.visited
                    .set(self.visited.get() + (block.threads.len() - i) as u64 + 1);
                block.len += t.visible().len();
                block.threads.insert(i, t);
                if block.threads.len() > MAX_BLOCK {
                    let tail = Block::new(block.threads.split_off(block.threads.len() / 2));
                    block.len -= tail.len;
                    self.blocks.insert(b + 1, tail);
                }
            }
        }
    }

    fn remove_thread(&mut self, key: Key) -> Option<Thread> {
        let (b, Ok(i)) = self.locate(key) else {
            return None;
        };
        let block = self.blocks.get_mut(b)?;
        self.visited
            .set(self.visited.get() + (block.threads.len() - i) as u64);
        let t = block.threads.remove(i);
        block.len -= t.visible().len();
        if block.threads.is_empty() {
            self.blocks.remove(b);
        }
        self.threads -= 1;
        Some(t)
    }

    /// Re-threads after the rows of `uids` came, were replaced or went (`rows` as they are
    /// now): only the groups those rows were in or name are threaded again.
    pub(crate) fn change(&mut self, rows: &Rows, uids: &[u32], pass: Pass<'_>) {
        // The groups touched: the changed rows' own, and those of every ID they name.
        let mut touched: HashSet<u32> = HashSet::new();
        // The rows to thread again, with the IDs they name.
        let mut gather: Vec<(&Summary, Vec<u64>)> = Vec::with_capacity(uids.len());
        let mut taken: HashSet<u32> = HashSet::with_capacity(uids.len());
        for &uid in uids {
            if let Some(&(g, _)) = self.place.get(&uid) {
                touched.insert(g);
            }
            if let Some(s) = rows.by_uid(uid)
                && taken.insert(uid)
            {
                let ids = ids_of(s);
                self.visit(ids.len());
                touched.extend(ids.iter().filter_map(|id| self.ids.get(id)));
                gather.push((s, ids));
            }
        }
        // Their threads go; their rows that are still there are threaded again.
        for g in touched {
            let Some(group) = self.groups.remove(&g) else {
                continue;
            };
            for key in group.threads {
                self.remove_thread(key);
            }
            self.visit(group.uids.len() + group.ids.len());
            for uid in group.uids {
                self.place.remove(&uid);
                if let Some(s) = rows.by_uid(uid)
                    && taken.insert(uid)
                {
                    gather.push((s, ids_of(s)));
                }
            }
            for id in group.ids {
                self.ids.remove(&id);
            }
        }
        drop(taken);
        // The gathered rows, newest first (the order threading reads them in), split into
        // groups by the IDs they share.
        gather.sort_unstable_by_key(|(s, _)| Key::of(s));
        let (summaries, named): (Vec<&Summary>, Vec<Vec<u64>>) = gather.into_iter().unzip();
        let mut parent: Vec<usize> = (0..summaries.len()).collect();
        let mut first: HashMap<u64, usize> = HashMap::new();
        for (i, ids) in named.iter().enumerate() {
            self.visit(1 + ids.len());
            for &id in ids {
                let j = *first.entry(id).or_insert(i);
                let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                parent[a.max(b)] = a.min(b);
            }
        }
        let mut members: HashMap<usize, Vec<usize>> = HashMap::new();
        for i in 0..summaries.len() {
            let r = root(&mut parent, i);
            members.entry(r).or_default().push(i);
        }
        // Each group threaded on its own, its threads put in place.
        let mut roots: Vec<usize> = members.keys().copied().collect();
        roots.sort_unstable();
        let mut new_threads = Vec::new();
        for r in roots {
            let Some(idx) = members.remove(&r) else {
                continue;
            };
            let mut g = self.next_group;
            while self.groups.contains_key(&g) {
                g = g.wrapping_add(1);
            }
            self.next_group = g.wrapping_add(1);
            let group_rows: Vec<&Summary> = idx.iter().map(|&i| summaries[i]).collect();
            let threads = thread::threads_of(&group_rows);
            let mut group = Group::default();
            for span in threads.threads {
                let order = &threads.order[span];
                let newest = order
                    .iter()
                    .map(|t| Key::of(group_rows[t.row]))
                    .min()
                    .unwrap_or_else(|| Key::of(group_rows[0]));
                let rows_of = |keep: &dyn Fn(&Summary) -> bool| -> Vec<(u32, u8)> {
                    order
                        .iter()
                        .map(|t| (group_rows[t.row], t.depth))
                        .filter(|(s, _)| keep(s))
                        .map(|(s, d)| (s.uid, d))
                        .collect()
                };
                let rows = rows_of(&|_| true);
                let folded = rows.first().is_some_and(|(u, _)| self.folded.contains(u));
                let t = Thread {
                    newest,
                    rows,
                    shown: pass.map(|p| rows_of(p)),
                    folded,
                };
                for &(u, _) in &t.rows {
                    self.place.insert(u, (g, newest));
                }
                group.threads.push(newest);
                new_threads.push(t);
            }
            for &i in &idx {
                group.uids.push(summaries[i].uid);
                for &id in &named[i] {
                    if self.ids.insert(id, g).is_none() {
                        group.ids.push(id);
                    }
                }
            }
            self.groups.insert(g, group);
        }
        if new_threads.len() > self.threads {
            // More threads than are held (threads turned on, the first batch): one sort.
            let mut all: Vec<Thread> = std::mem::take(&mut self.blocks)
                .into_iter()
                .flat_map(|b| b.threads)
                .collect();
            all.append(&mut new_threads);
            all.sort_unstable_by_key(|t| t.newest);
            self.visit(all.len());
            self.threads = all.len();
            let mut blocks = Vec::with_capacity(all.len() / (MAX_BLOCK / 2) + 1);
            let mut rest = all.into_iter().peekable();
            while rest.peek().is_some() {
                blocks.push(Block::new(rest.by_ref().take(MAX_BLOCK / 2).collect()));
            }
            self.blocks = blocks;
        } else {
            for t in new_threads {
                self.insert_thread(t);
            }
        }
        self.restart();
    }

    /// The rows shown again after the rows of `uids` changed (flags, keywords): only their
    /// threads are looked at, and only while the column is narrowed.
    pub(crate) fn refresh(&mut self, rows: &Rows, uids: &[u32], pass: Pass<'_>) {
        if pass.is_none() {
            return;
        }
        let keys: HashSet<Key> = uids
            .iter()
            .filter_map(|u| self.place.get(u).map(|&(_, k)| k))
            .collect();
        for key in keys {
            let (b, Ok(i)) = self.locate(key) else {
                continue;
            };
            let Some(block) = self.blocks.get_mut(b) else {
                continue;
            };
            let t = &mut block.threads[i];
            self.visited.set(self.visited.get() + t.rows.len() as u64);
            block.len -= t.visible().len();
            t.narrow(rows, pass);
            block.len += t.visible().len();
        }
        self.restart();
    }

    /// The rows shown after what narrows the column changed: every thread looked at.
    pub(crate) fn renarrow(&mut self, rows: &Rows, pass: Pass<'_>) {
        for block in &mut self.blocks {
            for t in &mut block.threads {
                t.narrow(rows, pass);
            }
            block.len = block.threads.iter().map(|t| t.visible().len()).sum();
        }
        self.visit(self.place.len());
        self.restart();
    }

    /// Folds or unfolds the thread of `uid` (`None`: not threaded here). Returns whether it is
    /// folded now.
    pub(crate) fn toggle_fold(&mut self, uid: u32) -> Option<bool> {
        let &(_, key) = self.place.get(&uid)?;
        let (b, Ok(i)) = self.locate(key) else {
            return None;
        };
        let block = self.blocks.get_mut(b)?;
        let t = &mut block.threads[i];
        let root = t.root()?;
        block.len -= t.visible().len();
        t.folded = !t.folded;
        block.len += t.visible().len();
        let folded = t.folded;
        if folded {
            self.folded.insert(root);
        } else {
            self.folded.remove(&root);
        }
        self.restart();
        Some(folded)
    }

    /// Folds or unfolds every thread of more than one row: O(N).
    pub(crate) fn fold_all(&mut self, fold: bool) {
        self.folded.clear();
        for block in &mut self.blocks {
            for t in &mut block.threads {
                t.folded = fold && t.rows.len() > 1;
                if t.folded
                    && let Some(root) = t.root()
                {
                    self.folded.insert(root);
                }
            }
            block.len = block.threads.iter().map(|t| t.visible().len()).sum();
        }
        self.visit(self.place.len());
        self.restart();
    }

    /// Whether any thread is folded.
    pub(crate) fn any_folded(&self) -> bool {
        !self.folded.is_empty()
    }

    /// For the `i`th shown row: the rows its folded thread holds (as narrowed), when it is the
    /// one row of a folded thread.
    pub(crate) fn folded_count(&self, i: usize) -> Option<usize> {
        if self.folded.is_empty() || i >= self.len {
            return None;
        }
        let b = self.starts.partition_point(|&s| s <= i).checked_sub(1)?;
        let mut at = i - self.starts[b];
        for t in &self.blocks.get(b)?.threads {
            let v = t.visible().len();
            if at < v {
                return (t.folded && at == 0).then(|| t.unfolded().len());
            }
            at -= v;
        }
        None
    }
}
