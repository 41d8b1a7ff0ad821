//! What a mailbox of summaries weighs (issue 15: a big shared mailbox must fit in ≤ 100 MiB
//! at 100k messages): bytes and allocations on the heap, counted exactly by this crate's
//! allocator on the test's own thread.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use mailroom::message::{Fields, Summary};
use mailroom::store::{CacheKey, HeaderCache};

use super::store_cache::realistic_mailbox;

pub struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static CALLS: Cell<usize> = const { Cell::new(0) };
}

fn note(delta: isize) {
    // `try_with`: a thread being torn down has no locals left; its frees are not counted.
    let _ = LIVE.try_with(|l| l.set(l.get() + delta));
    if delta > 0 {
        let _ = CALLS.try_with(|c| c.set(c.get() + 1));
    }
}

/// What glibc's malloc takes for a request: 8 bytes of header, rounded up to 16, at least
/// 32 — the cost of many small allocations that a count of requested bytes would hide.
fn charged(size: usize) -> isize {
    ((size + 8 + 15) & !15).max(32) as isize
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(charged(layout.size()));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note(-charged(layout.size()));
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(charged(new_size) - charged(layout.size()));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// (bytes live, allocations made) on this thread since the start of `f`, and `f`'s result.
fn weigh<T>(f: impl FnOnce() -> T) -> (isize, usize, T) {
    let (l0, c0) = (LIVE.with(Cell::get), CALLS.with(Cell::get));
    let out = f();
    (LIVE.with(Cell::get) - l0, CALLS.with(Cell::get) - c0, out)
}

const ROWS: u32 = 4_000;

#[test]
fn a_summary_costs_a_few_hundred_bytes_and_a_clone_shares_its_text() {
    let fields: Vec<Fields> = realistic_mailbox(ROWS, 3)
        .rows
        .iter()
        .map(Summary::fields)
        .collect();
    // The same rows as owned fields: each string and list its own allocation, as every
    // summary was held before issue 15.
    let (owned, owned_calls, _owned) = weigh(|| fields.clone());
    let (bytes, calls, rows) = weigh(|| {
        let mut v = Vec::with_capacity(fields.len());
        v.extend(fields.iter().cloned().map(Summary::new));
        v
    });
    let (per_row, per_owned) = (bytes / ROWS as isize, owned / ROWS as isize);
    eprintln!("{per_row} B a summary, {per_owned} B as owned fields");
    assert!(
        per_row * 2 <= per_owned,
        "{per_row} B a summary, {per_owned} B owned"
    );
    // The list, and per summary its text and (when it has any) its keywords. Building one
    // goes through the owned fields, which are freed again.
    let kept = calls - owned_calls;
    assert!(kept <= owned_calls, "{kept} allocations");

    // The sync's mirror and the UI's rows hold the same summaries: a second holder pays for
    // the fixed part and its own list of keywords (one small allocation when there are any),
    // never again for the text.
    let (bytes, _, copy) = weigh(|| rows.clone());
    let per_copy = bytes / ROWS as isize;
    eprintln!("{per_copy} B a clone");
    assert!(
        per_copy <= std::mem::size_of::<Summary>() as isize + 32,
        "{per_copy} B a clone"
    );
    assert_eq!(copy, rows);
}

#[test]
fn the_header_cache_loads_a_row_in_at_most_three_allocations() {
    let mb = realistic_mailbox(ROWS, 4);
    let dir = tempfile::tempdir().unwrap();
    let cache = HeaderCache::new(dir.path().to_path_buf());
    let key = CacheKey {
        account: "support".into(),
        server: "127.0.0.1:993".into(),
        login: "alice".into(),
        mailbox: "INBOX".into(),
    };
    cache.save(&key, &mb).unwrap();
    let file = std::fs::metadata(cache.path_for(&key)).unwrap().len();
    // Below the size that is decoded on several threads: all allocations are this thread's.
    assert!(file < 2 << 20, "{file} bytes");
    let (bytes, calls, loaded) = weigh(|| cache.load(&key).unwrap().unwrap());
    assert_eq!(loaded, mb);
    // Per row: the text, the keywords (when any) and the row's share of the list; the file
    // is read in 256 KiB blocks, a fixed cost.
    let per_row = calls as f64 / f64::from(ROWS);
    assert!(per_row <= 3.0, "{per_row:.2} allocations a row");
    let owned: Vec<Fields> = mb.rows.iter().map(Summary::fields).collect();
    let (owned_bytes, _, _owned) = weigh(|| owned.clone());
    assert!(
        bytes * 2 <= owned_bytes,
        "{bytes} B loaded, {owned_bytes} B as owned fields"
    );
}
