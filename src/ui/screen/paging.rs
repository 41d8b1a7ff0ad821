//! The pager keys every scrolling pane without a keymap of its own shares (the send preview,
//! the stats screen): `j`/`k`, `Space`/`b`, `PageDown`/`PageUp`, `Ctrl-d`/`Ctrl-u`, `g`/`G`,
//! `Home`/`End`, as the reader has them by default.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Where a pager key moves a view of `len` lines, `page` lines high, now scrolled to
/// `scroll`: never past the point where the last line is at the bottom. `None`: not a pager
/// key.
pub(crate) fn paged(k: &KeyEvent, scroll: usize, len: usize, page: usize) -> Option<usize> {
    let page = page.max(1);
    let half = page.div_ceil(2);
    let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
    let plain = (k.modifiers - KeyModifiers::SHIFT).is_empty();
    let to = match k.code {
        KeyCode::Char('d') if ctrl => scroll + half,
        KeyCode::Char('u') if ctrl => scroll.saturating_sub(half),
        _ if !plain => return None,
        KeyCode::Down | KeyCode::Char('j') => scroll + 1,
        KeyCode::Up | KeyCode::Char('k') => scroll.saturating_sub(1),
        KeyCode::PageDown | KeyCode::Char(' ') => scroll + page,
        KeyCode::PageUp | KeyCode::Char('b') => scroll.saturating_sub(page),
        KeyCode::Home | KeyCode::Char('g') => 0,
        KeyCode::End | KeyCode::Char('G') => usize::MAX,
        _ => return None,
    };
    Some(to.min(len.saturating_sub(page)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn pager_keys_move_within_the_text() {
        assert_eq!(paged(&k(KeyCode::Char('G')), 0, 100, 20), Some(80));
        assert_eq!(paged(&k(KeyCode::End), 5, 10, 20), Some(0));
        assert_eq!(paged(&k(KeyCode::Char('g')), 50, 100, 20), Some(0));
        assert_eq!(paged(&k(KeyCode::Char(' ')), 70, 100, 20), Some(80));
        assert_eq!(paged(&k(KeyCode::Char('b')), 30, 100, 20), Some(10));
        assert_eq!(
            paged(
                &KeyEvent::new(KeyCode::Char('d'), KeyModifiers::CONTROL),
                0,
                100,
                20
            ),
            Some(10)
        );
        assert_eq!(paged(&k(KeyCode::Char('x')), 0, 100, 20), None);
        assert_eq!(
            paged(
                &KeyEvent::new(KeyCode::Char('g'), KeyModifiers::ALT),
                9,
                100,
                20
            ),
            None
        );
    }
}
