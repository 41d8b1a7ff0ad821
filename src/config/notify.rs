//! `[ui.notify]`: what mailroom does when new mail arrives in a column or a teammate assigns
//! a message to the agent while it runs (see `ui::notify` and mailroom.toml(5)).

use serde::Deserialize;

use super::error::Problem;

/// The desktop notification escape sequence written to the terminal.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Osc {
    /// None.
    Off,
    /// `OSC 9 ; text BEL` (iTerm2, WezTerm, Windows Terminal, Ghostty, kitty).
    #[default]
    Osc9,
    /// `OSC 777 ; notify ; title ; body BEL` (urxvt, foot, Ghostty, WezTerm, some VTE).
    Osc777,
}

/// `[ui.notify]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notify {
    /// The terminal title carries the unread count ("mailroom — 12 unread").
    #[serde(default = "yes")]
    pub title: bool,
    /// Ring the terminal bell (BEL).
    #[serde(default)]
    pub bell: bool,
    /// The desktop notification escape.
    #[serde(default)]
    pub osc: Osc,
    /// A program and its first arguments, run (never through a shell) with the account, the
    /// sender and the subject appended as three more arguments.
    #[serde(default)]
    pub command: Option<Vec<String>>,
}

fn yes() -> bool {
    true
}

impl Default for Notify {
    fn default() -> Self {
        Notify {
            title: true,
            bell: false,
            osc: Osc::default(),
            command: None,
        }
    }
}

/// Checks `ui.notify.command`: a program to run, no control characters.
pub(super) fn validate(n: &Notify, errors: &mut Vec<Problem>) {
    let Some(cmd) = &n.command else {
        return;
    };
    match cmd.first() {
        None => errors.push(Problem::new(
            None,
            "ui.notify.command",
            "is empty: give the program to run first, e.g. [\"notify-send\"], or leave it out",
        )),
        Some(p) if p.trim().is_empty() => errors.push(Problem::new(
            None,
            "ui.notify.command",
            "the program's name is empty",
        )),
        Some(_) => {}
    }
    if cmd.iter().any(|a| a.chars().any(char::is_control)) {
        errors.push(Problem::new(
            None,
            "ui.notify.command",
            "contains a control character",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Notify, toml::de::Error> {
        toml::from_str(text)
    }

    #[test]
    fn defaults_title_on_bell_off_osc9_no_command() {
        let n = parse("").expect("empty");
        assert_eq!(n, Notify::default());
        assert!(n.title && !n.bell && n.osc == Osc::Osc9 && n.command.is_none());
        let n = parse("osc = \"osc777\"\nbell = true\ntitle = false").expect("set");
        assert!(!n.title && n.bell && n.osc == Osc::Osc777);
        assert!(parse("osc = \"osc8\"").is_err());
        assert!(parse("sound = true").is_err());
    }

    #[test]
    fn the_command_must_name_a_program_without_controls() {
        let problems = |text: &str| {
            let mut errors = Vec::new();
            validate(&parse(text).expect("parses"), &mut errors);
            errors.into_iter().map(|p| p.key).collect::<Vec<_>>()
        };
        assert!(problems("command = [\"notify-send\", \"-a\", \"mailroom\"]").is_empty());
        assert_eq!(problems("command = []"), ["ui.notify.command"]);
        assert_eq!(problems("command = [\" \"]"), ["ui.notify.command"]);
        assert_eq!(
            problems("command = [\"x\", \"a\\nb\"]"),
            ["ui.notify.command"]
        );
    }
}
