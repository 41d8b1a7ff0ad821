//! The `[keys]` contract as plain data: the key-spec grammar users write (`"j"`, `"Ctrl-d"`,
//! `"S-Tab"`, `"F1"`), the contexts and the actions each may bind with their default keys and
//! help text, and the bindings that result from applying `[keys]` over the defaults, with every
//! problem named `keys.CONTEXT.ACTION`. No terminal types here: `ui::keys` matches terminal
//! events against these bindings.

mod bindings;
mod spec;

pub use bindings::{Bindings, KeyConfigError};
pub use spec::{KeyName, KeyParseError, KeySpec, parse_key};

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

    /// The context's actions with their default keys and help text, in help order.
    pub fn specs(self) -> impl Iterator<Item = &'static Spec> + Clone {
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
    pub fn types_text(self) -> bool {
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
    /// Fold or unfold the thread under the cursor (list), the conversation entry in focus
    /// (reader).
    ToggleFold,
    /// Fold or unfold every thread (list); expand every entry or fold all but the open
    /// message (reader).
    ToggleFoldAll,
    /// The reader: open the next / previous message of the column, in its order and view.
    NextMessage,
    PrevMessage,
    /// The reader: open the next unread message of the column.
    NextUnread,
    /// The reader: move the focus to the next / previous entry of the conversation.
    NextEntry,
    PrevEntry,
    /// The focused column's next order (date, due with an SLA target, waiting, sender, subject).
    Sort,
    /// Save the open message's attachments (opens the `:save` line).
    Save,
    /// Open the message's HTML part or an attachment with the user's opener.
    OpenExternal,
    // Open the compose pane.
    Reply,
    ReplyAll,
    Forward,
    /// Forward the whole original as a `message/rfc822` attachment.
    ForwardAttached,
    Compose,
    // Triage and internal notes.
    Claim,
    Assign,
    Pending,
    Done,
    Snooze,
    Reopen,
    Note,
    /// Undo this session's last team change (`:undo`).
    Undo,
    /// Mark / unmark the selected row for a bulk action.
    ToggleMark,
    /// Mark every row matching a search expression (`:mark QUERY`).
    MarkMatching,
    /// Cycle the column's team view (open, mine, unassigned, pending, done, all).
    NextView,
    /// The stats screen.
    Stats,
    // The compose pane.
    Send,
    Editor,
    /// Move the locked quote into the body, to trim it and answer inline.
    EditQuote,
    NextFrom,
    PrevFrom,
    Attach,
    /// Open the reply template picker.
    Templates,
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
            ToggleFold => "toggle_fold",
            ToggleFoldAll => "toggle_fold_all",
            NextMessage => "next_message",
            PrevMessage => "prev_message",
            NextUnread => "next_unread",
            NextEntry => "next_entry",
            PrevEntry => "prev_entry",
            Sort => "sort",
            Save => "save",
            OpenExternal => "open_external",
            Reply => "reply",
            ReplyAll => "reply_all",
            Forward => "forward",
            ForwardAttached => "forward_attached",
            Compose => "compose",
            Claim => "claim",
            Assign => "assign",
            Pending => "pending",
            Done => "done",
            Snooze => "snooze",
            Reopen => "reopen",
            Note => "note",
            Undo => "undo",
            ToggleMark => "mark",
            MarkMatching => "mark_matching",
            NextView => "next_view",
            Stats => "stats",
            Send => "send",
            Editor => "editor",
            EditQuote => "edit_quote",
            NextFrom => "next_from",
            PrevFrom => "prev_from",
            Attach => "attach",
            Templates => "templates",
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

/// One action of a context with its default keys and what the help overlay says of it.
pub struct Spec {
    pub action: Action,
    /// The default keys, as a user would write them.
    pub keys: &'static [&'static str],
    /// What the help overlay says of the action.
    pub desc: &'static str,
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
    spec(
        A::ForwardAttached,
        &["Ctrl-f"],
        "forward the whole original as an attachment",
    ),
];

