//! Secrets (passwords, tokens) and the commands that produce them.
//!
//! A `Secret` never shows its value through `Debug` or `Display`, so it cannot leak into logs,
//! error messages or `check` output by accident.

use std::fmt;
use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
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
    let s = crate::sanitize::single_line(stderr.trim());
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
///
/// `timeout` bounds the whole call: the command runs in its own process group, which is
/// killed as a whole when `sh` is still running at the deadline. A helper that `sh` left
/// running in the background may keep the pipes open; once `sh` has exited, the first line
/// is enough, and at the deadline whatever arrived is taken.
pub fn run_secret_command(command: &str, timeout: Duration) -> Result<Secret, SecretError> {
    let deadline = Instant::now() + timeout;
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(command)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // Its own group, so a timeout stops every process it started, not only `sh`.
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child = cmd.spawn().map_err(|source| SecretError::Spawn {
        command: command.to_string(),
        source,
    })?;
    // Both pipes are drained on threads so a chatty command cannot block on a full pipe;
    // they report through a channel so that waiting for them has a deadline.
    let (tx, rx) = mpsc::channel();
    // Whether each pipe may still deliver bytes.
    let mut out_open = false;
    let mut err_open = false;
    if let Some(out) = child.stdout.take() {
        pump(out, Pipe::Out, tx.clone());
        out_open = true;
    }
    if let Some(err) = child.stderr.take() {
        pump(err, Pipe::Err, tx.clone());
        err_open = true;
    }
    drop(tx);
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    let mut status = None;
    loop {
        if status.is_none() {
            match child.try_wait() {
                Ok(s) => status = s,
                Err(source) => {
                    kill_group(&mut child);
                    return Err(SecretError::Spawn {
                        command: command.to_string(),
                        source,
                    });
                }
            }
        }
        let now = Instant::now();
        match status {
            Some(st) => {
                // Success needs only stdout's first line; a failure's message wants stderr.
                let enough = if st.success() {
                    !out_open || stdout.contains(&b'\n')
                } else {
                    !out_open && !err_open
                };
                if enough || now >= deadline {
                    break;
                }
            }
            None if now >= deadline => {
                kill_group(&mut child);
                return Err(SecretError::Timeout {
                    command: command.to_string(),
                    timeout,
                });
            }
            None => {}
        }
        // Short slices: `sh` exiting is only seen by polling `try_wait`.
        let wait = deadline.saturating_duration_since(now).min(POLL);
        match rx.recv_timeout(wait) {
            Ok((Pipe::Out, Some(bytes))) => stdout.extend_from_slice(&bytes),
            Ok((Pipe::Err, Some(bytes))) => stderr.extend_from_slice(&bytes),
            Ok((Pipe::Out, None)) => out_open = false,
            Ok((Pipe::Err, None)) => err_open = false,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                (out_open, err_open) = (false, false);
                std::thread::sleep(wait);
            }
        }
    }
    // The loop only ends once `sh` has exited.
    let Some(status) = status else {
        return Err(SecretError::Timeout {
            command: command.to_string(),
            timeout,
        });
    };
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

/// How often a running command is polled for its exit.
const POLL: Duration = Duration::from_millis(10);
/// At most this much of each pipe is kept: a secret is one line; a runaway command must not
/// fill memory.
const PIPE_LIMIT: usize = 1 << 20;

#[derive(Clone, Copy)]
enum Pipe {
    Out,
    Err,
}

/// Reads `r` on a thread, sending each chunk, then `None` at end of file. The thread outlives
/// the call when a background process keeps the pipe open; it ends when that process does.
fn pump<R: Read + Send + 'static>(mut r: R, pipe: Pipe, tx: mpsc::Sender<(Pipe, Option<Vec<u8>>)>) {
    std::thread::spawn(move || {
        let mut kept = 0;
        let mut buf = [0u8; 8192];
        loop {
            match r.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    // Past the limit, keep reading so the command never blocks on a full pipe.
                    let take = n.min(PIPE_LIMIT - kept);
                    if take > 0 {
                        kept += take;
                        let _ = tx.send((pipe, Some(buf[..take].to_vec())));
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        let _ = tx.send((pipe, None));
    });
}

/// Kills the command's whole process group, then reaps `sh`.
fn kill_group(child: &mut Child) {
    // The group id is sh's pid (`process_group(0)`); a negative pid names the group. The
    // shell's own `kill` is used because `sh` is already required and /bin/kill may not be.
    #[cfg(unix)]
    let _ = Command::new("sh")
        .arg("-c")
        .arg("kill -s KILL -- \"-$1\"")
        .arg("sh")
        .arg(child.id().to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let _ = child.kill();
    let _ = child.wait();
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

    #[test]
    fn a_background_process_holding_stdout_does_not_delay_the_answer() {
        let t = Instant::now();
        let s = run_secret_command("sleep 25 & echo pw", SECRET_COMMAND_TIMEOUT).unwrap();
        assert_eq!(s.expose(), "pw");
        assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());

        // No newline and the pipe kept open: what arrived by the deadline is taken.
        let t = Instant::now();
        let s = run_secret_command("sleep 25 & printf pw", Duration::from_millis(500)).unwrap();
        assert_eq!(s.expose(), "pw");
        assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());

        // Only stderr held open: stdout has ended, so its text is complete.
        let t = Instant::now();
        let s =
            run_secret_command("sleep 25 >/dev/null & printf pw", SECRET_COMMAND_TIMEOUT).unwrap();
        assert_eq!(s.expose(), "pw");
        assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    }

    /// Processes in group `pgid` that still run (zombies await a reaper and run nothing).
    #[cfg(target_os = "linux")]
    fn live_members(pgid: u32) -> Vec<u32> {
        let mut pids = Vec::new();
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                continue;
            };
            // After the command name in parentheses: state, ppid, pgrp, ...
            let Some((_, rest)) = stat.rsplit_once(')') else {
                continue;
            };
            let fields: Vec<&str> = rest.split_whitespace().collect();
            if fields.len() > 2 && fields[0] != "Z" && fields[2] == pgid.to_string() {
                pids.push(pid);
            }
        }
        pids
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn timeout_kills_the_whole_process_group() {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("pid");
        // `$$` is sh's pid, which is the group id; one sleep in the background, one in front.
        let command = format!("echo $$ > '{}'; sleep 30 & sleep 30", pid_file.display());
        let timeout = Duration::from_secs(1);
        let t = Instant::now();
        let e = run_secret_command(&command, timeout).unwrap_err();
        let elapsed = t.elapsed();
        assert!(matches!(e, SecretError::Timeout { .. }), "{e}");
        assert!(
            elapsed >= timeout && elapsed < timeout + Duration::from_secs(2),
            "{elapsed:?}"
        );
        let pgid: u32 = std::fs::read_to_string(&pid_file)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        // SIGKILL is delivered at once, but give the kernel a moment to tear processes down.
        let until = Instant::now() + Duration::from_secs(2);
        while !live_members(pgid).is_empty() && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(
            live_members(pgid),
            Vec::<u32>::new(),
            "group {pgid} survived"
        );
    }
}
