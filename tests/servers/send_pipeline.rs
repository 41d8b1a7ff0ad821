//! `mailroom send` / `outbox` end to end against the real test bed: identity and signature
//! policy, Sent copy and attribution, \Answered, audit log, refusals kept in the outbox, retry
//! after an outage, and delivery exactly once after a crash mid-send (a crash between the final
//! dot and the reply: `outbox_faults.rs`).

use crate::support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, SystemTime};

use serde_json::Value;
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

    fn config(&self, tb: &Testbed, agent: &str, send: &str, smtp_port: u16) -> PathBuf {
        let path = self
            .dir
            .path()
            .join(format!("{agent}-{send}-{smtp_port}.toml"));
        std::fs::write(
            &path,
            format!(
                "[agent]\nid = \"{agent}\"\nname = \"{agent} Example\"\nemail = \"{agent}@example.test\"\n[agent.fields]\ntitle = \"Support Engineer\"\n\n\
                 [[account]]\nname = \"support\"\naddress = \"support@example.test\"\ndisplay_name = \"Example Support\"\naliases = [\"help@example.test\"]\nsend = \"{send}\"\nsignature = \"support\"\n\
                 [account.imap]\nhost = \"127.0.0.1\"\nport = {}\nca_file = \"{ca}\"\nlogin = \"{agent}\"\npassword_command = \"echo {pw}\"\nmailbox = \"shared/support/INBOX\"\nsent = \"shared/support/Sent\"\n\
                 [account.smtp]\nhost = \"127.0.0.1\"\nport = {smtp_port}\nca_file = \"{ca}\"\nlogin = \"{agent}\"\npassword_command = \"echo {pw}\"\n\n\
                 [signature.support]\ntext = \"{{agent.name}} · {{agent.fields.title}}\\n{{account.display_name}}\"\ndisclaimer = \"CONFIDENTIAL: for the addressee only.\"\nplacement = \"below-reply\"\nrequired = true\n",
                tb.imaps_port,
                ca = tb.ca_file.display(),
                pw = Testbed::password(agent),
            ),
        )
        .unwrap();
        path
    }

    fn run(&self, config: &Path, args: &[&str], stdin: Option<&str>) -> Output {
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
        if let Some(s) = stdin {
            child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
        }
        drop(child.stdin.take());
        child.wait_with_output().unwrap()
    }

    fn audit(&self) -> Vec<Value> {
        let text = std::fs::read_to_string(self.dir.path().join("data/mailroom/audit.jsonl"))
            .unwrap_or_default();
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

const QUESTION: &[u8] = b"From: Zoe Customer <zoe@outside.test>\r\nTo: help@example.test\r\nSubject: Printer broken\r\nMessage-ID: <q1@outside.test>\r\nDate: Fri, 27 Nov 2026 09:00:00 +0000\r\n\r\nIt prints nothing.\r\n";

#[test]
fn a_reply_goes_out_from_the_alias_with_signature_sent_copy_answered_and_audit() {
    let tb = Testbed::start();
    tb.deliver("help@example.test", QUESTION);
    let env = Env::new();
    let cfg = env.config(&tb, "alice", "as", tb.submission_port);
    let list = env.run(&cfg, &["list", "support", "--json"], None);
    let rows: Value =
        serde_json::from_slice(&list.stdout).unwrap_or_else(|_| panic!("{}", text(&list)));
    let uid = rows[0]["uid"].as_u64().unwrap().to_string();

    let out = env.run(
        &cfg,
        &[
            "send",
            "support",
            "--reply",
            &uid,
            "--bcc",
            "qa@outside.test",
            "--body-file",
            "-",
            "--json",
        ],
        Some("We sent a technician.\n"),
    );
    assert!(out.status.success(), "{}", text(&out));
    let outcome: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(outcome["result"], "sent");
    let message_id = outcome["message_id"].as_str().unwrap().to_string();

    let sink = tb.wait_sink(2, Duration::from_secs(15));
    let to_zoe = sink
        .iter()
        .find(|m| m.recipient == "zoe@outside.test")
        .expect("delivered to the customer");
    assert!(
        to_zoe.header("From").unwrap().contains("help@example.test"),
        "reply from the alias the mail reached"
    );
    assert_eq!(to_zoe.sender, "help@example.test");
    assert!(to_zoe.header("Sender").is_none());
    assert_eq!(
        to_zoe.header("Subject").as_deref(),
        Some("Re: Printer broken")
    );
    assert_eq!(
        to_zoe.header("In-Reply-To").as_deref(),
        Some("<q1@outside.test>")
    );
    assert!(
        to_zoe.header("X-Mailroom-Agent").is_none(),
        "the customer never sees the agent in Send As"
    );
    for m in &sink {
        assert!(m.header("Bcc").is_none(), "Bcc transmitted");
    }
    let body = mailroom::mail::parse::text_body(&to_zoe.raw);
    let new_at = body.find("We sent a technician.").unwrap();
    let sig_at = body
        .find("-- \n")
        .or_else(|| body.find("-- \r\n"))
        .expect("signature delimiter");
    let quote_at = body.find("> It prints nothing.").expect("quote");
    let disclaimer_at = body.find("CONFIDENTIAL").expect("disclaimer");
    assert!(
        new_at < sig_at && sig_at < quote_at && quote_at < disclaimer_at,
        "{body}"
    );
    assert!(body.contains("alice Example · Support Engineer"), "{body}");

    // The Sent copy, and only it, names the agent; the original is answered.
    let mut bob = tb.raw_imap("bob");
    bob.cmd_ok("SELECT \"shared/support/Sent\"");
    let sent = bob.cmd_ok("FETCH 1:* (BODY.PEEK[HEADER.FIELDS (X-MAILROOM-AGENT MESSAGE-ID)])");
    assert!(
        sent.contains("X-Mailroom-Agent: alice") && sent.contains(&message_id),
        "{sent}"
    );
    bob.cmd_ok("SELECT \"shared/support/INBOX\"");
    let flags = bob.cmd_ok(&format!("UID FETCH {uid} (FLAGS)"));
    assert!(
        flags
            .lines()
            .any(|l| l.contains("FETCH (UID") && l.contains("\\Answered")),
        "{flags}"
    );

    // One audit record, matching what the sink received.
    let audit = env.audit();
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(audit[0]["result"], "sent");
    assert_eq!(audit[0]["from"], "help@example.test");
    assert_eq!(audit[0]["mail_from"], "help@example.test");
    assert_eq!(audit[0]["message_id"], message_id.as_str());
    let mut rcpts: Vec<&str> = audit[0]["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    rcpts.sort_unstable();
    let mut sunk: Vec<&str> = sink.iter().map(|m| m.recipient.as_str()).collect();
    sunk.sort_unstable();
    assert_eq!(rcpts, sunk);
    let outbox = env.run(&cfg, &["outbox"], None);
    assert!(
        text(&outbox).contains("the outbox is empty"),
        "{}",
        text(&outbox)
    );
}

#[test]
fn refusals_are_local_or_kept_with_the_servers_reason() {
    let tb = Testbed::start();
    let env = Env::new();
    // carol: send = "none": refused before anything is queued or transmitted.
    let carol = env.config(&tb, "carol", "none", tb.submission_port);
    let out = env.run(
        &carol,
        &[
            "send",
            "support",
            "--to",
            "c@outside.test",
            "--subject",
            "hi",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("send = \"none\""), "{}", text(&out));
    // A line break in the subject never reaches a header.
    let alice = env.config(&tb, "alice", "as", tb.submission_port);
    let out = env.run(
        &alice,
        &[
            "send",
            "support",
            "--to",
            "c@outside.test",
            "--subject",
            "hi\r\nBcc: evil@x.test",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("line breaks"), "{}", text(&out));
    // bob configured as "as": Postfix refuses the envelope; the message stays, failed, with the reason.
    let bob = env.config(&tb, "bob", "as", tb.submission_port);
    let out = env.run(
        &bob,
        &[
            "send",
            "support",
            "--to",
            "c@outside.test",
            "--subject",
            "not allowed",
            "--body-file",
            "-",
        ],
        Some("x"),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("refused"), "{}", text(&out));
    let listing = env.run(&bob, &["outbox", "--json"], None);
    let entries: Value = serde_json::from_slice(&listing.stdout).unwrap();
    assert_eq!(entries[0]["entry"]["state"], "failed");
    assert!(
        entries[0]["entry"]["error"]
            .as_str()
            .unwrap()
            .contains("55"),
        "{entries}"
    );
    std::thread::sleep(Duration::from_millis(500));
    assert!(tb.sink_messages().is_empty());
}

#[test]
fn an_outage_defers_and_a_retry_delivers_exactly_once() {
    let tb = Testbed::start();
    let env = Env::new();
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let down = env.config(&tb, "alice", "as", dead);
    let out = env.run(
        &down,
        &[
            "send",
            "support",
            "--to",
            "c@outside.test",
            "--subject",
            "during outage",
            "--body-file",
            "-",
        ],
        Some("hello"),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("will retry"), "{}", text(&out));
    let up = env.config(&tb, "alice", "as", tb.submission_port);
    let retry = env.run(&up, &["outbox", "--retry"], None);
    assert!(retry.status.success(), "{}", text(&retry));
    let again = env.run(&up, &["outbox", "--retry"], None);
    assert!(text(&again).contains("the outbox is empty"));
    std::thread::sleep(Duration::from_millis(500));
    let sink = tb.wait_sink(1, Duration::from_secs(10));
    assert_eq!(
        sink.iter()
            .filter(|m| m.header("Subject").as_deref() == Some("during outage"))
            .count(),
        1
    );
    let results: Vec<String> = env
        .audit()
        .iter()
        .map(|r| r["result"].as_str().unwrap().to_string())
        .collect();
    assert!(
        results[0].starts_with("deferred") && results[1] == "sent",
        "{results:?}"
    );
}

#[test]
fn a_crash_after_submission_is_not_sent_twice() {
    use mailroom::engine::pipeline::{self, Context};
    use mailroom::mail::compose::{Draft, build};
    use mailroom::policy::identity;
    use mailroom::store::audit::AuditLog;
    use mailroom::store::outbox::{Outbox, State};

    let tb = Testbed::start();
    let env = Env::new();
    let cfg_path = env.config(&tb, "alice", "as", tb.submission_port);
    let config = mailroom::config::load(&cfg_path).unwrap().config;
    let account = &config.accounts[0];
    let outbox = Outbox::new(env.dir.path().join("data/mailroom/outbox"));
    let audit = AuditLog::new(env.dir.path().join("data/mailroom/audit.jsonl"));
    let ctx = Context {
        config: &config,
        outbox: &outbox,
        audit: &audit,
    };
    let id = identity::identity(account, &config.agent, "support@example.test").unwrap();
    let draft = Draft {
        to: vec!["c@outside.test".into()],
        subject: "once".into(),
        body: "x".into(),
        ..Draft::default()
    };
    let out = build(&draft, &id, SystemTime::now()).unwrap();
    let queued = pipeline::queue(&ctx, account, &id, &out, None).unwrap();

    // The previous process got as far as the server's OK and its own Sent copy, then died
    // before recording anything: the entry still says "sending".
    mailroom::smtp::submit::submit("support", account.smtp.as_ref().unwrap(), &out).unwrap();
    let mut alice = tb.raw_imap("alice");
    alice.append(
        "shared/support/Sent",
        "\\Seen",
        &mailroom::mail::compose::sent_copy(&out.raw, "alice"),
    );
    let (mut entry, _) = outbox.load(&queued).unwrap();
    entry.state = State::Sending;
    entry.attempts = 1;
    outbox.save(&queued, &entry).unwrap();

    // The next start resolves it by the Message-ID in Sent: filed, not resent.
    let retry = env.run(&cfg_path, &["outbox", "--retry"], None);
    assert!(retry.status.success(), "{}", text(&retry));
    std::thread::sleep(Duration::from_millis(800));
    let sink = tb.sink_messages();
    assert_eq!(
        sink.iter()
            .filter(|m| m.header("Subject").as_deref() == Some("once"))
            .count(),
        1,
        "delivered twice"
    );
    let sent = alice.cmd_ok("SELECT \"shared/support/Sent\"");
    assert!(
        sent.contains("1 EXISTS"),
        "a second Sent copy was stored: {sent}"
    );
}

#[test]
fn killed_during_submission_then_restarted_delivers_exactly_once() {
    let tb = Testbed::start();
    let env = Env::new();
    // A server that answers DATA with 354 and then reads nothing: the client is left blocked
    // mid-data, the message incomplete. (The data must outgrow the socket buffers, or the
    // client would write it all, final dot included, and the delivery would be uncertain:
    // between lettre and the server sit lettre's send buffer, the loopback relay that enforces
    // the deadlines, and the receive buffer, which Linux may grow to 32 MiB.)
    let big = env.dir.path().join("big.bin");
    std::fs::write(&big, vec![b'x'; 24_000_000]).unwrap();
    let (stall_port, seen) =
        support::fake_smtp::fake_smtp(support::fake_smtp::AfterDot::StallAtData);
    let via_stall = env.config(&tb, "alice", "as", stall_port);
    let toml = std::fs::read_to_string(&via_stall).unwrap();
    let smtp_at = toml.find("[account.smtp]").unwrap();
    let smtp_end = smtp_at + toml[smtp_at..].find("\n\n").unwrap();
    let toml = format!(
        "{}[account.smtp]\nhost = \"127.0.0.1\"\nport = {stall_port}\ntls = \"none\"{}",
        &toml[..smtp_at],
        &toml[smtp_end..]
    );
    std::fs::write(&via_stall, toml).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_mailroom"))
        .arg("--config")
        .arg(&via_stall)
        .args([
            "send",
            "support",
            "--to",
            "c@outside.test",
            "--subject",
            "killed mid-send",
            "--attach",
            big.to_str().unwrap(),
        ])
        .env("XDG_DATA_HOME", env.dir.path().join("data"))
        .env("XDG_CACHE_HOME", env.dir.path().join("cache"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the outbox says "sending" (the submission is under way), then kill -9.
    let outbox_dir = env.dir.path().join("data/mailroom/outbox");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let sending = std::fs::read_dir(&outbox_dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".json"))
            .any(|e| std::fs::read_to_string(e.path()).is_ok_and(|t| t.contains("\"sending\"")));
        if sending {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the send never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(500));
    child.kill().unwrap();
    let _ = child.wait();
    assert!(seen.lock().unwrap().connections > 0);
    let state = std::fs::read_dir(&outbox_dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".json"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect::<String>();
    assert!(
        state.contains("\"sending\""),
        "killed before the data was complete: {state}"
    );

    // Restarted against the real server: delivered, once.
    let direct = env.config(&tb, "alice", "as", tb.submission_port);
    let retry = env.run(&direct, &["outbox", "--retry"], None);
    assert!(retry.status.success(), "{}", text(&retry));
    let again = env.run(&direct, &["outbox", "--retry"], None);
    assert!(
        text(&again).contains("the outbox is empty"),
        "{}",
        text(&again)
    );
    std::thread::sleep(Duration::from_secs(1));
    let sink = tb.wait_sink(1, Duration::from_secs(15));
    assert_eq!(
        sink.iter()
            .filter(|m| m.header("Subject").as_deref() == Some("killed mid-send"))
            .count(),
        1
    );
}

#[test]
fn a_sendmail_command_delivers_and_a_tempfail_defers() {
    let tb = Testbed::start();
    let env = Env::new();
    let out_file = env.dir.path().join("msmtp-out.eml");
    let args_file = env.dir.path().join("msmtp-args");
    let write_config = |command: &str| {
        let path = env.dir.path().join("sendmail.toml");
        std::fs::write(
            &path,
            format!(
                "[agent]\nid = \"alice\"\nname = \"Alice\"\nemail = \"alice@example.test\"\n[[account]]\nname = \"support\"\naddress = \"support@example.test\"\nsend = \"as\"\nsent_copy = \"none\"\n\
                 [account.imap]\nhost = \"127.0.0.1\"\nport = {}\nca_file = \"{}\"\nlogin = \"alice\"\npassword_command = \"echo alice-pw\"\nmailbox = \"shared/support/INBOX\"\n\
                 [account.sendmail]\ncommand = {command:?}\n",
                tb.imaps_port,
                tb.ca_file.display()
            ),
        )
        .unwrap();
        path
    };
    let ok = write_config(&format!(
        "cat > '{}'; printf '%s\\n' \"$@\" > '{}'; true",
        out_file.display(),
        args_file.display()
    ));
    let out = env.run(
        &ok,
        &[
            "send",
            "support",
            "--to",
            "c@outside.test",
            "--bcc",
            "b@outside.test",
            "--subject",
            "via msmtp",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out));
    let raw = std::fs::read_to_string(&out_file).unwrap();
    assert!(
        raw.contains("Subject: via msmtp") && !raw.contains("b@outside.test"),
        "{raw}"
    );
    let tempfail = write_config("cat > /dev/null; exit 75");
    let out = env.run(
        &tempfail,
        &[
            "send",
            "support",
            "--to",
            "c@outside.test",
            "--subject",
            "later",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("will retry"), "{}", text(&out));
}

#[test]
fn a_refused_draft_sent_again_replaces_its_failed_entry() {
    use mailroom::engine::pipeline::{self, Context, Outcome};
    use mailroom::mail::compose::{Draft, build};
    use mailroom::policy::identity;
    use mailroom::store::audit::AuditLog;
    use mailroom::store::outbox::{Outbox, State};

    let tb = Testbed::start();
    let env = Env::new();
    // bob configured "as": Postfix refuses every attempt (553), so each is kept, failed.
    let cfg_path = env.config(&tb, "bob", "as", tb.submission_port);
    let config = mailroom::config::load(&cfg_path).unwrap().config;
    let account = &config.accounts[0];
    let outbox = Outbox::new(env.dir.path().join("data/mailroom/outbox"));
    let audit = AuditLog::new(env.dir.path().join("data/mailroom/audit.jsonl"));
    let ctx = Context {
        config: &config,
        outbox: &outbox,
        audit: &audit,
    };
    let id = identity::identity(account, &config.agent, "support@example.test").unwrap();
    let attempt = |subject: &str, draft: Option<&str>| {
        let out = build(
            &Draft {
                to: vec!["c@outside.test".into()],
                subject: subject.into(),
                body: "x".into(),
                ..Draft::default()
            },
            &id,
            SystemTime::now(),
        )
        .unwrap();
        let queued = pipeline::queue_draft(&ctx, account, &id, &out, None, draft).unwrap();
        let outcome = pipeline::deliver(&ctx, &queued, false).unwrap();
        assert!(matches!(outcome, Outcome::Failed { .. }), "{outcome:?}");
        queued
    };
    let failed = |outbox: &Outbox| -> Vec<String> {
        outbox
            .list()
            .into_iter()
            .filter(|(_, e)| matches!(e, Ok(e) if matches!(e.state, State::Failed { .. })))
            .map(|(id, _)| id)
            .collect()
    };
    let first = attempt("try 1", Some("draft-1"));
    let other = attempt("someone else's", None);
    assert_eq!(failed(&outbox).len(), 2);
    // The same draft, corrected and sent again: its earlier failure goes; the new attempt
    // (refused again here) and the unrelated failure stay.
    let second = attempt("try 2", Some("draft-1"));
    let mut left = failed(&outbox);
    left.sort();
    let mut want = vec![second, other];
    want.sort();
    assert_eq!(left, want);
    assert!(outbox.load(&first).is_err(), "the first attempt is gone");
}

/// The account of [`Env::config`] with `sent_copy = "server"`: the server files its own copy.
fn server_copy_config(env: &Env, tb: &Testbed) -> PathBuf {
    let base = env.config(tb, "alice", "as", tb.submission_port);
    let text = std::fs::read_to_string(&base).unwrap().replacen(
        "signature = \"support\"\n",
        "signature = \"support\"\nsent_copy = \"server\"\n",
        1,
    );
    let path = env.dir.path().join("server-copy.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// Plays a Gmail-like server: once the sink holds the message with `subject`, appends a copy
/// with the same Message-ID and the given header lines (From etc.) to shared/support/Sent,
/// 0.8 s later (within mailroom's 5 s window).
fn file_server_copy(tb: &Testbed, subject: &str, header: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let sent = loop {
        if let Some(m) = tb
            .sink_messages()
            .into_iter()
            .find(|m| m.header("Subject").as_deref() == Some(subject))
        {
            break m;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{subject:?} never reached the sink"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    // Filed a little later, as Gmail does: mailroom's first look finds nothing.
    std::thread::sleep(Duration::from_millis(800));
    let message_id = sent.header("Message-ID").expect("Message-ID");
    let copy = format!(
        "{header}To: c@outside.test\r\nSubject: {subject}\r\nMessage-ID: {message_id}\r\nDate: Fri, 27 Nov 2026 09:00:00 +0000\r\n\r\nx\r\n"
    );
    let mut server = tb.raw_imap("bob");
    server.append("shared/support/Sent", "\\Seen", copy.as_bytes());
}

#[test]
fn a_from_rewritten_by_the_server_is_reported_not_passed_silently() {
    let tb = Testbed::start();
    let env = Env::new();
    let cfg = server_copy_config(&env, &tb);
    let send = |subject: &str, json: bool| {
        let mut args = vec![
            "send",
            "support",
            "--to",
            "c@outside.test",
            "--subject",
            subject,
            "--body-file",
            "-",
        ];
        if json {
            args.push("--json");
        }
        let started = std::time::Instant::now();
        let out = env.run(&cfg, &args, Some("hello"));
        (out, started.elapsed())
    };

    // 1. Gmail without a verified alias: From is the login, the original kept aside; a hostile
    //    byte in the server's header never reaches the terminal.
    let (out, _) = std::thread::scope(|s| {
        s.spawn(|| {
            file_server_copy(
                &tb,
                "rewritten",
                "From: Alice <alice@gmail.example>\r\nX-Google-Original-From: Example Support <support@example.test>\r\n",
            )
        });
        send("rewritten", false)
    });
    assert!(out.status.success(), "{}", text(&out));
    let shown = text(&out);
    assert!(
        shown.contains("warning: the server rewrote From to alice@gmail.example (configure a verified send-as alias)"),
        "{shown}"
    );

    // The same in JSON, with escape sequences in the server's From.
    let (out, _) = std::thread::scope(|s| {
        s.spawn(|| {
            file_server_copy(
                &tb,
                "rewritten json",
                "From: \"\x1b]0;owned\x07\" <ALICE\x1b[2J@gmail.example>\r\n",
            )
        });
        send("rewritten json", true)
    });
    assert!(out.status.success(), "{}", text(&out));
    assert!(!out.stdout.contains(&0x1b), "{}", text(&out));
    let outcome: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(outcome["result"], "sent");
    let warning = outcome["warning"].as_str().expect("a warning");
    assert!(
        warning.starts_with("the server rewrote From to ALICE") && !warning.contains('\x1b'),
        "{warning:?}"
    );

    // 2. A verified alias: the copy keeps our From (another display name, other case).
    let (out, _) = std::thread::scope(|s| {
        s.spawn(|| {
            file_server_copy(
                &tb,
                "unchanged",
                "From: \"Support Team\" <Support@Example.TEST>\r\n",
            )
        });
        send("unchanged", true)
    });
    assert!(out.status.success(), "{}", text(&out));
    let outcome: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(outcome["result"], "sent");
    assert!(outcome.get("warning").is_none(), "{outcome}");

    // 3. No copy appears: done within the window, no warning, noted in the audit only.
    let (out, took) = send("no copy", true);
    assert!(out.status.success(), "{}", text(&out));
    let outcome: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(outcome["result"], "sent");
    assert!(outcome.get("warning").is_none(), "{outcome}");
    assert!(
        took >= Duration::from_secs(4) && took < Duration::from_secs(12),
        "{took:?}"
    );

    let results: Vec<(String, String)> = env
        .audit()
        .iter()
        .map(|r| {
            (
                r["subject"].as_str().unwrap().to_string(),
                r["result"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(results.len(), 4, "{results:?}");
    assert_eq!(
        results[0],
        (
            "rewritten".to_string(),
            "sent; the server rewrote From to alice@gmail.example (configure a verified send-as alias)".to_string()
        )
    );
    assert!(
        results[1]
            .1
            .starts_with("sent; the server rewrote From to ALICE"),
        "{results:?}"
    );
    assert_eq!(results[2].1, "sent");
    assert!(
        results[3].1.starts_with("sent; From not verified"),
        "{results:?}"
    );
    // mailroom itself stored no copy: the only ones are the server's.
    let mut bob = tb.raw_imap("bob");
    let sent = bob.cmd_ok("SELECT \"shared/support/Sent\"");
    assert!(sent.contains("3 EXISTS"), "{sent}");
}
