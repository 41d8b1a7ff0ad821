//! Threads kept incrementally against threading from scratch: after every step of a random
//! interleaving of batches (the newest first, then older; new mail; replaced rows with other
//! headers), flag and keyword updates, expunges, team views and filters, with threads on, the
//! column shows exactly what `mail::thread::display_order` over all its rows gives (same
//! order, same depths), narrowed as the column is. The headers are drawn from a small pool of
//! IDs, so duplicate Message-IDs, phantoms, References cycles and links between threads come
//! often.

use std::collections::HashSet;

use super::Column;
use crate::config::View;
use crate::imap::sync::FlagUpdate;
use crate::mail::snooze::WakeTimes;
use crate::mail::thread;
use crate::message::{Fields, Keywords, Summary};
use crate::triage::view::RowState;

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
}

const HEIGHT: usize = 7;
const NOW: i64 = 1_800_000_000;
const VIEWS: [View; 4] = [View::All, View::Open, View::Mine, View::Done];

/// An ID from a pool of `pool` (written in one of the forms headers use), or a fresh one.
fn id(rng: &mut Rng, pool: usize, uid: u32) -> String {
    let n = if rng.chance(30) {
        format!("u{uid}")
    } else {
        format!("m{}", rng.below(pool))
    };
    match rng.below(3) {
        0 => format!("<{n}@x>"),
        1 => format!(" {n}@x "),
        _ => format!("{n}@x"),
    }
}

fn keywords(rng: &mut Rng) -> Vec<String> {
    let mut k = Vec::new();
    if rng.chance(30) {
        k.push("$assigned.alice".to_string());
    }
    if rng.chance(25) {
        k.push("$done".to_string());
    }
    k
}

fn summary(rng: &mut Rng, pool: usize, uid: u32, date: i64) -> Summary {
    let message_id = (!rng.chance(10)).then(|| id(rng, pool, uid));
    let in_reply_to = if rng.chance(50) {
        vec![id(rng, pool, uid)]
    } else {
        vec![]
    };
    let references = (0..rng.below(5)).map(|_| id(rng, pool, uid)).collect();
    let mut s = Summary::new(Fields {
        uid,
        internal_date: date,
        subject: if rng.chance(30) { "Invoice" } else { "hello" }.to_string(),
        message_id,
        in_reply_to,
        references,
        keywords: keywords(rng),
        ..Fields::default()
    });
    s.flags.seen = rng.chance(50);
    s
}

/// What the column should show, from scratch: every row threaded, then narrowed.
fn expected(rows: &[Summary], view: View, filter: Option<&str>) -> Vec<(u32, u8)> {
    let mut rows: Vec<&Summary> = rows.iter().collect();
    rows.sort_by_key(|s| std::cmp::Reverse((s.internal_date, s.uid)));
    thread::display_order(&rows)
        .into_iter()
        .map(|(i, d)| (rows[i], d))
        .filter(|(s, _)| {
            filter.is_none_or(|f| super::row_matches(s, f))
                && RowState::of(s, Some("alice"), NOW, &WakeTimes::new()).shown_in(view)
        })
        .map(|(s, d)| (s.uid, d))
        .collect()
}

fn shown(c: &Column) -> Vec<(u32, u8)> {
    (0..c.shown_len())
        .map(|i| (c.shown(i).map_or(0, |s| s.uid), c.depth(i)))
        .collect()
}

/// Equal, or the first place where they differ (a big column is not printed whole).
fn same(got: &[(u32, u8)], want: &[(u32, u8)], at: &str) {
    if let Some(i) = (0..got.len().max(want.len())).find(|&i| got.get(i) != want.get(i)) {
        let near = |v: &[(u32, u8)]| v[i.saturating_sub(3)..(i + 4).min(v.len())].to_vec();
        panic!(
            "{at}: shown differs at {i} of {}/{}: got {:?}, want {:?}",
            got.len(),
            want.len(),
            near(got),
            near(want)
        );
    }
}

