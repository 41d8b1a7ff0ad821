//! The team policy enforced where mail is sent, against the real Dovecot and Postfix: alice
//! (the mailbox administrator) publishes a policy in `shared/support/Policy`; bob, whose local
//! configuration claims Send As and a private signature, sends on behalf with the team
//! signature and disclaimer and is told why; carol is refused with the policy's reason and
//! nothing leaves; a broken newer policy changes nothing and is reported; a message queued
//! under an older policy is checked again before it goes, and held when the policy in force no
//! longer allows it (a message queued before the policy said "review" included).

use crate::support;

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::Value;
use support::testbed::Testbed;

const FOLDER: &str = "shared/support/Policy";

const POLICY_V1: &str = "version = 1\nadministrators = [\"alice\"]\n[send]\nas = [\"alice\"]\non-behalf = [\"bob\"]\n[signature]\ntext = \"The Support Team\"\ndisclaimer = \"TEAM DISCLAIMER: confidential.\"\nrequired = true\n";

fn publish(tb: &Testbed, version: u64, document: &str) {
    let raw = mailroom::mail::policy::build(
        "alice",
        "alice@example.test",
        "support@example.test",
        version,
        document,
        &[],
        std::time::SystemTime::now(),
    )
    .unwrap();
    let mut imap = tb.raw_imap("alice");
    imap.cmd(&format!("CREATE \"{FOLDER}\""));
    imap.append(FOLDER, "\\Seen", &raw);
}

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        Env {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// `agent`'s configuration: account `support` with the local `send` mode and a private
    /// signature, submitting to `smtp_port`.
    fn config(&self, tb: &Testbed, agent: &str, send: &str, smtp_port: u16) -> PathBuf {
        let path = self.dir.path().join(format!("{agent}.toml"));
        std::fs::write(
            &path,
            format!(
                "[agent]\nid = \"{agent}\"\nname = \"{agent} Example\"\nemail = \"{agent}@example.test\"\n\n\
                 [[account]]\nname = \"support\"\naddress = \"support@example.test\"\nsend = \"{send}\"\nsignature = \"mine\"\n\
                 [account.imap]\nhost = \"127.0.0.1\"\nport = {}\nca_file = \"{ca}\"\nlogin = \"{agent}\"\npassword_command = \"echo {pw}\"\nmailbox = \"shared/support/INBOX\"\n\
                 [account.smtp]\nhost = \"127.0.0.1\"\nport = {smtp_port}\nca_file = \"{ca}\"\nlogin = \"{agent}\"\npassword_command = \"echo {pw}\"\n\n\
                 [signature.mine]\ntext = \"PRIVATE SIGNATURE of {agent}\"\n",
                tb.imaps_port,
                ca = tb.ca_file.display(),
                pw = Testbed::password(agent),
            ),
        )
        .unwrap();
        path
    }

    fn run(&self, config: &PathBuf, args: &[&str], stdin: &str) -> Output {
        use std::io::Write;
        let mut child = Command::new(env!("CARGO_BIN_EXE_mailroom"))
            .arg("--config")
            .arg(config)
            .args(args)
            .env("XDG_DATA_HOME", self.dir.path().join("data"))
            .env("XDG_CACHE_HOME", self.dir.path().join("cache"))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn send(env: &Env, cfg: &PathBuf, subject: &str) -> Output {
    env.run(
        cfg,
        &[
            "send",
            "support",
            "--to",
            "zoe@outside.test",
            "--subject",
            subject,
            "--body-file",
            "-",
            "--json",
        ],
        "Hello Zoe.\n",
    )
}

/// A loopback port nobody listens on: the SMTP server is "down".
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[test]
fn the_policy_wins_bob_sends_on_behalf_with_the_team_signature_carol_is_refused() {
    let tb = Testbed::start();
    publish(&tb, 1, POLICY_V1);
    let env = Env::new();

    // bob: the local config says Send As and his own signature; the policy says on behalf.
    let bob = env.config(&tb, "bob", "as", tb.submission_port);
    let out = send(&env, &bob, "First");
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(
        stderr(&out).contains(
            "the team policy of support (version 1) allows bob on-behalf only: sending on behalf"
        ),
        "bob is told why: {}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("requires its own signature and disclaimer"),
        "{}",
        stderr(&out)
    );
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["result"], "sent");
    assert_eq!(json["policy"]["version"], 1);
    assert_eq!(json["policy"]["origin"], "server");
    let sink = tb.wait_sink(1, Duration::from_secs(15));
    let m = String::from_utf8_lossy(&sink[0].raw).into_owned();
    assert!(m.contains("From: support <support@example.test>"), "{m}");
    assert!(
        m.contains("Sender: \"bob Example\" <bob@example.test>"),
        "{m}"
    );
    assert_eq!(sink[0].sender, "bob@example.test", "MAIL FROM is bob's");
    assert!(m.contains("The Support Team"), "{m}");
    assert!(m.contains("TEAM DISCLAIMER: confidential."), "{m}");
    assert!(!m.contains("PRIVATE SIGNATURE"), "{m}");

    // carol: the policy names her nowhere: refused with its reason, nothing sent.
    let carol = env.config(&tb, "carol", "as", tb.submission_port);
    let out = send(&env, &carol, "Never");
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stderr(&out)
            .contains("the team policy of support (version 1) does not allow carol to send"),
        "{}",
        stderr(&out)
    );

    // A newer policy with a syntax error changes nothing and is reported.
    publish(&tb, 2, "version = 2\n[send]\nas = [\"alice\", \"bob\"\n");
    let out = send(&env, &bob, "Second");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("published by alice is skipped, the policy before it rules")
            && stderr(&out).contains("3:"),
        "the broken policy is reported with its line: {}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("allows bob on-behalf only: sending on behalf"),
        "{}",
        stderr(&out)
    );
    let sink = tb.wait_sink(2, Duration::from_secs(15));
    assert_eq!(sink.len(), 2, "carol's message never left");
    let m = String::from_utf8_lossy(&sink[1].raw).into_owned();
    assert!(m.contains("Subject: Second"), "{m}");
    assert!(
        m.contains("Sender: \"bob Example\" <bob@example.test>"),
        "{m}"
    );
    assert!(m.contains("TEAM DISCLAIMER"), "{m}");
}

