//! Read state (`ui.mark_read`): a message opened in the reader becomes read after a short
//! while (leaving it sooner cancels that), and a message replied to becomes read, unless the
//! setting says otherwise. Marking is a `\Seen` store as Space does, shown at once.

use crate::backend::FlagChange;
use crate::config::MarkRead;
use crate::engine::Request;
use crate::message::Summary;
use crate::ui::app::App;
use crate::ui::screen::list::{FlagKind, PendingStore};

/// How long a message stays open in the reader before it is marked read, in seconds (the
/// app's clock ticks in whole seconds: between one and two seconds of reading).
pub const OPEN_DELAY_SECS: i64 = 2;

/// The setting; without a configuration nothing is marked.
fn mode(app: &App) -> MarkRead {
    app.config
        .as_ref()
        .map_or(MarkRead::Never, |c| c.ui.mark_read)
}

/// When the message `s`, opened now, is to be marked read: only with `mark_read = "open"`
/// and while it is unread.
pub(crate) fn due_on_open(app: &App, s: &Summary) -> Option<i64> {
    (mode(app) == MarkRead::Open && !s.flags.seen).then_some(app.now + OPEN_DELAY_SECS)
}

/// The clock: the open message is marked read once its time has come.
pub(crate) fn tick(app: &mut App, now: i64) -> Vec<Request> {
    let Some(r) = app.reader.as_mut() else {
        return Vec::new();
    };
    match r.mark_read_at {
        Some(at) if at <= now => {
            r.mark_read_at = None;
            let (account_idx, uid) = (r.account_idx, r.uid);
            mark_read(app, account_idx, uid)
        }
        _ => Vec::new(),
    }
}

/// A reply to message `uid` of `account_idx` is on its way: it is read (unless
/// `mark_read = "never"`).
pub(crate) fn on_reply(app: &mut App, account_idx: usize, uid: Option<u32>) -> Vec<Request> {
    match uid {
        Some(uid) if mode(app) != MarkRead::Never => mark_read(app, account_idx, uid),
        _ => Vec::new(),
    }
}

/// Marks message `uid` read, shown at once; nothing when it already is, is gone, or the
/// agent may not keep `\Seen` there (no `s` right).
fn mark_read(app: &mut App, account_idx: usize, uid: u32) -> Vec<Request> {
    let Some(c) = app.column_mut(account_idx) else {
        return Vec::new();
    };
    if c.rights.is_some_and(|r| !r.has(FlagKind::Seen.right())) {
        return Vec::new();
    }
    if c.rows.by_uid(uid).is_none_or(|row| row.flags.seen) {
        return Vec::new();
    }
    c.edit_row(uid, |row| row.flags.seen = true);
    let id = app.take_id();
    app.pending_stores.insert(
        id,
        PendingStore {
            account_idx,
            uid,
            flag: FlagKind::Seen,
            before: false,
        },
    );
    vec![Request::Store {
        account_idx,
        id,
        uid,
        change: FlagChange {
            add_flags: FlagKind::Seen.only(),
            ..FlagChange::default()
        },
        guard: None,
    }]
}
