//! The UI's state and its one transition function, `update`: no I/O, no clock, no terminal,
//! so every behaviour can be driven by synthetic events in tests.

use std::collections::{HashMap, HashSet};

use ratatui::layout::Rect;

use crate::config::Config;
use crate::config::View;
use crate::engine::event::OutboxStatus;
use crate::engine::{Event as EngineEvent, Request};
use crate::sanitize;
use crate::store::drafts;
use crate::triage::state::Action as TriageAction;
use crate::ui::event::Event;
use crate::ui::keys::{Context, Keymap};
use crate::ui::layout;
pub use crate::ui::layout::Layout;
pub use crate::ui::layout::ReaderMode;
use crate::ui::screen::columns::{Column, Link};
use crate::ui::screen::compose::model::Compose;
use crate::ui::screen::compose::sending::{autosave, send_done};
use crate::ui::screen::confirm::Confirm;
use crate::ui::screen::help::{Help, help_lines_len, inner_width};
use crate::ui::screen::list::{PendingStore, store_done};
use crate::ui::screen::notes::model::{NoteEditor, PendingNote};
use crate::ui::screen::notes::{note_added, notes_arrived};
use crate::ui::screen::prompt::line::{History, Prompt};
use crate::ui::screen::reader::{Reader, SaveDirs, saved};
use crate::ui::screen::stats::model::StatsScreen;
use crate::ui::screen::triage::{triage_done, wake_snoozes};
use crate::ui::screen::{self, Handled, columns, compose, list, on_key, reader, stats, status};
use crate::ui::theme::Theme;

/// Everything on screen, and nothing else.
#[derive(Debug, Clone)]
pub struct App {
    pub(crate) columns: Vec<Column>,
    pub(crate) focus: usize,
    pub(crate) reader: Option<Reader>,
    /// Where the reader goes; kept for the session.
    pub(crate) reader_mode: ReaderMode,
    /// How the accounts are laid out (`ui.layout`, `:layout`); kept for the session.
    pub(crate) layout: Layout,
    /// The `unified` list's line of the selected row on screen (`columns::unified`).
    pub(crate) unified_row: usize,
    /// The last error, sanitized, for the status line.
    pub(crate) error: Option<String>,
    /// The last warning or note (a discarded cache, a reset mailbox, a reserved key),
    /// sanitized, for the status line.
    pub(crate) notice: Option<String>,
    pub(crate) theme: Theme,
    pub(crate) no_color: bool,
    /// The live key bindings (defaults plus `[keys]`).
    pub(crate) keymap: Keymap,
    /// The agent at the keyboard, for the "mine" count.
    pub(crate) agent_id: Option<String>,
    pub(crate) help: Option<Help>,
    /// The stats screen (`S`), over the columns.
    pub(crate) stats: Option<StatsScreen>,
    /// The open `:` or `/` line.
    pub(crate) prompt: Option<Prompt>,
    pub(crate) command_history: History,
    pub(crate) filter_history: History,
    /// Terminal size in cells (width, height).
    pub(crate) size: (u16, u16),
    /// Unix seconds, for row ages; set by `Event::Tick`.
    pub(crate) now: i64,
    /// Set when the screen needs redrawing; the run loop clears it after drawing.
    pub(crate) dirty: bool,
    /// Set once the user has chosen to leave; the run loop ends after carrying out the
    /// requests made with it (a draft saved, a "replying" mark cleared).
    quit: bool,
    /// Text to edit in `$EDITOR`: the run loop holds the terminal, so it takes this and
    /// answers with `Event::Edited`.
    editor: Option<String>,
    /// Whether the columns group rows by thread (`t`, `:threads`).
    pub(crate) threaded: bool,
    /// The outbox as last reported by its thread.
    pub(crate) outbox: OutboxStatus,
    /// Where attachments are saved.
    pub(crate) save_dirs: SaveDirs,
    /// The configuration, for the compose pane's policy (identities, signatures).
    pub(crate) config: Option<std::sync::Arc<Config>>,
    /// The open compose pane (over the columns and the reader).
    pub(crate) compose: Option<Compose>,
    /// Per account: the rows of its Sent folder's recipients for address completion (asked
    /// on the first completion; `None` while awaited).
    pub(crate) sent_recipients:
        std::collections::HashMap<usize, Option<Vec<crate::message::Summary>>>,
    /// Saved drafts, newest first (restored at start, kept up to date while composing).
    pub(crate) drafts: Vec<drafts::Draft>,
    /// The `:drafts` pane.
    pub(crate) drafts_pane: Option<crate::ui::screen::drafts::DraftsPane>,
    /// The `:review` pane.
    pub(crate) review: Option<crate::ui::screen::review::ReviewPane>,
    /// The open yes/no question, which takes the next key.
    pub(crate) confirm: Option<Confirm>,
    /// The message (account, UID) this client marked `$replying.<agent>` for the open compose
    /// pane; cleared when the pane is sent or closed.
    pub(crate) replying_mark: Option<(usize, u32)>,
    /// Names the next store or search, so answers can be matched to requests.
    pub(crate) next_id: u64,
    pub(crate) pending_stores: HashMap<u64, PendingStore>,
    /// Triage actions sent to workers, by id: (account, UID, what was asked).
    pub(crate) pending_triage: HashMap<u64, (usize, u32, TriageAction)>,
    /// This session's team changes, for `u` / `:undo`.
    pub(crate) undo: crate::ui::undo::UndoStack,
    /// The open internal note pane (`n`).
    pub(crate) note: Option<NoteEditor>,
    /// Notes sent to workers, by id, so a failed one can be given back.
    pub(crate) pending_notes: HashMap<u64, PendingNote>,
    /// Ended snoozes being cleared, by store id, so each is asked for once.
    pub(crate) waking: HashMap<u64, (usize, u32, Vec<String>)>,
    /// Ended snoozes the server refused to clear: not asked again this session.
    pub(crate) wake_refused: HashSet<(usize, u32)>,
    /// The status line's message: its time, its screen, the `:messages` history.
    pub(crate) status: status::Status,
    /// New mail and assignments: highlighted rows, the title, alerts (`ui::notify`).
    pub(crate) notify: crate::ui::notify::Notify,
    /// The team policies the workers reported (`ui::team_policy`).
    pub(crate) team: crate::ui::team_policy::TeamPolicies,
}

