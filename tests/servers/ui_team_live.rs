//! Team triage, live: the real binary in tmux against the real test bed, with a teammate's raw
//! IMAP session beside it. A teammate's assignment reaches the screen without a key press
//! (IDLE); `a` claims and the teammate sees it; a claim a teammate won first says so and
//! changes nothing; `d` takes a row out of the open view; a snooze the teammate moves into the
//! past is cleared by the running app by itself; a read-only agent's `a` is refused.

use crate::support;

use crate::tmux;

use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use support::testbed::{RawImap, Testbed};
use tmux::{MAILBOX, Tmux, customer_message, row, start_synced, uid_of};

/// Generous: CI machines are slow, and the test bed may still be warming up.
const FIRST_SCREEN: Duration = Duration::from_secs(30);
/// How long a live change may take to reach the screen or the server.
const LIVE: Duration = Duration::from_secs(10);

fn message(n: usize, subject: &str) -> Vec<u8> {
    customer_message("team", n, subject)
}

/// mailroom as `agent` on the test bed, its column synced and watched with IDLE.
struct Running {
    tmux: Tmux,
    _dir: tempfile::TempDir,
}

/// `view`: the `[ui] view` the column starts in (`None`: the default, open).
fn start(tb: &Testbed, agent: &str, view: Option<&str>, messages: usize) -> Running {
    let ui = view.map_or(String::new(), |v| format!("[ui]\nview = \"{v}\"\n\n"));
    let (tmux, dir) = start_synced(tb, agent, &ui, messages, FIRST_SCREEN);
    // The watcher says it is online just before it enters IDLE: let it get there.
    thread::sleep(Duration::from_millis(500));
    Running { tmux, _dir: dir }
}

impl Running {
    /// `q`, and the program ends cleanly.
    fn quit(self) {
        self.tmux.keys(&["q"]);
        let (status, _) = self.tmux.wait_exit(Duration::from_secs(5));
        assert_eq!(
            status,
            0,
            "exit status; the screen:\n{}",
            self.tmux.screen()
        );
    }
}

/// bob's own session on the shared mailbox.
fn teammate(tb: &Testbed) -> RawImap {
    let mut bob = tb.raw_imap("bob");
    bob.cmd_ok(&format!("SELECT \"{MAILBOX}\""));
    bob
}

/// The keywords (and flags) of `uid`, as the teammate's session sees them now, lower-cased.
fn flags_of(imap: &mut RawImap, uid: u32) -> Vec<String> {
    imap.cmd_ok("NOOP");
    let out = imap.cmd_ok(&format!("UID FETCH {uid} (FLAGS)"));
    let line = out
        .lines()
        .find(|l| l.starts_with("* ") && l.contains("FETCH") && l.contains(&format!("UID {uid}")))
        .unwrap_or_else(|| panic!("no FETCH for UID {uid}:\n{out}"));
    let start = line.find("FLAGS (").expect("FLAGS") + "FLAGS (".len();
    let end = start + line[start..].find(')').expect("end of FLAGS");
    line[start..end]
        .split_whitespace()
        .map(str::to_ascii_lowercase)
        .collect()
}

/// Polls the teammate's session until the flags of `uid` satisfy `ok`; the flags then.
fn wait_flags(
    imap: &mut RawImap,
    uid: u32,
    what: &str,
    ok: impl Fn(&[String]) -> bool,
) -> Vec<String> {
    let start = Instant::now();
    loop {
        let flags = flags_of(imap, uid);
        if ok(&flags) {
            eprintln!("{what} seen by the teammate after {:?}", start.elapsed());
            return flags;
        }
        assert!(
            start.elapsed() < LIVE,
            "no {what} after {LIVE:?}: {flags:?}"
        );
        thread::sleep(Duration::from_millis(100));
    }
}

fn team_keywords(flags: &[String]) -> Vec<&str> {
    flags
        .iter()
        .map(String::as_str)
        .filter(|f| f.starts_with('$'))
        .collect()
}

fn unix_now() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock")
            .as_secs(),
    )
    .expect("time")
}

