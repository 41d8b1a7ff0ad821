//! The real binary in a detached tmux session, for live UI tests: a tmux server of its own, the
//! screen read back with `capture-pane`, keys sent with `send-keys`. Included once by
//! `tests/servers/main.rs` as `crate::tmux`, beside `crate::support` (the test-bed helpers below
//! use it).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use crate::support::testbed::{RawImap, Testbed};

/// The shared mailbox the live tests' "support" account reads.
pub const MAILBOX: &str = "shared/support/INBOX";

/// A tmux server of our own (its own socket in a temporary directory, no user configuration)
/// with one session running one command. Dropping it kills the server, whatever happened, and
/// removes the directory.
pub struct Tmux {
    socket: PathBuf,
    /// Where the shell around the command writes the command's exit status.
    status_file: PathBuf,
    session: String,
    _dir: tempfile::TempDir,
}

static SEQ: AtomicUsize = AtomicUsize::new(0);

impl Tmux {
    pub fn start(command: &str, width: u16, height: u16) -> Tmux {
        // Short, in /tmp: socket paths are limited to about 100 bytes.
        let dir = tempfile::Builder::new()
            .prefix("mrtmux-")
            .tempdir_in("/tmp")
            .expect("temp dir for the tmux socket");
        let t = Tmux {
            socket: dir.path().join("s"),
            status_file: dir.path().join("status"),
            session: format!(
                "mr-live-{}-{}",
                std::process::id(),
                SEQ.fetch_add(1, Ordering::SeqCst)
            ),
            _dir: dir,
        };
        // The exit status comes from the shell that waits for the program: tmux 3.3 does not
        // always reap a pane's process, and then never reports its status.
        let wrapped = format!(
            "{command}; echo $? > {}",
            sh_quote(&t.status_file.display().to_string())
        );
        // The pane stays after the program ends, so its last screen can still be read.
        let out = t.tmux(&[
            "start-server",
            ";",
            "set-option",
            "-g",
            "remain-on-exit",
            "on",
            ";",
            "new-session",
            "-d",
            "-s",
            &t.session,
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
            &wrapped,
        ]);
        assert!(
            out.status.success(),
            "tmux new-session failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        t
    }

    fn tmux(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(["-f", "/dev/null"])
            .args(args)
            .env_remove("TMUX")
            .output()
            .expect("run tmux (is it installed?)")
    }

    pub fn screen(&self) -> String {
        let out = self.tmux(&["capture-pane", "-p", "-t", &self.session]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A tmux format of the pane (`#{pane_title}`, `#{window_bell_flag}`…), expanded.
    pub fn format(&self, format: &str) -> String {
        let out = self.tmux(&["display-message", "-p", "-t", &self.session, format]);
        String::from_utf8_lossy(&out.stdout).trim_end().to_string()
    }

    /// Whether the pane's process has ended (or the session is gone altogether).
    pub fn pane_dead(&self) -> bool {
        let out = self.tmux(&["display-message", "-p", "-t", &self.session, "#{pane_dead}"]);
        !out.status.success() || String::from_utf8_lossy(&out.stdout).trim() == "1"
    }

    /// `Some(exit status)` once the program has ended.
    pub fn exit_status(&self) -> Option<i32> {
        let text = std::fs::read_to_string(&self.status_file).ok()?;
        // Parsed only once the line is complete.
        text.strip_suffix('\n')?.trim().parse().ok()
    }

    /// `tmux send-keys` with these arguments (key names, or `-l` and literal text).
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", &self.session];
        args.extend_from_slice(keys);
        let out = self.tmux(&args);
        assert!(out.status.success(), "tmux send-keys {keys:?} failed");
    }

    /// Polls the screen (every 50 ms) until `ok` holds; how long that took. Panics with the
    /// last screen after `timeout`, or when the program ends first.
    pub fn wait_for(&self, what: &str, timeout: Duration, ok: impl Fn(&str) -> bool) -> Duration {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if ok(&s) {
                return start.elapsed();
            }
            if let Some(code) = self.exit_status() {
                panic!("mailroom ended (status {code}) while waiting for {what}:\n{s}");
            }
            if start.elapsed() > timeout {
                panic!("no {what} after {timeout:?}; the screen:\n{s}");
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits for the program to end (after `q`): its exit status and how long it took.
    pub fn wait_exit(&self, within: Duration) -> (i32, Duration) {
        let start = Instant::now();
        loop {
            if let Some(code) = self.exit_status() {
                let took = start.elapsed();
                // Nothing else runs in the pane: with the program, the pane ends.
                while !self.pane_dead() {
                    assert!(start.elapsed() < within, "the pane outlived mailroom");
                    thread::sleep(Duration::from_millis(50));
                }
                return (code, took);
            }
            assert!(
                start.elapsed() < within,
                "mailroom still running {within:?} after quitting:\n{}",
                self.screen()
            );
            thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}

/// Single-quoted for the shell tmux runs the command with.
pub fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// The shell command that runs mailroom with `config` and every XDG directory under `dir`.
pub fn mailroom_command(dir: &Path, config: &Path) -> String {
    let mut env = String::new();
    for (var, sub) in [
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_CONFIG_HOME", "config"),
    ] {
        let d = dir.join(sub);
        std::fs::create_dir_all(&d).expect("mkdir");
        env.push_str(&format!("{var}={} ", sh_quote(&d.display().to_string())));
    }
    format!(
        "env -u MAILROOM_CONFIG {env}{} --config {}",
        sh_quote(env!("CARGO_BIN_EXE_mailroom")),
        sh_quote(&config.display().to_string()),
    )
}

/// The screen line showing `text`.
pub fn row<'a>(screen: &'a str, text: &str) -> Option<&'a str> {
    screen.lines().find(|l| l.contains(text))
}

/// Message `n` from a customer to support@, its subject `subject`, its body naming both; `tag`
/// keeps the Message-IDs of different test files apart.
pub fn customer_message(tag: &str, n: usize, subject: &str) -> Vec<u8> {
    format!(
        "From: Customer {n} <customer{n}@outside.test>\r\nTo: support@example.test\r\n\
         Subject: {subject}\r\nMessage-ID: <{tag}{n}@outside.test>\r\n\
         Date: Fri, 27 Nov 2026 10:00:0{n} +0000\r\n\r\nBody of message {n}: {subject}\r\n"
    )
    .into_bytes()
}

/// Writes `dir/config.toml`: one IMAP account, "support" on `MAILBOX`, sending nothing, as
/// test-bed agent `agent` (`[agent] id = agent`). `ca_file`: implicit TLS trusting it, `None`:
/// no TLS (loopback); `ui`: TOML before the account (e.g. a `[ui]` table), or "".
pub fn write_agent_config(
    dir: &Path,
    port: u16,
    ca_file: Option<&Path>,
    agent: &str,
    ui: &str,
) -> PathBuf {
    let tls = match ca_file {
        Some(ca) => format!("tls = \"implicit\"\nca_file = \"{}\"\n", ca.display()),
        None => "tls = \"none\"\n".to_string(),
    };
    let text = format!(
        "[agent]\nid = \"{agent}\"\nname = \"Agent\"\nemail = \"{agent}@example.test\"\n\n{ui}\
         [[account]]\nname = \"support\"\naddress = \"support@example.test\"\nsend = \"none\"\n\
         sent_copy = \"none\"\n\
         [account.imap]\nhost = \"127.0.0.1\"\nport = {port}\n{tls}login = \"{agent}\"\n\
         password_command = \"printf '%s\\\\n' '{pw}'\"\nmailbox = \"{MAILBOX}\"\n",
        pw = Testbed::password(agent),
    );
    let path = dir.join("config.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

/// `write_agent_config` for the test bed's IMAPS port.
pub fn write_testbed_config(dir: &Path, tb: &Testbed, agent: &str, ui: &str) -> PathBuf {
    write_agent_config(dir, tb.imaps_port, Some(&tb.ca_file), agent, ui)
}

/// mailroom as `agent` on the test bed (`ui` as for `write_agent_config`) in a 160×30 pane,
/// once its column shows `messages` messages, synced and watched with IDLE. The directory
/// holds its configuration and XDG directories: keep it as long as the session.
pub fn start_synced(
    tb: &Testbed,
    agent: &str,
    ui: &str,
    messages: usize,
    timeout: Duration,
) -> (Tmux, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = write_testbed_config(dir.path(), tb, agent, ui);
    let tmux = Tmux::start(&mailroom_command(dir.path(), &config), 160, 30);
    let synced = format!("support  ready · idle  {messages} ·");
    tmux.wait_for(
        &format!("{agent}'s synced column with IDLE"),
        timeout,
        |s| s.contains(&synced) && s.contains("support: online (idle)"),
    );
    (tmux, dir)
}

/// `start_synced` with an account that may answer (`send = "as"` through the test bed's
/// submission port): `r` opens a reply pane, which `send = "none"` never does.
pub fn start_synced_answering(
    tb: &Testbed,
    agent: &str,
    messages: usize,
    timeout: Duration,
) -> (Tmux, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = write_testbed_config(dir.path(), tb, agent, "");
    let text = std::fs::read_to_string(&config).expect("read config");
    let text = format!(
        "{}[account.smtp]\nhost = \"127.0.0.1\"\nport = {}\nca_file = \"{}\"\nlogin = \"{agent}\"\n\
         password_command = \"printf '%s\\\\n' '{}'\"\n",
        text.replace("send = \"none\"", "send = \"as\""),
        tb.submission_port,
        tb.ca_file.display(),
        Testbed::password(agent),
    );
    std::fs::write(&config, text).expect("write config");
    let tmux = Tmux::start(&mailroom_command(dir.path(), &config), 160, 30);
    let synced = format!("support  ready · idle  {messages} ·");
    tmux.wait_for(
        &format!("{agent}'s synced column with IDLE"),
        timeout,
        |s| s.contains(&synced) && s.contains("support: online (idle)"),
    );
    (tmux, dir)
}

/// The UID of the message with `subject`, as `imap`'s session sees it (after a NOOP, so that
/// it knows of mail that arrived since its last command).
pub fn uid_of(imap: &mut RawImap, subject: &str) -> u32 {
    imap.cmd_ok("NOOP");
    let out = imap.cmd_ok(&format!("UID SEARCH SUBJECT \"{subject}\""));
    out.lines()
        .find_map(|l| l.strip_prefix("* SEARCH "))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no UID for {subject:?}:\n{out}"))
}
