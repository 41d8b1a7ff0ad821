//! Conversation threads from Message-ID, In-Reply-To and References: a simplified JWZ
//! threader (<https://www.jwz.org/doc/threading.html>) that is safe on hostile headers.
//!
//! Pure: rows in, display order out. The input is untrusted (PROTOCOL.md "Pitfalls": crafted
//! References cycles overflowed other clients' stacks), so:
//! - nothing recurses: every walk uses an explicit stack or a loop bounded by the row count;
//! - cycles (a References loop, a message naming itself or its own reply as parent) are cut
//!   in one linear pass after linking, so the result is always a forest;
//! - duplicate Message-IDs, and IDs repeated within one References list, are harmless: the
//!   first row with an ID owns it, a later row with the same ID threads as a sibling;
//! - the depth reported for display is capped at [`MAX_DEPTH`]; a 100,000-message reply
//!   chain threads fine, its tail is just drawn at the cap;
//! - cost is O(n log n) in rows plus O(total references), with at most
//!   [`MAX_REFERENCES_USED`] references taken per row.
//!
//! Simplifications against JWZ: no grouping by subject (a reply without headers starts its own
//! thread, which is honest), and messages whose parent is missing from the mailbox are grouped
//! under that missing parent (an invisible "phantom") but drawn one level up, so siblings of a
//! missing root stay together at depth 0.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::ops::Range;

use crate::message::Summary;

/// The deepest indentation reported; deeper replies are shown at this depth.
pub const MAX_DEPTH: u8 = 32;
/// At most this many References of one row are used (the newest ones): enough for any real
/// thread, and a bound on the work a crafted header can cause.
pub const MAX_REFERENCES_USED: usize = 128;

/// One row in display order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThreadRow {
    /// Index into the rows given to [`threads`].
    pub row: usize,
    /// Replies above it within its thread (missing messages do not count), at most
    /// [`MAX_DEPTH`].
    pub depth: u8,
}

/// The threads of a list of rows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Threads {
    /// Every row exactly once: threads newest first (by their newest message), each thread
    /// depth first with replies in arrival order (oldest first).
    pub order: Vec<ThreadRow>,
    /// The span of `order` each thread takes, in the same order; never empty.
    pub threads: Vec<Range<usize>>,
}

const NONE: u32 = u32::MAX;

/// One message, or a message that is referenced but not among the rows (a phantom).
#[derive(Clone, Copy)]
struct Node {
    /// Index into the rows, or `NONE` for a phantom.
    row: u32,
    parent: u32,
}

/// Builds threads. Rows are ordered by INTERNALDATE (then UID, then position) within a
/// thread and threads by their newest message, so the result depends only on the rows.
///
/// Rows beyond `u32::MAX - 1` (far past any mailbox) are not threaded: each becomes a thread
/// of its own, at the end.
pub fn threads(rows: &[Summary]) -> Threads {
    threads_of(rows)
}

