use super::*;

fn on_behalf(agent: &str) -> SendIdentity {
    SendIdentity {
        from_name: "Example Support".into(),
        from: "support@example.test".into(),
        sender: Some(format!("{agent}@example.test")),
        sender_name: Some(agent.into()),
        mail_from: format!("{agent}@example.test"),
    }
}

fn send_as() -> SendIdentity {
    SendIdentity {
        sender: None,
        sender_name: None,
        mail_from: "support@example.test".into(),
        ..on_behalf("x")
    }
}

fn outgoing() -> Outgoing {
    compose::build(
        &Draft {
            to: vec!["zoe@outside.test".into()],
            bcc: vec!["audit@outside.test".into()],
            subject: "Re: Rechnung über 5 €".into(),
            body: "Hello Zoe\n\n-- \nbob".into(),
            in_reply_to: Some("q1@outside.test".into()),
            ..Draft::default()
        },
        &on_behalf("bob"),
        SystemTime::now(),
    )
    .unwrap()
}

#[test]
fn an_item_carries_the_message_unchanged_and_who_wrote_it() {
    let o = outgoing();
    let raw = build_item(&o, "bob", "support", "on-behalf", Some(42)).unwrap();
    let item = parse_item(&raw).unwrap();
    assert_eq!(item.author, "bob");
    assert_eq!(item.account, "support");
    assert_eq!(item.mode, "on-behalf");
    assert_eq!(item.recipients, ["zoe@outside.test", "audit@outside.test"]);
    assert_eq!(item.reply_uid, Some(42));
    assert_eq!(item.message_id, o.message_id);
    assert_eq!(item.subject, "Re: Rechnung über 5 €");
    assert_eq!(item.to, ["zoe@outside.test"]);
    assert_eq!(item.from, "support@example.test");
    assert_eq!(item.message, o.raw);
    assert!(matches!(parse_item(&o.raw), Err(ItemError::NotAnItem)));
}

#[test]
fn hostile_item_values_are_refused() {
    let o = outgoing();
    assert!(build_item(&o, "Bob\r\nX: 1", "support", "as", None).is_err());
    assert!(build_item(&o, "bob", "support\r\nBcc: x@y.test", "as", None).is_err());
    let mut bad = o.clone();
    bad.recipients.push("a@b.test\r\nX-Evil: 1".into());
    assert!(build_item(&bad, "bob", "support", "as", None).is_err());
}

