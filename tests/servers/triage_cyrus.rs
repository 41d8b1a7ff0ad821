//! Keyword-mode triage on a real Cyrus IMAP 3.6 (issue 16, failure 4): Cyrus keeps at most 100
//! user flags per mailbox, for ever. Snoozes at any number of wake times keep the mailbox's
//! flag table within mailroom's fixed set (the wake times go to snooze records in the notes
//! folder); a keyword the server still refuses fails with a message naming the limit, the
//! keyword and the mailbox, and changes nothing; claims race, assign, pending/done/reopen and
//! snooze work as on Dovecot, and a second agent's engine sees the wake time. One Cyrus for
//! the whole module.

use std::sync::OnceLock;
use std::sync::mpsc::channel;
use std::time::{Duration, Instant};

use crate::support;

use mailroom::config::{Account, Config, TeamStateSetting};
use mailroom::engine::worker::{AccountWorker, WorkerCommand, WorkerEvent};
use mailroom::imap::connect::{ImapConn, Target, open_session};
use mailroom::store::bodies::BodyCache;
use mailroom::store::cache::HeaderCache;
use mailroom::triage::act::{self, ActError, Applied, Selected};
use mailroom::triage::folders::Mapping;
use mailroom::triage::state::Action;
use support::cyrus::{ADMIN, CyrusTestbed};

const NOTES: &str = "shared.support.Notes";
const SALES_NOTES: &str = "shared.sales.Notes";

/// The module's Cyrus, with a notes folder under each shared mailbox (created by the admin:
/// Cyrus answers APPEND to a missing folder without `[TRYCREATE]`).
fn cyrus() -> &'static CyrusTestbed {
    static CY: OnceLock<CyrusTestbed> = OnceLock::new();
    CY.get_or_init(|| {
        let cy = CyrusTestbed::start();
        let mut admin = cy.raw_imap(ADMIN);
        for folder in [NOTES, SALES_NOTES] {
            admin.cmd_ok(&format!("CREATE {folder}"));
            for (agent, rights) in support::cyrus::RIGHTS {
                admin.cmd_ok(&format!("SETACL {folder} {agent} {rights}"));
            }
        }
        cy
    })
}

/// A unique counter for Message-IDs across the module's tests.
fn next() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

/// Appends a customer message to `mailbox`; returns its UID and Message-ID.
fn seed(cy: &CyrusTestbed, mailbox: &str, subject: &str) -> (u32, String) {
    let id = format!("c{}-{}@outside.test", next(), std::process::id());
    let raw = format!(
        "From: Customer <c@outside.test>\r\nTo: support@example.test\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\nDate: Sun, 06 Dec 2026 09:00:00 +0000\r\n\r\nHello\r\n"
    );
    let reply = cy.append(mailbox, raw.as_bytes());
    let upper = reply.to_ascii_uppercase();
    let at = upper.find("[APPENDUID ").expect("UIDPLUS") + "[APPENDUID ".len();
    let uid = upper[at..]
        .split([' ', ']'])
        .nth(1)
        .and_then(|u| u.parse().ok())
        .expect("APPENDUID");
    (uid, id)
}

/// `agent`'s account `support` on `mailbox`, with its notes folder named.
fn account(cy: &CyrusTestbed, agent: &str, mailbox: &str, notes: &str) -> Account {
    let text = cy
        .config(
            agent,
            &format!("send = \"none\"\nnotes_folder = \"{notes}\""),
            "",
        )
        .replace(
            "mailbox = \"shared.support\"",
            &format!("mailbox = \"{mailbox}\""),
        );
    let config: Config = toml::from_str(&text).expect("config");
    config.accounts.into_iter().next().expect("account")
}

fn session(account: &Account) -> (ImapConn, Selected) {
    let imap = account.imap.as_ref().expect("imap");
    let mut conn = open_session(&Target {
        account: &account.name,
        config: imap,
    })
    .expect("login");
    let selected =
        act::select_with_rights(&mut conn, &imap.mailbox, TeamStateSetting::Auto).expect("select");
    assert_eq!(selected.mapping, Mapping::Keywords);
    (conn, selected)
}

