//! Moving through the column from the reader: `J`/`K` open the next or previous message and
//! `N` the next unread one, in the column's current order and view (its team view, filter,
//! search and threads), without going back to the list.

use crate::engine::Request;
use crate::ui::app::App;
use crate::ui::keys::Action;
use crate::ui::screen::reader::Reader;

/// Opens the selected row of the focused column in the reader: the body, the notes and the
/// conversation are asked for.
pub(crate) fn open_selected(app: &mut App) -> Vec<Request> {
    let Some(c) = app.columns.get(app.focus) else {
        return Vec::new();
    };
    let Some(s) = c.selected_row() else {
        return Vec::new();
    };
    let account_idx = c.account_idx;
    let uid = s.uid;
    let mut reader = Reader::new(account_idx, s);
    reader.mark_read_at = crate::ui::screen::read_state::due_on_open(app, s);
    // The team's replies are read only where there is a Sent folder to read them from.
    let sent = app
        .config
        .as_ref()
        .and_then(|cfg| cfg.accounts.get(account_idx))
        .is_some_and(|a| {
            a.imap.as_ref().is_some_and(|i| i.sent.is_some())
                || a.maildir.as_ref().is_some_and(|m| m.sent.is_some())
        });
    reader.conversation = super::conversation::Conversation::start(c, s, sent);
    let notes = reader.notes_command();
    let conversation = reader.conversation_command();
    app.reader = Some(reader);
    // The Team line with the snooze's wake time from the records.
    crate::ui::screen::triage::refresh_reader_team(app, account_idx);
    app.fit_views();
    std::iter::once(Request::Open { account_idx, uid })
        .chain(notes)
        .chain(conversation)
        .collect()
}

/// `J`, `K`, `N` in the reader.
pub(crate) fn navigate(app: &mut App, action: Action) -> Vec<Request> {
    let Some(r) = &app.reader else {
        return Vec::new();
    };
    let (account_idx, uid) = (r.account_idx, r.uid);
    let h = app.list_height();
    let Some(pos) = app
        .columns
        .iter()
        .position(|c| c.account_idx == account_idx)
    else {
        return Vec::new();
    };
    let c = &app.columns[pos];
    let len = c.shown_len();
    // Where the open message is in the column now; gone from the view: where the selection is.
    let here = c.position_of(uid);
    let next = match action {
        Action::NextMessage => match here {
            Some(i) => Some(i + 1).filter(|&i| i < len),
            None => Some(c.selected).filter(|&i| i < len),
        },
        Action::PrevMessage => match here {
            Some(i) => i.checked_sub(1),
            None => c.selected.checked_sub(1),
        },
        Action::NextUnread => {
            let from = here.map_or(c.selected, |i| i + 1);
            (from..len).find(|&i| c.shown(i).is_some_and(|s| !s.flags.seen))
        }
        _ => return Vec::new(),
    };
    let Some(next) = next else {
        app.say(match action {
            Action::NextMessage => "no next message in this view",
            Action::PrevMessage => "no previous message in this view",
            _ => "no unread message after this one in this view",
        });
        return Vec::new();
    };
    app.focus = pos;
    app.columns[pos].select(next, h);
    open_selected(app)
}
