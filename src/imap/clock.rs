//! The overall deadline of each IMAP command, kept beside the connection's read budget.
//!
//! A per-read timeout alone never stops a server that drips one byte just before each read
//! would time out. The [`Clock`] is re-armed whenever a tagged command goes out (and when the
//! engine grants a budget), and the stream under the session sets the socket's timeouts to
//! what is left of it before every read and write.

use std::time::Duration;

use crate::net::{self, Deadline};

/// How the deadline of the next command(s) is armed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arm {
    /// The account's configured deadline (`deadline`, default [`net::DEFAULT_DEADLINE`]).
    Default,
    /// A specific deadline for this command.
    For(Duration),
    /// No overall deadline (IDLE waits as long as its own timeout): per-read timeouts only.
    Off,
}

#[derive(Debug)]
pub struct Clock {
    base: Duration,
    mode: Arm,
    armed: Option<Deadline>,
    /// The command the deadline is for, e.g. `UID FETCH` (or `greeting` before the first).
    command: String,
    /// Whether the last byte written ended a line: the next write may start a command.
    at_line_start: bool,
}

impl Clock {
    /// A clock armed with `base` for the greeting.
    pub fn new(base: Duration) -> Clock {
        Clock {
            base,
            mode: Arm::Default,
            armed: Some(Deadline::start(base)),
            command: "greeting".into(),
            at_line_start: true,
        }
    }

    /// Arms the deadline now and for the commands that follow.
    pub fn arm(&mut self, mode: Arm) {
        self.mode = mode;
        self.rearm();
    }

    fn rearm(&mut self) {
        self.armed = match self.mode {
            Arm::Default => Some(Deadline::start(self.base)),
            Arm::For(d) => Some(Deadline::start(d)),
            Arm::Off => None,
        };
    }

    /// Before a write: a tagged command starting a line re-arms the deadline for it.
    pub fn writing(&mut self, data: &[u8]) {
        if self.at_line_start
            && let Some(name) = command_name(data)
        {
            self.command = name;
            self.rearm();
        }
    }

    /// After a write of `data` (the part that went out).
    pub fn written(&mut self, data: &[u8]) {
        if let Some(&last) = data.last() {
            self.at_line_start = last == b'\n';
        }
        self.moved(data.len());
    }

    pub fn moved(&mut self, n: usize) {
        if let Some(d) = self.armed.as_mut() {
            d.moved(n);
        }
    }

    /// The socket timeout for the next read or write: what is left of the deadline, at most
    /// `io`; `Ok(None)` when no deadline is armed; an error once it has passed.
    pub fn timeout(&self, io: Duration) -> std::io::Result<Option<Duration>> {
        match &self.armed {
            None => Ok(None),
            Some(d) => match d.left() {
                Some(left) => Ok(Some(left.min(io))),
                None => Err(d.error(&self.command)),
            },
        }
    }

    /// The error for a read or write that timed out after `after`.
    pub fn timed_out(&self, after: Duration) -> std::io::Error {
        match &self.armed {
            Some(d) if d.left().is_none() => d.error(&self.command),
            _ => net::timed_out(&self.command, after),
        }
    }
}

/// `UID FETCH` from `a12 UID FETCH 1:* (FLAGS)\r\n`, `LIST` from `a3 LIST "" *`: the imap
/// crate's tags are `a` and a number. `None` for anything else (literal data, `DONE`).
fn command_name(data: &[u8]) -> Option<String> {
    let line = data.split(|&b| b == b'\r' || b == b'\n').next()?;
    let text = std::str::from_utf8(line.get(..line.len().min(64))?).ok()?;
    let mut words = text.split(' ');
    let tag = words.next()?;
    let digits = tag.strip_prefix('a')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let word = |w: &str| {
        (!w.is_empty() && w.bytes().all(|b| b.is_ascii_alphabetic()))
            .then(|| w.to_ascii_uppercase())
    };
    let first = word(words.next()?)?;
    if first == "UID"
        && let Some(second) = words.next().and_then(word)
    {
        return Some(format!("UID {second}"));
    }
    Some(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_names() {
        assert_eq!(
            command_name(b"a12 UID FETCH 1:* (FLAGS)\r\n").as_deref(),
            Some("UID FETCH")
        );
        assert_eq!(command_name(b"a3 LIST \"\" *\r\n").as_deref(), Some("LIST"));
        assert_eq!(command_name(b"a1 noop").as_deref(), Some("NOOP"));
        assert_eq!(command_name(b"DONE\r\n"), None);
        assert_eq!(command_name(b"From: a1 X\r\n"), None);
        assert_eq!(command_name(b"a LOGIN x\r\n"), None);
    }

    #[test]
    fn a_command_rearms_and_off_disarms() {
        let mut c = Clock::new(Duration::ZERO);
        assert!(c.timeout(Duration::from_secs(30)).is_err());
        c.arm(Arm::For(Duration::from_secs(60)));
        c.writing(b"a1 UID FETCH 1 BODY[]\r\n");
        c.written(b"a1 UID FETCH 1 BODY[]\r\n");
        let t = c.timeout(Duration::from_secs(30)).unwrap();
        assert_eq!(t, Some(Duration::from_secs(30)));
        c.arm(Arm::Off);
        c.writing(b"a2 IDLE\r\n");
        assert_eq!(c.timeout(Duration::from_secs(30)).unwrap(), None);
        // A passed deadline names the command.
        let mut c = Clock::new(Duration::from_secs(5));
        c.arm(Arm::For(Duration::ZERO));
        c.writing(b"a7 SELECT \"INBOX\"\r\n");
        let e = c.timeout(Duration::from_secs(30)).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("SELECT did not complete within 0 s"),
            "{e}"
        );
        // Bytes moved extend it: real progress is never cut off.
        c.moved(net::MIN_RATE as usize * 2);
        assert!(c.timeout(Duration::from_secs(30)).unwrap().is_some());
        // A plain per-read timeout says so, not EAGAIN.
        let c = Clock::new(Duration::from_secs(60));
        let e = c.timed_out(Duration::from_secs(30));
        assert!(e.to_string().contains("timed out after 30 s"), "{e}");
    }
}
