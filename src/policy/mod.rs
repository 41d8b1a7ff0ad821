//! Pure rules with no I/O: send identity, signatures, rights, the team policy. (The signature template syntax
//! is `config::template`: a broken template is a configuration error.)

pub mod guard;
pub mod identity;
pub mod rights;
pub mod signature;
pub mod team;
