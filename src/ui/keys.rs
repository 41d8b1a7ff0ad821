//! Key bindings on the screen: the pure bindings of `config::keys` (the defaults with `[keys]`
//! applied) matched against crossterm's key events, so the help overlay, the status hint and
//! dispatch all come from one table — the live one.
//!
//! Keys are written the way users type them in the configuration: `"j"`, `"G"`, `"!"`,
//! `"Ctrl-d"`, `"Enter"`, `"Tab"`, `"S-Tab"`, `"Space"`, `"Esc"`, `"F1"`.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::config::Keys;
pub use crate::config::keys::{Action, Context, KeyConfigError};
use crate::config::keys::{Bindings, KeyName, KeySpec};

/// The key of a terminal event, normalised as bindings are; `None` for combinations that are
/// never bound (Alt, Super…: over a slow link, Esc followed by a key arrives as Alt) and for
/// keys no spec can name.
pub fn key_of_event(ev: &KeyEvent) -> Option<KeySpec> {
    let mods = ev.modifiers - KeyModifiers::SHIFT;
    if mods.intersects(!KeyModifiers::CONTROL) {
        return None;
    }
    let ctrl = mods.contains(KeyModifiers::CONTROL);
    // Some terminals report Ctrl-d as Char('D') with Ctrl+Shift; letters compare caselessly
    // only under Ctrl, where `g`/`G` style distinctions do not exist.
    let code = match ev.code {
        KeyCode::Char(c) if ctrl => KeyName::Char(c.to_ascii_lowercase()),
        code => key_name(code)?,
    };
    Some(KeySpec { code, ctrl })
}

/// The spec name of a crossterm key code; `None` for codes no spec can name.
fn key_name(code: KeyCode) -> Option<KeyName> {
    Some(match code {
        KeyCode::Char(c) => KeyName::Char(c),
        KeyCode::F(n) => KeyName::F(n),
        KeyCode::Enter => KeyName::Enter,
        KeyCode::Esc => KeyName::Esc,
        KeyCode::Tab => KeyName::Tab,
        KeyCode::BackTab => KeyName::BackTab,
        KeyCode::Backspace => KeyName::Backspace,
        KeyCode::Delete => KeyName::Delete,
        KeyCode::Insert => KeyName::Insert,
        KeyCode::Up => KeyName::Up,
        KeyCode::Down => KeyName::Down,
        KeyCode::Left => KeyName::Left,
        KeyCode::Right => KeyName::Right,
        KeyCode::Home => KeyName::Home,
        KeyCode::End => KeyName::End,
        KeyCode::PageUp => KeyName::PageUp,
        KeyCode::PageDown => KeyName::PageDown,
        _ => return None,
    })
}

/// The live bindings of every context.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keymap {
    bindings: Bindings,
}

impl Keymap {
    /// The defaults with the `[keys]` configuration applied: a configured action replaces all
    /// of its default keys. Every problem is reported, not just the first.
    pub fn from_config(keys: &Keys) -> Result<Keymap, Vec<KeyConfigError>> {
        Bindings::from_config(keys).map(|bindings| Keymap { bindings })
    }

    /// The action bound to a key event in `ctx`, if any.
    pub fn lookup(&self, ctx: Context, ev: &KeyEvent) -> Option<Action> {
        self.bindings.action(ctx, key_of_event(ev)?)
    }

    /// The keys bound to `action` in `ctx`, in the order they were given.
    pub fn keys_of(&self, ctx: Context, action: Action) -> Vec<KeySpec> {
        self.bindings.keys_of(ctx, action)
    }

    /// "j" or "j/k" style: the first key of each action, for hints; "" when none is bound.
    pub fn first_key(&self, ctx: Context, action: Action) -> Option<String> {
        self.keys_of(ctx, action).first().map(KeySpec::to_string)
    }

    /// Every action of `ctx` with its keys (shown as text) and its description, in help order.
    pub fn help(&self, ctx: Context) -> Vec<(String, &'static str, Action)> {
        ctx.specs()
            .map(|s| {
                let keys: Vec<String> = self
                    .keys_of(ctx, s.action)
                    .iter()
                    .map(KeySpec::to_string)
                    .collect();
                let keys = if keys.is_empty() {
                    "(unbound)".to_string()
                } else {
                    keys.join(", ")
                };
                (keys, s.desc, s.action)
            })
            .collect()
    }

