//! The sync's own FETCH parser against a real Dovecot: for realistic mail and for messages
//! built to be awkward (groups, quotes and backslashes in names, raw 8-bit headers, empty and
//! missing fields, hundreds of recipients), the raw bytes of `UID FETCH` read by
//! `imap::fetch_parse` give, message by message, exactly the rows the imap crate's parse and
//! `summary::from_fetch` give; and a whole sync holds those rows.

use crate::support;

use mailroom::imap::connect::{DEFAULT_READ_BUDGET, ImapConn, Target, open_session};
use mailroom::imap::fetch_parse;
use mailroom::imap::summary::{fetch_items, from_fetch};
use mailroom::imap::sync::{MailboxState, sync};
use mailroom::message::Summary;
use mailroom::net::Server;
use support::cli::imap_config;
use support::testbed::Testbed;

const MAILBOX: &str = "shared/support/INBOX";

fn awkward() -> Vec<Vec<u8>> {
    let many: String = (0..300)
        .map(|i| format!("\"R{i}\" <r{i}@x.test>"))
        .collect::<Vec<_>>()
        .join(",\r\n ");
    let msgs: Vec<String> = vec![
        "From: team lead <lead@x.test>\r\nTo: team: ann@x.test, \"Bob \\\"B\\\" Jones\" <bob@x.test>;\r\nCc: undisclosed-recipients:;\r\nSubject: groups\r\nMessage-ID: <g1@x.test>\r\n\r\nhi\r\n".into(),
        "From: \"Doe, \\\"JJ\\\" \\\\ John\" <j@x.test>\r\nTo: help@example.test\r\nSubject: a \"quoted\" subject with \\ backslash\r\nMessage-ID: <q\"1@x.test>\r\nDate: Fri, 27 Nov 2026 10:00:00 +0000\r\n\r\nhi\r\n".into(),
        "From: Grüße Müller <gm@x.test>\r\nTo: help@example.test\r\nSubject: Grüße raw UTF-8 ☃\r\nMessage-ID: <u1@x.test>\r\n\r\nhi\r\n".into(),
        "From: nobody\r\nSubject: \r\n\r\nno from address, empty subject, no date, no id\r\n".into(),
        "Subject: =?UTF-8?Q?broken and =?utf-8?b?R3LDvMOfZQ==?= ok\r\nFrom: =?iso-8859-1?q?Jos=E9?= <jose@x.test>\r\nReply-To: a@x.test, b@x.test\r\nSender: s@x.test\r\nIn-Reply-To: <p1@x.test> <p2@x.test>\r\nReferences: <r1@x.test>\r\n\t<r2@x.test>\r\n <p1@x.test>\r\nDelivered-To: support@example.test\r\nDelivered-To: SUPPORT@example.test\r\nX-Original-To: <help@example.test>\r\nContent-Type: multipart/mixed;\r\n boundary=\"b\"\r\nMessage-ID: <m5@x.test>\r\n\r\n--b--\r\n".into(),
        format!("From: many@x.test\r\nTo: {many}\r\nSubject: {}\r\nMessage-ID: <big@x.test>\r\n\r\nhi\r\n", "long ".repeat(3000)),
        "From: tabs\t<t@x.test>\r\nSubject: tab\there {braces} (parens) \"\r\nMessage-ID: <t@x.test>\r\n\r\nhi\r\n".into(),
    ];
    let mut out: Vec<Vec<u8>> = msgs.into_iter().map(String::into_bytes).collect();
    out.push(
        b"From: Jos\xe9 <latin1@x.test>\r\nTo: help@example.test\r\nSubject: raw Latin-1 \xe9\xe8\r\nMessage-ID: <l1@x.test>\r\n\r\nhi\r\n"
            .to_vec(),
    );
    out
}

