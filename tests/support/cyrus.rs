//! A real Cyrus IMAP 3.6 test bed (`tests/testbed/cyrus-start`, see `tests/testbed/README.md`,
//! "Cyrus"), the counterpart of [`super::testbed::Testbed`] for Dovecot.
//!
//! ```ignore
//! let cy = CyrusTestbed::start();
//! cy.append("shared.support", b"From: c@outside.test\r\nSubject: hi\r\n\r\nbody\r\n");
//! let mut imap = cy.raw_imap("alice");
//! imap.cmd_ok("SELECT shared.support");
//! ```
//!
//! Every `CyrusTestbed` is its own Cyrus master in its own `/tmp/mrcy-XXXXXX` directory, on its
//! own free ports; dropping it (or the end of the test process) stops it and deletes the
//! directory (a watcher process waits for a pipe held by this process to close).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};

use super::testbed::{
    RawImap, env_port, free_ports, quote, run_start_script, start_with_retries, watched_dir,
};

/// The admin (creates mailboxes, sets ACLs; holds every right on the shared mailboxes so it
/// can seed them).
pub const ADMIN: &str = "cyrus";
/// Agents: sasldb users, each with an INBOX (`user.<agent>`).
pub const AGENTS: [&str; 3] = ["alice", "bob", "carol"];
/// Shared mailboxes (default namespace, separator `.`), each with children `Sent`, `Drafts`.
pub const SHARED: [&str; 2] = ["shared.support", "shared.sales"];
/// A user whose own INBOX (`user.support`, children `Sent`, `Drafts`) a delegated login opens:
/// SASL PLAIN with authzid = this account and an agent of [`PROXY_AGENTS`] as authcid.
pub const DELEGATED: &str = "support";
/// Agents in Cyrus' `proxyservers`: they may log in as any user (not limited per target).
pub const PROXY_AGENTS: [&str; 1] = ["alice"];
/// Rights of each agent on every shared mailbox and its children, as on the Dovecot test bed
/// (Cyrus' MYRIGHTS adds `c`, `d`, `n`).
pub const RIGHTS: [(&str, &str); 3] =
    [("alice", "lrwstipekxa"), ("bob", "lrwsti"), ("carol", "lr")];

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/testbed")
        .join(name)
}

/// A running private Cyrus. All ports are on 127.0.0.1.
pub struct CyrusTestbed {
    /// Configuration (`imapd.conf`, `cyrus.conf`, `conf/`), mail spool (`spool/`), `tls/`.
    pub dir: PathBuf,
    /// IMAP with implicit TLS.
    pub imaps_port: u16,
    /// IMAP with STARTTLS; LOGIN before STARTTLS is refused (`allowplaintext: no`).
    pub imap_port: u16,
    /// Plain IMAP that accepts logins without TLS: for [`RawImap`] only.
    pub imap_plain_port: u16,
    /// The CA that signed the server's certificate (`localhost`, `127.0.0.1`).
    pub ca_file: PathBuf,
    /// How long `start` took.
    pub started_in: Duration,
    watcher: Option<Child>,
}

impl CyrusTestbed {
    /// Starts a new Cyrus. Panics (with the script's output) if it cannot: it never skips.
    pub fn start() -> CyrusTestbed {
        let started = Instant::now();
        let mut cy = start_with_retries("the Cyrus test bed", Self::try_start);
        cy.started_in = started.elapsed();
        cy
    }

    fn try_start() -> Result<CyrusTestbed, (String, bool)> {
        let (dir, watcher) = watched_dir("mrcy-", "cyrus-stop")?;
        let mut cy = CyrusTestbed {
            dir: dir.clone(),
            imaps_port: 0,
            imap_port: 0,
            imap_plain_port: 0,
            ca_file: dir.join("tls/ca.pem"),
            started_in: Duration::ZERO,
            watcher: Some(watcher),
        };
        let ports = free_ports(3, &dir);
        let names = ["imaps", "imap", "imap_plain"];
        let env = run_start_script("cyrus-start", &dir, &names, &ports)?;
        let get = |key: &str| env_port(&env, key, "cyrus-start");
        cy.imaps_port = get("IMAPS_PORT");
        cy.imap_port = get("IMAP_PORT");
        cy.imap_plain_port = get("IMAP_PLAIN_PORT");
        Ok(cy)
    }

