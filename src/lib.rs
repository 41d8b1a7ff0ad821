//! mailroom: a terminal client for shared team mailboxes.
//!
//! The library holds everything; `main.rs` only parses the command line. Folders name the
//! architecture: `config`, `policy` (pure rules), `mail` (parse, sanitize), `backend`
//! (Maildir, and the trait IMAP implements), `imap`, `smtp`, `store`, `triage` (team state in
//! keywords or folders), `insight` (stats, audit, access report, read receipts), `ui`, `cli`.

pub mod backend;
pub mod cli;
pub mod config;
pub mod demo;
pub mod engine;
pub mod imap;
pub mod insight;
pub mod mail;
pub mod message;
pub mod net;
pub mod policy;
pub mod sanitize;
pub mod smtp;
pub mod store;
pub mod triage;
pub mod ui;
