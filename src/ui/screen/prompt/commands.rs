//! The `:` commands: ONE table, [`COMMANDS`], of name, aliases, arguments, help text and
//! handler. [`parse`] reads a line against it, completion (`line`) offers its names and
//! arguments, the help overlay (`?`) lists it, and [`run_command`] runs what `parse` found.
//! A new command is one entry here and its handler (here, or in its screen's module).

use std::fmt;

use crate::config::View;
use crate::engine::Request;
use crate::sanitize;
use crate::triage::state::Action as TriageAction;
use crate::ui::app::App;
use crate::ui::layout::ReaderMode;
use crate::ui::screen::columns::{set_layout, sort_command};
use crate::ui::screen::compose::sending::reopen_draft;
use crate::ui::screen::help::Help;
use crate::ui::screen::list::{clear_narrowing, search, set_threads};
use crate::ui::screen::prompt::{builtin_themes, set_filter};
use crate::ui::screen::reader::{save, set_reader_mode};
use crate::ui::screen::triage::{set_view, triage};
use crate::ui::theme::{BUILTIN, Theme};

/// What a command's first argument completes to (Tab).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Complete {
    Nothing,
    Account,
    Theme,
    ReaderMode,
    /// `on`, `off`.
    OnOff,
    /// `all` and the open message's attachment numbers.
    Save,
    /// A teammate's agent id.
    Agent,
    /// A team view's name.
    View,
    /// A layout's name.
    Layout,
}

/// A command's arguments and its handler: `parse` checks the argument the way the variant
/// says (the error is the status line's message) and the handler runs with what it read.
#[derive(Debug, Clone, Copy)]
pub enum Run {
    /// No argument.
    Bare(fn(&mut App) -> Vec<Request>),
    /// Free text, possibly empty (then the command clears what it set).
    Text(fn(&mut App, &str) -> Vec<Request>),
    /// Text that must be there; its first word completes to `Complete`.
    Needs(Complete, fn(&mut App, &str) -> Vec<Request>),
    /// An account name, or nothing.
    MaybeAccount(fn(&mut App, Option<&str>) -> Vec<Request>),
    /// `split`, `full`, or nothing (toggle).
    Reader(fn(&mut App, Option<ReaderMode>) -> Vec<Request>),
    /// `on`, `off`, or nothing (toggle).
    OnOff(fn(&mut App, Option<bool>) -> Vec<Request>),
    /// `[N|all] [DIR]`: attachment N (from 1; `None`: all) into DIR (`None`: the default).
    Save(fn(&mut App, Option<usize>, Option<&str>) -> Vec<Request>),
    /// A number from 1, or nothing; the noun names what is numbered in the usage error.
    Number(&'static str, fn(&mut App, Option<usize>) -> Vec<Request>),
    /// A team view's name, or nothing (the next view).
    View(fn(&mut App, Option<View>) -> Vec<Request>),
}

/// One command of the `:` line.
#[derive(Debug, Clone, Copy)]
pub struct CommandSpec {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    /// The usage line: the help overlay's left column and the `usage:` error.
    pub usage: &'static str,
    /// The help overlay's description.
    pub desc: &'static str,
    pub run: Run,
}

impl CommandSpec {
    /// Whether the command takes an argument (completing its name then adds a space).
    pub fn takes_arg(&self) -> bool {
        !matches!(self.run, Run::Bare(_))
    }

