//! Sending the compose pane, its autosave, and the saved drafts (`:drafts`).

use crate::engine::Request;
use crate::engine::pipeline::Outcome;
use crate::sanitize;
use crate::store::drafts;
use crate::ui::app::App;
use crate::ui::screen::compose::model::{self as compose, Field, Kind, Line};
use crate::ui::screen::compose::{
    AUTOSAVE_SECS, clear_replying, header_text, mark_replying, new_compose,
};

/// `y` in the preview: the draft is saved, then the message goes to the sending thread
/// (after a second `y` when `warn` finds something to ask about).
pub(crate) fn confirm_send(app: &mut App) -> Vec<Request> {
    if let Some(why) = crate::ui::team_policy::changed_under_pane(app) {
        app.fail(why);
        return Vec::new();
    }
    if super::warn::hold_send(app) {
        return Vec::new();
    }
    let now = app.now;
    let Some(c) = &mut app.compose else {
        return Vec::new();
    };
    let Some(p) = c.preview.take() else {
        return Vec::new();
    };
    c.sending = true;
    c.unsaved = false;
    c.saved_at = now;
    let draft = c.to_draft(now);
    let replied = (c.account_idx, c.reply_uid());
    let send = Request::Send {
        account_idx: c.account_idx,
        identity: p.identity,
        outgoing: Box::new(p.outgoing),
        reply_uid: c.reply_uid(),
        draft_id: c.draft_id.clone(),
    };
    remember_draft(app, draft.clone());
    app.say("sending…");
    // Replied to: read (`ui.mark_read`); the send stays the last request.
    let mut commands = vec![Request::SaveDraft(Box::new(draft))];
    commands.extend(crate::ui::screen::read_state::on_reply(
        app, replied.0, replied.1,
    ));
    commands.push(send);
    commands
}

/// The answer to a send: a message that is on its way (sent, or safely queued) closes the
/// pane and clears its "replying" mark; a refusal keeps both.
pub(crate) fn send_done(
    app: &mut App,
    draft_id: &str,
    result: Result<Outcome, String>,
) -> Vec<Request> {
    let ours = app.compose.as_ref().is_some_and(|c| c.draft_id == draft_id);
    let line = |s: String| sanitize::single_line(&s);
    let kept = match result {
        Ok(Outcome::Sent {
            message_id,
            warning: None,
        }) => {
            app.say(line(format!("sent <{message_id}>")));
            false
        }
        // The mail went out, but not as written: an error-styled notice, never a quiet one.
        Ok(Outcome::Sent {
            message_id,
            warning: Some(w),
        }) => {
            app.fail(line(format!("sent <{message_id}>, but {w}")));
            false
        }
        Ok(Outcome::Submitted { message_id, error }) => {
            app.say(line(format!(
                "sent <{message_id}>; the Sent copy will be retried: {error}"
            )));
            false
        }
        Ok(Outcome::Deferred { message_id, error }) => {
            app.say(line(format!(
                "deferred <{message_id}>: kept in the outbox and retried: {error}"
            )));
            false
        }
        Ok(Outcome::Busy { message_id }) => {
            app.say(line(format!(
                "queued <{message_id}>: another mailroom is delivering the outbox"
            )));
            false
        }
        // In the outbox, never sent again on its own: said as trouble, not as a success.
        Ok(Outcome::Uncertain { message_id, error }) => {
            app.fail(line(format!(
                "uncertain <{message_id}>: may have been delivered ({error}); kept in the outbox, \
                 not sent again: see `mailroom outbox`"
            )));
            false
        }
        Ok(Outcome::Failed { message_id, error }) => {
            app.fail(line(format!(
                "refused <{message_id}>: {error} (kept in the outbox as failed; the draft is kept)"
            )));
            true
        }
        Err(e) => {
            app.fail(line(format!("not sent: {e} (the draft is kept)")));
            true
        }
    };
    if kept {
        if ours && let Some(c) = &mut app.compose {
            c.sending = false;
        }
    } else {
        app.drafts.retain(|d| d.id != draft_id);
        if ours {
            app.compose = None;
            app.fit_views();
            return clear_replying(app);
        }
    }
    Vec::new()
}

