//! A big shared mailbox's column takes batches, flag changes and expunges without walking its
//! rows (issue 15, "incremental column updates"): `Column::visited` counts the rows (and
//! shown rows) compared, moved or read, so the work is measured, not timed.

use mailroom::engine::Event as EngineEvent;
use mailroom::message::Summary;
use mailroom::triage::view::Counts;
use mailroom::ui::app::App;

use crate::ui_support::*;

const CONFIG: &str = r#"
[agent]
id = "alice"
name = "Alice Example"
email = "alice@example.test"

[[account]]
name = "shared"
address = "support@example.test"
send = "as"
[account.maildir]
path = "mail/shared"
"#;

const BIG: u32 = 100_000;

/// Row `uid` of the big mailbox: one minute apart, every seventh done (so the default view,
/// "open", is narrower than the rows), every fifth assigned to alice.
fn row(uid: u32, minutes_ago: i64) -> Summary {
    let s = msg(uid, minutes_ago, "Ann", "Order");
    match uid {
        u if u % 7 == 0 => with_keywords(s, &["$done"]),
        u if u % 5 == 0 => with_keywords(s, &["$assigned.alice"]),
        _ => s,
    }
}

/// The column of `BIG` rows, loaded as the sync brings them: the newest first, then older
/// and older batches.
fn big() -> App {
    let app = App::new(&[(0, "shared".to_string())], theme(), false)
        .with_agent("alice")
        .with_config(config_from(CONFIG));
    let mut app = sized(app, 200, 40);
    let mut top = BIG;
    while top > 0 {
        let low = top.saturating_sub(5_000);
        let rows = (low + 1..=top)
            .rev()
            .map(|u| row(u, i64::from(BIG - u) + 10))
            .collect();
        press(
            &mut app,
            [EngineEvent::Rows {
                account_idx: 0,
                rows,
            }],
        );
        top = low;
    }
    app
}

fn visited(app: &App) -> u64 {
    app.columns()[0].visited()
}

/// The counts from scratch: the team views' and the unread rows'.
fn counts_from_scratch(app: &App) -> (Counts, usize) {
    let rows = &app.columns()[0].rows;
    let unread = rows.iter().filter(|s| !s.flags.seen).count();
    (
        Counts::of(rows, Some("alice"), NOW, &app.columns()[0].wake_times),
        unread,
    )
}

#[test]
fn a_batch_is_merged_into_a_big_column_without_touching_unrelated_rows() {
    let mut app = big();
    assert_eq!(app.columns()[0].rows.len(), BIG as usize);
    // Away from the top: the selection stays on its message.
    press(&mut app, [ch('j'), ch('j'), ch('j')]);
    let selected = selected_uid(&app);
    assert!(selected.is_some());
    // Ten rows: new mail on top, rows among the others, rows older than all, two replaced.
    let mut batch: Vec<Summary> = (1..=4).map(|i| row(BIG + i, 0)).collect();
    batch.extend((1..=2).map(|i| row(BIG + 4 + i, 50_000 + i64::from(i))));
    batch.extend((1..=2).map(|i| row(BIG + 6 + i, i64::from(BIG) + 100)));
    batch.push(with_keywords(
        row(77_777, i64::from(BIG - 77_777) + 10),
        &["$done"],
    ));
    batch.push(with_keywords(
        row(123, i64::from(BIG - 123) + 10),
        &["$pending"],
    ));
    // Each row's work is a binary search and the rows its block moves (a few hundred), not
    // the column: ten rows stay far below one walk of 100k rows.
    let limit = 10 * 1_500;
    let before = visited(&app);
    press(
        &mut app,
        [EngineEvent::Rows {
            account_idx: 0,
            rows: batch,
        }],
    );
    let used = visited(&app) - before;
    assert!(used < limit, "a batch of 10 visited {used} rows");
    assert_eq!(app.columns()[0].rows.len(), BIG as usize + 8);
    assert_eq!(selected_uid(&app), selected);

    let before = visited(&app);
    let updates = (0..10)
        .map(|i| flag_update(1_000 + i * 7_001, &["$assigned.bob"]))
        .collect();
    press(&mut app, [flags_event(0, updates)]);
    let used = visited(&app) - before;
    assert!(used < limit, "10 flag updates visited {used} rows");

    let before = visited(&app);
    press(
        &mut app,
        [EngineEvent::Vanished {
            account_idx: 0,
            uids: (0..10).map(|i| 2_000 + i * 9_001).collect(),
        }],
    );
    let used = visited(&app) - before;
    assert!(used < limit, "10 expunges visited {used} rows");
    assert_eq!(selected_uid(&app), selected);

    // An older batch, as the newest-first sync brings them, goes at the end: cheaper still.
    let before = visited(&app);
    press(
        &mut app,
        [EngineEvent::Rows {
            account_idx: 0,
            rows: (1..=10)
                .map(|i| row(BIG + 20 + i, 2 * i64::from(BIG) + i64::from(i)))
                .collect(),
        }],
    );
    let used = visited(&app) - before;
    assert!(used < 10 * 100, "an older batch of 10 visited {used} rows");

    // And the counts kept along the way are the counts from scratch.
    let (counts, unread) = counts_from_scratch(&app);
    let c = &app.columns()[0];
    assert_eq!(c.counts, counts);
    assert_eq!(c.unread, unread);
    assert_eq!(c.shown_len(), counts.open);
}

