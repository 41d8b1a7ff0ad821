//! The configuration file, the demo workspace and the binary's offline commands (no servers).
//! One test crate, one module per area: `cargo test --test cli`, or one area:
//! `cargo test --test cli config_errors::`.

mod config_errors;
mod demo_cli;
mod demo_workspace;
mod list_sort;
