//! `mailroom audit` and `mailroom access` against the real test bed: audit rows equal what the
//! SMTP sink received (plus the refused attempt, with no duplicate for a message that is both
//! in the log and in Sent); the access report equals the ACLs the test bed wrote, and risky
//! grants added here are flagged.

use crate::support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use mailroom::policy::rights::Rights;
use serde_json::Value;
use support::testbed::{RIGHTS, RawImap, Testbed};

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        Env {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// A config for `agent` with the accounts `support` (and `sales`, with `both`); SMTP on
    /// the submission port when `send` is not "none".
    fn config(&self, tb: &Testbed, agent: &str, send: &str, both: bool) -> PathBuf {
        let path = self.dir.path().join(format!("{agent}-{send}-{both}.toml"));
        let pw = Testbed::password(agent);
        let ca = tb.ca_file.display();
        let account = |name: &str| {
            let smtp = if send == "none" {
                String::new()
            } else {
                format!(
                    "[account.smtp]\nhost = \"127.0.0.1\"\nport = {}\nca_file = \"{ca}\"\nlogin = \"{agent}\"\npassword_command = \"echo {pw}\"\n",
                    tb.submission_port
                )
            };
            format!(
                "[[account]]\nname = \"{name}\"\naddress = \"{name}@example.test\"\ndisplay_name = \"Example {name}\"\nsend = \"{send}\"\n\
                 [account.imap]\nhost = \"127.0.0.1\"\nport = {}\nca_file = \"{ca}\"\nlogin = \"{agent}\"\npassword_command = \"echo {pw}\"\nmailbox = \"shared/{name}/INBOX\"\nsent = \"shared/{name}/Sent\"\n{smtp}\n",
                tb.imaps_port
            )
        };
        let mut text = format!(
            "[agent]\nid = \"{agent}\"\nname = \"{agent} Example\"\nemail = \"{agent}@example.test\"\n\n{}",
            account("support")
        );
        if both {
            text.push_str(&account("sales"));
        }
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Runs mailroom with `data` as its XDG data directory (the audit log lives there).
    fn run(&self, config: &Path, data: &str, args: &[&str], stdin: &str) -> Output {
        use std::io::Write;
        let mut child = Command::new(env!("CARGO_BIN_EXE_mailroom"))
            .arg("--config")
            .arg(config)
            .args(args)
            .env("XDG_DATA_HOME", self.dir.path().join(data))
            .env(
                "XDG_CACHE_HOME",
                self.dir.path().join(format!("{data}-cache")),
            )
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
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

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(o)))
}

fn strs(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

/// `Name <a@b>` → `a@b`.
fn address(s: &str) -> String {
    match (s.rfind('<'), s.rfind('>')) {
        (Some(a), Some(b)) if a < b => s[a + 1..b].to_string(),
        _ => s.trim().to_string(),
    }
}

/// One delivered message as the sink saw it, and as an audit row says it.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Sent {
    message_id: String,
    from: String,
    sender: Option<String>,
    mail_from: String,
    recipients: BTreeSet<String>,
}

fn sent_from_row(r: &Value) -> Sent {
    Sent {
        message_id: r["message_id"].as_str().unwrap().to_string(),
        from: r["identity"].as_str().unwrap().to_string(),
        sender: r["sender"].as_str().map(str::to_string),
        mail_from: r["mail_from"].as_str().unwrap_or_default().to_string(),
        recipients: strs(&r["recipients"]),
    }
}