    /// What the first argument completes to.
    pub fn completes(&self) -> Complete {
        match self.run {
            Run::Bare(_) | Run::Text(_) | Run::Number(..) => Complete::Nothing,
            Run::Needs(c, _) => c,
            Run::MaybeAccount(_) => Complete::Account,
            Run::Reader(_) => Complete::ReaderMode,
            Run::OnOff(_) => Complete::OnOff,
            Run::Save(_) => Complete::Save,
            Run::View(_) => Complete::View,
        }
    }
}

/// Every `:` command, in the help overlay's order.
pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "quit",
        aliases: &["q"],
        usage: ":quit",
        desc: "leave mailroom",
        run: Run::Bare(App::leave),
    },
    CommandSpec {
        name: "search",
        aliases: &[],
        usage: ":search QUERY",
        desc: "search this column: words, \"phrases\", from: to: subject: body: since: before: is: assigned: status:, or, -, ( ); empty clears",
        run: Run::Text(search),
    },
    CommandSpec {
        name: "filter",
        aliases: &[],
        usage: ":filter TEXT",
        desc: "show rows whose from, subject or to contain TEXT (like /)",
        run: Run::Text(|app, text| {
            set_filter(app, text);
            Vec::new()
        }),
    },
    CommandSpec {
        name: "nofilter",
        aliases: &[],
        usage: ":nofilter",
        desc: "clear the filter and the search of this column",
        run: Run::Bare(|app| {
            clear_narrowing(app);
            Vec::new()
        }),
    },
    CommandSpec {
        name: "refresh",
        aliases: &[],
        usage: ":refresh [ACCOUNT]",
        desc: "sync every account (or one) now",
        run: Run::MaybeAccount(refresh),
    },
    CommandSpec {
        name: "focus",
        aliases: &[],
        usage: ":focus ACCOUNT",
        desc: "go to an account's column",
        run: Run::Needs(Complete::Account, focus),
    },
    CommandSpec {
        name: "reader",
        aliases: &[],
        usage: ":reader split|full",
        desc: "reader below the columns or full screen (no argument: toggle)",
        run: Run::Reader(|app, mode| {
            set_reader_mode(app, mode);
            Vec::new()
        }),
    },
    CommandSpec {
        name: "layout",
        aliases: &[],
        usage: ":layout NAME",
        desc: "auto, columns, tabs, focus (one wide, others as strips) or unified",
        run: Run::Needs(Complete::Layout, set_layout),
    },
    CommandSpec {
        name: "sort",
        aliases: &[],
        usage: ":sort [KEY]",
        desc: "by date, due, waiting, sender or subject (s: next)",
        run: Run::Text(sort_command),
    },
    CommandSpec {
        name: "threads",
        aliases: &[],
        usage: ":threads [on|off]",
        desc: "group rows by thread, newest thread first (no argument: toggle)",
        run: Run::OnOff(|app, on| {
            set_threads(app, on);
            Vec::new()
        }),
    },
    CommandSpec {
        name: "save",
        aliases: &[],
        usage: ":save [N|all] [DIR]",
        desc: "save the open message's attachments (default: all, into Downloads or home)",
        run: Run::Save(save),
    },
    CommandSpec {
        name: "open",
        aliases: &[],
        usage: ":open [N]",
        desc: "open the message's HTML part, or attachment N, with ui.open_command ($BROWSER for HTML)",
        run: Run::Number("attachments", crate::ui::screen::reader::open::open_command),
    },
    CommandSpec {
        name: "theme",
        aliases: &[],
        usage: ":theme NAME",
        desc: "switch to a built-in theme for this session",
        run: Run::Needs(Complete::Theme, theme),
    },
    CommandSpec {
        name: "drafts",
        aliases: &[],
        usage: ":drafts [N]",
        desc: "the saved drafts in a pane (Enter reopens, d deletes), or reopen draft N",
        run: Run::Number("drafts", |app, n| match n {
            None => {
                crate::ui::screen::drafts::open(app);
                Vec::new()
            }
            Some(n) => reopen_draft(app, n),
        }),
    },
    CommandSpec {
        name: "review",
        aliases: &[],
        usage: ":review",
        desc: "replies held for review (a approves, r returns)",
        run: Run::Bare(crate::ui::screen::review::open),
    },
    CommandSpec {
        name: "claim",
        aliases: &[],
        usage: ":claim",
        desc: "assign the message to yourself, unless a teammate was first (a)",
        run: Run::Bare(|app| triage(app, TriageAction::Claim)),
    },
    CommandSpec {
        name: "assign",
        aliases: &[],
        usage: ":assign AGENT",
        desc: "assign the message to a teammate (A)",
        run: Run::Needs(Complete::Agent, assign),
    },
    CommandSpec {
        name: "unassign",
        aliases: &[],
        usage: ":unassign",
        desc: "assign the message to nobody",
        run: Run::Bare(|app| triage(app, TriageAction::Unassign)),
    },
    CommandSpec {
        name: "pending",
        aliases: &[],
        usage: ":pending",
        desc: "mark the message pending: waiting on the customer (p)",
        run: Run::Bare(|app| triage(app, TriageAction::Pending)),
    },
    CommandSpec {
        name: "done",
        aliases: &[],
        usage: ":done",
        desc: "mark the message done (d)",
        run: Run::Bare(|app| triage(app, TriageAction::Done)),
    },
    CommandSpec {
        name: "reopen",
        aliases: &[],
        usage: ":reopen",
        desc: "clear pending, done and snooze (o)",
        run: Run::Bare(|app| triage(app, TriageAction::Reopen)),
    },
    CommandSpec {
        name: "mark",
        aliases: &[],
        usage: ":mark QUERY",
        desc: "mark every shown row matching QUERY (as :search) for a bulk action (M)",
        run: Run::Needs(Complete::Nothing, |app, q| {
            crate::ui::screen::bulk::mark_matching(app, q);
            Vec::new()
        }),
    },
    CommandSpec {
        name: "unmark",
        aliases: &[],
        usage: ":unmark",
        desc: "clear the marks of the column (Esc)",
        run: Run::Bare(|app| {
            if !crate::ui::screen::bulk::clear_marks(app) {
                app.say("no marked rows");
            }
            Vec::new()
        }),
    },
    CommandSpec {
        name: "undo",
        aliases: &[],
        usage: ":undo [list]",
        desc: "undo your last team change on the messages it touched (u); list: the recent ones",
        run: Run::Text(undo),
    },
    CommandSpec {
        name: "snooze",
        aliases: &[],
        usage: ":snooze WHEN",
        desc: "hide the message until in 3h|2d|tomorrow 9|friday 14:00|next week|YYYY-MM-DD [HH:MM], agent.timezone (z)",
        run: Run::Needs(Complete::Nothing, snooze),
    },
    CommandSpec {
        name: "view",
        aliases: &[],
        usage: ":view [NAME]",
        desc: "open|mine|unassigned|pending|done|all|due (V: next)",
        run: Run::View(|app, view| {
            set_view(app, view);
            Vec::new()
        }),
    },
    CommandSpec {
        name: "messages",
        aliases: &[],
        usage: ":messages",
        desc: "the last 50 errors of the status line, with their times",
        run: Run::Bare(crate::ui::screen::messages::open),
    },
    CommandSpec {
        name: "help",
        aliases: &["h"],
        usage: ":help",
        desc: "keys and commands",
        run: Run::Bare(help),
    },
];