fn connect(tb: &Testbed) -> ImapConn {
    let cfg = imap_config(tb, "alice");
    open_session(&Target {
        account: "support",
        config: &cfg,
    })
    .unwrap_or_else(|e| panic!("{e}"))
}

/// The crate's rows for `UID FETCH 1:* items`.
fn crate_rows(conn: &mut ImapConn, items: &str) -> Vec<Summary> {
    conn.budget.grant(DEFAULT_READ_BUDGET);
    let fetched = conn
        .session
        .uid_fetch("1:*", items)
        .unwrap_or_else(|e| panic!("crate: {e}"));
    fetched.iter().filter_map(from_fetch).collect()
}

/// Our rows for the same command.
fn our_rows(conn: &mut ImapConn, items: &str) -> Vec<Summary> {
    conn.budget.grant(DEFAULT_READ_BUDGET);
    let (data, done) = conn
        .session
        .run(format!("UID FETCH 1:* {items}"))
        .unwrap_or_else(|e| panic!("run: {e}"));
    fetch_parse::rows(&data[..done], |_| true).unwrap_or_else(|e| panic!("ours: {e}"))
}

fn assert_same(ours: &[Summary], theirs: &[Summary], items: &str) {
    assert_eq!(ours.len(), theirs.len(), "{items}");
    for (a, b) in ours.iter().zip(theirs) {
        assert_eq!(a, b, "UID {} for {items}", b.uid);
    }
}

#[test]
fn our_parse_of_real_fetch_responses_is_the_crates_message_by_message() {
    let tb = Testbed::start();
    tb.fill("support", "INBOX", 1_500, 23);
    for (i, raw) in awkward().iter().enumerate() {
        tb.put_message("support", "INBOX", raw, if i % 2 == 0 { "S" } else { "" });
    }
    let mut conn = connect(&tb);
    conn.session
        .examine(MAILBOX)
        .unwrap_or_else(|e| panic!("{e}"));
    let odd_order = "(ENVELOPE BODY.PEEK[HEADER.FIELDS (REFERENCES IN-REPLY-TO DELIVERED-TO X-ORIGINAL-TO CONTENT-TYPE)] MODSEQ RFC822.SIZE FLAGS INTERNALDATE UID)";
    let whole_header = "(UID FLAGS ENVELOPE BODY.PEEK[HEADER])";
    for items in [
        fetch_items(true),
        fetch_items(false),
        odd_order.to_string(),
        whole_header.to_string(),
    ] {
        let theirs = crate_rows(&mut conn, &items);
        let ours = our_rows(&mut conn, &items);
        assert_eq!(theirs.len(), 1_500 + awkward().len());
        assert_same(&ours, &theirs, &items);
    }
    // The corpus has what it should: groups flattened, threads, Delivered-To, attachments.
    let rows = our_rows(&mut conn, &fetch_items(true));
    let by_id = |id: &str| rows.iter().find(|r| r.message_id() == Some(id));
    assert_eq!(by_id("g1@x.test").map(|r| r.to().len()), Some(2));
    assert!(by_id("m5@x.test").is_some_and(|r| r.has_attachment && r.delivered_to().len() == 2));
    assert!(rows.iter().filter(|r| !r.references().is_empty()).count() > 100);
    assert!(rows.iter().all(|r| r.modseq.is_some()));

    // A whole sync (newest first, in batches, over two connections) holds the crate's rows.
    let cfg = imap_config(&tb, "alice");
    let server = Server {
        host: cfg.host.clone(),
        port: cfg.port(),
    };
    let key = MailboxState::key_for("support", &server, "alice", MAILBOX);
    let mut state = MailboxState::new(key, MAILBOX).quiet_rows();
    let mut fresh = connect(&tb);
    sync(&mut fresh, "support", &server, &mut state, &mut |_| {}).unwrap_or_else(|e| panic!("{e}"));
    let theirs = crate_rows(&mut conn, &fetch_items(true));
    assert_same(state.rows(), &theirs, "sync");
}
