//! Entering and leaving the full-screen terminal mode, on every exit path including panics.
//!
//! No mouse capture: over SSH and in tmux, users select and copy text with the mouse.
//! Bracketed paste on: a paste arrives as one event, not as keystrokes that run commands.
//! The window title is set only from numbers and the configured account names
//! (`ui::notify::title_text`), written with OSC 2 after the terminal's own title is saved on
//! its title stack, and restored on every exit path. Notifications (bell, OSC 9/777) are
//! written here too, built by `ui::notify::escape` from cleaned text.

use std::io::{self, IsTerminal, Stdout, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, Once};
use std::thread::{self, ThreadId};

use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use crossterm::terminal::{
    Clear, ClearType, EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use crossterm::{cursor, execute};
use ratatui::Terminal;

use super::notify::escape;
use super::notify::{Alert, Why};
use super::wire::{self, Wire};
use crate::config::notify::Notify as NotifySettings;

/// Frames are written by [`Wire`]: crossterm's backend with fewer bytes a frame.
pub type Term = Terminal<Wire<Stdout>>;

/// The terminal in full-screen mode; dropping it restores the terminal.
pub struct Session {
    pub terminal: Term,
}

static PANIC_HOOK: Once = Once::new();
/// Whether full-screen mode is on, so the hook leaves other terminals (pipes, tests) alone.
static ACTIVE: AtomicBool = AtomicBool::new(false);
/// Whether the title was changed (and the terminal's own saved), so leaving restores it.
static TITLE_SET: AtomicBool = AtomicBool::new(false);
/// The thread that draws; only its panic ends the UI.
static UI_THREAD: Mutex<Option<ThreadId>> = Mutex::new(None);

fn on_ui_thread() -> bool {
    UI_THREAD
        .lock()
        .map(|t| *t == Some(thread::current().id()))
        .unwrap_or(true)
}

/// On the UI thread: restore the terminal first, so the message lands on a usable screen.
/// On other threads while the UI runs: stay quiet, because printing would scribble over the
/// screen; those threads catch their panics and report them as events.
fn install_panic_hook() {
    PANIC_HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if ACTIVE.load(Ordering::SeqCst) {
                if !on_ui_thread() {
                    return;
                }
                restore();
            }
            previous(info);
        }));
    });
}

/// Leaves full-screen mode. Safe to call more than once and when never entered; errors are
/// ignored because there is nothing better to do with a terminal that cannot be reset.
pub fn restore() {
    ACTIVE.store(false, Ordering::SeqCst);
    let mut out = io::stdout();
    if TITLE_SET.swap(false, Ordering::SeqCst) {
        let _ = out.write_all(escape::POP_TITLE);
    }
    let _ = execute!(
        out,
        DisableBracketedPaste,
        LeaveAlternateScreen,
        cursor::Show
    );
    let _ = disable_raw_mode();
    let _ = out.flush();
}

impl Session {
    /// Enters full-screen mode; on failure the terminal is left as it was found.
    pub fn enter() -> io::Result<Session> {
        install_panic_hook();
        if let Ok(mut t) = UI_THREAD.lock() {
            *t = Some(thread::current().id());
        }
        enable_raw_mode()?;
        ACTIVE.store(true, Ordering::SeqCst);
        // From here on, any failure must undo what was done.
        let setup = || -> io::Result<Term> {
            // `Terminal::clear` asks the terminal where the cursor is (ESC[6n) and gives up
            // after 2 s without an answer, which slow SSH links and some multiplexers cause.
            // The alternate screen needs no saved cursor: clear it directly. A fullscreen
            // `Terminal::new` and its resizes never query the cursor.
            execute!(
                io::stdout(),
                EnterAlternateScreen,
                EnableBracketedPaste,
                Clear(ClearType::All)
            )?;
            let term = std::env::var("TERM").ok();
            let bce = wire::erases_with_background(term.as_deref());
            let mut t = Terminal::new(Wire::new(io::stdout(), bce))?;
            t.hide_cursor()?;
            Ok(t)
        };
        match setup() {
            Ok(terminal) => Ok(Session { terminal }),
            Err(e) => {
                restore();
                Err(e)
            }
        }
    }
}