    /// The fixed password of a user (`alice` → `alice-pw`, `cyrus` → `cyrus-pw`).
    pub fn password(user: &str) -> String {
        format!("{user}-pw")
    }

    /// Connects to the plain IMAP port (no TLS) and logs in as `user`.
    pub fn raw_imap(&self, user: &str) -> RawImap {
        let mut imap = RawImap::connect(self.imap_plain_port);
        imap.cmd_ok(&format!(
            "LOGIN {} {}",
            quote(user),
            quote(&Self::password(user))
        ));
        imap
    }

    /// Appends `raw` to `mailbox` as the admin; returns the APPEND's answer.
    pub fn append(&self, mailbox: &str, raw: &[u8]) -> String {
        self.append_flagged(mailbox, "", raw)
    }

    /// Appends `raw` to `mailbox` as the admin with `flags` (e.g. `\Seen $done`, or empty).
    pub fn append_flagged(&self, mailbox: &str, flags: &str, raw: &[u8]) -> String {
        let mut imap = self.raw_imap(ADMIN);
        let reply = imap.append(mailbox, flags, raw);
        assert_eq!(
            imap.last_status(),
            "OK",
            "APPEND to {mailbox} failed: {reply}"
        );
        reply
    }

    /// Creates, as the admin, a team mailbox `user.<name>` (the other users' namespace: a
    /// mailbox of a user nobody logs in as) with [`RIGHTS`] per agent, and with the
    /// `sharedseen` annotation set when `sharedseen` (then `\Seen` is one for everyone).
    /// Returns its name. Cyrus 3.6.1 cannot set `sharedseen` on a mailbox outside a user's
    /// namespace (`shared.*`): SETMETADATA ends the session with an assertion failure
    /// (`user_isnamespacelocked`), hence `user.<name>`.
    pub fn team_mailbox(&self, name: &str, sharedseen: bool) -> String {
        let mailbox = format!("user.{name}");
        let mut imap = self.raw_imap(ADMIN);
        imap.cmd_ok(&format!("CREATE {mailbox}"));
        imap.cmd_ok(&format!("SETACL {mailbox} {ADMIN} lrswipkxtea"));
        for (agent, rights) in RIGHTS {
            imap.cmd_ok(&format!("SETACL {mailbox} {agent} {rights}"));
        }
        if sharedseen {
            imap.cmd_ok(&format!(
                "SETMETADATA {mailbox} (/shared/vendor/cmu/cyrus-imapd/sharedseen \"true\")"
            ));
        }
        mailbox
    }

    /// A mailroom configuration for `agent` with one account `support` on `shared.support`
    /// over IMAPS; `extra` is appended to the `[[account]]` table, `tables` after `mailbox`.
    pub fn config(&self, agent: &str, extra: &str, tables: &str) -> String {
        format!(
            "[agent]\nid = \"{agent}\"\nname = \"{agent} Agent\"\nemail = \"{agent}@example.test\"\n[[account]]\nname = \"support\"\naddress = \"support@example.test\"\n{extra}\n[account.imap]\nhost = \"127.0.0.1\"\nport = {}\nca_file = \"{}\"\nlogin = \"{agent}\"\npassword_command = \"echo {}\"\nmailbox = \"shared.support\"\n{tables}",
            self.imaps_port,
            self.ca_file.display(),
            Self::password(agent)
        )
    }
}

impl Drop for CyrusTestbed {
    fn drop(&mut self) {
        // Closing the watcher's stdin makes it stop Cyrus and remove `dir`, in the background.
        if let Some(mut w) = self.watcher.take() {
            drop(w.stdin.take());
            let _ = w.try_wait();
        }
    }
}
