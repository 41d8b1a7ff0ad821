//! Running the real `mailroom` binary with a configuration of its own, in a private directory
//! (XDG data and cache dirs inside it, so tests never share a cache or an outbox).
#![allow(dead_code)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use super::testbed::Testbed;

pub struct Cli {
    pub config: PathBuf,
    pub dir: tempfile::TempDir,
}

impl Cli {
    /// A configuration file with `text` in a fresh directory.
    pub fn with_config(text: &str) -> Cli {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("c.toml");
        std::fs::write(&config, text).unwrap();
        Cli { config, dir }
    }

    /// Agent `agent` (a test-bed login) with one account `support` on `shared/support/INBOX`
    /// over IMAPS; `extra` is appended to the `[[account]]` table (e.g. `send = "none"`), and
    /// `tables` after its `mailbox` line (more `[account.imap]` keys such as `team_state`, then
    /// e.g. an `[account.smtp]` table).
    pub fn testbed(tb: &Testbed, agent: &str, extra: &str, tables: &str) -> Cli {
        Cli::with_config(&format!(
            "[agent]\nid = \"{agent}\"\nname = \"{agent} Agent\"\nemail = \"{agent}@example.test\"\n[[account]]\nname = \"support\"\naddress = \"support@example.test\"\n{extra}\n[account.imap]\nhost = \"127.0.0.1\"\nport = {}\nca_file = \"{}\"\nlogin = \"{agent}\"\npassword_command = \"echo {}\"\nmailbox = \"shared/support/INBOX\"\n{tables}",
            tb.imaps_port,
            tb.ca_file.display(),
            Testbed::password(agent)
        ))
    }

    /// Runs `mailroom --config … args` with `stdin`; returns (exit code, stdout, stderr).
    pub fn run_with(&self, args: &[&str], stdin: &[u8]) -> (i32, String, String) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_mailroom"))
            .arg("--config")
            .arg(&self.config)
            .args(args)
            .env("XDG_DATA_HOME", self.dir.path().join("data"))
            .env("XDG_CACHE_HOME", self.dir.path().join("cache"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        if let Some(mut input) = child.stdin.take() {
            input.write_all(stdin).unwrap();
        }
        let o = child.wait_with_output().unwrap();
        (
            o.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    }

    pub fn run(&self, args: &[&str]) -> (i32, String, String) {
        self.run_with(args, b"")
    }

    /// `run` with stdout and stderr in one string (stdout first): (exit code, output).
    pub fn run_joined(&self, args: &[&str]) -> (i32, String) {
        let (code, out, err) = self.run(args);
        (code, out + &err)
    }
}

/// The `[account.imap]` table of `login` on the test bed's `shared/support/INBOX`, for tests
/// that open sessions through the library.
pub fn imap_config(tb: &Testbed, login: &str) -> mailroom::config::Imap {
    toml::from_str(&format!(
        "host = \"127.0.0.1\"\nport = {}\nca_file = \"{}\"\nlogin = \"{login}\"\npassword = \"{}\"\nmailbox = \"shared/support/INBOX\"\n",
        tb.imaps_port,
        tb.ca_file.display(),
        Testbed::password(login)
    ))
    .unwrap()
}
