//! Maildir backend (in progress)
