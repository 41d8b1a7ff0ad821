use super::*;
use crate::message::{Address, Fields, Flags, Summary};

fn ctx() -> Context<'static> {
    Context {
        me: Some("alice"),
        // 2026-12-06T11:00:00Z
        now: 1_796_554_800,
        offset: 0,
        team_folders: false,
        within: false,
    }
}

fn criteria(q: &str, ctx: &Context<'_>) -> String {
    parse(q)
        .and_then(|q| q.imap_criteria(ctx))
        .map(|c| c.0)
        .unwrap_or_else(|e| format!("ERR {e}"))
}

fn c(q: &str) -> String {
    criteria(q, &ctx())
}

#[test]
fn now_is_what_the_tests_say() {
    assert_eq!(
        crate::mail::date::rfc3339_utc(ctx().now),
        "2026-12-06T11:00:00Z"
    );
}

#[test]
fn words_phrases_and_fields() {
    assert_eq!(c("invoice"), r#"TEXT "invoice""#);
    assert_eq!(c(r#""order #97916""#), r#"TEXT "order #97916""#);
    assert_eq!(
        c(r#"from:acme subject:"late delivery" to:sales@ body:refund"#),
        r#"FROM "acme" SUBJECT "late delivery" TO "sales@" BODY "refund""#
    );
    assert_eq!(c("FROM:Bob"), r#"FROM "Bob""#, "field names are caseless");
    assert_eq!(c(r#""say \"hi\" \ bye""#), r#"TEXT "say \"hi\" \\ bye""#);
    assert_eq!(c(r#"subject:"a\\b""#), r#"SUBJECT "a\\b""#);
    assert_eq!(c("café"), r#"CHARSET UTF-8 TEXT "café""#);
    assert_eq!(c("from:山田 x"), r#"CHARSET UTF-8 FROM "山田" TEXT "x""#);
}

#[test]
fn flags_and_team_terms() {
    assert_eq!(
        c("is:unread is:read is:flagged is:answered"),
        "UNSEEN SEEN FLAGGED ANSWERED"
    );
    assert_eq!(
        c("assigned:Bob assigned:me"),
        "KEYWORD $assigned.bob KEYWORD $assigned.alice"
    );
    assert_eq!(
        c("status:open"),
        "(UNKEYWORD $pending UNKEYWORD $done UNKEYWORD $snoozed)"
    );
    assert_eq!(c("status:pending"), "(KEYWORD $pending UNKEYWORD $done)");
    assert_eq!(c("status:done"), "KEYWORD $done");
    assert_eq!(c("status:snoozed"), "KEYWORD $snoozed");
}

#[test]
fn or_not_and_parentheses() {
    assert_eq!(c("a or b"), r#"OR TEXT "a" TEXT "b""#);
    assert_eq!(c("a OR b or c"), r#"OR TEXT "a" OR TEXT "b" TEXT "c""#);
    assert_eq!(c("x a or b"), r#"OR (TEXT "x" TEXT "a") TEXT "b""#);
    assert_eq!(c("x (a or b)"), r#"TEXT "x" OR TEXT "a" TEXT "b""#);
    assert_eq!(c("-is:read"), "NOT SEEN");
    assert_eq!(
        c("-(from:a or status:open)"),
        r#"NOT OR FROM "a" (UNKEYWORD $pending UNKEYWORD $done UNKEYWORD $snoozed)"#
    );
    assert_eq!(c(r#""or""#), r#"TEXT "or""#, "a quoted or is a word");
    assert_eq!(c("e-mail - x"), r#"TEXT "e-mail" TEXT "-" TEXT "x""#);
}

#[test]
fn dates_in_the_agents_zone() {
    // Without WITHIN: the calendar date in the agent's zone.
    assert_eq!(c("since:2026-12-01"), "SINCE 1-Dec-2026");
    assert_eq!(c("before:today"), "BEFORE 6-Dec-2026");
    assert_eq!(c("since:yesterday"), "SINCE 5-Dec-2026");
    assert_eq!(c("since:7d"), "SINCE 29-Nov-2026");
    // 11:00Z is already the 7th at +14:00, still the 5th at -12:00.
    let east = Context {
        offset: 14 * 3600,
        ..ctx()
    };
    assert_eq!(criteria("since:today", &east), "SINCE 7-Dec-2026");
    let west = Context {
        offset: -12 * 3600,
        ..ctx()
    };
    assert_eq!(criteria("since:today", &west), "SINCE 5-Dec-2026");
    // With WITHIN: seconds back to the start of that day in the agent's zone.
    let within = Context {
        within: true,
        offset: 3600,
        ..ctx()
    };
    // Local time 12:00 at +01:00: today began 12 h ago.
    assert_eq!(criteria("since:today", &within), "YOUNGER 43200");
    assert_eq!(criteria("before:yesterday", &within), "OLDER 129600");
    assert_eq!(criteria("since:2027-01-01", &within), "NOT ALL");
    assert_eq!(criteria("before:2027-01-01", &within), "ALL");
    assert_eq!(
        Day::Date {
            year: 2026,
            month: 12,
            day: 1
        }
        .start(&within),
        1_796_079_600,
        "2026-12-01T00:00+01:00"
    );
}

fn problem(q: &str) -> (String, usize, Problem) {
    match parse(q).and_then(|p| p.imap_criteria(&ctx()).map(|_| ())) {
        Err(QueryError::Term {
            term,
            column,
            problem,
        }) => (term, column, problem),
        other => panic!("{q:?}: {other:?}"),
    }
}

#[test]
fn a_bad_term_is_named_with_its_column() {
    assert_eq!(
        problem("from:bob since:yesterdy"),
        ("since:yesterdy".into(), 10, Problem::BadDate)
    );
    assert_eq!(problem("since:2026-02-30").2, Problem::BadDate);
    assert_eq!(problem("is:urgent").2, Problem::BadIs);
    assert_eq!(problem("status:closed").2, Problem::BadStatus);
    assert_eq!(problem("assigned:Bob!").2, Problem::BadAgent);
    assert_eq!(
        problem("frm:bob"),
        ("frm:bob".into(), 1, Problem::UnknownField("frm".into()))
    );
    assert_eq!(problem("subject:").2, Problem::EmptyValue);
    assert_eq!(problem(r#"a "open phrase"#).1, 3);
    assert_eq!(problem(r#"a "open phrase"#).2, Problem::UnclosedQuote);
    assert_eq!(problem("a or").2, Problem::DanglingOr);
    assert_eq!(problem("or a").2, Problem::DanglingOr);
    assert_eq!(problem("a or or b").2, Problem::DanglingOr);
    assert_eq!(problem("(a b").2, Problem::UnclosedParen);
    assert_eq!(problem("a b)").2, Problem::StrayParen);
    assert_eq!(problem("()").2, Problem::EmptyParens);
    let e = parse("from:bob since:yesterdy").unwrap_err().to_string();
    assert!(
        e.contains("since:yesterdy") && e.contains("column 10"),
        "{e}"
    );
}

#[test]
fn what_an_account_cannot_search_is_said() {
    let folders = Context {
        team_folders: true,
        ..ctx()
    };
    let q = parse("from:a status:done").unwrap();
    let e = q.imap_criteria(&folders).unwrap_err();
    assert!(
        matches!(&e, QueryError::NotHere { term, problem: Problem::TeamFolders } if term == "status:done"),
        "{e:?}"
    );
    assert!(e.to_string().contains("status:done"), "{e}");
    let terms: Vec<String> = parse("since:2026-12-01 before:7d is:flagged status:open x")
        .unwrap()
        .terms()
        .iter()
        .map(|t| t.to_string())
        .collect();
    assert_eq!(
        terms,
        [
            "since:2026-12-01",
            "before:7d",
            "is:flagged",
            "status:open",
            "x"
        ]
    );
    let nobody = Context { me: None, ..ctx() };
    assert!(matches!(
        parse("assigned:me").unwrap().imap_criteria(&nobody),
        Err(QueryError::NotHere {
            problem: Problem::NoAgent,
            ..
        })
    ));
    assert!(matches!(
        parse("body:x").unwrap().check(&ctx(), true),
        Err(QueryError::NotHere {
            problem: Problem::NoBody,
            ..
        })
    ));
}

#[test]
fn hostile_input_is_refused_or_bounded() {
    for bad in [
        "a\r\nA1 LOGOUT",
        "a\nb",
        "a\0b",
        "\u{1b}[2J",
        "a\u{85}b",
        "x\"\r\n",
    ] {
        assert!(
            matches!(parse(bad), Err(QueryError::Control { .. })),
            "{bad:?}"
        );
    }
    assert_eq!(parse("   "), Err(QueryError::Empty));
    assert_eq!(
        parse(&"x".repeat(MAX_QUERY_BYTES + 1)),
        Err(QueryError::TooLong)
    );
    assert_eq!(
        parse(&"a ".repeat(MAX_TERMS + 1)),
        Err(QueryError::TooManyTerms)
    );
    // Deep nesting is refused, never a stack overflow.
    let deep = format!("{}a{}", "(".repeat(200), ")".repeat(200));
    assert!(matches!(parse(&deep), Err(QueryError::TooDeep { .. })));
    assert!(matches!(
        parse(&"-".repeat(100).add("a")),
        Err(QueryError::TooDeep { .. })
    ));
    assert!(parse(&format!("{}a{}", "(".repeat(7), ")".repeat(7))).is_ok());
    // Quotes and backslashes always make one quoted string.
    let q = c(r#"subject:"a\" OR ALL \\""#);
    assert_eq!(q, r#"SUBJECT "a\" OR ALL \\""#);
    // Anything within the limits parses or is refused, never panics, never puts CR/LF out.
    let pieces = [
        "(", ")", "\"", "-", "or", ":", "from:", "a", " ", "é", "\\", "since:", "is:x",
    ];
    for i in 0..pieces.len() {
        for j in 0..pieces.len() {
            for k in 0..pieces.len() {
                let q = format!("{}{}{}", pieces[i], pieces[j], pieces[k]);
                if let Ok(p) = parse(&q)
                    && let Ok(crit) = p.imap_criteria(&ctx())
                {
                    assert!(!crit.0.contains(['\r', '\n']), "{q:?}");
                }
            }
        }
    }
}

trait Add {
    fn add(self, s: &str) -> String;
}
impl Add for String {
    fn add(mut self, s: &str) -> String {
        self.push_str(s);
        self
    }
}

fn row(uid: u32, from: &str, subject: &str, at: i64, keywords: &[&str], flags: Flags) -> Summary {
    Summary::new(Fields {
        uid,
        internal_date: at,
        subject: subject.into(),
        from: vec![Address {
            name: Some(from.into()),
            email: format!("{}@example.test", from.to_lowercase()),
        }],
        to: vec![Address {
            name: None,
            email: "support@example.test".into(),
        }],
        keywords: keywords.iter().map(|k| k.to_string()).collect(),
        flags,
        ..Fields::default()
    })
}

#[test]
fn rows_are_matched_like_the_server_would() {
    let now = ctx().now;
    let seen = Flags {
        seen: true,
        ..Flags::default()
    };
    let rows = [
        row(
            1,
            "Carol",
            "Order #97916 late",
            now - 3600,
            &[],
            Flags::default(),
        ),
        row(
            2,
            "Dave",
            "Invoice",
            now - 3 * 86_400,
            &["$assigned.bob", "$pending"],
            seen,
        ),
        row(
            3,
            "Erin",
            "Hello",
            now - 10 * 86_400,
            &["$done", "$assigned.alice"],
            seen,
        ),
        row(4, "Gina", "Later", now - 100, &["$snoozed"], seen),
    ];
    let found = |q: &str| -> Vec<u32> {
        let q = parse(q).unwrap();
        rows.iter()
            .filter(|s| q.matches(s, &ctx()))
            .map(|s| s.uid)
            .collect()
    };
    assert_eq!(found(r#""order #97916""#), [1]);
    assert_eq!(found("order #97916"), [1]);
    assert_eq!(found("from:carol@"), [1]);
    assert_eq!(found("to:support"), [1, 2, 3, 4]);
    assert_eq!(found("subject:invoice or from:erin"), [2, 3]);
    assert_eq!(found("is:unread"), [1]);
    assert_eq!(found("-is:unread"), [2, 3, 4]);
    assert_eq!(found("since:today"), [1, 4]);
    assert_eq!(found("before:today since:7d"), [2]);
    assert_eq!(found("assigned:bob"), [2]);
    assert_eq!(found("assigned:me"), [3]);
    assert_eq!(found("status:open"), [1]);
    assert_eq!(found("status:pending"), [2]);
    assert_eq!(found("status:done"), [3]);
    assert_eq!(found("status:snoozed"), [4]);
    assert_eq!(found("(status:done or status:pending) -assigned:me"), [2]);
}

#[test]
fn the_body_is_read_only_when_a_body_term_is_reached() {
    let r = row(1, "Carol", "Refund", ctx().now, &[], Flags::default());
    let mut reads = 0;
    let mut read = || {
        reads += 1;
        Some("Please REFUND the second charge".to_string())
    };
    let q = parse("body:refund body:charge").unwrap();
    assert!(q.needs_body());
    assert!(q.matches_with(&r, &ctx(), &mut read));
    let q = parse("from:nobody body:refund").unwrap();
    assert!(!q.matches_with(&r, &ctx(), &mut read));
    assert_eq!(
        reads, 1,
        "read once for two terms, not at all when from: fails"
    );
    assert!(!parse("body:refund").unwrap().matches(&r, &ctx()));
    assert!(!parse("from:carol").unwrap().needs_body());
}
