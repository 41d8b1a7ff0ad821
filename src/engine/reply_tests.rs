//! The plan and the build of `engine::reply`: what `mailroom send` did before it used them
//! (the `# identity:` line and message of `--dry-run`), and what the compose pane needs.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::*;
use crate::policy::identity::Group;

const CONFIG: &str = r#"
[agent]
id = "alice"
name = "Alice Example"
email = "alice@example.test"
[agent.fields]
title = "Support Engineer"

[[account]]
name = "support"
address = "support@example.test"
display_name = "Example Support"
aliases = ["help@example.test", "billing@example.test"]
send = "as"
signature = "support"
[account.maildir]
path = "/nonexistent/support"

[[account]]
name = "sales"
address = "sales@example.test"
display_name = "Example Sales"
send = "on-behalf"
request_read_receipt = true
[account.maildir]
path = "/nonexistent/sales"

[[account]]
name = "closed"
address = "closed@example.test"
send = "none"
[account.maildir]
path = "/nonexistent/closed"

[signature.support]
text = """
{agent.name} · {agent.fields.title}
{account.display_name} <{account.address}>"""
disclaimer = "Confidential ({account.name})."
placement = "below-reply"
required = true
"#;

/// The question of `tests/servers/send_pipeline.rs`: to the alias, with a thread behind it.
const QUESTION: &[u8] = b"From: Zoe Customer <zoe@outside.test>\r\nTo: help@example.test, Max <max@outside.test>\r\nCc: support@example.test, ann@outside.test, MAX@outside.test\r\nSubject: Printer broken\r\nMessage-ID: <q1@outside.test>\r\nReferences: <q0@outside.test>\r\nDate: Fri, 27 Nov 2026 09:00:00 +0000\r\n\r\nIt prints nothing.\r\n";

fn config() -> Config {
    toml::from_str(CONFIG).unwrap()
}

fn question() -> (Summary, String) {
    original_from_raw(7, QUESTION)
}

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_796_000_000)
}

fn reply_plan(kind: Kind) -> (Config, Plan) {
    let config = config();
    let (o, text) = question();
    let p = plan(&config, &config.accounts[0], kind, Some(o), Some(&text));
    (config, p)
}

fn letter(text: &str) -> Letter {
    Letter {
        to: vec!["zoe@outside.test".into()],
        subject: "Re: Printer broken".into(),
        text: text.into(),
        ..Letter::default()
    }
}

#[test]
fn a_reply_goes_from_the_alias_the_mail_reached_and_says_why() {
    let (_, p) = reply_plan(Kind::Reply);
    let c = p.chosen.as_ref().unwrap();
    assert_eq!(
        (c.index, c.identity.from.as_str()),
        (1, "help@example.test")
    );
    assert_eq!(&p.offered[c.index], &c.identity, "carried, not found again");
    assert_eq!(
        p.reason(),
        Some(&Reason::Reached {
            address: "help@example.test".into(),
            group: Group::To,
        })
    );
    // The `# identity:` line of `mailroom send --reply UID --dry-run`.
    assert_eq!(
        p.reason().unwrap().to_string(),
        "the message reached help@example.test (To)"
    );
    assert_eq!(p.refusal(), None);
}

#[test]
fn delivered_to_an_alias_decides_as_in_the_demo_dry_run() {
    let config = config();
    let raw = [
        b"Delivered-To: billing@example.test\r\n".as_slice(),
        QUESTION,
    ]
    .concat();
    let (o, _) = original_from_raw(3, &raw);
    let p = plan(&config, &config.accounts[0], Kind::Reply, Some(o), None);
    assert_eq!(p.identity().unwrap().from, "billing@example.test");
    assert_eq!(p.chosen.as_ref().unwrap().index, 2);
    assert_eq!(
        p.reason().unwrap().to_string(),
        "the message reached billing@example.test (Delivered-To)"
    );
}

