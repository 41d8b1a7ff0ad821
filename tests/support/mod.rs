//! Shared helpers for integration tests: `mod support;` in a test file.
pub mod cli;
pub mod fake_smtp;
pub mod fill;
pub mod proxy;
pub mod race;
pub mod testbed;