impl App {
    /// `columns`: (account index, account name), left to right.
    pub fn new(columns: &[(usize, String)], theme: Theme, no_color: bool) -> App {
        App {
            columns: columns
                .iter()
                .map(|(i, name)| Column::new(*i, name))
                .collect(),
            focus: 0,
            reader: None,
            reader_mode: ReaderMode::default(),
            layout: Layout::default(),
            unified_row: 0,
            error: None,
            notice: None,
            theme,
            no_color,
            keymap: Keymap::default(),
            agent_id: None,
            help: None,
            stats: None,
            prompt: None,
            command_history: History::default(),
            filter_history: History::default(),
            size: (80, 24),
            now: 0,
            dirty: true,
            quit: false,
            editor: None,
            threaded: false,
            outbox: OutboxStatus::default(),
            save_dirs: SaveDirs::default(),
            config: None,
            compose: None,
            sent_recipients: std::collections::HashMap::new(),
            drafts: Vec::new(),
            drafts_pane: None,
            review: None,
            confirm: None,
            replying_mark: None,
            next_id: 1,
            pending_stores: HashMap::new(),
            pending_triage: HashMap::new(),
            undo: Default::default(),
            note: None,
            pending_notes: HashMap::new(),
            waking: HashMap::new(),
            wake_refused: HashSet::new(),
            status: status::Status::default(),
            notify: crate::ui::notify::Notify::default(),
            team: Default::default(),
        }
    }

    /// Uses `keymap` instead of the default bindings.
    /// Lays the accounts out as `layout` says (`ui.layout`, which `with_config` reads).
    pub fn with_layout(mut self, layout: Layout) -> App {
        self.layout = layout;
        self
    }

    pub fn with_keymap(mut self, keymap: Keymap) -> App {
        self.keymap = keymap;
        self
    }

    /// Saves attachments into `dirs`'s folders.
    pub fn with_save_dirs(mut self, dirs: SaveDirs) -> App {
        self.save_dirs = dirs;
        self
    }

    /// Uses `config` for composing (identities, signatures).
    pub fn with_config(mut self, config: std::sync::Arc<Config>) -> App {
        // Validation has checked the name; an unknown one keeps the default.
        let view = View::parse(&config.ui.view).unwrap_or_default();
        self.layout = config.ui.layout;
        let h = self.list_height();
        for c in &mut self.columns {
            c.set_team_view(view, h);
        }
        self.config = Some(config);
        self
    }

