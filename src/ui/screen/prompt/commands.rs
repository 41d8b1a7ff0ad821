//! The `:` commands.

use crate::engine::Request;
use crate::sanitize;
use crate::triage::state::Action as TriageAction;
use crate::ui::app::App;
use crate::ui::screen::drafts::{list_drafts, reopen_draft};
use crate::ui::screen::help::Help;
use crate::ui::screen::list::{clear_narrowing, search, set_threads};
use crate::ui::screen::prompt::line::{self as prompt, Cmd};
use crate::ui::screen::prompt::{builtin_themes, set_filter};
use crate::ui::screen::reader::{save, set_reader_mode};
use crate::ui::screen::triage::{set_view, triage};
use crate::ui::theme::{BUILTIN, Theme};

pub(crate) fn run_command(app: &mut App, line: &str) -> Vec<Request> {
    let cmd = match prompt::parse(line) {
        Ok(Some(cmd)) => cmd,
        Ok(None) => return Vec::new(),
        Err(message) => {
            app.fail(message);
            return Vec::new();
        }
    };
    let find = |app: &App, name: &str| {
        app.columns.iter().position(|c| c.name == name).or_else(|| {
            app.columns
                .iter()
                .position(|c| c.name.eq_ignore_ascii_case(name))
        })
    };
    let no_account = |name: &str| {
        format!(
            "no column {:?} (Tab completes account names)",
            sanitize::single_line(name)
        )
    };
    match cmd {
        Cmd::Quit => return app.leave(),
        Cmd::Search(query) => return search(app, &query),
        Cmd::Filter(text) => set_filter(app, &text),
        Cmd::NoFilter => {
            clear_narrowing(app);
        }
        Cmd::Refresh(None) => {
            app.say("refreshing every account");
            return app
                .columns
                .iter()
                .map(|c| Request::Refresh {
                    account_idx: c.account_idx,
                })
                .collect();
        }
        Cmd::Refresh(Some(name)) => match find(app, &name) {
            Some(i) => {
                let c = &app.columns[i];
                let command = Request::Refresh {
                    account_idx: c.account_idx,
                };
                let message = format!("refreshing {}", c.name);
                app.say(message);
                return vec![command];
            }
            None => app.fail(no_account(&name)),
        },
        Cmd::Focus(name) => match find(app, &name) {
            Some(i) => {
                app.focus = i;
                app.fit_views();
            }
            None => app.fail(no_account(&name)),
        },
        Cmd::Reader(mode) => set_reader_mode(app, mode),
        Cmd::Threads(on) => set_threads(app, on),
        Cmd::Save { which, dir } => return save(app, which, dir.as_deref()),
        Cmd::Theme(name) => match BUILTIN.iter().find(|(n, _)| *n == name) {
            Some((n, text)) => match Theme::parse(text, n) {
                Ok(theme) => {
                    app.theme = theme;
                    app.say(format!("theme {n} for this session (ui.theme keeps one)"));
                }
                Err(e) => app.fail(sanitize::single_line(&e.to_string())),
            },
            None => app.fail(format!(
                "no built-in theme {:?} (built-in: {}; a theme file is set with ui.theme)",
                sanitize::single_line(&name),
                builtin_themes().join(", ")
            )),
        },
        Cmd::Drafts(None) => list_drafts(app),
        Cmd::Drafts(Some(n)) => return reopen_draft(app, n),
        Cmd::Claim => return triage(app, TriageAction::Claim),
        Cmd::Assign(agent) => {
            let agent = agent.trim().to_ascii_lowercase();
            if !crate::config::is_valid_agent_id(&agent) {
                app.fail(format!(
                    "{:?} is not an agent id (a-z, 0-9, '.', '_', '-')",
                    sanitize::single_line(&agent)
                ));
                return Vec::new();
            }
            return triage(app, TriageAction::Assign(agent));
        }
        Cmd::Unassign => return triage(app, TriageAction::Unassign),
        Cmd::Pending => return triage(app, TriageAction::Pending),
        Cmd::Done => return triage(app, TriageAction::Done),
        Cmd::Reopen => return triage(app, TriageAction::Reopen),
        Cmd::Snooze(when) => match crate::triage::when::parse(&when, app.now) {
            Some(until) => return triage(app, TriageAction::Snooze(until)),
            None => app.fail(format!(
                "snooze: {:?} is not a time to come (30m, 4h, 2d, tomorrow, mon, YYYY-MM-DD [HH:MM], UTC)",
                sanitize::single_line(when.trim())
            )),
        },
        Cmd::View(view) => set_view(app, view),
        Cmd::Help => {
            app.help = Some(Help {
                context: app.context(),
                scroll: 0,
            });
        }
    }
    Vec::new()
}
