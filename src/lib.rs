//! mailroom: a terminal client for shared team mailboxes.
//!
//! The library holds everything; `main.rs` only parses the command line. Folders name the
//! layers, and imports run down only:
//!
//! - front ends: `ui` (the TUI) and `cli` (the subcommands) — nothing else imports them;
//! - `engine`: the runtime beneath both — opening an account's mailbox, the per-account IMAP
//!   thread, the delivery pipeline, the note procedure;
//! - protocol and store: `imap`, `smtp`, `backend` (Maildir, and the trait IMAP implements),
//!   `store` (caches, drafts, outbox, audit log), `triage` (team state in keywords or folders,
//!   and the team views), `insight` (stats, audit, access report, read receipts); `demo` builds
//!   a Maildir workspace;
//! - pure: `mail` (parse, compose, reply, notes, display helpers), `policy` (identity,
//!   signature, rights), `config` (the user's contract and its validation), `net` (servers,
//!   deadlines, TLS);
//! - leaves that import nothing of the crate: `hash` (SHA-256, hashed file names), `message`
//!   (the message model: `Summary`,
//!   `Address`, `Flags`) and `sanitize` (untrusted text made safe for a terminal).
//!
//! No arrow runs up: `config` validates `ui.theme` and `[keys]` with its own pure specs
//! (`config::theme`, `config::keys`), which `ui::theme` and `ui::keys` turn into ratatui styles
//! and match against crossterm's key events.

pub mod backend;
pub mod cli;
pub mod config;
pub mod demo;
pub mod engine;
pub mod hash;
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
pub mod unwind;