/// [`threads`] of rows given as summaries or references to them (a column's rows are not
/// one slice).
pub fn threads_of<S: Borrow<Summary>>(rows: &[S]) -> Threads {
    let n = rows.len().min(NONE as usize - 1);
    let mut nodes: Vec<Node> = Vec::with_capacity(n + n / 2);
    // Message-ID → node. IDs borrow from the rows: no copies.
    let mut by_id: HashMap<&str, u32> = HashMap::with_capacity(n + n / 2);

    // 1. One node per row; the first row carrying an ID owns it.
    for (i, r) in rows.iter().map(summary).enumerate().take(n) {
        let idx = nodes.len() as u32;
        nodes.push(Node {
            row: i as u32,
            parent: NONE,
        });
        if let Some(id) = id_of(r.message_id()) {
            by_id.entry(id).or_insert(idx);
        }
    }

    // 2. Each message's own parent, from its own headers: authoritative, so set first.
    //    In-Reply-To names the direct parent; References' last entry is the fallback.
    for (i, r) in rows.iter().map(summary).enumerate().take(n) {
        let own = id_of(r.message_id());
        let refs: Vec<&str> = r.references().collect();
        let refs = newest_refs(&refs);
        let parent = r
            .in_reply_to()
            .iter()
            .filter_map(|s| id_of(Some(s)))
            .find(|&p| Some(p) != own)
            .or_else(|| {
                refs.iter()
                    .rev()
                    .filter_map(|s| id_of(Some(s)))
                    .find(|&p| Some(p) != own)
            });
        if let Some(p) = parent
            && let Some(pi) = node_for(p, &mut by_id, &mut nodes)
        {
            nodes[i].parent = pi;
        }
    }

    // 3. The chain each References list describes, for nodes with no parent yet: this links
    //    phantoms (and header-less messages) to their ancestors. First claim wins.
    for r in rows.iter().map(summary).take(n) {
        let mut prev: Option<u32> = None;
        let refs: Vec<&str> = r.references().collect();
        for &s in newest_refs(&refs) {
            let Some(id) = id_of(Some(s)) else { continue };
            let Some(cur) = node_for(id, &mut by_id, &mut nodes) else {
                break;
            };
            if let Some(p) = prev
                && p != cur
                && nodes[cur as usize].parent == NONE
            {
                nodes[cur as usize].parent = p;
            }
            prev = Some(cur);
        }
    }
    drop(by_id);

    // 4. Cut cycles: walk up from every node; meeting the walk's own path again is a cycle,
    //    broken at the node that closed it. Each node is walked once: O(nodes).
    break_cycles(&mut nodes);

    // 5. Children lists (CSR layout), each sorted by arrival, and roots.
    let key = |node: &Node, rank: &[(i64, u32, u32)], i: usize| -> (i64, u32, u32) {
        if node.row == NONE {
            rank[i]
        } else {
            let r = summary(&rows[node.row as usize]);
            (r.internal_date, r.uid, node.row)
        }
    };
    let count = nodes.len();
    let mut first_child = vec![0u32; count + 1];
    for node in &nodes {
        if node.parent != NONE {
            first_child[node.parent as usize + 1] += 1;
        }
    }
    for i in 0..count {
        first_child[i + 1] += first_child[i];
    }
    let mut fill = first_child.clone();
    let mut children = vec![0u32; first_child[count] as usize];
    let mut roots = Vec::new();
    for (i, node) in nodes.iter().enumerate() {
        if node.parent == NONE {
            roots.push(i as u32);
        } else {
            let slot = &mut fill[node.parent as usize];
            children[*slot as usize] = i as u32;
            *slot += 1;
        }
    }
    drop(fill);

    // A phantom sorts by its earliest descendant; a thread by its newest message. Computed
    // bottom-up over a breadth-first order (reversed, children come before parents).
    let mut bfs: Vec<u32> = Vec::with_capacity(count);
    bfs.extend_from_slice(&roots);
    let mut at = 0;
    while at < bfs.len() {
        let i = bfs[at] as usize;
        bfs.extend_from_slice(&children[first_child[i] as usize..first_child[i + 1] as usize]);
        at += 1;
    }
    let mut earliest = vec![(i64::MAX, u32::MAX, u32::MAX); count];
    let mut newest = vec![(i64::MIN, 0u32, 0u32); count];
    for &i in bfs.iter().rev() {
        let i = i as usize;
        let node = nodes[i];
        if node.row != NONE {
            let r = summary(&rows[node.row as usize]);
            let k = (r.internal_date, r.uid, node.row);
            earliest[i] = earliest[i].min(k);
            newest[i] = newest[i].max(k);
        }
        if node.parent != NONE {
            let p = node.parent as usize;
            earliest[p] = earliest[p].min(earliest[i]);
            newest[p] = newest[p].max(newest[i]);
        }
    }
    drop(bfs);
    for i in 0..count {
        let kids = &mut children[first_child[i] as usize..first_child[i + 1] as usize];
        if kids.len() > 1 {
            kids.sort_unstable_by_key(|&c| key(&nodes[c as usize], &earliest, c as usize));
        }
    }
    // Newest thread first.
    roots.sort_unstable_by(|&a, &b| newest[b as usize].cmp(&newest[a as usize]));

    // 6. Depth-first, with an explicit stack: (node, depth of its real children).
    let mut out = Threads {
        order: Vec::with_capacity(rows.len()),
        threads: Vec::new(),
    };
    let mut stack: Vec<(u32, u8)> = Vec::new();
    for &root in &roots {
        let start = out.order.len();
        stack.push((root, 0));
        while let Some((i, depth)) = stack.pop() {
            let node = nodes[i as usize];
            let child_depth = if node.row != NONE {
                out.order.push(ThreadRow {
                    row: node.row as usize,
                    depth,
                });
                depth.saturating_add(1).min(MAX_DEPTH)
            } else {
                depth
            };
            let kids =
                &children[first_child[i as usize] as usize..first_child[i as usize + 1] as usize];
            stack.extend(kids.iter().rev().map(|&c| (c, child_depth)));
        }
        if out.order.len() > start {
            out.threads.push(start..out.order.len());
        }
    }
    // Rows past the index space, should there ever be any: unthreaded, in input order.
    for row in n..rows.len() {
        out.threads.push(out.order.len()..out.order.len() + 1);
        out.order.push(ThreadRow { row, depth: 0 });
    }
    out
}

/// A row given to [`threads_of`].
fn summary<S: Borrow<Summary>>(s: &S) -> &Summary {
    s.borrow()
}

