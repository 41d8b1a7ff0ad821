//! The demo through the real binary: `demo --print-config`, then `list` and `check` on it.

use std::process::Command;

fn mailroom(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mailroom"))
        .args(args)
        .env_remove("MAILROOM_CONFIG")
        .output()
        .expect("run mailroom");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn demo_workspace_lists_every_account() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("demo");
    let (code, out, err) = mailroom(&["demo", "--dir", ws.to_str().unwrap(), "--print-config"]);
    assert_eq!(code, 0, "{err}");
    let config = out.trim().to_string();
    assert!(std::path::Path::new(&config).is_file(), "{config}");

    for account in ["support", "sales", "billing"] {
        let (code, out, err) = mailroom(&["--config", &config, "list", account, "--json"]);
        assert_eq!(code, 0, "{account}: {err}");
        let rows: serde_json::Value = serde_json::from_str(&out).expect("json");
        let rows = rows.as_array().expect("array");
        assert!(rows.len() >= 30, "{account}: only {} rows", rows.len());
        for r in rows {
            for key in [
                "uid", "date", "from", "sender", "to", "subject", "flags", "keywords",
            ] {
                assert!(r.get(key).is_some(), "{account}: {key} missing in {r}");
            }
        }
        // Newest first, and --limit keeps the newest.
        let (_, limited, _) = mailroom(&[
            "--config", &config, "list", account, "--json", "--limit", "3",
        ]);
        let limited: serde_json::Value = serde_json::from_str(&limited).unwrap();
        assert_eq!(limited.as_array().unwrap().len(), 3);
        assert_eq!(limited[0]["uid"], rows[0]["uid"]);

        // The table is sanitized: no escape byte from the hostile message reaches the terminal.
        let (code, table, _) = mailroom(&["--config", &config, "list", account]);
        assert_eq!(code, 0);
        assert!(
            !table.contains('\x1b') && !table.contains('\u{9b}') && !table.contains('\u{202e}'),
            "{account}: escape in table"
        );
        assert!(table.lines().count() > 30);
    }

    // The hostile message exists somewhere and is shown in caret form.
    let (_, support, _) = mailroom(&["--config", &config, "list", "support"]);
    assert!(
        support.contains("^["),
        "hostile message not shown in caret form"
    );

    // A second run reuses the workspace; check --offline accepts it.
    let (code, again, _) = mailroom(&["demo", "--dir", ws.to_str().unwrap(), "--print-config"]);
    assert_eq!(code, 0);
    assert_eq!(again.trim(), config);
    let (code, out, err) = mailroom(&["--config", &config, "check", "--offline", "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    let reports: serde_json::Value = serde_json::from_str(&out).unwrap();
    let sends: Vec<&str> = reports
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["send"].as_str().unwrap())
        .collect();
    assert_eq!(sends, ["as", "on-behalf", "none"]);
}

#[test]
fn demo_refuses_a_foreign_directory() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("precious.txt"), "mine").unwrap();
    let (code, _, err) = mailroom(&[
        "demo",
        "--dir",
        dir.path().to_str().unwrap(),
        "--print-config",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("mailroom:"), "{err}");
    assert!(dir.path().join("precious.txt").exists());
}

#[test]
fn unknown_account_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("demo");
    let (_, out, _) = mailroom(&["demo", "--dir", ws.to_str().unwrap(), "--print-config"]);
    let (code, _, err) = mailroom(&["--config", out.trim(), "list", "nope"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("no account named \"nope\"") && err.contains("support"),
        "{err}"
    );
}

#[test]
fn list_json_escapes_terminal_controls_but_keeps_the_text() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("demo");
    let (code, out, err) = mailroom(&["demo", "--dir", ws.to_str().unwrap(), "--print-config"]);
    assert_eq!(code, 0, "{err}");
    let config = out.trim().to_string();

    let raw = Command::new(env!("CARGO_BIN_EXE_mailroom"))
        .args(["--config", &config, "list", "support", "--json"])
        .env_remove("MAILROOM_CONFIG")
        .output()
        .expect("run mailroom");
    assert!(raw.status.success());
    let stdout = raw.stdout;
    assert!(!stdout.contains(&0x1b), "ESC byte in JSON output");
    let text = String::from_utf8(stdout).expect("UTF-8 JSON");
    assert!(
        !text.contains('\u{9b}') && !text.contains('\u{202e}') && !text.contains('\u{7}'),
        "raw control in JSON output"
    );

    // What the library decoded from the message, before any encoding for output.
    let loaded = mailroom::config::load(std::path::Path::new(&config)).unwrap();
    let account = mailroom::cli::list::find_account(&loaded.config, "support").unwrap();
    let summaries = mailroom::cli::list::summaries(account, false).unwrap();
    let hostile = summaries
        .iter()
        .find(|s| {
            s.subject()
                .starts_with(mailroom::demo::HOSTILE_SUBJECT_START)
        })
        .expect("the demo has a hostile message in support");
    assert!(hostile.subject().contains('\x1b') && hostile.subject().contains('\u{9b}'));

    let rows: serde_json::Value = serde_json::from_str(&text).expect("json");
    let row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["uid"] == hostile.uid)
        .expect("hostile row");
    assert_eq!(row["subject"].as_str(), Some(hostile.subject()));
    let from = mailroom::cli::list::Row::from_summary(hostile).from;
    assert_eq!(row["from"].as_str(), Some(from.as_str()));
}

