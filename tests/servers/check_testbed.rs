//! `mailroom check` against a real Dovecot + Postfix: rights per agent, login modes, TLS
//! refusals, envelope-sender enforcement. Runs the real binary.

use crate::support;

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use support::testbed::Testbed;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn mailroom(args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_mailroom"))
        .args(args)
        .env_remove("MAILROOM_CONFIG")
        .output()
        .expect("run mailroom");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Options for one account of a generated config.
struct Acct<'a> {
    name: &'a str,
    send: &'a str,
    tls: &'a str,
    port: u16,
    login: &'a str,
    authzid: Option<&'a str>,
    mailbox: &'a str,
    password: &'a str,
    ca: bool,
}

fn account(tb: &Testbed, a: &Acct<'_>) -> String {
    let mut s = format!(
        "[[account]]\nname = \"{name}\"\naddress = \"{name}@example.test\"\nsend = \"{send}\"\nsent_copy = \"none\"\n\
         [account.imap]\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"{tls}\"\nlogin = \"{login}\"\n\
         password_command = \"printf '%s\\\\n' '{pw}'\"\nmailbox = \"{mailbox}\"\n",
        name = a.name,
        send = a.send,
        port = a.port,
        tls = a.tls,
        login = a.login,
        pw = a.password,
        mailbox = a.mailbox,
    );
    if a.ca {
        s.push_str(&format!("ca_file = \"{}\"\n", tb.ca_file.display()));
    }
    if let Some(z) = a.authzid {
        s.push_str(&format!("authzid = \"{z}\"\n"));
    }
    if a.send != "none" {
        s.push_str(&format!(
            "[account.smtp]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"starttls\"\nlogin = \"{}\"\npassword_command = \"printf '%s\\\\n' '{}'\"\n",
            tb.submission_port,
            a.login,
            a.password
        ));
        if a.ca {
            s.push_str(&format!("ca_file = \"{}\"\n", tb.ca_file.display()));
        }
    }
    s
}