/// Row `uid` of the big threaded mailbox: `row(uid)` in conversations of three (a question,
/// its answer, the answer to that), each with its own IDs.
fn threaded_row(uid: u32, minutes_ago: i64) -> Summary {
    let conv = uid / 3;
    let n = uid % 3;
    let id = move |n: u32| format!("c{conv}.{n}@customer.test");
    let mut s = row(uid, minutes_ago);
    s.edit_text(|f| {
        f.message_id = Some(id(n));
        f.in_reply_to = (n > 0).then(|| id(n - 1)).into_iter().collect();
        f.references = (0..n).map(id).collect();
    });
    s
}

/// What the column shows, threaded from scratch: every row by `mail::thread`, then the rows
/// of the default view ("open": not done).
fn threaded_from_scratch(app: &App) -> Vec<(u32, u8)> {
    let rows: Vec<&Summary> = app.columns()[0].rows.iter().collect();
    mailroom::mail::thread::display_order(&rows)
        .into_iter()
        .filter(|&(i, _)| !rows[i].keywords.iter().any(|k| &**k == "$done"))
        .map(|(i, d)| (rows[i].uid, d))
        .collect()
}

#[test]
fn threads_on_a_batch_joins_its_threads_without_rethreading_the_column() {
    let app = App::new(&[(0, "shared".to_string())], theme(), false)
        .with_agent("alice")
        .with_config(config_from(CONFIG));
    let mut app = sized(app, 200, 40);
    // Threads on from the start: the sync's batches (newest first) are threaded as they come.
    press(&mut app, [ch('t')]);
    assert!(app.columns()[0].threaded());
    let mut top = BIG;
    while top > 0 {
        let low = top.saturating_sub(5_000);
        let rows = (low..top)
            .rev()
            .map(|u| threaded_row(u, i64::from(BIG - u) + 10))
            .collect();
        press(
            &mut app,
            [EngineEvent::Rows {
                account_idx: 0,
                rows,
            }],
        );
        top = low;
    }
    press(&mut app, [ch('j'), ch('j'), ch('j')]);
    let selected = selected_uid(&app);
    assert!(selected.is_some());

    // Ten rows: answers to five old conversations (which come to the top), four new
    // conversations, one row replaced.
    let answer = |conv: u32, uid: u32| {
        let id = move |n: u32| format!("c{conv}.{n}@customer.test");
        let mut s = row(uid, 0);
        s.edit_text(|f| {
            f.message_id = Some(format!("a{uid}@example.test"));
            f.in_reply_to = vec![id(2)];
            f.references = (0..3).map(id).collect();
        });
        s
    };
    let mut batch: Vec<Summary> = (0..5).map(|i| answer(1 + i * 6_661, BIG + i)).collect();
    batch.extend((0..4).map(|i| threaded_row(3 * (BIG + 10 + i), 1)));
    batch.push(with_keywords(
        threaded_row(77_777, i64::from(BIG - 77_777) + 10),
        &["$assigned.bob"],
    ));
    let before = visited(&app);
    press(
        &mut app,
        [EngineEvent::Rows {
            account_idx: 0,
            rows: batch,
        }],
    );
    let used = visited(&app) - before;
    // Was one threading of every row (and a walk of the view) per batch.
    assert!(used < 10 * 1_500, "a batch of 10 visited {used}");
    assert_eq!(
        selected_uid(&app),
        selected,
        "the selection stays on its message"
    );
    let c = &app.columns()[0];
    let shown: Vec<(u32, u8)> = (0..c.shown_len())
        .map(|i| (c.shown(i).map_or(0, |s| s.uid), c.depth(i)))
        .collect();
    let want = threaded_from_scratch(&app);
    assert!(
        shown == want,
        "the threads differ from threading from scratch"
    );
    // The newest answer's conversation (26,645: rows 79,935 to 79,937) first, the answer at
    // depth 3.
    assert_eq!(
        &shown[..4],
        [(79_935, 0), (79_936, 1), (79_937, 2), (BIG + 4, 3)]
    );

    // Flag changes and expunges: only their threads.
    let before = visited(&app);
    let updates = (0..10)
        .map(|i| flag_update(1_000 + i * 7_001, &["$done"]))
        .collect();
    press(&mut app, [flags_event(0, updates)]);
    let used = visited(&app) - before;
    assert!(used < 10 * 1_500, "10 flag updates visited {used}");
    let before = visited(&app);
    press(
        &mut app,
        [EngineEvent::Vanished {
            account_idx: 0,
            uids: (0..10).map(|i| 2_000 + i * 9_001).collect(),
        }],
    );
    let used = visited(&app) - before;
    assert!(used < 10 * 1_500, "10 expunges visited {used}");
    let c = &app.columns()[0];
    let shown: Vec<(u32, u8)> = (0..c.shown_len())
        .map(|i| (c.shown(i).map_or(0, |s| s.uid), c.depth(i)))
        .collect();
    assert!(shown == threaded_from_scratch(&app));
}
