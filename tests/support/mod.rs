//! Shared helpers for integration tests: `mod support;` in a test file.
pub mod fill;
pub mod testbed;