/// Triage keys, the same in the list and the reader.
const TRIAGE: &[Spec] = &[
    spec(
        A::Claim,
        &["a"],
        "claim: assign to me (asks if a teammate holds it)",
    ),
    spec(A::Assign, &["A"], "assign to a teammate (:assign AGENT)"),
    spec(A::Pending, &["p"], "pending: waiting on the customer"),
    spec(A::Done, &["d"], "done"),
    spec(A::Reopen, &["o"], "reopen: clear pending, done and snooze"),
    spec(
        A::Snooze,
        &["z"],
        "snooze: hide until a time in agent.timezone (in 3h|tomorrow 9|friday 14:00|next week|…)",
    ),
    spec(
        A::Note,
        &["n"],
        "internal note: add one for the team (never sent; needs the `i` right)",
    ),
];

const UNDO_DESC: &str =
    "undo your last team change (triage, bulk) on the messages it touched (:undo list)";

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
        spec(
            A::ToggleFold,
            &["e"],
            "fold / unfold the thread (one row with its count)",
        ),
        spec(A::ToggleFoldAll, &["E"], "fold / unfold every thread"),
        spec(
            A::Sort,
            &["s"],
            "next order: date, (due,) waiting, sender, subject",
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
        spec(A::Undo, &["u"], UNDO_DESC),
        spec(
            A::ToggleMark,
            &["m"],
            "mark / unmark the row: triage keys then act on every marked row",
        ),
        spec(
            A::MarkMatching,
            &["M"],
            "mark every row matching a search (:mark QUERY; Esc clears marks)",
        ),
    ],
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
/// The triage keys in the reader: `o` opens there, so reopen is `O`.
const TRIAGE_READER: &[&[Spec]] = &[
    TRIAGE.split_at(4).0,
    &[spec(
        A::Reopen,
        &["O"],
        "reopen: clear pending, done and snooze",
    )],
    TRIAGE.split_at(5).1,
];

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
        spec(
            A::OpenExternal,
            &["o"],
            "open the HTML part or an attachment with ui.open_command (:open [N])",
        ),
    ],
    &[
        spec(
            A::NextMessage,
            &["J"],
            "next message of the column (its order and view)",
        ),
        spec(A::PrevMessage, &["K"], "previous message of the column"),
        spec(A::NextUnread, &["N"], "next unread message of the column"),
        spec(A::NextEntry, &["Tab"], "conversation: focus the next entry"),
        spec(
            A::PrevEntry,
            &["S-Tab"],
            "conversation: focus the previous entry",
        ),
        spec(
            A::ToggleFold,
            &["e"],
            "conversation: expand / fold the entry in focus",
        ),
        spec(
            A::ToggleFoldAll,
            &["E"],
            "conversation: expand all / fold all but this message",
        ),
    ],
    READER_LAYOUT,
    &[
        spec(A::CommandLine, &[":"], "command line"),
        spec(A::Help, &["?"], "this help"),
    ],
    REPLIES,
    TRIAGE_READER[0],
    TRIAGE_READER[1],
    TRIAGE_READER[2],
    &[spec(A::Undo, &["U"], UNDO_DESC)],
    &[
        spec(A::Close, &["q", "Esc"], "close the reader"),
        spec(A::ForceQuit, &["Ctrl-c"], "quit, from anywhere"),
    ],
];

/// The compose pane. Plain characters are text there, so every key is a control or named key; closing is never
/// a lone Esc (slow links split escape sequences, and a draft must not be lost to that).
const COMPOSE: &[&[Spec]] = &[&[
    spec(
        A::Send,
        &["Ctrl-x"],
        "send (asks for confirmation; again for an empty subject or a missing attachment)",
    ),
    spec(
        A::Editor,
        &["Ctrl-e"],
        "edit the whole reply (headers, text, quote) in $EDITOR",
    ),
    spec(
        A::EditQuote,
        &["Ctrl-o"],
        "edit the quote here (it joins the body)",
    ),
    spec(A::NextFrom, &["Ctrl-n"], "next permitted From identity"),
    spec(A::PrevFrom, &["Ctrl-p"], "previous permitted From identity"),
    spec(
        A::Attach,
        &["Ctrl-t"],
        "attach a file (Tab completes the path)",
    ),
    spec(
        A::Complete,
        &["Tab"],
        "To/Cc/Bcc: complete the address; again: next one",
    ),
    spec(
        A::CompletePrev,
        &["S-Tab"],
        "previous address candidate (Enter accepts)",
    ),
    spec(
        A::Templates,
        &["Ctrl-g"],
        "insert a reply template (type to filter)",
    ),
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
