//! Key bindings as data, per context, so the help overlay, the status hint and dispatch all
//! come from one table — the live one, after the `[keys]` configuration is applied.
//!
//! Keys are written the way users type them in the configuration: `"j"`, `"G"`, `"!"`,
//! `"Ctrl-d"`, `"Enter"`, `"Tab"`, `"S-Tab"`, `"Space"`, `"Esc"`, `"F1"`.

use std::collections::BTreeMap;
use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::config::{KeyList, Keys};

/// Where a key is pressed; each context has its own table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Context {
    /// The message columns.
    List,
    /// The open message.
    Reader,
    /// The compose pane.
    Compose,
    /// The `:` command line and the `/` filter line.
    Command,
}

impl Context {
    pub const ALL: [Context; 4] = [
        Context::List,
        Context::Reader,
        Context::Compose,
        Context::Command,
    ];

    /// The name in the configuration (`[keys.list]`) and in the help overlay.
    pub fn name(self) -> &'static str {
        match self {
            Context::List => "list",
            Context::Reader => "reader",
            Context::Compose => "compose",
            Context::Command => "command",
        }
    }

    fn index(self) -> usize {
        match self {
            Context::List => 0,
            Context::Reader => 1,
            Context::Compose => 2,
            Context::Command => 3,
        }
    }

    /// The context's default bindings, in help order.
    fn specs(self) -> impl Iterator<Item = &'static Spec> + Clone {
        let groups: &'static [&'static [Spec]] = match self {
            Context::List => LIST,
            Context::Reader => READER,
            Context::Compose => COMPOSE,
            Context::Command => COMMAND,
        };
        groups.iter().flat_map(|g| g.iter())
    }

    /// Whether plain characters are text in this context (typed into a line or a body), so
    /// they cannot be bound without making that character impossible to type.
    fn types_text(self) -> bool {
        matches!(self, Context::Compose | Context::Command)
    }
}

/// What a key asks for; its meaning depends on the context it was looked up in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Stops at the first column.
    ColumnLeft,
    /// Stops at the last column.
    ColumnRight,
    /// Wraps around (Tab).
    NextColumn,
    PrevColumn,
    Down,
    Up,
    Top,
    Bottom,
    HalfPageDown,
    HalfPageUp,
    PageDown,
    PageUp,
    Open,
    /// Clear the filter or search of the column, else the error.
    Clear,
    /// Close the reader (or the help overlay); never quits.
    Close,
    /// Quit from the list.
    Quit,
    /// Quit from anywhere (Ctrl-C: raw mode turns it into a key, users still expect it).
    ForceQuit,
    ToggleRead,
    ToggleFlag,
    Filter,
    CommandLine,
    Help,
    ReaderLayout,
    /// Group the columns' rows by thread, or back to a flat list.
    Threads,
    /// Save the open message's attachments (opens the `:save` line).
    Save,
    // Open the compose pane.
    Reply,
    ReplyAll,
    Forward,
    Compose,
    // Triage and internal notes.
    Claim,
    Assign,
    Pending,
    Done,
    Snooze,
    Reopen,
    Note,
    /// Cycle the column's team view (open, mine, unassigned, pending, done, all).
    NextView,
    /// The stats screen.
    Stats,
    // The compose pane.
    Send,
    Editor,
    NextFrom,
    PrevFrom,
    Attach,
    Cancel,
    // The command line.
    Execute,
    Complete,
    CompletePrev,
    HistoryPrev,
    HistoryNext,
    CursorLeft,
    CursorRight,
    LineStart,
    LineEnd,
    DeleteBack,
    DeleteForward,
    DeleteWord,
    DeleteToStart,
}