/// The command called `name` or one of its aliases, in any case.
pub fn find_command(name: &str) -> Option<&'static CommandSpec> {
    let name = name.to_ascii_lowercase();
    COMMANDS
        .iter()
        .find(|c| c.name == name || c.aliases.contains(&name.as_str()))
}

/// A handler with the arguments it was given, ready to run.
type Ready = Box<dyn FnOnce(&mut App) -> Vec<Request>>;

/// A command line read against the table: its entry and its handler with the arguments read.
pub struct Call {
    pub spec: &'static CommandSpec,
    run: Ready,
}

impl Call {
    pub fn run(self, app: &mut App) -> Vec<Request> {
        (self.run)(app)
    }
}

impl fmt::Debug for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Call(:{})", self.spec.name)
    }
}

/// Reads a command line; `Err` is a message for the status line. An empty line is `Ok(None)`.
pub fn parse(line: &str) -> Result<Option<Call>, String> {
    let line = line.trim();
    let (name, rest) = match line.split_once(char::is_whitespace) {
        Some((n, r)) => (n, r.trim()),
        None => (line, ""),
    };
    if name.is_empty() {
        return Ok(None);
    }
    let spec = find_command(name).ok_or_else(|| {
        format!(
            "unknown command :{} (see :help)",
            sanitize::single_line(name)
        )
    })?;
    let usage = || format!("usage: {}", spec.usage);
    let text = rest.to_string();
    let run: Ready = match spec.run {
        Run::Bare(f) if rest.is_empty() => Box::new(f),
        Run::Bare(_) => return Err(format!(":{} takes no argument", spec.name)),
        Run::Text(f) => Box::new(move |app| f(app, &text)),
        Run::Needs(_, _) if rest.is_empty() => return Err(usage()),
        Run::Needs(_, f) => Box::new(move |app| f(app, &text)),
        Run::MaybeAccount(f) => {
            let name = (!rest.is_empty()).then_some(text);
            Box::new(move |app| f(app, name.as_deref()))
        }
        Run::Reader(f) => {
            let mode = match rest.to_ascii_lowercase().as_str() {
                "" => None,
                "split" => Some(ReaderMode::Split),
                "full" => Some(ReaderMode::Full),
                _ => return Err(usage()),
            };
            Box::new(move |app| f(app, mode))
        }
        Run::OnOff(f) => {
            let on = match rest.to_ascii_lowercase().as_str() {
                "" => None,
                "on" => Some(true),
                "off" => Some(false),
                _ => return Err(usage()),
            };
            Box::new(move |app| f(app, on))
        }
        Run::Save(f) => {
            let (which, dir) = save_args(rest)?;
            Box::new(move |app| f(app, which, dir.as_deref()))
        }
        Run::Number(noun, f) => {
            let n = match rest {
                "" => None,
                n => match n.parse::<usize>() {
                    Ok(n) if n > 0 => Some(n),
                    _ => return Err(format!("{} ({noun} are numbered from 1)", usage())),
                },
            };
            Box::new(move |app| f(app, n))
        }
        Run::View(f) => {
            let view = match rest {
                "" => None,
                v => Some(View::parse(v).ok_or_else(usage)?),
            };
            Box::new(move |app| f(app, view))
        }
    };
    Ok(Some(Call { spec, run }))
}