    /// The drafts found at start (newest first); the status line says how many.
    pub fn with_drafts(mut self, list: Vec<drafts::Draft>, damaged: usize) -> App {
        let n = list.len();
        self.drafts = list;
        let mut note = match n {
            0 => String::new(),
            1 => "1 draft restored (:drafts lists it, :drafts 1 reopens it)".to_string(),
            n => format!("{n} drafts restored (:drafts lists them, :drafts N reopens one)"),
        };
        if damaged > 0 {
            if !note.is_empty() {
                note.push_str("; ");
            }
            note.push_str(&format!("{damaged} damaged draft file(s) skipped"));
        }
        if !note.is_empty() {
            self.notice = Some(note);
        }
        self
    }

    /// Counts messages assigned to `agent_id` as "mine".
    pub fn with_agent(mut self, agent_id: &str) -> App {
        let agent = agent_id.to_ascii_lowercase();
        for c in &mut self.columns {
            c.agent = Some(agent.clone());
            c.recount();
        }
        self.agent_id = Some(agent_id.to_string());
        self
    }

    /// Marks the column of `account_idx` as an IMAP account: search and refresh ask its
    /// server (the run loop sets this from the configuration).
    pub fn with_imap(mut self, account_idx: usize) -> App {
        if let Some(c) = self.column_mut(account_idx) {
            c.imap = true;
        }
        self
    }

    /// Gives the column of `account_idx` the first-response target of its team policy (the
    /// policy in force's `[sla]`; `None`: no target).
    pub fn with_sla(mut self, account_idx: usize, sla: Option<crate::policy::team::Sla>) -> App {
        columns::sla::on_target(&mut self, account_idx, sla);
        self
    }

    // Read-only views for the tests and the benches: what is on screen, not how it is kept.
    // The screens inside the crate use the fields.

    /// The columns, left to right.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// The index of the focused column.
    pub fn focus(&self) -> usize {
        self.focus
    }

    pub fn reader(&self) -> Option<&Reader> {
        self.reader.as_ref()
    }

    /// Where the reader goes (kept for the session, even while it is closed).
    pub fn reader_mode(&self) -> ReaderMode {
        self.reader_mode
    }

    /// How the accounts are laid out (`ui.layout`, `:layout`).
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// The error on the status line.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// The warning or note on the status line.
    pub fn notice(&self) -> Option<&str> {
        self.notice.as_deref()
    }

    /// The status line's message state and its `:messages` history.
    pub fn status(&self) -> &status::Status {
        &self.status
    }

    /// New mail and assignments: the highlighted rows.
    pub fn notify(&self) -> &crate::ui::notify::Notify {
        &self.notify
    }

    pub fn help(&self) -> Option<&Help> {
        self.help.as_ref()
    }

    pub fn stats(&self) -> Option<&StatsScreen> {
        self.stats.as_ref()
    }

    /// The open `:` or `/` line.
    pub fn prompt(&self) -> Option<&Prompt> {
        self.prompt.as_ref()
    }

    pub fn compose(&self) -> Option<&Compose> {
        self.compose.as_ref()
    }

    /// The saved drafts, newest first.
    pub fn drafts(&self) -> &[drafts::Draft] {
        &self.drafts
    }

    /// The open yes/no question.
    pub fn confirm(&self) -> Option<&Confirm> {
        self.confirm.as_ref()
    }

    /// The open internal note pane.
    pub fn note(&self) -> Option<&NoteEditor> {
        self.note.as_ref()
    }

    /// The message (account, UID) marked `$replying` for the open compose pane.
    pub fn replying_mark(&self) -> Option<(usize, u32)> {
        self.replying_mark
    }

    /// Whether the columns group rows by thread.
    pub fn threaded(&self) -> bool {
        self.threaded
    }

    /// Terminal size in cells (width, height).
    pub fn size(&self) -> (u16, u16) {
        self.size
    }

    /// Whether the screen must be drawn again.
    pub fn needs_redraw(&self) -> bool {
        self.dirty
    }

    /// What the run loop does after drawing: nothing is left to redraw.
    pub fn mark_drawn(&mut self) {
        self.dirty = false;
    }

