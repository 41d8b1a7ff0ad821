//! The `address_book_command` runner (aerc's contract): the program gets the query as its
//! last argument and prints `address<TAB>name` lines (the name is optional). Run as argv,
//! never through a shell, with stdin closed, a deadline and a cap on what is read; a program
//! that hangs is killed, one that prints too much is cut off. Runs off the UI thread, as a
//! compose job (`Request::AddressBook`, answered by `Event::AddressBook`): the compose pane's
//! To/Cc/Bcc completion merges its entries (`ui::screen::compose::complete`).

use std::io::Read;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// Most entries taken from one answer.
pub const MAX_ENTRIES: usize = 200;
/// How long the program may take for one query.
pub const DEADLINE: Duration = Duration::from_secs(5);
/// Most bytes read from one answer.
pub const MAX_BYTES: usize = 256 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressBookError {
    #[error("address_book_command: no program is configured")]
    NoProgram,
    #[error("address_book_command: cannot run {program}: {reason}")]
    Spawn { program: String, reason: String },
    #[error("address_book_command: {program} still ran after {secs} s: stopped")]
    Timeout { program: String, secs: u64 },
    #[error("address_book_command: {program} ended with {status}")]
    Failed { program: String, status: String },
}

/// One answer line: a plausible address and its (sanitized) name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub email: String,
    pub name: Option<String>,
}

/// Runs `argv` with `query` appended and reads its answer: at most `max_bytes` of stdout,
/// within `deadline`.
pub fn run(
    argv: &[String],
    query: &str,
    deadline: Duration,
    max_bytes: usize,
) -> Result<Vec<Entry>, AddressBookError> {
    let (program, args) = argv.split_first().ok_or(AddressBookError::NoProgram)?;
    let mut child = Command::new(program)
        .args(args)
        .arg(query)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| AddressBookError::Spawn {
            program: program.clone(),
            reason: e.to_string(),
        })?;
    let stdout = child.stdout.take();
    let cap = max_bytes as u64;
    let reader = thread::spawn(move || {
        let mut out = Vec::new();
        if let Some(s) = stdout {
            let _ = s.take(cap).read_to_end(&mut out);
        }
        out
    });
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if reader.is_finished() && start.elapsed() >= deadline / 2 => {
                // The cap is reached (or stdout closed) and the program lingers: stop it.
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) if start.elapsed() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(AddressBookError::Timeout {
                    program: program.clone(),
                    secs: deadline.as_secs(),
                });
            }
            Ok(None) => thread::sleep(Duration::from_millis(10)),
            Err(e) => {
                return Err(AddressBookError::Failed {
                    program: program.clone(),
                    status: e.to_string(),
                });
            }
        }
    };
    let mut out = reader.join().unwrap_or_default();
    let capped = out.len() >= max_bytes;
    if capped {
        // Cut off: the program may have died of the closed pipe; the last line is partial.
        let end = out.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        out.truncate(end);
    } else if let Some(status) = status
        && !status.success()
    {
        return Err(AddressBookError::Failed {
            program: program.clone(),
            status: status.to_string(),
        });
    }
    Ok(parse(&String::from_utf8_lossy(&out)))
}

/// The entries of an answer: `address<TAB>name` lines; others are skipped.
pub fn parse(text: &str) -> Vec<Entry> {
    text.lines()
        .filter_map(|line| {
            let (email, name) = match line.split_once('\t') {
                Some((e, n)) => (e.trim(), Some(n)),
                None => (line.trim(), None),
            };
            let plausible = email.len() <= 254
                && email.matches('@').count() == 1
                && !email.starts_with('@')
                && !email.ends_with('@')
                && !email
                    .chars()
                    .any(|c| c.is_whitespace() || c.is_control() || "<>,;\"()\\".contains(c));
            plausible.then(|| Entry {
                email: email.to_lowercase(),
                name: name
                    .map(|n| crate::sanitize::single_line(n).trim().to_string())
                    .filter(|n| !n.is_empty()),
            })
        })
        .take(MAX_ENTRIES)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Vec<String> {
        vec!["sh".into(), "-c".into(), script.into(), "sh".into()]
    }

    #[test]
    fn reads_address_tab_name_lines_for_the_query() {
        // The query arrives as one argument, never read by a shell.
        let got = run(
            &sh("printf 'carol@customer.test\\tCarol C\\nnot an address\\n%s@x.test\\n' \"$1\""),
            "q; rm -rf /",
            Duration::from_secs(5),
            1 << 20,
        )
        .unwrap();
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].email, "carol@customer.test");
        assert_eq!(got[0].name.as_deref(), Some("Carol C"));
        let got = run(
            &sh("printf '%s@x.test\\n' \"$1\""),
            "dan",
            Duration::from_secs(5),
            1 << 20,
        )
        .unwrap();
        assert_eq!(got[0].email, "dan@x.test");
    }

    #[test]
    fn hostile_huge_slow_and_failing_commands() {
        // Control characters in names are made harmless.
        let got = parse("a@b.test\tEvil\u{1b}[2J\r\n");
        assert!(!got[0].name.as_deref().unwrap_or("").contains('\u{1b}'));
        // Huge: cut at the cap, the program stopped; at most MAX_ENTRIES.
        let t = Instant::now();
        let got = run(
            &sh("yes 'x@y.test\tX'"),
            "q",
            Duration::from_secs(4),
            64 * 1024,
        )
        .unwrap();
        assert!(got.len() <= MAX_ENTRIES && !got.is_empty());
        assert!(t.elapsed() < Duration::from_secs(4));
        // Slow: stopped at the deadline.
        let t = Instant::now();
        let e = run(&sh("sleep 30"), "q", Duration::from_millis(300), 1024).unwrap_err();
        assert!(matches!(e, AddressBookError::Timeout { .. }), "{e}");
        assert!(t.elapsed() < Duration::from_secs(5));
        // Failing and missing programs.
        assert!(matches!(
            run(&sh("exit 3"), "q", Duration::from_secs(5), 1024),
            Err(AddressBookError::Failed { .. })
        ));
        assert!(matches!(
            run(
                &["/nonexistent/abook".to_string()],
                "q",
                Duration::from_secs(1),
                1024
            ),
            Err(AddressBookError::Spawn { .. })
        ));
        assert_eq!(
            run(&[], "q", Duration::from_secs(1), 1024),
            Err(AddressBookError::NoProgram)
        );
    }
}
