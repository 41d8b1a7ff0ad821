//! Send As and Send on Behalf on the wire, against a real Postfix that enforces envelope
//! senders: what the SMTP sink receives is what the identity policy decided.

use crate::support;

use std::time::{Duration, SystemTime};

use mailroom::config::{Account, Agent};
use mailroom::mail::compose::{Draft, build};
use mailroom::policy::identity;
use mailroom::smtp::submit::{SubmitError, submit};
use support::testbed::Testbed;

fn agent(id: &str) -> Agent {
    toml::from_str(&format!(
        "id = \"{id}\"\nname = \"{id}\"\nemail = \"{id}@example.test\"\n"
    ))
    .unwrap()
}

fn account(tb: &Testbed, login: &str, send: &str) -> Account {
    toml::from_str(&format!(
        "name = \"support\"\naddress = \"support@example.test\"\ndisplay_name = \"Example Support\"\naliases = [\"help@example.test\"]\nsend = \"{send}\"\n\
         [smtp]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"starttls\"\nca_file = \"{}\"\nlogin = \"{login}\"\npassword_command = \"echo {}\"\n",
        tb.submission_port,
        tb.ca_file.display(),
        Testbed::password(login)
    ))
    .unwrap()
}

fn draft(subject: &str) -> Draft {
    Draft {
        to: vec!["customer@outside.test".into()],
        bcc: vec!["quality@outside.test".into()],
        subject: subject.into(),
        body: "Thanks!\n\n-- \nThe team\n".into(),
        ..Draft::default()
    }
}

#[test]
fn send_as_and_on_behalf_reach_the_sink_as_decided() {
    let tb = Testbed::start();

    // alice sends as support@.
    let acct = account(&tb, "alice", "as");
    let id = identity::identity(&acct, &agent("alice"), "support@example.test").unwrap();
    let out = build(&draft("as support"), &id, SystemTime::now()).unwrap();
    submit("support", acct.smtp.as_ref().unwrap(), &out).unwrap_or_else(|e| panic!("{e}"));

    // bob sends on behalf of support@.
    let acct = account(&tb, "bob", "on-behalf");
    let id = identity::identity(&acct, &agent("bob"), "support@example.test").unwrap();
    let out_b = build(&draft("on behalf"), &id, SystemTime::now()).unwrap();
    submit("support", acct.smtp.as_ref().unwrap(), &out_b).unwrap_or_else(|e| panic!("{e}"));

    let sink = tb.wait_sink(4, Duration::from_secs(15));
    let as_copies: Vec<_> = sink
        .iter()
        .filter(|m| m.header("Subject").as_deref() == Some("as support"))
        .collect();
    assert_eq!(as_copies.len(), 2, "customer and the Bcc recipient");
    for m in &as_copies {
        assert!(m.header("From").unwrap().contains("support@example.test"));
        assert!(m.header("Sender").is_none());
        assert_eq!(m.sender, "support@example.test", "MAIL FROM");
        assert!(m.header("Bcc").is_none(), "Bcc header transmitted");
        assert!(
            !m.text().to_ascii_lowercase().contains("\nbcc:"),
            "Bcc header transmitted"
        );
        assert!(m.header("X-Mailroom-Agent").is_none());
        assert_eq!(
            m.header("Message-ID").unwrap(),
            format!("<{}>", out.message_id)
        );
    }
    let recipients: Vec<&str> = as_copies.iter().map(|m| m.recipient.as_str()).collect();
    assert!(
        recipients.contains(&"customer@outside.test")
            && recipients.contains(&"quality@outside.test")
    );

    let behalf: Vec<_> = sink
        .iter()
        .filter(|m| m.header("Subject").as_deref() == Some("on behalf"))
        .collect();
    assert_eq!(behalf.len(), 2);
    for m in &behalf {
        assert!(m.header("From").unwrap().contains("support@example.test"));
        assert_eq!(
            m.header("Sender").as_deref(),
            Some("bob <bob@example.test>")
        );
        assert_eq!(
            m.sender, "bob@example.test",
            "on behalf: MAIL FROM is the agent"
        );
    }
}

