//! The outbox when things go wrong: a process killed between the final dot of the message data
//! and the server's reply leaves an `uncertain` entry that is never sent again unless forced
//! (then once); damaged entries, orphan files and an outbox that cannot be read are reported
//! with exit status 1, never as "empty" or success.
//!
//! The dot-without-reply server is a fake (`support::fake_smtp`: a real Postfix always answers,
//! and its submission port needs TLS, so a proxy could not see the dot); IMAP (the Sent lookup)
//! and the forced send go to the real test bed.

use crate::support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::fake_smtp::{AfterDot, fake_smtp, silent_after_dot};
use support::testbed::Testbed;

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        Env {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// Account `support` on the test bed's IMAP (Sent = shared/support/Sent) with `smtp` as its
    /// `[account.smtp]` table.
    fn config(&self, tb: &Testbed, name: &str, smtp: &str) -> PathBuf {
        let path = self.dir.path().join(format!("{name}.toml"));
        std::fs::write(
            &path,
            format!(
                "[agent]\nid = \"alice\"\nname = \"Alice\"\nemail = \"alice@example.test\"\n\
                 [[account]]\nname = \"support\"\naddress = \"support@example.test\"\nsend = \"as\"\n\
                 [account.imap]\nhost = \"127.0.0.1\"\nport = {}\nca_file = \"{}\"\nlogin = \"alice\"\n\
                 password_command = \"echo {}\"\nmailbox = \"shared/support/INBOX\"\nsent = \"shared/support/Sent\"\n\
                 [account.smtp]\n{smtp}\n",
                tb.imaps_port,
                tb.ca_file.display(),
                Testbed::password("alice"),
            ),
        )
        .unwrap();
        path
    }

    fn command(&self, config: &Path, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_mailroom"));
        c.arg("--config")
            .arg(config)
            .args(args)
            .env("XDG_DATA_HOME", self.dir.path().join("data"))
            .env("XDG_CACHE_HOME", self.dir.path().join("cache"));
        c
    }

    /// (exit code, stdout + stderr)
    fn run(&self, config: &Path, args: &[&str]) -> (i32, String) {
        let o = self
            .command(config, args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        (
            o.status.code().unwrap_or(-1),
            format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            ),
        )
    }

    fn outbox_dir(&self) -> PathBuf {
        self.dir.path().join("data/mailroom/outbox")
    }
}