#[test]
fn the_demo_sends_to_a_folder_with_identity_signature_and_sent_copy() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("demo");
    let (_, out, _) = mailroom(&["demo", "--dir", ws.to_str().unwrap(), "--print-config"]);
    let config = out.trim().to_string();
    let run = |args: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_mailroom"))
            .args(["--config", &config])
            .args(args)
            .env("XDG_DATA_HOME", dir.path().join("data"))
            .env("XDG_CACHE_HOME", dir.path().join("cache"))
            .output()
            .unwrap();
        (
            o.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    // sales is on behalf: Sender is the agent.
    let (code, out, err) = run(&[
        "send",
        "sales",
        "--to",
        "lead@outside.test",
        "--subject",
        "Offer",
        "--json",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let sent_dir = std::fs::read_dir(ws.join("sent-mail/sales"))
        .unwrap()
        .count();
    assert_eq!(sent_dir, 1);
    let (_, list, _) = run(&["list", "sales", "--json"]);
    assert!(!list.is_empty());
    // billing may not send.
    let (code, _, err) = run(&[
        "send",
        "billing",
        "--to",
        "x@outside.test",
        "--subject",
        "no",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("send = \"none\""), "{err}");
    // A dry run shows the envelope and the exact message, with the signature. support's team
    // policy (the demo's Policy folder) narrows alice to on-behalf, with the team signature.
    let (code, out, err) = run(&[
        "send",
        "support",
        "--to",
        "c@outside.test",
        "--subject",
        "Hi",
        "--dry-run",
    ]);
    assert_eq!(code, 0);
    assert!(out.starts_with("MAIL FROM:<alice@example.test>"), "{out}");
    assert!(
        out.contains("RCPT TO:<c@outside.test>")
            && out.contains("Sender: \"Alice Example\" <alice@example.test>")
            && out.contains("Example Support Team <support@example.test>"),
        "{out}"
    );
    assert!(err.contains("allows alice on-behalf only"), "{err}");
    let audit = std::fs::read_to_string(dir.path().join("data/mailroom/audit.jsonl")).unwrap();
    assert_eq!(audit.lines().count(), 1);
    assert!(
        audit.contains("\"sender\":\"alice@example.test\""),
        "{audit}"
    );
}

/// `list --search` on the demo's Maildir: the syntax of `:search`, evaluated on the rows and,
/// for `body:`, the messages' text; a wrong term is named and nothing is listed.
#[test]
fn list_search_on_the_demo_uses_the_query_language() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("demo");
    let (_, out, _) = mailroom(&["demo", "--dir", ws.to_str().unwrap(), "--print-config"]);
    let config = out.trim().to_string();
    let list = |query: &str| -> Vec<serde_json::Value> {
        let (code, out, err) = mailroom(&[
            "--config", &config, "list", "support", "--json", "--search", query,
        ]);
        assert_eq!(code, 0, "{query}: {err}");
        serde_json::from_str::<serde_json::Value>(&out)
            .expect("json")
            .as_array()
            .expect("array")
            .clone()
    };
    let (_, all, _) = mailroom(&["--config", &config, "list", "support", "--json"]);
    let all: serde_json::Value = serde_json::from_str(&all).unwrap();
    let total = all.as_array().unwrap().len();
    let has = |r: &serde_json::Value, key: &str, want: &str| {
        r[key]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k.as_str().is_some_and(|k| k.eq_ignore_ascii_case(want)))
    };

    let rows = list(r#"from:"Smith, John" is:unread"#);
    assert!(!rows.is_empty() && rows.len() < total);
    for r in &rows {
        assert!(r["from"].as_str().unwrap().contains("Smith, John"), "{r}");
        assert!(!has(r, "flags", "\\Seen"), "{r}");
    }
    let rows = list("status:pending -assigned:alice");
    assert!(!rows.is_empty());
    for r in &rows {
        assert!(
            has(r, "keywords", "$pending") && !has(r, "keywords", "$done"),
            "{r}"
        );
        assert!(!has(r, "keywords", "$assigned.alice"), "{r}");
    }
    let either = list("assigned:bob or assigned:carol");
    let (bob, carol) = (list("assigned:bob"), list("assigned:carol"));
    assert!(!bob.is_empty() && !carol.is_empty());
    assert_eq!(either.len(), bob.len() + carol.len());

    // body: reads the messages (an HTML-only one here), only for the rows that reach it.
    let subjects = |rows: Vec<serde_json::Value>| -> Vec<String> {
        rows.iter()
            .map(|r| r["subject"].as_str().unwrap().to_string())
            .collect()
    };
    let laptop = subjects(list("body:laptop"));
    assert!(
        laptop
            .iter()
            .any(|s| s == "Sync stopped working after the update"),
        "{laptop:?}"
    );
    assert!(subjects(list("subject:laptop")).is_empty());
    let others = subjects(list("body:laptop -from:björn"));
    assert!(others.len() < laptop.len(), "{others:?}");

    // A wrong term is named, and nothing is listed.
    let (code, out, err) = mailroom(&[
        "--config",
        &config,
        "list",
        "support",
        "--search",
        "from:x is:urgent",
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("is:urgent") && err.contains("is:unread"),
        "{err}"
    );
}

/// `mailroom policy support show|history` on the demo: the team policy seeded in support's
/// Maildir folder Policy is read from the Maildir; `list --json` shows its SLA, a mix of
/// states.
#[test]
fn the_demo_publishes_a_team_policy_in_supports_maildir() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("demo");
    let (_, out, _) = mailroom(&["demo", "--dir", ws.to_str().unwrap(), "--print-config"]);
    let config = out.trim().to_string();
    let run = |args: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_mailroom"))
            .args(["--config", &config])
            .args(args)
            .env("XDG_DATA_HOME", dir.path().join("data"))
            .env("XDG_CACHE_HOME", dir.path().join("cache"))
            .output()
            .unwrap();
        (
            o.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let (code, out, err) = run(&["policy", "support", "show"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("folder    Policy"), "{out}");
    assert!(
        out.contains("version 1, published by carol")
            && out.contains("(UID 1, read from the Maildir)"),
        "{out}"
    );
    assert!(out.contains("on-behalf = [\"alice\""), "{out}");
    let (code, out, err) = run(&["policy", "support", "show", "--json"]);
    assert_eq!(code, 0, "{err}");
    let shown: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(shown["origin"], "maildir");
    assert_eq!(shown["in_force"]["version"], 1);
    let (code, out, _) = run(&["policy", "support", "history"]);
    assert_eq!(code, 0);
    assert!(out.contains("UID 1") && out.contains("in force"), "{out}");
    // sales has no policy: the local config rules.
    let (code, out, _) = run(&["policy", "sales", "show"]);
    assert_eq!(code, 0);
    assert!(out.contains("no team policy"), "{out}");
    let (code, out, err) = run(&["list", "support", "--json"]);
    assert_eq!(code, 0, "{err}");
    let rows: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    for state in ["ok", "due_soon", "overdue", "met"] {
        assert!(
            rows.iter().any(|r| r["sla_state"] == state),
            "no {state} row in the demo"
        );
    }
}

/// `mailroom policy support publish FILE` on the demo's Maildir writes the policy message into
/// its Policy folder; the newer version is then in force, and an older one is refused.
#[test]
fn policy_publish_on_a_maildir_account_writes_its_policy_folder() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("demo");
    let (_, out, _) = mailroom(&["demo", "--dir", ws.to_str().unwrap(), "--print-config"]);
    let config = out.trim().to_string();
    let run = |args: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_mailroom"))
            .args(["--config", &config])
            .args(args)
            .env("XDG_DATA_HOME", dir.path().join("data"))
            .env("XDG_CACHE_HOME", dir.path().join("cache"))
            .output()
            .unwrap();
        (
            o.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let file = dir.path().join("policy.toml");
    std::fs::write(&file, "version = 2\n[send]\nas = [\"alice\"]\n").unwrap();
    let (code, out, err) = run(&["policy", "support", "publish", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("published version 2 to Policy") && out.contains("replacing version 1"),
        "{out}"
    );
    assert!(err.contains("a Maildir has no ACL"), "{err}");
    let (code, out, _) = run(&["policy", "support", "show", "--json"]);
    assert_eq!(code, 0);
    let shown: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(shown["in_force"]["version"], 2);
    // Not newer than the policy in force: refused, nothing written.
    let (code, _, err) = run(&["policy", "support", "publish", file.to_str().unwrap()]);
    assert_ne!(code, 0);
    assert!(
        err.contains("is not newer than the policy in force"),
        "{err}"
    );
    let (_, out, _) = run(&["policy", "support", "history"]);
    assert_eq!(out.matches("UID ").count(), 2, "{out}");
}
