//! SMTP STARTTLS is done so that nothing secret ever travels in cleartext and nothing sent in
//! cleartext is read as if it came inside TLS: a hostile server (plaintext injected after
//! `220` to STARTTLS, no STARTTLS capability, STARTTLS refused) makes `open` fail without
//! sending a login. These servers are deliberately hostile stand-ins, not mocks of normal
//! behaviour: the real-server path is covered by smtp_submit.rs and check_testbed.rs.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use mailroom::config::{AuthMethod, Smtp, Tls};
use mailroom::smtp::SmtpStage;

const PASSWORD: &str = "s3cret-pw";

/// How the hostile server answers.
struct Script {
    /// Sent right after the EHLO reply's last line, in the same write.
    ehlo: &'static str,
    /// The answer to STARTTLS, in one write.
    starttls: &'static str,
}

/// Serves one connection: greets, answers EHLO and STARTTLS as scripted, `250` to anything
/// else, and reports every byte it received once the client is gone.
fn hostile_server(script: Script) -> (u16, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let Ok((stream, _)) = listener.accept() else {
            return;
        };
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let mut writer = stream.try_clone().unwrap();
        let mut reader = BufReader::new(stream);
        let _ = writer.write_all(b"220 hostile.test ESMTP\r\n");
        let mut seen = Vec::new();
        let mut line = Vec::new();
        while reader
            .read_until(b'\n', &mut line)
            .map(|n| n > 0)
            .unwrap_or(false)
        {
            seen.extend_from_slice(&line);
            let text = String::from_utf8_lossy(&line).to_ascii_uppercase();
            let answer = if text.starts_with("EHLO") || text.starts_with("HELO") {
                script.ehlo
            } else if text.trim() == "STARTTLS" {
                script.starttls
            } else if text.starts_with("QUIT") {
                "221 bye\r\n"
            } else {
                "250 ok\r\n"
            };
            let _ = writer.write_all(answer.as_bytes());
            line.clear();
        }
        let _ = tx.send(String::from_utf8_lossy(&seen).into_owned());
    });
    (port, rx)
}

fn account(port: u16) -> Smtp {
    Smtp {
        host: "127.0.0.1".into(),
        port: Some(port),
        tls: Tls::Starttls,
        ca_file: None,
        login: Some("alice".into()),
        authzid: None,
        auth: AuthMethod::Password,
        password: None,
        password_command: Some(format!("echo {PASSWORD}")),
        token_command: None,
        deadline: None,
    }
}

/// Opens a submission connection to the hostile server: the error, and all it received.
fn open(script: Script) -> (mailroom::smtp::SmtpError, String) {
    let (port, seen) = hostile_server(script);
    let e = match mailroom::smtp::probe::open("support", &account(port)) {
        Ok(_) => panic!("a hostile server was accepted"),
        Err(e) => e,
    };
    let seen = seen
        .recv_timeout(Duration::from_secs(30))
        .unwrap_or_default();
    (e, seen)
}

fn assert_no_login(seen: &str) {
    assert!(
        !seen.to_ascii_uppercase().contains("AUTH") && !seen.contains(PASSWORD),
        "{seen:?}"
    );
    // Not even base64 of the SASL response.
    assert!(!seen.contains("czNjcmV0LXB3"), "{seen:?}");
}

const EHLO: &str = "250-hostile.test\r\n250-STARTTLS\r\n250 AUTH PLAIN LOGIN\r\n";

#[test]
fn plaintext_injected_after_starttls_220_is_refused() {
    let (e, seen) = open(Script {
        ehlo: EHLO,
        starttls: "220 go ahead\r\n250 fake\r\n",
    });
    assert_eq!(e.stage, SmtpStage::Tls, "{e}");
    assert!(
        e.to_string().contains(
            "the server sent data after agreeing to STARTTLS, before the TLS handshake: possible man-in-the-middle; refusing to continue"
        ),
        "{e}"
    );
    assert!(seen.contains("STARTTLS"), "{seen:?}");
    assert_no_login(&seen);
}

#[test]
fn a_whole_fake_session_after_220_is_refused() {
    // The attack in full: a fake EHLO without STARTTLS, then fake answers to everything.
    let (e, seen) = open(Script {
        ehlo: EHLO,
        starttls: "220 go ahead\r\n250-fake\r\n250 AUTH PLAIN\r\n235 ok\r\n250 ok\r\n",
    });
    assert_eq!(e.stage, SmtpStage::Tls, "{e}");
    assert!(e.to_string().contains("possible man-in-the-middle"), "{e}");
    assert_no_login(&seen);
}

#[test]
fn starttls_answer_queued_before_starttls_is_refused() {
    // The 220 and the fake lines arrive behind the EHLO answer, before STARTTLS is even sent:
    // they would wait in the client's buffer and be read after the handshake.
    let (e, seen) = open(Script {
        ehlo: "250-hostile.test\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n220 go ahead\r\n250 fake\r\n",
        starttls: "",
    });
    assert_eq!(e.stage, SmtpStage::Tls, "{e}");
    assert!(e.to_string().contains("possible man-in-the-middle"), "{e}");
    assert_no_login(&seen);
}

#[test]
fn missing_starttls_is_refused_without_login() {
    let (e, seen) = open(Script {
        ehlo: "250-hostile.test\r\n250 AUTH PLAIN LOGIN\r\n",
        starttls: "220 go ahead\r\n",
    });
    assert_eq!(e.stage, SmtpStage::Tls, "{e}");
    assert!(e.to_string().contains("does not offer STARTTLS"), "{e}");
    assert!(seen.to_ascii_uppercase().contains("EHLO"), "{seen:?}");
    assert!(!seen.contains("STARTTLS"), "{seen:?}");
    assert_no_login(&seen);
}

#[test]
fn refused_starttls_is_refused_without_login() {
    let (e, seen) = open(Script {
        ehlo: EHLO,
        starttls: "454 4.7.0 TLS not available due to local problem\r\n",
    });
    assert_eq!(e.stage, SmtpStage::Tls, "{e}");
    assert!(e.to_string().contains("454"), "{e}");
    assert!(!e.to_string().contains("man-in-the-middle"), "{e}");
    assert!(seen.contains("STARTTLS"), "{seen:?}");
    assert_no_login(&seen);
}

#[test]
fn check_reports_the_injection() {
    // The same through the command line: `mailroom check` probes with the same `open`.
    let (port, seen) = hostile_server(Script {
        ehlo: EHLO,
        starttls: "220 go ahead\r\n250 fake\r\n",
    });
    let dead = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.toml");
    std::fs::write(
        &path,
        format!(
            "[agent]\nid = \"alice\"\nname = \"A\"\nemail = \"alice@example.test\"\n[[account]]\nname = \"support\"\naddress = \"support@example.test\"\nsend = \"as\"\n[account.imap]\nhost = \"127.0.0.1\"\nport = {dead}\nlogin = \"alice\"\npassword_command = \"echo x\"\n[account.smtp]\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"starttls\"\nlogin = \"alice\"\npassword_command = \"echo {PASSWORD}\"\n"
        ),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mailroom"))
        .args(["--config", path.to_str().unwrap(), "check"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("possible man-in-the-middle"), "{stdout}");
    let seen = seen
        .recv_timeout(Duration::from_secs(30))
        .unwrap_or_default();
    assert_no_login(&seen);
}