#[test]
fn a_new_message_or_forward_goes_from_the_account_address_without_a_reason() {
    let config = config();
    let (o, text) = question();
    let p = plan(
        &config,
        &config.accounts[0],
        Kind::New,
        Some(o.clone()),
        None,
    );
    assert_eq!(p.identity().unwrap().from, "support@example.test");
    assert_eq!(p.reason(), None);
    assert_eq!(p.original, None, "a new message answers nothing");
    assert_eq!((p.subject.as_str(), p.to.len(), p.reply_uid), ("", 0, None));
    let f = plan(
        &config,
        &config.accounts[0],
        Kind::Forward,
        Some(o),
        Some(&text),
    );
    assert_eq!(f.identity().unwrap().from, "support@example.test");
    assert_eq!(f.subject, "Fwd: Printer broken");
    assert!(f.to.is_empty() && f.in_reply_to.is_none() && f.reply_uid.is_none());
    assert!(
        f.quoted
            .as_deref()
            .unwrap()
            .starts_with("---------- Forwarded message ----------\nFrom: Zoe Customer"),
        "{:?}",
        f.quoted
    );
}

#[test]
fn reply_all_copies_everyone_but_the_account_and_the_recipient() {
    let (_, p) = reply_plan(Kind::ReplyAll);
    assert_eq!(p.to, ["Zoe Customer <zoe@outside.test>"]);
    // To and Cc of the original with their display names, minus help@ and support@ (ours),
    // without the second Max.
    assert_eq!(p.cc, ["Max <max@outside.test>", "ann@outside.test"]);
    let (_, p) = reply_plan(Kind::Reply);
    assert!(p.cc.is_empty(), "a plain reply copies nobody");
}

#[test]
fn threading_and_subject_follow_the_original() {
    let (_, p) = reply_plan(Kind::Reply);
    assert_eq!(p.subject, "Re: Printer broken");
    assert_eq!(p.in_reply_to.as_deref(), Some("q1@outside.test"));
    assert_eq!(p.references, ["q0@outside.test", "q1@outside.test"]);
    assert_eq!(p.reply_uid, Some(7));
    let out = build(&p, letter("Fixed."), now()).unwrap();
    let raw = String::from_utf8_lossy(&out.raw);
    assert!(raw.contains("In-Reply-To: <q1@outside.test>\r\n"), "{raw}");
    assert!(
        raw.contains("References: <q0@outside.test> <q1@outside.test>\r\n"),
        "{raw}"
    );
}

#[test]
fn the_signature_is_rendered_once_and_placed_above_the_quote() {
    let (config, mut p) = reply_plan(Kind::Reply);
    let sig = p.signature.clone().unwrap().unwrap();
    assert_eq!(
        sig.block,
        "-- \nAlice Example · Support Engineer\nExample Support <support@example.test>"
    );
    // The quote waits for the original's text (the compose pane fetches it).
    let (o, text) = question();
    let mut later = plan(&config, &config.accounts[0], Kind::Reply, Some(o), None);
    assert_eq!(later.quoted, None);
    later.set_text(&text);
    assert_eq!(later.quoted, p.quoted);
    let out = build(&p, letter("Fixed."), now()).unwrap();
    let body = parse::text_body(&out.raw).replace("\r\n", "\n");
    assert_eq!(
        body.trim_end(),
        "Fixed.\n\n-- \nAlice Example · Support Engineer\nExample Support <support@example.test>\n\nOn Fri, 27 Nov 2026 09:00:00 +0000, Zoe Customer <zoe@outside.test> wrote:\n> It prints nothing.\n\nConfidential (support)."
    );
    assert_eq!(out.mail_from, "help@example.test");
    assert_eq!(
        out.recipients,
        ["zoe@outside.test"],
        "the letter's recipients, not the plan's"
    );
    // A broken template refuses the plan and the build, with the template's own words.
    let bad: crate::config::Signature =
        toml::from_str("text = \"{agent.nope}\"\nplacement = \"bottom\"\n").unwrap();
    p.signature =
        crate::policy::signature::render(&bad, &config.agent, &config.accounts[0]).map(Some);
    let why = p.signature.clone().unwrap_err();
    assert_eq!(p.refusal(), Some(Refused::Signature(why.clone())));
    let err = build(&p, letter("x"), now()).unwrap_err();
    assert!(matches!(err, BuildError::Template(_)), "{err:?}");
    assert_eq!(err.to_string(), why.to_string());
}

