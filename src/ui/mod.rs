//! The terminal interface. Owns no I/O beyond the terminal itself.

pub mod theme;