fn write_config(dir: &Path, agent: &str, accounts: &[String]) -> std::path::PathBuf {
    let mut text = format!(
        "[agent]\nid = \"{agent}\"\nname = \"{agent}\"\nemail = \"{agent}@example.test\"\n\n"
    );
    for a in accounts {
        text.push_str(a);
        text.push('\n');
    }
    let path = dir.join(format!("{agent}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

fn shared<'a>(name: &'a str, agent: &'a str, send: &'a str, mailbox: &'a str) -> Acct<'a> {
    Acct {
        name,
        send,
        tls: "implicit",
        port: 0,
        login: agent,
        authzid: None,
        mailbox,
        password: Testbed::password(agent),
        ca: true,
    }
}

fn json(run: &Run) -> Vec<Value> {
    match serde_json::from_str::<Value>(&run.stdout) {
        Ok(Value::Array(v)) => v,
        _ => panic!(
            "not a JSON array:\nstdout: {}\nstderr: {}",
            run.stdout, run.stderr
        ),
    }
}

fn actions(v: &Value) -> Vec<String> {
    v["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect()
}

fn strip_obsolete(r: &str) -> String {
    r.chars().filter(|c| *c != 'c' && *c != 'd').collect()
}

fn sorted(s: &str) -> String {
    let mut v: Vec<char> = s.chars().collect();
    v.sort_unstable();
    v.into_iter().collect()
}

#[test]
fn rights_of_alice_bob_and_carol_are_reported() {
    let tb = Testbed::start();
    let dir = tempfile::tempdir().unwrap();
    let mut configs = Vec::new();
    for (agent, send) in [("alice", "as"), ("bob", "on-behalf"), ("carol", "none")] {
        let mut support = shared("support", agent, send, "shared/support/INBOX");
        support.port = tb.imaps_port;
        let mut sales = shared(
            "sales",
            agent,
            if agent == "alice" { "as" } else { "none" },
            "shared/sales/INBOX",
        );
        sales.port = tb.imap_port;
        sales.tls = "starttls";
        configs.push((
            agent,
            write_config(
                dir.path(),
                agent,
                &[account(&tb, &support), account(&tb, &sales)],
            ),
        ));
    }
    let expected = [("alice", "lrwstipekxa"), ("bob", "lrwsti"), ("carol", "lr")];
    for ((agent, path), (_, rights)) in configs.iter().zip(expected) {
        // --config after the subcommand works too.
        let run = mailroom(&["check", "--json", "--config", path.to_str().unwrap()]);
        assert_eq!(run.code, 0, "{agent}: {}\n{}", run.stdout, run.stderr);
        let reports = json(&run);
        assert_eq!(reports.len(), 2);
        for r in &reports {
            assert_eq!(r["errors"].as_array().unwrap().len(), 0, "{agent}: {r}");
            let raw = r["rights"].as_str().expect("MYRIGHTS string");
            assert_eq!(
                sorted(&strip_obsolete(raw)),
                sorted(rights),
                "{agent} {}",
                r["name"]
            );
            let caps: Vec<&str> = r["capabilities"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_str().unwrap())
                .collect();
            for c in ["IDLE", "CONDSTORE", "QRESYNC", "ACL", "MOVE", "UIDPLUS"] {
                assert!(caps.contains(&c), "{agent}: {c} missing in {caps:?}");
            }
            assert!(r["name"] == "support" || r["name"] == "sales");
            assert!(r["send"].is_string());
        }
        let acts = actions(&reports[0]);
        match *agent {
            "alice" => {
                assert!(
                    acts.contains(&"delete".to_string())
                        && acts.contains(&"administer".to_string()),
                    "{acts:?}"
                );
                assert_eq!(reports[0]["keywords_permanent"], true);
                assert_eq!(reports[0]["mail_from_accepted"], "support@example.test");
                assert_eq!(reports[0]["send"], "as");
            }
            "bob" => {
                assert!(
                    acts.contains(&"claim".to_string())
                        && acts.contains(&"append-sent".to_string()),
                    "{acts:?}"
                );
                assert!(!acts.contains(&"delete".to_string()), "{acts:?}");
                assert_eq!(reports[0]["send"], "on-behalf");
                // On behalf: MAIL FROM is the agent's own address, which Postfix allows.
                assert_eq!(reports[0]["mail_from_accepted"], "bob@example.test");
                assert_eq!(reports[0]["identity"]["sender"], "bob@example.test");
            }
            _ => {
                assert_eq!(acts, ["list", "open"]);
                assert_eq!(reports[0]["send"], "none");
                // SELECT answers READ-ONLY: that is about carol's rights, not the server.
                assert_eq!(reports[0]["read_only"], true);
                assert_eq!(reports[0]["team_state"], "read-only");
            }
        }
        if *agent == "alice" {
            assert_eq!(reports[0]["team_state"], "keywords");
        }
    }
    let run = mailroom(&["--config", configs[2].1.to_str().unwrap(), "check"]);
    assert!(
        run.stdout
            .contains("read-only for this agent: team state is visible but cannot be changed")
            && !run.stdout.contains("maps to folders"),
        "{}",
        run.stdout
    );
    // Text output names rights and actions, and never the password.
    let run = mailroom(&["--config", configs[1].1.to_str().unwrap(), "check"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("rights") && run.stdout.contains("claim"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("bob-pw") && !run.stderr.contains("bob-pw"));
}

#[test]
fn wrong_password_untrusted_cert_and_refused_envelope_fail_clearly() {
    let tb = Testbed::start();
    let dir = tempfile::tempdir().unwrap();

    let mut bad = shared("support", "alice", "none", "shared/support/INBOX");
    bad.port = tb.imaps_port;
    bad.password = "wrong-password";
    let path = write_config(dir.path(), "alice", &[account(&tb, &bad)]);
    let run = mailroom(&["--config", path.to_str().unwrap(), "check"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("login refused"), "{}", run.stdout);
    assert!(!run.stdout.contains("wrong-password"), "{}", run.stdout);

    let mut untrusted = shared("support", "alice", "none", "shared/support/INBOX");
    untrusted.port = tb.imaps_port;
    untrusted.ca = false;
    let path = write_config(dir.path(), "alice", &[account(&tb, &untrusted)]);
    let run = mailroom(&["--config", path.to_str().unwrap(), "check", "--json"]);
    assert_eq!(run.code, 1);
    let err = json(&run)[0]["errors"][0].as_str().unwrap().to_string();
    assert!(
        err.contains("TLS failed") && err.contains("certificate"),
        "{err}"
    );

    // STARTTLS without the CA is refused the same way, before any login is sent.
    untrusted.port = tb.imap_port;
    untrusted.tls = "starttls";
    let path = write_config(dir.path(), "alice", &[account(&tb, &untrusted)]);
    let run = mailroom(&["--config", path.to_str().unwrap(), "check", "--json"]);
    assert_eq!(run.code, 1);
    assert!(
        json(&run)[0]["errors"][0]
            .as_str()
            .unwrap()
            .contains("TLS failed"),
        "{}",
        run.stdout
    );

    // bob may not Send As support@: Postfix refuses the envelope sender.
    let mut bob = shared("support", "bob", "as", "shared/support/INBOX");
    bob.port = tb.imaps_port;
    let path = write_config(dir.path(), "bob", &[account(&tb, &bob)]);
    let run = mailroom(&["--config", path.to_str().unwrap(), "check", "--json"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let err = json(&run)[0]["errors"][0].as_str().unwrap().to_string();
    assert!(
        err.contains("MAIL FROM:<support@example.test>") && err.contains("Send As"),
        "{err}"
    );
}

#[test]
fn untrusted_smtp_certificate_is_a_tls_error_naming_smtp() {
    let tb = Testbed::start();
    let dir = tempfile::tempdir().unwrap();
    let mut alice = shared("support", "alice", "as", "shared/support/INBOX");
    alice.port = tb.imaps_port;
    // IMAP trusts the test CA; the [account.smtp] table does not.
    let text = account(&tb, &alice);
    let (imap, smtp) = text.split_once("[account.smtp]").unwrap();
    let smtp: String = smtp
        .lines()
        .filter(|l| !l.starts_with("ca_file"))
        .map(|l| format!("{l}\n"))
        .collect();
    let path = write_config(
        dir.path(),
        "alice",
        &[format!("{imap}[account.smtp]{smtp}")],
    );

    let run = mailroom(&["--config", path.to_str().unwrap(), "check", "--json"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let report = &json(&run)[0];
    let errors = report["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{report}");
    let err = errors[0].as_str().unwrap();
    assert!(
        err.contains("SMTP") && err.contains("TLS failed") && err.contains("certificate"),
        "{err}"
    );
    // The TLS failure carries no Send As hint, and the library's message appears once.
    assert!(!err.contains("Send As"), "{err}");
    assert_eq!(err.matches("certificate verify failed").count(), 1, "{err}");
    // IMAP itself worked.
    assert!(report["rights"].is_string(), "{report}");

    // Implicit TLS (SMTPS) fails the same way, though the handshake happens while connecting.
    let smtps = smtp
        .replace(
            &format!("port = {}", tb.submission_port),
            &format!("port = {}", tb.smtps_port),
        )
        .replace("tls = \"starttls\"", "tls = \"implicit\"");
    let path = write_config(
        dir.path(),
        "alice",
        &[format!("{imap}[account.smtp]{smtps}")],
    );
    let run = mailroom(&["--config", path.to_str().unwrap(), "check", "--json"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let err = json(&run)[0]["errors"][0].as_str().unwrap().to_string();
    assert!(
        err.contains(&format!("SMTP 127.0.0.1:{}", tb.smtps_port))
            && err.contains("TLS failed")
            && err.contains("certificate"),
        "{err}"
    );
    assert!(!err.contains("Send As"), "{err}");
}

#[test]
fn delegated_login_with_authzid() {
    let tb = Testbed::start();
    let dir = tempfile::tempdir().unwrap();
    let mut acct = shared("support", "alice", "none", "INBOX");
    acct.port = tb.imaps_port;
    acct.authzid = Some("support");
    let path = write_config(dir.path(), "alice", &[account(&tb, &acct)]);
    let run = mailroom(&["--config", path.to_str().unwrap(), "check", "--json"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let r = &json(&run)[0];
    // ACLs in a delegated session are evaluated for the agent.
    assert!(r["errors"].as_array().unwrap().is_empty(), "{r}");

    // carol is not allowed to act as support.
    let mut carol = shared("support", "carol", "none", "INBOX");
    carol.port = tb.imaps_port;
    carol.authzid = Some("support");
    let path = write_config(dir.path(), "carol", &[account(&tb, &carol)]);
    let run = mailroom(&["--config", path.to_str().unwrap(), "check"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stdout.contains("login refused"), "{}", run.stdout);
}

#[test]
fn invalid_config_gives_exit_1_and_json_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.toml");
    std::fs::write(
        &path,
        "[agent]\nid = \"Bad Id\"\nname = \"x\"\nemail = \"x@example.test\"\n",
    )
    .unwrap();
    let run = mailroom(&[
        "check",
        "--offline",
        "--json",
        "--config",
        path.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1);
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    let errors = v["config_errors"].as_array().unwrap();
    assert!(
        errors
            .iter()
            .any(|e| e.as_str().unwrap().contains("agent.id")),
        "{v}"
    );
    assert!(run.stderr.contains("agent.id"), "{}", run.stderr);
}

#[test]
fn dead_server_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let text = format!(
        "[agent]\nid = \"alice\"\nname = \"A\"\nemail = \"alice@example.test\"\n[[account]]\nname = \"support\"\naddress = \"support@example.test\"\nsend = \"none\"\n[account.imap]\nhost = \"127.0.0.1\"\nport = {port}\nlogin = \"alice\"\npassword_command = \"echo x\"\n"
    );
    let path = dir.path().join("c.toml");
    std::fs::write(&path, text).unwrap();
    let run = mailroom(&["--config", path.to_str().unwrap(), "check"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.contains("cannot connect") && run.stdout.contains(&format!("127.0.0.1:{port}")),
        "{}",
        run.stdout
    );
}

// ---------------------------------------------------------------- triage predictions (issue 16)

use support::cli::Cli;
use support::m365::M365Proxy;

fn check_both(cli: &Cli) -> (String, Value) {
    let (_, text) = cli.run_joined(&["check"]);
    let (_, out, err) = cli.run(&["check", "--json"]);
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    let first = v[0].clone();
    (text, first)
}

fn warnings(v: &Value) -> Vec<String> {
    v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap().to_string())
        .collect()
}

const CUSTOMER: &[u8] = b"From: Customer <c@outside.test>\r\nTo: support@example.test\r\nSubject: Help\r\nMessage-ID: <kw@outside.test>\r\n\r\nHelp!\r\n";

/// Failure 5 of issue 16: a Dovecot with `mail_max_keyword_length = 12` refuses
/// `$assigned.alice` (15 characters). `check` probes it with a STORE that matches no message
/// and warns, naming the keyword, its length and the setting; no message changes.
#[test]
fn check_warns_when_dovecot_refuses_the_agents_keyword_length() {
    let tb = Testbed::start_with_dovecot(&[("mail_max_keyword_length", "12")]);
    tb.put_message("support", "INBOX", CUSTOMER, "");
    let cli = Cli::testbed(&tb, "alice", "send = \"none\"", "");
    let (text, v) = check_both(&cli);
    assert!(
        text.contains(
            "keyword   $assigned.alice (15 characters) REFUSED: [CANNOT] Keyword length too long"
        ),
        "{text}"
    );
    let w = warnings(&v);
    assert!(
        w.iter().any(
            |w| w.contains("cannot store its keyword $assigned.alice (15 characters")
                && w.contains("`mail_max_keyword_length` must be at least 15")
        ),
        "{w:?}"
    );
    assert_eq!(v["keyword_probe"]["stored"], Value::Bool(false), "{v}");
    assert_eq!(v["keyword_probe"]["length"], 15, "{v}");
    assert_eq!(v["keyword_probe"]["how"], "store", "{v}");
    assert_eq!(
        v["keyword_probe"]["answer"], "[CANNOT] Keyword length too long",
        "{v}"
    );
    assert_eq!(v["server"], "dovecot", "{v}");
    // What the warning predicts: a claim's keyword is refused on a real message.
    let mut imap = tb.raw_imap("alice");
    imap.cmd_ok("SELECT shared/support/INBOX");
    let refused = imap.cmd("UID STORE 1 +FLAGS ($assigned.alice)");
    assert_eq!(imap.last_status(), "NO", "{refused}");
    // mailroom's own claim fails naming the limit, the keyword and the mailbox.
    let (code, out) = cli.run_joined(&["triage", "support", "1", "claim"]);
    assert_ne!(code, 0, "{out}");
    assert!(
        out.contains("refused the keyword $assigned.alice")
            && out.contains("nothing was changed")
            && out.to_ascii_lowercase().contains("too long")
            && out.contains("shared/support/INBOX"),
        "{out}"
    );
    // The probe and the refused claim changed no message.
    let flags = imap.cmd_ok("UID FETCH 1:* (FLAGS)");
    assert!(flags.contains("FLAGS ()"), "{flags}");
}

/// The default Dovecot: the keyword is stored, no limit, `\Seen` shared, no folder checks; a
/// missing or unset Sent folder names the one the server has, a configured one does not.
#[test]
fn check_on_the_default_dovecot_keywords_work_read_state_is_shared_and_sent_is_suggested() {
    let tb = Testbed::start();
    let outgoing = tempfile::tempdir().unwrap();
    let unset = Cli::testbed(
        &tb,
        "alice",
        "send = \"as\"",
        &format!("[account.file]\ndir = \"{}\"\n", outgoing.path().display()),
    );
    let (text, v) = check_both(&unset);
    assert!(
        text.contains("keyword   $assigned.alice (15 characters) can be stored"),
        "{text}"
    );
    assert!(
        text.contains("read      read state: shared by the team (Dovecot, no private index seen"),
        "{text}"
    );
    assert!(
        text.contains("no `imap.sent` folder is configured; the server has the Sent folder \"shared/support/Sent\": add `sent = \"shared/support/Sent\"` to [account.imap]"),
        "{text}"
    );
    assert_eq!(v["keyword_probe"]["stored"], Value::Bool(true), "{v}");
    assert_eq!(v["user_flags"]["limit"], Value::Null, "{v}");
    assert_eq!(v["user_flags"]["fits"], Value::Null, "{v}");
    assert_eq!(v["read_state"], "shared", "{v}");
    assert_eq!(v["sent_found"], "shared/support/Sent", "{v}");
    assert_eq!(v["team_folder_checks"], serde_json::json!([]), "{v}");
    for w in warnings(&v) {
        assert!(
            !w.contains("keyword") && !w.contains("user flags") && !w.contains("read state"),
            "{w}"
        );
    }

    let missing = Cli::testbed(
        &tb,
        "alice",
        "send = \"none\"",
        "sent = \"shared/support/Outbox\"\n",
    );
    let (text, v) = check_both(&missing);
    assert!(
        text.contains("the Sent folder \"shared/support/Outbox\" does not exist; the server has the Sent folder \"shared/support/Sent\""),
        "{text}"
    );
    assert_eq!(v["sent_found"], "shared/support/Sent", "{v}");

    let configured = Cli::testbed(
        &tb,
        "alice",
        "send = \"none\"",
        "sent = \"shared/support/Sent\"\n",
    );
    let (text, v) = check_both(&configured);
    assert!(!text.contains("Sent folder"), "{text}");
    assert_eq!(v["sent_found"], Value::Null, "{v}");
}

/// Failure 1 of issue 16: with team state in folders, `check` says which team folders are
/// missing and whether this agent may create them (`k` on the parent): bob may not, alice may;
/// once they exist nobody is warned.
#[test]
fn check_names_missing_team_folders_and_the_missing_k_right() {
    let tb = Testbed::start();
    let folders = "team_state = \"folders\"\n";
    let bob = Cli::testbed(&tb, "bob", "send = \"none\"", folders);
    let (text, v) = check_both(&bob);
    assert!(
        text.contains("team folders \"shared/support/Assigned\", \"shared/support/Assigned/bob\", \"shared/support/Pending\", \"shared/support/Done\" do not exist and this agent cannot create them (no `k` right on \"shared/support\""),
        "{text}"
    );
    assert!(
        text.contains("folder    shared/support/Pending missing, this agent cannot create it"),
        "{text}"
    );
    let checks = v["team_folder_checks"].as_array().unwrap();
    assert_eq!(checks.len(), 4, "{v}");
    for c in checks {
        assert_eq!(c["exists"], Value::Bool(false), "{c}");
        assert_eq!(c["creatable"], Value::Bool(false), "{c}");
        assert_eq!(c["missing_right"], "k", "{c}");
        assert_eq!(c["parent"], "shared/support", "{c}");
    }
    assert_eq!(v["keyword_probe"], Value::Null, "{v}");

    let alice = Cli::testbed(&tb, "alice", "send = \"none\"", folders);
    let (text, v) = check_both(&alice);
    assert!(!text.contains("team folder"), "{text}");
    assert!(
        text.contains("folder    shared/support/Done missing, this agent may create it (`k` right on \"shared/support\")"),
        "{text}"
    );
    for c in v["team_folder_checks"].as_array().unwrap() {
        assert_eq!(c["creatable"], Value::Bool(true), "{c}");
        assert_eq!(c["missing_right"], Value::Null, "{c}");
    }

    // Created by an agent who may: bob is no longer warned, and check created nothing itself.
    let mut imap = tb.raw_imap("alice");
    let before = imap.cmd_ok("LIST \"\" \"shared/support/*\"");
    assert!(!before.contains("Pending"), "{before}");
    for f in ["Assigned", "Assigned/bob", "Pending", "Done"] {
        imap.cmd_ok(&format!("CREATE shared/support/{f}"));
    }
    let (text, v) = check_both(&bob);
    assert!(!text.contains("team folder"), "{text}");
    for c in v["team_folder_checks"].as_array().unwrap() {
        assert_eq!(c["exists"], Value::Bool(true), "{c}");
        assert_eq!(c["creatable"], Value::Null, "{c}");
    }
}

/// Behind the Microsoft 365-like proxy (folder mode, no ACL): the team folders are missing and
/// whether this agent may create them is unknown; the delegated INBOX has one read state; the
/// Sent folder suggested is the account's `\Sent` folder.
#[test]
fn check_behind_the_m365_proxy_says_creatable_is_unknown_without_acl() {
    let tb = Testbed::start();
    let proxy = M365Proxy::start(tb.imap_plain_port);
    let cli = Cli::with_config(&format!(
        "[agent]\nid = \"alice\"\nname = \"alice Agent\"\nemail = \"alice@example.test\"\n[[account]]\nname = \"support\"\naddress = \"support@example.test\"\nsend = \"none\"\n[account.imap]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\nlogin = \"support*alice\"\npassword_command = \"echo {}\"\nmailbox = \"INBOX\"\nsent = \"Sent Items\"\n",
        proxy.port(),
        Testbed::password("alice")
    ));
    let (text, v) = check_both(&cli);
    assert!(
        text.contains("team folders \"Assigned\", \"Assigned/alice\", \"Pending\", \"Done\" do not exist; whether this agent may create them is unknown, the server has no ACL"),
        "{text}"
    );
    assert!(
        text.contains("read      read state: shared by the team (the login's own INBOX"),
        "{text}"
    );
    assert!(
        text.contains(
            "the Sent folder \"Sent Items\" does not exist; the server has the Sent folder \"Sent\""
        ),
        "{text}"
    );
    for c in v["team_folder_checks"].as_array().unwrap() {
        assert_eq!(c["creatable"], Value::Null, "{c}");
        assert_eq!(c["exists"], Value::Bool(false), "{c}");
    }
    assert_eq!(v["read_state"], "shared", "{v}");
    assert_eq!(v["keyword_probe"], Value::Null, "{v}");
    assert_eq!(v["user_flags"], Value::Null, "{v}");
    // The probe sent no keyword STORE through the proxy.
    assert!(proxy.refused().is_empty(), "{:?}", proxy.refused());
}