fn run(seed: u64, steps: usize, pool: usize) {
    let mut rng = Rng(seed);
    let mut c = Column::new(0, "shared");
    c.agent = Some("alice".to_string());
    c.set_now(NOW, HEIGHT);
    c.set_threaded(true, HEIGHT);
    let mut rows: Vec<Summary> = Vec::new();
    let (mut view, mut filter) = (View::All, None::<String>);
    let mut next_uid = 1u32;
    let (mut oldest, mut newest) = (NOW, NOW);
    for step in 0..steps {
        let uids: Vec<u32> = rows.iter().map(|s| s.uid).collect();
        let what = match rng.below(16) {
            0..=6 => {
                let k = if rng.chance(5) {
                    20 + rng.below(40)
                } else {
                    1 + rng.below(8)
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
                    batch.push(summary(&mut rng, pool, next_uid, date));
                    next_uid += 1;
                }
                // Replaced rows: same arrival time, headers that may link other threads.
                for _ in 0..rng.below(3) {
                    if uids.is_empty() {
                        break;
                    }
                    let uid = uids[rng.below(uids.len())];
                    let date = rows
                        .iter()
                        .find(|s| s.uid == uid)
                        .map_or(NOW, |s| s.internal_date);
                    batch.push(summary(&mut rng, pool, uid, date));
                }
                let mut seen = HashSet::new();
                for s in batch.iter().rev() {
                    if seen.insert(s.uid) {
                        rows.retain(|r| r.uid != s.uid);
                        rows.push(s.clone());
                    }
                }
                c.add_rows(batch, HEIGHT);
                "batch"
            }
            7..=9 => {
                let mut updates = Vec::new();
                for _ in 0..1 + rng.below(3) {
                    if uids.is_empty() {
                        break;
                    }
                    let uid = uids[rng.below(uids.len())];
                    let keywords = keywords(&mut rng);
                    if let Some(r) = rows.iter_mut().find(|s| s.uid == uid) {
                        r.keywords = Keywords::new(&keywords);
                        updates.push(FlagUpdate {
                            uid,
                            flags: r.flags,
                            keywords,
                            modseq: None,
                        });
                    }
                }
                c.apply_flags(updates, HEIGHT);
                "flags"
            }
            10..=12 => {
                let gone: Vec<u32> = (0..1 + rng.below(4))
                    .filter(|_| !uids.is_empty())
                    .map(|_| uids[rng.below(uids.len())])
                    .collect();
                rows.retain(|s| !gone.contains(&s.uid));
                c.remove(&gone, HEIGHT);
                "expunge"
            }
            13 => {
                view = VIEWS[rng.below(VIEWS.len())];
                c.set_team_view(view, HEIGHT);
                "view"
            }
            14 => {
                filter = rng.chance(50).then(|| "invoice".to_string());
                c.filter.clone_from(&filter);
                c.refilter(HEIGHT);
                "filter"
            }
            _ => {
                let i = rng.below(c.shown_len() + 1);
                c.select(i, HEIGHT);
                "select"
            }
        };
        let at = format!("seed {seed:#x} step {step} ({what})");
        let want = expected(&rows, view, filter.as_deref());
        same(&shown(&c), &want, &at);
        for (i, &(uid, _)) in want.iter().enumerate() {
            assert_eq!(c.position_of(uid), Some(i), "{at}: place of {uid}");
        }
        assert!(c.selected < want.len().max(1), "{at}: selection");
    }
}

#[test]
fn threads_kept_incrementally_match_threading_from_scratch_after_random_interleavings() {
    for seed in 1..=9u64 {
        // A small pool links and loops a lot; a big one makes many small threads, which a
        // row joins and an expunge splits.
        let pool = [12, 80, 600][seed as usize % 3];
        run(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15), 250, pool);
    }
}

