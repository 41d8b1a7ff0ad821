//! A real Dovecot + Postfix test bed for integration tests (see `tests/testbed/README.md`).
//!
//! ```ignore
//! mod support;
//! use support::testbed::Testbed;
//!
//! let tb = Testbed::start();
//! tb.deliver("help@example.test", b"From: c@outside.test\r\nSubject: hi\r\n\r\nbody\r\n");
//! let mut imap = tb.raw_imap("alice");
//! imap.cmd_ok("SELECT \"shared/support/INBOX\"");
//! ```
//!
//! Every `Testbed` is its own pair of daemons in its own `/tmp/mrtb-XXXXXX` directory, on its own
//! free ports: tests may run in parallel threads and processes. Dropping it stops the daemons and
//! deletes the directory; so does the end of the test process, however it ends (a watcher
//! process waits for a pipe held by this process to close).
//!
//! Only `std` and `tempfile` are used here; TLS clients are up to the tests (`native_tls`, with
//! [`Testbed::ca_file`] as the root certificate).
//!
//! Beyond mail flow: OAuth2 bearer tokens ([`Testbed::oauth_token`], XOAUTH2/OAUTHBEARER with
//! `user=` a shared mailbox), stopping and restarting Dovecot mid-session
//! ([`Testbed::stop_imap`], [`Testbed::start_imap`], [`Testbed::kill_imap_connections`]), and
//! big realistic mailboxes ([`Testbed::fill`]).
#![allow(dead_code)]

use std::collections::hash_map::RandomState;
use std::fs;
use std::hash::{BuildHasher, Hasher};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

pub use super::fill::Filled;

/// The local mail domain of the test bed.
pub const DOMAIN: &str = "example.test";
/// Agents: people who log in with their own account.
pub const AGENTS: [&str; 3] = ["alice", "bob", "carol"];
/// Shared (team) accounts.
pub const SHARED: [&str; 2] = ["support", "sales"];
/// Rights of each agent on every folder of both shared accounts (RFC 4314, without the obsolete
/// `c`/`d` that Dovecot also prints).
pub const RIGHTS: [(&str, &str); 3] =
    [("alice", "lrwstipekxa"), ("bob", "lrwsti"), ("carol", "lr")];
/// Delegated logins (`shared*agent` with the agent's password, or SASL PLAIN with
/// authzid = shared, authcid = agent) that the test bed allows, as (shared, agent).
pub const DELEGATIONS: [(&str, &str); 3] =
    [("support", "alice"), ("sales", "alice"), ("support", "bob")];
/// Local aliases, as (alias local part, account).
pub const ALIASES: [(&str, &str); 3] = [
    ("help", "support"),
    ("orders", "sales"),
    ("postmaster", "support"),
];

const ATTEMPTS: usize = 5;
const TIMEOUT: Duration = Duration::from_secs(10);

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/testbed")
        .join(name)
}

/// A running test bed. All ports are on 127.0.0.1.
pub struct Testbed {
    /// The test bed's directory (configuration, logs, mail, sink).
    pub dir: PathBuf,
    /// IMAP with implicit TLS.
    pub imaps_port: u16,
    /// IMAP with STARTTLS; LOGIN/AUTHENTICATE before STARTTLS are refused.
    pub imap_port: u16,
    /// Plain IMAP that accepts logins without TLS: for [`RawImap`] only.
    pub imap_plain_port: u16,
    /// SMTP submission: STARTTLS required before AUTH, AUTH required, envelope sender checked.
    pub submission_port: u16,
    /// SMTP submission with implicit TLS, same rules as `submission_port`.
    pub smtps_port: u16,
    /// Inbound SMTP ("port 25"): no TLS needed, no AUTH, accepts mail for example.test only.
    pub lmtp_or_smtp_inbound_port: u16,
    /// The CA that signed the servers' certificate (PEM). The certificate is valid for
    /// `localhost` and `127.0.0.1`.
    pub ca_file: PathBuf,
    /// Where mail for every recipient outside example.test ends up, one file per recipient.
    pub sink_dir: PathBuf,
    /// How long `start` took.
    pub started_in: Duration,
    /// Keeps the watcher's standard input open; closing it stops the daemons and removes `dir`.
    watcher: Option<Child>,
}

/// A message captured by the sink (a recipient outside example.test).
#[derive(Debug, Clone)]
pub struct SinkMessage {
    pub path: PathBuf,
    /// The file as written by Postfix: `Return-Path:`, `X-Original-To:` and `Delivered-To:` are
    /// prepended to the message as received; line ends are LF.
    pub raw: Vec<u8>,
    /// The envelope sender (MAIL FROM), from `Return-Path:`, without the angle brackets.
    pub sender: String,
    /// The envelope recipient (RCPT TO), from `X-Original-To:`.
    pub recipient: String,
}

