//! Message handling without servers: attachments, threading, the sanitizer. One test crate, one
//! module per area: `cargo test --test mail`, or one area: `cargo test --test mail mail_threads::`.

mod mail_attachments;
mod mail_threads;
mod sanitizer_corpus;