#[test]
fn audit_rows_equal_what_the_sink_received_plus_the_refusal() {
    let tb = Testbed::start();
    let env = Env::new();
    // alice and bob share one data directory here, so one audit log holds every attempt.
    let alice = env.config(&tb, "alice", "as", false);
    let bob = env.config(&tb, "bob", "on-behalf", false);
    let bob_as = env.config(&tb, "bob", "as", false);
    let send = |cfg: &Path, args: &[&str]| {
        let mut all = vec!["send", "support", "--body-file", "-", "--json"];
        all.extend_from_slice(args);
        env.run(cfg, "team", &all, "Hello.\n")
    };
    let out = send(
        &alice,
        &[
            "--to",
            "zoe@outside.test",
            "--cc",
            "boss@outside.test",
            "--bcc",
            "qa@outside.test",
            "--subject",
            "Printer fixed",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = send(
        &bob,
        &["--to", "yan@outside.test", "--subject", "Your order"],
    );
    assert!(out.status.success(), "{}", text(&out));
    // Postfix refuses bob's envelope as support@: kept in the log only.
    let out = send(
        &bob_as,
        &["--to", "no@outside.test", "--subject", "Not allowed"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let refused_id = json(&out)["message_id"].as_str().unwrap().to_string();

    let sink = tb.wait_sink(4, Duration::from_secs(15));
    let mut by_id: BTreeMap<String, Sent> = BTreeMap::new();
    for m in &sink {
        let id = m.header("Message-ID").unwrap();
        let id = id.trim_start_matches('<').trim_end_matches('>').to_string();
        let e = by_id.entry(id.clone()).or_insert_with(|| Sent {
            message_id: id,
            from: address(&m.header("From").unwrap()),
            sender: m.header("Sender").map(|s| address(&s)),
            mail_from: m.sender.clone(),
            recipients: BTreeSet::new(),
        });
        e.recipients.insert(m.recipient.clone());
    }
    assert_eq!(by_id.len(), 2, "{sink:?}");
    let expected: Vec<Sent> = by_id.into_values().collect();

    let out = env.run(&alice, "team", &["audit", "--json"], "");
    assert!(out.status.success(), "{}", text(&out));
    let rows = json(&out);
    let rows = rows.as_array().unwrap();
    assert_eq!(
        rows.len(),
        3,
        "two messages, one refusal, no duplicates: {rows:#?}"
    );
    let mut delivered: Vec<Sent> = rows
        .iter()
        .filter(|r| r["result"] == "sent")
        .map(sent_from_row)
        .collect();
    delivered.sort();
    assert_eq!(delivered, expected);
    for r in rows.iter().filter(|r| r["result"] == "sent") {
        assert_eq!(r["source"], "log+sent", "{r}");
    }
    let refused: Vec<&Value> = rows
        .iter()
        .filter(|r| r["result"].as_str().unwrap().starts_with("refused"))
        .collect();
    assert_eq!(refused.len(), 1, "{rows:#?}");
    assert_eq!(refused[0]["message_id"], refused_id.as_str());
    assert_eq!(refused[0]["agent"], "bob");
    assert_eq!(refused[0]["source"], "log");
    assert_eq!(refused[0]["mode"], "as");
    let by_agent = |agent: &str| -> Vec<&Value> {
        rows.iter()
            .filter(|r| r["agent"] == agent && r["result"] == "sent")
            .collect()
    };
    assert_eq!(by_agent("alice")[0]["mode"], "as");
    assert_eq!(by_agent("alice")[0]["subject"], "Printer fixed");
    assert_eq!(by_agent("bob")[0]["mode"], "on-behalf");
    assert_eq!(by_agent("bob")[0]["sender"], "bob@example.test");
    // Newest first.
    let times: Vec<&str> = rows.iter().map(|r| r["time"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");

    // --agent filters; --since in the future leaves nothing; an unknown account is an error.
    let out = env.run(&alice, "team", &["audit", "--json", "--agent", "bob"], "");
    let bobs = json(&out);
    assert_eq!(bobs.as_array().unwrap().len(), 2, "{bobs:#}");
    assert!(bobs.as_array().unwrap().iter().all(|r| r["agent"] == "bob"));
    let out = env.run(
        &alice,
        "team",
        &["audit", "--json", "--since", "2999-01-01"],
        "",
    );
    assert_eq!(json(&out), serde_json::json!([]));
    let out = env.run(
        &alice,
        "team",
        &["audit", "--since", "2024-01-01T00:00:00Z"],
        "",
    );
    assert!(out.status.success(), "{}", text(&out));
    let shown = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(shown.contains("via bob@example.test"), "{shown}");
    for line in shown.lines() {
        assert!(
            unicode_width::UnicodeWidthStr::width(line) <= 100,
            "too wide: {line:?}"
        );
    }
    let out = env.run(&alice, "team", &["audit", "--account", "nope"], "");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));

    // On a machine without the log (carol, read-only), the Sent copies alone: attribution from
    // X-Mailroom-Agent, To/Cc only (Bcc is never in a copy), no refusal.
    let carol = env.config(&tb, "carol", "none", false);
    let out = env.run(&carol, "carol", &["audit", "--json"], "");
    assert!(out.status.success(), "{}", text(&out));
    let rows = json(&out);
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 2, "{rows:#?}");
    for r in rows {
        assert_eq!(r["source"], "sent");
        assert_eq!(r["result"], "sent (no local record)");
        let e = expected
            .iter()
            .find(|e| r["message_id"] == e.message_id.as_str())
            .unwrap();
        assert_eq!(r["identity"], e.from.as_str());
        assert_eq!(r["sender"].as_str(), e.sender.as_deref());
        let mut visible = e.recipients.clone();
        visible.remove("qa@outside.test");
        assert_eq!(strs(&r["recipients"]), visible);
        let agent = if e.sender.is_some() { "bob" } else { "alice" };
        assert_eq!(r["agent"], agent, "{r}");
    }
}

/// The test bed's ACL on every folder of a shared account, rights without `c`/`d`.
fn testbed_acl() -> BTreeMap<String, String> {
    let mut m: BTreeMap<String, String> = RIGHTS
        .iter()
        .map(|(who, r)| (who.to_string(), Rights::parse(r).to_string()))
        .collect();
    m.insert("owner".into(), Rights::parse("lrwstipekxa").to_string());
    m
}

fn acl_of(folder: &Value) -> BTreeMap<String, String> {
    folder["acl"]
        .as_array()
        .unwrap_or_else(|| panic!("no ACL: {folder}"))
        .iter()
        .map(|g| {
            (
                g["identifier"].as_str().unwrap().to_string(),
                g["rights"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn folder<'a>(account: &'a Value, name: &str) -> &'a Value {
    account["folders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
        .unwrap_or_else(|| panic!("no folder {name}: {account:#}"))
}

fn rules(folder: &Value) -> Vec<(String, String)> {
    folder["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["identifier"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn the_access_report_equals_the_test_beds_acls_and_flags_risky_grants() {
    let tb = Testbed::start();
    let env = Env::new();
    let alice = env.config(&tb, "alice", "none", true);
    let carol = env.config(&tb, "carol", "none", false);

    let out = env.run(&alice, "a", &["access", "--json"], "");
    assert!(out.status.success(), "{}", text(&out));
    let report = json(&out);
    let accounts = report.as_array().unwrap();
    assert_eq!(accounts.len(), 2);
    for (account, name) in accounts.iter().zip(["support", "sales"]) {
        assert_eq!(account["account"], name);
        assert_eq!(account["scope"], format!("shared/{name}/*"));
        let names: Vec<&str> = account["folders"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap())
            .collect();
        let inbox = format!("shared/{name}/INBOX");
        let drafts = format!("shared/{name}/Drafts");
        let sent = format!("shared/{name}/Sent");
        assert_eq!(names, [&inbox, &drafts, &sent]);
        for f in account["folders"].as_array().unwrap() {
            assert_eq!(f["myrights"], Rights::parse("lrwstipekxa").to_string());
            assert_eq!(acl_of(f), testbed_acl(), "{f:#}");
            assert_eq!(rules(f), [], "{f:#}");
        }
    }

    let out = env.run(&carol, "c", &["access", "--json"], "");
    assert!(out.status.success(), "{}", text(&out));
    let report = json(&out);
    for f in report[0]["folders"].as_array().unwrap() {
        assert_eq!(f["myrights"], "lr");
        assert!(f["acl"].is_null(), "{f:#}");
        assert!(
            f["note"].as_str().unwrap().contains("needs the `a`"),
            "{f:#}"
        );
    }

    // Risky grants: alice gives bob `a` on Sent and carol `t e` on INBOX (SETACL); `anyone` and
    // `authenticated` are written into the Drafts ACL file by hand (Dovecot refuses them in
    // SETACL), the way the test bed writes its ACLs.
    let mut imap = RawImap::connect(tb.imap_plain_port);
    imap.cmd_ok("LOGIN alice alice-pw");
    imap.cmd_ok("SETACL \"shared/support/Sent\" bob +a");
    imap.cmd_ok("SETACL \"shared/support/INBOX\" carol lrte");
    let acl_file = tb.maildir_of("support").join("Drafts/dovecot-acl");
    let mut acl = std::fs::read_to_string(&acl_file).unwrap();
    acl.push_str("anyone lr\nauthenticated l\n");
    std::fs::write(&acl_file, acl).unwrap();

    let out = env.run(&alice, "a", &["access", "--json"], "");
    assert!(
        out.status.success(),
        "risky grants are a report, not a failure: {}",
        text(&out)
    );
    let report = json(&out);
    let support = &report[0];
    let inbox = folder(support, "shared/support/INBOX");
    let mut want = testbed_acl();
    want.insert("carol".into(), Rights::parse("lrte").to_string());
    assert_eq!(acl_of(inbox), want);
    assert_eq!(
        rules(inbox),
        [("read-role-deletes".to_string(), "carol".to_string())]
    );
    let sent = folder(support, "shared/support/Sent");
    assert_eq!(
        rules(sent),
        [("several-admins".to_string(), "alice, bob".to_string())]
    );
    let drafts = folder(support, "shared/support/Drafts");
    assert_eq!(acl_of(drafts)["anyone"], "lr");
    assert_eq!(
        rules(drafts),
        [
            ("public".to_string(), "anyone".to_string()),
            ("public".to_string(), "authenticated".to_string())
        ]
    );
    for f in report[1]["folders"].as_array().unwrap() {
        assert_eq!(rules(f), [], "sales is untouched: {f:#}");
    }
    let out = env.run(&alice, "a", &["access"], "");
    let shown = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(shown.contains("4 risky grant(s) flagged"), "{shown}");
    for line in shown.lines() {
        assert!(line.chars().count() <= 100, "too wide: {line:?}");
    }

    // carol sees only her own rights, and her own risky grant.
    let out = env.run(&carol, "c", &["access", "--json"], "");
    let report = json(&out);
    let inbox = folder(&report[0], "shared/support/INBOX");
    assert_eq!(inbox["myrights"], Rights::parse("lrte").to_string());
    assert_eq!(
        rules(inbox),
        [("read-role-deletes".to_string(), "carol".to_string())]
    );

    // An unreachable server: named, exit 1, the other account still reported.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cfg = std::fs::read_to_string(&alice).unwrap();
    let at = cfg.rfind(&format!("port = {}", tb.imaps_port)).unwrap();
    let broken = format!(
        "{}port = {dead}{}",
        &cfg[..at],
        &cfg[at + format!("port = {}", tb.imaps_port).len()..]
    );
    let broken_path = env.dir.path().join("broken.toml");
    std::fs::write(&broken_path, broken).unwrap();
    let out = env.run(&broken_path, "a", &["access", "--json"], "");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report = json(&out);
    assert!(report[0]["error"].is_null(), "{report:#}");
    assert_eq!(report[0]["folders"].as_array().unwrap().len(), 3);
    assert!(
        report[1]["error"].as_str().unwrap().contains("sales"),
        "{report:#}"
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("sales"),
        "{}",
        text(&out)
    );
}