    pub(crate) fn area(&self) -> Rect {
        Rect::new(0, 0, self.size.0, self.size.1)
    }

    pub(crate) fn reader_view(&self) -> Option<ReaderMode> {
        self.reader.as_ref().map(|_| self.reader_mode)
    }

    /// Message rows visible in a column at the current size (and reader placement).
    pub fn list_height(&self) -> usize {
        let plan = layout::plan_with(
            self.area(),
            self.columns.len(),
            self.focus,
            self.reader_view(),
            self.layout,
        );
        plan.columns
            .first()
            .map_or(0, |(_, r)| usize::from(layout::column_parts(*r).1.height))
    }

    /// The reader body's (width, height) at the current size.
    pub fn reader_body_size(&self) -> (usize, usize) {
        let plan = layout::plan_with(
            self.area(),
            self.columns.len(),
            self.focus,
            Some(self.reader_mode),
            self.layout,
        );
        let n = self.reader.as_ref().map_or(0, Reader::header_lines);
        plan.reader.map_or((0, 0), |a| {
            let (_, _, body) = layout::reader_parts(a, n);
            (usize::from(body.width), usize::from(body.height))
        })
    }

    /// The compose body's (width, height) at the current size: what the pane shows under its
    /// header lines.
    pub fn compose_body_size(&self) -> (usize, usize) {
        let inner = layout::inside_border(layout::compose_area(self.area()));
        let head = self.compose.as_ref().map_or(0, Compose::head_lines);
        (
            usize::from(inner.width),
            usize::from(inner.height).saturating_sub(head),
        )
    }

    /// The note pane's text area (width, height) at the current size.
    pub fn note_body_size(&self) -> (usize, usize) {
        layout::note_area(self.area()).map_or((0, 0), |a| {
            let inner = layout::inside_border(a);
            (usize::from(inner.width), usize::from(inner.height))
        })
    }

    /// Scrolls the compose and note editors so their cursor rows stay on screen (after an
    /// edit, a move or a resize, which rewraps).
    pub(crate) fn fit_editors(&mut self) {
        let (w, h) = self.compose_body_size();
        if let Some(c) = &mut self.compose {
            c.body.fit(w, h);
        }
        let (w, h) = self.note_body_size();
        if let Some(n) = &mut self.note {
            n.body.fit(w, h);
        }
    }

    /// Lines of the help overlay's body at the current size.
    pub fn help_height(&self) -> usize {
        usize::from(layout::help_area(self.area()).height.saturating_sub(2))
    }

    /// Where keys go now (below any help overlay or open line).
    pub fn context(&self) -> Context {
        screen::context(self)
    }

    pub(crate) fn column_mut(&mut self, account_idx: usize) -> Option<&mut Column> {
        self.columns
            .iter_mut()
            .find(|c| c.account_idx == account_idx)
    }

    pub(crate) fn column_name(&self, account_idx: usize) -> &str {
        self.columns
            .iter()
            .find(|c| c.account_idx == account_idx)
            .map_or("", |c| c.name.as_str())
    }

    pub(crate) fn set_error(&mut self, message: String) {
        self.status.raised();
        self.error = Some(message);
    }

    /// A warning about an account, prefixed with its name.
    pub(crate) fn set_notice(&mut self, account_idx: usize, message: &str) {
        let name = self.column_name(account_idx);
        let message = sanitize::single_line(message.trim());
        self.notice = Some(if name.is_empty() {
            message
        } else {
            format!("{name}: {message}")
        });
        self.status.raised();
    }

    /// A note for the status line that replaces an older error: it answers the last key.
    pub(crate) fn say(&mut self, message: impl Into<String>) {
        self.status.raised();
        self.error = None;
        self.notice = Some(message.into());
    }

    pub(crate) fn fail(&mut self, message: impl Into<String>) {
        self.status.raised();
        self.notice = None;
        self.error = Some(message.into());
    }

    /// Whether the screen shows a countdown, so the clock should tick every second.
    pub fn needs_clock(&self) -> bool {
        // While composing, the clock drives the draft's autosave.
        self.compose.is_some()
            || status::needs_clock(self)
            || crate::ui::notify::needs_clock(self)
            || self.columns.iter().any(|c| {
                matches!(c.link, Some(Link::Offline { retry_at, .. }) if retry_at > self.now)
                    // A snooze ending within the minute wakes on time, not up to a tick late.
                    || c.counts.next_wake.is_some_and(|w| w <= self.now + 60)
            })
    }

