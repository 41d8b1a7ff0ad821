//! The column view's drafts on disk (`store::drafts` in the default data directory): saved on
//! every change, listed at start, removed once sent.

use crate::store::CacheError;
use crate::store::drafts::{Draft, Drafts};

/// Why a draft could not be saved or removed.
#[derive(Debug, thiserror::Error)]
pub enum DraftError {
    #[error("no data directory (set $HOME or $XDG_DATA_HOME)")]
    NoDataDir,
    #[error(transparent)]
    Store(#[from] CacheError),
}

fn drafts() -> Result<Drafts, DraftError> {
    Drafts::default_dir()
        .map(Drafts::new)
        .ok_or(DraftError::NoDataDir)
}

/// Saves `draft` (on the calling thread: small, and it must be on disk before a quit).
pub fn save(draft: &Draft) -> Result<(), DraftError> {
    Ok(drafts()?.save(draft)?)
}

/// Drafts from an earlier session (or one cut short), newest first, and how many files were
/// damaged; none without a data directory.
pub fn list() -> (Vec<Draft>, usize) {
    drafts().map_or((Vec::new(), 0), |d| d.list())
}

/// Deletes a draft (once its message is safely in the outbox).
pub fn remove(id: &str) -> Result<(), DraftError> {
    Ok(drafts()?.remove(id)?)
}