fn triage(
    conn: &mut ImapConn,
    selected: &Selected,
    account: &Account,
    uid: u32,
    action: &Action,
    me: &str,
) -> Result<Applied, ActError> {
    let mailbox = selected.mailbox.clone();
    act::apply_recorded(conn, selected, &mailbox, uid, action, me, true, account)
}

/// The user flags in SELECT's FLAGS list of `mailbox` (the mailbox's flag table on Cyrus).
fn flag_table(cy: &CyrusTestbed, mailbox: &str) -> Vec<String> {
    let mut imap = cy.raw_imap(ADMIN);
    let reply = imap.cmd_ok(&format!("EXAMINE {mailbox}"));
    let line = reply
        .lines()
        .find(|l| l.starts_with("* FLAGS ("))
        .unwrap_or_default()
        .to_string();
    line.trim_start_matches("* FLAGS (")
        .trim_end_matches(')')
        .split(' ')
        .filter(|f| !f.is_empty() && !f.starts_with('\\'))
        .map(str::to_string)
        .collect()
}

fn flags_of(cy: &CyrusTestbed, mailbox: &str, uid: u32) -> String {
    let mut imap = cy.raw_imap(ADMIN);
    imap.cmd_ok(&format!("EXAMINE {mailbox}"));
    imap.cmd_ok(&format!("UID FETCH {uid} (FLAGS)"))
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[test]
fn snoozes_at_150_wake_times_keep_the_flag_table_to_the_fixed_set() {
    let cy = cyrus();
    let alice = account(cy, "alice", "shared.support", NOTES);
    let messages: Vec<(u32, String)> = (0..3)
        .map(|i| seed(cy, "shared.support", &format!("Sleepy {i}")))
        .collect();
    let (mut conn, selected) = session(&alice);
    let start = now() / 60 * 60 + 3600;
    let mut last = std::collections::HashMap::new();
    for i in 0..150i64 {
        let (uid, id) = &messages[(i % 3) as usize];
        let until = start + i * 60;
        let applied = triage(
            &mut conn,
            &selected,
            &alice,
            *uid,
            &Action::Snooze(until),
            "alice",
        )
        .unwrap_or_else(|e| panic!("snooze {i} to a new minute: {e}"));
        assert!(applied.after.snoozed && applied.after.snoozed_until == Some(until));
        last.insert(id.clone(), until);
    }
    let table = flag_table(cy, "shared.support");
    let fixed = |f: &String| {
        ["$pending", "$done", "$snoozed"].contains(&f.as_str())
            || f.starts_with("$assigned.")
            || f.starts_with("$replying.")
    };
    assert!(table.iter().all(fixed), "flag table: {table:?}");
    assert!(table.len() <= 3 + 2 * 12, "flag table: {table:?}");
    for (uid, _) in &messages {
        let flags = flags_of(cy, "shared.support", *uid);
        assert!(
            flags.contains("$snoozed") && !flags.contains("$snoozed."),
            "{flags}"
        );
    }
    // The newest record of each message gives its wake time.
    let wakes = mailroom::imap::snoozes::wake_times(&mut conn, NOTES).expect("records");
    for (id, until) in &last {
        assert_eq!(wakes.get(id), Some(*until), "{id}");
    }
    // Records are not notes: none is listed among a message's notes.
    let notes = mailroom::imap::notes::notes_for(&mut conn, NOTES, &messages[0].1).expect("notes");
    assert!(notes.is_empty(), "{notes:?}");

    // The command line: `triage … snooze` says the wake time, `list` shows it.
    let cli = support::cli::Cli::with_config(&cy.config(
        "alice",
        &format!("send = \"none\"\nnotes_folder = \"{NOTES}\""),
        "",
    ));
    let uid = messages[0].0.to_string();
    let (code, out) = cli.run_joined(&["triage", "support", &uid, "snooze", "2030-01-02T03:04"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("snoozed until 2030-01-02 03:04 UTC"), "{out}");
    let (code, out) = cli.run_joined(&["list", "support"]);
    assert_eq!(code, 0, "{out}");
    let line = out
        .lines()
        .find(|l| l.contains("Sleepy 0"))
        .unwrap_or_default();
    assert!(
        line.contains("$snoozed] until 2030-01-02 03:04 UTC"),
        "{out}"
    );
    let (code, out) = cli.run_joined(&["list", "support", "--json"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("\"snoozed_until\": \"2030-01-02T03:04:00Z\""),
        "{out}"
    );
}

#[test]
fn a_keyword_the_full_flag_table_refuses_fails_clearly_and_changes_nothing() {
    let cy = cyrus();
    let (uid, _) = seed(cy, "shared.sales", "Quote for 40 seats");
    let (held, _) = seed(cy, "shared.sales", "Held by alice");
    let alice = account(cy, "alice", "shared.sales", SALES_NOTES);
    let (mut conn, selected) = session(&alice);
    for action in [Action::Pending, Action::Done, Action::Reopen] {
        triage(&mut conn, &selected, &alice, uid, &action, "alice").expect("status");
    }
    triage(&mut conn, &selected, &alice, held, &Action::Claim, "alice").expect("claim");
    // Another client fills the table to Cyrus' 100 user flags.
    let mut admin = cy.raw_imap(ADMIN);
    admin.cmd_ok("SELECT shared.sales");
    let mut n = 0;
    while n < 200 {
        let reply = admin.cmd(&format!("UID STORE {uid} +FLAGS (filler{n})"));
        if admin.last_status() != "OK" {
            assert!(reply.contains("Too many user flags"), "{reply}");
            break;
        }
        n += 1;
    }
    assert!(n < 200, "the flag table never filled");
    admin.cmd_ok(&format!(
        "UID STORE {uid} -FLAGS ({})",
        (0..n)
            .map(|i| format!("filler{i}"))
            .collect::<Vec<_>>()
            .join(" ")
    ));
    let before = flags_of(cy, "shared.sales", uid);
    let held_before = flags_of(cy, "shared.sales", held);
    assert!(held_before.contains("$assigned.alice"), "{held_before}");

    // A claim by an agent whose keyword is new: refused, named, nothing applied.
    let (mut conn, selected) = session(&alice);
    let err = triage(&mut conn, &selected, &alice, uid, &Action::Claim, "dave")
        .expect_err("the table is full");
    assert!(matches!(err, ActError::KeywordRefused { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("$assigned.dave") && text.contains("shared.sales") && text.contains("100"),
        "{text}"
    );
    assert_eq!(flags_of(cy, "shared.sales", uid), before);
    // An assign that would move alice's message to a new agent: refused as a whole, alice
    // keeps it (the old keyword is not removed without the new one).
    let err = triage(
        &mut conn,
        &selected,
        &alice,
        held,
        &Action::Assign("erin".into()),
        "alice",
    )
    .expect_err("the table is full");
    assert!(err.to_string().contains("$assigned.erin"), "{err}");
    assert_eq!(flags_of(cy, "shared.sales", held), held_before);
    // A keyword already in the table still works.
    triage(&mut conn, &selected, &alice, uid, &Action::Pending, "alice").expect("pending");
}

#[test]
fn claims_race_between_2_and_10_agents_on_cyrus() {
    let cy = cyrus();
    for agents in [2usize, 10] {
        let uids: Vec<u32> = (0..4)
            .map(|i| seed(cy, "shared.support", &format!("Race {agents} {i}")).0)
            .collect();
        // Agent ids a0..a9, logged in as alice or bob in turn (the keyword is the agent id).
        let ids: Vec<String> = (0..agents).map(|i| format!("r{agents}x{i}")).collect();
        let configs: Vec<_> = (0..agents)
            .map(|i| {
                let login = if i % 2 == 0 { "alice" } else { "bob" };
                account(cy, login, "shared.support", NOTES)
                    .imap
                    .expect("imap")
            })
            .collect();
        let names: Vec<&str> = ids.iter().map(String::as_str).collect();
        let results = support::race::claim_race(
            &names,
            &configs,
            "shared.support",
            TeamStateSetting::Auto,
            &uids,
            |m| *m == Mapping::Keywords,
        );
        for (k, &uid) in uids.iter().enumerate() {
            let winners: Vec<&str> = names
                .iter()
                .zip(&results)
                .filter(|(_, r)| r[k].is_ok())
                .map(|(n, _)| *n)
                .collect();
            assert_eq!(winners.len(), 1, "{agents} agents, UID {uid}: {results:?}");
            for r in &results {
                if let Err(e) = &r[k] {
                    assert_eq!(
                        e,
                        &ActError::Lost {
                            winner: winners[0].to_string()
                        }
                    );
                }
            }
            let flags = flags_of(cy, "shared.support", uid);
            assert_eq!(flags.matches("$assigned.").count(), 1, "{flags}");
        }
    }
}

#[test]
fn assign_status_and_a_snooze_seen_by_a_second_agents_engine() {
    let cy = cyrus();
    let (uid, id) = seed(cy, "shared.support", "Triage me");
    let alice = account(cy, "alice", "shared.support", NOTES);
    let bob = account(cy, "bob", "shared.support", NOTES);

    // bob's engine, watching the mailbox.
    let dir = tempfile::tempdir().expect("tempdir");
    let (tx, rx) = channel();
    let worker = AccountWorker::spawn(
        &bob,
        HeaderCache::new(dir.path().join("h")),
        BodyCache::new(dir.path().join("b"), 1 << 20),
        Box::new(move |e| {
            let _ = tx.send(e);
        }),
    )
    .expect("worker");
    let wait_for = |want: &dyn Fn(&mailroom::mail::snooze::WakeTimes) -> bool| {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(WorkerEvent::Snoozes(w)) = rx.recv_timeout(Duration::from_millis(200))
                && want(&w)
            {
                return true;
            }
        }
        false
    };

    let (mut conn, selected) = session(&alice);
    let mut step = |action: Action| {
        triage(&mut conn, &selected, &alice, uid, &action, "alice")
            .unwrap_or_else(|e| panic!("{action:?}: {e}"))
    };
    let a = step(Action::Claim);
    assert_eq!(a.after.assigned.as_deref(), Some("alice"));
    let a = step(Action::Assign("bob".into()));
    assert_eq!(a.after.assigned.as_deref(), Some("bob"));
    assert!(a.after.also_assigned.is_empty());
    assert!(step(Action::Pending).after.pending);
    let a = step(Action::Done);
    assert!(a.after.done && !a.after.pending);
    let a = step(Action::Reopen);
    assert!(!a.after.done && !a.after.pending);
    let flags = flags_of(cy, "shared.support", uid);
    assert!(
        flags.contains("$assigned.bob") && !flags.contains("$assigned.alice"),
        "{flags}"
    );

    // alice snoozes: bob's engine reports the wake time from the record.
    let until = now() / 60 * 60 + 2 * 3600;
    // Pushed by IDLE: no refresh asked for.
    step(Action::Snooze(until));
    assert!(
        wait_for(&|w| w.get(&id) == Some(until)),
        "bob's engine never reported the wake time"
    );
    // Snoozed again, later: the keyword stays, and bob's engine still learns the new time.
    step(Action::Snooze(until + 86_400));
    assert!(
        wait_for(&|w| w.get(&id) == Some(until + 86_400)),
        "bob's engine kept the old wake time of a message snoozed again"
    );
    let flags = flags_of(cy, "shared.support", uid);
    assert_eq!(flags.matches("$snoozed").count(), 1, "{flags}");
    // Reopen (an unsnooze) removes the keyword; bob's engine drops the wake time.
    let a = step(Action::Reopen);
    assert!(!a.after.snoozed);
    assert!(!flags_of(cy, "shared.support", uid).contains("$snoozed"));
    worker.send(WorkerCommand::Refresh);
    assert!(
        wait_for(&|w| w.get(&id).is_none()),
        "bob's engine kept the wake time of an unsnoozed message"
    );
    worker.shutdown();
}
