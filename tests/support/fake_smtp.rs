//! A fake ESMTP server on loopback (no TLS, no AUTH: `tls = "none"`) for what no real server
//! does on demand: never answering the final dot, hanging up after it, or stalling a client
//! mid-data. Records every connection and every message whose final dot arrived.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// What the fake SMTP server saw.
#[derive(Default)]
pub struct Seen {
    pub connections: usize,
    /// Every message whose final dot arrived.
    pub messages: Vec<String>,
}

/// What the fake server does once the client sent DATA, or once the final dot arrived.
#[derive(Clone, Copy)]
pub enum AfterDot {
    /// Answers 354 to DATA and then reads nothing more: the client is left blocked mid-data
    /// once the socket buffers are full (no message is ever recorded).
    StallAtData,
    /// Nothing, ever: the connection stays open until the client goes.
    Silent,
    /// Closes the connection without a reply.
    Hangup,
    /// Answers this line (with CRLF).
    Reply(&'static str),
}

/// A loopback ESMTP server (no TLS, no AUTH) that takes a whole message and then never
/// answers the final dot (the connection stays open until the client goes).
pub fn silent_after_dot() -> (u16, Arc<Mutex<Seen>>) {
    fake_smtp(AfterDot::Silent)
}

/// A loopback ESMTP server (no TLS, no AUTH) that takes a whole message and then does `after`.
pub fn fake_smtp(after: AfterDot) -> (u16, Arc<Mutex<Seen>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let shared = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            shared.lock().unwrap().connections += 1;
            let shared = shared.clone();
            std::thread::spawn(move || {
                let _ = converse(stream, &shared, after);
            });
        }
    });
    (port, seen)
}

fn converse(stream: TcpStream, seen: &Mutex<Seen>, after: AfterDot) -> std::io::Result<()> {
    let mut out = stream.try_clone()?;
    let mut input = BufReader::new(stream);
    out.write_all(b"220 fake.test ESMTP\r\n")?;
    let mut line = String::new();
    loop {
        line.clear();
        if input.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let verb = line.trim_end().to_ascii_uppercase();
        if verb.starts_with("EHLO") {
            out.write_all(b"250-fake.test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")?;
        } else if verb.starts_with("DATA") {
            out.write_all(b"354 go ahead\r\n")?;
            if let AfterDot::StallAtData = after {
                // Hold the connection, read nothing: wait for the test to end.
                std::thread::sleep(std::time::Duration::from_secs(120));
                return Ok(());
            }
            let mut message = String::new();
            loop {
                line.clear();
                if input.read_line(&mut line)? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" {
                    break;
                }
                message.push_str(&line);
            }
            seen.lock().unwrap().messages.push(message);
            match after {
                AfterDot::Silent => {
                    // No reply, ever: wait for the client to go away.
                    let mut rest = Vec::new();
                    let _ = std::io::Read::read_to_end(&mut input, &mut rest);
                    return Ok(());
                }
                AfterDot::Hangup | AfterDot::StallAtData => return Ok(()),
                AfterDot::Reply(line) => out.write_all(format!("{line}\r\n").as_bytes())?,
            }
        } else if verb.starts_with("QUIT") {
            out.write_all(b"221 bye\r\n")?;
            return Ok(());
        } else {
            out.write_all(b"250 ok\r\n")?;
        }
    }
}