impl SinkMessage {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.raw).into_owned()
    }

    /// The first header `name` (case-insensitive), unfolded, without the name.
    pub fn header(&self, name: &str) -> Option<String> {
        header_of(&self.raw, name)
    }

    /// The body (after the first empty line).
    pub fn body(&self) -> String {
        let text = self.text();
        match text.find("\n\n") {
            Some(i) => text[i + 2..].to_string(),
            None => String::new(),
        }
    }
}

/// The first header `name` of a message (case-insensitive), unfolded.
pub fn header_of(raw: &[u8], name: &str) -> Option<String> {
    let text = String::from_utf8_lossy(raw);
    let mut found: Option<String> = None;
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            if let Some(v) = found.as_mut() {
                v.push(' ');
                v.push_str(line.trim());
            }
            continue;
        }
        if found.is_some() {
            break;
        }
        if let Some((n, v)) = line.split_once(':')
            && n.eq_ignore_ascii_case(name)
        {
            found = Some(v.trim().to_string());
        }
    }
    found
}

/// Runs `try_start` until it works, at most `ATTEMPTS` times while its error says a retry
/// (with other ports) may help; panics with every attempt's error otherwise: a test bed never
/// skips.
pub(super) fn start_with_retries<T>(
    what: &str,
    try_start: impl Fn() -> Result<T, (String, bool)>,
) -> T {
    let mut failures = String::new();
    for attempt in 1..=ATTEMPTS {
        match try_start() {
            Ok(t) => return t,
            Err((err, retry)) => {
                failures.push_str(&format!("--- attempt {attempt}:\n{err}\n"));
                if !retry {
                    break;
                }
            }
        }
    }
    panic!("{what} did not start (run tests/install-deps as root?):\n{failures}");
}