impl Action {
    /// The name in the configuration (`[keys.list] toggle_flag = "F"`).
    pub fn name(self) -> &'static str {
        use Action::*;
        match self {
            ColumnLeft => "column_left",
            ColumnRight => "column_right",
            NextColumn => "next_column",
            PrevColumn => "prev_column",
            Down => "down",
            Up => "up",
            Top => "top",
            Bottom => "bottom",
            HalfPageDown => "half_page_down",
            HalfPageUp => "half_page_up",
            PageDown => "page_down",
            PageUp => "page_up",
            Open => "open",
            Clear => "clear",
            Close => "close",
            Quit => "quit",
            ForceQuit => "force_quit",
            ToggleRead => "toggle_read",
            ToggleFlag => "toggle_flag",
            Filter => "filter",
            CommandLine => "command",
            Help => "help",
            ReaderLayout => "reader_layout",
            Threads => "threads",
            Save => "save",
            Reply => "reply",
            ReplyAll => "reply_all",
            Forward => "forward",
            Compose => "compose",
            Claim => "claim",
            Assign => "assign",
            Pending => "pending",
            Done => "done",
            Snooze => "snooze",
            Reopen => "reopen",
            Note => "note",
            NextView => "next_view",
            Stats => "stats",
            Send => "send",
            Editor => "editor",
            NextFrom => "next_from",
            PrevFrom => "prev_from",
            Attach => "attach",
            Cancel => "cancel",
            Execute => "execute",
            Complete => "complete",
            CompletePrev => "complete_prev",
            HistoryPrev => "history_prev",
            HistoryNext => "history_next",
            CursorLeft => "cursor_left",
            CursorRight => "cursor_right",
            LineStart => "line_start",
            LineEnd => "line_end",
            DeleteBack => "delete_back",
            DeleteForward => "delete_forward",
            DeleteWord => "delete_word",
            DeleteToStart => "delete_to_start",
        }
    }

    /// For keys whose feature a later issue brings: what the status line says when pressed,
    /// so a reserved key is never a silent no-op. No key is reserved at present.
    pub fn reserved(self) -> Option<&'static str> {
        None
    }
}

/// A key: a code and whether Ctrl is held. Shift is part of the character (`G`) or the code
/// (`BackTab`); terminals disagree on reporting it, so it is never compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
}

impl Key {
    /// The key of a terminal event, normalised as bindings are; `None` for combinations that
    /// are never bound (Alt, Super…: over a slow link, Esc followed by a key arrives as Alt).
    pub fn from_event(ev: &KeyEvent) -> Option<Key> {
        let mods = ev.modifiers - KeyModifiers::SHIFT;
        if mods.intersects(!KeyModifiers::CONTROL) {
            return None;
        }
        let ctrl = mods.contains(KeyModifiers::CONTROL);
        // Some terminals report Ctrl-d as Char('D') with Ctrl+Shift; letters compare caselessly
        // only under Ctrl, where `g`/`G` style distinctions do not exist.
        let code = match ev.code {
            KeyCode::Char(c) if ctrl => KeyCode::Char(c.to_ascii_lowercase()),
            c => c,
        };
        Some(Key { code, ctrl })
    }
}

/// Named keys, as written in the configuration (matched caselessly) and shown in help. The
/// first name of a code is the one shown.
const NAMES: &[(&str, KeyCode)] = &[
    ("Enter", KeyCode::Enter),
    ("Return", KeyCode::Enter),
    ("Esc", KeyCode::Esc),
    ("Escape", KeyCode::Esc),
    ("Tab", KeyCode::Tab),
    ("S-Tab", KeyCode::BackTab),
    ("Shift-Tab", KeyCode::BackTab),
    ("BackTab", KeyCode::BackTab),
    ("Space", KeyCode::Char(' ')),
    ("Backspace", KeyCode::Backspace),
    ("BS", KeyCode::Backspace),
    ("Delete", KeyCode::Delete),
    ("Del", KeyCode::Delete),
    ("Insert", KeyCode::Insert),
    ("Ins", KeyCode::Insert),
    ("Up", KeyCode::Up),
    ("Down", KeyCode::Down),
    ("Left", KeyCode::Left),
    ("Right", KeyCode::Right),
    ("Home", KeyCode::Home),
    ("End", KeyCode::End),
    ("PageUp", KeyCode::PageUp),
    ("PgUp", KeyCode::PageUp),
    ("PageDown", KeyCode::PageDown),
    ("PgDn", KeyCode::PageDown),
];