#[test]
fn a_teammates_assignment_reaches_the_screen_without_a_key_press() {
    let tb = Testbed::start();
    tb.deliver("support@example.test", &message(1, "Printer on fire"));
    let app = start(&tb, "alice", Some("all"), 1);
    app.tmux.wait_for("the counts", LIVE, |s| {
        s.contains("[all 1] 1 unassigned · 0 mine · 1 open")
    });
    let s = app.tmux.screen();
    assert!(
        row(&s, "Printer on fire").is_some_and(|r| !r.contains('@')),
        "{s}"
    );

    let mut bob = teammate(&tb);
    let uid = uid_of(&mut bob, "Printer on fire");
    bob.cmd_ok(&format!("UID STORE {uid} +FLAGS ($assigned.bob)"));
    let took = app.tmux.wait_for("bob's assignment", LIVE, |s| {
        row(s, "Printer on fire").is_some_and(|r| r.contains("@bob"))
            && s.contains("[all 1] 0 unassigned · 0 mine · 1 open")
    });
    eprintln!("assignment on screen after {took:?}");
    app.quit();
}

#[test]
fn a_claims_and_a_claim_a_teammate_won_first_is_lost() {
    let tb = Testbed::start();
    tb.deliver("support@example.test", &message(1, "Printer on fire"));
    tb.deliver("support@example.test", &message(2, "Refund request"));
    let app = start(&tb, "alice", None, 2);
    let mut bob = teammate(&tb);
    let refund = uid_of(&mut bob, "Refund request");
    let printer = uid_of(&mut bob, "Printer on fire");

    // The newest row is selected: `a` claims it for alice; bob's session sees it.
    app.tmux.keys(&["a"]);
    let flags = wait_flags(&mut bob, refund, "alice's claim", |f| {
        f.iter().any(|k| k == "$assigned.alice")
    });
    assert_eq!(team_keywords(&flags), ["$assigned.alice"], "{flags:?}");
    app.tmux.wait_for("alice's claim on screen", LIVE, |s| {
        row(s, "Refund request").is_some_and(|r| r.contains("@alice"))
            && s.contains(&format!("support: claim UID {refund}: assigned to alice"))
            && s.contains("[open 2] 1 unassigned · 1 mine")
    });

    // bob claims the other one from his own session; alice's `a` on it, at once, loses.
    bob.cmd_ok(&format!("UID STORE {printer} +FLAGS ($assigned.bob)"));
    app.tmux.keys(&["j", "a"]);
    app.tmux.wait_for("the lost claim", LIVE, |s| {
        s.contains(&format!(
            "support: claim lost: bob was first (UID {printer})"
        ))
    });
    let flags = flags_of(&mut bob, printer);
    assert_eq!(team_keywords(&flags), ["$assigned.bob"], "{flags:?}");
    app.tmux.wait_for("bob's claim on screen", LIVE, |s| {
        row(s, "Printer on fire").is_some_and(|r| r.contains("@bob") && !r.contains("@alice"))
    });
    // alice's own claim is untouched.
    let flags = flags_of(&mut bob, refund);
    assert_eq!(team_keywords(&flags), ["$assigned.alice"], "{flags:?}");
    app.quit();
}

#[test]
fn d_moves_the_row_out_of_the_open_view() {
    let tb = Testbed::start();
    tb.deliver("support@example.test", &message(1, "Printer on fire"));
    tb.deliver("support@example.test", &message(2, "Refund request"));
    let app = start(&tb, "alice", None, 2);
    app.tmux.wait_for("the open view", LIVE, |s| {
        s.contains("[open 2] 2 unassigned · 0 mine · 0 pending · 0 done")
            && s.contains("Refund request")
    });
    let mut bob = teammate(&tb);
    let refund = uid_of(&mut bob, "Refund request");

    app.tmux.keys(&["d"]);
    let flags = wait_flags(&mut bob, refund, "$done", |f| {
        f.iter().any(|k| k == "$done")
    });
    assert_eq!(team_keywords(&flags), ["$done"], "{flags:?}");
    app.tmux
        .wait_for("the row gone from the open view", LIVE, |s| {
            s.contains("[open 1] 1 unassigned · 0 mine · 0 pending · 1 done")
                && !s.contains("Refund request")
                && s.contains("Printer on fire")
        });
    // It is in the done view.
    app.tmux.keys(&[":"]);
    app.tmux.keys(&["-l", "view done"]);
    app.tmux.keys(&["Enter"]);
    app.tmux.wait_for("the done view", LIVE, |s| {
        s.contains("[done 1]")
            && row(s, "Refund request").is_some_and(|r| r.contains("done"))
            && !s.contains("Printer on fire")
    });
    app.quit();
}

