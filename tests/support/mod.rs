//! Shared helpers for integration tests: `mod support;` in a test file.
pub mod cli;
pub mod fill;
pub mod proxy;
pub mod race;
pub mod testbed;
