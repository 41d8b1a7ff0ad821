use super::*;
use crate::message::{Address, Fields};

fn a(name: &str, email: &str) -> Address {
    Address {
        name: (!name.is_empty()).then(|| name.to_string()),
        email: email.to_string(),
    }
}

fn row(at: i64, from: Address, to: Vec<Address>, cc: Vec<Address>) -> Summary {
    Summary::new(Fields {
        uid: at as u32,
        modseq: None,
        internal_date: at,
        date: None,
        size: 1,
        from: vec![from],
        sender: Vec::new(),
        reply_to: Vec::new(),
        to,
        cc,
        subject: "s".into(),
        message_id: None,
        in_reply_to: Vec::new(),
        references: Vec::new(),
        delivered_to: Vec::new(),
        flags: Default::default(),
        keywords: Vec::new(),
        has_attachment: false,
    })
}

#[test]
fn ranks_by_count_then_recency() {
    let support = || a("", "support@example.test");
    let rows = vec![
        row(
            10,
            a("Carol Old", "Carol@Customer.test"),
            vec![support()],
            vec![],
        ),
        row(
            30,
            a("Carol C", "carol@customer.test"),
            vec![support()],
            vec![],
        ),
        row(
            20,
            a("Cid", "cid@customer.test"),
            vec![support()],
            vec![a("", "carl@x.test")],
        ),
        row(40, a("Cyd", "cyd@customer.test"), vec![support()], vec![]),
        // Hostile: controls in the name, a bracket in the address.
        row(
            5,
            a("Evil\u{1b}[2J", "evil<x>@x.test"),
            vec![a("Ev\r\nil", "ev@x.test")],
            vec![],
        ),
    ];
    let ranked = rank(&rows, &[]);
    let emails: Vec<&str> = ranked.iter().map(|s| s.email.as_str()).collect();
    assert_eq!(
        emails,
        [
            "support@example.test",
            "carol@customer.test",
            "cyd@customer.test",
            // a tie (once, at 20): by address
            "carl@x.test",
            "cid@customer.test",
            "ev@x.test"
        ]
    );
    assert_eq!(ranked[1].count, 2);
    assert_eq!(
        ranked[1].name.as_deref(),
        Some("Carol C"),
        "the latest name"
    );
    assert!(ranked.iter().all(|s| {
        s.name
            .as_deref()
            .is_none_or(|n| !n.chars().any(char::is_control))
    }));
    let c: Vec<String> = matching(&ranked, "c")
        .iter()
        .map(|s| s.insert_text())
        .collect();
    assert_eq!(
        c,
        [
            "Carol C <carol@customer.test>",
            "Cyd <cyd@customer.test>",
            "carl@x.test",
            "Cid <cid@customer.test>",
        ]
    );
    assert_eq!(matching(&ranked, "cy")[0].email, "cyd@customer.test");
    // A word of the name.
    assert_eq!(matching(&ranked, "C c").len(), 0);
    assert!(matching(&ranked, "").is_empty());
    assert_eq!(
        matching(&ranked, "customer").len(),
        3,
        "contains, after starts"
    );
}

#[test]
fn a_name_that_needs_quoting_is_quoted() {
    // Recipient lists read quoted names (`mail::header::parse_addresses`), so the name stays.
    let s = Seen {
        email: "x@y.test".into(),
        name: Some("Doe, John".into()),
        count: 1,
        last: 0,
    };
    assert_eq!(s.insert_text(), "\"Doe, John\" <x@y.test>");
}

