//! `mailroom list --sort` on the demo: the default is the column view's order (newest arrival
//! first), and every key lists in the order `:sort` shows.

use std::process::Command;

use mailroom::engine::Event as EngineEvent;
use mailroom::mail::sort::{Sort, base_subject};
use mailroom::ui::app::{App, update};
use mailroom::ui::event::Event;
use mailroom::ui::theme::{BUILTIN, Theme};

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

fn listed(config: &str, account: &str, sort: Option<&str>) -> Vec<serde_json::Value> {
    let mut args = vec!["--config", config, "list", account, "--json"];
    if let Some(s) = sort {
        args.extend(["--sort", s]);
    }
    let (code, out, err) = mailroom(&args);
    assert_eq!(code, 0, "{err}");
    let rows: serde_json::Value = serde_json::from_str(&out).expect("json");
    rows.as_array().expect("array").clone()
}

fn uids(rows: &[serde_json::Value]) -> Vec<u64> {
    rows.iter()
        .map(|r| r["uid"].as_u64().expect("uid"))
        .collect()
}

/// The rows of the account's column in the TUI, in `sort` order, top to bottom.
fn column_order(config: &str, account: &str, sort: Sort) -> Vec<u64> {
    let loaded = mailroom::config::load(std::path::Path::new(config)).expect("demo config");
    let acc = mailroom::cli::list::find_account(&loaded.config, account).expect("account");
    let rows = mailroom::cli::list::summaries(acc, true).expect("rows");
    let theme = Theme::parse(BUILTIN[0].1, "default").expect("theme");
    let mut app = App::new(&[(0, account.to_string())], theme, false);
    update(&mut app, Event::Resize(200, 60));
    update(
        &mut app,
        Event::Engine(EngineEvent::Rows {
            account_idx: 0,
            rows,
        }),
    );
    // `s` cycles from date to the order asked for.
    let mut at = Sort::Date;
    while at != sort {
        update(
            &mut app,
            Event::Key(crossterm::event::KeyEvent::from(
                crossterm::event::KeyCode::Char('s'),
            )),
        );
        at = at.next();
    }
    let c = &app.columns()[0];
    (0..c.shown_len())
        .filter_map(|i| c.shown(i).map(|s| u64::from(s.uid)))
        .collect()
}

#[test]
fn list_sorts_like_the_column_view_newest_arrival_first_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("demo");
    let (code, out, err) = mailroom(&["demo", "--dir", ws.to_str().unwrap(), "--print-config"]);
    assert_eq!(code, 0, "{err}");
    let config = out.trim().to_string();
    // A message delivered last (the highest UID) that arrived first: a late copy, as an
    // import or a delayed delivery leaves it. UID order and arrival order now differ.
    let late = ws.join("mail/support/new/1000000000.M1P1.late");
    std::fs::write(
        &late,
        "From: Old Customer <old@example.test>\r\nTo: support@example.test\r\n\
         Subject: A letter from long ago\r\nDate: Sun, 9 Sep 2001 01:46:40 +0000\r\n\r\nHello\r\n",
    )
    .unwrap();
    let file = std::fs::File::options().write(true).open(&late).unwrap();
    file.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000))
        .unwrap();
    drop(file);

    let mut uid_order_differs = false;
    for account in ["support", "sales", "billing"] {
        let default = listed(&config, account, None);
        assert_eq!(
            uids(&default),
            uids(&listed(&config, account, Some("date")))
        );
        // Newest arrival first (RFC 3339 UTC strings sort as times), then the higher UID.
        for w in default.windows(2) {
            let (a, b) = (&w[0], &w[1]);
            let key = |r: &serde_json::Value| {
                (
                    r["received"].as_str().unwrap().to_string(),
                    r["uid"].as_u64(),
                )
            };
            assert!(key(a) > key(b), "{account}: {a} before {b}");
        }
        let mut by_uid = uids(&default);
        by_uid.sort_unstable_by(|a, b| b.cmp(a));
        uid_order_differs |= by_uid != uids(&default);
        // The same order as the column view, for every key.
        for sort in Sort::ALL {
            let cli = uids(&listed(&config, account, Some(sort.name())));
            assert_eq!(
                cli,
                column_order(&config, account, sort),
                "{account} {}",
                sort.name()
            );
        }
        // Waiting is the reverse of date; subject is A to Z without Re:/Fwd:.
        let mut reversed = uids(&default);
        reversed.reverse();
        assert_eq!(uids(&listed(&config, account, Some("waiting"))), reversed);
        let subjects: Vec<String> = listed(&config, account, Some("subject"))
            .iter()
            .map(|r| base_subject(r["subject"].as_str().unwrap()).to_lowercase())
            .collect();
        assert!(
            subjects.windows(2).all(|w| w[0] <= w[1]),
            "{account}: {subjects:?}"
        );
    }
    // The demo has mail whose arrival order is not its UID order: the test tells them apart.
    assert!(uid_order_differs, "the demo's UID order is its date order");

    let (code, _, err) = mailroom(&["--config", &config, "list", "support", "--sort", "size"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("size") && err.contains("subject"), "{err}");
}