#[test]
fn the_approved_message_changes_only_from_and_sender() {
    let o = outgoing();
    let sent = approved_message(&o.raw, &send_as(), SystemTime::now()).unwrap();
    let t = String::from_utf8(sent).unwrap();
    assert!(!t.contains("Sender:"), "{t}");
    assert!(!t.contains("bob@example.test"), "{t}");
    assert_eq!(
        t.matches("\r\nFrom: ").count() + usize::from(t.starts_with("From: ")),
        1
    );
    // Everything but From/Sender is byte for byte the author's.
    let strip = |raw: &str| -> Vec<String> {
        raw.split("\r\n")
            .filter(|l| !l.starts_with("From:") && !l.starts_with("Sender:"))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(strip(&t), strip(&String::from_utf8_lossy(&o.raw)));
    // On behalf: the approver's Sender.
    let sent = approved_message(&o.raw, &on_behalf("carol"), SystemTime::now()).unwrap();
    let t = String::from_utf8(sent).unwrap();
    assert!(t.contains("Sender: carol <carol@example.test>\r\n"), "{t}");
    assert!(!t.contains("bob@example.test"), "{t}");
}

#[test]
fn the_sent_copy_names_author_and_approver() {
    let copy = approved_sent_copy(b"From: s@x.test\r\n\r\nhi\r\n", "bob", "alice\r\nX: 1");
    assert_eq!(
        copy,
        b"X-Mailroom-Agent: bob\r\nX-Mailroom-Approved-By: alice1\r\nFrom: s@x.test\r\n\r\nhi\r\n"
    );
}

#[test]
fn records_round_trip_and_keywords_name_their_agent() {
    let raw = build_record(
        RecordKind::Returned,
        "alice",
        "m1@example.test",
        "Please\r\nbe kinder",
        0,
    )
    .unwrap();
    let r = parse_record(&raw).unwrap();
    assert_eq!(r.kind, RecordKind::Returned);
    assert_eq!(r.agent, "alice");
    assert_eq!(r.item, "m1@example.test");
    assert_eq!(r.note, "Please\nbe kinder");
    assert!(build_record(RecordKind::Approving, "alice", "a> <b", "", 0).is_err());
    assert!(parse_record(b"Subject: x\r\n\r\n").is_none());
    assert_eq!(approving_agent("$review.approving.alice"), Some("alice"));
    assert_eq!(approving_agent(&approving_keyword("carol")), Some("carol"));
    assert_eq!(approving_agent("$review"), None);
    assert_eq!(short_id("m1@example.test").len(), 8);
}

#[test]
fn an_edited_reply_keeps_recipients_threading_and_id_with_the_new_text() {
    let o = outgoing();
    let raw = build_item(&o, "bob", "support", "on-behalf", None).unwrap();
    let item = parse_item(&raw).unwrap();
    let sent = edited_message(
        &item,
        "Hello Zoe, corrected.",
        &send_as(),
        SystemTime::now(),
    )
    .unwrap();
    let t = String::from_utf8(sent).unwrap();
    assert!(t.contains("Hello Zoe, corrected."), "{t}");
    assert!(!t.contains("Hello Zoe\r\n"), "{t}");
    assert!(
        t.contains(&format!("Message-ID: <{}>", o.message_id)),
        "{t}"
    );
    assert!(t.contains("In-Reply-To: <q1@outside.test>"), "{t}");
    assert!(t.contains("To: zoe@outside.test"), "{t}");
    assert!(
        !t.contains("audit@outside.test") && !t.contains("Sender:"),
        "{t}"
    );
    // With attachments: refused, never sent without them.
    let with = compose::build(
        &Draft {
            to: vec!["zoe@outside.test".into()],
            subject: "x".into(),
            body: "see attached".into(),
            attachments: vec![compose::Attachment {
                file_name: "a.txt".into(),
                content_type: "text/plain".into(),
                data: b"a".to_vec(),
            }],
            ..Draft::default()
        },
        &send_as(),
        SystemTime::now(),
    )
    .unwrap();
    let item = parse_item(&build_item(&with, "bob", "support", "as", None).unwrap()).unwrap();
    assert!(edited_message(&item, "x", &send_as(), SystemTime::now()).is_err());
}

#[test]
fn a_keyword_from_the_server_with_a_multibyte_character_where_the_prefix_ends_is_no_approver() {
    // "$review.approving." is 18 bytes; here a 2-byte 'é' straddles byte 18.
    assert_eq!(approving_agent("$review.approvingé.alice"), None);
    assert_eq!(approving_agent("$review.approvingé"), None);
    assert_eq!(approving_agent("$REVIEW.APPROVING.bob"), Some("bob"));
    assert_eq!(approving_agent("$review.approving."), None);
}

#[test]
fn an_edit_may_not_drop_the_required_team_disclaimer_the_author_carried() {
    use crate::policy::signature::{Missing, Rendered};
    let team = Rendered {
        block: "-- \nThe Support Team".into(),
        disclaimer: Some("TEAM DISCLAIMER".into()),
        placement: Default::default(),
        required: true,
    };
    let original = "Hello Zoe.\r\n\r\n-- \r\nThe Support Team\r\n\r\nTEAM DISCLAIMER\r\n";
    let kept = "Hello Zoe, kindly.\n\n-- \nThe Support Team\n\nTEAM DISCLAIMER\n";
    assert_eq!(edit_keeps_signature(original, kept, &team), Ok(()));
    let dropped = "Hello Zoe, kindly.\n\n-- \nThe Support Team\n";
    assert_eq!(
        edit_keeps_signature(original, dropped, &team),
        Err(Missing::Disclaimer)
    );
    let no_block = "Hello Zoe, kindly.\n\nTEAM DISCLAIMER\n";
    assert_eq!(
        edit_keeps_signature(original, no_block, &team),
        Err(Missing::Block)
    );
    // A block rendered otherwise for the approver (it names the agent) is not checked.
    let author_named = "Hello.\n\n-- \nbob Example\n\nTEAM DISCLAIMER\n";
    let mine = Rendered {
        block: "-- \nalice Example".into(),
        ..team.clone()
    };
    assert_eq!(
        edit_keeps_signature(author_named, author_named, &mine),
        Ok(())
    );
    assert_eq!(
        edit_keeps_signature(author_named, "Hello.\n\n-- \nbob Example\n", &mine),
        Err(Missing::Disclaimer)
    );
}
