//! The stats screen in the real binary: `S` in the demo workspace computes the report on a
//! thread of its own (reading every Maildir and Sent folder) while the screen stays live.

use crate::tmux;

use std::time::Duration;

use tmux::{Tmux, sh_quote};

#[test]
fn s_in_the_demo_shows_every_mailbox_and_its_agents() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("demo");
    let command = format!(
        "env XDG_DATA_HOME={} XDG_CACHE_HOME={} {} demo --dir {}",
        sh_quote(&tmp.path().join("data").display().to_string()),
        sh_quote(&tmp.path().join("cache").display().to_string()),
        sh_quote(env!("CARGO_BIN_EXE_mailroom")),
        sh_quote(&dir.display().to_string())
    );
    let t = Tmux::start(&command, 120, 45);
    t.wait_for("the columns", Duration::from_secs(20), |s| {
        s.contains("support") && s.contains("billing") && s.contains("unread")
    });
    t.keys(&["S"]);
    let s = {
        t.wait_for("the stats", Duration::from_secs(20), |s| {
            s.contains("Stats · every mailbox · last 30 days") && s.contains(" billing ")
        });
        t.screen()
    };
    for want in [
        "Mailbox      received answered",
        " support ",
        " sales ",
        "Agent        first responses",
        " alice ",
        // The demo's [team.emails] turn on-behalf Senders into agent ids.
        " bob ",
        "Customer messages by hour",
        "By weekday",
    ] {
        assert!(s.contains(want), "{want:?} missing:\n{s}");
    }
    assert!(!s.contains("bob@example.test"), "{s}");
    // One mailbox, then close; the columns are back and q quits.
    t.keys(&["Tab"]);
    t.wait_for("support alone", Duration::from_secs(5), |s| {
        s.contains("Stats · support")
    });
    t.keys(&["q"]);
    t.wait_for("the columns again", Duration::from_secs(5), |s| {
        !s.contains("Stats ·") && s.contains("unread")
    });
    t.keys(&["q"]);
    let (code, _) = t.wait_exit(Duration::from_secs(10));
    assert_eq!(code, 0);
}