#[test]
fn killed_between_the_final_dot_and_the_reply_is_uncertain_and_sent_once_only_when_forced() {
    let tb = Testbed::start();
    let env = Env::new();
    let (fake_port, seen) = silent_after_dot();
    let fake = env.config(
        &tb,
        "fake",
        &format!("host = \"127.0.0.1\"\nport = {fake_port}\ntls = \"none\"\n"),
    );
    let mut child = env
        .command(
            &fake,
            &[
                "send",
                "support",
                "--to",
                "c@outside.test",
                "--subject",
                "dot without reply",
                "--body-file",
                "-",
            ],
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"hello once")
        .unwrap();
    // The final dot reached the server: kill -9 before any reply.
    let deadline = Instant::now() + Duration::from_secs(20);
    while seen.lock().unwrap().messages.is_empty() {
        assert!(
            Instant::now() < deadline,
            "the message never reached the server"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    let _ = child.wait();
    let message_id = {
        let seen = seen.lock().unwrap();
        support::testbed::header_of(seen.messages[0].as_bytes(), "Message-ID")
            .unwrap()
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>')
            .to_string()
    };

    // `outbox` says what is known, and that a decision is needed (exit 1).
    let (code, out) = env.run(&fake, &["outbox"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("uncertain"), "{out}");
    assert!(out.contains(&format!("<{message_id}>")), "{out}");
    assert!(out.contains(&format!("127.0.0.1:{fake_port}")), "{out}");
    assert!(
        out.contains("no copy with this Message-ID in shared/support/Sent"),
        "{out}"
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let today = &mailroom::mail::date::rfc3339_utc(now)[..10];
    assert!(
        out.contains(&format!(" at {today}T")),
        "the time is shown: {out}"
    );
    let (_, json) = env.run(&fake, &["outbox", "--json"]);
    let listed: Vec<Value> = serde_json::from_str(&json).unwrap();
    assert_eq!(listed.len(), 1, "{json}");
    assert_eq!(listed[0]["entry"]["state"], "uncertain", "{json}");
    assert_eq!(listed[0]["sent_copy"]["found"], false, "{json}");
    let id = listed[0]["id"].as_str().unwrap().to_string();

    // Never sent again on its own: not by --retry, not by the column view's delivery round.
    let connections = seen.lock().unwrap().connections;
    let (code, out) = env.run(&fake, &["outbox", "--retry"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("uncertain"), "{out}");
    let (code, out) = env.run(&fake, &["outbox", "--retry", &id]);
    assert_eq!(code, 1, "without --force it is not sent: {out}");
    {
        use mailroom::engine::pipeline::Context;
        use mailroom::store::audit::AuditLog;
        use mailroom::store::outbox::Outbox;
        let config = mailroom::config::load(&fake).unwrap().config;
        let outbox = Outbox::new(env.outbox_dir());
        let audit = AuditLog::new(env.dir.path().join("data/mailroom/audit.jsonl"));
        let ctx = Context {
            config: &config,
            outbox: &outbox,
            audit: &audit,
        };
        let status = mailroom::engine::outbox_status::round(&ctx);
        assert_eq!((status.uncertain, status.delivered), (1, 0), "{status:?}");
        assert!(
            status
                .last_error
                .as_deref()
                .is_some_and(|e| e.contains("uncertain")),
            "{status:?}"
        );
    }
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        seen.lock().unwrap().connections,
        connections,
        "an uncertain message was sent again without --force"
    );
    assert!(
        tb.sink_messages().is_empty(),
        "nothing reached the real server"
    );

    // The agent decides: --force sends it again, once (through the real Postfix).
    let real = env.config(
        &tb,
        "real",
        &format!(
            "host = \"127.0.0.1\"\nport = {}\nca_file = \"{}\"\nlogin = \"alice\"\npassword_command = \"echo {}\"\n",
            tb.submission_port,
            tb.ca_file.display(),
            Testbed::password("alice")
        ),
    );
    let (code, out) = env.run(&real, &["outbox", "--retry", &id, "--force"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&format!("sent <{message_id}>")), "{out}");
    let (code, out) = env.run(&real, &["outbox", "--retry"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("the outbox is empty"), "{out}");
    std::thread::sleep(Duration::from_millis(800));
    let sink = tb.wait_sink(1, Duration::from_secs(15));
    assert_eq!(
        sink.iter()
            .filter(|m| m.header("Subject").as_deref() == Some("dot without reply"))
            .count(),
        1
    );
    assert_eq!(seen.lock().unwrap().messages.len(), 1);
}

/// A configuration that never needs a server: listing the outbox does not connect.
fn offline_config(env: &Env) -> PathBuf {
    let path = env.dir.path().join("offline.toml");
    std::fs::write(
        &path,
        "[agent]\nid = \"alice\"\nname = \"Alice\"\nemail = \"alice@example.test\"\n\
         [[account]]\nname = \"support\"\naddress = \"support@example.test\"\nsend = \"as\"\n\
         [account.imap]\nhost = \"127.0.0.1\"\nport = 9\nlogin = \"alice\"\npassword_command = \"echo pw\"\n\
         mailbox = \"INBOX\"\n[account.smtp]\nhost = \"127.0.0.1\"\nport = 9\ntls = \"none\"\n",
    )
    .unwrap();
    path
}

/// Queues one message for `support` in the test's outbox; returns its id.
fn queue(env: &Env, message_id: &str) -> String {
    use mailroom::store::outbox::{Entry, Outbox, State};
    let entry = Entry {
        account: "support".into(),
        agent: "alice".into(),
        envelope: mailroom::message::Envelope {
            mode: "as".into(),
            from: "support@example.test".into(),
            sender: None,
            mail_from: "support@example.test".into(),
            recipients: vec!["c@outside.test".into()],
            message_id: message_id.into(),
            subject: "waiting".into(),
        },
        reply_to_uid: None,
        created: 1,
        attempts: 0,
        draft_id: None,
        policy: None,
        // Not due: a plain listing leaves it alone.
        state: State::Deferred {
            error: "421 later".into(),
            retry_at: i64::MAX,
        },
    };
    Outbox::new(env.outbox_dir())
        .enqueue(&entry, b"Subject: waiting\r\n\r\nx\r\n")
        .unwrap()
}

#[test]
fn a_damaged_entry_makes_outbox_exit_1() {
    let env = Env::new();
    let config = offline_config(&env);
    let id = queue(&env, "damaged@example.test");
    std::fs::write(env.outbox_dir().join(format!("{id}.json")), b"{not json").unwrap();
    let (code, out) = env.run(&config, &["outbox"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("damaged"), "{out}");
    assert!(out.contains(&format!("{id}.json")), "{out}");
    let (code, out) = env.run(&config, &["outbox", "--retry"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("damaged"), "{out}");
}

#[test]
fn orphan_files_are_listed_with_their_paths_and_exit_1() {
    let env = Env::new();
    let config = offline_config(&env);
    let lonely_eml = queue(&env, "a@example.test");
    let lonely_json = queue(&env, "b@example.test");
    let fine = queue(&env, "c@example.test");
    let dir = env.outbox_dir();
    std::fs::remove_file(dir.join(format!("{lonely_eml}.json"))).unwrap();
    std::fs::remove_file(dir.join(format!("{lonely_json}.eml"))).unwrap();
    let (code, out) = env.run(&config, &["outbox"]);
    assert_eq!(code, 1, "{out}");
    let eml = dir.join(format!("{lonely_eml}.eml"));
    let json = dir.join(format!("{lonely_json}.json"));
    assert!(
        out.contains(&format!("orphan message file {}", eml.display())),
        "{out}"
    );
    assert!(
        out.contains(&format!("orphan state file {}", json.display())),
        "{out}"
    );
    assert!(out.contains(&fine), "{out}");
    let (_, listed) = env.run(&config, &["outbox", "--json"]);
    let listed: Vec<Value> = serde_json::from_str(&listed).unwrap();
    assert_eq!(listed.len(), 3, "{listed:?}");
    assert!(
        listed
            .iter()
            .any(|v| v["orphan"] == "message" && v["path"] == eml.display().to_string()),
        "{listed:?}"
    );
}

#[test]
fn an_unreadable_outbox_is_not_empty() {
    let env = Env::new();
    let config = offline_config(&env);
    // Root reads through chmod 000: a file where the directory should be stops anyone.
    let dir = env.outbox_dir();
    std::fs::create_dir_all(dir.parent().unwrap()).unwrap();
    std::fs::write(&dir, b"").unwrap();
    for args in [&["outbox"][..], &["outbox", "--retry"][..]] {
        let (code, out) = env.run(&config, args);
        assert_eq!(code, 1, "{args:?}: {out}");
        assert!(
            out.contains(&format!("cannot read the outbox: {}: ", dir.display())),
            "{args:?}: {out}"
        );
        assert!(!out.contains("empty"), "{args:?}: {out}");
    }
}

#[test]
fn an_uncertain_message_the_server_filed_in_sent_is_filed_not_resent() {
    use mailroom::store::outbox::{Entry, Outbox, State};
    let tb = Testbed::start();
    let env = Env::new();
    let (fake_port, seen) = silent_after_dot();
    let config = env.config(
        &tb,
        "server-copy",
        &format!("host = \"127.0.0.1\"\nport = {fake_port}\ntls = \"none\"\n"),
    );
    // The server files Sent itself.
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("send = \"as\"\n", "send = \"as\"\nsent_copy = \"server\"\n");
    std::fs::write(&config, text).unwrap();
    let message_id = "filed-by-server@example.test";
    let raw = format!(
        "From: support@example.test\r\nTo: c@outside.test\r\nSubject: filed by the server\r\n\
         Message-ID: <{message_id}>\r\n\r\nhello\r\n"
    );
    let entry = Entry {
        account: "support".into(),
        agent: "alice".into(),
        envelope: mailroom::message::Envelope {
            mode: "as".into(),
            from: "support@example.test".into(),
            sender: None,
            mail_from: "support@example.test".into(),
            recipients: vec!["c@outside.test".into()],
            message_id: message_id.into(),
            subject: "filed by the server".into(),
        },
        reply_to_uid: None,
        created: 1,
        attempts: 1,
        draft_id: None,
        policy: None,
        state: State::Uncertain {
            since: 1_000_000,
            server: format!("127.0.0.1:{fake_port}"),
            error: None,
        },
    };
    Outbox::new(env.outbox_dir())
        .enqueue(&entry, raw.as_bytes())
        .unwrap();
    tb.raw_imap("alice")
        .append("shared/support/Sent", "\\Seen", raw.as_bytes());

    let (code, out) = env.run(&config, &["outbox"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("a copy with this Message-ID IS in shared/support/Sent"),
        "{out}"
    );
    let (code, out) = env.run(&config, &["outbox", "--retry"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&format!("sent <{message_id}>")), "{out}");
    assert!(out.contains("the outbox is empty"), "{out}");
    assert_eq!(seen.lock().unwrap().connections, 0, "it was transmitted");
}

#[test]
fn a_connection_lost_after_the_dot_is_uncertain_and_a_reply_after_it_is_known() {
    let tb = Testbed::start();
    let env = Env::new();
    let send = |port: u16, subject: &str| {
        let config = env.config(
            &tb,
            subject,
            &format!("host = \"127.0.0.1\"\nport = {port}\ntls = \"none\"\n"),
        );
        let out = env
            .command(
                &config,
                &[
                    "send",
                    "support",
                    "--to",
                    "c@outside.test",
                    "--subject",
                    subject,
                ],
            )
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code(), text, config)
    };
    // The server hangs up instead of answering: nobody knows; said so, kept, not retried.
    let (port, seen) = fake_smtp(AfterDot::Hangup);
    let (code, out, config) = send(port, "hangup");
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("uncertain <"), "{out}");
    assert!(
        out.contains("no reply after the end of the message data"),
        "{out}"
    );
    let (code, out) = env.run(&config, &["outbox", "--retry"]);
    assert_eq!(code, 1, "{out}");
    assert_eq!(seen.lock().unwrap().connections, 1, "sent again: {out}");
    let (_, json) = env.run(&config, &["outbox", "--json"]);
    let listed: Vec<Value> = serde_json::from_str(&json).unwrap();
    assert_eq!(listed[0]["entry"]["state"], "uncertain", "{json}");
    assert!(
        listed[0]["entry"]["error"]
            .as_str()
            .is_some_and(|e| e.contains("no reply after the end of the message data")),
        "{json}"
    );
    std::fs::remove_dir_all(env.outbox_dir()).unwrap();

    // A 4xx after the dot is a known answer: deferred, retried as always.
    let (port, seen) = fake_smtp(AfterDot::Reply("451 4.3.0 try again later"));
    let (code, out, config) = send(port, "tempfail");
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("will retry"), "{out}");
    let (code, out) = env.run(&config, &["outbox", "--retry"]);
    assert_eq!(code, 0, "deferred again, not a decision to make: {out}");
    assert_eq!(seen.lock().unwrap().connections, 2, "retried: {out}");
}

/// When the outbox cannot record that the final dot is going out, the dot never goes: the
/// server discards the unfinished message and the failure is temporary (retried as usual).
#[test]
fn a_mark_that_cannot_be_recorded_withholds_the_final_dot() {
    use mailroom::smtp::submit::{SubmitError, submit_marked};
    let (port, seen) = silent_after_dot();
    let smtp: mailroom::config::Smtp = toml::from_str(&format!(
        "host = \"127.0.0.1\"\nport = {port}\ntls = \"none\"\n"
    ))
    .unwrap();
    let message = mailroom::mail::compose::Outgoing {
        raw: b"Subject: withheld\r\nMessage-ID: <w@example.test>\r\n\r\nbody\r\n".to_vec(),
        mail_from: "support@example.test".into(),
        recipients: vec!["c@outside.test".into()],
        message_id: "w@example.test".into(),
        subject: "withheld".into(),
    };
    let mut calls = 0;
    let result = submit_marked("support", &smtp, &message, &mut || {
        calls += 1;
        Err("disk full".into())
    });
    assert_eq!(calls, 1);
    match result {
        Err(SubmitError::Temporary(e)) => assert!(
            e.to_string()
                .contains("not sent: the outbox could not record the delivery: disk full"),
            "{e}"
        ),
        other => panic!("{other:?}"),
    }
    std::thread::sleep(Duration::from_millis(300));
    let seen = seen.lock().unwrap();
    assert_eq!(seen.connections, 1);
    assert!(seen.messages.is_empty(), "the final dot went out");
}
