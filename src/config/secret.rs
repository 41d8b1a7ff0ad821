//! Secrets (passwords, tokens) and the commands that produce them.
//!
//! A `Secret` never shows its value through `Debug` or `Display`, so it cannot leak into logs,
//! error messages or `check` output by accident.

use std::fmt;
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;

#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value itself; call only where it goes onto the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// How long a `password_command` / `token_command` may run.
pub const SECRET_COMMAND_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("could not start `sh -c {command}`: {source}")]
    Spawn {
        command: String,
        source: std::io::Error,
    },
    #[error("`{command}` did not finish within {} s and was stopped", timeout.as_secs())]
    Timeout { command: String, timeout: Duration },
    #[error("`{command}` failed ({status}){}", stderr_suffix(stderr))]
    Failed {
        command: String,
        status: String,
        stderr: String,
    },
    #[error(
        "`{command}` printed nothing on its first line{}",
        stderr_suffix(stderr)
    )]
    Empty { command: String, stderr: String },
}

fn stderr_suffix(stderr: &str) -> String {
    let s = crate::mail::sanitize::single_line(stderr.trim());
    if s.is_empty() {
        String::new()
    } else {
        format!(": {s}")
    }
}

/// Runs `command` through `sh -c` and returns the first line of its standard output.
///
/// Standard error is kept for the error message (it is the command's own diagnostics, never
/// the secret); standard output is never shown.
pub fn run_secret_command(command: &str, timeout: Duration) -> Result<Secret, SecretError> {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| SecretError::Spawn {
            command: command.to_string(),
            source,
        })?;
    // Drain both pipes on threads so a chatty command cannot block on a full pipe.
    let out = child.stdout.take().map(read_to_end_thread);
    let err = child.stderr.take().map(read_to_end_thread);
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() >= timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(SecretError::Timeout {
                    command: command.to_string(),
                    timeout,
                });
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(source) => {
                return Err(SecretError::Spawn {
                    command: command.to_string(),
                    source,
                });
            }
        }
    };
    let stdout = out.and_then(|h| h.join().ok()).unwrap_or_default();
    let stderr = err.and_then(|h| h.join().ok()).unwrap_or_default();
    let stderr = String::from_utf8_lossy(&stderr).into_owned();
    if !status.success() {
        return Err(SecretError::Failed {
            command: command.to_string(),
            status: status.to_string(),
            stderr,
        });
    }
    let stdout = String::from_utf8_lossy(&stdout);
    let first = stdout.lines().next().unwrap_or("").trim_end_matches('\r');
    if first.is_empty() {
        return Err(SecretError::Empty {
            command: command.to_string(),
            stderr,
        });
    }
    Ok(Secret(first.to_string()))
}

fn read_to_end_thread<R: Read + Send + 'static>(mut r: R) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        // Bounded: a secret is one line; a runaway command must not fill memory.
        let _ = r.by_ref().take(1 << 20).read_to_end(&mut buf);
        // Keep draining so the child never blocks on a full pipe.
        let _ = std::io::copy(&mut r, &mut std::io::sink());
        buf
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_line_of_stdout() {
        let s = run_secret_command("printf 'hunter2\\nsecond\\n'", SECRET_COMMAND_TIMEOUT).unwrap();
        assert_eq!(s.expose(), "hunter2");
        assert_eq!(format!("{s:?}"), "Secret(<redacted>)");
    }

    #[test]
    fn failure_shows_stderr_not_stdout() {
        let e = run_secret_command(
            "printf 'top''secret'; echo 'no such entry' >&2; exit 3",
            SECRET_COMMAND_TIMEOUT,
        )
        .unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("no such entry"), "{msg}");
        assert!(!msg.contains("topsecret"), "{msg}");
    }

    #[test]
    fn empty_output_is_an_error() {
        let e = run_secret_command("true", SECRET_COMMAND_TIMEOUT).unwrap_err();
        assert!(matches!(e, SecretError::Empty { .. }));
    }

    #[test]
    fn timeout_stops_the_command() {
        let t = Instant::now();
        let e = run_secret_command("sleep 5", Duration::from_millis(200)).unwrap_err();
        assert!(matches!(e, SecretError::Timeout { .. }));
        assert!(t.elapsed() < Duration::from_secs(4));
    }
}
