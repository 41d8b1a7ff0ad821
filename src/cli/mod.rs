//! The command-line verbs. Each mirrors a TUI action and can print JSON for scripts.

pub mod access;
pub mod audit;
pub mod check;
pub mod check_policy;
pub mod check_triage;
pub mod list;
pub mod mailbox;
pub mod note;
pub mod outbox;
pub mod policy;
pub mod search;
pub mod send;
pub mod send_policy;
pub mod show;
pub mod stats;
pub mod triage;

use std::path::{Path, PathBuf};

use crate::config::{self, ConfigError, Loaded};

/// Finds and loads the configuration: `--config PATH`, else the XDG default.
pub fn load_config(explicit: Option<&Path>) -> Result<Loaded, ConfigError> {
    let path: PathBuf = match explicit {
        Some(p) => p.to_path_buf(),
        None => config::default_path().ok_or(ConfigError::NoDefaultPath)?,
    };
    config::load(&path)
}

/// Writes `value` as pretty JSON (terminal controls escaped) and a newline.
pub fn print_json<T: serde::Serialize + ?Sized>(
    out: &mut dyn std::io::Write,
    value: &T,
) -> std::io::Result<()> {
    let text = crate::sanitize::to_json_pretty(value).map_err(std::io::Error::other)?;
    writeln!(out, "{text}")
}