    /// A short reminder of the main keys for the status line, from the live bindings.
    pub fn hint(&self, ctx: Context) -> String {
        let k = |a| self.first_key(ctx, a);
        let pair = |a, b, label: &str| match (k(a), k(b)) {
            (Some(x), Some(y)) => Some(format!("{x}/{y} {label}")),
            (Some(x), None) | (None, Some(x)) => Some(format!("{x} {label}")),
            (None, None) => None,
        };
        let one = |a, label: &str| k(a).map(|x| format!("{x} {label}"));
        let parts = match ctx {
            Context::List => vec![
                pair(Action::Down, Action::Up, "move"),
                one(Action::Open, "read"),
                one(Action::Help, "help"),
                one(Action::Quit, "quit"),
            ],
            Context::Reader => vec![
                pair(Action::Down, Action::Up, "scroll"),
                one(Action::PageDown, "page"),
                one(Action::Help, "help"),
                self.keys_of(ctx, Action::Close).first().map(|_| {
                    let keys: Vec<String> = self
                        .keys_of(ctx, Action::Close)
                        .iter()
                        .take(2)
                        .map(KeySpec::to_string)
                        .collect();
                    format!("{} close", keys.join("/"))
                }),
            ],
            Context::Compose => vec![one(Action::Send, "send"), one(Action::Help, "help")],
            Context::Command => vec![
                one(Action::Complete, "complete"),
                pair(Action::HistoryPrev, Action::HistoryNext, "history"),
                one(Action::Cancel, "close"),
            ],
        };
        parts.into_iter().flatten().collect::<Vec<_>>().join("  ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(code: KeyCode, m: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, m)
    }

    #[test]
    fn shift_is_ignored_and_alt_is_unbound() {
        let map = Keymap::default();
        let list = |code, m| map.lookup(Context::List, &ev(code, m));
        assert_eq!(
            list(KeyCode::Char('G'), KeyModifiers::SHIFT),
            Some(Action::Bottom)
        );
        assert_eq!(
            list(KeyCode::BackTab, KeyModifiers::SHIFT),
            Some(Action::PrevColumn)
        );
        assert_eq!(list(KeyCode::Char('j'), KeyModifiers::ALT), None);
        assert_eq!(
            list(KeyCode::Char('d'), KeyModifiers::CONTROL),
            Some(Action::HalfPageDown)
        );
        assert_eq!(
            list(
                KeyCode::Char('D'),
                KeyModifiers::CONTROL | KeyModifiers::SHIFT
            ),
            Some(Action::HalfPageDown)
        );
        assert_eq!(
            list(KeyCode::Char('d'), KeyModifiers::NONE),
            Some(Action::Done)
        );
        assert_eq!(
            list(KeyCode::Char('!'), KeyModifiers::SHIFT),
            Some(Action::ToggleFlag)
        );
    }

    #[test]
    fn events_become_the_specs_users_write() {
        let spec = |s| crate::config::keys::parse_key(s).ok();
        let key = |code, m| key_of_event(&ev(code, m));
        assert_eq!(key(KeyCode::Char('j'), KeyModifiers::NONE), spec("j"));
        assert_eq!(key(KeyCode::Char('G'), KeyModifiers::SHIFT), spec("G"));
        assert_eq!(
            key(KeyCode::Char('D'), KeyModifiers::CONTROL),
            spec("Ctrl-d")
        );
        assert_eq!(key(KeyCode::BackTab, KeyModifiers::SHIFT), spec("S-Tab"));
        assert_eq!(key(KeyCode::F(5), KeyModifiers::NONE), spec("F5"));
        assert_eq!(key(KeyCode::Up, KeyModifiers::CONTROL), spec("Ctrl-Up"));
        assert_eq!(key(KeyCode::Char(' '), KeyModifiers::NONE), spec("Space"));
        assert_eq!(key(KeyCode::Esc, KeyModifiers::NONE), spec("Esc"));
        assert_eq!(key(KeyCode::Char('x'), KeyModifiers::ALT), None);
        assert_eq!(key(KeyCode::CapsLock, KeyModifiers::NONE), None);
        assert_eq!(key(KeyCode::Null, KeyModifiers::NONE), None);
    }

    #[test]
    fn esc_never_quits() {
        let map = Keymap::default();
        let esc = ev(KeyCode::Esc, KeyModifiers::NONE);
        assert_eq!(map.lookup(Context::List, &esc), Some(Action::Clear));
        assert_eq!(map.lookup(Context::Reader, &esc), Some(Action::Close));
        assert_eq!(map.lookup(Context::Command, &esc), Some(Action::Cancel));
        assert_eq!(map.lookup(Context::Compose, &esc), None);
    }

    #[test]
    fn hints_follow_the_bindings() {
        let map = Keymap::default();
        assert_eq!(
            map.hint(Context::List),
            "j/k move  Enter read  ? help  q quit"
        );
        assert_eq!(
            map.hint(Context::Reader),
            "j/k scroll  Space page  ? help  q/Esc close"
        );
    }
}
