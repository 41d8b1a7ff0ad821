//! Team coordination over standard IMAP keywords: the contract (`state`), and applying it to a
//! server atomically (`act`).

pub mod act;
pub mod folders;
pub mod local;
pub mod query;
pub mod revert;
pub mod state;
pub mod undo;
pub mod view;
pub mod when;
