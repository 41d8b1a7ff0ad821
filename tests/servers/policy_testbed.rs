//! The team policy against a real Dovecot: policy messages appended to `shared/support/Policy`
//! are read back newest first; a newer one that fails validation is skipped and reported,
//! never half-applied; the policy in force is kept locally and rules while the server is down.

use crate::support;

use mailroom::config::SendMode;
use mailroom::engine::policy::{self, Origin};
use mailroom::imap::connect::{Target, open_session};
use mailroom::store::policy::PolicyCache;
use support::testbed::Testbed;

const FOLDER: &str = "shared/support/Policy";

fn policy_message(version: u64, document: &str) -> Vec<u8> {
    mailroom::mail::policy::build(
        "alice",
        "alice@example.test",
        "support@example.test",
        version,
        document,
        &[],
        std::time::SystemTime::now(),
    )
    .unwrap()
}

fn account(tb: &Testbed, agent: &str) -> mailroom::config::Account {
    let mut config = mailroom::config::parse(
        &format!(
            "[agent]\nid = \"{agent}\"\nname = \"{agent}\"\nemail = \"{agent}@example.test\"\n[[account]]\nname = \"support\"\naddress = \"support@example.test\"\nsend = \"none\"\n[account.imap]\nhost = \"127.0.0.1\"\nport = {}\nca_file = \"{}\"\nlogin = \"{agent}\"\npassword_command = \"echo {}\"\nmailbox = \"shared/support/INBOX\"\n",
            tb.imaps_port,
            tb.ca_file.display(),
            Testbed::password(agent)
        ),
        std::path::Path::new("/tmp/config.toml"),
    )
    .unwrap()
    .config;
    config.accounts.remove(0)
}

#[test]
fn the_newest_valid_policy_rules_a_broken_one_is_skipped_and_the_kept_copy_rules_offline() {
    let tb = Testbed::start();
    let dir = tempfile::tempdir().unwrap();
    let cache = PolicyCache::new(dir.path().join("policy"));
    let bob = account(&tb, "bob");

    // No folder yet: no policy, the local config rules.
    let learned = policy::learn(&bob, Some(&cache));
    assert!(learned.in_force.is_none(), "{learned:?}");
    assert_eq!(learned.origin, Origin::Server);

    let mut raw = tb.raw_imap("alice");
    raw.cmd_ok(&format!("CREATE \"{FOLDER}\""));
    raw.append(
        FOLDER,
        "\\Seen",
        &policy_message(
            1,
            "version = 1\n[send]\nas = [\"alice\"]\non-behalf = [\"bob\"]\n",
        ),
    );
    raw.append(
        FOLDER,
        "\\Seen",
        &policy_message(2, "version = 2\n[send]\nas = [\"alice\", \"bob\"\n"),
    );
    // An unrelated message in the folder is not a policy.
    raw.append(
        FOLDER,
        "",
        b"From: <x@example.test>\r\nSubject: hi\r\n\r\nversion = 9\r\n",
    );

    let learned = policy::learn(&bob, Some(&cache));
    let p = learned.in_force.clone().expect("a policy in force");
    assert_eq!(p.policy.version, 1);
    assert_eq!(p.source.folder, FOLDER);
    assert_eq!(p.source.published_by, "alice");
    assert_eq!(
        p.policy.send.as_ref().unwrap().mode_for("bob"),
        SendMode::OnBehalf
    );
    assert_eq!(learned.skipped.len(), 1, "{learned:?}");
    assert_eq!(learned.skipped[0].published_by, "alice");
    assert!(
        learned.skipped[0].error.contains("3:"),
        "the syntax error is located: {:?}",
        learned.skipped[0]
    );

    // The history reads every policy message, newest first.
    let mut conn = open_session(&Target {
        account: "support",
        config: bob.imap.as_ref().unwrap(),
    })
    .unwrap();
    let history =
        mailroom::imap::policy::read(&mut conn, FOLDER, mailroom::imap::policy::Depth::History)
            .unwrap();
    let uids: Vec<u32> = history.entries.iter().map(|e| e.uid).collect();
    assert_eq!(uids, vec![2, 1]);
    drop(conn);

    // The server goes away: the kept copy rules, and the warning says so.
    tb.stop_imap();
    let offline = policy::learn(&bob, Some(&cache));
    tb.start_imap();
    assert_eq!(offline.origin, Origin::Kept);
    assert_eq!(offline.in_force.unwrap().policy.version, 1);
    assert!(
        offline
            .warning
            .unwrap()
            .contains("the copy kept from the last read rules"),
        "offline warning"
    );
}