/// Why a key spec could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyParseError {
    #[error("an empty string is not a key")]
    Empty,
    #[error(
        "{0:?} is not a key: write a character (\"F\", \"!\"), a name (Enter, Esc, Tab, S-Tab, Space, Backspace, Delete, Insert, Up, Down, Left, Right, Home, End, PageUp, PageDown, F1-F12) or Ctrl- with a letter or a name (\"Ctrl-d\")"
    )]
    Unknown(String),
    #[error(
        "{0:?}: Alt and Meta combinations cannot be bound (over a slow link, Esc followed by a key arrives as Alt)"
    )]
    Alt(String),
    #[error(
        "{0:?}: Shift is written into the key itself: \"G\" rather than \"S-g\", and \"S-Tab\""
    )]
    Shift(String),
    #[error("{0:?}: terminals send this as {1}: write {1:?}")]
    Alias(String, &'static str),
    #[error("{0:?} is a control character, not a key")]
    Control(String),
}

/// Reads a key spec: `"j"`, `"Ctrl-d"`, `"Enter"`, `"S-Tab"`, `"F5"`.
pub fn parse_key(spec: &str) -> Result<Key, KeyParseError> {
    let shown = crate::sanitize::single_line(spec);
    if spec.is_empty() {
        return Err(KeyParseError::Empty);
    }
    let mut chars = spec.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        if c.is_control() {
            return Err(KeyParseError::Control(shown));
        }
        return Ok(Key {
            code: KeyCode::Char(c),
            ctrl: false,
        });
    }
    if let Some((_, code)) = NAMES.iter().find(|(n, _)| n.eq_ignore_ascii_case(spec)) {
        return Ok(Key {
            code: *code,
            ctrl: false,
        });
    }
    if let Some(n) = spec
        .strip_prefix(['F', 'f'])
        .and_then(|n| n.parse::<u8>().ok())
        .filter(|n| (1..=12).contains(n))
    {
        return Ok(Key {
            code: KeyCode::F(n),
            ctrl: false,
        });
    }
    let lower = spec.to_ascii_lowercase();
    if ["alt-", "a-", "meta-", "m-"]
        .iter()
        .any(|p| lower.starts_with(p))
    {
        return Err(KeyParseError::Alt(shown));
    }
    if ["shift-", "s-"].iter().any(|p| lower.starts_with(p)) {
        return Err(KeyParseError::Shift(shown));
    }
    let rest = ["ctrl-", "c-"]
        .iter()
        .find_map(|p| lower.starts_with(p).then(|| &spec[p.len()..]));
    let Some(rest) = rest else {
        return Err(KeyParseError::Unknown(shown));
    };
    let mut chars = rest.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if c.is_ascii_alphabetic() => {
            let c = c.to_ascii_lowercase();
            // The terminal sends these bytes for other keys; a binding would never fire.
            match c {
                'i' => Err(KeyParseError::Alias(shown, "Tab")),
                'm' | 'j' => Err(KeyParseError::Alias(shown, "Enter")),
                _ => Ok(Key {
                    code: KeyCode::Char(c),
                    ctrl: true,
                }),
            }
        }
        (Some('['), None) => Err(KeyParseError::Alias(shown, "Esc")),
        _ => match NAMES.iter().find(|(n, _)| n.eq_ignore_ascii_case(rest)) {
            // Ctrl with a named key (Ctrl-Up); Ctrl-Tab and the like are indistinguishable
            // from the plain key on most terminals.
            Some((_, code)) if !matches!(code, KeyCode::Char(_)) => Ok(Key {
                code: *code,
                ctrl: true,
            }),
            _ => Err(KeyParseError::Unknown(shown)),
        },
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("Ctrl-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("Space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::F(n) => write!(f, "F{n}"),
            code => match NAMES.iter().find(|(_, c)| *c == code) {
                Some((name, _)) => f.write_str(name),
                None => write!(f, "{code:?}"),
            },
        }
    }
}