/// Row `uid` of a big threaded column: conversations of three (a root, its reply, the reply
/// to that), each with its own IDs.
fn conversation_row(uid: u32, date: i64) -> Summary {
    let conv = uid / 3;
    let id = |n: u32| format!("c{conv}.{n}@x");
    let n = uid % 3;
    Summary::new(Fields {
        uid,
        internal_date: date,
        message_id: Some(id(n)),
        in_reply_to: if n == 0 { vec![] } else { vec![id(n - 1)] },
        references: (0..n).map(id).collect(),
        ..Fields::default()
    })
}

#[test]
fn a_batch_rethreads_only_the_threads_it_joins_not_the_column() {
    const N: u32 = 30_000;
    let mut c = Column::new(0, "shared");
    c.set_now(NOW, HEIGHT);
    c.set_threaded(true, HEIGHT);
    // The sync: newest first, in batches.
    let mut top = N;
    while top > 0 {
        let low = top.saturating_sub(3_000);
        c.add_rows(
            (low..top)
                .rev()
                .map(|u| conversation_row(u, i64::from(u)))
                .collect(),
            HEIGHT,
        );
        top = low;
    }
    assert_eq!(c.shown_len(), N as usize);
    // Ten rows: replies to old conversations (which move to the top), new conversations,
    // and one replaced row.
    let reply = |conv: u32, uid: u32| {
        let id = |n: u32| format!("c{conv}.{n}@x");
        Summary::new(Fields {
            uid,
            internal_date: i64::from(uid),
            message_id: Some(format!("r{uid}@x")),
            in_reply_to: vec![id(2)],
            references: (0..3).map(id).collect(),
            ..Fields::default()
        })
    };
    let mut batch: Vec<Summary> = (0..4u32)
        .map(|i| conversation_row(3 * (N + 100 + i), i64::from(N + i)))
        .collect();
    batch.extend((0..5u32).map(|i| reply(i * 1_667 + 1, N + 10 + i)));
    batch.push(conversation_row(12_345, 12_345));
    let before = c.visited();
    c.add_rows(batch, HEIGHT);
    let used = c.visited() - before;
    // Each row: a few binary searches and the block it lands in, and its thread's rows.
    assert!(used < 10 * 300, "a batch of 10 visited {used}");
    let rows: Vec<Summary> = c.rows.iter().cloned().collect();
    same(&shown(&c), &expected(&rows, View::All, None), "batch");
    // The replies brought their conversations to the top: the newest first, at depth 3.
    let top: Vec<(u32, u8)> = shown(&c).into_iter().take(4).collect();
    let conv = 4 * 1_667 + 1;
    assert_eq!(
        top,
        [
            (3 * conv, 0),
            (3 * conv + 1, 1),
            (3 * conv + 2, 2),
            (N + 14, 3)
        ]
    );

    // Flag changes while a view narrows the column: only their threads are looked at.
    c.set_team_view(View::Open, HEIGHT);
    let before = c.visited();
    let updates = (0..10u32)
        .map(|i| FlagUpdate {
            uid: 1_000 + i * 2_001,
            flags: Default::default(),
            keywords: vec!["$done".to_string()],
            modseq: None,
        })
        .collect();
    c.apply_flags(updates, HEIGHT);
    let used = c.visited() - before;
    assert!(used < 10 * 300, "10 flag updates visited {used}");
    assert_eq!(c.shown_len(), N as usize + 9 - 10);

    // Expunges: their threads only.
    let before = c.visited();
    c.remove(
        &(0..10u32).map(|i| 7 + i * 2_999).collect::<Vec<_>>(),
        HEIGHT,
    );
    let used = c.visited() - before;
    assert!(used < 10 * 300, "10 expunges visited {used}");
    let rows: Vec<Summary> = c.rows.iter().cloned().collect();
    same(&shown(&c), &expected(&rows, View::Open, None), "expunge");
}