#[test]
fn a_snooze_moved_into_the_past_is_woken_by_the_running_app() {
    let tb = Testbed::start();
    tb.deliver("support@example.test", &message(1, "Printer on fire"));
    let app = start(&tb, "alice", None, 1);
    let mut bob = teammate(&tb);
    let uid = uid_of(&mut bob, "Printer on fire");

    // alice snoozes it for two hours: one keyword, `$snoozed`; the wake time is in a snooze
    // record in the notes folder.
    let before = unix_now();
    app.tmux.keys(&["z"]);
    app.tmux.keys(&["-l", "2h"]);
    app.tmux.keys(&["Enter"]);
    let flags = wait_flags(&mut bob, uid, "the snooze", |f| {
        f.iter().any(|k| k == "$snoozed")
    });
    let after = unix_now();
    assert_eq!(team_keywords(&flags), ["$snoozed"], "{flags:?}");
    bob.cmd_ok("EXAMINE \"shared/support/Notes\"");
    let records =
        bob.cmd_ok("UID FETCH 1:* (BODY.PEEK[HEADER.FIELDS (X-Mailroom-Snooze In-Reply-To)])");
    let wake = records
        .split("X-Mailroom-Snooze: ")
        .nth(1)
        .and_then(|r| r.get(..20))
        .and_then(mailroom::mail::snooze::parse_rfc3339_utc)
        .unwrap_or_else(|| panic!("no snooze record:\n{records}"));
    assert!(
        (before + 7200 - 60..=after + 7200).contains(&wake),
        "{records}"
    );
    assert!(
        records.contains("In-Reply-To: <team1@outside.test>"),
        "{records}"
    );
    bob.cmd_ok(&format!("SELECT \"{MAILBOX}\""));
    app.tmux.wait_for("the row asleep", LIVE, |s| {
        !s.contains("Printer on fire")
            && row(s, "[open 0]").is_some_and(|h| h.contains("1 snoozed"))
    });

    // bob (another client) moves the snooze to a minute already past: a new record, and the
    // keyword stored again so that the change is seen.
    let past = mailroom::mail::date::rfc3339_utc(unix_now() - 5 * 60);
    bob.append(
        "shared/support/Notes",
        "\\Seen",
        format!(
            "X-Mailroom-Snooze: {past}\r\nX-Mailroom-Agent: bob\r\nFrom: <support@example.test>\r\nSubject: [snooze] earlier\r\nIn-Reply-To: <team1@outside.test>\r\nReferences: <team1@outside.test>\r\n\r\nsnoozed\r\n"
        )
        .as_bytes(),
    );
    bob.cmd_ok(&format!("UID STORE {uid} -FLAGS ($snoozed)"));
    bob.cmd_ok(&format!("UID STORE {uid} +FLAGS ($snoozed)"));
    // The running app clears it by itself, and the row is open again.
    let flags = wait_flags(&mut bob, uid, "the snooze cleared", |f| {
        !f.iter().any(|k| k.starts_with("$snoozed"))
    });
    assert!(team_keywords(&flags).is_empty(), "{flags:?}");
    app.tmux
        .wait_for("the row awake in the open view", LIVE, |s| {
            row(s, "Printer on fire").is_some_and(|r| !r.contains("zz"))
                && row(s, "[open 1]").is_some_and(|h| !h.contains("snoozed"))
        });
    app.quit();
}

#[test]
fn a_read_only_agent_may_not_claim() {
    let tb = Testbed::start();
    tb.deliver("support@example.test", &message(1, "Printer on fire"));
    let app = start(&tb, "carol", None, 1);
    app.tmux
        .wait_for("the read-only mark", LIVE, |s| s.contains("read-only"));
    let mut bob = teammate(&tb);
    let uid = uid_of(&mut bob, "Printer on fire");
    let before = flags_of(&mut bob, uid);

    app.tmux.keys(&["a"]);
    app.tmux.wait_for("the refusal", LIVE, |s| {
        s.contains("support: you may not claim here: triage needs the `w` right (yours: lr)")
    });
    // `A` is refused at once; its line opens inert, saying why, and Esc closes it.
    app.tmux.keys(&["A"]);
    app.tmux.wait_for("the refusal of A", LIVE, |s| {
        s.contains("support: you may not assign here: triage needs the `w` right (yours: lr)")
    });
    app.tmux.keys(&["Escape"]);
    app.tmux
        .wait_for("the inert line closed", LIVE, |s| !s.contains(":assign"));
    assert_eq!(flags_of(&mut bob, uid), before);
    assert!(team_keywords(&before).is_empty(), "{before:?}");
    let s = app.tmux.screen();
    assert!(
        row(&s, "Printer on fire").is_some_and(|r| !r.contains('@')),
        "{s}"
    );
    app.quit();
}
