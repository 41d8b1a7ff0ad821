//! Bytes on the wire: what one `j` costs when the screen is drawn through crossterm into a
//! byte buffer, the way the TUI writes to its terminal (issue 15: ≤ 300 bytes per `j`).

use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;

use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};

use mailroom::engine::Event as EngineEvent;
use mailroom::engine::worker::ConnState;
use mailroom::message::{Flags, Summary};
use mailroom::ui::app::App;
use mailroom::ui::draw::draw;
use mailroom::ui::wire::Wire;

use crate::ui_support::*;

/// A synced shared mailbox as the test bed's holds it: most mail read, some unread, some
/// flagged or answered, some assigned or being replied to by a teammate.
fn rows(n: u32) -> Vec<Summary> {
    let senders = ["Zoë Customer", "Max Mustermann", "Ann Lee", "billing-bot"];
    (1..=n)
        .map(|uid| {
            let subject = if uid % 4 == 2 {
                format!("Re: 注文{uid}について質問があります")
            } else {
                format!("Re: order #{uid} printer will not print double-sided")
            };
            let mut s = msg(
                uid,
                i64::from(n - uid) * 7,
                senders[uid as usize % senders.len()],
                &subject,
            );
            s.flags = Flags {
                seen: uid % 5 != 0,
                flagged: uid % 7 == 0,
                answered: uid % 3 == 0,
                ..Flags::default()
            };
            match uid % 6 {
                0 => {
                    s.keywords = mailroom::message::Keywords::new::<String>(vec![
                        "$assigned.alice".to_string(),
                    ])
                }
                1 => {
                    s.keywords = mailroom::message::Keywords::new::<String>(vec![
                        "$replying.bob".to_string(),
                        "$pending".to_string(),
                    ])
                }
                _ => {}
            }
            s
        })
        .collect()
}

/// One synced column over a 200×60 screen, its connection idling.
fn synced(n: u32) -> App {
    let mut app = sized(
        App::new(&[(0, "support".to_string())], theme(), false),
        200,
        60,
    );
    load(&mut app, 0, rows(n));
    press(
        &mut app,
        [EngineEvent::Link {
            account_idx: 0,
            state: ConnState::Online { idle: true },
            at: NOW,
        }],
    );
    app
}

/// The bytes `app`'s frame after `keys` writes, drawn as the TUI draws (crossterm into the
/// terminal), after a first full frame.
pub fn bytes_for(app: &mut App, keys: &[char]) -> Vec<u8> {
    let wire = Sink::default();
    let (w, h) = app.size();
    let viewport = Viewport::Fixed(Rect::new(0, 0, w, h));
    let mut t = Terminal::with_options(Wire::new(wire.clone(), true), TerminalOptions { viewport })
        .expect("terminal");
    t.draw(|f| draw(app, f)).expect("first frame");
    wire.0.borrow_mut().clear();
    press(app, keys.iter().map(|&c| ch(c)));
    t.draw(|f| draw(app, f)).expect("frame");
    wire.0.take()
}

/// A terminal's input: the bytes written to it.
#[derive(Clone, Default)]
struct Sink(Rc<RefCell<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn one_j_on_a_wide_synced_column_costs_at_most_300_bytes() {
    // crossterm's own backend wrote 527 to 650 bytes here: both rows' blank padding cell by
    // cell, a colour set again with each attribute and each field, a full cursor move after
    // each wide character, four resets at the end.
    let mut app = synced(300);
    for press in 1..=6 {
        let bytes = bytes_for(&mut app, &['j']);
        let text = String::from_utf8_lossy(&bytes).escape_debug().to_string();
        assert!(
            bytes.len() <= 300,
            "j {press}: {} bytes: {text}",
            bytes.len()
        );
        // Only the two rows changed: one move to each.
        assert_eq!(text.matches(";2H").count(), 2, "j {press}: {text}");
    }
}
