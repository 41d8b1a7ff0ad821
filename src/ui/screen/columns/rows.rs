//! A column's rows, newest first, kept sorted in blocks of a few hundred so that a batch of
//! `k` rows is merged in O(k · (log N + B)) and the `i`th row is found in O(log N): a big
//! shared mailbox (100k rows and more) is never re-sorted or walked for a batch, whether
//! the batches come newest first (an older batch goes at the end) or as new mail (at the top).

use std::cell::Cell;
use std::cmp::Reverse;
use std::collections::HashMap;
use std::ops::Index;

use crate::message::Summary;

/// Where a row sorts: newest first by arrival time (INTERNALDATE), then by UID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    date: Reverse<i64>,
    uid: Reverse<u32>,
}

impl Key {
    pub fn of(s: &Summary) -> Key {
        Key::new(s.internal_date, s.uid)
    }

    fn new(internal_date: i64, uid: u32) -> Key {
        Key {
            date: Reverse(internal_date),
            uid: Reverse(uid),
        }
    }
}

/// What a [`Sorted`] holds: something with a key.
pub trait Keyed {
    fn key(&self) -> Key;
}

impl Keyed for Summary {
    fn key(&self) -> Key {
        Key::of(self)
    }
}

impl Keyed for Key {
    fn key(&self) -> Key {
        *self
    }
}

/// A block splits in two past this many items (few in unit tests, so that small columns
/// have many blocks).
const MAX_BLOCK: usize = if cfg!(test) { 8 } else { 512 };

/// Items sorted by key (no key twice) in blocks of at most `MAX_BLOCK`, none empty, with
/// the index of each block's first item, so position ↔ item is a binary search either way.
#[derive(Debug, Clone)]
pub struct Sorted<T> {
    blocks: Vec<Vec<T>>,
    /// `starts[b]`: how many items come before block `b`.
    starts: Vec<usize>,
    len: usize,
    /// Items compared, moved or read by the changes so far (a deterministic measure of the
    /// work, for tests: a merge must not walk the column).
    visited: Cell<u64>,
}

impl<T> Default for Sorted<T> {
    fn default() -> Self {
        Sorted {
            blocks: Vec::new(),
            starts: Vec::new(),
            len: 0,
            visited: Cell::new(0),
        }
    }
}

/// ⌈log2(n + 1)⌉: the comparisons of a binary search over `n` items.
fn log2(n: usize) -> u64 {
    u64::from(usize::BITS - n.leading_zeros())
}

impl<T: Keyed> Sorted<T> {
    /// From items already in key order (each key once).
    pub fn from_sorted(items: impl IntoIterator<Item = T>) -> Sorted<T> {
        let mut s = Sorted::default();
        let mut block = Vec::with_capacity(MAX_BLOCK / 2);
        for item in items {
            block.push(item);
            if block.len() == MAX_BLOCK / 2 {
                s.blocks.push(std::mem::take(&mut block));
            }
        }
        if !block.is_empty() {
            s.blocks.push(block);
        }
        s.restart();
        s.visit(s.len);
        s
    }

    /// From a list already in key order (each key once), taking its rows from the end so that
    /// the list can hand its memory back while the blocks fill: about one copy of the rows at
    /// a time, not two.
    pub fn from_sorted_vec(mut items: Vec<T>) -> Sorted<T> {
        let half = MAX_BLOCK / 2;
        let mut blocks = Vec::with_capacity(items.len() / half + 1);
        while !items.is_empty() {
            let at = items.len().saturating_sub(half);
            blocks.push(items.split_off(at));
            if items.capacity() >= 2 * items.len() + MAX_BLOCK {
                items.shrink_to_fit();
            }
        }
        blocks.reverse();
        let mut s = Sorted {
            blocks,
            ..Sorted::default()
        };
        s.restart();
        s.visit(s.len);
        s
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn visited(&self) -> u64 {
        self.visited.get()
    }

    fn visit(&self, n: usize) {
        self.visited
            .set(self.visited.get().saturating_add(n as u64));
    }

    /// Recomputes where each block starts, after blocks changed: O(N / B), no item read.
    fn restart(&mut self) {
        self.starts.clear();
        let mut at = 0;
        for b in &self.blocks {
            self.starts.push(at);
            at += b.len();
        }
        self.len = at;
    }

    pub fn get(&self, i: usize) -> Option<&T> {
        if i >= self.len {
            return None;
        }
        let b = self.starts.partition_point(|&s| s <= i).checked_sub(1)?;
        self.blocks.get(b)?.get(i - self.starts[b])
    }

    pub fn iter(&self) -> std::iter::Flatten<std::slice::Iter<'_, Vec<T>>> {
        self.blocks.iter().flatten()
    }