#[test]
fn refused_identities_never_leave_the_machine_or_fail_permanently() {
    let tb = Testbed::start();
    // bob configured to send as support@: Postfix refuses the envelope sender (5xx).
    let acct = account(&tb, "bob", "as");
    let id = identity::identity(&acct, &agent("bob"), "support@example.test").unwrap();
    let out = build(&draft("should not pass"), &id, SystemTime::now()).unwrap();
    match submit("support", acct.smtp.as_ref().unwrap(), &out) {
        Err(SubmitError::Permanent(e)) => assert!(e.to_string().contains("5"), "{e}"),
        other => panic!("expected a permanent refusal, got {other:?}"),
    }
    // carol has send = "none": the policy refuses before anything is built.
    let acct = account(&tb, "carol", "none");
    assert!(identity::identity(&acct, &agent("carol"), "support@example.test").is_err());
    // A reply to mail that reached help@ goes out from help@.
    let acct = account(&tb, "alice", "as");
    let reply = identity::for_reply(
        &acct,
        &agent("alice"),
        &["help@example.test".into()],
        &[],
        &[],
    )
    .unwrap();
    let out = build(&draft("from help"), &reply.identity, SystemTime::now()).unwrap();
    submit("support", acct.smtp.as_ref().unwrap(), &out).unwrap_or_else(|e| panic!("{e}"));
    let sink = tb.wait_sink(2, Duration::from_secs(15));
    assert!(
        sink.iter()
            .all(|m| m.header("Subject").as_deref() != Some("should not pass"))
    );
    let m = sink
        .iter()
        .find(|m| m.header("Subject").as_deref() == Some("from help"))
        .unwrap();
    assert!(m.header("From").unwrap().contains("help@example.test"));
    assert_eq!(m.sender, "help@example.test");
}

#[test]
fn a_dead_server_is_a_temporary_failure() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let acct: Account = toml::from_str(&format!(
        "name = \"support\"\naddress = \"support@example.test\"\nsend = \"as\"\n[smtp]\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"starttls\"\nlogin = \"alice\"\npassword_command = \"echo x\"\n"
    ))
    .unwrap();
    let id = identity::identity(&acct, &agent("alice"), "support@example.test").unwrap();
    let out = build(&draft("x"), &id, SystemTime::now()).unwrap();
    assert!(matches!(
        submit("support", acct.smtp.as_ref().unwrap(), &out),
        Err(SubmitError::Temporary(_))
    ));
}

#[test]
fn delegated_plain_and_xoauth2_logins_submit() {
    let tb = Testbed::start();
    // bob may act as support (SASL PLAIN authzid): Postfix then sees the login "support", which
    // may use support@ as envelope sender.
    let acct: Account = toml::from_str(&format!(
        "name = \"support\"\naddress = \"support@example.test\"\nsend = \"as\"\n\
         [smtp]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"starttls\"\nca_file = \"{}\"\nlogin = \"bob\"\nauthzid = \"support\"\npassword_command = \"echo bob-pw\"\n",
        tb.submission_port,
        tb.ca_file.display()
    ))
    .unwrap();
    let id = identity::identity(&acct, &agent("bob"), "support@example.test").unwrap();
    let out = build(&draft("delegated"), &id, SystemTime::now()).unwrap();
    submit("support", acct.smtp.as_ref().unwrap(), &out).unwrap_or_else(|e| panic!("{e}"));

    // XOAUTH2 over implicit TLS with alice's token (logs in as alice: her own envelope).
    let acct: Account = toml::from_str(&format!(
        "name = \"support\"\naddress = \"support@example.test\"\nsend = \"on-behalf\"\n\
         [smtp]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"implicit\"\nca_file = \"{}\"\nlogin = \"alice\"\nauth = \"xoauth2\"\ntoken_command = {:?}\n",
        tb.smtps_port,
        tb.ca_file.display(),
        tb.oauth_token_command("alice")
    ))
    .unwrap();
    let id = identity::identity(&acct, &agent("alice"), "support@example.test").unwrap();
    let out = build(&draft("oauth"), &id, SystemTime::now()).unwrap();
    submit("support", acct.smtp.as_ref().unwrap(), &out).unwrap_or_else(|e| panic!("{e}"));

    let sink = tb.wait_sink(4, Duration::from_secs(15));
    let d = sink
        .iter()
        .find(|m| m.header("Subject").as_deref() == Some("delegated"))
        .unwrap();
    assert_eq!(d.sender, "support@example.test");
    let o = sink
        .iter()
        .find(|m| m.header("Subject").as_deref() == Some("oauth"))
        .unwrap();
    assert_eq!(o.sender, "alice@example.test");
    assert_eq!(
        o.header("Sender").as_deref(),
        Some("alice <alice@example.test>")
    );
}

