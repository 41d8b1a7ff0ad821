//! Local storage without servers: the Maildir backend, the body and header caches. One test
//! crate, one module per area: `cargo test --test store`, or one area:
//! `cargo test --test store store_cache::`.

mod maildir_backend;
mod store_bodies;
mod store_cache;
