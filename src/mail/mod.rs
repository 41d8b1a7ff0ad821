//! Messages: parsing summaries from raw bytes, and the sanitizer for untrusted text.

pub mod attachments;
pub mod compose;
pub mod date;
pub mod display;
pub mod encoding;
pub mod header;
pub mod mdn;
pub mod msgid;
pub mod note;
pub mod parse;
pub mod reply;
pub mod sanitize;
pub mod thread;
pub mod unfetched;
pub mod utf7;
