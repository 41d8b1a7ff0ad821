//! Messages: parsing summaries from raw bytes, and the sanitizer for untrusted text.

pub mod date;
pub mod encoding;
pub mod parse;
pub mod sanitize;
