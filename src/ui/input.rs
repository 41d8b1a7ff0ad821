//! The input thread: blocks on the terminal and forwards what matters to the UI's channel.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::thread;
use std::time::{Duration, Instant};

use crossterm::event::{self, Event as TermEvent, KeyEventKind};

use super::event::Event;
use crate::engine::job::{self, JobError};

pub fn spawn(events: Sender<Event>) -> std::io::Result<()> {
    let report = events.clone();
    job::spawn(
        "input",
        move || read_loop(&events),
        move |result| {
            if let Err(JobError::Panicked { message, .. }) = result {
                let _ = report.send(Event::InputFailed(message));
            }
        },
    )?;
    Ok(())
}

/// Asked to stop reading (an external editor owns the terminal).
static PAUSE: AtomicBool = AtomicBool::new(false);
/// The input thread has seen the request and reads nothing until it is lifted.
static PAUSED: AtomicBool = AtomicBool::new(false);
/// How long a read waits before looking at `PAUSE` again.
const POLL: Duration = Duration::from_millis(50);

/// Stops (or resumes) reading the terminal; stopping waits briefly until the thread is idle,
/// so no keystroke meant for `$EDITOR` is taken.
pub fn pause(on: bool) {
    PAUSE.store(on, Ordering::SeqCst);
    if on {
        let start = Instant::now();
        while !PAUSED.load(Ordering::SeqCst) && start.elapsed() < Duration::from_millis(500) {
            thread::sleep(Duration::from_millis(5));
        }
    }
}

fn read_loop(events: &Sender<Event>) {
    loop {
        if PAUSE.load(Ordering::SeqCst) {
            PAUSED.store(true, Ordering::SeqCst);
            thread::sleep(Duration::from_millis(10));
            continue;
        }
        PAUSED.store(false, Ordering::SeqCst);
        match event::poll(POLL) {
            Ok(false) => continue,
            Ok(true) if PAUSE.load(Ordering::SeqCst) => continue,
            _ => {}
        }
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