#[test]
fn a_reply_to_all_delivers_with_the_recipients_display_names() {
    use mailroom::config::Config;
    use mailroom::engine::reply::{Kind, Letter, build as build_reply, original_from_raw, plan};
    let tb = Testbed::start();
    let config: Config = toml::from_str(&format!(
        "[agent]\nid = \"alice\"\nname = \"alice\"\nemail = \"alice@example.test\"\n\
         [[account]]\nname = \"support\"\naddress = \"support@example.test\"\naliases = [\"help@example.test\"]\nsend = \"as\"\n\
         [account.smtp]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"starttls\"\nca_file = \"{}\"\nlogin = \"alice\"\npassword_command = \"echo {}\"\n",
        tb.submission_port,
        tb.ca_file.display(),
        Testbed::password("alice")
    ))
    .unwrap();
    let question = "From: =?utf-8?q?Zo=C3=AB_=C3=9Cnal?= <zoe@outside.test>\r\nTo: help@example.test, \"Doe, Jane\" <jane@outside.test>\r\nCc: Ann Example <ann@outside.test>\r\nSubject: Printer broken\r\nMessage-ID: <q9@outside.test>\r\n\r\nIt prints nothing.\r\n";
    let (original, text) = original_from_raw(9, question.as_bytes());
    let account = &config.accounts[0];
    let p = plan(
        &config,
        account,
        Kind::ReplyAll,
        Some(original),
        Some(&text),
    );
    let letter = Letter {
        to: p.to.clone(),
        cc: p.cc.clone(),
        subject: p.subject.clone(),
        text: "On it.".into(),
        ..Letter::default()
    };
    let out = build_reply(&p, letter, SystemTime::now()).unwrap();
    submit("support", account.smtp.as_ref().unwrap(), &out).unwrap_or_else(|e| panic!("{e}"));
    let sink = tb.wait_sink(3, Duration::from_secs(15));
    let ann = sink
        .iter()
        .find(|m| m.recipient == "ann@outside.test")
        .expect("Ann is copied");
    let cc = ann.header("Cc").unwrap_or_default();
    assert!(cc.contains("\"Ann Example\" <ann@outside.test>"), "{cc}");
    assert!(
        cc.contains("<jane@outside.test>") && !cc.contains("help@"),
        "{cc}"
    );
    let to = ann.header("To").unwrap_or_default();
    assert!(
        to.starts_with("=?utf-8?") && to.ends_with("<zoe@outside.test>"),
        "{to}"
    );
    let names = mailroom::engine::reply::original_from_raw(1, &ann.raw).0;
    assert_eq!(names.to().first().and_then(|a| a.name), Some("Zoë Ünal"));
    assert_eq!(names.cc().first().and_then(|a| a.name), Some("Doe, Jane"));
}
