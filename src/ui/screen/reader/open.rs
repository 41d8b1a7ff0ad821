//! `o` in the reader: open the message's HTML part or an attachment with the user's opener
//! (an engine job, `engine::open`). One thing to open is opened at once; several open the
//! `:open ` line as a picker (nothing: the HTML part; N: attachment N).

use crate::engine::Request;
use crate::engine::open::Part;
use crate::mail::html::has_html_part;
use crate::sanitize;
use crate::ui::app::App;
use crate::ui::screen::prompt::line::{Prompt, PromptKind};
use crate::ui::screen::reader::Body;

/// What the open message offers: an HTML part, and how many attachments. `Err`: why nothing.
fn offered(app: &App) -> Result<(bool, usize), String> {
    let Some(r) = &app.reader else {
        return Err("open a message first".to_string());
    };
    match (&r.body, &r.raw) {
        (Body::Loading, _) => Err("the message is still loading".to_string()),
        (Body::Failed(_), _) => Err("the message could not be read".to_string()),
        (_, None) => Err(format!(
            "the message is larger than {} MiB: save it from `mailroom show ACCOUNT UID --raw`",
            crate::engine::event::MAX_RAW_BYTES >> 20
        )),
        (_, Some(raw)) => Ok((has_html_part(&raw.0), r.attachments.len())),
    }
}

/// `o`: opens the one thing there is, or the picker.
pub(crate) fn open_key(app: &mut App) -> Vec<Request> {
    let (html, n) = match offered(app) {
        Ok(o) => o,
        Err(e) => {
            app.fail(e);
            return Vec::new();
        }
    };
    match (html, n) {
        (false, 0) => {
            app.say("nothing to open: no HTML part and no attachments");
            Vec::new()
        }
        (true, 0) => launch(app, Part::Html),
        (false, 1) => launch(app, Part::Attachment(0)),
        _ => {
            let mut p = Prompt::new(PromptKind::Command, "open ");
            let which = if n == 1 {
                "1".to_string()
            } else {
                format!("1-{n}")
            };
            p.hint = Some(if html {
                format!("[{which}]   Enter alone: the HTML part; N: attachment N")
            } else {
                format!("{which}   attachment N")
            });
            app.prompt = Some(p);
            Vec::new()
        }
    }
}

/// `:open [N]`: attachment N, or the HTML part.
pub(crate) fn open_command(app: &mut App, which: Option<usize>) -> Vec<Request> {
    let (html, n) = match offered(app) {
        Ok(o) => o,
        Err(e) => {
            app.fail(e);
            return Vec::new();
        }
    };
    match which {
        None if html => launch(app, Part::Html),
        None => {
            app.fail("this message has no HTML part: :open N opens attachment N");
            Vec::new()
        }
        Some(k) if k == 0 || k > n => {
            app.fail(match n {
                0 => "this message has no attachments".to_string(),
                n => format!("no attachment {k}: this message has {n}"),
            });
            Vec::new()
        }
        Some(k) => launch(app, Part::Attachment(k - 1)),
    }
}

fn launch(app: &mut App, part: Part) -> Vec<Request> {
    let Some(raw) = app.reader.as_ref().and_then(|r| r.raw.clone()) else {
        return Vec::new();
    };
    app.say(match part {
        Part::Html => "opening the HTML part…".to_string(),
        Part::Attachment(i) => format!("opening attachment {}…", i + 1),
    });
    vec![Request::Launch { raw, part }]
}

/// The engine's answer: what was opened, or why not.
pub(crate) fn on_launched(app: &mut App, result: Result<String, String>) {
    match result {
        Ok(said) => app.say(sanitize::single_line(&said)),
        Err(e) => app.fail(format!("not opened: {}", sanitize::single_line(e.trim()))),
    }
}
