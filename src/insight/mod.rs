//! Insight: what the mail itself (and the local audit log) says about how the shared mailboxes
//! are answered and who may do what.

pub mod access;
pub mod audit;
pub mod collect;
pub mod receipts;
pub mod stats;

pub use collect::{StatsError, collect_and_compute};
