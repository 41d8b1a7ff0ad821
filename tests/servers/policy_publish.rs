//! `mailroom policy` against a real Dovecot: alice (who holds `a` on shared/support) publishes,
//! the folder is locked (bob and carol keep `lr`), bob sees the policy; a broken or stale file
//! appends nothing; bob without `i` is refused, with `i` but without `a` is told the folder is
//! not locked; history and diff.

use crate::support;

use support::cli::Cli;
use support::testbed::{RawImap, Testbed};

const FOLDER: &str = "shared/support/Policy";

const V1: &str = "version = 1\nadministrators = [\"alice\"]\n\n[send]\nas = [\"alice\"]\non-behalf = [\"bob\"]\n";
const V2: &str = "version = 2\nadministrators = [\"alice\"]\n\n[send]\nas = [\"alice\", \"carol\"]\non-behalf = [\"bob\"]\n\n[[template]]\nname = \"refund\"\nbody = \"Hello {customer.name}\"\nattachments = [\"refund-form.pdf\"]\n";
const V3: &str = "version = 3\nadministrators = [\"alice\"]\n\n[send]\nas = [\"alice\", \"carol\"]\non-behalf = [\"bob\"]\n\n[[template]]\nname = \"refund\"\nbody = \"Hello {customer.name}\"\nattachments = [\"refund-form.pdf\"]\n\n[review]\nagents = [\"bob\"]\napprovers = [\"alice\"]\n";
const BROKEN: &str = "version = 2\nadministrators = [\"alice\"]\n[send]\nas = [\"alice\"\n";

fn file(cli: &Cli, name: &str, text: &str) -> String {
    let p = cli.dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

fn messages(raw: &mut RawImap) -> u32 {
    let r = raw.cmd_ok(&format!("STATUS \"{FOLDER}\" (MESSAGES)"));
    let n = r
        .split("MESSAGES ")
        .nth(1)
        .and_then(|s| s.split(')').next())
        .and_then(|s| s.trim().parse().ok());
    n.unwrap_or_else(|| panic!("STATUS answer: {r}"))
}

/// The `* ACL` line's identifier → rights (without c/d).
fn acl(raw: &mut RawImap) -> Vec<(String, String)> {
    let r = raw.cmd_ok(&format!("GETACL \"{FOLDER}\""));
    let line = r
        .lines()
        .find(|l| l.starts_with("* ACL "))
        .unwrap_or_else(|| panic!("GETACL: {r}"));
    let words: Vec<&str> = line.split_whitespace().skip(3).collect();
    words
        .chunks(2)
        .map(|c| {
            (
                c[0].trim_matches('"').to_string(),
                mailroom::policy::rights::Rights::parse(c.get(1).unwrap_or(&"").trim_matches('"'))
                    .to_string(),
            )
        })
        .collect()
}

fn rights_of<'a>(acl: &'a [(String, String)], who: &str) -> Option<&'a str> {
    acl.iter().find(|(i, _)| i == who).map(|(_, r)| r.as_str())
}