/// A new directory in /tmp (`prefix…`) and its watcher, `tests/testbed/<stop> --on-eof DIR`:
/// from here on the watcher owns the directory — it stops the daemons and removes it as soon as
/// its standard input closes (when the test bed, or this attempt, is dropped, or when this
/// process ends).
pub(super) fn watched_dir(prefix: &str, stop: &str) -> Result<(PathBuf, Child), (String, bool)> {
    let tmp = tempfile::Builder::new()
        .prefix(prefix)
        .tempdir_in("/tmp")
        .map_err(|e| (format!("cannot create a directory in /tmp: {e}"), false))?;
    let dir = tmp.keep();
    let watcher = Command::new(script(stop))
        .arg("--on-eof")
        .arg(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .map_err(|e| {
            let _ = fs::remove_dir_all(&dir);
            (format!("cannot run tests/testbed/{stop}: {e}"), false)
        })?;
    Ok((dir, watcher))
}

/// Runs `tests/testbed/<start> DIR name=port …` and returns what it printed (the test bed's
/// `KEY=value` lines); `Err((why, worth retrying))`, a port taken meanwhile being worth a retry.
pub(super) fn run_start_script(
    start: &str,
    dir: &Path,
    names: &[&str],
    ports: &[u16],
) -> Result<String, (String, bool)> {
    run_start_script_with(start, dir, names, ports, &[])
}

/// [`run_start_script`] with more arguments after the ports (a test-bed variant).
pub(super) fn run_start_script_with(
    start: &str,
    dir: &Path,
    names: &[&str],
    ports: &[u16],
    extra: &[String],
) -> Result<String, (String, bool)> {
    let out = Command::new(script(start))
        .arg(dir)
        .args(names.iter().zip(ports).map(|(n, p)| format!("{n}={p}")))
        .args(extra)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| (format!("cannot run tests/testbed/{start}: {e}"), false))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        let retry = err.contains("in use");
        return Err((
            format!("tests/testbed/{start} failed ({}):\n{err}", out.status),
            retry,
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The port `KEY=` of a start script's output.
pub(super) fn env_port(env: &str, key: &str, start: &str) -> u16 {
    env.lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("tests/testbed/{start} printed no {key}:\n{env}"))
}

impl Testbed {
    /// Starts a new test bed. Panics (with the daemons' logs) if it cannot: it never skips.
    pub fn start() -> Testbed {
        Self::start_with_dovecot(&[])
    }

    /// A test-bed variant: the default one with these global Dovecot settings added
    /// (`("mail_max_keyword_length", "12")`).
    pub fn start_with_dovecot(settings: &[(&str, &str)]) -> Testbed {
        let started = Instant::now();
        let extra: Vec<String> = settings
            .iter()
            .map(|(k, v)| format!("dovecot:{k}={v}"))
            .collect();
        let mut tb = start_with_retries("the mail test bed", || Self::try_start(&extra));
        tb.started_in = started.elapsed();
        tb
    }

    /// One attempt; `Err((why, worth retrying with other ports))`.
    fn try_start(extra: &[String]) -> Result<Testbed, (String, bool)> {
        let (dir, watcher) = watched_dir("mrtb-", "stop")?;
        let mut tb = Testbed {
            dir: dir.clone(),
            imaps_port: 0,
            imap_port: 0,
            imap_plain_port: 0,
            submission_port: 0,
            smtps_port: 0,
            lmtp_or_smtp_inbound_port: 0,
            ca_file: dir.join("tls/ca.pem"),
            sink_dir: dir.join("sink"),
            started_in: Duration::ZERO,
            watcher: Some(watcher),
        };
        let ports = free_ports(6, &dir);
        let names = ["imaps", "imap", "imap_plain", "submission", "smtps", "smtp"];
        let env = run_start_script_with("start", &dir, &names, &ports, extra)?;
        let get = |key: &str| env_port(&env, key, "start");
        tb.imaps_port = get("IMAPS_PORT");
        tb.imap_port = get("IMAP_PORT");
        tb.imap_plain_port = get("IMAP_PLAIN_PORT");
        tb.submission_port = get("SUBMISSION_PORT");
        tb.smtps_port = get("SMTPS_PORT");
        tb.lmtp_or_smtp_inbound_port = get("SMTP_PORT");
        Ok(tb)
    }

    /// The fixed password of a test-bed account (`alice` → `alice-pw`; a domain is ignored).
    pub fn password(user: &str) -> &'static str {
        match user.split('@').next().unwrap_or(user) {
            "alice" => "alice-pw",
            "bob" => "bob-pw",
            "carol" => "carol-pw",
            "support" => "support-pw",
            "sales" => "sales-pw",
            other => panic!("no test-bed account {other:?}"),
        }
    }

    /// `user@example.test`.
    pub fn address(user: &str) -> String {
        format!("{user}@{DOMAIN}")
    }

    /// The Maildir root of an account (`LAYOUT=fs`): folders are the subdirectories `INBOX`,
    /// `Sent`, `Drafts`, each with `cur`, `new`, `tmp`. Files written there must be owned by
    /// the `vmail` user.
    pub fn maildir_of(&self, user: &str) -> PathBuf {
        self.dir.join("mail").join(user).join("Maildir")
    }

    /// Writes `raw` straight into `folder` (`INBOX`, `Sent`, `Drafts`) of `user`'s Maildir, in
    /// `cur/` with the Maildir `flags` (e.g. `""`, `"S"`, `"FS"`), named and owned as Dovecot
    /// would do it. Much faster than [`deliver`](Self::deliver) for seeding many messages;
    /// Dovecot picks the files up at the next SELECT/NOOP. Line ends are written as given
    /// (use CRLF or LF consistently).
    pub fn put_message(&self, user: &str, folder: &str, raw: &[u8], flags: &str) -> PathBuf {
        use std::os::unix::fs::{MetadataExt, chown};
        use std::sync::atomic::{AtomicU64, Ordering};
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let dir = self.maildir_of(user).join(folder);
        let owner =
            fs::metadata(&dir).unwrap_or_else(|e| panic!("no folder {}: {e}", dir.display()));
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        // W= is the size with CRLF line ends: one more byte for every bare LF.
        let bare_lf = (0..raw.len())
            .filter(|&i| raw[i] == b'\n' && (i == 0 || raw[i - 1] != b'\r'))
            .count();
        let name = format!(
            "{}.M{}P{}Q{}.mrtb,S={},W={}:2,{}",
            now.as_secs(),
            now.subsec_micros(),
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed),
            raw.len(),
            raw.len() + bare_lf,
            flags
        );
        let tmp = dir.join("tmp").join(&name);
        fs::write(&tmp, raw).expect("write message");
        chown(&tmp, Some(owner.uid()), Some(owner.gid())).expect("chown message");
        let path = dir.join("cur").join(&name);
        fs::rename(&tmp, &path).expect("move message to cur/");
        path
    }

    /// Every message the sink captured so far, in the order of delivery.
    pub fn sink_messages(&self) -> Vec<SinkMessage> {
        let mut names: Vec<PathBuf> = fs::read_dir(&self.sink_dir)
            .map(|rd| {
                rd.filter_map(|e| e.ok())
                    .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
                    .map(|e| e.path())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
            .into_iter()
            .filter_map(|path| {
                let raw = fs::read(&path).ok()?;
                let sender = header_of(&raw, "Return-Path").unwrap_or_default();
                let sender = sender
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_string();
                let recipient = header_of(&raw, "X-Original-To").unwrap_or_default();
                Some(SinkMessage {
                    path,
                    raw,
                    sender,
                    recipient,
                })
            })
            .collect()
    }

    /// Waits until the sink holds at least `n` messages and returns them all; panics (with the
    /// Postfix log) after `timeout`.
    pub fn wait_sink(&self, n: usize, timeout: Duration) -> Vec<SinkMessage> {
        let deadline = Instant::now() + timeout;
        loop {
            let msgs = self.sink_messages();
            if msgs.len() >= n {
                return msgs;
            }
            if Instant::now() > deadline {
                panic!(
                    "the sink holds {} message(s) after {timeout:?}, expected {n}\n{}",
                    msgs.len(),
                    self.logs()
                );
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Delivers `raw` to `rcpt` (e.g. `help@example.test`) through the inbound SMTP port, with the
    /// address of the `From:` header as envelope sender, and returns once Postfix has delivered
    /// it (to Dovecot by LMTP, or to the sink). Panics if it is refused or not delivered.
    pub fn deliver(&self, rcpt: &str, raw: &[u8]) {
        let from = header_of(raw, "From")
            .map(|f| addr_spec(&f))
            .unwrap_or_default();
        self.deliver_from(&from, &[rcpt], raw);
    }

    /// Like [`deliver`](Self::deliver) with an explicit envelope: `mail_from` ("" for `<>`) and
    /// one or more recipients.
    pub fn deliver_from(&self, mail_from: &str, rcpts: &[&str], raw: &[u8]) {
        let mut s = SmtpLines::connect(self.lmtp_or_smtp_inbound_port);
        let expect = |s: &mut SmtpLines, cmd: &str, code: &str| {
            let reply = if cmd.is_empty() {
                s.reply()
            } else {
                s.cmd(cmd)
            };
            if !reply.starts_with(code) {
                panic!("deliver: {cmd:?} answered {reply:?}\n{}", self.logs());
            }
            reply
        };
        expect(&mut s, "", "220");
        expect(&mut s, "EHLO testbed.example.test", "250");
        expect(&mut s, &format!("MAIL FROM:<{mail_from}>"), "250");
        for r in rcpts {
            expect(&mut s, &format!("RCPT TO:<{r}>"), "250");
        }
        expect(&mut s, "DATA", "354");
        s.write(&smtp_data(raw));
        let reply = expect(&mut s, "", "250");
        let _ = s.cmd("QUIT");
        let queue_id = reply
            .split_whitespace()
            .last()
            .unwrap_or_default()
            .trim_end_matches(['\r', '\n'])
            .to_string();
        self.wait_delivered(&queue_id);
    }

    /// Waits until Postfix has removed `queue_id` from its queue, and checks that every recipient
    /// of it was delivered (`status=sent`).
    pub fn wait_delivered(&self, queue_id: &str) {
        let deadline = Instant::now() + TIMEOUT;
        let log = self.dir.join("postfix.log");
        let removed = format!("{queue_id}: removed");
        let prefix = format!("{queue_id}: to=");
        loop {
            let text = fs::read_to_string(&log).unwrap_or_default();
            if text.contains(&removed) {
                let bad: Vec<&str> = text
                    .lines()
                    .filter(|l| l.contains(&prefix) && !l.contains("status=sent"))
                    .collect();
                if !bad.is_empty() {
                    panic!(
                        "{queue_id} was not delivered:\n{}\n{}",
                        bad.join("\n"),
                        self.logs()
                    );
                }
                return;
            }
            if Instant::now() > deadline {
                panic!(
                    "{queue_id} still not delivered after {TIMEOUT:?}\n{}",
                    self.logs()
                );
            }
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Connects to the plain IMAP port (no TLS) and logs in as `user` with its password.
    pub fn raw_imap(&self, user: &str) -> RawImap {
        self.raw_imap_login(user, Self::password(user))
            .unwrap_or_else(|e| panic!("LOGIN {user} failed: {e}\n{}", self.logs()))
    }

    /// Connects to the plain IMAP port and tries `LOGIN login password` (e.g. a delegated
    /// `support*alice`); `Err` holds the server's answer.
    pub fn raw_imap_login(&self, login: &str, password: &str) -> Result<RawImap, String> {
        let mut imap = RawImap::connect(self.imap_plain_port);
        let reply = imap.cmd(&format!("LOGIN {} {}", quote(login), quote(password)));
        if imap.last_status() == "OK" {
            Ok(imap)
        } else {
            Err(reply)
        }
    }

    /// Connects to the plain IMAP port and tries `AUTHENTICATE XOAUTH2` with `user=` `user`
    /// (an account or a shared mailbox, e.g. `support` or `support@example.test`) and the
    /// bearer `token`; `Err` holds the server's answer.
    pub fn raw_imap_xoauth2(&self, user: &str, token: &str) -> Result<RawImap, String> {
        let mut imap = RawImap::connect(self.imap_plain_port);
        let reply = imap.authenticate("XOAUTH2", &sasl_xoauth2(user, token));
        if imap.last_status() == "OK" {
            Ok(imap)
        } else {
            Err(reply)
        }
    }

    /// A valid OAuth2 bearer token (a JWT that Dovecot checks itself) for `subject`, valid for
    /// an hour. The subject is the agent (`alice`); in XOAUTH2/OAUTHBEARER `user=` is the
    /// mailbox to open: the subject's own, or a shared one of [`DELEGATIONS`] (IMAP only; over
    /// SMTP only the subject's own). Tokens of another test bed are refused.
    pub fn oauth_token(&self, subject: &str) -> String {
        self.oauth_token_valid_for(subject, 3600)
    }

    /// Like [`oauth_token`](Self::oauth_token), valid for `seconds` (negative: expired already).
    pub fn oauth_token_valid_for(&self, subject: &str, seconds: i64) -> String {
        let out = Command::new(script("oauth2-token"))
            .arg(&self.dir)
            .arg(subject)
            .arg(seconds.to_string())
            .stdin(Stdio::null())
            .output()
            .expect("run tests/testbed/oauth2-token");
        assert!(
            out.status.success(),
            "oauth2-token failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// A shell command that prints a fresh token for `subject`: for mailroom's
    /// `token_command`.
    pub fn oauth_token_command(&self, subject: &str) -> String {
        format!(
            "'{}' '{}' '{subject}'",
            script("oauth2-token").display(),
            self.dir.display()
        )
    }

    /// Stops Dovecot as a service manager would: every IMAP session gets
    /// `* BYE Server shutting down.` and is closed at once; returns when all of Dovecot's
    /// processes are gone and the IMAP ports refuse connections (~1.1 s). Postfix keeps running
    /// but cannot deliver locally (mail waits in its queue) or authenticate until
    /// [`start_imap`](Self::start_imap).
    pub fn stop_imap(&self) {
        self.imap_ctl(&["stop"]);
    }

    /// Starts Dovecot again on the same ports and directory (mail, index and UIDVALIDITY are
    /// kept); returns when the ports accept connections and a login works (~0.1 s).
    pub fn start_imap(&self) {
        self.imap_ctl(&["start"]);
    }

    /// Kills Dovecot's master alone (SIGKILL, as a crash or the OOM killer would): the IMAP
    /// sessions already running go on until they notice; [`start_imap`](Self::start_imap)
    /// starts a new master.
    pub fn kill_imap_master(&self) {
        self.imap_ctl(&["kill-master"]);
    }

    /// [`stop_imap`](Self::stop_imap), then [`start_imap`](Self::start_imap).
    pub fn restart_imap(&self) {
        self.imap_ctl(&["restart"]);
    }

    /// Ends every IMAP session (`doveadm kick`: `* BYE Server shutting down.`, then the
    /// connection closes) while the server keeps running; returns once they are gone.
    pub fn kill_imap_connections(&self) {
        self.imap_ctl(&["kick"]);
    }

    /// Like [`kill_imap_connections`](Self::kill_imap_connections) for the sessions of one
    /// user (the login name; a delegated or XOAUTH2 session counts as the mailbox's user).
    pub fn kill_imap_connections_of(&self, user: &str) {
        self.imap_ctl(&["kick", user]);
    }

    fn imap_ctl(&self, args: &[&str]) {
        let out = Command::new(script("imap-ctl"))
            .arg(args[0])
            .arg(&self.dir)
            .args(&args[1..])
            .stdin(Stdio::null())
            .output()
            .expect("run tests/testbed/imap-ctl");
        assert!(
            out.status.success(),
            "imap-ctl {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            self.logs()
        );
    }

    /// Runs `doveadm` against this test bed's Dovecot (e.g. `["mailbox", "status", "-u",
    /// "support", "messages", "INBOX"]`) and returns its output; panics if it fails.
    pub fn doveadm(&self, args: &[&str]) -> String {
        let out = Command::new("doveadm")
            .arg("-c")
            .arg(self.dir.join("dovecot.conf"))
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run doveadm");
        assert!(
            out.status.success(),
            "doveadm {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Writes `n` realistic messages (see `tests/support/fill.rs`: varied senders, RFC 2047
    /// names and subjects, threads with In-Reply-To/References, Delivered-To, 1–6 KB bodies,
    /// some HTML and attachments, flags and team keywords) straight into `folder` of `user`'s
    /// Maildir, as Dovecot names them, then lets Dovecot index the folder (`doveadm mailbox
    /// status`) so that the next SELECT is not charged with it. 100,000 messages take ~5 s.
    /// A missing `folder` is created (with the rights of INBOX). The same `seed` gives the
    /// same messages (only the dates move: the newest arrives now); fill one folder twice with
    /// different seeds. Returns the messages in UID order: the i-th gets UIDNEXT-before + i.
    /// Nobody should be FETCHing from the folder meanwhile.
    pub fn fill(&self, user: &str, folder: &str, n: usize, seed: u64) -> Vec<Filled> {
        use std::os::unix::fs::{MetadataExt, chown};
        assert!(
            !folder.is_empty() && !folder.contains('/') && !folder.starts_with('.'),
            "fill: {folder:?} must be a plain folder name"
        );
        let root = self.maildir_of(user);
        let owner =
            fs::metadata(root.join("INBOX")).unwrap_or_else(|e| panic!("no account {user}: {e}"));
        let (uid, gid) = (owner.uid(), owner.gid());
        let dir = root.join(folder);
        if !dir.exists() {
            for sub in ["cur", "new", "tmp"] {
                fs::create_dir_all(dir.join(sub)).expect("create folder");
            }
            for d in [
                dir.clone(),
                dir.join("cur"),
                dir.join("new"),
                dir.join("tmp"),
            ] {
                chown(&d, Some(uid), Some(gid)).expect("chown folder");
            }
            let acl = root.join("INBOX/dovecot-acl");
            if acl.exists() {
                fs::copy(&acl, dir.join("dovecot-acl")).expect("copy ACL");
                chown(dir.join("dovecot-acl"), Some(uid), Some(gid)).expect("chown ACL");
            }
        }
        let msgs = super::fill::fill_maildir(&dir, &Self::address(user), n, seed, Some((uid, gid)))
            .unwrap_or_else(|e| panic!("fill {}: {e}", dir.display()));
        self.doveadm(&["mailbox", "status", "-u", user, "messages", folder]);
        msgs
    }

    /// The last lines of the Dovecot and Postfix logs (and any start-up output).
    pub fn logs(&self) -> String {
        let mut out = String::new();
        for name in ["dovecot.log", "postfix.log", "dovecot.out", "postfix.out"] {
            let text = fs::read_to_string(self.dir.join(name)).unwrap_or_default();
            if text.trim().is_empty() {
                continue;
            }
            let lines: Vec<&str> = text.lines().collect();
            let tail = &lines[lines.len().saturating_sub(80)..];
            out.push_str(&format!(
                "----- {}/{name}\n{}\n",
                self.dir.display(),
                tail.join("\n")
            ));
        }
        out
    }
}

impl Drop for Testbed {
    fn drop(&mut self) {
        if thread::panicking() {
            eprintln!("mail test bed logs:\n{}", self.logs());
        }
        // Closing the watcher's stdin makes it stop both daemons and remove `dir`, in the
        // background (Dovecot takes ~1.2 s to exit).
        if let Some(mut w) = self.watcher.take() {
            drop(w.stdin.take());
            // Reap it later if it is done already; never wait here.
            let _ = w.try_wait();
        }
    }
}

/// Where test beds of every test process reserve their ports: a port that a test bed gave up
/// for a moment (`stop_imap`) must not be taken by another test bed starting meanwhile.
const PORT_RESERVATIONS: &str = "/tmp/mailroom-testbed-ports";

/// Reserves `port` for the test bed in `owner`; a reservation whose test bed directory is
/// gone is stale and taken over.
fn reserve_port(port: u16, owner: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let _ = fs::create_dir_all(PORT_RESERVATIONS);
    let path = Path::new(PORT_RESERVATIONS).join(port.to_string());
    for _ in 0..2 {
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(mut f) => {
                let _ = f.write_all(owner.as_os_str().as_bytes());
                return true;
            }
            Err(_) => {
                let alive = fs::read_to_string(&path)
                    .map(|o| o.is_empty() || Path::new(o.trim()).exists())
                    .unwrap_or(true);
                if alive {
                    return false;
                }
                let _ = fs::remove_file(&path);
            }
        }
    }
    false
}

/// Ports that were free on 127.0.0.1 a moment ago, distinct, below the ephemeral range
/// (so that no outgoing connection is using them as its local port), and reserved for the
/// test bed in `owner` for its lifetime.
pub(super) fn free_ports(n: usize, owner: &Path) -> Vec<u16> {
    let mut held: Vec<TcpListener> = Vec::new();
    let mut ports = Vec::new();
    let mut tries = 0;
    while ports.len() < n {
        tries += 1;
        let port = if tries > 1000 {
            0
        } else {
            10000 + (random_u64() % 22000) as u16
        };
        if let Ok(l) = TcpListener::bind(("127.0.0.1", port)) {
            let p = l.local_addr().expect("local_addr").port();
            if !ports.contains(&p) && reserve_port(p, owner) {
                ports.push(p);
                held.push(l);
            }
        }
    }
    ports
}

fn random_u64() -> u64 {
    let mut h = RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    h.finish()
}

/// `Name <a@b>` → `a@b`; `a@b` → `a@b`.
fn addr_spec(s: &str) -> String {
    match (s.rfind('<'), s.rfind('>')) {
        (Some(a), Some(b)) if a < b => s[a + 1..b].trim().to_string(),
        _ => s.trim().to_string(),
    }
}

/// An IMAP quoted string.
pub fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Standard base64 (for SASL PLAIN in tests).
pub fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// SASL PLAIN initial response: base64(authzid NUL authcid NUL password).
pub fn sasl_plain(authzid: &str, authcid: &str, password: &str) -> String {
    base64(format!("{authzid}\0{authcid}\0{password}").as_bytes())
}

/// SASL XOAUTH2 initial response: base64(`user=<user>^Aauth=Bearer <token>^A^A`).
pub fn sasl_xoauth2(user: &str, token: &str) -> String {
    base64(format!("user={user}\x01auth=Bearer {token}\x01\x01").as_bytes())
}

/// SASL OAUTHBEARER (RFC 7628) initial response: base64(`n,a=<user>,^Aauth=Bearer <token>^A^A`).
pub fn sasl_oauthbearer(user: &str, token: &str) -> String {
    base64(format!("n,a={user},\x01auth=Bearer {token}\x01\x01").as_bytes())
}

/// A message as SMTP DATA: CRLF line ends, dot-stuffed, terminated by `.`.
pub fn smtp_data(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() + 16);
    let mut at_line_start = true;
    let mut prev = 0u8;
    for &b in raw {
        if b == b'\n' && prev != b'\r' {
            out.push(b'\r');
        }
        if at_line_start && b == b'.' {
            out.push(b'.');
        }
        out.push(b);
        at_line_start = b == b'\n';
        prev = b;
    }
    if !at_line_start {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
    out
}

/// A minimal line-based SMTP client over plain TCP.
struct SmtpLines {
    r: BufReader<TcpStream>,
    w: TcpStream,
}

impl SmtpLines {
    fn connect(port: u16) -> SmtpLines {
        let w = TcpStream::connect(("127.0.0.1", port)).expect("connect to SMTP");
        w.set_read_timeout(Some(TIMEOUT)).expect("timeout");
        SmtpLines {
            r: BufReader::new(w.try_clone().expect("clone")),
            w,
        }
    }
    fn write(&mut self, data: &[u8]) {
        self.w.write_all(data).expect("SMTP write");
    }
    fn cmd(&mut self, line: &str) -> String {
        self.write(format!("{line}\r\n").as_bytes());
        self.reply()
    }
    /// A whole (possibly multi-line) reply.
    fn reply(&mut self) -> String {
        let mut all = String::new();
        loop {
            let mut line = String::new();
            if self.r.read_line(&mut line).unwrap_or(0) == 0 {
                return all;
            }
            all.push_str(&line);
            if line.len() < 4 || line.as_bytes()[3] != b'-' {
                return all;
            }
        }
    }
}

/// A raw IMAP connection over plain TCP, for checks that should not depend on mailroom's code.
pub struct RawImap {
    r: BufReader<TcpStream>,
    w: TcpStream,
    tag: u32,
    last_status: String,
    /// The server greeting (`* OK ...`).
    pub greeting: String,
}

impl RawImap {
    /// Connects (no login) and reads the greeting.
    pub fn connect(port: u16) -> RawImap {
        let w = TcpStream::connect(("127.0.0.1", port)).expect("connect to IMAP");
        w.set_read_timeout(Some(TIMEOUT)).expect("timeout");
        let r = BufReader::new(w.try_clone().expect("clone"));
        let mut imap = RawImap {
            r,
            w,
            tag: 0,
            last_status: String::new(),
            greeting: String::new(),
        };
        imap.greeting = imap.read_line();
        imap
    }

    /// Sends `aN line` and returns every line received up to and including the tagged
    /// response (literals included verbatim, CRLF line ends).
    pub fn cmd(&mut self, line: &str) -> String {
        self.tag += 1;
        let tag = format!("a{}", self.tag);
        self.write_line(&format!("{tag} {line}"));
        self.read_until_tagged(&tag)
    }

    /// Like [`cmd`](Self::cmd), and panics unless the tagged response is OK.
    pub fn cmd_ok(&mut self, line: &str) -> String {
        let out = self.cmd(line);
        assert_eq!(self.last_status, "OK", "IMAP {line:?} failed:\n{out}");
        out
    }

    /// `APPEND mailbox (flags) {n+}` with the message as a non-synchronizing literal.
    pub fn append(&mut self, mailbox: &str, flags: &str, msg: &[u8]) -> String {
        self.tag += 1;
        let tag = format!("a{}", self.tag);
        let head = format!(
            "{tag} APPEND {} ({flags}) {{{}+}}\r\n",
            quote(mailbox),
            msg.len()
        );
        self.write_raw(head.as_bytes());
        self.write_raw(msg);
        self.write_raw(b"\r\n");
        self.read_until_tagged(&tag)
    }

    /// `APPEND mailbox (flags) "date-time" {n+}`: like [`append`](Self::append), with the
    /// INTERNALDATE set by the client (RFC 3501 date-time, e.g. `02-Mar-2026 09:00:00 +0000`).
    pub fn append_dated(
        &mut self,
        mailbox: &str,
        flags: &str,
        date_time: &str,
        msg: &[u8],
    ) -> String {
        self.tag += 1;
        let tag = format!("a{}", self.tag);
        let head = format!(
            "{tag} APPEND {} ({flags}) {} {{{}+}}\r\n",
            quote(mailbox),
            quote(date_time),
            msg.len()
        );
        self.write_raw(head.as_bytes());
        self.write_raw(msg);
        self.write_raw(b"\r\n");
        self.read_until_tagged(&tag)
    }

    /// `AUTHENTICATE <mechanism> <initial response>` (SASL-IR). A `+` challenge is answered
    /// with an empty line: that is how a client ends a failed XOAUTH2/OAUTHBEARER exchange,
    /// where Dovecot first sends a JSON error as a challenge, then `NO`.
    pub fn authenticate(&mut self, mechanism: &str, initial_response: &str) -> String {
        self.tag += 1;
        let tag = format!("a{}", self.tag);
        self.write_line(&format!(
            "{tag} AUTHENTICATE {mechanism} {initial_response}"
        ));
        let mut out = String::new();
        loop {
            let line = self.read_line();
            if line.is_empty() {
                panic!("IMAP connection closed during AUTHENTICATE:\n{out}");
            }
            out.push_str(&line);
            if line.starts_with('+') {
                self.write_line("");
                continue;
            }
            if let Some(rest) = line.strip_prefix(&tag).and_then(|r| r.strip_prefix(' ')) {
                self.last_status = rest
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_string();
                return out;
            }
        }
    }

    /// OK, NO or BAD of the last tagged response.
    pub fn last_status(&self) -> &str {
        &self.last_status
    }

    /// Sends one line (CRLF added), e.g. `DONE` after `IDLE`.
    pub fn write_line(&mut self, line: &str) {
        self.write_raw(format!("{line}\r\n").as_bytes());
    }

    pub fn write_raw(&mut self, data: &[u8]) {
        self.w.write_all(data).expect("IMAP write");
    }

    /// Reads one response line, with any literal it announces (empty string on EOF).
    pub fn read_line(&mut self) -> String {
        let mut out = String::new();
        loop {
            let mut buf = Vec::new();
            match self.r.read_until(b'\n', &mut buf) {
                Ok(0) => return out,
                Ok(_) => {}
                Err(e) => panic!("IMAP read failed: {e} (after {out:?})"),
            }
            let line = String::from_utf8_lossy(&buf).into_owned();
            out.push_str(&line);
            // A literal `{n}` at the end of the line: read n bytes, then the rest of the line.
            let trimmed = line.trim_end_matches(['\r', '\n']);
            let Some(open) = trimmed.rfind('{').filter(|_| trimmed.ends_with('}')) else {
                return out;
            };
            let Ok(n) = trimmed[open + 1..trimmed.len() - 1]
                .trim_end_matches('+')
                .parse::<usize>()
            else {
                return out;
            };
            let mut lit = vec![0; n];
            self.r.read_exact(&mut lit).expect("IMAP literal");
            out.push_str(&String::from_utf8_lossy(&lit));
        }
    }

    /// Reads one line, waiting at most `timeout` for it to begin; `None` on timeout.
    pub fn read_line_timeout(&mut self, timeout: Duration) -> Option<String> {
        if self.r.buffer().is_empty() {
            self.w.set_read_timeout(Some(timeout)).expect("timeout");
            let got = self.r.fill_buf().map(|b| !b.is_empty());
            self.w.set_read_timeout(Some(TIMEOUT)).expect("timeout");
            match got {
                Ok(true) => {}
                Ok(false) => return None,
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    return None;
                }
                Err(e) => panic!("IMAP read failed: {e}"),
            }
        }
        Some(self.read_line())
    }

    fn read_until_tagged(&mut self, tag: &str) -> String {
        let mut out = String::new();
        loop {
            let line = self.read_line();
            if line.is_empty() {
                panic!("IMAP connection closed while waiting for {tag}:\n{out}");
            }
            out.push_str(&line);
            if let Some(rest) = line.strip_prefix(tag).and_then(|r| r.strip_prefix(' ')) {
                self.last_status = rest
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_string();
                return out;
            }
        }
    }
}

impl Drop for RawImap {
    fn drop(&mut self) {
        let _ = self.w.write_all(b"zz LOGOUT\r\n");
        let _ = self.w.shutdown(Shutdown::Both);
    }
}
