//! Catching a panic in code that is not ours — the imap crate's reader unwraps on some
//! malformed server answers (`INTERNALDATE NIL`) — so that a hostile server costs a typed
//! error, never the process, and nothing is printed on the terminal.
//!
//! A leaf: the process-wide panic hook is wrapped once so that a panic inside
//! [`catch_quietly`] on this thread prints nothing (every other panic is reported as before,
//! by whatever hook was there, e.g. the TUI's).

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;

thread_local! {
    static QUIET: Cell<u32> = const { Cell::new(0) };
}

static HOOK: Once = Once::new();

fn install() {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if QUIET.try_with(Cell::get).unwrap_or(0) > 0 {
                return;
            }
            previous(info);
        }));
    });
}

/// Runs `work`; a panic in it becomes `Err` with the panic's text, printed nowhere.
pub fn catch_quietly<T>(work: impl FnOnce() -> T) -> Result<T, String> {
    install();
    QUIET.with(|q| q.set(q.get() + 1));
    let out = catch_unwind(AssertUnwindSafe(work));
    QUIET.with(|q| q.set(q.get().saturating_sub(1)));
    out.map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_its_text_and_the_next_call_works() {
        let r: Result<(), String> = catch_quietly(|| panic!("boom {}", 7));
        assert_eq!(r, Err("boom 7".to_string()));
        assert_eq!(catch_quietly(|| 5), Ok(5));
        assert_eq!(QUIET.with(Cell::get), 0);
    }
}
