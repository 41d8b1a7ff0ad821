//! Threading by Message-ID / In-Reply-To / References: ordinary conversations, and headers
//! crafted to loop, repeat or nest without end (PROTOCOL.md "Pitfalls").
//!
//! The timing test is ignored by default; run it in release:
//! `cargo test --release --test mail mail_threads:: -- --ignored --nocapture`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use mailroom::mail::thread::{MAX_DEPTH, ThreadRow, Threads, display_order, threads};
use mailroom::message::{Fields, Summary};

fn msg(uid: u32, id: &str, irt: &[&str], refs: &[&str]) -> Summary {
    Summary::new(Fields {
        uid,
        internal_date: 1_700_000_000 + i64::from(uid) * 60,
        message_id: (!id.is_empty()).then(|| id.to_string()),
        in_reply_to: irt.iter().map(|s| s.to_string()).collect(),
        references: refs.iter().map(|s| s.to_string()).collect(),
        subject: format!("message {uid}"),
        ..Fields::default()
    })
}

/// (uid, depth) in display order.
fn shape(rows: &[Summary]) -> Vec<(u32, u8)> {
    let t = threads(rows);
    check(rows, &t);
    t.order.iter().map(|r| (rows[r.row].uid, r.depth)).collect()
}

/// Every invariant a caller may rely on, whatever the input.
fn check(rows: &[Summary], t: &Threads) {
    // Every row exactly once.
    assert_eq!(t.order.len(), rows.len());
    let mut seen = vec![false; rows.len()];
    for r in &t.order {
        assert!(!seen[r.row], "row {} twice", r.row);
        seen[r.row] = true;
        assert!(r.depth <= MAX_DEPTH);
    }
    // Threads tile the order, none empty, each starting at depth 0.
    let mut next = 0;
    for span in &t.threads {
        assert_eq!(span.start, next);
        assert!(span.end > span.start);
        assert_eq!(t.order[span.start].depth, 0, "thread starts indented");
        // Depth-first: depth grows by at most one from one row to the next.
        for w in t.order[span.clone()].windows(2) {
            assert!(
                w[1].depth <= w[0].depth.saturating_add(1),
                "{:?} after {:?}",
                w[1],
                w[0]
            );
        }
        next = span.end;
    }
    assert_eq!(next, t.order.len());
    // Newest thread first.
    let newest: Vec<(i64, u32)> = t
        .threads
        .iter()
        .map(|s| {
            t.order[s.clone()]
                .iter()
                .map(|r| (rows[r.row].internal_date, rows[r.row].uid))
                .max()
                .unwrap_or_default()
        })
        .collect();
    for w in newest.windows(2) {
        assert!(w[0] >= w[1], "threads out of order: {newest:?}");
    }
    // The flat form agrees.
    let flat = display_order(rows);
    assert_eq!(
        flat,
        t.order.iter().map(|r| (r.row, r.depth)).collect::<Vec<_>>()
    );
}

#[test]
fn empty_and_single() {
    assert_eq!(threads(&[]), Threads::default());
    assert_eq!(shape(&[msg(1, "a@x", &[], &[])]), vec![(1, 0)]);
    // No Message-ID at all.
    assert_eq!(shape(&[msg(1, "", &[], &[])]), vec![(1, 0)]);
}

#[test]
fn a_conversation_nests_in_arrival_order() {
    let rows = vec![
        msg(1, "root@x", &[], &[]),
        msg(2, "r1@x", &["root@x"], &["root@x"]),
        msg(3, "r2@x", &["root@x"], &["root@x"]),
        msg(4, "r1a@x", &["r1@x"], &["root@x", "r1@x"]),
        msg(5, "other@x", &[], &[]),
    ];
    // "other" (UID 5) is newer than the conversation's newest message (UID 4).
    assert_eq!(shape(&rows), vec![(5, 0), (1, 0), (2, 1), (4, 2), (3, 1)]);
    // A new reply brings its thread to the top.
    let mut rows = rows;
    rows.push(msg(6, "r3@x", &["r2@x"], &["root@x", "r2@x"]));
    assert_eq!(
        shape(&rows),
        vec![(1, 0), (2, 1), (4, 2), (3, 1), (6, 2), (5, 0)]
    );
}