#[test]
fn a_message_queued_under_an_older_policy_is_held_when_the_policy_in_force_forbids_it() {
    let tb = Testbed::start();
    // Version 1 lets bob send as the shared address and asks for no signature.
    publish(&tb, 1, "version = 1\n[send]\nas = [\"alice\", \"bob\"]\n");
    let env = Env::new();
    let down = closed_port();

    // Queued while the SMTP server is down: one as support@, one on behalf (his own
    // signature), each built under version 1.
    let as_cfg = env.config(&tb, "bob", "as", down);
    let out = send(&env, &as_cfg, "Queued as");
    assert!(stdout(&out).contains("deferred"), "{}", stdout(&out));
    let behalf = env.config(&tb, "bob", "on-behalf", down);
    let out = send(&env, &behalf, "Queued on behalf");
    assert!(stdout(&out).contains("deferred"), "{}", stdout(&out));

    // The policy changes: on behalf only, with a required team signature.
    publish(
        &tb,
        2,
        "version = 2\n[send]\nas = [\"alice\"]\non-behalf = [\"bob\"]\n[signature]\ntext = \"The Support Team\"\ndisclaimer = \"TEAM DISCLAIMER\"\nrequired = true\n",
    );
    // A third message, built under version 2, queued too.
    let out = send(&env, &behalf, "Queued under v2");
    assert!(stdout(&out).contains("deferred"), "{}", stdout(&out));

    // The server is back: the retry checks each message against version 2 first.
    let up = env.config(&tb, "bob", "on-behalf", tb.submission_port);
    let out = env.run(&up, &["outbox", "--retry", "--json"], "");
    let text = stdout(&out);
    assert!(
        text.contains(
            "held: the team policy of support (version 2) allows bob on-behalf only; this \
             message was queued under version 1 as as"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "held: the team policy of support (version 2) requires its team signature and \
             disclaimer, which this message (queued under version 1) does not carry"
        ),
        "{text}"
    );
    let sink = tb.wait_sink(1, Duration::from_secs(15));
    std::thread::sleep(Duration::from_millis(500));
    let sink_now = tb.sink_messages();
    assert_eq!(
        sink_now.len(),
        1,
        "only the message built under v2 went out"
    );
    let m = String::from_utf8_lossy(&sink[0].raw).into_owned();
    assert!(m.contains("Subject: Queued under v2"), "{m}");
    assert!(m.contains("TEAM DISCLAIMER"), "{m}");

    // Held, not lost: both wait in the outbox as refused, with the reason.
    let out = env.run(&up, &["outbox", "--json"], "");
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2, "{list:?}");
    for e in list {
        assert_eq!(e["entry"]["state"], "failed", "{e}");
        assert!(
            e["entry"]["error"].as_str().unwrap().starts_with("held: "),
            "{e}"
        );
    }
}

#[test]
fn a_message_queued_before_the_policy_said_review_is_held_by_the_retry_not_sent() {
    let tb = Testbed::start();
    // Version 1: bob sends on behalf, nobody reviews.
    publish(
        &tb,
        1,
        "version = 1\n[send]\nas = [\"alice\"]\non-behalf = [\"bob\"]\n",
    );
    let env = Env::new();
    let down = env.config(&tb, "bob", "on-behalf", closed_port());
    let out = send(&env, &down, "Queued before review");
    assert!(stdout(&out).contains("deferred"), "{}", stdout(&out));

    // Version 2: bob's replies need alice's approval.
    publish(
        &tb,
        2,
        "version = 2\n[send]\nas = [\"alice\"]\non-behalf = [\"bob\"]\n[review]\nagents = [\"bob\"]\napprovers = [\"alice\"]\n",
    );
    let up = env.config(&tb, "bob", "on-behalf", tb.submission_port);
    let out = env.run(&up, &["outbox", "--retry", "--json"], "");
    let text = stdout(&out);
    assert!(
        text.contains(
            "held: the team policy of support (version 2) holds bob's replies for review by \
             alice; this message was queued under version 1 without review"
        ),
        "{text}\n{}",
        stderr(&out)
    );
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        tb.sink_messages().is_empty(),
        "no recipient got the unreviewed message"
    );
    // Held, not lost.
    let out = env.run(&up, &["outbox", "--json"], "");
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["entry"]["state"], "failed", "{}", list[0]);
}
