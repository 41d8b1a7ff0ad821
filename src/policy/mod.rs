//! Pure rules with no I/O: send identity, signatures and their templates, rights.

pub mod identity;
pub mod rights;
pub mod signature;
pub mod template;
