//! Local storage without servers: the Maildir backend, the body and header caches. One test
//! crate, one module per area: `cargo test --test store`, or one area:
//! `cargo test --test store store_cache::`.

mod maildir_backend;
mod snooze_maildir;
mod store_bodies;
mod store_cache;
mod store_memory;

/// Counts what each thread allocates, so `store_memory` can weigh summaries exactly while
/// other tests run on other threads.
#[global_allocator]
static ALLOC: store_memory::Counting = store_memory::Counting;
