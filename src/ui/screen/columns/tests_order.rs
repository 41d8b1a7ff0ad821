//! A column in another order than date (`order`): after every step of a random interleaving
//! of batches, expunges, flag changes, filters, team views and order changes, it shows the same
//! rows as a twin column in date order, in its own order, and the selection follows its message.

use super::Column;
use crate::config::View;
use crate::imap::sync::FlagUpdate;
use crate::mail::sort::Sort;
use crate::message::{Address, Fields, Summary};

const HEIGHT: usize = 5;
const NAMES: [&str; 4] = ["carol", "Alice", "bob", "dave"];
const SUBJECTS: [&str; 4] = ["Invoice 7", "re: hello", "Lunch", "apples"];

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n.max(1) as u64) as usize
    }
}

fn row(rng: &mut Rng, uid: u32) -> Summary {
    let mut s = Summary::new(Fields {
        uid,
        internal_date: 1_000 + rng.below(50) as i64,
        subject: SUBJECTS[rng.below(4)].to_string(),
        from: vec![Address {
            name: Some(NAMES[rng.below(4)].to_string()),
            email: "x@example.test".to_string(),
        }],
        keywords: if rng.below(3) == 0 {
            vec!["$done".to_string()]
        } else {
            Vec::new()
        },
        ..Fields::default()
    });
    s.flags.seen = rng.below(2) == 0;
    s
}

fn uids(c: &Column) -> Vec<u32> {
    (0..c.shown_len())
        .filter_map(|i| c.shown(i).map(|s| s.uid))
        .collect()
}

fn check(sorted: &Column, date: &Column, step: usize) {
    let (mut a, mut b) = (uids(sorted), uids(date));
    assert_eq!(a.len(), sorted.shown_len(), "step {step}");
    let rows: Vec<&Summary> = (0..sorted.shown_len())
        .filter_map(|i| sorted.shown(i))
        .collect();
    assert!(
        rows.windows(2)
            .all(|w| sorted.sort.compare(w[0], w[1]).is_lt()),
        "step {step}: not in {} order: {a:?}",
        sorted.sort.name()
    );
    if let Some(i) = a
        .iter()
        .position(|&u| Some(u) == sorted.selected_row().map(|s| s.uid))
    {
        assert_eq!(i, sorted.selected, "step {step}");
    }
    a.sort_unstable();
    b.sort_unstable();
    assert_eq!(a, b, "step {step}: not the same rows shown");
}

#[test]
fn another_order_shows_the_date_orders_rows_in_its_own_order_through_every_change() {
    for seed in 1..=20u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let mut sorted = Column::new(0, "support");
        let mut date = Column::new(0, "support");
        sorted.set_sort(Sort::Sender, HEIGHT);
        let mut next_uid = 1;
        for step in 0..120 {
            let selected = sorted.selected_row().map(|s| s.uid);
            match rng.below(7) {
                0 | 1 => {
                    let n = 1 + rng.below(6);
                    let mut batch: Vec<Summary> = Vec::new();
                    for _ in 0..n {
                        // Mostly new rows, some replacing a row already there.
                        let uid = if next_uid > 1 && rng.below(4) == 0 {
                            1 + rng.below(next_uid as usize - 1) as u32
                        } else {
                            next_uid += 1;
                            next_uid - 1
                        };
                        batch.push(row(&mut rng, uid));
                    }
                    sorted.keeping_order(HEIGHT, |c| c.add_rows(batch.clone(), HEIGHT));
                    date.add_rows(batch, HEIGHT);
                    // A row still shown is still selected.
                    if let Some(uid) = selected
                        && uids(&sorted).contains(&uid)
                    {
                        assert_eq!(sorted.selected_row().map(|s| s.uid), Some(uid));
                    }
                }
                2 => {
                    let gone: Vec<u32> = (0..2)
                        .map(|_| 1 + rng.below(next_uid as usize) as u32)
                        .collect();
                    sorted.keeping_order(HEIGHT, |c| c.remove(&gone, HEIGHT));
                    date.remove(&gone, HEIGHT);
                }
                3 => {
                    let uid = 1 + rng.below(next_uid as usize) as u32;
                    let done = rng.below(2) == 0;
                    let update = || FlagUpdate {
                        uid,
                        flags: Default::default(),
                        keywords: if done {
                            vec!["$done".to_string()]
                        } else {
                            Vec::new()
                        },
                        modseq: None,
                    };
                    sorted.keeping_order(HEIGHT, |c| c.apply_flags(vec![update()], HEIGHT));
                    date.apply_flags(vec![update()], HEIGHT);
                }
                4 => {
                    let view = [View::All, View::Open, View::Done][rng.below(3)];
                    sorted.set_team_view(view, HEIGHT);
                    date.set_team_view(view, HEIGHT);
                }
                5 => {
                    let filter = [None, Some("a"), Some("in")][rng.below(3)];
                    for c in [&mut sorted, &mut date] {
                        c.filter = filter.map(str::to_string);
                        c.refilter(HEIGHT);
                    }
                }
                _ => {
                    let sort = [Sort::Waiting, Sort::Sender, Sort::Subject][rng.below(3)];
                    let keep = sorted.selected_row().map(|s| s.uid);
                    sorted.set_sort(sort, HEIGHT);
                    // The selected message stays selected in the new order.
                    assert_eq!(sorted.selected_row().map(|s| s.uid), keep, "step {step}");
                    let j = rng.below(sorted.shown_len().max(1));
                    sorted.select(j, HEIGHT);
                }
            }
            check(&sorted, &date, step);
        }
    }
}

#[test]
fn back_to_date_is_the_column_as_it_was_and_threads_keep_their_own_order() {
    let mut rng = Rng(7);
    let mut c = Column::new(0, "support");
    let rows: Vec<Summary> = (1..=30).map(|u| row(&mut rng, u)).collect();
    c.add_rows(rows, HEIGHT);
    let by_date = uids(&c);
    c.set_sort(Sort::Waiting, HEIGHT);
    let mut oldest_first = by_date.clone();
    oldest_first.reverse();
    assert_eq!(uids(&c), oldest_first);
    c.set_threaded(true, HEIGHT);
    assert!(c.order.is_none(), "threads keep their own order");
    c.set_threaded(false, HEIGHT);
    assert_eq!(uids(&c), oldest_first, "the order is kept for the session");
    c.set_sort(Sort::Date, HEIGHT);
    assert_eq!(uids(&c), by_date);
    assert!(c.order.is_none());
}
