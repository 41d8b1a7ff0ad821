//! The Microsoft 365-like IMAP of the test bed (issue 16, step 2): `support::m365::M365Proxy` in
//! front of the real Dovecot rewrites what Exchange Online says differently (PERMANENTFLAGS
//! without `\*`, no ACL/CONDSTORE/QRESYNC/METADATA, NAMESPACE personal only) and refuses a
//! keyword STORE. The shared mailbox is opened the Exchange way: logged in as the shared account
//! (`support*alice`, a delegated login), mailbox `INBOX`.

use crate::support;

use support::cli::Cli;
use support::m365::M365Proxy;
use support::testbed::{RawImap, Testbed};

const MESSAGE: &[u8] = b"From: Customer One <one@outside.test>\r\nTo: support@example.test\r\nSubject: Printer on fire\r\nMessage-ID: <one.m365@outside.test>\r\nDate: Sun, 06 Dec 2026 09:00:00 +0000\r\n\r\nHelp!\r\n";

fn login(proxy: &M365Proxy) -> RawImap {
    let mut imap = RawImap::connect(proxy.port());
    imap.cmd_ok(&format!(
        "LOGIN support*alice {}",
        Testbed::password("alice")
    ));
    imap
}

/// Raw IMAP through the proxy: the rewritten lines, literals both ways, a keyword STORE
/// refused (and not applied) while `\Flagged` is stored.
#[test]
fn the_proxy_speaks_like_exchange_online() {
    let tb = Testbed::start();
    let proxy = M365Proxy::start(tb.imap_plain_port);

    let mut imap = RawImap::connect(proxy.port());
    for hidden in ["ACL", "CONDSTORE", "QRESYNC", "METADATA", "STARTTLS"] {
        assert!(
            !imap.greeting.split([' ', ']']).any(|c| c == hidden),
            "{hidden} in the greeting: {}",
            imap.greeting
        );
    }
    let logged_in = imap.cmd_ok(&format!(
        "LOGIN support*alice {}",
        Testbed::password("alice")
    ));
    assert!(!logged_in.contains(" ACL"), "{logged_in}");
    let caps = imap.cmd_ok("CAPABILITY");
    let line = caps
        .lines()
        .find(|l| l.starts_with("* CAPABILITY"))
        .unwrap_or_default();
    let words: Vec<&str> = line.split_whitespace().collect();
    for hidden in ["ACL", "CONDSTORE", "QRESYNC", "METADATA", "METADATA-SERVER"] {
        assert!(!words.contains(&hidden), "{hidden}: {line}");
    }
    assert!(!words.iter().any(|w| w.starts_with("RIGHTS=")), "{line}");
    for kept in ["IMAP4rev1", "MOVE", "UIDPLUS", "IDLE"] {
        assert!(words.contains(&kept), "{kept}: {line}");
    }
    let ns = imap.cmd_ok("NAMESPACE");
    assert!(
        ns.contains("* NAMESPACE ((\"\" \"/\")) NIL NIL\r\n"),
        "{ns}"
    );
    let rights = imap.cmd("MYRIGHTS INBOX");
    assert_eq!(imap.last_status(), "BAD", "{rights}");

    // APPEND with a literal from the client; FETCH returns it in a literal from the server.
    imap.append("INBOX", "", MESSAGE);
    let selected = imap.cmd_ok("SELECT INBOX");
    assert!(
        selected.contains(
            "* OK [PERMANENTFLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft $MDNSent)]"
        ),
        "{selected}"
    );
    assert!(!selected.contains("\\*"), "{selected}");
    let body = imap.cmd_ok("UID FETCH 1:* (BODY.PEEK[])");
    assert!(body.contains(&format!("{{{}}}", MESSAGE.len())), "{body}");
    assert!(body.contains("Subject: Printer on fire"), "{body}");

    // A keyword is refused by the proxy (Dovecot never sees it); \Flagged goes through.
    let refused = imap.cmd("UID STORE 1 +FLAGS ($team.claimed.alice)");
    assert_eq!(imap.last_status(), "NO", "{refused}");
    let refused = imap.cmd("STORE 1 +FLAGS.SILENT (\\Seen custom)");
    assert_eq!(imap.last_status(), "NO", "{refused}");
    assert_eq!(proxy.refused().len(), 3, "{:?}", proxy.refused());
    imap.cmd_ok("UID STORE 1 +FLAGS (\\Flagged $MDNSent)");
    let mut direct = tb
        .raw_imap_login("support*alice", Testbed::password("alice"))
        .unwrap_or_else(|e| panic!("direct login: {e}"));
    direct.cmd_ok("EXAMINE INBOX");
    let flags = direct.cmd_ok("UID FETCH 1 (FLAGS)");
    assert!(flags.contains("\\Flagged"), "{flags}");
    assert!(flags.contains("$MDNSent"), "{flags}");
    assert!(!flags.contains("$team"), "{flags}");
    assert!(!flags.contains("\\Seen"), "{flags}");
    assert!(!flags.contains("custom"), "{flags}");
    imap.cmd_ok("LOGOUT");
}

/// `mailroom check` through the proxy: the shared mailbox is reached, ACL is missing, and the
/// keywords are reported not permanent (team state goes to folders).
#[test]
fn check_says_keywords_are_not_permanent_behind_the_m365_proxy() {
    let tb = Testbed::start();
    let proxy = M365Proxy::start(tb.imap_plain_port);
    login(&proxy).append("INBOX", "", MESSAGE);
    let cli = Cli::with_config(&format!(
        "[agent]\nid = \"alice\"\nname = \"alice Agent\"\nemail = \"alice@example.test\"\n[[account]]\nname = \"support\"\naddress = \"support@example.test\"\nsend = \"none\"\n[account.imap]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\nlogin = \"support*alice\"\npassword_command = \"echo {}\"\nmailbox = \"INBOX\"\n",
        proxy.port(),
        Testbed::password("alice")
    ));
    let (code, out) = cli.run_joined(&["check"]);
    assert!(out.contains("mailbox INBOX (1 messages)"), "{code}\n{out}");
    assert!(
        out.contains("no ACL: inferred from SELECT (PERMANENTFLAGS \\Seen \\Answered \\Flagged \\Deleted \\Draft $MDNSent)"),
        "{out}"
    );
    assert!(
        out.contains(
            "keywords  not permanent: team state maps to folders (a claim is the move itself)"
        ),
        "{out}"
    );
    assert_eq!(code, 0, "{out}");
}
