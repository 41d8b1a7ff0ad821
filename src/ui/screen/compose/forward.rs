//! A forward's parts: `f` carries the original's attachments, `Ctrl-f` the whole original as one
//! `message/rfc822` attachment (no quote). The original comes from the engine (`Request::Open`,
//! the same fetch that brings the quote); its parts are listed in the pane, numbered after the
//! agent's own files, and removable with `Ctrl-t` `-N`.

use crate::engine::Request;
use crate::engine::event::Opened;
use crate::mail::forward;
use crate::sanitize;
use crate::ui::app::App;
use crate::ui::screen::compose::model::{Compose, Kind};
use crate::ui::screen::compose::open_compose;

/// `Ctrl-f`: a forward whose only part is the original, as a `message/rfc822` attachment.
/// Asked first (a teammate is replying, or it was answered already): `y` opens this forward,
/// not the inline one.
pub(crate) fn open_attached(app: &mut App) -> Vec<Request> {
    let commands = open_compose(app, Kind::Forward);
    if let Some(crate::ui::screen::confirm::Confirm {
        then: crate::ui::screen::confirm::Confirmed::Compose { kind, whole, .. },
        ..
    }) = &mut app.confirm
        && *kind == Kind::Forward
    {
        *whole = true;
    }
    whole(app);
    commands
}

/// The open forward pane forwards the whole original as an attachment, without a quote.
pub(crate) fn whole(app: &mut App) {
    if let Some(c) = &mut app.compose
        && c.kind == Kind::Forward
    {
        c.forward_whole = true;
        c.plan.quoted = None;
    }
}

/// The original of the forward `c` arrived: its parts are attached. Returns what the status
/// line says (what was attached, and what could not be).
pub(crate) fn on_original(c: &mut Compose, o: &Opened) -> Option<String> {
    if c.kind != Kind::Forward {
        return None;
    }
    let Some(raw) = &o.raw else {
        return Some("the original is too large to be forwarded with its attachments".to_string());
    };
    if c.forward_whole {
        let subject = c.plan.original.as_ref().map(|s| s.subject().to_string());
        c.plan.quoted = None;
        c.forwarded = vec![forward::as_message(
            &raw.0,
            subject.as_deref().unwrap_or(""),
        )];
        return Some("forwarding the whole original as an attachment".to_string());
    }
    let (parts, skipped) = forward::parts(&raw.0);
    c.forwarded = parts;
    let mut note = match c.forwarded.len() {
        0 if skipped.is_empty() => return None,
        0 => "no attachment of the original is forwarded".to_string(),
        1 => "forwarding 1 attachment of the original".to_string(),
        n => format!("forwarding {n} attachments of the original"),
    };
    if !skipped.is_empty() {
        note.push_str(&format!(
            "; not downloaded, so not forwarded: {} (Ctrl-f forwards the whole original)",
            skipped.join(", ")
        ));
    }
    Some(sanitize::single_line(&note))
}