#[test]
fn input_order_does_not_matter_for_ordinary_threads() {
    let rows = vec![
        msg(4, "r1a@x", &["r1@x"], &["root@x", "r1@x"]),
        msg(3, "r2@x", &["root@x"], &["root@x"]),
        msg(1, "root@x", &[], &[]),
        msg(2, "r1@x", &["root@x"], &["root@x"]),
    ];
    assert_eq!(shape(&rows), vec![(1, 0), (2, 1), (4, 2), (3, 1)]);
}

#[test]
fn brackets_and_space_in_ids_are_ignored() {
    let rows = vec![
        msg(1, "<root@x>", &[], &[]),
        msg(2, "r@x", &[" <root@x> "], &[]),
    ];
    assert_eq!(shape(&rows), vec![(1, 0), (2, 1)]);
}

#[test]
fn references_alone_thread_and_missing_parents_group_siblings() {
    // The root is not in this mailbox (it went to another folder): its replies still form one
    // thread, at depth 0, and a reply to a reply nests under it.
    let rows = vec![
        msg(10, "a@x", &[], &["gone@x"]),
        msg(11, "b@x", &[], &["gone@x"]),
        msg(12, "c@x", &[], &["gone@x", "a@x"]),
        msg(13, "lonely@x", &[], &[]),
    ];
    assert_eq!(shape(&rows), vec![(13, 0), (10, 0), (12, 1), (11, 0)]);
    let t = threads(&rows);
    assert_eq!(t.threads.len(), 2);
}

#[test]
fn a_missing_middle_message_does_not_count_as_a_level() {
    let rows = vec![
        msg(1, "root@x", &[], &[]),
        // Its parent "mid@x" is missing; References give the chain root → mid → this.
        msg(2, "leaf@x", &["mid@x"], &["root@x", "mid@x"]),
    ];
    assert_eq!(shape(&rows), vec![(1, 0), (2, 1)]);
}

#[test]
fn in_reply_to_wins_over_stale_references() {
    let rows = vec![
        msg(1, "root@x", &[], &[]),
        msg(2, "r1@x", &["root@x"], &["root@x"]),
        // References stop at root (a client that does not update them), In-Reply-To is r1.
        msg(3, "r2@x", &["r1@x"], &["root@x"]),
    ];
    assert_eq!(shape(&rows), vec![(1, 0), (2, 1), (3, 2)]);
}

#[test]
fn self_references_are_ignored() {
    let rows = vec![
        msg(1, "me@x", &["me@x"], &["me@x", "me@x"]),
        msg(2, "you@x", &["you@x", "me@x"], &["you@x"]),
    ];
    // "you" names itself first, then "me": the first ID that is not its own is the parent.
    assert_eq!(shape(&rows), vec![(1, 0), (2, 1)]);
    // Only itself, in every header.
    let rows = vec![msg(1, "me@x", &["me@x"], &["me@x"])];
    assert_eq!(shape(&rows), vec![(1, 0)]);
}

#[test]
fn reply_loops_are_cut() {
    // Two messages naming each other as parent.
    let rows = vec![msg(1, "a@x", &["b@x"], &[]), msg(2, "b@x", &["a@x"], &[])];
    let s = shape(&rows);
    assert_eq!(s.len(), 2);
    assert_eq!(threads(&rows).threads.len(), 1);
    // A three-cycle, and a cycle with a tail hanging off it.
    let rows = vec![
        msg(1, "a@x", &["c@x"], &["b@x", "c@x"]),
        msg(2, "b@x", &["a@x"], &["c@x", "a@x"]),
        msg(3, "c@x", &["b@x"], &["a@x", "b@x"]),
        msg(4, "tail@x", &["b@x"], &["a@x", "b@x"]),
    ];
    let t = threads(&rows);
    check(&rows, &t);
    assert_eq!(t.threads.len(), 1);
}

#[test]
fn crafted_reference_loops_and_repeats_are_harmless() {
    // One References header that loops: x y x y …, and one with the message itself inside.
    let mut refs = Vec::new();
    for _ in 0..500 {
        refs.push("x@loop");
        refs.push("y@loop");
    }
    let rows = vec![
        msg(1, "x@loop", &[], &["y@loop", "x@loop"]),
        msg(2, "y@loop", &[], &["x@loop", "y@loop"]),
        msg(3, "z@loop", &[], &refs),
        msg(4, "w@loop", &[], &["x@loop", "w@loop", "x@loop", "w@loop"]),
    ];
    let t = threads(&rows);
    check(&rows, &t);
    assert_eq!(t.threads.len(), 1, "{t:?}");
}

