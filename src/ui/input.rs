//! The input thread: blocks on the terminal and forwards what matters to the UI's channel.

use std::sync::mpsc::Sender;
use std::thread;

use crossterm::event::{self, Event as TermEvent, KeyEventKind};

use super::event::Event;

pub fn spawn(events: Sender<Event>) -> std::io::Result<()> {
    thread::Builder::new().name("input".into()).spawn(move || {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read_loop(&events)));
        if let Err(payload) = result {
            let message = super::terminal::panic_message(payload.as_ref());
            let _ = events.send(Event::InputFailed(message));
        }
    })?;
    Ok(())
}

fn read_loop(events: &Sender<Event>) {
    loop {
        let ev = match event::read() {
            Ok(TermEvent::Key(k)) if k.kind != KeyEventKind::Release => Event::Key(k),
            Ok(TermEvent::Paste(s)) => Event::Paste(s),
            Ok(TermEvent::Resize(w, h)) => Event::Resize(w, h),
            Ok(_) => continue,
            Err(e) => {
                // Without input the user could not even quit: the run loop ends on this.
                let _ = events.send(Event::InputFailed(e.to_string()));
                return;
            }
        };
        if events.send(ev).is_err() {
            return;
        }
    }
}