    /// The block where `key` is or would go, and its place in it: `Ok` when it is there.
    fn locate(&self, key: Key) -> (usize, Result<usize, usize>) {
        // The first block whose last key is not before `key`; past the end, the last block.
        let b = self
            .blocks
            .partition_point(|b| b.last().is_some_and(|l| l.key() < key))
            .min(self.blocks.len().saturating_sub(1));
        let block = self.blocks.get(b).map_or(&[][..], Vec::as_slice);
        self.visit((log2(self.blocks.len()) + log2(block.len())) as usize);
        (b, block.binary_search_by(|t| t.key().cmp(&key)))
    }

    /// The position of `key`: `Ok` when it is held, else `Err` with where it would go.
    pub fn position(&self, key: Key) -> Result<usize, usize> {
        let (b, at) = self.locate(key);
        let start = self.starts.get(b).copied().unwrap_or(0);
        match at {
            Ok(i) => Ok(start + i),
            Err(i) => Err(start + i),
        }
    }

    pub fn contains(&self, key: Key) -> bool {
        self.locate(key).1.is_ok()
    }

    pub fn find(&self, key: Key) -> Option<&T> {
        match self.locate(key) {
            (b, Ok(i)) => self.blocks.get(b)?.get(i),
            _ => None,
        }
    }

    /// The item of `key`, to change in place: the change must not move it (same key).
    pub fn find_mut(&mut self, key: Key) -> Option<&mut T> {
        match self.locate(key) {
            (b, Ok(i)) => self.blocks.get_mut(b)?.get_mut(i),
            _ => None,
        }
    }

    /// Inserts items (any order; no key already held, none twice): O(k · (log N + B)).
    pub fn insert_many(&mut self, mut items: Vec<T>) {
        if items.is_empty() {
            return;
        }
        if items.len() > self.len {
            // A batch bigger than what is held (the first batch, a cache): one sort. Memory
            // is the limit here (100,000 summaries): the batch's own buffer is given back
            // before the blocks are built, and the blocks take the rows from the end of one
            // exactly sized list that shrinks as they go.
            let mut all: Vec<T> = Vec::with_capacity(self.len + items.len());
            for block in std::mem::take(&mut self.blocks) {
                all.extend(block);
            }
            all.append(&mut items);
            drop(items);
            all.sort_by_key(Keyed::key);
            self.visit(all.len());
            *self = Sorted {
                visited: self.visited.clone(),
                ..Sorted::from_sorted_vec(all)
            };
            return;
        }
        for item in items {
            let (b, at) = self.locate(item.key());
            let i = at.unwrap_or_else(|i| i);
            match self.blocks.get_mut(b) {
                None => self.blocks.push(vec![item]),
                Some(block) => {
                    let moved = block.len() - i;
                    block.insert(i, item);
                    if block.len() > MAX_BLOCK {
                        let tail = block.split_off(block.len() / 2);
                        // The half that stays kept the capacity the block grew to (twice
                        // MAX_BLOCK): given back, or a column of rows appended one by one
                        // (an older batch of a newest-first sync) holds four times its rows.
                        block.shrink_to_fit();
                        self.blocks.insert(b + 1, tail);
                    }
                    self.visit(moved + 1);
                }
            }
        }
        self.restart();
    }

    pub fn insert(&mut self, item: T) {
        self.insert_many(vec![item]);
    }

    /// Removes the items of these keys (those held): O(k · (log N + B)).
    pub fn remove_many(&mut self, keys: impl IntoIterator<Item = Key>) -> Vec<T> {
        let mut gone = Vec::new();
        for key in keys {
            let (b, Ok(i)) = self.locate(key) else {
                continue;
            };
            let Some(block) = self.blocks.get_mut(b) else {
                continue;
            };
            self.visited
                .set(self.visited.get() + (block.len() - i) as u64);
            gone.push(block.remove(i));
            if block.is_empty() {
                self.blocks.remove(b);
            }
        }
        if !gone.is_empty() {
            self.restart();
        }
        gone
    }

    pub fn remove(&mut self, key: Key) -> Option<T> {
        self.remove_many([key]).pop()
    }
}

/// A column's rows: sorted newest first, with each UID's place.
#[derive(Debug, Clone, Default)]
pub struct Rows {
    sorted: Sorted<Summary>,
    /// UID → its arrival time: the row's key.
    dates: HashMap<u32, i64>,
}