#[test]
fn duplicate_message_ids_are_kept_apart() {
    let rows = vec![
        msg(1, "dup@x", &[], &[]),
        msg(2, "dup@x", &[], &[]),
        msg(3, "dup@x", &["dup@x"], &["dup@x"]),
        msg(4, "reply@x", &["dup@x"], &["dup@x"]),
    ];
    let s = shape(&rows);
    assert_eq!(s.len(), 4);
    // The first row with the ID owns it: replies nest under UID 1. UID 3 names its own ID as
    // parent, which is ignored: it stands alone.
    let t = threads(&rows);
    let first = t
        .threads
        .iter()
        .find(|s| rows[t.order[s.start].row].uid == 1);
    let Some(span) = first else {
        panic!("no thread starts at UID 1: {s:?}")
    };
    let members: Vec<u32> = t.order[span.clone()]
        .iter()
        .map(|r| rows[r.row].uid)
        .collect();
    assert_eq!(members, vec![1, 4]);
    assert_eq!(t.threads.len(), 3);
}

#[test]
fn every_row_has_the_same_id_and_names_it_as_parent() {
    let rows: Vec<Summary> = (1..=2000)
        .map(|i| msg(i, "same@x", &["same@x"], &["same@x", "same@x"]))
        .collect();
    let t = threads(&rows);
    check(&rows, &t);
}

#[test]
fn a_chain_of_100k_replies_neither_recurses_nor_indents_without_end() {
    let n = 100_000u32;
    let ids: Vec<String> = (0..n).map(|i| format!("m{i}@chain")).collect();
    let rows: Vec<Summary> = (0..n)
        .map(|i| {
            let mut s = msg(i + 1, &ids[i as usize], &[], &[]);
            if i > 0 {
                s.edit_text(|f| f.in_reply_to = vec![ids[i as usize - 1].clone()]);
                // References as a real client writes them: the root and the newest ones.
                let from = i.saturating_sub(20);
                s.edit_text(|f| {
                    f.references = std::iter::once(ids[0].clone())
                        .chain((from.max(1)..i).map(|j| ids[j as usize].clone()))
                        .collect()
                });
            }
            s
        })
        .collect();
    let t = threads(&rows);
    check(&rows, &t);
    assert_eq!(t.threads.len(), 1);
    let depths: Vec<u8> = t.order.iter().map(|r| r.depth).collect();
    assert_eq!(&depths[..4], &[0, 1, 2, 3]);
    assert_eq!(depths[usize::from(MAX_DEPTH)], MAX_DEPTH);
    assert_eq!(*depths.last().unwrap_or(&0), MAX_DEPTH);
    // And the chain stays in order.
    assert!(t.order.iter().enumerate().all(|(i, r)| r.row == i));
}

#[test]
fn a_reversed_deep_chain_through_references_only() {
    // Each message's References list the whole chain so far (capped by the threader), and
    // rows arrive newest first.
    let n = 1000usize;
    let ids: Vec<String> = (0..n).map(|i| format!("d{i}@x")).collect();
    let rows: Vec<Summary> = (0..n)
        .rev()
        .map(|i| {
            let refs: Vec<&str> = ids[..i].iter().map(String::as_str).collect();
            msg(i as u32 + 1, &ids[i], &[], &refs)
        })
        .collect();
    let t = threads(&rows);
    check(&rows, &t);
    assert_eq!(t.threads.len(), 1);
}