/// Keeps `app.drafts` (newest first) in step with what was saved.
pub(crate) fn remember_draft(app: &mut App, draft: drafts::Draft) {
    app.drafts.retain(|d| d.id != draft.id);
    app.drafts.insert(0, draft);
}

/// Saves the open draft if it changed (and `AUTOSAVE_SECS` passed, unless `now`).
pub(crate) fn autosave(app: &mut App, now: bool) -> Vec<Request> {
    let t = app.now;
    let Some(c) = &mut app.compose else {
        return Vec::new();
    };
    if !c.unsaved || c.sending || (!now && t - c.saved_at < AUTOSAVE_SECS) {
        return Vec::new();
    }
    c.unsaved = false;
    c.saved_at = t;
    let draft = c.to_draft(t);
    remember_draft(app, draft.clone());
    vec![Request::SaveDraft(Box::new(draft))]
}

/// Ctrl-q: closes the pane; the draft is saved first (nothing is ever discarded here).
pub(crate) fn close_compose(app: &mut App) -> Vec<Request> {
    let mut commands = autosave(app, true);
    commands.extend(clear_replying(app));
    let kept = app
        .compose
        .as_ref()
        .is_some_and(|c| app.drafts.iter().any(|d| d.id == c.draft_id));
    app.compose = None;
    app.fit_views();
    if kept {
        let n = app.drafts.len();
        app.say(format!("closed; the draft is kept (:drafts lists {n})"));
    } else {
        app.say("closed (nothing was written, so no draft was kept)");
    }
    commands
}

/// `:drafts N`: reopens a saved draft in the compose pane.
pub(crate) fn reopen_draft(app: &mut App, n: usize) -> Vec<Request> {
    let Some(d) = app.drafts.get(n - 1).cloned() else {
        app.fail(format!("no draft {n} (:drafts lists them)"));
        return Vec::new();
    };
    let Some(config) = app.config.clone() else {
        app.fail("composing needs the configuration");
        return Vec::new();
    };
    let Some(account_idx) = config.accounts.iter().position(|a| a.name == d.account) else {
        app.fail(format!(
            "draft {n} is for account {}, which is no longer configured",
            sanitize::single_line(&d.account)
        ));
        return Vec::new();
    };
    let kind = if d.reply_to_uid.is_some() {
        Kind::Reply
    } else {
        Kind::New
    };
    let Some(mut c) = new_compose(app, &config, account_idx, kind, None, None) else {
        return Vec::new();
    };
    c.draft_id = d.id.clone();
    // The draft names its From by address; one the account no longer offers falls back to
    // the first offered identity.
    if let Some(account) = config.accounts.get(account_idx)
        && c.plan.choose(account, &config, &d.from).is_err()
    {
        c.plan.select(0);
    }
    c.to = Line::new(&header_text(&d.to.join(", ")));
    c.cc = Line::new(&header_text(&d.cc.join(", ")));
    c.bcc = Line::new(&header_text(&d.bcc.join(", ")));
    c.subject = Line::new(&header_text(&d.subject));
    c.body = compose::Body::from_text(&d.body);
    c.plan.reply_uid = d.reply_to_uid;
    c.plan.in_reply_to = d.in_reply_to.clone();
    c.plan.references = d.references.clone();
    c.plan.quoted = d.quoted.clone();
    c.attachments = d.attachments.clone();
    c.forwarded = d
        .forwarded
        .iter()
        .filter_map(drafts::ForwardedPart::attachment)
        .collect();
    let lost = d.forwarded.len() - c.forwarded.len();
    c.saved_at = d.saved;
    c.field = Field::Body;
    let line = c.mode_line();
    app.compose = Some(c);
    if lost > 0 {
        app.fail(format!(
            "draft {n} reopened: {line}; {lost} forwarded part(s) could not be read from the draft file"
        ));
    } else {
        app.say(format!("draft {n} reopened: {line}"));
    }
    // A reply draft answers a message still in the column: it is being replied to again.
    match d.reply_to_uid {
        Some(uid)
            if app
                .columns
                .iter()
                .any(|c| c.account_idx == account_idx && c.rows.by_uid(uid).is_some()) =>
        {
            mark_replying(app, account_idx, uid, true)
        }
        _ => Vec::new(),
    }
}
