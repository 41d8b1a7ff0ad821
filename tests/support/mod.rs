//! Shared helpers for integration tests: `#[path = "../support/mod.rs"] mod support;` once in
//! a test crate's `main.rs` (`tests/<group>/main.rs`), `use crate::support;` in its modules.
pub mod cli;
pub mod cyrus;
pub mod fake_smtp;
pub mod fill;
pub mod m365;
pub mod proxy;
pub mod race;
pub mod testbed;