impl Session {
    /// Sets the window title (OSC 2); the first time, the terminal's own title is saved
    /// first, to be restored on leaving.
    pub fn set_title(&mut self, text: &str) -> io::Result<()> {
        let first = !TITLE_SET.swap(true, Ordering::SeqCst);
        let mut out = io::stdout();
        write_title(&mut out, text, first)?;
        out.flush()
    }

    /// Writes one notification as the settings ask (bell, OSC 9/777; tmux's passthrough when
    /// `$TMUX` is set).
    pub fn alert(&mut self, settings: &NotifySettings, alert: &Alert) -> io::Result<()> {
        let tmux = std::env::var_os("TMUX").is_some_and(|t| !t.is_empty());
        let mut out = io::stdout();
        write_alert(&mut out, settings, alert, tmux)?;
        out.flush()
    }
}

/// The title's bytes: the saved title first when `first`.
pub fn write_title(out: &mut impl Write, text: &str, first: bool) -> io::Result<()> {
    if first {
        out.write_all(escape::PUSH_TITLE)?;
    }
    out.write_all(&escape::title(text))
}

/// One notification's bytes: the bell, then the desktop notification.
pub fn write_alert(
    out: &mut impl Write,
    settings: &NotifySettings,
    alert: &Alert,
    tmux: bool,
) -> io::Result<()> {
    if settings.bell {
        out.write_all(escape::BELL)?;
    }
    let title = match alert.why {
        Why::New => "mailroom: new mail",
        Why::Assigned => "mailroom: assigned to you",
    };
    out.write_all(&escape::notification(
        settings.osc,
        title,
        &alert.body(),
        tmux,
    ))
}

impl Drop for Session {
    fn drop(&mut self) {
        restore();
    }
}

/// Whether standard input and output are both a terminal.
pub fn is_terminal() -> bool {
    io::stdout().is_terminal() && io::stdin().is_terminal()
}

/// Edits `text` in `$VISUAL`/`$EDITOR` (else `vi`): the screen is left (raw mode off, main
/// screen back, input thread paused), the editor runs on a private temporary file, then the
/// screen is restored and fully redrawn. Returns the edited text, or why not.
pub fn edit(session: &mut Session, text: &str) -> Result<String, String> {
    use std::os::unix::fs::OpenOptionsExt;
    let editor = std::env::var("VISUAL")
        .ok()
        .filter(|e| !e.trim().is_empty())
        .or_else(|| std::env::var("EDITOR").ok())
        .filter(|e| !e.trim().is_empty())
        .unwrap_or_else(|| "vi".to_string());
    let path = std::env::temp_dir().join(format!(
        "mailroom-{}-{}.eml.txt",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    ));
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    f.write_all(text.as_bytes())
        .and_then(|()| f.write_all(b"\n"))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    drop(f);
    super::input::pause(true);
    let _ = execute!(
        io::stdout(),
        DisableBracketedPaste,
        LeaveAlternateScreen,
        cursor::Show
    );
    let _ = disable_raw_mode();
    // `$EDITOR` may carry arguments ("code -w"): the shell splits it, the path is passed apart.
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("mailroom")
        .arg(&path)
        .status();
    let back = enable_raw_mode().and_then(|()| {
        execute!(
            io::stdout(),
            EnterAlternateScreen,
            EnableBracketedPaste,
            Clear(ClearType::All)
        )
    });
    let _ = session.terminal.hide_cursor();
    let _ = session.terminal.clear();
    super::input::pause(false);
    let result = match status {
        Ok(s) if s.success() => std::fs::read(&path)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .map_err(|e| format!("{}: {e}", path.display())),
        Ok(s) => Err(format!("{editor} ended with {s}; the body is unchanged")),
        Err(e) => Err(format!("cannot run {editor}: {e}")),
    };
    let _ = std::fs::remove_file(&path);
    back.map_err(|e| format!("cannot restore the screen: {e}"))?;
    result
}