#[test]
fn alice_publishes_and_locks_bob_sees_it_broken_stale_and_unlocked_publications() {
    let tb = Testbed::start();
    let alice = Cli::testbed(&tb, "alice", "send = \"none\"", "");
    let bob = Cli::testbed(&tb, "bob", "send = \"none\"", "");
    let mut raw = tb.raw_imap("alice");

    // No policy yet.
    let (code, out, err) = bob.run(&["policy", "support", "show"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("no team policy (the local config rules)"),
        "{out}"
    );
    let (code, out, err) = bob.run(&["check"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("policy    no team policy (the local config rules)"),
        "{out}"
    );
    assert!(!out.contains("on the policy folder"), "{out}");

    // bob (no `k`) cannot create the policy folder: nothing is created.
    let early = file(&bob, "v1.toml", V1);
    let (code, out, err) = bob.run(&["policy", "support", "publish", &early]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains(
            "the policy folder does not exist and creating it needs the `k` (create) right"
        ),
        "{err}"
    );
    let listed = raw.cmd_ok(&format!("LIST \"\" \"{FOLDER}\""));
    assert!(!listed.contains("* LIST"), "{listed}");

    // alice publishes version 1: the folder is created, then locked.
    let v1 = file(&alice, "v1.toml", V1);
    let (code, out, err) = alice.run(&["policy", "support", "publish", &v1]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains(&format!("published version 1 to {FOLDER}")),
        "{out}"
    );
    assert!(out.contains("locked    bob: lrswit -> lr"), "{out}");
    assert_eq!(messages(&mut raw), 1);
    let after = acl(&mut raw);
    assert_eq!(rights_of(&after, "bob"), Some("lr"), "{after:?}");
    assert_eq!(rights_of(&after, "carol"), Some("lr"), "{after:?}");
    assert!(
        rights_of(&after, "alice").is_some_and(|r| r.contains('a') && r.contains('i')),
        "{after:?}"
    );

    // bob sees it.
    let (code, out, err) = bob.run(&["policy", "support", "show"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(&format!("folder    {FOLDER}")), "{out}");
    assert!(
        out.contains("policy    version 1, published by alice on "),
        "{out}"
    );
    assert!(out.contains("(UID 1, read from the server)"), "{out}");
    assert!(out.contains("on-behalf = [\"bob\"]"), "the document: {out}");
    let (code, out, _) = bob.run(&["policy", "support", "show", "--json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["in_force"]["version"], 1);
    assert_eq!(v["in_force"]["published_by"], "alice");
    assert_eq!(v["origin"], "server");

    // A syntax error: refused with line:column, nothing appended, version 1 still in force.
    let broken = file(&alice, "broken.toml", BROKEN);
    let (code, out, err) = alice.run(&["policy", "support", "publish", &broken]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("broken.toml:4:"), "{err}");
    assert_eq!(messages(&mut raw), 1);
    // Not newer than the one in force: refused too.
    let (code, _, err) = alice.run(&["policy", "support", "publish", &v1]);
    assert_eq!(code, 1);
    assert!(err.contains("version 1 is not newer"), "{err}");
    assert_eq!(messages(&mut raw), 1);
    let (_, out, _) = bob.run(&["policy", "support", "show"]);
    assert!(out.contains("policy    version 1,"), "{out}");

    // Version 2, then history and diff.
    let v2 = file(&alice, "v2.toml", V2);
    let form = file(&alice, "refund-form.pdf", "%PDF-1.4 form");
    let (code, out, err) = alice.run(&["policy", "support", "publish", &v2, "--attach", &form]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("attached  refund-form.pdf"), "{out}");
    assert!(err.is_empty(), "no warning: {err}");
    assert!(out.contains("replacing version 1"), "{out}");
    assert!(out.contains("locked    already"), "{out}");
    let (_, out, _) = bob.run(&["policy", "support", "show"]);
    assert!(out.contains("attached  refund-form.pdf"), "{out}");
    let (code, out, err) = bob.run(&["policy", "support", "history"]);
    assert_eq!(code, 0, "{out}{err}");
    let rows: Vec<&str> = out.lines().filter(|l| l.starts_with("UID")).collect();
    assert_eq!(rows.len(), 2, "{out}");
    assert!(
        rows[0].starts_with("UID 2")
            && rows[0].contains("version 2")
            && rows[0].ends_with("in force"),
        "{out}"
    );
    assert!(
        rows[1].starts_with("UID 1")
            && rows[1].contains("alice")
            && rows[1].ends_with("valid (superseded)"),
        "{out}"
    );
    let (_, out, _) = bob.run(&["policy", "support", "history", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v[0]["uid"], 2);
    assert_eq!(v[0]["in_force"], true);
    assert_eq!(v[1]["version"], 1);

    let v3 = file(&bob, "v3.toml", V3);
    let (code, out, err) = bob.run(&["policy", "support", "diff", &v3]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("(version 2 in force)"), "{out}");
    assert!(out.contains("\n- version = 2\n+ version = 3\n"), "{out}");
    assert!(
        out.contains("\n+ [review]\n+ agents = [\"bob\"]\n"),
        "{out}"
    );
    assert!(out.contains("\n  administrators = [\"alice\"]\n"), "{out}");

    // A broken policy message put there by an administrator's own session (not through
    // publish): skipped, shown with its line:column, version 2 stays in force.
    let broken = mailroom::mail::policy::build(
        "alice",
        "alice@example.test",
        "support@example.test",
        9,
        BROKEN,
        &[],
        std::time::SystemTime::now(),
    )
    .unwrap();
    raw.append(FOLDER, "\\Seen", &broken);
    let (code, out, err) = bob.run(&["policy", "support", "show"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("policy    version 2,"), "{out}");
    assert!(out.contains("skipped   UID 3 by alice: 4:"), "{out}");
    let (_, out, _) = bob.run(&["policy", "support", "history"]);
    assert!(
        out.lines()
            .any(|l| l.starts_with("UID 3") && l.contains("INVALID: 4:")),
        "{out}"
    );

    // check shows the policy in force and the skipped message; the locked folder raises no
    // warning.
    let (code, out, err) = bob.run(&["check"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("policy    version 2, published by alice on ")
            && out.contains(&format!(", {FOLDER} (UID 2)")),
        "{out}"
    );
    assert!(
        out.contains("this login may not change it; only this login's rights checked (MYRIGHTS)"),
        "{out}"
    );
    assert!(!out.contains("on the policy folder"), "{out}");
    assert!(
        out.contains("warning   team policy message UID 3 by alice is skipped: 4:"),
        "{out}"
    );
    // Offline, check shows the copy kept from the last read.
    let (code, out, err) = bob.run(&["check", "--offline"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("policy    version 2, published by alice on ")
            && out.contains("the copy kept offline"),
        "{out}"
    );
    let (_, out, _) = alice.run(&["check"]);
    assert!(
        out.contains(
            "only holders of the `a` right may change it; every identifier's rights checked (GETACL)"
        ),
        "{out}"
    );

    // bob (lr on the locked folder) cannot publish.
    let (code, out, err) = bob.run(&["policy", "support", "publish", &v3]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("needs the `i` (insert) right"), "{err}");
    assert_eq!(messages(&mut raw), 3);

    // Given `i` behind the administrator's back: check and access flag it, for bob (his own
    // rights) and for alice (everyone's).
    raw.cmd_ok(&format!("SETACL \"{FOLDER}\" bob lrwsti"));
    let (code, out, err) = bob.run(&["check"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains(
            "warning   bob holds i, t (lrswit) on the policy folder without the `a` right"
        ),
        "{out}"
    );
    assert!(out.contains("NOT tamper-evident"), "{out}");
    let (_, out, _) = bob.run(&["check", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v[0]["policy"]["version"], 2, "{v}");
    assert_eq!(v[0]["policy"]["rights_checked"], "myrights", "{v}");
    assert_eq!(v[0]["policy"]["tampering"][0]["identifier"], "bob", "{v}");
    let (code, out, err) = alice.run(&["check", "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v[0]["policy"]["rights_checked"], "getacl", "{v}");
    let who: Vec<&str> = v[0]["policy"]["tampering"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["identifier"].as_str())
        .collect();
    assert_eq!(who, ["bob"], "{v}");
    let (code, out, err) = alice.run(&["access"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("    ! policy-writable: bob holds i, t (lrswit) on the policy folder"),
        "{out}"
    );
    assert!(
        out.contains(&format!("  policy folder {FOLDER}: team policy version 2")),
        "{out}"
    );
    let (_, out, _) = bob.run(&["access", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let policy = v[0]["folders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == FOLDER)
        .unwrap_or_else(|| panic!("{v}"));
    assert_eq!(policy["flags"][0]["rule"], "policy-writable", "{v}");
    assert_eq!(policy["flags"][0]["identifier"], "bob", "{v}");
    assert_eq!(v[0]["policy"]["rights_checked"], "myrights", "{v}");

    // bob publishes but is told the folder is not locked.
    let (code, out, err) = bob.run(&["policy", "support", "publish", &v3]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("locked    no"), "{out}");
    assert!(
        err.contains("NOT locked: this login (bob) lacks the `a` right")
            && err.contains("ask an administrator (alice)"),
        "{err}"
    );
    assert_eq!(messages(&mut raw), 4);
    assert_eq!(rights_of(&acl(&mut raw), "bob"), Some("lrswit"));

    // bob names himself an administrator in a policy of his own: that is no pass, check still
    // flags him (only the `a` right makes an administrator) and says he is named.
    let v4 = file(
        &bob,
        "v4.toml",
        &V3.replace("version = 3", "version = 4").replace(
            "administrators = [\"alice\"]",
            "administrators = [\"alice\", \"bob\"]",
        ),
    );
    let (code, out, err) = bob.run(&["policy", "support", "publish", &v4]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = alice.run(&["check"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("bob holds i, t (lrswit) on the policy folder without the `a` right (named in the policy's administrators"),
        "{out}"
    );
    assert!(out.contains("NOT tamper-evident"), "{out}");
}

/// Behind the Microsoft 365-like proxy (no ACL): the policy folder works the same, publish says
/// it cannot lock, and `check` says tamper-evidence rests on the server's folder permissions.
#[test]
fn without_acl_the_policy_folder_works_and_check_says_what_guards_it() {
    let tb = Testbed::start();
    let proxy = support::m365::M365Proxy::start(tb.imap_plain_port);
    let delegated = |agent: &str| {
        Cli::with_config(&format!(
            "[agent]\nid = \"{agent}\"\nname = \"{agent} Agent\"\nemail = \"{agent}@example.test\"\n[[account]]\nname = \"support\"\naddress = \"support@example.test\"\nsend = \"none\"\n[account.imap]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\nlogin = \"support*{agent}\"\npassword_command = \"echo {}\"\nmailbox = \"INBOX\"\n",
            proxy.port(),
            Testbed::password(agent)
        ))
    };
    let alice = delegated("alice");
    let bob = delegated("bob");
    let v1 = file(&alice, "v1.toml", V1);
    let (code, out, err) = alice.run(&["policy", "support", "publish", &v1]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("published version 1 to Policy"), "{out}");
    assert!(
        out.contains("locked    no (the server has no ACL)"),
        "{out}"
    );
    assert!(
        err.contains("tamper-evidence rests on the server's own folder permissions"),
        "{err}"
    );
    let (code, out, err) = bob.run(&["policy", "support", "show"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("policy    version 1, published by alice"),
        "{out}"
    );
    let (code, out, err) = bob.run(&["check"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("policy    version 1, published by alice"),
        "{out}"
    );
    assert!(
        out.contains("the server has no ACL extension: tamper-evidence rests on the server's own folder permissions"),
        "{out}"
    );
}
