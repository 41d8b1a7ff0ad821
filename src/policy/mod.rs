//! Pure rules with no I/O: rights, signature templates, (later) identity.

pub mod identity;
pub mod rights;
pub mod template;
