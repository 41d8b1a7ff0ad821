//! STARTTLS is done so that nothing secret ever travels in cleartext: a hostile or broken
//! server (PREAUTH before TLS, no STARTTLS capability, a BYE greeting) makes `check` fail
//! without sending a login. These servers are deliberately hostile stand-ins, not mocks of
//! normal behaviour: the real-server path is covered in check_testbed.rs.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::Command;
use std::sync::mpsc;
use std::thread;

/// Serves one connection: sends `greeting`, answers CAPABILITY with `caps`, records the rest.
fn hostile_server(greeting: &'static str, caps: &'static str) -> (u16, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let Ok((stream, _)) = listener.accept() else {
            return;
        };
        let mut writer = stream.try_clone().unwrap();
        let mut reader = BufReader::new(stream);
        let _ = writer.write_all(greeting.as_bytes());
        let mut seen = String::new();
        let mut line = String::new();
        while reader.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
            seen.push_str(&line);
            if let Some(tag) = line.split_whitespace().next()
                && line.to_ascii_uppercase().contains("CAPABILITY")
            {
                let _ = writer
                    .write_all(format!("* CAPABILITY {caps}\r\n{tag} OK done\r\n").as_bytes());
            }
            line.clear();
        }
        let _ = tx.send(seen);
    });
    (port, rx)
}

fn check(port: u16) -> (i32, String) {
    check_with(port, "")
}

/// [`check`] with more lines for `[account.imap]`.
fn check_with(port: u16, imap: &str) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.toml");
    std::fs::write(
        &path,
        format!(
            "[agent]\nid = \"alice\"\nname = \"A\"\nemail = \"alice@example.test\"\n[[account]]\nname = \"support\"\naddress = \"support@example.test\"\nsend = \"none\"\n[account.imap]\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"starttls\"\nlogin = \"alice\"\npassword_command = \"echo s3cret-pw\"\n{imap}"
        ),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_mailroom"))
        .args(["--config", path.to_str().unwrap(), "check"])
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn preauth_before_tls_aborts() {
    let (port, seen) = hostile_server(
        "* PREAUTH welcome, you are logged in\r\n",
        "IMAP4rev1 STARTTLS",
    );
    let (code, out) = check(port);
    assert_eq!(code, 1);
    assert!(out.contains("PREAUTH"), "{out}");
    let seen = seen
        .recv_timeout(std::time::Duration::from_secs(10))
        .unwrap_or_default();
    assert!(
        !seen.contains("LOGIN") && !seen.contains("s3cret-pw"),
        "{seen}"
    );
}

#[test]
fn missing_starttls_capability_closes_without_login() {
    let (port, seen) = hostile_server("* OK IMAP ready\r\n", "IMAP4rev1 AUTH=PLAIN");
    let (code, out) = check(port);
    assert_eq!(code, 1);
    assert!(out.contains("does not offer STARTTLS"), "{out}");
    let seen = seen
        .recv_timeout(std::time::Duration::from_secs(10))
        .unwrap_or_default();
    assert!(seen.contains("CAPABILITY"), "{seen}");
    assert!(
        !seen.contains("LOGIN") && !seen.contains("AUTHENTICATE") && !seen.contains("s3cret-pw"),
        "{seen}"
    );
}

#[test]
fn bad_greeting_is_reported_sanitized() {
    let (port, _seen) = hostile_server("* BYE \x1b]0;pwned\x07 go away\r\n", "IMAP4rev1 STARTTLS");
    let (code, out) = check(port);
    assert_eq!(code, 1);
    assert!(out.contains("go away"), "{out}");
    assert!(!out.contains('\x1b') && !out.contains('\x07'), "{out:?}");
}

#[test]
fn a_greeting_dripped_before_starttls_is_cut_off_by_the_deadline() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        let Ok((mut stream, _)) = listener.accept() else {
            return;
        };
        // A byte a second: each one resets a per-read timeout, never a line.
        for b in b"* OK slowly".iter().cycle() {
            if stream.write_all(&[*b]).is_err() {
                return;
            }
            thread::sleep(std::time::Duration::from_secs(1));
        }
    });
    let started = std::time::Instant::now();
    let (code, out) = check_with(port, "deadline = 2\n");
    let took = started.elapsed();
    assert_eq!(code, 1, "{out}");
    assert!(
        took < std::time::Duration::from_secs(12),
        "took {took:?}: {out}"
    );
    assert!(out.contains(&format!("IMAP 127.0.0.1:{port}")), "{out}");
    assert!(
        out.contains("greeting, STARTTLS and TLS handshake did not complete within 2 s (deadline)"),
        "{out}"
    );
}