/// One action of a context with its default keys and what the help overlay says of it.
struct Spec {
    action: Action,
    keys: &'static [&'static str],
    desc: &'static str,
}

const fn spec(action: Action, keys: &'static [&'static str], desc: &'static str) -> Spec {
    Spec { action, keys, desc }
}

use Action as A;

/// Actions on the message under the cursor, the same in the list and the reader.
const REPLIES: &[Spec] = &[
    spec(
        A::Reply,
        &["r"],
        "reply (From chosen by the address the mail reached)",
    ),
    spec(
        A::ReplyAll,
        &["R"],
        "reply to all (Cc the others, not this account)",
    ),
    spec(A::Forward, &["f"], "forward (the original quoted inline)"),
];

/// Triage keys, the same in the list and the reader.
const TRIAGE: &[Spec] = &[
    spec(
        A::Claim,
        &["a"],
        "claim: assign to me (refused if a teammate was first)",
    ),
    spec(A::Assign, &["A"], "assign to a teammate (:assign AGENT)"),
    spec(A::Pending, &["p"], "pending: waiting on the customer"),
    spec(A::Done, &["d"], "done"),
    spec(A::Reopen, &["o"], "reopen: clear pending, done and snooze"),
    spec(
        A::Snooze,
        &["z"],
        "snooze: hide until a time (:snooze 4h|tomorrow|…)",
    ),
    spec(
        A::Note,
        &["n"],
        "internal note: add one for the team (never sent; needs the `i` right)",
    ),
];

const READER_LAYOUT: &[Spec] = &[spec(
    A::ReaderLayout,
    &["v"],
    "reader below the columns / full screen",
)];

/// The message list, in help order.
const LIST: &[&[Spec]] = &[
    &[
        spec(A::ColumnLeft, &["h", "Left"], "previous column"),
        spec(A::ColumnRight, &["l", "Right"], "next column"),
        spec(A::NextColumn, &["Tab"], "next column, wrapping around"),
        spec(
            A::PrevColumn,
            &["S-Tab"],
            "previous column, wrapping around",
        ),
        spec(A::Down, &["j", "Down"], "next (older) message"),
        spec(A::Up, &["k", "Up"], "previous (newer) message"),
        spec(A::Top, &["g", "Home"], "newest message"),
        spec(A::Bottom, &["G", "End"], "oldest message"),
        spec(A::HalfPageDown, &["Ctrl-d"], "half a page down"),
        spec(A::HalfPageUp, &["Ctrl-u"], "half a page up"),
        spec(A::PageDown, &["PageDown"], "a page down"),
        spec(A::PageUp, &["PageUp"], "a page up"),
        spec(A::Open, &["Enter"], "read the message"),
        spec(A::ToggleRead, &["Space"], "mark read / unread (\\Seen)"),
        spec(A::ToggleFlag, &["!"], "flag / unflag (\\Flagged)"),
        spec(
            A::Filter,
            &["/"],
            "filter this column (from, subject, to) as you type",
        ),
        spec(
            A::CommandLine,
            &[":"],
            "command line (:help lists commands)",
        ),
    ],
    READER_LAYOUT,
    &[
        spec(
            A::Threads,
            &["t"],
            "group rows by thread / flat list (:threads)",
        ),
        spec(A::Help, &["?"], "this help"),
    ],
    REPLIES,
    &[spec(
        A::Compose,
        &["c"],
        "new message from this column's account",
    )],
    TRIAGE,
    &[
        spec(
            A::NextView,
            &["V"],
            "next view: open, mine, unassigned, pending, done, all",
        ),
        spec(
            A::Stats,
            &["S"],
            "stats: response times per mailbox and agent",
        ),
    ],
    &[
        spec(
            A::Clear,
            &["Esc"],
            "clear the filter or search, else the error",
        ),
        spec(A::Quit, &["q"], "quit"),
        spec(A::ForceQuit, &["Ctrl-c"], "quit, from anywhere"),
    ],
];