impl Rows {
    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty()
    }

    /// The `i`th row, newest first: O(log N).
    pub fn get(&self, i: usize) -> Option<&Summary> {
        self.sorted.get(i)
    }

    /// Every row, newest first. A walk over the whole column: counted as such.
    pub fn iter(&self) -> std::iter::Flatten<std::slice::Iter<'_, Vec<Summary>>> {
        self.sorted.visit(self.len());
        self.sorted.iter()
    }

    /// Rows compared, moved or read by the changes so far (and whole walks, `iter`).
    pub fn visited(&self) -> u64 {
        self.sorted.visited()
    }

    pub fn key_of(&self, uid: u32) -> Option<Key> {
        self.dates.get(&uid).map(|&d| Key::new(d, uid))
    }

    /// The row of `uid`: O(log N).
    pub fn by_uid(&self, uid: u32) -> Option<&Summary> {
        self.sorted.find(self.key_of(uid)?)
    }

    /// The row of `key`: O(log N).
    pub fn by_key(&self, key: Key) -> Option<&Summary> {
        self.sorted.find(key)
    }

    /// The row of `uid`, to change in place (not its UID nor its arrival time).
    pub(crate) fn by_uid_mut(&mut self, uid: u32) -> Option<&mut Summary> {
        let key = self.key_of(uid)?;
        self.sorted.find_mut(key)
    }

    /// Where the row of `uid` is: O(log N).
    pub fn index_of(&self, uid: u32) -> Option<usize> {
        self.sorted.position(self.key_of(uid)?).ok()
    }

    /// Merges rows (UIDs not held, each once).
    pub(crate) fn insert_many(&mut self, rows: Vec<Summary>) {
        self.dates.reserve(rows.len());
        for s in &rows {
            self.dates.insert(s.uid, s.internal_date);
        }
        self.sorted.insert_many(rows);
    }

    /// Removes the rows of these UIDs (those held), returned.
    pub(crate) fn remove_many(&mut self, uids: impl IntoIterator<Item = u32>) -> Vec<Summary> {
        let keys: Vec<Key> = uids
            .into_iter()
            .filter_map(|u| self.dates.remove(&u).map(|d| Key::new(d, u)))
            .collect();
        self.sorted.remove_many(keys)
    }

    pub(crate) fn clear(&mut self) {
        let visited = self.sorted.visited();
        *self = Rows::default();
        self.sorted.visited.set(visited);
    }
}

impl Index<usize> for Rows {
    type Output = Summary;

    /// Panics past the end, as a slice does.
    fn index(&self, i: usize) -> &Summary {
        match self.get(i) {
            Some(s) => s,
            None => panic!("row {i} of {}", self.len()),
        }
    }
}

impl<'a> IntoIterator for &'a Rows {
    type Item = &'a Summary;
    type IntoIter = std::iter::Flatten<std::slice::Iter<'a, Vec<Summary>>>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Fields;

    fn row(uid: u32, date: i64) -> Summary {
        Summary::new(Fields {
            uid,
            internal_date: date,
            ..Fields::default()
        })
    }

    fn uids(r: &Rows) -> Vec<u32> {
        r.iter().map(|s| s.uid).collect()
    }

    #[test]
    fn blocks_hold_at_most_twice_their_rows_however_they_grew() {
        // A newest-first sync: each batch older than all held, its rows in UID order (as the
        // sync hands them over) or the reverse; then new mail at the top.
        for ascending in [true, false] {
            let mut r = Rows::default();
            r.insert_many((9000..10_000).map(|u| row(u, i64::from(u))).collect());
            for batch in (0..9u32).rev() {
                let mut uids: Vec<u32> = (batch * 1000..batch * 1000 + 1000).collect();
                if !ascending {
                    uids.reverse();
                }
                r.insert_many(uids.into_iter().map(|u| row(u, i64::from(u))).collect());
            }
            r.insert_many((20_000..20_300).map(|u| row(u, i64::from(u))).collect());
            let capacity: usize = r.sorted.blocks.iter().map(Vec::capacity).sum();
            assert!(
                capacity <= 2 * r.len() + MAX_BLOCK,
                "ascending {ascending}: {capacity} slots for {} rows",
                r.len()
            );
        }
    }

    #[test]
    fn rows_stay_newest_first_across_blocks_and_find_their_place() {
        let mut r = Rows::default();
        // Newest first in batches (each older than the last), then new mail on top.
        for batch in (0..20u32).rev() {
            r.insert_many(
                (batch * 100..batch * 100 + 100)
                    .map(|u| row(u, i64::from(u)))
                    .collect(),
            );
        }
        r.insert_many(vec![row(5000, 5000), row(4000, 4000)]);
        let want: Vec<u32> = [5000, 4000].into_iter().chain((0..2000).rev()).collect();
        assert_eq!(uids(&r), want);
        assert!(r.sorted.blocks.len() > 2, "{}", r.sorted.blocks.len());
        for (i, &u) in want.iter().enumerate() {
            assert_eq!(r.get(i).map(|s| s.uid), Some(u));
            assert_eq!(r.index_of(u), Some(i));
        }
        assert_eq!(r.get(want.len()), None);
        let gone = r.remove_many([5000, 0, 1234, 99_999]);
        assert_eq!(gone.len(), 3);
        assert_eq!(r.len(), 1999);
        assert_eq!(r.index_of(1234), None);
        assert_eq!(r[0].uid, 4000);
        assert_eq!(r[1998].uid, 1);
        r.clear();
        assert!(r.is_empty() && r.get(0).is_none());
    }
}