/// `:save`'s arguments: `[N|all] [DIR]`.
fn save_args(rest: &str) -> Result<(Option<usize>, Option<String>), String> {
    let (first, after) = match rest.split_once(char::is_whitespace) {
        Some((f, a)) => (f, a.trim()),
        None => (rest, ""),
    };
    let (which, dir) = if first.eq_ignore_ascii_case("all") {
        (None, after)
    } else if let Ok(n) = first.parse::<usize>() {
        (Some(n), after)
    } else if !first.is_empty() && first.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("no attachment {first}"));
    } else {
        // No number: every attachment, and the whole rest is the folder.
        (None, rest)
    };
    if which == Some(0) {
        return Err("attachments are numbered from 1 (:save 1)".to_string());
    }
    Ok((which, (!dir.is_empty()).then(|| dir.to_string())))
}

/// Runs a finished `:` line; a line that does not parse is the status line's error.
pub(crate) fn run_command(app: &mut App, line: &str) -> Vec<Request> {
    match parse(line) {
        Ok(Some(call)) => call.run(app),
        Ok(None) => Vec::new(),
        Err(message) => {
            app.fail(message);
            Vec::new()
        }
    }
}

/// The column of account `name`: exactly, else ignoring case.
fn find_column(app: &App, name: &str) -> Option<usize> {
    app.columns.iter().position(|c| c.name == name).or_else(|| {
        app.columns
            .iter()
            .position(|c| c.name.eq_ignore_ascii_case(name))
    })
}

fn no_account(name: &str) -> String {
    format!(
        "no column {:?} (Tab completes account names)",
        sanitize::single_line(name)
    )
}

fn refresh(app: &mut App, name: Option<&str>) -> Vec<Request> {
    let Some(name) = name else {
        app.say("refreshing every account");
        return app
            .columns
            .iter()
            .map(|c| Request::Refresh {
                account_idx: c.account_idx,
            })
            .collect();
    };
    let Some(i) = find_column(app, name) else {
        app.fail(no_account(name));
        return Vec::new();
    };
    let c = &app.columns[i];
    let command = Request::Refresh {
        account_idx: c.account_idx,
    };
    let message = format!("refreshing {}", c.name);
    app.say(message);
    vec![command]
}

fn focus(app: &mut App, name: &str) -> Vec<Request> {
    match find_column(app, name) {
        Some(i) => {
            app.focus = i;
            app.fit_views();
        }
        None => app.fail(no_account(name)),
    }
    Vec::new()
}

fn theme(app: &mut App, name: &str) -> Vec<Request> {
    match BUILTIN.iter().find(|(n, _)| *n == name) {
        Some((n, text)) => match Theme::parse(text, n) {
            Ok(theme) => {
                app.theme = theme;
                app.say(format!("theme {n} for this session (ui.theme keeps one)"));
            }
            Err(e) => app.fail(sanitize::single_line(&e.to_string())),
        },
        None => app.fail(format!(
            "no built-in theme {:?} (built-in: {}; a theme file is set with ui.theme)",
            sanitize::single_line(name),
            builtin_themes().join(", ")
        )),
    }
    Vec::new()
}

fn assign(app: &mut App, agent: &str) -> Vec<Request> {
    let agent = agent.trim().to_ascii_lowercase();
    if !crate::config::is_valid_agent_id(&agent) {
        app.fail(format!(
            "{:?} is not an agent id (a-z, 0-9, '.', '_', '-')",
            sanitize::single_line(&agent)
        ));
        return Vec::new();
    }
    triage(app, TriageAction::Assign(agent))
}

fn snooze(app: &mut App, when: &str) -> Vec<Request> {
    let tz = crate::triage::when::config_zone(app.config.as_deref());
    match crate::triage::when::parse(when.trim(), app.now, &tz) {
        Ok(until) => triage(app, TriageAction::Snooze(until)),
        Err(e) => {
            app.fail(format!("snooze: {e}"));
            Vec::new()
        }
    }
}

fn help(app: &mut App) -> Vec<Request> {
    app.help = Some(Help {
        context: app.context(),
        scroll: 0,
    });
    Vec::new()
}