#[test]
fn sent_recipients_count_as_uses() {
    let support = || a("Support", "support@example.test");
    // Received: Carol wrote twice, Dan once.
    let rows = vec![
        row(10, a("Carol", "carol@x.test"), vec![support()], vec![]),
        row(20, a("Carol", "carol@x.test"), vec![support()], vec![]),
        row(30, a("Dan", "dan@x.test"), vec![support()], vec![]),
    ];
    // Sent: the team wrote to Dan three times (once with Carol in Cc), to Dora once. The
    // Sent copies' From (ourselves) is not a use.
    let sent = vec![
        row(40, support(), vec![a("Dan D", "dan@x.test")], vec![]),
        row(
            50,
            support(),
            vec![a("", "DAN@x.test")],
            vec![a("", "carol@x.test")],
        ),
        row(60, support(), vec![a("Dan", "dan@x.test")], vec![]),
        row(5, support(), vec![a("Dora", "dora@x.test")], vec![]),
    ];
    let ranked = rank(&rows, &sent);
    let order: Vec<(&str, u32)> = ranked.iter().map(|s| (s.email.as_str(), s.count)).collect();
    assert_eq!(
        order,
        [
            ("dan@x.test", 4),
            ("carol@x.test", 3),
            ("support@example.test", 3),
            ("dora@x.test", 1),
        ]
    );
    // Without the Sent folder Carol leads.
    assert_eq!(rank(&rows, &[])[1].email, "carol@x.test");
    let d: Vec<String> = matching(&ranked, "d")
        .iter()
        .map(|s| s.insert_text())
        .collect();
    assert_eq!(d, ["Dan <dan@x.test>", "Dora <dora@x.test>"]);
}

#[test]
fn the_address_books_entries_merge_ranked_by_use() {
    let rows = vec![
        row(10, a("Dan", "dan@x.test"), vec![], vec![]),
        row(20, a("Dan", "dan@x.test"), vec![], vec![]),
        row(30, a("", "dee@x.test"), vec![], vec![]),
    ];
    let ranked = rank(&rows, &[]);
    let local: Vec<Seen> = matching(&ranked, "dan").into_iter().cloned().collect();
    let entry = |e: &str, n: Option<&str>| Entry {
        email: e.into(),
        name: n.map(str::to_string),
    };
    let merged = merge(
        &local,
        &ranked,
        &[
            entry("danielle@book.test", Some("Danielle Book")),
            entry("dee@x.test", Some("Dee From The Book")),
            entry("dan@x.test", Some("Daniel")),
            entry("aaron@book.test", None),
        ],
    );
    let texts: Vec<String> = merged.iter().map(Seen::insert_text).collect();
    assert_eq!(
        texts,
        [
            // used twice; the mail's name stays
            "Dan <dan@x.test>",
            // used once (the book found it by another name): the book gives the name
            "Dee From The Book <dee@x.test>",
            // never used: the book's order
            "Danielle Book <danielle@book.test>",
            "aaron@book.test",
        ]
    );
}

#[test]
fn the_fragment_is_after_the_last_comma() {
    assert_eq!(fragment_start("ca"), 0);
    assert_eq!(fragment_start("a@b.test, ca"), 10);
    assert_eq!(fragment_start("a@b.test,"), 9);
}

#[test]
fn paths_complete_from_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    std::fs::write(dir.path().join("report-2026.pdf"), b"x").unwrap();
    std::fs::write(dir.path().join("report-2025.pdf"), b"x").unwrap();
    std::fs::write(dir.path().join(".hidden"), b"x").unwrap();
    std::fs::create_dir(dir.path().join("shots")).unwrap();
    let (text, names) = path(&format!("{d}/rep"));
    assert_eq!(text, format!("{d}/report-202"));
    assert_eq!(names, ["report-2025.pdf", "report-2026.pdf"]);
    let (text, _) = path(&format!("{d}/sh"));
    assert_eq!(text, format!("{d}/shots/"));
    let (_, names) = path(&format!("{d}/"));
    assert!(!names.contains(&".hidden".to_string()));
    let (text, names) = path(&format!("{d}/nothing"));
    assert_eq!((text, names.len()), (format!("{d}/nothing"), 0));
    let (text, names) = path("/nonexistent-dir-xyz/a");
    assert_eq!((text.as_str(), names.len()), ("/nonexistent-dir-xyz/a", 0));
}
