//! Every SMTP stage has an overall deadline, not only a per-read timeout: a server that
//! answers one byte a second (each byte resetting a read timeout) is cut off, and the error
//! names the server, the stage and the deadline. The servers here are deliberately hostile
//! stand-ins on loopback (`tls = "none"`); real sends are covered by smtp_submit.rs.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::thread;
use std::time::{Duration, Instant};

use mailroom::config::{AuthMethod, Smtp, Tls};
use mailroom::mail::compose::Outgoing;
use mailroom::smtp::submit::{SubmitError, submit};

/// Where the server starts dripping.
#[derive(Clone, Copy, PartialEq)]
enum DripAt {
    Greeting,
    MailFrom,
    /// Not dripping: reads the message data slowly but steadily (64 KiB a second), as over a
    /// slow link, then accepts it.
    SlowData,
}

/// Serves one connection, answering normally until `at`, then one byte a second forever.
fn dripping_server(at: DripAt) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        let Ok((stream, _)) = listener.accept() else {
            return;
        };
        let mut writer = stream.try_clone().unwrap();
        let drip = |w: &mut std::net::TcpStream, text: &[u8]| {
            for b in text.iter().cycle() {
                if w.write_all(&[*b]).is_err() {
                    return;
                }
                thread::sleep(Duration::from_secs(1));
            }
        };
        if at == DripAt::Greeting {
            return drip(&mut writer, b"220-slow.test still greeting\r\n");
        }
        let _ = writer.write_all(b"220 slow.test ESMTP\r\n");
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        while reader.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
            let upper = line.to_ascii_uppercase();
            if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                let _ = writer.write_all(b"250-slow.test\r\n250 8BITMIME\r\n");
            } else if upper.starts_with("MAIL FROM") && at == DripAt::MailFrom {
                return drip(&mut writer, b"250-thinking\r\n");
            } else if upper.starts_with("DATA") {
                let _ = writer.write_all(b"354 go ahead\r\n");
                let mut chunk = vec![0u8; 8 * 1024];
                let mut tail = Vec::new();
                loop {
                    use std::io::Read;
                    let Ok(n) = reader.read(&mut chunk) else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    tail.extend_from_slice(&chunk[..n]);
                    if tail.ends_with(b"\r\n.\r\n") {
                        break;
                    }
                    let keep = tail.len().saturating_sub(8);
                    tail.drain(..keep);
                    thread::sleep(Duration::from_millis(125));
                }
                let _ = writer.write_all(b"250 2.0.0 queued as SLOW\r\n");
            } else {
                let _ = writer.write_all(b"250 ok\r\n");
            }
            line.clear();
        }
    });
    port
}

fn account(port: u16) -> Smtp {
    Smtp {
        host: "127.0.0.1".into(),
        port: Some(port),
        tls: Tls::None,
        ca_file: None,
        login: None,
        authzid: None,
        auth: AuthMethod::Password,
        password: None,
        password_command: None,
        token_command: None,
        deadline: Some(2),
    }
}

fn message() -> Outgoing {
    message_with_body(b"x\r\n")
}

fn message_with_body(body: &[u8]) -> Outgoing {
    let mut raw =
        b"From: support@example.test\r\nTo: c@outside.test\r\nSubject: x\r\n\r\n".to_vec();
    raw.extend_from_slice(body);
    Outgoing {
        raw,
        mail_from: "support@example.test".into(),
        recipients: vec!["c@outside.test".into()],
        message_id: "x@example.test".into(),
        subject: "x".into(),
    }
}

/// Submits to a server dripping from `at`; the error text and how long it took.
fn submit_to_dripping(at: DripAt) -> (String, Duration, u16) {
    let port = dripping_server(at);
    let started = Instant::now();
    let e = match submit("support", &account(port), &message()) {
        Ok(r) => panic!("a dripping server accepted the message: {r}"),
        Err(SubmitError::Temporary(e)) => e,
        Err(SubmitError::Permanent(e)) => panic!("a timeout is not permanent: {e}"),
        Err(SubmitError::Uncertain(e)) => panic!("no data went out, yet uncertain: {e}"),
    };
    (e.to_string(), started.elapsed(), port)
}

#[test]
fn a_greeting_dripped_a_byte_a_second_is_cut_off_by_the_deadline() {
    let (e, took, port) = submit_to_dripping(DripAt::Greeting);
    assert!(took < Duration::from_secs(10), "took {took:?}: {e}");
    assert!(
        e.contains(&format!("account \"support\": SMTP 127.0.0.1:{port}")),
        "{e}"
    );
    assert!(
        e.contains("connect and greeting did not complete within 2 s (deadline)"),
        "{e}"
    );
}

#[test]
fn a_mail_transaction_dripped_a_byte_a_second_is_cut_off_by_the_deadline() {
    let (e, took, port) = submit_to_dripping(DripAt::MailFrom);
    assert!(took < Duration::from_secs(10), "took {took:?}: {e}");
    assert!(
        e.contains(&format!("account \"support\": SMTP 127.0.0.1:{port}")),
        "{e}"
    );
    assert!(
        e.contains("MAIL FROM/RCPT TO/DATA did not complete within 2 s (deadline)"),
        "{e}"
    );
}

#[test]
fn a_big_message_over_a_slow_link_is_not_cut_off_by_a_short_deadline() {
    // 512 KiB read at 64 KiB a second: about 8 s, far past the 2 s base deadline, but the
    // deadline grows with the bytes moved.
    let port = dripping_server(DripAt::SlowData);
    let body =
        b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!?\r\n".repeat(8 * 1024);
    let started = Instant::now();
    let reply = submit("support", &account(port), &message_with_body(&body))
        .unwrap_or_else(|e| panic!("after {:?}: {e}", started.elapsed()));
    assert!(reply.contains("queued as SLOW"), "{reply}");
    assert!(
        started.elapsed() > Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}