    /// Re-fits scroll positions and wrapping after a resize or a layout change.
    pub(crate) fn fit_views(&mut self) {
        let h = self.list_height();
        for c in &mut self.columns {
            c.clamp_view(h);
        }
        let (w, h) = self.reader_body_size();
        if let Some(r) = &mut self.reader {
            if r.wrap_width != w {
                r.rewrap(w);
            }
            let scroll = r.scroll;
            r.scroll_to(scroll, h);
        }
        let page = self.help_height();
        let help_w = inner_width(self.area());
        if let Some(help) = &mut self.help {
            let max = help_lines_len(&self.keymap, help.context, help_w).saturating_sub(page);
            help.scroll = help.scroll.min(max);
        }
    }

    pub(crate) fn take_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Whether the user has chosen to leave (the run loop ends).
    pub fn quitting(&self) -> bool {
        self.quit
    }

    /// The text to edit in `$EDITOR`, once: the run loop suspends the screen for it.
    pub fn take_editor(&mut self) -> Option<String> {
        self.editor.take()
    }

    /// Leaves the UI: the run loop ends once the requests made with it are handed over.
    pub(crate) fn leave(&mut self) -> Vec<Request> {
        self.quit = true;
        Vec::new()
    }

    /// Asks the run loop to edit `text` in `$EDITOR`; answered by `Event::Edited`.
    pub(crate) fn edit(&mut self, text: String) -> Vec<Request> {
        self.editor = Some(text);
        Vec::new()
    }
}

/// Applies one event; returns what must be done outside. Whether the screen must be redrawn
/// is decided here, and only here: an event redraws when its handler reports a change (see
/// `screen::Handled`); a tick always does (row ages, countdowns), and `needs_clock` decides how
/// often ticks come.
pub fn update(app: &mut App, event: impl Into<Event>) -> Vec<Request> {
    let event = event.into();
    let key = matches!(event, Event::Key(_));
    let commands = match apply(app, event) {
        Some(commands) => {
            app.dirty = true;
            commands
        }
        None => Vec::new(),
    };
    if app.compose.is_some() || app.note.is_some() {
        app.fit_editors();
    }
    status::settle(app);
    crate::ui::notify::settle(app, key);
    commands
}

/// A handler that changed something (or not) and asks for nothing.
fn changed(yes: bool) -> Handled {
    yes.then(Vec::new)
}

fn apply(app: &mut App, event: Event) -> Handled {
    match event {
        Event::Key(k) => on_key(app, &k),
        // With bracketed paste, a paste is one inert event instead of a burst of keystrokes
        // that would each run a command; only an open line takes it, as text.
        Event::Paste(text) => changed(screen::on_paste(app, text)),
        // The run loop ends on this before it gets here; quitting is all that is left.
        Event::InputFailed(_) => Some(app.leave()),
        Event::Resize(w, h) => {
            app.size = (w, h);
            app.fit_views();
            Some(Vec::new())
        }
        Event::Tick(now) => {
            app.now = now;
            status::tick(app, now);
            crate::ui::notify::tick(app, now);
            let mut commands = wake_snoozes(app, now);
            commands.extend(crate::ui::screen::read_state::tick(app, now));
            commands.extend(autosave(app, false));
            Some(commands)
        }
        Event::Edited(result) => {
            if crate::ui::screen::review::is_editing(app) {
                crate::ui::screen::review::on_edited(app, result);
            } else {
                compose::on_edited(app, result);
            }
            Some(Vec::new())
        }
        Event::Engine(event) => {
            let asks = crate::ui::notify::observe(app, &event);
            crate::ui::notify::join(apply_engine(app, event), asks)
        }
    }
}

