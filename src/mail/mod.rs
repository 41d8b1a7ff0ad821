//! Messages: parsing summaries from raw bytes, composing, replies, notes, receipts, display
//! helpers. (The sanitizer for untrusted text is `crate::sanitize`, beneath everything.)

pub mod attachments;
pub mod compose;
pub mod date;
pub mod display;
pub mod editfile;
pub mod encoding;
pub mod forward;
pub mod header;
pub mod html;
mod html_flat;
pub mod mdn;
pub mod msgid;
pub mod note;
pub mod parse;
pub mod policy;
pub mod reply;
pub mod sent;
pub mod snooze;
pub mod sort;
pub mod thread;
pub mod tree;
pub mod unfetched;
pub mod utf7;