/// The message reader.
const READER: &[&[Spec]] = &[
    &[
        spec(A::Down, &["j", "Down", "Enter"], "scroll down"),
        spec(A::Up, &["k", "Up"], "scroll up"),
        spec(A::PageDown, &["Space", "PageDown"], "a page down"),
        spec(A::PageUp, &["b", "PageUp"], "a page up"),
        spec(A::HalfPageDown, &["Ctrl-d"], "half a page down"),
        spec(A::HalfPageUp, &["Ctrl-u"], "half a page up"),
        spec(A::Top, &["g", "Home"], "top"),
        spec(A::Bottom, &["G", "End"], "bottom"),
        spec(A::ToggleRead, &["u"], "mark read / unread (\\Seen)"),
        spec(A::ToggleFlag, &["!"], "flag / unflag (\\Flagged)"),
        spec(A::Save, &["s"], "save attachments (opens :save N|all DIR)"),
    ],
    READER_LAYOUT,
    &[
        spec(A::CommandLine, &[":"], "command line"),
        spec(A::Help, &["?"], "this help"),
    ],
    REPLIES,
    TRIAGE,
    &[
        spec(A::Close, &["q", "Esc"], "close the reader"),
        spec(A::ForceQuit, &["Ctrl-c"], "quit, from anywhere"),
    ],
];

/// The compose pane. Plain characters are text there, so every key is a control or named key; closing is never
/// a lone Esc (slow links split escape sequences, and a draft must not be lost to that).
const COMPOSE: &[&[Spec]] = &[&[
    spec(A::Send, &["Ctrl-x"], "send (asks for confirmation)"),
    spec(A::Editor, &["Ctrl-e"], "edit the body in $EDITOR"),
    spec(A::NextFrom, &["Ctrl-n"], "next permitted From identity"),
    spec(A::PrevFrom, &["Ctrl-p"], "previous permitted From identity"),
    spec(A::Attach, &["Ctrl-t"], "attach a file"),
    spec(A::Cancel, &["Ctrl-q"], "close; the draft is kept"),
    spec(A::Help, &["F1"], "this help"),
    spec(
        A::ForceQuit,
        &["Ctrl-c"],
        "quit, from anywhere (the draft is kept)",
    ),
]];

/// The `:` command line and the `/` filter line. Plain characters are typed.
const COMMAND: &[&[Spec]] = &[&[
    spec(
        A::Execute,
        &["Enter"],
        "run the command (in / : keep the filter)",
    ),
    spec(
        A::Cancel,
        &["Esc"],
        "close; what was typed stays in the history (in / : clear the filter)",
    ),
    spec(
        A::Complete,
        &["Tab"],
        "complete a command, account, theme or argument",
    ),
    spec(A::CompletePrev, &["S-Tab"], "previous completion"),
    spec(A::HistoryPrev, &["Up"], "older history entry"),
    spec(A::HistoryNext, &["Down"], "newer history entry"),
    spec(A::CursorLeft, &["Left"], "cursor left"),
    spec(A::CursorRight, &["Right"], "cursor right"),
    spec(A::LineStart, &["Home", "Ctrl-a"], "start of the line"),
    spec(A::LineEnd, &["End", "Ctrl-e"], "end of the line"),
    spec(
        A::DeleteBack,
        &["Backspace", "Ctrl-h"],
        "delete the character before the cursor",
    ),
    spec(
        A::DeleteForward,
        &["Delete"],
        "delete the character under the cursor",
    ),
    spec(
        A::DeleteWord,
        &["Ctrl-w"],
        "delete the word before the cursor",
    ),
    spec(
        A::DeleteToStart,
        &["Ctrl-u"],
        "delete to the start of the line",
    ),
    spec(A::ForceQuit, &["Ctrl-c"], "quit, from anywhere"),
]];

/// A problem in the `[keys]` table, located by its dotted key (`keys.list.toggle_flag`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyConfigError {
    pub key: String,
    pub message: String,
}