/// An engine event goes to the screen whose state it changes.
fn apply_engine(app: &mut App, event: EngineEvent) -> Handled {
    match event {
        EngineEvent::TriageDone {
            account_idx,
            id,
            uid,
            result,
        } => {
            triage_done(app, account_idx, id, uid, result);
            Some(Vec::new())
        }
        EngineEvent::NoteAdded {
            account_idx,
            id,
            uid,
            result,
        } => Some(note_added(app, account_idx, id, uid, result)),
        EngineEvent::Notes {
            account_idx,
            message_id,
            notes,
        } => changed(notes_arrived(app, account_idx, &message_id, notes)),
        EngineEvent::SendDone { draft_id, result } => Some(send_done(app, &draft_id, result)),
        EngineEvent::Stats { id, result } => changed(stats::on_stats(app, id, result)),
        EngineEvent::Review {
            id,
            account_idx,
            result,
        } => crate::ui::screen::review::on_review(app, id, account_idx, result),
        EngineEvent::Status {
            account_idx,
            exists,
        } => changed(columns::on_status(app, account_idx, exists)),
        EngineEvent::Rows { account_idx, rows } => columns::on_rows(app, account_idx, rows),
        EngineEvent::Cached { account_idx, rows } => columns::on_cached(app, account_idx, rows),
        EngineEvent::Synced {
            account_idx,
            exists,
        } => changed(columns::on_synced(app, account_idx, exists)),
        EngineEvent::Flags {
            account_idx,
            updates,
        } => columns::on_flags(app, account_idx, updates),
        EngineEvent::Snoozes { account_idx, wakes } => columns::on_snoozes(app, account_idx, wakes),
        EngineEvent::Policy { account, learned } => {
            changed(crate::ui::team_policy::on_policy(app, account, learned))
        }
        EngineEvent::Vanished { account_idx, uids } => {
            changed(columns::on_vanished(app, account_idx, uids))
        }
        EngineEvent::Reset {
            account_idx,
            reason,
        } => changed(columns::on_reset(app, account_idx, reason)),
        EngineEvent::Warning {
            account_idx,
            message,
        } => {
            status::on_warning(app, account_idx, message);
            Some(Vec::new())
        }
        EngineEvent::Link {
            account_idx,
            state,
            at,
        } => changed(columns::on_link(app, account_idx, state, at)),
        EngineEvent::Loaded { account_idx } => changed(columns::on_loaded(app, account_idx)),
        EngineEvent::Progress {
            account_idx,
            held,
            exists,
        } => changed(columns::progress::on_progress(
            app,
            account_idx,
            held,
            exists,
        )),
        EngineEvent::Error {
            account_idx,
            message,
        } => {
            status::on_error(app, account_idx, message);
            Some(Vec::new())
        }
        EngineEvent::Body {
            account_idx,
            uid,
            body,
        } => {
            let quoted = compose::on_quote(app, account_idx, uid, &body);
            let shown = reader::on_body(app, account_idx, uid, body);
            changed(quoted || shown)
        }
        EngineEvent::Access {
            account_idx,
            rights,
            team_state,
        } => changed(columns::on_access(app, account_idx, rights, team_state)),
        EngineEvent::StoreDone {
            account_idx,
            id,
            uid,
            result,
        } => store_done(app, account_idx, id, uid, result),
        EngineEvent::Saved { results } => {
            saved(app, &results);
            Some(Vec::new())
        }
        EngineEvent::Launched { result } => {
            crate::ui::screen::reader::open::on_launched(app, result);
            Some(Vec::new())
        }
        EngineEvent::Outbox(status) => changed(status::on_outbox(app, status)),
        EngineEvent::SearchDone {
            account_idx,
            id,
            result,
        } => changed(list::on_search_done(app, account_idx, id, result)),
        EngineEvent::Conversation {
            account_idx,
            uid,
            replies,
        } => changed(reader::conversation::on_conversation(
            app,
            account_idx,
            uid,
            replies,
        )),
        EngineEvent::Previewed { id, result } => changed(compose::on_previewed(app, id, result)),
        EngineEvent::Attached {
            draft_id,
            path,
            result,
        } => changed(compose::on_attached(app, &draft_id, path, result)),
        EngineEvent::SentRecipients {
            account_idx,
            result,
        } => {
            // Without them completion ranks by the account's own mail: nothing to say.
            app.sent_recipients
                .insert(account_idx, Some(result.unwrap_or_default()));
            None
        }
        EngineEvent::AddressBook { id, result, .. } => {
            changed(compose::on_address_book(app, id, result))
        }
        EngineEvent::PathCompleted { typed, text, names } => {
            changed(compose::on_path_completed(app, &typed, &text, &names))
        }
    }
}