/// `:undo` undoes the last step (as `u`), `:undo list` lists the recent ones.
fn undo(app: &mut App, arg: &str) -> Vec<Request> {
    match arg.trim() {
        "" => crate::ui::undo::undo(app),
        "list" => {
            crate::ui::undo::list(app);
            Vec::new()
        }
        other => {
            app.fail(format!(
                ":undo takes nothing or `list`, not {:?}",
                sanitize::single_line(other)
            ));
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::keys::{Context, Keymap};
    use crate::ui::screen::help::help_lines;

    fn app() -> App {
        let theme = Theme::parse(BUILTIN[0].1, "default").expect("built-in theme");
        App::new(&[(0, "support".to_string())], theme, false)
    }

    /// A line that `parse` accepts for `spec`, called by `name` (the name or an alias).
    fn accepted_line(spec: &CommandSpec, name: &str) -> String {
        match spec.run {
            Run::Needs(..) => format!("{name} x"),
            _ => name.to_string(),
        }
    }

    #[test]
    fn every_entry_has_help_and_a_handler_that_parse_reaches() {
        let mut seen = std::collections::HashSet::new();
        for spec in COMMANDS {
            assert!(
                !spec.desc.trim().is_empty(),
                ":{} has no help text",
                spec.name
            );
            assert!(
                spec.usage.starts_with(&format!(":{}", spec.name)),
                ":{}'s usage is {:?}",
                spec.name,
                spec.usage
            );
            for name in std::iter::once(&spec.name).chain(spec.aliases) {
                assert!(seen.insert(*name), ":{name} is in the table twice");
                for line in [
                    accepted_line(spec, name),
                    accepted_line(spec, name).to_uppercase(),
                ] {
                    let call = parse(&line)
                        .unwrap_or_else(|e| panic!("{line:?}: {e}"))
                        .unwrap_or_else(|| panic!("{line:?} parsed to nothing"));
                    assert!(std::ptr::eq(call.spec, spec), "{line:?} reached {call:?}");
                    // The handler runs on a bare screen without panicking.
                    call.run(&mut app());
                }
            }
        }
    }

    #[test]
    fn the_help_overlay_lists_the_table() {
        for ctx in [Context::List, Context::Reader] {
            let lines = help_lines(&Keymap::default(), ctx);
            let heading = lines
                .iter()
                .position(|(keys, desc)| keys.is_empty() && desc == "commands (after :)")
                .expect("a commands heading");
            let listed = &lines[heading + 1..heading + 1 + COMMANDS.len()];
            let table: Vec<(String, String)> = COMMANDS
                .iter()
                .map(|c| (c.usage.to_string(), c.desc.to_string()))
                .collect();
            assert_eq!(listed, table.as_slice());
            assert_eq!(
                lines[heading + 1 + COMMANDS.len()],
                (String::new(), String::new())
            );
        }
    }

    #[test]
    fn bad_lines_say_what_is_wrong() {
        let err = |line: &str| parse(line).expect_err(line);
        assert!(matches!(parse(""), Ok(None)));
        assert!(matches!(parse("   "), Ok(None)));
        assert_eq!(err("quit now"), ":quit takes no argument");
        assert_eq!(err("h x"), ":help takes no argument");
        assert_eq!(err("focus"), "usage: :focus ACCOUNT");
        assert_eq!(err("snooze  "), "usage: :snooze WHEN");
        assert_eq!(err("reader sideways"), "usage: :reader split|full");
        assert_eq!(err("threads maybe"), "usage: :threads [on|off]");
        assert_eq!(err("view nope"), "usage: :view [NAME]");
        assert_eq!(
            err("drafts 0"),
            "usage: :drafts [N] (drafts are numbered from 1)"
        );
        assert_eq!(err("save 0"), "attachments are numbered from 1 (:save 1)");
        assert_eq!(
            err("save 99999999999999999999999 /tmp"),
            "no attachment 99999999999999999999999"
        );
        let e = err("rm -rf \u{1b}[2J");
        assert!(
            e.contains("unknown command :rm") && !e.contains('\u{1b}'),
            "{e}"
        );
    }

    #[test]
    fn save_reads_a_number_or_all_then_a_folder() {
        assert_eq!(save_args(""), Ok((None, None)));
        assert_eq!(save_args("2"), Ok((Some(2), None)));
        assert_eq!(
            save_args("ALL ~/in box"),
            Ok((None, Some("~/in box".into())))
        );
        assert_eq!(save_args("3 /tmp"), Ok((Some(3), Some("/tmp".into()))));
        assert_eq!(save_args("/tmp/x"), Ok((None, Some("/tmp/x".into()))));
    }
}