#[test]
fn huge_reference_lists_are_bounded() {
    let refs: Vec<String> = (0..100_000).map(|i| format!("r{i}@x")).collect();
    let refs: Vec<&str> = refs.iter().map(String::as_str).collect();
    let rows = vec![
        msg(1, "a@x", &[], &refs),
        msg(2, "b@x", &[], &refs),
        msg(3, "r0@x", &[], &[]),
    ];
    let started = Instant::now();
    let t = threads(&rows);
    check(&rows, &t);
    // Only the newest references are used: the two share a missing parent, r0 stands apart.
    assert_eq!(t.threads.len(), 2);
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[test]
fn empty_and_garbage_ids() {
    let rows = vec![
        msg(1, "<>", &["<>", ""], &["", " ", "<>"]),
        msg(2, " ", &[""], &[]),
        msg(3, "ok@x", &["<>"], &[]),
        msg(4, "\u{0}\u{1b}[2J", &["\u{0}\u{1b}[2J"], &[]),
    ];
    let s = shape(&rows);
    assert_eq!(s.len(), 4);
    assert!(s.iter().all(|&(_, d)| d == 0), "{s:?}");
}

/// A small xorshift, so the hostile mix below is the same in every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

#[test]
fn random_hostile_graphs_keep_every_invariant() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for round in 0..300 {
        let n = 1 + rng.below(60) as usize;
        let pool = 1 + rng.below(40);
        let id = |rng: &mut Rng| format!("p{}@x", rng.below(pool));
        let rows: Vec<Summary> = (0..n)
            .map(|i| {
                let own = if rng.below(8) == 0 {
                    String::new()
                } else {
                    id(&mut rng)
                };
                let irt: Vec<String> = (0..rng.below(3)).map(|_| id(&mut rng)).collect();
                let refs: Vec<String> = (0..rng.below(8)).map(|_| id(&mut rng)).collect();
                Summary::new(Fields {
                    uid: i as u32 + 1,
                    // Dates collide and run backwards on purpose.
                    internal_date: rng.below(20) as i64,
                    message_id: (!own.is_empty()).then_some(own),
                    in_reply_to: irt,
                    references: refs,
                    ..Fields::default()
                })
            })
            .collect();
        let t = threads(&rows);
        check(&rows, &t);
        // Same input, same answer.
        assert_eq!(threads(&rows), t, "round {round}");
    }
}

/// 100,000 rows shaped like a support mailbox: most messages alone, some threads of 2–30
/// with References as clients write them, a few replies to messages not in the mailbox.
fn realistic(n: u32) -> Vec<Summary> {
    let mut rng = Rng(42);
    let mut rows = Vec::with_capacity(n as usize);
    let mut open: Vec<Vec<String>> = Vec::new();
    for uid in 1..=n {
        let id = format!("{uid}.{:x}@mail.customer{}.test", rng.next(), uid % 97);
        let mut s = msg(uid, &id, &[], &[]);
        let roll = rng.below(100);
        if roll < 35 && !open.is_empty() {
            let t = rng.below(open.len() as u64) as usize;
            let chain = &mut open[t];
            let parent_at = rng.below(chain.len() as u64) as usize;
            s.edit_text(|f| f.in_reply_to = vec![chain[parent_at].clone()]);
            s.edit_text(|f| f.references = chain[..=parent_at].to_vec());
            chain.push(id.clone());
            if chain.len() > 30 {
                open.swap_remove(t);
            }
        } else if roll < 38 {
            s.edit_text(|f| f.in_reply_to = vec![format!("missing{uid}@elsewhere.test")]);
            s.edit_text(|f| f.references = f.in_reply_to.clone());
        } else {
            open.push(vec![id]);
            if open.len() > 2000 {
                open.remove(0);
            }
        }
        rows.push(s);
    }
    rows
}

#[test]
fn realistic_mailbox_threads_consistently() {
    let rows = realistic(20_000);
    let t = threads(&rows);
    check(&rows, &t);
    assert!(t.threads.len() < rows.len());
    // Every reply whose parent is present sits after it, one level deeper (below the cap).
    let pos: HashMap<usize, usize> = t
        .order
        .iter()
        .enumerate()
        .map(|(i, r)| (r.row, i))
        .collect();
    let by_id: HashMap<&str, usize> = rows
        .iter()
        .enumerate()
        .filter_map(|(i, r)| Some((r.message_id()?, i)))
        .collect();
    for (i, r) in rows.iter().enumerate() {
        if let Some(p) = r.in_reply_to().first().and_then(|p| by_id.get(p)) {
            let (pi, ci) = (pos[p], pos[&i]);
            assert!(pi < ci);
            let (pd, cd) = (t.order[pi].depth, t.order[ci].depth);
            assert_eq!(cd, (pd + 1).min(MAX_DEPTH));
        }
    }
}

#[test]
#[ignore = "timing: run in release with --ignored"]
fn threads_100k_rows_well_under_a_second() {
    let rows = realistic(100_000);
    // Warm up allocator and caches once, then take the best of three.
    let _ = threads(&rows);
    let mut best = Duration::MAX;
    let mut t = Threads::default();
    for _ in 0..3 {
        let started = Instant::now();
        t = threads(&rows);
        best = best.min(started.elapsed());
    }
    check(&rows, &t);
    println!(
        "threaded {} rows into {} threads in {:.1} ms",
        rows.len(),
        t.threads.len(),
        best.as_secs_f64() * 1000.0
    );
    assert!(best < Duration::from_millis(500), "{best:?}");
    let _: &[ThreadRow] = &t.order;
}
