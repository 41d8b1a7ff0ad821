//! The `ui.notify.command` job: the user's program run with a notification's summary as
//! separate arguments (account, sender, subject), never through a shell, off the UI thread.
//! Its output goes nowhere (the screen is the UI's); a failure, or a program still running
//! after [`DEADLINE`], is reported as an error event for the status line.

use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use super::event::{Event, EventSink};
use super::job;

/// How long the program may run before it is stopped.
pub const DEADLINE: Duration = Duration::from_secs(10);

/// One run of the notify command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyCommand {
    /// The program and its arguments from the configuration, then account, sender, subject.
    pub argv: Vec<String>,
    /// Set in the program's environment: `MAILROOM_NOTIFY` ("new" or "assigned") and
    /// `MAILROOM_COUNT` (messages this notification stands for).
    pub kind: &'static str,
    pub count: usize,
}

/// Runs `cmd` and waits for it, at most `deadline`.
pub fn run(cmd: &NotifyCommand, deadline: Duration) -> Result<(), String> {
    let (program, args) = cmd
        .argv
        .split_first()
        .ok_or_else(|| "no program is configured".to_string())?;
    let mut child = Command::new(program)
        .args(args)
        .env("MAILROOM_NOTIFY", cmd.kind)
        .env("MAILROOM_COUNT", cmd.count.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    let start = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => return Err(format!("{program} ended with {status}")),
            Ok(None) if start.elapsed() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "{program} still ran after {} s: stopped",
                    deadline.as_secs()
                ));
            }
            Ok(None) => thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(format!("{program}: {e}")),
        }
    }
}

/// Runs `cmd` on a job of its own; a failure comes back as an error for the status line.
pub(super) fn spawn(cmd: NotifyCommand, events: EventSink) {
    let report = events.clone();
    let fail = |events: &EventSink, why: String| {
        let _ = events.send(Event::Error {
            account_idx: None,
            message: format!("notify command: {why}"),
        });
    };
    let spawned = job::spawn(
        "notify",
        move || run(&cmd, DEADLINE),
        move |result| {
            if let Err(why) = result.unwrap_or_else(|e| Err(e.to_string())) {
                fail(&report, why);
            }
        },
    );
    if let Err(e) = spawned {
        fail(&events, e.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(argv: &[&str]) -> NotifyCommand {
        NotifyCommand {
            argv: argv.iter().map(|s| s.to_string()).collect(),
            kind: "new",
            count: 1,
        }
    }

    #[test]
    fn the_arguments_arrive_one_by_one_and_no_shell_reads_them() {
        let dir = tempfile::tempdir().expect("temp dir");
        let out = dir.path().join("argv");
        let script = dir.path().join("record.sh");
        std::fs::write(
            &script,
            "#!/bin/sh\nout=$1; shift\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > \"$out\"\n\
             printf '%s %s\\n' \"$MAILROOM_NOTIFY\" \"$MAILROOM_COUNT\" >> \"$out\"\n",
        )
        .expect("script");
        let hostile = "$(touch pwned); `id` | rm -rf ~ ; \"quoted\" 'single'";
        let c = NotifyCommand {
            argv: vec![
                "sh".into(),
                script.display().to_string(),
                out.display().to_string(),
                "support".into(),
                "Eve <eve@example.test>".into(),
                hostile.into(),
            ],
            kind: "assigned",
            count: 3,
        };
        run(&c, DEADLINE).expect("runs");
        let got = std::fs::read_to_string(&out).expect("recorded");
        assert_eq!(
            got,
            format!("support\nEve <eve@example.test>\n{hostile}\nassigned 3\n")
        );
        assert!(!dir.path().join("pwned").exists());
    }

    #[test]
    fn a_failing_missing_or_hanging_program_is_an_error_not_a_hang() {
        assert!(run(&cmd(&["false"]), DEADLINE).is_err_and(|e| e.contains("ended with")));
        assert!(
            run(&cmd(&["/nonexistent/mailroom-notify"]), DEADLINE)
                .is_err_and(|e| e.contains("cannot run"))
        );
        let start = Instant::now();
        let e = run(&cmd(&["sleep", "30"]), Duration::from_millis(300)).expect_err("stopped");
        assert!(e.contains("stopped"), "{e}");
        assert!(start.elapsed() < Duration::from_secs(5));
        assert!(run(&cmd(&[]), DEADLINE).is_err());
    }

    #[test]
    fn a_failure_is_reported_for_the_status_line_and_a_success_is_silent() {
        let (tx, rx) = std::sync::mpsc::channel::<Event>();
        spawn(cmd(&["false"]), EventSink::from(tx.clone()));
        match rx.recv_timeout(Duration::from_secs(10)) {
            Ok(Event::Error {
                account_idx: None,
                message,
            }) => assert!(
                message.starts_with("notify command: false ended with"),
                "{message}"
            ),
            other => panic!("expected an error, got {other:?}"),
        }
        spawn(cmd(&["true"]), EventSink::from(tx));
        assert!(
            rx.recv_timeout(Duration::from_secs(2)).is_err(),
            "nothing to say"
        );
    }
}