/// Display order as (row index, depth) pairs: [`threads`] flattened.
pub fn display_order<S: Borrow<Summary>>(rows: &[S]) -> Vec<(usize, u8)> {
    threads_of(rows)
        .order
        .into_iter()
        .map(|t| (t.row, t.depth))
        .collect()
}

/// Every ID threading reads from a row, as matched: its own Message-ID, its In-Reply-To and
/// the References it uses. Rows that share none of these, directly or through other rows,
/// never affect each other's threads: [`threads_of`] over a set of rows that holds every row
/// naming any of its IDs, given in the same relative order, threads them exactly as it does
/// among all the rows (ownership of an ID, first claims and the cut of a cycle all go by the
/// order of the rows naming its IDs). A column keeps its threads by such sets.
pub fn ids(row: &Summary) -> impl Iterator<Item = &str> {
    let refs: Vec<&str> = row.references().collect();
    let refs = newest_refs(&refs).to_vec();
    id_of(row.message_id())
        .into_iter()
        .chain(row.in_reply_to().filter_map(|s| id_of(Some(s))))
        .chain(refs.into_iter().filter_map(|s| id_of(Some(s))))
}

/// The node of `id`, created as a phantom when no row carries it. None only when the index
/// space has run out (absurd input), where linking stops.
fn node_for<'a>(
    id: &'a str,
    by_id: &mut HashMap<&'a str, u32>,
    nodes: &mut Vec<Node>,
) -> Option<u32> {
    if let Some(&i) = by_id.get(id) {
        return Some(i);
    }
    let idx = u32::try_from(nodes.len()).ok().filter(|&i| i != NONE)?;
    nodes.push(Node {
        row: NONE,
        parent: NONE,
    });
    by_id.insert(id, idx);
    Some(idx)
}

/// An ID as used for matching: surrounding space and angle brackets removed; None if empty.
fn id_of(id: Option<&str>) -> Option<&str> {
    let id = id?
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim();
    (!id.is_empty()).then_some(id)
}

/// The newest [`MAX_REFERENCES_USED`] references.
fn newest_refs<T>(refs: &[T]) -> &[T] {
    &refs[refs.len().saturating_sub(MAX_REFERENCES_USED)..]
}

/// Makes the parent links a forest. States: 0 unvisited, 1 on the current walk, 2 done.
fn break_cycles(nodes: &mut [Node]) {
    let mut state = vec![0u8; nodes.len()];
    let mut path: Vec<u32> = Vec::new();
    for start in 0..nodes.len() {
        if state[start] != 0 {
            continue;
        }
        let mut cur = start as u32;
        loop {
            state[cur as usize] = 1;
            path.push(cur);
            let p = nodes[cur as usize].parent;
            if p == NONE || state[p as usize] == 2 {
                break;
            }
            if state[p as usize] == 1 {
                // `cur`'s parent is already on this walk: the link closes a loop.
                nodes[cur as usize].parent = NONE;
                break;
            }
            cur = p;
        }
        for &i in &path {
            state[i as usize] = 2;
        }
        path.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Fields;

    fn row(uid: u32, id: &str, parent: &str) -> Summary {
        Summary::new(Fields {
            uid,
            internal_date: i64::from(uid),
            message_id: (!id.is_empty()).then(|| id.to_string()),
            in_reply_to: if parent.is_empty() {
                vec![]
            } else {
                vec![parent.to_string()]
            },
            ..Fields::default()
        })
    }

    #[test]
    fn mutual_parents_are_cut() {
        let rows = [row(1, "a", "b"), row(2, "b", "a")];
        let t = threads(&rows);
        assert_eq!(t.order.len(), 2);
        assert_eq!(t.threads.len(), 1);
    }

    #[test]
    fn ids_are_those_threading_reads_as_it_matches_them() {
        let mut refs: Vec<String> = (0..MAX_REFERENCES_USED + 2)
            .map(|i| format!("<r{i}>"))
            .collect();
        refs.push("  ".to_string());
        let s = Summary::new(Fields {
            message_id: Some(" <own@x> ".to_string()),
            in_reply_to: vec!["<p@x>".to_string(), "<>".to_string()],
            references: refs,
            ..Fields::default()
        });
        let ids: Vec<&str> = ids(&s).collect();
        assert_eq!(&ids[..3], ["own@x", "p@x", "r3"]);
        assert_eq!(ids.len(), 2 + MAX_REFERENCES_USED - 1);
        assert_eq!(ids.last(), Some(&"r129"));
    }

    #[test]
    fn id_forms_match() {
        assert_eq!(id_of(Some(" <a@b> ")), Some("a@b"));
        assert_eq!(id_of(Some("<>")), None);
        assert_eq!(id_of(None), None);
    }
}