#[test]
fn the_build_is_the_message_mail_reply_finish_built() {
    // The message the compose pane and `mailroom send` built before this module (with
    // `mail::reply::finish`), byte for byte but for the fresh Message-ID.
    let (_, p) = reply_plan(Kind::Reply);
    let mut l = letter("Fixed.");
    l.cc = vec!["ann@outside.test".into()];
    l.bcc = vec!["qa@outside.test".into()];
    let new = build(&p, l, now()).unwrap();
    let without_id = |o: &Outgoing| String::from_utf8_lossy(&o.raw).replace(&o.message_id, "ID");
    let old = concat!(
        "From: \"Example Support\" <help@example.test>\r\n",
        "Subject: Re: Printer broken\r\n",
        "Message-ID: <ID>\r\n",
        "Date: Mon, 30 Nov 2026 00:53:20 +0000\r\n",
        "To: zoe@outside.test\r\n",
        "Cc: ann@outside.test\r\n",
        "In-Reply-To: <q1@outside.test>\r\n",
        "References: <q0@outside.test> <q1@outside.test>\r\n",
        "MIME-Version: 1.0\r\n",
        "Content-Type: text/plain; charset=utf-8\r\n",
        "Content-Transfer-Encoding: quoted-printable\r\n",
        "\r\n",
        "Fixed.\r\n",
        "\r\n",
        "--=20\r\n",
        "Alice Example =C2=B7 Support Engineer\r\n",
        "Example Support <support@example.test>\r\n",
        "\r\n",
        "On Fri, 27 Nov 2026 09:00:00 +0000, Zoe Customer <zoe@outside.test> wrote:\r\n",
        "> It prints nothing.\r\n",
        "\r\n",
        "Confidential (support).\r\n",
        "\r\n",
    );
    assert_eq!(without_id(&new), old);
    assert_eq!(
        (&new.mail_from, &new.recipients, &new.subject),
        (
            &"help@example.test".to_string(),
            &vec![
                "zoe@outside.test".to_string(),
                "ann@outside.test".to_string(),
                "qa@outside.test".to_string()
            ],
            &"Re: Printer broken".to_string()
        )
    );
}

#[test]
fn on_behalf_and_read_receipts_come_from_the_account() {
    let config = config();
    let p = plan(&config, &config.accounts[1], Kind::New, None, None);
    let id = p.identity().unwrap();
    assert_eq!(
        (
            id.from.as_str(),
            id.sender.as_deref(),
            id.mail_from.as_str()
        ),
        (
            "sales@example.test",
            Some("alice@example.test"),
            "alice@example.test"
        )
    );
    assert!(p.request_read_receipt);
    assert_eq!(p.signature, Ok(None));
    let out = build(&p, letter("Offer attached."), now()).unwrap();
    let raw = String::from_utf8_lossy(&out.raw);
    assert!(
        raw.contains("Disposition-Notification-To: <sales@example.test>"),
        "{raw}"
    );
}

#[test]
fn an_account_that_may_not_send_is_refused_with_the_policy_words() {
    let config = config();
    let (o, _) = question();
    for kind in [Kind::New, Kind::Reply] {
        let p = plan(&config, &config.accounts[2], kind, Some(o.clone()), None);
        assert!(p.offered.is_empty());
        let want = Refusal::SendNone {
            account: "closed".into(),
        };
        assert_eq!(p.identity(), Err(want.clone()));
        assert_eq!(p.refusal(), Some(Refused::Identity(want.clone())));
        let err = build(&p, letter("x"), now()).unwrap_err();
        // What `mailroom send billing …` prints in the demo.
        assert_eq!(
            err.to_string(),
            "account \"closed\" has send = \"none\": you may read and triage this mailbox but not send from it"
        );
    }
}

#[test]
fn the_agent_may_choose_another_offered_identity() {
    let (config, mut p) = reply_plan(Kind::Reply);
    let account = &config.accounts[0];
    // Cycling keeps the reason while the policy's choice stays, and drops it otherwise.
    p.select(1);
    assert!(p.reason().is_some());
    p.select(0);
    assert_eq!(p.identity().unwrap().from, "support@example.test");
    assert_eq!(p.reason(), None);
    p.select(9);
    assert_eq!(
        p.chosen.as_ref().unwrap().index,
        0,
        "out of range: unchanged"
    );
    // `--from`: case-insensitive, carried with its index.
    p.choose(account, &config, "BILLING@example.test").unwrap();
    assert_eq!(p.chosen.as_ref().unwrap().index, 2);
    assert_eq!(p.identity().unwrap().from, "billing@example.test");
    let err = p.choose(account, &config, "ceo@example.test").unwrap_err();
    assert_eq!(
        err.to_string(),
        "ceo@example.test is not an address of account \"support\" (offered: support@example.test, help@example.test, billing@example.test)"
    );
    assert_eq!(
        p.identity().unwrap().from,
        "billing@example.test",
        "a refused choice changes nothing"
    );
}