impl fmt::Display for KeyConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`: {}", self.key, self.message)
    }
}

/// The live bindings of every context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    /// Per context (by `Context::index`): (key, action), in help order.
    tables: [Vec<(Key, Action)>; 4],
}

impl Default for Keymap {
    fn default() -> Keymap {
        // The defaults are checked by a unit test; should one ever fail to parse, that key is
        // left out rather than taking the program down.
        let tables = Context::ALL.map(|ctx| {
            ctx.specs()
                .flat_map(|s| {
                    s.keys
                        .iter()
                        .filter_map(|k| parse_key(k).ok())
                        .map(|k| (k, s.action))
                })
                .collect()
        });
        Keymap { tables }
    }
}

impl Keymap {
    /// The defaults with the `[keys]` configuration applied: a configured action replaces all
    /// of its default keys. Every problem is reported, not just the first.
    pub fn from_config(keys: &Keys) -> Result<Keymap, Vec<KeyConfigError>> {
        let mut map = Keymap::default();
        let mut errors = Vec::new();
        for ctx in Context::ALL {
            let table = match ctx {
                Context::List => &keys.list,
                Context::Reader => &keys.reader,
                Context::Compose => &keys.compose,
                Context::Command => &keys.command,
            };
            map.apply(ctx, table, &mut errors);
        }
        if errors.is_empty() {
            Ok(map)
        } else {
            Err(errors)
        }
    }

    fn apply(
        &mut self,
        ctx: Context,
        table: &BTreeMap<String, KeyList>,
        errors: &mut Vec<KeyConfigError>,
    ) {
        let path =
            |name: &str| format!("keys.{}.{}", ctx.name(), crate::sanitize::single_line(name));
        let mut configured: Vec<(Action, Vec<Key>, String)> = Vec::new();
        for (name, list) in table {
            let Some(spec) = ctx.specs().find(|s| s.action.name() == name) else {
                let names: Vec<&str> = ctx.specs().map(|s| s.action.name()).collect();
                errors.push(KeyConfigError {
                    key: path(name),
                    message: format!(
                        "no such action in the {} context (actions: {})",
                        ctx.name(),
                        names.join(", ")
                    ),
                });
                continue;
            };
            let mut parsed = Vec::new();
            for spec_text in list.as_slice() {
                match parse_key(spec_text) {
                    Ok(k) if ctx.types_text() && !k.ctrl && is_text(k.code) => {
                        errors.push(KeyConfigError {
                            key: path(name),
                            message: format!(
                                "{:?} is typed as text in the {} context: bind a Ctrl- or named key",
                                k.to_string(),
                                ctx.name()
                            ),
                        });
                    }
                    Ok(k) if !parsed.contains(&k) => parsed.push(k),
                    Ok(_) => {}
                    Err(e) => errors.push(KeyConfigError {
                        key: path(name),
                        message: e.to_string(),
                    }),
                }
            }
            configured.push((spec.action, parsed, path(name)));
        }
        if configured.is_empty() {
            return;
        }
        let table = &mut self.tables[ctx.index()];
        table.retain(|(_, a)| !configured.iter().any(|(c, _, _)| c == a));
        // Configured keys go where the action's defaults were, so help keeps its order.
        for (action, keys, at) in configured {
            for k in keys {
                if let Some((_, other)) = table.iter().find(|(key, _)| *key == k) {
                    errors.push(KeyConfigError {
                        key: at.clone(),
                        message: format!(
                            "{:?} is also bound to {} in the {} context: bind {} to another key as well",
                            k.to_string(),
                            other.name(),
                            ctx.name(),
                            other.name()
                        ),
                    });
                    continue;
                }
                table.push((k, action));
            }
        }
        let order = |a: Action| ctx.specs().position(|s| s.action == a);
        table.sort_by_key(|(_, a)| order(*a));
    }

    /// The action bound to a key event in `ctx`, if any.
    pub fn lookup(&self, ctx: Context, ev: &KeyEvent) -> Option<Action> {
        let key = Key::from_event(ev)?;
        self.tables[ctx.index()]
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, a)| *a)
    }

    /// The keys bound to `action` in `ctx`, in the order they were given.
    pub fn keys_of(&self, ctx: Context, action: Action) -> Vec<Key> {
        self.tables[ctx.index()]
            .iter()
            .filter(|(_, a)| *a == action)
            .map(|(k, _)| *k)
            .collect()
    }

    /// "j" or "j/k" style: the first key of each action, for hints; "" when none is bound.
    pub fn first_key(&self, ctx: Context, action: Action) -> Option<String> {
        self.keys_of(ctx, action).first().map(Key::to_string)
    }

    /// Every action of `ctx` with its keys (shown as text) and its description, in help order.
    pub fn help(&self, ctx: Context) -> Vec<(String, &'static str, Action)> {
        ctx.specs()
            .map(|s| {
                let keys: Vec<String> = self
                    .keys_of(ctx, s.action)
                    .iter()
                    .map(Key::to_string)
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
                        .map(Key::to_string)
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

/// Whether a key without Ctrl produces text (a printable character).
fn is_text(code: KeyCode) -> bool {
    matches!(code, KeyCode::Char(_))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(code: KeyCode, m: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, m)
    }

    #[test]
    fn defaults_parse_and_do_not_clash() {
        for ctx in Context::ALL {
            let mut seen: Vec<Key> = Vec::new();
            for s in ctx.specs() {
                for k in s.keys {
                    let key = parse_key(k).unwrap_or_else(|e| panic!("{k}: {e}"));
                    assert!(!seen.contains(&key), "{} {k} twice", ctx.name());
                    if ctx.types_text() {
                        assert!(key.ctrl || !is_text(key.code), "{k} is text");
                    }
                    seen.push(key);
                }
            }
        }
        assert_eq!(Keymap::from_config(&Keys::default()), Ok(Keymap::default()));
    }

    #[test]
    fn specs_round_trip_through_display() {
        for spec in [
            "j",
            "G",
            "!",
            "?",
            "/",
            ":",
            "Ctrl-d",
            "Enter",
            "Tab",
            "S-Tab",
            "Space",
            "Esc",
            "F1",
            "PageDown",
            "Ctrl-Up",
            "Backspace",
        ] {
            let k = parse_key(spec).expect(spec);
            assert_eq!(k.to_string(), spec);
            assert_eq!(parse_key(&k.to_string()), Ok(k));
        }
        assert_eq!(parse_key("ctrl-D"), parse_key("Ctrl-d"));
        assert_eq!(parse_key("C-d"), parse_key("Ctrl-d"));
        assert_eq!(parse_key("shift-tab"), parse_key("S-Tab"));
        assert_eq!(parse_key("escape"), parse_key("Esc"));
        assert_eq!(parse_key(" ").map(|k| k.to_string()), Ok("Space".into()));
    }

    #[test]
    fn bad_specs_say_why() {
        assert!(matches!(parse_key(""), Err(KeyParseError::Empty)));
        assert!(matches!(parse_key("Alt-x"), Err(KeyParseError::Alt(_))));
        assert!(matches!(parse_key("M-x"), Err(KeyParseError::Alt(_))));
        assert!(matches!(parse_key("S-g"), Err(KeyParseError::Shift(_))));
        assert!(matches!(
            parse_key("Ctrl-i"),
            Err(KeyParseError::Alias(_, "Tab"))
        ));
        assert!(matches!(
            parse_key("Ctrl-m"),
            Err(KeyParseError::Alias(_, "Enter"))
        ));
        assert!(matches!(
            parse_key("Ctrl-["),
            Err(KeyParseError::Alias(_, "Esc"))
        ));
        assert!(matches!(
            parse_key("\u{1b}"),
            Err(KeyParseError::Control(_))
        ));
        for bad in [
            "jj",
            "Ctrl-",
            "Ctrl-dd",
            "F13",
            "F0",
            "Hyper-x",
            "Ctrl-Space",
        ] {
            assert!(
                matches!(parse_key(bad), Err(KeyParseError::Unknown(_))),
                "{bad}"
            );
        }
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
